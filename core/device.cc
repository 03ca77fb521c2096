// CPU-only implementations of device.h (the CUDA build provides them in cuda/gpu_device.cc), and the C API of the
// GPU memory pool.
#include "device.h"

#include <cstring>

#include "c_api_common.h"

namespace mxc {

#ifndef MXC_USE_CUDA
void DeviceCopy(const Device &, void *dst, const Device &, const void *src, size_t bytes) {
  if (bytes) std::memcpy(dst, src, bytes);
}
void DeviceZero(const Device &, void *ptr, size_t bytes) {
  if (bytes) std::memset(ptr, 0, bytes);
}
void DeviceWait(const Device &) {}
void DeviceWaitAll() {}
std::shared_ptr<void> DeviceRecord(const Device &) { return nullptr; }
void DeviceWaitFor(const Device &, const std::shared_ptr<void> &) {}
void DeviceSynchronize(const Device &) {}
void GPUMemoryStats(int dev_id, int64_t *, int64_t *, int64_t *) {
  Throw(ErrorKind::kDevice, "gpu(", dev_id, ") is not available: this build of mxc has no CUDA support");
}
void GPUReleaseCache(int dev_id) {
  Throw(ErrorKind::kDevice, "gpu(", dev_id, ") is not available: this build of mxc has no CUDA support");
}
#endif

}  // namespace mxc

int MXCGPUMemoryStats(int dev_id, int64_t *in_use, int64_t *cached, int64_t *peak) {
  API_BEGIN();
  int64_t a = 0, b = 0, c = 0;
  mxc::GPUMemoryStats(dev_id, &a, &b, &c);
  if (in_use) *in_use = a;
  if (cached) *cached = b;
  if (peak) *peak = c;
  API_END();
}

int MXCGPUReleaseCache(int dev_id) {
  API_BEGIN();
  mxc::GPUReleaseCache(dev_id);
  API_END();
}
