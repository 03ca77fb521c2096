"""Custom operators written in Python, as MXNet 1.x's ``mx.operator``.

Subclass :class:`CustomOp` (``forward``/``backward``) and :class:`CustomOpProp` (names, shapes, dtypes and
``create_operator``), register the property class with ``@mx.operator.register("name")``, and call it as
``mx.nd.Custom(x, op_type="name", **kwargs)`` or ``mx.sym.Custom(x, op_type="name", name=...)``.

The library's operator ``Custom`` calls back into this module through the callbacks registered with
``MXCCustomOpRegister`` (see ``mxc.h``). What differs from MXNet:

* one property object is made per op_type and set of parameters (parameters reach ``__init__`` as strings, as in
  MXNet), and one operator per property, input shapes and dtypes (``create_operator`` is called once for them and
  the operator reused, also between calls): state kept in an operator's attributes between ``forward`` and
  ``backward`` is shared by the calls with those shapes;
* ``forward`` and ``backward`` get CPU copies of the arrays, also for an operator on a GPU (``ctx`` of
  ``create_operator`` is ``cpu(0)``); they run once the inputs are computed, on an engine thread or the caller's,
  with recording paused;
* ``infer_storage_type`` and sparse arrays are not supported.
"""
import threading

import numpy as np

from .base import ffi, lib, check_call, py_str_list, dtype_np, dtype_code, c_params, list_op_names, \
    MXNetValueError
from .context import cpu
from . import autograd as _autograd
from . import ndarray as _nd
from . import symbol as _sym
from . import name as _name
from . import attribute as _attribute
from .ndarray.ndarray import NDArray, invoke as _invoke
from .base import op_meta as _op_meta

__all__ = ["CustomOp", "CustomOpProp", "register", "get_all_registered_operators", "Custom"]

_REQ_NAMES = {0: "null", 1: "write", 2: "inplace", 3: "add"}


class CustomOp(object):
    """Base class of the operators of a custom op_type: override ``forward`` and ``backward``."""

    def __init__(self):
        pass

    def forward(self, is_train, req, in_data, out_data, aux):
        """Computes out_data from in_data (lists of NDArrays); write each output with ``self.assign``."""
        raise NotImplementedError("CustomOp.forward is not implemented")

    def backward(self, req, out_grad, in_data, out_data, in_grad, aux):
        """Computes in_grad from out_grad, in_data and out_data; write each gradient with ``self.assign``."""
        raise NotImplementedError("CustomOp.backward is not implemented")

    def assign(self, dst, req, src):
        """Writes src into dst as req says: 'null' (nothing), 'write' or 'inplace' (copy), 'add' (accumulate)."""
        if req == "null":
            return
        if req in ("write", "inplace"):
            dst[:] = src
        elif req == "add":
            dst[:] += src
        else:
            raise MXNetValueError("CustomOp.assign: unknown req %r (null, write, inplace or add)" % (req,))


class CustomOpProp(object):
    """Base class of the properties of a custom op_type: its inputs, outputs, shapes and dtypes.

    need_top_grad: whether backward reads the output gradients; False makes the operator a loss (a backward without
    a head gradient gives it ones, as SoftmaxOutput).
    """

    def __init__(self, need_top_grad=True):
        self.need_top_grad_ = need_top_grad

    def infer_shape(self, in_shape):
        """(argument shapes, output shapes, auxiliary shapes); by default every output has the first input's shape."""
        return in_shape, (in_shape[0],) * len(self.list_outputs()), ()

    def infer_type(self, in_type):
        """(argument dtypes, output dtypes, auxiliary dtypes); by default all the first input's dtype."""
        return in_type, [in_type[0]] * len(self.list_outputs()), [in_type[0]] * len(self.list_auxiliary_states())

    def list_outputs(self):
        return ["output"]

    def list_arguments(self):
        return ["data"]

    def list_auxiliary_states(self):
        return []

    def declare_backward_dependency(self, out_grad, in_data, out_data):
        """The data backward reads (this version always passes all of it)."""
        deps = []
        if self.need_top_grad_:
            deps.extend(out_grad)
        deps.extend(in_data)
        deps.extend(out_data)
        return deps

    def create_operator(self, ctx, in_shapes, in_dtypes):
        """The CustomOp computing this property's operator for inputs of these shapes and dtypes."""
        raise NotImplementedError("CustomOpProp.create_operator is not implemented")


# ----------------------------------------------------------------------------------------------------------------
# Registration and the callbacks the library calls
# ----------------------------------------------------------------------------------------------------------------
_REGISTERED = {}  # op_type -> _Registration (keeps the handle passed as `user` alive)
_REPLACED = []    # registrations replaced by a later register() of the same op_type
_tls = threading.local()  # what a callback returned, kept until its next call on the thread


def _keep(*objs):
    _tls.keep = objs


class _Registration(object):
    def __init__(self, op_type, prop_cls, cache=True):
        self.op_type = op_type
        self.prop_cls = prop_cls
        self.cache = cache  # False: a property and an operator per call (autograd.Function: a key per call)
        self.props = {}  # parameters -> property
        self.ops = {}    # (parameters, shapes, dtypes) -> CustomOp
        self.lock = threading.Lock()
        self.handle = ffi.new_handle(self)

    def prop(self, n, keys, vals):
        kw = tuple((ffi.string(keys[i]).decode(), ffi.string(vals[i]).decode()) for i in range(n))
        if not self.cache:
            return kw, self.prop_cls(**dict(kw))
        with self.lock:
            p = self.props.get(kw)
        if p is None:
            p = self.prop_cls(**dict(kw))
            with self.lock:
                p = self.props.setdefault(kw, p)
        return kw, p

    def operator(self, kw, prop, inputs):
        """The operator for inputs (arguments and auxiliary states) of these shapes and dtypes."""
        key = (kw, tuple(a.shape for a in inputs), tuple(np.dtype(a.dtype).name for a in inputs))
        with self.lock:
            op = self.ops.get(key)
        if op is None:
            op = prop.create_operator(cpu(0), [list(a.shape) for a in inputs], [dtype_code(a.dtype) for a in inputs])
            if self.cache:
                with self.lock:
                    op = self.ops.setdefault(key, op)
        return op


_KINDS = {ValueError: "ValueError", TypeError: "TypeError", IndexError: "IndexError", KeyError: "IndexError"}


def _fail(exc):
    """Hands the exception's text to the library (kind from its class) and returns -1."""
    kind = "InternalError"
    for cls, k in _KINDS.items():
        if isinstance(exc, cls):
            kind = k
            break
    msg = "%s: %s: %s" % (kind, type(exc).__name__, exc)
    lib.MXCCustomOpSetError(msg.encode("utf-8", "replace"))
    return -1


def _counts(prop):
    return len(prop.list_arguments()), len(prop.list_outputs()), len(prop.list_auxiliary_states())


_KW = "void *, int, const char *const *, const char *const *"


@ffi.callback("int(%s, int, int *, const char *const **)" % _KW, error=-1)
def _cb_list(user, n, keys, vals, which, num, names):
    try:
        _, prop = ffi.from_handle(user).prop(n, keys, vals)
        lst = (prop.list_arguments, prop.list_outputs, prop.list_auxiliary_states)[which]()
        cs = [ffi.new("char[]", str(s).encode()) for s in lst]
        arr = ffi.new("const char *[]", cs) if cs else ffi.NULL
        _keep(cs, arr)
        num[0] = len(cs)
        names[0] = arr
        return 0
    except BaseException as e:  # noqa: B902 (anything raised by user code becomes the operator's error)
        return _fail(e)


@ffi.callback("int(%s, int *)" % _KW, error=-1)
def _cb_need_top_grad(user, n, keys, vals, out):
    try:
        out[0] = 1 if ffi.from_handle(user).prop(n, keys, vals)[1].need_top_grad_ else 0
        return 0
    except BaseException as e:  # noqa: B902
        return _fail(e)


def _check_count(what, got, want, kind):
    if len(got) != want:
        raise MXNetValueError("%s: expecting %d entries in returned %s, got %d." % (what, want, kind, len(got)))


@ffi.callback("int(%s, int, const int *, const int64_t *, const int **, const int64_t **)" % _KW, error=-1)
def _cb_infer_shape(user, n, keys, vals, num_in, in_ndims, in_dims, ndims, dims):
    reg = ffi.from_handle(user)
    try:
        _, prop = reg.prop(n, keys, vals)
        na, no, nx = _counts(prop)
        shapes, off = [], 0
        for i in range(num_in):
            shapes.append(list(in_dims[off:off + in_ndims[i]]))
            off += in_ndims[i]
        known = lambda s: len(s) > 0 and all(d > 0 for d in s)  # noqa: E731
        res = None
        if known(shapes[0]) if na else True:
            try:
                res = prop.infer_shape([list(s) for s in shapes[:na]])
            except Exception:
                if all(known(s) for s in shapes):
                    raise
        if res is None:  # inputs not known enough yet: say nothing new
            res = (shapes[:na], [[]] * no, shapes[na:])
        res = list(res)
        if len(res) == 2:
            res.append([])
        what = "InferShape Error in %s.infer_shape" % reg.prop_cls.__name__
        _check_count(what, res[0], na, "input shapes")
        _check_count(what, res[1], no, "output shapes")
        _check_count(what, res[2], nx, "aux shapes")
        flat = [tuple(int(d) for d in s) for part in res for s in part]
        nd = ffi.new("int[]", [len(s) for s in flat] or [0])
        ds = ffi.new("int64_t[]", [d for s in flat for d in s] or [0])
        _keep(nd, ds)
        ndims[0] = nd
        dims[0] = ds
        return 0
    except BaseException as e:  # noqa: B902
        return _fail(e)


@ffi.callback("int(%s, int, const int *, const int **)" % _KW, error=-1)
def _cb_infer_type(user, n, keys, vals, num_in, in_types, types):
    reg = ffi.from_handle(user)
    try:
        _, prop = reg.prop(n, keys, vals)
        na, no, nx = _counts(prop)
        codes = [in_types[i] for i in range(num_in)]
        if na and codes[0] >= 0:
            res = list(prop.infer_type([dtype_np(c) if c >= 0 else None for c in codes[:na]]))
            if len(res) == 2:
                res.append([res[0][0]] * nx)
            what = "InferType Error in %s.infer_type" % reg.prop_cls.__name__
            _check_count(what, res[0], na, "input types")
            _check_count(what, res[1], no, "output types")
            _check_count(what, res[2], nx, "aux types")
            flat = [dtype_code(t) if t is not None else -1 for part in res for t in part]
        else:
            flat = codes[:na] + [-1] * no + codes[na:]
        out = ffi.new("int[]", flat or [0])
        _keep(out)
        types[0] = out
        return 0
    except BaseException as e:  # noqa: B902
        return _fail(e)


_ARRAYS = "int, int, const MXCNDArrayHandle *, const int *"


@ffi.callback("int(%s, %s)" % (_KW, _ARRAYS), error=-1)
def _cb_forward(user, n, keys, vals, is_train, num, arrays, reqs):
    arrs = [NDArray(arrays[i]) for i in range(num)]  # owned handles: freed with the objects
    reg = ffi.from_handle(user)
    try:
        kw, prop = reg.prop(n, keys, vals)
        na, no, _ = _counts(prop)
        in_data, out_data, aux = arrs[:na], arrs[na:na + no], arrs[na + no:]
        op = reg.operator(kw, prop, in_data + aux)
        with _autograd.pause(train_mode=bool(is_train)):
            op.forward(is_train=bool(is_train), req=[_REQ_NAMES[reqs[i]] for i in range(no)], in_data=in_data,
                       out_data=out_data, aux=aux)
        return 0
    except BaseException as e:  # noqa: B902
        return _fail(e)


@ffi.callback("int(%s, %s)" % (_KW, _ARRAYS), error=-1)
def _cb_backward(user, n, keys, vals, is_train, num, arrays, reqs):
    arrs = [NDArray(arrays[i]) for i in range(num)]
    reg = ffi.from_handle(user)
    try:
        kw, prop = reg.prop(n, keys, vals)
        na, no, _ = _counts(prop)
        out_grad, in_data = arrs[:no], arrs[no:no + na]
        out_data, in_grad, aux = arrs[no + na:2 * no + na], arrs[2 * no + na:2 * no + 2 * na], arrs[2 * no + 2 * na:]
        op = reg.operator(kw, prop, in_data + aux)
        with _autograd.pause(train_mode=bool(is_train)):
            op.backward(req=[_REQ_NAMES[reqs[i]] for i in range(na)], out_grad=out_grad, in_data=in_data,
                        out_data=out_data, in_grad=in_grad, aux=aux)
        return 0
    except BaseException as e:  # noqa: B902
        return _fail(e)


def _register(op_type, prop_cls, cache=True):
    reg = _Registration(op_type, prop_cls, cache)
    cb = ffi.new("MXCCustomOpCallbacks *")
    cb.user = reg.handle
    cb.list = _cb_list
    cb.need_top_grad = _cb_need_top_grad
    cb.infer_shape = _cb_infer_shape
    cb.infer_type = _cb_infer_type
    cb.forward = _cb_forward
    cb.backward = _cb_backward
    check_call(lib.MXCCustomOpRegister(op_type.encode(), cb))
    old = _REGISTERED.get(op_type)
    if old is not None:
        _REPLACED.append(old)  # calls made before may still hold its handle: keep it alive
    _REGISTERED[op_type] = reg
    return reg


def register(reg_name):
    """Class decorator registering a CustomOpProp subclass under the op_type reg_name."""
    def do_register(prop_cls):
        if not (isinstance(prop_cls, type) and issubclass(prop_cls, CustomOpProp)):
            raise TypeError("mx.operator.register(%r): expects a subclass of CustomOpProp, got %r"
                            % (reg_name, prop_cls))
        _register(reg_name, prop_cls)
        return prop_cls
    return do_register


def get_all_registered_operators():
    """Names of every operator of the library (as MXNet's)."""
    return list(list_op_names())


def get_all_registered_custom_operators():
    """The op_types registered for Custom (in this process, through any binding)."""
    num = ffi.new("int *")
    names = ffi.new("const char ***")
    check_call(lib.MXCCustomOpList(num, names))
    return py_str_list(num[0], names[0])


# ----------------------------------------------------------------------------------------------------------------
# mx.nd.Custom and mx.sym.Custom
# ----------------------------------------------------------------------------------------------------------------
def _split_inputs(fname, cls, args, kwargs):
    """Positional inputs and keyword inputs (values of cls) apart from the parameters."""
    for i, a in enumerate(args):
        if not isinstance(a, cls):
            raise TypeError("%s: positional argument %d must be %s, got %s (parameters are keyword arguments)"
                            % (fname, i, cls.__name__, type(a).__name__))
    named = {k: kwargs.pop(k) for k in [k for k, v in kwargs.items() if isinstance(v, cls)]}
    if "op_type" not in kwargs:
        raise MXNetValueError("%s: Required argument `op_type` is missing." % fname)
    for k, v in kwargs.items():  # the property gets str() of each value, as in MXNet ((2, 3) -> '(2, 3)')
        if not isinstance(v, str):
            kwargs[k] = str(v)
    return list(args), named


def _order_inputs(fname, op_type, params, positional, named, cls):
    """Inputs in the order of the property's list_arguments (keyword inputs placed by name)."""
    if not named:
        return positional
    reg = _REGISTERED.get(op_type)
    if reg is None:
        raise MXNetValueError("operator Custom: Cannot find custom operator '%s' (op_type not registered)" % op_type)
    prop = reg.prop_cls(**{k: v for k, v in params.items() if k != "op_type"})
    names = list(prop.list_arguments()) + list(prop.list_auxiliary_states())
    slots = list(positional) + [None] * (len(names) - len(positional))
    for k, v in named.items():
        if k not in names:
            raise MXNetValueError("%s: op_type '%s' has no input '%s' (inputs: %s)"
                                  % (fname, op_type, k, ", ".join(names)))
        slots[names.index(k)] = v
    if cls is NDArray and any(s is None for s in slots):
        missing = [n for n, s in zip(names, slots) if s is None]
        raise MXNetValueError("%s: op_type '%s': input(s) %s missing" % (fname, op_type, ", ".join(missing)))
    return slots


def _nd_custom(*args, out=None, name=None, **kwargs):
    """Runs the custom operator op_type on the inputs (mx.nd.Custom); other keyword arguments go to the property's
    constructor as strings."""
    inputs, named = _split_inputs("Custom", NDArray, args, kwargs)
    inputs = _order_inputs("Custom", kwargs["op_type"], kwargs, inputs, named, NDArray)
    keys = list(kwargs)
    n, ck, cv = c_params(keys, [kwargs[k] for k in keys])
    return _invoke(_op_meta("Custom").handle, inputs, out, n, ck, cv)


def _sym_custom(*args, name=None, attr=None, **kwargs):
    """The custom operator op_type as a symbol (mx.sym.Custom); inputs positional or by name."""
    inputs, named = _split_inputs("Custom", _sym.Symbol, args, kwargs)
    keys = list(kwargs)
    s = _sym.symbol._create_atomic("Custom", keys, [kwargs[k] for k in keys])
    node_name = _name.current().get(name, "custom")
    if named:
        pos_names = []
        if inputs:
            reg = _REGISTERED.get(kwargs["op_type"])
            if reg is not None:
                pos_names = reg.prop_cls(**{k: v for k, v in kwargs.items() if k != "op_type"}).list_arguments()
        named.update(dict(zip(pos_names, inputs)))
        s._compose(name=node_name, **named)
    else:
        s._compose(*inputs, name=node_name)
    attrs = _attribute.current().get(attr)
    if attrs:
        s._set_attr(**attrs)
    return s


for _f in (_nd_custom, _sym_custom):
    _f.__name__ = _f.__qualname__ = "Custom"
    _f.op_meta = _op_meta("Custom")
_nd_custom.__module__ = "mxc.ndarray"
_sym_custom.__module__ = "mxc.symbol"
Custom = _nd_custom
_nd.Custom = _nd_custom
_sym.Custom = _sym_custom
