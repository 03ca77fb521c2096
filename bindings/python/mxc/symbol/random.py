"""Random operators as symbols (``mx.sym.random.uniform`` for ``_random_uniform``, ...), filled in at import time
by ``mxc.symbol.register``."""
