"""MXNet 1.x's image classification models (``mx.gluon.model_zoo.vision``) with MXNet 1.9.1's constructors,
parameter names and shapes, so that a ``.params`` file saved by MXNet for one of them loads into mxc's.

``get_model('resnet50_v2', classes=10)`` builds a model by its name in MXNet's model store; ``pretrained=True``
loads ``<root>/<name>-*.params`` (mxc does not download; see ``model_store.get_model_file``)."""
from .resnet import *  # noqa: F401,F403
from .vgg import *  # noqa: F401,F403
from .squeezenet import *  # noqa: F401,F403
from .mobilenet import *  # noqa: F401,F403
from .densenet import *  # noqa: F401,F403
from .inception import *  # noqa: F401,F403
_WIDTHS = ('1.0', '0.75', '0.5', '0.25')
# The names of MXNet's model store (also its pretrained files' names); each constructor is the name with '.' as '_'
# (and mobilenet_v2_, inception_v3).
_NAMES = (['resnet%d_v%d' % (n, v) for v in (1, 2) for n in (18, 34, 50, 101, 152)]
          + ['vgg%d%s' % (n, bn) for n in (11, 13, 16, 19) for bn in ('', '_bn')]
          + ['mobilenet' + m for m in _WIDTHS] + ['mobilenetv2_' + m for m in _WIDTHS]
          + ['densenet%d' % n for n in (121, 161, 169, 201)]
          + ['alexnet', 'inceptionv3', 'squeezenet1.0', 'squeezenet1.1'])
_MODELS = {n: globals()[n.replace('v2_', '_v2_').replace('inceptionv3', 'inception_v3').replace('.', '_')]
           for n in _NAMES}

def get_model(name, **kwargs):
    """The model ``name`` (as MXNet's ``get_model``: 'resnet18_v1', 'vgg16_bn', 'mobilenet0.25', 'squeezenet1.1',
    ...); keyword arguments (``classes``, ``pretrained``, ``ctx``, ``root``, ...) go to its constructor."""
    name = name.lower()
    if name not in _MODELS:
        raise ValueError("Model %s is not supported. Available options are\n\t%s"
                         % (name, "\n\t".join(sorted(_MODELS))))
    return _MODELS[name](**kwargs)
