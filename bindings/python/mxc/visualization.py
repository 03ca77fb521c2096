"""Looking at a network: ``mx.viz.print_summary`` prints the layer table of a symbol as MXNet 1.x does.

``plot_network`` needs graphviz, which mxc does not use: it raises ImportError (graphviz missing) or
NotImplementedError.
"""
import json
import re

from .symbol import Symbol

__all__ = ["print_summary", "plot_network"]

_HEADINGS = ("Layer (type)", "Output Shape", "Param #", "Previous Layer")


def _attrs(node):
    return node.get("attrs") or node.get("attr") or node.get("param") or {}


def _ints(text):
    return [int(t) for t in re.findall(r"\d+", str(text))]


def _weights(node, in_shape):
    """Parameters counted for a layer the way MXNet's summary counts them (only these four layer kinds); the
    channel count is dimension 1 of the first input (0 while shapes are unknown)."""
    op, a = node["op"], _attrs(node)
    channels = in_shape[1] if in_shape is not None and len(in_shape) > 1 else 0
    biased = a.get("no_bias") != "True"
    if op == "FullyConnected":
        units = int(a["num_hidden"])
        return units * channels + (units if biased else 0)
    if op == "Convolution":
        filters = int(a["num_filter"])
        area = 1
        for k in _ints(a.get("kernel", "")):
            area *= k
        return filters * channels * area // int(a.get("num_group", 1)) + (filters if biased else 0)
    if op == "BatchNorm":
        return 2 * channels
    if op == "Embedding":
        return int(a["input_dim"]) * int(a["output_dim"])
    return 0


def _require_symbol(obj):
    if isinstance(obj, Symbol):
        return
    raise TypeError("symbol must be Symbol")


def _output_shapes(every_output, shape):
    """Shape of every output of the graph (variables by name, layers as '<name>_output') given input shapes."""
    _, shapes, _ = every_output.infer_shape(**shape)
    return dict(zip(every_output.list_outputs(), shapes))


def print_summary(symbol, shape=None, line_length=120, positions=[.44, .64, .74, 1.]):
    """Prints each layer of ``symbol`` with its output shape (without the batch axis; needs ``shape``, a dict of
    input shapes), parameter count and the layers feeding it, then the total parameter count.

    positions: where the four columns end, as fractions of line_length (or absolute when the last is above 1)."""
    _require_symbol(symbol)
    known = _output_shapes(symbol.get_internals(), shape) if shape is not None else {}
    ends = [int(line_length * p) for p in positions] if positions[-1] <= 1 else [int(p) for p in positions]
    widths = [e - s for s, e in zip([0] + ends[:-1], ends)]

    def emit(cells):
        print("".join(str(c)[:w].ljust(w) for c, w in zip(cells, widths)))

    def shape_of(node):
        return known.get(node["name"] if node["op"] == "null" else node["name"] + "_output")

    nodes = json.loads(symbol.tojson())["nodes"]
    # MXNet's table has a row for the first node of the graph and for every operator; other variables (weights,
    # labels, further inputs) are neither rows nor "previous layers"
    rows = [i for i, n in enumerate(nodes) if i == 0 or n["op"] != "null"]
    print("_" * line_length)
    emit(_HEADINGS)
    print("=" * line_length)
    total = 0
    for pos, i in enumerate(rows):
        node = nodes[i]
        feeds = [nodes[e[0]] for e in node.get("inputs", [])]
        sources = [f["name"] for f, e in zip(feeds, node.get("inputs", [])) if f["op"] != "null" or e[0] == 0]
        out = shape_of(node)
        params = 0 if node["op"] == "null" else _weights(node, shape_of(feeds[0]) if feeds else None)
        total += params
        label = "x".join(str(d) for d in out[1:]) if out else ""
        emit(["%s(%s)" % (node["name"], node["op"]), label, params, sources[0] if sources else ""])
        for extra in sources[1:]:
            emit(["", "", "", extra])
        print(("=" if pos == len(rows) - 1 else "_") * line_length)
    print("Total params: %d" % total)
    print("_" * line_length)


def plot_network(symbol, title="plot", save_format='pdf', shape=None, dtype=None, node_attrs={},
                 hide_weights=True):
    """Not available in mxc: drawing needs the graphviz package, which mxc does not depend on."""
    try:
        import graphviz  # noqa: F401
    except ImportError:
        raise ImportError("Draw network requires graphviz library")
    raise NotImplementedError("mxc.viz.plot_network is not implemented; use mx.viz.print_summary(symbol, shape)")
