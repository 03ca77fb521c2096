"""mx.random.seed and mx.nd.random samplers: shapes, dtypes, ranges, moments, reproducibility."""
import numpy as np
import pytest

import mxc as mx
from conftest import needs_ops


@needs_ops("_random_uniform")
def test_uniform():
    mx.random.seed(42)
    x = mx.nd.random.uniform(-2, 3, shape=(200, 50))
    assert x.shape == (200, 50) and x.dtype == np.float32 and x.context == mx.current_context()
    a = x.asnumpy()
    assert a.min() >= -2 and a.max() < 3
    assert abs(a.mean() - 0.5) < 0.05 and abs(a.var() - 25 / 12.) < 0.1
    mx.random.seed(42)
    np.testing.assert_array_equal(mx.nd.random.uniform(-2, 3, shape=(200, 50)).asnumpy(), a)
    assert not np.array_equal(mx.nd.random.uniform(-2, 3, shape=(200, 50)).asnumpy(), a)
    assert mx.nd.random.uniform(shape=3).shape == (3,)
    assert mx.nd.random.uniform(dtype="float64", shape=(2,)).dtype == np.float64
    assert mx.random.uniform is mx.nd.random.uniform
    out = mx.nd.zeros((4, 4))
    r = mx.nd.random.uniform(5, 6, out=out)
    assert r is out and (out.asnumpy() >= 5).all()


@needs_ops("_random_normal")
def test_normal():
    mx.random.seed(7)
    x = mx.nd.random.normal(1.5, 2.0, shape=(100000,)).asnumpy()
    assert abs(x.mean() - 1.5) < 0.05 and abs(x.std() - 2.0) < 0.05
    mx.random.seed(7)
    np.testing.assert_array_equal(mx.nd.random.normal(1.5, 2.0, shape=(100000,)).asnumpy(), x)
    assert mx.nd.random.normal(0, 1, (2, 3)).shape == (2, 3)
    assert mx.random.normal is mx.nd.random.normal


def test_seed_argument_checked():
    mx.random.seed(0)
    mx.random.seed(2 ** 63, ctx=mx.cpu())
    with pytest.raises(ValueError):
        mx.random.seed("x")


@needs_ops("_linalg_potrf", "_random_uniform")
def test_seed_does_not_raise_an_unrelated_failure():
    # As MXNet's seed (pushed to the engine, never waited on): queued work finishes first, but the error of a failed
    # operation stays for the reader of its result and the next waitall.
    bad = mx.nd.linalg.potrf(mx.nd.array([[-1.0, 0.0], [0.0, 1.0]]))
    mx.random.seed(11)
    a = mx.nd.random.uniform(shape=(5,)).asnumpy()
    mx.random.seed(11)
    np.testing.assert_array_equal(mx.nd.random.uniform(shape=(5,)).asnumpy(), a)
    with pytest.raises(mx.MXNetError, match="potrf.*not positive definite"):
        bad.asnumpy()
    bad2 = mx.nd.linalg.potrf(mx.nd.array([[-1.0, 0.0], [0.0, 1.0]]))
    mx.random.seed(12)
    with pytest.raises(mx.MXNetError, match="potrf.*not positive definite"):
        mx.nd.waitall()
    del bad2


@needs_ops("_random_uniform")
def test_random_on_unavailable_gpu():
    if mx.context.num_gpus() > 0:
        pytest.skip("a GPU is present")
    with pytest.raises(mx.base.DeviceError):
        mx.nd.random.uniform(shape=(2,), ctx=mx.gpu(0))
