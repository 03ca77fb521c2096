"""The seed programs users must be able to run, unchanged, with the package importable."""
import os
import subprocess
import sys

import pytest

from conftest import REPO_ROOT, subprocess_env, needs_ops


def _seed_dir():
    for d in (os.environ.get("SEED_DIR"), os.path.join(REPO_ROOT, "..", "shared", "seed"),
              os.path.join(REPO_ROOT, "..", "..", "shared", "seed"), os.path.join(REPO_ROOT, "shared", "seed")):
        if d and os.path.isfile(os.path.join(d, "01_imperative.py")):
            return os.path.abspath(d)
    return None


@needs_ops("elemwise_add", "_plus_scalar", "_div_scalar")
def test_01_imperative(tmp_path):
    d = _seed_dir()
    if d is None:
        pytest.skip("seed programs not found (set SEED_DIR)")
    r = subprocess.run([sys.executable, os.path.join(d, "01_imperative.py")], cwd=str(tmp_path),
                       env=subprocess_env(), capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "[2. 2. 2. 2. 2. 2. 2. 2. 2. 2.]" in r.stdout
