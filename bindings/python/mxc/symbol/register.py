"""Generates ``mx.sym.<op>`` for every operator (and alias) of the registry at import time (closures).

A generated function takes

* its symbol inputs positionally or by input name (``mx.sym.FullyConnected(data=x, weight=w, num_hidden=10)``);
  a variadic operator (``Concat``, ``add_n``) takes any number of positional symbols (or one list) and gets its
  count parameter filled in;
* other positional arguments as parameters in declaration order, keyword arguments as parameters;
* ``name=`` (default: from the current ``mx.name.NameManager`` with the function's name lowercased as hint, so
  ``mx.sym.FullyConnected`` gives ``fullyconnected0``) and ``attr=`` (a dict of string attributes, merged over the
  current ``mx.AttrScope``).

Inputs not given become variables named ``<name>_<input>`` (``fc1_weight``); auxiliary states likewise.
"""
import inspect
import sys
import types

from ..base import op_meta, list_op_names, MXNetValueError
from .. import name as _name
from .. import attribute as _attribute
from . import symbol as _symbol
from .symbol import Symbol, _create_atomic


def _doc(meta, func_name):
    lines = [meta.description.strip() or ("The %s operator." % meta.name), ""]
    if func_name != meta.name:
        lines += ["``%s`` is an alias of ``%s``." % (func_name, meta.name), ""]
    lines += ["Parameters", "----------"]
    if meta.key_var_num_args:
        filled = any(n == meta.key_var_num_args and r for n, r in zip(meta.param_names, meta.param_required))
        lines += ["%s : Symbol[]" % (meta.input_names[0] if meta.input_names else "data"),
                  ("    Positional input symbols (``%s`` is set from their count)." if filled else
                   "    Positional input symbols (their number follows from ``%s``).") % meta.key_var_num_args]
    else:
        for n, aux in zip(meta.input_names, meta.input_is_aux):
            lines += ["%s : Symbol, optional" % n,
                      "    Input ``%s``%s (a variable ``<name>_%s`` is created when not given)."
                      % (n, " (auxiliary state)" if aux else "", n)]
    for n, t, d, req, doc in zip(meta.param_names, meta.param_types, meta.param_defaults, meta.param_required,
                                 meta.param_docs):
        lines.append("%s : %s, %s" % (n, t, "required" if req else "optional, default=%s" % (d if d else "''")))
        if doc:
            lines += ["    " + x for x in doc.strip().splitlines()]
    lines += ["name : str, optional", "    Name of the node (default: from mx.name.NameManager).",
              "attr : dict of str to str, optional", "    Attributes of the node.", "", "Returns", "-------",
              "Symbol"]
    return "\n".join(lines)


def _signature(meta):
    P = inspect.Parameter
    params = []
    if meta.key_var_num_args:
        params.append(P(meta.input_names[0] if meta.input_names else "data", P.VAR_POSITIONAL))
        kind = P.KEYWORD_ONLY
    else:
        params += [P(n, P.POSITIONAL_OR_KEYWORD, default=None) for n in meta.input_names]
        kind = P.POSITIONAL_OR_KEYWORD
    for n, d, req in zip(meta.param_names, meta.param_defaults, meta.param_required):
        if n != meta.key_var_num_args:
            params.append(P(n, kind, default=P.empty if req and kind == P.KEYWORD_ONLY else (None if req else d)))
    params += [P("name", P.KEYWORD_ONLY, default=None), P("attr", P.KEYWORD_ONLY, default=None),
               P("kwargs", P.VAR_KEYWORD)]
    try:
        return inspect.Signature(params)
    except ValueError:
        return None


def make_function(meta, func_name, hint=None):
    """The mx.sym function of an operator (``meta`` from ``base.op_meta``) under the name ``func_name``; nodes it
    creates without ``name=`` are named from ``hint`` (default: ``func_name``), lowercased."""
    opname = meta.name
    input_names = meta.input_names
    nin = len(input_names)
    varg = meta.key_var_num_args
    # The count is filled in from the inputs when it is a required parameter (add_n's num_args); a count with a
    # default (multi_sgd_update's num_weights: groups of inputs) keeps it unless given, as in MXNet.
    varg_fill = bool(varg) and any(n == varg and r for n, r in zip(meta.param_names, meta.param_required))
    pos_params = tuple(p for p in meta.param_names if p != varg)
    hint = (hint or func_name).lower()

    def fn(*args, **kwargs):
        name = kwargs.pop("name", None)
        attr = dict(kwargs.pop("attr", None) or {})
        # as MXNet: keyword arguments named __like_this__ are attributes of the node, not parameters
        attr.update((k, str(kwargs.pop(k))) for k in [k for k in kwargs if k.startswith("__") and k.endswith("__")])
        syms = {}
        positional = []
        if varg:
            if len(args) == 1 and isinstance(args[0], (list, tuple)):
                args = tuple(args[0])
            for i, a in enumerate(args):
                if not isinstance(a, Symbol):
                    raise TypeError("operator %s: positional argument %d must be a Symbol, got %s (parameters are "
                                    "keyword arguments)" % (opname, i, type(a).__name__))
            positional = list(args)
            for k in [k for k, v in kwargs.items() if isinstance(v, Symbol)]:
                raise TypeError("operator %s takes its inputs positionally, got a Symbol for %r" % (opname, k))
            if varg not in kwargs and varg_fill:
                kwargs[varg] = len(positional)
        else:
            extra = []
            for i, a in enumerate(args):
                if isinstance(a, Symbol):
                    if extra or i >= nin:
                        raise TypeError("operator %s takes %d symbol input(s) (%s) before its parameters"
                                        % (opname, nin, ", ".join(input_names)))
                    syms[input_names[i]] = a
                elif a is None and i < nin and not extra:
                    continue
                else:
                    extra.append(a)
            if len(extra) > len(pos_params):
                raise TypeError("operator %s: too many positional arguments (parameters: %s)"
                                % (opname, ", ".join(pos_params)))
            for pname, v in zip(pos_params, extra):
                if pname in kwargs:
                    raise TypeError("operator %s got multiple values for argument '%s'" % (opname, pname))
                kwargs[pname] = v
            for k in list(kwargs):
                v = kwargs[k]
                if isinstance(v, Symbol):
                    if k in syms:
                        raise TypeError("operator %s got multiple values for input '%s'" % (opname, k))
                    syms[k] = kwargs.pop(k)
                elif v is None and k in input_names:
                    del kwargs[k]
        keys = list(kwargs)
        s = _create_atomic(func_name, keys, [kwargs[k] for k in keys])
        node_name = _name.current().get(name, hint)
        if varg:
            s._compose(*positional, name=node_name)
        else:
            s._compose(name=node_name, **syms)
        attrs = _attribute.current().get(attr)
        if attrs:
            s._set_attr(**attrs)
        return s

    fn.__name__ = func_name
    fn.__qualname__ = func_name
    fn.__doc__ = _doc(meta, func_name)
    sig = _signature(meta)
    if sig is not None:
        fn.__signature__ = sig
    fn.__module__ = "mxc.symbol"
    fn.op_meta = meta
    return fn


def _make_method(fn, name):
    def method(self, *args, **kwargs):
        return fn(self, *args, **kwargs)
    method.__name__ = name
    method.__qualname__ = "Symbol." + name
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


def register_all(sym_module, internal_module, random_module, contrib_module, keep=(),
                 linalg_module=None, image_module=None):
    """Attaches a function per operator name and alias (``keep``: names defined by hand, left alone); names
    starting with ``_`` also go to ``internal_module``, ``_random_<x>``/``_sample_<x>`` to ``random_module`` as
    ``<x>``, ``_contrib_<x>`` to ``contrib_module``, ``_linalg_<x>`` to ``linalg_module``, ``_image_<x>`` to
    ``image_module`` (when given); lower-case
    operators whose first input is ``data`` (or that
    are variadic) become Symbol methods (``s.sum(axis=1)``) unless Symbol has that attribute."""
    count = 0
    for canonical in list_op_names():
        meta = op_meta(canonical)
        for fname in (canonical,) + meta.aliases:
            fn = make_function(meta, fname)
            _symbol._OP_FUNCS[fname] = fn
            count += 1
            if fname not in keep:
                setattr(sym_module, fname, fn)
            if fname.startswith("_"):
                setattr(internal_module, fname, fn)
                for prefix, mod in (("_random_", random_module), ("_sample_", random_module),
                                    ("_contrib_", contrib_module), ("_linalg_", linalg_module),
                                    ("_image_", image_module)):
                    if mod is not None and fname.startswith(prefix) and not hasattr(mod, fname[len(prefix):]):
                        short = fname[len(prefix):]
                        # as MXNet 1.9.1: mx.sym.contrib.box_nms names its nodes box_nms0, mx.sym.linalg.gemm2
                        # gemm20 (mx.sym.random.uniform keeps _random_uniform0)
                        setattr(mod, short, fn if mod is random_module else make_function(meta, fname, short))
            elif fname[0].islower() and not hasattr(Symbol, fname) and meta.input_names and \
                    (meta.input_names[0] == "data" or meta.key_var_num_args):
                setattr(Symbol, fname, _make_method(fn, fname))
    return count


def _unknown(opname):
    raise MXNetValueError("operator %s is not registered" % opname)
