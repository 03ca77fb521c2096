"""topk, sort, argsort against NumPy (stable sorts) and values printed by MXNet 1.9.1 for the same inputs."""
import numpy as np
import pytest

import mxc as mx
from mxc.base import MXNetError

X = np.array([[3, 1, 2, 1, 3], [0, 5, 5, 2, -1]], dtype=np.float32)


def test_topk_as_mxnet():
    x = mx.nd.array(X)
    np.testing.assert_array_equal(mx.nd.topk(x).asnumpy(), [[0], [1]])
    np.testing.assert_array_equal(mx.nd.topk(x, k=3).asnumpy(), [[0, 4, 2], [1, 2, 3]])
    np.testing.assert_array_equal(mx.nd.topk(x, k=3, is_ascend=True).asnumpy(), [[1, 3, 2], [4, 0, 3]])
    np.testing.assert_array_equal(mx.nd.topk(x, k=3, ret_typ="value").asnumpy(), [[3, 3, 2], [5, 5, 2]])
    np.testing.assert_array_equal(mx.nd.topk(x, k=3, ret_typ="mask").asnumpy(),
                                  [[1, 0, 1, 0, 1], [0, 1, 1, 1, 0]])
    v, i = mx.nd.topk(x, k=3, ret_typ="both")
    np.testing.assert_array_equal(v.asnumpy(), [[3, 3, 2], [5, 5, 2]])
    np.testing.assert_array_equal(i.asnumpy(), [[0, 4, 2], [1, 2, 3]])
    np.testing.assert_array_equal(mx.nd.topk(x, k=2, axis=None).asnumpy(), [6, 7])
    np.testing.assert_array_equal(mx.nd.topk(x, k=2, axis=None, ret_typ="value").asnumpy(), [5, 5])
    m = mx.nd.topk(x, k=2, axis=None, ret_typ="mask")
    assert m.shape == (2, 5)
    np.testing.assert_array_equal(m.asnumpy(), [[0, 0, 0, 0, 0], [0, 1, 1, 0, 0]])
    np.testing.assert_array_equal(mx.nd.topk(x, axis=0).asnumpy(), [[0, 1, 1, 1, 0]])
    v, i = mx.nd.topk(x, k=2, axis=0, ret_typ="both")
    np.testing.assert_array_equal(v.asnumpy(), [[3, 5, 5, 2, 3], [0, 1, 2, 1, -1]])
    np.testing.assert_array_equal(i.asnumpy(), [[0, 1, 1, 1, 0], [1, 0, 0, 0, 1]])
    for k in (0, -1):  # the whole axis
        np.testing.assert_array_equal(mx.nd.topk(x, k=k).asnumpy(), [[0, 4, 2, 1, 3], [1, 2, 3, 0, 4]])
    # method form
    np.testing.assert_array_equal(x.topk(k=2).asnumpy(), [[0, 4], [1, 2]])


def test_sort_argsort_as_mxnet():
    x = mx.nd.array(X)
    np.testing.assert_array_equal(mx.nd.sort(x).asnumpy(), [[1, 1, 2, 3, 3], [-1, 0, 2, 5, 5]])
    np.testing.assert_array_equal(mx.nd.sort(x, is_ascend=False).asnumpy(), [[3, 3, 2, 1, 1], [5, 5, 2, 0, -1]])
    np.testing.assert_array_equal(mx.nd.sort(x, axis=None).asnumpy(), [-1, 0, 1, 1, 2, 2, 3, 3, 5, 5])
    np.testing.assert_array_equal(mx.nd.sort(x, axis=0).asnumpy(), [[0, 1, 2, 1, -1], [3, 5, 5, 2, 3]])
    np.testing.assert_array_equal(mx.nd.argsort(x).asnumpy(), [[1, 3, 2, 0, 4], [4, 0, 3, 1, 2]])
    np.testing.assert_array_equal(mx.nd.argsort(x, is_ascend=False).asnumpy(), [[0, 4, 2, 1, 3], [1, 2, 3, 0, 4]])
    np.testing.assert_array_equal(mx.nd.argsort(x, axis=None).asnumpy(), [9, 5, 1, 3, 2, 8, 0, 4, 6, 7])
    np.testing.assert_array_equal(mx.nd.argsort(x, axis=0).asnumpy(), [[1, 0, 0, 0, 1], [0, 1, 1, 1, 0]])
    a = mx.nd.argsort(x, dtype="int32")
    assert a.dtype == np.int32
    np.testing.assert_array_equal(x.sort().asnumpy(), np.sort(X, kind="stable"))
    np.testing.assert_array_equal(x.argsort(axis=0).asnumpy(), np.argsort(X, axis=0, kind="stable"))


def test_ties_stable_and_nan():
    t = mx.nd.array([1, 1, 1, 1, 2, 2, 0, 0])
    np.testing.assert_array_equal(mx.nd.argsort(t).asnumpy(), [6, 7, 0, 1, 2, 3, 4, 5])  # MXNet
    np.testing.assert_array_equal(mx.nd.argsort(t, is_ascend=False).asnumpy(), [4, 5, 0, 1, 2, 3, 6, 7])  # MXNet
    n = mx.nd.array([1, np.nan, 3, np.nan, -1])
    np.testing.assert_array_equal(mx.nd.argsort(n).asnumpy(), np.argsort(n.asnumpy(), kind="stable"))
    np.testing.assert_array_equal(mx.nd.argsort(n, is_ascend=False).asnumpy(), [1, 3, 2, 0, 4])
    np.testing.assert_array_equal(mx.nd.sort(n).asnumpy(), np.sort(n.asnumpy()))
    np.testing.assert_array_equal(mx.nd.topk(n, k=2).asnumpy(), [1, 3])


@pytest.mark.parametrize("axis", [0, 1, -1, 2, None])
@pytest.mark.parametrize("ascend", [True, False])
def test_against_numpy(axis, ascend):
    rng = np.random.RandomState(3)
    a = np.floor(rng.uniform(-3, 3, size=(3, 4, 6))).astype(np.float32)  # many ties
    x = mx.nd.array(a)
    flat = a.reshape(-1) if axis is None else a
    ax = 0 if axis is None else axis
    ref = np.argsort(flat if ascend else -flat, axis=ax, kind="stable")
    np.testing.assert_array_equal(mx.nd.argsort(x, axis=axis, is_ascend=ascend).asnumpy(), ref)
    np.testing.assert_array_equal(mx.nd.sort(x, axis=axis, is_ascend=ascend).asnumpy(),
                                  np.take_along_axis(flat, ref, axis=ax))
    k = 2
    top = np.take(ref, np.arange(k), axis=ax)
    v, i = mx.nd.topk(x, axis=axis, k=k, is_ascend=ascend, ret_typ="both", dtype="int64")
    assert i.dtype == np.int64
    np.testing.assert_array_equal(i.asnumpy(), top)
    np.testing.assert_array_equal(v.asnumpy(), np.take_along_axis(flat, top, axis=ax))
    mask = np.zeros(flat.shape, np.float32)
    np.put_along_axis(mask, top, 1, axis=ax)
    np.testing.assert_array_equal(mx.nd.topk(x, axis=axis, k=k, is_ascend=ascend, ret_typ="mask").asnumpy(),
                                  mask.reshape(a.shape))


@pytest.mark.parametrize("dtype", ["float32", "float64", "float16", "int32", "int64", "int8", "uint8"])
def test_dtypes(dtype):
    a = np.array([[3, 1, 2], [0, 5, 5]], dtype=dtype)
    x = mx.nd.array(a, dtype=dtype)
    assert mx.nd.topk(x, ret_typ="value").dtype == np.dtype(dtype)
    assert mx.nd.topk(x).dtype == np.float32
    assert mx.nd.topk(x, ret_typ="mask", dtype="int32").dtype == np.dtype(dtype)  # the data's dtype
    v, i = mx.nd.topk(x, ret_typ="both")
    assert (v.dtype, i.dtype) == (np.dtype(dtype), np.float32)
    assert mx.nd.sort(x).dtype == np.dtype(dtype)
    np.testing.assert_array_equal(mx.nd.sort(x).asnumpy(), np.sort(a, kind="stable"))
    assert mx.nd.argsort(x).dtype == np.float32
    for d in ("float16", "float64", "int32", "int64", "uint8"):
        r = mx.nd.argsort(x, dtype=d)
        assert r.dtype == np.dtype(d)
        np.testing.assert_array_equal(r.asnumpy(), np.argsort(a, kind="stable"))


def test_errors():
    x = mx.nd.array(X)
    with pytest.raises(MXNetError, match=r"topk.*k=6.*\(2,5\)"):
        mx.nd.topk(x, k=6)
    with pytest.raises(MXNetError, match=r"topk.*k=11.*\(2,5\)"):
        mx.nd.topk(x, k=11, axis=None)
    with pytest.raises(MXNetError, match=r"topk.*axis=2.*\(2,5\)"):
        mx.nd.topk(x, axis=2)
    with pytest.raises(MXNetError, match=r"sort.*axis=-3.*\(2,5\)"):
        mx.nd.sort(x, axis=-3)
    with pytest.raises(MXNetError, match=r"argsort.*axis=2"):
        mx.nd.argsort(x, axis=2)
    with pytest.raises(MXNetError, match=r"topk.*ret_typ"):
        mx.nd.topk(x, ret_typ="foo")
    with pytest.raises(MXNetError, match=r"topk.*dtype=int8"):
        mx.nd.topk(x, dtype="int8")
    with pytest.raises(MXNetError, match=r"argsort.*dtype=bool"):
        mx.nd.argsort(x, dtype="bool")


def test_symbol_infer():
    d = mx.sym.var("d")
    expect = {"value": (["output0"], [(3, 2)], [np.float64]),
              "indices": (["output"], [(3, 2)], [np.float32]),
              "mask": (["output"], [(3, 4)], [np.float64]),
              "both": (["output0", "output1"], [(3, 2), (3, 2)], [np.float64, np.float32])}
    for rt, (names, shapes, types) in expect.items():
        t = mx.sym.topk(d, k=2, ret_typ=rt, name="t")
        assert t.list_outputs() == ["t_" + n for n in names]
        _, out_shapes, _ = t.infer_shape(d=(3, 4))
        assert out_shapes == shapes
        _, out_types, _ = t.infer_type(d=np.float64)
        assert out_types == types
    _, s, _ = mx.sym.topk(d, k=2, axis=None, ret_typ="both").infer_shape(d=(3, 4))
    assert s == [(2,), (2,)]
    assert mx.sym.sort(d, name="s").list_outputs() == ["s_output0"]
    assert mx.sym.argsort(d, name="a").list_outputs() == ["a_output"]
    _, s, _ = mx.sym.argsort(d, axis=0).infer_shape(d=(3, 4))
    assert s == [(3, 4)]
    with pytest.raises(MXNetError, match=r"topk.*k=5"):
        mx.sym.topk(d, k=5).infer_shape(d=(3, 4))


def test_executor_backward():
    # MXNet 1.9: topk value/both scatter the head gradient to the picked positions; indices/mask give zero.
    d = mx.sym.var("d")
    for rt, head, want in [("value", [[1, 2], [3, 4]], [[1, 0, 0, 0, 2], [0, 3, 4, 0, 0]]),
                           ("indices", [[1, 2], [3, 4]], np.zeros((2, 5))),
                           ("mask", np.ones((2, 5)), np.zeros((2, 5)))]:
        ex = mx.sym.topk(d, k=2, ret_typ=rt).simple_bind(mx.current_context(), d=(2, 5))
        ex.arg_dict["d"][:] = X
        ex.forward(is_train=True)
        ex.backward([mx.nd.array(head)])
        np.testing.assert_array_equal(ex.grad_dict["d"].asnumpy(), want)
    # sort descending: the gradient goes back through the permutation.
    ex = mx.sym.sort(d, is_ascend=False).simple_bind(mx.current_context(), d=(2, 5))
    ex.arg_dict["d"][:] = X
    ex.forward(is_train=True)
    ex.backward([mx.nd.array(np.arange(1, 11).reshape(2, 5))])
    np.testing.assert_array_equal(ex.grad_dict["d"].asnumpy(), [[1, 4, 3, 5, 2], [9, 6, 7, 8, 10]])
    ex = mx.sym.argsort(d).simple_bind(mx.current_context(), d=(2, 5))
    ex.arg_dict["d"][:] = X
    ex.forward(is_train=True)
    ex.backward([mx.nd.ones((2, 5))])
    np.testing.assert_array_equal(ex.grad_dict["d"].asnumpy(), np.zeros((2, 5)))


def _stable_order(x, ascend):
    """The stable order of each row (axis 1), NaN counted as the largest value."""
    key = np.where(np.isnan(x), np.inf, x).astype(np.float64)
    nan = np.isnan(x)
    if ascend:  # NaN after +inf: order by (is NaN, value)
        return np.array([np.lexsort((r, n)) for r, n in zip(key, nan)])
    return np.array([np.lexsort((-r, ~n)) for r, n in zip(key, nan)])


@pytest.mark.parametrize("k", [1, 5, 64, 65, 150, 299, 300])
@pytest.mark.parametrize("ascend", [False, True])
def test_topk_of_long_rows_with_ties_and_nans_matches_a_stable_sort(k, ascend):
    # Every selection path: a one-pass buffer for small k, selection then sort for larger k, the whole sort for k = n.
    rs = np.random.RandomState(k)
    x = rs.randint(-20, 20, size=(4, 300)).astype(np.float32)  # many ties
    x[1, rs.choice(300, 7, replace=False)] = np.nan
    order = _stable_order(x, ascend)[:, :k]
    got = mx.nd.topk(mx.nd.array(x), k=k, is_ascend=ascend, dtype="int64").asnumpy()
    np.testing.assert_array_equal(got, order)
    vals = mx.nd.topk(mx.nd.array(x), k=k, is_ascend=ascend, ret_typ="value").asnumpy()
    np.testing.assert_array_equal(vals, np.take_along_axis(x, order, axis=1))
    mask = np.zeros_like(x)
    np.put_along_axis(mask, order, 1, axis=1)
    np.testing.assert_array_equal(mx.nd.topk(mx.nd.array(x), k=k, is_ascend=ascend, ret_typ="mask").asnumpy(), mask)
