"""Convolutional recurrent cells for symbolic graphs (MXNet 1.x ``mx.rnn.ConvRNNCell``, ``ConvLSTMCell``,
``ConvGRUCell`` and their base ``BaseConvRNNCell``).

The input-to-hidden and hidden-to-hidden projections are convolutions instead of fully connected layers; the
states are feature maps whose shape follows from ``input_shape`` and the i2h convolution. The hidden-to-hidden
convolution has stride 1 and "same" padding, so its kernel must be odd."""
import functools

from .. import symbol
from .rnn_cell import BaseRNNCell

__all__ = ["BaseConvRNNCell", "ConvRNNCell", "ConvLSTMCell", "ConvGRUCell"]


def _pair(value, what, cls):
    if isinstance(value, int):
        return (value, value)
    value = tuple(int(v) for v in value)
    if len(value) != 2:
        raise ValueError("%s: %s must have 2 entries (height, width), got %s" % (cls, what, value))
    return value


def _conv_out(size, kernel, stride, pad, dilate):
    return (size + 2 * pad - dilate * (kernel - 1) - 1) // stride + 1


class BaseConvRNNCell(BaseRNNCell):
    """The common part of the convolutional cells: ``input_shape`` is the shape of one step's input (batch
    first, in ``conv_layout`` 'NCHW' or 'NHWC'); parameters ``<prefix>i2h_weight``/``i2h_bias``/``h2h_weight``/
    ``h2h_bias`` hold all the gates stacked along the output channels."""
    _gates = 1
    _num_states = 1

    def __init__(self, input_shape, num_hidden, h2h_kernel, h2h_dilate, i2h_kernel, i2h_stride, i2h_pad,
                 i2h_dilate, i2h_weight_initializer, h2h_weight_initializer, i2h_bias_initializer,
                 h2h_bias_initializer, activation, prefix='', params=None, conv_layout='NCHW'):
        super(BaseConvRNNCell, self).__init__(prefix=prefix, params=params)
        cls = type(self).__name__
        self._h2h_kernel = _pair(h2h_kernel, 'h2h_kernel', cls)
        if any(k % 2 == 0 for k in self._h2h_kernel):
            raise AssertionError("Only support odd number, get h2h_kernel= %s" % (self._h2h_kernel,))
        self._h2h_dilate = _pair(h2h_dilate, 'h2h_dilate', cls)
        self._h2h_pad = tuple(d * (k - 1) // 2 for d, k in zip(self._h2h_dilate, self._h2h_kernel))
        self._i2h_kernel = _pair(i2h_kernel, 'i2h_kernel', cls)
        self._i2h_stride = _pair(i2h_stride, 'i2h_stride', cls)
        self._i2h_pad = _pair(i2h_pad, 'i2h_pad', cls)
        self._i2h_dilate = _pair(i2h_dilate, 'i2h_dilate', cls)
        if conv_layout not in ('NCHW', 'NHWC'):
            raise ValueError("%s: conv_layout must be 'NCHW' or 'NHWC', got %r" % (cls, conv_layout))
        self._conv_layout = conv_layout
        self._input_shape = tuple(input_shape)
        if len(self._input_shape) != 4:
            raise ValueError("%s: input_shape must be 4-d (%s), got %s" % (cls, conv_layout, self._input_shape))
        self._num_hidden = int(num_hidden)
        self._activation = activation
        self._channel_axis = conv_layout.find('C')
        spatial = [self._input_shape[conv_layout.find(a)] for a in 'HW']
        out = [_conv_out(s, k, st, p, d) for s, k, st, p, d in zip(spatial, self._i2h_kernel, self._i2h_stride,
                                                                    self._i2h_pad, self._i2h_dilate)]
        if min(out) < 1:
            raise ValueError("%s: the i2h convolution of input_shape %s (kernel %s, stride %s, pad %s, dilate %s) "
                             "is empty" % (cls, self._input_shape, self._i2h_kernel, self._i2h_stride,
                                           self._i2h_pad, self._i2h_dilate))
        if conv_layout == 'NCHW':
            self._state_shape = (0, self._num_hidden, out[0], out[1])
        else:
            self._state_shape = (0, out[0], out[1], self._num_hidden)
        self._iW = self._params.get('i2h_weight', init=i2h_weight_initializer)
        self._hW = self._params.get('h2h_weight', init=h2h_weight_initializer)
        self._iB = self._params.get('i2h_bias', init=i2h_bias_initializer)
        self._hB = self._params.get('h2h_bias', init=h2h_bias_initializer)

    @property
    def state_info(self):
        return [{'shape': self._state_shape, '__layout__': self._conv_layout}] * self._num_states

    def _conv_forward(self, inputs, states, name):
        """The i2h and h2h convolutions of one step (``name`` is the step's prefix)."""
        filters = self._num_hidden * self._gates
        i2h = symbol.Convolution(inputs, weight=self._iW, bias=self._iB, num_filter=filters,
                                 kernel=self._i2h_kernel, stride=self._i2h_stride, pad=self._i2h_pad,
                                 dilate=self._i2h_dilate, layout=self._conv_layout, name=name + 'i2h')
        h2h = symbol.Convolution(states[0], weight=self._hW, bias=self._hB, num_filter=filters,
                                 kernel=self._h2h_kernel, stride=(1, 1), pad=self._h2h_pad,
                                 dilate=self._h2h_dilate, layout=self._conv_layout, name=name + 'h2h')
        return i2h, h2h

    def _act(self, x, name):
        act = self._activation
        if isinstance(act, str):
            return symbol.Activation(x, act_type=act, name=name)
        if isinstance(act, symbol.Symbol):
            raise TypeError("%s: activation must be a string or a callable, got a Symbol" % type(self).__name__)
        return act(x, name=name)

    def _step_name(self):
        self._counter += 1
        return '%st%d_' % (self._prefix, self._counter)

    def _split(self, x, name):
        return list(symbol.SliceChannel(x, num_outputs=self._gates, axis=self._channel_axis, name=name))

    def __call__(self, inputs, states):
        raise NotImplementedError()


_LEAKY = functools.partial(symbol.LeakyReLU, act_type='leaky', slope=0.2)


class ConvRNNCell(BaseConvRNNCell):
    """``h' = activation(conv_i2h(x) + conv_h2h(h))`` (default activation LeakyReLU with slope 0.2)."""

    def __init__(self, input_shape, num_hidden, h2h_kernel=(3, 3), h2h_dilate=(1, 1), i2h_kernel=(3, 3),
                 i2h_stride=(1, 1), i2h_pad=(1, 1), i2h_dilate=(1, 1), i2h_weight_initializer=None,
                 h2h_weight_initializer=None, i2h_bias_initializer='zeros', h2h_bias_initializer='zeros',
                 activation=_LEAKY, prefix='ConvRNN_', params=None, conv_layout='NCHW'):
        super(ConvRNNCell, self).__init__(
            input_shape=input_shape, num_hidden=num_hidden, h2h_kernel=h2h_kernel, h2h_dilate=h2h_dilate,
            i2h_kernel=i2h_kernel, i2h_stride=i2h_stride, i2h_pad=i2h_pad, i2h_dilate=i2h_dilate,
            i2h_weight_initializer=i2h_weight_initializer, h2h_weight_initializer=h2h_weight_initializer,
            i2h_bias_initializer=i2h_bias_initializer, h2h_bias_initializer=h2h_bias_initializer,
            activation=activation, prefix=prefix, params=params, conv_layout=conv_layout)

    def __call__(self, inputs, states):
        name = self._step_name()
        i2h, h2h = self._conv_forward(inputs, states, name)
        output = self._act(i2h + h2h, name=name + 'out')
        return output, [output]


class ConvLSTMCell(BaseConvRNNCell):
    """Convolutional LSTM (Shi et al. 2015): gates i, f, c~, o from ``conv_i2h(x) + conv_h2h(h)``;
    ``c' = sigmoid(f) * c + sigmoid(i) * activation(c~)``, ``h' = sigmoid(o) * activation(c')``. States
    ``[h, c]``."""
    _gates = 4
    _num_states = 2

    def __init__(self, input_shape, num_hidden, h2h_kernel=(3, 3), h2h_dilate=(1, 1), i2h_kernel=(3, 3),
                 i2h_stride=(1, 1), i2h_pad=(1, 1), i2h_dilate=(1, 1), i2h_weight_initializer=None,
                 h2h_weight_initializer=None, i2h_bias_initializer='zeros', h2h_bias_initializer='zeros',
                 activation=_LEAKY, prefix='ConvLSTM_', params=None, conv_layout='NCHW'):
        super(ConvLSTMCell, self).__init__(
            input_shape=input_shape, num_hidden=num_hidden, h2h_kernel=h2h_kernel, h2h_dilate=h2h_dilate,
            i2h_kernel=i2h_kernel, i2h_stride=i2h_stride, i2h_pad=i2h_pad, i2h_dilate=i2h_dilate,
            i2h_weight_initializer=i2h_weight_initializer, h2h_weight_initializer=h2h_weight_initializer,
            i2h_bias_initializer=i2h_bias_initializer, h2h_bias_initializer=h2h_bias_initializer,
            activation=activation, prefix=prefix, params=params, conv_layout=conv_layout)

    def __call__(self, inputs, states):
        name = self._step_name()
        i2h, h2h = self._conv_forward(inputs, states, name)
        gates = self._split(i2h + h2h, name + 'slice')
        in_gate = symbol.Activation(gates[0], act_type='sigmoid', name=name + 'i')
        forget_gate = symbol.Activation(gates[1], act_type='sigmoid', name=name + 'f')
        in_transform = self._act(gates[2], name=name + 'c')
        out_gate = symbol.Activation(gates[3], act_type='sigmoid', name=name + 'o')
        next_c = symbol.elemwise_add(forget_gate * states[1], in_gate * in_transform, name=name + 'state')
        next_h = symbol.elemwise_mul(out_gate, self._act(next_c, name=name + 'activation'), name=name + 'out')
        return next_h, [next_h, next_c]


class ConvGRUCell(BaseConvRNNCell):
    """Convolutional GRU: r, z, n from the i2h and h2h convolutions; ``n' = activation(i2h_n + sigmoid(r) *
    h2h_n)``, ``h' = (1 - sigmoid(z)) * n' + sigmoid(z) * h``."""
    _gates = 3

    def __init__(self, input_shape, num_hidden, h2h_kernel=(3, 3), h2h_dilate=(1, 1), i2h_kernel=(3, 3),
                 i2h_stride=(1, 1), i2h_pad=(1, 1), i2h_dilate=(1, 1), i2h_weight_initializer=None,
                 h2h_weight_initializer=None, i2h_bias_initializer='zeros', h2h_bias_initializer='zeros',
                 activation=_LEAKY, prefix='ConvGRU_', params=None, conv_layout='NCHW'):
        super(ConvGRUCell, self).__init__(
            input_shape=input_shape, num_hidden=num_hidden, h2h_kernel=h2h_kernel, h2h_dilate=h2h_dilate,
            i2h_kernel=i2h_kernel, i2h_stride=i2h_stride, i2h_pad=i2h_pad, i2h_dilate=i2h_dilate,
            i2h_weight_initializer=i2h_weight_initializer, h2h_weight_initializer=h2h_weight_initializer,
            i2h_bias_initializer=i2h_bias_initializer, h2h_bias_initializer=h2h_bias_initializer,
            activation=activation, prefix=prefix, params=params, conv_layout=conv_layout)

    def __call__(self, inputs, states):
        name = self._step_name()
        i2h, h2h = self._conv_forward(inputs, states, name)
        i2h_r, i2h_z, i2h_n = self._split(i2h, name + 'i2h_slice')
        h2h_r, h2h_z, h2h_n = self._split(h2h, name + 'h2h_slice')
        reset = symbol.Activation(i2h_r + h2h_r, act_type='sigmoid', name=name + 'r_act')
        update = symbol.Activation(i2h_z + h2h_z, act_type='sigmoid', name=name + 'z_act')
        cand = self._act(i2h_n + reset * h2h_n, name=name + 'h_act')
        next_h = symbol.elemwise_add((1. - update) * cand, update * states[0], name=name + 'out')
        return next_h, [next_h]
