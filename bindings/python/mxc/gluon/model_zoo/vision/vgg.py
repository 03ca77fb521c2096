"""VGG (Simonyan and Zisserman 2014), with and without BatchNorm, and AlexNet (Krizhevsky et al. 2012), with MXNet
1.9.1's parameter names: ``features`` (convolutions, pooling, and the two hidden Dense layers with dropout) and
``output``."""
from .... import initializer
from ... import nn
from ...block import HybridBlock
from .. import model_store

__all__ = ["VGG", "get_vgg", "vgg11", "vgg13", "vgg16", "vgg19", "vgg11_bn", "vgg13_bn", "vgg16_bn", "vgg19_bn",
           "AlexNet", "alexnet"]


class _Classifier(HybridBlock):
    """``output(features(x))``."""

    def hybrid_forward(self, F, x):
        return self.output(self.features(x))


def _hidden_dense(seq, init=None):
    for _ in range(2):
        seq.add(nn.Dense(4096, activation='relu', weight_initializer=init), nn.Dropout(rate=0.5))


class VGG(_Classifier):
    """VGG: stage ``i`` has ``layers[i]`` 3x3 convolutions of ``filters[i]`` channels (each followed by BatchNorm
    when ``batch_norm``) and ReLU, then 2x2 max pooling; then two Dense(4096) layers with dropout. As MXNet, the
    convolutions are initialized by Xavier (gaussian, fan out, magnitude 2) and the Dense layers by 'normal'."""

    def __init__(self, layers, filters, classes=1000, batch_norm=False, **kwargs):
        super().__init__(**kwargs)
        if len(layers) != len(filters):
            raise AssertionError("VGG: layers and filters must have the same length, got %s and %s"
                                 % (layers, filters))
        with self.name_scope():
            self.features = nn.HybridSequential(prefix='')
            for count, width in zip(layers, filters):
                for _ in range(count):
                    self.features.add(nn.Conv2D(width, 3, padding=1, weight_initializer=initializer.Xavier(
                        rnd_type='gaussian', factor_type='out', magnitude=2)))
                    if batch_norm:
                        self.features.add(nn.BatchNorm())
                    self.features.add(nn.Activation('relu'))
                self.features.add(nn.MaxPool2D(strides=2))
            _hidden_dense(self.features, 'normal')
            self.output = nn.Dense(classes, weight_initializer='normal')


_SPEC = {11: [1, 1, 2, 2, 2], 13: [2, 2, 2, 2, 2], 16: [2, 2, 3, 3, 3], 19: [2, 2, 4, 4, 4]}
_FILTERS = [64, 128, 256, 512, 512]


def get_vgg(num_layers, pretrained=False, ctx=None, root=model_store._DEFAULT_ROOT, **kwargs):
    """VGG with ``num_layers`` (11, 13, 16 or 19) weight layers; ``batch_norm=True`` for the ``_bn`` variants;
    ``pretrained`` loads ``vgg<num_layers>[_bn]-*.params`` from ``root``."""
    net = VGG(_SPEC[num_layers], _FILTERS, **kwargs)
    if pretrained:
        name = 'vgg%d%s' % (num_layers, '_bn' if kwargs.get('batch_norm') else '')
        model_store.load_pretrained(net, name, ctx, root)
    return net


def _variant(num_layers, batch_norm):
    def make(**kwargs):
        if batch_norm:
            kwargs['batch_norm'] = True
        return get_vgg(num_layers, **kwargs)
    make.__name__ = 'vgg%d%s' % (num_layers, '_bn' if batch_norm else '')
    make.__doc__ = "VGG-%d%s (MXNet's ``%s``); keyword arguments as ``get_vgg`` and ``VGG``." % (
        num_layers, ' with BatchNorm' if batch_norm else '', make.__name__)
    return make


vgg11, vgg13, vgg16, vgg19 = (_variant(n, False) for n in sorted(_SPEC))
vgg11_bn, vgg13_bn, vgg16_bn, vgg19_bn = (_variant(n, True) for n in sorted(_SPEC))


class AlexNet(_Classifier):
    """AlexNet (single-tower): five convolutions with three max poolings, then two Dense(4096) layers with
    dropout."""

    def __init__(self, classes=1000, **kwargs):
        super().__init__(**kwargs)
        with self.name_scope():
            self.features = nn.HybridSequential(prefix='')
            f = self.features
            f.add(nn.Conv2D(64, 11, 4, 2, activation='relu'), nn.MaxPool2D(3, 2),
                  nn.Conv2D(192, 5, padding=2, activation='relu'), nn.MaxPool2D(3, 2))
            for width in (384, 256, 256):
                f.add(nn.Conv2D(width, 3, padding=1, activation='relu'))
            f.add(nn.MaxPool2D(3, 2), nn.Flatten())
            _hidden_dense(f)
            self.output = nn.Dense(classes)


def alexnet(pretrained=False, ctx=None, root=model_store._DEFAULT_ROOT, **kwargs):
    """AlexNet (MXNet's ``alexnet``); ``pretrained`` loads ``alexnet-*.params`` from ``root``."""
    net = AlexNet(**kwargs)
    if pretrained:
        model_store.load_pretrained(net, 'alexnet', ctx, root)
    return net
