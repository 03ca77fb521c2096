// count_sketch's bucket table, shared by the CPU kernel (core/ops/contrib_more3.cc) and the GPU glue
// (cuda/gpu_ops_ops3.cc, which reads h's first row back to the host for it).
#pragma once

#include <cstdint>
#include <vector>

#include "operator.h"

namespace mxc {
namespace op {

// The first d values of h (a host blob, float32 or float64) as bucket indices; an IndexError naming the operator
// for a value that is not in [0, out_dim).
std::vector<int64_t> SketchBuckets(const OpParams &p, const TBlob &h, int64_t d);

}  // namespace op
}  // namespace mxc
