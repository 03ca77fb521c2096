// GPU kernels of the fused RNN operator behind the raw-pointer boundary (registered by cuda/gpu_ops_rnn.cc, which
// runs core/ops/rnn_impl.h's algorithm with cuBLAS GEMMs and these). dtype codes are kernels.cuh's DTypeCode
// (float32 0, float64 1); m.lens, when set, is an int32 device array. Pointers as in rnn_impl.h's backend.
#pragma once

#include <cuda_runtime.h>

#include <cstdint>

#include "../core/ops/rnn_impl.h"

namespace mxc {
namespace cuda {

// The gate math of step t over the (N, H) state (rnn::StepForwardAt / MaskedForwardAt per element).
void RnnStepForward(int dtype, const op::rnn::Dims &m, int64_t t, void *g, const void *hh, const void *hprev,
                    const void *cprev, void *h, void *extra, cudaStream_t s);
// Its gradients (rnn::StepBackwardAt / MaskedBackwardAt per element).
void RnnStepBackward(int dtype, const op::rnn::Dims &m, int64_t t, const void *dy, int64_t stride, const void *g,
                     const void *hprev, const void *cprev, const void *extra, void *dh, void *dc, void *dax,
                     void *dah, cudaStream_t s);
// out (T, N, stride), columns [0, H) = hs (T, N, H), zero past a sequence's length.
void RnnWriteOutput(int dtype, const op::rnn::Dims &m, void *out, int64_t stride, const void *hs, cudaStream_t s);
// mask (n uniform draws in [0, 1)) becomes the dropout mask: 1 / (1 - p) where the draw is below 1 - p, else 0.
void RnnDropoutMask(int dtype, void *mask, int64_t n, double p, cudaStream_t s);

}  // namespace cuda
}  // namespace mxc
