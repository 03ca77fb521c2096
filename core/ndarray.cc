#include "ndarray.h"
#include "np_shape.h"

#include "device.h"
#include "storage.h"

#include <cstdlib>
#include <cstring>

namespace mxc {

void *DeviceAlloc(const Device &dev, size_t bytes);
void DeviceFree(const Device &dev, void *ptr, size_t bytes);

#ifndef MXC_USE_CUDA
void *DeviceAlloc(const Device &dev, size_t bytes) {
  CheckDevice(dev);
  size_t n = (bytes + 63) / 64 * 64;
  if (n == 0) n = 64;
  void *p = std::aligned_alloc(64, n);
  if (!p) Throw(ErrorKind::kInternal, "out of memory allocating ", bytes, " bytes on ", DeviceStr(dev));
  return p;
}
void DeviceFree(const Device &, void *ptr, size_t) { std::free(ptr); }
#endif

// CPU storage comes from the pool (storage.h); it returns there when the engine has run every pending operation on
// the chunk (the chunk is deleted by Engine::DeleteVar's deleter).
namespace {
void *ChunkAlloc(const Device &dev, size_t bytes) {
  if (dev.type == MXC_CPU) {
    CheckDevice(dev);
    return storage::CPUAlloc(bytes);
  }
  return DeviceAlloc(dev, bytes);
}
void ChunkFree(const Device &dev, void *p, size_t bytes) {
  if (dev.type == MXC_CPU) storage::CPUFree(p, bytes);
  else DeviceFree(dev, p, bytes);
}
}  // namespace

Chunk::~Chunk() {
  if (release) release();
  else if (dptr) ChunkFree(dev, dptr, bytes);
}

// Two pieces of work may read a never-written (delayed) array at the same time: allocate exactly once.
void Chunk::EnsureAlloc() {
  if (__atomic_load_n(&dptr, __ATOMIC_ACQUIRE)) return;
  void *p = ChunkAlloc(dev, bytes);
  void *expected = nullptr;
  if (!__atomic_compare_exchange_n(&dptr, &expected, p, false, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
    ChunkFree(dev, p, bytes);
}

NDArray::NDArray(const TShape &shape, int dtype, const Device &dev, bool delay_alloc)
    : shape_(shape), dtype_(dtype) {
  CheckDevice(dev);
  // ndim 0: a 0-d array (one element). The C API creates those in NumPy shape mode only (np_shape.h).
  for (auto d : shape) MXC_CHECK(d >= 0, ErrorKind::kShape, "negative dimension in shape ", ShapeStr(shape));
  const size_t bytes = ShapeBytes(shape, dtype);
  Chunk *raw = new Chunk();
  raw->dev = dev;
  raw->bytes = bytes;
  // The engine decides when storage may go: only after every pending operation on it has run.
  chunk_ = std::shared_ptr<Chunk>(raw, [](Chunk *c) {
    Engine::Get()->DeleteVar(&c->var, [c]() { delete c; });
  });
  if (!delay_alloc) raw->EnsureAlloc();
}

NDArray NDArray::FromExternal(void *dptr, const TShape &shape, int dtype, const Device &dev,
                              std::function<void()> release) {
  CheckDevice(dev);
  MXC_CHECK(!shape.empty() || IsNumpyShape(), ErrorKind::kShape,
            "an array needs at least one dimension (0-d arrays need NumPy shape mode)");
  for (auto d : shape) MXC_CHECK(d >= 0, ErrorKind::kShape, "negative dimension in shape ", ShapeStr(shape));
  MXC_CHECK(dptr != nullptr, ErrorKind::kValue, "external memory for an array of shape ", ShapeStr(shape),
            " is NULL");
  NDArray r;
  r.shape_ = shape;
  r.dtype_ = dtype;
  Chunk *raw = new Chunk();
  raw->dev = dev;
  raw->bytes = ShapeBytes(shape, dtype);
  raw->dptr = dptr;
  raw->release = std::move(release);
  r.chunk_ = std::shared_ptr<Chunk>(raw, [](Chunk *c) {
    Engine::Get()->DeleteVar(&c->var, [c]() { delete c; });
  });
  return r;
}

TBlob NDArray::blob() const {
  TBlob b;
  chunk_->EnsureAlloc();
  b.dptr = static_cast<char *>(chunk_->dptr) + offset_ * DTypeSize(dtype_);
  b.shape = shape_;
  if (shape_.ndim() == 0) b.shape = TShape{1};  // kernels see a 0-d array as (1,) (np_shape.h)
  b.dtype = dtype_;
  b.dev = chunk_->dev;
  return b;
}

NDArray NDArray::Slice(int64_t begin, int64_t end) const {
  MXC_CHECK(shape_.ndim() >= 1, ErrorKind::kIndex, "cannot slice or index a 0-d array (shape ())");
  int64_t n = shape_[0];
  MXC_CHECK(begin >= 0 && begin <= end && end <= n, ErrorKind::kIndex, "slice [", begin, ", ", end,
            ") out of range for an array of shape ", ShapeStr(shape_));
  NDArray r = *this;
  int64_t row = n ? Size() / n : 0;
  r.offset_ = offset_ + begin * row;
  r.shape_[0] = end - begin;
  return r;
}

NDArray NDArray::At(int64_t idx) const {
  MXC_CHECK(shape_.ndim() >= 1, ErrorKind::kIndex, "cannot index a 0-d array (shape ())");
  int64_t n = shape_[0];
  if (idx < 0) idx += n;
  MXC_CHECK(idx >= 0 && idx < n, ErrorKind::kIndex, "index ", idx, " out of range for axis 0 of size ", n,
            " (shape ", ShapeStr(shape_), ")");
  NDArray r = Slice(idx, idx + 1);
  if (shape_.size() > 1) {
    TShape s(shape_.begin() + 1, shape_.end());
    r.shape_ = s;
  }
  return r;
}

NDArray NDArray::Reshape(const TShape &shape) const {
  MXC_CHECK(ShapeSize(shape) == Size(), ErrorKind::kShape, "cannot reshape an array of shape ", ShapeStr(shape_),
            " to ", ShapeStr(shape));
  NDArray r = *this;
  r.shape_ = shape;
  return r;
}

// GPU work is queued on the device's stream: after the engine's wait, wait for the device to reach the end of the
// last write (the event it recorded); a write waits for everything queued before (reads included).
void NDArray::WaitToRead() const {
  Engine::Get()->WaitToRead(var());
  if (dev().type != MXC_CPU) engine::WaitDeviceWrite(dev(), var());
}
void NDArray::WaitToWrite() const {
  Engine::Get()->WaitToWrite(var());
  if (dev().type != MXC_CPU) DeviceWait(dev());
}

void NDArray::SyncCopyFromCPU(const void *data, int64_t size) const {
  MXC_CHECK(size == Size(), ErrorKind::kValue, "copy from host: got ", size, " elements for an array of shape ",
            ShapeStr(shape_), " (", Size(), " elements)");
  MXC_CHECK(data != nullptr || size == 0, ErrorKind::kValue, "copy from host: data is NULL");
  NDArray self = *this;
  std::vector<Var *> writes{var()};
  size_t bytes = size * DTypeSize(dtype_);
  // Synchronous by contract: push, then wait for the write.
  // work 0: the caller waits right away, so the copy may run on this thread when the array is free.
  Engine::Get()->Push([self, data, bytes](const RunContext &) {
                        DeviceCopy(self.dev(), self.blob().dptr, Device::CPU(), data, bytes);
                      },
                      dev(), {}, writes, "SyncCopyFromCPU", 0);
  WaitToRead();
}

void NDArray::SyncCopyToCPU(void *data, int64_t size) const {
  MXC_CHECK(size == Size(), ErrorKind::kValue, "copy to host: got room for ", size,
            " elements for an array of shape ", ShapeStr(shape_), " (", Size(), " elements)");
  MXC_CHECK(data != nullptr || size == 0, ErrorKind::kValue, "copy to host: data is NULL");
  WaitToRead();
  DeviceCopy(Device::CPU(), data, dev(), blob().dptr, size * DTypeSize(dtype_));
}

void NDArray::CopyTo(const NDArray &dst) const {
  MXC_CHECK(shape_ == dst.shape_, ErrorKind::kShape, "copyto: source shape ", ShapeStr(shape_),
            " does not match target shape ", ShapeStr(dst.shape_));
  MXC_CHECK(dtype_ == dst.dtype_, ErrorKind::kType, "copyto: source dtype ", DTypeName(dtype_),
            " differs from target dtype ", DTypeName(dst.dtype_), " (convert first)");
  if (var() == dst.var() && blob().dptr == dst.blob().dptr) return;
  NDArray src = *this, out = dst;
  const size_t bytes = static_cast<size_t>(Size()) * DTypeSize(dtype_);
  // Runs where the target lives: on a GPU the copy is queued on its stream and the engine records the write's end
  // there; DeviceCopy waits for the source GPU's queue itself.
  Engine::Get()->Push([src, out, bytes](const RunContext &) {
                        DeviceCopy(out.dev(), out.blob().dptr, src.dev(), src.blob().dptr, bytes);
                        // Between two GPUs the copy is queued on the target's stream and reads the source later:
                        // it must end before the engine lets later work (on the source's stream) overwrite it.
                        if (src.dev().type == MXC_GPU && out.dev().type == MXC_GPU && src.dev().id != out.dev().id)
                          DeviceWait(out.dev());
                      },
                      dst.dev(), {var()}, {dst.var()}, "copyto", Size());
}

TShape InferReshape(const TShape &in, const std::vector<int64_t> &target_in, bool reverse, const char *who) {
  TShape src = in;
  std::vector<int64_t> target = target_in;
  if (reverse) {
    std::reverse(src.begin(), src.end());
    std::reverse(target.begin(), target.end());
  }
  TShape out;
  int64_t infer_at = -1;
  size_t si = 0;
  auto bad = [&](const std::string &why) {
    std::ostringstream os;
    os << '(';
    for (size_t i = 0; i < target_in.size(); ++i) os << (i ? "," : "") << target_in[i];
    os << ')';
    Throw(ErrorKind::kShape, who, ": cannot reshape an array of shape ", ShapeStr(in), " to ", os.str(), ": ",
          why);
  };
  for (size_t i = 0; i < target.size(); ++i) {
    int64_t t = target[i];
    if (t > 0) {
      out.push_back(t);
      ++si;
    } else if (t == 0) {
      if (si >= src.size()) bad("0 copies a dimension that does not exist");
      out.push_back(src[si++]);
    } else if (t == -1) {
      if (infer_at >= 0) bad("more than one -1");
      infer_at = out.size();
      out.push_back(1);
      ++si;
    } else if (t == -2) {
      while (si < src.size()) out.push_back(src[si++]);
    } else if (t == -3) {
      if (si + 1 >= src.size()) bad("-3 needs two dimensions to merge");
      out.push_back(src[si] * src[si + 1]);
      si += 2;
    } else if (t == -4) {
      if (i + 2 >= target.size() || si >= src.size()) bad("-4 needs two following values");
      int64_t d = src[si++], a = target[i + 1], b = target[i + 2];
      if (a == -1 && b > 0) a = d / b;
      if (b == -1 && a > 0) b = d / a;
      if (a <= 0 || b <= 0 || a * b != d) bad("-4 split does not match the dimension");
      out.push_back(a);
      out.push_back(b);
      i += 2;
    } else {
      bad("invalid value " + std::to_string(t));
    }
  }
  if (infer_at >= 0) {
    int64_t known = 1;
    for (size_t i = 0; i < out.size(); ++i)
      if (static_cast<int64_t>(i) != infer_at) known *= out[i];
    if (known == 0 || ShapeSize(in) % known != 0) bad("the size does not divide");
    out[infer_at] = ShapeSize(in) / known;
  }
  if (reverse) std::reverse(out.begin(), out.end());
  if (ShapeSize(out) != ShapeSize(in)) bad("the number of elements differs");
  return out;
}

}  // namespace mxc
