"""DenseNet (Huang et al. 2016) with MXNet 1.9.1's parameter names: ``features`` (stem, dense stages
``stage1_``.., transitions, final BatchNorm and 7x7 average pooling) and ``output``. A dense layer is a
HybridConcurrent (concatenating on the channels) of an Identity and the BN-ReLU-1x1-BN-ReLU-3x3 bottleneck; its
parts take no prefix, so a stage numbers its layers' convolutions through the stage."""
from ... import nn
from ...block import HybridBlock
from ...contrib.nn import HybridConcurrent, Identity
from .. import model_store

__all__ = ["DenseNet", "densenet121", "densenet161", "densenet169", "densenet201"]


def _bn_relu_conv(seq, channels, kernel, padding=0):
    seq.add(nn.BatchNorm(), nn.Activation('relu'), nn.Conv2D(channels, kernel, padding=padding, use_bias=False))


def _dense_layer(growth_rate, bn_size, dropout):
    branch = nn.HybridSequential(prefix='')
    _bn_relu_conv(branch, bn_size * growth_rate, 1)
    _bn_relu_conv(branch, growth_rate, 3, 1)
    if dropout:
        branch.add(nn.Dropout(dropout))
    layer = HybridConcurrent(axis=1, prefix='')
    layer.add(Identity(), branch)
    return layer


class DenseNet(HybridBlock):
    """DenseNet: a 7x7/2 stem of ``num_init_features`` channels and max pooling, then stages of
    ``block_config[i]`` dense layers each adding ``growth_rate`` channels (bottleneck width ``bn_size *
    growth_rate``, ``dropout`` after each), separated by transitions halving the channels and the resolution."""

    def __init__(self, num_init_features, growth_rate, block_config, bn_size=4, dropout=0, classes=1000, **kwargs):
        super().__init__(**kwargs)
        with self.name_scope():
            self.features = nn.HybridSequential(prefix='')
            self.features.add(nn.Conv2D(num_init_features, 7, 2, 3, use_bias=False), nn.BatchNorm(),
                              nn.Activation('relu'), nn.MaxPool2D(3, 2, 1))
            width = num_init_features
            for i, count in enumerate(block_config):
                stage = nn.HybridSequential(prefix='stage%d_' % (i + 1))
                with stage.name_scope():
                    stage.add(*[_dense_layer(growth_rate, bn_size, dropout) for _ in range(count)])
                self.features.add(stage)
                width += count * growth_rate
                if i != len(block_config) - 1:
                    width //= 2
                    transition = nn.HybridSequential(prefix='')
                    _bn_relu_conv(transition, width, 1)
                    transition.add(nn.AvgPool2D(2, 2))
                    self.features.add(transition)
            self.features.add(nn.BatchNorm(), nn.Activation('relu'), nn.AvgPool2D(7), nn.Flatten())
            self.output = nn.Dense(classes)

    def hybrid_forward(self, F, x):
        return self.output(self.features(x))


_SPEC = {121: (64, 32, [6, 12, 24, 16]), 161: (96, 48, [6, 12, 36, 24]), 169: (64, 32, [6, 12, 32, 32]),
         201: (64, 32, [6, 12, 48, 32])}


def get_densenet(num_layers, pretrained=False, ctx=None, root=model_store._DEFAULT_ROOT, **kwargs):
    """DenseNet-``num_layers`` (121, 161, 169 or 201); ``pretrained`` loads ``densenet<num_layers>-*.params``."""
    net = DenseNet(*_SPEC[num_layers], **kwargs)
    if pretrained:
        model_store.load_pretrained(net, 'densenet%d' % num_layers, ctx, root)
    return net


def _variant(num_layers):
    def make(**kwargs):
        return get_densenet(num_layers, **kwargs)
    make.__name__ = 'densenet%d' % num_layers
    make.__doc__ = "DenseNet-%d (MXNet's ``%s``); keyword arguments as ``DenseNet``, plus ``pretrained``, ``ctx``, " \
                   "``root``." % (num_layers, make.__name__)
    return make


densenet121, densenet161, densenet169, densenet201 = (_variant(n) for n in sorted(_SPEC))
