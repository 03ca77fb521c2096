"""ONNX -> mxc (``mx.onnx.import_model``): a table from ONNX operator types to mxc symbol builders, for the
operators our exporter writes for CNNs. Initializers become parameters, split into arg and aux (BatchNorm's
running statistics) as MXNet's ``import_model`` returns them."""
import numpy as np

from .. import ndarray as _nd
from .. import symbol as _sym

_IMPORTERS = {}


def _importer(*names):
    def reg(fn):
        for n in names:
            _IMPORTERS[n] = fn
        return fn
    return reg


def _sym_pads(node, at):
    p = list(at.get("pads", []))
    h = len(p) // 2
    if p[:h] != p[h:]:
        raise NotImplementedError("import_model: node '%s' (%s): asymmetric pads %s" % (node.name, node.op_type, p))
    return tuple(p[:h])


@_importer("Conv", "ConvTranspose")
def _conv(node, at, ins, params, consts):
    w = consts[node.input[1]]
    k = tuple(at.get("kernel_shape", w.shape[2:]))
    kw = dict(kernel=k, stride=tuple(at.get("strides", (1,) * len(k))),
              dilate=tuple(at.get("dilations", (1,) * len(k))),
              pad=_sym_pads(node, at) or (0,) * len(k), num_group=at.get("group", 1), no_bias=len(ins) < 3,
              name=node.name or None)
    if node.op_type == "Conv":
        return _sym.Convolution(*ins, num_filter=w.shape[0], **kw)
    return _sym.Deconvolution(*ins, num_filter=w.shape[1] * kw["num_group"],
                              adj=tuple(at.get("output_padding", (0,) * len(k))), **kw)


@_importer("Gemm")
def _gemm(node, at, ins, params, consts):
    if at.get("transA", 0) or not at.get("transB", 0) or at.get("alpha", 1.0) != 1.0 or at.get("beta", 1.0) != 1.0:
        raise NotImplementedError("import_model: node '%s' (Gemm): only transB=1, alpha=beta=1" % node.name)
    return _sym.FullyConnected(*ins, num_hidden=consts[node.input[1]].shape[0], no_bias=len(ins) < 3,
                               name=node.name or None)


@_importer("MaxPool", "AveragePool", "GlobalMaxPool", "GlobalAveragePool")
def _pool(node, at, ins, params, consts):
    kind = "max" if "Max" in node.op_type else "avg"
    if node.op_type.startswith("Global"):
        return _sym.Pooling(ins[0], kernel=(1, 1), pool_type=kind, global_pool=True, name=node.name or None)
    k = tuple(at["kernel_shape"])
    return _sym.Pooling(ins[0], kernel=k, stride=tuple(at.get("strides", (1,) * len(k))),
                        pad=_sym_pads(node, at) or (0,) * len(k), pool_type=kind,
                        pooling_convention="full" if at.get("ceil_mode", 0) else "valid",
                        count_include_pad=bool(at.get("count_include_pad", 0)), name=node.name or None)


@_importer("BatchNormalization")
def _bn(node, at, ins, params, consts):
    params["aux"].update({node.input[3], node.input[4]})
    return _sym.BatchNorm(*ins, eps=at.get("epsilon", 1e-5), momentum=at.get("momentum", 0.9), fix_gamma=False,
                          use_global_stats=True, name=node.name or None)


_UNARY = {"Relu": ("Activation", {"act_type": "relu"}), "Sigmoid": ("Activation", {"act_type": "sigmoid"}),
          "Tanh": ("Activation", {"act_type": "tanh"}), "Softplus": ("Activation", {"act_type": "softrelu"}),
          "Softsign": ("Activation", {"act_type": "softsign"}), "Identity": ("identity", {}),
          "Dropout": ("identity", {}), "Exp": ("exp", {}), "Log": ("log", {}), "Sqrt": ("sqrt", {}),
          "Abs": ("abs", {}), "Neg": ("negative", {})}


@_importer(*_UNARY)
def _unary(node, at, ins, params, consts):
    op, kw = _UNARY[node.op_type]
    return getattr(_sym, op)(ins[0], name=node.name or None, **kw)


_BINARY = {"Add": "broadcast_add", "Sub": "broadcast_sub", "Mul": "broadcast_mul", "Div": "broadcast_div"}


@_importer(*_BINARY)
def _binary(node, at, ins, params, consts):
    return getattr(_sym, _BINARY[node.op_type])(*ins, name=node.name or None)


@_importer("Sum")
def _sum(node, at, ins, params, consts):
    return _sym.add_n(*ins, name=node.name or None)


@_importer("Flatten")
def _flatten(node, at, ins, params, consts):
    if at.get("axis", 1) != 1:
        raise NotImplementedError("import_model: node '%s' (Flatten): axis %s (only 1)" % (node.name, at["axis"]))
    return _sym.Flatten(ins[0], name=node.name or None)


@_importer("Softmax", "LogSoftmax")
def _softmax(node, at, ins, params, consts):
    fn = _sym.softmax if node.op_type == "Softmax" else _sym.log_softmax
    return fn(ins[0], axis=at.get("axis", -1), name=node.name or None)


@_importer("Concat")
def _concat(node, at, ins, params, consts):
    return _sym.Concat(*ins, dim=at["axis"], name=node.name or None)


@_importer("Reshape")
def _reshape(node, at, ins, params, consts):
    if node.input[1] not in consts:
        raise NotImplementedError("import_model: node '%s' (Reshape): the shape must be a constant" % node.name)
    params["drop"].add(node.input[1])
    return _sym.Reshape(ins[0], shape=tuple(int(d) for d in consts[node.input[1]]), name=node.name or None)


@_importer("Transpose")
def _transpose(node, at, ins, params, consts):
    return _sym.transpose(ins[0], axes=tuple(at["perm"]), name=node.name or None)


@_importer("MatMul")
def _matmul(node, at, ins, params, consts):
    return _sym.dot(*ins, name=node.name or None)


def import_model(model_file):
    """Reads the ONNX model in ``model_file`` as ``(sym, arg_params, aux_params)`` (MXNet's ``import_model``).
    An operator without an importer is an error naming it and the node."""
    try:
        import onnx
        from onnx import helper, numpy_helper
    except ImportError:
        raise ImportError("import_model needs the onnx package: pip install onnx")
    g = onnx.load(model_file).graph
    consts = {t.name: numpy_helper.to_array(t) for t in g.initializer}
    for n in g.node:
        if n.op_type == "Constant":
            consts[n.output[0]] = numpy_helper.to_array(n.attribute[0].t)
    env = {name: _sym.Variable(name) for name in list(consts) + [i.name for i in g.input]}
    params = {"aux": set(), "drop": set()}
    for node in g.node:
        if node.op_type == "Constant":
            continue
        fn = _IMPORTERS.get(node.op_type)
        if fn is None:
            raise NotImplementedError("import_model: no importer for ONNX operator %s (node '%s'); supported: %s"
                                      % (node.op_type, node.name, ", ".join(sorted(_IMPORTERS))))
        at = {a.name: helper.get_attribute_value(a) for a in node.attribute}
        ins = [env[i] for i in node.input if i]
        if node.op_type == "Reshape":
            ins = ins[:1]
        out = fn(node, at, ins, params, consts)
        outs = [out] if len(node.output) == 1 else [out[k] for k in range(len(node.output))]
        for name, s in zip(node.output, outs):
            env[name] = s
    sym = _sym.Group([env[o.name] for o in g.output]) if len(g.output) > 1 else env[g.output[0].name]
    used = set(sym.list_arguments()) | set(sym.list_auxiliary_states())
    arg = {k: _nd.array(v, dtype=v.dtype) for k, v in consts.items()
           if k in used and k not in params["aux"] and k not in params["drop"]}
    aux = {k: _nd.array(v, dtype=v.dtype) for k, v in consts.items() if k in params["aux"] and k in used}
    return sym, arg, aux
