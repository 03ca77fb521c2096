"""``mx.np.random``: uniform and normal draws as mx.np arrays (shape and dtype as MXNet's np)."""
import numpy as _onp

from .. import ndarray as _nd


def _size(size):
    if size is None:
        return ()
    if isinstance(size, (int, _onp.integer)):
        return (int(size),)
    return tuple(int(d) for d in size)


def _draw(fn, a, b, size, dtype, ctx):
    from . import _wrap, zeros
    out = zeros(_size(size), dtype=dtype, ctx=ctx)
    shape = _size(size)
    if len(shape) == 0:
        tmp = fn(a, b, shape=(1,), dtype=_onp.dtype(dtype or _onp.float32).name, ctx=out.context)
        out[...] = tmp.reshape(())
        return out
    fn(a, b, shape=shape, dtype=_onp.dtype(dtype or _onp.float32).name, ctx=out.context, out=out)
    return _wrap(out)


def uniform(low=0.0, high=1.0, size=None, dtype=None, ctx=None, out=None):
    return _draw(_nd.random.uniform, low, high, size, dtype, ctx)


def normal(loc=0.0, scale=1.0, size=None, dtype=None, ctx=None, out=None):
    return _draw(_nd.random.normal, loc, scale, size, dtype, ctx)


def seed(s):
    from .. import random as _r
    _r.seed(s)


def __getattr__(name):
    if name.startswith("__"):
        raise AttributeError(name)
    raise NotImplementedError("mx.np.random.%s is not implemented yet in mxc" % name)
