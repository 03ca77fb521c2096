"""Convolution, transposed convolution and pooling layers (NCW / NCHW / NCDHW layouts only)."""
from ..block import HybridBlock
from .activations import Activation

__all__ = ["Conv1D", "Conv2D", "Conv3D", "Conv1DTranspose", "Conv2DTranspose", "Conv3DTranspose", "MaxPool1D",
           "MaxPool2D", "MaxPool3D", "AvgPool1D", "AvgPool2D", "AvgPool3D", "GlobalAvgPool1D", "GlobalAvgPool2D",
           "GlobalAvgPool3D", "GlobalMaxPool1D", "GlobalMaxPool2D", "GlobalMaxPool3D", "ReflectionPad2D"]

_LAYOUTS = {1: 'NCW', 2: 'NCHW', 3: 'NCDHW'}


def _ntuple(v, n):
    if isinstance(v, int):
        return (v,) * n
    v = tuple(int(e) for e in v)
    if len(v) != n:
        raise ValueError("expected an int or %s, got %s" % ("a pair of ints" if n == 2 else "%d int(s)" % n, v))
    return v


def _pair(v):
    return _ntuple(v, 2)


def _nchw_only(layout, what, supported='NCHW'):
    if layout != supported:
        raise NotImplementedError("%s: mxc supports layout=%r only, got layout=%r" % (what, supported, layout))


def _conv_repr(block, left, right):
    c, nd = block._cfg, len(block._cfg['kernel'])
    text = "%s(%s -> %s, kernel_size=%s, stride=%s" % (type(block).__name__, left, right, c['kernel'], c['stride'])
    if c['pad'] != (0,) * nd:
        text += ", padding=%s" % (c['pad'],)
    if c['dilate'] != (1,) * nd:
        text += ", dilation=%s" % (c['dilate'],)
    if c['num_group'] != 1:
        text += ", groups=%s" % c['num_group']
    if block.bias is None:
        text += ", bias=False"
    if block.act is not None:
        text += ", %r" % block.act
    return text + ")"


class _Conv(HybridBlock):
    """What convolutions and transposed convolutions share: ``cfg`` the operator's parameters, ``weight_shape`` the
    weight's shape (a 0 where in_channels is found at the first call), ``op`` the operator's name."""

    def __init__(self, op, channels, cfg, weight_shape, activation, use_bias, weight_initializer, bias_initializer,
                 **kwargs):
        super().__init__(**kwargs)
        self._op, self._filters, self._cfg = op, channels, cfg
        with self.name_scope():
            self.weight = self.params.get('weight', shape=weight_shape, init=weight_initializer,
                                          allow_deferred_init=True)
            self.bias = self.params.get('bias', shape=(channels,), init=bias_initializer,
                                        allow_deferred_init=True) if use_bias else None
            self.act = Activation(activation, prefix=activation + '_') if activation is not None else None

    def _name_hint(self):
        return 'conv'

    def hybrid_forward(self, F, x, weight, bias=None):
        y = getattr(F, self._op)(x, weight, bias, no_bias=bias is None, num_filter=self._filters, name='fwd',
                                  **self._cfg)
        return self.act(y) if self.act is not None else y


class Conv1D(_Conv):
    """1-D convolution over (N, C, W) input with ``channels`` filters of width ``kernel_size``."""

    def __init__(self, channels, kernel_size, strides=1, padding=0, dilation=1, groups=1, layout='NCW',
                 activation=None, use_bias=True, weight_initializer=None, bias_initializer='zeros', in_channels=0,
                 **kwargs):
        _nchw_only(layout, 'Conv1D', 'NCW')
        cfg = dict(kernel=_ntuple(kernel_size, 1), stride=_ntuple(strides, 1), pad=_ntuple(padding, 1),
                   dilate=_ntuple(dilation, 1), num_group=groups)
        super().__init__('Convolution', channels, cfg, (channels, in_channels // groups) + cfg['kernel'],
                         activation, use_bias, weight_initializer, bias_initializer, **kwargs)

    def __repr__(self):
        return _conv_repr(self, self.weight.shape[1] or None, self._filters)


class Conv2D(_Conv):
    """2-D convolution over (N, C, H, W) input with ``channels`` filters of size ``kernel_size``."""

    def __init__(self, channels, kernel_size, strides=(1, 1), padding=(0, 0), dilation=(1, 1), groups=1,
                 layout='NCHW', activation=None, use_bias=True, weight_initializer=None, bias_initializer='zeros',
                 in_channels=0, **kwargs):
        _nchw_only(layout, 'Conv2D')
        cfg = dict(kernel=_pair(kernel_size), stride=_pair(strides), pad=_pair(padding), dilate=_pair(dilation),
                   num_group=groups)
        super().__init__('Convolution', channels, cfg, (channels, in_channels // groups) + cfg['kernel'],
                         activation, use_bias, weight_initializer, bias_initializer, **kwargs)

    def __repr__(self):
        return _conv_repr(self, self.weight.shape[1] or None, self._filters)


class Conv3D(_Conv):
    """3-D convolution over (N, C, D, H, W) input with ``channels`` filters of size ``kernel_size``."""

    def __init__(self, channels, kernel_size, strides=(1, 1, 1), padding=(0, 0, 0), dilation=(1, 1, 1), groups=1,
                 layout='NCDHW', activation=None, use_bias=True, weight_initializer=None, bias_initializer='zeros',
                 in_channels=0, **kwargs):
        _nchw_only(layout, 'Conv3D', 'NCDHW')
        cfg = dict(kernel=_ntuple(kernel_size, 3), stride=_ntuple(strides, 3), pad=_ntuple(padding, 3),
                   dilate=_ntuple(dilation, 3), num_group=groups)
        super().__init__('Convolution', channels, cfg, (channels, in_channels // groups) + cfg['kernel'],
                         activation, use_bias, weight_initializer, bias_initializer, **kwargs)

    def __repr__(self):
        return _conv_repr(self, self.weight.shape[1] or None, self._filters)


class _ConvTranspose(_Conv):
    """Transposed convolution (Deconvolution) with ``nd`` spatial dimensions; the weight is
    (in_channels, channels / groups, *kernel_size) and in_channels is inferred at the first call when 0."""

    def __init__(self, nd, channels, kernel_size, strides, padding, output_padding, dilation, groups, layout,
                 activation, use_bias, weight_initializer, bias_initializer, in_channels, **kwargs):
        _nchw_only(layout, type(self).__name__, _LAYOUTS[nd])
        cfg = dict(kernel=_ntuple(kernel_size, nd), stride=_ntuple(strides, nd), pad=_ntuple(padding, nd),
                   adj=_ntuple(output_padding, nd), dilate=_ntuple(dilation, nd), num_group=groups)
        super().__init__('Deconvolution', channels, cfg, (in_channels, channels // groups) + cfg['kernel'],
                         activation, use_bias, weight_initializer, bias_initializer, **kwargs)

    def __repr__(self):
        # As MXNet prints it: the weight's second dimension, then its first.
        return _conv_repr(self, self.weight.shape[1] or None, self.weight.shape[0])


class Conv2DTranspose(_ConvTranspose):
    """2-D transposed convolution over (N, C, H, W) input: output size per dimension (in - 1) * strides -
    2 * padding + dilation * (kernel_size - 1) + 1 + output_padding."""

    def __init__(self, channels, kernel_size, strides=(1, 1), padding=(0, 0), output_padding=(0, 0),
                 dilation=(1, 1), groups=1, layout='NCHW', activation=None, use_bias=True, weight_initializer=None,
                 bias_initializer='zeros', in_channels=0, **kwargs):
        super().__init__(2, channels, kernel_size, strides, padding, output_padding, dilation, groups, layout,
                         activation, use_bias, weight_initializer, bias_initializer, in_channels, **kwargs)


class Conv3DTranspose(_ConvTranspose):
    """3-D transposed convolution over (N, C, D, H, W) input (see Conv2DTranspose)."""

    def __init__(self, channels, kernel_size, strides=(1, 1, 1), padding=(0, 0, 0), output_padding=(0, 0, 0),
                 dilation=(1, 1, 1), groups=1, layout='NCDHW', activation=None, use_bias=True,
                 weight_initializer=None, bias_initializer='zeros', in_channels=0, **kwargs):
        super().__init__(3, channels, kernel_size, strides, padding, output_padding, dilation, groups, layout,
                         activation, use_bias, weight_initializer, bias_initializer, in_channels, **kwargs)


class Conv1DTranspose(_ConvTranspose):
    """1-D transposed convolution over (N, C, W) input (see Conv2DTranspose)."""

    def __init__(self, channels, kernel_size, strides=1, padding=0, output_padding=0, dilation=1, groups=1,
                 layout='NCW', activation=None, use_bias=True, weight_initializer=None, bias_initializer='zeros',
                 in_channels=0, **kwargs):
        super().__init__(1, channels, kernel_size, strides, padding, output_padding, dilation, groups, layout,
                         activation, use_bias, weight_initializer, bias_initializer, in_channels, **kwargs)


class _Pool(HybridBlock):
    def __init__(self, nd, size, strides, padding, ceil_mode, global_pool, kind, layout, count_include_pad=None,
                 **kwargs):
        _nchw_only(layout, type(self).__name__, _LAYOUTS[nd])
        super().__init__(**kwargs)
        size = _ntuple(size, nd)
        self._cfg = dict(kernel=size, stride=_ntuple(strides, nd) if strides is not None else size,
                         pad=_ntuple(padding, nd), global_pool=global_pool, pool_type=kind,
                         pooling_convention='full' if ceil_mode else 'valid')
        if kind == 'avg':
            self._cfg['count_include_pad'] = bool(count_include_pad)
        self._layout = layout

    def _name_hint(self):
        return 'pool'

    def hybrid_forward(self, F, x):
        return F.Pooling(x, name='fwd', **self._cfg)

    def __repr__(self):
        c = self._cfg
        return ("%s(size=%s, stride=%s, padding=%s, ceil_mode=%s, global_pool=%s, pool_type=%s, layout=%s)"
                % (type(self).__name__, c['kernel'], c['stride'], c['pad'], c['pooling_convention'] == 'full',
                   c['global_pool'], c['pool_type'], self._layout))


class MaxPool1D(_Pool):
    """Max pooling of (N, C, W) input over ``pool_size`` windows (stride defaults to the window)."""

    def __init__(self, pool_size=2, strides=None, padding=0, layout='NCW', ceil_mode=False, **kwargs):
        super().__init__(1, pool_size, strides, padding, ceil_mode, False, 'max', layout, **kwargs)


class MaxPool2D(_Pool):
    """Max pooling over ``pool_size`` windows (stride defaults to the window)."""

    def __init__(self, pool_size=(2, 2), strides=None, padding=0, layout='NCHW', ceil_mode=False, **kwargs):
        super().__init__(2, pool_size, strides, padding, ceil_mode, False, 'max', layout, **kwargs)


class MaxPool3D(_Pool):
    """Max pooling of (N, C, D, H, W) input over ``pool_size`` windows (stride defaults to the window)."""

    def __init__(self, pool_size=(2, 2, 2), strides=None, padding=0, ceil_mode=False, layout='NCDHW', **kwargs):
        super().__init__(3, pool_size, strides, padding, ceil_mode, False, 'max', layout, **kwargs)


class AvgPool1D(_Pool):
    """Average pooling of (N, C, W) input over ``pool_size`` windows (stride defaults to the window)."""

    def __init__(self, pool_size=2, strides=None, padding=0, layout='NCW', ceil_mode=False, count_include_pad=True,
                 **kwargs):
        super().__init__(1, pool_size, strides, padding, ceil_mode, False, 'avg', layout, count_include_pad,
                         **kwargs)


class AvgPool2D(_Pool):
    """Average pooling over ``pool_size`` windows (stride defaults to the window)."""

    def __init__(self, pool_size=(2, 2), strides=None, padding=0, ceil_mode=False, layout='NCHW',
                 count_include_pad=True, **kwargs):
        super().__init__(2, pool_size, strides, padding, ceil_mode, False, 'avg', layout, count_include_pad,
                         **kwargs)


class AvgPool3D(_Pool):
    """Average pooling of (N, C, D, H, W) input over ``pool_size`` windows (stride defaults to the window)."""

    def __init__(self, pool_size=(2, 2, 2), strides=None, padding=0, ceil_mode=False, layout='NCDHW',
                 count_include_pad=True, **kwargs):
        super().__init__(3, pool_size, strides, padding, ceil_mode, False, 'avg', layout, count_include_pad,
                         **kwargs)


class GlobalMaxPool1D(_Pool):
    """Max over each whole channel: (N, C, W) -> (N, C, 1)."""

    def __init__(self, layout='NCW', **kwargs):
        super().__init__(1, 1, None, 0, True, True, 'max', layout, **kwargs)


class GlobalMaxPool2D(_Pool):
    """Max over each whole channel: (N, C, H, W) -> (N, C, 1, 1)."""

    def __init__(self, layout='NCHW', **kwargs):
        super().__init__(2, 1, None, 0, True, True, 'max', layout, **kwargs)


class GlobalMaxPool3D(_Pool):
    """Max over each whole channel: (N, C, D, H, W) -> (N, C, 1, 1, 1)."""

    def __init__(self, layout='NCDHW', **kwargs):
        super().__init__(3, 1, None, 0, True, True, 'max', layout, **kwargs)


class GlobalAvgPool1D(_Pool):
    """Mean over each whole channel: (N, C, W) -> (N, C, 1)."""

    def __init__(self, layout='NCW', **kwargs):
        super().__init__(1, 1, None, 0, True, True, 'avg', layout, **kwargs)


class GlobalAvgPool2D(_Pool):
    """Mean over each whole channel: (N, C, H, W) -> (N, C, 1, 1)."""

    def __init__(self, layout='NCHW', **kwargs):
        super().__init__(2, 1, None, 0, True, True, 'avg', layout, **kwargs)


class GlobalAvgPool3D(_Pool):
    """Mean over each whole channel: (N, C, D, H, W) -> (N, C, 1, 1, 1)."""

    def __init__(self, layout='NCDHW', **kwargs):
        super().__init__(3, 1, None, 0, True, True, 'avg', layout, **kwargs)


class ReflectionPad2D(HybridBlock):
    """Pads (N, C, H, W) input by reflection (the ``Pad`` operator, mode 'reflect'): ``padding`` pixels on every side
    of H and W, or MXNet's full 8-tuple of (before, after) widths per axis."""

    def __init__(self, padding=0, **kwargs):
        super().__init__(**kwargs)
        self._padding = (0, 0, 0, 0) + (padding,) * 4 if isinstance(padding, int) else tuple(padding)

    def hybrid_forward(self, F, x):
        return F.pad(x, mode='reflect', pad_width=self._padding)
