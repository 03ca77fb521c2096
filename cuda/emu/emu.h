// CUDA emulation (MXC_CUDA_EMULATION=ON): force-included before each cuda/*.cu file, which is then compiled as C++
// for the CPU. Kernels keep CUDA's execution model: a launch runs every thread of every block (blockIdx, threadIdx,
// blockDim, gridDim as on the GPU), in order on the stream's worker thread; kernels launched with
// MXC_LAUNCH_BLOCK run each block's threads as fibers, so __syncthreads() is a real barrier and __shared__ memory
// is shared by the threads of a block. The runtime side (memory, streams, copies, cuBLAS) is cuda/emu/runtime.cc.
//
// What it checks: the kernels' index arithmetic, req handling and results (against the CPU operators, through the
// same tests a GPU runs), the glue's use of streams and copies, and that host code never touches device memory
// (device allocations are inaccessible to the host except inside emulated device work). What it cannot check: real
// concurrency between threads of a block or between blocks, the GPU memory model, launch limits of the hardware,
// speed.
#pragma once

// Declared before the toolkit headers, which keep macros already defined. __shared__ variables are statics in the
// section mxc_emu_shared, which the runtime fills with 0xFF bytes (float NaN, integer -1) before each block: a GPU's
// shared memory holds garbage when a block starts, so a kernel reading it before writing it (or expecting what an
// earlier block or launch left there) gets garbage here too.
#define __global__
#define __device__
#define __host__
#define __shared__ static __attribute__((section("mxc_emu_shared")))
#define __launch_bounds__(...)

#include <cuda_fp16.h>
#include <cuda_runtime.h>

#include <cmath>
#include <cstdint>
#include <type_traits>

#include "emu_api.h"

// The bounds of this module's __shared__ section (set by the linker; null without one), registered with the runtime
// by every translation unit.
extern "C" char __start_mxc_emu_shared[] __attribute__((weak, visibility("hidden")));
extern "C" char __stop_mxc_emu_shared[] __attribute__((weak, visibility("hidden")));
namespace {
[[maybe_unused]] const bool mxc_emu_shared_registered =
    (::mxc::emu::RegisterShared(__start_mxc_emu_shared, __stop_mxc_emu_shared), true);
}  // namespace

#define threadIdx (::mxc::emu::t_thread_idx)
#define blockIdx (::mxc::emu::t_block_idx)
#define blockDim (::mxc::emu::t_block_dim)
#define gridDim (::mxc::emu::t_grid_dim)
#define warpSize 32

inline void __syncthreads() { ::mxc::emu::SyncThreads(); }

// Emulated threads of one device never run at the same time: atomics are plain read-modify-writes. They take only
// the types nvcc's atomics take (atomicAdd: int, unsigned, unsigned long long, float, double, __half; atomicMax/Min:
// int, unsigned, long long, unsigned long long), so that a call nvcc rejects (int64_t, which is long, or an 8-bit
// type) fails here too instead of compiling as an emulator-only "atomic".
namespace mxc {
namespace emu {
template <typename T>
struct AtomicAddOk
    : std::integral_constant<bool, std::is_same<T, int>::value || std::is_same<T, unsigned>::value ||
                                       std::is_same<T, unsigned long long>::value || std::is_same<T, float>::value ||
                                       std::is_same<T, double>::value || std::is_same<T, __half>::value> {};
template <typename T>
struct AtomicMinMaxOk
    : std::integral_constant<bool, std::is_same<T, int>::value || std::is_same<T, unsigned>::value ||
                                       std::is_same<T, long long>::value ||
                                       std::is_same<T, unsigned long long>::value> {};
}  // namespace emu
}  // namespace mxc
template <typename T, typename U>
inline T atomicAdd(T *p, U v) {
  static_assert(::mxc::emu::AtomicAddOk<T>::value, "atomicAdd: CUDA has no atomicAdd for this type");
  T old = *p;
  *p = static_cast<T>(old + static_cast<T>(v));
  return old;
}
template <typename T, typename U>
inline T atomicMax(T *p, U v) {
  static_assert(::mxc::emu::AtomicMinMaxOk<T>::value, "atomicMax: CUDA has no atomicMax for this type");
  T old = *p;
  if (static_cast<T>(v) > old) *p = static_cast<T>(v);
  return old;
}
template <typename T, typename U>
inline T atomicMin(T *p, U v) {
  static_assert(::mxc::emu::AtomicMinMaxOk<T>::value, "atomicMin: CUDA has no atomicMin for this type");
  T old = *p;
  if (static_cast<T>(v) < old) *p = static_cast<T>(v);
  return old;
}

// CUDA's overloads for float (exp(float) is a float on the GPU), and its min/max for mixed argument types.
using std::abs;
using std::acos;
using std::acosh;
using std::asin;
using std::asinh;
using std::atan;
using std::atan2;
using std::atanh;
using std::cbrt;
using std::ceil;
using std::cos;
using std::cosh;
using std::erf;
using std::exp;
using std::expm1;
using std::fabs;
using std::floor;
using std::fmod;
using std::isinf;
using std::isnan;
using std::log;
using std::log10;
using std::log1p;
using std::log2;
using std::pow;
using std::round;
using std::sin;
using std::sinh;
using std::sqrt;
using std::tan;
using std::tanh;
using std::trunc;
template <typename A, typename B>
inline typename std::common_type<A, B>::type min(A a, B b) {
  return b < a ? b : a;
}
template <typename A, typename B>
inline typename std::common_type<A, B>::type max(A a, B b) {
  return a < b ? b : a;
}

// Device math functions without a host counterpart of the same name.
inline float rsqrtf(float x) { return 1.0f / std::sqrt(x); }
inline double rsqrt(double x) { return 1.0 / std::sqrt(x); }
inline float __expf(float x) { return std::exp(x); }
inline float __logf(float x) { return std::log(x); }
inline float __fdividef(float a, float b) { return a / b; }
inline unsigned __umulhi(unsigned a, unsigned b) {
  return static_cast<unsigned>((static_cast<unsigned long long>(a) * b) >> 32);
}
inline unsigned long long __umul64hi(unsigned long long a, unsigned long long b) {
  return static_cast<unsigned long long>((static_cast<unsigned __int128>(a) * b) >> 64);
}
template <typename T>
inline T __ldg(const T *p) {
  return *p;
}
