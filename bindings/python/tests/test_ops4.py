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


# ---- legacy operators: Convolution_v1, Pooling_v1, BatchNorm_v1 ----------------------------------------------------
def _sin_data():
    return np.sin(np.arange(2 * 3 * 5 * 5)).reshape(2, 3, 5, 5).astype("float32")


def test_convolution_v1_is_convolution():
    x = mx.nd.array(_sin_data())
    w = mx.nd.array(np.cos(np.arange(4 * 3 * 2 * 2)).reshape(4, 3, 2, 2))
    b = mx.nd.array([0.1, 0.2, -0.3, 0.4])
    kw = dict(kernel=(2, 2), num_filter=4, stride=(2, 1), pad=(1, 0), dilate=(1, 2))
    y1 = mx.nd.Convolution_v1(x, w, b, **kw)
    y2 = mx.nd.Convolution(x, w, b, **kw)
    assert y1.shape == (2, 4, 3, 3)  # as MXNet 1.9.1
    np.testing.assert_array_equal(y1.asnumpy(), y2.asnumpy())
    wg = mx.nd.array(np.cos(np.arange(4 * 1 * 2 * 2)).reshape(4, 1, 2, 2))
    y = mx.nd.Convolution_v1(x[:, :2], wg, no_bias=True, kernel=(2, 2), num_filter=4, num_group=2)
    np.testing.assert_array_equal(y.asnumpy(), mx.nd.Convolution(x[:, :2], wg, no_bias=True, kernel=(2, 2),
                                                                  num_filter=4, num_group=2).asnumpy())
    s = mx.sym.Convolution_v1(mx.sym.Variable("data"), kernel=(2, 2), num_filter=2, name="c")
    assert s.list_arguments() == ["data", "c_weight", "c_bias"]
    s = mx.sym.Convolution_v1(mx.sym.Variable("data"), kernel=(2, 2), num_filter=2, no_bias=True, name="c")
    assert s.list_arguments() == ["data", "c_weight"]
    # MXNet: "1D convolution not supported"
    with pytest.raises(mx.base.MXNetError, match="Convolution_v1"):
        mx.nd.Convolution_v1(mx.nd.ones((2, 3, 5)), mx.nd.ones((2, 3, 2)), mx.nd.ones((2,)), kernel=(2,),
                             num_filter=2).wait_to_read()
    with pytest.raises(mx.base.MXNetError, match="Convolution_v1"):
        mx.nd.Convolution_v1(x, mx.nd.ones((4, 2, 2, 2)), b, kernel=(2, 2), num_filter=4).wait_to_read()


# MXNet 1.9.1: Pooling_v1(sin(arange(150)).reshape(2, 3, 5, 5), ...).ravel()[:6]
@pytest.mark.parametrize("kw,shape,first", [
    (dict(kernel=(3, 3), pool_type="avg", pad=(1, 1)), (2, 3, 5, 5),
     [-0.04409654, 0.12993503, 0.36209086, 0.26134202, 0.08731047, -0.21565336]),
    (dict(kernel=(3, 3), pool_type="avg", pad=(1, 1), stride=(2, 2), pooling_convention="full"), (2, 3, 3, 3),
     [-0.04409654, 0.36209086, 0.08731047, -0.26888517, -0.19441721, 0.24568234]),
    (dict(kernel=(2, 2), pool_type="max"), (2, 3, 4, 4),
     [0.84147096, 0.9092974, 0.98935825, 0.98935825, -0.2794155, 0.6569866]),
    (dict(kernel=(2, 2), pool_type="sum", stride=(2, 2), pooling_convention="full"), (2, 3, 3, 3),
     [-0.39686882, 2.6967623, -0.344684, -1.1816268, -1.8287907, 1.1404846]),
    (dict(kernel=(3, 3), pool_type="max", global_pool=True), (2, 3, 1, 1),
     [0.9906074, 0.99991184, 0.99287266, 0.9995202, 0.99881524, 0.9964692]),
])
def test_pooling_v1_as_mxnet(kw, shape, first):
    x = mx.nd.array(_sin_data())
    y = mx.nd.Pooling_v1(x, **kw)
    assert y.shape == shape
    np.testing.assert_allclose(y.asnumpy().ravel()[:6], first, rtol=1e-6, atol=1e-7)
    np.testing.assert_array_equal(y.asnumpy(), mx.nd.Pooling(x, **kw).asnumpy())


def test_pooling_v1_errors_and_3d():
    with pytest.raises(mx.base.MXNetError, match="Pooling_v1"):
        mx.nd.Pooling_v1(mx.nd.ones((2, 3, 5)), kernel=(2,)).wait_to_read()
    with pytest.raises(mx.base.MXNetError):
        mx.nd.Pooling_v1(mx.nd.ones((2, 3, 5, 5)), kernel=(2, 2), pool_type="lp")
    assert mx.nd.Pooling_v1(mx.nd.ones((1, 1, 4, 4, 4)), kernel=(2, 2, 2)).shape == (1, 1, 3, 3, 3)  # as MXNet


_BN_X = (np.cos(np.arange(24) * 0.7).reshape(2, 3, 2, 2) * 2 + 0.5).astype("float32")
_BN_HEAD = np.sin(np.arange(24) * 1.3).reshape(2, 3, 2, 2).astype("float32")


def _bn_v1_run(train, **kw):
    s = mx.sym.BatchNorm_v1(mx.sym.Variable("data"), name="bn", eps=1e-3, momentum=0.9, output_mean_var=True, **kw)
    ex = s.simple_bind(mx.context.current_context(), data=(2, 3, 2, 2))  # gpu(0) with MXC_TEST_DEFAULT_CTX=gpu
    ex.arg_dict["data"][:] = _BN_X
    ex.arg_dict["bn_gamma"][:] = np.array([1.5, 0.5, -1.0])
    ex.arg_dict["bn_beta"][:] = np.array([0.1, -0.2, 0.3])
    ex.aux_dict["bn_moving_mean"][:] = np.array([0.2, -0.1, 0.4])
    ex.aux_dict["bn_moving_var"][:] = np.array([1.5, 0.8, 2.0])
    outs = [o.asnumpy() for o in ex.forward(is_train=train)]
    grads = None
    if train:
        ex.backward([mx.nd.array(_BN_HEAD), mx.nd.zeros((3,)), mx.nd.zeros((3,))])
        grads = [ex.grad_dict[k].asnumpy() for k in ("data", "bn_gamma", "bn_beta")]
    return outs, grads


def test_batchnorm_v1_as_mxnet():
    s = mx.sym.BatchNorm_v1(mx.sym.Variable("data"), name="bn", output_mean_var=True)
    assert s.list_arguments() == ["data", "bn_gamma", "bn_beta"]
    assert s.list_auxiliary_states() == ["bn_moving_mean", "bn_moving_var"]
    assert s.list_outputs() == ["bn_output", "bn_mean", "bn_var"]
    # MXNet 1.9.1's printed values (the executor, is_train=True, fix_gamma=False)
    outs, g = _bn_v1_run(True, fix_gamma=False)
    np.testing.assert_allclose(outs[0].ravel()[:8], [2.6456246376037598, 2.1384785175323486, 0.8555580377578735,
                                                     -0.599758505821228, -0.8963860273361206, -0.892413854598999,
                                                     -0.5850172638893127, -0.11876966059207916], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(outs[1], [0.13924744725227356, 0.6372078657150269, 0.6021919250488281], rtol=1e-5)
    # the variance, where BatchNorm outputs the inverse std
    np.testing.assert_allclose(outs[2], [1.9340612888336182, 2.1059441566467285, 2.1188876628875732], rtol=1e-5)
    np.testing.assert_allclose(outs[2], _BN_X.transpose(1, 0, 2, 3).reshape(3, -1).var(1), rtol=1e-5)
    np.testing.assert_allclose(g[0].ravel()[:8], [-0.7412535548210144, 0.4462246596813202, 0.33864548802375793,
                                                  -0.5328178405761719, -0.3895108997821808, -0.010621320456266403,
                                                  0.2956441342830658, 0.11681701242923737], rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(g[1], [3.2577896118164062, -1.375222086906433, -0.06851077079772949], rtol=1e-5,
                               atol=1e-6)
    np.testing.assert_allclose(g[2], [-0.02936995029449463, 0.06318908929824829, 0.0885804295539856], rtol=1e-4,
                               atol=1e-6)
    # fix_gamma: gamma's gradient is 0
    outs, g = _bn_v1_run(True, fix_gamma=True)
    np.testing.assert_allclose(outs[0].ravel()[:4], [1.7970831394195557, 1.458985686302185, 0.6037054061889648,
                                                     -0.3665056824684143], rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(g[1], [0, 0, 0])
    # inference: the moving statistics, output as they are
    outs, _ = _bn_v1_run(False, fix_gamma=False)
    np.testing.assert_allclose(outs[0].ravel()[:4], [2.9159743785858154, 2.3401498794555664, 0.883495032787323,
                                                     -0.7689022421836853], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(outs[1], [0.2, -0.1, 0.4], rtol=1e-6)
    np.testing.assert_allclose(outs[2], [1.5, 0.8, 2.0], rtol=1e-5)
    # use_global_stats while training
    outs, g = _bn_v1_run(True, fix_gamma=False, use_global_stats=True)
    np.testing.assert_allclose(g[0].ravel()[:4], [0.0, 1.1797196865081787, 0.6311473250389099, -0.8420574069023132],
                               rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(g[1], [3.7004196643829346, -2.1783523559570312, -0.05785548686981201], rtol=1e-5)


# ---- internal operators ------------------------------------------------------------------------------------------
def test_onehot_encode_as_mxnet():
    I = mx.nd._internal
    # MXNet 1.9.1: the index truncated; an index outside [0, K) leaves a row of zeros (also over a given output)
    y = I._onehot_encode(mx.nd.array([1, 0, 3, 2.7]), mx.nd.zeros((4, 5)))
    np.testing.assert_array_equal(y.asnumpy(), np.eye(5)[[1, 0, 3, 2]])
    out = mx.nd.ones((4, 5))
    I._onehot_encode(mx.nd.array([1, 0, 3, -1]), mx.nd.ones((4, 5)), out=out)
    np.testing.assert_array_equal(out.asnumpy(), np.vstack([np.eye(5)[[1, 0, 3]], np.zeros((1, 5))]))
    with pytest.raises(mx.base.MXNetError, match="shape inconsistent"):
        I._onehot_encode(mx.nd.array([1, 2, 3]), mx.nd.ones((2, 5))).wait_to_read()
    with pytest.raises(mx.base.MXNetError, match="float32"):
        I._onehot_encode(mx.nd.array([1, 2], dtype="int32"), mx.nd.ones((2, 5), dtype="int32")).wait_to_read()


def test_set_value_grad_add_identity_like_zeros():
    I = mx.nd._internal
    o = mx.nd.ones((2, 3))
    I._set_value(2.5, out=o)
    np.testing.assert_array_equal(o.asnumpy(), np.full((2, 3), 2.5))
    o = mx.nd.ones((2, 3), dtype="int32")
    I._set_value(2.7, out=o)  # MXNet 1.9.1: 2
    np.testing.assert_array_equal(o.asnumpy(), np.full((2, 3), 2))
    with pytest.raises(mx.base.MXNetError, match="_set_value"):
        I._set_value(2.5).wait_to_read()  # MXNet: the target must be given
    np.testing.assert_array_equal(I._grad_add(mx.nd.array([1, 2]), mx.nd.array([3, 4])).asnumpy(), [4, 6])
    a = mx.nd.array([1, 2, 3], dtype="float64")
    y = I._identity_with_attr_like_rhs(a, mx.nd.zeros((3,), dtype="float64"))
    assert y.dtype == np.float64
    np.testing.assert_array_equal(y.asnumpy(), [1, 2, 3])
    with pytest.raises(mx.base.MXNetError):
        I._identity_with_attr_like_rhs(mx.nd.array([1, 2]), mx.nd.array([3, 4, 5])).wait_to_read()
    z = I._zeros_without_dtype(shape=(2, 3))
    assert z.dtype == np.float32 and z.shape == (2, 3) and not z.asnumpy().any()
    assert I._zeros_without_dtype(shape=(2,), dtype=6).dtype == np.int64
    # in a graph: the dtype of what it is added to
    s = mx.sym._internal._zeros_without_dtype(shape=(3,)) + mx.sym.Variable("x")
    _, out_types, _ = s.infer_type(x=np.float64)
    assert out_types == [np.float64]


def test_kl_sparse_reg_as_mxnet():
    s = mx.sym.IdentityAttachKLSparseReg(mx.sym.Variable("data"), name="kl", penalty=0.1, sparseness_target=0.2,
                                         momentum=0.9)
    assert s.list_arguments() == ["data"] and s.list_auxiliary_states() == ["kl_moving_avg"]
    ex = s.simple_bind(mx.context.current_context(), data=(3, 2))
    x = np.array([[0.2, 0.5], [0.9, 0.1], [0.3, 0.3]])
    ex.arg_dict["data"][:] = x
    head = mx.nd.array([[1.0, -2.0], [0.5, 0.0], [0.25, 1.0]])
    # MXNet 1.9.1's values over two steps
    expected = [([[0.6553447246551514, -2.5841922760009766], [0.15534475445747375, -0.5841922760009766],
                  [-0.09465524554252625, 0.41580772399902344]], [0.04666668176651001, 0.030000008642673492]),
                ([[0.8622196316719055, -2.2660415172576904], [0.3622196316719055, -0.26604148745536804],
                  [0.11221963167190552, 0.7339584827423096]], [0.08866669237613678, 0.057000014930963516])]
    for grad, avg in expected:
        y = ex.forward(is_train=True)[0]
        ex.backward(head)
        np.testing.assert_allclose(y.asnumpy(), x, rtol=1e-6)
        np.testing.assert_allclose(ex.grad_dict["data"].asnumpy(), grad, rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(ex.aux_dict["kl_moving_avg"].asnumpy(), avg, rtol=1e-5)
    ex.forward(is_train=False)  # inference leaves the average
    np.testing.assert_allclose(ex.aux_dict["kl_moving_avg"].asnumpy(), expected[1][1], rtol=1e-5)


def test_sample_unique_zipfian():
    mx.random.seed(3)
    samples, trials = mx.nd._internal._sample_unique_zipfian(range_max=20, shape=(2000, 5))
    assert samples.dtype == np.int64 and trials.dtype == np.int64
    assert samples.shape == (2000, 5) and trials.shape == (2000,)
    s, t = samples.asnumpy(), trials.asnumpy()
    assert s.min() >= 0 and s.max() < 20
    assert all(len(set(row)) == 5 for row in s)  # without replacement
    assert (t >= 5).all()
    p = np.log((np.arange(20) + 2.0) / (np.arange(20) + 1.0)) / np.log(21.0)
    np.testing.assert_allclose(np.bincount(s[:, 0], minlength=20) / 2000.0, p, atol=0.03)  # the first draw
    # MXNet 1.9.1 printed a mean of 6.159 trials for this case (range 20, 5 samples)
    assert 5.8 < t.mean() < 6.5
    s, t = mx.nd._internal._sample_unique_zipfian(range_max=4, shape=(1, 4))
    assert sorted(s.asnumpy()[0].tolist()) == [0, 1, 2, 3]
    with pytest.raises(mx.base.MXNetError, match="cannot exceed"):
        mx.nd._internal._sample_unique_zipfian(range_max=3, shape=(1, 4))[0].wait_to_read()
    e = mx.nd._internal._sample_unique_zipfian(range_max=30, shape=(0, 3))
    assert e[0].shape == (0, 3) and e[1].shape == (0,)


def test_rand_zipfian_as_mxnet():
    mx.random.seed(1)
    s, et, es = mx.nd.contrib.rand_zipfian(mx.nd.array([3, 0, 7]), 6, 10)
    assert s.dtype == np.int64 and s.shape == (6,) and et.dtype == np.float64 and es.dtype == np.float64
    # MXNet 1.9.1's expected counts of the true classes (num_sampled * P(c))
    np.testing.assert_allclose(et.asnumpy(), [0.5583485330127835, 1.7343889579073268, 0.2947160461739332], rtol=1e-12)
    sv = s.asnumpy()
    np.testing.assert_allclose(es.asnumpy(), 6 * np.log((sv + 2.0) / (sv + 1.0)) / np.log(11), rtol=1e-12)
    s, et, _ = mx.nd.contrib.rand_zipfian(mx.nd.array([[1, 2]]), 20000, 7)
    assert et.shape == (1, 2)
    p = np.log((np.arange(7) + 2.0) / (np.arange(7) + 1.0)) / np.log(8)
    np.testing.assert_allclose(np.bincount(s.asnumpy(), minlength=7) / 20000.0, p, atol=0.01)  # with replacement


def test_rand_zipfian_symbol():
    x = mx.sym.Variable("x")
    s, et, es = mx.sym.contrib.rand_zipfian(x, 5, 9)
    g = mx.sym.Group([s, et, es])
    ex = g.simple_bind(mx.context.current_context(), x=(3,))
    ex.arg_dict["x"][:] = np.array([0, 4, 8])
    sv, etv, esv = [o.asnumpy() for o in ex.forward()]
    assert sv.shape == (5,) and sv.dtype == np.int64 and sv.min() >= 0 and sv.max() < 9
    np.testing.assert_allclose(etv, 5 * np.log((np.array([0, 4, 8]) + 2.0) / (np.array([0, 4, 8]) + 1.0)) / np.log(10),
                               rtol=1e-12)
    np.testing.assert_allclose(esv, 5 * np.log((sv + 2.0) / (sv + 1.0)) / np.log(10), rtol=1e-12)
