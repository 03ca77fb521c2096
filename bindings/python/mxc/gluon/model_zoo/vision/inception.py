"""Inception v3 (Szegedy et al. 2015) with MXNet 1.9.1's parameter names: ``features`` (the stem, then the mixed
blocks A1-A3, B, C1-C4, D, E1, E2 as HybridConcurrents prefixed by their names, 8x8 average pooling, dropout) and
``output``. Every convolution is a bias-free Conv2D, BatchNorm (epsilon 0.001) and ReLU in a sequence; sequences
take no prefix, so each mixed block numbers its convolutions through its branches."""
from ... import nn
from ...block import HybridBlock
from ...contrib.nn import HybridConcurrent
from .. import model_store

__all__ = ["Inception3", "inception_v3"]


def _unit(channels, kernel, stride=1, padding=0):
    seq = nn.HybridSequential(prefix='')
    seq.add(nn.Conv2D(channels, kernel, stride, padding, use_bias=False), nn.BatchNorm(epsilon=0.001),
            nn.Activation('relu'))
    return seq


def _branch(pool, *convs):
    """A sequence of an optional pooling ('avg': 3x3/1 padded, 'max': 3x3/2) then convolutions given as
    (channels, kernel[, stride[, padding]])."""
    seq = nn.HybridSequential(prefix='')
    if pool == 'avg':
        seq.add(nn.AvgPool2D(3, 1, 1))
    elif pool == 'max':
        seq.add(nn.MaxPool2D(3, 2))
    for conv in convs:
        seq.add(_unit(*conv))
    return seq


def _mixed(prefix, *branches):
    """A HybridConcurrent (on the channels) named ``prefix``; each branch is a function building its block,
    called inside the block's name scope so that the convolutions are numbered in order."""
    block = HybridConcurrent(axis=1, prefix=prefix)
    with block.name_scope():
        for make in branches:
            block.add(make())
    return block


def _mixed_a(prefix, pool_features):
    return _mixed(prefix, lambda: _branch(None, (64, 1)), lambda: _branch(None, (48, 1), (64, 5, 1, 2)),
                  lambda: _branch(None, (64, 1), (96, 3, 1, 1), (96, 3, 1, 1)),
                  lambda: _branch('avg', (pool_features, 1)))


def _mixed_b(prefix):
    return _mixed(prefix, lambda: _branch(None, (384, 3, 2)),
                  lambda: _branch(None, (64, 1), (96, 3, 1, 1), (96, 3, 2)), lambda: _branch('max'))


def _mixed_c(prefix, c7):
    row, col = ((1, 7), 1, (0, 3)), ((7, 1), 1, (3, 0))
    return _mixed(prefix, lambda: _branch(None, (192, 1)),
                  lambda: _branch(None, (c7, 1), (c7,) + row, (192,) + col),
                  lambda: _branch(None, (c7, 1), (c7,) + col, (c7,) + row, (c7,) + col, (192,) + row),
                  lambda: _branch('avg', (192, 1)))


def _mixed_d(prefix):
    return _mixed(prefix, lambda: _branch(None, (192, 1), (320, 3, 2)),
                  lambda: _branch(None, (192, 1), (192, (1, 7), 1, (0, 3)), (192, (7, 1), 1, (3, 0)), (192, 3, 2)),
                  lambda: _branch('max'))


def _split_end(*convs):
    """``convs`` then a fork into a 1x3 and a 3x1 convolution of 384 channels, concatenated."""
    seq = nn.HybridSequential(prefix='')
    seq.add(_branch(None, *convs))
    fork = HybridConcurrent(axis=1, prefix='')
    fork.add(_branch(None, (384, (1, 3), 1, (0, 1))), _branch(None, (384, (3, 1), 1, (1, 0))))
    seq.add(fork)
    return seq


def _mixed_e(prefix):
    return _mixed(prefix, lambda: _branch(None, (320, 1)), lambda: _split_end((384, 1)),
                  lambda: _split_end((448, 1), (384, 3, 1, 1)), lambda: _branch('avg', (192, 1)))


class Inception3(HybridBlock):
    """Inception v3 for 299x299 inputs."""

    def __init__(self, classes=1000, **kwargs):
        super().__init__(**kwargs)
        with self.name_scope():
            self.features = nn.HybridSequential(prefix='')
            f = self.features
            f.add(_unit(32, 3, 2), _unit(32, 3), _unit(64, 3, 1, 1), nn.MaxPool2D(3, 2), _unit(80, 1),
                  _unit(192, 3), nn.MaxPool2D(3, 2))
            f.add(_mixed_a('A1_', 32), _mixed_a('A2_', 64), _mixed_a('A3_', 64), _mixed_b('B_'))
            f.add(*[_mixed_c('C%d_' % (i + 1), c7) for i, c7 in enumerate((128, 160, 160, 192))])
            f.add(_mixed_d('D_'), _mixed_e('E1_'), _mixed_e('E2_'), nn.AvgPool2D(8), nn.Dropout(0.5))
            self.output = nn.Dense(classes)

    def hybrid_forward(self, F, x):
        return self.output(self.features(x))


def inception_v3(pretrained=False, ctx=None, root=model_store._DEFAULT_ROOT, **kwargs):
    """Inception v3 (MXNet's ``inception_v3``); ``pretrained`` loads ``inceptionv3-*.params`` from ``root``."""
    net = Inception3(**kwargs)
    if pretrained:
        model_store.load_pretrained(net, 'inceptionv3', ctx, root)
    return net
