"""Recurrent cells: one time step of a recurrent network, and ``unroll`` to run one over a sequence.

A cell is called on one step, ``out, states = cell(x, states)`` with ``x`` of shape (batch, input) and ``states``
the list that ``begin_state`` makes. The step math (``_rnn_step``, ``_lstm_step``, ``_gru_step``) takes the input
projection ``i2h`` already computed, so that the layers in ``rnn_layer.py`` can project a whole sequence at once
and share it. Gate order in the stacked weights (rows of ``i2h_weight``/``h2h_weight``): LSTM input, forget,
candidate, output; GRU reset, update, candidate, with ``n = tanh(i2h_n + r * h2h_n)`` and
``h' = (1 - z) * n + z * h`` -- as MXNet's, found by running MXNet on known weights.
"""
from ... import ndarray as nd
from ... import symbol as sym
from ..block import Block, HybridBlock

__all__ = ["RecurrentCell", "HybridRecurrentCell", "RNNCell", "LSTMCell", "GRUCell", "SequentialRNNCell",
           "HybridSequentialRNNCell", "DropoutCell", "ModifierCell", "ResidualCell", "ZoneoutCell",
           "BidirectionalCell"]


def _module(x):
    """``mx.sym`` for Symbols, else ``mx.nd``."""
    return sym if isinstance(x, sym.Symbol) else nd


def _zeros_beside(F, like, width):
    """Zeros of shape (batch, width), the batch taken from ``like`` (batch, anything): works on Symbols whose
    batch size is not known in Python."""
    if F is nd:
        return nd.zeros((like.shape[0], width), ctx=like.context, dtype=like.dtype)
    return F.broadcast_axis(F.zeros_like(F.slice_axis(like, axis=1, begin=0, end=1)), axis=1, size=width)


def _rnn_step(F, i2h, states, weight, bias, hidden, activation):
    h = F.Activation(i2h + F.FullyConnected(states[0], weight, bias, num_hidden=hidden), act_type=activation)
    return h, [h]


def _lstm_gates(F, pre, c_prev, activation, recurrent_activation, axis=1):
    """(h, c) of an LSTM step from the summed gate pre-activations ``pre`` (input, forget, candidate, output along
    ``axis``) and the previous cell state."""
    gates = F.split(pre, num_outputs=4, axis=axis)
    i, f, o = [F.Activation(gates[k], act_type=recurrent_activation) for k in (0, 1, 3)]
    g = F.Activation(gates[2], act_type=activation)
    c = f * c_prev + i * g
    return o * F.Activation(c, act_type=activation), c


def _lstm_step(F, i2h, states, weight, bias, hidden, activation='tanh', recurrent_activation='sigmoid'):
    pre = i2h + F.FullyConnected(states[0], weight, bias, num_hidden=4 * hidden)
    h, c = _lstm_gates(F, pre, states[1], activation, recurrent_activation)
    return h, [h, c]


def _gru_gates(F, i2h, h2h, h, activation='tanh', axis=1):
    """The next hidden state of a GRU step from the input and hidden projections (reset, update, candidate along
    ``axis``): n = activation(i2h_n + r * h2h_n), h' = (1 - z) * n + z * h."""
    ir, iz, inn = F.split(i2h, num_outputs=3, axis=axis)
    hr, hz, hn = F.split(h2h, num_outputs=3, axis=axis)
    r, z = F.sigmoid(ir + hr), F.sigmoid(iz + hz)
    pre = inn + r * hn
    n = F.tanh(pre) if activation == 'tanh' else F.Activation(pre, act_type=activation)
    return n + z * (h - n)


def _gru_step(F, i2h, states, weight, bias, hidden):
    out = _gru_gates(F, i2h, F.FullyConnected(states[0], weight, bias, num_hidden=3 * hidden), states[0])
    return out, [out]


def _unstack(F, x, n, axis):
    """The ``n`` slices of ``x`` along ``axis`` (that axis dropped), as a list."""
    parts = F.split(x, num_outputs=n, axis=axis, squeeze_axis=True)
    return [parts] if n == 1 and F is nd else [parts[k] for k in range(n)]


def _steps(inputs, length, layout):
    """The list of ``length`` steps (batch, ...) of ``inputs`` (a tensor in ``layout`` or a list of steps), the
    module of their type, and whether they came as one tensor."""
    if layout not in ('NTC', 'TNC'):
        raise ValueError("unroll: invalid layout %r; must be 'NTC' or 'TNC'" % (layout,))
    if isinstance(inputs, (list, tuple)):
        if len(inputs) != length:
            raise ValueError("unroll: length is %d but %d input steps were given" % (length, len(inputs)))
        return list(inputs), _module(inputs[0]), False
    axis = layout.find('T')
    if isinstance(inputs, nd.NDArray) and (inputs.ndim < 3 or inputs.shape[axis] != length):
        raise ValueError("unroll: inputs of shape %s do not hold %d steps in layout %s (expected a rank-3 tensor, "
                         "or more for convolutional cells, with %d on axis %d)"
                         % (inputs.shape, length, layout, length, axis))
    F = _module(inputs)
    return _unstack(F, inputs, length, axis), F, True


def _keep_where(F, live, new, old):
    """``new`` where ``live`` (batch,) is 1, ``old`` where it is 0."""
    m = F.reshape(live, shape=(-1, 1))
    return F.broadcast_mul(new - old, m) + old


def _merge(F, outs, layout, merge, valid_length):
    """The outputs as one tensor in ``layout`` (masked past each sample's valid length) or as a list."""
    if not merge and valid_length is None:
        return outs
    stacked = F.stack(*outs, axis=0)
    if valid_length is not None:
        stacked = F.SequenceMask(stacked, valid_length, use_sequence_length=True, axis=0)
    if not merge:
        return _unstack(F, stacked, len(outs), 0)
    return F.swapaxes(stacked, dim1=0, dim2=1) if layout == 'NTC' else stacked


def _reverse(F, steps, valid_length):
    """The steps in reverse order; with ``valid_length`` each sample reverses only its first valid_length steps."""
    if valid_length is None:
        return steps[::-1]
    flipped = F.SequenceReverse(F.stack(*steps, axis=0), valid_length, use_sequence_length=True)
    return _unstack(F, flipped, len(steps), 0)


def _stay_imperative(self, active=True, **kwargs):
    """``hybridize`` of the recurrent blocks: accepted (and passed on to children), but the block keeps running
    imperatively, as its unrolled graph depends on the sequence length."""
    HybridBlock.hybridize(self, active, **kwargs)
    self._hybrid_on = False


def _with_like(like, kwargs):
    return dict(kwargs, like=like) if like is not None else kwargs


class RecurrentCell(Block):
    """Base class of recurrent cells. Subclasses give ``state_info`` and the one-step ``forward(x, states)``."""

    def __init__(self, prefix=None, params=None):
        super().__init__(prefix=prefix, params=params)
        self._modified = False
        self.reset()

    def reset(self):
        """Kept for compatibility: MXNet resets its per-step name counters here; mxc's cells keep no such state."""
        for kid in self._kids.values():
            if isinstance(kid, RecurrentCell):
                kid.reset()

    def state_info(self, batch_size=0):
        """One dict per state: its ``shape`` and ``__layout__``."""
        raise NotImplementedError("%s must implement state_info()" % type(self).__name__)

    def begin_state(self, batch_size=0, func=nd.zeros, **kwargs):
        """The initial states, each made by ``func(shape=..., **kwargs)`` (zeros by default)."""
        if self._modified:
            raise AssertionError("After applying modifier cells (e.g. ResidualCell) the base cell cannot be called "
                                 "directly. Call the modifier cell instead.")
        states = []
        for info in self.state_info(batch_size):
            args = dict(kwargs)
            args.update({k: v for k, v in (info or {}).items() if k != '__layout__'})
            states.append(func(**args))
        return states

    def _check_states(self, states):
        want = self.state_info()
        if states is None or len(states) != len(want):
            raise ValueError("%s (%s): expected a list of %d state(s), got %s" % (
                self.name, type(self).__name__, len(want),
                "None" if states is None else "%d" % len(states)))
        for k, (s, info) in enumerate(zip(states, want)):
            shape = info['shape']
            if isinstance(s, nd.NDArray) and (s.ndim != len(shape) or s.shape[1:] != tuple(shape[1:])):
                raise ValueError("%s (%s): state %d has shape %s, expected (batch, %s)" % (
                    self.name, type(self).__name__, k, s.shape, ", ".join(str(d) for d in shape[1:])))

    def unroll(self, length, inputs, begin_state=None, layout='NTC', merge_outputs=None, valid_length=None):
        """Runs the cell over ``length`` steps of ``inputs`` (a tensor in ``layout`` or a list of (batch, C)
        steps). Returns (outputs, states): outputs one tensor when ``merge_outputs`` (default: when the inputs
        were one tensor), else a list; with ``valid_length`` (batch,) outputs past a sample's length are 0 and its
        states are those of its last valid step."""
        self.reset()
        steps, F, merged = _steps(inputs, length, layout)
        states = self.begin_state(0, func=None, like=(F, steps[0])) if begin_state is None else begin_state
        outs = []
        for t, x in enumerate(steps):
            out, new = self(x, states)
            if valid_length is not None:
                new = [_keep_where(F, valid_length > t, n, s) for n, s in zip(new, states)]
            outs.append(out)
            states = new
        return _merge(F, outs, layout, merged if merge_outputs is None else merge_outputs, valid_length), states


class HybridRecurrentCell(RecurrentCell, HybridBlock):
    """A recurrent cell written once for NDArrays and Symbols (``hybrid_forward(F, x, states, **params)``)."""
    hybridize = _stay_imperative

    def begin_state(self, batch_size=0, func=nd.zeros, like=None, **kwargs):
        if func is None:  # from unroll: zeros sized like its first step (F, step)
            return [_zeros_beside(like[0], like[1], info['shape'][-1]) for info in self.state_info()]
        return super().begin_state(batch_size, func, **kwargs)

    def forward(self, x, states):
        if isinstance(x, nd.NDArray) and x.ndim != 2:
            raise ValueError("%s (%s): a step input must be (batch, input_size), got shape %s; use unroll() for "
                             "sequences" % (self.name, type(self).__name__, x.shape))
        self._check_states(states)
        return HybridBlock.forward(self, x, list(states))


class _GatedCell(HybridRecurrentCell):
    """What RNNCell, LSTMCell and GRUCell share: i2h/h2h weights and biases of ``gates * hidden_size`` rows."""
    _gates = 1
    _hint = 'rnn'

    def __init__(self, hidden_size, i2h_weight_initializer, h2h_weight_initializer, i2h_bias_initializer,
                 h2h_bias_initializer, input_size, prefix, params):
        super().__init__(prefix=prefix, params=params)
        self._hidden_size = hidden_size
        self._input_size = input_size
        rows = self._gates * hidden_size
        self.i2h_weight = self.params.get('i2h_weight', shape=(rows, input_size), init=i2h_weight_initializer,
                                          allow_deferred_init=True)
        self.h2h_weight = self.params.get('h2h_weight', shape=(rows, hidden_size), init=h2h_weight_initializer,
                                          allow_deferred_init=True)
        self.i2h_bias = self.params.get('i2h_bias', shape=(rows,), init=i2h_bias_initializer,
                                        allow_deferred_init=True)
        self.h2h_bias = self.params.get('h2h_bias', shape=(rows,), init=h2h_bias_initializer,
                                        allow_deferred_init=True)

    def _name_hint(self):
        return self._hint

    def state_info(self, batch_size=0):
        return [{'shape': (batch_size, self._hidden_size), '__layout__': 'NC'}] * (2 if self._gates == 4 else 1)

    def hybrid_forward(self, F, x, states, i2h_weight, h2h_weight, i2h_bias, h2h_bias):
        i2h = F.FullyConnected(x, i2h_weight, i2h_bias, num_hidden=self._gates * self._hidden_size)
        return self._step(F, i2h, states, h2h_weight, h2h_bias)

    def _mapping(self):
        fan_in = self.i2h_weight.shape[1] if self.i2h_weight.shape[1] else None
        return "%s -> %s" % (fan_in, self.i2h_weight.shape[0])


class RNNCell(_GatedCell):
    """Elman cell: ``h' = activation(W_i x + b_i + W_h h + b_h)``."""

    def __init__(self, hidden_size, activation='tanh', i2h_weight_initializer=None, h2h_weight_initializer=None,
                 i2h_bias_initializer='zeros', h2h_bias_initializer='zeros', input_size=0, prefix=None, params=None):
        self._activation = activation
        super().__init__(hidden_size, i2h_weight_initializer, h2h_weight_initializer, i2h_bias_initializer,
                         h2h_bias_initializer, input_size, prefix, params)

    def _step(self, F, i2h, states, weight, bias):
        return _rnn_step(F, i2h, states, weight, bias, self._hidden_size, self._activation)

    def __repr__(self):
        return "%s(%s, %s)" % (type(self).__name__, self._mapping(), self._activation)


class LSTMCell(_GatedCell):
    """Long short-term memory cell; states [h, c]."""
    _gates = 4
    _hint = 'lstm'

    def __init__(self, hidden_size, i2h_weight_initializer=None, h2h_weight_initializer=None,
                 i2h_bias_initializer='zeros', h2h_bias_initializer='zeros', input_size=0, prefix=None, params=None,
                 activation='tanh', recurrent_activation='sigmoid'):
        self._acts = (activation, recurrent_activation)
        super().__init__(hidden_size, i2h_weight_initializer, h2h_weight_initializer, i2h_bias_initializer,
                         h2h_bias_initializer, input_size, prefix, params)

    def _step(self, F, i2h, states, weight, bias):
        return _lstm_step(F, i2h, states, weight, bias, self._hidden_size, *self._acts)

    def __repr__(self):
        return "%s(%s)" % (type(self).__name__, self._mapping())


class GRUCell(_GatedCell):
    """Gated recurrent unit cell (reset gate applied after the hidden projection, as cuDNN and MXNet)."""
    _gates = 3
    _hint = 'gru'

    def __init__(self, hidden_size, i2h_weight_initializer=None, h2h_weight_initializer=None,
                 i2h_bias_initializer='zeros', h2h_bias_initializer='zeros', input_size=0, prefix=None, params=None):
        super().__init__(hidden_size, i2h_weight_initializer, h2h_weight_initializer, i2h_bias_initializer,
                         h2h_bias_initializer, input_size, prefix, params)

    def _step(self, F, i2h, states, weight, bias):
        return _gru_step(F, i2h, states, weight, bias, self._hidden_size)

    def __repr__(self):
        return "%s(%s)" % (type(self).__name__, self._mapping())


class SequentialRNNCell(RecurrentCell):
    """Stacks cells: each step runs them in order, the states being the concatenation of theirs."""

    def add(self, cell):
        self.register_child(cell)

    def __len__(self):
        return len(self._kids)

    def __getitem__(self, i):
        return list(self._kids.values())[i]

    def _bidirectional_inside(self):
        return any(isinstance(c, BidirectionalCell) for c in self._kids.values())

    def state_info(self, batch_size=0):
        return [info for c in self._kids.values() for info in c.state_info(batch_size)]

    def begin_state(self, batch_size=0, func=nd.zeros, **kwargs):
        return [s for c in self._kids.values() for s in c.begin_state(batch_size, func, **kwargs)]

    def forward(self, x, states):
        self._check_states(states)
        pos, next_states = 0, []
        for cell in self._kids.values():
            n = len(cell.state_info())
            x, mine = cell(x, states[pos:pos + n])
            pos += n
            next_states.extend(mine)
        return x, next_states

    def unroll(self, length, inputs, begin_state=None, layout='NTC', merge_outputs=None, valid_length=None):
        """Unrolls each cell in turn over the whole sequence (so a BidirectionalCell may be one of them)."""
        self.reset()
        steps, F, merged = _steps(inputs, length, layout)
        if begin_state is None:
            begin_state = self.begin_state(0, func=None, like=(F, steps[0]))
        self._check_states(begin_state)
        pos, states = 0, []
        for cell in self._kids.values():
            n = len(cell.state_info())
            steps, mine = cell.unroll(length, steps, begin_state[pos:pos + n], layout, False, valid_length)
            pos += n
            states.extend(mine)
        return _merge(F, steps, layout, merged if merge_outputs is None else merge_outputs, None), states

    def __repr__(self):
        return "%s(\n%s\n)" % (type(self).__name__,
                               "\n".join("(%s): %s" % (k, repr(c)) for k, c in self._kids.items()))


class HybridSequentialRNNCell(SequentialRNNCell):
    """SequentialRNNCell for hybrid cells (the same in mxc, where blocks run imperatively)."""


class DropoutCell(HybridRecurrentCell):
    """Applies dropout to the input of each step while training; no states."""

    def __init__(self, rate, axes=(), prefix=None, params=None):
        super().__init__(prefix=prefix, params=params)
        if not isinstance(rate, (int, float)):
            raise TypeError("DropoutCell: rate must be a number, got %s" % type(rate).__name__)
        self._rate = rate
        self._axes = axes

    def state_info(self, batch_size=0):
        return []

    def forward(self, x, states):
        F = _module(x)
        return (F.Dropout(x, p=self._rate, axes=self._axes) if self._rate > 0 else x), list(states or [])

    def __repr__(self):
        return "%s(rate=%s, axes=%s)" % (type(self).__name__, self._rate, self._axes)


class ModifierCell(HybridRecurrentCell):
    """Base of cells that wrap another cell (``base_cell``) and change its output."""

    def __init__(self, base_cell):
        if base_cell._modified:
            raise AssertionError("Cell %s is already modified. One cell cannot be modified twice"
                                 % base_cell.name)
        base_cell._modified = True
        super().__init__()
        self.base_cell = base_cell

    def state_info(self, batch_size=0):
        return self.base_cell.state_info(batch_size)

    def begin_state(self, batch_size=0, func=nd.zeros, like=None, **kwargs):
        self.base_cell._modified = False
        try:
            return self.base_cell.begin_state(batch_size, func, **_with_like(like, kwargs))
        finally:
            self.base_cell._modified = True

    def __repr__(self):
        return "%s(%s)" % (type(self).__name__, repr(self.base_cell))


class ResidualCell(ModifierCell):
    """Adds the step input to the output of ``base_cell`` (input and output sizes must agree)."""

    def forward(self, x, states):
        out, states = self.base_cell(x, states)
        return out + x, states


class ZoneoutCell(ModifierCell):
    """Zoneout (Krueger et al. 2016) on ``base_cell``: while training, each output element keeps its previous
    step's value with probability ``zoneout_outputs`` and each state element its previous value with probability
    ``zoneout_states``; outside training the base cell's values pass unchanged."""

    def __init__(self, base_cell, zoneout_outputs=0., zoneout_states=0.):
        if isinstance(base_cell, BidirectionalCell):
            raise ValueError("BidirectionalCell doesn't support zoneout since it doesn't support step. "
                             "Please add ZoneoutCell to the cells underneath instead.")
        if isinstance(base_cell, SequentialRNNCell) and base_cell._bidirectional_inside():
            raise ValueError("Bidirectional SequentialRNNCell doesn't support zoneout. "
                             "Please add ZoneoutCell to the cells underneath instead.")
        super().__init__(base_cell)
        self.zoneout_outputs = zoneout_outputs
        self.zoneout_states = zoneout_states
        self._prev_output = None

    def reset(self):
        super().reset()
        self._prev_output = None

    def forward(self, x, states):
        F = _module(x)
        out, new_states = self.base_cell(x, states)

        def keep(p, like):  # 1 where the new value is kept (training), everywhere outside training
            return F.Dropout(F.ones_like(like), p=p)

        prev = self._prev_output if self._prev_output is not None else F.zeros_like(out)
        if self.zoneout_outputs != 0.:
            out = F.where(keep(self.zoneout_outputs, out), out, prev)
        if self.zoneout_states != 0.:
            new_states = [F.where(keep(self.zoneout_states, n), n, o) for n, o in zip(new_states, states)]
        self._prev_output = out
        return out, new_states

    def __repr__(self):
        return "%s(p_out=%s, p_state=%s, %r)" % (type(self).__name__, self.zoneout_outputs, self.zoneout_states,
                                                 self.base_cell)


class BidirectionalCell(HybridRecurrentCell):
    """Runs ``l_cell`` forward and ``r_cell`` backward over a sequence and concatenates their outputs; it can
    only be unrolled, not stepped."""

    def __init__(self, l_cell, r_cell, output_prefix='bi_'):
        super().__init__()
        self.l_cell = l_cell
        self.r_cell = r_cell
        self._output_prefix = output_prefix

    def forward(self, x, states):
        raise NotImplementedError("Bidirectional cannot be stepped. Please use unroll")

    def state_info(self, batch_size=0):
        return self.l_cell.state_info(batch_size) + self.r_cell.state_info(batch_size)

    def begin_state(self, batch_size=0, func=nd.zeros, like=None, **kwargs):
        kwargs = _with_like(like, kwargs)
        return self.l_cell.begin_state(batch_size, func, **kwargs) + self.r_cell.begin_state(batch_size, func, **kwargs)

    def unroll(self, length, inputs, begin_state=None, layout='NTC', merge_outputs=None, valid_length=None):
        self.reset()
        steps, F, merged = _steps(inputs, length, layout)
        if begin_state is None:
            begin_state = self.begin_state(0, func=None, like=(F, steps[0]))
        self._check_states(begin_state)
        n = len(self.l_cell.state_info())
        l_out, l_states = self.l_cell.unroll(length, steps, begin_state[:n], layout, False, valid_length)
        r_out, r_states = self.r_cell.unroll(length, _reverse(F, steps, valid_length), begin_state[n:], layout,
                                             False, valid_length)
        r_out = _reverse(F, r_out, valid_length)
        outs = [F.concat(a, b, dim=1) for a, b in zip(l_out, r_out)]
        merge = merged if merge_outputs is None else merge_outputs
        return _merge(F, outs, layout, merge, valid_length), l_states + r_states

    def __repr__(self):
        return "%s(forward=%r, backward=%r)" % (type(self).__name__, self.l_cell, self.r_cell)
