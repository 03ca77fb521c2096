// Scalar binary operators (_plus_scalar, _rdiv_scalar, ...): forward values, integer scalar conversion, parameters,
// aliases and gradients.
#include <cmath>

#include "test_op_elemwise_common.h"

namespace {

using namespace mxct;
using mxc::ErrorKind;

double PyMod(double a, double b) { return b == 0 ? 0 : a - std::floor(a / b) * b; }

struct ScalarCase {
  const char *op;
  const char *alias;
  std::function<double(double, double)> ref;  // ref(x, scalar)
  double lo, hi, scalar;
};

std::vector<ScalarCase> Cases() {
  return {
      {"_plus_scalar", "_PlusScalar", [](double x, double s) { return x + s; }, -3, 3, 1.5},
      {"_minus_scalar", "_MinusScalar", [](double x, double s) { return x - s; }, -3, 3, 1.5},
      {"_rminus_scalar", "_RMinusScalar", [](double x, double s) { return s - x; }, -3, 3, 1.5},
      {"_mul_scalar", "_MulScalar", [](double x, double s) { return x * s; }, -3, 3, -2.5},
      {"_div_scalar", "_DivScalar", [](double x, double s) { return x / s; }, -3, 3, 4},
      {"_rdiv_scalar", "_RDivScalar", [](double x, double s) { return s / x; }, 0.5, 3, -3},
      {"_mod_scalar", "_ModScalar", PyMod, -5, 5, 1.5},
      {"_rmod_scalar", "_RModScalar", [](double x, double s) { return PyMod(s, x); }, 0.6, 3, 7.25},
      {"_power_scalar", "_PowerScalar", [](double x, double s) { return std::pow(x, s); }, 0.1, 3, 2.5},
      {"_rpower_scalar", "_RPowerScalar", [](double x, double s) { return std::pow(s, x); }, -3, 3, 1.7},
      {"_maximum_scalar", "_MaximumScalar", [](double x, double s) { return std::max(x, s); }, -3, 3, 0.25},
      {"_minimum_scalar", "_MinimumScalar", [](double x, double s) { return std::min(x, s); }, -3, 3, 0.25},
      {"_equal_scalar", "_EqualScalar", [](double x, double s) { return x == s ? 1.0 : 0.0; }, -3, 3, 0.25},
      {"_not_equal_scalar", "_NotEqualScalar", [](double x, double s) { return x != s ? 1.0 : 0.0; }, -3, 3, 0.25},
      {"_greater_scalar", "_GreaterScalar", [](double x, double s) { return x > s ? 1.0 : 0.0; }, -3, 3, 0.25},
      {"_greater_equal_scalar", "_GreaterEqualScalar", [](double x, double s) { return x >= s ? 1.0 : 0.0; }, -3,
       3, 0.25},
      {"_lesser_scalar", "_LesserScalar", [](double x, double s) { return x < s ? 1.0 : 0.0; }, -3, 3, 0.25},
      {"_lesser_equal_scalar", "_LesserEqualScalar", [](double x, double s) { return x <= s ? 1.0 : 0.0; }, -3, 3,
       0.25},
  };
}

TEST(ElemwiseScalar, ForwardFloat) {
  for (int dtype : {mxc::kFloat32, mxc::kFloat64}) {
    for (auto &c : Cases()) {
      SCOPED_TRACE(std::string(c.op) + " " + mxc::DTypeName(dtype));
      const size_t n = 100000;
      auto xv = AsStored(Uniform(n, c.lo, c.hi, 5), dtype);
      for (size_t i = 0; i < n; i += 9) xv[i] = c.scalar;  // ties
      auto x = FromVec({n / 4, 4}, xv, dtype);
      auto out = mxct::Run(c.op, {x}, {{"scalar", std::to_string(c.scalar)}});
      ASSERT_EQ(out.size(), 1u);
      EXPECT_EQ(out[0].dtype(), dtype);
      std::vector<double> ref(n);
      for (size_t i = 0; i < n; ++i) ref[i] = c.ref(xv[i], c.scalar);
      double tol = std::string(c.op).find("power") != std::string::npos ? 8 : 1;
      ExpectNear(ToVec(out[0]), ref, Rtol(dtype) * tol, Atol(dtype) * 4, c.op);
      // The alias is the same operator.
      EXPECT_EQ(mxc::OpRegistry::Get()->Find(c.alias), mxc::OpRegistry::Get()->Find(c.op));
    }
  }
}

TEST(ElemwiseScalar, Parameters) {
  auto x = FromVec({3}, {1, 2, 3});
  // scalar defaults to 1; is_int is accepted.
  EXPECT_EQ(ToVec(mxct::Run("_plus_scalar", {x})[0]), (std::vector<double>{2, 3, 4}));
  EXPECT_EQ(ToVec(mxct::Run("_mul_scalar", {x}, {{"scalar", "2"}, {"is_int", "True"}})[0]),
            (std::vector<double>{2, 4, 6}));
  ExpectError([&] { mxct::Run("_plus_scalar", {x}, {{"scalar", "abc"}}); }, ErrorKind::kValue,
              {"_plus_scalar", "scalar", "abc"});
  ExpectError([&] { mxct::Run("_plus_scalar", {x}, {{"value", "1"}}); }, ErrorKind::kValue, {"_plus_scalar", "value"});
  ExpectError([&] { mxct::Run("_plus_scalar", {x, x}, {{"scalar", "1"}}); }, ErrorKind::kValue, {"_plus_scalar"});
  // inf/nan scalars parse.
  auto r = ToVec(mxct::Run("_maximum_scalar", {x}, {{"scalar", "inf"}})[0]);
  EXPECT_TRUE(std::isinf(r[0]));
}

TEST(ElemwiseScalar, IntegerScalarIsConverted) {
  // MXNet converts the scalar to the array's dtype first: 2.7 -> 2 for int32.
  auto x = FromVec({5}, {-7, -3, 0, 3, 7}, mxc::kInt32);
  auto run = [&](const char *op, const char *s) { return ToVec(mxct::Run(op, {x}, {{"scalar", s}})[0]); };
  EXPECT_EQ(run("_plus_scalar", "2.7"), (std::vector<double>{-5, -1, 2, 5, 9}));
  EXPECT_EQ(run("_mul_scalar", "1.5"), (std::vector<double>{-7, -3, 0, 3, 7}));
  EXPECT_EQ(run("_div_scalar", "2"), (std::vector<double>{-3, -1, 0, 1, 3}));
  EXPECT_EQ(run("_rdiv_scalar", "7"), (std::vector<double>{-1, -2, 0, 2, 1}));  // 7 / 0 -> 0
  EXPECT_EQ(run("_mod_scalar", "2"), (std::vector<double>{1, 1, 0, 1, 1}));
  EXPECT_EQ(run("_mod_scalar", "-2"), (std::vector<double>{-1, -1, 0, -1, -1}));
  EXPECT_EQ(run("_rmod_scalar", "5"), (std::vector<double>{-2, -1, 0, 2, 5}));
  EXPECT_EQ(run("_power_scalar", "2.5"), (std::vector<double>{49, 9, 0, 9, 49}));
  EXPECT_EQ(run("_rpower_scalar", "2.5"), (std::vector<double>{0, 0, 1, 8, 128}));
  EXPECT_EQ(run("_rminus_scalar", "1"), (std::vector<double>{8, 4, 1, -2, -6}));
  EXPECT_EQ(run("_greater_scalar", "0.5"), (std::vector<double>{0, 0, 0, 1, 1}));  // 0.5 -> 0
  EXPECT_EQ(run("_maximum_scalar", "-2.9"), (std::vector<double>{-2, -2, 0, 3, 7}));
  // uint8: values wrap, a negative scalar converts through int64.
  auto u = FromVec({3}, {0, 100, 255}, mxc::kUint8);
  EXPECT_EQ(ToVec(mxct::Run("_plus_scalar", {u}, {{"scalar", "-1"}})[0]), (std::vector<double>{255, 99, 254}));
  auto i8 = FromVec({3}, {-128, 0, 127}, mxc::kInt8);
  EXPECT_EQ(ToVec(mxct::Run("_minus_scalar", {i8}, {{"scalar", "1"}})[0]), (std::vector<double>{127, -1, 126}));
  auto i64 = FromVec({2}, {3e12, -5}, mxc::kInt64);
  EXPECT_EQ(ToVec(mxct::Run("_mul_scalar", {i64}, {{"scalar", "3"}})[0]), (std::vector<double>{9e12, -15}));
}

TEST(ElemwiseScalar, InPlace) {
  auto x = FromVec({4}, {1, 2, 3, 4}, mxc::kFloat64);
  RunInto("_mul_scalar", {x}, {x}, {{"scalar", "3"}});
  EXPECT_EQ(ToVec(x), (std::vector<double>{3, 6, 9, 12}));
  EXPECT_EQ(mxc::OpRegistry::Get()->Find("_rdiv_scalar")->inplace, (std::vector<std::pair<int, int>>{{0, 0}}));
}

TEST(ElemwiseScalar, Gradients) {
  for (auto &c : Cases()) {
    GradCase g;
    g.op = c.op;
    g.params = {{"scalar", std::to_string(c.scalar)}};
    g.shapes = {{2, 5}};
    g.lo = c.lo;
    g.hi = c.hi;
    std::string op = c.op;
    if (op == "_mod_scalar") { g.lo = 0.1; g.hi = 1.4; }     // away from multiples of 1.5
    if (op == "_rmod_scalar") { g.lo = 2.5; g.hi = 3.5; }    // 7.25 / x stays in (2, 3)
    CheckGradient(g);
  }
  // Negative scalar for the modulo gradient.
  GradCase g;
  g.op = "_mod_scalar";
  g.params = {{"scalar", "-1.5"}};
  g.shapes = {{7}};
  g.lo = 0.1;
  g.hi = 1.4;
  CheckGradient(g);
}

TEST(ElemwiseScalar, BackwardReadsOnlyWhatItDeclares) {
  for (auto &c : Cases())
    CheckBackwardUses(c.op, {Random({6}, 0.6, 3, mxc::kFloat64, 4)}, {{"scalar", std::to_string(c.scalar)}});
  EXPECT_FALSE(mxc::OpRegistry::Get()->Find("_mul_scalar")->backward_uses_inputs);
  EXPECT_FALSE(mxc::OpRegistry::Get()->Find("_rpower_scalar")->backward_uses_inputs);
  EXPECT_TRUE(mxc::OpRegistry::Get()->Find("_rpower_scalar")->backward_uses_outputs);
}

}  // namespace
