"""The Estimator: ``fit`` runs epochs (or a number of batches) of the network over training data, calling the
event handlers around training, epochs and batches; ``evaluate`` runs validation data."""
import copy
import logging
import sys
import warnings

from .... import context as _context
from .... import initializer as _init
from .... import metric as _metric
from ... import trainer as _trainer
from ...loss import Loss as _GluonLoss
from .batch_processor import BatchProcessor
from .event_handler import (BatchBegin, BatchEnd, EpochBegin, EpochEnd, GradientUpdateHandler, LoggingHandler,
                            MetricHandler, StoppingHandler, TrainBegin, TrainEnd, ValidationHandler, _update)

__all__ = ["Estimator"]


class _Stdout(logging.StreamHandler):
    """Writes to whatever sys.stdout is when a record is logged (not the one at creation)."""

    @property
    def stream(self):
        return sys.stdout

    @stream.setter
    def stream(self, value):
        pass


def _logger():
    """The estimator's logger: INFO messages to standard output, as MXNet's estimator prints them."""
    logger = logging.getLogger("mxc.gluon.contrib.estimator")
    if not logger.handlers:
        h = _Stdout()
        h.setFormatter(logging.Formatter("%(message)s"))
        logger.addHandler(h)
        logger.setLevel(logging.INFO)
        logger.propagate = False
    return logger


class Estimator(object):
    """Trains ``net`` with ``loss`` (a gluon Loss) and ``trainer`` on ``context`` (a context or a list; default:
    gpu(0) when there is a GPU, else cpu()).

    ``train_metrics`` default to accuracy and the mean loss; each is renamed ``training <name>`` and copied as
    ``validation <name>`` into ``val_metrics`` unless those are given. An uninitialized network is initialized with
    ``initializer`` (default Xavier); without a trainer, Adam with learning rate 0.001 is used. ``val_net`` and
    ``val_loss`` (default: ``net`` and ``loss``) run the validation."""

    logger = None

    def __init__(self, net, loss, train_metrics=None, val_metrics=None, initializer=None, trainer=None,
                 context=None, val_net=None, val_loss=None, batch_processor=None):
        if not isinstance(loss, _GluonLoss):
            raise ValueError("Estimator: loss must be a gluon.loss.Loss, got %s" % type(loss).__name__)
        self.net, self.loss = net, loss
        self.val_net = val_net if val_net is not None else net
        self.val_loss = val_loss if val_loss is not None else loss
        self.logger = _logger()
        self.context = self._check_context(context)
        self._initialize(initializer)
        self.trainer = self._check_trainer(trainer)
        self.batch_processor = batch_processor if batch_processor is not None else BatchProcessor()
        if not isinstance(self.batch_processor, BatchProcessor):
            raise ValueError("Estimator: batch_processor must be a BatchProcessor")
        self.train_metrics = self._metrics(train_metrics, default=True)
        self.val_metrics = self._metrics(val_metrics) if val_metrics is not None else None
        for m in self.train_metrics:
            if not m.name.startswith("training "):
                m.name = "training " + m.name
        if self.val_metrics is None:
            self.val_metrics = []
            for m in self.train_metrics:
                v = copy.deepcopy(m)
                v.name = "validation " + m.name[len("training "):]
                self.val_metrics.append(v)
        self.max_epoch = self.max_batch = None

    @staticmethod
    def _check_context(context):
        if context is None:
            return [_context.gpu(0)] if _context.num_gpus() > 0 else [_context.cpu()]
        ctx = context if isinstance(context, (list, tuple)) else [context]
        if not ctx or not all(isinstance(c, _context.Context) for c in ctx):
            raise ValueError("Estimator: context must be a Context or a list of them, got %r" % (context,))
        return list(ctx)

    def _initialize(self, initializer):
        params = self.net.collect_params()
        ready = [p._arrays is not None or p._waiting is not None for p in params.values()]
        if initializer is not None:
            if all(ready) and ready:
                warnings.warn("Estimator: the network is already initialized; the initializer is ignored "
                              "(re-initialize it yourself to apply one)")
            else:
                self.net.initialize(init=initializer, ctx=self.context)
        elif not all(ready):
            self.net.initialize(init=_init.Xavier(), ctx=self.context)
            self.logger.info("Estimator: the network was not initialized; initialized with Xavier")

    def _check_trainer(self, trainer):
        if trainer is None:
            self.logger.info("Estimator: no trainer given; using Adam with learning rate 0.001")
            return _trainer.Trainer(self.net.collect_params(), "adam", {"learning_rate": 0.001})
        if not isinstance(trainer, _trainer.Trainer):
            raise ValueError("Estimator: trainer must be a gluon.Trainer, got %s" % type(trainer).__name__)
        return trainer

    def _metrics(self, metrics, default=False):
        if metrics is None and default:
            return [_metric.Accuracy(), _metric.Loss(self.loss.name.rstrip("1234567890"))]
        metrics = metrics if isinstance(metrics, (list, tuple)) else [metrics]
        for m in metrics:
            if not isinstance(m, _metric.EvalMetric):
                raise ValueError("Estimator: metrics must be EvalMetric objects, got %s" % type(m).__name__)
        return list(metrics)

    # -- evaluation ------------------------------------------------------------------------------------------------
    def evaluate(self, val_data, batch_axis=0, event_handlers=None):
        """Runs ``val_data`` through ``val_net`` and updates ``val_metrics`` (reset first)."""
        for m in self.val_metrics:
            m.reset()
        handlers = sorted(event_handlers or [], key=lambda h: getattr(h, "priority", 0))
        for h in handlers:
            if isinstance(h, EpochBegin):
                h.epoch_begin(self)
        for batch in val_data:
            for h in handlers:
                if isinstance(h, BatchBegin):
                    h.batch_begin(self, batch=batch)
            _, label, pred, loss = self.batch_processor.evaluate_batch(self, batch, batch_axis)
            _update(self.val_metrics, label, pred, loss)
            for h in handlers:
                if isinstance(h, BatchEnd):
                    h.batch_end(self, batch=batch, pred=pred, label=label, loss=loss)
        for h in handlers:
            if isinstance(h, EpochEnd):
                h.epoch_end(self)

    # -- training --------------------------------------------------------------------------------------------------
    def fit(self, train_data, val_data=None, epochs=None, event_handlers=None, batches=None, batch_axis=0):
        """Trains for ``epochs`` passes over ``train_data`` or ``batches`` batches (exactly one of them), with the
        default handlers (metrics, gradient update, validation on ``val_data`` after each epoch, logging, stopping)
        plus ``event_handlers``."""
        if (epochs is None) == (batches is None):
            raise ValueError("Estimator.fit: give exactly one of epochs and batches")
        if (epochs is not None and epochs < 1) or (batches is not None and batches < 1):
            raise ValueError("Estimator.fit: epochs and batches must be positive")
        self.max_epoch, self.max_batch = epochs, batches
        handlers = self._prepare_handlers(val_data, event_handlers)
        by_event = {e: [h for h in handlers if isinstance(h, e)]
                    for e in (TrainBegin, EpochBegin, BatchBegin, BatchEnd, EpochEnd, TrainEnd)}
        for h in by_event[TrainBegin]:
            h.train_begin(self)
        stop = False
        while not stop:
            for h in by_event[EpochBegin]:
                h.epoch_begin(self)
            for batch in train_data:
                for h in by_event[BatchBegin]:
                    h.batch_begin(self, batch=batch)
                _, label, pred, loss = self.batch_processor.fit_batch(self, batch, batch_axis)
                results = [h.batch_end(self, batch=batch, pred=pred, label=label, loss=loss)
                           for h in by_event[BatchEnd]]
                if any(results):
                    stop = True
                    break
            results = [h.epoch_end(self) for h in by_event[EpochEnd]]
            stop = stop or any(results)
        for h in by_event[TrainEnd]:
            h.train_end(self)

    def _prepare_handlers(self, val_data, event_handlers):
        handlers = list(event_handlers or [])
        added = []
        if not any(isinstance(h, StoppingHandler) for h in handlers):
            added.append(StoppingHandler())  # reads max_epoch / max_batch from the estimator
        if not any(isinstance(h, GradientUpdateHandler) for h in handlers):
            added.append(GradientUpdateHandler())
        if not any(isinstance(h, MetricHandler) for h in handlers):
            added.append(MetricHandler(self.train_metrics))
        if val_data is not None and not any(isinstance(h, ValidationHandler) for h in handlers):
            added.append(ValidationHandler(val_data, self.evaluate))
        if not any(isinstance(h, LoggingHandler) for h in handlers):
            added.append(LoggingHandler(metrics=self.train_metrics + (self.val_metrics if val_data is not None
                                                                      else [])))
        return sorted(handlers + added, key=lambda h: getattr(h, "priority", 0))
