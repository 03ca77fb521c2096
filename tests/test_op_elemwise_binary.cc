// Same-shape binary operators: forward values against std:: references in every supported dtype, integer edge cases,
// aliases, in-place use, errors, and gradients by finite differences.
#include <cmath>

#include "test_op_elemwise_common.h"

namespace {

using namespace mxct;
using mxc::ErrorKind;

// Independent references (double precision).
double PyMod(double a, double b) { return b == 0 ? 0 : a - std::floor(a / b) * b; }

struct BinCase {
  const char *op;
  std::function<double(double, double)> ref;
  double lo_a, hi_a, lo_b, hi_b;
};

std::vector<BinCase> MathCases() {
  return {
      {"elemwise_add", [](double a, double b) { return a + b; }, -3, 3, -3, 3},
      {"elemwise_sub", [](double a, double b) { return a - b; }, -3, 3, -3, 3},
      {"elemwise_mul", [](double a, double b) { return a * b; }, -3, 3, -3, 3},
      {"elemwise_div", [](double a, double b) { return a / b; }, -3, 3, 0.5, 2},
      {"_mod", PyMod, -5, 5, 0.7, 2},
      {"_mod", PyMod, -5, 5, -2, -0.7},
      {"_power", [](double a, double b) { return std::pow(a, b); }, 0.1, 3, -2, 2},
      {"_maximum", [](double a, double b) { return std::max(a, b); }, -3, 3, -3, 3},
      {"_minimum", [](double a, double b) { return std::min(a, b); }, -3, 3, -3, 3},
      {"_equal", [](double a, double b) { return a == b ? 1.0 : 0.0; }, -2, 2, -2, 2},
      {"_not_equal", [](double a, double b) { return a != b ? 1.0 : 0.0; }, -2, 2, -2, 2},
      {"_greater", [](double a, double b) { return a > b ? 1.0 : 0.0; }, -2, 2, -2, 2},
      {"_greater_equal", [](double a, double b) { return a >= b ? 1.0 : 0.0; }, -2, 2, -2, 2},
      {"_lesser", [](double a, double b) { return a < b ? 1.0 : 0.0; }, -2, 2, -2, 2},
      {"_lesser_equal", [](double a, double b) { return a <= b ? 1.0 : 0.0; }, -2, 2, -2, 2},
  };
}

TEST(ElemwiseBinary, ForwardFloat) {
  for (int dtype : {mxc::kFloat32, mxc::kFloat64}) {
    for (auto &c : MathCases()) {
      SCOPED_TRACE(std::string(c.op) + " " + mxc::DTypeName(dtype));
      const size_t n = 3 * 70000;  // large enough for the parallel path
      auto av = AsStored(Uniform(n, c.lo_a, c.hi_a, 1), dtype);
      auto bv = AsStored(Uniform(n, c.lo_b, c.hi_b, 2), dtype);
      // Some exact ties for the comparisons and max/min.
      for (size_t i = 0; i < n; i += 7) bv[i] = av[i];
      auto a = FromVec({3, 70000}, av, dtype), b = FromVec({3, 70000}, bv, dtype);
      auto out = mxct::Run(c.op, {a, b});
      ASSERT_EQ(out.size(), 1u);
      EXPECT_EQ(out[0].dtype(), dtype);
      EXPECT_EQ(out[0].shape(), TShape({3, 70000}));
      std::vector<double> ref(n);
      for (size_t i = 0; i < n; ++i) ref[i] = c.ref(av[i], bv[i]);
      double rtol = Rtol(dtype) * (std::string(c.op) == "_power" ? 8 : 1);
      auto got = ToVec(out[0]);
      ExpectNear(got, ref, rtol, Atol(dtype) * 4, c.op);
    }
  }
}

TEST(ElemwiseBinary, AliasesResolve) {
  const std::vector<std::pair<const char *, std::vector<const char *>>> aliases = {
      {"elemwise_add", {"_plus", "_Plus", "_add"}},
      {"elemwise_sub", {"_minus", "_Minus", "_sub"}},
      {"elemwise_mul", {"_mul", "_Mul"}},
      {"elemwise_div", {"_div", "_Div"}},
      {"_mod", {"_Mod"}},
      {"_power", {"_Power", "_pow"}},
      {"_maximum", {"_Maximum"}},
      {"_minimum", {"_Minimum"}},
      {"_equal", {"_Equal"}},
      {"_not_equal", {"_Not_Equal"}},
      {"_greater", {"_Greater"}},
      {"_greater_equal", {"_Greater_Equal"}},
      {"_lesser", {"_Lesser"}},
      {"_lesser_equal", {"_Lesser_Equal"}}};
  for (auto &kv : aliases) {
    const mxc::Op *op = mxc::OpRegistry::Get()->Find(kv.first);
    ASSERT_NE(op, nullptr) << kv.first;
    EXPECT_EQ(op->input_names, (std::vector<std::string>{"lhs", "rhs"}));
    EXPECT_EQ(op->inplace, (std::vector<std::pair<int, int>>{{0, 0}, {1, 0}}));
    for (auto a : kv.second) EXPECT_EQ(mxc::OpRegistry::Get()->Find(a), op) << a;
  }
}

TEST(ElemwiseBinary, IntegerValues) {
  // Hand-computed (MXNet 1.x semantics: truncating division, Python-style modulo, x / 0 = x % 0 = 0).
  std::vector<double> a = {-7, -3, 0, 3, 7, 5}, b = {2, -2, 3, -2, -3, 0};
  for (int dtype : {mxc::kInt32, mxc::kInt64, mxc::kInt8}) {
    SCOPED_TRACE(mxc::DTypeName(dtype));
    auto A = FromVec({6}, a, dtype), B = FromVec({6}, b, dtype);
    EXPECT_EQ(ToVec(mxct::Run("elemwise_add", {A, B})[0]), (std::vector<double>{-5, -5, 3, 1, 4, 5}));
    EXPECT_EQ(ToVec(mxct::Run("elemwise_sub", {A, B})[0]), (std::vector<double>{-9, -1, -3, 5, 10, 5}));
    EXPECT_EQ(ToVec(mxct::Run("elemwise_mul", {A, B})[0]), (std::vector<double>{-14, 6, 0, -6, -21, 0}));
    EXPECT_EQ(ToVec(mxct::Run("elemwise_div", {A, B})[0]), (std::vector<double>{-3, 1, 0, -1, -2, 0}));
    EXPECT_EQ(ToVec(mxct::Run("_mod", {A, B})[0]), (std::vector<double>{1, -1, 0, -1, -2, 0}));
    EXPECT_EQ(ToVec(mxct::Run("_maximum", {A, B})[0]), (std::vector<double>{2, -2, 3, 3, 7, 5}));
    EXPECT_EQ(ToVec(mxct::Run("_minimum", {A, B})[0]), (std::vector<double>{-7, -3, 0, -2, -3, 0}));
    EXPECT_EQ(ToVec(mxct::Run("_greater", {A, B})[0]), (std::vector<double>{0, 0, 0, 1, 1, 1}));
    EXPECT_EQ(ToVec(mxct::Run("_lesser_equal", {A, B})[0]), (std::vector<double>{1, 1, 1, 0, 0, 0}));
    EXPECT_EQ(mxct::Run("_equal", {A, A})[0].dtype(), dtype);
    EXPECT_EQ(ToVec(mxct::Run("_equal", {A, A})[0]), std::vector<double>(6, 1.0));
  }
  // Powers: exact integer arithmetic, negative exponents truncate.
  auto P = FromVec({6}, {2, -3, 10, 1, -1, 2}, mxc::kInt64);
  auto E = FromVec({6}, {10, 3, 15, -4, -3, -1}, mxc::kInt64);
  EXPECT_EQ(ToVec(mxct::Run("_power", {P, E})[0]), (std::vector<double>{1024, -27, 1e15, 1, -1, 0}));
  // The most negative value divided by -1 wraps instead of trapping.
  auto M = FromVec({2}, {-2147483648.0, 6}, mxc::kInt32), N = FromVec({2}, {-1, -1}, mxc::kInt32);
  EXPECT_EQ(ToVec(mxct::Run("elemwise_div", {M, N})[0]), (std::vector<double>{-2147483648.0, -6}));
  EXPECT_EQ(ToVec(mxct::Run("_mod", {M, N})[0]), (std::vector<double>{0, 0}));
  // uint8 wraps.
  auto U = FromVec({3}, {250, 3, 0}, mxc::kUint8), V = FromVec({3}, {10, 5, 1}, mxc::kUint8);
  EXPECT_EQ(ToVec(mxct::Run("elemwise_add", {U, V})[0]), (std::vector<double>{4, 8, 1}));
  EXPECT_EQ(ToVec(mxct::Run("elemwise_sub", {U, V})[0]), (std::vector<double>{240, 254, 255}));
}

TEST(ElemwiseBinary, FloatSpecialValues) {
  auto a = FromVec({4}, {1, -1, 0, NAN}), b = FromVec({4}, {0, 0, 0, 1});
  auto d = ToVec(mxct::Run("elemwise_div", {a, b})[0]);
  EXPECT_TRUE(std::isinf(d[0]) && d[0] > 0);
  EXPECT_TRUE(std::isinf(d[1]) && d[1] < 0);
  EXPECT_TRUE(std::isnan(d[2]));
  EXPECT_EQ(ToVec(mxct::Run("_mod", {a, b})[0])[0], 0.0);  // x % 0 = 0 as in MXNet
  // NaN propagates through maximum/minimum from either side.
  auto x = FromVec({2}, {NAN, 1}), y = FromVec({2}, {1, NAN});
  for (auto op : {"_maximum", "_minimum"}) {
    auto r = ToVec(mxct::Run(op, {x, y})[0]);
    EXPECT_TRUE(std::isnan(r[0]) && std::isnan(r[1])) << op;
  }
}

TEST(ElemwiseBinary, InPlace) {
  auto a = FromVec({2, 2}, {1, 2, 3, 4}), b = FromVec({2, 2}, {10, 20, 30, 40});
  RunInto("elemwise_add", {a, b}, {a});
  EXPECT_EQ(ToVec(a), (std::vector<double>{11, 22, 33, 44}));
  RunInto("elemwise_mul", {a, b}, {b});
  EXPECT_EQ(ToVec(b), (std::vector<double>{110, 440, 990, 1760}));
  RunInto("elemwise_sub", {a, a}, {a});
  EXPECT_EQ(ToVec(a), (std::vector<double>(4, 0.0)));
}

TEST(ElemwiseBinary, Errors) {
  auto a = FromVec({2, 3}, std::vector<double>(6, 1)), d = FromVec({4}, std::vector<double>(4, 1));
  ExpectError([&] { mxct::Run("elemwise_add", {a, d}); }, ErrorKind::kShape, {"elemwise_add", "(2,3)", "(4,)"});
  ExpectError([&] { mxct::Run("_plus", {d, a}); }, ErrorKind::kShape, {"elemwise_add", "(2,3)", "(4,)"});
  ExpectError([&] { mxct::Run("_greater", {a, FromVec({3, 2}, std::vector<double>(6, 1))}); }, ErrorKind::kShape,
              {"_greater", "(2,3)", "(3,2)"});
  ExpectError([&] { mxct::Run("elemwise_mul", {a}); }, ErrorKind::kValue, {"elemwise_mul", "2 input"});
  ExpectError([&] { mxct::Run("elemwise_mul", {a, a, a}); }, ErrorKind::kValue, {"elemwise_mul"});
  ExpectError([&] { mxct::Run("elemwise_add", {a, FromVec({2, 3}, std::vector<double>(6, 1), mxc::kFloat64)}); },
              ErrorKind::kType, {"elemwise_add", "float32", "float64"});
  ExpectError([&] { mxct::Run("elemwise_add", {a, a}, {{"scalar", "1"}}); }, ErrorKind::kValue,
              {"elemwise_add", "scalar"});
  auto t = FromVec({2}, {1, 0}, mxc::kBool);
  ExpectError([&] { mxct::Run("elemwise_add", {t, t}); }, ErrorKind::kType, {"elemwise_add", "bool"});
  // Writing into an output of the wrong shape.
  auto o = FromVec({3, 2}, std::vector<double>(6, 0));
  ExpectError([&] { RunInto("elemwise_add", {a, a}, {o}); }, ErrorKind::kShape, {"elemwise_add", "(2,3)", "(3,2)"});
}

GradCase Grad(const char *op, double lo = -1, double hi = 1) {
  GradCase c;
  c.op = op;
  c.shapes = {{3, 4}, {3, 4}};
  c.lo = lo;
  c.hi = hi;
  return c;
}

// Replaces input i with values in [lo, hi).
std::function<void(std::vector<NDArray> &)> Input(int i, double lo, double hi) {
  return [=](std::vector<NDArray> &ins) { ins[i] = Random(ins[i].shape(), lo, hi, mxc::kFloat64, 77 + i); };
}

TEST(ElemwiseBinary, Gradients) {
  for (auto op : {"elemwise_add", "elemwise_sub", "elemwise_mul", "_maximum", "_minimum", "_equal", "_not_equal",
                  "_greater", "_greater_equal", "_lesser", "_lesser_equal"})
    CheckGradient(Grad(op, -2, 2));
  auto div = Grad("elemwise_div", -2, 2);
  div.fill = Input(1, 0.5, 2);
  CheckGradient(div);
  // Modulo away from its jumps: a in [0.1, 0.9] + k, b in [1.1, 2] (a / b never crosses an integer nearby).
  auto mod = Grad("_mod", 0.1, 0.9);
  mod.fill = Input(1, 1.1, 2);
  CheckGradient(mod);
  auto mod_neg = Grad("_mod", 0.1, 0.9);
  mod_neg.fill = Input(1, -2, -1.1);
  CheckGradient(mod_neg);
  auto pw = Grad("_power", 0.5, 2);
  pw.fill = Input(1, -1.5, 1.5);
  CheckGradient(pw);
}

TEST(ElemwiseBinary, BackwardReadsOnlyWhatItDeclares) {
  for (auto op : {"elemwise_add", "elemwise_sub", "elemwise_mul", "elemwise_div", "_power", "_maximum", "_equal"})
    CheckBackwardUses(op, {Random({5}, 0.5, 2, mxc::kFloat64, 1), Random({5}, 0.5, 2, mxc::kFloat64, 2)});
  EXPECT_FALSE(mxc::OpRegistry::Get()->Find("elemwise_add")->backward_uses_inputs);
  EXPECT_FALSE(mxc::OpRegistry::Get()->Find("elemwise_add")->backward_uses_outputs);
  EXPECT_FALSE(mxc::OpRegistry::Get()->Find("elemwise_mul")->backward_uses_outputs);
}

TEST(ElemwiseBinary, BackwardFloat32) {
  // The backward kernels also run in float32 (finite differences are checked in float64 above).
  const mxc::Op *op = mxc::OpRegistry::Get()->Find("elemwise_mul");
  auto a = FromVec({3}, {1, 2, 3}), b = FromVec({3}, {4, 5, 6}), g = FromVec({3}, {1, -1, 2});
  auto ga = FromVec({3}, {0, 0, 0}), gb = FromVec({3}, {1, 1, 1});
  mxc::OpContext ctx;
  op->backward.at(MXC_CPU)(ctx, mxc::OpParams(op, {}), {g.blob()}, {a.blob(), b.blob()}, {},
                           {mxc::kWriteTo, mxc::kAddTo}, {ga.blob(), gb.blob()});
  EXPECT_EQ(ToVec(ga), (std::vector<double>{4, -5, 12}));
  EXPECT_EQ(ToVec(gb), (std::vector<double>{2, -1, 7}));
}

}  // namespace

// Invoke's shortcut for elementwise operators (Op::elementwise_types: inputs of one known shape and an accepted dtype
// give outputs of that shape and dtype, without calling inference) must agree with the operators' own inference,
// for every such operator of the registry and every dtype.
TEST(ElemwiseBinary, ElementwiseShortcutAgreesWithInference) {
  int checked = 0;
  for (const mxc::Op *op : mxc::OpRegistry::Get()->List()) {
    if (op->elementwise_types == 0) continue;
    mxc::OpParams p(op, {});
    const int nin = op->NumInputs(p), nout = op->NumOutputs(p);
    ASSERT_GE(nin, 1) << op->name;
    for (int t = 0; t < 32; ++t) {
      if (!((op->elementwise_types >> t) & 1u)) continue;
      const mxc::TShape s{3, 1, 4};
      std::vector<mxc::TShape> in(nin, s), out(nout);
      std::vector<int> in_t(nin, t), out_t(nout, -1);
      ASSERT_TRUE(op->infer_shape) << op->name;
      op->infer_shape(p, &in, &out);
      if (op->infer_type) op->infer_type(p, &in_t, &out_t);
      else mxc::SameTypeInfer(p, &in_t, &out_t);
      for (int i = 0; i < nout; ++i) {
        EXPECT_EQ(out[i], s) << op->name << " output " << i;
        EXPECT_EQ(out_t[i], t) << op->name << " output " << i << " dtype " << t;
      }
      ++checked;
    }
  }
  EXPECT_GT(checked, 50);  // the same-shape binary, scalar and unary operators
  // Setting inference afterwards ends the shortcut.
  mxc::Op op;
  op.set_elementwise(mxc::SameShapeInfer, mxc::SameTypeInfer, 1u);
  EXPECT_EQ(op.elementwise_types, 1u | (1u << mxc::kFloat16));  // float32 brings float16 (through float32)
  op.set_infer_type(mxc::SameTypeInfer);
  EXPECT_EQ(op.elementwise_types, 0u);
}
