// GPU device layer shared by the C++ glue in cuda/*.cc: streams, cuBLAS handles, scratch memory, error checks.
// Only glue files include this (it includes framework headers); kernels in *.cu never do.
#pragma once

#include <cuda_runtime.h>

#include <cstddef>
#include <string>
#include <vector>

#include "base.h"
#include "gpu_stats.h"
#ifdef MXC_HAVE_CUBLAS
#include <cublas_v2.h>
#endif

namespace mxc {
namespace gpu {

// Throws DeviceError "<what>: <cuda message>" unless e == cudaSuccess.
void Check(cudaError_t e, const char *what);
// Checks for a failed kernel launch (cudaGetLastError) after launching `what`.
void CheckLaunch(const char *what);
// The stream of GPU dev (created on first use); also makes dev the calling thread's current device.
cudaStream_t Stream(int dev);
#ifdef MXC_HAVE_CUBLAS
// The cuBLAS handle of GPU dev bound to Stream(dev). Calls on one handle are serialised by the caller holding
// BlasLock().
cublasHandle_t Blas(int dev);
#endif
// Registers the GPU kernels with the operator registry (once; called when the first GPU is counted).
void RegisterKernels();

// Scratch device memory from the caching allocator, released (stream-ordered) at scope exit.
class Scratch {
 public:
  Scratch(int dev, size_t bytes);
  ~Scratch();
  Scratch(const Scratch &) = delete;
  Scratch &operator=(const Scratch &) = delete;
  void *get() const { return ptr_; }
  template <typename T>
  T *as() const { return static_cast<T *>(ptr_); }

 private:
  int dev_;
  size_t bytes_;
  void *ptr_ = nullptr;
};

}  // namespace gpu
}  // namespace mxc
