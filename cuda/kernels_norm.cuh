// GPU kernels of LayerNorm and InstanceNorm behind the raw-pointer boundary (registered by cuda/gpu_ops_norm.cc).
// dtype codes are kernels.cuh's DTypeCode (float32/float64); req codes are OpReq's: 0 skip, 1 write, 2 write in
// place, 3 add.
//
// Both operators normalise rows of the data viewed as (outer, n, inner): the outer*inner rows of n elements `inner`
// apart (row r starts at (r / inner) * n * inner + r % inner). channels == 0: gamma/beta are indexed by the position
// in the row (LayerNorm, gamma of n entries); channels > 0: by the row's channel r % channels, with inner == 1
// (InstanceNorm: rows are the (N*C) spatial blocks, gamma of C entries). Statistics accumulate in double.
#pragma once

#include <cuda_runtime.h>

#include <cstdint>

namespace mxc {
namespace cuda {

struct RowNormGeom {
  int64_t outer, n, inner, channels;
};

// y (req_y) = gamma * (x - mean) / sqrt(var + eps) + beta per row; mean (req_mean) and the second statistic
// (req_stat): sqrt(var + eps) (LayerNorm's std), or var with stat_is_var (InstanceNorm). mean/stat may be null.
void RowNorm(int dtype, const RowNormGeom &g, double eps, bool stat_is_var, const void *x, const void *gamma,
             const void *beta, void *y, int req_y, void *mean, int req_mean, void *stat, int req_stat,
             cudaStream_t s);
// Gradients from dy and the forward's mean and stat: dx (req_x) = invstd * (h - mean(h) - x_hat * mean(h * x_hat))
// with h = dy * gamma over a row; dgamma (req_gamma) = sum dy * x_hat, dbeta (req_beta) = sum dy over the elements
// using each entry. Null pointers / req 0 skip a gradient.
void RowNormGrad(int dtype, const RowNormGeom &g, double eps, bool stat_is_var, const void *dy, const void *x,
                 const void *gamma, const void *mean, const void *stat, void *dx, int req_x, void *dgamma,
                 int req_gamma, void *dbeta, int req_beta, cudaStream_t s);

}  // namespace cuda
}  // namespace mxc
