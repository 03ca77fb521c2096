"""Python API names that MXNet 1.9.1 has and mxc lacked: NDArray/Symbol fluent methods, NDArray-only methods on a
Symbol, Gluon Block helpers, datasets and transforms, context/executor/rnn/model/init/io/test_utils helpers.

Expected values are MXNet 1.9.1's printed outputs (plain data) or NumPy references."""
import warnings

import numpy as np
import pytest

import mxc as mx
from mxc.base import MXNetError, MXNetValueError, NotImplementedForSymbol


# ----------------------------------------------------------------------------------------------------------------
# NDArray methods
# ----------------------------------------------------------------------------------------------------------------
def test_ndarray_fluent_methods_match_mxnet():
    x = mx.nd.arange(6).reshape((2, 3))
    np.testing.assert_array_equal(mx.nd.zeros((2, 1)).broadcast_like(x).asnumpy(), np.zeros((2, 3)))
    np.testing.assert_array_equal(mx.nd.array([[1], [2]]).broadcast_like(x).asnumpy(), [[1, 1, 1], [2, 2, 2]])
    np.testing.assert_array_equal(mx.nd.array([0, 2, 1]).one_hot(3).asnumpy(),
                                  [[1, 0, 0], [0, 0, 1], [0, 1, 0]])
    r = x.reshape_like(mx.nd.zeros((3, 2)))
    assert r.shape == (3, 2)
    np.testing.assert_array_equal(r.asnumpy(), [[0, 1], [2, 3], [4, 5]])
    np.testing.assert_array_equal(x.take(mx.nd.array([1, 0, 1])).asnumpy(), [[3, 4, 5], [0, 1, 2], [3, 4, 5]])
    np.testing.assert_array_equal(x.take(mx.nd.array([2, 0]), axis=1, mode="wrap").asnumpy(), [[2, 0], [5, 3]])
    parts = x.split_v2(3, axis=1)
    assert [p.shape for p in parts] == [(2, 1)] * 3
    np.testing.assert_array_equal(parts[2].asnumpy(), [[2], [5]])
    parts = x.split_v2((1,), axis=1)
    np.testing.assert_array_equal(parts[0].asnumpy(), [[0], [3]])
    np.testing.assert_array_equal(parts[1].asnumpy(), [[1, 2], [4, 5]])
    with pytest.raises(ValueError, match="indices_or_sections"):
        x.split_v2(1.5, axis=1)


def test_ndarray_slice_assign_in_place():
    z = mx.nd.zeros((3, 4))
    r = z.slice_assign(mx.nd.ones((2, 2)), (0, 1), (2, 3), (None, None))
    assert r is z
    expected = np.array([[0, 1, 1, 0], [0, 1, 1, 0], [0, 0, 0, 0]], dtype=np.float32)
    np.testing.assert_array_equal(z.asnumpy(), expected)
    r = z.slice_assign_scalar(5, (1, 0), (3, 2), (None, None))
    assert r is z
    expected[1:3, 0:2] = 5
    np.testing.assert_array_equal(z.asnumpy(), expected)
    # with a step, against NumPy's slice assignment
    a = np.arange(20, dtype=np.float32).reshape(4, 5)
    z = mx.nd.array(a)
    z.slice_assign(mx.nd.full((2, 2), -1), (0, 0), (4, 5), (2, 3))
    a[0:4:2, 0:5:3] = -1
    np.testing.assert_array_equal(z.asnumpy(), a)
    with pytest.raises(MXNetError):
        mx.nd.zeros((3, 4)).slice_assign(mx.nd.ones((3, 3)), (0, 1), (2, 3), (None, None))


def test_ndarray_tostype():
    x = mx.nd.arange(6).reshape((2, 3))
    y = x.tostype("default")
    assert y.stype == "default" and not y.shares_memory_with(x)
    np.testing.assert_array_equal(y.asnumpy(), x.asnumpy())
    with pytest.raises(MXNetValueError, match="'csr' is not supported"):
        x.tostype("csr")
    with pytest.raises(MXNetValueError, match="valid values are"):
        x.tostype("foo")


# ----------------------------------------------------------------------------------------------------------------
# Symbol methods
# ----------------------------------------------------------------------------------------------------------------
def test_symbol_fluent_methods_infer_mxnet_shapes():
    s, t = mx.sym.Variable("x"), mx.sym.Variable("y")
    assert s.broadcast_like(t).infer_shape(x=(1, 3), y=(2, 3)) == ([(1, 3), (2, 3)], [(2, 3)], [])
    assert s.one_hot(depth=4).infer_shape(x=(2,)) == ([(2,)], [(2, 4)], [])
    assert s.reshape_like(t).infer_shape(x=(6,), y=(2, 3)) == ([(6,), (2, 3)], [(2, 3)], [])
    sp = s.split_v2(3, axis=1)
    assert len(sp.list_outputs()) == 3
    assert sp.infer_shape(x=(2, 6)) == ([(2, 6)], [(2, 2), (2, 2), (2, 2)], [])
    assert s.split_v2((1, 3), axis=1).infer_shape(x=(2, 6))[1] == [(2, 1), (2, 2), (2, 3)]
    assert s.take(t).infer_shape(x=(4, 5), y=(2,)) == ([(4, 5), (2,)], [(2, 5)], [])
    out = s.take(t, axis=1, mode="wrap").eval(x=mx.nd.arange(6).reshape((2, 3)), y=mx.nd.array([2, 0]))[0]
    np.testing.assert_array_equal(out.asnumpy(), [[2, 0], [5, 3]])


@pytest.mark.parametrize("name", ["asnumpy", "wait_to_read", "backward", "detach", "copy", "as_in_context"])
def test_symbol_ndarray_only_methods_raise(name):
    s = mx.sym.Variable("x")
    with pytest.raises(NotImplementedForSymbol) as e:
        getattr(s, name)()
    # MXNet 1.9.1's text
    assert str(e.value) == "Function %s is not implemented for Symbol and only available in NDArray." % name
    assert isinstance(e.value, MXNetError)


def test_symbol_gradient_and_backends():
    s = mx.sym.Variable("x") * 2
    with pytest.raises(MXNetError, match="not implemented"):
        s.gradient(["x"])
    with pytest.raises(MXNetError, match="'foo' is not found"):
        s.get_backend_symbol("foo")
    # MXNet 1.9.1 logs "Error optimizing for backend 'foo' cannot be found" and returns the graph unchanged
    with pytest.warns(RuntimeWarning, match="'foo'"):
        o = s.optimize_for("foo", args={})
    assert o.tojson() == s.tojson()
