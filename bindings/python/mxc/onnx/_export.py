"""The exporter: walks a symbol's graph (its JSON), infers every value's shape, and turns each node into ONNX nodes
through a table of converters (one per mxc operator name)."""
import ast
import json
import os

import numpy as np

from .. import ndarray as nd
from .. import symbol as _sym

__all__ = ["export_model", "get_operator_support"]

_CONVERTERS = {}


def _converter(*names):
    def reg(fn):
        for n in names:
            _CONVERTERS[n] = fn
        return fn
    return reg


def get_operator_support():
    """The mxc operator names the exporter converts."""
    return sorted(_CONVERTERS)


# ---- attribute parsing (the JSON keeps every attribute as a string) ------------------------------------------------
def _val(s):
    if isinstance(s, (list, tuple)):
        return tuple(s)
    if not isinstance(s, str):
        return s
    t = s.strip()
    if t in ("True", "true"):
        return True
    if t in ("False", "false"):
        return False
    if t in ("None", ""):
        return None
    try:
        v = ast.literal_eval(t)
    except (ValueError, SyntaxError):
        return t
    return tuple(v) if isinstance(v, list) else v


class _Node(object):
    def __init__(self, nid, raw, ctx):
        self.id, self.op, self.name = nid, raw["op"], raw["name"]
        self.attrs = {k: _val(v) for k, v in raw.get("attrs", raw.get("param", {})).items()}
        self.inputs = [ctx.tensor(i, j) for i, j, *_ in raw["inputs"]]
        self.in_shapes = [ctx.shapes[(i, j)] for i, j, *_ in raw["inputs"]]
        self.ctx = ctx

    def a(self, key, default=None):
        v = self.attrs.get(key, default)
        return default if v is None else v

    def tup(self, key, default):
        v = self.a(key, default)
        return tuple(v) if isinstance(v, (tuple, list)) else (v,)

    def out(self, k=0):
        return self.ctx.tensor(self.id, k)

    def fail(self, why):
        raise NotImplementedError("export_model: node '%s' (operator %s): %s" % (self.name, self.op, why))


class _Context(object):
    """The ONNX graph being built: nodes, initializers, and the names of the mxc graph's values."""

    def __init__(self, opset, dynamic):
        from onnx import helper
        self.helper, self.opset, self.dynamic = helper, opset, dynamic
        self.nodes, self.inits, self.shapes, self._names, self._count = [], [], {}, {}, 0

    def tensor(self, nid, k):
        return self._names[(nid, k)]

    def fresh(self, base):
        self._count += 1
        return "%s__%d" % (base, self._count)

    def node(self, op, inputs, outputs=None, name=None, **attrs):
        outputs = outputs or [self.fresh(name or op)]
        self.nodes.append(self.helper.make_node(op, list(inputs), list(outputs), name=name or self.fresh(op),
                                                **attrs))
        return outputs[0] if len(outputs) == 1 else outputs

    def const(self, base, value, dtype=np.float32):
        from onnx import numpy_helper
        name = self.fresh(base)
        self.inits.append(numpy_helper.from_array(np.asarray(value, dtype=dtype), name))
        return name


# ---- converters: fn(node, ctx, outs) writes ONNX nodes producing the names in outs ----------------------------------
def _pair(v, n=2):
    v = tuple(v)
    return v * n if len(v) == 1 else v


@_converter("FullyConnected")
def _fc(n, c, outs):
    x, w = n.inputs[0], n.inputs[1]
    b = None if n.a("no_bias", False) else n.inputs[2]
    if n.a("flatten", True):
        if len(n.in_shapes[0]) != 2:
            x = c.node("Flatten", [x], axis=1)
        c.node("Gemm", [x, w] + ([b] if b else []), outs, name=n.name, transB=1)
    else:
        wt = c.node("Transpose", [w], perm=[1, 0])
        if b:
            c.node("Add", [c.node("MatMul", [x, wt]), b], outs, name=n.name)
        else:
            c.node("MatMul", [x, wt], outs, name=n.name)


def _conv_attrs(n):
    k = n.tup("kernel", ())
    nd_ = len(k)
    if nd_ not in (1, 2):
        n.fail("only 1-D and 2-D kernels are exported")
    stride = n.tup("stride", (1,) * nd_) or (1,) * nd_
    dilate = n.tup("dilate", (1,) * nd_) or (1,) * nd_
    pad = n.tup("pad", (0,) * nd_) or (0,) * nd_
    return dict(kernel_shape=list(k), strides=list(stride), dilations=list(dilate), pads=list(pad) * 2,
                group=int(n.a("num_group", 1)))


@_converter("Convolution")
def _conv(n, c, outs):
    if n.a("layout") not in (None, "NCHW", "NCW"):
        n.fail("layout %s (only NCW/NCHW)" % n.a("layout"))
    ins = n.inputs[:2] if n.a("no_bias", False) else n.inputs[:3]
    c.node("Conv", ins, outs, name=n.name, **_conv_attrs(n))


@_converter("Deconvolution")
def _deconv(n, c, outs):
    if n.a("target_shape"):
        n.fail("target_shape is not exported (give pad and adj)")
    at = _conv_attrs(n)
    adj = n.tup("adj", (0,) * len(at["kernel_shape"])) or (0,) * len(at["kernel_shape"])
    ins = n.inputs[:2] if n.a("no_bias", True) else n.inputs[:3]
    c.node("ConvTranspose", ins, outs, name=n.name, output_padding=list(adj), **at)


@_converter("Pooling")
def _pool(n, c, outs):
    kind = n.a("pool_type", "max")
    if n.a("global_pool", False):
        op = {"max": "GlobalMaxPool", "avg": "GlobalAveragePool"}.get(kind)
        if op is None:
            n.fail("global %s pooling" % kind)
        c.node(op, n.inputs[:1], outs, name=n.name)
        return
    k = n.tup("kernel", ())
    nd_ = len(k)
    at = dict(kernel_shape=list(k), strides=list(n.tup("stride", (1,) * nd_) or (1,) * nd_),
              pads=list(n.tup("pad", (0,) * nd_) or (0,) * nd_) * 2,
              ceil_mode=1 if n.a("pooling_convention", "valid") == "full" else 0)
    if kind == "max":
        c.node("MaxPool", n.inputs[:1], outs, name=n.name, **at)
    elif kind == "avg":
        c.node("AveragePool", n.inputs[:1], outs, name=n.name,
               count_include_pad=1 if n.a("count_include_pad", True) else 0, **at)
    elif kind == "lp":
        c.node("LpPool", n.inputs[:1], outs, name=n.name, p=int(n.a("p_value", 2)),
               **{k_: v for k_, v in at.items() if k_ != "ceil_mode"})
    else:
        n.fail("pool_type %s" % kind)


@_converter("BatchNorm")
def _bn(n, c, outs):
    if n.a("axis", 1) != 1:
        n.fail("axis %s (only 1)" % n.a("axis"))
    x, gamma, beta, mean, var = n.inputs
    if n.a("fix_gamma", True):
        gamma = c.const(n.name + "_gamma_one", np.ones(n.in_shapes[1], np.float32))
    c.node("BatchNormalization", [x, gamma, beta, mean, var], outs[:1], name=n.name, epsilon=float(n.a("eps", 1e-3)),
           momentum=float(n.a("momentum", 0.9)))


_ACT = {"relu": "Relu", "sigmoid": "Sigmoid", "tanh": "Tanh", "softrelu": "Softplus", "softsign": "Softsign"}


@_converter("Activation")
def _act(n, c, outs):
    kind = n.a("act_type")
    if kind not in _ACT:
        n.fail("act_type %s" % kind)
    c.node(_ACT[kind], n.inputs, outs, name=n.name)


for _mx, _ox in (("relu", "Relu"), ("sigmoid", "Sigmoid"), ("tanh", "Tanh"), ("exp", "Exp"), ("log", "Log"),
                 ("sqrt", "Sqrt"), ("abs", "Abs"), ("negative", "Neg"), ("floor", "Floor"), ("ceil", "Ceil"),
                 ("reciprocal", "Reciprocal"), ("sin", "Sin"), ("cos", "Cos"), ("erf", "Erf"),
                 ("softsign", "Softsign"), ("sign", "Sign"), ("round", "Round"),
                 ("Dropout", "Identity"), ("_copy", "Identity"), ("identity", "Identity"),
                 ("BlockGrad", "Identity"), ("stop_gradient", "Identity"), ("make_loss", "Identity"),
                 ("add_n", "Sum"), ("ElementWiseSum", "Sum")):
    _converter(_mx)(lambda n, c, outs, _op=_ox: c.node(_op, n.inputs[:1] if _op not in ("Sum",) else n.inputs,
                                                        outs, name=n.name))


@_converter("square")
def _square(n, c, outs):
    c.node("Mul", [n.inputs[0], n.inputs[0]], outs, name=n.name)


@_converter("LeakyReLU")
def _leaky(n, c, outs):
    kind, slope = n.a("act_type", "leaky"), float(n.a("slope", 0.25))
    x = n.inputs[0]
    if kind == "leaky":
        c.node("LeakyRelu", [x], outs, name=n.name, alpha=slope)
    elif kind == "elu":
        c.node("Elu", [x], outs, name=n.name, alpha=slope)
    elif kind == "selu":
        c.node("Selu", [x], outs, name=n.name)
    elif kind == "prelu":
        g = n.inputs[1]
        if len(n.in_shapes[0]) > 2:  # one slope per channel, broadcast over the spatial axes
            g = c.node("Reshape", [g, c.const("shape", [-1] + [1] * (len(n.in_shapes[0]) - 2), np.int64)])
        c.node("PRelu", [x, g], outs, name=n.name)
    elif kind == "gelu":  # 0.5 x (1 + erf(x / sqrt 2))
        e = c.node("Erf", [c.node("Div", [x, c.const("sqrt2", np.sqrt(2.0))])])
        half = c.node("Mul", [x, c.const("half", 0.5)])
        c.node("Mul", [half, c.node("Add", [e, c.const("one", 1.0)])], outs, name=n.name)
    else:
        n.fail("act_type %s" % kind)


@_converter("softmax", "log_softmax", "SoftmaxActivation")
def _softmax(n, c, outs):
    x = n.inputs[0]
    if n.op == "SoftmaxActivation":
        axis = 1 if n.a("mode", "instance") == "channel" or len(n.in_shapes[0]) == 2 else -1
        if n.a("mode", "instance") == "instance" and len(n.in_shapes[0]) > 2:
            return _flat_softmax(n, c, outs, x)
    else:
        axis = int(n.a("axis", -1))
        t = n.a("temperature")
        if t not in (None, 1, 1.0):
            x = c.node("Div", [x, c.const("temperature", float(t))])
    c.node("LogSoftmax" if n.op == "log_softmax" else "Softmax", [x], outs, name=n.name, axis=axis)


def _flat_softmax(n, c, outs, x):
    """Softmax over all but the first axis, in the input's shape."""
    shape = c.node("Shape", [x])
    flat = c.node("Flatten", [x], axis=1)
    c.node("Reshape", [c.node("Softmax", [flat], axis=1), shape], outs, name=n.name)


@_converter("SoftmaxOutput")
def _softmax_output(n, c, outs):
    x, shp = n.inputs[0], n.in_shapes[0]
    if len(shp) == 2 or n.a("preserve_shape", False):
        c.node("Softmax", [x], outs, name=n.name, axis=-1 if n.a("preserve_shape", False) else 1)
    elif n.a("multi_output", False):
        c.node("Softmax", [x], outs, name=n.name, axis=1)
    else:
        _flat_softmax(n, c, outs, x)


@_converter("Flatten", "flatten")
def _flatten(n, c, outs):
    c.node("Flatten", n.inputs[:1], outs, name=n.name, axis=1)


def _target_shape(n, c, out_shape):
    """A constant shape for Reshape; with dynamic=True the batch axis is copied from the input (0)."""
    shape = list(out_shape)
    if c.dynamic and shape and n.in_shapes[0] and shape[0] == n.in_shapes[0][0]:
        shape[0] = 0
    return c.const("shape", shape, np.int64)


@_converter("Reshape", "reshape")
def _reshape(n, c, outs):
    c.node("Reshape", [n.inputs[0], _target_shape(n, c, c.shapes[(n.id, 0)])], outs, name=n.name)


@_converter("expand_dims")
def _expand(n, c, outs):
    c.node("Unsqueeze", [n.inputs[0], c.const("axes", [int(n.a("axis"))], np.int64)], outs, name=n.name)


@_converter("squeeze")
def _squeeze(n, c, outs):
    axis = n.a("axis")
    ins = [n.inputs[0]]
    if axis is not None:
        ins.append(c.const("axes", list(axis) if isinstance(axis, tuple) else [int(axis)], np.int64))
    c.node("Squeeze", ins, outs, name=n.name)


@_converter("transpose")
def _transpose(n, c, outs):
    axes = n.a("axes", ())
    at = {"perm": list(axes)} if axes else {}
    c.node("Transpose", n.inputs[:1], outs, name=n.name, **at)


@_converter("SwapAxis", "swapaxes")
def _swapaxes(n, c, outs):
    perm = list(range(len(n.in_shapes[0])))
    d1, d2 = int(n.a("dim1", 0)), int(n.a("dim2", 0))
    perm[d1], perm[d2] = perm[d2], perm[d1]
    c.node("Transpose", n.inputs[:1], outs, name=n.name, perm=perm)


@_converter("Concat", "concat")
def _concat(n, c, outs):
    c.node("Concat", n.inputs, outs, name=n.name, axis=int(n.a("dim", 1)))


@_converter("SliceChannel", "split")
def _split(n, c, outs):
    axis, num = int(n.a("axis", 1)), int(n.a("num_outputs"))
    size = n.in_shapes[0][axis] // num
    parts = c.node("Split", [n.inputs[0], c.const("split", [size] * num, np.int64)],
                   [c.fresh(n.name + "_part") for _ in range(num)] if n.a("squeeze_axis", False) else outs,
                   name=n.name, axis=axis)
    if n.a("squeeze_axis", False):
        for p, o in zip(parts if isinstance(parts, list) else [parts], outs):
            c.node("Squeeze", [p, c.const("axes", [axis], np.int64)], [o])


_BINARY = {"Add": ("elemwise_add", "_plus", "_Plus", "broadcast_add", "broadcast_plus", "_add"),
           "Sub": ("elemwise_sub", "_minus", "_Minus", "broadcast_sub", "broadcast_minus", "_sub"),
           "Mul": ("elemwise_mul", "_mul", "_Mul", "broadcast_mul"),
           "Div": ("elemwise_div", "_div", "_Div", "broadcast_div"),
           "Pow": ("_power", "_Power", "broadcast_power"),
           "Max": ("_maximum", "_Maximum", "broadcast_maximum"),
           "Min": ("_minimum", "_Minimum", "broadcast_minimum")}
for _ox, _names in _BINARY.items():
    _converter(*_names)(lambda n, c, outs, _op=_ox: c.node(_op, n.inputs[:2], outs, name=n.name))

_SCALAR = {"_plus_scalar": ("Add", False), "_PlusScalar": ("Add", False), "_minus_scalar": ("Sub", False),
           "_MinusScalar": ("Sub", False), "_rminus_scalar": ("Sub", True), "_RMinusScalar": ("Sub", True),
           "_mul_scalar": ("Mul", False), "_MulScalar": ("Mul", False), "_div_scalar": ("Div", False),
           "_DivScalar": ("Div", False), "_rdiv_scalar": ("Div", True), "_RDivScalar": ("Div", True),
           "_power_scalar": ("Pow", False), "_PowerScalar": ("Pow", False), "_rpower_scalar": ("Pow", True),
           "_RPowerScalar": ("Pow", True), "_maximum_scalar": ("Max", False), "_MaximumScalar": ("Max", False),
           "_minimum_scalar": ("Min", False), "_MinimumScalar": ("Min", False)}


@_converter(*_SCALAR)
def _scalar(n, c, outs):
    op, reverse = _SCALAR[n.op]
    s = c.const("scalar", float(n.a("scalar", 0.0)))
    c.node(op, [s, n.inputs[0]] if reverse else [n.inputs[0], s], outs, name=n.name)


@_converter("clip")
def _clip(n, c, outs):
    c.node("Clip", [n.inputs[0], c.const("min", float(n.a("a_min"))), c.const("max", float(n.a("a_max")))], outs,
           name=n.name)


@_converter("sum", "mean", "max", "min", "prod", "sum_axis")
def _reduce(n, c, outs):
    if n.a("exclude", False):
        n.fail("exclude=True")
    op = {"sum": "ReduceSum", "sum_axis": "ReduceSum", "mean": "ReduceMean", "max": "ReduceMax",
          "min": "ReduceMin", "prod": "ReduceProd"}[n.op]
    axis = n.a("axis")
    axes = None if axis in (None, ()) else (list(axis) if isinstance(axis, tuple) else [int(axis)])
    keep = 1 if n.a("keepdims", False) else 0
    ins = [n.inputs[0]]
    # Reducing every axis gives a scalar in ONNX; mxc's result has shape (1,).
    scalar = not keep and (axes is None or len(set(a % len(n.in_shapes[0]) for a in axes)) == len(n.in_shapes[0]))
    target = [c.fresh(n.name + "_scalar")] if scalar else outs
    if op == "ReduceSum" or c.opset >= 18:
        if axes is not None:
            ins.append(c.const("axes", axes, np.int64))
        c.node(op, ins, target, name=n.name, keepdims=keep)
    else:
        c.node(op, ins, target, name=n.name, keepdims=keep, **({"axes": axes} if axes is not None else {}))
    if scalar:
        c.node("Reshape", [target[0], c.const("shape", [1], np.int64)], outs)


@_converter("dot", "batch_dot")
def _dot(n, c, outs):
    a, b = n.inputs[:2]
    sa, sb = n.in_shapes[:2]

    def t(x, shp):
        perm = list(range(len(shp)))
        if n.op == "dot":
            if len(shp) != 2:
                n.fail("transposed operands of more than 2 dimensions")
            perm = [1, 0]
        else:
            perm[-1], perm[-2] = perm[-2], perm[-1]
        return c.node("Transpose", [x], perm=perm)
    if n.a("transpose_a", False):
        a = t(a, sa)
    if n.a("transpose_b", False):
        b = t(b, sb)
    if n.op == "dot" and (len(sa) > 2 or len(sb) > 2):
        n.fail("dot of arrays with more than 2 dimensions (MXNet's dot is a tensordot; use batch_dot)")
    c.node("MatMul", [a, b], outs, name=n.name)


@_converter("Embedding")
def _embedding(n, c, outs):
    idx = c.node("Cast", [n.inputs[0]], to=7)  # int64
    c.node("Gather", [n.inputs[1], idx], outs, name=n.name, axis=0)


@_converter("slice_axis")
def _slice_axis(n, c, outs):
    axis = int(n.a("axis"))
    end = n.a("end")
    end = n.in_shapes[0][axis] if end is None else int(end)
    c.node("Slice", [n.inputs[0], c.const("starts", [int(n.a("begin"))], np.int64), c.const("ends", [end], np.int64),
                     c.const("axes", [axis], np.int64)], outs, name=n.name)


@_converter("slice", "crop")
def _slice(n, c, outs):
    begin, end = n.tup("begin", ()), n.tup("end", ())
    step = n.tup("step", ()) or (None,) * len(begin)
    shp = n.in_shapes[0]
    starts, ends, steps = [], [], []
    for ax, (b, e, s) in enumerate(zip(begin, end, step)):
        s = 1 if s is None else int(s)
        starts.append((0 if s > 0 else shp[ax] - 1) if b is None else int(b))
        ends.append((shp[ax] if s > 0 else -shp[ax] - 1) if e is None else int(e))
        steps.append(s)
    c.node("Slice", [n.inputs[0], c.const("starts", starts, np.int64), c.const("ends", ends, np.int64),
                     c.const("axes", list(range(len(starts))), np.int64), c.const("steps", steps, np.int64)],
           outs, name=n.name)


@_converter("Pad", "pad")
def _pad(n, c, outs):
    pw = n.tup("pad_width", ())
    nd_ = len(pw) // 2
    pads = [pw[2 * i] for i in range(nd_)] + [pw[2 * i + 1] for i in range(nd_)]
    mode = n.a("mode", "constant")
    ins = [n.inputs[0], c.const("pads", pads, np.int64)]
    if mode == "constant":
        ins.append(c.const("value", float(n.a("constant_value", 0.0))))
    c.node("Pad", ins, outs, name=n.name, mode=mode)


@_converter("Cast", "cast")
def _cast(n, c, outs):
    from onnx import helper
    code = helper.np_dtype_to_tensor_dtype(np.dtype(n.a("dtype")))
    c.node("Cast", n.inputs[:1], outs, name=n.name, to=code)


@_converter("zeros_like", "ones_like")
def _like(n, c, outs):
    from onnx import helper
    value = helper.make_tensor("value", 1, [1], [1.0 if n.op == "ones_like" else 0.0])
    c.node("ConstantOfShape", [c.node("Shape", [n.inputs[0]])], outs, name=n.name, value=value)


@_converter("UpSampling")
def _upsampling(n, c, outs):
    if n.a("sample_type", "nearest") != "nearest" or len(n.inputs) != 1:
        n.fail("only nearest upsampling of one input")
    s = float(n.a("scale"))
    c.node("Resize", [n.inputs[0], "", c.const("scales", [1.0, 1.0, s, s])], outs, name=n.name, mode="nearest")


@_converter("LRN")
def _lrn(n, c, outs):
    c.node("LRN", n.inputs[:1], outs, name=n.name, alpha=float(n.a("alpha", 1e-4)), beta=float(n.a("beta", 0.75)),
           bias=float(n.a("knorm", 2.0)), size=int(n.a("nsize")))


@_converter("L2Normalization")
def _l2norm(n, c, outs):
    mode, eps = n.a("mode", "instance"), float(n.a("eps", 1e-10))
    x, nd_ = n.inputs[0], len(n.in_shapes[0])
    axes = {"instance": list(range(1, nd_)), "channel": [1], "spatial": list(range(2, nd_))}.get(mode)
    if axes is None:
        n.fail("mode %s" % mode)
    ss = c.node("ReduceSum", [c.node("Mul", [x, x]), c.const("axes", axes, np.int64)], keepdims=1)
    c.node("Div", [x, c.node("Sqrt", [c.node("Add", [ss, c.const("eps", eps)])])], outs, name=n.name)


# ---- the exporter -------------------------------------------------------------------------------------------------
_LOSS_OUTPUTS = ("SoftmaxOutput", "LinearRegressionOutput", "LogisticRegressionOutput", "MAERegressionOutput")


@_converter("LinearRegressionOutput", "MAERegressionOutput")
def _regression_output(n, c, outs):
    c.node("Identity", n.inputs[:1], outs, name=n.name)


@_converter("LogisticRegressionOutput")
def _logistic_output(n, c, outs):
    c.node("Sigmoid", n.inputs[:1], outs, name=n.name)


def _visible_outputs(raw):
    op, attrs = raw["op"], {k: _val(v) for k, v in raw.get("attrs", {}).items()}
    if op in ("SliceChannel", "split"):
        return int(attrs["num_outputs"])
    if op == "BatchNorm" and attrs.get("output_mean_var"):
        return 3
    return 1


def _load_params(params):
    if isinstance(params, str):
        params = nd.load(params)
    out = {}
    for k, v in params.items():
        out[k.split(":", 1)[1] if k.startswith(("arg:", "aux:")) else k] = v
    return out


def export_model(sym, params, in_shapes=None, in_types=np.float32, onnx_file_path="model.onnx", verbose=False,
                 dynamic=False, dynamic_input_shapes=None, run_shape_inference=False, input_type=None,
                 input_shape=None, opset_version=None):
    """Writes the symbol ``sym`` (a Symbol or a ``-symbol.json`` path) with ``params`` (a dict of name -> NDArray,
    or a ``.params`` path as saved by ``Module``/``HybridBlock.export``) to ``onnx_file_path`` as an ONNX model and
    returns the path. ``in_shapes``/``in_types``: the shapes and dtypes of the graph's inputs (its arguments without
    a parameter), in ``list_arguments`` order. Parameters become initializers; inputs keep their names and outputs
    the symbol's output names. ``dynamic=True`` makes the batch axis (or the axes of ``dynamic_input_shapes`` given
    as None) symbolic. ``opset_version`` defaults to 13. An operator without a converter is an error naming it and
    the node (``get_operator_support()`` lists those with one)."""
    try:
        import onnx
        from onnx import helper, numpy_helper
    except ImportError:
        raise ImportError("export_model needs the onnx package: pip install onnx")
    if input_shape is not None and in_shapes is None:  # MXNet's older names
        in_shapes = input_shape
    if input_type is not None:
        in_types = input_type
    if isinstance(sym, str):
        sym = _sym.load(sym)
    params = _load_params(params)
    opset = int(opset_version or 13)
    graph = json.loads(sym.tojson())
    raw_nodes = graph["nodes"]
    # Labels of the loss outputs are not model inputs (MXNet's exporter leaves them out too).
    labels = {raw_nodes[n["inputs"][1][0]]["name"] for n in raw_nodes
              if n["op"] in _LOSS_OUTPUTS and len(n["inputs"]) > 1 and raw_nodes[n["inputs"][1][0]]["op"] == "null"}
    inputs = []
    for i in graph["arg_nodes"]:  # two Variables of one name are one input
        name = raw_nodes[i]["name"]
        if name not in params and name not in labels and name not in inputs:
            inputs.append(name)
    if in_shapes is None:
        raise ValueError("export_model: in_shapes is required (one shape per input: %s)" % inputs)
    in_shapes = [tuple(int(d) for d in s) for s in in_shapes]
    if len(in_shapes) != len(inputs):
        raise ValueError("export_model: %d input shapes for the %d inputs %s" % (len(in_shapes), len(inputs),
                                                                                 inputs))
    in_types = list(in_types) if isinstance(in_types, (list, tuple)) else [in_types] * len(inputs)
    shape_of = dict(zip(inputs, in_shapes))
    for k, v in params.items():
        shape_of.setdefault(k, tuple(v.shape))
    internals = sym.get_internals()
    graph_inputs = set(internals.list_arguments()) | set(internals.list_auxiliary_states())
    known = {k: v for k, v in shape_of.items() if k in graph_inputs}
    _, out_shapes, _ = internals.infer_shape(**known)
    if out_shapes is None:
        raise ValueError("export_model: the shapes of the graph cannot be inferred from in_shapes %s" % in_shapes)
    flat = list(zip(internals.list_outputs(), out_shapes))

    ctx = _Context(opset, dynamic)
    pos = 0
    for nid, raw in enumerate(raw_nodes):
        count = _visible_outputs(raw) if raw["op"] != "null" else 1
        for k in range(count):
            name, shp = flat[pos]
            if raw["op"] == "null" and name != raw["name"]:
                raise RuntimeError("export_model: internal outputs out of step at %s / %s" % (name, raw["name"]))
            ctx._names[(nid, k)], ctx.shapes[(nid, k)] = name, tuple(shp)
            pos += 1
    heads = [ctx.tensor(i, j) for i, j, *_ in graph["heads"]]

    onnx_inputs = []
    for name, shp, dt in zip(inputs, in_shapes, in_types):
        dims = list(shp)
        if dynamic_input_shapes is not None:
            dyn = dynamic_input_shapes[inputs.index(name)]
            dims = ["%s_dim%d" % (name, i) if d is None else d for i, d in enumerate(dyn)]
        elif dynamic and dims:
            dims[0] = "batch"
        onnx_inputs.append(helper.make_tensor_value_info(name, helper.np_dtype_to_tensor_dtype(np.dtype(dt)), dims))
    seen_params = set()
    for nid, raw in enumerate(raw_nodes):
        if raw["op"] == "null":
            if raw["name"] in labels:
                continue
            if raw["name"] in params and raw["name"] not in seen_params:
                seen_params.add(raw["name"])
                arr = params[raw["name"]]
                arr = arr.asnumpy() if hasattr(arr, "asnumpy") else np.asarray(arr)
                ctx.inits.append(numpy_helper.from_array(arr, raw["name"]))
            continue
        conv = _CONVERTERS.get(raw["op"])
        if conv is None:
            raise NotImplementedError("export_model: no ONNX converter for operator %s (node '%s'); supported: %s"
                                      % (raw["op"], raw["name"], ", ".join(get_operator_support())))
        node = _Node(nid, raw, ctx)
        outs = [ctx.tensor(nid, k) for k in range(_visible_outputs(raw))]
        conv(node, ctx, outs)
    _, out_types, _ = sym.infer_type(**{n: np.dtype(t) for n, t in zip(inputs, in_types)})
    outputs = []
    for (i, j, *_), name, dt in zip(graph["heads"], heads, out_types or [np.float32] * len(heads)):
        dims = list(ctx.shapes[(i, j)])
        if dynamic and dims:
            dims[0] = "batch"
        outputs.append(helper.make_tensor_value_info(name, helper.np_dtype_to_tensor_dtype(np.dtype(dt)), dims))
    g = helper.make_graph(ctx.nodes, "mxc_model", onnx_inputs, outputs, ctx.inits)
    model = helper.make_model(g, producer_name="mxc", opset_imports=[helper.make_opsetid("", opset)])
    model.ir_version = min(model.ir_version, 8)
    onnx.checker.check_model(model)
    if run_shape_inference:
        model = onnx.shape_inference.infer_shapes(model)
    if verbose:
        print(helper.printable_graph(model.graph))
    folder = os.path.dirname(os.path.abspath(onnx_file_path))
    os.makedirs(folder, exist_ok=True)
    onnx.save(model, onnx_file_path)
    return onnx_file_path


def get_model_metadata(model_file):
    """The graph inputs (initializers left out) and outputs of the ONNX model in ``model_file``, as MXNet's
    ``get_model_metadata``: ``{'input_tensor_data': [(name, shape)], 'output_tensor_data': [(name, shape)]}``; a
    symbolic axis (``dynamic=True``) reads as 0."""
    try:
        import onnx
    except ImportError:
        raise ImportError("get_model_metadata needs the onnx package: pip install onnx")
    g = onnx.load(model_file).graph
    inits = {t.name for t in g.initializer}

    def shapes(values):
        return [(v.name, tuple(d.dim_value for d in v.type.tensor_type.shape.dim)) for v in values
                if v.name not in inits]
    return {"input_tensor_data": shapes(g.input), "output_tensor_data": shapes(g.output)}
