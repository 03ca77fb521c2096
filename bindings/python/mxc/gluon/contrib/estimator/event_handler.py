"""Event handlers of the Estimator. A handler subclasses the events it reacts to (TrainBegin, TrainEnd, EpochBegin,
EpochEnd, BatchBegin, BatchEnd); handlers run in increasing ``priority``. ``epoch_end``/``batch_end`` return True to
stop training."""
import os
import time
import warnings

import numpy as np

from .... import metric as _metric

__all__ = ["TrainBegin", "TrainEnd", "EpochBegin", "EpochEnd", "BatchBegin", "BatchEnd", "StoppingHandler",
           "MetricHandler", "ValidationHandler", "LoggingHandler", "CheckpointHandler", "EarlyStoppingHandler",
           "GradientUpdateHandler"]


class TrainBegin(object):
    def train_begin(self, estimator, *args, **kwargs):
        pass


class TrainEnd(object):
    def train_end(self, estimator, *args, **kwargs):
        pass


class EpochBegin(object):
    def epoch_begin(self, estimator, *args, **kwargs):
        pass


class EpochEnd(object):
    def epoch_end(self, estimator, *args, **kwargs):
        return False


class BatchBegin(object):
    def batch_begin(self, estimator, *args, **kwargs):
        pass


class BatchEnd(object):
    def batch_end(self, estimator, *args, **kwargs):
        return False


class StoppingHandler(TrainBegin, BatchEnd, EpochEnd):
    """Stops after ``max_epoch`` epochs or ``max_batch`` batches (when None: the numbers given to ``fit``)."""

    def __init__(self, max_epoch=None, max_batch=None):
        self.max_epoch, self.max_batch = max_epoch, max_batch
        self.current_batch = self.current_epoch = 0
        self.stop_training = False

    def train_begin(self, estimator, *args, **kwargs):
        self.current_batch = self.current_epoch = 0
        self.stop_training = False

    def batch_end(self, estimator, *args, **kwargs):
        self.current_batch += 1
        limit = self.max_batch if self.max_batch is not None else estimator.max_batch
        if limit is not None and self.current_batch >= limit:
            self.stop_training = True
        return self.stop_training

    def epoch_end(self, estimator, *args, **kwargs):
        self.current_epoch += 1
        limit = self.max_epoch if self.max_epoch is not None else estimator.max_epoch
        if limit is not None and self.current_epoch >= limit:
            self.stop_training = True
        return self.stop_training


def _update(metrics, label, pred, loss):
    for m in metrics:
        if isinstance(m, _metric.Loss):
            m.update(0, loss)
        else:
            m.update(label, pred)


class MetricHandler(EpochBegin, BatchEnd):
    """Resets ``metrics`` at each epoch's start and updates them after each batch (Loss metrics from the loss,
    the others from labels and predictions)."""

    def __init__(self, metrics, priority=-1000):
        self.metrics = metrics or []
        self.priority = priority

    def epoch_begin(self, estimator, *args, **kwargs):
        for m in self.metrics:
            m.reset()

    def batch_end(self, estimator, *args, **kwargs):
        _update(self.metrics, kwargs["label"], kwargs["pred"], kwargs["loss"])
        return False


class ValidationHandler(TrainBegin, BatchEnd, EpochEnd):
    """Runs ``eval_fn(val_data=..., event_handlers=...)`` every ``epoch_period`` epochs and/or every
    ``batch_period`` batches."""

    def __init__(self, val_data, eval_fn, epoch_period=1, batch_period=None, priority=-1000, event_handlers=None):
        self.val_data, self.eval_fn = val_data, eval_fn
        self.epoch_period, self.batch_period = epoch_period, batch_period
        self.priority, self.event_handlers = priority, event_handlers
        self.current_batch = self.current_epoch = 0

    def train_begin(self, estimator, *args, **kwargs):
        self.current_batch = self.current_epoch = 0

    def batch_end(self, estimator, *args, **kwargs):
        self.current_batch += 1
        if self.batch_period and self.current_batch % self.batch_period == 0:
            self.eval_fn(val_data=self.val_data, event_handlers=self.event_handlers)
        return False

    def epoch_end(self, estimator, *args, **kwargs):
        self.current_epoch += 1
        if self.epoch_period and self.current_epoch % self.epoch_period == 0:
            self.eval_fn(val_data=self.val_data, event_handlers=self.event_handlers)
        return False


def _metric_text(metrics):
    parts = []
    for m in metrics:
        for name, value in m.get_name_value():
            parts.append("%s: %.4f" % (name, value))
    return ", ".join(parts)


class LoggingHandler(TrainBegin, TrainEnd, EpochBegin, EpochEnd, BatchBegin, BatchEnd):
    """Logs the learning rate and ``metrics`` at the start and end of training, of each epoch, and every
    ``log_interval`` batches when it is an int (``'epoch'``: at epoch ends only)."""

    def __init__(self, log_interval="epoch", metrics=None, priority=np.inf):
        if not (log_interval == "epoch" or isinstance(log_interval, int)):
            raise ValueError("LoggingHandler: log_interval must be 'epoch' or an int, got %r" % (log_interval,))
        self.log_interval, self.metrics, self.priority = log_interval, metrics or [], priority
        self.batch_index = self.current_epoch = self.processed_samples = 0

    def train_begin(self, estimator, *args, **kwargs):
        self.train_start = time.time()
        self.current_epoch = 0
        trainer = estimator.trainer
        estimator.logger.info("Training begin: using optimizer %s with current learning rate %.4f ",
                              trainer.optimizer.__class__.__name__, trainer.learning_rate)
        if estimator.max_epoch:
            estimator.logger.info("Train for %d epochs.", estimator.max_epoch)
        else:
            estimator.logger.info("Train for %d batches.", estimator.max_batch)
        self.batch_index = 0

    def train_end(self, estimator, *args, **kwargs):
        msg = "Train finished using total %ds with %d epochs. " % (time.time() - self.train_start,
                                                                   self.current_epoch)
        estimator.logger.info(msg + _metric_text(self.metrics))

    def epoch_begin(self, estimator, *args, **kwargs):
        self.epoch_start = time.time()
        self.processed_samples = 0
        self.batch_index = 0
        estimator.logger.info("[Epoch %d] Begin, current learning rate: %.4f", self.current_epoch,
                              estimator.trainer.learning_rate)

    def epoch_end(self, estimator, *args, **kwargs):
        estimator.logger.info("[Epoch %d] Finished in %.3fs, %s", self.current_epoch, time.time() - self.epoch_start,
                              _metric_text(self.metrics))
        self.current_epoch += 1
        return False

    def batch_begin(self, estimator, *args, **kwargs):
        if isinstance(self.log_interval, int):
            self.batch_start = time.time()

    def batch_end(self, estimator, *args, **kwargs):
        if isinstance(self.log_interval, int):
            batch = kwargs["batch"]
            self.processed_samples += (batch.data[0] if hasattr(batch, "data") else batch[0]).shape[0]
            if self.batch_index % self.log_interval == 0:
                estimator.logger.info("[Epoch %d][Batch %d][Samples %d] time/interval: %.3fs %s", self.current_epoch,
                                      self.batch_index, self.processed_samples, time.time() - self.batch_start,
                                      _metric_text(self.metrics))
        self.batch_index += 1
        return False


def _monitor_mode(monitor, mode, who):
    """np.less or np.greater: how `monitor` improves."""
    if mode not in ("auto", "min", "max"):
        warnings.warn("%s: mode %s is unknown, using 'auto'" % (who, mode))
        mode = "auto"
    if mode == "min":
        return np.less
    if mode == "max":
        return np.greater
    name = monitor.get()[0]
    if "acc" in name or "f1" in name or "mcc" in name or "pcc" in name:
        return np.greater
    if "loss" in name or "error" in name or "perplexity" in name or "mse" in name or "mae" in name:
        return np.less
    warnings.warn("%s: cannot tell whether %s should rise or fall; using 'greater' (pass mode='min' or 'max')"
                  % (who, name))
    return np.greater


class CheckpointHandler(TrainBegin, BatchEnd, EpochEnd):
    """Saves ``<model_prefix>-epoch<E>batch<B>.params`` (and the Trainer's ``.states``; ``-symbol.json`` for a
    hybridized network) every ``epoch_period`` epochs and/or ``batch_period`` batches, keeping the last
    ``max_checkpoints``; with ``save_best`` also ``<model_prefix>-best.*`` whenever ``monitor`` improves. With
    ``resume_from_checkpoint`` training restarts from the newest checkpoint in ``model_dir``."""

    def __init__(self, model_dir, model_prefix="model", monitor=None, verbose=0, save_best=False, mode="auto",
                 epoch_period=1, batch_period=None, max_checkpoints=5, resume_from_checkpoint=False):
        self.model_dir, self.model_prefix, self.monitor = model_dir, model_prefix, monitor
        self.verbose, self.save_best = verbose, save_best
        if save_best and monitor is None:
            raise ValueError("CheckpointHandler: save_best needs a monitor metric")
        self.epoch_period, self.batch_period = epoch_period, batch_period
        self.max_checkpoints, self.resume_from_checkpoint = max_checkpoints, resume_from_checkpoint
        self.saved_checkpoints = []
        self.current_epoch = self.current_batch = 0
        self.monitor_op = _monitor_mode(monitor, mode, "CheckpointHandler") if save_best else None
        self.best = None

    def train_begin(self, estimator, *args, **kwargs):
        self.current_epoch = self.current_batch = 0
        self.saved_checkpoints = []
        if self.save_best:
            self.best = np.inf if self.monitor_op is np.less else -np.inf
        os.makedirs(self.model_dir, exist_ok=True)
        if self.resume_from_checkpoint:
            self._resume(estimator)

    def _resume(self, estimator):
        found = []
        for f in os.listdir(self.model_dir):
            if f.startswith(self.model_prefix + "-epoch") and f.endswith(".params"):
                stem = f[len(self.model_prefix + "-epoch"):-len(".params")]
                e, _, b = stem.partition("batch")
                if e.isdigit() and b.isdigit():
                    found.append((int(e), int(b), f))
        if not found:
            return
        e, b, f = max(found)
        estimator.net.load_parameters(os.path.join(self.model_dir, f), ctx=estimator.context)
        states = os.path.join(self.model_dir, f[:-len(".params")] + ".states")
        if os.path.exists(states):
            estimator.trainer.load_states(states)
        self.current_epoch, self.current_batch = e + 1, b
        # The remaining work: the StoppingHandler counts from here.
        if estimator.max_epoch is not None:
            estimator.max_epoch = max(0, estimator.max_epoch - self.current_epoch)
        if estimator.max_batch is not None:
            estimator.max_batch = max(0, estimator.max_batch - self.current_batch)
        estimator.logger.info("CheckpointHandler: resumed from %s (epoch %d, batch %d)", f, e, b)

    def batch_end(self, estimator, *args, **kwargs):
        self.current_batch += 1
        if self.batch_period and self.current_batch % self.batch_period == 0:
            self._save(estimator)
        return False

    def epoch_end(self, estimator, *args, **kwargs):
        if self.epoch_period and (self.current_epoch + 1) % self.epoch_period == 0:
            self._save(estimator)
        self.current_epoch += 1
        return False

    def _write(self, estimator, prefix):
        net = estimator.net
        if getattr(net, "_last_sig", None) is not None:  # a hybridized block that has run: its graph too
            from .... import model
            layout, shapes = net._last_sig
            graph, _ = net._trace(layout, (None,) * len(shapes))
            model._save_symbol(graph, os.path.join(self.model_dir, self.model_prefix + "-symbol.json"))
        net.save_parameters(prefix + ".params")
        estimator.trainer.save_states(prefix + ".states")

    def _save(self, estimator):
        prefix = os.path.join(self.model_dir, "%s-epoch%dbatch%d" % (self.model_prefix, self.current_epoch,
                                                                     self.current_batch))
        self._write(estimator, prefix)
        self.saved_checkpoints.append(prefix)
        while len(self.saved_checkpoints) > self.max_checkpoints:
            old = self.saved_checkpoints.pop(0)
            for ext in (".params", ".states"):
                if os.path.exists(old + ext):
                    os.remove(old + ext)
        if self.verbose:
            estimator.logger.info("[Epoch %d] CheckpointHandler: saved %s", self.current_epoch, prefix)
        if self.save_best:
            value = self.monitor.get()[1]
            if not np.isnan(value) and self.monitor_op(value, self.best):
                self.best = value
                self._write(estimator, os.path.join(self.model_dir, self.model_prefix + "-best"))
                if self.verbose:
                    estimator.logger.info("CheckpointHandler: %s improved to %.4f, best model saved",
                                          self.monitor.get()[0], value)


class EarlyStoppingHandler(TrainBegin, EpochEnd, TrainEnd):
    """Stops training when ``monitor`` has not improved by more than ``min_delta`` for ``patience`` epochs (or has
    not beaten ``baseline``)."""

    def __init__(self, monitor, min_delta=0, patience=0, mode="auto", baseline=None):
        self.monitor, self.patience, self.baseline = monitor, patience, baseline
        self.monitor_op = _monitor_mode(monitor, mode, "EarlyStoppingHandler")
        self.min_delta = abs(min_delta) if self.monitor_op is np.greater else -abs(min_delta)
        self.wait = self.stopped_epoch = self.current_epoch = 0
        self.best = None
        self.stop_training = False

    def train_begin(self, estimator, *args, **kwargs):
        self.wait = self.stopped_epoch = self.current_epoch = 0
        self.stop_training = False
        if self.baseline is not None:
            self.best = self.baseline
        else:
            self.best = np.inf if self.monitor_op is np.less else -np.inf

    def epoch_end(self, estimator, *args, **kwargs):
        value = self.monitor.get()[1]
        if not np.isnan(value):
            if self.monitor_op(value - self.min_delta, self.best):
                self.best, self.wait = value, 0
            else:
                self.wait += 1
                if self.wait >= self.patience:
                    self.stopped_epoch, self.stop_training = self.current_epoch, True
        self.current_epoch += 1
        return self.stop_training

    def train_end(self, estimator, *args, **kwargs):
        if self.stopped_epoch > 0:
            estimator.logger.info("[Epoch %d] EarlyStoppingHandler: early stopping due to %s not improving",
                                  self.stopped_epoch, self.monitor.get()[0])


class GradientUpdateHandler(BatchEnd):
    """Steps the Trainer after each batch (normalising by the batch size)."""

    def __init__(self, priority=-2000):
        self.priority = priority

    def batch_end(self, estimator, *args, **kwargs):
        loss = kwargs["loss"]
        batch_size = sum(l.shape[0] for l in loss) if loss and loss[0].ndim else 1
        estimator.trainer.step(batch_size)
        return False
