// Unary operators, clip, Cast, copies and add_n: forward values against std:: references, dtypes, errors and
// gradients.
#include <cmath>
#include <cstring>

#include "test_op_elemwise_common.h"

namespace {

using namespace mxct;
using mxc::ErrorKind;

// erfinv by bisection on std::erf (an independent reference).
double ErfInvRef(double x) {
  double lo = -7, hi = 7;
  for (int i = 0; i < 200; ++i) (std::erf(0.5 * (lo + hi)) < x ? lo : hi) = 0.5 * (lo + hi);
  return 0.5 * (lo + hi);
}

struct UnaryCase {
  const char *op;
  std::function<double(double)> ref;
  double lo, hi;        // forward range
  double glo, ghi;      // gradient range (away from kinks and poles)
  bool differentiable;  // false: zero gradient (piecewise constant)
};

std::vector<UnaryCase> Cases() {
  return {
      {"negative", [](double x) { return -x; }, -3, 3, -3, 3, true},
      {"abs", [](double x) { return std::fabs(x); }, -3, 3, 0.1, 3, true},
      {"sign", [](double x) { return x > 0 ? 1.0 : (x < 0 ? -1.0 : 0.0); }, -3, 3, 0.1, 3, false},
      {"exp", [](double x) { return std::exp(x); }, -5, 5, -2, 2, true},
      {"log", [](double x) { return std::log(x); }, 0.01, 10, 0.5, 2, true},
      {"sqrt", [](double x) { return std::sqrt(x); }, 0, 10, 0.5, 2, true},
      {"rsqrt", [](double x) { return 1 / std::sqrt(x); }, 0.01, 10, 0.5, 2, true},
      {"square", [](double x) { return x * x; }, -3, 3, -3, 3, true},
      {"sin", [](double x) { return std::sin(x); }, -6, 6, -3, 3, true},
      {"cos", [](double x) { return std::cos(x); }, -6, 6, -3, 3, true},
      {"tanh", [](double x) { return std::tanh(x); }, -5, 5, -2, 2, true},
      {"sigmoid", [](double x) { return 1 / (1 + std::exp(-x)); }, -8, 8, -3, 3, true},
      {"relu", [](double x) { return x > 0 ? x : 0; }, -3, 3, 0.1, 2, true},
      {"floor", [](double x) { return std::floor(x); }, -5, 5, 0.1, 0.9, false},
      {"ceil", [](double x) { return std::ceil(x); }, -5, 5, 0.1, 0.9, false},
      {"round", [](double x) { return std::round(x); }, -5, 5, 0.1, 0.4, false},
      {"reciprocal", [](double x) { return 1 / x; }, 0.1, 5, 0.5, 2, true},
      {"log1p", [](double x) { return std::log1p(x); }, -0.9, 5, -0.5, 2, true},
      {"expm1", [](double x) { return std::expm1(x); }, -3, 3, -2, 2, true},
      {"log2", [](double x) { return std::log(x) / std::log(2.0); }, 0.01, 10, 0.5, 2, true},
      {"log10", [](double x) { return std::log(x) / std::log(10.0); }, 0.01, 10, 0.5, 2, true},
      {"tan", [](double x) { return std::sin(x) / std::cos(x); }, -1.4, 1.4, -1, 1, true},
      {"arcsin", [](double x) { return std::atan2(x, std::sqrt(1 - x * x)); }, -1, 1, -0.8, 0.8, true},
      {"arccos", [](double x) { return std::atan2(std::sqrt(1 - x * x), x); }, -1, 1, -0.8, 0.8, true},
      {"arctan", [](double x) { return std::atan2(x, 1.0); }, -5, 5, -2, 2, true},
      {"sinh", [](double x) { return (std::exp(x) - std::exp(-x)) / 2; }, -3, 3, -2, 2, true},
      {"cosh", [](double x) { return (std::exp(x) + std::exp(-x)) / 2; }, -3, 3, -2, 2, true},
      {"arcsinh", [](double x) { return std::log(x + std::sqrt(x * x + 1)); }, 0, 5, -2, 2, true},
      {"arccosh", [](double x) { return std::log(x + std::sqrt(x * x - 1)); }, 1, 10, 1.5, 3, true},
      {"arctanh", [](double x) { return 0.5 * std::log((1 + x) / (1 - x)); }, -0.99, 0.99, -0.8, 0.8, true},
      {"cbrt", [](double x) { return x < 0 ? -std::pow(-x, 1.0 / 3) : std::pow(x, 1.0 / 3); }, -8, 8, 0.5, 2,
       true},
      {"degrees", [](double x) { return x * 180 / M_PI; }, -3, 3, -3, 3, true},
      {"radians", [](double x) { return x * M_PI / 180; }, -200, 200, -3, 3, true},
      {"trunc", [](double x) { return x < 0 ? std::ceil(x) : std::floor(x); }, -5, 5, 0.1, 0.9, false},
      {"fix", [](double x) { return x < 0 ? std::ceil(x) : std::floor(x); }, -5, 5, -0.9, -0.1, false},
      {"rint",
       [](double x) {
         double r = std::floor(x + 0.5);
         return (r - x == 0.5 && std::fmod(r, 2.0) != 0) ? r - 1 : r;  // halves to even
       },
       -5, 5, 0.1, 0.4, false},
      {"logical_not", [](double x) { return x == 0 ? 1.0 : 0.0; }, 0, 2, 0.5, 1, false},
      {"erf", [](double x) { return std::erf(x); }, -4, 4, -2, 2, true},
      {"erfinv", [](double x) { return ErfInvRef(x); }, -0.999, 0.999, -0.8, 0.8, true},
      {"gamma", [](double x) { return std::tgamma(x); }, 0.05, 6, 0.3, 4, true},
      {"gammaln", [](double x) { return std::lgamma(x); }, 0.01, 50, 0.3, 8, true},
      {"_contrib_isnan", [](double) { return 0.0; }, -3, 3, -3, 3, false},
      {"_contrib_isinf", [](double) { return 0.0; }, -3, 3, -3, 3, false},
      {"_contrib_isfinite", [](double) { return 1.0; }, -3, 3, -3, 3, false},
  };
}

TEST(ElemwiseUnary, ForwardFloat) {
  for (int dtype : {mxc::kFloat32, mxc::kFloat64}) {
    for (auto &c : Cases()) {
      SCOPED_TRACE(std::string(c.op) + " " + mxc::DTypeName(dtype));
      const size_t n = 70001;
      auto xv = AsStored(Uniform(n, c.lo, c.hi, 9), dtype);
      xv[0] = c.lo;
      auto out = mxct::Run(c.op, {FromVec({n}, xv, dtype)});
      ASSERT_EQ(out.size(), 1u);
      EXPECT_EQ(out[0].dtype(), dtype);
      std::vector<double> ref(n);
      for (size_t i = 0; i < n; ++i) ref[i] = c.ref(xv[i]);
      ExpectNear(ToVec(out[0]), ref, Rtol(dtype) * 2, Atol(dtype) * 2, c.op);
    }
  }
}

TEST(ElemwiseUnary, RoundingAndSpecialValues) {
  auto x = FromVec({6}, {-2.5, -1.5, -0.5, 0.5, 1.5, 2.5});
  EXPECT_EQ(ToVec(mxct::Run("round", {x})[0]), (std::vector<double>{-3, -2, -1, 1, 2, 3}));
  EXPECT_EQ(ToVec(mxct::Run("rint", {x})[0]), (std::vector<double>{-2, -2, -0, 0, 2, 2}));
  EXPECT_EQ(ToVec(mxct::Run("trunc", {x})[0]), (std::vector<double>{-2, -1, -0, 0, 1, 2}));
  EXPECT_EQ(ToVec(mxct::Run("floor", {x})[0]), (std::vector<double>{-3, -2, -1, 0, 1, 2}));
  EXPECT_EQ(ToVec(mxct::Run("ceil", {x})[0]), (std::vector<double>{-2, -1, -0, 1, 2, 3}));
  auto s = FromVec({4}, {-0.0, 0, NAN, -4}, mxc::kFloat64);
  auto r = ToVec(mxct::Run("relu", {s})[0]);
  EXPECT_TRUE(std::isnan(r[2]));
  EXPECT_EQ(r[3], 0.0);
  auto sg = ToVec(mxct::Run("sign", {s})[0]);
  EXPECT_EQ(sg[0], 0.0);
  EXPECT_EQ(sg[3], -1.0);
  auto l = ToVec(mxct::Run("log", {FromVec({2}, {0, -1})})[0]);
  EXPECT_TRUE(std::isinf(l[0]) && l[0] < 0);
  EXPECT_TRUE(std::isnan(l[1]));
}

// Values printed by MXNet 1.9.1 (float32), including gamma's negative side and erfinv's ends.
TEST(ElemwiseUnary, SpecialFunctionsAsMXNet) {
  auto x = FromVec({6}, {-2.5, -0.5, 0.3, 1.0, 2.5, 4.0});
  ExpectNear(ToVec(mxct::Run("erf", {x})[0]), {-0.99959302, -0.52049988, 0.32862678, 0.84270078, 0.99959302, 1.0},
             1e-6, 1e-7, "erf");
  ExpectNear(ToVec(mxct::Run("gamma", {x})[0]), {-0.94530863, -3.54490805, 2.99156904, 1.0, 1.32934058, 6.0},
             1e-6, 1e-7, "gamma");
  ExpectNear(ToVec(mxct::Run("gammaln", {x})[0]),
             {-0.05624371, 1.26551211, 1.09579802, 0.0, 0.28468287, 1.79175949}, 1e-6, 1e-6, "gammaln");
  auto e = ToVec(mxct::Run("erfinv", {FromVec({7}, {-0.9, -0.5, 0, 0.3, 0.99, 1, 2})})[0]);
  ExpectNear(std::vector<double>(e.begin(), e.begin() + 5), {-1.16308713, -0.47693628, 0.0, 0.27246273, 1.82138658},
             1e-6, 1e-7, "erfinv");
  EXPECT_TRUE(std::isinf(e[5]) && e[5] > 0);
  EXPECT_TRUE(std::isnan(e[6]));
  auto h = FromVec({5}, {-5, -1, 0, 1, 5});
  ExpectNear(ToVec(mxct::Run("hard_sigmoid", {h})[0]), {0, 0.3, 0.5, 0.7, 1}, 1e-6, 1e-7, "hard_sigmoid");
  ExpectNear(ToVec(mxct::Run("hard_sigmoid", {FromVec({3}, {-1, 0, 1})}, {{"alpha", "0.5"}, {"beta", "0.2"}})[0]),
             {0, 0.2, 0.7}, 1e-6, 1e-7, "hard_sigmoid");
  auto s = FromVec({4}, {NAN, INFINITY, -INFINITY, 1.0});
  EXPECT_EQ(ToVec(mxct::Run("_contrib_isnan", {s})[0]), (std::vector<double>{1, 0, 0, 0}));
  EXPECT_EQ(ToVec(mxct::Run("_contrib_isinf", {s})[0]), (std::vector<double>{0, 1, 1, 0}));
  EXPECT_EQ(ToVec(mxct::Run("_contrib_isfinite", {s})[0]), (std::vector<double>{0, 0, 0, 1}));
  auto i = mxct::Run("_contrib_isfinite", {FromVec({2}, {1, 2}, mxc::kInt32)})[0];
  EXPECT_EQ(i.dtype(), mxc::kInt32);
  EXPECT_EQ(ToVec(i), (std::vector<double>{1, 1}));
  for (auto op : {"erf", "erfinv", "gamma", "gammaln", "hard_sigmoid"})
    ExpectError([&] { mxct::Run(op, {FromVec({2}, {1, 2}, mxc::kInt32)}); }, ErrorKind::kType, {op, "int32"});
  // gamma and gammaln's gradients (digamma) on the negative side, as MXNet 1.9.1.
  GradCase g;
  g.op = "gamma";
  g.shapes = {{4}};
  g.lo = -0.9;
  g.hi = -0.1;
  CheckGradient(g);
  g.op = "gammaln";
  g.lo = -2.9;
  g.hi = -2.1;
  CheckGradient(g);
  for (auto &kw : std::vector<mxct::Params>{{}, {{"alpha", "0.5"}, {"beta", "0.2"}}}) {
    GradCase hg;
    hg.op = "hard_sigmoid";
    hg.params = kw;
    hg.shapes = {{5}};
    hg.lo = -1.2;
    hg.hi = 1.2;
    hg.fill = [](std::vector<NDArray> &in) {  // away from the kinks, both flat sides included
      double *v = in[0].blob().ptr<double>(), vals[5] = {-4, -1.2, 0.3, 1.1, 4};
      std::copy(vals, vals + 5, v);
    };
    CheckGradient(hg);
  }
}

TEST(ElemwiseUnary, IntegerDtypes) {
  std::vector<double> v = {-7, -2, 0, 3, 100};
  for (int dtype : {mxc::kInt32, mxc::kInt64, mxc::kInt8}) {
    SCOPED_TRACE(mxc::DTypeName(dtype));
    auto x = FromVec({5}, v, dtype);
    EXPECT_EQ(ToVec(mxct::Run("negative", {x})[0]), (std::vector<double>{7, 2, 0, -3, -100}));
    EXPECT_EQ(ToVec(mxct::Run("abs", {x})[0]), (std::vector<double>{7, 2, 0, 3, 100}));
    EXPECT_EQ(ToVec(mxct::Run("sign", {x})[0]), (std::vector<double>{-1, -1, 0, 1, 1}));
    EXPECT_EQ(ToVec(mxct::Run("relu", {x})[0]), (std::vector<double>{0, 0, 0, 3, 100}));
    EXPECT_EQ(ToVec(mxct::Run("floor", {x})[0]), v);
    EXPECT_EQ(ToVec(mxct::Run("round", {x})[0]), v);
    EXPECT_EQ(ToVec(mxct::Run("clip", {x}, {{"a_min", "-2.5"}, {"a_max", "50"}})[0]),
              (std::vector<double>{-2, -2, 0, 3, 50}));
    EXPECT_EQ(mxct::Run("square", {x})[0].dtype(), dtype);
  }
  auto x = FromVec({3}, {-3, 4, 5}, mxc::kInt32);
  EXPECT_EQ(ToVec(mxct::Run("square", {x})[0]), (std::vector<double>{9, 16, 25}));
  auto u = FromVec({3}, {0, 1, 200}, mxc::kUint8);
  EXPECT_EQ(ToVec(mxct::Run("abs", {u})[0]), (std::vector<double>{0, 1, 200}));
  EXPECT_EQ(ToVec(mxct::Run("sign", {u})[0]), (std::vector<double>{0, 1, 1}));
  // Transcendental functions are float-only: a clear TypeError instead of truncated garbage.
  for (auto op : {"exp", "log", "sqrt", "sigmoid", "tanh", "sin", "reciprocal", "rsqrt", "log1p", "expm1", "cos",
                  "log2", "arcsin", "cbrt", "degrees"})
    ExpectError([&] { mxct::Run(op, {x}); }, ErrorKind::kType, {op, "int32", "float32, float64"});
  auto t = FromVec({2}, {1, 0}, mxc::kBool);
  ExpectError([&] { mxct::Run("negative", {t}); }, ErrorKind::kType, {"negative", "bool"});
}

TEST(ElemwiseUnary, Gradients) {
  for (auto &c : Cases()) {
    GradCase g;
    g.op = c.op;
    g.shapes = {{3, 4}};
    g.lo = c.glo;
    g.hi = c.ghi;
    CheckGradient(g);
  }
  // abs and relu on the negative side.
  for (auto op : {"abs", "relu"}) {
    GradCase g;
    g.op = op;
    g.shapes = {{6}};
    g.lo = -3;
    g.hi = -0.1;
    CheckGradient(g);
  }
}

TEST(ElemwiseUnary, BackwardReadsOnlyWhatItDeclares) {
  for (auto &c : Cases()) CheckBackwardUses(c.op, {Random({7}, c.glo, c.ghi, mxc::kFloat64, 5)});
  auto *reg = mxc::OpRegistry::Get();
  // Gradients from the output free the input early.
  for (auto op : {"exp", "sqrt", "tanh", "sigmoid", "relu", "expm1", "reciprocal", "rsqrt"}) {
    EXPECT_FALSE(reg->Find(op)->backward_uses_inputs) << op;
    EXPECT_TRUE(reg->Find(op)->backward_uses_outputs) << op;
  }
  for (auto op : {"negative", "sign", "floor", "ceil", "round", "Cast", "_copy", "add_n"}) {
    EXPECT_FALSE(reg->Find(op)->backward_uses_inputs) << op;
    EXPECT_FALSE(reg->Find(op)->backward_uses_outputs) << op;
  }
}

TEST(ElemwiseUnary, ZerosOnesLike) {
  for (int dtype : {mxc::kFloat32, mxc::kFloat64, mxc::kInt32, mxc::kUint8}) {
    auto x = FromVec({2, 3}, {1, 2, 3, 4, 5, 6}, dtype);
    auto z = mxct::Run("zeros_like", {x})[0], o = mxct::Run("ones_like", {x})[0];
    EXPECT_EQ(z.shape(), TShape({2, 3}));
    EXPECT_EQ(z.dtype(), dtype);
    EXPECT_EQ(o.dtype(), dtype);
    EXPECT_EQ(ToVec(z), std::vector<double>(6, 0.0));
    EXPECT_EQ(ToVec(o), std::vector<double>(6, 1.0));
  }
  for (auto op : {"zeros_like", "ones_like"}) {
    GradCase g;
    g.op = op;
    g.shapes = {{4}};
    CheckGradient(g);
  }
  auto i = FromVec({3}, {0, -2, 5}, mxc::kInt32);
  EXPECT_EQ(ToVec(mxct::Run("logical_not", {i})[0]), (std::vector<double>{1, 0, 0}));
}

TEST(ElemwiseUnary, InPlace) {
  auto x = FromVec({3}, {1, 4, 9}, mxc::kFloat64);
  RunInto("sqrt", {x}, {x});
  EXPECT_EQ(ToVec(x), (std::vector<double>{1, 2, 3}));
  RunInto("_copy", {x}, {x});
  EXPECT_EQ(ToVec(x), (std::vector<double>{1, 2, 3}));
}

TEST(ElemwiseUnary, Clip) {
  auto x = FromVec({6}, {-2, -1, 0, 0.5, 1, 3});
  EXPECT_EQ(ToVec(mxct::Run("clip", {x}, {{"a_min", "-1"}, {"a_max", "1"}})[0]),
            (std::vector<double>{-1, -1, 0, 0.5, 1, 1}));
  ExpectError([&] { mxct::Run("clip", {x}, {{"a_min", "0"}}); }, ErrorKind::kValue, {"clip", "a_max"});
  ExpectError([&] { mxct::Run("clip", {x}, {{"a_min", "2"}, {"a_max", "1"}}); }, ErrorKind::kValue, {"clip", "a_min"});
  GradCase g;
  g.op = "clip";
  g.params = {{"a_min", "-0.5"}, {"a_max", "0.6"}};
  g.shapes = {{4, 5}};
  g.lo = -1;
  g.hi = 1;
  CheckGradient(g);
  // The bounds themselves pass the gradient (as in MXNet).
  const mxc::Op *op = mxc::OpRegistry::Get()->Find("clip");
  auto d = FromVec({5}, {-2, 0, 0.5, 1, 2}, mxc::kFloat64), og = FromVec({5}, {1, 1, 1, 1, 1}, mxc::kFloat64);
  auto gi = FromVec({5}, {0, 0, 0, 0, 0}, mxc::kFloat64);
  mxc::OpContext ctx;
  op->backward.at(MXC_CPU)(ctx, mxc::OpParams(op, {{"a_min", "0"}, {"a_max", "1"}}), {og.blob()}, {d.blob()}, {},
                           {mxc::kWriteTo}, {gi.blob()});
  EXPECT_EQ(ToVec(gi), (std::vector<double>{0, 1, 1, 1, 0}));
}

uint16_t HalfBits(const NDArray &a, int i) {
  a.WaitToRead();
  uint16_t h;
  std::memcpy(&h, static_cast<const char *>(a.blob().dptr) + 2 * i, 2);
  return h;
}

TEST(ElemwiseUnary, Cast) {
  auto x = FromVec({5}, {1.5, -2.7, 300, 0.99, -0.5});
  auto run = [&](const char *dt) { return mxct::Run("Cast", {x}, {{"dtype", dt}})[0]; };
  EXPECT_EQ(run("int32").dtype(), mxc::kInt32);
  EXPECT_EQ(ToVec(run("int32")), (std::vector<double>{1, -2, 300, 0, 0}));
  EXPECT_EQ(ToVec(run("uint8")), (std::vector<double>{1, 254, 44, 0, 0}));  // wraps like MXNet
  EXPECT_EQ(ToVec(run("int8")), (std::vector<double>{1, -2, 44, 0, 0}));
  EXPECT_EQ(ToVec(run("float64")), AsStored({1.5, -2.7, 300, 0.99, -0.5}, mxc::kFloat32));
  EXPECT_EQ(ToVec(mxct::Run("cast", {x}, {{"dtype", "int64"}})[0]), (std::vector<double>{1, -2, 300, 0, 0}));
  // bool: nonzero -> 1
  auto b = mxct::Run("Cast", {FromVec({3}, {0, 2.5, -1})}, {{"dtype", "bool"}})[0];
  EXPECT_EQ(b.dtype(), mxc::kBool);
  EXPECT_EQ(ToVec(b), (std::vector<double>{0, 1, 1}));
  EXPECT_EQ(ToVec(mxct::Run("Cast", {b}, {{"dtype", "float32"}})[0]), (std::vector<double>{0, 1, 1}));
  // float16 bit patterns (IEEE binary16): 1 = 0x3c00, -2 = 0xc000, 65504 = 0x7bff (max), 65520 rounds to inf,
  // 2^-24 = 0x0001 (smallest subnormal), 2^-26 -> 0, 1 + 2^-11 ties to even (1.0), 1 + 3 * 2^-11 ties up.
  auto f = FromVec({9}, {1, -2, 65504, 65520, std::ldexp(1.0, -24), std::ldexp(1.0, -26), 1 + std::ldexp(1.0, -11),
                         1 + 3 * std::ldexp(1.0, -11), NAN});
  auto h = mxct::Run("Cast", {f}, {{"dtype", "float16"}})[0];
  EXPECT_EQ(h.dtype(), mxc::kFloat16);
  std::vector<uint16_t> expect = {0x3c00, 0xc000, 0x7bff, 0x7c00, 0x0001, 0x0000, 0x3c00, 0x3c02};
  for (int i = 0; i < 8; ++i) EXPECT_EQ(HalfBits(h, i), expect[i]) << "element " << i;
  EXPECT_EQ(HalfBits(h, 8) & 0x7c00, 0x7c00);
  EXPECT_NE(HalfBits(h, 8) & 0x3ff, 0);  // NaN stays NaN
  auto back = ToVec(mxct::Run("Cast", {h}, {{"dtype", "float64"}})[0]);
  std::vector<double> expect_back = {1, -2, 65504, INFINITY, std::ldexp(1.0, -24), 0, 1, 1 + 4 * std::ldexp(1.0, -11)};
  for (int i = 0; i < 8; ++i) EXPECT_EQ(back[i], expect_back[i]) << "element " << i;
  EXPECT_TRUE(std::isnan(back[8]));
  // Every float16 value survives a round trip through float32.
  std::vector<double> all;
  NDArray hall({65536}, mxc::kFloat16, mxc::Device::CPU());
  for (int i = 0; i < 65536; ++i) {
    uint16_t v = static_cast<uint16_t>(i);
    std::memcpy(static_cast<char *>(hall.blob().dptr) + 2 * i, &v, 2);
  }
  auto h2 = mxct::Run("Cast", {mxct::Run("Cast", {hall}, {{"dtype", "float32"}})[0]}, {{"dtype", "float16"}})[0];
  int bad = 0;
  for (int i = 0; i < 65536; ++i) {
    bool nan = (i & 0x7c00) == 0x7c00 && (i & 0x3ff);
    if (!nan && HalfBits(h2, i) != i && bad++ < 5) ADD_FAILURE() << "float16 bits " << i << " changed";
  }
  ExpectError([&] { mxct::Run("Cast", {x}); }, ErrorKind::kValue, {"Cast", "dtype"});
  ExpectError([&] { mxct::Run("Cast", {x}, {{"dtype", "float128"}}); }, ErrorKind::kValue, {"Cast", "float128"});
  // Gradient: the output gradient converted back to the input's dtype.
  GradCase g;
  g.op = "Cast";
  g.params = {{"dtype", "float64"}};
  g.shapes = {{2, 3}};
  CheckGradient(g);
  const mxc::Op *op = mxc::OpRegistry::Get()->Find("Cast");
  auto og = FromVec({2}, {0.25, -1.5}, mxc::kFloat64), gi = FromVec({2}, {1, 1}, mxc::kFloat32);
  mxc::OpContext ctx;
  op->backward.at(MXC_CPU)(ctx, mxc::OpParams(op, {{"dtype", "float64"}}), {og.blob()}, {}, {}, {mxc::kAddTo},
                           {gi.blob()});
  EXPECT_EQ(ToVec(gi), (std::vector<double>{1.25, -0.5}));
}

TEST(ElemwiseUnary, Copies) {
  auto x = FromVec({2, 2}, {1, 2, 3, 4}, mxc::kInt32);
  auto y = mxct::Run("_copy", {x})[0];
  EXPECT_EQ(ToVec(y), ToVec(x));
  EXPECT_NE(y.blob().dptr, x.blob().dptr);
  EXPECT_EQ(mxc::OpRegistry::Get()->Find("identity"), mxc::OpRegistry::Get()->Find("_copy"));
  // _copyto into a given array, with and without conversion.
  auto o = FromVec({2, 2}, {0, 0, 0, 0}, mxc::kInt32);
  RunInto("_copyto", {x}, {o});
  EXPECT_EQ(ToVec(o), (std::vector<double>{1, 2, 3, 4}));
  auto of = FromVec({2, 2}, {0, 0, 0, 0}, mxc::kFloat64);
  RunInto("_copyto", {FromVec({2, 2}, {1.5, 2, 3, 4})}, {of});
  EXPECT_EQ(ToVec(of), (std::vector<double>{1.5, 2, 3, 4}));
  EXPECT_EQ(mxct::Run("_copyto", {x})[0].dtype(), mxc::kInt32);
  ExpectError([&] { RunInto("_copyto", {x}, {FromVec({4}, {0, 0, 0, 0}, mxc::kInt32)}); }, ErrorKind::kShape,
              {"_copyto", "(2,2)", "(4,)"});
  for (auto op : {"_copy", "_copyto"}) {
    GradCase g;
    g.op = op;
    g.shapes = {{5}};
    CheckGradient(g);
  }
  // float16 and bool copy as storage.
  auto h = mxct::Run("Cast", {FromVec({2}, {1, 2})}, {{"dtype", "float16"}})[0];
  EXPECT_EQ(HalfBits(mxct::Run("_copy", {h})[0], 1), 0x4000);
}

TEST(ElemwiseUnary, AddN) {
  auto a = FromVec({2, 3}, {1, 2, 3, 4, 5, 6}), b = FromVec({2, 3}, {10, 20, 30, 40, 50, 60}),
       c = FromVec({2, 3}, {100, 200, 300, 400, 500, 600});
  EXPECT_EQ(ToVec(mxct::Run("add_n", {a, b, c}, {{"num_args", "3"}})[0]),
            (std::vector<double>{111, 222, 333, 444, 555, 666}));
  EXPECT_EQ(ToVec(mxct::Run("ElementWiseSum", {a}, {{"num_args", "1"}})[0]), ToVec(a));
  auto *op = mxc::OpRegistry::Get()->Find("add_n");
  EXPECT_EQ(op->key_var_num_args, "num_args");
  EXPECT_EQ(op->input_names, std::vector<std::string>{"args"});
  // Large, many inputs, float64 and int64.
  for (int dtype : {mxc::kFloat64, mxc::kInt64}) {
    std::vector<NDArray> ins;
    std::vector<double> ref(50001, 0.0);
    for (int k = 0; k < 5; ++k) {
      std::vector<double> v(ref.size());
      for (size_t i = 0; i < v.size(); ++i) v[i] = static_cast<double>((i * (k + 3)) % 97) - 40;
      for (size_t i = 0; i < v.size(); ++i) ref[i] += v[i];
      ins.push_back(FromVec({50001}, v, dtype));
    }
    EXPECT_EQ(ToVec(mxct::Run("add_n", ins, {{"num_args", "5"}})[0]), ref);
    // The output may be any of the inputs.
    RunInto("add_n", ins, {ins[3]}, {{"num_args", "5"}});
    EXPECT_EQ(ToVec(ins[3]), ref);
  }
  ExpectError([&] { mxct::Run("add_n", {a, b}); }, ErrorKind::kValue, {"add_n", "num_args"});
  ExpectError([&] { mxct::Run("add_n", {a, b}, {{"num_args", "3"}}); }, ErrorKind::kValue, {"add_n", "3 input"});
  ExpectError([&] { mxct::Run("add_n", {a, FromVec({3}, {1, 2, 3}), c}, {{"num_args", "3"}}); }, ErrorKind::kShape,
              {"add_n", "(2,3)", "(3,)"});
  GradCase g;
  g.op = "add_n";
  g.params = {{"num_args", "4"}};
  g.shapes = {{2, 3}, {2, 3}, {2, 3}, {2, 3}};
  CheckGradient(g);
}

}  // namespace
