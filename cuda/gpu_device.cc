// The GPU device layer of the CUDA build: device count (0 without a driver), a caching allocator per device, one
// stream per device, host<->device and device<->device copies through pinned staging buffers.
//
// Synchronisation model: every GPU kernel of a device is queued on that device's single stream, so GPU work runs in
// the order the engine issues it (the engine only issues an operation after the operations it depends on were
// issued). Host-side readers wait for the stream: NDArray::WaitToRead/WaitToWrite of a GPU array and
// SyncCopyToCPU synchronise the device's stream (cudaStreamSynchronize), never the whole device; WaitAll
// synchronises every stream in use. Memory freed by an array goes back to the allocator's cache immediately: its next
// user is queued on the same stream, after every kernel that used it before. Work on other streams never holds it
// when it goes: a copy between GPUs (queued on the destination's stream) is waited for before DeviceCopy returns, and
// a DLPack consumer's release synchronises the device (core/c_api_dlpack.cc).
//
// Current device: Stream(dev) makes dev current (kernel launches, cuBLAS and cuDNN calls need it; engine workers run
// work of every GPU); allocation, copies and waits leave the calling thread's current device as they found it.
#include "gpu_device.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <mutex>
#include <vector>

#include "device.h"
#include "ndarray.h"

namespace mxc {
namespace gpu {

void Check(cudaError_t e, const char *what) {
  if (e == cudaSuccess) return;
  cudaGetLastError();  // clear a sticky-free error
  Throw(ErrorKind::kDevice, what, ": ", cudaGetErrorString(e));
}

void CheckLaunch(const char *what) { Check(cudaGetLastError(), what); }

namespace {

constexpr int kMaxGPUs = 64;

// Sizes are rounded to 512 bytes below 1 MiB, else to a multiple of 1/4 of the next lower power of two (bins that
// waste at most 25%). A freed block is reused by a request of the same rounded size.
size_t RoundSize(size_t bytes) {
  if (bytes == 0) bytes = 1;
  if (bytes < (1u << 20)) return (bytes + 511) / 512 * 512;
  size_t p = 1;
  while (p * 2 <= bytes) p *= 2;
  size_t q = p / 4;
  return (bytes + q - 1) / q * q;
}

struct DeviceState {
  std::mutex mu;
  bool init = false;
  cudaStream_t stream = nullptr;
  std::map<size_t, std::vector<void *>> free_blocks;  // rounded size -> blocks
  int64_t in_use = 0, cached = 0, peak = 0;
  // Pinned staging buffer for host transfers.
  std::mutex staging_mu;
  void *staging = nullptr;
  size_t staging_bytes = 0;
#ifdef MXC_HAVE_CUBLAS
  cublasHandle_t blas = nullptr;
#endif
};

DeviceState *States() {
  static auto *s = new DeviceState[kMaxGPUs];  // never destroyed: arrays may be freed during exit
  return s;
}

// Restores the calling thread's current device at scope exit: host-side calls (allocation, copies and waits from a
// user's thread, which another CUDA library may share) leave it as they found it.
struct KeepDevice {
  int prev = -1;
  KeepDevice() {
    if (cudaGetDevice(&prev) != cudaSuccess) prev = -1;
  }
  ~KeepDevice() {
    int now = -1;
    if (prev >= 0 && cudaGetDevice(&now) == cudaSuccess && now != prev) cudaSetDevice(prev);
  }
};

DeviceState &State(int dev) {
  DeviceState &s = States()[dev];
  std::lock_guard<std::mutex> lk(s.mu);
  if (!s.init) {
    KeepDevice keep;
    Check(cudaSetDevice(dev), "cudaSetDevice");
    Check(cudaStreamCreateWithFlags(&s.stream, cudaStreamNonBlocking), "cudaStreamCreate");
#ifdef MXC_HAVE_CUBLAS
    if (cublasCreate(&s.blas) != CUBLAS_STATUS_SUCCESS)
      Throw(ErrorKind::kDevice, "gpu(", dev, "): cublasCreate failed");
    cublasSetStream(s.blas, s.stream);
#endif
    s.init = true;
  }
  return s;
}

void ReleaseCacheLocked(int dev, DeviceState &s) {
  KeepDevice keep;
  cudaSetDevice(dev);
  cudaStreamSynchronize(s.stream);
  for (auto &kv : s.free_blocks)
    for (void *p : kv.second) cudaFree(p);
  s.free_blocks.clear();
  s.cached = 0;
}

void *GPUAlloc(int dev, size_t bytes) {
  DeviceState &s = State(dev);
  size_t n = RoundSize(bytes);
  std::lock_guard<std::mutex> lk(s.mu);
  auto it = s.free_blocks.find(n);
  void *p = nullptr;
  if (it != s.free_blocks.end() && !it->second.empty()) {
    p = it->second.back();
    it->second.pop_back();
    s.cached -= static_cast<int64_t>(n);
  } else {
    KeepDevice keep;
    cudaSetDevice(dev);
    cudaError_t e = cudaMalloc(&p, n);
    if (e != cudaSuccess) {
      cudaGetLastError();
      ReleaseCacheLocked(dev, s);  // give the cache back and retry once
      e = cudaMalloc(&p, n);
      if (e != cudaSuccess) {
        cudaGetLastError();
        Throw(ErrorKind::kDevice, "out of memory allocating ", bytes, " bytes on gpu(", dev, ") (", s.in_use,
              " bytes in use)");
      }
    }
  }
  s.in_use += static_cast<int64_t>(n);
  s.peak = std::max(s.peak, s.in_use);
  return p;
}

void GPUFree(int dev, void *p, size_t bytes) {
  DeviceState &s = States()[dev];
  size_t n = RoundSize(bytes);
  std::lock_guard<std::mutex> lk(s.mu);
  s.free_blocks[n].push_back(p);
  s.in_use -= static_cast<int64_t>(n);
  s.cached += static_cast<int64_t>(n);
}

// Runs f(pinned, chunk_offset, chunk_bytes) over [0, bytes) in chunks of the device's pinned staging buffer.
constexpr size_t kStagingBytes = 16u << 20;
template <typename F>
void Staged(int dev, size_t bytes, F f) {
  DeviceState &s = State(dev);
  std::lock_guard<std::mutex> lk(s.staging_mu);
  if (!s.staging) {
    KeepDevice keep;
    cudaSetDevice(dev);  // pinned for (at least) this device's context
    if (cudaMallocHost(&s.staging, kStagingBytes) != cudaSuccess) {
      cudaGetLastError();
      s.staging = nullptr;
    } else {
      s.staging_bytes = kStagingBytes;
    }
  }
  if (!s.staging) {  // no pinned memory: a plain pageable copy
    f(nullptr, 0, bytes);
    return;
  }
  for (size_t off = 0; off < bytes; off += s.staging_bytes) f(s.staging, off, std::min(s.staging_bytes, bytes - off));
}

// The stream of GPU dev without making dev current: for copies and waits, which CUDA takes on any device's stream.
cudaStream_t StreamOf(int dev) { return State(dev).stream; }

}  // namespace

cudaStream_t Stream(int dev) {
  DeviceState &s = State(dev);
  cudaSetDevice(dev);
  return s.stream;
}

#ifdef MXC_HAVE_CUBLAS
cublasHandle_t Blas(int dev) { return State(dev).blas; }
#endif

Scratch::Scratch(int dev, size_t bytes) : dev_(dev), bytes_(bytes) { ptr_ = GPUAlloc(dev, bytes); }
Scratch::~Scratch() { GPUFree(dev_, ptr_, bytes_); }

}  // namespace gpu

// ---------------------------------------------------------------------------------------------------------------
// device.h / ndarray.h / base.h entry points of the CUDA build
// ---------------------------------------------------------------------------------------------------------------
int NumGPUs() {
  static int n = [] {
    int c = 0;
    if (cudaGetDeviceCount(&c) != cudaSuccess) {
      cudaGetLastError();
      c = 0;
    }
    c = std::min(c, gpu::kMaxGPUs);
    if (c > 0) gpu::RegisterKernels();
    return c;
  }();
  return n;
}

void *DeviceAlloc(const Device &dev, size_t bytes) {
  CheckDevice(dev);
  if (dev.type == MXC_GPU) return gpu::GPUAlloc(dev.id, bytes);
  size_t n = (bytes + 63) / 64 * 64;
  if (n == 0) n = 64;
  void *p = std::aligned_alloc(64, n);
  if (!p) Throw(ErrorKind::kInternal, "out of memory allocating ", bytes, " bytes on ", DeviceStr(dev));
  return p;
}

void DeviceFree(const Device &dev, void *ptr, size_t bytes) {
  if (dev.type == MXC_GPU) gpu::GPUFree(dev.id, ptr, bytes);
  else std::free(ptr);
}

void DeviceCopy(const Device &dst_dev, void *dst, const Device &src_dev, const void *src, size_t bytes) {
  if (bytes == 0) return;
  const bool dg = dst_dev.type == MXC_GPU, sg = src_dev.type == MXC_GPU;
  if (!dg && !sg) {
    std::memcpy(dst, src, bytes);
  } else if (dg && !sg) {
    cudaStream_t st = gpu::StreamOf(dst_dev.id);
    gpu::Staged(dst_dev.id, bytes, [&](void *pin, size_t off, size_t n) {
      const char *from = static_cast<const char *>(src) + off;
      if (pin) {
        std::memcpy(pin, from, n);
        from = static_cast<const char *>(pin);
      }
      gpu::Check(cudaMemcpyAsync(static_cast<char *>(dst) + off, from, n, cudaMemcpyHostToDevice, st),
                 "copy to gpu");
      gpu::Check(cudaStreamSynchronize(st), "copy to gpu");
    });
  } else if (!dg && sg) {
    cudaStream_t st = gpu::StreamOf(src_dev.id);
    gpu::Staged(src_dev.id, bytes, [&](void *pin, size_t off, size_t n) {
      char *to = pin ? static_cast<char *>(pin) : static_cast<char *>(dst) + off;
      gpu::Check(cudaMemcpyAsync(to, static_cast<const char *>(src) + off, n, cudaMemcpyDeviceToHost, st),
                 "copy from gpu");
      gpu::Check(cudaStreamSynchronize(st), "copy from gpu");
      if (pin) std::memcpy(static_cast<char *>(dst) + off, pin, n);
    });
  } else if (dst_dev.id == src_dev.id) {
    gpu::Check(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyDeviceToDevice, gpu::StreamOf(dst_dev.id)), "copy on gpu");
  } else {
    // Between GPUs: the source's queued work must be done first; the copy is queued on the destination stream.
    // It must also be done before this returns: the source's stream does not wait for the destination's, so work
    // queued there next (a write to the source, or a new user of its memory once the caller frees it) would race
    // with the copy still reading it.
    gpu::Check(cudaStreamSynchronize(gpu::StreamOf(src_dev.id)), "copy between gpus");
    cudaStream_t st = gpu::StreamOf(dst_dev.id);
    gpu::Check(cudaMemcpyPeerAsync(dst, dst_dev.id, src, src_dev.id, bytes, st), "copy between gpus");
    gpu::Check(cudaStreamSynchronize(st), "copy between gpus");
  }
}

void DeviceZero(const Device &dev, void *ptr, size_t bytes) {
  if (bytes == 0) return;
  if (dev.type != MXC_GPU) {
    std::memset(ptr, 0, bytes);
    return;
  }
  gpu::Check(cudaMemsetAsync(ptr, 0, bytes, gpu::Stream(dev.id)), "zero on gpu");
}

void DeviceWait(const Device &dev) {
  if (dev.type != MXC_GPU) return;
  gpu::Check(cudaStreamSynchronize(gpu::StreamOf(dev.id)), (DeviceStr(dev) + " kernel").c_str());
}

// Events from a pool per device (created without timing), back in the pool when the last var holding one drops it.
namespace {
struct EventPool {
  std::mutex mu;
  std::vector<cudaEvent_t> free;
};
EventPool *EventPools() {
  static auto *p = new EventPool[gpu::kMaxGPUs];  // never destroyed: vars may be freed during exit
  return p;
}
}  // namespace

std::shared_ptr<void> DeviceRecord(const Device &dev) {
  if (dev.type != MXC_GPU) return nullptr;
  EventPool &pool = EventPools()[dev.id];
  cudaEvent_t ev = nullptr;
  {
    std::lock_guard<std::mutex> lk(pool.mu);
    if (!pool.free.empty()) {
      ev = pool.free.back();
      pool.free.pop_back();
    }
  }
  cudaStream_t st = gpu::Stream(dev.id);
  if (!ev) gpu::Check(cudaEventCreateWithFlags(&ev, cudaEventDisableTiming), "cudaEventCreate");
  cudaError_t e = cudaEventRecord(ev, st);
  if (e != cudaSuccess) {
    cudaEventDestroy(ev);
    gpu::Check(e, "cudaEventRecord");
  }
  const int id = dev.id;
  return std::shared_ptr<void>(ev, [id](void *p) {
    EventPool &pl = EventPools()[id];
    std::lock_guard<std::mutex> lk(pl.mu);
    pl.free.push_back(static_cast<cudaEvent_t>(p));
  });
}

void DeviceWaitFor(const Device &dev, const std::shared_ptr<void> &point) {
  if (dev.type != MXC_GPU || !point) return;
  gpu::Check(cudaEventSynchronize(static_cast<cudaEvent_t>(point.get())), (DeviceStr(dev) + " kernel").c_str());
}

void DeviceSynchronize(const Device &dev) {
  if (dev.type != MXC_GPU) return;
  // Called on the user's threads (DLPack exchange), which another CUDA library may share: its current device is
  // left as it was.
  int prev = -1;
  if (cudaGetDevice(&prev) != cudaSuccess) prev = -1;
  cudaSetDevice(dev.id);
  const cudaError_t e = cudaDeviceSynchronize();
  if (prev >= 0 && prev != dev.id) cudaSetDevice(prev);
  gpu::Check(e, (DeviceStr(dev) + " kernel").c_str());
}

void DeviceWaitAll() {
  int n = NumGPUs();
  for (int i = 0; i < n; ++i) {
    auto &s = gpu::States()[i];
    bool init;
    {
      std::lock_guard<std::mutex> lk(s.mu);
      init = s.init;
    }
    if (init) DeviceWait(Device{MXC_GPU, i});
  }
}

void GPUMemoryStats(int dev_id, int64_t *in_use, int64_t *cached, int64_t *peak) {
  CheckDevice(Device{MXC_GPU, dev_id});
  auto &s = gpu::State(dev_id);
  std::lock_guard<std::mutex> lk(s.mu);
  *in_use = s.in_use;
  *cached = s.cached;
  *peak = s.peak;
}

void GPUReleaseCache(int dev_id) {
  CheckDevice(Device{MXC_GPU, dev_id});
  auto &s = gpu::State(dev_id);
  std::lock_guard<std::mutex> lk(s.mu);
  gpu::ReleaseCacheLocked(dev_id, s);
}

}  // namespace mxc
