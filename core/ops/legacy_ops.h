// The legacy operators Convolution_v1, Pooling_v1 and BatchNorm_v1 (names still found in saved MXNet graphs) run as
// the current Convolution, Pooling and BatchNorm (core/ops/legacy_ops.cc); the GPU glue (cuda/gpu_ops_misc4.cc) runs
// them through the current operators' GPU kernels the same way.
#pragma once

#include "operator.h"

namespace mxc {
namespace op {

// The parameters of the current operator that the legacy operator p.op() runs as (p's parameters translated; its
// op() is the current operator).
OpParams LegacyTargetParams(const OpParams &p);

// BatchNorm_v1 outputs the batch (or moving) variance where BatchNorm outputs the inverse standard deviation:
// var = 1 / invstd^2 - eps, and back invstd = 1 / sqrt(var + eps) (its backward takes BatchNorm's output). eps as
// BatchNorm gets it (BatchNorm_v1's eps is a float).
double LegacyBNEps(const OpParams &p);

}  // namespace op
}  // namespace mxc
