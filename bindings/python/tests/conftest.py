"""pytest setup: makes the package importable from a checkout (development mode) and provides helpers.

With the package installed (pip install ./bindings/python) the installed copy is used; otherwise bindings/python is
put on sys.path and the library is found through MXC_LIBRARY_PATH or <checkout>/build/libmxc.so.
"""
import os
import sys

import numpy as np
import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
PKG_ROOT = os.path.dirname(HERE)            # bindings/python
REPO_ROOT = os.path.dirname(os.path.dirname(PKG_ROOT))

try:
    import mxc  # noqa: F401
except ImportError:
    sys.path.insert(0, PKG_ROOT)
    import mxc  # noqa: F401

from mxc.base import has_op  # noqa: E402


def needs_ops(*names):
    """Marks a test that needs operators still being written in other branches (skipped until they land)."""
    missing = [n for n in names if not has_op(n)]
    return pytest.mark.skipif(bool(missing), reason="operators not registered yet: " + ", ".join(missing))


def subprocess_env(**extra):
    """Environment for a child Python that imports the same mxc package as this process."""
    env = dict(os.environ)
    pkg_parent = os.path.dirname(os.path.dirname(os.path.abspath(mxc.__file__)))
    env["PYTHONPATH"] = pkg_parent + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    env["MXC_LIBRARY_PATH"] = mxc._ffi.LIB_PATH
    env.update(extra)
    return env


def assert_nd(nd, expected, dtype=None, rtol=1e-6, atol=1e-6):
    """NDArray equals the NumPy reference (values, shape, and dtype when given)."""
    got = nd.asnumpy()
    expected = np.asarray(expected)
    assert got.shape == expected.shape, (got.shape, expected.shape)
    if dtype is not None:
        assert got.dtype == np.dtype(dtype), (got.dtype, dtype)
    np.testing.assert_allclose(got, expected, rtol=rtol, atol=atol)


# MXC_TEST_DEFAULT_CTX=gpu reruns the suite with mx.gpu(0) as the default context of array creation (every test
# that does not name a device then runs on the GPU; results are still compared with NumPy on the host).
_DEFAULT_CTX = os.environ.get("MXC_TEST_DEFAULT_CTX", "")


def pytest_configure(config):
    config.addinivalue_line("markers", "cpu_default_context: the test is about the CPU default context itself "
                                       "(the default of creation, CPU-only pools, threads that do not inherit it); "
                                       "MXC_TEST_DEFAULT_CTX does not apply")


@pytest.fixture(autouse=True)
def _default_ctx(request):
    if _DEFAULT_CTX == "gpu" and request.node.get_closest_marker("cpu_default_context") is None:
        with mxc.Context("gpu", 0):
            yield
    else:
        yield
