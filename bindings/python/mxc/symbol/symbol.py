"""The Symbol class and the hand-written functions of ``mx.sym`` (Variable, Group, load, arithmetic helpers).

Every operator of the registry becomes ``mx.sym.<name>`` through ``mxc.symbol.register`` at import time. A symbol
is a handle to a graph kept by the C library (``MXCSymbol*`` functions of ``include/mxc.h``): naming, composition,
shape and type inference, JSON and printing all happen there; this module only marshals arguments.
"""
import warnings

import numpy as np

from ..base import (ffi, lib, check_call, c_str, py_str, c_params, string_types, numeric_types, integer_types,
                    dtype_code, dtype_np, MXNetValueError, MXNetError, NotImplementedForSymbol)
from ..base import py_str_list
from ..context import current_context
from .. import attribute as _attribute

__all__ = ["Symbol", "Variable", "var", "Group", "load", "load_json", "zeros", "ones", "full", "arange", "pow",
           "power", "maximum", "minimum", "hypot", "eye", "linspace", "split_v2", "histogram"]

_NULL = ffi.NULL


def _new_handle_ptr():
    return ffi.new("MXCSymbolHandle *")


def _str_list(fn, handle):
    num = ffi.new("int *")
    arr = ffi.new("const char ***")
    check_call(fn(handle, num, arr))
    return py_str_list(num[0], arr[0])


class Symbol(object):
    """A symbolic graph with one or more outputs (``mx.sym.Variable``, results of ``mx.sym.<op>``, groups).

    Arithmetic with symbols and scalars builds new nodes (``a + b`` is ``_Plus``, ``a + 1`` is ``_PlusScalar``,
    named ``_plus0``, ``_plusscalar0``, ... by the current ``mx.name.NameManager``), ``sym[i]`` and
    ``sym['name_output']`` select outputs, ``bind``/``simple_bind`` give an :class:`~mxc.executor.Executor`.
    """

    __slots__ = ("handle", "__weakref__")

    def __init__(self, handle):
        self.handle = handle

    def __del__(self, _free=lib.MXCSymbolFree):
        h = getattr(self, "handle", None)
        if h is not None:
            self.handle = None
            _free(h)

    # -- copies and pickling ----------------------------------------------------------------------------------------
    def __copy__(self):
        out = _new_handle_ptr()
        check_call(lib.MXCSymbolCopy(self.handle, out))
        return Symbol(out[0])

    def __deepcopy__(self, memo):
        return self.__copy__()

    def __getstate__(self):
        return {"handle": self.tojson()}

    def __setstate__(self, state):
        out = _new_handle_ptr()
        check_call(lib.MXCSymbolCreateFromJSON(c_str(state["handle"]), out))
        self.handle = out[0]

    # -- description ------------------------------------------------------------------------------------------------
    def __repr__(self):
        name = self.name
        if name is None:
            return "<%s group [%s]>" % (self.__class__.__name__, ", ".join(s.name for s in self))
        return "<%s %s>" % (self.__class__.__name__, name)

    def __len__(self):
        n = ffi.new("int *")
        check_call(lib.MXCSymbolGetNumOutputs(self.handle, n))
        return n[0]

    def __iter__(self):
        return (self[i] for i in range(len(self)))

    def __bool__(self):
        raise NotImplementedError("the truth value of a Symbol is not defined (it is a graph, not a value); "
                                  "compare with `is None` or bind and evaluate it")

    __hash__ = object.__hash__

    def __getitem__(self, index):
        n = len(self)
        if isinstance(index, string_types):
            idx = None
            for i, out in enumerate(self.list_outputs()):
                if out == index:
                    if idx is not None:
                        raise ValueError("there are several outputs named %r" % index)
                    idx = i
            if idx is None:
                raise ValueError("no output named %r (outputs: %s)" % (index, ", ".join(self.list_outputs())))
            index = idx
        if isinstance(index, slice):
            return Group([self[i] for i in range(n)[index]])
        if not isinstance(index, integer_types):
            raise TypeError("symbol index must be an int, a slice or an output name, got %s" % type(index).__name__)
        index = int(index)
        if index < -n or index >= n:
            raise IndexError("output index %d out of range (the symbol has %d outputs)" % (index, n))
        if index < 0:
            index += n
        out = _new_handle_ptr()
        check_call(lib.MXCSymbolGetOutput(self.handle, index, out))
        return Symbol(out[0])

    @property
    def name(self):
        """The node's name, or None for a group of several outputs."""
        out = ffi.new("const char **")
        ok = ffi.new("int *")
        check_call(lib.MXCSymbolGetName(self.handle, out, ok))
        return py_str(out[0]) if ok[0] else None

    def attr(self, key):
        """The attribute (or parameter) ``key`` of the symbol's node as a string, or None."""
        out = ffi.new("const char **")
        ok = ffi.new("int *")
        check_call(lib.MXCSymbolGetAttr(self.handle, c_str(key), out, ok))
        return py_str(out[0]) if ok[0] else None

    def _list_attr_raw(self, recursive):
        num = ffi.new("int *")
        arr = ffi.new("const char ***")
        check_call(lib.MXCSymbolListAttr(self.handle, 1 if recursive else 0, num, arr))
        flat = py_str_list(2 * num[0], arr[0])
        return [(flat[2 * i], flat[2 * i + 1]) for i in range(num[0])]

    def list_attr(self, recursive=False):
        """Attributes and parameters of the symbol's node as a dict. (recursive=True, deprecated as in MXNet, gives
        every node's as ``'<node>$<key>'``; use :meth:`attr_dict`.)"""
        if recursive:
            warnings.warn("Symbol.list_attr with recursive=True is deprecated; use attr_dict()", DeprecationWarning,
                          stacklevel=2)
        return dict(self._list_attr_raw(recursive))

    def attr_dict(self):
        """Attributes of every node: ``{node_name: {key: value}}`` (nodes without attributes are left out)."""
        ret = {}
        for k, v in self._list_attr_raw(True):
            node, _, key = k.partition("$")
            ret.setdefault(node, {})[key] = v
        return ret

    def _set_attr(self, **kwargs):
        """Sets attributes of the symbol's node (values are converted to strings)."""
        for k, v in kwargs.items():
            check_call(lib.MXCSymbolSetAttr(self.handle, c_str(k), c_str(v if isinstance(v, str) else str(v))))

    def get_internals(self):
        """A group of every output of every node of the graph (``list_outputs()`` names them)."""
        out = _new_handle_ptr()
        check_call(lib.MXCSymbolGetInternals(self.handle, out))
        return Symbol(out[0])

    def get_children(self):
        """A group of the inputs of the symbol's node(s), or None for a variable."""
        out = _new_handle_ptr()
        check_call(lib.MXCSymbolGetChildren(self.handle, out))
        return Symbol(out[0]) if out[0] != _NULL else None

    def list_arguments(self):
        """Names of the arguments (inputs that are not auxiliary states), in depth-first order."""
        return _str_list(lib.MXCSymbolListArguments, self.handle)

    def list_outputs(self):
        """Names of the outputs (``<node>_output``, ``<node>_output<i>``, or a variable's name)."""
        return _str_list(lib.MXCSymbolListOutputs, self.handle)

    def list_auxiliary_states(self):
        """Names of the auxiliary states (e.g. BatchNorm's moving_mean and moving_var)."""
        return _str_list(lib.MXCSymbolListAuxiliaryStates, self.handle)

    def list_inputs(self):
        """Names of all inputs: arguments and auxiliary states, in depth-first order."""
        return _str_list(lib.MXCSymbolListInputs, self.handle)

    # -- composition -----------------------------------------------------------------------------------------------
    def __call__(self, *args, **kwargs):
        """A copy of the symbol with arguments replaced: positionally (``list_arguments`` order) or by name."""
        s = self.__copy__()
        s._compose(*args, **kwargs)
        return s

    def _compose(self, *args, **kwargs):
        name = kwargs.pop("name", None)
        if args and kwargs:
            raise TypeError("compose takes symbols either positionally or by keyword, not both")
        syms = list(args) if args else list(kwargs.values())
        for s in syms:
            if not isinstance(s, Symbol):
                raise TypeError("compose expects Symbols, got %s" % type(s).__name__)
        handles = ffi.new("MXCSymbolHandle[]", [s.handle for s in syms]) if syms else _NULL
        if kwargs:
            key_holder = [ffi.new("char[]", c_str(k)) for k in kwargs]
            keys = ffi.new("const char *[]", key_holder)
        else:
            keys = _NULL
        check_call(lib.MXCSymbolCompose(self.handle, c_str(name) if name else _NULL, len(syms), keys, handles))

    # -- inference -------------------------------------------------------------------------------------------------
    def _known_names(self, args, kwargs, what):
        if args and kwargs:
            raise ValueError("%s takes known values either positionally or by name, not both" % what)
        if args:
            names = self.list_arguments()
            if len(args) > len(names):
                raise ValueError("%s: %d positional values for %d arguments (%s)"
                                 % (what, len(args), len(names), ", ".join(names)))
            return [(n, v) for n, v in zip(names, args) if v is not None]
        return [(k, v) for k, v in kwargs.items() if v is not None]

    def _infer_shape_impl(self, partial, *args, **kwargs):
        known = self._known_names(args, kwargs, "infer_shape")  # loops and conditions: the core unrolls them
        keys, ndims, dims = [], [], []
        for k, shape in known:
            if isinstance(shape, integer_types):
                shape = (shape,)
            if not isinstance(shape, (tuple, list)):
                raise TypeError("infer_shape: the shape of %r must be a tuple, got %r" % (k, shape))
            keys.append(k)
            ndims.append(len(shape))
            dims.extend(int(d) if d is not None else 0 for d in shape)
        keep = [ffi.new("char[]", c_str(k)) for k in keys]
        ckeys = ffi.new("const char *[]", keep) if keep else _NULL
        cnd = ffi.new("int[]", ndims) if ndims else _NULL
        cdims = ffi.new("int64_t[]", dims) if dims else _NULL
        counts = [ffi.new("int *") for _ in range(3)]
        nds = [ffi.new("const int **") for _ in range(3)]
        dvs = [ffi.new("const int64_t **") for _ in range(3)]
        complete = ffi.new("int *")
        check_call(lib.MXCSymbolInferShape(self.handle, len(keys), ckeys, cnd, cdims, 1 if partial else 0,
                                           counts[0], nds[0], dvs[0], counts[1], nds[1], dvs[1], counts[2], nds[2],
                                           dvs[2], complete))
        res = []
        for c, nd_, dv in zip(counts, nds, dvs):
            shapes, off = [], 0
            for i in range(c[0]):
                n = nd_[0][i]
                shapes.append(tuple(int(dv[0][off + j]) for j in range(n)))
                off += n
            res.append(shapes)
        return res[0], res[1], res[2], bool(complete[0])

    def infer_shape(self, *args, **kwargs):
        """Infers every shape from the known ones (positionally in ``list_arguments`` order, or by name).

        Returns ``(arg_shapes, out_shapes, aux_shapes)``, lists of tuples in list order. When the known shapes do
        not determine every shape, warns and returns ``(None, None, None)`` (use :meth:`infer_shape_partial`). A
        conflict raises an error naming the node, the argument and both shapes."""
        arg, out, aux, complete = self._infer_shape_impl(True, *args, **kwargs)
        if not complete:
            unknown = ["%s: %s" % (n, s) for n, s in zip(self.list_arguments(), arg) if not s or 0 in s]
            warnings.warn("Cannot decide shape for the following arguments (0s in shape means unknown dimensions). "
                          "Consider providing them as input:\n\t" + "\n\t".join(unknown[:10]), stacklevel=2)
            return None, None, None
        return arg, out, aux

    def infer_shape_partial(self, *args, **kwargs):
        """As :meth:`infer_shape`, but returns what is known: ``()`` for an unknown shape, 0 for an unknown
        dimension."""
        arg, out, aux, _ = self._infer_shape_impl(True, *args, **kwargs)
        return arg, out, aux

    def _infer_type_impl(self, partial, *args, **kwargs):
        known = self._known_names(args, kwargs, "infer_type")
        keep = [ffi.new("char[]", c_str(k)) for k, _ in known]
        ckeys = ffi.new("const char *[]", keep) if keep else _NULL
        codes = ffi.new("int[]", [dtype_code(v) for _, v in known]) if known else _NULL
        counts = [ffi.new("int *") for _ in range(3)]
        types = [ffi.new("const int **") for _ in range(3)]
        complete = ffi.new("int *")
        check_call(lib.MXCSymbolInferType(self.handle, len(known), ckeys, codes, 1 if partial else 0, counts[0],
                                          types[0], counts[1], types[1], counts[2], types[2], complete))
        res = []
        for c, t in zip(counts, types):
            res.append([dtype_np(t[0][i]) if t[0][i] >= 0 else None for i in range(c[0])])
        return res[0], res[1], res[2], bool(complete[0])

    def infer_type(self, *args, **kwargs):
        """Infers dtypes from known ones (NumPy types or names). Returns ``(arg_types, out_types, aux_types)`` of
        NumPy types, or ``(None, None, None)`` when they are not all determined."""
        arg, out, aux, complete = self._infer_type_impl(True, *args, **kwargs)
        if not complete:
            return None, None, None
        return arg, out, aux

    def infer_type_partial(self, *args, **kwargs):
        """As :meth:`infer_type` with None for the unknown types."""
        arg, out, aux, _ = self._infer_type_impl(True, *args, **kwargs)
        return arg, out, aux

    # -- serialisation ---------------------------------------------------------------------------------------------
    def tojson(self, remove_amp_cast=True):
        """The graph as JSON (MXNet 1.x layout with an mxc version attribute); ``remove_amp_cast`` (as MXNet)
        leaves out the ``amp_cast``/``amp_multicast`` nodes that are not graph outputs."""
        out = ffi.new("const char **")
        check_call(lib.MXCSymbolSaveToJSON(self.handle, out))
        text = py_str(out[0])
        if remove_amp_cast and ('"amp_cast"' in text or '"amp_multicast"' in text):
            from ..contrib.amp.amp import remove_amp_cast_json
            text = remove_amp_cast_json(text)
        return text

    def save(self, fname, remove_amp_cast=True):
        """Writes the JSON to a file (atomically); ``remove_amp_cast`` as in ``tojson``."""
        if not isinstance(fname, string_types):
            raise TypeError("fname must be a string")
        if remove_amp_cast:
            raw = self.tojson(remove_amp_cast=False)
            if '"amp_cast"' in raw or '"amp_multicast"' in raw:
                from ..model import _save_symbol  # the JSON without the casts, written atomically
                _save_symbol(self, fname)
                return
        check_call(lib.MXCSymbolSaveToFile(self.handle, c_str(fname)))

    def debug_str(self):
        """The graph in MXNet's debug layout (one block per node with inputs and attributes)."""
        out = ffi.new("const char **")
        check_call(lib.MXCSymbolPrint(self.handle, out))
        return py_str(out[0])

    # -- binding ---------------------------------------------------------------------------------------------------
    def bind(self, ctx, args, args_grad=None, grad_req="write", aux_states=None, group2ctx=None, shared_exec=None):
        """Binds to arrays, used in place (not copied).

        args / args_grad: lists in ``list_arguments()`` order or dicts by name (args_grad may leave arguments out
        or be None: no gradient for them); grad_req: 'write', 'add', 'null' as a string, a list or a dict (missing
        names: 'null'); aux_states: list or dict of the auxiliary states; shared_exec: an executor whose memory
        pool this one may reuse. group2ctx is accepted for compatibility (one device per executor here)."""
        from ..executor import Executor
        return Executor._bind(self, ctx, args, args_grad, grad_req, aux_states, group2ctx, shared_exec)

    def simple_bind(self, ctx, grad_req="write", type_dict=None, stype_dict=None, group2ctx=None,
                    shared_arg_names=None, shared_exec=None, shared_buffer=None, **kwargs):
        """Binds with arrays allocated (zero-filled) from the shapes given as keyword arguments.

        type_dict gives dtypes by name (default float32). With shared_exec, its arrays of the same name, shape and
        dtype are reused (only those in shared_arg_names when given) and its memory pool is lent."""
        from ..executor import Executor
        return Executor._simple_bind(self, ctx, grad_req, type_dict, shared_arg_names, shared_exec, kwargs)

    def eval(self, ctx=None, **kwargs):
        """Binds to the given arrays (by argument name), runs forward and returns the outputs."""
        ctx = ctx or current_context()
        exe = self.bind(ctx, args=kwargs, grad_req="null")
        exe.forward()
        return exe.outputs

    # -- arithmetic ------------------------------------------------------------------------------------------------
    def _binary(self, other, op, op_scalar, what):
        if isinstance(other, Symbol):
            return _call_internal(op, self, other)
        if isinstance(other, numeric_types):
            return _call_internal(op_scalar, self, scalar=other)
        raise TypeError("unsupported operand type for %s: Symbol and %s" % (what, type(other).__name__))

    def _rscalar(self, other, op_scalar, what):
        if isinstance(other, numeric_types):
            return _call_internal(op_scalar, self, scalar=other)
        raise TypeError("unsupported operand type for %s: %s and Symbol" % (what, type(other).__name__))

    def __add__(self, other):
        return self._binary(other, "_Plus", "_PlusScalar", "+")

    def __radd__(self, other):
        return self._rscalar(other, "_PlusScalar", "+")

    def __sub__(self, other):
        return self._binary(other, "_Minus", "_MinusScalar", "-")

    def __rsub__(self, other):
        return self._rscalar(other, "_RMinusScalar", "-")

    def __mul__(self, other):
        return self._binary(other, "_Mul", "_MulScalar", "*")

    def __rmul__(self, other):
        return self._rscalar(other, "_MulScalar", "*")

    def __truediv__(self, other):
        return self._binary(other, "_Div", "_DivScalar", "/")

    def __rtruediv__(self, other):
        return self._rscalar(other, "_RDivScalar", "/")

    __div__ = __truediv__
    __rdiv__ = __rtruediv__

    def __mod__(self, other):
        return self._binary(other, "_Mod", "_ModScalar", "%")

    def __rmod__(self, other):
        return self._rscalar(other, "_RModScalar", "%")

    def __pow__(self, other):
        return self._binary(other, "_Power", "_PowerScalar", "**")

    def __rpow__(self, other):
        return self._rscalar(other, "_RPowerScalar", "**")

    def __neg__(self):
        return self.__mul__(-1.0)

    def __pos__(self):
        return self

    def __abs__(self):
        return _call_internal("abs", self)

    def __eq__(self, other):
        return self._binary(other, "_equal", "_equal_scalar", "==")

    def __ne__(self, other):
        return self._binary(other, "_not_equal", "_not_equal_scalar", "!=")

    def __gt__(self, other):
        return self._binary(other, "_greater", "_greater_scalar", ">")

    def __ge__(self, other):
        return self._binary(other, "_greater_equal", "_greater_equal_scalar", ">=")

    def __lt__(self, other):
        return self._binary(other, "_lesser", "_lesser_scalar", "<")

    def __le__(self, other):
        return self._binary(other, "_lesser_equal", "_lesser_equal_scalar", "<=")

    def __iadd__(self, other):
        return self.__add__(other)

    def __isub__(self, other):
        return self.__sub__(other)

    def __imul__(self, other):
        return self.__mul__(other)

    def __itruediv__(self, other):
        return self.__truediv__(other)

    def astype(self, dtype, **kwargs):
        """A Cast of the symbol to dtype."""
        return _call_internal("Cast", self, dtype=np.dtype(dtype).name, **kwargs)

    # -- fluent forms of operators whose first input is not named ``data`` (MXNet 1.9.1's Symbol methods) --------
    def broadcast_like(self, *args, **kwargs):
        """mx.sym.broadcast_like with this symbol as lhs."""
        return _fluent("broadcast_like", self, *args, **kwargs)

    def one_hot(self, *args, **kwargs):
        """mx.sym.one_hot with this symbol as the indices."""
        return _fluent("one_hot", self, *args, **kwargs)

    def reshape_like(self, *args, **kwargs):
        """mx.sym.reshape_like with this symbol as lhs."""
        return _fluent("reshape_like", self, *args, **kwargs)

    def take(self, *args, **kwargs):
        """mx.sym.take with this symbol as a."""
        return _fluent("take", self, *args, **kwargs)

    def split_v2(self, *args, **kwargs):
        """mx.sym.split_v2 with this symbol as ary."""
        return split_v2(self, *args, **kwargs)

    # -- NDArray-only methods: MXNet raises NotImplementedForSymbol for these ------------------------------------
    def asnumpy(self):
        """Not available for a Symbol (NDArray only)."""
        raise NotImplementedForSymbol(self.asnumpy, None)

    def asscalar(self):
        """Not available for a Symbol (NDArray only)."""
        raise NotImplementedForSymbol(self.asscalar, None)

    def wait_to_read(self):
        """Not available for a Symbol (NDArray only)."""
        raise NotImplementedForSymbol(self.wait_to_read, None)

    def backward(self):
        """Not available for a Symbol (NDArray only): bind it and call Executor.backward."""
        raise NotImplementedForSymbol(self.backward, None)

    def detach(self):
        """Not available for a Symbol (NDArray only)."""
        raise NotImplementedForSymbol(self.detach, None)

    def copy(self):
        """Not available for a Symbol (NDArray only); ``copy.copy(symbol)`` copies the graph."""
        raise NotImplementedForSymbol(self.copy, None)

    def as_in_context(self):
        """Not available for a Symbol (NDArray only)."""
        raise NotImplementedForSymbol(self.as_in_context, None)

    def gradient(self, wrt):
        """Symbolic gradients are not implemented (as in MXNet 1.9.1): bind the symbol and use
        Executor.backward."""
        raise MXNetError("Symbol.gradient: not implemented (wrt=%s); bind the symbol and use Executor.backward"
                         % (list(wrt),))

    # -- subgraph backends: mxc registers none -------------------------------------------------------------------
    def get_backend_symbol(self, backend):
        """The symbol partitioned for a subgraph backend; mxc has no subgraph backends, so every name fails."""
        raise MXNetValueError("get_backend_symbol: subgraph backend %r is not found (mxc registers no subgraph "
                              "backends)" % (backend,))

    def optimize_for(self, backend, args=None, aux=None, ctx=None, shape_dict=None, type_dict=None, stype_dict=None,
                     skip_infer=False, **kwargs):
        """Partitions the symbol for ``backend``. mxc has no backends: as MXNet 1.9.1 does for an unknown backend,
        it reports the error (a warning) and returns the graph unchanged (a copy)."""
        warnings.warn("Error optimizing for backend %r: it cannot be found (mxc registers no subgraph backends); "
                      "the symbol is returned unchanged" % (backend,), RuntimeWarning, stacklevel=2)
        return self.__copy__()


def _fluent(name, *args, **kwargs):
    """Calls the registry function mx.sym.<name> (the fluent Symbol methods above)."""
    import sys
    return getattr(sys.modules[__name__.rsplit(".", 1)[0]], name)(*args, **kwargs)


# Operator functions by name (filled in by mxc.symbol.register).
_OP_FUNCS = {}


def _call_internal(opname, *args, **kwargs):
    fn = _OP_FUNCS.get(opname)
    if fn is None:
        raise MXNetValueError("operator %s is not registered in this build of the mxc library" % opname)
    return fn(*args, **kwargs)


def _create_atomic(op_name, keys, vals):
    n, ck, cv = c_params(keys, vals)
    out = _new_handle_ptr()
    check_call(lib.MXCSymbolCreateAtomic(c_str(op_name), n, ck, cv, out))
    return Symbol(out[0])


def Variable(name, attr=None, shape=None, lr_mult=None, wd_mult=None, dtype=None, init=None, stype=None, **kwargs):
    """A placeholder (argument) named ``name``.

    shape, dtype, init (an initializer or its JSON string), lr_mult and wd_mult become the node's ``__shape__``,
    ``__dtype__``, ``__init__``, ``__lr_mult__`` and ``__wd_mult__`` attributes; attr adds more (and the current
    ``mx.AttrScope``'s); further keyword arguments must be named ``__like_this__``."""
    if not isinstance(name, string_types):
        raise TypeError("Variable name must be a string, got %s" % type(name).__name__)
    out = _new_handle_ptr()
    check_call(lib.MXCSymbolCreateVariable(c_str(name), out))
    ret = Symbol(out[0])
    attr = _attribute.current().get(attr)
    if shape is not None:
        if isinstance(shape, integer_types):
            shape = (int(shape),)
        attr["__shape__"] = str(tuple(int(d) for d in shape))
    if lr_mult is not None:
        attr["__lr_mult__"] = str(lr_mult)
    if wd_mult is not None:
        attr["__wd_mult__"] = str(wd_mult)
    if dtype is not None:
        attr["__dtype__"] = str(dtype_code(dtype))
    if init is not None:
        if not isinstance(init, string_types):
            init = init.dumps()
        attr["__init__"] = init
    if stype is not None:
        # MXNet's storage type codes; the graph computes densely (a csr/row_sparse array bound or fed to the
        # variable is densified: mx.nd.sparse's storage fallback)
        codes = {"default": 0, "row_sparse": 1, "csr": 2}
        if stype not in codes:
            raise ValueError("invalid stype %r, valid values are: {'csr', 'default', 'row_sparse'}" % (stype,))
        attr["__storage_type__"] = str(codes[stype])
    for k, v in kwargs.items():
        if k.startswith("__") and k.endswith("__"):
            attr[k] = str(v)
        else:
            raise ValueError("attribute name=%s is not supported; additional attributes must start and end with "
                             "double underscores, e.g. __yourattr__" % k)
    ret._set_attr(**attr)
    return ret


var = Variable


def Group(symbols):
    """A symbol whose outputs are the outputs of all given symbols, in order."""
    symbols = list(symbols)
    if not symbols or any(not isinstance(s, Symbol) for s in symbols):
        raise TypeError("Group expects a non-empty list of Symbols")
    arr = ffi.new("MXCSymbolHandle[]", [s.handle for s in symbols])
    out = _new_handle_ptr()
    check_call(lib.MXCSymbolCreateGroup(len(symbols), arr, out))
    return Symbol(out[0])


def load(fname):
    """A symbol from a JSON file written by ``Symbol.save`` or by MXNet 1.x."""
    if not isinstance(fname, string_types):
        raise TypeError("fname must be a string")
    out = _new_handle_ptr()
    check_call(lib.MXCSymbolCreateFromFile(c_str(fname), out))
    return Symbol(out[0])


def load_json(json_str):
    """A symbol from a JSON string written by ``Symbol.tojson`` or by MXNet 1.x."""
    if not isinstance(json_str, string_types):
        raise TypeError("json_str must be a string")
    out = _new_handle_ptr()
    check_call(lib.MXCSymbolCreateFromJSON(c_str(json_str), out))
    return Symbol(out[0])


# -- hand-written operator helpers (as MXNet's mx.sym) ---------------------------------------------------------------
def zeros(shape, dtype=None, **kwargs):
    """A symbol of zeros of the given shape."""
    return _call_internal("_zeros", shape=shape, dtype=np.dtype(dtype or np.float32).name, **kwargs)


def ones(shape, dtype=None, **kwargs):
    """A symbol of ones of the given shape."""
    return _call_internal("_ones", shape=shape, dtype=np.dtype(dtype or np.float32).name, **kwargs)


def full(shape, val, dtype=None, **kwargs):
    """A symbol filled with ``val``."""
    return _call_internal("_full", shape=shape, value=val, dtype=np.dtype(dtype or np.float32).name, **kwargs)


def arange(start, stop=None, step=1.0, repeat=1, name=None, dtype=None):
    """Evenly spaced values in [start, stop)."""
    return _call_internal("_arange", start=start, stop=stop, step=step, repeat=repeat, name=name,
                          dtype=np.dtype(dtype or np.float32).name)


def eye(N, M=0, k=0, dtype=None, **kwargs):
    """A symbol of N rows and M columns (M=0: N) with ones on the k-th diagonal."""
    return _call_internal("_eye", N=N, M=M, k=k, dtype=np.dtype(dtype or np.float32).name, **kwargs)


def linspace(start, stop, num, endpoint=True, name=None, dtype=None):
    """A symbol of num evenly spaced values from start to stop (stop excluded when endpoint is False)."""
    return _call_internal("_linspace", start=start, stop=stop, num=num, endpoint=endpoint, name=name,
                          dtype=np.dtype(dtype or np.float32).name)


def _sym_or_scalar(left, right, op, op_scalar, rop_scalar, pyop, what):
    if isinstance(left, Symbol) and isinstance(right, Symbol):
        return _call_internal(op, left, right)
    if isinstance(left, Symbol) and isinstance(right, numeric_types):
        return _call_internal(op_scalar, left, scalar=right)
    if isinstance(left, numeric_types) and isinstance(right, Symbol):
        return _call_internal(rop_scalar, right, scalar=left)
    if isinstance(left, numeric_types) and isinstance(right, numeric_types):
        return pyop(left, right)
    raise TypeError("%s: expects Symbols or numbers, got %s and %s" % (what, type(left).__name__,
                                                                       type(right).__name__))


def pow(base, exp):  # noqa: A001  (MXNet's name)
    """base ** exp with symbols or numbers."""
    return _sym_or_scalar(base, exp, "_Power", "_PowerScalar", "_RPowerScalar", lambda a, b: a ** b, "pow")


power = pow


def maximum(left, right):
    """Elementwise maximum of symbols or numbers."""
    return _sym_or_scalar(left, right, "_Maximum", "_MaximumScalar", "_MaximumScalar", max, "maximum")


def minimum(left, right):
    """Elementwise minimum of symbols or numbers."""
    return _sym_or_scalar(left, right, "_Minimum", "_MinimumScalar", "_MinimumScalar", min, "minimum")


def hypot(left, right):
    """sqrt(left**2 + right**2) with symbols or numbers."""
    if isinstance(left, numeric_types) and isinstance(right, numeric_types):
        return float(np.hypot(left, right))
    if not isinstance(left, (Symbol,) + numeric_types) or not isinstance(right, (Symbol,) + numeric_types):
        raise TypeError("hypot: expects Symbols or numbers")
    return _call_internal("sqrt", left * left + right * right)


def split_v2(ary, indices_or_sections, axis=0, squeeze_axis=False):
    """Splits ary along axis into indices_or_sections equal parts (an int) or at the given indices (a tuple); a
    symbol with one output per part (mx.nd.split_v2)."""
    from ..ndarray.ndarray import _split_v2_params
    indices, sections = _split_v2_params(indices_or_sections)
    return _call_internal("_split_v2", ary, indices=indices, axis=axis, squeeze_axis=squeeze_axis, sections=sections)


def histogram(a, bins=10, range=None, **kwargs):  # noqa: A002  (MXNet's name)
    """Histogram of a: outputs (counts, bin edges). bins: a number of bins over range (required then), or a Symbol
    of bin edges."""
    if isinstance(bins, Symbol):
        return _call_internal("_histogram", a, bins, **kwargs)
    if isinstance(bins, int) and not isinstance(bins, bool):
        if range is None:
            raise ValueError("null range is not supported in symbol mode")
        return _call_internal("_histogram", a, bin_cnt=bins, range=tuple(range), **kwargs)
    raise ValueError("bins argument should be either an integer or an NDArray")
