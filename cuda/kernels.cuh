// GPU kernels of mxc behind a raw-pointer boundary: pointers, sizes, plain parameters and a stream. No framework
// header is included here or in the *.cu files. dtype codes are mxc.h's MXC_FLOAT32... (checked by the glue);
// req codes are OpReq's: 0 skip, 1 write, 2 write in place, 3 add.
#pragma once

#include <cuda_runtime.h>

#include <cstdint>

namespace mxc {
namespace cuda {

enum DTypeCode { kF32 = 0, kF64 = 1, kF16 = 2, kU8 = 3, kI32 = 4, kI8 = 5, kI64 = 6, kBool = 7 };

// ---- creation and copies (every dtype) ----
void Fill(int dtype, void *out, int64_t n, double value, int req, cudaStream_t s);
// dst[i] (=|+=) convert(src[i]); float16 and bool included.
void Cast(int src_dtype, const void *src, int dst_dtype, void *dst, int64_t n, int req, cudaStream_t s);

// ---- elementwise: float32/float64; the forwards of Unary (codes with IntUnaryOk), Binary, Scalar and
// BroadcastBinary also take the integer dtypes (uint8, int8, int32, int64) ----
enum UnaryCode {
  kNegative, kAbs, kSign, kExp, kLog, kSqrt, kRsqrt, kSquare, kSin, kCos, kTanh, kSigmoid, kRelu, kFloor, kCeil,
  kRound, kReciprocal, kLog1p, kExpm1, kSoftrelu, kSoftsign,
  // registered by cuda/gpu_ops_index.cc
  kArccos, kArccosh, kArcsin, kArcsinh, kArctan, kArctanh, kCbrt, kCosh, kSinh, kTan, kDegrees, kRadians, kTrunc,
  kRint, kLog10, kLog2, kLogicalNot, kNumUnary
};
void Unary(int code, int dtype, const void *x, void *y, int64_t n, int req, cudaStream_t s);
// Whether Unary takes integer dtypes for this code (functors.cuh).
bool IntUnaryOk(int code);
// gx (=|+=) g * f'(x)
void UnaryGrad(int code, int dtype, const void *g, const void *x, void *gx, int64_t n, int req, cudaStream_t s);
// gx (=|+=) g * f'(x) computed from y = f(x), for the codes UnaryGradOutOk accepts (exp, sqrt, rsqrt, tanh,
// sigmoid, relu, reciprocal, expm1, softrelu, softsign, cbrt, tan).
bool UnaryGradOutOk(int code);
// The codes (negative, sign, rounding, degrees, radians, logical_not) whose derivative is a constant: y may be null.
bool UnaryGradConst(int code);
void UnaryGradOut(int code, int dtype, const void *g, const void *y, void *gx, int64_t n, int req, cudaStream_t s);
// gx (=|+=) g * (y * scale) (the gradient of scalar ** x from its output y, with scale = log(scalar)).
void ScaledProduct(int dtype, const void *g, const void *y, double scale, void *gx, int64_t n, int req, cudaStream_t s);

enum BinaryCode { kAdd, kSub, kMul, kDiv, kMod, kPow, kMax, kMin, kEq, kNe, kGt, kGe, kLt, kLe, kNumBinary };
void Binary(int code, int dtype, const void *a, const void *b, void *out, int64_t n, int req, cudaStream_t s);
// ga (=|+=) g * d/da, gb (=|+=) g * d/db (req 0 skips one)
void BinaryGrad(int code, int dtype, const void *g, const void *a, const void *b, void *ga, int req_a, void *gb,
                int req_b, int64_t n, cudaStream_t s);
// out = a OP s (reverse: s OP a); gx = g * d/dx
void Scalar(int code, int dtype, const void *x, double scalar, bool reverse, void *out, int64_t n, int req,
            cudaStream_t s);
void ScalarGrad(int code, int dtype, const void *g, const void *x, double scalar, bool reverse, void *gx, int64_t n,
                int req, cudaStream_t s);

// ---- linear algebra ----
// Row-major C = alpha op(A) op(B) + beta C (a tiled kernel; the glue prefers cuBLAS when built with it).
void Gemm(int dtype, bool ta, bool tb, int64_t M, int64_t N, int64_t K, double alpha, const void *A, int64_t lda,
          const void *B, int64_t ldb, double beta, void *C, int64_t ldc, cudaStream_t s);
// out[r, j] (=|+=) bias[j] for r < rows, j < cols
void BiasRows(int dtype, const void *bias, void *out, int64_t rows, int64_t cols, int req, cudaStream_t s);
// out[c] (=|+=) sum over (o, i) of x[o, c, i] for x viewed as (outer, C, inner)
void SumKeepAxis(int dtype, const void *x, void *out, int64_t outer, int64_t C, int64_t inner, int req,
                 cudaStream_t s);

// ---- neural network ----
// Softmax over n for x viewed as (outer, n, inner); log: log-softmax.
void Softmax(int dtype, const void *x, void *y, int64_t outer, int64_t n, int64_t inner, double temperature, bool log,
             int req, cudaStream_t s);
// softmax with use_length: row r = (o, i) takes its first min(max(len[r], 0), n) elements (len int32, or int64 when
// len64) and writes zeros after them; in double, as the CPU's strided rows.
void SoftmaxLength(int dtype, const void *x, void *y, const void *len, bool len64, int64_t outer, int64_t n,
                   int64_t inner, double temperature, int req, cudaStream_t s);
// SoftmaxOutput gradient for one class-index label per (outer, inner) row: (y - onehot) * scale (0 on ignored rows).
// valid_norm: scale is further divided by the number of rows whose label != ignore (computed on the device).
void SoftmaxOutputGrad(int dtype, const void *y, const void *label, void *g, int64_t outer, int64_t n,
                       int64_t inner, double scale, bool use_ignore, double ignore, bool valid_norm, int req,
                       cudaStream_t s);
// 2-D im2col / col2im for N images: data (N, C, H, W) <-> col (C*kh*kw, N, oh*ow) (one matrix product per group
// then covers every image).
void Im2Col(int dtype, const void *data, int64_t N, int64_t C, int64_t H, int64_t W, int kh, int kw, int ph, int pw,
            int sh, int sw, int dh, int dw, int64_t oh, int64_t ow, void *col, cudaStream_t s);
// data (+)= col2im(col); add=false overwrites data.
void Col2Im(int dtype, const void *col, int64_t N, int64_t C, int64_t H, int64_t W, int kh, int kw, int ph, int pw,
            int sh, int sw, int dh, int dw, int64_t oh, int64_t ow, void *data, bool add, cudaStream_t s);
// 2-D pooling over (NC, H, W) planes. type: 0 max, 1 avg, 2 sum.
void Pool2D(int dtype, int type, const void *x, void *y, int64_t NC, int64_t H, int64_t W, int64_t oh, int64_t ow,
            int kh, int kw, int sh, int sw, int ph, int pw, bool count_include_pad, int req, cudaStream_t s);
// gx (=|+=) pooling gradient; gx is zeroed first unless req is add.
void Pool2DGrad(int dtype, int type, const void *x, const void *y, const void *gy, void *gx, int64_t NC, int64_t H,
                int64_t W, int64_t oh, int64_t ow, int kh, int kw, int sh, int sw, int ph, int pw,
                bool count_include_pad, int req, cudaStream_t s);

// ---- optimizers (w_out may alias w) ----
struct OptHyper {
  double lr, wd, rescale, clip;  // clip <= 0: no clipping
  double momentum, beta1, beta2, epsilon;
};
// kind: 0 sgd, 1 sgd_mom, 2 nag_mom, 3 adam
void OptimizerUpdate(int kind, int dtype, const void *w, const void *g, void *s1, void *s2, void *w_out, int64_t n,
                     const OptHyper &h, int req, cudaStream_t s);

// ---- random (counter-based Philox-4x32-10; key and counter offset chosen by the caller) ----
// dist: 0 uniform [a, b), 1 normal (mean a, std b)
void Random(int dtype, int dist, double a, double b, uint64_t key, void *out, int64_t n, cudaStream_t s);

}  // namespace cuda
}  // namespace mxc
