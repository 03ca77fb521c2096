"""mx.onnx: every export converter on a small graph with random parameters, run in ONNX Runtime (the
independent reference) against mxc's own forward; model-zoo networks exported from Gluon files; dynamic batch;
metadata; import round trips; errors."""
import os

import numpy as np
import pytest

import mxc as mx

# ONNX Runtime runs on the CPU, and mxc's side of each comparison is bound there too.
pytestmark = pytest.mark.cpu_default_context

onnx = pytest.importorskip("onnx", reason="pip install onnx (CI installs it)")
ort = pytest.importorskip("onnxruntime", reason="pip install onnxruntime (CI installs it)")

D = mx.sym.Variable("data")


def _run_both(net, shapes, tmp_path, rng, dynamic=False, batch_alt=None, in_types=np.float32, data=None, **kw):
    """Exports net with random parameters, compares ONNX Runtime with mxc on random inputs."""
    arg_shapes, _, aux_shapes = net.infer_shape(**shapes)
    inputs = list(dict.fromkeys(n for n in net.list_arguments() if n in shapes))
    args, aux = {}, {}
    for n, s in zip(net.list_arguments(), arg_shapes):
        if n not in shapes and not n.endswith("_label"):
            args[n] = mx.nd.array(rng.uniform(-0.5, 0.5, s))
    for n, s in zip(net.list_auxiliary_states(), aux_shapes):
        aux[n] = mx.nd.array(rng.uniform(0.5, 1.5, s))
    path = mx.onnx.export_model(net, dict(args, **aux), [shapes[n] for n in inputs], in_types,
                                str(tmp_path / "m.onnx"), dynamic=dynamic, **kw)
    sess = ort.InferenceSession(path)
    assert [i.name for i in sess.get_inputs()] == inputs
    assert [o.name for o in sess.get_outputs()] == net.list_outputs()
    for batch in [None] + ([batch_alt] if batch_alt else []):
        feed = {}
        for n in inputs:
            s = shapes[n] if batch is None else (batch,) + tuple(shapes[n][1:])
            feed[n] = data(n, s) if data else rng.uniform(-1, 1, s).astype(np.float32)
        ex = net.bind(mx.cpu(), dict(args, **{n: mx.nd.array(v, dtype=v.dtype) for n, v in feed.items()},
                                     **{n: mx.nd.zeros(s) for n, s in zip(net.list_arguments(), net.infer_shape(
                                         **{k: v.shape for k, v in feed.items()})[0]) if n.endswith("_label")}),
                      aux_states=aux)
        want = [o.asnumpy() for o in ex.forward(is_train=False)]
        got = sess.run(None, feed)
        for w, g in zip(want, got):
            assert w.shape == g.shape
            np.testing.assert_allclose(g, w, rtol=1e-4, atol=1e-5)
    return path


CASES = {
    "fc": (mx.sym.FullyConnected(D, num_hidden=5), {"data": (3, 2, 4)}),
    "fc_no_bias_no_flatten": (mx.sym.FullyConnected(D, num_hidden=5, no_bias=True, flatten=False), {"data": (3, 2, 4)}),
    "conv_pad_stride_dilate_group": (mx.sym.Convolution(D, kernel=(3, 3), num_filter=4, stride=(2, 1), pad=(1, 2),
                                                        dilate=(1, 2), num_group=2), {"data": (2, 4, 9, 8)}),
    "conv1d": (mx.sym.Convolution(D, kernel=(3,), num_filter=4, pad=(1,), no_bias=True), {"data": (2, 3, 7)}),
    "deconv": (mx.sym.Deconvolution(D, kernel=(3, 3), num_filter=3, stride=(2, 2), pad=(1, 1), adj=(1, 1)),
               {"data": (2, 4, 5, 5)}),
    "maxpool_full": (mx.sym.Pooling(D, kernel=(3, 3), stride=(2, 2), pool_type="max", pooling_convention="full"),
                     {"data": (2, 3, 8, 8)}),
    "avgpool_pad": (mx.sym.Pooling(D, kernel=(3, 3), stride=(1, 1), pad=(1, 1), pool_type="avg"),
                    {"data": (2, 3, 6, 6)}),
    "avgpool_no_pad_count": (mx.sym.Pooling(D, kernel=(2, 2), pad=(1, 1), pool_type="avg", count_include_pad=False),
                             {"data": (2, 3, 5, 5)}),
    "global_pools": (mx.sym.Group([mx.sym.Pooling(D, kernel=(1, 1), global_pool=True, pool_type="max"),
                                   mx.sym.Pooling(D, kernel=(1, 1), global_pool=True, pool_type="avg")]),
                     {"data": (2, 3, 4, 5)}),
    "batchnorm": (mx.sym.BatchNorm(D, fix_gamma=False, eps=1e-4), {"data": (2, 3, 4, 4)}),
    "batchnorm_fix_gamma": (mx.sym.BatchNorm(D), {"data": (2, 3, 4, 4)}),
    "activations": (mx.sym.Group([mx.sym.Activation(D, act_type=a) for a in
                                  ("relu", "sigmoid", "tanh", "softrelu", "softsign")]), {"data": (2, 5)}),
    "leaky": (mx.sym.Group([mx.sym.LeakyReLU(D, act_type="leaky", slope=0.1), mx.sym.LeakyReLU(D, act_type="elu"),
                            mx.sym.LeakyReLU(D, act_type="selu"), mx.sym.LeakyReLU(D, act_type="gelu")]),
              {"data": (2, 3, 4)}),
    "prelu": (mx.sym.LeakyReLU(D, act_type="prelu", name="pr"), {"data": (2, 3, 4, 4)}),
    "softmaxes": (mx.sym.Group([mx.sym.softmax(D, axis=1), mx.sym.log_softmax(D), mx.sym.softmax(D, temperature=2.0)]),
                  {"data": (2, 3, 4)}),
    "softmax_output_4d": (mx.sym.SoftmaxOutput(D, name="softmax"), {"data": (2, 3, 2, 2)}),
    "softmax_output_multi": (mx.sym.SoftmaxOutput(D, multi_output=True, name="softmax"), {"data": (2, 3, 2, 2)}),
    "regression_outputs": (mx.sym.Group([mx.sym.LinearRegressionOutput(D, name="lin"),
                                         mx.sym.LogisticRegressionOutput(D, name="log")]), {"data": (4, 2)}),
    "flatten_reshape_transpose": (mx.sym.transpose(mx.sym.Reshape(mx.sym.Flatten(D), shape=(0, -1, 2)), axes=(0, 2, 1)),
                                  {"data": (2, 3, 2, 2)}),
    "reshape_codes": (mx.sym.Reshape(D, shape=(-3, -2)), {"data": (2, 3, 4, 5)}),
    "concat_split": (mx.sym.Concat(*mx.sym.SliceChannel(D, num_outputs=2, axis=1), dim=2), {"data": (2, 4, 3)}),
    "split_squeeze": (mx.sym.Group(list(mx.sym.split(D, num_outputs=3, axis=1, squeeze_axis=True))),
                      {"data": (2, 3, 4)}),
    "dropout_copy_blockgrad": (mx.sym.BlockGrad(mx.sym.Dropout(D, p=0.5)) + 1, {"data": (2, 3)}),
    "elementwise": (mx.sym.Group([D + D * 2, D - 3, 3 - D, D / 4, 2 / (mx.sym.abs(D) + 1), D ** 2,
                                  mx.sym.maximum(D, 0.2), mx.sym.minimum(D, 0.1), -D, mx.sym.square(D)]),
                    {"data": (2, 3)}),
    "unary": (mx.sym.Group([mx.sym.exp(D), mx.sym.log(mx.sym.abs(D) + 1), mx.sym.sqrt(mx.sym.abs(D)),
                            mx.sym.relu(D), mx.sym.sigmoid(D), mx.sym.tanh(D), mx.sym.clip(D, -0.5, 0.3),
                            mx.sym.floor(D), mx.sym.ceil(D)]), {"data": (2, 3)}),
    "broadcast": (mx.sym.broadcast_add(D, mx.sym.Variable("b")) * mx.sym.broadcast_mul(D, mx.sym.Variable("b")),
                  {"data": (2, 3), "b": (1, 3)}),
    "reductions": (mx.sym.Group([mx.sym.sum(D, axis=1), mx.sym.mean(D, axis=(1, 2), keepdims=True), mx.sym.max(D),
                                 mx.sym.min(D, axis=2)]), {"data": (2, 3, 4)}),
    "dot": (mx.sym.Group([mx.sym.dot(D, mx.sym.Variable("w")), mx.sym.dot(D, mx.sym.Variable("w2"), transpose_b=True),
                          mx.sym.batch_dot(mx.sym.Variable("a"), mx.sym.Variable("c"), transpose_a=True)]),
            {"data": (2, 3), "w": (3, 4), "w2": (5, 3), "a": (2, 3, 4), "c": (2, 3, 5)}),
    "slices_expand_squeeze": (mx.sym.Group([mx.sym.slice_axis(D, axis=1, begin=1, end=3),
                                            mx.sym.slice(D, begin=(0, 1), end=(2, None), step=(1, 2)),
                                            mx.sym.expand_dims(D, axis=1),
                                            mx.sym.squeeze(mx.sym.expand_dims(D, axis=0), axis=0)]),
                              {"data": (2, 5)}),
    "add_n_like_cast": (mx.sym.Group([mx.sym.add_n(D, D, D), mx.sym.zeros_like(D), mx.sym.ones_like(D),
                                      mx.sym.Cast(D, dtype="float64")]), {"data": (2, 3)}),
    "upsampling": (mx.sym.UpSampling(D, scale=2, sample_type="nearest"), {"data": (1, 2, 3, 3)}),
}


# Operators mxc may not have (their converters are tested once it does).
if hasattr(mx.sym, "Pad"):
    CASES["pad"] = (mx.sym.Group([mx.sym.Pad(D, mode="constant", pad_width=(0, 0, 0, 0, 1, 2, 2, 1),
                                             constant_value=0.5),
                                  mx.sym.Pad(D, mode="edge", pad_width=(0, 0, 0, 0, 1, 1, 1, 1))]),
                    {"data": (2, 3, 4, 4)})
if hasattr(mx.sym, "LRN"):
    CASES["lrn"] = (mx.sym.LRN(D, nsize=3, alpha=1e-3, beta=0.75, knorm=2.0), {"data": (2, 5, 3, 3)})
if hasattr(mx.sym, "L2Normalization"):
    CASES["l2norm"] = (mx.sym.Group([mx.sym.L2Normalization(D, mode=m) for m in ("instance", "channel", "spatial")]),
                       {"data": (2, 3, 2, 2)})


@pytest.mark.parametrize("case", sorted(CASES))
def test_converter_matches_mxc(case, tmp_path):
    net, shapes = CASES[case]
    _run_both(net, shapes, tmp_path, np.random.RandomState(abs(hash(case)) % 1000))


def test_embedding(tmp_path):
    net = mx.sym.Embedding(D, input_dim=10, output_dim=4)
    rng = np.random.RandomState(0)
    _run_both(net, {"data": (2, 5)}, tmp_path, rng, data=lambda n, s: rng.randint(0, 10, s).astype(np.float32))


def test_dynamic_batch(tmp_path):
    net = mx.sym.Reshape(mx.sym.FullyConnected(mx.sym.Flatten(D), num_hidden=6), shape=(-1, 2, 3))
    path = _run_both(net, {"data": (2, 3, 4)}, tmp_path, np.random.RandomState(1), dynamic=True, batch_alt=5)
    m = onnx.load(path)
    assert m.graph.input[0].type.tensor_type.shape.dim[0].dim_param == "batch"
    # Parameters are initializers, not inputs; the symbolic batch axis reads as 0.
    assert mx.onnx.get_model_metadata(path) == {"input_tensor_data": [("data", (0, 3, 4))],
                                                "output_tensor_data": [(net.list_outputs()[0], (0, 2, 3))]}


@pytest.mark.parametrize("name", ["resnet18_v1", "mobilenet0.25", "mobilenetv2_0.25", "squeezenet1.1",
                                  "densenet121"])
def test_model_zoo_from_exported_files(name, tmp_path):
    net = mx.gluon.model_zoo.vision.get_model(name, classes=10)
    net.initialize(mx.init.Xavier())
    net.hybridize()
    x = mx.nd.array(np.random.RandomState(0).uniform(0, 1, (1, 3, 224, 224)))
    want = net(x).asnumpy()
    prefix = str(tmp_path / name)
    net.export(prefix)
    path = mx.onnx.export_model(prefix + "-symbol.json", prefix + "-0000.params", [(1, 3, 224, 224)], [np.float32],
                                str(tmp_path / (name + ".onnx")))
    got = ort.InferenceSession(path).run(None, {"data": x.asnumpy()})[0]
    np.testing.assert_allclose(got, want, rtol=1e-3, atol=1e-4)


def test_errors(tmp_path):
    with pytest.raises(NotImplementedError, match=r"no ONNX converter for operator topk \(node 't'\)"):
        mx.onnx.export_model(mx.sym.topk(D, k=2, name="t"), {}, [(2, 3)], np.float32, str(tmp_path / "x.onnx"))
    with pytest.raises(ValueError, match="in_shapes is required"):
        mx.onnx.export_model(mx.sym.relu(D), {}, None, np.float32, str(tmp_path / "x.onnx"))
    with pytest.raises(ValueError, match=r"1 input shapes for the 2 inputs \['data', 'b'\]"):
        mx.onnx.export_model(D + mx.sym.Variable("b"), {}, [(2,)], np.float32, str(tmp_path / "x.onnx"))
    with pytest.raises(NotImplementedError, match="node 'dc' .*target_shape is not exported"):
        mx.onnx.export_model(mx.sym.Deconvolution(D, kernel=(2, 2), num_filter=2, stride=(2, 2), target_shape=(4, 4),
                                                  no_bias=True, name="dc"),
                             {"dc_weight": mx.nd.ones((3, 2, 2, 2))}, [(1, 3, 2, 2)], np.float32,
                             str(tmp_path / "x.onnx"))
    assert "Convolution" in mx.onnx.get_operator_support()


@pytest.mark.parametrize("name", ["resnet18_v1", "squeezenet1.1", "mobilenet0.25"])
def test_import_round_trip(name, tmp_path):
    """export -> import_model -> mxc forward equals the Gluon network's output."""
    net = mx.gluon.model_zoo.vision.get_model(name, classes=10)
    net.initialize(mx.init.Xavier())
    net.hybridize()
    x = mx.nd.array(np.random.RandomState(0).uniform(0, 1, (2, 3, 224, 224)))
    want = net(x).asnumpy()
    prefix = str(tmp_path / name)
    net.export(prefix)
    path = mx.onnx.export_model(prefix + "-symbol.json", prefix + "-0000.params", [(2, 3, 224, 224)], np.float32,
                                str(tmp_path / (name + ".onnx")))
    sym, arg, aux = mx.contrib.onnx.import_model(path)
    assert sym.list_arguments()[0] == "data" and set(aux) == set(sym.list_auxiliary_states())
    assert set(arg) == set(sym.list_arguments()) - {"data"}
    ex = sym.bind(mx.cpu(), dict(arg, data=x), aux_states=aux)
    np.testing.assert_allclose(ex.forward(is_train=False)[0].asnumpy(), want, rtol=1e-4, atol=1e-5)


def test_import_errors(tmp_path):
    from onnx import helper, TensorProto
    g = helper.make_graph([helper.make_node("TopK", ["data", "k"], ["v", "i"], name="tk")], "g",
                          [helper.make_tensor_value_info("data", TensorProto.FLOAT, [2, 3])],
                          [helper.make_tensor_value_info("v", TensorProto.FLOAT, [2, 1])],
                          [helper.make_tensor("k", TensorProto.INT64, [1], [1])])
    path = str(tmp_path / "t.onnx")
    onnx.save(helper.make_model(g), path)
    with pytest.raises(NotImplementedError, match=r"no importer for ONNX operator TopK \(node 'tk'\)"):
        mx.onnx.import_model(path)
