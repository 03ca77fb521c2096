"""Recurrent networks (``mx.gluon.rnn``): cells stepped or unrolled over a sequence, and the RNN, LSTM and GRU
layers, all computed with ordinary operators (so autograd and Symbols go through them)."""
from .rnn_cell import *  # noqa: F401,F403
from .rnn_layer import *  # noqa: F401,F403
