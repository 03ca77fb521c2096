"""mx.callback: Speedometer, do_checkpoint, log_train_metric, ProgressBar, validation logging, terminal progress."""
import io
import logging
import os

import numpy as np
import pytest

import mxc as mx
from mxc.model import BatchEndParam
from _training_helpers import linear_softmax, needs_network_ops, needs_random


def acc_metric(correct, total):
    m = mx.metric.Accuracy()
    labels = np.zeros(total)
    preds = np.zeros((total, 2))
    preds[:correct, 0] = 1
    preds[correct:, 1] = 1
    m.update([mx.nd.array(labels)], [mx.nd.array(preds)])
    return m


class FakeClock(object):
    """Stands in for the time module inside mxc.callback: each time() call returns the next value."""

    def __init__(self, values):
        self.values = list(values)

    def time(self):
        return self.values.pop(0)


def test_speedometer_logs_speed_and_resets_metric(caplog, monkeypatch):
    monkeypatch.setattr(mx.callback, "time", FakeClock([100.0, 102.0, 103.0]))
    speed = mx.callback.Speedometer(batch_size=10, frequent=2)
    metric = acc_metric(3, 4)
    with caplog.at_level(logging.INFO):
        speed(BatchEndParam(epoch=1, nbatch=0, eval_metric=metric, locals=None))  # starts the clock (t=100)
        speed(BatchEndParam(epoch=1, nbatch=1, eval_metric=metric, locals=None))  # not a multiple of 2
        speed(BatchEndParam(epoch=1, nbatch=2, eval_metric=metric, locals=None))  # t=102: 20 samples in 2 s
    assert "Epoch[1] Batch [0-2]\tSpeed: 10.00 samples/sec\taccuracy=0.750000" in caplog.text
    assert metric.num_inst == 0 and metric.global_num_inst == 4  # auto_reset clears the local part only


def test_speedometer_without_reset_and_without_metric(caplog, monkeypatch):
    monkeypatch.setattr(mx.callback, "time", FakeClock([0.0, 4.0, 5.0, 6.0, 7.0]))
    speed = mx.callback.Speedometer(batch_size=5, frequent=1, auto_reset=False)
    metric = acc_metric(1, 2)
    with caplog.at_level(logging.INFO):
        speed(BatchEndParam(epoch=0, nbatch=0, eval_metric=metric, locals=None))
        speed(BatchEndParam(epoch=0, nbatch=1, eval_metric=metric, locals=None))
        speed(BatchEndParam(epoch=0, nbatch=2, eval_metric=None, locals=None))
    assert "Epoch[0] Batch [0-1]\tSpeed: 1.25 samples/sec\taccuracy=0.500000" in caplog.text
    assert "Iter[0] Batch [2]\tSpeed: 5.00 samples/sec" in caplog.text
    assert metric.num_inst == 2


def test_log_train_metric(caplog):
    cb = mx.callback.log_train_metric(period=2, auto_reset=True)
    metric = acc_metric(1, 4)
    with caplog.at_level(logging.INFO):
        cb(BatchEndParam(epoch=3, nbatch=1, eval_metric=metric, locals=None))
        assert "Train-accuracy" not in caplog.text
        cb(BatchEndParam(epoch=3, nbatch=2, eval_metric=metric, locals=None))
    assert "Iter[3] Batch[2] Train-accuracy=0.250000" in caplog.text
    assert metric.num_inst == 0


def test_progress_bar(caplog):
    with caplog.at_level(logging.INFO):
        mx.callback.ProgressBar(total=4, length=8)(BatchEndParam(epoch=0, nbatch=2, eval_metric=None, locals=None))
    assert "[====----] 50%" in caplog.text


def test_log_validation_metrics(caplog):
    with caplog.at_level(logging.INFO):
        mx.callback.LogValidationMetricsCallback()(BatchEndParam(epoch=2, nbatch=5, eval_metric=acc_metric(1, 2),
                                                                 locals=None))
    assert "Epoch[2] Validation-accuracy=0.500000" in caplog.text


@needs_network_ops()
def test_do_checkpoint_period(tmp_path):
    net = linear_softmax(2)
    arg = {"fc_weight": mx.nd.array(np.ones((2, 3))), "fc_bias": mx.nd.array([1.0, 2.0])}
    prefix = str(tmp_path / "ck")
    cb = mx.callback.do_checkpoint(prefix, period=2)
    for epoch in range(4):
        cb(epoch, net, arg, {})
    assert sorted(os.listdir(tmp_path)) == ["ck-0002.params", "ck-0004.params", "ck-symbol.json"]
    _, args, _ = mx.model.load_checkpoint(prefix, 4)
    np.testing.assert_array_equal(args["fc_bias"].asnumpy(), [1.0, 2.0])


def test_module_checkpoint(tmp_path):
    calls = []

    class FakeModule(object):
        def save_checkpoint(self, prefix, epoch, save_optimizer_states):
            calls.append((prefix, epoch, save_optimizer_states))

    cb = mx.callback.module_checkpoint(FakeModule(), "p", period=3, save_optimizer_states=True)
    for epoch in range(6):
        cb(epoch)
    assert calls == [("p", 3, True), ("p", 6, True)]


class FakeTTY(io.StringIO):
    def isatty(self):
        return True


def test_terminal_progress_draws_only_on_a_terminal(monkeypatch):
    monkeypatch.delenv("MXC_PROGRESS", raising=False)
    tty = FakeTTY()
    bar = mx.callback.TerminalProgress(total=10, batch_size=32, stream=tty, delay=0.0, interval=0.0, length=10)
    bar.start()
    bar.update(5)
    text = tty.getvalue()
    assert "[=====-----]  50%" in text and "5/10 batches" in text and "samples/s" in text
    bar.finish()
    assert tty.getvalue().endswith("\r\033[K")

    pipe = io.StringIO()
    quiet = mx.callback.TerminalProgress(total=10, stream=pipe, delay=0.0, interval=0.0)
    quiet.start()
    quiet.update(5)
    quiet.finish()
    assert pipe.getvalue() == ""


def test_terminal_progress_waits_for_long_epochs_and_env_override(monkeypatch):
    monkeypatch.delenv("MXC_PROGRESS", raising=False)
    tty = FakeTTY()
    bar = mx.callback.TerminalProgress(total=10, stream=tty, delay=60.0, interval=0.0)
    bar.start()
    bar.update(1)
    assert tty.getvalue() == ""  # a short epoch never draws
    monkeypatch.setenv("MXC_PROGRESS", "0")
    off = mx.callback.TerminalProgress(total=10, stream=FakeTTY(), delay=0.0, interval=0.0)
    assert not off.enabled
    monkeypatch.setenv("MXC_PROGRESS", "1")
    forced = mx.callback.TerminalProgress(stream=io.StringIO(), delay=0.0, interval=0.0)
    assert forced.enabled
    forced.start()
    forced.update(3)
    assert "3 batches" in forced.stream.getvalue()


@needs_random
@needs_network_ops()
def test_fit_draws_progress_when_forced(monkeypatch, capsys):
    """fit drives the progress line on stdout (forced here, since pytest's stdout is not a terminal)."""
    monkeypatch.setenv("MXC_PROGRESS", "1")
    monkeypatch.setattr(mx.callback.TerminalProgress.__init__, "__defaults__",
                        (None, None, None, 0.0, 0.0, 30))
    x = np.random.RandomState(0).randn(64, 3).astype(np.float32)
    y = (x[:, 0] > 0).astype(np.float32)
    model = mx.model.FeedForward(linear_softmax(2), num_epoch=1, numpy_batch_size=16, learning_rate=0.1)
    model.fit(x, y)
    out = capsys.readouterr().out
    assert "/4 batches" in out and "\r\033[K" in out
