"""LayerNorm and InstanceNorm through the Python binding: nd and sym, against NumPy references and values MXNet 1.9.1
printed (its outputs, names, shapes and dtypes), inference both ways, errors, gradients and an executor training
step."""
import numpy as np
import pytest

import mxc as mx
from conftest import assert_nd


def mx_input():
    # The input MXNet was given: arange(24) * 0.1 + sin(arange(24)), shape (2, 3, 4).
    return (np.arange(24) * 0.1 + np.sin(np.arange(24))).reshape(2, 3, 4).astype(np.float32)


G4, B4 = [1.5, -0.5, 2.0, 0.25], [0.1, 0.2, -0.3, 0.4]
G3, B3 = [1.5, -0.5, 2.0], [0.1, 0.2, -0.3]


def ln_ref(x, gamma, beta, axis=-1, eps=1e-5):
    x = np.asarray(x, dtype=np.float64)
    mean = x.mean(axis=axis, keepdims=True)
    std = np.sqrt(x.var(axis=axis, keepdims=True) + eps)
    shape = [1] * x.ndim
    shape[axis] = -1
    g = np.asarray(gamma, dtype=np.float64).reshape(shape)
    b = np.asarray(beta, dtype=np.float64).reshape(shape)
    return g * (x - mean) / std + b, mean, std


def in_ref(x, gamma, beta, eps=1e-3):
    x = np.asarray(x, dtype=np.float64)
    ax = tuple(range(2, x.ndim))
    mean = x.mean(axis=ax, keepdims=True)
    var = x.var(axis=ax, keepdims=True)
    shape = (1, -1) + (1,) * (x.ndim - 2)
    return np.asarray(gamma).reshape(shape) * (x - mean) / np.sqrt(var + eps) + np.asarray(beta).reshape(shape)


# ------------------------------------------------------------------------------------------------------ LayerNorm
def test_layernorm_nd_matches_mxnet():
    x = mx.nd.array(mx_input())
    out = mx.nd.LayerNorm(x, mx.nd.array(G4), mx.nd.array(B4))
    assert isinstance(out, mx.nd.NDArray)  # one output without output_mean_var
    # MXNet 1.9.1's first row and last row.
    np.testing.assert_allclose(out.asnumpy()[0, 0], [-2.044982433319092, -0.16554580628871918, 1.9326505661010742,
                                                     0.2956428825855255], rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(out.asnumpy()[1, 2], [1.4266597032546997, -0.2616615891456604, -0.8985229134559631,
                                                     0.022874772548675537], rtol=1e-5, atol=1e-5)
    assert_nd(out, ln_ref(mx_input(), G4, B4)[0], dtype=np.float32, rtol=1e-5, atol=1e-5)


def test_layernorm_output_mean_var_matches_mxnet():
    x = mx.nd.array(mx_input())
    out, mean, std = mx.nd.LayerNorm(x, mx.nd.array(G4), mx.nd.array(B4), output_mean_var=True)
    # MXNet: mean and std keep the axis with size 1; std is sqrt(var + eps).
    assert mean.shape == (2, 3, 1) and std.shape == (2, 3, 1)
    np.testing.assert_allclose(mean.asnumpy().ravel(), [0.6229720711708069, 0.2154611051082611, 0.9143663048744202,
                                                        1.7311222553253174, 1.2873972654342651, 2.3736321926116943],
                               rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(std.asnumpy().ravel(), [0.4356484115123749, 0.7239565849304199, 0.6702897548675537,
                                                       0.6615802049636841, 0.4847753345966339, 0.6097792983055115],
                               rtol=1e-6, atol=1e-6)
    ref, rmean, rstd = ln_ref(mx_input(), G4, B4)
    assert_nd(out, ref, rtol=1e-5, atol=1e-5)
    assert_nd(mean, rmean, rtol=1e-6, atol=1e-6)
    assert_nd(std, rstd, rtol=1e-6, atol=1e-6)


def test_layernorm_axis1_matches_mxnet():
    x = mx.nd.array(mx_input())
    out, mean, std = mx.nd.LayerNorm(x, mx.nd.array(G3), mx.nd.array(B3), axis=1, output_mean_var=True)
    assert mean.shape == (2, 1, 4)
    np.testing.assert_allclose(mean.asnumpy().ravel(), [0.47751858830451965, 0.5982217192649841, 0.6286202669143677,
                                                        0.6327055096626282, 1.629489779472351, 1.798474907875061,
                                                        1.8769229650497437, 1.8846482038497925], rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(std.asnumpy().ravel(), [0.9389833211898804, 0.7626830339431763, 0.3443697392940521,
                                                       0.5307488441467285, 0.9453929662704468, 0.8990637063980103,
                                                       0.5910654067993164, 0.30743172764778137], rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(out.asnumpy()[1, :, 3], [1.3960909843444824, -0.06872464716434479, -3.103019952774048],
                               rtol=1e-5, atol=1e-5)
    assert_nd(out, ln_ref(mx_input(), G3, B3, axis=1)[0], rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("axis", [-1, 1, 0, -3])
def test_layernorm_float64_every_axis(axis):
    rng = np.random.RandomState(3)
    x = rng.uniform(-2, 3, size=(3, 4, 5))
    n = x.shape[axis]
    g, b = rng.uniform(0.5, 2, size=n), rng.uniform(-1, 1, size=n)
    out = mx.nd.LayerNorm(mx.nd.array(x, dtype="float64"), mx.nd.array(g, dtype="float64"),
                          mx.nd.array(b, dtype="float64"), axis=axis, eps=0.01)
    assert_nd(out, ln_ref(x, g, b, axis=axis, eps=0.01)[0], dtype=np.float64, rtol=1e-12, atol=1e-12)


def test_layernorm_symbol_names_and_inference():
    s = mx.sym.LayerNorm(mx.sym.var("data"), name="ln")
    assert s.list_arguments() == ["data", "ln_gamma", "ln_beta"]
    assert s.list_outputs() == ["ln_output"]
    assert s.list_auxiliary_states() == []
    s2 = mx.sym.LayerNorm(mx.sym.var("data"), name="ln", output_mean_var=True)
    assert s2.list_outputs() == ["ln_output", "ln_mean", "ln_std"]
    # MXNet's infer_shape results.
    assert s.infer_shape(data=(2, 3, 4)) == ([(2, 3, 4), (4,), (4,)], [(2, 3, 4)], [])
    assert s2.infer_shape(data=(2, 3, 4)) == ([(2, 3, 4), (4,), (4,)], [(2, 3, 4), (2, 3, 1), (2, 3, 1)], [])
    s1 = mx.sym.LayerNorm(mx.sym.var("data"), name="ln", axis=1)
    assert s1.infer_shape(data=(2, 3, 4)) == ([(2, 3, 4), (3,), (3,)], [(2, 3, 4)], [])
    assert s.infer_shape(data=(4,)) == ([(4,), (4,), (4,)], [(4,)], [])
    # gamma alone does not give data (MXNet: ([(), (4,), ()], [()], [])).
    args, outs, _ = s.infer_shape_partial(ln_gamma=(4,))
    assert args[1] == (4,) and outs[0] in ((), None)
    # dtypes: one for all; float16 data gives float16 gamma/beta (MXNet; BatchNorm keeps float32 there).
    assert s.infer_type(data="float16") == ([np.float16] * 3, [np.float16], [])
    assert s2.infer_type(data="float16") == ([np.float16] * 3, [np.float16] * 3, [])
    assert s.infer_type(data="float64") == ([np.float64] * 3, [np.float64], [])
    assert s.infer_type(ln_gamma="float32") == ([np.float32] * 3, [np.float32], [])


def test_layernorm_errors():
    s = mx.sym.LayerNorm(mx.sym.var("data"), name="ln")
    # MXNet: "Shape inconsistent, Provided = [3], inferred shape=[4]".
    with pytest.raises(mx.base.ShapeError, match=r"LayerNorm.*'gamma'.*\(4,\).*\(3,\)"):
        s.infer_shape(data=(2, 3, 4), ln_gamma=(3,))
    with pytest.raises(mx.base.ShapeError, match=r"LayerNorm.*'gamma'.*\(4,\).*\(3,\)"):
        mx.nd.LayerNorm(mx.nd.array(mx_input()), mx.nd.array(G3), mx.nd.array(B3))
    with pytest.raises(mx.base.ShapeError, match=r"LayerNorm.*'beta'.*\(4,\).*\(2,\)"):
        mx.nd.LayerNorm(mx.nd.array(mx_input()), mx.nd.array(G4), mx.nd.array([1.0, 2.0]))
    # MXNet: "Channel axis out of range: axis=3".
    with pytest.raises(mx.base.MXNetError, match="LayerNorm.*axis 3.*3 dimension"):
        mx.nd.LayerNorm(mx.nd.array(mx_input()), mx.nd.array(G4), mx.nd.array(B4), axis=3)
    # MXNet: "Incompatible attr ... at 1-th input: expected float16, got float32".
    with pytest.raises(TypeError, match="LayerNorm.*gamma.*float32.*float16|LayerNorm.*gamma.*float16.*float32"):
        s.infer_type(data="float16", ln_gamma="float32")


def _grads(sym, values, heads):
    """Executor gradients of every argument of sym for the given head gradients (one per visible output)."""
    ex = sym.simple_bind(mx.current_context(), grad_req="write", **{k: v.shape for k, v in values.items()})
    for k, v in values.items():
        ex.arg_dict[k][:] = v
    ex.forward(is_train=True)
    ex.backward([mx.nd.array(h) for h in heads])
    return {k: ex.grad_dict[k].asnumpy() for k in values}


def test_layernorm_gradient_ignores_statistic_heads():
    """MXNet: "no gradient will be passed through" mean and std; the gradients are MXNet's for head cos(arange(24))."""
    head = np.cos(np.arange(24)).reshape(2, 3, 4)
    vals = {"data": mx_input(), "ln_gamma": np.array(G4), "ln_beta": np.array(B4)}
    for omv in (False, True):
        sym = mx.sym.LayerNorm(mx.sym.var("data"), name="ln", output_mean_var=omv)
        heads = [head, np.full((2, 3, 1), 5.0), np.full((2, 3, 1), 7.0)] if omv else [head]
        g = _grads(sym, vals, heads)
        np.testing.assert_allclose(g["data"][0, 0], [0.757109, 0.623005, 0.033057, -1.413171], rtol=1e-4, atol=1e-5)
        np.testing.assert_allclose(g["data"][1, 1], [-3.0890159606933594, -0.1406880021095276, 2.4613900184631348,
                                                     0.768314003944397], rtol=1e-4, atol=1e-5)
        np.testing.assert_allclose(g["ln_gamma"], [-2.1529672145843506, -0.6191526651382446, 0.359527587890625,
                                                   3.4741580486297607], rtol=1e-5, atol=1e-5)
        np.testing.assert_allclose(g["ln_beta"], [0.4951328933238983, -0.0026115775108337402, -0.4979550242424011,
                                                  -0.5354808568954468], rtol=1e-5, atol=1e-5)


def test_layernorm_float16():
    x = np.random.RandomState(0).uniform(-1, 1, size=(3, 8)).astype(np.float16)
    g = np.ones(8, dtype=np.float16)
    b = np.zeros(8, dtype=np.float16)
    out = mx.nd.LayerNorm(mx.nd.array(x, dtype="float16"), mx.nd.array(g, dtype="float16"),
                          mx.nd.array(b, dtype="float16"))
    assert out.dtype == np.float16
    np.testing.assert_allclose(out.asnumpy().astype(np.float32), ln_ref(x.astype(np.float32), g, b)[0],
                               rtol=4e-3, atol=4e-3)


def test_layernorm_executor_training_step():
    """A LayerNorm + FullyConnected net bound with simple_bind: gradients of gamma/beta match NumPy, and an SGD step
    on them lowers the loss."""
    rng = np.random.RandomState(5)
    data = mx.sym.var("data")
    ln = mx.sym.LayerNorm(data, name="ln")
    net = mx.sym.LinearRegressionOutput(mx.sym.FullyConnected(ln, num_hidden=1, name="fc"), name="lro")
    ex = net.simple_bind(mx.current_context(), data=(8, 5), lro_label=(8, 1), grad_req="write")
    assert ex.arg_dict["ln_gamma"].shape == (5,)
    x = rng.uniform(-1, 1, size=(8, 5))
    y = rng.uniform(-1, 1, size=(8, 1))
    ex.arg_dict["data"][:] = x
    ex.arg_dict["lro_label"][:] = y
    ex.arg_dict["ln_gamma"][:] = np.ones(5)
    ex.arg_dict["ln_beta"][:] = np.zeros(5)
    w = rng.uniform(-1, 1, size=(1, 5))
    ex.arg_dict["fc_weight"][:] = w
    ex.arg_dict["fc_bias"][:] = np.zeros(1)

    def loss():
        ex.forward(is_train=False)
        return 0.5 * np.sum((ex.outputs[0].asnumpy() - y) ** 2)

    before = loss()
    ex.forward(is_train=True)
    ex.backward()
    # NumPy: out = xhat * gamma + beta; d out = (pred - y) w (LinearRegressionOutput's gradient, per sample).
    xhat = (x - x.mean(1, keepdims=True)) / np.sqrt(x.var(1, keepdims=True) + 1e-5)
    pred = (xhat @ w.T)
    dout = (pred - y) @ w
    np.testing.assert_allclose(ex.grad_dict["ln_gamma"].asnumpy(), (dout * xhat).sum(0), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(ex.grad_dict["ln_beta"].asnumpy(), dout.sum(0), rtol=1e-4, atol=1e-5)
    for name in ("ln_gamma", "ln_beta", "fc_weight", "fc_bias"):
        ex.arg_dict[name][:] = ex.arg_dict[name].asnumpy() - 0.05 * ex.grad_dict[name].asnumpy()
    assert loss() < before


# ---------------------------------------------------------------------------------------------------- InstanceNorm
def test_instancenorm_nd_matches_mxnet():
    out = mx.nd.InstanceNorm(mx.nd.array(mx_input()), mx.nd.array(G3), mx.nd.array(B3))
    np.testing.assert_allclose(out.asnumpy()[0, 0], [-2.039409637451172, 1.1937884092330933, 1.7701375484466553,
                                                     -0.5245159864425659], rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(out.asnumpy()[1, 2], [1.4665296077728271, 1.5441930294036865, -0.8977277874946594,
                                                     -3.3129937648773193], rtol=1e-5, atol=1e-5)
    assert_nd(out, in_ref(mx_input(), G3, B3), rtol=1e-5, atol=1e-5)
    x4 = np.cos(np.arange(24)).reshape(2, 3, 2, 2)
    o4 = mx.nd.InstanceNorm(mx.nd.array(x4), mx.nd.array(G3), mx.nd.array(B3), eps=0.01)
    np.testing.assert_allclose(o4.asnumpy()[1, 2].ravel(), [2.8637897968292236, -0.7963581085205078,
                                                            -2.5281167030334473, -0.7393151521682739],
                               rtol=1e-5, atol=1e-5)
    assert_nd(o4, in_ref(x4, G3, B3, eps=0.01), rtol=1e-5, atol=1e-5)
    # MXNet's docstring example.
    ex = mx.nd.InstanceNorm(mx.nd.array([[[1.1, 2.2]], [[3.3, 4.4]]]), mx.nd.array([1.5]), mx.nd.array([0.5]))
    np.testing.assert_allclose(ex.asnumpy(), [[[-0.997527, 1.99752665]], [[-0.99752653, 1.99752724]]], rtol=1e-5)


def test_instancenorm_symbol_and_errors():
    s = mx.sym.InstanceNorm(mx.sym.var("data"), name="inorm")
    assert s.list_arguments() == ["data", "inorm_gamma", "inorm_beta"]
    assert s.list_outputs() == ["inorm_output"]
    assert s.infer_shape(data=(2, 3, 4, 5)) == ([(2, 3, 4, 5), (3,), (3,)], [(2, 3, 4, 5)], [])
    assert s.infer_type(data="float32") == ([np.float32] * 3, [np.float32], [])
    with pytest.raises(mx.base.ShapeError, match=r"InstanceNorm.*'gamma'.*\(3,\).*\(4,\)"):
        s.infer_shape(data=(2, 3, 4), inorm_gamma=(4,))
    # MXNet: "InstanceNorm only supports input tensors of rank >= 3".
    with pytest.raises(mx.base.ShapeError, match=r"InstanceNorm.*'data'.*\(2,3\).*at least 3"):
        mx.nd.InstanceNorm(mx.nd.ones((2, 3)), mx.nd.ones(3), mx.nd.zeros(3))


def test_instancenorm_gradient_matches_mxnet():
    head = np.cos(np.arange(24)).reshape(2, 3, 4)
    sym = mx.sym.InstanceNorm(mx.sym.var("data"), name="inorm")
    g = _grads(sym, {"data": mx_input(), "inorm_gamma": np.array(G3), "inorm_beta": np.array(B3)}, [head])
    np.testing.assert_allclose(g["data"][0, 0], [1.9922879934310913, 2.418617010116577, -0.5086041688919067,
                                                 -3.9023005962371826], rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(g["inorm_gamma"], [-2.8034214973449707, 3.0690741539001465, 0.7949588298797607],
                               rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(g["inorm_beta"], [1.2625129222869873, 1.7602896690368652, -3.5637173652648926],
                               rtol=1e-5, atol=1e-5)
