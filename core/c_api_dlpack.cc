// DLPack exchange through the C API (mxc.h): MXCNDArrayToDLPack exports an array as a DLManagedTensor that keeps
// its storage alive; MXCNDArrayFromDLPack wraps a DLManagedTensor's memory as an array whose storage calls the
// producer's deleter when it goes (NDArray::FromExternal).
#include <cstdio>
#include <string>

#include "c_api_common.h"
#include "device.h"
#include "mxc.h"

using namespace mxc;

namespace {

// What an exported tensor owns: the array (its storage stays alive while the consumer holds the tensor) and the
// shape and strides the tensor points at. The tensor is the first member: manager_ctx points at the whole.
struct Export {
  MXCDLManagedTensor tensor;
  NDArray arr;
  int64_t shape[kMaxDim];
  int64_t strides[kMaxDim];
};

void ExportDeleter(MXCDLManagedTensor *self) {
  if (self == nullptr) return;
  // Called by the consumer, possibly on any thread: nothing may escape.
  auto *e = static_cast<Export *>(self->manager_ctx);
  // A GPU consumer (PyTorch, CuPy) calls this when its tensor goes, possibly with its kernels on the memory still
  // queued on its own stream, which mxc's stream does not wait for: the memory may go back to mxc's cache (and to
  // new mxc work) only once they are done.
  try {
    if (e->arr.dev().type == MXC_GPU) DeviceSynchronize(e->arr.dev());
  } catch (...) {
  }
  try {
    delete e;
  } catch (...) {
  }
}

const char *DLDeviceName(int type) {
  switch (type) {
    case MXC_DL_CPU: return "kDLCPU";
    case MXC_DL_CUDA: return "kDLCUDA";
    case MXC_DL_CUDA_HOST: return "kDLCUDAHost";
    case MXC_DL_OPENCL: return "kDLOpenCL";
    case MXC_DL_VULKAN: return "kDLVulkan";
    case MXC_DL_METAL: return "kDLMetal";
    case MXC_DL_VPI: return "kDLVPI";
    case MXC_DL_ROCM: return "kDLROCM";
    case MXC_DL_ROCM_HOST: return "kDLROCMHost";
    case MXC_DL_EXT_DEV: return "kDLExtDev";
    case MXC_DL_CUDA_MANAGED: return "kDLCUDAManaged";
    case MXC_DL_ONEAPI: return "kDLOneAPI";
    case MXC_DL_WEBGPU: return "kDLWebGPU";
    case MXC_DL_HEXAGON: return "kDLHexagon";
    default: return nullptr;
  }
}

std::string DLDeviceStr(const MXCDLDevice &d) {
  const char *name = DLDeviceName(d.device_type);
  std::string s = name ? name : "unknown device type " + std::to_string(d.device_type);
  return s + " (device " + std::to_string(d.device_id) + ")";
}

std::string DLTypeStr(const MXCDLDataType &t) {
  std::string s;
  switch (t.code) {
    case MXC_DL_INT: s = "int"; break;
    case MXC_DL_UINT: s = "uint"; break;
    case MXC_DL_FLOAT: s = "float"; break;
    case MXC_DL_OPAQUE_HANDLE: s = "opaque handle "; break;
    case MXC_DL_BFLOAT: s = "bfloat"; break;
    case MXC_DL_COMPLEX: s = "complex"; break;
    case MXC_DL_BOOL: s = "bool"; break;
    default: s = "type code " + std::to_string(t.code) + " of "; break;
  }
  s += std::to_string(t.bits);
  if (t.code == MXC_DL_OPAQUE_HANDLE || t.code > MXC_DL_BOOL) s += " bits";
  if (t.lanes != 1) s += " x" + std::to_string(t.lanes) + " lanes";
  return s;
}

// The DLPack type of an mxc dtype.
MXCDLDataType ToDLType(int dtype) {
  MXCDLDataType t;
  t.lanes = 1;
  t.bits = static_cast<uint8_t>(DTypeSize(dtype) * 8);
  switch (dtype) {
    case kFloat32:
    case kFloat64:
    case kFloat16: t.code = MXC_DL_FLOAT; break;
    case kUint8: t.code = MXC_DL_UINT; break;
    case kInt8:
    case kInt32:
    case kInt64: t.code = MXC_DL_INT; break;
    case kBool: t.code = MXC_DL_BOOL; t.bits = 8; break;
    default: Throw(ErrorKind::kType, "to_dlpack: dtype ", DTypeName(dtype), " has no DLPack type");
  }
  return t;
}

// The mxc dtype of a DLPack type, or -1.
int FromDLType(const MXCDLDataType &t) {
  if (t.lanes != 1) return -1;
  switch (t.code) {
    case MXC_DL_FLOAT:
      if (t.bits == 16) return kFloat16;
      if (t.bits == 32) return kFloat32;
      if (t.bits == 64) return kFloat64;
      return -1;
    case MXC_DL_INT:
      if (t.bits == 8) return kInt8;
      if (t.bits == 32) return kInt32;
      if (t.bits == 64) return kInt64;
      return -1;
    case MXC_DL_UINT: return t.bits == 8 ? kUint8 : -1;
    case MXC_DL_BOOL: return t.bits == 8 ? kBool : -1;
    default: return -1;
  }
}

}  // namespace

int MXCNDArrayToDLPack(MXCNDArrayHandle handle, int for_write, MXCDLManagedTensor **out) {
  API_BEGIN();
  CheckPtr(out, "out");
  *out = nullptr;
  const NDArray &a = ArrayOf(handle);
  const MXCDLDataType type = ToDLType(a.dtype());
  // MXNet's to_dlpack_for_read / _for_write: the consumer sees every write queued before (and, to write, no read
  // queued before still runs). On a GPU this also waits for the stream work.
  if (for_write) a.WaitToWrite();
  else a.WaitToRead();
  Export *e = new Export();
  try {
    e->arr = a;
    const int nd = static_cast<int>(a.shape().size());
    int64_t stride = 1;
    for (int i = nd - 1; i >= 0; --i) {
      e->shape[i] = a.shape()[i];
      e->strides[i] = stride;
      stride *= a.shape()[i];
    }
    MXCDLTensor &t = e->tensor.dl_tensor;
    t.data = a.blob().dptr;
    t.device.device_type = a.dev().type == MXC_GPU ? MXC_DL_CUDA : MXC_DL_CPU;
    t.device.device_id = a.dev().type == MXC_GPU ? a.dev().id : 0;
    t.ndim = nd;
    t.dtype = type;
    t.shape = e->shape;
    t.strides = e->strides;
    t.byte_offset = 0;
    e->tensor.manager_ctx = e;
    e->tensor.deleter = ExportDeleter;
  } catch (...) {
    delete e;
    throw;
  }
  *out = &e->tensor;
  API_END();
}

int MXCNDArrayFromDLPack(MXCDLManagedTensor *tensor, MXCNDArrayHandle *out) {
  API_BEGIN();
  CheckPtr(out, "out");
  MXC_CHECK(tensor != nullptr, ErrorKind::kValue, "from_dlpack: the DLManagedTensor is NULL");
  const MXCDLTensor &t = tensor->dl_tensor;
  // Device.
  Device dev;
  const int dt = t.device.device_type;
  if (dt == MXC_DL_CPU || dt == MXC_DL_CUDA_HOST) {
    dev = Device::CPU();
  } else if (dt == MXC_DL_CUDA) {
#ifdef MXC_USE_CUDA
    int count = 0;
    MXC_CHECK(MXCGetDeviceCount(MXC_GPU, &count) == 0 && t.device.device_id >= 0 && t.device.device_id < count,
              ErrorKind::kDevice, "from_dlpack: the tensor is on ", DLDeviceStr(t.device), " but this process has ",
              count, " usable GPU(s)");
    dev = Device{MXC_GPU, t.device.device_id};
    // The producer's work on the memory may still run on its own stream, which mxc's stream does not wait for.
    DeviceSynchronize(dev);
#else
    Throw(ErrorKind::kDevice, "from_dlpack: the tensor is on ", DLDeviceStr(t.device),
          " and this build of mxc has no CUDA support");
#endif
  } else {
    Throw(ErrorKind::kDevice, "from_dlpack: device ", DLDeviceStr(t.device),
          " is not supported (mxc takes kDLCPU, kDLCUDAHost and, in a CUDA build, kDLCUDA)");
  }
  // Type.
  const int dtype = FromDLType(t.dtype);
  MXC_CHECK(dtype >= 0, ErrorKind::kType, "from_dlpack: dtype ", DLTypeStr(t.dtype),
            " is not supported (mxc takes float16, float32, float64, uint8, int8, int32, int64 and bool)");
  // Shape and strides.
  MXC_CHECK(t.ndim >= 0 && t.ndim <= kMaxDim, ErrorKind::kShape, "from_dlpack: the tensor has ", t.ndim,
            " dimensions; mxc takes 0 to ", kMaxDim);
  MXC_CHECK(t.ndim == 0 || t.shape != nullptr, ErrorKind::kValue, "from_dlpack: the tensor's shape is NULL");
  TShape shape;
  bool empty = false;
  for (int i = 0; i < t.ndim; ++i) {
    MXC_CHECK(t.shape[i] >= 0, ErrorKind::kShape, "from_dlpack: negative dimension in shape ",
              ShapeStr(TShape(t.shape, t.shape + t.ndim)));
    shape.push_back(t.shape[i]);
    if (t.shape[i] == 0) empty = true;
  }
  if (t.ndim == 0) shape.push_back(1);  // a scalar: as mx.nd.array of a 0-d NumPy array
  if (t.strides != nullptr && !empty) {
    int64_t expect = 1;
    for (int i = t.ndim - 1; i >= 0; --i) {
      if (t.shape[i] != 1)
        MXC_CHECK(t.strides[i] == expect, ErrorKind::kValue, "from_dlpack: only compact (C-contiguous) tensors "
                  "can be shared; got shape ", ShapeStr(TShape(t.shape, t.shape + t.ndim)), " with strides ",
                  ShapeStr(TShape(t.strides, t.strides + t.ndim)), " (in elements); make the tensor contiguous "
                  "first (e.g. numpy.ascontiguousarray, torch.Tensor.contiguous)");
      expect *= t.shape[i];
    }
  }
  NDArray arr;
  if (t.data == nullptr) {
    // Producers may hand out NULL for an empty tensor: an empty array of our own; the tensor is done with.
    MXC_CHECK(empty, ErrorKind::kValue, "from_dlpack: the tensor's data is NULL (shape ",
              ShapeStr(TShape(t.shape, t.shape + t.ndim)), ")");
    arr = NDArray(shape, dtype, dev);
    *out = NewHandle(arr);
    if (tensor->deleter) tensor->deleter(tensor);
    return 0;
  }
  void *ptr = static_cast<char *>(t.data) + t.byte_offset;
  arr = NDArray::FromExternal(ptr, shape, dtype, dev, [tensor, dev]() {
    // The engine has run the work on the memory; on a GPU its kernels may still be queued on the stream: the
    // producer may reuse the memory as soon as it gets it back.
    if (dev.type == MXC_GPU) {
      try {
        DeviceWait(dev);
      } catch (...) {
      }
    }
    if (tensor->deleter) tensor->deleter(tensor);
  });
  *out = NewHandle(arr);
  API_END();
}
