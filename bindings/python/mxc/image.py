"""Image decoding, resizing and cropping (``mx.image``), on (height, width, channels) NDArrays.

Decoding uses Pillow (``pip install pillow``; imported when an image is first decoded). Resizing is mxc's own
NumPy code with OpenCV's sampling rules, which MXNet uses: ``interp`` is OpenCV's code, as MXNet passes it on:
0 nearest, 1 bilinear, 2 bicubic, 3 area, 4 Lanczos (8x8), 9 area to shrink / bicubic to enlarge / bilinear
otherwise, 10 one of 0-4 at random (MXNet's documentation swaps 2 and 3; its results are OpenCV's). Each is a
separable linear map, applied to the rows and then to the columns. uint8 results are rounded; OpenCV computes
uint8 in fixed point, so a value can differ from MXNet's by 1.
"""
import functools
import io
import json
import math
import os
import random as _pyrandom

import numpy as np

from . import ndarray as nd
from .base import MXNetError

__all__ = ["imdecode", "imread", "imresize", "resize_short", "fixed_crop", "random_crop", "center_crop",
           "random_size_crop", "color_normalize", "scale_down", "Augmenter", "SequentialAug", "RandomOrderAug",
           "ResizeAug", "ForceResizeAug", "RandomCropAug", "RandomSizedCropAug", "CenterCropAug",
           "BrightnessJitterAug", "ContrastJitterAug", "SaturationJitterAug", "HueJitterAug", "ColorJitterAug",
           "LightingAug", "ColorNormalizeAug", "RandomGrayAug", "HorizontalFlipAug", "CastAug", "CreateAugmenter",
           "ImageIter"]


def _pil():
    try:
        from PIL import Image
    except ImportError as e:
        raise ImportError("mx.image: decoding images needs Pillow (pip install pillow)") from e
    return Image


# ---------------------------------------------------------------------------------------------------- decoding

def _gray_like_opencv(pil_image):
    """OpenCV reads colour PNGs as grey through libpng's conversion (15-bit weights, truncated); other formats
    through libjpeg's (JPEG) or Pillow's ITU-R 601 weights, which agree with OpenCV's."""
    if pil_image.format == "PNG" and pil_image.mode in ("RGB", "RGBA", "P"):
        rgb = np.asarray(pil_image.convert("RGB"), dtype=np.int64)
        return ((rgb[..., 0] * 9798 + rgb[..., 1] * 19235 + rgb[..., 2] * 3735) >> 15).astype(np.uint8)
    return np.asarray(pil_image.convert("L"))


def _decode_np(buf, flag, to_rgb):
    Image = _pil()
    try:
        im = Image.open(io.BytesIO(buf))
        im.load()
    except Exception as e:
        raise MXNetError("imdecode: decoding failed, not an image Pillow can read (%d bytes): %s" % (len(buf), e))
    if flag == 0:
        return _gray_like_opencv(im)[:, :, None]
    arr = np.asarray(im.convert("RGB"))
    return arr if to_rgb else arr[:, :, ::-1]


def _as_bytes(buf):
    if isinstance(buf, nd.NDArray):
        buf = buf.asnumpy()
    if isinstance(buf, np.ndarray):
        if buf.dtype != np.uint8:
            raise ValueError("imdecode: buf must hold uint8 bytes, got dtype %s" % buf.dtype)
        return buf.tobytes()
    if isinstance(buf, (bytes, bytearray, memoryview)):
        return bytes(buf)
    raise TypeError("imdecode: buf must be bytes, a uint8 NumPy array or a uint8 NDArray, not %s" % type(buf).__name__)


def imdecode(buf, flag=1, to_rgb=1, out=None):
    """Decodes an encoded image (bytes or a uint8 array) to a uint8 NDArray (height, width, 3), or
    (height, width, 1) with ``flag=0`` (grey). ``to_rgb=0`` gives OpenCV's BGR channel order."""
    arr = _decode_np(_as_bytes(buf), flag, to_rgb)
    if out is not None:
        out[:] = arr
        return out
    return nd.array(arr, dtype=np.uint8)


def imread(filename, flag=1, to_rgb=1, out=None):
    """Reads and decodes the image file ``filename`` (see ``imdecode``)."""
    with open(filename, "rb") as f:
        return imdecode(f.read(), flag, to_rgb, out)


# ---------------------------------------------------------------------------------------------------- resizing

_CUBIC_A = -0.75


def _cubic(t):
    t = np.abs(t)
    a = _CUBIC_A
    return np.where(t <= 1, ((a + 2) * t - (a + 3)) * t * t + 1,
                    np.where(t < 2, ((a * t - 5 * a) * t + 8 * a) * t - 4 * a, 0.0))


def _lanczos4(t):
    t = np.asarray(t, dtype=np.float64)
    return np.where(np.abs(t) < 4, np.sinc(t) * np.sinc(t / 4), 0.0)


def _taps(n_in, n_out, kernel, radius):
    """Rows of weights of a centre-aligned kernel resize (OpenCV's bilinear, bicubic, Lanczos): output pixel d
    samples s = (d + 0.5) * n_in / n_out - 0.5, from the 2*radius source pixels around it, indices clamped."""
    scale = n_in / n_out
    w = np.zeros((n_out, n_in))
    for d in range(n_out):
        s = (d + 0.5) * scale - 0.5
        base = math.floor(s)
        frac = s - base
        if radius == 1:  # bilinear: no extrapolation beyond the first and last pixel
            if base < 0:
                base, frac = 0, 0.0
            if base >= n_in - 1:
                base, frac = n_in - 1, 0.0
        ks = np.arange(base - radius + 1, base + radius + 1)
        wk = kernel(ks - base - frac)
        if radius > 2:
            wk = wk / wk.sum()
        np.add.at(w[d], np.clip(ks, 0, n_in - 1), wk)
    return w


def _nearest(n_in, n_out):
    w = np.zeros((n_out, n_in))
    src = np.minimum(np.floor(np.arange(n_out) * (n_in / n_out)).astype(np.int64), n_in - 1)
    w[np.arange(n_out), src] = 1.0
    return w


def _area_shrink(n_in, n_out):
    """Each output pixel averages the source interval [d*scale, (d+1)*scale), partial pixels by their overlap."""
    scale = n_in / n_out
    w = np.zeros((n_out, n_in))
    for d in range(n_out):
        lo, hi = d * scale, min((d + 1) * scale, n_in)
        for s in range(int(math.floor(lo)), int(math.ceil(hi))):
            overlap = min(hi, s + 1) - max(lo, s)
            if overlap > 1e-3 or scale == int(scale):
                w[d, s] = overlap
        w[d] /= w[d].sum()
    return w


def _area_linear(n_in, n_out):
    """Area interpolation where the image grows: pixels are replicated, with a linear blend across each boundary."""
    scale = n_in / n_out
    w = np.zeros((n_out, n_in))
    for d in range(n_out):
        s = math.floor(d * scale)
        f = (d + 1) - (s + 1) * (n_out / n_in)
        f = 0.0 if f <= 0 else f - math.floor(f)
        if s >= n_in - 1:
            s, f = n_in - 1, 0.0
        w[d, s] += 1 - f
        if f:
            w[d, s + 1] += f
    return w


def _weights(n_in, n_out, interp, shrink_both):
    if interp == 0:
        return _nearest(n_in, n_out)
    if interp == 1:
        return _taps(n_in, n_out, lambda t: np.maximum(0.0, 1 - np.abs(t)), 1)
    if interp == 2:
        return _taps(n_in, n_out, _cubic, 2)
    if interp == 3:
        return _area_shrink(n_in, n_out) if shrink_both else _area_linear(n_in, n_out)
    return _taps(n_in, n_out, _lanczos4, 4)


def _interp_method(interp, sizes):
    """MXNet's choice for interp 9 (auto) and 10 (random); sizes = (in_h, in_w, out_h, out_w)."""
    if interp == 9:
        ih, iw, oh, ow = sizes
        if oh > ih and ow > iw:
            return 2
        if oh < ih and ow < iw:
            return 3
        return 1
    if interp == 10:
        return _pyrandom.randint(0, 4)
    if interp not in (0, 1, 2, 3, 4):
        raise ValueError("imresize: unknown interp %r (0 nearest, 1 bilinear, 2 bicubic, 3 area, 4 Lanczos, "
                         "9 auto, 10 random)" % (interp,))
    return interp


def _band(weights):
    """A dense (out, in) resampling matrix as (indices, weights) of shape (out, taps): each row's nonzero entries,
    padded with weight 0 at index 0."""
    nz = weights != 0
    taps = max(1, int(nz.sum(axis=1).max()))
    idx = np.zeros((weights.shape[0], taps), np.intp)
    val = np.zeros((weights.shape[0], taps), weights.dtype)
    for r in range(weights.shape[0]):
        cols = np.flatnonzero(nz[r])
        idx[r, :len(cols)] = cols
        val[r, :len(cols)] = weights[r, cols]
    return idx, val


@functools.lru_cache(maxsize=256)
def _band_for(n_in, n_out, interp, shrink_both):
    """The taps of one axis' resampling, kept for the sizes seen last (a data set's images share a few)."""
    idx, val = _band(_weights(n_in, n_out, interp, shrink_both))
    idx.setflags(write=False)
    val.setflags(write=False)
    return idx, val


def _resize_np(img, w, h, interp):
    """(H, W, C) NumPy image to (h, w, C), OpenCV's sampling; integer images rounded and saturated."""
    if w <= 0 or h <= 0:
        raise ValueError("imresize: the output size must be positive, got width %d, height %d" % (w, h))
    ih, iw = img.shape[:2]
    interp = _interp_method(interp, (ih, iw, h, w))
    shrink_both = ih >= h and iw >= w
    # Separable and banded: each output row (column) reads a few input rows (columns), so the passes gather those
    # taps instead of multiplying by the dense weight matrices (500x375 -> 341x256 bilinear: 5 ms, not 40).
    iy, vy = _band_for(ih, h, interp, shrink_both)
    ix, vx = _band_for(iw, w, interp, shrink_both)
    src = img.astype(np.float64)
    rows = np.einsum("ak,akwc->awc", vy, src[iy])  # (h, iw, C)
    out = np.einsum("bk,abkc->abc", vx, rows[:, ix])  # (h, w, C)
    if img.dtype.kind in "ui":
        info = np.iinfo(img.dtype)
        return np.clip(np.rint(out), info.min, info.max).astype(img.dtype)
    return out.astype(img.dtype)


def _image_np(src, who):
    arr = src.asnumpy() if isinstance(src, nd.NDArray) else np.asarray(src)
    if arr.ndim == 2:
        arr = arr[:, :, None]
    if arr.ndim != 3:
        raise ValueError("%s: the image must have shape (height, width, channels), got %s" % (who, arr.shape))
    return arr


def _like(src, arr):
    if isinstance(src, nd.NDArray):
        return nd.array(arr, ctx=src.context, dtype=arr.dtype)
    return arr


def imresize(src, w, h, interp=1, out=None):
    """Resizes the image ``src`` (height, width, channels) to width ``w`` and height ``h``."""
    res = _resize_np(_image_np(src, "imresize"), int(w), int(h), interp)
    if out is not None:
        out[:] = res
        return out
    return _like(src, res)


def scale_down(src_size, size):
    """Shrinks ``size`` (w, h) so that it fits in ``src_size`` (w, h), keeping its aspect ratio."""
    w, h = size
    sw, sh = src_size
    if sh < h:
        w, h = float(w * sh) / h, sh
    if sw < w:
        w, h = sw, float(h * sw) / w
    return int(w), int(h)


def resize_short(src, size, interp=2):
    """Resizes the image so that its shorter edge is ``size``, keeping the aspect ratio."""
    h, w = src.shape[:2]
    if h > w:
        new_h, new_w = size * h // w, size
    else:
        new_h, new_w = size, size * w // h
    return imresize(src, new_w, new_h, interp=interp)


def fixed_crop(src, x0, y0, w, h, size=None, interp=2):
    """Crops the rectangle (x0, y0, w, h) of the image, then resizes it to ``size`` (w, h) if given."""
    H, W = src.shape[:2]
    if x0 < 0 or y0 < 0 or w <= 0 or h <= 0 or x0 + w > W or y0 + h > H:
        raise ValueError("fixed_crop: the rectangle (x0=%d, y0=%d, w=%d, h=%d) is not inside the image of shape %s"
                         % (x0, y0, w, h, tuple(src.shape)))
    out = src[y0:y0 + h, x0:x0 + w] if isinstance(src, nd.NDArray) else np.asarray(src)[y0:y0 + h, x0:x0 + w]
    if size is not None and (w, h) != tuple(size):
        out = imresize(out, size[0], size[1], interp=_interp_method(interp, (h, w, size[1], size[0])))
    return out


def random_crop(src, size, interp=2):
    """Crops a random rectangle of ``size`` (w, h) (scaled down to fit), resized to ``size``.
    Returns (image, (x0, y0, w, h))."""
    h, w = src.shape[:2]
    new_w, new_h = scale_down((w, h), size)
    x0 = _pyrandom.randint(0, w - new_w)
    y0 = _pyrandom.randint(0, h - new_h)
    return fixed_crop(src, x0, y0, new_w, new_h, size, interp), (x0, y0, new_w, new_h)


def center_crop(src, size, interp=2):
    """Crops the centre rectangle of ``size`` (w, h) (scaled down to fit), resized to ``size``.
    Returns (image, (x0, y0, w, h))."""
    h, w = src.shape[:2]
    new_w, new_h = scale_down((w, h), size)
    x0 = int((w - new_w) / 2)
    y0 = int((h - new_h) / 2)
    return fixed_crop(src, x0, y0, new_w, new_h, size, interp), (x0, y0, new_w, new_h)


def random_size_crop(src, size, area, ratio, interp=2, **kwargs):
    """Crops a random rectangle covering a fraction ``area`` (a number or (min, max)) of the image with aspect ratio
    in ``ratio`` (min, max), resized to ``size`` (w, h); falls back to ``center_crop`` after 10 tries.
    Returns (image, (x0, y0, w, h))."""
    h, w = src.shape[:2]
    src_area = h * w
    if "min_area" in kwargs:
        area = kwargs.pop("min_area")
    if kwargs:
        raise TypeError("random_size_crop: unexpected arguments %s" % sorted(kwargs))
    if not isinstance(area, (tuple, list)):
        area = (area, 1.0)
    for _ in range(10):
        target_area = _pyrandom.uniform(area[0], area[1]) * src_area
        log_ratio = (math.log(ratio[0]), math.log(ratio[1]))
        new_ratio = math.exp(_pyrandom.uniform(*log_ratio))
        new_w = int(round(math.sqrt(target_area * new_ratio)))
        new_h = int(round(math.sqrt(target_area / new_ratio)))
        if 0 < new_w <= w and 0 < new_h <= h:
            x0 = _pyrandom.randint(0, w - new_w)
            y0 = _pyrandom.randint(0, h - new_h)
            return fixed_crop(src, x0, y0, new_w, new_h, size, interp), (x0, y0, new_w, new_h)
    return center_crop(src, size, interp)


def color_normalize(src, mean, std=None):
    """(src - mean) / std, broadcast over the channels."""
    if mean is not None:
        src = src - mean
    if std is not None:
        src = src / std
    return src


# ---------------------------------------------------------------------------------------------------- augmenters
# MXNet's mx.image augmenters: callables on (H, W, C) NDArrays. The random ones draw from Python's ``random``
# (lighting from NumPy's), as MXNet's do, so seeding both gives the same draws.

def _plain(v):
    if isinstance(v, nd.NDArray):
        v = v.asnumpy()
    return v.tolist() if isinstance(v, np.ndarray) else v


class Augmenter:
    """Base class: ``aug(src)`` returns the augmented image; ``dumps()`` describes it as JSON."""

    def __init__(self, **kwargs):
        self._kwargs = {k: _plain(v) for k, v in kwargs.items()}

    def dumps(self):
        return json.dumps([type(self).__name__.lower(), self._kwargs])

    def __call__(self, src):
        raise NotImplementedError("%s must implement __call__" % type(self).__name__)


class SequentialAug(Augmenter):
    """Applies ``ts`` in order."""

    def __init__(self, ts):
        super().__init__()
        self.ts = ts

    def dumps(self):
        return [type(self).__name__.lower(), [t.dumps() for t in self.ts]]

    def __call__(self, src):
        for t in self.ts:
            src = t(src)
        return src


class RandomOrderAug(SequentialAug):
    """Applies ``ts`` in a random order."""

    def __call__(self, src):
        ts = list(self.ts)
        _pyrandom.shuffle(ts)
        for t in ts:
            src = t(src)
        return src


class _SizedAug(Augmenter):
    def __init__(self, size, interp=2):
        super().__init__(size=size, interp=interp)
        self.size, self.interp = size, interp


class ResizeAug(_SizedAug):
    """Resizes the shorter edge to ``size``."""

    def __call__(self, src):
        return resize_short(src, self.size, self.interp)


class ForceResizeAug(_SizedAug):
    """Resizes to ``size`` (w, h), ignoring the aspect ratio."""

    def __call__(self, src):
        h, w = src.shape[:2]
        return imresize(src, self.size[0], self.size[1], _interp_method(self.interp, (h, w, self.size[1],
                                                                                      self.size[0])))


class RandomCropAug(_SizedAug):
    """``random_crop`` to ``size`` (w, h)."""

    def __call__(self, src):
        return random_crop(src, self.size, self.interp)[0]


class RandomSizedCropAug(Augmenter):
    """``random_size_crop`` to ``size`` (w, h) covering ``area`` of the image with an aspect ratio in ``ratio``."""

    def __init__(self, size, area, ratio, interp=2, **kwargs):
        super().__init__(size=size, area=area, ratio=ratio, interp=interp)
        self.size, self.area, self.ratio, self.interp = size, area, ratio, interp
        if "min_area" in kwargs:
            self.area = kwargs.pop("min_area")
        if kwargs:
            raise TypeError("RandomSizedCropAug: unexpected arguments %s" % sorted(kwargs))

    def __call__(self, src):
        return random_size_crop(src, self.size, self.area, self.ratio, self.interp)[0]


class CenterCropAug(_SizedAug):
    """``center_crop`` to ``size`` (w, h)."""

    def __call__(self, src):
        return center_crop(src, self.size, self.interp)[0]


class BrightnessJitterAug(Augmenter):
    """Multiplies by 1 + uniform(-brightness, brightness)."""

    def __init__(self, brightness):
        super().__init__(brightness=brightness)
        self.brightness = brightness

    def __call__(self, src):
        return src * (1.0 + _pyrandom.uniform(-self.brightness, self.brightness))


_LUMA = np.array([0.299, 0.587, 0.114], np.float32)


def _luma(src):
    return nd.dot(src.astype("float32"), nd.array(_LUMA, ctx=src.context))


class ContrastJitterAug(Augmenter):
    """Blends with the image's mean grey value, factor 1 + uniform(-contrast, contrast)."""

    def __init__(self, contrast):
        super().__init__(contrast=contrast)
        self.contrast = contrast

    def __call__(self, src):
        alpha = 1.0 + _pyrandom.uniform(-self.contrast, self.contrast)
        return src * alpha + float(_luma(src).mean().asscalar()) * (1.0 - alpha)


class SaturationJitterAug(Augmenter):
    """Blends each pixel with its grey value, factor 1 + uniform(-saturation, saturation)."""

    def __init__(self, saturation):
        super().__init__(saturation=saturation)
        self.saturation = saturation

    def __call__(self, src):
        alpha = 1.0 + _pyrandom.uniform(-self.saturation, self.saturation)
        return src * alpha + nd.expand_dims(_luma(src), axis=2) * (1.0 - alpha)


# RGB <-> YIQ (the NTSC colour space), for rotating the hue about the luma axis
_TO_YIQ = np.array([[0.299, 0.587, 0.114], [0.596, -0.274, -0.321], [0.211, -0.523, 0.311]])
_FROM_YIQ = np.array([[1.0, 0.956, 0.621], [1.0, -0.272, -0.647], [1.0, -1.107, 1.705]])


class HueJitterAug(Augmenter):
    """Rotates the chroma (I, Q of YIQ) by uniform(-hue, hue) half turns."""

    def __init__(self, hue):
        super().__init__(hue=hue)
        self.hue = hue

    def __call__(self, src):
        alpha = _pyrandom.uniform(-self.hue, self.hue)
        c, s = math.cos(alpha * math.pi), math.sin(alpha * math.pi)
        rot = np.array([[1.0, 0.0, 0.0], [0.0, c, -s], [0.0, s, c]])
        t = (_FROM_YIQ @ rot @ _TO_YIQ).T.astype(np.float32)
        return nd.dot(src.astype("float32"), nd.array(t, ctx=src.context))


class ColorJitterAug(RandomOrderAug):
    """Brightness, contrast and saturation jitter in a random order."""

    def __init__(self, brightness, contrast, saturation):
        ts = []
        if brightness > 0:
            ts.append(BrightnessJitterAug(brightness))
        if contrast > 0:
            ts.append(ContrastJitterAug(contrast))
        if saturation > 0:
            ts.append(SaturationJitterAug(saturation))
        super().__init__(ts)


class LightingAug(Augmenter):
    """Adds ``eigvec @ (eigval * alpha)``, alpha from normal(0, alphastd) (AlexNet's PCA lighting noise)."""

    def __init__(self, alphastd, eigval, eigvec):
        super().__init__(alphastd=alphastd, eigval=eigval, eigvec=eigvec)
        self.alphastd = alphastd
        self.eigval, self.eigvec = np.asarray(eigval, np.float64), np.asarray(eigvec, np.float64)

    def __call__(self, src):
        alpha = np.random.normal(0, self.alphastd, size=(3,))
        rgb = (self.eigvec * alpha) @ self.eigval
        return src + nd.array(rgb.astype(np.float32), ctx=src.context)


class ColorNormalizeAug(Augmenter):
    """``color_normalize`` with ``mean`` and ``std`` per channel."""

    def __init__(self, mean, std):
        super().__init__(mean=mean, std=std)
        self.mean = None if mean is None else nd.array(np.asarray(mean, np.float32))
        self.std = None if std is None else nd.array(np.asarray(std, np.float32))

    def __call__(self, src):
        return color_normalize(src, self.mean, self.std)


class RandomGrayAug(Augmenter):
    """With probability ``p``, replaces each channel by the grey value 0.21 R + 0.72 G + 0.07 B."""

    _MIX = np.array([[0.21, 0.21, 0.21], [0.72, 0.72, 0.72], [0.07, 0.07, 0.07]], np.float32)

    def __init__(self, p):
        super().__init__(p=p)
        self.p = p

    def __call__(self, src):
        if _pyrandom.random() < self.p:
            src = nd.dot(src.astype("float32"), nd.array(self._MIX, ctx=src.context))
        return src


class HorizontalFlipAug(Augmenter):
    """With probability ``p``, mirrors the image left to right."""

    def __init__(self, p):
        super().__init__(p=p)
        self.p = p

    def __call__(self, src):
        if _pyrandom.random() < self.p:
            src = nd.reverse(src, axis=1)
        return src


class CastAug(Augmenter):
    """Casts to ``typ``."""

    def __init__(self, typ="float32"):
        super().__init__(type=typ)
        self.typ = typ

    def __call__(self, src):
        return src.astype(self.typ)


_IMAGENET_MEAN = np.array([123.68, 116.28, 103.53])
_IMAGENET_STD = np.array([58.395, 57.12, 57.375])
_IMAGENET_EIGVAL = np.array([55.46, 4.794, 1.148])
_IMAGENET_EIGVEC = np.array([[-0.5675, 0.7192, 0.4009], [-0.5808, -0.0045, -0.8140], [-0.5836, -0.6948, 0.4203]])


def CreateAugmenter(data_shape, resize=0, rand_crop=False, rand_resize=False, rand_mirror=False, mean=None,
                    std=None, brightness=0, contrast=0, saturation=0, hue=0, pca_noise=0, rand_gray=0,
                    inter_method=2):
    """MXNet's standard augmenter list for images of ``data_shape`` (c, h, w): resize, crop (centre, random or
    random-sized), mirror, cast to float32, colour jitter, hue, lighting noise, grey, normalise. ``mean=True`` /
    ``std=True`` mean ImageNet's values."""
    auglist = []
    if resize > 0:
        auglist.append(ResizeAug(resize, inter_method))
    crop_size = (data_shape[2], data_shape[1])
    if rand_resize:
        if not rand_crop:
            raise ValueError("CreateAugmenter: rand_resize needs rand_crop")
        auglist.append(RandomSizedCropAug(crop_size, 0.08, (3.0 / 4.0, 4.0 / 3.0), inter_method))
    elif rand_crop:
        auglist.append(RandomCropAug(crop_size, inter_method))
    else:
        auglist.append(CenterCropAug(crop_size, inter_method))
    if rand_mirror:
        auglist.append(HorizontalFlipAug(0.5))
    auglist.append(CastAug())
    if brightness or contrast or saturation:
        auglist.append(ColorJitterAug(brightness, contrast, saturation))
    if hue:
        auglist.append(HueJitterAug(hue))
    if pca_noise > 0:
        auglist.append(LightingAug(pca_noise, _IMAGENET_EIGVAL, _IMAGENET_EIGVEC))
    if rand_gray > 0:
        auglist.append(RandomGrayAug(rand_gray))
    if mean is True:
        mean = _IMAGENET_MEAN
    elif mean is not None:
        mean = np.asarray(mean)
        if mean.shape[0] not in (1, 3):
            raise ValueError("CreateAugmenter: mean must have 1 or 3 values, got %s" % (mean.shape,))
    if std is True:
        std = _IMAGENET_STD
    elif std is not None:
        std = np.asarray(std)
        if std.shape[0] not in (1, 3):
            raise ValueError("CreateAugmenter: std must have 1 or 3 values, got %s" % (std.shape,))
    if mean is not None or std is not None:
        auglist.append(ColorNormalizeAug(mean, std))
    return auglist


class ImageIter:
    """Batches of images (MXNet's ``mx.image.ImageIter``) from a RecordIO file (``path_imgrec``, with
    ``path_imgidx`` for shuffling and parts), or from image files listed in ``path_imglist`` (lines
    ``index<TAB>label(s)<TAB>path``) or ``imglist`` (``[label(s), path]`` items) under ``path_root``.

    Each image is decoded (grey when ``data_shape[0] == 1``), run through ``aug_list`` (default
    ``CreateAugmenter(data_shape, **kwargs)``) and laid out (c, h, w). ``last_batch_handle``: 'pad' completes the
    last batch from the start (``pad`` says how many), 'discard' drops it, 'roll_over' carries the rest into the
    next epoch.
    """

    def __init__(self, batch_size, data_shape, label_width=1, path_imgrec=None, path_imglist=None, path_root=None,
                 path_imgidx=None, shuffle=False, part_index=0, num_parts=1, aug_list=None, imglist=None,
                 data_name="data", label_name="softmax_label", dtype="float32", last_batch_handle="pad", **kwargs):
        from . import io as _io
        from . import recordio
        if sum(x is not None for x in (path_imgrec, path_imglist, imglist)) != 1:
            raise ValueError("ImageIter: give exactly one of path_imgrec, path_imglist and imglist")
        if len(data_shape) != 3 or data_shape[0] not in (1, 3):
            raise ValueError("ImageIter: data_shape must be (1 or 3, height, width), got %s" % (tuple(data_shape),))
        if last_batch_handle not in ("pad", "discard", "roll_over"):
            raise ValueError("ImageIter: last_batch_handle must be 'pad', 'discard' or 'roll_over', got %r"
                             % (last_batch_handle,))
        self.batch_size, self.data_shape, self.label_width = int(batch_size), tuple(data_shape), int(label_width)
        self.dtype, self.last_batch_handle, self.shuffle = dtype, last_batch_handle, shuffle
        self._root = path_root or ""
        self._rec = self._list = None
        if path_imgrec is not None:
            if path_imgidx:
                self._rec = recordio.MXIndexedRecordIO(path_imgidx, path_imgrec, "r")
                keys = list(self._rec.keys)
            else:
                if shuffle or num_parts > 1:
                    raise ValueError("ImageIter: shuffle and num_parts need path_imgidx with path_imgrec")
                self._rec = recordio.MXRecordIO(path_imgrec, "r")
                keys = None
        else:
            if path_imglist is not None:
                imglist = []
                with open(path_imglist) as f:
                    for n, line in enumerate(f):
                        fields = line.strip().split("\t")
                        if len(fields) < 3:
                            raise ValueError("ImageIter: line %d of %s is not 'index<TAB>label(s)<TAB>path': %r"
                                             % (n + 1, path_imglist, line))
                        imglist.append((int(fields[0]), [float(v) for v in fields[1:-1]], fields[-1]))
            else:
                imglist = [(i, item[0], item[1]) for i, item in enumerate(imglist)]
            self._list = {k: (np.atleast_1d(np.asarray(label, np.float32)), path) for k, label, path in imglist}
            keys = [k for k, _, _ in imglist]
        if keys is not None:
            n = len(keys)
            per_part = n // num_parts  # MXNet's parts: n // num_parts keys each, the rest left out
            keys = keys[per_part * part_index:per_part * (part_index + 1)]
        self._keys = keys
        self.auglist = CreateAugmenter(data_shape, **kwargs) if aug_list is None else aug_list
        label_shape = (self.batch_size,) if self.label_width == 1 else (self.batch_size, self.label_width)
        self.provide_data = [_io.DataDesc(data_name, (self.batch_size,) + self.data_shape)]
        self.provide_label = [_io.DataDesc(label_name, label_shape)]
        self._carry = []
        self.reset()

    def reset(self):
        """Starts a new epoch (shuffled with ``shuffle``)."""
        if self._keys is None:
            self._rec.reset()
            self._order = None
        else:
            order = list(self._keys)
            if self.shuffle:
                _pyrandom.shuffle(order)
            self._order = order
        self._cursor = 0
        self._pending = list(self._carry)
        self._carry = []

    def _next_sample(self):
        """(label array, encoded image bytes) of the next record, or None at the end of the epoch."""
        from .recordio import unpack
        if self._pending:
            return self._pending.pop(0)
        if self._order is None:
            s = self._rec.read()
            if s is None:
                return None
            header, img = unpack(s)
            return np.atleast_1d(np.asarray(header.label, np.float32)), img
        if self._cursor >= len(self._order):
            return None
        key = self._order[self._cursor]
        self._cursor += 1
        if self._rec is not None:
            header, img = unpack(self._rec.read_idx(key))
            return np.atleast_1d(np.asarray(header.label, np.float32)), img
        label, path = self._list[key]
        with open(os.path.join(self._root, path), "rb") as f:
            return label, f.read()

    def _first_samples(self, count):
        """The first ``count`` samples of the epoch, for padding the last batch."""
        if self._order is None:
            rec = type(self._rec)(self._rec.uri, "r")
            out = []
            for _ in range(count):
                s = rec.read()
                if s is None:
                    rec.reset()
                    s = rec.read()
                out.append(s)
            rec.close()
            from .recordio import unpack
            return [(np.atleast_1d(np.asarray(unpack(s)[0].label, np.float32)), unpack(s)[1]) for s in out]
        saved = (self._cursor, self._pending)
        self._cursor, self._pending = 0, []
        out = [self._next_sample() for _ in range(min(count, len(self._order)))]
        self._cursor, self._pending = saved
        return (out * (count // max(1, len(out)) + 1))[:count]

    def _decode(self, buf):
        img = imdecode(buf, 0 if self.data_shape[0] == 1 else 1)
        for aug in self.auglist:
            img = aug(img)
        if tuple(img.shape) != (self.data_shape[1], self.data_shape[2], self.data_shape[0]):
            raise ValueError("ImageIter: the augmented image has shape %s, data_shape %s needs (%d, %d, %d)"
                             % (tuple(img.shape), self.data_shape, self.data_shape[1], self.data_shape[2],
                                self.data_shape[0]))
        return nd.transpose(img, axes=(2, 0, 1))

    def _batch_samples(self):
        """The next batch's (label, encoded image) samples and its pad, by last_batch_handle (StopIteration at the
        end: a short batch is padded with the first samples, dropped, or carried over to the next epoch)."""
        samples = []
        while len(samples) < self.batch_size:
            s = self._next_sample()
            if s is None:
                break
            samples.append(s)
        if not samples:
            raise StopIteration
        pad = self.batch_size - len(samples)
        if pad:
            if self.last_batch_handle == "discard":
                raise StopIteration
            if self.last_batch_handle == "roll_over":
                self._carry = samples
                raise StopIteration
            samples += self._first_samples(pad)
        return samples, pad

    def next(self):
        from . import io as _io
        samples, pad = self._batch_samples()
        data = nd.stack(*[self._decode(buf) for _, buf in samples]).astype(self.dtype)
        labels = np.zeros((self.batch_size, self.label_width), np.float32)
        for i, (label, _) in enumerate(samples):
            labels[i, :min(label.size, self.label_width)] = label[:self.label_width]
        label = nd.array(labels[:, 0] if self.label_width == 1 else labels)
        return _io.DataBatch([data], [label], pad=pad)

    __next__ = next

    def __iter__(self):
        return self


# MXNet's rotation and border functions and detection pipeline, in their own modules (mx.image.det /
# mx.image.detection is the detection module, as in MXNet).
import sys as _sys  # noqa: E402

from . import image_det as det  # noqa: E402
from .image_det import *  # noqa: E402,F401,F403
from .image_det import __all__ as _det_all  # noqa: E402
from .image_rotate import *  # noqa: E402,F401,F403
from .image_rotate import __all__ as _rotate_all  # noqa: E402

detection = det
_sys.modules[__name__ + ".det"] = det
_sys.modules[__name__ + ".detection"] = det
__all__ += _det_all + _rotate_all
