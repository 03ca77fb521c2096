// Small helpers shared by operator implementations.
#pragma once

#include <algorithm>
#include <cmath>

#include "../operator.h"

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
