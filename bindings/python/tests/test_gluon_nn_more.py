"""mx.gluon.nn's 1-D convolution and pooling, ELU/SELU/GELU/PReLU/Swish and InstanceNorm.

Reprs, parameter names and the values marked "MXNet 1.9.1" were printed by Apache MXNet 1.9.1 for the same program
(x = (arange(36).reshape(2, 3, 6) - 17) / 7, every layer initialized with mx.init.Constant(0.3), which a
parameter's own initializer overrides); the layers are also checked against NumPy.
"""
import math

import numpy as np
import pytest

import mxc as mx
from mxc import autograd, gluon, nd
from mxc.gluon import nn

X = (np.arange(36, dtype=np.float32).reshape(2, 3, 6) - 17) / 7


def _x():
    return nd.array(X, ctx=mx.current_context())


# (layer, repr, parameters, output shape, output sum, first four outputs): MXNet 1.9.1
CASES = [
    (lambda: nn.Conv1D(4, 3, in_channels=3), "Conv1D(3 -> 4, kernel_size=(3,), stride=(1,))",
     [('conv0_bias', (4,)), ('conv0_weight', (4, 3, 3))], (2, 4, 4), 6.1714277267456055,
     [-3.857143, -3.471429, -3.085715, -2.7]),
    (lambda: nn.Conv1D(4, 3, strides=2, padding=1, activation='relu', use_bias=False),
     "Conv1D(None -> 4, kernel_size=(3,), stride=(2,), padding=(1,), bias=False, Activation(relu))",
     [('conv1_weight', (4, 0, 3))], (2, 4, 3), 38.57143020629883, [0, 0, 0, 0]),
    (lambda: nn.MaxPool1D(2),
     "MaxPool1D(size=(2,), stride=(2,), padding=(0,), ceil_mode=False, global_pool=False, pool_type=max, layout=NCW)",
     [], (2, 3, 3), 2.5714285373687744, [-2.285714, -2.0, -1.714286, -1.428571]),
    (lambda: nn.AvgPool1D(3, 2, 1),
     "AvgPool1D(size=(3,), stride=(2,), padding=(1,), ceil_mode=False, global_pool=False, pool_type=avg, layout=NCW)",
     [], (2, 3, 3), 0.8571426868438721, [-1.571429, -2.142857, -1.857143, -1.0]),
    (lambda: nn.GlobalAvgPool1D(),
     "GlobalAvgPool1D(size=(1,), stride=(1,), padding=(0,), ceil_mode=True, global_pool=True, pool_type=avg, "
     "layout=NCW)", [], (2, 3, 1), 0.4285712242126465, [-2.071429, -1.214286, -0.357143, 0.5]),
    (lambda: nn.GlobalMaxPool1D(),
     "GlobalMaxPool1D(size=(1,), stride=(1,), padding=(0,), ceil_mode=True, global_pool=True, pool_type=max, "
     "layout=NCW)", [], (2, 3, 1), 2.5714285373687744, [-1.714286, -0.857143, 0.0, 0.857143]),
    (lambda: nn.ELU(), "ELU(\n\n)", [], (2, 3, 6), 13.366365432739258, [-0.911837, -0.898299, -0.882681, -0.864665]),
    (lambda: nn.ELU(0.5), "ELU(\n\n)", [], (2, 3, 6), 18.89746856689453, [-0.455919, -0.449149, -0.44134, -0.432332]),
    (lambda: nn.SELU(), "SELU(\n\n)", [], (2, 3, 6), 6.218667507171631, [-1.603101, -1.579298, -1.551841, -1.520167]),
    (lambda: nn.GELU(), "GELU(\n\n)", [], (2, 3, 6), 21.00554656982422, [-0.018407, -0.025452, -0.034419, -0.0455]),
    (lambda: nn.PReLU(), "PReLU(\n\n)", [('prelu0_alpha', (1,))], (2, 3, 6), 18.964284896850586,
     [-0.607143, -0.571429, -0.535714, -0.5]),
    (lambda: nn.Swish(), "Swish(\n\n)", [], (2, 3, 6), 16.62975311279297, [-0.196762, -0.211001, -0.225001, -0.238406]),
    (lambda: nn.Swish(2.0), "Swish(\n\n)", [], (2, 3, 6), 21.687654495239258,
     [-0.018731, -0.0234, -0.029093, -0.035972]),
]


def test_layers_as_mxnet():
    with mx.name.NameManager():
        layers = [make() for make, *_ in CASES]
        for layer, (_, text, params, shape, total, head) in zip(layers, CASES):
            assert repr(layer) == text
            assert sorted((k, v.shape) for k, v in layer.collect_params().items()) == params
        for layer, (_, text, params, shape, total, head) in zip(layers, CASES):
            layer.initialize(mx.init.Constant(0.3), ctx=mx.current_context())
            y = layer(_x())
            assert y.shape == shape, text
            assert y.sum().asscalar() == pytest.approx(total, rel=1e-5, abs=1e-5), text
            np.testing.assert_allclose(y.asnumpy().ravel()[:4], head, rtol=1e-5, atol=2e-6, err_msg=text)


def _numpy_reference(name, x):
    erf = np.vectorize(math.erf)
    sig = 1 / (1 + np.exp(-x))
    lam, alpha = 1.0507009873554804934193349852946, 1.6732632423543772848170429916717
    return {"ELU": np.where(x > 0, x, np.expm1(x)),
            "SELU": lam * np.where(x > 0, x, alpha * np.expm1(x)),
            "GELU": x * 0.5 * (1 + erf(x / np.sqrt(2))),
            "Swish": x * sig}[name]


@pytest.mark.parametrize("name", ["ELU", "SELU", "GELU", "Swish"])
def test_activations_match_numpy(name):
    layer = getattr(nn, name)()
    layer.initialize(ctx=mx.current_context())
    np.testing.assert_allclose(layer(_x()).asnumpy(), _numpy_reference(name, X.astype(np.float64)), rtol=2e-6,
                               atol=2e-7)


def test_conv1d_and_pools_match_numpy_and_hybridize():
    rng = np.random.RandomState(1)
    w = rng.randn(4, 3, 3).astype(np.float32)
    b = rng.randn(4).astype(np.float32)
    net = nn.HybridSequential()
    net.add(nn.Conv1D(4, 3, padding=1, in_channels=3), nn.MaxPool1D(2), nn.GlobalAvgPool1D())
    net.initialize(ctx=mx.current_context())
    net[0].weight.set_data(nd.array(w))
    net[0].bias.set_data(nd.array(b))
    xp = np.pad(X, ((0, 0), (0, 0), (1, 1)))
    conv = np.stack([np.einsum('ncw,fcw->nf', xp[:, :, i:i + 3], w) for i in range(6)], axis=2) + b[None, :, None]
    pooled = conv.reshape(2, 4, 3, 2).max(axis=3)
    want = pooled.mean(axis=2, keepdims=True)
    np.testing.assert_allclose(net(_x()).asnumpy(), want, rtol=1e-5, atol=1e-6)
    net.hybridize()
    np.testing.assert_allclose(net(_x()).asnumpy(), want, rtol=1e-5, atol=1e-6)


def test_prelu_learns_its_slope_and_instancenorm_normalizes():
    p = nn.PReLU(in_channels=3, alpha_initializer=mx.init.Constant(0.1))
    p.initialize(ctx=mx.current_context())
    x = _x()
    with autograd.record():
        y = p(x.reshape((2, 3, 6)))
        loss = (y * y).sum()
    loss.backward()
    # d loss / d alpha_c = sum over negative x of 2 * (alpha x) * x
    neg = np.minimum(X, 0)
    np.testing.assert_allclose(p.alpha.grad().asnumpy(), (2 * 0.1 * neg * neg).sum(axis=(0, 2)), rtol=1e-5)
    # MXNet 1.9.1: reprs, and the first outputs (the statistics over each sample's channel)
    with mx.name.NameManager():
        cases = ((nn.InstanceNorm(), 1e-5, "InstanceNorm(eps=1e-05, axis=1, center=True, scale=False, in_channels=3)",
                  [-1.463726, -0.878236, -0.292744, 0.292746], {'gamma': 'null', 'beta': 'write'}),
                 (nn.InstanceNorm(in_channels=3, center=False, scale=True, epsilon=1e-3), 1e-3,
                  "InstanceNorm(eps=0.001, axis=1, center=False, scale=True, in_channels=3)",
                  [-1.451706, -0.871023, -0.29034, 0.290342], {'gamma': 'write', 'beta': 'null'}))
        for norm, eps, text, head, reqs in cases:
            norm.initialize(ctx=mx.current_context())
            y = norm(x).asnumpy()
            want = (X - X.mean(axis=2, keepdims=True)) / np.sqrt(X.var(axis=2, keepdims=True) + eps)
            np.testing.assert_allclose(y, want, rtol=1e-5, atol=1e-5)
            np.testing.assert_allclose(y.ravel()[:4], head, rtol=1e-5, atol=2e-6)
            assert repr(norm) == text
            assert {k.split('_')[-1]: v.grad_req for k, v in norm.collect_params().items()} == reqs
    last = nn.InstanceNorm(axis=2, in_channels=6)
    last.initialize(ctx=mx.current_context())
    want = (X - X.mean(axis=1, keepdims=True)) / np.sqrt(X.var(axis=1, keepdims=True) + 1e-5)
    np.testing.assert_allclose(last(x).asnumpy(), want, rtol=1e-5, atol=1e-5)


def test_layout_errors_and_symbolblock_alias():
    with pytest.raises(NotImplementedError, match="Conv1D: mxc supports layout='NCW' only, got layout='NWC'"):
        nn.Conv1D(2, 3, layout='NWC')
    with pytest.raises(NotImplementedError, match="MaxPool1D: mxc supports layout='NCW' only"):
        nn.MaxPool1D(layout='NWC')
    assert nn.SymbolBlock is gluon.SymbolBlock


def test_traced_node_names_as_mxnet(tmp_path):
    # MXNet 1.9.1's exported node names for these layers: '<layer prefix>fwd' for most, the operator's own name for
    # ELU, LayerNorm, Flatten and Swish's arithmetic.
    nn = mx.gluon.nn
    net = nn.HybridSequential(prefix="n_")
    with net.name_scope():
        net.add(nn.Conv2D(4, 3, padding=1), nn.BatchNorm(), nn.Activation("relu"), nn.LeakyReLU(0.1), nn.PReLU(),
                nn.ELU(), nn.SELU(), nn.GELU(), nn.Swish(), nn.MaxPool2D(), nn.AvgPool2D(), nn.Conv2DTranspose(4, 2),
                nn.InstanceNorm(), nn.LayerNorm(), nn.Dropout(0.5), nn.GlobalAvgPool2D(), nn.Flatten(), nn.Dense(5),
                nn.Embedding(10, 3), nn.Dense(2, flatten=False))
    net.initialize()
    net.hybridize()
    net(mx.nd.ones((1, 3, 8, 8)))
    net.export(str(tmp_path / "n"))
    import json
    got = [[n["op"], n["name"]] for n in json.load(open(tmp_path / "n-symbol.json"))["nodes"] if n["op"] != "null"]
    assert got == [
        ["Convolution", "n_conv0_fwd"], ["BatchNorm", "n_batchnorm0_fwd"], ["Activation", "n_relu0_fwd"],
        ["LeakyReLU", "n_leakyrelu0_fwd"], ["LeakyReLU", "n_prelu0_fwd"], ["LeakyReLU", "n_elu0_leakyrelu0"],
        ["LeakyReLU", "n_selu0_fwd"], ["LeakyReLU", "n_gelu0_fwd"], ["_mul_scalar", "n_swish0__mulscalar0"],
        ["sigmoid", "n_swish0_fwd"], ["elemwise_mul", "n_swish0__mul0"], ["Pooling", "n_pool0_fwd"],
        ["Pooling", "n_pool1_fwd"], ["Deconvolution", "n_conv1_fwd"], ["InstanceNorm", "n_instancenorm0_fwd"],
        ["LayerNorm", "n_layernorm0_layernorm0"], ["Dropout", "n_dropout0_fwd"], ["Pooling", "n_pool2_fwd"],
        ["Flatten", "n_flatten0_flatten0"], ["FullyConnected", "n_dense0_fwd"], ["Embedding", "n_embedding0_fwd"],
        ["FullyConnected", "n_dense1_fwd"]]
