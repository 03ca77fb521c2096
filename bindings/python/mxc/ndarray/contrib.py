"""Operators registered as ``_contrib_<name>``, exposed as ``mx.nd.contrib.<name>`` (filled in at import time), and
``boolean_mask``, written here: its output shape depends on the values of ``index``."""
import numpy as np

from ..base import MXNetValueError, ShapeError


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
