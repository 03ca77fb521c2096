// NDArray: a view (shape, dtype, element offset) of reference-counted storage on a device.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "base.h"
#include "engine.h"

namespace mxc {

// Raw tensor view handed to kernels: pointer, shape, dtype, device. No ownership.
struct TBlob {
  void *dptr = nullptr;
  TShape shape;
  int dtype = kFloat32;
  Device dev;
  template <typename T>
  T *ptr() const { return static_cast<T *>(dptr); }
  int64_t Size() const { return ShapeSize(shape); }
  int ndim() const { return static_cast<int>(shape.size()); }
};

// Storage with its engine variable. Freed (through the engine) when the last NDArray using it is gone.
struct Chunk {
  void *dptr = nullptr;
  size_t bytes = 0;
  Device dev;
  Var var;
  // Set for memory owned by someone else (an imported DLPack tensor): called, instead of freeing dptr, when the
  // chunk goes (after the work queued on it has run).
  std::function<void()> release;
  Chunk() = default;
  Chunk(const Chunk &) = delete;
  Chunk &operator=(const Chunk &) = delete;
  ~Chunk();
  // Allocates if not yet allocated (delayed allocation).
  void EnsureAlloc();
};

// Allocation and release of device memory (CPU: 64-byte aligned).
void *DeviceAlloc(const Device &dev, size_t bytes);
void DeviceFree(const Device &dev, void *ptr, size_t bytes);

class NDArray {
 public:
  NDArray() = default;
  NDArray(const TShape &shape, int dtype, const Device &dev, bool delay_alloc = false);
  // An array on memory it does not own (dptr: its first element, valid for shape and dtype on dev); release is
  // called once, when the last array on that memory is gone and the work queued on it has run.
  static NDArray FromExternal(void *dptr, const TShape &shape, int dtype, const Device &dev,
                              std::function<void()> release);

  bool is_none() const { return chunk_ == nullptr; }
  const TShape &shape() const { return shape_; }
  int dtype() const { return dtype_; }
  const Device &dev() const { return chunk_->dev; }
  int64_t Size() const { return ShapeSize(shape_); }
  int64_t offset() const { return offset_; }
  Var *var() const { return &chunk_->var; }
  const std::shared_ptr<Chunk> &chunk() const { return chunk_; }

  // Kernel view; allocates delayed storage. Only valid inside engine work or after a wait.
  TBlob blob() const;

  // Views sharing storage.
  NDArray Slice(int64_t begin, int64_t end) const;
  NDArray At(int64_t idx) const;
  NDArray Reshape(const TShape &shape) const;  // exact shape, same size
  NDArray AsType(int dtype) const = delete;

  void WaitToRead() const;
  void WaitToWrite() const;

  // Synchronous host copies (size in elements must match).
  void SyncCopyFromCPU(const void *data, int64_t size) const;
  void SyncCopyToCPU(void *data, int64_t size) const;
  // Queues a copy of this array into dst (same shape and dtype; any devices): it runs after the pending writes of
  // this array and the pending reads and writes of dst, without waiting for it here.
  void CopyTo(const NDArray &dst) const;

 private:
  std::shared_ptr<Chunk> chunk_;
  TShape shape_;
  int dtype_ = kFloat32;
  int64_t offset_ = 0;  // in elements
};

// MXNet's reshape codes (0, -1, -2, -3, -4) resolved against `in`; throws ShapeError naming `who`.
TShape InferReshape(const TShape &in, const std::vector<int64_t> &target, bool reverse, const char *who);

// Save/load in the mxc array format (see mxc.h); LoadArrays also reads MXNet 1.x's .params layout, which
// SaveArraysMXNet writes.
void SaveArrays(std::string *out, const std::vector<NDArray> &arrays, const std::vector<std::string> &names);
void SaveArraysMXNet(std::string *out, const std::vector<NDArray> &arrays, const std::vector<std::string> &names);
void LoadArrays(const char *data, size_t size, std::vector<NDArray> *arrays, std::vector<std::string> *names);

}  // namespace mxc
