"""Checkpoints of networks built from symbolic cells: parameters are saved unpacked (``unpack_weights``: one array
per gate, the same names for fused and unfused cells) and packed again on loading."""
from ..model import load_checkpoint, save_checkpoint
from .rnn_cell import BaseRNNCell

__all__ = ["rnn_unroll", "save_rnn_checkpoint", "load_rnn_checkpoint", "do_rnn_checkpoint", "load_checkpoint",
           "save_checkpoint"]


def rnn_unroll(cell, length, inputs=None, begin_state=None, input_prefix='', layout='NTC'):
    """Deprecated (MXNet 1.9.1 too): ``cell.unroll(length, inputs, begin_state, layout)``. ``inputs`` None: one
    variable per step named ``<input_prefix>t<i>_data``. (MXNet 1.9.1's version hands ``input_prefix`` to
    ``cell.unroll``, which does not take it, and always fails; this one unrolls.)"""
    import warnings
    from .. import symbol
    warnings.warn('rnn_unroll is deprecated. Please call cell.unroll directly.', stacklevel=2)
    if inputs is None:
        inputs = [symbol.var('%st%d_data' % (input_prefix, i)) for i in range(length)]
    return cell.unroll(length=length, inputs=inputs, begin_state=begin_state, layout=layout)


def _cells(cells):
    return [cells] if isinstance(cells, BaseRNNCell) else list(cells)


def save_rnn_checkpoint(cells, prefix, epoch, symbol, arg_params, aux_params):
    """``mx.model.save_checkpoint`` with ``arg_params`` unpacked by each cell of ``cells`` (a cell or a list)."""
    for cell in _cells(cells):
        arg_params = cell.unpack_weights(arg_params)
    save_checkpoint(prefix, epoch, symbol, arg_params, aux_params)


def load_rnn_checkpoint(cells, prefix, epoch):
    """``mx.model.load_checkpoint`` with the arguments packed by each cell: ``(symbol, arg_params, aux_params)``."""
    sym, arg, aux = load_checkpoint(prefix, epoch)
    for cell in _cells(cells):
        arg = cell.pack_weights(arg)
    return sym, arg, aux


def do_rnn_checkpoint(cells, prefix, period=1):
    """An epoch-end callback saving with ``save_rnn_checkpoint`` every ``period`` epochs (epoch number + 1)."""
    period = int(max(1, period))

    def _callback(iter_no, sym=None, arg=None, aux=None):
        if (iter_no + 1) % period == 0:
            save_rnn_checkpoint(cells, prefix, iter_no + 1, sym, arg, aux)
    return _callback
