"""mxc: a deep-learning framework in the MXNet 1.x tradition. ``import mxc as mx``.

The C library is loaded through cffi from ``include/mxc.h`` (see ``mxc._ffi``); ``MXC_LIBRARY_PATH`` points at
another build of ``libmxc``.
"""
from . import _ffi  # noqa: F401  (loads the library; ImportError with a clear message when it cannot)
from . import base
from .base import MXNetError
from . import context
from .context import Context, cpu, gpu, cpu_pinned, current_context, num_gpus  # noqa: F401
from . import ndarray
from . import ndarray as nd
from . import random
from . import autograd

__version__ = "%d.%d" % _ffi.LIB_VERSION

# ---- modules of the symbolic API (issue 4) go below this line ----
from . import name, attribute  # noqa: E402
from .attribute import AttrScope  # noqa: E402,F401
from . import symbol  # noqa: E402
from . import symbol as sym  # noqa: E402
from . import executor  # noqa: E402
from . import operator  # noqa: E402
from . import profiler  # noqa: E402

# ---- modules of the training API (issue 5) go below this line ----
# e.g. from . import optimizer, initializer, metric, io, callback, lr_scheduler, model, module; from . import
# module as mod
from . import lr_scheduler, metric, io, initializer, optimizer, callback, model, module  # noqa: E402
from . import initializer as init  # noqa: E402
from . import module as mod  # noqa: E402
from . import gluon  # noqa: E402
from . import test_utils  # noqa: E402
from . import visualization  # noqa: E402
from . import visualization as viz  # noqa: E402
from . import recordio, image  # noqa: E402
from . import kvstore, kvstore as kv  # noqa: E402
from . import rnn  # noqa: E402
from . import onnx  # noqa: E402
from . import contrib  # noqa: E402
from . import numpy as np, numpy_extension as npx  # noqa: E402
