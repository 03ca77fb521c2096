"""Predefined networks (``mx.gluon.model_zoo``): ``vision`` holds MXNet 1.x's image classification models."""
from . import vision  # noqa: F401
