"""Contributed convolution layers (``mx.gluon.contrib.cnn``): deformable convolutions."""
from . import conv_layers  # noqa: F401
from .conv_layers import *  # noqa: F401,F403
