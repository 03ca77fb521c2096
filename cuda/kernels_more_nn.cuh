// GPU kernels of cuda/more_nn.cu behind the raw-pointer boundary (registered by cuda/gpu_ops_more_nn.cc): LRN,
// GroupNorm's statistics gradient, contrib AdaptiveAvgPooling2D and contrib BilinearResize2D. float32/float64 (dtype
// codes of kernels.cuh); req codes are OpReq's: 0 skip, 1 write, 2 write in place, 3 add.
#pragma once

#include <cuda_runtime.h>

#include <cstdint>

namespace mxc {
namespace cuda {

// ---- LRN over axis 1 of data seen as (outer, C, inner): S = knorm + alpha / nsize * (sum of squares over the
// channels within half of c), y = x * S^-beta (in double, as the CPU) ----
struct LRNGeom {
  int64_t outer, C, inner, half;
  double knorm, alpha_n, beta;  // alpha_n = alpha / nsize
};
void LRN(int dtype, const LRNGeom &g, const void *x, void *y, int req, cudaStream_t s);
// dx (req) = g S^-beta - 2 beta alpha_n x sum_{c' near c} g_c' x_c' S_c'^(-beta - 1); tmp: outer*C*inner doubles.
void LRNGrad(int dtype, const LRNGeom &g, const void *dy, const void *x, void *dx, double *tmp, int req,
             cudaStream_t s);

// ---- GroupNorm: dx += (gmean[r] + gstd[r] * (x - mean[r]) / std[r]) / len for the rows r of len elements (the
// heads of the mean and std outputs; a null head counts as zero) ----
void GroupNormStatGradAdd(int dtype, const void *x, const void *mean, const void *std_, const void *gmean,
                          const void *gstd, void *dx, int64_t rows, int64_t len, cudaStream_t s);

// ---- AdaptiveAvgPooling2D over (planes, H, W) -> (planes, oh, ow): output cell (i, j) averages rows
// [floor(i H / oh), ceil((i + 1) H / oh)) and the same for columns ----
void AdaptiveAvgPool2D(int dtype, const void *x, void *y, int64_t planes, int64_t H, int64_t W, int64_t oh,
                       int64_t ow, int req, cudaStream_t s);
void AdaptiveAvgPool2DGrad(int dtype, const void *dy, void *dx, int64_t planes, int64_t H, int64_t W, int64_t oh,
                           int64_t ow, int req, cudaStream_t s);

// ---- BilinearResize2D: per axis and output index the two source indices i0, i1 and the weight l of i1 (device
// arrays); per input index, the outputs that read it: rev_o[rev_off[i] .. rev_off[i + 1]) with their weights
// rev_w (the sum of the weights of the taps reading it). ----
struct ResizeAxis {
  const int64_t *i0, *i1, *rev_off, *rev_o;
  const double *l, *rev_w;
};
void BilinearResize(int dtype, const void *x, void *y, int64_t planes, int64_t H, int64_t W, int64_t oh, int64_t ow,
                    const ResizeAxis &ay, const ResizeAxis &ax, int req, cudaStream_t s);
void BilinearResizeGrad(int dtype, const void *dy, void *dx, int64_t planes, int64_t H, int64_t W, int64_t oh,
                        int64_t ow, const ResizeAxis &ay, const ResizeAxis &ax, int req, cudaStream_t s);

// ---- L2Normalization over groups of n elements `inner` apart in (outer, n, inner) data: y (req) = x / norm,
// norm (written) = sqrt(sum x^2 + eps) per group (outer * inner of them) ----
void L2Norm(int dtype, const void *x, void *y, void *norm, int64_t outer, int64_t n, int64_t inner, double eps,
            int req, cudaStream_t s);
// dx (req) = (dy - y * sum_group(dy * y)) / norm.
void L2NormGrad(int dtype, const void *dy, const void *y, const void *norm, void *dx, int64_t outer, int64_t n,
                int64_t inner, int req, cudaStream_t s);

}  // namespace cuda
}  // namespace mxc
