// Reductions: sum, mean, max, min, prod, norm, argmax, argmin. Forward against hand-computed values and a naive
// reference loop; gradients by finite differences; errors.
#include <algorithm>
#include <limits>

#include "test_op_tensor_common.h"

using namespace mxct;
using mxc::ErrorKind;
using mxc::TShape;

namespace {

// Naive reference: reduces `x` (shape s) over the axes marked in red with op ("sum", "mean", "max", "min", "prod",
// "norm1", "norm2"); output is the kept axes in order.
std::vector<double> RefReduce(const std::vector<double> &x, const TShape &s, const std::vector<bool> &red,
                              const std::string &op) {
  TShape os;
  for (int k = 0; k < s.ndim(); ++k)
    if (!red[k]) os.push_back(s[k]);
  int64_t on = 1;
  for (auto d : os) on *= d;
  double init = op == "prod" ? 1.0 : op == "max" ? -INFINITY : op == "min" ? INFINITY : 0.0;
  std::vector<double> out(on, init);
  std::vector<int64_t> cnt(on, 0);
  for (int64_t i = 0; i < static_cast<int64_t>(x.size()); ++i) {
    auto idx = Unravel(i, s);
    int64_t o = 0;
    for (int k = 0; k < s.ndim(); ++k)
      if (!red[k]) o = o * s[k] + idx[k];
    double v = x[i];
    if (op == "sum" || op == "mean") out[o] += v;
    else if (op == "prod") out[o] *= v;
    else if (op == "max") out[o] = std::max(out[o], v);
    else if (op == "min") out[o] = std::min(out[o], v);
    else if (op == "norm1") out[o] += std::fabs(v);
    else if (op == "norm2") out[o] += v * v;
    cnt[o]++;
  }
  for (int64_t o = 0; o < on; ++o) {
    if (op == "mean") out[o] /= cnt[o];
    if (op == "norm2") out[o] = std::sqrt(out[o]);
  }
  return out;
}

std::string AxisStr(const std::vector<int> &axes) {
  std::string s = "(";
  for (size_t i = 0; i < axes.size(); ++i) s += (i ? "," : "") + std::to_string(axes[i]);
  return s + ")";
}

}  // namespace

TEST(OpReduce, SumHandComputed) {
  // x = arange(24).reshape(2,3,4)
  auto x = FromVec({2, 3, 4}, Iota(24));
  auto y = mxct::Run("sum", {x}, {{"axis", "1"}})[0];
  EXPECT_EQ(y.shape(), (TShape{2, 4}));
  ExpectNear(ToVec(y), {12, 15, 18, 21, 48, 51, 54, 57});
  y = mxct::Run("sum", {x})[0];  // every axis: shape (1,)
  EXPECT_EQ(y.shape(), (TShape{1}));
  ExpectNear(ToVec(y), {276});
  y = mxct::Run("sum", {x}, {{"axis", "()"}})[0];
  EXPECT_EQ(y.shape(), (TShape{1}));
  ExpectNear(ToVec(y), {276});
  y = mxct::Run("sum", {x}, {{"keepdims", "True"}})[0];
  EXPECT_EQ(y.shape(), (TShape{1, 1, 1}));
  y = mxct::Run("sum", {x}, {{"axis", "(0, 2)"}, {"exclude", "true"}, {"keepdims", "1"}})[0];  // reduces axis 1
  EXPECT_EQ(y.shape(), (TShape{2, 1, 4}));
  ExpectNear(ToVec(y), {12, 15, 18, 21, 48, 51, 54, 57});
  y = mxct::Run("sum_axis", {x}, {{"axis", "-1"}})[0];  // alias, negative axis
  EXPECT_EQ(y.shape(), (TShape{2, 3}));
  ExpectNear(ToVec(y), {6, 22, 38, 54, 70, 86});
  y = mxct::Run("sum", {x}, {{"axis", "(-3,-1)"}})[0];
  ExpectNear(ToVec(y), {0 + 1 + 2 + 3 + 12 + 13 + 14 + 15, 4 + 5 + 6 + 7 + 16 + 17 + 18 + 19,
                        8 + 9 + 10 + 11 + 20 + 21 + 22 + 23});
}

TEST(OpReduce, OthersHandComputed) {
  auto x = FromVec({2, 3}, {1, -2, 3, 4, 0.5, -6});
  ExpectNear(ToVec(mxct::Run("mean", {x}, {{"axis", "1"}})[0]), {2.0 / 3, -1.5 / 3});
  ExpectNear(ToVec(mxct::Run("max", {x}, {{"axis", "0"}})[0]), {4, 0.5, 3});
  ExpectNear(ToVec(mxct::Run("max_axis", {x})[0]), {4});
  ExpectNear(ToVec(mxct::Run("min", {x}, {{"axis", "1"}})[0]), {-2, -6});
  ExpectNear(ToVec(mxct::Run("min_axis", {x}, {{"axis", "0"}})[0]), {1, -2, -6});
  ExpectNear(ToVec(mxct::Run("prod", {x}, {{"axis", "1"}})[0]), {-6, -12});
  ExpectNear(ToVec(mxct::Run("norm", {x})[0]), {std::sqrt(1 + 4 + 9 + 16 + 0.25 + 36)});
  ExpectNear(ToVec(mxct::Run("norm", {x}, {{"ord", "1"}, {"axis", "1"}})[0]), {6, 10.5});
  auto n = mxct::Run("norm", {x}, {{"axis", "0"}, {"keepdims", "1"}, {"out_dtype", "float64"}})[0];
  EXPECT_EQ(n.shape(), (TShape{1, 3}));
  EXPECT_EQ(n.dtype(), mxc::kFloat64);
  ExpectNear(ToVec(n), {std::sqrt(17.0), std::sqrt(4.25), std::sqrt(45.0)});
}

TEST(OpReduce, AgainstReferenceAllAxes) {
  TShape s{3, 4, 5};
  const std::vector<std::vector<int>> axis_sets = {{0}, {1}, {2}, {0, 1}, {0, 2}, {1, 2}, {0, 1, 2}, {-1}, {-2, 0}};
  for (int dtype : {mxc::kFloat32, mxc::kFloat64}) {
    auto x = Random(s, 0.5, 1.5, dtype, 3);  // positive and near 1: products stay in range
    auto xv = ToVec(x);
    for (auto &axes : axis_sets) {
      for (bool keep : {false, true}) {
        for (bool exclude : {false, true}) {
          std::vector<bool> red(3, false);
          for (int a : axes) red[(a + 3) % 3] = true;
          if (exclude) red.flip();
          for (std::string op : {"sum", "mean", "max", "min", "prod", "norm"}) {
            if (op == "norm" && exclude) continue;  // norm has no exclude (as MXNet)
            SCOPED_TRACE(op + " axis=" + AxisStr(axes) + " keepdims=" + std::to_string(keep) +
                         " exclude=" + std::to_string(exclude) + " dtype=" + mxc::DTypeName(dtype));
            Params prm{{"axis", AxisStr(axes)}, {"keepdims", keep ? "1" : "0"}};
            if (op != "norm") prm.push_back({"exclude", exclude ? "1" : "0"});
            auto y = mxct::Run(op, {x}, prm)[0];
            TShape want;
            for (int k = 0; k < 3; ++k)
              if (!red[k]) want.push_back(s[k]);
              else if (keep) want.push_back(1);
            if (want.empty()) want.push_back(1);
            EXPECT_EQ(y.shape(), want);
            EXPECT_EQ(y.dtype(), dtype);
            double tol = dtype == mxc::kFloat32 ? 1e-5 : 1e-12;
            ExpectNear(ToVec(y), RefReduce(xv, s, red, op == "norm" ? "norm2" : op), tol, tol);
          }
        }
      }
    }
  }
}

TEST(OpReduce, LargeInputsUseParallelPaths) {
  // Big enough (> kParallelGrain elements) for the chunked code, with each axis kind leading.
  TShape s{64, 300, 7};
  auto x = Random(s, -1, 1, mxc::kFloat64, 11);
  auto xv = ToVec(x);
  for (std::string axis : {"0", "1", "2", "(0,2)", "(1,2)", "(0,1)", "()"}) {
    std::vector<bool> red(3, false);
    if (axis == "()") red = {true, true, true};
    else
      for (char c : axis)
        if (c >= '0' && c <= '2') red[c - '0'] = true;
    for (std::string op : {"sum", "max", "min", "norm"}) {
      SCOPED_TRACE(op + " axis=" + axis);
      auto y = mxct::Run(op, {x}, {{"axis", axis}})[0];
      ExpectNear(ToVec(y), RefReduce(xv, s, red, op == "norm" ? "norm2" : op), 1e-10, 1e-10);
    }
  }
  // float32 sums accumulate in double: the sum of 1e6 copies of 0.1f is exact to float precision.
  auto ones = FromVec({1000, 1000}, std::vector<double>(1000000, 0.1), mxc::kFloat32);
  ExpectNear(ToVec(mxct::Run("sum", {ones})[0]), {1000000 * static_cast<double>(0.1f)}, 1e-7, 0);
}

TEST(OpReduce, IntegerDtypes) {
  auto x = FromVec({2, 3}, {1, -2, 3, 4, 5, -6}, mxc::kInt32);
  auto y = mxct::Run("sum", {x}, {{"axis", "1"}})[0];
  EXPECT_EQ(y.dtype(), mxc::kInt32);
  ExpectNear(ToVec(y), {2, 3});
  ExpectNear(ToVec(mxct::Run("mean", {x}, {{"axis", "0"}})[0]), {2, 1, -1});  // integer division truncates: 5/2, 3/2, -3/2
  ExpectNear(ToVec(mxct::Run("max", {x}, {{"axis", "1"}})[0]), {3, 5});
  ExpectNear(ToVec(mxct::Run("min", {x})[0]), {-6});
  ExpectNear(ToVec(mxct::Run("prod", {x}, {{"axis", "0"}})[0]), {4, -10, -18});
  auto u = FromVec({4}, {200, 3, 255, 7}, mxc::kUint8);
  ExpectNear(ToVec(mxct::Run("max", {u})[0]), {255});
  auto big = FromVec({3}, {3000000000.0, 3000000000.0, -1}, mxc::kInt64);
  ExpectNear(ToVec(mxct::Run("sum", {big})[0]), {5999999999.0});
  auto a = mxct::Run("argmax", {x}, {{"axis", "1"}})[0];
  EXPECT_EQ(a.dtype(), mxc::kInt32);
  ExpectNear(ToVec(a), {2, 1});
}

TEST(OpReduce, EmptyInputs) {
  auto e = FromVec({0, 3}, {});
  auto s = mxct::Run("sum", {e}, {{"axis", "0"}})[0];
  EXPECT_EQ(s.shape(), (TShape{3}));
  ExpectNear(ToVec(s), {0, 0, 0});
  ExpectNear(ToVec(mxct::Run("prod", {e}, {{"axis", "0"}})[0]), {1, 1, 1});
  EXPECT_EQ(mxct::Run("sum", {e}, {{"axis", "1"}})[0].shape(), (TShape{0}));
  EXPECT_EQ(mxct::Run("max", {e}, {{"axis", "1"}})[0].shape(), (TShape{0}));  // nothing to reduce into
  ExpectError("max", {e}, {{"axis", "0"}}, ErrorKind::kShape, {"max", "(0,3)", "empty"});
  ExpectError("argmin", {e}, {{"axis", "0"}}, ErrorKind::kShape, {"argmin", "(0,3)"});
}

TEST(OpReduce, NaNPropagates) {
  auto x = FromVec({2, 3}, {1, NAN, 3, 4, 5, 6});
  auto m = ToVec(mxct::Run("max", {x}, {{"axis", "1"}})[0]);
  EXPECT_TRUE(std::isnan(m[0]));
  EXPECT_EQ(m[1], 6);
  auto n = ToVec(mxct::Run("min", {x}, {{"axis", "1"}})[0]);
  EXPECT_TRUE(std::isnan(n[0]));
  EXPECT_EQ(n[1], 4);
  ExpectNear(ToVec(mxct::Run("argmax", {x}, {{"axis", "1"}})[0]), {1, 2});  // NaN counts as the maximum (as MXNet)
}

TEST(OpReduce, LongRowsWithInfinitiesAndNaN) {
  // Rows long enough for the vectorised max/min and argmax/argmin paths, in both float types.
  for (int dtype : {mxc::kFloat32, mxc::kFloat64}) {
    SCOPED_TRACE(mxc::DTypeName(dtype));
    const int64_t n = 37;
    std::vector<double> v(4 * n);
    for (int64_t i = 0; i < 4 * n; ++i) v[i] = std::sin(0.7 * i) * 10;
    for (int64_t i = 0; i < n; ++i) v[i] = -INFINITY;  // row 0: all -inf
    v[n + 30] = INFINITY;                               // row 1: +inf late in the row
    v[2 * n + 20] = NAN;                                // row 2: a NaN
    v[2 * n + 25] = INFINITY;
    v[3 * n + 33] = 50;  // row 3: finite maximum, in the scalar tail
    v[3 * n + 5] = -50;
    auto x = FromVec({4, n}, v, dtype);
    auto mx = ToVec(mxct::Run("max", {x}, {{"axis", "1"}})[0]);
    EXPECT_EQ(mx[0], -INFINITY);
    EXPECT_EQ(mx[1], INFINITY);
    EXPECT_TRUE(std::isnan(mx[2]));
    EXPECT_EQ(mx[3], 50);
    auto mn = ToVec(mxct::Run("min", {x}, {{"axis", "1"}})[0]);
    EXPECT_EQ(mn[0], -INFINITY);
    EXPECT_TRUE(std::isnan(mn[2]));
    EXPECT_EQ(mn[3], -50);
    ExpectNear(ToVec(mxct::Run("argmax", {x}, {{"axis", "1"}})[0]), {0, 30, 20, 33});
    auto am = ToVec(mxct::Run("argmin", {x}, {{"axis", "-1"}})[0]);
    EXPECT_EQ(am[0], 0);
    EXPECT_EQ(am[2], 20);
    EXPECT_EQ(am[3], 5);
    // A large float32 input against the reference.
    TShape s{50, 700};
    auto r = Random(s, -5, 5, dtype, 21);
    auto rv = ToVec(r);
    for (std::string op : {"max", "min"}) {
      ExpectNear(ToVec(mxct::Run(op, {r}, {{"axis", "1"}})[0]), RefReduce(rv, s, {false, true}, op), 0, 0);
      ExpectNear(ToVec(mxct::Run(op, {r}, {{"axis", "0"}})[0]), RefReduce(rv, s, {true, false}, op), 0, 0);
    }
    std::vector<double> want(50);
    for (int i = 0; i < 50; ++i)
      want[i] = std::max_element(rv.begin() + i * 700, rv.begin() + (i + 1) * 700) - (rv.begin() + i * 700);
    ExpectNear(ToVec(mxct::Run("argmax", {r}, {{"axis", "1"}})[0]), want, 0, 0);
  }
}

TEST(OpReduce, ArgMaxArgMin) {
  auto x = FromVec({2, 3, 4}, Iota(24));
  auto a = mxct::Run("argmax", {x})[0];  // axis None: index into the flattened input
  EXPECT_EQ(a.shape(), (TShape{1}));
  ExpectNear(ToVec(a), {23});
  a = mxct::Run("argmax", {x}, {{"keepdims", "1"}})[0];
  EXPECT_EQ(a.shape(), (TShape{1, 1, 1}));
  a = mxct::Run("argmax", {x}, {{"axis", "-1"}})[0];
  EXPECT_EQ(a.shape(), (TShape{2, 3}));
  ExpectNear(ToVec(a), {3, 3, 3, 3, 3, 3});
  a = mxct::Run("argmin", {x}, {{"axis", "1"}, {"keepdims", "true"}})[0];
  EXPECT_EQ(a.shape(), (TShape{2, 1, 4}));
  EXPECT_EQ(a.dtype(), mxc::kFloat32);
  ExpectNear(ToVec(a), {0, 0, 0, 0, 0, 0, 0, 0});
  // Ties give the first index.
  auto t = FromVec({2, 3}, {1, 3, 3, 2, 2, 1}, mxc::kFloat64);
  ExpectNear(ToVec(mxct::Run("argmax", {t}, {{"axis", "1"}})[0]), {1, 0});
  ExpectNear(ToVec(mxct::Run("argmin", {t}, {{"axis", "1"}})[0]), {0, 2});
  ExpectNear(ToVec(mxct::Run("argmin", {t}, {{"axis", "0"}})[0]), {0, 1, 1});
  // argmax_channel: along axis 1.
  auto c = mxct::Run("argmax_channel", {FromVec({2, 3}, {1, 5, 2, 7, 0, 1})})[0];
  EXPECT_EQ(c.shape(), (TShape{2}));
  ExpectNear(ToVec(c), {1, 0});
  auto c3 = mxct::Run("argmax_channel", {FromVec({2, 2, 2}, {1, 5, 2, 0, 0, 1, 3, -1})})[0];
  EXPECT_EQ(c3.shape(), (TShape{2, 2}));
  ExpectNear(ToVec(c3), {1, 0, 1, 0});
}

TEST(OpReduce, Gradients) {
  for (std::string op : {"sum", "mean", "max", "min", "prod"}) {
    for (Params prm : std::vector<Params>{{{"axis", "1"}},
                                          {{"axis", "(0,2)"}, {"keepdims", "1"}},
                                          {},
                                          {{"axis", "-1"}, {"exclude", "1"}}}) {
      GradCase c;
      c.op = op;
      c.params = prm;
      c.shapes = {TShape{3, 4, 2}};
      if (op == "prod") {
        c.lo = 0.5;
        c.hi = 1.5;
      }
      CheckGradient(c);
    }
  }
  for (std::string ord : {"1", "2"}) {
    GradCase c;
    c.op = "norm";
    c.params = {{"ord", ord}, {"axis", "(0,2)"}};
    c.shapes = {TShape{3, 4, 2}};
    c.lo = 0.2;  // away from 0 where |x| has a kink
    c.hi = 1.0;
    c.fill = [](std::vector<NDArray> &ins) {
      auto *p = ins[0].blob().ptr<double>();
      for (int64_t i = 0; i < ins[0].Size(); i += 3) p[i] = -p[i];
    };
    CheckGradient(c);
  }
  GradCase a;
  a.op = "argmax";
  a.params = {{"axis", "0"}};
  a.shapes = {TShape{4, 3}};
  CheckGradient(a);  // zero gradient
}

TEST(OpReduce, ProdGradientWithZeros) {
  // Rows: no zero, one zero, two zeros. d prod / d x_i = product of the others.
  GradCase c;
  c.op = "prod";
  c.params = {{"axis", "1"}};
  c.shapes = {TShape{3, 3}};
  c.fill = [](std::vector<NDArray> &ins) {
    auto *p = ins[0].blob().ptr<double>();
    double v[9] = {1, 2, 3, 2, 0, 4, 0, 5, 0};
    std::copy(v, v + 9, p);
  };
  CheckGradient(c);
  // The exact values, with a head gradient of ones, through the registered backward.
  const mxc::Op *op = mxc::OpRegistry::Get()->FindOrThrow("prod");
  mxc::OpParams prm(op, {{"axis", "1"}});
  auto x = FromVec({3, 3}, {1, 2, 3, 2, 0, 4, 0, 5, 0}, mxc::kFloat64);
  auto og = FromVec({3}, {1, 1, 1}, mxc::kFloat64);
  auto ig = FromVec({3, 3}, std::vector<double>(9, 0), mxc::kFloat64);
  op->backward.at(MXC_CPU)(mxc::OpContext(), prm, {og.blob()}, {x.blob()}, {mxc::TBlob()}, {mxc::kWriteTo},
                           {ig.blob()});
  ExpectNear(ToVec(ig), {6, 3, 2, 0, 8, 0, 0, 0, 0});
}

TEST(OpReduce, MaxGradientGoesToTies) {
  const mxc::Op *op = mxc::OpRegistry::Get()->FindOrThrow("max");
  mxc::OpParams prm(op, {{"axis", "1"}});
  auto x = FromVec({2, 3}, {1, 3, 3, 2, 2, 1}, mxc::kFloat64);
  auto y = mxct::Run("max", {x}, {{"axis", "1"}})[0];
  auto og = FromVec({2}, {1, 2}, mxc::kFloat64);
  auto ig = FromVec({2, 3}, std::vector<double>(6, 0), mxc::kFloat64);
  op->backward.at(MXC_CPU)(mxc::OpContext(), prm, {og.blob()}, {x.blob()}, {y.blob()}, {mxc::kWriteTo},
                           {ig.blob()});
  ExpectNear(ToVec(ig), {0, 1, 1, 2, 2, 0});
}

TEST(OpReduce, Errors) {
  auto x = FromVec({2, 3, 4}, Iota(24));
  ExpectError("sum", {x}, {{"axis", "3"}}, ErrorKind::kShape, {"sum", "axis=3", "(2,3,4)"});
  ExpectError("mean", {x}, {{"axis", "-4"}}, ErrorKind::kShape, {"mean", "axis=-4", "(2,3,4)"});
  ExpectError("max", {x}, {{"axis", "(0,-3)"}}, ErrorKind::kShape, {"max", "twice", "(2,3,4)"});
  ExpectError("argmax", {x}, {{"axis", "5"}}, ErrorKind::kShape, {"argmax", "axis=5", "(2,3,4)"});
  ExpectError("norm", {x}, {{"ord", "3"}}, ErrorKind::kValue, {"norm", "ord=3"});
  ExpectError("sum", {x}, {{"axis", "x"}}, ErrorKind::kValue, {"sum", "axis"});
  ExpectError("sum", {x}, {{"keepdim", "1"}}, ErrorKind::kValue, {"sum", "keepdim"});
  auto b = FromVec({2}, {1, 0}, mxc::kBool);
  ExpectError("sum", {b}, {}, ErrorKind::kType, {"sum", "data", "bool"});
}
