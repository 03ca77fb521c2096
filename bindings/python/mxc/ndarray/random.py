"""Random sampling: ``mx.nd.random.uniform`` / ``normal`` / ``randn`` / ``exponential`` / ``gamma`` / ``poisson`` /
``negative_binomial`` / ``generalized_negative_binomial`` / ``randint`` / ``multinomial`` / ``shuffle`` with MXNet's
signatures (numbers for one distribution, NDArrays for one per element through the ``_sample_<x>`` operators), and
the other ``_random_<x>`` operators of the registry (``uniform_like``, ...), attached at import time as
``mx.nd.random.<x>``.

Seed the generators with ``mx.random.seed``.
"""
from ..base import has_op
from .ndarray import NDArray, _call, _op, _CPU0
from ..context import current_context

__all__ = ["uniform", "normal", "randn", "exponential", "gamma", "poisson", "negative_binomial",
           "generalized_negative_binomial", "randint", "multinomial", "shuffle"]


def _shape_param(shape):
    if shape is None:
        return (1,)
    if isinstance(shape, int):
        return (shape,)
    return tuple(shape)


def _random(name, sample_name, params, shape, dtype, ctx, out, kwargs, default_dtype="float32"):
    arrays = [v for v in params.values() if isinstance(v, NDArray)]
    if arrays:
        # Distribution parameters given as arrays: one draw (or `shape` draws) per element, as MXNet's _sample_*.
        if len(arrays) != len(params):
            raise TypeError("%s: distribution parameters must all be NDArrays or all numbers" % name)
        if sample_name is None:
            raise TypeError("%s: distribution parameters must be numbers" % name)
        if not has_op(sample_name):
            raise TypeError("%s: NDArray distribution parameters need the %s operator, which this build lacks"
                            % (name, sample_name))
        p = dict(kwargs)
        if shape is not None:
            p["shape"] = _shape_param(shape)
        if dtype is not None:
            p["dtype"] = dtype
        return _call(_op(sample_name), tuple(arrays), out=out, **p)
    if ctx is None:
        ctx = current_context() if out is None else out.context
    p = dict(params)
    p.update(kwargs)
    p["shape"] = _shape_param(out.shape if (shape is None and out is not None) else shape)
    p["dtype"] = default_dtype if dtype is None else dtype
    p["ctx"] = str(ctx)
    if out is not None and out.context != _CPU0:
        res = _call(_op(name), (), **p)
        return res.copyto(out)
    res = _call(_op(name), (), out=out, **p)
    return res if (out is not None or ctx == _CPU0) else res.copyto(ctx)


def uniform(low=0, high=1, shape=None, dtype=None, ctx=None, out=None, **kwargs):
    """Samples from the uniform distribution on [low, high).

    low, high: numbers, or NDArrays (one distribution per element); shape: int or tuple (default (1,));
    dtype: default float32; ctx: default the current context; out: an array to fill."""
    return _random("_random_uniform", "_sample_uniform", {"low": low, "high": high}, shape, dtype, ctx, out, kwargs)


def normal(loc=0, scale=1, shape=None, dtype=None, ctx=None, out=None, **kwargs):
    """Samples from the normal distribution with mean loc and standard deviation scale."""
    return _random("_random_normal", "_sample_normal", {"loc": loc, "scale": scale}, shape, dtype, ctx, out, kwargs)


def randn(*shape, **kwargs):
    """Samples from the normal distribution: ``randn(2, 3, loc=0, scale=1, dtype=None, ctx=None, out=None)``."""
    loc = kwargs.pop("loc", 0)
    scale = kwargs.pop("scale", 1)
    dtype = kwargs.pop("dtype", None)
    ctx = kwargs.pop("ctx", None)
    out = kwargs.pop("out", None)
    if not shape and out is None:
        raise ValueError("randn: give the output shape as positional integers, e.g. randn(2, 3)")
    return normal(loc, scale, shape if shape else None, dtype, ctx, out, **kwargs)


def exponential(scale=1, shape=None, dtype=None, ctx=None, out=None, **kwargs):
    """Samples from the exponential distribution with the given scale (mean; the rate is 1 / scale).

    scale: a number, or an NDArray (one distribution per element)."""
    lam = 1.0 / scale
    return _random("_random_exponential", "_sample_exponential", {"lam": lam}, shape, dtype, ctx, out, kwargs)


def gamma(alpha=1, beta=1, shape=None, dtype=None, ctx=None, out=None, **kwargs):
    """Samples from the gamma distribution with shape alpha and scale beta (mean alpha * beta)."""
    return _random("_random_gamma", "_sample_gamma", {"alpha": alpha, "beta": beta}, shape, dtype, ctx, out, kwargs)


def poisson(lam=1, shape=None, dtype=None, ctx=None, out=None, **kwargs):
    """Samples from the Poisson distribution with rate lam (integer values in a floating dtype)."""
    return _random("_random_poisson", "_sample_poisson", {"lam": lam}, shape, dtype, ctx, out, kwargs)


def negative_binomial(k=1, p=1, shape=None, dtype=None, ctx=None, out=None, **kwargs):
    """Samples from the negative binomial distribution: failures before the k-th success, success probability p."""
    return _random("_random_negative_binomial", "_sample_negative_binomial", {"k": k, "p": p}, shape, dtype, ctx,
                   out, kwargs)


def generalized_negative_binomial(mu=1, alpha=1, shape=None, dtype=None, ctx=None, out=None, **kwargs):
    """Samples from the generalized negative binomial distribution: mean mu, variance mu + alpha * mu**2."""
    return _random("_random_generalized_negative_binomial", "_sample_generalized_negative_binomial",
                   {"mu": mu, "alpha": alpha}, shape, dtype, ctx, out, kwargs)


def randint(low, high, shape=None, dtype=None, ctx=None, out=None, **kwargs):
    """Samples integers uniformly from [low, high); dtype int32 (default) or int64."""
    return _random("_random_randint", None, {"low": low, "high": high}, shape, dtype, ctx, out, kwargs,
                   default_dtype="int32")


def multinomial(data, shape=None, get_prob=False, out=None, dtype="int32", **kwargs):
    """Draws category indices from the multinomial distributions whose probabilities are data's last axis.

    shape: draws per distribution (output shape data.shape[:-1] + shape); get_prob: also return the
    log-probabilities of the draws (their gradient flows to data)."""
    p = dict(kwargs)
    if shape is not None:
        p["shape"] = _shape_param(shape)
    return _call(_op("_sample_multinomial"), (data,), out=out, get_prob=get_prob, dtype=dtype, **p)


def shuffle(data, **kwargs):
    """A copy of data with its first axis randomly permuted."""
    out = kwargs.pop("out", None)
    return _call(_op("_shuffle"), (data,), out=out, **kwargs)
