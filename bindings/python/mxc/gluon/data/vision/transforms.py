"""Image transforms (``mx.gluon.data.vision.transforms``), applied to NDArrays on the engine.

Images are (height, width, channels) or a batch (N, height, width, channels) until ``ToTensor`` makes them
(channels, height, width) float32 in [0, 1]. As in MXNet 1.9.1, Cast, ToTensor, Normalize, the flips, the colour
transforms (mx.nd.image / mx.sym.image operators), Resize and CropResize are HybridBlocks, and ``Compose`` groups runs
of consecutive HybridBlocks into hybridized HybridSequentials. Resizing is ``mx.image``'s (OpenCV's sampling rules).
"""
import numpy as np

from .... import image
from .... import ndarray as nd
from ...block import Block, HybridBlock
from ...nn import HybridSequential, Sequential

__all__ = ["Compose", "Cast", "ToTensor", "Normalize", "RandomFlipLeftRight", "RandomFlipTopBottom", "CenterCrop",
           "Resize", "CropResize", "RandomResizedCrop", "RandomBrightness", "RandomContrast", "RandomSaturation",
           "RandomHue", "RandomColorJitter", "RandomLighting", "RandomApply", "Rotate", "RandomRotation"]


class Compose(Sequential):
    """Applies ``transforms`` in order; each run of two or more consecutive HybridBlocks becomes one hybridized
    HybridSequential (as MXNet 1.9.1's)."""

    def __init__(self, transforms):
        super().__init__()
        with self.name_scope():
            run = []
            for t in list(transforms) + [None]:
                if isinstance(t, HybridBlock):
                    run.append(t)
                    continue
                if len(run) == 1:
                    self.add(run[0])
                elif len(run) > 1:
                    group = HybridSequential()
                    group.add(*run)
                    group.hybridize()
                    self.add(group)
                run = []
                if t is not None:
                    self.add(t)


class _Transform(Block):
    def __repr__(self):
        return "%s(\n\n)" % type(self).__name__


class _HybridTransform(HybridBlock):
    def __repr__(self):
        return "%s(\n\n)" % type(self).__name__


def _is_nd(F):
    return F is nd


def _image_rank(x, who, layout):
    if x.ndim not in (3, 4):
        raise ValueError("%s: the input must have shape %s or (N, %s), but got %s"
                         % (who, layout, layout[1:-1], x.shape))
    return x.ndim


class Cast(_HybridTransform):
    """Casts the input to ``dtype``."""

    def __init__(self, dtype='float32'):
        super().__init__()
        self._dtype = dtype

    def hybrid_forward(self, F, x):
        return F.cast(x, dtype=self._dtype)


class ToTensor(_HybridTransform):
    """(H, W, C) or (N, H, W, C) images of any dtype to (C, H, W) or (N, C, H, W) float32 divided by 255
    (``image.to_tensor``)."""

    def hybrid_forward(self, F, x):
        if _is_nd(F):
            _image_rank(x, "ToTensor", "(height, width, channels)")
        return F.image.to_tensor(x)


class Normalize(_HybridTransform):
    """``(x - mean) / std`` per channel of a (C, H, W) or (N, C, H, W) tensor; mean and std are numbers or
    sequences of 1 or C values."""

    def __init__(self, mean=0.0, std=1.0):
        super().__init__()
        self._mean, self._std = mean, std
        self._checked = set()  # (channels, rank) checked

    def _check(self, x):
        _image_rank(x, "Normalize", "(channels, height, width)")
        channels = x.shape[-3]
        if (channels, x.ndim) in self._checked:
            return
        for value, what in ((self._mean, "mean"), (self._std, "std")):
            v = np.atleast_1d(np.asarray(value, dtype=np.float32))
            if v.ndim != 1 or v.size not in (1, channels):
                raise ValueError("Normalize: %s must have either 1 or %d elements for input with shape %s, but got %s"
                                 % (what, channels, x.shape, list(v.tolist())))
        self._checked.add((channels, x.ndim))

    def _tuple(self, value):
        return tuple(float(v) for v in np.atleast_1d(np.asarray(value, dtype=np.float64)))

    def hybrid_forward(self, F, x):
        if _is_nd(F):
            self._check(x)
        return F.image.normalize(x, mean=self._tuple(self._mean), std=self._tuple(self._std))


class RandomFlipLeftRight(_HybridTransform):
    """Reverses the width axis of an (H, W, C) image with probability 0.5 (``image.random_flip_left_right``)."""

    def hybrid_forward(self, F, x):
        return F.image.random_flip_left_right(x)


class RandomFlipTopBottom(_HybridTransform):
    """Reverses the height axis of an (H, W, C) image with probability 0.5 (``image.random_flip_top_bottom``)."""

    def hybrid_forward(self, F, x):
        return F.image.random_flip_top_bottom(x)


def _wh(size, who):
    if isinstance(size, int):
        return size, size
    size = tuple(size)
    if len(size) != 2 or not all(isinstance(v, int) and v > 0 for v in size):
        raise ValueError("%s: size must be an int or (width, height), got %r" % (who, size))
    return size


def _per_image(x, fn):
    """fn applied to the image x (H, W, C), or to each image of the batch x (N, H, W, C)."""
    if x.ndim == 3:
        return fn(x)
    return nd.stack(*[fn(x[i]) for i in range(x.shape[0])])


class CenterCrop(_Transform):
    """Crops the centre ``size`` (an int, or (width, height)) of (H, W, C) or (N, H, W, C) images; a crop larger
    than the image is scaled down to fit, and the crop resized to ``size`` (as ``mx.image.center_crop``)."""

    def __init__(self, size, interpolation=1):
        super().__init__()
        self._w, self._h = _wh(size, "CenterCrop")
        self._interp = interpolation

    def forward(self, x):
        rank = _image_rank(x, "CenterCrop", "(height, width, channels)")
        h, w = x.shape[rank - 3], x.shape[rank - 2]
        if self._h > h or self._w > w:
            return _per_image(x, lambda im: image.center_crop(im, (self._w, self._h), self._interp)[0])
        top, left = (h - self._h) // 2, (w - self._w) // 2
        lead = (None,) * (rank - 3)
        return nd.slice(x, begin=lead + (top, left, None), end=lead + (top + self._h, left + self._w, None))


class Resize(_HybridTransform):
    """Resizes (H, W, C) or (N, H, W, C) images to ``size`` (width, height); an int size gives a square, or with
    ``keep_ratio`` the shorter edge (the longer one scaled in proportion). ``interpolation`` is OpenCV's code (0
    nearest, 1 bilinear, 2 bicubic, 3 area, 4 Lanczos). Runs ``image.resize`` (the ``_image_resize`` operator)."""

    def __init__(self, size, keep_ratio=False, interpolation=1):
        super().__init__()
        self._size = size if isinstance(size, int) else _wh(size, "Resize")
        self._keep_ratio = keep_ratio
        self._interp = interpolation

    def hybrid_forward(self, F, x):
        if _is_nd(F):
            _image_rank(x, "Resize", "(height, width, channels)")
        return F.image.resize(x, self._size, self._keep_ratio, self._interp)


class CropResize(_HybridTransform):
    """Crops the rectangle at (x, y) of ``width`` and ``height`` of (H, W, C) or (N, H, W, C) images, then resizes
    it to ``size`` (an int or (width, height)) if given. Runs ``image.crop`` and ``image.resize``."""

    def __init__(self, x, y, width, height, size=None, interpolation=None):
        super().__init__()
        self._rect = (x, y, width, height)
        self._size = None if size is None else (size if isinstance(size, int) else _wh(size, "CropResize"))
        self._interp = 1 if interpolation is None else interpolation

    def hybrid_forward(self, F, x):
        if _is_nd(F):
            _image_rank(x, "CropResize", "(height, width, channels)")
        out = F.image.crop(x, *self._rect)
        if self._size is not None:
            out = F.image.resize(out, self._size, False, self._interp)
        return out


class RandomResizedCrop(_Transform):
    """Crops a random rectangle covering a fraction in ``scale`` of the image, with an aspect ratio (width/height)
    drawn log-uniformly from ``ratio``, resized to ``size``; after 10 failed draws, the centre crop."""

    def __init__(self, size, scale=(0.08, 1.0), ratio=(3.0 / 4.0, 4.0 / 3.0), interpolation=1):
        super().__init__()
        self._size = _wh(size, "RandomResizedCrop")
        self._scale, self._ratio, self._interp = tuple(scale), tuple(ratio), interpolation

    def forward(self, x):
        _image_rank(x, "RandomResizedCrop", "(height, width, channels)")
        return _per_image(x, lambda im: image.random_size_crop(im, self._size, self._scale, self._ratio,
                                                               self._interp)[0])


def _jitter_range(value, who):
    if value < 0:
        raise ValueError("%s: the jitter must be non-negative, got %s" % (who, value))
    return max(0.0, 1.0 - value), 1.0 + value


class _ColourJitter(_HybridTransform):
    _op = None  # the image operator, given a factor range

    def __init__(self, value):
        super().__init__()
        self._args = _jitter_range(value, type(self).__name__)

    def hybrid_forward(self, F, x):
        return getattr(F.image, self._op)(x, *self._args)


class RandomBrightness(_ColourJitter):
    """Multiplies (H, W, 3) RGB images by a factor drawn from [max(0, 1 - brightness), 1 + brightness]."""
    _op = "random_brightness"

    def __init__(self, brightness):
        super().__init__(brightness)


class RandomContrast(_ColourJitter):
    """Blends each image with its mean grey value, factor from [max(0, 1 - contrast), 1 + contrast]."""
    _op = "random_contrast"

    def __init__(self, contrast):
        super().__init__(contrast)


class RandomSaturation(_ColourJitter):
    """Blends each pixel with its grey value, factor from [max(0, 1 - saturation), 1 + saturation]."""
    _op = "random_saturation"

    def __init__(self, saturation):
        super().__init__(saturation)


class RandomHue(_ColourJitter):
    """Rotates the hue by a number of turns drawn from [max(0, 1 - hue), 1 + hue] (as MXNet 1.9.1: a rotation of
    [-hue, hue] turns)."""
    _op = "random_hue"

    def __init__(self, hue):
        super().__init__(hue)


class RandomColorJitter(_HybridTransform):
    """Random brightness, contrast, saturation and hue changes in a random order."""

    def __init__(self, brightness=0, contrast=0, saturation=0, hue=0):
        super().__init__()
        self._args = (brightness, contrast, saturation, hue)

    def hybrid_forward(self, F, x):
        return F.image.random_color_jitter(x, *self._args)


class RandomLighting(_HybridTransform):
    """AlexNet's PCA lighting noise: adds ImageNet's RGB principal components weighted by normal(0, alpha)."""

    def __init__(self, alpha):
        super().__init__()
        self._alpha = alpha

    def hybrid_forward(self, F, x):
        return F.image.random_lighting(x, alpha_std=self._alpha)


class RandomApply(Sequential):
    """Applies ``transforms`` (a Block, e.g. a Compose) with probability ``p``."""

    def __init__(self, transforms, p=0.5):
        super().__init__()
        self.transforms = transforms
        self.p = p

    def forward(self, x, *args):
        if self.p < np.random.random_sample():
            return x if not args else (x,) + args
        return self.transforms(x, *args)


def _float32_only(x):
    if np.dtype(x.dtype) != np.float32:
        raise TypeError("This transformation only supports float32. Consider calling it after ToTensor")


class Rotate(_Transform):
    """Rotates a float32 image (C, H, W) or batch (N, C, H, W) by ``rotation_degrees`` about its centre, keeping
    the shape (``mx.image.imrotate``; ``zoom_in``: no empty corners, ``zoom_out``: the whole image kept)."""

    def __init__(self, rotation_degrees, zoom_in=False, zoom_out=False):
        super().__init__()
        self._args = (rotation_degrees, zoom_in, zoom_out)

    def forward(self, x):
        _float32_only(x)
        return image.imrotate(x, *self._args)


class RandomRotation(_Transform):
    """Rotates a float32 image (C, H, W), or each image of a batch, by an angle drawn uniformly from
    ``angle_limits`` (lower, upper) degrees, with probability ``rotate_with_proba`` (else the input is returned);
    see Rotate."""

    def __init__(self, angle_limits, zoom_in=False, zoom_out=False, rotate_with_proba=1.0):
        super().__init__()
        lower, upper = angle_limits
        if lower >= upper:
            raise ValueError("`angle_limits` must be an ordered tuple")
        if rotate_with_proba < 0 or rotate_with_proba > 1:
            raise ValueError("Probability of rotating the image should be between 0 and 1")
        self._args = ((lower, upper), zoom_in, zoom_out)
        self._proba = rotate_with_proba

    def forward(self, x):
        if np.random.random_sample() > self._proba:
            return x
        _float32_only(x)
        return image.random_rotate(x, *self._args)
