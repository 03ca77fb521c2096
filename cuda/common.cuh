// Helpers shared by the *.cu files (no framework headers).
#pragma once

#include <cuda_fp16.h>
#include <cuda_runtime.h>

#include <cstdint>
#include <new>

namespace mxc {
namespace cuda {

constexpr int kThreads = 256;
inline int Blocks(int64_t n) {
  int64_t b = (n + kThreads - 1) / kThreads;
  if (b > 65535 * 8) b = 65535 * 8;  // grid-stride loops cover the rest
  return static_cast<int>(b < 1 ? 1 : b);
}

// Kernel launches: MXC_LAUNCH(grid, block, shared_bytes, stream, Kernel<T>)(args...). Kernels that call
// __syncthreads() are launched with MXC_LAUNCH_BLOCK (the same launch on a GPU; the CUDA emulation build runs their
// blocks' threads as fibers, see cuda/emu/emu.h).
#ifdef MXC_CUDA_EMULATION
#define MXC_LAUNCH(grid, block, shmem, stream, ...) \
  ::mxc::emu::MakeLauncher(__VA_ARGS__, grid, block, shmem, stream, false, #__VA_ARGS__)
#define MXC_LAUNCH_BLOCK(grid, block, shmem, stream, ...) \
  ::mxc::emu::MakeLauncher(__VA_ARGS__, grid, block, shmem, stream, true, #__VA_ARGS__)
#else
#define MXC_LAUNCH(grid, block, shmem, stream, ...) __VA_ARGS__<<<grid, block, shmem, stream>>>
#define MXC_LAUNCH_BLOCK(grid, block, shmem, stream, ...) __VA_ARGS__<<<grid, block, shmem, stream>>>
#endif

#define MXC_CUDA_LOOP(i, n) \
  for (int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; i < (n); i += static_cast<int64_t>(blockDim.x) * gridDim.x)

// A zeroed device counter for one call's kernels (stream-ordered allocation; freed after them), or none.
class StreamCounter {
 public:
  StreamCounter(bool needed, cudaStream_t s) : s_(s) {
    if (!needed) return;
    if (cudaMallocAsync(reinterpret_cast<void **>(&p_), sizeof(unsigned long long), s) != cudaSuccess) {
      cudaGetLastError();  // the failure is this exception, not a later launch's error
      p_ = nullptr;
      throw std::bad_alloc();  // the operator's "out of memory" error, before any kernel sees a null counter
    }
    cudaMemsetAsync(p_, 0, sizeof(unsigned long long), s);
  }
  ~StreamCounter() {
    if (p_) cudaFreeAsync(p_, s_);
  }
  StreamCounter(const StreamCounter &) = delete;
  StreamCounter &operator=(const StreamCounter &) = delete;
  unsigned long long *get() const { return p_; }

 private:
  cudaStream_t s_;
  unsigned long long *p_ = nullptr;
};

template <typename T>
__device__ __forceinline__ void Store(T *dst, int req, T v) {
  if (req == 3) *dst += v;
  else if (req != 0) *dst = v;
}

#define MXC_CUDA_REAL_SWITCH(code, T, ...)       \
  switch (code) {                                \
    case 0: { typedef float T; __VA_ARGS__; } break;  \
    case 1: { typedef double T; __VA_ARGS__; } break; \
    default: break;                              \
  }
// The integer dtypes the CPU's arithmetic takes: uint8 3, int32 4, int8 5, int64 6.
#define MXC_CUDA_INT_CASES(T, ...)                        \
  case 3: { typedef uint8_t T; __VA_ARGS__; } break;      \
  case 4: { typedef int32_t T; __VA_ARGS__; } break;      \
  case 5: { typedef int8_t T; __VA_ARGS__; } break;       \
  case 6: { typedef int64_t T; __VA_ARGS__; } break;
#define MXC_CUDA_INT_SWITCH(code, T, ...) \
  switch (code) {                         \
    MXC_CUDA_INT_CASES(T, __VA_ARGS__)    \
    default: break;                       \
  }
// float32, float64 and the integer dtypes.
#define MXC_CUDA_NUMERIC_SWITCH(code, T, ...)             \
  switch (code) {                                         \
    case 0: { typedef float T; __VA_ARGS__; } break;      \
    case 1: { typedef double T; __VA_ARGS__; } break;     \
    MXC_CUDA_INT_CASES(T, __VA_ARGS__)                    \
    default: break;                                       \
  }

// Value conversions as the CPU does them (core's Convert): floats to integers through int64 (NaN and out-of-range
// values become INT64_MIN first), to bool as != 0. Used by casts, fills and scalar parameters.
template <typename To>
__host__ __device__ inline To ConvF(double v) {
  long long i = (v == v && v < 9.2e18 && v > -9.2e18) ? static_cast<long long>(v) : (-9223372036854775807LL - 1);
  return static_cast<To>(i);
}
template <typename To>
struct CvtFrom {
  template <typename From>
  __host__ __device__ static To F(From v) { return static_cast<To>(v); }
  __host__ __device__ static To F(float v) { return ConvF<To>(v); }
  __host__ __device__ static To F(double v) { return ConvF<To>(v); }
  __host__ __device__ static To F(__half v) { return ConvF<To>(__half2float(v)); }
};
template <> struct CvtFrom<float> {
  template <typename From> __host__ __device__ static float F(From v) { return static_cast<float>(v); }
  __host__ __device__ static float F(__half v) { return __half2float(v); }
};
template <> struct CvtFrom<double> {
  template <typename From> __host__ __device__ static double F(From v) { return static_cast<double>(v); }
  __host__ __device__ static double F(__half v) { return static_cast<double>(__half2float(v)); }
};
template <> struct CvtFrom<bool> {
  template <typename From> __host__ __device__ static bool F(From v) { return v != From(0); }
  __host__ __device__ static bool F(__half v) { return __half2float(v) != 0.f; }
};
template <> struct CvtFrom<__half> {
  template <typename From> __host__ __device__ static __half F(From v) { return __float2half_rn(static_cast<float>(v)); }
  __host__ __device__ static __half F(__half v) { return v; }
};

// The sum of v over the kThreads threads of a block, returned to every thread (red: kThreads shared doubles). Every
// thread of the block must call it.
__device__ __forceinline__ double BlockSum(double v, double *red) {
  red[threadIdx.x] = v;
  __syncthreads();
  for (int w = kThreads / 2; w > 0; w >>= 1) {
    if (static_cast<int>(threadIdx.x) < w) red[threadIdx.x] += red[threadIdx.x + w];
    __syncthreads();
  }
  const double r = red[0];
  __syncthreads();  // red is reused by the next call
  return r;
}

}  // namespace cuda
}  // namespace mxc
