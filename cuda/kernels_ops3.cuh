// GPU kernels of cuda/ops3.cu behind the raw-pointer boundary (registered by cuda/gpu_ops_ops3.cc): Correlation and
// contrib count_sketch, contrib RROIAlign, fill_element_0index, contrib hawkesll,
// contrib group_adagrad_update.
// float32/float64 (dtype codes of kernels.cuh: 0 float32, 1 float64); req codes are OpReq's:
// 0 skip, 1 write, 2 write in place, 3 add.
#pragma once

#include <cuda_runtime.h>

#include <cstdint>

#include "../core/ops/correlation_impl.h"
#include "../core/ops/rroi_impl.h"

namespace mxc {
namespace cuda {

// ---- Correlation (core/ops/correlation.cc): data (N, C, H, W) zero-padded by pad; output (N, D * D, th, tw) with
// D = 2 r + 1; mult: products, else absolute differences ----
using CorrGeom = op::CorrGeom;  // core/ops/correlation_impl.h
void Correlation(int dtype, const CorrGeom &g, const void *a, const void *b, void *y, int req, cudaStream_t s);
// The gradient of data1 (second = false) or data2 (second = true), gathered per input element.
void CorrelationGrad(int dtype, const CorrGeom &g, bool second, const void *dy, const void *a, const void *b,
                     void *dx, int req, cudaStream_t s);

// ---- count_sketch: x (N, d) -> y (N, K); output bucket k sums s[i] x[n, i] over i = idx[off[k] .. off[k + 1])
// (increasing i); bucket[i] is i's bucket (for the gradient dx[n, i] = dy[n, bucket[i]] s[i]) ----
void CountSketch(int dtype, const void *x, const void *sgn, const int64_t *off, const int64_t *idx, void *y,
                 int64_t N, int64_t d, int64_t K, int req, cudaStream_t s);
void CountSketchGrad(int dtype, const void *dy, const void *sgn, const int64_t *bucket, void *dx, int64_t N,
                     int64_t d, int64_t K, int req, cudaStream_t s);

// ---- RROIAlign (forward): rois (R, 6) = [batch, cx, cy, w, h, degrees]; y (R, C, PH, PW); scale as a float ----
using RROIGeom = op::RROIGeom;  // core/ops/rroi_impl.h
void RROIAlign(int dtype, const RROIGeom &g, const void *x, const void *rois, void *y, int req, cudaStream_t s);

// ---- fill_element_0index: y[i, j] (req) = v[i] where j == trunc(idx[i]) (in [0, m)), else x[i, j] ----
void FillElement0Index(int dtype, const void *x, const void *v, const void *idx, void *y, int64_t n, int64_t m,
                       int req, cudaStream_t s);

// ---- hawkesll (core/ops/contrib_more3.cc): one thread per sample. Inputs in the order lda (N, K), alpha (K,),
// beta (K,), state (N, K), lags (N, T), marks (N, T) int32, valid_length (N,), max_time (N,). ----
struct HawkesArgs {
  const void *lda, *alpha, *beta, *state, *lags, *valid, *tmax;
  const int32_t *marks;
  int64_t N, K, T;
};
// *bad (zeroed by the caller) becomes nonzero when a mark of a valid event is not in [0, K) or a valid_length
// (rounded up) not in [0, T].
void HawkesCheck(int dtype, const HawkesArgs &a, unsigned long long *bad, cudaStream_t s);
// ll (N,) and state_out (N, K) with their requests; scratch: 4 N K doubles.
void HawkesLL(int dtype, const HawkesArgs &a, void *ll, int req_ll, void *state_out, int req_state, double *scratch,
              cudaStream_t s);
// The gradients of sum_n head[n] ll[n]: dlda (N, K), dalpha and dbeta (K,) with their requests (0: skipped);
// scratch: 7 N K doubles.
void HawkesLLGrad(int dtype, const HawkesArgs &a, const void *head, void *dlda, int req_lda, void *dalpha,
                  int req_alpha, void *dbeta, int req_beta, double *scratch, cudaStream_t s);

// ---- group_adagrad_update: weight, grad (R, C), history (R,) updated in place; y (req) the new weight ----
struct GroupAdagradHyper {
  double lr, rescale, clip, eps;  // clip <= 0: off
};
void GroupAdagrad(int dtype, const GroupAdagradHyper &hp, const void *w, const void *g, void *hist, void *y,
                  int64_t R, int64_t C, int req, cudaStream_t s);

}  // namespace cuda
}  // namespace mxc
