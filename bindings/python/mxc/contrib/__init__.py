"""``mx.contrib``: MXNet's contrib namespace; ``mx.contrib.onnx`` is ``mx.onnx`` (import_model, get_model_metadata,
export_model)."""
from .. import onnx  # noqa: F401
