// The hot CPU loops under every instruction set this processor has (core/ops/cpu_dispatch.h): representative
// kernels run with the baseline forced and with the AVX2+FMA copy (where the processor has it), compared to each
// other and to double-precision references. Bit-equal across paths where no multiply-add can be fused (add, mul,
// relu, sum, broadcast add); within the documented bounds elsewhere (fast_math.h's 2e-7 for exp and sigmoid, 4e-7 for tanh;
// a few units in the last place for softmax and the optimizer updates, whose expressions contract to FMA).
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <functional>
#include <limits>

#include "ops/cpu_dispatch.h"
#include "test_op_nn_util.h"

using namespace mxct;
using mxc::op::CpuIsa;

namespace {

// Restores the instruction set in use before the test.
struct IsaGuard {
  CpuIsa saved = mxc::op::ActiveCpuIsa();
  ~IsaGuard() { mxc::op::SetCpuIsa(saved); }
};

std::vector<CpuIsa> Available() {
  std::vector<CpuIsa> v;
  for (CpuIsa isa : {CpuIsa::kBaseline, CpuIsa::kAvx2})
    if (isa <= mxc::op::DetectedCpuIsa()) v.push_back(isa);
  return v;
}

// f() -> results, under each available instruction set (the first one is the baseline).
template <typename F>
std::vector<std::vector<double>> UnderEach(F f) {
  IsaGuard guard;
  std::vector<std::vector<double>> r;
  for (CpuIsa isa : Available()) {
    EXPECT_EQ(mxc::op::SetCpuIsa(isa), isa);
    r.push_back(f());
  }
  return r;
}

void ExpectBitEqual(const std::vector<std::vector<double>> &r, const std::string &what) {
  for (size_t k = 1; k < r.size(); ++k) {
    ASSERT_EQ(r[k].size(), r[0].size());
    size_t bad = 0;
    for (size_t i = 0; i < r[0].size(); ++i) bad += !(r[k][i] == r[0][i] || (r[k][i] != r[k][i] && r[0][i] != r[0][i]));
    EXPECT_EQ(bad, 0u) << what << " under " << mxc::op::CpuIsaName(Available()[k]) << " differs from the baseline";
  }
}

// Worst relative error of every path against a double reference (below `floor` in magnitude: absolute).
void ExpectRel(const std::vector<std::vector<double>> &r, const std::vector<double> &want, double rtol,
               const std::string &what, double floor = 1e-30) {
  for (size_t k = 0; k < r.size(); ++k) {
    double worst = 0;
    for (size_t i = 0; i < want.size(); ++i)
      worst = std::max(worst, std::fabs(r[k][i] - want[i]) / std::max(std::fabs(want[i]), floor));
    EXPECT_LT(worst, rtol) << what << " under " << mxc::op::CpuIsaName(Available()[k]);
  }
}

constexpr size_t kN = 100003;  // several parallel blocks, and a tail that is not a multiple of any vector width

TEST(CpuDispatch, NamesAndCapping) {
  IsaGuard guard;
  EXPECT_STREQ(mxc::op::CpuIsaName(CpuIsa::kBaseline), "baseline");
  EXPECT_STREQ(mxc::op::CpuIsaName(CpuIsa::kAvx2), "avx2");
  EXPECT_EQ(mxc::op::SetCpuIsa(CpuIsa::kBaseline), CpuIsa::kBaseline);
  EXPECT_EQ(mxc::op::ActiveCpuIsa(), CpuIsa::kBaseline);
  EXPECT_EQ(mxc::op::SetCpuIsa(CpuIsa::kAvx2), mxc::op::DetectedCpuIsa());  // capped at what the CPU has
#ifndef MXC_CPU_DISPATCH
  EXPECT_EQ(mxc::op::DetectedCpuIsa(), CpuIsa::kBaseline);
#endif
  std::printf("instruction sets tested: %zu (processor's best: %s)\n", Available().size(),
              mxc::op::CpuIsaName(mxc::op::DetectedCpuIsa()));
}

TEST(CpuDispatch, ExactElementwiseOps) {
  auto a = Random({static_cast<int64_t>(kN)}, -5, 5, mxc::kFloat32, 1);
  auto b = Random({static_cast<int64_t>(kN)}, -5, 5, mxc::kFloat32, 2);
  const auto av = ToVec(a), bv = ToVec(b);
  std::vector<double> add(kN), mul(kN), relu(kN), badd;
  for (size_t i = 0; i < kN; ++i) {  // float(double op) is the correctly rounded float result
    add[i] = static_cast<float>(av[i] + bv[i]);
    mul[i] = static_cast<float>(av[i] * bv[i]);
    relu[i] = av[i] > 0 ? av[i] : 0;
  }
  auto row = FromVec({1, 3}, {0.5, -1.25, 3.0});
  auto mat = Random({static_cast<int64_t>(kN) / 3 + 1, 3}, -5, 5, mxc::kFloat32, 3);
  const auto mv = ToVec(mat), rv = ToVec(row);
  for (size_t i = 0; i < mv.size(); ++i) badd.push_back(static_cast<float>(mv[i] + rv[i % 3]));
  struct Case {
    std::string name;
    std::function<std::vector<double>()> run;
    std::vector<double> want;
  };
  std::vector<Case> cases = {
      {"elemwise_add", [&] { return ToVec(mxct::Run("elemwise_add", {a, b})[0]); }, add},
      {"elemwise_mul", [&] { return ToVec(mxct::Run("elemwise_mul", {a, b})[0]); }, mul},
      {"relu", [&] { return ToVec(mxct::Run("relu", {a})[0]); }, relu},
      {"Activation relu", [&] { return ToVec(mxct::Run("Activation", {a}, {{"act_type", "relu"}})[0]); }, relu},
      {"broadcast_add", [&] { return ToVec(mxct::Run("broadcast_add", {mat, row})[0]); }, badd},
  };
  for (auto &c : cases) {
    auto r = UnderEach(c.run);
    ExpectBitEqual(r, c.name);
    ExpectRel(r, c.want, 1e-300, c.name);  // exact
  }
}

TEST(CpuDispatch, FastMathWithinBoundsInEveryPath) {
  std::vector<double> xs;  // a dense sweep over the interesting range, with the branch points of fast_math.h
  for (double v = -100; v <= 100; v += 4e-4) xs.push_back(static_cast<float>(v));
  for (double v : {9.02, 88.72283, -87.33654, 0.0, -0.0, 1e-30, -1e-30}) xs.push_back(static_cast<float>(v));
  auto x = FromVec({static_cast<int64_t>(xs.size())}, xs);
  std::vector<double> ex, th, sg;
  for (double v : xs) {
    const double e = std::exp(v);
    ex.push_back(e <= std::numeric_limits<float>::max() ? e : 0);  // overflow: test_internal_fast_math checks inf
    th.push_back(std::tanh(v));
    sg.push_back(1 / (1 + std::exp(-v)));
  }
  // Relative error where the reference is a normal float (fast_math.h flushes results below to 0).
  auto check = [&](const std::string &what, const std::string &op, const Params &p, std::vector<double> want,
                   double rtol = 2e-7) {
    auto r = UnderEach([&] { return ToVec(mxct::Run(op, {x}, p)[0]); });
    for (size_t i = 0; i < want.size(); ++i)
      if (!(std::fabs(want[i]) >= std::numeric_limits<float>::min())) {
        want[i] = 0;
        for (auto &v : r) v[i] = 0;
      }
    ExpectRel(r, want, rtol, what);
  };
  check("exp", "exp", {}, ex);
  check("tanh", "tanh", {}, th, 4e-7);
  check("Activation tanh", "Activation", {{"act_type", "tanh"}}, th, 4e-7);
  check("sigmoid", "sigmoid", {}, sg);
  check("Activation sigmoid", "Activation", {{"act_type", "sigmoid"}}, sg);
}

TEST(CpuDispatch, ReductionsAndSoftmax) {
  auto x = Random({1000, 101}, -3, 3, mxc::kFloat32, 4);
  const auto xv = ToVec(x);
  double total = 0;
  std::vector<double> rows(1000, 0), soft(xv.size());
  for (size_t r = 0; r < 1000; ++r) {
    double mx = -INFINITY, s = 0;
    for (size_t j = 0; j < 101; ++j) {
      total += xv[r * 101 + j];
      rows[r] += xv[r * 101 + j];
      mx = std::max(mx, xv[r * 101 + j]);
    }
    for (size_t j = 0; j < 101; ++j) s += std::exp(xv[r * 101 + j] - mx);
    for (size_t j = 0; j < 101; ++j) soft[r * 101 + j] = std::exp(xv[r * 101 + j] - mx) / s;
  }
  // float32 sums accumulate in double: bit-equal across paths and within float rounding of the exact sum.
  auto sum_all = UnderEach([&] { return ToVec(mxct::Run("sum", {x})[0]); });
  ExpectBitEqual(sum_all, "sum");
  ExpectRel(sum_all, {static_cast<float>(total)}, 1e-300, "sum");
  auto sum_rows = UnderEach([&] { return ToVec(mxct::Run("sum", {x}, {{"axis", "1"}})[0]); });
  ExpectBitEqual(sum_rows, "sum(axis=1)");
  std::vector<double> rows_f(rows.size());
  for (size_t i = 0; i < rows.size(); ++i) rows_f[i] = static_cast<float>(rows[i]);
  ExpectRel(sum_rows, rows_f, 1e-300, "sum(axis=1)");
  ExpectRel(UnderEach([&] { return ToVec(mxct::Run("softmax", {x})[0]); }), soft, 1e-6, "softmax");
}

TEST(CpuDispatch, OptimizerUpdates) {
  const int64_t n = static_cast<int64_t>(kN);
  const auto w0 = RandVec(kN, -1, 1, 5), g0 = RandVec(kN, -3, 3, 6), m0 = RandVec(kN, -0.1, 0.1, 7),
             v0 = RandVec(kN, 0.01, 0.5, 8);
  const double lr = 0.1, wd = 0.01, b1 = 0.9, b2 = 0.999, eps = 1e-8;
  auto step = [&](const std::string &name, int nstates) {
    std::vector<NDArray> ins = {FromVec({n}, w0), FromVec({n}, g0)};
    if (nstates > 0) ins.push_back(FromVec({n}, m0));
    if (nstates > 1) ins.push_back(FromVec({n}, v0));
    Params p = {{"lr", "0.1"}, {"wd", "0.01"}};
    const mxc::Op *op = FindOp(name);
    mxc::OpParams params(op, p);
    std::vector<NDArray> outs = {ins[0]};
    mxc::Invoke(op, params, ins, &outs);
    return ToVec(outs[0]);
  };
  std::vector<double> sgd(kN), adam(kN);
  for (size_t i = 0; i < kN; ++i) {  // from the float32 inputs, in double
    const double w = static_cast<float>(w0[i]), g = static_cast<float>(g0[i]);
    sgd[i] = w - lr * (g + wd * w);
    const double gr = g + wd * w;
    const double m = b1 * static_cast<float>(m0[i]) + (1 - b1) * gr;
    const double v = b2 * static_cast<float>(v0[i]) + (1 - b2) * gr * gr;
    adam[i] = w - lr * m / (std::sqrt(v) + eps);
  }
  // A few float32 roundings of terms of magnitude up to 1 (and the fused multiply-adds of the wider paths) from the
  // double result: absolute 1e-6 (results near 0 come from cancellation).
  ExpectRel(UnderEach([&] { return step("sgd_update", 0); }), sgd, 1e-6, "sgd_update", 1.0);
  ExpectRel(UnderEach([&] { return step("adam_update", 2); }), adam, 1e-6, "adam_update", 1.0);
}

}  // namespace
