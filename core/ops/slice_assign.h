// The region of _slice_assign / _slice_assign_scalar (Python's x[begin:end:step]), shared with their GPU kernels.
#pragma once

#include "elemwise_util.h"

namespace mxc {
namespace op {

// The selected region of an array of `shape`: per dimension the first index, the step and the count.
struct Region {
  int nd = 0;
  int64_t shape[kMaxDim];
  int64_t start[kMaxDim], step[kMaxDim], len[kMaxDim];
  int64_t size = 0;

  TShape Shape() const { return TShape(len, len + nd); }
};

// The region the operator's begin/end/step select in an array of `shape` (ValueError/IndexError when they do not fit).
Region MakeRegion(const OpParams &p, const TShape &shape);

}  // namespace op
}  // namespace mxc
