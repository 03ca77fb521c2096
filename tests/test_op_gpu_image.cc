// Native GPU kernels of MXNet 1.9.1's image operators (cuda/gpu_ops_image.cc): forward and gradient on gpu(0)
// against the CPU kernels, with write and add requests, integer images, the random operators drawing the same
// numbers as the CPU from the same seed, and without host staging (skipped, visibly, without a GPU).
#include <cmath>
#include <set>
#include <tuple>

#include "test_op_gpu_req.h"
#include "test_op_gpu_util.h"

namespace {

using namespace mxct_gpu;

constexpr int kF64 = mxc::kFloat64;
constexpr int kF32 = mxc::kFloat32, kU8 = mxc::kUint8, kI32 = mxc::kInt32, kI8 = mxc::kInt8;

std::vector<Case> ImageCases() {
  std::vector<Case> v;
  auto add = [&](Case c) { v.push_back(std::move(c)); };
  for (int dt : {kF32, kF64}) {
    add({"_image_to_tensor", {}, {{5, 7, 3}}, 0, 255, {}, nullptr, false, dt});
    add({"_image_to_tensor", {}, {{2, 3, 5, 1}}, 0, 255, {}, nullptr, false, dt});
    add({"_image_normalize", {{"mean", "(0.1, 0.2, 0.3)"}, {"std", "(0.5, 2, 1.5)"}}, {{3, 5, 7}}, 0, 1, {}, nullptr,
         false, dt});
    add({"_image_normalize", {{"mean", "0.4"}, {"std", "0.3"}}, {{2, 1, 3, 4}}, 0, 1, {}, nullptr, false, dt});
    add({"_image_normalize", {}, {{2, 3, 2, 5}}, 0, 1, {}, nullptr, false, dt});
    add({"_image_flip_left_right", {}, {{5, 7, 3}}, -1, 1, {}, nullptr, false, dt});
    add({"_image_flip_top_bottom", {}, {{5, 7, 2}}, -1, 1, {}, nullptr, false, dt});
    add({"_image_crop", {{"x", "2"}, {"y", "1"}, {"width", "3"}, {"height", "4"}}, {{6, 7, 3}}, -1, 1, {}, nullptr,
         false, dt});
    add({"_image_crop", {{"x", "0"}, {"y", "2"}, {"width", "5"}, {"height", "1"}}, {{2, 4, 5, 1}}, -1, 1, {}, nullptr,
         false, dt});
    add({"_image_adjust_lighting", {{"alpha", "(0.1, -0.2, 0.3)"}}, {{5, 7, 3}}, 0, 255, {}, nullptr, false, dt});
  }
  return v;
}

TEST(OpGpuImage, MatchTheCpuNatively) {
  if (!HaveGPU()) GTEST_SKIP() << "no GPU on this machine";
#ifdef MXC_USE_CUDA
  const int64_t staged = mxc::gpu::HostStagedCalls();
  CompareNative(ImageCases());
  EXPECT_EQ(mxc::gpu::HostStagedCalls(), staged) << "every call above ran natively";
#endif
}

TEST(OpGpuImage, ReqWriteAndAddNatively) {
  if (!HaveGPU()) GTEST_SKIP() << "no GPU on this machine";
#ifdef MXC_USE_CUDA
  const int64_t staged = mxc::gpu::HostStagedCalls();
  for (auto &c : ImageCases()) {
    CompareReq(c, mxc::kWriteTo);
    CompareReq(c, mxc::kAddTo);
  }
  EXPECT_EQ(mxc::gpu::HostStagedCalls(), staged) << "every call above ran natively";
#endif
}

// The output of an operator on one device (seeded first).
std::vector<double> RunOn(const mxc::Op *op, const OpParams &p, const NDArray &x, const Device &dev, uint64_t seed,
                          int *dtype = nullptr) {
  std::vector<NDArray> in = {CopyTo(x, dev)}, out;
  mxc::SeedAll(seed);
  mxc::Invoke(op, p, in, &out);
  EXPECT_EQ(out[0].dev(), dev);
  if (dtype) *dtype = out[0].dtype();
  return HostVec(out[0]);
}

// A deterministic call (random operators with min_factor == max_factor) on the CPU and on gpu(0): the same results,
// exactly for the exact operators, within float32 rounding otherwise (integer results are truncated: a rounding
// difference may move one by 1).
void SameOnBoth(const std::string &name, const Params &params, const TShape &shape, int dtype, double lo, double hi,
                double tol) {
  SCOPED_TRACE(name + " " + mxc::DTypeName(dtype) + " " + mxc::ShapeStr(shape));
  const mxc::Op *op = mxc::OpRegistry::Get()->FindOrThrow(name);
  OpParams p(op, params);
  const NDArray x = mxct::Random(shape, lo, hi, dtype, 5);
  int ct = -1, gt = -1;
  const auto c = RunOn(op, p, x, Device::CPU(), 3, &ct), g = RunOn(op, p, x, kGPU, 3, &gt);
  EXPECT_EQ(gt, ct);
  mxct::ExpectNear(g, c, tol, tol, "output");
}

// A random call on gpu(0): a seed reproduces it, and every result is one of the CPU's for some draw (`check`).
void Reproducible(const std::string &name, const Params &params, const TShape &shape, int dtype) {
  SCOPED_TRACE(name + " " + mxc::DTypeName(dtype) + " " + mxc::ShapeStr(shape));
  const mxc::Op *op = mxc::OpRegistry::Get()->FindOrThrow(name);
  OpParams p(op, params);
  const NDArray x = mxct::Random(shape, 0, 200, dtype, 8);
  std::set<std::vector<double>> seen;
  for (uint64_t seed = 1; seed <= 6; ++seed) {
    const auto a = RunOn(op, p, x, kGPU, seed);
    EXPECT_EQ(RunOn(op, p, x, kGPU, seed), a);
    seen.insert(a);
  }
  EXPECT_GT(seen.size(), 1u) << "different seeds give different draws";
}

TEST(OpGpuImage, ColourAndIntegerImagesNatively) {
  if (!HaveGPU()) GTEST_SKIP() << "no GPU on this machine";
#ifdef MXC_USE_CUDA
  const int64_t staged = mxc::gpu::HostStagedCalls();
  for (int dt : {kF32, kF64, kU8, kI32, kI8}) {
    const double hi = dt == kI8 ? 127 : 255;
    const double tol = dt == kF32 || dt == kF64 ? 1e-4 : 1.0;
    for (const TShape &s : {TShape{5, 7, 3}, TShape{4, 3, 1}}) {
      for (const char *f : {"0.3", "1.6"})
        for (const char *op : {"_image_random_brightness", "_image_random_contrast", "_image_random_saturation",
                               "_image_random_hue"})
          SameOnBoth(op, {{"min_factor", f}, {"max_factor", f}}, s, dt, 0, hi, tol);
      SameOnBoth("_image_flip_left_right", {}, s, dt, 0, hi, 0);
      SameOnBoth("_image_flip_top_bottom", {}, s, dt, 0, hi, 0);
      SameOnBoth("_image_crop", {{"x", "1"}, {"y", "1"}, {"width", "2"}, {"height", "2"}}, s, dt, 0, hi, 0);
      SameOnBoth("_image_to_tensor", {}, s, dt, 0, hi, 1e-6);
      // no jitter, no lighting noise: the image itself (stored as the CPU stores)
      SameOnBoth("_image_random_color_jitter", {{"brightness", "0"}, {"contrast", "0"}, {"saturation", "0"},
                                                {"hue", "0"}}, s, dt, 0, hi, 0);
    }
    SameOnBoth("_image_random_lighting", {{"alpha_std", "0"}}, {5, 7, 3}, dt, 0, hi, 0);
    SameOnBoth("_image_adjust_lighting", {{"alpha", "(0.3, -0.1, 0.2)"}}, {5, 7, 3}, dt, 0, hi, tol);
    SameOnBoth("_image_normalize", {{"mean", "(10, 20, 30)"}, {"std", "(2, 3, 4)"}}, {3, 5, 7}, dt, 0, hi, tol);
  }
  // a bigger image: the contrast's mean over many pixels (one block's sum)
  SameOnBoth("_image_random_contrast", {{"min_factor", "0.4"}, {"max_factor", "0.4"}}, {67, 45, 3}, kF32, 0, 255,
             1e-4);
  // empty images
  SameOnBoth("_image_random_contrast", {{"min_factor", "0.4"}, {"max_factor", "0.4"}}, {0, 4, 3}, kF32, 0, 255, 0);
  SameOnBoth("_image_to_tensor", {}, {0, 4, 3}, kU8, 0, 255, 0);
  EXPECT_EQ(mxc::gpu::HostStagedCalls(), staged) << "every call above ran natively";
#endif
}

TEST(OpGpuImage, RandomDrawsNatively) {
  if (!HaveGPU()) GTEST_SKIP() << "no GPU on this machine";
#ifdef MXC_USE_CUDA
  const int64_t staged = mxc::gpu::HostStagedCalls();
  const Params factor = {{"min_factor", "0.3"}, {"max_factor", "1.7"}};
  for (int dt : {kF32, kU8}) {
    for (const char *op : {"_image_random_brightness", "_image_random_contrast", "_image_random_saturation",
                           "_image_random_hue"})
      Reproducible(op, factor, {5, 7, 3}, dt);
    Reproducible("_image_random_color_jitter",
                 {{"brightness", "0.3"}, {"contrast", "0.3"}, {"saturation", "0.3"}, {"hue", "0.2"}}, {5, 7, 3}, dt);
    Reproducible("_image_random_lighting", {{"alpha_std", "0.3"}}, {5, 7, 3}, dt);
    Reproducible("_image_random_flip_left_right", {}, {5, 7, 3}, dt);
    Reproducible("_image_random_flip_top_bottom", {}, {5, 7, 3}, dt);
  }
  // brightness and a brightness-only jitter scale every pixel alike, by a factor in range; a random flip is the image
  // or its flip (the CPU's)
  const NDArray x = mxct::Random({5, 7, 3}, 1, 200, kF32, 8);
  const auto xv = HostVec(x);
  const mxc::Op *bright = mxc::OpRegistry::Get()->FindOrThrow("_image_random_brightness");
  const mxc::Op *jit = mxc::OpRegistry::Get()->FindOrThrow("_image_random_color_jitter");
  const mxc::Op *rflip = mxc::OpRegistry::Get()->FindOrThrow("_image_random_flip_left_right");
  const mxc::Op *flip = mxc::OpRegistry::Get()->FindOrThrow("_image_flip_left_right");
  const auto flipped = RunOn(flip, OpParams(flip, {}), x, Device::CPU(), 1);
  int flips = 0;
  for (uint64_t seed = 1; seed <= 20; ++seed) {
    for (auto [op, params, lo, hi] :
         {std::make_tuple(bright, Params{{"min_factor", "0.5"}, {"max_factor", "1.5"}}, 0.5, 1.5),
          std::make_tuple(jit, Params{{"brightness", "0.2"}, {"contrast", "0"}, {"saturation", "0"}, {"hue", "0"}},
                          0.8, 1.2)}) {
      const auto y = RunOn(op, OpParams(op, params), x, kGPU, seed);
      const double f = y[0] / xv[0];
      EXPECT_GE(f, lo - 1e-5);
      EXPECT_LE(f, hi + 1e-5);
      for (size_t k = 0; k < y.size(); ++k) ASSERT_NEAR(y[k], xv[k] * f, 1e-3);
    }
    const auto y = RunOn(rflip, OpParams(rflip, {}), x, kGPU, seed);
    ASSERT_TRUE(y == xv || y == flipped);
    flips += y == flipped;
  }
  EXPECT_GT(flips, 0);
  EXPECT_LT(flips, 20);
  EXPECT_EQ(mxc::gpu::HostStagedCalls(), staged) << "every call above ran natively";
#endif
}

}  // namespace
