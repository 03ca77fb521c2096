"""Executors: a symbol bound to arrays (``Symbol.bind`` / ``Symbol.simple_bind``), as MXNet 1.x.

The bound arrays are used in place: ``executor.arg_dict['data'][:] = batch`` is seen by the next ``forward``, and
gradients are written into the arrays handed over as ``args_grad``. ``forward`` and ``backward`` are one call into
the library each (the whole graph runs there, planned by its memory planner); both return at once and the results
are waited for where they are read (``asnumpy()``, ``wait_to_read()``).
"""
import numpy as np

from .base import ffi, lib, check_call, py_str, string_types, MXNetValueError
from .context import Context
from .ndarray import NDArray, zeros as _nd_zeros

__all__ = ["Executor"]

_NULL = ffi.NULL
_GRAD_REQ = {"null": lib.MXC_GRAD_NULL, "write": lib.MXC_GRAD_WRITE, "inplace": lib.MXC_GRAD_INPLACE,
             "add": lib.MXC_GRAD_ADD}
_FORWARD = lib.MXCExecutorForward
_BACKWARD = lib.MXCExecutorBackward


def _ndarray_list(what, values, names, allow_missing):
    """A list (in `names` order) of NDArrays from a list or a dict; None where missing (when allowed)."""
    if values is None:
        values = [] if not names or not allow_missing else {}
    if isinstance(values, (list, tuple)):
        if len(values) != len(names):
            raise ValueError("%s: %d arrays given for %d names (%s)" % (what, len(values), len(names),
                                                                        ", ".join(names)))
        out = list(values)
    elif isinstance(values, dict):
        out = []
        for n in names:
            if n in values:
                out.append(values[n])
            elif allow_missing:
                out.append(None)
            else:
                raise ValueError("%s: the array of %r is missing (needed: %s)" % (what, n, ", ".join(names)))
        unknown = [k for k in values if k not in names]
        if unknown:
            raise ValueError("%s: %s not among the names (%s)" % (what, ", ".join(map(repr, unknown)),
                                                                  ", ".join(names)))
    else:
        raise TypeError("%s must be a list of NDArrays or a dict of str to NDArray" % what)
    for n, a in zip(names, out):
        if a is None:
            if not allow_missing:
                raise ValueError("%s: the array of %r is None" % (what, n))
        elif not isinstance(a, NDArray):
            raise TypeError("%s: the value of %r must be an NDArray, got %s" % (what, n, type(a).__name__))
    return out


def _grad_reqs(grad_req, names):
    if isinstance(grad_req, string_types):
        reqs = [grad_req] * len(names)
    elif isinstance(grad_req, (list, tuple)):
        if len(grad_req) != len(names):
            raise ValueError("grad_req: %d values for %d arguments" % (len(grad_req), len(names)))
        reqs = list(grad_req)
    elif isinstance(grad_req, dict):
        unknown = [k for k in grad_req if k not in names]
        if unknown:
            raise ValueError("grad_req: %s not among the arguments (%s)" % (", ".join(map(repr, unknown)),
                                                                           ", ".join(names)))
        reqs = [grad_req.get(n, "null") for n in names]
    else:
        raise TypeError("grad_req must be a string, a list or a dict")
    for r in reqs:
        if r not in _GRAD_REQ:
            raise ValueError("grad_req must be 'null', 'write', 'add' or 'inplace', got %r" % (r,))
    return reqs


class Executor(object):
    """A symbol bound to arrays on one device. Create with ``Symbol.bind`` or ``Symbol.simple_bind``.

    Attributes: ``arg_arrays``, ``grad_arrays`` (None where no gradient), ``aux_arrays``, ``outputs`` (the same
    arrays after every forward) and the dicts ``arg_dict``, ``grad_dict``, ``aux_dict``, ``output_dict``;
    ``executor['name']`` is ``arg_dict['name']``.
    """

    def __init__(self, handle, symbol, ctx, grad_req, group2ctx, arg_arrays, grad_arrays, aux_arrays):
        self.handle = handle
        self._symbol = symbol
        self._ctx = ctx
        self._grad_req = grad_req
        self._group2ctx = group2ctx
        self.arg_arrays = arg_arrays
        self.grad_arrays = grad_arrays
        self.aux_arrays = aux_arrays
        self._arg_names = symbol.list_arguments()
        self._aux_names = symbol.list_auxiliary_states()
        self._output_names = symbol.list_outputs()
        num = ffi.new("int *")
        outs = ffi.new("MXCNDArrayHandle **")
        check_call(lib.MXCExecutorOutputs(handle, num, outs))
        self.outputs = [NDArray(outs[0][i]) for i in range(num[0])]
        self._arg_dict = None
        self._grad_dict = None
        self._aux_dict = None
        self._output_dict = None
        self._monitor_callback = None

    def __del__(self, _free=lib.MXCExecutorFree):
        h = getattr(self, "handle", None)
        if h is not None:
            self.handle = None
            _free(h)

    # -- creation --------------------------------------------------------------------------------------------------
    @staticmethod
    def _bind(symbol, ctx, args, args_grad, grad_req, aux_states, group2ctx, shared_exec):
        if not isinstance(ctx, Context):
            raise TypeError("ctx must be a Context, got %s" % type(ctx).__name__)
        if shared_exec is not None and not isinstance(shared_exec, Executor):
            raise TypeError("shared_exec must be an Executor")
        arg_names = symbol.list_arguments()
        aux_names = symbol.list_auxiliary_states()
        arg_arrays = _ndarray_list("args", args, arg_names, False)
        if args_grad is None:
            grad_arrays = [None] * len(arg_names)
        else:
            grad_arrays = _ndarray_list("args_grad", args_grad, arg_names, True)
        aux_arrays = _ndarray_list("aux_states", aux_states, aux_names, False)
        reqs = _grad_reqs(grad_req, arg_names)
        # A graph with loops or conditions is bound unrolled for these arrays' shapes by the core.
        n = len(arg_arrays)
        c_args = ffi.new("MXCNDArrayHandle[]", [a.handle for a in arg_arrays]) if n else _NULL
        c_grads = ffi.new("MXCNDArrayHandle[]", [g.handle if g is not None else _NULL for g in grad_arrays]) \
            if n else _NULL
        c_reqs = ffi.new("int[]", [_GRAD_REQ[r] if g is not None else lib.MXC_GRAD_NULL
                                   for r, g in zip(reqs, grad_arrays)]) if n else _NULL
        c_aux = ffi.new("MXCNDArrayHandle[]", [a.handle for a in aux_arrays]) if aux_arrays else _NULL
        out = ffi.new("MXCExecutorHandle *")
        check_call(lib.MXCExecutorBind(symbol.handle, ctx.c_devtype, ctx.device_id, n, c_args, c_grads, c_reqs,
                                       len(aux_arrays), c_aux, shared_exec.handle if shared_exec else _NULL, out))
        grad_req_kept = grad_req if not isinstance(grad_req, (list, tuple)) else list(grad_req)
        return Executor(out[0], symbol.__copy__(), ctx, grad_req_kept, group2ctx, arg_arrays, grad_arrays,
                        aux_arrays)

    @staticmethod
    def _simple_bind(symbol, ctx, grad_req, type_dict, shared_arg_names, shared_exec, shapes):
        if not isinstance(ctx, Context):
            raise TypeError("ctx must be a Context, got %s" % type(ctx).__name__)
        arg_names = symbol.list_arguments()
        aux_names = symbol.list_auxiliary_states()
        arg_shapes, _, aux_shapes, complete = symbol._infer_shape_impl(True, **shapes)
        if not complete:
            unknown = ["%s: %s" % (n, s) for n, s in zip(arg_names + aux_names, arg_shapes + aux_shapes)
                       if not s or 0 in s]
            raise MXNetValueError("simple_bind: the given shapes %s do not determine these shapes: %s"
                                  % (shapes, "; ".join(unknown)))
        arg_types, _, aux_types = symbol.infer_type_partial(**(type_dict or {}))
        arg_types = [t if t is not None else np.float32 for t in arg_types]
        aux_types = [t if t is not None else np.float32 for t in aux_types]
        reqs = _grad_reqs(grad_req, arg_names)
        shared_args, shared_grads, shared_aux = {}, {}, {}
        if shared_exec is not None:
            if not isinstance(shared_exec, Executor):
                raise TypeError("shared_exec must be an Executor")
            allowed = set(shared_arg_names) if shared_arg_names is not None else None
            shared_args = {k: v for k, v in shared_exec.arg_dict.items() if allowed is None or k in allowed}
            shared_grads = {k: v for k, v in shared_exec.grad_dict.items() if allowed is None or k in allowed}
            shared_aux = shared_exec.aux_dict

        def reuse(pool, name, shape, dtype):
            a = pool.get(name)
            if a is not None and tuple(a.shape) == tuple(shape) and np.dtype(a.dtype) == np.dtype(dtype):
                return a
            return None

        def get(pool, name, shape, dtype):
            a = reuse(pool, name, shape, dtype)
            return a if a is not None else _nd_zeros(shape, ctx=ctx, dtype=dtype)

        args, grads, aux = [], [], []
        for name, shape, dtype, req in zip(arg_names, arg_shapes, arg_types, reqs):
            args.append(get(shared_args, name, shape, dtype))
            grads.append(None if req == "null" else get(shared_grads, name, shape, dtype))
        for name, shape, dtype in zip(aux_names, aux_shapes, aux_types):
            aux.append(get(shared_aux, name, shape, dtype))
        return Executor._bind(symbol, ctx, args, grads, reqs, aux, None, shared_exec)

    # -- running ---------------------------------------------------------------------------------------------------
    def forward(self, is_train=False, **kwargs):
        """Runs the graph forward (asynchronously). Keyword arguments copy values (NDArrays or NumPy arrays) into
        the argument arrays of those names first. ``is_train`` enables training behaviour (Dropout, BatchNorm
        batch statistics). Returns ``outputs``."""
        if kwargs:
            arg_dict = self.arg_dict
            for name, value in kwargs.items():
                if name not in arg_dict:
                    raise TypeError("unknown argument %r (arguments: %s)" % (name, ", ".join(self._arg_names)))
                if not isinstance(value, (NDArray, np.ndarray)):
                    raise ValueError("forward: keyword arguments must be NDArrays or numpy arrays, got %s for %r"
                                     % (type(value).__name__, name))
                dst = arg_dict[name]
                if tuple(dst.shape) != tuple(value.shape):
                    raise ValueError("forward: %r has shape %s, the bound array %s" % (name, tuple(value.shape),
                                                                                       tuple(dst.shape)))
                dst[:] = value
        check_call(_FORWARD(self.handle, 1 if is_train else 0))
        if self._monitor_callback is not None:
            for name, arr in zip(self._output_names, self.outputs):
                self._monitor_callback(name, arr)
        return self.outputs

    def backward(self, out_grads=None, is_train=True):
        """Runs backward: gradients go into the ``grad_arrays`` according to grad_req. out_grads: one head gradient
        per output (a list, a dict by output name, or an NDArray for a single output); not needed for loss outputs
        such as SoftmaxOutput."""
        if out_grads is None:
            check_call(_BACKWARD(self.handle, 0, _NULL))
            return
        if isinstance(out_grads, NDArray):
            out_grads = [out_grads]
        elif isinstance(out_grads, dict):
            out_grads = [out_grads.get(n) for n in self._output_names]
        out_grads = list(out_grads)
        for g in out_grads:
            if g is not None and not isinstance(g, NDArray):
                raise TypeError("backward: head gradients must be NDArrays, got %s" % type(g).__name__)
        hs = ffi.new("MXCNDArrayHandle[]", [g.handle if g is not None else _NULL for g in out_grads]) \
            if out_grads else _NULL
        check_call(_BACKWARD(self.handle, len(out_grads), hs))

    def get_optimized_symbol(self):
        """The graph the executor runs, as a Symbol (MXNet 1.9.1's get_optimized_symbol). mxc binds the graph as
        it is (no subgraph backend rewrites it), so this is a copy of the bound symbol."""
        import copy
        return copy.copy(self._symbol)

    def set_monitor_callback(self, callback, monitor_all=False):
        """Calls ``callback(name, array)`` for each output after every forward (intermediate values stay inside the
        library's plan; bind ``symbol.get_internals()`` to watch them)."""
        self._monitor_callback = callback

    # -- arrays by name ----------------------------------------------------------------------------------------------
    @property
    def arg_dict(self):
        """Argument name -> bound array."""
        if self._arg_dict is None:
            self._arg_dict = dict(zip(self._arg_names, self.arg_arrays))
        return self._arg_dict

    @property
    def grad_dict(self):
        """Argument name -> gradient array (arguments without gradient are left out)."""
        if self._grad_dict is None:
            self._grad_dict = {n: g for n, g in zip(self._arg_names, self.grad_arrays) if g is not None}
        return self._grad_dict

    @property
    def aux_dict(self):
        """Auxiliary state name -> bound array."""
        if self._aux_dict is None:
            self._aux_dict = dict(zip(self._aux_names, self.aux_arrays))
        return self._aux_dict

    @property
    def output_dict(self):
        """Output name -> output array."""
        if self._output_dict is None:
            self._output_dict = dict(zip(self._output_names, self.outputs))
        return self._output_dict

    def __getitem__(self, name):
        """The bound array of an argument (the seed's ``executor['A'][:] = ...``)."""
        try:
            return self.arg_dict[name]
        except KeyError:
            raise KeyError("no argument %r (arguments: %s)" % (name, ", ".join(self._arg_names))) from None

    def copy_params_from(self, arg_params, aux_params=None, allow_extra_params=False):
        """Copies values into the bound arrays by name (converting dtypes); names that are not arguments (or
        auxiliary states) are errors unless allow_extra_params."""
        for name, array in arg_params.items():
            if name in self.arg_dict:
                dst = self.arg_dict[name]
                array.astype(dst.dtype).copyto(dst)
            elif not allow_extra_params:
                raise ValueError("%r is not an argument of the executor (arguments: %s)"
                                 % (name, ", ".join(self._arg_names)))
        if aux_params is None:
            return
        for name, array in aux_params.items():
            if name in self.aux_dict:
                dst = self.aux_dict[name]
                array.astype(dst.dtype).copyto(dst)
            elif not allow_extra_params:
                raise ValueError("%r is not an auxiliary state of the executor (auxiliary states: %s)"
                                 % (name, ", ".join(self._aux_names)))

    def reshape(self, partial_shaping=False, allow_up_sizing=False, **kwargs):
        """A new executor for other input shapes, sharing this one's arrays (views of them when smaller) and its
        memory pool. Arguments whose shape changes without being named are errors unless partial_shaping; growing
        an array needs allow_up_sizing (a new array is allocated then)."""
        arg_shapes, _, aux_shapes = self._symbol.infer_shape(**kwargs)
        if arg_shapes is None:
            raise ValueError("reshape: the given shapes %s do not determine every argument's shape" % (kwargs,))

        def view_or_new(name, arr, shape, what):
            shape = tuple(shape)
            if shape == tuple(arr.shape):
                return arr
            if not (partial_shaping or name in kwargs):
                raise ValueError("reshape: the shape of %s %r changes from %s to %s although it was not given; pass "
                                 "partial_shaping=True if this is intended" % (what, name, tuple(arr.shape), shape))
            size = int(np.prod(shape))
            if size > arr.size:
                if not allow_up_sizing:
                    raise ValueError("reshape: %s %r grows from %s to %s; pass allow_up_sizing=True to allocate a "
                                     "new array (binding the large executor first and sizing down is cheaper)"
                                     % (what, name, tuple(arr.shape), shape))
                return _nd_zeros(shape, ctx=arr.context, dtype=arr.dtype)
            return arr.reshape((-1,))[:size].reshape(shape)

        new_args, new_grads, new_aux = {}, {}, {}
        for name, arr, grad, shape in zip(self._arg_names, self.arg_arrays, self.grad_arrays, arg_shapes):
            new_args[name] = view_or_new(name, arr, shape, "argument")
            if grad is not None:
                new_grads[name] = view_or_new(name, grad, shape, "gradient of")
        for name, arr, shape in zip(self._aux_names, self.aux_arrays, aux_shapes):
            new_aux[name] = view_or_new(name, arr, shape, "auxiliary state")
        return Executor._bind(self._symbol, self._ctx, new_args, new_grads or None, self._grad_req, new_aux,
                              self._group2ctx, self)

    # -- inspection ------------------------------------------------------------------------------------------------
    def debug_str(self):
        """The bound graph with shapes, the execution plan and the memory lines ("Total ... MB allocated")."""
        out = ffi.new("const char **")
        check_call(lib.MXCExecutorPrint(self.handle, out))
        return py_str(out[0])

    def memory_stats(self):
        """(planned, unplanned): bytes of internal storage with the memory planner and with one buffer per value."""
        p = ffi.new("int64_t *")
        u = ffi.new("int64_t *")
        check_call(lib.MXCExecutorMemoryStats(self.handle, p, u))
        return int(p[0]), int(u[0])
