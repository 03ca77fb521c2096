"""The recurrent layers RNN, LSTM and GRU: stacked (optionally bidirectional) cells over a whole sequence.

mxc has no fused RNN operator: each layer and direction projects the whole sequence with one FullyConnected,
then runs the cells' step math (``rnn_cell._lstm_step`` ...) over time, so autograd and Symbols go through the
ordinary operators. Parameters are named as MXNet's: ``l0_i2h_weight``, ``r0_h2h_bias`` (``r`` for the reverse
direction of a bidirectional layer).
"""
from ... import ndarray as nd
from ... import symbol as sym
from ..block import HybridBlock
from .rnn_cell import _lstm_step, _gru_step, _rnn_step, _unstack, _zeros_beside

__all__ = ["RNN", "LSTM", "GRU"]


def _length(F, x, axis, where):
    """The size of ``x`` along ``axis``: a Symbol must carry its shape (as the variables gluon makes do)."""
    if F is nd:
        return x.shape[axis]
    _, outs, _ = x.infer_shape_partial()
    if not outs or not outs[0] or len(outs[0]) != 3 or not outs[0][axis]:
        raise ValueError("%s: the sequence length of a Symbol input must be known to unroll it (give the input "
                         "variable its shape, as hybridize() does)" % where)
    return outs[0][axis]


class _RNNLayer(HybridBlock):
    """What RNN, LSTM and GRU share; subclasses set ``_gates``, ``_nstates`` and ``_step``."""
    _gates = 1
    _nstates = 1

    def __init__(self, hidden_size, num_layers, layout, dropout, bidirectional, input_size, i2h_weight_initializer,
                 h2h_weight_initializer, i2h_bias_initializer, h2h_bias_initializer, dtype, **kwargs):
        super().__init__(**kwargs)
        if layout not in ('TNC', 'NTC'):
            raise AssertionError("Invalid layout %s; must be one of ['TNC' or 'NTC']" % layout)
        self._hidden_size = hidden_size
        self._num_layers = num_layers
        self._layout = layout
        self._dropout = dropout
        self._dirs = 2 if bidirectional else 1
        self._input_size = input_size
        self._dtype = dtype
        rows = self._gates * hidden_size
        for layer in range(num_layers):
            fan_in = input_size if layer == 0 else hidden_size * self._dirs
            for d in 'lr'[:self._dirs]:
                for kind, shape, init in (('i2h_weight', (rows, fan_in), i2h_weight_initializer),
                                          ('h2h_weight', (rows, hidden_size), h2h_weight_initializer),
                                          ('i2h_bias', (rows,), i2h_bias_initializer),
                                          ('h2h_bias', (rows,), h2h_bias_initializer)):
                    pname = '%s%d_%s' % (d, layer, kind)
                    setattr(self, pname, self.params.get(pname, shape=shape, init=init, dtype=dtype,
                                                         allow_deferred_init=True))

    def _name_hint(self):
        return type(self).__name__.lower()

    def state_info(self, batch_size=0):
        return [{'shape': (self._num_layers * self._dirs, batch_size, self._hidden_size), '__layout__': 'LNC',
                 'dtype': self._dtype}] * self._nstates

    def begin_state(self, batch_size=0, func=nd.zeros, **kwargs):
        """The initial states, each (num_layers * directions, batch_size, hidden_size), made by ``func``."""
        states = []
        for info in self.state_info(batch_size):
            args = dict(kwargs)
            args.update({k: v for k, v in info.items() if k != '__layout__'})
            states.append(func(**args))
        return states

    def _where(self):
        return "%s (%s)" % (self.name, type(self).__name__)

    def forward(self, x, states=None):
        if isinstance(states, (nd.NDArray, sym.Symbol)):
            states = [states]
        if isinstance(x, nd.NDArray):
            self._check_input(x, states)
        if states is None:
            return HybridBlock.forward(self, x)
        return HybridBlock.forward(self, x, list(states))

    def _check_input(self, x, states):
        if x.ndim != 3:
            raise ValueError("%s: input data should be a rank-3 tensor of dim %s, got shape %s" % (
                self._where(), "[batch size, sequence length, input size]" if self._layout == 'NTC'
                else "[sequence length, batch size, input size]", x.shape))
        fan_in = self.l0_i2h_weight.shape[1]
        if fan_in and x.shape[2] != fan_in:
            raise ValueError("%s: input has %d features but the layer takes input_size %d (l0_i2h_weight %s)"
                             % (self._where(), x.shape[2], fan_in, self.l0_i2h_weight.shape))
        if states is None:
            return
        if len(states) != self._nstates:
            raise ValueError("%s: expected %d state array(s), got %d" % (self._where(), self._nstates, len(states)))
        want = self.state_info(x.shape[self._layout.find('N')])[0]['shape']
        for s in states:
            if s.shape != want:
                raise ValueError("Invalid recurrent state shape. Expecting %s, got %s." % (str(want), str(s.shape)))

    def hybrid_forward(self, F, x, states=None, **params):
        if self._layout == 'NTC':
            x = F.swapaxes(x, dim1=0, dim2=1)
        T = _length(F, x, 0, self._where())
        H, rows, D = self._hidden_size, self._gates * self._hidden_size, self._dirs
        given = None if states is None else [_unstack(F, s, self._num_layers * D, 0) for s in states]
        finals = [[] for _ in range(self._nstates)]
        for layer in range(self._num_layers):
            seqs = []
            for d in range(D):
                def p(kind):
                    return params['%s%d_%s' % ('lr'[d], layer, kind)]
                steps = _unstack(F, F.FullyConnected(x, p('i2h_weight'), p('i2h_bias'), num_hidden=rows,
                                                     flatten=False), T, 0)
                if given is None:
                    st = [_zeros_beside(F, steps[0], H)] * self._nstates
                else:
                    st = [g[layer * D + d] for g in given]
                outs = [None] * T
                for t in (range(T) if d == 0 else reversed(range(T))):
                    outs[t], st = self._step(F, steps[t], st, p('h2h_weight'), p('h2h_bias'))
                seqs.append(F.stack(*outs, axis=0))
                for k in range(self._nstates):
                    finals[k].append(st[k])
            x = seqs[0] if D == 1 else F.concat(*seqs, dim=2)
            if self._dropout and layer < self._num_layers - 1:
                x = F.Dropout(x, p=self._dropout)
        if self._layout == 'NTC':
            x = F.swapaxes(x, dim1=0, dim2=1)
        if states is None:
            return x
        return x, [F.stack(*f, axis=0) for f in finals]

    def __repr__(self):
        fan_in = self.l0_i2h_weight.shape[1] or None
        text = "%s(%s -> %s, %s" % (type(self).__name__, fan_in, self._hidden_size, self._layout)
        if self._num_layers != 1:
            text += ", num_layers=%d" % self._num_layers
        if self._dropout != 0:
            text += ", dropout=%s" % self._dropout
        if self._dirs == 2:
            text += ", bidirectional"
        return text + ")"


class RNN(_RNNLayer):
    """Elman RNN layer, ``h' = activation(W_i x + b_i + W_h h + b_h)`` ('relu' or 'tanh'); one state h."""

    def __init__(self, hidden_size, num_layers=1, activation='relu', layout='TNC', dropout=0, bidirectional=False,
                 i2h_weight_initializer=None, h2h_weight_initializer=None, i2h_bias_initializer='zeros',
                 h2h_bias_initializer='zeros', input_size=0, dtype='float32', **kwargs):
        if activation not in ('relu', 'tanh'):
            raise ValueError("RNN: activation must be 'relu' or 'tanh', got %r" % (activation,))
        self._activation = activation
        super().__init__(hidden_size, num_layers, layout, dropout, bidirectional, input_size, i2h_weight_initializer,
                         h2h_weight_initializer, i2h_bias_initializer, h2h_bias_initializer, dtype, **kwargs)

    def _step(self, F, i2h, states, weight, bias):
        return _rnn_step(F, i2h, states, weight, bias, self._hidden_size, self._activation)


class LSTM(_RNNLayer):
    """Long short-term memory layer; states [h, c]."""
    _gates = 4
    _nstates = 2

    def __init__(self, hidden_size, num_layers=1, layout='TNC', dropout=0, bidirectional=False, input_size=0,
                 i2h_weight_initializer=None, h2h_weight_initializer=None, i2h_bias_initializer='zeros',
                 h2h_bias_initializer='zeros', projection_size=None, h2r_weight_initializer=None,
                 state_clip_min=None, state_clip_max=None, state_clip_nan=False, dtype='float32', **kwargs):
        if projection_size is not None:
            raise NotImplementedError("LSTM(projection_size=%s): the projected LSTM (LSTMP) is not implemented in "
                                      "mxc; leave projection_size=None" % (projection_size,))
        if state_clip_min is not None or state_clip_max is not None or state_clip_nan:
            raise NotImplementedError("LSTM: state_clip_min/state_clip_max/state_clip_nan are not implemented in mxc")
        super().__init__(hidden_size, num_layers, layout, dropout, bidirectional, input_size, i2h_weight_initializer,
                         h2h_weight_initializer, i2h_bias_initializer, h2h_bias_initializer, dtype, **kwargs)

    def _step(self, F, i2h, states, weight, bias):
        return _lstm_step(F, i2h, states, weight, bias, self._hidden_size)


class GRU(_RNNLayer):
    """Gated recurrent unit layer; one state h."""
    _gates = 3

    def __init__(self, hidden_size, num_layers=1, layout='TNC', dropout=0, bidirectional=False, input_size=0,
                 i2h_weight_initializer=None, h2h_weight_initializer=None, i2h_bias_initializer='zeros',
                 h2h_bias_initializer='zeros', dtype='float32', **kwargs):
        super().__init__(hidden_size, num_layers, layout, dropout, bidirectional, input_size, i2h_weight_initializer,
                         h2h_weight_initializer, i2h_bias_initializer, h2h_bias_initializer, dtype, **kwargs)

    def _step(self, F, i2h, states, weight, bias):
        return _gru_step(F, i2h, states, weight, bias, self._hidden_size)
