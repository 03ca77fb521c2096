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

// Shape inference for operators without inputs that take `shape` (and `dtype`) parameters.
void InitShapeInfer(const OpParams &p, std::vector<TShape> *in, std::vector<TShape> *out);
void InitTypeInfer(const OpParams &p, std::vector<int> *in, std::vector<int> *out);

}  // namespace op
}  // namespace mxc
