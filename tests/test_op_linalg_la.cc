// MXNet's linalg operators (_linalg_*) and khatri_rao: values against hand-computed ones, values printed by MXNet
// 1.9.1 and naive loops; gradients by finite differences; shape rules and errors. (potrf's and syevd's symmetric
// gradients are checked in bindings/python/tests/test_linalg.py against MXNet's printed values.)
#include "test_op_tensor_common.h"

using namespace mxct;
using mxc::ErrorKind;
using mxc::TShape;

namespace {

using Vec = std::vector<double>;

// Naive n x n (or general) matrix product of row-major matrices: (M x K) (K x N).
Vec RefMul(const Vec &a, const Vec &b, int64_t M, int64_t K, int64_t N) {
  Vec c(M * N, 0.0);
  for (int64_t i = 0; i < M; ++i)
    for (int64_t j = 0; j < N; ++j)
      for (int64_t k = 0; k < K; ++k) c[i * N + j] += a[i * K + k] * b[k * N + j];
  return c;
}

Vec RefT(const Vec &a, int64_t r, int64_t c) {
  Vec t(r * c);
  for (int64_t i = 0; i < r; ++i)
    for (int64_t j = 0; j < c; ++j) t[j * r + i] = a[i * c + j];
  return t;
}

// Symmetric positive-definite test matrix (the one printed by MXNet below) and a 2 x 3 matrix.
const Vec kSpd = {4, 2, 0.4, 2, 5, 1, 0.4, 1, 3};
const Vec kWide = {1, 2, 3, 4, -5, 6};

NDArray F64(const TShape &s, const Vec &v) { return FromVec(s, v, mxc::kFloat64); }

// Values of a kernel that throws: the error surfaces when the output is read.
void ExpectKernelError(const std::string &op, const std::vector<NDArray> &in, const std::vector<std::string> &parts) {
  try {
    auto out = mxct::Run(op, in);
    ToVec(out[0]);
  } catch (const mxc::Error &e) {
    for (auto &s : parts) EXPECT_NE(std::string(e.what()).find(s), std::string::npos) << e.what();
    return;
  }
  ADD_FAILURE() << op << " did not fail";
}

// Lower-triangular input with a dominant diagonal (well conditioned for trsm / potri).
void FillLowerDominant(std::vector<NDArray> &in) {
  auto v = ToVec(in[0]);
  const TShape s = in[0].shape();
  const int64_t n = s[s.size() - 1];
  for (size_t k = 0; k < v.size(); ++k) {
    const int64_t i = (k / n) % n, j = k % n;
    if (i == j) v[k] = 2 + std::fabs(v[k]);
  }
  in[0] = FromVec(s, v, in[0].dtype());
}

}  // namespace

TEST(OpLinalgLa, GemmAndGemm2AgainstNaiveLoops) {
  for (int dtype : {mxc::kFloat32, mxc::kFloat64})
    for (bool ta : {false, true})
      for (bool tb : {false, true}) {
        const int64_t M = 3, K = 4, N = 2;
        auto a = Random(ta ? TShape{2, K, M} : TShape{2, M, K}, -1, 1, dtype, 1);
        auto b = Random(tb ? TShape{2, N, K} : TShape{2, K, N}, -1, 1, dtype, 2);
        auto c = Random({2, M, N}, -1, 1, dtype, 3);
        Params p = {{"transpose_a", ta ? "1" : "0"}, {"transpose_b", tb ? "1" : "0"}, {"alpha", "1.5"}};
        auto y2 = mxct::Run("_linalg_gemm2", {a, b}, p)[0];
        p.push_back({"beta", "-0.5"});
        auto y = mxct::Run("linalg_gemm", {a, b, c}, p)[0];
        EXPECT_EQ(y.shape(), (TShape{2, M, N}));
        const Vec av = ToVec(a), bv = ToVec(b), cv = ToVec(c);
        Vec ref2, ref;
        for (int64_t bt = 0; bt < 2; ++bt) {
          Vec am(av.begin() + bt * M * K, av.begin() + (bt + 1) * M * K);
          Vec bm(bv.begin() + bt * K * N, bv.begin() + (bt + 1) * K * N);
          if (ta) am = RefT(am, K, M);
          if (tb) bm = RefT(bm, N, K);
          const Vec r = RefMul(am, bm, M, K, N);
          for (int64_t i = 0; i < M * N; ++i) {
            ref2.push_back(1.5 * r[i]);
            ref.push_back(1.5 * r[i] - 0.5 * cv[bt * M * N + i]);
          }
        }
        const double tol = dtype == mxc::kFloat32 ? 1e-5 : 1e-12;
        ExpectNear(ToVec(y2), ref2, tol, tol);
        ExpectNear(ToVec(y), ref, tol, tol);
      }
}

TEST(OpLinalgLa, Gemm2RowAxis) {
  // axis=-3: rows on axis 1 of (2, 3, 4, 5), columns on the last axis, axis 2 a batch axis (shape printed by MXNet:
  // (2,3,4,5) x (2,5,4,6) -> (2,3,4,6)).
  auto a = Random({2, 3, 4, 5}, -1, 1, mxc::kFloat64, 4), b = Random({2, 5, 4, 6}, -1, 1, mxc::kFloat64, 5);
  auto y = mxct::Run("_linalg_gemm2", {a, b}, {{"axis", "-3"}})[0];
  ASSERT_EQ(y.shape(), (TShape{2, 3, 4, 6}));
  const Vec av = ToVec(a), bv = ToVec(b), yv = ToVec(y);
  Vec ref(yv.size(), 0.0);
  for (int o = 0; o < 2; ++o)
    for (int i = 0; i < 3; ++i)
      for (int m = 0; m < 4; ++m)
        for (int j = 0; j < 6; ++j)
          for (int k = 0; k < 5; ++k)
            ref[((o * 3 + i) * 4 + m) * 6 + j] += av[((o * 3 + i) * 4 + m) * 5 + k] * bv[((o * 5 + k) * 4 + m) * 6 + j];
  ExpectNear(yv, ref, 1e-12, 1e-12);
}

TEST(OpLinalgLa, TrmmTrsmSyrkHandComputed) {
  // A's upper triangle is not read (lower=true); values printed by MXNet 1.9.1.
  auto t = F64({3, 3}, {2, 0.5, 0.3, 1, 3, 0.7, 0.5, -1, 1.5}), b = F64({3, 2}, {1, 2, 3, 4, 5, 6});
  ExpectNear(ToVec(mxct::Run("_linalg_trmm", {t, b})[0]), {2, 4, 10, 14, 5, 6});
  // trsm inverts trmm for every flag combination.
  for (bool tr : {false, true})
    for (bool right : {false, true})
      for (bool lower : {false, true}) {
        Params p = {{"transpose", tr ? "1" : "0"}, {"rightside", right ? "1" : "0"}, {"lower", lower ? "1" : "0"},
                    {"alpha", "2"}};
        auto bb = right ? F64({2, 3}, {1, 2, 3, 4, 5, 6}) : b;
        auto x = mxct::Run("_linalg_trsm", {t, bb}, p)[0];
        p.back().second = "0.5";
        ExpectNear(ToVec(mxct::Run("_linalg_trmm", {t, x}, p)[0]), ToVec(bb), 1e-12, 1e-12);
      }
  // Upper, transposed, from the right: B * U^T by hand.
  auto u = F64({2, 2}, {1, 2, 9, 3}), m = F64({1, 2}, {1, 1});
  ExpectNear(ToVec(mxct::Run("_linalg_trmm", {u, m}, {{"lower", "0"}, {"transpose", "1"}, {"rightside", "1"}})[0]),
             {3, 3});
  ExpectNear(ToVec(mxct::Run("_linalg_syrk", {b})[0]), {5, 11, 17, 11, 25, 39, 17, 39, 61});
  ExpectNear(ToVec(mxct::Run("_linalg_syrk", {b}, {{"transpose", "1"}, {"alpha", "0.5"}})[0]), {17.5, 22, 22, 28});
}

TEST(OpLinalgLa, DiagonalsAndTriangles) {
  auto a = F64({3, 3}, {1, 2, 3, 4, 5, 6, 7, 8, 9});
  ExpectNear(ToVec(mxct::Run("_linalg_extractdiag", {a})[0]), {1, 5, 9});
  ExpectNear(ToVec(mxct::Run("_linalg_extractdiag", {a}, {{"offset", "1"}})[0]), {2, 6});
  ExpectNear(ToVec(mxct::Run("_linalg_extractdiag", {a}, {{"offset", "-2"}})[0]), {7});
  ExpectNear(ToVec(mxct::Run("_linalg_makediag", {F64({2}, {1, 2})}, {{"offset", "1"}})[0]),
             {0, 1, 0, 0, 0, 2, 0, 0, 0});
  ExpectNear(ToVec(mxct::Run("_linalg_makediag", {F64({2}, {1, 2})}, {{"offset", "-1"}})[0]),
             {0, 0, 0, 1, 0, 0, 0, 2, 0});
  // Orders printed by MXNet 1.9.1: the lower triangle row by row, the upper column by column.
  ExpectNear(ToVec(mxct::Run("_linalg_extracttrian", {a})[0]), {1, 4, 5, 7, 8, 9});
  ExpectNear(ToVec(mxct::Run("_linalg_extracttrian", {a}, {{"lower", "0"}})[0]), {1, 2, 5, 3, 6, 9});
  ExpectNear(ToVec(mxct::Run("_linalg_extracttrian", {a}, {{"offset", "1"}})[0]), {2, 3, 6});
  ExpectNear(ToVec(mxct::Run("_linalg_extracttrian", {a}, {{"offset", "-1"}, {"lower", "0"}})[0]), {4, 7, 8});
  auto v = F64({6}, {1, 2, 3, 4, 5, 6});
  ExpectNear(ToVec(mxct::Run("_linalg_maketrian", {v})[0]), {1, 0, 0, 2, 3, 0, 4, 5, 6});
  ExpectNear(ToVec(mxct::Run("_linalg_maketrian", {v}, {{"lower", "0"}})[0]), {1, 2, 4, 0, 3, 5, 0, 0, 6});
  ExpectNear(ToVec(mxct::Run("_linalg_maketrian", {F64({3}, {1, 2, 3})}, {{"offset", "1"}})[0]),
             {0, 1, 2, 0, 0, 3, 0, 0, 0});
  // maketrian inverts extracttrian on a batch of 4 x 4 matrices (where the two orders differ).
  auto big = Random({2, 4, 4}, -1, 1, mxc::kFloat32, 9);
  for (const char *off : {"0", "2", "-1"})
    for (const char *lower : {"0", "1"}) {
      Params p = {{"offset", off}, {"lower", lower}};
      auto vec = mxct::Run("_linalg_extracttrian", {big}, p)[0];
      auto back = mxct::Run("_linalg_maketrian", {vec}, p)[0];
      EXPECT_EQ(back.shape(), (TShape{2, 4, 4}));
      auto again = mxct::Run("_linalg_extracttrian", {back}, p)[0];
      ExpectNear(ToVec(again), ToVec(vec), 0, 0);
    }
  auto s = mxct::Run("_linalg_sumlogdiag", {a})[0];
  EXPECT_EQ(s.shape(), (TShape{1}));
  ExpectNear(ToVec(s), {std::log(45.0)}, 1e-12);
}

TEST(OpLinalgLa, FactorizationsMatchMXNet) {
  auto s = F64({3, 3}, kSpd);
  // potrf: printed by MXNet 1.9.1.
  auto l = mxct::Run("_linalg_potrf", {s})[0];
  ExpectNear(ToVec(l), {2, 0, 0, 1, 2, 0, 0.2, 0.4, 1.6733200530681511}, 1e-12);
  // potri(L) = (L L^T)^{-1} = S^{-1}: S times it is the identity.
  ExpectNear(RefMul(ToVec(mxct::Run("_linalg_potri", {l})[0]), kSpd, 3, 3, 3), {1, 0, 0, 0, 1, 0, 0, 0, 1}, 1e-12,
             1e-12);
  auto inv = mxct::Run("_linalg_inverse", {s})[0];
  ExpectNear(RefMul(ToVec(inv), kSpd, 3, 3, 3), {1, 0, 0, 0, 1, 0, 0, 0, 1}, 1e-12, 1e-12);
  auto d = mxct::Run("_linalg_det", {F64({2, 2, 2}, {1, 2, 3, 4, 0, 1, 1, 0})})[0];
  EXPECT_EQ(d.shape(), (TShape{2}));
  ExpectNear(ToVec(d), {-2, -1}, 1e-12);
  auto sl = mxct::Run("_linalg_slogdet", {F64({2, 2}, {1, 2, 3, 4})});
  ASSERT_EQ(sl.size(), 2u);
  ExpectNear(ToVec(sl[0]), {-1});
  ExpectNear(ToVec(sl[1]), {std::log(2.0)}, 1e-12);
  auto sing = mxct::Run("_linalg_slogdet", {F64({2, 2}, {1, 2, 2, 4})});
  EXPECT_EQ(ToVec(sing[0])[0], 0.0);
  EXPECT_TRUE(std::isinf(ToVec(sing[1])[0]) && ToVec(sing[1])[0] < 0);
  // gelqf: Q and L printed by MXNet 1.9.1 (LAPACK's signs).
  auto lq = mxct::Run("_linalg_gelqf", {F64({2, 3}, kWide)});
  ExpectNear(ToVec(lq[0]), {-0.2672612419124244, -0.5345224838248488, -0.8017837257372732, 0.3847824244, -0.8220351794,
                            0.4197626448},
             1e-8, 1e-8);
  ExpectNear(ToVec(lq[1]), {-3.7416573867739413, 0, -3.207134903, 8.167881349}, 1e-8, 1e-8);
  // syevd: U and L printed by MXNet 1.9.1.
  auto ev = mxct::Run("_linalg_syevd", {s});
  ExpectNear(ToVec(ev[1]), {2.256472, 2.901971, 6.841557}, 1e-6, 1e-6);
  ExpectNear(ToVec(ev[0]), {-0.592751, 0.619636, -0.514488, -0.558892, 0.143494, 0.816731, 0.579902, 0.771661,
                            0.261254},
             1e-5, 1e-6);
  // khatri_rao: printed by MXNet 1.9.1.
  auto kr = mxct::Run("khatri_rao", {F64({2, 2}, {1, 2, 3, 4}), F64({3, 2}, {1, 2, 3, 4, 5, 6})},
                      {{"num_args", "2"}})[0];
  EXPECT_EQ(kr.shape(), (TShape{6, 2}));
  ExpectNear(ToVec(kr), {1, 4, 3, 8, 5, 12, 3, 8, 9, 16, 15, 24});
}

TEST(OpLinalgLa, SyevdAndGelqfReconstructBatches) {
  // Random symmetric 5 x 5 matrices: U^T diag(L) U gives them back, U U^T = I, float32 and float64.
  for (int dtype : {mxc::kFloat32, mxc::kFloat64}) {
    auto r = ToVec(Random({3, 5, 5}, -1, 1, mxc::kFloat64, 11));
    for (int b = 0; b < 3; ++b)
      for (int i = 0; i < 5; ++i)
        for (int j = 0; j < i; ++j) r[b * 25 + j * 5 + i] = r[b * 25 + i * 5 + j];
    auto ev = mxct::Run("_linalg_syevd", {FromVec({3, 5, 5}, r, dtype)});
    EXPECT_EQ(ev[1].shape(), (TShape{3, 5}));
    const Vec U = ToVec(ev[0]), L = ToVec(ev[1]);
    const double tol = dtype == mxc::kFloat32 ? 1e-5 : 1e-10;
    for (int b = 0; b < 3; ++b) {
      Vec u(U.begin() + b * 25, U.begin() + (b + 1) * 25), dl(25, 0.0);
      for (int i = 0; i < 5; ++i) dl[i * 6] = L[b * 5 + i];
      for (int i = 1; i < 5; ++i) EXPECT_LE(L[b * 5 + i - 1], L[b * 5 + i]);
      ExpectNear(RefMul(RefMul(RefT(u, 5, 5), dl, 5, 5, 5), u, 5, 5, 5),
                 Vec(r.begin() + b * 25, r.begin() + (b + 1) * 25), tol, tol);
    }
    auto a = Random({2, 3, 5}, -1, 1, dtype, 12);
    auto lq = mxct::Run("_linalg_gelqf", {a});
    EXPECT_EQ(lq[1].shape(), (TShape{2, 3, 3}));
    const Vec Q = ToVec(lq[0]), Lm = ToVec(lq[1]), av = ToVec(a);
    for (int b = 0; b < 2; ++b) {
      Vec q(Q.begin() + b * 15, Q.begin() + (b + 1) * 15), l(Lm.begin() + b * 9, Lm.begin() + (b + 1) * 9);
      EXPECT_EQ(l[1], 0.0);
      ExpectNear(RefMul(l, q, 3, 3, 5), Vec(av.begin() + b * 15, av.begin() + (b + 1) * 15), tol, tol);
      ExpectNear(RefMul(q, RefT(q, 3, 5), 3, 5, 3), {1, 0, 0, 0, 1, 0, 0, 0, 1}, tol, tol);
    }
  }
}

TEST(OpLinalgLa, GradientsByFiniteDifferences) {
  auto check = [](const std::string &op, Params p, std::vector<TShape> shapes,
                  std::function<void(std::vector<NDArray> &)> fill = nullptr, double lo = -1, double hi = 1) {
    SCOPED_TRACE(op);
    GradCase c;
    c.op = op;
    c.params = std::move(p);
    c.shapes = std::move(shapes);
    c.fill = std::move(fill);
    c.lo = lo;
    c.hi = hi;
    CheckGradient(c);
  };
  check("_linalg_gemm", {{"transpose_a", "1"}, {"alpha", "0.7"}, {"beta", "-1.3"}}, {{2, 4, 3}, {2, 4, 2}, {2, 3, 2}});
  check("_linalg_gemm2", {{"transpose_b", "1"}, {"axis", "-3"}}, {{2, 3, 2, 4}, {2, 5, 2, 4}});
  for (const char *tr : {"0", "1"})
    for (const char *right : {"0", "1"}) {
      Params p = {{"transpose", tr}, {"rightside", right}, {"alpha", "1.5"}, {"lower", tr}};
      TShape bs = right[0] == '1' ? TShape{2, 2, 3} : TShape{2, 3, 2};
      check("_linalg_trmm", p, {{2, 3, 3}, bs});
      check("_linalg_trsm", p, {{2, 3, 3}, bs}, FillLowerDominant);
    }
  check("_linalg_syrk", {{"alpha", "0.5"}}, {{2, 3}});
  check("_linalg_syrk", {{"transpose", "1"}}, {{2, 3, 4}});
  check("_linalg_sumlogdiag", {}, {{2, 3, 3}}, nullptr, 0.5, 2.0);
  check("_linalg_extractdiag", {{"offset", "-1"}}, {{2, 3, 3}});
  check("_linalg_makediag", {{"offset", "2"}}, {{2, 3}});
  check("_linalg_extracttrian", {{"offset", "1"}}, {{2, 4, 4}});
  check("_linalg_maketrian", {{"lower", "0"}}, {{2, 6}});
  check("_linalg_potri", {}, {{2, 3, 3}}, FillLowerDominant);
  check("_linalg_inverse", {}, {{2, 3, 3}}, FillLowerDominant);
  check("_linalg_det", {}, {{2, 3, 3}}, FillLowerDominant);
  check("_linalg_slogdet", {}, {{3, 3}}, FillLowerDominant);
  check("_linalg_gelqf", {}, {{2, 2, 3}});
}

TEST(OpLinalgLa, Errors) {
  ExpectError("_linalg_gemm2", {F64({2, 3}, Iota(6)), F64({2, 3}, Iota(6))}, {}, ErrorKind::kShape,
              {"_linalg_gemm2", "(2,3)", "3 vs 2"});
  ExpectError("_linalg_gemm", {F64({2, 3}, Iota(6)), F64({3, 2}, Iota(6)), F64({3, 3}, Iota(9))}, {},
              ErrorKind::kShape, {"_linalg_gemm", "C", "(2,2)", "(3,3)"});
  ExpectError("_linalg_gemm2", {F64({2, 2, 3}, Iota(12)), F64({3, 3, 2}, Iota(18))}, {}, ErrorKind::kShape,
              {"_linalg_gemm2", "(2,2,3)", "(3,3,2)", "batch"});
  ExpectError("_linalg_gemm2", {F64({2, 3}, Iota(6)), F64({3, 2}, Iota(6))}, {{"axis", "-1"}}, ErrorKind::kValue,
              {"_linalg_gemm2", "axis"});
  ExpectError("_linalg_potrf", {F64({2, 3}, Iota(6))}, {}, ErrorKind::kShape, {"_linalg_potrf", "square", "(2,3)"});
  ExpectError("_linalg_det", {F64({3}, Iota(3))}, {}, ErrorKind::kShape, {"_linalg_det", "(3,)"});
  ExpectError("_linalg_gelqf", {F64({3, 2}, Iota(6))}, {}, ErrorKind::kShape, {"_linalg_gelqf", "(3,2)"});
  ExpectError("_linalg_trsm", {F64({2, 2}, Iota(4)), F64({3, 2}, Iota(6))}, {}, ErrorKind::kShape,
              {"_linalg_trsm", "(2,2)", "(3,2)"});
  ExpectError("_linalg_extractdiag", {F64({3, 3}, Iota(9))}, {{"offset", "3"}}, ErrorKind::kValue,
              {"_linalg_extractdiag", "offset"});
  ExpectError("_linalg_maketrian", {F64({4}, Iota(4))}, {}, ErrorKind::kShape, {"_linalg_maketrian", "(4,)"});
  ExpectError("khatri_rao", {F64({2, 3}, Iota(6)), F64({2, 4}, Iota(8))}, {{"num_args", "2"}}, ErrorKind::kShape,
              {"khatri_rao", "(2,4)"});
  ExpectError("_linalg_gemm2", {FromVec({2, 2}, Iota(4), mxc::kInt32), FromVec({2, 2}, Iota(4), mxc::kInt32)}, {},
              ErrorKind::kType, {"_linalg_gemm2", "int32"});
  ExpectKernelError("_linalg_potrf", {F64({2, 2, 2}, {4, 0, 0, 4, 1, 2, 2, 1})},
                    {"_linalg_potrf", "matrix 1", "positive definite"});
  ExpectKernelError("_linalg_inverse", {F64({2, 2}, {1, 2, 2, 4})}, {"_linalg_inverse", "singular"});
}
