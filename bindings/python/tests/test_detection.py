"""MXNet 1.9.1's contrib detection operators: box_iou, box_nms (box_non_maximum_suppression), bipartite_matching,
box_encode, box_decode, MultiBoxPrior, MultiBoxTarget and MultiBoxDetection.

Values marked "MXNet 1.9.1" were printed by Apache MXNet 1.9.1 for the same calls; the others are checked against
naive NumPy references written here (float32 arithmetic, as the kernels compute).
"""
import numpy as np
import pytest

import mxc as mx
from mxc import autograd, nd
from mxc.base import MXNetError

F = np.float32


# ---- naive references -------------------------------------------------------------------------------------------
def _iou(a, b):
    w = min(a[2], b[2]) - max(a[0], b[0])
    h = min(a[3], b[3]) - max(a[1], b[1])
    if w <= 0 or h <= 0:
        return F(0)
    inter = F(w) * F(h)
    area = lambda r: F(0) if r[2] < r[0] or r[3] < r[1] else F(r[2] - r[0]) * F(r[3] - r[1])
    return F(inter / (area(a) + area(b) - inter))


def _corner(c):
    return np.array([c[0] - c[2] / 2, c[1] - c[3] / 2, c[0] + c[2] / 2, c[1] + c[3] / 2], F)


def _center(c):
    w, h = c[2] - c[0], c[3] - c[1]
    return np.array([c[0] + w / 2, c[1] + h / 2, w, h], F)


def _order(keys, asc=False):
    keys = np.asarray(keys)
    return list(np.argsort(keys if asc else -keys, kind="stable"))


def _nms_ref(data, overlap_thresh=0.5, valid_thresh=0.0, topk=-1, coord_start=2, score_index=1, id_index=-1,
             background_id=-1, force_suppress=False, in_format="corner", out_format="corner"):
    data = np.asarray(data, F)
    lead = data.shape[:-2]
    flat = data.reshape(-1, data.shape[-2], data.shape[-1])
    out = np.full_like(flat, -1)
    for b, x in enumerate(flat):
        cand = [i for i in range(len(x)) if x[i, score_index] > F(valid_thresh)
                and not (id_index >= 0 and x[i, id_index] == background_id)]
        cand = [cand[k] for k in _order([x[i, score_index] for i in cand])]
        if topk > 0:
            cand = cand[:topk]
        box = lambda i: _corner(x[i, coord_start:coord_start + 4]) if in_format == "center" else \
            x[i, coord_start:coord_start + 4]
        kept = []
        for i in cand:
            if all(not (force_suppress or id_index < 0 or x[i, id_index] == x[j, id_index])
                   or _iou(box(j), box(i)) <= F(overlap_thresh) for j in kept):
                kept.append(i)
        for r, i in enumerate(kept):
            out[b, r] = x[i]
            if in_format != out_format:
                c = x[i, coord_start:coord_start + 4]
                out[b, r, coord_start:coord_start + 4] = _corner(c) if in_format == "center" else _center(c)
    return out.reshape(data.shape)


def _bipartite_ref(s, threshold, is_ascend=False):
    s = np.asarray(s, F)
    n, m = s.shape
    rows, cols = -np.ones(n), -np.ones(m)
    for k in _order(s.ravel(), is_ascend):
        v = s.flat[k]
        if (v >= F(threshold)) if is_ascend else (v <= F(threshold)):
            break
        r, c = divmod(k, m)
        if rows[r] < 0 and cols[c] < 0:
            rows[r], cols[c] = c, r
    return rows, cols


def _prior_ref(h, w, sizes=(1.0,), ratios=(1.0,), clip=False, steps=(-1.0, -1.0), offsets=(0.5, 0.5)):
    sy = steps[0] if steps[0] > 0 else 1.0 / h
    sx = steps[1] if steps[1] > 0 else 1.0 / w
    shapes = [(s, ratios[0]) for s in sizes] + [(sizes[0], r) for r in ratios[1:]]
    out = []
    for r in range(h):
        for c in range(w):
            cy, cx = (r + offsets[0]) * sy, (c + offsets[1]) * sx
            for s, ra in shapes:
                bw, bh = s * h / w * np.sqrt(ra) / 2, s / np.sqrt(ra) / 2
                out.append([cx - bw, cy - bh, cx + bw, cy + bh])
    out = np.array(out)[None]
    return np.clip(out, 0, 1) if clip else out


def _decode_ref(d, anc, stds=(1, 1, 1, 1), clip=-1.0, fmt="center"):
    out = np.zeros(d.shape)
    for b in range(d.shape[0]):
        for i in range(d.shape[1]):
            a = anc[0, i] if fmt == "center" else _center(anc[0, i])
            ox, oy = d[b, i, 0] * stds[0] * a[2] + a[0], d[b, i, 1] * stds[1] * a[3] + a[1]
            dw, dh = d[b, i, 2] * stds[2], d[b, i, 3] * stds[3]
            if clip > 0:
                dw, dh = min(dw, clip), min(dh, clip)
            hw, hh = np.exp(dw) * a[2] / 2, np.exp(dh) * a[3] / 2
            out[b, i] = [ox - hw, oy - hh, ox + hw, oy + hh]
    return out


def _encode_ref(samples, matches, anchors, refs, means, stds):
    t, m = np.zeros(anchors.shape), np.zeros(anchors.shape)
    for b in range(samples.shape[0]):
        for i in range(samples.shape[1]):
            if samples[b, i] > 0.5:
                a, g = _center(anchors[b, i]), _center(refs[b, int(matches[b, i])])
                t[b, i] = [((g[0] - a[0]) / a[2] - means[0]) / stds[0], ((g[1] - a[1]) / a[3] - means[1]) / stds[1],
                           (np.log(g[2] / a[2]) - means[2]) / stds[2], (np.log(g[3] / a[3]) - means[3]) / stds[3]]
                m[b, i] = 1
    return t, m


def _detection_ref(cls, loc, anc, clip=True, threshold=0.01, nms_threshold=0.5, force_suppress=False,
                   variances=(0.1, 0.1, 0.2, 0.2), nms_topk=-1):
    B, C, A = cls.shape
    out = np.full((B, A, 6), -1, F)
    for b in range(B):
        valid = []
        for a in range(A):
            j = int(np.argmax(cls[b, 1:, a]))
            score = cls[b, 1 + j, a]
            if score < F(threshold):
                continue
            ac = _center(anc[0, a])
            d = loc[b, 4 * a:4 * a + 4]
            x, y = d[0] * variances[0] * ac[2] + ac[0], d[1] * variances[1] * ac[3] + ac[1]
            hw, hh = np.exp(d[2] * variances[2]) * ac[2] / 2, np.exp(d[3] * variances[3]) * ac[3] / 2
            box = np.array([x - hw, y - hh, x + hw, y + hh], F)
            if clip:
                box = np.clip(box, 0, 1)
            valid.append(np.concatenate([[j, score], box]).astype(F))
        order = _order([v[1] for v in valid])
        keep = len(valid) if nms_topk <= 0 else min(nms_topk, len(valid))
        for r in range(len(valid)):
            out[b, r] = valid[order[r]] if r < keep else valid[r]
            if r >= keep:
                out[b, r, 0] = -1
        for i in range(keep):
            if out[b, i, 0] < 0:
                continue
            for k in range(i + 1, keep):
                if out[b, k, 0] >= 0 and (force_suppress or out[b, k, 0] == out[b, i, 0]) and \
                        _iou(out[b, i, 2:], out[b, k, 2:]) > F(nms_threshold):
                    out[b, k, 0] = -1
    return out


def _grad_of(fn, *xs, head=None):
    xs = [nd.array(x) for x in xs]
    for x in xs:
        x.attach_grad()
    with autograd.record():
        y = fn(*xs)
    (y[0] if isinstance(y, (list, tuple)) else y).backward(head)
    return [x.grad.asnumpy() for x in xs]


# ---- box_iou ----------------------------------------------------------------------------------------------------
def test_box_iou_as_mxnet():
    a = nd.array([[0, 0, 2, 2], [1, 1, 3, 3], [0, 0, 0, 0]])
    b = nd.array([[1, 0, 2, 4], [0, 0, 2, 2]])
    # MXNet 1.9.1
    np.testing.assert_allclose(nd.contrib.box_iou(a, b).asnumpy(),
                               [[0.3333333432674408, 1.0], [0.3333333432674408, 0.1428571492433548], [0.0, 0.0]],
                               rtol=1e-6)
    np.testing.assert_allclose(nd.contrib.box_iou(a, b, format="center").asnumpy(),
                               [[0.20000000298023224, 1.0], [0.4166666567325592, 0.20930232107639313], [0.0, 0.0]],
                               rtol=1e-6)
    assert nd.contrib.box_iou(nd.zeros((2, 3, 4)), nd.zeros((5, 4))).shape == (2, 3, 5)
    # degenerate boxes (MXNet 1.9.1: all 0)
    np.testing.assert_array_equal(nd.contrib.box_iou(nd.array([[0, 0, 0, 0], [2, 2, 1, 1]]),
                                                     nd.array([[0, 0, 0, 0], [0, 0, 3, 3], [2, 2, 1, 1]])).asnumpy(),
                                  np.zeros((2, 3)))


def test_box_iou_naive_and_grad():
    rng = np.random.RandomState(0)
    xy = rng.uniform(0, 1, (2, 3, 2))
    lhs = np.concatenate([xy, xy + rng.uniform(0.1, 0.8, (2, 3, 2))], -1).astype(F)
    xy = rng.uniform(0, 1, (4, 2))
    rhs = np.concatenate([xy, xy + rng.uniform(0.1, 0.8, (4, 2))], -1).astype(F)
    ref = np.array([[[_iou(l, r) for r in rhs] for l in row] for row in lhs])
    np.testing.assert_allclose(nd.contrib.box_iou(nd.array(lhs), nd.array(rhs)).asnumpy(), ref, rtol=1e-5, atol=1e-7)
    g = _grad_of(lambda x, y: nd.contrib.box_iou(x, y), lhs, rhs)
    assert all(np.all(x == 0) for x in g)  # MXNet 1.9.1: the gradient is zero
    with pytest.raises(MXNetError, match="box_iou"):
        nd.contrib.box_iou(nd.zeros((2, 3)), nd.zeros((2, 4)))
    with pytest.raises(MXNetError, match="box_iou"):  # MXNet 1.9.1: lhs and rhs need 2 dimensions
        nd.contrib.box_iou(nd.zeros((4,)), nd.zeros((2, 4)))
    assert nd.contrib.box_iou(nd.zeros((1, 4), dtype="float64"), nd.zeros((2, 4), dtype="float64")).dtype == np.float64


def test_float32_only_operators():
    # MXNet 1.9.1 takes float32 only for MultiBoxPrior/Target/Detection and (Multi)Proposal; float16 runs through
    # float32 as everywhere in mxc
    f64 = lambda *s: [nd.ones(x, dtype="float64") for x in s]
    with pytest.raises(MXNetError, match="MultiBoxTarget"):
        nd.contrib.MultiBoxTarget(*f64((1, 2, 4), (1, 1, 5), (1, 3, 2)))
    with pytest.raises(MXNetError, match="MultiBoxDetection"):
        nd.contrib.MultiBoxDetection(*f64((1, 3, 2), (1, 8), (1, 2, 4)))
    with pytest.raises(MXNetError, match="Proposal"):
        nd.contrib.Proposal(*f64((1, 2, 2, 2), (1, 4, 2, 2), (1, 3)), scales=(1,), ratios=(1,))
    out = nd.contrib.MultiBoxDetection(nd.array(DET_CLS, dtype="float16"), nd.array(DET_LOC, dtype="float16"),
                                       nd.array(DET_ANC, dtype="float16"))
    assert out.dtype == np.float16
    np.testing.assert_allclose(out.asnumpy()[:, :, 1], np.array(DET_MXNET[0][1])[:, :, 1], rtol=2e-3)


# ---- box_nms ----------------------------------------------------------------------------------------------------
NMS_DATA = [[0, 0.5, 0, 0, 1, 1], [0, 0.9, 0.1, 0.1, 1.1, 1.1], [1, 0.8, 0, 0, 1, 1], [0, 0.5, 5, 5, 6, 6],
            [0, 0.2, 5, 5, 6.1, 6.1], [1, 0.05, 0, 0, 1, 1]]
_M1 = [-1.0] * 6
_R1 = [0.0, 0.8999999761581421, 0.10000000149011612, 0.10000000149011612, 1.100000023841858, 1.100000023841858]
_R3 = [0.0, 0.5, 5.0, 5.0, 6.0, 6.0]
NMS_MXNET = [  # MXNet 1.9.1
    ({}, [_R1, _R3] + [_M1] * 4),
    ({"id_index": 0}, [_R1, [1.0, 0.800000011920929, 0.0, 0.0, 1.0, 1.0], _R3] + [_M1] * 3),
    ({"id_index": 0, "force_suppress": True}, [_R1, _R3] + [_M1] * 4),
    ({"valid_thresh": 0.3}, [_R1, _R3] + [_M1] * 4),
    ({"topk": 2}, [_R1] + [_M1] * 5),
    ({"id_index": 0, "background_id": 1}, [_R1, _R3] + [_M1] * 4),
    ({"out_format": "center"}, [[0.0, 0.8999999761581421, 0.6000000238418579, 0.6000000238418579, 1.0, 1.0],
                                [0.0, 0.5, 5.5, 5.5, 1.0, 1.0]] + [_M1] * 4),
    ({"in_format": "center"}, [[0.0, 0.8999999761581421, -0.45000001788139343, -0.45000001788139343,
                                0.6500000357627869, 0.6500000357627869], [0.0, 0.5, 2.0, 2.0, 8.0, 8.0]] + [_M1] * 4),
]


@pytest.mark.parametrize("kw,expected", NMS_MXNET)
def test_box_nms_as_mxnet(kw, expected):
    out = nd.contrib.box_nms(nd.array(NMS_DATA), **kw).asnumpy()
    np.testing.assert_allclose(out, expected, rtol=1e-6)
    np.testing.assert_allclose(out, _nms_ref(NMS_DATA, **kw), rtol=1e-6)


def test_box_nms_ties_thresholds_custom_layout():
    # ties keep the input order (MXNet 1.9.1)
    d = nd.array([[i, [0.5, 0.7, 0.5, 0.7, 0.5, 0.3][i], 10 * i, 0, 10 * i + 1, 1] for i in range(6)])
    assert nd.contrib.box_nms(d)[:, 0].asnumpy().tolist() == [1, 3, 0, 2, 4, 5]
    d = nd.array([[0, 0.5, 0, 0, 1, 1], [1, 0.5, 0.05, 0, 1.05, 1], [2, 0.5, 0.1, 0, 1.1, 1]])
    assert nd.contrib.box_nms(d)[:, 0].asnumpy().tolist() == [0, -1, -1]
    # IoU equal to overlap_thresh is kept; a score equal to valid_thresh is not (MXNet 1.9.1)
    d = nd.array([[0, 0.9, 0, 0, 2, 1], [0, 0.8, 1, 0, 3, 1]])
    assert nd.contrib.box_nms(d, overlap_thresh=1 / 3.)[:, 1].asnumpy().tolist() == pytest.approx([0.9, 0.8])
    assert nd.contrib.box_nms(d, overlap_thresh=0.3333)[:, 1].asnumpy().tolist() == pytest.approx([0.9, -1])
    d4 = [[0.9, 7, 0, 0, 1, 1, 3], [0.8, 7, 5, 5, 6, 6, 4], [0.7, 8, 0, 0, 1, 1, 5], [0.1, 7, 9, 9, 10, 10, 6],
          [0.6, 9, 20, 20, 21, 21, 7]]
    kw = dict(score_index=0, id_index=1, coord_start=2)
    out = nd.contrib.box_nms(nd.array(d4), topk=3, valid_thresh=0.15, **kw).asnumpy()
    np.testing.assert_allclose(out[:3, 0], [0.9, 0.8, 0.7], rtol=1e-6)  # MXNet 1.9.1
    np.testing.assert_array_equal(out[3:], -1)
    out = nd.contrib.box_nms(nd.array(d4), background_id=8, **kw).asnumpy()
    np.testing.assert_allclose(out[:, 0], [0.9, 0.8, 0.6, 0.1, -1], rtol=1e-6)  # MXNet 1.9.1
    out = nd.contrib.box_nms(nd.array(d4), score_index=0, coord_start=2, valid_thresh=0.8).asnumpy()
    np.testing.assert_allclose(out[:, 0], [0.9, -1, -1, -1, -1], rtol=1e-6)  # MXNet 1.9.1
    # rows of class -1 are background with the default background_id (MXNet 1.9.1)
    d = nd.array([[-1, 0.9, 0, 0, 1, 1], [0, 0.8, 2, 2, 3, 3], [2, 0.7, 4, 4, 5, 5]])
    assert nd.contrib.box_nms(d, id_index=0)[:, 0].asnumpy().tolist() == [0, 2, -1]
    assert nd.contrib.box_nms(d, background_id=2)[:, 0].asnumpy().tolist() == [-1, 0, 2]
    # scores <= 0 are invalid by default (MXNet 1.9.1)
    d = nd.array([[0, -0.5, 0, 0, 1, 1], [0, 0, 5, 5, 6, 6], [0, 0.3, 9, 9, 10, 10]])
    assert nd.contrib.box_nms(d)[:, 1].asnumpy().tolist() == pytest.approx([0.3, -1, -1])
    assert nd.contrib.box_nms(d, valid_thresh=-1)[:, 1].asnumpy().tolist() == pytest.approx([0.3, 0, -0.5])


def test_box_nms_batched_random_naive():
    rng = np.random.RandomState(3)
    n = 30
    xy = rng.uniform(0, 4, (2, 3, n, 2))
    boxes = np.concatenate([xy, xy + rng.uniform(0.5, 2, (2, 3, n, 2))], -1)
    data = np.concatenate([rng.randint(0, 3, (2, 3, n, 1)), rng.uniform(-0.2, 1, (2, 3, n, 1)).round(2), boxes],
                          -1).astype(F)
    for kw in [{}, dict(id_index=0), dict(id_index=0, force_suppress=True, topk=10), dict(overlap_thresh=0.2,
               valid_thresh=0.3, out_format="center"), dict(in_format="center", id_index=0, background_id=1)]:
        out = nd.contrib.box_nms(nd.array(data), **kw)
        assert out.shape == data.shape
        np.testing.assert_allclose(out.asnumpy(), _nms_ref(data, **kw), rtol=1e-6, atol=1e-6, err_msg=str(kw))
    assert nd.contrib.box_non_maximum_suppression(nd.array(data)).shape == data.shape


def test_box_nms_gradient():
    head = np.arange(36, dtype=F).reshape(6, 6) + 1
    (g,) = _grad_of(lambda x: nd.contrib.box_nms(x, id_index=0), NMS_DATA, head=nd.array(head))
    # MXNet 1.9.1: each kept output row's gradient goes back to its input row
    np.testing.assert_array_equal(g, [[0] * 6, list(range(1, 7)), list(range(7, 13)), list(range(13, 19)), [0] * 6,
                                      [0] * 6])
    d4 = np.array([[0.9, 7, 0, 0, 1, 1, 3], [0.8, 7, 5, 5, 6, 6, 4], [0.7, 8, 0, 0, 1, 1, 5],
                   [0.1, 7, 9, 9, 10, 10, 6], [0.6, 9, 20, 20, 21, 21, 7]], F)
    head = np.arange(35, dtype=F).reshape(5, 7) + 1
    (g,) = _grad_of(lambda x: nd.contrib.box_nms(x, score_index=0, id_index=1, coord_start=2, topk=3,
                                                 valid_thresh=0.15), d4, head=nd.array(head))
    np.testing.assert_array_equal(g[:3], head[:3])  # MXNet 1.9.1
    np.testing.assert_array_equal(g[3:], 0)


def test_box_nms_symbol_and_errors():
    s = mx.sym.contrib.box_nms(mx.sym.var("d"))
    assert len(s.list_outputs()) == 1
    for shape, kw in [((3,), {}), ((3, 5), {}), ((3, 6), dict(coord_start=3)), ((3, 6), dict(score_index=6)),
                      ((3, 6), dict(id_index=7))]:
        with pytest.raises(MXNetError, match="box_nms"):
            nd.contrib.box_nms(nd.zeros(shape), **kw).asnumpy()


# ---- bipartite_matching -------------------------------------------------------------------------------------------
BM = [[0.5, 0.6, 0.1], [0.9, 0.6, 0.3], [0.2, 0.95, 0.4], [0.1, 0.2, 0.3]]


@pytest.mark.parametrize("kw,rows,cols", [  # MXNet 1.9.1
    (dict(threshold=0.25), [-1, 0, 1, 2], [1, 2, 3]),
    (dict(threshold=0.25, topk=2), [-1, 0, 1, 2], [1, 2, 3]),
    (dict(threshold=0.3), [-1, 0, 1, -1], [1, 2, -1]),
    (dict(threshold=0.3, topk=1), [-1, 0, 1, -1], [1, 2, -1]),
    (dict(threshold=0.35, is_ascend=True), [2, -1, -1, 0], [3, -1, 0]),
    (dict(threshold=0.2, is_ascend=True), [2, -1, -1, 0], [3, -1, 0]),
])
def test_bipartite_matching_as_mxnet(kw, rows, cols):
    r, c = nd.contrib.bipartite_matching(nd.array(BM), **kw)
    assert r.asnumpy().tolist() == rows and c.asnumpy().tolist() == cols
    kw.pop("topk", None)
    rr, cc = _bipartite_ref(BM, **kw)
    assert rr.tolist() == rows and cc.tolist() == cols


def test_bipartite_matching_ties_batch_naive_grad():
    r, c = nd.contrib.bipartite_matching(nd.array([[0.5, 0.5], [0.5, 0.3]]), threshold=0.1)
    assert r.asnumpy().tolist() == [0, 1] and c.asnumpy().tolist() == [0, 1]  # MXNet 1.9.1
    r, c = nd.contrib.bipartite_matching(nd.array([[0.3, 0.5], [0.5, 0.5]]), threshold=0.1)
    assert r.asnumpy().tolist() == [1, 0] and c.asnumpy().tolist() == [1, 0]  # MXNet 1.9.1
    s = np.random.RandomState(5).randint(0, 6, (2, 3, 5, 4)).astype(F) / 5
    r, c = nd.contrib.bipartite_matching(nd.array(s), threshold=0.3)
    assert r.shape == (2, 3, 5) and c.shape == (2, 3, 4)
    for i in range(2):
        for j in range(3):
            for asc, thr in [(False, 0.3), (True, 0.7)]:
                rr, cc = _bipartite_ref(s[i, j], thr, asc)
                r, c = nd.contrib.bipartite_matching(nd.array(s), threshold=thr, is_ascend=asc)
                np.testing.assert_array_equal(r.asnumpy()[i, j], rr)
                np.testing.assert_array_equal(c.asnumpy()[i, j], cc)
    (g,) = _grad_of(lambda x: nd.contrib.bipartite_matching(x, threshold=0.1), BM)
    assert np.all(g == 0)  # MXNet 1.9.1
    assert len(mx.sym.contrib.bipartite_matching(mx.sym.var("d"), threshold=0.1).list_outputs()) == 2
    with pytest.raises(MXNetError, match="bipartite_matching"):
        nd.contrib.bipartite_matching(nd.zeros((3,)), threshold=0.1)


# ---- box_encode / box_decode --------------------------------------------------------------------------------------
def test_box_encode_as_mxnet_and_naive():
    samples = np.array([[1, -1, 0, 1]], F)
    matches = np.array([[1, 0, 0, 0]], F)
    anchors = np.array([[[0, 0, 2, 2], [1, 1, 3, 4], [0, 0, 1, 1], [0.5, 0.5, 2.5, 1.5]]], F)
    refs = np.array([[[0.2, 0.1, 2.1, 2.5], [1.5, 0.5, 3, 3.5]]], F)
    means, stds = np.array([0.1, 0.0, -0.1, 0.2], F), np.array([0.1, 0.2, 0.3, 0.4], F)
    t, m = nd.contrib.box_encode(*[nd.array(x) for x in (samples, matches, anchors, refs, means, stds)])
    # MXNet 1.9.1
    np.testing.assert_allclose(t.asnumpy(), [[[5.249999523162842, 2.5, -0.625606894493103, 0.5136627554893494],
                                              [0] * 4, [0] * 4,
                                              [-2.75, 1.5000003576278687, 0.162355437874794, 1.6886719465255737]]],
                               rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(m.asnumpy(), [[[1] * 4, [0] * 4, [0] * 4, [1] * 4]])
    rt, rm = _encode_ref(samples, matches, anchors, refs, means, stds)
    np.testing.assert_allclose(t.asnumpy(), rt, rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(m.asnumpy(), rm)
    # samples of exactly 0.5 are not positive (MXNet 1.9.1)
    t, m = nd.contrib.box_encode(nd.array([[0.5, 0.6]]), nd.array([[0, 0]]), nd.array([[[0, 0, 1, 1]] * 2]),
                                 nd.array([[[0, 0, 2, 2]]]), nd.array([0, 0, 0, 0]), nd.array([1, 1, 1, 1]))
    np.testing.assert_allclose(t.asnumpy(), [[[0] * 4, [0.5, 0.5, 0.6931471824645996, 0.6931471824645996]]],
                               rtol=1e-6)
    np.testing.assert_array_equal(m.asnumpy(), [[[0] * 4, [1] * 4]])
    g = _grad_of(lambda *a: nd.contrib.box_encode(*a), samples, matches, anchors, refs, means, stds)
    assert all(np.all(x == 0) for x in g)  # MXNet 1.9.1
    with pytest.raises(MXNetError, match="box_encode"):
        nd.contrib.box_encode(nd.array(samples), nd.array(matches), nd.array(anchors[:, :3]), nd.array(refs),
                              nd.array(means), nd.array(stds))


DEC_D = [[[0.1, 0.2, 0.3, -0.4], [1.0, -0.5, 2.0, 0.1]]]
DEC_A = [[[1, 1, 2, 4], [0.5, 0.5, 2.5, 1.5]]]


@pytest.mark.parametrize("kw,expected", [  # MXNet 1.9.1
    ({}, [[-0.14985883235931396, 0.45935988426208496, 2.549859046936035, 3.1406400203704834],
          [-6.236320495605469, -1.0788781642913818, 12.236320495605469, 0.5788782238960266]]),
    (dict(format="corner"), [[0.925070583820343, 2.094519853591919, 2.2749295234680176, 4.105480194091797],
                             [-3.8890562057495117, -0.052585482597351074, 10.889056205749512, 1.052585482597351]]),
    (dict(std0=0.1, std1=0.2, std2=0.3, std3=0.4, format="corner"),
     [[0.9629128575325012, 1.3417842388153076, 2.0570871829986572, 3.8982155323028564],
      [-0.12211883068084717, 0.3795945644378662, 3.5221190452575684, 1.420405387878418]]),
    (dict(clip=0.5), [[-0.14985883235931396, 0.45935988426208496, 2.549859046936035, 3.1406400203704834],
                      [0.9390983581542969, -1.0788781642913818, 5.060901641845703, 0.5788782238960266]]),
    (dict(clip=0.5, format="corner"),
     [[0.925070583820343, 2.094519853591919, 2.2749295234680176, 4.105480194091797],
      [1.8512787818908691, -0.052585482597351074, 5.148721218109131, 1.052585482597351]]),
])
def test_box_decode_as_mxnet(kw, expected):
    out = nd.contrib.box_decode(nd.array(DEC_D), nd.array(DEC_A), **kw).asnumpy()
    np.testing.assert_allclose(out, [expected], rtol=1e-5, atol=1e-6)
    stds = [kw.get("std%d" % i, 1.0) for i in range(4)]
    ref = _decode_ref(np.array(DEC_D), np.array(DEC_A), stds, kw.get("clip", -1.0), kw.get("format", "center"))
    np.testing.assert_allclose(out, ref, rtol=1e-5, atol=1e-6)


def test_box_decode_clip_after_std_batch_grad_errors():
    out = nd.contrib.box_decode(nd.array([[[0.1, 0.2, 3.0, -0.4]]]), nd.array([[[1, 1, 2, 4]]]), std2=0.5, clip=1.0)
    np.testing.assert_allclose(out.asnumpy(), [[[-1.5182816982269287, 0.45935988426208496, 3.9182817935943604,
                                                 3.1406400203704834]]], rtol=1e-6)  # MXNet 1.9.1
    rng = np.random.RandomState(2)
    d = rng.uniform(-1, 1, (3, 5, 4)).astype(F)
    a = np.concatenate([rng.uniform(0, 1, (1, 5, 2)), rng.uniform(1.2, 2, (1, 5, 2))], -1).astype(F)
    for fmt in ("center", "corner"):
        np.testing.assert_allclose(nd.contrib.box_decode(nd.array(d), nd.array(a), format=fmt, std1=0.5).asnumpy(),
                                   _decode_ref(d, a, (1, 0.5, 1, 1), -1, fmt), rtol=1e-5, atol=1e-6)
    g = _grad_of(lambda x, y: nd.contrib.box_decode(x, y), d, a)
    assert all(np.all(x == 0) for x in g)  # MXNet 1.9.1
    for sa in [(2, 5, 4), (5, 4), (1, 4, 4)]:
        with pytest.raises(MXNetError, match="box_decode"):
            nd.contrib.box_decode(nd.array(d), nd.zeros(sa))


# ---- MultiBoxPrior --------------------------------------------------------------------------------------------------
PRIOR_MXNET = [  # MXNet 1.9.1 on data of shape (1, 3, 2, 3): the first two anchors
    ({}, (1, 6, 4), [-0.1666666716337204, -0.25, 0.5, 0.75, 0.1666666567325592, -0.25, 0.8333333730697632, 0.75]),
    (dict(sizes=(0.5, 0.25), ratios=(1, 2, 0.5)), (1, 24, 4),
     [0.0, 0.0, 0.3333333432674408, 0.5, 0.0833333358168602, 0.125, 0.25, 0.375]),
    (dict(sizes=(0.5, 0.25), ratios=(2, 0.5)), (1, 18, 4),
     [-0.0690355896949768, 0.0732233077287674, 0.4023689329624176, 0.4267767071723938, 0.048815540969371796,
      0.1616116464138031, 0.2845177948474884, 0.3383883535861969]),
    (dict(sizes=(0.8,), clip=True), (1, 6, 4),
     [0.0, 0.0, 0.4333333373069763, 0.6499999761581421, 0.23333331942558289, 0.0, 0.7666666507720947,
      0.6499999761581421]),
    (dict(steps=(0.3, 0.2), offsets=(0.2, 0.7)), (1, 6, 4),
     [-0.19333334267139435, -0.4399999976158142, 0.47333335876464844, 0.5600000023841858, 0.006666660308837891,
      -0.4399999976158142, 0.6733333468437195, 0.5600000023841858]),
]


@pytest.mark.parametrize("kw,shape,first", PRIOR_MXNET)
def test_multibox_prior_as_mxnet(kw, shape, first):
    out = nd.contrib.MultiBoxPrior(nd.zeros((1, 3, 2, 3)), **kw)
    assert out.shape == shape and out.dtype == np.float32
    np.testing.assert_allclose(out.asnumpy().ravel()[:8], first, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(out.asnumpy(), _prior_ref(2, 3, **kw), rtol=1e-5, atol=1e-6)


def test_multibox_prior_shapes_grad_errors():
    assert nd.contrib.MultiBoxPrior(nd.zeros((4, 2, 5, 7)), sizes=(0.1, 0.2, 0.3), ratios=(1, 2)).shape == \
        (1, 140, 4)  # MXNet 1.9.1
    np.testing.assert_allclose(nd.contrib.MultiBoxPrior(nd.zeros((2, 1, 4, 3)), sizes=[0.3, 0.6], ratios=[1, 3],
                                                        clip=True).asnumpy(),
                               _prior_ref(4, 3, (0.3, 0.6), (1, 3), True), rtol=1e-5, atol=1e-6)
    (g,) = _grad_of(lambda x: nd.contrib.MultiBoxPrior(x), np.ones((1, 3, 2, 3), F))
    assert np.all(g == 0)  # MXNet 1.9.1
    for bad in [dict(steps=(1,)), dict(sizes=()), dict(offsets=(0.5, 0.5, 0.5)), dict(ratios=(0,))]:
        with pytest.raises(MXNetError, match="MultiBoxPrior"):
            nd.contrib.MultiBoxPrior(nd.zeros((1, 3, 2, 3)), **bad)
    with pytest.raises(MXNetError, match="MultiBoxPrior"):
        nd.contrib.MultiBoxPrior(nd.zeros((2, 3)))
    with pytest.raises(MXNetError, match="MultiBoxPrior"):
        nd.contrib.MultiBoxPrior(nd.zeros((1, 1, 2, 2), dtype="float64"))


# ---- MultiBoxTarget -------------------------------------------------------------------------------------------------
TGT_ANC = [[[0, 0, 0.5, 0.5], [0.1, 0.1, 0.55, 0.6], [0.5, 0.5, 1, 1], [0.05, 0.05, 0.5, 0.55], [0.3, 0.2, 0.9, 0.8],
            [0.6, 0.0, 1.0, 0.4]]]
TGT_LAB = [[[1, 0.05, 0.05, 0.5, 0.5], [0, 0.55, 0.5, 1, 0.95], [-1] * 5],
           [[2, 0.3, 0.25, 0.85, 0.8], [-1] * 5, [-1] * 5]]
TGT_CP = np.random.RandomState(0).uniform(-1, 1, (2, 3, 6)).astype(F)
TGT_LOC0 = [0.5000001192092896, 0.5000001192092896, -0.5268027186393738, -0.5268027186393738, -1.1111112833023071,
            -1.5000003576278687, -2.980232238769531e-07, -0.5268027186393738, 0.4999995231628418, -0.4999995231628418,
            -0.5268027186393738, -0.5268027186393738, 0.0, -0.5000001192092896, 0.0, -0.5268027186393738] + [0] * 8
TGT_LOC1 = [0] * 16 + [-0.41666629910469055, 0.41666626930236816, -0.4350564479827881, -0.4350571036338806] + [0] * 4


def test_multibox_target_as_mxnet():
    args = [nd.array(TGT_ANC), nd.array(TGT_LAB), nd.array(TGT_CP)]
    for kw, cls in [({}, [[2, 2, 1, 2, 0, 0], [0, 0, 0, 0, 3, 0]]),  # MXNet 1.9.1
                    (dict(overlap_threshold=0.3), [[2, 2, 1, 2, 0, 0], [0, 0, 0, 0, 3, 0]]),
                    (dict(negative_mining_ratio=1), [[2, 2, 1, 2, 0, 0], [-1, -1, -1, 0, 3, -1]]),
                    (dict(negative_mining_ratio=1, negative_mining_thresh=0.3),
                     [[2, 2, 1, 2, 0, 0], [-1, -1, -1, 0, 3, -1]]),
                    (dict(negative_mining_ratio=1, minimum_negative_samples=3),
                     [[2, 2, 1, 2, 0, 0], [-1, -1, -1, 0, 3, -1]])]:
        loc, mask, c = nd.contrib.MultiBoxTarget(*args, **kw)
        assert loc.shape == (2, 24) and mask.shape == (2, 24) and c.shape == (2, 6)
        np.testing.assert_allclose(loc.asnumpy(), [TGT_LOC0, TGT_LOC1], rtol=1e-5, atol=1e-6)
        np.testing.assert_array_equal(mask.asnumpy(), [[1] * 16 + [0] * 8, [0] * 16 + [1] * 4 + [0] * 4])
        np.testing.assert_array_equal(c.asnumpy(), cls, err_msg=str(kw))
    loc, _, _ = nd.contrib.MultiBoxTarget(*args, variances=(1, 1, 1, 1))
    np.testing.assert_allclose(loc.asnumpy()[1, 16:20], [-0.041666630655527115, 0.041666626930236816,
                                                          -0.08701129257678986, -0.08701141923666], rtol=1e-5)
    assert mx.sym.contrib.MultiBoxTarget(*[mx.sym.var(n) for n in "abc"]).list_outputs()[0].endswith("_loc_target")


def test_multibox_target_mining_order_as_mxnet():
    rng = np.random.RandomState(1)
    xy = rng.uniform(0, 0.7, (10, 2))
    wh = rng.uniform(0.1, 0.4, (10, 2))
    anc = np.concatenate([xy, xy + wh], 1)[None].astype(F)
    lab = np.array([[[0, 0.1, 0.1, 0.4, 0.45], [1, 0.5, 0.4, 0.9, 0.9], [-1] * 5]], F)
    cp = rng.uniform(-1, 1, (1, 3, 10)).astype(F)
    args = [nd.array(anc), nd.array(lab), nd.array(cp)]
    for kw, cls in [({}, [2, 0, 1, 0, 0, 0, 0, 0, 0, 0]),  # MXNet 1.9.1
                    (dict(negative_mining_ratio=1), [2, -1, 1, -1, -1, -1, -1, -1, 0, 0]),
                    (dict(negative_mining_ratio=2), [2, -1, 1, -1, 0, -1, -1, 0, 0, 0]),
                    (dict(negative_mining_ratio=0.5), [2, -1, 1, -1, -1, -1, -1, -1, -1, 0]),
                    (dict(negative_mining_ratio=3, minimum_negative_samples=1), [2, 0, 1, -1, 0, 0, -1, 0, 0, 0]),
                    (dict(negative_mining_ratio=1, negative_mining_thresh=0.1), [2, -1, 1, -1, 0, -1, -1, 0, -1, -1]),
                    (dict(negative_mining_ratio=1, ignore_label=-2), [2, -2, 1, -2, -2, -2, -2, -2, 0, 0])]:
        np.testing.assert_array_equal(nd.contrib.MultiBoxTarget(*args, **kw)[2].asnumpy(), [cls], err_msg=str(kw))
    loc = nd.contrib.MultiBoxTarget(*args)[0].asnumpy()
    np.testing.assert_allclose(loc[0, :12], [6.994607448577881, -1.2668144702911377, 0.8093107342720032,
                                             1.2361764907836914, 0, 0, 0, 0, -0.9420202374458313, 0.7104580998420715,
                                             -0.9519550800323486, -0.2559366822242737], rtol=1e-5, atol=1e-6)


def test_multibox_target_edge_cases_grad_errors():
    cp = nd.zeros((1, 3, 3))
    # no labels: everything ignored; a label row of class -1 ends the labels (MXNet 1.9.1)
    out = nd.contrib.MultiBoxTarget(nd.array([[[0, 0, 1, 1]]]), nd.full((1, 2, 5), -1), nd.zeros((1, 2, 1)),
                                    ignore_label=-3)
    assert out[2].asnumpy().tolist() == [[-3]] and np.all(out[0].asnumpy() == 0)
    anc2 = nd.array([[[0, 0, .1, .1], [.5, .5, .6, .6]]])
    out = nd.contrib.MultiBoxTarget(anc2, nd.array([[[0, .8, .8, .9, .9], [-1] * 5, [1, .5, .5, .6, .6]]]),
                                    nd.zeros((1, 3, 2)))
    assert out[2].asnumpy().tolist() == [[0, 0]]
    out = nd.contrib.MultiBoxTarget(anc2, nd.array([[[0, .8, .8, .9, .9], [1, .5, .5, .6, .6]]]), nd.zeros((1, 3, 2)))
    assert out[2].asnumpy().tolist() == [[0, 2]] and out[1].asnumpy().tolist() == [[0] * 4 + [1] * 4]
    # ties in the greedy matching (MXNet 1.9.1)
    anc = nd.array([[[0, 0, 1, 1], [0, 0, 1, 1], [0, 0, 0.5, 0.5]]])
    assert nd.contrib.MultiBoxTarget(anc, nd.array([[[0, 0, 0, 1, 1], [1, 0, 0, 1, 1]]]), cp)[2].asnumpy().tolist() \
        == [[1, 2, 0]]
    lab3 = nd.array([[[0, 0, 0, 0.5, 0.5], [1, 0, 0, 1, 1], [2, 0, 0, 0.9, 0.9]]])
    assert nd.contrib.MultiBoxTarget(anc, lab3, cp)[2].asnumpy().tolist() == [[2, 3, 1]]
    g = _grad_of(lambda *a: nd.contrib.MultiBoxTarget(*a), TGT_ANC, TGT_LAB, TGT_CP)
    assert all(np.all(x == 0) for x in g)  # MXNet 1.9.1
    for shapes in [((1, 3, 4), (1, 2, 4), (1, 3, 3)), ((1, 3, 4), (1, 2, 5), (1, 3, 4)), ((3, 4), (1, 2, 5), (1, 3, 3))]:
        with pytest.raises(MXNetError, match="MultiBoxTarget"):
            nd.contrib.MultiBoxTarget(*[nd.zeros(s) for s in shapes])
    with pytest.raises(MXNetError, match="variances"):
        nd.contrib.MultiBoxTarget(anc, lab3, cp, variances=(0.1, 0.1))


# ---- MultiBoxDetection ----------------------------------------------------------------------------------------------
DET_CLS = np.array([[[0.1, 0.8, 0.3, 0.2, 0.96], [0.6, 0.1, 0.5, 0.7, 0.02], [0.3, 0.1, 0.2, 0.1, 0.02]],
                    [[0.9, 0.2, 0.3, 0.1, 0.3], [0.05, 0.5, 0.3, 0.45, 0.3], [0.05, 0.3, 0.4, 0.45, 0.4]]], F)
DET_ANC = np.array([[[0, 0, 0.5, 0.5], [0.1, 0.1, 0.55, 0.6], [0.5, 0.5, 1, 1], [0.05, 0.05, 0.5, 0.55],
                     [0.3, 0.2, 0.9, 0.8]]], F)
DET_LOC = np.array([[0.1, -0.2, 0.3, 0.1, 0, 0, 0, 0, 0.5, 0.5, -0.3, 0.2, -0.1, 0.1, 0.1, -0.1, 1, 1, 1, 1],
                    [0, 0, 0, 0, 0.2, 0.1, 0, 0, 0, 0, 0.5, 0.5, 0.1, 0, 0, 0.1, 0, 0, 0, 0]], F)
_D0 = [[0.04095470905303955, 0.0599503368139267, 0.5000452995300293, 0.5500496625900269],
       [0.0, 0.0, 0.5204591751098633, 0.495050311088562], [0.5395588278770447, 0.5147972702980042, 1.0, 1.0],
       [0.10000000894069672, 0.10000002384185791, 0.550000011920929, 0.6000000238418579],
       [0.29357922077178955, 0.19357916712760925, 1.0, 0.9264208078384399]]
_D1 = [[0.10900001227855682, 0.10500001907348633, 0.5590000152587891, 0.6050000190734863],
       [0.05450001358985901, 0.04494968056678772, 0.5045000314712524, 0.5550503730773926],
       [0.47370725870132446, 0.47370725870132446, 1.0, 1.0],
       [0.30000004172325134, 0.19999998807907104, 0.8999999761581421, 0.800000011920929], [0.0, 0.0, 0.5, 0.5]]


def _rows(ids, scores, boxes):
    return [[i, s] + b for i, s, b in zip(ids, scores, boxes)]


DET_MXNET = [  # MXNet 1.9.1
    ({}, [_rows([0, -1, 0, -1, 0], [0.7, 0.6, 0.5, 0.1, 0.02], _D0),
          _rows([0, -1, 1, 1, 0], [0.5, 0.45, 0.4, 0.4, 0.05], _D1)]),
    (dict(threshold=0.35), [_rows([0, -1, 0], [0.7, 0.6, 0.5], _D0[:3]) + [[-1] * 6] * 2,
                            _rows([0, -1, 1, 1], [0.5, 0.45, 0.4, 0.4], _D1[:4]) + [[-1] * 6]]),
    (dict(nms_threshold=0.2), [_rows([0, -1, 0, -1, -1], [0.7, 0.6, 0.5, 0.1, 0.02], _D0),
                               _rows([0, -1, 1, -1, -1], [0.5, 0.45, 0.4, 0.4, 0.05], _D1)]),
    (dict(nms_topk=2), [_rows([0, -1, -1, -1, -1], [0.7, 0.6, 0.5, 0.7, 0.02], _D0[:3] + [_D0[0], _D0[4]]),
                        _rows([0, -1, -1, -1, -1], [0.5, 0.45, 0.4, 0.45, 0.4], _D1[:2] + [_D1[2], _D1[1], _D1[3]])]),
    (dict(background_id=1), [_rows([0, -1, 0, -1, 0], [0.7, 0.6, 0.5, 0.1, 0.02], _D0),
                             _rows([0, -1, 1, 1, 0], [0.5, 0.45, 0.4, 0.4, 0.05], _D1)]),
    (dict(force_suppress=True), [_rows([0, -1, 0, -1, 0], [0.7, 0.6, 0.5, 0.1, 0.02], _D0),
                                 _rows([0, -1, 1, 1, 0], [0.5, 0.45, 0.4, 0.4, 0.05], _D1)]),
]


@pytest.mark.parametrize("kw,expected", DET_MXNET)
def test_multibox_detection_as_mxnet(kw, expected):
    out = nd.contrib.MultiBoxDetection(nd.array(DET_CLS), nd.array(DET_LOC), nd.array(DET_ANC), **kw).asnumpy()
    np.testing.assert_allclose(out, expected, rtol=1e-5, atol=1e-6)
    ref_kw = {k: v for k, v in kw.items() if k != "background_id"}
    np.testing.assert_allclose(out, _detection_ref(DET_CLS, DET_LOC, DET_ANC, **ref_kw), rtol=1e-5, atol=1e-6)


def test_multibox_detection_more_as_mxnet():
    out = nd.contrib.MultiBoxDetection(nd.array(DET_CLS), nd.array(DET_LOC), nd.array(DET_ANC), clip=False).asnumpy()
    # MXNet 1.9.1: unclipped coordinates
    np.testing.assert_allclose(out[0, 1, 2:], [-0.010459154844284058, -0.015050336718559265, 0.5204591751098633,
                                               0.495050311088562], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(out[1, 2, 4:], [1.0262928009033203, 1.0262928009033203], rtol=1e-6)
    out = nd.contrib.MultiBoxDetection(nd.array(DET_CLS), nd.array(DET_LOC), nd.array(DET_ANC),
                                       variances=(0.2, 0.2, 0.1, 0.1), nms_threshold=0.9).asnumpy()
    np.testing.assert_allclose(out[0, :, 2], [0.038738712668418884, 0.0023863613605499268, 0.5573886632919312,
                                              0.10000000894069672, 0.3884487450122833], rtol=1e-5, atol=1e-6)
    # ties in score keep the anchor order (MXNet 1.9.1)
    at = nd.array([[[0, 0, 1, 1], [0.01, 0, 1, 1], [2, 2, 3, 3], [2, 2, 3.01, 3]]])
    ct = nd.array([[[0.4] * 4, [0.3, 0.6, 0.3, 0.6], [0.3, 0.0, 0.3, 0.0]]])
    out = nd.contrib.MultiBoxDetection(ct, nd.zeros((1, 16)), at, clip=False).asnumpy()
    np.testing.assert_allclose(out[0, :, :2], [[0, 0.6], [0, 0.6], [-1, 0.3], [-1, 0.3]], rtol=1e-6)
    np.testing.assert_allclose(out[0, :, 2], [0.01, 2, 0, 2], rtol=1e-5, atol=1e-6)
    # a score equal to threshold is valid (MXNet 1.9.1)
    cls = nd.array([[[0.5, 0.5, 0.0], [0.5, 0.3, 0.0], [0.0, 0.2, 0.0]]])
    anc = nd.array([[[0, 0, .1, .1], [.5, .5, .6, .6], [.2, .2, .3, .3]]])
    out = nd.contrib.MultiBoxDetection(cls, nd.zeros((1, 12)), anc, threshold=0.3).asnumpy()
    np.testing.assert_allclose(out[0, :, :2], [[0, 0.5], [0, 0.3], [-1, -1]], rtol=1e-6)
    out = nd.contrib.MultiBoxDetection(cls, nd.zeros((1, 12)), anc, threshold=0.0).asnumpy()
    np.testing.assert_allclose(out[0, :, :2], [[0, 0.5], [0, 0.3], [0, 0]], rtol=1e-6)


def test_multibox_detection_random_naive_grad_errors():
    rng = np.random.RandomState(7)
    B, C, A = 2, 4, 40
    logits = rng.uniform(-2, 2, (B, C, A))
    cls = (np.exp(logits) / np.exp(logits).sum(1, keepdims=True)).astype(F)
    xy = rng.uniform(0, 0.8, (1, A, 2))
    anc = np.concatenate([xy, xy + rng.uniform(0.05, 0.4, (1, A, 2))], -1).astype(F)
    loc = rng.uniform(-1, 1, (B, A * 4)).astype(F)
    for kw in [{}, dict(force_suppress=True), dict(nms_topk=7, threshold=0.2), dict(clip=False, nms_threshold=0.3)]:
        out = nd.contrib.MultiBoxDetection(nd.array(cls), nd.array(loc), nd.array(anc), **kw).asnumpy()
        np.testing.assert_allclose(out, _detection_ref(cls, loc, anc, **kw), rtol=1e-5, atol=1e-6, err_msg=str(kw))
    g = _grad_of(lambda *a: nd.contrib.MultiBoxDetection(*a), cls, loc, anc)
    assert all(np.all(x == 0) for x in g)  # MXNet 1.9.1
    for shapes in [((2, 3, 5), (2, 19), (1, 5, 4)), ((2, 3, 5), (2, 20), (1, 4, 4)), ((2, 1, 5), (2, 20), (1, 5, 4))]:
        with pytest.raises(MXNetError, match="MultiBoxDetection"):
            nd.contrib.MultiBoxDetection(*[nd.zeros(s) for s in shapes])


def test_detection_symbols_infer_shape():
    a = mx.sym.contrib.MultiBoxPrior(mx.sym.var("data"), sizes=(0.2, 0.4), ratios=(1, 2, 0.5))
    _, outs, _ = a.infer_shape(data=(2, 8, 4, 4))
    assert outs == [(1, 64, 4)]
    det = mx.sym.contrib.MultiBoxDetection(mx.sym.var("c"), mx.sym.var("l"), a)
    _, outs, _ = det.infer_shape(data=(2, 8, 4, 4), c=(2, 3, 64), l=(2, 256))
    assert outs == [(2, 64, 6)]
    nms = mx.sym.contrib.box_nms(mx.sym.var("d"), topk=2)
    ex = nms.simple_bind(mx.cpu(), d=(2, 6))
    ex.forward(d=nd.array([[0, 0.5, 0, 0, 1, 1], [0, 0.9, 2, 2, 3, 3]]))
    np.testing.assert_allclose(ex.outputs[0].asnumpy(), [[0, 0.9, 2, 2, 3, 3], [0, 0.5, 0, 0, 1, 1]], rtol=1e-6)


# ---- Proposal / MultiProposal -------------------------------------------------------------------------------------
def _proposal_ref(cls, bb, im, scales=(4, 8, 16, 32), ratios=(0.5, 1, 2), feature_stride=16, rpn_pre_nms_top_n=6000,
                  rpn_post_nms_top_n=300, threshold=0.7, rpn_min_size=16, iou_loss=False):
    """One image: rois (post, 4) and scores (post,)."""
    fs = feature_stride
    base = []
    for r in ratios:
        ws = np.round(np.sqrt(fs * fs / r))
        hs = np.round(ws * r)
        for s in scales:
            w, h, c = ws * s, hs * s, 0.5 * (fs - 1)
            base.append([c - 0.5 * (w - 1), c - 0.5 * (h - 1), c + 0.5 * (w - 1), c + 0.5 * (h - 1)])
    A, (H, W) = len(base), cls.shape[-2:]
    imh, imw, scale = im
    boxes, scores = [], []
    for h in range(H):
        for w in range(W):
            for a in range(A):
                x1, y1, x2, y2 = np.array(base[a]) + fs * np.array([w, h, w, h])
                d = bb[4 * a:4 * a + 4, h, w].astype(np.float64)
                if iou_loss:
                    b = np.array([x1, y1, x2, y2]) + d
                else:
                    bw, bh = x2 - x1 + 1, y2 - y1 + 1
                    cx, cy = x1 + 0.5 * (bw - 1) + d[0] * bw, y1 + 0.5 * (bh - 1) + d[1] * bh
                    pw, ph = np.exp(d[2]) * bw, np.exp(d[3]) * bh
                    b = np.array([cx - 0.5 * (pw - 1), cy - 0.5 * (ph - 1), cx + 0.5 * (pw - 1), cy + 0.5 * (ph - 1)])
                b = np.clip(b, 0, [imw - 1, imh - 1, imw - 1, imh - 1])
                s = cls[A + a, h, w] if h < int(imh / fs) and w < int(imw / fs) else -1.0
                ms = rpn_min_size * scale
                if b[2] - b[0] + 1 < ms or b[3] - b[1] + 1 < ms:
                    b, s = b + np.array([-ms, -ms, ms, ms]) / 2, -1.0
                boxes.append(b)
                scores.append(s)
    order = _order(scores)[:rpn_pre_nms_top_n]
    area = lambda b: (b[2] - b[0] + 1) * (b[3] - b[1] + 1)
    keep = []
    for i in order:
        if len(keep) == rpn_post_nms_top_n:
            break
        ok = True
        for j in keep:
            bi, bj = boxes[i], boxes[j]
            inter = max(0, min(bi[2], bj[2]) - max(bi[0], bj[0]) + 1) * max(0, min(bi[3], bj[3]) - max(bi[1], bj[1]) + 1)
            ok = ok and inter / (area(bi) + area(bj) - inter) <= threshold
        if ok:
            keep.append(i)
    idx = [keep[r % len(keep)] for r in range(rpn_post_nms_top_n)]
    return np.array([boxes[i] for i in idx]), np.array([scores[i] for i in idx])


def _prop_inputs():
    rng = np.random.RandomState(0)
    return rng.uniform(0, 1, (1, 6, 2, 3)).astype(F), rng.uniform(-0.3, 0.3, (1, 12, 2, 3)).astype(F)


PROP_KW = dict(feature_stride=8, rpn_min_size=2, output_score=True)
PROPOSAL_MXNET = [  # MXNet 1.9.1, im_info (16, 22, 1)
    (dict(scales=(2,), ratios=(0.5, 1, 2), rpn_pre_nms_top_n=12, rpn_post_nms_top_n=8, threshold=0.7),
     [[0.0, 0.5236763954162598, 5.594101905822754, 14.721412658691406], [3.4072418212890625, 0.0, 21.0, 4.73024320602417],
      [0.0, 8.054136276245117, 16.00217056274414, 15.0], [0.0, 0.38455963134765625, 14.326520919799805, 9.461329460144043],
      [5.811944484710693, 0.0, 13.809663772583008, 15.0], [0.0, 0.0, 15.779026985168457, 5.496306419372559],
      [2.064645290374756, 10.414915084838867, 15.109735488891602, 15.0], [0.0, 4.034818649291992, 21.0, 14.79469108581543]],
     [0.9446688890457153, 0.8700121641159058, 0.7991585731506348, 0.7781567573547363, 0.7742336988449097,
      0.6399210095405579, 0.5218483209609985, 0.4614793658256531]),
    (dict(scales=(1, 2, 3), ratios=(1,), rpn_pre_nms_top_n=5, rpn_post_nms_top_n=4, rpn_min_size=8, threshold=0.5),
     [[0.0, 0.0, 16.619327545166016, 15.0], [-3.0426158905029297, -2.4102933406829834, 11.118734359741211, 11.3075532913208]] * 2,
     [0.7742336988449097, -1.0] * 2),
    (dict(scales=(2,), ratios=(0.5, 1, 2), rpn_post_nms_top_n=8, iou_loss=True),
     [[0.0, 3.7576589584350586, 10.723512649536133, 15.0], [1.0701603889465332, 0.0, 21.0, 8.796785354614258],
      [0.0, 6.102382659912109, 13.963160514831543, 15.0], [0.0, 0.0, 13.889257431030273, 8.825325965881348],
      [5.859233856201172, 0.0, 16.712064743041992, 15.0], [3.7662250995635986, 0.0, 19.062908172607422, 10.771236419677734],
      [0.0, 0.1297963261604309, 8.7028169631958, 15.0], [3.8179492950439453, 4.2858757972717285, 18.86968421936035, 15.0]],
     [0.9446688890457153, 0.8700121641159058, 0.7991585731506348, 0.7781567573547363, 0.7742336988449097,
      0.6399210095405579, 0.568433940410614, 0.5218483209609985]),
]


@pytest.mark.parametrize("kw,rois,scores", PROPOSAL_MXNET)
def test_proposal_as_mxnet(kw, rois, scores):
    cls, bb = _prop_inputs()
    kw = dict(PROP_KW, **kw)
    o, s = nd.contrib.Proposal(nd.array(cls), nd.array(bb), nd.array([[16, 22, 1.0]]), **kw)
    np.testing.assert_array_equal(o.asnumpy()[:, 0], 0)
    np.testing.assert_allclose(o.asnumpy()[:, 1:], rois, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(s.asnumpy().ravel(), scores, rtol=1e-6)
    kw.pop("output_score")
    ro, rs = _proposal_ref(cls[0], bb[0], (16, 22, 1.0), **kw)
    np.testing.assert_allclose(o.asnumpy()[:, 1:], ro, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(s.asnumpy().ravel(), rs, rtol=1e-6)


def test_multi_proposal_as_mxnet_and_naive():
    rng = np.random.RandomState(4)
    cls = rng.uniform(0, 1, (2, 4, 3, 4)).astype(F)
    bb = rng.uniform(-0.4, 0.4, (2, 8, 3, 4)).astype(F)
    im = np.array([[24, 30, 1.0], [20, 25, 1.5]], F)
    kw = dict(scales=(1.5,), ratios=(0.5, 2), feature_stride=8, rpn_pre_nms_top_n=10, rpn_post_nms_top_n=6,
              rpn_min_size=4, threshold=0.6)
    o, s = nd.contrib.MultiProposal(nd.array(cls), nd.array(bb), nd.array(im), output_score=True, **kw)
    assert o.shape == (12, 5) and s.shape == (12, 1)
    # MXNet 1.9.1
    np.testing.assert_allclose(o.asnumpy()[[0, 5, 6, 11]], [
        [0.0, 10.450294494628906, 0.0, 22.410301208496094, 18.467641830444336],
        [0.0, 11.470542907714844, 0.0, 29.0, 8.349924087524414],
        [1.0, 4.381951332092285, 0.0, 13.672112464904785, 11.367500305175781],
        [1.0, 15.063796997070312, 0.0, 24.0, 10.21799087524414]], rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(s.asnumpy().ravel(), [
        0.7674049735069275, 0.733380138874054, 0.6866670846939087, 0.6376102566719055, 0.6239160895347595,
        0.6007426977157593, 0.9267206788063049, 0.8437069654464722, 0.6145628690719604, 0.6035634875297546,
        0.5716413855552673, 0.48773762583732605], rtol=1e-6)
    for b in range(2):
        ro, rs = _proposal_ref(cls[b], bb[b], im[b], **kw)
        np.testing.assert_allclose(o.asnumpy()[6 * b:6 * b + 6, 1:], ro, rtol=1e-5, atol=1e-5)
        np.testing.assert_allclose(s.asnumpy()[6 * b:6 * b + 6, 0], rs, rtol=1e-6)
        np.testing.assert_array_equal(o.asnumpy()[6 * b:6 * b + 6, 0], b)


def test_proposal_defaults_outputs_grad_errors():
    rng = np.random.RandomState(9)
    cls = rng.uniform(0, 1, (1, 24, 5, 5)).astype(F)
    bb = rng.uniform(-0.2, 0.2, (1, 48, 5, 5)).astype(F)
    o = nd.contrib.Proposal(nd.array(cls), nd.array(bb), nd.array([[80, 80, 1]]), rpn_post_nms_top_n=10)
    assert not isinstance(o, (list, tuple)) and o.shape == (10, 5)
    ro, _ = _proposal_ref(cls[0], bb[0], (80, 80, 1), rpn_post_nms_top_n=10)
    np.testing.assert_allclose(o.asnumpy()[:, 1:], ro, rtol=1e-5, atol=1e-4)
    assert nd.contrib.Proposal(nd.array(cls), nd.array(bb), nd.array([[80, 80, 1]])).shape == (300, 5)
    assert len(mx.sym.contrib.Proposal(*[mx.sym.var(n) for n in "abc"]).list_outputs()) == 1
    assert len(mx.sym.contrib.Proposal(*[mx.sym.var(n) for n in "abc"], output_score=True).list_outputs()) == 2
    g = _grad_of(lambda *a: nd.contrib.Proposal(*a, rpn_post_nms_top_n=10), cls, bb, np.array([[80, 80, 1]], F))
    assert all(np.all(x == 0) for x in g)  # MXNet 1.9.1
    for shapes in [((1, 6, 3, 4), (1, 8, 3, 4), (1, 3)), ((1, 4, 3, 4), (1, 8, 3, 3), (1, 3)),
                   ((2, 4, 3, 4), (2, 8, 3, 4), (2, 3))]:
        with pytest.raises(MXNetError, match="Proposal"):
            nd.contrib.Proposal(*[nd.ones(s) for s in shapes], scales=(1.5,), ratios=(0.5, 2), feature_stride=8)
    with pytest.raises(MXNetError, match="im_info"):  # the feature map must cover the image (as MXNet checks)
        nd.contrib.Proposal(nd.ones((1, 4, 3, 4)), nd.ones((1, 8, 3, 4)), nd.array([[40, 32, 1]]), scales=(1.5,),
                            ratios=(0.5, 2), feature_stride=8).asnumpy()


def test_contrib_namespaces_and_ssd_graph():
    assert mx.contrib.nd is nd.contrib and mx.contrib.ndarray is nd.contrib
    assert mx.contrib.sym is mx.sym.contrib and mx.contrib.symbol is mx.sym.contrib
    # an SSD head: anchors of a feature map, training targets and detections in one graph, against the operators
    # called one by one
    data, label, cls_pred, loc_pred = (mx.sym.var(n) for n in ("data", "label", "cls_pred", "loc_pred"))
    anchors = mx.contrib.sym.MultiBoxPrior(data, sizes=(0.3, 0.6), ratios=(1, 2))
    tgt = mx.contrib.sym.MultiBoxTarget(anchors, label, cls_pred, negative_mining_ratio=3)
    det = mx.contrib.sym.MultiBoxDetection(mx.sym.softmax(cls_pred, axis=1), loc_pred, anchors, nms_threshold=0.45)
    net = mx.sym.Group(list(tgt) + [det])
    rng = np.random.RandomState(11)
    vals = dict(data=np.zeros((2, 4, 3, 3), F),
                label=np.array([[[0, 0.1, 0.1, 0.5, 0.6], [1, 0.4, 0.3, 0.9, 0.8]],
                                [[1, 0.2, 0.5, 0.7, 0.95], [-1] * 5]], F),
                cls_pred=rng.uniform(-1, 1, (2, 3, 27)).astype(F), loc_pred=rng.uniform(-1, 1, (2, 108)).astype(F))
    ex = net.simple_bind(mx.current_context(), grad_req="null", **{k: v.shape for k, v in vals.items()})
    outs = ex.forward(**{k: nd.array(v) for k, v in vals.items()})
    a = nd.contrib.MultiBoxPrior(nd.array(vals["data"]), sizes=(0.3, 0.6), ratios=(1, 2))
    want = list(nd.contrib.MultiBoxTarget(a, nd.array(vals["label"]), nd.array(vals["cls_pred"]),
                                          negative_mining_ratio=3))
    want.append(nd.contrib.MultiBoxDetection(nd.softmax(nd.array(vals["cls_pred"]), axis=1),
                                             nd.array(vals["loc_pred"]), a, nms_threshold=0.45))
    assert len(outs) == 4
    for o, w in zip(outs, want):
        np.testing.assert_allclose(o.asnumpy(), w.asnumpy(), rtol=1e-6, atol=1e-7)
    assert np.sum(want[2].asnumpy() > 0) >= 3  # every label matched an anchor
