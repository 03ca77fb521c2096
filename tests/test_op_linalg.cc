// dot and batch_dot: forward against hand-computed values and a naive triple loop, MXNet's N-d shape rules,
// gradients by finite differences, errors.
#include "test_op_tensor_common.h"

using namespace mxct;
using mxc::ErrorKind;
using mxc::TShape;

namespace {

// Naive C = op(A) op(B) where A is stored row-major as M x K (or K x M with ta) and B as K x N (or N x K with tb).
std::vector<double> RefMatMul(const std::vector<double> &a, const std::vector<double> &b, int64_t M, int64_t K,
                              int64_t N, bool ta, bool tb) {
  std::vector<double> c(M * N, 0.0);
  for (int64_t i = 0; i < M; ++i)
    for (int64_t j = 0; j < N; ++j) {
      double s = 0;
      for (int64_t k = 0; k < K; ++k) s += (ta ? a[k * M + i] : a[i * K + k]) * (tb ? b[j * K + k] : b[k * N + j]);
      c[i * N + j] = s;
    }
  return c;
}

Params Flags(bool ta, bool tb) { return {{"transpose_a", ta ? "1" : "0"}, {"transpose_b", tb ? "true" : "false"}}; }

}  // namespace

TEST(OpLinalg, DotHandComputed) {
  auto a = FromVec({2, 2}, {1, 2, 3, 4}), b = FromVec({2, 2}, {5, 6, 7, 8});
  ExpectNear(ToVec(mxct::Run("dot", {a, b})[0]), {19, 22, 43, 50});
  ExpectNear(ToVec(mxct::Run("dot", {a, b}, Flags(true, false))[0]), {26, 30, 38, 44});
  ExpectNear(ToVec(mxct::Run("dot", {a, b}, Flags(false, true))[0]), {17, 23, 39, 53});
  ExpectNear(ToVec(mxct::Run("dot", {a, b}, Flags(true, true))[0]), {23, 31, 34, 46});
  auto v = FromVec({3}, {1, 2, 3}, mxc::kFloat64), w = FromVec({3}, {4, -5, 6}, mxc::kFloat64);
  auto d = mxct::Run("dot", {v, w})[0];
  EXPECT_EQ(d.shape(), (TShape{1}));
  EXPECT_EQ(d.dtype(), mxc::kFloat64);
  ExpectNear(ToVec(d), {12});
}

TEST(OpLinalg, DotShapesFollowMXNet) {
  struct Case {
    TShape l, r;
    bool ta, tb;
    TShape out;
    int64_t M, K, N;
  };
  std::vector<Case> cases = {
      {{2, 5, 3}, {3, 4, 6}, false, false, {2, 5, 4, 6}, 10, 3, 24},
      {{3, 2, 5}, {3, 4}, true, false, {2, 5, 4}, 10, 3, 4},
      {{2, 3}, {4, 6, 3}, false, true, {2, 4, 6}, 2, 3, 24},
      {{3}, {3, 4}, false, false, {4}, 1, 3, 4},
      {{2, 3}, {3}, false, false, {2}, 2, 3, 1},
      {{3}, {3, 4}, true, false, {4}, 1, 3, 4},
      {{4, 3}, {3}, false, true, {4}, 4, 3, 1},
      {{3, 4}, {5, 3}, true, true, {4, 5}, 4, 3, 5},
  };
  for (auto &c : cases) {
    for (int dtype : {mxc::kFloat32, mxc::kFloat64}) {
      SCOPED_TRACE(mxc::ShapeStr(c.l) + " x " + mxc::ShapeStr(c.r) + " ta=" + std::to_string(c.ta) +
                   " tb=" + std::to_string(c.tb));
      auto a = Random(c.l, -1, 1, dtype, 1), b = Random(c.r, -1, 1, dtype, 2);
      auto y = mxct::Run("dot", {a, b}, Flags(c.ta, c.tb))[0];
      EXPECT_EQ(y.shape(), c.out);
      double tol = dtype == mxc::kFloat32 ? 1e-5 : 1e-12;
      // A 1-d rhs with transpose_b is a 1 x K row; a 1-d lhs with transpose_a is a K x 1 column.
      ExpectNear(ToVec(y), RefMatMul(ToVec(a), ToVec(b), c.M, c.K, c.N, c.ta, c.tb), tol, tol);
    }
  }
}

TEST(OpLinalg, DotLargeThroughBLAS) {
  auto a = Random({130, 257}, -1, 1, mxc::kFloat32, 5), b = Random({257, 71}, -1, 1, mxc::kFloat32, 6);
  ExpectNear(ToVec(mxct::Run("dot", {a, b})[0]), RefMatMul(ToVec(a), ToVec(b), 130, 257, 71, false, false), 1e-4,
             1e-4);
  auto bt = Random({71, 257}, -1, 1, mxc::kFloat64, 7);
  auto a64 = Random({130, 257}, -1, 1, mxc::kFloat64, 8);
  ExpectNear(ToVec(mxct::Run("dot", {a64, bt}, Flags(false, true))[0]),
             RefMatMul(ToVec(a64), ToVec(bt), 130, 257, 71, false, true), 1e-12, 1e-12);
}

TEST(OpLinalg, DotEmptyInner) {
  auto a = FromVec({2, 0}, {}), b = FromVec({0, 3}, {});
  auto y = mxct::Run("dot", {a, b})[0];
  EXPECT_EQ(y.shape(), (TShape{2, 3}));
  ExpectNear(ToVec(y), {0, 0, 0, 0, 0, 0});
}

TEST(OpLinalg, BatchDot) {
  for (bool ta : {false, true})
    for (bool tb : {false, true}) {
      SCOPED_TRACE("ta=" + std::to_string(ta) + " tb=" + std::to_string(tb));
      const int64_t B = 3, M = 4, K = 5, N = 2;
      TShape ls = ta ? TShape{B, K, M} : TShape{B, M, K}, rs = tb ? TShape{B, N, K} : TShape{B, K, N};
      auto a = Random(ls, -1, 1, mxc::kFloat64, 3), b = Random(rs, -1, 1, mxc::kFloat64, 4);
      auto y = mxct::Run("batch_dot", {a, b}, Flags(ta, tb))[0];
      EXPECT_EQ(y.shape(), (TShape{B, M, N}));
      auto av = ToVec(a), bv = ToVec(b), yv = ToVec(y);
      for (int64_t i = 0; i < B; ++i) {
        std::vector<double> ai(av.begin() + i * M * K, av.begin() + (i + 1) * M * K);
        std::vector<double> bi(bv.begin() + i * K * N, bv.begin() + (i + 1) * K * N);
        std::vector<double> yi(yv.begin() + i * M * N, yv.begin() + (i + 1) * M * N);
        ExpectNear(yi, RefMatMul(ai, bi, M, K, N, ta, tb), 1e-12, 1e-12);
      }
    }
  // Hand-computed: two batches of 1x2 . 2x1.
  auto a = FromVec({2, 1, 2}, {1, 2, 3, 4}), b = FromVec({2, 2, 1}, {5, 6, 7, 8});
  ExpectNear(ToVec(mxct::Run("batch_dot", {a, b})[0]), {17, 53});
  // More than one leading batch axis.
  auto c = mxct::Run("batch_dot", {Random({2, 2, 3, 4}, -1, 1), Random({2, 2, 4, 5}, -1, 1)})[0];
  EXPECT_EQ(c.shape(), (TShape{2, 2, 3, 5}));
}

TEST(OpLinalg, Gradients) {
  struct G {
    TShape l, r;
    bool ta, tb;
  };
  for (auto &g : std::vector<G>{{{3, 4}, {4, 5}, false, false},
                                {{4, 3}, {4, 5}, true, false},
                                {{3, 4}, {5, 4}, false, true},
                                {{4, 3}, {5, 4}, true, true},
                                {{2, 3, 4}, {4, 2, 3}, false, false},
                                {{4, 2, 3}, {2, 3, 4}, true, true},
                                {{4}, {4}, false, false},
                                {{4}, {4, 3}, false, false},
                                {{3, 4}, {4}, false, false},
                                {{4}, {3, 4}, true, true}}) {
    GradCase c;
    c.op = "dot";
    c.params = Flags(g.ta, g.tb);
    c.shapes = {g.l, g.r};
    CheckGradient(c);
  }
  for (bool ta : {false, true})
    for (bool tb : {false, true}) {
      GradCase c;
      c.op = "batch_dot";
      c.params = Flags(ta, tb);
      c.shapes = {ta ? TShape{2, 4, 3} : TShape{2, 3, 4}, tb ? TShape{2, 5, 4} : TShape{2, 4, 5}};
      CheckGradient(c);
    }
}

TEST(OpLinalg, Errors) {
  ExpectError("dot", {FromVec({2, 3}, Iota(6)), FromVec({4, 3}, Iota(12))}, {}, ErrorKind::kShape,
              {"dot", "inner", "(2,3)", "(4,3)", "3 vs 4"});
  ExpectError("dot", {FromVec({3}, Iota(3)), FromVec({4}, Iota(4))}, {}, ErrorKind::kShape, {"dot", "(3,)", "(4,)"});
  ExpectError("dot", {FromVec({2, 3}, Iota(6)), FromVec({2, 3}, Iota(6))}, Flags(false, false), ErrorKind::kShape,
              {"dot", "(2,3)"});
  ExpectError("dot", {FromVec({2, 2}, Iota(4), mxc::kInt32), FromVec({2, 2}, Iota(4), mxc::kInt32)}, {},
              ErrorKind::kType, {"dot", "int32"});
  ExpectError("dot", {FromVec({2, 2}, Iota(4)), FromVec({2, 2}, Iota(4), mxc::kFloat64)}, {}, ErrorKind::kType,
              {"dot", "rhs"});
  ExpectError("batch_dot", {FromVec({2, 3, 4}, Iota(24)), FromVec({3, 4, 5}, Iota(60))}, {}, ErrorKind::kShape,
              {"batch_dot", "batch", "(2,3,4)", "(3,4,5)"});
  ExpectError("batch_dot", {FromVec({2, 3, 4}, Iota(24)), FromVec({2, 3, 5}, Iota(30))}, {}, ErrorKind::kShape,
              {"batch_dot", "inner", "4 vs 3"});
  ExpectError("batch_dot", {FromVec({3, 4}, Iota(12)), FromVec({4, 5}, Iota(20))}, {}, ErrorKind::kShape,
              {"batch_dot", "(3,4)"});
}
