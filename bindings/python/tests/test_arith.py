"""Arithmetic and comparison operators of NDArray against NumPy (arrays, scalars, broadcasting, in place)."""
import operator

import numpy as np
import pytest

import mxc as mx
from conftest import needs_ops

FLOAT_DTYPES = ["float32", "float64"]
INT_DTYPES = ["int32", "int64"]

ARRAY_OPS = [
    ("add", operator.add, ["elemwise_add", "broadcast_add"]),
    ("sub", operator.sub, ["elemwise_sub", "broadcast_sub"]),
    ("mul", operator.mul, ["elemwise_mul", "broadcast_mul"]),
    ("truediv", operator.truediv, ["elemwise_div", "broadcast_div"]),
    ("mod", operator.mod, ["_mod", "broadcast_mod"]),
    ("pow", operator.pow, ["_power", "broadcast_power"]),
]
SCALAR_OPS = [
    ("add", operator.add, ["_plus_scalar"]),
    ("sub", operator.sub, ["_minus_scalar", "_rminus_scalar"]),
    ("mul", operator.mul, ["_mul_scalar"]),
    ("truediv", operator.truediv, ["_div_scalar", "_rdiv_scalar"]),
    ("mod", operator.mod, ["_mod_scalar", "_rmod_scalar"]),
    ("pow", operator.pow, ["_power_scalar", "_rpower_scalar"]),
]
CMP_OPS = [
    ("eq", operator.eq, ["broadcast_equal", "_equal_scalar"]),
    ("ne", operator.ne, ["broadcast_not_equal", "_not_equal_scalar"]),
    ("gt", operator.gt, ["broadcast_greater", "_greater_scalar", "_lesser_scalar"]),
    ("ge", operator.ge, ["broadcast_greater_equal", "_greater_equal_scalar", "_lesser_equal_scalar"]),
    ("lt", operator.lt, ["broadcast_lesser", "_lesser_scalar", "_greater_scalar"]),
    ("le", operator.le, ["broadcast_lesser_equal", "_lesser_equal_scalar", "_greater_equal_scalar"]),
]

SHAPES = [((3, 4), (3, 4)), ((3, 4), (1, 4)), ((3, 1), (1, 4)), ((2, 3, 4), (4,)), ((4,), (2, 3, 4)), ((5,), (1,))]


def _data(shape, dtype, seed, positive=False):
    rng = np.random.RandomState(seed)
    if dtype.startswith("int"):
        a = rng.randint(1 if positive else -5, 6, size=shape)
        if positive:
            return a.astype(dtype)
        return np.where(a == 0, 3, a).astype(dtype)
    a = rng.uniform(0.5 if positive else -2, 2, size=shape)
    return a.astype(dtype)


def _tol(dtype):
    return dict(rtol=1e-5, atol=1e-5) if dtype == "float32" else dict(rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("name,fn,ops", ARRAY_OPS, ids=[o[0] for o in ARRAY_OPS])
@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
@pytest.mark.parametrize("shapes", SHAPES, ids=[str(s) for s in SHAPES])
def test_array_array(name, fn, ops, dtype, shapes):
    # same shapes: the elementwise operator; different shapes: the broadcasting one
    if not mx.base.has_op(ops[0] if shapes[0] == shapes[1] else ops[1]):
        pytest.skip("operators not registered yet")
    a = _data(shapes[0], dtype, 0, positive=name == "pow")
    b = _data(shapes[1], dtype, 1)
    if name == "pow":
        b = np.abs(b) + 0.5
    got = fn(mx.nd.array(a, dtype=dtype), mx.nd.array(b, dtype=dtype))
    ref = fn(a, b)  # NumPy's conventions (mod: the sign of the divisor), as MXNet's kernels
    assert got.shape == ref.shape and got.dtype == np.dtype(dtype)
    np.testing.assert_allclose(got.asnumpy(), ref, **_tol(dtype))


@pytest.mark.parametrize("name,fn,ops", SCALAR_OPS, ids=[o[0] for o in SCALAR_OPS])
@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
def test_array_scalar_both_orders(name, fn, ops, dtype):
    if any(not mx.base.has_op(o) for o in ops):
        pytest.skip("operators not registered yet")
    a = _data((3, 4), dtype, 2, positive=True)
    x = mx.nd.array(a, dtype=dtype)
    for s in (2.5, 3, np.float32(1.5)):
        got = fn(x, s)
        assert got.dtype == np.dtype(dtype)
        np.testing.assert_allclose(got.asnumpy(), fn(a, np.asarray(s, dtype)), **_tol(dtype))
        got = fn(s, x)
        assert got.dtype == np.dtype(dtype)
        np.testing.assert_allclose(got.asnumpy(), fn(np.asarray(s, dtype), a), **_tol(dtype))


@pytest.mark.parametrize("name,fn,ops", ARRAY_OPS[:4], ids=[o[0] for o in ARRAY_OPS[:4]])
@pytest.mark.parametrize("dtype", INT_DTYPES)
def test_integer_arithmetic(name, fn, ops, dtype):
    if not mx.base.has_op(ops[0]):
        pytest.skip("operators not registered yet")
    a = _data((3, 4), dtype, 3)
    b = _data((3, 4), dtype, 4)
    got = fn(mx.nd.array(a, dtype=dtype), mx.nd.array(b, dtype=dtype))
    assert got.dtype == np.dtype(dtype)
    ref = fn(a, b)
    if name == "truediv":
        ref = np.trunc(a / b).astype(dtype)  # integer division of MXNet kernels truncates toward zero
    np.testing.assert_array_equal(got.asnumpy(), ref)


@pytest.mark.parametrize("name,fn,ops", CMP_OPS, ids=[o[0] for o in CMP_OPS])
@pytest.mark.parametrize("dtype", ["float32", "int32"])
def test_comparisons(name, fn, ops, dtype):
    if any(not mx.base.has_op(o) for o in ops[1:]):
        pytest.skip("operators not registered yet")
    a = np.array([[1, 2, 3], [4, 5, 6]], dtype=dtype)
    b = np.array([[3, 2, 1], [4, 0, 7]], dtype=dtype)
    x, y = mx.nd.array(a, dtype=dtype), mx.nd.array(b, dtype=dtype)
    cases = [(fn(x, y), fn(a, b)), (fn(x, 3), fn(a, 3)), (fn(3, x), fn(3, a))]
    if mx.base.has_op(ops[0]):
        cases.append((fn(x, mx.nd.array([[2], [5]], dtype=dtype)), fn(a, np.array([[2], [5]]))))
    for got, ref in cases:
        assert got.dtype == np.dtype(dtype)  # 0/1 in the input dtype, as MXNet 1.x
        np.testing.assert_array_equal(got.asnumpy(), ref.astype(dtype))


@needs_ops("elemwise_add", "broadcast_add", "_plus_scalar", "elemwise_sub", "_minus_scalar", "elemwise_mul",
           "_mul_scalar", "elemwise_div", "_div_scalar", "broadcast_mul")
def test_inplace_operators_write_into_the_array():
    a = np.arange(6, dtype=np.float32).reshape(2, 3) + 1
    x = mx.nd.array(a)
    view = x[1]
    ident = id(x)
    x += mx.nd.ones((2, 3))
    x -= 0.5
    x *= mx.nd.array([[1, 2, 3]])  # broadcast into x's shape
    x /= 2
    x += 1
    assert id(x) == ident
    ref = ((a + 1 - 0.5) * np.array([[1, 2, 3]])) / 2 + 1
    np.testing.assert_allclose(x.asnumpy(), ref, rtol=1e-6)
    np.testing.assert_allclose(view.asnumpy(), ref[1], rtol=1e-6)  # same storage
    with pytest.raises(mx.base.ShapeError):
        y = mx.nd.ones((1, 3))
        y += mx.nd.ones((2, 3))  # the result does not fit into y
    x.writable = False
    with pytest.raises(ValueError):
        x += 1


@needs_ops("negative", "abs")
def test_unary():
    a = np.array([[-1.5, 0, 2]], dtype=np.float32)
    x = mx.nd.array(a)
    np.testing.assert_array_equal((-x).asnumpy(), -a)
    np.testing.assert_array_equal(abs(x).asnumpy(), np.abs(a))
    assert (+x) is x


@needs_ops("broadcast_add", "broadcast_maximum", "_maximum_scalar", "broadcast_minimum", "_minimum_scalar",
           "broadcast_equal", "_lesser_scalar")
def test_module_functions():
    a = np.array([[1, 5, 3]], dtype=np.float32)
    b = np.array([[4], [2]], dtype=np.float32)
    x, y = mx.nd.array(a), mx.nd.array(b)
    np.testing.assert_array_equal(mx.nd.add(x, y).asnumpy(), a + b)
    np.testing.assert_array_equal(mx.nd.add(2, x).asnumpy(), 2 + a)
    np.testing.assert_array_equal(mx.nd.subtract(10, x).asnumpy(), 10 - a)
    np.testing.assert_array_equal(mx.nd.multiply(x, y).asnumpy(), a * b)
    np.testing.assert_allclose(mx.nd.divide(x, y).asnumpy(), a / b)
    np.testing.assert_array_equal(mx.nd.maximum(x, y).asnumpy(), np.maximum(a, b))
    np.testing.assert_array_equal(mx.nd.maximum(x, 2).asnumpy(), np.maximum(a, 2))
    np.testing.assert_array_equal(mx.nd.minimum(3, x).asnumpy(), np.minimum(a, 3))
    np.testing.assert_array_equal(mx.nd.equal(x, y).asnumpy(), (a == b).astype(np.float32))
    np.testing.assert_array_equal(mx.nd.greater(4, x).asnumpy(), (4 > a).astype(np.float32))
    np.testing.assert_array_equal(mx.nd.power(x, 2).asnumpy(), a ** 2)
    assert mx.nd.add(1, 2) == 3


@needs_ops("broadcast_add")
def test_broadcast_shape_error_names_operator_and_shapes():
    with pytest.raises(mx.base.ShapeError) as e:
        mx.nd.ones((2, 3)) + mx.nd.ones((4,))
    msg = str(e.value).replace(" ", "")
    assert "broadcast_add" in msg and "(2,3)" in msg and ("(4)" in msg or "(4,)" in msg)


@needs_ops("elemwise_add")
def test_unsupported_operand_types():
    x = mx.nd.ones((2,))
    with pytest.raises(TypeError):
        x + "a"
    with pytest.raises(TypeError):
        x + [1, 2]
    assert (x == None) is False  # noqa: E711  (falls back to identity, as for any object)
    assert (x != None) is True  # noqa: E711
    assert x in [x]


@needs_ops("elemwise_add", "_plus_scalar", "_div_scalar")
def test_seed_expression():
    a = mx.nd.ones((10,))
    b = mx.nd.ones((10,))
    c = (a + b) / 10.
    d = b + 1
    np.testing.assert_allclose(c.asnumpy(), 0.2, rtol=1e-6)
    np.testing.assert_allclose(d.asnumpy(), 2.0)


@needs_ops("elemwise_add", "_mul_scalar")
def test_threads_share_the_invoke_path():
    import threading
    errors = []

    def work(k):
        try:
            a = mx.nd.full((7,), k)
            b = mx.nd.full((7,), 2 * k)
            for i in range(300):
                c = (a + b) * 2
                if i % 50 == 0:
                    np.testing.assert_array_equal(c.asnumpy(), np.full(7, 6.0 * k))
            np.testing.assert_array_equal(c.asnumpy(), np.full(7, 6.0 * k))
        except Exception as e:  # pragma: no cover - reported below
            errors.append(e)

    threads = [threading.Thread(target=work, args=(k,)) for k in range(1, 5)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
