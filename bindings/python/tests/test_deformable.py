"""Deformable convolutions (DCN v1 and v2), position-sensitive ROI pooling and its deformable version
(``mx.nd.contrib``), and the ``gluon.contrib.cnn`` deformable convolution blocks.

References: MXNet 1.9.1's printed values (the *_Y / *_G* constants, computed in float64 by MXNet 1.9.1 on the inputs
built below), naive NumPy implementations, and the regular Convolution (zero offsets). Finite-difference gradients
are in test_executor_grad.py. MXNet 1.9.1 runs ModulatedDeformableConvolution on GPUs only; its reference here is
the NumPy one (DCN v2 sampling: zero outside the image).
"""
import inspect
import math

import numpy as np
import pytest

import mxc as mx
from mxc.base import MXNetError

# ---------------------------------------------------------------------------------------------------------------
# MXNet 1.9.1's values (see _case_a, _case_b, _ps_inputs)
# ---------------------------------------------------------------------------------------------------------------
A_Y = np.array([0.1, 0.372287, 0.061567, -0.072281, -0.048755, 0.174741, -0.2, -0.45068, -0.488457, -0.132781,
                -0.185179, -0.351609])
A_GDATA = np.array([-0.00312, -0.071898, -0.027458, -0.250581, -0.03399, -0.248468, 0.133853, 0.072906, 0.066262,
                    -0.135906, -0.130132, 0.030047, 0.002344, 0.110938, 0.040785, 0.363936, 0.142829, 0.662224,
                    0.514682, 0.463493, 0.132315, 0.513263, 0.558737, 0.250182])
A_GOFF = np.array([0.000000e+00, 0.000000e+00, -7.485866e-02, 0.000000e+00, 0.000000e+00, 7.277469e-02,
                   0.000000e+00, 0.000000e+00, 2.455627e-01, 0.000000e+00, 0.000000e+00, 9.903126e-02,
                   0.000000e+00, 8.433516e-01, 8.055434e-01, 3.153099e-01, 0.000000e+00, 4.369084e-18,
                   0.000000e+00, -7.356108e-02, 0.000000e+00, -2.444787e-01, -2.447294e-01, -2.445854e-01,
                   0.000000e+00, 0.000000e+00, 0.000000e+00, -1.568812e-01, 8.520602e-03, -1.275854e-01,
                   0.000000e+00, 0.000000e+00, 0.000000e+00, 1.538293e-01, 8.870593e-02, 0.000000e+00,
                   0.000000e+00, 4.138479e-01, 2.041316e-01, 2.768495e-01, 2.999235e-01, -1.881519e-01,
                   0.000000e+00, 2.239485e-02, 8.664831e-02, 2.725850e-02, 1.823367e-02, 0.000000e+00])
A_GW = np.array([0.089487, -0.593392, 0.273173, 0.869728, 0.449364, 0.038909, 0.136424, -0.307452, -0.102428,
                 1.18933, -0.336218, -1.654438, -0.549295, 0.874774, -0.126013, 0.670441])
A_GB = np.array([-3.272727, 3.272727])
B_Y = np.array([0., 0.205397, 0.123372, -0.080668, 0.229787, 0.288879, 0.137067, 0.121163, -0.115756, 0., 0.,
                0.130795, 0.187242, 0.235618, 0.081979, -0.14239, -0.07364, 0.000728])
B_GDATA_SUM = np.array([-0.917155, -1.054101, -1.021613, -1.48019])
B_GOFF_SUM = np.array([-0.093948, 0.005708, -0.163269, -0.043071, -0.199458, -0.009977, 0.201184, 0.014003,
                       -0.127696, -0.003352, -0.471299, -0.040452, -0.231312, -0.026791, -0.142656, -0.065585])
B_GW = np.array([0.017899, -0.547565, -1.217533, -0.318894, -0.886277, 0.356433, -0.742529, -0.439216, 0.293559,
                 0.719995, 0.54792, 0.835244, -0.424756, -1.49748, -0.353145, -0.634603])
PS_Y = np.array([0.741834, -0.155938, -0.154753, 0.700542, -0.24663, -0.426722, 0.642946, -0.896871, 0.823335,
                 -0.38122, 0.097426, 0.556776, -0.458034, -0.166403, 0.478746, -0.907988])
PS_GDATA_SUM = np.array([-0.933333, -0.666667, -0.4, -0.133333, 0.133333, 0.4, 0.666667, 0.933333])
DPS_Y = np.array([0.627031, 0.055414, -0.371125, 0.817539, -0.067466, -0.617583, 0.81458, -0.931886, 0.795435,
                  -0.189236, 0.042747, 0.578197, -0.347689, -0.395144, 0.521714, -0.917498])
DPS_GDATA_SUM = np.array([-0.933333, -0.666667, -0.4, -0.133333, 0.133333, 0.4, 0.666667, 0.933333])
DPS_GTRANS = np.array([-0.012147, 0.023468, -0.021637, 0.0112, -0.033615, 0.109341, -0.109388, 0.065681, -0.019576,
                       0.017979, -0.014654, -0.002069, -0.091481, 0.100966, -0.052711, -0.016018])
DPSNT_Y = np.array([0.662977, -0.010144, -0.212281, 0.772736, -0.124869, -0.558075, 0.704967, -0.934805, 0.860635,
                    -0.379623, 0.187413, 0.502335, -0.478785, -0.194174, 0.401293, -0.888817])
DPSNT_GDATA_SUM = np.array([-0.933333, -0.666667, -0.4, -0.133333, 0.133333, 0.4, 0.666667, 0.933333])


def _nd(a):
    return mx.nd.array(np.asarray(a), dtype='float64')


def _run(op, inputs, params, head):
    arrs = [_nd(v) for v in inputs]
    for a in arrs:
        a.attach_grad()
    with mx.autograd.record():
        y = op(*arrs, **params)
    y.backward(_nd(head))
    return y.asnumpy(), [a.grad.asnumpy() for a in arrs]


# ---------------------------------------------------------------------------------------------------------------
# NumPy references
# ---------------------------------------------------------------------------------------------------------------
def _bilinear_v1(img, h, w):
    """DCN v1 as MXNet 1.9.1: [0, H) x [0, W) only, clamped at the last row / column."""
    H, W = img.shape
    if not (0 <= h < H and 0 <= w < W):
        return 0.0
    hl, wl = int(math.floor(h)), int(math.floor(w))
    if hl >= H - 1:
        hl, hh, lh = H - 1, H - 1, 0.0
    else:
        hh, lh = hl + 1, h - hl
    if wl >= W - 1:
        wl, wh, lw = W - 1, W - 1, 0.0
    else:
        wh, lw = wl + 1, w - wl
    return ((1 - lh) * (1 - lw) * img[hl, wl] + (1 - lh) * lw * img[hl, wh] + lh * (1 - lw) * img[hh, wl]
            + lh * lw * img[hh, wh])


def _bilinear_v2(img, h, w):
    """DCN v2: (-1, H) x (-1, W), every neighbour outside the image reads 0."""
    H, W = img.shape
    if not (-1 < h < H and -1 < w < W):
        return 0.0
    hl, wl = int(math.floor(h)), int(math.floor(w))
    lh, lw = h - hl, w - wl

    def at(i, j):
        return img[i, j] if 0 <= i < H and 0 <= j < W else 0.0
    return ((1 - lh) * (1 - lw) * at(hl, wl) + (1 - lh) * lw * at(hl, wl + 1) + lh * (1 - lw) * at(hl + 1, wl)
            + lh * lw * at(hl + 1, wl + 1))


def _ref_deform(data, off, mask, weight, bias, kernel, stride=(1, 1), pad=(0, 0), dilate=(1, 1), groups=1, dg=1,
                v2=False):
    N, C, H, W = data.shape
    F = weight.shape[0]
    kh, kw = kernel
    Ho, Wo = off.shape[2], off.shape[3]
    sample = _bilinear_v2 if v2 else _bilinear_v1
    col = np.zeros((N, C, kh, kw, Ho, Wo))
    for n in range(N):
        for c in range(C):
            d = c // (C // dg)
            for i in range(kh):
                for j in range(kw):
                    t = i * kw + j
                    for y in range(Ho):
                        for x in range(Wo):
                            h = y * stride[0] - pad[0] + i * dilate[0] + off[n, d * 2 * kh * kw + 2 * t, y, x]
                            w = x * stride[1] - pad[1] + j * dilate[1] + off[n, d * 2 * kh * kw + 2 * t + 1, y, x]
                            m = 1.0 if mask is None else mask[n, d * kh * kw + t, y, x]
                            col[n, c, i, j, y, x] = m * sample(data[n, c], h, w)
    out = np.zeros((N, F, Ho, Wo))
    Cg, Fg = C // groups, F // groups
    for f in range(F):
        g = f // Fg
        out[:, f] = np.einsum('ncijyx,cij->nyx', col[:, g * Cg:(g + 1) * Cg], weight[f])
        if bias is not None:
            out[:, f] += bias[f]
    return out


def _cround(v):
    """C's round (halves away from zero), not Python's (halves to even)."""
    return math.copysign(math.floor(abs(v) + 0.5), v)


def _ref_psroi(data, rois, scale, output_dim, pooled, group):
    N, C, H, W = data.shape
    scale = float(np.float32(scale))  # MXNet holds float parameters in float32
    out = np.zeros((len(rois), output_dim, pooled, pooled))
    grad_map = []  # (output index, channel plane, [(h, w)])
    for r, roi in enumerate(rois):
        b = int(roi[0])
        x1, y1 = _cround(roi[1]) * scale, _cround(roi[2]) * scale
        x2, y2 = (_cround(roi[3]) + 1) * scale, (_cround(roi[4]) + 1) * scale
        bh, bw = max(y2 - y1, 0.1) / pooled, max(x2 - x1, 0.1) / pooled
        for k in range(output_dim):
            for ph in range(pooled):
                for pw in range(pooled):
                    hs = min(max(int(math.floor(ph * bh + y1)), 0), H)
                    he = min(max(int(math.ceil((ph + 1) * bh + y1)), 0), H)
                    ws = min(max(int(math.floor(pw * bw + x1)), 0), W)
                    we = min(max(int(math.ceil((pw + 1) * bw + x1)), 0), W)
                    gh, gw = min(ph * group // pooled, group - 1), min(pw * group // pooled, group - 1)
                    c = (k * group + gh) * group + gw
                    if he > hs and we > ws:
                        out[r, k, ph, pw] = data[b, c, hs:he, ws:we].mean()
                        grad_map.append(((r, k, ph, pw), (b, c), (hs, he, ws, we)))
    return out, grad_map


def _ref_dpsroi(data, rois, trans, scale, output_dim, group, pooled, part, spp, trans_std):
    N, C, H, W = data.shape
    scale, trans_std = float(np.float32(scale)), float(np.float32(trans_std))  # float32 parameters, as MXNet's
    ncls = 1 if trans is None else trans.shape[1] // 2
    out = np.zeros((len(rois), output_dim, pooled, pooled))
    for r, roi in enumerate(rois):
        b = int(roi[0])
        x1, y1 = _cround(roi[1]) * scale - 0.5, _cround(roi[2]) * scale - 0.5
        x2, y2 = (_cround(roi[3]) + 1) * scale - 0.5, (_cround(roi[4]) + 1) * scale - 0.5
        rw, rh = max(x2 - x1, 0.1), max(y2 - y1, 0.1)
        bh, bw = rh / pooled, rw / pooled
        for k in range(output_dim):
            cls = k // (output_dim // ncls)
            for ph in range(pooled):
                for pw in range(pooled):
                    parth, partw = int(math.floor(ph / pooled * part)), int(math.floor(pw / pooled * part))
                    tx = ty = 0.0
                    if trans is not None:
                        tx = trans[r, 2 * cls, parth, partw] * trans_std
                        ty = trans[r, 2 * cls + 1, parth, partw] * trans_std
                    w0, h0 = pw * bw + x1 + tx * rw, ph * bh + y1 + ty * rh
                    gh, gw = min(ph * group // pooled, group - 1), min(pw * group // pooled, group - 1)
                    img = data[b, (k * group + gh) * group + gw]
                    vals = []
                    for ih in range(spp):
                        for iw in range(spp):
                            w, h = w0 + iw * bw / spp, h0 + ih * bh / spp
                            if w < -0.5 or w > W - 0.5 or h < -0.5 or h > H - 0.5:
                                continue
                            w, h = min(max(w, 0), W - 1), min(max(h, 0), H - 1)
                            hl, wl, hh, wh = int(math.floor(h)), int(math.floor(w)), int(math.ceil(h)), int(
                                math.ceil(w))
                            a, c = h - hl, w - wl
                            vals.append((1 - a) * (1 - c) * img[hl, wl] + (1 - a) * c * img[hl, wh]
                                        + a * (1 - c) * img[hh, wl] + a * c * img[hh, wh])
                    out[r, k, ph, pw] = np.mean(vals) if vals else 0.0
    return out


# ---------------------------------------------------------------------------------------------------------------
# Inputs of MXNet's printed cases
# ---------------------------------------------------------------------------------------------------------------
def _case_a():
    data = np.sin(0.7 * np.arange(24)).reshape(1, 2, 3, 4)
    off = 1.3 * np.cos(0.37 * np.arange(48)).reshape(1, 8, 2, 3)
    w = 0.3 * np.cos(0.5 * np.arange(16)).reshape(2, 2, 2, 2)
    b = np.array([0.1, -0.2])
    head = np.linspace(-1, 1, 12).reshape(1, 2, 2, 3)
    return [data, off, w, b], dict(kernel=(2, 2), num_filter=2), head


def _case_b():
    data = np.sin(0.3 * np.arange(64) + 0.2).reshape(1, 4, 4, 4)
    off = 0.9 * np.sin(0.23 * np.arange(144)).reshape(1, 16, 3, 3)
    w = 0.2 * np.sin(0.4 * np.arange(16)).reshape(2, 2, 2, 2)
    head = np.linspace(-1, 1, 18).reshape(1, 2, 3, 3)
    return [data, off, w], dict(kernel=(2, 2), stride=(2, 2), pad=(1, 1), num_filter=2, num_group=2,
                                num_deformable_group=2, no_bias=True), head


def _ps_inputs():
    data = np.sin(0.11 * np.arange(160) + 0.5).reshape(1, 8, 4, 5)
    rois = np.array([[0, 0.6, 0.4, 3.7, 2.9], [0, 1.2, 1.0, 4.1, 3.8]])
    trans = 0.8 * np.cos(0.7 * np.arange(16)).reshape(2, 2, 2, 2)
    head = np.linspace(-1, 1, 16).reshape(2, 2, 2, 2)
    return data, rois, trans, head


# ---------------------------------------------------------------------------------------------------------------
# DeformableConvolution / ModulatedDeformableConvolution
# ---------------------------------------------------------------------------------------------------------------
CONV_PARAMS = [
    dict(kernel=(3, 3), num_filter=4),
    dict(kernel=(3, 3), pad=(1, 1), num_filter=6, num_group=2, num_deformable_group=2),
    dict(kernel=(2, 3), stride=(2, 1), pad=(1, 2), dilate=(2, 1), num_filter=2, num_deformable_group=4),
    dict(kernel=(1, 1), num_filter=3, no_bias=True),
]


@pytest.mark.parametrize("params", CONV_PARAMS)
def test_zero_offsets_equal_convolution(params):
    rng = np.random.RandomState(0)
    g = params.get('num_group', 1)
    data = rng.uniform(-1, 1, (2, 4, 6, 7))
    weight = rng.uniform(-1, 1, (params['num_filter'], 4 // g) + params['kernel'])
    bias = rng.uniform(-1, 1, (params['num_filter'],))
    conv_in = [data, weight] + ([] if params.get('no_bias') else [bias])
    conv_params = {k: v for k, v in params.items() if k != 'num_deformable_group'}
    y = mx.nd.Convolution(*[_nd(a) for a in conv_in], **conv_params)
    head = rng.uniform(-1, 1, y.shape)
    ref, ref_g = _run(mx.nd.Convolution, conv_in, conv_params, head)
    taps = params['kernel'][0] * params['kernel'][1]
    dg = params.get('num_deformable_group', 1)
    off = np.zeros((2, 2 * dg * taps) + ref.shape[2:])
    mask = np.ones((2, dg * taps) + ref.shape[2:])
    out, g1 = _run(mx.nd.contrib.DeformableConvolution, [data, off] + conv_in[1:], params, head)
    np.testing.assert_allclose(out, ref, rtol=1e-10, atol=1e-12)
    for a, b in zip([g1[0]] + g1[2:], [ref_g[0]] + ref_g[1:]):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)
    out, g2 = _run(mx.nd.contrib.ModulatedDeformableConvolution, [data, off, mask] + conv_in[1:], params, head)
    np.testing.assert_allclose(out, ref, rtol=1e-10, atol=1e-12)
    for a, b in zip([g2[0]] + g2[3:], [ref_g[0]] + ref_g[1:]):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("params", CONV_PARAMS)
@pytest.mark.parametrize("modulated", [False, True])
def test_fractional_offsets_against_numpy(params, modulated):
    rng = np.random.RandomState(1)
    g, dg, F = params.get('num_group', 1), params.get('num_deformable_group', 1), params['num_filter']
    data = rng.uniform(-1, 1, (2, 4, 5, 6))
    weight = rng.uniform(-1, 1, (F, 4 // g) + params['kernel'])
    bias = None if params.get('no_bias') else rng.uniform(-1, 1, (F,))
    y = mx.nd.Convolution(_nd(data), _nd(weight), None if bias is None else _nd(bias), **params_wo_dg(params))
    taps = params['kernel'][0] * params['kernel'][1]
    # offsets in (-2.5, 2.5): many positions near and beyond the borders
    off = rng.uniform(-2.5, 2.5, (2, 2 * dg * taps) + y.shape[2:])
    mask = rng.uniform(0, 2, (2, dg * taps) + y.shape[2:]) if modulated else None
    ref = _ref_deform(data, off, mask, weight, bias, params['kernel'], params.get('stride', (1, 1)),
                      params.get('pad', (0, 0)), params.get('dilate', (1, 1)), g, dg, v2=modulated)
    ins = [data, off] + ([mask] if modulated else []) + [weight] + ([] if bias is None else [bias])
    op = mx.nd.contrib.ModulatedDeformableConvolution if modulated else mx.nd.contrib.DeformableConvolution
    out = op(*[_nd(a) for a in ins], **params).asnumpy()
    np.testing.assert_allclose(out, ref, rtol=1e-10, atol=1e-12)
    # float32 too
    out32 = op(*[mx.nd.array(a, dtype='float32') for a in ins], **params).asnumpy()
    assert out32.dtype == np.float32
    np.testing.assert_allclose(out32, ref, rtol=1e-4, atol=1e-5)


def params_wo_dg(params):
    return {k: v for k, v in params.items() if k != 'num_deformable_group'}


def test_deformable_convolution_matches_mxnet_values():
    ins, params, head = _case_a()
    y, g = _run(mx.nd.contrib.DeformableConvolution, ins, params, head)
    np.testing.assert_allclose(y.ravel(), A_Y, atol=2e-6)
    np.testing.assert_allclose(g[0].ravel(), A_GDATA, atol=2e-6)
    np.testing.assert_allclose(g[1].ravel(), A_GOFF, atol=2e-6)
    np.testing.assert_allclose(g[2].ravel(), A_GW, atol=2e-6)
    np.testing.assert_allclose(g[3].ravel(), A_GB, atol=2e-6)
    ins, params, head = _case_b()
    y, g = _run(mx.nd.contrib.DeformableConvolution, ins, params, head)
    np.testing.assert_allclose(y.ravel(), B_Y, atol=2e-6)
    np.testing.assert_allclose(g[0].sum(axis=(2, 3)).ravel(), B_GDATA_SUM, atol=2e-6)
    np.testing.assert_allclose(g[1].sum(axis=(2, 3)).ravel(), B_GOFF_SUM, atol=2e-6)
    np.testing.assert_allclose(g[2].ravel(), B_GW, atol=2e-6)


def test_deformable_convolution_borders_as_mxnet():
    # a 1x1 kernel reads the data at the offset positions: MXNet 1.9.1 reads 0 above / left of the image (even at
    # -0.25), clamps at the last row / column, and has no offset gradient along a clamped axis
    d = np.arange(1.0, 17.0).reshape(1, 1, 4, 4)
    w = np.ones((1, 1, 1, 1))
    off = np.zeros((1, 2, 4, 4))
    off[:, 0], off[:, 1] = 0.2, 0.2
    y, g = _run(mx.nd.contrib.DeformableConvolution, [d, off, w], dict(kernel=(1, 1), num_filter=1, no_bias=True),
                np.ones((1, 1, 4, 4)))
    np.testing.assert_allclose(y[0, 0], [[2, 3, 4, 4.8], [6, 7, 8, 8.8], [10, 11, 12, 12.8], [13.2, 14.2, 15.2, 16]])
    np.testing.assert_allclose(g[1][0, 0], [[4, 4, 4, 4]] * 3 + [[0, 0, 0, 0]])
    np.testing.assert_allclose(g[1][0, 1], [[1, 1, 1, 0]] * 4)
    np.testing.assert_allclose(g[0][0, 0], [[0.64, 0.8, 0.8, 0.96], [0.8, 1, 1, 1.2], [0.8, 1, 1, 1.2],
                                            [0.96, 1.2, 1.2, 1.44]])
    off[:, 0], off[:, 1] = -0.25, 0
    y, g = _run(mx.nd.contrib.DeformableConvolution, [d, off, w], dict(kernel=(1, 1), num_filter=1, no_bias=True),
                np.ones((1, 1, 4, 4)))
    np.testing.assert_allclose(y[0, 0], [[0, 0, 0, 0], [4, 5, 6, 7], [8, 9, 10, 11], [12, 13, 14, 15]])
    np.testing.assert_allclose(g[0][0, 0], [[0.25] * 4, [1] * 4, [1] * 4, [0.75] * 4])


def test_modulated_mask_and_borders():
    # DCN v2 sampling: -0.5 reads half of the first row; the mask scales the sample and its gradients
    d = np.arange(1.0, 17.0).reshape(1, 1, 4, 4)
    w = np.ones((1, 1, 1, 1))
    off = np.zeros((1, 2, 4, 4))
    off[:, 0] = -0.5
    mask = np.full((1, 1, 4, 4), 0.5)
    y, g = _run(mx.nd.contrib.ModulatedDeformableConvolution, [d, off, mask, w],
                dict(kernel=(1, 1), num_filter=1, no_bias=True), np.ones((1, 1, 4, 4)))
    np.testing.assert_allclose(y[0, 0], 0.5 * np.array([[0.5, 1, 1.5, 2], [3, 4, 5, 6], [7, 8, 9, 10],
                                                        [11, 12, 13, 14]]))
    np.testing.assert_allclose(g[2][0, 0], y[0, 0] / 0.5)  # d out / d mask = the sample
    # d/dh: the row below minus the (zero or real) row above; d/dw: the right neighbour (zero beyond the last
    # column) minus the left one
    np.testing.assert_allclose(g[1][0, 0], 0.5 * np.array([[1, 2, 3, 4], [4] * 4, [4] * 4, [4] * 4]))
    np.testing.assert_allclose(g[1][0, 1], 0.5 * np.array([[0.5, 0.5, 0.5, -2], [1, 1, 1, -6], [1, 1, 1, -10],
                                                           [1, 1, 1, -14]]))


def test_deformable_convolution_shapes_and_inference():
    x = mx.sym.var('x')
    s = mx.sym.contrib.DeformableConvolution(data=x, offset=mx.sym.var('o'), kernel=(3, 3), num_filter=4,
                                             num_deformable_group=2, name='dc')
    assert s.list_arguments() == ['x', 'o', 'dc_weight', 'dc_bias']
    args, outs, _ = s.infer_shape(x=(2, 4, 6, 6), o=(2, 36, 4, 4))
    assert args == [(2, 4, 6, 6), (2, 36, 4, 4), (4, 4, 3, 3), (4,)] and outs == [(2, 4, 4, 4)]
    s = mx.sym.contrib.ModulatedDeformableConvolution(data=x, offset=mx.sym.var('o'), mask=mx.sym.var('m'),
                                                      kernel=(3, 3), num_filter=4, num_deformable_group=2,
                                                      no_bias=True, name='mdc')
    assert s.list_arguments() == ['x', 'o', 'm', 'mdc_weight']
    args, outs, _ = s.infer_shape(x=(2, 4, 6, 6))
    assert args == [(2, 4, 6, 6), (2, 36, 4, 4), (2, 18, 4, 4), (4, 4, 3, 3)] and outs == [(2, 4, 4, 4)]


def test_deformable_convolution_errors():
    d = mx.nd.zeros((1, 4, 5, 5))
    with pytest.raises(MXNetError, match="DeformableConvolution.*offset"):
        mx.nd.contrib.DeformableConvolution(d, mx.nd.zeros((1, 17, 3, 3)), mx.nd.zeros((2, 4, 3, 3)),
                                            kernel=(3, 3), num_filter=2, no_bias=True)
    with pytest.raises(MXNetError, match="DeformableConvolution.*num_deformable_group 3"):
        mx.nd.contrib.DeformableConvolution(d, mx.nd.zeros((1, 54, 3, 3)), mx.nd.zeros((2, 4, 3, 3)),
                                            kernel=(3, 3), num_filter=2, num_deformable_group=3, no_bias=True)
    with pytest.raises(MXNetError, match="DeformableConvolution.*2-D kernels"):
        mx.nd.contrib.DeformableConvolution(d, mx.nd.zeros((1, 6, 5, 3)), mx.nd.zeros((2, 4, 3)),
                                            kernel=(3,), num_filter=2, no_bias=True)
    with pytest.raises(MXNetError, match="ModulatedDeformableConvolution.*mask"):
        mx.nd.contrib.ModulatedDeformableConvolution(d, mx.nd.zeros((1, 18, 3, 3)), mx.nd.zeros((1, 8, 3, 3)),
                                                     mx.nd.zeros((2, 4, 3, 3)), kernel=(3, 3), num_filter=2,
                                                     no_bias=True)
    with pytest.raises(MXNetError, match="DeformableConvolution.*larger than the padded input"):
        mx.nd.contrib.DeformableConvolution(d, mx.nd.zeros((1, 72, 1, 1)), mx.nd.zeros((2, 4, 6, 6)),
                                            kernel=(6, 6), num_filter=2, no_bias=True)


# ---------------------------------------------------------------------------------------------------------------
# PSROIPooling / DeformablePSROIPooling
# ---------------------------------------------------------------------------------------------------------------
def test_psroipooling_mxnet_values_and_numpy():
    data, rois, _, head = _ps_inputs()
    y, g = _run(mx.nd.contrib.PSROIPooling, [data, rois], dict(spatial_scale=0.9, output_dim=2, pooled_size=2), head)
    np.testing.assert_allclose(y.ravel(), PS_Y, atol=2e-6)
    np.testing.assert_allclose(g[0].sum(axis=(2, 3)).ravel(), PS_GDATA_SUM, atol=2e-6)
    assert not g[1].any()
    rng = np.random.RandomState(3)
    data = rng.uniform(-1, 1, (2, 18, 7, 6))
    rois = np.array([[0, 0.5, 1.2, 5.5, 6.1], [1, 2.2, 0, 3.9, 3.3], [1, 4, 4, 2, 1], [0, -3, -2, 12, 10],
                     [1, 5.6, 6.2, 5.6, 6.2]])
    head = rng.uniform(-1, 1, (5, 2, 3, 3))
    for scale in (1.0, 0.6):
        ref, gmap = _ref_psroi(data, rois, scale, 2, 3, 3)
        y, g = _run(mx.nd.contrib.PSROIPooling, [data, rois], dict(spatial_scale=scale, output_dim=2,
                                                                   pooled_size=3), head)
        np.testing.assert_allclose(y, ref, rtol=1e-12, atol=1e-12)
        gref = np.zeros_like(data)
        for o, (b, c), (hs, he, ws, we) in gmap:
            gref[b, c, hs:he, ws:we] += head[o] / ((he - hs) * (we - ws))
        np.testing.assert_allclose(g[0], gref, rtol=1e-12, atol=1e-12)
    # group_size 2 with pooled_size 4: bins share group cells
    data = rng.uniform(-1, 1, (1, 12, 8, 8))
    ref, _ = _ref_psroi(data, rois[:1], 1.0, 3, 4, 2)
    y = mx.nd.contrib.PSROIPooling(_nd(data), _nd(rois[:1]), spatial_scale=1.0, output_dim=3, pooled_size=4,
                                   group_size=2)
    np.testing.assert_allclose(y.asnumpy(), ref, rtol=1e-12)


def test_deformable_psroipooling_mxnet_values_and_numpy():
    data, rois, trans, head = _ps_inputs()
    p = dict(spatial_scale=0.9, output_dim=2, group_size=2, pooled_size=2)
    y, g = _run(mx.nd.contrib.DeformablePSROIPooling, [data, rois, trans], dict(p, sample_per_part=2, trans_std=0.1),
                head)
    np.testing.assert_allclose(y.ravel(), DPS_Y, atol=2e-6)
    np.testing.assert_allclose(g[0].sum(axis=(2, 3)).ravel(), DPS_GDATA_SUM, atol=2e-6)
    np.testing.assert_allclose(g[2].ravel(), DPS_GTRANS, atol=2e-6)
    assert not g[1].any()
    np.testing.assert_allclose(y, _ref_dpsroi(data, rois, trans, 0.9, 2, 2, 2, 2, 2, 0.1), rtol=1e-12, atol=1e-12)
    y, g = _run(mx.nd.contrib.DeformablePSROIPooling, [data, rois], dict(p, sample_per_part=3, no_trans=True), head)
    np.testing.assert_allclose(y.ravel(), DPSNT_Y, atol=2e-6)
    np.testing.assert_allclose(g[0].sum(axis=(2, 3)).ravel(), DPSNT_GDATA_SUM, atol=2e-6)
    np.testing.assert_allclose(y, _ref_dpsroi(data, rois, None, 0.9, 2, 2, 2, 2, 3, 0), rtol=1e-12, atol=1e-12)
    # two classes of trans, part_size 2 for pooled_size 3, rois partly outside the image
    rng = np.random.RandomState(5)
    data = rng.uniform(-1, 1, (2, 16, 6, 7))
    rois = np.array([[1, 0.5, 1.2, 5.5, 6.1], [0, -2, -3, 9, 8], [1, 3, 2, 3.4, 2.2]])
    trans = rng.uniform(-1, 1, (3, 4, 2, 2))
    y = mx.nd.contrib.DeformablePSROIPooling(_nd(data), _nd(rois), _nd(trans), spatial_scale=0.7, output_dim=4,
                                             group_size=2, pooled_size=3, part_size=2, sample_per_part=3,
                                             trans_std=0.3)
    np.testing.assert_allclose(y.asnumpy(), _ref_dpsroi(data, rois, trans, 0.7, 4, 2, 3, 2, 3, 0.3), rtol=1e-12,
                               atol=1e-12)


def test_psroipooling_shapes_and_errors():
    x = mx.sym.var('x')
    s = mx.sym.contrib.DeformablePSROIPooling(data=x, rois=mx.sym.var('r'), spatial_scale=1, output_dim=2,
                                              group_size=2, pooled_size=2, no_trans=True)
    assert s.list_arguments() == ['x', 'r']
    s = mx.sym.contrib.DeformablePSROIPooling(data=x, rois=mx.sym.var('r'), trans=mx.sym.var('t'), spatial_scale=1,
                                              output_dim=2, group_size=2, pooled_size=2)
    assert s.list_arguments() == ['x', 'r', 't']
    assert s.infer_shape(x=(1, 8, 5, 5), r=(3, 5), t=(3, 2, 2, 2))[1] == [(3, 2, 2, 2)]
    s = mx.sym.contrib.PSROIPooling(data=x, rois=mx.sym.var('r'), spatial_scale=1, output_dim=2, pooled_size=2)
    assert s.infer_shape(x=(1, 8, 5, 5), r=(3, 5))[1] == [(3, 2, 2, 2)]
    with pytest.raises(MXNetError, match="PSROIPooling.*output_dim \\* group_size"):
        mx.nd.contrib.PSROIPooling(mx.nd.zeros((1, 7, 5, 5)), mx.nd.zeros((1, 5)), spatial_scale=1, output_dim=2,
                                   pooled_size=2)
    with pytest.raises(MXNetError, match="PSROIPooling.*rois"):
        mx.nd.contrib.PSROIPooling(mx.nd.zeros((1, 8, 5, 5)), mx.nd.zeros((1, 4)), spatial_scale=1, output_dim=2,
                                   pooled_size=2)
    with pytest.raises(MXNetError, match="DeformablePSROIPooling.*trans"):
        mx.nd.contrib.DeformablePSROIPooling(mx.nd.zeros((1, 8, 5, 5)), mx.nd.zeros((2, 5)),
                                             mx.nd.zeros((2, 2, 3, 3)), spatial_scale=1, output_dim=2, group_size=2,
                                             pooled_size=2)


# ---------------------------------------------------------------------------------------------------------------
# gluon.contrib.cnn
# ---------------------------------------------------------------------------------------------------------------
def test_gluon_signatures_and_names():
    cnn = mx.gluon.contrib.cnn
    expected = ("(self, channels, kernel_size=(1, 1), strides=(1, 1), padding=(0, 0), dilation=(1, 1), groups=1, "
                "num_deformable_group=1, layout='NCHW', use_bias=True, in_channels=0, activation=None, "
                "weight_initializer=None, bias_initializer='zeros', offset_weight_initializer='zeros', "
                "offset_bias_initializer='zeros', offset_use_bias=True, op_name='%s', adj=None, prefix=None, "
                "params=None)")
    for cls in (cnn.DeformableConvolution, cnn.ModulatedDeformableConvolution):
        assert str(inspect.signature(cls.__init__)) == expected % cls.__name__
    # as MXNet 1.9.1 names and shapes them
    net = cnn.DeformableConvolution(4, kernel_size=(3, 3), in_channels=2)
    assert [k.split('_', 2)[-1] for k in net.collect_params().keys()] == [
        'offset_weight', 'offset_bias', 'deformable_conv_weight', 'deformable_conv_bias']
    assert list(net.collect_params().keys())[0].startswith('deformable_conv')
    assert [tuple(p.shape) for p in net.collect_params().values()] == [(18, 2, 3, 3), (18,), (4, 0, 3, 3), (4,)]
    assert repr(net) == "DeformableConvolution(None -> 4, kernel_size=(3, 3), stride=(1, 1))"
    net = cnn.DeformableConvolution(4, kernel_size=(3, 3), strides=2, padding=1, dilation=2, num_deformable_group=2,
                                    use_bias=False, activation='relu', offset_use_bias=False)
    assert repr(net) == ("DeformableConvolution(None -> 4, kernel_size=(3, 3), stride=(2, 2), padding=(1, 1), "
                         "dilation=(2, 2), bias=False, Activation(relu))")
    assert [tuple(p.shape) for p in net.collect_params().values()] == [(36, 0, 3, 3), (4, 0, 3, 3)]
    net = cnn.ModulatedDeformableConvolution(8, kernel_size=3, strides=2, in_channels=6, groups=2,
                                             num_deformable_group=2, use_bias=False)
    assert list(net.collect_params().keys())[0].startswith('modulated_deformable_conv')
    assert [k.split('_', 3)[-1] for k in net.collect_params().keys()] == [
        'deformable_conv_weight', 'offset_weight', 'offset_bias']
    assert [tuple(p.shape) for p in net.collect_params().values()] == [(8, 0, 3, 3), (54, 3, 3, 3), (54,)]
    assert repr(net) == "ModulatedDeformableConvolution(\n\n)"
    assert repr(cnn.ModulatedDeformableConvolution(2, activation='relu')) == (
        "ModulatedDeformableConvolution(\n  (act): Activation(relu)\n)")
    with pytest.raises(NotImplementedError):
        cnn.DeformableConvolution(2, layout='NHWC')


@pytest.mark.parametrize("hybridize", [False, True])
def test_gluon_blocks_compute(hybridize):
    cnn = mx.gluon.contrib.cnn
    rng = np.random.RandomState(7)
    x = rng.uniform(-1, 1, (2, 4, 6, 7)).astype(np.float32)
    kw = dict(kernel_size=3, padding=1, strides=(1, 2), groups=2, num_deformable_group=2)
    for cls in (cnn.DeformableConvolution, cnn.ModulatedDeformableConvolution):
        net = cls(6, activation='tanh', **kw)
        net.initialize()
        if hybridize:
            net.hybridize()
        xa = mx.nd.array(x)
        y0 = net(xa).asnumpy()
        w = [p for k, p in net.collect_params().items() if k.endswith('deformable_conv_weight')][0].data()
        b = [p for k, p in net.collect_params().items() if k.endswith('deformable_conv_bias')][0].data()
        # untrained offsets (zero weights and biases): a regular convolution (mask 2 * sigmoid(0) = 1)
        conv = mx.nd.Convolution(xa, w, b, kernel=(3, 3), pad=(1, 1), stride=(1, 2), num_group=2, num_filter=6)
        np.testing.assert_allclose(y0, np.tanh(conv.asnumpy()), rtol=1e-5, atol=1e-6)
        # constant offsets (and masks) from the offset bias alone
        ob = [p for k, p in net.collect_params().items() if k.endswith('offset_bias')][0]
        nb = ob.shape[0]
        bias_vals = rng.uniform(-0.9, 0.9, (nb,)).astype(np.float32)
        ob.set_data(mx.nd.array(bias_vals))
        y1 = net(xa).asnumpy()
        shape = (2, nb) + y0.shape[2:]
        ofs = np.broadcast_to(bias_vals[None, :, None, None], shape)
        p = dict(kernel=(3, 3), pad=(1, 1), stride=(1, 2), num_group=2, num_filter=6, num_deformable_group=2)
        if cls is cnn.DeformableConvolution:
            ref = mx.nd.contrib.DeformableConvolution(xa, mx.nd.array(ofs), w, b, **p)
        else:
            n = 2 * nb // 3
            mask = 2 / (1 + np.exp(-ofs[:, n:]))
            ref = mx.nd.contrib.ModulatedDeformableConvolution(xa, mx.nd.array(ofs[:, :n]), mx.nd.array(mask), w,
                                                               b, **p)
        np.testing.assert_allclose(y1, np.tanh(ref.asnumpy()), rtol=1e-5, atol=1e-6)
        # gradients reach every parameter, the offset ones included
        with mx.autograd.record():
            y = net(xa)
        y.backward()
        for k, prm in net.collect_params().items():
            assert np.abs(prm.grad().asnumpy()).sum() > 0, k


def test_empty_batch():
    for modulated in (False, True):
        op = mx.nd.contrib.ModulatedDeformableConvolution if modulated else mx.nd.contrib.DeformableConvolution
        ins = [np.zeros((0, 2, 4, 4)), np.zeros((0, 8, 3, 3))] + ([np.zeros((0, 4, 3, 3))] if modulated else []) + [
            np.ones((3, 2, 2, 2)), np.ones((3,))]
        y, g = _run(op, ins, dict(kernel=(2, 2), num_filter=3), np.zeros((0, 3, 3, 3)))
        assert y.shape == (0, 3, 3, 3)
        assert g[-2].shape == (3, 2, 2, 2) and not g[-2].any() and not g[-1].any()
