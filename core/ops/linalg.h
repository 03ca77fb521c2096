// The matrix products of dot and batch_dot as plans (sizes, strides, transposes) that run on any device through a
// GEMM functor: gemm(ta, tb, M, N, K, A, lda, B, ldb, C, ldc, req) sets C (M x N, row stride ldc) to op(A) op(B)
// according to req (K == 0: zeros). The CPU's is in linalg.cc, the GPU's in cuda/gpu_ops_shape.cc.
#pragma once

#include "tensor_util.h"

namespace mxc {
namespace op {

// A matrix product op(A) (M x K) times op(B) (K x N), with A and B stored row-major as given (ta: A is K x M).
struct MatMul {
  int64_t M = 1, N = 1, K = 1, lda = 1, ldb = 1;
  bool ta = false, tb = false;
  // C = op(A) op(B)
  template <typename T, typename G>
  void Forward(const T *A, const T *B, T *C, OpReq req, G gemm) const {
    gemm(ta, tb, M, N, K, A, lda, B, ldb, C, N, req);
  }
  // dA, dB from dC (M x N).
  template <typename T, typename G>
  void Backward(const T *A, const T *B, const T *dC, T *dA, OpReq ra, T *dB, OpReq rb, G gemm) const {
    if (!ta) gemm(false, !tb, M, K, N, dC, N, B, ldb, dA, K, ra);
    else gemm(tb, true, K, M, N, B, ldb, dC, N, dA, M, ra);
    if (!tb) gemm(!ta, false, K, N, M, A, lda, dC, N, dB, N, rb);
    else gemm(true, ta, N, K, M, dC, N, A, lda, dB, K, rb);
  }
};


// dot: the product of lhs (shape l) and rhs (shape r); *out gets the result shape. ShapeError when inner sizes differ.
MatMul DotPlan(const OpParams &p, const TShape &l, const TShape &r, TShape *out);
// batch_dot: one product per batch element (*batch of them), each of the plan's sizes.
MatMul BatchPlan(const OpParams &p, const TShape &l, const TShape &r, TShape *out, int64_t *batch);

// The plan of p's operator (dot: one product; batch_dot: *batch of them) for lhs l and rhs r.
inline MatMul PlanOf(const OpParams &p, const TShape &l, const TShape &r, int64_t *batch) {
  TShape o;
  *batch = 1;
  return p.op()->name == "batch_dot" ? BatchPlan(p, l, r, &o, batch) : DotPlan(p, l, r, &o);
}

// dot / batch_dot forward and backward on any device, through that device's GEMM functor (float32/float64).
template <typename G>
void MatMulForward(const OpParams &p, const std::vector<TBlob> &in, OpReq req, const TBlob &out, G gemm) {
  int64_t batch;
  const MatMul m = PlanOf(p, in[0].shape, in[1].shape, &batch);
  MXC_REAL_TYPE_SWITCH(in[0].dtype, T, {
    const T *A = in[0].ptr<T>(), *B = in[1].ptr<T>();
    T *C = out.ptr<T>();
    for (int64_t b = 0; b < batch; ++b) m.Forward(A + b * m.M * m.K, B + b * m.K * m.N, C + b * m.M * m.N, req, gemm);
  });
}
template <typename G>
void MatMulBackward(const OpParams &p, const TBlob &og, const std::vector<TBlob> &in, const std::vector<OpReq> &req,
                    const std::vector<TBlob> &ig, G gemm) {
  int64_t batch;
  const MatMul m = PlanOf(p, in[0].shape, in[1].shape, &batch);
  MXC_REAL_TYPE_SWITCH(in[0].dtype, T, {
    const T *A = in[0].ptr<T>(), *B = in[1].ptr<T>(), *dC = og.ptr<T>();
    T *dA = ig[0].ptr<T>(), *dB = ig[1].ptr<T>();
    const int64_t sa = m.M * m.K, sb = m.K * m.N, sc = m.M * m.N;
    for (int64_t b = 0; b < batch; ++b)
      m.Backward(A + b * sa, B + b * sb, dC + b * sc, dA ? dA + b * sa : nullptr, req[0], dB ? dB + b * sb : nullptr,
                 req[1], gemm);
  });
}

}  // namespace op
}  // namespace mxc
