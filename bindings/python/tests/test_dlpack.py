"""DLPack: mx.nd.to_dlpack_for_read / to_dlpack_for_write / from_dlpack / from_numpy, NDArray.__dlpack__ and
__dlpack_device__ against NumPy (and PyTorch where it is installed): shared memory for every dtype, lifetimes,
pending engine work, errors. Expected values quoted from MXNet 1.9.1 are marked so."""
import gc
import weakref

import numpy as np
import pytest

import mxc as mx
from mxc.base import ffi, lib, MXNetError, DeviceError
from mxc.ndarray import dlpack as _dl

CPU = mx.cpu(0)
DTYPES = [np.float16, np.float32, np.float64, np.uint8, np.int8, np.int32, np.int64, np.bool_]
HAS_GPU = mx.context.num_gpus() > 0


def _values(dtype, shape=(3, 4), start=1):
    n = int(np.prod(shape))
    if dtype == np.bool_:
        return (np.arange(n) % 3 == 0).reshape(shape)
    return (np.arange(n) + start).astype(dtype).reshape(shape)


def _data_ptr(arr):
    p = ffi.new("void **")
    assert lib.MXCNDArrayGetData(arr.handle, p) == 0
    return int(ffi.cast("uintptr_t", p[0]))


def _cpu_in_use():
    """CPU memory held by arrays, once garbage (of earlier tests too) is collected and queued work has run."""
    gc.collect()
    mx.nd.waitall()
    p = ffi.new("int64_t[3]")
    assert lib.MXCCPUMemoryStats(p, p + 1, p + 2) == 0
    return p[0]


def _gpu_in_use():
    gc.collect()
    mx.nd.waitall()
    p = ffi.new("int64_t[3]")
    assert lib.MXCGPUMemoryStats(0, p, p + 1, p + 2) == 0
    return p[0]


def _capsule_name(capsule):
    assert type(capsule).__name__ == "PyCapsule"
    return repr(capsule).split('"')[1]


# -- mxc -> NumPy ---------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
def test_numpy_views_an_mxc_array(dtype):
    vals = _values(dtype)
    a = mx.nd.array(vals, ctx=CPU, dtype=dtype)
    assert a.__dlpack_device__() == (1, 0)
    n = np.from_dlpack(a)
    assert n.dtype == np.dtype(dtype) and n.shape == (3, 4)
    np.testing.assert_array_equal(n, vals)
    assert n.ctypes.data == _data_ptr(a)
    assert np.shares_memory(n, np.from_dlpack(a))
    # A write by mxc is seen through the NumPy view (NumPy makes views of unversioned capsules read-only).
    new = _values(dtype, start=5) if dtype != np.bool_ else ~vals
    a[:] = mx.nd.array(new, ctx=CPU, dtype=dtype)
    a.wait_to_read()
    np.testing.assert_array_equal(n, new)


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
def test_mxc_views_a_numpy_array(dtype):
    x = _values(dtype)
    m = mx.nd.from_dlpack(x)
    assert m.context == CPU and m.dtype == np.dtype(dtype) and m.shape == (3, 4)
    assert _data_ptr(m) == x.ctypes.data
    np.testing.assert_array_equal(m.asnumpy(), x)
    # NumPy writes, mxc reads; mxc writes, NumPy reads.
    x[1, 2] = 0 if dtype != np.bool_ else True
    assert m.asnumpy()[1, 2] == x[1, 2]
    m[0] = 1
    m.wait_to_read()
    np.testing.assert_array_equal(x[0], np.ones(4, dtype=dtype))
    # The same through the capsule NumPy makes.
    m2 = mx.nd.from_dlpack(x.__dlpack__())
    assert _data_ptr(m2) == x.ctypes.data


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
def test_mxc_round_trip_through_a_capsule(dtype):
    vals = _values(dtype, (2, 5))
    a = mx.nd.array(vals, dtype=dtype)  # the default context (gpu(0) in the emulated GPU run)
    for cap in (a.to_dlpack_for_read(), mx.nd.to_dlpack_for_write(a), mx.nd.to_dlpack_for_read(a)):
        assert _capsule_name(cap) == "dltensor"
        b = mx.nd.from_dlpack(cap)
        assert _capsule_name(cap) == "used_dltensor"
        assert b.context == a.context and b.dtype == np.dtype(dtype) and b.shape == (2, 5)
        np.testing.assert_array_equal(b.asnumpy(), vals)
    # Shared memory: a write through the import is the original's.
    b[1, 4] = 0
    b.wait_to_read()
    assert a.asnumpy()[1, 4] == 0
    if a.context.device_type == "cpu":
        assert _data_ptr(a) == _data_ptr(b)


def test_views_and_offsets_export_their_own_elements():
    a = mx.nd.array(np.arange(24, dtype=np.float32).reshape(4, 6), ctx=CPU)
    n = np.from_dlpack(a[2])
    np.testing.assert_array_equal(n, np.arange(12, 18, dtype=np.float32))
    x = np.arange(20, dtype=np.int32)
    m = mx.nd.from_dlpack(x[7:13])  # NumPy puts the offset in data
    np.testing.assert_array_equal(m.asnumpy(), np.arange(7, 13))
    z = mx.nd.from_dlpack(np.full((), 2.5))
    assert z.shape == (1,)  # mxc has no 0-d arrays: as mx.nd.array of a 0-d NumPy array
    assert z.asscalar() == 2.5
    e = mx.nd.from_dlpack(np.ones((0, 3), np.float32))
    assert e.shape == (0, 3)


# -- lifetimes ------------------------------------------------------------------------------------------------------

def test_numpy_view_outlives_the_mxc_array():
    n_el = 1 << 20  # 4 MiB: a whole size class of the CPU pool
    a = mx.nd.arange(n_el, ctx=CPU)
    mx.nd.waitall()
    before = _cpu_in_use()
    n = np.from_dlpack(a)
    del a
    gc.collect()
    mx.nd.waitall()
    assert _cpu_in_use() == before  # the view keeps the storage
    assert n[12345] == 12345.0 and n[-1] == n_el - 1
    del n
    gc.collect()
    mx.nd.waitall()
    assert before - _cpu_in_use() == 4 * n_el  # released once, when NumPy let go


def test_unconsumed_capsule_releases_the_array():
    n_el = 1 << 20
    a = mx.nd.ones(n_el, ctx=CPU)
    mx.nd.waitall()
    before = _cpu_in_use()
    cap = a.to_dlpack_for_read()
    del a
    gc.collect()
    mx.nd.waitall()
    assert _cpu_in_use() == before
    del cap
    gc.collect()
    mx.nd.waitall()
    assert before - _cpu_in_use() == 4 * n_el


@pytest.mark.parametrize("n_el", [1000, 1 << 21])
def test_mxc_array_outlives_the_numpy_array_and_releases_it(n_el):
    # The large case queues real work: NumPy's deleter then runs on an engine thread, after that work.
    x = np.arange(n_el, dtype=np.float64)
    alive = weakref.ref(x)
    m = mx.nd.from_dlpack(x)
    del x
    gc.collect()
    assert alive() is not None
    view = m[10:20]
    queued = m * 2  # work queued on it, then every handle dropped at once
    for _ in range(5):
        queued = queued + m
    del m
    gc.collect()
    assert alive() is not None
    np.testing.assert_array_equal(view.asnumpy(), np.arange(10, 20))
    del view
    mx.nd.waitall()
    gc.collect()
    assert alive() is None  # NumPy's deleter ran
    np.testing.assert_array_equal(queued.asnumpy(), 7 * np.arange(n_el))


def test_failed_import_leaves_the_capsule_to_its_owner():
    x = np.arange(6, dtype=np.int16)
    alive = weakref.ref(x)
    cap = x.__dlpack__()
    with pytest.raises(MXNetError, match="int16"):
        mx.nd.from_dlpack(cap)
    assert _capsule_name(cap) == "dltensor"
    del x
    gc.collect()
    assert alive() is not None  # the capsule still holds it
    del cap
    gc.collect()
    assert alive() is None


class _Producer(object):
    """A DLManagedTensor of our own over a NumPy buffer, in a capsule; counts its deleter's calls."""

    def __init__(self, buf, shape, code=2, bits=32, device=(1, 0), byte_offset=0):
        self.buf = buf
        self.calls = 0

        @ffi.callback("void(MXCDLManagedTensor *)")
        def deleter(t):
            self.calls += 1

        self._deleter = deleter
        self._shape = ffi.new("int64_t[]", list(shape))
        t = self.t = ffi.new("MXCDLManagedTensor *")
        t.dl_tensor.data = ffi.cast("void *", buf.ctypes.data)
        t.dl_tensor.device.device_type, t.dl_tensor.device.device_id = device
        t.dl_tensor.ndim = len(shape)
        t.dl_tensor.dtype.code, t.dl_tensor.dtype.bits, t.dl_tensor.dtype.lanes = code, bits, 1
        t.dl_tensor.shape = self._shape
        t.dl_tensor.strides = ffi.NULL
        t.dl_tensor.byte_offset = byte_offset
        t.deleter = deleter
        # No destructor: the test owns the tensor.
        self.capsule = _dl._capsule_new(int(ffi.cast("uintptr_t", t)), _dl._DLTENSOR, None)


def test_a_foreign_producers_deleter_is_called_once():
    p = _Producer(np.arange(8, dtype=np.float32), (2, 3), byte_offset=8)
    m = mx.nd.from_dlpack(p.capsule)
    assert _capsule_name(p.capsule) == "used_dltensor"
    np.testing.assert_array_equal(m.asnumpy(), [[2, 3, 4], [5, 6, 7]])  # byte_offset honoured
    m[1, 2] = -1
    m.wait_to_read()
    assert p.buf[7] == -1
    v = m[1]
    s = m.sum()
    del m
    gc.collect()
    mx.nd.waitall()
    assert p.calls == 0  # the view still uses the memory
    assert s.asscalar() == 2 + 3 + 4 + 5 + 6 - 1
    del v
    gc.collect()
    mx.nd.waitall()
    assert p.calls == 1
    gc.collect()
    mx.nd.waitall()
    assert p.calls == 1


def test_unsupported_devices_are_refused_by_name():
    for device, words in (((10, 0), "kDLROCM"), ((4, 1), "kDLOpenCL"), ((42, 0), "unknown device type 42")):
        p = _Producer(np.zeros(4, np.float32), (4,), device=device)
        with pytest.raises(DeviceError, match=words):
            mx.nd.from_dlpack(p.capsule)
        assert _capsule_name(p.capsule) == "dltensor" and p.calls == 0
    if not HAS_GPU:
        p = _Producer(np.zeros(4, np.float32), (4,), device=(2, 0))
        with pytest.raises(DeviceError, match=r"kDLCUDA \(device 0\).*no CUDA support"):
            mx.nd.from_dlpack(p.capsule)
        assert p.calls == 0
    p = _Producer(np.zeros(4, np.float32), (4,), code=4, bits=16)
    with pytest.raises(MXNetError, match="bfloat16"):
        mx.nd.from_dlpack(p.capsule)
    assert p.calls == 0


# -- pending engine work --------------------------------------------------------------------------------------------

def test_export_waits_for_pending_writes():
    a = mx.nd.ones((1 << 20,), ctx=CPU)
    acc = a * 1
    for _ in range(20):
        acc = acc + a
    n = np.from_dlpack(acc)  # no wait by the caller
    assert n.min() == 21.0 and n.max() == 21.0
    acc2 = a * 3
    for _ in range(10):
        acc2 = acc2 * 1.0001
    n2 = np.from_dlpack(mx.nd.from_dlpack(acc2.to_dlpack_for_read()))
    np.testing.assert_allclose(n2, np.full(1 << 20, 3 * 1.0001 ** 10, np.float32), rtol=1e-6)


def test_export_for_write_waits_for_pending_reads():
    a = mx.nd.full((1 << 20,), 2.0, ctx=CPU)
    reads = [a * 3 for _ in range(12)]
    w = mx.nd.from_dlpack(a.to_dlpack_for_write())  # a writer outside a's engine variable
    w[:] = -1
    for r in reads:
        r = r.asnumpy()
        assert r.min() == 6.0 and r.max() == 6.0
    w.wait_to_read()  # w's write is queued on w's own variable: a's reads do not wait for it
    assert a.asnumpy()[77] == -1


# -- the array-API protocol -----------------------------------------------------------------------------------------

def test_dlpack_protocol_arguments():
    a = mx.nd.array([[1, 2], [3, 4]], ctx=CPU)
    cap = a.__dlpack__()
    assert _capsule_name(cap) == "dltensor"
    assert _capsule_name(a.__dlpack__(stream=None, max_version=(1, 0), dl_device=(1, 0), copy=False)) == "dltensor"
    with pytest.raises(BufferError, match="device"):
        a.__dlpack__(dl_device=(2, 0))
    with pytest.raises(BufferError, match="stream"):
        a.__dlpack__(stream=1)
    # copy=True: NumPy gets a copy, the array is not shared.
    n = np.from_dlpack(a, copy=True)
    a[:] = 0
    a.wait_to_read()
    np.testing.assert_array_equal(n, [[1, 2], [3, 4]])
    n2 = np.from_dlpack(a, copy=False)
    np.testing.assert_array_equal(n2, [[0, 0], [0, 0]])


# -- errors ---------------------------------------------------------------------------------------------------------

_OTHER_NAME = b"not_a_tensor"
_VERSIONED_NAME = b"dltensor_versioned"


def test_bad_capsules_and_objects():
    cap = mx.nd.ones(3, ctx=CPU).to_dlpack_for_read()
    mx.nd.from_dlpack(cap)
    with pytest.raises(ValueError, match="already consumed"):
        mx.nd.from_dlpack(cap)
    with pytest.raises(ValueError, match="not_a_tensor"):
        mx.nd.from_dlpack(_dl._capsule_new(8, _OTHER_NAME, None))
    with pytest.raises(ValueError, match="dltensor_versioned"):
        mx.nd.from_dlpack(_dl._capsule_new(8, _VERSIONED_NAME, None))
    for bad in (None, 3, "dltensor", [1, 2], mx.nd):
        with pytest.raises(TypeError, match="from_dlpack"):
            mx.nd.from_dlpack(bad)

    class NotACapsule:
        def __dlpack__(self, stream=None):
            return 42

        def __dlpack_device__(self):
            return (1, 0)

    with pytest.raises(TypeError, match="NotACapsule"):
        mx.nd.from_dlpack(NotACapsule())
    with pytest.raises(TypeError, match="NDArray"):
        mx.nd.to_dlpack_for_read(np.ones(3))


@pytest.mark.parametrize("dtype,name", [(np.int16, "int16"), (np.uint16, "uint16"), (np.uint32, "uint32"),
                                        (np.complex64, "complex64"), (np.uint64, "uint64")])
def test_unsupported_dtypes(dtype, name):
    with pytest.raises(MXNetError, match=r"dtype %s is not supported" % name):
        mx.nd.from_dlpack(np.zeros(4, dtype))
    # mx.nd.from_numpy's message is MXNet 1.9.1's ("int16 is not supported.").
    with pytest.raises(ValueError, match=r"^%s is not supported\.$" % name):
        mx.nd.from_numpy(np.zeros(4, dtype))


def test_strided_tensors_are_refused():
    x = np.arange(12.0).reshape(3, 4)
    # MXNet 1.9.1 refuses them too ("Unsupported DLPack because MXNet only support compact tensor now").
    with pytest.raises(MXNetError, match=r"compact.*\(3,2\).*\(4,2\)"):
        mx.nd.from_dlpack(x[:, ::2])
    with pytest.raises(MXNetError, match=r"compact.*\(4,3\).*\(1,4\)"):
        mx.nd.from_dlpack(x.T)
    with pytest.raises(MXNetError, match=r"\(-1,\)"):
        mx.nd.from_dlpack(np.arange(5.0)[::-1])
    m = mx.nd.from_dlpack(x[:, None, 1:2].copy())  # a size-1 axis may have any stride
    np.testing.assert_array_equal(m.asnumpy(), x[:, None, 1:2])
    np.testing.assert_array_equal(mx.nd.from_dlpack(np.ascontiguousarray(x.T)).asnumpy(), x.T)


# -- from_numpy (MXNet 1.9.1's behaviour) ---------------------------------------------------------------------------

def test_from_numpy_zero_copy_shares_and_marks_the_source_read_only():
    a = np.arange(12, dtype=np.float32).reshape(3, 4)
    m = mx.nd.from_numpy(a, zero_copy=True)
    # MXNet 1.9.1: the NumPy array becomes read-only, and a write by the NDArray is seen in it.
    assert a.flags.writeable is False
    m[0, 0] = 100
    m.wait_to_read()
    assert a[0, 0] == 100.0
    m += 1
    mx.nd.waitall()
    np.testing.assert_array_equal(a[0, :2], [101.0, 2.0])  # MXNet 1.9.1 printed [101. 2.]
    assert m.shape == (3, 4) and m.dtype == np.float32
    assert mx.nd.from_numpy(np.ones(3, np.float64)).dtype == np.float64
    assert mx.nd.from_numpy(np.ones(3, bool)).dtype == np.bool_
    assert mx.nd.from_numpy(np.ones((0, 3), np.float32)).shape == (0, 3)


def test_from_numpy_non_contiguous_and_read_only():
    a = np.arange(12, dtype=np.float32).reshape(3, 4)
    # MXNet 1.9.1: ValueError "Only c-contiguous arrays are supported for zero-copy", for a[:, ::2] and a.T.
    for v in (a[:, ::2], a.T):
        with pytest.raises(ValueError, match="^Only c-contiguous arrays are supported for zero-copy$"):
            mx.nd.from_numpy(v, zero_copy=True)
    # ... and a copy with zero_copy=False: [[0, 2], [4, 6], [8, 10]].
    c = mx.nd.from_numpy(a[:, ::2], zero_copy=False)
    np.testing.assert_array_equal(c.asnumpy(), [[0, 2], [4, 6], [8, 10]])
    c[:] = 0
    c.wait_to_read()
    assert a[0, 2] == 2.0 and a.flags.writeable
    # MXNet 1.9.1 shares a read-only array and then writes into it; mxc refuses (a clearer error than a crash on
    # memory that really is read-only); a copy is fine, as in MXNet.
    ro = np.arange(4, dtype=np.float32)
    ro.flags.writeable = False
    with pytest.raises(ValueError, match="read-only"):
        mx.nd.from_numpy(ro, zero_copy=True)
    np.testing.assert_array_equal(mx.nd.from_numpy(ro, zero_copy=False).asnumpy(), [0, 1, 2, 3])
    # NumPy itself refuses to export a read-only array through an unversioned capsule.
    with pytest.raises(BufferError):
        mx.nd.from_dlpack(ro)


# -- GPU ------------------------------------------------------------------------------------------------------------

@pytest.mark.skipif(not HAS_GPU, reason="needs a GPU (the emulated one counts)")
def test_gpu_arrays_export_as_cuda():
    g = mx.nd.array(np.arange(6, dtype=np.float32).reshape(2, 3), ctx=mx.gpu(0))
    acc = g * 1
    for _ in range(10):
        acc = acc + g  # queued on the GPU's stream
    assert acc.__dlpack_device__() == (2, 0)
    b = mx.nd.from_dlpack(acc.to_dlpack_for_read())
    assert b.context == mx.gpu(0)
    np.testing.assert_array_equal(b.asnumpy(), 11 * np.arange(6).reshape(2, 3))
    b[0, 0] = -5
    b.wait_to_read()
    assert acc.asnumpy()[0, 0] == -5
    # NumPy takes CPU tensors only: NumPy's error (a SystemError in cffi's ABI mode, see ndarray/dlpack.py), and
    # the capsule it dropped released the array.
    t = acc + 0
    mx.nd.waitall()
    held = _gpu_in_use()
    with pytest.raises(RuntimeError if _dl.C_DESTRUCTOR else SystemError):
        np.from_dlpack(t)
    del t
    gc.collect()
    mx.nd.waitall()
    assert _gpu_in_use() < held
    c = mx.nd.from_dlpack(acc)  # the protocol object itself
    assert c.context == mx.gpu(0)
    np.testing.assert_array_equal(c.asnumpy(), acc.asnumpy())


# -- PyTorch (when installed) ---------------------------------------------------------------------------------------

def test_torch_round_trip():
    torch = pytest.importorskip("torch")
    a = mx.nd.array(np.arange(6, dtype=np.float32).reshape(2, 3), ctx=CPU)
    t = torch.from_dlpack(a)
    assert tuple(t.shape) == (2, 3) and t.data_ptr() == _data_ptr(a)
    t[0, 0] = 9
    assert a.asnumpy()[0, 0] == 9
    src = torch.arange(8, dtype=torch.int64).reshape(2, 4)
    m = mx.nd.from_dlpack(src)
    assert m.dtype == np.int64 and _data_ptr(m) == src.data_ptr()
    m[1] = 0
    m.wait_to_read()
    assert int(src[1].abs().sum()) == 0
    m2 = mx.nd.from_dlpack(torch.utils.dlpack.to_dlpack(src))
    np.testing.assert_array_equal(m2.asnumpy(), src.numpy())


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
def test_torch_shares_every_dtype(dtype):
    torch = pytest.importorskip("torch")
    vals = _values(dtype, (2, 3))
    a = mx.nd.array(vals, ctx=CPU, dtype=dtype)
    t = torch.from_dlpack(a)
    assert t.data_ptr() == _data_ptr(a)
    np.testing.assert_array_equal(t.numpy(), vals)
    back = mx.nd.from_dlpack(t)
    assert back.dtype == np.dtype(dtype) and _data_ptr(back) == _data_ptr(a)
    with pytest.raises(MXNetError, match="compact"):
        mx.nd.from_dlpack(torch.from_dlpack(mx.nd.array(_values(dtype, (3, 4)), ctx=CPU, dtype=dtype)).T)
