"""Random sampling: ``mx.nd.random.uniform`` / ``normal`` (and other ``_random_<x>`` operators of the registry,
attached at import time as ``mx.nd.random.<x>``).

Seed the generators with ``mx.random.seed``.
"""
from ..base import has_op
from .ndarray import NDArray, _call, _op, _CPU0
from ..context import current_context

__all__ = ["uniform", "normal"]


def _shape_param(shape):
    if shape is None:
        return (1,)
    if isinstance(shape, int):
        return (shape,)
    return tuple(shape)


def _random(name, sample_name, params, shape, dtype, ctx, out, kwargs):
    arrays = [v for v in params.values() if isinstance(v, NDArray)]
    if arrays:
        # Distribution parameters given as arrays: one draw (or `shape` draws) per element, as MXNet's _sample_*.
        if len(arrays) != len(params):
            raise TypeError("%s: distribution parameters must all be NDArrays or all numbers" % name)
        if not has_op(sample_name):
            raise TypeError("%s: NDArray distribution parameters need the %s operator, which this build lacks"
                            % (name, sample_name))
        p = dict(kwargs)
        if shape is not None:
            p["shape"] = _shape_param(shape)
        if dtype is not None:
            p["dtype"] = dtype
        return _call(_op(sample_name), tuple(arrays), out=out, **p)
    if ctx is None:
        ctx = current_context() if out is None else out.context
    p = dict(params)
    p.update(kwargs)
    p["shape"] = _shape_param(out.shape if (shape is None and out is not None) else shape)
    p["dtype"] = "float32" if dtype is None else dtype
    p["ctx"] = str(ctx)
    if out is not None and out.context != _CPU0:
        res = _call(_op(name), (), **p)
        return res.copyto(out)
    res = _call(_op(name), (), out=out, **p)
    return res if (out is not None or ctx == _CPU0) else res.copyto(ctx)


def uniform(low=0, high=1, shape=None, dtype=None, ctx=None, out=None, **kwargs):
    """Samples from the uniform distribution on [low, high).

    low, high: numbers, or NDArrays (one distribution per element); shape: int or tuple (default (1,));
    dtype: default float32; ctx: default the current context; out: an array to fill."""
    return _random("_random_uniform", "_sample_uniform", {"low": low, "high": high}, shape, dtype, ctx, out, kwargs)


def normal(loc=0, scale=1, shape=None, dtype=None, ctx=None, out=None, **kwargs):
    """Samples from the normal distribution with mean loc and standard deviation scale."""
    return _random("_random_normal", "_sample_normal", {"loc": loc, "scale": scale}, shape, dtype, ctx, out, kwargs)
