// Fused optimizer updates against hand-written formulas, for one and several steps, with out aliasing the weight
// (as the Python optimizers call them) and with a separate output.
#include <algorithm>
#include <cmath>

#include "test_op_nn_util.h"

using namespace mxct;
using mxc::kFloat32;
using mxc::kFloat64;

namespace {

// Runs `name` with out=weight (the weight array updated in place) and returns nothing; states update in place.
void Step(const std::string &name, const std::vector<NDArray> &ins, const Params &params) {
  const mxc::Op *op = FindOp(name);
  mxc::OpParams p(op, params);
  std::vector<NDArray> outs = {ins[0]};
  mxc::Invoke(op, p, ins, &outs);
  outs[0].WaitToRead();
}

double Clip(double v, double c) { return c > 0 ? std::max(-c, std::min(c, v)) : v; }

struct Vecs {
  std::vector<double> w, g, s1, s2, s3;
};

Vecs Init(size_t n, uint64_t seed) {
  Vecs v;
  v.w = RandVec(n, -1, 1, seed);
  v.g = RandVec(n, -3, 3, seed + 1);
  v.s1 = RandVec(n, 0.01, 0.5, seed + 2);
  v.s2 = RandVec(n, 0.01, 0.5, seed + 3);
  v.s3 = RandVec(n, -0.1, 0.1, seed + 4);
  return v;
}

const int kDtypes[] = {kFloat32, kFloat64};
const int kSteps = 3;

TEST(Optimizer, SGD) {
  for (int dt : kDtypes) {
    for (double clip : {-1.0, 0.8}) {
      const size_t n = 50;
      Vecs v = Init(n, 1);
      auto w = FromVec({5, 10}, v.w, dt), g = FromVec({5, 10}, v.g, dt);
      Params p = {{"lr", "0.1"}, {"wd", "0.01"}, {"rescale_grad", "0.5"}, {"clip_gradient", std::to_string(clip)}};
      for (int s = 0; s < kSteps; ++s) {
        Step("sgd_update", {w, g}, p);
        for (size_t i = 0; i < n; ++i) v.w[i] = v.w[i] - 0.1 * (Clip(0.5 * v.g[i], clip) + 0.01 * v.w[i]);
      }
      ExpectNear(ToVec(w), v.w, Rtol(dt), Atol(dt), "sgd_update");
    }
  }
}

TEST(Optimizer, SGDMomentum) {
  for (int dt : kDtypes) {
    const size_t n = 40;
    Vecs v = Init(n, 2);
    auto w = FromVec({n}, v.w, dt), g = FromVec({n}, v.g, dt), mom = FromVec({n}, v.s3, dt);
    Params p = {{"lr", "0.05"}, {"momentum", "0.9"}, {"wd", "0.1"}, {"rescale_grad", "2"}, {"clip_gradient", "1.5"}};
    for (int s = 0; s < kSteps; ++s) {
      Step("sgd_mom_update", {w, g, mom}, p);
      for (size_t i = 0; i < n; ++i) {
        v.s3[i] = 0.9 * v.s3[i] - 0.05 * 0.1 * v.w[i] - 0.05 * Clip(2 * v.g[i], 1.5);
        v.w[i] += v.s3[i];
      }
    }
    ExpectNear(ToVec(w), v.w, Rtol(dt), Atol(dt), "sgd_mom_update weight");
    ExpectNear(ToVec(mom), v.s3, Rtol(dt), Atol(dt), "sgd_mom_update mom");
  }
}

TEST(Optimizer, NAGMomentum) {
  for (int dt : kDtypes) {
    const size_t n = 30;
    Vecs v = Init(n, 3);
    auto w = FromVec({n}, v.w, dt), g = FromVec({n}, v.g, dt), mom = FromVec({n}, v.s3, dt);
    Params p = {{"lr", "0.1"}, {"momentum", "0.9"}, {"wd", "0.5"}};
    for (int s = 0; s < kSteps; ++s) {
      Step("nag_mom_update", {w, g, mom}, p);
      for (size_t i = 0; i < n; ++i) {
        double gr = v.g[i] + 0.5 * v.w[i];
        v.s3[i] = 0.9 * v.s3[i] - 0.1 * gr;
        v.w[i] = v.w[i] + 0.9 * v.s3[i] - 0.1 * gr;
      }
    }
    ExpectNear(ToVec(w), v.w, Rtol(dt), Atol(dt), "nag_mom_update weight");
    ExpectNear(ToVec(mom), v.s3, Rtol(dt), Atol(dt), "nag_mom_update mom");
  }
  // Hand-computed single step (MXNet 1.9.1 gives these with a separate output array):
  // w=1, g=0.5, mom=0.1, lr=0.1, momentum=0.9, wd=0.5 -> mom=-0.01, w=0.891.
  auto w = FromVec({1}, {1.0}), g = FromVec({1}, {0.5}), mom = FromVec({1}, {0.1});
  auto out = mxct::Run("nag_mom_update", {w, g, mom}, {{"lr", "0.1"}, {"momentum", "0.9"}, {"wd", "0.5"}});
  ExpectNear(ToVec(out[0]), {0.891}, 1e-6, 1e-7, "nag single step weight");
  ExpectNear(ToVec(mom), {-0.01}, 1e-5, 1e-7, "nag single step mom");
  ExpectNear(ToVec(w), {1.0}, 0, 0, "weight untouched with a separate output");
}

TEST(Optimizer, Adam) {
  for (int dt : kDtypes) {
    const size_t n = 30;
    Vecs v = Init(n, 4);
    auto w = FromVec({n}, v.w, dt), g = FromVec({n}, v.g, dt);
    auto mean = FromVec({n}, v.s3, dt), var = FromVec({n}, v.s1, dt);
    Params p = {{"lr", "0.01"}, {"beta1", "0.8"}, {"beta2", "0.99"}, {"epsilon", "1e-6"},
                {"wd", "0.1"},  {"rescale_grad", "0.5"}, {"clip_gradient", "1.0"}};
    for (int s = 0; s < kSteps; ++s) {
      Step("adam_update", {w, g, mean, var}, p);
      for (size_t i = 0; i < n; ++i) {
        double gr = Clip(0.5 * v.g[i] + 0.1 * v.w[i], 1.0);
        v.s3[i] = 0.8 * v.s3[i] + 0.2 * gr;
        v.s1[i] = 0.99 * v.s1[i] + 0.01 * gr * gr;
        v.w[i] -= 0.01 * v.s3[i] / (std::sqrt(v.s1[i]) + 1e-6);
      }
    }
    ExpectNear(ToVec(w), v.w, Rtol(dt), Atol(dt), "adam weight");
    ExpectNear(ToVec(mean), v.s3, Rtol(dt), Atol(dt), "adam mean");
    ExpectNear(ToVec(var), v.s1, Rtol(dt), Atol(dt), "adam var");
  }
  // Defaults: beta1 0.9, beta2 0.999, epsilon 1e-8.
  auto w = FromVec({1}, {1.0}, kFloat64), g = FromVec({1}, {0.5}, kFloat64);
  auto m = FromVec({1}, {0.0}, kFloat64), v = FromVec({1}, {0.0}, kFloat64);
  Step("adam_update", {w, g, m, v}, {{"lr", "0.1"}});
  ExpectNear(ToVec(m), {0.05}, 1e-12, 0, "adam default beta1");
  ExpectNear(ToVec(v), {0.00025}, 1e-12, 0, "adam default beta2");
  ExpectNear(ToVec(w), {1.0 - 0.1 * 0.05 / (std::sqrt(0.00025) + 1e-8)}, 1e-12, 0, "adam default step");
}

TEST(Optimizer, RMSProp) {
  for (int dt : kDtypes) {
    const size_t n = 30;
    Vecs v = Init(n, 5);
    auto w = FromVec({n}, v.w, dt), g = FromVec({n}, v.g, dt), ns = FromVec({n}, v.s1, dt);
    Params p = {{"lr", "0.05"}, {"gamma1", "0.9"}, {"wd", "0.01"}, {"clip_gradient", "2"}, {"clip_weights", "0.9"}};
    for (int s = 0; s < kSteps; ++s) {
      Step("rmsprop_update", {w, g, ns}, p);
      for (size_t i = 0; i < n; ++i) {
        double gr = Clip(v.g[i] + 0.01 * v.w[i], 2);
        v.s1[i] = 0.1 * gr * gr + 0.9 * v.s1[i];
        v.w[i] = Clip(v.w[i] - 0.05 * gr / std::sqrt(v.s1[i] + 1e-8), 0.9);
      }
    }
    ExpectNear(ToVec(w), v.w, Rtol(dt), Atol(dt), "rmsprop weight");
    ExpectNear(ToVec(ns), v.s1, Rtol(dt), Atol(dt), "rmsprop n");
  }
}

TEST(Optimizer, RMSPropAlex) {
  for (int dt : kDtypes) {
    const size_t n = 30;
    Vecs v = Init(n, 6);
    std::vector<double> gavg = RandVec(n, -0.05, 0.05, 77);
    auto w = FromVec({n}, v.w, dt), g = FromVec({n}, v.g, dt), ns = FromVec({n}, v.s1, dt);
    auto gs = FromVec({n}, gavg, dt), delta = FromVec({n}, v.s3, dt);
    Params p = {{"lr", "0.01"}, {"wd", "0.1"}, {"rescale_grad", "0.3"}};
    for (int s = 0; s < kSteps; ++s) {
      Step("rmspropalex_update", {w, g, ns, gs, delta}, p);
      for (size_t i = 0; i < n; ++i) {
        double gr = 0.3 * v.g[i] + 0.1 * v.w[i];
        v.s1[i] = 0.05 * gr * gr + 0.95 * v.s1[i];
        gavg[i] = 0.05 * gr + 0.95 * gavg[i];
        v.s3[i] = 0.9 * v.s3[i] - 0.01 * gr / std::sqrt(v.s1[i] - gavg[i] * gavg[i] + 1e-8);
        v.w[i] += v.s3[i];
      }
    }
    ExpectNear(ToVec(w), v.w, Rtol(dt) * 10, Atol(dt), "rmspropalex weight");
    ExpectNear(ToVec(delta), v.s3, Rtol(dt) * 10, Atol(dt), "rmspropalex delta");
  }
}

TEST(Optimizer, MetadataAndErrors) {
  const mxc::Op *op = FindOp("adam_update");
  EXPECT_EQ(op->input_names, (std::vector<std::string>{"weight", "grad", "mean", "var"}));
  EXPECT_EQ(op->mutate_inputs, (std::vector<int>{2, 3}));
  EXPECT_FALSE(op->HasGradient());
  ExpectErrorContains([] { mxct::Run("sgd_update", {Random({3}, -1, 1), Random({3}, -1, 1)}); }, {"sgd_update", "lr"});
  ExpectErrorContains([] { mxct::Run("sgd_update", {Random({3}, -1, 1), Random({4}, -1, 1)}, {{"lr", "0.1"}}); },
                      {"sgd_update", "(3,)", "(4,)"});
}

}  // namespace
