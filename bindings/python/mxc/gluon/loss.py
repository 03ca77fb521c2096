"""Loss blocks: each returns one value per sample (the mean over all axes except ``batch_axis``), scaled by
``weight`` and by an optional ``sample_weight`` broadcast against the elementwise loss."""
from .block import HybridBlock

__all__ = ["Loss", "L2Loss", "L1Loss", "SigmoidBinaryCrossEntropyLoss", "SigmoidBCELoss",
           "SoftmaxCrossEntropyLoss", "SoftmaxCELoss"]


def _scaled(F, elementwise, weight, sample_weight):
    out = elementwise if sample_weight is None else F.broadcast_mul(elementwise, sample_weight)
    if weight is None:
        return out
    if not isinstance(weight, (int, float)):
        raise AssertionError("weight must be a number")
    return out * weight


def _shaped_as(F, label, pred):
    """``label`` reshaped to ``pred``'s shape."""
    if hasattr(label, 'shape') and hasattr(pred, 'shape') and not callable(pred.shape):
        return label.reshape(pred.shape) if label.shape != pred.shape else label
    return F.reshape_like(label, pred)


class Loss(HybridBlock):
    """Base of the losses: ``weight`` (a global scale or None) and ``batch_axis`` (the axis kept)."""

    def __init__(self, weight, batch_axis, **kwargs):
        super().__init__(**kwargs)
        self._weight = weight
        self._keep_axis = batch_axis

    def __repr__(self):
        return "%s(batch_axis=%s, w=%s)" % (type(self).__name__, self._keep_axis, self._weight)

    def _per_sample(self, F, elementwise, sample_weight, scale=None):
        w = self._weight if scale is None else scale
        out = _scaled(F, elementwise, w, sample_weight)
        return F.mean(out, axis=self._keep_axis, exclude=True)


class L2Loss(Loss):
    """``weight / 2 * (pred - label)^2`` per element (label reshaped like pred)."""

    def __init__(self, weight=1., batch_axis=0, **kwargs):
        super().__init__(weight, batch_axis, **kwargs)

    def hybrid_forward(self, F, pred, label, sample_weight=None):
        diff = pred - _shaped_as(F, label, pred)
        return self._per_sample(F, F.square(diff), sample_weight, self._weight / 2.)


class L1Loss(Loss):
    """``|pred - label|`` per element."""

    def __init__(self, weight=None, batch_axis=0, **kwargs):
        super().__init__(weight, batch_axis, **kwargs)

    def hybrid_forward(self, F, pred, label, sample_weight=None):
        return self._per_sample(F, F.abs(pred - _shaped_as(F, label, pred)), sample_weight)


class SigmoidBinaryCrossEntropyLoss(Loss):
    """Binary cross entropy of ``sigmoid(pred)`` (or of ``pred`` itself with ``from_sigmoid``) against 0/1
    labels; ``pos_weight`` scales the positive term."""

    def __init__(self, from_sigmoid=False, weight=None, batch_axis=0, **kwargs):
        super().__init__(weight, batch_axis, **kwargs)
        self._probs_given = from_sigmoid

    def hybrid_forward(self, F, pred, label, sample_weight=None, pos_weight=None):
        label = _shaped_as(F, label, pred)
        if self._probs_given:
            tiny = 1e-12
            pos = F.log(pred + tiny) * label
            if pos_weight is not None:
                pos = F.broadcast_mul(pos, pos_weight)
            ce = -(pos + F.log(1. - pred + tiny) * (1. - label))
        else:
            # log(1 + exp(-|x|)) + max(x, 0) - x * label, written to stay finite for large |x|
            soft = F.Activation(-F.abs(pred), act_type='softrelu')
            if pos_weight is None:
                ce = F.relu(pred) - pred * label + soft
            else:
                boost = 1. + F.broadcast_mul(pos_weight - 1., label)
                ce = pred - pred * label + boost * (soft + F.relu(-pred))
        return self._per_sample(F, ce, sample_weight)


SigmoidBCELoss = SigmoidBinaryCrossEntropyLoss


class SoftmaxCrossEntropyLoss(Loss):
    """Cross entropy of ``softmax(pred)`` along ``axis``: against class indices (``sparse_label``) or
    distributions; ``from_logits``: pred already holds log-probabilities."""

    def __init__(self, axis=-1, sparse_label=True, from_logits=False, weight=None, batch_axis=0, **kwargs):
        super().__init__(weight, batch_axis, **kwargs)
        self._axis = axis
        self._sparse = sparse_label
        self._logits = from_logits

    def hybrid_forward(self, F, pred, label, sample_weight=None):
        logp = pred if self._logits else F.log_softmax(pred, axis=self._axis)
        if self._sparse:
            if hasattr(label, 'ndim') and hasattr(pred, 'ndim') and label.ndim == pred.ndim:
                label = F.reshape(label, shape=tuple(d for i, d in enumerate(label.shape)
                                                     if i != self._axis % label.ndim))
            nll = -F.pick(logp, label, axis=self._axis, keepdims=True)
        else:
            nll = -F.sum(logp * _shaped_as(F, label, logp), axis=self._axis, keepdims=True)
        return self._per_sample(F, nll, sample_weight)


SoftmaxCELoss = SoftmaxCrossEntropyLoss
