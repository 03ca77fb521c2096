"""Robustness: every registered operator, called with odd shapes, dtypes, values and parameters, raises errors but
never crashes, aborts or hangs the process (fuzz_ops_prog.py, in a subprocess; on the default context, so the
MXC_TEST_DEFAULT_CTX=gpu run fuzzes the GPU kernels). Found so far: eye(2^31) wrapping its byte count to a 0-byte
allocation, samplers looping forever on infinite parameters, broadcasting and Concat filling an empty axis from the
other input and reading past it, and input counts of 2^31 failing inside the library."""
import os
import re
import subprocess
import sys

import mxc as mx

from conftest import subprocess_env

HERE = os.path.dirname(os.path.abspath(__file__))


def test_every_operator_survives_odd_inputs():
    dev = "gpu" if mx.current_context().device_type == "gpu" else "cpu"
    # MALLOC_CHECK_=3: glibc aborts at the first heap inconsistency, so a write out of bounds is caught where it happens.
    r = subprocess.run([sys.executable, "-W", "ignore", os.path.join(HERE, "fuzz_ops_prog.py"), "11", "40", dev],
                       env=subprocess_env(MALLOC_CHECK_="3"), capture_output=True, text=True, timeout=1200)
    last = r.stdout.strip().splitlines()[-3:]
    assert r.returncode == 0, "exit %d after:\n%s\n%s" % (r.returncode, "\n".join(last), r.stderr[-2000:])
    m = re.search(r"fuzz: (\d+) of (\d+) calls ran", r.stdout)
    assert m, r.stdout[-2000:]
    ran, total = int(m.group(1)), int(m.group(2))
    # The cases must reach the kernels, not only the argument checks.
    assert total >= 40 * len(mx.base.list_op_names()) and ran >= total // 5, (ran, total)
