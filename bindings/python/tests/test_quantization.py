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
