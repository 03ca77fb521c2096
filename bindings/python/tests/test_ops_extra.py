"""Operators added after the first dir() comparison with MXNet 1.9.1: erf, erfinv, gamma, gammaln, hard_sigmoid,
contrib.isnan/isinf/isfinite, Pad (and gluon.nn.ReflectionPad2D), L2Normalization,
SoftmaxActivation, gluon.contrib.nn.PixelShuffle1D/2D/3D.

Values marked "MXNet 1.9.1" were printed by Apache MXNet 1.9.1 for the same calls; the others are checked against
NumPy / math references.
"""
import math

import numpy as np
import pytest

import mxc as mx
from mxc import autograd, nd
from mxc.base import MXNetError

X = [-2.5, -0.5, 0.3, 1.0, 2.5, 4.0]


@pytest.mark.parametrize("name, expected", [
    ("erf", [-0.9995930194854736, -0.5204998850822449, 0.3286267817020416, 0.8427007794380188, 0.9995930194854736,
             1.0]),
    ("gamma", [-0.9453086256980896, -3.544908046722412, 2.9915690422058105, 1.0, 1.3293405771255493,
               6.000000476837158]),
    ("gammaln", [-0.056243713945150375, 1.2655121088027954, 1.0957980155944824, 0.0, 0.28468286991119385,
                 1.7917594909667969]),
])
def test_special_functions_as_mxnet(name, expected):  # MXNet 1.9.1
    out = getattr(nd, name)(nd.array(X))
    assert out.dtype == np.float32
    np.testing.assert_allclose(out.asnumpy(), expected, rtol=1e-6, atol=1e-7)
    ref = {"erf": math.erf, "gamma": math.gamma, "gammaln": lambda v: math.lgamma(v)}[name]
    np.testing.assert_allclose(getattr(nd, name)(nd.array(X, dtype="float64")).asnumpy(), [ref(v) for v in X],
                               rtol=1e-12)


def test_erfinv():
    out = nd.erfinv(nd.array([-0.9, -0.5, 0, 0.3, 0.99, 1, 2])).asnumpy()
    np.testing.assert_allclose(out[:5], [-1.1630871295928955, -0.4769362807273865, 0.0, 0.27246272563934326,
                                         1.8213865756988525], rtol=1e-6)  # MXNet 1.9.1
    assert np.isposinf(out[5]) and np.isnan(out[6])
    p = np.linspace(-0.999, 0.999, 41)
    back = [math.erf(v) for v in nd.erfinv(nd.array(p, dtype="float64")).asnumpy()]
    np.testing.assert_allclose(back, p, rtol=1e-13, atol=1e-15)


def test_gamma_gradients_as_mxnet():  # MXNet 1.9.1: gamma' = gamma * digamma, gammaln' = digamma
    for name, expected in [("gamma", [-3.480232000350952, 0.03233834728598595, -0.1293533891439438]),
                           ("gammaln", [-1.9635107517242432, 0.03648991510272026, 0.03648991510272026])]:
        x = nd.array([0.5, 1.5, -0.5])
        x.attach_grad()
        with autograd.record():
            y = getattr(nd, name)(x)
        y.backward()
        np.testing.assert_allclose(x.grad.asnumpy(), expected, rtol=2e-6)


def test_hard_sigmoid():
    np.testing.assert_allclose(nd.hard_sigmoid(nd.array([-5, -1, 0, 1, 5])).asnumpy(), [0, 0.3, 0.5, 0.7, 1],
                               rtol=1e-6)  # MXNet 1.9.1
    np.testing.assert_allclose(nd.hard_sigmoid(nd.array([-1, 0, 1]), alpha=0.5, beta=0.2).asnumpy(), [0, 0.2, 0.7],
                               rtol=1e-6)
    x = nd.array([-1, -0.2, 0.1, 3])
    x.attach_grad()
    with autograd.record():
        y = nd.hard_sigmoid(x)
    y.backward()
    np.testing.assert_allclose(x.grad.asnumpy(), [0.2, 0.2, 0.2, 0], rtol=1e-6)  # MXNet 1.9.1
    s = mx.sym.hard_sigmoid(mx.sym.Variable("x"), alpha=0.25, name="hs")
    ex = s.bind(mx.context.current_context(), {"x": nd.array([-8.0, 1.0, 2.0])})
    np.testing.assert_allclose(ex.forward()[0].asnumpy(), [0, 0.75, 1.0])
    with pytest.raises(MXNetError, match="hard_sigmoid.*int32"):
        nd.hard_sigmoid(nd.array([1, 2], dtype="int32")).asnumpy()


def test_contrib_isnan_isinf_isfinite():
    x = nd.array([np.nan, np.inf, -np.inf, 1.0])
    assert nd.contrib.isnan(x).asnumpy().tolist() == [1, 0, 0, 0]  # MXNet 1.9.1 (float32 results)
    assert nd.contrib.isinf(x).asnumpy().tolist() == [0, 1, 1, 0]
    assert nd.contrib.isfinite(x).asnumpy().tolist() == [0, 0, 0, 1]
    assert nd.contrib.isfinite(x).dtype == np.float32
    i = nd.contrib.isnan(nd.array([1, 2], dtype="int32"))
    assert i.dtype == np.int32 and i.asnumpy().tolist() == [0, 0]  # MXNet 1.9.1


def _np_pad(x, pw, mode, value=0.0):
    pairs = [(pw[2 * a], pw[2 * a + 1]) for a in range(x.ndim)]
    if mode == "constant":
        return np.pad(x, pairs, mode="constant", constant_values=value)
    return np.pad(x, pairs, mode={"edge": "edge", "reflect": "reflect"}[mode])


@pytest.mark.parametrize("mode", ["constant", "edge", "reflect"])
@pytest.mark.parametrize("shape, pw", [((2, 3, 4, 5), (0, 0, 0, 0, 1, 2, 3, 0)),
                                       ((1, 2, 3, 3, 4), (0, 0, 0, 0, 2, 0, 1, 1, 0, 3))])
def test_pad_against_numpy(mode, shape, pw):
    x = np.random.RandomState(0).uniform(-1, 1, shape).astype(np.float32)
    out = nd.Pad(nd.array(x), mode=mode, pad_width=pw, constant_value=1.5)
    np.testing.assert_array_equal(out.asnumpy(), _np_pad(x, pw, mode, 1.5))


def test_pad_as_mxnet_and_gradient():
    x = nd.array(np.arange(18).reshape(2, 1, 3, 3))
    np.testing.assert_array_equal(nd.pad(x, mode="constant", pad_width=(0, 0, 0, 0, 1, 1, 1, 1),
                                         constant_value=7)[1, 0].asnumpy(),
                                  [[7, 7, 7, 7, 7], [7, 9, 10, 11, 7], [7, 12, 13, 14, 7], [7, 15, 16, 17, 7],
                                   [7, 7, 7, 7, 7]])  # MXNet 1.9.1
    x = nd.array(np.arange(24).reshape(2, 1, 3, 4) * 0.1 + 0.05)
    x.attach_grad()
    with autograd.record():
        y = nd.Pad(x, mode="reflect", pad_width=(0, 0, 0, 0, 2, 1, 1, 3))
    y.backward(nd.ones_like(y))
    assert x.grad.asnumpy().ravel().tolist() == [2, 3, 2, 1, 6, 9, 6, 3, 4, 6, 4, 2] * 2  # MXNet 1.9.1


def test_pad_errors():
    with pytest.raises(MXNetError, match=r"Pad.*\(2,3\).*only supports 4-D or 5-D input"):
        nd.Pad(nd.ones((2, 3)), mode="reflect", pad_width=(0, 0, 1, 1))
    with pytest.raises(MXNetError, match="Input shape vs padding spec mismatch"):
        nd.Pad(nd.ones((2, 1, 2, 3)), mode="reflect", pad_width=(0, 0, 0, 0, 1, 1))
    with pytest.raises(MXNetError, match="padding on the first two axes to be zero"):
        nd.Pad(nd.ones((2, 1, 2, 3)), mode="edge", pad_width=(1, 0, 0, 0, 1, 1, 1, 1))
    with pytest.raises(MXNetError, match="smaller than the input size"):
        nd.Pad(nd.ones((2, 1, 2, 3)), mode="reflect", pad_width=(0, 0, 0, 0, 1, 1, 3, 0))
    with pytest.raises(MXNetError, match="mode"):
        nd.Pad(nd.ones((2, 1, 2, 3)), pad_width=(0, 0, 0, 0, 1, 1, 1, 1))  # mode is required, as in MXNet


def test_reflection_pad2d():
    layer = mx.gluon.nn.ReflectionPad2D(2)
    layer.initialize()
    assert list(layer.collect_params().keys()) == []
    x = nd.array(np.arange(18).reshape(2, 1, 3, 3))
    y = layer(x)
    assert y.shape == (2, 1, 7, 7)
    assert y[0, 0].asnumpy().tolist()[:2] == [[8, 7, 6, 7, 8, 7, 6], [5, 4, 3, 4, 5, 4, 3]]  # MXNet 1.9.1
    layer.hybridize()
    np.testing.assert_array_equal(layer(x).asnumpy(), y.asnumpy())
    assert mx.gluon.nn.ReflectionPad2D((0, 0, 0, 0, 1, 0, 0, 1))(x).shape == (2, 1, 4, 4)  # MXNet 1.9.1


def test_l2_normalization():
    x = (np.arange(24, dtype=np.float32).reshape(2, 3, 4) - 11) / 5
    first = {"instance": [-0.48900965, -0.44455421, -0.40009877, -0.35564336, -0.31118792, -0.26673254],
             "channel": [-0.8221786, -0.84515423, -0.87006289, -0.89442718, -0.52320457, -0.50709254],
             "spatial": [-0.57497925, -0.52270836, -0.47043753, -0.4181667, -0.62360954, -0.53452253]}  # MXNet 1.9.1
    axes = {"instance": (1, 2), "channel": (1,), "spatial": (2,)}
    for mode, vals in first.items():
        out = nd.L2Normalization(nd.array(x), mode=mode).asnumpy()
        np.testing.assert_allclose(out.ravel()[:6], vals, rtol=1e-6)
        ref = x / np.sqrt((x.astype(np.float64) ** 2).sum(axis=axes[mode], keepdims=True) + 1e-10)
        np.testing.assert_allclose(out, ref, rtol=1e-6, atol=1e-7)
    s = mx.sym.L2Normalization(mx.sym.Variable("x"), mode="channel", name="l2")
    assert s.list_outputs() == ["l2_output"]  # MXNet 1.9.1
    assert s.infer_shape(x=(2, 3, 4))[1] == [(2, 3, 4)]
    with pytest.raises(MXNetError, match=r"L2Normalization.*\(1,2\).*at least 3 dimensions required in spatial mode"):
        nd.L2Normalization(nd.array([[3, 4]]), mode="spatial").asnumpy()
    with pytest.raises(MXNetError, match="mode"):
        nd.L2Normalization(nd.array([[3, 4]]), mode="foo")
    xx = nd.array(x)
    xx.attach_grad()
    with autograd.record():
        y = nd.L2Normalization(xx, mode="spatial")
    y.backward(nd.array(np.sin(np.arange(24)).reshape(2, 3, 4)))
    np.testing.assert_allclose(xx.grad.asnumpy().ravel()[:6], [-0.13924667, 0.09333409, 0.1237196, -0.06438799,
                                                                -0.0940896, -0.2188385], rtol=1e-5)  # MXNet 1.9.1


def test_softmax_activation():
    x = (np.arange(24, dtype=np.float32).reshape(2, 3, 4) - 11) / 5
    inst = nd.SoftmaxActivation(nd.array(x)).asnumpy()
    np.testing.assert_allclose(inst.ravel()[:6], [0.18065716, 0.22065516, 0.26950884, 0.32917881, 0.18065718,
                                                  0.22065516], rtol=1e-6)  # MXNet 1.9.1
    e = np.exp(x)  # instance mode: over the last axis, as MXNet 1.9.1 computes it
    np.testing.assert_allclose(inst, e / e.sum(axis=-1, keepdims=True), rtol=1e-5)
    ch = nd.SoftmaxActivation(nd.array(x), mode="channel").asnumpy()
    np.testing.assert_allclose(ch, e / e.sum(axis=1, keepdims=True), rtol=1e-5)
    np.testing.assert_allclose(nd.SoftmaxActivation(nd.ones(3)).asnumpy(), [1 / 3.0] * 3, rtol=1e-6)  # MXNet 1.9.1
    with pytest.raises(MXNetError, match=r"\(3,\).*a least 3 dimensions when mode=channel"):
        nd.SoftmaxActivation(nd.ones(3), mode="channel").asnumpy()
    assert mx.sym.SoftmaxActivation(mx.sym.Variable("x"), name="sa").list_outputs() == ["sa_output"]  # MXNet 1.9.1
    xx = nd.array(x)
    xx.attach_grad()
    with autograd.record():
        y = nd.SoftmaxActivation(xx, mode="channel")
    y.backward(nd.array(np.sin(np.arange(24)).reshape(2, 3, 4)))
    np.testing.assert_allclose(xx.grad.asnumpy().ravel()[:6], [-0.04808003, 0.09169585, 0.14716701, 0.0673335,
                                                                -0.31294402, -0.28584793], rtol=1e-5)  # MXNet 1.9.1


@pytest.mark.parametrize("cls, factor, shape, expected_shape, expected", [  # MXNet 1.9.1
    ("PixelShuffle1D", 2, (1, 4, 3), (1, 2, 6), [0, 3, 1, 4, 2, 5, 6, 9, 7, 10, 8, 11]),
    ("PixelShuffle2D", (2, 3), (1, 6, 2, 2), (1, 1, 4, 6),
     [0, 4, 8, 1, 5, 9, 12, 16, 20, 13, 17, 21, 2, 6, 10, 3, 7, 11, 14, 18, 22, 15, 19, 23]),
    ("PixelShuffle3D", 2, (1, 8, 1, 2, 2), (1, 1, 2, 4, 4),
     [0, 4, 1, 5, 8, 12, 9, 13, 2, 6, 3, 7, 10, 14, 11, 15, 16, 20, 17, 21, 24, 28, 25, 29, 18, 22, 19, 23, 26, 30,
      27, 31]),
])
def test_pixel_shuffle(cls, factor, shape, expected_shape, expected):
    layer = getattr(mx.gluon.contrib.nn, cls)(factor)
    x = nd.arange(int(np.prod(shape))).reshape(shape)
    y = layer(x)
    assert y.shape == expected_shape
    assert y.asnumpy().ravel().tolist() == expected
    layer.hybridize()
    assert layer(x).asnumpy().ravel().tolist() == expected


def test_pixel_shuffle_against_numpy():
    x = np.random.RandomState(1).uniform(size=(2, 12, 3, 5)).astype(np.float32)
    y = mx.gluon.contrib.nn.PixelShuffle2D((2, 3))(nd.array(x)).asnumpy()
    ref = x.reshape(2, 2, 2, 3, 3, 5).transpose(0, 1, 4, 2, 5, 3).reshape(2, 2, 6, 15)
    np.testing.assert_array_equal(y, ref)
    assert repr(mx.gluon.contrib.nn.PixelShuffle2D((2, 3))) == "PixelShuffle2D((2, 3))"  # MXNet 1.9.1
    assert repr(mx.gluon.contrib.nn.PixelShuffle1D(2)) == "PixelShuffle1D(2)"
