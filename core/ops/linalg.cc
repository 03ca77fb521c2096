// Linear algebra through op::Gemm (OpenBLAS): dot and batch_dot, float32 and float64.
//
// dot follows MXNet 1.x for N-d inputs: lhs is a matrix of (all axes but the last) x (last axis), or with
// transpose_a of (first axis) x (the others), transposed; rhs is (first axis) x (the others), or with transpose_b
// (all but the last) x (last), transposed. The result's shape is lhs's outer axes followed by rhs's outer axes;
// 1-d . 1-d is the inner product with shape (1,).
#include "gemm.h"
#include "linalg.h"

namespace mxc {
namespace op {

namespace {

// C (M x N, row stride ldc) = op(A) op(B) according to req on the CPU; handles empty sizes and BLAS's stride rules.
struct CpuGemm {
  template <typename T>
  void operator()(bool ta, bool tb, int64_t M, int64_t N, int64_t K, const T *A, int64_t lda, const T *B,
                  int64_t ldb, T *C, int64_t ldc, OpReq req) const {
    if (req == kNullOp || M == 0 || N == 0) return;
    if (K == 0) {
      if (req != kAddTo)
        for (int64_t i = 0; i < M; ++i) std::fill(C + i * ldc, C + i * ldc + N, T(0));
      return;
    }
    Gemm(ta, tb, M, N, K, T(1), A, std::max<int64_t>(lda, 1), B, std::max<int64_t>(ldb, 1),
         req == kAddTo ? T(1) : T(0), C, std::max<int64_t>(ldc, 1));
  }
};

int64_t Prod(const TShape &s, int b, int e) {
  int64_t n = 1;
  for (int i = b; i < e; ++i) n *= s[i];
  return n;
}

// The product dot computes for lhs and rhs; *out gets the result shape. ShapeError when inner sizes differ.
}  // namespace

MatMul DotPlan(const OpParams &p, const TShape &l, const TShape &r, TShape *out) {
  MatMul m;
  const bool ta = p.Bool("transpose_a"), tb = p.Bool("transpose_b");
  const int ln = l.ndim(), rn = r.ndim();
  out->clear();
  if (ln == 1 && rn == 1) {
    m.M = 1;
    m.N = 1;
    m.K = l[0];
    m.lda = l[0];
    m.ldb = 1;
    if (l[0] != r[0])
      Throw(ErrorKind::kShape, "operator ", p.op()->name, ": inner dimensions differ: lhs ", ShapeStr(l), " and rhs ",
            ShapeStr(r));
    out->push_back(1);
    return m;
  }
  int64_t K2;
  m.ta = ta;
  m.tb = tb;
  if (!ta) {
    m.M = Prod(l, 0, ln - 1);
    m.K = l[ln - 1];
    m.lda = m.K;
    for (int i = 0; i + 1 < ln; ++i) out->push_back(l[i]);
  } else {
    m.K = l[0];
    m.M = Prod(l, 1, ln);
    m.lda = m.M;
    for (int i = 1; i < ln; ++i) out->push_back(l[i]);
  }
  if (!tb) {
    K2 = r[0];
    m.N = Prod(r, 1, rn);
    m.ldb = m.N;
    for (int i = 1; i < rn; ++i) out->push_back(r[i]);
  } else {
    K2 = r[rn - 1];
    m.N = Prod(r, 0, rn - 1);
    m.ldb = K2;
    for (int i = 0; i + 1 < rn; ++i) out->push_back(r[i]);
  }
  if (m.K != K2)
    Throw(ErrorKind::kShape, "operator ", p.op()->name, ": inner dimensions differ: lhs ", ShapeStr(l),
          ta ? " (transposed)" : "", " and rhs ", ShapeStr(r), tb ? " (transposed)" : "", " give ", m.K, " vs ", K2);
  if (out->empty()) out->push_back(1);
  return m;
}

namespace {

void DotShape(const OpParams &p, std::vector<TShape> *in, std::vector<TShape> *out) {
  const TShape &l = (*in)[0], &r = (*in)[1];
  if (l.empty() || r.empty()) return;
  TShape o;
  DotPlan(p, l, r, &o);
  ShapeAssign(&(*out)[0], o, p.op(), "output");
}

void RealTypeInfer(const OpParams &p, std::vector<int> *in, std::vector<int> *out) {
  SameTypeInfer(p, in, out);
  CheckDType(p, (*in)[0], "lhs", IsReal, "float32 or float64");
}

void MatMulForwardCpu(const OpContext &, const OpParams &p, const std::vector<TBlob> &in, const std::vector<OpReq> &req,
                      const std::vector<TBlob> &out) {
  MatMulForward(p, in, req[0], out[0], CpuGemm());
}

void MatMulBackwardCpu(const OpContext &, const OpParams &p, const std::vector<TBlob> &og,
                       const std::vector<TBlob> &in, const std::vector<TBlob> &, const std::vector<OpReq> &req,
                       const std::vector<TBlob> &ig) {
  MatMulBackward(p, og[0], in, req, ig, CpuGemm());
}

// batch_dot: (B..., M, K) x (B..., K, N) -> (B..., M, N), each operand possibly transposed in its last two axes.
}  // namespace

MatMul BatchPlan(const OpParams &p, const TShape &l, const TShape &r, TShape *out, int64_t *batch) {
  const bool ta = p.Bool("transpose_a"), tb = p.Bool("transpose_b");
  const int n = l.ndim();
  if (n < 3 || r.ndim() != n)
    Throw(ErrorKind::kShape, "operator ", p.op()->name, ": lhs and rhs must have the same number (at least 3) of "
          "dimensions, got lhs ", ShapeStr(l), " and rhs ", ShapeStr(r));
  for (int i = 0; i < n - 2; ++i)
    if (l[i] != r[i])
      Throw(ErrorKind::kShape, "operator ", p.op()->name, ": batch dimensions differ: lhs ", ShapeStr(l),
            " and rhs ", ShapeStr(r));
  MatMul m;
  m.ta = ta;
  m.tb = tb;
  m.M = ta ? l[n - 1] : l[n - 2];
  m.K = ta ? l[n - 2] : l[n - 1];
  int64_t K2 = tb ? r[n - 1] : r[n - 2];
  m.N = tb ? r[n - 2] : r[n - 1];
  m.lda = l[n - 1];
  m.ldb = r[n - 1];
  if (m.K != K2)
    Throw(ErrorKind::kShape, "operator ", p.op()->name, ": inner dimensions differ: lhs ", ShapeStr(l),
          ta ? " (transposed)" : "", " and rhs ", ShapeStr(r), tb ? " (transposed)" : "", " give ", m.K, " vs ", K2);
  *out = TShape(l.begin(), l.end() - 2);
  out->push_back(m.M);
  out->push_back(m.N);
  *batch = Prod(l, 0, n - 2);
  return m;
}

namespace {

void BatchDotShape(const OpParams &p, std::vector<TShape> *in, std::vector<TShape> *out) {
  const TShape &l = (*in)[0], &r = (*in)[1];
  if (l.empty() || r.empty()) return;
  TShape o;
  int64_t b;
  BatchPlan(p, l, r, &o, &b);
  ShapeAssign(&(*out)[0], o, p.op(), "output");
}

Op &MatOp(Op &op, const char *doc) {
  return op.describe(doc)
      .set_inputs({"lhs", "rhs"})
      .add_param("transpose_a", ParamKind::kBool, "0", "Transpose the first input before the product.")
      .add_param("transpose_b", ParamKind::kBool, "0", "Transpose the second input before the product.")
      .add_param("forward_stype", ParamKind::kString, "None", "Storage type of the output (dense only; ignored).")
      .set_infer_type(RealTypeInfer)
      .set_backward_uses(true, false);
}

}  // namespace

static Op &dot_reg = MatOp(OpRegistry::Get()->Register("dot"),
                           "Dot product of two arrays: matrix product of lhs flattened to 2-d over all but its last "
                           "axis and rhs flattened over all but its first (transpose flags swap which axes).")
                         .set_infer_shape(DotShape)
                         .set_compute(MXC_CPU, MatMulForwardCpu)
                         .set_backward(MXC_CPU, MatMulBackwardCpu);

static Op &batch_dot_reg = MatOp(OpRegistry::Get()->Register("batch_dot"),
                                 "Batched matrix product: (B, M, K) x (B, K, N) -> (B, M, N); leading batch axes "
                                 "may be more than one.")
                               .set_infer_shape(BatchDotShape)
                               .set_compute(MXC_CPU, MatMulForwardCpu)
                               .set_backward(MXC_CPU, MatMulBackwardCpu);

}  // namespace op
}  // namespace mxc
