"""Contributed operators as symbols (``mx.sym.contrib.<x>`` for ``_contrib_<x>``), filled in at import time by
``mxc.symbol.register``."""


def boolean_mask(data, index, axis=0, name=None, **kwargs):
    """Not available as a symbol: the output shape of boolean_mask depends on the values of ``index``, and mxc
    infers every shape of a graph before running it. Use ``mx.nd.contrib.boolean_mask`` (imperative, with autograd)."""
    from ..base import MXNetError
    raise MXNetError("boolean_mask: its output shape depends on the values of index, which a symbol cannot know "
                     "before running; use mx.nd.contrib.boolean_mask (imperative, recorded by autograd)")
