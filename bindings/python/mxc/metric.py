"""Evaluation metrics (MXNet 1.x ``mx.metric``).

A metric accumulates ``sum_metric`` and ``num_inst`` over mini-batches through ``update(labels, preds)`` (lists of
NDArrays, one per output) and reports ``sum_metric / num_inst`` from ``get()``. Every metric also keeps "global"
counters that ``reset_local()`` leaves alone. Computation happens in NumPy on ``asnumpy()`` copies, so metrics
accept NumPy arrays as well as NDArrays.
"""
import math
from collections import OrderedDict

import numpy

__all__ = ["EvalMetric", "CompositeEvalMetric", "Accuracy", "TopKAccuracy", "F1", "MCC", "Perplexity", "MAE",
           "MSE", "RMSE", "CrossEntropy", "NegativeLogLikelihood", "PearsonCorrelation", "Loss", "Torch", "Caffe",
           "CustomMetric", "np", "create", "register", "alias", "check_label_shapes"]

_REGISTRY = {}


def register(klass):
    """Registers a metric class under its lower-cased class name (``mx.metric.create`` finds it)."""
    if not (isinstance(klass, type) and issubclass(klass, EvalMetric)):
        raise TypeError("register: %r is not a subclass of EvalMetric" % (klass,))
    _REGISTRY[klass.__name__.lower()] = klass
    return klass


def alias(*names):
    """Decorator registering extra names for a metric class."""
    def _reg(klass):
        for name in names:
            _REGISTRY[name.lower()] = klass
        return klass
    return _reg


def _as_numpy(x):
    """A NumPy view of an NDArray (``asnumpy()``) or anything array-like."""
    if hasattr(x, "asnumpy"):
        return x.asnumpy()
    return numpy.asarray(x)


def _as_list(x):
    if isinstance(x, (list, tuple)):
        return list(x)
    return [x]


def check_label_shapes(labels, preds, wrap=False, shape=False):
    """Checks that labels and predictions agree in count (or in shape with ``shape=True``).

    With ``wrap=True`` a single array is wrapped into a one-element list. Raises ValueError on a mismatch.
    """
    if wrap:
        if not isinstance(labels, (list, tuple)):
            labels = [labels]
        if not isinstance(preds, (list, tuple)):
            preds = [preds]
    if shape:
        label_shape, pred_shape = tuple(labels.shape), tuple(preds.shape)
    else:
        label_shape, pred_shape = len(labels), len(preds)
    if label_shape != pred_shape:
        raise ValueError("Shape of labels {} does not match shape of predictions {}".format(label_shape, pred_shape))
    return labels, preds


class EvalMetric(object):
    """Base class of all metrics.

    Parameters
    ----------
    name : str
        Display name.
    output_names, label_names : list of str or None
        Which outputs / labels ``update_dict`` uses (all when None).
    """

    def __init__(self, name, output_names=None, label_names=None, **kwargs):
        self.name = str(name)
        self.output_names = output_names
        self.label_names = label_names
        self._has_global_stats = kwargs.pop("has_global_stats", False)
        self._kwargs = kwargs
        self.reset()

    def __str__(self):
        return "EvalMetric: {}".format(dict(self.get_name_value()))

    def get_config(self):
        """The constructor arguments; ``mx.metric.create(**config)`` rebuilds the metric."""
        config = self._kwargs.copy()
        config.update({'metric': self.__class__.__name__, 'name': self.name,
                       'output_names': self.output_names, 'label_names': self.label_names})
        return config

    def update_dict(self, label, pred):
        """Updates from name -> array dicts, picking ``label_names`` / ``output_names`` when set."""
        if self.output_names is not None:
            pred = [pred[name] for name in self.output_names]
        else:
            pred = list(pred.values())
        if self.label_names is not None:
            label = [label[name] for name in self.label_names]
        else:
            label = list(label.values())
        self.update(label, pred)

    def update(self, labels, preds):
        """Accumulates statistics of one mini-batch (lists of arrays, one per output)."""
        raise NotImplementedError()

    def reset(self):
        """Clears local and global statistics."""
        self.num_inst = 0
        self.sum_metric = 0.0
        self.global_num_inst = 0
        self.global_sum_metric = 0.0

    def reset_local(self):
        """Clears the local statistics only (global ones keep accumulating)."""
        self.num_inst = 0
        self.sum_metric = 0.0

    def _add(self, value, count):
        self.sum_metric += value
        self.global_sum_metric += value
        self.num_inst += count
        self.global_num_inst += count

    def get(self):
        """Returns ``(name, value)``; the value is NaN before any update."""
        if self.num_inst == 0:
            return (self.name, float('nan'))
        return (self.name, self.sum_metric / self.num_inst)

    def get_global(self):
        """Like ``get`` but over everything since the last ``reset()``."""
        if not self._has_global_stats:
            return self.get()
        if self.global_num_inst == 0:
            return (self.name, float('nan'))
        return (self.name, self.global_sum_metric / self.global_num_inst)

    def get_name_value(self):
        """Returns a list of ``(name, value)`` pairs."""
        name, value = self.get()
        return list(zip(_as_list(name), _as_list(value)))

    def get_global_name_value(self):
        """Returns a list of ``(name, value)`` pairs of the global statistics."""
        name, value = self.get_global()
        return list(zip(_as_list(name), _as_list(value)))


def create(metric, *args, **kwargs):
    """Creates a metric from a name ('acc', 'ce', 'mse', ...), an EvalMetric (returned as is), a list of
    those (a CompositeEvalMetric), or a function ``feval(label, pred)`` (a CustomMetric)."""
    if isinstance(metric, EvalMetric):
        return metric
    if isinstance(metric, list):
        composite = CompositeEvalMetric()
        for child in metric:
            composite.add(create(child, *args, **kwargs))
        return composite
    if isinstance(metric, type) and issubclass(metric, EvalMetric):
        return metric(*args, **kwargs)
    if callable(metric):
        return CustomMetric(metric, *args, **kwargs)
    if isinstance(metric, dict):
        config = dict(metric)
        name = config.pop('metric', None)
        if name is None:
            raise ValueError("metric.create: a config dict needs a 'metric' key, got %r" % (metric,))
        if 'metrics' in config:
            config['metrics'] = [create(m) for m in config['metrics']]
        config.update(kwargs)
        return create(name, *args, **config)
    if isinstance(metric, str):
        klass = _REGISTRY.get(metric.lower())
        if klass is None:
            raise ValueError("Unknown metric '%s'. Known metrics: %s" % (metric, ", ".join(sorted(_REGISTRY))))
        return klass(*args, **kwargs)
    raise TypeError("metric.create: expected a metric name, EvalMetric, list or function, got %r" % (metric,))


@register
@alias('composite')
class CompositeEvalMetric(EvalMetric):
    """Several metrics updated together; ``get()`` returns lists of names and values."""

    def __init__(self, metrics=None, name='composite', output_names=None, label_names=None):
        super(CompositeEvalMetric, self).__init__(name, output_names=output_names, label_names=label_names,
                                                  has_global_stats=True)
        self.metrics = [create(m) for m in (metrics or [])]

    def add(self, metric):
        """Adds a child metric (anything ``create`` accepts)."""
        self.metrics.append(create(metric))

    def get_metric(self, index):
        """Returns the child metric at ``index``."""
        if not -len(self.metrics) <= index < len(self.metrics):
            raise IndexError("CompositeEvalMetric: metric index %d is out of range [0, %d)"
                             % (index, len(self.metrics)))
        return self.metrics[index]

    def update_dict(self, labels, preds):
        if self.label_names is not None:
            labels = OrderedDict([i for i in labels.items() if i[0] in self.label_names])
        if self.output_names is not None:
            preds = OrderedDict([i for i in preds.items() if i[0] in self.output_names])
        for metric in self.metrics:
            metric.update_dict(labels, preds)

    def update(self, labels, preds):
        for metric in self.metrics:
            metric.update(labels, preds)

    def reset(self):
        for metric in getattr(self, 'metrics', []):
            metric.reset()

    def reset_local(self):
        for metric in self.metrics:
            metric.reset_local()

    def _collect(self, getter):
        names, values = [], []
        for metric in self.metrics:
            name, value = getter(metric)
            names.extend(_as_list(name))
            values.extend(_as_list(value))
        return (names, values)

    def get(self):
        return self._collect(lambda m: m.get())

    def get_global(self):
        return self._collect(lambda m: m.get_global())

    def get_config(self):
        config = super(CompositeEvalMetric, self).get_config()
        config.update({'metrics': [m.get_config() for m in self.metrics]})
        return config


@register
@alias('acc')
class Accuracy(EvalMetric):
    """Fraction of samples whose predicted class (argmax over ``axis`` when the prediction has more dimensions
    than the label) equals the label."""

    def __init__(self, axis=1, name='accuracy', output_names=None, label_names=None):
        super(Accuracy, self).__init__(name, axis=axis, output_names=output_names, label_names=label_names,
                                       has_global_stats=True)
        self.axis = axis

    def update(self, labels, preds):
        labels, preds = check_label_shapes(labels, preds, True)
        for label, pred in zip(labels, preds):
            pred = _as_numpy(pred)
            label = _as_numpy(label)
            if pred.shape != label.shape:
                pred = numpy.argmax(pred, axis=self.axis)
            pred = pred.astype('int32').ravel()
            label = label.astype('int32').ravel()
            check_label_shapes(label, pred)
            self._add(int((pred == label).sum()), len(pred))


@register
@alias('top_k_accuracy', 'top_k_acc')
class TopKAccuracy(EvalMetric):
    """Fraction of samples whose label is among the ``top_k`` highest-scored classes."""

    def __init__(self, top_k=1, name='top_k_accuracy', output_names=None, label_names=None):
        super(TopKAccuracy, self).__init__(name, top_k=top_k, output_names=output_names, label_names=label_names,
                                           has_global_stats=True)
        if top_k <= 1:
            raise ValueError("TopKAccuracy: top_k must be > 1 (use Accuracy for top_k=1), got %r" % (top_k,))
        self.top_k = top_k
        self.name += '_%d' % self.top_k

    def update(self, labels, preds):
        labels, preds = check_label_shapes(labels, preds, True)
        for label, pred in zip(labels, preds):
            pred = _as_numpy(pred).astype('float32')
            label = _as_numpy(label).astype('int32').ravel()
            if pred.ndim > 2:
                raise ValueError("TopKAccuracy: predictions must have at most 2 dimensions, got shape %s"
                                 % (pred.shape,))
            if pred.shape[0] != label.shape[0]:
                raise ValueError("TopKAccuracy: %d labels for %d predictions" % (label.shape[0], pred.shape[0]))
            if pred.ndim == 1:
                correct = int((pred.astype('int32') == label).sum())
            else:
                k = min(pred.shape[1], self.top_k)
                top = numpy.argpartition(pred, -k, axis=1)[:, -k:]
                correct = int((top == label[:, None]).any(axis=1).sum())
            self._add(correct, pred.shape[0])


class _BinaryStats(object):
    """True/false positive/negative counts of a binary classifier, local and global."""

    def __init__(self):
        self.reset_stats()

    def update_binary_stats(self, label, pred):
        pred = _as_numpy(pred)
        label = _as_numpy(label).astype('int32').ravel()
        pred_label = numpy.argmax(pred, axis=1) if pred.ndim > 1 else (pred > 0.5).astype('int32')
        if len(label) != len(pred_label):
            raise ValueError("Shape of labels %s does not match shape of predictions %s" % (label.shape, pred.shape))
        if len(numpy.unique(label)) > 2:
            raise ValueError("%s currently only supports binary classification (labels 0 and 1)"
                             % self.__class__.__name__)
        pred_true = pred_label == 1
        label_true = label == 1
        tp = int((pred_true & label_true).sum())
        fp = int((pred_true & ~label_true).sum())
        fn = int((~pred_true & label_true).sum())
        tn = int((~pred_true & ~label_true).sum())
        self.true_positives += tp
        self.false_positives += fp
        self.false_negatives += fn
        self.true_negatives += tn
        self.global_true_positives += tp
        self.global_false_positives += fp
        self.global_false_negatives += fn
        self.global_true_negatives += tn

    @staticmethod
    def _fscore(tp, fp, fn):
        precision = float(tp) / (tp + fp) if tp + fp > 0 else 0.
        recall = float(tp) / (tp + fn) if tp + fn > 0 else 0.
        if precision + recall > 0:
            return 2 * precision * recall / (precision + recall)
        return 0.

    @property
    def fscore(self):
        return self._fscore(self.true_positives, self.false_positives, self.false_negatives)

    @property
    def global_fscore(self):
        return self._fscore(self.global_true_positives, self.global_false_positives, self.global_false_negatives)

    @staticmethod
    def _mcc(tp, fp, fn, tn):
        if tp + fp + fn + tn == 0:
            return 0.
        denom = 1.
        for t in (tp + fp, tp + fn, tn + fp, tn + fn):
            if t != 0:
                denom *= t
        return (float(tp) * tn - float(fp) * fn) / math.sqrt(denom)

    def matthewscc(self, use_global=False):
        if use_global:
            return self._mcc(self.global_true_positives, self.global_false_positives,
                             self.global_false_negatives, self.global_true_negatives)
        return self._mcc(self.true_positives, self.false_positives, self.false_negatives, self.true_negatives)

    @property
    def total_examples(self):
        return self.true_positives + self.false_positives + self.false_negatives + self.true_negatives

    @property
    def global_total_examples(self):
        return (self.global_true_positives + self.global_false_positives + self.global_false_negatives
                + self.global_true_negatives)

    def local_reset_stats(self):
        self.true_positives = self.false_positives = self.false_negatives = self.true_negatives = 0

    def reset_stats(self):
        self.local_reset_stats()
        self.global_true_positives = self.global_false_positives = 0
        self.global_false_negatives = self.global_true_negatives = 0


class _BinaryMetric(EvalMetric):
    """Shared logic of F1 and MCC: 'macro' averages per-batch scores, 'micro' scores all batches at once."""

    def __init__(self, name, output_names, label_names, average):
        if average not in ('macro', 'micro'):
            raise ValueError("%s: average must be 'macro' or 'micro', got %r" % (self.__class__.__name__, average))
        self.average = average
        self.metrics = _BinaryStats()
        super(_BinaryMetric, self).__init__(name, output_names=output_names, label_names=label_names,
                                            has_global_stats=True)

    def _score(self, use_global):
        raise NotImplementedError()

    def update(self, labels, preds):
        labels, preds = check_label_shapes(labels, preds, True)
        for label, pred in zip(labels, preds):
            self.metrics.update_binary_stats(label, pred)
        if self.average == 'macro':
            self.sum_metric += self._score(False)
            self.global_sum_metric += self._score(True)
            self.num_inst += 1
            self.global_num_inst += 1
            self.metrics.reset_stats()
        else:
            self.sum_metric = self._score(False) * self.metrics.total_examples
            self.global_sum_metric = self._score(True) * self.metrics.global_total_examples
            self.num_inst = self.metrics.total_examples
            self.global_num_inst = self.metrics.global_total_examples

    def reset(self):
        super(_BinaryMetric, self).reset()
        if hasattr(self, 'metrics'):
            self.metrics.reset_stats()

    def reset_local(self):
        super(_BinaryMetric, self).reset_local()
        self.metrics.local_reset_stats()


@register
class F1(_BinaryMetric):
    """F1 score (harmonic mean of precision and recall) of a binary classifier; class 1 is positive."""

    def __init__(self, name='f1', output_names=None, label_names=None, average='macro'):
        super(F1, self).__init__(name, output_names, label_names, average)

    def _score(self, use_global):
        return self.metrics.global_fscore if use_global else self.metrics.fscore


@register
class MCC(_BinaryMetric):
    """Matthews correlation coefficient of a binary classifier (zero factors of the denominator count as 1)."""

    def __init__(self, name='mcc', output_names=None, label_names=None, average='macro'):
        super(MCC, self).__init__(name, output_names, label_names, average)

    def _score(self, use_global):
        return self.metrics.matthewscc(use_global)


@register
class Perplexity(EvalMetric):
    """``exp(-mean(log p(label)))`` over all samples whose label is not ``ignore_label``."""

    def __init__(self, ignore_label, axis=-1, name='perplexity', output_names=None, label_names=None):
        super(Perplexity, self).__init__(name, ignore_label=ignore_label, output_names=output_names,
                                         label_names=label_names, has_global_stats=True)
        self.ignore_label = ignore_label
        self.axis = axis

    def update(self, labels, preds):
        labels, preds = check_label_shapes(labels, preds, True)
        loss = 0.
        num = 0
        for label, pred in zip(labels, preds):
            pred = _as_numpy(pred)
            label = _as_numpy(label)
            if label.size * pred.shape[self.axis] != pred.size:
                raise ValueError("Perplexity: shape mismatch: labels %s vs. predictions %s"
                                 % (label.shape, pred.shape))
            probs = numpy.moveaxis(pred, self.axis, -1).reshape(-1, pred.shape[self.axis])
            label = label.reshape(-1).astype('int64')
            picked = probs[numpy.arange(label.shape[0]), numpy.clip(label, 0, probs.shape[1] - 1)]
            if self.ignore_label is not None:
                keep = label != self.ignore_label
                picked = picked[keep]
            loss -= float(numpy.log(numpy.maximum(1e-10, picked)).sum())
            num += picked.size
        self._add(loss, num)

    def get(self):
        if self.num_inst == 0:
            return (self.name, float('nan'))
        return (self.name, math.exp(self.sum_metric / self.num_inst))

    def get_global(self):
        if self.global_num_inst == 0:
            return (self.name, float('nan'))
        return (self.name, math.exp(self.global_sum_metric / self.global_num_inst))


def _regression_pair(label, pred):
    label = _as_numpy(label)
    pred = _as_numpy(pred)
    if label.ndim == 1:
        label = label.reshape(label.shape[0], 1)
    if pred.ndim == 1:
        pred = pred.reshape(pred.shape[0], 1)
    return label, pred


@register
class MAE(EvalMetric):
    """Mean absolute error; as in MXNet, the mean of the per-batch means."""

    def __init__(self, name='mae', output_names=None, label_names=None):
        super(MAE, self).__init__(name, output_names=output_names, label_names=label_names, has_global_stats=True)

    def update(self, labels, preds):
        labels, preds = check_label_shapes(labels, preds, True)
        for label, pred in zip(labels, preds):
            label, pred = _regression_pair(label, pred)
            self._add(float(numpy.abs(label - pred).mean()), 1)


@register
class MSE(EvalMetric):
    """Mean squared error; as in MXNet, the mean of the per-batch means."""

    def __init__(self, name='mse', output_names=None, label_names=None):
        super(MSE, self).__init__(name, output_names=output_names, label_names=label_names, has_global_stats=True)

    def update(self, labels, preds):
        labels, preds = check_label_shapes(labels, preds, True)
        for label, pred in zip(labels, preds):
            label, pred = _regression_pair(label, pred)
            self._add(float(((label - pred) ** 2.0).mean()), 1)


@register
class RMSE(EvalMetric):
    """Root mean squared error; as in MXNet, the mean of the per-batch RMSEs."""

    def __init__(self, name='rmse', output_names=None, label_names=None):
        super(RMSE, self).__init__(name, output_names=output_names, label_names=label_names, has_global_stats=True)

    def update(self, labels, preds):
        labels, preds = check_label_shapes(labels, preds, True)
        for label, pred in zip(labels, preds):
            label, pred = _regression_pair(label, pred)
            self._add(float(numpy.sqrt(((label - pred) ** 2.0).mean())), 1)


class _PickedLogLoss(EvalMetric):
    """Mean of ``-log(p[label] + eps)`` over samples (predictions are probabilities, shape (N, classes))."""

    def __init__(self, eps, name, output_names, label_names):
        super(_PickedLogLoss, self).__init__(name, eps=eps, output_names=output_names, label_names=label_names,
                                             has_global_stats=True)
        self.eps = eps

    def update(self, labels, preds):
        labels, preds = check_label_shapes(labels, preds, True)
        for label, pred in zip(labels, preds):
            label = _as_numpy(label).ravel()
            pred = _as_numpy(pred)
            if label.shape[0] != pred.shape[0]:
                raise ValueError("%s: %d labels for %d predictions"
                                 % (self.__class__.__name__, label.shape[0], pred.shape[0]))
            prob = pred[numpy.arange(label.shape[0]), label.astype('int64')]
            self._add(float((-numpy.log(prob + self.eps)).sum()), label.shape[0])


@register
@alias('ce')
class CrossEntropy(_PickedLogLoss):
    """Cross entropy of predicted class probabilities, averaged over samples."""

    def __init__(self, eps=1e-12, name='cross-entropy', output_names=None, label_names=None):
        super(CrossEntropy, self).__init__(eps, name, output_names, label_names)


@register
@alias('nll_loss')
class NegativeLogLikelihood(_PickedLogLoss):
    """Negative log likelihood of the label's predicted probability, averaged over samples."""

    def __init__(self, eps=1e-12, name='nll-loss', output_names=None, label_names=None):
        super(NegativeLogLikelihood, self).__init__(eps, name, output_names, label_names)


@register
@alias('pearsonr')
class PearsonCorrelation(EvalMetric):
    """Pearson correlation of flattened labels and predictions, averaged over batches."""

    def __init__(self, name='pearsonr', output_names=None, label_names=None):
        super(PearsonCorrelation, self).__init__(name, output_names=output_names, label_names=label_names,
                                                 has_global_stats=True)

    def update(self, labels, preds):
        labels, preds = check_label_shapes(labels, preds, True)
        for label, pred in zip(labels, preds):
            label = _as_numpy(label).ravel().astype('float64')
            pred = _as_numpy(pred).ravel().astype('float64')
            if label.shape != pred.shape:
                raise ValueError("pearsonr: labels %s vs predictions %s" % (label.shape, pred.shape))
            self._add(float(numpy.corrcoef(pred, label)[0, 1]), 1)


@register
class PCC(EvalMetric):
    """Multiclass Pearson correlation (the Matthews coefficient generalised to K classes) from a confusion matrix
    accumulated over every update since the last reset: with c correct samples out of s, p_k samples predicted and
    t_k labelled as class k, ``(c * s - sum_k p_k t_k) / sqrt((s**2 - sum_k p_k**2) * (s**2 - sum_k t_k**2))``.
    Predictions are class scores (argmax taken) or class indices; the matrix grows with the classes seen."""

    def __init__(self, name='pcc', output_names=None, label_names=None):
        super(PCC, self).__init__(name, output_names=output_names, label_names=label_names, has_global_stats=True)

    def reset(self):
        super(PCC, self).reset()
        self.lcm = numpy.zeros((0, 0))
        self.gcm = numpy.zeros((0, 0))

    def reset_local(self):
        super(PCC, self).reset_local()
        self.lcm = numpy.zeros((0, 0))

    @staticmethod
    def _grow(cm, k):
        if cm.shape[0] >= k:
            return cm
        out = numpy.zeros((k, k))
        out[:cm.shape[0], :cm.shape[1]] = cm
        return out

    @staticmethod
    def _mcc(cm):
        s, c = cm.sum(), numpy.trace(cm)
        p, t = cm.sum(axis=0), cm.sum(axis=1)
        den = (s * s - (p * p).sum()) * (s * s - (t * t).sum())
        return float((c * s - (p * t).sum()) / numpy.sqrt(den)) if den > 0 else 0.0

    def update(self, labels, preds):
        labels, preds = check_label_shapes(labels, preds, True)
        for label, pred in zip(labels, preds):
            label = _as_numpy(label).astype('int64').ravel()
            pred = _as_numpy(pred)
            pred = (pred.argmax(axis=1) if pred.ndim > 1 and pred.shape != label.shape else pred).astype('int64')
            pred = pred.ravel()
            if label.shape != pred.shape:
                raise ValueError("pcc: %d labels vs %d predictions" % (label.size, pred.size))
            if label.size and min(label.min(), pred.min()) < 0:
                raise ValueError("pcc: class indices must not be negative")
            k = int(max(label.max(), pred.max())) + 1 if label.size else 0
            self.lcm, self.gcm = self._grow(self.lcm, k), self._grow(self.gcm, k)
            numpy.add.at(self.lcm, (label, pred), 1)
            numpy.add.at(self.gcm, (label, pred), 1)
        # As MXNet: the value is recomputed from the whole matrix, and counts as one instance.
        self.sum_metric, self.num_inst = self._mcc(self.lcm), 1
        self.global_sum_metric, self.global_num_inst = self._mcc(self.gcm), 1


@register
class Loss(EvalMetric):
    """Mean of the network's outputs, for networks whose outputs are losses."""

    def __init__(self, name='loss', output_names=None, label_names=None):
        super(Loss, self).__init__(name, output_names=output_names, label_names=label_names, has_global_stats=True)

    def update(self, _, preds):
        for pred in _as_list(preds):
            pred = _as_numpy(pred)
            self._add(float(pred.sum()), pred.size)


@register
class Torch(Loss):
    """Loss metric under the name 'torch' (MXNet compatibility)."""

    def __init__(self, name='torch', output_names=None, label_names=None):
        super(Torch, self).__init__(name, output_names=output_names, label_names=label_names)


@register
class Caffe(Loss):
    """Loss metric under the name 'caffe' (MXNet compatibility)."""

    def __init__(self, name='caffe', output_names=None, label_names=None):
        super(Caffe, self).__init__(name, output_names=output_names, label_names=label_names)


@register
class CustomMetric(EvalMetric):
    """A metric computed by ``feval(label, pred)`` on NumPy arrays.

    ``feval`` returns either the batch's metric value (counted as one instance) or a ``(sum_metric, num_inst)``
    tuple.
    """

    def __init__(self, feval, name=None, allow_extra_outputs=False, output_names=None, label_names=None):
        if name is None:
            name = getattr(feval, '__name__', 'custom')
            if '<' in name:
                name = 'custom(%s)' % name
        super(CustomMetric, self).__init__(name, feval=feval, allow_extra_outputs=allow_extra_outputs,
                                           output_names=output_names, label_names=label_names,
                                           has_global_stats=True)
        self._feval = feval
        self._allow_extra_outputs = allow_extra_outputs

    def update(self, labels, preds):
        if not self._allow_extra_outputs:
            labels, preds = check_label_shapes(labels, preds, True)
        for pred, label in zip(_as_list(preds), _as_list(labels)):
            reval = self._feval(_as_numpy(label), _as_numpy(pred))
            if isinstance(reval, tuple):
                self._add(reval[0], reval[1])
            else:
                self._add(reval, 1)

    def get_config(self):
        raise NotImplementedError("CustomMetric cannot be serialized")


def np(numpy_feval, name=None, allow_extra_outputs=False):  # pylint: disable=invalid-name
    """Creates a CustomMetric from ``numpy_feval(label, pred) -> float`` working on NumPy arrays."""
    def feval(label, pred):
        return numpy_feval(label, pred)
    feval.__name__ = getattr(numpy_feval, '__name__', 'custom')
    return CustomMetric(feval, name, allow_extra_outputs)
