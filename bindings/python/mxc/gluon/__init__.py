"""Gluon, MXNet 1.x's imperative front end (``mx.gluon``): Parameters, Blocks, layers (``nn``), recurrent cells and
layers (``rnn``), losses, ``Trainer``, data loading and utilities. HybridBlocks run imperatively or, after
``hybridize()``, as one cached graph; each Parameter lives on one context."""
from .parameter import Parameter, Constant, ParameterDict, DeferredInitializationError  # noqa: F401
from .block import Block, HybridBlock, SymbolBlock  # noqa: F401
from . import nn  # noqa: F401
from . import rnn  # noqa: F401
from . import loss  # noqa: F401
from . import data  # noqa: F401
from . import utils  # noqa: F401
from . import contrib  # noqa: F401
from . import model_zoo  # noqa: F401
from .trainer import Trainer  # noqa: F401
