// Native GPU kernels of more int8 quantization operators (cuda/gpu_ops_quant2.cc): every output on gpu(0) equals the
// CPU kernel's bitwise (write and add requests), and no call is host-staged (skipped, visibly, without a GPU).
#include <cmath>
#include <limits>

#include "test_op_gpu_req.h"

namespace {

using namespace mxct_gpu;

// A histogram of n bins (counts 0..5, some runs of zeros) and its edges over [-w, w].
std::vector<NDArray> Hist(int64_t n, double w, uint64_t seed, bool zeros = false) {
  std::vector<double> h = mxct::ToVec(mxct::Random({n}, 0, 1, mxc::kFloat64, seed)), e(n + 1);
  for (int64_t k = 0; k < n; ++k) {
    h[k] = zeros ? 0.0 : std::floor(h[k] * 6);
    if (!zeros && (k % 17 < 3 || k == n / 2)) h[k] = 0;  // zero bins, the middle one too
  }
  for (int64_t k = 0; k <= n; ++k) e[k] = -w + 2 * w * static_cast<double>(k) / static_cast<double>(n);
  return {mxct::FromVec({n}, h), mxct::FromVec({n + 1}, e)};
}

std::vector<GivenCase> Quant2Cases() {
  std::vector<GivenCase> c;
  c.push_back({"_contrib_calibrate_entropy", {}, Hist(601, 3.5, 1)});
  c.push_back({"_contrib_calibrate_entropy", {{"num_quantized_bins", "255"}}, Hist(2001, 7.25, 2)});
  c.push_back({"_contrib_calibrate_entropy", {{"num_quantized_bins", "20"}}, Hist(64, 1.0, 3)});
  c.push_back({"_contrib_calibrate_entropy", {{"num_quantized_bins", "1"}}, Hist(9, 2.0, 4)});
  c.push_back({"_contrib_calibrate_entropy", {{"num_quantized_bins", "7"}}, Hist(7, 2.0, 5)});
  c.push_back({"_contrib_calibrate_entropy", {{"num_quantized_bins", "31"}}, Hist(101, 2.0, 6, true)});  // all zero
  // quantized_elemwise_add: int8, uint8 and mixed inputs, int32 output or requantized with a calibration range
  auto r = [](double v) { return mxct::FromVec({1}, {v}); };
  auto ints = [](const TShape &sh, int lo, int hi, int dt, uint64_t seed) {
    std::vector<double> v = mxct::ToVec(mxct::Random(sh, 0, 1, mxc::kFloat64, seed));
    for (auto &e : v) e = std::floor(lo + e * (hi - lo + 1));
    return mxct::FromVec(sh, v, dt);
  };
  const NDArray a8 = ints({7, 53}, -128, 127, mxc::kInt8, 31), b8 = ints({7, 53}, -128, 127, mxc::kInt8, 32);
  const NDArray au = ints({7, 53}, 0, 255, mxc::kUint8, 33), bu = ints({7, 53}, 0, 255, mxc::kUint8, 34);
  const std::vector<std::vector<NDArray>> pairs = {{a8, b8}, {au, bu}, {a8, bu}, {au, b8}};
  for (const auto &ab : pairs) {
    const NDArray &a = ab[0], &b = ab[1];
    c.push_back({"_contrib_quantized_elemwise_add", {}, {a, b, r(-2.5), r(1.75), r(-0.3), r(0.9)}});
    c.push_back({"_contrib_quantized_elemwise_add", {}, {a, b, r(-1), r(1), r(-1), r(1)}});
    c.push_back({"_contrib_quantized_elemwise_add", {}, {a, b, r(0), r(0), r(0), r(0)}});  // zero ranges
    c.push_back({"_contrib_quantized_elemwise_add", {{"min_calib_range", "-1.5"}, {"max_calib_range", "2.25"}},
                 {a, b, r(-2.5), r(1.75), r(-0.3), r(0.9)}});
    c.push_back({"_contrib_quantized_elemwise_add", {{"min_calib_range", "0"}, {"max_calib_range", "0.5"}},
                 {a, b, r(-7), r(7), r(-3), r(3)}});
  }
  // quantized_elemwise_mul: int32, float and calibrated int8 outputs (wrapping), a zero range
  for (const Params &mp : std::vector<Params>{{}, {{"enable_float_output", "true"}},
                                              {{"min_calib_range", "-3"}, {"max_calib_range", "2.5"}},
                                              {{"min_calib_range", "0"}, {"max_calib_range", "0.05"}}}) {
    c.push_back({"_contrib_quantized_elemwise_mul", mp, {a8, b8, r(-2.5), r(1.75), r(-0.3), r(0.9)}});
    c.push_back({"_contrib_quantized_elemwise_mul", mp, {a8, b8, r(0), r(0), r(-1), r(1)}});
  }
  // quantized_embedding: indices of every dtype, out of range, fractional, NaN
  {
    const NDArray w = ints({9, 13}, -128, 127, mxc::kInt8, 51);
    std::vector<double> iv = mxct::ToVec(mxct::Random({4, 6}, -3, 12, mxc::kFloat64, 52));
    iv[3] = std::numeric_limits<double>::quiet_NaN();
    const Params ep = {{"input_dim", "9"}, {"output_dim", "13"}};
    c.push_back({"_contrib_quantized_embedding", ep, {mxct::FromVec({4, 6}, iv), w, r(-0.5), r(0.7)}});
    iv[3] = 2;
    for (int dt : {mxc::kFloat64, mxc::kInt32, mxc::kInt64, mxc::kInt8, mxc::kUint8}) {
      std::vector<double> jv = iv;
      for (auto &e : jv) e = std::floor(e < 0 && dt == mxc::kUint8 ? 0 : e);
      c.push_back({"_contrib_quantized_embedding", ep, {mxct::FromVec({4, 6}, jv, dt), w, r(-0.5), r(0.7)}});
    }
  }
  // quantize_asym: the data's range (NaN left out) or a calibration range, an empty and a zero range
  std::vector<double> xv = mxct::ToVec(mxct::Random({6, 77}, -2.5, 3.0, mxc::kFloat32, 41));
  xv[5] = std::numeric_limits<double>::quiet_NaN();
  const NDArray x = mxct::FromVec({6, 77}, xv);
  c.push_back({"_contrib_quantize_asym", {}, {x}});
  c.push_back({"_contrib_quantize_asym", {{"min_calib_range", "-0.5"}, {"max_calib_range", "1.5"}}, {x}});
  c.push_back({"_contrib_quantize_asym", {{"min_calib_range", "1"}, {"max_calib_range", "1"}}, {x}});
  c.push_back({"_contrib_quantize_asym", {}, {mxct::FromVec({0, 3}, {})}});
  return c;
}

TEST(OpGpuQuant2, MatchTheCpuNatively) {
  if (!HaveGPU()) GTEST_SKIP() << "no GPU on this machine";
#ifdef MXC_USE_CUDA
  const int64_t staged = mxc::gpu::HostStagedCalls();
  for (auto &c : Quant2Cases()) CompareGiven(c, mxc::kWriteTo);
  EXPECT_EQ(mxc::gpu::HostStagedCalls(), staged) << "every call above ran natively";
#endif
}

TEST(OpGpuQuant2, AddRequestsNatively) {
  if (!HaveGPU()) GTEST_SKIP() << "no GPU on this machine";
#ifdef MXC_USE_CUDA
  const int64_t staged = mxc::gpu::HostStagedCalls();
  for (auto &c : Quant2Cases()) CompareGiven(c, mxc::kAddTo);
  EXPECT_EQ(mxc::gpu::HostStagedCalls(), staged) << "every call above ran natively";
#endif
}

// The all-zero histogram has no defined divergence: the first candidate's edge and an infinite divergence.
TEST(OpGpuQuant2, CalibrateEntropyValues) {
  const auto c = Quant2Cases();
  std::vector<NDArray> out;
  const mxc::Op *op = mxc::OpRegistry::Get()->FindOrThrow(c[5].op);
  mxc::Invoke(op, OpParams(op, c[5].params), c[5].in, &out);
  const auto th = HostVec(out[0]), dv = HostVec(out[1]);
  EXPECT_FLOAT_EQ(th[0], static_cast<float>(-2.0 + 4.0 * (50 + 15 + 1) / 101.0));
  EXPECT_TRUE(std::isinf(dv[0]));
}

}  // namespace
