"""Contributed operators as symbols (``mx.sym.contrib.<x>`` for ``_contrib_<x>``), filled in at import time by
``mxc.symbol.register``."""
