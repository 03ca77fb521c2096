// Native GPU kernel of MXNet 1.9.1's _image_resize (cuda/gpu_ops_image_resize.cc): gpu(0) against the CPU kernel
// for every interpolation, up and down, images and batches, float and integer dtypes, write and add requests, and
// without host staging (skipped, visibly, without a GPU).
#include <string>

#include "test_op_gpu_req.h"
#include "test_op_gpu_util.h"

namespace {

using namespace mxct_gpu;

constexpr int kF32 = mxc::kFloat32, kF64 = mxc::kFloat64, kU8 = mxc::kUint8, kI32 = mxc::kInt32,
              kI8 = mxc::kInt8, kI64 = mxc::kInt64;

std::vector<Case> ResizeCases() {
  std::vector<Case> v;
  for (int dt : {kF32, kF64})
    for (int interp = 0; interp <= 5; ++interp) {
      const Params ip = {{"interp", std::to_string(interp)}};
      auto with = [&](Params extra) {
        Params q = ip;
        for (auto &e : extra) q.push_back(e);
        return q;
      };
      v.push_back({"_image_resize", with({{"size", "(4, 3)"}}), {{5, 7, 3}}, -1, 1, {}, nullptr, false, dt});
      v.push_back({"_image_resize", with({{"size", "(11, 9)"}}), {{5, 7, 2}}, -1, 1, {}, nullptr, false, dt});
      v.push_back({"_image_resize", with({{"size", "(3, 8)"}}), {{2, 5, 7, 1}}, -1, 1, {}, nullptr, false, dt});
      v.push_back({"_image_resize", with({{"size", "4"}, {"keep_ratio", "true"}}), {{3, 9, 6, 3}}, -1, 1, {},
                   nullptr, false, dt});
      v.push_back({"_image_resize", with({{"size", "(5, 2)"}}), {{17, 13, 1}}, -1, 1, {}, nullptr, false, dt});
    }
  return v;
}

TEST(OpGpuImageResize, MatchTheCpuNatively) {
  if (!HaveGPU()) GTEST_SKIP() << "no GPU on this machine";
#ifdef MXC_USE_CUDA
  const int64_t staged = mxc::gpu::HostStagedCalls();
  CompareNative(ResizeCases());
  EXPECT_EQ(mxc::gpu::HostStagedCalls(), staged) << "every call above ran natively";
#endif
}

TEST(OpGpuImageResize, ReqWriteAndAddNatively) {
  if (!HaveGPU()) GTEST_SKIP() << "no GPU on this machine";
#ifdef MXC_USE_CUDA
  const int64_t staged = mxc::gpu::HostStagedCalls();
  for (auto &c : ResizeCases()) {
    CompareReq(c, mxc::kWriteTo);
    CompareReq(c, mxc::kAddTo);
  }
  EXPECT_EQ(mxc::gpu::HostStagedCalls(), staged) << "every call above ran natively";
#endif
}

// The output of one call on a device.
std::vector<double> RunOn(const mxc::Op *op, const OpParams &p, const NDArray &x, const Device &dev, int *dtype) {
  std::vector<NDArray> in = {CopyTo(x, dev)}, out;
  mxc::Invoke(op, p, in, &out);
  EXPECT_EQ(out[0].dev(), dev);
  *dtype = out[0].dtype();
  return HostVec(out[0]);
}

TEST(OpGpuImageResize, IntegerImagesNatively) {
  if (!HaveGPU()) GTEST_SKIP() << "no GPU on this machine";
#ifdef MXC_USE_CUDA
  const int64_t staged = mxc::gpu::HostStagedCalls();
  const mxc::Op *op = mxc::OpRegistry::Get()->FindOrThrow("_image_resize");
  for (int dt : {kU8, kI32, kI8, kI64})
    for (int interp = 0; interp <= 5; ++interp)
      for (const char *size : {"(4, 3)", "(13, 11)", "(6, 5)"})
        for (const TShape &s : {TShape{5, 7, 3}, TShape{2, 6, 5, 1}}) {
          SCOPED_TRACE(std::string(mxc::DTypeName(dt)) + " interp " + std::to_string(interp) + " size " + size);
          // values that make bicubic and Lanczos overshoot the type's range (saturated as on the CPU)
          const double lo = dt == kU8 ? 0 : -128, hi = dt == kU8 ? 255 : 127;
          const NDArray x = mxct::Random(s, lo, hi, dt, 11);
          OpParams p(op, {{"size", size}, {"interp", std::to_string(interp)}});
          int ct = -1, gt = -1;
          const auto c = RunOn(op, p, x, Device::CPU(), &ct), g = RunOn(op, p, x, kGPU, &gt);
          EXPECT_EQ(gt, ct);
          // the same double sums: equal (a fused multiply-add on a real GPU may move a value at .5 by 1)
          mxct::ExpectNear(g, c, 0, 1, "output");
        }
  EXPECT_EQ(mxc::gpu::HostStagedCalls(), staged) << "every call above ran natively";
#endif
}

}  // namespace
