"""Operators whose names start with ``_`` (``mx.sym._internal._Plus``, ...), filled in at import time by
``mxc.symbol.register``."""
