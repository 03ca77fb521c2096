"""Shared machinery of the package: errors, ``check_call``, string/parameter marshalling, dtypes, operator metadata.

Reusable pieces (the symbolic and training modules build on them):

* ``ffi``, ``lib``: the cffi objects (see ``mxc._ffi``).
* ``MXNetError`` and one subclass per error kind of the C API; ``check_call(ret)`` raises the right one with the
  library's message when ``ret != 0``; ``last_error()`` builds the exception without raising it.
* ``c_str(s)`` / ``py_str(cdata)``: Python str <-> C string; ``c_str_array(strs)`` returns a ``const char *[]``
  cdata (it keeps its strings alive as long as the array lives).
* ``param_str(value)``: a Python parameter value as the string the library parses (tuples as ``"(2,3)"``, bools as
  ``"True"``/``"False"``, ``None`` as ``"None"``, dtypes as their names, contexts as ``"cpu(0)"``);
  ``c_params(keys, values)`` returns ``(num, keys_array, vals_array)`` ready for ``MXCOpInvoke`` or
  ``MXCSymbolCreateAtomic``.
* ``dtype_code(dtype)`` / ``dtype_np(code)`` / ``dtype_name(dtype)``: conversions between NumPy types and the
  ``MXCDType`` codes (read from the header's enum, never hand-copied).
* ``OpMeta`` / ``op_meta(name)`` / ``list_op_names()``: cached operator handles and metadata from
  ``MXCListOps`` / ``MXCOpGetInfo``.
"""
import weakref

import numpy as np

from ._ffi import ffi, lib, LIB_PATH, HEADER_PATH, LIB_VERSION, HEADER_VERSION  # noqa: F401

__all__ = ["MXNetError", "ShapeError", "MXNetIndexError", "MXNetTypeError", "MXNetValueError", "MXNetIOError",
           "DeviceError", "InternalError", "check_call", "last_error", "c_str", "py_str", "c_str_array",
           "param_str", "c_params", "dtype_code", "dtype_np", "dtype_name", "OpMeta", "op_meta", "list_op_names",
           "string_types", "numeric_types", "integer_types", "ffi", "lib"]

string_types = (str,)
integer_types = (int, np.integer)
numeric_types = (float, int, np.generic)

# ----------------------------------------------------------------------------------------------------------------
# Errors
# ----------------------------------------------------------------------------------------------------------------


class MXNetError(Exception):
    """An error reported by the mxc library. ``kind`` is the error kind the library's message started with
    (``"ShapeError"``, ...); the message itself is the rest of the library's message."""

    kind = "Error"


class ShapeError(MXNetError, ValueError):
    """Shapes that do not fit (also a ``ValueError``)."""
    kind = "ShapeError"


class MXNetIndexError(MXNetError, IndexError):
    """An index out of range (also an ``IndexError``)."""
    kind = "IndexError"


class MXNetTypeError(MXNetError, TypeError):
    """A wrong dtype or argument type (also a ``TypeError``)."""
    kind = "TypeError"


class MXNetValueError(MXNetError, ValueError):
    """A bad argument value: unknown or missing parameter, unknown operator (also a ``ValueError``)."""
    kind = "ValueError"


class MXNetIOError(MXNetError, OSError):
    """A file that cannot be read or written, or a corrupt one (also an ``OSError``)."""
    kind = "IOError"


class DeviceError(MXNetError):
    """A device that is not available (e.g. ``gpu(0)`` without CUDA) or arrays on different devices."""
    kind = "DeviceError"


class InternalError(MXNetError):
    """A bug or resource exhaustion inside the library."""
    kind = "InternalError"


class NotImplementedForSymbol(MXNetError):
    """An NDArray-only method called on a Symbol (MXNet's mxnet.base.NotImplementedForSymbol)."""
    kind = "NotImplementedForSymbol"

    def __init__(self, function, alias=None, *args):
        super(NotImplementedForSymbol, self).__init__()
        self.function = function.__name__ if callable(function) else str(function)
        self.alias = alias
        self.args = [str(type(a)) for a in args]

    def __str__(self):
        msg = "Function {}".format(self.function)
        if self.alias:
            msg += " (namely operator \"{}\")".format(self.alias)
        if self.args:
            msg += " with arguments ({})".format(", ".join(self.args))
        msg += " is not implemented for Symbol and only available in NDArray."
        return msg


ERROR_CLASSES = {c.kind: c for c in (ShapeError, MXNetIndexError, MXNetTypeError, MXNetValueError, MXNetIOError,
                                     DeviceError, InternalError)}


def error_from_message(msg):
    """The exception for a library message ``"<Kind>: <text>"`` (unknown kinds give a plain MXNetError)."""
    kind, sep, rest = msg.partition(": ")
    cls = ERROR_CLASSES.get(kind) if sep else None
    if cls is None:
        return MXNetError(msg)
    return cls(rest)


def last_error():
    """The exception for the last failure of a C call on this thread."""
    return error_from_message(ffi.string(lib.MXCGetLastError()).decode("utf-8", "replace"))


def check_call(ret):
    """Raises the library's error (an MXNetError subclass) when a C call returned non-zero."""
    if ret != 0:
        raise last_error()


# ----------------------------------------------------------------------------------------------------------------
# Strings and parameters
# ----------------------------------------------------------------------------------------------------------------


def c_str(s):
    """A Python str (or bytes) as bytes, usable for ``const char *`` arguments of C calls."""
    return s if isinstance(s, bytes) else s.encode("utf-8")


def py_str(cdata):
    """A C string (``char *`` cdata) as a Python str."""
    return ffi.string(cdata).decode("utf-8")


def py_str_list(num, arr):
    """``num`` C strings of a ``const char **`` as a list of str."""
    return [ffi.string(arr[i]).decode("utf-8") for i in range(num)]


# Interned C strings for parameter keys and frequent values: a cdata char[] per distinct string. Bounded.
_CSTR_CACHE = {}
_CSTR_CACHE_MAX = 8192


def _cstr(s):
    c = _CSTR_CACHE.get(s)
    if c is None:
        if len(_CSTR_CACHE) >= _CSTR_CACHE_MAX:
            _CSTR_CACHE.clear()
        c = ffi.new("char[]", s.encode("utf-8"))
        _CSTR_CACHE[s] = c
    return c


def c_str_array(strs):
    """A ``const char *[]`` cdata holding the strings; the strings live as long as the returned array (cffi keeps
    them through the array's initializer objects, which we attach)."""
    cs = [_cstr(s) if isinstance(s, str) else ffi.new("char[]", s) for s in strs]
    arr = ffi.new("const char *[]", cs) if cs else ffi.NULL
    if cs:
        _KEEP[arr] = cs
    return arr


# Keeps char[] cdata objects alive while the array pointing at them is alive (weak keys on the array).
_KEEP = weakref.WeakKeyDictionary()


def dtype_name(dtype):
    """The name of a dtype given as a NumPy type, np.dtype or string ('float32', ...)."""
    if isinstance(dtype, str):
        return np.dtype(dtype).name if dtype not in ("float", "double", "half") else dtype
    return np.dtype(dtype).name


def param_str(v):
    """A parameter value as the string the library parses."""
    if isinstance(v, str):
        return v
    if v is True:
        return "True"
    if v is False:
        return "False"
    if v is None:
        return "None"
    if isinstance(v, (tuple, list)):
        if len(v) == 1:
            return "(%s,)" % param_str(v[0])
        return "(" + ",".join(param_str(x) for x in v) + ")"
    if isinstance(v, (int, np.integer)) and not isinstance(v, (bool, np.bool_)):
        return str(int(v))
    if isinstance(v, (float, np.floating)):
        return repr(float(v))
    if isinstance(v, (np.bool_,)):
        return "True" if v else "False"
    if isinstance(v, type) or isinstance(v, np.dtype):
        return np.dtype(v).name
    return str(v)  # Context (cpu(0)), other objects with a meaningful str


def c_params(keys, vals):
    """(num, keys, vals) for MXCOpInvoke / MXCSymbolCreateAtomic from parameter names and Python values.
    Both cdata arrays keep their strings alive."""
    n = len(keys)
    if n == 0:
        return 0, ffi.NULL, ffi.NULL
    kc = [_cstr(k) for k in keys]
    vc = [_cstr(param_str(v)) for v in vals]
    ka = ffi.new("const char *[]", kc)
    va = ffi.new("const char *[]", vc)
    _KEEP[ka] = kc
    _KEEP[va] = vc
    return n, ka, va


# ----------------------------------------------------------------------------------------------------------------
# Dtypes: codes from the header's enum MXCDType (MXC_FLOAT32 -> 'float32', ...)
# ----------------------------------------------------------------------------------------------------------------
_DTYPE_CODE_TO_NP = {}
_DTYPE_NAME_TO_CODE = {}
for _code, _ename in ffi.typeof("enum MXCDType").elements.items():
    _n = _ename[len("MXC_"):].lower()
    try:
        _t = np.dtype(_n).type
    except TypeError:  # a type NumPy does not know (e.g. bfloat16): not usable from Python
        continue
    _DTYPE_CODE_TO_NP[_code] = _t
    _DTYPE_NAME_TO_CODE[np.dtype(_t).name] = _code
del _code, _ename, _n, _t
_DTYPE_NP_TO_CODE = {t: c for c, t in _DTYPE_CODE_TO_NP.items()}
_DTYPE_NAME_TO_CODE.update({"float": _DTYPE_NAME_TO_CODE["float32"], "double": _DTYPE_NAME_TO_CODE["float64"],
                            "half": _DTYPE_NAME_TO_CODE["float16"]})


def dtype_code(dtype):
    """The MXCDType code of a NumPy type / np.dtype / name; None means float32. Unknown dtypes are TypeErrors."""
    if dtype is None:
        return lib.MXC_FLOAT32
    c = _DTYPE_NP_TO_CODE.get(dtype)
    if c is not None:
        return c
    if isinstance(dtype, str):
        c = _DTYPE_NAME_TO_CODE.get(dtype)
        if c is not None:
            return c
    try:
        t = np.dtype(dtype).type
    except TypeError:
        raise MXNetTypeError("unknown dtype %r (supported: %s)" % (dtype, ", ".join(sorted(
            np.dtype(t).name for t in _DTYPE_NP_TO_CODE)))) from None
    c = _DTYPE_NP_TO_CODE.get(t)
    if c is None:
        raise MXNetTypeError("dtype %s is not supported by mxc (supported: %s)" % (np.dtype(t).name, ", ".join(
            sorted(np.dtype(t).name for t in _DTYPE_NP_TO_CODE))))
    return c


def dtype_np(code):
    """The NumPy scalar type (np.float32, ...) of an MXCDType code."""
    return _DTYPE_CODE_TO_NP[code]


# ----------------------------------------------------------------------------------------------------------------
# Operator metadata
# ----------------------------------------------------------------------------------------------------------------


class OpMeta(object):
    """Metadata of one registered operator, read once through MXCOpGetInfo.

    Attributes: ``name``, ``handle`` (MXCOpHandle cdata), ``description``, ``aliases``, ``input_names``,
    ``input_is_aux``, ``key_var_num_args`` ("" when not variadic), ``param_names``, ``param_types``,
    ``param_defaults``, ``param_required``, ``param_docs`` (tuples), ``params`` (set of names), ``has_gradient``,
    ``is_loss``, ``c_keys`` (dict name -> interned char[] cdata).
    """

    __slots__ = ("name", "handle", "description", "aliases", "input_names", "input_is_aux", "key_var_num_args",
                 "param_names", "param_types", "param_defaults", "param_required", "param_docs", "params",
                 "has_gradient", "is_loss", "__weakref__")

    def __init__(self, handle):
        info = ffi.new("MXCOpInfo *")
        check_call(lib.MXCOpGetInfo(handle, info))
        self.handle = handle
        self.name = py_str(info.name)
        self.description = py_str(info.description)
        self.aliases = tuple(py_str_list(info.num_aliases, info.aliases))
        self.input_names = tuple(py_str_list(info.num_inputs, info.input_names))
        self.input_is_aux = tuple(bool(info.input_is_aux[i]) for i in range(info.num_inputs))
        self.key_var_num_args = py_str(info.key_var_num_args)
        n = info.num_params
        self.param_names = tuple(py_str_list(n, info.param_names))
        self.param_types = tuple(py_str_list(n, info.param_types))
        self.param_defaults = tuple(py_str_list(n, info.param_defaults))
        self.param_required = tuple(bool(info.param_required[i]) for i in range(n))
        self.param_docs = tuple(py_str_list(n, info.param_docs))
        self.params = frozenset(self.param_names)
        self.has_gradient = bool(info.has_gradient)
        self.is_loss = bool(info.is_loss)

    def __repr__(self):
        return "<OpMeta %s inputs=%s params=%s>" % (self.name, list(self.input_names), list(self.param_names))


_OP_META = {}


def op_meta(name):
    """Cached OpMeta of an operator by name or alias; an unknown name raises MXNetValueError."""
    m = _OP_META.get(name)
    if m is None:
        h = ffi.new("MXCOpHandle *")
        check_call(lib.MXCOpGetHandle(c_str(name), h))
        m = OpMeta(h[0])
        # Share one OpMeta between the canonical name and the name asked for.
        m = _OP_META.setdefault(m.name, m)
        _OP_META[name] = m
    return m


def has_op(name):
    """True when an operator (or alias) of that name is registered."""
    if name in _OP_META:
        return True
    h = ffi.new("MXCOpHandle *")
    if lib.MXCOpGetHandle(c_str(name), h) != 0:
        return False
    return True


def list_op_names():
    """Canonical names of all registered operators (MXCListOps)."""
    num = ffi.new("int *")
    names = ffi.new("const char ***")
    check_call(lib.MXCListOps(num, names))
    return py_str_list(num[0], names[0])


def features():
    """Dict feature name -> enabled (bool) of this build (MXCLibInfoFeatures)."""
    num = ffi.new("int *")
    names = ffi.new("const char ***")
    enabled = ffi.new("const int **")
    check_call(lib.MXCLibInfoFeatures(num, names, enabled))
    return {py_str(names[0][i]): bool(enabled[0][i]) for i in range(num[0])}
