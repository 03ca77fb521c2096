"""The NDArray class and the hand-written array functions (creation, save/load, arithmetic helpers).

Operators of the registry (``mx.nd.<op>``) are attached by ``mxc.ndarray.register`` when the package is imported;
this module only uses them through ``invoke`` and the cached handles below.
"""
import weakref

import numpy as np

from ..base import (ffi, lib, check_call, last_error, error_from_message, MXNetError, MXNetTypeError, c_str,
                    py_str, c_params, _cstr, dtype_code, dtype_np, dtype_name, numeric_types, integer_types, op_meta, has_op)
from ..context import Context, current_context, cpu

__all__ = ["NDArray", "invoke", "empty", "zeros", "ones", "full", "array", "arange", "save", "load",
           "load_frombuffer", "waitall", "add", "subtract", "multiply", "divide", "true_divide", "modulo", "power",
           "maximum", "minimum", "equal", "not_equal", "greater", "greater_equal", "lesser", "lesser_equal",
           "logical_and", "logical_or", "logical_xor", "eye", "linspace", "moveaxis", "onehot_encode", "concatenate",
           "CachedOp", "split_v2", "histogram"]

_NULL = ffi.NULL
# id(array) -> (weakref, grad_req) of the variables whose grad is read as row_sparse (attach_grad(stype='row_sparse'))
_ROW_SPARSE_GRAD = {}
_INVOKE = lib.MXCOpInvoke
_FREE = lib.MXCNDArrayFree
_CPU0 = cpu(0)

# ----------------------------------------------------------------------------------------------------------------
# The invoke path (kept lean: it is the per-call cost of every operator)
# ----------------------------------------------------------------------------------------------------------------
# Scratch cdata reused across calls: (num_outputs int*, outputs pointer, input handle array, output handle array,
# one-slot value array). Taken from and returned to a pool (list.pop/append are atomic under the GIL), so threads
# never share one while a call (which releases the GIL) runs.
# The pools start with a few entries: a list popped to empty and appended to again is reallocated both times (two
# reallocs per call, ~300 instructions of a ~11,000-instruction `c = a + b`).
_MAX_FAST = 8
_POOL_START = 4


def _new_scratch():
    return (ffi.new("int *"), ffi.new("MXCNDArrayHandle **"), ffi.new("MXCNDArrayHandle[%d]" % _MAX_FAST),
            ffi.new("MXCNDArrayHandle[%d]" % _MAX_FAST), ffi.new("const char *[1]"))


_POOL = [_new_scratch() for _ in range(_POOL_START)]


class _NotNDArray(Exception):
    """Internal: an input of the fast path is not an NDArray (the caller retries the general path)."""


def _new(handle, _onew=object.__new__):
    # NDArray(handle) without the __init__ call overhead.
    o = _onew(NDArray)
    o.handle = handle
    o._shape = None
    o.writable = True
    return o


def _collect(arr, m):
    if m == 1:
        return _new(arr[0])
    return [_new(arr[i]) for i in range(m)]


def invoke(op, inputs, out=None, nparams=0, keys=_NULL, vals=_NULL):
    """Runs an operator imperatively.

    op: an MXCOpHandle cdata (``op_meta(name).handle``); inputs: a sequence of NDArray; out: None (the library
    allocates the outputs), an NDArray or a list of NDArrays to write into; nparams/keys/vals: parameters as from
    ``base.c_params``. Returns the output NDArray, a list when the operator has several outputs, or ``out``.
    """
    pool = _POOL
    s = pool.pop() if pool else _new_scratch()
    nout, outp, ins, outs, _ = s
    n = len(inputs)
    try:
        if n <= _MAX_FAST:
            for i in range(n):
                ins[i] = inputs[i].handle
            cins = ins
        else:
            cins = ffi.new("MXCNDArrayHandle[]", [x.handle for x in inputs])
    except AttributeError:
        pool.append(s)
        raise _NotNDArray() from None
    if out is None:
        nout[0] = 0
        outp[0] = _NULL
        if _INVOKE(op, n, cins, nout, outp, nparams, keys, vals):
            pool.append(s)
            raise last_error()
        res = _collect(outp[0], nout[0])
        pool.append(s)
        return res
    if isinstance(out, NDArray):
        outs[0] = out.handle
        nout[0] = 1
        outp[0] = outs
    else:
        m = len(out)
        try:
            arr = outs if m <= _MAX_FAST else ffi.new("MXCNDArrayHandle[%d]" % m)
            for i in range(m):
                arr[i] = out[i].handle
        except AttributeError:
            pool.append(s)
            raise TypeError("out must be an NDArray or a list of NDArrays") from None
        nout[0] = m
        outp[0] = arr
    ret = _INVOKE(op, n, cins, nout, outp, nparams, keys, vals)
    pool.append(s)
    if ret:
        raise last_error()
    return out


_IS_RECORDING = lib.MXCAutogradIsRecording
_IN_GRAPH = lib.MXCNDArrayIsInGraph


def _recorded(arr):
    """True while this thread records and arr is in the autograd graph: then reads of parts of arr (slices, rows,
    reshapes) go through operators, which are recorded, instead of views, which are not."""
    r = ffi.new("int *")
    if _IS_RECORDING(r) or not r[0]:
        return False
    check_call(_IN_GRAPH(arr.handle, r))
    return bool(r[0])


def _invoke2(op, a, b):
    """Fast path of a two-input, parameterless operator (the binary arithmetic operators)."""
    pool = _POOL
    s = pool.pop() if pool else _new_scratch()
    nout, outp, ins = s[0], s[1], s[2]
    ins[0] = a.handle
    ins[1] = b.handle
    nout[0] = 0
    outp[0] = _NULL
    if _INVOKE(op, 2, ins, nout, outp, 0, _NULL, _NULL):
        pool.append(s)
        raise last_error()
    res = _new(outp[0][0])
    pool.append(s)
    return res


# Prepared operators (MXCPreparedOpInvoke): parameters parsed once by the library, five arguments per call instead
# of eight, and the output handles written into a buffer of the caller. Used by the arithmetic operators of NDArray.
_PREP_INVOKE = lib.MXCPreparedOpInvoke
_PREP_UNARY = lib.MXCPreparedOpInvokeUnary
_PREP_BINARY = lib.MXCPreparedOpInvokeBinary
_PREPARED = {}  # (op handle, scalar or None) -> MXCPreparedOpHandle; kept for the life of the process
_PREP_MAX = 4096  # beyond this many (a program looping over many constants), scalars take the general path


def _new_prep_scratch():
    return ffi.new("MXCNDArrayHandle[1]")


_PREP_POOL = [_new_prep_scratch() for _ in range(_POOL_START)]  # output buffers, used as _POOL


def _prepared(op, scalar=None, _key=None):
    """The MXCPreparedOpHandle of op without parameters, or with scalar=<scalar> (``_plus_scalar`` and friends)."""
    key = (op, scalar)
    h = _PREPARED.get(key)
    if h is None:
        out = ffi.new("MXCPreparedOpHandle *")
        if scalar is None:
            check_call(lib.MXCPreparedOpCreate(op, 0, _NULL, _NULL, out))
        else:
            check_call(lib.MXCPreparedOpCreate(op, 1, _SCALAR_KEY, ffi.new("const char *[1]", [_scalar_cstr(scalar)]),
                                               out))
        h = _PREPARED[key] = out[0]
    return h


_SCALAR_KEY = ffi.new("const char *[1]", [_cstr("scalar")])
_SCALAR_STRS = {}


def _scalar_cstr(v):
    c = _SCALAR_STRS.get(v)
    if c is None:
        if isinstance(v, (bool, np.bool_)):
            v2 = float(v)
        elif isinstance(v, numeric_types):
            v2 = float(v)
        else:
            raise TypeError("type %s not supported" % str(type(v)))
        if len(_SCALAR_STRS) > 4096:
            _SCALAR_STRS.clear()
        c = _SCALAR_STRS[v] = ffi.new("char[]", repr(v2).encode())
    return c


def _invoke_scalar(op, a, v, out=None):
    """Fast path of a one-input operator with one parameter named ``scalar`` (``_plus_scalar``, ...)."""
    h = None
    if out is None and v.__class__ in (float, int) and v == v:  # NaN: never equal to a cached key
        h = _PREPARED.get((op, v))
        if h is None and len(_PREPARED) < _PREP_MAX:
            h = _prepared(op, v)
    if h is not None:
        pool = _PREP_POOL
        out = pool.pop() if pool else _new_prep_scratch()
        if _PREP_UNARY(h, a.handle, out):
            pool.append(out)
            raise last_error()
        o = _onew(NDArray)
        o.handle = out[0]
        o._shape = a._shape
        o.writable = True
        pool.append(out)
        return o
    pool = _POOL
    s = pool.pop() if pool else _new_scratch()
    nout, outp, ins, outs, vals = s
    ins[0] = a.handle
    vals[0] = _scalar_cstr(v)
    if out is None:
        nout[0] = 0
        outp[0] = _NULL
        if _INVOKE(op, 1, ins, nout, outp, 1, _SCALAR_KEY, vals):
            pool.append(s)
            raise last_error()
        res = _new(outp[0][0])
        pool.append(s)
        return res
    outs[0] = out.handle
    nout[0] = 1
    outp[0] = outs
    ret = _INVOKE(op, 1, ins, nout, outp, 1, _SCALAR_KEY, vals)
    pool.append(s)
    if ret:
        raise last_error()
    return out


class _MissingOp(object):
    """Stands for an operator this build of the library does not register; using it raises a clear error."""

    def __init__(self, names):
        self.names = names

    def fail(self):
        raise MXNetError("operator %s is not registered in this build of the mxc library (%s)"
                         % (" / ".join(self.names), "needed by the NDArray method or function called"))


def _op(*names):
    """The handle of the first registered operator among names, or a _MissingOp."""
    for n in names:
        if has_op(n):
            return op_meta(n).handle
    return _MissingOp(names)


class _Prepared(object):
    """A one-input operator with fixed parameters, parsed once by the library (MXCPreparedOpCreate): a call on an
    NDArray is one library call, without formatting parameters. For code that applies the same operator to many
    arrays (the data transforms)."""

    __slots__ = ("_h",)

    def __init__(self, name, **params):
        self._h = None
        op = _op(name)
        if isinstance(op, _MissingOp):
            op.fail()
        keys = list(params)
        n, k, v = c_params(keys, [params[x] for x in keys])
        out = ffi.new("MXCPreparedOpHandle *")
        check_call(lib.MXCPreparedOpCreate(op, n, k, v, out))
        self._h = out[0]

    def __call__(self, x):
        pool = _PREP_POOL
        out = pool.pop() if pool else _new_prep_scratch()
        if _PREP_UNARY(self._h, x.handle, out):
            pool.append(out)
            raise last_error()
        res = _new(out[0])
        pool.append(out)
        return res

    def __del__(self):
        if self._h is not None:
            lib.MXCPreparedOpFree(self._h)


def _call(op, inputs, out=None, **params):
    """invoke() with keyword parameters (slow path helper for hand-written functions)."""
    if isinstance(op, _MissingOp):
        op.fail()
    if params:
        keys = list(params)
        n, k, v = c_params(keys, [params[x] for x in keys])
    else:
        n, k, v = 0, _NULL, _NULL
    try:
        return invoke(op, inputs, out, n, k, v)
    except _NotNDArray:
        raise TypeError("inputs must be NDArrays, got %s" % ", ".join(type(x).__name__ for x in inputs)) from None


class _Ops(object):
    """Handles of the operators the NDArray class calls directly, resolved once at import."""

    def __init__(self):
        o = _op
        self.add = o("elemwise_add", "broadcast_add")
        self.badd = o("broadcast_add", "broadcast_plus")
        self.sub = o("elemwise_sub", "broadcast_sub")
        self.bsub = o("broadcast_sub", "broadcast_minus")
        self.mul = o("elemwise_mul", "broadcast_mul")
        self.bmul = o("broadcast_mul")
        self.div = o("elemwise_div", "broadcast_div")
        self.bdiv = o("broadcast_div")
        self.mod = o("_mod", "elemwise_mod", "broadcast_mod")
        self.bmod = o("broadcast_mod")
        self.pow = o("_power", "elemwise_power", "broadcast_power")
        self.bpow = o("broadcast_power")
        self.max = o("_maximum", "elemwise_maximum", "broadcast_maximum")
        self.bmax = o("broadcast_maximum")
        self.min = o("_minimum", "elemwise_minimum", "broadcast_minimum")
        self.bmin = o("broadcast_minimum")
        self.eq = o("_equal", "broadcast_equal")
        self.beq = o("broadcast_equal")
        self.ne = o("_not_equal", "broadcast_not_equal")
        self.bne = o("broadcast_not_equal")
        self.gt = o("_greater", "broadcast_greater")
        self.bgt = o("broadcast_greater")
        self.ge = o("_greater_equal", "broadcast_greater_equal")
        self.bge = o("broadcast_greater_equal")
        self.lt = o("_lesser", "broadcast_lesser")
        self.blt = o("broadcast_lesser")
        self.le = o("_lesser_equal", "broadcast_lesser_equal")
        self.ble = o("broadcast_lesser_equal")
        self.add_s = o("_plus_scalar", "_PlusScalar")
        self.sub_s = o("_minus_scalar", "_MinusScalar")
        self.rsub_s = o("_rminus_scalar", "_RMinusScalar")
        self.mul_s = o("_mul_scalar", "_MulScalar")
        self.div_s = o("_div_scalar", "_DivScalar")
        self.rdiv_s = o("_rdiv_scalar", "_RDivScalar")
        self.mod_s = o("_mod_scalar", "_ModScalar")
        self.rmod_s = o("_rmod_scalar", "_RModScalar")
        self.pow_s = o("_power_scalar", "_PowerScalar")
        self.rpow_s = o("_rpower_scalar", "_RPowerScalar")
        self.max_s = o("_maximum_scalar", "_MaximumScalar")
        self.min_s = o("_minimum_scalar", "_MinimumScalar")
        self.eq_s = o("_equal_scalar", "_EqualScalar")
        self.ne_s = o("_not_equal_scalar", "_NotEqualScalar")
        self.gt_s = o("_greater_scalar", "_GreaterScalar")
        self.ge_s = o("_greater_equal_scalar", "_GreaterEqualScalar")
        self.lt_s = o("_lesser_scalar", "_LesserScalar")
        self.le_s = o("_lesser_equal_scalar", "_LesserEqualScalar")
        self.neg = o("negative")
        self.abs = o("abs")
        self.copyto = o("_copyto", "_copy", "identity")
        self.cast = o("Cast", "cast")
        self.transpose = o("transpose")
        self.slice = o("slice", "_slice", "crop")
        self.slice_assign = o("_slice_assign", "_crop_assign")
        self.slice_assign_scalar = o("_slice_assign_scalar", "_crop_assign_scalar")
        self.broadcast_to = o("broadcast_to")
        self.full = o("_full")
        self.zeros = o("_zeros")
        self.ones = o("_ones")
        self.reshape = o("Reshape", "reshape")
        self.take = o("take")
        self.arange = o("_arange")


_OPS = _Ops()


def _fast_binary(ew, bc, sc):
    """NDArray.__add__ and friends: the equal-shape array case inlined (the most frequent call of all), the rest
    through _binary."""
    if isinstance(ew, _MissingOp):
        def method(self, other):
            return _binary(self, other, ew, bc, sc)
        return method

    pew = _prepared(ew)

    def method(self, other, _pool=_PREP_POOL, _new_scratch=_new_prep_scratch, _invoke=_PREP_BINARY):
        if other.__class__ is NDArray:
            shape = self._shape or self.shape
            if shape == (other._shape or other.shape):
                out = _pool.pop() if _pool else _new_scratch()
                if _invoke(pew, self.handle, other.handle, out):
                    _pool.append(out)
                    raise last_error()
                o = _onew(NDArray)
                o.handle = out[0]
                o._shape = shape  # same-shape operators: the output has the inputs' shape
                o.writable = True
                _pool.append(out)
                return o
        return _binary(self, other, ew, bc, sc)
    return method


_onew = object.__new__


def _binary(lhs, rhs, ew, bc, sc, rsc=None, out=None):
    """lhs (NDArray) <op> rhs: ew when shapes are equal, bc (broadcasting) otherwise, sc with a scalar.
    With rsc the scalar is on the left (rhs is then the NDArray and lhs the scalar)."""
    if isinstance(rhs, NDArray):
        if isinstance(lhs, NDArray):
            op = ew if lhs.shape == rhs.shape else bc
            if isinstance(op, _MissingOp):
                op.fail()
            if out is None:
                return _invoke2(op, lhs, rhs)
            return invoke(op, (lhs, rhs), out)
        if isinstance(lhs, numeric_types) and rsc is not None:
            if isinstance(rsc, _MissingOp):
                rsc.fail()
            return _invoke_scalar(rsc, rhs, lhs, out)
    elif isinstance(lhs, NDArray) and isinstance(rhs, numeric_types):
        if isinstance(sc, _MissingOp):
            sc.fail()
        return _invoke_scalar(sc, lhs, rhs, out)
    raise TypeError("type %s not supported" % str(type(rhs if isinstance(lhs, NDArray) else lhs)))


# ----------------------------------------------------------------------------------------------------------------
# Indexing helpers
# ----------------------------------------------------------------------------------------------------------------
def _is_int(k):
    return isinstance(k, integer_types) and not isinstance(k, (bool, np.bool_))


def _parse_basic_key(shape, key):
    """Resolves a basic index (ints, slices, Ellipsis, None) against shape.

    Returns (entries, out_shape): entries has one item per axis of shape: ('i', index) or
    ('s', start, stop, step, length); out_shape is the shape of the result (ints dropped, None as 1, and (1,) when
    everything was dropped, as MXNet 1.x). Raises IndexError / TypeError as NumPy does."""
    if not isinstance(key, tuple):
        key = (key,)
    ndim = len(shape)
    n_real = 0
    n_ell = 0
    for k in key:
        if k is Ellipsis:
            n_ell += 1
        elif k is not None:
            n_real += 1
    if n_ell > 1:
        raise IndexError("an index can only have a single ellipsis ('...')")
    if n_real > ndim:
        raise IndexError("too many indices for array: array is %d-dimensional, but %d were indexed"
                         % (ndim, n_real))
    expanded = []
    for k in key:
        if k is Ellipsis:
            expanded.extend([slice(None)] * (ndim - n_real))
        else:
            expanded.append(k)
    if n_ell == 0:
        expanded.extend([slice(None)] * (ndim - n_real))
    entries = []
    out_shape = []
    axis = 0
    for k in expanded:
        if k is None:
            out_shape.append(1)
            continue
        dim = shape[axis]
        if _is_int(k):
            i = int(k)
            if i < -dim or i >= dim:
                raise IndexError("index %d is out of bounds for axis %d with size %d" % (i, axis, dim))
            entries.append(("i", i + dim if i < 0 else i))
        elif isinstance(k, slice):
            start, stop, step = k.indices(dim)
            length = len(range(start, stop, step))
            entries.append(("s", start, stop, step, length))
            out_shape.append(length)
        else:
            raise TypeError("NDArray does not support indexing with %s (use ints, slices, None, Ellipsis, or an "
                            "integer array on the first axis)" % type(k).__name__)
        axis += 1
    if not out_shape:
        out_shape = [1]
    return entries, tuple(out_shape)


def _view_of(arr, entries):
    """A view (sharing storage) for the indexed region when it is contiguous, else None."""
    v = arr
    n = len(entries)
    a = 0
    while a < n and entries[a][0] == "i":
        v = v._at(entries[a][1])
        a += 1
    if a == n:
        return v
    shape = arr.shape
    e = entries[a]
    # The slice on axis a must be contiguous, and every later axis must be taken whole.
    for b in range(a + 1, n):
        eb = entries[b]
        if eb[0] != "s" or eb[4] != shape[b] or (eb[3] != 1 and shape[b] > 1):
            return None
    start, step, length = e[1], e[3], e[4]
    if length == shape[a] and (step == 1 or length <= 1):
        return v
    if step == 1 or length <= 1:
        if length == 0:
            return v._slice(0, 0)
        return v._slice(start, start + length)
    return None


def _slice_params(entries):
    begin, end, step = [], [], []
    for e in entries:
        if e[0] == "i":
            begin.append(e[1])
            end.append(e[1] + 1)
            step.append(1)
        else:
            begin.append(e[1])
            # For a negative step slice.indices gives stop -1 for "through index 0": that is None for the op.
            end.append(None if (e[3] < 0 and e[2] < 0) else e[2])
            step.append(e[3])
    return tuple(begin), tuple(end), tuple(step)


def _region_shape(entries):
    return tuple(1 if e[0] == "i" else e[4] for e in entries)


def _indexed_shape(entries):
    s = tuple(e[4] for e in entries if e[0] == "s")
    return s if s else (1,)


def _is_advanced_key(key):
    return isinstance(key, (NDArray, np.ndarray, list))


# ----------------------------------------------------------------------------------------------------------------
# NDArray
# ----------------------------------------------------------------------------------------------------------------
class NDArray(object):
    """An n-dimensional array on a device, as ``mxnet.nd.NDArray``.

    ``NDArray(handle)`` wraps an ``MXCNDArrayHandle`` cdata and owns it: the handle is freed (MXCNDArrayFree) when the
    object is garbage collected. Operations run asynchronously where the engine allows; reading values
    (``asnumpy``, ``asscalar``, ``wait_to_read``) waits and raises errors of the computation.
    """

    __slots__ = ("handle", "writable", "_shape", "__weakref__")
    # NumPy defers binary operators and ufuncs to NDArray (which then raises a TypeError as MXNet does).
    __array_priority__ = 1000.0
    __array_ufunc__ = None

    def __init__(self, handle, writable=True):
        self.handle = handle
        self.writable = writable
        self._shape = None

    def __del__(self, _free=_FREE):
        try:
            h = self.handle
        except AttributeError:  # __init__ never ran
            return
        if h is not None:
            _free(h)

    # -- properties ---------------------------------------------------------------------------------------------
    @property
    def shape(self):
        """Tuple of dimensions."""
        s = self._shape
        if s is None:
            ndim = ffi.new("int *")
            p = ffi.new("const int64_t **")
            check_call(lib.MXCNDArrayGetShape(self.handle, ndim, p))
            s = self._shape = tuple(ffi.unpack(p[0], ndim[0]))
        return s

    @property
    def dtype(self):
        """Element type as a NumPy type (``numpy.float32``, ...)."""
        d = ffi.new("int *")
        check_call(lib.MXCNDArrayGetDType(self.handle, d))
        return dtype_np(d[0])

    @property
    def context(self):
        """The device of the array (a Context)."""
        t = ffi.new("int *")
        i = ffi.new("int *")
        check_call(lib.MXCNDArrayGetDevice(self.handle, t, i))
        return Context("gpu" if t[0] == lib.MXC_GPU else "cpu", i[0])

    ctx = context

    @property
    def size(self):
        """Number of elements."""
        n = 1
        for d in self.shape:
            n *= d
        return n

    @property
    def ndim(self):
        """Number of dimensions."""
        return len(self.shape)

    @property
    def stype(self):
        """Storage type: 'default' (dense); 'csr' and 'row_sparse' arrays are mx.nd.sparse's classes."""
        return "default"

    @property
    def T(self):
        """The transposed array (axes reversed); arrays with fewer than 2 dimensions are returned as they are."""
        if len(self.shape) < 2:
            return self
        return _call(_OPS.transpose, (self,))

    # -- host copies ----------------------------------------------------------------------------------------------
    def asnumpy(self):
        """A NumPy copy of the array (waits for pending writes)."""
        data = np.empty(self.shape, dtype=self.dtype)
        check_call(lib.MXCNDArraySyncCopyToCPU(self.handle, ffi.from_buffer(data, require_writable=True),
                                               data.size))
        return data

    def asscalar(self):
        """The value of a one-element array as a NumPy scalar."""
        if self.size != 1:
            raise ValueError("The current array is not a scalar")
        return self.asnumpy().reshape(-1)[0]

    def _sync_copyfrom(self, source_array):
        """Copies a NumPy array (or anything np.asarray accepts) of the same shape into this array."""
        if not self.writable:
            raise ValueError("trying to write into a read-only NDArray")
        src = np.asarray(source_array, dtype=self.dtype)
        if src.shape != self.shape:
            raise ValueError("Shape inconsistent: expected %s vs got %s" % (str(self.shape), str(src.shape)))
        src = np.ascontiguousarray(src)
        check_call(lib.MXCNDArraySyncCopyFromCPU(self.handle, ffi.from_buffer(src), src.size))

    def __array__(self, dtype=None, copy=None):
        if copy is False:
            raise ValueError("an NDArray cannot be viewed as a NumPy array without a copy; use asnumpy()")
        a = self.asnumpy()
        return a if dtype is None else a.astype(dtype, copy=False)

    def tolist(self):
        """The values as nested Python lists."""
        return self.asnumpy().tolist()

    # -- synchronisation ----------------------------------------------------------------------------------------
    def wait_to_read(self, _wait=lib.MXCNDArrayWaitToRead):
        """Waits until pending writes to the array are done; raises the error of a failed computation."""
        if _wait(self.handle):
            raise last_error()

    def wait_to_write(self):
        """Waits until pending reads and writes of the array are done."""
        check_call(lib.MXCNDArrayWaitToWrite(self.handle))

    # -- copies and conversions ---------------------------------------------------------------------------------
    def copy(self):
        """A deep copy on the same device."""
        return self.copyto(self.context)

    def __copy__(self):
        return self.copy()

    def __deepcopy__(self, memo):
        return self.copy()

    def copyto(self, other):
        """Copies into ``other``: an NDArray (its shape must match; the dtype is converted) or a Context (a new
        array there). Returns the target array."""
        if isinstance(other, NDArray):
            if other.handle == self.handle:
                import warnings
                warnings.warn("You are attempting to copy an array to itself", RuntimeWarning, stacklevel=2)
                return other
            if not other.writable:
                raise ValueError("trying to copy into a read-only NDArray")
            _copy_into(self, other)
            return other
        if isinstance(other, Context):
            res = empty(self.shape, other, self.dtype)
            _copy_into(self, res)
            return res
        raise TypeError("copyto does not support type " + str(type(other)))

    def as_in_context(self, context):
        """This array if it is already on ``context``, else a copy there."""
        if self.context == context:
            return self
        return self.copyto(context)

    def astype(self, dtype, copy=True):
        """A copy converted to ``dtype``; with copy=False the array itself when it already has that dtype."""
        if np.dtype(dtype) == np.dtype(self.dtype):
            return self.copy() if copy else self
        return _call(_OPS.cast, (self,), dtype=dtype_name(dtype))

    def reshape(self, *shape, **kwargs):
        """A view with another shape (MXNet's special codes 0, -1, -2, -3, -4 allowed), sharing storage.

        ``x.reshape(2, 3)``, ``x.reshape((2, 3))`` and ``x.reshape(shape=(2, 3))`` are equivalent.
        ``reverse=True`` resolves the special codes right to left (through the Reshape operator: a copy)."""
        if len(shape) == 1 and isinstance(shape[0], (list, tuple)):
            shape = shape[0]
        elif not shape:
            shape = kwargs.pop("shape", None)
            if shape is None:
                raise TypeError("reshape() needs a shape")
            if _is_int(shape):
                shape = (shape,)
        reverse = kwargs.pop("reverse", False)
        if kwargs:
            raise TypeError("reshape() got unexpected keyword arguments %s" % ", ".join(sorted(kwargs)))
        shape = tuple(int(d) for d in shape)
        if reverse:
            return _call(_OPS.reshape, (self,), shape=shape, reverse=True)
        return self._reshape_view(shape)

    def _reshape_view(self, shape):
        if _recorded(self):
            return _call(_OPS.reshape, (self,), shape=shape)
        out = ffi.new("MXCNDArrayHandle *")
        dims = ffi.new("int64_t[]", list(shape)) if shape else _NULL
        check_call(lib.MXCNDArrayReshape(self.handle, len(shape), dims, out))
        return NDArray(out[0], self.writable)

    def _slice(self, start, stop):
        """A view of rows [start, stop) of the first axis (sharing storage)."""
        out = ffi.new("MXCNDArrayHandle *")
        check_call(lib.MXCNDArraySlice(self.handle, start, stop, out))
        return NDArray(out[0], self.writable)

    def _at(self, idx):
        """A view of row idx of the first axis (sharing storage); a 1-d array gives shape (1,)."""
        out = ffi.new("MXCNDArrayHandle *")
        check_call(lib.MXCNDArrayAt(self.handle, idx, out))
        return NDArray(out[0], self.writable)

    # -- autograd -------------------------------------------------------------------------------------------------
    def attach_grad(self, grad_req="write", stype=None):
        """Marks the array as a variable of autograd: ``backward`` writes (``'write'``) or adds (``'add'``) its
        gradient into ``self.grad``, a new array of zeros. With stype='row_sparse', ``self.grad`` is a
        RowSparseNDArray of the rows looked up by recorded Embedding(sparse_grad=True) calls (MXNet's row set), else
        of the gradient's nonzero rows (the gradient is accumulated densely)."""
        if stype not in (None, "default", "row_sparse"):
            raise ValueError("attach_grad: gradient stype must be 'default' or 'row_sparse', got %r" % (stype,))
        from .. import autograd
        autograd.mark_variables([self], [zeros(self.shape, self.context, self.dtype)], grad_req)
        if stype == "row_sparse":
            _ROW_SPARSE_GRAD[id(self)] = (weakref.ref(self, lambda _r, k=id(self): _ROW_SPARSE_GRAD.pop(k, None)),
                                          grad_req)
            from . import sparse
            sparse._forget_rows(self)
        else:
            _ROW_SPARSE_GRAD.pop(id(self), None)

    @property
    def grad(self):
        """The gradient array of a variable (``attach_grad``), or None."""
        out = ffi.new("MXCNDArrayHandle *")
        check_call(lib.MXCNDArrayGetGrad(self.handle, out))
        if out[0] == _NULL:
            return None
        g = _new(out[0])
        if _ROW_SPARSE_GRAD:
            r = _ROW_SPARSE_GRAD.get(id(self))
            if r is not None and r[0]() is self:
                from . import sparse
                return sparse.grad_as_row_sparse(g, self)
        return g

    def backward(self, out_grad=None, retain_graph=False, train_mode=True):
        """Computes the gradient of this array (recorded under ``autograd.record()``) with respect to the variables;
        ``out_grad``: its own gradient (None: ones)."""
        from .. import autograd
        autograd.backward([self], None if out_grad is None else [out_grad], retain_graph, train_mode)

    @property
    def _fresh_grad(self):
        """Whether a backward wrote this variable's gradient since the flag was cleared (Gluon's Trainer)."""
        r = ffi.new("int *")
        check_call(lib.MXCNDArrayGetGradState(self.handle, r))
        return bool(r[0])

    @_fresh_grad.setter
    def _fresh_grad(self, state):
        check_call(lib.MXCNDArraySetGradState(self.handle, 1 if state else 0))

    def detach(self):
        """The same array outside the autograd graph (no gradient flows through it)."""
        out = ffi.new("MXCNDArrayHandle *")
        check_call(lib.MXCNDArrayDetach(self.handle, out))
        return NDArray(out[0], self.writable)

    def shares_memory_with(self, other):
        """True when both arrays view the same storage."""
        r = ffi.new("int *")
        check_call(lib.MXCNDArraySharesStorage(self.handle, other.handle, r))
        return bool(r[0])

    # -- indexing -------------------------------------------------------------------------------------------------
    def __getitem__(self, key):
        recorded = _recorded(self)  # views are not recorded: a copy through the slice operator instead
        if _is_int(key) and not recorded:
            # Fast path: a row view.
            dim = self.shape[0]
            if key < -dim or key >= dim:
                raise IndexError("index %d is out of bounds for axis 0 with size %d" % (key, dim))
            return self._at(int(key))
        if _is_advanced_key(key):
            return self._take(key)
        if isinstance(key, tuple) and any(_is_advanced_key(k) for k in key):
            raise TypeError("NDArray supports advanced (array) indexing only as a single integer array on the "
                            "first axis, got %r" % (key,))
        entries, out_shape = _parse_basic_key(self.shape, key)
        v = None if recorded else _view_of(self, entries)
        if v is None:
            if any(e[0] == "s" and e[4] == 0 for e in entries):
                return empty(out_shape, self.context, self.dtype)
            begin, end, step = _slice_params(entries)
            v = _call(_OPS.slice, (self,), begin=begin, end=end, step=step)
        if v.shape != out_shape:
            v = v._reshape_view(out_shape)
        return v

    def _take(self, idx):
        if not isinstance(idx, NDArray):
            idx = np.asarray(idx)
            if idx.dtype == np.bool_ or not np.issubdtype(idx.dtype, np.integer):
                raise TypeError("NDArray supports integer arrays as indices, got dtype %s" % idx.dtype)
            dim = self.shape[0]
            if idx.size and (idx.min() < -dim or idx.max() >= dim):
                raise IndexError("index out of bounds for axis 0 with size %d" % dim)
            idx = array(np.where(idx < 0, idx + dim, idx), ctx=self.context, dtype=np.int64)
        return _call(_OPS.take, (self, idx), axis=0)

    def __setitem__(self, key, value):
        if not self.writable:
            raise ValueError("trying to assign to a read-only NDArray")
        if _recorded(self):
            raise error_from_message("ValueError: NDArray.__setitem__: writing into an array that is already in a "
                                     "computational graph would make its gradient wrong. Call backward first (it "
                                     "frees the graph), or write outside autograd.record(); in-place operations "
                                     "(+=, *=, x[:] = ..., out=) cannot be recorded")
        if _is_advanced_key(key) or (isinstance(key, tuple) and any(_is_advanced_key(k) for k in key)):
            raise TypeError("assignment with array indices is not supported; use basic indexing (ints, slices)")
        if _is_int(key):
            dim = self.shape[0]
            if key < -dim or key >= dim:
                raise IndexError("index %d is out of bounds for axis 0 with size %d" % (key, dim))
            _assign(self._at(int(key)), value)
            return
        full_key = key
        if isinstance(key, tuple):
            key = tuple(k for k in key if k is not None)
        elif key is None:
            key = ()
        entries, _ = _parse_basic_key(self.shape, key)
        v = _view_of(self, entries)
        if v is not None:
            _assign(v, value)
            return
        region = _region_shape(entries)
        if 0 in region:
            return
        begin, end, step = _slice_params(entries)
        if isinstance(value, numeric_types):
            _call(_OPS.slice_assign_scalar, (self,), out=self, scalar=float(value), begin=begin, end=end,
                  step=step)
            return
        # The value broadcasts (NumPy rules) to x[key]'s shape, new axes (None) included.
        target = _parse_basic_key(self.shape, full_key)[1]
        val = _as_value_array(value, target, self.context, self.dtype)
        if val.shape != region:
            val = val._reshape_view(region)
        _call(_OPS.slice_assign, (self, val), out=self, begin=begin, end=end, step=step)

    # -- Python protocols -----------------------------------------------------------------------------------------
    def __len__(self):
        return self.shape[0]

    def __iter__(self):
        return (self[i] for i in range(self.shape[0]))

    def __bool__(self):
        n = self.size
        if n == 0:
            return False
        if n == 1:
            return bool(self.asscalar())
        raise ValueError("The truth value of an NDArray with multiple elements is ambiguous.")

    __nonzero__ = __bool__

    def __repr__(self):
        shape_info = "x".join(["%d" % x for x in self.shape])
        return "\n%s\n<%s %s @%s>" % (str(self.asnumpy()), self.__class__.__name__, shape_info, self.context)

    __hash__ = object.__hash__

    def __getstate__(self):
        return {"handle": _save_bytes([self]) if self.handle is not None else None, "writable": self.writable}

    def __setstate__(self, state):
        self._shape = None
        self.writable = state.get("writable", True)
        data = state["handle"]
        self.handle = None
        if data is not None:
            arrs, _ = _load_bytes_raw(data)
            if len(arrs) != 1:
                raise ValueError("pickled NDArray holds %d arrays" % len(arrs))
            self.handle = arrs[0].handle
            arrs[0].handle = None  # ownership moves to self

    # -- arithmetic -------------------------------------------------------------------------------------------------
    __add__ = _fast_binary(_OPS.add, _OPS.badd, _OPS.add_s)

    def __radd__(self, other):
        return _binary(self, other, _OPS.add, _OPS.badd, _OPS.add_s)

    def __iadd__(self, other):
        return self._inplace(other, _OPS.add, _OPS.badd, _OPS.add_s)

    __sub__ = _fast_binary(_OPS.sub, _OPS.bsub, _OPS.sub_s)

    def __rsub__(self, other):
        return _binary(other, self, _OPS.sub, _OPS.bsub, _OPS.sub_s, _OPS.rsub_s)

    def __isub__(self, other):
        return self._inplace(other, _OPS.sub, _OPS.bsub, _OPS.sub_s)

    __mul__ = _fast_binary(_OPS.mul, _OPS.bmul, _OPS.mul_s)

    def __rmul__(self, other):
        return _binary(self, other, _OPS.mul, _OPS.bmul, _OPS.mul_s)

    def __imul__(self, other):
        return self._inplace(other, _OPS.mul, _OPS.bmul, _OPS.mul_s)

    __truediv__ = _fast_binary(_OPS.div, _OPS.bdiv, _OPS.div_s)

    def __rtruediv__(self, other):
        return _binary(other, self, _OPS.div, _OPS.bdiv, _OPS.div_s, _OPS.rdiv_s)

    def __itruediv__(self, other):
        return self._inplace(other, _OPS.div, _OPS.bdiv, _OPS.div_s)

    __div__ = __truediv__
    __rdiv__ = __rtruediv__
    __idiv__ = __itruediv__

    __mod__ = _fast_binary(_OPS.mod, _OPS.bmod, _OPS.mod_s)

    def __rmod__(self, other):
        return _binary(other, self, _OPS.mod, _OPS.bmod, _OPS.mod_s, _OPS.rmod_s)

    def __imod__(self, other):
        return self._inplace(other, _OPS.mod, _OPS.bmod, _OPS.mod_s)

    __pow__ = _fast_binary(_OPS.pow, _OPS.bpow, _OPS.pow_s)

    def __rpow__(self, other):
        return _binary(other, self, _OPS.pow, _OPS.bpow, _OPS.pow_s, _OPS.rpow_s)

    def __ipow__(self, other):
        return self._inplace(other, _OPS.pow, _OPS.bpow, _OPS.pow_s)

    def _inplace(self, other, ew, bc, sc):
        if not self.writable:
            raise ValueError("trying to modify a read-only NDArray in place")
        if isinstance(other, NDArray):
            op = ew if self.shape == other.shape else bc
            if isinstance(op, _MissingOp):
                op.fail()
            return invoke(op, (self, other), self)
        if isinstance(other, numeric_types):
            if isinstance(sc, _MissingOp):
                sc.fail()
            return _invoke_scalar(sc, self, other, self)
        raise TypeError("type %s not supported" % str(type(other)))

    def __neg__(self):
        if not isinstance(_OPS.neg, _MissingOp):
            return _call(_OPS.neg, (self,))
        return _binary(self, -1.0, _OPS.mul, _OPS.bmul, _OPS.mul_s)

    def __pos__(self):
        return self

    def __abs__(self):
        return _call(_OPS.abs, (self,))

    # Comparisons: NDArrays of 0/1 in the dtype of the inputs (as MXNet 1.x). Unsupported types compare by identity.
    def _cmp(self, other, ew, bc, sc):
        if isinstance(other, (NDArray,) + numeric_types):
            return _binary(self, other, ew, bc, sc)
        return NotImplemented

    def __eq__(self, other):
        return self._cmp(other, _OPS.eq, _OPS.beq, _OPS.eq_s)

    def __ne__(self, other):
        return self._cmp(other, _OPS.ne, _OPS.bne, _OPS.ne_s)

    def __gt__(self, other):
        return self._cmp(other, _OPS.gt, _OPS.bgt, _OPS.gt_s)

    def __ge__(self, other):
        return self._cmp(other, _OPS.ge, _OPS.bge, _OPS.ge_s)

    def __lt__(self, other):
        return self._cmp(other, _OPS.lt, _OPS.blt, _OPS.lt_s)

    def __le__(self, other):
        return self._cmp(other, _OPS.le, _OPS.ble, _OPS.le_s)

    # -- fluent forms of operators whose first input is not named ``data`` (MXNet 1.9.1's NDArray methods) -------
    def broadcast_like(self, other):
        """This array broadcast to the shape of ``other`` (mx.nd.broadcast_like(self, other))."""
        return _fluent("broadcast_like", self, other)

    def one_hot(self, *args, **kwargs):
        """mx.nd.one_hot with this array as the indices."""
        return _fluent("one_hot", self, *args, **kwargs)

    def reshape_like(self, *args, **kwargs):
        """mx.nd.reshape_like with this array as lhs."""
        return _fluent("reshape_like", self, *args, **kwargs)

    def take(self, *args, **kwargs):
        """mx.nd.take with this array as a."""
        return _fluent("take", self, *args, **kwargs)

    def split_v2(self, *args, **kwargs):
        """mx.nd.split_v2 with this array as ary."""
        return split_v2(self, *args, **kwargs)

    def slice_assign(self, rhs, begin, end, step):
        """Writes ``rhs`` into the region ``begin:end:step`` of this array, in place; returns this array."""
        return _call(_op("_slice_assign"), (self, rhs), out=self, begin=tuple(begin), end=tuple(end),
                     step=tuple(step))

    def slice_assign_scalar(self, value, begin, end, step):
        """Writes the number ``value`` into the region ``begin:end:step`` of this array, in place; returns this
        array."""
        return _call(_op("_slice_assign_scalar"), (self,), out=self, scalar=float(value), begin=tuple(begin),
                     end=tuple(end), step=tuple(step))

    def tostype(self, stype):
        """A copy with storage type ``stype``: 'default' (dense), 'csr' or 'row_sparse' (mx.nd.sparse)."""
        if stype == "default":
            return self.copy()
        from . import sparse
        return sparse.cast_storage(self, stype)


def _fluent(name, *args, **kwargs):
    """Calls the registry function mx.nd.<name> (the fluent NDArray methods above)."""
    import sys
    return getattr(sys.modules[__name__.rsplit(".", 1)[0]], name)(*args, **kwargs)


# ----------------------------------------------------------------------------------------------------------------
# Copies and assignment
# ----------------------------------------------------------------------------------------------------------------
def _copy_into(src, dst):
    """Writes src into dst (same shape; dtype converted), queued on the engine (across devices too)."""
    if src.shape != dst.shape:
        from ..base import ShapeError
        raise ShapeError("copyto: source shape %s does not match target shape %s" % (src.shape, dst.shape))
    if src.dtype != dst.dtype:
        src = src.astype(dst.dtype)
    if src.context == dst.context and not isinstance(_OPS.copyto, _MissingOp):
        invoke(_OPS.copyto, (src,), dst)
    elif hasattr(lib, "MXCNDArrayCopyTo"):
        check_call(lib.MXCNDArrayCopyTo(src.handle, dst.handle))
    else:  # a library older than 0.5
        dst._sync_copyfrom(src.asnumpy())


def _broadcast_nd(value, target):
    """An NDArray broadcast (NumPy rules) to shape target."""
    s = value.shape
    if s == target:
        return value
    if len(s) > len(target):
        extra = s[:len(s) - len(target)]
        if any(d != 1 for d in extra):
            raise ValueError("could not broadcast input array from shape %s into shape %s" % (s, target))
        value = value._reshape_view(s[len(s) - len(target):])
        s = value.shape
        if s == target:
            return value
    if len(s) < len(target):
        value = value._reshape_view((1,) * (len(target) - len(s)) + s)
        s = value.shape
        if s == target:
            return value
    for a, b in zip(s, target):
        if a != b and a != 1:
            raise ValueError("could not broadcast input array from shape %s into shape %s" % (value.shape, target))
    return _call(_OPS.broadcast_to, (value,), shape=target)


def _np_broadcast(value, target, dtype):
    """value as a NumPy array of dtype broadcast to target (leading axes of length 1 dropped, as NumPy's
    assignment does)."""
    arr = np.asarray(value, dtype=dtype)
    while arr.ndim > len(target) and arr.shape[0] == 1:
        arr = arr.reshape(arr.shape[1:])
    return np.broadcast_to(arr, target)


def _as_value_array(value, target, ctx, dtype):
    """value (NDArray, NumPy array, nested lists, scalar) as an NDArray of shape target, dtype and context."""
    if isinstance(value, NDArray):
        if value.context != ctx:
            value = value.copyto(ctx)
        if np.dtype(value.dtype) != np.dtype(dtype):
            value = value.astype(dtype)
        return _broadcast_nd(value, target)
    src = _np_broadcast(value, target, dtype)
    res = empty(target, ctx, dtype)
    res._sync_copyfrom(src)
    return res


def _assign(dst, value):
    """dst[:] = value for a whole (possibly view) array."""
    if dst.size == 0:
        return
    if isinstance(value, NDArray):
        if value.handle == dst.handle:
            return
        if value.context == dst.context and np.dtype(value.dtype) == np.dtype(dst.dtype):
            v = _broadcast_nd(value, dst.shape)
            _copy_into(v, dst)
        else:
            _copy_into(_as_value_array(value, dst.shape, dst.context, dst.dtype), dst)
    elif isinstance(value, numeric_types):
        _call(_OPS.full, (), out=dst, shape=dst.shape, dtype=dtype_name(dst.dtype), value=float(value))
    else:
        dst._sync_copyfrom(_np_broadcast(value, dst.shape, dst.dtype))


# ----------------------------------------------------------------------------------------------------------------
# Creation
# ----------------------------------------------------------------------------------------------------------------
def _shape_tuple(shape):
    if _is_int(shape):
        return (int(shape),)
    return tuple(int(d) for d in shape)


def empty(shape, ctx=None, dtype=None):
    """An array with uninitialised contents (storage allocated when first written)."""
    shape = _shape_tuple(shape)
    if ctx is None:
        ctx = current_context()
    out = ffi.new("MXCNDArrayHandle *")
    check_call(lib.MXCNDArrayCreate(ffi.new("int64_t[]", shape), len(shape), dtype_code(dtype), ctx.c_devtype,
                                    ctx.device_id, 1, out))
    return NDArray(out[0])


def _filled(op, shape, ctx, dtype, out=None, **params):
    shape = _shape_tuple(shape)
    dtype = "float32" if dtype is None else dtype_name(dtype)
    if out is None:
        out = empty(shape, ctx, dtype)
    return _call(op, (), out=out, shape=shape, dtype=dtype, **params)


def zeros(shape, ctx=None, dtype=None, **kwargs):
    """An array of zeros (dtype float32 by default) on ctx (default: the current context)."""
    return _filled(_OPS.zeros, shape, ctx, dtype, **kwargs)


def ones(shape, ctx=None, dtype=None, **kwargs):
    """An array of ones (dtype float32 by default) on ctx (default: the current context)."""
    return _filled(_OPS.ones, shape, ctx, dtype, **kwargs)


def full(shape, val, ctx=None, dtype=np.float32, out=None):
    """An array filled with val."""
    return _filled(_OPS.full, shape, ctx, dtype, out=out, value=float(val))


def array(source_array, ctx=None, dtype=None):
    """An array from an NDArray, a NumPy array, nested lists or a scalar (dtype float32 unless given, or the
    source's dtype for an NDArray source)."""
    if isinstance(source_array, NDArray):
        dtype = source_array.dtype if dtype is None else dtype
        res = empty(source_array.shape, ctx, dtype)
        source_array.copyto(res)
        return res
    dtype = np.float32 if dtype is None else dtype
    try:
        src = np.asarray(source_array, dtype=dtype)
    except (TypeError, ValueError) as e:
        raise TypeError("source_array must be array like object: %s" % e) from None
    if src.ndim == 0:
        src = src.reshape(1)
    res = empty(src.shape, ctx, dtype)
    res._sync_copyfrom(src)
    return res


def arange(start, stop=None, step=1.0, repeat=1, infer_range=None, ctx=None, dtype=np.float32):
    """Evenly spaced values in [start, stop) (or [0, start) without stop), each repeated ``repeat`` times."""
    if ctx is None:
        ctx = current_context()
    params = dict(start=start, stop=stop, step=step, repeat=repeat, dtype=dtype_name(dtype))
    if infer_range is not None:
        params["infer_range"] = infer_range
    res = _call(_OPS.arange, (), **params)
    return res if ctx == _CPU0 else res.copyto(ctx)


def eye(N, M=0, k=0, ctx=None, dtype=np.float32, **kwargs):
    """A 2-d array of N rows and M columns (M=0: N) with ones on the k-th diagonal and zeros elsewhere."""
    if ctx is None:
        ctx = current_context()
    res = _call(_op("_eye"), (), N=N, M=M, k=k, dtype=dtype_name(dtype), **kwargs)
    return res if ctx == _CPU0 else res.copyto(ctx)


def linspace(start, stop, num, endpoint=True, ctx=None, dtype=np.float32):
    """num evenly spaced values from start to stop (stop excluded when endpoint is False)."""
    if ctx is None:
        ctx = current_context()
    res = _call(_op("_linspace"), (), start=start, stop=stop, num=num, endpoint=endpoint, dtype=dtype_name(dtype))
    return res if ctx == _CPU0 else res.copyto(ctx)


def waitall():
    """Waits for all pending work; raises the first error of failed work not yet reported."""
    check_call(lib.MXCNDArrayWaitAll())


# ----------------------------------------------------------------------------------------------------------------
# Save / load
# ----------------------------------------------------------------------------------------------------------------
def _pack(data):
    if isinstance(data, NDArray):
        return [data], None
    if isinstance(data, dict):
        keys = list(data.keys())
        for k in keys:
            if not isinstance(k, str):
                raise TypeError("save only accepts dict str->NDArray; key %r is not a str" % (k,))
            if not isinstance(data[k], NDArray):
                raise TypeError("save only accepts dict str->NDArray; data[%r] is %s" % (k, type(data[k])))
        return [data[k] for k in keys], keys
    if isinstance(data, (list, tuple)):
        for i, x in enumerate(data):
            if not isinstance(x, NDArray):
                raise TypeError("save only accepts a list of NDArrays; item %d is %s" % (i, type(x)))
        return list(data), None
    raise TypeError("save only accepts an NDArray, a list of NDArrays or a dict str->NDArray, got %s" % type(data))


def _handles(arrays):
    return ffi.new("MXCNDArrayHandle[]", [a.handle for a in arrays]) if arrays else _NULL


def save(fname, data):
    """Saves an NDArray, a list of NDArrays or a dict str->NDArray to fname (mxc array format)."""
    arrays, keys = _pack(data)
    from ..base import c_str_array
    ckeys = c_str_array(keys) if keys else _NULL
    check_call(lib.MXCNDArraySave(c_str(str(fname)), len(arrays), _handles(arrays), ckeys))


def _save_mxnet(fname, data):
    """As save(), in MXNet 1.x's .params layout (readable by MXNet's mx.nd.load; load() reads both)."""
    arrays, keys = _pack(data)
    from ..base import c_str_array
    ckeys = c_str_array(keys) if keys else _NULL
    check_call(lib.MXCNDArraySaveMXNetFormat(c_str(str(fname)), len(arrays), _handles(arrays), ckeys))


def _save_bytes(arrays, keys=None):
    from ..base import c_str_array
    size = ffi.new("int64_t *")
    buf = ffi.new("const char **")
    ckeys = c_str_array(keys) if keys else _NULL
    check_call(lib.MXCNDArraySaveToBuffer(len(arrays), _handles(arrays), ckeys, size, buf))
    return bytes(ffi.buffer(buf[0], size[0]))


def _unpack_loaded(num, arrs, nkeys, keys):
    # Wrap every handle first (so all are freed even if something below fails), then read the keys.
    out = [NDArray(arrs[0][i]) for i in range(num[0])]
    names = [py_str(keys[0][i]) for i in range(nkeys[0])]
    return out, names


def _load_bytes_raw(data):
    num = ffi.new("int *")
    arrs = ffi.new("MXCNDArrayHandle **")
    nkeys = ffi.new("int *")
    keys = ffi.new("const char ***")
    buf = ffi.from_buffer(data)
    check_call(lib.MXCNDArrayLoadFromBuffer(buf, len(data), num, arrs, nkeys, keys))
    return _unpack_loaded(num, arrs, nkeys, keys)


def _as_result(arrays, names):
    if names:
        return dict(zip(names, arrays))
    return arrays


def load(fname):
    """Loads arrays saved by save() (or by MXNet's mx.nd.save): a list, or a dict when they were saved with
    names."""
    num = ffi.new("int *")
    arrs = ffi.new("MXCNDArrayHandle **")
    nkeys = ffi.new("int *")
    keys = ffi.new("const char ***")
    check_call(lib.MXCNDArrayLoad(c_str(str(fname)), num, arrs, nkeys, keys))
    return _as_result(*_unpack_loaded(num, arrs, nkeys, keys))


def load_frombuffer(buf):
    """As load(), from bytes holding a saved file's contents."""
    if not isinstance(buf, (bytes, bytearray, memoryview)):
        raise TypeError("buf must be bytes, got %s" % type(buf))
    return _as_result(*_load_bytes_raw(bytes(buf)))


# ----------------------------------------------------------------------------------------------------------------
# Elementwise helpers of MXNet's ndarray module (arrays and scalars, with broadcasting)
# ----------------------------------------------------------------------------------------------------------------
def _ufunc(lhs, rhs, ew, bc, sc, rsc, fn):
    if isinstance(lhs, numeric_types) and isinstance(rhs, numeric_types):
        return fn(lhs, rhs)
    if isinstance(lhs, NDArray):
        return _binary(lhs, rhs, ew, bc, sc)
    if rsc is None:  # commutative: swap
        return _binary(rhs, lhs, ew, bc, sc)
    return _binary(lhs, rhs, ew, bc, sc, rsc)


def add(lhs, rhs):
    """lhs + rhs with broadcasting (arrays or scalars)."""
    return _ufunc(lhs, rhs, _OPS.add, _OPS.badd, _OPS.add_s, None, lambda a, b: a + b)


def subtract(lhs, rhs):
    """lhs - rhs with broadcasting."""
    return _ufunc(lhs, rhs, _OPS.sub, _OPS.bsub, _OPS.sub_s, _OPS.rsub_s, lambda a, b: a - b)


def multiply(lhs, rhs):
    """lhs * rhs with broadcasting."""
    return _ufunc(lhs, rhs, _OPS.mul, _OPS.bmul, _OPS.mul_s, None, lambda a, b: a * b)


def divide(lhs, rhs):
    """lhs / rhs with broadcasting."""
    return _ufunc(lhs, rhs, _OPS.div, _OPS.bdiv, _OPS.div_s, _OPS.rdiv_s, lambda a, b: a / b)


true_divide = divide


def modulo(lhs, rhs):
    """lhs % rhs with broadcasting."""
    return _ufunc(lhs, rhs, _OPS.mod, _OPS.bmod, _OPS.mod_s, _OPS.rmod_s, lambda a, b: a % b)


def power(base, exp):
    """base ** exp with broadcasting."""
    return _ufunc(base, exp, _OPS.pow, _OPS.bpow, _OPS.pow_s, _OPS.rpow_s, lambda a, b: a ** b)


def maximum(lhs, rhs):
    """Elementwise maximum with broadcasting."""
    return _ufunc(lhs, rhs, _OPS.max, _OPS.bmax, _OPS.max_s, None, max)


def minimum(lhs, rhs):
    """Elementwise minimum with broadcasting."""
    return _ufunc(lhs, rhs, _OPS.min, _OPS.bmin, _OPS.min_s, None, min)


def _cmp_fn(ew, bc, sc, sc_swapped, fn):
    def f(lhs, rhs):
        if isinstance(lhs, numeric_types) and isinstance(rhs, numeric_types):
            return fn(lhs, rhs)
        if isinstance(lhs, NDArray):
            return _binary(lhs, rhs, ew, bc, sc)
        return _binary(rhs, lhs, ew, bc, sc_swapped)  # scalar <op> array == array <swapped op> scalar
    return f


equal = _cmp_fn(_OPS.eq, _OPS.beq, _OPS.eq_s, _OPS.eq_s, lambda a, b: a == b)
not_equal = _cmp_fn(_OPS.ne, _OPS.bne, _OPS.ne_s, _OPS.ne_s, lambda a, b: a != b)
greater = _cmp_fn(_OPS.gt, _OPS.bgt, _OPS.gt_s, _OPS.lt_s, lambda a, b: a > b)
greater_equal = _cmp_fn(_OPS.ge, _OPS.bge, _OPS.ge_s, _OPS.le_s, lambda a, b: a >= b)
lesser = _cmp_fn(_OPS.lt, _OPS.blt, _OPS.lt_s, _OPS.gt_s, lambda a, b: a < b)
lesser_equal = _cmp_fn(_OPS.le, _OPS.ble, _OPS.le_s, _OPS.ge_s, lambda a, b: a <= b)
for _f, _n, _s in ((equal, "equal", "=="), (not_equal, "not_equal", "!="), (greater, "greater", ">"),
                   (greater_equal, "greater_equal", ">="), (lesser, "lesser", "<"),
                   (lesser_equal, "lesser_equal", "<=")):
    _f.__name__ = _n
    _f.__doc__ = "lhs %s rhs elementwise with broadcasting: 1 where true, 0 elsewhere." % _s
del _f, _n, _s


def _logical_fn(name, what):
    ew, bc, sc = _op("_logical_" + name), _op("broadcast_logical_" + name), _op("_logical_%s_scalar" % name)
    py = {"and": lambda a, b: bool(a) and bool(b), "or": lambda a, b: bool(a) or bool(b),
          "xor": lambda a, b: bool(a) != bool(b)}[name]

    def f(lhs, rhs):
        if isinstance(lhs, numeric_types) and isinstance(rhs, numeric_types):
            return py(lhs, rhs)
        if isinstance(lhs, NDArray):
            return _binary(lhs, rhs, ew, bc, sc)
        return _binary(rhs, lhs, ew, bc, sc)  # commutative
    f.__name__ = "logical_" + name
    f.__doc__ = "1 where %s, else 0, elementwise with broadcasting (arrays or scalars)." % what
    return f


logical_and = _logical_fn("and", "both lhs and rhs are nonzero")
logical_or = _logical_fn("or", "lhs or rhs is nonzero")
logical_xor = _logical_fn("xor", "exactly one of lhs and rhs is nonzero")


def moveaxis(tensor, source, destination):
    """Moves an axis to another position (through transpose)."""
    nd = tensor.ndim
    source = source % nd
    destination = destination % nd
    axes = [i for i in range(nd) if i != source]
    axes.insert(destination, source)
    return _call(_OPS.transpose, (tensor,), axes=tuple(axes))


def onehot_encode(indices, out):
    """One-hot encodes indices into out (shape (n, depth)), as MXNet's onehot_encode."""
    res = _call(_op("one_hot"), (indices,), depth=out.shape[1], dtype=dtype_name(out.dtype))
    return res.copyto(out)


def concatenate(arrays, axis=0, always_copy=True):
    """Concatenates arrays along axis (MXNet's legacy helper; see also concat)."""
    if not always_copy and len(arrays) == 1:
        return arrays[0]
    return _call(_op("Concat", "concat"), tuple(arrays), num_args=len(arrays), dim=axis)


# ----------------------------------------------------------------------------------------------------------------
# CachedOp
# ----------------------------------------------------------------------------------------------------------------
class CachedOp(object):
    """A symbol prepared once and run as one library call (MXNet's ``mx.nd.CachedOp``; what Gluon's ``hybridize``
    runs). ``op(*inputs)`` takes one NDArray per input of the symbol, in ``sym.list_inputs()`` order, and returns
    the output NDArray (a list for several outputs). Calls made while ``autograd.record()`` is on are recorded
    operator by operator, so ``backward`` reaches the inputs; auxiliary states (BatchNorm's running statistics) are
    updated in place. ``flags``: pairs (or a dict) such as ``static_alloc``/``static_shape``, as MXNet's."""

    def __init__(self, sym, flags=()):
        # A graph with loops or conditions: the core prepares one unrolled graph per input shapes.
        self._flags_items = list(flags.items()) if isinstance(flags, dict) else [tuple(f) for f in flags]
        self.handle = self._create(sym)
        nin, nout = ffi.new("int *"), ffi.new("int *")
        check_call(lib.MXCCachedOpGetNumIO(self.handle, nin, nout))
        self.num_inputs, self.num_outputs = nin[0], nout[0]

    def _create(self, sym):
        items = self._flags_items
        n, keys, vals = c_params([k for k, _ in items], [v for _, v in items])
        out = ffi.new("MXCCachedOpHandle *")
        check_call(lib.MXCCachedOpCreate(sym.handle, n, keys, vals, out))
        return out[0]

    def __del__(self, _free=lib.MXCCachedOpFree):
        h = getattr(self, "handle", None)
        if h is not None:
            self.handle = None
            _free(h)

    def __call__(self, *args, out=None, default_ctx=None):
        handle = self.handle
        try:
            ins = ffi.new("MXCNDArrayHandle[]", [a.handle for a in args]) if args else _NULL
        except AttributeError:
            bad = [type(a).__name__ for a in args if not isinstance(a, NDArray)]
            raise TypeError("CachedOp: inputs must be NDArrays, got %s" % ", ".join(bad)) from None
        nout, outp = ffi.new("int *"), ffi.new("MXCNDArrayHandle **")
        check_call(lib.MXCCachedOpInvoke(handle, len(args), ins, nout, outp))
        res = [_new(outp[0][i]) for i in range(nout[0])]
        if out is not None:
            targets = [out] if isinstance(out, NDArray) else list(out)
            if len(targets) != len(res):
                raise ValueError("CachedOp: out holds %d arrays, the graph has %d outputs" % (len(targets), len(res)))
            for r, t in zip(res, targets):
                r.copyto(t)
            return out
        return res[0] if len(res) == 1 else res


def _split_v2_params(indices_or_sections):
    """_split_v2's (indices, sections) for split_v2's indices_or_sections (MXNet's python wrapper)."""
    if isinstance(indices_or_sections, int) and not isinstance(indices_or_sections, bool):
        return (), indices_or_sections
    if isinstance(indices_or_sections, (tuple, list)):
        return (0,) + tuple(indices_or_sections), 0
    raise ValueError('indices_or_sections must either int or tuple of ints')


def split_v2(ary, indices_or_sections, axis=0, squeeze_axis=False):
    """Splits ary along axis into indices_or_sections equal parts (an int) or at the given indices (a tuple): the
    list of parts (one NDArray when there is one part), as numpy.split; squeeze_axis drops the split axis of parts
    of size 1."""
    indices, sections = _split_v2_params(indices_or_sections)
    return _call(_op("_split_v2"), [ary], indices=indices, axis=axis, squeeze_axis=squeeze_axis, sections=sections)


def histogram(a, bins=10, range=None):  # noqa: A002  (MXNet's name)
    """Histogram of the values of a: (counts (int64), bin edges). bins: a number of equal bins over range (default
    (a.min(), a.max()), then the counts are float32 as MXNet's numpy fallback), or an NDArray of bin edges (values
    outside are not counted; the last bin includes its right edge)."""
    if isinstance(bins, NDArray):
        return _call(_op("_histogram"), [a, bins])
    if isinstance(bins, int) and not isinstance(bins, bool):
        if range is None:
            v = a.asnumpy()
            lo, hi = (float(v.min()), float(v.max())) if v.size else (0.0, 1.0)
            if lo == hi:
                lo, hi = lo - 0.5, hi + 0.5
            hist, edges = _call(_op("_histogram"), [a], bin_cnt=bins, range=(lo, hi))
            return [hist.astype(np.float32), edges]
        return _call(_op("_histogram"), [a], bin_cnt=bins, range=tuple(range))
    raise ValueError("bins argument should be either an integer or an NDArray")
