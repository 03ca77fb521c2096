"""``mx.contrib``: MXNet's contrib namespace; ``mx.contrib.onnx`` is ``mx.onnx`` (import_model, get_model_metadata,
export_model); ``mx.contrib.nd``/``ndarray`` and ``mx.contrib.sym``/``symbol`` are ``mx.nd.contrib`` and
``mx.sym.contrib`` (the ``_contrib_*`` operators, e.g. ``mx.contrib.sym.MultiBoxPrior``); ``mx.contrib.text``
(vocabularies and token embeddings), ``mx.contrib.tensorboard`` (LogMetricsCallback), ``mx.contrib.amp``
(automatic mixed precision) and ``mx.contrib.quantization`` (quantize_model: INT8 models)."""
from .. import onnx  # noqa: F401
from ..ndarray import contrib as ndarray  # noqa: F401
from ..symbol import contrib as symbol  # noqa: F401
from . import text  # noqa: F401
from . import tensorboard  # noqa: F401
from . import amp  # noqa: F401
from . import quantization  # noqa: F401

nd = ndarray
sym = symbol
