"""The CPU elementwise kernels under each instruction set, side by side with NumPy and PyTorch (1M float32 each).

    python benchmarks/bench_cpu_isa.py [--rounds 9] [--calls 20] [--isa baseline] [--before other/libmxc.so]

Columns: "mxc" dispatches to the best instruction set of this processor (core/ops/cpu_dispatch.h); "mxc-baseline"
is the same library with MXC_CPU_ISA=baseline (the x86-64 SSE2 build of the loops), and likewise a column per
other --isa value (default: baseline only); --before adds a column "mxc-before" for another build of libmxc (for
example the main branch's). Every mxc column runs in a worker process of its own that times its own calls: in one
process with PyTorch, PyTorch's OpenMP threads (spinning after each of its parallel regions) slow mxc's down, and
the reverse. numpy and torch (when installed) run in this process. Cases run interleaved round after round
(sidebyside.py); the table gives the medians and mxc / torch, then mxc's speed-up over the other mxc columns.

Cases: add, mul (same shape), relu, sigmoid, tanh, exp, softmax (1000 x 1000, last axis), sum (all elements),
sgd_update and adam_update (weight updated in place, wd 1e-4).
"""
import os
import subprocess
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
import sidebyside  # noqa: E402

N = 1000 * 1000
LR, WD = 0.01, 1e-4


def inputs():
    rng = np.random.default_rng(0)
    x = rng.uniform(-4, 4, N).astype(np.float32)
    y = rng.uniform(-4, 4, N).astype(np.float32)
    return x, y


def mxc_cases():
    try:
        import mxc as mx
    except ImportError:
        sys.path.insert(0, os.path.join(HERE, "..", "bindings", "python"))
        import mxc as mx
    x, y = inputs()
    a, b = mx.nd.array(x), mx.nd.array(y)
    s = a.reshape((1000, 1000))
    w, g = mx.nd.array(x), mx.nd.array(y)
    m, v = mx.nd.zeros((N,)), mx.nd.ones((N,))

    def waited(f):
        return lambda: f().wait_to_read()

    def sgd():
        mx.nd.sgd_update(w, g, lr=LR, wd=WD, out=w)
        w.wait_to_read()

    def adam():
        mx.nd.adam_update(w, g, m, v, lr=LR, wd=WD, out=w)
        w.wait_to_read()

    return mx.__version__, {
        "add": waited(lambda: a + b), "mul": waited(lambda: a * b), "relu": waited(lambda: mx.nd.relu(a)),
        "sigmoid": waited(lambda: mx.nd.sigmoid(a)), "tanh": waited(lambda: mx.nd.tanh(a)),
        "exp": waited(lambda: mx.nd.exp(a)), "softmax": waited(lambda: mx.nd.softmax(s)),
        "sum": waited(lambda: mx.nd.sum(a)), "sgd_update": sgd, "adam_update": adam,
    }


def numpy_cases():
    x, y = inputs()
    s = x.reshape(1000, 1000)
    w, g, m, v = x.copy(), y.copy(), np.zeros(N, np.float32), np.ones(N, np.float32)

    def softmax():
        e = np.exp(s - s.max(axis=1, keepdims=True))
        return e / e.sum(axis=1, keepdims=True)

    def sgd():
        w.__isub__(np.float32(LR) * (g + np.float32(WD) * w))

    def adam():
        gr = g + np.float32(WD) * w
        m.__imul__(np.float32(0.9))
        m.__iadd__(np.float32(0.1) * gr)
        v.__imul__(np.float32(0.999))
        v.__iadd__(np.float32(0.001) * gr * gr)
        w.__isub__(np.float32(LR) * m / (np.sqrt(v) + np.float32(1e-8)))

    return {"add": lambda: x + y, "mul": lambda: x * y, "relu": lambda: np.maximum(x, 0),
            "sigmoid": lambda: 1 / (1 + np.exp(-x)), "tanh": lambda: np.tanh(x), "exp": lambda: np.exp(x),
            "softmax": softmax, "sum": lambda: x.sum(), "sgd_update": sgd, "adam_update": adam}


def torch_cases(torch):
    x, y = inputs()
    a, b = torch.from_numpy(x.copy()), torch.from_numpy(y.copy())
    s = a.reshape(1000, 1000)
    p = torch.nn.Parameter(a.clone())
    p.grad = b.clone()
    q = torch.nn.Parameter(a.clone())
    q.grad = b.clone()
    sgd = torch.optim.SGD([p], lr=LR, weight_decay=WD)
    adam = torch.optim.Adam([q], lr=LR, weight_decay=WD)
    return {"add": lambda: a + b, "mul": lambda: a * b, "relu": lambda: torch.relu(a),
            "sigmoid": lambda: torch.sigmoid(a), "tanh": lambda: torch.tanh(a), "exp": lambda: torch.exp(a),
            "softmax": lambda: torch.softmax(s, dim=1), "sum": lambda: a.sum(), "sgd_update": sgd.step,
            "adam_update": adam.step}


class Worker:
    """The mxc cases in another process (own environment), each timing its own calls."""

    def __init__(self, env, name):
        self.proc = subprocess.Popen([sys.executable, os.path.abspath(__file__), "--worker"], env={**os.environ, **env},
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        self.version, *self.names = self.proc.stdout.readline().split()
        self.name = name

    def case(self, c):
        worker = self

        class Remote:
            def timed(self, calls):
                worker.proc.stdin.write(f"{c} {calls}\n")
                worker.proc.stdin.flush()
                return float(worker.proc.stdout.readline())

            def __call__(self):
                self.timed(1)

        return Remote()

    def close(self):
        self.proc.stdin.close()
        self.proc.wait()


def worker_main():
    version, cases = mxc_cases()
    print(version, " ".join(cases), flush=True)
    for line in sys.stdin:
        c, calls = line.split()
        f = cases[c]
        t0 = time.perf_counter()
        for _ in range(int(calls)):
            f()
        print(time.perf_counter() - t0, flush=True)


def main():
    import argparse
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=9)
    ap.add_argument("--calls", type=int, default=20, help="calls per case per round")
    ap.add_argument("--isa", default="baseline", help="comma-separated MXC_CPU_ISA values, a worker column each")
    ap.add_argument("--before", help="another libmxc.so, run as the column mxc-before")
    args = ap.parse_args()
    best = Worker({"MXC_CPU_ISA": ""}, "mxc")
    workers = [Worker({"MXC_CPU_ISA": isa}, "mxc-" + isa) for isa in args.isa.split(",") if isa]
    if args.before:
        workers.append(Worker({"MXC_LIBRARY_PATH": os.path.abspath(args.before), "MXC_CPU_ISA": ""}, "mxc-before"))
    cases = {}
    for wk in [best] + workers:
        cases[wk.name] = {c: wk.case(c) for c in best.names}
    cases["numpy"] = numpy_cases()
    torch = sidebyside.load_torch()
    if torch is not None:
        cases["torch"] = torch_cases(torch)
    medians = sidebyside.run_interleaved(cases, args.rounds, args.calls)
    for wk in [best] + workers:
        wk.close()
    sidebyside.print_table(cases, medians, "ms", f"median time per call over {args.rounds} rounds (ms); mxc "
                           f"{best.version} with the processor's best instruction set, {os.cpu_count()} cores"
                           + (f", torch {torch.get_num_threads()} threads" if torch else ""))
    print("\nspeed-up of mxc over " + ", ".join(w.name for w in workers))
    for c in cases["mxc"]:
        print(f"{c:<16}" + "".join(f"{medians[(w.name, c)] / medians[('mxc', c)]:>12.2f}" for w in workers))


if __name__ == "__main__":
    if "--worker" in sys.argv:
        worker_main()
    else:
        main()
