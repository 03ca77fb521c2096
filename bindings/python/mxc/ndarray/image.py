"""``mx.nd.image``: MXNet 1.9.1's image operators (``_image_<x>`` of the registry as ``mx.nd.image.<x>``, filled in at
import time by ``mxc.ndarray.register``): to_tensor, normalize, crop, resize, flip_left_right, flip_top_bottom,
random_flip_left_right, random_flip_top_bottom, random_brightness, random_contrast, random_saturation, random_hue,
random_color_jitter, random_lighting, adjust_lighting. They run on the array's device, are recorded by autograd and
draw from mxc's generator (``mx.random.seed``).
"""

__all__ = []
