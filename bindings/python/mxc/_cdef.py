"""What the package reads from include/mxc.h, without loading anything (also used by build_api.py at build time).

* ``cdef_from_header(text)``: the declarations handed to cffi: the text between the ``/* MXC_CDEF_BEGIN */`` and
  ``/* MXC_CDEF_END */`` markers, with preprocessor lines and the ``MXC_API`` export token removed.
* ``cdef_digest(cdef)``: a digest of those declarations; the compiled API-mode module records the digest of the
  header it was built from, and is used only when it equals the digest of the header found at import.
* ``header_version(text)``: ``(major, minor)`` of the header.
"""
import hashlib
import re

_CDEF_BEGIN = "/* MXC_CDEF_BEGIN */"
_CDEF_END = "/* MXC_CDEF_END */"

# The declarations the compiled module adds to the header's (see build_api.py): the digest of the header's
# declarations it was built from, and how many wrappers call without releasing the GIL.
DIGEST_FUNCTION = "mxc_python_api_cdef_digest"
KEPT_GIL_FUNCTION = "mxc_python_api_kept_gil"
# The address of the C destructor of the package's DLPack capsules (see build_api.py and ndarray/dlpack.py).
DLPACK_DESTRUCTOR_FUNCTION = "mxc_python_dlpack_capsule_destructor"


def cdef_from_header(text):
    """The declarations cffi reads: the text between the CDEF markers, without preprocessor lines and MXC_API."""
    begin = text.find(_CDEF_BEGIN)
    end = text.find(_CDEF_END)
    if begin < 0 or end < 0 or end < begin:
        raise ImportError("mxc: the header has no %s ... %s section" % (_CDEF_BEGIN, _CDEF_END))
    body = text[begin + len(_CDEF_BEGIN):end]
    lines = [ln for ln in body.splitlines() if not ln.lstrip().startswith("#")]
    return re.sub(r"\bMXC_API\b", "", "\n".join(lines))


def cdef_digest(cdef):
    return hashlib.sha256(cdef.encode("utf-8")).hexdigest()


def header_version(text):
    """(major, minor) from the MXC_VERSION_MAJOR / MXC_VERSION_MINOR defines of the header."""
    major = re.search(r"#define\s+MXC_VERSION_MAJOR\s+(\d+)", text)
    minor = re.search(r"#define\s+MXC_VERSION_MINOR\s+(\d+)", text)
    if not major or not minor:
        raise ImportError("mxc: the header does not define MXC_VERSION_MAJOR and MXC_VERSION_MINOR")
    return int(major.group(1)), int(minor.group(1))
