// Glue shared by the GPU kernel registrations: the CPU operators' reduction layouts (core/ops/shape_views.h) as the
// reduction kernels' views (kernels_shape.cuh). Defined in cuda/gpu_ops_shape.cc.
#pragma once

#include "kernels_shape.cuh"
#include "ops/shape_views.h"

namespace mxc {
namespace gpu {

// A reduction layout (contiguous input of L.dim) as kept x reduced axes with the input's strides.
cuda::RedView ToRedView(const op::RedLayout &L);
// A reduction layout as the backward kernels' view (dims and output strides).
cuda::BackView ToBackView(const op::RedLayout &L);

}  // namespace gpu
}  // namespace mxc
