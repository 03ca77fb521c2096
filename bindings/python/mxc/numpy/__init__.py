"""``mx.np``: the first slice of MXNet 1.9.1's NumPy interface (``from mxnet import np, npx; npx.set_np()``).

Arrays are ``mx.np.ndarray`` (an ``NDArray`` subclass) whose shape may be ``()``; operators follow NumPy's
broadcasting and MXNet np's dtype rules (float32 by default). They need NumPy shape semantics:
``mx.npx.set_np()``. Functions not written yet raise ``NotImplementedError`` naming them.
"""
import builtins as _builtins
import numbers as _numbers

import numpy as _onp

from .._ffi import ffi as _ffi, lib as _lib
from ..base import check_call as _check_call, dtype_code as _dtype_code
from ..context import current_context as _current_context
from .. import ndarray as _nd
from ..ndarray.ndarray import NDArray as _NDArray

float16 = _onp.float16
float32 = _onp.float32
float64 = _onp.float64
int8 = _onp.int8
int32 = _onp.int32
int64 = _onp.int64
uint8 = _onp.uint8
bool_ = _onp.bool_
pi = _onp.pi
e = _onp.e
inf = _onp.inf
nan = _onp.nan
newaxis = None

_FLOATS = (_onp.dtype(_onp.float16), _onp.dtype(_onp.float32), _onp.dtype(_onp.float64))


def _wrap(x):
    """An NDArray (or a list of them) as mx.np.ndarray, without a copy."""
    if isinstance(x, (list, tuple)):
        return type(x)(_wrap(v) for v in x)
    if isinstance(x, _NDArray) and not isinstance(x, ndarray):
        x.__class__ = ndarray
    return x


def _result_dtype(a, b):
    """MXNet np's dtype of a binary operation on two arrays: float wins over int and bool; else the wider."""
    da, db = _onp.dtype(a.dtype), _onp.dtype(b.dtype)
    if da == db:
        return da
    fa, fb = da in _FLOATS, db in _FLOATS
    if fa != fb:
        return da if fa else db
    if da == _onp.bool_:
        return db
    if db == _onp.bool_:
        return da
    return _onp.promote_types(da, db)


def _cast(x, dtype):
    return x if _onp.dtype(x.dtype) == _onp.dtype(dtype) else _wrap(_nd.cast(x, dtype=_onp.dtype(dtype).name))


def _binary(a, b, bop, sop, rsop=None, compare=False, true_div=False):
    """a <op> b with NumPy broadcasting; a is an ndarray, b an ndarray or a Python scalar."""
    if isinstance(b, _NDArray):
        dt = _result_dtype(a, b)
        if true_div and dt not in _FLOATS:
            dt = _onp.dtype(_onp.float32)
        a, b = _cast(a, dt), _cast(b, dt)
        r = getattr(_nd, bop)(a, b)
    elif isinstance(b, (_numbers.Number, _onp.generic)):
        if true_div and _onp.dtype(a.dtype) not in _FLOATS:
            a = _cast(a, _onp.float32)
        r = getattr(_nd, sop)(a, scalar=float(b))
    else:
        return NotImplemented
    r = _wrap(r)
    return _cast(r, _onp.bool_) if compare else r


def _rbinary(a, b, rsop, bop=None, true_div=False):
    """b <op> a, a an ndarray: b a Python scalar, or a legacy NDArray (NumPy semantics then too)."""
    if isinstance(b, (_numbers.Number, _onp.generic)):
        return _wrap(getattr(_nd, rsop)(a, scalar=float(b)))
    if bop is not None and isinstance(b, _NDArray):
        return _binary(b, a, bop, None, true_div=true_div)
    return NotImplemented


def _expected_index_shape(shape, key):
    """The shape NumPy gives shape[key] (basic indexing: ints, slices, None, Ellipsis)."""
    probe = _onp.lib.stride_tricks.as_strided(_onp.zeros(1, dtype=_onp.int8), shape=shape, strides=(0,) * len(shape))
    return probe[key].shape


class ndarray(_NDArray):
    """An array of ``mx.np``: an ``NDArray`` with NumPy's semantics (shape may be ``()``)."""

    __slots__ = ()

    def __repr__(self):
        a = self.asnumpy()
        r = repr(a)
        dt = _onp.dtype(self.dtype)
        if dt == _onp.float32:
            r = r.replace(", dtype=float32", "")
        elif dt in (_onp.dtype(_onp.float64), _onp.dtype(_onp.int64)) and "dtype=" not in r:
            r = r[:-1] + ", dtype=%s)" % dt.name
        return r

    def __str__(self):
        return str(self.asnumpy())

    @property
    def dtype(self):
        """The element type as a NumPy dtype (``dtype('float32')``), as MXNet's np."""
        return _onp.dtype(_NDArray.dtype.fget(self))

    # -- conversions ----------------------------------------------------------------------------------------------
    def item(self, *args):
        return self.asnumpy().item(*args)

    def __float__(self):
        if self.size != 1:
            raise TypeError("only size-1 arrays can be converted to Python scalars")
        return float(self.item())

    def __int__(self):
        if self.size != 1:
            raise TypeError("only size-1 arrays can be converted to Python scalars")
        return int(self.item())

    def __len__(self):
        if self.ndim == 0:
            raise TypeError("len() of unsized object")
        return self.shape[0]

    def tolist(self):
        return self.asnumpy().tolist()

    def astype(self, dtype, copy=True):
        if not copy and _onp.dtype(self.dtype) == _onp.dtype(dtype):
            return self
        return _wrap(_nd.cast(self, dtype=_onp.dtype(dtype).name))

    def copy(self):
        return _wrap(_NDArray.copy(self))

    def as_in_context(self, ctx):
        return _wrap(_NDArray.as_in_context(self, ctx))

    as_in_ctx = as_in_context

    def copyto(self, other):
        return _wrap(_NDArray.copyto(self, other))

    def asnumpy(self):
        return _NDArray.asnumpy(self)

    @property
    def grad(self):
        return _wrap(_NDArray.grad.fget(self))

    def detach(self):
        return _wrap(_NDArray.detach(self))

    # -- arithmetic -----------------------------------------------------------------------------------------------
    def __add__(self, o):
        return _binary(self, o, "broadcast_add", "_plus_scalar")

    def __radd__(self, o):
        return _rbinary(self, o, "_plus_scalar", "broadcast_add")

    def __sub__(self, o):
        return _binary(self, o, "broadcast_sub", "_minus_scalar")

    def __rsub__(self, o):
        return _rbinary(self, o, "_rminus_scalar", "broadcast_sub")

    def __mul__(self, o):
        return _binary(self, o, "broadcast_mul", "_mul_scalar")

    def __rmul__(self, o):
        return _rbinary(self, o, "_mul_scalar", "broadcast_mul")

    def __truediv__(self, o):
        return _binary(self, o, "broadcast_div", "_div_scalar", true_div=True)

    def __rtruediv__(self, o):
        a = self if _onp.dtype(self.dtype) in _FLOATS else _cast(self, _onp.float32)
        return _rbinary(a, o, "_rdiv_scalar", "broadcast_div", true_div=True)

    def __mod__(self, o):
        return _binary(self, o, "broadcast_mod", "_mod_scalar")

    def __rmod__(self, o):
        return _rbinary(self, o, "_rmod_scalar", "broadcast_mod")

    def __pow__(self, o):
        return _binary(self, o, "broadcast_power", "_power_scalar")

    def __rpow__(self, o):
        return _rbinary(self, o, "_rpower_scalar", "broadcast_power")

    def __neg__(self):
        return _wrap(_nd.negative(self))

    def __pos__(self):
        return self

    def __abs__(self):
        return _wrap(_nd.abs(self))

    def __iadd__(self, o):
        self[...] = self + o
        return self

    def __isub__(self, o):
        self[...] = self - o
        return self

    def __imul__(self, o):
        self[...] = self * o
        return self

    def __itruediv__(self, o):
        self[...] = self / o
        return self

    def __eq__(self, o):
        return _binary(self, o, "broadcast_equal", "_equal_scalar", compare=True)

    def __ne__(self, o):
        return _binary(self, o, "broadcast_not_equal", "_not_equal_scalar", compare=True)

    def __gt__(self, o):
        return _binary(self, o, "broadcast_greater", "_greater_scalar", compare=True)

    def __ge__(self, o):
        return _binary(self, o, "broadcast_greater_equal", "_greater_equal_scalar", compare=True)

    def __lt__(self, o):
        return _binary(self, o, "broadcast_lesser", "_lesser_scalar", compare=True)

    def __le__(self, o):
        return _binary(self, o, "broadcast_lesser_equal", "_lesser_equal_scalar", compare=True)

    __hash__ = _NDArray.__hash__

    # -- indexing -------------------------------------------------------------------------------------------------
    def __getitem__(self, key):
        if self.ndim == 0:
            if key == () or key is Ellipsis:
                return self
            raise IndexError("too many indices for a 0-d array")
        want = _expected_index_shape(self.shape, key)
        r = _NDArray.__getitem__(self, key)
        if r.shape != want:
            r = _nd.reshape(r, shape=want)
        return _wrap(r)

    def __setitem__(self, key, value):
        if self.ndim == 0:
            if key == () or key is Ellipsis:
                key = slice(None)
            else:
                raise IndexError("too many indices for a 0-d array")
            view = self._reshape_view((1,))  # a view sharing storage
            _NDArray.__setitem__(view, key, value.reshape((1,)) if isinstance(value, _NDArray) else value)
            return
        if key is Ellipsis:
            key = slice(None)
        if isinstance(value, _NDArray) and value.ndim == 0:
            value = value.item()
        _NDArray.__setitem__(self, key, value)

    # -- shape ----------------------------------------------------------------------------------------------------
    def reshape(self, *args, **kwargs):
        shape = kwargs.pop("newshape", kwargs.pop("shape", None))
        if shape is None:
            shape = args[0] if len(args) == 1 else args
        if kwargs:
            raise TypeError("reshape: unexpected arguments %s" % list(kwargs))
        return reshape(self, shape)

    def transpose(self, *axes):
        if len(axes) == 1 and (axes[0] is None or isinstance(axes[0], (tuple, list))):
            axes = axes[0]
        return transpose(self, axes if axes else None)

    @property
    def T(self):
        return transpose(self)

    def flatten(self):
        return reshape(self, (-1,))

    # -- reductions -----------------------------------------------------------------------------------------------
    def sum(self, axis=None, dtype=None, keepdims=False):
        return sum(self, axis=axis, dtype=dtype, keepdims=keepdims)

    def mean(self, axis=None, dtype=None, keepdims=False):
        return mean(self, axis=axis, dtype=dtype, keepdims=keepdims)

    def max(self, axis=None, keepdims=False):
        return max(self, axis=axis, keepdims=keepdims)

    def min(self, axis=None, keepdims=False):
        return min(self, axis=axis, keepdims=keepdims)

    def prod(self, axis=None, dtype=None, keepdims=False):
        return prod(self, axis=axis, dtype=dtype, keepdims=keepdims)

    def dot(self, b):
        return dot(self, b)

    def argmax(self, axis=None):
        return argmax(self, axis)

    def argmin(self, axis=None):
        return argmin(self, axis)

    def clip(self, a_min=None, a_max=None):
        return clip(self, a_min, a_max)

    def squeeze(self, axis=None):
        return squeeze(self, axis)

    def exp(self):
        return exp(self)

    def log(self):
        return log(self)

    def sqrt(self):
        return sqrt(self)

    def abs(self):
        return abs(self)

    def tanh(self):
        return tanh(self)


def _ctx(ctx):
    return _current_context() if ctx is None else ctx


def _dtype(dtype, default=_onp.float32):
    return _onp.dtype(default if dtype is None else dtype)


def _shape(shape):
    if isinstance(shape, (int, _onp.integer)):
        return (int(shape),)
    return tuple(int(d) for d in shape)


def _new_array(shape, dtype, ctx):
    out = _ffi.new("MXCNDArrayHandle *")
    shape = _shape(shape)
    c = _ctx(ctx)
    _check_call(_lib.MXCNDArrayCreate(_ffi.new("int64_t[]", list(shape) or [0]), len(shape),
                                      _dtype_code(dtype), c.c_devtype, c.device_id, 1, out))
    return _wrap(_NDArray(out[0]))


# ---- creation -----------------------------------------------------------------------------------------------------
def array(object, dtype=None, ctx=None):
    """An array from nested lists, a NumPy array, a scalar or an NDArray (float32 unless dtype is given or the
    source is an array with its own dtype)."""
    if isinstance(object, _NDArray):
        dt = _dtype(dtype, object.dtype)
        r = _new_array(object.shape, dt, ctx if ctx is not None else object.context)
        _NDArray.copyto(_cast(_wrap(object), dt) if _onp.dtype(object.dtype) != dt else object, r)
        return r
    if isinstance(object, _onp.ndarray) and dtype is None:
        dt = object.dtype
    else:
        dt = _dtype(dtype)
    src = _onp.array(object, dtype=dt, order="C")  # (ascontiguousarray would make a 0-d array 1-d)
    r = _new_array(src.shape, src.dtype, ctx)
    r._sync_copyfrom(src)
    return r


asarray = array


def empty(shape, dtype=None, order="C", ctx=None):
    return _new_array(shape, _dtype(dtype), ctx)


def zeros(shape, dtype=None, order="C", ctx=None):
    return _wrap(_nd.zeros(_shape(shape), ctx=_ctx(ctx), dtype=_dtype(dtype)))


def ones(shape, dtype=None, order="C", ctx=None):
    return _wrap(_nd.ones(_shape(shape), ctx=_ctx(ctx), dtype=_dtype(dtype)))


def full(shape, fill_value, dtype=None, order="C", ctx=None, out=None):
    return _wrap(_nd.full(_shape(shape), fill_value, ctx=_ctx(ctx), dtype=_dtype(dtype)))


def zeros_like(a, dtype=None, order="C", ctx=None, out=None):
    return zeros(a.shape, dtype=a.dtype if dtype is None else dtype, ctx=a.context if ctx is None else ctx)


def ones_like(a, dtype=None, order="C", ctx=None, out=None):
    return ones(a.shape, dtype=a.dtype if dtype is None else dtype, ctx=a.context if ctx is None else ctx)


def full_like(a, fill_value, dtype=None, order="C", ctx=None, out=None):
    return full(a.shape, fill_value, dtype=a.dtype if dtype is None else dtype, ctx=a.context if ctx is None else ctx)


def arange(start, stop=None, step=1, dtype=None, ctx=None):
    if stop is None:
        start, stop = 0, start
    r = _nd.arange(start, stop, step, dtype=_dtype(dtype), ctx=_ctx(ctx))
    return _wrap(r)


# ---- elementwise --------------------------------------------------------------------------------------------------
def _to_array(x, like=None):
    if isinstance(x, _NDArray):
        return _wrap(x)
    return array(x, ctx=None if like is None else like.context)


def _unary(name, legacy=None):
    def f(x, out=None, **kwargs):
        r = _wrap(getattr(_nd, legacy or name)(_to_array(x)))
        if out is not None:
            out[...] = r
            return out
        return r
    f.__name__ = name
    f.__doc__ = "Elementwise %s, as mxnet.np.%s." % (name, name)
    return f


exp = _unary("exp")
log = _unary("log")
sqrt = _unary("sqrt")
abs = _unary("abs")
absolute = abs
tanh = _unary("tanh")
sin = _unary("sin")
cos = _unary("cos")
tan = _unary("tan")
square = _unary("square")
negative = _unary("negative")
sign = _unary("sign")
floor = _unary("floor")
ceil = _unary("ceil")
log2 = _unary("log2")
log10 = _unary("log10")
log1p = _unary("log1p")
expm1 = _unary("expm1")
arcsin = _unary("arcsin")
arccos = _unary("arccos")
arctan = _unary("arctan")
sinh = _unary("sinh")
cosh = _unary("cosh")


def _binfn(method, rmethod):
    def f(x1, x2, out=None):
        if isinstance(x1, _NDArray):
            r = getattr(_wrap(x1), method)(x2)
        elif isinstance(x2, _NDArray):
            r = getattr(_wrap(x2), rmethod)(x1)
        else:
            return _onp.dtype(_onp.float32).type(getattr(_onp, f.__name__)(x1, x2))
        if out is not None:
            out[...] = r
            return out
        return r
    return f


add = _binfn("__add__", "__radd__")
add.__name__ = "add"
subtract = _binfn("__sub__", "__rsub__")
subtract.__name__ = "subtract"
multiply = _binfn("__mul__", "__rmul__")
multiply.__name__ = "multiply"
divide = _binfn("__truediv__", "__rtruediv__")
divide.__name__ = "divide"
true_divide = divide
power = _binfn("__pow__", "__rpow__")
power.__name__ = "power"
mod = _binfn("__mod__", "__rmod__")
mod.__name__ = "mod"


def _minmax(a, b, bop, sop):
    if isinstance(a, _NDArray):
        return _binary(_wrap(a), b, bop, sop)
    if isinstance(b, _NDArray):
        return _binary(_wrap(b), a, bop, sop)
    raise TypeError("at least one argument must be an mx.np.ndarray")


def maximum(x1, x2, out=None):
    return _minmax(x1, x2, "broadcast_maximum", "_maximum_scalar")


def minimum(x1, x2, out=None):
    return _minmax(x1, x2, "broadcast_minimum", "_minimum_scalar")


def equal(x1, x2):
    return _wrap(x1) == x2


def not_equal(x1, x2):
    return _wrap(x1) != x2


def greater(x1, x2):
    return _wrap(x1) > x2


def greater_equal(x1, x2):
    return _wrap(x1) >= x2


def less(x1, x2):
    return _wrap(x1) < x2


def less_equal(x1, x2):
    return _wrap(x1) <= x2


# ---- reductions ---------------------------------------------------------------------------------------------------
def _reduce(op, a, axis, keepdims, dtype=None):
    a = _to_array(a)
    if a.ndim == 0 and axis not in (None, 0, -1, (), (0,), (-1,)):
        raise ValueError("%s: axis %s is out of bounds for a 0-d array" % (op, axis))
    if isinstance(axis, (tuple, list)) and len(axis) == 0:
        r = a.copy()  # NumPy: axis=() reduces nothing
    else:
        kw = {"keepdims": bool(keepdims)}
        if axis is not None and a.ndim > 0:
            kw["axis"] = axis
        r = _wrap(getattr(_nd, op)(a, **kw))
    return r if dtype is None else _cast(r, dtype)


def sum(a, axis=None, dtype=None, out=None, keepdims=False):
    return _reduce("sum", a, axis, keepdims, dtype)


def mean(a, axis=None, dtype=None, out=None, keepdims=False):
    a = _to_array(a)
    if _onp.dtype(a.dtype) not in _FLOATS:
        a = _cast(a, _onp.float32)
    return _reduce("mean", a, axis, keepdims, dtype)


def max(a, axis=None, out=None, keepdims=False):
    return _reduce("max", a, axis, keepdims)


def min(a, axis=None, out=None, keepdims=False):
    return _reduce("min", a, axis, keepdims)


amax, amin = max, min


def prod(a, axis=None, dtype=None, out=None, keepdims=False):
    return _reduce("prod", a, axis, keepdims, dtype)


# ---- linear algebra -----------------------------------------------------------------------------------------------
def dot(a, b, out=None):
    a, b = _to_array(a), _to_array(b)
    if a.ndim == 0 or b.ndim == 0:
        return multiply(a, b)
    if b.ndim > 2:
        raise NotImplementedError("mx.np.dot with a %d-d second argument is not implemented yet" % b.ndim)
    return _wrap(_nd.dot(a, b))


def matmul(a, b, out=None):
    a, b = _to_array(a), _to_array(b)
    if a.ndim == 0 or b.ndim == 0:
        raise ValueError("matmul: Input operand does not have enough dimensions")
    if a.ndim <= 2 and b.ndim <= 2:
        return _wrap(_nd.dot(a, b))
    if a.ndim == 3 and b.ndim == 3:
        return _wrap(_nd.batch_dot(a, b))
    raise NotImplementedError("mx.np.matmul of %d-d and %d-d arrays is not implemented yet" % (a.ndim, b.ndim))


# ---- shapes -------------------------------------------------------------------------------------------------------
def reshape(a, newshape, order="C"):
    a = _to_array(a)
    shape = _shape(newshape)
    if shape.count(-1) > 1:
        raise ValueError("reshape: can only specify one unknown dimension")
    if -1 in shape:
        known = 1
        for d in shape:
            if d != -1:
                known *= d
        if known == 0 or a.size % known:
            raise ValueError("cannot reshape array of size %d into shape %s" % (a.size, newshape))
        shape = tuple(a.size // known if d == -1 else d for d in shape)
    n = 1
    for d in shape:
        n *= d
    if n != a.size:
        raise ValueError("cannot reshape array of size %d into shape %s" % (a.size, tuple(newshape) if not isinstance(
            newshape, int) else (newshape,)))
    if shape == a.shape:
        return a
    if any(d == 0 for d in shape) or a.size == 0:
        return _wrap(a._reshape_view(shape))
    return _wrap(_nd.reshape(a, shape=shape))


def transpose(a, axes=None):
    a = _to_array(a)
    if a.ndim < 2 and axes in (None, (), (0,)):
        return a
    if axes is None:
        return _wrap(_nd.transpose(a))
    return _wrap(_nd.transpose(a, axes=tuple(axes)))


def concatenate(seq, axis=0, out=None):
    seq = [_to_array(x) for x in seq]
    if axis is None:
        seq = [reshape(x, (-1,)) for x in seq]
        axis = 0
    if any(x.ndim == 0 for x in seq):
        raise ValueError("zero-dimensional arrays cannot be concatenated")
    return _wrap(_nd.concat(*seq, dim=axis))


def stack(arrays, axis=0, out=None):
    arrays = [_to_array(x) for x in arrays]
    if arrays and arrays[0].ndim == 0:
        return reshape(concatenate([reshape(x, (1,)) for x in arrays]), (len(arrays),))
    return _wrap(_nd.stack(*arrays, axis=axis))


def shape(a):
    return a.shape


def size(a):
    return a.size


def ndim(a):
    return a.ndim


# ---- more functions -------------------------------------------------------------------------------------------------
def _arg(op, a, axis):
    a = _to_array(a)
    if axis is None:
        r = getattr(_nd, op)(reshape(a, (-1,)) if a.ndim != 1 else a, axis=0)
        r = reshape(_wrap(r), ())
    else:
        r = _wrap(getattr(_nd, op)(a, axis=axis))
    return _cast(r, _onp.int64)  # MXNet np: int64 indices


def argmax(a, axis=None, out=None):
    return _arg("argmax", a, axis)


def argmin(a, axis=None, out=None):
    return _arg("argmin", a, axis)


def clip(a, a_min, a_max, out=None):
    a = _to_array(a)
    lo = -_onp.inf if a_min is None else a_min
    hi = _onp.inf if a_max is None else a_max
    return _wrap(_nd.clip(a, a_min=lo, a_max=hi))


def linspace(start, stop, num=50, endpoint=True, retstep=False, dtype=None, axis=0, ctx=None):
    if retstep or axis != 0:
        raise NotImplementedError("mx.np.linspace with retstep or axis is not implemented yet")
    return _wrap(_nd.linspace(start, stop, num, endpoint=endpoint, ctx=_ctx(ctx), dtype=_dtype(dtype)))


def eye(N, M=None, k=0, dtype=None, ctx=None):
    return _wrap(_nd.eye(N, 0 if M is None else M, k, ctx=_ctx(ctx), dtype=_dtype(dtype)))


def expand_dims(a, axis):
    a = _to_array(a)
    shape = list(a.shape)
    ax = axis + a.ndim + 1 if axis < 0 else axis
    if not 0 <= ax <= a.ndim:
        raise ValueError("expand_dims: axis %d out of range for an array of %d dimensions" % (axis, a.ndim))
    shape.insert(ax, 1)
    return reshape(a, tuple(shape))


def squeeze(a, axis=None):
    a = _to_array(a)
    axes = range(a.ndim) if axis is None else [(x + a.ndim if x < 0 else x) for x in (
        axis if isinstance(axis, (tuple, list)) else (axis,))]
    for x in axes:
        if axis is not None and a.shape[x] != 1:
            raise ValueError("cannot select an axis to squeeze out which has size not equal to one")
    drop = set(x for x in axes if a.shape[x] == 1)
    return reshape(a, tuple(d for i, d in enumerate(a.shape) if i not in drop))


from . import random  # noqa: E402
from . import linalg  # noqa: E402


def __getattr__(name):
    if name.startswith("__"):
        raise AttributeError(name)
    raise NotImplementedError("mx.np.%s is not implemented yet in mxc" % name)
