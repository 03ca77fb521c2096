"""``mx.np.linalg``: norm (vectors: 2-norm or 1-norm; matrices: Frobenius)."""


def norm(x, ord=None, axis=None, keepdims=False):
    from . import _wrap, _to_array
    from .. import ndarray as _nd
    x = _to_array(x)
    if ord not in (None, 2, 1, "fro"):
        raise NotImplementedError("mx.np.linalg.norm with ord=%r is not implemented yet" % (ord,))
    if ord in (1, 2) and (axis is None and x.ndim > 1 or isinstance(axis, (tuple, list)) and len(axis) == 2):
        raise NotImplementedError("mx.np.linalg.norm: matrix norms with ord=%r are not implemented yet" % (ord,))
    kw = {"ord": 1 if ord == 1 else 2, "keepdims": bool(keepdims)}
    if axis is not None:
        kw["axis"] = axis
    if x.ndim == 0:
        x = _wrap(_nd.abs(x))
        return x
    return _wrap(_nd.norm(x, **kw))


def __getattr__(name):
    if name.startswith("__"):
        raise AttributeError(name)
    raise NotImplementedError("mx.np.linalg.%s is not implemented yet in mxc" % name)
