#!/usr/bin/env python3
"""A Gluon MLP (784-128-64-10) on Fashion-MNIST, written as one would with MXNet 1.x's mx.gluon.

    python examples/gluon_fashion_mnist.py                  # 3 epochs, Adam lr 1e-3, batch 128
    python examples/gluon_fashion_mnist.py --epochs 1 --data-dir ~/mnist

The data is found as in examples/train_mnist.py (Debian's dataset-fashion-mnist package by default).
"""
import argparse
import os
import sys
import time

import numpy as np

import mxc as mx
from mxc import autograd, gluon
from mxc.gluon import nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from train_mnist import DEFAULT_DATA_DIR, load_data  # noqa: E402


def build():
    net = nn.HybridSequential()
    with net.name_scope():
        net.add(nn.Flatten(), nn.Dense(128, activation='relu'), nn.Dense(64, activation='relu'), nn.Dense(10))
    return net


def accuracy(net, x, y, ctx, batch=1000):
    hits = 0
    for start in range(0, len(x), batch):
        out = net(mx.nd.array(x[start:start + batch], ctx=ctx))
        hits += int((out.asnumpy().argmax(1) == y[start:start + batch]).sum())
    return hits / float(len(x))


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data-dir", default=DEFAULT_DATA_DIR)
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--batch-size", type=int, default=128)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--gpu", action="store_true", help="train on gpu(0)")
    ap.add_argument("--min-accuracy", type=float, default=0.0,
                    help="exit with status 1 when the final test accuracy is below this (for CI)")
    args = ap.parse_args(argv)
    ctx = mx.gpu(0) if args.gpu else mx.cpu()
    train_x, train_y, test_x, test_y = load_data(os.path.expanduser(args.data_dir))
    mx.random.seed(0)
    np.random.seed(0)

    net = build()
    net.initialize(mx.init.Xavier(), ctx=ctx)
    loss_fn = gluon.loss.SoftmaxCrossEntropyLoss()
    trainer = gluon.Trainer(net.collect_params(), 'adam', {'learning_rate': args.lr})
    loader = gluon.data.DataLoader(gluon.data.ArrayDataset(train_x, train_y), batch_size=args.batch_size,
                                   shuffle=True)
    for epoch in range(args.epochs):
        tic, total, count = time.time(), 0.0, 0
        for data, label in loader:
            data, label = data.as_in_context(ctx), label.as_in_context(ctx)
            with autograd.record():
                loss = loss_fn(net(data), label)
            loss.backward()
            trainer.step(data.shape[0])
            total += float(loss.sum().asscalar())
            count += data.shape[0]
        acc = accuracy(net, test_x, test_y, ctx)
        print("epoch %d: loss %.4f, test accuracy %.4f (%.1fs)" % (epoch, total / count, acc, time.time() - tic))
    net.save_parameters("gluon_fashion_mnist.params")
    print("saved gluon_fashion_mnist.params")
    if acc < args.min_accuracy:
        sys.exit("test accuracy %.4f is below --min-accuracy %.4f" % (acc, args.min_accuracy))


if __name__ == "__main__":
    main()
