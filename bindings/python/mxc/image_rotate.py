"""``mx.image.imrotate``, ``mx.image.random_rotate`` and ``mx.image.copyMakeBorder`` (MXNet 1.9.1's).

Rotation samples the source image bilinearly (``GridGenerator`` with an affine grid, then ``BilinearSampler``, so it
runs where the image lives): output pixel (x, y) reads the source at c + s * R(angle) ((x, y) - c), c the centre
((W - 1) / 2, (H - 1) / 2), in pixel units; pixels read from outside the image are 0. ``zoom_out`` scales by
s = max((|cos| W + |sin| H) / W, (|sin| W + |cos| H) / H), the factor that fits the rotated image's bounding box,
and ``zoom_in`` by 1 / s, as MXNet does.
"""
import math
import numbers

import numpy as np

from . import ndarray as nd

__all__ = ["imrotate", "random_rotate", "copyMakeBorder"]


def copyMakeBorder(src=None, top=None, bot=None, left=None, right=None, type=0, value=0.0, values=(), out=None,
                   **kwargs):  # noqa: A002 (MXNet's parameter name)
    """Pads the image ``src`` (height, width, channels) by ``top``/``bot`` rows and ``left``/``right`` columns with
    OpenCV's border rule ``type`` (0 constant, 1 replicate, 2 reflect, 3 wrap, 4 reflect-101); constant borders are
    ``values`` per channel, or ``value`` (operator ``_cvcopyMakeBorder``)."""
    for name, v in (("top", top), ("bot", bot), ("left", left), ("right", right)):
        if v is None:
            raise TypeError("copyMakeBorder: the margin %r is required" % name)
    return nd._internal._cvcopyMakeBorder(src, top=int(top), bot=int(bot), left=int(left), right=int(right),
                                          type=int(type), value=float(value),
                                          values=tuple(float(v) for v in values), out=out, **kwargs)


def _is_scalar(v):
    return isinstance(v, numbers.Number) or (isinstance(v, np.ndarray) and v.ndim == 0)


def _rotation_params(angles_deg, h, w, zoom_in, zoom_out):
    """(N, 6) affine matrices in GridGenerator's normalised coordinates for the angles (degrees)."""
    cx, cy = (w - 1) / 2.0, (h - 1) / 2.0
    # ratios between the axes' half extents; an axis of one pixel has one source position, whatever its ratio
    r_yx = cy / cx if cx > 0 else 0.0
    r_xy = cx / cy if cy > 0 else 0.0
    theta = np.zeros((len(angles_deg), 6), np.float64)
    for i, deg in enumerate(angles_deg):
        t = math.radians(float(deg))
        c, s = math.cos(t), math.sin(t)
        scale = 1.0
        if zoom_in or zoom_out:
            ac, as_ = abs(c), abs(s)
            fit = max((ac * w + as_ * h) / w, (as_ * w + ac * h) / h)
            scale = fit if zoom_out else 1.0 / fit
        theta[i] = [scale * c, -scale * s * r_yx, 0.0, scale * s * r_xy, scale * c, 0.0]
    return theta


def imrotate(src, rotation_degrees, zoom_in=False, zoom_out=False):
    """Rotates the float32 image ``src`` (C, H, W), or each image of a batch (N, C, H, W), by ``rotation_degrees``
    (a scalar, or for a batch a vector of one angle per image) about its centre; see the module's notes for
    ``zoom_in`` (no empty corners) and ``zoom_out`` (the whole image kept)."""
    if not isinstance(src, nd.NDArray):
        raise TypeError("imrotate: src must be an NDArray, not %s" % type(src).__name__)
    if np.dtype(src.dtype) != np.float32:
        raise TypeError("imrotate: Only `float32` images are supported by this function, got %s"
                        % np.dtype(src.dtype).name)
    if zoom_in and zoom_out:
        raise ValueError("imrotate: `zoom_in` and `zoom_out` cannot be both True")
    single = src.ndim == 3
    if single:
        if not _is_scalar(rotation_degrees):
            raise TypeError("imrotate: When a single image is passed the rotation angle is required to be a scalar.")
        src = nd.expand_dims(src, axis=0)
        angles = [float(rotation_degrees)]
    elif src.ndim == 4:
        if _is_scalar(rotation_degrees):
            angles = [float(rotation_degrees)] * src.shape[0]
        else:
            a = rotation_degrees.asnumpy() if isinstance(rotation_degrees, nd.NDArray) else \
                np.asarray(rotation_degrees, np.float64)
            angles = a.reshape(-1).tolist()
            if len(angles) != src.shape[0]:
                raise ValueError("imrotate: The number of images must be equal to the number of rotation angles "
                                 "(%d images, %d angles)" % (src.shape[0], len(angles)))
    else:
        raise ValueError("imrotate: Only 3D and 4D are supported by this function, got shape %s" % (src.shape,))
    h, w = src.shape[2], src.shape[3]
    theta = nd.array(_rotation_params(angles, h, w, zoom_in, zoom_out).astype(np.float32), ctx=src.context)
    grid = nd.GridGenerator(theta, transform_type="affine", target_shape=(h, w))
    out = nd.BilinearSampler(src, grid)
    return out[0] if single else out


def random_rotate(src, angle_limits, zoom_in=False, zoom_out=False):
    """Rotates ``src`` (C, H, W) or each image of (N, C, H, W) by an angle drawn uniformly from ``angle_limits``
    (degrees; NumPy's ``np.random``, as MXNet), see ``imrotate``."""
    lo, hi = angle_limits
    if src.ndim == 3:
        return imrotate(src, float(np.random.uniform(lo, hi)), zoom_in=zoom_in, zoom_out=zoom_out)
    angles = np.random.uniform(lo, hi, size=src.shape[0])
    return imrotate(src, angles, zoom_in=zoom_in, zoom_out=zoom_out)
