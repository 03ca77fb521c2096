#!/usr/bin/env python3
"""Trains the web page's model with mxc's Python package and writes what the page (and the tests) load.

A 784-128-10 perceptron (Flatten, FullyConnected, ReLU, FullyConnected, SoftmaxOutput) trained with
mx.model.FeedForward (SGD) on an MNIST-format data set: Fashion-MNIST from Debian's dataset-fashion-mnist by
default. Writes into --out (default: examples/web/model):

  fashion-symbol.json, fashion-0000.params  the checkpoint (mx.model.save_checkpoint)
  test-images.bin                          --num-test test images, uint8, 28x28 each, row-major
  test.json                                their labels, the class names, the native library's softmax outputs
                                           for them (the checkpoint reloaded with mx.model.load_checkpoint and
                                           bound on the cpu), and the test accuracy

Usage: python examples/web/prepare.py [--out DIR] [--epochs 2] [--train-size 60000] [--num-test 100]
"""
import argparse
import json
import logging
import os
import sys

import numpy as np

import mxc as mx

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
from train_mnist import find, read_idx  # noqa: E402  (the main job's idx reader)
CLASSES = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]


def network():
    data = mx.sym.Variable("data")
    fc1 = mx.sym.FullyConnected(data=mx.sym.Flatten(data=data), num_hidden=128, name="fc1")
    act = mx.sym.Activation(data=fc1, act_type="relu", name="relu1")
    fc2 = mx.sym.FullyConnected(data=act, num_hidden=10, name="fc2")
    return mx.sym.SoftmaxOutput(data=fc2, name="softmax")


def native_outputs(prefix, epoch, x):
    """Softmax outputs of the saved checkpoint, reloaded and bound with the native library."""
    sym, arg_params, aux_params = mx.model.load_checkpoint(prefix, epoch)
    args = dict(arg_params)
    args["data"] = mx.nd.array(x)
    args["softmax_label"] = mx.nd.zeros((x.shape[0],))
    ex = sym.bind(mx.cpu(), args=args, aux_states=aux_params, grad_req="null")
    ex.forward(is_train=False)
    return ex.outputs[0].asnumpy()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data-dir", default="/usr/share/datasets/fashion-mnist")
    ap.add_argument("--out", default=os.path.join(HERE, "model"))
    ap.add_argument("--epochs", type=int, default=2)
    ap.add_argument("--train-size", type=int, default=60000)
    ap.add_argument("--num-test", type=int, default=100)
    a = ap.parse_args()
    logging.basicConfig(level=logging.WARNING)
    os.makedirs(a.out, exist_ok=True)

    train_x = read_idx(find(a.data_dir, "train-images-idx3-ubyte"))[:a.train_size]
    train_y = read_idx(find(a.data_dir, "train-labels-idx1-ubyte"))[:a.train_size]
    test_x = read_idx(find(a.data_dir, "t10k-images-idx3-ubyte"))
    test_y = read_idx(find(a.data_dir, "t10k-labels-idx1-ubyte"))
    scale = lambda x: (x.astype(np.float32) / 255.0).reshape(-1, 1, 28, 28)

    mx.random.seed(42)
    np.random.seed(42)
    model = mx.model.FeedForward(network(), ctx=mx.cpu(), num_epoch=a.epochs, optimizer="sgd",
                                 learning_rate=0.1, momentum=0.9, initializer=mx.init.Xavier(),
                                 numpy_batch_size=100)
    model.fit(X=scale(train_x), y=train_y.astype(np.float32))
    prefix = os.path.join(a.out, "fashion")
    mx.model.save_checkpoint(prefix, 0, model.symbol, model.arg_params, model.aux_params)

    probs = native_outputs(prefix, 0, scale(test_x))
    accuracy = float((probs.argmax(axis=1) == test_y).mean())
    n = a.num_test
    test_x[:n].tofile(os.path.join(a.out, "test-images.bin"))
    with open(os.path.join(a.out, "test.json"), "w") as f:
        json.dump({"classes": CLASSES, "labels": test_y[:n].tolist(), "accuracy": accuracy,
                   "native_outputs": probs[:n].astype(float).tolist()}, f)
    print("trained %d epoch(s) on %d images: test accuracy %.4f; wrote %s" % (a.epochs, len(train_y), accuracy,
                                                                            a.out))


if __name__ == "__main__":
    main()
