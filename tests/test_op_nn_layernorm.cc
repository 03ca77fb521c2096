// LayerNorm and InstanceNorm: forward against a double reference and against values MXNet 1.9.1 printed, the
// mean/std outputs, shape and type inference (both ways) and their errors, gradients against finite differences and
// MXNet's, and the GPU kernels against the CPU (hidden statistics and every gradient; skipped without a GPU).
#include <cmath>
#include <string>
#include <vector>

#include "test_op_gpu_util.h"
#include "test_op_nn_util.h"

using namespace mxct;
using mxc::kFloat16;
using mxc::kFloat32;
using mxc::kFloat64;

namespace {

// The input MXNet was given: x = arange(24) * 0.1 + sin(arange(24)), shape (2, 3, 4).
std::vector<double> MxInput() {
  std::vector<double> x(24);
  for (int i = 0; i < 24; ++i) x[i] = i * 0.1 + std::sin(static_cast<double>(i));
  return x;
}
// Head gradient of MXNet's backward: cos(arange(24)).
std::vector<double> MxHead() {
  std::vector<double> h(24);
  for (int i = 0; i < 24; ++i) h[i] = std::cos(static_cast<double>(i));
  return h;
}

// Reference normalisation of x viewed as (outer, n, inner) along the middle axis (LayerNorm), with gamma/beta by
// position; mean and std = sqrt(var + eps) per (outer, inner).
struct Ref {
  std::vector<double> y, mean, std;
};
Ref LayerNormRef(const std::vector<double> &x, int outer, int n, int inner, const std::vector<double> &gamma,
                 const std::vector<double> &beta, double eps) {
  Ref r;
  r.y.resize(x.size());
  for (int o = 0; o < outer; ++o)
    for (int i = 0; i < inner; ++i) {
      double m = 0, v = 0;
      for (int k = 0; k < n; ++k) m += x[(o * n + k) * inner + i] / n;
      for (int k = 0; k < n; ++k) v += (x[(o * n + k) * inner + i] - m) * (x[(o * n + k) * inner + i] - m) / n;
      const double sd = std::sqrt(v + eps);
      for (int k = 0; k < n; ++k) {
        const int e = (o * n + k) * inner + i;
        r.y[e] = gamma[k] * (x[e] - m) / sd + beta[k];
      }
      r.mean.push_back(m);
      r.std.push_back(sd);
    }
  return r;
}
// Instance norm of x (N, C, S): per (n, c) over S, gamma/beta by channel.
std::vector<double> InstanceNormRef(const std::vector<double> &x, int N, int C, int S,
                                    const std::vector<double> &gamma, const std::vector<double> &beta, double eps) {
  std::vector<double> y(x.size());
  for (int b = 0; b < N; ++b)
    for (int c = 0; c < C; ++c) {
      const double *p = x.data() + (b * C + c) * S;
      double m = 0, v = 0;
      for (int s = 0; s < S; ++s) m += p[s] / S;
      for (int s = 0; s < S; ++s) v += (p[s] - m) * (p[s] - m) / S;
      for (int s = 0; s < S; ++s) y[(b * C + c) * S + s] = gamma[c] * (p[s] - m) / std::sqrt(v + eps) + beta[c];
    }
  return y;
}

const std::vector<double> kGamma4 = {1.5, -0.5, 2.0, 0.25}, kBeta4 = {0.1, 0.2, -0.3, 0.4};
const std::vector<double> kGamma3 = {1.5, -0.5, 2.0}, kBeta3 = {0.1, 0.2, -0.3};

// ---------------------------------------------------------------------------------------------------------------
// LayerNorm forward
// ---------------------------------------------------------------------------------------------------------------
TEST(LayerNorm, MatchesReferenceOnEveryAxis) {
  for (int dt : {kFloat32, kFloat64}) {
    auto xs = RandVec(3 * 4 * 5, -2, 3, 71);
    // axis -1 (default), 1, 0 of (3, 4, 5).
    struct A { const char *axis; int outer, n, inner; } axes[] = {{"-1", 12, 5, 1}, {"1", 3, 4, 5}, {"0", 1, 3, 20}};
    for (const auto &a : axes) {
      SCOPED_TRACE(a.axis);
      auto gamma = RandVec(a.n, 0.5, 2, 72), beta = RandVec(a.n, -1, 1, 73);
      auto out = mxct::Run("LayerNorm", {FromVec({3, 4, 5}, xs, dt), FromVec({a.n}, gamma, dt), FromVec({a.n}, beta, dt)},
                           {{"axis", a.axis}, {"eps", "0.01"}, {"output_mean_var", "true"}});
      ASSERT_EQ(out.size(), 3u);
      Ref r = LayerNormRef(xs, a.outer, a.n, a.inner, gamma, beta, 0.01);
      ExpectNear(ToVec(out[0]), r.y, Rtol(dt), Atol(dt) * 10, "output");
      ExpectNear(ToVec(out[1]), r.mean, Rtol(dt), Atol(dt), "mean");
      ExpectNear(ToVec(out[2]), r.std, Rtol(dt), Atol(dt), "std");
      TShape stat{3, 4, 5};
      stat[std::stoi(a.axis) < 0 ? 2 : std::stoi(a.axis)] = 1;
      EXPECT_EQ(out[1].shape(), stat);
      EXPECT_EQ(out[2].shape(), stat);
      EXPECT_EQ(out[0].dtype(), dt);
    }
  }
}

// Values MXNet 1.9.1 printed for mx.nd.LayerNorm(x, gamma, beta[, axis=1], output_mean_var=True) on MxInput().
TEST(LayerNorm, MatchesMXNet) {
  auto x = FromVec({2, 3, 4}, MxInput());
  auto out = mxct::Run("LayerNorm", {x, FromVec({4}, kGamma4), FromVec({4}, kBeta4)}, {{"output_mean_var", "1"}});
  ExpectNear(ToVec(out[0]), {-2.044982433319092, -0.16554580628871918, 1.9326505661010742, 0.2956428825855255,
                             -1.0857000350952148, 0.6657636761665344, -0.009586453437805176, 0.7941968441009521,
                             2.0580904483795166, -0.09670169651508331, -1.667729139328003, 0.0962669849395752,
                             -2.320784091949463, 0.2082795798778534, 1.6936664581298828, 0.5583956241607666,
                             0.17642545700073242, 0.766029953956604, -1.2834844589233398, 0.7932130098342896,
                             1.4266597032546997, -0.2616615891456604, -0.8985229134559631, 0.022874772548675537},
             1e-5, 1e-5, "MXNet output");
  ExpectNear(ToVec(out[1]), {0.6229720711708069, 0.2154611051082611, 0.9143663048744202, 1.7311222553253174,
                             1.2873972654342651, 2.3736321926116943}, 1e-6, 1e-6, "MXNet mean");
  // std is sqrt(var + eps) (not 1/std, not var).
  ExpectNear(ToVec(out[2]), {0.4356484115123749, 0.7239565849304199, 0.6702897548675537, 0.6615802049636841,
                             0.4847753345966339, 0.6097792983055115}, 1e-6, 1e-6, "MXNet std");
  auto o1 = mxct::Run("LayerNorm", {x, FromVec({3}, kGamma3), FromVec({3}, kBeta3)},
                      {{"axis", "1"}, {"output_mean_var", "true"}});
  EXPECT_EQ(o1[1].shape(), (TShape{2, 1, 4}));
  ExpectNear(ToVec(o1[0]), {-0.6628228425979614, 0.7750824689865112, 2.193725347518921, -0.441458135843277,
                            0.6442683339118958, 0.893044114112854, 0.6472457051277161, -0.48232001066207886,
                            2.4941704273223877, 1.5720667839050293, -1.3026511669158936, -2.3073363304138184,
                            -1.432795524597168, -0.030649028718471527, 1.4036232233047485, 1.3960909843444824,
                            0.3678630590438843, 0.7894311547279358, 0.9003540873527527, -0.06872464716434479,
                            2.4151787757873535, 2.231924295425415, 0.7632521986961365, -3.103019952774048},
             1e-5, 1e-5, "MXNet axis=1 output");
  ExpectNear(ToVec(o1[1]), {0.47751858830451965, 0.5982217192649841, 0.6286202669143677, 0.6327055096626282,
                            1.629489779472351, 1.798474907875061, 1.8769229650497437, 1.8846482038497925},
             1e-6, 1e-6, "MXNet axis=1 mean");
  ExpectNear(ToVec(o1[2]), {0.9389833211898804, 0.7626830339431763, 0.3443697392940521, 0.5307488441467285,
                            0.9453929662704468, 0.8990637063980103, 0.5910654067993164, 0.30743172764778137},
             1e-6, 1e-6, "MXNet axis=1 std");
}

TEST(LayerNorm, MetadataAndInference) {
  const mxc::Op *op = FindOp("LayerNorm");
  mxc::OpParams p(op, {});
  EXPECT_EQ(op->InputNames(p), (std::vector<std::string>{"data", "gamma", "beta"}));
  EXPECT_EQ(op->num_aux, 0);
  EXPECT_EQ(op->NumOutputs(p), 3);
  EXPECT_EQ(op->NumVisibleOutputs(p), 1);
  EXPECT_EQ(op->OutputNames(p), (std::vector<std::string>{"output"}));
  EXPECT_EQ(p.Int("axis"), -1);
  EXPECT_DOUBLE_EQ(p.Float("eps"), 1e-5);  // MXNet's default (InstanceNorm's is 1e-3)
  mxc::OpParams pv(op, {{"output_mean_var", "True"}});
  EXPECT_EQ(op->NumVisibleOutputs(pv), 3);
  EXPECT_EQ(op->OutputNames(pv), (std::vector<std::string>{"output", "mean", "std"}));
  // Forward: gamma, beta and the statistics from data.
  std::vector<TShape> in = {TShape{2, 3, 4}, TShape(), TShape()}, out(3);
  op->infer_shape(p, &in, &out);
  EXPECT_EQ(in[1], (TShape{4}));
  EXPECT_EQ(in[2], (TShape{4}));
  EXPECT_EQ(out[0], (TShape{2, 3, 4}));
  EXPECT_EQ(out[1], (TShape{2, 3, 1}));
  mxc::OpParams p1(op, {{"axis", "1"}});
  in = {TShape{2, 3, 4}, TShape(), TShape()};
  out.assign(3, TShape());
  op->infer_shape(p1, &in, &out);
  EXPECT_EQ(in[1], (TShape{3}));
  EXPECT_EQ(out[2], (TShape{2, 1, 4}));
  // Backward: data from the output's shape; gamma alone does not give data (as MXNet).
  in = {TShape(), TShape(), TShape()};
  out = {TShape{5, 6}, TShape(), TShape()};
  op->infer_shape(p, &in, &out);
  EXPECT_EQ(in[0], (TShape{5, 6}));
  EXPECT_EQ(in[1], (TShape{6}));
  in = {TShape(), TShape{4}, TShape()};
  out.assign(3, TShape());
  op->infer_shape(p, &in, &out);
  EXPECT_TRUE(in[0].empty());
  // Types: one dtype for all, float16 gamma/beta with float16 data (MXNet: LayerNorm does not keep float32
  // parameters as BatchNorm does), and from gamma back to data.
  std::vector<int> ti = {kFloat16, -1, -1}, to = {-1, -1, -1};
  op->infer_type(p, &ti, &to);
  EXPECT_EQ(ti, (std::vector<int>{kFloat16, kFloat16, kFloat16}));
  EXPECT_EQ(to, (std::vector<int>{kFloat16, kFloat16, kFloat16}));
  ti = {-1, kFloat64, -1};
  to = {-1, -1, -1};
  op->infer_type(p, &ti, &to);
  EXPECT_EQ(ti, (std::vector<int>{kFloat64, kFloat64, kFloat64}));
  EXPECT_EQ(to[0], kFloat64);
}

TEST(LayerNorm, ErrorsNameOperatorArgumentAndShapes) {
  auto x = Random({2, 3, 4}, -1, 1);
  ExpectErrorContains([&] { mxct::Run("LayerNorm", {x, Random({3}, 0, 1), Random({4}, 0, 1)}); },
                      {"LayerNorm", "gamma", "(4,)", "(3,)"});
  ExpectErrorContains([&] { mxct::Run("LayerNorm", {x, Random({4}, 0, 1), Random({2, 2}, 0, 1)}); },
                      {"LayerNorm", "beta", "(4,)", "(2,2)"});
  ExpectErrorContains([&] { mxct::Run("LayerNorm", {x, Random({4}, 0, 1), Random({4}, 0, 1)}, {{"axis", "3"}}); },
                      {"LayerNorm", "axis", "3", "3 dimension"});
  // float16 data with float32 gamma: a dtype mismatch (as MXNet: "expected float16, got float32").
  const mxc::Op *op = FindOp("LayerNorm");
  ExpectErrorContains([&] {
    std::vector<int> ti = {kFloat16, kFloat32, -1}, to = {-1, -1, -1};
    op->infer_type(mxc::OpParams(op, {}), &ti, &to);
  }, {"LayerNorm", "gamma", "float32", "float16"});
  ExpectErrorContains([&] {
    std::vector<int> ti = {mxc::kInt32, -1, -1}, to = {-1, -1, -1};
    op->infer_type(mxc::OpParams(op, {}), &ti, &to);
  }, {"LayerNorm", "data", "int32"});
}

// ---------------------------------------------------------------------------------------------------------------
// LayerNorm gradient
// ---------------------------------------------------------------------------------------------------------------
TEST(LayerNorm, GradientMatchesFiniteDifferences) {
  CheckGradient(GradCase{"LayerNorm", {}, {{3, 5}, {5}, {5}}});
  CheckGradient(GradCase{"LayerNorm", {{"axis", "1"}, {"eps", "0.1"}}, {{2, 3, 4}, {3}, {3}}});
  CheckGradient(GradCase{"LayerNorm", {{"axis", "0"}}, {{4, 2, 3}, {4}, {4}}});
  CheckGradient(GradCase{"LayerNorm", {{"axis", "-2"}}, {{2, 3, 2, 2}, {2}, {2}}});
}

// MXNet's gradients for head cos(arange(24)); heads on mean and std are ignored (no gradient flows through them).
TEST(LayerNorm, GradientMatchesMXNetAndIgnoresStatisticHeads) {
  for (bool omv : {false, true}) {
    std::vector<NDArray> heads = {FromVec({2, 3, 4}, MxHead(), kFloat64)};
    if (omv) {
      heads.push_back(FromVec({2, 3, 1}, std::vector<double>(6, 5.0), kFloat64));
      heads.push_back(FromVec({2, 3, 1}, std::vector<double>(6, 7.0), kFloat64));
    }
    auto r = ForwardBackward("LayerNorm",
                             {FromVec({2, 3, 4}, MxInput(), kFloat64), FromVec({4}, kGamma4, kFloat64),
                              FromVec({4}, kBeta4, kFloat64)},
                             {{"output_mean_var", omv ? "1" : "0"}}, heads, true);
    ExpectNear(ToVec(r.grads[0]), {0.757109, 0.623005, 0.033057, -1.413171, -1.290125, -0.059473, 2.237522,
                                   -0.887924, -0.339631, 0.966157, -1.677974, 1.051448, 0.426489, -1.036036,
                                   0.784229, -0.174682, -3.089016, -0.140688, 2.461390, 0.768314, 0.937268,
                                   0.357139, -2.572904, 1.278496},
               1e-5, 2e-6, "dx");
    ExpectNear(ToVec(r.grads[1]), {-2.1529672145843506, -0.6191526651382446, 0.359527587890625, 3.4741580486297607},
               1e-6, 1e-6, "dgamma");
    ExpectNear(ToVec(r.grads[2]), {0.4951328933238983, -0.0026115775108337402, -0.4979550242424011,
                                   -0.5354808568954468}, 1e-6, 1e-6, "dbeta");
  }
}

// ---------------------------------------------------------------------------------------------------------------
// InstanceNorm
// ---------------------------------------------------------------------------------------------------------------
TEST(InstanceNorm, MatchesReference) {
  for (int dt : {kFloat32, kFloat64}) {
    auto xs = RandVec(2 * 3 * 4 * 5, -2, 3, 81);
    auto gamma = RandVec(3, 0.5, 2, 82), beta = RandVec(3, -1, 1, 83);
    auto out = mxct::Run("InstanceNorm", {FromVec({2, 3, 4, 5}, xs, dt), FromVec({3}, gamma, dt), FromVec({3}, beta, dt)});
    ASSERT_EQ(out.size(), 1u);
    ExpectNear(ToVec(out[0]), InstanceNormRef(xs, 2, 3, 20, gamma, beta, 1e-3), Rtol(dt), Atol(dt) * 10, "4-d");
    auto o3 = mxct::Run("InstanceNorm", {FromVec({4, 3, 10}, xs, dt), FromVec({3}, gamma, dt), FromVec({3}, beta, dt)},
                        {{"eps", "0.5"}});
    ExpectNear(ToVec(o3[0]), InstanceNormRef(xs, 4, 3, 10, gamma, beta, 0.5), Rtol(dt), Atol(dt) * 10, "3-d");
  }
  // The hidden statistics: mean and (biased) var per (sample, channel).
  auto xs = RandVec(2 * 2 * 3, -1, 1, 84);
  auto all = ForwardAllOutputs("InstanceNorm", {FromVec({2, 2, 3}, xs, kFloat64), FromVec({2}, {1, 1}, kFloat64),
                                                FromVec({2}, {0, 0}, kFloat64)}, {}, false);
  ASSERT_EQ(all.size(), 3u);
  EXPECT_EQ(all[1].shape(), (TShape{2, 2}));
  std::vector<double> mean, var;
  for (int r = 0; r < 4; ++r) {
    double m = (xs[r * 3] + xs[r * 3 + 1] + xs[r * 3 + 2]) / 3, v = 0;
    for (int s = 0; s < 3; ++s) v += (xs[r * 3 + s] - m) * (xs[r * 3 + s] - m) / 3;
    mean.push_back(m);
    var.push_back(v);
  }
  ExpectNear(ToVec(all[1]), mean, 1e-12, 1e-12, "mean");
  ExpectNear(ToVec(all[2]), var, 1e-12, 1e-12, "var");
}

// Values MXNet 1.9.1 printed for mx.nd.InstanceNorm on MxInput() and on cos(arange(24)) of shape (2, 3, 2, 2).
TEST(InstanceNorm, MatchesMXNet) {
  auto out = mxct::Run("InstanceNorm", {FromVec({2, 3, 4}, MxInput()), FromVec({3}, kGamma3), FromVec({3}, kBeta3)});
  ExpectNear(ToVec(out[0]), {-2.039409637451172, 1.1937884092330933, 1.7701375484466553, -0.5245159864425659,
                             0.5948606133460999, 0.6653243899345398, 0.12746509909629822, -0.5876500606536865,
                             2.307915687561035, 0.8855015635490417, -1.666224718093872, -2.727191686630249,
                             -2.3180508613586426, 0.07518929988145828, 1.5935616493225098, 1.0493006706237793,
                             0.17457833886146545, 0.7648414969444275, 0.4453548491001129, -0.5847747921943665,
                             1.4665296077728271, 1.5441930294036865, -0.8977277874946594, -3.3129937648773193},
             1e-5, 1e-5, "MXNet 3-d");
  auto o4 = mxct::Run("InstanceNorm", {FromVec({2, 3, 2, 2}, MxHead()), FromVec({3}, kGamma3), FromVec({3}, kBeta3)},
                      {{"eps", "0.01"}});
  ExpectNear(ToVec(o4[0]), {1.9408506155014038, 1.0652474164962769, -0.7565364837646484, -1.8495614528656006,
                            0.9857552647590637, 0.24157220125198364, -0.2955479621887207, -0.1317794770002365,
                            1.2635915279388428, -2.3937973976135254, -2.0495753288269043, 1.9797816276550293,
                            1.3380268812179565, 1.4781737327575684, -0.22032463550567627, -2.195876359939575,
                            0.8848914504051208, 0.4446242153644562, -0.15883897244930267, -0.37067675590515137,
                            2.8637897968292236, -0.7963581085205078, -2.5281167030334473, -0.7393151521682739},
             1e-5, 1e-5, "MXNet 4-d, eps 0.01");
  // Gradients MXNet gave for head cos(arange(24)).
  auto r = ForwardBackward("InstanceNorm", {FromVec({2, 3, 4}, MxInput(), kFloat64), FromVec({3}, kGamma3, kFloat64),
                                            FromVec({3}, kBeta3, kFloat64)},
                           {}, {FromVec({2, 3, 4}, MxHead(), kFloat64)}, true);
  ExpectNear(ToVec(r.grads[0]), {1.9922879934310913, 2.418617010116577, -0.5086041688919067, -3.9023005962371826,
                                 0.4677496552467346, -0.21737757325172424, -0.39114370942115784, 0.140771746635437,
                                 1.1329665184020996, -1.2348408699035645, -1.174070119857788, 1.275944709777832,
                                 -0.2975705862045288, 1.4001679420471191, 0.6404557228088379, -1.7430531978607178,
                                 1.112245798110962, -0.04279675334692001, -0.7606606483459473, -0.30878838896751404,
                                 2.014058828353882, -1.14714777469635, -1.6716645956039429, 0.8047530651092529},
             1e-5, 1e-5, "MXNet dx");
  ExpectNear(ToVec(r.grads[1]), {-2.8034214973449707, 3.0690741539001465, 0.7949588298797607}, 1e-5, 1e-6,
             "MXNet dgamma");
  ExpectNear(ToVec(r.grads[2]), {1.2625129222869873, 1.7602896690368652, -3.5637173652648926}, 1e-6, 1e-6,
             "MXNet dbeta");
}

TEST(InstanceNorm, MetadataInferenceAndErrors) {
  const mxc::Op *op = FindOp("InstanceNorm");
  mxc::OpParams p(op, {});
  EXPECT_DOUBLE_EQ(p.Float("eps"), 1e-3);
  EXPECT_EQ(op->NumOutputs(p), 3);
  EXPECT_EQ(op->NumVisibleOutputs(p), 1);
  EXPECT_EQ(op->OutputNames(p), (std::vector<std::string>{"output"}));
  std::vector<TShape> in = {TShape{2, 3, 4, 5}, TShape(), TShape()}, out(3);
  op->infer_shape(p, &in, &out);
  EXPECT_EQ(in[1], (TShape{3}));
  EXPECT_EQ(in[2], (TShape{3}));
  EXPECT_EQ(out[0], (TShape{2, 3, 4, 5}));
  EXPECT_EQ(out[1], (TShape{2, 3}));
  // Partial: gamma alone leaves data unknown (no error).
  in = {TShape(), TShape{3}, TShape()};
  out.assign(3, TShape());
  op->infer_shape(p, &in, &out);
  EXPECT_TRUE(in[0].empty());
  std::vector<int> ti = {kFloat16, -1, -1}, to = {-1, -1, -1};
  op->infer_type(p, &ti, &to);
  EXPECT_EQ(ti, (std::vector<int>{kFloat16, kFloat16, kFloat16}));
  auto x = Random({2, 3, 4}, -1, 1);
  ExpectErrorContains([&] { mxct::Run("InstanceNorm", {x, Random({4}, 0, 1), Random({3}, 0, 1)}); },
                      {"InstanceNorm", "gamma", "(3,)", "(4,)"});
  ExpectErrorContains([&] { mxct::Run("InstanceNorm", {x, Random({3}, 0, 1), Random({5}, 0, 1)}); },
                      {"InstanceNorm", "beta", "(3,)", "(5,)"});
  // MXNet: "InstanceNorm only supports input tensors of rank >= 3".
  ExpectErrorContains([&] { mxct::Run("InstanceNorm", {Random({2, 3}, -1, 1), Random({3}, 0, 1), Random({3}, 0, 1)}); },
                      {"InstanceNorm", "data", "(2,3)", "at least 3 dimensions"});
}

TEST(InstanceNorm, GradientMatchesFiniteDifferences) {
  CheckGradient(GradCase{"InstanceNorm", {}, {{2, 3, 4}, {3}, {3}}});
  CheckGradient(GradCase{"InstanceNorm", {{"eps", "0.1"}}, {{3, 2, 2, 3}, {2}, {2}}});
}

// ---------------------------------------------------------------------------------------------------------------
// GPU kernels against the CPU: every output (hidden statistics included) and every gradient, with random heads on
// the visible outputs, write and add requests.
// ---------------------------------------------------------------------------------------------------------------
struct DevRun {
  std::vector<NDArray> outs, grads;
};
DevRun RunOn(const mxc::Device &dev, const std::string &name, const Params &params,
             const std::vector<NDArray> &host_in, const std::vector<NDArray> &host_heads, mxc::OpReq greq) {
  using namespace mxc;
  const Op *op = FindOp(name);
  OpParams p(op, params);
  std::vector<NDArray> in;
  for (auto &a : host_in) in.push_back(mxct_gpu::CopyTo(a, dev));
  const int nout = op->NumOutputs(p);
  std::vector<TShape> is, os(nout);
  std::vector<int> it, ot(nout, -1);
  for (auto &a : in) {
    is.push_back(a.shape());
    it.push_back(a.dtype());
  }
  op->infer_shape(p, &is, &os);
  op->infer_type(p, &it, &ot);
  DevRun r;
  for (int i = 0; i < nout; ++i) r.outs.emplace_back(os[i], ot[i], dev);
  std::vector<TBlob> ib, ob, hb, gb;
  for (auto &a : in) ib.push_back(a.blob());
  for (auto &a : r.outs) ob.push_back(a.blob());
  OpContext ctx;
  ctx.dev = dev;
  ctx.is_train = true;
  op->compute.at(dev.type)(ctx, p, ib, std::vector<OpReq>(nout, kWriteTo), ob);
  std::vector<NDArray> heads;
  for (int i = 0; i < nout; ++i)
    heads.push_back(mxct_gpu::CopyTo(i < static_cast<int>(host_heads.size())
                                         ? host_heads[i]
                                         : FromVec(os[i], std::vector<double>(mxc::ShapeSize(os[i]), 0.0), ot[i]),
                                     dev));
  for (auto &a : heads) hb.push_back(a.blob());
  for (auto &a : in) {
    // add requests start from ones (the gradient is added to them)
    r.grads.push_back(mxct_gpu::CopyTo(FromVec(a.shape(), std::vector<double>(a.Size(), 1.0), a.dtype()), dev));
    gb.push_back(r.grads.back().blob());
  }
  op->backward.at(dev.type)(ctx, p, hb, ib, ob, std::vector<OpReq>(in.size(), greq), gb);
  DeviceWait(dev);
  return r;
}

TEST(NormGpu, KernelsMatchTheCpu) {
  if (!mxct_gpu::HaveGPU()) GTEST_SKIP() << "no GPU on this machine";
#ifdef MXC_USE_CUDA
  for (const std::string &s : mxc::gpu::HostStagedOps()) {
    EXPECT_NE(s, "LayerNorm");
    EXPECT_NE(s, "InstanceNorm");
  }
#endif
  struct C {
    std::string op;
    Params params;
    TShape data;
    int64_t c;
  };
  const std::vector<C> cases = {
      {"LayerNorm", {}, {4, 7}, 7},
      {"LayerNorm", {{"axis", "1"}, {"eps", "0.01"}}, {3, 5, 6}, 5},
      {"LayerNorm", {{"axis", "0"}}, {6, 2, 3}, 6},
      {"LayerNorm", {{"output_mean_var", "true"}}, {2, 600}, 600},     // rows longer than a block
      {"LayerNorm", {{"axis", "0"}}, {3, 300}, 3},                     // many rows per gamma entry
      {"InstanceNorm", {}, {2, 3, 4, 5}, 3},
      {"InstanceNorm", {{"eps", "0.1"}}, {3, 2, 700}, 2},
  };
  for (int dt : {kFloat32, kFloat64}) {
    for (const auto &c : cases) {
      SCOPED_TRACE(c.op + " " + mxc::ShapeStr(c.data) + " " + mxc::DTypeName(dt));
      std::vector<NDArray> in = {Random(c.data, -2, 2, dt, 5), Random({c.c}, 0.5, 1.5, dt, 6),
                                 Random({c.c}, -1, 1, dt, 7)};
      std::vector<NDArray> heads = {Random(c.data, -1, 1, dt, 8)};
      for (mxc::OpReq greq : {mxc::kWriteTo, mxc::kAddTo}) {
        DevRun cpu = RunOn(mxc::Device::CPU(), c.op, c.params, in, heads, greq);
        DevRun gpu = RunOn(mxct_gpu::kGPU, c.op, c.params, in, heads, greq);
        const double rt = dt == kFloat32 ? 1e-4 : 1e-10, at = dt == kFloat32 ? 1e-4 : 1e-10;
        for (size_t i = 0; i < cpu.outs.size(); ++i)
          ExpectNear(mxct_gpu::HostVec(gpu.outs[i]), ToVec(cpu.outs[i]), rt, at, "output " + std::to_string(i));
        for (size_t i = 0; i < cpu.grads.size(); ++i)
          ExpectNear(mxct_gpu::HostVec(gpu.grads[i]), ToVec(cpu.grads[i]), rt, at, "gradient " + std::to_string(i));
      }
    }
  }
}

}  // namespace
