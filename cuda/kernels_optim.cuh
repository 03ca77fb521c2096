// Kernels of cuda/optim.cu: the fused optimizer updates beyond sgd/nag/adam (core/ops/optimizer_more.cc has their
// formulas and the CPU kernels). Raw pointers, sizes and a stream only.
#pragma once

#include <cuda_runtime.h>

#include <cstdint>

namespace mxc {
namespace cuda {

struct OptMoreHyper {
  double lr, wd, rescale, clip;  // clip <= 0: no clipping
  double momentum, wd_lh;        // signum
  double beta1, beta2, epsilon;  // ftml, lamb phase 1
  double c1, c2;                 // bias corrections 1 - beta^t (1 when off)
  double lamda1, beta;           // ftrl
};
// kind: 0 signsgd (w, g), 1 signum (w, g, mom), 2 ftml (w, g, d, v, z), 3 ftrl (w, g, z, n),
// 4 lamb phase 1 (w, g, mean, var; out: the update direction). dtype float32/float64; states s1..s3 in order.
void OptimizerUpdateMore(int kind, int dtype, const void *w, const void *g, void *s1, void *s2, void *s3, void *out,
                         int64_t n, const OptMoreHyper &h, int req, cudaStream_t s);
// LAMB phase 2: out = w - lr' * g, lr' = lr * r1' / r2 with r1' = r1 clamped to [lb, ub] (each when >= 0) and lr' = lr
// when r1' or r2 is 0; r1 and r2 are one-element device arrays of the dtype.
void Lamb2Update(int dtype, const void *w, const void *g, const void *r1, const void *r2, double lr, double lb,
                 double ub, void *out, int64_t n, int req, cudaStream_t s);
// Mixed-precision SGD on the float32 master copy w32 (kind 0 plain, 1 momentum, 2 Nesterov), the weight written as
// wdtype (0 float32, 2 float16); g has the weight's dtype.
void MpSGDUpdate(int kind, int wdtype, const void *g, float *mom, float *w32, void *out, int64_t n, float lr, float wd,
                 float momentum, float rescale, float clip, int req, cudaStream_t s);

}  // namespace cuda
}  // namespace mxc
