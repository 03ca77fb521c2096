"""MobileNet (Howard et al. 2017) and MobileNetV2 (Sandler et al. 2018) with a width ``multiplier``, with MXNet
1.9.1's parameter names: v1 keeps its layers flat in ``features`` then a Dense ``output``; v2 has ``features``
(prefix ``features_``, LinearBottleneck blocks) and ``output`` (prefix ``output_``, a 1x1 convolution ``pred``)."""
from ... import nn
from ...block import HybridBlock
from .. import model_store

__all__ = ["MobileNet", "MobileNetV2", "get_mobilenet", "get_mobilenet_v2",
           "mobilenet1_0", "mobilenet0_75", "mobilenet0_5", "mobilenet0_25",
           "mobilenet_v2_1_0", "mobilenet_v2_0_75", "mobilenet_v2_0_5", "mobilenet_v2_0_25"]


class RELU6(HybridBlock):
    """min(max(x, 0), 6)."""

    def hybrid_forward(self, F, x):
        return F.clip(x, 0, 6, name='relu6')


def _conv_bn(seq, channels, kernel, stride=1, pad=0, groups=1, relu6=False, act=True):
    """Adds a bias-free convolution, BatchNorm and (with ``act``) ReLU or ReLU6 to ``seq``."""
    seq.add(nn.Conv2D(channels, kernel, stride, pad, groups=groups, use_bias=False), nn.BatchNorm())
    if act:
        seq.add(RELU6() if relu6 else nn.Activation('relu'))


class LinearBottleneck(HybridBlock):
    """MobileNetV2's inverted residual: 1x1 expansion by ``t``, 3x3 depthwise (``stride``), 1x1 linear projection
    to ``channels``; the input is added back when the shapes agree (stride 1, in_channels == channels)."""

    def __init__(self, in_channels, channels, t, stride, **kwargs):
        super().__init__(**kwargs)
        self.use_shortcut = stride == 1 and in_channels == channels
        wide = in_channels * t
        with self.name_scope():
            self.out = nn.HybridSequential()
            _conv_bn(self.out, wide, 1, relu6=True)
            _conv_bn(self.out, wide, 3, stride, 1, groups=wide, relu6=True)
            _conv_bn(self.out, channels, 1, act=False)

    def hybrid_forward(self, F, x):
        y = self.out(x)
        return F.elemwise_add(y, x) if self.use_shortcut else y


class MobileNet(HybridBlock):
    """MobileNet v1: a strided 3x3 convolution, then 13 depthwise-separable units (3x3 depthwise and 1x1
    pointwise convolutions, each with BatchNorm and ReLU), global average pooling and a Dense classifier; every
    width is scaled by ``multiplier``."""

    def __init__(self, multiplier=1.0, classes=1000, **kwargs):
        super().__init__(**kwargs)
        scale = lambda widths: [int(w * multiplier) for w in widths]  # noqa: E731
        depthwise = scale([32, 64] + [128] * 2 + [256] * 2 + [512] * 6 + [1024])
        pointwise = scale([64] + [128] * 2 + [256] * 2 + [512] * 6 + [1024] * 2)
        strides = [1, 2] * 3 + [1] * 5 + [2, 1]
        with self.name_scope():
            self.features = nn.HybridSequential(prefix='')
            with self.features.name_scope():
                _conv_bn(self.features, int(32 * multiplier), 3, 2, 1)
                for dw, pw, stride in zip(depthwise, pointwise, strides):
                    _conv_bn(self.features, dw, 3, stride, 1, groups=dw)
                    _conv_bn(self.features, pw, 1)
                self.features.add(nn.GlobalAvgPool2D(), nn.Flatten())
            self.output = nn.Dense(classes)

    def hybrid_forward(self, F, x):
        return self.output(self.features(x))


class MobileNetV2(HybridBlock):
    """MobileNetV2: a strided 3x3 convolution, 17 LinearBottleneck blocks, a 1x1 convolution to 1280 channels,
    global average pooling and a 1x1 convolution to the classes; widths scaled by ``multiplier`` (the 1280 only
    above 1)."""

    def __init__(self, multiplier=1.0, classes=1000, **kwargs):
        super().__init__(**kwargs)
        widths = [16] + [24] * 2 + [32] * 3 + [64] * 4 + [96] * 3 + [160] * 3 + [320]
        outs = [int(w * multiplier) for w in widths]
        ins = [int(32 * multiplier)] + outs[:-1]
        expansions = [1] + [6] * 16
        strides = [1, 2] * 2 + [1, 1, 2] + [1] * 6 + [2] + [1] * 3
        last = int(1280 * multiplier) if multiplier > 1.0 else 1280
        with self.name_scope():
            self.features = nn.HybridSequential(prefix='features_')
            with self.features.name_scope():
                _conv_bn(self.features, int(32 * multiplier), 3, 2, 1, relu6=True)
                for cin, cout, t, stride in zip(ins, outs, expansions, strides):
                    self.features.add(LinearBottleneck(cin, cout, t, stride))
                _conv_bn(self.features, last, 1, relu6=True)
                self.features.add(nn.GlobalAvgPool2D())
            self.output = nn.HybridSequential(prefix='output_')
            with self.output.name_scope():
                self.output.add(nn.Conv2D(classes, 1, use_bias=False, prefix='pred_'), nn.Flatten())

    def hybrid_forward(self, F, x):
        return self.output(self.features(x))


def get_mobilenet(multiplier, pretrained=False, ctx=None, root=model_store._DEFAULT_ROOT, **kwargs):
    """MobileNet with width ``multiplier``; ``pretrained`` loads ``mobilenet<multiplier>-*.params`` (as
    'mobilenet0.25') from ``root``."""
    net = MobileNet(multiplier, **kwargs)
    if pretrained:
        model_store.load_pretrained(net, 'mobilenet%s' % multiplier, ctx, root)
    return net


def get_mobilenet_v2(multiplier, pretrained=False, ctx=None, root=model_store._DEFAULT_ROOT, **kwargs):
    """MobileNetV2 with width ``multiplier``; ``pretrained`` loads ``mobilenetv2_<multiplier>-*.params`` (as
    'mobilenetv2_0.25') from ``root``."""
    net = MobileNetV2(multiplier, **kwargs)
    if pretrained:
        model_store.load_pretrained(net, 'mobilenetv2_%s' % multiplier, ctx, root)
    return net


def _variant(getter, multiplier, name):
    def make(**kwargs):
        return getter(multiplier, **kwargs)
    make.__name__ = name
    make.__doc__ = "MobileNet%s with multiplier %s (MXNet's ``%s``); keyword arguments as ``%s``." % (
        'V2' if 'v2' in name else '', multiplier, name, getter.__name__)
    return make


mobilenet1_0, mobilenet0_75, mobilenet0_5, mobilenet0_25 = (
    _variant(get_mobilenet, m, 'mobilenet' + str(m).replace('.', '_')) for m in (1.0, 0.75, 0.5, 0.25))
mobilenet_v2_1_0, mobilenet_v2_0_75, mobilenet_v2_0_5, mobilenet_v2_0_25 = (
    _variant(get_mobilenet_v2, m, 'mobilenet_v2_' + str(m).replace('.', '_')) for m in (1.0, 0.75, 0.5, 0.25))
