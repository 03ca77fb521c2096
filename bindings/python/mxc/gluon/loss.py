"""Loss blocks: each returns one value per sample (the mean over all axes except ``batch_axis``), scaled by
``weight`` and by an optional ``sample_weight`` broadcast against the elementwise loss."""
from .block import HybridBlock

__all__ = ["Loss", "L2Loss", "L1Loss", "SigmoidBinaryCrossEntropyLoss", "SigmoidBCELoss",
           "SoftmaxCrossEntropyLoss", "SoftmaxCELoss", "KLDivLoss", "HuberLoss", "HingeLoss", "SquaredHingeLoss",
           "LogisticLoss", "TripletLoss", "PoissonNLLLoss", "CosineEmbeddingLoss", "CTCLoss", "SDMLLoss"]


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


class KLDivLoss(Loss):
    """Kullback-Leibler divergence ``label * (log(label) - pred)``, summed over every axis but ``batch_axis`` (as
    MXNet 1.9.1 computes it), with ``pred`` log-probabilities (``from_logits``), else ``pred`` is first turned into
    them by log_softmax along ``axis``."""

    def __init__(self, from_logits=True, axis=-1, weight=None, batch_axis=0, **kwargs):
        super().__init__(weight, batch_axis, **kwargs)
        self._logits = from_logits
        self._axis = axis

    def hybrid_forward(self, F, pred, label, sample_weight=None):
        logp = pred if self._logits else F.log_softmax(pred, axis=self._axis)
        kl = _scaled(F, label * (F.log(label + 1e-12) - logp), self._weight, sample_weight)
        return F.sum(kl, axis=self._keep_axis, exclude=True)


class HuberLoss(Loss):
    """Smooth L1: ``0.5 / rho * d^2`` where ``|d| <= rho``, else ``|d| - 0.5 * rho``, with ``d = pred - label``."""

    def __init__(self, rho=1, weight=None, batch_axis=0, **kwargs):
        super().__init__(weight, batch_axis, **kwargs)
        self._rho = rho

    def hybrid_forward(self, F, pred, label, sample_weight=None):
        d = F.abs(pred - _shaped_as(F, label, pred))
        quad = F.square(d) * (0.5 / self._rho)
        lin = d - 0.5 * self._rho
        return self._per_sample(F, F.where(d > self._rho, lin, quad), sample_weight)


class HingeLoss(Loss):
    """``max(0, margin - pred * label)`` for labels -1 and 1."""

    def __init__(self, margin=1, weight=None, batch_axis=0, **kwargs):
        super().__init__(weight, batch_axis, **kwargs)
        self._margin = margin

    def _hinge(self, F, pred, label):
        return F.relu(self._margin - pred * _shaped_as(F, label, pred))

    def hybrid_forward(self, F, pred, label, sample_weight=None):
        return self._per_sample(F, self._hinge(F, pred, label), sample_weight)


class SquaredHingeLoss(HingeLoss):
    """``max(0, margin - pred * label)^2`` for labels -1 and 1."""

    def hybrid_forward(self, F, pred, label, sample_weight=None):
        return self._per_sample(F, F.square(self._hinge(F, pred, label)), sample_weight)


class LogisticLoss(Loss):
    """``log(1 + exp(-pred * label))`` for labels -1/1 (``label_format='signed'``) or 0/1 (``'binary'``)."""

    def __init__(self, weight=None, batch_axis=0, label_format='signed', **kwargs):
        super().__init__(weight, batch_axis, **kwargs)
        if label_format not in ('signed', 'binary'):
            raise ValueError("label_format can only be signed or binary, recieved %s." % label_format)
        self._binary = label_format == 'binary'

    def hybrid_forward(self, F, pred, label, sample_weight=None):
        label = _shaped_as(F, label, pred)
        if self._binary:
            label = 2 * label - 1
        # log(1 + exp(-z)) = softrelu(-z), finite for large |z|
        return self._per_sample(F, F.Activation(-pred * label, act_type='softrelu'), sample_weight)


class TripletLoss(Loss):
    """``max(0, |pred - positive|^2 - |pred - negative|^2 + margin)``, the squares summed over every axis but
    ``batch_axis``."""

    def __init__(self, margin=1, weight=None, batch_axis=0, **kwargs):
        super().__init__(weight, batch_axis, **kwargs)
        self._margin = margin

    def hybrid_forward(self, F, pred, positive, negative, sample_weight=None):
        positive, negative = _shaped_as(F, positive, pred), _shaped_as(F, negative, pred)
        gap = _scaled(F, F.square(positive - pred) - F.square(negative - pred), self._weight, sample_weight)
        return F.relu(F.sum(gap, axis=self._keep_axis, exclude=True) + self._margin)


class PoissonNLLLoss(Loss):
    """Negative log likelihood of ``target`` under a Poisson distribution of mean ``exp(pred)`` (``from_logits``)
    or ``pred``; ``compute_full`` adds Stirling's approximation of ``log(target!)`` for targets above 1. Returns the
    mean over all elements, as MXNet (shape (1,))."""

    def __init__(self, weight=None, from_logits=True, batch_axis=0, compute_full=False, **kwargs):
        super().__init__(weight, batch_axis, **kwargs)
        self._logits = from_logits
        self._full = compute_full

    def hybrid_forward(self, F, pred, target, sample_weight=None, epsilon=1e-08):
        target = _shaped_as(F, target, pred)
        if self._logits:
            loss = F.exp(pred) - target * pred
        else:
            loss = pred - target * F.log(pred + epsilon)
        if self._full:
            stirling = target * F.log(target) - target + 0.5 * F.log(2 * target * 3.141592653589793)
            loss = loss + F.where(target > 1, stirling, F.zeros_like(target))
        return F.mean(_scaled(F, loss, self._weight, sample_weight)).reshape((1,))


class CosineEmbeddingLoss(Loss):
    """For vectors along the last axis: ``1 - cos(input1, input2)`` where label is 1, ``max(0, cos - margin)`` where
    it is -1; one value per sample, shape (batch, 1) as MXNet."""

    def __init__(self, weight=None, batch_axis=0, margin=0, **kwargs):
        super().__init__(weight, batch_axis, **kwargs)
        self._margin = margin

    def hybrid_forward(self, F, input1, input2, label, sample_weight=None):
        input2 = _shaped_as(F, input2, input1)
        dot = F.sum(input1 * input2, axis=-1).reshape((-1, 1))
        norms = (F.norm(input1, axis=-1) * F.norm(input2, axis=-1)).reshape((-1, 1))
        cos = dot / F.maximum(norms, 1e-12)
        label = label.reshape((-1, 1))
        loss = F.where(label == 1, 1 - cos, F.relu(cos - self._margin))
        return _scaled(F, loss, self._weight, sample_weight)


class CTCLoss(Loss):
    """Connectionist Temporal Classification loss of unnormalised predictions (layout 'NTC' or 'TNC'; the last
    channel, alphabet_size - 1, is the blank) against zero-based labels padded with -1 (label_layout 'NT' or 'TN'),
    with optional pred_lengths and label_lengths (batch_size,); one loss per sample."""

    def __init__(self, layout='NTC', label_layout='NT', weight=None, **kwargs):
        if layout not in ('NTC', 'TNC'):
            raise AssertionError("Only 'NTC' and 'TNC' layouts for pred are supported. Got: %s" % layout)
        if label_layout not in ('NT', 'TN'):
            raise AssertionError("Only 'NT' and 'TN' layouts for label are supported. Got: %s" % label_layout)
        self._layout = layout
        self._label_layout = label_layout
        batch_axis = label_layout.find('N')
        super().__init__(weight, batch_axis, **kwargs)

    def hybrid_forward(self, F, pred, label, pred_lengths=None, label_lengths=None, sample_weight=None):
        if self._layout == 'NTC':
            pred = F.swapaxes(pred, dim1=0, dim2=1)
        if self._keep_axis == 1:
            label = F.swapaxes(label, dim1=0, dim2=1)
        loss = F.CTCLoss(pred, label, pred_lengths, label_lengths, use_data_lengths=pred_lengths is not None,
                         use_label_lengths=label_lengths is not None, blank_label='last')
        return _scaled(F, loss, self._weight, sample_weight)


class SDMLLoss(Loss):
    """Smoothed deep metric learning loss (Bonadiman et al. 2019) for a batch of N aligned pairs (x1[i], x2[i]),
    each (N, D): the KL divergence between the softmax over -||x1[i] - x2[j]||^2 (j over the batch) and labels that
    give the aligned pair 1 - smoothing_parameter and every other pair smoothing_parameter / (N - 1), summed over
    j. As in MXNet 1.9.1, ``weight`` is accepted but not applied. The other samples of the batch are the negatives, so N must be at least 2."""

    def __init__(self, smoothing_parameter=0.3, weight=1., batch_axis=0, **kwargs):
        super().__init__(weight, batch_axis, **kwargs)
        self.kl_loss = KLDivLoss(from_logits=True)
        self.smoothing_parameter = smoothing_parameter

    def hybrid_forward(self, F, x1, x2):
        if hasattr(x1, 'ndim') and (x1.ndim != 2 or x1.shape != x2.shape or x1.shape[0] < 2):
            raise ValueError("SDMLLoss: x1 and x2 must both be (batch, dim) with batch >= 2, got %s and %s"
                             % (x1.shape, x2.shape))
        dist = F.sum(F.square(F.broadcast_sub(F.expand_dims(x1, 1), F.expand_dims(x2, 0))), axis=2)
        gold = F.diag(F.ones_like(F.sum(dist, axis=1)))  # the identity, N x N
        off = 1 - gold
        s = self.smoothing_parameter
        labels = gold * (1 - s) + F.broadcast_div(off * s, F.sum(off, axis=1, keepdims=True))
        return self.kl_loss(F.log_softmax(-dist, axis=1), labels)  # weight is not applied, as in MXNet 1.9.1
