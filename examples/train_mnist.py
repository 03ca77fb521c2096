#!/usr/bin/env python3
"""The main job: train an MLP or LeNet on an MNIST-format data set with mxc's Module API.

    python examples/train_mnist.py                         # 784-128-10 MLP, SGD lr 0.1, batch 128, 10 epochs
    python examples/train_mnist.py --network lenet         # LeNet, SGD lr 0.05 momentum 0.9 wd 1e-4 (MXNet's recipe)
    python examples/train_mnist.py --data-dir ~/mnist      # the original MNIST files work too

The default data is Fashion-MNIST from Debian's dataset-fashion-mnist package (/usr/share/datasets/fashion-mnist):
the same idx files (gzipped or not) and shapes as MNIST. Pixels are scaled to [0, 1] (divided by 255).
Progress is logged every --log-interval batches; after every epoch the validation accuracy is printed (on the
test set, or on the last --val-size training images held out), and at the end the test accuracy and the time.
"""
import argparse
import gzip
import logging
import os
import sys
import time

import numpy as np

import mxc as mx

DEFAULT_DATA_DIR = "/usr/share/datasets/fashion-mnist"


def read_idx(path):
    """Reads an idx-ubyte file (optionally gzipped) into a uint8 array."""
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        raw = f.read()
    if len(raw) < 4 or raw[:2] != b"\x00\x00" or raw[2] != 0x08:
        raise ValueError("%s is not an idx file of unsigned bytes" % path)
    ndim = raw[3]
    dims = tuple(int(d) for d in np.frombuffer(raw, ">u4", ndim, 4))
    return np.frombuffer(raw, np.uint8, offset=4 + 4 * ndim).reshape(dims)


def find(folder, stem):
    for name in (stem, stem + ".gz", stem.replace("-idx", ".idx"), stem.replace("-idx", ".idx") + ".gz"):
        path = os.path.join(folder, name)
        if os.path.exists(path):
            return path
    raise SystemExit("error: %s(.gz) not found in %s (install Debian's dataset-fashion-mnist, or point --data-dir "
                     "at a folder with the MNIST idx files)" % (stem, folder))


def load_data(folder):
    """(train_x, train_y, test_x, test_y): x float32 (N, 1, 28, 28) in [0, 1], y float32 (N,)."""
    out = []
    for split in ("train", "t10k"):
        x = read_idx(find(folder, "%s-images-idx3-ubyte" % split))
        y = read_idx(find(folder, "%s-labels-idx1-ubyte" % split))
        if x.ndim != 3 or y.shape != (x.shape[0],):
            raise SystemExit("error: %s images %s and labels %s do not fit together" % (split, x.shape, y.shape))
        out += [(x.astype(np.float32) / 255.0).reshape(-1, 1, x.shape[1], x.shape[2]), y.astype(np.float32)]
    return out


def mlp(num_hidden=128):
    """784-128-10 perceptron with a ReLU hidden layer."""
    data = mx.sym.Flatten(data=mx.sym.Variable("data"))
    fc1 = mx.sym.FullyConnected(data=data, num_hidden=num_hidden, name="fc1")
    act1 = mx.sym.Activation(data=fc1, act_type="relu", name="relu1")
    fc2 = mx.sym.FullyConnected(data=act1, num_hidden=10, name="fc2")
    return mx.sym.SoftmaxOutput(data=fc2, name="softmax")


def lenet():
    """LeNet-5 style: conv5x5x20 - maxpool - conv5x5x50 - maxpool - fc500 - fc10, ReLU activations."""
    data = mx.sym.Variable("data")
    c1 = mx.sym.Convolution(data=data, kernel=(5, 5), num_filter=20, name="conv1")
    a1 = mx.sym.Activation(data=c1, act_type="relu", name="relu1")
    p1 = mx.sym.Pooling(data=a1, pool_type="max", kernel=(2, 2), stride=(2, 2), name="pool1")
    c2 = mx.sym.Convolution(data=p1, kernel=(5, 5), num_filter=50, name="conv2")
    a2 = mx.sym.Activation(data=c2, act_type="relu", name="relu2")
    p2 = mx.sym.Pooling(data=a2, pool_type="max", kernel=(2, 2), stride=(2, 2), name="pool2")
    f3 = mx.sym.FullyConnected(data=mx.sym.Flatten(data=p2), num_hidden=500, name="fc3")
    a3 = mx.sym.Activation(data=f3, act_type="relu", name="relu3")
    f4 = mx.sym.FullyConnected(data=a3, num_hidden=10, name="fc4")
    return mx.sym.SoftmaxOutput(data=f4, name="softmax")


RECIPES = {"mlp": {"lr": 0.1, "momentum": 0.0, "wd": 0.0}, "lenet": {"lr": 0.05, "momentum": 0.9, "wd": 1e-4}}


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument("--network", choices=["mlp", "lenet"], default="mlp")
    p.add_argument("--epochs", type=int, default=10)
    p.add_argument("--batch-size", type=int, default=128)
    p.add_argument("--lr", type=float, default=None, help="learning rate (default: mlp 0.1, lenet 0.05)")
    p.add_argument("--momentum", type=float, default=None, help="SGD momentum (default: mlp 0, lenet 0.9)")
    p.add_argument("--wd", type=float, default=None, help="weight decay (default: mlp 0, lenet 1e-4)")
    p.add_argument("--optimizer", default="sgd")
    p.add_argument("--data-dir", default=DEFAULT_DATA_DIR)
    p.add_argument("--val-size", type=int, default=0,
                   help="hold out the last N training images for validation (0: validate on the test set)")
    p.add_argument("--gpu", action="store_true", help="train on gpu(0)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--log-interval", type=int, default=100, help="batches between speed/accuracy logs")
    p.add_argument("--save-prefix", default=None, help="write a checkpoint PREFIX-symbol.json/PREFIX-%%04d.params "
                                                       "after every epoch")
    args = p.parse_args(argv)
    # Per-network recipes: the MLP's is the one the project's targets are stated for (plain SGD, lr 0.1); LeNet's is
    # MXNet's example/image-classification recipe for it (SGD lr 0.05, momentum 0.9, weight decay 1e-4).
    recipe = RECIPES[args.network]
    for key in ("lr", "momentum", "wd"):
        if getattr(args, key) is None:
            setattr(args, key, recipe[key])
    if args.epochs < 1 or args.batch_size < 1 or args.lr <= 0:
        p.error("--epochs and --batch-size must be positive and --lr > 0")
    return args


def main(argv=None):
    args = parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", stream=sys.stdout)
    t_start = time.time()
    train_x, train_y, test_x, test_y = load_data(args.data_dir)
    if args.val_size:
        if not 0 < args.val_size < len(train_x):
            raise SystemExit("error: --val-size must be between 1 and %d" % (len(train_x) - 1))
        val_x, val_y = train_x[-args.val_size:], train_y[-args.val_size:]
        train_x, train_y = train_x[:-args.val_size], train_y[:-args.val_size]
        val_name = "held-out training images"
    else:
        val_x, val_y, val_name = test_x, test_y, "test set"
    print("data: %s: %d training, %d validation (%s), %d test images" % (args.data_dir, len(train_x), len(val_x),
                                                                        val_name, len(test_x)), flush=True)

    print("network %s, %s lr %g momentum %g wd %g, batch %d, %d epochs" % (
        args.network, args.optimizer, args.lr, args.momentum, args.wd, args.batch_size, args.epochs), flush=True)
    np.random.seed(args.seed)
    mx.random.seed(args.seed)
    ctx = mx.gpu(0) if args.gpu else mx.cpu()
    net = mlp() if args.network == "mlp" else lenet()
    train_iter = mx.io.NDArrayIter(train_x, train_y, batch_size=args.batch_size, shuffle=True)
    val_iter = mx.io.NDArrayIter(val_x, val_y, batch_size=args.batch_size)

    epoch_times = []
    val_accs = []

    def on_epoch_end(epoch, symbol, arg_params, aux_params):
        epoch_times.append(time.time() - on_epoch_end.tic)
        if args.save_prefix:
            mx.model.save_checkpoint(args.save_prefix, epoch + 1, symbol, arg_params, aux_params)

    def on_eval_end(param):
        acc = param.eval_metric.get()[1]
        val_accs.append(acc)
        print("epoch %d: validation accuracy %.4f  (epoch time %.2f s)" % (param.epoch + 1, acc, epoch_times[-1]),
              flush=True)
        on_epoch_end.tic = time.time()

    mod = mx.mod.Module(net, context=ctx)
    on_epoch_end.tic = time.time()
    t_train = time.time()
    mod.fit(train_iter, eval_data=val_iter, eval_metric="acc", num_epoch=args.epochs,
            optimizer=args.optimizer,
            optimizer_params={"learning_rate": args.lr, "momentum": args.momentum, "wd": args.wd}
            if args.optimizer in ("sgd", "nag") else {"learning_rate": args.lr, "wd": args.wd},
            initializer=mx.init.Xavier(),
            batch_end_callback=mx.callback.Speedometer(args.batch_size, args.log_interval),
            epoch_end_callback=on_epoch_end, eval_end_callback=on_eval_end)
    train_time = time.time() - t_train

    # exact test accuracy over every test image (predict leaves out the padding of the last batch)
    prob = mod.predict(mx.io.NDArrayIter(test_x, test_y, batch_size=args.batch_size)).asnumpy()
    test_acc = float((prob.argmax(axis=1) == test_y).mean())
    print("final test accuracy: %.4f (%d images)" % (test_acc, len(test_y)))
    print("time: %.1f s training (%.2f s per epoch, %d epochs incl. validation), %.1f s in total"
          % (train_time, train_time / args.epochs, args.epochs, time.time() - t_start))
    return test_acc


if __name__ == "__main__":
    main()
