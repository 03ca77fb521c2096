"""Loading of the C library: the cffi declarations are read from include/mxc.h itself.

Everything the package knows about the C interface comes from the header: the text between the
``/* MXC_CDEF_BEGIN */`` and ``/* MXC_CDEF_END */`` markers, with preprocessor lines and the ``MXC_API`` export
token removed (``mxc._cdef``), is handed to cffi. Nothing is copied by hand, so enum codes, structs and prototypes
cannot drift from the library.

Two ways of calling it, the same ``ffi``/``lib`` interface:

* API mode (the fast one): ``_mxc_api``, a C extension that ``build_api.py`` generates from the same declarations
  with cffi and the build compiles beside the library (``build/`` of a CMake build, ``mxc/_lib/`` of an installed
  package). Used when it is there for this interpreter, was built from the header found here, and
  ``$MXC_CFFI_MODE`` is not ``abi``.
* ABI mode otherwise: ``ffi.cdef`` + ``ffi.dlopen`` (every call through libffi: ~4x the cost of an API-mode call).

Where things are looked up:

* the library: ``$MXC_LIBRARY_PATH`` (a file, or a directory holding ``libmxc.so``/``libmxc.dylib``/``mxc.dll``)
  when set; otherwise the copy installed inside the package (``mxc/_lib/``); otherwise, for a source checkout,
  ``<repo>/build/libmxc.so``.
* the header: ``$MXC_HEADER_PATH`` when set; otherwise ``mxc/_lib/mxc.h`` (installed); otherwise
  ``<repo>/include/mxc.h`` (source checkout: ``../../include/mxc.h`` relative to ``bindings/python``).

Public names (used by the other modules of the package, including the symbolic and training ones):

* ``ffi``: the ``cffi.FFI`` instance holding the declarations;
* ``lib``: the loaded library (``lib.MXCOpInvoke(...)``, enum constants such as ``lib.MXC_FLOAT32``);
* ``LIB_PATH``, ``HEADER_PATH``: the files actually used;
* ``HEADER_VERSION``, ``LIB_VERSION``: ``(major, minor)`` of the header and of the loaded library;
* ``CFFI_MODE``: ``"api"`` or ``"abi"``; ``API_MODULE_SKIPPED``: why a compiled module found was not used, or None.
"""
import ctypes
import importlib.machinery
import importlib.util
import os
import sys

import cffi

from ._cdef import cdef_from_header, cdef_digest, header_version, DIGEST_FUNCTION  # noqa: F401

_PKG_DIR = os.path.dirname(os.path.abspath(__file__))
# bindings/python/mxc -> repository root (only meaningful in a source checkout).
_REPO_ROOT = os.path.normpath(os.path.join(_PKG_DIR, "..", "..", ".."))

if sys.platform == "darwin":
    _LIB_NAMES = ("libmxc.dylib",)
elif sys.platform.startswith("win"):
    _LIB_NAMES = ("mxc.dll", "libmxc.dll")
else:
    _LIB_NAMES = ("libmxc.so",)

def _find_header():
    env = os.environ.get("MXC_HEADER_PATH")
    if env:
        if not os.path.isfile(env):
            raise ImportError("mxc: MXC_HEADER_PATH=%r is not a file" % env)
        return env
    candidates = [os.path.join(_PKG_DIR, "_lib", "mxc.h"), os.path.join(_REPO_ROOT, "include", "mxc.h")]
    for c in candidates:
        if os.path.isfile(c):
            return c
    raise ImportError("mxc: cannot find the C header mxc.h (looked at %s); set MXC_HEADER_PATH to its location"
                      % ", ".join(candidates))


def _find_library():
    """Returns (path, list of paths tried)."""
    env = os.environ.get("MXC_LIBRARY_PATH")
    if env:
        if os.path.isdir(env):
            tried = [os.path.join(env, n) for n in _LIB_NAMES]
        else:
            tried = [env]
        for t in tried:
            if os.path.isfile(t):
                return t, tried
        return None, tried
    tried = [os.path.join(_PKG_DIR, "_lib", n) for n in _LIB_NAMES]
    tried += [os.path.join(_REPO_ROOT, "build", n) for n in _LIB_NAMES]
    for t in tried:
        if os.path.isfile(t):
            return t, tried
    return None, tried


def check_version(lib_version, hdr_version, lib_path, hdr_path):
    """Raises ImportError unless the library can be used with the header.

    The major versions must be equal; while the major version is 0 (no stability promise yet) the minor versions
    must be equal too. Afterwards a library at least as new as the header is accepted (minor versions only add).
    """
    lmaj, lmin = lib_version
    hmaj, hmin = hdr_version
    ok = lmaj == hmaj and (lmin == hmin if hmaj == 0 else lmin >= hmin)
    if not ok:
        raise ImportError(
            "mxc: the C library %s has version %d.%d but the Python package expects %d.%d (header %s); rebuild "
            "the library, reinstall the package, or point MXC_LIBRARY_PATH at a matching build"
            % (lib_path, lmaj, lmin, hmaj, hmin, hdr_path))


HEADER_PATH = _find_header()
with open(HEADER_PATH, encoding="utf-8") as _f:
    _HEADER_TEXT = _f.read()
HEADER_VERSION = header_version(_HEADER_TEXT)
_CDEF = cdef_from_header(_HEADER_TEXT)

LIB_PATH, _tried = _find_library()
if LIB_PATH is None:
    raise ImportError(
        "mxc: cannot find the C library (tried: %s). Build it (cmake -S . -B build && cmake --build build) and set "
        "MXC_LIBRARY_PATH to the file (e.g. build/libmxc.so) or its directory, or install the package with "
        "`pip install ./bindings/python`." % ", ".join(_tried))


def _find_api_module(lib_path):
    """The compiled API-mode module beside the library (``_mxc_api`` with this interpreter's extension suffix)."""
    if os.environ.get("MXC_CFFI_MODE", "").lower() == "abi":
        return None
    d = os.path.dirname(os.path.abspath(lib_path))
    for suffix in importlib.machinery.EXTENSION_SUFFIXES:
        p = os.path.join(d, "_mxc_api" + suffix)
        if os.path.isfile(p):
            return p
    return None


_LIB_HANDLE = None  # the libmxc the API-mode module binds to (kept loaded)


def _load_api_module(path, lib_path, cdef):
    """Imports the API-mode module; None (with the reason) when it cannot serve this library and header.

    The module needs libmxc by its soname: the library loaded just before (the one found above, MXC_LIBRARY_PATH
    included) has that soname, so the loader binds the module to it. The library is loaded RTLD_LOCAL: loaded
    RTLD_GLOBAL, it and its OpenBLAS would interpose the BLAS symbols of every library loaded after it (PyTorch's
    own sgemm_ ran on Debian's OpenBLAS, 8x slower).
    """
    global _LIB_HANDLE
    try:
        _LIB_HANDLE = ctypes.CDLL(lib_path, mode=os.RTLD_NOW | os.RTLD_LOCAL)
    except OSError as e:
        raise ImportError("mxc: cannot load the C library %s (%s); check the file or point MXC_LIBRARY_PATH at a "
                          "working build" % (lib_path, e)) from None
    spec = importlib.util.spec_from_file_location("mxc._mxc_api", path)
    mod = importlib.util.module_from_spec(spec)
    try:
        spec.loader.exec_module(mod)
    except ImportError as e:  # e.g. a function the library does not have
        return None, "%s cannot be imported (%s)" % (path, e)
    built_from = mod.ffi.string(getattr(mod.lib, DIGEST_FUNCTION)()).decode()
    if built_from != cdef_digest(cdef):
        return None, "%s was built from another mxc.h than %s" % (path, HEADER_PATH)
    return mod, None


# How the library is called: "api" (a compiled cffi module: a call costs a few hundred instructions) when
# ``_mxc_api`` was built beside the library (the package's build and the CMake build of the repository make it)
# and matches the header, else "abi" (``ffi.dlopen``; every call goes through libffi). MXC_CFFI_MODE=abi forces
# the latter. API_MODULE_SKIPPED says why a module that was found is not used.
CFFI_MODE = "abi"
API_MODULE_SKIPPED = None
_api_path = _find_api_module(LIB_PATH)
_api = None
if _api_path is not None:
    _api, API_MODULE_SKIPPED = _load_api_module(_api_path, LIB_PATH, _CDEF)

if _api is not None:
    ffi = _api.ffi
    lib = _api.lib
    CFFI_MODE = "api"
else:
    ffi = cffi.FFI()
    ffi.cdef(_CDEF)
    try:
        lib = ffi.dlopen(LIB_PATH)
    except OSError as _e:
        raise ImportError("mxc: cannot load the C library %s (%s); check the file or point MXC_LIBRARY_PATH at a "
                          "working build" % (LIB_PATH, _e)) from None

try:
    _maj = ffi.new("int *")
    _min = ffi.new("int *")
    if lib.MXCGetVersion(_maj, _min) != 0:
        raise ImportError("mxc: MXCGetVersion failed in %s" % LIB_PATH)
except AttributeError as _e:  # symbol missing: not an mxc library
    raise ImportError("mxc: %s is not an mxc library (%s); point MXC_LIBRARY_PATH at libmxc" % (LIB_PATH, _e)) \
        from None
LIB_VERSION = (_maj[0], _min[0])
check_version(LIB_VERSION, HEADER_VERSION, LIB_PATH, HEADER_PATH)
del _maj, _min, _f, _tried, _api, _api_path
