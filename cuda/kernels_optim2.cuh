// Kernels of cuda/optim2.cu: AdamW and LAMB (single, multi-tensor and mixed precision), multi-tensor SGD (plain,
// momentum, mixed precision, with host or device learning rates), multi_sum_sq, multi_lars, all_finite
// (core/ops/optimizer_more.cc and core/ops/amp_ops.cc have the formulas and the CPU kernels). Raw pointers, sizes and a
// stream only.
//
// Weight dtype codes: 0 float32, 1 float64, 2 float16. A mixed-precision update (mp) computes in float32 on the master
// copy w32 with float32 states, the weight float16 or float32; otherwise the weight, gradient and states share the
// dtype (float32 or float64) and so does the arithmetic.
#pragma once

#include <cuda_runtime.h>

#include <cstdint>

namespace mxc {
namespace cuda {

struct AdamWHyper {
  double lr, wd, eta, beta1, beta2, epsilon, clip;  // clip <= 0: no clipping
};
// AdamW: rescale is a one-element device array of dtype rdtype (0 float32, 1 float64), read on the device; NaN, Inf
// or 0 skips the step (out = weight, the states kept).
void AdamWUpdate(int wdtype, bool mp, const void *w, const void *g, void *mean, void *var, float *w32,
                 const void *rescale, int rdtype, void *out, int64_t n, const AdamWHyper &h, int req, cudaStream_t s);

struct LambHyper {
  double lr, wd, beta1, beta2, epsilon, rescale, clip;
  double c1, c2;        // bias corrections 1 - beta^t (1 when off), as the compute type
  double lower, upper;  // bounds of |weight| (< 0: not set)
};
// One tensor of _multi_lamb_update / _multi_mp_lamb_update: phase 1 (mean, var updated; direction r), the norms
// |weight| (of the weight itself) and |r| reduced on the device, then weight -= lr * r1 / r2 * r (lr alone when a norm
// is 0); no host synchronisation.
void LambUpdate(int wdtype, bool mp, const void *w, const void *g, void *mean, void *var, float *w32, void *out,
                int64_t n, const LambHyper &h, int req, cudaStream_t s);
// mp_lamb_update_phase1: out (float32) = mean' / (sqrt(var') + eps) + wd * w32, the states updated (weight unused).
void MpLamb1Update(int wdtype, const void *g, float *mean, float *var, const float *w32, float *out, int64_t n,
                   const LambHyper &h, int req, cudaStream_t s);
// mp_lamb_update_phase2: w32 -= lr' * g with lr' from the one-element float32 device arrays r1, r2 (as
// lamb_update_phase2), weight = w32 as wdtype.
void MpLamb2Update(int wdtype, const float *g, const float *r1, const float *r2, double lr, double lower,
                   double upper, float *w32, void *out, int64_t n, int req, cudaStream_t s);

// One tensor of the multi-tensor SGD updates: mom (the momentum state, or null), w32 (mp: the master copy), its
// learning rate and weight decay (when the call has no lrs/wds arrays) and request.
struct MultiSGDTensor {
  const void *w, *g;
  void *mom;
  float *w32;
  void *out;
  int64_t n;
  double lr, wd;
  int req;
  int k;  // its position in the lrs/wds arrays
};
// The multi-tensor SGD updates of count tensors, in one launch per kMultiSGDPerLaunch of them. When lrs is not null,
// a tensor's learning rate and weight decay are lrs[k]/wds[k], read on the device (arrays of the compute type:
// float32 for mp, else the weights'). Weights of dtype wdtype (mp: float16 or float32 with float32 master copies).
constexpr int kMultiSGDPerLaunch = 32;
void MultiSGDUpdate(int wdtype, bool mp, const MultiSGDTensor *ts, int count, const void *lrs, const void *wds,
                    double momentum, double rescale, double clip, cudaStream_t s);

// The sums of squares (in float64, stored as float32 at out[k] by req) of arrays xs[k] (device pointers, dtype
// 0/1/2) of sizes ns[k].
void MultiSumSq(int dtype, const void *const *xs, const int64_t *ns, int count, float *out, int req, cudaStream_t s);

// multi_lars: out = lr * eta * |w| / (|g| * rescale + wd * |w| + eps) where both norms are > 0, else lr.
void MultiLars(int dtype, const void *lr, const void *wsq, const void *gsq, const void *wd, void *out, int64_t n,
               double eta, double eps, double rescale, int req, cudaStream_t s);

// all_finite: *out (float32) = 0 when an element of x is NaN or infinite (dtype 0/1/2; other dtypes have none).
void MarkNonFinite(int dtype, const void *x, int64_t n, float *out, cudaStream_t s);

}  // namespace cuda
}  // namespace mxc
