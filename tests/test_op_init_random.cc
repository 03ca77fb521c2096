// _arange and the random samplers (_random_uniform, _random_normal): values, parameters, errors, sample statistics
// and reproducibility under a seed.
#include <algorithm>
#include <cmath>

#include "test_op_elemwise_common.h"

namespace {

using namespace mxct;
using mxc::ErrorKind;

TEST(Arange, Values) {
  EXPECT_EQ(ToVec(mxct::Run("_arange", {}, {{"start", "3"}})[0]), (std::vector<double>{0, 1, 2}));
  EXPECT_EQ(ToVec(mxct::Run("_arange", {}, {{"start", "1"}, {"stop", "4"}, {"step", "0.5"}, {"repeat", "2"}})[0]),
            (std::vector<double>{1, 1, 1.5, 1.5, 2, 2, 2.5, 2.5, 3, 3, 3.5, 3.5}));
  EXPECT_EQ(ToVec(mxct::Run("_arange", {}, {{"start", "5"}, {"stop", "1"}, {"step", "-1.5"}})[0]),
            (std::vector<double>{5, 3.5, 2}));
  // float64: start + i * step computed in double.
  auto d = mxct::Run("_arange", {}, {{"start", "0"}, {"stop", "1"}, {"step", "0.1"}, {"dtype", "float64"}})[0];
  EXPECT_EQ(d.dtype(), mxc::kFloat64);
  auto dv = ToVec(d);
  ASSERT_EQ(dv.size(), 10u);
  for (int i = 0; i < 10; ++i) EXPECT_DOUBLE_EQ(dv[i], i * 0.1);
  // Integer dtypes convert start and step first (MXNet): arange(0, 5, 1.5, int32) = [0, 1, 2, 3].
  auto iv = mxct::Run("_arange", {}, {{"start", "0"}, {"stop", "5"}, {"step", "1.5"}, {"dtype", "int32"}})[0];
  EXPECT_EQ(iv.dtype(), mxc::kInt32);
  EXPECT_EQ(ToVec(iv), (std::vector<double>{0, 1, 2, 3}));
  EXPECT_EQ(ToVec(mxct::Run("_arange", {}, {{"start", "-2"}, {"stop", "2"}, {"dtype", "int64"}})[0]),
            (std::vector<double>{-2, -1, 0, 1}));
  // Large (parallel path).
  auto big = ToVec(mxct::Run("_arange", {}, {{"start", "0"}, {"stop", "100000"}})[0]);
  ASSERT_EQ(big.size(), 100000u);
  for (size_t i = 0; i < big.size(); i += 9973) EXPECT_EQ(big[i], static_cast<double>(i));
  EXPECT_EQ(mxct::Run("_arange", {}, {{"start", "0"}, {"stop", "3"}, {"ctx", "cpu(0)"}})[0].shape(), TShape({3}));
}

TEST(Arange, Errors) {
  ExpectError([] { mxct::Run("_arange", {}, {{"start", "1"}, {"stop", "5"}, {"step", "0"}}); }, ErrorKind::kValue,
              {"_arange", "step"});
  ExpectError([] { mxct::Run("_arange", {}, {{"start", "5"}, {"stop", "1"}}); }, ErrorKind::kValue,
              {"_arange", "empty"});
  ExpectError([] { mxct::Run("_arange", {}, {{"start", "0"}, {"stop", "3"}, {"repeat", "0"}}); }, ErrorKind::kValue,
              {"_arange", "repeat"});
  ExpectError([] { mxct::Run("_arange", {}, {{"stop", "3"}}); }, ErrorKind::kValue, {"_arange", "start"});
  ExpectError([] { mxct::Run("_arange", {}, {{"start", "3"}, {"infer_range", "True"}}); }, ErrorKind::kValue,
              {"_arange", "infer_range"});
  ExpectError([] { mxct::Run("_arange", {}, {{"start", "3"}, {"dtype", "bool"}}); }, ErrorKind::kType,
              {"_arange", "bool"});
  ExpectError([] { mxct::Run("_arange", {}, {{"start", "3"}, {"stop", "nan"}}); }, ErrorKind::kValue,
              {"_arange"});
}

struct Stats {
  double mean = 0, std = 0, min = 0, max = 0;
};
Stats Describe(const std::vector<double> &v) {
  Stats s;
  for (double x : v) s.mean += x;
  s.mean /= v.size();
  for (double x : v) s.std += (x - s.mean) * (x - s.mean);
  s.std = std::sqrt(s.std / v.size());
  s.min = *std::min_element(v.begin(), v.end());
  s.max = *std::max_element(v.begin(), v.end());
  return s;
}

TEST(RandomUniform, Statistics) {
  mxc::SeedAll(17);
  for (int dtype : {mxc::kFloat32, mxc::kFloat64}) {
    auto a = mxct::Run("_random_uniform", {},
                       {{"low", "-2"}, {"high", "3"}, {"shape", "(400,500)"}, {"dtype", mxc::DTypeName(dtype)}})[0];
    EXPECT_EQ(a.shape(), TShape({400, 500}));
    EXPECT_EQ(a.dtype(), dtype);
    auto v = ToVec(a);
    Stats s = Describe(v);
    // 200000 samples: the mean's standard error is 5 / sqrt(12 * 200000) ~ 0.0032.
    EXPECT_NEAR(s.mean, 0.5, 0.02);
    EXPECT_NEAR(s.std, 5 / std::sqrt(12.0), 0.02);
    EXPECT_GE(s.min, -2);
    EXPECT_LT(s.max, 3);
    EXPECT_LT(s.min, -1.99);
    EXPECT_GT(s.max, 2.99);
    // Roughly flat: each of 10 bins holds about a tenth.
    std::vector<int> bins(10, 0);
    for (double x : v) ++bins[std::min(9, static_cast<int>((x + 2) / 0.5))];
    for (int b : bins) EXPECT_NEAR(b / 200000.0, 0.1, 0.005);
  }
  // Defaults: low 0, high 1, float32, shape () -> (1,).
  auto d = mxct::Run("_random_uniform", {})[0];
  EXPECT_EQ(d.dtype(), mxc::kFloat32);
  EXPECT_EQ(d.shape(), TShape({1}));
  double x = ToVec(d)[0];
  EXPECT_TRUE(x >= 0 && x < 1);
  auto *reg = mxc::OpRegistry::Get();
  EXPECT_EQ(reg->Find("uniform"), reg->Find("_random_uniform"));
  EXPECT_EQ(reg->Find("random_uniform"), reg->Find("_random_uniform"));
  EXPECT_TRUE(reg->Find("_random_uniform")->is_random);
}

TEST(RandomNormal, Statistics) {
  mxc::SeedAll(18);
  for (int dtype : {mxc::kFloat32, mxc::kFloat64}) {
    auto a = mxct::Run("_random_normal", {},
                       {{"loc", "1.5"}, {"scale", "2"}, {"shape", "(200001,)"}, {"dtype", mxc::DTypeName(dtype)}})[0];
    EXPECT_EQ(a.dtype(), dtype);
    auto v = ToVec(a);
    Stats s = Describe(v);
    EXPECT_NEAR(s.mean, 1.5, 0.02);
    EXPECT_NEAR(s.std, 2, 0.02);
    // Shape of the distribution: P(|z| < 1) = 0.6827, P(|z| < 2) = 0.9545, skewness ~ 0, kurtosis ~ 3.
    double in1 = 0, in2 = 0, m3 = 0, m4 = 0;
    for (double x : v) {
      double z = (x - 1.5) / 2;
      in1 += std::fabs(z) < 1;
      in2 += std::fabs(z) < 2;
      m3 += z * z * z;
      m4 += z * z * z * z;
    }
    EXPECT_NEAR(in1 / v.size(), 0.6827, 0.005);
    EXPECT_NEAR(in2 / v.size(), 0.9545, 0.003);
    EXPECT_NEAR(m3 / v.size(), 0, 0.05);
    EXPECT_NEAR(m4 / v.size(), 3, 0.1);
  }
  auto *reg = mxc::OpRegistry::Get();
  EXPECT_EQ(reg->Find("normal"), reg->Find("_random_normal"));
  EXPECT_EQ(reg->Find("random_normal"), reg->Find("_random_normal"));
  // scale 0 gives loc exactly.
  EXPECT_EQ(ToVec(mxct::Run("_random_normal", {}, {{"loc", "4"}, {"scale", "0"}, {"shape", "(3,)"}})[0]),
            (std::vector<double>{4, 4, 4}));
  // float16 output.
  auto h = mxct::Run("_random_normal", {}, {{"shape", "(1000,)"}, {"dtype", "float16"}})[0];
  EXPECT_EQ(h.dtype(), mxc::kFloat16);
  Stats hs = Describe(ToVec(mxct::Run("Cast", {h}, {{"dtype", "float32"}})[0]));
  EXPECT_NEAR(hs.mean, 0, 0.15);
  EXPECT_NEAR(hs.std, 1, 0.1);
}

TEST(Random, SeedReproduces) {
  for (const char *op : {"_random_uniform", "_random_normal"}) {
    SCOPED_TRACE(op);
    Params p = {{"shape", "(3,7)"}};
    mxc::SeedAll(123);
    auto a1 = ToVec(mxct::Run(op, {}, p)[0]);
    auto a2 = ToVec(mxct::Run(op, {}, p)[0]);
    mxc::SeedAll(123);
    auto b1 = ToVec(mxct::Run(op, {}, p)[0]);
    auto b2 = ToVec(mxct::Run(op, {}, p)[0]);
    mxc::SeedAll(124);
    auto c1 = ToVec(mxct::Run(op, {}, p)[0]);
    EXPECT_EQ(a1, b1);
    EXPECT_EQ(a2, b2);
    EXPECT_NE(a1, a2);  // successive calls continue the stream
    EXPECT_NE(a1, c1);  // another seed, other values
  }
  // The same stream gives the same values whatever the dtype (float64 vs float32 rounding only).
  mxc::SeedAll(5);
  auto f64 = ToVec(mxct::Run("_random_normal", {}, {{"shape", "(50,)"}, {"dtype", "float64"}})[0]);
  mxc::SeedAll(5);
  auto f32 = ToVec(mxct::Run("_random_normal", {}, {{"shape", "(50,)"}})[0]);
  ExpectNear(f32, f64, 1e-6, 1e-6, "float32 vs float64 stream");
}

TEST(Random, Errors) {
  ExpectError([] { mxct::Run("_random_uniform", {}, {{"low", "2"}, {"high", "1"}}); }, ErrorKind::kValue,
              {"_random_uniform", "low", "high"});
  ExpectError([] { mxct::Run("_random_normal", {}, {{"scale", "-1"}}); }, ErrorKind::kValue,
              {"_random_normal", "scale"});
  ExpectError([] { mxct::Run("_random_uniform", {}, {{"dtype", "int32"}}); }, ErrorKind::kType,
              {"_random_uniform", "int32"});
  ExpectError([] { mxct::Run("_random_uniform", {}, {{"shape", "(2,-3)"}}); }, ErrorKind::kShape,
              {"_random_uniform", "(2,-3)"});
  ExpectError([] { mxct::Run("_random_normal", {}, {{"mean", "0"}}); }, ErrorKind::kValue, {"_random_normal", "mean"});
}

}  // namespace
