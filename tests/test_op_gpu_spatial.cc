// Native GPU kernels of cuda/gpu_ops_spatial.cc (GridGenerator, BilinearSampler, SpatialTransformer, ROIPooling,
// _contrib_ROIAlign, _contrib_PSROIPooling, _contrib_DeformablePSROIPooling): forward and every gradient on gpu(0)
// against the CPU kernels, with write and add requests, and without host staging (skipped, visibly, without a GPU).
// The gradients that scatter add atomically on the GPU, so they are compared to a float tolerance.
#include <string>
#include <vector>

#include "test_op_gpu_req.h"
#include "test_op_gpu_util.h"

namespace {

using namespace mxct_gpu;

constexpr int kF64 = mxc::kFloat64;

// fill: input k replaced by `values` (its size), in its dtype.
std::function<void(std::vector<NDArray> &)> SetInput(int k, std::vector<double> values) {
  return [=](std::vector<NDArray> &in) { in[k] = mxct::FromVec(in[k].shape(), values, in[k].dtype()); };
}

// Rois (batch index, x1, y1, x2, y2) in image coordinates of a 16 x 16 image (data 8 x 8 at spatial_scale 0.5):
// whole, partly outside, fractional, degenerate (a point), reversed, and one of a batch index out of range.
const std::vector<double> kRois = {0, 1, 2, 12, 14, 1, -3, 5, 20, 9, 1, 3.4, 5.6, 9.1, 7.7,
                                   0, 6, 6, 6,  6,  1, 10, 9, 4, 3, 5, 1, 1, 8, 8};
// Rois with positive width and height (aligned ROIAlign requires them).
const std::vector<double> kPositiveRois = {0, 1, 2, 12, 14, 1, -3, 5, 20, 9, 1, 3.4, 5.6, 9.1, 7.7, 0, 6, 6, 7.5, 9};

std::vector<Case> SpatialCases() {
  std::vector<Case> v;
  auto add = [&](Case c) { v.push_back(std::move(c)); };
  // GridGenerator
  add({"GridGenerator", {{"transform_type", "affine"}, {"target_shape", "(5,7)"}}, {{2, 6}}, -1, 1});
  add({"GridGenerator", {{"transform_type", "affine"}, {"target_shape", "(1,4)"}}, {{3, 6}}, -1, 1, {}, nullptr,
       false, kF64});
  add({"GridGenerator", {{"transform_type", "warp"}}, {{2, 2, 5, 6}}, -2, 2});
  add({"GridGenerator", {{"transform_type", "warp"}}, {{1, 2, 4, 3}}, -2, 2, {}, nullptr, false, kF64});
  // BilinearSampler: grid points inside and outside the image
  add({"BilinearSampler", {}, {{2, 3, 6, 7}, {2, 2, 5, 4}}, -1.2, 1.2});
  add({"BilinearSampler", {}, {{1, 2, 5, 5}, {1, 2, 3, 6}}, -1.3, 1.3, {}, nullptr, false, kF64});
  // SpatialTransformer
  const Params st = {{"transform_type", "affine"}, {"sampler_type", "bilinear"}, {"target_shape", "(5,4)"}};
  add({"SpatialTransformer", st, {{2, 3, 6, 7}, {2, 6}}, -1, 1});
  add({"SpatialTransformer", st, {{1, 2, 4, 5}, {1, 6}}, -1, 1, {}, nullptr, false, kF64});
  // One gradient only (the other's request null)
  add({"BilinearSampler", {}, {{1, 2, 4, 5}, {1, 2, 3, 3}}, -1.1, 1.1, {0}});
  add({"BilinearSampler", {}, {{1, 2, 4, 5}, {1, 2, 3, 3}}, -1.1, 1.1, {1}});
  add({"SpatialTransformer", st, {{2, 2, 4, 5}, {2, 6}}, -1, 1, {0}});
  add({"SpatialTransformer", st, {{2, 2, 4, 5}, {2, 6}}, -1, 1, {1}});
  // ROIPooling
  add({"ROIPooling", {{"pooled_size", "(2,3)"}, {"spatial_scale", "0.5"}}, {{2, 3, 8, 8}, {6, 5}}, -1, 1, {},
       SetInput(1, kRois)});
  add({"ROIPooling", {{"pooled_size", "(3,3)"}, {"spatial_scale", "0.5"}}, {{2, 2, 8, 8}, {6, 5}}, -1, 1, {},
       SetInput(1, kRois), false, kF64});
  // ROIAlign: adaptive and fixed sample counts, aligned, position-sensitive
  const Params ra = {{"pooled_size", "(2,3)"}, {"spatial_scale", "0.5"}};
  add({"_contrib_ROIAlign", ra, {{2, 3, 8, 8}, {6, 5}}, -1, 1, {}, SetInput(1, kRois)});
  add({"_contrib_ROIAlign", {{"pooled_size", "(3,2)"}, {"spatial_scale", "0.5"}, {"sample_ratio", "2"}},
       {{2, 2, 8, 8}, {6, 5}}, -1, 1, {}, SetInput(1, kRois), false, kF64});
  add({"_contrib_ROIAlign", {{"pooled_size", "(2,2)"}, {"spatial_scale", "0.5"}, {"aligned", "True"}},
       {{2, 3, 8, 8}, {4, 5}}, -1, 1, {}, SetInput(1, kPositiveRois)});
  add({"_contrib_ROIAlign",
       {{"pooled_size", "(2,2)"}, {"spatial_scale", "0.5"}, {"position_sensitive", "True"}, {"sample_ratio", "3"}},
       {{2, 8, 8, 8}, {6, 5}}, -1, 1, {}, SetInput(1, kRois)});
  // PSROIPooling: data channels output_dim * group_size^2
  add({"_contrib_PSROIPooling", {{"spatial_scale", "0.5"}, {"output_dim", "2"}, {"pooled_size", "3"}},
       {{2, 18, 8, 8}, {6, 5}}, -1, 1, {}, SetInput(1, kRois)});
  add({"_contrib_PSROIPooling",
       {{"spatial_scale", "0.5"}, {"output_dim", "3"}, {"pooled_size", "3"}, {"group_size", "2"}},
       {{2, 12, 8, 8}, {6, 5}}, -1, 1, {}, SetInput(1, kRois), false, kF64});
  // DeformablePSROIPooling: with trans (one and two classes) and without
  const Params dps = {{"spatial_scale", "0.5"}, {"output_dim", "2"}, {"group_size", "3"}, {"pooled_size", "3"},
                      {"sample_per_part", "2"}, {"trans_std", "0.2"}};
  add({"_contrib_DeformablePSROIPooling", dps, {{2, 18, 8, 8}, {6, 5}, {6, 2, 3, 3}}, -1, 1, {}, SetInput(1, kRois)});
  add({"_contrib_DeformablePSROIPooling", dps, {{2, 18, 8, 8}, {6, 5}, {6, 2, 3, 3}}, -1, 1, {0, 1},
       SetInput(1, kRois)});
  add({"_contrib_DeformablePSROIPooling", dps, {{2, 18, 8, 8}, {6, 5}, {6, 2, 3, 3}}, -1, 1, {2}, SetInput(1, kRois)});
  Params dps2 = dps;
  dps2[1] = {"output_dim", "4"};
  dps2.push_back({"part_size", "2"});
  add({"_contrib_DeformablePSROIPooling", dps2, {{2, 36, 8, 8}, {6, 5}, {6, 4, 2, 2}}, -1, 1, {}, SetInput(1, kRois),
       false, kF64});
  Params dps_nt = dps;
  dps_nt.push_back({"no_trans", "True"});
  add({"_contrib_DeformablePSROIPooling", dps_nt, {{2, 18, 8, 8}, {6, 5}}, -1, 1, {}, SetInput(1, kRois)});
  // im2col / col2im: 1 to 3 spatial axes, strides, dilations, padding
  const Params col2 = {{"kernel", "(3,3)"}, {"stride", "(2,1)"}, {"dilate", "(1,2)"}, {"pad", "(1,1)"}};
  add({"im2col", col2, {{2, 3, 7, 8}}});
  add({"im2col", {{"kernel", "(3,)"}, {"stride", "(2,)"}, {"pad", "(2,)"}}, {{2, 2, 9}}, -1, 1, {}, nullptr, false,
       kF64});
  add({"im2col", {{"kernel", "(2,2,2)"}, {"stride", "(1,2,1)"}, {"pad", "(0,1,1)"}}, {{1, 2, 3, 5, 4}}});
  Params c2i = col2;
  c2i.push_back({"output_size", "(7,8)"});  // 4 x 6 blocks
  add({"col2im", c2i, {{2, 27, 24}}});
  add({"col2im", {{"kernel", "(3,)"}, {"stride", "(2,)"}, {"pad", "(2,)"}, {"output_size", "(9,)"}}, {{2, 6, 6}}, -1,
       1, {}, nullptr, false, kF64});
  // Crop: at an offset, and in the centre to the size of a second input
  add({"Crop", {{"num_args", "1"}, {"h_w", "(3,4)"}, {"offset", "(1,2)"}}, {{2, 3, 6, 7}}});
  add({"Crop", {{"num_args", "2"}, {"center_crop", "True"}}, {{2, 3, 7, 8}, {1, 1, 4, 3}}, -1, 1, {}, nullptr, false,
       kF64});
  // _split_v2: indices (the first part from 0 or not), sections, squeeze_axis
  add({"_split_v2", {{"indices", "(0,2,3)"}, {"axis", "1"}}, {{2, 5, 3}}});
  add({"_split_v2", {{"indices", "(1,3)"}, {"axis", "0"}}, {{5, 2}}, -1, 1, {}, nullptr, false, kF64});
  add({"_split_v2", {{"indices", "()"}, {"sections", "4"}, {"axis", "-1"}, {"squeeze_axis", "True"}}, {{3, 2, 4}}});
  // SVMOutput (squared and linear hinge; spatial labels)
  add({"SVMOutput", {{"margin", "0.5"}, {"regularization_coefficient", "0.7"}}, {{4, 5}, {4}}, -1.5, 1.5, {},
       SetInput(1, {0, 3, 4, 1})});
  add({"SVMOutput", {{"use_linear", "True"}}, {{2, 3, 4}, {2, 4}}, -1.5, 1.5, {},
       SetInput(1, {0, 2, 1, 1, 2, 0, 0, 1}), false, kF64});
  // softmax_cross_entropy
  add({"softmax_cross_entropy", {}, {{5, 4}, {5}}, -2, 2, {}, SetInput(1, {0, 3, 1, 2, 3})});
  add({"softmax_cross_entropy", {}, {{3, 6}}, -2, 2, {}, nullptr, false, kF64});
  v.back().shapes.push_back({3});
  v.back().fill = SetInput(1, {5, 0, 2});
  // _histogram: equal bins of range, and given edges; values on the edges and outside
  const std::vector<double> hv = {-1, 1, 0, 0.2, -1.5, 1.5, 0.5, -0.25, 0.999, 0.7, -0.6, 0.3, 0.1, -0.9, 0.45, 0.95};
  add({"_histogram", {{"bin_cnt", "5"}, {"range", "(-1, 1)"}}, {{16}}, -1, 1, {}, SetInput(0, hv)});
  add({"_histogram", {}, {{16}, {6}}, -1, 1, {},
       [=](std::vector<NDArray> &in) {
         SetInput(0, hv)(in);
         SetInput(1, {-1, -0.5, 0, 0.2, 0.7, 1})(in);
       },
       false, kF64});
  // _cvcopyMakeBorder: every border type (and isolated), fill values per channel
  for (const char *t : {"0", "1", "2", "3", "4", "18"})
    add({"_cvcopyMakeBorder",
         {{"top", "2"}, {"bot", "1"}, {"left", "3"}, {"right", "2"}, {"type", t}, {"values", "(0.5, 2, 3)"}},
         {{4, 5, 3}}, 0.1, 1});
  add({"_cvcopyMakeBorder", {{"top", "5"}, {"bot", "0"}, {"left", "1"}, {"right", "6"}, {"type", "4"}}, {{3, 2, 2}},
       0.1, 1, {}, nullptr, false, kF64});
  return v;
}


TEST(OpGpuSpatial, MatchTheCpuNatively) {
  if (!HaveGPU()) GTEST_SKIP() << "no GPU on this machine";
#ifdef MXC_USE_CUDA
  const int64_t staged = mxc::gpu::HostStagedCalls();
  CompareNative(SpatialCases());
  EXPECT_EQ(mxc::gpu::HostStagedCalls(), staged) << "every call above ran natively";
#endif
}

TEST(OpGpuSpatial, ReqWriteAndAddNatively) {
  if (!HaveGPU()) GTEST_SKIP() << "no GPU on this machine";
#ifdef MXC_USE_CUDA
  const int64_t staged = mxc::gpu::HostStagedCalls();
  for (auto &c : SpatialCases()) {
    CompareReq(c, mxc::kWriteTo);
    CompareReq(c, mxc::kAddTo);
  }
  EXPECT_EQ(mxc::gpu::HostStagedCalls(), staged) << "every call above ran natively";
#endif
}

// The forwards are the CPU's arithmetic in the CPU's order: identical results in the emulation build. (cuda/spatial.cu
// is compiled by nvcc without fused multiply-adds, so a GPU rounds the same products and sums, but its exp and log,
// in softmax_cross_entropy, may differ in the last bit: compared to a tolerance there.)
TEST(OpGpuSpatial, ForwardsBitwiseEqual) {
  if (!HaveGPU()) GTEST_SKIP() << "no GPU on this machine";
#ifndef MXC_CUDA_EMULATION
  GTEST_SKIP() << "bitwise only in the CUDA emulation build";
#endif
  for (auto &c : SpatialCases()) {
    SCOPED_TRACE(c.op);
    const mxc::Op *op = mxc::OpRegistry::Get()->FindOrThrow(c.op);
    OpParams p(op, c.params);
    std::vector<NDArray> cin, gin, cout_, gout;
    for (size_t i = 0; i < c.shapes.size(); ++i) cin.push_back(mxct::Random(c.shapes[i], c.lo, c.hi, c.dtype, 17 + i));
    if (c.fill) c.fill(cin);
    for (auto &a : cin) gin.push_back(CopyTo(a, kGPU));
    mxc::Invoke(op, p, cin, &cout_);
    mxc::Invoke(op, p, gin, &gout);
    for (size_t i = 1; i < cout_.size(); ++i) EXPECT_EQ(HostVec(gout[i]), HostVec(cout_[i])) << "output " << i;
    const std::vector<double> want = HostVec(cout_[0]);
    EXPECT_EQ(HostVec(gout[0]), want);
    size_t nonzero = 0;
    for (double x : want) nonzero += x != 0;
    EXPECT_GT(nonzero, want.size() / 2) << "the case samples mostly inside the data";
  }
}

// aligned ROIAlign with an empty roi: the same ValueError on the GPU as on the CPU.
TEST(OpGpuSpatial, AlignedEmptyRoiRaises) {
  if (!HaveGPU()) GTEST_SKIP() << "no GPU on this machine";
  const mxc::Op *op = mxc::OpRegistry::Get()->FindOrThrow("_contrib_ROIAlign");
  OpParams p(op, {{"pooled_size", "(2,2)"}, {"spatial_scale", "1"}, {"aligned", "True"}});
  for (const Device &dev : {Device::CPU(), kGPU}) {
    SCOPED_TRACE(dev.type == MXC_GPU ? "gpu" : "cpu");
    std::vector<NDArray> in{CopyTo(mxct::Random({1, 1, 4, 4}, -1, 1), dev),
                            CopyTo(mxct::FromVec({2, 5}, {0, 0, 0, 3, 3, 0, 2, 1, 2, 3}), dev)},
        out;
    try {
      mxc::Invoke(op, p, in, &out);
      for (auto &o : out) o.WaitToRead();
      ADD_FAILURE() << "expected a ValueError";
    } catch (const mxc::Error &e) {
      EXPECT_EQ(e.kind(), mxc::ErrorKind::kValue) << e.what();
      EXPECT_NE(std::string(e.what()).find("roi 1 = [0, 2, 1, 2, 3] has an empty width"), std::string::npos)
          << e.what();
    }
  }
}

// Integer dtypes: the copies (Crop, _split_v2; their gradients too), the histogram and the border natively, as on the
// CPU, with write and add requests; the border's fill values rounded half to even and saturated.
TEST(OpGpuSpatial, IntegerDtypesNatively) {
  if (!HaveGPU()) GTEST_SKIP() << "no GPU on this machine";
#ifdef MXC_USE_CUDA
  const int64_t staged = mxc::gpu::HostStagedCalls();
  std::vector<Case> cases;
  cases.push_back({"Crop", {{"num_args", "1"}, {"h_w", "(3,4)"}, {"offset", "(1,2)"}}, {{2, 3, 6, 7}}, -100, 100, {},
                   nullptr, false, mxc::kInt32});
  cases.push_back({"_split_v2", {{"indices", "(1,3)"}, {"axis", "0"}}, {{5, 2}}, -100, 100, {}, nullptr, false,
                   mxc::kInt64});
  cases.push_back({"_histogram", {{"bin_cnt", "4"}, {"range", "(-3, 5)"}}, {{40}}, -6, 8, {}, nullptr, false,
                   mxc::kInt32});
  for (const char *t : {"0", "2"})
    cases.push_back({"_cvcopyMakeBorder",
                     {{"top", "1"}, {"bot", "2"}, {"left", "2"}, {"right", "1"}, {"type", t},
                      {"values", "(300.4, -7, 2.5)"}},
                     {{3, 4, 3}}, 0, 255, {}, nullptr, false, mxc::kUint8});
  cases.push_back({"_cvcopyMakeBorder", {{"top", "2"}, {"bot", "2"}, {"left", "0"}, {"right", "3"}, {"type", "3"},
                                         {"value", "-3.5"}},
                   {{2, 3, 1}}, -100, 100, {}, nullptr, false, mxc::kInt8});
  for (auto &c : cases) {
    CompareReq(c, mxc::kWriteTo);
    CompareReq(c, mxc::kAddTo);
  }
  EXPECT_EQ(mxc::gpu::HostStagedCalls(), staged) << "every call above ran natively";
#endif
}

// Inputs the CPU kernels reject (a label out of range, decreasing bin edges): the same ValueError on the GPU.
TEST(OpGpuSpatial, BadInputsRaiseAsOnTheCpu) {
  if (!HaveGPU()) GTEST_SKIP() << "no GPU on this machine";
  auto expect_error = [](const char *name, const Params &params, const std::vector<NDArray> &host_in,
                         const std::string &message) {
    const mxc::Op *op = mxc::OpRegistry::Get()->FindOrThrow(name);
    for (const Device &dev : {Device::CPU(), kGPU}) {
      SCOPED_TRACE(std::string(name) + (dev.type == MXC_GPU ? " gpu" : " cpu"));
      std::vector<NDArray> in, out;
      for (auto &a : host_in) in.push_back(CopyTo(a, dev));
      try {
        mxc::Invoke(op, OpParams(op, params), in, &out);
        for (auto &o : out) o.WaitToRead();
        ADD_FAILURE() << "expected a ValueError";
      } catch (const mxc::Error &e) {
        EXPECT_EQ(e.kind(), mxc::ErrorKind::kValue) << e.what();
        EXPECT_NE(std::string(e.what()).find(message), std::string::npos) << e.what();
      }
    }
  };
  expect_error("softmax_cross_entropy", {}, {mxct::Random({2, 3}, -1, 1), mxct::FromVec({2}, {0, 3})},
               "label[1] = 3 is outside [0, 3)");
  expect_error("_histogram", {}, {mxct::Random({4}, -1, 1), mxct::FromVec({3}, {0, 2, 1})},
               "the bin edges must increase monotonically");
}

}  // namespace
