"""float16 arrays: creation, arithmetic, neural-network operators, executors and optimizer updates.

Operators compute float16 in float32 and round once (as NumPy does for float16 operations, and as MXNet's CPU kernels
do), so the references are NumPy's float16 results, or float32 computations on the same float16 values rounded to
float16.
"""
import numpy as np
import pytest

import mxc as mx

F16 = np.float16
ULP = 2.0 ** -10  # float16's relative spacing at 1: one unit in the last place for values in [1, 2)


def f16(a):
    return np.asarray(a, dtype=np.float32).astype(F16)


def rand16(shape, lo=-1.0, hi=1.0, seed=0):
    return f16(np.random.RandomState(seed).uniform(lo, hi, size=shape))


def close16(got, expected, ulps=2):
    """got (float16) is within `ulps` float16 units of the float32 reference rounded to float16."""
    assert got.dtype == F16, got.dtype
    expected = np.asarray(expected, dtype=np.float32)
    np.testing.assert_allclose(got.astype(np.float32), expected.astype(F16).astype(np.float32),
                               rtol=ulps * ULP, atol=ulps * ULP * 1e-2)


def test_creation_and_round_trip():
    assert mx.nd.zeros((2, 3), dtype='float16').asnumpy().tolist() == np.zeros((2, 3), F16).tolist()
    o = mx.nd.ones((4,), dtype='float16')
    assert o.dtype == F16 and o.asnumpy().dtype == F16
    np.testing.assert_array_equal(mx.nd.full((2, 2), 0.1, dtype='float16').asnumpy(), np.full((2, 2), 0.1, F16))
    np.testing.assert_array_equal(mx.nd.arange(0, 3, 0.25, dtype='float16').asnumpy(), np.arange(0, 3, 0.25, dtype=F16))
    x = rand16((3, 5))
    a = mx.nd.array(x, dtype='float16')
    np.testing.assert_array_equal(a.asnumpy(), x)
    # Conversions both ways are exact for values float16 holds, and round to nearest even otherwise.
    np.testing.assert_array_equal(a.astype('float32').asnumpy(), x.astype(np.float32))
    v = np.array([1 + 2.0 ** -11, 1 + 3 * 2.0 ** -11, 65504, 70000, 1e-8, -2.5], np.float32)
    with np.errstate(over='ignore'):  # 70000 overflows to inf in both
        np.testing.assert_array_equal(mx.nd.array(v).astype('float16').asnumpy(), v.astype(F16))


def test_arithmetic_matches_numpy_float16():
    x, y = rand16((4, 6), 0.5, 2.0, 1), rand16((4, 6), 0.5, 2.0, 2)
    a, b = mx.nd.array(x, dtype='float16'), mx.nd.array(y, dtype='float16')
    # NumPy computes a float16 operation in float32 and rounds once: the same results, bit for bit.
    for got, want in [(a + b, x + y), (a - b, x - y), (a * b, x * y), (a / b, x / y), (a + 1.5, x + F16(1.5)),
                      (3 - a, F16(3) - x), (a * a * a, x * x * x), (-a, -x), (mx.nd.maximum(a, b), np.maximum(x, y))]:
        assert got.dtype == F16
        np.testing.assert_array_equal(got.asnumpy(), want)
    for name, fn in [('exp', np.exp), ('log', np.log), ('sqrt', np.sqrt), ('tanh', np.tanh), ('sin', np.sin)]:
        close16(getattr(mx.nd, name)(a).asnumpy(), fn(x.astype(np.float32)), ulps=1)
    # In-place operators and slice assignment keep the dtype.
    c = a.copy()
    c += b
    c[1:3] = 0.25
    want = x + y
    want[1:3] = 0.25
    np.testing.assert_array_equal(c.asnumpy(), want)
    assert (a > b).dtype == F16
    np.testing.assert_array_equal((a > b).asnumpy(), (x > y).astype(F16))


def test_reductions_accumulate_in_float32():
    # 4096 values near 1: float16 accumulation (each partial sum rounded) would lose most of the fraction; the
    # operators accumulate in float32 and round the result once.
    x = rand16((4096,), 0.9, 1.1, 3)
    a = mx.nd.array(x, dtype='float16')
    ref = x.astype(np.float64).sum()
    s = a.sum().asnumpy()
    assert s.dtype == F16
    assert abs(float(s[0]) - ref) <= ULP * 4096 / 2 + 1e-9  # the final rounding only (half a unit at 4096)
    close16(mx.nd.mean(a).asnumpy(), [x.astype(np.float64).mean()], ulps=1)
    m = rand16((3, 7), seed=4)
    np.testing.assert_array_equal(mx.nd.max(mx.nd.array(m, dtype='float16'), axis=1).asnumpy(), m.max(axis=1))
    np.testing.assert_array_equal(mx.nd.argmax(mx.nd.array(m, dtype='float16'), axis=1).asnumpy(),
                                  m.argmax(axis=1).astype(F16))


def test_nn_operators_match_float32_on_the_same_values():
    x, w, bias = rand16((2, 3, 7, 7), seed=5), rand16((4, 3, 3, 3), seed=6), rand16((4,), seed=7)
    X, W, B = (mx.nd.array(v, dtype='float16') for v in (x, w, bias))
    X32, W32, B32 = (mx.nd.array(v.astype(np.float32)) for v in (x, w, bias))
    conv = mx.nd.Convolution(X, W, B, kernel=(3, 3), num_filter=4, pad=(1, 1))
    conv32 = mx.nd.Convolution(X32, W32, B32, kernel=(3, 3), num_filter=4, pad=(1, 1)).asnumpy()
    close16(conv.asnumpy(), conv32, ulps=1)
    # FullyConnected against a NumPy product of the same float16 values in float32.
    fw = rand16((5, 3 * 7 * 7), seed=8)
    fc = mx.nd.FullyConnected(X, mx.nd.array(fw, dtype='float16'), no_bias=True, num_hidden=5).asnumpy()
    close16(fc, x.reshape(2, -1).astype(np.float32) @ fw.astype(np.float32).T, ulps=1)
    pool = mx.nd.Pooling(conv, kernel=(2, 2), stride=(2, 2), pool_type='max').asnumpy()
    np.testing.assert_array_equal(pool, conv.asnumpy()[:, :, :6, :6].reshape(2, 4, 3, 2, 3, 2).max(axis=(3, 5)))
    sm = mx.nd.softmax(mx.nd.array(x.reshape(2, -1), dtype='float16')).asnumpy()
    e = np.exp(x.reshape(2, -1).astype(np.float64))
    close16(sm, e / e.sum(axis=1, keepdims=True), ulps=1)
    # BatchNorm takes float16 data with float32 parameters, as in MXNet.
    bn = mx.nd.BatchNorm(X, mx.nd.ones(3), mx.nd.zeros(3), mx.nd.zeros(3), mx.nd.ones(3), use_global_stats=True,
                         fix_gamma=False, eps=1e-3)
    assert bn.dtype == F16
    close16(bn.asnumpy(), x.astype(np.float32) / np.sqrt(1 + 1e-3), ulps=1)


def _mlp():
    data = mx.sym.Variable('data')
    h = mx.sym.Activation(mx.sym.FullyConnected(data, num_hidden=8, name='fc1'), act_type='tanh')
    return mx.sym.SoftmaxOutput(mx.sym.FullyConnected(h, num_hidden=3, name='fc2'), name='softmax')


def test_infer_type_propagates_float16():
    net = _mlp()
    arg, out, aux = net.infer_type(data='float16')
    assert arg == [F16] * len(net.list_arguments())
    assert out == [F16]
    # From an output-side argument too (the label), as MXNet infers types both ways.
    arg, out, _ = net.infer_type(softmax_label='float16')
    assert out == [F16] and arg[0] == F16


@pytest.mark.parametrize('grad_req', ['write', 'add'])
def test_executor_float16_matches_float32(grad_req):
    net = _mlp()
    ctx = mx.current_context()
    shapes = dict(data=(6, 5), softmax_label=(6,))
    e16 = net.simple_bind(ctx, grad_req=grad_req, type_dict={'data': 'float16'}, **shapes)
    e32 = net.simple_bind(ctx, grad_req=grad_req, **shapes)
    rs = np.random.RandomState(9)
    for name in net.list_arguments():
        v = f16(rs.uniform(-1, 1, size=e32.arg_dict[name].shape))
        if name == 'softmax_label':
            v = f16(rs.randint(0, 3, size=6))
        assert e16.arg_dict[name].dtype == F16
        e16.arg_dict[name][:] = v
        e32.arg_dict[name][:] = v.astype(np.float32)
    for g in list(e16.grad_arrays) + list(e32.grad_arrays):
        if g is not None:
            g[:] = 0.5
    for _ in range(2):  # with 'add' the second backward adds onto the first
        e16.forward(is_train=True)
        e32.forward(is_train=True)
        e16.backward()
        e32.backward()
    close16(e16.outputs[0].asnumpy(), e32.outputs[0].asnumpy(), ulps=2)
    for name in ('fc1_weight', 'fc1_bias', 'fc2_weight', 'fc2_bias'):
        g16, g32 = e16.grad_dict[name].asnumpy(), e32.grad_dict[name].asnumpy()
        assert g16.dtype == F16
        np.testing.assert_allclose(g16.astype(np.float32), g32, rtol=4e-3, atol=2e-3, err_msg=name)


def test_optimizer_updates_float16_weights_in_place():
    w = rand16((10,), seed=10)
    g = rand16((10,), seed=11)
    W = mx.nd.array(w, dtype='float16')
    mom = mx.nd.zeros((10,), dtype='float16')
    mx.nd.sgd_mom_update(W, mx.nd.array(g, dtype='float16'), mom, out=W, lr=0.5, momentum=0.9, wd=0.0)
    assert W.dtype == F16 and mom.dtype == F16
    close16(mom.asnumpy(), -0.5 * g.astype(np.float32), ulps=1)
    close16(W.asnumpy(), w.astype(np.float32) - 0.5 * g.astype(np.float32), ulps=1)


@pytest.mark.parametrize('momentum', [0.0, 0.9])
def test_multi_precision_keeps_updates_smaller_than_float16_spacing(momentum):
    # lr * grad = 1e-4 is below half of float16's spacing below 1 (2^-11 = 4.9e-4): plain SGD on a float16 weight of 1
    # never moves it,
    # while the float32 master copy of multi_precision accumulates the updates and the weight follows it.
    results = {}
    for mp in (False, True):
        opt = mx.optimizer.SGD(learning_rate=1.0, momentum=momentum, multi_precision=mp)
        upd = mx.optimizer.get_updater(opt)
        w = mx.nd.ones((3,), dtype='float16')
        g = mx.nd.full((3,), 1e-4, dtype='float16')
        for _ in range(10):
            upd(0, g, w)
        assert w.dtype == F16
        results[mp] = w.asnumpy()
    if momentum == 0:  # (with momentum the float16 state grows past that threshold, and the weight moves late)
        np.testing.assert_array_equal(results[False], np.ones(3, F16))
    # The master copy in float64 arithmetic: plain SGD moves 10 * 1e-4; momentum moves sum_k (1 - 0.9^k) / 0.1 * 1e-4.
    g16 = float(F16(1e-4))
    steps = sum((1 - momentum ** k) / (1 - momentum) for k in range(1, 11)) if momentum else 10
    np.testing.assert_array_equal(results[True], np.full(3, 1 - steps * g16, np.float32).astype(F16))
    assert results[True][0] < 1


def test_casts_match_numpy_for_every_float16_and_random_float32():
    h = np.arange(65536, dtype=np.uint32).astype(np.uint16).view(F16)
    got = mx.nd.array(h, dtype='float16').astype('float32').asnumpy()
    np.testing.assert_array_equal(got, h.astype(np.float32))  # NaNs compare equal to NaNs here
    rs = np.random.RandomState(12)
    bits = rs.randint(0, 2 ** 32, size=1 << 20, dtype=np.uint64).astype(np.uint32)
    # Every rounding boundary too: the 13 dropped bits exactly half, just under and just over, for every kept value.
    kept = np.arange(1 << 19, dtype=np.uint32) << 13
    bits = np.concatenate([bits, kept | 0x1000, kept | 0x0fff, kept | 0x1001])
    x = bits.view(np.float32)
    with np.errstate(over='ignore', invalid='ignore'):
        want = x.astype(F16)
    got = mx.nd.array(x).astype('float16').asnumpy()
    assert got.dtype == F16
    np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize('kwargs', [{}, {'dtype': 'float16'}])
def test_embedding_of_a_float16_weight_is_float16(kwargs):
    # As in MXNet 1.9.1: the output has the weight's dtype, with or without dtype='float16'.
    w = rand16((10, 4), seed=13)
    out = mx.nd.Embedding(mx.nd.array([1, 3, 3], dtype='float16'), mx.nd.array(w, dtype='float16'), input_dim=10,
                          output_dim=4, **kwargs)
    assert out.dtype == F16
    np.testing.assert_array_equal(out.asnumpy(), w[[1, 3, 3]])


def test_a_dtype_parameter_keeps_its_dtype():
    x = mx.nd.array(rand16((3, 4), 0.5, 1.0, seed=14), dtype='float16')
    n = mx.nd.norm(x, out_dtype='float32')
    assert n.dtype == np.float32
    np.testing.assert_allclose(n.asnumpy(), [np.sqrt((x.asnumpy().astype(np.float64) ** 2).sum())], rtol=1e-6)
    assert mx.nd.norm(x).dtype == F16
    assert mx.nd.one_hot(mx.nd.array([0, 2], dtype='float16'), 3).dtype == np.float32  # one_hot's default dtype


def test_float16_mixed_with_float32_is_a_dtype_mismatch_as_in_mxnet():
    # MXNet 1.9.1: "Incompatible attr in node _plus0 at 1-th input: expected float16, got float32".
    h, s = mx.nd.ones((2,), dtype='float16'), mx.nd.ones((2,))
    with pytest.raises(TypeError, match="elemwise_add: dtype mismatch for 'rhs': expected float16, got float32"):
        (h + s).asnumpy()
    with pytest.raises(TypeError, match="'rhs': expected float32, got float16"):
        (s + h).asnumpy()
    x = mx.sym.Variable('x')
    fc = mx.sym.FullyConnected(x, num_hidden=3, name='fc')
    with pytest.raises(TypeError, match="FullyConnected: dtype mismatch for 'weight': expected float16, got float32"):
        fc.infer_type(x='float16', fc_weight='float32')
    # Operators whose inputs have dtypes of their own take the mix (as MXNet): float32 indices, a float32 condition.
    emb = mx.sym.Embedding(x, input_dim=5, output_dim=3, name='emb')
    assert emb.infer_type(x='float32', emb_weight='float16') == ([np.float32, F16], [F16], [])
    w = mx.nd.where(mx.nd.array([1, 0]), mx.nd.array([1, 2], dtype='float16'), mx.nd.array([3, 4], dtype='float16'))
    assert w.dtype == F16 and w.asnumpy().tolist() == [1, 4]


def test_batchnorm_of_float16_data_keeps_float32_parameters_and_statistics():
    bn = mx.sym.BatchNorm(mx.sym.Variable('data'), name='bn', fix_gamma=False)
    # MXNet 1.9.1's answer: arguments data, gamma, beta; auxiliary moving mean and var.
    assert bn.infer_type(data='float16') == ([F16, np.float32, np.float32], [F16], [np.float32, np.float32])
    assert bn.infer_type(data='float64') == ([np.float64] * 3, [np.float64], [np.float64] * 2)
    with pytest.raises(TypeError, match="BatchNorm: dtype mismatch for 'gamma': expected float64, got float32"):
        bn.infer_type(data='float64', bn_gamma='float32')
    with pytest.raises(TypeError, match="'gamma': expected float32, got float16"):
        bn.infer_type(data='float32', bn_gamma='float16')
    # Training on float16 data: the moving statistics (float32) and the gradients match a float32 run on the same
    # values.
    x = rand16((4, 3, 5, 5), seed=21)
    e16 = bn.simple_bind(mx.current_context(), data=x.shape, type_dict={'data': 'float16'})
    e32 = bn.simple_bind(mx.current_context(), data=x.shape)
    assert e16.arg_dict['bn_gamma'].dtype == np.float32 and e16.aux_dict['bn_moving_mean'].dtype == np.float32
    head = rand16(x.shape, seed=22)
    for e, dt in ((e16, F16), (e32, np.float32)):
        e.arg_dict['data'][:] = x.astype(dt)
        e.arg_dict['bn_gamma'][:] = np.array([0.5, 1.0, 2.0], np.float32)
        e.arg_dict['bn_beta'][:] = np.array([0.1, 0.0, -0.1], np.float32)
        e.aux_dict['bn_moving_mean'][:] = 0
        e.aux_dict['bn_moving_var'][:] = 1
        e.forward(is_train=True)
        e.backward(mx.nd.array(head.astype(dt), dtype=dt, ctx=mx.current_context()))
    close16(e16.outputs[0].asnumpy(), e32.outputs[0].asnumpy(), ulps=2)
    for name in ('bn_moving_mean', 'bn_moving_var'):
        np.testing.assert_allclose(e16.aux_dict[name].asnumpy(), e32.aux_dict[name].asnumpy(), rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(e16.grad_dict['data'].asnumpy().astype(np.float32), e32.grad_dict['data'].asnumpy(),
                               rtol=4e-3, atol=4e-3)
    for name in ('bn_gamma', 'bn_beta'):
        assert e16.grad_dict[name].dtype == np.float32
        np.testing.assert_allclose(e16.grad_dict[name].asnumpy(), e32.grad_dict[name].asnumpy(), rtol=1e-5,
                                   atol=1e-5)


_D, _L = mx.sym.Variable('data'), mx.sym.Variable('label')


@pytest.mark.parametrize('name,sym,ok', [
    # What MXNet 1.9.1's infer_type says with data float16 and label float32 (True: accepted).
    ('SoftmaxOutput', mx.sym.SoftmaxOutput(_D, _L, name='sm'), False),
    ('LinearRegressionOutput', mx.sym.LinearRegressionOutput(_D, _L, name='lr'), False),
    ('Concat', mx.sym.concat(_D, _L, dim=0), False),
    ('dot', mx.sym.dot(_D, _L), False),
    ('broadcast_add', mx.sym.broadcast_add(_D, _L), False),
    ('take', mx.sym.take(_D, _L), True),
    ('pick', mx.sym.pick(_D, _L), True),
    ('where', mx.sym.where(_L, _D, _D), True),
])
def test_float16_beside_float32_is_taken_where_mxnet_takes_it(name, sym, ok):
    if ok:
        args, outs, _ = sym.infer_type(data='float16', label='float32')
        assert outs == [F16]
        assert args[sym.list_arguments().index('label')] == np.float32
    else:
        with pytest.raises(TypeError, match=name + ": dtype mismatch"):
            sym.infer_type(data='float16', label='float32')
