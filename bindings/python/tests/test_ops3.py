"""Operators of MXNet 1.9.1 added on branch ops3: Correlation, contrib count_sketch (and the others as they come).
Expected values are NumPy references (naive loops) and, for small fixed inputs, values printed by MXNet 1.9.1."""
import numpy as np
import pytest

import mxc as mx


def _corr_ref(d1, d2, k, md, s1, s2, pad, mult, og=None):
    """FlowNet correlation by loops on padded copies; with og, also the gradients of sum(og * out)."""
    N, C, H, W = d1.shape
    p1 = np.pad(d1, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    p2 = np.pad(d2, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    bs = md + (k - 1) // 2
    th = int(np.ceil((H + 2 * pad - 2 * bs) / s1))
    tw = int(np.ceil((W + 2 * pad - 2 * bs) / s1))
    r = md // s2
    D = 2 * r + 1
    out = np.zeros((N, D * D, th, tw))
    g1, g2 = np.zeros_like(p1), np.zeros_like(p2)
    for n in range(N):
        for q in range(D * D):
            dx, dy = (q % D - r) * s2, (q // D - r) * s2
            for y in range(th):
                for x in range(tw):
                    x1, y1 = x * s1 + md, y * s1 + md
                    a = p1[n, :, y1:y1 + k, x1:x1 + k]
                    b = p2[n, :, y1 + dy:y1 + dy + k, x1 + dx:x1 + dx + k]
                    out[n, q, y, x] = ((a * b).sum() if mult else np.abs(a - b).sum()) / (k * k * C)
                    if og is not None:
                        g = og[n, q, y, x] / (k * k * C)
                        if mult:
                            da, db = g * b, g * a
                        else:
                            sg = np.where(a - b >= 0, 1.0, -1.0)
                            da, db = g * sg, -g * sg
                        g1[n, :, y1:y1 + k, x1:x1 + k] += da
                        g2[n, :, y1 + dy:y1 + dy + k, x1 + dx:x1 + dx + k] += db
    crop = (slice(None), slice(None), slice(pad, pad + H), slice(pad, pad + W))
    return out, g1[crop], g2[crop]


def _run_corr(d1, d2, og_fn, dtype="float64", **kw):
    a, b = mx.nd.array(d1, dtype=dtype), mx.nd.array(d2, dtype=dtype)
    a.attach_grad()
    b.attach_grad()
    with mx.autograd.record():
        o = mx.nd.Correlation(a, b, **kw)
    og = og_fn(o.shape)
    o.backward(mx.nd.array(og, dtype=dtype))
    return o.asnumpy(), a.grad.asnumpy(), b.grad.asnumpy(), og


@pytest.mark.parametrize("k,md,s1,s2,pad,mult", [
    (1, 1, 1, 1, 0, True), (3, 2, 1, 1, 2, True), (1, 2, 2, 1, 1, False), (3, 4, 2, 2, 4, True),
    (3, 1, 1, 1, 1, False), (1, 3, 3, 2, 3, True), (5, 0, 1, 1, 2, True)])
def test_correlation_matches_loops(k, md, s1, s2, pad, mult):
    rng = np.random.RandomState(k * 100 + md * 10 + s1 + pad)
    d1, d2 = rng.randn(2, 3, 6, 7), rng.randn(2, 3, 6, 7)
    out, g1, g2, og = _run_corr(d1, d2, lambda s: rng.randn(*s), kernel_size=k, max_displacement=md, stride1=s1,
                                stride2=s2, pad_size=pad, is_multiply=mult)
    r, r1, r2 = _corr_ref(d1, d2, k, md, s1, s2, pad, mult, og)
    assert out.shape == r.shape
    np.testing.assert_allclose(out, r, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(g1, r1, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(g2, r2, rtol=1e-12, atol=1e-12)


# printed by MXNet 1.9.1 (corr5 cases)
_CORR_A_OUT = [
    0.0, 0.0, 0.0, 0.0, 0.0, 0.8125, -0.125, 0.125, 0.0, 0.21875, -0.34375, 0.6875, 0.0, 0.0, 0.0, 0.0, -0.375,
    -0.65625, 0.5, -0.5, -0.5, 0.53125, -0.875, -0.59375, 0.0, 0.0, 0.0, 0.0, 0.53125, -0.5, -0.5, 0.0,
    -0.65625, -0.375, 0.21875, 0.0, 0.0, -0.5, -0.875, 0.59375, 0.0, -0.59375, 0.75, -0.75, 0.0, -0.5625,
    0.78125, -0.78125, 1.0625, 0.3125, -0.40625, -0.5, 0.40625, -0.4375, -0.25, 0.25, 0.90625, 0.15625,
    -0.15625, 0.78125, -0.21875, 0.3125, 0.875, 0.0, 0.09375, 0.9375, 0.375, 0.0, -0.46875, 0.46875, -0.6875,
    0.0, 0.0, 0.3125, -0.21875, -0.125, 0.0, 0.84375, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, -0.40625, 0.3125, 1.0625,
    0.40625, -0.4375, -0.625, 0.625, -0.625, 0.0, 0.0, 0.0, 0.0, -0.875, -0.5, -0.5, 0.0, 0.46875, -0.46875,
    -0.375, 0.0, 0.0, 0.0, 0.0, 0.0]
_CORR_A_G1 = [
    -0.5, -1.0625, 0.5, 1.0, 0.75, 1.5, -0.25, -0.1875, 0.1875, 0.875, 0.3125, -0.0625, 0.3125, -1.0625, -0.625,
    -1.125, 0.4375, -1.4375, 0.375, 0.8125, 0.0, -0.5625, -0.6875, 0.125]
_CORR_A_G2 = [
    0.0, 0.5625, 0.625, -0.8125, 0.5625, -0.3125, 0.875, -0.8125, -0.0625, -0.4375, 0.0, -0.5, -0.1875, -0.375,
    0.125, -0.5625, -0.625, 1.3125, -1.375, 0.3125, -0.25, 1.375, -1.1875, 1.125]
_CORR_B_OUT = [
    0.2777777910232544, 0.5555555820465088, 0.4027777910232544, 0.9166666865348816, 0.4861111044883728,
    0.5833333134651184, 0.75, 1.0, 0.5, 0.625, 1.0, 0.9305555820465088, 0.4861111044883728, 0.75,
    0.4861111044883728, 0.7222222089767456, 0.2916666567325592, 0.8333333134651184, 0.2916666567325592,
    0.7222222089767456, 0.5555555820465088, 0.3055555522441864, 0.5555555820465088, 0.4444444477558136,
    0.3472222089767456, 0.9444444179534912, 0.25, 0.5277777910232544, 0.8055555820465088, 0.8055555820465088,
    0.4861111044883728, 0.5833333134651184, 1.0, 0.9861111044883728, 0.4722222089767456, 0.625]
_CORR_B_G1 = [
    -0.0833333358168602, 0.02777777798473835, 0.055555559694767, -1.862645149230957e-09, 0.111111119389534,
    -0.111111119389534, -0.0555555634200573, -0.0555555485188961, 0.0833333432674408, -0.0833333358168602,
    0.1111111119389534, 0.0555555559694767, 0.02777777798473835, -0.0833333358168602, -0.111111119389534,
    0.1111111044883728, 0.0555555522441864, 0.0555555634200573, -0.111111119389534, 0.055555559694767,
    -0.0277777798473835, 0.3055555522441864, -0.0555555634200573, -0.2222222238779068]
_CORR_B_G2 = [
    0.0833333358168602, -0.02777777798473835, -0.02777777798473835, -0.02777777798473835, -0.111111119389534,
    -0.0555555634200573, -1.1175870895385742e-08, 0.0, 0.02777777425944805, -0.083333320915699,
    -0.02777777798473835, 0.0555555522441864, 0.0833333432674408, 0.0833333283662796, -0.0833333432674408,
    0.0833333358168602, 0.0555555634200573, 0.0555555634200573, -0.055555567145347595, -0.055555559694767,
    -0.02777777798473835, 0.02777778171002865, 0.0833333283662796, 0.0555555634200573]


def test_correlation_matches_mxnet():
    d1 = ((np.arange(24).reshape(1, 2, 3, 4) * 7) % 11 - 5) / 4.0
    d2 = ((np.arange(24).reshape(1, 2, 3, 4) * 5) % 13 - 6) / 4.0
    og = lambda s: (np.arange(np.prod(s)).reshape(s) % 5 - 2) / 2.0  # noqa: E731
    out, g1, g2, _ = _run_corr(d1, d2, og, "float32", kernel_size=1, max_displacement=1, pad_size=1)
    assert out.shape == (1, 9, 3, 4)
    np.testing.assert_allclose(out.ravel(), _CORR_A_OUT, rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(g1.ravel(), _CORR_A_G1, rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(g2.ravel(), _CORR_A_G2, rtol=1e-6, atol=1e-7)
    # absolute differences, with ties (a == b: the gradient of |a - b| takes +1 for data1)
    out, g1, g2, _ = _run_corr(d1, d2, og, "float32", kernel_size=3, max_displacement=1, pad_size=2, stride1=2,
                               is_multiply=False)
    assert out.shape == (1, 9, 2, 2)
    np.testing.assert_allclose(out.ravel(), _CORR_B_OUT, rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(g1.ravel(), _CORR_B_G1, rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(g2.ravel(), _CORR_B_G2, rtol=1e-5, atol=1e-7)


def test_correlation_symbol_and_errors():
    s = mx.sym.Correlation(mx.sym.var("a"), mx.sym.var("b"), max_displacement=2, pad_size=2)
    assert s.list_outputs() == [s.name + "_output"]
    assert s.infer_shape(a=(2, 3, 5, 5))[1] == [(2, 25, 5, 5)]
    x = mx.nd.ones((1, 2, 5, 5))
    with pytest.raises(mx.MXNetError, match=r"Correlation.*kernel_size"):
        mx.nd.Correlation(x, x, kernel_size=2)
    with pytest.raises(mx.MXNetError, match=r"Correlation.*fit"):
        mx.nd.Correlation(x, x, max_displacement=5)
    with pytest.raises(mx.MXNetError, match=r"Correlation.*stride"):
        mx.nd.Correlation(x, x, stride1=0)
    with pytest.raises(mx.MXNetError, match=r"Correlation.*data2 shape \(1,2,5,6\).*same shape"):
        mx.nd.Correlation(x, mx.nd.ones((1, 2, 5, 6)))
    with pytest.raises(mx.MXNetError, match=r"Correlation.*4-D"):
        mx.nd.Correlation(mx.nd.ones((2, 5, 5)), mx.nd.ones((2, 5, 5)))


def _sketch_ref(x, h, s, out_dim):
    out = np.zeros((x.shape[0], out_dim))
    for n in range(x.shape[0]):
        for i in range(x.shape[1]):
            out[n, int(h[0, i])] += s[0, i] * x[n, i]
    return out


def test_count_sketch_docstring_example():
    x = mx.nd.array([[1.2, 2.5, 3.4], [3.2, 5.7, 6.6]])
    out = mx.nd.contrib.count_sketch(data=x, h=mx.nd.array([[0, 3, 4]]), s=mx.nd.array([[1, -1, 1]]), out_dim=5)
    np.testing.assert_allclose(out.asnumpy(), [[1.2, 0, 0, -2.5, 3.4], [3.2, 0, 0, -5.7, 6.6]], rtol=1e-6)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_count_sketch_matches_loops_with_gradient(dtype):
    rng = np.random.RandomState(3)
    N, d, k = 5, 17, 6
    x = rng.randn(N, d)
    h = rng.randint(0, k, size=(2, d)).astype(np.float64)  # only the first row is used, as in MXNet
    s = rng.choice([-1.0, 1.0], size=(2, d))
    xa = mx.nd.array(x, dtype=dtype)
    xa.attach_grad()
    ha, sa = mx.nd.array(h, dtype=dtype), mx.nd.array(s, dtype=dtype)
    ha.attach_grad()
    sa.attach_grad()
    with mx.autograd.record():
        o = mx.nd.contrib.count_sketch(xa, ha, sa, out_dim=k, processing_batch_size=2)
    og = rng.randn(N, k)
    o.backward(mx.nd.array(og, dtype=dtype))
    tol = 1e-5 if dtype == "float32" else 1e-12
    np.testing.assert_allclose(o.asnumpy(), _sketch_ref(x, h, s, k), rtol=tol, atol=tol)
    gx = og[:, h[0].astype(int)] * s[0][None, :]
    np.testing.assert_allclose(xa.grad.asnumpy(), gx, rtol=tol, atol=tol)
    assert not ha.grad.asnumpy().any() and not sa.grad.asnumpy().any()


def test_count_sketch_errors():
    x = mx.nd.ones((2, 3))
    with pytest.raises(mx.MXNetError, match=r"count_sketch.*h\[0, 1\] = 5.*out_dim = 5"):
        mx.nd.contrib.count_sketch(x, mx.nd.array([[0, 5, 1]]), mx.nd.ones((1, 3)), out_dim=5).asnumpy()
    with pytest.raises(mx.MXNetError, match=r"count_sketch.*NaN|count_sketch.*nan"):
        mx.nd.contrib.count_sketch(x, mx.nd.array([[0, np.nan, 1]]), mx.nd.ones((1, 3)), out_dim=5).asnumpy()
    with pytest.raises(mx.MXNetError, match=r"count_sketch.*h shape \(1,4\).*d = data.shape\[1\]"):
        mx.nd.contrib.count_sketch(x, mx.nd.ones((1, 4)), mx.nd.ones((1, 4)), out_dim=5)
    with pytest.raises(mx.MXNetError, match=r"count_sketch.*data must be 2-D"):
        mx.nd.contrib.count_sketch(mx.nd.ones((2, 3, 1)), mx.nd.ones((1, 3)), mx.nd.ones((1, 3)), out_dim=5)
    with pytest.raises(mx.MXNetError, match=r"count_sketch.*out_dim must be positive"):
        mx.nd.contrib.count_sketch(x, mx.nd.ones((1, 3)), mx.nd.ones((1, 3)), out_dim=0)
    s = mx.sym.contrib.count_sketch(mx.sym.var("data"), mx.sym.var("h"), mx.sym.var("s"), out_dim=5)
    assert s.list_arguments() == ["data", "h", "s"]
    assert s.infer_shape(data=(2, 3), h=(1, 3), s=(1, 3))[1] == [(2, 5)]


def _bilinear(img, y, x):
    H, W = img.shape
    if not (-1.0 <= y <= H and -1.0 <= x <= W):
        return 0.0
    y, x = max(y, 0.0), max(x, 0.0)
    y0, x0 = int(y), int(x)
    if y0 >= H - 1:
        y0 = y1 = H - 1
        y = float(y0)
    else:
        y1 = y0 + 1
    if x0 >= W - 1:
        x0 = x1 = W - 1
        x = float(x0)
    else:
        x1 = x0 + 1
    ly, lx = y - y0, x - x0
    hy, hx = 1 - ly, 1 - lx
    return hy * hx * img[y0, x0] + hy * lx * img[y0, x1] + ly * hx * img[y1, x0] + ly * lx * img[y1, x1]


def _rroi_ref(x, rois, PH, PW, scale, ratio):
    scale = float(np.float32(scale))  # MXNet keeps spatial_scale as a float
    out = np.zeros((rois.shape[0], x.shape[1], PH, PW))
    for r, roi in enumerate(rois):
        b = int(roi[0])
        if not 0 <= b < x.shape[0]:
            continue
        cw, ch = roi[1] * scale, roi[2] * scale
        w, h = max(roi[3] * scale, 1.0), max(roi[4] * scale, 1.0)
        th = roi[5] * np.pi / 180
        c, s = np.cos(th), np.sin(th)
        gh = ratio if ratio > 0 else int(np.ceil(h / PH))
        gw = ratio if ratio > 0 else int(np.ceil(w / PW))
        for ch_ in range(x.shape[1]):
            for ph in range(PH):
                for pw in range(PW):
                    acc = 0.0
                    for iy in range(gh):
                        yy = -h / 2 + ph * h / PH + (iy + 0.5) * h / PH / gh
                        for ix in range(gw):
                            xx = -w / 2 + pw * w / PW + (ix + 0.5) * w / PW / gw
                            acc += _bilinear(x[b, ch_], -xx * s + yy * c + ch, xx * c + yy * s + cw)
                    out[r, ch_, ph, pw] = acc / (gh * gw)
    return out


@pytest.mark.parametrize("ps,scale,ratio", [((3, 2), 1.0, -1), ((2, 2), 0.7, 3), ((1, 4), 1.0, 1), ((2, 3), 0.3, 0)])
def test_rroi_align_matches_loops(ps, scale, ratio):
    rng = np.random.RandomState(0)
    x = rng.randn(3, 3, 7, 8)
    R = 12
    rois = np.stack([rng.randint(0, 3, R), rng.uniform(-2, 10, R), rng.uniform(-2, 9, R), rng.uniform(0.2, 9, R),
                     rng.uniform(0.2, 8, R), rng.uniform(-180, 180, R)], 1)
    rois[3, 0] = 5  # a batch index out of range: zeros
    ref = _rroi_ref(x, rois, ps[0], ps[1], scale, ratio)
    for dtype, tol in [("float64", 1e-12), ("float32", 1e-5)]:
        o = mx.nd.contrib.RROIAlign(mx.nd.array(x, dtype=dtype), mx.nd.array(rois, dtype=dtype), pooled_size=ps,
                                    spatial_scale=scale, sampling_ratio=ratio)
        assert o.shape == (R, 3) + ps and o.dtype == np.dtype(dtype)
        np.testing.assert_allclose(o.asnumpy(), ref, rtol=tol, atol=tol)
    assert not ref[3].any()


# printed by MXNet 1.9.1
_RROI_A = [
    0.5833333134651184, 0.3333333432674408, 0.6666666865348816, 1.4166666269302368, 0.5833333134651184,
    0.3333333432674408, 0.6666666865348816, 1.0, 1.3333333730697632, 0.3333333432674408, 0.6666666865348816,
    1.0, 0.9843839406967163, 1.5915062427520752, 0.9274437427520752, 0.8270055651664734, 1.4084936380386353,
    1.4083080291748047, 1.6510505676269531, 0.712714433670044, 0.5319620966911316, 1.493672251701355,
    1.2872854471206665, 0.34845978021621704, 0.4954715967178345, 0.471404492855072, 0.4954715967178345,
    1.5442872047424316, 1.3743865489959717, 1.5442869663238525, 1.1380711793899536, 1.1380711793899536,
    1.138071060180664, 0.5610379576683044, 0.3325095474720001, 0.5610379576683044, 1.1388888359069824, 1.25,
    1.3611111640930176, 1.3055554628372192, 1.4166666269302368, 1.5277777910232544, 1.8055555820465088,
    1.9166666269302368, 1.4444444179534912, 1.5833333730697632, 1.5, 1.0277776718139648, 0.7615385055541992,
    0.6584936380386353, 0.41447681188583374, 0.649919867515564, 1.3228164911270142, 0.6811967492103577,
    1.428205132484436, 1.3251603841781616, 1.0811434984207153, 0.8524240255355835, 1.4662883281707764,
    1.181196689605713]
_RROI_B = [
    0.3151041567325592, 0.2916666865348816, 0.7135416865348816, 0.3437500298023224, 0.7083333730697632,
    0.9583333730697632, 0.5416666865348816, 0.7916666269302368, 1.2347489595413208, 1.680741786956787,
    1.143242597579956, 1.5985842943191528, 1.7476887702941895, 0.47519442439079285, 1.6626896858215332,
    0.6727695465087891, 0.26447567343711853, 0.26447564363479614, 1.1467629671096802, 1.1467629671096802,
    0.9023689031600952, 0.9023689031600952, 0.4309644401073456, 0.4309644401073456, 1.1666667461395264,
    1.3333334922790527, 1.3333334922790527, 1.5, 1.6874998807907104, 1.5625001192092896, 1.5625,
    0.8541666269302368, 0.4207531213760376, 0.30500006675720215, 0.7622594833374023, 0.5001503229141235,
    1.087419867515564, 0.904407262802124, 1.4289259910583496, 1.1668169498443604]


def test_rroi_align_matches_mxnet():
    x = mx.nd.array(np.arange(2 * 2 * 5 * 6).reshape(2, 2, 5, 6) % 7 / 3.0)
    rois = mx.nd.array([[0, 2.5, 2, 3, 2, 0], [1, 3, 2.5, 4, 3, 30], [0, 2, 2, 2, 4, -45], [1, 1, 1, 0.5, 0.5, 90],
                        [0, 4, 1, 6, 3, 150]])
    o = mx.nd.contrib.RROIAlign(x, rois, pooled_size=(2, 3), spatial_scale=1.0)
    assert o.shape == (5, 2, 2, 3)
    np.testing.assert_allclose(o.asnumpy().ravel(), _RROI_A, rtol=1e-5, atol=1e-6)
    o = mx.nd.contrib.RROIAlign(x, rois, pooled_size=(2, 2), spatial_scale=0.5, sampling_ratio=2)
    np.testing.assert_allclose(o.asnumpy().ravel(), _RROI_B, rtol=1e-5, atol=1e-6)
    s = mx.sym.contrib.RROIAlign(mx.sym.var("d"), mx.sym.var("r"), pooled_size=(2, 3), spatial_scale=1.0)
    assert s.infer_shape(d=(2, 2, 5, 6), r=(4, 6))[1] == [(4, 2, 2, 3)]


def test_rroi_align_errors():
    x = mx.nd.ones((1, 2, 4, 4))
    with pytest.raises(mx.MXNetError, match=r"RROIAlign.*rois shape \(1,5\).*\(num_rois, 6\)"):
        mx.nd.contrib.RROIAlign(x, mx.nd.ones((1, 5)), pooled_size=(2, 2), spatial_scale=1.0)
    with pytest.raises(mx.MXNetError, match=r"RROIAlign.*pooled_size"):
        mx.nd.contrib.RROIAlign(x, mx.nd.ones((1, 6)), pooled_size=(2,), spatial_scale=1.0)
    with pytest.raises(mx.MXNetError, match=r"RROIAlign.*spatial_scale"):
        mx.nd.contrib.RROIAlign(x, mx.nd.ones((1, 6)), pooled_size=(2, 2), spatial_scale=1.5)
    with pytest.raises(mx.MXNetError, match=r"RROIAlign.*data must be 4-D"):
        mx.nd.contrib.RROIAlign(mx.nd.ones((2, 4, 4)), mx.nd.ones((1, 6)), pooled_size=(2, 2), spatial_scale=1.0)
    # NaN and huge rois: no hang, NaN-free zeros for samples that are not in the image
    o = mx.nd.contrib.RROIAlign(x, mx.nd.array([[0, np.nan, 1, 2, 2, 0], [0, 1, 1, 1e30, 1e30, 0]]),
                                pooled_size=(2, 2), spatial_scale=1.0)
    assert o.shape == (2, 2, 2, 2)


def test_choose_element_0index_is_pick():
    # MXNet 1.9.1 prints [1, 6, 8, 12] (clip mode) and the gradient [[1,0,0],[0,0,2],[0,3,0],[0,4,0]]
    x = mx.nd.array([[1, 2, 3], [4, 5, 6], [7, 8, 9], [10, 11, 12]])
    np.testing.assert_array_equal(mx.nd.choose_element_0index(x, mx.nd.array([0, 2, 1, 5])).asnumpy(), [1, 6, 8, 12])
    np.testing.assert_array_equal(mx.nd.choose_element_0index(x, mx.nd.array([0, -1, 1, -4])).asnumpy(),
                                  [1, 4, 8, 10])
    x.attach_grad()
    with mx.autograd.record():
        o = mx.nd.choose_element_0index(x, mx.nd.array([0, 2, 1, 1]))
    o.backward(mx.nd.array([1, 2, 3, 4]))
    np.testing.assert_array_equal(x.grad.asnumpy(), [[1, 0, 0], [0, 0, 2], [0, 3, 0], [0, 4, 0]])


def test_fill_element_0index_matches_mxnet():
    x = mx.nd.array([[1, 2, 3], [4, 5, 6], [7, 8, 9], [10, 11, 12]])
    v = mx.nd.array([10, 20, 30, 40])
    # MXNet 1.9.1: indices past the end or negative leave the row unchanged; fractions are truncated
    np.testing.assert_array_equal(mx.nd.fill_element_0index(x, v, mx.nd.array([0, 2, 1, 5])).asnumpy(),
                                  [[10, 2, 3], [4, 5, 20], [7, 30, 9], [10, 11, 12]])
    np.testing.assert_array_equal(mx.nd.fill_element_0index(x, v, mx.nd.array([0, -1, 1, -4])).asnumpy(),
                                  [[10, 2, 3], [4, 5, 6], [7, 30, 9], [10, 11, 12]])
    np.testing.assert_array_equal(mx.nd.fill_element_0index(x, v, mx.nd.array([0.7, 1.5, 2.9, -0.5])).asnumpy(),
                                  [[10, 2, 3], [4, 20, 6], [7, 8, 30], [40, 11, 12]])
    out = mx.nd.fill_element_0index(x, v, mx.nd.array([np.nan, 1, 2, 0]), out=x)  # in place
    np.testing.assert_array_equal(x.asnumpy(), [[1, 2, 3], [4, 20, 6], [7, 8, 30], [40, 11, 12]])
    assert out is x
    rng = np.random.RandomState(5)
    a, vals, idx = rng.randn(6, 5), rng.randn(6), rng.randint(-2, 7, size=6)
    ref = a.copy()
    for i in range(6):
        if 0 <= idx[i] < 5:
            ref[i, idx[i]] = vals[i]
    o = mx.nd.fill_element_0index(mx.nd.array(a, dtype="float64"), mx.nd.array(vals, dtype="float64"),
                                  mx.nd.array(idx, dtype="float64"))
    np.testing.assert_array_equal(o.asnumpy(), ref)


def test_fill_element_0index_errors():
    with pytest.raises(mx.MXNetError, match=r"fill_element_0index.*rhs shape \(3,\).*do not match"):
        mx.nd.fill_element_0index(mx.nd.ones((2, 3)), mx.nd.ones((2,)), mx.nd.zeros((3,)))
    with pytest.raises(mx.MXNetError, match=r"fill_element_0index.*lhs shape \(2,3,4\).*2-D matrix"):
        mx.nd.fill_element_0index(mx.nd.ones((2, 3, 4)), mx.nd.ones((2,)), mx.nd.zeros((2,)))


def _hawkes_ref(lda, alpha, beta, state, lags, marks, vl, mt):
    """Direct sums over the events (no recursion)."""
    N, K = lda.shape
    ll, st = np.zeros(N), np.zeros((N, K))
    for i in range(N):
        n = int(vl[i])
        t, m, T = np.cumsum(lags[i, :n]), marks[i, :n].astype(int), mt[i]
        L = 0.0
        for j in range(n):
            k = m[j]
            s = state[i, k] * np.exp(-beta[k] * t[j]) + sum(
                np.exp(-beta[k] * (t[j] - t[q])) for q in range(j) if m[q] == k)
            L += np.log(lda[i, k] + alpha[k] * beta[k] * s)
        for k in range(K):
            ev = [q for q in range(n) if m[q] == k]
            L -= lda[i, k] * T + alpha[k] * state[i, k] * (1 - np.exp(-beta[k] * T)) + alpha[k] * sum(
                1 - np.exp(-beta[k] * (T - t[q])) for q in ev)
            st[i, k] = state[i, k] * np.exp(-beta[k] * T) + sum(np.exp(-beta[k] * (T - t[q])) for q in ev)
        ll[i] = L
    return ll, st


def test_hawkesll_docstring_example_matches_mxnet():
    N, T, K = 4, 4, 3
    lda = mx.nd.array([1.5, 2.0, 3.0]).tile((N, 1))
    alpha, beta = mx.nd.array([0.2, 0.3, 0.4]), mx.nd.array([1.0, 2.0, 3.0])
    ia_times = mx.nd.array([[6, 7, 8, 9], [1, 2, 3, 4], [3, 4, 5, 6], [8, 9, 10, 11]])
    marks = mx.nd.zeros((N, T)).astype(np.int32)
    ll, st = mx.nd.contrib.hawkesll(lda, alpha, beta, mx.nd.zeros((N, K)), ia_times, marks,
                                    mx.nd.array([1, 2, 3, 4]), mx.nd.ones((N,)) * 100.0)
    # printed by MXNet 1.9.1
    np.testing.assert_allclose(ll.asnumpy(), [-649.79456, -649.57117, -649.38025, -649.1781], rtol=1e-6)
    np.testing.assert_allclose(st.asnumpy()[:, 0], [1.5007907e-41, 8.4778557e-43, 6.0961444e-39, 1.1850846e-27],
                               rtol=1e-5)
    assert not st.asnumpy()[:, 1:].any()


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_hawkesll_matches_sums_and_mxnet_gradient(dtype):
    rng = np.random.RandomState(0)
    N, T, K = 3, 5, 2
    lda, alpha, beta = rng.uniform(0.5, 2, (N, K)), rng.uniform(0.1, .8, K), rng.uniform(0.5, 3, K)
    state, lags, marks = rng.uniform(0, 2, (N, K)), rng.uniform(0.1, 1, (N, T)), rng.randint(0, K, (N, T))
    vl, mt = np.array([5, 3, 0.]), np.array([6, 4, 2.])
    ins = [mx.nd.array(a, dtype=dtype) for a in (lda, alpha, beta, state, lags)]
    ins += [mx.nd.array(marks, dtype="int32"), mx.nd.array(vl, dtype=dtype), mx.nd.array(mt, dtype=dtype)]
    for a in ins[:4]:
        a.attach_grad()
    with mx.autograd.record():
        ll, st = mx.nd.contrib.hawkesll(*ins)
    mx.autograd.backward([ll, st], [mx.nd.array([1., 2., 0.5], dtype=dtype), mx.nd.ones((N, K), dtype=dtype)])
    rll, rst = _hawkes_ref(lda, alpha, beta, state, lags, marks, vl, mt)
    tol = 1e-12 if dtype == "float64" else 1e-5
    np.testing.assert_allclose(ll.asnumpy(), rll, rtol=tol)
    np.testing.assert_allclose(st.asnumpy(), rst, rtol=tol, atol=tol)
    # MXNet 1.9.1 prints these float64 gradients (the head of out_state does not count; state gets none)
    tol = 1e-8 if dtype == "float64" else 1e-5
    np.testing.assert_allclose(ins[0].grad.asnumpy(), [[-3.8346377, -5.03159584], [-4.21878245, -8.], [-1., -1.]],
                               rtol=tol)
    np.testing.assert_allclose(ins[1].grad.asnumpy(), [-10.88407198, -6.17082768], rtol=tol)
    np.testing.assert_allclose(ins[2].grad.asnumpy(), [-0.36951641, 0.0614661], rtol=tol * 10)
    assert not ins[3].grad.asnumpy().any()
    np.testing.assert_allclose(ll.asnumpy(), [-18.98844563, -12.51284307, -5.3855801], rtol=tol)


def test_hawkesll_errors():
    def call(marks, vl, lda_shape=(2, 2), marks_dtype="int32"):
        return mx.nd.contrib.hawkesll(mx.nd.ones(lda_shape), mx.nd.ones(2) * .5, mx.nd.ones(2), mx.nd.zeros((2, 2)),
                                      mx.nd.ones((2, 3)), mx.nd.array(marks, dtype=marks_dtype), mx.nd.array(vl),
                                      mx.nd.ones(2) * 5)[0].asnumpy()
    # MXNet 1.9.1 prints these; a fractional valid_length counts the events j < valid_length (rounded up)
    np.testing.assert_allclose(call([[0, 1, 1], [1, 0, 0]], [3, 2]), [-11.229434, -10.965949], rtol=1e-6)
    np.testing.assert_allclose(call([[0, 1, 1], [1, 0, 0]], [1.2, 2]), [-10.965949, -10.965949], rtol=1e-6)
    np.testing.assert_allclose(call([[0, 1, 1], [1, 0, 0]], [0.5, 2]), [-10.490843, -10.965949], rtol=1e-6)
    np.testing.assert_allclose(call([[0, 1, 1], [1, 0, 0]], [2.5, 0]), [-11.229434, -10.0], rtol=1e-6)
    with pytest.raises(mx.MXNetError, match=r"hawkesll: marks\[0, 1\] = 2 is not a process index in \[0, K = 2\)"):
        call([[0, 2, 1], [1, 0, 0]], [3, 2])
    with pytest.raises(mx.MXNetError, match=r"hawkesll: valid_length\[0\] = 4 is not in \[0, T = 3\]"):
        call([[0, 1, 1], [1, 0, 0]], [4, 2])
    with pytest.raises(mx.MXNetError, match=r"hawkesll.*marks must be int32"):
        call([[0, 1, 1], [1, 0, 0]], [3, 2], marks_dtype="float32")
    with pytest.raises(mx.MXNetError, match=r"hawkesll.*lda shape \(3,2\).*lda \(N, K\)"):
        call([[0, 1, 1], [1, 0, 0]], [3, 2], lda_shape=(3, 2))


def _group_adagrad_ref(w, g, h, lr, rescale=1.0, clip=-1.0, eps=1e-5):
    g = g * rescale
    if clip > 0:
        g = np.clip(g, -clip, clip)
    h = h + np.mean(g * g, axis=1, keepdims=True)
    return w - lr * g / np.sqrt(h + eps), h


def test_group_adagrad_update_matches_mxnet_and_numpy():
    w = mx.nd.array(np.arange(12).reshape(4, 3) / 10.)
    g = mx.nd.array((np.arange(12).reshape(4, 3) % 5 - 2) / 3.)
    h = mx.nd.ones((4, 1)) * 0.5
    rw, rh = _group_adagrad_ref(w.asnumpy().astype(np.float64), g.asnumpy().astype(np.float64),
                                h.asnumpy().astype(np.float64), 0.2, 2.0, 1.0, 0.01)
    out = mx.nd.contrib.group_adagrad_update(w, g, h, lr=0.2, rescale_grad=2.0, clip_gradient=1.0, epsilon=0.01, out=w)
    assert out is w
    # printed by MXNet 1.9.1 (with the gradient as row_sparse: its CPU kernel)
    np.testing.assert_allclose(w.asnumpy().ravel(), [
        0.20085734128952026, 0.2339048981666565, 0.20000000298023224, 0.1841593086719513, 0.22623896598815918,
        0.6737610101699829, 0.7484880685806274, 0.699999988079071, 0.6515120267868042, 0.7262389659881592,
        1.173761010169983, 1.2158406972885132], rtol=1e-6)
    np.testing.assert_allclose(h.asnumpy().ravel(),
                               [0.9814814329147339, 1.314814805984497, 0.7962963581085205, 1.314814805984497],
                               rtol=1e-6)
    np.testing.assert_allclose(w.asnumpy(), rw, rtol=1e-6)
    np.testing.assert_allclose(h.asnumpy(), rh, rtol=1e-6)
    rng = np.random.RandomState(2)
    w64, g64, h64 = rng.randn(6, 4, 2), rng.randn(6, 4, 2), rng.uniform(0, 1, (6, 1))
    wa, ha = mx.nd.array(w64, dtype="float64"), mx.nd.array(h64, dtype="float64")
    o = mx.nd.contrib.group_adagrad_update(wa, mx.nd.array(g64, dtype="float64"), ha, lr=0.3)
    # the hyperparameters are floats (as in MXNet)
    rw, rh = _group_adagrad_ref(w64.reshape(6, 8), g64.reshape(6, 8), h64, float(np.float32(0.3)),
                                eps=float(np.float32(1e-5)))
    np.testing.assert_allclose(o.asnumpy().reshape(6, 8), rw, rtol=1e-12)
    np.testing.assert_allclose(ha.asnumpy(), rh, rtol=1e-12)
    with pytest.raises(mx.MXNetError, match=r"group_adagrad_update.*history shape \(3,1\).*one value per row"):
        mx.nd.contrib.group_adagrad_update(mx.nd.ones((4, 3)), mx.nd.ones((4, 3)), mx.nd.ones((3, 1)), lr=0.1)
    with pytest.raises(mx.MXNetError, match=r"group_adagrad_update.*grad shape \(4,2\)"):
        mx.nd.contrib.group_adagrad_update(mx.nd.ones((4, 3)), mx.nd.ones((4, 2)), mx.nd.ones((4, 1)), lr=0.1)


def _run_group_adagrad(**kw):
    opt = mx.optimizer.contrib.GroupAdaGrad(**kw)
    w = mx.nd.array(((np.arange(15).reshape(5, 3) * 7) % 11 - 5) / 4.)
    st = opt.create_state(0, w)
    assert st.shape == (5, 1)
    for step in range(3):
        g = mx.nd.array(((np.arange(15).reshape(5, 3) * (step + 3)) % 7 - 3) / 2.)
        if step == 1:
            g[2] = 0
        opt.update(0, w, g, st)
    return w.asnumpy().ravel(), st.asnumpy().ravel()


def test_group_adagrad_optimizer_matches_mxnet():
    # three steps, values printed by MXNet 1.9.1's mx.optimizer.contrib.GroupAdaGrad
    w, h = _run_group_adagrad(learning_rate=0.1)
    np.testing.assert_allclose(w, [
        -0.9582107067108154, 0.41774171590805054, -0.5612369179725647, 1.2924526929855347, 0.08522229641675949,
        -0.7713524103164673, 0.9805833697319031, 0.27038154006004333, -1.07071053981781, 0.683358907699585,
        -0.21820557117462158, -1.3930684328079224, 0.474312424659729, -0.5198773145675659, 1.5599684715270996],
        rtol=1e-6)
    np.testing.assert_allclose(h, [3.75, 3.0833332538604736, 2.0, 3.0, 3.5833332538604736], rtol=1e-6)
    w, h = _run_group_adagrad(learning_rate=0.05, rescale_grad=0.5, clip_gradient=0.6, eps=1e-3)
    np.testing.assert_allclose(w, [
        -1.108211874961853, 0.4510957896709442, -0.5244548916816711, 1.2712013721466064, 0.17428374290466309,
        -0.7547826170921326, 0.9874708652496338, 0.12924697995185852, -1.0413237810134888, 0.7256948947906494,
        -0.230721578001976, -1.321450114250183, 0.49291062355041504, -0.510554313659668, 1.3951001167297363],
        rtol=1e-6)
    np.testing.assert_allclose(h, [0.6675000190734863, 0.6358333826065063, 0.36500000953674316, 0.6150000095367432,
                                   0.6258333921432495], rtol=1e-6)
    assert isinstance(mx.optimizer.create("groupadagrad"), mx.optimizer.contrib.GroupAdaGrad)
    with pytest.raises(ValueError, match="weight decay"):
        mx.optimizer.contrib.GroupAdaGrad(wd=0.1).update(0, mx.nd.ones((2, 2)), mx.nd.ones((2, 2)),
                                                         mx.nd.zeros((2, 1)))
