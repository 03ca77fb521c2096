"""Generates the C source of ``_mxc_api``, the cffi API-mode module of the package (see mxc/_ffi.py).

    python bindings/python/build_api.py include/mxc.h OUT.c

The declarations are the header's own (mxc._cdef.cdef_from_header), plus a function returning their digest, by
which the package checks at import that the module was built from the header it finds. The CMake build compiles
OUT.c as a Python extension module linked to libmxc by its soname (at import it binds to the library the package
loaded; see mxc/_ffi.py).
"""
import importlib.util
import os
import re
import sys

import cffi


_PREAMBLE = r"""
#include "mxc.h"
static const char *%s(void) { return "%s"; }
static int %s(void) { return -1; }
static int mxc_python_api_naive_engine(void) {
  const char *name = 0;
  return MXCEngineGetType(&name) != 0 || name == 0 || name[0] == 'N';
}
/* The destructor of the DLPack capsules the package makes (mxc/ndarray/dlpack.py): a capsule still named
 * "dltensor" was never consumed, so its tensor is released here. It may run while an exception is set (a consumer
 * failing after it took the capsule): that exception is kept aside meanwhile, which a Python callback cannot do. */
static void mxc_python_dlpack_capsule_destructor_impl(PyObject *capsule) {
  PyObject *type, *value, *tb;
  PyErr_Fetch(&type, &value, &tb);
  if (PyCapsule_IsValid(capsule, "dltensor")) {
    MXCDLManagedTensor *t = (MXCDLManagedTensor *)PyCapsule_GetPointer(capsule, "dltensor");
    if (t != NULL && t->deleter != NULL) t->deleter(t);
  }
  PyErr_Clear();
  PyErr_Restore(type, value, tb);
}
static void *%s(void) { return (void *)&mxc_python_dlpack_capsule_destructor_impl; }
"""


def _cdef_module():
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "mxc", "_cdef.py")
    spec = importlib.util.spec_from_file_location("mxc_cdef_build", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def main(argv):
    if len(argv) != 3:
        sys.exit("usage: build_api.py HEADER OUT.c")
    header, out = argv[1], argv[2]
    c = _cdef_module()
    with open(header, encoding="utf-8") as f:
        cdef = c.cdef_from_header(f.read())
    ffi = cffi.FFI()
    ffi.cdef(cdef)
    ffi.cdef("const char *%s(void);" % c.DIGEST_FUNCTION)
    ffi.set_source("_mxc_api", _PREAMBLE % (c.DIGEST_FUNCTION, c.cdef_digest(cdef), c.KEPT_GIL_FUNCTION,
                                            c.DLPACK_DESTRUCTOR_FUNCTION))
    ffi.cdef("int %s(void);" % c.KEPT_GIL_FUNCTION)
    ffi.cdef("void *%s(void);" % c.DLPACK_DESTRUCTOR_FUNCTION)
    tmp = out + ".tmp"
    ffi.emit_c_code(tmp)
    with open(tmp, encoding="utf-8") as f:
        code = f.read()
    code, kept = keep_gil(code)
    code = code.replace("static int %s(void) { return -1; }" % c.KEPT_GIL_FUNCTION,
                        "static int %s(void) { return %d; }" % (c.KEPT_GIL_FUNCTION, kept))
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(code)
    os.replace(tmp, out)


# cffi releases the GIL around every call (and saves errno). For these calls that costs more than the call (~800 of
# the ~11,000 instructions of `c = a + b` on 10 elements), and they never block: freeing a handle (work still
# pending on the array is queued, not waited for), and invoking an operator under the threaded engine (small work
# runs at once, the rest is queued). Under the NaiveEngine an invoke runs the operator to its end, so the GIL is
# released then, as before. Every other call (waits, copies to NumPy, executors, save/load ...) releases it.
KEEP_GIL = {
    "MXCNDArrayFree": "1",
    "MXCOpInvoke": "!mxc_python_api_naive_engine()",
    "MXCPreparedOpInvoke": "!mxc_python_api_naive_engine()",
    "MXCPreparedOpInvokeUnary": "!mxc_python_api_naive_engine()",
    "MXCPreparedOpInvokeBinary": "!mxc_python_api_naive_engine()",
}

_CALL = re.compile(r"  Py_BEGIN_ALLOW_THREADS\n  _cffi_restore_errno\(\);\n  (\{ [^\n]* \})\n  _cffi_save_errno\(\);\n"
                   r"  Py_END_ALLOW_THREADS\n")


def keep_gil(code):
    """Rewrites the cffi wrappers of KEEP_GIL to call without releasing the GIL when their condition holds.

    Returns (code, how many wrappers were rewritten). A cffi whose generated code differs leaves the wrappers as
    they are (correct, only slower); the package's tests compare the count with len(KEEP_GIL).
    """
    kept = 0
    for name, cond in KEEP_GIL.items():
        start = code.find("\n_cffi_f_%s(" % name)
        if start < 0:
            continue
        end = code.find("\n}\n", start)
        body = code[start:end]
        new, n = _CALL.subn(lambda m: "  if (%s) %s else {\n  Py_BEGIN_ALLOW_THREADS\n  _cffi_restore_errno();\n"
                            "  %s\n  _cffi_save_errno();\n  Py_END_ALLOW_THREADS\n  }\n"
                            % (cond, m.group(1), m.group(1)), body)
        if n == 1:
            code = code[:start] + new + code[end:]
            kept += 1
    return code, kept


if __name__ == "__main__":
    main(sys.argv)
