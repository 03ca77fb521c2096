// The RNN operator's parameters as rnn_impl.h's Dims: shared by the CPU kernels (nn_rnn.cc) and the GPU glue
// (cuda/gpu_ops_rnn.cc).
#pragma once

#include <vector>

#include "operator.h"
#include "rnn_impl.h"

namespace mxc {
namespace op {
namespace rnn {

// The call's dimensions from the parameters and data's shape (T, N, I); validates the parameters (ValueError, or
// ShapeError for data that is not rank 3, naming the operator and the argument).
Dims DimsOf(const OpParams &p, const TShape &data);
// DimsOf for a kernel: also a ShapeError when data has an empty dimension.
Dims KernelDimsOf(const OpParams &p, const TShape &data);
// sequence_length's values (a blob in host memory, any dtype) as int32, each checked to lie in [0, T].
std::vector<int32_t> LengthsOf(const OpParams &p, const TBlob &lengths, int64_t T);
// The visible state outputs: with state_outputs, hy and (lstm) cy.
int NumStateOutputs(const OpParams &p);

}  // namespace rnn
}  // namespace op
}  // namespace mxc
