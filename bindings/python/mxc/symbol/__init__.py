"""``mx.sym``: symbolic graphs. Every operator of the registry is ``mx.sym.<name>`` (generated at import)."""
import sys as _sys

from . import symbol as _sym_impl
from .symbol import *  # noqa: F401,F403
from .symbol import Symbol  # noqa: F401
from . import _internal, contrib, image, linalg, random, sparse  # noqa: F401
from . import register as _register

_HAND_WRITTEN = frozenset(_sym_impl.__all__) | {"random", "contrib", "image", "linalg", "sparse"}
_register.register_all(_sys.modules[__name__], _internal, random, contrib, keep=_HAND_WRITTEN, linalg_module=linalg,
                       image_module=image)
del _sys
