// SequenceMask and UpSampling pieces shared by the CPU operators (nn_seq_upsample.cc) and the GPU glue
// (cuda/gpu_ops_seq.cc).
#pragma once

#include <cstdint>

#include "operator.h"

namespace mxc {
namespace op {

// SequenceMask's view of data: T steps of N sequences of `rest` elements; batch_major (axis=1): (N, T, rest), else
// (T, N, rest).
struct SeqMaskGeom {
  int64_t T = 0, N = 0, rest = 1;
  bool batch_major = false;
};
SeqMaskGeom SeqMaskGeomOf(const OpParams &p, const TShape &data);

// UpSampling's parameter checks (ValueErrors naming the operator and the parameter): sample_type 'nearest',
// num_args 1, scale >= 1.
void CheckUpSamplingParams(const OpParams &p);

}  // namespace op
}  // namespace mxc
