// The optimizer updates of optimizer_more.cc and the AMP operators of amp_ops.cc against naive double-precision loops
// of the documented formulas (several steps, out=weight as the Python optimizers call them), mixed precision against
// the same loops on the float32 master copy, the multi-tensor forms against the single-tensor ones, and errors that
// name the operator and the argument.
#include <algorithm>
#include <cmath>
#include <limits>

#include "test_op_nn_util.h"

using namespace mxct;
using mxc::kFloat16;
using mxc::kFloat32;
using mxc::kFloat64;

namespace {

void Step(const std::string &name, const std::vector<NDArray> &ins, const Params &params,
          std::vector<NDArray> outs = {}) {
  const mxc::Op *op = FindOp(name);
  mxc::OpParams p(op, params);
  if (outs.empty()) outs = {ins[0]};
  mxc::Invoke(op, p, ins, &outs);
  for (auto &o : outs) o.WaitToRead();
  for (auto &i : ins) i.WaitToRead();
}

double Clip(double v, double c) { return c > 0 ? std::max(-c, std::min(c, v)) : v; }
double Sign(double v) { return v > 0 ? 1 : (v < 0 ? -1 : 0); }

const int kDtypes[] = {kFloat32, kFloat64};
const int kSteps = 3;

TEST(OptimizerMore, SignSGD) {
  for (int dt : kDtypes) {
    const size_t n = 40;
    auto vw = RandVec(n, -1, 1, 1), vg = RandVec(n, -2, 2, 2);
    auto w = FromVec({n}, vw, dt), g = FromVec({n}, vg, dt);
    Params p = {{"lr", "0.05"}, {"wd", "0.1"}, {"rescale_grad", "0.5"}, {"clip_gradient", "0.3"}};
    for (int s = 0; s < kSteps; ++s) {
      Step("signsgd_update", {w, g}, p);
      for (size_t i = 0; i < n; ++i) vw[i] = (1 - 0.05 * 0.1) * vw[i] - 0.05 * Sign(Clip(0.5 * vg[i], 0.3));
    }
    ExpectNear(ToVec(w), vw, Rtol(dt), Atol(dt), "signsgd_update");
  }
}

TEST(OptimizerMore, Signum) {
  for (int dt : kDtypes) {
    const size_t n = 40;
    auto vw = RandVec(n, -1, 1, 3), vg = RandVec(n, -2, 2, 4), vm = RandVec(n, -0.1, 0.1, 5);
    auto w = FromVec({n}, vw, dt), g = FromVec({n}, vg, dt), m = FromVec({n}, vm, dt);
    Params p = {{"lr", "0.05"}, {"momentum", "0.8"}, {"wd", "0.1"}, {"wd_lh", "0.2"}, {"clip_gradient", "0.7"}};
    for (int s = 0; s < kSteps; ++s) {
      Step("signum_update", {w, g, m}, p);
      for (size_t i = 0; i < n; ++i) {
        vm[i] = 0.8 * vm[i] - 0.2 * (Clip(vg[i], 0.7) + 0.1 * vw[i]);
        vw[i] = (1 - 0.05 * 0.2) * vw[i] + 0.05 * Sign(vm[i]);
      }
    }
    ExpectNear(ToVec(w), vw, Rtol(dt), Atol(dt), "signum_update weight");
    ExpectNear(ToVec(m), vm, Rtol(dt), Atol(dt), "signum_update mom");
  }
}

TEST(OptimizerMore, FTML) {
  for (int dt : kDtypes) {
    const size_t n = 30;
    auto vw = RandVec(n, -1, 1, 6), vg = RandVec(n, -2, 2, 7);
    std::vector<double> vd(n, 0.0), vv(n, 0.0), vz(n, 0.0);
    auto w = FromVec({n}, vw, dt), g = FromVec({n}, vg, dt);
    auto d = FromVec({n}, vd, dt), v = FromVec({n}, vv, dt), z = FromVec({n}, vz, dt);
    const double b1 = 0.6, b2 = 0.999, eps = 1e-8, lr = 0.02, wd = 0.01;
    for (int t = 1; t <= kSteps; ++t) {
      Step("ftml_update", {w, g, d, v, z},
           {{"lr", "0.02"}, {"t", std::to_string(t)}, {"wd", "0.01"}, {"clip_grad", "1.5"}});
      for (size_t i = 0; i < n; ++i) {
        const double gr = Clip(vg[i] + wd * vw[i], 1.5);
        vv[i] = b2 * vv[i] + (1 - b2) * gr * gr;
        const double dn = (1 - std::pow(b1, t)) / lr * (std::sqrt(vv[i] / (1 - std::pow(b2, t))) + eps);
        vz[i] = b1 * vz[i] + (1 - b1) * gr - (dn - b1 * vd[i]) * vw[i];
        vd[i] = dn;
        vw[i] = -vz[i] / dn;
      }
    }
    ExpectNear(ToVec(w), vw, Rtol(dt), Atol(dt), "ftml_update weight");
    ExpectNear(ToVec(d), vd, Rtol(dt), Atol(dt), "ftml_update d");
    ExpectNear(ToVec(v), vv, Rtol(dt), Atol(dt), "ftml_update v");
    ExpectNear(ToVec(z), vz, Rtol(dt), 1e-4, "ftml_update z");
  }
}

TEST(OptimizerMore, Ftrl) {
  for (int dt : kDtypes) {
    const size_t n = 30;
    auto vw = RandVec(n, -1, 1, 8), vg = RandVec(n, -2, 2, 9), vz = RandVec(n, -0.2, 0.2, 10);
    auto vn = RandVec(n, 0.0, 0.5, 11);
    auto w = FromVec({n}, vw, dt), g = FromVec({n}, vg, dt), z = FromVec({n}, vz, dt), nn = FromVec({n}, vn, dt);
    const double lr = 0.1, l1 = 0.05, beta = 0.5, wd = 0.02;
    for (int s = 0; s < kSteps; ++s) {
      Step("ftrl_update", {w, g, z, nn},
           {{"lr", "0.1"}, {"lamda1", "0.05"}, {"beta", "0.5"}, {"wd", "0.02"}, {"rescale_grad", "0.5"}});
      for (size_t i = 0; i < n; ++i) {
        const double gr = 0.5 * vg[i];
        vz[i] += gr - (std::sqrt(vn[i] + gr * gr) - std::sqrt(vn[i])) * vw[i] / lr;
        vn[i] += gr * gr;
        vw[i] = std::abs(vz[i]) > l1 ? (Sign(vz[i]) * l1 - vz[i]) / ((beta + std::sqrt(vn[i])) / lr + wd) : 0.0;
      }
    }
    ExpectNear(ToVec(w), vw, Rtol(dt), Atol(dt), "ftrl_update weight");
    ExpectNear(ToVec(z), vz, Rtol(dt), Atol(dt), "ftrl_update z");
    ExpectNear(ToVec(nn), vn, Rtol(dt), Atol(dt), "ftrl_update n");
  }
}

// LAMB: phase 1's g, the norms r1 = |w|, r2 = |g|, phase 2's step, over several steps.
TEST(OptimizerMore, Lamb) {
  for (int dt : kDtypes) {
    for (bool bc : {true, false}) {
      const size_t n = 24;
      auto vw = RandVec(n, -1, 1, 12), vg = RandVec(n, -2, 2, 13);
      std::vector<double> vm(n, 0.0), vv(n, 0.0);
      auto w = FromVec({n}, vw, dt), g = FromVec({n}, vg, dt), m = FromVec({n}, vm, dt), v = FromVec({n}, vv, dt);
      for (int t = 1; t <= kSteps; ++t) {
        auto gout = mxct::Run("lamb_update_phase1", {w, g, m, v},
                        {{"t", std::to_string(t)}, {"wd", "0.01"}, {"bias_correction", bc ? "True" : "False"},
                         {"clip_gradient", "1.2"}})[0];
        std::vector<double> rg(n);
        double r1 = 0, r2 = 0;
        for (size_t i = 0; i < n; ++i) {
          const double gr = Clip(vg[i], 1.2);
          vm[i] = 0.9 * vm[i] + 0.1 * gr;
          vv[i] = 0.999 * vv[i] + 0.001 * gr * gr;
          const double mh = bc ? vm[i] / (1 - std::pow(0.9, t)) : vm[i];
          const double vh = bc ? vv[i] / (1 - std::pow(0.999, t)) : vv[i];
          rg[i] = mh / (std::sqrt(vh) + 1e-6) + 0.01 * vw[i];
          r1 += vw[i] * vw[i];
          r2 += rg[i] * rg[i];
        }
        ExpectNear(ToVec(gout), rg, Rtol(dt), Atol(dt), "lamb_update_phase1 g");
        r1 = std::sqrt(r1);
        r2 = std::sqrt(r2);
        Step("lamb_update_phase2", {w, gout, FromVec({1}, {r1}, dt), FromVec({1}, {r2}, dt)},
             {{"lr", "0.01"}, {"upper_bound", "10"}});
        const double lr = 0.01 * std::min(r1, 10.0) / r2;
        for (size_t i = 0; i < n; ++i) vw[i] -= lr * rg[i];
      }
      ExpectNear(ToVec(w), vw, Rtol(dt), Atol(dt), "lamb weight");
      ExpectNear(ToVec(m), vm, Rtol(dt), Atol(dt), "lamb mean");
      ExpectNear(ToVec(v), vv, Rtol(dt), Atol(dt), "lamb var");
    }
  }
}

TEST(OptimizerMore, AdamW) {
  for (int dt : kDtypes) {
    const size_t n = 30;
    auto vw = RandVec(n, -1, 1, 14), vg = RandVec(n, -2, 2, 15);
    std::vector<double> vm(n, 0.0), vv(n, 0.0);
    auto w = FromVec({n}, vw, dt), g = FromVec({n}, vg, dt), m = FromVec({n}, vm, dt), v = FromVec({n}, vv, dt);
    auto rs = FromVec({1}, {0.5}, dt);
    for (int s = 0; s < kSteps; ++s) {
      Step("_contrib_adamw_update", {w, g, m, v, rs},
           {{"lr", "0.01"}, {"eta", "0.8"}, {"wd", "0.1"}, {"clip_gradient", "0.6"}});
      for (size_t i = 0; i < n; ++i) {
        const double gr = Clip(0.5 * vg[i], 0.6);
        vm[i] = 0.9 * vm[i] + 0.1 * gr;
        vv[i] = 0.999 * vv[i] + 0.001 * gr * gr;
        vw[i] -= 0.8 * (0.01 * vm[i] / (std::sqrt(vv[i]) + 1e-8) + 0.1 * vw[i]);
      }
    }
    ExpectNear(ToVec(w), vw, Rtol(dt), Atol(dt), "adamw weight");
    ExpectNear(ToVec(m), vm, Rtol(dt), Atol(dt), "adamw mean");
    // A non-finite or zero rescale_grad skips the step: nothing changes.
    for (double bad : {0.0, std::numeric_limits<double>::infinity(), std::nan("")}) {
      Step("_contrib_adamw_update", {w, g, m, v, FromVec({1}, {bad}, dt)}, {{"lr", "0.01"}, {"eta", "0.8"}});
      ExpectNear(ToVec(w), vw, Rtol(dt), Atol(dt), "adamw skipped weight");
      ExpectNear(ToVec(m), vm, Rtol(dt), Atol(dt), "adamw skipped mean");
    }
  }
}

// Mixed precision: the float32 master copy follows the float64 reference loop; the float16 weight is the master copy
// rounded to float16 (relative error <= 2^-11).
void ExpectHalfOf(const NDArray &w16, const std::vector<double> &ref, const std::string &what) {
  EXPECT_EQ(w16.dtype(), kFloat16) << what;
  auto got = ToVec(w16);
  for (size_t i = 0; i < ref.size(); ++i)
    EXPECT_NEAR(got[i], ref[i], std::abs(ref[i]) * 1.0 / 2048 + 1e-6) << what << " at " << i;
}

TEST(OptimizerMore, MixedPrecisionSGD) {
  for (int kind = 0; kind < 3; ++kind) {  // mp_sgd_update, mp_sgd_mom_update, mp_nag_mom_update
    const char *name = kind == 0 ? "mp_sgd_update" : kind == 1 ? "mp_sgd_mom_update" : "mp_nag_mom_update";
    const size_t n = 32;
    auto v32 = RandVec(n, -1, 1, 16), vg = RandVec(n, -2, 2, 17), vm = RandVec(n, -0.1, 0.1, 18);
    auto w = FromVec({n}, v32, kFloat16), g = FromVec({n}, vg, kFloat16);
    auto w32 = FromVec({n}, v32, kFloat32), m = FromVec({n}, vm, kFloat32);
    vg = ToVec(g);  // the gradient as float16 holds it
    Params p = {{"lr", "0.05"}, {"wd", "0.1"}, {"rescale_grad", "0.5"}, {"clip_gradient", "0.8"}};
    if (kind) p.push_back({"momentum", "0.9"});
    for (int s = 0; s < kSteps; ++s) {
      if (kind == 0) Step(name, {w, g, w32}, p);
      else Step(name, {w, g, m, w32}, p);
      for (size_t i = 0; i < n; ++i) {
        const double gr = Clip(0.5 * vg[i], 0.8) + 0.1 * v32[i];
        if (kind == 0) {
          v32[i] -= 0.05 * gr;
        } else {
          vm[i] = 0.9 * vm[i] - 0.05 * gr;
          v32[i] += kind == 1 ? vm[i] : 0.9 * vm[i] - 0.05 * gr;
        }
      }
    }
    ExpectNear(ToVec(w32), v32, 1e-4, 1e-5, std::string(name) + " weight32");
    if (kind) ExpectNear(ToVec(m), vm, 1e-4, 1e-5, std::string(name) + " mom");
    ExpectHalfOf(w, ToVec(w32), std::string(name) + " weight");
  }
}

TEST(OptimizerMore, MixedPrecisionLambAndAdamW) {
  const size_t n = 16;
  auto v32 = RandVec(n, -1, 1, 19), vg = RandVec(n, -2, 2, 20);
  auto w = FromVec({n}, v32, kFloat16), g = FromVec({n}, vg, kFloat16), w32 = FromVec({n}, v32, kFloat32);
  vg = ToVec(g);
  std::vector<double> vm(n, 0.0), vv(n, 0.0);
  auto m = FromVec({n}, vm), v = FromVec({n}, vv);
  auto gout = mxct::Run("mp_lamb_update_phase1", {w, g, m, v, w32}, {{"t", "1"}, {"wd", "0.1"}})[0];
  EXPECT_EQ(gout.dtype(), kFloat32);
  std::vector<double> rg(n);
  for (size_t i = 0; i < n; ++i) {
    vm[i] = 0.1 * vg[i];
    vv[i] = 0.001 * vg[i] * vg[i];
    rg[i] = (vm[i] / 0.1) / (std::sqrt(vv[i] / 0.001) + 1e-6) + 0.1 * v32[i];
  }
  ExpectNear(ToVec(gout), rg, 1e-4, 1e-5, "mp_lamb_update_phase1");
  Step("mp_lamb_update_phase2", {w, gout, FromVec({1}, {2.0}), FromVec({1}, {4.0}), w32}, {{"lr", "0.1"}});
  for (size_t i = 0; i < n; ++i) v32[i] -= 0.05 * rg[i];
  ExpectNear(ToVec(w32), v32, 1e-4, 1e-5, "mp_lamb_update_phase2 weight32");
  ExpectHalfOf(w, ToVec(w32), "mp_lamb_update_phase2 weight");

  std::fill(vm.begin(), vm.end(), 0.0);
  std::fill(vv.begin(), vv.end(), 0.0);
  m = FromVec({n}, vm);
  v = FromVec({n}, vv);
  Step("_contrib_mp_adamw_update", {w, g, m, v, w32, FromVec({1}, {2.0})}, {{"lr", "0.01"}, {"eta", "0.5"},
                                                                             {"wd", "0.1"}});
  for (size_t i = 0; i < n; ++i) {
    const double gr = 2 * vg[i];
    vm[i] = 0.1 * gr;
    vv[i] = 0.001 * gr * gr;
    v32[i] -= 0.5 * (0.01 * vm[i] / (std::sqrt(vv[i]) + 1e-8) + 0.1 * v32[i]);
  }
  ExpectNear(ToVec(w32), v32, 1e-4, 1e-5, "mp_adamw weight32");
  ExpectHalfOf(w, ToVec(w32), "mp_adamw weight");
}

// The multi-tensor forms give what the single-tensor updates give, weight by weight.
TEST(OptimizerMore, MultiSGDMatchesSingle) {
  const std::vector<TShape> shapes = {TShape({7}), TShape({3, 4}), TShape({5})};
  const std::vector<double> lrs = {0.1, 0.05, 0.2}, wds = {0.0, 0.01, 0.1};
  for (bool mom : {false, true}) {
    for (bool mp : {false, true}) {
      for (bool pre : {false, true}) {
        std::string name = std::string(pre ? "preloaded_" : "") + "multi_" + (mp ? "mp_" : "") + "sgd_" +
                           (mom ? "mom_" : "") + "update";
        std::vector<NDArray> ins, weights, refw, refstate;
        std::vector<std::vector<NDArray>> single;
        for (size_t k = 0; k < shapes.size(); ++k) {
          const int64_t sz = mxc::ShapeSize(shapes[k]);
          auto w = RandVec(sz, -1, 1, 30 + k), g = RandVec(sz, -2, 2, 40 + k), m = RandVec(sz, -0.1, 0.1, 50 + k);
          const int wt = mp ? kFloat16 : kFloat32;
          std::vector<NDArray> grp = {FromVec(shapes[k], w, wt), FromVec(shapes[k], g, wt)};
          std::vector<NDArray> ref = {FromVec(shapes[k], w, wt), FromVec(shapes[k], g, wt)};
          if (mom) {
            grp.push_back(FromVec(shapes[k], m));
            ref.push_back(FromVec(shapes[k], m));
          }
          if (mp) {
            grp.push_back(FromVec(shapes[k], w));
            ref.push_back(FromVec(shapes[k], w));
          }
          ins.insert(ins.end(), grp.begin(), grp.end());
          weights.push_back(grp[0]);
          single.push_back(ref);
        }
        Params p = {{"num_weights", "3"}, {"rescale_grad", "0.5"}, {"clip_gradient", "0.7"}};
        if (mom) p.push_back({"momentum", "0.9"});
        if (pre) {
          ins.push_back(FromVec({3}, lrs));
          ins.push_back(FromVec({3}, wds));
        } else {
          p.push_back({"lrs", "(0.1, 0.05, 0.2)"});
          p.push_back({"wds", "[0.0,0.01,0.1]"});
        }
        Step(name, ins, p, weights);
        const std::string one = std::string(mp ? "mp_" : "") + "sgd_" + (mom ? "mom_" : "") + "update";
        for (size_t k = 0; k < shapes.size(); ++k) {
          Params q = {{"lr", std::to_string(lrs[k])}, {"wd", std::to_string(wds[k])}, {"rescale_grad", "0.5"},
                      {"clip_gradient", "0.7"}};
          if (mom) q.push_back({"momentum", "0.9"});
          Step(one, single[k], q);
          for (size_t j = 0; j < single[k].size(); ++j)
            ExpectNear(ToVec(ins[k * single[k].size() + j]), ToVec(single[k][j]), 1e-6, 1e-7,
                       name + " weight " + std::to_string(k) + " input " + std::to_string(j));
        }
      }
    }
  }
}

// _multi_adamw_update and _multi_lamb_update (and their _mp_ forms) give, tensor by tensor, what the single-tensor
// operators give: AdamW's update, and LAMB's phase 1 and phase 2 with the norms of the weight and of phase 1's output.
TEST(OptimizerMore, MultiAdamWAndLambMatchSingle) {
  const std::vector<TShape> shapes = {TShape({6}), TShape({2, 3})};
  const std::vector<double> lrs = {0.1, 0.05}, wds = {0.01, 0.2}, etas = {0.5, 1.0};
  const std::vector<int64_t> steps = {1, 4};
  for (bool lamb : {false, true}) {
    for (bool mp : {false, true}) {
      std::vector<NDArray> ins, weights;
      std::vector<std::vector<NDArray>> single;
      for (size_t k = 0; k < shapes.size(); ++k) {
        const int64_t sz = mxc::ShapeSize(shapes[k]);
        auto w = RandVec(sz, -1, 1, 60 + k), g = RandVec(sz, -2, 2, 70 + k), m = RandVec(sz, -0.1, 0.1, 80 + k);
        auto v = RandVec(sz, 0.0, 0.1, 90 + k);
        const int wt = mp ? kFloat16 : kFloat32;
        for (auto *dst : {&ins, (std::vector<NDArray> *)nullptr}) {
          std::vector<NDArray> grp = {FromVec(shapes[k], w, wt), FromVec(shapes[k], g, wt), FromVec(shapes[k], m),
                                      FromVec(shapes[k], v)};
          if (mp) grp.push_back(FromVec(shapes[k], w));
          if (dst) {
            dst->insert(dst->end(), grp.begin(), grp.end());
            weights.push_back(grp[0]);
          } else {
            single.push_back(grp);
          }
        }
      }
      Params p = {{"rescale_grad", "0.5"}, {"clip_gradient", "0.7"}};
      std::string name = std::string("_multi_") + (mp ? "mp_" : "") + (lamb ? "lamb" : "adamw") + "_update";
      if (lamb) {
        p.insert(p.end(), {{"learning_rates", "(0.1,0.05)"}, {"wds", "(0.01,0.2)"}, {"step_count", "(1,4)"},
                           {"num_tensors", "2"}});
      } else {
        p = {{"clip_gradient", "0.7"}, {"lrs", "(0.1,0.05)"}, {"wds", "(0.01,0.2)"}, {"etas", "(0.5,1.0)"},
             {"num_weights", "2"}};
        ins.push_back(FromVec({1}, {0.5}));
      }
      Step(name, ins, p, weights);
      const size_t per = mp ? 5 : 4;
      for (size_t k = 0; k < shapes.size(); ++k) {
        auto &s = single[k];
        if (lamb) {
          Params q1 = {{"t", std::to_string(steps[k])}, {"wd", std::to_string(wds[k])}, {"rescale_grad", "0.5"},
                       {"clip_gradient", "0.7"}};
          auto r = mxct::Run(mp ? "mp_lamb_update_phase1" : "lamb_update_phase1", s, q1)[0];
          double r1 = 0, r2 = 0;
          for (double x : ToVec(s[0])) r1 += x * x;
          for (double x : ToVec(r)) r2 += x * x;
          std::vector<NDArray> in2 = {s[0], r, FromVec({1}, {std::sqrt(r1)}), FromVec({1}, {std::sqrt(r2)})};
          if (mp) in2.push_back(s[4]);
          Step(mp ? "mp_lamb_update_phase2" : "lamb_update_phase2", in2, {{"lr", std::to_string(lrs[k])}});
        } else {
          std::vector<NDArray> in1 = s;
          in1.push_back(FromVec({1}, {0.5}));
          Step(mp ? "_contrib_mp_adamw_update" : "_contrib_adamw_update", in1,
               {{"lr", std::to_string(lrs[k])}, {"wd", std::to_string(wds[k])}, {"eta", std::to_string(etas[k])},
                {"clip_gradient", "0.7"}});
        }
        for (size_t j = 0; j < per; ++j)
          ExpectNear(ToVec(ins[k * per + j]), ToVec(s[j]), 1e-5, 1e-6,
                     name + " tensor " + std::to_string(k) + " input " + std::to_string(j));
      }
    }
  }
}

TEST(OptimizerMore, MultiErrors) {
  auto w = FromVec({3}, {1, 2, 3}), g = FromVec({3}, {1, 2, 3}), g2 = FromVec({2}, {1, 2});
  ExpectErrorContains([&] { mxct::Run("multi_sgd_update", {w, g, w, g2}, {{"lrs", "(0.1,0.1)"}, {"wds", "(0,0)"},
                                                                     {"num_weights", "2"}}); },
                      {"multi_sgd_update", "grad_1", "(2,)", "(3,)"});
  ExpectErrorContains([&] { mxct::Run("multi_sgd_update", {w, g, w, g}, {{"lrs", "(0.1)"}, {"wds", "(0,0)"},
                                                                    {"num_weights", "2"}}); },
                      {"multi_sgd_update", "lrs and wds", "2"});
  ExpectErrorContains([&] { mxct::Run("multi_sgd_update", {w, g, w, g}, {{"lrs", "(0.1,x)"}, {"wds", "(0,0)"},
                                                                    {"num_weights", "2"}}); },
                      {"multi_sgd_update", "'lrs'", "tuple of floats"});
  ExpectErrorContains([&] { mxct::Run("preloaded_multi_sgd_update", {w, g, FromVec({2}, {1, 2}), FromVec({1}, {1})}, {}); },
                      {"preloaded_multi_sgd_update", "lrs", "(2,)", "(1,)"});
  auto h = FromVec({3}, {1, 2, 3}, kFloat16);
  ExpectErrorContains([&] { mxct::Run("mp_sgd_mom_update", {h, h, h, FromVec({3}, {1, 2, 3})}, {{"lr", "0.1"}}); },
                      {"mp_sgd_mom_update", "'mom'", "float16", "float32"});
  ExpectErrorContains([&] { mxct::Run("ftml_update", {w, g, w, w, w}, {{"lr", "0.1"}}); }, {"ftml_update", "t"});
  ExpectErrorContains([&] { mxct::Run("lamb_update_phase2", {w, g, w, w}, {{"lr", "0.1"}}); },
                      {"lamb_update_phase2", "r1", "(3,)", "(1,)"});
  ExpectErrorContains([&] { mxct::Run("signum_update", {w, g, g2}, {{"lr", "0.1"}}); }, {"signum_update", "mom"});
}

TEST(OptimizerMore, SumSqLarsReset) {
  auto a = FromVec({2}, {1, 2}, kFloat64), b = FromVec({2, 2}, {1, -2, 3, 4}, kFloat64);
  auto ss = mxct::Run("multi_sum_sq", {a, b}, {{"num_arrays", "2"}})[0];
  EXPECT_EQ(ss.dtype(), kFloat32);
  ExpectNear(ToVec(ss), {5, 30}, 0, 0, "multi_sum_sq");
  auto lr = FromVec({3}, {0.1, 0.2, 0.3}), ws = FromVec({3}, {4, 0, 9}), gs = FromVec({3}, {1, 4, 0});
  auto wd = FromVec({3}, {0.01, 0.02, 0});
  auto lars = mxct::Run("multi_lars", {lr, ws, gs, wd}, {{"eta", "0.5"}, {"eps", "1e-3"}, {"rescale_grad", "0.5"}})[0];
  ExpectNear(ToVec(lars), {0.1 * 0.5 * 2 / (1 * 0.5 + 0.01 * 2 + 1e-3), 0.2, 0.3}, 1e-6, 1e-7, "multi_lars");
  auto x = FromVec({3}, {1, 2, 3}), y = FromVec({1}, {4}, kFloat16);
  auto r = mxct::Run("reset_arrays", {x, y}, {{"num_arrays", "2"}});
  EXPECT_TRUE(r.empty());
  ExpectNear(ToVec(x), {0, 0, 0}, 0, 0, "reset_arrays");
  ExpectNear(ToVec(y), {0}, 0, 0, "reset_arrays float16");
}

TEST(Amp, CastAndMulticast) {
  auto f = FromVec({2}, {1.7, -2.5});
  auto h = mxct::Run("amp_cast", {f}, {{"dtype", "float16"}})[0];
  EXPECT_EQ(h.dtype(), kFloat16);
  ExpectNear(ToVec(h), {1.7001953125, -2.5}, 0, 0, "amp_cast to float16");
  auto i = mxct::Run("amp_cast", {f}, {{"dtype", "int32"}})[0];
  EXPECT_EQ(i.dtype(), mxc::kInt32);
  ExpectNear(ToVec(i), {1, -2}, 0, 0, "amp_cast to int32");
  auto d = mxct::Run("amp_cast", {FromVec({2}, {1.7, 2}, kFloat64)}, {{"dtype", "float16"}})[0];
  EXPECT_EQ(d.dtype(), kFloat64);  // only float16/float32 data is cast
  ExpectErrorContains([&] { mxct::Run("amp_cast", {f}, {{"dtype", "complex"}}); }, {"amp_cast", "dtype"});
  auto outs = mxct::Run("amp_multicast", {h, f, FromVec({1}, {3}, mxc::kInt32)}, {{"num_outputs", "3"}});
  ASSERT_EQ(outs.size(), 3u);
  EXPECT_EQ(outs[0].dtype(), kFloat32);
  EXPECT_EQ(outs[1].dtype(), kFloat32);
  EXPECT_EQ(outs[2].dtype(), mxc::kInt32);
  outs = mxct::Run("amp_multicast", {h, f}, {{"num_outputs", "2"}, {"cast_narrow", "True"}});
  EXPECT_EQ(outs[0].dtype(), kFloat16);
  EXPECT_EQ(outs[1].dtype(), kFloat16);
  ExpectNear(ToVec(outs[1]), {1.7001953125, -2.5}, 0, 0, "amp_multicast narrow");
}

TEST(Amp, AllFinite) {
  const double inf = std::numeric_limits<double>::infinity();
  auto ok = FromVec({3}, {1, 2, 3}), bad = FromVec({2}, {1, inf}), nan16 = FromVec({2}, {std::nan(""), 1}, kFloat16);
  ExpectNear(ToVec(mxct::Run("all_finite", {ok})[0]), {1}, 0, 0, "all_finite");
  ExpectNear(ToVec(mxct::Run("all_finite", {bad})[0]), {0}, 0, 0, "all_finite inf");
  ExpectNear(ToVec(mxct::Run("all_finite", {nan16})[0]), {0}, 0, 0, "all_finite nan float16");
  ExpectNear(ToVec(mxct::Run("multi_all_finite", {ok, ok, bad}, {{"num_arrays", "3"}})[0]), {0}, 0, 0, "multi_all_finite");
  ExpectNear(ToVec(mxct::Run("multi_all_finite", {ok, ok}, {{"num_arrays", "2"}})[0]), {1}, 0, 0, "multi_all_finite ok");
  // init_output=False: only a non-finite element writes (0) into the given output.
  auto o = FromVec({1}, {7});
  Step("all_finite", {ok}, {{"init_output", "False"}}, {o});
  ExpectNear(ToVec(o), {7}, 0, 0, "all_finite keeps the output");
  Step("multi_all_finite", {ok, bad}, {{"num_arrays", "2"}, {"init_output", "False"}}, {o});
  ExpectNear(ToVec(o), {0}, 0, 0, "multi_all_finite writes 0");
}

}  // namespace
