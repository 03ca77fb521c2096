"""The asynchronous engine seen from Python: results identical to the synchronous NaiveEngine under a stress test
from several Python threads, errors of queued work raised at asnumpy()/wait_to_read() with the operator's name,
freeing arrays with pending work, waitall from several threads, and exit with work still queued."""
import os
import subprocess
import sys
import threading
import time

import numpy as np
import pytest

import mxc as mx
from conftest import HERE, subprocess_env

# An array this large can never be allocated (4 EiB): the operator creating it fails when it runs, in the background.
HUGE = (1 << 60,)


def _run_stress(tmp_path, tag, **env):
    out = str(tmp_path / (tag + ".npz"))
    r = subprocess.run([sys.executable, os.path.join(HERE, "engine_stress_prog.py"), "3", "4", "400", out],
                       env=subprocess_env(**env), capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, tag + ":\n" + r.stdout + r.stderr
    return np.load(out)


def test_stress_from_threads_matches_naive_engine(tmp_path):
    ref = _run_stress(tmp_path, "naive", MXC_ENGINE_TYPE="NaiveEngine")
    runs = {
        "threaded": _run_stress(tmp_path, "threaded", MXC_ENGINE_TYPE="ThreadedEngine"),
        # nothing run on the calling thread: every operation is queued to the workers
        "threaded_all_queued": _run_stress(tmp_path, "queued", MXC_ENGINE_TYPE="ThreadedEngine",
                                           MXC_ENGINE_INLINE_WORK="-1", MXC_ENGINE_NUM_THREADS="4"),
    }
    assert len(ref.files) > 100
    for tag, got in runs.items():
        assert sorted(got.files) == sorted(ref.files), tag
        for k in ref.files:
            a, b = got[k], ref[k]
            assert a.dtype == b.dtype and a.shape == b.shape, (tag, k)
            assert a.tobytes() == b.tobytes(), "%s: %s differs from NaiveEngine (max diff %g)" % (
                tag, k, float(np.max(np.abs(a.astype(np.float64) - b.astype(np.float64)))))


def test_engine_selected_by_environment():
    code = "import mxc; from mxc.base import ffi, lib; n = ffi.new('const char **'); " \
           "lib.MXCEngineGetType(n); print(ffi.string(n[0]).decode())"
    for env, expected in (({"MXC_ENGINE_TYPE": "NaiveEngine"}, "NaiveEngine"),
                          ({"MXC_ENGINE_TYPE": "ThreadedEngine"}, "ThreadedEngine")):
        r = subprocess.run([sys.executable, "-c", code], env=subprocess_env(**env), capture_output=True, text=True,
                           timeout=120)
        assert r.returncode == 0, r.stderr
        assert r.stdout.strip() == expected
    env = subprocess_env()
    env.pop("MXC_ENGINE_TYPE", None)
    r = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)
    assert r.stdout.strip() == "ThreadedEngine", r.stderr


def test_error_in_queued_work_surfaces_at_the_next_wait():
    big = mx.nd.zeros(HUGE)          # fails when it runs: out of memory
    total = big.sum()                # reads the failed array: fails the same way, without running
    scaled = total * 2
    fine = mx.nd.ones((3, 4)) * 3    # unrelated work completes
    np.testing.assert_array_equal(fine.asnumpy(), np.full((3, 4), 3, np.float32))
    ctx = mx.current_context()
    msg = "_zeros: out of memory allocating %d bytes on %s" % (HUGE[0] * 4, ctx)
    with pytest.raises(mx.base.DeviceError if ctx.device_type == "gpu" else mx.base.InternalError) as e:
        scaled.asnumpy()
    assert msg in str(e.value), str(e.value)
    with pytest.raises(mx.base.MXNetError, match="_zeros: out of memory"):
        total.wait_to_read()
    with pytest.raises(mx.base.MXNetError, match="_zeros: out of memory"):
        big.wait_to_read()
    mx.nd.waitall()                  # raised already by the waits above
    # The failure stays on the arrays: work reading them, in-place updates too, fail the same way; an overwrite
    # of a failed array clears it.
    with pytest.raises(mx.base.MXNetError, match="_zeros: out of memory"):
        (scaled + 1).asnumpy()
    scaled += 1
    with pytest.raises(mx.base.MXNetError, match="_zeros: out of memory"):
        scaled.wait_to_read()
    mx.nd.full((1,), 5).copyto(scaled)
    np.testing.assert_array_equal(scaled.asnumpy(), [5])


def test_waitall_raises_an_unreported_error_once():
    x = mx.nd.zeros(HUGE)
    del x                            # freed before it ran: the error is still reported, by waitall
    with pytest.raises(mx.base.MXNetError, match="_zeros: out of memory"):
        mx.nd.waitall()
    mx.nd.waitall()


def test_waitall_from_several_threads():
    errors = []

    def work(t):
        try:
            a = mx.nd.ones((200, 200)) * (t + 1)
            for i in range(20):
                a = mx.nd.dot(a, mx.nd.ones((200, 200))) / 200.0
                mx.nd.waitall()
                np.testing.assert_allclose(a.asnumpy(), np.full((200, 200), t + 1, np.float32), rtol=1e-5)
        except Exception as e:
            errors.append(repr(e))

    threads = [threading.Thread(target=work, args=(t,)) for t in range(4)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(timeout=300)
    assert not any(th.is_alive() for th in threads), "waitall from several threads hung"
    assert errors == []


def test_free_arrays_with_pending_work():
    keep = mx.nd.zeros((300, 300))
    for i in range(30):
        a = mx.nd.ones((300, 300)) * (i + 1)
        b = mx.nd.dot(a, a)          # queued; a and b are dropped while it may still be running
        keep += b / 300.0
        del a, b
    expected = sum(float(i + 1) ** 2 for i in range(30))
    np.testing.assert_allclose(keep.asnumpy(), np.full((300, 300), expected, np.float32), rtol=1e-5)
    mx.nd.waitall()


def test_exit_with_work_queued_is_clean():
    # Arrays kept alive in globals and dropped ones, work still queued at exit: the process ends without a hang or a
    # crash (queued work is dropped, running work finishes) and with its normal exit status.
    code = ("import mxc as mx\n"
            "a = mx.nd.ones((1000, 1000))\n"
            "keep = [mx.nd.dot(a, a) for _ in range(40)]\n"
            "for _ in range(40):\n"
            "    mx.nd.dot(a, a)\n"
            "print('queued')\n")
    t0 = time.time()
    r = subprocess.run([sys.executable, "-c", code], env=subprocess_env(), capture_output=True, text=True,
                       timeout=300)
    assert r.returncode == 0, r.stdout + r.stderr
    assert r.stdout.strip() == "queued"
    assert r.stderr == ""
    assert time.time() - t0 < 120
