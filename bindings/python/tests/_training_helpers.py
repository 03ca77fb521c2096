"""Shared helpers of the training-layer tests: small networks and a real Fashion-MNIST subset."""
import gzip
import os

import numpy as np
import pytest

import mxc as mx
from conftest import needs_ops

# Markers for parts that other branches are still building (the tests run as soon as those land).
needs_symbol = pytest.mark.skipif(not hasattr(mx, "sym"), reason="symbolic API (mx.sym, issue 4) not merged yet")
needs_random = needs_ops("_random_uniform", "_random_normal")


def needs_network_ops(*extra):
    """The symbolic API plus the operators of the test networks (and `extra`)."""
    ops = ("FullyConnected", "Activation", "SoftmaxOutput") + extra

    def mark(fn):
        return needs_symbol(needs_ops(*ops)(fn))
    return mark

MNIST_DIR = os.environ.get("MXC_MNIST_DIR", "/usr/share/datasets/fashion-mnist")


def _read_idx(path):
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        raw = f.read()
    ndim = raw[3]
    dims = np.frombuffer(raw, ">u4", ndim, 4)
    return np.frombuffer(raw, np.uint8, offset=4 + 4 * ndim).reshape(dims)


def _find(stem):
    for name in (stem, stem + ".gz"):
        path = os.path.join(MNIST_DIR, name)
        if os.path.exists(path):
            return path
    raise FileNotFoundError("%s(.gz) not found in %s: install Debian's dataset-fashion-mnist (scripts/setup.sh "
                            "does) or set MXC_MNIST_DIR" % (stem, MNIST_DIR))


def mnist_subset(n_train=2000, n_test=1000):
    """The first n_train training and n_test test images of (Fashion-)MNIST: x uint8 (N, 784), y uint8 (N,)."""
    tx = _read_idx(_find("train-images-idx3-ubyte"))[:n_train].reshape(n_train, -1)
    ty = _read_idx(_find("train-labels-idx1-ubyte"))[:n_train]
    vx = _read_idx(_find("t10k-images-idx3-ubyte"))[:n_test].reshape(n_test, -1)
    vy = _read_idx(_find("t10k-labels-idx1-ubyte"))[:n_test]
    return tx, ty, vx, vy


def mlp(num_hidden=32, num_classes=10):
    """784(any)-num_hidden-num_classes MLP with SoftmaxOutput, MXNet naming (fc1_weight, ...)."""
    data = mx.sym.Variable("data")
    fc1 = mx.sym.FullyConnected(data=data, num_hidden=num_hidden, name="fc1")
    act = mx.sym.Activation(data=fc1, act_type="relu", name="relu1")
    fc2 = mx.sym.FullyConnected(data=act, num_hidden=num_classes, name="fc2")
    return mx.sym.SoftmaxOutput(data=fc2, name="softmax")


def linear_softmax(num_classes):
    """A single FullyConnected layer followed by SoftmaxOutput (parameters fc_weight, fc_bias)."""
    data = mx.sym.Variable("data")
    fc = mx.sym.FullyConnected(data=data, num_hidden=num_classes, name="fc")
    return mx.sym.SoftmaxOutput(data=fc, name="softmax")


def softmax(z):
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def separable_data(n=256, dim=6, classes=3, seed=0):
    """Gaussian blobs that a linear classifier separates almost perfectly."""
    rng = np.random.RandomState(seed)
    centers = rng.randn(classes, dim) * 4.0
    y = rng.randint(0, classes, size=n)
    x = centers[y] + rng.randn(n, dim) * 0.5
    return x.astype(np.float32), y.astype(np.float32)
