"""mx.test_utils: comparisons with dtype-dependent tolerances (messages as MXNet 1.9.1 prints them), random shapes
and arrays, and the symbolic checks (forward, backward, finite-difference gradients), including that they fail
when the values are wrong."""
import numpy as np
import pytest

import mxc as mx
from mxc import test_utils as tu


def test_default_context_follows_current_context():
    assert tu.default_context() == mx.current_context()
    with mx.Context(mx.cpu(3)):
        assert tu.default_context() == mx.cpu(3)
    old = mx.current_context()
    try:
        tu.set_default_context(mx.cpu(2))
        assert tu.default_context() == mx.cpu(2) and mx.current_context() == mx.cpu(2)
    finally:
        tu.set_default_context(old)
    assert tu.default_dtype() is np.float32


def test_default_tolerances_by_dtype():
    f16, f32, f64 = (np.zeros(2, t) for t in (np.float16, np.float32, np.float64))
    assert tu.get_tols(f16, f16, None, None) == (1e-2, 1e-1)
    assert tu.get_tols(f32, f32, None, None) == (1e-4, 1e-3)
    assert tu.get_tols(f64, f64, None, None) == (1e-5, 1e-20)
    assert tu.get_tols(f16, f64, None, None) == (1e-2, 1e-1)     # the looser of the two
    assert tu.get_tols(np.zeros(2, np.int32), np.zeros(2, np.int32), None, None) == (0, 0)
    assert tu.get_tols(f32, f32, 1e-3, None) == (1e-3, 1e-3)
    assert tu.default_numeric_eps()[np.dtype(np.float32)] == 2.0 ** -9


def test_assert_almost_equal_tolerance_edges():
    a = np.array([1.0, 100.0], dtype=np.float32)
    tu.assert_almost_equal(a, a + (1e-3 + 1e-4 * a) * 0.9)                    # inside atol + rtol*|b|
    with pytest.raises(AssertionError):
        tu.assert_almost_equal(a, a + (1e-3 + 1e-4 * a) * 1.2)
    tu.assert_almost_equal(mx.nd.array(a), a)                                # NDArray against NumPy
    tu.assert_almost_equal(np.array([1, 2]), np.array([[1, 2]]))             # broadcast
    with pytest.raises(AssertionError, match=r"a.shape = \(2,\) and b.shape = \(1, 2\) are not equal"):
        tu.assert_almost_equal(np.array([1., 2.]), np.array([[1., 2.]]), use_broadcast=False)
    with pytest.raises(AssertionError):                                     # integers compare exactly
        tu.assert_almost_equal(np.array([1, 2], np.int32), np.array([1, 3], np.int32))
    tu.assert_almost_equal(np.array([1, 2], np.float64), np.array([1, 2 + 1e-6]), rtol=1e-6)
    assert tu.almost_equal(a, a) and not tu.almost_equal(a, a + 1)


def test_assert_almost_equal_nan():
    x = np.array([np.nan, 1.0])
    with pytest.raises(AssertionError):
        tu.assert_almost_equal(x, x.copy())
    tu.assert_almost_equal(x, x.copy(), equal_nan=True)
    assert tu.almost_equal(x, x.copy(), equal_nan=True) and not tu.almost_equal(x, x.copy())
    tu.assert_almost_equal_ignore_nan(np.array([np.nan, 1.0, 2.0]), np.array([3.0, 1.0, np.nan]))


def test_assert_almost_equal_message_as_mxnet(capsys):
    a = np.array([[1., 2., 3.], [4., 5., 6.]], dtype=np.float32)
    b = a.copy()
    b[1, 2] = 6.1
    with pytest.raises(AssertionError) as info:
        tu.assert_almost_equal(a, mx.nd.array(b), names=('x', 'y'))
    # MXNet 1.9.1's text for the same call
    assert str(info.value) == (
        "\nItems are not equal:\n"
        "Error 62.111740 exceeds tolerance rtol=1.000000e-04, atol=1.000000e-03 (mismatch 16.666667%).\n"
        "Location of maximum error: (1, 2), x=6.00000000, y=6.09999990\n"
        " ACTUAL: array([[1., 2., 3.],\n       [4., 5., 6.]], dtype=float32)\n"
        " DESIRED: array([[1. , 2. , 3. ],\n       [4. , 5. , 6.1]], dtype=float32)")
    assert capsys.readouterr().out == (
        "\n*** Maximum errors for vector of size 6:  rtol=0.0001, atol=0.001\n\n"
        "  1: Error 62.111740  Location of error: (1, 2), x=6.00000000, y=6.09999990\n")


def test_assert_almost_equal_reports_the_worst_first(capsys):
    big = np.arange(100, dtype=np.float32).reshape(10, 10)
    other = big.copy()
    other[big > 30] += 1
    with pytest.raises(AssertionError) as info:
        tu.assert_almost_equal(big, other)
    text = str(info.value)
    assert "(mismatch at least 11.000000%)" in text
    assert "Location of maximum error: (3, 1), a=31.00000000, b=32.00000000" in text
    assert " ACTUAL: array([[ 0.,  1.,  2., ...,  7.,  8.,  9.]," in text
    out = capsys.readouterr().out
    assert out.count("Location of error") == 10 and " 10: Error 196.078430  Location of error: (4, 0)" in out
    with pytest.raises(AssertionError, match=r"\(mismatch 69.000000%\)"):
        tu.assert_almost_equal(big, other, mismatches=(3, 100))
    assert capsys.readouterr().out.count("Location of error") == 3


def test_same_and_assert_exception():
    assert tu.same(np.array([1, 2]), np.array([1, 2]))
    assert not tu.same(np.array([1, 2]), np.array([1, 3]))
    assert not tu.same(np.array([1, 2]), np.array([1, 2, 2]))

    def boom(x, y=0):
        raise ValueError("boom %d" % (x + y))
    tu.assert_exception(boom, ValueError, 1, y=2)
    with pytest.raises(AssertionError):
        tu.assert_exception(lambda: 1, ValueError)
    with pytest.raises(ValueError):                 # a different exception propagates
        tu.assert_exception(boom, KeyError, 1)


def test_random_shapes_and_arrays():
    np.random.seed(7)
    for _ in range(20):
        s2, s3, s4 = tu.rand_shape_2d(), tu.rand_shape_3d(2, 3, 4), tu.rand_shape_nd(4, dim=3)
        assert len(s2) == 2 and all(1 <= d <= 10 for d in s2)
        assert len(s3) == 3 and all(1 <= d <= m for d, m in zip(s3, (2, 3, 4)))
        assert len(s4) == 4 and all(1 <= d <= 3 for d in s4)
        assert all(0 <= d <= 1 for d in tu.rand_shape_2d(1, 1, allow_zero_size=True))
    x = tu.rand_ndarray((20, 30))
    assert isinstance(x, mx.nd.NDArray) and x.shape == (20, 30) and x.dtype == np.float32
    assert x.context == tu.default_context()
    v = x.asnumpy()
    assert abs(v.mean()) < 0.2 and 0.8 < v.std() < 1.2
    assert tu.rand_ndarray((2, 3), dtype='float16').dtype == np.float16
    assert tu.rand_ndarray((2, 3), dtype=np.float64, ctx=mx.cpu()).context == mx.cpu()
    for stype in ('csr', 'row_sparse'):
        with pytest.raises(NotImplementedError, match='sparse'):
            tu.rand_ndarray((2, 3), stype=stype)
    one = tu.random_arrays((2, 3))
    assert isinstance(one, np.ndarray) and one.shape == (2, 3) and one.dtype == np.float32
    two = tu.random_arrays((2, 3), (4,))
    assert [a.shape for a in two] == [(2, 3), (4,)]


def test_np_reduce():
    d = np.arange(24.).reshape(2, 3, 4)
    assert tu.np_reduce(d, 1, False, np.sum).shape == (2, 4)
    np.testing.assert_array_equal(tu.np_reduce(d, (0, 2), True, np.sum), d.sum(axis=(0, 2), keepdims=True))
    assert tu.np_reduce(d, None, False, np.max) == 23.0
    np.testing.assert_array_equal(tu.np_reduce(d, [0, 1], False, np.sum), d.sum(axis=(0, 1)))


X = np.array([[0.3, -0.7, 1.2], [0.5, 0.9, -1.1]], dtype=np.float32)
Y = np.array([[1.5, 0.2, -0.4], [0.8, -1.3, 0.6]], dtype=np.float32)


def _xy():
    x, y = mx.sym.Variable('x'), mx.sym.Variable('y')
    return x, y, x * y + mx.sym.sin(x)


def test_check_symbolic_forward():
    _, _, s = _xy()
    want = X * Y + np.sin(X)
    outs = tu.check_symbolic_forward(s, [X, Y], [want])
    assert isinstance(outs[0], mx.nd.NDArray)
    tu.check_symbolic_forward(s, {'x': X, 'y': Y}, {s.list_outputs()[0]: want})
    with pytest.raises(AssertionError, match='EXPECTED_.*FORWARD_'):
        tu.check_symbolic_forward(s, [X, Y], [X * Y])
    with pytest.raises(ValueError):
        tu.check_symbolic_forward(s, {'x': X, 'z': Y}, [want])


def test_check_symbolic_backward():
    _, _, s = _xy()
    g = np.array([[1., 2., 3.], [-1., 0.5, 2.]], dtype=np.float32)
    dx, dy = g * (Y + np.cos(X)), g * X
    grads = tu.check_symbolic_backward(s, [X, Y], [g], [dx, dy])
    assert sorted(grads) == ['x', 'y'] and isinstance(grads['x'], mx.nd.NDArray)
    assert sorted(tu.check_symbolic_backward(s, {'x': X, 'y': Y}, [g], {'x': dx})) == ['x']
    tu.check_symbolic_backward(s, [X, Y], [mx.nd.array(g)], [dx, dy], grad_req='add')
    tu.check_symbolic_backward(s, [X, Y], [g], {'x': dx, 'y': dy + 100}, grad_req={'x': 'write', 'y': 'null'})
    with pytest.raises(AssertionError, match='Location of maximum error: .*EXPECTED_x=.*BACKWARD_x='):
        tu.check_symbolic_backward(s, [X, Y], [g], [dy, dy])       # wrong expectation for x
    with pytest.raises(AssertionError, match='BACKWARD_y'):
        tu.check_symbolic_backward(s, [X, Y], [g], {'y': dx})


def test_check_numeric_gradient_passes_for_correct_gradients():
    np.random.seed(1)
    x, y, s = _xy()
    tu.check_numeric_gradient(s, [X, Y])
    tu.check_numeric_gradient(s, {'x': X, 'y': Y}, grad_nodes=['x'])
    tu.check_numeric_gradient(mx.sym.Group([x * y, mx.sym.tanh(x)]), [X, Y], grad_nodes={'x': 'write', 'y': 'add'})
    tu.check_numeric_gradient(x * y, [X.astype(np.float64), Y], dtype=np.float64)
    fc = mx.sym.FullyConnected(x, num_hidden=2, name='fc')
    tu.check_numeric_gradient(fc, [X, Y[:, :3][:2] * 0.5, np.array([0.1, -0.2])])


def test_check_numeric_gradient_fails_for_a_wrong_gradient():
    # BlockGrad's backward is zero, but the value does depend on x: the finite differences see y
    x, y = mx.sym.Variable('x'), mx.sym.Variable('y')
    with pytest.raises(AssertionError, match='NUMERICAL_x=.*BACKWARD_x=0.00000000'):
        tu.check_numeric_gradient(mx.sym.BlockGrad(x) * y, [X, Y])
    tu.check_numeric_gradient(mx.sym.BlockGrad(x) * y, [X, Y], grad_nodes=['y'])


def test_numeric_grad_of_sum_of_outputs():
    x, y, s = _xy()
    exe = s.simple_bind(tu.default_context(), x=X.shape, y=Y.shape)
    grads = tu.numeric_grad(exe, {'x': X, 'y': Y}, eps=1e-3)
    assert sorted(grads) == ['x', 'y'] and grads['x'].dtype == np.float32
    np.testing.assert_allclose(grads['x'], Y + np.cos(X), atol=2e-3)
    np.testing.assert_allclose(grads['y'], X, atol=2e-3)
    np.testing.assert_array_equal(exe.arg_dict['x'].asnumpy(), X)    # left at the location


def test_simple_forward():
    x, y, s = _xy()
    out = tu.simple_forward(s, x=X, y=Y)
    assert isinstance(out, np.ndarray)
    np.testing.assert_allclose(out, X * Y + np.sin(X), rtol=1e-5)
    outs = tu.simple_forward(mx.sym.Group([s, x + 1]), x=X, y=Y)
    assert isinstance(outs, list) and len(outs) == 2
    np.testing.assert_allclose(outs[1], X + 1)


def test_checks_with_aux_states():
    d = mx.sym.Variable('d')
    bn = mx.sym.BatchNorm(d, name='bn', fix_gamma=False)
    data = np.array([[0.5, -1.0, 2.0], [1.5, 0.0, -2.0]], dtype=np.float32)
    gamma, beta = np.array([1.0, 2.0, 0.5]), np.array([0.0, 0.1, -0.1])
    mean, var = np.array([0.2, 0.1, 0.0]), np.array([1.0, 4.0, 0.25])
    want = (data - mean) / np.sqrt(var + 1e-3) * gamma + beta
    tu.check_symbolic_forward(bn, [data, gamma, beta], [want], aux_states=[mean, var])
    tu.check_symbolic_forward(bn, [data, gamma, beta], [want],
                              aux_states={'bn_moving_mean': mean, 'bn_moving_var': var})
