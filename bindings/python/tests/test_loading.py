"""Loading of the library: cdef read from the header, version check, clear ImportErrors (in child processes)."""
import os
import re
import subprocess
import sys

import pytest

import mxc as mx
from mxc import _ffi
from conftest import subprocess_env, PKG_ROOT


def _run(code, **env):
    return subprocess.run([sys.executable, "-c", code], env=subprocess_env(**env), capture_output=True, text=True,
                          timeout=120)


def test_cdef_comes_from_the_header():
    text = open(_ffi.HEADER_PATH).read()
    cdef = _ffi.cdef_from_header(text)
    assert "MXC_API" not in cdef
    assert not any(ln.lstrip().startswith("#") for ln in cdef.splitlines())
    # Every prototype of the header between the markers is declared to cffi.
    body = text[text.index("/* MXC_CDEF_BEGIN */"):text.index("/* MXC_CDEF_END */")]
    names = re.findall(r"MXC_API\s+[^;(]*?\b(MXC\w+)\s*\(", body)
    assert len(names) > 40
    for n in names:
        assert re.search(r"\b%s\s*\(" % n, cdef), n
    # Every C function the package calls is exported by the library.
    pkg = os.path.dirname(os.path.abspath(mx.__file__))
    used = set()
    for dirpath, _, files in os.walk(pkg):
        for f in files:
            if f.endswith(".py"):
                used |= set(re.findall(r"\blib\.(MXC[A-Za-z]\w*)\s*\(", open(os.path.join(dirpath, f)).read()))
    assert {"MXCOpInvoke", "MXCNDArrayCreate", "MXCGetVersion"} <= used
    for n in sorted(used):
        assert n in names, n
        assert callable(getattr(_ffi.lib, n)), n
    # Enum constants come from the header too.
    assert _ffi.lib.MXC_FLOAT32 == 0 and _ffi.lib.MXC_BOOL == 7 and _ffi.lib.MXC_GPU == 2


def test_cdef_markers_required():
    with pytest.raises(ImportError, match="MXC_CDEF_BEGIN"):
        _ffi.cdef_from_header("int f(void);")


def test_versions_agree():
    text = open(_ffi.HEADER_PATH).read()
    major = int(re.search(r"#define MXC_VERSION_MAJOR (\d+)", text).group(1))
    minor = int(re.search(r"#define MXC_VERSION_MINOR (\d+)", text).group(1))
    assert _ffi.HEADER_VERSION == (major, minor)
    assert _ffi.LIB_VERSION == (major, minor)
    assert mx.__version__ == "%d.%d" % (major, minor)


def test_pyproject_version_matches_header():
    path = os.path.join(PKG_ROOT, "pyproject.toml")
    if not os.path.exists(path):
        pytest.skip("not a source checkout")
    m = re.search(r'^version = "(\d+)\.(\d+)"', open(path).read(), re.M)
    assert (int(m.group(1)), int(m.group(2))) == _ffi.HEADER_VERSION


def test_check_version_rules():
    _ffi.check_version((0, 1), (0, 1), "lib", "hdr")
    _ffi.check_version((1, 3), (1, 2), "lib", "hdr")  # newer minor after 1.0 is fine
    for lib_v, hdr_v in [((0, 2), (0, 1)), ((1, 0), (0, 1)), ((2, 0), (1, 0)), ((1, 1), (1, 2))]:
        with pytest.raises(ImportError, match="MXC_LIBRARY_PATH") as e:
            _ffi.check_version(lib_v, hdr_v, "/x/libmxc.so", "/x/mxc.h")
        assert "/x/libmxc.so" in str(e.value)


def test_missing_library_is_a_clear_import_error(tmp_path):
    bad = str(tmp_path / "nowhere" / "libmxc.so")
    r = _run("import mxc", MXC_LIBRARY_PATH=bad)
    assert r.returncode != 0
    assert "ImportError" in r.stderr and bad in r.stderr and "MXC_LIBRARY_PATH" in r.stderr


def test_library_directory_accepted():
    r = _run("import mxc; print(mxc._ffi.LIB_PATH)", MXC_LIBRARY_PATH=os.path.dirname(_ffi.LIB_PATH))
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == _ffi.LIB_PATH


def test_not_an_mxc_library(tmp_path):
    import ctypes.util
    libm = ctypes.util.find_library("m")
    if libm is None:
        pytest.skip("no libm to load")
    # find_library gives a name; dlopen resolves it, but MXC_LIBRARY_PATH wants a file: use the loaded path.
    r0 = subprocess.run(["sh", "-c", "ldconfig -p | grep -m1 'libm.so.6 ' | sed 's/.*=> //'"],
                        capture_output=True, text=True)
    path = r0.stdout.strip()
    if not path or not os.path.exists(path):
        pytest.skip("cannot locate libm.so.6")
    r = _run("import mxc", MXC_LIBRARY_PATH=path)
    assert r.returncode != 0
    assert "ImportError" in r.stderr and "not an mxc library" in r.stderr and path in r.stderr


def test_version_mismatch_is_a_clear_import_error(tmp_path):
    text = open(_ffi.HEADER_PATH).read()
    major, minor = _ffi.HEADER_VERSION
    text = text.replace("#define MXC_VERSION_MAJOR %d" % major, "#define MXC_VERSION_MAJOR %d" % (major + 7))
    hdr = tmp_path / "mxc.h"
    hdr.write_text(text)
    r = _run("import mxc", MXC_HEADER_PATH=str(hdr))
    assert r.returncode != 0
    assert "ImportError" in r.stderr
    assert "%d.%d" % (major + 7, minor) in r.stderr and "%d.%d" % (major, minor) in r.stderr
    assert _ffi.LIB_PATH in r.stderr and "MXC_LIBRARY_PATH" in r.stderr


def test_features_and_device_count():
    f = mx.base.features()
    assert "CUDA" in f and isinstance(f["CUDA"], bool)
    n = mx.context.num_gpus()
    assert n >= 0
    if not f["CUDA"]:
        assert n == 0


def _build_api():
    import importlib.util
    path = os.path.join(PKG_ROOT, "build_api.py")
    spec = importlib.util.spec_from_file_location("mxc_build_api_test", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_api_mode_module_is_used():
    """The build compiles the cffi API-mode module beside the library; the package uses it (unless told not to)."""
    if os.environ.get("MXC_CFFI_MODE", "").lower() == "abi":
        assert _ffi.CFFI_MODE == "abi"
        return
    path = _ffi._find_api_module(_ffi.LIB_PATH)
    assert path is not None, ("no _mxc_api module for this Python beside %s: the CMake build makes it when it finds "
                              "the Python headers and cffi" % _ffi.LIB_PATH)
    assert _ffi.CFFI_MODE == "api", _ffi.API_MODULE_SKIPPED
    assert _ffi.API_MODULE_SKIPPED is None
    # Every call build_api.py means to make without releasing the GIL was rewritten (a cffi whose generated code
    # differs would leave them slower, and this says so).
    assert _ffi.lib.mxc_python_api_kept_gil() == len(_build_api().KEEP_GIL)


_MODE_PROBE = ("import numpy as np, mxc as mx; a = mx.nd.array(np.arange(6, dtype=np.float32).reshape(2, 3)); "
               "print(mx._ffi.CFFI_MODE, (a + a * 2 - 1).asnumpy().ravel().tolist(), mx._ffi.API_MODULE_SKIPPED)")


def test_library_and_its_blas_stay_out_of_the_global_symbol_scope():
    """libmxc (and the OpenBLAS it links) is loaded RTLD_LOCAL in both modes: loaded RTLD_GLOBAL it interposed the
    BLAS symbols of libraries loaded later (PyTorch's own sgemm_ ran on Debian's OpenBLAS, 8x slower)."""
    probe = ("import ctypes, mxc as mx; (mx.nd.ones((2, 2)) * 2).asnumpy(); g = ctypes.CDLL(None); "
             "print(mx._ffi.CFFI_MODE, [hasattr(g, s) for s in ('MXCGetVersion', 'cblas_sgemm', 'sgemm_')])")
    for mode in ("", "abi"):
        r = _run(probe, MXC_CFFI_MODE=mode)
        assert r.returncode == 0, r.stderr
        assert r.stdout.split(" ", 1)[1].strip() == "[False, False, False]", (mode, r.stdout)


def test_abi_mode_on_request():
    r = _run(_MODE_PROBE, MXC_CFFI_MODE="abi")
    assert r.returncode == 0, r.stderr
    mode, rest = r.stdout.split(" ", 1)
    assert mode == "abi"
    assert rest.strip() == "[-1.0, 2.0, 5.0, 8.0, 11.0, 14.0] None"


def test_api_module_built_from_another_header_is_not_used(tmp_path):
    text = open(_ffi.HEADER_PATH).read()
    marker = "/* MXC_CDEF_BEGIN */"
    hdr = tmp_path / "mxc.h"
    hdr.write_text(text.replace(marker, marker + "\n/* an edited header */", 1))
    r = _run(_MODE_PROBE, MXC_HEADER_PATH=str(hdr))
    assert r.returncode == 0, r.stderr
    mode, rest = r.stdout.split(" ", 1)
    assert mode == "abi"
    assert rest.startswith("[-1.0, 2.0, 5.0, 8.0, 11.0, 14.0] ")
    if _ffi._find_api_module(_ffi.LIB_PATH) is not None:
        assert "was built from another mxc.h" in rest


def test_keep_gil_rewrite():
    """build_api.keep_gil rewrites exactly the wrappers it names, keeping the GIL-releasing call as the fallback."""
    b = _build_api()
    wrapper = ("\n_cffi_f_%s(PyObject *self, PyObject *arg0)\n{\n  int result;\n"
               "  Py_BEGIN_ALLOW_THREADS\n  _cffi_restore_errno();\n  { result = %s(x0); }\n  _cffi_save_errno();\n"
               "  Py_END_ALLOW_THREADS\n  return 0;\n}\n")
    code = wrapper % ("MXCNDArrayFree", "MXCNDArrayFree") + wrapper % ("MXCNDArrayWaitToRead", "MXCNDArrayWaitToRead")
    new, kept = b.keep_gil(code)
    assert kept == 1
    free_part, wait_part = new.split("_cffi_f_MXCNDArrayWaitToRead")
    assert "if (1) { result = MXCNDArrayFree(x0); } else {" in free_part
    assert free_part.count("Py_BEGIN_ALLOW_THREADS") == 1
    assert "if (" not in wait_part and "Py_BEGIN_ALLOW_THREADS" in wait_part
