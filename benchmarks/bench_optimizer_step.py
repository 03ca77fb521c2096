"""One optimizer step (SGD with momentum and weight decay) over a model's parameters: mxc's Updater with one fused
update per weight (aggregate_num 0) and with aggregated multi-tensor updates (MXNet's default, 4 weights per call,
and 32), next to PyTorch's torch.optim.SGD with foreach=False (one update per weight) and foreach=True (multi-tensor),
on the CPU, in the same process, interleaved, medians of several rounds. Each timing ends with a wait for the results.

Parameter sets: the seed's MLP (784-128-64-10: 6 arrays, 110K values) and a ResNet-18-like list of 62 arrays (the
shapes of its convolutions, batch norms and classifier; 11.7M values).

Usage: python benchmarks/bench_optimizer_step.py [--rounds 7] [--iters 50] [--gpu]
(--gpu: mxc on mx.gpu(0) and PyTorch on cuda:0, waiting for the devices. PyTorch: pip install torch==2.13.0; without
it, or without CUDA in it for --gpu, only mxc is timed.)
"""
import argparse
import os
import statistics
import time

os.environ.setdefault("OMP_WAIT_POLICY", "passive")

import numpy as np

import mxc as mx

try:
    import torch
except ImportError:  # pragma: no cover - optional
    torch = None


def mlp_shapes():
    return [(128, 784), (128,), (64, 128), (64,), (10, 64), (10,)]


def resnet18_shapes():
    shapes = [(64, 3, 7, 7), (64,), (64,)]
    cin = 64
    for cout, stride in ((64, 1), (128, 2), (256, 2), (512, 2)):
        for block in range(2):
            first = block == 0
            shapes += [(cout, cin if first else cout, 3, 3), (cout,), (cout,), (cout, cout, 3, 3), (cout,), (cout,)]
            if first and (stride != 1 or cin != cout):
                shapes += [(cout, cin, 1, 1), (cout,), (cout,)]
        cin = cout
    return shapes + [(1000, 512), (1000,)]


def mxc_runner(shapes, aggregate_num, ctx):
    rng = np.random.RandomState(0)
    opt = mx.optimizer.SGD(learning_rate=0.01, momentum=0.9, wd=1e-4)
    opt.aggregate_num = aggregate_num
    upd = mx.optimizer.get_updater(opt)
    weights = [mx.nd.array(rng.randn(*s).astype(np.float32), ctx=ctx) for s in shapes]
    grads = [mx.nd.array(rng.randn(*s).astype(np.float32), ctx=ctx) for s in shapes]
    idx = list(range(len(shapes)))

    def step():
        upd(idx, grads, weights)
    step()
    mx.nd.waitall()
    return step, mx.nd.waitall


def torch_runner(shapes, foreach, device):
    rng = np.random.RandomState(0)
    params = [torch.nn.Parameter(torch.from_numpy(rng.randn(*s).astype(np.float32)).to(device)) for s in shapes]
    for p in params:
        p.grad = torch.from_numpy(rng.randn(*p.shape).astype(np.float32)).to(device)
    opt = torch.optim.SGD(params, lr=0.01, momentum=0.9, weight_decay=1e-4, foreach=foreach)
    opt.step()
    return opt.step, (torch.cuda.synchronize if device == "cuda" else (lambda: None))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rounds", type=int, default=7)
    ap.add_argument("--iters", type=int, default=50)
    ap.add_argument("--gpu", action="store_true", help="on mx.gpu(0) and cuda:0")
    args = ap.parse_args()
    ctx = mx.gpu(0) if args.gpu else mx.cpu()
    device = "cuda" if args.gpu else "cpu"
    with_torch = torch is not None and (not args.gpu or torch.cuda.is_available())
    print("optimizer step on %s%s" % (ctx, "" if with_torch else " (without PyTorch)"))
    for set_name, shapes in (("mlp", mlp_shapes()), ("resnet18", resnet18_shapes())):
        runners = {"mxc separate": mxc_runner(shapes, 0, ctx), "mxc aggregated 4": mxc_runner(shapes, 4, ctx),
                   "mxc aggregated 32": mxc_runner(shapes, 32, ctx)}
        if with_torch:
            runners["torch foreach=False"] = torch_runner(shapes, False, device)
            runners["torch foreach=True"] = torch_runner(shapes, True, device)
        times = {k: [] for k in runners}
        names = list(runners)
        for r in range(args.rounds):
            for name in (names if r % 2 == 0 else names[::-1]):
                step, wait = runners[name]
                t = time.perf_counter()
                for _ in range(args.iters):
                    step()
                wait()
                times[name].append((time.perf_counter() - t) / args.iters * 1e6)
        n = sum(int(np.prod(s)) for s in shapes)
        print("%s: %d arrays, %d values; median microseconds per step (%d rounds of %d)"
              % (set_name, len(shapes), n, args.rounds, args.iters))
        ref = "torch foreach=True" if with_torch else "mxc separate"
        med = {k: statistics.median(v) for k, v in times.items()}
        for k in names:
            print("  %-22s %10.1f   x%.2f of %s" % (k, med[k], med[k] / med[ref], ref))


if __name__ == "__main__":
    main()
