"""mx.gluon.loss: KLDiv, Huber, Hinge, SquaredHinge, Logistic, Triplet, PoissonNLL and CosineEmbedding losses.

The values marked "MXNet 1.9.1" were printed by Apache MXNet 1.9.1 for the same inputs; each loss is also checked
against a NumPy formula, with sample weights, and hybridized.
"""
import numpy as np
import pytest

import mxc as mx
from mxc import autograd, nd
from mxc.gluon import loss as L

P = (np.arange(12, dtype=np.float64).reshape(3, 4) - 5.5) / 3.0
LAB01 = np.array([[0, 1, 1, 0], [1, 1, 0, 0], [0, 0, 1, 1]], dtype=np.float64)
LABPM = LAB01 * 2 - 1
LABR = np.cos(np.arange(12)).reshape(3, 4)
SW = np.array([[1], [0.5], [2]])


def _softmax(x, axis=-1):
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


DIST = _softmax(np.sin(np.arange(12)).reshape(3, 4))
LOGP = np.log(_softmax(P))


def _a(x):
    return nd.array(np.asarray(x, dtype=np.float32), ctx=mx.current_context())


def _huber(d, rho):
    d = np.abs(d)
    return np.where(d > rho, d - 0.5 * rho, 0.5 / rho * d * d)


def _cos_loss(a, b, y, margin):
    cos = (a * b).sum(-1) / (np.linalg.norm(a, axis=-1) * np.linalg.norm(b, axis=-1))
    return np.where(y == 1, 1 - cos, np.maximum(cos - margin, 0))[:, None]


def _poisson(pred, t, logits, full):
    loss = np.exp(pred) - t * pred if logits else pred - t * np.log(pred + 1e-8)
    if full:
        loss = loss + np.where(t > 1, t * np.log(t) - t + 0.5 * np.log(2 * np.pi * t), 0)
    return np.array([loss.mean()])


# (loss, inputs, MXNet 1.9.1's output, NumPy formula)
CASES = [
    (lambda: L.HuberLoss(), (P, LABR), [1.041887, 0.115065, 1.306208], _huber(P - LABR, 1).mean(1)),
    (lambda: L.HuberLoss(rho=0.5), (P, LABR), [1.224674, 0.208593, 1.556152], _huber(P - LABR, 0.5).mean(1)),
    (lambda: L.HingeLoss(), (P, LABPM), [1.208333, 1.333333, 1.0], np.maximum(1 - P * LABPM, 0).mean(1)),
    (lambda: L.HingeLoss(margin=2), (P, LABPM), [2.0, 2.333333, 1.666667], np.maximum(2 - P * LABPM, 0).mean(1)),
    (lambda: L.SquaredHingeLoss(), (P, LABPM), [2.743055, 1.805556, 2.013889],
     (np.maximum(1 - P * LABPM, 0) ** 2).mean(1)),
    (lambda: L.LogisticLoss(), (P, LABPM), [0.912095, 0.877013, 0.745428], np.log1p(np.exp(-P * LABPM)).mean(1)),
    (lambda: L.LogisticLoss(label_format='binary'), (P, LAB01), [0.912095, 0.877013, 0.745428],
     np.log1p(np.exp(-P * LABPM)).mean(1)),
    (lambda: L.KLDivLoss(), (LOGP, DIST), [0.129275, 0.061557, 0.576682], (DIST * (np.log(DIST) - LOGP)).sum(1)),
    (lambda: L.KLDivLoss(from_logits=False), (P, DIST), [0.129275, 0.061557, 0.576682],
     (DIST * (np.log(DIST) - LOGP)).sum(1)),
    (lambda: L.PoissonNLLLoss(), (P, np.abs(LABR) * 3), [2.140174], _poisson(P, np.abs(LABR) * 3, True, False)),
    (lambda: L.PoissonNLLLoss(from_logits=False, compute_full=True), (np.abs(P) + 0.1, np.abs(LABR) * 3),
     [2.107322], _poisson(np.abs(P) + 0.1, np.abs(LABR) * 3, False, True)),
    (lambda: L.CosineEmbeddingLoss(), (P, LABR, [1, -1, 1]), [[1.307939], [0.775009], [1.705063]],
     _cos_loss(P, LABR, np.array([1, -1, 1]), 0)),
    (lambda: L.CosineEmbeddingLoss(margin=0.2), (P, LABR, [-1, -1, 1]), [[0.0], [0.575009], [1.705063]],
     _cos_loss(P, LABR, np.array([-1, -1, 1]), 0.2)),
    (lambda: L.TripletLoss(), (P, LABR, P * 0.5), [11.861768, 1.781628, 13.174847],
     np.maximum(((LABR - P) ** 2 - (0.5 * P - P) ** 2).sum(1) + 1, 0)),
    (lambda: L.TripletLoss(margin=3), (P, LABR, P[::-1]), [0.0, 3.920517, 0.0],
     np.maximum(((LABR - P) ** 2 - (P[::-1] - P) ** 2).sum(1) + 3, 0)),
]


@pytest.mark.parametrize("idx", range(len(CASES)))
def test_losses_match_mxnet_and_numpy(idx):
    make, inputs, mxnet_out, formula = CASES[idx]
    loss = make()
    assert repr(loss) == "%s(batch_axis=0, w=None)" % type(loss).__name__
    out = loss(*[_a(x) for x in inputs])
    assert out.shape == np.asarray(mxnet_out).shape
    np.testing.assert_allclose(out.asnumpy(), mxnet_out, rtol=1e-4, atol=2e-6)
    np.testing.assert_allclose(out.asnumpy(), formula, rtol=2e-5, atol=1e-6)
    loss.hybridize()
    np.testing.assert_allclose(loss(*[_a(x) for x in inputs]).asnumpy(), out.asnumpy(), rtol=1e-6, atol=1e-7)


def test_sample_weight_weight_gradient_and_errors():
    # sample_weight multiplies each sample's elementwise loss, weight scales everything
    out = L.HingeLoss(weight=3.)(_a(P), _a(LABPM), _a(SW))
    np.testing.assert_allclose(out.asnumpy(), 3 * (np.maximum(1 - P * LABPM, 0) * SW).mean(1), rtol=1e-6)
    out = L.TripletLoss(weight=0.5)(_a(P), _a(LABR), _a(P * 0.5), _a(SW))
    np.testing.assert_allclose(out.asnumpy(), np.maximum(0.5 * (((LABR - P) ** 2 - (0.5 * P) ** 2) * SW).sum(1) + 1,
                                                         0), rtol=1e-5)
    # MXNet 1.9.1: the gradient of HuberLoss()(P, LABR) (a head of ones)
    x = _a(P)
    x.attach_grad()
    with autograd.record():
        y = L.HuberLoss()(x, _a(LABR))
    y.backward()
    np.testing.assert_allclose(x.grad.asnumpy().ravel(), [-0.25, -0.25, -0.18763, 0.039165, 0.038411, -0.112582,
                                                          -0.198376, -0.063476, 0.244708, 0.25, 0.25, 0.25],
                               rtol=1e-4, atol=1e-6)
    with pytest.raises(ValueError, match="label_format can only be signed or binary, recieved x."):
        L.LogisticLoss(label_format='x')
