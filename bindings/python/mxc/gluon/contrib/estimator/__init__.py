"""Gluon's Estimator (``mx.gluon.contrib.estimator``): a training loop over a Gluon network, loss and Trainer,
extended by event handlers (metrics, validation, logging, checkpoints, early stopping)."""
from .batch_processor import *  # noqa: F401,F403
from .estimator import *  # noqa: F401,F403
from .event_handler import *  # noqa: F401,F403
