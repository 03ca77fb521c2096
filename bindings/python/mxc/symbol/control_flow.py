"""Symbolic control flow: ``mx.sym.contrib.foreach``, ``while_loop`` and ``cond`` (MXNet 1.9.1's subgraph
operators ``_foreach``, ``_while_loop`` and ``_cond``).

Tracing. Each function calls the Python functions it is given once, on new Variables standing for the loop's
slices, states or loop variables (named ``<symbol name>-<output index>`` as MXNet names them), inside
``AttrScope(__subgraph_name__=<foreach0, ...>)``. What they return is cut into a subgraph: the nodes made in that
scope stay in it; Variables and nodes made outside (weights, values computed before the loop) become inputs of the
control-flow node, so that ``list_arguments()`` of the result lists them as MXNet does. The node, with its
subgraphs and the attributes MXNet writes (``num_args``, ``num_outputs``, the ``*_locs``), is made through the
library's JSON reader, so ``tojson``/``load_json`` carry MXNet's format both ways.

Running. The core runs such graphs for every binding (core/subgraph_unroll.cc): shape and type inference, executor
bind and ``mx.nd.CachedOp`` (what Gluon's hybridize runs) unroll the control-flow nodes, once the shapes of their
inputs are known, into ordinary nodes -- ``_foreach``: one copy of the body per step between ``split`` and
``stack``; ``_while_loop``: ``max_iterations`` steps with a running "still looping" mask (rows of the step outputs
past the last step are zeros here, undefined in MXNet); ``_cond``: both branches, picked by ``where``. The Symbol
itself keeps its control-flow nodes (``list_arguments``, ``tojson`` unchanged).
"""
import json

from ..base import MXNetTypeError, MXNetValueError
from ..ndarray.control_flow import _regroup  # the structure of _flatten's layout, whatever the leaves

__all__ = ["foreach", "while_loop", "cond"]


# -- structures ------------------------------------------------------------------------------------------------------
def _sym_class():
    from .symbol import Symbol
    return Symbol


def _flatten(value, fname, what):
    Symbol = _sym_class()
    if isinstance(value, Symbol):
        return [value], 0
    if not isinstance(value, (list, tuple)):
        raise MXNetTypeError("%s: %s must be a Symbol or a (nested) list of Symbols, but got %s"
                             % (fname, what, type(value).__name__))
    flat, layout = [], []
    for item in value:
        f, lay = _flatten(item, fname, what)
        flat.extend(f)
        layout.append(lay)
    return flat, layout


def _check_single(sym, fname, what):
    if len(sym.list_outputs()) != 1:
        raise MXNetValueError("%s: %s must be Symbols of one output each, but one has outputs %s"
                              % (fname, what, sym.list_outputs()))


def _uniq_name(sym):
    """MXNet's name of the Variable standing for ``sym`` in a subgraph: ``<name>-<output index>``."""
    out = sym.list_outputs()[0]
    name = sym.name
    index = 0
    rest = out[len(name):] if out.startswith(name) else ""
    if rest.startswith("_output") and rest[len("_output"):].isdigit():
        index = int(rest[len("_output"):])
    return "%s-%d" % (name, index)


# -- tracing ---------------------------------------------------------------------------------------------------------
def _trace(fn, in_syms, sub_name, fname):
    """Calls ``fn`` on new Variables named after ``in_syms`` inside the attribute scope of the subgraph; returns
    (the new Variables, the value ``fn`` returned)."""
    from .. import attribute
    from .symbol import Variable
    with attribute.AttrScope(__subgraph_name__=sub_name):
        new_vars = [Variable(_uniq_name(s)) for s in in_syms]
        return new_vars, fn(new_vars)


def _heads_group(heads, sub_name):
    """Group of the subgraph's heads; a head that is a Variable, was made outside the subgraph or repeats an
    earlier head is copied (``identity``), as MXNet does, so each head is a node of the subgraph of its own."""
    from .. import attribute
    from . import symbol as _s
    from .. import symbol as _ops
    fixed, seen = [], set()
    with attribute.AttrScope(__subgraph_name__=sub_name):
        for h in heads:
            key = h.list_outputs()[0]
            if h.get_children() is None or h.attr("__subgraph_name__") != sub_name or key in seen:
                h = _ops.identity(h)
                key = h.list_outputs()[0]
            seen.add(key)
            fixed.append(h)
    return _s.Group(fixed)


def _cut(group, sub_name):
    """Cuts the graph of ``group`` where nodes were made outside the subgraph ``sub_name``: returns (the subgraph's
    JSON object, its inputs as (name, outer Symbol) in the subgraph's input order)."""
    graph = json.loads(group.tojson())
    nodes = graph["nodes"]
    internals = group.get_internals()
    by_entry = {}
    count = {}
    names = internals.list_outputs()
    for k in range(len(names)):
        node_name = internals[k].name
        j = count.get(node_name, 0)
        count[node_name] = j + 1
        by_entry[(node_name, j)] = k
    out_nodes, new_index, inputs = [], {}, []
    cut_vars = {}

    def inside(n):
        return n["op"] != "null" and n.get("attrs", {}).get("__subgraph_name__") == sub_name

    def entry(src, idx):
        n = nodes[src]
        if n["op"] == "null":
            if src not in new_index:
                new_index[src] = len(out_nodes)
                out_nodes.append(dict(n, inputs=[]))
                inputs.append((n["name"], internals[by_entry[(n["name"], 0)]]))
            return [new_index[src], 0, 0]
        if inside(n):
            visit(src)
            return [new_index[src], idx, 0]
        key = (src, idx)
        if key not in cut_vars:
            k = by_entry[(n["name"], idx)]
            cut_vars[key] = len(out_nodes)
            var_name = names[k]
            out_nodes.append({"op": "null", "name": var_name, "inputs": []})
            inputs.append((var_name, internals[k]))
        return [cut_vars[key], 0, 0]

    def visit(src):
        if src in new_index:
            return
        n = nodes[src]
        ins = [entry(e[0], e[1]) for e in n["inputs"]]
        new_index[src] = len(out_nodes)
        out_nodes.append(dict(n, inputs=ins))

    heads = [entry(h[0], h[1]) for h in graph["heads"]]
    sub = {"nodes": out_nodes, "arg_nodes": [i for i, n in enumerate(out_nodes) if n["op"] == "null"],
           "heads": heads}
    # Canonical form (the library's writer: node order, row pointers), without the version attributes.
    from .symbol import load_json
    canon = json.loads(load_json(json.dumps(sub)).tojson())
    canon.pop("attrs", None)
    return canon, inputs


def _make_node(op, hint, attrs, subgraphs, in_syms, num_outputs):
    """A node of ``op`` with ``subgraphs`` whose inputs are ``in_syms`` (made through the JSON reader, then
    composed with the inputs); returns the symbol of all its outputs."""
    from .. import attribute, name as _name
    from .symbol import load_json
    node_name = _name.NameManager.current.get(None, hint)
    all_attrs = dict(attribute.current().get(None))
    all_attrs.update({k: str(v) for k, v in attrs.items()})
    all_attrs["num_args"] = str(len(in_syms) + len(subgraphs))
    all_attrs["num_outputs"] = str(num_outputs)
    all_attrs = dict(sorted(all_attrs.items()))  # MXNet writes a node's attributes sorted by name
    holders = ["__%s_input%d__" % (node_name, i) for i in range(len(in_syms))]
    nodes = [{"op": "null", "name": h, "inputs": []} for h in holders]
    nodes.append({"op": op, "name": node_name, "attrs": all_attrs,
                  "inputs": [[i, 0, 0] for i in range(len(in_syms))], "subgraphs": subgraphs})
    graph = {"nodes": nodes, "arg_nodes": list(range(len(in_syms))),
             "heads": [[len(in_syms), k, 0] for k in range(num_outputs)]}
    sym = load_json(json.dumps(graph))
    if in_syms:
        sym._compose(**dict(zip(holders, in_syms)))
    return sym


_SUBGRAPH_NAMES = {}


def _sub_name(name, parts=None):
    """The ``__subgraph_name__`` of a new subgraph, as MXNet makes it: ``<name><n>`` with a process-wide counter
    per name, ``<enclosing subgraph>$<name><n>`` inside another subgraph; with ``parts``, one name per part
    (``while_loop_cond2``, ``while_loop_func2``) sharing the number."""
    from .. import attribute
    outer = attribute.current().get(None).get("__subgraph_name__")
    hint = name if outer is None else "%s$%s" % (outer, name)
    n = _SUBGRAPH_NAMES.get(hint, 0)
    _SUBGRAPH_NAMES[hint] = n + 1
    if parts is None:
        return "%s%d" % (hint, n)
    return ["%s_%s%d" % (hint, p, n) for p in parts]


def foreach(body, data, init_states, name="foreach"):
    """Runs ``body`` over the slices of ``data`` along axis 0, carrying states (MXNet's ``sym.contrib.foreach``)::

        states = init_states
        for i in range(len(data)):
            out_i, states = body(data[i], states)
        return stack(out_0, out_1, ...), states

    ``body(data_slice, states) -> (outputs, new_states)`` is called once, on Variables, to make the body subgraph
    of one ``_foreach`` node. ``data``: a Symbol or a list of Symbols; ``init_states``: a Symbol or a (nested)
    list of Symbols. Returns (outputs, states) in the structures ``body`` returned them (Symbols of the node's
    outputs: ``_foreach0_output0``, ...)."""
    Symbol = _sym_class()
    if not callable(body):
        raise MXNetTypeError("foreach: body must be callable, but got %s" % type(body).__name__)
    flat_data, _ = _flatten(data, "foreach", "data")
    if not isinstance(data, Symbol) and any(not isinstance(d, Symbol) for d in data):
        raise MXNetTypeError("foreach: data must be a Symbol or a list of Symbols (not nested)")
    if not flat_data:
        raise MXNetValueError("foreach: data is an empty list; it must hold at least one Symbol")
    flat_states, state_layout = _flatten(init_states, "foreach", "init_states")
    for s in flat_data + flat_states:
        _check_single(s, "foreach", "data and init_states")
    sub_name = _sub_name(name)
    n_data = len(flat_data)
    vars_all, result = _trace(
        lambda vs: body(vs[0] if isinstance(data, Symbol) else vs[:n_data],
                        _regroup(vs[n_data:], state_layout)),
        flat_data + flat_states, sub_name, "foreach")
    if not isinstance(result, (list, tuple)) or len(result) != 2:
        raise MXNetTypeError("foreach: body must return a pair (outputs, new_states), but returned %s"
                             % type(result).__name__)
    outs, new_states = result
    flat_outs, out_layout = _flatten(outs, "foreach", "the outputs of body")
    flat_new, new_layout = _flatten(new_states, "foreach", "the states returned by body")
    if len(flat_new) != len(flat_states):
        raise MXNetValueError("foreach: body must return as many states as init_states has (%d), but returned %d"
                              % (len(flat_states), len(flat_new)))
    for s in flat_outs + flat_new:
        _check_single(s, "foreach", "the outputs and states of body")
    sub, sub_inputs = _cut(_heads_group(flat_outs + flat_new, sub_name), sub_name)
    names = [n for n, _ in sub_inputs]
    var_names = [v.name for v in vars_all]
    data_locs = [names.index(v) for v in var_names[:n_data] if v in names]
    if not data_locs:
        raise MXNetValueError("foreach: body uses none of the slices of data; the loop length could not be known")
    state_locs = [names.index(v) for v in var_names[n_data:] if v in names]
    used_data = [s for v, s in zip(var_names[:n_data], flat_data) if v in names]
    used_states = [s for v, s in zip(var_names[n_data:], flat_states) if v in names]
    remain = [i for i, n in enumerate(names) if n not in var_names]
    in_syms = used_data + used_states + [sub_inputs[i][1] for i in remain]
    attrs = {"in_data_locs": str(data_locs), "in_state_locs": str(state_locs), "num_out_data": len(flat_outs),
             "remain_locs": str(remain)}
    node = _make_node("_foreach", "_foreach", attrs, [sub], in_syms, len(flat_outs) + len(flat_new))
    res = [node[k] for k in range(len(flat_outs) + len(flat_new))]
    return _regroup(res[:len(flat_outs)], out_layout), _regroup(res[len(flat_outs):], new_layout)


def _union_inputs(*input_lists):
    """The node's inputs: the subgraphs' inputs in order, each name once; and the positions of each subgraph's
    inputs among them."""
    names, syms, locs = [], [], []
    for inputs in input_lists:
        loc = []
        for n, s in inputs:
            if n not in names:
                names.append(n)
                syms.append(s)
            loc.append(names.index(n))
        locs.append(loc)
    return names, syms, locs


def while_loop(cond, func, loop_vars, max_iterations=None, name="while_loop"):
    """Runs ``func`` while ``cond`` gives true, at most ``max_iterations`` times (MXNet's
    ``sym.contrib.while_loop``)::

        steps = 0
        while steps < max_iterations and cond(*loop_vars):
            step_output, loop_vars = func(*loop_vars)
            steps += 1
        return stack(step outputs, padded to max_iterations rows), loop_vars

    ``cond(*loop_vars)`` returns a Symbol of one element; ``func(*loop_vars)`` returns (step outputs, new loop
    vars). Both are called once, on Variables, to make the subgraphs of one ``_while_loop`` node. Returns (outputs,
    loop_vars): the step outputs stacked with ``max_iterations`` rows (rows past the last step are zeros here,
    undefined in MXNet) and the last loop variables, in the structures func and loop_vars have."""
    Symbol = _sym_class()
    if not callable(cond) or not callable(func):
        raise MXNetTypeError("while_loop: cond and func must be callable, but got %s and %s"
                             % (type(cond).__name__, type(func).__name__))
    if max_iterations is None:
        raise MXNetValueError("while_loop: max_iterations must be given (the outputs have max_iterations rows)")
    try:
        max_iterations = int(max_iterations)
    except (TypeError, ValueError):
        raise MXNetValueError("while_loop: max_iterations must be an integer, but got %r"
                              % (max_iterations,)) from None
    if max_iterations < 1:
        raise MXNetValueError("while_loop: max_iterations must be at least 1, but got %d" % max_iterations)
    flat_vars, var_layout = _flatten(loop_vars, "while_loop", "loop_vars")
    if not flat_vars:
        raise MXNetValueError("while_loop: loop_vars must contain at least one element")
    for s in flat_vars:
        _check_single(s, "while_loop", "loop_vars")
    single = isinstance(loop_vars, Symbol)

    def call(fn, vs):
        args = [vs[0]] if single else _regroup(vs, var_layout)
        return fn(*args)
    cond_name, func_name = _sub_name(name, ("cond", "func"))
    cvars, pred = _trace(lambda vs: call(cond, vs), flat_vars, cond_name, "while_loop")
    flat_pred, _ = _flatten(pred, "while_loop", "the value returned by cond")
    if len(flat_pred) != 1:
        raise MXNetValueError("while_loop: cond must return one Symbol, but returned %d" % len(flat_pred))
    fvars, result = _trace(lambda vs: call(func, vs), flat_vars, func_name, "while_loop")
    if not isinstance(result, (list, tuple)) or len(result) != 2:
        raise MXNetTypeError("while_loop: func must return a pair (step_outputs, new_loop_vars), but returned %s"
                             % type(result).__name__)
    outs, new_vars = result
    outs = [] if outs is None else outs
    new_vars = [] if new_vars is None else new_vars
    flat_outs, out_layout = _flatten(outs, "while_loop", "the step outputs of func")
    flat_new, new_layout = _flatten(new_vars, "while_loop", "the loop_vars returned by func")
    if len(flat_new) != len(flat_vars):
        raise MXNetValueError("while_loop: func must return as many loop_vars as it takes (%d), but returned %d"
                              % (len(flat_vars), len(flat_new)))
    for s in flat_outs + flat_new:
        _check_single(s, "while_loop", "the step outputs and loop_vars of func")
    cond_sub, cond_inputs = _cut(_heads_group(flat_pred, cond_name), cond_name)
    func_sub, func_inputs = _cut(_heads_group(flat_outs + flat_new, func_name), func_name)
    # Loop variables are known inside by their Variables' names; outside they are the given loop_vars.
    outer = {v.name: s for v, s in zip(cvars, flat_vars)}
    outer.update({v.name: s for v, s in zip(fvars, flat_vars)})
    cond_inputs = [(n, outer.get(n, s)) for n, s in cond_inputs]
    func_inputs = [(n, outer.get(n, s)) for n, s in func_inputs]
    func_names = [n for n, _ in func_inputs]
    missing = [v.name for v in fvars if v.name not in func_names]
    if missing:
        raise MXNetValueError("while_loop: func must use every loop variable, but does not use %s" % missing)
    _, in_syms, (cond_locs, func_locs) = _union_inputs(cond_inputs, func_inputs)
    var_locs = [func_names.index(v.name) for v in fvars]
    attrs = {"cond_input_locs": str(cond_locs), "func_input_locs": str(func_locs), "func_var_locs": str(var_locs),
             "max_iterations": max_iterations, "num_out_data": len(flat_outs)}
    node = _make_node("_while_loop", "_while_loop", attrs, [cond_sub, func_sub], in_syms,
                      len(flat_outs) + len(flat_new))
    res = [node[k] for k in range(len(flat_outs) + len(flat_new))]
    outputs = _regroup(res[:len(flat_outs)], out_layout) if flat_outs else []
    last = res[len(flat_outs):]
    return outputs, (last[0] if single else _regroup(last, var_layout))


def cond(pred, then_func, else_func, name="cond"):
    """``then_func()`` if ``pred`` is true, else ``else_func()`` (MXNet's ``sym.contrib.cond``): one ``_cond``
    node whose subgraphs are pred, then_func's and else_func's graphs (called once each). ``pred``: a Symbol of
    one element. Both functions must return the same number of Symbols; returns one Symbol when then_func
    returned one, else a list."""
    Symbol = _sym_class()
    if not isinstance(pred, Symbol):
        raise MXNetTypeError("cond: pred must be a Symbol, but got %s" % type(pred).__name__)
    if not callable(then_func) or not callable(else_func):
        raise MXNetTypeError("cond: then_func and else_func must be callable, but got %s and %s"
                             % (type(then_func).__name__, type(else_func).__name__))
    _check_single(pred, "cond", "pred")
    pred_name, then_name, else_name = _sub_name(name, ("pred", "then", "else"))
    _, then_out = _trace(lambda vs: then_func(), [], then_name, "cond")
    _, else_out = _trace(lambda vs: else_func(), [], else_name, "cond")
    flat_then, then_layout = _flatten(then_out, "cond", "the value returned by then_func")
    flat_else, _ = _flatten(else_out, "cond", "the value returned by else_func")
    if len(flat_then) != len(flat_else):
        raise MXNetValueError("cond: then_func and else_func must return as many Symbols, but return %d and %d"
                              % (len(flat_then), len(flat_else)))
    for s in flat_then + flat_else:
        _check_single(s, "cond", "the values returned by then_func and else_func")
    pred_sub, pred_inputs = _cut(_heads_group([pred], pred_name), pred_name)
    then_sub, then_inputs = _cut(_heads_group(flat_then, then_name), then_name)
    else_sub, else_inputs = _cut(_heads_group(flat_else, else_name), else_name)
    _, in_syms, (cond_locs, then_locs, else_locs) = _union_inputs(pred_inputs, then_inputs, else_inputs)
    attrs = {"cond_input_locs": str(cond_locs), "then_input_locs": str(then_locs),
             "else_input_locs": str(else_locs)}
    n = len(flat_then)
    node = _make_node("_cond", "_cond", attrs, [pred_sub, then_sub, else_sub], in_syms, n)
    res = [node[k] for k in range(n)]
    return res[0] if isinstance(then_out, Symbol) else _regroup(res, then_layout)


# -- queries ---------------------------------------------------------------------------------------------------------
def has_control_flow(sym):
    """Whether the graph of ``sym`` holds a control-flow node."""
    from ..base import ffi, lib, check_call
    out = ffi.new("int *")
    check_call(lib.MXCSymbolHasSubgraphs(sym.handle, out))
    return bool(out[0])
