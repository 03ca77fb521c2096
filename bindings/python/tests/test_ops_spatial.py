"""CTCLoss (+ gluon.loss.CTCLoss), GridGenerator, BilinearSampler, SpatialTransformer, ROIPooling, contrib.ROIAlign,
SVMOutput, Crop, softmax_cross_entropy, split_v2, histogram, im2col/col2im through the Python binding: values printed
by MXNet 1.9.1, NumPy references, autograd, symbols, errors."""
import itertools

import numpy as np
import pytest

import mxc as mx
from mxc.base import MXNetError


def _x_tnc():
    return np.sin(np.arange(24) * 0.7).reshape(4, 2, 3) * 2


def _brute_ctc(x, label, blank):
    """-log sum over all paths (softmax per step) collapsing to label: x (T, C) of one sample."""
    p = np.exp(x - x.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    total = 0.0
    for path in itertools.product(range(x.shape[1]), repeat=x.shape[0]):
        out, prev = [], None
        for c in path:
            if c != prev and c != blank:
                out.append(c)
            prev = c
        if out == list(label):
            total += np.prod([p[t, c] for t, c in enumerate(path)])
    return -np.log(total)


def test_ctc_loss_as_mxnet_and_brute_force():
    x = mx.nd.array(_x_tnc())
    lab = mx.nd.array([[1, 2], [1, 0]])
    x.attach_grad()
    with mx.autograd.record():
        loss = mx.nd.CTCLoss(x, lab)
    loss.backward()
    np.testing.assert_allclose(loss.asnumpy(), [2.1604502201080322, 1.938110589981079], rtol=1e-5)
    np.testing.assert_allclose(x.grad.asnumpy().reshape(-1)[:6],
                               [-0.049907341599464417, -0.5581056475639343, 0.6080130338668823,
                                -0.054962754249572754, -0.00647205114364624, 0.06143468990921974], rtol=1e-4,
                               atol=1e-6)
    xn = _x_tnc()
    np.testing.assert_allclose(loss.asnumpy(), [_brute_ctc(xn[:, 0], [1, 2], 0), _brute_ctc(xn[:, 1], [1], 0)],
                               rtol=1e-5)
    # aliases and contrib names
    for fn in (mx.nd.ctc_loss, mx.nd.contrib.CTCLoss, mx.nd.contrib.ctc_loss):
        np.testing.assert_allclose(fn(x, lab).asnumpy(), loss.asnumpy(), rtol=1e-6)
    # blank last, and only label lengths (the data_lengths input left out)
    np.testing.assert_allclose(mx.nd.CTCLoss(x, mx.nd.array([[0, 1], [0, -1]]), blank_label="last").asnumpy(),
                               [1.7685527801513672, 3.0183420181274414], rtol=1e-5)
    ll = mx.nd.CTCLoss(x, lab, None, mx.nd.array([1, 1]), use_label_lengths=True).asnumpy()
    np.testing.assert_allclose(ll, [_brute_ctc(xn[:, 0], [1], 0), _brute_ctc(xn[:, 1], [1], 0)], rtol=1e-5)
    both = mx.nd.CTCLoss(x, lab, mx.nd.array([3, 4]), mx.nd.array([1, 1]), use_data_lengths=True,
                         use_label_lengths=True)
    np.testing.assert_allclose(both.asnumpy(), [1.863693118095398, 1.938110589981079], rtol=1e-5)


def test_ctc_loss_symbol():
    s = mx.sym.CTCLoss(mx.sym.var("data"), mx.sym.var("label"))
    assert s.list_arguments() == ["data", "label"]
    _, out, _ = s.infer_shape(data=(4, 2, 3), label=(2, 2))
    assert out == [(2,)]
    s2 = mx.sym.CTCLoss(mx.sym.var("data"), mx.sym.var("label"), use_label_lengths=True, name="ctc")
    assert s2.list_arguments() == ["data", "label", "ctc_label_lengths"]
    s3 = mx.sym.CTCLoss(mx.sym.var("data"), mx.sym.var("label"), mx.sym.var("dl"), mx.sym.var("ll"),
                        use_data_lengths=True, use_label_lengths=True)
    assert s3.list_arguments() == ["data", "label", "dl", "ll"]
    exe = s.bind(mx.current_context(), {"data": mx.nd.array(_x_tnc()), "label": mx.nd.array([[1, 2], [1, 0]])})
    np.testing.assert_allclose(exe.forward()[0].asnumpy(), [2.1604502201080322, 1.938110589981079], rtol=1e-5)


def test_ctc_loss_errors():
    x = mx.nd.array(_x_tnc())
    with pytest.raises(MXNetError, match="CTCLoss.*batch size"):
        mx.nd.CTCLoss(x, mx.nd.array([[1, 2]]))
    with pytest.raises(MXNetError, match="CTCLoss.*3"):
        mx.nd.CTCLoss(x[0], mx.nd.array([[1, 2], [1, 0]]))
    with pytest.raises(MXNetError, match="CTCLoss.*sequence length"):
        mx.nd.CTCLoss(x, mx.nd.ones((2, 5)))
    with pytest.raises(MXNetError, match="label\\[0, 1\\] = 7"):
        mx.nd.CTCLoss(x, mx.nd.array([[1, 7], [1, 0]])).asnumpy()


# MXNet 1.9.1: gluon.loss.CTCLoss on x = sin(arange(24) * 0.7).reshape(2, 4, 3) * 2 (NTC), label [[0, 1], [0, -1]].
@pytest.mark.parametrize("hybridize", [False, True])
def test_gluon_ctc_loss(hybridize):
    x = mx.nd.array(np.sin(np.arange(24) * 0.7).reshape(2, 4, 3) * 2)
    lab = mx.nd.array([[0, 1], [0, -1]])
    want = [1.4540460109710693, 3.0210070610046387]

    def make(**kw):
        loss = mx.gluon.loss.CTCLoss(**kw)
        if hybridize:
            loss.hybridize()
        return loss

    np.testing.assert_allclose(make()(x, lab).asnumpy(), want, rtol=1e-5)
    np.testing.assert_allclose(make(layout="TNC")(x.swapaxes(0, 1), lab).asnumpy(), want, rtol=1e-5)
    np.testing.assert_allclose(make(label_layout="TN")(x, lab.T).asnumpy(), want, rtol=1e-5)
    np.testing.assert_allclose(make()(x, lab, mx.nd.array([3, 4]), mx.nd.array([1, 1])).asnumpy(),
                               [0.9603566527366638, 3.0210070610046387], rtol=1e-5)
    np.testing.assert_allclose(make(weight=2.0)(x, lab, None, None, mx.nd.array([1.0, 0.5])).asnumpy(),
                               [2.9080920219421387, 3.0210070610046387], rtol=1e-5)
    x.attach_grad()
    with mx.autograd.record():
        loss = make()(x, lab)
    loss.backward()
    assert x.grad.shape == (2, 4, 3)
    # the gradient of a CTC loss w.r.t. the activations sums to zero over the alphabet at every step
    np.testing.assert_allclose(x.grad.asnumpy().sum(axis=2), 0, atol=1e-5)
    with pytest.raises(AssertionError):
        mx.gluon.loss.CTCLoss(layout="NCT")


def _bilinear_ref(data, grid):
    n, c, h, w = data.shape
    out = np.zeros((n, c) + grid.shape[2:])
    for b in range(n):
        for i in range(grid.shape[2]):
            for j in range(grid.shape[3]):
                x = (grid[b, 0, i, j] + 1) * (w - 1) / 2
                y = (grid[b, 1, i, j] + 1) * (h - 1) / 2
                x0, y0 = int(np.floor(x)), int(np.floor(y))
                for yy, wy in ((y0, 1 - (y - y0)), (y0 + 1, y - y0)):
                    for xx, wx in ((x0, 1 - (x - x0)), (x0 + 1, x - x0)):
                        if 0 <= yy < h and 0 <= xx < w:
                            out[b, :, i, j] += data[b, :, yy, xx] * wy * wx
    return out


def test_spatial_transformer_matches_grid_and_sampler():
    rng = np.random.RandomState(3)
    data = rng.uniform(-1, 1, (2, 3, 5, 6))
    loc = np.array([[0.9, 0.1, 0.05, -0.2, 1.1, 0.1], [0.7, -0.3, 0.2, 0.25, 0.8, -0.1]])
    grid = mx.nd.GridGenerator(mx.nd.array(loc), transform_type="affine", target_shape=(4, 3))
    # the affine grid: theta @ [x_t, y_t, 1] over the normalised target coordinates
    yt, xt = np.meshgrid(np.linspace(-1, 1, 4), np.linspace(-1, 1, 3), indexing="ij")
    ref_grid = np.einsum("nij,jhw->nihw", loc.reshape(2, 2, 3), np.stack([xt, yt, np.ones_like(xt)]))
    np.testing.assert_allclose(grid.asnumpy(), ref_grid, rtol=1e-5, atol=1e-6)
    sampled = mx.nd.BilinearSampler(mx.nd.array(data), grid)
    np.testing.assert_allclose(sampled.asnumpy(), _bilinear_ref(data, grid.asnumpy()), rtol=1e-4, atol=1e-5)
    st = mx.nd.SpatialTransformer(mx.nd.array(data), mx.nd.array(loc), target_shape=(4, 3), transform_type="affine",
                                  sampler_type="bilinear")
    np.testing.assert_allclose(st.asnumpy(), sampled.asnumpy(), rtol=1e-5, atol=1e-6)
    s = mx.sym.SpatialTransformer(mx.sym.var("d"), mx.sym.var("l"), target_shape=(4, 5), transform_type="affine",
                                  sampler_type="bilinear")
    arg, out, _ = s.infer_shape(d=(2, 3, 6, 7))
    assert arg == [(2, 3, 6, 7), (2, 6)] and out == [(2, 3, 4, 5)]
    with pytest.raises(MXNetError, match="GridGenerator.*\\(2, 5\\)|GridGenerator.*\\(2,5\\)"):
        mx.nd.GridGenerator(mx.nd.ones((2, 5)), transform_type="affine", target_shape=(2, 2))


def test_roi_pooling_and_align():
    d = mx.nd.array(np.sin(np.arange(120) * 1.3).reshape(2, 2, 5, 6))
    rois = mx.nd.array([[0, 0, 0, 3, 2], [1, 1.2, 0.6, 4.7, 3.9], [0, 2, 1, 2, 1]])
    o = mx.nd.ROIPooling(d, rois, pooled_size=(2, 2), spatial_scale=1.0)
    assert o.shape == (3, 2, 2, 2)
    np.testing.assert_allclose(o.asnumpy().reshape(-1)[:4], [0.9985433220863342, 0.5155013799667358,
                                                             0.9985433220863342, 0.6055397987365723], rtol=1e-5)
    # a bin of one pixel: the pixel itself
    np.testing.assert_allclose(o.asnumpy()[2, :, 0, 0], d.asnumpy()[0, :, 1, 2], rtol=1e-6)
    a = mx.nd.contrib.ROIAlign(d, rois, pooled_size=(2, 3), spatial_scale=1.0)
    np.testing.assert_allclose(a.asnumpy().reshape(-1)[:3], [0.5702999830245972, 0.24258290231227875,
                                                             -0.44051870703697205], rtol=1e-5)
    d.attach_grad()
    with mx.autograd.record():
        out = mx.nd.contrib.ROIAlign(d, rois, pooled_size=(2, 3), spatial_scale=1.0)
    out.backward(mx.nd.ones_like(out))
    # each output averages bilinear weights summing to one: the data gradient sums to the number of outputs whose
    # samples fall inside the image
    np.testing.assert_allclose(d.grad.asnumpy().sum(), out.size, rtol=1e-5)
    with pytest.raises(MXNetError, match="ROIPooling.*rois"):
        mx.nd.ROIPooling(d, mx.nd.ones((2, 4)), pooled_size=(2, 2), spatial_scale=1.0)


def test_svm_crop_sce():
    x = np.sin(np.arange(12) * 0.9).reshape(3, 4)
    lab = np.array([1, 0, 3])
    xa = mx.nd.array(x)
    xa.attach_grad()
    with mx.autograd.record():
        o = mx.nd.SVMOutput(xa, mx.nd.array(lab))
    o.backward()
    sign = -np.ones_like(x)
    sign[np.arange(3), lab] = 1
    np.testing.assert_allclose(o.asnumpy(), x, rtol=1e-6)
    np.testing.assert_allclose(xa.grad.asnumpy(), -2 * sign * np.maximum(0, 1 - sign * x), rtol=1e-5, atol=1e-6)
    d = mx.nd.array(np.arange(120).reshape(2, 2, 5, 6))
    np.testing.assert_array_equal(mx.nd.Crop(d, offset=(1, 2), h_w=(2, 3)).asnumpy(),
                                  d.asnumpy()[:, :, 1:3, 2:5])
    np.testing.assert_array_equal(mx.nd.Crop(d, mx.nd.zeros((1, 1, 3, 3)), center_crop=True).asnumpy(),
                                  d.asnumpy()[:, :, 1:4, 1:4])
    s = mx.sym.Crop(mx.sym.var("d"), mx.sym.var("l"), num_args=2)
    assert s.list_arguments() == ["d", "l"]
    with pytest.raises(MXNetError, match="Crop.*does not fit"):
        mx.nd.Crop(d, offset=(4, 0), h_w=(2, 3))
    e = mx.nd.softmax_cross_entropy(mx.nd.array(x), mx.nd.array(lab))
    p = np.exp(x) / np.exp(x).sum(axis=1, keepdims=True)
    np.testing.assert_allclose(e.asnumpy(), [-np.log(p[np.arange(3), lab]).sum()], rtol=1e-5)


def test_split_v2():
    a = mx.nd.array(np.arange(24).reshape(2, 6, 2))
    # MXNet 1.9.1's shapes
    cases = [((3, 1), [(2, 2, 2)] * 3), (((1, 4), 1), [(2, 1, 2), (2, 3, 2), (2, 2, 2)]),
             (((2,), 0), [(2, 6, 2), (0, 6, 2)]), ((2, 0, True), [(6, 2), (6, 2)]),
             (((0, 2), 1), [(2, 0, 2), (2, 2, 2), (2, 4, 2)]), (((1, 4), -2), [(2, 1, 2), (2, 3, 2), (2, 2, 2)])]
    for args, shapes in cases:
        parts = mx.nd.split_v2(a, *args)
        assert [p.shape for p in parts] == shapes, args
    parts = mx.nd.split_v2(a, (1, 4), axis=1)
    for p, q in zip(parts, np.split(a.asnumpy(), [1, 4], axis=1)):
        np.testing.assert_array_equal(p.asnumpy(), q)
    s = mx.sym.split_v2(mx.sym.var("x"), (1, 4), axis=1)
    assert len(s.list_outputs()) == 3
    assert s.infer_shape(x=(2, 6, 2))[1] == [(2, 1, 2), (2, 3, 2), (2, 2, 2)]
    a.attach_grad()
    with mx.autograd.record():
        r = mx.nd.split_v2(a, (1, 4), axis=1)
    mx.autograd.backward([r[0], r[2]], [mx.nd.ones((2, 1, 2)), mx.nd.ones((2, 2, 2)) * 2])
    # MXNet 1.9.1's gradient (the middle part's gradient zero)
    np.testing.assert_array_equal(a.grad.asnumpy().reshape(-1),
                                  [1, 1, 0, 0, 0, 0, 0, 0, 2, 2, 2, 2, 1, 1, 0, 0, 0, 0, 0, 0, 2, 2, 2, 2])
    with pytest.raises(ValueError, match="indices_or_sections"):
        mx.nd.split_v2(a, 1.5)
    with pytest.raises(MXNetError, match="_split_v2"):
        mx.nd.split_v2(a, 4, axis=1)


def test_histogram():
    x = mx.nd.array([0.1, 0.5, 0.5, 0.9, 1.0, -3, 2.5])
    h, e = mx.nd.histogram(x, bins=4, range=(0, 1))
    assert h.dtype == np.int64
    np.testing.assert_array_equal(h.asnumpy(), [1, 0, 2, 2])
    np.testing.assert_allclose(e.asnumpy(), [0, 0.25, 0.5, 0.75, 1])
    ref_h, ref_e = np.histogram(x.asnumpy(), bins=4, range=(0, 1))
    np.testing.assert_array_equal(h.asnumpy(), ref_h)
    h, e = mx.nd.histogram(x, bins=mx.nd.array([0, 0.5, 1, 3]))
    np.testing.assert_array_equal(h.asnumpy(), [1, 3, 2])
    h, e = mx.nd.histogram(x, bins=3)
    assert h.dtype == np.float32  # MXNet's numpy fallback without a range
    np.testing.assert_array_equal(h.asnumpy(), [1, 3, 3])
    np.testing.assert_allclose(e.asnumpy(), [-3.0, -1.1666666, 0.6666667, 2.5], rtol=1e-6)
    s = mx.sym.histogram(mx.sym.var("x"), bins=4, range=(0, 1))
    assert len(s.list_outputs()) == 2 and s.list_arguments() == ["x"]


def test_im2col_col2im():
    d = mx.nd.array(np.arange(40).reshape(1, 2, 4, 5))
    c = mx.nd.im2col(d, kernel=(2, 3), stride=(1, 2), pad=(1, 0))
    assert c.shape == (1, 12, 10)
    np.testing.assert_array_equal(c.asnumpy()[0, 0], [0, 0, 0, 2, 5, 7, 10, 12, 15, 17])
    back = mx.nd.col2im(c, output_size=(4, 5), kernel=(2, 3), stride=(1, 2), pad=(1, 0))
    # col2im(im2col(x)) multiplies each pixel by the number of blocks covering it
    cover = mx.nd.col2im(mx.nd.im2col(mx.nd.ones_like(d), kernel=(2, 3), stride=(1, 2), pad=(1, 0)),
                         output_size=(4, 5), kernel=(2, 3), stride=(1, 2), pad=(1, 0))
    np.testing.assert_allclose(back.asnumpy(), d.asnumpy() * cover.asnumpy())
    # adjoint: <im2col(x), y> == <x, col2im(y)>
    rng = np.random.RandomState(0)
    x, y = rng.randn(2, 3, 5, 4), rng.randn(2, 3 * 4, 15)
    kw = dict(kernel=(2, 2), dilate=(2, 1), pad=(1, 0), stride=(1, 1))
    lhs = (mx.nd.im2col(mx.nd.array(x, dtype="float64"), **kw).asnumpy() * y).sum()
    rhs = (x * mx.nd.col2im(mx.nd.array(y, dtype="float64"), output_size=(5, 4), **kw).asnumpy()).sum()
    np.testing.assert_allclose(lhs, rhs, rtol=1e-10)
    with pytest.raises(MXNetError, match="im2col"):
        mx.nd.im2col(d, kernel=(6, 3))


# MXNet 1.9.1: x = sin(arange(480) * 0.37).reshape(20, 4, 6) * 3, labels with repeats, blank first/last, with and
# without lengths (data [20, 11, 15, 3], labels [4, 3, 6, 1]), head gradient [1, 0.5, 2, 1.5]: the losses, the sum of
# squares of the gradient and its row x.grad[5, 2].
@pytest.mark.parametrize("blank,lengths,loss,sq,row", [
    ("first", False, [34.9336, 29.35, 25.9535, 43.0063], 50.0457, [-0.485, -0.1301, -0.6489, -0.4267, 0.3894, 1.3014]),
    ("first", True, [34.9336, 10.5834, 17.3578, 4.6097], 29.0313, [-0.2298, 0.016, -0.1966, -1.0226, 0.1336, 1.2994]),
    ("last", False, [27.5573, 39.5623, 24.12, 41.9162], 50.5841, [-0.0438, -0.1126, 0.0211, 0.1483, 0.4455, -0.4584]),
    ("last", True, [27.5573, 21.0005, 16.1191, 4.3842], 26.2143, [0.008, -0.0801, -0.0137, 0.1447, 0.4454, -0.5043]),
])
def test_ctc_loss_longer_sequences_as_mxnet(blank, lengths, loss, sq, row):
    x = mx.nd.array(np.sin(np.arange(480) * 0.37).reshape(20, 4, 6) * 3)
    lab = [[1, 2, 2, 3, 0, 0], [5, 5, 5, 0, 0, 0], [1, 2, 3, 4, 5, 1], [4, 0, 0, 0, 0, 0]]
    if blank == "last":
        lab = [[v - 1 for v in r] for r in lab]
    args, kw = [x, mx.nd.array(lab)], dict(blank_label=blank)
    if lengths:
        args += [mx.nd.array([20, 11, 15, 3]), mx.nd.array([4, 3, 6, 1])]
        kw.update(use_data_lengths=True, use_label_lengths=True)
    x.attach_grad()
    with mx.autograd.record():
        out = mx.nd.CTCLoss(*args, **kw)
    out.backward(mx.nd.array([1.0, 0.5, 2.0, 1.5]))
    g = x.grad.asnumpy()
    np.testing.assert_allclose(out.asnumpy(), loss, rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose((g ** 2).sum(), sq, rtol=1e-4)
    np.testing.assert_allclose(g[5, 2], row, atol=2e-4)


def test_large_batches_match_sample_by_sample():
    """Batches large enough for the parallel loops give what each sample (or roi) gives alone."""
    rng = np.random.RandomState(5)
    x = mx.nd.array(rng.uniform(-2, 2, (60, 16, 30)), dtype="float64")
    lab = rng.randint(1, 30, (16, 12)).astype(np.float64)
    lab[::3, 8:] = 0
    x.attach_grad()
    with mx.autograd.record():
        loss = mx.nd.CTCLoss(x, mx.nd.array(lab, dtype="float64"))
    loss.backward()
    for n in (0, 5, 15):
        xn = mx.nd.array(x.asnumpy()[:, n:n + 1], dtype="float64")
        xn.attach_grad()
        with mx.autograd.record():
            ln = mx.nd.CTCLoss(xn, mx.nd.array(lab[n:n + 1], dtype="float64"))
        ln.backward()
        np.testing.assert_allclose(loss.asnumpy()[n], ln.asnumpy()[0], rtol=1e-12)
        np.testing.assert_allclose(x.grad.asnumpy()[:, n], xn.grad.asnumpy()[:, 0], rtol=1e-10, atol=1e-12)
    d = mx.nd.array(rng.uniform(-1, 1, (2, 16, 24, 24)))
    rois = np.concatenate([rng.randint(0, 2, (64, 1)), rng.uniform(0, 10, (64, 2)), rng.uniform(12, 23, (64, 2))],
                          axis=1)
    for op in (mx.nd.ROIPooling, mx.nd.contrib.ROIAlign):
        full = op(d, mx.nd.array(rois), pooled_size=(4, 4), spatial_scale=1.0).asnumpy()
        for r in (0, 31, 63):
            one = op(d, mx.nd.array(rois[r:r + 1]), pooled_size=(4, 4), spatial_scale=1.0).asnumpy()
            np.testing.assert_allclose(full[r], one[0], rtol=1e-6)
    grid = mx.nd.array(rng.uniform(-1.1, 1.1, (8, 2, 20, 20)))
    d8 = mx.nd.array(rng.uniform(-1, 1, (8, 4, 16, 16)))
    d8.attach_grad()
    grid.attach_grad()
    with mx.autograd.record():
        out = mx.nd.BilinearSampler(d8, grid)
    out.backward(mx.nd.ones_like(out))
    d1, g1 = mx.nd.array(d8.asnumpy()[3:4]), mx.nd.array(grid.asnumpy()[3:4])
    d1.attach_grad()
    g1.attach_grad()
    with mx.autograd.record():
        o1 = mx.nd.BilinearSampler(d1, g1)
    o1.backward(mx.nd.ones_like(o1))
    np.testing.assert_allclose(d8.grad.asnumpy()[3], d1.grad.asnumpy()[0], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(grid.grad.asnumpy()[3], g1.grad.asnumpy()[0], rtol=1e-5, atol=1e-5)
    img = mx.nd.array(rng.uniform(-1, 1, (8, 8, 20, 20)))
    cols = mx.nd.im2col(img, kernel=(3, 3), pad=(1, 1)).asnumpy()
    np.testing.assert_allclose(cols[6], mx.nd.im2col(img[6:7], kernel=(3, 3), pad=(1, 1)).asnumpy()[0])
