"""A multi-threaded imperative program, run by test_engine.py in a subprocess once per engine setting.

usage: python engine_stress_prog.py SEED THREADS OPS OUT.npz

Each thread owns five arrays it alone writes (their whole history is deterministic) and reads shared read-only
arrays; all threads add 0/1 masks into shared accumulators (exact, and addition commutes, so the totals do not
depend on how the threads interleave). Threads alternate between 32x32 arrays (small work: the engine may run it on
the calling thread) and 96x96 arrays (queued to the workers). Every value a thread observes (asnumpy in the middle)
and every final array is saved.
"""
import sys
import threading

import numpy as np

import mxc as mx


def main(seed, nthreads, nops, out):
    sizes = [32 if t % 2 else 96 for t in range(nthreads)]
    rs = np.random.RandomState(seed)
    shared = {n: [mx.nd.array(rs.uniform(-1, 1, (n, n)).astype(np.float32)) for _ in range(3)] for n in set(sizes)}
    acc = {n: [mx.nd.zeros((n, n)) for _ in range(2)] for n in set(sizes)}
    results, failures = {}, []

    def worker(t):
        try:
            n = sizes[t]
            r = np.random.RandomState(seed * 1000 + t)
            p = [mx.nd.array(r.uniform(-1, 1, (n, n)).astype(np.float32)) for _ in range(5)]
            s = shared[n]
            obs = []
            for _ in range(nops):
                c = r.randint(9)
                a, b, d = r.randint(5), r.randint(5), r.randint(5)
                if c == 0:
                    p[d] = mx.nd.tanh(p[a] + p[b])
                elif c == 1:
                    p[d] = mx.nd.tanh(mx.nd.dot(p[a], s[r.randint(3)]))
                elif c == 2:  # in place, possibly x += x
                    p[d] += p[a]
                    p[d] = mx.nd.tanh(p[d])
                elif c == 3:
                    acc[n][r.randint(2)] += (p[a] > 0)
                elif c == 4:  # slice assignment (an in-place write of part of an array)
                    p[d][1:3] = p[a][0:2]
                elif c == 5:
                    obs.append(p[a].asnumpy())
                elif c == 6:
                    p[d] = mx.nd.tanh(p[a] * 0.5 - p[b])
                elif c == 7:
                    p[a].wait_to_read()
                    obs.append(p[a].asnumpy()[0])
                else:
                    p[d] = mx.nd.softmax(p[a], axis=1)
            results[t] = (obs, [x.asnumpy() for x in p])
        except Exception as e:  # reported by the parent
            failures.append("thread %d: %r" % (t, e))

    threads = [threading.Thread(target=worker, args=(t,)) for t in range(nthreads)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    mx.nd.waitall()
    if failures:
        print("\n".join(failures))
        return 1
    arrays = {}
    for t in range(nthreads):
        obs, finals = results[t]
        for i, o in enumerate(obs):
            arrays["t%d_obs%d" % (t, i)] = np.asarray(o)
        for i, f in enumerate(finals):
            arrays["t%d_final%d" % (t, i)] = f
    for n in acc:
        for i, x in enumerate(acc[n]):
            arrays["acc%d_%d" % (n, i)] = x.asnumpy()
    np.savez(out, **arrays)
    return 0


if __name__ == "__main__":
    sys.exit(main(int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]))
