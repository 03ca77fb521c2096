"""contrib quadratic, gradientmultiplier, div_sqrt_dim, round_ste, sign_ste, allclose, index_array, the interleaved
attention products, BatchNormWithReLU and SyncBatchNorm (with gluon.nn.BatchNormReLU and
gluon.contrib.nn.SyncBatchNorm): against NumPy and values printed by MXNet 1.9.1. Gradients by finite differences
are in test_executor_grad.py."""
import numpy as np
import pytest

import mxc as mx

X = [[1.2, -0.5, 2.5], [0.4, -1.5, 3.49]]
W = [[1, 2, 3], [4, 5, 6]]


def _fwd_grad(f, x=X):
    a = mx.nd.array(x)
    a.attach_grad()
    with mx.autograd.record():
        y = f(a)
        (y * mx.nd.array(W)).sum().backward()
    return y.asnumpy(), a.grad.asnumpy()


def test_elementwise_as_mxnet_1_9_1():
    # Values printed by MXNet 1.9.1 (forward, then the gradient of sum(y * W)).
    y, g = _fwd_grad(lambda a: mx.nd.contrib.quadratic(a, a=2, b=-1, c=0.5))
    np.testing.assert_allclose(y, [[2.18, 1.5, 10.5], [0.42, 6.5, 21.3702]], rtol=1e-5)
    np.testing.assert_allclose(g, [[3.8, -6.0, 27.0], [2.4, -35.0, 77.76]], rtol=1e-5)
    y, g = _fwd_grad(lambda a: mx.nd.contrib.gradientmultiplier(a, scalar=-0.5))
    np.testing.assert_allclose(y, X, rtol=1e-6)
    np.testing.assert_allclose(g, -0.5 * np.array(W), rtol=1e-6)
    y, g = _fwd_grad(mx.nd.contrib.div_sqrt_dim)
    np.testing.assert_allclose(y, np.array(X) / np.sqrt(3), rtol=1e-6)
    np.testing.assert_allclose(g, np.array(W) / np.sqrt(3), rtol=1e-6)
    y, g = _fwd_grad(mx.nd.contrib.round_ste)
    np.testing.assert_allclose(y, [[1, -1, 3], [0, -2, 3]])
    np.testing.assert_allclose(g, W)  # straight through
    y, g = _fwd_grad(mx.nd.contrib.sign_ste)
    np.testing.assert_allclose(y, [[1, -1, 1], [1, -1, 1]])
    np.testing.assert_allclose(g, W)
    # Halves round away from zero, and sign(0) is 0.
    np.testing.assert_allclose(mx.nd.contrib.round_ste(mx.nd.array([0.5, 1.5, -1.5, -2.5, 2.5])).asnumpy(),
                               [1, 2, -2, -3, 3])
    np.testing.assert_allclose(mx.nd.contrib.sign_ste(mx.nd.array([0, -2, 3])).asnumpy(), [0, -1, 1])
    assert not hasattr(mx.nd, 'quadratic')  # contrib only, as in MXNet
    with pytest.raises(mx.MXNetError, match="_contrib_quadratic.*int32"):
        mx.nd.contrib.quadratic(mx.nd.array([1, 2], dtype='int32'), a=1)


def test_allclose_and_index_array():
    a = mx.nd.array([1, 2, 3.0])
    assert mx.nd.contrib.allclose(a, mx.nd.array([1, 2, 3.00001])).asnumpy().tolist() == [1]
    assert mx.nd.contrib.allclose(a, mx.nd.array([1, 2, 3.00001]), rtol=0, atol=0).asnumpy().tolist() == [0]
    assert mx.nd.contrib.allclose(a, mx.nd.array([1, 2, 3.1]), atol=0.2).asnumpy().tolist() == [1]
    nan = mx.nd.array([1, np.nan])
    assert mx.nd.contrib.allclose(nan, nan).asnumpy().tolist() == [1]
    assert mx.nd.contrib.allclose(nan, nan, equal_nan=False).asnumpy().tolist() == [0]
    assert mx.nd.contrib.allclose(a, a).dtype == np.uint8
    with pytest.raises(mx.MXNetError, match=r"_contrib_allclose.*\(2,3\).*\(3,\)"):
        mx.nd.contrib.allclose(mx.nd.ones((2, 3)), mx.nd.ones((3,)))

    idx = mx.nd.contrib.index_array(mx.nd.zeros((2, 3, 4)))
    assert idx.dtype == np.int64 and idx.shape == (2, 3, 4, 3)
    np.testing.assert_array_equal(idx.asnumpy(), np.stack(np.indices((2, 3, 4)), axis=-1))
    idx = mx.nd.contrib.index_array(mx.nd.zeros((2, 3, 4)), axes=(2, -3))
    np.testing.assert_array_equal(idx.asnumpy(), np.stack([np.indices((2, 3, 4))[2], np.indices((2, 3, 4))[0]], -1))
    with pytest.raises(mx.MXNetError, match="_contrib_index_array.*axis 3"):
        mx.nd.contrib.index_array(mx.nd.zeros((2, 3)), axes=(3,))


def _heads(x, parts, H):
    """(L, B, H*parts*D) -> parts arrays of (B*H, L, D), as MXNet's documented reshape/transpose."""
    L, B, E = x.shape
    t = x.reshape(L, B, H, parts, E // (H * parts))
    return [t[:, :, :, i, :].transpose(1, 2, 0, 3).reshape(B * H, L, -1) for i in range(parts)]


def test_interleaved_attention_matches_numpy():
    rng = np.random.RandomState(0)
    L, B, H, D, Lq = 5, 3, 2, 4, 6
    qkv = rng.uniform(-1, 1, (L, B, H * 3 * D))
    q, k, v = _heads(qkv, 3, H)
    s = mx.nd.contrib.interleaved_matmul_selfatt_qk(mx.nd.array(qkv, dtype='float64'), heads=H).asnumpy()
    np.testing.assert_allclose(s, q / np.sqrt(D) @ k.transpose(0, 2, 1), rtol=1e-12)
    att = rng.uniform(0, 1, (B * H, L, L))
    o = mx.nd.contrib.interleaved_matmul_selfatt_valatt(mx.nd.array(qkv, dtype='float64'),
                                                        mx.nd.array(att, dtype='float64'), heads=H).asnumpy()
    ref = (att @ v).reshape(B, H, L, D).transpose(2, 0, 1, 3).reshape(L, B, H * D)
    np.testing.assert_allclose(o, ref, rtol=1e-12)

    qs = rng.uniform(-1, 1, (Lq, B, H * D))
    kv = rng.uniform(-1, 1, (L, B, H * 2 * D))
    (qh,), (kh, vh) = _heads(qs, 1, H), _heads(kv, 2, H)
    s = mx.nd.contrib.interleaved_matmul_encdec_qk(mx.nd.array(qs, dtype='float64'), mx.nd.array(kv, dtype='float64'),
                                                   heads=H).asnumpy()
    assert s.shape == (B * H, Lq, L)
    np.testing.assert_allclose(s, qh / np.sqrt(D) @ kh.transpose(0, 2, 1), rtol=1e-12)
    att = rng.uniform(0, 1, (B * H, Lq, L))
    o = mx.nd.contrib.interleaved_matmul_encdec_valatt(mx.nd.array(kv, dtype='float64'),
                                                       mx.nd.array(att, dtype='float64'), heads=H).asnumpy()
    np.testing.assert_allclose(o, (att @ vh).reshape(B, H, Lq, D).transpose(2, 0, 1, 3).reshape(Lq, B, H * D),
                               rtol=1e-12)

    # Symbolic shapes, and errors naming the argument and the shapes.
    sym = mx.sym.contrib.interleaved_matmul_encdec_valatt(mx.sym.var('kv'), mx.sym.var('att'), heads=2)
    assert sym.infer_shape(kv=(5, 3, 16), att=(6, 6, 5))[1] == [(6, 3, 8)]
    with pytest.raises(mx.MXNetError, match=r"selfatt_qk.*queries_keys_values \(5,3,10\).*heads \* 3 = 6"):
        mx.nd.contrib.interleaved_matmul_selfatt_qk(mx.nd.ones((5, 3, 10)), heads=2)
    with pytest.raises(mx.MXNetError, match=r"encdec_qk.*queries \(6,3,10\).*keys_values \(5,3,16\)"):
        mx.nd.contrib.interleaved_matmul_encdec_qk(mx.nd.ones((6, 3, 10)), mx.nd.ones((5, 3, 16)), heads=2)


def test_interleaved_attention_gradients_as_mxnet_1_9_1():
    # A self-attention and an encoder-decoder attention block; MXNet 1.9.1 printed these values.
    rng = np.random.RandomState(0)
    L, B, H, D = 3, 2, 2, 4
    qkv = mx.nd.array(rng.uniform(-1, 1, (L, B, H * 3 * D)))
    q = mx.nd.array(rng.uniform(-1, 1, (4, B, H * D)))
    kv = mx.nd.array(rng.uniform(-1, 1, (L, B, H * 2 * D)))
    W1, W2 = mx.nd.array(rng.uniform(-1, 1, (B * H, L, L))), mx.nd.array(rng.uniform(-1, 1, (L, B, H * D)))
    W3, W4 = mx.nd.array(rng.uniform(-1, 1, (B * H, 4, L))), mx.nd.array(rng.uniform(-1, 1, (4, B, H * D)))
    for x in (qkv, q, kv):
        x.attach_grad()
    with mx.autograd.record():
        s = mx.nd.contrib.interleaved_matmul_selfatt_qk(qkv, heads=H)
        o = mx.nd.contrib.interleaved_matmul_selfatt_valatt(qkv, mx.nd.softmax(s), heads=H)
        ((s * W1).sum() + (o * W2).sum()).backward()
    np.testing.assert_allclose(s.asnumpy().ravel()[:5], [0.07768, -0.21383, 0.0082, -0.06846, -0.07109], atol=1e-5)
    np.testing.assert_allclose(o.asnumpy().ravel()[:5], [0.25647, -0.17152, 0.263, -0.07063, 0.78871], atol=1e-5)
    np.testing.assert_allclose(qkv.grad.asnumpy().ravel()[::7][:8],
                               [-0.29884, -0.21809, -0.26906, 0.47155, 0.12908, -0.36515, 0.23238, -0.1042],
                               atol=1e-5)
    with mx.autograd.record():
        s = mx.nd.contrib.interleaved_matmul_encdec_qk(q, kv, heads=H)
        o = mx.nd.contrib.interleaved_matmul_encdec_valatt(kv, mx.nd.softmax(s), heads=H)
        ((s * W3).sum() + (o * W4).sum()).backward()
    np.testing.assert_allclose(o.asnumpy().ravel()[:5], [0.67501, 0.21171, 0.00074, 0.38908, 0.22087], atol=1e-5)
    np.testing.assert_allclose(q.grad.asnumpy().ravel()[::5][:6],
                               [0.11655, -0.24411, -0.22138, 0.46184, -0.37784, -0.50206], atol=1e-5)
    np.testing.assert_allclose(kv.grad.asnumpy().ravel()[::7][:6],
                               [0.18825, 0.64535, 0.47937, 0.01422, -0.32516, -0.44617], atol=1e-5)


def _bn_inputs():
    rng = np.random.RandomState(0)
    x = mx.nd.array(rng.uniform(-1, 1, (4, 3, 2, 2)))
    return x, mx.nd.array([1.5, 0.5, -1.0]), mx.nd.array([0.1, -0.2, 0.3]), \
        mx.nd.array(rng.uniform(-1, 1, (4, 3, 2, 2)))


@pytest.mark.parametrize("name,dx,dg,db", [
    ("SyncBatchNorm", [-0.49253, 0.16559, 0.97177, 0.14226, 1.0747, -0.48501], [-4.27507, -2.23785, 4.13064],
     [-2.87794, -3.4938, -2.38824]),
    ("BatchNormWithReLU", [-0.32647, 0.1931, 1.0929, 0.31159, 0.11012, -0.49328], [-2.81454, -2.96963, 3.56326],
     [-3.89901, -3.02506, -2.12872]),
])
def test_batchnorm_variants_as_mxnet_1_9_1(name, dx, dg, db):
    x, g, b, w = _bn_inputs()
    mm, mv = mx.nd.zeros(3), mx.nd.ones(3)
    for v in (x, g, b):
        v.attach_grad()
    kw = dict(key='k1') if name == 'SyncBatchNorm' else {}
    with mx.autograd.record():
        y = getattr(mx.nd.contrib, name)(x, g, b, mm, mv, fix_gamma=False, **kw)
        (y * w).sum().backward()
    with mx.autograd.train_mode():
        ref = mx.nd.BatchNorm(x, g, b, mx.nd.zeros(3), mx.nd.ones(3), fix_gamma=False).asnumpy()
    np.testing.assert_allclose(y.asnumpy(), np.maximum(ref, 0) if name == 'BatchNormWithReLU' else ref, rtol=1e-5,
                               atol=1e-6)
    np.testing.assert_allclose(x.grad.asnumpy().ravel()[:6], dx, atol=1e-5)
    np.testing.assert_allclose(g.grad.asnumpy(), dg, atol=1e-4)
    np.testing.assert_allclose(b.grad.asnumpy(), db, atol=1e-4)
    np.testing.assert_allclose(mm.asnumpy(), [0.00955, 0.00537, 0.01282], atol=1e-5)
    np.testing.assert_allclose(mv.asnumpy(), [0.93279, 0.92807, 0.92945], atol=1e-5)
    # Outside training: the moving statistics.
    y = getattr(mx.nd.contrib, name)(x, g, b, mm, mv, fix_gamma=False, **kw).asnumpy()
    first = [0.23671, 0.75324, 0.4042, 0.22451, -0.28199, -0.05142]
    np.testing.assert_allclose(y.ravel()[:6], np.maximum(first, 0) if name == 'BatchNormWithReLU' else first,
                               atol=1e-5)


def test_gluon_batchnorm_relu_and_sync_batchnorm():
    assert repr(mx.gluon.nn.BatchNormReLU(in_channels=3)) == \
        "BatchNormReLU(axis=1, eps=1e-05, momentum=0.9, fix_gamma=False, use_global_stats=False, in_channels=3)"
    sbn = mx.gluon.contrib.nn.SyncBatchNorm(in_channels=3, num_devices=1, prefix='syncbatchnorm0_')
    assert repr(sbn) == ("SyncBatchNorm(eps=1e-05, momentum=0.9, fix_gamma=False, use_global_stats=False, ndev=1, "
                         "key='syncbatchnorm0_', in_channels=3)")
    x = mx.nd.array(np.random.RandomState(1).uniform(-2, 2, (4, 3, 5)))
    for cls, post in ((mx.gluon.nn.BatchNormReLU, lambda v: np.maximum(v, 0)),
                      (mx.gluon.contrib.nn.SyncBatchNorm, lambda v: v)):
        net, ref = cls(), mx.gluon.nn.BatchNorm()
        net.initialize()
        ref.initialize()
        with mx.autograd.record():
            y, r = net(x), ref(x)
        np.testing.assert_allclose(y.asnumpy(), post(r.asnumpy()), rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(net.running_mean.data().asnumpy(), ref.running_mean.data().asnumpy(), rtol=1e-6)
        net.hybridize()
        np.testing.assert_allclose(net(x).asnumpy(), post(ref(x).asnumpy()), rtol=1e-5, atol=1e-6)
