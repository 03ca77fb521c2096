"""Containers and basic layers: Sequential, HybridSequential, Dense, Dropout, BatchNorm, LayerNorm, Embedding,
Flatten, Lambda, HybridLambda (activations live in ``activations.py``)."""
import numpy as np

from ... import ndarray as nd
from ... import symbol as sym
from ..block import Block, HybridBlock, _indent
from .activations import Activation

__all__ = ["Sequential", "HybridSequential", "Dense", "Dropout", "BatchNorm", "BatchNormReLU", "InstanceNorm", "LayerNorm", "Embedding", "Flatten",
           "Lambda", "HybridLambda", "GroupNorm"]


class _Stack:
    """Shared behaviour of the two sequential containers (children keyed '0', '1', ...)."""

    def add(self, *blocks):
        """Appends blocks, run in order."""
        for b in blocks:
            self.register_child(b)

    def forward(self, data, *rest):
        for layer in self._kids.values():
            data = layer(data, *rest) if rest else layer(data)
            rest = ()
        return data

    def __getitem__(self, where):
        layers = list(self._kids.values())
        if not isinstance(where, slice):
            return layers[where]
        part = type(self)(prefix=self._prefix)
        with part.name_scope():
            part.add(*layers[where])
        return part

    def __len__(self):
        return len(self._kids)

    def __repr__(self):
        inner = "\n".join("  (%s): %s" % (k, _indent(repr(v))) for k, v in self._kids.items())
        return "%s(\n%s\n)" % (type(self).__name__, inner)


class Sequential(_Stack, Block):
    """Runs its children one after another."""


class HybridSequential(_Stack, HybridBlock):
    """Runs its (hybrid) children one after another."""

    def forward(self, data, *rest):
        if isinstance(data, sym.Symbol):  # traced: children made with prefix='' name their nodes in this scope
            with self.name_scope():
                return _Stack.forward(self, data, *rest)
        return _Stack.forward(self, data, *rest)


class Dense(HybridBlock):
    """A fully connected layer: ``activation(dot(x, weight.T) + bias)``; with ``flatten`` the input is taken as
    (batch, features...) flattened, else only its last axis is transformed."""

    def __init__(self, units, activation=None, use_bias=True, flatten=True, dtype='float32', weight_initializer=None,
                 bias_initializer='zeros', in_units=0, **kwargs):
        super().__init__(**kwargs)
        self._units = units
        self._flat = flatten
        with self.name_scope():
            self.weight = self.params.get('weight', shape=(units, in_units), init=weight_initializer, dtype=dtype,
                                          allow_deferred_init=True)
            self.bias = self.params.get('bias', shape=(units,), init=bias_initializer, dtype=dtype,
                                        allow_deferred_init=True) if use_bias else None
            self.act = Activation(activation, prefix=activation + '_') if activation is not None else None

    def hybrid_forward(self, F, x, weight, bias=None):
        y = F.FullyConnected(x, weight, bias, no_bias=bias is None, num_hidden=self._units, flatten=self._flat,
                             name='fwd')
        return self.act(y) if self.act is not None else y

    def __repr__(self):
        fan_in = self.weight.shape[1] if self.weight.shape and self.weight.shape[1] else None
        return "%s(%s -> %s, %s)" % (type(self).__name__, fan_in, self._units,
                                     repr(self.act) if self.act is not None else 'linear')


class Dropout(HybridBlock):
    """Zeroes a fraction ``rate`` of the inputs while training (scaling the rest); the identity otherwise."""

    def __init__(self, rate, axes=(), **kwargs):
        super().__init__(**kwargs)
        self._rate = rate
        self._axes = axes

    def hybrid_forward(self, F, x):
        if not self._rate:
            return x
        return F.Dropout(x, p=self._rate, axes=self._axes, name='fwd')

    def __repr__(self):
        return "%s(p = %s, axes=%s)" % (type(self).__name__, self._rate, self._axes)


class BatchNorm(HybridBlock):
    """Batch normalization over ``axis`` with running statistics (``momentum``) used outside training."""

    def __init__(self, axis=1, momentum=0.9, epsilon=1e-5, center=True, scale=True, use_global_stats=False,
                 beta_initializer='zeros', gamma_initializer='ones', running_mean_initializer='zeros',
                 running_variance_initializer='ones', in_channels=0, **kwargs):
        super().__init__(**kwargs)
        self._opts = dict(axis=axis, eps=epsilon, momentum=momentum, fix_gamma=not scale,
                          use_global_stats=use_global_stats)
        with self.name_scope():
            self.gamma = self.params.get('gamma', grad_req='write' if scale else 'null', shape=(in_channels,),
                                         init=gamma_initializer, allow_deferred_init=True, differentiable=scale)
            self.beta = self.params.get('beta', grad_req='write' if center else 'null', shape=(in_channels,),
                                        init=beta_initializer, allow_deferred_init=True, differentiable=center)
            self.running_mean = self.params.get('running_mean', grad_req='null', shape=(in_channels,),
                                                init=running_mean_initializer, allow_deferred_init=True,
                                                differentiable=False)
            self.running_var = self.params.get('running_var', grad_req='null', shape=(in_channels,),
                                               init=running_variance_initializer, allow_deferred_init=True,
                                               differentiable=False)

    def cast(self, dtype):
        super().cast('float32' if np.dtype(dtype) == np.float16 else dtype)  # statistics stay float32

    def hybrid_forward(self, F, x, gamma, beta, running_mean, running_var):
        return F.BatchNorm(x, gamma, beta, running_mean, running_var, name='fwd', **self._opts)

    def __repr__(self):
        o = self._opts
        chans = self.gamma.shape[0] if self.gamma.shape[0] else None
        return ("%s(axis=%s, eps=%s, momentum=%s, fix_gamma=%s, use_global_stats=%s, in_channels=%s)"
                % (type(self).__name__, o['axis'], o['eps'], o['momentum'], o['fix_gamma'], o['use_global_stats'],
                   chans))


class BatchNormReLU(BatchNorm):
    """BatchNorm followed by relu, fused in one operator (``contrib.BatchNormWithReLU``)."""

    def hybrid_forward(self, F, x, gamma, beta, running_mean, running_var):
        return F.contrib.BatchNormWithReLU(x, gamma, beta, running_mean, running_var, name='fwd', **self._opts)


class _AffineNorm(HybridBlock):
    """What InstanceNorm and LayerNorm share: gamma (learned with ``scale``) and beta (learned with ``center``)
    of ``in_channels`` entries, found at the first call when 0, and the repr."""

    def __init__(self, axis, epsilon, center, scale, beta_initializer, gamma_initializer, in_channels, **kwargs):
        super().__init__(**kwargs)
        self._axis, self._eps, self._center, self._scale = axis, epsilon, center, scale
        with self.name_scope():
            self.gamma = self.params.get('gamma', grad_req='write' if scale else 'null', shape=(in_channels,),
                                         init=gamma_initializer, allow_deferred_init=True)
            self.beta = self.params.get('beta', grad_req='write' if center else 'null', shape=(in_channels,),
                                        init=beta_initializer, allow_deferred_init=True)

    def __repr__(self):
        return "%s(eps=%s, axis=%s, center=%s, scale=%s, in_channels=%s)" % (
            type(self).__name__, self._eps, self._axis, self._center, self._scale, self.gamma.shape[0])


class InstanceNorm(_AffineNorm):
    """Normalizes each channel (``axis``) of each sample over the remaining axes, then scales by gamma and shifts by
    beta; gamma is fixed to its initial value unless ``scale``, beta unless ``center`` (as MXNet)."""

    def __init__(self, axis=1, epsilon=1e-5, center=True, scale=False, beta_initializer='zeros',
                 gamma_initializer='ones', in_channels=0, **kwargs):
        super().__init__(axis, epsilon, center, scale, beta_initializer, gamma_initializer, in_channels, **kwargs)

    def hybrid_forward(self, F, x, gamma, beta):
        if self._axis == 1:
            return F.InstanceNorm(x, gamma, beta, eps=self._eps, name='fwd')
        y = F.InstanceNorm(F.swapaxes(x, dim1=1, dim2=self._axis), gamma, beta, eps=self._eps)
        return F.swapaxes(y, dim1=1, dim2=self._axis)


class LayerNorm(_AffineNorm):
    """Normalizes each sample over ``axis`` (then scales by gamma and shifts by beta)."""

    def __init__(self, axis=-1, epsilon=1e-5, center=True, scale=True, beta_initializer='zeros',
                 gamma_initializer='ones', in_channels=0, prefix=None, params=None):
        super().__init__(axis, epsilon, center, scale, beta_initializer, gamma_initializer, in_channels,
                         prefix=prefix, params=params)

    def hybrid_forward(self, F, x, gamma, beta):
        return F.LayerNorm(x, gamma, beta, axis=self._axis, eps=self._eps)


class GroupNorm(HybridBlock):
    """Splits the channels (axis 1) of each sample into ``num_groups`` groups and normalizes each group over its
    channels and the spatial axes, then scales by gamma and shifts by beta: one value per group, as MXNet 1.9.1
    (gamma fixed to its initial value unless ``scale``, beta unless ``center``)."""

    def __init__(self, num_groups=1, epsilon=1e-5, center=True, scale=True, beta_initializer='zeros',
                 gamma_initializer='ones', prefix=None, params=None):
        super().__init__(prefix=prefix, params=params)
        self._num_groups, self._eps, self._center, self._scale = num_groups, epsilon, center, scale
        with self.name_scope():
            self.gamma = self.params.get('gamma', grad_req='write' if scale else 'null', shape=(num_groups,),
                                         init=gamma_initializer, allow_deferred_init=True)
            self.beta = self.params.get('beta', grad_req='write' if center else 'null', shape=(num_groups,),
                                        init=beta_initializer, allow_deferred_init=True)

    def hybrid_forward(self, F, x, gamma, beta):
        return F.GroupNorm(x, gamma, beta, num_groups=self._num_groups, eps=self._eps, name='fwd')

    def __repr__(self):
        return "%s(eps=%s, num_groups=%s, center=%s, scale=%s)" % (
            type(self).__name__, self._eps, self._num_groups, self._center, self._scale)


class Embedding(HybridBlock):
    """Looks up rows of a (input_dim, output_dim) table for integer indices."""

    def __init__(self, input_dim, output_dim, dtype='float32', weight_initializer=None, sparse_grad=False,
                 **kwargs):
        super().__init__(**kwargs)
        self._dims = (input_dim, output_dim)
        self._dtype = dtype
        self._sparse_grad = sparse_grad
        self.weight = self.params.get('weight', shape=(input_dim, output_dim), init=weight_initializer,
                                      dtype=dtype, allow_deferred_init=True,
                                      grad_stype='row_sparse' if sparse_grad else 'default')

    def hybrid_forward(self, F, x, weight):
        return F.Embedding(x, weight, input_dim=self._dims[0], output_dim=self._dims[1], dtype=self._dtype,
                           sparse_grad=self._sparse_grad, name='fwd')

    def __repr__(self):
        return "%s(%d -> %d, %s)" % (type(self).__name__, self._dims[0], self._dims[1], np.dtype(self._dtype).name)


class Flatten(HybridBlock):
    """Reshapes (N, d1, d2, ...) to (N, d1*d2*...)."""

    def hybrid_forward(self, F, x):
        return F.Flatten(x)

    def __repr__(self):
        return type(self).__name__


class Lambda(Block):
    """Wraps a function of NDArrays (or the name of an ``mx.nd`` function) as a Block."""

    def __init__(self, function, prefix=None):
        super().__init__(prefix=prefix)
        named = isinstance(function, str)
        if named:
            if not hasattr(nd, function):
                raise AssertionError("Function name %s is not found in ndarray." % function)
            self._fn = getattr(nd, function)
        elif callable(function):
            self._fn = function
        else:
            raise ValueError("Unrecognized function in lambda: {} of type {}".format(function, type(function)))

    def forward(self, *args):
        return self._fn(*args)

    def __repr__(self):
        return "%s(%s)" % (type(self).__name__, self._fn.__name__)


class HybridLambda(HybridBlock):
    """Wraps ``function(F, x, *args)`` (or the name of an operator available as ``F.name``) as a HybridBlock."""

    def __init__(self, function, prefix=None):
        super().__init__(prefix=prefix)
        named = isinstance(function, str)
        if named:
            if not hasattr(nd, function):
                raise AssertionError("Function name %s is not found in symbol/ndarray." % function)
            self._label = function
            self._fn = lambda F, *a: getattr(F, function)(*a)
        elif callable(function):
            self._label = function.__name__
            self._fn = function
        else:
            raise ValueError("Unrecognized function in lambda: {} of type {}".format(function, type(function)))

    def hybrid_forward(self, F, x, *args):
        return self._fn(F, x, *args)

    def __repr__(self):
        return "%s(%s)" % (type(self).__name__, self._label)
