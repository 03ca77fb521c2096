"""Symbolic recurrent networks (MXNet 1.x ``mx.rnn``): cells unrolled into Symbol graphs, sentence encoding and
bucketed batches for ``mx.mod.BucketingModule``, convolutional cells (ConvRNN/ConvLSTM/ConvGRU), and checkpoints that store cell weights unpacked."""
from .rnn_cell import (RNNParams, BaseRNNCell, RNNCell, LSTMCell, GRUCell, FusedRNNCell, SequentialRNNCell,
                       BidirectionalCell, DropoutCell, ModifierCell, ZoneoutCell, ResidualCell)
from .conv_rnn_cell import BaseConvRNNCell, ConvRNNCell, ConvLSTMCell, ConvGRUCell
from .io import encode_sentences, BucketSentenceIter
from .rnn import (rnn_unroll, save_rnn_checkpoint, load_rnn_checkpoint, do_rnn_checkpoint, load_checkpoint,
                  save_checkpoint)

__all__ = ["RNNParams", "BaseRNNCell", "RNNCell", "LSTMCell", "GRUCell", "FusedRNNCell", "SequentialRNNCell",
           "BidirectionalCell", "DropoutCell", "ModifierCell", "ZoneoutCell", "ResidualCell", "BaseConvRNNCell",
           "ConvRNNCell", "ConvLSTMCell", "ConvGRUCell", "encode_sentences", "BucketSentenceIter", "save_rnn_checkpoint", "load_rnn_checkpoint", "do_rnn_checkpoint",
           "rnn_unroll", "load_checkpoint", "save_checkpoint"]
