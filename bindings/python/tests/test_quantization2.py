"""Entropy (KL-divergence) calibration of mx.contrib.quantization against MXNet 1.9.1 (MXNET_SUBGRAPH_BACKEND=NONE):
the helpers combine_histogram / _smooth_distribution, the threshold search against an independent naive loop and
against the thresholds MXNet's _contrib_calibrate_entropy printed, and quantize_model(calib_mode='entropy')'s
calibration ranges on fixed networks and data as MXNet printed them."""
import json
import math

import numpy as np
import pytest

import mxc as mx
from mxc import nd
from mxc.contrib import quantization as q

F = np.float32


def test_smooth_distribution_as_mxnet():
    got = q._smooth_distribution(np.array([0, 1, 2, 0, 3.0]))
    np.testing.assert_allclose(got, [9.999999747378752e-05, 0.9999333620071411, 1.9999333620071411,
                                     9.999999747378752e-05, 2.9999332427978516], rtol=1e-7)
    with pytest.raises(ValueError):
        q._smooth_distribution(np.zeros(4))


def test_combine_histogram_as_mxnet():
    x = np.array([-1.0, -0.5, 0.0, 0.25, 0.75, 1.0], F)
    h, e = np.histogram(x, bins=9, range=(-1, 1))
    old = (h, e, -1.0, 1.0, 1.0)
    a = np.array([-2.1, 0.3, 1.5], F)
    # a wider range: the histogram grows by whole bins on both sides
    hist, edges, lo, hi, th = q.combine_histogram(old, a, -2.1, 1.5, 2.1)
    assert hist.tolist() == [1, 0, 0, 0, 0, 1, 0, 1, 0, 1, 2, 0, 1, 1, 0, 0, 1, 0, 0]
    np.testing.assert_allclose(edges[:3], [-2.1111111640930176, -1.8888888359069824, -1.6666666269302368], rtol=1e-6)
    assert len(edges) == 20
    assert (lo, hi) == (-2.1, 1.5)
    assert abs(th - 2.111111111111111) < 1e-12
    # a narrower range: the same bins
    hist, edges, lo, hi, th = q.combine_histogram(old, a / 3, -0.7, 0.5, 0.7)
    assert hist.tolist() == [1, 1, 1, 0, 2, 1, 1, 1, 1]
    assert (lo, hi, th) == (-1.0, 1.0, 1.0)
    assert len(edges) == 10


def _naive_kl_threshold(hist, edges, nq):
    """MXNet 1.9.1's divergence (found by probing its operator), one bin at a time in float32: for each symmetric
    window around the middle bin, P = the window with the outliers added to its end bins; Q from the window's counts
    truncated to integers with its first bin taken as 0, merged into nq bins (the last one takes the remainder), each
    bin's integer sum spread evenly over its nonzero bins, zero where P is zero; both smoothed; the window with the
    least KL(P||Q), normalised and summed in float32."""
    n = len(hist)
    zero = n // 2
    h = [F(v) for v in hist]
    best_th, best_div = None, math.inf
    for i in range(nq // 2, min(zero, n - 1 - zero) + 1):  # windows inside the histogram
        lo, hi = zero - i, zero + i + 1
        p = h[lo:hi]
        left = F(0)
        for v in h[:lo + 1]:
            left = F(left + v)
        right = p[-1]
        for v in h[hi:]:
            right = F(right + v)
        p[0] = left
        p[-1] = right if len(p) > 1 else F(left + sum(h[hi:], F(0)))
        ints = [0] + [int(v) for v in h[lo + 1:hi]]
        m = len(p) // nq
        owner = [min(k // m, nq - 1) for k in range(len(p))]
        total = [0] * nq
        count = [0] * nq
        for k, v in enumerate(ints):
            total[owner[k]] += v
            count[owner[k]] += 1 if v != 0 else 0
        qd = [F(0) if (p[k] == 0 or count[owner[k]] == 0) else F(F(total[owner[k]]) / F(count[owner[k]]))
              for k in range(len(p))]

        def smooth(d):
            zeros = sum(1 for v in d if v == 0)
            if zeros == len(d):
                return None
            e1 = F(0.0001 * zeros / (len(d) - zeros))
            return [F(v + F(0.0001)) if v == 0 else F(v - e1) for v in d]
        ps, qs = smooth(p), smooth(qd)
        if ps is None or qs is None or min(ps) <= 0 or min(qs) <= 0:
            continue
        sp, sq = F(0), F(0)
        for a, b in zip(ps, qs):
            sp, sq = F(sp + a), F(sq + b)
        div = F(0)
        for a, b in zip(ps, qs):
            pa, qb = F(a / sp), F(b / sq)
            div = F(div + F(pa * F(math.log(F(pa / qb)))))
        if div < best_div:
            best_th, best_div = float(edges[hi]), float(div)
    return best_th, best_div


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_entropy_threshold_against_a_naive_loop(seed):
    g = np.random.RandomState(seed)
    x = g.standard_t(3, size=2000).astype(F)
    if seed == 1:
        x = np.maximum(x, 0)
    th = float(np.abs(x).max())
    nbins, nq = [(101, 31), (257, 63), (81, 9)][seed]
    h, e = np.histogram(x, bins=nbins, range=(-th, th))
    got_th, got_div = q._entropy_threshold(h, e, nq)
    want_th, want_div = _naive_kl_threshold(h, e, nq)
    assert abs(got_th - want_th) <= 1e-6 * abs(want_th)
    assert abs(got_div - want_div) <= 1e-5 * abs(want_div) + 1e-9


@pytest.mark.parametrize("seed,nbins,th,div", [
    (0, 601, 8.769747, 0.027118038), (4, 555, 15.045718, 0.019493382), (5, 701, 0.23205614, 0.016861336)])
def test_entropy_threshold_as_mxnet(seed, nbins, th, div):
    # the threshold and divergence MXNet 1.9.1's _contrib_calibrate_entropy(hist, hist_edges, 255) printed
    rs = np.random.RandomState(seed)
    x = (rs.randn(3000) * rs.rand() * 5).astype(F)
    if seed % 2:
        x = np.maximum(x, 0)
    m = float(np.abs(x).max())
    h, e = np.histogram(x, bins=nbins, range=(-m, m))
    lo, hi, got_th, got_div = q._get_optimal_threshold((h, e, float(x.min()), float(x.max()), m), "int8", 255)
    assert abs(got_th - th) <= 1e-6 * th
    assert abs(got_div - div) <= 1e-5
    assert (lo, hi) == (float(x.min()), float(x.max()))


def _hist_of(seed, kind, nbins, size):
    rs = np.random.RandomState(seed)
    x = {"t": lambda: rs.standard_t(3, size), "n": lambda: rs.randn(size), "c": lambda: rs.standard_cauchy(size),
         "r": lambda: np.maximum(rs.randn(size), 0)}[kind]().astype(F)
    m = float(np.abs(x).max())
    h, e = np.histogram(x, bins=nbins, range=(-m, m))
    return h.astype(F), e.astype(F)


@pytest.mark.parametrize("seed,kind,nbins,size,nq,th,div", [
    (7, "t", 8001, 200000, 255, 25.661489486694336, 0.002829334931448102),
    (8, "n", 1001, 50000, 255, 3.820434331893921, 0.004314388148486614),
    (9, "c", 2001, 30000, 127, 774.799072265625, 0.00513339601457119),
    (10, "r", 8001, 100000, 255, 3.8845925331115723, 0.011511190794408321),
    (11, "t", 301, 5000, 31, 7.4252753257751465, 0.01120832934975624)])
def test_calibrate_entropy_operator_as_mxnet(seed, kind, nbins, size, nq, th, div):
    # what MXNet 1.9.1's _contrib_calibrate_entropy printed for these histograms (its divergence, not the exact KL)
    h, e = _hist_of(seed, kind, nbins, size)
    got_th, got_div = nd.contrib.calibrate_entropy(nd.array(h), nd.array(e), num_quantized_bins=nq)
    assert got_th.asnumpy()[0] == F(th)
    assert abs(got_div.asnumpy()[0] - div) <= 1e-6 * div


@pytest.mark.parametrize("hist,nq,th,div", [
    ([1, 1, 1, 1, 1], 5, 2.5, 1.6189445),  # one bin per quantized bin: the first quantized bin is empty
    ([1, 2, 3, 4, 5, 6, 7], 3, 3.5, 0.01887607),
    ([6, 5, 4, 2, 5, 4, 8, 6, 7], 3, 4.5, 0.02313186228275299),
    ([0.5787552, 0.6089194, 9.31642, 0, 0.1557962, 9.315434, 2.2654483], 7, 3.5, 0.45091936),  # counts truncated
    ([0.19083461, 0.6782404, 0, 0, 2.6103792], 1, 2.5, 0.405086874961853),
    ([0, 0, 0, 0, 1, 0, 0, 0, 0], 3, 1.5, 0.0),
    ([0] * 9, 3, 1.5, 3.4028234663852886e+38),  # no divergence defined: FLT_MAX
    ([1, 0, 0, 0, 0, 0, 0, 0, 0], 3, 1.5, 3.4028234663852886e+38)])
def test_calibrate_entropy_small_histograms_as_mxnet(hist, nq, th, div):
    # MXNet 1.9.1's printed values; edges k - n/2
    h = np.array(hist, F)
    e = (np.arange(len(h) + 1) - len(h) / 2).astype(F)
    got_th, got_div = nd.contrib.calibrate_entropy(nd.array(h), nd.array(e), num_quantized_bins=nq)
    assert got_th.asnumpy()[0] == F(th)
    assert abs(got_div.asnumpy()[0] - F(div)) <= 1e-6 * div


@pytest.mark.parametrize("nbins,nq", [(7, 3), (8, 3), (9, 1), (64, 20), (5, 5)])
def test_calibrate_entropy_operator_against_a_naive_loop(nbins, nq):
    # odd and even histograms (the windows stay inside), one and several bins per quantized bin, zeros in the middle
    g = np.random.RandomState(nbins)
    h = np.floor(g.rand(nbins) * 6).astype(F)
    h[nbins // 2] = 0
    e = np.linspace(-2, 2, nbins + 1).astype(F)
    th, div = nd.contrib.calibrate_entropy(nd.array(h), nd.array(e), num_quantized_bins=nq)
    assert th.shape == (1,) and div.shape == (1,) and th.dtype == np.float32 and div.dtype == np.float32
    want_th, want_div = _naive_kl_threshold(h, e, nq)
    assert th.asnumpy()[0] == F(want_th)
    assert abs(div.asnumpy()[0] - want_div) <= 1e-6 * abs(want_div) + 1e-7
    s = mx.sym.contrib.calibrate_entropy(mx.sym.var("h"), mx.sym.var("e"), num_quantized_bins=nq)
    assert s.infer_shape(h=(nbins,))[0] == [(nbins,), (nbins + 1,)]
    assert s.list_outputs() == ["calibrate_entropy0_threshold", "calibrate_entropy0_divergence"] or \
        [n.split("_")[-1] for n in s.list_outputs()] == ["threshold", "divergence"]


def test_calibrate_entropy_operator_errors():
    h, e = nd.array(np.ones(9, F)), nd.array(np.linspace(-1, 1, 10))
    with pytest.raises(mx.base.MXNetError, match="calibrate_entropy.*num_quantized_bins"):
        nd.contrib.calibrate_entropy(h, e, num_quantized_bins=11)
    with pytest.raises(mx.base.MXNetError, match="calibrate_entropy.*num_quantized_bins"):
        nd.contrib.calibrate_entropy(h, e, num_quantized_bins=0)
    with pytest.raises(mx.base.MXNetError, match="calibrate_entropy.*hist_edges"):
        nd.contrib.calibrate_entropy(h, nd.array(np.ones(9)), num_quantized_bins=3)
    with pytest.raises(mx.base.MXNetError, match="calibrate_entropy.*hist"):
        nd.contrib.calibrate_entropy(nd.array(np.ones((3, 3))), e, num_quantized_bins=3)


def test_entropy_threshold_bad_input():
    with pytest.raises(ValueError, match="hist_edges"):
        q._entropy_threshold(np.ones(10), np.ones(10), 5)
    with pytest.raises(ValueError, match="num_quantized_bins"):
        q._entropy_threshold(np.ones(10), np.ones(11), 11)
    with pytest.raises(ValueError, match="num_quantized_bins"):
        q._entropy_threshold(np.ones(10), np.ones(11), 10)


def _net():
    data = mx.sym.var("data")
    fc1 = mx.sym.FullyConnected(data, num_hidden=16, name="fc1")
    act = mx.sym.Activation(fc1, act_type="relu", name="relu1")
    return mx.sym.FullyConnected(act, num_hidden=4, name="fc2")


def _params(rs):
    return {"fc1_weight": nd.array(rs.randn(16, 8)), "fc1_bias": nd.array(rs.randn(16)),
            "fc2_weight": nd.array(rs.randn(4, 16)), "fc2_bias": nd.array(rs.randn(4))}


def _calib_ranges(qsym):
    return {n["name"]: (float(n["attrs"]["min_calib_range"]), float(n["attrs"]["max_calib_range"]))
            for n in json.loads(qsym.tojson())["nodes"] if "min_calib_range" in n.get("attrs", {})}


@pytest.mark.parametrize("heavy,want", [
    (False, {"data_quantize": 2.835661, "requantize_fc1": 9.764954, "requantize_fc2": 21.607550}),
    (True, {"data_quantize": 8.870568, "requantize_fc1": 25.916809, "requantize_fc2": 52.648632})])
def test_quantize_model_entropy_as_mxnet(heavy, want):
    rs = np.random.RandomState(0)
    args = _params(rs)
    if heavy:  # heavy tails: the thresholds clip the outliers (max |data| is 18.61)
        x, bs = rs.standard_t(3, size=(512, 8)).astype(F), 64
    else:
        x, bs = rs.randn(64, 8).astype(F), 16
    it = mx.io.NDArrayIter(x, batch_size=bs)
    qsym, qargs, _ = q.quantize_model(_net(), args, {}, ctx=mx.cpu(), calib_mode="entropy", calib_data=it,
                                      num_calib_examples=len(x), quantized_dtype="int8", quantize_mode="full",
                                      label_names=None)
    got = _calib_ranges(qsym)
    assert sorted(got) == sorted(want)
    for name, th in want.items():
        # the last digit of fc2 may differ: float32 FullyConnected sums in another order than MXNet's
        assert got[name][0] == -got[name][1]
        assert abs(got[name][1] - th) <= 2e-6 * th, (name, got[name], th)
    if heavy:
        assert got["data_quantize"][1] < float(np.abs(x).max())
    # the calibrated model runs and stays close to float32
    exe = qsym.simple_bind(mx.cpu(), data=(bs, 8), grad_req="null")
    exe.copy_params_from(qargs, {}, allow_extra_params=True)
    ref = _net().simple_bind(mx.cpu(), data=(bs, 8), grad_req="null")
    ref.copy_params_from(args, {})
    xb = nd.array(x[:bs])
    exe.forward(is_train=False, data=xb)
    ref.forward(is_train=False, data=xb)
    a, b = exe.outputs[0].asnumpy(), ref.outputs[0].asnumpy()
    assert np.abs(a - b).mean() < 0.1 * np.abs(b).mean()  # clipped outliers cost a little more


def test_quantize_model_entropy_needs_calib_data():
    rs = np.random.RandomState(0)
    with pytest.raises(ValueError, match="calib_data"):
        q.quantize_model(_net(), _params(rs), {}, calib_mode="entropy", label_names=None)


def _dense_net():
    nn = mx.gluon.nn
    net = nn.HybridSequential(prefix="net_")
    with net.name_scope():
        net.add(nn.Dense(16, in_units=8), nn.Dense(4, in_units=16))
    net.initialize()
    rs = np.random.RandomState(0)
    for _, p in sorted(net.collect_params().items()):
        p.set_data(nd.array(rs.randn(*p.shape)))
    return net, rs.standard_t(3, size=(256, 8)).astype(F)


# MXNet 1.9.1's quantize_net on the same block and data (its CPU build fuses the layers with oneDNN; the ranges of
# the input and of the first layer's output are the same nodes in both graphs)
@pytest.mark.parametrize("mode,want", [
    ("naive", {"data_quantize": (-9.798110, 18.613537), "requantize_net_dense0_fwd": (-28.418976, 51.124294)}),
    ("entropy", {"data_quantize": (-7.563131, 7.563131), "requantize_net_dense0_fwd": (-25.961506, 25.961506)})])
def test_quantize_net_calibration_as_mxnet(mode, want):
    net, x = _dense_net()
    it = mx.io.NDArrayIter(x, batch_size=32)
    qnet = q.quantize_net(net, quantized_dtype="int8", calib_data=it, calib_mode=mode,
                          ctx=mx.current_context(), num_calib_examples=256)
    assert isinstance(qnet, mx.gluon.SymbolBlock)
    got = _calib_ranges(qnet._graph)
    for name, (lo, hi) in want.items():
        assert abs(got[name][0] - lo) <= 2e-6 * abs(lo) and abs(got[name][1] - hi) <= 2e-6 * abs(hi), (name, got)
    assert "requantize_net_dense1_fwd" in got
    ops = [n["op"] for n in json.loads(qnet._graph.tojson())["nodes"] if n["op"] != "null"]
    assert ops.count("_contrib_quantized_fully_connected") == 2
    params = qnet.collect_params()
    assert params["net_dense0_weight_quantize"].data().dtype == np.int8
    w = net.collect_params()["net_dense0_weight"].data().asnumpy()
    np.testing.assert_array_equal(params["net_dense0_weight_quantize"].data().asnumpy(),
                                  np.round(w * (127 / np.abs(w).max())).astype(np.int8))
    xb = nd.array(x[:32])
    a, b = qnet(xb).asnumpy(), net(xb).asnumpy()
    assert a.shape == b.shape == (32, 4)
    assert np.abs(a - b).mean() < 0.1 * np.abs(b).mean()  # entropy clips the heavy tails


def test_quantize_net_v2_none_dataloader_and_exclusions():
    net, x = _dense_net()
    xb = nd.array(x[:16])
    ref = net(xb).asnumpy()
    # no calibration: shapes from data_shapes
    qnet = q.quantize_net_v2(net, calib_mode="none", data_shapes=[mx.io.DataDesc("data", (16, 8))],
                             ctx=mx.current_context())
    assert _calib_ranges(qnet._graph) == {}
    assert np.abs(qnet(xb).asnumpy() - ref).mean() < 0.05 * np.abs(ref).mean()
    # a DataLoader as calibration data
    loader = mx.gluon.data.DataLoader(mx.gluon.data.ArrayDataset(x), batch_size=32)
    qnet = q.quantize_net_v2(net, calib_mode="naive", calib_data=loader, quantized_dtype="int8",
                             ctx=mx.current_context())
    assert _calib_ranges(qnet._graph)["data_quantize"] == (float("%f" % x.min()), float("%f" % x.max()))
    # excluded by name substring and by operator
    qnet = q.quantize_net_v2(net, calib_mode="none", data_shapes=[mx.io.DataDesc("data", (16, 8))],
                             exclude_layers_match=["dense1"], ctx=mx.current_context())
    names = [n["name"] for n in json.loads(qnet._graph.tojson())["nodes"] if n["op"] == "FullyConnected"]
    assert names == ["net_dense1_fwd"]
    qnet = q.quantize_net_v2(net, calib_mode="none", data_shapes=[mx.io.DataDesc("data", (16, 8))],
                             exclude_operators=["FullyConnected"], ctx=mx.current_context())
    ops = {n["op"] for n in json.loads(qnet._graph.tojson())["nodes"]}
    assert "_contrib_quantized_fully_connected" not in ops
    np.testing.assert_allclose(qnet(xb).asnumpy(), ref, rtol=1e-5, atol=1e-4)


def test_quantize_net_bad_arguments():
    net, x = _dense_net()
    with pytest.raises(ValueError, match="data_shapes"):
        q.quantize_net(net, calib_mode="none")
    with pytest.raises(ValueError, match="calib_data"):
        q.quantize_net(net, calib_mode="naive", data_shapes=[mx.io.DataDesc("data", (4, 8))])
    with pytest.raises(ValueError, match="calibration mode"):
        q.quantize_net(net, calib_mode="histogram", calib_data=mx.io.NDArrayIter(x, batch_size=4))
    with pytest.raises(ValueError, match="HybridBlock"):
        q.quantize_net(mx.gluon.nn.Sequential(), data_shapes=[mx.io.DataDesc("data", (4, 8))])
    with pytest.raises(ValueError, match="exclude_layers"):
        q.quantize_net(net, data_shapes=[mx.io.DataDesc("data", (4, 8))], exclude_layers="net_dense0_fwd")


# MXNet 1.9.1's quantized_elemwise_add on the same inputs (its int32 / requantized outputs, first 10 of 50 values,
# and its output ranges); inputs drawn as below from RandomState(0)
_QADD_MXNET = [
    ('int32', [296878592, -901032128, -527952256, 1055741824, -837046144, 1376812800, 608116864, -106952624, -1258673408, 1207592320], -7.037772178649902, 7.037772178649902, False),
    ('int32', [851581760, 337589920, 1236817408, 727287168, 1074557696, 1758919680, 1022741888, 1377627520, 990015360, 1612579584], -10.258505821228027, 10.258505821228027, False),
    ('int32', [146996832, -38107584, -1157062272, -1166762368, -1554151552, -851850496, 975873408, 1557296896, -1036189184, 92638816], -3.802224636077881, 3.802224636077881, False),
    ('int32', [1204472832, 1394439424, 439689312, 632210240, 295585504, 520920224, 993605632, 605108736, 432005312, 1411534976], -8.175018310546875, 8.175018310546875, False),
    ('int32', [-707716032, -1550839552, 1586392192, 1259218432, -252508064, 799419328, 18457424, 1151760256, -1184243200, -1716040832], -10.515806198120117, 10.515806198120117, False),
    ('int32', [866340608, 1651361920, 432460992, 143137280, 1075007872, 559119744, 350478912, 1437974912, 1143547392, 187681232], -8.166646957397461, 8.166646957397461, False),
    ('int8', [-37, 16, -33, 4, -46, -58, 43, -58, -36, -66], 0.0, 7.556331157684326, True),
    ('uint8', [255, 255, 255, 255, 188, 255, 102, 255, 255, 255], 0.0, 0.5962897539138794, True),
    ('int8', [127, 127, 127, 21, 127, -128, -128, 92, 127, 127], -4.519115447998047, 4.519115447998047, True),
    ('uint8', [86, 23, 36, 44, 82, 110, 16, 4, 35, 42], -6.182694435119629, 6.182694435119629, True),
    ('int8', [-128, -124, -128, -6, -69, 127, -128, -128, -128, 127], 0.0, 1.7837411165237427, True),
    ('uint8', [255, 255, 255, 255, 255, 255, 255, 114, 255, 255], 0.0, 1.681484580039978, True),
]


def _qadd_inputs():
    rs = np.random.RandomState(0)
    for t in range(12):
        dt = ["int8", "uint8"][t % 2]
        lo = -128 if dt == "int8" else 0
        a = rs.randint(lo, lo + 256, size=50)
        b = rs.randint(lo, lo + 256, size=50)
        ra, rb = float(F(rs.rand() * 10 + 0.01)), float(F(rs.rand() * 3 + 0.01))
        la, lb = (-ra, -rb) if dt == "int8" else (0.0, 0.0)
        kw = {}
        if t >= 6:
            c = float(F(rs.rand() * 8 + 0.5))
            kw = dict(min_calib_range=(-c if t % 4 < 2 else 0.0), max_calib_range=c)
        yield dt, a, b, la, ra, lb, rb, kw


def test_quantized_elemwise_add_as_mxnet():
    for (dt, a, b, la, ra, lb, rb, kw), (odt, want, omin, omax, calib) in zip(_qadd_inputs(), _QADD_MXNET):
        r = lambda v: nd.array([v])
        o = nd.contrib.quantized_elemwise_add(nd.array(a, dtype=dt), nd.array(b, dtype=dt), r(la), r(ra), r(lb), r(rb),
                                              **kw)
        assert o[0].dtype == np.dtype(odt)
        got = o[0].asnumpy().astype(np.int64)
        assert got[:10].tolist() == want, (dt, kw)
        assert (float(o[1].asnumpy()[0]), float(o[2].asnumpy()[0])) == (omin, omax)
        # every value within one level of the exact sum (the kernel rounds in float32 as MXNet's)
        qa, qb = (127.5 if dt == "int8" else 255.5), (127.5 if dt == "int8" else 255.5)
        real = a * max(abs(la), abs(ra)) / qa + b * max(abs(lb), abs(rb)) / qb
        if calib:
            m = max(abs(kw["min_calib_range"]), abs(kw["max_calib_range"]))
            lo, hi = (-128, 127) if dt == "int8" else (0, 255)
            exact = np.clip(real * (127.5 if dt == "int8" else 255.5) / m, lo, hi)
            assert np.abs(got - exact).max() <= 0.5 + 1e-3
        else:
            exact = real * 2.0 ** 31 / omax
            assert np.abs(got - exact).max() <= 1e-6 * 2.0 ** 31


def test_quantized_elemwise_add_small_values_as_mxnet():
    a = nd.array([1, 2, 64, 127, -128, -1, 0, 100], dtype="int8")
    b = nd.array([1, 1, 1, 1, 1, 1, 1, -100], dtype="int8")
    r = lambda v: nd.array([v])
    o = nd.contrib.quantized_elemwise_add(a, b, r(-2), r(2), r(-1), r(1))
    assert o[0].asnumpy().tolist() == [16843010, 28071682, 724249408, 1431655808, -1431655808, -5614336, 5614336,
                                       561433664]
    assert (o[1].asnumpy()[0], o[2].asnumpy()[0]) == (-3, 3)
    o = nd.contrib.quantized_elemwise_add(a, b, r(-1.5), r(1.5), r(-1), r(1))
    assert o[0].asnumpy().tolist() == [16843008, 26948814, 653508736, 1290174336, -1286805888, -3368602, 6737204,
                                       336860160]
    o = nd.contrib.quantized_elemwise_add(a, b, r(-1), r(1), r(-1), r(1), min_calib_range=-1.5, max_calib_range=1.5)
    assert o[0].dtype == np.int8 and o[0].asnumpy().tolist() == [1, 2, 43, 85, -85, 0, 1, 0]
    s = mx.sym.contrib.quantized_elemwise_add(*[mx.sym.var(n) for n in "abcdef"])
    assert [n.split("0_", 1)[-1] for n in s.list_outputs()] == ["output", "min_output", "max_output"]
    with pytest.raises(mx.base.MXNetError, match="quantized_elemwise_add.*same shape"):
        nd.contrib.quantized_elemwise_add(a, nd.array([1, 2], dtype="int8"), r(-1), r(1), r(-1), r(1))
    with pytest.raises(mx.base.MXNetError, match="quantized_elemwise_add.*lhs.*float32"):
        nd.contrib.quantized_elemwise_add(nd.array([1.0]), nd.array([1.0]), r(-1), r(1), r(-1), r(1))


def _asym_reference(x, lo, hi):
    # MXNet's documented formula (its pip build crashes on quantize_asym): float32 steps, +0.5, clamp, truncate
    x = x.astype(F)
    d = F(hi) - F(lo)
    if not d > 0:
        return np.zeros(x.shape, np.uint8), F(0), F(0)
    scale = F(255) / d
    shift = F(255) - F(hi) * scale
    v = (x * scale + shift) + F(0.5)
    v = np.where(np.isnan(v), 0, np.clip(v, 0, 255))
    return np.trunc(v).astype(np.uint8), scale, shift


@pytest.mark.parametrize("calib", [None, (-0.5, 1.5), (0.0, 1.0), (1.0, 1.0)])
def test_quantize_asym_against_numpy(calib):
    x = np.random.RandomState(3).randn(4, 5, 6).astype(F)
    x[0, 0, 0] = np.nan
    kw = {} if calib is None else dict(min_calib_range=calib[0], max_calib_range=calib[1])
    lo, hi = calib if calib is not None else (np.nanmin(x), np.nanmax(x))
    o = nd.contrib.quantize_asym(nd.array(x), **kw)
    want, scale, shift = _asym_reference(x, lo, hi)
    assert o[0].dtype == np.uint8 and o[0].shape == x.shape
    np.testing.assert_array_equal(o[0].asnumpy(), want)
    assert o[1].asnumpy()[0] == scale and o[2].asnumpy()[0] == shift
    s = mx.sym.contrib.quantize_asym(mx.sym.var("data"))
    assert s.list_outputs() == ["quantize_asym0_output", "quantize_asym0_scale", "quantize_asym0_shift"] or \
        [n.split("_")[-1] for n in s.list_outputs()] == ["output", "scale", "shift"]


# MXNet 1.9.1's quantized_elemwise_mul (run through a bound symbol: its imperative call fails in the pip build) on
# inputs drawn as below: output dtype, the first 10 values (float32 ones as their int32 bit patterns) and the range
# outputs' bit patterns
_QMUL_MXNET = [
    ('int32', [-2024, 2349, -968, 3136, -7015, -12177, 1273, -475, -1666, 3237], [-914776830, 1232706818]),
    ('float32', [1075367935, 1066834186, 1080296413, 0, 1057410660, 1073771385, -1074427337, -1086791542, 1044167308, 1036132087], []),
    ('int8', [-14, 0, -20, -3, 0, 1, 3, -4, -8, 2], [-1047669109, 1101055145]),
    ('int32', [279, 9256, -549, -4510, -9657, -2875, 318, -6232, 9180, -4650], [-911018625, 1236465023]),
    ('float32', [1080661280, -1070215196, -1089990329, 1091739905, 1080754699, -1076964715, -1055365819, -1055789392, -1060546315, 1092215495], []),
    ('int8', [23, 46, -85, 64, 42, -30, -25, -2, 16, 4], [-1058115842, 1105712678]),
    ('int32', [11232, 11408, 1680, 8640, 1264, -1927, -980, -8066, -600, -10152], [-909898878, 1237584770]),
    ('float32', [-1076177266, 1083265659, 1067608894, -1078138055, -1069861492, 1083226754, 1084264728, -1107640189, -1101392887, 1032971359], []),
    ('int8', [-80, -13, 15, -18, -12, -61, 30, 18, -7, -14], [-1071467579, 1090580098]),
]


def _qmul_inputs():
    rs = np.random.RandomState(0)
    for t in range(9):
        a = rs.randint(-128, 128, size=40)
        b = rs.randint(-128, 128, size=40)
        ra = (-float(F(rs.rand() * 5 + 0.01)), float(F(rs.rand() * 5 + 0.01)))
        rb = (-float(F(rs.rand() * 5 + 0.01)), float(F(rs.rand() * 5 + 0.01)))
        kw = [{}, {"enable_float_output": True},
              {"min_calib_range": -float(F(rs.rand() * 30 + 0.5)), "max_calib_range": float(F(rs.rand() * 30 + 0.5))}][t % 3]
        yield a, b, ra, rb, kw


def _bits(x):
    x = np.asarray(x)
    return x.view(np.int32).tolist() if x.dtype == np.float32 else x.tolist()


def test_quantized_elemwise_mul_as_mxnet():
    for (a, b, ra, rb, kw), (dt, want, ranges) in zip(_qmul_inputs(), _QMUL_MXNET):
        o = nd.contrib.quantized_elemwise_mul(nd.array(a, dtype="int8"), nd.array(b, dtype="int8"), nd.array([ra[0]]),
                                              nd.array([ra[1]]), nd.array([rb[0]]), nd.array([rb[1]]), **kw)
        o = o if isinstance(o, list) else [o]
        assert o[0].dtype == np.dtype(dt) and len(o) == 1 + len(ranges)
        got = o[0].asnumpy()
        assert _bits(got)[:10] == want, kw
        assert [_bits(x.asnumpy())[0] for x in o[1:]] == ranges
        # against the exact product of the real values
        ma, mb = max(map(abs, ra)), max(map(abs, rb))
        real = a * b * (ma / 127.5) * (mb / 127.5)
        if dt == "int32":
            assert got.tolist() == (a * b).tolist()
        elif dt == "float32":
            np.testing.assert_allclose(got, real, rtol=1e-5, atol=1e-6)
        else:
            mc = max(abs(kw["min_calib_range"]), abs(kw["max_calib_range"]))
            exact = np.trunc(real * 127.5 / mc).astype(np.int64)
            assert np.all(np.abs(got.astype(np.int64) - exact.astype(np.int8)) <= 1)
    s = mx.sym.contrib.quantized_elemwise_mul(*[mx.sym.var(n) for n in "abcdef"])
    assert [n.split("0_")[-1] for n in s.list_outputs()] == ["output", "min_output", "max_output"]
    s = mx.sym.contrib.quantized_elemwise_mul(*[mx.sym.var(n) for n in "abcdef"], enable_float_output=True)
    assert len(s.list_outputs()) == 1
    with pytest.raises(mx.base.MXNetError, match="quantized_elemwise_mul.*lhs"):
        r = nd.array([1.0])
        nd.contrib.quantized_elemwise_mul(nd.array([1], dtype="uint8"), nd.array([1], dtype="int8"), r, r, r, r)


def test_quantized_embedding_as_mxnet():
    w = nd.array([[1, -2, 3], [4, 5, -6], [127, -128, 0], [7, 8, 9]], dtype="int8")
    lo, hi = nd.array([-1.5]), nd.array([2.0])
    # MXNet 1.9.1's outputs: indices truncated and clipped to [0, input_dim - 1], the range passed through
    o = nd.contrib.quantized_embedding(nd.array([0, 2, 3]), w, lo, hi, input_dim=4, output_dim=3)
    assert o[0].dtype == np.int8 and o[0].asnumpy().tolist() == [[1, -2, 3], [127, -128, 0], [7, 8, 9]]
    assert (o[1].asnumpy()[0], o[2].asnumpy()[0]) == (-1.5, 2.0)
    o = nd.contrib.quantized_embedding(nd.array([1.7, -1, 4, 2.5]), w, lo, hi, input_dim=4, output_dim=3)
    assert o[0].asnumpy().tolist() == [[4, 5, -6], [1, -2, 3], [7, 8, 9], [127, -128, 0]]
    o = nd.contrib.quantized_embedding(nd.array([[0, 1], [3, 2]], dtype="int32"), w, lo, hi, input_dim=4,
                                       output_dim=3)
    assert o[0].asnumpy().tolist() == [[[1, -2, 3], [4, 5, -6]], [[7, 8, 9], [127, -128, 0]]]
    # against NumPy indexing on random indices of every dtype
    g = np.random.RandomState(5)
    wv = g.randint(-128, 128, size=(9, 5)).astype(np.int8)
    for dt in ["float32", "float64", "int32", "int64", "int8", "uint8"]:
        idx = (g.rand(3, 4) * 14 - 3).astype(dt)
        o = nd.contrib.quantized_embedding(nd.array(idx, dtype=dt), nd.array(wv, dtype="int8"), lo, hi, input_dim=9,
                                           output_dim=5)
        want = wv[np.clip(np.trunc(idx.astype(np.float64)), 0, 8).astype(np.int64)]
        np.testing.assert_array_equal(o[0].asnumpy(), want)
    with pytest.raises(mx.base.MXNetError, match="quantized_embedding.*weight"):
        nd.contrib.quantized_embedding(nd.array([0]), w, lo, hi, input_dim=5, output_dim=3)
    with pytest.raises(mx.base.MXNetError, match="quantized_embedding.*weight"):
        nd.contrib.quantized_embedding(nd.array([0]), nd.array(w.asnumpy(), dtype="uint8"), lo, hi, input_dim=4,
                                       output_dim=3)
