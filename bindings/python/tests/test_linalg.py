"""MXNet 1.9.1's linear algebra: mx.nd.linalg / mx.sym.linalg (operators ``_linalg_<x>``) and nd.khatri_rao.

Values marked "MXNet 1.9.1" were printed by Apache MXNet 1.9.1 for the same calls; the others are checked against
NumPy (np.linalg, matmul, einsum).
"""
import numpy as np
import pytest

import mxc as mx
from mxc import autograd, nd
from mxc.base import MXNetError

SPD = np.array([[4, 2, 0.4], [2, 5, 1], [0.4, 1, 3]])
T3 = np.array([[2, 0.5, 0.3], [1, 3, 0.7], [0.5, -1, 1.5]])
B32 = np.array([[1., 2], [3, 4], [5, 6]])
WIDE = np.array([[1., 2, 3], [4, -5, 6]])


def _a(x, dtype="float64"):
    return nd.array(np.asarray(x), dtype=dtype)


def _spd_batch(rng, batch, n):
    x = rng.uniform(-1, 1, size=batch + (n, n + 2))
    return x @ np.swapaxes(x, -1, -2) + 0.5 * np.eye(n)


def test_namespaces():
    for name in ("gemm", "gemm2", "trmm", "trsm", "syrk", "sumlogdiag", "extractdiag", "makediag", "extracttrian",
                 "maketrian", "potrf", "potri", "inverse", "det", "slogdet", "gelqf", "syevd"):
        assert callable(getattr(nd.linalg, name)), name
        assert callable(getattr(mx.sym.linalg, name)), name
        assert callable(getattr(nd, "linalg_" + name)), name
        assert callable(getattr(nd, "_linalg_" + name)), name
    assert callable(nd.khatri_rao) and callable(mx.sym.khatri_rao)


@pytest.mark.parametrize("dtype, tol", [("float32", 1e-5), ("float64", 1e-12)])
@pytest.mark.parametrize("ta, tb", [(False, False), (True, False), (False, True), (True, True)])
def test_gemm_gemm2_batched(dtype, tol, ta, tb):
    rng = np.random.RandomState(0)
    a = rng.uniform(-1, 1, size=(2, 3, 4, 3) if ta else (2, 3, 3, 4))
    b = rng.uniform(-1, 1, size=(2, 3, 5, 4) if tb else (2, 3, 4, 5))
    c = rng.uniform(-1, 1, size=(2, 3, 3, 5))
    opa = np.swapaxes(a, -1, -2) if ta else a
    opb = np.swapaxes(b, -1, -2) if tb else b
    y2 = nd.linalg.gemm2(_a(a, dtype), _a(b, dtype), transpose_a=ta, transpose_b=tb, alpha=2.0)
    assert y2.dtype == np.dtype(dtype) and y2.shape == (2, 3, 3, 5)
    np.testing.assert_allclose(y2.asnumpy(), 2.0 * opa @ opb, rtol=tol, atol=tol)
    y = nd.linalg.gemm(_a(a, dtype), _a(b, dtype), _a(c, dtype), transpose_a=ta, transpose_b=tb, alpha=-1.0,
                       beta=0.5)
    np.testing.assert_allclose(y.asnumpy(), -opa @ opb + 0.5 * c, rtol=tol, atol=tol)


def test_gemm_defaults_and_axis():
    rng = np.random.RandomState(1)
    a, b, c = rng.rand(2, 3), rng.rand(3, 4), rng.rand(2, 4)
    np.testing.assert_allclose(nd.linalg.gemm(_a(a), _a(b), _a(c)).asnumpy(), a @ b + c, rtol=1e-12)
    # axis=-3: rows on axis 1, columns on the last axis, axis 2 a batch axis; MXNet 1.9.1 gives shape (2, 3, 4, 6).
    a, b = rng.rand(2, 3, 4, 5), rng.rand(2, 5, 4, 6)
    y = nd.linalg.gemm2(_a(a), _a(b), axis=-3)
    assert y.shape == (2, 3, 4, 6)
    np.testing.assert_allclose(y.asnumpy(), np.einsum("aimk,akmj->aimj", a, b), rtol=1e-12)
    c = rng.rand(2, 3, 4, 6)
    y = nd.linalg.gemm(_a(a), _a(b), _a(c), axis=1, beta=2.0)
    np.testing.assert_allclose(y.asnumpy(), np.einsum("aimk,akmj->aimj", a, b) + 2 * c, rtol=1e-12)
    # axis=0 with both transposes: MXNet 1.9.1 agrees with this einsum to 2e-16.
    a, b = rng.uniform(-1, 1, (3, 2, 4)), rng.uniform(-1, 1, (5, 2, 3))
    y = nd.linalg.gemm2(_a(a), _a(b), axis=0, transpose_a=True, transpose_b=True)
    assert y.shape == (4, 2, 5)
    np.testing.assert_allclose(y.asnumpy(), np.einsum("kbm,nbk->mbn", a, b), rtol=1e-12)


@pytest.mark.parametrize("transpose", [False, True])
@pytest.mark.parametrize("rightside", [False, True])
@pytest.mark.parametrize("lower", [False, True])
def test_trmm_trsm(transpose, rightside, lower):
    rng = np.random.RandomState(2)
    a = rng.uniform(-1, 1, size=(2, 3, 3)) + 3 * np.eye(3)
    b = rng.uniform(-1, 1, size=(2, 4, 3) if rightside else (2, 3, 4))
    t = np.tril(a) if lower else np.triu(a)
    opt = np.swapaxes(t, -1, -2) if transpose else t
    kw = dict(transpose=transpose, rightside=rightside, lower=lower, alpha=1.5)
    ref = 1.5 * (b @ opt if rightside else opt @ b)
    np.testing.assert_allclose(nd.linalg.trmm(_a(a), _a(b), **kw).asnumpy(), ref, rtol=1e-12)
    x = nd.linalg.trsm(_a(a), _a(b), **kw).asnumpy()
    ref = 1.5 * (np.linalg.solve(np.swapaxes(opt, -1, -2), np.swapaxes(b, -1, -2)).swapaxes(-1, -2) if rightside
                 else np.linalg.solve(opt, b))
    np.testing.assert_allclose(x, ref, rtol=1e-10, atol=1e-12)


def test_trmm_mxnet_values():
    # MXNet 1.9.1: the upper triangle of A is not read.
    np.testing.assert_allclose(nd.linalg.trmm(_a(T3), _a(B32)).asnumpy(), [[2, 4], [10, 14], [5, 6]])
    # MXNet 1.9.1: a zero pivot gives inf (no error).
    x = nd.linalg.trsm(_a([[0, 0], [1, 1]], "float32"), nd.ones((2, 2))).asnumpy()
    assert np.isinf(x).all()


def test_syrk():
    rng = np.random.RandomState(3)
    a = rng.rand(2, 3, 4)
    np.testing.assert_allclose(nd.linalg.syrk(_a(a), alpha=0.5).asnumpy(), 0.5 * a @ a.swapaxes(-1, -2), rtol=1e-12)
    # MXNet 1.9.1
    np.testing.assert_allclose(nd.linalg.syrk(_a(B32, "float32"), transpose=True).asnumpy(), [[35, 44], [44, 56]])


def test_potrf_potri_batched():
    rng = np.random.RandomState(4)
    s = _spd_batch(rng, (2, 3), 4)
    for dtype, tol in (("float32", 1e-4), ("float64", 1e-10)):
        L = nd.linalg.potrf(_a(s, dtype))
        assert L.shape == (2, 3, 4, 4)
        np.testing.assert_allclose(L.asnumpy(), np.linalg.cholesky(s), rtol=tol, atol=tol)
        inv = nd.linalg.potri(L).asnumpy()
        np.testing.assert_allclose(inv, np.linalg.inv(s), rtol=tol * 10, atol=tol * 10)
    # MXNet 1.9.1
    np.testing.assert_allclose(nd.linalg.potrf(_a(SPD)).asnumpy(),
                               [[2, 0, 0], [1, 2, 0], [0.2, 0.4, 1.67332005]], rtol=1e-8)


def test_inverse_det_slogdet():
    rng = np.random.RandomState(5)
    a = rng.uniform(-1, 1, size=(3, 2, 4, 4))
    np.testing.assert_allclose(nd.linalg.inverse(_a(a)).asnumpy(), np.linalg.inv(a), rtol=1e-9, atol=1e-10)
    d = nd.linalg.det(_a(a))
    assert d.shape == (3, 2)
    np.testing.assert_allclose(d.asnumpy(), np.linalg.det(a), rtol=1e-10)
    sign, logabs = nd.linalg.slogdet(_a(a))
    rs, rl = np.linalg.slogdet(a)
    np.testing.assert_allclose(sign.asnumpy(), rs)
    np.testing.assert_allclose(logabs.asnumpy(), rl, rtol=1e-10)
    # MXNet 1.9.1: one matrix gives shape (1,); a singular one det 0 and slogdet (0, -inf).
    d = nd.linalg.det(_a([[1, 2], [3, 4]], "float32"))
    assert d.shape == (1,)
    np.testing.assert_allclose(d.asnumpy(), [-2.0], rtol=1e-6)
    np.testing.assert_allclose(nd.linalg.det(_a([[1, 2], [2, 4]])).asnumpy(), [0.0])
    sign, logabs = nd.linalg.slogdet(_a([[1, 2], [2, 4]], "float32"))
    assert sign.asnumpy()[0] == 0 and np.isneginf(logabs.asnumpy()[0])


def test_gelqf():
    # MXNet 1.9.1's documented example (LAPACK's signs).
    q, l = nd.linalg.gelqf(_a([[[1., 2., 3.], [4., 5., 6.]], [[7., 8., 9.], [10., 11., 12.]]]))
    np.testing.assert_allclose(q.asnumpy(), [[[-0.26726124, -0.53452248, -0.80178373],
                                              [0.87287156, 0.21821789, -0.43643578]],
                                             [[-0.50257071, -0.57436653, -0.64616234],
                                              [0.7620735, 0.05862104, -0.64483142]]], rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(l.asnumpy(), [[[-3.74165739, 0.], [-8.55235974, 1.96396101]],
                                             [[-13.92838828, 0.], [-19.09768702, 0.52758934]]], rtol=1e-6)
    rng = np.random.RandomState(6)
    a = rng.uniform(-1, 1, size=(3, 3, 5))
    q, l = (x.asnumpy() for x in nd.linalg.gelqf(_a(a, "float32")))
    np.testing.assert_allclose(l @ q, a, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(q @ q.swapaxes(-1, -2), np.broadcast_to(np.eye(3), (3, 3, 3)), atol=1e-5)
    assert np.all(np.triu(l, 1) == 0)


def test_syevd():
    # MXNet 1.9.1's documented example.
    u, lam = nd.linalg.syevd(_a([[[1., 2.], [2., 4.]], [[1., 2.], [2., 5.]]]))
    np.testing.assert_allclose(u.asnumpy(), [[[0.89442719, -0.4472136], [0.4472136, 0.89442719]],
                                             [[0.92387953, -0.38268343], [0.38268343, 0.92387953]]], atol=1e-7)
    np.testing.assert_allclose(lam.asnumpy(), [[0., 5.], [0.17157288, 5.82842712]], atol=1e-7)
    # MXNet 1.9.1: only the lower triangle is read.
    u, lam = nd.linalg.syevd(_a([[1, 2], [3, 4]], "float32"))
    np.testing.assert_allclose(lam.asnumpy(), [-0.854102, 5.854102], rtol=1e-5)
    # MXNet 1.9.1: each eigenvector's largest-magnitude entry is positive.
    s = np.array([[2., -1, 0.5, 0.3], [-1, 3, 0.2, -0.7], [0.5, 0.2, 1, 0.4], [0.3, -0.7, 0.4, -2]])
    u, lam = nd.linalg.syevd(_a(s))
    np.testing.assert_allclose(u.asnumpy(), [[-0.02312581, 0.1339073072, -0.1293484769, 0.9822438605],
                                             [-0.5241004787, -0.2556759185, 0.8021998995, 0.1281555079],
                                             [0.6700288176, 0.4619852896, 0.5803253206, 0.0292146895],
                                             [-0.5252097379, 0.838610905, -0.0544684771, -0.1338643575]], atol=1e-9)
    np.testing.assert_allclose(lam.asnumpy(), [-2.1551674232, 0.6734938261, 1.756639986, 3.7250336111], atol=1e-9)
    rng = np.random.RandomState(7)
    s = rng.uniform(-1, 1, size=(2, 5, 5))
    s = s + s.swapaxes(-1, -2)
    u, lam = (x.asnumpy() for x in nd.linalg.syevd(_a(s)))
    np.testing.assert_allclose(lam, np.linalg.eigvalsh(s), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(u.swapaxes(-1, -2) @ (lam[..., None] * u), s, atol=1e-10)
    # The rows of U are NumPy's eigenvectors, signed so that the largest-magnitude entry is positive.
    v = np.linalg.eigh(s)[1].swapaxes(-1, -2)
    big = np.take_along_axis(v, np.abs(v).argmax(-1)[..., None], -1)
    np.testing.assert_allclose(u, v * np.sign(big), atol=1e-8)


def test_diagonals_and_triangles():
    a = np.arange(1, 10, dtype=np.float64).reshape(3, 3)
    # MXNet 1.9.1
    np.testing.assert_allclose(nd.linalg.extractdiag(_a(a), offset=1).asnumpy(), [2, 6])
    np.testing.assert_allclose(nd.linalg.extracttrian(_a(a), lower=False).asnumpy(), [1, 2, 5, 3, 6, 9])
    np.testing.assert_allclose(nd.linalg.extracttrian(_a(a), offset=-1).asnumpy(), [4, 7, 8])
    np.testing.assert_allclose(nd.linalg.maketrian(_a([1, 2, 3, 4, 5, 6]), lower=False).asnumpy(),
                               [[1, 2, 4], [0, 3, 5], [0, 0, 6]])
    np.testing.assert_allclose(nd.linalg.maketrian(_a([1, 2, 3]), offset=-1).asnumpy(),
                               [[0, 0, 0], [1, 0, 0], [2, 3, 0]])
    rng = np.random.RandomState(8)
    b = rng.rand(2, 3, 4, 4)
    for off in (-2, 0, 1, 3):
        d = nd.linalg.extractdiag(_a(b), offset=off).asnumpy()
        np.testing.assert_allclose(d, np.diagonal(b, offset=off, axis1=-2, axis2=-1))
        m = nd.linalg.makediag(_a(d), offset=off).asnumpy()
        ref = np.zeros(d.shape[:-1] + (4, 4))
        for idx in np.ndindex(d.shape[:-1]):
            ref[idx] = np.diag(d[idx], k=off)
        np.testing.assert_allclose(m, ref)
        assert nd.linalg.sumlogdiag(_a(b)).shape == (2, 3)
    np.testing.assert_allclose(nd.linalg.sumlogdiag(_a(b)).asnumpy(),
                               np.log(np.diagonal(b, axis1=-2, axis2=-1)).sum(-1), rtol=1e-12)
    # lower form: row by row (NumPy's tril_indices order); upper form: column by column.
    v = nd.linalg.extracttrian(_a(b), offset=-1).asnumpy()
    i, j = np.tril_indices(3)
    np.testing.assert_allclose(v, b[..., i + 1, j])
    v = nd.linalg.extracttrian(_a(b), offset=1).asnumpy()
    np.testing.assert_allclose(v, b[..., j, i + 1])
    back = nd.linalg.maketrian(_a(v), offset=1).asnumpy()
    np.testing.assert_allclose(back, np.triu(b, 1))


def test_khatri_rao():
    # MXNet 1.9.1
    y = nd.khatri_rao(_a([[1, 2], [3, 4]], "float32"), _a([[1, 2], [3, 4], [5, 6]], "float32"))
    np.testing.assert_allclose(y.asnumpy(), [[1, 4], [3, 8], [5, 12], [3, 8], [9, 16], [15, 24]])
    rng = np.random.RandomState(9)
    a, b, c = rng.rand(2, 3), rng.rand(4, 3), rng.rand(3, 3)
    np.testing.assert_allclose(nd.khatri_rao(_a(a), _a(b), _a(c)).asnumpy(),
                               np.einsum("ik,jk,lk->ijlk", a, b, c).reshape(-1, 3), rtol=1e-12)


def _weighted_grads(f, *xs):
    """Gradients of sum_i <w_i, out_i> with w = 0.1, 0.2, ... (+0.05 i): the heads used for MXNet's printed values."""
    xs = [_a(x) for x in xs]
    for x in xs:
        x.attach_grad()
    with autograd.record():
        ys = f(*xs)
        ys = ys if isinstance(ys, (list, tuple)) else [ys]
        loss = None
        for i, y in enumerate(ys):
            w = _a(np.arange(1, y.size + 1).reshape(y.shape) * 0.1 + 0.05 * i)
            t = (y * w).sum()
            loss = t if loss is None else loss + t
    loss.backward()
    return [x.grad.asnumpy() for x in xs]


# Gradients printed by MXNet 1.9.1 for _weighted_grads.
MXNET_GRADS = [
    ("potrf", lambda a: nd.linalg.potrf(a), [SPD],
     [[[-0.00125, 0.0375, 0.075], [0.0375, 0.09575706, 0.14621471], [0.075, 0.14621471, 0.26892644]]]),
    ("potri", lambda a: nd.linalg.potri(a), [T3],
     [[[0.09228395, 0, 0], [-0.11049383, -0.06234568, 0], [-0.24814815, -0.13703704, -0.55679012]]]),
    ("trmm", lambda a, b: nd.linalg.trmm(a, b, alpha=2.0), [T3, B32],
     [[[1, 0, 0], [2.2, 5, 0], [3.4, 7.8, 12.2]], [[1.5, 2.2], [0.8, 1.2], [1.5, 1.8]]]),
    ("trsm", lambda a, b: nd.linalg.trsm(a, b, alpha=2.0), [T3, B32],
     [[[0.40555556, 0, 0], [-0.74444444, -0.88518519, 0], [-1.13333333, -1.35555556, -5.94814815]],
      [[-0.27777778, -0.26666667], [0.42222222, 0.53333333], [0.66666667, 0.8]]]),
    ("syevd", lambda a: nd.linalg.syevd(a), [SPD],
     [[[0.09203179, 0.2542616, 0.0738758], [0.2542616, 0.1295848, -0.10942], [0.0738758, -0.10942, 0.52838341]]]),
    ("gelqf", lambda a: nd.linalg.gelqf(a), [WIDE],
     [[[-0.58864459, 1.04880518, -0.69007146], [0.10084597, -0.55227974, -0.10195553]]]),
    ("sumlogdiag", lambda a: nd.linalg.sumlogdiag(a), [SPD],
     [[[0.025, 0, 0], [0, 0.02, 0], [0, 0, 0.03333333]]]),
    ("extracttrian", lambda a: nd.linalg.extracttrian(a, offset=-1), [SPD],
     [[[0, 0, 0], [0.1, 0, 0], [0.2, 0.3, 0]]]),
    ("det", lambda a: nd.linalg.det(a), [T3],
     [[[0.52, -0.115, -0.25], [-0.105, 0.285, 0.225], [-0.055, -0.11, 0.55]]]),
    ("slogdet", lambda a: nd.linalg.slogdet(a), [T3],
     [[[0.08595041, -0.01900826, -0.04132231], [-0.01735537, 0.04710744, 0.03719008],
       [-0.00909091, -0.01818182, 0.09090909]]]),
    ("inverse", lambda a: nd.linalg.inverse(a), [T3],
     [[[0.07792121, 0.0110891, 0.08279641], [-0.10351752, -0.0222116, -0.23154156],
       [-0.13660573, -0.02748143, -0.27581601]]]),
    ("syrk", lambda a: nd.linalg.syrk(a, alpha=0.5), [B32], [[[3.5, 4.4], [5.3, 6.8], [7.1, 9.2]]]),
]


@pytest.mark.parametrize("name, f, xs, expected", MXNET_GRADS, ids=[g[0] for g in MXNET_GRADS])
def test_gradients_match_mxnet(name, f, xs, expected):
    for g, e in zip(_weighted_grads(f, *xs), expected):
        np.testing.assert_allclose(g, e, rtol=1e-5, atol=1e-7, err_msg=name)


def test_symbolic():
    a, b = mx.sym.Variable("a"), mx.sym.Variable("b")
    y = mx.sym.linalg.gemm2(a, b, transpose_b=True, alpha=0.5)
    rng = np.random.RandomState(10)
    av, bv = rng.rand(2, 3, 4), rng.rand(2, 5, 4)
    exe = y.bind(mx.current_context(), {"a": _a(av), "b": _a(bv)})
    np.testing.assert_allclose(exe.forward()[0].asnumpy(), 0.5 * av @ bv.swapaxes(-1, -2), rtol=1e-12)
    _, out_shapes, _ = mx.sym.linalg.syevd(a).infer_shape(a=(2, 4, 4))
    assert out_shapes == [(2, 4, 4), (2, 4)]
    assert mx.sym.linalg.slogdet(a, name="s").list_outputs() == ["s_output0", "s_output1"]
    _, out_shapes, _ = mx.sym.linalg.gelqf(a).infer_shape(a=(3, 5))
    assert out_shapes == [(3, 5), (3, 3)]


def test_errors():
    with pytest.raises(MXNetError, match=r"_linalg_gemm2.*\(2,3\).*3 vs 2"):
        nd.linalg.gemm2(nd.ones((2, 3)), nd.ones((2, 3)))
    with pytest.raises(MXNetError, match=r"_linalg_gemm.*'C'.*\(2,2\).*\(3,3\)"):
        nd.linalg.gemm(nd.ones((2, 3)), nd.ones((3, 2)), nd.ones((3, 3)))
    with pytest.raises(MXNetError, match=r"_linalg_potrf.*square.*\(2,3\)"):
        nd.linalg.potrf(nd.ones((2, 3)))
    with pytest.raises(MXNetError, match=r"_linalg_det.*\(3,\)"):
        nd.linalg.det(nd.ones((3,)))
    with pytest.raises(MXNetError, match=r"_linalg_gelqf.*\(3,2\)"):
        nd.linalg.gelqf(nd.ones((3, 2)))
    with pytest.raises(MXNetError, match=r"_linalg_extractdiag.*offset 3"):
        nd.linalg.extractdiag(nd.ones((3, 3)), offset=3)
    with pytest.raises(MXNetError, match=r"_linalg_maketrian.*\(4,\)"):
        nd.linalg.maketrian(nd.ones((4,)))
    with pytest.raises(MXNetError, match=r"khatri_rao.*\(2,4\)"):
        nd.khatri_rao(nd.ones((2, 3)), nd.ones((2, 4)))
    with pytest.raises(MXNetError, match=r"_linalg_gemm2.*int32"):
        nd.linalg.gemm2(nd.ones((2, 2), dtype="int32"), nd.ones((2, 2), dtype="int32"))
    with pytest.raises(MXNetError, match=r"_linalg_potrf.*matrix 1.*positive definite"):
        nd.linalg.potrf(_a([[[4, 0], [0, 4]], [[1, 2], [2, 1]]])).asnumpy()
    with pytest.raises(MXNetError, match=r"_linalg_inverse.*singular"):
        nd.linalg.inverse(_a([[1, 2], [2, 4]])).asnumpy()
    # The process survives and the library keeps working.
    np.testing.assert_allclose(nd.linalg.inverse(_a([[2.0]])).asnumpy(), [[0.5]])
