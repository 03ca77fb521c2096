"""ResNet v1 (post-activation, He et al. 2015) and v2 (pre-activation, He et al. 2016) with MXNet 1.9.1's
parameter names and ``save_parameters`` keys: ``features`` (stem, stages ``stage1_``..``stage4_``, pooling) and
``output``; v1 blocks hold ``body`` and ``downsample`` sequences, v2 blocks ``bn1``, ``conv1``, ... and
``downsample``. Blocks inside a stage take no prefix of their own, so a stage numbers its convolutions across its
blocks (``stage2_conv3_weight``)."""
from ... import nn
from ...block import HybridBlock
from .. import model_store

__all__ = ["ResNetV1", "ResNetV2", "BasicBlockV1", "BasicBlockV2", "BottleneckV1", "BottleneckV2", "get_resnet",
           "resnet18_v1", "resnet34_v1", "resnet50_v1", "resnet101_v1", "resnet152_v1",
           "resnet18_v2", "resnet34_v2", "resnet50_v2", "resnet101_v2", "resnet152_v2"]


def _conv3x3(channels, stride, in_channels):
    return nn.Conv2D(channels, 3, strides=stride, padding=1, use_bias=False, in_channels=in_channels)


def _seq(*layers):
    s = nn.HybridSequential(prefix='')
    s.add(*layers)
    return s


def _shortcut_v1(channels, stride, in_channels):
    return _seq(nn.Conv2D(channels, 1, strides=stride, use_bias=False, in_channels=in_channels), nn.BatchNorm())


class _ResidualV1(HybridBlock):
    """relu(body(x) + shortcut(x)); the shortcut is ``downsample`` when the shape changes, else x."""
    _skip_first = False  # the sum's operand order, which orders the exported graph's nodes as MXNet's

    def hybrid_forward(self, F, x):
        body = self.body(x)
        skip = self.downsample(x) if self.downsample is not None else x
        return F.Activation(skip + body if self._skip_first else body + skip, act_type='relu')


class BasicBlockV1(_ResidualV1):
    """Two 3x3 convolutions, each followed by BatchNorm (the first also by ReLU), and a residual connection."""
    _skip_first = True

    def __init__(self, channels, stride, downsample=False, in_channels=0, **kwargs):
        super().__init__(**kwargs)
        self.body = _seq(_conv3x3(channels, stride, in_channels), nn.BatchNorm(), nn.Activation('relu'),
                         _conv3x3(channels, 1, channels), nn.BatchNorm())
        self.downsample = _shortcut_v1(channels, stride, in_channels) if downsample else None


class BottleneckV1(_ResidualV1):
    """1x1 (strided, to channels/4), 3x3 and 1x1 (back to channels) convolutions with BatchNorm, and a residual
    connection."""

    def __init__(self, channels, stride, downsample=False, in_channels=0, **kwargs):
        super().__init__(**kwargs)
        mid = channels // 4
        self.body = _seq(nn.Conv2D(mid, 1, strides=stride), nn.BatchNorm(), nn.Activation('relu'),
                         _conv3x3(mid, 1, mid), nn.BatchNorm(), nn.Activation('relu'),
                         nn.Conv2D(channels, 1, strides=1), nn.BatchNorm())
        self.downsample = _shortcut_v1(channels, stride, in_channels) if downsample else None


class _ResidualV2(HybridBlock):
    """Pre-activation unit: each convolution reads relu(bn(previous)); the shortcut (``downsample``, a strided 1x1
    convolution when the shape changes) reads the first activation, and the output is the last convolution plus
    the shortcut."""

    def hybrid_forward(self, F, x):
        skip = x
        for i, (bn, conv) in enumerate(self._units):
            x = F.Activation(bn(x), act_type='relu')
            if i == 0 and self.downsample is not None:
                skip = self.downsample(x)
            x = conv(x)
        return x + skip

    def _build(self, convs, channels, stride, downsample, in_channels):
        self._units = []
        for i, conv in enumerate(convs, 1):
            bn = nn.BatchNorm()
            setattr(self, 'bn%d' % i, bn)
            setattr(self, 'conv%d' % i, conv)
            self._units.append((bn, conv))
        self.downsample = (nn.Conv2D(channels, 1, stride, use_bias=False, in_channels=in_channels)
                           if downsample else None)


class BasicBlockV2(_ResidualV2):
    """Two pre-activated 3x3 convolutions and a residual connection."""

    def __init__(self, channels, stride, downsample=False, in_channels=0, **kwargs):
        super().__init__(**kwargs)
        self._build([_conv3x3(channels, stride, in_channels), _conv3x3(channels, 1, channels)], channels, stride,
                    downsample, in_channels)


class BottleneckV2(_ResidualV2):
    """Pre-activated 1x1 (to channels/4), 3x3 (strided) and 1x1 (to channels) convolutions and a residual
    connection."""

    def __init__(self, channels, stride, downsample=False, in_channels=0, **kwargs):
        super().__init__(**kwargs)
        mid = channels // 4
        self._build([nn.Conv2D(mid, 1, strides=1, use_bias=False), _conv3x3(mid, stride, mid),
                     nn.Conv2D(channels, 1, strides=1, use_bias=False)], channels, stride, downsample, in_channels)


class _ResNet(HybridBlock):
    """``features`` then the ``output`` Dense layer; ``_stem`` and ``_head`` are what v1 and v2 put around the
    stages."""

    def __init__(self, block, layers, channels, classes=1000, thumbnail=False, **kwargs):
        super().__init__(**kwargs)
        if len(layers) != len(channels) - 1:
            raise AssertionError("%s: len(channels) must be len(layers) + 1, got layers=%s, channels=%s"
                                 % (type(self).__name__, layers, channels))
        with self.name_scope():
            self.features = nn.HybridSequential(prefix='')
            self._stem(self.features, channels[0], thumbnail)
            for i, count in enumerate(layers):
                stage = nn.HybridSequential(prefix='stage%d_' % (i + 1))
                with stage.name_scope():
                    width, stride = channels[i + 1], 1 if i == 0 else 2
                    stage.add(block(width, stride, width != channels[i], in_channels=channels[i], prefix=''))
                    for _ in range(count - 1):
                        stage.add(block(width, 1, False, in_channels=width, prefix=''))
                self.features.add(stage)
            self._head(self.features)
            self.output = nn.Dense(classes, in_units=channels[-1])

    def hybrid_forward(self, F, x):
        return self.output(self.features(x))


def _add_stem(seq, width, thumbnail):
    """The stem both versions share: a 3x3 convolution for thumbnails, else 7x7/2 convolution, BatchNorm, ReLU and
    3x3/2 max pooling."""
    if thumbnail:
        seq.add(_conv3x3(width, 1, 0))
    else:
        seq.add(nn.Conv2D(width, 7, 2, 3, use_bias=False), nn.BatchNorm(), nn.Activation('relu'),
                nn.MaxPool2D(3, 2, 1))


class ResNetV1(_ResNet):
    """ResNet v1: ``block`` is BasicBlockV1 or BottleneckV1, ``layers`` the blocks per stage, ``channels`` the
    stem's width then each stage's; ``thumbnail`` replaces the 7x7/2 stem and max pooling by one 3x3 convolution
    (for 32x32 images)."""

    def _stem(self, seq, width, thumbnail):
        _add_stem(seq, width, thumbnail)

    def _head(self, seq):
        seq.add(nn.GlobalAvgPool2D())


class ResNetV2(_ResNet):
    """ResNet v2 (pre-activation): the input is first normalized by a BatchNorm without scale and shift; ``block``
    is BasicBlockV2 or BottleneckV2; other arguments as ResNetV1."""

    def _stem(self, seq, width, thumbnail):
        seq.add(nn.BatchNorm(scale=False, center=False))
        _add_stem(seq, width, thumbnail)

    def _head(self, seq):
        seq.add(nn.BatchNorm(), nn.Activation('relu'), nn.GlobalAvgPool2D(), nn.Flatten())


_SPEC = {18: ('basic', [2, 2, 2, 2], [64, 64, 128, 256, 512]),
         34: ('basic', [3, 4, 6, 3], [64, 64, 128, 256, 512]),
         50: ('bottleneck', [3, 4, 6, 3], [64, 256, 512, 1024, 2048]),
         101: ('bottleneck', [3, 4, 23, 3], [64, 256, 512, 1024, 2048]),
         152: ('bottleneck', [3, 8, 36, 3], [64, 256, 512, 1024, 2048])}
_VERSIONS = {1: (ResNetV1, {'basic': BasicBlockV1, 'bottleneck': BottleneckV1}),
             2: (ResNetV2, {'basic': BasicBlockV2, 'bottleneck': BottleneckV2})}


def get_resnet(version, num_layers, pretrained=False, ctx=None, root=model_store._DEFAULT_ROOT, **kwargs):
    """ResNet ``version`` (1 or 2) with ``num_layers`` (18, 34, 50, 101 or 152); ``pretrained`` loads
    ``resnet<num_layers>_v<version>-*.params`` from ``root`` (see ``model_store.get_model_file``)."""
    if num_layers not in _SPEC:
        raise AssertionError("Invalid number of layers: %d. Options are %s" % (num_layers, str(_SPEC.keys())))
    if version not in _VERSIONS:
        raise AssertionError("Invalid resnet version: %d. Options are 1 and 2." % version)
    kind, layers, channels = _SPEC[num_layers]
    net_class, blocks = _VERSIONS[version]
    net = net_class(blocks[kind], layers, channels, **kwargs)
    if pretrained:
        model_store.load_pretrained(net, 'resnet%d_v%d' % (num_layers, version), ctx, root)
    return net


def _variant(version, num_layers):
    def make(**kwargs):
        return get_resnet(version, num_layers, **kwargs)
    make.__name__ = 'resnet%d_v%d' % (num_layers, version)
    make.__doc__ = ("ResNet-%d v%d (MXNet's ``%s``); keyword arguments as ``get_resnet`` and ``ResNetV%d``."
                    % (num_layers, version, make.__name__, version))
    return make


resnet18_v1, resnet34_v1, resnet50_v1, resnet101_v1, resnet152_v1 = (_variant(1, n) for n in sorted(_SPEC))
resnet18_v2, resnet34_v2, resnet50_v2, resnet101_v2, resnet152_v2 = (_variant(2, n) for n in sorted(_SPEC))
