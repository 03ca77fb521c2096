"""Random operators as symbols: ``mx.sym.random.uniform`` / ``normal`` / ``randn`` / ``exponential`` / ``gamma`` /
``poisson`` / ``negative_binomial`` / ``generalized_negative_binomial`` / ``randint`` / ``multinomial`` / ``shuffle``
with MXNet's signatures (numbers for one distribution: ``_random_<x>``; Symbols for one distribution per element:
``_sample_<x>``); the other ``_random_<x>`` operators (``uniform_like``, ...) are filled in at import time by
``mxc.symbol.register``."""
from ..base import numeric_types
from .symbol import Symbol
from . import _internal

__all__ = ["uniform", "normal", "randn", "exponential", "gamma", "poisson", "negative_binomial",
           "generalized_negative_binomial", "randint", "multinomial", "shuffle"]


def _random(name, sample_name, params, shape, dtype, kwargs):
    values = list(params.values())
    p = dict(kwargs)
    if shape is not None:
        p["shape"] = (shape,) if isinstance(shape, int) else tuple(shape)
    if dtype is not None:
        p["dtype"] = dtype
    if isinstance(values[0], Symbol):
        if sample_name is None or not all(isinstance(v, Symbol) for v in values):
            raise TypeError("%s: distribution parameters must all be Symbols or all numbers, got %s"
                            % (name, ", ".join(type(v).__name__ for v in values)))
        return getattr(_internal, sample_name)(*values, **p)
    if not all(isinstance(v, numeric_types) for v in values):
        raise TypeError("%s: distribution parameters must all be Symbols or all numbers, got %s"
                        % (name, ", ".join(type(v).__name__ for v in values)))
    p.update(params)
    return getattr(_internal, name)(**p)


def uniform(low=0, high=1, shape=None, dtype=None, **kwargs):
    """Samples from the uniform distribution on [low, high) (Symbols: one distribution per element)."""
    return _random("_random_uniform", "_sample_uniform", {"low": low, "high": high}, shape, dtype, kwargs)


def normal(loc=0, scale=1, shape=None, dtype=None, **kwargs):
    """Samples from the normal distribution with mean loc and standard deviation scale."""
    return _random("_random_normal", "_sample_normal", {"loc": loc, "scale": scale}, shape, dtype, kwargs)


def randn(*shape, **kwargs):
    """Samples from the normal distribution: ``randn(2, 3, loc=0, scale=1, dtype=None)``."""
    loc = kwargs.pop("loc", 0)
    scale = kwargs.pop("scale", 1)
    dtype = kwargs.pop("dtype", None)
    return normal(loc, scale, shape if shape else None, dtype, **kwargs)


def exponential(scale=1, shape=None, dtype=None, **kwargs):
    """Samples from the exponential distribution with the given scale (the rate is 1 / scale)."""
    return _random("_random_exponential", "_sample_exponential", {"lam": 1.0 / scale}, shape, dtype, kwargs)


def gamma(alpha=1, beta=1, shape=None, dtype=None, **kwargs):
    """Samples from the gamma distribution with shape alpha and scale beta."""
    return _random("_random_gamma", "_sample_gamma", {"alpha": alpha, "beta": beta}, shape, dtype, kwargs)


def poisson(lam=1, shape=None, dtype=None, **kwargs):
    """Samples from the Poisson distribution with rate lam."""
    return _random("_random_poisson", "_sample_poisson", {"lam": lam}, shape, dtype, kwargs)


def negative_binomial(k=1, p=1, shape=None, dtype=None, **kwargs):
    """Samples from the negative binomial distribution (failures before the k-th success, success probability p)."""
    return _random("_random_negative_binomial", "_sample_negative_binomial", {"k": k, "p": p}, shape, dtype, kwargs)


def generalized_negative_binomial(mu=1, alpha=1, shape=None, dtype=None, **kwargs):
    """Samples from the generalized negative binomial distribution (mean mu, variance mu + alpha * mu**2)."""
    return _random("_random_generalized_negative_binomial", "_sample_generalized_negative_binomial",
                   {"mu": mu, "alpha": alpha}, shape, dtype, kwargs)


def randint(low, high, shape=None, dtype=None, **kwargs):
    """Samples integers uniformly from [low, high) (int32 by default)."""
    return _random("_random_randint", None, {"low": low, "high": high}, shape, dtype, kwargs)


def multinomial(data, shape=None, get_prob=True, dtype="int32", **kwargs):
    """Category indices drawn from the distributions of data's last axis (and their log-probabilities)."""
    if shape is not None:
        kwargs["shape"] = (shape,) if isinstance(shape, int) else tuple(shape)
    return _internal._sample_multinomial(data, get_prob=get_prob, dtype=dtype, **kwargs)


def shuffle(data, **kwargs):
    """data with its first axis randomly permuted."""
    return _internal._shuffle(data, **kwargs)
