"""Operators of MXNet 1.9.1 added on branch ops3: Correlation, contrib count_sketch (and the others as they come).
Expected values are NumPy references (naive loops) and, for small fixed inputs, values printed by MXNet 1.9.1."""
import numpy as np
import pytest

import mxc as mx


def _corr_ref(d1, d2, k, md, s1, s2, pad, mult, og=None):
    """FlowNet correlation by loops on padded copies; with og, also the gradients of sum(og * out)."""
    N, C, H, W = d1.shape
    p1 = np.pad(d1, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    p2 = np.pad(d2, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    bs = md + (k - 1) // 2
    th = int(np.ceil((H + 2 * pad - 2 * bs) / s1))
    tw = int(np.ceil((W + 2 * pad - 2 * bs) / s1))
    r = md // s2
    D = 2 * r + 1
    out = np.zeros((N, D * D, th, tw))
    g1, g2 = np.zeros_like(p1), np.zeros_like(p2)
    for n in range(N):
        for q in range(D * D):
            dx, dy = (q % D - r) * s2, (q // D - r) * s2
            for y in range(th):
                for x in range(tw):
                    x1, y1 = x * s1 + md, y * s1 + md
                    a = p1[n, :, y1:y1 + k, x1:x1 + k]
                    b = p2[n, :, y1 + dy:y1 + dy + k, x1 + dx:x1 + dx + k]
                    out[n, q, y, x] = ((a * b).sum() if mult else np.abs(a - b).sum()) / (k * k * C)
                    if og is not None:
                        g = og[n, q, y, x] / (k * k * C)
                        if mult:
                            da, db = g * b, g * a
                        else:
                            sg = np.where(a - b >= 0, 1.0, -1.0)
                            da, db = g * sg, -g * sg
                        g1[n, :, y1:y1 + k, x1:x1 + k] += da
                        g2[n, :, y1 + dy:y1 + dy + k, x1 + dx:x1 + dx + k] += db
    crop = (slice(None), slice(None), slice(pad, pad + H), slice(pad, pad + W))
    return out, g1[crop], g2[crop]


def _run_corr(d1, d2, og_fn, dtype="float64", **kw):
    a, b = mx.nd.array(d1, dtype=dtype), mx.nd.array(d2, dtype=dtype)
    a.attach_grad()
    b.attach_grad()
    with mx.autograd.record():
        o = mx.nd.Correlation(a, b, **kw)
    og = og_fn(o.shape)
    o.backward(mx.nd.array(og, dtype=dtype))
    return o.asnumpy(), a.grad.asnumpy(), b.grad.asnumpy(), og


@pytest.mark.parametrize("k,md,s1,s2,pad,mult", [
    (1, 1, 1, 1, 0, True), (3, 2, 1, 1, 2, True), (1, 2, 2, 1, 1, False), (3, 4, 2, 2, 4, True),
    (3, 1, 1, 1, 1, False), (1, 3, 3, 2, 3, True), (5, 0, 1, 1, 2, True)])
def test_correlation_matches_loops(k, md, s1, s2, pad, mult):
    rng = np.random.RandomState(k * 100 + md * 10 + s1 + pad)
    d1, d2 = rng.randn(2, 3, 6, 7), rng.randn(2, 3, 6, 7)
    out, g1, g2, og = _run_corr(d1, d2, lambda s: rng.randn(*s), kernel_size=k, max_displacement=md, stride1=s1,
                                stride2=s2, pad_size=pad, is_multiply=mult)
    r, r1, r2 = _corr_ref(d1, d2, k, md, s1, s2, pad, mult, og)
    assert out.shape == r.shape
    np.testing.assert_allclose(out, r, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(g1, r1, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(g2, r2, rtol=1e-12, atol=1e-12)


# printed by MXNet 1.9.1 (corr5 cases)
_CORR_A_OUT = [
    0.0, 0.0, 0.0, 0.0, 0.0, 0.8125, -0.125, 0.125, 0.0, 0.21875, -0.34375, 0.6875, 0.0, 0.0, 0.0, 0.0, -0.375,
    -0.65625, 0.5, -0.5, -0.5, 0.53125, -0.875, -0.59375, 0.0, 0.0, 0.0, 0.0, 0.53125, -0.5, -0.5, 0.0,
    -0.65625, -0.375, 0.21875, 0.0, 0.0, -0.5, -0.875, 0.59375, 0.0, -0.59375, 0.75, -0.75, 0.0, -0.5625,
    0.78125, -0.78125, 1.0625, 0.3125, -0.40625, -0.5, 0.40625, -0.4375, -0.25, 0.25, 0.90625, 0.15625,
    -0.15625, 0.78125, -0.21875, 0.3125, 0.875, 0.0, 0.09375, 0.9375, 0.375, 0.0, -0.46875, 0.46875, -0.6875,
    0.0, 0.0, 0.3125, -0.21875, -0.125, 0.0, 0.84375, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, -0.40625, 0.3125, 1.0625,
    0.40625, -0.4375, -0.625, 0.625, -0.625, 0.0, 0.0, 0.0, 0.0, -0.875, -0.5, -0.5, 0.0, 0.46875, -0.46875,
    -0.375, 0.0, 0.0, 0.0, 0.0, 0.0]
_CORR_A_G1 = [
    -0.5, -1.0625, 0.5, 1.0, 0.75, 1.5, -0.25, -0.1875, 0.1875, 0.875, 0.3125, -0.0625, 0.3125, -1.0625, -0.625,
    -1.125, 0.4375, -1.4375, 0.375, 0.8125, 0.0, -0.5625, -0.6875, 0.125]
_CORR_A_G2 = [
    0.0, 0.5625, 0.625, -0.8125, 0.5625, -0.3125, 0.875, -0.8125, -0.0625, -0.4375, 0.0, -0.5, -0.1875, -0.375,
    0.125, -0.5625, -0.625, 1.3125, -1.375, 0.3125, -0.25, 1.375, -1.1875, 1.125]
_CORR_B_OUT = [
    0.2777777910232544, 0.5555555820465088, 0.4027777910232544, 0.9166666865348816, 0.4861111044883728,
    0.5833333134651184, 0.75, 1.0, 0.5, 0.625, 1.0, 0.9305555820465088, 0.4861111044883728, 0.75,
    0.4861111044883728, 0.7222222089767456, 0.2916666567325592, 0.8333333134651184, 0.2916666567325592,
    0.7222222089767456, 0.5555555820465088, 0.3055555522441864, 0.5555555820465088, 0.4444444477558136,
    0.3472222089767456, 0.9444444179534912, 0.25, 0.5277777910232544, 0.8055555820465088, 0.8055555820465088,
    0.4861111044883728, 0.5833333134651184, 1.0, 0.9861111044883728, 0.4722222089767456, 0.625]
_CORR_B_G1 = [
    -0.0833333358168602, 0.02777777798473835, 0.055555559694767, -1.862645149230957e-09, 0.111111119389534,
    -0.111111119389534, -0.0555555634200573, -0.0555555485188961, 0.0833333432674408, -0.0833333358168602,
    0.1111111119389534, 0.0555555559694767, 0.02777777798473835, -0.0833333358168602, -0.111111119389534,
    0.1111111044883728, 0.0555555522441864, 0.0555555634200573, -0.111111119389534, 0.055555559694767,
    -0.0277777798473835, 0.3055555522441864, -0.0555555634200573, -0.2222222238779068]
_CORR_B_G2 = [
    0.0833333358168602, -0.02777777798473835, -0.02777777798473835, -0.02777777798473835, -0.111111119389534,
    -0.0555555634200573, -1.1175870895385742e-08, 0.0, 0.02777777425944805, -0.083333320915699,
    -0.02777777798473835, 0.0555555522441864, 0.0833333432674408, 0.0833333283662796, -0.0833333432674408,
    0.0833333358168602, 0.0555555634200573, 0.0555555634200573, -0.055555567145347595, -0.055555559694767,
    -0.02777777798473835, 0.02777778171002865, 0.0833333283662796, 0.0555555634200573]


def test_correlation_matches_mxnet():
    d1 = ((np.arange(24).reshape(1, 2, 3, 4) * 7) % 11 - 5) / 4.0
    d2 = ((np.arange(24).reshape(1, 2, 3, 4) * 5) % 13 - 6) / 4.0
    og = lambda s: (np.arange(np.prod(s)).reshape(s) % 5 - 2) / 2.0  # noqa: E731
    out, g1, g2, _ = _run_corr(d1, d2, og, "float32", kernel_size=1, max_displacement=1, pad_size=1)
    assert out.shape == (1, 9, 3, 4)
    np.testing.assert_allclose(out.ravel(), _CORR_A_OUT, rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(g1.ravel(), _CORR_A_G1, rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(g2.ravel(), _CORR_A_G2, rtol=1e-6, atol=1e-7)
    # absolute differences, with ties (a == b: the gradient of |a - b| takes +1 for data1)
    out, g1, g2, _ = _run_corr(d1, d2, og, "float32", kernel_size=3, max_displacement=1, pad_size=2, stride1=2,
                               is_multiply=False)
    assert out.shape == (1, 9, 2, 2)
    np.testing.assert_allclose(out.ravel(), _CORR_B_OUT, rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(g1.ravel(), _CORR_B_G1, rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(g2.ravel(), _CORR_B_G2, rtol=1e-5, atol=1e-7)


def test_correlation_symbol_and_errors():
    s = mx.sym.Correlation(mx.sym.var("a"), mx.sym.var("b"), max_displacement=2, pad_size=2)
    assert s.list_outputs() == [s.name + "_output"]
    assert s.infer_shape(a=(2, 3, 5, 5))[1] == [(2, 25, 5, 5)]
    x = mx.nd.ones((1, 2, 5, 5))
    with pytest.raises(mx.MXNetError, match=r"Correlation.*kernel_size"):
        mx.nd.Correlation(x, x, kernel_size=2)
    with pytest.raises(mx.MXNetError, match=r"Correlation.*fit"):
        mx.nd.Correlation(x, x, max_displacement=5)
    with pytest.raises(mx.MXNetError, match=r"Correlation.*stride"):
        mx.nd.Correlation(x, x, stride1=0)
    with pytest.raises(mx.MXNetError, match=r"Correlation.*data2 shape \(1,2,5,6\).*same shape"):
        mx.nd.Correlation(x, mx.nd.ones((1, 2, 5, 6)))
    with pytest.raises(mx.MXNetError, match=r"Correlation.*4-D"):
        mx.nd.Correlation(mx.nd.ones((2, 5, 5)), mx.nd.ones((2, 5, 5)))


def _sketch_ref(x, h, s, out_dim):
    out = np.zeros((x.shape[0], out_dim))
    for n in range(x.shape[0]):
        for i in range(x.shape[1]):
            out[n, int(h[0, i])] += s[0, i] * x[n, i]
    return out


def test_count_sketch_docstring_example():
    x = mx.nd.array([[1.2, 2.5, 3.4], [3.2, 5.7, 6.6]])
    out = mx.nd.contrib.count_sketch(data=x, h=mx.nd.array([[0, 3, 4]]), s=mx.nd.array([[1, -1, 1]]), out_dim=5)
    np.testing.assert_allclose(out.asnumpy(), [[1.2, 0, 0, -2.5, 3.4], [3.2, 0, 0, -5.7, 6.6]], rtol=1e-6)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_count_sketch_matches_loops_with_gradient(dtype):
    rng = np.random.RandomState(3)
    N, d, k = 5, 17, 6
    x = rng.randn(N, d)
    h = rng.randint(0, k, size=(2, d)).astype(np.float64)  # only the first row is used, as in MXNet
    s = rng.choice([-1.0, 1.0], size=(2, d))
    xa = mx.nd.array(x, dtype=dtype)
    xa.attach_grad()
    ha, sa = mx.nd.array(h, dtype=dtype), mx.nd.array(s, dtype=dtype)
    ha.attach_grad()
    sa.attach_grad()
    with mx.autograd.record():
        o = mx.nd.contrib.count_sketch(xa, ha, sa, out_dim=k, processing_batch_size=2)
    og = rng.randn(N, k)
    o.backward(mx.nd.array(og, dtype=dtype))
    tol = 1e-5 if dtype == "float32" else 1e-12
    np.testing.assert_allclose(o.asnumpy(), _sketch_ref(x, h, s, k), rtol=tol, atol=tol)
    gx = og[:, h[0].astype(int)] * s[0][None, :]
    np.testing.assert_allclose(xa.grad.asnumpy(), gx, rtol=tol, atol=tol)
    assert not ha.grad.asnumpy().any() and not sa.grad.asnumpy().any()


def test_count_sketch_errors():
    x = mx.nd.ones((2, 3))
    with pytest.raises(mx.MXNetError, match=r"count_sketch.*h\[0, 1\] = 5.*out_dim = 5"):
        mx.nd.contrib.count_sketch(x, mx.nd.array([[0, 5, 1]]), mx.nd.ones((1, 3)), out_dim=5).asnumpy()
    with pytest.raises(mx.MXNetError, match=r"count_sketch.*NaN|count_sketch.*nan"):
        mx.nd.contrib.count_sketch(x, mx.nd.array([[0, np.nan, 1]]), mx.nd.ones((1, 3)), out_dim=5).asnumpy()
    with pytest.raises(mx.MXNetError, match=r"count_sketch.*h shape \(1,4\).*d = data.shape\[1\]"):
        mx.nd.contrib.count_sketch(x, mx.nd.ones((1, 4)), mx.nd.ones((1, 4)), out_dim=5)
    with pytest.raises(mx.MXNetError, match=r"count_sketch.*data must be 2-D"):
        mx.nd.contrib.count_sketch(mx.nd.ones((2, 3, 1)), mx.nd.ones((1, 3)), mx.nd.ones((1, 3)), out_dim=5)
    with pytest.raises(mx.MXNetError, match=r"count_sketch.*out_dim must be positive"):
        mx.nd.contrib.count_sketch(x, mx.nd.ones((1, 3)), mx.nd.ones((1, 3)), out_dim=0)
    s = mx.sym.contrib.count_sketch(mx.sym.var("data"), mx.sym.var("h"), mx.sym.var("s"), out_dim=5)
    assert s.list_arguments() == ["data", "h", "s"]
    assert s.infer_shape(data=(2, 3), h=(1, 3), s=(1, 3))[1] == [(2, 5)]
