"""ONNX export and import (``mx.onnx.export_model``/``import_model``, MXNet 1.9.1's signatures): mxc symbols and
their parameters as ONNX models for ONNX Runtime and other deployment tools, and ONNX models back as symbols.
Needs the ``onnx`` package (``pip install onnx``)."""
from ._export import export_model, get_model_metadata, get_operator_support
from ._import import import_model

__all__ = ["export_model", "import_model", "get_model_metadata", "get_operator_support"]
