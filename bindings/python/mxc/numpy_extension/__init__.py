"""``mx.npx``: MXNet 1.9.1's NumPy-extension switches (``set_np``, ``reset_np``, ``is_np_shape``, ``is_np_array``,
``use_np``) and the first neural-network functions on ``mx.np`` arrays."""
import functools
import threading

from .._ffi import ffi, lib
from ..base import check_call

_STATE = threading.local()  # is_np_array, per thread as MXNet's


def set_np_shape(active):
    """Turns NumPy shape semantics (0-d arrays, 0 as an empty axis) on or off for this thread; returns the previous
    state (a bool)."""
    prev = ffi.new("int *")
    check_call(lib.MXCSetIsNumpyShape(1 if active else 0, prev))
    return bool(prev[0])


def is_np_shape():
    """Whether NumPy shape semantics are on for this thread."""
    cur = ffi.new("int *")
    check_call(lib.MXCIsNumpyShape(cur))
    return bool(cur[0])


def set_np_array(active):
    prev = getattr(_STATE, "np_array", False)
    _STATE.np_array = bool(active)
    return prev


def is_np_array():
    """Whether ``mx.np`` array semantics are on for this thread (``set_np``)."""
    return getattr(_STATE, "np_array", False)


def set_np(shape=True, array=True, dtype=False):
    """MXNet's ``npx.set_np()``: NumPy shape and array semantics on for this thread."""
    if dtype:
        raise NotImplementedError("npx.set_np(dtype=True) (float64 default dtype) is not implemented yet")
    if not shape and array:
        raise ValueError("NumPy Shape semantics must be activated when NumPy Array semantics is activated")
    set_np_shape(shape)
    set_np_array(array)


def reset_np():
    """Turns NumPy shape and array semantics off (MXNet 1.x's legacy behaviour)."""
    set_np_shape(False)
    set_np_array(False)


class _NpScope(object):
    def __init__(self, shape=True, array=True):
        self._shape, self._array = shape, array

    def __enter__(self):
        self._prev = (set_np_shape(self._shape), set_np_array(self._array))

    def __exit__(self, *exc):
        set_np_shape(self._prev[0])
        set_np_array(self._prev[1])


def np_shape(active=True):
    return _NpScope(active, is_np_array())


def use_np(func):
    """Decorator: runs the function (or every method of a class) with NumPy shape and array semantics on."""
    if isinstance(func, type):
        for name, f in list(vars(func).items()):
            if callable(f) and not name.startswith("__"):
                setattr(func, name, use_np(f))
        for name in ("__init__", "__call__", "forward", "hybrid_forward"):
            f = vars(func).get(name)
            if f is not None and callable(f):
                setattr(func, name, use_np(f))
        return func

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        with _NpScope(True, True):
            return func(*args, **kwargs)
    return wrapper


# ---- neural-network functions on mx.np arrays ----------------------------------------------------------------------
def _np_call(name, *args, **kwargs):
    from .. import ndarray as _nd
    from ..numpy import _wrap
    return _wrap(getattr(_nd, name)(*args, **kwargs))


def relu(data):
    """max(data, 0), as ``mxnet.npx.relu``."""
    return _np_call("relu", data)


def sigmoid(data):
    """1 / (1 + exp(-data)), as ``mxnet.npx.sigmoid``."""
    return _np_call("sigmoid", data)


def softmax(data, axis=-1, length=None, temperature=None, use_length=False, dtype=None):
    """Softmax along axis, as ``mxnet.npx.softmax``."""
    if length is not None or use_length:
        raise NotImplementedError("mx.npx.softmax with length is not implemented yet")
    kw = {"axis": axis}
    if temperature is not None:
        kw["temperature"] = temperature
    return _np_call("softmax", data, **kw)


def log_softmax(data, axis=-1, length=None, temperature=None, use_length=False, dtype=None):
    """log(softmax(data)) along axis, as ``mxnet.npx.log_softmax``."""
    if length is not None or use_length:
        raise NotImplementedError("mx.npx.log_softmax with length is not implemented yet")
    kw = {"axis": axis}
    if temperature is not None:
        kw["temperature"] = temperature
    return _np_call("log_softmax", data, **kw)


def one_hot(data, depth, on_value=1.0, off_value=0.0, dtype="float32"):
    """One-hot rows of length depth for the indices in data, as ``mxnet.npx.one_hot``."""
    return _np_call("one_hot", data, depth=depth, on_value=on_value, off_value=off_value, dtype=dtype)


def pick(data, index, axis=-1, mode="clip", keepdims=False):
    """The elements of data at index along axis, as ``mxnet.npx.pick``."""
    return _np_call("pick", data, index, axis=axis, mode=mode, keepdims=keepdims)


def __getattr__(name):
    if name.startswith("__"):
        raise AttributeError(name)
    raise NotImplementedError("mx.npx.%s is not implemented yet in mxc" % name)
