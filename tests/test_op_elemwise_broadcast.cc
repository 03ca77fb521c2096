// Broadcasting binary operators: forward values against a naive N-d reference for many shape pairs (NumPy rules),
// dtypes, errors, and gradients (summed over broadcast axes) by finite differences and against a naive reference on
// large arrays (parallel reduction paths).
#include <cmath>

#include "test_op_elemwise_common.h"

namespace {

using namespace mxct;
using mxc::ErrorKind;

double PyMod(double a, double b) { return b == 0 ? 0 : a - std::floor(a / b) * b; }

TShape BroadcastShape(const TShape &a, const TShape &b) {
  int nd = std::max(a.ndim(), b.ndim());
  TShape o(nd);
  for (int d = 0; d < nd; ++d) {
    int64_t da = d >= nd - a.ndim() ? a[d - (nd - a.ndim())] : 1;
    int64_t db = d >= nd - b.ndim() ? b[d - (nd - b.ndim())] : 1;
    o[d] = std::max(da, db);
  }
  return o;
}

// Offset into an operand of shape s for the output multi-index idx (NumPy alignment).
int64_t OperandOffset(const TShape &s, const TShape &out, const std::vector<int64_t> &idx) {
  int64_t off = 0;
  int shift = out.ndim() - s.ndim();
  for (int d = 0; d < s.ndim(); ++d) off = off * s[d] + (s[d] == 1 ? 0 : idx[d + shift]);
  return off;
}

// Calls f(out_offset, a_offset, b_offset) for every output element.
void ForEachOut(const TShape &a, const TShape &b, const std::function<void(int64_t, int64_t, int64_t)> &f) {
  TShape out = BroadcastShape(a, b);
  std::vector<int64_t> idx(out.ndim(), 0);
  for (int64_t i = 0; i < mxc::ShapeSize(out); ++i) {
    int64_t r = i;
    for (int d = out.ndim() - 1; d >= 0; --d) {
      idx[d] = r % out[d];
      r /= out[d];
    }
    f(i, OperandOffset(a, out, idx), OperandOffset(b, out, idx));
  }
}

struct Case {
  const char *op;
  std::function<double(double, double)> ref;
  double lo_a, hi_a, lo_b, hi_b;
};

std::vector<Case> Cases() {
  return {
      {"broadcast_add", [](double a, double b) { return a + b; }, -3, 3, -3, 3},
      {"broadcast_sub", [](double a, double b) { return a - b; }, -3, 3, -3, 3},
      {"broadcast_mul", [](double a, double b) { return a * b; }, -3, 3, -3, 3},
      {"broadcast_div", [](double a, double b) { return a / b; }, -3, 3, 0.5, 2},
      {"broadcast_mod", PyMod, -5, 5, 0.7, 2},
      {"broadcast_power", [](double a, double b) { return std::pow(a, b); }, 0.1, 3, -2, 2},
      {"broadcast_maximum", [](double a, double b) { return std::max(a, b); }, -3, 3, -3, 3},
      {"broadcast_minimum", [](double a, double b) { return std::min(a, b); }, -3, 3, -3, 3},
      {"broadcast_equal", [](double a, double b) { return a == b ? 1.0 : 0.0; }, -2, 2, -2, 2},
      {"broadcast_not_equal", [](double a, double b) { return a != b ? 1.0 : 0.0; }, -2, 2, -2, 2},
      {"broadcast_greater", [](double a, double b) { return a > b ? 1.0 : 0.0; }, -2, 2, -2, 2},
      {"broadcast_greater_equal", [](double a, double b) { return a >= b ? 1.0 : 0.0; }, -2, 2, -2, 2},
      {"broadcast_lesser", [](double a, double b) { return a < b ? 1.0 : 0.0; }, -2, 2, -2, 2},
      {"broadcast_lesser_equal", [](double a, double b) { return a <= b ? 1.0 : 0.0; }, -2, 2, -2, 2},
  };
}

const std::vector<std::pair<TShape, TShape>> &ShapePairs() {
  static const std::vector<std::pair<TShape, TShape>> pairs = {
      {{2, 3, 4}, {2, 3, 4}}, {{2, 3, 4}, {1}},       {{1}, {2, 3, 4}},       {{2, 3, 4}, {4}},
      {{2, 3, 4}, {1, 3, 1}}, {{3, 1}, {1, 4}},       {{2, 1, 4}, {1, 3, 1}}, {{5}, {5, 1}},
      {{1, 1}, {1, 1}},       {{2, 3, 4}, {2, 1, 4}}, {{3, 4}, {2, 3, 1}},    {{1, 3, 1, 5}, {2, 1, 4, 1}},
      {{7}, {7}},             {{1, 6}, {4, 1}},       {{200, 200}, {1, 200}}, {{200, 200}, {200, 1}},
      {{200, 200}, {1, 1}},   {{32, 64, 16}, {32, 1, 16}}, {{2, 20000}, {2, 20000}}, {{1, 1, 20000}, {3, 1, 1}},
  };
  return pairs;
}

TEST(ElemwiseBroadcast, ForwardAllShapesAndOps) {
  for (int dtype : {mxc::kFloat32, mxc::kFloat64}) {
    for (auto &c : Cases()) {
      for (auto &sp : ShapePairs()) {
        const TShape &sa = sp.first, &sb = sp.second;
        // Large shapes (parallel paths) for a few representative operators only, to keep the test quick.
        const std::string op = c.op;
        if (mxc::ShapeSize(BroadcastShape(sa, sb)) > 10000 && op != "broadcast_add" && op != "broadcast_mul" &&
            op != "broadcast_power" && op != "broadcast_greater")
          continue;
        SCOPED_TRACE(std::string(c.op) + " " + mxc::DTypeName(dtype) + " " + mxc::ShapeStr(sa) + " with " +
                     mxc::ShapeStr(sb));
        auto av = AsStored(Uniform(mxc::ShapeSize(sa), c.lo_a, c.hi_a, 1), dtype);
        auto bv = AsStored(Uniform(mxc::ShapeSize(sb), c.lo_b, c.hi_b, 2), dtype);
        if (sa == sb)
          for (size_t i = 0; i < av.size(); i += 5) bv[i] = av[i];  // ties
        auto out = mxct::Run(c.op, {FromVec(sa, av, dtype), FromVec(sb, bv, dtype)});
        TShape so = BroadcastShape(sa, sb);
        ASSERT_EQ(out[0].shape(), so);
        ASSERT_EQ(out[0].dtype(), dtype);
        std::vector<double> ref(mxc::ShapeSize(so));
        ForEachOut(sa, sb, [&](int64_t i, int64_t ia, int64_t ib) { ref[i] = c.ref(av[ia], bv[ib]); });
        double rtol = Rtol(dtype) * (std::string(c.op) == "broadcast_power" ? 8 : 1);
        ExpectNear(ToVec(out[0]), ref, rtol, Atol(dtype) * 4, c.op);
      }
    }
  }
}

TEST(ElemwiseBroadcast, IntegerDtypes) {
  auto a = FromVec({2, 3}, {-7, -3, 0, 3, 7, 5}, mxc::kInt32);
  auto b = FromVec({3}, {2, -2, 0}, mxc::kInt32);
  EXPECT_EQ(ToVec(mxct::Run("broadcast_add", {a, b})[0]), (std::vector<double>{-5, -5, 0, 5, 5, 5}));
  EXPECT_EQ(ToVec(mxct::Run("broadcast_div", {a, b})[0]), (std::vector<double>{-3, 1, 0, 1, -3, 0}));
  EXPECT_EQ(ToVec(mxct::Run("broadcast_mod", {a, b})[0]), (std::vector<double>{1, -1, 0, 1, -1, 0}));
  EXPECT_EQ(ToVec(mxct::Run("broadcast_greater", {a, b})[0]), (std::vector<double>{0, 0, 0, 1, 1, 1}));
  auto u = FromVec({2, 1}, {1, 200}, mxc::kUint8), v = FromVec({1, 2}, {100, 60}, mxc::kUint8);
  EXPECT_EQ(ToVec(mxct::Run("broadcast_mul", {u, v})[0]), (std::vector<double>{100, 60, 32, 224}));
  auto i64 = FromVec({1}, {3}, mxc::kInt64), j64 = FromVec({2, 2}, {1, 2, 3, 30}, mxc::kInt64);
  EXPECT_EQ(ToVec(mxct::Run("broadcast_power", {i64, j64})[0]), (std::vector<double>{3, 9, 27, 205891132094649.0}));
}

TEST(ElemwiseBroadcast, AliasesAndMetadata) {
  auto *reg = mxc::OpRegistry::Get();
  EXPECT_EQ(reg->Find("broadcast_plus"), reg->Find("broadcast_add"));
  EXPECT_EQ(reg->Find("broadcast_minus"), reg->Find("broadcast_sub"));
  for (auto &c : Cases()) {
    ASSERT_NE(reg->Find(c.op), nullptr) << c.op;
    EXPECT_EQ(reg->Find(c.op)->input_names, (std::vector<std::string>{"lhs", "rhs"}));
    EXPECT_TRUE(reg->Find(c.op)->HasGradient()) << c.op;
  }
  EXPECT_FALSE(reg->Find("broadcast_add")->backward_uses_inputs);
  EXPECT_TRUE(reg->Find("broadcast_mul")->backward_uses_inputs);
}

TEST(ElemwiseBroadcast, Errors) {
  auto a = FromVec({2, 3}, std::vector<double>(6, 1)), d = FromVec({4}, std::vector<double>(4, 1));
  ExpectError([&] { mxct::Run("broadcast_add", {a, d}); }, ErrorKind::kShape, {"broadcast_add", "(2,3)", "(4,)"});
  ExpectError([&] { mxct::Run("broadcast_mul", {FromVec({2, 3, 4}, std::vector<double>(24, 1)),
                                                FromVec({3, 1, 4}, std::vector<double>(12, 1))}); },
              ErrorKind::kShape, {"broadcast_mul", "(2,3,4)", "(3,1,4)"});
  ExpectError([&] { mxct::Run("broadcast_add", {a}); }, ErrorKind::kValue, {"broadcast_add"});
  ExpectError([&] { mxct::Run("broadcast_add", {a, FromVec({3}, {1, 2, 3}, mxc::kInt32)}); }, ErrorKind::kType,
              {"broadcast_add", "float32", "int32"});
  // An output of the wrong shape.
  auto o = FromVec({3}, {0, 0, 0});
  ExpectError([&] { RunInto("broadcast_add", {a, FromVec({3}, {1, 2, 3})}, {o}); }, ErrorKind::kShape,
              {"broadcast_add", "(2,3)", "(3,)"});
  // A given output of the right shape works.
  auto o2 = FromVec({2, 3}, std::vector<double>(6, 0));
  RunInto("broadcast_add", {a, FromVec({3}, {1, 2, 3})}, {o2});
  EXPECT_EQ(ToVec(o2), (std::vector<double>{2, 3, 4, 2, 3, 4}));
}

std::function<void(std::vector<NDArray> &)> Input(int i, double lo, double hi) {
  return [=](std::vector<NDArray> &ins) { ins[i] = Random(ins[i].shape(), lo, hi, mxc::kFloat64, 77 + i); };
}

TEST(ElemwiseBroadcast, Gradients) {
  const std::vector<std::pair<TShape, TShape>> shapes = {
      {{2, 3}, {2, 3}}, {{2, 3, 4}, {1, 3, 1}}, {{3, 1}, {1, 4}}, {{2, 3}, {3}}, {{1}, {2, 3}},
      {{4, 1, 3}, {2, 1}}, {{2, 1, 4}, {1, 3, 1}}};
  for (auto &c : Cases()) {
    for (auto &sp : shapes) {
      GradCase g;
      g.op = c.op;
      g.shapes = {sp.first, sp.second};
      g.lo = c.lo_a;
      g.hi = c.hi_a;
      g.fill = Input(1, c.lo_b, c.hi_b);
      std::string op = c.op;
      if (op == "broadcast_mod") {  // away from the jumps
        g.lo = 0.1;
        g.hi = 0.9;
        g.fill = Input(1, 1.1, 2);
      }
      if (op == "broadcast_power") {
        g.lo = 0.5;
        g.hi = 2;
        g.fill = Input(1, -1.5, 1.5);
      }
      CheckGradient(g);
    }
  }
}

// Large arrays take the parallel and per-thread reduction paths; compare with naive sums.
TEST(ElemwiseBroadcast, LargeGradients) {
  const std::vector<std::pair<TShape, TShape>> shapes = {{{200, 200}, {1, 200}}, {{200, 200}, {200, 1}},
                                                         {{1, 1}, {200, 200}},   {{32, 1, 16}, {32, 64, 16}},
                                                         {{2, 20000}, {2, 20000}}, {{200, 1}, {1, 200}}};
  for (const char *opname : {"broadcast_add", "broadcast_sub", "broadcast_mul", "broadcast_div"}) {
    for (auto &sp : shapes) {
      for (mxc::OpReq req : {mxc::kWriteTo, mxc::kAddTo}) {
        const TShape &sa = sp.first, &sb = sp.second;
        SCOPED_TRACE(std::string(opname) + " " + mxc::ShapeStr(sa) + " with " + mxc::ShapeStr(sb) +
                     (req == mxc::kAddTo ? " addto" : " write"));
        TShape so = BroadcastShape(sa, sb);
        auto av = Uniform(mxc::ShapeSize(sa), -1, 1, 1), bv = Uniform(mxc::ShapeSize(sb), 0.5, 2, 2);
        auto gv = Uniform(mxc::ShapeSize(so), -1, 1, 3);
        std::vector<double> ra(av.size(), req == mxc::kAddTo ? 0.5 : 0.0), rb(bv.size(), req == mxc::kAddTo ? 0.5 : 0);
        std::string op = opname;
        ForEachOut(sa, sb, [&](int64_t i, int64_t ia, int64_t ib) {
          double a = av[ia], b = bv[ib], g = gv[i];
          if (op == "broadcast_add") { ra[ia] += g; rb[ib] += g; }
          if (op == "broadcast_sub") { ra[ia] += g; rb[ib] -= g; }
          if (op == "broadcast_mul") { ra[ia] += g * b; rb[ib] += g * a; }
          if (op == "broadcast_div") { ra[ia] += g / b; rb[ib] -= g * a / (b * b); }
        });
        const mxc::Op *o = mxc::OpRegistry::Get()->Find(opname);
        auto A = FromVec(sa, av, mxc::kFloat64), B = FromVec(sb, bv, mxc::kFloat64), G = FromVec(so, gv, mxc::kFloat64);
        double init = req == mxc::kAddTo ? 0.5 : 7;  // kWriteTo must overwrite
        auto GA = FromVec(sa, std::vector<double>(av.size(), init), mxc::kFloat64);
        auto GB = FromVec(sb, std::vector<double>(bv.size(), init), mxc::kFloat64);
        mxc::OpContext ctx;
        o->backward.at(MXC_CPU)(ctx, mxc::OpParams(o, {}), {G.blob()}, {A.blob(), B.blob()}, {}, {req, req},
                                {GA.blob(), GB.blob()});
        ExpectNear(ToVec(GA), ra, 1e-10, 1e-10, "d lhs");
        ExpectNear(ToVec(GB), rb, 1e-10, 1e-10, "d rhs");
        // Only one of the two gradients requested.
        auto GB2 = FromVec(sb, std::vector<double>(bv.size(), init), mxc::kFloat64);
        o->backward.at(MXC_CPU)(ctx, mxc::OpParams(o, {}), {G.blob()}, {A.blob(), B.blob()}, {},
                                {mxc::kNullOp, req}, {mxc::TBlob(), GB2.blob()});
        ExpectNear(ToVec(GB2), rb, 1e-10, 1e-10, "d rhs alone");
      }
    }
  }
}

TEST(ElemwiseBroadcast, BackwardFloat32) {
  // Bias-style gradient in float32: rows summed into a row vector.
  const mxc::Op *o = mxc::OpRegistry::Get()->Find("broadcast_add");
  auto G = FromVec({3, 2}, {1, 2, 3, 4, 5, 6});
  auto GA = FromVec({3, 2}, std::vector<double>(6, 0)), GB = FromVec({2}, {0, 0});
  mxc::OpContext ctx;
  o->backward.at(MXC_CPU)(ctx, mxc::OpParams(o, {}), {G.blob()}, {mxc::TBlob(), mxc::TBlob()}, {},
                          {mxc::kWriteTo, mxc::kWriteTo}, {GA.blob(), GB.blob()});
  EXPECT_EQ(ToVec(GA), (std::vector<double>{1, 2, 3, 4, 5, 6}));
  EXPECT_EQ(ToVec(GB), (std::vector<double>{9, 12}));
}

TEST(ElemwiseBroadcast, BackwardReadsOnlyWhatItDeclares) {
  for (auto &c : Cases())
    CheckBackwardUses(c.op, {Random({3, 4}, 0.5, 2, mxc::kFloat64, 1), Random({4}, 0.5, 2, mxc::kFloat64, 2)});
}

}  // namespace
