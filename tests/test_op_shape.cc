// Shape operators: Reshape, Flatten, expand_dims, squeeze, transpose, swapaxes, slice, slice_axis, broadcast_to,
// broadcast_axis, tile, repeat, Concat, stack, SliceChannel. Values against hand-computed results (several taken
// from MXNet 1.9 for the same inputs) and index-mapping reference loops; gradients by finite differences; errors.
#include "test_op_tensor_common.h"

using namespace mxct;
using mxc::ErrorKind;
using mxc::TShape;

namespace {

NDArray Arange(const TShape &s, int dtype = mxc::kFloat32) { return FromVec(s, Iota(mxc::ShapeSize(s)), dtype); }

// out[idx] = in[perm applied]: output axis i is input axis perm[i].
std::vector<double> RefTranspose(const std::vector<double> &x, const TShape &s, const std::vector<int> &perm) {
  TShape os;
  for (int k : perm) os.push_back(s[k]);
  std::vector<double> y(x.size());
  for (int64_t o = 0; o < static_cast<int64_t>(x.size()); ++o) {
    auto oi = Unravel(o, os);
    std::vector<int64_t> ii(s.size());
    for (size_t k = 0; k < perm.size(); ++k) ii[perm[k]] = oi[k];
    y[o] = x[Ravel(ii, s)];
  }
  return y;
}

GradCase Grad(const std::string &op, const Params &p, std::vector<TShape> shapes) {
  GradCase c;
  c.op = op;
  c.params = p;
  c.shapes = std::move(shapes);
  return c;
}

}  // namespace

// ---- Reshape and friends ----------------------------------------------------------------------------------------
TEST(OpShape, ReshapeCodes) {
  auto x = Arange({2, 3, 4});
  struct C {
    std::string shape;
    bool reverse;
    TShape want;
  };
  for (auto &c : std::vector<C>{{"(4, 0, -1)", false, {4, 3, 2}},
                                {"(6,4)", false, {6, 4}},
                                {"(-1,)", false, {24}},
                                {"(0,-1)", false, {2, 12}},
                                {"(-2,)", false, {2, 3, 4}},
                                {"(2,-2)", false, {2, 3, 4}},
                                {"(-3,-1)", false, {6, 4}},
                                {"(0,-3)", false, {2, 12}},
                                {"(-4,1,2,-2)", false, {1, 2, 3, 4}},
                                {"(-4,-1,1,0,0)", false, {2, 1, 3, 4}},
                                {"(0,-4,3,-1,2,2)", false, {2, 3, 1, 2, 2}},
                                {"(-1,0)", true, {6, 4}},
                                {"(-1,0)", false, {8, 3}}}) {
    SCOPED_TRACE(c.shape + (c.reverse ? " reverse" : ""));
    auto y = mxct::Run("Reshape", {x}, {{"shape", c.shape}, {"reverse", c.reverse ? "1" : "0"}})[0];
    EXPECT_EQ(y.shape(), c.want);
    ExpectNear(ToVec(y), Iota(24));
  }
  auto y = mxct::Run("reshape", {Arange({10, 5, 4})}, {{"shape", "(-1,0)"}, {"reverse", "1"}})[0];  // MXNet doc
  EXPECT_EQ(y.shape(), (TShape{50, 4}));
  y = mxct::Run("Reshape", {x}, {{"target_shape", "(0,4)"}})[0];  // deprecated form: 0 inferred
  EXPECT_EQ(y.shape(), (TShape{6, 4}));
  y = mxct::Run("Reshape", {x}, {{"target_shape", "(5,0)"}, {"keep_highest", "1"}})[0];
  EXPECT_EQ(y.shape(), (TShape{2, 12}));
  for (int dtype : {mxc::kInt32, mxc::kUint8, mxc::kInt64, mxc::kFloat64}) {
    auto z = mxct::Run("Reshape", {Arange({2, 3}, dtype)}, {{"shape", "(3,2)"}})[0];
    EXPECT_EQ(z.dtype(), dtype);
    ExpectNear(ToVec(z), Iota(6));
  }
  ExpectError("Reshape", {x}, {{"shape", "(5,-1)"}}, ErrorKind::kShape, {"Reshape", "(2,3,4)", "(5,-1)"});
  ExpectError("Reshape", {x}, {{"shape", "(5,5)"}}, ErrorKind::kShape, {"Reshape", "(2,3,4)", "(5,5)"});
  ExpectError("Reshape", {x}, {{"shape", "(-1,-1)"}}, ErrorKind::kShape, {"Reshape", "-1"});
  ExpectError("Reshape", {x}, {}, ErrorKind::kValue, {"Reshape", "shape"});
  const mxc::Op *op = mxc::OpRegistry::Get()->FindOrThrow("Reshape");
  EXPECT_EQ(op->inplace, (std::vector<std::pair<int, int>>{{0, 0}}));
  CheckGradient(Grad("Reshape", {{"shape", "(4,-1)"}}, {{2, 3, 4}}));
}

TEST(OpShape, FlattenExpandSqueeze) {
  auto x = Arange({2, 3, 4});
  auto f = mxct::Run("Flatten", {x})[0];
  EXPECT_EQ(f.shape(), (TShape{2, 12}));
  ExpectNear(ToVec(f), Iota(24));
  EXPECT_EQ(mxct::Run("flatten", {Arange({5})})[0].shape(), (TShape{5, 1}));
  EXPECT_EQ(mxct::Run("expand_dims", {x}, {{"axis", "-1"}})[0].shape(), (TShape{2, 3, 4, 1}));
  EXPECT_EQ(mxct::Run("expand_dims", {x}, {{"axis", "-4"}})[0].shape(), (TShape{1, 2, 3, 4}));
  EXPECT_EQ(mxct::Run("expand_dims", {x}, {{"axis", "1"}})[0].shape(), (TShape{2, 1, 3, 4}));
  ExpectError("expand_dims", {x}, {{"axis", "4"}}, ErrorKind::kShape, {"expand_dims", "axis=4", "(2,3,4)"});
  ExpectError("expand_dims", {x}, {}, ErrorKind::kValue, {"expand_dims", "axis", "missing"});
  auto o = Arange({1, 3, 1});
  EXPECT_EQ(mxct::Run("squeeze", {o})[0].shape(), (TShape{3}));
  EXPECT_EQ(mxct::Run("squeeze", {o}, {{"axis", "-1"}})[0].shape(), (TShape{1, 3}));
  EXPECT_EQ(mxct::Run("squeeze", {o}, {{"axis", "(0,2)"}})[0].shape(), (TShape{3}));
  EXPECT_EQ(mxct::Run("squeeze", {Arange({1, 1})})[0].shape(), (TShape{1}));
  ExpectNear(ToVec(mxct::Run("squeeze", {o})[0]), {0, 1, 2});
  ExpectError("squeeze", {o}, {{"axis", "1"}}, ErrorKind::kShape, {"squeeze", "axis 1", "size 3", "(1,3,1)"});
  for (auto name : {"Flatten", "expand_dims", "squeeze"})
    EXPECT_EQ(mxc::OpRegistry::Get()->FindOrThrow(name)->inplace, (std::vector<std::pair<int, int>>{{0, 0}}));
  CheckGradient(Grad("Flatten", {}, {{2, 3, 2}}));
  CheckGradient(Grad("expand_dims", {{"axis", "2"}}, {{2, 3}}));
  CheckGradient(Grad("squeeze", {}, {{1, 3, 1, 2}}));
}

// ---- transpose / swapaxes ---------------------------------------------------------------------------------------
TEST(OpShape, Transpose) {
  auto x = Arange({2, 3, 4});
  auto y = mxct::Run("transpose", {x}, {{"axes", "(1,0,2)"}})[0];
  EXPECT_EQ(y.shape(), (TShape{3, 2, 4}));
  ExpectNear(ToVec(y), {0, 1, 2, 3, 12, 13, 14, 15, 4, 5, 6, 7, 16, 17, 18, 19, 8, 9, 10, 11, 20, 21, 22, 23});
  auto m = mxct::Run("transpose", {Arange({2, 3})})[0];  // default: reversed axes
  EXPECT_EQ(m.shape(), (TShape{3, 2}));
  ExpectNear(ToVec(m), {0, 3, 1, 4, 2, 5});
  TShape s{3, 4, 5, 2};
  auto r = Random(s, -1, 1, mxc::kFloat64);
  for (auto perm : std::vector<std::vector<int>>{{3, 2, 1, 0}, {0, 2, 1, 3}, {1, 3, 0, 2}, {0, 1, 2, 3}}) {
    std::string axes = "(" + std::to_string(perm[0]) + "," + std::to_string(perm[1]) + "," +
                       std::to_string(perm[2]) + "," + std::to_string(perm[3]) + ")";
    SCOPED_TRACE(axes);
    ExpectNear(ToVec(mxct::Run("transpose", {r}, {{"axes", axes}})[0]), RefTranspose(ToVec(r), s, perm), 0, 0);
  }
  // Large enough for the parallel path, and an integer dtype.
  TShape big{64, 33, 20};
  auto b = Arange(big, mxc::kInt32);
  ExpectNear(ToVec(mxct::Run("transpose", {b}, {{"axes", "(2,0,1)"}})[0]), RefTranspose(ToVec(b), big, {2, 0, 1}), 0,
             0);
  auto sw = mxct::Run("swapaxes", {x}, {{"dim1", "0"}, {"dim2", "-1"}})[0];
  EXPECT_EQ(sw.shape(), (TShape{4, 3, 2}));
  ExpectNear(ToVec(sw), RefTranspose(ToVec(x), {2, 3, 4}, {2, 1, 0}));
  EXPECT_EQ(mxct::Run("SwapAxis", {x}, {{"dim1", "1"}, {"dim2", "2"}})[0].shape(), (TShape{2, 4, 3}));
  ExpectError("transpose", {x}, {{"axes", "(1,0)"}}, ErrorKind::kShape, {"transpose", "(1,0)", "(2,3,4)"});
  ExpectError("transpose", {x}, {{"axes", "(1,0,1)"}}, ErrorKind::kShape, {"transpose", "twice"});
  ExpectError("transpose", {x}, {{"axes", "(1,0,3)"}}, ErrorKind::kShape, {"transpose", "axes=3"});
  ExpectError("swapaxes", {x}, {{"dim1", "3"}}, ErrorKind::kShape, {"swapaxes", "dim1=3", "(2,3,4)"});
  CheckGradient(Grad("transpose", {{"axes", "(2,0,1)"}}, {{2, 3, 4}}));
  CheckGradient(Grad("transpose", {}, {{3, 4}}));
  CheckGradient(Grad("swapaxes", {{"dim1", "0"}, {"dim2", "2"}}, {{2, 3, 4}}));
}

// ---- reshape_like -------------------------------------------------------------------------------------------------
TEST(OpShape, ReshapeLike) {
  auto x = Arange({2, 3});
  auto y = mxct::Run("reshape_like", {x, Random({3, 1, 2}, -1, 1, mxc::kInt32)})[0];
  EXPECT_EQ(y.shape(), (TShape{3, 1, 2}));
  EXPECT_EQ(y.dtype(), x.dtype());
  ExpectNear(ToVec(y), {0, 1, 2, 3, 4, 5}, 0, 0);
  ExpectError("reshape_like", {x, Random({4}, -1, 1)}, {}, ErrorKind::kShape,
              {"reshape_like", "(2,3)", "6 elements", "(4,)", "4 elements"});
  ExpectError("reshape_like", {x, Random({6}, -1, 1)}, {{"lhs_begin", "1"}}, ErrorKind::kValue,
              {"reshape_like", "lhs_begin"});
  CheckGradient(Grad("reshape_like", {}, {{2, 3}, {6, 1}}));
}

// ---- reverse / flip ------------------------------------------------------------------------------------------------
// MXNet 1.9.1: reverse(arange(24).reshape(2, 3, 4), axis=1), and flip(..., axis=(0, 2))[0].
TEST(OpShape, Reverse) {
  auto x = Arange({2, 3, 4});
  auto y = mxct::Run("reverse", {x}, {{"axis", "1"}})[0];
  EXPECT_EQ(y.shape(), (TShape{2, 3, 4}));
  ExpectNear(ToVec(y), {8, 9, 10, 11, 4, 5, 6, 7, 0, 1, 2, 3, 20, 21, 22, 23, 16, 17, 18, 19, 12, 13, 14, 15}, 0, 0);
  auto f = ToVec(mxct::Run("flip", {x}, {{"axis", "(0,2)"}})[0]);
  ExpectNear(std::vector<double>(f.begin(), f.begin() + 12), {15, 14, 13, 12, 19, 18, 17, 16, 23, 22, 21, 20}, 0, 0);
  // Against an index reference for every subset of axes of a 4-d input (float64, and int32 large enough for the
  // parallel path); -1 names the last axis.
  TShape s{3, 1, 4, 5};
  for (auto dt : {mxc::kFloat64, mxc::kInt32}) {
    auto r = dt == mxc::kInt32 ? Arange({40, 33, 2, 7}, dt) : Random(s, -1, 1, dt);
    const TShape rs = r.shape();
    auto in = ToVec(r);
    for (int mask = 1; mask < 16; ++mask) {
      std::string axes = "(";
      for (int a = 0; a < 4; ++a)
        if (mask & (1 << a)) axes += (a == 3 ? "-1" : std::to_string(a)) + ",";
      axes += ")";
      SCOPED_TRACE(axes);
      std::vector<double> want(in.size());
      for (size_t i = 0; i < in.size(); ++i) {
        size_t rest = i, src = 0, mul = 1;
        for (int a = 3; a >= 0; --a) {
          size_t k = rest % rs[a];
          rest /= rs[a];
          if (mask & (1 << a)) k = rs[a] - 1 - k;
          src += k * mul;
          mul *= rs[a];
        }
        want[i] = in[src];
      }
      ExpectNear(ToVec(mxct::Run("reverse", {r}, {{"axis", axes}})[0]), want, 0, 0);
    }
  }
  ExpectError("reverse", {x}, {{"axis", "3"}}, ErrorKind::kShape, {"reverse", "axis=3", "(2,3,4)"});
  ExpectError("reverse", {x}, {{"axis", "(1,1)"}}, ErrorKind::kShape, {"reverse", "twice", "(2,3,4)"});
  ExpectError("reverse", {x}, {{"axis", "()"}}, ErrorKind::kShape, {"reverse", "no axis"});
  CheckGradient(Grad("reverse", {{"axis", "(0,2)"}}, {{2, 3, 4}}));
  CheckGradient(Grad("flip", {{"axis", "1"}}, {{3, 4}}));
}

// ---- slice / slice_axis -----------------------------------------------------------------------------------------
TEST(OpShape, Slice) {
  auto a = Arange({2, 3, 4});
  struct C {
    Params p;
    TShape shape;
    std::vector<double> first;  // leading values (from MXNet 1.9 where noted)
  };
  for (auto &c : std::vector<C>{
           {{{"begin", "(None,None,None)"}, {"end", "(None,None,None)"}, {"step", "(1,-1,-2)"}},
            {2, 3, 2},
            {11, 9, 7, 5, 3, 1, 23, 21, 19, 17, 15, 13}},
           {{{"begin", "(1,)"}, {"end", "(2,)"}}, {1, 3, 4}, {12, 13, 14, 15}},
           {{{"begin", "(0,2)"}, {"end", "(2,2)"}}, {2, 0, 4}, {}},
           {{{"begin", "(0,2)"}, {"end", "(2,1)"}}, {2, 0, 4}, {}},
           {{{"begin", "(-1,-2)"}, {"end", "(None,None)"}}, {1, 2, 4}, {16, 17, 18, 19, 20, 21, 22, 23}},
           {{{"begin", "(None,2)"}, {"end", "(None,0)"}, {"step", "(None,-1)"}},
            {2, 2, 4},
            {8, 9, 10, 11, 4, 5, 6, 7, 20, 21, 22, 23}},
           {{{"begin", "(0,5)"}, {"end", "(2,7)"}}, {2, 0, 4}, {}},
           {{{"begin", "(0,1)"}, {"end", "(2,7)"}}, {2, 2, 4}, {4, 5, 6, 7, 8, 9, 10, 11, 16}},
           {{{"begin", "(0,0,3)"}, {"end", "(1,3,None)"}, {"step", "(1,2,-3)"}}, {1, 2, 2}, {3, 0, 11, 8}},
       }) {
    auto y = mxct::Run("slice", {a}, c.p)[0];
    EXPECT_EQ(y.shape(), c.shape);
    auto v = ToVec(y);
    v.resize(std::min(v.size(), c.first.size()));
    ExpectNear(v, c.first);
  }
  EXPECT_EQ(mxct::Run("crop", {a}, {{"begin", "(0,)"}, {"end", "(1,)"}})[0].shape(), (TShape{1, 3, 4}));
  ExpectError("slice", {a}, {{"begin", "(0,)"}, {"end", "(2,)"}, {"step", "(0,)"}}, ErrorKind::kShape,
              {"slice", "step", "(2,3,4)"});
  ExpectError("slice", {a}, {{"begin", "(0,0)"}, {"end", "(2,)"}}, ErrorKind::kShape, {"slice", "same length"});
  ExpectError("slice", {a}, {{"begin", "(0,0,0,0)"}, {"end", "(1,1,1,1)"}}, ErrorKind::kShape,
              {"slice", "(2,3,4)"});
  ExpectError("slice", {a}, {{"begin", "(0,)"}}, ErrorKind::kValue, {"slice", "end", "missing"});
  // Gradients, including a negative step and an empty result.
  CheckGradient(Grad("slice", {{"begin", "(None,2)"}, {"end", "(None,0)"}, {"step", "(None,-1)"}}, {{2, 3, 4}}));
  CheckGradient(Grad("slice", {{"begin", "(1,0,1)"}, {"end", "(2,3,4)"}, {"step", "(1,2,2)"}}, {{2, 3, 4}}));
  CheckGradient(Grad("slice", {{"begin", "(0,2)"}, {"end", "(2,2)"}}, {{2, 3, 4}}));
}

TEST(OpShape, SliceAxis) {
  auto a = Arange({2, 3, 4});
  auto y = mxct::Run("slice_axis", {a}, {{"axis", "1"}, {"begin", "1"}, {"end", "None"}})[0];
  EXPECT_EQ(y.shape(), (TShape{2, 2, 4}));
  ExpectNear(ToVec(y), {4, 5, 6, 7, 8, 9, 10, 11, 16, 17, 18, 19, 20, 21, 22, 23});
  y = mxct::Run("slice_axis", {a}, {{"axis", "-1"}, {"begin", "-3"}, {"end", "-1"}})[0];
  EXPECT_EQ(y.shape(), (TShape{2, 3, 2}));
  ExpectNear(ToVec(y), {1, 2, 5, 6, 9, 10, 13, 14, 17, 18, 21, 22});
  EXPECT_EQ(mxct::Run("slice_axis", {a}, {{"axis", "1"}, {"begin", "2"}, {"end", "2"}})[0].shape(),
            (TShape{2, 0, 4}));
  ExpectError("slice_axis", {a}, {{"axis", "1"}, {"begin", "2"}, {"end", "1"}}, ErrorKind::kIndex,
              {"slice_axis", "begin=2", "end=1", "(2,3,4)"});
  ExpectError("slice_axis", {a}, {{"axis", "1"}, {"begin", "0"}, {"end", "4"}}, ErrorKind::kIndex,
              {"slice_axis", "(2,3,4)"});
  ExpectError("slice_axis", {a}, {{"axis", "3"}, {"begin", "0"}, {"end", "1"}}, ErrorKind::kShape,
              {"slice_axis", "axis=3"});
  CheckGradient(Grad("slice_axis", {{"axis", "-1"}, {"begin", "1"}, {"end", "3"}}, {{2, 3, 4}}));
}

// ---- broadcasting: broadcast_to, broadcast_axis, tile, repeat ---------------------------------------------------
TEST(OpShape, Broadcast) {
  auto r = FromVec({1, 3}, {1, 2, 3});
  auto y = mxct::Run("broadcast_to", {r}, {{"shape", "(2,0)"}})[0];
  EXPECT_EQ(y.shape(), (TShape{2, 3}));
  ExpectNear(ToVec(y), {1, 2, 3, 1, 2, 3});
  auto c = FromVec({2, 1}, {5, 7}, mxc::kInt32);
  ExpectNear(ToVec(mxct::Run("broadcast_to", {c}, {{"shape", "(2,3)"}})[0]), {5, 5, 5, 7, 7, 7});
  auto b = mxct::Run("broadcast_axis", {FromVec({1, 2, 1}, {1, 2})}, {{"axis", "(0,2)"}, {"size", "(2,3)"}})[0];
  EXPECT_EQ(b.shape(), (TShape{2, 2, 3}));
  ExpectNear(ToVec(b), {1, 1, 1, 2, 2, 2, 1, 1, 1, 2, 2, 2});
  EXPECT_EQ(mxct::Run("broadcast_axes", {FromVec({1, 2, 1}, {1, 2})}, {{"axis", "-1"}, {"size", "4"}})[0].shape(),
            (TShape{1, 2, 4}));
  ExpectError("broadcast_to", {FromVec({2, 3}, Iota(6))}, {{"shape", "(4,3)"}}, ErrorKind::kShape,
              {"broadcast_to", "(4,3)", "(2,3)"});
  ExpectError("broadcast_to", {FromVec({2, 3}, Iota(6))}, {{"shape", "(2,3,1)"}}, ErrorKind::kShape,
              {"broadcast_to", "(2,3,1)"});
  ExpectError("broadcast_axis", {FromVec({2, 3}, Iota(6))}, {{"axis", "0"}, {"size", "4"}}, ErrorKind::kShape,
              {"broadcast_axis", "axis 0", "(2,3)"});
  CheckGradient(Grad("broadcast_to", {{"shape", "(3,4,2)"}}, {{1, 4, 1}}));
  CheckGradient(Grad("broadcast_axis", {{"axis", "(1,)"}, {"size", "(3,)"}}, {{2, 1, 2}}));
}

TEST(OpShape, TileRepeat) {
  auto m = FromVec({2, 2}, {1, 2, 3, 4});
  auto t = mxct::Run("tile", {m}, {{"reps", "(2,)"}})[0];
  EXPECT_EQ(t.shape(), (TShape{2, 4}));
  ExpectNear(ToVec(t), {1, 2, 1, 2, 3, 4, 3, 4});
  t = mxct::Run("tile", {m}, {{"reps", "(2,3)"}})[0];
  EXPECT_EQ(t.shape(), (TShape{4, 6}));
  ExpectNear(ToVec(t), {1, 2, 1, 2, 1, 2, 3, 4, 3, 4, 3, 4, 1, 2, 1, 2, 1, 2, 3, 4, 3, 4, 3, 4});
  t = mxct::Run("tile", {FromVec({2}, {1, 2})}, {{"reps", "(2,1,2)"}})[0];
  EXPECT_EQ(t.shape(), (TShape{2, 1, 4}));
  ExpectNear(ToVec(t), {1, 2, 1, 2, 1, 2, 1, 2});
  EXPECT_EQ(mxct::Run("tile", {m}, {{"reps", "()"}})[0].shape(), (TShape{2, 2}));
  ExpectError("tile", {m}, {{"reps", "(0,1)"}}, ErrorKind::kShape, {"tile", "reps", "(2,2)"});
  auto r = mxct::Run("repeat", {m}, {{"repeats", "2"}})[0];
  EXPECT_EQ(r.shape(), (TShape{8}));
  ExpectNear(ToVec(r), {1, 1, 2, 2, 3, 3, 4, 4});
  r = mxct::Run("repeat", {m}, {{"repeats", "2"}, {"axis", "-1"}})[0];
  EXPECT_EQ(r.shape(), (TShape{2, 4}));
  ExpectNear(ToVec(r), {1, 1, 2, 2, 3, 3, 4, 4});
  r = mxct::Run("repeat", {m}, {{"repeats", "3"}, {"axis", "0"}})[0];
  ExpectNear(ToVec(r), {1, 2, 1, 2, 1, 2, 3, 4, 3, 4, 3, 4});
  EXPECT_EQ(mxct::Run("repeat", {m}, {{"repeats", "0"}, {"axis", "0"}})[0].shape(), (TShape{0, 2}));
  ExpectError("repeat", {m}, {{"repeats", "-1"}}, ErrorKind::kShape, {"repeat", "repeats=-1"});
  ExpectError("repeat", {m}, {{"repeats", "2"}, {"axis", "2"}}, ErrorKind::kShape, {"repeat", "axis=2", "(2,2)"});
  CheckGradient(Grad("tile", {{"reps", "(2,1,3)"}}, {{2, 3}}));
  CheckGradient(Grad("repeat", {{"repeats", "3"}, {"axis", "1"}}, {{2, 2, 3}}));
  CheckGradient(Grad("repeat", {{"repeats", "2"}}, {{2, 3}}));
  CheckGradient(Grad("repeat", {{"repeats", "0"}, {"axis", "0"}}, {{2, 3}}));
}

// ---- Concat / stack / SliceChannel ------------------------------------------------------------------------------
TEST(OpShape, ConcatStack) {
  auto a = FromVec({2, 2}, {1, 2, 3, 4}), b = FromVec({2, 1}, {5, 6}), c = FromVec({2, 3}, {7, 8, 9, 10, 11, 12});
  auto y = mxct::Run("Concat", {a, b, c}, {{"num_args", "3"}})[0];  // dim=1 by default
  EXPECT_EQ(y.shape(), (TShape{2, 6}));
  ExpectNear(ToVec(y), {1, 2, 5, 7, 8, 9, 3, 4, 6, 10, 11, 12});
  y = mxct::Run("concat", {a, a}, {{"num_args", "2"}, {"dim", "0"}})[0];
  EXPECT_EQ(y.shape(), (TShape{4, 2}));
  ExpectNear(ToVec(y), {1, 2, 3, 4, 1, 2, 3, 4});
  EXPECT_EQ(mxct::Run("Concat", {a, b}, {{"num_args", "2"}, {"dim", "-1"}})[0].shape(), (TShape{2, 3}));
  auto e = FromVec({2, 0}, {});
  y = mxct::Run("Concat", {a, e}, {{"num_args", "2"}})[0];  // an empty input
  EXPECT_EQ(y.shape(), (TShape{2, 2}));
  ExpectNear(ToVec(y), {1, 2, 3, 4});
  ExpectError("Concat", {a, FromVec({3, 1}, {1, 2, 3})}, {{"num_args", "2"}}, ErrorKind::kShape,
              {"Concat", "arg1", "(3,1)", "(2,2)", "dim=1"});
  ExpectError("Concat", {a, FromVec({4}, Iota(4))}, {{"num_args", "2"}}, ErrorKind::kShape, {"Concat", "(4,)"});
  ExpectError("Concat", {a, a}, {{"num_args", "3"}}, ErrorKind::kValue, {"Concat", "3 input"});
  ExpectError("Concat", {a, a}, {}, ErrorKind::kValue, {"Concat", "num_args"});
  auto s = mxct::Run("stack", {a, a}, {{"num_args", "2"}, {"axis", "-1"}})[0];
  EXPECT_EQ(s.shape(), (TShape{2, 2, 2}));
  ExpectNear(ToVec(s), {1, 1, 2, 2, 3, 3, 4, 4});
  s = mxct::Run("stack", {a, FromVec({2, 2}, {5, 6, 7, 8})}, {{"num_args", "2"}})[0];
  EXPECT_EQ(s.shape(), (TShape{2, 2, 2}));
  ExpectNear(ToVec(s), {1, 2, 3, 4, 5, 6, 7, 8});
  s = mxct::Run("stack", {a, FromVec({2, 2}, {5, 6, 7, 8})}, {{"num_args", "2"}, {"axis", "1"}})[0];
  ExpectNear(ToVec(s), {1, 2, 5, 6, 3, 4, 7, 8});
  ExpectError("stack", {a, b}, {{"num_args", "2"}}, ErrorKind::kShape, {"stack", "arg1", "(2,1)", "(2,2)"});
  ExpectError("stack", {a, a}, {{"num_args", "2"}, {"axis", "3"}}, ErrorKind::kShape, {"stack", "axis=3"});
  // Integer dtypes copy as they are.
  auto i1 = FromVec({2}, {1, 2}, mxc::kInt64), i2 = FromVec({1}, {3}, mxc::kInt64);
  ExpectNear(ToVec(mxct::Run("Concat", {i1, i2}, {{"num_args", "2"}, {"dim", "0"}})[0]), {1, 2, 3});
  GradCase g = Grad("Concat", {{"num_args", "3"}, {"dim", "1"}}, {{2, 2, 3}, {2, 1, 3}, {2, 3, 3}});
  CheckGradient(g);
  CheckGradient(Grad("Concat", {{"num_args", "2"}, {"dim", "0"}}, {{1, 3}, {2, 3}}));
  CheckGradient(Grad("stack", {{"num_args", "3"}, {"axis", "1"}}, {{2, 3}, {2, 3}, {2, 3}}));
}

TEST(OpShape, SliceChannel) {
  auto a = Arange({2, 3, 4});
  auto outs = mxct::Run("SliceChannel", {a}, {{"num_outputs", "3"}});  // axis=1
  ASSERT_EQ(outs.size(), 3u);
  EXPECT_EQ(outs[1].shape(), (TShape{2, 1, 4}));
  ExpectNear(ToVec(outs[1]), {4, 5, 6, 7, 16, 17, 18, 19});
  outs = mxct::Run("split", {a}, {{"num_outputs", "3"}, {"axis", "1"}, {"squeeze_axis", "1"}});
  EXPECT_EQ(outs[2].shape(), (TShape{2, 4}));
  ExpectNear(ToVec(outs[2]), {8, 9, 10, 11, 20, 21, 22, 23});
  outs = mxct::Run("split", {a}, {{"num_outputs", "2"}, {"axis", "-1"}});
  ASSERT_EQ(outs.size(), 2u);
  EXPECT_EQ(outs[0].shape(), (TShape{2, 3, 2}));
  ExpectNear(ToVec(outs[1]), {2, 3, 6, 7, 10, 11, 14, 15, 18, 19, 22, 23});
  ExpectError("SliceChannel", {a}, {{"num_outputs", "2"}}, ErrorKind::kShape,
              {"SliceChannel", "(2,3,4)", "num_outputs=2"});
  ExpectError("split", {a}, {{"num_outputs", "2"}, {"axis", "-1"}, {"squeeze_axis", "1"}}, ErrorKind::kShape,
              {"SliceChannel", "squeeze_axis"});
  ExpectError("split", {a}, {}, ErrorKind::kValue, {"SliceChannel", "num_outputs"});
  CheckGradient(Grad("SliceChannel", {{"num_outputs", "2"}, {"axis", "-1"}}, {{2, 3, 4}}));
  CheckGradient(Grad("SliceChannel", {{"num_outputs", "3"}, {"axis", "0"}, {"squeeze_axis", "1"}}, {{3, 2}}));
}

// A gradient that is not wanted (req kNullOp) may come as an empty blob: backward must neither read its shape nor
// write it, and must still compute the other inputs' gradients.
TEST(OpShape, BackwardSkipsUnwantedGradients) {
  struct C {
    std::string op;
    Params p;
    std::vector<TShape> shapes;
  };
  std::vector<C> cases = {
      {"sum", {{"axis", "1"}}, {{2, 3}}},
      {"mean", {{"axis", "0"}}, {{2, 3}}},
      {"max", {{"axis", "1"}}, {{2, 3}}},
      {"prod", {{"axis", "(0,1)"}}, {{2, 3}}},
      {"norm", {{"axis", "1"}}, {{2, 3}}},
      {"argmax", {{"axis", "1"}}, {{2, 3}}},
      {"Reshape", {{"shape", "(3,2)"}}, {{2, 3}}},
      {"transpose", {}, {{2, 3}}},
      {"slice", {{"begin", "(0,1)"}, {"end", "(2,3)"}}, {{2, 3}}},
      {"slice_axis", {{"axis", "1"}, {"begin", "1"}, {"end", "None"}}, {{2, 3}}},
      {"broadcast_to", {{"shape", "(2,3)"}}, {{1, 3}}},
      {"tile", {{"reps", "(2,)"}}, {{2, 3}}},
      {"repeat", {{"repeats", "2"}, {"axis", "1"}}, {{2, 3}}},
      {"Concat", {{"num_args", "2"}}, {{2, 3}, {2, 1}}},
      {"stack", {{"num_args", "2"}}, {{2, 3}, {2, 3}}},
      {"SliceChannel", {{"num_outputs", "3"}}, {{2, 3}}},
      {"dot", {}, {{2, 3}, {3, 2}}},
      {"batch_dot", {}, {{2, 2, 3}, {2, 3, 2}}},
      {"take", {}, {{2, 3}, {2}}},
      {"pick", {}, {{2, 3}, {2}}},
      {"one_hot", {{"depth", "3"}}, {{2}}},
      {"where", {}, {{2, 3}, {2, 3}, {2, 3}}},
      {"gather_nd", {}, {{2, 3}, {1, 2}}},
  };
  for (auto &c : cases) {
    SCOPED_TRACE(c.op);
    const mxc::Op *op = mxc::OpRegistry::Get()->FindOrThrow(c.op);
    mxc::OpParams prm(op, c.p);
    std::vector<NDArray> ins;
    for (auto &s : c.shapes) ins.push_back(FromVec(s, std::vector<double>(mxc::ShapeSize(s), 1.0)));
    auto outs = mxct::Run(c.op, ins, c.p);
    std::vector<mxc::TBlob> og, id, od, ig(ins.size());
    std::vector<NDArray> heads;
    for (auto &o : outs) {
      heads.push_back(FromVec(o.shape(), std::vector<double>(o.Size(), 1.0)));
      og.push_back(heads.back().blob());
      od.push_back(o.blob());
    }
    for (auto &a : ins) id.push_back(a.blob());
    std::vector<mxc::OpReq> req(ins.size(), mxc::kNullOp);
    EXPECT_NO_THROW(op->backward.at(MXC_CPU)(mxc::OpContext(), prm, og, id, od, req, ig));
  }
  // Concat: only the second input's gradient is wanted.
  const mxc::Op *op = mxc::OpRegistry::Get()->FindOrThrow("Concat");
  mxc::OpParams prm(op, {{"num_args", "2"}});
  auto a = FromVec({2, 2}, Iota(4)), b = FromVec({2, 1}, Iota(2));
  auto og = FromVec({2, 3}, {1, 2, 3, 4, 5, 6}), gb = FromVec({2, 1}, {0, 0});
  op->backward.at(MXC_CPU)(mxc::OpContext(), prm, {og.blob()}, {a.blob(), b.blob()}, {mxc::TBlob()},
                           {mxc::kNullOp, mxc::kWriteTo}, {mxc::TBlob(), gb.blob()});
  ExpectNear(ToVec(gb), {3, 6});
}
