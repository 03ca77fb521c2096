"""softmax(data, length, use_length=True): each row uses its first `length` elements and is zero after them.
Expected values are what MXNet 1.9.1 printed for the same calls."""
import numpy as np
import pytest

import mxc as mx
from mxc import autograd, nd
from mxc.base import MXNetError

X = np.arange(24, dtype=np.float32).reshape(2, 3, 4) / 7.0
LEN = np.array([[1, 2, 4], [3, 0, 2]], dtype=np.int32)


def _reference(x, lengths, axis, temperature=1.0):
    """Masked softmax over `axis` with NumPy (lengths clipped to [0, n])."""
    xm = np.moveaxis(x.astype(np.float64), axis, -1)
    out = np.zeros_like(xm)
    n = xm.shape[-1]
    for idx in np.ndindex(*xm.shape[:-1]):
        m = min(max(int(lengths[idx]), 0), n)
        if m:
            z = np.exp((xm[idx][:m] - xm[idx][:m].max()) / temperature)
            out[idx][:m] = z / z.sum()
    return np.moveaxis(out, -1, axis)


def test_values_as_mxnet():
    y = nd.softmax(nd.array(X), nd.array(LEN, dtype="int32"), axis=-1, use_length=True)
    expected = [[[1.0, 0.0, 0.0, 0.0], [0.46435, 0.53565, 0.0, 0.0], [0.19923, 0.22982, 0.26512, 0.30583]],
                [[0.287, 0.33108, 0.38192, 0.0], [0.0, 0.0, 0.0, 0.0], [0.46435, 0.53565, 0.0, 0.0]]]
    np.testing.assert_allclose(y.asnumpy(), expected, atol=6e-6)
    x1 = np.arange(12, dtype=np.float32).reshape(1, 3, 4) / 5.0
    y1 = nd.softmax(nd.array(x1), nd.array([[1, 2, 3, 0]], dtype="int64"), axis=1, use_length=True)
    np.testing.assert_allclose(y1.asnumpy(), [[[1.0, 0.31003, 0.12227, 0.0], [0.0, 0.68997, 0.27212, 0.0],
                                               [0.0, 0.0, 0.60561, 0.0]]], atol=6e-6)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_matches_numpy_with_odd_lengths(dtype):
    # Negative lengths give zeros (as MXNet 1.9.1); lengths past the axis use the whole row (MXNet 1.9.1 reads past
    # the row there: deliberately not copied).
    rng = np.random.RandomState(3)
    x = rng.randn(3, 5, 2).astype(dtype)
    lengths = np.array([[0, 5], [-1, 9], [2, 3]], dtype=np.int32)
    y = nd.softmax(nd.array(x, dtype=dtype), nd.array(lengths, dtype="int32"), axis=1, use_length=True,
                   temperature=0.7)
    assert y.dtype == np.dtype(dtype)
    np.testing.assert_allclose(y.asnumpy(), _reference(x, lengths, 1, 0.7), rtol=1e-5, atol=1e-6)


def test_gradient_as_mxnet():
    x = nd.array(X)
    x.attach_grad()
    length = nd.array(LEN, dtype="int32")
    length.attach_grad()
    w = nd.array(np.arange(24).reshape(2, 3, 4) % 5)
    with autograd.record():
        z = (nd.softmax(x, length, axis=-1, use_length=True, temperature=2.0) * w).sum()
    z.backward()
    expected = [[[0.0, 0.0, 0.0, 0.0], [0.499363, -0.499363, 0.0, 0.0],
                 [0.121918, 0.251176, -0.246758, -0.126335]],
                [[-0.162284, -0.007916, 0.1702, 0.0], [0.0, 0.0, 0.0, 0.0], [-0.124841, 0.124841, 0.0, 0.0]]]
    np.testing.assert_allclose(x.grad.asnumpy(), expected, atol=2e-6)
    np.testing.assert_array_equal(length.grad.asnumpy(), np.zeros((2, 3)))


def test_gradient_matches_finite_differences():
    rng = np.random.RandomState(5)
    x = rng.randn(2, 4).astype(np.float64)
    lengths = np.array([3, 1], dtype=np.int64)
    w = rng.randn(2, 4)
    xa = nd.array(x, dtype="float64")
    xa.attach_grad()
    with autograd.record():
        z = (nd.softmax(xa, nd.array(lengths, dtype="int64"), use_length=True) * nd.array(w, dtype="float64")).sum()
    z.backward()
    eps, num = 1e-6, np.zeros_like(x)
    for idx in np.ndindex(*x.shape):
        xp, xn = x.copy(), x.copy()
        xp[idx] += eps
        xn[idx] -= eps
        num[idx] = ((_reference(xp, lengths, 1) * w).sum() - (_reference(xn, lengths, 1) * w).sum()) / (2 * eps)
    np.testing.assert_allclose(xa.grad.asnumpy(), num, rtol=1e-6, atol=1e-8)


def test_symbol_arguments_shapes_and_types():
    s = mx.sym.softmax(mx.sym.Variable("data"), mx.sym.Variable("length"), use_length=True)
    assert s.list_arguments() == ["data", "length"]
    assert s.infer_shape(data=(2, 3, 4)) == ([(2, 3, 4), (2, 3)], [(2, 3, 4)], [])
    assert s.infer_type(data=np.float32, length=np.int32) == ([np.float32, np.int32], [np.float32], [])
    assert mx.sym.softmax(mx.sym.Variable("data"), use_length=True, name="sm").list_arguments() == ["data",
                                                                                                    "sm_length"]
    assert mx.sym.softmax(mx.sym.Variable("data")).list_arguments() == ["data"]
    ex = s.bind(mx.current_context(), {"data": nd.array(X), "length": nd.array(LEN, dtype="int32")})
    np.testing.assert_allclose(ex.forward()[0].asnumpy(), _reference(X, LEN, 2), rtol=1e-5, atol=1e-6)


def test_errors_name_the_operator_and_argument():
    x = nd.array(X)
    with pytest.raises(MXNetError, match=r"softmax.*'length'.*\(2,3\).*\(1,3\)"):
        nd.softmax(x, nd.array([[1, 2, 4]], dtype="int32"), use_length=True).wait_to_read()
    with pytest.raises(MXNetError, match=r"softmax: 'length' has dtype float32.*int32, int64"):
        nd.softmax(x, nd.array(LEN.astype(np.float32)), use_length=True).wait_to_read()
    with pytest.raises(MXNetError, match=r"softmax: expects 2 input"):
        nd.softmax(x, use_length=True).wait_to_read()
    for f in (nd.log_softmax, nd.softmin):
        with pytest.raises(MXNetError, match=r"use_length=True is only supported by softmax"):
            f(x, use_length=True).wait_to_read()
