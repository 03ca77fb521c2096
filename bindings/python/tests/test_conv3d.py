"""3-D (NCDHW) Convolution, Deconvolution and Pooling, and Gluon's Conv3D, Conv3DTranspose, MaxPool3D, AvgPool3D,
GlobalMaxPool3D and GlobalAvgPool3D: against naive NumPy loops and values printed by MXNet 1.9.1 (gradients by
finite differences are in test_executor_grad.py)."""
import itertools

import numpy as np
import pytest

import mxc as mx


def _conv3d_ref(x, w, b, stride, pad, dilate, groups):
    """Direct cross-correlation: out[n, f, o] = b[f] + sum_{c, k} w[f, c, k] * xpad[n, g*Cg + c, o*s + k*d]."""
    N, C, D, H, W = x.shape
    F, Cg = w.shape[:2]
    k = w.shape[2:]
    xp = np.pad(x, [(0, 0), (0, 0)] + [(p, p) for p in pad])
    osz = [(xp.shape[2 + i] - dilate[i] * (k[i] - 1) - 1) // stride[i] + 1 for i in range(3)]
    y = np.zeros((N, F) + tuple(osz))
    Fg = F // groups
    for f in range(F):
        g = f // Fg
        for o in itertools.product(*[range(s) for s in osz]):
            acc = np.zeros(N)
            for t in itertools.product(*[range(e) for e in k]):
                idx = tuple(o[i] * stride[i] + t[i] * dilate[i] for i in range(3))
                acc += np.einsum('nc,c->n', xp[:, g * Cg:(g + 1) * Cg, idx[0], idx[1], idx[2]], w[f, :, t[0], t[1], t[2]])
            y[(slice(None), f) + o] = acc + (b[f] if b is not None else 0)
    return y


def _pool3d_ref(x, kernel, stride, pad, kind, count_include_pad=True):
    N, C = x.shape[:2]
    sz = x.shape[2:]
    osz = [(sz[i] + 2 * pad[i] - kernel[i]) // stride[i] + 1 for i in range(3)]
    y = np.zeros((N, C) + tuple(osz))
    for o in itertools.product(*[range(s) for s in osz]):
        lo = [o[i] * stride[i] - pad[i] for i in range(3)]
        hi = [min(lo[i] + kernel[i], sz[i] + pad[i]) for i in range(3)]
        size = np.prod([hi[i] - lo[i] for i in range(3)])
        lo_c = [max(v, 0) for v in lo]
        hi_c = [min(hi[i], sz[i]) for i in range(3)]
        win = x[:, :, lo_c[0]:hi_c[0], lo_c[1]:hi_c[1], lo_c[2]:hi_c[2]].reshape(N, C, -1)
        if kind == 'max':
            v = win.max(axis=2)
        elif kind == 'sum':
            v = win.sum(axis=2)
        else:
            v = win.sum(axis=2) / (size if count_include_pad else win.shape[2])
        y[(slice(None), slice(None)) + o] = v
    return y


CONV_CASES = [
    dict(stride=(1, 1, 1), pad=(0, 0, 0), dilate=(1, 1, 1), groups=1),
    dict(stride=(2, 1, 2), pad=(1, 0, 1), dilate=(1, 1, 1), groups=1),
    dict(stride=(1, 2, 1), pad=(0, 1, 1), dilate=(2, 1, 1), groups=2),
]


@pytest.mark.parametrize("c", CONV_CASES)
def test_convolution_3d_matches_naive(c):
    rng = np.random.RandomState(0)
    x = rng.uniform(-1, 1, (2, 4, 6, 5, 6))
    w = rng.uniform(-1, 1, (6, 4 // c['groups'], 2, 3, 2))
    b = rng.uniform(-1, 1, (6,))
    y = mx.nd.Convolution(mx.nd.array(x, dtype='float64'), mx.nd.array(w, dtype='float64'),
                          mx.nd.array(b, dtype='float64'), kernel=(2, 3, 2), num_filter=6,
                          stride=c['stride'], pad=c['pad'], dilate=c['dilate'], num_group=c['groups'])
    ref = _conv3d_ref(x, w, b, c['stride'], c['pad'], c['dilate'], c['groups'])
    assert y.shape == ref.shape
    np.testing.assert_allclose(y.asnumpy(), ref, rtol=1e-12, atol=1e-12)


def test_convolution_3d_one_by_one_and_float32():
    rng = np.random.RandomState(1)
    x = rng.uniform(-1, 1, (3, 5, 3, 4, 2)).astype(np.float32)
    w = rng.uniform(-1, 1, (2, 5, 1, 1, 1)).astype(np.float32)
    y = mx.nd.Convolution(mx.nd.array(x), mx.nd.array(w), kernel=(1, 1, 1), num_filter=2, no_bias=True)
    np.testing.assert_allclose(y.asnumpy(), np.einsum('ncdhw,fc->nfdhw', x, w[:, :, 0, 0, 0]), rtol=1e-5, atol=1e-6)


def test_deconvolution_3d_is_the_adjoint_of_convolution():
    # <deconv(y, w), x> == <y, conv(x, w)> for the same geometry (no bias).
    rng = np.random.RandomState(2)
    kw = dict(kernel=(2, 3, 2), stride=(2, 1, 2), pad=(1, 1, 0), dilate=(1, 1, 2))
    x = rng.uniform(-1, 1, (2, 3, 6, 5, 7))
    w = rng.uniform(-1, 1, (4, 3, 2, 3, 2))
    cx = mx.nd.Convolution(mx.nd.array(x, dtype='float64'), mx.nd.array(w, dtype='float64'), num_filter=4,
                           no_bias=True, **kw)
    y = rng.uniform(-1, 1, cx.shape)
    dy = mx.nd.Deconvolution(mx.nd.array(y, dtype='float64'), mx.nd.array(w, dtype='float64'), num_filter=3,
                             target_shape=x.shape[2:], **kw)
    assert dy.shape == x.shape
    np.testing.assert_allclose(np.sum(dy.asnumpy() * x), np.sum(y * cx.asnumpy()), rtol=1e-12)


@pytest.mark.parametrize("kind,kernel,stride,pad,cip", [
    ('max', (2, 2, 2), (2, 2, 2), (0, 0, 0), True),
    ('avg', (3, 2, 3), (1, 2, 2), (1, 1, 1), True),
    ('avg', (3, 2, 3), (2, 1, 2), (1, 1, 1), False),
    ('sum', (2, 3, 2), (2, 1, 2), (0, 1, 0), True),
])
def test_pooling_3d_matches_naive(kind, kernel, stride, pad, cip):
    rng = np.random.RandomState(3)
    x = rng.uniform(-1, 1, (2, 3, 5, 6, 5))
    y = mx.nd.Pooling(mx.nd.array(x, dtype='float64'), kernel=kernel, stride=stride, pad=pad, pool_type=kind,
                      count_include_pad=cip)
    np.testing.assert_allclose(y.asnumpy(), _pool3d_ref(x, kernel, stride, pad, kind, cip), rtol=1e-12, atol=1e-12)
    g = mx.nd.Pooling(mx.nd.array(x), global_pool=True, pool_type=kind if kind != 'sum' else 'avg', kernel=(1, 1, 1))
    red = x.max(axis=(2, 3, 4)) if kind == 'max' else x.mean(axis=(2, 3, 4))
    np.testing.assert_allclose(g.asnumpy(), red[:, :, None, None, None], rtol=1e-5, atol=1e-6)


def _mx191_input():
    return mx.nd.array(np.arange(2 * 2 * 4 * 5 * 4).reshape(2, 2, 4, 5, 4) % 7 * 0.25 - 0.5)


def test_values_as_mxnet_1_9_1():
    # Printed by MXNet 1.9.1 for these inputs: y[:6], sum(y), then after backward of sum(y*y) (for pooling,
    # sum(y*y*arange)), x.grad[:5] (conv) or [:8] (pooling) and w.grad[:5].
    x = _mx191_input()
    w = mx.nd.array(np.arange(3 * 2 * 2 * 3 * 2).reshape(3, 2, 2, 3, 2) % 5 * 0.1 - 0.2)
    b = mx.nd.array([0.1, -0.2, 0.3])
    x.attach_grad()
    w.attach_grad()
    with mx.autograd.record():
        y = mx.nd.Convolution(x, w, b, kernel=(2, 3, 2), num_filter=3, stride=(2, 1, 2), pad=(1, 0, 1))
        (y * y).sum().backward()
    assert y.shape == (2, 3, 3, 3, 3)
    np.testing.assert_allclose(y.asnumpy().ravel()[:6], [0.375, 0.725, -0.025, -0.2, -0.325, 0.375], atol=1e-6)
    np.testing.assert_allclose(y.asnumpy().sum(), 8.050000190734863, rtol=1e-5)
    np.testing.assert_allclose(x.grad.asnumpy().ravel()[:5], [-0.095, -0.125, 0.07, 0.215, 0.09], atol=1e-5)
    np.testing.assert_allclose(w.grad.asnumpy().ravel()[:5], [-2.0125, -5.0875, 2.7625, 5.0125, 0.5375], atol=1e-4)

    wd = mx.nd.array(np.arange(2 * 4 * 2 * 2 * 3).reshape(2, 4, 2, 2, 3) % 3 * 0.2 - 0.1)
    wd.attach_grad()
    with mx.autograd.record():
        y = mx.nd.Deconvolution(x, wd, kernel=(2, 2, 3), num_filter=4, stride=(2, 2, 1), pad=(1, 0, 1), adj=(1, 0, 0))
        (y * y).sum().backward()
    assert y.shape == (2, 4, 7, 10, 4)
    np.testing.assert_allclose(y.asnumpy().ravel()[:6], [-0.05, -0.125, 0.025, 0.35, -0.05, -0.125], atol=1e-6)
    np.testing.assert_allclose(y.asnumpy().sum(), 276.0, rtol=1e-5)
    np.testing.assert_allclose(x.grad.asnumpy().ravel()[:5], [-0.68, 0.0, 1.92, 0.52, -0.32], atol=1e-5)
    np.testing.assert_allclose(wd.grad.asnumpy().ravel()[:5], [1.35, 11.1625, 15.1625, 1.35, 11.1625], atol=1e-4)

    for kw, first, total, grad in [
            (dict(kernel=(2, 2, 2), pool_type='max'), [1, 1, 1, 0.75, 1, 1], 139.0, [0, 0, 0, 0, 0, 4.5, 24, 0]),
            (dict(kernel=(3, 2, 3), stride=(1, 2, 2), pad=(1, 1, 1), pool_type='avg'),
             [-0.013889, -0.041667, 0.055556, 0.236111, 0.166667, 0.208333], 13.68055534362793,
             [0.055556, 0.029321, -0.026235, -0.026235, 0.098765, 0.455247, 0.356481, 0.356481]),
            (dict(kernel=(2, 3, 2), stride=(2, 1, 2), pool_type='sum'), [0.75, 3.25, 4, 3, 2, 2.75], 141.75,
             [0, 0, 6.5, 6.5, 16, 16, 24.5, 24.5])]:
        x = _mx191_input()
        x.attach_grad()
        with mx.autograd.record():
            y = mx.nd.Pooling(x, **kw)
            (y * y * mx.nd.arange(y.size).reshape(y.shape)).sum().backward()
        np.testing.assert_allclose(y.asnumpy().ravel()[:6], first, atol=1e-6)
        np.testing.assert_allclose(y.asnumpy().sum(), total, rtol=1e-5)
        np.testing.assert_allclose(x.grad.asnumpy().ravel()[:8], grad, atol=1e-5)


def test_shape_inference_and_errors():
    data = mx.sym.Variable('data')
    conv = mx.sym.Convolution(data, kernel=(3, 3, 3), num_filter=8, pad=(1, 1, 1), name='c')
    args, outs, _ = conv.infer_shape(data=(2, 3, 8, 9, 10))
    assert dict(zip(conv.list_arguments(), args))['c_weight'] == (8, 3, 3, 3, 3)
    assert outs == [(2, 8, 8, 9, 10)]
    pool = mx.sym.Pooling(conv, kernel=(2, 2, 2), stride=(2, 2, 2), pooling_convention='full')
    assert pool.infer_shape(data=(2, 3, 8, 9, 10))[1] == [(2, 8, 4, 5, 5)]
    with pytest.raises(mx.MXNetError, match=r"Convolution.*5-D.*\(2,3,8,9\)"):
        mx.nd.Convolution(mx.nd.ones((2, 3, 8, 9)), mx.nd.ones((4, 3, 3, 3, 3)), kernel=(3, 3, 3), num_filter=4,
                          no_bias=True)
    with pytest.raises(mx.MXNetError, match=r"Pooling.*kernel \(2,2\).*3 dimension"):
        mx.nd.Pooling(mx.nd.ones((1, 1, 4, 4, 4)), kernel=(2, 2))
    with pytest.raises(mx.MXNetError, match=r"Convolution.*kernel must have 1, 2 or 3 dimensions"):
        mx.nd.Convolution(mx.nd.ones((1, 1, 2, 2, 2, 2)), mx.nd.ones((1, 1, 1, 1, 1, 1)), kernel=(1, 1, 1, 1),
                          num_filter=1, no_bias=True)


def test_gluon_3d_layers():
    net = mx.gluon.nn.HybridSequential()
    with net.name_scope():
        net.add(mx.gluon.nn.Conv3D(4, kernel_size=3, padding=1, activation='relu'),
                mx.gluon.nn.MaxPool3D(),
                mx.gluon.nn.Conv3DTranspose(2, kernel_size=2, strides=2),
                mx.gluon.nn.AvgPool3D(pool_size=(1, 2, 2)),
                mx.gluon.nn.GlobalAvgPool3D())
    net.initialize(mx.init.Xavier())
    x = mx.nd.array(np.random.RandomState(4).uniform(-1, 1, (2, 3, 4, 6, 6)))
    y = net(x)
    assert y.shape == (2, 2, 1, 1, 1)
    net.hybridize()
    np.testing.assert_allclose(net(x).asnumpy(), y.asnumpy(), rtol=1e-5, atol=1e-6)
    assert repr(mx.gluon.nn.Conv3D(4, 3, in_channels=2)) == "Conv3D(2 -> 4, kernel_size=(3, 3, 3), stride=(1, 1, 1))"
    assert repr(mx.gluon.nn.Conv3DTranspose(4, 3, in_channels=2)) == \
        "Conv3DTranspose(4 -> 2, kernel_size=(3, 3, 3), stride=(1, 1, 1))"
    assert repr(mx.gluon.nn.MaxPool3D()) == ("MaxPool3D(size=(2, 2, 2), stride=(2, 2, 2), padding=(0, 0, 0), "
                                            "ceil_mode=False, global_pool=False, pool_type=max, layout=NCDHW)")
    assert mx.gluon.nn.GlobalMaxPool3D()(x).shape == (2, 3, 1, 1, 1)
    with pytest.raises(NotImplementedError, match="NCDHW"):
        mx.gluon.nn.Conv3D(4, 3, layout='NDHWC')
    # Gluon trains through it: the loss falls on a fixed batch.
    net2 = mx.gluon.nn.HybridSequential()
    net2.add(mx.gluon.nn.Conv3D(3, 3, padding=1), mx.gluon.nn.GlobalAvgPool3D(), mx.gluon.nn.Flatten())
    net2.initialize(mx.init.Xavier())
    tr = mx.gluon.Trainer(net2.collect_params(), 'sgd', {'learning_rate': 0.5})
    label = mx.nd.array([0, 2])
    lossf = mx.gluon.loss.SoftmaxCrossEntropyLoss()
    losses = []
    for _ in range(20):
        with mx.autograd.record():
            loss = lossf(net2(x), label)
        loss.backward()
        tr.step(2)
        losses.append(loss.mean().asscalar())
    assert losses[-1] < 0.7 * losses[0]
