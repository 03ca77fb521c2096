// Ordering operators: topk, sort, argsort. Expected values printed by MXNet 1.9.1 for the same inputs (ties keep
// the input order, ascending and descending alike; k <= 0 keeps the whole axis; dtypes of the outputs), NaN placed
// as the largest value (MXNet's order of NaNs is arbitrary), gradients by finite differences, errors.
#include <cmath>

#include "test_op_tensor_common.h"

using namespace mxct;
using mxc::ErrorKind;
using mxc::TShape;

namespace {

// [[3,1,2,1,3],[0,5,5,2,-1]]: ties in both rows.
NDArray X(int dtype = mxc::kFloat32) { return FromVec({2, 5}, {3, 1, 2, 1, 3, 0, 5, 5, 2, -1}, dtype); }

std::vector<NDArray> RunAll(const std::string &op, const NDArray &x, const Params &p) {
  return mxct::Run(op, {x}, p);
}

}  // namespace

TEST(OpOrdering, TopkAsMXNet) {
  auto x = X();
  auto y = RunAll("topk", x, {})[0];  // k=1, indices, descending
  EXPECT_EQ(y.shape(), (TShape{2, 1}));
  EXPECT_EQ(y.dtype(), mxc::kFloat32);
  ExpectNear(ToVec(y), {0, 1}, 0, 0);
  ExpectNear(ToVec(RunAll("topk", x, {{"k", "3"}})[0]), {0, 4, 2, 1, 2, 3}, 0, 0);
  ExpectNear(ToVec(RunAll("topk", x, {{"k", "3"}, {"is_ascend", "true"}})[0]), {1, 3, 2, 4, 0, 3}, 0, 0);
  ExpectNear(ToVec(RunAll("topk", x, {{"k", "3"}, {"ret_typ", "value"}})[0]), {3, 3, 2, 5, 5, 2}, 0, 0);
  auto m = RunAll("topk", x, {{"k", "3"}, {"ret_typ", "mask"}})[0];
  EXPECT_EQ(m.shape(), (TShape{2, 5}));
  ExpectNear(ToVec(m), {1, 0, 1, 0, 1, 0, 1, 1, 1, 0}, 0, 0);
  auto both = RunAll("topk", x, {{"k", "3"}, {"ret_typ", "both"}});
  ASSERT_EQ(both.size(), 2u);
  ExpectNear(ToVec(both[0]), {3, 3, 2, 5, 5, 2}, 0, 0);
  ExpectNear(ToVec(both[1]), {0, 4, 2, 1, 2, 3}, 0, 0);
  // axis None: the flattened input.
  y = RunAll("topk", x, {{"k", "2"}, {"axis", "None"}})[0];
  EXPECT_EQ(y.shape(), (TShape{2}));
  ExpectNear(ToVec(y), {6, 7}, 0, 0);
  ExpectNear(ToVec(RunAll("topk", x, {{"k", "2"}, {"axis", "None"}, {"ret_typ", "value"}})[0]), {5, 5}, 0, 0);
  m = RunAll("topk", x, {{"k", "2"}, {"axis", "None"}, {"ret_typ", "mask"}})[0];
  EXPECT_EQ(m.shape(), (TShape{2, 5}));
  ExpectNear(ToVec(m), {0, 0, 0, 0, 0, 0, 1, 1, 0, 0}, 0, 0);
  // axis 0.
  y = RunAll("topk", x, {{"axis", "0"}})[0];
  EXPECT_EQ(y.shape(), (TShape{1, 5}));
  ExpectNear(ToVec(y), {0, 1, 1, 1, 0}, 0, 0);
  both = RunAll("topk", x, {{"k", "2"}, {"axis", "0"}, {"ret_typ", "both"}});
  ExpectNear(ToVec(both[0]), {3, 5, 5, 2, 3, 0, 1, 2, 1, -1}, 0, 0);
  ExpectNear(ToVec(both[1]), {0, 1, 1, 1, 0, 1, 0, 0, 0, 1}, 0, 0);
  // k <= 0: the whole axis.
  for (const char *k : {"0", "-1"})
    ExpectNear(ToVec(RunAll("topk", x, {{"k", k}})[0]), {0, 4, 2, 1, 3, 1, 2, 3, 0, 4}, 0, 0);
}

TEST(OpOrdering, SortArgsortAsMXNet) {
  auto x = X();
  ExpectNear(ToVec(RunAll("sort", x, {})[0]), {1, 1, 2, 3, 3, -1, 0, 2, 5, 5}, 0, 0);
  ExpectNear(ToVec(RunAll("sort", x, {{"is_ascend", "false"}})[0]), {3, 3, 2, 1, 1, 5, 5, 2, 0, -1}, 0, 0);
  auto s = RunAll("sort", x, {{"axis", "None"}})[0];
  EXPECT_EQ(s.shape(), (TShape{10}));
  ExpectNear(ToVec(s), {-1, 0, 1, 1, 2, 2, 3, 3, 5, 5}, 0, 0);
  ExpectNear(ToVec(RunAll("sort", x, {{"axis", "0"}})[0]), {0, 1, 2, 1, -1, 3, 5, 5, 2, 3}, 0, 0);
  ExpectNear(ToVec(RunAll("argsort", x, {})[0]), {1, 3, 2, 0, 4, 4, 0, 3, 1, 2}, 0, 0);
  ExpectNear(ToVec(RunAll("argsort", x, {{"is_ascend", "0"}})[0]), {0, 4, 2, 1, 3, 1, 2, 3, 0, 4}, 0, 0);
  ExpectNear(ToVec(RunAll("argsort", x, {{"axis", "None"}})[0]), {9, 5, 1, 3, 2, 8, 0, 4, 6, 7}, 0, 0);
  ExpectNear(ToVec(RunAll("argsort", x, {{"axis", "0"}})[0]), {1, 0, 0, 0, 1, 0, 1, 1, 1, 0}, 0, 0);
  auto a = RunAll("argsort", x, {{"dtype", "int32"}})[0];
  EXPECT_EQ(a.dtype(), mxc::kInt32);
  ExpectNear(ToVec(a), {1, 3, 2, 0, 4, 4, 0, 3, 1, 2}, 0, 0);
}

TEST(OpOrdering, StableTiesAndNaN) {
  auto t = FromVec({8}, {1, 1, 1, 1, 2, 2, 0, 0});
  ExpectNear(ToVec(RunAll("argsort", t, {})[0]), {6, 7, 0, 1, 2, 3, 4, 5}, 0, 0);                   // MXNet
  ExpectNear(ToVec(RunAll("argsort", t, {{"is_ascend", "0"}})[0]), {4, 5, 0, 1, 2, 3, 6, 7}, 0, 0);  // MXNet
  ExpectNear(ToVec(RunAll("topk", t, {{"k", "8"}})[0]), {4, 5, 0, 1, 2, 3, 6, 7}, 0, 0);
  // NaN is the largest value: last ascending, first descending (in input order among NaNs).
  const double nan = std::nan("");
  auto n = FromVec({5}, {1, nan, 3, nan, -1});
  ExpectNear(ToVec(RunAll("argsort", n, {})[0]), {4, 0, 2, 1, 3}, 0, 0);
  ExpectNear(ToVec(RunAll("argsort", n, {{"is_ascend", "0"}})[0]), {1, 3, 2, 0, 4}, 0, 0);
  auto sv = ToVec(RunAll("sort", n, {})[0]);
  EXPECT_EQ(sv[0], -1);
  EXPECT_EQ(sv[2], 3);
  EXPECT_TRUE(std::isnan(sv[3]) && std::isnan(sv[4]));
  ExpectNear(ToVec(RunAll("topk", n, {{"k", "2"}})[0]), {1, 3}, 0, 0);
  ExpectNear(ToVec(RunAll("topk", n, {{"k", "2"}, {"is_ascend", "1"}})[0]), {4, 0}, 0, 0);
}

TEST(OpOrdering, DtypesAsMXNet) {
  for (int dt : {mxc::kFloat32, mxc::kFloat64, mxc::kInt32, mxc::kInt64, mxc::kInt8, mxc::kFloat16}) {
    SCOPED_TRACE(mxc::DTypeName(dt));
    auto x = X(dt);
    auto v = RunAll("topk", x, {{"k", "2"}, {"ret_typ", "value"}})[0];
    EXPECT_EQ(v.dtype(), dt);
    ExpectNear(ToVec(v), {3, 3, 5, 5}, 0, 0);
    auto i = RunAll("topk", x, {{"k", "2"}})[0];
    EXPECT_EQ(i.dtype(), mxc::kFloat32);
    ExpectNear(ToVec(i), {0, 4, 1, 2}, 0, 0);
    auto m = RunAll("topk", x, {{"k", "2"}, {"ret_typ", "mask"}, {"dtype", "int32"}})[0];
    EXPECT_EQ(m.dtype(), dt);  // the mask has the data's dtype whatever dtype says
    auto b = RunAll("topk", x, {{"k", "2"}, {"ret_typ", "both"}});
    EXPECT_EQ(b[0].dtype(), dt);
    EXPECT_EQ(b[1].dtype(), mxc::kFloat32);
    auto s = RunAll("sort", x, {})[0];
    EXPECT_EQ(s.dtype(), dt);
    ExpectNear(ToVec(s), {1, 1, 2, 3, 3, -1, 0, 2, 5, 5}, 0, 0);
    EXPECT_EQ(RunAll("argsort", x, {})[0].dtype(), mxc::kFloat32);
  }
  auto u = FromVec({2, 3}, {3, 1, 2, 0, 5, 5}, mxc::kUint8);
  ExpectNear(ToVec(RunAll("sort", u, {{"is_ascend", "0"}})[0]), {3, 2, 1, 5, 5, 0}, 0, 0);
  for (const char *d : {"int32", "int64", "float64", "float16", "uint8"}) {
    auto i = RunAll("topk", X(), {{"k", "2"}, {"dtype", d}})[0];
    EXPECT_EQ(mxc::DTypeName(i.dtype()), std::string(d));
    ExpectNear(ToVec(i), {0, 4, 1, 2}, 0, 0);
    auto a = RunAll("argsort", X(), {{"dtype", d}})[0];
    EXPECT_EQ(mxc::DTypeName(a.dtype()), std::string(d));
    ExpectNear(ToVec(a), {1, 3, 2, 0, 4, 4, 0, 3, 1, 2}, 0, 0);
  }
}

TEST(OpOrdering, AgainstReference) {
  // Distinct random values: sorted values are ordered, and are the input at the returned positions.
  TShape s{3, 7, 4};
  auto a = Random(s, -1, 1, mxc::kFloat64, 5);
  auto av = ToVec(a);
  for (int axis = 0; axis < 3; ++axis)
    for (bool asc : {true, false}) {
      SCOPED_TRACE("axis=" + std::to_string(axis) + (asc ? " ascending" : " descending"));
      const Params p = {{"axis", std::to_string(axis)}, {"is_ascend", asc ? "1" : "0"}};
      auto v = ToVec(RunAll("sort", a, p)[0]);
      auto idx = ToVec(RunAll("argsort", a, p)[0]);
      const int64_t k = 3;
      auto tv = RunAll("topk", a, {{"axis", std::to_string(axis)}, {"is_ascend", asc ? "1" : "0"},
                                   {"k", std::to_string(k)}, {"ret_typ", "both"}});
      TShape ts = s;
      ts[axis] = k;
      EXPECT_EQ(tv[0].shape(), ts);
      auto topv = ToVec(tv[0]), topi = ToVec(tv[1]);
      for (int64_t e = 0; e < mxc::ShapeSize(s); ++e) {
        auto oi = Unravel(e, s);
        auto src = oi;
        src[axis] = static_cast<int64_t>(idx[e]);
        ASSERT_EQ(v[e], av[Ravel(src, s)]);
        if (oi[axis] > 0) {
          auto prev = oi;
          prev[axis] -= 1;
          EXPECT_TRUE(asc ? v[Ravel(prev, s)] < v[e] : v[Ravel(prev, s)] > v[e]);
        }
        if (oi[axis] < k) {
          const int64_t te = Ravel(oi, ts);
          EXPECT_EQ(topv[te], v[e]);
          EXPECT_EQ(topi[te], idx[e]);
        }
      }
    }
}

TEST(OpOrdering, Errors) {
  auto x = X();
  ExpectError("topk", {x}, {{"k", "6"}}, ErrorKind::kShape, {"topk", "k=6", "5", "(2,5)"});
  ExpectError("topk", {x}, {{"k", "11"}, {"axis", "None"}}, ErrorKind::kShape, {"topk", "k=11", "(2,5)"});
  ExpectError("topk", {x}, {{"axis", "2"}}, ErrorKind::kShape, {"topk", "axis=2", "(2,5)"});
  ExpectError("topk", {x}, {{"axis", "-3"}}, ErrorKind::kShape, {"topk", "axis=-3", "(2,5)"});
  ExpectError("sort", {x}, {{"axis", "2"}}, ErrorKind::kShape, {"sort", "axis=2", "(2,5)"});
  ExpectError("argsort", {x}, {{"axis", "2"}}, ErrorKind::kShape, {"argsort", "axis=2", "(2,5)"});
  ExpectError("topk", {x}, {{"ret_typ", "foo"}}, ErrorKind::kValue, {"topk", "ret_typ"});
  ExpectError("topk", {x}, {{"dtype", "int8"}}, ErrorKind::kValue, {"topk", "dtype=int8"});
  ExpectError("argsort", {x}, {{"dtype", "bool"}}, ErrorKind::kValue, {"argsort", "dtype=bool"});
  ExpectError("sort", {FromVec({2}, {1, 0}, mxc::kBool)}, {}, ErrorKind::kType, {"sort", "data", "bool"});
}

TEST(OpOrdering, Gradients) {
  GradCase c;
  c.op = "topk";
  c.shapes = {TShape{3, 5}};
  for (Params p : {Params{{"k", "2"}, {"ret_typ", "value"}}, Params{{"k", "3"}, {"ret_typ", "both"}, {"axis", "0"}},
                   Params{{"k", "4"}, {"ret_typ", "value"}, {"axis", "None"}, {"is_ascend", "1"}},
                   Params{{"k", "2"}, {"ret_typ", "indices"}}, Params{{"k", "2"}, {"ret_typ", "mask"}}}) {
    c.params = p;
    CheckGradient(c);
  }
  c.op = "sort";
  c.shapes = {TShape{2, 3, 4}};
  for (Params p : {Params{}, Params{{"axis", "1"}, {"is_ascend", "0"}}, Params{{"axis", "None"}}}) {
    c.params = p;
    CheckGradient(c);
  }
  c.op = "argsort";
  c.params = {};
  CheckGradient(c);
}

TEST(OpOrdering, GradientValues) {
  // The head gradient of the values goes back to the positions they came from (MXNet 1.9 for topk value/both).
  auto x = X(mxc::kFloat64);
  for (const char *rt : {"value", "both"}) {
    const mxc::Op *op = mxc::OpRegistry::Get()->FindOrThrow("topk");
    mxc::OpParams p(op, {{"k", "2"}, {"ret_typ", rt}});
    // The values and the positions (hidden for 'value': allocated here, int64).
    std::vector<NDArray> out = {NDArray({2, 2}, mxc::kFloat64, mxc::Device::CPU()),
                                NDArray({2, 2}, std::string(rt) == "both" ? mxc::kFloat32 : mxc::kInt64,
                                        mxc::Device::CPU())};
    mxc::Invoke(op, p, {x}, &out);
    ExpectNear(ToVec(out[1]), {0, 4, 1, 2}, 0, 0);
    auto head = FromVec({2, 2}, {1, 2, 3, 4}, mxc::kFloat64);
    NDArray g({2, 5}, mxc::kFloat64, mxc::Device::CPU());
    for (auto &o : out) o.WaitToRead();
    mxc::OpContext ctx;
    ctx.dev = mxc::Device::CPU();
    op->backward.at(MXC_CPU)(ctx, p, {head.blob(), out[1].blob()}, {x.blob()}, {out[0].blob(), out[1].blob()},
                             {mxc::kWriteTo}, {g.blob()});
    ExpectNear(ToVec(g), {1, 0, 0, 0, 2, 0, 3, 4, 0, 0}, 0, 0);
  }
  // sort descending: head [[1..5],[6..10]] scattered through the permutation.
  const mxc::Op *op = mxc::OpRegistry::Get()->FindOrThrow("sort");
  mxc::OpParams p(op, {{"is_ascend", "false"}});
  std::vector<NDArray> out = {NDArray({2, 5}, mxc::kFloat64, mxc::Device::CPU()),
                              NDArray({2, 5}, mxc::kInt64, mxc::Device::CPU())};
  mxc::Invoke(op, p, {x}, &out);
  ExpectNear(ToVec(out[1]), {0, 4, 2, 1, 3, 1, 2, 3, 0, 4}, 0, 0);
  for (auto &o : out) o.WaitToRead();
  auto head = FromVec({2, 5}, {1, 2, 3, 4, 5, 6, 7, 8, 9, 10}, mxc::kFloat64);
  NDArray g({2, 5}, mxc::kFloat64, mxc::Device::CPU());
  mxc::OpContext ctx;
  ctx.dev = mxc::Device::CPU();
  op->backward.at(MXC_CPU)(ctx, p, {head.blob(), out[1].blob()}, {x.blob()}, {out[0].blob(), out[1].blob()},
                           {mxc::kWriteTo}, {g.blob()});
  ExpectNear(ToVec(g), {1, 4, 3, 5, 2, 9, 6, 7, 8, 10}, 0, 0);
}
