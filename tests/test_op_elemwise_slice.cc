// Slice assignment (_slice_assign, _slice_assign_scalar): Python slicing semantics against a reference modelled on
// CPython's slice index adjustment, every dtype, in-place use, overlapping views, errors and gradients.
#include <cmath>
#include <cstring>
#include <random>

#include "test_op_elemwise_common.h"

namespace {

using namespace mxct;
using mxc::ErrorKind;
using mxc::kNoneInt;

// The indices Python's list(range(n))[b:e:s] selects (CPython's PySlice_AdjustIndices logic).
std::vector<int64_t> PyIndices(int64_t n, int64_t b, int64_t e, int64_t s) {
  int64_t step = s == kNoneInt ? 1 : s;
  int64_t lower = step > 0 ? 0 : -1, upper = step > 0 ? n : n - 1;
  auto adjust = [&](int64_t v, int64_t dflt) {
    if (v == kNoneInt) return dflt;
    if (v < 0) return std::max(v + n, lower);
    return std::min(v, upper);
  };
  int64_t start = adjust(b, step > 0 ? lower : upper), stop = adjust(e, step > 0 ? upper : lower);
  std::vector<int64_t> r;
  for (int64_t i = start; step > 0 ? i < stop : i > stop; i += step) r.push_back(i);
  return r;
}

std::string Tup(const std::vector<int64_t> &t) {
  std::string s = "(";
  for (size_t i = 0; i < t.size(); ++i) s += (i ? "," : "") + (t[i] == kNoneInt ? "None" : std::to_string(t[i]));
  return s + ")";
}

struct Slice {
  std::vector<int64_t> begin, end, step;
  Params params() const { return {{"begin", Tup(begin)}, {"end", Tup(end)}, {"step", Tup(step)}}; }
};

// Expected result of lhs[slice] = values (values in region order) for a row-major array of `shape`; returns the
// region shape.
TShape Reference(const TShape &shape, const Slice &sl, std::vector<double> *arr, const std::vector<double> *values,
                 double scalar) {
  const int nd = shape.ndim();
  std::vector<std::vector<int64_t>> idx(nd);
  TShape region(nd);
  for (int d = 0; d < nd; ++d) {
    if (d < static_cast<int>(sl.begin.size()))
      idx[d] = PyIndices(shape[d], sl.begin[d], sl.end[d], sl.step.empty() ? kNoneInt : sl.step[d]);
    else
      for (int64_t i = 0; i < shape[d]; ++i) idx[d].push_back(i);
    region[d] = static_cast<int64_t>(idx[d].size());
  }
  int64_t total = mxc::ShapeSize(region);
  std::vector<int64_t> pos(nd, 0);
  for (int64_t q = 0; q < total; ++q) {
    int64_t r = q, off = 0;
    for (int d = nd - 1; d >= 0; --d) {
      pos[d] = r % region[d];
      r /= region[d];
    }
    for (int d = 0; d < nd; ++d) off = off * shape[d] + idx[d][pos[d]];
    (*arr)[off] = values ? (*values)[q] : scalar;
  }
  return region;
}

Slice RandomSlice(std::mt19937_64 &g, const TShape &shape) {
  std::uniform_int_distribution<int> nidx(0, shape.ndim()), pick(0, 9);
  Slice s;
  int k = nidx(g);
  bool with_step = pick(g) < 7;
  for (int d = 0; d < k; ++d) {
    int64_t n = shape[d];
    auto bound = [&]() -> int64_t {
      int c = pick(g);
      if (c < 2) return kNoneInt;
      std::uniform_int_distribution<int64_t> v(-n - 2, n + 2);
      return v(g);
    };
    s.begin.push_back(bound());
    s.end.push_back(bound());
    if (with_step) {
      static const int64_t steps[] = {1, 2, 3, -1, -2, -3, kNoneInt, 1, 1, -1};
      s.step.push_back(steps[pick(g)]);
    }
  }
  return s;
}

TEST(SliceAssign, RandomSlicesMatchPython) {
  std::mt19937_64 g(2024);
  const TShape shape{4, 5, 6};
  int nonempty = 0;
  for (int trial = 0; trial < 300; ++trial) {
    Slice sl = RandomSlice(g, shape);
    SCOPED_TRACE("begin " + Tup(sl.begin) + " end " + Tup(sl.end) + " step " + Tup(sl.step));
    auto lhsv = Uniform(mxc::ShapeSize(shape), -1, 1, trial);
    std::vector<double> expect = lhsv;
    std::vector<double> scratch = lhsv;
    TShape region = Reference(shape, sl, &scratch, nullptr, 0);  // the region's shape
    auto rhsv = Uniform(mxc::ShapeSize(region), 5, 6, trial + 1000);
    Reference(shape, sl, &expect, &rhsv, 0);
    auto expect_scalar = lhsv;
    Reference(shape, sl, &expect_scalar, nullptr, 7.5);
    auto lhs = FromVec(shape, lhsv, mxc::kFloat64);
    auto sc = mxct::Run("_slice_assign_scalar", {lhs}, [&] {
      auto p = sl.params();
      p.push_back({"scalar", "7.5"});
      return p;
    }())[0];
    EXPECT_EQ(ToVec(sc), expect_scalar);
    if (mxc::ShapeSize(region) == 0) continue;
    ++nonempty;
    auto out = mxct::Run("_slice_assign", {lhs, FromVec(region, rhsv, mxc::kFloat64)}, sl.params());
    ASSERT_EQ(out[0].shape(), shape);
    EXPECT_EQ(ToVec(out[0]), expect);
    EXPECT_EQ(ToVec(lhs), lhsv);  // the input is not modified
  }
  EXPECT_GT(nonempty, 100);
}

TEST(SliceAssign, HandWrittenCases) {
  // x = zeros((4, 5)); x[1:3] = 7
  auto z = FromVec({4, 5}, std::vector<double>(20, 0));
  auto r = ToVec(mxct::Run("_slice_assign_scalar", {z}, {{"scalar", "7"}, {"begin", "(1,)"}, {"end", "(3,)"}})[0]);
  for (int i = 0; i < 20; ++i) EXPECT_EQ(r[i], (i >= 5 && i < 15) ? 7 : 0) << i;
  // x[-1::-1, ::2] = 7 covers every row, columns 0, 2, 4
  r = ToVec(mxct::Run("_slice_assign_scalar", {z},
                      {{"scalar", "7"}, {"begin", "(-1,None)"}, {"end", "(None,None)"}, {"step", "(-1,2)"}})[0]);
  for (int i = 0; i < 20; ++i) EXPECT_EQ(r[i], (i % 5) % 2 == 0 ? 7 : 0) << i;
  // x[3:1:-2, 4:0:-2] = [[1, 2]] -> element (3,4) = 1, (3,2) = 2
  auto out = ToVec(mxct::Run("_slice_assign", {z, FromVec({1, 2}, {1, 2})},
                             {{"begin", "(3,4)"}, {"end", "(1,0)"}, {"step", "(-2,-2)"}})[0]);
  std::vector<double> e(20, 0);
  e[3 * 5 + 4] = 1;
  e[3 * 5 + 2] = 2;
  EXPECT_EQ(out, e);
  // The aliases.
  EXPECT_EQ(mxc::OpRegistry::Get()->Find("_crop_assign"), mxc::OpRegistry::Get()->Find("_slice_assign"));
  EXPECT_EQ(mxc::OpRegistry::Get()->Find("_crop_assign_scalar"),
            mxc::OpRegistry::Get()->Find("_slice_assign_scalar"));
  // step given as [] (MXNet's default spelling) and begin=None.
  r = ToVec(mxct::Run("_slice_assign_scalar", {z}, {{"scalar", "1"}, {"begin", "None"}, {"end", "None"},
                                                   {"step", "[]"}})[0]);
  EXPECT_EQ(r, std::vector<double>(20, 1.0));
}

TEST(SliceAssign, AllDtypes) {
  for (int dtype : {mxc::kFloat32, mxc::kFloat64, mxc::kUint8, mxc::kInt32, mxc::kInt8, mxc::kInt64, mxc::kBool}) {
    SCOPED_TRACE(mxc::DTypeName(dtype));
    std::vector<double> base = {1, 0, 1, 0, 1, 0};
    auto lhs = FromVec({2, 3}, base, dtype);
    auto out = mxct::Run("_slice_assign", {lhs, FromVec({2, 1}, {1, 0}, dtype)},
                         {{"begin", "(None,1)"}, {"end", "(None,2)"}})[0];
    EXPECT_EQ(out.dtype(), dtype);
    EXPECT_EQ(ToVec(out), (std::vector<double>{1, 1, 1, 0, 0, 0}));
    auto s = mxct::Run("_slice_assign_scalar", {lhs}, {{"scalar", "1"}, {"begin", "(1,)"}, {"end", "(2,)"}})[0];
    EXPECT_EQ(ToVec(s), (std::vector<double>{1, 0, 1, 1, 1, 1}));
  }
  // The scalar converts to the dtype: 2.7 -> 2 for int32, -1 -> 255 for uint8.
  auto i = FromVec({3}, {0, 0, 0}, mxc::kInt32);
  EXPECT_EQ(ToVec(mxct::Run("_slice_assign_scalar", {i}, {{"scalar", "2.7"}, {"begin", "(1,)"}, {"end", "(None,)"}})[0]),
            (std::vector<double>{0, 2, 2}));
  auto u = FromVec({2}, {0, 0}, mxc::kUint8);
  EXPECT_EQ(ToVec(mxct::Run("_slice_assign_scalar", {u}, {{"scalar", "-1"}, {"begin", "(0,)"}, {"end", "(1,)"}})[0]),
            (std::vector<double>{255, 0}));
  // float16 through Cast.
  auto h = mxct::Run("Cast", {FromVec({4}, {1, 2, 3, 4})}, {{"dtype", "float16"}})[0];
  auto hs = mxct::Run("_slice_assign_scalar", {h}, {{"scalar", "0.5"}, {"begin", "(1,)"}, {"end", "(3,)"}})[0];
  EXPECT_EQ(ToVec(mxct::Run("Cast", {hs}, {{"dtype", "float32"}})[0]), (std::vector<double>{1, 0.5, 0.5, 4}));
}

TEST(SliceAssign, InPlaceAndOverlappingViews) {
  std::vector<double> v = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11};
  auto x = FromVec({4, 3}, v);
  RunInto("_slice_assign", {x, FromVec({1, 3}, {-1, -2, -3})}, {x}, {{"begin", "(1,)"}, {"end", "(2,)"}});
  EXPECT_EQ(ToVec(x), (std::vector<double>{0, 1, 2, -1, -2, -3, 6, 7, 8, 9, 10, 11}));
  RunInto("_slice_assign_scalar", {x}, {x}, {{"scalar", "9"}, {"begin", "(0,0)"}, {"end", "(4,1)"}});
  EXPECT_EQ(ToVec(x), (std::vector<double>{9, 1, 2, 9, -2, -3, 9, 7, 8, 9, 10, 11}));
  // x[1:3] = x[0:2]: the source is a view overlapping the destination.
  auto y = FromVec({4, 3}, v);
  RunInto("_slice_assign", {y, y.Slice(0, 2)}, {y}, {{"begin", "(1,)"}, {"end", "(3,)"}});
  EXPECT_EQ(ToVec(y), (std::vector<double>{0, 1, 2, 0, 1, 2, 3, 4, 5, 9, 10, 11}));
  // Large (parallel path), strided.
  const int64_t n = 256;
  std::vector<double> big(n * n, 1.0), ref = big;
  auto b = FromVec({n, n}, big);
  RunInto("_slice_assign_scalar", {b}, {b}, {{"scalar", "3"}, {"begin", "(None,1)"}, {"end", "(None,None)"},
                                              {"step", "(1,2)"}});
  for (int64_t r = 0; r < n; ++r)
    for (int64_t c = 1; c < n; c += 2) ref[r * n + c] = 3;
  EXPECT_EQ(ToVec(b), ref);
}

TEST(SliceAssign, Errors) {
  auto x = FromVec({4, 5}, std::vector<double>(20, 0));
  ExpectError([&] { mxct::Run("_slice_assign", {x, FromVec({2, 3}, std::vector<double>(6, 1))},
                              {{"begin", "(0,0)"}, {"end", "(2,2)"}}); },
              ErrorKind::kShape, {"_slice_assign", "(2,3)", "(2,2)", "(4,5)"});
  ExpectError([&] { mxct::Run("_slice_assign", {x, FromVec({2}, {1, 1})}, {{"begin", "(0,)"}, {"end", "(2,)"}}); },
              ErrorKind::kShape, {"_slice_assign", "(2,)", "(2,5)"});
  ExpectError([&] { mxct::Run("_slice_assign_scalar", {x}, {{"begin", "(0,0)"}, {"end", "(2,)"}}); },
              ErrorKind::kValue, {"_slice_assign_scalar", "begin", "end"});
  ExpectError([&] { mxct::Run("_slice_assign_scalar", {x}, {{"begin", "(0,0,0)"}, {"end", "(1,1,1)"}}); },
              ErrorKind::kIndex, {"_slice_assign_scalar", "(4,5)"});
  ExpectError([&] { mxct::Run("_slice_assign_scalar", {x}, {{"begin", "(0,)"}, {"end", "(2,)"}, {"step", "(0,)"}}); },
              ErrorKind::kValue, {"_slice_assign_scalar", "step"});
  ExpectError([&] { mxct::Run("_slice_assign_scalar", {x}, {{"begin", "(0,)"}}); }, ErrorKind::kValue,
              {"_slice_assign_scalar", "end"});
  ExpectError([&] { mxct::Run("_slice_assign", {x}, {{"begin", "(0,)"}, {"end", "(1,)"}}); }, ErrorKind::kValue,
              {"_slice_assign"});
  ExpectError([&] { mxct::Run("_slice_assign", {x, FromVec({1, 5}, std::vector<double>(5, 1), mxc::kInt32)},
                              {{"begin", "(0,)"}, {"end", "(1,)"}}); },
              ErrorKind::kType, {"_slice_assign"});
}

TEST(SliceAssign, Gradients) {
  GradCase g;
  g.op = "_slice_assign";
  g.params = {{"begin", "(1,None)"}, {"end", "(None,None)"}, {"step", "(2,-2)"}};
  g.shapes = {{5, 6}, {2, 3}};  // rows 1, 3; columns 5, 3, 1
  CheckGradient(g);
  g.params = {{"begin", "(1,)"}, {"end", "(3,)"}};
  g.shapes = {{4, 3}, {2, 3}};
  CheckGradient(g);
  GradCase s;
  s.op = "_slice_assign_scalar";
  s.params = {{"scalar", "2"}, {"begin", "(None,1)"}, {"end", "(None,3)"}};
  s.shapes = {{3, 4}};
  CheckGradient(s);
  // Only d rhs requested, with an empty blob for d lhs.
  const mxc::Op *op = mxc::OpRegistry::Get()->Find("_slice_assign");
  auto og = FromVec({2, 2}, {1, 2, 3, 4}), grhs = FromVec({1, 2}, {10, 10});
  mxc::OpContext ctx;
  op->backward.at(MXC_CPU)(ctx, mxc::OpParams(op, {{"begin", "(1,)"}, {"end", "(2,)"}}), {og.blob()}, {}, {},
                           {mxc::kNullOp, mxc::kAddTo}, {mxc::TBlob(), grhs.blob()});
  EXPECT_EQ(ToVec(grhs), (std::vector<double>{13, 14}));
}

}  // namespace
