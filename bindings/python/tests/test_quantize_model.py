"""mx.contrib.quantization.quantize_model against MXNet 1.9.1's generic graph pass (MXNET_SUBGRAPH_BACKEND=NONE):
the quantized graphs (operators, node names, inputs, calibration attributes) and parameters MXNet printed for the same
networks, weights and data, and the quantized models' outputs against float32."""
import json

import numpy as np
import pytest

import mxc as mx
from mxc import nd
from mxc.contrib import quantization as q

F = np.float32


def _graph(s):
    js = json.loads(s.tojson())
    return [(n["op"], n["name"], ["%s:%d" % (js["nodes"][i[0]]["name"], i[1]) for i in n["inputs"]])
            for n in js["nodes"] if n["op"] != "null"]


def _attrs(s):
    return {n["name"]: n.get("attrs", {}) for n in json.loads(s.tojson())["nodes"] if n["op"] != "null"}


def _mlp():
    data = mx.sym.var("data")
    fc1 = mx.sym.FullyConnected(data, num_hidden=8, name="fc1")
    act = mx.sym.Activation(fc1, act_type="relu", name="relu1")
    fc2 = mx.sym.FullyConnected(act, num_hidden=3, name="fc2")
    return mx.sym.SoftmaxOutput(fc2, name="softmax")


def _mlp_params():
    g = np.random.RandomState(0)
    arg = {"fc1_weight": nd.array(g.randn(8, 5) * 0.5), "fc1_bias": nd.array(g.randn(8) * 0.1),
           "fc2_weight": nd.array(g.randn(3, 8) * 0.5), "fc2_bias": nd.array(g.randn(3) * 0.1)}
    return arg, g.randn(20, 5).astype(F)


def _convnet(no_bias=False):
    data = mx.sym.var("data")
    c = mx.sym.Convolution(data, kernel=(3, 3), num_filter=4, pad=(1, 1), name="conv1", no_bias=no_bias)
    a = mx.sym.Activation(c, act_type="relu", name="relu1")
    p = mx.sym.Pooling(a, kernel=(2, 2), stride=(2, 2), pool_type="max", name="pool1")
    f = mx.sym.Flatten(p, name="flat")
    fc = mx.sym.FullyConnected(f, num_hidden=3, name="fc1")
    return mx.sym.SoftmaxOutput(fc, name="softmax")


def _fc_inputs(src, name):
    return ["%s:0" % src, name + "_weight_quantize:0", name + "_bias_quantize:0", "%s:1" % src, "%s:2" % src,
            name + "_weight_quantize_min:0", name + "_weight_quantize_max:0", name + "_bias_quantize_min:0",
            name + "_bias_quantize_max:0"]


def _rq(name, src):
    return [("_contrib_requantize", "requantize_" + name, [src + ":0", src + ":1", src + ":2"])]


# MXNet 1.9.1's graphs (non-variable nodes: operator, name, inputs)
MLP_FULL = ([("_contrib_quantize_v2", "data_quantize", ["data:0"]),
             ("_contrib_quantized_fully_connected", "quantized_fc1", _fc_inputs("data_quantize", "fc1"))]
            + _rq("fc1", "quantized_fc1")
            + [("_contrib_quantized_act", "quantized_relu1", ["requantize_fc1:0", "requantize_fc1:1",
                                                               "requantize_fc1:2"]),
               ("_contrib_quantized_fully_connected", "quantized_fc2", _fc_inputs("quantized_relu1", "fc2"))]
            + _rq("fc2", "quantized_fc2")
            + [("_contrib_dequantize", "fc2_dequantize", ["requantize_fc2:0", "requantize_fc2:1", "requantize_fc2:2"]),
               ("SoftmaxOutput", "softmax", ["fc2_dequantize:0", "softmax_label:0"])])


def test_mlp_graph_and_naive_calibration_as_mxnet():
    arg, x = _mlp_params()
    calib = mx.io.NDArrayIter(x, np.zeros(20), batch_size=5)
    qsym, qarg, qaux = q.quantize_model(_mlp(), arg, {}, ctx=mx.context.current_context(), calib_mode="naive",
                                        calib_data=calib, num_calib_examples=20, quantized_dtype="int8",
                                        quantize_mode="full")
    assert _graph(qsym) == MLP_FULL
    attrs = _attrs(qsym)
    # MXNet 1.9.1 (its float32 layer outputs may differ from ours in the last bit: 1e-6)
    want = {"data_quantize": (-1.544771, 2.383145), "requantize_fc1": (-5.135461, 4.697959),
            "requantize_fc2": (-4.770250, 0.487256)}
    for name, (lo, hi) in want.items():
        assert attrs[name]["out_type"] == "int8"
        np.testing.assert_allclose([float(attrs[name]["min_calib_range"]), float(attrs[name]["max_calib_range"])],
                                   [lo, hi], atol=2e-6)
    # and exactly the data's range
    assert attrs["data_quantize"]["min_calib_range"] == "%f" % x.min()
    assert sorted(qarg) == sorted("%s_%s%s" % (layer, p, r) for layer in ("fc1", "fc2") for p in ("weight", "bias")
                                  for r in ("_quantize", "_quantize_min", "_quantize_max"))
    # MXNet 1.9.1's quantized parameters (first values) and ranges
    assert qarg["fc1_weight_quantize"].dtype == np.int8
    assert qarg["fc1_weight_quantize"].asnumpy().ravel()[:6].tolist() == [88, 20, 49, 111, 93, -49]
    assert qarg["fc1_bias_quantize"].asnumpy().ravel()[:6].tolist() == [-68, -92, -111, 127, -33, -29]
    assert qarg["fc2_weight_quantize"].asnumpy().ravel()[:6].tolist() == [-119, -16, -66, 28, -38, -87]
    assert qarg["fc2_bias_quantize"].asnumpy().tolist() == [117, -127, 41]
    np.testing.assert_allclose(qarg["fc1_weight_quantize_max"].asnumpy(), [1.2764948606491089], rtol=1e-7)
    np.testing.assert_allclose(qarg["fc1_weight_quantize_min"].asnumpy(), [-1.2764948606491089], rtol=1e-7)
    # every weight: scale 127 / max|w|, half to even
    for p in ("fc1_weight", "fc1_bias", "fc2_weight", "fc2_bias"):
        w = arg[p].asnumpy()
        m = F(np.abs(w).max())
        np.testing.assert_array_equal(qarg[p + "_quantize"].asnumpy(), np.clip(np.rint(w * (F(127) / m)), -128, 127))
    # the quantized model's output: MXNet 1.9.1's for the first rows, and within int8 tolerance of float32
    args = dict(qarg, data=nd.array(x), softmax_label=nd.zeros(20))
    out = qsym.bind(mx.context.current_context(), args=args, grad_req="null").forward()[0].asnumpy()
    np.testing.assert_allclose(out[:3], [[0.347629, 0.277731, 0.374639], [0.546026, 0.164914, 0.28906],
                                         [0.195397, 0.107384, 0.697219]], atol=2e-6)
    ref = _mlp().bind(mx.context.current_context(),
                      args=dict(arg, data=nd.array(x), softmax_label=nd.zeros(20)),
                      grad_req="null").forward()[0].asnumpy()
    assert np.abs(out - ref).max() < 0.02  # MXNet 1.9.1: 0.00885


def test_mlp_smart_none_and_exclusions_as_mxnet():
    arg, _ = _mlp_params()
    qsym, qarg, _ = q.quantize_model(_mlp(), arg, {}, calib_mode="none", quantize_mode="smart")
    assert _graph(qsym) == MLP_FULL
    assert "min_calib_range" not in _attrs(qsym)["data_quantize"]
    qsym, _, _ = q.quantize_model(_mlp(), arg, {}, calib_mode="none", quantize_mode="full",
                                  excluded_op_names=["Activation"])
    assert _graph(qsym) == ([("_contrib_quantize_v2", "data_quantize", ["data:0"]),
                             ("_contrib_quantized_fully_connected", "quantized_fc1",
                              _fc_inputs("data_quantize", "fc1"))]
                            + _rq("fc1", "quantized_fc1")
                            + [("_contrib_dequantize", "fc1_dequantize",
                                ["requantize_fc1:0", "requantize_fc1:1", "requantize_fc1:2"]),
                               ("Activation", "relu1", ["fc1_dequantize:0"]),
                               ("_contrib_quantize_v2", "relu1_output_quantize", ["relu1:0"]),
                               ("_contrib_quantized_fully_connected", "quantized_fc2",
                                _fc_inputs("relu1_output_quantize", "fc2"))]
                            + _rq("fc2", "quantized_fc2") + MLP_FULL[-2:])
    qsym, qarg, _ = q.quantize_model(_mlp(), arg, {}, calib_mode="none", quantize_mode="full",
                                     excluded_sym_names=["fc1"])
    assert _graph(qsym) == ([("FullyConnected", "fc1", ["data:0", "fc1_weight:0", "fc1_bias:0"]),
                             ("_contrib_quantize_v2", "fc1_output_quantize", ["fc1:0"]),
                             ("_contrib_quantized_act", "quantized_relu1",
                              ["fc1_output_quantize:0", "fc1_output_quantize:1", "fc1_output_quantize:2"]),
                             ("_contrib_quantized_fully_connected", "quantized_fc2",
                              _fc_inputs("quantized_relu1", "fc2"))]
                            + _rq("fc2", "quantized_fc2") + MLP_FULL[-2:])
    assert "fc1_weight" in qarg and qarg["fc1_weight"].dtype == np.float32
    # uint8: MXNet 1.9.1 with fc2 excluded
    qsym, qarg, _ = q.quantize_model(_mlp(), arg, {}, calib_mode="none", quantize_mode="full",
                                     quantized_dtype="uint8", excluded_sym_names=["fc2"])
    assert _graph(qsym)[-3:] == [("_contrib_dequantize", "relu1_dequantize",
                                  ["quantized_relu1:0", "quantized_relu1:1", "quantized_relu1:2"]),
                                 ("FullyConnected", "fc2", ["relu1_dequantize:0", "fc2_weight:0", "fc2_bias:0"]),
                                 ("SoftmaxOutput", "softmax", ["fc2:0", "softmax_label:0"])]
    assert _attrs(qsym)["data_quantize"]["out_type"] == "uint8"
    assert _attrs(qsym)["requantize_fc1"]["out_type"] == "uint8"


CONV_SMART = ([("_contrib_quantize_v2", "data_quantize", ["data:0"]),
               ("_contrib_quantized_conv", "quantized_conv1", _fc_inputs("data_quantize", "conv1"))]
              + _rq("conv1", "quantized_conv1")
              + [("_contrib_quantized_act", "quantized_relu1", ["requantize_conv1:0", "requantize_conv1:1",
                                                                 "requantize_conv1:2"]),
                 ("_contrib_quantized_pooling", "quantized_pool1", ["quantized_relu1:0", "quantized_relu1:1",
                                                                    "quantized_relu1:2"]),
                 ("_contrib_quantized_flatten", "quantized_flat", ["quantized_pool1:0", "quantized_pool1:1",
                                                                   "quantized_pool1:2"]),
                 ("_contrib_quantized_fully_connected", "quantized_fc1", _fc_inputs("quantized_flat", "fc1"))]
              + _rq("fc1", "quantized_fc1")
              + [("_contrib_dequantize", "fc1_dequantize", ["requantize_fc1:0", "requantize_fc1:1",
                                                             "requantize_fc1:2"]),
                 ("SoftmaxOutput", "softmax", ["fc1_dequantize:0", "softmax_label:0"])])


def _conv_params(g, no_bias=False):
    arg = {"conv1_weight": nd.array(g.randn(4, 2, 3, 3) * 0.3), "fc1_weight": nd.array(g.randn(3, 64) * 0.2),
           "fc1_bias": nd.array(g.randn(3) * 0.1)}
    if not no_bias:
        arg["conv1_bias"] = nd.array(g.randn(4) * 0.1)
    return arg


def test_convnet_graphs_as_mxnet():
    arg = _conv_params(np.random.RandomState(0))
    qsym, _, _ = q.quantize_model(_convnet(), arg, {}, calib_mode="none", quantize_mode="smart")
    assert _graph(qsym) == CONV_SMART
    qsym, _, _ = q.quantize_model(_convnet(), arg, {}, calib_mode="none", quantize_mode="full",
                                  excluded_sym_names=["conv1"])
    assert _graph(qsym)[:3] == [("Convolution", "conv1", ["data:0", "conv1_weight:0", "conv1_bias:0"]),
                                ("_contrib_quantize_v2", "conv1_output_quantize", ["conv1:0"]),
                                ("_contrib_quantized_act", "quantized_relu1",
                                 ["conv1_output_quantize:0", "conv1_output_quantize:1", "conv1_output_quantize:2"])]
    assert _graph(qsym)[3:] == CONV_SMART[4:]
    # a pooling first: kept in float32 by 'smart', quantized by 'full' (MXNet 1.9.1)
    d = mx.sym.var("data")
    net = mx.sym.FullyConnected(mx.sym.Flatten(mx.sym.Pooling(d, kernel=(2, 2), stride=(2, 2), pool_type="avg",
                                                              name="pool0"), name="flat0"), num_hidden=3, name="fcx")
    params = {"fcx_weight": nd.ones((3, 16)), "fcx_bias": nd.ones(3)}
    qsym, _, _ = q.quantize_model(net, params, {}, calib_mode="none", quantize_mode="smart", label_names=None)
    assert _graph(qsym) == ([("Pooling", "pool0", ["data:0"]), ("Flatten", "flat0", ["pool0:0"]),
                             ("_contrib_quantize_v2", "flat0_0_quantize", ["flat0:0"]),
                             ("_contrib_quantized_fully_connected", "quantized_fcx",
                              _fc_inputs("flat0_0_quantize", "fcx"))]
                            + _rq("fcx", "quantized_fcx")
                            + [("_contrib_dequantize", "fcx_dequantize",
                                ["requantize_fcx:0", "requantize_fcx:1", "requantize_fcx:2"])])
    qsym, _, _ = q.quantize_model(net, params, {}, calib_mode="none", quantize_mode="full", label_names=None)
    assert [n[:2] for n in _graph(qsym)][:3] == [("_contrib_quantize_v2", "data_quantize"),
                                                ("_contrib_quantized_pooling", "quantized_pool0"),
                                                ("_contrib_quantized_flatten", "quantized_flat0")]


@pytest.mark.parametrize("dtype", ["int8", "auto"])
def test_convnet_accuracy_against_float32(dtype):
    # a trained-looking random net (conv without bias: MXNet 1.9.1's CPU quantized_conv adds the int8 bias
    # unscaled, and so does ours) within int8 tolerance of float32 after naive calibration
    g = np.random.RandomState(1)
    arg = _conv_params(g, no_bias=True)
    x = g.randn(16, 2, 8, 8).astype(F)
    sym = _convnet(no_bias=True)
    calib = mx.io.NDArrayIter(x, np.zeros(16), batch_size=8)
    qsym, qarg, _ = q.quantize_model(sym, arg, {}, ctx=mx.context.current_context(), calib_mode="naive",
                                     calib_data=calib, num_calib_examples=16,
                                     quantized_dtype=dtype, quantize_mode="smart")
    out = qsym.bind(mx.context.current_context(), args=dict(qarg, data=nd.array(x), softmax_label=nd.zeros(16)),
                    grad_req="null").forward()[0].asnumpy()
    ref = sym.bind(mx.context.current_context(), args=dict(arg, data=nd.array(x), softmax_label=nd.zeros(16)),
                   grad_req="null").forward()[0].asnumpy()
    assert np.abs(out - ref).max() < 0.03
    assert (out.argmax(1) == ref.argmax(1)).mean() >= 0.9


def test_bad_arguments():
    arg, _ = _mlp_params()
    with pytest.raises(ValueError, match="quantized_dtype"):
        q.quantize_model(_mlp(), arg, {}, calib_mode="none", quantized_dtype="int4")
    with pytest.raises(ValueError, match="calib_data"):
        q.quantize_model(_mlp(), arg, {}, calib_mode="naive")
    with pytest.raises(ValueError, match="entropy"):
        q.quantize_model(_mlp(), arg, {})
    with pytest.raises(ValueError, match="excluded_sym_names"):
        q.quantize_model(_mlp(), arg, {}, calib_mode="none", excluded_sym_names="fc1")


def test_concat_graph_as_mxnet():
    d = mx.sym.var("data")
    a = mx.sym.FullyConnected(d, num_hidden=4, name="fa")
    b = mx.sym.FullyConnected(d, num_hidden=3, name="fb")
    params = {"fa_weight": nd.ones((4, 5)), "fa_bias": nd.ones(4), "fb_weight": nd.ones((3, 5)), "fb_bias": nd.ones(3),
              "fo_weight": nd.ones((2, 7)), "fo_bias": nd.ones(2)}
    net = mx.sym.FullyConnected(mx.sym.Concat(a, b, dim=1, name="cat"), num_hidden=2, name="fo")
    head = ([("_contrib_quantize_v2", "data_quantize", ["data:0"]),
             ("_contrib_quantized_fully_connected", "quantized_fa", _fc_inputs("data_quantize", "fa"))]
            + _rq("fa", "quantized_fa"))
    tail = ([("_contrib_quantized_fully_connected", "quantized_fo", _fc_inputs("quantized_%s", "fo"))]
            + _rq("fo", "quantized_fo")
            + [("_contrib_dequantize", "fo_dequantize", ["requantize_fo:0", "requantize_fo:1", "requantize_fo:2"])])

    def with_cat(name):
        return [(t[0], t[1], [x.replace("%s", name) for x in t[2]]) for t in tail]
    for mode in ("smart", "full"):
        qsym, _, _ = q.quantize_model(net, params, {}, calib_mode="none", quantize_mode=mode, label_names=None)
        # MXNet 1.9.1
        assert _graph(qsym) == (head + [("_contrib_quantized_fully_connected", "quantized_fb",
                                         _fc_inputs("data_quantize", "fb"))] + _rq("fb", "quantized_fb")
                                + [("_contrib_quantized_concat", "quantized_cat",
                                    ["requantize_fa:0", "requantize_fb:0", "requantize_fa:1", "requantize_fa:2",
                                     "requantize_fb:1", "requantize_fb:2"])] + with_cat("cat"))
        assert _attrs(qsym)["quantized_cat"]["num_args"] == "2" and _attrs(qsym)["quantized_cat"]["dim"] == "1"
    params["fo_weight"] = nd.ones((2, 9))
    net = mx.sym.FullyConnected(mx.sym.Concat(d, a, dim=1, name="cat2"), num_hidden=2, name="fo")
    qsym, qarg, _ = q.quantize_model(net, params, {}, calib_mode="none", quantize_mode="smart", label_names=None)
    assert _graph(qsym) == head + [("_contrib_quantized_concat", "quantized_cat2",
                                    ["data_quantize:0", "requantize_fa:0", "data_quantize:1", "data_quantize:2",
                                     "requantize_fa:1", "requantize_fa:2"])] + with_cat("cat2")
    x = np.random.RandomState(7).rand(4, 5).astype(F)
    out = qsym.bind(mx.context.current_context(), args=dict(qarg, data=nd.array(x)),
                    grad_req="null").forward()[0].asnumpy()
    fargs = {k: v for k, v in params.items() if k in net.list_arguments()}
    ref = net.bind(mx.context.current_context(), args=dict(fargs, data=nd.array(x)),
                   grad_req="null").forward()[0].asnumpy()
    np.testing.assert_allclose(out, ref, rtol=0.03)
