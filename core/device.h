// Device memory, copies and waits. The CPU build implements these in device.cc; the CUDA build in
// cuda/gpu_device.cc (which also serves the CPU through the same functions). DeviceAlloc/DeviceFree are declared in
// ndarray.h.
#pragma once

#include <cstddef>
#include <memory>

#include "base.h"

namespace mxc {

// Copies `bytes` from src (on src_dev) to dst (on dst_dev). When either side is the host, the copy has finished
// (and its data is visible) when this returns; device-to-device copies are queued on the destination's stream.
void DeviceCopy(const Device &dst_dev, void *dst, const Device &src_dev, const void *src, size_t bytes);
// Waits until the work queued on the device (its stream) has finished; throws DeviceError for a failed kernel.
// No-op for the CPU.
void DeviceWait(const Device &dev);
// Sets `bytes` bytes at ptr (on dev) to zero; on a GPU, queued on the device's stream.
void DeviceZero(const Device &dev, void *ptr, size_t bytes);
// DeviceWait on every device in use.
void DeviceWaitAll();
// The point the device's queue has reached (a CUDA event recorded on its stream), released when the last holder
// drops it; nullptr for the CPU.
std::shared_ptr<void> DeviceRecord(const Device &dev);
// Waits until the device has passed `point` (not the work queued after it); throws DeviceError for a failed kernel.
void DeviceWaitFor(const Device &dev, const std::shared_ptr<void> &point);
// Waits until every stream of the device has finished its work, other libraries' streams included (memory that a
// DLPack producer hands over); throws DeviceError for a failed kernel. No-op for the CPU.
void DeviceSynchronize(const Device &dev);

}  // namespace mxc

namespace mxc {
// The caching allocator of GPU dev_id (bytes); throws DeviceError when the GPU is not available.
void GPUMemoryStats(int dev_id, int64_t *in_use, int64_t *cached, int64_t *peak);
void GPUReleaseCache(int dev_id);
}  // namespace mxc
