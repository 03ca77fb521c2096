"""Convolutional recurrent cells (Shi et al. 2015), as MXNet 1.9.1's ``gluon.contrib.rnn``: RNN, LSTM and GRU cells
whose input-to-hidden and hidden-to-hidden maps are convolutions, over 1-D (NCW), 2-D (NCHW) and 3-D (NCDHW) steps.

A step input is (batch, *input_shape); the states are (batch, hidden_channels, *spatial) where spatial is the size of
the input-to-hidden convolution's output (stride 1, ``i2h_pad``, ``i2h_dilate``). The hidden-to-hidden convolution
keeps that size: its kernel must be odd and its padding is dilate * (kernel - 1) / 2. Gates are stacked along the
channel axis in the order of LSTMCell and GRUCell.
"""
from .... import ndarray as nd
from ...block import HybridBlock
from ...rnn.rnn_cell import HybridRecurrentCell, _gru_gates, _lstm_gates

__all__ = ["Conv1DRNNCell", "Conv2DRNNCell", "Conv3DRNNCell", "Conv1DLSTMCell", "Conv2DLSTMCell", "Conv3DLSTMCell",
           "Conv1DGRUCell", "Conv2DGRUCell", "Conv3DGRUCell"]

_LAYOUTS = {1: 'NCW', 2: 'NCHW', 3: 'NCDHW'}


def _tuple(v, n, what):
    t = (v,) * n if isinstance(v, int) else tuple(int(e) for e in v)
    if len(t) != n:
        raise ValueError("%s must be an int or a tuple of %d ints, got %s" % (what, n, v))
    return t


class _BaseConvRNNCell(HybridRecurrentCell):
    _gates = 1
    _hint = 'conv_rnn'

    def __init__(self, dims, input_shape, hidden_channels, i2h_kernel, h2h_kernel, i2h_pad, i2h_dilate, h2h_dilate,
                 i2h_weight_initializer, h2h_weight_initializer, i2h_bias_initializer, h2h_bias_initializer,
                 conv_layout, activation, prefix, params):
        super().__init__(prefix=prefix, params=params)
        name = type(self).__name__
        if conv_layout != _LAYOUTS[dims]:
            raise NotImplementedError("%s: mxc supports conv_layout=%r only, got %r" % (name, _LAYOUTS[dims],
                                                                                      conv_layout))
        self._input_shape = tuple(input_shape)
        if len(self._input_shape) != dims + 1:
            raise ValueError("%s: input_shape must be (channels, %s), got %s"
                             % (name, ", ".join("dhw"[3 - dims:]), input_shape))
        self._hidden_channels = hidden_channels
        self._i2h_kernel = _tuple(i2h_kernel, dims, "i2h_kernel")
        self._h2h_kernel = _tuple(h2h_kernel, dims, "h2h_kernel")
        if any(k % 2 == 0 for k in self._h2h_kernel):
            raise ValueError("%s: only odd h2h_kernel sizes keep the state's shape, got %s" % (name, h2h_kernel))
        self._i2h_pad = _tuple(i2h_pad, dims, "i2h_pad")
        self._i2h_dilate = _tuple(i2h_dilate, dims, "i2h_dilate")
        self._h2h_dilate = _tuple(h2h_dilate, dims, "h2h_dilate")
        self._h2h_pad = tuple(d * (k - 1) // 2 for d, k in zip(self._h2h_dilate, self._h2h_kernel))
        self._conv_layout = conv_layout
        self._activation = activation
        spatial = tuple(n + 2 * p - d * (k - 1) for n, p, d, k in
                        zip(self._input_shape[1:], self._i2h_pad, self._i2h_dilate, self._i2h_kernel))
        if any(s <= 0 for s in spatial):
            raise ValueError("%s: i2h_kernel %s (dilate %s, pad %s) does not fit input_shape %s"
                             % (name, self._i2h_kernel, self._i2h_dilate, self._i2h_pad, self._input_shape))
        self._state_shape = (hidden_channels,) + spatial
        rows = self._gates * hidden_channels
        self.i2h_weight = self.params.get('i2h_weight', shape=(rows, self._input_shape[0]) + self._i2h_kernel,
                                          init=i2h_weight_initializer, allow_deferred_init=True)
        self.h2h_weight = self.params.get('h2h_weight', shape=(rows, hidden_channels) + self._h2h_kernel,
                                          init=h2h_weight_initializer, allow_deferred_init=True)
        self.i2h_bias = self.params.get('i2h_bias', shape=(rows,), init=i2h_bias_initializer,
                                        allow_deferred_init=True)
        self.h2h_bias = self.params.get('h2h_bias', shape=(rows,), init=h2h_bias_initializer,
                                        allow_deferred_init=True)

    def _name_hint(self):
        return self._hint

    def state_info(self, batch_size=0):
        n = 2 if self._gates == 4 else 1
        return [{'shape': (batch_size,) + self._state_shape, '__layout__': self._conv_layout}] * n

    def begin_state(self, batch_size=0, func=nd.zeros, like=None, **kwargs):
        if func is None:  # from unroll: zeros with the batch size of its first step (F, step)
            F, one = like
            for axis in range(1, len(self._input_shape) + 1):
                one = F.slice_axis(one, axis=axis, begin=0, end=1)
            dims = tuple(range(1, len(self._state_shape) + 1))
            return [F.broadcast_axis(F.zeros_like(one), axis=dims, size=self._state_shape) for _ in self.state_info()]
        return super().begin_state(batch_size, func, like, **kwargs)

    def forward(self, x, states):
        if hasattr(x, 'ndim') and x.ndim != len(self._input_shape) + 1:
            raise ValueError("%s (%s): a step input must be (batch, %s), got shape %s; use unroll() for sequences"
                             % (self.name, type(self).__name__, ", ".join(map(str, self._input_shape)), x.shape))
        self._check_states(states)
        return HybridBlock.forward(self, x, list(states))

    def _convs(self, F, x, h, i2h_weight, h2h_weight, i2h_bias, h2h_bias):
        rows = self._gates * self._hidden_channels
        i2h = F.Convolution(x, i2h_weight, i2h_bias, kernel=self._i2h_kernel, pad=self._i2h_pad,
                            dilate=self._i2h_dilate, num_filter=rows)
        h2h = F.Convolution(h, h2h_weight, h2h_bias, kernel=self._h2h_kernel, pad=self._h2h_pad,
                            dilate=self._h2h_dilate, num_filter=rows)
        return i2h, h2h

    def __repr__(self):
        return "%s(%s -> %s, %s, %s)" % (type(self).__name__, self.i2h_weight.shape[1], self.i2h_weight.shape[0],
                                         self._activation, self._conv_layout)


class _ConvRNNCell(_BaseConvRNNCell):
    def hybrid_forward(self, F, x, states, i2h_weight, h2h_weight, i2h_bias, h2h_bias):
        i2h, h2h = self._convs(F, x, states[0], i2h_weight, h2h_weight, i2h_bias, h2h_bias)
        h = F.Activation(i2h + h2h, act_type=self._activation)
        return h, [h]


class _ConvLSTMCell(_BaseConvRNNCell):
    _gates = 4
    _hint = 'conv_lstm'

    def hybrid_forward(self, F, x, states, i2h_weight, h2h_weight, i2h_bias, h2h_bias):
        i2h, h2h = self._convs(F, x, states[0], i2h_weight, h2h_weight, i2h_bias, h2h_bias)
        h, c = _lstm_gates(F, i2h + h2h, states[1], self._activation, 'sigmoid', axis=1)
        return h, [h, c]


class _ConvGRUCell(_BaseConvRNNCell):
    _gates = 3
    _hint = 'conv_gru'

    def hybrid_forward(self, F, x, states, i2h_weight, h2h_weight, i2h_bias, h2h_bias):
        i2h, h2h = self._convs(F, x, states[0], i2h_weight, h2h_weight, i2h_bias, h2h_bias)
        h = _gru_gates(F, i2h, h2h, states[0], self._activation, axis=1)
        return h, [h]


def _make(base, dims, doc):
    zeros, ones = (0,) * dims, (1,) * dims

    def __init__(self, input_shape, hidden_channels, i2h_kernel, h2h_kernel, i2h_pad=zeros, i2h_dilate=ones,
                 h2h_dilate=ones, i2h_weight_initializer=None, h2h_weight_initializer=None,
                 i2h_bias_initializer='zeros', h2h_bias_initializer='zeros', conv_layout=_LAYOUTS[dims],
                 activation='tanh', prefix=None, params=None):
        base.__init__(self, dims, input_shape, hidden_channels, i2h_kernel, h2h_kernel, i2h_pad, i2h_dilate,
                      h2h_dilate, i2h_weight_initializer, h2h_weight_initializer, i2h_bias_initializer,
                      h2h_bias_initializer, conv_layout, activation, prefix, params)
    return __init__, doc


def _cell(name, base, dims, what):
    init, doc = _make(base, dims, "%d-D convolutional %s cell over (batch, *input_shape) steps in %s layout."
                      % (dims, what, _LAYOUTS[dims]))
    return type(name, (base,), {'__init__': init, '__doc__': doc, '__module__': __name__})


Conv1DRNNCell = _cell('Conv1DRNNCell', _ConvRNNCell, 1, 'RNN')
Conv2DRNNCell = _cell('Conv2DRNNCell', _ConvRNNCell, 2, 'RNN')
Conv3DRNNCell = _cell('Conv3DRNNCell', _ConvRNNCell, 3, 'RNN')
Conv1DLSTMCell = _cell('Conv1DLSTMCell', _ConvLSTMCell, 1, 'LSTM')
Conv2DLSTMCell = _cell('Conv2DLSTMCell', _ConvLSTMCell, 2, 'LSTM')
Conv3DLSTMCell = _cell('Conv3DLSTMCell', _ConvLSTMCell, 3, 'LSTM')
Conv1DGRUCell = _cell('Conv1DGRUCell', _ConvGRUCell, 1, 'GRU')
Conv2DGRUCell = _cell('Conv2DGRUCell', _ConvGRUCell, 2, 'GRU')
Conv3DGRUCell = _cell('Conv3DGRUCell', _ConvGRUCell, 3, 'GRU')
