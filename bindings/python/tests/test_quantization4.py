"""quantize_model / quantize_net_v2 against MXNet 1.9.1 (MXNET_SUBGRAPH_BACKEND=NONE): elementwise add and mul
(``_contrib_quantized_elemwise_add`` / ``_mul`` followed by a requantize) and Embedding in the quantized graph, the
names of the quantize nodes of float outputs (``<node>_<output name>_quantize`` or ``<node>_<index>_quantize``), the
entropy range (0, th) of non-negative tensors for uint8/auto, every entropy range of the test networks, and
quantize_net_v2's exclude_layers_match / exclude_operators with calib_mode='naive' over a gluon DataLoader. The expected graphs, calibration ranges and outputs
are what MXNet 1.9.1 printed for the same networks, parameters and data."""
import json

import numpy as np
import pytest

import mxc as mx
from mxc.contrib import quantization as q


def _nets():
    d = mx.sym.var("data")
    out = {}
    c1 = mx.sym.Convolution(d, kernel=(3, 3), num_filter=4, name="conv1")
    a1 = mx.sym.Activation(c1, act_type="relu", name="relu1")
    p1 = mx.sym.Pooling(a1, kernel=(2, 2), stride=(2, 2), pool_type="max", name="pool1")
    c2 = mx.sym.Convolution(p1, kernel=(2, 2), num_filter=6, name="conv2")
    a2 = mx.sym.Activation(c2, act_type="relu", name="relu2")
    p2 = mx.sym.Pooling(a2, kernel=(2, 2), stride=(1, 1), pool_type="avg", name="pool2")
    f1 = mx.sym.FullyConnected(mx.sym.Flatten(p2, name="flat"), num_hidden=8, name="fc1")
    a3 = mx.sym.Activation(f1, act_type="relu", name="relu3")
    out["lenet"] = (mx.sym.FullyConnected(a3, num_hidden=3, name="fc2"), (2, 1, 8, 8), "f")
    # a residual block: conv -> bn -> relu -> conv, plus the first conv's output, then FC
    c = mx.sym.Convolution(d, num_filter=4, kernel=(3, 3), pad=(1, 1), name="conv0")
    r = mx.sym.Activation(mx.sym.BatchNorm(c, name="bn0", fix_gamma=False), act_type="relu", name="relu0")
    c2 = mx.sym.Convolution(r, num_filter=4, kernel=(3, 3), pad=(1, 1), name="conv1")
    out["resblock"] = (mx.sym.FullyConnected(mx.sym.elemwise_add(c2, c, name="add0"), num_hidden=3, name="fc0"),
                       (2, 2, 5, 5), "f")
    with mx.name.NameManager():  # the add is named _plus0 as in a fresh MXNet process
        plus = c2 + c
    out["resplus"] = (mx.sym.FullyConnected(plus, num_hidden=3, name="fc0"), (2, 2, 5, 5), "f")
    fl = mx.sym.Flatten(d, name="flat0")
    h1 = mx.sym.Activation(mx.sym.FullyConnected(fl, num_hidden=6, name="fca"), act_type="relu", name="ra")
    h2 = mx.sym.FullyConnected(fl, num_hidden=5, name="fcb")
    out["mlpcat"] = (mx.sym.FullyConnected(mx.sym.Concat(h1, h2, dim=1, name="cat0"), num_hidden=3, name="fcout"),
                     (2, 3, 4), "f")
    m = mx.sym.elemwise_mul(mx.sym.FullyConnected(d, num_hidden=4, name="fc0"),
                            mx.sym.FullyConnected(d, num_hidden=4, name="fc1"), name="mul0")
    out["mul"] = (mx.sym.FullyConnected(m, num_hidden=3, name="fc2"), (2, 5), "f")
    e = mx.sym.Embedding(d, input_dim=10, output_dim=4, name="emb0")
    out["emb"] = (mx.sym.FullyConnected(mx.sym.Flatten(e, name="flat0"), num_hidden=3, name="fc1"), (2, 3), "i")
    t = mx.sym.Activation(mx.sym.exp(d, name="exp0"), act_type="tanh", name="tanh0")
    out["naming"] = (mx.sym.FullyConnected(mx.sym.sigmoid(t, name="sig0"), num_hidden=3, name="fc1"), (2, 4), "f")
    return out


def _setup(net):
    """The network, its parameters (uniform in [-1, 1], variances in [0.5, 1.5], drawn in the order of
    list_arguments / list_auxiliary_states from RandomState(0)) and 4 calibration examples."""
    s, shape, kind = _nets()[net]
    rs = np.random.RandomState(0)
    arg_shapes, _, aux_shapes = s.infer_shape(data=shape)
    args = {n: mx.nd.array(rs.uniform(-1, 1, sh).astype("float32"))
            for n, sh in zip(s.list_arguments(), arg_shapes) if n != "data"}
    auxs = {n: mx.nd.array(rs.uniform(0.5, 1.5, sh).astype("float32"))
            for n, sh in zip(s.list_auxiliary_states(), aux_shapes)}
    big = (4,) + tuple(shape[1:])
    data = rs.randint(0, 10, big) if kind == "i" else rs.uniform(-1, 1, big)
    return s, args, auxs, data.astype("float32")


def _quantize(net, quantize_mode, calib_mode, quantized_dtype="auto"):
    s, args, auxs, data = _setup(net)
    it = mx.io.NDArrayIter(data, batch_size=2) if calib_mode != "none" else None
    qs, qa, qx = q.quantize_model(s, args, auxs, ctx=mx.context.current_context(), calib_mode=calib_mode, calib_data=it,
                                  num_calib_examples=4, quantize_mode=quantize_mode, quantized_dtype=quantized_dtype,
                                  label_names=None)
    return qs, qa, qx, data


def _graph(qs, out_type="auto"):
    js = json.loads(qs.tojson())
    rows = []
    for n in js["nodes"]:
        if n["op"] == "null":
            continue
        row = (n["op"], n["name"], " ".join("%s:%d" % (js["nodes"][e[0]]["name"], e[1]) for e in n["inputs"]))
        a = n.get("attrs", {})
        if "min_calib_range" in a:
            row += ((float(a["min_calib_range"]), float(a["max_calib_range"])),)
        if n["op"] in ("_contrib_quantize_v2", "_contrib_requantize"):
            assert a["out_type"] == out_type
        rows.append(row)
    return rows


def _assert_graph(got, want):
    assert [r[:3] for r in got] == [r[:3] for r in want]
    for g, w in zip(got, want):
        assert len(g) == len(w), (g, w)
        if len(w) == 4:
            np.testing.assert_allclose(g[3], w[3], rtol=1e-5, atol=2e-6, err_msg=w[1])


MXNET_GRAPHS = {
    'resblock/full/naive': [
        ('_contrib_quantize_v2', 'data_quantize', 'data:0', (-0.992279, 0.998556)),
        ('_contrib_quantized_conv', 'quantized_conv0', 'data_quantize:0 conv0_weight_quantize:0 conv0_bias_quantize:0 data_quantize:1 data_quantize:2 conv0_weight_quantize_min:0 conv0_weight_quantize_max:0 conv0_bias_quantize_min:0 conv0_bias_quantize_max:0'),
        ('_contrib_requantize', 'requantize_conv0', 'quantized_conv0:0 quantized_conv0:1 quantized_conv0:2', (-4.318746, 3.804204)),
        ('_contrib_quantized_batch_norm', 'quantized_bn0', 'requantize_conv0:0 bn0_gamma:0 bn0_beta:0 bn0_moving_mean:0 bn0_moving_var:0 requantize_conv0:1 requantize_conv0:2', (-1.824720, 4.374478)),
        ('_contrib_quantized_act', 'quantized_relu0', 'quantized_bn0:0 quantized_bn0:1 quantized_bn0:2'),
        ('_contrib_quantized_conv', 'quantized_conv1', 'quantized_relu0:0 conv1_weight_quantize:0 conv1_bias_quantize:0 quantized_relu0:1 quantized_relu0:2 conv1_weight_quantize_min:0 conv1_weight_quantize_max:0 conv1_bias_quantize_min:0 conv1_bias_quantize_max:0'),
        ('_contrib_requantize', 'requantize_conv1', 'quantized_conv1:0 quantized_conv1:1 quantized_conv1:2', (-9.619936, 9.080558)),
        ('_contrib_quantized_elemwise_add', 'quantized_add0', 'requantize_conv1:0 requantize_conv0:0 requantize_conv1:1 requantize_conv1:2 requantize_conv0:1 requantize_conv0:2'),
        ('_contrib_requantize', 'requantize_add0', 'quantized_add0:0 quantized_add0:1 quantized_add0:2', (-9.276794, 12.319491)),
        ('_contrib_quantized_fully_connected', 'quantized_fc0', 'requantize_add0:0 fc0_weight_quantize:0 fc0_bias_quantize:0 requantize_add0:1 requantize_add0:2 fc0_weight_quantize_min:0 fc0_weight_quantize_max:0 fc0_bias_quantize_min:0 fc0_bias_quantize_max:0'),
        ('_contrib_requantize', 'requantize_fc0', 'quantized_fc0:0 quantized_fc0:1 quantized_fc0:2', (-21.437408, 27.432753)),
        ('_contrib_dequantize', 'fc0_dequantize', 'requantize_fc0:0 requantize_fc0:1 requantize_fc0:2'),
    ],
    'resplus/full/none': [
        ('_contrib_quantize_v2', 'data_quantize', 'data:0'),
        ('_contrib_quantized_conv', 'quantized_conv0', 'data_quantize:0 conv0_weight_quantize:0 conv0_bias_quantize:0 data_quantize:1 data_quantize:2 conv0_weight_quantize_min:0 conv0_weight_quantize_max:0 conv0_bias_quantize_min:0 conv0_bias_quantize_max:0'),
        ('_contrib_requantize', 'requantize_conv0', 'quantized_conv0:0 quantized_conv0:1 quantized_conv0:2'),
        ('_contrib_quantized_batch_norm', 'quantized_bn0', 'requantize_conv0:0 bn0_gamma:0 bn0_beta:0 bn0_moving_mean:0 bn0_moving_var:0 requantize_conv0:1 requantize_conv0:2'),
        ('_contrib_quantized_act', 'quantized_relu0', 'quantized_bn0:0 quantized_bn0:1 quantized_bn0:2'),
        ('_contrib_quantized_conv', 'quantized_conv1', 'quantized_relu0:0 conv1_weight_quantize:0 conv1_bias_quantize:0 quantized_relu0:1 quantized_relu0:2 conv1_weight_quantize_min:0 conv1_weight_quantize_max:0 conv1_bias_quantize_min:0 conv1_bias_quantize_max:0'),
        ('_contrib_requantize', 'requantize_conv1', 'quantized_conv1:0 quantized_conv1:1 quantized_conv1:2'),
        ('_contrib_quantized_elemwise_add', 'quantized__plus0', 'requantize_conv1:0 requantize_conv0:0 requantize_conv1:1 requantize_conv1:2 requantize_conv0:1 requantize_conv0:2'),
        ('_contrib_requantize', 'requantize__plus0', 'quantized__plus0:0 quantized__plus0:1 quantized__plus0:2'),
        ('_contrib_quantized_fully_connected', 'quantized_fc0', 'requantize__plus0:0 fc0_weight_quantize:0 fc0_bias_quantize:0 requantize__plus0:1 requantize__plus0:2 fc0_weight_quantize_min:0 fc0_weight_quantize_max:0 fc0_bias_quantize_min:0 fc0_bias_quantize_max:0'),
        ('_contrib_requantize', 'requantize_fc0', 'quantized_fc0:0 quantized_fc0:1 quantized_fc0:2'),
        ('_contrib_dequantize', 'fc0_dequantize', 'requantize_fc0:0 requantize_fc0:1 requantize_fc0:2'),
    ],
    'resblock/smart/none': [
        ('_contrib_quantize_v2', 'data_quantize', 'data:0'),
        ('_contrib_quantized_conv', 'quantized_conv0', 'data_quantize:0 conv0_weight_quantize:0 conv0_bias_quantize:0 data_quantize:1 data_quantize:2 conv0_weight_quantize_min:0 conv0_weight_quantize_max:0 conv0_bias_quantize_min:0 conv0_bias_quantize_max:0'),
        ('_contrib_requantize', 'requantize_conv0', 'quantized_conv0:0 quantized_conv0:1 quantized_conv0:2'),
        ('_contrib_quantized_batch_norm', 'quantized_bn0', 'requantize_conv0:0 bn0_gamma:0 bn0_beta:0 bn0_moving_mean:0 bn0_moving_var:0 requantize_conv0:1 requantize_conv0:2'),
        ('_contrib_quantized_act', 'quantized_relu0', 'quantized_bn0:0 quantized_bn0:1 quantized_bn0:2'),
        ('_contrib_quantized_conv', 'quantized_conv1', 'quantized_relu0:0 conv1_weight_quantize:0 conv1_bias_quantize:0 quantized_relu0:1 quantized_relu0:2 conv1_weight_quantize_min:0 conv1_weight_quantize_max:0 conv1_bias_quantize_min:0 conv1_bias_quantize_max:0'),
        ('_contrib_requantize', 'requantize_conv1', 'quantized_conv1:0 quantized_conv1:1 quantized_conv1:2'),
        ('_contrib_quantized_elemwise_add', 'quantized_add0', 'requantize_conv1:0 requantize_conv0:0 requantize_conv1:1 requantize_conv1:2 requantize_conv0:1 requantize_conv0:2'),
        ('_contrib_requantize', 'requantize_add0', 'quantized_add0:0 quantized_add0:1 quantized_add0:2'),
        ('_contrib_quantized_fully_connected', 'quantized_fc0', 'requantize_add0:0 fc0_weight_quantize:0 fc0_bias_quantize:0 requantize_add0:1 requantize_add0:2 fc0_weight_quantize_min:0 fc0_weight_quantize_max:0 fc0_bias_quantize_min:0 fc0_bias_quantize_max:0'),
        ('_contrib_requantize', 'requantize_fc0', 'quantized_fc0:0 quantized_fc0:1 quantized_fc0:2'),
        ('_contrib_dequantize', 'fc0_dequantize', 'requantize_fc0:0 requantize_fc0:1 requantize_fc0:2'),
    ],
    'mul/full/naive': [
        ('_contrib_quantize_v2', 'data_quantize', 'data:0', (-0.921624, 0.953522)),
        ('_contrib_quantized_fully_connected', 'quantized_fc0', 'data_quantize:0 fc0_weight_quantize:0 fc0_bias_quantize:0 data_quantize:1 data_quantize:2 fc0_weight_quantize_min:0 fc0_weight_quantize_max:0 fc0_bias_quantize_min:0 fc0_bias_quantize_max:0'),
        ('_contrib_requantize', 'requantize_fc0', 'quantized_fc0:0 quantized_fc0:1 quantized_fc0:2', (-1.488153, 2.082756)),
        ('_contrib_quantized_fully_connected', 'quantized_fc1', 'data_quantize:0 fc1_weight_quantize:0 fc1_bias_quantize:0 data_quantize:1 data_quantize:2 fc1_weight_quantize_min:0 fc1_weight_quantize_max:0 fc1_bias_quantize_min:0 fc1_bias_quantize_max:0'),
        ('_contrib_requantize', 'requantize_fc1', 'quantized_fc1:0 quantized_fc1:1 quantized_fc1:2', (-1.650820, 1.439182)),
        ('_contrib_quantized_elemwise_mul', 'quantized_mul0', 'requantize_fc0:0 requantize_fc1:0 requantize_fc0:1 requantize_fc0:2 requantize_fc1:1 requantize_fc1:2'),
        ('_contrib_requantize', 'requantize_mul0', 'quantized_mul0:0 quantized_mul0:1 quantized_mul0:2', (-2.609371, 1.723626)),
        ('_contrib_quantized_fully_connected', 'quantized_fc2', 'requantize_mul0:0 fc2_weight_quantize:0 fc2_bias_quantize:0 requantize_mul0:1 requantize_mul0:2 fc2_weight_quantize_min:0 fc2_weight_quantize_max:0 fc2_bias_quantize_min:0 fc2_bias_quantize_max:0'),
        ('_contrib_requantize', 'requantize_fc2', 'quantized_fc2:0 quantized_fc2:1 quantized_fc2:2', (-1.293481, 0.540977)),
        ('_contrib_dequantize', 'fc2_dequantize', 'requantize_fc2:0 requantize_fc2:1 requantize_fc2:2'),
    ],
    'emb/full/naive': [
        ('_contrib_quantized_embedding', 'quantized_emb0', 'data:0 emb0_weight_quantize:0 emb0_weight_quantize_min:0 emb0_weight_quantize_max:0'),
        ('_contrib_quantized_flatten', 'quantized_flat0', 'quantized_emb0:0 quantized_emb0:1 quantized_emb0:2'),
        ('_contrib_quantized_fully_connected', 'quantized_fc1', 'quantized_flat0:0 fc1_weight_quantize:0 fc1_bias_quantize:0 quantized_flat0:1 quantized_flat0:2 fc1_weight_quantize_min:0 fc1_weight_quantize_max:0 fc1_bias_quantize_min:0 fc1_bias_quantize_max:0'),
        ('_contrib_requantize', 'requantize_fc1', 'quantized_fc1:0 quantized_fc1:1 quantized_fc1:2', (-2.167675, 1.265553)),
        ('_contrib_dequantize', 'fc1_dequantize', 'requantize_fc1:0 requantize_fc1:1 requantize_fc1:2'),
    ],
    'emb/smart/none': [
        ('Embedding', 'emb0', 'data:0 emb0_weight:0'),
        ('Flatten', 'flat0', 'emb0:0'),
        ('_contrib_quantize_v2', 'flat0_0_quantize', 'flat0:0'),
        ('_contrib_quantized_fully_connected', 'quantized_fc1', 'flat0_0_quantize:0 fc1_weight_quantize:0 fc1_bias_quantize:0 flat0_0_quantize:1 flat0_0_quantize:2 fc1_weight_quantize_min:0 fc1_weight_quantize_max:0 fc1_bias_quantize_min:0 fc1_bias_quantize_max:0'),
        ('_contrib_requantize', 'requantize_fc1', 'quantized_fc1:0 quantized_fc1:1 quantized_fc1:2'),
        ('_contrib_dequantize', 'fc1_dequantize', 'requantize_fc1:0 requantize_fc1:1 requantize_fc1:2'),
    ],
    'mlpcat/full/naive': [
        ('_contrib_quantize_v2', 'data_quantize', 'data:0', (-0.958698, 0.980678)),
        ('_contrib_quantized_flatten', 'quantized_flat0', 'data_quantize:0 data_quantize:1 data_quantize:2'),
        ('_contrib_quantized_fully_connected', 'quantized_fca', 'quantized_flat0:0 fca_weight_quantize:0 fca_bias_quantize:0 quantized_flat0:1 quantized_flat0:2 fca_weight_quantize_min:0 fca_weight_quantize_max:0 fca_bias_quantize_min:0 fca_bias_quantize_max:0'),
        ('_contrib_requantize', 'requantize_fca', 'quantized_fca:0 quantized_fca:1 quantized_fca:2', (-3.351602, 2.110219)),
        ('_contrib_quantized_act', 'quantized_ra', 'requantize_fca:0 requantize_fca:1 requantize_fca:2'),
        ('_contrib_quantized_fully_connected', 'quantized_fcb', 'quantized_flat0:0 fcb_weight_quantize:0 fcb_bias_quantize:0 quantized_flat0:1 quantized_flat0:2 fcb_weight_quantize_min:0 fcb_weight_quantize_max:0 fcb_bias_quantize_min:0 fcb_bias_quantize_max:0'),
        ('_contrib_requantize', 'requantize_fcb', 'quantized_fcb:0 quantized_fcb:1 quantized_fcb:2', (-1.308619, 1.447037)),
        ('_contrib_quantized_concat', 'quantized_cat0', 'quantized_ra:0 requantize_fcb:0 quantized_ra:1 quantized_ra:2 requantize_fcb:1 requantize_fcb:2'),
        ('_contrib_quantized_fully_connected', 'quantized_fcout', 'quantized_cat0:0 fcout_weight_quantize:0 fcout_bias_quantize:0 quantized_cat0:1 quantized_cat0:2 fcout_weight_quantize_min:0 fcout_weight_quantize_max:0 fcout_bias_quantize_min:0 fcout_bias_quantize_max:0'),
        ('_contrib_requantize', 'requantize_fcout', 'quantized_fcout:0 quantized_fcout:1 quantized_fcout:2', (-1.873135, 3.274060)),
        ('_contrib_dequantize', 'fcout_dequantize', 'requantize_fcout:0 requantize_fcout:1 requantize_fcout:2'),
    ],
    'lenet/full/naive': [
        ('_contrib_quantize_v2', 'data_quantize', 'data:0', (-0.977145, 0.988802)),
        ('_contrib_quantized_conv', 'quantized_conv1', 'data_quantize:0 conv1_weight_quantize:0 conv1_bias_quantize:0 data_quantize:1 data_quantize:2 conv1_weight_quantize_min:0 conv1_weight_quantize_max:0 conv1_bias_quantize_min:0 conv1_bias_quantize_max:0'),
        ('_contrib_requantize', 'requantize_conv1', 'quantized_conv1:0 quantized_conv1:1 quantized_conv1:2', (-2.695999, 4.353185)),
        ('_contrib_quantized_act', 'quantized_relu1', 'requantize_conv1:0 requantize_conv1:1 requantize_conv1:2'),
        ('_contrib_quantized_pooling', 'quantized_pool1', 'quantized_relu1:0 quantized_relu1:1 quantized_relu1:2'),
        ('_contrib_quantized_conv', 'quantized_conv2', 'quantized_pool1:0 conv2_weight_quantize:0 conv2_bias_quantize:0 quantized_pool1:1 quantized_pool1:2 conv2_weight_quantize_min:0 conv2_weight_quantize_max:0 conv2_bias_quantize_min:0 conv2_bias_quantize_max:0'),
        ('_contrib_requantize', 'requantize_conv2', 'quantized_conv2:0 quantized_conv2:1 quantized_conv2:2', (-8.822322, 9.007494)),
        ('_contrib_quantized_act', 'quantized_relu2', 'requantize_conv2:0 requantize_conv2:1 requantize_conv2:2'),
        ('_contrib_quantized_pooling', 'quantized_pool2', 'quantized_relu2:0 quantized_relu2:1 quantized_relu2:2'),
        ('_contrib_quantized_flatten', 'quantized_flat', 'quantized_pool2:0 quantized_pool2:1 quantized_pool2:2'),
        ('_contrib_quantized_fully_connected', 'quantized_fc1', 'quantized_flat:0 fc1_weight_quantize:0 fc1_bias_quantize:0 quantized_flat:1 quantized_flat:2 fc1_weight_quantize_min:0 fc1_weight_quantize_max:0 fc1_bias_quantize_min:0 fc1_bias_quantize_max:0'),
        ('_contrib_requantize', 'requantize_fc1', 'quantized_fc1:0 quantized_fc1:1 quantized_fc1:2', (-6.248401, 8.078955)),
        ('_contrib_quantized_act', 'quantized_relu3', 'requantize_fc1:0 requantize_fc1:1 requantize_fc1:2'),
        ('_contrib_quantized_fully_connected', 'quantized_fc2', 'quantized_relu3:0 fc2_weight_quantize:0 fc2_bias_quantize:0 quantized_relu3:1 quantized_relu3:2 fc2_weight_quantize_min:0 fc2_weight_quantize_max:0 fc2_bias_quantize_min:0 fc2_bias_quantize_max:0'),
        ('_contrib_requantize', 'requantize_fc2', 'quantized_fc2:0 quantized_fc2:1 quantized_fc2:2', (-0.653564, 6.575782)),
        ('_contrib_dequantize', 'fc2_dequantize', 'requantize_fc2:0 requantize_fc2:1 requantize_fc2:2'),
    ],
    'naming/full/entropy': [
        ('exp', 'exp0', 'data:0'),
        ('Activation', 'tanh0', 'exp0:0'),
        ('sigmoid', 'sig0', 'tanh0:0'),
        ('_contrib_quantize_v2', 'sig0_0_quantize', 'sig0:0', (0.000000, 0.728368)),
        ('_contrib_quantized_fully_connected', 'quantized_fc1', 'sig0_0_quantize:0 fc1_weight_quantize:0 fc1_bias_quantize:0 sig0_0_quantize:1 sig0_0_quantize:2 fc1_weight_quantize_min:0 fc1_weight_quantize_max:0 fc1_bias_quantize_min:0 fc1_bias_quantize_max:0'),
        ('_contrib_requantize', 'requantize_fc1', 'quantized_fc1:0 quantized_fc1:1 quantized_fc1:2', (0.000000, 1.392253)),
        ('_contrib_dequantize', 'fc1_dequantize', 'requantize_fc1:0 requantize_fc1:1 requantize_fc1:2'),
    ],
    'naming/smart/none': [
        ('exp', 'exp0', 'data:0'),
        ('Activation', 'tanh0', 'exp0:0'),
        ('sigmoid', 'sig0', 'tanh0:0'),
        ('_contrib_quantize_v2', 'sig0_0_quantize', 'sig0:0'),
        ('_contrib_quantized_fully_connected', 'quantized_fc1', 'sig0_0_quantize:0 fc1_weight_quantize:0 fc1_bias_quantize:0 sig0_0_quantize:1 sig0_0_quantize:2 fc1_weight_quantize_min:0 fc1_weight_quantize_max:0 fc1_bias_quantize_min:0 fc1_bias_quantize_max:0'),
        ('_contrib_requantize', 'requantize_fc1', 'quantized_fc1:0 quantized_fc1:1 quantized_fc1:2'),
        ('_contrib_dequantize', 'fc1_dequantize', 'requantize_fc1:0 requantize_fc1:1 requantize_fc1:2'),
    ],
}
MXNET_OUTPUTS = {
    'mul/full/naive': [[-1.288409948348999, 0.02029000036418438, 0.3449299931526184], [-0.5072500109672546, -1.2681200504302979, 0.5275400280952454]],
    'emb/full/naive': [[-1.3261100053787231, -0.6630499958992004, 1.2581000328063965], [1.0370800495147705, -0.44203999638557434, -0.9010699987411499]],
    'mlpcat/full/naive': [[3.2612199783325195, 2.439500093460083, -0.9501199722290039], [1.6177699565887451, 0.179749995470047, -1.8488800525665283]],
    'mul/full/none': [[-1.2933399677276611, 0.04072999954223633, 0.3462499976158142], [-0.49900001287460327, -1.242419958114624, 0.5499200224876404]],
    'emb/full/none': [[-1.3215999603271484, -0.6556000113487244, 1.2487599849700928], [1.0302300453186035, -0.4474700093269348, -0.8949400186538696]],
}


@pytest.mark.parametrize("key", sorted(MXNET_GRAPHS))
def test_quantized_graph_as_mxnet(key):
    net, quantize_mode, calib_mode = key.split("/")
    qs = _quantize(net, quantize_mode, calib_mode)[0]
    _assert_graph(_graph(qs), MXNET_GRAPHS[key])


@pytest.mark.parametrize("key", sorted(MXNET_OUTPUTS))
def test_quantized_outputs_as_mxnet(key):
    net, quantize_mode, calib_mode = key.split("/")
    qs, qa, qx, data = _quantize(net, quantize_mode, calib_mode)
    out = qs.bind(mx.context.current_context(), dict(qa, data=mx.nd.array(data[:2])), aux_states=dict(qx)).forward()[0].asnumpy()
    want = np.array(MXNET_OUTPUTS[key])
    np.testing.assert_allclose(out, want, atol=0.02 * np.abs(want).max())


def test_residual_add_full_mode_none_naive_entropy():
    # none: no ranges; naive: min/max (the graph test); entropy: the add's requantize range as MXNet printed it
    for calib_mode in ("none", "naive", "entropy"):
        rows = {r[1]: r for r in _graph(_quantize("resblock", "full", calib_mode)[0])}
        add = rows["quantized_add0"]
        assert add[0] == "_contrib_quantized_elemwise_add" and len(add) == 3  # the add itself has no range
        assert rows["requantize_add0"][2] == "quantized_add0:0 quantized_add0:1 quantized_add0:2"
        if calib_mode == "none":
            assert len(rows["requantize_add0"]) == 3
        elif calib_mode == "naive":
            np.testing.assert_allclose(rows["requantize_add0"][3], (-9.276794, 12.319491), rtol=1e-5)
        else:
            np.testing.assert_allclose(rows["requantize_add0"][3], (-10.890609, 10.890609), rtol=1e-5)
            np.testing.assert_allclose(rows["requantize_fc0"][3], (-24.566389, 24.566389), rtol=1e-5)
            np.testing.assert_allclose(rows["quantized_bn0"][3], (-4.094547, 4.094547), rtol=1e-5)


# Every calibration range MXNet 1.9.1's quantize_model(calib_mode='entropy', quantize_mode='full', 4 examples in
# batches of 2) printed for these networks: its _contrib_calibrate_entropy arithmetic (not the exact KL divergence,
# which gave e.g. +-9.620 for resblock's conv1 and +-3.352 for mlpcat's fca).
MXNET_ENTROPY_RANGES = {
    "resblock": {"data_quantize": (-0.998556, 0.998556), "requantize_conv0": (-3.769254, 3.769254),
                 "quantized_bn0": (-4.094547, 4.094547), "requantize_conv1": (-8.458474, 8.458474),
                 "requantize_add0": (-10.890609, 10.890609), "requantize_fc0": (-24.566389, 24.566389)},
    "resplus": {"data_quantize": (-0.998556, 0.998556), "requantize_conv0": (-3.769254, 3.769254),
                "quantized_bn0": (-4.094547, 4.094547), "requantize_conv1": (-8.458474, 8.458474),
                "requantize__plus0": (-10.890609, 10.890609), "requantize_fc0": (-24.566389, 24.566389)},
    "mlpcat": {"data_quantize": (-0.951067, 0.951067), "requantize_fca": (-1.377755, 1.377755),
               "requantize_fcb": (-1.309224, 1.309224), "requantize_fcout": (-2.769099, 2.769099)},
    "mul": {"data_quantize": (-0.953284, 0.953284), "requantize_fc0": (-2.082756, 2.082756),
            "requantize_fc1": (-1.265422, 1.265422), "requantize_mul0": (-0.379942, 0.379942),
            "requantize_fc2": (-1.262118, 1.262118)},
    "lenet": {"data_quantize": (-0.986183, 0.986183), "requantize_conv1": (-4.000824, 4.000824),
              "requantize_conv2": (-9.007494, 9.007494), "requantize_fc1": (-7.224712, 7.224712),
              "requantize_fc2": (-6.01198, 6.01198)},
    "emb": {"requantize_fc1": (-2.012886, 2.012886)},
    "naming": {"sig0_0_quantize": (0.0, 0.728368), "requantize_fc1": (0.0, 1.392253)},
}


@pytest.mark.parametrize("net", sorted(MXNET_ENTROPY_RANGES))
def test_entropy_ranges_as_mxnet(net):
    rows = _graph(_quantize(net, "full", "entropy")[0])
    got = {r[1]: r[3] for r in rows if len(r) == 4}
    want = MXNET_ENTROPY_RANGES[net]
    assert sorted(got) == sorted(want)
    for name, rng in want.items():
        np.testing.assert_allclose(got[name], rng, rtol=1e-5, atol=1e-6, err_msg=name)


def test_smart_mode_keeps_an_add_with_float_inputs_or_float_consumers_float():
    d, d2 = mx.sym.var("data"), mx.sym.var("data2")
    s = mx.sym.FullyConnected(mx.sym.elemwise_add(d, d2, name="add0"), num_hidden=3, name="fc0")
    got = [(r[0], r[1]) for r in _graph(q.quantize_model(s, {}, {}, calib_mode="none", quantize_mode="smart",
                                                         quantized_dtype="auto", label_names=None)[0])]
    # MXNet 1.9.1: elemwise_add add0, then _contrib_quantize_v2 add0_output_quantize before the FC
    assert got[:2] == [("elemwise_add", "add0"), ("_contrib_quantize_v2", "add0_output_quantize")]
    got = [(r[0], r[1]) for r in _graph(q.quantize_model(s, {}, {}, calib_mode="none", quantize_mode="full",
                                                         quantized_dtype="auto", label_names=None)[0])]
    assert got[:4] == [("_contrib_quantize_v2", "data_quantize"), ("_contrib_quantize_v2", "data2_quantize"),
                       ("_contrib_quantized_elemwise_add", "quantized_add0"), ("_contrib_requantize", "requantize_add0")]
    f = mx.sym.FullyConnected(d, num_hidden=4, name="fc0")
    s = mx.sym.elemwise_add(f, f, name="add0")
    smart = [r[1] for r in _graph(q.quantize_model(s, {}, {}, calib_mode="none", quantize_mode="smart",
                                                   label_names=None)[0], "int8")]
    full = [r[1] for r in _graph(q.quantize_model(s, {}, {}, calib_mode="none", quantize_mode="full",
                                                  label_names=None)[0], "int8")]
    assert smart[-2:] == ["fc0_dequantize", "add0"]
    assert full[-3:] == ["quantized_add0", "requantize_add0", "add0_dequantize"]


def test_embedding_alone():
    s = mx.sym.Embedding(mx.sym.var("data"), input_dim=5, output_dim=4, name="emb0")
    full = [(r[0], r[1], r[2]) for r in _graph(q.quantize_model(s, {}, {}, calib_mode="none", quantize_mode="full",
                                                                label_names=None)[0], "int8")]
    assert full == [("_contrib_quantized_embedding", "quantized_emb0",
                     "data:0 emb0_weight_quantize:0 emb0_weight_quantize_min:0 emb0_weight_quantize_max:0"),
                    ("_contrib_dequantize", "emb0_dequantize",
                     "quantized_emb0:0 quantized_emb0:1 quantized_emb0:2")]
    smart = [r[0] for r in _graph(q.quantize_model(s, {}, {}, calib_mode="none", quantize_mode="smart",
                                                   label_names=None)[0], "int8")]
    assert smart == ["Embedding"]


# The quantize node MXNet 1.9.1 puts on the output of an excluded (float) node L that feeds a quantized FC.
MXNET_QUANTIZE_NAMES = {
    "tanh": "L_output_quantize", "sigmoid": "L_0_quantize", "reshape": "L_0_quantize", "exp": "L_0_quantize",
    "softmax": "L_output_quantize", "dropout": "L_output_quantize", "leaky": "L_output_quantize",
    "transpose": "L_0_quantize", "clip": "L_0_quantize", "bmul": "L_0_quantize", "slice": "L_output1_quantize",
    "expand": "L_0_quantize", "sum": "L_0_quantize", "cast": "L_0_quantize", "conv": "L_output_quantize",
    "fc": "L_output_quantize", "relu": "L_0_quantize", "elemwise_sub": "L_0_quantize",
    "elemwise_mul": "L_0_quantize", "concat": "L_output_quantize", "flatten": "L_0_quantize",
    "act_relu": "L_output_quantize", "softrelu": "L_output_quantize", "square": "L_0_quantize",
    "layernorm": "L_output_quantize", "embedding": "L_0_quantize", "slice_axis": "L_0_quantize",
    "swapaxes": "L_output_quantize", "log_softmax": "L_0_quantize", "dot": "L_0_quantize",
    "l2norm": "L_output_quantize", "where": "L_0_quantize", "add_n": "L_0_quantize", "blockgrad": "L_0_quantize",
    "tile": "L_0_quantize", "elemwise_add": "L_output_quantize", "broadcast_add": "L_0_quantize",
    "instancenorm": "L_output_quantize", "deconv": "L_output_quantize",
}


def _float_node(kind, d):
    r4 = lambda: mx.sym.Reshape(d, shape=(1, 1, 1, -1))  # noqa: E731
    return {
        "tanh": lambda: mx.sym.Activation(d, act_type="tanh", name="L"), "sigmoid": lambda: mx.sym.sigmoid(d, name="L"),
        "reshape": lambda: mx.sym.Reshape(d, shape=(2, -1), name="L"), "exp": lambda: mx.sym.exp(d, name="L"),
        "softmax": lambda: mx.sym.softmax(d, name="L"), "dropout": lambda: mx.sym.Dropout(d, name="L"),
        "leaky": lambda: mx.sym.LeakyReLU(d, name="L"), "transpose": lambda: mx.sym.transpose(d, name="L"),
        "clip": lambda: mx.sym.clip(d, 0, 1, name="L"), "bmul": lambda: mx.sym.broadcast_mul(d, d, name="L"),
        "slice": lambda: mx.sym.SliceChannel(d, num_outputs=2, axis=1, name="L")[1],
        "expand": lambda: mx.sym.expand_dims(d, axis=1, name="L"),
        "sum": lambda: mx.sym.sum(d, axis=1, keepdims=True, name="L"),
        "cast": lambda: mx.sym.Cast(d, dtype="float32", name="L"),
        "conv": lambda: mx.sym.Convolution(r4(), kernel=(1, 1), num_filter=2, name="L"),
        "fc": lambda: mx.sym.FullyConnected(d, num_hidden=4, name="L"), "relu": lambda: mx.sym.relu(d, name="L"),
        "elemwise_sub": lambda: mx.sym.elemwise_sub(d, d, name="L"),
        "elemwise_mul": lambda: mx.sym.elemwise_mul(d, d, name="L"),
        "elemwise_add": lambda: mx.sym.elemwise_add(d, d, name="L"),
        "broadcast_add": lambda: mx.sym.broadcast_add(d, d, name="L"),
        "concat": lambda: mx.sym.Concat(d, d, name="L"), "flatten": lambda: mx.sym.Flatten(d, name="L"),
        "act_relu": lambda: mx.sym.Activation(d, act_type="relu", name="L"),
        "softrelu": lambda: mx.sym.Activation(d, act_type="softrelu", name="L"),
        "square": lambda: mx.sym.square(d, name="L"), "layernorm": lambda: mx.sym.LayerNorm(d, name="L", axis=1),
        "embedding": lambda: mx.sym.Embedding(d, input_dim=5, output_dim=4, name="L"),
        "slice_axis": lambda: mx.sym.slice_axis(d, axis=1, begin=0, end=2, name="L"),
        "swapaxes": lambda: mx.sym.SwapAxis(d, name="L"), "log_softmax": lambda: mx.sym.log_softmax(d, name="L"),
        "dot": lambda: mx.sym.dot(d, d, transpose_b=True, name="L"),
        "l2norm": lambda: mx.sym.L2Normalization(d, name="L"), "where": lambda: mx.sym.where(d, d, d, name="L"),
        "add_n": lambda: mx.sym.add_n(d, d, name="L"), "blockgrad": lambda: mx.sym.BlockGrad(d, name="L"),
        "tile": lambda: mx.sym.tile(d, reps=(1, 1), name="L"),
        "instancenorm": lambda: mx.sym.InstanceNorm(r4(), name="L"),
        "deconv": lambda: mx.sym.Deconvolution(r4(), kernel=(1, 1), num_filter=1, name="L"),
    }[kind]()


@pytest.mark.parametrize("kind", sorted(MXNET_QUANTIZE_NAMES))
def test_quantize_node_names_of_float_outputs_as_mxnet(kind):
    s = mx.sym.FullyConnected(_float_node(kind, mx.sym.var("data")), num_hidden=3, name="fc1")
    qs = q.quantize_model(s, {}, {}, calib_mode="none", quantize_mode="full", label_names=None,
                          excluded_sym_names=["L"])[0]
    names = [r[1] for r in _graph(qs, "int8") if r[0] == "_contrib_quantize_v2"]
    assert names == [MXNET_QUANTIZE_NAMES[kind]]


def test_entropy_thresholds_of_non_negative_tensors():
    # MXNet 1.9.1's _get_optimal_thresholds on the same histogram: (0, th) for uint8 / auto, (-th, th) for int8
    rs = np.random.RandomState(1)
    x = np.abs(rs.uniform(-1, 1, (2, 4)).astype("float32") * 2) + 0.1
    lo, hi = float(x.min()), float(x.max())
    h, e = np.histogram(x, bins=8001, range=(-hi, hi))
    for dtype, want in (("int8", (-1.731643557548523, 1.731643557548523)), ("uint8", (0, 1.731643557548523)),
                        ("auto", (0, 1.731643557548523))):
        got = q._get_optimal_thresholds({"x": (h, e, lo, hi, hi)}, dtype)["x"]
        np.testing.assert_allclose(got, want, rtol=1e-6)
    # a tensor with a negative value keeps the symmetric range with auto
    got = q._get_optimal_thresholds({"x": (h, e, -0.5, hi, hi)}, "auto")["x"]
    np.testing.assert_allclose(got, (-1.731643557548523, 1.731643557548523), rtol=1e-6)


def _gluon_net():
    net = mx.gluon.nn.HybridSequential(prefix="net_")
    with net.name_scope():
        net.add(mx.gluon.nn.Conv2D(4, 3, padding=1, in_channels=2))
        net.add(mx.gluon.nn.BatchNorm(in_channels=4))
        net.add(mx.gluon.nn.Activation("relu"))
        net.add(mx.gluon.nn.Conv2D(4, 3, in_channels=4))
        net.add(mx.gluon.nn.MaxPool2D(2))
        net.add(mx.gluon.nn.Flatten())
        net.add(mx.gluon.nn.Dense(6, in_units=16))
        net.add(mx.gluon.nn.Dense(3, in_units=6))
    net.initialize()
    rs = np.random.RandomState(0)
    params = net.collect_params()
    for name in sorted(params):
        shape = params[name].shape
        v = rs.uniform(0.5, 1.5, shape) if "running_var" in name else rs.uniform(-1, 1, shape)
        params[name].set_data(mx.nd.array(v.astype("float32")))
    return net


def _calib_loader():
    rs = np.random.RandomState(1)
    x = rs.uniform(-1, 1, (6, 2, 6, 6)).astype("float32")
    ds = mx.gluon.data.ArrayDataset(mx.nd.array(x), mx.nd.array(np.zeros(6, "float32")))
    return mx.gluon.data.DataLoader(ds, batch_size=2), x


def _net_rows(**kw):
    loader, x = _calib_loader()
    qnet = q.quantize_net_v2(_gluon_net(), quantized_dtype="auto", quantize_mode="full", calib_data=loader,
                             calib_mode="naive", num_calib_examples=6, ctx=mx.context.current_context(), **kw)
    out = qnet(mx.sym.var("data"))
    return {r[1]: r for r in _graph(out[0] if isinstance(out, (list, tuple)) else out)}, qnet, x


# The ranges MXNet 1.9.1's quantize_net_v2(calib_mode='naive') printed for this network and DataLoader (its graph
# fuses conv+bn+relu (oneDNN), so only the tensors both graphs quantize are compared).
DATA_RANGE = (-0.999771, 0.994646)
CONV1_RANGE = (-8.585103, 8.528060)
POOL_RANGE = (-4.928294, 8.528060)
DENSE0_RANGE = (-19.753101, 30.769855)


def test_quantize_net_v2_naive_over_a_dataloader():
    rows, qnet, x = _net_rows()
    np.testing.assert_allclose(rows["data_quantize"][3], DATA_RANGE, rtol=1e-5)
    np.testing.assert_allclose(rows["requantize_net_conv1_fwd"][3], CONV1_RANGE, rtol=1e-5)
    np.testing.assert_allclose(rows["requantize_net_dense0_fwd"][3], DENSE0_RANGE, rtol=1e-5)
    assert rows["quantized_net_pool0_fwd"][0] == "_contrib_quantized_pooling"
    assert rows["quantized_net_flatten0_flatten0"][0] == "_contrib_quantized_flatten"
    assert qnet(mx.nd.array(x[:2])).shape == (2, 3)


def test_quantize_net_v2_exclude_layers_match():
    rows = _net_rows(exclude_layers_match=["dense1"])[0]
    assert rows["net_dense1_fwd"][0] == "FullyConnected"
    assert rows["net_dense1_fwd"][2] == "net_dense0_fwd_dequantize:0 net_dense1_weight:0 net_dense1_bias:0"
    assert "quantized_net_dense1_fwd" not in rows
    np.testing.assert_allclose(rows["requantize_net_dense0_fwd"][3], DENSE0_RANGE, rtol=1e-5)


def test_quantize_net_v2_exclude_operators():
    rows = _net_rows(exclude_operators=["Pooling"])[0]
    assert rows["net_pool0_fwd"][:3] == ("Pooling", "net_pool0_fwd", "net_conv1_fwd_dequantize:0")
    # MXNet: _contrib_quantize_v2 net_pool0_fwd_output_quantize with the pooled tensor's range
    assert rows["net_pool0_fwd_output_quantize"][2] == "net_pool0_fwd:0"
    np.testing.assert_allclose(rows["net_pool0_fwd_output_quantize"][3], POOL_RANGE, rtol=1e-5)
    assert rows["quantized_net_flatten0_flatten0"][2].startswith("net_pool0_fwd_output_quantize:0 ")


def test_quantize_net_v2_exclude_layers_match_and_operators():
    rows = _net_rows(exclude_layers_match=["conv1"], exclude_operators=["Flatten"])[0]
    assert rows["net_conv1_fwd"][0] == "Convolution"
    np.testing.assert_allclose(rows["net_conv1_fwd_output_quantize"][3], CONV1_RANGE, rtol=1e-5)
    assert rows["net_flatten0_flatten0"][:3] == ("Flatten", "net_flatten0_flatten0", "net_pool0_fwd_dequantize:0")
    # MXNet names the Flatten output's quantize node by its index
    np.testing.assert_allclose(rows["net_flatten0_flatten0_0_quantize"][3], POOL_RANGE, rtol=1e-5)
    assert rows["quantized_net_dense0_fwd"][2].startswith("net_flatten0_flatten0_0_quantize:0 ")


def test_quantize_net_v2_bad_exclusions():
    # MXNet 1.9.1 fails an assert for a string exclude_operators and silently matches the characters of a string
    # exclude_layers_match; mxc raises a ValueError naming the argument for both
    loader = _calib_loader()[0]
    with pytest.raises(ValueError, match="exclude_layers_match"):
        q.quantize_net_v2(_gluon_net(), calib_data=loader, calib_mode="naive", exclude_layers_match="dense1")
    with pytest.raises(ValueError, match="exclude_operators"):
        q.quantize_net_v2(_gluon_net(), calib_data=loader, calib_mode="naive", exclude_operators="Pooling")
