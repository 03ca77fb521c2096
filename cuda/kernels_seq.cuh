// GPU kernels of smooth_l1, SequenceMask, SequenceReverse, SequenceLast and UpSampling (nearest) behind the raw-pointer boundary (registered by
// cuda/gpu_ops_seq.cc). dtype codes are kernels.cuh's DTypeCode: the forwards take float32/float64 and the integer
// dtypes (uint8 3, int32 4, int8 5, int64 6), the gradients float32/float64. req codes are OpReq's: 0 skip, 1 write,
// 2 write in place, 3 add.
#pragma once

#include <cuda_runtime.h>

#include <cstdint>

namespace mxc {
namespace cuda {

// y (req) = smooth_l1(x) with sigma = scalar (converted to the dtype first; integers computed in double and
// truncated), over n elements.
void SmoothL1(int dtype, const void *x, void *y, int64_t n, double scalar, int req, cudaStream_t s);
// dx (req) = dy * d smooth_l1(x) / dx.
void SmoothL1Grad(int dtype, const void *dy, const void *x, void *dx, int64_t n, double scalar, int req,
                  cudaStream_t s);

// y (req) = x where the step t of sequence b is below len[b] (len of dtype len_dtype, N entries, truncated towards
// zero; null: every position kept), else value (converted to the dtype). The data is (T, N, rest), or (N, T, rest)
// with batch_major. The gradient is the same call on the head gradient with value 0.
void SequenceMask(int dtype, const void *x, void *y, int len_dtype, const void *len, int64_t T, int64_t N,
                  int64_t rest, bool batch_major, double value, int req, cudaStream_t s);

// SequenceReverse: y (req) = x with the first len[b] steps of each sequence b reversed (len as in SequenceMask,
// clamped to [0, T]); the gradient is the same call on the head gradient.
void SequenceReverse(int dtype, const void *x, void *y, int len_dtype, const void *len, int64_t T, int64_t N,
                     int64_t rest, bool batch_major, int req, cudaStream_t s);
// SequenceLast: y (N, rest) (req) = step len[b] - 1 of each sequence b (len clamped to [1, T]; null: step T - 1).
void SequenceLast(int dtype, const void *x, void *y, int len_dtype, const void *len, int64_t T, int64_t N,
                  int64_t rest, bool batch_major, int req, cudaStream_t s);
// Its gradient: dx (req) = dy (N, rest) at the picked step of each sequence, 0 elsewhere.
void SequenceLastGrad(int dtype, const void *dy, void *dx, int len_dtype, const void *len, int64_t T, int64_t N,
                      int64_t rest, bool batch_major, int req, cudaStream_t s);

// y (planes, H*scale, W*scale) (req) = x (planes, H, W) repeated over scale x scale blocks.
void UpSamplingNearest(int dtype, const void *x, void *y, int64_t planes, int64_t H, int64_t W, int64_t scale, int req,
                       cudaStream_t s);
// dx (planes, H, W) (req) = the sum of each scale x scale block of dy (planes, H*scale, W*scale).
void UpSamplingNearestGrad(int dtype, const void *dy, void *dx, int64_t planes, int64_t H, int64_t W, int64_t scale,
                           int req, cudaStream_t s);

}  // namespace cuda
}  // namespace mxc
