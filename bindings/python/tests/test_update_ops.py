"""MXNet 1.9.1's remaining fused optimizer updates and AMP operators: every expected value below is what MXNet 1.9.1
printed for the same call (states and weights after one update, called with out=weight as its optimizers do), except
where a comment gives a NumPy reference."""
import numpy as np
import pytest

import mxc as mx
from mxc.base import MXNetError

W = [0.5, -1.0, 2.0, 0.0]
G = [0.3, -0.2, 0.0, 1.5]
S1 = [0.1, -0.1, 0.2, 0.0]
S2 = [0.04, 0.01, 0.09, 0.0]
S3 = [0.2, -0.3, 0.0, 0.1]
W32 = [0.5001, -1.0002, 2.0003, 0.0001]


def A(x, dtype="float32"):
    return mx.nd.array(x, dtype=dtype)


def close(a, expected, rtol=1e-5, atol=1e-6):
    np.testing.assert_allclose(a.asnumpy().astype(np.float64), np.array(expected, dtype=np.float64), rtol=rtol,
                               atol=atol)


# ---------------------------------------------------------------------------------------------------------------
# Single-tensor updates
# ---------------------------------------------------------------------------------------------------------------
def test_signsgd_update():
    w, g = A(W), A(G)
    mx.nd.signsgd_update(w, g, lr=0.1, wd=0.2, out=w)
    close(w, [0.39, -0.88, 1.96, -0.1])
    w, g = A(W), A(G)
    r = mx.nd.signsgd_update(w, g, lr=0.1, rescale_grad=2, clip_gradient=0.1)
    close(r, [0.4, -0.9, 2.0, -0.1])
    close(w, W)  # a separate output leaves the weight


def test_signum_update():
    w, g, m = A(W), A(G), A(S1)
    mx.nd.signum_update(w, g, m, lr=0.1, momentum=0.9, wd=0.2, out=w)
    close(w, [0.6, -1.1, 2.1, -0.1])
    close(m, [0.05, -0.05, 0.14, -0.15])
    w, g, m = A(W), A(G), A(S1)
    mx.nd.signum_update(w, g, m, lr=0.1, momentum=0.9, wd=0.2, wd_lh=0.3, rescale_grad=0.5, clip_gradient=0.1, out=w)
    close(w, [0.585, -1.07, 2.04, -0.1])
    close(m, [0.07, -0.06, 0.14, -0.01])
    w, g, m = A(W), A(G), A(S1)
    mx.nd.signum_update(w, g, m, lr=0.1, out=w)  # momentum defaults to 0
    close(w, [0.4, -0.9, 2.0, -0.1])
    close(m, [-0.3, 0.2, 0.0, -1.5])


def test_ftml_update():
    w, g, d, v, z = A(W), A(G), A(S2), A(S2), A(S3)
    mx.nd.ftml_update(w, g, d, v, z, lr=0.1, t=1, out=w)
    close(w, [0.49004510045051575, -0.9790024757385254, 1.9971524477005005, -0.11000000685453415])
    close(d, [25.31418800354004, 12.668149948120117, 37.92859649658203, 5.999999523162842])
    close(v, [0.040049999952316284, 0.010029999539256096, 0.08991000801324844, 0.002249971032142639])
    close(z, [-12.405094146728516, 12.40215015411377, -75.74919128417969, 0.6599999666213989])
    w, g, d, v, z = A(W), A(G), A(S2), A(S2), A(S3)
    mx.nd.ftml_update(w, g, d, v, z, lr=0.1, t=3, beta1=0.5, beta2=0.9, epsilon=1e-3, wd=0.1, rescale_grad=2,
                      clip_grad=0.5, out=w)
    close(w, [0.41346338391304016, -0.8696929216384888, 1.961296796798706, -0.11251240223646164])
    close(d, [4.160089492797852, 3.108044147491455, 4.9091644287109375, 2.666372776031494])
    close(v, [0.06100000441074371, 0.034000005573034286, 0.08500000089406967, 0.025000005960464478])
    close(z, [-1.720044732093811, 2.7030439376831055, -9.628328323364258, 0.30000001192092896])


def test_ftrl_update():
    w, g, z, n = A(W), A(G), A(S3), A(S2)
    mx.nd.ftrl_update(w, g, z, n, lr=0.1, out=w)
    close(w, [0.021518832072615623, -0.059338342398405075, 0.0, -0.06360000371932983])
    close(z, [-0.3027755618095398, 0.7360679507255554, 0.0, 1.600000023841858])
    close(n, [0.12999999523162842, 0.05000000447034836, 0.09000000357627869, 2.25])
    w, g, z, n = A(W), A(G), A(S3), A(S2)
    mx.nd.ftrl_update(w, g, z, n, lr=0.1, lamda1=0.05, beta=0.5, wd=0.1, rescale_grad=2, clip_gradient=0.5, out=w)
    close(w, [0.08989675343036652, -0.2573000490665436, 0.0, -0.05445544421672821])
    close(z, [-0.992582380771637, 2.4231057167053223, 0.0, 0.6000000238418579])
    close(n, [0.28999999165534973, 0.17000001668930054, 0.09000000357627869, 0.25])


def test_lamb_update_phase1():
    w, g, m, v = A(W), A(G), A(S1), A(S2)
    r = mx.nd.lamb_update_phase1(w, g, m, v, t=2, wd=0.1)
    close(r, [0.19110043346881866, -0.3584582805633545, 0.341259241104126, 0.7441336512565613])
    close(m, [0.12, -0.11, 0.18, 0.15])
    close(v, [0.04005, 0.01003, 0.08991, 0.00225], atol=1e-7)
    close(w, W)
    w, g, m, v = A(W), A(G), A(S1), A(S2)
    r = mx.nd.lamb_update_phase1(w, g, m, v, t=2, wd=0.1, bias_correction=False, beta1=0.8, beta2=0.9,
                                 epsilon=1e-3, rescale_grad=2, clip_gradient=0.5)
    close(r, [0.7758597731590271, -1.1055690050125122, 0.7602143287658691, 0.6284805536270142])
    close(m, [0.18, -0.16, 0.16, 0.1])
    close(v, [0.061, 0.025, 0.081, 0.025])


@pytest.mark.parametrize("r1,r2,kw,expected", [
    (3.0, 2.0, {}, [0.455, -0.97, 2.0, -0.225]),
    (3.0, 0.0, {}, [0.47, -0.98, 2.0, -0.15]),
    (0.0, 2.0, {}, [0.47, -0.98, 2.0, -0.15]),
    (3.0, 2.0, dict(lower_bound=4.0), [0.44, -0.96, 2.0, -0.3]),
    (3.0, 2.0, dict(upper_bound=1.0), [0.485, -0.99, 2.0, -0.075]),
    (3.0, 2.0, dict(upper_bound=5.0), [0.455, -0.97, 2.0, -0.225]),
    (3.0, 2.0, dict(lower_bound=1.0, upper_bound=2.0), [0.47, -0.98, 2.0, -0.15]),
    (3.0, 2.0, dict(upper_bound=0.0), [0.47, -0.98, 2.0, -0.15]),  # a bound of 0 applies
    (0.5, 2.0, dict(lower_bound=0.0), [0.4925, -0.995, 2.0, -0.0375]),
])
def test_lamb_update_phase2(r1, r2, kw, expected):
    w, g = A(W), A(G)
    r = mx.nd.lamb_update_phase2(w, g, A([r1]), A([r2]), lr=0.1, **kw)
    close(r, expected)
    close(w, W)
    mx.nd.lamb_update_phase2(w, g, A([r1]), A([r2]), lr=0.1, out=w, **kw)
    close(w, expected)


def test_adamw_update():
    w, g, m, v = A(W), A(G), A(S1), A(S2)
    mx.nd.contrib.adamw_update(w, g, m, v, A([2.0]), lr=0.1, eta=0.5, wd=0.2, clip_gradient=0.5, out=w)
    close(w, [0.41509151458740234, -0.8354820609092712, 1.7699849605560303, -0.15811485052108765])
    close(m, [0.14, -0.13, 0.18, 0.05])
    close(v, [0.04021, 0.01015, 0.08991, 0.00025], atol=1e-7)
    w, g, m, v = A(W), A(G), A(S1), A(S2)
    r = mx.nd.contrib.adamw_update(w, g, m, v, A([1.0]), lr=0.1, eta=0.5)
    close(r, [0.47001874446868896, -0.9450823068618774, 1.969985008239746, -0.15811489522457123])
    close(w, W)
    for skip in (0.0, np.nan, np.inf):  # the update is skipped
        w, g, m, v = A(W), A(G), A(S1), A(S2)
        mx.nd.contrib.adamw_update(w, g, m, v, A([skip]), lr=0.1, eta=0.5, wd=0.2, out=w)
        close(w, W)
        close(m, S1)
        close(v, S2)
    assert mx.nd._contrib_adamw_update is not None


# ---------------------------------------------------------------------------------------------------------------
# Mixed precision: a float16 weight with a float32 master copy
# ---------------------------------------------------------------------------------------------------------------
def test_mp_sgd_update():
    w, g, w32 = A(W, "float16"), A(G, "float16"), A(W32)
    mx.nd.mp_sgd_update(w, g, w32, lr=0.1, wd=0.2, out=w)
    assert w.dtype == np.float16
    close(w, [0.460205078125, -0.9599609375, 1.9599609375, -0.14990234375], rtol=0, atol=0)
    close(w32, [0.4600931406021118, -0.9602009654045105, 1.9602940082550049, -0.14990200102329254])


def test_mp_sgd_mom_update():
    w, g, m, w32 = A(W, "float16"), A(G, "float16"), A(S1), A(W32)
    mx.nd.mp_sgd_mom_update(w, g, m, w32, lr=0.1, momentum=0.9, wd=0.2, rescale_grad=2, clip_gradient=0.5, out=w)
    close(w, [0.5302734375, -1.0302734375, 2.140625, -0.049896240234375], rtol=0, atol=0)
    close(m, [0.029997993260622025, -0.03000575676560402, 0.13999399542808533, -0.050002001225948334])
    close(w32, [0.530098021030426, -1.0302058458328247, 2.140293836593628, -0.04990199953317642])


def test_mp_nag_mom_update():
    w, g, m, w32 = A(W, "float16"), A(G, "float16"), A(S1), A(W32)
    mx.nd.mp_nag_mom_update(w, g, m, w32, lr=0.1, momentum=0.9, wd=0.2, out=w)
    close(w, [0.5048828125, -1.0048828125, 2.0859375, -0.284912109375], rtol=0, atol=0)
    # The momentum as nag_mom_update keeps it (from the weight before the step), in NumPy; MXNet 1.9.1 stores
    # [0.04989338, -0.04990084, 0.13827422, -0.14430194], recomputed from the updated weight32 (see
    # optimizer_ops.cc), while its weights are the ones asserted here.
    g32 = np.float16(G).astype(np.float32)
    close(m, np.float32(0.9) * np.float32(S1) - np.float32(0.1) * (g32 + np.float32(0.2) * np.float32(W32)))
    close(w32, [0.5050868988037109, -1.0052016973495483, 2.0862884521484375, -0.2849038243293762])


def test_mp_lamb_update_phases():
    w, g, m, v, w32 = A(W, "float16"), A(G, "float16"), A(S1), A(S2), A(W32)
    r = mx.nd.mp_lamb_update_phase1(w, g, m, v, w32, t=2, wd=0.1)
    assert r.dtype == np.float32
    close(r, [0.1911161243915558, -0.35846710205078125, 0.341289222240448, 0.7441436648368835])
    close(m, [0.12000488489866257, -0.10999511927366257, 0.17999999225139618, 0.15000003576278687])
    close(v, [0.04005002975463867, 0.010029979981482029, 0.08991000801324844, 0.002249971032142639])
    w, g, w32 = A(W, "float16"), A(G), A(W32)
    mx.nd.mp_lamb_update_phase2(w, g, A([3.0]), A([2.0]), w32, lr=0.1, out=w)
    close(w, [0.455078125, -0.97021484375, 2.0, -0.224853515625], rtol=0, atol=0)
    # MXNet 1.9.1 leaves weight32 as it was (its documented formula updates it, which is what this does):
    # weight32 - lr * r1 / r2 * g, in NumPy
    close(w32, np.float32(W32) - np.float32(0.15) * np.float32(G))


def test_mp_adamw_update():
    w, g, m, v, w32 = A(W, "float16"), A(G, "float16"), A(S1), A(S2), A(W32)
    mx.nd.contrib.mp_adamw_update(w, g, m, v, w32, A([1.0]), lr=0.1, eta=0.5, wd=0.2, out=w)
    close(w, [0.420166015625, -0.84521484375, 1.7705078125, -0.1580810546875], rtol=0, atol=0)
    close(m, [0.12000488489866257, -0.10999511927366257, 0.17999999225139618, 0.15000003576278687])
    close(v, [0.04005002975463867, 0.010029979981482029, 0.08991000801324844, 0.002249971032142639])
    close(w32, [0.42010754346847534, -0.845264732837677, 1.7702549695968628, -0.1580248922109604])


def test_mp_update_dtype_errors():
    w, g, w32 = A(W, "float16"), A(G, "float16"), A(W32, "float16")
    with pytest.raises(MXNetError, match="mp_sgd_update"):
        mx.nd.mp_sgd_update(w, g, w32, lr=0.1, out=w)
    with pytest.raises(MXNetError, match="mp_sgd_update.*weight"):
        mx.nd.mp_sgd_update(A(W, "float64"), A(G, "float64"), A(W32), lr=0.1)


# ---------------------------------------------------------------------------------------------------------------
# Multi-tensor SGD
# ---------------------------------------------------------------------------------------------------------------
def _sgd_inputs(mom=False, mp=False):
    wt = "float16" if mp else "float32"
    groups = [[A([1, 2, 3], wt), A([.1, .2, .3], wt)], [A([4, 5], wt), A([.5, -.5], wt)]]
    if mom:
        groups[0].append(A([.1, .1, .1]))
        groups[1].append(A([0, 1]))
    if mp:
        groups[0].append(A([1.001, 2, 3]))
        groups[1].append(A([4, 5.002]))
    return groups


MULTI_EXPECTED = {
    (False, False): [[0.99, 1.98, 2.97], [3.5, 4.6]],
    (True, False): [[1.08, 2.07, 3.06], [3.5, 5.5], [0.08, 0.07, 0.06], [-0.5, 0.5]],
    (False, True): [[0.9912109375, 1.98046875, 2.970703125], [3.5, 4.6015625],
                    [0.9910025000572205, 1.980004906654358, 2.9699950218200684], [3.5, 4.601799964904785]],
    (True, True): [[1.0810546875, 2.0703125, 3.060546875], [3.5, 5.5],
                   [0.08000243455171585, 0.07000488042831421, 0.05999511480331421], [-0.5, 0.4997999966144562],
                   [1.0810024738311768, 2.070004940032959, 3.059995174407959], [3.5, 5.501800060272217]],
}


@pytest.mark.parametrize("mom", [False, True])
@pytest.mark.parametrize("mp", [False, True])
@pytest.mark.parametrize("preloaded", [False, True])
def test_multi_sgd(mom, mp, preloaded):
    name = ("preloaded_" if preloaded else "") + "multi_" + ("mp_" if mp else "") + "sgd_" + \
        ("mom_" if mom else "") + "update"
    groups = _sgd_inputs(mom, mp)
    flat = [a for grp in groups for a in grp]
    kw = dict(num_weights=2)
    if mom:
        kw["momentum"] = 0.9
    if preloaded:
        flat += [A([0.1, 0.2]), A([0.0, 0.5])]
    else:
        kw.update(lrs=(0.1, 0.2), wds=(0.0, 0.5))
    weights = [groups[0][0], groups[1][0]]
    getattr(mx.nd, name)(*flat, out=weights, **kw)
    exp = MULTI_EXPECTED[(mom, mp)]
    tol = dict(rtol=0, atol=0) if mp else {}
    close(groups[0][0], exp[0], **tol)
    close(groups[1][0], exp[1], **tol)
    k = 2
    if mom:
        close(groups[0][2], exp[k])
        close(groups[1][2], exp[k + 1])
        k += 2
    if mp:
        close(groups[0][-1], exp[k])
        close(groups[1][-1], exp[k + 1])


def test_multi_sgd_clip_and_outputs():
    w1, g1, w2, g2 = A([1, 2, 3]), A([.1, .2, .3]), A([4, 5]), A([.5, -.5])
    mx.nd.multi_sgd_update(w1, g1, w2, g2, lrs=(0.1, 0.2), wds=(0., 0.5), num_weights=2, rescale_grad=2,
                           clip_gradient=0.8, out=[w1, w2])
    close(w1, [0.98, 1.96, 2.94])
    close(w2, [3.44, 4.66])
    # without out: new arrays, the weights unchanged
    w1, g1 = A([1, 2, 3]), A([.1, .2, .3])
    r = mx.nd.multi_sgd_update(w1, g1, lrs=(0.1,), wds=(0.,))
    close(r, [0.99, 1.98, 2.97])
    close(w1, [1, 2, 3])


def test_multi_sgd_errors():
    w1, g1, w2, g2 = A([1, 2, 3]), A([.1, .2, .3]), A([4, 5]), A([.5, -.5])
    with pytest.raises(MXNetError, match="multi_sgd_update.*expects 2 input"):  # num_weights defaults to 1
        mx.nd.multi_sgd_update(w1, g1, w2, g2, lrs=(0.1, 0.2), wds=(0., 0.))
    with pytest.raises(MXNetError, match="multi_sgd_update.*lrs and wds"):
        mx.nd.multi_sgd_update(w1, g1, w2, g2, lrs=(0.1,), wds=(0., 0.), num_weights=2)
    with pytest.raises(MXNetError, match="multi_sgd_update.*grad_1"):
        mx.nd.multi_sgd_update(w1, g1, w2, A([1, 2, 3]), lrs=(0.1, 0.2), wds=(0., 0.), num_weights=2)


def test_multi_sgd_symbolic():
    names = ["w0", "g0", "m0", "w1", "g1", "m1"]
    sym = mx.sym.multi_sgd_mom_update(*[mx.sym.var(n) for n in names], lrs=(0.1, 0.2), wds=(0., 0.5), momentum=0.9,
                                      num_weights=2)
    assert sym.list_arguments() == names
    assert len(sym.list_outputs()) == 2
    _, out_shapes, _ = sym.infer_shape(w0=(3,), w1=(2,))
    assert [tuple(s) for s in out_shapes] == [(3,), (2,)]


# ---------------------------------------------------------------------------------------------------------------
# multi_sum_sq, multi_lars, reset_arrays
# ---------------------------------------------------------------------------------------------------------------
def test_multi_sum_sq_and_lars():
    r = mx.nd.multi_sum_sq(A([1, 2]), A([[1, 2], [3, 4]]), num_arrays=2)
    assert r.dtype == np.float32 and r.shape == (2,)
    close(r, [5, 30])
    close(mx.nd.multi_sum_sq(A([1.5, 2], "float16"), num_arrays=1), [6.25])
    lr, ws, gs, wd = A([0.1, 0.2, 0.3]), A([4., 0., 9.]), A([1., 4., 0.]), A([0.01, 0.02, 0.])
    close(mx.nd.multi_lars(lr, ws, gs, wd, eta=0.5, eps=1e-3), [0.09794319, 0.2, 0.3])
    close(mx.nd.multi_lars(lr, ws, gs, wd, eta=0.5, eps=1e-3, rescale_grad=0.5), [0.1919386, 0.2, 0.3])
    with pytest.raises(MXNetError, match="multi_sum_sq"):
        mx.nd.multi_sum_sq(A([1, 2], "float16"), A([1, 2]), num_arrays=2)


def test_reset_arrays():
    x, y = A([1, 2]), A([[3]], "float64")
    r = mx.nd.reset_arrays(x, y, num_arrays=2)
    assert r == []
    close(x, [0, 0])
    close(y, [[0]])


# ---------------------------------------------------------------------------------------------------------------
# AMP
# ---------------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("src,dst,out_dtype", [
    ("float16", "float32", "float32"), ("float16", "float64", "float64"), ("float16", "int32", "int32"),
    ("float32", "float16", "float16"), ("float32", "int8", "int8"), ("float32", "float64", "float64"),
    ("float64", "float16", "float64"), ("float64", "int32", "float64"), ("int32", "float16", "int32"),
    ("uint8", "float32", "uint8"),
])
def test_amp_cast(src, dst, out_dtype):
    r = mx.nd.amp_cast(A([1.7, 2], src), dtype=dst)
    assert r.dtype == np.dtype(out_dtype)
    np.testing.assert_array_equal(r.asnumpy(), np.array([1.7, 2], dtype=src).astype(out_dtype))


@pytest.mark.parametrize("dtypes,narrow,expected", [
    (("float16", "float32"), False, ("float32", "float32")),
    (("float16", "float32"), True, ("float16", "float16")),
    (("float16", "float64"), False, ("float16", "float64")),
    (("float16", "int32"), False, ("float16", "int32")),
    (("float16", "float64"), True, ("float16", "float64")),
    (("float32", "float64"), False, ("float32", "float64")),
    (("float32", "float64"), True, ("float32", "float64")),
])
def test_amp_multicast(dtypes, narrow, expected):
    outs = mx.nd.amp_multicast(*[A([1.5, 2.25], t) for t in dtypes], num_outputs=len(dtypes), cast_narrow=narrow)
    assert [o.dtype for o in outs] == [np.dtype(t) for t in expected]
    for o, t in zip(outs, dtypes):
        np.testing.assert_array_equal(o.asnumpy().astype(np.float64), np.array([1.5, 2.25], dtype=t))


# MXNet 1.9.1's infer_type_partial: the outputs of the inputs whose types are known, from those types alone.
@pytest.mark.parametrize("narrow,known,expected_out", [
    (False, {"a": np.float32}, [np.float32, None, None]),
    (False, {"a": np.float16}, [np.float16, None, None]),
    (False, {"a": np.float32, "b": np.float16}, [np.float32, np.float32, None]),
    (False, {"a": np.int32}, [np.int32, None, None]),
    (True, {"a": np.float32, "b": np.float16}, [np.float16, np.float16, None]),
    (True, {"a": np.float64}, [np.float64, None, None]),
])
def test_amp_multicast_partial_type_inference(narrow, known, expected_out):
    a, b, c = mx.sym.Variable("a"), mx.sym.Variable("b"), mx.sym.Variable("c")
    s = mx.sym.amp_multicast(a, b, c, num_outputs=3, cast_narrow=narrow)
    args, outs, _ = s.infer_type_partial(**known)
    assert args == [known.get(n) for n in "abc"]
    assert outs == expected_out


def test_amp_cast_gradient():
    x = A([1., 2.])
    x.attach_grad()
    with mx.autograd.record():
        y = mx.nd.amp_cast(x, dtype="float16")
        z = (y.astype("float32") * A([3, 4])).sum()
    z.backward()
    assert x.grad.dtype == np.float32
    close(x.grad, [3, 4])
    a, b = A([1., 2.], "float16"), A([3., 4.])
    a.attach_grad()
    b.attach_grad()
    with mx.autograd.record():
        o = mx.nd.amp_multicast(a, b, num_outputs=2)
        z = (o[0] * 2 + o[1] * 3).sum()
    z.backward()
    assert a.grad.dtype == np.float16
    close(a.grad, [2, 2])
    close(b.grad, [3, 3])


def test_all_finite():
    fin, inf, nan = A([1, 2]), A([1, np.inf]), A([np.nan, 1], "float16")
    r = mx.nd.all_finite(fin)
    assert r.dtype == np.float32 and r.shape == (1,)
    close(r, [1])
    close(mx.nd.all_finite(inf), [0])
    close(mx.nd.all_finite(nan), [0])
    close(mx.nd.all_finite(A([1, 2], "float16")), [1])
    o = A([5.])
    mx.nd.all_finite(fin, init_output=False, out=o)
    close(o, [5])  # left as it was
    mx.nd.all_finite(inf, init_output=False, out=o)
    close(o, [0])
    close(mx.nd.multi_all_finite(fin, inf, num_arrays=2), [0])
    close(mx.nd.multi_all_finite(fin, fin, num_arrays=2), [1])
    close(mx.nd.multi_all_finite(fin), [1])
    with pytest.raises(MXNetError, match="multi_all_finite.*expects 1 input"):  # num_arrays defaults to 1
        mx.nd.multi_all_finite(fin, inf)


# ---------------------------------------------------------------------------------------------------------------
# Multi-tensor AdamW and LAMB (mx.nd.contrib.multi_*_update over the _multi_*_update operators)
# ---------------------------------------------------------------------------------------------------------------
def _adam_tensors(mp):
    wt = "float16" if mp else "float32"
    t = [[A([0.5, -1.0, 2.0], wt), A([4., 5.], wt)], [A([0.3, -0.2, 0.0], wt), A([1.5, -0.5], wt)],
         [A([0.1, -0.1, 0.2]), A([0., 1.])], [A([0.04, 0.01, 0.09]), A([0., 0.2])]]
    if mp:
        t.append([A([0.5001, -1.0002, 2.0003]), A([4.001, 5.])])
    return t


def _check_lists(got, expected, mp):
    for k, (a, e) in enumerate(zip(got, expected)):
        close(a, e, **(dict(rtol=0, atol=0) if mp and k < 2 else {}))


def test_multi_adamw_update():
    w, g, m, v = _adam_tensors(False)
    mx.nd.contrib.multi_adamw_update(w, g, m, v, A([2.0]), lrs=[0.1, 0.2], wds=[0.2, 0.0], etas=[0.5, 1.0], out=w,
                                     clip_gradient=0.5)
    _check_lists(w + m + v, [
        [0.41509151458740234, -0.835482120513916, 1.7699849605560303], [3.3675405979156494, 4.619915962219238],
        [0.14, -0.13, 0.18], [0.05, 0.85], [0.04021, 0.01015, 0.08991], [0.00025, 0.20005]], False)
    # the operator itself: inputs interleaved per weight, then rescale_grad
    w, g, m, v = _adam_tensors(False)
    data = [x for k in range(2) for x in (w[k], g[k], m[k], v[k])] + [A([0.0])]
    mx.nd._multi_adamw_update(*data, lrs=(0.1, 0.2), wds=(0.2, 0.0), etas=(0.5, 1.0), num_weights=2, out=w)
    close(w[0], [0.5, -1.0, 2.0])  # rescale_grad 0: skipped
    close(m[1], [0., 1.])


def test_multi_mp_adamw_update():
    w, g, m, v, w32 = _adam_tensors(True)
    mx.nd.contrib.multi_mp_adamw_update(w, g, m, v, w32, A([2.0]), lrs=[0.1, 0.2], wds=[0.2, 0.0],
                                        etas=[0.5, 1.0], out=w, clip_gradient=0.5)
    _check_lists(w + m + v + w32, [
        [0.415283203125, -0.83544921875, 1.7705078125], [3.369140625, 4.62109375],
        [0.14000001549720764, -0.12999024987220764, 0.17999999225139618], [0.05, 0.85],
        [0.040209993720054626, 0.010149925947189331, 0.08991000801324844], [0.00025, 0.20005],
        [0.4151815176010132, -0.8356667160987854, 1.7702549695968628], [3.3685405254364014, 4.619915962219238]],
        True)


def test_multi_lamb_update():
    w, g, m, v = _adam_tensors(False)
    mx.nd.contrib.multi_lamb_update(w, g, m, v, step_count=[1, 2], lrs=[0.1, 0.2], wds=[0.2, 0.0], out=w,
                                    clip_gradient=0.5, rescale_grad=2.0)
    _check_lists(w + m + v, [
        [0.41885867714881897, -0.8461947441101074, 1.8508020639419556], [2.9023399353027344, 4.340346813201904],
        [0.14, -0.13, 0.18], [0.05, 0.85], [0.04021, 0.01015, 0.08991], [0.00025, 0.20005]], False)
    w, g, m, v = _adam_tensors(False)
    mx.nd.contrib.multi_lamb_update(w, g, m, v, step_count=[1, 2], lrs=[0.1, 0.2], wds=[0.2, 0.0], out=w,
                                    lower_bound=0.5, upper_bound=1.0, bias_correction=False, beta1=0.8, beta2=0.9,
                                    epsilon=1e-3)
    _check_lists(w + m + v, [
        [0.4565955698490143, -0.9286990165710449, 1.944934368133545], [3.9242684841156006, 4.814892768859863],
        [0.14, -0.12, 0.16], [0.3, 0.7], [0.045, 0.013, 0.081], [0.225, 0.205]], False)


def test_multi_mp_lamb_update():
    w, g, m, v, w32 = _adam_tensors(True)
    mx.nd.contrib.multi_mp_lamb_update(w, g, m, v, w32, step_count=[1, 2], lrs=[0.1, 0.2], wds=[0.2, 0.0], out=w,
                                       clip_gradient=0.5, rescale_grad=2.0)
    _check_lists(w + m + v + w32, [
        [0.4189453125, -0.84619140625, 1.8515625], [2.904296875, 4.33984375],
        [0.14000001549720764, -0.12999023497104645, 0.17999999225139618], [0.05, 0.85],
        [0.040209997445344925, 0.010149920359253883, 0.08991000801324844], [0.00025, 0.20005],
        [0.4189584255218506, -0.8464010953903198, 1.8510955572128296], [2.9033398628234863, 4.340346813201904]],
        True)


def test_multi_adam_errors():
    w, g, m, v = _adam_tensors(False)
    data = [x for k in range(2) for x in (w[k], g[k], m[k], v[k])]
    with pytest.raises(MXNetError, match="_multi_lamb_update.*step_count"):
        mx.nd._multi_lamb_update(*data, learning_rates=(0.1, 0.2), wds=(0., 0.), step_count=(1,), num_tensors=2)
    with pytest.raises(MXNetError, match="_multi_adamw_update.*etas"):
        mx.nd._multi_adamw_update(*data, A([1.]), lrs=(0.1, 0.2), wds=(0., 0.), etas=(1.,), num_weights=2)
    assert mx.nd._adamw_update is not None and mx.nd._mp_adamw_update is not None  # MXNet's aliases


@pytest.mark.parametrize("name,momentum", [("sgd", 0.0), ("sgd", 0.9), ("nag", 0.9), ("nag", 0.0)])
def test_optimizer_multi_precision_uses_the_fused_update(name, momentum):
    # SGD and NAG with multi_precision step float16 weights through mp_sgd_update / mp_sgd_mom_update /
    # mp_nag_mom_update: the same weights and master copies as the generic path (the update of a float32 master
    # copy from the gradient converted to float32, copied back to the weight).
    res = []
    for generic in (False, True):
        opt = mx.optimizer.create(name, learning_rate=0.1, momentum=momentum, wd=0.01, multi_precision=True,
                                  rescale_grad=0.5, clip_gradient=0.7)
        w = mx.nd.array(np.linspace(-1, 1, 7), dtype="float16")
        st = opt.create_state_multi_precision(0, w)
        for k in range(3):
            g = mx.nd.array(np.sin(np.arange(7) + k) * 2, dtype="float16")
            if generic:
                mx.optimizer.Optimizer.update_multi_precision(opt, 0, w, g, st)
            else:
                opt.update_multi_precision(0, w, g, st)
        res.append((w.asnumpy().astype(np.float64), st[0].asnumpy()))
    np.testing.assert_allclose(res[0][1], res[1][1], rtol=1e-6, atol=1e-7)
    np.testing.assert_array_equal(res[0][0], res[1][0])
