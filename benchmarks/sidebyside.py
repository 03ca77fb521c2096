"""What the side-by-side Python benchmarks share: loading PyTorch when installed, and running cases of several
frameworks interleaved, round after round, reporting medians and the ratio mxc / PyTorch.

cases: {framework: {case name: callable}}, with "mxc" first; a framework may lack some cases (shown as "-"). A case
may also time itself (a case run in another process): an object with `timed(calls)` returning the elapsed seconds.
"""
import argparse
import os
import statistics
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


def main(make_cases, unit, version):
    """The command line of a side-by-side benchmark: --rounds, --calls; make_cases(torch or None) gives the cases."""
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=9)
    ap.add_argument("--calls", type=int, default=20, help="calls per case per round")
    args = ap.parse_args()
    cases = make_cases(load_torch())
    medians = run_interleaved(cases, args.rounds, args.calls)
    print_table(cases, medians, unit, f"median time per call over {args.rounds} rounds ({unit}); mxc {version}, "
                f"{os.cpu_count()} cores")
