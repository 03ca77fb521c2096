"""More operators of MXNet 1.9.1: LRN, GroupNorm (and gluon.nn.GroupNorm), moments, softmin, softsign, rcbrt, cumsum,
depth_to_space/space_to_depth, eye, diag, linspace, broadcast_like, slice_like, broadcast_hypot, logical_and/or/xor,
nansum/nanprod, shape_array/size_array, contrib.AdaptiveAvgPooling2D/BilinearResize2D/boolean_mask/index_copy/
arange_like, ravel_multi_index/unravel_index, scatter_nd, batch_take.

Values marked "MXNet 1.9.1" were printed by Apache MXNet 1.9.1 for the same calls; the others are checked against
NumPy references or finite differences.
"""
import numpy as np
import pytest

import mxc as mx
from mxc import autograd, nd
from mxc.base import MXNetError


def _grad(fn, x, head=None):
    x = nd.array(x) if not isinstance(x, nd.NDArray) else x
    x.attach_grad()
    with autograd.record():
        y = fn(x)
    y.backward(head)
    return x.grad.asnumpy()


def _numeric_grad(f, x, eps=1e-6):
    g = np.zeros_like(x)
    for i in range(x.size):
        d = np.zeros_like(x)
        d.flat[i] = eps
        g.flat[i] = (f(x + d) - f(x - d)) / (2 * eps)
    return g


# ---- LRN ------------------------------------------------------------------------------------------------------------
def _lrn_ref(x, nsize, alpha=1e-4, beta=0.75, k=2.0):
    half = (nsize - 1) // 2
    out = np.empty_like(x)
    for c in range(x.shape[1]):
        lo, hi = max(0, c - half), min(x.shape[1], c + half + 1)
        out[:, c] = x[:, c] * (k + alpha / nsize * (x[:, lo:hi] ** 2).sum(axis=1)) ** -beta
    return out


def test_lrn_as_mxnet():
    x = np.arange(20).reshape(2, 5, 2, 1) * 0.3 - 1.0
    y = nd.LRN(nd.array(x), nsize=3, alpha=0.5).asnumpy()
    np.testing.assert_allclose(y.ravel()[:6], [-0.5548447966575623, -0.40367233753204346, -0.22143331170082092,
                                               -0.05681733042001724, 0.11303674429655075, 0.2726200222969055],
                               rtol=1e-6)  # MXNet 1.9.1
    np.testing.assert_allclose(y, _lrn_ref(x, 3, alpha=0.5), rtol=1e-5)
    np.testing.assert_allclose(nd.LRN(nd.array(x), nsize=2).asnumpy().ravel()[0], -0.5945923924446106,
                               rtol=1e-6)  # MXNet 1.9.1 (an even window acts as nsize - 1)
    head = np.arange(20).reshape(2, 5, 2, 1) * 0.1
    g = _grad(lambda v: nd.LRN(v, nsize=3, alpha=0.5), x, nd.array(head))
    np.testing.assert_allclose(g.ravel()[:6], [-0.005032575223594904, 0.052872903645038605, 0.11081646382808685,
                                               0.1712849885225296, 0.22098533809185028, 0.24937939643859863],
                               rtol=1e-4, atol=1e-6)  # MXNet 1.9.1
    s = mx.sym.LRN(mx.sym.Variable("data"), nsize=3)
    assert s.list_arguments() == ["data"] and len(s.list_outputs()) == 1
    with pytest.raises(MXNetError, match="LRN.*nsize"):
        nd.LRN(nd.array(x))


# ---- GroupNorm -------------------------------------------------------------------------------------------------------
X_GN = np.arange(24).reshape(2, 4, 3) ** 1.5 * 0.1


def test_group_norm_as_mxnet():
    out, mean, std = nd.GroupNorm(nd.array(X_GN), nd.array([1.5, 0.5]), nd.array([0.1, -0.2]), num_groups=2,
                                  output_mean_var=True)
    np.testing.assert_allclose(mean.asnumpy(), [[0.47008201479911804, 2.5158379077911377],
                                                [5.550201892852783, 9.30594539642334]], rtol=1e-6)  # MXNet 1.9.1
    np.testing.assert_allclose(std.asnumpy(), [[0.39247027039527893, 0.7453660368919373],
                                               [0.9748154282569885, 1.1594825983047485]], rtol=1e-6)
    g = X_GN.reshape(2, 2, 6)
    ref = (g - g.mean(-1, keepdims=True)) / np.sqrt(g.var(-1, keepdims=True) + 1e-5)
    ref = (ref * np.array([1.5, 0.5])[None, :, None] + np.array([0.1, -0.2])[None, :, None]).reshape(2, 4, 3)
    np.testing.assert_allclose(out.asnumpy(), ref, rtol=1e-5, atol=1e-5)
    s = mx.sym.GroupNorm(mx.sym.Variable("data"), num_groups=2, output_mean_var=True, name="gn")
    assert s.list_arguments() == ["data", "gn_gamma", "gn_beta"]
    assert s.list_outputs() == ["gn_output", "gn_mean", "gn_std"]
    arg, out_shapes, _ = s.infer_shape(data=(2, 4, 3))
    assert arg == [(2, 4, 3), (2,), (2,)] and out_shapes == [(2, 4, 3), (2, 2), (2, 2)]


def test_group_norm_gradients_as_mxnet():
    x, gamma, beta = nd.array(X_GN), nd.array([1.5, 0.5]), nd.array([0.1, -0.2])
    for a in (x, gamma, beta):
        a.attach_grad()
    with autograd.record():
        y = nd.GroupNorm(x, gamma, beta, num_groups=2)
    y.backward(nd.array(np.cos(np.arange(24)).reshape(2, 4, 3)))
    np.testing.assert_allclose(x.grad.asnumpy().ravel()[:4], [2.6638450622558594, 1.1852214336395264,
                                                              -1.9613938331604004, -3.49562406539917],
                               rtol=1e-4)  # MXNet 1.9.1
    np.testing.assert_allclose(gamma.grad.asnumpy(), [-5.216742038726807, -6.682872772216797], rtol=1e-5)
    np.testing.assert_allclose(beta.grad.asnumpy(), [-0.34029126167297363, -0.2006233036518097], rtol=1e-5)


def test_group_norm_errors():
    with pytest.raises(MXNetError, match=r"GroupNorm.*\(2,5,3\).*num_groups=2"):
        nd.GroupNorm(nd.ones((2, 5, 3)), nd.ones(2), nd.ones(2), num_groups=2)
    with pytest.raises(MXNetError, match=r"GroupNorm.*gamma.*\(4,\)"):
        nd.GroupNorm(nd.ones((2, 4, 3)), nd.ones(4), nd.ones(4), num_groups=2)
    with pytest.raises(MXNetError, match=r"GroupNorm.*\(2,4\)"):
        nd.GroupNorm(nd.ones((2, 4)), nd.ones(2), nd.ones(2), num_groups=2)


def test_gluon_group_norm():
    net = mx.gluon.nn.GroupNorm(num_groups=2)
    assert repr(net) == "GroupNorm(eps=1e-05, num_groups=2, center=True, scale=True)"  # MXNet 1.9.1
    net.initialize()
    x = nd.array(X_GN)
    y = net(x)
    shapes = {k.split("_", 1)[1]: v.shape for k, v in net.collect_params().items()}
    assert shapes == {"gamma": (2,), "beta": (2,)}
    g = X_GN.reshape(2, 2, 6)
    ref = ((g - g.mean(-1, keepdims=True)) / np.sqrt(g.var(-1, keepdims=True) + 1e-5)).reshape(2, 4, 3)
    np.testing.assert_allclose(y.asnumpy(), ref, rtol=1e-5, atol=1e-5)
    net.hybridize()
    np.testing.assert_allclose(net(x).asnumpy(), ref, rtol=1e-5, atol=1e-5)
    frozen = mx.gluon.nn.GroupNorm(num_groups=2, center=False, scale=False)
    assert frozen.gamma.grad_req == "null" and frozen.beta.grad_req == "null"


# ---- moments, softmin, softsign, rcbrt, cumsum -----------------------------------------------------------------------
def test_moments():
    mean, var = nd.moments(nd.array(X_GN), axes=(0, 2))
    np.testing.assert_allclose(mean.asnumpy(), X_GN.mean(axis=(0, 2)), rtol=1e-6)
    np.testing.assert_allclose(var.asnumpy(), X_GN.var(axis=(0, 2)), rtol=1e-5)
    np.testing.assert_allclose(var.asnumpy(), [5.31764030456543, 7.972227573394775, 10.518782615661621,
                                               13.035065650939941], rtol=1e-5)  # MXNet 1.9.1
    s = mx.sym.moments(mx.sym.Variable("data"), axes=(0, 2), keepdims=True)
    assert s.infer_shape(data=(2, 3, 4))[1] == [(1, 3, 1), (1, 3, 1)]  # MXNet 1.9.1
    x = nd.array(X_GN)
    x.attach_grad()
    with autograd.record():
        m, v = nd.moments(x, axes=(1,))
        z = m * 2 + v * 3
    z.backward()
    n = X_GN.shape[1]
    ref = 2 / n + 3 * 2 * (X_GN - X_GN.mean(1, keepdims=True)) / n
    np.testing.assert_allclose(x.grad.asnumpy(), ref, rtol=1e-5, atol=1e-6)
    with pytest.raises(MXNetError, match="moments.*axes"):
        nd.moments(x)


def test_softmin_softsign_rcbrt():
    x = nd.array([[1, 2, 3], [0, -1, 4]])
    np.testing.assert_allclose(nd.softmin(x).asnumpy(), [[0.6652409434318542, 0.2447284758090973,
                                                          0.09003057330846786],
                                                         [0.2676231563091278, 0.7274751663208008,
                                                          0.004901689011603594]], rtol=1e-6)  # MXNet 1.9.1
    e = np.exp(-np.array([[1, 2, 3], [0, -1, 4]]) / 2.0)
    np.testing.assert_allclose(nd.softmin(x, axis=0, temperature=2).asnumpy(), e / e.sum(0), rtol=1e-6)
    np.testing.assert_allclose(nd.softsign(nd.array([-2, 0, 3])).asnumpy(), [-2 / 3, 0, 0.75], rtol=1e-6)
    np.testing.assert_allclose(nd.rcbrt(nd.array([-8, 1, 27])).asnumpy(), [-0.5, 1, 1 / 3], rtol=1e-6)
    v = np.array([-2, 0.5, 3])
    np.testing.assert_allclose(_grad(nd.softsign, v), [0.1111111119389534, 0.4444444477558136, 0.0625],
                               rtol=1e-6)  # MXNet 1.9.1
    np.testing.assert_allclose(_grad(nd.rcbrt, v), [-0.13228341937065125, -0.8399473428726196,
                                                   -0.07704013586044312], rtol=1e-6)  # MXNet 1.9.1
    with pytest.raises(MXNetError, match="softmin.*axis"):
        nd.softmin(x, axis=2)


def test_cumsum():
    x = nd.array(np.arange(6).reshape(2, 3))
    assert nd.cumsum(x).asnumpy().tolist() == [0, 1, 3, 6, 10, 15]  # MXNet 1.9.1: flattened
    assert nd.cumsum(x, axis=0).asnumpy().tolist() == [[0, 1, 2], [3, 5, 7]]
    assert nd.cumsum(nd.array([[1, 2], [3, 4]], dtype="int32")).dtype == np.int32
    assert nd.cumsum(nd.array([[1, 2], [3, 4]], dtype="int32"), dtype="float64").dtype == np.float64
    r = np.random.RandomState(0).uniform(-1, 1, (2, 4, 3))
    np.testing.assert_allclose(nd.cumsum(nd.array(r, dtype="float64"), axis=1).asnumpy(), np.cumsum(r, axis=1))
    g = _grad(lambda v: nd.cumsum(v, axis=1), np.arange(6.0).reshape(2, 3), nd.array([[1, 2, 3], [4, 5, 6]]))
    assert g.tolist() == [[6, 5, 3], [15, 11, 6]]  # MXNet 1.9.1
    assert mx.sym.cumsum(mx.sym.Variable("a"), axis=1).list_arguments() == ["a"]
    with pytest.raises(MXNetError, match=r"cumsum.*axis=2.*\(2,3\)"):
        nd.cumsum(x, axis=2)


def test_depth_to_space_space_to_depth():
    x = nd.array(np.arange(48).reshape(1, 12, 2, 2))
    y = nd.depth_to_space(x, 2)
    assert y.shape == (1, 3, 4, 4)
    assert y.asnumpy().ravel()[:8].tolist() == [0, 12, 1, 13, 24, 36, 25, 37]  # MXNet 1.9.1
    # NumPy reference: (N, b, b, C', H, W) -> (N, C', H, b, W, b)
    ref = np.arange(48).reshape(1, 2, 2, 3, 2, 2).transpose(0, 3, 4, 1, 5, 2).reshape(1, 3, 4, 4)
    np.testing.assert_array_equal(y.asnumpy(), ref)
    np.testing.assert_array_equal(nd.space_to_depth(y, 2).asnumpy(), x.asnumpy())
    with pytest.raises(MXNetError, match=r"depth_to_space.*\(1,6,2,2\)"):
        nd.depth_to_space(nd.ones((1, 6, 2, 2)), 2)
    with pytest.raises(MXNetError, match=r"space_to_depth.*\(1,2,3,4\)"):
        nd.space_to_depth(nd.ones((1, 2, 3, 4)), 2)


# ---- eye, diag, linspace --------------------------------------------------------------------------------------------
def test_eye_linspace():
    assert nd.eye(3, 4, 1).asnumpy().tolist() == np.eye(3, 4, 1).tolist()
    assert nd.eye(3, k=-1).asnumpy().tolist() == np.eye(3, k=-1).tolist()
    assert nd.eye(2, dtype="int32").dtype == np.int32
    assert nd.eye(2).context == mx.context.current_context()
    np.testing.assert_allclose(nd.linspace(0, 1, 5).asnumpy(), np.linspace(0, 1, 5))
    np.testing.assert_allclose(nd.linspace(2, 3, 5, endpoint=False).asnumpy(), np.linspace(2, 3, 5, endpoint=False),
                               rtol=1e-6)
    assert nd.linspace(0, 10, 4, dtype="int32").asnumpy().tolist() == [0, 3, 6, 10]  # MXNet 1.9.1
    assert nd.linspace(0, 1, 0).shape == (0,)
    assert mx.sym.linspace(0, 1, 3).infer_shape()[1] == [(3,)]
    assert mx.sym.eye(2).infer_shape()[1] == [(2, 2)]
    ex = (mx.sym.eye(3, 4, 1) * 2).bind(mx.context.current_context(), {})
    np.testing.assert_array_equal(ex.forward()[0].asnumpy(), 2 * np.eye(3, 4, 1))


def test_diag():
    a = np.arange(12.0).reshape(3, 4)
    for k in (0, 1, -2, 4):
        np.testing.assert_array_equal(nd.diag(nd.array(a), k=k).asnumpy(), np.diag(a, k))
    np.testing.assert_array_equal(nd.diag(nd.array([1, 2]), k=-1).asnumpy(), np.diag([1.0, 2.0], -1))
    b = np.arange(24.0).reshape(2, 3, 4)
    np.testing.assert_array_equal(nd.diag(nd.array(b)).asnumpy(), np.diagonal(b, 0, 0, 1))
    np.testing.assert_array_equal(nd.diag(nd.array(b), k=1, axis1=1, axis2=2).asnumpy(), np.diagonal(b, 1, 1, 2))
    assert nd.diag(nd.array(b), axis1=2, axis2=0).asnumpy().tolist() == [[0, 13], [4, 17], [8, 21]]  # MXNet 1.9.1
    g = _grad(lambda v: nd.diag(v, k=1), a, nd.array([1, 2, 3]))
    ref = np.zeros_like(a)
    ref[[0, 1, 2], [1, 2, 3]] = [1, 2, 3]
    np.testing.assert_array_equal(g, ref)
    with pytest.raises(MXNetError, match=r"diag.*k=5.*\(3,4\)"):
        nd.diag(nd.array(a), k=5)
    with pytest.raises(MXNetError, match="diag.*same axis"):
        nd.diag(nd.array(a), axis1=1, axis2=1)


# ---- broadcast_like, slice_like, broadcast_hypot, logical operators --------------------------------------------------
def test_broadcast_like_slice_like():
    x = nd.array([[1, 2, 3]])
    assert nd.broadcast_like(x, nd.ones((4, 3))).asnumpy().tolist() == [[1, 2, 3]] * 4
    assert nd.broadcast_like(nd.ones((1, 3)), nd.ones((2, 5)), lhs_axes=(0,), rhs_axes=(1,)).shape == (5, 3)
    assert nd.broadcast_like(nd.ones((1, 3, 1)), nd.ones((5, 4, 7)), lhs_axes=(0, 2),
                             rhs_axes=(1, -1)).shape == (4, 3, 7)  # MXNet 1.9.1
    assert _grad(lambda v: nd.broadcast_like(v, nd.ones((4, 3))), [[1, 2, 3]]).tolist() == [[4, 4, 4]]
    with pytest.raises(MXNetError, match=r"broadcast_like.*\(2,3\).*\(4,3\)"):
        nd.broadcast_like(nd.ones((2, 3)), nd.ones((4, 3)))
    d = np.arange(24.0).reshape(2, 3, 4)
    np.testing.assert_array_equal(nd.slice_like(nd.array(d), nd.ones((1, 2, 3))).asnumpy(), d[:1, :2, :3])
    assert nd.slice_like(nd.array(d), nd.ones((1, 2, 3)), axes=(0, -1)).shape == (1, 3, 3)  # MXNet 1.9.1
    assert nd.slice_like(nd.array(d), nd.ones((2, 2)), axes=(1,)).shape == (2, 2, 4)
    g = _grad(lambda v: nd.slice_like(v, nd.ones((1, 2, 3))), d)
    ref = np.zeros_like(d)
    ref[:1, :2, :3] = 1
    np.testing.assert_array_equal(g, ref)
    with pytest.raises(MXNetError, match=r"slice_like.*\(3,2,3\)"):
        nd.slice_like(nd.array(d), nd.ones((3, 2, 3)))


def test_hypot_and_logical():
    a, b = nd.array([[3], [5]]), nd.array([4, 12])
    np.testing.assert_allclose(nd.broadcast_hypot(a, b).asnumpy(), np.hypot([[3], [5]], [4, 12]), rtol=1e-6)
    a.attach_grad()
    b.attach_grad()
    with autograd.record():
        z = nd.broadcast_hypot(a, b)
    z.backward()
    np.testing.assert_allclose(a.grad.asnumpy(), [[0.8425356149673462], [1.1654841899871826]], rtol=1e-6)
    np.testing.assert_allclose(b.grad.asnumpy(), [1.4246950149536133, 1.8932194709777832], rtol=1e-6)  # MXNet 1.9.1
    u, v = nd.array([[0, 1, 2]]), nd.array([[0], [3]])
    for name, fn in (("and", np.logical_and), ("or", np.logical_or), ("xor", np.logical_xor)):
        f = getattr(nd, "logical_" + name)
        assert f(u, v).asnumpy().tolist() == fn([[0, 1, 2]], [[0], [3]]).astype(float).tolist()
        assert f(u, 0).asnumpy().tolist() == fn([[0, 1, 2]], 0).astype(float).tolist()
        assert f(1, u).asnumpy().tolist() == fn(1, [[0, 1, 2]]).astype(float).tolist()
        assert f(u, u).asnumpy().tolist() == fn([[0, 1, 2]], [[0, 1, 2]]).astype(float).tolist()
        assert f(u, v).dtype == np.float32
    assert nd.logical_and(nd.array([0, 1, 2], dtype="int32"), nd.array([1, 1, 0], dtype="int32")).dtype == np.int32
    assert nd.logical_xor(1, 0) is True
    s = mx.sym.broadcast_logical_or(mx.sym.Variable("l"), mx.sym.Variable("r"))
    ex = s.bind(mx.context.current_context(), {"l": u, "r": v})
    assert ex.forward()[0].asnumpy().tolist() == [[0, 1, 1], [1, 1, 1]]


# ---- nansum, nanprod, shape_array, size_array --------------------------------------------------------------------
def test_nansum_nanprod():
    x = np.array([[1, np.nan, 3], [np.nan, np.nan, 2]])
    assert nd.nansum(nd.array(x)).asnumpy().tolist() == [6]  # MXNet 1.9.1
    np.testing.assert_array_equal(nd.nansum(nd.array(x), axis=1).asnumpy(), np.nansum(x, axis=1))
    np.testing.assert_array_equal(nd.nanprod(nd.array(x), axis=0).asnumpy(), np.nanprod(x, axis=0))
    assert nd.nanprod(nd.array(x), axis=1, keepdims=True).shape == (2, 1)
    assert nd.nansum(nd.array(x), axis=0, exclude=True).asnumpy().tolist() == [4, 2]
    assert _grad(lambda v: nd.nansum(v, axis=1), x, nd.array([2, 3])).tolist() == [[2, 0, 2], [0, 0, 3]]
    y = np.array([[1, np.nan, 3], [np.nan, 4, 2]])
    assert _grad(lambda v: nd.nanprod(v, axis=1), y, nd.array([2, 3])).tolist() == [[6, 0, 2], [0, 6, 12]]
    assert nd.nansum(nd.array([1, 2], dtype="int32")).dtype == np.int32


def test_shape_size_array():
    x = nd.ones((2, 3, 4))
    s, n = nd.shape_array(x), nd.size_array(x)
    assert s.dtype == np.int64 and s.asnumpy().tolist() == [2, 3, 4]  # MXNet 1.9.1
    assert n.dtype == np.int64 and n.asnumpy().tolist() == [24]
    x.attach_grad()
    with autograd.record():
        z = nd.shape_array(x)
    z.backward()
    assert x.grad.asnumpy().sum() == 0


# ---- contrib.AdaptiveAvgPooling2D, contrib.BilinearResize2D --------------------------------------------------------
def _adaptive_ref(x, oh, ow):
    n, c, h, w = x.shape
    out = np.empty((n, c, oh, ow))
    for i in range(oh):
        for j in range(ow):
            h0, h1 = i * h // oh, -(-(i + 1) * h // oh)
            w0, w1 = j * w // ow, -(-(j + 1) * w // ow)
            out[:, :, i, j] = x[:, :, h0:h1, w0:w1].mean(axis=(2, 3))
    return out


def test_adaptive_avg_pooling():
    x = np.arange(70).reshape(2, 1, 5, 7) * 0.5
    y = nd.contrib.AdaptiveAvgPooling2D(nd.array(x), output_size=(2, 3)).asnumpy()
    assert y.ravel()[:6].tolist() == [4, 5, 6, 11, 12, 13]  # MXNet 1.9.1
    r = np.random.RandomState(1).uniform(-1, 1, (2, 3, 6, 5))
    for size in [(4, 3), (7, 9), (1, 1)]:
        np.testing.assert_allclose(nd.contrib.AdaptiveAvgPooling2D(nd.array(r, dtype="float64"),
                                                                   output_size=size).asnumpy(),
                                   _adaptive_ref(r, *size), rtol=1e-12)
    assert nd.contrib.AdaptiveAvgPooling2D(nd.array(x)).shape == (2, 1, 1, 1)  # MXNet 1.9.1
    assert nd.contrib.AdaptiveAvgPooling2D(nd.array(x), output_size=3).shape == (2, 1, 3, 3)
    g = _grad(lambda v: nd.contrib.AdaptiveAvgPooling2D(v, output_size=(2, 3)), x[:1],
              nd.array(np.arange(6).reshape(1, 1, 2, 3) + 1.0))
    np.testing.assert_allclose(g.ravel()[:8], [0.1111111119389534, 0.1111111119389534, 0.3333333432674408,
                                               0.2222222238779068, 0.5555555820465088, 0.3333333432674408,
                                               0.3333333432674408, 0.1111111119389534], rtol=1e-6)  # MXNet 1.9.1
    with pytest.raises(MXNetError, match=r"AdaptiveAvgPooling2D.*\(2,5,7\)"):
        nd.contrib.AdaptiveAvgPooling2D(nd.ones((2, 5, 7)), output_size=2)


def test_bilinear_resize():
    x = nd.array(np.arange(12).reshape(1, 1, 3, 4))
    y = nd.contrib.BilinearResize2D(x, height=5, width=6).asnumpy()
    # align_corners (the default): source = destination * (in - 1) / (out - 1)
    ry, rx = np.linspace(0, 2, 5), np.linspace(0, 3, 6)
    np.testing.assert_allclose(y[0, 0], ry[:, None] * 4 + rx[None, :], rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(nd.contrib.BilinearResize2D(x, height=2, width=3, align_corners=False).asnumpy().ravel(),
                               [1.1666666269302368, 2.5, 3.8333334922790527, 7.166666507720947, 8.5,
                                9.833333015441895], rtol=1e-6)  # MXNet 1.9.1
    assert nd.contrib.BilinearResize2D(x, scale_height=2, scale_width=1.5).shape == (1, 1, 6, 6)  # MXNet 1.9.1
    assert nd.contrib.BilinearResize2D(x, scale_height=2., scale_width=1.5, mode="odd_scale").shape == (1, 1, 5, 6)
    assert nd.contrib.BilinearResize2D(x, mode="to_odd_up").shape == (1, 1, 3, 5)
    assert nd.contrib.BilinearResize2D(x, nd.ones((1, 1, 2, 7)), mode="like").shape == (1, 1, 2, 7)
    g = _grad(lambda v: nd.contrib.BilinearResize2D(v, height=2, width=3, align_corners=False),
              np.arange(12.0).reshape(1, 1, 3, 4), nd.array(np.arange(6).reshape(1, 1, 2, 3) * 0.1 + 1))
    np.testing.assert_allclose(g.ravel(), [0.625, 0.5375000238418579, 0.5624998807907104, 0.7500001788139343,
                                           0.4791666269302368, 0.40833336114883423, 0.4249998927116394,
                                           0.5625001192092896, 0.8125, 0.6875, 0.7124997973442078,
                                           0.9375001788139343], rtol=1e-5)  # MXNet 1.9.1
    s = mx.sym.contrib.BilinearResize2D(mx.sym.Variable("data"), height=5, width=6)
    assert s.list_arguments() == ["data"]
    s2 = mx.sym.contrib.BilinearResize2D(mx.sym.Variable("data"), mx.sym.Variable("like"), mode="like")
    assert s2.list_arguments() == ["data", "like"]
    assert s2.infer_shape(data=(1, 1, 3, 4), like=(1, 1, 2, 7))[1] == [(1, 1, 2, 7)]


# ---- contrib.boolean_mask, index_copy, arange_like ----------------------------------------------------------------
def test_boolean_mask():
    d = nd.array(np.arange(12).reshape(4, 3))
    assert nd.contrib.boolean_mask(d, nd.array([0, 1, 0, 1])).asnumpy().tolist() == [[3, 4, 5], [9, 10, 11]]
    assert nd.contrib.boolean_mask(d, nd.array([0, 0, 0, 0])).shape == (0, 3)  # MXNet 1.9.1
    g = _grad(lambda v: nd.contrib.boolean_mask(v, nd.array([0, 1, 0, 1])), d, nd.array([[1, 2, 3], [4, 5, 6]]))
    assert g.tolist() == [[0, 0, 0], [1, 2, 3], [0, 0, 0], [4, 5, 6]]  # MXNet 1.9.1
    with pytest.raises(MXNetError, match=r"boolean_mask.*\(3,\).*\(4, 3\)"):
        nd.contrib.boolean_mask(d, nd.array([0, 1, 0]))
    with pytest.raises(MXNetError, match="boolean_mask.*axis"):
        nd.contrib.boolean_mask(d, nd.array([1, 0, 1]), axis=1)
    with pytest.raises(MXNetError, match="boolean_mask.*nd.contrib.boolean_mask"):
        mx.sym.contrib.boolean_mask(mx.sym.Variable("data"), mx.sym.Variable("index"))


def test_index_copy_arange_like():
    old, new, idx = nd.zeros((5, 3)), nd.array(np.arange(6).reshape(2, 3) + 1), nd.array([3, 0])
    assert nd.contrib.index_copy(old, idx, new).asnumpy().tolist() == [[4, 5, 6], [0, 0, 0], [0, 0, 0], [1, 2, 3],
                                                                      [0, 0, 0]]  # MXNet 1.9.1
    old.attach_grad()
    new.attach_grad()
    with autograd.record():
        z = nd.contrib.index_copy(old, idx, new)
    z.backward(nd.array(np.arange(15).reshape(5, 3)))
    assert old.grad.asnumpy().tolist() == [[0, 0, 0], [3, 4, 5], [6, 7, 8], [0, 0, 0], [12, 13, 14]]  # MXNet 1.9.1
    assert new.grad.asnumpy().tolist() == [[9, 10, 11], [0, 1, 2]]
    with pytest.raises(MXNetError, match=r"index_copy.*\(2,3\).*\(5,3\)"):
        nd.contrib.index_copy(old, nd.array([3, 0, 1]), new)
    with pytest.raises(MXNetError, match="index_copy.*out of range"):
        nd.contrib.index_copy(old, nd.array([7, 0]), new).asnumpy()
    assert nd.contrib.arange_like(nd.ones((2, 3))).asnumpy().tolist() == [[0, 1, 2], [3, 4, 5]]  # MXNet 1.9.1
    assert nd.contrib.arange_like(nd.ones((2, 3)), start=1, step=0.5, axis=1).asnumpy().tolist() == [1, 1.5, 2]
    assert nd.contrib.arange_like(nd.ones((5, 3)), axis=0, repeat=2).asnumpy().tolist() == [0, 0, 1, 1, 2]
    assert nd.contrib.arange_like(nd.ones((2, 3), dtype="int32")).dtype == np.int32


# ---- ravel_multi_index, unravel_index, scatter_nd, batch_take -----------------------------------------------------
def test_ravel_unravel():
    idx = np.array([[3, 1, 4], [2, 0, 1]])
    out = nd.ravel_multi_index(nd.array(idx), shape=(5, 3))
    assert out.asnumpy().tolist() == np.ravel_multi_index(idx, (5, 3)).tolist() and out.dtype == np.float32
    un = nd.unravel_index(nd.array([11, 4, 7]), shape=(5, 3)).asnumpy()
    assert un.tolist() == [list(v) for v in np.unravel_index([11, 4, 7], (5, 3))]
    assert nd.unravel_index(nd.array([[1, 2], [0, 14]]), shape=(5, 3)).shape == (2, 2, 2)  # MXNet 1.9.1
    assert mx.sym.ravel_multi_index(mx.sym.Variable("d"), shape=(5, 3)).infer_shape(d=(2, 4))[1] == [(4,)]
    with pytest.raises(MXNetError, match=r"ravel_multi_index.*\(5,3,2\)"):
        nd.ravel_multi_index(nd.array(idx), shape=(5, 3, 2))


def test_scatter_nd_batch_take():
    z = nd.scatter_nd(nd.array([2, 3, 0]), nd.array([[1, 1, 0], [0, 1, 0]]), shape=(2, 2))
    assert z.asnumpy().tolist() == [[0, 0], [2, 3]]  # MXNet 1.9.1
    data = nd.array([2, 3, 4])
    assert _grad(lambda v: nd.scatter_nd(v, nd.array([[1, 1, 0], [0, 1, 0]]), shape=(2, 2)), data,
                 nd.array([[1, 2], [3, 4]])).tolist() == [3, 4, 1]  # MXNet 1.9.1
    assert nd.scatter_nd(nd.array([1, 2], dtype="int32"), nd.array([[0, 1]], dtype="int32"),
                         shape=(3,)).dtype == np.int32
    with pytest.raises(MXNetError, match=r"scatter_nd.*\(2,\).*\(1,3\)"):
        nd.scatter_nd(nd.array([1, 2]), nd.array([[0, 1, 1]]), shape=(2, 2))
    a = nd.array(np.arange(12).reshape(4, 3))
    assert nd.batch_take(a, nd.array([0, 2, 1, 2], dtype="int32")).asnumpy().tolist() == [0, 5, 7, 11]  # MXNet 1.9.1
    assert nd.batch_take(a, nd.array([-1, 3, 4, 0], dtype="int32")).asnumpy().tolist() == [0, 5, 8, 9]
    with pytest.raises(MXNetError, match=r"batch_take.*\(2,\).*\(4,3\)"):
        nd.batch_take(a, nd.array([0, 1], dtype="int32"))
