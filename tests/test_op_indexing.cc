// Indexing operators: take, pick, gather_nd, one_hot, where. Values against hand-computed results (several
// taken from MXNet 1.9 for the same inputs) and reference loops; gradients by finite differences; errors.
#include "test_op_tensor_common.h"

using namespace mxct;
using mxc::ErrorKind;
using mxc::TShape;

namespace {

NDArray Arange(const TShape &s, int dtype = mxc::kFloat32) { return FromVec(s, Iota(mxc::ShapeSize(s)), dtype); }

// Sets the values of input k (a float64 array) after the harness's random initialisation.
std::function<void(std::vector<NDArray> &)> SetInput(int k, std::vector<double> v) {
  return [k, v](std::vector<NDArray> &ins) {
    double *p = ins[k].blob().ptr<double>();
    std::copy(v.begin(), v.end(), p);
  };
}

}  // namespace

TEST(OpIndexing, TakeHandComputed) {
  auto a = Arange({2, 3, 4});
  auto y = mxct::Run("take", {a, FromVec({2, 2}, {-1, 5, 0, 1})}, {{"axis", "1"}})[0];  // clip
  EXPECT_EQ(y.shape(), (TShape{2, 2, 2, 4}));
  ExpectNear(ToVec(y), {0, 1, 2, 3, 8, 9, 10, 11, 0, 1, 2, 3, 4, 5, 6, 7,
                        12, 13, 14, 15, 20, 21, 22, 23, 12, 13, 14, 15, 16, 17, 18, 19});
  y = mxct::Run("take", {a, FromVec({2}, {-1, 5})}, {{"axis", "1"}, {"mode", "wrap"}})[0];
  EXPECT_EQ(y.shape(), (TShape{2, 2, 4}));
  ExpectNear(ToVec(y), {8, 9, 10, 11, 8, 9, 10, 11, 20, 21, 22, 23, 20, 21, 22, 23});
  y = mxct::Run("take", {a, FromVec({2}, {2, 1}, mxc::kInt32)}, {{"axis", "-1"}})[0];
  EXPECT_EQ(y.shape(), (TShape{2, 3, 2}));
  EXPECT_EQ(y.dtype(), mxc::kFloat32);
  ExpectNear(ToVec(y), {2, 1, 6, 5, 10, 9, 14, 13, 18, 17, 22, 21});
  ExpectNear(ToVec(mxct::Run("take", {Arange({5}), FromVec({2}, {1.7, -0.5})})[0]), {1, 0});  // truncated
  y = mxct::Run("take", {FromVec({3}, {1, 2, 3}), FromVec({1, 2}, {0, 2})}, {{"axis", "-1"}})[0];
  EXPECT_EQ(y.shape(), (TShape{1, 2}));
  ExpectNear(ToVec(y), {1, 3});
  // Embedding-style: rows of an int64 table.
  auto t = mxct::Run("take", {Arange({4, 2}, mxc::kInt64), FromVec({3}, {3, 0, 3})})[0];
  EXPECT_EQ(t.dtype(), mxc::kInt64);
  ExpectNear(ToVec(t), {6, 7, 0, 1, 6, 7});
}

TEST(OpIndexing, TakeAgainstReference) {
  TShape s{3, 4, 5};
  auto a = Random(s, -1, 1, mxc::kFloat64, 9);
  auto av = ToVec(a);
  std::vector<double> idx = {0, 3, -2, 7, 1, 4, -6};
  for (int axis = 0; axis < 3; ++axis)
    for (std::string mode : {"clip", "wrap"}) {
      SCOPED_TRACE("axis=" + std::to_string(axis) + " mode=" + mode);
      auto y = mxct::Run("take", {a, FromVec({7}, idx)}, {{"axis", std::to_string(axis)}, {"mode", mode}})[0];
      TShape os = s;
      os[axis] = 7;
      EXPECT_EQ(y.shape(), os);
      std::vector<double> want(mxc::ShapeSize(os));
      for (int64_t o = 0; o < static_cast<int64_t>(want.size()); ++o) {
        auto oi = Unravel(o, os);
        int64_t j = static_cast<int64_t>(idx[oi[axis]]), n = s[axis];
        j = mode == "clip" ? std::min<int64_t>(std::max<int64_t>(j, 0), n - 1) : ((j % n) + n) % n;
        oi[axis] = j;
        want[o] = av[Ravel(oi, s)];
      }
      ExpectNear(ToVec(y), want, 0, 0);
    }
}

TEST(OpIndexing, TakeErrorsAndGradient) {
  auto a = Arange({2, 3, 4});
  ExpectError("take", {a, FromVec({2}, {-1, 5})}, {{"axis", "1"}, {"mode", "raise"}}, ErrorKind::kIndex,
              {"take", "index -1", "size 3"});
  ExpectError("take", {a, FromVec({1}, {0})}, {{"axis", "3"}}, ErrorKind::kShape, {"take", "axis=3", "(2,3,4)"});
  ExpectError("take", {a, FromVec({1}, {0})}, {{"mode", "nearest"}}, ErrorKind::kValue, {"take", "mode"});
  ExpectError("take", {a, FromVec({1}, {0}, mxc::kBool)}, {}, ErrorKind::kType, {"take", "indices", "bool"});
  GradCase c;
  c.op = "take";
  c.params = {{"axis", "1"}};
  c.shapes = {TShape{2, 3, 2}, TShape{2, 2}};
  c.no_grad = {1};
  c.fill = SetInput(1, {2, 0, 2, 2});  // repeated indices accumulate
  CheckGradient(c);
  c.params = {{"axis", "0"}, {"mode", "wrap"}};
  c.fill = SetInput(1, {-1, 4, 0, 1});
  CheckGradient(c);
}

TEST(OpIndexing, Pick) {
  auto a = Arange({2, 3, 4});
  auto y = mxct::Run("pick", {a, FromVec({2, 3}, {0, 1, 2, 3, 9, -1})})[0];  // axis -1, clip
  EXPECT_EQ(y.shape(), (TShape{2, 3}));
  ExpectNear(ToVec(y), {0, 5, 10, 15, 19, 20});
  y = mxct::Run("pick", {a, FromVec({2, 4}, {0, 1, 2, 0, 1, 2, 0, 1})}, {{"axis", "1"}, {"keepdims", "1"}})[0];
  EXPECT_EQ(y.shape(), (TShape{2, 1, 4}));
  ExpectNear(ToVec(y), {0, 5, 10, 3, 16, 21, 14, 19});
  y = mxct::Run("pick", {a, FromVec({2, 3}, {-1, 4, 5, 0, 1, 2})}, {{"mode", "wrap"}})[0];
  ExpectNear(ToVec(y), {3, 4, 9, 12, 17, 22});
  y = mxct::Run("pick", {a, FromVec({2, 1, 4}, {0, 1, 2, 0, 1, 2, 0, 1})}, {{"axis", "1"}})[0];  // keepdims index
  EXPECT_EQ(y.shape(), (TShape{2, 4}));
  ExpectNear(ToVec(y), {0, 5, 10, 3, 16, 21, 14, 19});
  y = mxct::Run("pick", {a, FromVec({1}, {17})}, {{"axis", "None"}})[0];
  ExpectNear(ToVec(y), {17});
  ExpectError("pick", {a, FromVec({3, 2}, Iota(6))}, {}, ErrorKind::kShape, {"pick", "(3,2)", "(2,3)", "(2,3,4)"});
  ExpectError("pick", {a, FromVec({2, 3}, Iota(6))}, {{"axis", "3"}}, ErrorKind::kShape, {"pick", "axis=3"});
  GradCase c;
  c.op = "pick";
  c.params = {{"axis", "1"}};
  c.shapes = {TShape{2, 3, 2}, TShape{2, 2}};
  c.no_grad = {1};
  c.fill = SetInput(1, {2, 0, 1, 1});
  CheckGradient(c);
}

TEST(OpIndexing, GatherNd) {
  auto a = Arange({2, 3, 4});
  auto y = mxct::Run("gather_nd", {a, FromVec({2, 2}, {0, 1, 2, 0})})[0];  // tuples (0,2) and (1,0)
  EXPECT_EQ(y.shape(), (TShape{2, 4}));
  ExpectNear(ToVec(y), {8, 9, 10, 11, 12, 13, 14, 15});
  y = mxct::Run("gather_nd", {a, FromVec({3, 2}, {1, 0, 2, -1, 3, 0})})[0];  // full tuples; -1 counts from the end
  EXPECT_EQ(y.shape(), (TShape{2}));
  ExpectNear(ToVec(y), {23, 8});  // a[1,2,3] and a[0,2,0]
  y = mxct::Run("gather_nd", {a, FromVec({1}, {1})})[0];
  EXPECT_EQ(y.shape(), (TShape{3, 4}));
  ExpectNear(ToVec(y), Iota(12, 12));
  ExpectError("gather_nd", {a, FromVec({2, 1}, {2, 0})}, {}, ErrorKind::kIndex, {"gather_nd", "index 2", "(2,3,4)"});
  ExpectError("gather_nd", {a, FromVec({4, 1}, {0, 0, 0, 0})}, {}, ErrorKind::kShape, {"gather_nd", "(4,1)"});
  GradCase c;
  c.op = "gather_nd";
  c.shapes = {TShape{3, 2, 2}, TShape{2, 3}};
  c.no_grad = {1};
  c.fill = SetInput(1, {0, 2, 0, 1, 1, 1});  // (0,1) twice and (2,1)
  CheckGradient(c);
}

TEST(OpIndexing, OneHot) {
  auto y = mxct::Run("one_hot", {FromVec({4}, {1, -1, 5, 2.7})}, {{"depth", "4"}})[0];
  EXPECT_EQ(y.shape(), (TShape{4, 4}));
  EXPECT_EQ(y.dtype(), mxc::kFloat32);
  ExpectNear(ToVec(y), {0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0});
  y = mxct::Run("one_hot", {FromVec({1, 2}, {1, 0})},
                {{"depth", "3"}, {"on_value", "5"}, {"off_value", "-1"}, {"dtype", "int32"}})[0];
  EXPECT_EQ(y.shape(), (TShape{1, 2, 3}));
  EXPECT_EQ(y.dtype(), mxc::kInt32);
  ExpectNear(ToVec(y), {-1, 5, -1, 5, -1, -1});
  y = mxct::Run("one_hot", {FromVec({2}, {0, 1}, mxc::kInt64)}, {{"depth", "2"}, {"dtype", "float64"}})[0];
  EXPECT_EQ(y.dtype(), mxc::kFloat64);
  ExpectNear(ToVec(y), {1, 0, 0, 1});
  ExpectError("one_hot", {FromVec({2}, {0, 1})}, {}, ErrorKind::kValue, {"one_hot", "depth", "missing"});
  ExpectError("one_hot", {FromVec({2}, {0, 1})}, {{"depth", "-2"}}, ErrorKind::kValue, {"one_hot", "depth=-2"});
  ExpectError("one_hot", {FromVec({2}, {0, 1})}, {{"depth", "2"}, {"dtype", "float16"}}, ErrorKind::kType,
              {"one_hot", "float16"});
}

TEST(OpIndexing, Where) {
  auto x = FromVec({2, 3}, {1, 2, 3, 4, 5, 6}), y = FromVec({2, 3}, {-1, -2, -3, -4, -5, -6});
  auto o = mxct::Run("where", {FromVec({2}, {1, 0}), x, y})[0];  // one condition per row
  EXPECT_EQ(o.shape(), (TShape{2, 3}));
  ExpectNear(ToVec(o), {1, 2, 3, -4, -5, -6});
  o = mxct::Run("where", {FromVec({2, 3}, {0, 1, 0, 2, 0, -1}, mxc::kInt32), x, y})[0];
  ExpectNear(ToVec(o), {-1, 2, -3, 4, -5, 6});
  o = mxct::Run("where", {FromVec({2, 3}, {1, 0, 0, 0, 0, 1}, mxc::kBool), x, y})[0];
  ExpectNear(ToVec(o), {1, -2, -3, -4, -5, 6});
  auto xi = FromVec({3}, {7, 8, 9}, mxc::kInt64), yi = FromVec({3}, {0, 0, 0}, mxc::kInt64);
  o = mxct::Run("where", {FromVec({3}, {0, 1, 1}), xi, yi})[0];
  EXPECT_EQ(o.dtype(), mxc::kInt64);
  ExpectNear(ToVec(o), {0, 8, 9});
  ExpectError("where", {FromVec({3}, {1, 0, 1}), x, y}, {}, ErrorKind::kShape, {"where", "condition", "(3,)", "(2,3)"});
  ExpectError("where", {FromVec({2}, {1, 0}), x, FromVec({3, 2}, Iota(6))}, {}, ErrorKind::kShape,
              {"where", "(3,2)", "(2,3)"});
  ExpectError("where", {FromVec({2}, {1, 0}), x, FromVec({2, 3}, Iota(6), mxc::kFloat64)}, {}, ErrorKind::kType,
              {"where", "y"});
  for (TShape cs : {TShape{2, 3}, TShape{2}}) {
    GradCase c;
    c.op = "where";
    c.shapes = {cs, TShape{2, 3}, TShape{2, 3}};
    c.no_grad = {0};
    c.fill = cs.ndim() == 2 ? SetInput(0, {1, 0, 0, 1, 1, 0}) : SetInput(0, {0, 3});
    CheckGradient(c);
  }
}
