// FullyConnected, Activation, LeakyReLU, softmax, log_softmax, SoftmaxOutput, regression outputs, MakeLoss,
// BlockGrad: forwards against naive references, gradients against finite differences or hand-derived formulas.
#include <algorithm>
#include <cmath>

#include "test_op_nn_util.h"

using namespace mxct;
using mxc::kFloat32;
using mxc::kFloat64;

namespace {

const int kDtypes[] = {kFloat32, kFloat64};

// ---------------------------------------------------------------------------------------------------------------
// FullyConnected
// ---------------------------------------------------------------------------------------------------------------
// out[i][h] = sum_k x[i][k] * w[h][k] + b[h]
std::vector<double> NaiveFC(const std::vector<double> &x, const std::vector<double> &w, const std::vector<double> *b,
                            int64_t n, int64_t k, int64_t nh) {
  std::vector<double> y(n * nh);
  for (int64_t i = 0; i < n; ++i)
    for (int64_t h = 0; h < nh; ++h) {
      double s = b ? (*b)[h] : 0.0;
      for (int64_t j = 0; j < k; ++j) s += x[i * k + j] * w[h * k + j];
      y[i * nh + h] = s;
    }
  return y;
}

TEST(FullyConnected, ForwardFlattenMatchesNaive) {
  for (int dt : kDtypes) {
    auto x = Random({4, 3, 5}, -1, 1, dt, 1);  // flattened to (4, 15)
    auto w = Random({7, 15}, -1, 1, dt, 2);
    auto b = Random({7}, -1, 1, dt, 3);
    auto out = mxct::Run("FullyConnected", {x, w, b}, {{"num_hidden", "7"}});
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0].shape(), (TShape{4, 7}));
    EXPECT_EQ(out[0].dtype(), dt);
    auto bv = ToVec(b);
    ExpectNear(ToVec(out[0]), NaiveFC(ToVec(x), ToVec(w), &bv, 4, 15, 7), Rtol(dt), Atol(dt), "fc flatten");
  }
}

TEST(FullyConnected, ForwardNoFlattenNoBias) {
  for (int dt : kDtypes) {
    auto x = Random({2, 3, 5}, -1, 1, dt, 4);  // applied to the last axis
    auto w = Random({6, 5}, -1, 1, dt, 5);
    auto out = mxct::Run("FullyConnected", {x, w}, {{"num_hidden", "6"}, {"no_bias", "True"}, {"flatten", "False"}});
    EXPECT_EQ(out[0].shape(), (TShape{2, 3, 6}));
    ExpectNear(ToVec(out[0]), NaiveFC(ToVec(x), ToVec(w), nullptr, 6, 5, 6), Rtol(dt), Atol(dt), "fc no flatten");
  }
}

TEST(FullyConnected, MLPSizes) {
  // The main job's shapes: 784-128-10 at batch 128.
  auto x = Random({128, 784}, 0, 1, kFloat32, 6);
  auto w = Random({128, 784}, -0.05, 0.05, kFloat32, 7);
  auto b = Random({128}, -0.1, 0.1, kFloat32, 8);
  auto out = mxct::Run("FullyConnected", {x, w, b}, {{"num_hidden", "128"}});
  auto bv = ToVec(b);
  ExpectNear(ToVec(out[0]), NaiveFC(ToVec(x), ToVec(w), &bv, 128, 784, 128), 1e-4, 1e-4, "fc 784-128");
}

TEST(FullyConnected, InputsDependOnNoBias) {
  const mxc::Op *op = FindOp("FullyConnected");
  mxc::OpParams with(op, {{"num_hidden", "3"}});
  mxc::OpParams without(op, {{"num_hidden", "3"}, {"no_bias", "1"}});
  EXPECT_EQ(op->NumInputs(with), 3);
  EXPECT_EQ(op->NumInputs(without), 2);
  EXPECT_EQ(op->InputNames(without), (std::vector<std::string>{"data", "weight"}));
  EXPECT_EQ(op->input_names, (std::vector<std::string>{"data", "weight", "bias"}));
  // Three inputs to a no_bias call is an error naming the expected inputs.
  auto x = Random({2, 4}, -1, 1);
  ExpectErrorContains([&] { mxct::Run("FullyConnected", {x, Random({3, 4}, -1, 1), Random({3}, -1, 1)},
                                {{"num_hidden", "3"}, {"no_bias", "True"}}); },
                      {"FullyConnected", "data, weight"});
}

TEST(FullyConnected, InfersWeightAndBiasFromData) {
  const mxc::Op *op = FindOp("FullyConnected");
  mxc::OpParams p(op, {{"num_hidden", "10"}});
  std::vector<TShape> in = {TShape{128, 1, 28, 28}, TShape(), TShape()}, out(1);
  op->infer_shape(p, &in, &out);
  EXPECT_EQ(in[1], (TShape{10, 784}));
  EXPECT_EQ(in[2], (TShape{10}));
  EXPECT_EQ(out[0], (TShape{128, 10}));
  // Unknown data: still the weight's first dimension and the bias, without failing.
  std::vector<TShape> in2 = {TShape(), TShape(), TShape()}, out2(1);
  op->infer_shape(p, &in2, &out2);
  EXPECT_EQ(in2[1], (TShape{10, 0}));
  EXPECT_EQ(in2[2], (TShape{10}));
}

TEST(FullyConnected, WrongWeightShapeNamesOperatorArgumentAndShapes) {
  auto x = Random({4, 784}, -1, 1);
  auto w = Random({128, 700}, -1, 1);
  auto b = Random({128}, -1, 1);
  ExpectErrorContains([&] { mxct::Run("FullyConnected", {x, w, b}, {{"num_hidden", "128"}}); },
                      {"FullyConnected", "weight", "(128,784)", "(128,700)"});
  ExpectErrorContains([&] { mxct::Run("FullyConnected", {x, Random({128, 784}, -1, 1), Random({10}, -1, 1)},
                                {{"num_hidden", "128"}}); },
                      {"FullyConnected", "bias", "(128,)", "(10,)"});
  ExpectErrorContains([&] { mxct::Run("FullyConnected", {x, w, b}, {}); }, {"FullyConnected", "num_hidden"});
}

TEST(FullyConnected, FloatDtypesOnly) {
  auto xi = FromVec({2, 3}, {1, 2, 3, 4, 5, 6}, mxc::kInt32);
  auto wi = FromVec({4, 3}, std::vector<double>(12, 1.0), mxc::kInt32);
  ExpectErrorContains([&] { mxct::Run("FullyConnected", {xi, wi}, {{"num_hidden", "4"}, {"no_bias", "1"}}); },
                      {"FullyConnected", "data", "int32", "float32"});
  ExpectErrorContains([&] { mxct::Run("FullyConnected", {Random({2, 3}, -1, 1), Random({4, 3}, -1, 1, kFloat64)},
                                      {{"num_hidden", "4"}, {"no_bias", "1"}}); },
                      {"FullyConnected", "weight", "float64", "float32"});
  ExpectErrorContains([&] { mxct::Run("Activation", {xi}, {{"act_type", "relu"}}); }, {"Activation", "int32"});
}

TEST(FullyConnected, Gradient) {
  CheckGradient({"FullyConnected", {{"num_hidden", "4"}}, {{3, 2, 3}, {4, 6}, {4}}});
  CheckGradient({"FullyConnected", {{"num_hidden", "5"}, {"no_bias", "true"}}, {{3, 6}, {5, 6}}});
  CheckGradient({"FullyConnected", {{"num_hidden", "3"}, {"flatten", "false"}}, {{2, 3, 4}, {3, 4}, {3}}});
}

TEST(FullyConnected, BackwardFloat32MatchesNaive) {
  const int64_t n = 5, k = 7, nh = 3;
  auto x = Random({n, k}, -1, 1, kFloat32, 11);
  auto w = Random({nh, k}, -1, 1, kFloat32, 12);
  auto b = Random({nh}, -1, 1, kFloat32, 13);
  auto dy = Random({n, nh}, -1, 1, kFloat32, 14);
  auto r = ForwardBackward("FullyConnected", {x, w, b}, {{"num_hidden", "3"}}, {dy}, true);
  auto xv = ToVec(x), wv = ToVec(w), dv = ToVec(dy);
  std::vector<double> dx(n * k, 0), dw(nh * k, 0), db(nh, 0);
  for (int64_t i = 0; i < n; ++i)
    for (int64_t h = 0; h < nh; ++h) {
      db[h] += dv[i * nh + h];
      for (int64_t j = 0; j < k; ++j) {
        dx[i * k + j] += dv[i * nh + h] * wv[h * k + j];
        dw[h * k + j] += dv[i * nh + h] * xv[i * k + j];
      }
    }
  ExpectNear(ToVec(r.grads[0]), dx, 1e-4, 1e-5, "dx");
  ExpectNear(ToVec(r.grads[1]), dw, 1e-4, 1e-5, "dw");
  ExpectNear(ToVec(r.grads[2]), db, 1e-4, 1e-5, "db");
}

// ---------------------------------------------------------------------------------------------------------------
// Activation
// ---------------------------------------------------------------------------------------------------------------
double RefAct(const std::string &t, double x) {
  if (t == "relu") return x > 0 ? x : 0;
  if (t == "sigmoid") return 1 / (1 + std::exp(-x));
  if (t == "tanh") return std::tanh(x);
  if (t == "softrelu") return std::log(1 + std::exp(x));
  return x / (1 + std::fabs(x));  // softsign
}

TEST(Activation, ForwardMatchesFormulas) {
  std::vector<double> xs = {-30, -3.5, -1, -0.25, 0.3, 1, 2.5, 25};
  for (const char *t : {"relu", "sigmoid", "tanh", "softrelu", "softsign"}) {
    for (int dt : kDtypes) {
      auto out = mxct::Run("Activation", {FromVec({2, 4}, xs, dt)}, {{"act_type", t}});
      std::vector<double> ref;
      for (double x : xs) ref.push_back(RefAct(t, x));
      ExpectNear(ToVec(out[0]), ref, Rtol(dt), Atol(dt), t);
    }
  }
}

TEST(Activation, Gradient) {
  auto away_from_zero = [](std::vector<NDArray> &ins) {
    double *p = ins[0].blob().ptr<double>();
    for (int64_t i = 0; i < ins[0].Size(); ++i)
      if (std::fabs(p[i]) < 0.05) p[i] = 0.3;
  };
  for (const char *t : {"relu", "sigmoid", "tanh", "softrelu", "softsign"}) {
    GradCase c{"Activation", {{"act_type", t}}, {{3, 4, 2}}, -3, 3};
    c.fill = away_from_zero;
    CheckGradient(c);
  }
}

TEST(Activation, UnknownActTypeListsAllowedValues) {
  ExpectErrorContains([] { mxct::Run("Activation", {Random({2}, -1, 1)}, {{"act_type", "swish"}}); },
                      {"Activation", "act_type", "swish", "relu", "sigmoid", "softrelu", "softsign", "tanh"});
  ExpectErrorContains([] { mxct::Run("Activation", {Random({2}, -1, 1)}, {}); }, {"Activation", "act_type"});
}

// ---------------------------------------------------------------------------------------------------------------
// LeakyReLU
// ---------------------------------------------------------------------------------------------------------------
TEST(LeakyReLU, ForwardMatchesFormulas) {
  std::vector<double> xs = {-2, -0.5, 0.3, 1.7, -4, 3, -0.1, 0.9};
  const double alpha = 1.6732632423543772848170429916717, lambda = 1.0507009873554804934193349852946;
  for (int dt : kDtypes) {
    auto x = FromVec({2, 4}, xs, dt);
    std::vector<double> leaky, leaky_def, elu, selu, gelu;
    for (double v : xs) {
      leaky.push_back(v > 0 ? v : 0.1 * v);
      leaky_def.push_back(v > 0 ? v : 0.25 * v);
      elu.push_back(v > 0 ? v : 0.7 * (std::exp(v) - 1));
      selu.push_back(lambda * (v > 0 ? v : alpha * (std::exp(v) - 1)));
      gelu.push_back(0.5 * v * (1 + std::erf(v / std::sqrt(2.0))));
    }
    ExpectNear(ToVec(mxct::Run("LeakyReLU", {x}, {{"slope", "0.1"}})[0]), leaky, Rtol(dt), Atol(dt), "leaky");
    ExpectNear(ToVec(mxct::Run("LeakyReLU", {x})[0]), leaky_def, Rtol(dt), Atol(dt), "leaky default slope");
    ExpectNear(ToVec(mxct::Run("LeakyReLU", {x}, {{"act_type", "elu"}, {"slope", "0.7"}})[0]), elu, Rtol(dt), Atol(dt),
               "elu");
    ExpectNear(ToVec(mxct::Run("LeakyReLU", {x}, {{"act_type", "selu"}})[0]), selu, Rtol(dt), Atol(dt), "selu");
    ExpectNear(ToVec(mxct::Run("LeakyReLU", {x}, {{"act_type", "gelu"}})[0]), gelu, Rtol(dt), Atol(dt), "gelu");
  }
}

TEST(LeakyReLU, PReLUPerChannelAndShared) {
  // data (2, 3, 2): channel c uses gamma[c]
  auto xs = RandVec(12, -1, 1, 21);
  auto x = FromVec({2, 3, 2}, xs);
  auto g = FromVec({3}, {0.1, 0.5, 2.0});
  auto out = mxct::Run("LeakyReLU", {x, g}, {{"act_type", "prelu"}});
  std::vector<double> ref(12);
  for (int i = 0; i < 12; ++i) {
    int c = (i / 2) % 3;
    ref[i] = xs[i] > 0 ? xs[i] : std::vector<double>{0.1, 0.5, 2.0}[c] * xs[i];
  }
  ExpectNear(ToVec(out[0]), ref, 1e-6, 1e-7, "prelu");
  auto out1 = mxct::Run("LeakyReLU", {x, FromVec({1}, {0.3})}, {{"act_type", "prelu"}});
  for (int i = 0; i < 12; ++i) ref[i] = xs[i] > 0 ? xs[i] : 0.3 * xs[i];
  ExpectNear(ToVec(out1[0]), ref, 1e-6, 1e-7, "prelu shared");
  // Inputs: gamma only for prelu; its shape is inferred as (channels,).
  const mxc::Op *op = FindOp("LeakyReLU");
  EXPECT_EQ(op->NumInputs(mxc::OpParams(op, {})), 1);
  mxc::OpParams pp(op, {{"act_type", "prelu"}});
  EXPECT_EQ(op->InputNames(pp), (std::vector<std::string>{"data", "gamma"}));
  std::vector<TShape> in = {TShape{2, 5, 3}, TShape()}, outs(1);
  op->infer_shape(pp, &in, &outs);
  EXPECT_EQ(in[1], (TShape{5}));
}

TEST(LeakyReLU, RReLU) {
  auto xs = RandVec(200, -1, 1, 22);
  auto x = FromVec({10, 20}, xs);
  // Inference: the mean slope.
  auto out = mxct::Run("LeakyReLU", {x}, {{"act_type", "rrelu"}, {"lower_bound", "0.1"}, {"upper_bound", "0.3"}});
  std::vector<double> ref;
  for (double v : xs) ref.push_back(v > 0 ? v : 0.2 * v);
  ExpectNear(ToVec(out[0]), ref, 1e-6, 1e-7, "rrelu inference");
  // Training: a random slope in [0.1, 0.3) per element.
  auto tr = mxct::Run("LeakyReLU", {x}, {{"act_type", "rrelu"}, {"lower_bound", "0.1"}, {"upper_bound", "0.3"}}, true);
  auto tv = ToVec(tr[0]);
  double min_s = 1, max_s = 0;
  for (size_t i = 0; i < xs.size(); ++i) {
    if (xs[i] > 0) {
      EXPECT_FLOAT_EQ(tv[i], xs[i]);
    } else if (xs[i] < -1e-3) {
      double s = tv[i] / xs[i];
      EXPECT_GE(s, 0.1 - 1e-5);
      EXPECT_LT(s, 0.3 + 1e-5);
      min_s = std::min(min_s, s);
      max_s = std::max(max_s, s);
    }
  }
  EXPECT_GT(max_s - min_s, 0.1);  // really random
}

TEST(LeakyReLU, Gradient) {
  auto away_from_zero = [](std::vector<NDArray> &ins) {
    double *p = ins[0].blob().ptr<double>();
    for (int64_t i = 0; i < ins[0].Size(); ++i)
      if (std::fabs(p[i]) < 0.05) p[i] = -0.4;
  };
  for (const char *t : {"leaky", "elu", "selu", "gelu"}) {
    GradCase c{"LeakyReLU", {{"act_type", t}, {"slope", "0.3"}}, {{2, 3, 4}}, -2, 2};
    c.fill = away_from_zero;
    CheckGradient(c);
  }
  GradCase prelu{"LeakyReLU", {{"act_type", "prelu"}}, {{2, 3, 4}, {3}}, -2, 2};
  prelu.fill = away_from_zero;
  CheckGradient(prelu);
  GradCase prelu1{"LeakyReLU", {{"act_type", "prelu"}}, {{4, 5}, {1}}, -2, 2};
  prelu1.fill = away_from_zero;
  CheckGradient(prelu1);
  GradCase rrelu{"LeakyReLU", {{"act_type", "rrelu"}}, {{3, 5}}, -2, 2};
  rrelu.fill = away_from_zero;
  rrelu.is_train = true;
  CheckGradient(rrelu);
}

// ---------------------------------------------------------------------------------------------------------------
// softmax / log_softmax
// ---------------------------------------------------------------------------------------------------------------
// Reference softmax of a (d0, d1, d2) array along `axis` with temperature t.
std::vector<double> NaiveSoftmax3(const std::vector<double> &x, const int d[3], int axis, double t, bool log) {
  std::vector<double> y(x.size());
  int stride[3] = {d[1] * d[2], d[2], 1};
  for (int a = 0; a < d[0]; ++a)
    for (int b = 0; b < d[1]; ++b)
      for (int c = 0; c < d[2]; ++c) {
        int idx[3] = {a, b, c};
        if (idx[axis] != 0) continue;
        int base = a * stride[0] + b * stride[1] + c * stride[2];
        double sum = 0;
        for (int j = 0; j < d[axis]; ++j) sum += std::exp(x[base + j * stride[axis]] / t);
        for (int j = 0; j < d[axis]; ++j) {
          double v = x[base + j * stride[axis]] / t;
          y[base + j * stride[axis]] = log ? v - std::log(sum) : std::exp(v) / sum;
        }
      }
  return y;
}

TEST(Softmax, ForwardAlongEveryAxis) {
  const int d[3] = {2, 3, 4};
  auto xs = RandVec(24, -3, 3, 31);
  for (int dt : kDtypes) {
    auto x = FromVec({2, 3, 4}, xs, dt);
    for (int axis : {0, 1, 2, -1}) {
      int a = axis < 0 ? axis + 3 : axis;
      auto o = mxct::Run("softmax", {x}, {{"axis", std::to_string(axis)}});
      ExpectNear(ToVec(o[0]), NaiveSoftmax3(xs, d, a, 1.0, false), Rtol(dt), Atol(dt), "softmax");
      auto l = mxct::Run("log_softmax", {x}, {{"axis", std::to_string(axis)}});
      ExpectNear(ToVec(l[0]), NaiveSoftmax3(xs, d, a, 1.0, true), Rtol(dt), Atol(dt), "log_softmax");
    }
    auto t = mxct::Run("softmax", {x}, {{"temperature", "2.5"}, {"axis", "1"}});
    ExpectNear(ToVec(t[0]), NaiveSoftmax3(xs, d, 1, 2.5, false), Rtol(dt), Atol(dt), "softmax temperature");
    auto lt = mxct::Run("log_softmax", {x}, {{"temperature", "0.5"}});
    ExpectNear(ToVec(lt[0]), NaiveSoftmax3(xs, d, 2, 0.5, true), Rtol(dt), Atol(dt), "log_softmax temperature");
  }
  // Large values do not overflow.
  auto big = mxct::Run("softmax", {FromVec({1, 3}, {1000, 1001, 1002})});
  double e1 = std::exp(-1.0), e2 = std::exp(-2.0), s = 1 + e1 + e2;
  ExpectNear(ToVec(big[0]), {e2 / s, e1 / s, 1 / s}, 1e-5, 1e-7, "softmax large");
}

TEST(Softmax, OutputDtype) {
  auto x = Random({3, 5}, -2, 2, kFloat32, 32);
  auto o = mxct::Run("softmax", {x}, {{"dtype", "float64"}});
  EXPECT_EQ(o[0].dtype(), kFloat64);
  const int d[3] = {1, 3, 5};
  ExpectNear(ToVec(o[0]), NaiveSoftmax3(ToVec(x), d, 2, 1.0, false), 1e-12, 1e-12, "softmax float32->float64");
}

TEST(Softmax, Gradient) {
  for (const char *op : {"softmax", "log_softmax"}) {
    CheckGradient({op, {}, {{3, 5}}, -2, 2});
    CheckGradient({op, {{"axis", "1"}}, {{2, 3, 4}}, -2, 2});
    CheckGradient({op, {{"axis", "0"}, {"temperature", "1.7"}}, {{3, 2, 2}}, -2, 2});
  }
}

TEST(Softmax, BadAxis) {
  ExpectErrorContains([] { mxct::Run("softmax", {Random({2, 3}, -1, 1)}, {{"axis", "2"}}); }, {"softmax", "axis"});
}

// ---------------------------------------------------------------------------------------------------------------
// SoftmaxOutput
// ---------------------------------------------------------------------------------------------------------------
std::vector<double> RowSoftmax(const std::vector<double> &x, int n, int k) {
  std::vector<double> y(x.size());
  for (int i = 0; i < n; ++i) {
    double m = -1e300, s = 0;
    for (int j = 0; j < k; ++j) m = std::max(m, x[i * k + j]);
    for (int j = 0; j < k; ++j) s += std::exp(x[i * k + j] - m);
    for (int j = 0; j < k; ++j) y[i * k + j] = std::exp(x[i * k + j] - m) / s;
  }
  return y;
}

TEST(SoftmaxOutput, ForwardAndLabelShape) {
  for (int dt : kDtypes) {
    auto xs = RandVec(20, -2, 2, 41);
    auto x = FromVec({4, 5}, xs, dt);
    auto label = FromVec({4}, {0, 4, 2, 1}, dt);
    auto o = mxct::Run("SoftmaxOutput", {x, label});
    ExpectNear(ToVec(o[0]), RowSoftmax(xs, 4, 5), Rtol(dt), Atol(dt), "SoftmaxOutput");
    auto a = mxct::Run("Softmax", {x, label});  // alias
    ExpectNear(ToVec(a[0]), RowSoftmax(xs, 4, 5), Rtol(dt), Atol(dt), "Softmax");
  }
  const mxc::Op *op = FindOp("SoftmaxOutput");
  mxc::OpParams p(op, {});
  std::vector<TShape> in = {TShape{128, 10}, TShape()}, out(1);
  op->infer_shape(p, &in, &out);
  EXPECT_EQ(in[1], (TShape{128}));
  EXPECT_EQ(out[0], (TShape{128, 10}));
  mxc::OpParams pm(op, {{"multi_output", "true"}});
  std::vector<TShape> in2 = {TShape{2, 3, 4, 5}, TShape()}, out2(1);
  op->infer_shape(pm, &in2, &out2);
  EXPECT_EQ(in2[1], (TShape{2, 4, 5}));
  ExpectErrorContains([&] { mxct::Run("SoftmaxOutput", {Random({4, 5}, -1, 1), Random({3}, 0, 1)}); },
                      {"SoftmaxOutput", "label", "(4,)", "(3,)"});
}

// The reference gradient of SoftmaxOutput on (n, k) data.
std::vector<double> RefSoftmaxOutputGrad(const std::vector<double> &x, const std::vector<double> &label, int n,
                                         int k, double scale, const std::string &norm, bool use_ignore,
                                         double ignore, double alpha) {
  auto y = RowSoftmax(x, n, k);
  int valid = 0;
  for (int i = 0; i < n; ++i) valid += static_cast<int>(label[i]) != static_cast<int>(ignore);
  double div = norm == "batch" ? n : norm == "valid" ? std::max(valid, 1) : 1;
  std::vector<double> g(x.size());
  for (int i = 0; i < n; ++i) {
    int l = static_cast<int>(label[i]);
    for (int j = 0; j < k; ++j) {
      double target = j == l ? 1 - alpha : alpha / (k - 1);
      if (use_ignore && l == static_cast<int>(ignore)) g[i * k + j] = 0;
      else g[i * k + j] = (y[i * k + j] - target) * scale / div;
    }
  }
  return g;
}

TEST(SoftmaxOutput, BackwardIsCrossEntropyGradient) {
  const int n = 6, k = 4;
  auto xs = RandVec(n * k, -2, 2, 42);
  std::vector<double> labels = {0, 3, -1, 2, 1, 3};
  struct Case {
    Params params;
    double scale;
    std::string norm;
    bool use_ignore;
    double alpha;
  };
  std::vector<Case> cases = {
      {{}, 1, "null", false, 0},
      {{{"grad_scale", "2.5"}, {"normalization", "batch"}}, 2.5, "batch", false, 0},
      {{{"normalization", "valid"}}, 1, "valid", false, 0},
      {{{"normalization", "valid"}, {"use_ignore", "true"}}, 1, "valid", true, 0},
      {{{"use_ignore", "true"}, {"ignore_label", "3"}}, 1, "null", true, 0},
      {{{"smooth_alpha", "0.3"}}, 1, "null", false, 0.3},
  };
  for (int dt : kDtypes) {
    for (auto &c : cases) {
      auto x = FromVec({n, k}, xs, dt);
      auto label = FromVec({n}, labels, dt);
      // The head gradient is ignored: pass garbage.
      auto head = FromVec({n, k}, RandVec(n * k, 5, 9, 43), dt);
      auto r = ForwardBackward("SoftmaxOutput", {x, label}, c.params, {head}, true);
      double ignore = 0;
      for (auto &kv : c.params)
        if (kv.first == "ignore_label") ignore = std::stod(kv.second);
      if (ignore == 0) ignore = -1;
      ExpectNear(ToVec(r.grads[0]),
                 RefSoftmaxOutputGrad(xs, labels, n, k, c.scale, c.norm, c.use_ignore, ignore, c.alpha), Rtol(dt),
                 Atol(dt), "SoftmaxOutput grad");
      ExpectNear(ToVec(r.grads[1]), std::vector<double>(n, 0.0), 0, 0, "label grad");
    }
  }
}

TEST(SoftmaxOutput, BackwardMatchesFiniteDifferenceOfCrossEntropy) {
  // d/dx of sum_i -log softmax(x_i)[label_i], independently by central differences.
  const int n = 3, k = 5;
  auto xs = RandVec(n * k, -2, 2, 44);
  std::vector<double> labels = {4, 0, 2};
  auto ce = [&](const std::vector<double> &v) {
    auto y = RowSoftmax(v, n, k);
    double s = 0;
    for (int i = 0; i < n; ++i) s -= std::log(y[i * k + static_cast<int>(labels[i])]);
    return s;
  };
  std::vector<double> num(n * k);
  for (int i = 0; i < n * k; ++i) {
    auto a = xs, b = xs;
    a[i] += 1e-6;
    b[i] -= 1e-6;
    num[i] = (ce(a) - ce(b)) / 2e-6;
  }
  auto r = ForwardBackward("SoftmaxOutput", {FromVec({n, k}, xs, kFloat64), FromVec({n}, labels, kFloat64)}, {},
                           {FromVec({n, k}, std::vector<double>(n * k, 1.0), kFloat64)}, true);
  ExpectNear(ToVec(r.grads[0]), num, 1e-6, 1e-8, "CE gradient");
}

TEST(SoftmaxOutput, MultiOutput) {
  // data (2, 3, 4): softmax over axis 1, label (2, 4); gradient / 4 (null), / 8 (batch: n * spatial), / valid.
  const int n = 2, c = 3, s = 4;
  auto xs = RandVec(n * c * s, -2, 2, 45);
  std::vector<double> labels = {0, 1, 2, 1, 2, 2, 0, -1};
  auto x = FromVec({n, c, s}, xs, kFloat64);
  auto label = FromVec({n, s}, labels, kFloat64);
  std::vector<double> y(xs.size());
  for (int i = 0; i < n; ++i)
    for (int p = 0; p < s; ++p) {
      double sum = 0;
      for (int j = 0; j < c; ++j) sum += std::exp(xs[(i * c + j) * s + p]);
      for (int j = 0; j < c; ++j) y[(i * c + j) * s + p] = std::exp(xs[(i * c + j) * s + p]) / sum;
    }
  auto head = FromVec({n, c, s}, std::vector<double>(n * c * s, 1.0), kFloat64);
  for (const char *norm : {"null", "batch", "valid"}) {
    auto r = ForwardBackward("SoftmaxOutput", {x, label},
                             {{"multi_output", "1"}, {"normalization", norm}, {"use_ignore", "1"}}, {head}, true);
    ExpectNear(ToVec(r.outputs[0]), y, 1e-12, 1e-12, "multi_output forward");
    double div = std::string(norm) == "null" ? s : std::string(norm) == "batch" ? n * s : 7;
    std::vector<double> g(xs.size());
    for (int i = 0; i < n; ++i)
      for (int p = 0; p < s; ++p)
        for (int j = 0; j < c; ++j) {
          int l = static_cast<int>(labels[i * s + p]);
          int idx = (i * c + j) * s + p;
          g[idx] = l == -1 ? 0 : (y[idx] - (j == l)) / div;
        }
    ExpectNear(ToVec(r.grads[0]), g, 1e-12, 1e-12, std::string("multi_output grad ") + norm);
  }
}

TEST(SoftmaxOutput, ProbabilityLabels) {
  auto xs = RandVec(6, -1, 1, 46);
  std::vector<double> lab = {0.2, 0.3, 0.5, 1, 0, 0};
  auto r = ForwardBackward("SoftmaxOutput", {FromVec({2, 3}, xs, kFloat64), FromVec({2, 3}, lab, kFloat64)},
                           {{"grad_scale", "2"}}, {FromVec({2, 3}, std::vector<double>(6, 1.0), kFloat64)}, true);
  auto y = RowSoftmax(xs, 2, 3);
  std::vector<double> g(6);
  for (int i = 0; i < 6; ++i) g[i] = (y[i] - lab[i]) * 2;
  ExpectNear(ToVec(r.grads[0]), g, 1e-12, 1e-12, "probability labels");
}

TEST(SoftmaxOutput, PreserveShape) {
  // (2, 3, 4) with preserve_shape: softmax over the last axis, label (2, 3).
  const int d[3] = {2, 3, 4};
  auto xs = RandVec(24, -2, 2, 47);
  std::vector<double> labels = {0, 1, 2, 3, 0, 1};
  auto r = ForwardBackward("SoftmaxOutput", {FromVec({2, 3, 4}, xs, kFloat64), FromVec({2, 3}, labels, kFloat64)},
                           {{"preserve_shape", "1"}}, {FromVec({2, 3, 4}, std::vector<double>(24, 1.0), kFloat64)},
                           true);
  auto y = NaiveSoftmax3(xs, d, 2, 1.0, false);
  ExpectNear(ToVec(r.outputs[0]), y, 1e-12, 1e-12, "preserve_shape forward");
  std::vector<double> g = y;
  for (int row = 0; row < 6; ++row) g[row * 4 + static_cast<int>(labels[row])] -= 1;
  ExpectNear(ToVec(r.grads[0]), g, 1e-12, 1e-12, "preserve_shape grad");
}

// ---------------------------------------------------------------------------------------------------------------
// Regression outputs, MakeLoss, BlockGrad
// ---------------------------------------------------------------------------------------------------------------
TEST(RegressionOutput, ForwardAndBackward) {
  const int n = 4, m = 3;
  auto xs = RandVec(n * m, -2, 2, 51);
  auto ls = RandVec(n * m, -1, 1, 52);
  for (int dt : kDtypes) {
    for (const char *name : {"LinearRegressionOutput", "LogisticRegressionOutput", "MAERegressionOutput"}) {
      std::string op = name;
      auto head = FromVec({n, m}, RandVec(n * m, 3, 4, 53), dt);  // ignored
      auto r = ForwardBackward(op, {FromVec({n, m}, xs, dt), FromVec({n, m}, ls, dt)}, {{"grad_scale", "1.5"}},
                               {head}, true);
      std::vector<double> y(xs.size()), g(xs.size());
      for (size_t i = 0; i < xs.size(); ++i) {
        y[i] = op == "LogisticRegressionOutput" ? 1 / (1 + std::exp(-xs[i])) : xs[i];
        double d = y[i] - ls[i];
        if (op == "MAERegressionOutput") d = d > 0 ? 1 : -1;
        g[i] = d * 1.5 / m;  // divided by the number of outputs per sample
      }
      ExpectNear(ToVec(r.outputs[0]), y, Rtol(dt), Atol(dt), op + " forward");
      ExpectNear(ToVec(r.grads[0]), g, Rtol(dt), Atol(dt), op + " grad");
    }
  }
  // (N, 1) data takes an (N,) label by default.
  const mxc::Op *op = FindOp("LinearRegressionOutput");
  mxc::OpParams p(op, {});
  std::vector<TShape> in = {TShape{5, 1}, TShape()}, out(1);
  op->infer_shape(p, &in, &out);
  EXPECT_EQ(in[1], (TShape{5}));
  std::vector<TShape> in2 = {TShape{5, 2}, TShape()}, out2(1);
  op->infer_shape(p, &in2, &out2);
  EXPECT_EQ(in2[1], (TShape{5, 2}));
  ExpectErrorContains([] { mxct::Run("LinearRegressionOutput", {Random({4, 3}, -1, 1), Random({4, 2}, -1, 1)}); },
                      {"LinearRegressionOutput", "label", "(4,2)"});
}

TEST(MakeLoss, GradientIsNormalisedScale) {
  std::vector<double> xs = {0.5, -1, 2, 0, 3, 0.1};
  auto x = FromVec({2, 3}, xs);
  auto head = FromVec({2, 3}, RandVec(6, -1, 1, 54));
  struct C {
    std::string norm;
    double expect;
  };
  // 3 elements above 0.2 -> valid count 3.
  for (auto c : {C{"null", 2.0}, C{"batch", 1.0}, C{"valid", 2.0 / 3}}) {
    auto r = ForwardBackward("MakeLoss", {x}, {{"grad_scale", "2"}, {"normalization", c.norm}, {"valid_thresh", "0.2"}},
                             {head}, true);
    ExpectNear(ToVec(r.outputs[0]), xs, 1e-7, 0, "MakeLoss forward");
    ExpectNear(ToVec(r.grads[0]), std::vector<double>(6, c.expect), 1e-6, 0, "MakeLoss " + c.norm);
  }
  auto r = ForwardBackward("make_loss", {x}, {}, {head}, true);
  ExpectNear(ToVec(r.grads[0]), std::vector<double>(6, 1.0), 0, 0, "make_loss");
}

TEST(BlockGrad, IdentityWithZeroGradient) {
  auto xs = RandVec(6, -1, 1, 55);
  for (const char *name : {"BlockGrad", "stop_gradient"}) {
    auto r = ForwardBackward(name, {FromVec({2, 3}, xs)}, {}, {FromVec({2, 3}, std::vector<double>(6, 1.0))}, true);
    ExpectNear(ToVec(r.outputs[0]), xs, 1e-7, 0, "BlockGrad forward");
    ExpectNear(ToVec(r.grads[0]), std::vector<double>(6, 0.0), 0, 0, "BlockGrad grad");
  }
}

}  // namespace
