"""Contributed operators as symbols (``mx.sym.contrib.<x>`` for ``_contrib_<x>``), filled in at import time by
``mxc.symbol.register``."""


def boolean_mask(data, index, axis=0, name=None, **kwargs):
    """Not available as a symbol: the output shape of boolean_mask depends on the values of ``index``, and mxc
    infers every shape of a graph before running it. Use ``mx.nd.contrib.boolean_mask`` (imperative, with autograd)."""
    from ..base import MXNetError
    raise MXNetError("boolean_mask: its output shape depends on the values of index, which a symbol cannot know "
                     "before running; use mx.nd.contrib.boolean_mask (imperative, recorded by autograd)")


from .control_flow import foreach, while_loop, cond  # noqa: E402,F401  (MXNet's sym.contrib names)


def rand_zipfian(true_classes, num_sampled, range_max):
    """The symbol of ``mx.nd.contrib.rand_zipfian`` (MXNet's ``sym.contrib.rand_zipfian``): ``num_sampled`` classes
    of ``[0, range_max)`` drawn with replacement from the approximately log-uniform distribution
    ``P(c) = (log(c + 2) - log(c + 1)) / log(range_max + 1)``, and the expected counts ``num_sampled * P(c)`` of the
    true classes and of the samples (float64)."""
    import math
    from . import random as _random
    log_range = math.log(range_max + 1)
    rand = _random.uniform(0, log_range, shape=(num_sampled,), dtype="float64")
    sampled = (rand.exp() - 1).astype("int64") % range_max

    def expected(cls):
        c = cls.astype("float64")
        return ((c + 2.0) / (c + 1.0)).log() / log_range * num_sampled
    return sampled, expected(true_classes), expected(sampled)
