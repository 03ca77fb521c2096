"""Per-call cost of small operations and throughput of a large add: mxc vs NumPy vs PyTorch (CPU), side by side.

    python benchmarks/bench_python_ops.py [--rounds 15] [--calls 20000]

Cases (all float32):
  small       c = a + b on 10 elements (for mxc: queued, not waited for)
  small+wait  c = a + b on 10 elements, then c.wait_to_read() (NumPy and PyTorch CPU are synchronous: same as small)
  large       c = a + b on 1,000,000 elements (mxc waits for the result)

mxc runs under both engines: "mxc" is the default ThreadedEngine, "mxc-naive" the synchronous NaiveEngine (switched
with MXCEngineSetType before each of its runs), so the cost of pushing to the asynchronous engine shows side by side
with running synchronously.

Every round runs every case of every framework once (interleaved, so drifts of the machine hit all of them alike);
the reported number is the median over rounds of the per-call time, as wall-clock time and as CPU time of the
process (all threads; less disturbed by other programs on a busy machine, but it counts every thread of a parallel
kernel). PyTorch is imported only when installed
(pip install torch==2.13.0); otherwise it is skipped with a message.

With a source checkout and no installed package, run with PYTHONPATH=bindings/python MXC_LIBRARY_PATH=build/libmxc.so
(the script also finds bindings/python by itself).
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
import sidebyside  # noqa: E402


def make_cases(torch, large_n):
    small_np = (np.ones(10, np.float32), np.ones(10, np.float32))
    large_np = (np.random.rand(large_n).astype(np.float32), np.random.rand(large_n).astype(np.float32))
    cases = {}

    a, b = mx.nd.array(small_np[0]), mx.nd.array(small_np[1])
    A, B = mx.nd.array(large_np[0]), mx.nd.array(large_np[1])

    def mxc_small(n, a=a, b=b):
        for _ in range(n):
            c = a + b
        c.wait_to_read()  # not per call: only so that queued work does not pile up across batches

    def mxc_small_wait(n, a=a, b=b):
        for _ in range(n):
            c = a + b
            c.wait_to_read()

    def mxc_large(n, A=A, B=B):
        for _ in range(n):
            C = A + B
            C.wait_to_read()

    cases["mxc"] = {"small": mxc_small, "small+wait": mxc_small_wait, "large": mxc_large}
    cases["mxc-naive"] = cases["mxc"]

    def np_small(n, a=small_np[0], b=small_np[1]):
        for _ in range(n):
            c = a + b  # noqa: F841

    def np_large(n, A=large_np[0], B=large_np[1]):
        for _ in range(n):
            C = A + B  # noqa: F841

    cases["numpy"] = {"small": np_small, "small+wait": np_small, "large": np_large}

    if torch is not None:
        ta, tb = torch.from_numpy(small_np[0].copy()), torch.from_numpy(small_np[1].copy())
        TA, TB = torch.from_numpy(large_np[0].copy()), torch.from_numpy(large_np[1].copy())

        def torch_small(n, a=ta, b=tb):
            for _ in range(n):
                c = a + b  # noqa: F841

        def torch_large(n, A=TA, B=TB):
            for _ in range(n):
                C = A + B  # noqa: F841

        cases["torch"] = {"small": torch_small, "small+wait": torch_small, "large": torch_large}
    # Sanity: all frameworks compute the same sums.
    ref = large_np[0] + large_np[1]
    np.testing.assert_allclose((A + B).asnumpy(), ref, rtol=1e-6)
    if torch is not None:
        np.testing.assert_allclose((TA + TB).numpy(), ref, rtol=1e-6)
    return cases


def fmt(t):
    if t < 1e-3:
        return "%8.3f us" % (t * 1e6)
    return "%8.3f ms" % (t * 1e3)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=15)
    ap.add_argument("--calls", type=int, default=20000, help="calls per batch for the small cases")
    ap.add_argument("--large-calls", type=int, default=50, help="calls per batch for the large case")
    ap.add_argument("--large-n", type=int, default=1000000)
    args = ap.parse_args()

    torch = sidebyside.load_torch()
    cases = make_cases(torch, args.large_n)
    names = ["small", "small+wait", "large"]
    wall = {(fw, c): [] for fw in cases for c in names}
    cpu = {(fw, c): [] for fw in cases for c in names}
    for fw in cases:  # warm up
        if fw.startswith("mxc"):
            _set_engine("NaiveEngine" if fw == "mxc-naive" else "ThreadedEngine")
        for c in names:
            cases[fw][c](10)
    for _ in range(args.rounds):
        for c in names:
            n = args.large_calls if c == "large" else args.calls
            for fw in cases:
                if fw.startswith("mxc"):
                    _set_engine("NaiveEngine" if fw == "mxc-naive" else "ThreadedEngine")
                c0 = time.process_time()
                t0 = time.perf_counter()
                cases[fw][c](n)
                t1 = time.perf_counter()
                c1 = time.process_time()
                wall[(fw, c)].append((t1 - t0) / n)
                cpu[(fw, c)].append((c1 - c0) / n)

    _set_engine("ThreadedEngine")
    print("engines: mxc = %s, mxc-naive = NaiveEngine; mxc calls libmxc in cffi %s mode; numpy %s%s; %d CPUs; "
          "%d rounds; median per call" % (
        mx.base.py_str(_engine_name()), mx._ffi.CFFI_MODE.upper(), np.__version__,
        ("; torch %s (%d threads)" % (torch.__version__, torch.get_num_threads())) if torch else "",
        os.cpu_count() or 1, args.rounds))
    fws = list(cases)
    for title, times in (("wall-clock time", wall), ("CPU time of the process (all threads)", cpu)):
        med = {k: statistics.median(v) for k, v in times.items()}
        print("\n" + title)
        print("%-12s" % "case" + "".join("%14s" % f for f in fws) + "".join(
            "%14s" % ("mxc/" + f) for f in fws if f != "mxc"))
        for c in names:
            row = "%-12s" % c + "".join("%14s" % fmt(med[(f, c)]) for f in fws)
            row += "".join("%14s" % ("%.2fx" % (med[("mxc", c)] / med[(f, c)])) for f in fws if f != "mxc")
            print(row)


def _set_engine(name):
    from mxc.base import lib, check_call
    check_call(lib.MXCEngineSetType(name.encode()))


def _engine_name():
    from mxc.base import ffi, lib, check_call
    p = ffi.new("const char **")
    check_call(lib.MXCEngineGetType(p))
    return p[0]


if __name__ == "__main__":
    main()
