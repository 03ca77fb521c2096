"""``mx.random``: seeding the library's generators, and the samplers of ``mx.nd.random``."""
from .base import lib, check_call
from .ndarray.random import (uniform, normal, randn, exponential, gamma, poisson, negative_binomial,  # noqa: F401
                             generalized_negative_binomial, randint, multinomial, shuffle)

__all__ = ["seed", "uniform", "normal", "randn", "exponential", "gamma", "poisson", "negative_binomial",
           "generalized_negative_binomial", "randint", "multinomial", "shuffle"]


def seed(seed_state, ctx="all"):
    """Seeds every random generator of the library (all devices; ``ctx`` is accepted for MXNet compatibility).

    The same seed gives the same sequence of samples."""
    if not isinstance(seed_state, int) or isinstance(seed_state, bool):
        raise ValueError("seed_state must be an int, got %r" % (seed_state,))
    check_call(lib.MXCRandomSeed(seed_state & 0xFFFFFFFFFFFFFFFF))
