"""DLPack: zero-copy exchange of arrays with NumPy, PyTorch, CuPy, JAX ... (MXNet's to_dlpack_for_read /
to_dlpack_for_write / from_dlpack / from_numpy, and the array-API protocol ``__dlpack__`` / ``__dlpack_device__``).

Capsules follow DLPack's unversioned ("dltensor") rule: a capsule holds a ``DLManagedTensor *`` and is named
``"dltensor"``; the consumer that takes the tensor renames it ``"used_dltensor"`` and later calls the tensor's
deleter; a capsule never consumed releases the tensor in its destructor. The C side is MXCNDArrayToDLPack and
MXCNDArrayFromDLPack (mxc.h).

The capsule destructor is C code of the compiled API-mode module (build_api.py) when the package uses it; in cffi's
ABI mode it is a Python callback (see _py_capsule_destructor for what it cannot do).
"""
import ctypes

import numpy as np

from .._cdef import DLPACK_DESTRUCTOR_FUNCTION
from ..base import ffi, lib, check_call, dtype_code
from .ndarray import NDArray, array

__all__ = ["to_dlpack_for_read", "to_dlpack_for_write", "from_dlpack", "from_numpy"]

# Names live as long as the module: a capsule keeps the pointer to its name.
_DLTENSOR = b"dltensor"
_USED_DLTENSOR = b"used_dltensor"

_KDLCPU = 1
_KDLCUDA = 2

_PY = ctypes.pythonapi
_c = ctypes
_capsule_new = _c.PYFUNCTYPE(_c.py_object, _c.c_void_p, _c.c_char_p, _c.c_void_p)(("PyCapsule_New", _PY))
_capsule_is_valid = _c.PYFUNCTYPE(_c.c_int, _c.py_object, _c.c_char_p)(("PyCapsule_IsValid", _PY))
_capsule_get_pointer = _c.PYFUNCTYPE(_c.c_void_p, _c.py_object, _c.c_char_p)(("PyCapsule_GetPointer", _PY))
_capsule_set_name = _c.PYFUNCTYPE(_c.c_int, _c.py_object, _c.c_char_p)(("PyCapsule_SetName", _PY))
_capsule_get_name = _c.PYFUNCTYPE(_c.c_void_p, _c.py_object)(("PyCapsule_GetName", _PY))
# The same on the raw capsule pointer a destructor gets.
_raw_is_valid = _c.PYFUNCTYPE(_c.c_int, _c.c_void_p, _c.c_char_p)(("PyCapsule_IsValid", _PY))
_raw_get_pointer = _c.PYFUNCTYPE(_c.c_void_p, _c.c_void_p, _c.c_char_p)(("PyCapsule_GetPointer", _PY))


def _release(addr):
    """Calls the deleter of the DLManagedTensor at addr (an int)."""
    t = ffi.cast("MXCDLManagedTensor *", addr)
    if t.deleter != ffi.NULL:
        t.deleter(t)


# A consumer may drop a capsule while its own exception is set (NumPy refusing a CUDA tensor): Python code cannot
# run then until the exception is taken away, and cannot put it back (ctypes raises it inside the callback, which
# prints and clears it). So it is fetched (without argtypes, so that no converter runs first) and dropped: the
# tensor is released, and the consumer's message is lost (it raises SystemError "error return without exception
# set"). The API-mode module's C destructor keeps the message.
_err_fetch = _PY["PyErr_Fetch"]
_err_fetch.restype = None
_decref = _PY["Py_DecRef"]
_decref.restype = None
_pending = (_c.c_void_p(), _c.c_void_p(), _c.c_void_p())
_pending_refs = tuple(_c.byref(p) for p in _pending)


@_c.CFUNCTYPE(None, _c.c_void_p)
def _py_capsule_destructor(capsule):
    # ABI mode only (see the module's doc string).
    _err_fetch(*_pending_refs)
    for p in _pending:
        if p.value:
            _decref(p)
            p.value = None
    if _raw_is_valid(capsule, _DLTENSOR):
        _release(_raw_get_pointer(capsule, _DLTENSOR))


# True when the capsules' destructor is the API-mode module's C function (keeps a consumer's pending exception).
C_DESTRUCTOR = getattr(lib, DLPACK_DESTRUCTOR_FUNCTION, None) is not None


def _destructor_address():
    fn = getattr(lib, DLPACK_DESTRUCTOR_FUNCTION, None)
    if fn is not None:
        return int(ffi.cast("uintptr_t", fn()))
    return _c.cast(_py_capsule_destructor, _c.c_void_p).value


_DESTRUCTOR = _destructor_address()


def _is_capsule(obj):
    return type(obj).__name__ == "PyCapsule"


def _to_capsule(arr, for_write):
    if not isinstance(arr, NDArray):
        raise TypeError("to_dlpack_for_%s: expected an NDArray, got %s" % ("write" if for_write else "read",
                                                                           type(arr).__name__))
    out = ffi.new("MXCDLManagedTensor **")
    check_call(lib.MXCNDArrayToDLPack(arr.handle, 1 if for_write else 0, out))
    addr = int(ffi.cast("uintptr_t", out[0]))
    try:
        return _capsule_new(addr, _DLTENSOR, _DESTRUCTOR)
    except BaseException:
        _release(addr)
        raise


def to_dlpack_for_read(data):
    """A DLPack capsule ("dltensor") viewing the array's memory, after its pending writes are done (MXNet's
    ``mx.nd.to_dlpack_for_read``). The memory stays valid while the consumer holds it, even once the array is gone."""
    return _to_capsule(data, False)


def to_dlpack_for_write(data):
    """As ``to_dlpack_for_read``, after the pending reads and writes of the array are done: the consumer may write
    into the memory (MXNet's ``mx.nd.to_dlpack_for_write``)."""
    return _to_capsule(data, True)


def _capsule_of(obj):
    """The capsule to consume: obj itself, or what its ``__dlpack__`` gives."""
    if _is_capsule(obj):
        return obj
    exporter = getattr(obj, "__dlpack__", None)
    if exporter is None:
        raise TypeError("from_dlpack: expected a DLPack capsule or an object with __dlpack__ (a NumPy array, a "
                        "PyTorch tensor, ...), got %s" % type(obj).__name__)
    device = getattr(obj, "__dlpack_device__", None)
    dev_type = device()[0] if device is not None else _KDLCPU
    # CUDA: mxc synchronizes the whole GPU when it takes the tensor (MXCNDArrayFromDLPack), so the producer's work
    # on any stream is done; stream=None asks the producer for nothing more.
    capsule = exporter(stream=None) if dev_type == _KDLCUDA else exporter()
    if not _is_capsule(capsule):
        raise TypeError("from_dlpack: %s.__dlpack__() returned %s, not a DLPack capsule"
                        % (type(obj).__name__, type(capsule).__name__))
    return capsule


def from_dlpack(dlpack):
    """An NDArray sharing the memory of a DLPack capsule, or of any object with ``__dlpack__`` (a NumPy array, a
    PyTorch tensor, ...): MXNet's ``mx.nd.from_dlpack``. A capsule can be consumed once (it is then renamed
    "used_dltensor"). CPU tensors give cpu arrays, CUDA tensors (in a CUDA build) gpu arrays; the tensor must be
    compact (C-contiguous) and of a dtype mxc has; a 0-d tensor gives shape (1,)."""
    capsule = _capsule_of(dlpack)
    if _capsule_is_valid(capsule, _USED_DLTENSOR):
        raise ValueError("from_dlpack: the DLPack capsule was already consumed (it is named 'used_dltensor'); a "
                         "capsule can be consumed only once")
    if not _capsule_is_valid(capsule, _DLTENSOR):
        name = _capsule_get_name(capsule)
        name = _c.string_at(name).decode("utf-8", "replace") if name else None
        raise ValueError("from_dlpack: a DLPack capsule is named 'dltensor', got a capsule named %r" % (name,))
    addr = _capsule_get_pointer(capsule, _DLTENSOR)
    out = ffi.new("MXCNDArrayHandle *")
    check_call(lib.MXCNDArrayFromDLPack(ffi.cast("MXCDLManagedTensor *", addr), out))
    # mxc owns the tensor now: it calls the deleter once the array and its views are gone.
    _capsule_set_name(capsule, _USED_DLTENSOR)
    return NDArray(out[0])


def from_numpy(ndarray, zero_copy=True):
    """An NDArray from a NumPy array (MXNet's ``mx.nd.from_numpy``). With zero_copy=True it shares the NumPy
    array's memory through DLPack: the array must be C-contiguous and writeable, and it is marked read-only (as
    MXNet does), since mxc writes into it asynchronously; with zero_copy=False the values are copied."""
    if not isinstance(ndarray, np.ndarray):
        raise TypeError("from_numpy: expected a numpy.ndarray, got %s" % type(ndarray).__name__)
    try:
        dtype_code(ndarray.dtype)
    except Exception:
        raise ValueError("%s is not supported." % ndarray.dtype.name) from None
    if not zero_copy:
        return array(ndarray, dtype=ndarray.dtype)
    if not ndarray.flags["C_CONTIGUOUS"]:
        raise ValueError("Only c-contiguous arrays are supported for zero-copy")
    if not ndarray.flags["WRITEABLE"]:
        raise ValueError("from_numpy: a read-only NumPy array cannot be shared (mxc may write into it); pass "
                         "zero_copy=False to copy it")
    out = from_dlpack(ndarray)
    ndarray.flags["WRITEABLE"] = False
    return out


# -- the NDArray side ---------------------------------------------------------------------------------------------

def _dlpack_device(self):
    """``(device type, device id)`` of the array in DLPack's codes: (1, 0) for cpu, (2, i) for gpu(i)."""
    ctx = self.context
    if ctx.device_type == "gpu":
        return (_KDLCUDA, ctx.device_id)
    return (_KDLCPU, 0)


def _dlpack(self, stream=None, max_version=None, dl_device=None, copy=None):
    """The array-API export: a "dltensor" capsule (DLPack 0.x, whatever max_version asks) viewing the array's
    memory after its pending reads and writes are done, so that the consumer may read and write it
    (``numpy.from_dlpack(a)``, ``torch.from_dlpack(a)``). GPU work is finished before the capsule is made, so any
    consumer stream sees it. copy=True exports a copy; dl_device other than the array's is a BufferError."""
    mine = _dlpack_device(self)
    if dl_device is not None and tuple(dl_device) != mine:
        raise BufferError("__dlpack__: the array is on device %s; it cannot be exported to device %s without a copy "
                          "to another device (use as_in_context)" % (mine, tuple(dl_device)))
    if stream is not None and mine[0] == _KDLCPU:
        raise BufferError("__dlpack__: stream must be None for a cpu array, got %r" % (stream,))
    src = self.copy() if copy else self
    return _to_capsule(src, True)


NDArray.to_dlpack_for_read = lambda self: _to_capsule(self, False)
NDArray.to_dlpack_for_read.__doc__ = to_dlpack_for_read.__doc__
NDArray.to_dlpack_for_write = lambda self: _to_capsule(self, True)
NDArray.to_dlpack_for_write.__doc__ = to_dlpack_for_write.__doc__
NDArray.__dlpack__ = _dlpack
NDArray.__dlpack_device__ = _dlpack_device
