"""``mx.contrib.amp``: automatic mixed precision (float16), as MXNet 1.9.1's package (see ``amp.amp``)."""
from .amp import *  # noqa: F401,F403
from . import lists  # noqa: F401
from . import loss_scaler  # noqa: F401
from . import amp  # noqa: F401
