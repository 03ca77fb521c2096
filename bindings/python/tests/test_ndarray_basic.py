"""NDArray basics against NumPy: creation, properties, host copies, dtypes, repr, views, pickling, save/load."""
import copy
import pickle

import numpy as np
import pytest

import mxc as mx
from conftest import assert_nd, needs_ops

ALL_DTYPES = ["float32", "float64", "float16", "uint8", "int32", "int8", "int64", "bool"]


@pytest.mark.parametrize("dtype", ALL_DTYPES)
def test_array_roundtrip_dtypes(dtype):
    src = (np.arange(24).reshape(2, 3, 4) % 7).astype(dtype)
    x = mx.nd.array(src, dtype=dtype)
    assert x.dtype == np.dtype(dtype).type and x.dtype == np.dtype(dtype)
    assert x.shape == (2, 3, 4) and x.size == 24 and x.ndim == 3 and len(x) == 2
    out = x.asnumpy()
    assert out.dtype == np.dtype(dtype)
    np.testing.assert_array_equal(out, src)
    np.testing.assert_array_equal(np.asarray(x), src)
    np.testing.assert_array_equal(np.array(x, dtype=np.float64), src.astype(np.float64))


# float16 fills are not implemented by the library's _zeros/_ones/_full kernels (yet); float16 arrays are covered
# by the copy tests.
@pytest.mark.parametrize("dtype", [None, "float32", "float64", "int32", "int64", "uint8", "int8", "bool",
                                   np.float64, np.int32])
def test_zeros_ones_full(dtype):
    ref_dtype = np.float32 if dtype is None else dtype
    z = mx.nd.zeros((2, 3), dtype=dtype)
    assert_nd(z, np.zeros((2, 3), ref_dtype), dtype=ref_dtype)
    o = mx.nd.ones(4, dtype=dtype)
    assert_nd(o, np.ones(4, ref_dtype), dtype=ref_dtype)
    f = mx.nd.full((3, 1), 5, dtype=ref_dtype)
    assert_nd(f, np.full((3, 1), 5, ref_dtype), dtype=ref_dtype)
    e = mx.nd.empty((2, 2), dtype=dtype)
    assert e.shape == (2, 2) and e.dtype == np.dtype(ref_dtype)


def test_full_default_dtype_and_out():
    f = mx.nd.full((2,), 2.5)
    assert_nd(f, [2.5, 2.5], dtype=np.float32)
    o = mx.nd.zeros((2, 2))
    r = mx.nd.full((2, 2), 7, out=o)
    assert r is o
    assert_nd(o, np.full((2, 2), 7.0))


def test_zero_size_arrays():
    z = mx.nd.zeros((0, 3))
    assert z.shape == (0, 3) and z.size == 0
    assert z.asnumpy().shape == (0, 3)
    assert not bool(z)
    a = mx.nd.array(np.zeros((2, 0)))
    assert a.shape == (2, 0)


def test_array_sources_and_default_dtype():
    assert_nd(mx.nd.array([[1, 2], [3, 4]]), [[1, 2], [3, 4]], dtype=np.float32)
    # MXNet 1.x: float32 unless dtype is given, whatever the NumPy source's dtype.
    assert mx.nd.array(np.array([1.5, 2.5])).dtype == np.float32
    assert mx.nd.array(np.array([1, 2]), dtype="int64").dtype == np.int64
    assert_nd(mx.nd.array((1, 2, 3)), [1, 2, 3])
    s = mx.nd.array(3.5)
    assert s.shape == (1,) and s.asscalar() == 3.5
    x = mx.nd.array([1, 2, 3], dtype="int32")
    y = mx.nd.array(x)
    assert y.dtype == np.int32 and not y.shares_memory_with(x)
    assert_nd(y, [1, 2, 3])
    with pytest.raises(TypeError):
        mx.nd.array([[1, 2], [3]])


def test_asscalar():
    assert mx.nd.array([7]).asscalar() == 7.0
    v = mx.nd.ones((1, 1), dtype="int32").asscalar()
    assert v == 1 and isinstance(v, np.int32)
    with pytest.raises(ValueError, match="not a scalar"):
        mx.nd.ones((2,)).asscalar()


@pytest.mark.cpu_default_context
def test_repr_like_mxnet():
    assert repr(mx.nd.full((2,), 2)) == "\n[2. 2.]\n<NDArray 2 @cpu(0)>"
    assert repr(mx.nd.ones((2, 3))) == "\n[[1. 1. 1.]\n [1. 1. 1.]]\n<NDArray 2x3 @cpu(0)>"
    assert repr(mx.nd.ones((2, 3), dtype="int32")) == "\n[[1 1 1]\n [1 1 1]]\n<NDArray 2x3 @cpu(0)>"
    assert str(mx.nd.zeros((1,))) == "\n[0.]\n<NDArray 1 @cpu(0)>"


def test_context_properties():
    x = mx.nd.zeros((2,), ctx=mx.cpu())
    assert x.context == mx.cpu(0) and x.ctx == mx.cpu(0)
    assert x.as_in_context(mx.cpu(0)) is x
    assert x.stype == "default"


def test_bool_len_iter():
    assert bool(mx.nd.array([3])) is True
    assert bool(mx.nd.array([0])) is False
    with pytest.raises(ValueError, match="ambiguous"):
        bool(mx.nd.ones((2,)))
    src = np.arange(6).reshape(3, 2)
    x = mx.nd.array(src)
    assert len(x) == 3
    rows = list(x)
    assert len(rows) == 3
    for r, ref in zip(rows, src):
        assert_nd(r, ref)
    # 1-d: MXNet 1.x rows are arrays of shape (1,)
    items = list(mx.nd.array([4, 5]))
    assert [i.shape for i in items] == [(1,), (1,)] and items[1].asscalar() == 5


def test_reshape_views_and_codes():
    src = np.arange(24, dtype=np.float32).reshape(2, 3, 4)
    x = mx.nd.array(src)
    for args, kwargs, ref in [((6, 4), {}, (6, 4)), (((6, 4),), {}, (6, 4)), ((), {"shape": (4, 6)}, (4, 6)),
                              ((-1,), {}, (24,)), ((0, -1), {}, (2, 12)), ((-2,), {}, (2, 3, 4)),
                              ((-3, 4), {}, (6, 4)), ((-4, 1, 2, 3, 4), {}, (1, 2, 3, 4)), ((2, -1, 2), {}, (2, 6, 2)),
                              ((0, 0, -1), {}, (2, 3, 4))]:
        r = x.reshape(*args, **kwargs)
        assert r.shape == ref, (args, kwargs)
        np.testing.assert_array_equal(r.asnumpy(), src.reshape(ref))
        assert r.shares_memory_with(x)
    r = x.reshape(4, 6)
    r[0] = 100  # writes through the view
    assert (x.asnumpy().reshape(-1)[:6] == 100).all()
    with pytest.raises(mx.base.ShapeError, match=r"\(2,3,4\)"):
        x.reshape(5, 5)
    with pytest.raises(ValueError):
        x.reshape(-1, -1)
    with pytest.raises(TypeError):
        x.reshape(2, 12, bogus=1)


@needs_ops("Reshape")
def test_reshape_reverse():
    x = mx.nd.array(np.arange(30).reshape(10, 3))
    r = x.reshape((-1, 0), reverse=True)
    assert r.shape == (10, 3)


def test_copy_and_copyto():
    src = np.arange(6, dtype=np.float32).reshape(2, 3)
    x = mx.nd.array(src)
    y = x.copy()
    assert not y.shares_memory_with(x)
    x[:] = 0
    np.testing.assert_array_equal(y.asnumpy(), src)
    z = mx.nd.empty((2, 3))
    assert y.copyto(z) is z
    np.testing.assert_array_equal(z.asnumpy(), src)
    w = y.copyto(mx.cpu())
    np.testing.assert_array_equal(w.asnumpy(), src)
    assert not w.shares_memory_with(y)
    d = copy.deepcopy(y)
    np.testing.assert_array_equal(d.asnumpy(), src)
    with pytest.raises(ValueError):
        y.copyto(mx.nd.empty((3, 2)))
    with pytest.raises(TypeError):
        y.copyto("cpu")


@needs_ops("Cast")
def test_astype():
    x = mx.nd.array([1.7, -2.2, 3.0])
    for dt in ["float64", "int32", "int64", "uint8", "float16", np.int8]:
        y = x.astype(dt)
        assert y.dtype == np.dtype(dt)
        np.testing.assert_array_equal(y.asnumpy(), np.array([1.7, -2.2, 3.0], np.float32).astype(dt))
    assert x.astype("float32", copy=False) is x
    c = x.astype(np.float32)
    assert c is not x and not c.shares_memory_with(x)
    assert mx.nd.array(x, dtype="float64").dtype == np.float64
    # copyto between dtypes converts
    t = mx.nd.zeros((3,), dtype="float64")
    x.copyto(t)
    np.testing.assert_allclose(t.asnumpy(), [1.7, -2.2, 3.0], rtol=1e-6)


def test_wait_and_waitall():
    x = mx.nd.ones((3,))
    x.wait_to_read()
    x.wait_to_write()
    mx.nd.waitall()


@pytest.mark.parametrize("dtype", ALL_DTYPES)
def test_pickle_roundtrip(dtype):
    src = (np.arange(12).reshape(3, 4) % 5).astype(dtype)
    x = mx.nd.array(src, dtype=dtype)
    for proto in range(2, pickle.HIGHEST_PROTOCOL + 1):
        y = pickle.loads(pickle.dumps(x, protocol=proto))
        assert isinstance(y, mx.nd.NDArray) and y.dtype == np.dtype(dtype) and y.shape == (3, 4)
        np.testing.assert_array_equal(y.asnumpy(), src)
        assert not y.shares_memory_with(x)
    lst = pickle.loads(pickle.dumps([x, x[1]]))
    np.testing.assert_array_equal(lst[1].asnumpy(), src[1])


def test_save_load_list_dict_single(tmp_path):
    a = mx.nd.array(np.arange(6).reshape(2, 3))
    b = mx.nd.array([1, 2, 3], dtype="int64")
    c = mx.nd.array(np.ones((2, 2)), dtype="float16")
    f = str(tmp_path / "arrs.bin")
    mx.nd.save(f, [a, b, c])
    got = mx.nd.load(f)
    assert isinstance(got, list) and len(got) == 3
    for g, ref in zip(got, [a, b, c]):
        assert g.dtype == ref.dtype and g.shape == ref.shape
        np.testing.assert_array_equal(g.asnumpy(), ref.asnumpy())
    mx.nd.save(f, {"weight": a, "bias": b})
    got = mx.nd.load(f)
    assert isinstance(got, dict) and set(got) == {"weight", "bias"}
    np.testing.assert_array_equal(got["weight"].asnumpy(), a.asnumpy())
    np.testing.assert_array_equal(got["bias"].asnumpy(), [1, 2, 3])
    mx.nd.save(f, a)
    got = mx.nd.load(f)
    assert isinstance(got, list) and len(got) == 1
    np.testing.assert_array_equal(got[0].asnumpy(), a.asnumpy())
    mx.nd.save(f, [])
    assert mx.nd.load(f) == []
    # views are saved with their own contents
    mx.nd.save(f, [a[1]])
    np.testing.assert_array_equal(mx.nd.load(f)[0].asnumpy(), [3, 4, 5])
    # pathlib paths
    mx.nd.save(tmp_path / "p.bin", {"x": b})
    np.testing.assert_array_equal(mx.nd.load(tmp_path / "p.bin")["x"].asnumpy(), [1, 2, 3])


def test_load_frombuffer(tmp_path):
    f = tmp_path / "x.bin"
    mx.nd.save(str(f), {"a": mx.nd.ones((2,))})
    got = mx.nd.load_frombuffer(f.read_bytes())
    assert list(got) == ["a"]
    np.testing.assert_array_equal(got["a"].asnumpy(), [1, 1])
    with pytest.raises(OSError):
        mx.nd.load_frombuffer(b"MXCNDARR-broken")


def test_save_rejects_bad_data(tmp_path):
    f = str(tmp_path / "x.bin")
    with pytest.raises(TypeError):
        mx.nd.save(f, [mx.nd.ones((1,)), np.ones(2)])
    with pytest.raises(TypeError):
        mx.nd.save(f, {1: mx.nd.ones((1,))})
    with pytest.raises(TypeError):
        mx.nd.save(f, "text")
    with pytest.raises(OSError):
        mx.nd.save(str(tmp_path / "no" / "dir" / "x.bin"), [mx.nd.ones((1,))])


def test_ndarray_from_handle_owns_it():
    from mxc.base import ffi, lib, check_call
    out = ffi.new("MXCNDArrayHandle *")
    check_call(lib.MXCNDArrayCreate(ffi.new("int64_t[]", [2]), 1, lib.MXC_FLOAT32, lib.MXC_CPU, 0, 0, out))
    x = mx.nd.NDArray(out[0])
    x[:] = 3
    np.testing.assert_array_equal(x.asnumpy(), [3, 3])
    del x  # freed by the finalizer (no crash, no leak check possible from here)


def test_numpy_interop_rules():
    x = mx.nd.ones((2,))
    with pytest.raises(TypeError, match="not supported"):
        x + np.ones(2)
    with pytest.raises(TypeError):
        np.ones(2) + x
    assert isinstance(np.asarray(x), np.ndarray)
    assert x.tolist() == [1.0, 1.0]
