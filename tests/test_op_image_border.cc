// _cvcopyMakeBorder (mx.image.copyMakeBorder) against values printed by MXNet 1.9.1 (OpenCV 3.4.2) and a naive
// reference of OpenCV's border rules, and its errors.
#include "test_op_nn_util.h"
#include "test_op_tensor_common.h"

namespace {

using namespace mxct;
using mxc::ErrorKind;

// Channel k of an (H, W, C) result as rows.
std::vector<std::vector<double>> Channel(const NDArray &a, int64_t k) {
  const auto s = a.shape();
  const auto v = ToVec(a);
  std::vector<std::vector<double>> out(s[0], std::vector<double>(s[1]));
  for (int64_t r = 0; r < s[0]; ++r)
    for (int64_t c = 0; c < s[1]; ++c) out[r][c] = v[(r * s[1] + c) * s[2] + k];
  return out;
}

void Set(mxct::Params *p, const std::string &k, const std::string &v) {
  for (auto &kv : *p)
    if (kv.first == k) {
      kv.second = v;
      return;
    }
  p->emplace_back(k, v);
}

NDArray Img232(int dtype) { return FromVec({2, 3, 2}, Iota(12), dtype); }

mxct::Params Margins(int top, int bot, int left, int right, int type) {
  return {{"top", std::to_string(top)},
          {"bot", std::to_string(bot)},
          {"left", std::to_string(left)},
          {"right", std::to_string(right)},
          {"type", std::to_string(type)}};
}

// MXNet 1.9.1: copyMakeBorder(arange(12).reshape(2,3,2) as uint8, 1, 2, 3, 1, type=t, value=7), channel 0.
TEST(CopyMakeBorder, BorderTypesAsMXNet) {
  const std::vector<std::vector<std::vector<double>>> expected = {
      {{7, 7, 7, 7, 7, 7, 7}, {7, 7, 7, 0, 2, 4, 7}, {7, 7, 7, 6, 8, 10, 7}, {7, 7, 7, 7, 7, 7, 7},
       {7, 7, 7, 7, 7, 7, 7}},
      {{0, 0, 0, 0, 2, 4, 4}, {0, 0, 0, 0, 2, 4, 4}, {6, 6, 6, 6, 8, 10, 10}, {6, 6, 6, 6, 8, 10, 10},
       {6, 6, 6, 6, 8, 10, 10}},
      {{4, 2, 0, 0, 2, 4, 4}, {4, 2, 0, 0, 2, 4, 4}, {10, 8, 6, 6, 8, 10, 10}, {10, 8, 6, 6, 8, 10, 10},
       {4, 2, 0, 0, 2, 4, 4}},
      {{6, 8, 10, 6, 8, 10, 6}, {0, 2, 4, 0, 2, 4, 0}, {6, 8, 10, 6, 8, 10, 6}, {0, 2, 4, 0, 2, 4, 0},
       {6, 8, 10, 6, 8, 10, 6}},
      {{8, 10, 8, 6, 8, 10, 8}, {2, 4, 2, 0, 2, 4, 2}, {8, 10, 8, 6, 8, 10, 8}, {2, 4, 2, 0, 2, 4, 2},
       {8, 10, 8, 6, 8, 10, 8}}};
  for (int t = 0; t < 5; ++t) {
    for (int iso : {0, 16}) {
      auto params = Margins(1, 2, 3, 1, t + iso);
      Set(&params, "value", "7");
      auto y = mxct::Run("_cvcopyMakeBorder", {Img232(mxc::kUint8)}, params)[0];
      EXPECT_EQ(y.shape(), mxc::TShape({5, 7, 2}));
      EXPECT_EQ(y.dtype(), mxc::kUint8);
      EXPECT_EQ(Channel(y, 0), expected[t]) << "type " << t + iso;
      // channel 1 is channel 0 plus 1 inside and wherever the border copies pixels
      auto c1 = Channel(y, 1);
      for (size_t r = 0; r < c1.size(); ++r)
        for (size_t c = 0; c < c1[r].size(); ++c) {
          const bool border_const = t == 0 && expected[0][r][c] == 7 && !(r == 2 && c == 3);
          EXPECT_EQ(c1[r][c], border_const ? 7 : expected[t][r][c] + 1) << t << " " << r << " " << c;
        }
    }
  }
}

// MXNet 1.9.1 with margins larger than the image (2 x 3): top 3, bot 3, left 4, right 4.
TEST(CopyMakeBorder, WideMarginsAsMXNet) {
  const std::vector<double> reflect_row = {10, 10, 8, 6, 6, 8, 10, 10, 8, 6, 6};
  const std::vector<double> reflect101_row = {6, 8, 10, 8, 6, 8, 10, 8, 6, 8, 10};
  const std::vector<double> wrap_row = {10, 6, 8, 10, 6, 8, 10, 6, 8, 10, 6};
  auto reflect = Channel(mxct::Run("_cvcopyMakeBorder", {Img232(mxc::kUint8)}, Margins(3, 3, 4, 4, 2))[0], 0);
  auto r101 = Channel(mxct::Run("_cvcopyMakeBorder", {Img232(mxc::kUint8)}, Margins(3, 3, 4, 4, 4))[0], 0);
  auto wrap = Channel(mxct::Run("_cvcopyMakeBorder", {Img232(mxc::kUint8)}, Margins(3, 3, 4, 4, 3))[0], 0);
  ASSERT_EQ(reflect.size(), 8u);
  EXPECT_EQ(reflect[0], reflect_row);
  EXPECT_EQ(r101[0], reflect101_row);
  EXPECT_EQ(wrap[0], wrap_row);
  // the rows follow the same rules: 1 1 0 0 | 0 1 | 1 0 0 1 (reflect), 1 0 1 | 0 1 | 0 1 0 (reflect-101, wrap)
  const std::vector<int> reflect_src = {1, 1, 0, 0, 1, 1, 0, 0}, alt_src = {1, 0, 1, 0, 1, 0, 1, 0};
  for (int r = 0; r < 8; ++r) {
    EXPECT_EQ(reflect[r][5], reflect_src[r] ? 8 : 2) << r;
    EXPECT_EQ(r101[r][5], alt_src[r] ? 8 : 2) << r;
    EXPECT_EQ(wrap[r][5], alt_src[r] ? 8 : 2) << r;
  }
}

// MXNet 1.9.1's fill values: `values` per channel (missing ones 0), else `value`; integers rounded half to even and
// saturated; floats kept.
TEST(CopyMakeBorder, FillValuesAsMXNet) {
  auto run = [](const NDArray &x, mxct::Params extra) {
    auto params = Margins(1, 0, 0, 0, 0);
    for (auto &kv : extra) Set(&params, kv.first, kv.second);
    return mxct::Run("_cvcopyMakeBorder", {x}, params)[0];
  };
  auto u = Img232(mxc::kUint8);
  EXPECT_EQ(Channel(run(u, {{"values", "(5, 9)"}}), 1)[0], std::vector<double>({9, 9, 9}));
  EXPECT_EQ(Channel(run(u, {{"values", "(5, 9, 11)"}}), 0)[0], std::vector<double>({5, 5, 5}));
  EXPECT_EQ(Channel(run(u, {{"values", "(5,)"}}), 1)[0], std::vector<double>({0, 0, 0}));
  EXPECT_EQ(Channel(run(u, {{"value", "3"}, {"values", "(5, 6)"}}), 1)[0], std::vector<double>({6, 6, 6}));
  EXPECT_EQ(Channel(run(u, {{"value", "300.7"}}), 0)[0], std::vector<double>({255, 255, 255}));
  EXPECT_EQ(Channel(run(u, {{"value", "2.5"}}), 0)[0], std::vector<double>({2, 2, 2}));
  EXPECT_EQ(Channel(run(u, {{"value", "3.5"}}), 0)[0], std::vector<double>({4, 4, 4}));
  EXPECT_EQ(Channel(run(u, {{"value", "-3"}}), 0)[0], std::vector<double>({0, 0, 0}));
  auto f = run(FromVec({2, 3, 1}, {0, 1.5, 3, 4.5, 6, 7.5}), {{"value", "-2.5"}});
  EXPECT_EQ(f.dtype(), mxc::kFloat32);
  ExpectNear(ToVec(f), {-2.5, -2.5, -2.5, 0, 1.5, 3, 4.5, 6, 7.5}, 0, 0, "float32");
  auto i32 = run(FromVec({1, 2, 1}, {1, 1}, mxc::kInt32), {{"value", "2"}});
  EXPECT_EQ(i32.dtype(), mxc::kInt32);
  ExpectNear(ToVec(i32), {2, 2, 1, 1}, 0, 0, "int32");
}

// A naive reference of the four pixel-copying rules on random float64 images and margins.
TEST(CopyMakeBorder, MatchesNaiveRules) {
  auto ref_index = [](int64_t i, int64_t n, int type) -> int64_t {
    // walk outward step by step, as the rules are described
    if (type == 1) return i < 0 ? 0 : (i >= n ? n - 1 : i);
    if (type == 3) {
      while (i < 0) i += n;
      while (i >= n) i -= n;
      return i;
    }
    const int64_t edge = type == 2 ? 0 : 1;  // reflect repeats the edge pixel, reflect-101 does not
    while (i < 0 || i >= n) {
      if (n == 1) return 0;
      if (i < 0) i = -i - 1 + edge;
      if (i >= n) i = 2 * n - 1 - i - edge;
    }
    return i;
  };
  int seed = 1;
  for (int64_t H : {1, 2, 5})
    for (int64_t W : {1, 3, 4})
      for (int type = 1; type <= 4; ++type) {
        const int64_t C = 3, top = 6, bot = 2, left = 7, right = 5;
        auto x = Random({H, W, C}, -5, 5, mxc::kFloat64, ++seed);
        auto xv = ToVec(x);
        auto y = mxct::Run("_cvcopyMakeBorder", {x}, Margins(top, bot, left, right, type))[0];
        ASSERT_EQ(y.shape(), mxc::TShape({H + top + bot, W + left + right, C}));
        std::vector<double> want;
        for (int64_t r = 0; r < H + top + bot; ++r)
          for (int64_t c = 0; c < W + left + right; ++c)
            for (int64_t k = 0; k < C; ++k)
              want.push_back(xv[(ref_index(r - top, H, type) * W + ref_index(c - left, W, type)) * C + k]);
        ExpectNear(ToVec(y), want, 0, 0, "type " + std::to_string(type));
      }
}

TEST(CopyMakeBorder, Errors) {
  auto u = Img232(mxc::kUint8);
  ExpectError("_cvcopyMakeBorder", {FromVec({2, 3}, Iota(6))}, Margins(1, 1, 1, 1, 0), ErrorKind::kShape,
              {"_cvcopyMakeBorder", "(2,3)"});
  ExpectError("_cvcopyMakeBorder", {u}, Margins(-1, 0, 0, 0, 0), ErrorKind::kValue,
              {"_cvcopyMakeBorder", "negative", "top=-1"});
  ExpectError("_cvcopyMakeBorder", {u}, Margins(1, 1, 1, 1, 5), ErrorKind::kValue,
              {"_cvcopyMakeBorder", "'type' = 5"});
  auto params = Margins(1, 0, 0, 0, 0);
  Set(&params, "values", "(1, 2, 3, 4, 5)");
  ExpectError("_cvcopyMakeBorder", {u}, params, ErrorKind::kValue, {"_cvcopyMakeBorder", "values", "at most 4"});
  Set(&params, "values", "(1, 2)");
  ExpectError("_cvcopyMakeBorder", {FromVec({1, 1, 6}, Iota(6))}, params, ErrorKind::kValue,
              {"_cvcopyMakeBorder", "more than 4 channels"});
}

}  // namespace
