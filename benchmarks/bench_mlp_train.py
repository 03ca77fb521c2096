"""Forward+backward throughput of the seed's perceptron (784-128-10, ReLU, softmax cross-entropy, batch 128):
mxc's executor next to PyTorch on the CPU, in the same process, interleaved, medians of several rounds.

Two mxc bindings are timed: "params" (gradients for the weights only, as PyTorch computes them and as a trainer
binds) and "seed" (grad_req='write' for every argument, data and label included, as 05_mlp_executor.py binds).
PyTorch runs the same network with a summed cross-entropy (the gradient SoftmaxOutput computes).

Usage: python benchmarks/bench_mlp_train.py [--rounds 7] [--iters 200] [--threads N]
(--threads N sets PyTorch's intra-op threads; set OMP_NUM_THREADS=N in the environment for mxc's kernels.)
(PyTorch: pip install torch==2.13.0; without it only mxc is timed.)
"""
import argparse
import os
import statistics
import time

# OpenMP threads that spin while waiting starve each other on a shared or busy machine (both libraries use
# OpenMP); passive waiting keeps the comparison about the work. Set before either library loads.
os.environ.setdefault("OMP_WAIT_POLICY", "passive")

import numpy as np

import mxc as mx

BATCH, IN, HIDDEN, OUT = 128, 784, 128, 10


def mxc_runner(grad_req):
    data = mx.sym.Variable("data")
    label = mx.sym.Variable("softmax_label")
    l1 = mx.sym.FullyConnected(data=data, num_hidden=HIDDEN, name="layer1")
    a1 = mx.sym.Activation(data=l1, act_type="relu", name="act1")
    l2 = mx.sym.FullyConnected(data=a1, num_hidden=OUT, name="layer2")
    net = mx.sym.SoftmaxOutput(data=l2, label=label, name="softmax")
    if grad_req == "params":
        req = {n: ("null" if n in ("data", "softmax_label") else "write") for n in net.list_arguments()}
    else:
        req = "write"
    ex = net.simple_bind(mx.cpu(), grad_req=req, data=(BATCH, IN), softmax_label=(BATCH,))
    rng = np.random.RandomState(0)
    for name, arr in ex.arg_dict.items():
        arr[:] = rng.randint(0, OUT, arr.shape) if name == "softmax_label" else rng.randn(*arr.shape) * 0.05
    forward, backward = ex.forward, ex.backward

    def run(iters):
        for _ in range(iters):
            forward(is_train=True)
            backward()
        mx.nd.waitall()
    return run


def torch_runner():
    import torch
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(IN, HIDDEN), torch.nn.ReLU(), torch.nn.Linear(HIDDEN, OUT))
    x = torch.randn(BATCH, IN)
    y = torch.randint(0, OUT, (BATCH,))
    loss_fn = torch.nn.CrossEntropyLoss(reduction="sum")

    def run(iters):
        for _ in range(iters):
            model.zero_grad(set_to_none=True)
            loss_fn(model(x), y).backward()
    return run


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rounds", type=int, default=7)
    ap.add_argument("--iters", type=int, default=200)
    ap.add_argument("--threads", type=int, default=0, help="PyTorch threads (default: its own choice)")
    args = ap.parse_args()
    runners = {"mxc (params)": mxc_runner("params"), "mxc (seed: all grads)": mxc_runner("write")}
    try:
        import torch
        if args.threads:
            torch.set_num_threads(args.threads)
        runners["pytorch %s" % torch.__version__] = torch_runner()
        threads = torch.get_num_threads()
    except ImportError:
        threads = None
    for run in runners.values():  # warm up
        run(max(1, args.iters // 10))
    times = {k: [] for k in runners}
    for _ in range(args.rounds):
        for name, run in runners.items():  # interleaved
            t0 = time.perf_counter()
            run(args.iters)
            times[name].append(time.perf_counter() - t0)
    print("seed MLP %d-%d-%d, batch %d, forward+backward, %d rounds x %d iterations (median)%s"
          % (IN, HIDDEN, OUT, BATCH, args.rounds, args.iters,
             "" if threads is None else "; torch threads %d" % threads))
    for name, ts in times.items():
        med = statistics.median(ts)
        print("  %-26s %10.0f samples/s  (%.3f ms per batch)" % (name, BATCH * args.iters / med,
                                                                  med / args.iters * 1e3))


if __name__ == "__main__":
    main()
