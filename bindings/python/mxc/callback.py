"""Training callbacks (MXNet 1.x ``mx.callback``).

Batch-end callbacks receive a ``BatchEndParam`` (``epoch``, ``nbatch``, ``eval_metric``, ``locals``); epoch-end
callbacks receive ``(epoch, symbol, arg_params, aux_params)``.
"""
import logging
import math
import os
import sys
import time

from .model import save_checkpoint  # MXNet 1.x exposes it as mx.callback.save_checkpoint too

__all__ = ["save_checkpoint", "module_checkpoint", "do_checkpoint", "log_train_metric", "Speedometer", "ProgressBar",
           "LogValidationMetricsCallback", "TerminalProgress"]


def module_checkpoint(mod, prefix, period=1, save_optimizer_states=False):
    """Epoch-end callback saving ``mod`` with ``mod.save_checkpoint`` every ``period`` epochs."""
    period = int(max(1, period))

    def _callback(iter_no, sym=None, arg=None, aux=None):
        if (iter_no + 1) % period == 0:
            mod.save_checkpoint(prefix, iter_no + 1, save_optimizer_states)
    return _callback


def do_checkpoint(prefix, period=1):
    """Epoch-end callback writing ``prefix-symbol.json`` and ``prefix-%04d.params`` (epoch number + 1) every
    ``period`` epochs."""
    period = int(max(1, period))

    def _callback(iter_no, sym, arg, aux):
        if (iter_no + 1) % period == 0:
            save_checkpoint(prefix, iter_no + 1, sym, arg, aux)
    return _callback


def log_train_metric(period, auto_reset=False):
    """Batch-end callback logging the training metric every ``period`` batches."""
    def _callback(param):
        if param.nbatch % period == 0 and param.eval_metric is not None:
            for name, value in param.eval_metric.get_name_value():
                logging.info('Iter[%d] Batch[%d] Train-%s=%f', param.epoch, param.nbatch, name, value)
            if auto_reset:
                param.eval_metric.reset_local()
    return _callback


class Speedometer(object):
    """Batch-end callback logging samples/sec and the training metric every ``frequent`` batches.

    With ``auto_reset`` the metric's local statistics are cleared after each log, so each line shows the metric
    of the last ``frequent`` batches.
    """

    def __init__(self, batch_size, frequent=50, auto_reset=True):
        self.batch_size = batch_size
        self.frequent = frequent
        self.init = False
        self.tic = 0
        self.last_count = 0
        self.auto_reset = auto_reset

    def __call__(self, param):
        count = param.nbatch
        if self.last_count > count:  # a new epoch started
            self.init = False
        self.last_count = count
        if not self.init:
            self.init = True
            self.tic = time.time()
            return
        if count % self.frequent != 0:
            return
        elapsed = time.time() - self.tic
        speed = self.frequent * self.batch_size / elapsed if elapsed > 0 else float('inf')
        if param.eval_metric is not None:
            name_value = param.eval_metric.get_name_value()
            pairs = sum(name_value, ())
            if self.auto_reset:
                param.eval_metric.reset_local()
                msg = 'Epoch[%d] Batch [%d-%d]\tSpeed: %.2f samples/sec' + '\t%s=%f' * len(name_value)
                logging.info(msg, param.epoch, count - self.frequent, count, speed, *pairs)
            else:
                msg = 'Epoch[%d] Batch [0-%d]\tSpeed: %.2f samples/sec' + '\t%s=%f' * len(name_value)
                logging.info(msg, param.epoch, count, speed, *pairs)
        else:
            logging.info("Iter[%d] Batch [%d]\tSpeed: %.2f samples/sec", param.epoch, count, speed)
        self.tic = time.time()


class ProgressBar(object):
    """Batch-end callback logging a text progress bar of ``total`` batches per epoch."""

    def __init__(self, total, length=80):
        self.bar_len = length
        self.total = total

    def __call__(self, param):
        count = param.nbatch
        filled = int(round(self.bar_len * count / float(self.total)))
        percents = math.ceil(100.0 * count / float(self.total))
        logging.info('[%s] %s%s\r', '=' * filled + '-' * (self.bar_len - filled), percents, '%')


class LogValidationMetricsCallback(object):
    """Eval-end callback logging ``Epoch[n] Validation-<name>=<value>`` for every metric."""

    def __call__(self, param):
        if not param.eval_metric:
            return
        for name, value in param.eval_metric.get_name_value():
            logging.info('Epoch[%d] Validation-%s=%f', param.epoch, name, value)


class TerminalProgress(object):
    """An in-place progress line for long epochs, drawn only when the stream (stdout) is a terminal.

    ``fit`` uses one internally: nothing is drawn during the first ``delay`` seconds of an epoch (short epochs stay
    silent), then ``[=====-----]  45%  211/469 batches  12345 samples/s`` is redrawn at most every ``interval``
    seconds and erased at the end of the epoch, before the epoch's log lines. Set ``MXC_PROGRESS=0`` to disable
    it, ``MXC_PROGRESS=1`` to force it on a non-terminal.
    """

    def __init__(self, total=None, batch_size=None, stream=None, delay=2.0, interval=0.25, length=30):
        self.total = total
        self.batch_size = batch_size
        self.stream = stream if stream is not None else sys.stdout
        self.delay = delay
        self.interval = interval
        self.length = length
        env = os.environ.get('MXC_PROGRESS', '')
        if env in ('0', '1'):
            self.enabled = env == '1'
        else:
            isatty = getattr(self.stream, 'isatty', None)
            self.enabled = bool(isatty and isatty())
        self._start = None
        self._last_draw = 0.0
        self._drawn = False

    def start(self):
        """Marks the start of an epoch."""
        self._start = time.time()
        self._last_draw = 0.0
        self._drawn = False

    def update(self, nbatch):
        """Called after ``nbatch`` batches of the epoch (1-based)."""
        if not self.enabled or self._start is None:
            return
        now = time.time()
        elapsed = now - self._start
        if elapsed < self.delay or now - self._last_draw < self.interval:
            return
        self._last_draw = now
        parts = []
        if self.total:
            frac = min(1.0, nbatch / float(self.total))
            filled = int(round(self.length * frac))
            parts.append('[%s%s] %3d%%' % ('=' * filled, '-' * (self.length - filled), int(100 * frac)))
            parts.append('%d/%d batches' % (nbatch, self.total))
        else:
            parts.append('%d batches' % nbatch)
        if self.batch_size:
            parts.append('%.0f samples/s' % (nbatch * self.batch_size / elapsed))
        self.stream.write('\r' + '  '.join(parts) + '\033[K')
        self.stream.flush()
        self._drawn = True

    def finish(self):
        """Erases the progress line (call before logging the epoch's results)."""
        if self._drawn:
            self.stream.write('\r\033[K')
            self.stream.flush()
        self._drawn = False
        self._start = None


# MXNet 1.9.1 also has it as mx.model.LogValidationMetricsCallback (model.py is imported first, by the line above)
from . import model as _model  # noqa: E402
_model.LogValidationMetricsCallback = LogValidationMetricsCallback
