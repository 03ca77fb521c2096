"""float16 on the CPU: mxc in float16 and in float32 next to NumPy and PyTorch in float16, side by side.

    python benchmarks/bench_float16.py [--rounds 11]

Cases:
  add 1M      c = a + b on 1,000,000 elements
  sum 1M      the sum of 1,000,000 elements
  fc 128x784  FullyConnected forward, batch 128, 784 -> 128 (NumPy: x @ w.T; PyTorch: torch.nn.functional.linear)
  conv lenet  Convolution forward, (64, 20, 12, 12) by 50 5x5 filters (NumPy: not measured)

mxc computes float16 in float32 and rounds once (core/float16.cc): a kernel that does not take float16 runs on
float32 copies. NumPy computes a float16 ufunc in float32 per element and has no float16 BLAS (its matrix product is a
plain loop); PyTorch's CPU kernels take float16 directly. Every round runs every case of every framework once
(interleaved); the numbers are medians over rounds, with the ratio of each to mxc float16.
"""
import argparse
import os
import statistics
import sys
import time

import numpy as np

try:
    import mxc as mx
except ImportError:
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "bindings", "python"))
    import mxc as mx


def timed(fn, reps):
    fn()
    t = time.perf_counter()
    for _ in range(reps):
        fn()
    return (time.perf_counter() - t) / reps


def mxc_cases(dtype):
    rs = np.random.RandomState(0)
    a, b = (mx.nd.array(rs.rand(1000000), dtype=dtype) for _ in range(2))
    x = mx.nd.array(rs.rand(128, 784), dtype=dtype)
    w = mx.nd.array(rs.rand(128, 784) * 0.01, dtype=dtype)
    img = mx.nd.array(rs.rand(64, 20, 12, 12), dtype=dtype)
    k = mx.nd.array(rs.rand(50, 20, 5, 5) * 0.01, dtype=dtype)
    return {
        "add 1M": lambda: (a + b).wait_to_read(),
        "sum 1M": lambda: mx.nd.sum(a).wait_to_read(),
        "fc 128x784": lambda: mx.nd.FullyConnected(x, w, no_bias=True, num_hidden=128).wait_to_read(),
        "conv lenet": lambda: mx.nd.Convolution(img, k, no_bias=True, kernel=(5, 5), num_filter=50).wait_to_read(),
    }


def numpy_cases():
    rs = np.random.RandomState(0)
    a, b = (rs.rand(1000000).astype(np.float16) for _ in range(2))
    x, w = rs.rand(128, 784).astype(np.float16), (rs.rand(128, 784) * 0.01).astype(np.float16)
    return {"add 1M": lambda: a + b, "sum 1M": lambda: a.sum(), "fc 128x784": lambda: x @ w.T}


def torch_cases():
    try:
        import torch
    except ImportError:
        print("PyTorch is not installed (pip install torch==2.13.0): its column is skipped")
        return {}
    torch.manual_seed(0)
    a, b = torch.rand(1000000).half(), torch.rand(1000000).half()
    x, w = torch.rand(128, 784).half(), (torch.rand(128, 784) * 0.01).half()
    img, k = torch.rand(64, 20, 12, 12).half(), (torch.rand(50, 20, 5, 5) * 0.01).half()
    F = torch.nn.functional
    return {"add 1M": lambda: a + b, "sum 1M": lambda: a.sum(), "fc 128x784": lambda: F.linear(x, w),
            "conv lenet": lambda: F.conv2d(img, k)}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=11)
    ap.add_argument("--reps", type=int, default=5)
    args = ap.parse_args()
    frameworks = {"mxc float16": mxc_cases("float16"), "mxc float32": mxc_cases("float32"),
                  "numpy float16": numpy_cases(), "torch float16": torch_cases()}
    frameworks = {k: v for k, v in frameworks.items() if v}
    cases = list(frameworks["mxc float16"])
    times = {(f, c): [] for f in frameworks for c in cases}
    for _ in range(args.rounds):
        for c in cases:
            for f, fc in frameworks.items():
                if c in fc:
                    times[(f, c)].append(timed(fc[c], args.reps))
    names = list(frameworks)
    print("median ms per call (ratio: time / mxc float16)")
    print("%-12s" % "case" + "".join("%24s" % n for n in names))
    for c in cases:
        base = statistics.median(times[("mxc float16", c)])
        row = "%-12s" % c
        for f in names:
            if times[(f, c)]:
                m = statistics.median(times[(f, c)])
                row += "%24s" % ("%.3f (%.2fx)" % (m * 1e3, m / base))
            else:
                row += "%24s" % "-"
        print(row)


if __name__ == "__main__":
    main()
