"""Linear-algebra operators as symbols (``mx.sym.linalg.<x>`` for ``_linalg_<x>``), filled in at import time by
``mxc.symbol.register``."""
