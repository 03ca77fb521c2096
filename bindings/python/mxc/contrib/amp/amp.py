"""Automatic mixed precision (MXNet 1.9.1's ``mxnet.contrib.amp``).

* ``convert_symbol`` / ``convert_model`` / ``convert_hybrid_block`` rewrite a float32 graph to run the operators of
  ``lists.symbol_fp16.FP16_FUNCS`` in float16: ``amp_cast`` nodes are inserted in front of them (named
  ``<input>_amp_cast_float16``), float16 values feeding float32 operators (FP32_FUNCS, and CONDITIONAL_FP32_FUNCS
  when their parameter matches, and ``excluded_sym_names``) are cast back to float32, the inputs of widest-type
  operators are cast to their widest type (or go through ``amp_multicast`` when that type is not known yet: as in
  MXNet's pass, variables count as of unknown type), and float16 graph outputs are cast to float32. With
  ``data_names`` the other variables get a ``__dtype__`` attribute from type inference of the converted graph.
* ``init()`` patches ``mx.nd``/``mx.sym`` operator functions: float16 operators cast their inputs to float16,
  widest-type operators pass their inputs through ``amp_multicast``; on Symbols float32 operators also cast their
  inputs to float32 (on NDArrays MXNet 1.9.1 leaves them alone, and so does mxc).
* ``init_trainer`` / ``scale_loss`` / ``unscale``: dynamic loss scaling of a ``gluon.Trainer``
  (``trainer._amp_loss_scaler``, see ``loss_scaler.LossScaler``).

mxc has no bfloat16 dtype: ``target_dtype='bfloat16'`` raises a ValueError saying so.
"""
import contextlib
import functools
import json
import logging
import sys

import numpy as np

from ... import ndarray as nd
from ... import symbol as sym
from ...base import MXNetError
from . import lists
from .loss_scaler import LossScaler

__all__ = ["init", "init_trainer", "scale_loss", "unscale", "convert_symbol", "convert_model",
           "convert_hybrid_block", "list_lp16_ops", "list_fp32_ops", "list_lp16_fp32_ops",
           "list_conditional_fp32_ops", "list_widest_type_cast", "list_loss_output_functions",
           "list_lp16_use_fp32_params"]

_amp_initialized = False
_amp_loss_scale_initialized = False
_loss_scaler = None
_wrapped = []  # (module, name, original function): what init() patched


def _check_dtype(target_dtype, where):
    name = np.dtype(target_dtype).name if not isinstance(target_dtype, str) else target_dtype
    if name == "bfloat16":
        raise ValueError("amp.%s: target_dtype 'bfloat16' is not supported: mxc has no bfloat16 dtype "
                         "(use 'float16')" % where)
    if name != "float16":
        raise ValueError("amp.%s: target_dtype must be 'float16', got %r" % (where, target_dtype))
    return name


# -- operator lists ---------------------------------------------------------------------------------------------------
def list_lp16_ops(target_dtype):
    """Operators that run in the low precision type ``target_dtype``."""
    _check_dtype(target_dtype, "list_lp16_ops")
    return list(lists.symbol_fp16.FP16_FUNCS)


def list_fp32_ops(target_dtype):
    """Operators that always run in float32."""
    _check_dtype(target_dtype, "list_fp32_ops")
    return list(lists.symbol_fp16.FP32_FUNCS)


def list_lp16_fp32_ops(target_dtype):
    """Operators that run in the type of their inputs."""
    _check_dtype(target_dtype, "list_lp16_fp32_ops")
    return list(lists.symbol_fp16.FP16_FP32_FUNCS)


def list_conditional_fp32_ops(target_dtype):
    """(operator, parameter, values) triples: float32 when the parameter has one of the values."""
    _check_dtype(target_dtype, "list_conditional_fp32_ops")
    return list(lists.symbol_fp16.CONDITIONAL_FP32_FUNCS)


def list_widest_type_cast(target_dtype):
    """Operators whose inputs are cast to their widest type."""
    _check_dtype(target_dtype, "list_widest_type_cast")
    return list(lists.symbol_fp16.WIDEST_TYPE_CASTS)


def list_loss_output_functions(target_dtype):
    """Loss outputs whose gradient is scaled by the loss scale."""
    _check_dtype(target_dtype, "list_loss_output_functions")
    return list(lists.symbol_fp16.LOSS_OUTPUT_FUNCTIONS)


def list_lp16_use_fp32_params(target_dtype):
    """Operators taking float32 parameters with low precision data (None for float16, as MXNet)."""
    _check_dtype(target_dtype, "list_lp16_use_fp32_params")
    return None


def _resolve_lists(where, target_dtype, target_dtype_ops, fp32_ops, conditional_fp32_ops):
    dt = _check_dtype(target_dtype, where)
    for what, value in (("target_dtype_ops", target_dtype_ops), ("fp32_ops", fp32_ops),
                        ("conditional_fp32_ops", conditional_fp32_ops)):
        if value is not None and not isinstance(value, list):
            raise TypeError("amp.%s: %s must be a list, got %s" % (where, what, type(value).__name__))
    lp16 = list_lp16_ops(dt) if target_dtype_ops is None else list(target_dtype_ops)
    fp32 = list_fp32_ops(dt) if fp32_ops is None else list(fp32_ops)
    cond = list_conditional_fp32_ops(dt) if conditional_fp32_ops is None else list(conditional_fp32_ops)
    for c in cond:
        if not (isinstance(c, (tuple, list)) and len(c) == 3 and isinstance(c[2], (list, tuple))):
            raise TypeError("amp.%s: conditional_fp32_ops entries are (op name, parameter, [values]), got %r"
                            % (where, c))
    cond_names = set(c[0] for c in cond)
    for (na, a), (nb, b) in ((("target_dtype_ops", set(lp16)), ("fp32_ops", set(fp32))),
                             (("target_dtype_ops", set(lp16)), ("conditional_fp32_ops", cond_names)),
                             (("fp32_ops", set(fp32)), ("conditional_fp32_ops", cond_names))):
        common = a & b
        if common:
            raise ValueError("amp.%s: ops cannot be in two or more lists. Common ops in %s and %s: %s"
                             % (where, na, nb, sorted(common)))
    widest = set(list_widest_type_cast(dt))
    return set(lp16), set(fp32), cond, widest


# -- graph conversion -------------------------------------------------------------------------------------------------
# Operators whose outputs MXNet names (the cast of their output i is "<node>_<name>_amp_cast_<dtype>"); the outputs of
# every other operator are named by their index ("<node>_0_amp_cast_<dtype>").
_NAMED_OUTPUTS = {
    "Activation": ["output"], "FullyConnected": ["output"], "Convolution": ["output"],
    "Deconvolution": ["output"], "Pooling": ["output"], "UpSampling": ["output"], "ROIPooling": ["output"],
    "Pad": ["output"], "LRN": ["output", "tmp_norm"], "GridGenerator": ["output"], "SpatialTransformer": ["output"],
    "IdentityAttachKLSparseReg": ["output"], "BatchNorm": ["output", "mean", "var"], "BilinearSampler": ["output"],
    "Concat": ["output"], "concat": ["output"], "Correlation": ["output"], "Crop": ["output"], "Dropout": ["output"],
    "GroupNorm": ["output", "mean", "std"], "InstanceNorm": ["output"], "L2Normalization": ["output"],
    "LayerNorm": ["output", "mean", "std"], "LeakyReLU": ["output"], "MakeLoss": ["output"], "make_loss": ["loss"],
    "SVMOutput": ["output"], "SequenceLast": ["output"], "SequenceMask": ["output"], "SequenceReverse": ["output"],
    "Softmax": ["output"], "SoftmaxActivation": ["output"], "SoftmaxOutput": ["output"], "SwapAxis": ["output"],
    "swapaxes": ["output"], "_Plus": ["output"], "_add": ["output"], "_plus": ["output"], "elemwise_add": ["output"],
    "_rnn_param_concat": ["output"], "softmax": ["output"], "softmin": ["output"], "RNN": ["output"],
}


def _output_name(op, attrs, idx):
    if op in ("SliceChannel", "split"):
        return "output%d" % idx
    names = _NAMED_OUTPUTS.get(op)
    if names is not None and idx < len(names):
        return names[idx]
    return str(idx)


_FLOATS = ("float16", "float32")


def _dtype_attr(attrs):
    d = attrs.get("dtype")
    if d is None:
        return None
    try:
        return np.dtype(d).name
    except TypeError:
        return d


def _convert_json(graph, lp16, fp32, cond, widest, excluded, data_names, cast_optional_params):
    """The converted graph (a dict in MXNet's JSON layout) and the names of the parameters made float16."""
    nodes = graph["nodes"]
    heads = graph["heads"]
    excluded = set(excluded or ())
    cond_map = {}
    for op, param, values in cond:
        cond_map.setdefault(op, []).append((param, set(str(v) for v in values)))

    def kind(node):
        op = node["op"]
        if node["name"] in excluded:
            return "fp32"
        if op in lp16:
            return "lp16"
        if op in fp32:
            return "fp32"
        attrs = node.get("attrs", {})
        for param, values in cond_map.get(op, ()):
            if str(attrs.get(param, "")) in values:
                return "fp32"
        if op in widest:
            return "widest"
        return "keep"

    # Parameters fed only to float16 operators become float16 variables (cast_optional_params with data_names).
    consumers = {}
    for node in nodes:
        if node["op"] == "null":
            continue
        k = kind(node)
        for e in node["inputs"]:
            consumers.setdefault(e[0], set()).add(k)
    head_ids = set(h[0] for h in heads)
    lp16_params = set()
    if cast_optional_params and data_names is not None:
        for i, node in enumerate(nodes):
            if node["op"] == "null" and node["name"] not in data_names and i not in head_ids \
                    and consumers.get(i) == {"lp16"}:
                lp16_params.add(i)

    new_nodes = []
    mapped = {}        # old node id -> new node id
    # (new node id, output index) -> 'float16' / 'float32' / another dtype name / None: unknown. As in MXNet's pass,
    # variables are unknown (their types are settled afterwards), except parameters made float16.
    dtypes = {}
    is_var = set()     # new ids of variables
    casts = {}         # ((new id, index), dtype) -> new id of its amp_cast
    entry_names = {}   # (new id, index) -> base name of a cast of that entry

    def add(node, n_out, dtype, base_names):
        new_nodes.append(node)
        nid = len(new_nodes) - 1
        for i in range(n_out):
            dtypes[(nid, i)] = dtype
            entry_names[(nid, i)] = base_names[i]
        return nid

    def cast(entry, dtype):
        key = (entry, dtype)
        if key not in casts:
            name = "%s_amp_cast_%s" % (entry_names[entry], dtype)
            casts[key] = add({"op": "amp_cast", "name": name, "attrs": {"dtype": dtype},
                              "inputs": [[entry[0], entry[1], 0]]}, 1, dtype, [name + "_0"])
        return (casts[key], 0)

    def visit(old):
        if old in mapped:
            return mapped[old]
        node = nodes[old]
        if node["op"] == "null":
            new = {"op": "null", "name": node["name"], "inputs": []}
            if node.get("attrs"):
                new["attrs"] = dict(node["attrs"])
            if old in lp16_params:  # (a float32 __dtype__ it had, e.g. from a Gluon Parameter, no longer holds)
                new.setdefault("attrs", {})["__dtype__"] = "2"
            nid = add(new, 1, "float16" if old in lp16_params else None, [node["name"]])
            is_var.add(nid)
            mapped[old] = nid
            return nid
        k = kind(node)
        ins = []
        for e in node["inputs"]:
            ins.append((visit(e[0]), e[1]))
        entries = []
        out_dt = None
        if k == "widest":
            known = [dtypes[x] for x in ins if dtypes[x] in _FLOATS]
            unknown = any(dtypes[x] is None for x in ins)
            if not unknown or "float32" in known:
                out_dt = "float32" if "float32" in known else ("float16" if known else None)
                for x in ins:
                    if out_dt is not None and dtypes[x] in _FLOATS + (None,) and dtypes[x] != out_dt:
                        x = cast(x, out_dt)
                    entries.append(x)
            elif len(ins) > 1:  # the widest type is not known yet: amp_multicast settles it when running
                name = entry_names[ins[0]] + "_amp_multicast"
                mc = add({"op": "amp_multicast", "name": name, "attrs": {"num_outputs": str(len(ins))},
                          "inputs": [[a, b, 0] for a, b in ins]}, len(ins), None,
                         ["%s_%d" % (name, i) for i in range(len(ins))])
                entries = [(mc, i) for i in range(len(ins))]
            else:
                entries = list(ins)
        else:
            for x in ins:
                dt = dtypes[x]
                if k == "lp16" and dt in ("float32", None):
                    x = cast(x, "float16")
                elif k == "fp32" and (dt == "float16" or (dt is None and x[0] not in is_var)):
                    x = cast(x, "float32")
                entries.append(x)
        attrs = node.get("attrs", {})
        if node["op"] in ("amp_cast", "Cast", "cast"):
            out_dt = _dtype_attr(attrs)
        elif k == "lp16":
            out_dt = "float16"
        elif k == "fp32":
            out_dt = "float32"
        elif k == "keep":
            out_dt = _dtype_attr(attrs) if "dtype" in attrs else (dtypes[entries[0]] if entries else None)
        new = {"op": node["op"], "name": node["name"], "inputs": [[a, b, 0] for a, b in entries]}
        if "attrs" in node:
            new["attrs"] = dict(attrs)
        n_out = node_outputs(old)
        nid = add(new, n_out, out_dt,
                  ["%s_%s" % (node["name"], _output_name(node["op"], attrs, i)) for i in range(n_out)])
        mapped[old] = nid
        return nid

    used_outputs = {}
    for node in nodes:
        for e in node["inputs"]:
            used_outputs[e[0]] = max(used_outputs.get(e[0], 0), e[1] + 1)
    for h in heads:
        used_outputs[h[0]] = max(used_outputs.get(h[0], 0), h[1] + 1)

    def node_outputs(old):
        return max(used_outputs.get(old, 1), 1)

    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(max(limit, 4 * len(nodes) + 1000))
    try:
        new_heads = []
        for h in heads:
            nid = visit(h[0])
            e = (nid, h[1])
            if dtypes.get(e) == "float16" and nid not in is_var:
                e = cast(e, "float32")
            new_heads.append([e[0], e[1], 0])
    finally:
        sys.setrecursionlimit(limit)
    out = {"nodes": new_nodes, "arg_nodes": [i for i, n in enumerate(new_nodes) if n["op"] == "null"],
           "heads": new_heads}
    if "attrs" in graph:
        out["attrs"] = graph["attrs"]
    return out, set(nodes[i]["name"] for i in lp16_params)


def convert_symbol(sym, target_dtype="float16", target_dtype_ops=None, fp32_ops=None, conditional_fp32_ops=None,
                   excluded_sym_names=None, data_names=None, cast_optional_params=False):
    """A copy of ``sym`` that runs the ``target_dtype_ops`` (default: ``list_lp16_ops``) in float16, with
    ``amp_cast`` nodes where types change (see the module's doc). ``data_names`` (the data inputs): the other
    variables get a ``__dtype__`` attribute (float32, or float16 with ``cast_optional_params`` for the parameters
    that only feed float16 operators, which then need no cast)."""
    from ...symbol import Symbol
    if not isinstance(sym, Symbol):
        raise TypeError("amp.convert_symbol: sym must be a Symbol, got %s" % type(sym).__name__)
    lp16, fp32, cond, widest = _resolve_lists("convert_symbol", target_dtype, target_dtype_ops, fp32_ops,
                                              conditional_fp32_ops)
    if excluded_sym_names is not None and not isinstance(excluded_sym_names, list):
        raise TypeError("amp.convert_symbol: excluded_sym_names must be a list, got %s"
                        % type(excluded_sym_names).__name__)
    if data_names is not None:
        if not isinstance(data_names, list):
            raise TypeError("amp.convert_symbol: data_names must be a list, got %s" % type(data_names).__name__)
        unknown = [n for n in data_names if n not in sym.list_inputs()]
        if unknown:
            raise ValueError("amp.convert_symbol: data_names %s are not inputs of the symbol (its inputs: %s)"
                             % (unknown, sym.list_inputs()))
    graph = json.loads(sym.tojson(remove_amp_cast=False))
    converted, lp16_params = _convert_json(graph, lp16, fp32, cond, widest, excluded_sym_names, data_names,
                                           cast_optional_params)
    if data_names is not None:
        # as MXNet: the other variables get the dtype that type inference gives them in the converted graph
        # (float32 data), as a __dtype__ attribute (MXNet's type code)
        out = _load(converted)
        args, _, auxs = out.infer_type_partial(**{n: np.float32 for n in data_names})
        inferred = dict(zip(out.list_arguments(), args))
        inferred.update(zip(out.list_auxiliary_states(), auxs))
        for node in converted["nodes"]:
            if node["op"] == "null" and node["name"] not in data_names:
                dt = np.float16 if node["name"] in lp16_params else inferred.get(node["name"])
                node.setdefault("attrs", {})["__dtype__"] = str(_MX_DTYPE_CODES.get(
                    np.dtype(dt).name if dt is not None else "float32", 0))
    return _load(converted)


_MX_DTYPE_CODES = {"float32": 0, "float64": 1, "float16": 2, "uint8": 3, "int32": 4, "int8": 5, "int64": 6,
                   "bool": 7}


def _load(graph):
    from ...symbol import load_json
    return load_json(json.dumps(graph))


def convert_model(sym, arg_params, aux_params, target_dtype="float16", target_dtype_ops=None, fp32_ops=None,
                  conditional_fp32_ops=None, excluded_sym_names=None, cast_optional_params=False):
    """(converted symbol, arg_params, aux_params): ``convert_symbol`` with the inputs that are not in the
    parameter dicts as data; with ``cast_optional_params`` the parameters made float16 are cast to float16."""
    if not isinstance(arg_params, dict) or not isinstance(aux_params, dict):
        raise TypeError("amp.convert_model: arg_params and aux_params must be dicts of NDArrays")
    names = set(arg_params) | set(aux_params)
    data_names = [n for n in sym.list_inputs() if n not in names]
    s = convert_symbol(sym, target_dtype, target_dtype_ops, fp32_ops, conditional_fp32_ops, excluded_sym_names,
                       data_names, cast_optional_params)
    attrs = s.attr_dict()
    args, auxs = dict(arg_params), dict(aux_params)
    if cast_optional_params:
        for d in (args, auxs):
            for k, v in d.items():
                if attrs.get(k, {}).get("__dtype__") == "2":
                    d[k] = v.astype("float16")
    return s, args, auxs


def convert_hybrid_block(block, target_dtype="float16", target_dtype_ops=None, fp32_ops=None,
                         conditional_fp32_ops=None, excluded_sym_names=None, ctx=None, cast_optional_params=False):
    """A ``gluon.SymbolBlock`` running ``block``'s graph converted by ``convert_model``; ``block`` must be a
    hybridized HybridBlock that ran forward once (its traced inputs become the SymbolBlock's inputs); its
    parameters are copied (cast to float16 where ``cast_optional_params`` makes them float16) onto ``ctx``
    (default: the first context of the block's parameters)."""
    from ...gluon.block import HybridBlock, SymbolBlock
    from ...context import current_context
    if not isinstance(block, HybridBlock):
        raise ValueError("amp.convert_hybrid_block: block must be a HybridBlock, got %s" % type(block).__name__)
    if isinstance(block, SymbolBlock):
        graph = block._graph
        inputs = list(block._names)
    else:
        if block._last_sig is None:
            raise RuntimeError("amp.convert_hybrid_block: please first call block.hybridize() and then run forward "
                               "with this block at least once before calling convert_hybrid_block.")
        layout, shapes = block._last_sig
        graph, _ = block._trace(layout, (None,) * len(shapes))
        inputs = block._input_names(len(shapes))
    params = block.collect_params()
    if ctx is None:
        ctxs = [p.list_ctx()[0] for p in params.values() if p._ready]
        ctx = ctxs[0] if ctxs else current_context()
    arg_params, aux_params = {}, {}
    aux_names = set(graph.list_auxiliary_states())
    for name in graph.list_inputs():
        if name in inputs:
            continue
        if name not in params:
            raise MXNetError("amp.convert_hybrid_block: the graph reads '%s', neither an input nor a parameter"
                             % name)
        (aux_params if name in aux_names else arg_params)[name] = params[name].data().as_in_context(ctx)
    s, args, auxs = convert_model(graph, arg_params, aux_params, target_dtype, target_dtype_ops, fp32_ops,
                                  conditional_fp32_ops, excluded_sym_names, cast_optional_params)
    out = SymbolBlock([s[i] for i in range(len(s.list_outputs()))] if len(s.list_outputs()) > 1 else s,
                      [sym.var(n) for n in inputs])
    new_params = out.collect_params()
    for name, value in list(args.items()) + list(auxs.items()):
        p = new_params[name]
        p.shape = value.shape
        p.dtype = value.dtype
        p.initialize(ctx=ctx)
        p.set_data(value)
    return out


# -- graph JSON: removing AMP casts (Symbol.tojson(remove_amp_cast=True)) -------------------------------------------
def remove_amp_cast_json(text):
    """The graph JSON ``text`` without its ``amp_cast``/``amp_multicast`` nodes: their consumers read the cast's
    input instead; a cast that is a graph output stays as that output."""
    graph = json.loads(text)
    nodes = graph["nodes"]
    head_ids = set(h[0] for h in graph["heads"])
    amp_ids = set(i for i, n in enumerate(nodes) if n["op"] in ("amp_cast", "amp_multicast"))
    drop = amp_ids - head_ids  # a cast that is a graph output stays (for that output only)
    if not amp_ids:
        return text

    def source(e):
        while e[0] in amp_ids:
            e = nodes[e[0]]["inputs"][e[1] if nodes[e[0]]["op"] == "amp_multicast" else 0]
        return e

    new_id = {}
    new_nodes = []
    for i, n in enumerate(nodes):
        if i in drop:
            continue
        m = dict(n)
        m["inputs"] = [[new_id[s[0]], s[1], 0] for s in (source(e) for e in n["inputs"])]
        new_id[i] = len(new_nodes)
        new_nodes.append(m)
    graph["nodes"] = new_nodes
    graph["arg_nodes"] = [i for i, n in enumerate(new_nodes) if n["op"] == "null"]
    graph["heads"] = [[new_id[h[0]], h[1], 0] for h in graph["heads"]]
    graph.pop("node_row_ptr", None)
    return json.dumps(graph, indent=2)


# -- imperative AMP ---------------------------------------------------------------------------------------------------
def _cast_nd(x, dtype):
    if isinstance(x, nd.NDArray) and x.dtype != np.dtype(dtype) and x.dtype in (np.float16, np.float32, np.float64):
        return nd.amp_cast(x, dtype=dtype)
    return x


def _nd_lp16(f, dtype):
    @functools.wraps(f)
    def fn(*args, **kwargs):
        args = [_cast_nd(a, dtype) for a in args]
        kwargs = {k: (_cast_nd(v, dtype) if k != "out" else v) for k, v in kwargs.items()}
        return f(*args, **kwargs)
    return fn


def _nd_widest(f):
    @functools.wraps(f)
    def fn(*args, **kwargs):
        flat = list(args[0]) if len(args) == 1 and isinstance(args[0], (list, tuple)) else list(args)
        where = [i for i, a in enumerate(flat) if isinstance(a, nd.NDArray) and a.dtype in (np.float16, np.float32)]
        if len(set(flat[i].dtype for i in where)) > 1:
            cast = nd.amp_multicast(*[flat[i] for i in where], num_outputs=len(where))
            cast = cast if isinstance(cast, (list, tuple)) else [cast]
            for i, c in zip(where, cast):
                flat[i] = c
            args = (flat,) if len(args) == 1 and isinstance(args[0], (list, tuple)) else tuple(flat)
        return f(*args, **kwargs)
    return fn


def _sym_cast(f, dtype, meta):
    """mx.sym wrapper: every Symbol input goes through amp_cast, including the variables the operator creates for
    the inputs not given (``fc_weight``, ``softmax_label``; auxiliary states excepted), as MXNet 1.9.1."""
    from ... import name as _name
    from ...symbol import Symbol

    @functools.wraps(f)
    def fn(*args, **kwargs):
        name = _name.current().get(kwargs.pop("name", None), f.__name__.lower())
        args = list(args)
        given = set(meta.input_names[:len(args)]) | set(k for k, v in kwargs.items() if isinstance(v, Symbol))
        missing = [n for n, aux in zip(meta.input_names, meta.input_is_aux)
                   if n not in given and not aux and n not in kwargs]
        created = {}
        if missing and not meta.key_var_num_args:
            # which of them the operator creates (optional inputs are left out): build the node once to see
            probe = f(*args, name=name, **kwargs)
            graph = json.loads(probe.tojson(remove_amp_cast=False))
            made = {n["name"]: n.get("attrs", {}) for n in graph["nodes"] if n["op"] == "null"}
            for inp in missing:
                var = "%s_%s" % (name, inp)
                if var in made:
                    created[inp] = sym.var(var, attr=made[var] or None)
        for i, a in enumerate(args):
            if isinstance(a, Symbol):
                args[i] = sym.amp_cast(a, dtype=dtype)
        for k, v in list(kwargs.items()):
            if isinstance(v, Symbol):
                kwargs[k] = sym.amp_cast(v, dtype=dtype)
        for inp in meta.input_names:  # in input order, as the operator would create them
            if inp in created:
                kwargs[inp] = sym.amp_cast(created[inp], dtype=dtype)
        return f(*args, name=name, **kwargs)
    return fn


def _sym_widest(f):
    from ...symbol import Symbol

    @functools.wraps(f)
    def fn(*args, **kwargs):
        flat = list(args[0]) if len(args) == 1 and isinstance(args[0], (list, tuple)) else list(args)
        where = [i for i, a in enumerate(flat) if isinstance(a, Symbol)]
        if len(where) > 1:
            cast = sym.amp_multicast(*[flat[i] for i in where], num_outputs=len(where))
            for j, i in enumerate(where):
                flat[i] = cast[j]
            args = (flat,) if len(args) == 1 and isinstance(args[0], (list, tuple)) else tuple(flat)
        return f(*args, **kwargs)
    return fn


def _targets(module_names, opname):
    """(module, attribute name) pairs where the operator function ``opname`` is exposed."""
    import importlib
    out = []
    for modname in module_names:
        mod = importlib.import_module(modname)
        if callable(getattr(mod, opname, None)):
            out.append((mod, opname))
        if opname.startswith("_contrib_") and modname.endswith("._internal"):  # mx.nd.contrib.X, mx.sym.contrib.X
            sub = importlib.import_module(modname[:-len("._internal")] + ".contrib")
            if callable(getattr(sub, opname[len("_contrib_"):], None)):
                out.append((sub, opname[len("_contrib_"):]))
    return out


def _nd_arith(f):
    """NDArray's binary operators (``a + b``): a float16/float32 mix goes through amp_multicast first."""
    @functools.wraps(f)
    def fn(self, other):
        if isinstance(other, nd.NDArray) and other.dtype != self.dtype and \
                self.dtype in (np.float16, np.float32) and other.dtype in (np.float16, np.float32):
            self, other = nd.amp_multicast(self, other, num_outputs=2)
        return f(self, other)
    return fn


_ARITH = ("__add__", "__radd__", "__sub__", "__rsub__", "__mul__", "__rmul__", "__truediv__", "__rtruediv__",
          "__mod__", "__rmod__", "__pow__", "__rpow__", "__eq__", "__ne__", "__gt__", "__ge__", "__lt__", "__le__")


def _sym_loss_warning(f):
    @functools.wraps(f)
    def fn(*args, **kwargs):
        logging.warning("%s does not support dynamic loss scaling in symbolic and hybridized execution.",
                        f.__name__)
        return f(*args, **kwargs)
    return fn


def _nd_loss_scaling(scaler):
    def wrap(f):
        @functools.wraps(f)
        def fn(*args, **kwargs):
            kwargs["grad_scale"] = float(kwargs.get("grad_scale", 1.0)) * scaler.loss_scale
            return f(*args, **kwargs)
        return fn
    return wrap


def _patch(mod, name, wrapper):
    f = getattr(mod, name)
    _wrapped.append((mod, name, f))
    setattr(mod, name, wrapper(f))


def init(target_dtype="float16", target_precision_ops=None, conditional_fp32_ops=None, fp32_ops=None,
         layout_optimization=False):
    """Turns on AMP: patches the ``mx.nd``/``mx.sym`` operator functions (see the module's doc); once only.
    ``layout_optimization`` (not in MXNet 1.9.1) is accepted when False."""
    global _amp_initialized, _loss_scaler
    if layout_optimization:
        raise NotImplementedError("amp.init: layout_optimization is not supported by mxc")
    lp16, fp32, cond, widest = _resolve_lists("init", target_dtype, target_precision_ops, fp32_ops,
                                              conditional_fp32_ops)
    if _amp_initialized:
        return
    logging.info("Using AMP")
    _amp_initialized = True
    _loss_scaler = LossScaler()
    from ...base import op_meta, has_op
    nd_mods = ["mxc.ndarray", "mxc.ndarray._internal"]
    sym_mods = ["mxc.symbol", "mxc.symbol._internal"]
    cond_map = {}
    for op, param, values in cond:
        cond_map.setdefault(op, []).append((param, set(str(v) for v in values)))
    for op in sorted(lp16):
        if not has_op(op):
            continue
        meta = op_meta(op)
        for mod, nm in _targets(nd_mods, op):
            _patch(mod, nm, lambda f: _nd_lp16(f, "float16"))
        for mod, nm in _targets(sym_mods, op):
            _patch(mod, nm, lambda f, m=meta: _sym_cast(f, "float16", m))
    for op in sorted(fp32):
        if not has_op(op):
            continue
        meta = op_meta(op)
        for mod, nm in _targets(sym_mods, op):
            _patch(mod, nm, lambda f, m=meta: _sym_cast(f, "float32", m))
    for op, conds in sorted(cond_map.items()):
        if not has_op(op):
            continue
        meta = op_meta(op)
        for mod, nm in _targets(sym_mods, op):
            def wrap(f, m=meta, conds=conds):
                cast = _sym_cast(f, "float32", m)

                @functools.wraps(f)
                def fn(*args, **kwargs):
                    for param, values in conds:
                        if str(kwargs.get(param, "")) in values:
                            return cast(*args, **kwargs)
                    return f(*args, **kwargs)
                return fn
            _patch(mod, nm, wrap)
    for op in sorted(widest):
        if not has_op(op):
            continue
        for mod, nm in _targets(nd_mods, op):
            _patch(mod, nm, _nd_widest)
        for mod, nm in _targets(sym_mods, op):
            _patch(mod, nm, _sym_widest)
    for nm in _ARITH:
        if hasattr(nd.NDArray, nm):
            _patch(nd.NDArray, nm, _nd_arith)
    for op in list_loss_output_functions(target_dtype):
        if has_op(op):
            for mod, nm in _targets(sym_mods, op):
                _patch(mod, nm, _sym_loss_warning)


def _deinit():
    """Undoes ``init`` (for tests): restores the patched functions."""
    global _amp_initialized, _loss_scaler, _amp_loss_scale_initialized
    while _wrapped:
        mod, name, f = _wrapped.pop()
        setattr(mod, name, f)
    _amp_initialized = False
    _amp_loss_scale_initialized = False
    _loss_scaler = None


# -- loss scaling -----------------------------------------------------------------------------------------------------
def init_trainer(optimizer_or_trainer):
    """Adds dynamic loss scaling to a ``gluon.Trainer``: ``trainer._amp_loss_scaler`` (AMP's LossScaler, one for
    all trainers as in MXNet) and ``trainer._amp_original_scale``; its updates are skipped when a gradient
    overflows. The first call also makes the NDArray loss outputs (``LOSS_OUTPUT_FUNCTIONS``) scale their
    gradient by the loss scale (``grad_scale``)."""
    global _amp_loss_scale_initialized
    from ...gluon.trainer import Trainer
    if not _amp_initialized:
        raise RuntimeError("AMP not initialized, did you forget to call amp.init()?")
    if not isinstance(optimizer_or_trainer, Trainer):
        raise TypeError("AMP is currently only compatible with Gluon Trainer (amp.init_trainer got %s)"
                        % type(optimizer_or_trainer).__name__)
    trainer = optimizer_or_trainer
    if getattr(trainer, "_amp_loss_scaler", None) is not None:
        return
    if not _amp_loss_scale_initialized:
        _amp_loss_scale_initialized = True
        from ...base import has_op
        for op in lists.symbol_fp16.LOSS_OUTPUT_FUNCTIONS:
            if has_op(op):
                for mod, nm in _targets(["mxc.ndarray", "mxc.ndarray._internal"], op):
                    _patch(mod, nm, _nd_loss_scaling(_loss_scaler))
    trainer._amp_loss_scaler = _loss_scaler
    trainer._amp_original_scale = trainer._scale
    update = trainer.update

    def amp_update(batch_size, ignore_stale_grad=False):
        if trainer._amp_loss_scaler.has_overflow(trainer._plist):
            for p in trainer._plist:  # the step is skipped: these gradients are consumed
                if p.grad_req != 'null' and p._ready:
                    for c in p.list_data():
                        c._fresh_grad = False
            return
        update(batch_size, ignore_stale_grad)
    trainer.update = amp_update


@contextlib.contextmanager
def scale_loss(loss, optimizer_or_trainer):
    """``with amp.scale_loss(loss, trainer) as scaled_loss: autograd.backward(scaled_loss)``: the loss (or list of
    losses) times the current loss scale; the trainer divides the gradients by it."""
    trainer = optimizer_or_trainer
    scaler = getattr(trainer, "_amp_loss_scaler", None)
    if scaler is None:
        raise RuntimeError("amp.scale_loss: call amp.init_trainer(trainer) first")
    trainer._scale = trainer._amp_original_scale / scaler.loss_scale
    if isinstance(loss, (list, tuple)):
        yield [l * scaler.loss_scale for l in loss]
    else:
        yield loss * scaler.loss_scale


def unscale(optimizer_or_trainer):
    """Divides the gradients by the loss scale (e.g. before clipping them) and resets the trainer's scale."""
    trainer = optimizer_or_trainer
    if getattr(trainer, "_amp_loss_scaler", None) is None:
        raise RuntimeError("amp.unscale: call amp.init_trainer(trainer) first")
    factor = trainer._scale / trainer._amp_original_scale
    for p in trainer._plist:
        if p.grad_req != 'null' and p._ready:
            for g in p.list_grad():
                g[:] = g * factor
    trainer._scale = trainer._amp_original_scale
