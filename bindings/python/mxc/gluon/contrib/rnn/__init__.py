"""Contributed recurrent cells (``mx.gluon.contrib.rnn``): variational dropout, LSTM with a projection, and
convolutional RNN/LSTM/GRU cells over 1-D, 2-D and 3-D inputs."""
from .conv_rnn_cell import *  # noqa: F401,F403
from .rnn_cell import *  # noqa: F401,F403
