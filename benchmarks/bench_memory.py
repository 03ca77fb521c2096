"""Internal memory of bound executors with and without the memory planner.

For the seed's perceptron (784-128-10, batch 128) and LeNet (conv 5x5x20 - tanh - max pool - conv 5x5x50 - tanh -
max pool - fc 500 - tanh - fc 10, batch 64), bound for training (every argument but the data and label gets a
gradient, as a trainer binds) and for inference, it prints the bytes the executor allocates for internal values
(intermediate results and their gradients; arguments, gradients of arguments and outputs are the caller's arrays)
with the planner (MXC_MEMORY_PLAN unset) and without it (one buffer per value; what MXC_MEMORY_PLAN=0 allocates),
then checks that both give identical outputs and gradients.

"vs unplanned train" compares with what a framework without planning keeps for the same network bound for
training (every value and its gradient). For inference the planner cannot go below the largest pair of values alive
at once (an operator's input and output: for the perceptron the hidden layer and the logits, for LeNet the first
convolution's output and its pooled result), so the ratio against an unplanned inference binding is bounded by the
network's shape (about 2x for these two networks).

Usage: python benchmarks/bench_memory.py        (PYTHONPATH/MXC_LIBRARY_PATH as for the package)
"""
import os
import sys

import numpy as np

import mxc as mx


def mlp():
    data = mx.sym.Variable("data")
    label = mx.sym.Variable("softmax_label")
    l1 = mx.sym.FullyConnected(data=data, num_hidden=128, name="layer1")
    a1 = mx.sym.Activation(data=l1, act_type="relu", name="act1")
    l2 = mx.sym.FullyConnected(data=a1, num_hidden=10, name="layer2")
    return mx.sym.SoftmaxOutput(data=l2, label=label, name="softmax"), {"data": (128, 784), "softmax_label": (128,)}


def lenet():
    data = mx.sym.Variable("data")
    label = mx.sym.Variable("softmax_label")
    c1 = mx.sym.Convolution(data=data, kernel=(5, 5), num_filter=20, name="conv1")
    t1 = mx.sym.Activation(data=c1, act_type="tanh", name="tanh1")
    p1 = mx.sym.Pooling(data=t1, pool_type="max", kernel=(2, 2), stride=(2, 2), name="pool1")
    c2 = mx.sym.Convolution(data=p1, kernel=(5, 5), num_filter=50, name="conv2")
    t2 = mx.sym.Activation(data=c2, act_type="tanh", name="tanh2")
    p2 = mx.sym.Pooling(data=t2, pool_type="max", kernel=(2, 2), stride=(2, 2), name="pool2")
    f = mx.sym.Flatten(data=p2, name="flatten")
    f1 = mx.sym.FullyConnected(data=f, num_hidden=500, name="fc1")
    t3 = mx.sym.Activation(data=f1, act_type="tanh", name="tanh3")
    f2 = mx.sym.FullyConnected(data=t3, num_hidden=10, name="fc2")
    return mx.sym.SoftmaxOutput(data=f2, label=label, name="softmax"), {"data": (64, 1, 28, 28),
                                                                         "softmax_label": (64,)}


def bind(sym, shapes, training, plan):
    if plan:
        os.environ.pop("MXC_MEMORY_PLAN", None)
    else:
        os.environ["MXC_MEMORY_PLAN"] = "0"
    try:
        req = {n: ("write" if training and n not in shapes else "null") for n in sym.list_arguments()}
        return sym.simple_bind(mx.cpu(), grad_req=req, **shapes)
    finally:
        os.environ.pop("MXC_MEMORY_PLAN", None)


def run(ex, values, training):
    for n, v in values.items():
        ex.arg_dict[n][:] = v
    ex.forward(is_train=training)
    if training:
        ex.backward()
    res = [o.asnumpy() for o in ex.outputs]
    if training:
        res += [g.asnumpy() for g in ex.grad_arrays if g is not None]
    return res


def main():
    rng = np.random.RandomState(0)
    ok = True
    print("%-6s %-9s %14s %14s %8s %20s" % ("net", "binding", "planned", "unplanned", "ratio",
                                             "vs unplanned train"))
    for net_name, make in (("MLP", mlp), ("LeNet", lenet)):
        sym, shapes = make()
        arg_shapes, _, _ = sym.infer_shape(**shapes)
        values = {}
        for n, s in zip(sym.list_arguments(), arg_shapes):
            values[n] = rng.randint(0, 10, s) if n == "softmax_label" else rng.randn(*s) * 0.1
        train_unplanned = None
        for training in (True, False):
            on = bind(sym, shapes, training, True)
            off = bind(sym, shapes, training, False)
            p, u = on.memory_stats()
            p_off, _ = off.memory_stats()
            if training:
                train_unplanned = u
            same = all(np.array_equal(a, b) for a, b in zip(run(on, values, training), run(off, values, training)))
            ok = ok and same and p_off == u
            print("%-6s %-9s %11.3f MB %11.3f MB %7.2fx %19.2fx%s" % (
                net_name, "training" if training else "inference", p / 2**20, u / 2**20, u / max(p, 1),
                train_unplanned / max(p, 1), "" if same else "  RESULTS DIFFER"))
    print("planning on and off give identical results:", "yes" if ok else "NO")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
