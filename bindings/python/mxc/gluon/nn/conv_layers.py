"""2-D convolution and pooling layers (NCHW layout only)."""
from ..block import HybridBlock
from .activations import Activation

__all__ = ["Conv2D", "MaxPool2D", "AvgPool2D", "GlobalAvgPool2D", "GlobalMaxPool2D"]


def _pair(v):
    if isinstance(v, int):
        return (v, v)
    v = tuple(int(e) for e in v)
    if len(v) != 2:
        raise ValueError("expected an int or a pair of ints, got %s" % (v,))
    return v


def _nchw_only(layout, what):
    if layout != 'NCHW':
        raise NotImplementedError("%s: mxc supports layout='NCHW' only, got layout=%r" % (what, layout))


class Conv2D(HybridBlock):
    """2-D convolution over (N, C, H, W) input with ``channels`` filters of size ``kernel_size``."""

    def __init__(self, channels, kernel_size, strides=(1, 1), padding=(0, 0), dilation=(1, 1), groups=1,
                 layout='NCHW', activation=None, use_bias=True, weight_initializer=None, bias_initializer='zeros',
                 in_channels=0, **kwargs):
        _nchw_only(layout, 'Conv2D')
        super().__init__(**kwargs)
        self._filters = channels
        self._cfg = dict(kernel=_pair(kernel_size), stride=_pair(strides), pad=_pair(padding),
                         dilate=_pair(dilation), num_group=groups)
        kh, kw = self._cfg['kernel']
        with self.name_scope():
            self.weight = self.params.get('weight', shape=(channels, in_channels // groups, kh, kw),
                                          init=weight_initializer, allow_deferred_init=True)
            self.bias = self.params.get('bias', shape=(channels,), init=bias_initializer,
                                        allow_deferred_init=True) if use_bias else None
            self.act = Activation(activation, prefix=activation + '_') if activation is not None else None

    def _name_hint(self):
        return 'conv'

    def hybrid_forward(self, F, x, weight, bias=None):
        y = F.Convolution(x, weight, bias, no_bias=bias is None, num_filter=self._filters, **self._cfg)
        return self.act(y) if self.act is not None else y

    def __repr__(self):
        c = self._cfg
        given = self.weight.shape[1] if self.weight.shape[1] else None
        text = "%s(%s -> %s, kernel_size=%s, stride=%s" % (type(self).__name__, given, self._filters, c['kernel'],
                                                            c['stride'])
        if c['pad'] != (0, 0):
            text += ", padding=%s" % (c['pad'],)
        if c['dilate'] != (1, 1):
            text += ", dilation=%s" % (c['dilate'],)
        if c['num_group'] != 1:
            text += ", groups=%s" % c['num_group']
        if self.bias is None:
            text += ", bias=False"
        if self.act is not None:
            text += ", %r" % self.act
        return text + ")"


class _Pool(HybridBlock):
    def __init__(self, size, strides, padding, ceil_mode, global_pool, kind, layout, count_include_pad=None,
                 **kwargs):
        _nchw_only(layout, type(self).__name__)
        super().__init__(**kwargs)
        size = _pair(size)
        self._cfg = dict(kernel=size, stride=_pair(strides) if strides is not None else size,
                         pad=_pair(padding), global_pool=global_pool, pool_type=kind,
                         pooling_convention='full' if ceil_mode else 'valid')
        if kind == 'avg':
            self._cfg['count_include_pad'] = bool(count_include_pad)
        self._layout = layout

    def _name_hint(self):
        return 'pool'

    def hybrid_forward(self, F, x):
        return F.Pooling(x, **self._cfg)

    def __repr__(self):
        c = self._cfg
        return ("%s(size=%s, stride=%s, padding=%s, ceil_mode=%s, global_pool=%s, pool_type=%s, layout=%s)"
                % (type(self).__name__, c['kernel'], c['stride'], c['pad'], c['pooling_convention'] == 'full',
                   c['global_pool'], c['pool_type'], self._layout))


class MaxPool2D(_Pool):
    """Max pooling over ``pool_size`` windows (stride defaults to the window)."""

    def __init__(self, pool_size=(2, 2), strides=None, padding=0, layout='NCHW', ceil_mode=False, **kwargs):
        super().__init__(pool_size, strides, padding, ceil_mode, False, 'max', layout, **kwargs)


class AvgPool2D(_Pool):
    """Average pooling over ``pool_size`` windows (stride defaults to the window)."""

    def __init__(self, pool_size=(2, 2), strides=None, padding=0, ceil_mode=False, layout='NCHW',
                 count_include_pad=True, **kwargs):
        super().__init__(pool_size, strides, padding, ceil_mode, False, 'avg', layout,
                                        count_include_pad, **kwargs)


class GlobalMaxPool2D(_Pool):
    """Max over each whole channel: (N, C, H, W) -> (N, C, 1, 1)."""

    def __init__(self, layout='NCHW', **kwargs):
        super().__init__((1, 1), None, 0, True, True, 'max', layout, **kwargs)


class GlobalAvgPool2D(_Pool):
    """Mean over each whole channel: (N, C, H, W) -> (N, C, 1, 1)."""

    def __init__(self, layout='NCHW', **kwargs):
        super().__init__((1, 1), None, 0, True, True, 'avg', layout, **kwargs)
