"""Image operators as symbols (``mx.sym.image.<x>`` for ``_image_<x>``, as MXNet 1.9.1), filled in at import time
by ``mxc.symbol.register``; ``resize`` is written here from other operators."""
