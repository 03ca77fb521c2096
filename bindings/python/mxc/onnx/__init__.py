"""ONNX export (``mx.onnx.export_model``, MXNet 1.9.1's signature): mxc symbols and their parameters as ONNX models,
for ONNX Runtime and other deployment tools. Needs the ``onnx`` package (``pip install onnx``)."""
from ._export import export_model, get_model_metadata, get_operator_support
from ._import import import_model

__all__ = ["export_model", "import_model", "get_model_metadata", "get_operator_support"]
