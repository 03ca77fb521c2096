"""The recurrent layers RNN, LSTM and GRU: stacked (optionally bidirectional) recurrent layers over a whole
sequence, run by the fused ``RNN`` operator as in MXNet.

The layer keeps one Parameter per weight and bias, named as MXNet's (``l0_i2h_weight``, ``r0_h2h_bias``: ``r`` for
the reverse direction of a bidirectional layer), and joins them, flattened, into the operator's parameter vector
(``_rnn_param_concat``, in the operator's order: every weight, then every bias). The graph of a hybridized layer is
one ``RNN`` node, whatever the sequence length.
"""
from ... import ndarray as nd
from ... import symbol as sym
from ..block import HybridBlock

__all__ = ["RNN", "LSTM", "GRU"]


class _RNNLayer(HybridBlock):
    """What RNN, LSTM and GRU share; subclasses set ``_gates``, ``_nstates`` and ``_mode`` (the operator's)."""
    _gates = 1
    _nstates = 1

    _clip = (None, None, False)  # LSTM: the operator's lstm_state_clip_min, _max, _nan

    def __init__(self, hidden_size, num_layers, layout, dropout, bidirectional, input_size, i2h_weight_initializer,
                 h2h_weight_initializer, i2h_bias_initializer, h2h_bias_initializer, dtype, use_sequence_length=False,
                 **kwargs):
        super().__init__(**kwargs)
        self._use_sequence_length = use_sequence_length
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

    def __call__(self, x, states=None, sequence_length=None):
        """``layer(x)``, ``layer(x, states)``; with ``use_sequence_length=True`` also ``sequence_length`` (batch,):
        steps past a sequence's length output zeros and keep its state. Passed on as ``x [, states]
        [, sequence_length]``."""
        if sequence_length is not None and not self._use_sequence_length:
            raise ValueError("%s: sequence_length given to a layer made without use_sequence_length=True"
                             % self._where())
        if sequence_length is None and self._use_sequence_length:
            raise ValueError("%s: the layer was made with use_sequence_length=True: pass sequence_length (batch,)"
                             % self._where())
        if isinstance(states, (nd.NDArray, sym.Symbol)):
            states = [states]
        args = ([] if states is None else [list(states)]) + ([] if sequence_length is None else [sequence_length])
        return super().__call__(x, *args)

    def _split(self, args):
        """(states or None, [sequence_length] or []) from the arguments after x."""
        return (args[0] if len(args) > self._use_sequence_length else None,
                [args[-1]] if self._use_sequence_length else [])

    def forward(self, x, *args):
        if isinstance(x, nd.NDArray):
            self._check_input(x, self._split(args)[0])
        self._learn_input_size(x)
        return HybridBlock.forward(self, x, *args)

    def _learn_input_size(self, x):
        """Gives the first layer's i2h weights their input size from x (the operator's flat parameter vector
        cannot tell shape inference how its parts are shaped)."""
        if self.l0_i2h_weight.shape[1]:
            return
        if isinstance(x, nd.NDArray):
            shape = x.shape
        else:
            _, outs, _ = x.infer_shape_partial()
            shape = outs[0] if outs and outs[0] else ()
        if len(shape) == 3 and shape[2]:
            for d in 'lr'[:self._dirs]:
                p = getattr(self, '%s0_i2h_weight' % d)
                p.shape = (p.shape[0], shape[2])

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

    def hybrid_forward(self, F, x, *args, **params):
        states, lengths = self._split(args)
        if self._layout == 'NTC':
            x = F.swapaxes(x, dim1=0, dim2=1)
        L, D, H = self._num_layers, self._dirs, self._hidden_size
        names = ['%s%d_%s' % (d, layer, kind) for kinds in (('i2h_weight', 'h2h_weight'), ('i2h_bias', 'h2h_bias'))
                 for layer in range(L) for d in 'lr'[:D] for kind in kinds]
        flat = F._rnn_param_concat(*[F.reshape(params[n], shape=-1) for n in names], dim=0, num_args=len(names))
        if states is None:  # zeros (L*D, N, H), made from x so that the graph does not depend on the batch size
            first = F.slice_axis(F.slice_axis(x, axis=0, begin=0, end=1), axis=2, begin=0, end=1)
            given = [F.broadcast_axis(F.zeros_like(first), axis=(0, 2), size=(L * D, H))] * self._nstates
        else:
            given = list(states)
        # Every parameter given, as MXNet's layers write them into exported graphs.
        outs = F.RNN(x, flat, *given, *lengths, state_size=H, num_layers=L, bidirectional=D == 2, mode=self._mode,
                     p=self._dropout, state_outputs=True, projection_size=None, lstm_state_clip_min=self._clip[0],
                     lstm_state_clip_max=self._clip[1], lstm_state_clip_nan=self._clip[2],
                     use_sequence_length=self._use_sequence_length)
        y = outs[0]
        if self._layout == 'NTC':
            y = F.swapaxes(y, dim1=0, dim2=1)
        if states is None:
            return y
        return y, [outs[k] for k in range(1, 1 + self._nstates)]

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
        self._mode = 'rnn_' + activation
        super().__init__(hidden_size, num_layers, layout, dropout, bidirectional, input_size, i2h_weight_initializer,
                         h2h_weight_initializer, i2h_bias_initializer, h2h_bias_initializer, dtype, **kwargs)


class LSTM(_RNNLayer):
    """Long short-term memory layer; states [h, c]. state_clip_min/max clip the cell state (MXNet's CPU ignores
    them; its GPU, through cuDNN, clips as mxc does)."""
    _gates = 4
    _nstates = 2
    _mode = 'lstm'

    def __init__(self, hidden_size, num_layers=1, layout='TNC', dropout=0, bidirectional=False, input_size=0,
                 i2h_weight_initializer=None, h2h_weight_initializer=None, i2h_bias_initializer='zeros',
                 h2h_bias_initializer='zeros', projection_size=None, h2r_weight_initializer=None,
                 state_clip_min=None, state_clip_max=None, state_clip_nan=False, dtype='float32', **kwargs):
        if projection_size is not None:
            raise NotImplementedError("LSTM(projection_size=%s): the projected LSTM (LSTMP) is not implemented in "
                                      "mxc; leave projection_size=None" % (projection_size,))
        if state_clip_min is not None or state_clip_max is not None:
            self._clip = (state_clip_min, state_clip_max, state_clip_nan)
        super().__init__(hidden_size, num_layers, layout, dropout, bidirectional, input_size, i2h_weight_initializer,
                         h2h_weight_initializer, i2h_bias_initializer, h2h_bias_initializer, dtype, **kwargs)


class GRU(_RNNLayer):
    """Gated recurrent unit layer; one state h."""
    _gates = 3
    _mode = 'gru'

    def __init__(self, hidden_size, num_layers=1, layout='TNC', dropout=0, bidirectional=False, input_size=0,
                 i2h_weight_initializer=None, h2h_weight_initializer=None, i2h_bias_initializer='zeros',
                 h2h_bias_initializer='zeros', dtype='float32', **kwargs):
        super().__init__(hidden_size, num_layers, layout, dropout, bidirectional, input_size, i2h_weight_initializer,
                         h2h_weight_initializer, i2h_bias_initializer, h2h_bias_initializer, dtype, **kwargs)
