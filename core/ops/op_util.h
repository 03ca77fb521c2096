// Small helpers shared by operator implementations.
#pragma once

#include <algorithm>
#include <cmath>

#include "../operator.h"
#include "cpu_dispatch.h"

#ifdef _OPENMP
#include <omp.h>
#endif

namespace mxc {
namespace op {

// Parallel loop over [0, n) when n is large enough to pay for threads.
constexpr int64_t kParallelGrain = 1 << 15;
template <typename F>
inline void ParallelFor(int64_t n, F f) {
#ifdef _OPENMP
  if (n >= kParallelGrain) {
#pragma omp parallel for schedule(static)
    for (int64_t i = 0; i < n; ++i) f(i);
    return;
  }
#endif
  for (int64_t i = 0; i < n; ++i) f(i);
}

// out[i] (=|+=) f(i) for i in [0, n), in parallel for large n. req kNullOp does nothing.
// Large loops are cut into blocks handed out dynamically: on a busy machine a thread that starts late (its core is
// taken by another process) takes fewer blocks instead of holding everyone up with a fixed half of the work. Each
// block is a plain contiguous loop the compiler vectorises, run under the processor's best instruction set
// (cpu_dispatch.h).
template <typename T, typename F>
inline void MapOut(T *out, int64_t n, OpReq req, F f) {
  if (req == kNullOp) return;
  auto block = [&](int64_t b, int64_t e) {
    RunIsa<T>(e - b, [&] {
      F g = f;  // a local copy: stores through out cannot change its captures, which stay in registers
      T *o = out;
      if (req == kAddTo)
        for (int64_t i = b; i < e; ++i) o[i] += g(i);
      else
        for (int64_t i = b; i < e; ++i) o[i] = g(i);
    });
  };
#ifdef _OPENMP
  if (n >= kParallelGrain && omp_get_max_threads() > 1) {
    constexpr int64_t kBlock = 16384;
    const int64_t nb = (n + kBlock - 1) / kBlock;
#pragma omp parallel for schedule(dynamic, 1)
    for (int64_t k = 0; k < nb; ++k) block(k * kBlock, std::min(n, (k + 1) * kBlock));
    return;
  }
#endif
  block(0, n);
}

// A shape seen as (outer, n, inner) around one axis: outer = product of the dims before it, n = its size, inner =
// product of the dims after it.
struct AxisSplit {
  int64_t outer = 1, n = 1, inner = 1;
};
inline AxisSplit SplitAt(const TShape &s, int axis) {
  AxisSplit a;
  for (int i = 0; i < axis; ++i) a.outer *= s[i];
  a.n = s[axis];
  for (int i = axis + 1; i < s.ndim(); ++i) a.inner *= s[i];
  return a;
}

// Shape inference for operators without inputs that take `shape` (and `dtype`) parameters.
void InitShapeInfer(const OpParams &p, std::vector<TShape> *in, std::vector<TShape> *out);
void InitTypeInfer(const OpParams &p, std::vector<int> *in, std::vector<int> *out);

}  // namespace op
}  // namespace mxc
