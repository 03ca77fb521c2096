#!/usr/bin/env python3
"""Training from a RecordIO file of encoded images, the MXNet 1.x way: pack images into .rec/.idx files (what
MXNet's im2rec tool does), read them with mx.io.ImageRecordIter, train a small convolutional network with
mx.mod.Module.

    python examples/record_io_train.py                     # 20,000 Fashion-MNIST images as PNG, 2 epochs
    python examples/record_io_train.py --num-train 10000 --epochs 1 --min-accuracy 0.7

The images come from Fashion-MNIST (~/.mxnet/datasets/fashion-mnist, else Debian's dataset-fashion-mnist), written
as PNG records into --work-dir (a temporary directory by default).
"""
import argparse
import logging
import os
import sys
import tempfile
import time

import numpy as np

import mxc as mx


def write_rec(prefix, images, labels):
    """images (N, 28, 28, 1) uint8 -> prefix.rec / prefix.idx of PNG records labelled with their class."""
    rec = mx.recordio.MXIndexedRecordIO(prefix + ".idx", prefix + ".rec", "w")
    for i, (img, label) in enumerate(zip(images, labels)):
        header = mx.recordio.IRHeader(0, float(label), i, 0)
        rec.write_idx(i, mx.recordio.pack_img(header, img[:, :, 0], img_fmt=".png"))
    rec.close()


def network():
    data = mx.sym.Variable("data")
    net = mx.sym.Convolution(data, kernel=(5, 5), num_filter=16, name="conv1")
    net = mx.sym.Activation(net, act_type="relu")
    net = mx.sym.Pooling(net, kernel=(2, 2), stride=(2, 2), pool_type="max")
    net = mx.sym.Convolution(net, kernel=(3, 3), num_filter=32, name="conv2")
    net = mx.sym.Activation(net, act_type="relu")
    net = mx.sym.Pooling(net, kernel=(2, 2), stride=(2, 2), pool_type="max")
    net = mx.sym.FullyConnected(mx.sym.Flatten(net), num_hidden=128, name="fc1")
    net = mx.sym.Activation(net, act_type="relu")
    net = mx.sym.FullyConnected(net, num_hidden=10, name="fc2")
    return mx.sym.SoftmaxOutput(net, name="softmax")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--num-train", type=int, default=20000, help="training images packed (of 60,000)")
    ap.add_argument("--epochs", type=int, default=2)
    ap.add_argument("--batch-size", type=int, default=100)
    ap.add_argument("--work-dir", default=None, help="where the .rec files go (default: a temporary directory)")
    ap.add_argument("--min-accuracy", type=float, default=0.0,
                    help="exit with status 1 when the validation accuracy is below this (for CI)")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    mx.random.seed(7)
    np.random.seed(7)

    train = mx.gluon.data.vision.FashionMNIST(train=True)
    test = mx.gluon.data.vision.FashionMNIST(train=False)
    tmp = None if args.work_dir else tempfile.TemporaryDirectory()
    work = args.work_dir or tmp.name
    os.makedirs(work, exist_ok=True)
    tic = time.time()
    n = min(args.num_train, len(train))
    write_rec(os.path.join(work, "train"), train._data[:n].asnumpy(), train._label[:n])
    write_rec(os.path.join(work, "val"), test._data.asnumpy(), test._label)
    print("packed %d + %d PNG records into %s in %.1f s" % (n, len(test), work, time.time() - tic))

    common = dict(data_shape=(1, 28, 28), batch_size=args.batch_size, scale=1.0 / 255)
    train_iter = mx.io.ImageRecordIter(path_imgrec=os.path.join(work, "train.rec"),
                                       path_imgidx=os.path.join(work, "train.idx"), shuffle=True, **common)
    val_iter = mx.io.ImageRecordIter(path_imgrec=os.path.join(work, "val.rec"), round_batch=False, **common)

    mod = mx.mod.Module(network(), context=mx.cpu())
    tic = time.time()
    mod.fit(train_iter, eval_data=val_iter, num_epoch=args.epochs, optimizer="sgd",
            optimizer_params={"learning_rate": 0.1, "momentum": 0.9, "wd": 1e-4},
            initializer=mx.init.Xavier(magnitude=2.0),
            batch_end_callback=mx.callback.Speedometer(args.batch_size, 50))
    acc = dict(mod.score(val_iter, "acc"))["accuracy"]
    print("final validation accuracy %.4f (%d epochs in %.1f s)" % (acc, args.epochs, time.time() - tic))
    if tmp is not None:
        tmp.cleanup()
    if acc < args.min_accuracy:
        print("accuracy %.4f is below --min-accuracy %.2f" % (acc, args.min_accuracy), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
