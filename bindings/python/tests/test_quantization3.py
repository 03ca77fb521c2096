"""_contrib_quantized_batch_norm and BatchNorm in quantize_model against MXNet 1.9.1 (MXNET_SUBGRAPH_BACKEND=NONE;
its pip build's oneDNN kernel): the operator's outputs for every int8 / uint8 value on crafted channels as MXNet
printed them, its symbol's inputs, its errors; the graphs quantize_model builds around BatchNorm in 'smart' and
'full' mode, and a calibrated model's outputs, as MXNet printed them."""
import json

import numpy as np
import pytest

import mxc as mx
from mxc import nd
from mxc.contrib import quantization as q

F = np.float32
G = np.array([1.25, -0.75, 2.5, 0.5], F)
B = np.array([0.125, -0.5, 0.75, 0.0], F)
M = np.array([0.3, -0.2, 0.05, 1.0], F)
V = np.array([0.8, 1.7, 0.3, 2.0], F)

# (data dtype, eps, min_data, max_data, min_calib_range, max_calib_range), min_output, max_output, output: the data
# every value of the dtype in order, shape (1, 4, 64) (channel k: values 64 k .. 64 k + 63 of the range)
QBN_CASES = [
    (('int8', 0.001, -1.5, 2.0, -3.0, 2.5), -3.0, 2.5,
        [-128, -128, -128, -128, -128, -127, -126, -125, -124, -123, -122, -121, -120, -120, -119, -118, -117,
         -116, -115, -114, -113, -112, -111, -110, -109, -108, -107, -106, -106, -105, -104, -103, -102, -101,
         -100, -99, -98, -97, -96, -95, -94, -93, -93, -92, -91, -90, -89, -88, -87, -86, -85, -84, -83, -82,
         -81, -80, -80, -79, -78, -77, -76, -75, -74, -73, -2, -2, -2, -3, -3, -4, -4, -4, -5, -5, -5, -6, -6,
         -7, -7, -7, -8, -8, -9, -9, -9, -10, -10, -10, -11, -11, -12, -12, -12, -13, -13, -13, -14, -14, -15,
         -15, -15, -16, -16, -17, -17, -17, -18, -18, -18, -19, -19, -20, -20, -20, -21, -21, -22, -22, -22,
         -23, -23, -23, -24, -24, -25, -25, -25, -26, 22, 25, 28, 31, 34, 37, 40, 43, 46, 50, 53, 56, 59, 62,
         65, 68, 71, 74, 77, 80, 83, 86, 89, 92, 95, 98, 101, 104, 107, 110, 113, 116, 119, 122, 125, 127, 127,
         127, 127, 127, 127, 127, 127, 127, 127, 127, 127, 127, 127, 127, 127, 127, 127, 127, 127, 127, 127,
         127, 127, 127, 127, 127, 127, 127, 0, 0, 1, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5,
         5, 6, 6, 6, 6, 7, 7, 7, 7, 8, 8, 8, 8, 9, 9, 9, 9, 9, 10, 10, 10, 10, 11, 11, 11, 11, 12, 12, 12, 12,
         13, 13, 13, 13, 13, 14, 14, 14, 14, 15, 15]),
    (('uint8', 1e-05, 0.0, 3.0, -1.0, 4.0), -1.0, 4.0,
        [-9, -9, -8, -8, -7, -7, -6, -6, -5, -5, -4, -4, -3, -3, -2, -2, -1, -1, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4,
         5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 11, 11, 12, 12, 13, 13, 14, 14, 15, 15, 16, 16, 17, 17, 18, 18, 19, 19,
         20, 20, 21, 21, 22, 22, 23, 23, -33, -33, -34, -34, -34, -34, -35, -35, -35, -35, -36, -36, -36, -36,
         -36, -36, -37, -37, -37, -37, -38, -38, -38, -38, -39, -39, -39, -39, -39, -39, -40, -40, -40, -40,
         -41, -41, -41, -41, -42, -42, -42, -42, -42, -42, -43, -43, -43, -43, -44, -44, -44, -44, -45, -45,
         -45, -45, -45, -45, -46, -46, -46, -46, -47, -47, 127, 127, 127, 127, 127, 127, 127, 127, 127, 127,
         127, 127, 127, 127, 127, 127, 127, 127, 127, 127, 127, 127, 127, 127, 127, 127, 127, 127, 127, 127,
         127, 127, 127, 127, 127, 127, 127, 127, 127, 127, 127, 127, 127, 127, 127, 127, 127, 127, 127, 127,
         127, 127, 127, 127, 127, 127, 127, 127, 127, 127, 127, 127, 127, 127, 14, 14, 14, 14, 15, 15, 15, 15,
         15, 15, 16, 16, 16, 16, 16, 16, 16, 16, 17, 17, 17, 17, 17, 17, 17, 17, 18, 18, 18, 18, 18, 18, 18, 18,
         19, 19, 19, 19, 19, 19, 19, 19, 20, 20, 20, 20, 20, 20, 21, 21, 21, 21, 21, 21, 21, 21, 22, 22, 22, 22,
         22, 22, 22, 22]),
    (('int8', 0.25, -0.5, 0.5, -1.0, 0.75), -1.0, 0.75,
        [-101, -100, -99, -99, -98, -98, -97, -97, -96, -96, -95, -95, -94, -93, -93, -92, -92, -91, -91, -90,
         -90, -89, -89, -88, -87, -87, -86, -86, -85, -85, -84, -84, -83, -83, -82, -81, -81, -80, -80, -79,
         -79, -78, -78, -77, -77, -76, -75, -75, -74, -74, -73, -73, -72, -72, -71, -71, -70, -69, -69, -68,
         -68, -67, -67, -66, -62, -62, -63, -63, -63, -63, -64, -64, -64, -64, -64, -65, -65, -65, -65, -66,
         -66, -66, -66, -67, -67, -67, -67, -68, -68, -68, -68, -69, -69, -69, -69, -70, -70, -70, -70, -70,
         -71, -71, -71, -71, -72, -72, -72, -72, -73, -73, -73, -73, -74, -74, -74, -74, -75, -75, -75, -75,
         -76, -76, -76, -76, -76, -77, -77, -77, 74, 76, 77, 79, 80, 82, 83, 85, 86, 88, 89, 91, 92, 94, 95, 97,
         98, 100, 101, 103, 104, 106, 107, 109, 110, 112, 113, 115, 116, 118, 119, 121, 122, 124, 125, 127, 127,
         127, 127, 127, 127, 127, 127, 127, 127, 127, 127, 127, 127, 127, 127, 127, 127, 127, 127, 127, 127,
         127, 127, 127, 127, 127, 127, 127, -33, -33, -33, -33, -32, -32, -32, -32, -32, -32, -31, -31, -31,
         -31, -31, -31, -31, -30, -30, -30, -30, -30, -30, -30, -29, -29, -29, -29, -29, -29, -28, -28, -28,
         -28, -28, -28, -28, -27, -27, -27, -27, -27, -27, -27, -26, -26, -26, -26, -26, -26, -26, -25, -25,
         -25, -25, -25, -25, -24, -24, -24, -24, -24, -24, -24]),
    (('int8', 0.001, -1.5, 2.0, 0.0, 0.0), 0.0, 0.0,
        [-128, -128, -128, -128, -128, -128, -128, -128, -128, -128, -128, -128, -128, -128, -128, -128, -128,
         -128, -128, -128, -128, -128, -128, -128, -128, -128, -128, -128, -128, -128, -128, -128, -128, -128,
         -128, -128, -128, -128, -128, -128, -128, -128, -128, -128, -128, -128, -128, -128, -128, -128, -128,
         -128, -128, -128, -128, -128, -128, -128, -128, -128, -128, -128, -128, -128, 0, 0, 0, 0, 0, 0, 0, 0,
         0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
         0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 127, 127, 127, 127, 127, 127, 127,
         127, 127, 127, 127, 127, 127, 127, 127, 127, 127, 127, 127, 127, 127, 127, 127, 127, 127, 127, 127,
         127, 127, 127, 127, 127, 127, 127, 127, 127, 127, 127, 127, 127, 127, 127, 127, 127, 127, 127, 127,
         127, 127, 127, 127, 127, 127, 127, 127, 127, 127, 127, 127, 127, 127, 127, 127, 0, 0, 0, 0, 0, 0, 0, 0,
         0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
         0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]),
    (('int8', 0.001, 0.0, 0.0, -1.0, 1.0), -1.0, 1.0,
        [-37, -37, -37, -37, -37, -37, -37, -37, -37, -37, -37, -37, -37, -37, -37, -37, -37, -37, -37, -37,
         -37, -37, -37, -37, -37, -37, -37, -37, -37, -37, -37, -37, -37, -37, -37, -37, -37, -37, -37, -37,
         -37, -37, -37, -37, -37, -37, -37, -37, -37, -37, -37, -37, -37, -37, -37, -37, -37, -37, -37, -37,
         -37, -37, -37, -37, -78, -78, -78, -78, -78, -78, -78, -78, -78, -78, -78, -78, -78, -78, -78, -78,
         -78, -78, -78, -78, -78, -78, -78, -78, -78, -78, -78, -78, -78, -78, -78, -78, -78, -78, -78, -78,
         -78, -78, -78, -78, -78, -78, -78, -78, -78, -78, -78, -78, -78, -78, -78, -78, -78, -78, -78, -78,
         -78, -78, -78, -78, -78, -78, -78, -78, 67, 67, 67, 67, 67, 67, 67, 67, 67, 67, 67, 67, 67, 67, 67, 67,
         67, 67, 67, 67, 67, 67, 67, 67, 67, 67, 67, 67, 67, 67, 67, 67, 67, 67, 67, 67, 67, 67, 67, 67, 67, 67,
         67, 67, 67, 67, 67, 67, 67, 67, 67, 67, 67, 67, 67, 67, 67, 67, 67, 67, 67, 67, 67, 67, -45, -45, -45,
         -45, -45, -45, -45, -45, -45, -45, -45, -45, -45, -45, -45, -45, -45, -45, -45, -45, -45, -45, -45,
         -45, -45, -45, -45, -45, -45, -45, -45, -45, -45, -45, -45, -45, -45, -45, -45, -45, -45, -45, -45,
         -45, -45, -45, -45, -45, -45, -45, -45, -45, -45, -45, -45, -45, -45, -45, -45, -45, -45, -45, -45,
         -45]),
]


def _qbn_args(dt, lo, hi):
    x = np.arange(-128, 128) if dt == "int8" else np.arange(0, 256)
    return ([nd.array(x.reshape(1, 4, 64), dtype=dt)] + [nd.array(a) for a in (G, B, M, V)]
            + [nd.array([lo]), nd.array([hi])])


@pytest.mark.parametrize("key,olo,ohi,want", QBN_CASES)
def test_quantized_batch_norm_as_mxnet(key, olo, ohi, want):
    dt, eps, lo, hi, clo, chi = key
    out = nd.contrib.quantized_batch_norm(*_qbn_args(dt, lo, hi), eps=eps, min_calib_range=clo,
                                          max_calib_range=chi)
    assert len(out) == 3
    assert out[0].dtype == np.int8 and out[0].shape == (1, 4, 64)
    assert out[0].asnumpy().ravel().tolist() == want
    assert out[1].asnumpy().tolist() == [olo] and out[2].asnumpy().tolist() == [ohi]


def test_quantized_batch_norm_against_float_reference():
    # away from rounding ties, the float32 formula computed independently (double) gives the same int8 values
    dt, eps, lo, hi, clo, chi = QBN_CASES[0][0]
    out = nd.contrib.quantized_batch_norm(*_qbn_args(dt, lo, hi), eps=eps, min_calib_range=clo,
                                          max_calib_range=chi)[0].asnumpy().astype(np.float64)
    x = np.arange(-128, 128, dtype=np.float64).reshape(1, 4, 64) * (2.0 / 127.5)
    g, b, m, v = (a.astype(np.float64)[None, :, None] for a in (G, B, M, V))
    # MXNet folds the statistics into a scale and shift, then its oneDNN batch norm (variance 1) divides the scaled
    # data by sqrt(1 + eps) once more
    y = x * g / np.sqrt(v + eps) / np.sqrt(1 + eps) + b - m * g / np.sqrt(v + eps)
    ref = y * (127.5 / 3.0)
    far = np.abs(ref - np.floor(ref) - 0.5) > 1e-3
    np.testing.assert_array_equal(out[far], np.clip(np.rint(ref), -128, 127)[far])


def test_quantized_batch_norm_symbol_as_mxnet():
    s = mx.sym.contrib.quantized_batch_norm(mx.sym.var("data"), name="bn")
    assert s.list_arguments() == ["data", "bn_gamma", "bn_beta", "bn_min_data", "bn_max_data"]
    assert s.list_auxiliary_states() == ["bn_moving_mean", "bn_moving_var"]
    assert s.list_outputs() == ["bn_output", "bn_min_output", "bn_max_output"]
    _, out, _ = s.infer_shape(data=(2, 5, 3, 3))
    assert out == [(2, 5, 3, 3), (1,), (1,)]
    _, out, aux = s.infer_type(data=np.int8)
    assert out == [np.int8, np.float32, np.float32] and aux == [np.float32, np.float32]


def test_quantized_batch_norm_errors():
    args = _qbn_args("int8", -1.0, 1.0)
    with pytest.raises(mx.MXNetError, match="quantized_batch_norm.*min_calib_range"):
        nd.contrib.quantized_batch_norm(*args)[0].asnumpy()
    with pytest.raises(mx.MXNetError, match="quantized_batch_norm.*min_calib_range"):
        nd.contrib.quantized_batch_norm(*args, min_calib_range=-1.0)[0].asnumpy()
    with pytest.raises(mx.MXNetError, match="quantized_batch_norm.*'data'.*float32"):
        nd.contrib.quantized_batch_norm(*([nd.ones((1, 4, 2))] + args[1:]), min_calib_range=-1.0,
                                        max_calib_range=1.0)
    with pytest.raises(mx.MXNetError, match="quantized_batch_norm.*gamma"):
        nd.contrib.quantized_batch_norm(*([nd.ones((1, 5, 2), dtype="int8")] + args[1:]), min_calib_range=-1.0,
                                        max_calib_range=1.0)


def _graph_names(s):
    return [n["name"] for n in json.loads(s.tojson())["nodes"] if n["op"] != "null"]


S = mx.sym


def _conv(x, n):
    return S.Convolution(x, num_filter=4, kernel=(3, 3), pad=(1, 1), name=n)


def _bn(x, n):
    return S.BatchNorm(x, name=n)


def _relu(x, n):
    return S.Activation(x, act_type="relu", name=n)


def _pool(x, n):
    return S.Pooling(x, kernel=(2, 2), pool_type="max", name=n)


def _nets():
    d = S.var("data")
    return {
        "conv-bn": _bn(_conv(d, "c1"), "b1"),
        "conv-bn-conv": _conv(_bn(_conv(d, "c1"), "b1"), "c2"),
        "bn-conv": _conv(_bn(d, "b0"), "c1"),
        "conv-bn-relu-bn-relu": _relu(_bn(_relu(_bn(_conv(d, "c1"), "b1"), "r1"), "b2"), "r2"),
        "conv-bn-relu-pool-conv": _conv(_pool(_relu(_bn(_conv(d, "c1"), "b1"), "r1"), "p1"), "c2"),
        "conv-relu": _relu(_conv(d, "c1"), "r1"),
        "conv-bn-flatten": S.Flatten(_bn(_conv(d, "c1"), "b1"), name="fl"),
        "two-consumers": (lambda b: _conv(b, "c2") + _relu(b, "r9"))(_bn(_conv(d, "c1"), "b1")),
    }


# MXNet 1.9.1's quantized graphs (op nodes' names) with calib_mode='none'
GRAPHS = {
    ("conv-bn", "smart"): ["data_quantize", "quantized_c1", "requantize_c1", "c1_dequantize", "b1"],
    ("conv-bn", "full"): ["data_quantize", "quantized_c1", "requantize_c1", "quantized_b1", "b1_dequantize"],
    ("conv-bn-conv", "smart"): ["data_quantize", "quantized_c1", "requantize_c1", "quantized_b1", "quantized_c2",
                                "requantize_c2", "c2_dequantize"],
    ("bn-conv", "smart"): ["b0", "b0_output_quantize", "quantized_c1", "requantize_c1", "c1_dequantize"],
    ("bn-conv", "full"): ["data_quantize", "quantized_b0", "quantized_c1", "requantize_c1", "c1_dequantize"],
    ("conv-bn-relu-bn-relu", "smart"): ["data_quantize", "quantized_c1", "requantize_c1", "c1_dequantize", "b1", "r1",
                                        "b2", "r2"],
    ("conv-bn-relu-bn-relu", "full"): ["data_quantize", "quantized_c1", "requantize_c1", "quantized_b1",
                                       "quantized_r1", "quantized_b2", "quantized_r2", "r2_dequantize"],
    ("conv-bn-relu-pool-conv", "smart"): ["data_quantize", "quantized_c1", "requantize_c1", "quantized_b1",
                                          "quantized_r1", "quantized_p1", "quantized_c2", "requantize_c2",
                                          "c2_dequantize"],
    ("conv-relu", "smart"): ["data_quantize", "quantized_c1", "requantize_c1", "c1_dequantize", "r1"],
    ("conv-bn-flatten", "smart"): ["data_quantize", "quantized_c1", "requantize_c1", "c1_dequantize", "b1", "fl"],
    ("two-consumers", "smart"): ["data_quantize", "quantized_c1", "requantize_c1", "quantized_b1", "quantized_c2",
                                 "requantize_c2", "c2_dequantize", "b1_dequantize", "r9", "_plus1"],
}


@pytest.mark.parametrize("net,mode", sorted(GRAPHS))
def test_quantize_model_batch_norm_graphs_as_mxnet(net, mode):
    sym = _nets()[net]
    qsym, _, _ = q.quantize_model(sym, {}, {}, calib_mode="none", quantize_mode=mode, label_names=None)
    names = _graph_names(qsym)
    want = GRAPHS[(net, mode)]
    if net == "two-consumers":  # the automatic name of the sum depends on how many were made before
        names = names[:-1]
        want = want[:-1]
    assert names == want


def _mlp_bn():
    d = S.var("data")
    c = S.FullyConnected(d, num_hidden=4, name="fc1")
    b = S.BatchNorm(c, fix_gamma=False, name="bn")
    r = S.Activation(b, act_type="relu", name="relu")
    c2 = S.FullyConnected(r, num_hidden=3, name="fc2")
    return S.BatchNorm(c2, name="bn2")


def _mlp_bn_params():
    rs = np.random.RandomState(7)
    shapes = {"fc1_weight": (4, 10), "fc1_bias": (4,), "bn_gamma": (4,), "bn_beta": (4,), "fc2_weight": (3, 4),
              "fc2_bias": (3,), "bn2_gamma": (3,), "bn2_beta": (3,)}
    arg = {k: nd.array(rs.uniform(-1, 1, s).astype(F)) for k, s in sorted(shapes.items())}
    aux = {"bn_moving_mean": nd.array(rs.uniform(-0.5, 0.5, 4)), "bn_moving_var": nd.array(rs.uniform(0.5, 2, 4)),
           "bn2_moving_mean": nd.array(rs.uniform(-0.5, 0.5, 3)), "bn2_moving_var": nd.array(rs.uniform(0.5, 2, 3))}
    return arg, aux, rs.uniform(-1, 1, (6, 10)).astype(F)


# MXNet 1.9.1 (calib_mode='naive' over the 6 rows): (op, name, min_calib_range, max_calib_range) of every op node
# and the quantized model's output
MLP_BN = {
    "smart": (
        [('_contrib_quantize_v2', 'data_quantize', '-0.985713', '0.950279'),
         ('_contrib_quantized_fully_connected', 'quantized_fc1', None, None), ('_contrib_requantize',
         'requantize_fc1', '-2.827361', '2.515121'), ('_contrib_quantized_batch_norm', 'quantized_bn',
         '-1.121886', '2.471216'), ('_contrib_quantized_act', 'quantized_relu', None, None),
         ('_contrib_quantized_fully_connected', 'quantized_fc2', None, None), ('_contrib_requantize',
         'requantize_fc2', '0.048691', '2.467775'), ('_contrib_dequantize', 'fc2_dequantize', None,
         None), ('BatchNorm', 'bn2', None, None)],
        [-0.6779832243919373, 0.8446902632713318, 0.44052553176879883, -0.633391261100769,
         1.2886947393417358, 0.2455141395330429, -0.6779832243919373, 2.774401903152466,
         -0.09132367372512817, -0.7374392151832581, 0.947152853012085, 0.45825380086898804,
         -0.7374392151832581, 0.947152853012085, 0.45825380086898804, -0.7374392151832581,
         0.947152853012085, 0.45825380086898804]),
    "full": (
        [('_contrib_quantize_v2', 'data_quantize', '-0.985713', '0.950279'),
         ('_contrib_quantized_fully_connected', 'quantized_fc1', None, None), ('_contrib_requantize',
         'requantize_fc1', '-2.827361', '2.515121'), ('_contrib_quantized_batch_norm', 'quantized_bn',
         '-1.121886', '2.471216'), ('_contrib_quantized_act', 'quantized_relu', None, None),
         ('_contrib_quantized_fully_connected', 'quantized_fc2', None, None), ('_contrib_requantize',
         'requantize_fc2', '0.048691', '2.467775'), ('_contrib_quantized_batch_norm', 'quantized_bn2',
         '-0.744638', '2.782940'), ('_contrib_dequantize', 'bn2_dequantize', None, None)],
        [-0.7639442682266235, 0.8294252157211304, -0.08730791509151459, -0.7421172857284546,
         1.2659647464752197, -0.08730791509151459, -0.7639442682266235, 2.684718370437622,
         -0.13096186518669128, -0.8075982332229614, 0.9385600686073303, -0.08730791509151459,
         -0.8075982332229614, 0.9385600686073303, -0.08730791509151459, -0.8075982332229614,
         0.9385600686073303, -0.08730791509151459]),
}


@pytest.mark.parametrize("mode", ["smart", "full"])
def test_quantize_model_batch_norm_naive_as_mxnet(mode):
    arg, aux, x = _mlp_bn_params()
    ctx = mx.context.current_context()
    it = mx.io.NDArrayIter(nd.array(x), batch_size=3)
    qsym, qarg, qaux = q.quantize_model(_mlp_bn(), arg, aux, ctx=ctx, calib_mode="naive", calib_data=it,
                                        num_calib_examples=6, label_names=None, quantize_mode=mode)
    nodes = [(n["op"], n["name"], n.get("attrs", {}).get("min_calib_range"), n.get("attrs", {}).get("max_calib_range"))
             for n in json.loads(qsym.tojson())["nodes"] if n["op"] != "null"]
    want_nodes, want_out = MLP_BN[mode]
    assert nodes == want_nodes
    bn = [n for n in json.loads(qsym.tojson())["nodes"] if n["name"] == "quantized_bn"][0]
    assert bn["attrs"]["fix_gamma"] == "False"
    assert qsym.list_auxiliary_states()[:2] == ["bn_moving_mean", "bn_moving_var"]
    out = qsym.bind(ctx, args=dict(qarg, data=nd.array(x)), aux_states=qaux, grad_req="null").forward()[0]
    # the float BatchNorm at the end of 'smart' may differ from MXNet's in the last bit
    np.testing.assert_allclose(out.asnumpy().ravel(), want_out, rtol=1e-6, atol=1e-7)
