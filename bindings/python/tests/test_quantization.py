"""MXNet 1.9.1's int8 quantization operators: contrib quantize, quantize_v2, dequantize, requantize.

Values marked "MXNet 1.9.1" were printed by Apache MXNet 1.9.1 (pip build, whose CPU kernels are oneDNN's) for the
same calls. The others are checked against NumPy references written here; those references were compared with
MXNet 1.9.1 on 20000 random values per case (no difference) when the tests were written:
quantize int8 q = clip(rint(x * (127 / M)), -128, 127), uint8 clip(rint(x * (255 / M)), 0, 255); quantize_v2 the
same with 127.5 / 255.5; requantize with 127 / 255 on x = q32 * (M_in / (2^31 - 1)); dequantize q * (M / 127.5)
(int8) or q * (M / 255.5) (uint8); M = max(|min|, |max|), rint rounds half to even.
"""
import numpy as np
import pytest

import mxc as mx
from mxc import nd
from mxc.base import MXNetError

F = np.float32
X = [[-2.0, -1.26, -0.5, -0.004, 0.0, 0.004], [0.5, 1.0, 1.26, 1.5, 2.0, 3.0]]


def _r(v):
    return nd.array([v])


def _vals(outs):
    return [(o.dtype, o.asnumpy().tolist()) for o in outs]


def _check(outs, dtype, q, lo, hi):
    assert outs[0].dtype == np.dtype(dtype)
    assert outs[0].asnumpy().tolist() == q
    assert outs[1].dtype == np.float32 and outs[2].dtype == np.float32
    assert outs[1].asnumpy().tolist() == [lo] and outs[2].asnumpy().tolist() == [hi]


# ---- MXNet 1.9.1's values ---------------------------------------------------------------------------------------
def test_quantize_values_mxnet():
    x = nd.array(X)
    # MXNet 1.9.1: uint8 scales by 255 / max(|min|, |max|), negatives saturate at 0, the range passes through
    _check(nd.contrib.quantize(x, _r(-1.0), _r(2.0), out_type="uint8"), "uint8",
           [[0, 0, 0, 0, 0, 1], [64, 128, 161, 191, 255, 255]], -1.0, 2.0)
    _check(nd.contrib.quantize(x, _r(0.0), _r(2.0)), "uint8",
           [[0, 0, 0, 0, 0, 1], [64, 128, 161, 191, 255, 255]], 0.0, 2.0)
    _check(nd.contrib.quantize(x, _r(-3.0), _r(1.0), out_type="uint8"), "uint8",
           [[0, 0, 0, 0, 0, 0], [42, 85, 107, 128, 170, 255]], -3.0, 1.0)
    # int8: symmetric range out
    _check(nd.contrib.quantize(x, _r(-1.0), _r(2.0), out_type="int8"), "int8",
           [[-127, -80, -32, 0, 0, 0], [32, 64, 80, 95, 127, 127]], -2.0, 2.0)
    _check(nd.contrib.quantize(x, _r(-3.0), _r(1.0), out_type="int8"), "int8",
           [[-85, -53, -21, 0, 0, 0], [21, 42, 53, 64, 85, 127]], -3.0, 3.0)
    # halves round to even
    h = nd.array([0.5 / 127, 1.5 / 127, 2.5 / 127, -0.5 / 127, -1.5 / 127, -2.5 / 127, 126.5 / 127])
    _check(nd.contrib.quantize(h, _r(-1.0), _r(1.0), out_type="int8"), "int8", [0, 2, 2, 0, -2, -2, 126], -1.0, 1.0)
    h2 = nd.array([0.5 / 255, 1.5 / 255, 2.5 / 255, 254.5 / 255])
    _check(nd.contrib.quantize(h2, _r(0.0), _r(1.0), out_type="uint8"), "uint8", [0, 2, 2, 254], 0.0, 1.0)


def test_quantize_v2_values_mxnet():
    x = nd.array(X)
    i8c = [[-128, -80, -32, 0, 0, 0], [32, 64, 80, 96, 127, 127]]
    u8c = [[0, 0, 0, 0, 0, 1], [64, 128, 161, 192, 255, 255]]
    i8d = [[-85, -54, -21, 0, 0, 0], [21, 42, 54, 64, 85, 127]]
    # MXNet 1.9.1
    _check(nd.contrib.quantize_v2(x), "int8", i8d, -3.0, 3.0)
    _check(nd.contrib.quantize_v2(x, out_type="int8", min_calib_range=-1.0, max_calib_range=2.0), "int8", i8c, -2.0,
           2.0)
    _check(nd.contrib.quantize_v2(x, out_type="int8", min_calib_range=0.5, max_calib_range=2.0), "int8", i8c, -2.0,
           2.0)
    _check(nd.contrib.quantize_v2(x, out_type="uint8"), "uint8",
           [[0, 0, 0, 0, 0, 0], [43, 85, 107, 128, 170, 255]], -2.0, 3.0)
    _check(nd.contrib.quantize_v2(x, out_type="uint8", min_calib_range=-1.0, max_calib_range=2.0), "uint8", u8c,
           -1.0, 2.0)
    _check(nd.contrib.quantize_v2(x, out_type="uint8", min_calib_range=0.5, max_calib_range=2.0), "uint8", u8c, 0.5,
           2.0)
    # auto: uint8 only for a calibration range with min >= 0
    _check(nd.contrib.quantize_v2(x, out_type="auto"), "int8", i8d, -3.0, 3.0)
    _check(nd.contrib.quantize_v2(x, out_type="auto", min_calib_range=-1.0, max_calib_range=2.0), "int8", i8c, -2.0,
           2.0)
    _check(nd.contrib.quantize_v2(x, out_type="auto", min_calib_range=0.5, max_calib_range=2.0), "uint8", u8c, 0.5,
           2.0)
    xp = nd.array([0.0, 0.25, 1.0, 2.0, 3.0])
    _check(nd.contrib.quantize_v2(xp), "int8", [0, 11, 42, 85, 127], -3.0, 3.0)
    _check(nd.contrib.quantize_v2(xp, out_type="uint8"), "uint8", [0, 21, 85, 170, 255], 0.0, 3.0)
    _check(nd.contrib.quantize_v2(xp, out_type="auto"), "int8", [0, 11, 42, 85, 127], -3.0, 3.0)


def test_dequantize_values_mxnet():
    q8 = nd.array([-127, -100, -1, 0, 1, 50, 127], dtype="int8")
    out = nd.contrib.dequantize(q8, _r(-1.0), _r(2.0))
    assert out.dtype == np.float32 and out.shape == (7,)
    # MXNet 1.9.1
    np.testing.assert_allclose(out.asnumpy(), [-1.992156982421875, -1.5686275959014893, -0.01568627543747425, 0.0,
                                               0.01568627543747425, 0.7843137979507446, 1.992156982421875], rtol=1e-7)
    np.testing.assert_allclose(nd.contrib.dequantize(q8, _r(-3.0), _r(1.0)).asnumpy(),
                               [-2.9882352352142334, -2.3529412746429443, -0.0235294122248888, 0.0,
                                0.0235294122248888, 1.1764706373214722, 2.9882352352142334], rtol=1e-7)
    u8 = nd.array([0, 1, 100, 128, 255], dtype="uint8")
    want = [0.0, 0.007827788591384888, 0.7827788591384888, 1.0019569396972656, 1.9960861206054688]
    np.testing.assert_allclose(nd.contrib.dequantize(u8, _r(-1.0), _r(2.0)).asnumpy(), want, rtol=1e-7)
    np.testing.assert_allclose(nd.contrib.dequantize(u8, _r(0.0), _r(2.0)).asnumpy(), want, rtol=1e-7)


def test_requantize_values_mxnet():
    i32 = nd.array([-300000000, -1000000, -5, 0, 7, 123456789, 200000000], dtype="int32")
    m = 1.3969838619232178
    # MXNet 1.9.1
    _check(nd.contrib.requantize(i32, _r(-10.0), _r(10.0)), "int8", [-127, 0, 0, 0, 0, 52, 85], -m, m)
    _check(nd.contrib.requantize(i32, _r(-10.0), _r(10.0), min_calib_range=-0.5, max_calib_range=0.5), "int8",
           [-128, -1, 0, 0, 0, 127, 127], -0.5, 0.5)
    _check(nd.contrib.requantize(i32, _r(-10.0), _r(10.0), out_type="uint8", min_calib_range=0.0,
                                 max_calib_range=0.5), "uint8", [0, 0, 0, 0, 0, 255, 255], 0.0, 0.5)
    _check(nd.contrib.requantize(i32, _r(-10.0), _r(10.0), out_type="auto", min_calib_range=0.0,
                                 max_calib_range=0.5), "uint8", [0, 0, 0, 0, 0, 255, 255], 0.0, 0.5)
    a = nd.array([-2147483647, -1000000, -5, 0, 7, 123456789, 2147483647], dtype="int32")
    _check(nd.contrib.requantize(a, _r(-10.0), _r(10.0), min_calib_range=-1.0, max_calib_range=2.0), "int8",
           [-128, 0, 0, 0, 0, 37, 127], -2.0, 2.0)
    t = nd.contrib.requantize(nd.array([5, 6], dtype="int32"), _r(0.0), _r(1.0), out_type="auto")
    assert t[0].dtype == np.int8 and t[0].asnumpy().tolist() == [106, 127]
    np.testing.assert_allclose([t[1].asscalar(), t[2].asscalar()], [-2.7939677238464355e-09, 2.7939677238464355e-09],
                               rtol=1e-6)


# ---- NumPy references on many values ----------------------------------------------------------------------------
def _ref_q(x, r, m, int8):
    s = F(r) / F(m)
    lo, hi = (-128, 127) if int8 else (0, 255)
    return np.clip(np.rint(x.astype(F) * s), lo, hi).astype(np.int8 if int8 else np.uint8)


@pytest.mark.parametrize("rng_", [(-1.0, 2.0), (-3.0, 1.0), (0.0, 2.0), (-0.01, 0.02)])
def test_quantize_against_numpy(rng_):
    lo, hi = rng_
    g = np.random.RandomState(0)
    x = (g.randn(3, 500) * max(abs(lo), abs(hi)) * 0.8).astype(F)
    x[0, :100] = (np.arange(100) - 50).astype(F) / F(127) * F(max(abs(lo), abs(hi)))  # near halves
    m = F(max(abs(lo), abs(hi)))
    for ot, r in [("int8", 127), ("uint8", 255)]:
        out = nd.contrib.quantize(nd.array(x), _r(lo), _r(hi), out_type=ot)
        np.testing.assert_array_equal(out[0].asnumpy(), _ref_q(x, r, m, ot == "int8"))
    for ot, r in [("int8", 127.5), ("uint8", 255.5)]:
        out = nd.contrib.quantize_v2(nd.array(x), out_type=ot, min_calib_range=lo, max_calib_range=hi)
        np.testing.assert_array_equal(out[0].asnumpy(), _ref_q(x, r, m, ot == "int8"))
        out = nd.contrib.quantize_v2(nd.array(x), out_type=ot)
        dm = F(max(abs(x.min()), abs(x.max())))
        np.testing.assert_array_equal(out[0].asnumpy(), _ref_q(x, r, dm, ot == "int8"))
        want = [-dm, dm] if ot == "int8" else [x.min(), x.max()]
        assert [out[1].asscalar(), out[2].asscalar()] == want


def test_dequantize_against_numpy():
    q = np.arange(-128, 128).astype(np.int8)
    u = np.arange(256).astype(np.uint8)
    for lo, hi in [(-1.0, 2.0), (-0.3, 0.1)]:
        m = F(max(abs(lo), abs(hi)))
        np.testing.assert_array_equal(nd.contrib.dequantize(nd.array(q, dtype="int8"), _r(lo), _r(hi)).asnumpy(),
                                      q.astype(F) * (m / F(127.5)))
        np.testing.assert_array_equal(nd.contrib.dequantize(nd.array(u, dtype="uint8"), _r(lo), _r(hi)).asnumpy(),
                                      u.astype(F) * (m / F(255.5)))


def test_requantize_against_numpy():
    g = np.random.RandomState(1)
    i = (g.randn(2000) * 3e8).astype(np.int32)
    for lo, hi in [(-10.0, 10.0), (-4.0, 7.0)]:
        mi = F(max(abs(lo), abs(hi)))
        real = i.astype(F) * (mi / F(2147483647))
        out = nd.contrib.requantize(nd.array(i, dtype="int32"), _r(lo), _r(hi))
        mo = F(max(abs(real.min()), abs(real.max())))
        np.testing.assert_array_equal(out[0].asnumpy(), _ref_q(real, 127, mo, True))
        assert [out[1].asscalar(), out[2].asscalar()] == [-mo, mo]
        for cl, ch, ot in [(-0.5, 0.5, "int8"), (-1.0, 2.0, "int8"), (0.0, 0.7, "uint8")]:
            out = nd.contrib.requantize(nd.array(i, dtype="int32"), _r(lo), _r(hi), min_calib_range=cl,
                                        max_calib_range=ch, out_type=ot)
            mc = F(max(abs(cl), abs(ch)))
            np.testing.assert_array_equal(out[0].asnumpy(), _ref_q(real, 127 if ot == "int8" else 255, mc,
                                                                   ot == "int8"))


def test_round_trip_within_one_step():
    g = np.random.RandomState(2)
    x = (g.rand(4, 7).astype(F) - 0.5) * 4
    q, lo, hi = nd.contrib.quantize_v2(nd.array(x), min_calib_range=-2.0, max_calib_range=2.0)
    back = nd.contrib.dequantize(q, lo, hi).asnumpy()
    assert np.abs(back - x).max() <= 2.0 / 127.5


# ---- symbols, shapes, errors ------------------------------------------------------------------------------------
def test_symbol_outputs_and_types():
    s = mx.sym.contrib.quantize_v2(mx.sym.var("x"), out_type="auto", min_calib_range=0.0, max_calib_range=1.0)
    # MXNet 1.9.1: ([float32], [uint8, float32, float32], [])
    _, outs, _ = s.infer_type(x="float32")
    assert outs == [np.uint8, np.float32, np.float32]
    assert len(s.list_outputs()) == 3
    r = mx.sym.contrib.requantize(mx.sym.var("x"), mx.sym.var("a"), mx.sym.var("b"))
    _, outs, _ = r.infer_type(x="int32")
    assert outs == [np.int8, np.float32, np.float32]
    _, oshape, _ = r.infer_shape(x=(2, 3))
    assert oshape == [(2, 3), (1,), (1,)]
    d = mx.sym.contrib.dequantize(mx.sym.var("x"), mx.sym.var("a"), mx.sym.var("b"))
    assert len(d.list_outputs()) == 1


def test_bad_inputs_raise():
    with pytest.raises(MXNetError, match="quantize.*float64"):
        nd.contrib.quantize(nd.array([1.0, 2.0], dtype="float64"), _r(0.0), _r(1.0))
    with pytest.raises(MXNetError, match="min_range"):
        nd.contrib.quantize(nd.array([1.0, 2.0]), nd.array([0.0, 1.0]), nd.array([1.0, 2.0]))
    with pytest.raises(MXNetError, match="requantize.*int8"):
        nd.contrib.requantize(nd.array([5, 6], dtype="int8"), _r(0.0), _r(1.0))
    with pytest.raises(MXNetError, match="dequantize.*float32"):
        nd.contrib.dequantize(nd.array([5, 6]), _r(0.0), _r(1.0))


def test_edge_cases():
    # empty arrays and NaN (NaN quantizes to 0 here; a zero range gives zeros)
    e = nd.contrib.quantize_v2(nd.zeros((0, 3)))
    assert e[0].shape == (0, 3) and e[1].asnumpy().tolist() == [0.0]
    n = nd.contrib.quantize_v2(nd.array([np.nan, 1.0, -1.0]))
    assert n[0].asnumpy().tolist() == [0, 127, -128] and [n[1].asscalar(), n[2].asscalar()] == [-1.0, 1.0]
    z = nd.contrib.quantize(nd.array([0.0, 1.0]), _r(0.0), _r(0.0), out_type="int8")
    assert z[0].asnumpy().tolist() == [0, 0]


# ---- quantized_fully_connected, quantized_flatten ---------------------------------------------------------------
QD = [[1, -2, 3, 127], [-128, 5, 0, -7]]
QW = [[1, 2, 3, 4], [-5, 6, -7, 8], [127, -128, 0, 1]]
QB = [10, -20, 127]


def test_quantized_fully_connected_values_mxnet():
    d, w, b = nd.array(QD, dtype="int8"), nd.array(QW, dtype="int8"), nd.array(QB, dtype="int8")
    # MXNet 1.9.1
    _check(nd.contrib.quantized_fully_connected(d, w, b, _r(-1.0), _r(1.0), _r(-2.0), _r(2.0), _r(-0.5), _r(0.5),
                                                num_hidden=3),
           "int32", [[832, 341, 4558], [172, -23, -12855]], -266288.5, 266288.5)
    _check(nd.contrib.quantized_fully_connected(d, w, _r(-1.0), _r(1.0), _r(-2.0), _r(2.0), num_hidden=3,
                                                no_bias=True),
           "int32", [[514, 978, 510], [-146, 614, -16903]], -266288.5, 266288.5)
    du = nd.array([[1, 2, 3, 255], [128, 5, 0, 7]], dtype="uint8")
    _check(nd.contrib.quantized_fully_connected(du, w, b, _r(0.0), _r(1.0), _r(-2.0), _r(2.0), _r(-0.5), _r(0.5),
                                                num_hidden=3),
           "int32", [[1672, 749, 8238], [804, -1831, 23735]], -132622.125, 132622.125)
    _check(nd.contrib.quantized_fully_connected(du, w, _r(0.0), _r(1.0), _r(-2.0), _r(2.0), num_hidden=3,
                                                no_bias=True),
           "int32", [[1034, 2026, 126], [166, -554, 15623]], -132622.125, 132622.125)
    d3 = nd.array(np.arange(-12, 12).reshape(2, 3, 4), dtype="int8")
    _check(nd.contrib.quantized_fully_connected(d3, w, b, _r(-3.0), _r(1.0), _r(-1.0), _r(2.0), _r(-0.25), _r(1.0),
                                                num_hidden=3, flatten=False),
           "int32", [[[112, -433, 2573], [152, -425, 2573], [192, -417, 2573]],
                     [[232, -409, 2573], [272, -401, 2573], [312, -393, 2573]]], -798865.5, 798865.5)
    d4 = nd.array(np.arange(-12, 12).reshape(2, 3, 2, 2), dtype="int8")
    w12 = nd.array(np.arange(36).reshape(3, 12) % 7 - 3, dtype="int8")
    _check(nd.contrib.quantized_fully_connected(d4, w12, b, _r(-3.0), _r(1.0), _r(-1.0), _r(2.0), _r(-0.25),
                                                _r(1.0), num_hidden=3),
           "int32", [[265, -440, 2671], [205, -452, 2707]], -798865.5, 798865.5)
    _check(nd.contrib.quantized_flatten(d4, _r(-3.0), _r(1.0)), "int8", np.arange(-12, 12).reshape(2, 12).tolist(),
           -3.0, 1.0)


@pytest.mark.parametrize("dt", ["int8", "uint8"])
def test_quantized_fully_connected_against_numpy(dt):
    # int32 products plus the bias rescaled as trunc(b * ((R / Md) (127 / Mw)) / (127 / Mb)) in float32, R = 127.5
    # for int8 data and 255.5 for uint8 (matched MXNet 1.9.1 on random cases when written)
    g = np.random.RandomState(3)
    lo_d = -128 if dt == "int8" else 0
    d = g.randint(lo_d, lo_d + 256, size=(5, 2, 9)).astype(dt)
    w = g.randint(-128, 128, size=(11, 18)).astype(np.int8)
    b = g.randint(-128, 128, size=(11,)).astype(np.int8)
    rd, rw, rb = (-1.3, 0.4), (-0.2, 0.6), (-0.9, 0.35)
    out = nd.contrib.quantized_fully_connected(nd.array(d, dtype=dt), nd.array(w, dtype="int8"),
                                               nd.array(b, dtype="int8"), _r(rd[0]), _r(rd[1]), _r(rw[0]),
                                               _r(rw[1]), _r(rb[0]), _r(rb[1]), num_hidden=11)
    md, mw, mb = F(1.3), F(0.6), F(0.9)
    sdw = (F(127.5 if dt == "int8" else 255.5) / md) * (F(127) / mw)
    bias = np.trunc(b.astype(F) * (sdw / (F(127) / mb))).astype(np.int64)
    want = d.reshape(5, 18).astype(np.int64) @ w.astype(np.int64).T + bias
    np.testing.assert_array_equal(out[0].asnumpy(), want)
    m = 2147483647 * float(md) * float(mw) / (127 * (127 if dt == "int8" else 255))
    np.testing.assert_allclose([out[1].asscalar(), out[2].asscalar()], [-m, m], rtol=1e-6)


def test_quantized_fully_connected_symbol_and_errors():
    s = mx.sym.contrib.quantized_fully_connected(mx.sym.var("data"), num_hidden=3, no_bias=True)
    # MXNet 1.9.1 lists data, weight, min_data, max_data, min_weight, max_weight
    names = s.list_arguments()
    assert names[0] == "data" and len(names) == 6
    assert all(n.endswith(x) for n, x in zip(names[1:], ["weight", "min_data", "max_data", "min_weight",
                                                         "max_weight"]))
    assert [n.endswith(x) for n, x in zip(s.list_outputs(), ["output", "min_output", "max_output"])] == [True] * 3
    args, outs, _ = s.infer_shape(data=(2, 3, 4))
    assert args[1] == (3, 12) and outs == [(2, 3), (1,), (1,)]
    _, touts, _ = s.infer_type(data="uint8")
    assert touts == [np.int32, np.float32, np.float32]
    with pytest.raises(MXNetError, match="quantized_fully_connected.*float32"):
        nd.contrib.quantized_fully_connected(nd.ones((2, 4)), nd.ones((3, 4), dtype="int8"), _r(0.0), _r(1.0),
                                             _r(0.0), _r(1.0), num_hidden=3, no_bias=True)
    with pytest.raises(MXNetError, match="weight"):
        nd.contrib.quantized_fully_connected(nd.ones((2, 4), dtype="int8"), nd.ones((3, 5), dtype="int8"), _r(0.0),
                                             _r(1.0), _r(0.0), _r(1.0), num_hidden=3, no_bias=True)


# ---- quantized_conv, quantized_pooling --------------------------------------------------------------------------
def _conv_ref(d, w, stride, pad, dil, groups):
    n_, c_, h_, w_ = d.shape
    f_, cg, kh, kw = w.shape
    dp = np.zeros((n_, c_, h_ + 2 * pad[0], w_ + 2 * pad[1]), np.int64)
    dp[:, :, pad[0]:pad[0] + h_, pad[1]:pad[1] + w_] = d
    oh = (h_ + 2 * pad[0] - dil[0] * (kh - 1) - 1) // stride[0] + 1
    ow = (w_ + 2 * pad[1] - dil[1] * (kw - 1) - 1) // stride[1] + 1
    out = np.zeros((n_, f_, oh, ow), np.int64)
    for n in range(n_):
        for f in range(f_):
            g0 = f // (f_ // groups) * cg
            for y in range(oh):
                for x in range(ow):
                    patch = dp[n, g0:g0 + cg, y * stride[0]:y * stride[0] + dil[0] * (kh - 1) + 1:dil[0],
                               x * stride[1]:x * stride[1] + dil[1] * (kw - 1) + 1:dil[1]]
                    out[n, f, y, x] = (patch * w[f].astype(np.int64)).sum()
    return out


CD = np.arange(2 * 3 * 5 * 6).reshape(2, 3, 5, 6) * 37 % 256
CW = np.arange(4 * 3 * 3 * 3).reshape(4, 3, 3, 3) * 29 % 256 - 128


def test_quantized_conv_values_mxnet():
    d, w = nd.array(CD, dtype="uint8"), nd.array(CW, dtype="int8")
    b = nd.array([100, -50, 7, -128], dtype="int8")
    o = nd.contrib.quantized_conv(d, w, b, _r(0.0), _r(1.5), _r(-0.5), _r(2.0), _r(-1.0), _r(1.0), kernel=(3, 3),
                                  stride=(2, 1), pad=(1, 2), dilate=(1, 2), num_filter=4)
    # MXNet 1.9.1 (the int8 bias is added as it is; the range is that of 127 * 127 units)
    assert o[0].dtype == np.int32 and o[0].shape == (2, 4, 3, 6)
    assert o[0].asnumpy().ravel().tolist()[:20] == [85176, 81708, 87332, 94745, 27376, 46872, 24734, 7969, -8036,
                                                    -21429, -35942, -61525, -68464, -42464, -131952, -108753,
                                                    -103000, -99092, 53674, 39714]
    assert o[1].asnumpy().tolist() == [-399432.75] and o[2].asnumpy().tolist() == [399432.75]
    ref = _conv_ref(CD, CW, (2, 1), (1, 2), (1, 2), 1) + np.array([100, -50, 7, -128])[None, :, None, None]
    np.testing.assert_array_equal(o[0].asnumpy(), ref)
    o = nd.contrib.quantized_conv(d, w, _r(0.0), _r(1.5), _r(-0.5), _r(2.0), kernel=(3, 3), num_filter=4,
                                  no_bias=True)
    # MXNet 1.9.1
    assert o[0].shape == (2, 4, 3, 4)
    assert o[0].asnumpy().ravel().tolist()[:20] == [-22531, -22868, -25765, -14582, -12265, -23098, -23435, -26332,
                                                    -15567, -12832, -23665, -24002, -20534, -26878, -35782, 31090, 26,
                                                    -20654, -26998, -35902]
    np.testing.assert_array_equal(o[0].asnumpy(), _conv_ref(CD, CW, (1, 1), (0, 0), (1, 1), 1))


def test_quantized_conv_int8_and_groups_against_numpy():
    # MXNet 1.9.1's CPU kernel takes uint8 data and num_group=1 only; int8 data and groups follow Convolution here
    g = np.random.RandomState(4)
    d = g.randint(-128, 128, size=(2, 4, 7, 6)).astype(np.int8)
    w = g.randint(-128, 128, size=(6, 2, 3, 2)).astype(np.int8)
    o = nd.contrib.quantized_conv(nd.array(d, dtype="int8"), nd.array(w, dtype="int8"), _r(-1.0), _r(1.0), _r(-1.0),
                                  _r(1.0), kernel=(3, 2), num_filter=6, num_group=2, pad=(1, 1), stride=(1, 2),
                                  no_bias=True)
    np.testing.assert_array_equal(o[0].asnumpy(), _conv_ref(d, w, (1, 2), (1, 1), (1, 1), 2))
    with pytest.raises(MXNetError, match="quantized_conv.*num_group"):
        nd.contrib.quantized_conv(nd.array(d, dtype="int8"), nd.array(w, dtype="int8"), _r(-1.0), _r(1.0), _r(-1.0),
                                  _r(1.0), kernel=(3, 2), num_filter=6, num_group=3, no_bias=True)


# MXNet 1.9.1's quantized_pooling on CD (uint8) and CD - 128 (int8), range (-2, 3) passed through: per call, the
# output's shape and first 16 values
POOL_MXNET = {
    ("uint8", "max", 0): ((2, 3, 3, 3), [222, 111, 185, 225, 228, 151, 191, 231, 231, 123, 197, 237, 240, 163, 237,
                                         243]),
    ("uint8", "max", 1): ((2, 3, 3, 4), [0, 74, 148, 185, 222, 225, 114, 151, 154, 228, 231, 83, 86, 160, 234, 15]),
    ("uint8", "max", 2): ((2, 3, 1, 1), [231, 243, 255, 233, 245, 254]),
    ("uint8", "avg", 0): ((2, 3, 3, 3), [29, 38, 87, 109, 91, 80, 69, 112, 48, 39, 95, 116, 53, 92, 166, 79]),
    ("uint8", "avg", 1): ((2, 3, 3, 4), [0, 56, 130, 185, 205, 68, 78, 134, 137, 192, 74, 66, 86, 142, 216, 15]),
    ("uint8", "avg", 2): ((2, 3, 1, 1), [110, 128, 145, 112, 130, 139]),
    ("int8", "max", 0): ((2, 3, 3, 3), [94, -17, 57, 97, 100, 23, 63, 103, 103, -5, 69, 109, 112, 35, 109, 115]),
    ("int8", "max", 1): ((2, 3, 3, 4), [-128, -54, 20, 57, 94, 97, -14, 23, 26, 100, 103, -45, -42, 32, 106, -113]),
    ("int8", "max", 2): ((2, 3, 1, 1), [103, 115, 127, 105, 117, 126]),
    ("int8", "avg", 0): ((2, 3, 3, 3), [-28, -47, 2, 24, -37, -48, 12, 27, -38, -18, 10, 31, -33, -36, 38, 22]),
    ("int8", "avg", 1): ((2, 3, 3, 4), [-128, -72, 2, 57, 77, -60, -50, 6, 9, 64, -54, -62, -42, 14, 88, -113]),
    ("int8", "avg", 2): ((2, 3, 1, 1), [-18, 0, 17, -16, 2, 11]),
}
POOL_ARGS = [dict(kernel=(3, 3), stride=(2, 2), pad=(1, 1)),
             dict(kernel=(2, 2), stride=(2, 2), count_include_pad=False, pad=(1, 1)),
             dict(global_pool=True, kernel=(1, 1))]


@pytest.mark.parametrize("dt", ["uint8", "int8"])
@pytest.mark.parametrize("pt", ["max", "avg"])
def test_quantized_pooling_values_mxnet(dt, pt):
    data = CD if dt == "uint8" else CD - 128
    for k, kw in enumerate(POOL_ARGS):
        o = nd.contrib.quantized_pooling(nd.array(data, dtype=dt), _r(-2.0), _r(3.0), pool_type=pt, **kw)
        shape, first = POOL_MXNET[(dt, pt, k)]
        assert o[0].dtype == np.dtype(dt) and o[0].shape == shape
        assert o[0].asnumpy().ravel().tolist()[:16] == first
        assert o[1].asnumpy().tolist() == [-2.0] and o[2].asnumpy().tolist() == [3.0]
        # the whole output: float32 Pooling of the same values, avg rounded half to even
        fl = nd.Pooling(nd.array(data.astype(F)), pool_type=pt, **kw).asnumpy()
        np.testing.assert_array_equal(o[0].asnumpy(), np.rint(fl).astype(dt))


def test_quantized_pooling_errors():
    with pytest.raises(MXNetError, match="quantized_pooling.*pool_type"):
        nd.contrib.quantized_pooling(nd.array(CD, dtype="uint8"), _r(0.0), _r(1.0), kernel=(2, 2), pool_type="sum")
    with pytest.raises(MXNetError, match="quantized_pooling.*4-D"):
        nd.contrib.quantized_pooling(nd.ones((2, 3, 4), dtype="uint8"), _r(0.0), _r(1.0), kernel=(2,))


def test_quantized_act_relu():
    o = nd.contrib.quantized_act(nd.array([-5, 0, 3, -128, 127], dtype="int8"), _r(-2.0), _r(3.0), act_type="relu")
    # MXNet 1.9.1
    _check(o, "int8", [0, 0, 3, 0, 127], -2.0, 3.0)
    o = nd.contrib.quantized_act(nd.array([5, 0, 3, 255], dtype="uint8"), _r(0.0), _r(3.0), act_type="relu")
    _check(o, "uint8", [5, 0, 3, 255], 0.0, 3.0)  # uint8 values are never negative (MXNet 1.9.1 outputs int8 here)
    with pytest.raises(MXNetError, match="quantized_act.*tanh"):
        nd.contrib.quantized_act(nd.array([1], dtype="int8"), _r(0.0), _r(1.0), act_type="tanh")


def test_quantized_concat_values_mxnet():
    a = nd.array([-128, -50, 0, 3, 100, 127], dtype="int8").reshape((2, 3))
    b = nd.array([127, -60, 1, -3, 100, 127], dtype="int8").reshape((2, 3))
    u = nd.array([0, 50, 100, 200, 255, 1], dtype="uint8").reshape((2, 3))
    cat = nd.contrib.quantized_concat
    # MXNet 1.9.1: the range of the smallest min and largest max; inputs rescaled to it (127.5 / 255.5 units)
    o = cat(a, b, _r(-1.0), _r(2.0), _r(-0.5), _r(0.5), num_args=2, dim=1)
    _check(o, "int8", [[-128, -50, 0, 32, -15, 0], [3, 100, 127, -1, 25, 32]], -1.0, 2.0)
    o = cat(a, b, _r(-1.0), _r(1.0), _r(-1.0), _r(1.0), num_args=2, dim=0)
    _check(o, "int8", [[-128, -50, 0], [3, 100, 127], [127, -60, 1], [-3, 100, 127]], -1.0, 1.0)
    o = cat(u, u, _r(0.0), _r(2.0), _r(0.0), _r(1.0), num_args=2, dim=1)
    _check(o, "uint8", [[0, 50, 100, 0, 25, 50], [200, 255, 1, 100, 128, 0]], 0.0, 2.0)
    o = cat(u, b, _r(0.0), _r(2.0), _r(-1.0), _r(1.0), num_args=2, dim=1)
    _check(o, "int8", [[0, 25, 50, 64, -30, 0], [100, 127, 0, -2, 50, 64]], -1.0, 2.0)


def test_quantized_concat_against_numpy():
    # rint(q * (Mi / Ri) / (Mo / Ro)), R = 127.5 (int8) or 255.5 (uint8): matched MXNet 1.9.1 on random cases
    g = np.random.RandomState(5)
    xs = [g.randint(-128, 128, size=(4, 3, 5)).astype(np.int8), g.randint(0, 256, size=(4, 7, 5)).astype(np.uint8),
          g.randint(-128, 128, size=(4, 2, 5)).astype(np.int8)]
    rs = [(-1.3, 0.4), (0.0, 2.2), (-0.6, 0.9)]
    args = [nd.array(x, dtype=x.dtype) for x in xs]
    for lo, hi in rs:
        args += [_r(lo), _r(hi)]
    o = nd.contrib.quantized_concat(*args, num_args=3, dim=1)
    mo = F(max(abs(-1.3), abs(2.2)))
    parts = []
    for x, (lo, hi) in zip(xs, rs):
        f = (F(max(abs(lo), abs(hi))) / F(127.5 if x.dtype == np.int8 else 255.5)) / (mo / F(127.5))
        parts.append(np.clip(np.rint(x.astype(F) * f), -128, 127))
    np.testing.assert_array_equal(o[0].asnumpy(), np.concatenate(parts, axis=1))
    assert o[0].dtype == np.int8 and [o[1].asscalar(), o[2].asscalar()] == [F(-1.3), F(2.2)]
    with pytest.raises(MXNetError, match="quantized_concat.*arg1"):
        nd.contrib.quantized_concat(args[0], nd.ones((3, 3, 5), dtype="int8"), *args[3:5], _r(0.0), _r(1.0),
                                    num_args=2, dim=1)
