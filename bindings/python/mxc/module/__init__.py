"""The Module API (MXNet 1.x ``mx.mod`` / ``mx.module``): a network bound to one or several devices with its
parameters, optimizer and training loop."""
from .base_module import BaseModule
from .module import Module

__all__ = ["BaseModule", "Module"]
