"""gluon.contrib.estimator: Estimator.fit/evaluate against a hand-written Gluon loop, the default metrics' names
(MXNet 1.9.1's), and the event handlers (stopping, validation, checkpoints and resuming, early stopping)."""
import copy
import os

import numpy as np
import pytest

import mxc as mx
from mxc import autograd, gluon
from mxc.gluon.contrib.estimator import (BatchEnd, CheckpointHandler, EarlyStoppingHandler, EpochEnd, Estimator,
                                         LoggingHandler, StoppingHandler, ValidationHandler)


def _data(n=40, seed=0):
    rng = np.random.RandomState(seed)
    x = rng.randn(n, 5).astype(np.float32)
    y = (x.sum(1) > 0).astype(np.float32)
    return gluon.data.DataLoader(gluon.data.ArrayDataset(x, y), batch_size=10)


def _net(seed=1):
    mx.random.seed(seed)
    net = gluon.nn.Dense(2, in_units=5)
    net.initialize(mx.init.Xavier())
    return net


def test_fit_equals_a_hand_loop_and_metric_names():
    train = _data()
    net, ref = _net(), _net()
    loss = gluon.loss.SoftmaxCrossEntropyLoss()
    est = Estimator(net, loss, trainer=gluon.Trainer(net.collect_params(), "sgd", {"learning_rate": 0.1}))
    # MXNet 1.9.1's names of the default metrics.
    assert [m.name for m in est.train_metrics] == ["training accuracy", "training softmaxcrossentropyloss"]
    assert [m.name for m in est.val_metrics] == ["validation accuracy", "validation softmaxcrossentropyloss"]
    est.fit(train, epochs=3)
    tr = gluon.Trainer(ref.collect_params(), "sgd", {"learning_rate": 0.1})
    acc, total = 0, 0
    for epoch in range(3):
        acc = total = 0
        for x, y in train:
            with autograd.record():
                out = ref(x)
                l = loss(out, y)
            l.backward()
            tr.step(x.shape[0])
            acc += int((out.asnumpy().argmax(1) == y.asnumpy()).sum())
            total += x.shape[0]
    np.testing.assert_allclose(net.weight.data().asnumpy(), ref.weight.data().asnumpy(), rtol=1e-6)
    np.testing.assert_allclose(net.bias.data().asnumpy(), ref.bias.data().asnumpy(), rtol=1e-6)
    assert est.train_metrics[0].get()[1] == pytest.approx(acc / total)  # the last epoch's accuracy


def test_batches_validation_and_evaluate():
    train = _data()
    net = _net()
    est = Estimator(net, gluon.loss.SoftmaxCrossEntropyLoss(), train_metrics=mx.metric.Accuracy(),
                    trainer=gluon.Trainer(net.collect_params(), "sgd", {"learning_rate": 0.1}))
    assert [m.name for m in est.val_metrics] == ["validation accuracy"]
    seen = []

    class Count(BatchEnd, EpochEnd):
        def batch_end(self, estimator, *args, **kwargs):
            seen.append(kwargs["batch"][0].shape[0])

        def epoch_end(self, estimator, *args, **kwargs):
            seen.append("epoch")

    est.fit(train, batches=6, event_handlers=[Count()])  # 4 batches per epoch: stops inside the second epoch
    assert seen == [10, 10, 10, 10, "epoch", 10, 10, "epoch"]
    evals = []
    handler = ValidationHandler(train, lambda val_data, event_handlers: evals.append(1), batch_period=2,
                                epoch_period=None)
    est.fit(train, epochs=2, event_handlers=[handler])
    assert len(evals) == 4
    est.evaluate(train)
    out = np.concatenate([net(x).asnumpy().argmax(1) == y.asnumpy() for x, y in train])
    assert est.val_metrics[0].get()[1] == pytest.approx(out.mean())
    with pytest.raises(ValueError, match="exactly one of epochs and batches"):
        est.fit(train)
    with pytest.raises(ValueError, match="gluon.loss.Loss"):
        Estimator(net, lambda a, b: a)


def test_checkpoints_best_and_resume(tmp_path):
    train = _data()
    net = _net()
    net.hybridize()
    tr = gluon.Trainer(net.collect_params(), "sgd", {"learning_rate": 0.1, "momentum": 0.9})
    est = Estimator(net, gluon.loss.SoftmaxCrossEntropyLoss(), train_metrics=mx.metric.Accuracy(), trainer=tr)
    ck = CheckpointHandler(str(tmp_path), "m", monitor=est.train_metrics[0], save_best=True, max_checkpoints=2)
    est.fit(train, epochs=3, event_handlers=[ck])
    files = sorted(os.listdir(tmp_path))
    # MXNet's names: the global batch count in the name; only the last max_checkpoints kept.
    assert files == ["m-best.params", "m-best.states", "m-epoch1batch8.params", "m-epoch1batch8.states",
                     "m-epoch2batch12.params", "m-epoch2batch12.states", "m-symbol.json"]
    final = net.weight.data().asnumpy().copy()
    # Resuming from epoch 1's checkpoint and training one more epoch gives the weights of three epochs.
    for f in ("m-epoch2batch12.params", "m-epoch2batch12.states"):
        os.remove(tmp_path / f)
    net2 = _net(seed=7)
    tr2 = gluon.Trainer(net2.collect_params(), "sgd", {"learning_rate": 0.1, "momentum": 0.9})
    est2 = Estimator(net2, gluon.loss.SoftmaxCrossEntropyLoss(), train_metrics=mx.metric.Accuracy(), trainer=tr2)
    est2.fit(train, epochs=3, event_handlers=[CheckpointHandler(str(tmp_path), "m", resume_from_checkpoint=True)])
    np.testing.assert_allclose(net2.weight.data().asnumpy(), final, rtol=1e-5, atol=1e-6)


def test_early_stopping_and_logging(capsys):
    train = _data()
    net = _net()
    est = Estimator(net, gluon.loss.SoftmaxCrossEntropyLoss(), train_metrics=mx.metric.Accuracy(),
                    trainer=gluon.Trainer(net.collect_params(), "sgd", {"learning_rate": 0.0}))
    stopper = EarlyStoppingHandler(monitor=est.train_metrics[0], patience=2)
    epochs = []

    class Count(EpochEnd):
        def epoch_end(self, estimator, *args, **kwargs):
            epochs.append(1)

    est.fit(train, epochs=20, event_handlers=[stopper, Count(), LoggingHandler(log_interval=2,
                                                                              metrics=est.train_metrics)])
    # Learning rate 0: the accuracy never improves after the first epoch, so training stops after 1 + 2 epochs.
    assert len(epochs) == 3 and stopper.stop_training
    out = capsys.readouterr().out
    assert "Training begin: using optimizer SGD with current learning rate 0.0000" in out
    assert "[Epoch 0][Batch 2][Samples 30]" in out and "Train finished" in out
    stop = StoppingHandler(max_epoch=1)
    est.fit(train, epochs=5, event_handlers=[stop])
    assert stop.current_epoch == 1
