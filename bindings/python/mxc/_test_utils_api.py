"""More of MXNet 1.9.1's ``mx.test_utils`` (re-exported by ``mxc.test_utils``): ``checkShapes``, ``setenv`` /
``getenv`` on the C runtime's environment, and ``get_cuda_compute_capability`` through the CUDA driver."""
import ctypes

from .context import Context

__all__ = ["checkShapes", "setenv", "getenv", "get_cuda_compute_capability"]


def checkShapes(a, b):  # noqa: N802  (MXNet's name)
    """Raises an AssertionError when ``a.shape`` and ``b.shape`` differ (arrays: NDArrays or NumPy arrays)."""
    if tuple(a.shape) != tuple(b.shape):
        raise AssertionError("\nItems are not equal: a.shape = %s and b.shape = %s are not equal\n ACTUAL: %r\n "
                             "DESIRED: %r" % (a.shape, b.shape, a, b))


def _libc():
    return ctypes.CDLL(None)


def setenv(name, value):
    """Sets the environment variable ``name`` of the C runtime (what the library reads) to ``value`` (a str), or
    unsets it when ``value`` is None. Like MXNet, ``os.environ`` is not updated."""
    libc = _libc()
    if value is None:
        libc.unsetenv(name.encode())
    else:
        libc.setenv(name.encode(), value.encode(), 1)


def getenv(name):
    """The C runtime's value of the environment variable ``name`` (a str), or None when it is not set."""
    libc = _libc()
    libc.getenv.restype = ctypes.c_char_p
    v = libc.getenv(name.encode())
    return None if v is None else v.decode()


def get_cuda_compute_capability(ctx):
    """The CUDA compute capability of GPU ``ctx`` as an int (70 for sm_70), asked of the CUDA driver (libcuda);
    a ValueError for a context that is not a GPU, an OSError where no CUDA driver can be loaded."""
    if not isinstance(ctx, Context) or ctx.device_type != "gpu":
        raise ValueError("Expecting a gpu context to get cuda compute capability, while received ctx %s" % ctx)
    names = ("libcuda.so", "libcuda.so.1", "libcuda.dylib", "cuda.dll")
    cuda = None
    for n in names:
        try:
            cuda = ctypes.CDLL(n)
            break
        except OSError:
            continue
    if cuda is None:
        raise OSError("could not load any of: " + " ".join(names))
    major, minor, dev = ctypes.c_int(), ctypes.c_int(), ctypes.c_int()
    for what, ret in (("cuInit", lambda: cuda.cuInit(0)),
                      ("cuDeviceGet", lambda: cuda.cuDeviceGet(ctypes.byref(dev), ctx.device_id)),
                      ("cuDeviceComputeCapability",
                       lambda: cuda.cuDeviceComputeCapability(ctypes.byref(major), ctypes.byref(minor), dev))):
        code = ret()
        if code != 0:
            raise RuntimeError("get_cuda_compute_capability(%s): %s failed with CUDA error %d" % (ctx, what, code))
    return major.value * 10 + minor.value
