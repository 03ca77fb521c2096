// core/ops/fast_math.h against double-precision libm over dense sweeps, at the special values, and through the
// operators that use it (Activation tanh/sigmoid, tanh, sigmoid) for float32.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <vector>

#include "ops/fast_math.h"
#include "test_op_nn_util.h"

using mxc::op::FastExp;
using mxc::op::FastSigmoid;
using mxc::op::FastTanh;

namespace {

double RelErr(double got, double want) {
  return want == 0 ? std::fabs(got) : std::fabs(got - want) / std::fabs(want);
}

// Every float in [lo, hi] with a step of `step` (plus the floats right next to the branch points).
std::vector<float> Sweep(double lo, double hi, double step) {
  std::vector<float> xs;
  for (double v = lo; v <= hi; v += step) xs.push_back(static_cast<float>(v));
  for (float b : {0.3f, 9.0f, 88.72283f, -87.33654f})
    for (float s : {1.0f, -1.0f}) {
      const float x = s * b;
      xs.push_back(x);
      xs.push_back(std::nextafter(x, 0.0f));
      xs.push_back(std::nextafter(x, 100.0f * s));
    }
  return xs;
}

TEST(FastMath, ExpSigmoidWithin2e7AndTanhWithin4e7OfDouble) {
  double worst_exp = 0, worst_tanh = 0, worst_sig = 0;
  for (float x : Sweep(-100, 100, 3.1e-4)) {
    const double xd = x, e = std::exp(xd);
    if (e >= std::numeric_limits<float>::min() && e <= std::numeric_limits<float>::max())
      worst_exp = std::max(worst_exp, RelErr(FastExp(x), e));
    worst_tanh = std::max(worst_tanh, RelErr(FastTanh(x), std::tanh(xd)));
    const double s = 1 / (1 + std::exp(-xd));
    if (s >= std::numeric_limits<float>::min()) worst_sig = std::max(worst_sig, RelErr(FastSigmoid(x), s));
  }
  for (float x = 1e-30f; x < 0.3f; x *= 1.7f) {
    worst_tanh = std::max(worst_tanh, RelErr(FastTanh(x), std::tanh(static_cast<double>(x))));
    worst_tanh = std::max(worst_tanh, RelErr(FastTanh(-x), std::tanh(-static_cast<double>(x))));
  }
  for (float x = 1e-30f; x < 1e-4f; x *= 1.3f) {  // tiny arguments: tanh(x) is x to the last bit
    EXPECT_EQ(FastTanh(x), x);
    EXPECT_EQ(FastTanh(-x), -x);
  }
  for (float x = 0; x < 12; x += 1e-3f) EXPECT_LE(std::fabs(FastTanh(x)), 1.0f) << x;  // never beyond +-1
  EXPECT_LT(worst_exp, 2e-7);
  EXPECT_LT(worst_tanh, 4e-7);
  EXPECT_LT(worst_sig, 2e-7);
}

TEST(FastMath, SpecialValuesAsLibm) {
  const float inf = std::numeric_limits<float>::infinity(), nan = std::numeric_limits<float>::quiet_NaN();
  EXPECT_EQ(FastExp(inf), inf);
  EXPECT_EQ(FastExp(-inf), 0.0f);
  EXPECT_EQ(FastExp(89.0f), inf);
  EXPECT_EQ(FastExp(-104.0f), 0.0f);
  EXPECT_EQ(FastExp(0.0f), 1.0f);
  EXPECT_TRUE(std::isnan(FastExp(nan)));
  EXPECT_EQ(FastTanh(inf), 1.0f);
  EXPECT_EQ(FastTanh(-inf), -1.0f);
  EXPECT_EQ(FastTanh(20.0f), 1.0f);
  EXPECT_TRUE(std::isnan(FastTanh(nan)));
  EXPECT_TRUE(std::signbit(FastTanh(-0.0f)) && FastTanh(-0.0f) == 0.0f);
  EXPECT_EQ(FastSigmoid(inf), 1.0f);
  EXPECT_EQ(FastSigmoid(-inf), 0.0f);
  EXPECT_EQ(FastSigmoid(0.0f), 0.5f);
  EXPECT_TRUE(std::isnan(FastSigmoid(nan)));
  EXPECT_EQ(FastTanh(0.5), std::tanh(0.5));  // double: the standard library
}

// The operators (float32, a length that is not a multiple of the vector width) against double references.
TEST(FastMath, OperatorsUseIt) {
  std::vector<double> xs;
  for (int i = 0; i < 1001; ++i) xs.push_back(-12 + 0.024 * i);
  auto x = mxct::FromVec({1001}, xs);
  xs = mxct::ToVec(x);  // as float32
  std::vector<double> th, sg;
  for (double v : xs) {
    th.push_back(std::tanh(v));
    sg.push_back(1 / (1 + std::exp(-v)));
  }
  mxct::ExpectNear(mxct::ToVec(mxct::Run("tanh", {x})[0]), th, 4e-7, 1e-30);
  mxct::ExpectNear(mxct::ToVec(mxct::Run("Activation", {x}, {{"act_type", "tanh"}})[0]), th, 4e-7, 1e-30);
  mxct::ExpectNear(mxct::ToVec(mxct::Run("sigmoid", {x})[0]), sg, 2e-7, 1e-30);
  mxct::ExpectNear(mxct::ToVec(mxct::Run("Activation", {x}, {{"act_type", "sigmoid"}})[0]), sg, 2e-7, 1e-30);
}

}  // namespace
