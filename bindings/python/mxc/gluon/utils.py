"""Helpers: splitting batches over devices and clipping gradients by their global norm."""
import math

import numpy as np

from .. import ndarray as nd

__all__ = ["split_data", "split_and_load", "clip_global_norm"]


def split_data(data, num_slice, batch_axis=0, even_split=True):
    """Cuts ``data`` into ``num_slice`` pieces along ``batch_axis``."""
    total = data.shape[batch_axis]
    if even_split and total % num_slice != 0:
        raise ValueError(
            "data with shape %s cannot be evenly split into %d slices along axis %d. Use a batch size that's "
            "multiple of %d or set even_split=False to allow uneven partitioning of data."
            % (str(data.shape), num_slice, batch_axis, num_slice))
    if total < num_slice:
        raise ValueError("Too many slices for data with shape %s. Arguments are num_slice=%d and batch_axis=%d."
                         % (str(data.shape), num_slice, batch_axis))
    if num_slice == 1:
        return [data]
    base, extra = divmod(total, num_slice)
    pieces, start = [], 0
    for k in range(num_slice):
        stop = start + base + (1 if k < extra and not even_split else 0)
        if k == num_slice - 1:
            stop = total
        pieces.append(nd.slice_axis(data, axis=batch_axis, begin=start, end=stop))
        start = stop
    return pieces


def split_and_load(data, ctx_list, batch_axis=0, even_split=True):
    """Splits ``data`` over the contexts of ``ctx_list`` and copies each piece to its context."""
    if not isinstance(data, nd.NDArray):
        data = nd.array(np.asarray(data), ctx=ctx_list[0])
    if len(ctx_list) == 1:
        return [data.as_in_context(ctx_list[-1])]
    parts = split_data(data, len(ctx_list), batch_axis, even_split)
    return [piece.as_in_context(c) for piece, c in zip(parts, ctx_list)]


def clip_global_norm(arrays, max_norm, check_isfinite=True):
    """Scales ``arrays`` in place so that their joint L2 norm is at most ``max_norm``; returns that norm."""
    if not arrays:
        raise AssertionError("arrays must not be empty")
    squares = 0.0
    for a in arrays:
        v = a.asnumpy().astype(np.float64)
        squares += float((v * v).sum())
    norm = math.sqrt(squares)
    if check_isfinite and not np.isfinite(norm):
        import warnings
        warnings.warn(UserWarning('nan or inf is detected. Clipping results will be undefined.'), stacklevel=2)
    factor = max_norm / (norm + 1e-8)
    if factor < 1.0:
        for a in arrays:
            a *= factor
    return norm if check_isfinite else nd.array([norm])
