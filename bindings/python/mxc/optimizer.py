"""Optimizers (MXNet 1.x ``mx.optimizer``).

An optimizer updates one weight at a time, ``update(index, weight, grad, state)``, in place. SGD, NAG, Adam and
RMSProp run as the library's fused update operators (``sgd_update``, ``sgd_mom_update``, ``nag_mom_update``,
``adam_update``, ``rmsprop_update``, ``rmspropalex_update``) called with ``out=weight``; AdaGrad is composed from
NDArray operations. ``get_updater(opt)`` returns the ``Updater`` that owns the per-weight states and that
``Module``/``FeedForward`` call as ``updater(index, grad, weight)``.

Aggregated updates (as MXNet's): an optimizer whose ``aggregate_num`` is above 0 (SGD and LARS: 4, LAMB: 45; or
``$MXC_OPTIMIZER_AGGREGATION_SIZE``, at most 45 for LAMB) is given up to that many weights of one dtype and device at
once when the updater is called with lists (``Module``, ``FeedForward`` and ``gluon.Trainer`` do), and updates them with
one multi-tensor operator call (SGD: ``multi_sgd_update``, ``multi_sgd_mom_update``, ``multi_mp_sgd_update``,
``multi_mp_sgd_mom_update``; LARS: ``multi_sum_sq``, ``multi_lars``, ``preloaded_multi_sgd_mom_update``; LAMB:
``_multi_lamb_update``). The result is bit for bit that of one call per weight; ``aggregate_num = 0`` turns it off.

Per-weight learning rate and weight decay: ``lr * lr_mult[name]`` and ``wd * wd_mult[name]``, where a name comes
from ``param_idx2name``. As in MXNet, when names are known, weight decay is off (``wd_mult`` 0) for every parameter
whose name does not end in ``_weight`` or ``_gamma`` (biases, betas, ...), and a symbol's ``__lr_mult__`` /
``__wd_mult__`` attributes set multipliers too.
"""
import math
import os
import pickle
import warnings

import numpy

from . import ndarray as nd

try:  # the package's low-level operator call, to reuse encoded parameters across steps (see _fused)
    from .base import c_params as _c_params
    from .ndarray.ndarray import invoke as _invoke
except ImportError:  # pragma: no cover - another core without these
    _invoke = None

__all__ = ["Optimizer", "SGD", "NAG", "Adam", "AdaGrad", "RMSProp", "AdaDelta", "Adamax", "Nadam", "Signum", "FTML",
           "Ftrl", "LBSGD", "ccSGD", "Test", "Updater", "get_updater", "create", "register"]


class Optimizer(object):
    """Base class of all optimizers.

    Parameters
    ----------
    rescale_grad : float
        Gradients are multiplied by this before use (``Module``/``FeedForward`` set ``1/batch_size``).
    param_idx2name : dict of int -> str
        Names of the weight indices, for ``lr_mult``/``wd_mult`` and the default ``wd_mult``.
    wd : float
        Weight decay (L2 penalty) coefficient.
    clip_gradient : float or None
        Clips the rescaled gradient into ``[-clip_gradient, clip_gradient]``.
    learning_rate : float or None
        Learning rate; defaults to 0.01 (or to the scheduler's ``base_lr``). Given together with
        ``lr_scheduler`` it replaces the scheduler's ``base_lr``.
    lr_scheduler : LRScheduler or None
        Called with the update count to get the learning rate.
    sym : Symbol or None
        Source of ``__lr_mult__``/``__wd_mult__`` attributes.
    begin_num_update : int
        Initial update count (for resumed training).
    multi_precision : bool
        For float16 weights: keep a float32 copy of each weight (the master copy), update it from the gradient in
        float32, and write it back to the float16 weight after each update (as MXNet does). Without it, float16
        weights are updated in float16, where updates smaller than half a unit of the weight are lost.
    """

    opt_registry = {}
    _updates_lists = False  # whether update() takes lists of indices, weights, gradients and states (LARS, LAMB)

    def __init__(self, rescale_grad=1., param_idx2name=None, wd=0., clip_gradient=None, learning_rate=None,
                 lr_scheduler=None, sym=None, begin_num_update=0, multi_precision=False, param_dict=None):
        self.rescale_grad = rescale_grad
        self.lr_scheduler = lr_scheduler
        if lr_scheduler is None and learning_rate is None:
            learning_rate = 0.01
        self.lr = learning_rate
        if lr_scheduler is not None and learning_rate is not None and lr_scheduler.base_lr != learning_rate:
            warnings.warn("learning rate from ``lr_scheduler`` has been overwritten by ``learning_rate`` in "
                          "optimizer.", UserWarning, stacklevel=2)
            lr_scheduler.base_lr = learning_rate
        self.wd = wd
        self.lr_mult = {}
        self.wd_mult = {}
        self.begin_num_update = begin_num_update
        self.num_update = begin_num_update
        self._all_index_update_counts = {0: {}}
        self._index_update_count = self._all_index_update_counts[0]
        self.clip_gradient = clip_gradient
        self.multi_precision = multi_precision
        self.aggregate_num = 0
        if param_idx2name is None:
            param_idx2name = {}
        if not isinstance(param_idx2name, dict):
            raise TypeError("param_idx2name must be a dict of parameter index to name, got %s"
                            % type(param_idx2name).__name__)
        self.idx2name = param_idx2name.copy()
        self.sym_info = _symbol_info(sym)
        self.param_dict = param_dict if param_dict else {}
        self.set_lr_mult({})
        self.set_wd_mult({})

    # -- registry --------------------------------------------------------------------------------------------
    @staticmethod
    def register(klass):
        """Registers an Optimizer subclass under its lower-cased class name."""
        if not (isinstance(klass, type) and issubclass(klass, Optimizer)):
            raise TypeError("register: %r is not a subclass of Optimizer" % (klass,))
        name = klass.__name__.lower()
        if name in Optimizer.opt_registry:
            warnings.warn("New optimizer %s.%s is overriding existing optimizer %s.%s"
                          % (klass.__module__, klass.__name__, Optimizer.opt_registry[name].__module__,
                             Optimizer.opt_registry[name].__name__))
        Optimizer.opt_registry[name] = klass
        return klass

    @staticmethod
    def create_optimizer(name, **kwargs):
        """Creates the optimizer registered as ``name`` (case-insensitive) with ``kwargs``."""
        if not isinstance(name, str):
            raise TypeError("optimizer name must be a str, got %r" % (name,))
        klass = Optimizer.opt_registry.get(name.lower())
        if klass is None:
            raise ValueError("Cannot find optimizer '%s'. Known optimizers: %s"
                             % (name, ", ".join(sorted(Optimizer.opt_registry))))
        return klass(**kwargs)

    # -- learning rate and weight decay ----------------------------------------------------------------------
    @property
    def learning_rate(self):
        """The current learning rate (from the scheduler when there is one)."""
        if self.lr_scheduler is not None:
            return self.lr_scheduler(self.num_update)
        return self.lr

    def set_learning_rate(self, lr):
        """Sets the learning rate; not allowed when a scheduler drives it."""
        if self.lr_scheduler is not None:
            raise UserWarning("LRScheduler of the optimizer has already been defined. Note that set_learning_rate "
                              "can mutate the value of the learning rate of the optimizer only when the "
                              "LRScheduler of the optimizer is undefined.")
        self.lr = lr

    def set_lr_scale(self, args_lrscale):  # pylint: disable=unused-argument
        """Deprecated in MXNet; use set_lr_mult."""
        raise DeprecationWarning("set_lr_scale is deprecated; use set_lr_mult")

    def set_lr_mult(self, args_lr_mult):
        """Sets per-parameter learning-rate multipliers (keys: names or indices); a symbol's ``__lr_mult__``
        attributes come first."""
        self.lr_mult = {}
        if self.sym_info:
            attr, arg_names = self.sym_info
            for name in arg_names:
                if name in attr and '__lr_mult__' in attr[name]:
                    self.lr_mult[name] = float(attr[name]['__lr_mult__'])
        self.lr_mult.update(args_lr_mult)

    def set_wd_mult(self, args_wd_mult):
        """Sets per-parameter weight-decay multipliers. By default, parameters named in ``param_idx2name`` that do
        not end in ``_weight`` or ``_gamma`` get 0; a symbol's ``__wd_mult__`` attributes come next."""
        self.wd_mult = {}
        for name in self.idx2name.values():
            if not (name.endswith('_weight') or name.endswith('_gamma')):
                self.wd_mult[name] = 0.0
        if self.sym_info:
            attr, arg_names = self.sym_info
            for name in arg_names:
                if name in attr and '__wd_mult__' in attr[name]:
                    self.wd_mult[name] = float(attr[name]['__wd_mult__'])
        self.wd_mult.update(args_wd_mult)

    def _set_current_context(self, device_id):
        """Keeps separate update counts per device."""
        if self._index_update_count is self._all_index_update_counts.get(device_id):
            return
        if device_id not in self._all_index_update_counts:
            self._all_index_update_counts[device_id] = {}
        self._index_update_count = self._all_index_update_counts[device_id]

    def _update_count(self, index):
        """Counts one more update of ``index`` (or of each index of a list)."""
        for idx in (index if isinstance(index, (list, tuple)) else [index]):
            count = self._index_update_count.get(idx, self.begin_num_update) + 1
            self._index_update_count[idx] = count
            self.num_update = max(count, self.num_update)

    def _get_lrs(self, indices):
        lr = self.lr_scheduler(self.num_update) if self.lr_scheduler is not None else self.lr
        lrs = []
        for index in indices:
            if index in self.param_dict:
                lrs.append(lr * self.param_dict[index].lr_mult)
            elif index in self.lr_mult:
                lrs.append(lr * self.lr_mult[index])
            elif index in self.idx2name:
                lrs.append(lr * self.lr_mult.get(self.idx2name[index], 1.0))
            else:
                lrs.append(lr)
        return lrs

    def _get_lr(self, index):
        return self._get_lrs([index])[0]

    def _get_wds(self, indices):
        wds = []
        for index in indices:
            if index in self.param_dict:
                wds.append(self.wd * self.param_dict[index].wd_mult)
            elif index in self.wd_mult:
                wds.append(self.wd * self.wd_mult[index])
            elif index in self.idx2name:
                wds.append(self.wd * self.wd_mult.get(self.idx2name[index], 1.0))
            else:
                wds.append(self.wd)
        return wds

    def _get_wd(self, index):
        return self._get_wds([index])[0]

    def _common_kwargs(self):
        kwargs = {'rescale_grad': self.rescale_grad}
        if self.clip_gradient:
            kwargs['clip_gradient'] = self.clip_gradient
        return kwargs

    # -- state and update ------------------------------------------------------------------------------------
    def create_state(self, index, weight):
        """Creates the per-weight state (e.g. momentum); None when the optimizer has none."""
        return None

    def _master_copy_needed(self, weight):
        return self.multi_precision and numpy.dtype(weight.dtype) == numpy.float16

    def create_state_multi_precision(self, index, weight):
        """The state of ``create_state``; with ``multi_precision`` and a float16 weight, (float32 master copy of the
        weight, the state of that copy)."""
        if self._master_copy_needed(weight):
            master = weight.astype('float32')
            return (master, self.create_state(index, master))
        return self.create_state(index, weight)

    def update(self, index, weight, grad, state):
        """Updates ``weight`` in place from ``grad`` and ``state``."""
        raise NotImplementedError()

    def update_multi_precision(self, index, weight, grad, state):
        """``update``; with ``multi_precision`` and a float16 weight, the update of the float32 master copy (from the
        gradient in float32), written back to the weight. Lists of indices, weights, gradients and states (an
        aggregated update) are updated one weight at a time unless the optimizer fuses them."""
        if isinstance(index, (list, tuple)):
            if self._updates_lists and not any(self._master_copy_needed(w) for w in weight):
                return self.update(index, weight, grad, state)
            for i, w, g, st in zip(index, weight, grad, state):
                self.update_multi_precision(i, w, g, st)
            return
        if self._master_copy_needed(weight):
            master, inner = state
            self.update(index, master, grad.astype('float32'), inner)
            master.copyto(weight)
            return
        self.update(index, weight, grad, state)

    def __getstate__(self):
        ret = self.__dict__.copy()
        ret.pop('param_dict', None)
        return ret

    def __setstate__(self, state):
        self.__dict__ = state
        self.param_dict = {}


def _symbol_info(sym):
    """(attr_dict, list_arguments) of a symbol, or () without one."""
    if sym is None:
        return ()
    attr_dict = getattr(sym, 'attr_dict', None)
    attrs = attr_dict() if callable(attr_dict) else {}
    return (attrs, sym.list_arguments())


register = Optimizer.register  # pylint: disable=invalid-name
create = Optimizer.create_optimizer  # pylint: disable=invalid-name


_ENCODED = {}  # (operator, parameters) -> parameters encoded for the C API


def _fused(name, inputs, weight, **params):
    """Runs the fused update operator ``name`` on ``inputs`` with ``out=weight``.

    Same as ``getattr(nd, name)(*inputs, out=weight, **params)``, but the parameters (which change only when the
    learning rate does) are encoded for the C API once and reused, which saves most of the Python cost of a step.
    """
    if any(getattr(x, 'stype', 'default') != 'default' for x in inputs):
        return nd.sparse.fused_update(name, inputs, weight, **params)
    fn = getattr(nd, name)
    meta = getattr(fn, 'op_meta', None)
    if _invoke is None or meta is None:
        return fn(*inputs, out=weight, **params)
    key = (name, tuple(sorted(params.items())))
    enc = _ENCODED.get(key)
    if enc is None:
        if len(_ENCODED) >= 4096:
            _ENCODED.clear()
        keys = sorted(params)
        enc = _ENCODED[key] = _c_params(keys, [params[k] for k in keys])
    return _invoke(meta.handle, inputs, weight, *enc)


def _aggregation_size(default=4):
    """Weights per aggregated update: $MXC_OPTIMIZER_AGGREGATION_SIZE (or MXNet's $MXNET_OPTIMIZER_AGGREGATION_SIZE),
    else ``default`` (MXNet's: 4 for SGD and LARS, 45 for LAMB)."""
    for var in ('MXC_OPTIMIZER_AGGREGATION_SIZE', 'MXNET_OPTIMIZER_AGGREGATION_SIZE'):
        value = os.environ.get(var)
        if value is not None:
            try:
                return max(0, int(value))
            except ValueError:
                raise ValueError("%s must be an integer, got %r" % (var, value)) from None
    return default


def _zeros_like(weight):
    return nd.zeros(weight.shape, ctx=weight.context, dtype=weight.dtype)


def _check_pair(name, weight, grad):
    # (shapes are checked by the update operators, whose errors name the operator and both shapes)
    if not isinstance(weight, nd.NDArray) or not isinstance(grad, nd.NDArray):
        raise TypeError("%s.update: weight and grad must be NDArrays, got %s and %s"
                        % (name, type(weight).__name__, type(grad).__name__))


def _update_lists(name, index, weight, grad, state):
    """The indices, weights, gradients and states of an update (one weight, or lists of them) as lists of one
    length, each weight and gradient checked."""
    if not isinstance(index, (list, tuple)):
        index, weight, grad, state = [index], [weight], [grad], [state]
    lists = list(index), list(weight), list(grad), list(state)
    if len({len(x) for x in lists}) > 1:
        raise ValueError("%s.update: %d indices, %d weights, %d gradients and %d states: the lists must have one "
                         "entry per weight" % ((name,) + tuple(len(x) for x in lists)))
    for w, g in zip(lists[1], lists[2]):
        _check_pair(name, w, g)
    return lists


@register
class SGD(Optimizer):
    """Stochastic gradient descent with optional momentum and weight decay::

        g = clip(rescale_grad * grad, clip_gradient) + wd * weight
        state = momentum * state - lr * g      (momentum > 0)
        weight = weight + state                (or weight - lr * g without momentum)
    """

    def __init__(self, momentum=0.0, lazy_update=True, **kwargs):
        super(SGD, self).__init__(**kwargs)
        self.momentum = momentum
        self.lazy_update = lazy_update
        self.aggregate_num = _aggregation_size()

    def create_state(self, index, weight):
        if self.momentum != 0.0:
            return _zeros_like(weight)
        return None

    def update(self, index, weight, grad, state):
        if isinstance(index, (list, tuple)):
            return self._update_aggregated(index, weight, grad, state, False)
        _check_pair('SGD', weight, grad)
        self._update_count(index)
        lr = self._get_lr(index)
        wd = self._get_wd(index)
        kwargs = self._common_kwargs()
        if grad.stype != 'default':
            kwargs['lazy_update'] = self.lazy_update
        if state is not None:
            _fused('sgd_mom_update', (weight, grad, state), weight, lr=lr, wd=wd, momentum=self.momentum, **kwargs)
        else:
            _fused('sgd_update', (weight, grad), weight, lr=lr, wd=wd, **kwargs)

    def update_multi_precision(self, index, weight, grad, state):
        """With a float16 weight and multi_precision: the fused mp_sgd_update / mp_sgd_mom_update on the float32
        master copy."""
        if isinstance(index, (list, tuple)):
            return self._update_aggregated(index, weight, grad, state, self.multi_precision)
        if not self._master_copy_needed(weight) or not isinstance(grad, nd.NDArray) or grad.dtype != weight.dtype:
            return super().update_multi_precision(index, weight, grad, state)
        _check_pair('SGD', weight, grad)
        self._update_count(index)
        lr, wd, kwargs = self._get_lr(index), self._get_wd(index), self._common_kwargs()
        master, mom = state
        if mom is not None:
            _fused('mp_sgd_mom_update', (weight, grad, mom, master), weight, lr=lr, wd=wd, momentum=self.momentum,
                   **kwargs)
        else:
            _fused('mp_sgd_update', (weight, grad, master), weight, lr=lr, wd=wd, **kwargs)


    def _update_aggregated(self, indices, weights, grads, states, multi_precision):
        """One multi-tensor update of lists of weights (of one dtype and device, as the Updater groups them); the
        same arithmetic as one sgd_update / sgd_mom_update (mp_ with master copies) per weight."""
        indices, weights, grads, states = _update_lists('SGD', indices, weights, grads, states)
        # (dtypes and devices are the operator's to check: its errors name the arrays)
        mp = [self._master_copy_needed(w) for w in weights] if multi_precision else [False]
        sparse = any(g.stype != 'default' for g in grads)  # row_sparse gradients: one (lazy) update per weight
        if sparse or len(indices) < 2 or len(set(mp)) > 1 or (mp[0] and any(g.dtype != w.dtype for w, g in zip(weights, grads))):
            for i, w, g, st in zip(indices, weights, grads, states):
                if multi_precision:
                    self.update_multi_precision(i, w, g, st)
                else:
                    self.update(i, w, g, st)
            return
        self._update_count(indices)
        params = dict(self._common_kwargs(), num_weights=len(weights), lrs=tuple(self._get_lrs(indices)),
                      wds=tuple(self._get_wds(indices)))
        momentum = self.momentum != 0.0
        if momentum:
            params['momentum'] = self.momentum
        inputs = []
        if mp[0]:
            for w, g, (master, mom) in zip(weights, grads, states):
                inputs += [w, g, mom, master] if momentum else [w, g, master]
            name = 'multi_mp_sgd_mom_update' if momentum else 'multi_mp_sgd_update'
        else:
            for w, g, mom in zip(weights, grads, states):
                inputs += [w, g, mom] if momentum else [w, g]
            name = 'multi_sgd_mom_update' if momentum else 'multi_sgd_update'
        _fused(name, inputs, weights, **params)


@register
class NAG(Optimizer):
    """Nesterov accelerated gradient::

        g = clip(rescale_grad * grad, clip_gradient) + wd * weight
        state = momentum * state - lr * g
        weight = weight + momentum * state - lr * g
    """

    def __init__(self, momentum=0.0, **kwargs):
        super(NAG, self).__init__(**kwargs)
        self.momentum = momentum

    def create_state(self, index, weight):
        if self.momentum != 0.0:
            return _zeros_like(weight)
        return None

    def update(self, index, weight, grad, state):
        _check_pair('NAG', weight, grad)
        self._update_count(index)
        lr = self._get_lr(index)
        wd = self._get_wd(index)
        kwargs = self._common_kwargs()
        if state is not None:
            _fused('nag_mom_update', (weight, grad, state), weight, lr=lr, wd=wd, momentum=self.momentum, **kwargs)
        else:
            _fused('sgd_update', (weight, grad), weight, lr=lr, wd=wd, **kwargs)

    def update_multi_precision(self, index, weight, grad, state):
        """With a float16 weight and multi_precision: the fused mp_nag_mom_update / mp_sgd_update on the float32
        master copy."""
        if not self._master_copy_needed(weight) or not isinstance(grad, nd.NDArray) or grad.dtype != weight.dtype:
            return super().update_multi_precision(index, weight, grad, state)
        _check_pair('NAG', weight, grad)
        self._update_count(index)
        lr, wd, kwargs = self._get_lr(index), self._get_wd(index), self._common_kwargs()
        master, mom = state
        if mom is not None:
            _fused('mp_nag_mom_update', (weight, grad, mom, master), weight, lr=lr, wd=wd, momentum=self.momentum,
                   **kwargs)
        else:
            _fused('mp_sgd_update', (weight, grad, master), weight, lr=lr, wd=wd, **kwargs)


@register
class Adam(Optimizer):
    """Adam, with MXNet's bias correction folded into the learning rate. At the weight's update ``t``::

        g = clip(rescale_grad * grad + wd * weight, clip_gradient)
        m = beta1 * m + (1 - beta1) * g
        v = beta2 * v + (1 - beta2) * g**2
        weight -= lr * sqrt(1 - beta2**t) / (1 - beta1**t) * m / (sqrt(v) + epsilon)
    """

    def __init__(self, learning_rate=0.001, beta1=0.9, beta2=0.999, epsilon=1e-8, lazy_update=True, **kwargs):
        super(Adam, self).__init__(learning_rate=learning_rate, **kwargs)
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
        self.lazy_update = lazy_update

    def create_state(self, index, weight):
        return (_zeros_like(weight), _zeros_like(weight))  # mean, variance

    def update(self, index, weight, grad, state):
        _check_pair('Adam', weight, grad)
        self._update_count(index)
        lr = self._get_lr(index)
        wd = self._get_wd(index)
        t = self._index_update_count[index]
        lr *= math.sqrt(1. - self.beta2 ** t) / (1. - self.beta1 ** t)
        mean, var = state
        kwargs = self._common_kwargs()
        if grad.stype != 'default':
            kwargs['lazy_update'] = self.lazy_update
        _fused('adam_update', (weight, grad, mean, var), weight, lr=lr, wd=wd, beta1=self.beta1, beta2=self.beta2,
               epsilon=self.epsilon, **kwargs)


@register
class AdaGrad(Optimizer):
    """AdaGrad::

        g = clip(rescale_grad * grad, clip_gradient)
        history += g**2
        weight -= lr * (g / sqrt(history + eps) + wd * weight)
    """

    def __init__(self, eps=1e-7, **kwargs):
        super(AdaGrad, self).__init__(**kwargs)
        self.float_stable_eps = eps

    def create_state(self, index, weight):
        return _zeros_like(weight)  # history

    def update(self, index, weight, grad, state):
        _check_pair('AdaGrad', weight, grad)
        self._update_count(index)
        lr = self._get_lr(index)
        wd = self._get_wd(index)
        history = state
        g = _clipped_grad(self, grad)
        history[:] = history + g * g
        div = g / nd.sqrt(history + self.float_stable_eps)
        weight[:] = weight - (div + weight * wd) * lr


@register
class RMSProp(Optimizer):
    """RMSProp. With ``centered=False`` (Tieleman & Hinton)::

        g = clip(rescale_grad * grad + wd * weight, clip_gradient)
        n = (1 - gamma1) * g**2 + gamma1 * n
        weight -= lr * g / sqrt(n + epsilon)

    With ``centered=True`` (Graves 2013) it also tracks the mean gradient ``m`` and a momentum ``delta``::

        m = (1 - gamma1) * g + gamma1 * m
        delta = gamma2 * delta - lr * g / sqrt(n - m**2 + epsilon)
        weight += delta

    ``clip_weights`` clips the weights into ``[-clip_weights, clip_weights]`` after the step.
    """

    def __init__(self, learning_rate=0.001, gamma1=0.9, gamma2=0.9, epsilon=1e-8, centered=False,
                 clip_weights=None, **kwargs):
        super(RMSProp, self).__init__(learning_rate=learning_rate, **kwargs)
        self.gamma1 = gamma1
        self.gamma2 = gamma2
        self.centered = centered
        self.epsilon = epsilon
        self.clip_weights = clip_weights

    def create_state(self, index, weight):
        if self.centered:
            return (_zeros_like(weight), _zeros_like(weight), _zeros_like(weight))  # n, g, delta
        return (_zeros_like(weight),)  # n

    def update(self, index, weight, grad, state):
        _check_pair('RMSProp', weight, grad)
        self._update_count(index)
        lr = self._get_lr(index)
        wd = self._get_wd(index)
        kwargs = self._common_kwargs()
        kwargs.update(gamma1=self.gamma1, epsilon=self.epsilon)
        if self.clip_weights:
            kwargs['clip_weights'] = self.clip_weights
        if not self.centered:
            (n,) = state
            _fused('rmsprop_update', (weight, grad, n), weight, lr=lr, wd=wd, **kwargs)
            return
        n, g_mean, delta = state
        if hasattr(nd, 'rmspropalex_update'):
            _fused('rmspropalex_update', (weight, grad, n, g_mean, delta), weight, lr=lr, wd=wd, gamma2=self.gamma2,
                   **kwargs)
            return
        # composed from NDArray operations when the library has no fused centered-RMSProp operator
        g = grad * self.rescale_grad + weight * wd
        if self.clip_gradient:
            g = nd.clip(g, -self.clip_gradient, self.clip_gradient)
        n[:] = g * g * (1 - self.gamma1) + n * self.gamma1
        g_mean[:] = g * (1 - self.gamma1) + g_mean * self.gamma1
        delta[:] = delta * self.gamma2 - g * lr / nd.sqrt(n - g_mean * g_mean + self.epsilon)
        weight[:] = weight + delta
        if self.clip_weights:
            weight[:] = nd.clip(weight, -self.clip_weights, self.clip_weights)


@register
class AdaDelta(Optimizer):
    """AdaDelta (Zeiler 2012)::

        g = clip(rescale_grad * grad, clip_gradient)
        acc_g = rho * acc_g + (1 - rho) * g**2
        delta = sqrt(acc_delta + epsilon) / sqrt(acc_g + epsilon) * g
        acc_delta = rho * acc_delta + (1 - rho) * delta**2
        weight -= delta + wd * weight
    """

    def __init__(self, rho=0.90, epsilon=1e-5, **kwargs):
        super(AdaDelta, self).__init__(**kwargs)
        self.rho = rho
        self.epsilon = epsilon

    def create_state(self, index, weight):
        return (_zeros_like(weight), _zeros_like(weight))  # accumulated g, accumulated delta

    def update(self, index, weight, grad, state):
        _check_pair('AdaDelta', weight, grad)
        self._update_count(index)
        wd = self._get_wd(index)
        g = _clipped_grad(self, grad)
        acc_g, acc_delta = state
        acc_g[:] = acc_g * self.rho + g * g * (1. - self.rho)
        delta = nd.sqrt(acc_delta + self.epsilon) / nd.sqrt(acc_g + self.epsilon) * g
        acc_delta[:] = acc_delta * self.rho + delta * delta * (1. - self.rho)
        weight[:] = weight - (delta + weight * wd)


def _clipped_grad(opt, grad):
    """clip(rescale_grad * grad, clip_gradient)."""
    g = grad * opt.rescale_grad
    if opt.clip_gradient is not None:
        g = nd.clip(g, -opt.clip_gradient, opt.clip_gradient)
    return g


def _grad_with_wd(opt, grad, weight, wd):
    """clip(rescale_grad * grad + wd * weight, clip_gradient)."""
    g = grad * opt.rescale_grad + weight * wd
    if opt.clip_gradient is not None:
        g = nd.clip(g, -opt.clip_gradient, opt.clip_gradient)
    return g


@register
class Adamax(Optimizer):
    """AdaMax, Adam with the infinity norm (Kingma and Ba). At the weight's update ``t``::

        g = clip(rescale_grad * grad + wd * weight, clip_gradient)
        m = beta1 * m + (1 - beta1) * g
        u = max(beta2 * u, |g|)
        weight -= lr / (1 - beta1**t) * m / u
    """

    def __init__(self, learning_rate=0.002, beta1=0.9, beta2=0.999, **kwargs):
        super(Adamax, self).__init__(learning_rate=learning_rate, **kwargs)
        self.beta1 = beta1
        self.beta2 = beta2

    def create_state(self, index, weight):
        return (_zeros_like(weight), _zeros_like(weight))  # mean, infinity norm

    def update(self, index, weight, grad, state):
        _check_pair('Adamax', weight, grad)
        self._update_count(index)
        t = self._index_update_count[index]
        lr = self._get_lr(index) / (1. - self.beta1 ** t)
        g = _grad_with_wd(self, grad, weight, self._get_wd(index))
        m, u = state
        m[:] = m * self.beta1 + g * (1. - self.beta1)
        u[:] = nd.maximum(u * self.beta2, nd.abs(g))
        weight[:] = weight - m / u * lr


@register
class Nadam(Optimizer):
    """Adam with Nesterov momentum (Dozat), with a momentum schedule. At the weight's update ``t``, with
    ``mu(t) = beta1 * (1 - 0.5 * 0.96**(t * schedule_decay))`` and ``schedule`` the product of the mu(t) so far (one
    product for the optimizer, over the updates of every weight, as MXNet)::

        g = clip(rescale_grad * grad + wd * weight, clip_gradient)
        m = beta1 * m + (1 - beta1) * g;  v = beta2 * v + (1 - beta2) * g**2
        m_bar = (1 - mu(t)) * g / (1 - schedule) + mu(t+1) * m / (1 - schedule * mu(t+1))
        weight -= lr * m_bar / (sqrt(v / (1 - beta2**t)) + epsilon)
    """

    def __init__(self, learning_rate=0.001, beta1=0.9, beta2=0.999, epsilon=1e-8, schedule_decay=0.004, **kwargs):
        super(Nadam, self).__init__(learning_rate=learning_rate, **kwargs)
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
        self.schedule_decay = schedule_decay
        self.m_schedule = 1.

    def create_state(self, index, weight):
        return (_zeros_like(weight), _zeros_like(weight))  # mean, variance

    def update(self, index, weight, grad, state):
        _check_pair('Nadam', weight, grad)
        self._update_count(index)
        t = self._index_update_count[index]
        lr = self._get_lr(index)
        g = _grad_with_wd(self, grad, weight, self._get_wd(index))
        mu = self.beta1 * (1. - 0.5 * 0.96 ** (t * self.schedule_decay))
        mu_next = self.beta1 * (1. - 0.5 * 0.96 ** ((t + 1) * self.schedule_decay))
        self.m_schedule *= mu
        schedule_next = self.m_schedule * mu_next
        m, v = state
        m[:] = m * self.beta1 + g * (1. - self.beta1)
        v[:] = v * self.beta2 + g * g * (1. - self.beta2)
        m_bar = g * ((1. - mu) / (1. - self.m_schedule)) + m * (mu_next / (1. - schedule_next))
        weight[:] = weight - m_bar / (nd.sqrt(v / (1. - self.beta2 ** t)) + self.epsilon) * lr


@register
class Signum(Optimizer):
    """signSGD with momentum (Bernstein et al.). With momentum::

        g = clip(rescale_grad * grad, clip_gradient) + wd * weight
        mom = momentum * mom - (1 - momentum) * g
        weight = (1 - lr * wd_lh) * weight + lr * sign(mom)

    Without (momentum=0), as MXNet's signsgd_update: ``weight = (1 - lr * (wd + wd_lh)) * weight -
    lr * sign(clip(rescale_grad * grad, clip_gradient))`` (MXNet 1.9.1 rejects wd_lh there).
    """

    def __init__(self, learning_rate=0.01, momentum=0.9, wd_lh=0.0, **kwargs):
        super(Signum, self).__init__(learning_rate=learning_rate, **kwargs)
        self.momentum = momentum
        self.wd_lh = wd_lh

    def create_state(self, index, weight):
        return _zeros_like(weight) if self.momentum != 0.0 else None

    def update(self, index, weight, grad, state):
        _check_pair('Signum', weight, grad)
        self._update_count(index)
        lr = self._get_lr(index)
        wd = self._get_wd(index)
        if state is None:
            g = _clipped_grad(self, grad)
            weight[:] = weight * (1. - lr * (wd + self.wd_lh)) - nd.sign(g) * lr
            return
        _fused('signum_update', (weight, grad, state), weight, lr=lr, wd=wd, momentum=self.momentum,
               wd_lh=self.wd_lh, **self._common_kwargs())


@register
class FTML(Optimizer):
    """Follow the Moving Leader (Zheng and Kwok). At the weight's update ``t``::

        g = clip(rescale_grad * grad + wd * weight, clip_gradient)
        v = beta2 * v + (1 - beta2) * g**2
        d = (1 - beta1**t) / lr * (sqrt(v / (1 - beta2**t)) + epsilon)
        z = beta1 * z + (1 - beta1) * g - (d - beta1 * d_prev) * weight;  d_prev = d
        weight = -z / d
    """

    def __init__(self, learning_rate=0.0025, beta1=0.6, beta2=0.999, epsilon=1e-8, **kwargs):
        super(FTML, self).__init__(learning_rate=learning_rate, **kwargs)
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon

    def create_state(self, index, weight):
        return (_zeros_like(weight), _zeros_like(weight), _zeros_like(weight))  # d_prev, v, z

    def update(self, index, weight, grad, state):
        _check_pair('FTML', weight, grad)
        self._update_count(index)
        t = self._index_update_count[index]
        kwargs = self._common_kwargs()
        if 'clip_gradient' in kwargs:
            kwargs['clip_grad'] = kwargs.pop('clip_gradient')  # ftml_update's name for it
        d_prev, v, z = state
        _fused('ftml_update', (weight, grad, d_prev, v, z), weight, lr=self._get_lr(index), wd=self._get_wd(index),
               t=t, beta1=self.beta1, beta2=self.beta2, epsilon=self.epsilon, **kwargs)


@register
class Ftrl(Optimizer):
    """FTRL-proximal (McMahan et al.)::

        g = clip(rescale_grad * grad, clip_gradient)
        z += g - (sqrt(n + g**2) - sqrt(n)) * weight / lr;  n += g**2
        weight = (sign(z) * lamda1 - z) / ((beta + sqrt(n)) / lr + wd) where |z| > lamda1, else 0
    """

    def __init__(self, lamda1=0.01, learning_rate=0.1, beta=1, **kwargs):
        super(Ftrl, self).__init__(learning_rate=learning_rate, **kwargs)
        self.lamda1 = lamda1
        self.beta = beta

    def create_state(self, index, weight):
        return (_zeros_like(weight), _zeros_like(weight))  # z, n

    def update(self, index, weight, grad, state):
        _check_pair('Ftrl', weight, grad)
        self._update_count(index)
        lr = self._get_lr(index)
        wd = self._get_wd(index)
        z, n = state
        _fused('ftrl_update', (weight, grad, z, n), weight, lr=lr, wd=wd, lamda1=self.lamda1, beta=self.beta,
               **self._common_kwargs())


# -- Updater ---------------------------------------------------------------------------------------------------
@register
class LAMB(Optimizer):
    """LAMB, layer-wise adaptive moments for large batches (You et al. 2019). At the weight's update ``t``::

        g = clip(rescale_grad * grad, clip_gradient)
        m = beta1 * m + (1 - beta1) * g;  v = beta2 * v + (1 - beta2) * g**2
        r = m_hat / (sqrt(v_hat) + epsilon) + wd * weight   (m_hat, v_hat: bias-corrected with bias_correction)
        r1 = ||weight|| bounded to [lower_bound, upper_bound] (when given), r2 = ||r||
        weight -= lr * (r1 / r2 if both are positive else 1) * r
    """

    _updates_lists = True

    def __init__(self, learning_rate=0.001, beta1=0.9, beta2=0.999, epsilon=1e-6, lower_bound=None,
                 upper_bound=None, bias_correction=True, **kwargs):
        super(LAMB, self).__init__(learning_rate=learning_rate, **kwargs)
        self.beta1, self.beta2, self.epsilon = beta1, beta2, epsilon
        self.lower_bound, self.upper_bound = lower_bound, upper_bound
        self.bias_correction = bias_correction
        self.aggregate_num = max(1, min(45, _aggregation_size(45)))  # as MXNet 1.9.1's

    def create_state(self, index, weight):
        return (_zeros_like(weight), _zeros_like(weight))  # mean, variance

    def update(self, index, weight, grad, state):
        indices, weights, grads, states = _update_lists('LAMB', index, weight, grad, state)
        self._update_count(indices)
        params = dict(self._common_kwargs(), num_tensors=len(indices), beta1=self.beta1, beta2=self.beta2,
                      epsilon=self.epsilon, bias_correction=self.bias_correction,
                      learning_rates=tuple(self._get_lrs(indices)), wds=tuple(self._get_wds(indices)),
                      step_count=tuple(self._index_update_count[i] for i in indices))
        if self.lower_bound is not None:
            params['lower_bound'] = self.lower_bound
        if self.upper_bound is not None:
            params['upper_bound'] = self.upper_bound
        inputs = []
        for w, g, (mean, var) in zip(weights, grads, states):
            inputs += [w, g, mean, var]
        # one fused call (phase 1, both norms and phase 2 of every tensor), the same for one tensor or several
        _fused('_multi_lamb_update', inputs, weights, **params)


@register
class LARS(Optimizer):
    """SGD with momentum and layer-wise adaptive rate scaling (You et al. 2017), as MXNet 1.9.1's::

        lr' = lr * eta * ||weight|| / (rescale_grad * ||grad|| + wd * ||weight|| + eps)
              (lr when either norm is 0; lr and no weight decay for parameters whose names end in gamma, beta or bias)
        state = m * state - lr' * (clip(rescale_grad * grad, clip_gradient) + wd * weight);  weight += state
        (weight -= lr' * (...) without momentum)

    With ``momentum_correction`` (Goyal et al. 2017) ``m`` is ``momentum * lr / previous_lr`` when the scheduled
    learning rate changed since the weight's previous update, else ``momentum``. Every update runs on the device
    (``multi_sum_sq``, ``multi_lars``, ``preloaded_multi_sgd_mom_update``), up to ``aggregate_num`` weights per call.
    Not as MXNet: MXNet corrects the momentum of the first update call after the change only (with separate calls per
    weight, the first weight); mxc corrects every weight's.
    """

    _updates_lists = True

    def __init__(self, momentum=0.0, lazy_update=True, eta=0.001, eps=0, momentum_correction=True, **kwargs):
        super(LARS, self).__init__(**kwargs)
        self.momentum, self.lazy_update, self.eta, self.eps = momentum, lazy_update, eta, eps
        self.momentum_correction = momentum_correction
        self.aggregate_num = _aggregation_size()
        self._last_lr = {}  # index -> the scheduled learning rate of its previous update

    def create_state(self, index, weight):
        return _zeros_like(weight) if self.momentum != 0.0 else None

    def update(self, index, weight, grad, state):
        indices, weights, grads, states = _update_lists('LARS', index, weight, grad, state)
        self._update_count(indices)
        lr = self.learning_rate
        lrs, wds = self._get_lrs(indices), self._get_wds(indices)
        # weights whose momentum is corrected by the same factor go together
        groups = {}
        for k, idx in enumerate(indices):
            factor = 1.0
            last = self._last_lr.get(idx)
            if self.momentum_correction and last and lr != last:
                factor = lr / last
            self._last_lr[idx] = lr
            groups.setdefault(factor, []).append(k)
        for factor, ks in groups.items():
            self._step([indices[k] for k in ks], [weights[k] for k in ks], [grads[k] for k in ks],
                       [states[k] for k in ks], [lrs[k] for k in ks], [wds[k] for k in ks], self.momentum * factor)

    def _step(self, indices, weights, grads, states, lrs, wds, momentum):
        ctx, dtype = weights[0].context, weights[0].dtype
        n = len(weights)
        scaled = [not self.idx2name.get(idx, str(idx)).endswith(('gamma', 'beta', 'bias')) for idx in indices]
        wds = [wd if s else 0.0 for wd, s in zip(wds, scaled)]  # MXNet 1.9.1: no weight decay on those either
        lrs = nd.array(lrs, ctx=ctx, dtype='float32')
        wds = nd.array(wds, ctx=ctx, dtype='float32')
        if any(scaled):
            w_sq = nd.multi_sum_sq(*weights, num_arrays=n)
            g_sq = nd.multi_sum_sq(*grads, num_arrays=n)
            lars = nd.multi_lars(lrs, w_sq, g_sq, wds, eta=self.eta, eps=self.eps, rescale_grad=self.rescale_grad)
            lrs = lars if all(scaled) else nd.where(nd.array(scaled, ctx=ctx, dtype='float32'), lars, lrs)
        if numpy.dtype(dtype) != numpy.float32:
            lrs, wds = lrs.astype(dtype), wds.astype(dtype)
        params = dict(self._common_kwargs(), num_weights=n)
        inputs = []
        if self.momentum != 0.0:
            for w, g, mom in zip(weights, grads, states):
                inputs += [w, g, mom]
            _fused('preloaded_multi_sgd_mom_update', inputs + [lrs, wds], weights, momentum=momentum, **params)
        else:
            for w, g in zip(weights, grads):
                inputs += [w, g]
            _fused('preloaded_multi_sgd_update', inputs + [lrs, wds], weights, **params)


@register
class SGLD(Optimizer):
    """Stochastic gradient Langevin dynamics (Welling and Teh 2011)::

        weight = weight - lr / 2 * (clip(rescale_grad * grad, clip_gradient) + wd * weight) + N(0, sqrt(lr))
    """

    def create_state(self, index, weight):
        return None

    def update(self, index, weight, grad, state):
        _check_pair('SGLD', weight, grad)
        self._update_count(index)
        lr, wd = self._get_lr(index), self._get_wd(index)
        g = _clipped_grad(self, grad)
        noise = nd.random.normal(0, math.sqrt(lr), shape=weight.shape, dtype=weight.dtype, ctx=weight.context)
        weight[:] = weight - (g + weight * wd) * (lr / 2.) + noise


@register
class DCASGD(Optimizer):
    """Delay-compensated asynchronous SGD (Zheng et al. 2016)::

        g = clip(rescale_grad * grad, clip_gradient)
        step = lr * (g + wd * weight + lamda * g * g * (weight - previous_weight))
        previous_weight = weight   (the weight before this update, as MXNet keeps it)
        state = momentum * state - step;  weight += state        (weight -= step without momentum)
    """

    def __init__(self, momentum=0.0, lamda=0.04, **kwargs):
        super(DCASGD, self).__init__(**kwargs)
        self.momentum, self.lamda = momentum, lamda

    def create_state(self, index, weight):
        mom = _zeros_like(weight) if self.momentum != 0.0 else None
        return (mom, weight.copy())  # momentum, previous weight

    def update(self, index, weight, grad, state):
        _check_pair('DCASGD', weight, grad)
        self._update_count(index)
        lr, wd = self._get_lr(index), self._get_wd(index)
        g = _clipped_grad(self, grad)
        mom, previous = state
        step = (g + weight * wd + g * g * (weight - previous) * self.lamda) * lr
        previous[:] = weight
        if mom is not None:
            mom[:] = mom * self.momentum - step
            weight[:] = weight + mom
        else:
            weight[:] = weight - step


@register
class ccSGD(SGD):
    """[DEPRECATED] Same as `SGD`. Left here for backward compatibility (MXNet's ccSGD)."""


@register
class Test(Optimizer):
    """The Test optimizer (MXNet's): ``weight += rescale_grad * grad``; the state (zeros at first) becomes a copy of
    the new weight. The learning rate and weight decay are not used."""

    def create_state(self, index, weight):
        return _zeros_like(weight)

    def update(self, index, weight, grad, state):
        _check_pair('Test', weight, grad)
        weight[:] = weight + grad * self.rescale_grad
        state[:] = weight


@register
class LBSGD(Optimizer):
    """The Large Batch SGD optimizer with momentum and weight decay (MXNet 1.9.1's LBSGD)::

        state = momentum * state + lr' * (clip(rescale_grad * grad, clip_gradient) + wd * weight)
        weight = weight - state

    With ``batch_scale`` k > 1 the gradients of k successive updates of a weight are summed and the weight changes at
    every k-th update only, from their mean. The learning rate lr' is the learning rate times a multiplier:

    - warmup ``linear``, ``power2`` or ``sqrt``: ``1 + (k - 1) f(u / (warmup_epochs * updates_per_epoch))`` with
      ``f(x) = x``, ``x ** 2`` or ``sqrt(x)``, and ``k`` once the warmup is over, where ``u`` is the weight's update
      count plus ``begin_epoch * updates_per_epoch``;
    - ``lars`` (Layer-wise Adaptive Rate Scaling): ``||w|| / sqrt(||g||^2 + wd ||w||^2)`` clipped to [0.01, 100], for
      the weight w and the (mean, not rescaled) gradient g of the update.

    ``num_epochs`` is accepted (as MXNet's). The Updater calls it one weight at a time (``aggregate_num`` 0); lists of
    indices, weights, gradients and states are updated one weight after the other.
    """

    _STRATEGIES = ('linear', 'power2', 'sqrt', 'lars')

    def __init__(self, momentum=0.0, multi_precision=False, warmup_strategy='linear', warmup_epochs=5,
                 batch_scale=1, updates_per_epoch=32, begin_epoch=0, num_epochs=60, **kwargs):
        super(LBSGD, self).__init__(multi_precision=multi_precision, **kwargs)
        if warmup_strategy not in self._STRATEGIES:
            raise ValueError("LBSGD: warmup_strategy must be one of %s, got %r" % (", ".join(self._STRATEGIES),
                                                                                  warmup_strategy))
        if int(batch_scale) < 1:
            raise ValueError("LBSGD: batch_scale must be at least 1, got %r" % (batch_scale,))
        self.momentum = momentum
        self.warmup_strategy = warmup_strategy
        self.warmup_epochs = warmup_epochs
        self.batch_scale = int(batch_scale)
        self.updates_per_epoch = updates_per_epoch
        self.begin_epoch = begin_epoch
        self.num_epochs = num_epochs
        self.init_updates = begin_epoch * updates_per_epoch
        self._cum_grads = {}  # index -> [sum of the gradients so far, their count]

    def create_state(self, index, weight):
        if self.momentum != 0.0:
            return _zeros_like(weight)
        return None

    def _get_lbmult(self, nup):
        """The warmup multiplier of the learning rate at update count ``nup`` (not for lars)."""
        maxup = self.warmup_epochs * self.updates_per_epoch
        k = self.batch_scale
        if nup >= maxup:
            return float(k)
        frac = float(nup) / maxup
        if self.warmup_strategy == 'power2':
            frac = frac * frac
        elif self.warmup_strategy == 'sqrt':
            frac = math.sqrt(frac)
        return 1.0 + (k - 1) * frac

    @staticmethod
    def _get_lars(weight, grad, wd):
        """||w|| / sqrt(||g||^2 + wd ||w||^2), clipped to [0.01, 100] (in float64)."""
        w2 = float(numpy.sum(numpy.square(weight.asnumpy().astype(numpy.float64))))
        g2 = float(numpy.sum(numpy.square(grad.asnumpy().astype(numpy.float64))))
        den = g2 + wd * w2
        if w2 == 0.0 or not den > 0.0:
            ratio = 0.0 if w2 == 0.0 else float('inf')
        else:
            ratio = math.sqrt(w2 / den)
        return min(max(ratio, 0.01), 100.0)

    def _cumulate_gradient(self, index, grad):
        """The mean of the last ``batch_scale`` gradients of ``index`` once there are that many, else None."""
        if self.batch_scale == 1:
            return grad
        entry = self._cum_grads.get(index)
        if entry is None:
            entry = self._cum_grads[index] = [grad.copy(), 1]
        else:
            if entry[0].context != grad.context:  # (restored by Updater.set_states onto the cpu)
                entry[0] = entry[0].as_in_context(grad.context)
            entry[0][:] = entry[0] + grad
            entry[1] += 1
        if entry[1] < self.batch_scale:
            return None
        del self._cum_grads[index]
        return entry[0] / self.batch_scale

    def update(self, index, weight, grad, state):
        if isinstance(index, (list, tuple)):
            for i, w, g, st in zip(*_update_lists('LBSGD', index, weight, grad, state)):
                self.update(i, w, g, st)
            return
        _check_pair('LBSGD', weight, grad)
        self._update_count(index)
        g = self._cumulate_gradient(index, grad)
        if g is None:
            return
        lr, wd = self._get_lr(index), self._get_wd(index)
        if self.warmup_strategy == 'lars':
            lr *= self._get_lars(weight, g, wd)
        else:
            lr *= self._get_lbmult(self.init_updates + self._index_update_count[index])
        kwargs = self._common_kwargs()
        if state is not None:
            _fused('sgd_mom_update', (weight, g, state), weight, lr=lr, wd=wd, momentum=self.momentum, **kwargs)
        else:
            _fused('sgd_update', (weight, g), weight, lr=lr, wd=wd, **kwargs)


class _SavedArray(object):
    """An NDArray's content in a pickled optimizer state (mxc pickles states through NumPy so that the states
    file does not depend on how NDArrays pickle)."""

    __slots__ = ('value',)

    def __init__(self, value):
        self.value = value

    def __getstate__(self):
        return self.value

    def __setstate__(self, value):
        self.value = value


def _states_to_numpy(state):
    if isinstance(state, nd.NDArray):
        return _SavedArray(state.asnumpy())
    if isinstance(state, (tuple, list)):
        return type(state)(_states_to_numpy(s) for s in state)
    if isinstance(state, dict):
        return {k: _states_to_numpy(v) for k, v in state.items()}
    return state


def _states_from_numpy(state, ctx=None):
    if isinstance(state, _SavedArray):
        value = state.value
        return nd.array(value, ctx=ctx, dtype=value.dtype) if ctx is not None else nd.array(value, dtype=value.dtype)
    if isinstance(state, (tuple, list)):
        return type(state)(_states_from_numpy(s, ctx) for s in state)
    if isinstance(state, dict):
        return {k: _states_from_numpy(v, ctx) for k, v in state.items()}
    return state


class Updater(object):
    """Applies an optimizer to indexed weights, creating each weight's state on first use.

    Called as ``updater(index, grad, weight)`` (or with lists of indices, gradients and weights).
    """

    def __init__(self, optimizer):
        if not isinstance(optimizer, Optimizer):
            raise TypeError("Updater: expected an Optimizer, got %s" % type(optimizer).__name__)
        self.optimizer = optimizer
        self.states = {}
        self.states_synced = {}
        self._device = {}  # index -> device id of its weight (update counts are kept per device)
        self._group = {}   # index -> (dtype, device) of its weight: weights of one group are updated together

    def __call__(self, index, grad, weight):
        if isinstance(index, (list, tuple)):
            indices, grads, weights = list(index), list(grad), list(weight)
        else:
            indices, grads, weights = [index], [grad], [weight]
        if not (len(indices) == len(grads) == len(weights)):
            raise ValueError("Updater: %d indices, %d gradients and %d weights: the lists must have one entry per weight"
                             % (len(indices), len(grads), len(weights)))
        optimizer = self.optimizer
        for idx, g, w in zip(indices, grads, weights):
            if idx not in self.states:
                if tuple(w.shape) != tuple(g.shape):
                    raise ValueError("%s: weight %r has shape %s but its gradient has shape %s"
                                     % (type(optimizer).__name__, optimizer.idx2name.get(idx, idx),
                                        tuple(w.shape), tuple(g.shape)))
                self._place(idx, w)
                self.states[idx] = optimizer.create_state_multi_precision(idx, w)
                self.states_synced[idx] = True
            elif not self.states_synced[idx]:
                self._place(idx, w)
                self.states[idx] = self.sync_state_context(self.states[idx], w.context)
                self.states_synced[idx] = True
        aggregate = getattr(optimizer, 'aggregate_num', 0) or 0
        if aggregate > 0 and len(indices) > 1:
            # weights of one dtype and device go together, in their order, up to aggregate_num at a time
            groups = {}
            for idx, g, w in zip(indices, grads, weights):
                key = self._group.get(idx) or self._place(idx, w)
                groups.setdefault(key, []).append((idx, g, w))
            for members in groups.values():
                for start in range(0, len(members), aggregate):
                    chunk = members[start:start + aggregate]
                    optimizer._set_current_context(self._device[chunk[0][0]])
                    optimizer.update_multi_precision([m[0] for m in chunk], [m[2] for m in chunk],
                                                     [m[1] for m in chunk], [self.states[m[0]] for m in chunk])
            return
        for idx, g, w in zip(indices, grads, weights):
            optimizer._set_current_context(self._device[idx])
            optimizer.update_multi_precision(idx, w, g, self.states[idx])

    def _place(self, idx, weight):
        """Records the device (update counts are per device) and the aggregation group (dtype, device) of a weight,
        when its state is created or moved."""
        ctx = weight.context
        self._device[idx] = getattr(ctx, 'device_id', 0)
        key = self._group[idx] = (numpy.dtype(weight.dtype).name, str(ctx))
        return key

    def sync_state_context(self, state, context):
        """Moves a (nested) state to ``context``."""
        if isinstance(state, nd.NDArray):
            return state.as_in_context(context)
        if isinstance(state, (tuple, list)):
            return type(state)(self.sync_state_context(s, context) for s in state)
        return state

    def set_states(self, states):
        """Restores states (and the optimizer, when saved with it) from ``get_states()`` bytes."""
        loaded = pickle.loads(states)
        if isinstance(loaded, tuple) and len(loaded) == 2 and isinstance(loaded[1], Optimizer):
            states, self.optimizer = loaded
        else:
            states = loaded
        self.states = _states_from_numpy(states)
        self.states_synced = dict.fromkeys(self.states.keys(), False)

    def get_states(self, dump_optimizer=False):
        """Serializes the states (and, with ``dump_optimizer``, the optimizer with its update counts and
        schedule) to bytes."""
        states = _states_to_numpy(self.states)
        return pickle.dumps((states, self.optimizer) if dump_optimizer else states)


def get_updater(optimizer):
    """Returns an ``Updater`` for ``optimizer``."""
    return Updater(optimizer)


from . import optimizer_contrib as contrib  # noqa: E402,F401  (mx.optimizer.contrib, as in MXNet)
