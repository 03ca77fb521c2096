"""Contributed Gluon blocks (``mx.gluon.contrib``)."""
from . import nn  # noqa: F401
