"""Operator lists of AMP per target dtype (``symbol_fp16``)."""
from . import symbol_fp16  # noqa: F401
