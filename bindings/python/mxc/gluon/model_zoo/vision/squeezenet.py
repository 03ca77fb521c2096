"""SqueezeNet 1.0 and 1.1 (Iandola et al. 2016) with MXNet 1.9.1's parameter names: ``features`` (stem, fire
modules, pooling, dropout) and ``output`` (1x1 convolution to the classes, ReLU, 13x13 average pooling, flatten).
A fire module is a sequence (squeeze, then a HybridConcurrent of the 1x1 and 3x3 expansions concatenated on the
channels); its parts take no prefix, so the convolutions are numbered through the whole net."""
from ... import nn
from ...block import HybridBlock
from ...contrib.nn import HybridConcurrent
from .. import model_store

__all__ = ["SqueezeNet", "squeezenet1_0", "squeezenet1_1"]


def _conv_relu(channels, kernel, padding=0):
    s = nn.HybridSequential(prefix='')
    s.add(nn.Conv2D(channels, kernel, padding=padding), nn.Activation('relu'))
    return s


def _fire(squeeze, expand1x1, expand3x3):
    unit = nn.HybridSequential(prefix='')
    unit.add(_conv_relu(squeeze, 1))
    expand = HybridConcurrent(axis=1, prefix='')
    expand.add(_conv_relu(expand1x1, 1), _conv_relu(expand3x3, 3, 1))
    unit.add(expand)
    return unit


# The layers after the stem: a fire module as (squeeze, expand1x1, expand3x3), 'pool' for 3x3/2 max pooling.
_BODY = {'1.0': [(16, 64, 64), (16, 64, 64), (32, 128, 128), 'pool', (32, 128, 128), (48, 192, 192),
                 (48, 192, 192), (64, 256, 256), 'pool', (64, 256, 256)],
         '1.1': [(16, 64, 64), (16, 64, 64), 'pool', (32, 128, 128), (32, 128, 128), 'pool', (48, 192, 192),
                 (48, 192, 192), (64, 256, 256), (64, 256, 256)]}
_STEM = {'1.0': (96, 7), '1.1': (64, 3)}


class SqueezeNet(HybridBlock):
    """SqueezeNet ``version`` '1.0' or '1.1' (1.1: a 3x3 stem and earlier pooling, same accuracy, less work)."""

    def __init__(self, version, classes=1000, **kwargs):
        super().__init__(**kwargs)
        if version not in _BODY:
            raise AssertionError("Unsupported SqueezeNet version {version}:1.0 or 1.1 expected".format(
                version=version))
        with self.name_scope():
            self.features = nn.HybridSequential(prefix='')
            width, kernel = _STEM[version]
            self.features.add(nn.Conv2D(width, kernel, strides=2), nn.Activation('relu'),
                              nn.MaxPool2D(3, 2, ceil_mode=True))
            for part in _BODY[version]:
                self.features.add(nn.MaxPool2D(3, 2, ceil_mode=True) if part == 'pool' else _fire(*part))
            self.features.add(nn.Dropout(0.5))
            self.output = nn.HybridSequential(prefix='')
            self.output.add(nn.Conv2D(classes, 1), nn.Activation('relu'), nn.AvgPool2D(13), nn.Flatten())

    def hybrid_forward(self, F, x):
        return self.output(self.features(x))


def _variant(version):
    def make(pretrained=False, ctx=None, root=model_store._DEFAULT_ROOT, **kwargs):
        net = SqueezeNet(version, **kwargs)
        if pretrained:
            model_store.load_pretrained(net, 'squeezenet' + version, ctx, root)
        return net
    make.__name__ = 'squeezenet' + version.replace('.', '_')
    make.__doc__ = ("SqueezeNet %s (MXNet's ``%s``); ``pretrained`` loads ``squeezenet%s-*.params`` from ``root``."
                    % (version, make.__name__, version))
    return make


squeezenet1_0, squeezenet1_1 = _variant('1.0'), _variant('1.1')
