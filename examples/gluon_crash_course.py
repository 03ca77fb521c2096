#!/usr/bin/env python3
"""LeNet on Fashion-MNIST as MXNet 1.x's Gluon crash course writes it: vision datasets, transforms, DataLoader.

    python examples/gluon_crash_course.py                  # 3 epochs, SGD lr 0.1, batch 256
    python examples/gluon_crash_course.py --epochs 1 --min-accuracy 0.75

The data is read from ~/.mxnet/datasets/fashion-mnist, else from Debian's dataset-fashion-mnist package.
"""
import argparse
import sys
import time

import mxc as mx
from mxc import autograd, gluon, init
from mxc.gluon import nn
from mxc.gluon.data.vision import datasets, transforms


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--batch-size", type=int, default=256)
    ap.add_argument("--lr", type=float, default=0.1)
    ap.add_argument("--gpu", action="store_true", help="train on gpu(0)")
    ap.add_argument("--min-accuracy", type=float, default=0.0,
                    help="exit with status 1 when the last validation accuracy is below this (for CI)")
    args = ap.parse_args(argv)
    ctx = mx.gpu(0) if args.gpu else mx.cpu()
    mx.random.seed(42)

    transformer = transforms.Compose([transforms.ToTensor(), transforms.Normalize(0.13, 0.31)])
    train_data = gluon.data.DataLoader(datasets.FashionMNIST(train=True).transform_first(transformer),
                                       batch_size=args.batch_size, shuffle=True, num_workers=4)
    valid_data = gluon.data.DataLoader(datasets.FashionMNIST(train=False).transform_first(transformer),
                                       batch_size=args.batch_size, num_workers=4)

    net = nn.Sequential()
    net.add(nn.Conv2D(channels=6, kernel_size=5, activation='relu'),
            nn.MaxPool2D(pool_size=2, strides=2),
            nn.Conv2D(channels=16, kernel_size=3, activation='relu'),
            nn.MaxPool2D(pool_size=2, strides=2),
            nn.Flatten(),
            nn.Dense(120, activation="relu"),
            nn.Dense(84, activation="relu"),
            nn.Dense(10))
    net.initialize(init=init.Xavier(), ctx=ctx)
    softmax_cross_entropy = gluon.loss.SoftmaxCrossEntropyLoss()
    trainer = gluon.Trainer(net.collect_params(), 'sgd', {'learning_rate': args.lr})

    def acc(output, label):
        return (output.argmax(axis=1) == label.astype('float32')).mean().asscalar()

    valid_acc = 0.0
    for epoch in range(args.epochs):
        train_loss, train_acc, valid_acc = 0., 0., 0.
        tic = time.time()
        for data, label in train_data:
            data, label = data.as_in_context(ctx), label.as_in_context(ctx)
            with autograd.record():
                output = net(data)
                loss = softmax_cross_entropy(output, label)
            loss.backward()
            trainer.step(args.batch_size)
            train_loss += loss.mean().asscalar()
            train_acc += acc(output, label)
        for data, label in valid_data:
            valid_acc += acc(net(data.as_in_context(ctx)), label.as_in_context(ctx))
        valid_acc /= len(valid_data)
        print("Epoch %d: loss %.3f, train acc %.3f, test acc %.3f, in %.1f sec" % (
            epoch, train_loss / len(train_data), train_acc / len(train_data), valid_acc, time.time() - tic))
    net.save_parameters("net.params")
    if valid_acc < args.min_accuracy:
        sys.exit("test accuracy %.4f is below --min-accuracy %.4f" % (valid_acc, args.min_accuracy))


if __name__ == "__main__":
    main()
