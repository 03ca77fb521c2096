"""Contributed Gluon blocks (``mx.gluon.contrib``)."""
from . import cnn  # noqa: F401
from . import estimator  # noqa: F401
from . import nn  # noqa: F401
from . import rnn  # noqa: F401
