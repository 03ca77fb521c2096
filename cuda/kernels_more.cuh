// GPU kernels of cuda/more.cu behind the raw-pointer boundary (registered by cuda/gpu_ops_more.cc): the special
// functions (erf, erfinv, gamma, gammaln), rcbrt, softsign, hard_sigmoid, contrib isnan/isinf/isfinite, the logical
// and/or/xor operators and broadcast_hypot, _linspace, _eye, cumsum, the NaN-skipping reductions' helpers, moments,
// Pad, ravel/unravel, batch_take, khatri_rao, row selection (index_copy, scatter_nd), linalg helpers, the samplers
// and the densities. dtype codes are kernels.cuh's DTypeCode; req codes are OpReq's: 0 skip, 1 write, 2 write in place, 3 add.
#pragma once

#include <cuda_runtime.h>

#include <cstdint>

#include "kernels_shape.cuh"

namespace mxc {
namespace cuda {

// ---- unary functions: float32/float64 (the isnan/isinf/isfinite tests also take the integer dtypes) ----
enum MoreUnaryCode { kErf, kErfinv, kGamma, kGammaln, kRcbrt, kSoftsignFn, kHardSigmoid, kIsNan, kIsInf, kIsFinite };
// y (req) = f(x); a, b: hard_sigmoid's alpha and beta.
void MoreUnary(int code, int dtype, const void *x, void *y, int64_t n, double a, double b, int req, cudaStream_t s);
// gx (req) = g * f'(x) from the input x and/or the output y (as the CPU's gradient reads them: erf, gammaln,
// softsign and hard_sigmoid read x; erfinv and rcbrt read y; gamma reads both).
void MoreUnaryGrad(int code, int dtype, const void *g, const void *x, const void *y, void *gx, int64_t n, double a,
                   double b, int req, cudaStream_t s);

// ---- logical and/or/xor (every numeric dtype: 1 or 0 in the dtype) and hypot (float32/float64) ----
enum MoreBinaryCode { kLogicalAnd, kLogicalOr, kLogicalXor, kHypot };
// out[i] (req) = f(a, b) over the output's shape (v: the operands' strides, as BroadcastBinary's).
void MoreBinary(int code, int dtype, const void *a, const void *b, const BinView &v, void *out, int64_t n, int req,
                cudaStream_t s);
// out[i] (req) = f(x[i], scalar) with the scalar converted to the dtype as the CPU does.
void MoreScalar(int code, int dtype, const void *x, double scalar, void *out, int64_t n, int req, cudaStream_t s);
// d[i] (req) = g[i] * a / hypot(a, b) (side 0) or g[i] * b / hypot(a, b) (side 1) at output element i.
void HypotDeriv(int side, int dtype, const void *g, const void *a, const void *b, const BinView &v, void *d,
                int64_t n, int req, cudaStream_t s);

// ---- creation (float32/float64 and the integer dtypes) ----
// out[i] (req) = start + step * i, computed in double and converted as the CPU's static_cast.
void Linspace(int dtype, void *out, int64_t n, double start, double step, int req, cudaStream_t s);
// out (rows, cols) (req) = 1 on diagonal k (column - row == k), else 0.
void Eye(int dtype, void *out, int64_t rows, int64_t cols, int64_t k, int req, cudaStream_t s);

// ---- cumsum: running sums along n of (outer, n, inner) arrays (reverse: from the end), accumulated in the output
// dtype; in and out dtypes: float32/float64 and the integer dtypes ----
void Cumsum(int in_dtype, const void *x, int out_dtype, void *y, int64_t outer, int64_t n, int64_t inner,
            bool reverse, int req, cudaStream_t s);

// ---- NaN helpers (float32/float64) ----
// y = x with NaN replaced by value (written, not added).
void ReplaceNan(int dtype, const void *x, void *y, int64_t n, double value, cudaStream_t s);
// d[i] (req) = x[i] is NaN ? 0 : src[i].
void MaskNan(int dtype, const void *src, const void *x, void *d, int64_t n, int req, cudaStream_t s);

// ---- moments over a reduction view (float32/float64): mean and biased variance of each output (accumulated in
// double; mean/var null or req 0: not written) ----
void Moments(int dtype, const void *x, const RedView &r, void *mean, int req_mean, void *var, int req_var,
             cudaStream_t s);
// dx[i] (req) = (gm[o] + 2 gv[o] (x[i] - m[o])) / count for the output o(i) of BackView v.
void MomentsGrad(int dtype, const void *x, const void *gm, const void *gv, const void *m, const BackView &v,
                 double count, void *dx, int64_t n, int req, cudaStream_t s);

// ---- Pad over (planes, d0, d1, d2) arrays (4-d data: d0 = 1); mode 0 constant, 1 edge, 2 reflect ----
struct PadGeom {
  int64_t planes, in[3], out[3], before[3];
};
void Pad(int dtype, int mode, const void *x, void *y, const PadGeom &g, double value, int req, cudaStream_t s);
// The constant mode's gradient: dx (req) = the head gradient at each input element's output position.
void PadConstantGrad(int dtype, const void *dy, void *dx, const PadGeom &g, int req, cudaStream_t s);
// The edge (mode 1) and reflect (2) gradients: dx (req) = the sum of the head gradients at every output position that
// reads each input element.
void PadGatherGrad(int dtype, int mode, const void *dy, void *dx, const PadGeom &g, int req, cudaStream_t s);

// ---- ravel_multi_index / unravel_index for an array of shape dims[0..m) (m <= 10; every numeric dtype, values
// truncated to int64 as the CPU reads them) ----
struct RavelDims {
  int m;
  int64_t dim[10], stride[10];
};
// y[i] (req) = sum_k x[k * n + i] * stride[k], i < n.
void Ravel(int dtype, const void *x, void *y, int64_t n, const RavelDims &d, int req, cudaStream_t s);
// y[k * n + i] (req) = x[i] / stride[0] (k = 0), x[i] / stride[k] % dim[k] (k > 0), i < n.
void Unravel(int dtype, const void *x, void *y, int64_t n, const RavelDims &d, int req, cudaStream_t s);

// ---- batch_take: y[i] (req) = a[i * k + rows[i]] (rows resolved to [0, k)); every numeric dtype ----
void BatchTake(int dtype, const void *a, const int64_t *rows, void *y, int64_t n, int64_t k, int req,
               cudaStream_t s);

// ---- y[i] = -log(u[i]) / lam from uniform draws u in (0, 1) (double): exponential samples (float32/float64) ----
void ExponentialFromUniform(int dtype, const double *u, double lam, void *y, int64_t n, cudaStream_t s);

// ---- _sample_uniform (kind 0: th0 + (th1 - th0) u), _sample_normal (1: th0 + th1 z), _sample_exponential
// (2: -log(u) / th0) with per-distribution parameters th0/th1 (np of them, param_dtype: float32/float64; th1 null
// for exponential) and `per` draws each: out[i * per + j] (req) from the standard draws r (double; uniform in (0, 1)
// for kinds 0 and 2, standard normal for kind 1). ----
void SampleTransform(int kind, int param_dtype, const void *th0, const void *th1, int64_t np, int64_t per,
                     const double *r, int out_dtype, void *out, int req, cudaStream_t s);
// *bad (unsigned long long, zeroed by the caller) becomes 1 when a parameter is invalid: uniform th0 > th1 (or NaN),
// normal th1 < 0 (or NaN), exponential th0 <= 0 (or NaN); and for SampleDist's kinds: gamma (3) th0, th1 > 0,
// poisson (4) th0 >= 0, negative binomial (5) th0 >= 0 and 0 < th1 <= 1, generalized negative binomial (6) th0,
// th1 >= 0.
void SampleCheck(int kind, int param_dtype, const void *th0, const void *th1, int64_t np, unsigned long long *bad,
                 cudaStream_t s);

// ---- linalg helpers (float32/float64) ----
// Between a batch of matrices (mat_size elements each) and vectors of len elements: element k of vector b is element
// map[k] of matrix b (map: len device int64). to_vec: vecs (req) = mats at the map; else mats at the map (req) = vecs
// (the caller zeroes the rest of mats).
void MapCopy(int dtype, void *mats, void *vecs, const int64_t *map, int64_t len, int64_t batch, int64_t mat_size,
             bool to_vec, int req, cudaStream_t s);
// dst[b][i][j] (req) = (lower ? j <= i : j >= i) ? src[b] at (i, j), or at (j, i) with transpose : 0, for a batch
// of n x n matrices.
void TriMask(int dtype, const void *src, void *dst, int64_t batch, int64_t n, bool lower, bool transpose, int req,
             cudaStream_t s);
// out[b] (req) = sum_i log(A[b][i][i]) over a batch of n x n matrices (in double).
void SumLogDiag(int dtype, const void *a, void *out, int64_t batch, int64_t n, int req, cudaStream_t s);
// dA[b][i][j] (req) = i == j ? g[b] / A[b][i][i] : 0.
void SumLogDiagGrad(int dtype, const void *g, const void *a, void *da, int64_t batch, int64_t n, int req,
                    cudaStream_t s);

// ---- khatri_rao of up to 8 matrices (rows[i] x cols; float32/float64): out[r, c] (req) = prod_i in_i[r_i, c] with
// the last input's row index r_i varying fastest ----
struct KhatriRaoArgs {
  int n;
  const void *in[8];
  int64_t rows[8];
};
void KhatriRao(int dtype, const KhatriRaoArgs &a, void *out, int64_t rows, int64_t cols, int req, cudaStream_t s);

// ---- rows of `row` elements (every numeric dtype): out row r (req) = sel[r] >= 0 ? row sel[r] of b : row r of a,
// r < rows; a null a or b reads zeros (index_copy and its gradients) ----
void RowSelect(int dtype, const void *a, const void *b, const int64_t *sel, int64_t rows, int64_t row, void *out,
               int req, cudaStream_t s);

// ---- _random_pdf_<d> (float32/float64): the density (or its log) of samples x with per-distribution parameters
// th0/th1 (np of them, `per` samples each; th1 null for one-parameter distributions). dist: 0 uniform, 1 normal,
// 2 gamma (shape, rate), 3 exponential, 4 poisson, 5 negative_binomial (k, p), 6 generalized_negative_binomial
// (mu, alpha). ----
void RandomPdf(int dist, int dtype, const void *x, const void *th0, const void *th1, int64_t np, int64_t per,
               bool log, void *out, int req, cudaStream_t s);
// Gradients for head g: dx (req_x) = g' dL/dx per sample, dth_k (req_k) = sum over the samples of g' dL/dth_k, with
// g' = g (log) or g * density. Null pointers / req 0 skip a gradient.
void RandomPdfGrad(int dist, int dtype, const void *g, const void *x, const void *th0, const void *th1, int64_t np,
                   int64_t per, bool log, void *dx, int req_x, void *dth0, int req0, void *dth1, int req1,
                   cudaStream_t s);

// ---- draws by rejection, each element from its own counter-based stream (Philox-4x32-10 under key, counter = the
// element's index): kind 3 gamma (shape th0, scale th1; Marsaglia-Tsang), 4 poisson (th0; products of uniforms
// below 10, Hoermann's PTRS above), 5 negative binomial (k th0, p th1), 6 generalized negative binomial (mu th0,
// alpha th1). Parameters per distribution (th0/th1 arrays of param_dtype, np of them, `per` draws each) or scalars
// (null arrays: s0, s1). out: float32/float64 (param_dtype too). ----
void SampleDist(int kind, int param_dtype, const void *th0, const void *th1, double s0, double s1, int64_t np,
                int64_t per, uint64_t key, int out_dtype, void *out, int req, cudaStream_t s);
// _random_randint: out (int32 or int64, written) uniform in [low, high) (low < high), by rejection of 64-bit words.
void Randint(int dtype, long long low, long long high, uint64_t key, void *out, int64_t n, cudaStream_t s);

}  // namespace cuda
}  // namespace mxc
