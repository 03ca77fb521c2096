// Native GPU kernels of the int8 quantization operators (cuda/gpu_ops_quant.cc): every output on gpu(0) equals the
// CPU kernel's bitwise (write and add requests), and no call is host-staged (skipped, visibly, without a GPU).
#include <cmath>
#include <limits>

#include "test_op_gpu_req.h"

namespace {

using namespace mxct_gpu;

std::vector<GivenCase> QuantCases() {
  const NDArray x = mxct::Random({5, 301}, -2.5, 3.0, mxc::kFloat32, 7);
  std::vector<double> xv = mxct::ToVec(x);
  for (size_t i = 0; i < 120; ++i) xv[i] = (static_cast<double>(i) - 60) / 127.0 * 2.0;  // near halves
  xv[200] = std::numeric_limits<double>::quiet_NaN();
  const NDArray xn = mxct::FromVec({5, 301}, xv);
  const NDArray xs = mxct::Random({5, 301}, -2.5, 3.0, mxc::kFloat32, 8);
  auto r = [](double v) { return mxct::FromVec({1}, {v}); };
  std::vector<double> qv(777), i8(256), u8(256);
  for (size_t i = 0; i < qv.size(); ++i) qv[i] = std::fmod(static_cast<double>(i) * 2654435761.0, 8e8) - 4e8;
  for (int i = 0; i < 256; ++i) i8[i] = i - 128, u8[i] = i;
  const NDArray q = mxct::FromVec({7, 111}, qv, mxc::kInt32);
  std::vector<GivenCase> c;
  for (const char *ot : {"int8", "uint8"}) {
    c.push_back({"_contrib_quantize", {{"out_type", ot}}, {xn, r(-1), r(2)}});
    c.push_back({"_contrib_quantize", {{"out_type", ot}}, {xs, r(-3), r(0.5)}});
    c.push_back({"_contrib_quantize", {{"out_type", ot}}, {xs, r(0), r(0)}});
  }
  for (const char *ot : {"int8", "uint8", "auto"}) {
    c.push_back({"_contrib_quantize_v2", {{"out_type", ot}}, {xn}});
    c.push_back({"_contrib_quantize_v2", {{"out_type", ot}}, {xs}});
    c.push_back({"_contrib_quantize_v2", {{"out_type", ot}, {"min_calib_range", "-1"}, {"max_calib_range", "2"}},
                 {xn}});
    c.push_back({"_contrib_quantize_v2", {{"out_type", ot}, {"min_calib_range", "0.5"}, {"max_calib_range", "2"}},
                 {xs}});
    c.push_back({"_contrib_quantize_v2", {{"out_type", ot}}, {mxct::FromVec({0, 3}, {})}});
    c.push_back({"_contrib_requantize", {{"out_type", ot}}, {q, r(-10), r(10)}});
    c.push_back({"_contrib_requantize", {{"out_type", ot}, {"min_calib_range", "-0.5"}, {"max_calib_range", "0.7"}},
                 {q, r(-4), r(7)}});
    c.push_back({"_contrib_requantize", {{"out_type", ot}, {"min_calib_range", "0"}, {"max_calib_range", "0.7"}},
                 {q, r(-4), r(7)}});
    c.push_back({"_contrib_requantize", {{"out_type", ot}}, {mxct::FromVec({0}, {}, mxc::kInt32), r(-4), r(7)}});
  }
  c.push_back({"_contrib_dequantize", {}, {mxct::FromVec({256}, i8, mxc::kInt8), r(-1), r(2)}});
  c.push_back({"_contrib_dequantize", {}, {mxct::FromVec({256}, u8, mxc::kUint8), r(-0.3), r(0.1)}});
  // quantized_fully_connected (int8 and uint8 data, with and without bias, flatten or not) and quantized_flatten
  auto ints = [](const TShape &sh, int lo, int hi, int dt, uint64_t seed) {
    std::vector<double> v = mxct::ToVec(mxct::Random(sh, 0, 1, mxc::kFloat64, seed));
    for (auto &e : v) e = std::floor(lo + e * (hi - lo + 1));
    return mxct::FromVec(sh, v, dt);
  };
  const NDArray d8 = ints({6, 2, 35}, -128, 127, mxc::kInt8, 11), du8 = ints({6, 2, 35}, 0, 255, mxc::kUint8, 12);
  const NDArray w70 = ints({37, 70}, -128, 127, mxc::kInt8, 13), w35 = ints({37, 35}, -128, 127, mxc::kInt8, 14);
  const NDArray b = ints({37}, -128, 127, mxc::kInt8, 15);
  for (const NDArray &d : {d8, du8}) {
    const std::vector<NDArray> rg = {r(-1.5), r(2.5), r(-0.7), r(0.3), r(-0.2), r(0.9)};
    c.push_back({"_contrib_quantized_fully_connected", {{"num_hidden", "37"}},
                 {d, w70, b, rg[0], rg[1], rg[2], rg[3], rg[4], rg[5]}});
    c.push_back({"_contrib_quantized_fully_connected", {{"num_hidden", "37"}, {"no_bias", "true"}},
                 {d, w70, rg[0], rg[1], rg[2], rg[3]}});
    c.push_back({"_contrib_quantized_fully_connected", {{"num_hidden", "37"}, {"flatten", "false"}},
                 {d, w35, b, rg[0], rg[1], rg[2], rg[3], rg[4], rg[5]}});
    c.push_back({"_contrib_quantized_flatten", {}, {d, r(-1), r(3)}});
  }
  c.push_back({"_contrib_quantized_flatten", {}, {q, r(-1), r(3)}});
  // quantized_conv (strides, padding, dilation, groups) and quantized_pooling (max, avg; conventions, padding)
  const NDArray cd8 = ints({2, 4, 9, 8}, -128, 127, mxc::kInt8, 21), cdu8 = ints({2, 4, 9, 8}, 0, 255, mxc::kUint8, 22);
  const NDArray cw = ints({6, 4, 3, 3}, -128, 127, mxc::kInt8, 23), cw2 = ints({6, 2, 3, 2}, -128, 127, mxc::kInt8, 24);
  const NDArray cb = ints({6}, -128, 127, mxc::kInt8, 25);
  for (const NDArray &d : {cd8, cdu8}) {
    c.push_back({"_contrib_quantized_conv", {{"kernel", "(3,3)"}, {"num_filter", "6"}},
                 {d, cw, cb, r(-1), r(2), r(-0.5), r(0.3), r(-1), r(1)}});
    c.push_back({"_contrib_quantized_conv",
                 {{"kernel", "(3,3)"}, {"num_filter", "6"}, {"stride", "(2,1)"}, {"pad", "(1,2)"}, {"dilate", "(1,2)"},
                  {"no_bias", "true"}},
                 {d, cw, r(-1), r(2), r(-0.5), r(0.3)}});
    c.push_back({"_contrib_quantized_conv",
                 {{"kernel", "(3,2)"}, {"num_filter", "6"}, {"num_group", "2"}, {"pad", "(1,1)"}},
                 {d, cw2, cb, r(0), r(2), r(-0.5), r(0.3), r(-1), r(1)}});
    c.push_back({"_contrib_quantized_act", {{"act_type", "relu"}}, {d, r(-1), r(2)}});
    for (const char *pt : {"max", "avg"}) {
      c.push_back({"_contrib_quantized_pooling", {{"kernel", "(3,3)"}, {"stride", "(2,2)"}, {"pad", "(1,1)"},
                                                  {"pool_type", pt}}, {d, r(-1), r(2)}});
      c.push_back({"_contrib_quantized_pooling", {{"kernel", "(2,3)"}, {"stride", "(2,2)"}, {"pad", "(1,1)"},
                                                  {"pool_type", pt}, {"count_include_pad", "false"},
                                                  {"pooling_convention", "full"}}, {d, r(-1), r(2)}});
      c.push_back({"_contrib_quantized_pooling", {{"global_pool", "true"}, {"pool_type", pt}}, {d, r(-1), r(2)}});
    }
  }
  // quantized_concat: int8 with int8/uint8 inputs (rescaled), uint8 only, along axes 0, 1 and -1
  const NDArray k1 = ints({3, 4, 5}, -128, 127, mxc::kInt8, 31), k2 = ints({3, 2, 5}, 0, 255, mxc::kUint8, 32);
  const NDArray k3 = ints({3, 2, 5}, 0, 255, mxc::kUint8, 33), k4 = ints({3, 4, 2}, -128, 127, mxc::kInt8, 34);
  c.push_back({"_contrib_quantized_concat", {{"num_args", "2"}}, {k1, k2, r(-1), r(2), r(0), r(0.5)}});
  c.push_back({"_contrib_quantized_concat", {{"num_args", "2"}}, {k2, k3, r(0), r(2), r(0), r(3)}});
  c.push_back({"_contrib_quantized_concat", {{"num_args", "3"}, {"dim", "-1"}},
               {k1, k4, k1, r(-1), r(2), r(-3), r(0.5), r(-1), r(2)}});
  c.push_back({"_contrib_quantized_concat", {{"num_args", "2"}, {"dim", "0"}}, {k1, k1, r(-1), r(1), r(-1), r(1)}});
  return c;
}

TEST(OpGpuQuant, MatchTheCpuNatively) {
  if (!HaveGPU()) GTEST_SKIP() << "no GPU on this machine";
#ifdef MXC_USE_CUDA
  const int64_t staged = mxc::gpu::HostStagedCalls();
  for (auto &c : QuantCases()) CompareGiven(c, mxc::kWriteTo);
  EXPECT_EQ(mxc::gpu::HostStagedCalls(), staged) << "every call above ran natively";
#endif
}

TEST(OpGpuQuant, AddRequestsNatively) {
  if (!HaveGPU()) GTEST_SKIP() << "no GPU on this machine";
#ifdef MXC_USE_CUDA
  const int64_t staged = mxc::gpu::HostStagedCalls();
  for (auto &c : QuantCases()) CompareGiven(c, mxc::kAddTo);
  EXPECT_EQ(mxc::gpu::HostStagedCalls(), staged) << "every call above ran natively";
#endif
}

}  // namespace
