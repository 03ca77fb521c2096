// Pad (constant, edge and reflect modes), L2Normalization (instance, channel, spatial) and SoftmaxActivation
// against MXNet 1.9.1's printed values and naive references, shape errors (MXNet's messages), and gradients by
// finite differences.
#include <cmath>

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

// MXNet 1.9.1: Pad(arange(12).reshape(2,1,2,3), mode, pad_width=(0,0,0,0,1,1,2,1), constant_value=-1)[0, 0].
TEST(Pad, ModesAsMXNet) {
  auto x = FromVec({2, 1, 2, 3}, Iota(12));
  const Params pw = {{"pad_width", "(0,0,0,0,1,1,2,1)"}, {"constant_value", "-1"}};
  auto run = [&](const char *mode) {
    Params p = pw;
    p.push_back({"mode", mode});
    auto y = mxct::Run("Pad", {x}, p)[0];
    EXPECT_EQ(y.shape(), TShape({2, 1, 4, 6}));
    auto v = ToVec(y);
    return std::vector<double>(v.begin(), v.begin() + 24);
  };
  EXPECT_EQ(run("constant"), (std::vector<double>{-1, -1, -1, -1, -1, -1, -1, -1, 0, 1, 2, -1,
                                                   -1, -1, 3, 4, 5, -1, -1, -1, -1, -1, -1, -1}));
  EXPECT_EQ(run("edge"),
            (std::vector<double>{0, 0, 0, 1, 2, 2, 0, 0, 0, 1, 2, 2, 3, 3, 3, 4, 5, 5, 3, 3, 3, 4, 5, 5}));
  EXPECT_EQ(run("reflect"),
            (std::vector<double>{5, 4, 3, 4, 5, 4, 2, 1, 0, 1, 2, 1, 5, 4, 3, 4, 5, 4, 2, 1, 0, 1, 2, 1}));
  // The second sample reads its own plane.
  auto c = ToVec(mxct::Run("pad", {x}, {{"mode", "edge"}, {"pad_width", "(0,0,0,0,1,1,2,1)"}})[0]);
  EXPECT_EQ(c[24], 6);
  EXPECT_EQ(c[47], 11);
}

// A naive reference on 5-D data: every output element from its clamped / reflected source index.
TEST(Pad, FiveDAgainstNaive) {
  const TShape s{2, 2, 3, 2, 4};
  const std::vector<int64_t> pw = {0, 0, 0, 0, 2, 1, 1, 0, 0, 3};
  auto x = Random(s, -1, 1, mxc::kFloat64, 7);
  auto xv = ToVec(x);
  for (const char *mode : {"constant", "edge", "reflect"}) {
    SCOPED_TRACE(mode);
    auto y = mxct::Run("Pad", {x},
                       {{"mode", mode}, {"pad_width", "(0,0,0,0,2,1,1,0,0,3)"}, {"constant_value", "2.5"}})[0];
    TShape o = s;
    for (int a = 2; a < 5; ++a) o[a] += pw[2 * a] + pw[2 * a + 1];
    ASSERT_EQ(y.shape(), o);
    std::vector<double> ref;
    for (int64_t n = 0; n < 4; ++n)
      for (int64_t d = 0; d < o[2]; ++d)
        for (int64_t h = 0; h < o[3]; ++h)
          for (int64_t w = 0; w < o[4]; ++w) {
            int64_t idx[3] = {d - pw[4], h - pw[6], w - pw[8]};
            bool outside = false;
            for (int k = 0; k < 3; ++k) {
              const int64_t len = s[k + 2];
              if (idx[k] >= 0 && idx[k] < len) continue;
              outside = true;
              if (std::string(mode) == "edge") idx[k] = idx[k] < 0 ? 0 : len - 1;
              if (std::string(mode) == "reflect") idx[k] = idx[k] < 0 ? -idx[k] : 2 * len - 2 - idx[k];
            }
            ref.push_back(outside && std::string(mode) == "constant"
                              ? 2.5
                              : xv[((n * s[2] + idx[0]) * s[3] + idx[1]) * s[4] + idx[2]]);
          }
    ExpectNear(ToVec(y), ref, 0, 0, mode);
  }
}

TEST(Pad, Errors) {
  auto x = FromVec({2, 1, 2, 3}, Iota(12));
  ExpectError("Pad", {x}, {{"mode", "reflect"}, {"pad_width", "(0,0,0,0,1,1)"}}, ErrorKind::kShape,
              {"Pad", "(2,1,2,3)", "Input shape vs padding spec mismatch"});
  ExpectError("Pad", {x}, {{"mode", "edge"}, {"pad_width", "(1,0,0,0,1,1,1,1)"}}, ErrorKind::kValue,
              {"Pad", "padding on the first two axes to be zero"});
  ExpectError("Pad", {x}, {{"mode", "reflect"}, {"pad_width", "(0,0,0,0,1,1,3,0)"}}, ErrorKind::kValue,
              {"Pad", "reflection padding only supports padding sizes smaller than the input size"});
  ExpectError("Pad", {FromVec({2, 3}, Iota(6))}, {{"mode", "edge"}, {"pad_width", "(0,0,1,1)"}}, ErrorKind::kShape,
              {"Pad", "(2,3)", "only supports 4-D or 5-D input"});
  ExpectError("Pad", {x}, {{"mode", "wrap"}, {"pad_width", "(0,0,0,0,1,1,1,1)"}}, ErrorKind::kValue,
              {"mode", "wrap"});
  ExpectError("Pad", {FromVec({1, 1, 2, 2}, Iota(4), mxc::kInt32)},
              {{"mode", "edge"}, {"pad_width", "(0,0,0,0,1,1,1,1)"}}, ErrorKind::kType, {"Pad", "int32"});
}

// MXNet 1.9.1: the gradient of Pad(x.reshape(2,1,3,4), reflect, (0,0,0,0,2,1,1,3)) with ones as head gradient.
TEST(Pad, GradientAsMXNetAndFiniteDifferences) {
  auto x = FromVec({2, 1, 3, 4}, Ramp(24, 0.1, 0.05));
  auto r = ForwardBackward("Pad", {x}, {{"mode", "reflect"}, {"pad_width", "(0,0,0,0,2,1,1,3)"}},
                           {FromVec({2, 1, 6, 8}, std::vector<double>(96, 1.0))}, false);
  ExpectNear(ToVec(r.grads[0]),
             {2, 3, 2, 1, 6, 9, 6, 3, 4, 6, 4, 2, 2, 3, 2, 1, 6, 9, 6, 3, 4, 6, 4, 2}, 0, 0, "reflect grad");
  for (const char *mode : {"constant", "edge", "reflect"}) {
    GradCase g{"Pad", {{"mode", mode}, {"pad_width", "(0,0,0,0,1,2,2,1)"}}, {{2, 2, 3, 4}}, -1, 1};
    CheckGradient(g);
    GradCase g5{"Pad", {{"mode", mode}, {"pad_width", "(0,0,0,0,1,0,0,1,1,1)"}}, {{1, 2, 2, 2, 3}}, -1, 1};
    CheckGradient(g5);
  }
}

// MXNet 1.9.1: L2Normalization((arange(24).reshape(2,3,4) - 11) / 5, mode)[first six values].
TEST(L2Normalization, ModesAsMXNetAndNaive) {
  auto x = FromVec({2, 3, 4}, Ramp(24, 0.2, -2.2));
  const std::vector<std::pair<const char *, std::vector<double>>> mx = {
      {"instance", {-0.48900965, -0.44455421, -0.40009877, -0.35564336, -0.31118792, -0.26673254}},
      {"channel", {-0.8221786, -0.84515423, -0.87006289, -0.89442718, -0.52320457, -0.50709254}},
      {"spatial", {-0.57497925, -0.52270836, -0.47043753, -0.4181667, -0.62360954, -0.53452253}}};
  auto xv = ToVec(x);
  for (auto &[mode, first] : mx) {
    SCOPED_TRACE(mode);
    auto y = ToVec(mxct::Run("L2Normalization", {x}, {{"mode", mode}})[0]);
    ExpectNear(std::vector<double>(y.begin(), y.begin() + 6), first, 1e-6, 1e-7, mode);
    std::vector<double> ref(24);  // group of element (n, c, w): the sample, (n, w) or (n, c)
    for (int n = 0; n < 2; ++n)
      for (int c = 0; c < 3; ++c)
        for (int w = 0; w < 4; ++w) {
          double ss = 1e-10;
          for (int c2 = 0; c2 < 3; ++c2)
            for (int w2 = 0; w2 < 4; ++w2) {
              const bool same = std::string(mode) == "instance" || (std::string(mode) == "channel" && w2 == w) ||
                                (std::string(mode) == "spatial" && c2 == c);
              if (same) ss += xv[n * 12 + c2 * 4 + w2] * xv[n * 12 + c2 * 4 + w2];
            }
          ref[n * 12 + c * 4 + w] = xv[n * 12 + c * 4 + w] / std::sqrt(ss);
        }
    ExpectNear(y, ref, 1e-6, 1e-7, mode);
  }
  // MXNet 1.9.1: a zero row stays zero (eps); 1-D data normalises each element by itself.
  EXPECT_EQ(ToVec(mxct::Run("L2Normalization", {FromVec({2, 2}, {3, 4, 0, 0})})[0]),
            (std::vector<double>{0.6000000238418579, 0.800000011920929, 0, 0}));
  EXPECT_EQ(ToVec(mxct::Run("L2Normalization", {FromVec({2}, {3, 4})})[0]), (std::vector<double>{1, 1}));
  for (const char *mode : {"channel", "spatial"})
    ExpectError("L2Normalization", {FromVec({1, 2}, {3, 4})}, {{"mode", mode}}, ErrorKind::kShape,
                {"L2Normalization", "(1,2)", "at least 3 dimensions required in", mode});
}

TEST(L2Normalization, Gradients) {
  // MXNet 1.9.1: spatial mode, head gradient sin(arange(24)).
  std::vector<double> head(24);
  for (int i = 0; i < 24; ++i) head[i] = std::sin(i);
  auto r = ForwardBackward("L2Normalization", {FromVec({2, 3, 4}, Ramp(24, 0.2, -2.2))}, {{"mode", "spatial"}},
                           {FromVec({2, 3, 4}, head)}, false);
  auto gv = ToVec(r.grads[0]);
  ExpectNear(std::vector<double>(gv.begin(), gv.begin() + 6),
             {-0.13924667, 0.09333409, 0.1237196, -0.06438799, -0.09408960, -0.2188385}, 1e-5, 1e-6, "spatial grad");
  for (const char *mode : {"instance", "channel", "spatial"}) {
    GradCase g{"L2Normalization", {{"mode", mode}}, {{2, 3, 2, 2}}, -1, 1};
    CheckGradient(g);
  }
}

// MXNet 1.9.1: SoftmaxActivation((arange(24).reshape(2,3,4) - 11) / 5, mode)[first six values] (instance: over the
// last axis), a vector as one instance, channel mode needing 3 dimensions; the gradient in channel mode with head gradient sin(arange(24)).
TEST(SoftmaxActivation, ModesAsMXNetAndGradients) {
  auto x = FromVec({2, 3, 4}, Ramp(24, 0.2, -2.2));
  auto inst = ToVec(mxct::Run("SoftmaxActivation", {x})[0]);
  ExpectNear(std::vector<double>(inst.begin(), inst.begin() + 6),
             {0.18065716, 0.22065516, 0.26950884, 0.32917881, 0.18065718, 0.22065516}, 1e-6, 1e-7, "instance");
  auto ch = ToVec(mxct::Run("SoftmaxActivation", {x}, {{"mode", "channel"}})[0]);
  ExpectNear(std::vector<double>(ch.begin(), ch.begin() + 6),
             {0.12227071, 0.12227072, 0.12227072, 0.12227072, 0.27211848, 0.27211845}, 1e-6, 1e-7, "channel");
  // Against a naive softmax over the last axis (MXNet's instance mode) and softmax over axis 1.
  auto xv = ToVec(x);
  for (int r = 0; r < 6; ++r) {
    double z = 0;
    for (int k = 0; k < 4; ++k) z += std::exp(xv[r * 4 + k]);
    for (int k = 0; k < 4; ++k) EXPECT_NEAR(inst[r * 4 + k], std::exp(xv[r * 4 + k]) / z, 1e-6);
  }
  ExpectNear(ch, ToVec(mxct::Run("softmax", {x}, {{"axis", "1"}})[0]), 1e-6, 1e-7, "channel vs softmax");
  ExpectNear(ToVec(mxct::Run("SoftmaxActivation", {FromVec({3}, {1, 1, 1})})[0]), {1. / 3, 1. / 3, 1. / 3}, 1e-6,
             1e-7, "vector");
  ExpectError("SoftmaxActivation", {FromVec({3}, {1, 1, 1})}, {{"mode", "channel"}}, ErrorKind::kShape,
              {"SoftmaxActivation", "(3,)", "Input need to have a least 3 dimensions when mode=channel"});
  std::vector<double> head(24);
  for (int i = 0; i < 24; ++i) head[i] = std::sin(i);
  auto r = ForwardBackward("SoftmaxActivation", {x}, {{"mode", "channel"}}, {FromVec({2, 3, 4}, head)}, false);
  auto gv = ToVec(r.grads[0]);
  ExpectNear(std::vector<double>(gv.begin(), gv.begin() + 6),
             {-0.04808003, 0.09169585, 0.14716701, 0.0673335, -0.31294402, -0.28584793}, 1e-5, 1e-6, "grad");
  for (const char *mode : {"instance", "channel"}) {
    GradCase g{"SoftmaxActivation", {{"mode", mode}}, {{2, 3, 2, 2}}, -1, 1};
    CheckGradient(g);
  }
}

}  // namespace
