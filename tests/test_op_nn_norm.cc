// BatchNorm, Dropout and Embedding.
#include <algorithm>
#include <cmath>
#include <set>

#include "test_op_nn_util.h"

using namespace mxct;
using mxc::kFloat32;
using mxc::kFloat64;

namespace {

// ---------------------------------------------------------------------------------------------------------------
// BatchNorm
// ---------------------------------------------------------------------------------------------------------------
// Per-channel statistics of data (outer, c, inner) along channel axis.
struct Stats {
  std::vector<double> mean, var;
};
Stats ChannelStats(const std::vector<double> &x, int outer, int c, int inner) {
  Stats s;
  s.mean.assign(c, 0);
  s.var.assign(c, 0);
  const int m = outer * inner;
  for (int o = 0; o < outer; ++o)
    for (int k = 0; k < c; ++k)
      for (int i = 0; i < inner; ++i) s.mean[k] += x[(o * c + k) * inner + i] / m;
  for (int o = 0; o < outer; ++o)
    for (int k = 0; k < c; ++k)
      for (int i = 0; i < inner; ++i) {
        double d = x[(o * c + k) * inner + i] - s.mean[k];
        s.var[k] += d * d / m;
      }
  return s;
}

std::vector<double> Normalize(const std::vector<double> &x, int outer, int c, int inner,
                              const std::vector<double> &mean, const std::vector<double> &var,
                              const std::vector<double> &gamma, const std::vector<double> &beta, double eps) {
  std::vector<double> y(x.size());
  for (int o = 0; o < outer; ++o)
    for (int k = 0; k < c; ++k)
      for (int i = 0; i < inner; ++i) {
        int idx = (o * c + k) * inner + i;
        y[idx] = gamma[k] * (x[idx] - mean[k]) / std::sqrt(var[k] + eps) + beta[k];
      }
  return y;
}

TEST(BatchNorm, TrainingUsesBatchStatsAndUpdatesMovingStats) {
  for (int dt : {kFloat32, kFloat64}) {
    const int n = 4, c = 3, inner = 5;
    auto xs = RandVec(n * c * inner, -2, 3, 61);
    std::vector<double> gamma = {1.5, 2, 0.5}, beta = {0.1, 0.2, 0.3}, mm = {0, 0.1, 0.2}, mv = {1, 2, 3};
    auto x = FromVec({n, c, inner}, xs, dt);
    auto g = FromVec({c}, gamma, dt), b = FromVec({c}, beta, dt);
    auto amm = FromVec({c}, mm, dt), amv = FromVec({c}, mv, dt);
    auto out = mxct::Run("BatchNorm", {x, g, b, amm, amv},
                         {{"fix_gamma", "False"}, {"output_mean_var", "True"}, {"eps", "0.01"}, {"momentum", "0.8"}},
                         true);
    ASSERT_EQ(out.size(), 3u);
    Stats s = ChannelStats(xs, n, c, inner);
    ExpectNear(ToVec(out[0]), Normalize(xs, n, c, inner, s.mean, s.var, gamma, beta, 0.01), Rtol(dt), Atol(dt) * 10,
               "train output");
    ExpectNear(ToVec(out[1]), s.mean, Rtol(dt), Atol(dt), "mean");
    std::vector<double> invstd;
    for (double v : s.var) invstd.push_back(1 / std::sqrt(v + 0.01));
    ExpectNear(ToVec(out[2]), invstd, Rtol(dt), Atol(dt), "inverse std");
    std::vector<double> emm, emv;
    for (int k = 0; k < c; ++k) {
      emm.push_back(0.8 * mm[k] + 0.2 * s.mean[k]);
      emv.push_back(0.8 * mv[k] + 0.2 * s.var[k]);  // biased batch variance, as MXNet
    }
    ExpectNear(ToVec(amm), emm, Rtol(dt), Atol(dt), "moving_mean");
    ExpectNear(ToVec(amv), emv, Rtol(dt), Atol(dt), "moving_var");
  }
}

TEST(BatchNorm, InferenceUsesMovingStats) {
  const int n = 3, c = 2, inner = 4;
  auto xs = RandVec(n * c * inner, -2, 2, 62);
  std::vector<double> gamma = {3, 4}, beta = {-1, 1}, mm = {0.5, -0.5}, mv = {2, 0.5};
  auto amm = FromVec({c}, mm), amv = FromVec({c}, mv);
  // fix_gamma (default) ignores gamma.
  auto out = mxct::Run("BatchNorm", {FromVec({n, c, inner}, xs), FromVec({c}, gamma), FromVec({c}, beta), amm, amv});
  ASSERT_EQ(out.size(), 1u);
  ExpectNear(ToVec(out[0]), Normalize(xs, n, c, inner, mm, mv, {1, 1}, beta, 1e-3), 1e-5, 1e-5, "inference");
  ExpectNear(ToVec(amm), mm, 0, 0, "moving_mean unchanged");
  // use_global_stats while training: moving stats too, and they stay.
  auto tr = mxct::Run("BatchNorm", {FromVec({n, c, inner}, xs), FromVec({c}, gamma), FromVec({c}, beta), amm, amv},
                      {{"use_global_stats", "1"}, {"fix_gamma", "0"}}, true);
  ExpectNear(ToVec(tr[0]), Normalize(xs, n, c, inner, mm, mv, gamma, beta, 1e-3), 1e-5, 1e-5, "global stats");
  ExpectNear(ToVec(amv), mv, 0, 0, "moving_var unchanged");
}

TEST(BatchNorm, OtherAxis) {
  // axis = -1 on (4, 3): channels along the last axis.
  auto xs = RandVec(12, -1, 1, 63);
  auto out = mxct::Run("BatchNorm", {FromVec({4, 3}, xs, kFloat64), FromVec({3}, {1, 2, 3}, kFloat64),
                                     FromVec({3}, {0, 0, 1}, kFloat64), FromVec({3}, {0, 0, 0}, kFloat64),
                                     FromVec({3}, {1, 1, 1}, kFloat64)},
                       {{"axis", "-1"}, {"fix_gamma", "false"}}, true);
  Stats s = ChannelStats(xs, 4, 3, 1);
  ExpectNear(ToVec(out[0]), Normalize(xs, 4, 3, 1, s.mean, s.var, {1, 2, 3}, {0, 0, 1}, 1e-3), 1e-10, 1e-10, "axis");
}

TEST(BatchNorm, MetadataAndShapes) {
  const mxc::Op *op = FindOp("BatchNorm");
  EXPECT_EQ(op->num_aux, 2);
  mxc::OpParams p(op, {});
  EXPECT_EQ(op->NumOutputs(p), 3);
  EXPECT_EQ(op->NumVisibleOutputs(p), 1);
  mxc::OpParams pv(op, {{"output_mean_var", "True"}});
  EXPECT_EQ(op->OutputNames(pv), (std::vector<std::string>{"output", "mean", "var"}));
  std::vector<TShape> in = {TShape{8, 16, 5, 5}, TShape(), TShape(), TShape(), TShape()}, out(3);
  op->infer_shape(p, &in, &out);
  for (int i = 1; i < 5; ++i) EXPECT_EQ(in[i], (TShape{16}));
  EXPECT_EQ(out[2], (TShape{16}));
  ExpectErrorContains([] { mxct::Run("BatchNorm", {Random({2, 3}, -1, 1), Random({4}, 0, 1), Random({3}, 0, 1),
                                                   Random({3}, 0, 1), Random({3}, 0, 1)}); },
                      {"BatchNorm", "gamma", "(3,)", "(4,)"});
}

TEST(BatchNorm, Gradient) {
  auto positive_var = [](std::vector<NDArray> &ins) {
    double *v = ins[4].blob().ptr<double>();
    for (int64_t i = 0; i < ins[4].Size(); ++i) v[i] = std::fabs(v[i]) + 0.5;
  };
  for (const char *fix : {"false", "true"}) {
    GradCase train{"BatchNorm", {{"fix_gamma", fix}, {"eps", "0.01"}}, {{4, 3, 2}, {3}, {3}, {3}, {3}}};
    train.is_train = true;
    train.fill = positive_var;
    train.rtol = 1e-3;
    CheckGradient(train);
    GradCase inference{"BatchNorm", {{"fix_gamma", fix}}, {{4, 3, 2}, {3}, {3}, {3}, {3}}};
    inference.fill = positive_var;
    CheckGradient(inference);
  }
  GradCase global{"BatchNorm", {{"fix_gamma", "false"}, {"use_global_stats", "true"}}, {{3, 2, 2, 2}, {2}, {2}, {2}, {2}}};
  global.is_train = true;
  global.fill = positive_var;
  CheckGradient(global);
  GradCase last{"BatchNorm", {{"fix_gamma", "false"}, {"axis", "2"}}, {{3, 2, 4}, {4}, {4}, {4}, {4}}};
  last.is_train = true;
  last.fill = positive_var;
  last.rtol = 1e-3;
  CheckGradient(last);
}

TEST(BatchNorm, FixGammaHasZeroGammaGradient) {
  auto r = ForwardBackward("BatchNorm", {Random({4, 3}, -1, 1, kFloat32, 1), FromVec({3}, {2, 3, 4}),
                                         FromVec({3}, {0, 0, 0}), FromVec({3}, {0, 0, 0}), FromVec({3}, {1, 1, 1})},
                           {}, {Random({4, 3}, -1, 1, kFloat32, 2)}, true);
  ExpectNear(ToVec(r.grads[1]), {0, 0, 0}, 0, 0, "gamma grad");
}

// ---------------------------------------------------------------------------------------------------------------
// Dropout
// ---------------------------------------------------------------------------------------------------------------
TEST(Dropout, IdentityWhenNotTraining) {
  auto xs = RandVec(100, -1, 1, 71);
  auto out = mxct::Run("Dropout", {FromVec({10, 10}, xs)}, {{"p", "0.5"}});
  ASSERT_EQ(out.size(), 1u);
  ExpectNear(ToVec(out[0]), xs, 1e-6, 1e-7, "inference");
  auto r = ForwardBackward("Dropout", {FromVec({10, 10}, xs)}, {}, {FromVec({10, 10}, xs)}, false);
  ExpectNear(ToVec(r.grads[0]), xs, 1e-6, 1e-7, "inference backward");
}

TEST(Dropout, TrainingDropsAndScales) {
  for (int dt : {kFloat32, kFloat64}) {
    const int n = 20000;
    std::vector<double> xs(n, 2.0);
    auto out = mxct::Run("Dropout", {FromVec({n}, xs, dt)}, {{"p", "0.3"}}, true);
    auto v = ToVec(out[0]);
    int zeros = 0;
    for (double y : v) {
      if (y == 0) ++zeros;
      else EXPECT_NEAR(y, 2.0 / 0.7, 1e-5);
    }
    EXPECT_NEAR(zeros / double(n), 0.3, 0.02);
  }
  // mode='always' drops outside training too; p = 0 keeps everything; p = 1 drops everything.
  auto a = ToVec(mxct::Run("Dropout", {FromVec({1000}, std::vector<double>(1000, 1.0))},
                           {{"p", "0.5"}, {"mode", "always"}})[0]);
  EXPECT_GT(std::count(a.begin(), a.end(), 0.0), 350);
  auto z = ToVec(mxct::Run("Dropout", {FromVec({100}, std::vector<double>(100, 1.0))}, {{"p", "0"}}, true)[0]);
  EXPECT_EQ(std::count(z.begin(), z.end(), 1.0), 100);
  auto o = ToVec(mxct::Run("Dropout", {FromVec({100}, std::vector<double>(100, 1.0))}, {{"p", "1"}}, true)[0]);
  EXPECT_EQ(std::count(o.begin(), o.end(), 0.0), 100);
}

TEST(Dropout, SeededAndMaskUsedInBackward) {
  auto x = FromVec({50}, std::vector<double>(50, 1.0));
  auto dy = FromVec({50}, RandVec(50, 1, 2, 72));
  auto r1 = ForwardBackward("Dropout", {x}, {}, {dy}, true);
  auto r2 = ForwardBackward("Dropout", {x}, {}, {dy}, true);
  ExpectNear(ToVec(r1.outputs[0]), ToVec(r2.outputs[0]), 0, 0, "same seed, same mask");
  auto y = ToVec(r1.outputs[0]), g = ToVec(r1.grads[0]), d = ToVec(dy);
  for (int i = 0; i < 50; ++i) EXPECT_DOUBLE_EQ(g[i], y[i] * d[i]);  // x = 1: output is the mask
}

TEST(Dropout, AxesShareTheMask) {
  // axes=(1,): one draw per (n, k) shared along axis 1.
  auto out = mxct::Run("Dropout", {FromVec({6, 5, 4}, std::vector<double>(120, 1.0))},
                       {{"p", "0.5"}, {"axes", "(1,)"}}, true);
  auto v = ToVec(out[0]);
  std::set<double> values(v.begin(), v.end());
  EXPECT_EQ(values, (std::set<double>{0.0, 2.0}));
  for (int n = 0; n < 6; ++n)
    for (int k = 0; k < 4; ++k)
      for (int j = 1; j < 5; ++j) EXPECT_EQ(v[(n * 5 + j) * 4 + k], v[(n * 5) * 4 + k]);
}

TEST(Dropout, Gradient) {
  GradCase c{"Dropout", {{"p", "0.4"}}, {{4, 6}}};
  c.is_train = true;
  CheckGradient(c);
  CheckGradient({"Dropout", {{"p", "0.4"}}, {{4, 6}}});
}

// ---------------------------------------------------------------------------------------------------------------
// Embedding
// ---------------------------------------------------------------------------------------------------------------
TEST(Embedding, ForwardClipsIndices) {
  for (int dt : {kFloat32, kFloat64}) {
    auto w = FromVec({3, 2}, {0, 1, 2, 3, 4, 5}, dt);
    auto idx = FromVec({2, 2}, {-1, 5, 1.7, 2});
    auto out = mxct::Run("Embedding", {idx, w},
                         {{"input_dim", "3"}, {"output_dim", "2"}, {"dtype", mxc::DTypeName(dt)}});
    EXPECT_EQ(out[0].shape(), (TShape{2, 2, 2}));
    EXPECT_EQ(out[0].dtype(), dt);
    // MXNet 1.9.1: indices -1 -> 0, 5 -> 2, 1.7 -> 1.
    ExpectNear(ToVec(out[0]), {0, 1, 4, 5, 2, 3, 4, 5}, 0, 0, "embedding");
  }
  // Integer indices.
  auto out = mxct::Run("Embedding", {FromVec({3}, {2, 0, 2}, mxc::kInt32), FromVec({3, 2}, {0, 1, 2, 3, 4, 5})},
                       {{"input_dim", "3"}, {"output_dim", "2"}});
  ExpectNear(ToVec(out[0]), {4, 5, 0, 1, 4, 5}, 0, 0, "int32 indices");
}

TEST(Embedding, BackwardAccumulatesRows) {
  auto idx = FromVec({4}, {1, 3, 1, 0});
  auto w = Random({4, 3}, -1, 1);
  std::vector<double> dys = {1, 2, 3, 10, 20, 30, 100, 200, 300, 5, 6, 7};
  auto r = ForwardBackward("Embedding", {idx, w}, {{"input_dim", "4"}, {"output_dim", "3"}},
                           {FromVec({4, 3}, dys)}, true);
  ExpectNear(ToVec(r.grads[1]), {5, 6, 7, 101, 202, 303, 0, 0, 0, 10, 20, 30}, 0, 0, "weight grad");
  ExpectNear(ToVec(r.grads[0]), {0, 0, 0, 0}, 0, 0, "no index grad");
}

TEST(Embedding, GradientAndErrors) {
  GradCase c{"Embedding", {{"input_dim", "5"}, {"output_dim", "3"}, {"dtype", "float64"}}, {{2, 3}, {5, 3}}};
  c.no_grad = {0};
  c.fill = [](std::vector<NDArray> &ins) {
    double *p = ins[0].blob().ptr<double>();
    for (int i = 0; i < 6; ++i) p[i] = (i * 3) % 5;
  };
  CheckGradient(c);
  const mxc::Op *op = FindOp("Embedding");
  mxc::OpParams p(op, {{"input_dim", "10"}, {"output_dim", "4"}});
  std::vector<TShape> in = {TShape{7, 2}, TShape()}, out(1);
  op->infer_shape(p, &in, &out);
  EXPECT_EQ(in[1], (TShape{10, 4}));
  EXPECT_EQ(out[0], (TShape{7, 2, 4}));
  ExpectErrorContains([] { mxct::Run("Embedding", {Random({3}, 0, 2), Random({4, 2}, -1, 1)},
                                     {{"input_dim", "3"}, {"output_dim", "2"}}); },
                      {"Embedding", "weight", "(3,2)", "(4,2)"});
}

}  // namespace
