"""Block and HybridBlock methods of MXNet 1.9.1's Gluon that sit on top of the core of block.py: ``summary``,
``register_op_hook``, ``save``/``load`` (the structure-keyed model format), ``HybridBlock.infer_type`` and
``HybridBlock.optimize_for``. block.py attaches them to the classes."""
import json
import warnings

import numpy as np

from .. import ndarray as nd
from .. import symbol as sym
from ..base import MXNetError, op_meta, has_op

_ROW = "{:>20}  {:>42} {:>15}"


def _nd_leaves(value):
    """The NDArrays of a (nested) output, or None when it holds anything else (a Symbol of a trace)."""
    if isinstance(value, nd.NDArray):
        return [value]
    if isinstance(value, (list, tuple)):
        out = []
        for v in value:
            leaves = _nd_leaves(v)
            if leaves is None:
                return None
            out.extend(leaves)
        return out
    return None


def _size(shape):
    n = 1
    for d in shape:
        n *= d
    return n


def _walk(block):
    """The block and its descendants, children first (the order of MXNet's checks)."""
    out = []
    for kid in block._kids.values():
        out.extend(_walk(kid))
    out.append(block)
    return out


def summary(self, *inputs):
    """Prints, as MXNet 1.9.1, a table of the layers run by ``self(*inputs)`` (in the order they finish; the
    Sequential containers are left out) with their output shapes and parameter counts, then the totals."""
    from .nn.basic_layers import Sequential, HybridSequential
    for blk in _walk(self):
        if getattr(blk, "_hybrid_on", False) and hasattr(blk, "_cached"):
            raise AssertionError('"%s" must not be hybridized to print summary.' % blk.name)
    rows = []
    handles = []

    def hook(block, _args, out):
        leaves = _nd_leaves(out)
        if leaves is not None:
            rows.append((block, ", ".join(str(a.shape) for a in leaves)))

    for blk in _walk(self):
        if not isinstance(blk, (Sequential, HybridSequential)):
            handles.append(blk.register_forward_hook(hook))
    try:
        self(*inputs)
    finally:
        for h in handles:
            h.detach()
    in_leaves = _nd_leaves(list(inputs)) or []
    lines = ["-" * 80, _ROW.format("Layer (type)", "Output Shape", "Param #"), "=" * 80,
             _ROW.format("Input", ", ".join(str(a.shape) for a in in_leaves), 0)]
    total = trainable = shared = 0
    seen = set()
    for i, (block, shapes) in enumerate(rows):
        count = 0
        for p in block._own_params().values():
            n = _size(p.shape)
            count += n
            if p.grad_req != "null":
                trainable += n
            if id(p) in seen:
                shared += n
            seen.add(id(p))
        total += count
        lines.append(_ROW.format("%s-%d" % (type(block).__name__, i + 1), shapes, count))
    unique = sum(_size(p.shape) for p in self.collect_params().values())
    lines += ["=" * 80, "Parameters in forward computation graph, duplicate included",
              "   Total params: %d" % total, "   Trainable params: %d" % trainable,
              "   Non-trainable params: %d" % (total - trainable),
              "Shared params in forward computation graph: %d" % shared,
              "Unique parameters in model: %d" % unique, "-" * 80]
    print("\n".join(lines))


# -- operator hooks -------------------------------------------------------------------------------------------------
def register_op_hook(self, callback, monitor_all=False):
    """After each call of a hybridized block of this tree, ``callback(name, op_name, array)`` is called for the
    output of every operator of its graph (``name``: ``<node>_output``, as MXNet), and with ``monitor_all`` first for
    each operator's inputs (``<node>_<input name>``). The values come from a second run of the graph with every
    intermediate result as an output; a block that is not hybridized calls nothing (as MXNet)."""
    def hook(block, args, _out):
        if block._hybrid_on and args and isinstance(args[0], nd.NDArray):
            _run_op_hook(block, args, callback, monitor_all)

    for blk in _walk(self):
        if hasattr(blk, "_cached"):
            old = getattr(blk, "_op_hook_handle", None)
            if old is not None:
                old.detach()
            blk._op_hook_handle = blk.register_forward_hook(hook)


def _run_op_hook(block, args, callback, monitor_all):
    from .block import _flatten
    flat, layout = _flatten(args)
    graph, _ = block._trace(layout, tuple(a.shape for a in flat))
    internals = graph.get_internals()
    names = block._input_names(len(flat))
    params = block.collect_params()
    feeds = []
    for nm in internals.list_inputs():
        feeds.append(flat[names.index(nm)] if nm in names else params[nm].data(flat[0].context))
    values = nd.CachedOp(internals)(*feeds)
    values = values if isinstance(values, list) else [values]
    out_names = internals.list_outputs()
    spec = json.loads(graph.tojson())
    nodes, row = spec["nodes"], spec["node_row_ptr"]
    entry_value = {}
    k = 0
    for nid in range(len(nodes)):
        for idx in range(row[nid + 1] - row[nid]):
            entry_value[(nid, idx)] = (out_names[k], values[k])
            k += 1
    for nid, node in enumerate(nodes):
        if node["op"] == "null":
            continue
        if monitor_all:
            in_names = op_meta(node["op"]).input_names if has_op(node["op"]) else ()
            for j, (src, idx) in enumerate((e[0], e[1]) for e in node["inputs"]):
                label = in_names[j] if j < len(in_names) else "input%d" % j
                callback("%s_%s" % (node["name"], label), node["op"], entry_value[(src, idx)][1])
        for idx in range(row[nid + 1] - row[nid]):
            name, value = entry_value[(nid, idx)]
            callback(name, node["op"], value)


# -- save / load ----------------------------------------------------------------------------------------------------
def _cached_graph(block):
    """MXNet's keys for the traced graph of a hybridized block that has run (one input and one output only):
    in_format, out_format, inputs (the input variables' JSON) and symbol (the graph's JSON); {} otherwise."""
    sig = getattr(block, "_last_sig", None)
    if not getattr(block, "_hybrid_on", False) or sig is None:
        return {}
    layout, shapes = sig
    if len(shapes) != 1 or layout != (((None,), True)):
        return {}
    graph, out_layout = block._trace(layout, (None,))
    if out_layout is not None:
        return {}
    names = block._input_names(1)
    return {"in_format": [0], "out_format": 0, "inputs": [sym.var(n).tojson() for n in names],
            "symbol": graph.tojson()}


def _structure(block, counter):
    key = "%s%d" % (type(block).__name__.lower(), counter[0])
    counter[0] += 1
    entry = {"orig_name": block.name}
    entry.update(_cached_graph(block))
    entry["hybridized"] = bool(getattr(block, "_hybrid_on", False))
    entry["children"] = {kid.name: attr for attr, kid in block._kids.items()}
    for kid in block._kids.values():
        k, e = _structure(kid, counter)
        entry[k] = e
    return key, entry


def save(self, prefix):
    """Writes ``<prefix>-model.json`` (the block tree: a ``<class><n>`` entry per block, numbered depth first, with
    its name, children and whether it is hybridized; for a hybridized block that has run on one input with one
    output also its traced graph, as MXNet) and ``<prefix>-model.params`` (the parameters keyed by their place in
    the tree, as save_parameters, in MXNet's binary layout): MXNet 1.9.1's format, which MXNet 1.9.1 loads. mxc's
    load does not read the stored graphs back (it traces again at the first call)."""
    from ..ndarray.ndarray import _save_mxnet
    key, entry = _structure(self, [0])
    with open(prefix + "-model.json", "w") as f:
        json.dump({key: entry}, f)
    _save_mxnet(prefix + "-model.params", {k: p._reduce() for k, p in self._keyed_params().items()})


def _restore(block, entry_key, entries, counter, where):
    key = "%s%d" % (type(block).__name__.lower(), counter[0])
    counter[0] += 1
    if key not in entries:
        raise KeyError("Block.load: '%s' has no entry '%s' for %s (%s): the model was saved from another "
                       "structure (entries here: %s)" % (where, key, block.name, type(block).__name__,
                                                         ", ".join(k for k in entries if isinstance(entries[k],
                                                                                                    dict))))
    entry = entries[key]
    for kid in block._kids.values():
        _restore(kid, key, entry, counter, where)
    if entry.get("hybridized") and hasattr(block, "_cached") and not block._hybrid_on:
        block.hybridize(True)


def load(self, prefix):
    """Reads a model written by ``save`` (also MXNet 1.9.1's): checks that this block tree has the saved structure
    (a KeyError naming the first block that differs), hybridizes the blocks saved hybridized and loads the
    parameters."""
    fname = prefix + "-model.json"
    with open(fname) as f:
        top = json.load(f)
    _restore(self, None, top, [0], fname)
    self.load_parameters(prefix + "-model.params")


# -- HybridBlock ----------------------------------------------------------------------------------------------------
def infer_type(self, *args):
    """Infers the dtypes of the parameters from example inputs (as infer_shape): the traced graph's types with the
    inputs' and the parameters' declared dtypes; an inconsistency raises an error naming the inputs."""
    from .block import _flatten
    flat, layout = _flatten(args)
    graph, _ = self._trace(layout, tuple(a.shape for a in flat))
    names = self._input_names(len(flat))
    given = {nm: a.dtype for nm, a in zip(names, flat)}
    try:
        arg_types, _, aux_types = graph.infer_type(**{k: v for k, v in given.items()
                                                      if k in graph.list_arguments()})
    except MXNetError as err:
        raise MXNetError("%s (%s): infer_type failed for inputs %s: %s"
                         % (self.name, type(self).__name__,
                            ", ".join("%s: %s" % (k, np.dtype(v).name) for k, v in given.items()), err)) from err
    params = self.collect_params()
    for nm, dt in zip(graph.list_arguments() + graph.list_auxiliary_states(), list(arg_types) + list(aux_types)):
        if nm in params and dt is not None and np.dtype(dt) != np.dtype(params[nm].dtype):
            params[nm].dtype = dt


def optimize_for(self, x, *args, backend=None, clear=False, static_alloc=False, static_shape=False,
                 inline_limit=2, forward_bulk_size=None, backward_bulk_size=None, **kwargs):
    """Partitions the block's graph for a subgraph ``backend``. mxc registers no backends: as MXNet 1.9.1 does for
    an unknown backend, it warns, hybridizes the block without partitioning and runs it once on the inputs."""
    if backend is None:
        raise ValueError('Must specify "backend" to optimize_for')
    warnings.warn("Error optimizing for backend %r: it cannot be found (mxc registers no subgraph backends); the "
                  "block is hybridized without partitioning" % (backend,), RuntimeWarning, stacklevel=2)
    self.hybridize(True, static_alloc=static_alloc, static_shape=static_shape)
    self(x, *args)
