"""The Module API (MXNet 1.x ``mx.mod`` / ``mx.module``): a network bound to one or several devices with its
parameters, optimizer and training loop; BucketingModule for graphs that depend on a bucket key; SequentialModule
for chains of modules; PythonModule/PythonLossModule for modules computed in Python."""
from .base_module import BaseModule
from .module import Module
from .bucketing_module import BucketingModule
from .sequential_module import SequentialModule
from .python_module import PythonModule, PythonLossModule

__all__ = ["BaseModule", "Module", "BucketingModule", "SequentialModule", "PythonModule", "PythonLossModule"]
