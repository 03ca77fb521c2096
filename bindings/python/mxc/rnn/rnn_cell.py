"""Symbolic recurrent cells (MXNet 1.x ``mx.rnn``): each call of a cell adds one time step to a Symbol graph, and
``unroll`` builds the whole unrolled network for a fixed sequence length (one graph per bucket).

Names are MXNet 1.9.1's, printed from MXNet: a cell with prefix ``lstm_`` owns ``lstm_i2h_weight``,
``lstm_i2h_bias``, ``lstm_h2h_weight``, ``lstm_h2h_bias``; step ``t`` adds nodes ``lstm_t<t>_...`` ending in
``lstm_t<t>_out`` (and ``lstm_t<t>_state``, the LSTM's cell state); initial states are ``lstm_begin_state_<k>``
symbols of shape (0, hidden), whose batch size shape inference fills in. ``unroll`` restarts these counters.
Gate order in the stacked weights: LSTM input, forget, candidate (``_c``), output; GRU reset, update, candidate
(``_o`` in unpacked names), the fused ``RNN`` operator's order, so ``FusedRNNCell.unfuse()`` and
``unpack_weights``/``pack_weights`` move weights between the fused and the unrolled network.
"""

from .. import ndarray as nd
from .. import symbol
from ..gluon.rnn.rnn_cell import _steps, _unstack
from ..initializer import FusedRNN, LSTMBias

__all__ = ["RNNParams", "BaseRNNCell", "RNNCell", "LSTMCell", "GRUCell", "FusedRNNCell", "SequentialRNNCell",
           "BidirectionalCell", "DropoutCell", "ModifierCell", "ZoneoutCell", "ResidualCell"]


class RNNParams(object):
    """The parameter Variables of cells, created once per name (``prefix + name``) and shared by every step."""

    def __init__(self, prefix=''):
        self._prefix = prefix
        self._params = {}

    def get(self, name, **kwargs):
        """The Variable ``prefix + name`` (created with ``kwargs``, e.g. ``init=``, the first time)."""
        name = self._prefix + name
        if name not in self._params:
            self._params[name] = symbol.Variable(name, **kwargs)
        return self._params[name]


def _format_outputs(outputs, length, layout, merge):
    """Step outputs as one tensor stacked along the layout's time axis (``merge`` True), a list (False), or as
    they are (None)."""
    axis = layout.find('T')
    if merge is None:
        return outputs
    if isinstance(outputs, symbol.Symbol):
        return outputs if merge else _unstack(symbol, outputs, length, axis)
    return symbol.stack(*outputs, axis=axis) if merge else list(outputs)


class BaseRNNCell(object):
    """Base class of the symbolic cells: ``cell(inputs, states)`` adds one step and returns
    ``(output, next_states)``; subclasses give ``state_info`` and ``__call__``."""
    _gate_names = ()

    def __init__(self, prefix='', params=None):
        self._own_params = params is None
        self._prefix = prefix
        self._params = RNNParams(prefix) if params is None else params
        self._modified = False
        self.reset()

    def reset(self):
        """Restarts the step and begin-state counters (names ``t0_...``, ``begin_state_0`` again)."""
        self._init_counter = -1
        self._counter = -1
        for cell in getattr(self, '_cells', ()):
            cell.reset()

    def __call__(self, inputs, states):
        raise NotImplementedError("%s cannot be stepped" % type(self).__name__)

    @property
    def params(self):
        """The cell's RNNParams."""
        self._own_params = False
        return self._params

    @property
    def state_info(self):
        """One dict per state: ``shape`` (0 for the batch size) and ``__layout__``."""
        raise NotImplementedError()

    @property
    def state_shape(self):
        return [info['shape'] for info in self.state_info]

    def _check_unmodified(self):
        if self._modified:
            raise AssertionError("After applying modifier cells (e.g. DropoutCell) the base cell cannot be called "
                                 "directly. Call the modifier cell instead.")

    def begin_state(self, func=symbol.zeros, **kwargs):
        """The initial states, one ``func(name='<prefix>begin_state_<k>', **state_info[k], **kwargs)`` each
        (zeros of shape (0, hidden) by default; ``func=mx.sym.Variable`` makes them inputs)."""
        self._check_unmodified()
        states = []
        for info in self.state_info:
            self._init_counter += 1
            args = dict(kwargs)
            args.update(info or {})
            state = func(name='%sbegin_state_%d' % (self._prefix, self._init_counter), **args)
            states.append(state)
        return states

    def unpack_weights(self, args):
        """A copy of ``args`` (name -> NDArray) with each stacked i2h/h2h weight and bias split per gate
        (``lstm_i2h_weight`` -> ``lstm_i2h_i_weight``, ``lstm_i2h_f_weight``, ...)."""
        args = dict(args)
        if not self._gate_names:
            return args
        h = self._num_hidden
        for group in ('i2h', 'h2h'):
            for kind in ('weight', 'bias'):
                whole = args.pop('%s%s_%s' % (self._prefix, group, kind))
                for j, gate in enumerate(self._gate_names):
                    args['%s%s%s_%s' % (self._prefix, group, gate, kind)] = whole[j * h:(j + 1) * h].copy()
        return args

    def pack_weights(self, args):
        """The inverse of ``unpack_weights``."""
        args = dict(args)
        if not self._gate_names:
            return args
        for group in ('i2h', 'h2h'):
            for kind in ('weight', 'bias'):
                parts = [args.pop('%s%s%s_%s' % (self._prefix, group, gate, kind)) for gate in self._gate_names]
                args['%s%s_%s' % (self._prefix, group, kind)] = nd.concat(*parts, dim=0)
        return args

    def unroll(self, length, inputs, begin_state=None, layout='NTC', merge_outputs=None):
        """Unrolls the cell over ``length`` steps of ``inputs`` (a Symbol in ``layout`` 'NTC' or 'TNC', or a list
        of (batch, C) Symbols). Returns ``(outputs, states)``: outputs one Symbol in ``layout`` when
        ``merge_outputs`` is True, a list when False, and a list when None."""
        self.reset()
        steps, _, _ = _steps(inputs, length, layout)
        states = self.begin_state() if begin_state is None else begin_state
        outputs = []
        for x in steps:
            out, states = self(x, states)
            outputs.append(out)
        return _format_outputs(outputs, length, layout, merge_outputs), states


class _GatedCell(BaseRNNCell):
    """RNNCell, LSTMCell, GRUCell: ``i2h`` and ``h2h`` FullyConnected layers of ``gates * num_hidden`` units."""
    _gates = 1

    def __init__(self, num_hidden, prefix, params, i2h_bias_init=None):
        super(_GatedCell, self).__init__(prefix=prefix, params=params)
        self._num_hidden = num_hidden
        self._iW = self._params.get('i2h_weight')
        self._iB = self._params.get('i2h_bias', **({'init': i2h_bias_init} if i2h_bias_init else {}))
        self._hW = self._params.get('h2h_weight')
        self._hB = self._params.get('h2h_bias')

    @property
    def state_info(self):
        return [{'shape': (0, self._num_hidden), '__layout__': 'NC'}] * self._num_states

    _num_states = 1

    def _project(self, inputs, states, sep=''):
        """Starts a step: its name prefix, the i2h and h2h projections and the states' values."""
        self._counter += 1
        name = '%st%d_' % (self._prefix, self._counter)
        units = self._num_hidden * self._gates
        i2h = symbol.FullyConnected(inputs, weight=self._iW, bias=self._iB, num_hidden=units,
                                    name=name + sep + 'i2h')
        h2h = symbol.FullyConnected(states[0], weight=self._hW, bias=self._hB, num_hidden=units,
                                    name=name + sep + 'h2h')
        return name, i2h, h2h, states


class RNNCell(_GatedCell):
    """Elman cell: ``h' = activation(i2h(x) + h2h(h))``."""
    _gate_names = ('',)

    def __init__(self, num_hidden, activation='tanh', prefix='rnn_', params=None):
        super(RNNCell, self).__init__(num_hidden, prefix, params)
        self._activation = activation

    def __call__(self, inputs, states):
        name, i2h, h2h, states = self._project(inputs, states)
        out = symbol.Activation(i2h + h2h, act_type=self._activation, name=name + 'out')
        return out, [out]


class LSTMCell(_GatedCell):
    """LSTM cell (states h, c); the forget gate's i2h bias starts at ``forget_bias`` (``mx.init.LSTMBias``)."""
    _gates = 4
    _num_states = 2
    _gate_names = ('_i', '_f', '_c', '_o')

    def __init__(self, num_hidden, prefix='lstm_', params=None, forget_bias=1.0):
        super(LSTMCell, self).__init__(num_hidden, prefix, params, i2h_bias_init=LSTMBias(forget_bias=forget_bias))

    def __call__(self, inputs, states):
        name, i2h, h2h, states = self._project(inputs, states)
        gates = symbol.SliceChannel(i2h + h2h, num_outputs=4, name=name + 'slice')
        in_gate = symbol.Activation(gates[0], act_type='sigmoid', name=name + 'i')
        forget_gate = symbol.Activation(gates[1], act_type='sigmoid', name=name + 'f')
        candidate = symbol.Activation(gates[2], act_type='tanh', name=name + 'c')
        out_gate = symbol.Activation(gates[3], act_type='sigmoid', name=name + 'o')
        c = symbol.elemwise_add(forget_gate * states[1], in_gate * candidate, name=name + 'state')
        h = symbol.elemwise_mul(out_gate, symbol.Activation(c, act_type='tanh'), name=name + 'out')
        return h, [h, c]


class GRUCell(_GatedCell):
    """GRU cell: ``n = tanh(i2h_n + r * h2h_n)``, ``h' = (1 - z) * n + z * h``."""
    _gates = 3
    _gate_names = ('_r', '_z', '_o')

    def __init__(self, num_hidden, prefix='gru_', params=None):
        super(GRUCell, self).__init__(num_hidden, prefix, params)

    def __call__(self, inputs, states):
        name, i2h, h2h, states = self._project(inputs, states, sep='_')
        i_r, i_z, i_n = symbol.SliceChannel(i2h, num_outputs=3, name=name + '_i2h_slice')
        h_r, h_z, h_n = symbol.SliceChannel(h2h, num_outputs=3, name=name + '_h2h_slice')
        reset = symbol.Activation(i_r + h_r, act_type='sigmoid', name=name + '_r_act')
        update = symbol.Activation(i_z + h_z, act_type='sigmoid', name=name + '_z_act')
        cand = symbol.Activation(i_n + reset * h_n, act_type='tanh', name=name + '_h_act')
        out = symbol.elemwise_add((1. - update) * cand, update * states[0], name=name + 'out')
        return out, [out]


_FUSED_GATES = {'rnn_relu': ('',), 'rnn_tanh': ('',), 'lstm': ('_i', '_f', '_c', '_o'), 'gru': ('_r', '_z', '_o')}


class FusedRNNCell(BaseRNNCell):
    """All layers and directions in one ``RNN`` operator over one flat parameter Variable ``<prefix>parameters``
    (initialized by ``mx.init.FusedRNN``). ``get_next_state`` returns the final states from ``unroll``;
    ``unfuse()`` gives the equivalent stack of unrolled cells."""

    def __init__(self, num_hidden, num_layers=1, mode='lstm', bidirectional=False, dropout=0., get_next_state=False,
                 forget_bias=1.0, prefix=None, params=None):
        if mode not in _FUSED_GATES:
            raise ValueError("FusedRNNCell: mode must be one of %s, got %r" % (sorted(_FUSED_GATES), mode))
        super(FusedRNNCell, self).__init__(prefix='%s_' % mode if prefix is None else prefix, params=params)
        self._num_hidden = num_hidden
        self._num_layers = num_layers
        self._mode = mode
        self._bidirectional = bidirectional
        self._dropout = dropout
        self._get_next_state = get_next_state
        self._forget_bias = forget_bias
        self._directions = ['l', 'r'] if bidirectional else ['l']
        self._gate_names = _FUSED_GATES[mode]
        self._parameter = self._params.get('parameters', init=FusedRNN(
            None, num_hidden, num_layers, mode, bidirectional, forget_bias))

    @property
    def state_info(self):
        info = {'shape': (len(self._directions) * self._num_layers, 0, self._num_hidden), '__layout__': 'LNC'}
        return [dict(info) for _ in range(2 if self._mode == 'lstm' else 1)]

    def _layout(self, input_size):
        """(name, shape) of every unpacked array in the order of the flat vector: the weights by layer and
        direction (i2h then h2h, gates in order), then the biases likewise."""
        h, d = self._num_hidden, len(self._directions)
        weights, biases = [], []
        for layer in range(self._num_layers):
            width = input_size if layer == 0 else d * h
            for direction in self._directions:
                for group, cols in (('i2h', width), ('h2h', h)):
                    for gate in self._gate_names:
                        name = '%s%s%d_%s%s' % (self._prefix, direction, layer, group, gate)
                        weights.append((name + '_weight', (h, cols)))
                        biases.append((name + '_bias', (h,)))
        return weights + biases

    def _input_size(self, total):
        h, d, g, layers = self._num_hidden, len(self._directions), len(self._gate_names), self._num_layers
        rest = total - d * g * h * (h + 2) - (layers - 1) * d * g * h * (d * h + h + 2)
        size, extra = divmod(rest, d * g * h)
        if extra or size <= 0:
            raise ValueError("FusedRNNCell %s: %d parameters do not fit %d %s layer(s) of %d units%s" % (
                self._prefix, total, layers, self._mode, h, " (bidirectional)" if d == 2 else ""))
        return size

    def unpack_weights(self, args):
        """A copy of ``args`` with ``<prefix>parameters`` replaced by the per-layer, per-direction, per-gate
        arrays (``<prefix>l0_i2h_i_weight``, ``<prefix>r0_h2h_f_bias``, ...)."""
        args = dict(args)
        flat = args.pop(self._prefix + 'parameters')
        pos = 0
        for name, shape in self._layout(self._input_size(flat.size)):
            size = shape[0] * (shape[1] if len(shape) > 1 else 1)
            args[name] = flat[pos:pos + size].reshape(shape).copy()
            pos += size
        return args

    def pack_weights(self, args):
        """The inverse of ``unpack_weights``."""
        args = dict(args)
        first = args['%sl0_i2h%s_weight' % (self._prefix, self._gate_names[0])]
        parts = [args.pop(name).reshape((-1,)) for name, _ in self._layout(first.shape[1])]
        args[self._prefix + 'parameters'] = nd.concat(*parts, dim=0)
        return args

    def __call__(self, inputs, states):
        raise NotImplementedError("FusedRNNCell cannot be stepped. Please use unroll")

    def unroll(self, length, inputs, begin_state=None, layout='NTC', merge_outputs=None):
        self.reset()
        if layout not in ('NTC', 'TNC'):
            raise ValueError("unroll: invalid layout %r; must be 'NTC' or 'TNC'" % (layout,))
        if isinstance(inputs, (list, tuple)):
            if len(inputs) != length:
                raise ValueError("unroll: length is %d but %d input steps were given" % (length, len(inputs)))
            data = symbol.stack(*inputs, axis=0)
        else:
            data = symbol.swapaxes(inputs, dim1=0, dim2=1) if layout == 'NTC' else inputs
        if begin_state is None:
            begin_state = self.begin_state()
        states = {'state': begin_state[0]}
        if self._mode == 'lstm':
            states['state_cell'] = begin_state[1]
        rnn = symbol.RNN(data=data, parameters=self._parameter, state_size=self._num_hidden,
                         num_layers=self._num_layers, bidirectional=self._bidirectional, p=self._dropout,
                         state_outputs=self._get_next_state, mode=self._mode, name=self._prefix + 'rnn', **states)
        if not self._get_next_state:
            outputs, states = rnn, []
        else:
            outputs, states = rnn[0], [rnn[k] for k in range(1, len(begin_state) + 1)]
        if merge_outputs is False:
            return _unstack(symbol, outputs, length, 0), states
        if layout == 'NTC':
            outputs = symbol.swapaxes(outputs, dim1=0, dim2=1)
        return outputs, states

    def unfuse(self):
        """The same network as a SequentialRNNCell of unrolled cells (``<prefix>l<k>_``/``r<k>_`` prefixes, so
        ``unpack_weights`` of this cell gives their weights), with DropoutCells between layers."""
        make = {'rnn_relu': lambda p: RNNCell(self._num_hidden, activation='relu', prefix=p),
                'rnn_tanh': lambda p: RNNCell(self._num_hidden, activation='tanh', prefix=p),
                'lstm': lambda p: LSTMCell(self._num_hidden, prefix=p, forget_bias=self._forget_bias),
                'gru': lambda p: GRUCell(self._num_hidden, prefix=p)}[self._mode]
        stack = SequentialRNNCell()
        for layer in range(self._num_layers):
            if self._bidirectional:
                stack.add(BidirectionalCell(make('%sl%d_' % (self._prefix, layer)),
                                            make('%sr%d_' % (self._prefix, layer)),
                                            output_prefix='%sbi_l%d_' % (self._prefix, layer)))
            else:
                stack.add(make('%sl%d_' % (self._prefix, layer)))
            if self._dropout > 0 and layer != self._num_layers - 1:
                stack.add(DropoutCell(self._dropout, prefix='%s_dropout%d_' % (self._prefix, layer)))
        return stack


class SequentialRNNCell(BaseRNNCell):
    """Cells stacked: each one's outputs are the next one's inputs; the states are all cells' states in order."""

    def __init__(self, params=None):
        super(SequentialRNNCell, self).__init__(prefix='', params=params)
        self._cells = []

    def add(self, cell):
        """Appends a cell (its parameters join this cell's)."""
        self._cells.append(cell)
        self._params._params.update(cell.params._params)

    @property
    def state_info(self):
        return [info for cell in self._cells for info in cell.state_info]

    def begin_state(self, **kwargs):
        self._check_unmodified()
        return [s for cell in self._cells for s in cell.begin_state(**kwargs)]

    def unpack_weights(self, args):
        for cell in self._cells:
            args = cell.unpack_weights(args)
        return args

    def pack_weights(self, args):
        for cell in self._cells:
            args = cell.pack_weights(args)
        return args

    def _split_states(self, states):
        pos = 0
        for cell in self._cells:
            n = len(cell.state_info)
            yield cell, list(states[pos:pos + n])
            pos += n

    def __call__(self, inputs, states):
        self._counter += 1
        next_states = []
        for cell, own in self._split_states(states):
            inputs, own = cell(inputs, own)
            next_states.extend(own)
        return inputs, next_states

    def unroll(self, length, inputs, begin_state=None, layout='NTC', merge_outputs=None):
        self.reset()
        if begin_state is None:
            begin_state = self.begin_state()
        next_states = []
        last = len(self._cells) - 1
        for i, (cell, own) in enumerate(self._split_states(begin_state)):
            inputs, own = cell.unroll(length, inputs, begin_state=own, layout=layout,
                                      merge_outputs=merge_outputs if i == last else None)
            next_states.extend(own)
        return inputs, next_states


class BidirectionalCell(BaseRNNCell):
    """``l_cell`` over the sequence and ``r_cell`` over it reversed, outputs concatenated per step (named
    ``<output_prefix>t<k>``, or ``<output_prefix>out`` merged). Only unrolled, never stepped. ``unroll`` returns
    the final states as ``[l_states, r_states]``, as MXNet's; ``begin_state`` is the flat list of both."""

    def __init__(self, l_cell, r_cell, params=None, output_prefix='bi_'):
        super(BidirectionalCell, self).__init__(prefix='', params=params)
        self._output_prefix = output_prefix
        self._cells = [l_cell, r_cell]
        for cell in self._cells:
            self._params._params.update(cell.params._params)

    @property
    def state_info(self):
        return self._cells[0].state_info + self._cells[1].state_info

    def begin_state(self, **kwargs):
        self._check_unmodified()
        return self._cells[0].begin_state(**kwargs) + self._cells[1].begin_state(**kwargs)

    def unpack_weights(self, args):
        return self._cells[1].unpack_weights(self._cells[0].unpack_weights(args))

    def pack_weights(self, args):
        return self._cells[1].pack_weights(self._cells[0].pack_weights(args))

    def __call__(self, inputs, states):
        raise NotImplementedError("Bidirectional cannot be stepped. Please use unroll")

    def unroll(self, length, inputs, begin_state=None, layout='NTC', merge_outputs=None):
        self.reset()
        steps, _, _ = _steps(inputs, length, layout)
        if begin_state is None:
            begin_state = self.begin_state()
        l_cell, r_cell = self._cells
        n = len(l_cell.state_info)
        l_out, l_states = l_cell.unroll(length, steps, begin_state[:n], layout, merge_outputs=False)
        r_out, r_states = r_cell.unroll(length, steps[::-1], begin_state[n:], layout, merge_outputs=False)
        r_out = r_out[::-1]
        if merge_outputs:
            axis = layout.find('T')
            outputs = symbol.Concat(symbol.stack(*l_out, axis=axis), symbol.stack(*r_out, axis=axis), dim=2,
                                    name=self._output_prefix + 'out')
        else:
            outputs = [symbol.Concat(l, r, dim=1, name='%st%d' % (self._output_prefix, t))
                       for t, (l, r) in enumerate(zip(l_out, r_out))]
        return outputs, [l_states, r_states]


class DropoutCell(BaseRNNCell):
    """Dropout (probability ``dropout``, in training mode) on each step's input; no states."""

    def __init__(self, dropout, prefix='dropout_', params=None):
        super(DropoutCell, self).__init__(prefix=prefix, params=params)
        self._dropout = dropout

    @property
    def state_info(self):
        return []

    def __call__(self, inputs, states):
        if self._dropout > 0:
            inputs = symbol.Dropout(inputs, p=self._dropout)
        return inputs, states

    def unroll(self, length, inputs, begin_state=None, layout='NTC', merge_outputs=None):
        if isinstance(inputs, symbol.Symbol) and merge_outputs is not False:
            self.reset()
            _steps(inputs, length, layout)  # checks the layout
            return self(inputs, [])[0], []
        return super(DropoutCell, self).unroll(length, inputs, begin_state, layout, merge_outputs)


class ModifierCell(BaseRNNCell):
    """A cell that changes what ``base_cell`` computes; the base cell must then be used through it only."""

    def __init__(self, base_cell):
        base_cell._modified = True
        self.base_cell = base_cell
        super(ModifierCell, self).__init__()

    def reset(self):
        super(ModifierCell, self).reset()
        self.base_cell.reset()

    @property
    def params(self):
        self._own_params = False
        return self.base_cell.params

    @property
    def state_info(self):
        return self.base_cell.state_info

    def begin_state(self, init_sym=symbol.zeros, **kwargs):
        self._check_unmodified()
        self.base_cell._modified = False
        try:
            return self.base_cell.begin_state(func=init_sym, **kwargs)
        finally:
            self.base_cell._modified = True

    def unpack_weights(self, args):
        return self.base_cell.unpack_weights(args)

    def pack_weights(self, args):
        return self.base_cell.pack_weights(args)

    def __call__(self, inputs, states):
        raise NotImplementedError()


class ZoneoutCell(ModifierCell):
    """Zoneout: in training mode each unit of the output (states) keeps its previous value with probability
    ``zoneout_outputs`` (``zoneout_states``); in prediction mode the base cell's values pass unchanged."""

    def __init__(self, base_cell, zoneout_outputs=0., zoneout_states=0.):
        if isinstance(base_cell, (FusedRNNCell, BidirectionalCell)):
            raise TypeError("ZoneoutCell: %s cannot be stepped, so it does not support zoneout; apply ZoneoutCell "
                            "to the cells underneath instead (FusedRNNCell: unfuse() first)"
                            % type(base_cell).__name__)
        super(ZoneoutCell, self).__init__(base_cell)
        self.zoneout_outputs = zoneout_outputs
        self.zoneout_states = zoneout_states
        self.prev_output = None

    def reset(self):
        super(ZoneoutCell, self).reset()
        self.prev_output = None

    def __call__(self, inputs, states):
        self._counter += 1
        next_output, next_states = self.base_cell(inputs, states)

        def keep_new(p, new, old):
            # Dropout of ones is 0 (keep the old value) with probability p in training, nonzero otherwise
            return symbol.where(symbol.Dropout(symbol.ones_like(new), p=p), new, old) if p > 0 else new

        prev = self.prev_output if self.prev_output is not None else symbol.zeros_like(next_output)
        output = keep_new(self.zoneout_outputs, next_output, prev)
        states = [keep_new(self.zoneout_states, new, old)
                  for new, old in zip(next_states, states)]
        self.prev_output = output
        return output, states


class ResidualCell(ModifierCell):
    """Adds each step's input to the base cell's output (``<output name>_plus_residual``)."""

    def __call__(self, inputs, states):
        self._counter += 1
        output, states = self.base_cell(inputs, states)
        return symbol.elemwise_add(output, inputs, name='%s_plus_residual' % output.name), states

    def unroll(self, length, inputs, begin_state=None, layout='NTC', merge_outputs=None):
        self.reset()
        self.base_cell._modified = False
        try:
            outputs, states = self.base_cell.unroll(length, inputs, begin_state, layout, merge_outputs)
        finally:
            self.base_cell._modified = True
        merged = isinstance(outputs, symbol.Symbol)
        if merged:
            inputs = _format_outputs(inputs, length, layout, True) if isinstance(inputs, (list, tuple)) else inputs
            return symbol.elemwise_add(outputs, inputs, name='%s_plus_residual' % outputs.name), states
        steps, _, _ = _steps(inputs, length, layout)
        return [symbol.elemwise_add(o, x, name='%s_plus_residual' % o.name) for o, x in zip(outputs, steps)], states
