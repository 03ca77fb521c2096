// GPU kernels of the indexing operators, the remaining nn operators and loss heads, rmsprop and _arange, behind the
// raw-pointer boundary of kernels.cuh (registered by cuda/gpu_ops_index.cc). dtype codes are kernels.cuh's DTypeCode
// (data: float32/float64 unless said otherwise); req codes are OpReq's: 0 skip, 1 write, 2 write in place, 3 add.
//
// Index arrays may have any dtype but float16 (idx_dtype): they are read as the CPU operators read them, floating
// point truncated toward zero, NaN and values beyond int64 as INT64_MIN (out of range).
#pragma once

#include <cuda_runtime.h>

#include <cstdint>

namespace mxc {
namespace cuda {

constexpr int kIndexMaxDim = 10;  // base.h's kMaxDim

// ---- indices ----
enum IndexMode { kIndexClip = 0, kIndexWrap = 1, kIndexRaise = 2 };
// out[i] = idx[i] resolved for an axis of size n (> 0): clip to [0, n-1] or wrap around (raise clips too). With
// first_bad, *first_bad becomes the smallest position of an out-of-range index (UINT64_MAX when none).
void ResolveIndices(int idx_dtype, const void *idx, int64_t count, int64_t n, int mode, int64_t *out,
                    unsigned long long *first_bad, cudaStream_t s);
// gather_nd: idx (M, Y) indexes the first M axes (M <= kIndexMaxDim) of data of shape dims[0..M) (a host array);
// rows[y] = the row-major offset of
// tuple y (negative indices count from the end). *first_bad: the smallest y holding an out-of-range index
// (UINT64_MAX when none); its rows entry is 0.
void GatherNdRows(int idx_dtype, const void *idx, int64_t M, int64_t Y, const int64_t *dims, int64_t *rows,
                  unsigned long long *first_bad, cudaStream_t s);
// out[o, k, :] (=|+=) data[o, rows[k], :] for data viewed as (outer, n, inner) and K rows.
void GatherRows(int dtype, const void *data, const int64_t *rows, int64_t outer, int64_t n, int64_t inner, int64_t K,
                void *out, int req, cudaStream_t s);
// grad[o, rows[k], :] += og[o, k, :] (grad zeroed first unless req is add; repeated rows accumulate).
void ScatterAddRows(int dtype, const void *og, const int64_t *rows, int64_t outer, int64_t n, int64_t inner,
                    int64_t K, void *grad, int req, cudaStream_t s);
// pick: out[o, i] (=|+=) data[o, rows[o, i], i] for data viewed as (outer, n, inner).
void Pick(int dtype, const void *data, const int64_t *rows, int64_t outer, int64_t n, int64_t inner, void *out,
          int req, cudaStream_t s);
// grad[o, rows[o, i], i] += og[o, i] (grad zeroed first unless req is add).
void PickGrad(int dtype, const void *og, const int64_t *rows, int64_t outer, int64_t n, int64_t inner, void *grad,
              int req, cudaStream_t s);
// out[i, k] (=|+=) (idx[i] == k ? on : off) for k < depth.
void OneHot(int dtype, int idx_dtype, const void *idx, int64_t count, int64_t depth, double on, double off, void *out,
            int req, cudaStream_t s);
// where: out[i] (=|+=) cond[i / per] != 0 ? x[i] : y[i] (cond of any dtype but float16);
void Where(int dtype, int cond_dtype, const void *cond, int64_t per, const void *x, const void *y, void *out,
           int64_t n, int req, cudaStream_t s);
// and its gradient: gx (=|+=) cond ? g : 0, gy (=|+=) cond ? 0 : g (req 0 skips one).
void WhereGrad(int dtype, int cond_dtype, const void *cond, int64_t per, const void *g, void *gx, int req_x, void *gy,
               int req_y, int64_t n, cudaStream_t s);
// argmax (is_max) / argmin along n for x viewed as (outer, n, inner): out (=|+=) the index in x's dtype, the first one
// on ties, the first NaN if any.
void ArgExtreme(int dtype, bool is_max, const void *x, int64_t outer, int64_t n, int64_t inner, void *out, int req,
                cudaStream_t s);

// ---- elementwise extras ----
// clip: y (=|+=) min(max(x, lo), hi); gradient: gx (=|+=) lo <= x <= hi ? g : 0.
void Clip(int dtype, const void *x, double lo, double hi, void *y, int64_t n, int req, cudaStream_t s);
void ClipGrad(int dtype, const void *g, const void *x, double lo, double hi, void *gx, int64_t n, int req,
              cudaStream_t s);
// gx (=|+=) g * f'(x) for the functions whose CPU gradient reads the output y = f(x): tan, cbrt.
void UnaryGradFromOut(int code, int dtype, const void *g, const void *y, void *gx, int64_t n, int req,
                      cudaStream_t s);
// _arange: out[i] (=|+=) start + (i / repeat) * step.
void Arange(int dtype, double start, double step, int64_t repeat, void *out, int64_t n, int req, cudaStream_t s);

// ---- slice assignment (Python slicing, resolved by the caller) ----
struct SliceRegion {
  int nd;
  int64_t shape[kIndexMaxDim];                                     // the array's shape
  int64_t start[kIndexMaxDim], step[kIndexMaxDim], len[kIndexMaxDim];  // the region per dimension
};
// out[i] (=|+=) i in the region ? (rhs ? rhs[its position in region order] : scalar) : lhs[i] (out may be lhs; rhs
// must not overlap out). With rhs: any dtype for a writing req; otherwise float32/float64.
void SliceAssign(int dtype, const SliceRegion &r, const void *lhs, const void *rhs, double scalar, void *out,
                 int64_t n, int req, cudaStream_t s);
// Gradients: glhs (=|+=) og outside the region, 0 inside; grhs (=|+=) the region of og (req 0 skips one).
void SliceAssignGrad(int dtype, const SliceRegion &r, const void *og, void *glhs, int req_lhs, void *grhs,
                     int req_rhs, int64_t n, cudaStream_t s);

// ---- neural network ----
// Dropout mask from uniform [0, 1) draws of the reduced shape (shape, rstride: host arrays of nd entries, the full
// shape and the strides of its index into the draws, 0 along shared axes; nd 0: one draw per element): mask[i] = draw < 1 - p ?
// 1 / (1 - p) : 0 (0 for p >= 1). `draws` may be `mask` itself when nd is 0.
void DropoutMask(int dtype, const void *draws, int nd, const int64_t *shape, const int64_t *rstride, double p,
                 void *mask, int64_t n, cudaStream_t s);
// LeakyReLU (act: 0 elu, 1 gelu, 2 leaky, 3 prelu, 4 rrelu, 5 selu, the CPU's enum order); slope: the leaky/elu
// slope; gamma (prelu: size gsize, per channel c of x viewed as (outer, c, inner)) or mask (rrelu, per element).
void LeakyRelu(int dtype, int act, const void *x, double slope, const void *gamma, int64_t gsize, int64_t c,
               int64_t inner, const void *mask, void *y, int64_t n, int req, cudaStream_t s);
void LeakyReluGrad(int dtype, int act, const void *g, const void *x, double slope, const void *gamma, int64_t gsize,
                   int64_t c, int64_t inner, const void *mask, void *gx, int64_t n, int req, cudaStream_t s);
// prelu's gamma gradient: dgamma[k] (=|+=) sum of x * g where x <= 0 (or NaN) over the elements of slope k.
void PreluGammaGrad(int dtype, const void *g, const void *x, int64_t gsize, int64_t c, int64_t inner, void *dgamma,
                    int64_t n, int req, cudaStream_t s);
// BatchNorm over x viewed as (outer, C, inner). batch: the batch statistics (updating moving_mean/var with
// momentum), else the moving ones. Writes y (req), mean and inverse std (always).
void BatchNorm(int dtype, const void *x, const void *gamma, const void *beta, void *moving_mean, void *moving_var,
               void *y, void *mean, void *invstd, int64_t outer, int64_t C, int64_t inner, double eps,
               double momentum, bool fix_gamma, bool batch, int req, cudaStream_t s);
void BatchNormGrad(int dtype, const void *dy, const void *x, const void *gamma, const void *mean,
                   const void *invstd, void *dx, int req_x, void *dgamma, int req_gamma, void *dbeta, int req_beta,
                   int64_t outer, int64_t C, int64_t inner, bool fix_gamma, bool batch, cudaStream_t s);
// Regression heads' gradient: gx (=|+=) f(y - label) * scale, f the identity (mae: sign).
void RegressionGrad(int dtype, bool mae, const void *y, const void *label, double scale, void *gx, int64_t n, int req,
                    cudaStream_t s);
// MakeLoss's gradient: gx (=|+=) scale, divided by max(1, the number of y > thresh) when valid.
void MakeLossGrad(int dtype, const void *y, bool valid, double thresh, double scale, void *gx, int64_t n, int req,
                  cudaStream_t s);

// ---- optimizers (w_out may alias w; n_state, g_state, delta updated in place) ----
struct RMSPropHyper {
  double lr, wd, rescale, clip;  // clip <= 0: no gradient clipping
  double gamma1, gamma2, epsilon, clip_weights;  // clip_weights <= 0: no weight clipping
};
// alex: Graves' variant (g_state and delta used), else plain rmsprop.
void RMSPropUpdate(int dtype, bool alex, const void *w, const void *g, void *n_state, void *g_state, void *delta,
                   void *w_out, int64_t n, const RMSPropHyper &h, int req, cudaStream_t s);

}  // namespace cuda
}  // namespace mxc
