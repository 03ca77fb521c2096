"""Parameter initializers (MXNet 1.x ``mx.init`` / ``mx.initializer``).

An initializer is called as ``init(name_or_desc, array)`` and fills ``array`` in place. The pattern is picked from
the name, as MXNet does: a variable's ``__init__`` attribute wins; otherwise ``*weight`` gets the initializer's
own ``_init_weight``, ``*bias`` and ``*beta`` zero, ``*gamma`` one, ``*moving_mean`` zero, ``*moving_var`` one,
``*min`` zero and ``*max`` one. Random initializers draw from ``mx.random`` (seeded by ``mx.random.seed``).
"""
import json
import logging
import re

import numpy as np

from . import ndarray as nd
from .ndarray import load  # noqa: F401  (MXNet 1.9.1's mx.init.load is mx.nd.load)

__all__ = ["InitDesc", "Initializer", "register", "alias", "create", "Load", "Mixed", "Zero", "One", "Constant",
           "Uniform", "Normal", "Orthogonal", "Xavier", "MSRAPrelu", "Bilinear", "LSTMBias", "FusedRNN"]

_REGISTRY = {}


def register(klass):
    """Registers an Initializer subclass under its lower-cased name, for ``create`` and ``__init__`` attrs."""
    if not (isinstance(klass, type) and issubclass(klass, Initializer)):
        raise TypeError("register: %r is not a subclass of Initializer" % (klass,))
    _REGISTRY[klass.__name__.lower()] = klass
    return klass


def alias(*names):
    """Decorator registering extra names for an initializer class."""
    def _reg(klass):
        for name in names:
            _REGISTRY[name.lower()] = klass
        return klass
    return _reg


def create(init, **kwargs):
    """Creates an initializer from an Initializer (returned as is), a registered name ('xavier', 'zeros', ...)
    or the JSON of ``Initializer.dumps()`` (``'["normal", {"sigma": 0.5}]'``)."""
    if isinstance(init, Initializer):
        return init
    if not isinstance(init, str):
        raise TypeError("initializer.create: expected an Initializer or a name, got %r" % (init,))
    text = init.strip()
    if text.startswith('['):
        try:
            name, params = json.loads(text)
        except (ValueError, TypeError) as err:
            raise ValueError("initializer.create: cannot parse %r as [name, {params}] JSON" % (init,)) from err
        params = dict(params)
        params.update(kwargs)
        text, kwargs = name, params  # (passed on as a dict: FusedRNN has a parameter named init)
    klass = _REGISTRY.get(text.lower())
    if klass is None:
        raise ValueError("Unknown initializer '%s'. Known initializers: %s" % (text, ", ".join(sorted(_REGISTRY))))
    return klass(**kwargs)


class InitDesc(str):
    """A parameter name carrying the variable's attributes (``attrs``, e.g. ``__init__``) and the global
    initializer to fall back on."""

    def __new__(cls, name, attrs=None, global_init=None):
        ret = super(InitDesc, cls).__new__(cls, name)
        ret.attrs = attrs or {}
        ret.global_init = global_init
        return ret


def _check_array(name, arr):
    if not isinstance(arr, nd.NDArray):
        raise TypeError("initializer: the array for '%s' must be an NDArray, got %s" % (name, type(arr).__name__))


class Initializer(object):
    """Base class: subclasses implement ``_init_weight(name, arr)`` and may override the other patterns."""

    def __init__(self, **kwargs):
        self._kwargs = kwargs
        self._verbose = False
        self._print_func = None

    def set_verbosity(self, verbose=False, print_func=None):
        """Logs every initialized array with ``print_func(arr)`` (default: its root mean square)."""
        self._verbose = verbose
        if print_func is None:
            def print_func(x):
                a = x.asnumpy().astype(np.float64)
                return str(float(np.sqrt((a * a).mean())) if a.size else 0.0)
        self._print_func = print_func
        return self

    def _verbose_print(self, desc, init, arr):
        if self._verbose and self._print_func:
            logging.info('Initialized %s as %s: %s', desc, init, self._print_func(arr))

    def dumps(self):
        """JSON ``[name, {params}]`` that ``create`` turns back into this initializer."""
        return json.dumps([self.__class__.__name__.lower(), self._kwargs])

    def __call__(self, desc, arr):
        _check_array(desc, arr)
        if not isinstance(desc, InitDesc):
            if not isinstance(desc, str):
                raise TypeError("initializer: the name must be a str or InitDesc, got %r" % (desc,))
            desc = InitDesc(desc)
        if desc.global_init is None:
            desc.global_init = self
        init = desc.attrs.get('__init__', '')
        if init:
            create(init)._init_weight(desc, arr)
            self._verbose_print(desc, init, arr)
            return
        for suffix, method in self._PATTERNS:
            if desc.endswith(suffix):
                getattr(self, method)(desc, arr)
                self._verbose_print(desc, suffix, arr)
                return
        self._init_default(desc, arr)

    # (name suffix, method) in the order they are tried
    _PATTERNS = (('weight', '_init_weight'), ('bias', '_init_bias'), ('gamma', '_init_gamma'),
                 ('beta', '_init_beta'), ('moving_mean', '_init_zero'), ('moving_var', '_init_one'),
                 ('moving_inv_var', '_init_zero'), ('moving_avg', '_init_zero'), ('min', '_init_zero'),
                 ('max', '_init_one'))

    def _init_zero(self, _, arr):
        arr[:] = 0.0

    def _init_one(self, _, arr):
        arr[:] = 1.0

    def _init_bias(self, _, arr):
        arr[:] = 0.0

    def _init_gamma(self, _, arr):
        arr[:] = 1.0

    def _init_beta(self, _, arr):
        arr[:] = 0.0

    def _init_weight(self, name, arr):
        raise NotImplementedError("%s does not implement _init_weight" % self.__class__.__name__)

    def _init_default(self, name, _):
        raise ValueError("Unknown initialization pattern for '%s': default initialization covers names ending in "
                         "weight, bias, gamma, beta, moving_mean, moving_var, min and max; give the variable an "
                         "initializer with mx.sym.Variable(name, init=mx.init.*)" % name)

    def __eq__(self, other):
        if not isinstance(other, Initializer):
            return NotImplemented
        return type(self) is type(other) and self._kwargs == other._kwargs

    def __hash__(self):
        return hash((type(self), self.dumps()))

    def __repr__(self):
        return "%s(%s)" % (self.__class__.__name__, ", ".join("%s=%r" % kv for kv in sorted(self._kwargs.items())))


def _random_uniform(arr, low, high):
    nd.random.uniform(low, high, shape=arr.shape, dtype=np.dtype(arr.dtype).name, ctx=arr.context, out=arr)


def _random_normal(arr, loc, scale):
    nd.random.normal(loc, scale, shape=arr.shape, dtype=np.dtype(arr.dtype).name, ctx=arr.context, out=arr)


class Load(object):
    """Initializes from saved parameters: a ``.params`` file name or a dict name -> NDArray. ``arg:``/``aux:``
    prefixes are dropped; names not found go to ``default_init``."""

    def __init__(self, param, default_init=None, verbose=False):
        if isinstance(param, str):
            param = nd.load(param)
        if not isinstance(param, dict):
            raise TypeError("init.Load: param must be a file name or a dict of name to NDArray")
        self.param = {}
        for name, arr in param.items():
            if name.startswith('arg:') or name.startswith('aux:'):
                name = name[4:]
            self.param[name] = arr
        self.default_init = default_init
        self.verbose = verbose

    def __call__(self, name, arr):
        if name in self.param:
            src = self.param[name]
            if tuple(arr.shape) != tuple(src.shape):
                raise ValueError("init.Load: parameter '%s' has shape %s but the loaded array has shape %s"
                                 % (name, tuple(arr.shape), tuple(src.shape)))
            arr[:] = src
            if self.verbose:
                logging.info('Initialized %s by loading', name)
        else:
            if self.default_init is None:
                raise ValueError("init.Load: cannot initialize '%s': not found in the loaded parameters and no "
                                 "default_init given" % name)
            self.default_init(name, arr)
            if self.verbose:
                logging.info('Initialized %s by default', name)


class Mixed(object):
    """Picks the initializer of the first regular expression in ``patterns`` that matches the name."""

    def __init__(self, patterns, initializers):
        if len(patterns) != len(initializers):
            raise ValueError("init.Mixed: %d patterns for %d initializers" % (len(patterns), len(initializers)))
        self.map = list(zip([re.compile(p) for p in patterns], initializers))

    def __call__(self, name, arr):
        for prog, init in self.map:
            if prog.match(name):
                init(name, arr)
                return
        raise ValueError("init.Mixed: parameter name '%s' did not match any pattern; consider adding a '.*' "
                         "pattern with a default initializer at the end" % name)


@register
@alias('zeros')
class Zero(Initializer):
    """Fills weights with 0."""

    def __init__(self):
        super(Zero, self).__init__()

    def _init_weight(self, _, arr):
        arr[:] = 0


@register
@alias('ones')
class One(Initializer):
    """Fills weights with 1."""

    def __init__(self):
        super(One, self).__init__()

    def _init_weight(self, _, arr):
        arr[:] = 1


@register
class Constant(Initializer):
    """Fills weights with ``value`` (a scalar or an array of the weight's shape)."""

    def __init__(self, value):
        super(Constant, self).__init__(value=value)
        self.value = value

    def _init_weight(self, _, arr):
        arr[:] = self.value

    def dumps(self):
        val = self._kwargs['value']
        if not np.isscalar(val):
            val = val.asnumpy().tolist() if hasattr(val, 'asnumpy') else np.asarray(val).tolist()
        return json.dumps([self.__class__.__name__.lower(), {'value': val}])


@register
class Uniform(Initializer):
    """Weights drawn uniformly from ``[-scale, scale]``."""

    def __init__(self, scale=0.07):
        super(Uniform, self).__init__(scale=scale)
        self.scale = scale

    def _init_weight(self, _, arr):
        _random_uniform(arr, -self.scale, self.scale)


@register
class Normal(Initializer):
    """Weights drawn from a normal distribution with mean 0 and standard deviation ``sigma``."""

    def __init__(self, sigma=0.01):
        super(Normal, self).__init__(sigma=sigma)
        self.sigma = sigma

    def _init_weight(self, _, arr):
        _random_normal(arr, 0.0, self.sigma)


@register
class Orthogonal(Initializer):
    """Weights set to ``scale`` times a random orthogonal matrix (rows or columns orthonormal)."""

    def __init__(self, scale=1.414, rand_type="uniform"):
        super(Orthogonal, self).__init__(scale=scale, rand_type=rand_type)
        if rand_type not in ('uniform', 'normal'):
            raise ValueError("Orthogonal: rand_type must be 'uniform' or 'normal', got %r" % (rand_type,))
        self.scale = scale
        self.rand_type = rand_type

    def _init_weight(self, _, arr):
        nout = arr.shape[0]
        nin = int(np.prod(arr.shape[1:]))
        tmp = nd.zeros((nout, nin), dtype='float32')
        if self.rand_type == 'uniform':
            _random_uniform(tmp, -1.0, 1.0)
        else:
            _random_normal(tmp, 0.0, 1.0)
        tmp = tmp.asnumpy().astype(np.float64)
        u, _, v = np.linalg.svd(tmp, full_matrices=False)
        res = u if u.shape == tmp.shape else v
        arr[:] = (self.scale * res.reshape(arr.shape)).astype(np.dtype(arr.dtype))


@register
class Xavier(Initializer):
    """Xavier/Glorot initialization: scale ``c = sqrt(magnitude / factor)`` where ``factor`` is ``fan_in``,
    ``fan_out`` or their mean (``factor_type`` 'in', 'out', 'avg'); weights are drawn from ``U[-c, c]``
    (``rnd_type='uniform'``) or ``N(0, c)`` (``'gaussian'``). Fans count the receptive field for >2-d weights."""

    def __init__(self, rnd_type="uniform", factor_type="avg", magnitude=3):
        super(Xavier, self).__init__(rnd_type=rnd_type, factor_type=factor_type, magnitude=magnitude)
        if rnd_type not in ('uniform', 'gaussian'):
            raise ValueError("Xavier: rnd_type must be 'uniform' or 'gaussian', got %r" % (rnd_type,))
        if factor_type not in ('avg', 'in', 'out'):
            raise ValueError("Xavier: factor_type must be 'avg', 'in' or 'out', got %r" % (factor_type,))
        self.rnd_type = rnd_type
        self.factor_type = factor_type
        self.magnitude = float(magnitude)

    def _init_weight(self, name, arr):
        shape = tuple(arr.shape)
        if len(shape) < 2:
            raise ValueError("Xavier initializer cannot be applied to vector '%s' of shape %s: it requires at least "
                             "2 dimensions" % (name, shape))
        hw_scale = float(np.prod(shape[2:])) if len(shape) > 2 else 1.0
        fan_in, fan_out = shape[1] * hw_scale, shape[0] * hw_scale
        factor = {'avg': (fan_in + fan_out) / 2.0, 'in': fan_in, 'out': fan_out}[self.factor_type]
        scale = float(np.sqrt(self.magnitude / factor))
        if self.rnd_type == 'uniform':
            _random_uniform(arr, -scale, scale)
        else:
            _random_normal(arr, 0.0, scale)


@register
class MSRAPrelu(Xavier):
    """He/MSRA initialization for (P)ReLU networks: Gaussian Xavier with magnitude ``2 / (1 + slope**2)``."""

    def __init__(self, factor_type="avg", slope=0.25):
        magnitude = 2. / (1 + slope ** 2)
        super(MSRAPrelu, self).__init__("gaussian", factor_type, magnitude)
        self._kwargs = {'factor_type': factor_type, 'slope': slope}


@register
class Bilinear(Initializer):
    """Bilinear-interpolation kernels for (N, C, H, W) upsampling weights."""

    def __init__(self):
        super(Bilinear, self).__init__()

    def _init_weight(self, _, arr):
        shape = tuple(arr.shape)
        if len(shape) != 4:
            raise ValueError("Bilinear: weight must be 4-d (N, C, H, W), got shape %s" % (shape,))
        f = np.ceil(shape[3] / 2.)
        c = (2 * f - 1 - f % 2) / (2. * f)
        x = np.arange(shape[3])
        y = np.arange(shape[2])
        kernel = np.outer(1 - np.abs(y / f - c), 1 - np.abs(x / f - c))
        arr[:] = np.broadcast_to(kernel, shape).astype(np.dtype(arr.dtype))


@register
class LSTMBias(Initializer):
    """LSTM biases: 0 except the forget gate (second quarter), set to ``forget_bias``."""

    def __init__(self, forget_bias=1.0):
        super(LSTMBias, self).__init__(forget_bias=forget_bias)
        self.forget_bias = forget_bias

    def _init_weight(self, _, arr):
        value = np.zeros(arr.shape, dtype=np.dtype(arr.dtype))
        n = arr.shape[0] // 4
        value[n:2 * n] = self.forget_bias
        arr[:] = value


@register
class FusedRNN(Initializer):
    """The flat parameter vector of ``mx.rnn.FusedRNNCell``: each of its per-gate weights (as ``unpack_weights``
    names them) is initialized by ``init`` (an Initializer or its JSON; None: the global initializer), the biases
    are 0 except, for an LSTM, the forget gate's, set to ``forget_bias`` in both the i2h and the h2h bias (as
    MXNet's, so the unfused cell's forget bias sums to twice it)."""

    def __init__(self, init, num_hidden, num_layers, mode, bidirectional=False, forget_bias=1.0):
        if isinstance(init, str):
            init = create(init)
        super(FusedRNN, self).__init__(init=init.dumps() if init is not None else None, num_hidden=num_hidden,
                                       num_layers=num_layers, mode=mode, bidirectional=bidirectional,
                                       forget_bias=forget_bias)
        self._init = init
        self._forget_bias = forget_bias
        self._cell_args = (num_hidden, num_layers, mode, bidirectional)

    def _init_weight(self, desc, arr):
        from .rnn.rnn_cell import FusedRNNCell
        num_hidden, num_layers, mode, bidirectional = self._cell_args
        cell = FusedRNNCell(num_hidden, num_layers, mode, bidirectional, forget_bias=self._forget_bias, prefix='')
        init = self._init
        if init is None:
            init = getattr(desc, 'global_init', None)
            if init is None or isinstance(init, FusedRNN):
                raise ValueError("FusedRNN initializer of '%s': no init given and no global initializer to use for "
                                 "the weights" % desc)
        args = cell.unpack_weights({'parameters': arr})
        for name, part in args.items():
            if mode == 'lstm' and name.endswith('_f_bias'):
                part[:] = self._forget_bias
            else:
                init(InitDesc(name, global_init=init), part)
        arr[:] = cell.pack_weights(args)['parameters']

    _init_default = _init_weight  # called by name: 'lstm_parameters' matches no pattern
