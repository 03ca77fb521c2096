"""``mx.nd.sparse``: CSR and row_sparse NDArrays, as MXNet 1.9.1's ``mxnet.ndarray.sparse``.

A sparse array is a Python object holding dense component NDArrays and its shape:

* ``CSRNDArray`` (stype 'csr', 2-D): ``data`` (nnz,), ``indices`` (nnz,, int64 column of each entry) and ``indptr``
  (rows + 1,, int64: row r holds entries ``indptr[r] .. indptr[r + 1] - 1``);
* ``RowSparseNDArray`` (stype 'row_sparse'): ``data`` (k, *shape[1:]) holding the rows ``indices`` (k,, int64,
  increasing) of the array; the other rows are zero.

Both are NDArrays: any operator that has no sparse implementation gets the array densified (MXNet's "storage
fallback") and gives a dense result. Sparse-aware functions of this module keep the storage type where MXNet does:
``dot`` (csr x dense through the ``_sparse_csr_dot`` operator, natively on CPU and GPU), ``elemwise_add/sub/mul``,
``+ - * /`` with scalars, zero-preserving unary functions (``square``, ``sqrt``, ``abs``, ...), ``retain`` (as
MXNet 1.9.1: the requested rows, zeros where not stored),
``slice`` and CSR row slicing ``x[a:b]``. The optimizer updates ``sgd_update``, ``sgd_mom_update`` and
``adam_update`` given a row_sparse gradient update only its rows (``lazy_update=True``, MXNet's default).
Conversions between dense and sparse storage, ``retain`` and the row set of a row_sparse Embedding gradient run
as operators (core/ops/sparse_convert.cc, natively on CPU and GPU; a conversion reads back one count); structure
unions and slicing still run in NumPy on the host.
"""
import builtins

import numpy as np

from ..base import MXNetIndexError, MXNetValueError
from ..context import Context, current_context
from . import ndarray as _ndmod
from .ndarray import NDArray, _call, _op

__all__ = ["BaseSparseNDArray", "CSRNDArray", "RowSparseNDArray", "csr_matrix", "row_sparse_array", "zeros",
           "empty", "array", "cast_storage", "dot", "elemwise_add", "elemwise_sub", "elemwise_mul", "add",
           "subtract", "multiply", "divide", "retain", "slice", "sum", "mean", "square", "sqrt", "abs", "sign",
           "negative", "relu", "sin", "tanh", "ceil", "floor", "round", "rint", "fix", "trunc", "arcsin", "arctan",
           "sinh", "arcsinh", "tan", "expm1", "log1p", "degrees", "radians", "arctanh", "sgd_update",
           "sgd_mom_update", "adam_update", "Embedding"]

_STYPES = ("default", "row_sparse", "csr")
_IDX = np.int64


def _nd():
    import sys
    return sys.modules[__name__.rsplit(".", 1)[0]]


def _check_stype(stype):
    if stype not in _STYPES:
        raise MXNetValueError("invalid storage type %r, valid values are: {'csr', 'default', 'row_sparse'}"
                              % (stype,))


def _as_ctx(ctx):
    if ctx is None:
        return current_context()
    if isinstance(ctx, str):
        return Context(ctx)
    return ctx


def _host(x, dtype=None):
    """NumPy values of an NDArray, a NumPy array or a sequence."""
    if isinstance(x, NDArray):
        x = x.asnumpy()
    a = np.asarray(x)
    return a if dtype is None else a.astype(dtype, copy=False)


def _dev(values, ctx, dtype):
    return _ndmod.array(np.ascontiguousarray(values, dtype=dtype), ctx=ctx, dtype=dtype)


def _shape_str(shape):
    return "x".join(str(d) for d in shape)


class BaseSparseNDArray(NDArray):
    """The common part of CSRNDArray and RowSparseNDArray: the components, the shape, the storage fallback.

    ``handle`` (what every operator reads) is that of a dense copy, made on first use and kept: an operator without a
    sparse implementation computes on the densified array (MXNet's storage fallback)."""

    _STYPE = None

    def __init__(self, data, aux, shape):  # pylint: disable=super-init-not-called
        self._sdata = data
        self._aux = list(aux)
        self._sshape = tuple(int(d) for d in shape)
        self._dense = None
        self.writable = True

    def __del__(self):
        pass

    # -- the dense copy (storage fallback) ------------------------------------------------------------------------
    @property
    def handle(self):
        return self._densified().handle

    def _densified(self):
        if self._dense is None:
            self._dense = self._todense()
        return self._dense

    def _todense(self):
        raise NotImplementedError()

    # -- properties ------------------------------------------------------------------------------------------------
    @property
    def shape(self):
        return self._sshape

    @property
    def dtype(self):
        return self._sdata.dtype

    @property
    def context(self):
        return self._sdata.context

    ctx = context

    @property
    def stype(self):
        return self._STYPE

    @property
    def data(self):
        """The stored values (a dense NDArray)."""
        return self._sdata

    @property
    def indices(self):
        """The column (csr) or row (row_sparse) indices, int64."""
        return self._aux[-1] if self._STYPE == "csr" else self._aux[0]

    @property
    def _num_aux(self):
        return len(self._aux)

    def __repr__(self):
        return "\n<%s %s @%s>" % (type(self).__name__, _shape_str(self.shape), self.context)

    def __str__(self):
        return self.__repr__()

    def __len__(self):
        return self.shape[0]

    def __iter__(self):
        raise TypeError("%s does not support iteration" % type(self).__name__)

    def __bool__(self):
        raise ValueError("The truth value of a sparse NDArray is ambiguous")

    def __getstate__(self):
        raise TypeError("pickling sparse NDArrays is not supported by mxc")

    # -- synchronisation, copies --------------------------------------------------------------------------------------
    def wait_to_read(self):
        self._sdata.wait_to_read()
        for a in self._aux:
            a.wait_to_read()

    def wait_to_write(self):
        self._sdata.wait_to_write()
        for a in self._aux:
            a.wait_to_write()

    def asnumpy(self):
        return self._densified().asnumpy()

    def _with(self, data, aux=None, shape=None):
        return type(self)(data, self._aux if aux is None else aux, self.shape if shape is None else shape)

    def copy(self):
        return self.copyto(self.context)

    def copyto(self, other):
        """To a Context: a copy there (same storage type); to an NDArray: the values converted to its storage type
        (a sparse target takes the components, a dense one the values)."""
        if isinstance(other, Context):
            return self._with(self._sdata.copyto(other), [a.copyto(other) for a in self._aux])
        if isinstance(other, BaseSparseNDArray):
            if other is self:
                import warnings
                warnings.warn("You are attempting to copy an array to itself", RuntimeWarning, stacklevel=2)
                return other
            if other.shape != self.shape:
                raise MXNetValueError("copyto: shape mismatch, %s vs %s" % (self.shape, other.shape))
            src = self.tostype(other.stype)
            other._sdata = src._sdata.copyto(other.context).astype(other.dtype, copy=False)
            other._aux = [a.copyto(other.context) for a in src._aux]
            other._dense = None
            other._write_back()
            return other
        if isinstance(other, NDArray):
            return self._densified().copyto(other)
        raise TypeError("copyto does not support type " + str(type(other)))

    def astype(self, dtype, copy=True):
        if np.dtype(dtype) == np.dtype(self.dtype) and not copy:
            return self
        return self._with(self._sdata.astype(dtype), [a.copy() for a in self._aux])

    def tostype(self, stype):
        _check_stype(stype)
        if stype == self._STYPE:
            return self.copy()
        if stype == "default":
            return self._todense()
        return _dense_to_sparse(self._densified(), stype)

    def asscipy(self):
        import scipy.sparse as sps  # noqa: F401  (ImportError without scipy)
        return sps.csr_matrix(self.asnumpy())

    # -- autograd: sparse arrays are not variables here --------------------------------------------------------------
    def attach_grad(self, grad_req="write", stype=None):
        raise NotImplementedError("attach_grad on a %s: mxc records gradients of dense arrays only"
                                  % type(self).__name__)

    @property
    def grad(self):
        return None

    def __setitem__(self, key, value):
        if key == _pyslice(None) or key is Ellipsis:
            if isinstance(value, BaseSparseNDArray):
                value.copyto(self)
                return
            if isinstance(value, NDArray):
                cast_storage(value.as_in_context(self.context), self._STYPE).copyto(self)
                return
            if isinstance(value, (np.ndarray, int, float, np.number)):
                full = np.broadcast_to(np.asarray(value, dtype=self.dtype), self.shape)
                _from_numpy(full, self._STYPE, self.context, self.dtype).copyto(self)
                return
        raise TypeError("%s supports only whole assignment x[:] = value" % type(self).__name__)

    def _write_back(self):
        # a gradient read as row_sparse (NDArray.grad) writes assignments through to the dense gradient buffer
        buf = getattr(self, "_grad_buffer", None)
        if buf is not None:
            self._todense().copyto(buf)
            var = getattr(self, "_grad_var", None)
            if var is not None:  # the gradient now holds this array's rows
                ent = _weight_entry(_GRAD_ROWS, var)
                ent[1][:] = [self.indices]

    # -- arithmetic keeping the storage type where MXNet does --------------------------------------------------------
    def __add__(self, other):
        return add(self, other)

    def __radd__(self, other):
        return add(other, self)

    def __sub__(self, other):
        return subtract(self, other)

    def __rsub__(self, other):
        return subtract(other, self)

    def __mul__(self, other):
        return multiply(self, other)

    def __rmul__(self, other):
        return multiply(other, self)

    def __truediv__(self, other):
        return divide(self, other)

    def __neg__(self):
        return negative(self)

    def __abs__(self):
        return abs(self)  # noqa: the module's abs

    def __iadd__(self, other):
        return self._inplace(add(self, other))

    def __isub__(self, other):
        return self._inplace(subtract(self, other))

    def __imul__(self, other):
        return self._inplace(multiply(self, other))

    def __itruediv__(self, other):
        return self._inplace(divide(self, other))

    def _inplace(self, res):
        if isinstance(res, BaseSparseNDArray) and res.stype == self.stype:
            self._sdata, self._aux, self._dense = res._sdata, res._aux, None
            self._write_back()
            return self
        return res


class CSRNDArray(BaseSparseNDArray):
    """A 2-D sparse array in compressed sparse row format (stype 'csr')."""

    _STYPE = "csr"

    @property
    def indptr(self):
        """Row offsets into data/indices (rows + 1,, int64)."""
        return self._aux[0]

    def _todense(self):
        if not _native_dtype(self.dtype):
            M, K = self.shape
            d, i, p = self._host_parts()
            dense = np.zeros(self.shape, self.dtype)
            np.add.at(dense, (np.repeat(np.arange(M, dtype=_IDX), np.diff(p)), i), d)
            return _dev(dense, self.context, self.dtype)
        # repeated entries add up
        return _call(_op("_sparse_csr_todense"), (self._sdata, self.indices, self.indptr), num_cols=self.shape[1])

    def _host_parts(self):
        return _host(self._sdata), _host(self.indices, _IDX), _host(self.indptr, _IDX)

    def asscipy(self):
        import scipy.sparse as sps
        d, i, p = self._host_parts()
        return sps.csr_matrix((d, i, p), shape=self.shape)

    def __getitem__(self, key):
        M = self.shape[0]
        if isinstance(key, (int, np.integer)):
            k = int(key)
            if k < -M or k >= M:
                raise IndexError("index %d is out of bounds for axis 0 with size %d" % (k, M))
            k = k % M
            key = _pyslice(k, k + 1)
        if isinstance(key, _pyslice):
            if key.step not in (None, 1):
                raise ValueError("CSRNDArray only supports continuous slicing on axis 0")
            start, stop, _ = key.indices(M)
            stop = max(stop, start)
            return _csr_rows(self, start, stop)
        if isinstance(key, tuple) and len(key) == 1:
            return self[key[0]]
        raise ValueError("Undefined behaviour for {}".format(key))

    def check_format(self, full_check=True):
        d, i, p = self._host_parts()
        M, K = self.shape
        if p.shape != (M + 1,) or p[0] != 0 or p[-1] != len(i) or np.any(np.diff(p) < 0):
            raise MXNetValueError("CSRNDArray: invalid indptr %s" % (p,))
        if len(i) and (i.min() < 0 or i.max() >= K):
            raise MXNetValueError("CSRNDArray: column indices out of range [0, %d)" % K)
        if full_check:
            for r in range(M):
                seg = i[p[r]:p[r + 1]]
                if np.any(np.diff(seg) <= 0):
                    raise MXNetValueError("CSRNDArray: the column indices of row %d are not increasing" % r)


_pyslice = builtins.slice  # (the module's slice, sum, abs, round are MXNet's operators)


class RowSparseNDArray(BaseSparseNDArray):
    """An array of which only some rows are stored (stype 'row_sparse'): ``data`` holds the rows ``indices``."""

    _STYPE = "row_sparse"

    def _todense(self):
        out = _ndmod.zeros(self.shape, self.context, self.dtype)
        if self._sdata.shape[0] == 0:
            return out
        return _call(_op("_contrib_index_copy"), (out, self.indices, self._sdata))

    def retain(self, indices):
        return retain(self, indices)

    def check_format(self, full_check=True):
        i = _host(self.indices, _IDX)
        if len(i) and (i.min() < 0 or i.max() >= self.shape[0] or np.any(np.diff(i) <= 0)):
            raise MXNetValueError("RowSparseNDArray: indices must be increasing and in [0, %d)" % self.shape[0])

    def __getitem__(self, key):
        if key == _pyslice(None) or key is Ellipsis:
            return self
        raise ValueError("RowSparseNDArray only supports [:] for __getitem__")


# ----------------------------------------------------------------------------------------------------------------
# Construction and conversion
# ----------------------------------------------------------------------------------------------------------------
def _dtype_of(x, dtype, default=np.float32):
    if dtype is not None:
        return np.dtype(dtype).type
    if isinstance(x, (NDArray, np.ndarray)):
        return np.dtype(x.dtype).type
    return default


def _new_csr(data, indices, indptr, shape):
    return CSRNDArray(data, [indptr, indices], shape)


def _new_rsp(data, indices, shape):
    return RowSparseNDArray(data, [indices], shape)


def _native_dtype(dtype):
    return np.dtype(dtype) != np.float16


def _total(ptr):
    """The last entry of a prefix count (one small copy to the host)."""
    n = ptr.shape[0]
    return int(ptr[n - 1:n].asnumpy()[0])


def _dense_to_sparse(x, stype):
    """The csr / row_sparse form of a dense NDArray through the conversion operators of core/ops/sparse_convert.cc
    (on x's device; only the number of stored entries is read back)."""
    if stype == "default":
        return x.copy()
    if not _native_dtype(x.dtype):
        return _from_numpy(x.asnumpy(), stype, x.context, x.dtype)
    if stype == "csr":
        if x.ndim != 2:
            raise MXNetValueError("csr storage needs a 2-D array, got shape %s" % (x.shape,))
        ptr = _call(_op("_sparse_csr_count"), (x,))
        data, indices = _call(_op("_sparse_csr_fill"), (x, ptr), nnz=_total(ptr))
        return _new_csr(data, indices, ptr, x.shape)
    if x.ndim < 1:
        raise MXNetValueError("row_sparse storage needs at least 1 dimension")
    ptr = _call(_op("_sparse_rsp_count"), (x,))
    data, rows = _call(_op("_sparse_compact_rows"), (x, ptr), count=_total(ptr))
    return _new_rsp(data, rows, x.shape)


def _from_numpy(a, stype, ctx, dtype):
    """A sparse array (stype) of the dense NumPy values a: the nonzero entries (csr) or rows (row_sparse)."""
    a = np.asarray(a, dtype=dtype)
    ctx = _as_ctx(ctx)
    if stype == "default":
        return _ndmod.array(a, ctx=ctx, dtype=dtype)
    if stype == "csr":
        if a.ndim != 2:
            raise MXNetValueError("csr storage needs a 2-D array, got shape %s" % (a.shape,))
        rows, cols = np.nonzero(a)
        indptr = np.zeros(a.shape[0] + 1, dtype=_IDX)
        np.cumsum(np.bincount(rows, minlength=a.shape[0]), out=indptr[1:])
        return _new_csr(_dev(a[rows, cols], ctx, dtype), _dev(cols, ctx, _IDX), _dev(indptr, ctx, _IDX), a.shape)
    if a.ndim < 1:
        raise MXNetValueError("row_sparse storage needs at least 1 dimension")
    keep = np.nonzero(a.reshape(a.shape[0], -1).any(axis=1))[0] if a.size else np.zeros(0, _IDX)
    return _new_rsp(_dev(a[keep].reshape((len(keep),) + a.shape[1:]), ctx, dtype), _dev(keep, ctx, _IDX), a.shape)


def csr_matrix(arg1, shape=None, ctx=None, dtype=None):
    """A CSRNDArray from ``(data, indices, indptr)`` with ``shape``, from ``(data, (row, col))`` (coo), from a dense
    NDArray / NumPy array / nested list, from a scipy.sparse matrix, from another CSRNDArray, or empty from a
    shape ``(M, N)``."""
    ctx = _as_ctx(ctx) if ctx is not None else None
    if isinstance(arg1, tuple) and len(arg1) == 3:
        data, indices, indptr = arg1
        dt = _dtype_of(data, dtype)
        ctx = ctx or (data.context if isinstance(data, NDArray) else current_context())
        ind, ptr = _host(indices, _IDX), _host(indptr, _IDX)
        if shape is None:
            shape = (len(ptr) - 1, int(ind.max()) + 1 if len(ind) else 0)
        if len(ptr) != shape[0] + 1:
            raise MXNetValueError("csr_matrix: indptr has %d entries for %d rows" % (len(ptr), shape[0]))
        return _new_csr(_dev(_host(data, dt), ctx, dt), _dev(ind, ctx, _IDX), _dev(ptr, ctx, _IDX), shape)
    if isinstance(arg1, tuple) and len(arg1) == 2 and isinstance(arg1[1], tuple):  # (data, (row, col))
        data, (row, col) = arg1
        dt = _dtype_of(data, dtype)
        d, r, c = _host(data, dt), _host(row, _IDX), _host(col, _IDX)
        if shape is None:
            shape = (int(r.max()) + 1, int(c.max()) + 1)
        dense = np.zeros(shape, dtype=dt)
        np.add.at(dense, (r, c), d)
        return _from_numpy(dense, "csr", ctx, dt)
    if isinstance(arg1, tuple) and len(arg1) == 2 and all(isinstance(d, (int, np.integer)) for d in arg1):
        return zeros("csr", arg1, ctx=ctx, dtype=dtype)
    if isinstance(arg1, CSRNDArray):
        res = arg1.copyto(ctx) if ctx is not None else arg1.copy()
        return res.astype(dtype) if dtype is not None else res
    if isinstance(arg1, NDArray):
        return _dense_to_sparse(_on(arg1, ctx, dtype), "csr")
    if hasattr(arg1, "tocsr") and hasattr(arg1, "indptr") or type(arg1).__module__.startswith("scipy"):
        m = arg1.tocsr()
        m.sum_duplicates()
        dt = _dtype_of(m.data, dtype)
        ctx = ctx or current_context()
        return _new_csr(_dev(m.data, ctx, dt), _dev(m.indices, ctx, _IDX), _dev(m.indptr, ctx, _IDX), m.shape)
    a = np.asarray(arg1)
    return _from_numpy(a, "csr", ctx, _dtype_of(arg1, dtype))


def row_sparse_array(arg1, shape=None, ctx=None, dtype=None):
    """A RowSparseNDArray from ``(data, indices)`` with ``shape``, from a dense NDArray / NumPy array, from another
    RowSparseNDArray, or empty from a shape."""
    ctx = _as_ctx(ctx) if ctx is not None else None
    if isinstance(arg1, tuple) and len(arg1) == 2 and not all(isinstance(d, (int, np.integer)) for d in arg1):
        data, indices = arg1
        dt = _dtype_of(data, dtype)
        ctx = ctx or (data.context if isinstance(data, NDArray) else current_context())
        d, ind = _host(data, dt), _host(indices, _IDX).reshape(-1)
        if shape is None:
            shape = (int(ind.max()) + 1 if len(ind) else 0,) + d.shape[1:]
        if d.shape[0] != len(ind):
            raise MXNetValueError("row_sparse_array: data has %d rows for %d indices" % (d.shape[0], len(ind)))
        return _new_rsp(_dev(d, ctx, dt), _dev(ind, ctx, _IDX), shape)
    if isinstance(arg1, tuple):
        return zeros("row_sparse", arg1, ctx=ctx, dtype=dtype)
    if isinstance(arg1, RowSparseNDArray):
        res = arg1.copyto(ctx) if ctx is not None else arg1.copy()
        return res.astype(dtype) if dtype is not None else res
    if isinstance(arg1, NDArray):
        return _dense_to_sparse(_on(arg1, ctx, dtype), "row_sparse")
    return _from_numpy(np.asarray(arg1), "row_sparse", ctx, _dtype_of(arg1, dtype))


def _on(x, ctx, dtype):
    """x on ctx (None: where it is) in dtype (None: its own)."""
    if ctx is not None and ctx != x.context:
        x = x.as_in_context(ctx)
    if dtype is not None and np.dtype(dtype) != np.dtype(x.dtype):
        x = x.astype(dtype)
    return x


def zeros(stype, shape, ctx=None, dtype=None, **kwargs):
    """An all-zero array of storage type ``stype`` (no stored entries)."""
    _check_stype(stype)
    if isinstance(shape, (int, np.integer)):
        shape = (shape,)
    dt = np.dtype(dtype or np.float32).type
    ctx = _as_ctx(ctx)
    if stype == "default":
        return _ndmod.zeros(shape, ctx, dt)
    if stype == "csr":
        if len(shape) != 2:
            raise MXNetValueError("csr storage needs a 2-D shape, got %s" % (tuple(shape),))
        return _new_csr(_dev(np.zeros(0, dt), ctx, dt), _dev(np.zeros(0, _IDX), ctx, _IDX),
                        _dev(np.zeros(shape[0] + 1, _IDX), ctx, _IDX), shape)
    return _new_rsp(_dev(np.zeros((0,) + tuple(shape[1:]), dt), ctx, dt), _dev(np.zeros(0, _IDX), ctx, _IDX), shape)


def empty(stype, shape, ctx=None, dtype=None):
    """``zeros(stype, shape)``."""
    return zeros(stype, shape, ctx, dtype)


def array(source_array, ctx=None, dtype=None):
    """A sparse array of the same storage type from a CSRNDArray, RowSparseNDArray or scipy.sparse matrix."""
    if isinstance(source_array, CSRNDArray):
        return csr_matrix(source_array, ctx=ctx, dtype=dtype)
    if isinstance(source_array, RowSparseNDArray):
        return row_sparse_array(source_array, ctx=ctx, dtype=dtype)
    if type(source_array).__module__.startswith("scipy"):
        return csr_matrix(source_array, ctx=ctx, dtype=dtype)
    raise ValueError("Please use mx.nd.array to create an NDArray with source_array of type ", type(source_array))


def cast_storage(data, stype):
    """``data`` converted to storage type ``stype`` ('default', 'csr', 'row_sparse')."""
    _check_stype(stype)
    if isinstance(data, BaseSparseNDArray):
        return data.tostype(stype)
    return _dense_to_sparse(data, stype)


# ----------------------------------------------------------------------------------------------------------------
# Operators
# ----------------------------------------------------------------------------------------------------------------
def _sparse_csr_dot(a, rhs, transpose_a=False):
    return _call(_op("_sparse_csr_dot"), (a.data, a.indices, a.indptr, rhs), num_cols=a.shape[1],
                 transpose_a=bool(transpose_a))


def _unique_rows(idx_nd):
    return np.unique(_host(idx_nd, _IDX))


def dot(lhs, rhs, transpose_a=False, transpose_b=False, forward_stype=None):
    """dot as MXNet: csr x dense -> dense (transpose_a: row_sparse holding the rows of the csr's columns),
    dense x csr -> csr (every row, the csr's columns), anything else densified -> dense."""
    nd = _nd()
    if isinstance(lhs, CSRNDArray) and not isinstance(rhs, BaseSparseNDArray) and not transpose_b \
            and rhs.ndim in (1, 2):
        r2 = rhs.reshape((-1, 1)) if rhs.ndim == 1 else rhs
        out = _sparse_csr_dot(lhs, r2, transpose_a)
        if rhs.ndim == 1:
            out = out.reshape((-1,))
        if transpose_a and rhs.ndim == 2 and forward_stype in (None, "row_sparse"):
            # the rows of the csr's columns (natively: no host copy of the indices)
            ridx = unique_rows(lhs.indices, lhs.shape[1], out.context)
            data = nd.take(out, ridx) if ridx.shape[0] else _ndmod.zeros((0, out.shape[1]), out.context, out.dtype)
            return _new_rsp(data, ridx, out.shape)
        return _to_stype(out, forward_stype)
    if isinstance(rhs, CSRNDArray) and not isinstance(lhs, BaseSparseNDArray) and not transpose_a \
            and not transpose_b and lhs.ndim == 2:
        # dense(B) x A = (A^T B^T)^T
        out = _sparse_csr_dot(rhs, nd.transpose(lhs), True).T
        if forward_stype not in (None, "csr"):
            return _to_stype(out, forward_stype)
        cols = _unique_rows(rhs.indices)
        M = out.shape[0]
        host = out.asnumpy()[:, cols]
        return _new_csr(_dev(host.reshape(-1), out.context, out.dtype), _dev(np.tile(cols, M), out.context, _IDX),
                        _dev(np.arange(M + 1, dtype=_IDX) * len(cols), out.context, _IDX), out.shape)
    out = nd.dot(_dense(lhs), _dense(rhs), transpose_a=transpose_a, transpose_b=transpose_b)
    return _to_stype(out, forward_stype)


def _dense(x):
    return x._densified() if isinstance(x, BaseSparseNDArray) else x


def _to_stype(x, stype):
    if stype in (None, "default"):
        return x
    return cast_storage(x, stype)


def _same_structure(a, b):
    if a.shape != b.shape or a.stype != b.stype or len(a._aux) != len(b._aux):
        return False
    for x, y in zip(a._aux, b._aux):
        if x is y:
            continue
        if x.shape != y.shape or not np.array_equal(_host(x), _host(y)):
            return False
    return True


def _union(a, b, fn):
    """fn of the values of a and b (same storage type and shape) on the union of their structures (sorted)."""
    nd = _nd()
    if _same_structure(a, b):
        return a._with(fn(a.data, b.data), list(a._aux))
    if a.stype == "row_sparse":
        ia, ib = _host(a.indices, _IDX), _host(b.indices, _IDX)
        rows = np.union1d(ia, ib)
        ctx = a.context
        ridx = _dev(rows, ctx, _IDX)

        def spread(x, ix):
            z = _ndmod.zeros((len(rows),) + a.shape[1:], ctx, x.dtype)
            if len(ix) == 0:
                return z
            pos = _dev(np.searchsorted(rows, ix), ctx, _IDX)
            return _call(_op("_contrib_index_copy"), (z, pos, x.data))
        return _new_rsp(fn(spread(a, ia), spread(b, ib)), ridx, a.shape)
    # csr: both on the union of their entries, sorted by row then column
    M, K = a.shape
    da, ia, pa = a._host_parts()
    db, ib, pb = b._host_parts()
    ra = np.repeat(np.arange(M), np.diff(pa))
    rb = np.repeat(np.arange(M), np.diff(pb))
    keys = np.union1d(ra * K + ia, rb * K + ib)
    va = np.zeros(len(keys), da.dtype)
    vb = np.zeros(len(keys), db.dtype)
    np.add.at(va, np.searchsorted(keys, ra * K + ia), da)
    np.add.at(vb, np.searchsorted(keys, rb * K + ib), db)
    rows, cols = keys // K if K else keys, keys % K if K else keys
    indptr = np.zeros(M + 1, _IDX)
    np.cumsum(np.bincount(rows, minlength=M), out=indptr[1:])
    ctx = a.context
    data = fn(_dev(va, ctx, a.dtype), _dev(vb, ctx, b.dtype))
    del nd
    return _new_csr(data, _dev(cols, ctx, _IDX), _dev(indptr, ctx, _IDX), a.shape)


def _binary(lhs, rhs, fn, name):
    if isinstance(lhs, BaseSparseNDArray) and isinstance(rhs, BaseSparseNDArray) and lhs.stype == rhs.stype:
        if lhs.shape != rhs.shape:
            raise MXNetValueError("%s: shapes %s and %s do not match" % (name, lhs.shape, rhs.shape))
        return _union(lhs, rhs, fn)
    return None


def elemwise_add(lhs, rhs, out=None):
    res = _binary(lhs, rhs, lambda x, y: x + y, "elemwise_add")
    return res if res is not None else _nd().elemwise_add(_dense(lhs), _dense(rhs), out=out)


def elemwise_sub(lhs, rhs, out=None):
    res = _binary(lhs, rhs, lambda x, y: x - y, "elemwise_sub")
    return res if res is not None else _nd().elemwise_sub(_dense(lhs), _dense(rhs), out=out)


def elemwise_mul(lhs, rhs, out=None):
    res = _binary(lhs, rhs, lambda x, y: x * y, "elemwise_mul")
    return res if res is not None else _nd().elemwise_mul(_dense(lhs), _dense(rhs), out=out)


def _is_num(x):
    return isinstance(x, (int, float, np.number, bool)) and not isinstance(x, NDArray)


def add(lhs, rhs):
    """lhs + rhs: sparse + sparse of one storage type keeps it; anything with a scalar or a dense array is dense."""
    res = _binary(lhs, rhs, lambda x, y: x + y, "add")
    if res is not None:
        return res
    return _dense_num(lhs) + _dense_num(rhs)


def subtract(lhs, rhs):
    res = _binary(lhs, rhs, lambda x, y: x - y, "subtract")
    if res is not None:
        return res
    return _dense_num(lhs) - _dense_num(rhs)


def multiply(lhs, rhs):
    """sparse * scalar (and scalar * sparse) keeps the storage type, as sparse * sparse of one storage type."""
    if isinstance(lhs, BaseSparseNDArray) and _is_num(rhs):
        return lhs._with(lhs.data * rhs)
    if isinstance(rhs, BaseSparseNDArray) and _is_num(lhs):
        return rhs._with(rhs.data * lhs)
    res = _binary(lhs, rhs, lambda x, y: x * y, "multiply")
    if res is not None:
        return res
    return _dense_num(lhs) * _dense_num(rhs)


def divide(lhs, rhs):
    """sparse / scalar keeps the storage type."""
    if isinstance(lhs, BaseSparseNDArray) and _is_num(rhs):
        return lhs._with(lhs.data / rhs)
    return _dense_num(lhs) / _dense_num(rhs)


def _dense_num(x):
    return _dense(x) if isinstance(x, NDArray) else x


def _unary(name):
    def f(data, out=None, **kwargs):
        fn = getattr(_nd(), name)
        if isinstance(data, BaseSparseNDArray):
            return data._with(fn(data.data, **kwargs))
        return fn(data, out=out, **kwargs)
    f.__name__ = name
    f.__doc__ = ("%s of every element; on a csr or row_sparse array, of the stored values only (f(0) = 0: the "
                 "storage type is kept)" % name)
    return f


square, sqrt, abs, sign, negative, relu = [_unary(n) for n in ("square", "sqrt", "abs", "sign", "negative", "relu")]
sin, tanh, ceil, floor, round, rint, fix, trunc = [_unary(n) for n in ("sin", "tanh", "ceil", "floor", "round", "rint",
                                                                       "fix", "trunc")]
arcsin, arctan, sinh, arcsinh, tan, expm1, log1p, degrees, radians, arctanh = [
    _unary(n) for n in ("arcsin", "arctan", "sinh", "arcsinh", "tan", "expm1", "log1p", "degrees", "radians",
                        "arctanh")]


def sum(data, axis=None, keepdims=False, exclude=False, **kwargs):  # noqa: A001  (MXNet's name)
    """Sum (dense result, as MXNet)."""
    kw = dict(kwargs, keepdims=keepdims, exclude=exclude)
    if axis is not None:
        kw["axis"] = axis
    return _nd().sum(_dense(data), **kw)


def mean(data, axis=None, keepdims=False, exclude=False, **kwargs):
    """Mean (dense result, as MXNet)."""
    kw = dict(kwargs, keepdims=keepdims, exclude=exclude)
    if axis is not None:
        kw["axis"] = axis
    return _nd().mean(_dense(data), **kw)


def retain(data, indices):
    """The rows ``indices`` of a RowSparseNDArray as a RowSparseNDArray, as MXNet 1.9.1: its indices are ``indices``
    (as given) and its data the stored rows, zeros for a row that is not stored."""
    if not isinstance(data, RowSparseNDArray):
        raise TypeError("retain: data must be a RowSparseNDArray, got %s" % type(data).__name__)
    ctx = data.context
    if isinstance(indices, NDArray):
        keep = _on(indices, ctx, np.int64).reshape((-1,))
    else:
        keep = _dev(_host(indices).astype(_IDX).reshape(-1), ctx, _IDX)
    if not _native_dtype(data.dtype):
        have, want = _host(data.indices, _IDX), _host(keep, _IDX)
        pos = np.searchsorted(have, want)
        found = (pos < len(have)) & (have[np.minimum(pos, max(len(have) - 1, 0))] == want) if len(have) else \
            np.zeros(len(want), bool)
        rows = np.zeros((len(want),) + data.shape[1:], data.dtype)
        rows[found] = _host(data.data)[pos[found]]
        return _new_rsp(_dev(rows, ctx, data.dtype), keep, data.shape)
    rows = _call(_op("_sparse_rsp_retain"), (data.data, data.indices, keep))
    return _new_rsp(rows, keep, data.shape)


def unique_rows(ids, num_rows, ctx):
    """The distinct row ids (int64 NDArray on ctx, increasing) of an index array (clipped into [0, num_rows)), as
    operators: a prefix count of the rows named and its compaction."""
    ids = _on(ids, ctx, np.int64).reshape((-1,)) if isinstance(ids, NDArray) else \
        _dev(_host(ids, _IDX).reshape(-1), ctx, _IDX)
    if num_rows <= 0 or ids.shape[0] == 0:
        return _dev(np.zeros(0, _IDX), ctx, _IDX)
    ptr = _call(_op("_sparse_index_count"), (ids,), num_rows=num_rows)
    _, rows = _call(_op("_sparse_compact_rows"), (ptr[0:num_rows], ptr), count=_total(ptr))
    return rows


def _csr_rows(a, start, stop):
    p = _host(a.indptr, _IDX)
    b, e = int(p[start]), int(p[stop])
    ctx = a.context
    data = a.data[b:e] if e > b else _dev(np.zeros(0, a.dtype), ctx, a.dtype)
    ind = a.indices[b:e] if e > b else _dev(np.zeros(0, _IDX), ctx, _IDX)
    return _new_csr(data.copy(), ind.copy(), _dev(p[start:stop + 1] - b, ctx, _IDX), (stop - start, a.shape[1]))


def slice(data, begin, end, step=(), **kwargs):  # noqa: A001  (MXNet's name)
    """slice; a csr input (no step) gives a csr result, rows and optionally columns."""
    if isinstance(data, CSRNDArray) and all(s in (None, 1) for s in (step or ())):
        M, K = data.shape
        rb, re = _pyslice(begin[0], end[0]).indices(M)[:2]
        res = _csr_rows(data, rb, max(rb, re))
        if len(begin) < 2 or (begin[1] in (None, 0) and end[1] in (None, K)):
            return res
        cb, ce = _pyslice(begin[1], end[1]).indices(K)[:2]
        ce = max(cb, ce)
        d, i, p = res._host_parts()
        keep = (i >= cb) & (i < ce)
        rows = np.repeat(np.arange(res.shape[0]), np.diff(p))[keep]
        indptr = np.zeros(res.shape[0] + 1, _IDX)
        np.cumsum(np.bincount(rows, minlength=res.shape[0]), out=indptr[1:])
        ctx = data.context
        return _new_csr(_dev(d[keep], ctx, data.dtype), _dev(i[keep] - cb, ctx, _IDX), _dev(indptr, ctx, _IDX),
                        (res.shape[0], ce - cb))
    return _nd().slice(_dense(data), begin=begin, end=end, step=step, **kwargs)


def Embedding(data, weight, input_dim, output_dim, dtype="float32", sparse_grad=False, **kwargs):  # noqa: N802
    """mx.nd.Embedding (the weight's gradient is row_sparse with sparse_grad, see NDArray.attach_grad)."""
    return _nd().Embedding(data, weight, input_dim=input_dim, output_dim=output_dim, dtype=dtype,
                           sparse_grad=sparse_grad, **kwargs)


# ----------------------------------------------------------------------------------------------------------------
# Optimizer updates with a row_sparse gradient (lazy_update: only the gradient's rows)
# ----------------------------------------------------------------------------------------------------------------
def _lazy_rows(name, weight, grad, states, out, lazy_update, params):
    nd = _nd()
    fn = getattr(nd, name)
    if not isinstance(grad, RowSparseNDArray) or not lazy_update:
        return fn(weight, _dense(grad), *states, out=out, lazy_update=lazy_update, **params)
    if out is None:
        out = weight.copy()
    elif out is not weight:
        weight.copyto(out)
    if grad.data.shape[0] == 0:
        return out
    idx = grad.indices
    w_rows = nd.take(out, idx)
    s_rows = [nd.take(s, idx) for s in states]
    fn(w_rows, grad.data, *s_rows, out=w_rows, **params)
    index_copy = _op("_contrib_index_copy")
    _call(index_copy, (out, idx, w_rows)).copyto(out)
    for s, r in zip(states, s_rows):
        _call(index_copy, (s, idx, r)).copyto(s)
    return out


def sgd_update(weight, grad, out=None, lazy_update=True, **kwargs):
    """sgd_update; with a row_sparse grad and lazy_update, only the gradient's rows of the weight are updated."""
    return _lazy_rows("sgd_update", weight, grad, [], out, lazy_update, kwargs)


def sgd_mom_update(weight, grad, mom, out=None, lazy_update=True, **kwargs):
    """sgd_mom_update; with a row_sparse grad and lazy_update, only the gradient's rows of the weight and momentum
    are updated."""
    return _lazy_rows("sgd_mom_update", weight, grad, [mom], out, lazy_update, kwargs)


def adam_update(weight, grad, mean, var, out=None, lazy_update=True, **kwargs):  # noqa: W0621
    """adam_update; with a row_sparse grad and lazy_update, only the gradient's rows of the weight, mean and var are
    updated."""
    return _lazy_rows("adam_update", weight, grad, [mean, var], out, lazy_update, kwargs)


_LAZY = {"sgd_update": sgd_update, "sgd_mom_update": sgd_mom_update, "adam_update": adam_update}


def fused_update(name, inputs, weight, lazy_update=True, **params):
    """The optimizers' update call (optimizer._fused) when the gradient is sparse."""
    f = _LAZY.get(name)
    if f is not None:
        return f(*inputs, out=weight, lazy_update=lazy_update, **params)
    return getattr(_nd(), name)(*[_dense(x) for x in inputs], out=weight, **params)


# ----------------------------------------------------------------------------------------------------------------
# Gradients of storage type row_sparse (attach_grad(stype='row_sparse'), Embedding(sparse_grad=True))
# ----------------------------------------------------------------------------------------------------------------
# The rows of Embedding(sparse_grad=True) lookups: _LOOKUPS holds the index arrays of lookups recorded (under
# autograd.record) since the last backward, per weight; backward moves them to _GRAD_ROWS (replacing, or with
# grad_req 'add' joining, the weight's rows), and the row_sparse gradient lists exactly those rows, as MXNet does
# (every looked-up row, even where its gradient is zero). Keys are id(weight), with a weakref to check identity.
_LOOKUPS = {}
_GRAD_ROWS = {}


def _weight_entry(table, weight):
    ent = table.get(id(weight))
    if ent is None or ent[0]() is not weight:
        import weakref
        ent = (weakref.ref(weight), [])
        table[id(weight)] = ent
    return ent


def _embedding(dense_fn):
    """mx.nd.Embedding that notes the looked-up indices of a recorded sparse_grad lookup (the gradient's rows)."""
    import functools

    @functools.wraps(dense_fn)
    def Embedding(*args, **kwargs):  # noqa: N802  (MXNet's name)
        out = dense_fn(*args, **kwargs)
        if str(kwargs.get("sparse_grad", False)).lower() in ("true", "1"):
            data = args[0] if args else kwargs.get("data")
            weight = args[1] if len(args) > 1 else kwargs.get("weight")
            if isinstance(data, NDArray) and isinstance(weight, NDArray) \
                    and not isinstance(data, BaseSparseNDArray):
                from .. import autograd
                if autograd.is_recording():
                    _weight_entry(_LOOKUPS, weight)[1].append(data)
        return out
    return Embedding


def _forget_rows(var):
    """A new attach_grad: the rows of earlier backwards are forgotten."""
    _GRAD_ROWS.pop(id(var), None)


def _after_backward():
    """backward ran: the lookups recorded since the last one become (or, grad_req 'add', join) their weights' rows."""
    if not _LOOKUPS:
        return
    for key, (ref, idx) in list(_LOOKUPS.items()):
        w = ref()
        if w is None:
            continue
        ent = _weight_entry(_GRAD_ROWS, w)
        attached = _ndmod._ROW_SPARSE_GRAD.get(key)  # (weakref, grad_req) of attach_grad(stype='row_sparse')
        if attached is None or attached[0]() is not w or attached[1] != "add":
            del ent[1][:]
        ent[1].extend(idx)
    _LOOKUPS.clear()
    for key, (ref, _) in list(_GRAD_ROWS.items()):
        if ref() is None:
            del _GRAD_ROWS[key]


def _rows_of(dense_grad, idx_list):
    """dense_grad's rows named by the index arrays, as a RowSparseNDArray. An index out of [0, rows) is an error, as
    in MXNet (Embedding's forward clips it, its row_sparse gradient refuses it)."""
    nd = _nd()
    ctx = dense_grad.context
    flat = [_on(a, ctx, np.int64).reshape((-1,)) for a in idx_list]
    idx = flat[0] if len(flat) == 1 else nd.concat(*flat, dim=0)
    if idx.shape[0] > 0:
        lo, hi = (int(v) for v in nd.concat(nd.min(idx), nd.max(idx), dim=0).asnumpy())
        rows = dense_grad.shape[0]
        if lo < 0 or hi >= rows:
            raise MXNetIndexError("Embedding(sparse_grad=True): the input contains index %d, out of bound for a "
                                  "weight of shape %s (indices must be in [0, %d) for a row_sparse gradient)"
                                  % (lo if lo < 0 else hi, tuple(dense_grad.shape), rows))
    ptr = _call(_op("_sparse_index_count"), (idx,), num_rows=dense_grad.shape[0])
    data, rows = _call(_op("_sparse_compact_rows"), (dense_grad, ptr), count=_total(ptr))
    return _new_rsp(data, rows, dense_grad.shape)


def grad_as_row_sparse(dense_grad, var=None):
    """A dense gradient as a RowSparseNDArray: the rows of the Embedding(sparse_grad=True) lookups of var that the
    gradient holds (MXNet's row set), else its nonzero rows; assignments to it (``g[:] = ...``, ``copyto``,
    in-place arithmetic) write through to the gradient buffer."""
    ent = _GRAD_ROWS.get(id(var)) if var is not None else None
    if ent is not None and ent[0]() is var and ent[1] and dense_grad.ndim >= 1 and dense_grad.shape[0] > 0 \
            and _native_dtype(dense_grad.dtype):
        res = _rows_of(dense_grad, ent[1])
    else:
        res = _dense_to_sparse(dense_grad, "row_sparse")
    res._grad_buffer = dense_grad
    res._grad_var = var
    return res


def __getattr__(name):
    """Any other operator of mx.nd (its inputs densified: MXNet's storage fallback)."""
    if name.startswith("__"):
        raise AttributeError(name)
    try:
        return getattr(_nd(), name)
    except AttributeError:
        raise AttributeError("module 'mxc.ndarray.sparse' has no attribute %r" % (name,)) from None


def _dispatching(dense_fn, sparse_fn):
    """mx.nd.<name> that runs sparse_fn when an input is a sparse array, else the operator dense_fn."""
    import functools

    @functools.wraps(dense_fn)
    def f(*args, **kwargs):
        if any(isinstance(a, BaseSparseNDArray) for a in args) or \
                any(isinstance(v, BaseSparseNDArray) for v in kwargs.values()):
            return sparse_fn(*args, **kwargs)
        return dense_fn(*args, **kwargs)
    return f
