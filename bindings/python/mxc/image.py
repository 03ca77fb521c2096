"""Image decoding, resizing and cropping (``mx.image``), on (height, width, channels) NDArrays.

Decoding uses Pillow (``pip install pillow``; imported when an image is first decoded). Resizing is mxc's own
NumPy code with OpenCV's sampling rules, which MXNet uses: ``interp`` is OpenCV's code, as MXNet passes it on:
0 nearest, 1 bilinear, 2 bicubic, 3 area, 4 Lanczos (8x8), 9 area to shrink / bicubic to enlarge / bilinear
otherwise, 10 one of 0-4 at random (MXNet's documentation swaps 2 and 3; its results are OpenCV's). Each is a
separable linear map, applied to the rows and then to the columns. uint8 results are rounded; OpenCV computes
uint8 in fixed point, so a value can differ from MXNet's by 1.
"""
import io
import math
import random as _pyrandom

import numpy as np

from . import ndarray as nd
from .base import MXNetError

__all__ = ["imdecode", "imread", "imresize", "resize_short", "fixed_crop", "random_crop", "center_crop",
           "random_size_crop", "color_normalize", "scale_down"]


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


def _resize_np(img, w, h, interp):
    """(H, W, C) NumPy image to (h, w, C), OpenCV's sampling; integer images rounded and saturated."""
    if w <= 0 or h <= 0:
        raise ValueError("imresize: the output size must be positive, got width %d, height %d" % (w, h))
    ih, iw = img.shape[:2]
    interp = _interp_method(interp, (ih, iw, h, w))
    shrink_both = ih >= h and iw >= w
    wy = _weights(ih, h, interp, shrink_both)
    wx = _weights(iw, w, interp, shrink_both)
    out = np.einsum("ah,hwc,bw->abc", wy, img.astype(np.float64), wx, optimize=True)
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
