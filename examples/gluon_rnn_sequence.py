#!/usr/bin/env python3
"""A Gluon LSTM classifies synthetic sequences, written as one would with MXNet 1.x's mx.gluon.rnn.

    python examples/gluon_rnn_sequence.py                  # 2-layer LSTM(32), 8 epochs, Adam lr 1e-2

Each sequence is 20 steps of noise with a sine wave of one of 4 frequencies hidden in it; the network reads the
sequence (layout NTC) and predicts the frequency from its last output. Test accuracy reaches about 0.95+.
"""
import argparse
import sys
import time

import numpy as np

import mxc as mx
from mxc import autograd, gluon
from mxc.gluon import nn, rnn


def make_data(n, length, rs):
    labels = rs.randint(0, 4, n)
    t = np.arange(length)
    phase = rs.uniform(0, 2 * np.pi, (n, 1))
    waves = np.sin(t[None, :] * (0.3 + 0.35 * labels[:, None]) + phase)
    x = waves + 0.3 * rs.randn(n, length)
    return x[:, :, None].astype(np.float32), labels.astype(np.float32)


class Classifier(gluon.HybridBlock):
    def __init__(self, hidden, layers, classes, **kwargs):
        super().__init__(**kwargs)
        with self.name_scope():
            self.lstm = rnn.LSTM(hidden, num_layers=layers, layout='NTC')
            self.out = nn.Dense(classes)

    def forward(self, x):
        return self.out(self.lstm(x)[:, -1, :])


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--epochs", type=int, default=8)
    ap.add_argument("--batch-size", type=int, default=64)
    ap.add_argument("--lr", type=float, default=1e-2)
    ap.add_argument("--hidden", type=int, default=32)
    ap.add_argument("--layers", type=int, default=2)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--min-accuracy", type=float, default=0.0,
                    help="exit with status 1 when the final test accuracy is below this (for CI)")
    args = ap.parse_args(argv)
    rs = np.random.RandomState(args.seed)
    mx.random.seed(args.seed)
    train_x, train_y = make_data(1024, 20, rs)
    test_x, test_y = make_data(512, 20, rs)
    net = Classifier(args.hidden, args.layers, 4)
    net.initialize(mx.init.Xavier())
    print(net)
    trainer = gluon.Trainer(net.collect_params(), 'adam', {'learning_rate': args.lr})
    lossf = gluon.loss.SoftmaxCrossEntropyLoss()
    start = time.time()
    for epoch in range(args.epochs):
        order = rs.permutation(len(train_x))
        total = 0.0
        for i in range(0, len(order), args.batch_size):
            idx = order[i:i + args.batch_size]
            x, y = mx.nd.array(train_x[idx]), mx.nd.array(train_y[idx])
            with autograd.record():
                loss = lossf(net(x), y)
            loss.backward()
            trainer.step(len(idx))
            total += float(loss.sum().asscalar())
        acc = float((net(mx.nd.array(test_x)).asnumpy().argmax(1) == test_y).mean())
        print("epoch %d  loss %.4f  test accuracy %.3f  (%.1f s)" % (epoch + 1, total / len(order), acc,
                                                                     time.time() - start))
    if acc < args.min_accuracy:
        print("test accuracy %.3f is below --min-accuracy %.3f" % (acc, args.min_accuracy))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
