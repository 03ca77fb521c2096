"""``mx.nd.image``: MXNet 1.9.1's image operators (``_image_<x>`` of the registry as ``mx.nd.image.<x>``, filled in at
import time by ``mxc.ndarray.register``): to_tensor, normalize, crop, flip_left_right, flip_top_bottom,
random_flip_left_right, random_flip_top_bottom, random_brightness, random_contrast, random_saturation, random_hue,
random_color_jitter, random_lighting, adjust_lighting. They run on the array's device, are recorded by autograd and
draw from mxc's generator (``mx.random.seed``). ``resize`` is written here (OpenCV's resize through
gluon.data.vision.transforms.Resize).
"""

__all__ = ["resize"]


def resize(data, size=(), keep_ratio=False, interp=1):
    """Resizes to ``size`` (an int or (width, height)); see gluon.data.vision.transforms.Resize."""
    from ...gluon.data.vision.transforms import Resize
    return Resize(size, keep_ratio, interp)(data)
