"""Operators registered as ``_contrib_<name>``, exposed as ``mx.nd.contrib.<name>`` (filled in at import time), and
``boolean_mask``, written here: its output shape depends on the values of ``index``; the control flow functions
``foreach``, ``while_loop`` and ``cond`` are in ``control_flow``."""
import numpy as np

from ..base import MXNetValueError, ShapeError
from .control_flow import foreach, while_loop, cond  # noqa: F401


def boolean_mask(data, index, axis=0, out=None):
    """The slices ``data[i]`` (along axis 0) where ``index[i]`` is nonzero, in order (MXNet's
    ``contrib.boolean_mask``). The output shape depends on the values of ``index``, which are read at the call (a
    wait); the gradient goes to the selected slices (through ``take``)."""
    from .ndarray import NDArray, array
    from . import take
    if axis != 0:
        raise MXNetValueError("boolean_mask: axis=%s is not supported (only axis=0, as MXNet 1.9.1)" % (axis,))
    if not isinstance(data, NDArray) or not isinstance(index, NDArray):
        raise TypeError("boolean_mask: data and index must be NDArrays")
    if index.ndim != 1 or data.ndim < 1 or index.shape[0] != data.shape[0]:
        raise ShapeError("boolean_mask: index shape %s must be (%s,) for data shape %s"
                         % (index.shape, data.shape[0] if data.ndim else "?", data.shape))
    pos = np.flatnonzero(index.asnumpy())
    res = take(data, array(pos, ctx=data.context, dtype=np.int64), axis=0)
    if out is not None:
        res.copyto(out)
        return out
    return res


# -- multi-tensor AdamW and LAMB (MXNet's contrib functions over the _multi_*_update operators) -----------------
def _interleave(*lists):
    size = len(lists[0])
    for lst in lists[1:]:
        if len(lst) != size:
            raise MXNetValueError("the lists of weights, gradients and states must have the same length (%d vs %d)"
                                  % (size, len(lst)))
    return [lst[k] for k in range(size) for lst in lists]


def _rescale_array(rescale_grad, like):
    from .ndarray import NDArray, array
    if isinstance(rescale_grad, NDArray):
        return rescale_grad
    return array([rescale_grad], ctx=like.context, dtype=np.float32)


def multi_adamw_update(weights, grads, mean, var, rescale_grad, lrs, wds, etas, out=None, name=None, size=0,
                       **kwargs):
    """AdamW on every weight of ``weights`` at once (``_multi_adamw_update``); ``rescale_grad`` is an NDArray (or a
    number) and the step is skipped when it is NaN, infinite or 0."""
    from . import _internal
    size = size or len(weights)
    data = _interleave(weights, grads, mean, var) + [_rescale_array(rescale_grad, weights[0])]
    return _internal._multi_adamw_update(*data, lrs=tuple(lrs), wds=tuple(wds), etas=tuple(etas), num_weights=size,
                                         out=out, **kwargs)


def multi_mp_adamw_update(weights, grads, mean, var, weights32, rescale_grad, lrs, wds, etas, out=None, name=None,
                          size=0, **kwargs):
    """Mixed-precision AdamW on every weight of ``weights`` at once (``_multi_mp_adamw_update``)."""
    from . import _internal
    size = size or len(weights)
    data = _interleave(weights, grads, mean, var, weights32) + [_rescale_array(rescale_grad, weights[0])]
    return _internal._multi_mp_adamw_update(*data, lrs=tuple(lrs), wds=tuple(wds), etas=tuple(etas),
                                            num_weights=size, out=out, **kwargs)


def multi_lamb_update(weights, grads, mean, var, step_count, lrs, wds, out=None, num_tensors=0, **kwargs):
    """LAMB on every weight of ``weights`` at once (``_multi_lamb_update``)."""
    from . import _internal
    num_tensors = num_tensors or len(weights)
    return _internal._multi_lamb_update(*_interleave(weights, grads, mean, var), learning_rates=tuple(lrs),
                                        wds=tuple(wds), step_count=tuple(step_count), num_tensors=num_tensors,
                                        out=out, **kwargs)


def multi_mp_lamb_update(weights, grads, mean, var, weights32, step_count, lrs, wds, out=None, num_tensors=0,
                         **kwargs):
    """Mixed-precision LAMB on every weight of ``weights`` at once (``_multi_mp_lamb_update``)."""
    from . import _internal
    num_tensors = num_tensors or len(weights)
    return _internal._multi_mp_lamb_update(*_interleave(weights, grads, mean, var, weights32),
                                           learning_rates=tuple(lrs), wds=tuple(wds), step_count=tuple(step_count),
                                           num_tensors=num_tensors, out=out, **kwargs)


def rand_zipfian(true_classes, num_sampled, range_max, ctx=None):
    """Draws ``num_sampled`` classes of ``[0, range_max)`` with replacement from the approximately log-uniform
    (Zipfian) distribution ``P(c) = (log(c + 2) - log(c + 1)) / log(range_max + 1)`` (MXNet's
    ``contrib.rand_zipfian``): a draw is ``floor(exp(u)) - 1`` for ``u`` uniform in ``[0, log(range_max + 1))``.
    Returns the samples (``int64``, ``(num_sampled,)``), and the expected counts ``num_sampled * P(c)`` of the true
    classes (their shape) and of the samples, both ``float64``. (``_sample_unique_zipfian`` draws without
    replacement.)"""
    import math
    from . import random as _random
    from .. import context as _context
    if ctx is None:
        ctx = _context.current_context()
    log_range = math.log(range_max + 1)
    rand = _random.uniform(0, log_range, shape=(num_sampled,), dtype="float64", ctx=ctx)
    sampled = (rand.exp() - 1).astype("int64") % range_max

    def expected(cls):
        c = cls.astype("float64")
        return ((c + 2.0) / (c + 1.0)).log() / log_range * num_sampled
    return sampled, expected(true_classes.as_in_context(ctx)), expected(sampled)
