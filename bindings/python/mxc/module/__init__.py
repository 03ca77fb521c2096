"""The Module API (MXNet 1.x ``mx.mod`` / ``mx.module``): a network bound to one or several devices with its
parameters, optimizer and training loop; BucketingModule for graphs that depend on a bucket key; SequentialModule
for chains of modules."""
from .base_module import BaseModule
from .module import Module
from .bucketing_module import BucketingModule
from .sequential_module import SequentialModule

__all__ = ["BaseModule", "Module", "BucketingModule", "SequentialModule"]
