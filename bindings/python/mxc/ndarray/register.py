"""Generates ``mx.nd.<op>`` for every operator of the registry at import time (closures, no generated source).

For each operator (and alias) listed by ``MXCListOps`` a function is built from its ``MXCOpInfo``:

* NDArray inputs positionally or by input name (``mx.nd.FullyConnected(data=x, weight=w, ...)``); variadic
  operators take any number of positional arrays (or one list) and get their count parameter (``num_args``) filled
  in;
* other positional arguments map to the parameters in declaration order (``mx.nd.sum(x, 1)`` is ``axis=1``);
* keyword parameters are converted to the strings the library parses (``base.param_str``);
* ``out=`` (an NDArray or a list) receives the results; ``name=`` is accepted and ignored (as MXNet's ndarray);
* operators without inputs take ``ctx=`` (default: the current context);
* the docstring and ``inspect.signature`` come from the operator's description and parameter docs.

``make_function(meta)`` is reusable (the symbolic module builds its own with ``meta`` from ``base.op_meta``).
"""
import inspect
import sys
import types

from ..base import ffi, c_params, param_str, op_meta, list_op_names, MXNetValueError, _cstr  # noqa: F401
from ..context import Context, current_context
from .ndarray import NDArray, invoke, _NotNDArray, _CPU0

_NULL = ffi.NULL


class _Required(object):
    """Signature default of a required parameter."""

    def __repr__(self):
        return "<required>"


REQUIRED = _Required()


def _py_default(s):
    """A parameter default string as a Python value (for signatures and docs)."""
    if s in ("None", ""):
        return None if s == "None" else ""
    if s in ("True", "true"):
        return True
    if s in ("False", "false"):
        return False
    try:
        return int(s)
    except ValueError:
        pass
    try:
        return float(s)
    except ValueError:
        pass
    if s.startswith("(") and s.endswith(")") or s.startswith("[") and s.endswith("]"):
        items = [x.strip() for x in s[1:-1].split(",") if x.strip()]
        try:
            return tuple(None if x == "None" else int(x) for x in items)
        except ValueError:
            return s
    return s


def build_doc(meta, func_name=None):
    """MXNet-style docstring from the operator's metadata."""
    lines = [meta.description.strip() or ("The %s operator." % meta.name), ""]
    names = [meta.name] + list(meta.aliases)
    if func_name is not None and func_name != meta.name:
        lines.append("``%s`` is an alias of ``%s``." % (func_name, meta.name))
        lines.append("")
    elif meta.aliases:
        lines.append("Aliases: %s." % ", ".join("``%s``" % a for a in meta.aliases))
        lines.append("")
    del names
    lines += ["Parameters", "----------"]
    if meta.key_var_num_args:
        iname = meta.input_names[0] if meta.input_names else "data"
        lines.append("%s : NDArray[]" % iname)
        if any(n == meta.key_var_num_args and r for n, r in zip(meta.param_names, meta.param_required)):
            lines.append("    Positional input arrays (any number; ``%s`` is set from their count)." %
                         meta.key_var_num_args)
        else:
            lines.append("    Positional input arrays (their number follows from ``%s``)." % meta.key_var_num_args)
    else:
        for n, aux in zip(meta.input_names, meta.input_is_aux):
            lines.append("%s : NDArray" % n)
            lines.append("    Input ``%s``%s." % (n, " (auxiliary state)" if aux else ""))
    for n, t, d, req, doc in zip(meta.param_names, meta.param_types, meta.param_defaults, meta.param_required,
                                 meta.param_docs):
        if req:
            lines.append("%s : %s, required" % (n, t))
        else:
            lines.append("%s : %s, optional, default=%s" % (n, t, d if d != "" else "''"))
        if doc:
            for dl in doc.strip().splitlines():
                lines.append("    " + dl)
    lines += ["out : NDArray, optional", "    The output NDArray to hold the result.", "",
              "Returns", "-------", "out : NDArray or list of NDArrays", "    The output of this function."]
    return "\n".join(lines)


def build_signature(meta):
    P = inspect.Parameter
    params = []
    if meta.key_var_num_args:
        params.append(P(meta.input_names[0] if meta.input_names else "data", P.VAR_POSITIONAL))
        kind = P.KEYWORD_ONLY
    else:
        for n in meta.input_names:
            params.append(P(n, P.POSITIONAL_OR_KEYWORD, default=None))
        kind = P.POSITIONAL_OR_KEYWORD
    for n, t, d, req in zip(meta.param_names, meta.param_types, meta.param_defaults, meta.param_required):
        if n == meta.key_var_num_args:
            continue
        if req:
            default = REQUIRED
        elif t == "boolean" and d in ("0", "1"):
            default = d == "1"
        else:
            default = _py_default(d)
        params.append(P(n, kind, default=default))
    params.append(P("out", P.KEYWORD_ONLY, default=None))
    params.append(P("name", P.KEYWORD_ONLY, default=None))
    params.append(P("kwargs", P.VAR_KEYWORD))
    return inspect.Signature(params)


def _ctx_of(ctx):
    if isinstance(ctx, Context):
        return ctx
    if isinstance(ctx, str):
        dev, _, rest = ctx.partition("(")
        return Context(dev, int(rest.rstrip(")") or 0))
    raise TypeError("ctx must be a Context, got %s" % type(ctx))


def make_function(meta, func_name=None):
    """The mx.nd function of an operator (an OpMeta from base.op_meta)."""
    op = meta.handle
    opname = meta.name
    input_names = meta.input_names
    nin = len(input_names)
    varg = meta.key_var_num_args
    # The count is filled in from the inputs when it is a required parameter (add_n's num_args); a count with a
    # default (multi_sgd_update's num_weights: groups of inputs) keeps it unless given, as in MXNet.
    varg_fill = bool(varg) and any(n == varg and r for n, r in zip(meta.param_names, meta.param_required))
    input_idx = {n: i for i, n in enumerate(input_names)}
    pos_params = tuple(p for p in meta.param_names if p != varg)
    takes_ctx = nin == 0 and not varg and "ctx" in meta.params

    def general(args, out, kwargs):
        ctx = None
        if varg:
            if len(args) == 1 and isinstance(args[0], (list, tuple)):
                args = tuple(args[0])
            inputs = list(args)
            for i, a in enumerate(inputs):
                if not isinstance(a, NDArray):
                    raise TypeError("operator %s: positional argument %d must be an NDArray, got %s (parameters "
                                    "are keyword arguments)" % (opname, i, type(a).__name__))
            if varg not in kwargs and varg_fill:
                kwargs[varg] = len(inputs)
        else:
            slots = [None] * nin
            extra = []
            for i, a in enumerate(args):
                if i < nin:
                    if a is not None and not isinstance(a, NDArray):
                        raise TypeError("operator %s: input '%s' must be an NDArray, got %s"
                                        % (opname, input_names[i], type(a).__name__))
                    slots[i] = a
                elif isinstance(a, NDArray):
                    raise TypeError("operator %s takes %d NDArray input(s) (%s), got more" %
                                    (opname, nin, ", ".join(input_names)))
                else:
                    extra.append(a)
            if len(extra) > len(pos_params):
                raise TypeError("operator %s: too many positional arguments (%d parameters: %s)" %
                                (opname, len(pos_params), ", ".join(pos_params)))
            for name, v in zip(pos_params, extra):
                if name in kwargs:
                    raise TypeError("operator %s got multiple values for argument '%s'" % (opname, name))
                kwargs[name] = v
            for k in [k for k in kwargs if k in input_idx]:
                v = kwargs.pop(k)
                i = input_idx[k]
                if v is None:
                    continue
                if not isinstance(v, NDArray):
                    raise TypeError("operator %s: input '%s' must be an NDArray, got %s"
                                    % (opname, k, type(v).__name__))
                if slots[i] is not None:
                    raise TypeError("operator %s got multiple values for input '%s'" % (opname, k))
                slots[i] = v
            n = nin
            while n > 0 and slots[n - 1] is None:
                n -= 1
            for i in range(n):
                # An optional input switched on by a parameter use_<input> (CTCLoss's data_lengths) may be left out.
                if slots[i] is None and "use_" + input_names[i] not in meta.params:
                    raise MXNetValueError("operator %s: input '%s' is missing (inputs: %s)"
                                          % (opname, input_names[i], ", ".join(input_names)))
            inputs = [a for a in slots[:n] if a is not None]
        if "ctx" in kwargs:
            c = kwargs.pop("ctx")
            ctx = None if c is None else _ctx_of(c)
        if takes_ctx:
            if ctx is None:
                ctx = current_context()
            kwargs["ctx"] = str(ctx)
        elif ctx is not None:
            raise TypeError("operator %s: ctx is only accepted by operators without inputs (it takes the device of "
                            "its inputs)" % opname)
        if kwargs:
            keys = [k for k, v in kwargs.items() if v is not REQUIRED]
            n, ck, cv = c_params(keys, [kwargs[k] for k in keys])
        else:
            n, ck, cv = 0, _NULL, _NULL
        res = invoke(op, inputs, out, n, ck, cv)
        if takes_ctx and out is None and ctx != _CPU0:
            # Operators without inputs run on cpu(0); move the result to the requested device.
            if isinstance(res, list):
                res = [r.copyto(ctx) for r in res]
            else:
                res = res.copyto(ctx)
        return res

    if varg or takes_ctx:
        def fn(*args, out=None, name=None, **kwargs):
            return general(args, out, kwargs)
    else:
        def fn(*args, out=None, name=None, **kwargs):
            if not kwargs and len(args) == nin:
                try:
                    return invoke(op, args, out)
                except _NotNDArray:
                    pass
            return general(args, out, kwargs)

    fn.__name__ = func_name or opname
    fn.__qualname__ = fn.__name__
    fn.__doc__ = build_doc(meta, func_name)
    fn.__signature__ = build_signature(meta)
    fn.__module__ = "mxc.ndarray"
    fn.op_meta = meta
    return fn


def _make_method(fn, name):
    def method(self, *args, **kwargs):
        return fn(self, *args, **kwargs)
    method.__name__ = name
    method.__qualname__ = "NDArray." + name
    method.__doc__ = fn.__doc__
    return method


def _submodule(parent, name):
    full = parent.__name__ + "." + name
    mod = sys.modules.get(full)
    if mod is None:
        mod = types.ModuleType(full, "Operators %s.* generated from the registry." % full)
        sys.modules[full] = mod
        setattr(parent, name, mod)
    return mod


def register_all(nd_module, internal_module, random_module, contrib_module, keep=(),
                 linalg_module=None, image_module=None):
    """Attaches a function per operator name and alias to the modules and method forms to NDArray.

    Names already defined in ``nd_module`` by hand (``keep``) are not overwritten. Names starting with ``_`` also go
    to ``internal_module``; ``_random_<x>`` and ``_sample_<x>`` also to ``random_module`` as ``<x>`` (unless
    defined there), ``_contrib_<x>`` to ``contrib_module`` as ``<x>``, ``_linalg_<x>`` to ``linalg_module`` and
    ``_image_<x>`` to ``image_module`` (when given). Lower-case public names become NDArray
    methods (``x.sum(axis=1)``) when their first input is ``data`` (or they are variadic), unless NDArray already
    has that attribute."""
    count = 0
    for canonical in list_op_names():
        meta = op_meta(canonical)
        for name in (canonical,) + meta.aliases:
            fn = make_function(meta, name)
            count += 1
            if name not in keep:
                setattr(nd_module, name, fn)
            if name.startswith("_"):
                setattr(internal_module, name, fn)
                for prefix, mod in (("_random_", random_module), ("_sample_", random_module),
                                    ("_contrib_", contrib_module), ("_linalg_", linalg_module),
                                    ("_image_", image_module)):
                    if mod is not None and name.startswith(prefix):
                        short = name[len(prefix):]
                        if not hasattr(mod, short):
                            setattr(mod, short, fn)
            elif name[0].islower() and not hasattr(NDArray, name) and meta.input_names and \
                    (meta.input_names[0] == "data" or meta.key_var_num_args):
                setattr(NDArray, name, _make_method(fn, name))
    return count
