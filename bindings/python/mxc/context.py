"""Devices: ``mx.cpu(i)``, ``mx.gpu(i)``, ``mx.Context`` and the default-context stack (as MXNet 1.x)."""
import threading

from .base import ffi, lib, check_call, last_error

__all__ = ["Context", "cpu", "gpu", "cpu_pinned", "current_context", "num_gpus", "gpu_memory_info"]


class Context(object):
    """A device: ``Context('cpu', 0)``, ``Context('gpu', 1)`` or ``Context(other_context)``.

    Usable as a ``with`` statement to change the default context of array creation::

        with mx.Context(mx.gpu(0)):
            x = mx.nd.zeros((2, 3))   # on gpu(0)
    """

    devtype2str = {1: "cpu", 2: "gpu", 3: "cpu_pinned"}
    devstr2type = {"cpu": 1, "gpu": 2, "cpu_pinned": 3}
    _default_ctx = threading.local()

    __slots__ = ("device_typeid", "device_id", "_old_ctx")

    def __init__(self, device_type, device_id=0):
        if isinstance(device_type, Context):
            self.device_typeid = device_type.device_typeid
            self.device_id = device_type.device_id
        else:
            if device_type not in Context.devstr2type:
                raise ValueError("unknown device type %r (expected 'cpu' or 'gpu')" % (device_type,))
            self.device_typeid = Context.devstr2type[device_type]
            self.device_id = int(device_id)
        self._old_ctx = None

    @property
    def device_type(self):
        """'cpu' or 'gpu'."""
        return Context.devtype2str[self.device_typeid]

    @property
    def c_devtype(self):
        """The MXCDeviceType code passed to the C API (cpu_pinned is plain cpu memory here)."""
        return lib.MXC_GPU if self.device_typeid == 2 else lib.MXC_CPU

    def __hash__(self):
        return hash((self.device_typeid, self.device_id))

    def __eq__(self, other):
        return isinstance(other, Context) and self.device_typeid == other.device_typeid and \
            self.device_id == other.device_id

    def __ne__(self, other):
        return not self.__eq__(other)

    def __str__(self):
        return "%s(%d)" % (self.device_type, self.device_id)

    __repr__ = __str__

    def __enter__(self):
        if not hasattr(Context._default_ctx, "value"):
            Context._default_ctx.value = Context("cpu", 0)
        self._old_ctx = Context._default_ctx.value
        Context._default_ctx.value = self
        return self

    def __exit__(self, ptype, value, trace):
        Context._default_ctx.value = self._old_ctx

    def empty_cache(self):
        """Releases cached device memory (nothing to release in this version)."""
        return None

    def __reduce__(self):
        return (Context, (self.device_type, self.device_id))


def cpu(device_id=0):
    """The CPU context (``device_id`` is ignored by the library but kept for MXNet compatibility)."""
    return Context("cpu", device_id)


def cpu_pinned(device_id=0):
    """Page-locked CPU memory in MXNet; plain CPU memory here."""
    return Context("cpu_pinned", device_id)


def gpu(device_id=0):
    """The GPU context ``gpu(device_id)``. Creating arrays on it fails with a DeviceError when the build has no CUDA
    or the machine no such GPU."""
    return Context("gpu", device_id)


def num_gpus():
    """Number of GPUs usable by this build on this machine (0 without CUDA)."""
    n = ffi.new("int *")
    check_call(lib.MXCGetDeviceCount(lib.MXC_GPU, n))
    return n[0]


def gpu_memory_info(device_id=0):
    """(free, total) bytes of GPU ``device_id``'s memory as mxc's caching allocator sees it: ``total`` is what the
    allocator holds (arrays' memory in use plus memory cached for reuse), ``free`` the cached part (mxc's C API has
    no query of the driver's device-wide numbers, which MXNet returns). Raises a DeviceError without CUDA or
    without that GPU (MXNet: an MXNetError)."""
    from .base import DeviceError
    in_use, cached = ffi.new("int64_t *"), ffi.new("int64_t *")
    if lib.MXCGPUMemoryStats(int(device_id), in_use, cached, ffi.NULL):
        raise DeviceError("gpu_memory_info(device_id=%d): %s" % (device_id, last_error()))
    return (int(cached[0]), int(in_use[0] + cached[0]))


def current_context():
    """The default context of array creation (cpu(0) unless changed with a ``with Context(...)`` block)."""
    if not hasattr(Context._default_ctx, "value"):
        Context._default_ctx.value = Context("cpu", 0)
    return Context._default_ctx.value
