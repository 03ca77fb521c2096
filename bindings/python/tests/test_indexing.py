"""__getitem__ / __setitem__ against NumPy: views for contiguous regions, operators otherwise."""
import numpy as np
import pytest

import mxc as mx
from conftest import needs_ops

SRC = np.arange(2 * 3 * 4 * 5, dtype=np.float32).reshape(2 * 3, 4, 5)

# Keys whose result is contiguous: served by views (MXCNDArrayAt / MXCNDArraySlice / reshape) sharing storage.
VIEW_KEYS = [0, 5, -1, -6, slice(None), slice(1, 4), slice(-3, None), slice(None, -2), slice(2, 3), slice(4, 1),
             slice(10, 20), (1, 2), (1, -1), (0, 1, 2), (-1, -1, -1), (2, slice(1, 3)), (2, 3, slice(0, 2)),
             (slice(1, 3), slice(None), slice(None)), Ellipsis, (Ellipsis,), (1, Ellipsis), (slice(0, 2), Ellipsis),
             (None,), (1, None), (slice(1, 2, 5),), (slice(None, None, 1),), ()]

# Keys that need the slice operator (steps, or a partial slice before a later axis).
OP_KEYS = [slice(None, None, 2), slice(None, None, -1), slice(4, 0, -2), slice(-1, -7, -1), (slice(None), 1),
           (slice(None), slice(1, 3)), (Ellipsis, 2), (Ellipsis, slice(1, 4, 2)), (slice(1, 5), 2, slice(None, None, -2)),
           (1, slice(None), 3), (slice(None), None, 0), (slice(None, None, 3), slice(None), slice(4, None)),
           (slice(0, 6, 2), 0, 0), (slice(2, 5), slice(3, 0, -1))]


def _ref_shape(ref):
    # MXNet 1.x: a fully integer-indexed result has shape (1,), not ().
    return ref.shape if ref.ndim else (1,)


@pytest.mark.parametrize("key", VIEW_KEYS, ids=[repr(k) for k in VIEW_KEYS])
def test_getitem_views(key):
    x = mx.nd.array(SRC)
    ref = SRC[key]
    got = x[key]
    assert got.shape == _ref_shape(ref)
    np.testing.assert_array_equal(got.asnumpy(), ref.reshape(_ref_shape(ref)))
    if got.size:
        assert got.shares_memory_with(x)
        # writes through the view land in x
        got[:] = -7
        expect = SRC.copy()
        expect[key] = -7
        np.testing.assert_array_equal(x.asnumpy(), expect)


@needs_ops("slice")
@pytest.mark.parametrize("key", OP_KEYS, ids=[repr(k) for k in OP_KEYS])
def test_getitem_with_operator(key):
    x = mx.nd.array(SRC)
    ref = SRC[key]
    got = x[key]
    assert got.shape == _ref_shape(ref)
    np.testing.assert_array_equal(got.asnumpy(), ref.reshape(_ref_shape(ref)))


def test_getitem_numpy_integer_and_errors():
    x = mx.nd.array(SRC)
    np.testing.assert_array_equal(x[np.int64(2)].asnumpy(), SRC[2])
    np.testing.assert_array_equal(x[np.int32(1), np.int64(3)].asnumpy(), SRC[1, 3])
    with pytest.raises(IndexError, match="out of bounds"):
        x[6]
    with pytest.raises(IndexError, match="out of bounds"):
        x[-7]
    with pytest.raises(IndexError, match="axis 1"):
        x[0, 4]
    with pytest.raises(IndexError, match="too many indices"):
        x[0, 0, 0, 0]
    with pytest.raises(IndexError):
        x[..., 0, ...]
    with pytest.raises(TypeError):
        x[1.5]
    with pytest.raises(TypeError):
        x["a"]
    with pytest.raises(ValueError):
        x[::0]


@needs_ops("take")
def test_getitem_integer_array_on_first_axis():
    x = mx.nd.array(SRC)
    for idx in ([0, 5, 2], np.array([[1, 1], [0, -1]]), mx.nd.array([3, 1], dtype="int64")):
        ref_idx = idx.asnumpy().astype(np.int64) if isinstance(idx, mx.nd.NDArray) else np.asarray(idx)
        np.testing.assert_array_equal(x[idx].asnumpy(), SRC[ref_idx])
    with pytest.raises(IndexError):
        x[[0, 6]]
    with pytest.raises(TypeError):
        x[np.array([True, False, True, False, True, False])]


def test_getitem_1d_row_is_shape_1():
    x = mx.nd.array([10, 20, 30])
    assert x[1].shape == (1,) and x[1].asscalar() == 20
    assert x[-1].asscalar() == 30


def _check_setitem(key, value, dtype=np.float32):
    src = SRC.astype(dtype)
    x = mx.nd.array(src, dtype=dtype)
    ref = src.copy()
    v = value.asnumpy() if isinstance(value, mx.nd.NDArray) else value
    if np.ndim(ref[key]) == 0:
        v = np.asarray(v).reshape(())
    ref[key] = v
    x[key] = value
    np.testing.assert_array_equal(x.asnumpy(), ref)


@pytest.mark.parametrize("key", VIEW_KEYS, ids=[repr(k) for k in VIEW_KEYS])
def test_setitem_views_scalar_numpy_ndarray(key):
    shape = SRC[key].shape
    _check_setitem(key, 3.5)
    _check_setitem(key, 2, dtype=np.int32)
    rng = np.random.RandomState(0)
    val = np.asarray(rng.rand(*shape), dtype=np.float32)
    _check_setitem(key, val)
    _check_setitem(key, mx.nd.array(val) if val.ndim else mx.nd.array([val]))


@needs_ops("broadcast_to")
@pytest.mark.parametrize("key", VIEW_KEYS[:12], ids=[repr(k) for k in VIEW_KEYS[:12]])
def test_setitem_views_broadcast_value(key):
    shape = SRC[key].shape
    if not shape:
        pytest.skip("scalar target")
    val = np.arange(shape[-1], dtype=np.float32) + 0.5
    _check_setitem(key, val)                      # NumPy value, broadcast on the host
    _check_setitem(key, mx.nd.array(val))         # NDArray value, broadcast by broadcast_to
    _check_setitem(key, mx.nd.array(val.reshape((1,) * len(shape[:-1]) + (-1,))))
    _check_setitem(key, [1.0])


@needs_ops("_slice_assign", "_slice_assign_scalar", "broadcast_to")
@pytest.mark.parametrize("key", OP_KEYS, ids=[repr(k) for k in OP_KEYS])
def test_setitem_with_operator(key):
    shape = SRC[key].shape
    _check_setitem(key, -1.25)
    _check_setitem(key, 7, dtype=np.int32)
    rng = np.random.RandomState(1)
    val = np.asarray(rng.rand(*shape), dtype=np.float32)
    _check_setitem(key, val)
    _check_setitem(key, mx.nd.array(val) if val.ndim else mx.nd.array([val]))
    if shape:
        row = np.arange(shape[-1], dtype=np.float32)
        _check_setitem(key, row)
        _check_setitem(key, mx.nd.array(row))


def test_setitem_errors():
    x = mx.nd.array(SRC)
    with pytest.raises(ValueError):
        x[0] = np.ones((3, 3))
    with pytest.raises(IndexError):
        x[7] = 1
    with pytest.raises(TypeError):
        x[[0, 1]] = 1
    x.writable = False
    with pytest.raises(ValueError, match="read-only"):
        x[:] = 1


def test_setitem_seed_idiom_and_dtype_conversion():
    x = mx.nd.zeros((2, 3), dtype="int32")
    x[:] = np.array([[1.9, 2.1, 3.0], [4.0, 5.0, 6.0]])
    np.testing.assert_array_equal(x.asnumpy(), np.array([[1, 2, 3], [4, 5, 6]]))
    x[1] = [7, 8, 9]
    np.testing.assert_array_equal(x.asnumpy()[1], [7, 8, 9])
    x[:] = x  # self-assignment is a no-op
    np.testing.assert_array_equal(x.asnumpy()[1], [7, 8, 9])
