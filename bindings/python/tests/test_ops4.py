"""Operators of MXNet 1.9.1 added on branch misc: contrib fft / ifft (GPU-only in MXNet, semantics from its
docstrings, checked against numpy.fft), and the legacy and internal operators as they come. Expected values are
NumPy references and, for small fixed inputs, values printed by MXNet 1.9.1."""
import numpy as np
import pytest

import mxc as mx


def _interleave(c):
    return np.stack([c.real, c.imag], -1).reshape(c.shape[:-1] + (2 * c.shape[-1],))


@pytest.mark.parametrize("shape", [(3, 8), (2, 3, 1, 5), (4, 1), (2, 64), (1, 2, 3, 12)])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_fft_ifft_against_numpy(shape, dtype):
    rng = np.random.RandomState(0)
    x = rng.normal(size=shape).astype(dtype)
    tol = 1e-5 if dtype == "float32" else 1e-11
    y = mx.nd.contrib.fft(mx.nd.array(x, dtype=dtype))
    assert y.shape == shape[:-1] + (2 * shape[-1],)
    assert y.dtype == np.dtype(dtype)
    np.testing.assert_allclose(y.asnumpy(), _interleave(np.fft.fft(x.astype("f8"), axis=-1)), rtol=tol, atol=tol * 10)
    c = rng.normal(size=shape[:-1] + (2 * shape[-1],)).astype(dtype)
    z = mx.nd.contrib.ifft(mx.nd.array(c, dtype=dtype), compute_size=2)
    assert z.shape == shape
    cc = c.astype("f8")[..., 0::2] + 1j * c.astype("f8")[..., 1::2]
    # the real part of the unnormalised inverse transform
    ref = np.fft.ifft(cc, axis=-1).real * shape[-1]
    np.testing.assert_allclose(z.asnumpy(), ref, rtol=tol, atol=tol * 10)


def test_fft_gradients_by_autograd():
    rng = np.random.RandomState(1)
    x = mx.nd.array(rng.normal(size=(2, 6)))
    g = rng.normal(size=(2, 12))
    x.attach_grad()
    with mx.autograd.record():
        y = mx.nd.contrib.fft(x)
    y.backward(mx.nd.array(g))
    # d/dx sum(g * interleave(fft(x))) = Re(sum_k G[k] e^{+2 pi i j k / n}) = n * Re(ifft(G))
    G = g[:, 0::2] + 1j * g[:, 1::2]
    np.testing.assert_allclose(x.grad.asnumpy(), (np.fft.ifft(G, axis=-1) * 6).real, rtol=1e-5, atol=1e-5)
    c = mx.nd.array(rng.normal(size=(3, 16)))
    h = rng.normal(size=(3, 8))
    c.attach_grad()
    with mx.autograd.record():
        z = mx.nd.contrib.ifft(c)
    z.backward(mx.nd.array(h))
    # d/dc of sum(h * Re(n ifft(C))): the forward transform of h, interleaved
    np.testing.assert_allclose(c.grad.asnumpy(), _interleave(np.fft.fft(h, axis=-1)), rtol=1e-5, atol=1e-5)


def test_fft_symbol_and_errors():
    s = mx.sym.contrib.fft(mx.sym.Variable("x"), compute_size=4)
    _, out, _ = s.infer_shape(x=(2, 3, 4, 5))
    assert out == [(2, 3, 4, 10)]
    _, out, _ = mx.sym.contrib.ifft(mx.sym.Variable("x")).infer_shape(x=(3, 8))
    assert out == [(3, 4)]
    with pytest.raises(mx.base.MXNetError, match="_contrib_fft"):
        mx.nd.contrib.fft(mx.nd.ones((2, 3, 4))).wait_to_read()
    with pytest.raises(mx.base.MXNetError, match="even"):
        mx.nd.contrib.ifft(mx.nd.ones((2, 5))).wait_to_read()
    with pytest.raises(mx.base.MXNetError, match="compute_size"):
        mx.nd.contrib.fft(mx.nd.ones((2, 4)), compute_size=0).wait_to_read()
