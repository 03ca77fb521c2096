"""mx.np / mx.npx, first slice: 0-d arrays, NumPy broadcasting and dtype rules, reductions, indexing, autograd.

Expected values are what Apache MXNet 1.9.1 printed for the same calls (``from mxnet import np, npx;
npx.set_np()``), or NumPy's results on the same data.
"""
import threading

import numpy as onp
import pytest

import mxc as mx
from mxc import np, npx, autograd


@pytest.fixture(autouse=True)
def np_mode():
    npx.set_np()
    yield
    npx.reset_np()


def check(a, expect, dtype="float32"):
    assert isinstance(a, np.ndarray), type(a)
    e = onp.asarray(expect)
    assert a.shape == e.shape, (a.shape, e.shape)
    assert a.dtype == onp.dtype(dtype), a.dtype
    onp.testing.assert_allclose(a.asnumpy(), e, rtol=1e-6, atol=1e-6)


def test_switches():
    npx.reset_np()
    assert (npx.is_np_shape(), npx.is_np_array()) == (False, False)
    npx.set_np()
    assert (npx.is_np_shape(), npx.is_np_array()) == (True, True)
    seen = []
    t = threading.Thread(target=lambda: seen.append(npx.is_np_shape()))  # thread-local, as MXNet's
    t.start()
    t.join()
    assert seen == [False]
    npx.reset_np()

    @npx.use_np
    def f():
        return npx.is_np_shape(), npx.is_np_array(), np.zeros(()).shape

    assert f() == (True, True, ())
    assert (npx.is_np_shape(), npx.is_np_array()) == (False, False)


def test_legacy_nd_unchanged_in_and_out_of_np_mode():
    npx.reset_np()
    assert mx.nd.array(3.0).shape == (1,)
    assert mx.nd.sum(mx.nd.array([1, 2, 3])).shape == (1,)
    npx.set_np()
    assert mx.nd.array(3.0).shape == (1,)


def test_creation_and_repr():
    # MXNet: repr(np.array([1,2])) -> array([1., 2.]) float32; np.zeros(()) -> array(0.)
    a = np.array([1, 2])
    assert repr(a) == "array([1., 2.])" and a.dtype == onp.float32
    assert repr(np.zeros(())) == "array(0.)"
    assert repr(np.ones((2, 3))) == "array([[1., 1., 1.],\n       [1., 1., 1.]])"
    assert repr(np.full((2,), 7)) == "array([7., 7.])"
    assert repr(np.arange(5)) == "array([0., 1., 2., 3., 4.])" and np.arange(5).dtype == onp.float32
    assert repr(np.arange(1, 4, 0.5)) == "array([1. , 1.5, 2. , 2.5, 3. , 3.5])"
    assert repr(np.zeros((2, 3), dtype="int32")) == "array([[0, 0, 0],\n       [0, 0, 0]], dtype=int32)"
    assert repr(np.array([True, False])) == "array([1., 0.])"
    assert repr(np.array([1.0, 2.5], dtype="float64")) == "array([1. , 2.5], dtype=float64)"
    assert np.array(3.0).shape == () and repr(np.array(3.0)) == "array(3.)"
    assert str(np.array([1., 2])) == "[1. 2.]" and str(np.array(2.0)) == "2.0"
    assert np.empty((2, 2)).shape == (2, 2)
    x = np.array([[1, 2, 3], [4, 5, 6]])
    check(np.zeros_like(x), onp.zeros((2, 3)))
    check(np.ones_like(np.array([0.5, 1.5])), [1., 1.])
    check(np.zeros((2, 0)), onp.zeros((2, 0)))
    assert (x.size, x.ndim, x.shape) == (6, 2, (2, 3))
    assert isinstance(x, mx.nd.NDArray)


def test_arithmetic_dtypes_and_broadcasting():
    i = np.array([1, 2], dtype="int32")
    f = np.array([0.5, 1.5])
    # MXNet: int32 + float32 -> float32 [1.5 3.5]; int32 * 2 -> int32; int32 + 0.5 -> int32 [1 2]; int32 / 2 ->
    # float32 [0.5 1.]
    check(i + f, [1.5, 3.5])
    check(i * 2, [2, 4], "int32")
    check(i + 0.5, [1, 2], "int32")
    check(i / 2, [0.5, 1.0])
    check(np.array([1., 2]) + np.array(1.0), [2., 3.])
    check(np.array(3.) * np.array(4.), 12.)
    check(-np.array(2.), -2.)
    check(1 - np.array([1., 2]), [0., -1.])
    check(2 ** np.array([1., 2]), [2., 4.])
    check(np.array([1., 2]) ** 2, [1., 4.])
    check(np.array([7., 8]) % 3, [1., 2.])
    check(6 / np.array([2., 3]), [3., 2.])
    a = onp.arange(6, dtype=onp.float32).reshape(2, 3)
    b = onp.array([1., 10., 100.], dtype=onp.float32)
    check(np.array(a) * np.array(b), a * b)
    check(np.array(a)[:, :1] - np.array(b), a[:, :1] - b)
    check(np.array(a) + np.array(5.), a + 5)


def test_comparisons():
    x = np.array([[1, 2, 3], [4, 5, 6]])
    check(x > 2, [[False, False, True], [True, True, True]], "bool")
    check(x == np.array([1, 5, 3]), [[True, False, True], [False, True, False]], "bool")
    assert repr(np.array(2.) > 1) == "array(True)"
    check(np.array([1., 2.]) != 2, [True, False], "bool")
    check(np.array([1., 2.]) <= np.array(1.), [True, False], "bool")


def test_unary_and_binary_functions():
    f = np.array([0.5, 1.5])
    check(np.power(f, 2), [0.25, 2.25])
    check(np.maximum(f, 1), [1., 1.5])
    check(np.minimum(np.array([1., 5.]), np.array([3., 2.])), [1., 2.])
    check(np.exp(np.array(0.)), 1.)
    check(np.tanh(np.array([0., 1.])), [0., 0.7615942])
    check(np.log(np.array(1.)), 0.)
    check(np.cos(np.array([0.])), [1.])
    check(np.sin(np.array(0.)), 0.)
    check(np.abs(np.array([-1., 2])), [1., 2.])
    check(np.sqrt(np.array([4.])), [2.])


def test_reductions():
    x = np.array([[1, 2, 3], [4, 5, 6]])
    # MXNet: array(21.) array([5., 7., 9.]) array([[2.], [5.]]) array(6.) array(720.)
    check(x.sum(), 21.)
    check(np.sum(x, axis=0), [5., 7., 9.])
    check(x.mean(axis=1, keepdims=True), [[2.], [5.]])
    check(x.max(), 6.)
    check(np.prod(x), 720.)
    check(x.sum(axis=1), [6., 15.])
    check(x.min(), 1.)
    check(x.min(axis=0), [1., 2., 3.])
    check(np.max(x, axis=1, keepdims=True), [[3.], [6.]])
    check(np.mean(x), 3.5)
    check(x.prod(axis=0), [4., 10., 18.])
    check(np.sum(np.array(4.)), 4.)
    check(np.linalg.norm(np.array([3., 4.])), 5.)
    check(np.linalg.norm(x), onp.sqrt(91.))  # MXNet: array(9.5393915)


def test_dot_matmul_shapes():
    check(np.dot(np.array([1., 2, 3]), np.array([4., 5, 6])), 32.)
    x = np.array([[1, 2, 3], [4, 5, 6]])
    check(np.matmul(x, x.T), [[14., 32.], [32., 77.]])
    check(x.T, [[1., 4.], [2., 5.], [3., 6.]])
    check(x.reshape(3, 2), [[1., 2.], [3., 4.], [5., 6.]])
    check(x.reshape(-1), [1., 2., 3., 4., 5., 6.])
    check(np.reshape(np.array(5.), (1, 1)), [[5.]])
    check(np.reshape(np.array([5.]), ()), 5.)
    check(np.transpose(x, (1, 0)), x.asnumpy().T)
    check(np.concatenate([x, x], axis=0), onp.concatenate([x.asnumpy()] * 2))
    f = np.array([0.5, 1.5])
    check(np.stack([f, f]), [[0.5, 1.5], [0.5, 1.5]])
    check(np.stack([x, x], axis=1), onp.stack([x.asnumpy()] * 2, axis=1))
    check(np.concatenate([f, f]), [0.5, 1.5, 0.5, 1.5])
    check(np.dot(np.array(2.), f), [1., 3.])


def test_indexing_and_scalars():
    x = np.array([[1, 2, 3], [4, 5, 6]])
    check(x[1], [4., 5., 6.])
    check(x[1][2], 6.)
    check(x[0, 1], 2.)
    check(x[-1], [4., 5., 6.])
    check(x[0:1], [[1., 2., 3.]])
    check(x[:, 1:], [[2., 3.], [5., 6.]])
    check(np.arange(6).reshape(2, 3)[:, 2], [2., 5.])
    assert float(x[1][2]) == 6.0 and int(x[0][0]) == 1 and bool(x[0][0]) is True
    v = x[1][2].item()
    assert v == 6.0 and type(v) is float
    y = np.zeros((2, 3))
    y[0] = 1
    y[1, 2] = 5
    check(y, [[1., 1., 1.], [0., 0., 5.]])
    z = np.arange(4)
    z[1:3] = 9
    check(z, [0., 9., 9., 3.])
    s = np.array(1.)
    s[...] = 7
    check(s, 7.)
    with pytest.raises(IndexError):
        s[0]
    with pytest.raises(TypeError):
        float(np.array([1., 2.]))


def test_random_shapes_and_dtypes():
    u = np.random.uniform(size=(2, 3))
    assert (u.shape, u.dtype, type(u)) == ((2, 3), onp.float32, np.ndarray)
    assert ((0 <= u.asnumpy()) & (u.asnumpy() < 1)).all()
    assert np.random.normal(0, 1, (4,)).shape == (4,)
    assert np.random.uniform().shape == ()
    assert np.random.normal(size=(2,), dtype="float64").dtype == onp.float64


def test_autograd():
    w = np.array([1., 2, 3])
    w.attach_grad()
    with autograd.record():
        loss = (w * w).sum()
    loss.backward()
    check(loss, 14.)
    check(w.grad, [2., 4., 6.])
    # a 0-d input: d(3 s^2 + sin s)/ds = 6 s + cos s at s = 2 (MXNet: array(12.909297) array(11.583853))
    s = np.array(2.0)
    s.attach_grad()
    with autograd.record():
        l2 = s * s * 3 + np.sin(s)
    l2.backward()
    check(l2, 12.909297)
    check(s.grad, 6 * 2 + onp.cos(2.0))
    # d2l's linear regression step: squared loss of X w + b, mean over the batch, gradient by hand.
    X = onp.array([[1., 2.], [3., 4.], [5., 6.]], dtype=onp.float32)
    yv = onp.array([1., 2., 3.], dtype=onp.float32)
    wv = onp.array([0.5, -0.25], dtype=onp.float32)
    w, b = np.array(wv), np.array(0.1)
    w.attach_grad()
    b.attach_grad()
    with autograd.record():
        l3 = ((np.dot(np.array(X), w) + b - np.array(yv)) ** 2 / 2).mean()
    l3.backward()
    r = X @ wv + 0.1 - yv
    check(l3, (r ** 2 / 2).mean())
    check(w.grad, X.T @ r / 3)
    check(b.grad, r.mean())


def test_not_implemented_names_the_function():
    with pytest.raises(NotImplementedError, match="mx.np.einsum"):
        np.einsum
    with pytest.raises(NotImplementedError, match="mx.np.random.gamma"):
        np.random.gamma
    with pytest.raises(NotImplementedError, match="mx.np.linalg.svd"):
        np.linalg.svd


def test_npx_functions():
    x = np.array([[-1., 0., 2.], [3., -4., 0.5]])
    xv = x.asnumpy()
    check(npx.relu(x), onp.maximum(xv, 0))
    check(npx.sigmoid(np.array([0., 1.])), [0.5, 0.7310586])
    e = onp.exp(xv - xv.max(axis=-1, keepdims=True))
    check(npx.softmax(x), e / e.sum(axis=-1, keepdims=True))
    # MXNet: [[0.01798621, 0.98201376, 0.81757444], [0.98201376, 0.01798621, 0.18242551]]
    check(npx.softmax(x, axis=0), [[0.01798621, 0.98201376, 0.81757444], [0.98201376, 0.01798621, 0.18242551]])
    # MXNet: [[-3.1698446, -2.1698446, -0.16984455], [-0.07972915, -7.079729, -2.579729]]
    # (MXNet's float32 arithmetic is 3e-6 off the exact value here: compared with NumPy in float64 too)
    ls = npx.log_softmax(x)
    onp.testing.assert_allclose(ls.asnumpy(),
                                [[-3.1698446, -2.1698446, -0.16984455], [-0.07972915, -7.079729, -2.579729]],
                                atol=5e-6)
    x64 = xv.astype(onp.float64)
    exact = x64 - x64.max(-1, keepdims=True) - onp.log(onp.exp(x64 - x64.max(-1, keepdims=True)).sum(-1,
                                                                                                   keepdims=True))
    onp.testing.assert_allclose(ls.asnumpy(), exact, rtol=1e-6)
    check(npx.one_hot(np.array([0, 2, 1]), 3), onp.eye(3)[[0, 2, 1]])
    check(npx.pick(x, np.array([2, 0])), [2., 3.])
    check(npx.pick(x, np.array([2, 0]), keepdims=True), [[2.], [3.]])
    check(np.linalg.norm(x, axis=1), onp.linalg.norm(xv, axis=1))  # MXNet: [2.236068, 5.0249376]
    with pytest.raises(NotImplementedError, match="mx.npx.batch_norm"):
        npx.batch_norm


def test_gluon_dense_and_l2loss_give_np_arrays():
    from mxc import gluon
    x = np.array([[-1., 0., 2.], [3., -4., 0.5]])
    net = gluon.nn.Dense(2, in_units=3)
    net.initialize(mx.init.Constant(0.5))
    out = net(x)
    check(out, [[0.5, 0.5], [-0.25, -0.25]])  # MXNet printed these
    label = np.array([[1., 1.], [0., 0.]])
    check(gluon.loss.L2Loss()(out, label), [0.125, 0.03125])
    with autograd.record():
        loss = gluon.loss.L2Loss()(net(x), label)
    loss.backward()
    check(net.weight.grad(), [[-0.125, 0.5, -0.5625], [-0.125, 0.5, -0.5625]])
    # a legacy NDArray on the left of an mx.np array: NumPy broadcasting still
    check(mx.nd.array([[1.], [2.]]) - np.array([1., 2.]), [[0., -1.], [1., 0.]])
    npx.reset_np()
    assert type(net(mx.nd.array([[1., 2., 3.]]))) is mx.nd.NDArray


def test_d2l_linear_regression_from_scratch_matches_mxnet():
    # d2l's chapter 3.2 loop on fixed data; MXNet 1.9.1 printed the same losses and parameters.
    Xn = onp.random.RandomState(0).normal(0, 1, (100, 2)).astype("float32")
    true_w, true_b = np.array([2, -3.4]), 4.2
    X = np.array(Xn)
    y = np.dot(X, true_w) + true_b
    w, b = np.zeros((2, 1)), np.zeros(1)
    w.attach_grad()
    b.attach_grad()

    def squared_loss(y_hat, y):
        return (y_hat - y.reshape(y_hat.shape)) ** 2 / 2

    losses = []
    for _ in range(3):
        for i in range(0, 100, 10):
            with autograd.record():
                l = squared_loss(np.dot(X[i:i + 10], w) + b, y[i:i + 10])
            l.backward()
            for p in (w, b):
                p[:] = p - 0.03 * p.grad / 10
        losses.append(float(squared_loss(np.dot(X, w) + b, y).mean()))
    onp.testing.assert_allclose(losses, [8.651814, 4.960591, 2.848551], rtol=1e-5)
    onp.testing.assert_allclose(w.reshape(true_w.shape).asnumpy(), [1.2599826, -1.8928025], rtol=1e-5)
    onp.testing.assert_allclose(b.asnumpy(), [2.3331847], rtol=1e-5)


def test_argmax_clip_linspace_eye_expand_squeeze():
    x = np.array([[1., 5., 3.], [4., 2., 6.]])
    # MXNet: array(5, dtype=int64) array([1, 2], dtype=int64) array([1, 0, 1], dtype=int64) array(0, dtype=int64)
    assert repr(np.argmax(x)) == "array(5, dtype=int64)"
    check(np.argmax(x, axis=1), [1, 2], "int64")
    check(x.argmax(axis=0), [1, 0, 1], "int64")
    check(np.argmin(x), 0, "int64")
    check(np.clip(x, 2, 5), [[2., 5., 3.], [4., 2., 5.]])
    check(x.clip(2, 5), [[2., 5., 3.], [4., 2., 5.]])
    check(np.linspace(0, 1, 5), [0., 0.25, 0.5, 0.75, 1.])
    check(np.eye(2), onp.eye(2))
    check(np.eye(2, 3, k=1), onp.eye(2, 3, k=1))
    check(np.expand_dims(np.array([1., 2.]), 0), [[1., 2.]])
    check(np.squeeze(np.ones((1, 2, 1))), [1., 1.])
    check(np.squeeze(np.ones((1,))), 1.)
