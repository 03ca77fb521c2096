"""``mx.nd.image``: image operators on (H, W, C) or (N, H, W, C) NDArrays, as MXNet 1.x names them.

Colour operators work in float32 on RGB channels; uint8 results are truncated towards zero and saturated to
[0, 255], as MXNet's are. The random ones draw from NumPy's global generator (``np.random.seed``).
"""
import numpy as np

from .ndarray import NDArray as _NDArray, array as _array

__all__ = ["to_tensor", "normalize", "resize", "crop", "flip_left_right", "flip_top_bottom",
           "random_flip_left_right", "random_flip_top_bottom", "random_brightness", "random_contrast",
           "random_saturation", "random_hue", "random_color_jitter", "random_lighting", "adjust_lighting"]

# ITU-R 601 luma weights (grey value of an RGB pixel) and the RGB principal components of ImageNet (AlexNet's
# "PCA lighting" noise), the constants MXNet uses.
_LUMA = np.array([0.299, 0.587, 0.114], np.float32)
_EIGVAL = np.array([55.46, 4.794, 1.148], np.float32)
_EIGVEC = np.array([[-0.5675, 0.7192, 0.4009],
                    [-0.5808, -0.0045, -0.8140],
                    [-0.5836, -0.6948, 0.4203]], np.float32)


def _np(x, who):
    if not isinstance(x, _NDArray):
        raise TypeError("image.%s: the input must be an NDArray, got %s" % (who, type(x).__name__))
    if x.ndim not in (3, 4) or x.shape[-1] != 3:
        raise ValueError("image.%s: the input must be RGB images (H, W, 3) or (N, H, W, 3), got shape %s"
                         % (who, x.shape))
    return x.asnumpy()


def _back(x, out):
    if x.dtype == np.uint8:
        out = np.clip(np.trunc(out), 0, 255)
    return _array(out.astype(x.dtype), ctx=x.context, dtype=x.dtype)


def _grey(pixels):
    return pixels.astype(np.float32) @ _LUMA


def _brightness(img, alpha):
    return img.astype(np.float32) * np.float32(alpha)


def _contrast(img, alpha):
    axes = tuple(range(img.ndim - 3, img.ndim - 1))  # each image's mean grey
    mean = _grey(img).mean(axis=axes, keepdims=True)[..., None]
    return img.astype(np.float32) * np.float32(alpha) + mean * np.float32(1 - alpha)


def _saturation(img, alpha):
    return img.astype(np.float32) * np.float32(alpha) + _grey(img)[..., None] * np.float32(1 - alpha)


def _hue(img, alpha):
    """Rotates each pixel's hue (HSV) by ``alpha`` turns."""
    rgb = img.astype(np.float64) / 255.0
    r, g, b = rgb[..., 0], rgb[..., 1], rgb[..., 2]
    v = rgb.max(axis=-1)
    delta = v - rgb.min(axis=-1)
    s = np.where(v > 0, delta / np.where(v > 0, v, 1), 0.0)
    d = np.where(delta > 0, delta, 1)
    h = np.where(r == v, (g - b) / d, np.where(g == v, 2 + (b - r) / d, 4 + (r - g) / d))
    h = np.where(delta > 0, h / 6.0, 0.0)
    h = (h + alpha) % 1.0
    i = np.floor(h * 6.0)
    f = h * 6.0 - i
    p, q, t = v * (1 - s), v * (1 - s * f), v * (1 - s * (1 - f))
    i = i.astype(np.int64) % 6
    pick = [(v, t, p), (q, v, p), (p, v, t), (p, q, v), (t, p, v), (v, p, q)]
    out = np.stack([np.choose(i, [c[k] for c in pick]) for k in range(3)], axis=-1)
    return (out * 255.0).astype(np.float32)


def _factor(name, lo, hi):
    if lo > hi or lo < 0:
        raise ValueError("image.%s: need 0 <= min_factor <= max_factor, got %s and %s" % (name, lo, hi))
    return np.random.uniform(lo, hi)


def random_brightness(data, min_factor, max_factor):
    """Multiplies the pixels by a factor drawn from [min_factor, max_factor]."""
    return _back(data, _brightness(_np(data, "random_brightness"),
                                   _factor("random_brightness", min_factor, max_factor)))


def random_contrast(data, min_factor, max_factor):
    """Blends each image with its mean grey value: ``x * a + mean_grey * (1 - a)``, a from [min, max]."""
    return _back(data, _contrast(_np(data, "random_contrast"), _factor("random_contrast", min_factor, max_factor)))


def random_saturation(data, min_factor, max_factor):
    """Blends each pixel with its grey value: ``x * a + grey * (1 - a)``, a from [min, max]. (MXNet 1.9.1 takes
    the grey value as 0.114 * blue only, a bug; mxc uses the full ITU-R 601 weights.)"""
    return _back(data, _saturation(_np(data, "random_saturation"),
                                   _factor("random_saturation", min_factor, max_factor)))


def random_hue(data, min_factor, max_factor):
    """Rotates the hue (HSV) by a fraction of a turn drawn from [min_factor, max_factor]."""
    if min_factor > max_factor:
        raise ValueError("image.random_hue: need min_factor <= max_factor, got %s and %s" % (min_factor, max_factor))
    return _back(data, _hue(_np(data, "random_hue"), np.random.uniform(min_factor, max_factor)))


def random_color_jitter(data, brightness=0.0, contrast=0.0, saturation=0.0, hue=0.0):
    """Brightness, contrast, saturation and hue changes (each factor from [1 - v, 1 + v], hue from [-hue, hue]),
    applied in a random order."""
    img = _np(data, "random_color_jitter").astype(np.float32)
    steps = []
    if brightness > 0:
        steps.append(lambda x: _brightness(x, np.random.uniform(max(0.0, 1 - brightness), 1 + brightness)))
    if contrast > 0:
        steps.append(lambda x: _contrast(x, np.random.uniform(max(0.0, 1 - contrast), 1 + contrast)))
    if saturation > 0:
        steps.append(lambda x: _saturation(x, np.random.uniform(max(0.0, 1 - saturation), 1 + saturation)))
    if hue > 0:
        steps.append(lambda x: _hue(x, np.random.uniform(-hue, hue)))
    for i in np.random.permutation(len(steps)):
        img = steps[i](img)
    return _back(data, img)


def adjust_lighting(data, alpha):
    """Adds ``eigvec @ (alpha * eigval)`` (ImageNet's RGB principal components) to every pixel."""
    alpha = np.asarray(alpha, np.float32).ravel()
    if alpha.size != 3:
        raise ValueError("image.adjust_lighting: alpha must have 3 values, got %d" % alpha.size)
    img = _np(data, "adjust_lighting")
    return _back(data, img.astype(np.float32) + _EIGVEC @ (alpha * _EIGVAL))


def random_lighting(data, alpha_std=0.05):
    """``adjust_lighting`` with alpha drawn from a normal distribution of standard deviation ``alpha_std``."""
    return adjust_lighting(data, np.random.normal(0, alpha_std, size=3))


def _layout_axis(x, who, from_end):
    if x.ndim not in (3, 4):
        raise ValueError("image.%s: the input must have shape (H, W, C) or (N, H, W, C), got %s" % (who, x.shape))
    return x.ndim - 1 - from_end


def flip_left_right(data):
    """Reverses the width axis."""
    from . import reverse
    return reverse(data, axis=_layout_axis(data, "flip_left_right", 1))


def flip_top_bottom(data):
    """Reverses the height axis."""
    from . import reverse
    return reverse(data, axis=_layout_axis(data, "flip_top_bottom", 2))


def random_flip_left_right(data):
    """flip_left_right with probability 0.5."""
    return flip_left_right(data) if np.random.random_sample() < 0.5 else data


def random_flip_top_bottom(data):
    """flip_top_bottom with probability 0.5."""
    return flip_top_bottom(data) if np.random.random_sample() < 0.5 else data


def to_tensor(data):
    """(H, W, C) or (N, H, W, C) to float32 (C, H, W) or (N, C, H, W) divided by 255."""
    from ...gluon.data.vision.transforms import ToTensor
    return ToTensor()(data)


def normalize(data, mean=0.0, std=1.0):
    """(x - mean) / std per channel of (C, H, W) or (N, C, H, W) tensors."""
    from ...gluon.data.vision.transforms import Normalize
    return Normalize(mean, std)(data)


def resize(data, size=(), keep_ratio=False, interp=1):
    """Resizes to ``size`` (an int or (width, height)); see gluon.data.vision.transforms.Resize."""
    from ...gluon.data.vision.transforms import Resize
    return Resize(size, keep_ratio, interp)(data)


def crop(data, x, y, width, height):
    """The rectangle at (x, y) of ``width`` and ``height``."""
    from ...gluon.data.vision.transforms import CropResize
    return CropResize(x, y, width, height)(data)
