// The row view behind LayerNorm and InstanceNorm, shared with their GPU kernels (cuda/gpu_ops_norm.cc), so that both
// devices read the operators' parameters the same way.
#pragma once

#include "operator.h"

namespace mxc {
namespace op {

// Data viewed as (outer, n, inner): the rows are the outer*inner vectors of n elements along the middle axis.
// channels == 0: gamma/beta are indexed by the position k in the row (LayerNorm); channels > 0: they are indexed by
// the row's channel (outer index % channels) and inner == 1 (InstanceNorm).
struct NormRows {
  int64_t outer = 1, n = 1, inner = 1, channels = 0;
  int64_t rows() const { return outer * inner; }
  int64_t base(int64_t r) const { return (r / inner) * n * inner + r % inner; }
};

// LayerNorm: rows along `axis`, gamma by position; InstanceNorm: the (N*C) spatial blocks, gamma by channel.
NormRows NormRowsOf(const OpParams &p, const TShape &data);

}  // namespace op
}  // namespace mxc
