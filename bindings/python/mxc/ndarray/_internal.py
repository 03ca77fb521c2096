"""Operators whose names start with ``_`` (``mx.nd._internal._plus_scalar``, ...), filled in at import time by
``mxc.ndarray.register``."""
