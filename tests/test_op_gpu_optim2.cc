// Native GPU kernels of cuda/gpu_ops_optim2.cc (AdamW, LAMB, multi-tensor SGD, multi_sum_sq, multi_lars,
// reset_arrays, all_finite, multi_all_finite, amp_cast, amp_multicast): outputs and updated states on gpu(0) against
// the CPU kernels, with float16 weights for the mixed-precision forms, write and add requests, the weight updated in
// place, and without host staging (skipped, visibly, without a GPU).
#include <cmath>
#include <limits>

#include "test_op_gpu_req.h"
#include "test_op_gpu_util.h"

namespace {

using namespace mxct_gpu;

constexpr int kF16 = mxc::kFloat16;
constexpr int kF64 = mxc::kFloat64;
const double kNaN = std::numeric_limits<double>::quiet_NaN();
const double kInf = std::numeric_limits<double>::infinity();

using Fill = std::function<void(std::vector<NDArray> &)>;

// Input k replaced by uniform values in [lo, hi) (its dtype kept).
Fill Uniform(int k, double lo, double hi) {
  return [=](std::vector<NDArray> &in) { in[k] = mxct::Random(in[k].shape(), lo, hi, in[k].dtype(), 31 + k); };
}
// Input k replaced by `values` (cycled over its size), in dtype (-1: its own).
Fill SetInput(int k, std::vector<double> values, int dtype = -1) {
  return [=](std::vector<NDArray> &in) {
    std::vector<double> v(in[k].Size());
    for (size_t i = 0; i < v.size(); ++i) v[i] = values[i % values.size()];
    in[k] = mxct::FromVec(in[k].shape(), v, dtype < 0 ? in[k].dtype() : dtype);
  };
}
// Inputs ks converted to float16.
Fill Half(std::vector<int> ks) {
  return [=](std::vector<NDArray> &in) {
    for (int k : ks) in[k] = AsType(in[k], kF16);
  };
}
Fill All(std::vector<Fill> fs) {
  return [=](std::vector<NDArray> &in) {
    for (auto &f : fs) f(in);
  };
}

// One optimizer tensor group: weight in [-1, 1), grad in [-2, 2), then the states (a var-like state positive).
// at: the group's first input; var_at: the positive state (-1: none).
Fill Group(int at, int nstates, int var_at) {
  std::vector<Fill> fs = {Uniform(at, -1, 1), Uniform(at + 1, -2, 2)};
  for (int j = 0; j < nstates; ++j) {
    const int k = at + 2 + j;
    fs.push_back(k == var_at ? Uniform(k, 0.05, 1) : Uniform(k, -0.5, 0.5));
  }
  return All(fs);
}

std::string Repeat(const std::string &item, int n) {
  std::string s = "(";
  for (int i = 0; i < n; ++i) s += (i ? ", " : "") + item;
  return s + ")";
}

std::vector<Case> Optim2Cases() {
  std::vector<Case> v;
  auto add = [&](Case c) { v.push_back(std::move(c)); };
  // ---- AdamW: rescale_grad an array; NaN, Inf or 0 skips the step.
  const Params adamw = {{"lr", "0.01"}, {"wd", "0.1"}, {"eta", "0.7"}, {"beta1", "0.8"}, {"epsilon", "1e-6"}};
  const std::vector<TShape> aw = {{3, 7}, {3, 7}, {3, 7}, {3, 7}, {1}};
  add({"_contrib_adamw_update", adamw, aw, -1, 1, {}, All({Group(0, 2, 3), SetInput(4, {0.8})})});
  Params clipped = adamw;
  clipped.push_back({"clip_gradient", "0.5"});
  add({"_contrib_adamw_update", clipped, aw, -1, 1, {}, All({Group(0, 2, 3), SetInput(4, {1.5})}), false, kF64});
  for (double skip : {kNaN, kInf, 0.0})
    add({"_contrib_adamw_update", adamw, aw, -1, 1, {}, All({Group(0, 2, 3), SetInput(4, {skip})})});
  const std::vector<TShape> mpaw = {{300}, {300}, {300}, {300}, {300}, {1}};
  for (int wt : {kF16, static_cast<int>(mxc::kFloat32)}) {
    Fill mp = All({Group(0, 3, 3), Uniform(4, -1, 1), SetInput(5, {0.5})});
    add({"_contrib_mp_adamw_update", clipped, mpaw, -1, 1, {}, wt == kF16 ? All({mp, Half({0, 1})}) : mp});
  }
  add({"_contrib_mp_adamw_update", adamw, mpaw, -1, 1, {},
       All({Group(0, 3, 3), Uniform(4, -1, 1), SetInput(5, {kNaN}), Half({0, 1})})});
  // ---- multi-tensor AdamW: per-tensor lr, wd and eta.
  const Params maw = {{"num_weights", "2"}, {"lrs", "(0.01, 0.05)"}, {"wds", "(0.1, 0)"}, {"etas", "(1, 0.5)"},
                      {"clip_gradient", "1.5"}};
  add({"_multi_adamw_update", maw, {{4, 5}, {4, 5}, {4, 5}, {4, 5}, {7}, {7}, {7}, {7}, {1}}, -1, 1, {},
       All({Group(0, 2, 3), Group(4, 2, 7), SetInput(8, {2})})});
  add({"_multi_adamw_update", maw, {{4, 5}, {4, 5}, {4, 5}, {4, 5}, {7}, {7}, {7}, {7}, {1}}, -1, 1, {},
       All({Group(0, 2, 3), Group(4, 2, 7), SetInput(8, {0.25})}), false, kF64});
  add({"_multi_adamw_update", maw, {{4, 5}, {4, 5}, {4, 5}, {4, 5}, {7}, {7}, {7}, {7}, {1}}, -1, 1, {},
       All({Group(0, 2, 3), Group(4, 2, 7), SetInput(8, {kInf})})});
  add({"_multi_mp_adamw_update", maw, {{6}, {6}, {6}, {6}, {6}, {2, 9}, {2, 9}, {2, 9}, {2, 9}, {2, 9}, {1}}, -1, 1,
       {}, All({Group(0, 3, 3), Group(5, 3, 8), SetInput(10, {0.5}), Half({0, 1, 5, 6})})});
  // ---- LAMB: the norms reduced on the device (a tensor of several blocks), bounds, bias correction off.
  const Params lamb = {{"num_tensors", "2"}, {"learning_rates", "(0.1, 0.02)"}, {"wds", "(0.01, 0.2)"},
                       {"step_count", "(1, 4)"}, {"rescale_grad", "0.5"}};
  const std::vector<TShape> lt = {{3000}, {3000}, {3000}, {3000}, {3, 5}, {3, 5}, {3, 5}, {3, 5}};
  add({"_multi_lamb_update", lamb, lt, -1, 1, {}, All({Group(0, 2, 3), Group(4, 2, 7)})});
  Params lamb2 = lamb;
  lamb2.insert(lamb2.end(), {{"lower_bound", "30"}, {"upper_bound", "1.2"}, {"bias_correction", "false"},
                             {"clip_gradient", "0.4"}, {"beta1", "0.7"}, {"epsilon", "1e-4"}});
  add({"_multi_lamb_update", lamb2, lt, -1, 1, {}, All({Group(0, 2, 3), Group(4, 2, 7)}), false, kF64});
  // A zero weight: r1 = 0 takes lr alone.
  add({"_multi_lamb_update", lamb, lt, -1, 1, {}, All({Group(0, 2, 3), Group(4, 2, 7), SetInput(4, {0})})});
  const std::vector<TShape> mlt = {{70000}, {70000}, {70000}, {70000}, {70000}, {9}, {9}, {9}, {9}, {9}};
  add({"_multi_mp_lamb_update", lamb, mlt, -1, 1, {},
       All({Group(0, 3, 3), Group(5, 3, 8), Uniform(4, -1, 1), Uniform(9, -1, 1), Half({0, 1, 5, 6})})});
  add({"_multi_mp_lamb_update", lamb2, mlt, -1, 1, {},
       All({Group(0, 3, 3), Group(5, 3, 8), Uniform(4, -1, 1), Uniform(9, -1, 1)})});
  // ---- mixed-precision LAMB phases.
  const Params l1 = {{"t", "3"}, {"wd", "0.01"}, {"rescale_grad", "2"}, {"clip_gradient", "1.5"}};
  add({"mp_lamb_update_phase1", l1, {{4, 6}, {4, 6}, {4, 6}, {4, 6}, {4, 6}}, -1, 1, {},
       All({Group(0, 3, 3), Uniform(4, -1, 1), Half({0, 1})})});
  add({"mp_lamb_update_phase1", {{"t", "2"}, {"wd", "0"}, {"bias_correction", "false"}},
       {{10}, {10}, {10}, {10}, {10}}, -1, 1, {}, All({Group(0, 3, 3), Uniform(4, -1, 1)})});
  const std::vector<TShape> l2 = {{5, 4}, {5, 4}, {1}, {1}, {5, 4}};
  add({"mp_lamb_update_phase2", {{"lr", "0.1"}, {"lower_bound", "0.5"}, {"upper_bound", "3"}}, l2, -1, 1, {},
       All({SetInput(2, {4}), SetInput(3, {0.7}), Half({0})})});
  add({"mp_lamb_update_phase2", {{"lr", "0.1"}}, l2, -1, 1, {}, All({SetInput(2, {0.3}), SetInput(3, {0})})});
  // ---- multi-tensor SGD: parameters or preloaded arrays, momentum, mixed precision.
  for (bool mom : {false, true})
    for (bool mp : {false, true})
      for (bool pre : {false, true}) {
        const std::string name = std::string(pre ? "preloaded_" : "") + "multi_" + (mp ? "mp_" : "") + "sgd_" +
                                 (mom ? "mom_" : "") + "update";
        const int per = 2 + mom + mp;
        Params ps = {{"num_weights", "3"}, {"rescale_grad", "0.5"}, {"clip_gradient", "0.6"}};
        if (!pre) ps.insert(ps.end(), {{"lrs", "(0.1, 0.2, 0.05)"}, {"wds", "(0.01, 0, 0.1)"}});
        if (mom) ps.push_back({"momentum", "0.9"});
        std::vector<TShape> shapes;
        std::vector<Fill> fs, half;
        const TShape sh[3] = {{4, 5}, {11}, {2, 3, 2}};
        for (int k = 0; k < 3; ++k) {
          for (int j = 0; j < per; ++j) shapes.push_back(sh[k]);
          fs.push_back(Group(k * per, per - 2, -1));
          if (mp) {
            half.push_back(Half({k * per, k * per + 1}));
          }
        }
        if (pre) {
          shapes.push_back({3});
          shapes.push_back({3});
          fs.push_back(SetInput(3 * per, {0.1, 0.2, 0.05}));
          fs.push_back(SetInput(3 * per + 1, {0.01, 0, 0.1}));
        }
        add({name, ps, shapes, -1, 1, {}, All(fs)});
        if (mp) {
          // only the second weight float16: one launch per weight dtype, each reading its own lrs/wds entries
          std::vector<Fill> mixed = fs;
          mixed.push_back(half[1]);
          add({name, ps, shapes, -1, 1, {}, All(mixed)});
          fs.insert(fs.end(), half.begin(), half.end());
          add({name, ps, shapes, -1, 1, {}, All(fs)});
        } else {
          add({name, ps, shapes, -1, 1, {}, All(fs), false, kF64});
        }
      }
  // More weights than one launch takes (cuda::kMultiSGDPerLaunch = 32): two launches.
  for (bool pre : {false, true}) {
    const int n = 37;
    Params ps = {{"num_weights", std::to_string(n)}, {"momentum", "0.9"}};
    std::string lrs = "(", wds = "(";
    std::vector<double> lv, wv;
    std::vector<TShape> shapes;
    std::vector<Fill> fs;
    for (int k = 0; k < n; ++k) {
      lv.push_back(0.01 * (k + 1));
      wv.push_back(0.001 * k);
      lrs += std::to_string(lv.back()) + (k + 1 < n ? "," : ")");
      wds += std::to_string(wv.back()) + (k + 1 < n ? "," : ")");
      for (int j = 0; j < 3; ++j) shapes.push_back({k % 5 + 1, 3});
    }
    if (pre) {
      shapes.push_back({n});
      shapes.push_back({n});
      fs.push_back(SetInput(3 * n, lv));
      fs.push_back(SetInput(3 * n + 1, wv));
    } else {
      ps.insert(ps.end(), {{"lrs", lrs}, {"wds", wds}});
    }
    add({pre ? "preloaded_multi_sgd_mom_update" : "multi_sgd_mom_update", ps, shapes, -1, 1, {}, All(fs)});
  }
  // ---- multi_sum_sq (several blocks per array), multi_lars (zero norms take lr), reset_arrays.
  add({"multi_sum_sq", {{"num_arrays", "3"}}, {{3, 4}, {70000}, {1}}, -2, 2});
  add({"multi_sum_sq", {{"num_arrays", "2"}}, {{5}, {2, 300}}, -2, 2, {}, nullptr, false, kF64});
  add({"multi_sum_sq", {{"num_arrays", "2"}}, {{5}, {2, 300}}, -2, 2, {}, Half({0, 1})});
  add({"multi_lars", {{"eta", "0.5"}, {"eps", "1e-3"}, {"rescale_grad", "0.25"}}, {{6}, {6}, {6}, {6}}, 0.1, 2, {},
       All({SetInput(1, {1.5, 0, 2, 0.3, 4, 1}), SetInput(2, {0.5, 1, 0, 2, 0.1, 3})})});
  add({"multi_lars", {{"eta", "2"}, {"eps", "0"}}, {{5}, {5}, {5}, {5}}, 0.1, 2, {}, SetInput(2, {0.5, 1, 0, 2, 0.1}),
       false, kF64});
  add({"reset_arrays", {{"num_arrays", "3"}}, {{3, 4}, {5}, {2, 2, 2}}});
  add({"reset_arrays", {{"num_arrays", "2"}}, {{3, 4}, {7}}, -1, 1, {}, Half({1}), false, kF64});
  // ---- all_finite / multi_all_finite: NaN and Inf (float16 by their bits), finite arrays, integers.
  add({"all_finite", {}, {{4, 5}}});
  add({"all_finite", {}, {{4, 5}}, -1, 1, {}, SetInput(0, {1, 2, kNaN, 3, 4, 5, 6})});
  add({"all_finite", {}, {{7}}, -1, 1, {}, SetInput(0, {1, -kInf, 2}), false, kF64});
  add({"all_finite", {}, {{7}}, -1, 1, {}, All({SetInput(0, {1, 2, 3, kInf}), Half({0})})});
  add({"all_finite", {}, {{7}}, -1, 1, {}, All({SetInput(0, {1, 2, 3}), Half({0})})});
  add({"all_finite", {}, {{7}}, -1, 1, {}, SetInput(0, {1, 2, 3}, mxc::kInt32)});
  add({"multi_all_finite", {{"num_arrays", "3"}}, {{3}, {4, 5}, {6}}});
  add({"multi_all_finite", {{"num_arrays", "3"}}, {{3}, {4, 5}, {6}}, -1, 1, {}, SetInput(2, {1, 2, 3, 4, 5, kNaN})});
  add({"multi_all_finite", {{"num_arrays", "2"}}, {{3}, {6}}, -1, 1, {}, All({SetInput(0, {kInf}), Half({0})})});
  // ---- amp_cast and amp_multicast (with their gradients).
  add({"amp_cast", {{"dtype", "float16"}}, {{3, 4}}, -3, 3});
  add({"amp_cast", {{"dtype", "float32"}}, {{3, 4}}, -3, 3, {}, Half({0})});
  add({"amp_cast", {{"dtype", "float16"}}, {{3, 4}}, -3, 3, {}, SetInput(0, {1, -2, 7}, mxc::kInt32)});
  add({"amp_cast", {{"dtype", "float32"}}, {{5}}, -3, 3, {}, nullptr, false, kF64});
  add({"amp_multicast", {{"num_outputs", "3"}}, {{3, 4}, {5}, {2}}, -3, 3, {},
       All({Half({0}), SetInput(2, {4, -1}, mxc::kInt32)})});
  add({"amp_multicast", {{"num_outputs", "2"}, {"cast_narrow", "true"}}, {{3, 4}, {5}}, -3, 3, {}, Half({1})});
  add({"amp_multicast", {{"num_outputs", "2"}}, {{3, 4}, {5}}, -3, 3, {}, Half({0, 1})});
  return v;
}

TEST(OpGpuOptim2, MatchTheCpuNatively) {
  if (!HaveGPU()) GTEST_SKIP() << "no GPU on this machine";
#ifdef MXC_USE_CUDA
  const int64_t staged = mxc::gpu::HostStagedCalls();
  CompareNative(Optim2Cases());
  EXPECT_EQ(mxc::gpu::HostStagedCalls(), staged) << "every call above ran natively";
#endif
}

// Every operator of the task has a native GPU kernel.
TEST(OpGpuOptim2, NoneIsHostStaged) {
  if (!HaveGPU()) GTEST_SKIP() << "no GPU on this machine";
#ifdef MXC_USE_CUDA
  std::set<std::string> mine;
  for (auto &c : Optim2Cases()) mine.insert(c.op);
  EXPECT_EQ(mine.size(), 23u);
  for (auto &s : mxc::gpu::HostStagedOps()) EXPECT_EQ(mine.count(s), 0u) << s << " is host-staged";
#endif
}

// Write and add requests; the updates also in place (as the optimizers call them: out = weight).
TEST(OpGpuOptim2, ReqWriteAddAndInPlaceNatively) {
  if (!HaveGPU()) GTEST_SKIP() << "no GPU on this machine";
#ifdef MXC_USE_CUDA
  const int64_t staged = mxc::gpu::HostStagedCalls();
  int in_place = 0;
  for (auto &c : Optim2Cases()) {
    CompareReq(c, mxc::kWriteTo, false);
    CompareReq(c, mxc::kAddTo, false);
    const bool update = c.op.find("update") != std::string::npos && c.op != "mp_lamb_update_phase1";
    if (update) {
      CompareReq(c, mxc::kWriteInplace, true);
      ++in_place;
    }
  }
  EXPECT_GT(in_place, 25);
  EXPECT_EQ(mxc::gpu::HostStagedCalls(), staged) << "every call above ran natively";
#endif
}

// all_finite with init_output=False leaves the output alone unless it finds a non-finite value (accumulating a flag
// over calls), on the GPU as on the CPU; reset_arrays zeroes its arrays.
TEST(OpGpuOptim2, AllFiniteAccumulatesAndResetZeroes) {
  if (!HaveGPU()) GTEST_SKIP() << "no GPU on this machine";
#ifdef MXC_USE_CUDA
  const int64_t staged = mxc::gpu::HostStagedCalls();
  const mxc::Op *op = mxc::OpRegistry::Get()->FindOrThrow("multi_all_finite");
  OpParams p(op, {{"num_arrays", "2"}, {"init_output", "false"}});
  NDArray flag = CopyTo(mxct::FromVec({1}, {1}), kGPU);
  std::vector<NDArray> out = {flag};
  NDArray a = CopyTo(mxct::FromVec({3}, {1, 2, 3}), kGPU);
  NDArray b = CopyTo(mxct::FromVec({2}, {4, 5}, kF16), kGPU);
  mxc::Invoke(op, p, {a, b}, &out);
  EXPECT_EQ(HostVec(flag), std::vector<double>{1});
  NDArray bad = CopyTo(mxct::FromVec({2}, {4, kNaN}, kF16), kGPU);
  mxc::Invoke(op, p, {a, bad}, &out);
  EXPECT_EQ(HostVec(flag), std::vector<double>{0});
  mxc::Invoke(op, p, {a, b}, &out);
  EXPECT_EQ(HostVec(flag), std::vector<double>{0}) << "stays 0 without init_output";
  const mxc::Op *reset = mxc::OpRegistry::Get()->FindOrThrow("reset_arrays");
  std::vector<NDArray> none;
  mxc::Invoke(reset, OpParams(reset, {{"num_arrays", "2"}}), {a, b}, &none);
  EXPECT_EQ(HostVec(a), std::vector<double>(3, 0.0));
  EXPECT_EQ(HostVec(b), std::vector<double>(2, 0.0));
  EXPECT_EQ(mxc::gpu::HostStagedCalls(), staged) << "every call above ran natively";
#endif
}

}  // namespace
