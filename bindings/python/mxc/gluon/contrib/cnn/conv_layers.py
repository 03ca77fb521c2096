"""Deformable convolution blocks as in MXNet's ``gluon.contrib.cnn``: a regular convolution of the input predicts
the sampling offsets (and, for the modulated version, the masks) of a deformable convolution of the same input.

``DeformableConvolution`` (DCN v1): the offset convolution has ``2 * num_deformable_group * kh * kw`` filters; its
output is the ``offset`` of ``contrib.DeformableConvolution``. ``ModulatedDeformableConvolution`` (DCN v2): the
offset convolution has ``3 * num_deformable_group * kh * kw`` filters, the first two thirds of its output are the
offsets, ``2 * sigmoid`` of the last third the masks. The offset layers' weights and biases start at zero, so an
untrained block is a regular convolution (with mask 1).
"""
from ...block import HybridBlock
from ...nn.activations import Activation
from ...nn.conv_layers import _conv_repr, _pair

__all__ = ["DeformableConvolution", "ModulatedDeformableConvolution"]


class _Deformable(HybridBlock):
    """What both blocks share; ``shares`` is 2 (offsets) or 3 (offsets and masks) channels per kernel tap and
    deformable group."""

    _SHARES = 2

    def __init__(self, channels, kernel_size, strides, padding, dilation, groups, num_deformable_group, layout,
                 use_bias, in_channels, activation, weight_initializer, bias_initializer, offset_weight_initializer,
                 offset_bias_initializer, offset_use_bias, op_name, adj, prefix, params):
        super().__init__(prefix=prefix, params=params)
        if layout != 'NCHW':
            raise NotImplementedError("%s: mxc supports layout='NCHW' only, got layout=%r"
                                      % (type(self).__name__, layout))
        kernel = _pair(kernel_size)
        self._channels, self._in_channels, self._op_name, self._adj = channels, in_channels, op_name, adj
        self._cfg = dict(kernel=kernel, stride=_pair(strides), pad=_pair(padding), dilate=_pair(dilation),
                         num_group=groups)
        self._num_deformable_group = num_deformable_group
        self._offset_channels = self._SHARES * num_deformable_group * kernel[0] * kernel[1]
        self._params_order(channels, in_channels, kernel, use_bias, weight_initializer, bias_initializer,
                           offset_weight_initializer, offset_bias_initializer, offset_use_bias)
        with self.name_scope():
            self.act = Activation(activation, prefix=activation + '_') if activation is not None else None

    def _offset_params(self, in_channels, kernel, offset_weight_initializer, offset_bias_initializer,
                       offset_use_bias):
        with self.name_scope():
            shape = (self._offset_channels, in_channels // self._cfg['num_group']) + kernel
            self.offset_weight = self.params.get('offset_weight', shape=shape, init=offset_weight_initializer,
                                                 allow_deferred_init=True)
            self.offset_bias = self.params.get('offset_bias', shape=(self._offset_channels,),
                                               init=offset_bias_initializer,
                                               allow_deferred_init=True) if offset_use_bias else None

    def _conv_params(self, channels, kernel, use_bias, weight_initializer, bias_initializer):
        with self.name_scope():
            # As in MXNet, the input channels of the deformable convolution's weight are found at the first call.
            self.deformable_conv_weight = self.params.get('deformable_conv_weight', shape=(channels, 0) + kernel,
                                                          init=weight_initializer, allow_deferred_init=True)
            self.deformable_conv_bias = self.params.get('deformable_conv_bias', shape=(channels,),
                                                        init=bias_initializer,
                                                        allow_deferred_init=True) if use_bias else None

    # For _conv_repr.
    @property
    def bias(self):
        return self.deformable_conv_bias

    def _offsets(self, F, x, offset_weight, offset_bias):
        c = self._cfg
        return F.Convolution(x, offset_weight, offset_bias, kernel=c['kernel'], stride=c['stride'], pad=c['pad'],
                             dilate=c['dilate'], num_filter=self._offset_channels, num_group=c['num_group'],
                             no_bias=offset_bias is None, cudnn_off=True, layout='NCHW')

    def _deformable(self, F, inputs, bias):
        op = getattr(F.contrib, self._op_name)
        y = op(*inputs, no_bias=bias is None, num_filter=self._channels,
               num_deformable_group=self._num_deformable_group, layout='NCHW', name='fwd', **self._cfg)
        return self.act(y) if self.act is not None else y


class DeformableConvolution(_Deformable):
    """2-D deformable convolution (DCN v1) of (N, C, H, W) input with ``channels`` filters of size
    ``kernel_size``; the offsets come from a convolution of the input with the same kernel, strides, padding,
    dilation and groups (parameters ``offset_weight`` / ``offset_bias``, zero-initialised)."""

    def __init__(self, channels, kernel_size=(1, 1), strides=(1, 1), padding=(0, 0), dilation=(1, 1), groups=1,
                 num_deformable_group=1, layout='NCHW', use_bias=True, in_channels=0, activation=None,
                 weight_initializer=None, bias_initializer='zeros', offset_weight_initializer='zeros',
                 offset_bias_initializer='zeros', offset_use_bias=True, op_name='DeformableConvolution', adj=None,
                 prefix=None, params=None):
        super().__init__(channels, kernel_size, strides, padding, dilation, groups, num_deformable_group, layout,
                         use_bias, in_channels, activation, weight_initializer, bias_initializer,
                         offset_weight_initializer, offset_bias_initializer, offset_use_bias, op_name, adj, prefix,
                         params)

    def _name_hint(self):
        return 'deformable_conv'

    def _params_order(self, channels, in_channels, kernel, use_bias, weight_initializer, bias_initializer,
                      offset_weight_initializer, offset_bias_initializer, offset_use_bias):
        self._offset_params(in_channels, kernel, offset_weight_initializer, offset_bias_initializer, offset_use_bias)
        self._conv_params(channels, kernel, use_bias, weight_initializer, bias_initializer)

    def hybrid_forward(self, F, x, offset_weight, deformable_conv_weight, offset_bias=None,
                       deformable_conv_bias=None):
        offset = self._offsets(F, x, offset_weight, offset_bias)
        inputs = [x, offset, deformable_conv_weight]
        if deformable_conv_bias is not None:
            inputs.append(deformable_conv_bias)
        return self._deformable(F, inputs, deformable_conv_bias)

    def __repr__(self):
        # MXNet 1.9.1 prints None for the input channels.
        return _conv_repr(self, None, self._channels)


class ModulatedDeformableConvolution(_Deformable):
    """2-D modulated deformable convolution (DCN v2) of (N, C, H, W) input with ``channels`` filters of size
    ``kernel_size``; a convolution of the input (parameters ``offset_weight`` / ``offset_bias``, zero-initialised)
    gives the offsets and, through ``2 * sigmoid``, the masks."""

    _SHARES = 3

    def __init__(self, channels, kernel_size=(1, 1), strides=(1, 1), padding=(0, 0), dilation=(1, 1), groups=1,
                 num_deformable_group=1, layout='NCHW', use_bias=True, in_channels=0, activation=None,
                 weight_initializer=None, bias_initializer='zeros', offset_weight_initializer='zeros',
                 offset_bias_initializer='zeros', offset_use_bias=True, op_name='ModulatedDeformableConvolution',
                 adj=None, prefix=None, params=None):
        super().__init__(channels, kernel_size, strides, padding, dilation, groups, num_deformable_group, layout,
                         use_bias, in_channels, activation, weight_initializer, bias_initializer,
                         offset_weight_initializer, offset_bias_initializer, offset_use_bias, op_name, adj, prefix,
                         params)

    def _name_hint(self):
        return 'modulated_deformable_conv'

    def _params_order(self, channels, in_channels, kernel, use_bias, weight_initializer, bias_initializer,
                      offset_weight_initializer, offset_bias_initializer, offset_use_bias):
        self._conv_params(channels, kernel, use_bias, weight_initializer, bias_initializer)
        self._offset_params(in_channels, kernel, offset_weight_initializer, offset_bias_initializer, offset_use_bias)

    def hybrid_forward(self, F, x, offset_weight, deformable_conv_weight, offset_bias=None,
                       deformable_conv_bias=None):
        out = self._offsets(F, x, offset_weight, offset_bias)
        n = 2 * self._offset_channels // 3
        offset = F.slice_axis(out, axis=1, begin=0, end=n)
        mask = F.sigmoid(F.slice_axis(out, axis=1, begin=n, end=None)) * 2
        inputs = [x, offset, mask, deformable_conv_weight]
        if deformable_conv_bias is not None:
            inputs.append(deformable_conv_bias)
        return self._deformable(F, inputs, deformable_conv_bias)
