// Native GPU kernels of more int8 quantization operators (cuda/gpu_ops_quant2.cc): every output on gpu(0) equals the
// CPU kernel's bitwise (write and add requests), and no call is host-staged (skipped, visibly, without a GPU).
#include <algorithm>
#include <cmath>
#include <limits>

#include "test_op_gpu_req.h"

namespace {

using namespace mxct_gpu;

// A histogram of n bins (counts 0..5, fractional with frac, some runs of zeros) and its edges over [-w, w].
std::vector<NDArray> Hist(int64_t n, double w, uint64_t seed, bool zeros = false, bool frac = false) {
  std::vector<double> h = mxct::ToVec(mxct::Random({n}, 0, 1, mxc::kFloat64, seed)), e(n + 1);
  for (int64_t k = 0; k < n; ++k) {
    h[k] = zeros ? 0.0 : frac ? h[k] * 6 : std::floor(h[k] * 6);
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
  // quantize_model's 8001 bins; fractional counts (truncated on the quantized side), one or two bins per quantized bin
  c.push_back({"_contrib_calibrate_entropy", {{"num_quantized_bins", "255"}}, Hist(8001, 3.0, 7)});
  c.push_back({"_contrib_calibrate_entropy", {{"num_quantized_bins", "31"}}, Hist(301, 2.0, 8, false, true)});
  c.push_back({"_contrib_calibrate_entropy", {{"num_quantized_bins", "5"}}, Hist(15, 2.0, 9, false, true)});
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

// quantized_batch_norm (int8 and uint8 data, channel axis 1 and others, a zero data range, a zero calibration
// range: infinite scales) and the multi-block range reductions of quantize_v2 / requantize (tensors spanning many
// blocks, the extremes placed far from the start, NaN, int32 extremes).
std::vector<GivenCase> Quant3Cases() {
  std::vector<GivenCase> c;
  auto r = [](double v) { return mxct::FromVec({1}, {v}); };
  auto ints = [](const TShape &sh, int lo, int hi, int dt, uint64_t seed) {
    std::vector<double> v = mxct::ToVec(mxct::Random(sh, 0, 1, mxc::kFloat64, seed));
    for (auto &e : v) e = std::floor(lo + e * (hi - lo + 1));
    return mxct::FromVec(sh, v, dt);
  };
  auto vec = [](int64_t n, double lo, double hi, uint64_t seed) { return mxct::Random({n}, lo, hi, mxc::kFloat32, seed); };
  const Params calib = {{"min_calib_range", "-2.5"}, {"max_calib_range", "3.25"}};
  const NDArray g = vec(5, -2, 2, 61), b = vec(5, -1, 1, 62), m = vec(5, -1, 1, 63), v = vec(5, 0.1, 2, 64);
  for (int dt : {mxc::kInt8, mxc::kUint8}) {
    const NDArray x = dt == mxc::kInt8 ? ints({3, 5, 7, 6}, -128, 127, dt, 65) : ints({3, 5, 7, 6}, 0, 255, dt, 65);
    c.push_back({"_contrib_quantized_batch_norm", calib, {x, g, b, m, v, r(-1.5), r(0.75)}});
    Params q = calib;
    q.push_back({"eps", "0.25"});
    q.push_back({"fix_gamma", "false"});
    c.push_back({"_contrib_quantized_batch_norm", q, {x, g, b, m, v, r(-0.1), r(4)}});
    c.push_back({"_contrib_quantized_batch_norm", calib, {x, g, b, m, v, r(0), r(0)}});  // zero data range
    c.push_back({"_contrib_quantized_batch_norm", {{"min_calib_range", "0"}, {"max_calib_range", "0"}},
                 {x, g, b, m, v, r(-1.5), r(0.75)}});  // zero output range
    const NDArray xl = dt == mxc::kInt8 ? ints({4, 6, 5}, -128, 127, dt, 66) : ints({4, 6, 5}, 0, 255, dt, 66);
    q = calib;
    q.push_back({"axis", "-1"});
    c.push_back({"_contrib_quantized_batch_norm", q, {xl, g, b, m, v, r(-2), r(2)}});
    q.back().second = "0";
    c.push_back({"_contrib_quantized_batch_norm", q, {ints({5, 9}, 0, 1, dt, 67), g, b, m, v, r(-2), r(2)}});
  }
  // ranges over 300000 elements (1172 blocks of 256: more than one pass-one grid)
  const int64_t n = 300000;
  std::vector<double> xv = mxct::ToVec(mxct::Random({n}, -1.0, 1.0, mxc::kFloat32, 71));
  xv[n - 3] = 7.5, xv[123457] = -9.25, xv[0] = std::numeric_limits<double>::quiet_NaN(), xv[n - 1] = xv[0];
  const NDArray xbig = mxct::FromVec({n}, xv);
  std::vector<double> yv(static_cast<size_t>(n), std::numeric_limits<double>::quiet_NaN());
  yv[200001] = -0.5;  // one number among NaNs
  const NDArray ynan = mxct::FromVec({n}, yv);
  std::vector<double> qv = mxct::ToVec(mxct::Random({n}, -1e6, 1e6, mxc::kFloat64, 72));
  for (auto &e : qv) e = std::floor(e);
  qv[n - 7] = 2147483647.0, qv[99999] = -2147483648.0;
  const NDArray qbig = mxct::FromVec({n}, qv, mxc::kInt32);
  for (const char *ot : {"int8", "uint8"}) {
    c.push_back({"_contrib_quantize_v2", {{"out_type", ot}}, {xbig}});
    c.push_back({"_contrib_quantize_v2", {{"out_type", ot}}, {ynan}});
    c.push_back({"_contrib_requantize", {{"out_type", ot}}, {qbig, r(-10), r(10)}});
  }
  return c;
}

TEST(OpGpuQuant2, QuantizedBatchNormAndRangesMatchTheCpuNatively) {
  if (!HaveGPU()) GTEST_SKIP() << "no GPU on this machine";
#ifdef MXC_USE_CUDA
  const int64_t staged = mxc::gpu::HostStagedCalls();
  for (auto &c : Quant3Cases()) CompareGiven(c, mxc::kWriteTo);
  for (auto &c : Quant3Cases()) CompareGiven(c, mxc::kAddTo);
  EXPECT_EQ(mxc::gpu::HostStagedCalls(), staged) << "every call above ran natively";
#endif
}

// quantized_batch_norm's CPU kernel against a naive double-free float32 reference of quant3_impl.h's formula.
TEST(OpGpuQuant2, QuantizedBatchNormCpuValues) {
  const mxc::Op *op = mxc::OpRegistry::Get()->FindOrThrow("_contrib_quantized_batch_norm");
  std::vector<double> xv;
  for (int k = -128; k < 128; ++k) xv.push_back(k);
  const NDArray x = mxct::FromVec({1, 2, 128}, xv, mxc::kInt8);
  const NDArray g = mxct::FromVec({2}, {1.0, 2.0}), b = mxct::FromVec({2}, {0.0, 0.5});
  const NDArray m = mxct::FromVec({2}, {0.0, 0.25}), v = mxct::FromVec({2}, {1.0, 0.5});
  std::vector<NDArray> out;
  mxc::Invoke(op, OpParams(op, {{"eps", "0"}, {"min_calib_range", "-2"}, {"max_calib_range", "1"}}),
              {x, g, b, m, v, mxct::FromVec({1}, {-1.0}), mxct::FromVec({1}, {0.5})}, &out);
  const auto y = HostVec(out[0]);
  // channel 0: q * (1 / 2) (data range 1, output range 2), half to even; channel 1: q * 2 / sqrt(0.5) / 2 + (0.5 -
  // 0.25 * 2 / sqrt(0.5)) * 63.75, saturated
  EXPECT_EQ(y[0], -64);   // -128 / 2
  EXPECT_EQ(y[1], -64);   // -127 / 2 = -63.5
  EXPECT_EQ(y[3], -62);   // -125 / 2 = -62.5
  EXPECT_EQ(y[127], 0);   // -1 / 2 = -0.5
  for (int k = 0; k < 128; ++k) {
    const double q = xv[128 + k], want = std::nearbyint(q * 2 / std::sqrt(0.5) / 2 + (0.5 - 0.5 / std::sqrt(0.5)) * 63.75);
    EXPECT_NEAR(y[128 + k], std::max(-128.0, std::min(127.0, want)), 1.0) << k;
  }
  EXPECT_EQ(HostVec(out[1])[0], -2);
  EXPECT_EQ(HostVec(out[2])[0], 1);
  // no calibration range: a ValueError naming the operator
  EXPECT_THROW(mxct::ToVec(mxct::Run("_contrib_quantized_batch_norm",
                                      {x, g, b, m, v, mxct::FromVec({1}, {-1.0}), mxct::FromVec({1}, {0.5})})[0]),
               mxc::Error);
}

// The all-zero histogram has no defined divergence: the first candidate's edge and FLT_MAX, as MXNet 1.9.1 prints.
TEST(OpGpuQuant2, CalibrateEntropyValues) {
  const auto c = Quant2Cases();
  std::vector<NDArray> out;
  const mxc::Op *op = mxc::OpRegistry::Get()->FindOrThrow(c[5].op);
  mxc::Invoke(op, OpParams(op, c[5].params), c[5].in, &out);
  const auto th = HostVec(out[0]), dv = HostVec(out[1]);
  EXPECT_FLOAT_EQ(th[0], static_cast<float>(-2.0 + 4.0 * (50 + 15 + 1) / 101.0));
  EXPECT_EQ(dv[0], static_cast<double>(std::numeric_limits<float>::max()));
}

// What MXNet 1.9.1's _contrib_calibrate_entropy printed for small histograms (edges k - n/2), on the CPU and on
// gpu(0): one bin per quantized bin (its first quantized bin is empty), several, counts truncated on the quantized
// side, no divergence defined (FLT_MAX).
TEST(OpGpuQuant2, CalibrateEntropyAsMxnet) {
  struct Want {
    std::vector<double> hist;
    int nq;
    double th, div;
  };
  const std::vector<Want> wants = {
      {{1, 1, 1, 1, 1}, 5, 2.5, 1.6189445},
      {{1, 2, 3, 4, 5, 6, 7}, 3, 3.5, 0.01887607},
      {{6, 5, 4, 2, 5, 4, 8, 6, 7}, 3, 4.5, 0.02313186228275299},
      {{0.5787552, 0.6089194, 9.31642, 0, 0.1557962, 9.315434, 2.2654483}, 7, 3.5, 0.45091936},
      {{0.19083461, 0.6782404, 0, 0, 2.6103792}, 1, 2.5, 0.405086874961853},
      {{0, 0, 0, 0, 1, 0, 0, 0, 0}, 3, 1.5, 0.0},
      {{1, 0, 0, 0, 0, 0, 0, 0, 0}, 3, 1.5, 3.4028234663852886e+38}};
  const mxc::Op *op = mxc::OpRegistry::Get()->FindOrThrow("_contrib_calibrate_entropy");
  std::vector<Device> devs = {Device::CPU()};
  if (HaveGPU()) devs.push_back(kGPU);
  for (const auto &dev : devs) {
    for (const auto &w : wants) {
      const int64_t n = static_cast<int64_t>(w.hist.size());
      std::vector<double> e(n + 1);
      for (int64_t k = 0; k <= n; ++k) e[k] = static_cast<double>(k) - static_cast<double>(n) / 2;
      std::vector<NDArray> in = {CopyTo(mxct::FromVec({n}, w.hist), dev), CopyTo(mxct::FromVec({n + 1}, e), dev)};
      std::vector<NDArray> out;
      mxc::Invoke(op, OpParams(op, {{"num_quantized_bins", std::to_string(w.nq)}}), in, &out);
      SCOPED_TRACE(std::to_string(n) + " bins, nq " + std::to_string(w.nq));
      EXPECT_EQ(HostVec(out[0])[0], w.th);
      EXPECT_NEAR(HostVec(out[1])[0], w.div, 1e-6 * w.div);
    }
  }
}

}  // namespace
