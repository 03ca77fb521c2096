"""``mx.contrib.quantization``: INT8 quantization of a float32 symbolic model, as MXNet 1.9.1's generic graph pass
(``MXNET_SUBGRAPH_BACKEND=NONE``) does it.

``quantize_model`` rewrites FullyConnected, Convolution (2-D), Pooling (max/avg, 2-D), Flatten, Activation (relu),
Concat, BatchNorm, elemwise_add, elemwise_mul and Embedding into ``_contrib_quantized_*`` operators (in 'smart' mode
Pooling, Flatten, Activation, Concat, BatchNorm, elemwise_add and elemwise_mul only where one of their inputs and one
of their consumers are quantized, and Embedding never; a quantized BatchNorm keeps gamma, beta and the moving
statistics float and needs a calibration range, its output's; a quantized Embedding reads its indices float): float
inputs are quantized by ``_contrib_quantize_v2`` nodes (``<var>_quantize``, ``<node>_<output name>_quantize`` for
operators that name their outputs, else ``<node>_<index>_quantize``), FullyConnected / Convolution / elemwise_add /
elemwise_mul outputs (int32) are brought back to 8 bits by ``_contrib_requantize`` (``requantize_<name>``), and float consumers
of quantized outputs read them through ``_contrib_dequantize`` (``<name>_dequantize``). Weights and biases become
int8 parameters ``<param>_quantize`` with their ranges ``<param>_quantize_min``/``_max`` (scale 127 / max|w|). With
``calib_mode='naive'`` the float model runs over the calibration data and the smallest and largest value of every
quantized tensor become the ``min_calib_range``/``max_calib_range`` attributes of its quantize_v2/requantize (or
quantized_batch_norm) node. With ``calib_mode='entropy'`` the calibration outputs are gathered into 8001-bin
histograms (``_LayerHistogramCollector``, ``combine_histogram``) and each range is the symmetric threshold of least
KL divergence (the operator ``_contrib_calibrate_entropy``).
``quantize_net`` / ``quantize_net_v2`` run the same pass on a Gluon HybridBlock's graph and return a SymbolBlock.
"""
import json

import numpy as np

from .. import ndarray as nd
from .. import symbol as sym_mod
from ..context import Context, cpu

__all__ = ["quantize_model", "quantize_params", "combine_histogram", "quantize_net", "quantize_net_v2"]

_QUANTIZED_OP = {
    "FullyConnected": "_contrib_quantized_fully_connected",
    "Convolution": "_contrib_quantized_conv",
    "Pooling": "_contrib_quantized_pooling",
    "Flatten": "_contrib_quantized_flatten",
    "Activation": "_contrib_quantized_act",
    "Concat": "_contrib_quantized_concat",
    "BatchNorm": "_contrib_quantized_batch_norm",
    "elemwise_add": "_contrib_quantized_elemwise_add",
    "elemwise_mul": "_contrib_quantized_elemwise_mul",
    "Embedding": "_contrib_quantized_embedding",
}
# Quantized operators whose int32 output is brought back to 8 bits by a requantize node.
_REQUANTIZED = ("FullyConnected", "Convolution", "elemwise_add", "elemwise_mul")
# Operators whose outputs MXNet 1.9.1 names (a float output feeding a quantized node is quantized by
# '<node>_<output name>_quantize'); the others' outputs are named by their index ('<node>_<index>_quantize').
_NAMED_OUTPUT_OPS = frozenset((
    "Activation", "BatchNorm", "BilinearSampler", "Concat", "Convolution", "Correlation", "Crop", "Deconvolution",
    "Dropout", "FullyConnected", "GridGenerator", "GroupNorm", "IdentityAttachKLSparseReg", "InstanceNorm",
    "L2Normalization", "LRN", "LayerNorm", "LeakyReLU", "LinearRegressionOutput", "LogisticRegressionOutput",
    "MAERegressionOutput", "Pad", "Pooling", "RNN", "ROIPooling", "SVMOutput", "SequenceLast", "SequenceMask",
    "SequenceReverse", "SliceChannel", "SoftmaxActivation", "SoftmaxOutput", "SpatialTransformer", "SwapAxis",
    "UpSampling", "elemwise_add", "softmax", "swapaxes"))
# Operators quantized in 'smart' mode only when one of their inputs is already quantized (a quantize node for them
# alone would cost more than it saves) and one of their consumers is quantized too (else a dequantize would follow
# right away), as MXNet 1.9.1 decides.
_LIGHT_OPS = ("Pooling", "Flatten", "Activation", "Concat", "BatchNorm", "elemwise_add", "elemwise_mul", "Embedding")


def _tuple_len(s):
    s = (s or "").strip().strip("()[]")
    return len([t for t in s.split(",") if t.strip()])


def _output_names(sym):
    """Node name -> the names of its outputs (without the node's name), from the symbol's internals."""
    js = json.loads(sym.tojson())
    variables = {n["name"] for n in js["nodes"] if n["op"] == "null"}
    internals = [o for o in sym.get_internals().list_outputs() if o not in variables]
    r = {}
    for n in js["nodes"]:
        if n["op"] != "null":
            r[n["name"]] = [o[len(n["name"]) + 1:] for o in internals if o.startswith(n["name"] + "_")]
    return r


def _can_quantize(node):
    op, a = node["op"], node.get("attrs", {})
    if op not in _QUANTIZED_OP:
        return False
    if op == "Activation":
        return a.get("act_type") == "relu"
    if op in ("Convolution", "Pooling"):
        if a.get("layout", "None") not in ("None", "NCHW"):
            return False
        if op == "Pooling":
            if a.get("pool_type", "max") not in ("max", "avg") or a.get("pooling_convention", "valid") == "same":
                return False
            return a.get("global_pool", "False") in ("True", "true", "1") or _tuple_len(a.get("kernel")) == 2
        return _tuple_len(a.get("kernel")) == 2
    return True


def quantize_params(qsym, params, th_dict=None):
    """The parameters of qsym: each ``<p>_quantize`` int8 (scale 127 / max|p|) with ``<p>_quantize_min``/``_max``,
    the others as they are in params."""
    args = set(qsym.list_arguments()) | set(qsym.list_auxiliary_states())
    out = {}
    for name in args:
        if name.endswith("_quantize") and name[:-len("_quantize")] in params:
            v = params[name[:-len("_quantize")]].astype("float32")
            m = float(np.abs(v.asnumpy()).max()) if v.size else 0.0
            lo, hi = nd.array([-m], ctx=v.context), nd.array([m], ctx=v.context)
            q = nd.contrib.quantize(v, lo, hi, out_type="int8")
            out[name], out[name + "_min"], out[name + "_max"] = q[0], q[1], q[2]
        elif name in params:
            out[name] = params[name]
    return out


def _smooth_distribution(p, eps=0.0001):
    """p with eps added to its zero bins and the same mass taken evenly from its nonzero bins (as MXNet 1.9.1's
    helper of the same name); ValueError when p has no nonzero bin."""
    p = np.asarray(p)
    is_zeros = (p == 0).astype(np.float32)
    is_nonzeros = (p != 0).astype(np.float32)
    n_zeros = int(is_zeros.sum())
    n_nonzeros = p.size - n_zeros
    if not n_nonzeros:
        raise ValueError("The discrete probability distribution is malformed. All entries are 0.")
    eps1 = eps * float(n_zeros) / float(n_nonzeros)
    if eps1 >= 1.0:
        raise ValueError("n_zeros=%d, n_nonzeros=%d, eps1=%f" % (n_zeros, n_nonzeros, eps1))
    hist = p.astype(np.float32)
    hist += eps * is_zeros + (-eps1) * is_nonzeros
    if (hist <= 0).sum() != 0:
        raise ValueError("the smoothed distribution has a non-positive bin")
    return hist


def _entropy_threshold(hist, hist_edges, num_quantized_bins=255):
    """(threshold, divergence) from the operator ``_contrib_calibrate_entropy``: the symmetric threshold |x| <= edge
    that minimises KL(P || Q), where P is the histogram clipped to the threshold (outliers added to its end bins)
    and Q the same range merged into num_quantized_bins bins and expanded back evenly over the nonzero bins, with
    MXNet 1.9.1's arithmetic (integer counts, the range's first bin left out of Q, float32 sums). The operator checks
    the arguments (a ValueError naming them)."""
    th, div = nd.contrib.calibrate_entropy(nd.array(hist, dtype="float32"), nd.array(hist_edges, dtype="float32"),
                                           num_quantized_bins=num_quantized_bins)
    return float(th.asnumpy()[0]), float(div.asnumpy()[0])


def combine_histogram(old_hist, arr, new_min, new_max, new_th):
    """Adds the values arr to the histogram old_hist = (hist, edges, min, max, th), widening it by whole bins on
    both sides when |arr| exceeds th (MXNet 1.9.1's ``combine_histogram``)."""
    hist, edges, old_min, old_max, old_th = old_hist
    arr = np.asarray(arr)
    if new_th <= old_th:
        h, _ = np.histogram(arr, bins=len(hist), range=(-old_th, old_th))
        return hist + h, edges, min(old_min, new_min), max(old_max, new_max), old_th
    num_bins = len(hist)
    step = 2 * old_th / num_bins
    grow = int((new_th - old_th) // step + 1)
    new_bins = grow * 2 + num_bins
    new_th = grow * step + old_th
    h, new_edges = np.histogram(arr, bins=new_bins, range=(-new_th, new_th))
    h[grow:new_bins - grow] += hist
    return h, new_edges, min(old_min, new_min), max(old_max, new_max), new_th


def _get_optimal_threshold(hist_data, quantized_dtype="int8", num_quantized_bins=255):
    """(min, max, threshold, divergence) of one histogram (hist, edges, min, max, th)."""
    hist, edges, lo, hi, _ = hist_data
    th, div = _entropy_threshold(hist, edges, num_quantized_bins)
    return lo, hi, th, div


def _get_optimal_thresholds(hist_dict, quantized_dtype="int8", num_quantized_bins=255, logger=None):
    """name -> (-th, th) for every histogram of hist_dict; (0, th) for a tensor with no negative value when the
    quantized type is 'uint8' or 'auto' (as MXNet 1.9.1)."""
    th_dict = {}
    for name in sorted(hist_dict):
        lo, hi, th, div = _get_optimal_threshold(hist_dict[name], quantized_dtype, num_quantized_bins)
        th_dict[name] = (0.0, th) if lo >= 0 and quantized_dtype in ("auto", "uint8") else (-th, th)
        if logger:
            logger.info("layer=%s, min_val=%f, max_val=%f, th=%f, divergence=%f", name, lo, hi, th, div)
    return th_dict


class _LayerHistogramCollector:
    """Histograms (num_bins bins over [-th, th], th = max |x| seen) of named tensors, merged over batches."""

    def __init__(self, num_bins=8001, include_layer=None, logger=None):
        self.hist_dict = {}
        self.num_bins = num_bins
        self.include_layer = include_layer
        self.logger = logger

    def collect(self, name, arr):
        if self.include_layer is not None and name not in self.include_layer:
            return
        arr = arr.asnumpy() if hasattr(arr, "asnumpy") else np.asarray(arr)
        lo, hi = float(np.min(arr)), float(np.max(arr))
        th = max(abs(lo), abs(hi))
        if name in self.hist_dict:
            self.hist_dict[name] = combine_histogram(self.hist_dict[name], arr, lo, hi, th)
        else:
            h, e = np.histogram(arr, bins=self.num_bins, range=(-th, th))
            self.hist_dict[name] = (h, e, lo, hi, th)


class _LayerOutputMinMaxCollector:
    """The smallest and largest value of named tensors over batches."""

    def __init__(self, quantized_dtype="int8", include_layer=None, logger=None):
        self.min_max_dict = {}
        self.quantized_dtype = quantized_dtype
        self.include_layer = include_layer
        self.logger = logger

    def collect(self, name, arr):
        if self.include_layer is not None and name not in self.include_layer:
            return
        arr = arr.asnumpy() if hasattr(arr, "asnumpy") else np.asarray(arr)
        lo, hi = float(np.min(arr)), float(np.max(arr))
        if name in self.min_max_dict:
            o = self.min_max_dict[name]
            lo, hi = min(lo, o[0]), max(hi, o[1])
        self.min_max_dict[name] = (lo, hi)


class _Pass:
    """The graph rewrite on the symbol's JSON."""

    def __init__(self, sym, excluded_sym_names, excluded_op_names, quantized_dtype, quantize_mode):
        self.js = json.loads(sym.tojson())
        self.old = self.js["nodes"]
        self.excluded_sym = set(excluded_sym_names or [])
        self.excluded_op = set(excluded_op_names or [])
        self.dtype = quantized_dtype
        self.mode = quantize_mode
        self.out_names = _output_names(sym)  # node name -> its output names (for '<node>_<output>_quantize')
        self.new = []
        self.new_idx = {}      # old index -> new index (float nodes, created lazily for variables)
        self.quantized = {}    # old index -> [3 new entries]: output, min, max
        self.dequant = {}      # old index -> new index of its dequantize node
        self.quantize = {}     # (old index, output) -> new index of its quantize_v2 node
        self.calib = {}        # new node name -> float entry (old node name, output index) whose range it uses

    def add(self, op, name, inputs, attrs=None):
        node = {"op": op, "name": name, "inputs": [[e[0], e[1], 0] for e in inputs]}
        if attrs:
            node["attrs"] = dict(attrs)
        self.new.append(node)
        return len(self.new) - 1

    def float_entry(self, e):
        i, k = e[0], e[1]
        if i in self.quantized:
            if i not in self.dequant:
                self.dequant[i] = self.add("_contrib_dequantize", self.old[i]["name"] + "_dequantize",
                                           self.quantized[i])
            return (self.dequant[i], 0)
        if i not in self.new_idx:  # a variable, created on first float use
            n = self.old[i]
            self.new_idx[i] = self.add("null", n["name"], [], n.get("attrs"))
        return (self.new_idx[i], k)

    def quantized_entry(self, e):
        i, k = e[0], e[1]
        if i in self.quantized:
            return self.quantized[i]
        if (i, k) not in self.quantize:
            n = self.old[i]
            if n["op"] == "null":
                name = n["name"] + "_quantize"
            elif n["op"] not in _NAMED_OUTPUT_OPS:  # MXNet names such an output by its index
                name = "%s_%d_quantize" % (n["name"], k)
            else:
                outs = self.out_names.get(n["name"]) or ["output"]
                name = "%s_%s_quantize" % (n["name"], outs[k] if k < len(outs) else str(k))
            src = self.float_entry(e)
            self.quantize[(i, k)] = self.add("_contrib_quantize_v2", name, [src], {"out_type": self.dtype})
            self.calib[name] = (n["name"], k)
        j = self.quantize[(i, k)]
        return [(j, 0), (j, 1), (j, 2)]

    def _plan(self):
        """The old indices of the nodes to quantize."""
        q = set()
        for i, n in enumerate(self.old):
            if n["op"] == "null" or not _can_quantize(n):
                continue
            if n["name"] in self.excluded_sym or n["op"] in self.excluded_op:
                continue
            if self.mode == "smart" and n["op"] == "Embedding":  # its data (indices) is never quantized
                continue
            if self.mode == "smart" and n["op"] in _LIGHT_OPS and not any(e[0] in q for e in n["inputs"]):
                continue
            q.add(i)
        if self.mode == "smart":  # light ops none of whose consumers is quantized stay float (last ones first)
            consumers = {}
            for j, n in enumerate(self.old):
                for e in n["inputs"]:
                    consumers.setdefault(e[0], []).append(j)
            for i in reversed(range(len(self.old))):
                if i in q and self.old[i]["op"] in _LIGHT_OPS and not any(j in q for j in consumers.get(i, [])):
                    q.discard(i)
        return q

    def wants_quantize(self, i):
        return i in self.plan

    def param_vars(self, i):
        """New variables <p>_quantize, ..._min, ..._max for the weight (and bias) of old node i."""
        n = self.old[i]
        params = [self.old[e[0]]["name"] for e in n["inputs"][1:]]
        vals = [self.add("null", p + "_quantize", []) for p in params]
        ranges = []
        for p in params:
            ranges.append(self.add("null", p + "_quantize_min", []))
            ranges.append(self.add("null", p + "_quantize_max", []))
        return vals, ranges

    def requantize(self, i, q):
        """A requantize node (``requantize_<name>``, calibrated by old node i's output) after new node q."""
        rq_name = "requantize_" + self.old[i]["name"]
        rq = self.add("_contrib_requantize", rq_name, [(q, 0), (q, 1), (q, 2)], {"out_type": self.dtype})
        self.calib[rq_name] = (self.old[i]["name"], 0)
        return [(rq, 0), (rq, 1), (rq, 2)]

    def run(self):
        self.plan = self._plan()
        for i, n in enumerate(self.old):
            if n["op"] == "null":
                continue
            if not self.wants_quantize(i):
                self.new_idx[i] = self.add(n["op"], n["name"], [self.float_entry(e) for e in n["inputs"]],
                                           n.get("attrs"))
                continue
            attrs = dict(n.get("attrs", {}))
            if n["op"] == "Concat":
                parts = [self.quantized_entry(e) for e in n["inputs"]]
                attrs.setdefault("num_args", str(len(parts)))
                inputs = [t[0] for t in parts] + [r for t in parts for r in t[1:]]
                q = self.add(_QUANTIZED_OP["Concat"], "quantized_" + n["name"], inputs, attrs)
                self.quantized[i] = [(q, 0), (q, 1), (q, 2)]
                continue
            if n["op"] == "Embedding":  # the indices stay float; the weight becomes int8 with its range
                vals, ranges = self.param_vars(i)
                inputs = [self.float_entry(n["inputs"][0])] + [(v, 0) for v in vals] + [(r, 0) for r in ranges]
                q = self.add(_QUANTIZED_OP["Embedding"], "quantized_" + n["name"], inputs, attrs)
                self.quantized[i] = [(q, 0), (q, 1), (q, 2)]
                continue
            if n["op"] in ("elemwise_add", "elemwise_mul"):
                lhs, rhs = self.quantized_entry(n["inputs"][0]), self.quantized_entry(n["inputs"][1])
                inputs = [lhs[0], rhs[0], lhs[1], lhs[2], rhs[1], rhs[2]]
                q = self.add(_QUANTIZED_OP[n["op"]], "quantized_" + n["name"], inputs, attrs)
                self.quantized[i] = self.requantize(i, q)
                continue
            data = self.quantized_entry(n["inputs"][0])
            if n["op"] in ("FullyConnected", "Convolution"):
                vals, ranges = self.param_vars(i)
                inputs = [data[0]] + [(v, 0) for v in vals] + [data[1], data[2]] + [(r, 0) for r in ranges]
                q = self.add(_QUANTIZED_OP[n["op"]], "quantized_" + n["name"], inputs, attrs)
                self.quantized[i] = self.requantize(i, q)
            elif n["op"] == "BatchNorm":  # gamma, beta and the moving statistics stay float
                params = [self.float_entry(e) for e in n["inputs"][1:5]]
                name = "quantized_" + n["name"]
                q = self.add(_QUANTIZED_OP["BatchNorm"], name, [data[0]] + params + [data[1], data[2]], attrs)
                self.calib[name] = (n["name"], 0)
                self.quantized[i] = [(q, 0), (q, 1), (q, 2)]
            else:
                if n["op"] == "Activation":
                    attrs = {"act_type": "relu"}
                q = self.add(_QUANTIZED_OP[n["op"]], "quantized_" + n["name"], data, attrs)
                self.quantized[i] = [(q, 0), (q, 1), (q, 2)]
        heads = [self.float_entry(h) for h in self.js["heads"]]
        return {"nodes": self.new,
                "arg_nodes": [k for k, m in enumerate(self.new) if m["op"] == "null"],
                "heads": [[h[0], h[1], 0] for h in heads],
                "attrs": self.js.get("attrs", {})}


def _collect_ranges(sym, arg_params, aux_params, targets, calib_data, num_examples, ctx, data_names, logger,
                    collector=None):
    """The smallest and largest value of each float entry (node name, output) of sym over the calibration data."""
    internals = sym.get_internals()
    out_names = _output_names(sym)
    outputs, wanted = [], []
    for node_name, k in sorted(set(targets)):
        if node_name not in out_names:  # a variable: an input of the model
            wanted.append(("input", node_name, k))
            continue
        outputs.append(internals["%s_%s" % (node_name, out_names[node_name][k])])
        wanted.append(("output", node_name, k))
    ranges = {}
    calib_data.reset()
    group = sym_mod.Group(outputs) if outputs else None
    exe = None
    seen = 0
    for batch in calib_data:
        feed = dict(zip([d[0] if isinstance(d, (tuple, list)) else d.name for d in calib_data.provide_data],
                        batch.data))
        if group is not None:
            if exe is None:
                exe = group.simple_bind(ctx, grad_req="null", **{k: v.shape for k, v in feed.items()})
                exe.copy_params_from(arg_params, aux_params, allow_extra_params=True)
            for k, v in feed.items():
                v.copyto(exe.arg_dict[k])
            exe.forward(is_train=False)
            results = list(exe.outputs)
        r = 0
        for kind, name, k in wanted:
            if kind == "input":
                v = feed[name].asnumpy()
            else:
                v = results[r].asnumpy()
                r += 1
            if collector is not None:
                collector.collect((name, k), v)
            lo, hi = float(np.min(v)), float(np.max(v))
            if (name, k) in ranges:
                lo, hi = min(lo, ranges[(name, k)][0]), max(hi, ranges[(name, k)][1])
            ranges[(name, k)] = (lo, hi)
        seen += batch.data[0].shape[0] - (batch.pad or 0)
        if num_examples is not None and seen >= num_examples:
            break
    if logger:
        logger.info("Collected the ranges of %d tensors from %d examples", len(ranges), seen)
    return ranges, seen


def quantize_model(sym, arg_params, aux_params, data_names=("data",), label_names=("softmax_label",), ctx=cpu(),
                   excluded_sym_names=None, excluded_op_names=None, calib_mode="entropy", calib_data=None,
                   num_calib_examples=None, quantized_dtype="int8", quantize_mode="smart",
                   quantize_granularity="tensor-wise", logger=None):
    """Quantizes a float32 symbolic model to INT8 (MXNet 1.9.1's ``mx.contrib.quantization.quantize_model``).

    Returns (qsym, qarg_params, aux_params). calib_mode: 'none' (ranges found at run time), 'naive' (min/max
    over num_calib_examples examples of calib_data) or 'entropy' (symmetric thresholds minimising the KL divergence
    between 8001-bin histograms of the calibration outputs and their 255-level quantization). quantized_dtype: 'int8', 'uint8'
    or 'auto'; quantize_mode: 'smart' or 'full'."""
    if excluded_sym_names is not None and not isinstance(excluded_sym_names, (list, tuple)):
        raise ValueError("excluded_sym_names must be a list of strings, got %r" % (excluded_sym_names,))
    if excluded_op_names is not None and not isinstance(excluded_op_names, (list, tuple)):
        raise ValueError("excluded_op_names must be a list of strings, got %r" % (excluded_op_names,))
    if not isinstance(ctx, Context):
        raise ValueError("quantize_model: ctx must be a Context, got %r" % (ctx,))
    if quantized_dtype not in ("int8", "uint8", "auto"):
        raise ValueError("unknown quantized_dtype %r received, expected 'int8', 'uint8' or 'auto'" % (quantized_dtype,))
    if quantize_mode not in ("smart", "full"):
        raise ValueError("unknown quantize_mode %r received, expected 'smart' or 'full'" % (quantize_mode,))
    if quantize_granularity != "tensor-wise":
        raise ValueError("quantize_granularity %r is not supported (tensor-wise)" % (quantize_granularity,))
    if calib_mode not in ("none", "naive", "entropy"):
        raise ValueError("unknown calibration mode %r received, expected 'none', 'naive' or 'entropy'" % (calib_mode,))
    if logger:
        logger.info("Quantizing symbol (mode %s, dtype %s)", quantize_mode, quantized_dtype)
    p = _Pass(sym, excluded_sym_names, excluded_op_names, quantized_dtype, quantize_mode)
    qjson = p.run()
    if calib_mode in ("naive", "entropy"):
        if calib_data is None:
            raise ValueError("calib_data must be provided when calib_mode=%s" % calib_mode)
        collector = _LayerHistogramCollector(logger=logger) if calib_mode == "entropy" else None
        ranges, _ = _collect_ranges(sym, arg_params, aux_params or {}, list(p.calib.values()), calib_data,
                                    num_calib_examples, ctx, data_names, logger, collector)
        if collector is not None:
            ranges = _get_optimal_thresholds(collector.hist_dict, quantized_dtype, logger=logger)
        for node in qjson["nodes"]:
            if node["name"] in p.calib and p.calib[node["name"]] in ranges:
                lo, hi = ranges[p.calib[node["name"]]]
                node.setdefault("attrs", {})
                node["attrs"]["min_calib_range"] = "%f" % lo
                node["attrs"]["max_calib_range"] = "%f" % hi
    qsym = sym_mod.load_json(json.dumps(qjson))
    if logger:
        logger.info("Quantizing parameters")
    qarg_params = quantize_params(qsym, arg_params)
    return qsym, qarg_params, aux_params



class _LoaderIter:
    """A gluon DataLoader (or any iterable of batches) seen as a DataIter over inputs named ``names``."""

    def __init__(self, loader, names):
        self.loader = loader
        self.names = list(names)
        first = next(iter(loader))
        first = list(first) if isinstance(first, (list, tuple)) else [first]
        from ..io import DataDesc
        self.provide_data = [DataDesc(n, a.shape) for n, a in zip(self.names, first)]

    def reset(self):
        pass

    def __iter__(self):
        from ..io import DataBatch
        for batch in self.loader:
            parts = list(batch) if isinstance(batch, (list, tuple)) else [batch]
            parts = [p if isinstance(p, nd.NDArray) else nd.array(p) for p in parts[:len(self.names)]]
            yield DataBatch(data=parts, pad=0)


def _desc_shape(d):
    if hasattr(d, "shape") and hasattr(d, "name"):
        return d.name, tuple(d.shape)
    if isinstance(d, (list, tuple)) and len(d) == 2 and isinstance(d[0], str):
        return d[0], tuple(d[1])
    raise ValueError("quantize_net: data_shapes must be a list of DataDesc (or (name, shape) pairs), got %r" % (d,))


def quantize_net_v2(network, quantized_dtype="auto", quantize_mode="full", quantize_granularity="tensor-wise",
                    exclude_layers=None, exclude_layers_match=None, exclude_operators=None, calib_data=None,
                    data_shapes=None, calib_mode="none", num_calib_examples=None, ctx=cpu(),
                    LayerOutputCollector=None, logger=None):
    """Quantizes a Gluon HybridBlock (MXNet 1.9.1's ``quantize_net_v2``): the block's graph goes through
    quantize_model's pass (FullyConnected, Convolution, Pooling, Flatten, relu, Concat) and the result comes back
    as a SymbolBlock holding the int8 parameters. exclude_layers: node names left in float32;
    exclude_layers_match: substrings of such names; exclude_operators: operator names. calib_data: a DataIter or a
    DataLoader (needed for calib_mode 'naive' / 'entropy'); data_shapes: DataDesc list when there is none."""
    from ..gluon.block import HybridBlock, SymbolBlock
    from ..gluon.parameter import _load_into
    from ..io import DataIter
    if not isinstance(network, HybridBlock):
        raise ValueError("quantize_net: network must be a gluon HybridBlock, got %s" % type(network).__name__)
    if LayerOutputCollector is not None:
        raise ValueError("quantize_net: a custom LayerOutputCollector is not supported (calib_mode 'none', "
                         "'naive' or 'entropy')")
    if calib_mode not in ("none", "naive", "entropy"):
        raise ValueError("unknown calibration mode %r received, expected 'none', 'naive' or 'entropy'" % (calib_mode,))
    for what, v in (("exclude_layers", exclude_layers), ("exclude_layers_match", exclude_layers_match),
                    ("exclude_operators", exclude_operators)):
        if v is not None and not isinstance(v, (list, tuple)):
            raise ValueError("quantize_net: %s must be a list of strings, got %r" % (what, v))
    if calib_data is not None and not isinstance(calib_data, DataIter) and not hasattr(calib_data, "__iter__"):
        raise ValueError("quantize_net: calib_data must be a DataIter or a DataLoader, got %s"
                         % type(calib_data).__name__)
    if calib_mode != "none" and calib_data is None:
        raise ValueError("calib_data must be provided when calib_mode=%s" % calib_mode)
    if data_shapes is None:
        if calib_data is None:
            raise ValueError("data_shapes required when calib_data is not provided")
        if isinstance(calib_data, DataIter):
            shapes = [_desc_shape(d) for d in calib_data.provide_data]
        else:
            first = next(iter(calib_data))
            first = list(first) if isinstance(first, (list, tuple)) else [first]
            shapes = [(None, tuple(first[0].shape))]
    else:
        shapes = [_desc_shape(d) for d in data_shapes]
    n = len(shapes)
    names = network._input_names(n)
    # run once on zeros (on the parameters' device): finishes deferred initialization; then trace the graph
    params = network.collect_params()
    where = ctx
    for prm in params.values():
        try:
            where = prm.list_ctx()[0]
            break
        except Exception:  # deferred: initialized on ctx by the run below
            continue
    network(*[nd.zeros(s, ctx=where) for _, s in shapes])
    out = network(*[sym_mod.var(nm) for nm in names])
    outs = out if isinstance(out, (list, tuple)) else [out]
    graph = outs[0] if len(outs) == 1 else sym_mod.Group(list(outs))

    def value(k):
        prm = params[k]
        return prm.data(prm.list_ctx()[0]).as_in_context(ctx)
    arg_params = {k: value(k) for k in graph.list_arguments() if k in params}
    aux_params = {k: value(k) for k in graph.list_auxiliary_states() if k in params}
    js = json.loads(graph.tojson())
    excluded = set(exclude_layers or [])
    for node in js["nodes"]:
        if node["op"] != "null" and any(m in node["name"] for m in (exclude_layers_match or [])):
            excluded.add(node["name"])
    if calib_data is not None and not isinstance(calib_data, DataIter):
        calib_data = _LoaderIter(calib_data, names)
    elif calib_data is not None and [d[0] for d in map(_desc_shape, calib_data.provide_data)] != names:
        calib_data = _LoaderIter(_Renamed(calib_data), names)
    qsym, qarg, qaux = quantize_model(graph, arg_params, aux_params, data_names=names, label_names=None, ctx=ctx,
                                      excluded_sym_names=sorted(excluded),
                                      excluded_op_names=list(exclude_operators or []), calib_mode=calib_mode,
                                      calib_data=calib_data, num_calib_examples=num_calib_examples,
                                      quantized_dtype=quantized_dtype, quantize_mode=quantize_mode,
                                      quantize_granularity=quantize_granularity, logger=logger)
    block = SymbolBlock(qsym, [sym_mod.var(nm) for nm in names])
    stored = dict(qarg)
    stored.update(qaux or {})
    for name, p in block.collect_params().items():
        if name in stored:
            _load_into(p, stored[name], ctx, cast_dtype=True, dtype_source="saved")
    return block


class _Renamed:
    """The batches of a DataIter whose inputs are named otherwise than the block's."""

    def __init__(self, it):
        self.it = it

    def __iter__(self):
        self.it.reset()
        for b in self.it:
            yield list(b.data)


def quantize_net(network, quantized_dtype="auto", quantize_mode="full", exclude_layers=None,
                 exclude_layers_match=None, exclude_operators=None, calib_data=None, data_shapes=None,
                 calib_mode="none", num_calib_examples=None, ctx=cpu(), logger=None):
    """``quantize_net_v2`` with tensor-wise granularity (MXNet 1.9.1's older entry point)."""
    return quantize_net_v2(network, quantized_dtype=quantized_dtype, quantize_mode=quantize_mode,
                           quantize_granularity="tensor-wise", exclude_layers=exclude_layers,
                           exclude_layers_match=exclude_layers_match, exclude_operators=exclude_operators,
                           calib_data=calib_data, data_shapes=data_shapes, calib_mode=calib_mode,
                           num_calib_examples=num_calib_examples, ctx=ctx, logger=logger)
