"""mx.gluon: Parameters, Blocks, layers, losses, Trainer and data loading.

Names, shapes, reprs, file keys, DataLoader batches, and a few values (BatchNorm statistics and gradients, losses)
were printed by Apache MXNet 1.9.1 for the same programs and are written here as plain values; layer outputs and
gradients are also checked against NumPy computations.
"""

import numpy as np
import pytest

import mxc as mx
from mxc import autograd, gluon, nd
from mxc.base import MXNetError
from mxc.gluon import nn


def _ctx():
    return mx.current_context()


def _arr(a, dtype=np.float32):
    return nd.array(np.asarray(a, dtype=dtype), ctx=_ctx(), dtype=dtype)


# ----------------------------------------------------------------------------------------------------------------
# names, shapes and reprs (MXNet 1.9.1's answers)
# ----------------------------------------------------------------------------------------------------------------
def test_sequential_names_deferred_shapes_and_file_keys_as_mxnet(tmp_path):
    with mx.name.NameManager():  # fresh counters, as in a new MXNet process
        net = nn.Sequential()
        with net.name_scope():
            net.add(nn.Dense(4, activation='relu'), nn.Dense(3))
        net.initialize(ctx=_ctx())
        assert (net.name, net.prefix) == ('sequential0', 'sequential0_')
        assert sorted((k, v.shape) for k, v in net.collect_params().items()) == [
            ('sequential0_dense0_bias', (4,)), ('sequential0_dense0_weight', (4, 0)),
            ('sequential0_dense1_bias', (3,)), ('sequential0_dense1_weight', (3, 0))]
        assert repr(net) == ("Sequential(\n  (0): Dense(None -> 4, Activation(relu))\n"
                             "  (1): Dense(None -> 3, linear)\n)")
        out = net(_arr(np.ones((2, 5))))
        assert out.shape == (2, 3)
        assert sorted((k, v.shape) for k, v in net.collect_params().items()) == [
            ('sequential0_dense0_bias', (4,)), ('sequential0_dense0_weight', (4, 5)),
            ('sequential0_dense1_bias', (3,)), ('sequential0_dense1_weight', (3, 4))]
        assert repr(net[0]) == "Dense(5 -> 4, Activation(relu))"
        f = str(tmp_path / "a.params")
        net.save_parameters(f)
        assert sorted(nd.load(f).keys()) == ['0.bias', '0.weight', '1.bias', '1.weight']

        d = nn.Dense(5)
        assert (d.name, d.prefix, d.weight.name, d.weight.shape, d.bias.shape) == \
            ('dense0', 'dense0_', 'dense0_weight', (5, 0), (5,))
        assert repr(d) == "Dense(None -> 5, linear)"
        assert repr(nn.Dense(5, in_units=3, activation='tanh', use_bias=False)) == "Dense(3 -> 5, Activation(tanh))"
        c = nn.Conv2D(8, 3, padding=1)
        assert (c.name, c.weight.shape) == ('conv0', (8, 0, 3, 3))
        assert repr(c) == "Conv2D(None -> 8, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1))"
        c2 = nn.Conv2D(8, (3, 5), strides=2, in_channels=3, groups=1, activation='relu')
        assert repr(c2) == "Conv2D(3 -> 8, kernel_size=(3, 5), stride=(2, 2), Activation(relu))"
        assert c2.weight.shape == (8, 3, 3, 5)
        bn = nn.BatchNorm()
        assert bn.name == 'batchnorm0'
        assert sorted(bn.params.keys()) == ['batchnorm0_beta', 'batchnorm0_gamma', 'batchnorm0_running_mean',
                                            'batchnorm0_running_var']
        assert [(p.name, p.grad_req) for p in bn.params.values()] == [
            ('batchnorm0_gamma', 'write'), ('batchnorm0_beta', 'write'), ('batchnorm0_running_mean', 'null'),
            ('batchnorm0_running_var', 'null')]
        assert repr(bn) == ("BatchNorm(axis=1, eps=1e-05, momentum=0.9, fix_gamma=False, use_global_stats=False, "
                            "in_channels=None)")
        assert nn.Sequential().name == 'sequential1'
        seq = nn.Sequential()
        seq.add(nn.Dense(2))  # no name_scope: the child takes a global name
        assert sorted(seq.collect_params().keys()) == ['dense2_bias', 'dense2_weight']


def test_layer_reprs_as_mxnet():
    assert [repr(b) for b in (nn.MaxPool2D(), nn.AvgPool2D(3, 2), nn.GlobalAvgPool2D(), nn.Dropout(0.5),
                              nn.Activation('relu'), nn.Flatten(), nn.LeakyReLU(0.1), nn.Embedding(10, 4),
                              nn.LayerNorm())] == [
        "MaxPool2D(size=(2, 2), stride=(2, 2), padding=(0, 0), ceil_mode=False, global_pool=False, pool_type=max, "
        "layout=NCHW)",
        "AvgPool2D(size=(3, 3), stride=(2, 2), padding=(0, 0), ceil_mode=False, global_pool=False, pool_type=avg, "
        "layout=NCHW)",
        "GlobalAvgPool2D(size=(1, 1), stride=(1, 1), padding=(0, 0), ceil_mode=True, global_pool=True, "
        "pool_type=avg, layout=NCHW)",
        "Dropout(p = 0.5, axes=())", "Activation(relu)", "Flatten", "LeakyReLU(0.1)", "Embedding(10 -> 4, float32)",
        "LayerNorm(eps=1e-05, axis=-1, center=True, scale=True, in_channels=0)"]
    assert repr(gluon.loss.L2Loss()) == "L2Loss(batch_axis=0, w=1.0)"
    assert repr(gluon.loss.SoftmaxCrossEntropyLoss()) == "SoftmaxCrossEntropyLoss(batch_axis=0, w=None)"
    assert repr(gluon.Parameter('w', shape=(2, 2))) == "Parameter w (shape=(2, 2), dtype=<class 'numpy.float32'>)"
    pd = gluon.ParameterDict('pre_')
    pd.get('a', shape=(3,), dtype='float32')
    assert repr(pd) == "pre_ (\n  Parameter pre_a (shape=(3,), dtype=float32)\n)"


def test_hybrid_sequential_prefix_select_and_inferred_shapes_as_mxnet(tmp_path):
    with mx.name.NameManager():
        hs = nn.HybridSequential(prefix='model_')
        with hs.name_scope():
            hs.add(nn.Conv2D(4, 3), nn.BatchNorm(), nn.Activation('relu'), nn.MaxPool2D(), nn.Flatten(), nn.Dense(2))
        assert sorted(hs.collect_params().keys()) == [
            'model_batchnorm0_beta', 'model_batchnorm0_gamma', 'model_batchnorm0_running_mean',
            'model_batchnorm0_running_var', 'model_conv0_bias', 'model_conv0_weight', 'model_dense0_bias',
            'model_dense0_weight']
        assert sorted(hs.collect_params('.*weight|.*bias').keys()) == [
            'model_conv0_bias', 'model_conv0_weight', 'model_dense0_bias', 'model_dense0_weight']
        assert repr(hs) == (
            "HybridSequential(\n"
            "  (0): Conv2D(None -> 4, kernel_size=(3, 3), stride=(1, 1))\n"
            "  (1): BatchNorm(axis=1, eps=1e-05, momentum=0.9, fix_gamma=False, use_global_stats=False, "
            "in_channels=None)\n"
            "  (2): Activation(relu)\n"
            "  (3): MaxPool2D(size=(2, 2), stride=(2, 2), padding=(0, 0), ceil_mode=False, global_pool=False, "
            "pool_type=max, layout=NCHW)\n"
            "  (4): Flatten\n"
            "  (5): Dense(None -> 2, linear)\n)")
        hs.initialize(ctx=_ctx())
        hs.hybridize()
        assert hs(_arr(np.ones((1, 3, 8, 8)))).shape == (1, 2)
        assert sorted((k, v.shape) for k, v in hs.collect_params().items()) == [
            ('model_batchnorm0_beta', (4,)), ('model_batchnorm0_gamma', (4,)), ('model_batchnorm0_running_mean', (4,)),
            ('model_batchnorm0_running_var', (4,)), ('model_conv0_bias', (4,)), ('model_conv0_weight', (4, 3, 3, 3)),
            ('model_dense0_bias', (2,)), ('model_dense0_weight', (2, 36))]
        f = str(tmp_path / "b.params")
        hs.save_parameters(f)
        assert sorted(nd.load(f).keys()) == ['0.bias', '0.weight', '1.beta', '1.gamma', '1.running_mean',
                                             '1.running_var', '5.bias', '5.weight']
        assert len(hs) == 6 and isinstance(hs[3], nn.MaxPool2D)
        assert isinstance(hs[1:3], nn.HybridSequential) and len(hs[1:3]) == 2


def test_custom_blocks_children_by_attribute_and_hybrid_forward_params():
    class Net(gluon.HybridBlock):
        def __init__(self, **kwargs):
            super(Net, self).__init__(**kwargs)
            with self.name_scope():
                self.hidden = nn.Dense(6, activation='relu')
                self.out = nn.Dense(2)
                self.proj = self.params.get('proj', shape=(2, 0), init=mx.init.One(), allow_deferred_init=True)

        def hybrid_forward(self, F, x, proj):
            h = self.hidden(x)
            return self.out(h) + F.FullyConnected(h, proj, no_bias=True, num_hidden=2)

    net = Net(prefix='net_')
    assert sorted(net.collect_params().keys()) == ['net_dense0_bias', 'net_dense0_weight', 'net_dense1_bias',
                                                   'net_dense1_weight', 'net_proj']
    net.initialize(ctx=_ctx())
    with pytest.raises(gluon.DeferredInitializationError, match="net_proj.*deferred"):
        net.proj.data()
    x = np.random.RandomState(0).randn(3, 4).astype(np.float32)
    y = net(_arr(x))
    # the shape of 'proj' was inferred (through hybrid_forward on Symbols) from the hidden layer's output
    assert net.proj.shape == (2, 6)
    w1, b1 = net.hidden.weight.data().asnumpy(), net.hidden.bias.data().asnumpy()
    w2, b2 = net.out.weight.data().asnumpy(), net.out.bias.data().asnumpy()
    h = np.maximum(x @ w1.T + b1, 0)
    ref = h @ w2.T + b2 + h.sum(1, keepdims=True)
    np.testing.assert_allclose(y.asnumpy(), ref, rtol=1e-5, atol=1e-5)
    assert repr(net).startswith("Net(\n  (hidden): Dense(4 -> 6, Activation(relu))\n  (out): Dense(6 -> 2, linear)")

    class Plain(gluon.Block):
        def __init__(self):
            super(Plain, self).__init__()
            with self.name_scope():
                self.a = nn.Dense(3, in_units=2)

        def forward(self, x):
            return self.a(x) * 2

    p = Plain()
    p.initialize(mx.init.Constant(0.5), ctx=_ctx())
    np.testing.assert_allclose(p(_arr([[1., 2.]])).asnumpy(), [[3., 3., 3.]])  # bias 'zeros' beats init


# ----------------------------------------------------------------------------------------------------------------
# layers against NumPy
# ----------------------------------------------------------------------------------------------------------------
def test_dense_forward_and_gradient_against_numpy():
    rs = np.random.RandomState(1)
    x = rs.randn(4, 2, 3).astype(np.float32)
    d = nn.Dense(5, activation='tanh')
    d.initialize(mx.init.Xavier(), ctx=_ctx())
    xa = _arr(x)
    with autograd.record():
        y = d(xa)
        loss = (y * y).sum()
    loss.backward()
    w, b = d.weight.data().asnumpy(), d.bias.data().asnumpy()
    assert w.shape == (5, 6)
    xf = x.reshape(4, 6)
    yr = np.tanh(xf @ w.T + b)
    np.testing.assert_allclose(y.asnumpy(), yr, rtol=1e-5, atol=1e-5)
    gz = 2 * yr * (1 - yr ** 2)
    np.testing.assert_allclose(d.weight.grad().asnumpy(), gz.T @ xf, rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(d.bias.grad().asnumpy(), gz.sum(0), rtol=1e-4, atol=1e-4)
    # flatten=False transforms the last axis only
    d2 = nn.Dense(2, flatten=False, use_bias=False, in_units=3)
    d2.initialize(ctx=_ctx())
    assert d2.bias is None
    np.testing.assert_allclose(d2(xa).asnumpy(), x @ d2.weight.data().asnumpy().T, rtol=1e-5, atol=1e-5)


def _conv_ref(x, w, b, stride, pad, groups=1):
    n, c, h, wd = x.shape
    f, cg, kh, kw = w.shape
    xp = np.pad(x, ((0, 0), (0, 0), (pad[0], pad[0]), (pad[1], pad[1])))
    oh = (h + 2 * pad[0] - kh) // stride[0] + 1
    ow = (wd + 2 * pad[1] - kw) // stride[1] + 1
    out = np.zeros((n, f, oh, ow), np.float64)
    fpg = f // groups
    for o in range(f):
        g = o // fpg
        for i in range(oh):
            for j in range(ow):
                patch = xp[:, g * cg:(g + 1) * cg, i * stride[0]:i * stride[0] + kh, j * stride[1]:j * stride[1] + kw]
                out[:, o, i, j] = (patch * w[o]).sum(axis=(1, 2, 3)) + (b[o] if b is not None else 0)
    return out


def test_conv2d_and_pooling_against_numpy():
    rs = np.random.RandomState(2)
    x = rs.randn(2, 4, 7, 6).astype(np.float32)
    conv = nn.Conv2D(6, (3, 2), strides=(2, 1), padding=(1, 0), groups=2)
    conv.initialize(mx.init.Normal(0.5), ctx=_ctx())
    y = conv(_arr(x))
    assert conv.weight.shape == (6, 2, 3, 2)
    ref = _conv_ref(x, conv.weight.data().asnumpy(), conv.bias.data().asnumpy(), (2, 1), (1, 0), groups=2)
    assert y.shape == ref.shape == (2, 6, 4, 5)
    np.testing.assert_allclose(y.asnumpy(), ref, rtol=1e-4, atol=1e-4)
    r = nn.Conv2D(3, 3, in_channels=4, activation='relu', use_bias=False)
    r.initialize(ctx=_ctx())
    np.testing.assert_allclose(r(_arr(x)).asnumpy(), np.maximum(_conv_ref(x, r.weight.data().asnumpy(), None,
                                                                         (1, 1), (0, 0)), 0), rtol=1e-4, atol=1e-4)

    xp = x[:, :, :6, :6]
    mp = nn.MaxPool2D()(_arr(xp)).asnumpy()
    np.testing.assert_allclose(mp, xp.reshape(2, 4, 3, 2, 3, 2).max(axis=(3, 5)), rtol=1e-6)
    ap = nn.AvgPool2D(pool_size=3, strides=3)(_arr(xp)).asnumpy()
    np.testing.assert_allclose(ap, xp.reshape(2, 4, 2, 3, 2, 3).mean(axis=(3, 5)), rtol=1e-5, atol=1e-6)
    gp = nn.GlobalAvgPool2D()(_arr(x)).asnumpy()
    np.testing.assert_allclose(gp, x.mean(axis=(2, 3), keepdims=True), rtol=1e-5, atol=1e-6)
    assert nn.Flatten()(_arr(x)).shape == (2, 4 * 7 * 6)


def test_batchnorm_training_statistics_and_gradients_as_mxnet():
    x = np.arange(24, dtype=np.float32).reshape(2, 3, 2, 2) / 10.0
    bn = nn.BatchNorm(in_channels=3)
    bn.initialize(ctx=_ctx())
    xa = _arr(x)
    with autograd.record():
        y = bn(xa)
        loss = (y * _arr(np.arange(24).reshape(2, 3, 2, 2))).sum()
    loss.backward()
    mean = x.mean(axis=(0, 2, 3), keepdims=True)
    var = x.var(axis=(0, 2, 3), keepdims=True)
    np.testing.assert_allclose(y.asnumpy(), (x - mean) / np.sqrt(var + 1e-5), rtol=1e-4, atol=1e-5)
    # MXNet 1.9.1: running = 0.9 * running + 0.1 * batch statistic (biased variance)
    np.testing.assert_allclose(bn.running_mean.data().asnumpy(), [0.075, 0.115, 0.155], rtol=1e-5)
    np.testing.assert_allclose(bn.running_var.data().asnumpy(), [0.93725] * 3, rtol=1e-5)
    np.testing.assert_allclose(bn.gamma.grad().asnumpy(), [48.82557] * 3, rtol=1e-4)
    np.testing.assert_allclose(bn.beta.grad().asnumpy(), [60., 92., 124.], rtol=1e-6)
    # prediction mode normalises with the running statistics (MXNet: [[-0.07747, 0.02582], [0.12912, 0.23241]])
    pred = bn(xa).asnumpy()
    np.testing.assert_allclose(pred[0, 0], [[-0.07747, 0.02582], [0.12912, 0.23241]], atol=1e-5)
    rm = bn.running_mean.data().asnumpy().reshape(1, 3, 1, 1)
    rv = bn.running_var.data().asnumpy().reshape(1, 3, 1, 1)
    np.testing.assert_allclose(pred, (x - rm) / np.sqrt(rv + 1e-5), rtol=1e-4, atol=1e-5)
    assert repr(bn).endswith("in_channels=3)")


def test_layernorm_embedding_leakyrelu_dropout_activation():
    rs = np.random.RandomState(3)
    x = rs.randn(4, 5).astype(np.float32)
    ln = nn.LayerNorm()
    ln.initialize(ctx=_ctx())
    y = ln(_arr(x)).asnumpy()
    assert ln.gamma.shape == (5,)
    np.testing.assert_allclose(y, (x - x.mean(-1, keepdims=True)) / np.sqrt(x.var(-1, keepdims=True) + 1e-5),
                               rtol=1e-4, atol=1e-5)
    emb = nn.Embedding(10, 3)
    emb.initialize(ctx=_ctx())
    idx = np.array([[1, 4], [9, 1]])
    np.testing.assert_allclose(emb(_arr(idx)).asnumpy(), emb.weight.data().asnumpy()[idx])
    np.testing.assert_allclose(nn.LeakyReLU(0.1)(_arr(x)).asnumpy(), np.where(x > 0, x, 0.1 * x), rtol=1e-6)
    np.testing.assert_allclose(nn.Activation('sigmoid')(_arr(x)).asnumpy(), 1 / (1 + np.exp(-x)), rtol=1e-5)
    drop = nn.Dropout(0.5)
    ones = _arr(np.ones((100, 100)))
    np.testing.assert_array_equal(drop(ones).asnumpy(), 1.0)  # prediction mode: identity
    with autograd.record():
        z = drop(ones).asnumpy()
    assert set(np.unique(z).tolist()) <= {0.0, 2.0}
    assert 0.4 < (z == 0).mean() < 0.6


# ----------------------------------------------------------------------------------------------------------------
# losses
# ----------------------------------------------------------------------------------------------------------------
def test_losses_against_numpy_and_mxnet():
    pred = np.array([[1., 2., 0.5], [0.1, -1., 3.]], np.float32)
    lab = np.array([1, 2])
    logp = pred - np.log(np.exp(pred).sum(-1, keepdims=True))
    sce = gluon.loss.SoftmaxCrossEntropyLoss()(_arr(pred), _arr(lab)).asnumpy()
    np.testing.assert_allclose(sce, -logp[[0, 1], lab], rtol=1e-5)
    np.testing.assert_allclose(sce, [0.4643664, 0.0707713], rtol=1e-4)  # MXNet 1.9.1
    w = gluon.loss.SoftmaxCrossEntropyLoss(weight=2.)(_arr(pred), _arr(lab), _arr([[1.], [0.5]])).asnumpy()
    np.testing.assert_allclose(w, [0.9287328, 0.0707713], rtol=1e-4)
    dense_lab = np.eye(3, dtype=np.float32)[lab]
    np.testing.assert_allclose(gluon.loss.SoftmaxCrossEntropyLoss(sparse_label=False)(
        _arr(pred), _arr(dense_lab)).asnumpy(), sce, rtol=1e-5)
    np.testing.assert_allclose(gluon.loss.SoftmaxCrossEntropyLoss(from_logits=True)(
        _arr(logp), _arr(lab)).asnumpy(), sce, rtol=1e-5)
    l2 = gluon.loss.L2Loss()(_arr(pred), _arr(np.zeros((2, 3)))).asnumpy()
    np.testing.assert_allclose(l2, (pred ** 2 / 2).mean(1), rtol=1e-6)
    np.testing.assert_allclose(l2, [0.875, 1.6683334], rtol=1e-6)
    l1 = gluon.loss.L1Loss()(_arr(pred), _arr(np.ones((2, 3)))).asnumpy()
    np.testing.assert_allclose(l1, [0.5, 1.6333333], rtol=1e-6)
    blab = np.array([[1, 0, 1], [0, 0, 1]], np.float32)
    bce = gluon.loss.SigmoidBCELoss()(_arr(pred), _arr(blab)).asnumpy()
    s = 1 / (1 + np.exp(-pred))
    np.testing.assert_allclose(bce, -(blab * np.log(s) + (1 - blab) * np.log(1 - s)).mean(1), rtol=1e-5)
    np.testing.assert_allclose(bce, [0.9714223, 0.3687486], rtol=1e-5)
    bce_s = gluon.loss.SigmoidBCELoss(from_sigmoid=True)(_arr(s), _arr(blab)).asnumpy()
    np.testing.assert_allclose(bce_s, bce, rtol=1e-4)
    # labels of shape (N, 1), sample weights of shape (N, 1), another batch axis (MXNet 1.9.1's values)
    np.testing.assert_allclose(gluon.loss.SoftmaxCrossEntropyLoss()(_arr(pred), _arr([[1], [2]])).asnumpy(),
                               [0.4643664, 0.0707713], rtol=1e-4)
    x6 = np.arange(12, dtype=np.float32).reshape(2, 6) / 10
    np.testing.assert_allclose(gluon.loss.L2Loss()(_arr(x6), _arr(x6 * 0), _arr([[1.], [2.]])).asnumpy(),
                               [0.0458333, 0.7516667], rtol=1e-5)
    np.testing.assert_allclose(gluon.loss.L1Loss(batch_axis=1)(_arr(x6), _arr(x6 * 0)).asnumpy(),
                               [0.3, 0.4, 0.5, 0.6, 0.7, 0.8], rtol=1e-6)
    # per-sample over non-batch axes, label reshaped to the prediction
    p3 = np.arange(12, dtype=np.float32).reshape(2, 3, 2)
    np.testing.assert_allclose(gluon.loss.L2Loss()(_arr(p3), _arr(np.zeros(12))).asnumpy(),
                               (p3 ** 2 / 2).reshape(2, -1).mean(1), rtol=1e-6)


# ----------------------------------------------------------------------------------------------------------------
# Parameter and ParameterDict
# ----------------------------------------------------------------------------------------------------------------
def test_parameter_lifecycle():
    p = gluon.Parameter('w', shape=(2, 3))
    with pytest.raises(RuntimeError, match="'w' has not been initialized"):
        p.data()
    p.initialize(init='ones', ctx=_ctx())
    assert p.data().asnumpy().tolist() == [[1.] * 3] * 2
    assert p.grad().asnumpy().tolist() == [[0.] * 3] * 2
    assert p.list_data()[0].shape == (2, 3) and p.list_grad()[0].shape == (2, 3)
    assert p.list_ctx() == [_ctx()]
    with autograd.record():
        y = (p.data() * 3).sum()
    y.backward()
    assert p.grad().asnumpy().tolist() == [[3.] * 3] * 2
    p.zero_grad()
    assert p.grad().asnumpy().tolist() == [[0.] * 3] * 2
    p.set_data(np.arange(6).reshape(2, 3))
    assert p.data().asnumpy().tolist() == [[0., 1., 2.], [3., 4., 5.]]
    with pytest.warns(UserWarning, match="already initialized"):
        p.initialize(ctx=_ctx())
    p.initialize(init=mx.init.Zero(), ctx=_ctx(), force_reinit=True)
    assert p.data().asnumpy().sum() == 0
    p.grad_req = 'null'
    with pytest.raises(RuntimeError, match="grad_req='null'"):
        p.grad()
    with pytest.raises(AssertionError, match="grad_req"):  # MXNet 1.9.1: AssertionError
        p.grad_req = 'sometimes'
    with pytest.raises(ValueError, match="non-empty list of distinct contexts"):
        gluon.Parameter('v', shape=(1,)).initialize(ctx=[mx.cpu(0), mx.cpu(0)])
    # 'add' accumulates over backward calls
    q = gluon.Parameter('q', shape=(2,), grad_req='add')
    q.initialize(init='ones', ctx=_ctx())
    for _ in range(2):
        with autograd.record():
            z = (q.data() * q.data()).sum()
        z.backward()
    assert q.grad().asnumpy().tolist() == [4., 4.]
    # deferred: unknown shape
    r = gluon.Parameter('r', shape=(3, 0), allow_deferred_init=True)
    r.initialize(ctx=_ctx())
    with pytest.raises(gluon.DeferredInitializationError, match="'r'.*deferred"):
        r.data()
    with pytest.raises(ValueError, match="invalid shape"):
        gluon.Parameter('s', shape=(3, 0)).initialize(ctx=_ctx())
    c = gluon.Constant('c', [[1., 2.]])
    c.initialize(ctx=_ctx())
    assert c.grad_req == 'null' and c.data().asnumpy().tolist() == [[1., 2.]]


def test_parameter_dict_get_shared_setattr_and_file(tmp_path):
    pd = gluon.ParameterDict('net_')
    a = pd.get('a', shape=(2, 0), allow_deferred_init=True)
    assert pd.get('a', shape=(2, 5)) is a and a.shape == (2, 5)   # unknown dimension completed
    with pytest.raises(AssertionError, match="desired attribute does not match"):
        pd.get('a', shape=(3, 5))
    shared = gluon.ParameterDict('net_', shared=pd)
    assert shared.get('a') is a and 'net_a' in shared
    pd.get('b', shape=(1,), init=mx.init.Constant(7.))
    pd.initialize(mx.init.One(), ctx=_ctx())
    assert pd['net_a'].data().asnumpy().tolist() == [[1.] * 5] * 2
    assert pd['net_b'].data().asnumpy().tolist() == [7.]
    pd.setattr('grad_req', 'null')
    assert all(p.grad_req == 'null' for p in pd.values())
    pd.setattr('lr_mult', 0.5)
    assert pd['net_b'].lr_mult == 0.5
    assert sorted(pd.select('.*b').keys()) == ['net_b']
    f = str(tmp_path / 'pd.params')
    pd.save(f, strip_prefix='net_')
    assert sorted(nd.load(f).keys()) == ['a', 'b']
    fresh = gluon.ParameterDict('net_')
    fresh.get('a', shape=(2, 5))
    fresh.get('b', shape=(1,))
    fresh.load(f, ctx=_ctx(), restore_prefix='net_')
    assert fresh['net_b'].data().asnumpy().tolist() == [7.]
    pd.zero_grad()


# ----------------------------------------------------------------------------------------------------------------
# Trainer
# ----------------------------------------------------------------------------------------------------------------
def _dense_with(w, b):
    d = nn.Dense(w.shape[0], in_units=w.shape[1])
    d.initialize(ctx=_ctx())
    d.weight.set_data(_arr(w))
    d.bias.set_data(_arr(b))
    return d


def test_trainer_sgd_step_matches_hand_update():
    rs = np.random.RandomState(4)
    w, b = rs.randn(3, 4).astype(np.float32), rs.randn(3).astype(np.float32)
    x, t = rs.randn(8, 4).astype(np.float32), rs.randn(8, 3).astype(np.float32)
    d = _dense_with(w, b)
    trainer = gluon.Trainer(d.collect_params(), 'sgd', {'learning_rate': 0.1, 'wd': 0.01})
    assert trainer.learning_rate == 0.1
    with autograd.record():
        loss = gluon.loss.L2Loss()(d(_arr(x)), _arr(t))
    loss.backward()
    trainer.step(8)
    # gradient of sum_i mean_j (y - t)^2 / 2 over the batch, rescaled by 1/8, plus weight decay
    g = (x @ w.T + b - t) / 3.0
    gw, gb = g.T @ x / 8, g.sum(0) / 8
    np.testing.assert_allclose(d.weight.data().asnumpy(), w - 0.1 * (gw + 0.01 * w), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(d.bias.data().asnumpy(), b - 0.1 * (gb + 0.01 * b), rtol=1e-5, atol=1e-6)
    trainer.set_learning_rate(0.05)
    assert trainer.learning_rate == 0.05
    # a step without a new backward: stale gradients
    with pytest.raises(UserWarning, match="has not been updated by backward since last `step`"):
        trainer.step(8)
    before = d.weight.data().asnumpy()
    trainer.step(8, ignore_stale_grad=True)
    np.testing.assert_array_equal(d.weight.data().asnumpy(), before)
    # recorded forward without backward: still stale
    with autograd.record():
        d(_arr(x))
    with pytest.raises(UserWarning, match="has not been updated by backward"):
        trainer.step(8)
    # a block left out of the graph: the step stops before updating anything (as MXNet), unless ignored
    other = _dense_with(w, b)
    both = gluon.Trainer(list(d.collect_params().values()) + list(other.collect_params().values()), 'sgd',
                         {'learning_rate': 0.1})
    with autograd.record():
        loss = d(_arr(x)).sum()
    loss.backward()
    with pytest.raises(UserWarning, match="Parameter `%s`" % other.weight.name):
        both.step(8)
    np.testing.assert_array_equal(d.weight.data().asnumpy(), before)
    both.step(8, ignore_stale_grad=True)
    assert not np.array_equal(d.weight.data().asnumpy(), before)
    np.testing.assert_array_equal(other.weight.data().asnumpy(), w)


def test_trainer_momentum_two_steps_and_states(tmp_path):
    w = np.array([[1., -2.]], np.float32)
    d = _dense_with(w, np.zeros(1, np.float32))
    d.bias.grad_req = 'null'
    trainer = gluon.Trainer(d.collect_params(), 'sgd', {'learning_rate': 0.1, 'momentum': 0.9})
    x = np.array([[1., 2.], [3., 4.]], np.float32)
    mom = np.zeros_like(w)
    wr = w.copy()
    for _ in range(2):
        with autograd.record():
            y = d(_arr(x)).sum()
        y.backward()
        trainer.step(2)
        g = x.sum(0, keepdims=True) / 2
        mom = 0.9 * mom - 0.1 * g
        wr = wr + mom
        np.testing.assert_allclose(d.weight.data().asnumpy(), wr, rtol=1e-6)
    f = str(tmp_path / 't.states')
    trainer.save_states(f)
    t2 = gluon.Trainer(d.collect_params(), 'sgd', {'learning_rate': 0.1, 'momentum': 0.9})
    t2.load_states(f)
    np.testing.assert_allclose(t2._apply.states[t2._slot[d.weight.name]].asnumpy(), mom, rtol=1e-6)
    with pytest.raises(AssertionError, match="optimizer_params must be None"):  # MXNet 1.9.1: AssertionError
        gluon.Trainer(d.collect_params(), mx.optimizer.SGD(), {'learning_rate': 0.5})


def test_mlp_training_on_gaussian_blobs_reaches_high_accuracy():
    rs = np.random.RandomState(5)
    centers = rs.randn(3, 10) * 3
    y = rs.randint(0, 3, size=600)
    x = (centers[y] + rs.randn(600, 10)).astype(np.float32)
    mx.random.seed(5)
    net = nn.HybridSequential()
    with net.name_scope():
        net.add(nn.Dense(32, activation='relu'), nn.Dropout(0.1), nn.Dense(3))
    net.initialize(mx.init.Xavier(), ctx=_ctx())
    loss_fn = gluon.loss.SoftmaxCrossEntropyLoss()
    trainer = gluon.Trainer(net.collect_params(), 'adam', {'learning_rate': 0.01})
    loader = gluon.data.DataLoader(gluon.data.ArrayDataset(x[:500], y[:500].astype(np.float32)), batch_size=50,
                                   shuffle=True)
    first = None
    for _ in range(5):
        for data, label in loader:
            data, label = data.as_in_context(_ctx()), label.as_in_context(_ctx())
            with autograd.record():
                loss = loss_fn(net(data), label)
            loss.backward()
            trainer.step(data.shape[0])
            if first is None:
                first = loss.mean().asscalar()
    assert loss.mean().asscalar() < first / 5
    pred = net(_arr(x[500:])).asnumpy().argmax(1)
    assert (pred == y[500:]).mean() >= 0.95


# ----------------------------------------------------------------------------------------------------------------
# save / load
# ----------------------------------------------------------------------------------------------------------------
def _small_convnet():
    net = nn.HybridSequential()
    with net.name_scope():
        net.add(nn.Conv2D(4, 3, padding=1, activation='relu'), nn.BatchNorm(), nn.MaxPool2D(),
                nn.Flatten(), nn.Dense(3))
    return net


def test_save_load_parameters_round_trip(tmp_path):
    x = _arr(np.random.RandomState(6).randn(2, 2, 6, 6))
    net = _small_convnet()
    net.initialize(mx.init.Xavier(), ctx=_ctx())
    with autograd.record():  # moves the BatchNorm running statistics away from their initial values
        net(x).sum().backward()
    out = net(x).asnumpy()
    f = str(tmp_path / 'net.params')
    net.save_parameters(f)
    fresh = _small_convnet()              # other names (hybridsequential1_...): the file uses structural keys
    assert fresh.prefix != net.prefix
    fresh.load_parameters(f, ctx=_ctx())  # also completes the deferred shapes
    assert fresh[0].weight.shape == (4, 2, 3, 3)
    np.testing.assert_array_equal(fresh(x).asnumpy(), out)
    np.testing.assert_array_equal(fresh[1].running_mean.data().asnumpy(), net[1].running_mean.data().asnumpy())

    # the legacy format (MXNet's save_params: ParameterDict.save with the block's prefix stripped) loads too
    legacy = str(tmp_path / 'legacy.params')
    net.collect_params().save(legacy, strip_prefix=net.prefix)
    assert sorted(nd.load(legacy).keys())[:2] == ['batchnorm0_beta', 'batchnorm0_gamma']
    other = _small_convnet()
    other.load_parameters(legacy, ctx=_ctx())
    np.testing.assert_array_equal(other(x).asnumpy(), out)
    other.collect_params().reset_ctx(_ctx())
    np.testing.assert_array_equal(other(x).asnumpy(), out)

    bigger = _small_convnet()
    bigger.add(nn.Dense(2))
    with pytest.raises(AssertionError, match="'5.weight' is missing"):
        bigger.load_parameters(f, ctx=_ctx())
    bigger.load_parameters(f, ctx=_ctx(), allow_missing=True)
    smaller = nn.HybridSequential()
    smaller.add(nn.Conv2D(4, 3, padding=1, activation='relu'))
    with pytest.raises(ValueError, match="'1.beta' .* is not present"):  # MXNet 1.9.1: ValueError
        smaller.load_parameters(f, ctx=_ctx())
    smaller.load_parameters(f, ctx=_ctx(), ignore_extra=True)
    np.testing.assert_array_equal(smaller[0].weight.data().asnumpy(), net[0].weight.data().asnumpy())
    wrong = nn.HybridSequential()
    wrong.add(nn.Conv2D(5, 3, in_channels=2))
    wrong.initialize(ctx=_ctx())
    with pytest.raises(AssertionError, match="shape incompatible"):
        wrong.load_parameters(f, ctx=_ctx(), ignore_extra=True)


# ----------------------------------------------------------------------------------------------------------------
# data
# ----------------------------------------------------------------------------------------------------------------
def test_dataloader_batches_and_last_batch_modes_as_mxnet():
    X = np.arange(10, dtype=np.float32).reshape(5, 2)
    Y = np.array([0, 1, 0, 1, 1])
    batches = list(gluon.data.DataLoader(gluon.data.ArrayDataset(X, Y), batch_size=2))
    assert [(a.shape, a.dtype, b.dtype, b.asnumpy().tolist()) for a, b in batches] == [
        ((2, 2), np.float32, np.int64, [0, 1]), ((2, 2), np.float32, np.int64, [0, 1]),
        ((1, 2), np.float32, np.int64, [1])]
    expected = {'keep': (3, [[0., 2.], [4., 6.], [8.]], [[0., 2.], [4., 6.], [8.]], 3),
                'discard': (2, [[0., 2.], [4., 6.]], [[0., 2.], [4., 6.]], 2),
                'rollover': (2, [[0., 2.], [4., 6.]], [[8., 0.], [2., 4.], [6., 8.]], 2)}
    for mode, exp in expected.items():
        dl = gluon.data.DataLoader(gluon.data.ArrayDataset(X, Y), batch_size=2, last_batch=mode)
        got = (len(dl), [a[:, 0].asnumpy().tolist() for a, b in dl], [a[:, 0].asnumpy().tolist() for a, b in dl],
               len(dl))
        assert got == exp, mode
    # NDArray inputs (1-d ones become NumPy, so labels stay float32), the generic path
    nd_batches = list(gluon.data.DataLoader(gluon.data.ArrayDataset(nd.array(X), nd.array(Y)), batch_size=2))
    assert [(a.shape, a.dtype, b.dtype, b.asnumpy().tolist()) for a, b in nd_batches] == [
        ((2, 2), np.float32, np.float32, [0., 1.]), ((2, 2), np.float32, np.float32, [0., 1.]),
        ((1, 2), np.float32, np.float32, [1.])]
    np.testing.assert_array_equal(nd_batches[1][0].asnumpy(), X[2:4])
    # shuffle visits every sample once per epoch
    seen = np.concatenate([b.asnumpy() for _, b in gluon.data.DataLoader(
        gluon.data.ArrayDataset(X, np.arange(5)), batch_size=2, shuffle=True, num_workers=2)])
    assert sorted(seen.tolist()) == [0, 1, 2, 3, 4]
    # custom batchify and transforms
    ds = gluon.data.SimpleDataset([1, 2, 3]).transform(lambda v: v * 10)
    dl = gluon.data.DataLoader(ds, batch_size=2, batchify_fn=lambda items: sum(items))
    assert list(dl) == [30, 30]
    tf = gluon.data.ArrayDataset(X, Y).transform_first(lambda a: a + 1)
    assert tf[0][0].tolist() == [1., 2.] and tf[0][1] == 0
    with pytest.raises(ValueError, match="last_batch must be one of"):
        gluon.data.DataLoader(ds, batch_size=2, last_batch='sometimes')
    with pytest.raises(AssertionError, match="same length"):  # MXNet 1.9.1: AssertionError
        gluon.data.ArrayDataset(X, Y[:3])


def test_split_and_load_and_clip_global_norm():
    x = _arr(np.arange(6).reshape(3, 2))
    parts = gluon.utils.split_and_load(x, [_ctx()])
    assert len(parts) == 1 and parts[0].asnumpy().tolist() == x.asnumpy().tolist()
    assert [p.shape for p in gluon.utils.split_data(_arr(np.zeros((6, 2))), 3)] == [(2, 2)] * 3
    a, b = _arr([3., 0.]), _arr([[4.]])
    norm = gluon.utils.clip_global_norm([a, b], 1.0)
    assert abs(norm - 5.0) < 1e-6
    np.testing.assert_allclose(a.asnumpy(), [0.6, 0.], rtol=1e-5)
    np.testing.assert_allclose(b.asnumpy(), [[0.8]], rtol=1e-5)


# ----------------------------------------------------------------------------------------------------------------
# errors
# ----------------------------------------------------------------------------------------------------------------
def test_bad_input_errors_name_the_layer_and_shapes():
    d = nn.Dense(3, in_units=5, prefix='fc_')
    d.initialize(ctx=_ctx())
    with pytest.raises(MXNetError) as err:
        d(_arr(np.ones((2, 7))))
    msg = str(err.value)
    assert "fc (Dense(5 -> 3, linear))" in msg and "(2, 7)" in msg and "weight (3, 5)" in msg
    net = nn.HybridSequential(prefix='net_')
    with net.name_scope():
        net.add(nn.Conv2D(2, 3))
    net.initialize(ctx=_ctx())
    with pytest.raises(MXNetError, match=r"net_conv0 \(Conv2D.*\(4, 5\)"):
        net(_arr(np.ones((4, 5))))
    with pytest.raises(TypeError, match="expected an NDArray"):
        d([1, 2, 3])
    with pytest.raises(NotImplementedError, match="NCHW"):
        nn.Conv2D(2, 3, layout='NHWC')


# ----------------------------------------------------------------------------------------------------------------
# sharing, hooks, lambdas, lr_mult, cast (names and values printed by MXNet 1.9.1 for the same program)
# ----------------------------------------------------------------------------------------------------------------
def test_shared_parameters_hooks_lambdas_lr_mult_and_cast():
    with mx.name.NameManager():
        a = nn.Dense(2, in_units=3)
        a.initialize(ctx=_ctx())
        b = nn.Dense(2, in_units=3, params=a.collect_params())
        assert b.name == 'dense1' and b.weight is a.weight
        assert sorted(b.collect_params().keys()) == ['dense0_bias', 'dense0_weight']
        s1 = nn.HybridSequential()
        with s1.name_scope():
            s1.add(nn.Dense(2, in_units=3))
        s2 = nn.HybridSequential(params=s1.collect_params())
        with s2.name_scope():
            s2.add(nn.Dense(2, in_units=3))
        assert (s2.name, s2[0].name, s2[0].weight is s1[0].weight) == \
            ('hybridsequential1', 'hybridsequential1_dense0', True)
        assert sorted(s2.collect_params().keys()) == ['hybridsequential0_dense0_bias',
                                                      'hybridsequential0_dense0_weight']
        seen = []
        h = a.register_forward_hook(lambda blk, i, o: seen.append(o.shape))
        a(_arr(np.ones((4, 3))))
        h.detach()
        a(_arr(np.ones((4, 3))))
        assert seen == [(4, 2)]
        assert nn.HybridLambda(lambda F, x: F.relu(x))(_arr([-1., 2.])).asnumpy().tolist() == [0., 2.]
        assert nn.Lambda('relu')(_arr([-1., 3.])).asnumpy().tolist() == [0., 3.]
        assert repr(nn.HybridLambda(lambda F, x: x)) == "HybridLambda(<lambda>)"
        gmp = nn.GlobalMaxPool2D()(_arr(np.arange(8).reshape(1, 2, 2, 2)))
        assert gmp.asnumpy().ravel().tolist() == [3., 7.]
        d = nn.Dense(1, in_units=2)
        d.initialize(mx.init.One(), ctx=_ctx())
        d.weight.lr_mult = 0.5
        t = gluon.Trainer(d.collect_params(), 'sgd', {'learning_rate': 1.0})
        with autograd.record():
            y = d(_arr([[1., 2.]])).sum()
        y.backward()
        t.step(1)
        assert d.weight.data().asnumpy().tolist() == [[0.5, 0.]] and d.bias.data().asnumpy().tolist() == [-1.]
        bce = gluon.loss.SigmoidBCELoss()(_arr([[1., -2.]]), _arr([[1., 0.]]), None, _arr([[3., 3.]]))
        np.testing.assert_allclose(bce.asnumpy(), [0.53335667], rtol=1e-5)
        c = nn.Dense(2, in_units=2)
        c.initialize(ctx=_ctx())
        c.cast('float16')
        assert c.weight.dtype == 'float16' and c.weight.data().dtype == np.float16
