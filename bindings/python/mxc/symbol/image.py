"""Image operators as symbols (``mx.sym.image.<x>`` for ``_image_<x>``, as MXNet 1.9.1; ``resize`` included), filled in
at import time by ``mxc.symbol.register``."""
