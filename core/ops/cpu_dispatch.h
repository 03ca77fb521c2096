// Run-time choice of the instruction set for the hot loops of the CPU kernels.
//
// The library is compiled for baseline x86-64 (SSE2), so that one binary runs on every x86-64 processor. A kernel
// runs its innermost loop as RunIsa<T>(n, body): body() then runs either as compiled, or inside a copy compiled for
// AVX2+FMA when the running processor has them (cpu_dispatch.cc: CPUID, once).
//
// Mechanism: a function template with __attribute__((target("avx2,fma"), flatten)) that calls body(). flatten inlines
// body and everything it calls (the operator functors, fast_math.h) into the copy, where the compiler vectorizes the
// loop at the copy's width, so every kernel's source is written once and compiled once per instruction set. Inlining
// default-target code into a wider target is allowed (the reverse is not, so no AVX2 code can leak into the
// baseline path); inline functions that stay out of line keep their baseline code. Chosen over target_clones because
// its ifunc resolver picks by processor only: MXC_CPU_ISA and SetCpuIsa (tests, benchmarks) could not force the
// baseline. OpenMP regions stay outside the copies (an outlined parallel region does not inherit the copy's target),
// so callers split large loops into blocks first and dispatch each block; the check costs one load per block.
//
// Results: the copies compute the same operations in the same order, except that GCC contracts a * b + c into one
// fused multiply-add (one rounding instead of two), so results whose expression has such a pattern (the polynomials
// of fast_math.h, optimizer updates, ...) may differ in the last bit between paths. add, mul, relu, sums: bit-equal.
//
// Only floating-point loops are dispatched (float, double): integer kernels are memory-bound and not worth the code
// size. Loops shorter than kIsaMinLoop run as compiled.
//
// No AVX-512 copy: measured on a processor with AVX-512 (benchmarks/bench_cpu_isa.py, 1M float32, 2 threads), a
// 512-bit copy (prefer-vector-width=512) was 1.1x faster than AVX2 for sigmoid, as fast for tanh and exp, and slower
// for the rest: softmax 1.2x, sgd_update 1.5x, adam_update 1.8x, add 2x (a single-threaded loop of sigmoid or tanh
// alone gained 1.4x).
//
// MXC_CPU_ISA=baseline|avx2 caps the choice (read once; unknown values are ignored with a warning).
// Everything here is x86-64 GCC/Clang only; elsewhere (WebAssembly, other processors) RunIsa is a plain call.
#pragma once

#include <cstdint>
#include <type_traits>

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__)) && !defined(__EMSCRIPTEN__) && \
    !defined(__CUDACC__)
#define MXC_CPU_DISPATCH 1
#endif

namespace mxc {
namespace op {

enum class CpuIsa : int { kBaseline = 0, kAvx2 = 1 };

// "baseline", "avx2".
const char *CpuIsaName(CpuIsa isa);
// The best instruction set this processor (and OS) supports, among those the build has copies for.
CpuIsa DetectedCpuIsa();
// The one the kernels use now: DetectedCpuIsa() capped by MXC_CPU_ISA.
CpuIsa ActiveCpuIsa();
// Makes the kernels use `isa` (capped at DetectedCpuIsa()); returns the one in effect. For tests and benchmarks:
// kernels running meanwhile may use either.
CpuIsa SetCpuIsa(CpuIsa isa);

constexpr int64_t kIsaMinLoop = 64;

#ifdef MXC_CPU_DISPATCH
template <typename F>
__attribute__((target("avx2,fma"), flatten)) void RunAvx2(F &body) { body(); }
#endif

// body() (a loop over n elements of type T) under the active instruction set.
template <typename T, typename F>
inline void RunIsa(int64_t n, F &&body) {
#ifdef MXC_CPU_DISPATCH
  if constexpr (std::is_floating_point<T>::value) {
    if (n >= kIsaMinLoop) {
      if (ActiveCpuIsa() == CpuIsa::kAvx2) return RunAvx2(body);
    }
  }
#else
  (void)n;
#endif
  body();
}

}  // namespace op
}  // namespace mxc
