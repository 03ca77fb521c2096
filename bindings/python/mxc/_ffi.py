"""Loading of the C library: the cffi declarations are read from include/mxc.h itself.

Everything the package knows about the C interface comes from the header: the text between the
``/* MXC_CDEF_BEGIN */`` and ``/* MXC_CDEF_END */`` markers, with preprocessor lines and the ``MXC_API`` export
token removed, is handed to ``ffi.cdef`` (cffi ABI mode, ``ffi.dlopen``). Nothing is copied by hand, so enum codes,
structs and prototypes cannot drift from the library.

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
* ``HEADER_VERSION``, ``LIB_VERSION``: ``(major, minor)`` of the header and of the loaded library.
"""
import os
import re
import sys

import cffi

_PKG_DIR = os.path.dirname(os.path.abspath(__file__))
# bindings/python/mxc -> repository root (only meaningful in a source checkout).
_REPO_ROOT = os.path.normpath(os.path.join(_PKG_DIR, "..", "..", ".."))

if sys.platform == "darwin":
    _LIB_NAMES = ("libmxc.dylib",)
elif sys.platform.startswith("win"):
    _LIB_NAMES = ("mxc.dll", "libmxc.dll")
else:
    _LIB_NAMES = ("libmxc.so",)

_CDEF_BEGIN = "/* MXC_CDEF_BEGIN */"
_CDEF_END = "/* MXC_CDEF_END */"


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


def cdef_from_header(text):
    """The declarations cffi reads: the text between the CDEF markers, without preprocessor lines and MXC_API."""
    begin = text.find(_CDEF_BEGIN)
    end = text.find(_CDEF_END)
    if begin < 0 or end < 0 or end < begin:
        raise ImportError("mxc: the header has no %s ... %s section" % (_CDEF_BEGIN, _CDEF_END))
    body = text[begin + len(_CDEF_BEGIN):end]
    lines = [ln for ln in body.splitlines() if not ln.lstrip().startswith("#")]
    return re.sub(r"\bMXC_API\b", "", "\n".join(lines))


def header_version(text):
    """(major, minor) from the MXC_VERSION_MAJOR / MXC_VERSION_MINOR defines of the header."""
    major = re.search(r"#define\s+MXC_VERSION_MAJOR\s+(\d+)", text)
    minor = re.search(r"#define\s+MXC_VERSION_MINOR\s+(\d+)", text)
    if not major or not minor:
        raise ImportError("mxc: the header does not define MXC_VERSION_MAJOR and MXC_VERSION_MINOR")
    return int(major.group(1)), int(minor.group(1))


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

ffi = cffi.FFI()
ffi.cdef(cdef_from_header(_HEADER_TEXT))

LIB_PATH, _tried = _find_library()
if LIB_PATH is None:
    raise ImportError(
        "mxc: cannot find the C library (tried: %s). Build it (cmake -S . -B build && cmake --build build) and set "
        "MXC_LIBRARY_PATH to the file (e.g. build/libmxc.so) or its directory, or install the package with "
        "`pip install ./bindings/python`." % ", ".join(_tried))
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
del _maj, _min, _f, _tried
