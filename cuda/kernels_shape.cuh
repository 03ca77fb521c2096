// GPU kernels of the layout, broadcasting and reduction operators (cuda/shape.cu), behind the raw-pointer boundary
// of kernels.cuh: pointers, sizes, small plain structs and a stream. dtype codes are kernels.cuh's DTypeCode.
#pragma once

#include <cuda_runtime.h>

#include <cstdint>

namespace mxc {
namespace cuda {

constexpr int kMaxView = 22;  // as many axes as the CPU's layouts (2 * kMaxDim + 2)

// The elements of a strided array in the row-major order of `shape`: element (i0, i1, ...) is at
// offset + sum(ik * stride[k]) (strides in elements; 0 repeats an element).
struct View {
  int n = 0;
  int64_t shape[kMaxView];
  int64_t stride[kMaxView];
  int64_t offset = 0;
};

// dst[i] (=|+=) src[v(i)] for dst contiguous with v's shape. Every dtype (by element size) when writing; req add
// needs float32/float64.
void Gather(int dtype, const void *src, const View &v, void *dst, int64_t n, int req, cudaStream_t s);
// big[v(i)] (=|+=) small[i] for small contiguous with v's shape; v must not repeat an element. Elements of big
// outside the view are left as they are.
void Scatter(int dtype, const void *small, const View &v, void *big, int64_t n, int req, cudaStream_t s);

// A reduction: the input (contiguous) seen as kept axes (kdim/kstride, whose row-major order is the contiguous
// output's) times reduced axes (rdim/rstride); strides are the input's, in elements.
struct RedView {
  int nk = 0, nr = 0;
  int64_t kdim[kMaxView], kstride[kMaxView];
  int64_t rdim[kMaxView], rstride[kMaxView];
  int64_t out_size = 1, red_size = 1;
};
enum ReduceKind { kRedSum, kRedProd, kRedMax, kRedMin, kRedSqSum, kRedAbsSum, kRedNonzeroProd, kRedZeroCount };
// out[j] (=|+=) fin(reduction of in over the reduced axes at output j), fin(a) = a * scale, then sqrt when
// sqrt_out. Sums accumulate in double; max/min propagate NaN; an empty max/min is never asked for. in_dtype and
// out_dtype: float32/float64.
void Reduce(int kind, int in_dtype, const void *in, const RedView &r, int out_dtype, void *out, double scale,
            bool sqrt_out, int req, cudaStream_t s);
// The integer dtypes (uint8, int8, int32, int64; out has in's dtype), kinds sum, prod, max and min, accumulated in
// int64 with wrap-around as on the CPU; the result is divided by div (a mean: truncated toward zero; 0 when div is 0).
void ReduceInt(int kind, int dtype, const void *in, const RedView &r, void *out, int64_t div, int req,
               cudaStream_t s);

// The backward of a reduction: for each input element i (of the contiguous input shape dim[0..n)) with output
// o(i) = sum(coord_k * ostride[k]) (ostride 0 on reduced axes):
//   kBackScale: g[o] * scale;  kBackEqual: x[i] == y[o] ? g[o] : 0;  kBackNorm1: sign(x[i]) * g[o];
//   kBackNorm2: y[o] == 0 ? 0 : g[o] * x[i] / y[o];
//   kBackProd: g[o] * (zc[o] == 0 ? nzp[o] / x[i] : zc[o] == 1 && x[i] == 0 ? nzp[o] : 0)  (nzp, zc: double)
struct BackView {
  int n = 0;
  int64_t dim[kMaxView], ostride[kMaxView];
};
enum BackKind { kBackScale, kBackEqual, kBackNorm1, kBackNorm2, kBackProd };
void ReduceBackward(int kind, int dtype, const void *g, const void *x, const void *y, const double *nzp,
                    const double *zc, const BackView &v, void *ig, int64_t n, double scale, int req, cudaStream_t s);

// Broadcasting binary operators over the output's shape; a and b are read through their strides (0 on the axes
// they broadcast along).
struct BinView {
  int n = 0;
  int64_t shape[kMaxView], astride[kMaxView], bstride[kMaxView];
};
// out[i] (=|+=) f(a, b) for f a BinaryCode.
void BroadcastBinary(int code, int dtype, const void *a, const void *b, const BinView &v, void *out, int64_t n,
                     int req, cudaStream_t s);
// d[i] (=|+=) g[i] * df/da (side 0) or df/db (side 1) at output element i (d has the output's shape).
void BroadcastBinaryDeriv(int code, int side, int dtype, const void *g, const void *a, const void *b,
                          const BinView &v, void *d, int64_t n, int req, cudaStream_t s);

// softmax/log_softmax backward over n for arrays viewed as (outer, n, inner), from the output y:
// softmax dx = y (dy - sum(dy y)) / T; log_softmax dx = (dy - exp(y) sum(dy)) / T.
void SoftmaxGrad(int dtype, const void *dy, const void *y, void *dx, int64_t outer, int64_t n, int64_t inner,
                 double temperature, bool log, int req, cudaStream_t s);

}  // namespace cuda
}  // namespace mxc
