"""Image transforms (``mx.gluon.data.vision.transforms``), applied to NDArrays on the engine.

Images are (height, width, channels) or a batch (N, height, width, channels) until ``ToTensor`` makes them
(channels, height, width) float32 in [0, 1]. Unlike MXNet, the transforms are plain Blocks (``Compose`` does not
group them into hybridized HybridSequentials), and ``CenterCrop`` only crops (it does not resize smaller images).
"""
import numpy as np

from .... import ndarray as nd
from ....ndarray.ndarray import _Prepared
from ...block import Block
from ...nn import Sequential

__all__ = ["Compose", "Cast", "ToTensor", "Normalize", "RandomFlipLeftRight", "RandomFlipTopBottom", "CenterCrop"]


class Compose(Sequential):
    """Applies ``transforms`` in order."""

    def __init__(self, transforms):
        super().__init__()
        with self.name_scope():
            self.add(*transforms)


class _Transform(Block):
    def __repr__(self):
        return "%s(\n\n)" % type(self).__name__


def _image_rank(x, who, layout):
    if x.ndim not in (3, 4):
        raise ValueError("%s: the input must have shape %s or (N, %s), but got %s"
                         % (who, layout, layout[1:-1], x.shape))
    return x.ndim


class Cast(_Transform):
    """Casts the input to ``dtype``."""

    def __init__(self, dtype='float32'):
        super().__init__()
        self._dtype = dtype

    def forward(self, x):
        return x.astype(self._dtype)


class ToTensor(_Transform):
    """(H, W, C) or (N, H, W, C) images of any dtype to (C, H, W) or (N, C, H, W) float32 divided by 255."""

    def __init__(self):
        super().__init__()
        # Operators prepared once: a transform runs per sample, its cost is the calls.
        self._cast = _Prepared('cast', dtype='float32')
        self._chw = {3: _Prepared('transpose', axes=(2, 0, 1)), 4: _Prepared('transpose', axes=(0, 3, 1, 2))}

    def forward(self, x):
        rank = _image_rank(x, "ToTensor", "(height, width, channels)")
        return self._chw[rank](self._cast(x) / 255.0)


class Normalize(_Transform):
    """``(x - mean) / std`` per channel of a (C, H, W) or (N, C, H, W) tensor; mean and std are numbers or
    sequences of 1 or C values."""

    def __init__(self, mean=0.0, std=1.0):
        super().__init__()
        self._mean, self._std = mean, std
        self._consts = {}  # (channels, rank, context, dtype) -> (mean, std) arrays, made once

    def _per_channel(self, value, what, x, channels):
        v = np.atleast_1d(np.asarray(value, dtype=np.float32))
        if v.ndim != 1 or v.size not in (1, channels):
            raise ValueError("Normalize: %s must have either 1 or %d elements for input with shape %s, but got %s"
                             % (what, channels, x.shape, list(v.tolist())))
        if v.size == 1:
            return float(v[0])
        shape = (channels, 1, 1) if x.ndim == 3 else (1, channels, 1, 1)
        return nd.array(v.reshape(shape), ctx=x.context, dtype=x.dtype)

    def forward(self, x):
        _image_rank(x, "Normalize", "(channels, height, width)")
        if isinstance(self._mean, (int, float)) and isinstance(self._std, (int, float)):  # one mean and std
            return (x - float(self._mean)) / float(self._std)
        key = (x.shape[-3], x.ndim, x.context, x.dtype)
        if key not in self._consts:
            self._consts[key] = tuple(self._per_channel(v, what, x, key[0])
                                      for v, what in ((self._mean, "mean"), (self._std, "std")))
        mean, std = self._consts[key]
        x = x - mean if isinstance(mean, float) else nd.broadcast_sub(x, mean)
        return x / std if isinstance(std, float) else nd.broadcast_div(x, std)


class _RandomFlip(_Transform):
    _axis_from_end = None  # which image axis is reversed, counted from the channel axis

    def forward(self, x):
        rank = _image_rank(x, type(self).__name__, "(height, width, channels)")
        if np.random.random_sample() >= 0.5:
            return x
        return nd.reverse(x, axis=rank - 1 - self._axis_from_end)


class RandomFlipLeftRight(_RandomFlip):
    """Reverses the width axis with probability 0.5."""
    _axis_from_end = 1


class RandomFlipTopBottom(_RandomFlip):
    """Reverses the height axis with probability 0.5."""
    _axis_from_end = 2


class CenterCrop(_Transform):
    """Crops the centre ``size`` (an int, or (width, height)) of (H, W, C) or (N, H, W, C) images."""

    def __init__(self, size, interpolation=1):
        super().__init__()
        self._w, self._h = (size, size) if isinstance(size, int) else tuple(size)

    def forward(self, x):
        rank = _image_rank(x, "CenterCrop", "(height, width, channels)")
        h, w = x.shape[rank - 3], x.shape[rank - 2]
        if self._h > h or self._w > w:
            raise NotImplementedError("CenterCrop: the crop (width %d, height %d) is larger than the image %s; mxc "
                                      "does not resize images" % (self._w, self._h, x.shape))
        top, left = (h - self._h) // 2, (w - self._w) // 2
        lead = (None,) * (rank - 3)
        return nd.slice(x, begin=lead + (top, left, None), end=lead + (top + self._h, left + self._w, None))
