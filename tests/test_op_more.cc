// LRN, GroupNorm, moments, softmin, softsign, rcbrt, cumsum, depth_to_space/space_to_depth, _eye, _linspace, diag,
// broadcast_like, slice_like, broadcast_hypot, logical and/or/xor, nansum/nanprod, shape_array/size_array,
// contrib AdaptiveAvgPooling2D/BilinearResize2D/index_copy/arange_like, ravel_multi_index/unravel_index, scatter_nd and
// batch_take against naive loops and values printed by MXNet 1.9.1, errors, and gradients by finite differences.
#include <cmath>
#include <tuple>

#include "test_op_nn_util.h"
#include "test_op_tensor_common.h"

namespace {

using namespace mxct;
using mxc::ErrorKind;

std::vector<double> Ramp(int64_t n, double scale, double shift) {
  std::vector<double> v(n);
  for (int64_t i = 0; i < n; ++i) v[i] = i * scale + shift;
  return v;
}

// ---- LRN --------------------------------------------------------------------------------------------------------
// A naive LRN over axis 1 of (N, C, S): window |c' - c| <= (nsize - 1) / 2.
std::vector<double> NaiveLRN(const std::vector<double> &x, int64_t N, int64_t C, int64_t S, int nsize, double alpha,
                             double beta, double k) {
  std::vector<double> y(x.size());
  const int64_t half = (nsize - 1) / 2;
  for (int64_t n = 0; n < N; ++n)
    for (int64_t c = 0; c < C; ++c)
      for (int64_t s = 0; s < S; ++s) {
        double ss = 0;
        for (int64_t j = c - half; j <= c + half; ++j)
          if (j >= 0 && j < C) ss += x[(n * C + j) * S + s] * x[(n * C + j) * S + s];
        y[(n * C + c) * S + s] = x[(n * C + c) * S + s] * std::pow(k + alpha / nsize * ss, -beta);
      }
  return y;
}

// MXNet 1.9.1: LRN(arange(20).reshape(2,5,2,1) * 0.3 - 1, nsize=3, alpha=0.5).
TEST(LRN, AsMXNetAndNaive) {
  auto xv = Ramp(20, 0.3, -1.0);
  auto x = FromVec({2, 5, 2, 1}, xv);
  auto y = ToVec(mxct::Run("LRN", {x}, {{"nsize", "3"}, {"alpha", "0.5"}})[0]);
  ExpectNear(std::vector<double>(y.begin(), y.begin() + 8),
             {-0.5548447966575623, -0.40367233753204346, -0.22143331170082092, -0.05681733042001724,
              0.11303674429655075, 0.2726200222969055, 0.4097770154476166, 0.5186421275138855},
             1e-6, 1e-7, "MXNet");
  ExpectNear(y, NaiveLRN(xv, 2, 5, 2, 3, 0.5, 0.75, 2), 1e-6, 1e-7, "naive");
  // An even nsize uses the window of nsize - 1 (MXNet 1.9.1 prints -0.59459239 for the first element of nsize=2).
  auto y2 = ToVec(mxct::Run("LRN", {x}, {{"nsize", "2"}})[0]);
  ExpectNear(y2, NaiveLRN(xv, 2, 5, 2, 2, 1e-4, 0.75, 2), 1e-6, 1e-7, "nsize 2");
  EXPECT_NEAR(y2[0], -0.5945923924446106, 1e-6);
  auto x5 = Random({2, 6, 3}, -2, 2, mxc::kFloat64, 3);
  ExpectNear(ToVec(mxct::Run("LRN", {x5}, {{"nsize", "5"}, {"alpha", "0.3"}, {"beta", "0.5"}, {"knorm", "1"}})[0]),
             NaiveLRN(ToVec(x5), 2, 6, 3, 5, 0.3, 0.5, 1), 1e-12, 1e-14, "float64 nsize 5");
  ExpectError("LRN", {FromVec({3}, {1, 2, 3})}, {{"nsize", "3"}}, ErrorKind::kShape, {"LRN", "(3,)"});
}

TEST(LRN, Gradient) {
  for (const char *n : {"1", "2", "3", "5"}) {
    GradCase g{"LRN", {{"nsize", n}, {"alpha", "0.4"}}, {{2, 5, 2, 2}}, -1.5, 1.5};
    CheckGradient(g);
  }
}

// ---- GroupNorm --------------------------------------------------------------------------------------------------
// MXNet 1.9.1: GroupNorm(arange(24).reshape(2,4,3) ** 1.5 * 0.1, gamma=[1.5, 0.5], beta=[0.1, -0.2], num_groups=2,
// output_mean_var=True); the gradients with head gradient cos(arange(24)).
TEST(GroupNorm, AsMXNetAndNaive) {
  std::vector<double> xv(24);
  for (int i = 0; i < 24; ++i) xv[i] = std::pow(i, 1.5) * 0.1;
  auto x = FromVec({2, 4, 3}, xv);
  auto gamma = FromVec({2}, {1.5, 0.5}), beta = FromVec({2}, {0.1, -0.2});
  auto outs = ForwardAllOutputs("GroupNorm", {x, gamma, beta}, {{"num_groups", "2"}, {"output_mean_var", "1"}}, false);
  ASSERT_EQ(outs.size(), 3u);
  EXPECT_EQ(outs[1].shape(), mxc::TShape({2, 2}));
  ExpectNear(ToVec(outs[1]), {0.47008201479911804, 2.5158379077911377, 5.550201892852783, 9.30594539642334}, 1e-6,
             1e-6, "mean");
  ExpectNear(ToVec(outs[2]), {0.39247027039527893, 0.7453660368919373, 0.9748154282569885, 1.1594825983047485},
             1e-6, 1e-6, "std");
  auto y = ToVec(outs[0]);
  ExpectNear(std::vector<double>(y.begin(), y.begin() + 6),
             {-1.6966277360916138, -1.3144333362579346, -0.6156183481216431, 0.28931325674057007,
              1.3609286546707153, 2.576436996459961},
             1e-5, 1e-6, "output");
  // Naive: each (sample, group) holds 2 channels x 3 positions.
  for (int r = 0; r < 4; ++r) {
    double m = 0, v = 0;
    for (int j = 0; j < 6; ++j) m += xv[r * 6 + j] / 6;
    for (int j = 0; j < 6; ++j) v += (xv[r * 6 + j] - m) * (xv[r * 6 + j] - m) / 6;
    const double ga = r % 2 ? 0.5 : 1.5, be = r % 2 ? -0.2 : 0.1;
    for (int j = 0; j < 6; ++j)
      EXPECT_NEAR(y[r * 6 + j], (xv[r * 6 + j] - m) / std::sqrt(v + 1e-5) * ga + be, 2e-5) << r << " " << j;
  }
  // An empty batch is an empty output.
  EXPECT_EQ(mxct::Run("GroupNorm", {Random({0, 4, 3}, 0, 1), gamma, beta}, {{"num_groups", "2"}})[0].shape(),
            mxc::TShape({0, 4, 3}));
  // One visible output by default.
  EXPECT_EQ(mxct::Run("GroupNorm", {x, gamma, beta}, {{"num_groups", "2"}}).size(), 1u);
  std::vector<double> head(24);
  for (int i = 0; i < 24; ++i) head[i] = std::cos(i);
  auto fb = ForwardBackward("GroupNorm", {x, gamma, beta}, {{"num_groups", "2"}}, {FromVec({2, 4, 3}, head)}, false);
  auto dx = ToVec(fb.grads[0]);
  ExpectNear(std::vector<double>(dx.begin(), dx.begin() + 4),
             {2.6638450622558594, 1.1852214336395264, -1.9613938331604004, -3.49562406539917}, 1e-4, 1e-5, "dx");
  ExpectNear(ToVec(fb.grads[1]), {-5.216742038726807, -6.682872772216797}, 1e-5, 1e-5, "dgamma");
  ExpectNear(ToVec(fb.grads[2]), {-0.34029126167297363, -0.2006233036518097}, 1e-5, 1e-5, "dbeta");
}

TEST(GroupNorm, ErrorsAndGradient) {
  auto g2 = FromVec({2}, {1, 1});
  ExpectError("GroupNorm", {Random({2, 5, 3}, -1, 1), g2, g2}, {{"num_groups", "2"}}, ErrorKind::kShape,
              {"GroupNorm", "(2,5,3)", "num_groups=2"});
  ExpectError("GroupNorm", {Random({2, 4}, -1, 1), g2, g2}, {{"num_groups", "2"}}, ErrorKind::kShape,
              {"GroupNorm", "(2,4)", "3 dimensions"});
  auto g4 = FromVec({4}, {1, 1, 1, 1});
  ExpectError("GroupNorm", {Random({2, 4, 3}, -1, 1), g4, g4}, {{"num_groups", "2"}}, ErrorKind::kShape,
              {"GroupNorm", "gamma", "(4,)", "(2,)"});
  GradCase g{"GroupNorm", {{"num_groups", "2"}, {"eps", "0.01"}}, {{2, 4, 3}, {2}, {2}}, -1, 1};
  CheckGradient(g);
  GradCase g1{"GroupNorm", {{"num_groups", "3"}}, {{1, 3, 2, 2}, {3}, {3}}, -1, 1};
  CheckGradient(g1);
}

// ---- moments ----------------------------------------------------------------------------------------------------
TEST(Moments, AgainstNaive) {
  auto x = Random({2, 3, 4}, -2, 2, mxc::kFloat64, 5);
  auto xv = ToVec(x);
  auto outs = mxct::Run("moments", {x}, {{"axes", "(0,2)"}});
  ASSERT_EQ(outs.size(), 2u);
  EXPECT_EQ(outs[0].shape(), mxc::TShape({3}));
  auto m = ToVec(outs[0]), v = ToVec(outs[1]);
  for (int c = 0; c < 3; ++c) {
    double s = 0, ss = 0;
    for (int n = 0; n < 2; ++n)
      for (int k = 0; k < 4; ++k) s += xv[(n * 3 + c) * 4 + k];
    s /= 8;
    for (int n = 0; n < 2; ++n)
      for (int k = 0; k < 4; ++k) ss += std::pow(xv[(n * 3 + c) * 4 + k] - s, 2) / 8;
    EXPECT_NEAR(m[c], s, 1e-12);
    EXPECT_NEAR(v[c], ss, 1e-12);
  }
  auto kd = mxct::Run("moments", {x}, {{"axes", "(0,2)"}, {"keepdims", "1"}});
  EXPECT_EQ(kd[1].shape(), mxc::TShape({1, 3, 1}));
  // MXNet 1.9.1: integer data gives integer (truncated) moments.
  auto iv = mxct::Run("moments", {FromVec({2, 2}, {1, 2, 3, 5}, mxc::kInt32)}, {{"axes", "(1,)"}});
  EXPECT_EQ(ToVec(iv[0]), (std::vector<double>{1, 4}));
  EXPECT_EQ(ToVec(iv[1]), (std::vector<double>{0, 1}));
  ExpectError("moments", {x}, {}, ErrorKind::kValue, {"moments", "axes"});
  ExpectError("moments", {x}, {{"axes", "(3,)"}}, ErrorKind::kShape, {"moments", "axes=3", "(2,3,4)"});
  GradCase g{"moments", {{"axes", "(1,)"}}, {{2, 3, 2}}, -1, 1};
  CheckGradient(g);
  GradCase g2{"moments", {{"axes", "(0,2)"}, {"keepdims", "1"}}, {{2, 3, 2}}, -1, 1};
  CheckGradient(g2);
}

// ---- softmin, softsign, rcbrt -----------------------------------------------------------------------------------
TEST(Softmin, AsMXNet) {
  auto x = FromVec({2, 3}, {1, 2, 3, 0, -1, 4});
  ExpectNear(ToVec(mxct::Run("softmin", {x})[0]),
             {0.6652409434318542, 0.2447284758090973, 0.09003057330846786, 0.2676231563091278, 0.7274751663208008,
              0.004901689011603594},
             1e-6, 1e-8);
  ExpectNear(ToVec(mxct::Run("softmin", {x}, {{"axis", "0"}, {"temperature", "2"}})[0]),
             {0.3775406777858734, 0.18242551386356354, 0.622459352016449, 0.622459352016449, 0.8175744414329529,
              0.3775406777858734},
             1e-6, 1e-8);
  // Large spreads stay finite (the rows subtract the largest -x).
  auto big = ToVec(mxct::Run("softmin", {FromVec({3}, {-1000, 0, 1000})})[0]);
  ExpectNear(big, {1, 0, 0});
  GradCase g{"softmin", {{"axis", "1"}, {"temperature", "0.7"}}, {{2, 3, 2}}, -1, 1};
  CheckGradient(g);
}

TEST(SoftsignRcbrt, AsMXNetAndGradient) {
  ExpectNear(ToVec(mxct::Run("softsign", {FromVec({3}, {-2, 0, 3})})[0]), {-2.0 / 3, 0, 0.75});
  ExpectNear(ToVec(mxct::Run("rcbrt", {FromVec({3}, {-8, 1, 27})})[0]), {-0.5, 1, 1.0 / 3});
  auto fb = ForwardBackward("rcbrt", {FromVec({3}, {-2, 0.5, 3})}, {}, {FromVec({3}, {1, 1, 1})}, false);
  ExpectNear(ToVec(fb.grads[0]), {-0.13228341937065125, -0.8399473428726196, -0.07704013586044312}, 1e-6, 1e-8);
  CheckGradient(GradCase{"softsign", {}, {{2, 3}}, -2, 2});
  CheckGradient(GradCase{"rcbrt", {}, {{2, 3}}, 0.5, 3});
}

// ---- cumsum -----------------------------------------------------------------------------------------------------
TEST(Cumsum, AxesDtypesAndGradient) {
  auto x = FromVec({2, 3}, Iota(6));
  auto flat = mxct::Run("cumsum", {x})[0];
  EXPECT_EQ(flat.shape(), mxc::TShape({6}));
  EXPECT_EQ(ToVec(flat), (std::vector<double>{0, 1, 3, 6, 10, 15}));
  EXPECT_EQ(ToVec(mxct::Run("cumsum", {x}, {{"axis", "0"}})[0]), (std::vector<double>{0, 1, 2, 3, 5, 7}));
  EXPECT_EQ(ToVec(mxct::Run("cumsum", {x}, {{"axis", "-1"}})[0]), (std::vector<double>{0, 1, 3, 3, 7, 12}));
  auto xi = FromVec({2, 2}, {1, 2, 3, 4}, mxc::kInt32);
  EXPECT_EQ(mxct::Run("cumsum", {xi})[0].dtype(), mxc::kInt32);
  auto d64 = mxct::Run("cumsum", {xi}, {{"dtype", "float64"}})[0];
  EXPECT_EQ(d64.dtype(), mxc::kFloat64);
  EXPECT_EQ(ToVec(d64), (std::vector<double>{1, 3, 6, 10}));
  // A naive reference along the middle axis of a 3-d array.
  auto r = Random({2, 4, 3}, -1, 1, mxc::kFloat64, 9);
  auto rv = ToVec(r), out = ToVec(mxct::Run("cumsum", {r}, {{"axis", "1"}})[0]);
  for (int n = 0; n < 2; ++n)
    for (int k = 0; k < 3; ++k) {
      double acc = 0;
      for (int c = 0; c < 4; ++c) {
        acc += rv[(n * 4 + c) * 3 + k];
        EXPECT_NEAR(out[(n * 4 + c) * 3 + k], acc, 1e-12);
      }
    }
  // MXNet 1.9.1: the gradient along axis 1 with head gradient [[1,2,3],[4,5,6]] is [[6,5,3],[15,11,6]].
  auto fb = ForwardBackward("cumsum", {x}, {{"axis", "1"}}, {FromVec({2, 3}, {1, 2, 3, 4, 5, 6})}, false);
  EXPECT_EQ(ToVec(fb.grads[0]), (std::vector<double>{6, 5, 3, 15, 11, 6}));
  ExpectError("cumsum", {x}, {{"axis", "2"}}, ErrorKind::kShape, {"cumsum", "axis=2", "(2,3)"});
  CheckGradient(GradCase{"cumsum", {{"axis", "0"}}, {{3, 2}}});
  CheckGradient(GradCase{"cumsum", {}, {{2, 3}}});
}

// ---- depth_to_space / space_to_depth ----------------------------------------------------------------------------
TEST(DepthSpace, AsMXNetAndRoundTrip) {
  // MXNet 1.9.1: depth_to_space(arange(48).reshape(1,12,2,2), 2), first row of each of two output rows.
  auto x = FromVec({1, 12, 2, 2}, Iota(48));
  auto y = mxct::Run("depth_to_space", {x}, {{"block_size", "2"}})[0];
  EXPECT_EQ(y.shape(), mxc::TShape({1, 3, 4, 4}));
  auto yv = ToVec(y);
  EXPECT_EQ(std::vector<double>(yv.begin(), yv.begin() + 8), (std::vector<double>{0, 12, 1, 13, 24, 36, 25, 37}));
  // MXNet 1.9.1: space_to_depth(arange(32).reshape(1,2,4,4), 2).
  auto s = mxct::Run("space_to_depth", {FromVec({1, 2, 4, 4}, Iota(32))}, {{"block_size", "2"}})[0];
  EXPECT_EQ(s.shape(), mxc::TShape({1, 8, 2, 2}));
  auto sv = ToVec(s);
  EXPECT_EQ(std::vector<double>(sv.begin(), sv.begin() + 12),
            (std::vector<double>{0, 2, 8, 10, 16, 18, 24, 26, 1, 3, 9, 11}));
  // Naive: out[n, c, h*b+i, w*b+j] = in[n, (i*b+j)*C' + c, h, w], and the round trip.
  auto r = Random({2, 18, 2, 3}, -1, 1, mxc::kFloat64, 4);
  auto rv = ToVec(r), dv = ToVec(mxct::Run("depth_to_space", {r}, {{"block_size", "3"}})[0]);
  for (int n = 0; n < 2; ++n)
    for (int c = 0; c < 2; ++c)
      for (int h = 0; h < 6; ++h)
        for (int w = 0; w < 9; ++w)
          EXPECT_EQ(dv[((n * 2 + c) * 6 + h) * 9 + w],
                    rv[((n * 18 + ((h % 3) * 3 + w % 3) * 2 + c) * 2 + h / 3) * 3 + w / 3]);
  auto back = mxct::Run("space_to_depth", {mxct::Run("depth_to_space", {r}, {{"block_size", "3"}})[0]},
                        {{"block_size", "3"}})[0];
  EXPECT_EQ(ToVec(back), rv);
  ExpectError("depth_to_space", {Random({1, 6, 2, 2}, 0, 1)}, {{"block_size", "2"}}, ErrorKind::kShape,
              {"depth_to_space", "(1,6,2,2)", "block_size^2"});
  ExpectError("space_to_depth", {Random({1, 2, 3, 4}, 0, 1)}, {{"block_size", "2"}}, ErrorKind::kShape,
              {"space_to_depth", "(1,2,3,4)"});
  ExpectError("depth_to_space", {Random({6, 2, 2}, 0, 1)}, {{"block_size", "2"}}, ErrorKind::kShape,
              {"depth_to_space", "4-d"});
  ExpectError("depth_to_space", {Random({1, 4, 2, 2}, 0, 1)}, {{"block_size", "0"}}, ErrorKind::kValue,
              {"depth_to_space", "block_size"});
  CheckGradient(GradCase{"depth_to_space", {{"block_size", "2"}}, {{1, 8, 2, 3}}});
  CheckGradient(GradCase{"space_to_depth", {{"block_size", "2"}}, {{2, 1, 4, 2}}});
}

// ---- _eye, _linspace ---------------------------------------------------------------------------------------------
TEST(EyeLinspace, AsMXNet) {
  auto e = mxct::Run("_eye", {}, {{"N", "3"}, {"M", "4"}, {"k", "1"}})[0];
  EXPECT_EQ(e.shape(), mxc::TShape({3, 4}));
  EXPECT_EQ(ToVec(e), (std::vector<double>{0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1}));
  auto e2 = mxct::Run("_eye", {}, {{"N", "3"}, {"k", "-1"}, {"dtype", "int32"}})[0];
  EXPECT_EQ(e2.dtype(), mxc::kInt32);
  EXPECT_EQ(ToVec(e2), (std::vector<double>{0, 0, 0, 1, 0, 0, 0, 1, 0}));
  ExpectNear(ToVec(mxct::Run("_linspace", {}, {{"start", "0"}, {"stop", "1"}, {"num", "5"}})[0]),
             {0, 0.25, 0.5, 0.75, 1});
  ExpectNear(ToVec(mxct::Run("_linspace", {}, {{"start", "0"}, {"stop", "1"}, {"num", "5"}, {"endpoint", "0"}})[0]),
             {0, 0.2, 0.4, 0.6, 0.8});
  // MXNet 1.9.1: int32 truncates; one sample is start; zero samples is an empty array.
  EXPECT_EQ(ToVec(mxct::Run("_linspace", {}, {{"start", "0"}, {"stop", "10"}, {"num", "4"}, {"dtype", "int32"}})[0]),
            (std::vector<double>{0, 3, 6, 10}));
  EXPECT_EQ(ToVec(mxct::Run("_linspace", {}, {{"start", "2"}, {"stop", "3"}, {"num", "1"}})[0]),
            (std::vector<double>{2}));
  EXPECT_EQ(mxct::Run("_linspace", {}, {{"start", "2"}, {"stop", "3"}, {"num", "0"}})[0].shape(), mxc::TShape({0}));
}

// ---- diag -------------------------------------------------------------------------------------------------------
TEST(Diag, AsMXNetAndNaive) {
  auto a = FromVec({3, 4}, Iota(12));
  EXPECT_EQ(ToVec(mxct::Run("diag", {a})[0]), (std::vector<double>{0, 5, 10}));
  EXPECT_EQ(ToVec(mxct::Run("diag", {a}, {{"k", "1"}})[0]), (std::vector<double>{1, 6, 11}));
  EXPECT_EQ(ToVec(mxct::Run("diag", {a}, {{"k", "-2"}})[0]), (std::vector<double>{8}));
  EXPECT_EQ(mxct::Run("diag", {a}, {{"k", "4"}})[0].shape(), mxc::TShape({0}));
  auto m = mxct::Run("diag", {FromVec({2}, {1, 2})}, {{"k", "-1"}})[0];
  EXPECT_EQ(m.shape(), mxc::TShape({3, 3}));
  EXPECT_EQ(ToVec(m), (std::vector<double>{0, 0, 0, 1, 0, 0, 0, 2, 0}));
  // MXNet 1.9.1 on arange(24).reshape(2,3,4).
  auto b = FromVec({2, 3, 4}, Iota(24));
  auto d0 = mxct::Run("diag", {b})[0];
  EXPECT_EQ(d0.shape(), mxc::TShape({4, 2}));
  EXPECT_EQ(ToVec(d0), (std::vector<double>{0, 16, 1, 17, 2, 18, 3, 19}));
  EXPECT_EQ(ToVec(mxct::Run("diag", {b}, {{"axis1", "1"}, {"axis2", "2"}, {"k", "1"}})[0]),
            (std::vector<double>{1, 6, 11, 13, 18, 23}));
  EXPECT_EQ(ToVec(mxct::Run("diag", {b}, {{"axis1", "2"}, {"axis2", "0"}})[0]),
            (std::vector<double>{0, 13, 4, 17, 8, 21}));
  ExpectError("diag", {a}, {{"k", "5"}}, ErrorKind::kValue, {"diag", "k=5", "(3,4)"});
  ExpectError("diag", {a}, {{"k", "-4"}}, ErrorKind::kValue, {"diag", "k=-4"});
  ExpectError("diag", {a}, {{"axis1", "0"}, {"axis2", "0"}}, ErrorKind::kValue, {"diag", "same axis"});
  ExpectError("diag", {a}, {{"axis1", "3"}}, ErrorKind::kShape, {"diag", "axis1=3"});
  CheckGradient(GradCase{"diag", {{"k", "-1"}}, {{3, 4}}});
  CheckGradient(GradCase{"diag", {{"k", "1"}, {"axis1", "2"}, {"axis2", "0"}}, {{3, 2, 3}}});
  CheckGradient(GradCase{"diag", {{"k", "2"}}, {{3}}});
}

// ---- broadcast_like, slice_like ---------------------------------------------------------------------------------
TEST(BroadcastSliceLike, ShapesValuesErrors) {
  auto l = FromVec({1, 3}, {1, 2, 3});
  auto y = mxct::Run("broadcast_like", {l, Random({4, 3}, 0, 1)})[0];
  EXPECT_EQ(y.shape(), mxc::TShape({4, 3}));
  EXPECT_EQ(ToVec(y), (std::vector<double>{1, 2, 3, 1, 2, 3, 1, 2, 3, 1, 2, 3}));
  EXPECT_EQ(mxct::Run("broadcast_like", {l, Random({2, 5}, 0, 1)}, {{"lhs_axes", "(0,)"}, {"rhs_axes", "(1,)"}})[0]
                .shape(),
            mxc::TShape({5, 3}));
  EXPECT_EQ(mxct::Run("broadcast_like", {Random({1, 3, 1}, 0, 1), Random({5, 4, 7}, 0, 1)},
                      {{"lhs_axes", "(0,2)"}, {"rhs_axes", "(1,-1)"}})[0]
                .shape(),
            mxc::TShape({4, 3, 7}));
  ExpectError("broadcast_like", {Random({2, 3}, 0, 1), Random({4, 3}, 0, 1)}, {}, ErrorKind::kShape,
              {"broadcast_like", "(2,3)", "(4,3)"});
  ExpectError("broadcast_like", {l, Random({4, 5}, 0, 1)}, {{"lhs_axes", "(0,)"}, {"rhs_axes", "(0,1)"}},
              ErrorKind::kValue, {"broadcast_like", "lhs_axes", "rhs_axes"});
  // MXNet 1.9.1: lhs_axes or rhs_axes alone is ignored (a full broadcast).
  ExpectError("broadcast_like", {l, Random({4, 5}, 0, 1)}, {{"rhs_axes", "(0,)"}}, ErrorKind::kShape,
              {"broadcast_like", "(1,3)", "(4,5)"});
  ExpectError("broadcast_like", {l, Random({4, 5}, 0, 1)}, {{"lhs_axes", "(0,)"}}, ErrorKind::kShape,
              {"broadcast_like", "(1,3)", "(4,5)"});
  EXPECT_EQ(mxct::Run("broadcast_like", {Random({1, 1}, 0, 1), Random({4, 5}, 0, 1)}, {{"lhs_axes", "(1,)"}})[0]
                .shape(),
            mxc::TShape({4, 5}));
  auto d = FromVec({2, 3, 4}, Iota(24));
  auto s = mxct::Run("slice_like", {d, Random({1, 2, 3}, 0, 1)})[0];
  EXPECT_EQ(s.shape(), mxc::TShape({1, 2, 3}));
  EXPECT_EQ(ToVec(s), (std::vector<double>{0, 1, 2, 4, 5, 6}));
  EXPECT_EQ(mxct::Run("slice_like", {d, Random({1, 2, 3}, 0, 1)}, {{"axes", "(0,-1)"}})[0].shape(),
            mxc::TShape({1, 3, 3}));
  EXPECT_EQ(mxct::Run("slice_like", {d, Random({2, 2}, 0, 1)}, {{"axes", "(1,)"}})[0].shape(),
            mxc::TShape({2, 2, 4}));
  ExpectError("slice_like", {d, Random({3, 2, 3}, 0, 1)}, {}, ErrorKind::kShape, {"slice_like", "(3,2,3)", "(2,3,4)"});
  ExpectError("slice_like", {d, Random({1, 2}, 0, 1)}, {}, ErrorKind::kShape, {"slice_like", "(1,2)"});
  ExpectError("slice_like", {d, Random({1, 2, 3}, 0, 1)}, {{"axes", "(3,)"}}, ErrorKind::kShape, {"slice_like"});
  CheckGradient(GradCase{"broadcast_like", {}, {{1, 3, 1}, {2, 3, 2}}, -1, 1, {1}});
  CheckGradient(GradCase{"slice_like", {{"axes", "(0,2)"}}, {{3, 2, 4}, {2, 5, 3}}, -1, 1, {1}});
}

// ---- broadcast_hypot, logical operators -------------------------------------------------------------------------
TEST(HypotLogical, AsMXNet) {
  auto h = mxct::Run("broadcast_hypot", {FromVec({2, 1}, {3, 5}), FromVec({2}, {4, 12})})[0];
  ExpectNear(ToVec(h), {5, 12.369317054748535, 6.4031243324279785, 13});
  CheckGradient(GradCase{"broadcast_hypot", {}, {{2, 1}, {3}}, 0.5, 2});
  auto u = FromVec({1, 3}, {0, 1, 2}), v = FromVec({2, 1}, {0, 3});
  EXPECT_EQ(ToVec(mxct::Run("broadcast_logical_and", {u, v})[0]), (std::vector<double>{0, 0, 0, 0, 1, 1}));
  EXPECT_EQ(ToVec(mxct::Run("broadcast_logical_or", {u, v})[0]), (std::vector<double>{0, 1, 1, 1, 1, 1}));
  EXPECT_EQ(ToVec(mxct::Run("broadcast_logical_xor", {u, v})[0]), (std::vector<double>{0, 1, 1, 1, 0, 0}));
  auto a = FromVec({4}, {0, 0, 2, -1}, mxc::kInt32), b = FromVec({4}, {0, 3, 0, 1}, mxc::kInt32);
  auto la = mxct::Run("_logical_and", {a, b})[0];
  EXPECT_EQ(la.dtype(), mxc::kInt32);
  EXPECT_EQ(ToVec(la), (std::vector<double>{0, 0, 0, 1}));
  EXPECT_EQ(ToVec(mxct::Run("_logical_or", {a, b})[0]), (std::vector<double>{0, 1, 1, 1}));
  EXPECT_EQ(ToVec(mxct::Run("_logical_xor", {a, b})[0]), (std::vector<double>{0, 1, 1, 0}));
  EXPECT_EQ(ToVec(mxct::Run("_logical_and_scalar", {a}, {{"scalar", "1"}})[0]), (std::vector<double>{0, 0, 1, 1}));
  EXPECT_EQ(ToVec(mxct::Run("_logical_or_scalar", {a}, {{"scalar", "0"}})[0]), (std::vector<double>{0, 0, 1, 1}));
  EXPECT_EQ(ToVec(mxct::Run("_logical_xor_scalar", {a}, {{"scalar", "1"}})[0]), (std::vector<double>{1, 1, 0, 0}));
}

// ---- nansum, nanprod --------------------------------------------------------------------------------------------
TEST(NanReductions, AsMXNetAndGradients) {
  const double nan = NAN;
  auto x = FromVec({2, 3}, {1, nan, 3, nan, nan, 2});
  EXPECT_EQ(ToVec(mxct::Run("nansum", {x})[0]), (std::vector<double>{6}));
  EXPECT_EQ(ToVec(mxct::Run("nansum", {x}, {{"axis", "1"}})[0]), (std::vector<double>{4, 2}));
  EXPECT_EQ(ToVec(mxct::Run("nanprod", {x}, {{"axis", "0"}})[0]), (std::vector<double>{1, 1, 6}));
  auto kd = mxct::Run("nanprod", {x}, {{"axis", "1"}, {"keepdims", "1"}})[0];
  EXPECT_EQ(kd.shape(), mxc::TShape({2, 1}));
  EXPECT_EQ(ToVec(kd), (std::vector<double>{3, 2}));
  EXPECT_EQ(ToVec(mxct::Run("nansum", {x}, {{"axis", "0"}, {"exclude", "1"}})[0]), (std::vector<double>{4, 2}));
  // MXNet 1.9.1 gradients: NaN positions get 0.
  auto fb = ForwardBackward("nansum", {x}, {{"axis", "1"}}, {FromVec({2}, {2, 3})}, false);
  EXPECT_EQ(ToVec(fb.grads[0]), (std::vector<double>{2, 0, 2, 0, 0, 3}));
  auto y = FromVec({2, 3}, {1, nan, 3, nan, 4, 2});
  auto fp = ForwardBackward("nanprod", {y}, {{"axis", "1"}}, {FromVec({2}, {2, 3})}, false);
  EXPECT_EQ(ToVec(fp.grads[0]), (std::vector<double>{6, 0, 2, 0, 6, 12}));
  // With a zero (MXNet divides by it and gives NaN): the exact derivative.
  auto z = FromVec({3}, {2, 0, 5});
  auto fz = ForwardBackward("nanprod", {z}, {}, {FromVec({1}, {1})}, false);
  EXPECT_EQ(ToVec(fz.grads[0]), (std::vector<double>{0, 10, 0}));
  CheckGradient(GradCase{"nansum", {{"axis", "(0,2)"}}, {{2, 3, 2}}});
  CheckGradient(GradCase{"nanprod", {{"axis", "1"}}, {{2, 3}}, 0.5, 2});
}

// ---- shape_array, size_array ------------------------------------------------------------------------------------
TEST(ShapeSizeArray, Int64) {
  auto x = Random({2, 3, 4}, 0, 1);
  auto s = mxct::Run("shape_array", {x})[0];
  EXPECT_EQ(s.dtype(), mxc::kInt64);
  EXPECT_EQ(ToVec(s), (std::vector<double>{2, 3, 4}));
  auto n = mxct::Run("size_array", {x})[0];
  EXPECT_EQ(n.dtype(), mxc::kInt64);
  EXPECT_EQ(n.shape(), mxc::TShape({1}));
  EXPECT_EQ(ToVec(n), (std::vector<double>{24}));
}

// ---- AdaptiveAvgPooling2D ---------------------------------------------------------------------------------------
TEST(AdaptiveAvgPooling2D, AsMXNetAndNaive) {
  auto x = FromVec({2, 1, 5, 7}, Ramp(70, 0.5, 0));
  auto y = mxct::Run("_contrib_AdaptiveAvgPooling2D", {x}, {{"output_size", "(2,3)"}})[0];
  EXPECT_EQ(y.shape(), mxc::TShape({2, 1, 2, 3}));
  auto yv = ToVec(y);
  ExpectNear(std::vector<double>(yv.begin(), yv.begin() + 6), {4, 5, 6, 11, 12, 13});  // MXNet 1.9.1
  // Upsampling (7, 9): MXNet 1.9.1's first row.
  auto up = ToVec(mxct::Run("_contrib_AdaptiveAvgPooling2D", {x}, {{"output_size", "(7,9)"}})[0]);
  ExpectNear(std::vector<double>(up.begin(), up.begin() + 9), {0, 0.25, 0.75, 1.25, 1.5, 1.75, 2.25, 2.75, 3});
  // Naive bins [floor(i H / o), ceil((i + 1) H / o)).
  auto r = Random({1, 2, 6, 5}, -1, 1, mxc::kFloat64, 11);
  auto rv = ToVec(r), ov = ToVec(mxct::Run("_contrib_AdaptiveAvgPooling2D", {r}, {{"output_size", "(4,3)"}})[0]);
  for (int c = 0; c < 2; ++c)
    for (int i = 0; i < 4; ++i)
      for (int j = 0; j < 3; ++j) {
        const int h0 = i * 6 / 4, h1 = ((i + 1) * 6 + 3) / 4, w0 = j * 5 / 3, w1 = ((j + 1) * 5 + 2) / 3;
        double acc = 0;
        for (int h = h0; h < h1; ++h)
          for (int w = w0; w < w1; ++w) acc += rv[(c * 6 + h) * 5 + w];
        EXPECT_NEAR(ov[(c * 4 + i) * 3 + j], acc / ((h1 - h0) * (w1 - w0)), 1e-12);
      }
  EXPECT_EQ(mxct::Run("_contrib_AdaptiveAvgPooling2D", {x})[0].shape(), mxc::TShape({2, 1, 1, 1}));
  EXPECT_EQ(mxct::Run("_contrib_AdaptiveAvgPooling2D", {x}, {{"output_size", "3"}})[0].shape(),
            mxc::TShape({2, 1, 3, 3}));
  ExpectError("_contrib_AdaptiveAvgPooling2D", {Random({2, 5, 7}, 0, 1)}, {{"output_size", "2"}}, ErrorKind::kShape,
              {"AdaptiveAvgPooling2D", "(2,5,7)", "4-d"});
  ExpectError("_contrib_AdaptiveAvgPooling2D", {x}, {{"output_size", "(1,2,3)"}}, ErrorKind::kValue,
              {"AdaptiveAvgPooling2D", "output_size"});
  CheckGradient(GradCase{"_contrib_AdaptiveAvgPooling2D", {{"output_size", "(2,3)"}}, {{1, 2, 5, 7}}});
  CheckGradient(GradCase{"_contrib_AdaptiveAvgPooling2D", {{"output_size", "(4,5)"}}, {{1, 1, 3, 2}}});
}

// ---- BilinearResize2D -------------------------------------------------------------------------------------------
TEST(BilinearResize2D, AsMXNetModesAndGradient) {
  auto x = FromVec({1, 1, 3, 4}, Iota(12));
  const char *op = "_contrib_BilinearResize2D";
  auto y = ToVec(mxct::Run(op, {x}, {{"height", "5"}, {"width", "6"}})[0]);
  ExpectNear(std::vector<double>(y.begin(), y.begin() + 12),
             {0, 0.6, 1.2, 1.8, 2.4, 3, 2, 2.6, 3.2, 3.8, 4.4, 5}, 1e-6, 1e-6, "align_corners");  // MXNet 1.9.1
  auto n = ToVec(mxct::Run(op, {x}, {{"height", "5"}, {"width", "6"}, {"align_corners", "0"}})[0]);
  ExpectNear(std::vector<double>(n.begin(), n.begin() + 12),
             {0, 0.5, 1.1666667461395264, 1.8333333730697632, 2.5, 3, 1.6000001430511475, 2.1000001430511475,
              2.766666889190674, 3.433333396911621, 4.099999904632568, 4.600000381469727},
             1e-6, 1e-6, "half pixel");  // MXNet 1.9.1
  ExpectNear(ToVec(mxct::Run(op, {x}, {{"height", "2"}, {"width", "3"}})[0]), {0, 1.5, 3, 8, 9.5, 11});
  ExpectNear(ToVec(mxct::Run(op, {x}, {{"height", "2"}, {"width", "3"}, {"align_corners", "false"}})[0]),
             {1.1666666269302368, 2.5, 3.8333334922790527, 7.166666507720947, 8.5, 9.833333015441895}, 1e-6, 1e-6);
  // Output sizes of the modes (MXNet 1.9.1), for inputs (3, 4) and (4, 5).
  auto size = [&](const Params &p, const mxc::TShape &s) {
    return mxct::Run(op, {Random(s, 0, 1)}, p)[0].shape();
  };
  EXPECT_EQ(size({{"scale_height", "2"}, {"scale_width", "1.5"}}, {1, 1, 3, 4}), mxc::TShape({1, 1, 6, 6}));
  EXPECT_EQ(size({{"scale_height", "2"}, {"scale_width", "1.5"}, {"mode", "odd_scale"}}, {1, 1, 3, 4}),
            mxc::TShape({1, 1, 5, 6}));
  const std::vector<std::tuple<const char *, mxc::TShape, mxc::TShape>> modes = {
      {"to_even_down", {1, 1, 2, 4}, {1, 1, 4, 4}}, {"to_even_up", {1, 1, 4, 4}, {1, 1, 4, 6}},
      {"to_odd_down", {1, 1, 3, 3}, {1, 1, 3, 5}}, {"to_odd_up", {1, 1, 3, 5}, {1, 1, 5, 5}}};
  for (auto &m : modes) {
    EXPECT_EQ(size({{"mode", std::get<0>(m)}}, {1, 1, 3, 4}), std::get<1>(m)) << std::get<0>(m);
    EXPECT_EQ(size({{"mode", std::get<0>(m)}}, {1, 1, 4, 5}), std::get<2>(m)) << std::get<0>(m);
  }
  EXPECT_EQ(mxct::Run(op, {x, Random({1, 1, 2, 7}, 0, 1)}, {{"mode", "like"}})[0].shape(), mxc::TShape({1, 1, 2, 7}));
  // MXNet 1.9.1: the gradient with head gradient arange(30) * 0.1.
  auto fb = ForwardBackward(op, {x}, {{"height", "5"}, {"width", "6"}}, {FromVec({1, 1, 5, 6}, Ramp(30, 0.1, 0))},
                            false);
  ExpectNear(ToVec(fb.grads[0]), {0.48, 0.9, 1.26, 1.41, 3.44, 4.4, 4.88, 4.68, 4.68, 5.7, 6.06, 5.61}, 1e-5, 1e-5);
  ExpectError(op, {Random({1, 3, 4}, 0, 1)}, {{"height", "2"}}, ErrorKind::kShape, {"BilinearResize2D", "(1,3,4)"});
  ExpectError(op, {Random({1, 1, 0, 4}, 0, 1)}, {{"height", "2"}}, ErrorKind::kShape, {"BilinearResize2D", "(1,1,0,4)"});
  CheckGradient(GradCase{op, {{"height", "5"}, {"width", "3"}}, {{1, 2, 3, 4}}});
  CheckGradient(GradCase{op, {{"height", "3"}, {"width", "5"}, {"align_corners", "0"}}, {{1, 1, 4, 3}}});
}

// ---- index_copy, arange_like --------------------------------------------------------------------------------------
TEST(IndexCopyArangeLike, AsMXNet) {
  auto old = FromVec({5, 3}, std::vector<double>(15, 0));
  auto nw = FromVec({2, 3}, Iota(6, 1));
  auto y = mxct::Run("_contrib_index_copy", {old, FromVec({2}, {3, 0}), nw})[0];
  EXPECT_EQ(ToVec(y), (std::vector<double>{4, 5, 6, 0, 0, 0, 0, 0, 0, 1, 2, 3, 0, 0, 0}));  // MXNet 1.9.1
  auto fb = ForwardBackward("_contrib_index_copy", {old, FromVec({2}, {3, 0}, mxc::kInt64), nw}, {},
                            {FromVec({5, 3}, Iota(15))}, false, {0, 2});
  EXPECT_EQ(ToVec(fb.grads[0]), (std::vector<double>{0, 0, 0, 3, 4, 5, 6, 7, 8, 0, 0, 0, 12, 13, 14}));
  EXPECT_EQ(ToVec(fb.grads[2]), (std::vector<double>{9, 10, 11, 0, 1, 2}));
  ExpectError("_contrib_index_copy", {old, FromVec({3}, {3, 0, 1}), nw}, {}, ErrorKind::kShape,
              {"index_copy", "(2,3)", "(5,3)", "(3,)"});
  EXPECT_THROW(ToVec(mxct::Run("_contrib_index_copy", {old, FromVec({2}, {7, 0}), nw})[0]), mxc::Error);
  GradCase g{"_contrib_index_copy", {}, {{4, 3}, {2}, {2, 3}}, -1, 1, {1}};
  g.fill = [](std::vector<NDArray> &in) { in[1] = FromVec({2}, {2, 0}, mxc::kFloat64); };
  CheckGradient(g);

  EXPECT_EQ(ToVec(mxct::Run("_contrib_arange_like", {Random({2, 3}, 0, 1)})[0]), Iota(6));
  ExpectNear(ToVec(mxct::Run("_contrib_arange_like", {Random({2, 3}, 0, 1)},
                             {{"start", "1"}, {"step", "0.5"}, {"axis", "1"}})[0]),
             {1, 1.5, 2});
  EXPECT_EQ(ToVec(mxct::Run("_contrib_arange_like", {Random({2, 3}, 0, 1)}, {{"repeat", "2"}})[0]),
            (std::vector<double>{0, 0, 1, 1, 2, 2}));  // MXNet 1.9.1
  EXPECT_EQ(mxct::Run("_contrib_arange_like", {FromVec({2}, {1, 2}, mxc::kInt32)})[0].dtype(), mxc::kInt32);
  ExpectError("_contrib_arange_like", {Random({2, 3}, 0, 1)}, {{"axis", "2"}}, ErrorKind::kShape,
              {"arange_like", "axis=2"});
}

// ---- ravel_multi_index, unravel_index, scatter_nd, batch_take -------------------------------------------------------
TEST(IndexingMore, AsMXNet) {
  auto idx = FromVec({2, 3}, {3, 1, 4, 2, 0, 1});
  EXPECT_EQ(ToVec(mxct::Run("ravel_multi_index", {idx}, {{"shape", "(5,3)"}})[0]), (std::vector<double>{11, 3, 13}));
  auto un = mxct::Run("_unravel_index", {FromVec({3}, {11, 4, 7})}, {{"shape", "(5,3)"}})[0];
  EXPECT_EQ(un.shape(), mxc::TShape({2, 3}));
  EXPECT_EQ(ToVec(un), (std::vector<double>{3, 1, 2, 2, 1, 1}));  // MXNet 1.9.1
  EXPECT_EQ(ToVec(mxct::Run("unravel_index", {FromVec({1}, {100})}, {{"shape", "(5,3)"}})[0]),
            (std::vector<double>{33, 1}));  // MXNet 1.9.1: the first coordinate is not wrapped
  // Round trip through a 3-d shape against naive arithmetic.
  std::vector<double> flat = {0, 5, 23, 17, 9};
  auto mi = mxct::Run("unravel_index", {FromVec({5}, flat, mxc::kInt64)}, {{"shape", "(2,3,4)"}})[0];
  auto mv = ToVec(mi);
  for (int i = 0; i < 5; ++i) {
    const int64_t f = static_cast<int64_t>(flat[i]);
    EXPECT_EQ(mv[i], f / 12);
    EXPECT_EQ(mv[5 + i], f / 4 % 3);
    EXPECT_EQ(mv[10 + i], f % 4);
  }
  EXPECT_EQ(ToVec(mxct::Run("ravel_multi_index", {mi}, {{"shape", "(2,3,4)"}})[0]), flat);
  ExpectError("ravel_multi_index", {idx}, {{"shape", "(5,3,2)"}}, ErrorKind::kShape,
              {"ravel_multi_index", "(2,3)", "(5,3,2)"});
  ExpectError("unravel_index", {FromVec({1}, {4})}, {{"shape", "(5,0)"}}, ErrorKind::kValue,
              {"unravel_index", "(5,0)", "positive"});

  auto sc = mxct::Run("scatter_nd", {FromVec({3}, {2, 3, 0}), FromVec({2, 3}, {1, 1, 0, 0, 1, 0})},
                      {{"shape", "(2,2)"}})[0];
  EXPECT_EQ(ToVec(sc), (std::vector<double>{0, 0, 2, 3}));  // MXNet 1.9.1
  auto sc2 = mxct::Run("scatter_nd", {FromVec({2, 2}, {1, 2, 3, 4}), FromVec({2, 2}, {0, 1, 1, 1})},
                       {{"shape", "(2,2,2)"}})[0];
  EXPECT_EQ(ToVec(sc2), (std::vector<double>{0, 0, 1, 2, 0, 0, 3, 4}));  // MXNet 1.9.1
  auto fb = ForwardBackward("scatter_nd", {FromVec({3}, {2, 3, 4}), FromVec({2, 3}, {1, 1, 0, 0, 1, 0})},
                            {{"shape", "(2,2)"}}, {FromVec({2, 2}, {1, 2, 3, 4})}, false, {0});
  EXPECT_EQ(ToVec(fb.grads[0]), (std::vector<double>{3, 4, 1}));  // MXNet 1.9.1
  ExpectError("scatter_nd", {FromVec({2}, {1, 2}), FromVec({1, 3}, {0, 1, 1})}, {{"shape", "(2,2)"}},
              ErrorKind::kShape, {"scatter_nd", "(2,)", "(1,3)", "(2,2)"});
  GradCase g{"scatter_nd", {{"shape", "(2,4,2)"}}, {{3, 2}, {2, 3}}, -1, 1, {1}};
  g.fill = [](std::vector<NDArray> &in) { in[1] = FromVec({2, 3}, {0, 1, 1, 3, 0, 2}, mxc::kFloat64); };
  CheckGradient(g);

  auto a = FromVec({4, 3}, Iota(12));
  auto bt = mxct::Run("batch_take", {a, FromVec({4}, {0, 2, 1, 2}, mxc::kInt32)})[0];
  EXPECT_EQ(ToVec(bt), (std::vector<double>{0, 5, 7, 11}));  // MXNet 1.9.1
  EXPECT_EQ(ToVec(mxct::Run("batch_take", {a, FromVec({4}, {-1, 3, 4, 0}, mxc::kInt32)})[0]),
            (std::vector<double>{0, 5, 8, 9}));  // MXNet 1.9.1: clipped
  EXPECT_EQ(mxct::Run("batch_take", {a, FromVec({2, 2}, {0, 1, 1, 1}, mxc::kInt32)})[0].shape(), mxc::TShape({2, 2}));
  ExpectError("batch_take", {a, FromVec({2}, {0, 1}, mxc::kInt32)}, {}, ErrorKind::kShape,
              {"batch_take", "(2,)", "(4,3)"});
}

}  // namespace
