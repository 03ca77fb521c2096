"""What the side-by-side Python benchmarks share: loading PyTorch when installed, and running cases of several
frameworks interleaved, round after round, reporting medians and the ratio mxc / PyTorch. PyTorch's cases run in a
child process (the same script, serving them over a pipe) so that nothing of mxc's slows them: see _torch_child.

cases: {framework: {case name: callable}}, with "mxc" first; a framework may lack some cases (shown as "-"). A case
may also time itself (a case run in another process): an object with `timed(calls)` returning the elapsed seconds.
"""
import argparse
import os
import statistics
import sys
import time


def load_torch():
    """PyTorch with one thread per core, or None (the benchmark then skips its column)."""
    try:
        import torch
    except ImportError:
        print("PyTorch not installed (pip install torch==2.13.0): its column is skipped")
        return None
    torch.set_num_threads(os.cpu_count() or 1)
    return torch


def run_interleaved(cases, rounds, calls):
    """Median seconds per call of every (framework, case): each round runs every case of every framework `calls`
    times, the frameworks of one case one after the other (after one warm-up call each), in an order rotated every
    round: whatever a framework leaves running after its calls (PyTorch's spinning threads) slows each one alike."""
    names = list(cases["mxc"])
    for fw in cases:
        for f in cases[fw].values():
            f()
    times = {}
    fws = list(cases)
    for r in range(rounds):
        for c in names:
            for fw in fws[r % len(fws):] + fws[:r % len(fws)]:
                f = cases[fw].get(c)
                if f is None:
                    continue
                if hasattr(f, "timed"):
                    dt = f.timed(calls)
                else:
                    t0 = time.perf_counter()
                    for _ in range(calls):
                        f()
                    dt = time.perf_counter() - t0
                times.setdefault((fw, c), []).append(dt / calls)
    return {k: statistics.median(v) for k, v in times.items()}


def print_table(cases, medians, unit, title):
    """The table of medians in `unit` ("ms" or "us"), a column per framework and mxc / PyTorch."""
    scale = {"ms": 1e3, "us": 1e6}[unit]
    fws = list(cases)
    names = list(cases["mxc"])
    width = max(16, max(len(c) for c in names) + 2)
    print(title)
    print(f"{'case':<{width}}" + "".join(f"{fw:>13}" for fw in fws) + ("   mxc/torch" if "torch" in cases else ""))
    for c in names:
        med = {fw: medians[(fw, c)] * scale for fw in fws if (fw, c) in medians}
        line = f"{c:<{width}}" + "".join(f"{med[fw]:>13.3f}" if fw in med else f"{'-':>13}" for fw in fws)
        if "torch" in med:
            line += f"   {med['mxc'] / med['torch']:>9.2f}"
        print(line)


class _ChildCase:
    """A PyTorch case run in the child process (see main): timed(calls) asks the child to run it `calls` times."""

    def __init__(self, child, name):
        self.child, self.name = child, name

    def timed(self, calls):
        self.child.stdin.write(f"{calls} {self.name}\n")
        self.child.stdin.flush()
        return float(self.child.stdout.readline())

    def __call__(self):
        self.timed(1)


def _serve_torch(make_cases):
    """The child's side: builds the cases, then runs PyTorch's on request (a line "calls name" in, seconds out).
    mxc's engine starts first, with OMP_NUM_THREADS=1 (set by the parent): its kernels then open no OpenMP teams of
    their own, and PyTorch keeps the OpenMP runtime to itself."""
    mx = sys.modules.get("mxc")
    if mx is not None:
        mx.nd.zeros((1,)).wait_to_read()
    torch = load_torch()
    cases = make_cases(torch).get("torch", {}) if torch is not None else {}
    print("\t".join(cases), flush=True)
    for line in sys.stdin:
        calls, name = line.rstrip("\n").split(" ", 1)
        f = cases[name]
        t0 = time.perf_counter()
        for _ in range(int(calls)):
            f()
        print(time.perf_counter() - t0, flush=True)


def _torch_child():
    """PyTorch's cases in a child process, at OpenMP's default wait policy. In one process PyTorch is slowed:
    its wheel's libgomp has the soname libgomp.so.1, so it shares mxc's OpenMP runtime, and once mxc's engine
    workers have opened parallel regions the runtime manages more threads than there are cores and cuts every
    team's spinning (PyTorch's LSTM forward 2 -> 7 ms); OMP_WAIT_POLICY=passive slows it 1.6-4x too (2026-11-29).
    Returns (child, cases), or (None, None) when PyTorch is not installed."""
    import subprocess
    env = dict(os.environ, MXC_SIDEBYSIDE_CHILD="1", OMP_NUM_THREADS="1")
    env.pop("OMP_WAIT_POLICY", None)
    child = subprocess.Popen([sys.executable, sys.argv[0]], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                             env=env)
    names = child.stdout.readline().rstrip("\n")
    if not names:
        child.stdin.close()
        child.wait()
        print("PyTorch not installed (pip install torch==2.13.0): its column is skipped")
        return None, None
    return child, {n: _ChildCase(child, n) for n in names.split("\t")}


def main(make_cases, unit, version):
    """The command line of a side-by-side benchmark: --rounds, --calls; make_cases(torch or None) gives the cases.
    PyTorch's cases run in a child process (see _torch_child), interleaved round by round with mxc's, which run
    here; --torch-in-process runs them in this process instead (unfair to PyTorch, for comparison)."""
    if os.environ.get("MXC_SIDEBYSIDE_CHILD") == "1":
        return _serve_torch(make_cases)
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=9)
    ap.add_argument("--calls", type=int, default=20, help="calls per case per round")
    ap.add_argument("--torch-in-process", action="store_true",
                    help="run PyTorch in this process, sharing mxc's OpenMP runtime (slows PyTorch)")
    args = ap.parse_args()
    child = None
    if args.torch_in_process:
        cases = make_cases(load_torch())
    else:
        cases = make_cases(None)
        child, tcases = _torch_child()
        if tcases is not None:
            cases["torch"] = tcases
    try:
        medians = run_interleaved(cases, args.rounds, args.calls)
    finally:
        if child is not None:
            child.stdin.close()
            child.wait()
    where = "in this process" if args.torch_in_process else "in its own process"
    print_table(cases, medians, unit, f"median time per call over {args.rounds} rounds ({unit}); mxc {version}, "
                f"{os.cpu_count()} cores; PyTorch {where}")
