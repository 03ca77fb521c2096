// The operators of branch misc against independent references: contrib fft / ifft against a naive DFT (loops in
// long double, written here), their gradients by finite differences, and their errors.
#include <cmath>
#include <algorithm>
#include <complex>

#include "test_op_nn_util.h"
#include "test_op_tensor_common.h"

namespace {

using namespace mxct;
using mxc::ErrorKind;

// Naive DFT of each row of n complex points (re, im interleaved), sign -1 forward, +1 inverse, unnormalised.
std::vector<double> NaiveDft(const std::vector<double> &x, int64_t rows, int64_t n, int sign) {
  std::vector<double> y(x.size());
  const long double pi = 3.141592653589793238462643383279502884L;
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t k = 0; k < n; ++k) {
      long double re = 0, im = 0;
      for (int64_t j = 0; j < n; ++j) {
        const long double a = sign * 2 * pi * static_cast<long double>((j * k) % n) / n;
        const long double xr = x[(r * n + j) * 2], xi = x[(r * n + j) * 2 + 1];
        re += std::cos(a) * xr - std::sin(a) * xi;
        im += std::cos(a) * xi + std::sin(a) * xr;
      }
      y[(r * n + k) * 2] = static_cast<double>(re);
      y[(r * n + k) * 2 + 1] = static_cast<double>(im);
    }
  return y;
}

std::vector<double> RealToComplex(const std::vector<double> &x) {
  std::vector<double> c(x.size() * 2, 0.0);
  for (size_t i = 0; i < x.size(); ++i) c[2 * i] = x[i];
  return c;
}

TEST(ContribFft, MatchesNaiveDft) {
  // power-of-two lengths (radix-2) and others (direct DFT), 2-D and 4-D, float32 and float64, small compute_size
  const std::vector<std::pair<mxc::TShape, std::string>> cases = {
      {{3, 8}, "128"}, {{2, 3, 1, 5}, "128"}, {{5, 16}, "2"}, {{4, 6}, "3"}, {{2, 1}, "1"}, {{3, 64}, "128"},
      {{1, 2, 2, 12}, "1"}};
  for (int dtype : {mxc::kFloat32, mxc::kFloat64}) {
    const double tol = dtype == mxc::kFloat32 ? 2e-5 : 1e-11;
    for (const auto &c : cases) {
      const mxc::TShape &s = c.first;
      const int64_t n = s[s.ndim() - 1], rows = mxc::ShapeSize(s) / n;
      auto x = Random(s, -2, 2, dtype, 7);
      const auto xv = ToVec(x);
      auto y = mxct::Run("_contrib_fft", {x}, {{"compute_size", c.second}})[0];
      mxc::TShape os = s;
      os[os.ndim() - 1] = 2 * n;
      EXPECT_EQ(y.shape(), os);
      const auto ref = NaiveDft(RealToComplex(xv), rows, n, -1);
      ExpectNear(ToVec(y), ref, tol, tol * 4, "fft " + mxc::ShapeStr(s));
      // ifft of fft: n times the data (unnormalised)
      auto z = mxct::Run("_contrib_ifft", {y}, {{"compute_size", c.second}})[0];
      EXPECT_EQ(z.shape(), s);
      std::vector<double> nx(xv);
      for (auto &v : nx) v *= static_cast<double>(n);
      ExpectNear(ToVec(z), nx, tol, tol * 4 * n, "ifft(fft) " + mxc::ShapeStr(s));
      // ifft of arbitrary complex data: the real part of the naive inverse DFT
      auto w = Random(os, -1, 1, dtype, 9);
      const auto inv = NaiveDft(ToVec(w), rows, n, 1);
      std::vector<double> re(rows * n);
      for (int64_t i = 0; i < rows * n; ++i) re[i] = inv[2 * i];
      ExpectNear(ToVec(mxct::Run("_contrib_ifft", {w}, {{"compute_size", c.second}})[0]), re, tol, tol * 4,
                 "ifft " + mxc::ShapeStr(s));
    }
  }
}

TEST(ContribFft, KnownValues) {
  // fft([1, 2, 3, 4]) = [10, -2+2i, -2, -2-2i]; ifft of that is 4 * [1, 2, 3, 4]
  auto y = mxct::Run("_contrib_fft", {FromVec({1, 4}, {1, 2, 3, 4})})[0];
  ExpectNear(ToVec(y), {10, 0, -2, 2, -2, 0, -2, -2}, 1e-6, 1e-6, "fft");
  ExpectNear(ToVec(mxct::Run("_contrib_ifft", {y})[0]), {4, 8, 12, 16}, 1e-6, 1e-6, "ifft");
  // An empty batch.
  auto e = mxct::Run("_contrib_fft", {FromVec({0, 3}, {})})[0];
  EXPECT_EQ(e.shape(), mxc::TShape({0, 6}));
}

TEST(ContribFft, Gradients) {
  for (const char *op : {"_contrib_fft", "_contrib_ifft"}) {
    CheckGradient(GradCase{op, {}, {{3, 8}}});
    CheckGradient(GradCase{op, {{"compute_size", "2"}}, {{2, 2, 1, 6}}});
    CheckGradient(GradCase{op, {}, {{4, 10}}});
  }
}

TEST(ContribFft, Errors) {
  ExpectError("_contrib_fft", {FromVec({4}, {1, 2, 3, 4})}, {}, ErrorKind::kShape, {"_contrib_fft", "(4,)"});
  ExpectError("_contrib_fft", {FromVec({1, 2, 2}, {1, 2, 3, 4})}, {}, ErrorKind::kShape, {"_contrib_fft", "(1,2,2)"});
  ExpectError("_contrib_ifft", {FromVec({2, 3}, {1, 2, 3, 4, 5, 6})}, {}, ErrorKind::kShape,
              {"_contrib_ifft", "(2,3)", "even"});
  ExpectError("_contrib_fft", {FromVec({1, 2}, {1, 2})}, {{"compute_size", "0"}}, ErrorKind::kValue,
              {"_contrib_fft", "compute_size"});
}

// ---- legacy operators --------------------------------------------------------------------------------------------
std::vector<double> SinData(int64_t n) {
  std::vector<double> v(n);
  for (int64_t i = 0; i < n; ++i) v[i] = std::sin(static_cast<double>(i));
  return v;
}

// MXNet 1.9.1: Pooling_v1(sin(arange(150)).reshape(2, 3, 5, 5), kernel=(3, 3), pool_type='avg', pad=(1, 1),
// stride=(2, 2), pooling_convention='full').ravel()[:6], shape (2, 3, 3, 3)
TEST(LegacyOps, PoolingV1AsMXNet) {
  auto x = FromVec({2, 3, 5, 5}, SinData(150));
  auto y = mxct::Run("Pooling_v1", {x},
                     {{"kernel", "(3,3)"}, {"pool_type", "avg"}, {"pad", "(1,1)"}, {"stride", "(2,2)"},
                      {"pooling_convention", "full"}})[0];
  EXPECT_EQ(y.shape(), mxc::TShape({2, 3, 3, 3}));
  auto v = ToVec(y);
  ExpectNear(std::vector<double>(v.begin(), v.begin() + 6),
             {-0.04409654, 0.36209086, 0.08731047, -0.26888517, -0.19441721, 0.24568234}, 1e-6, 1e-7, "MXNet");
  ExpectError("Pooling_v1", {FromVec({1, 2, 3}, SinData(6))}, {{"kernel", "(2,)"}}, ErrorKind::kShape,
              {"Pooling_v1", "(1,2,3)"});
  for (const char *t : {"max", "avg", "sum"})
    CheckGradient(GradCase{"Pooling_v1", {{"kernel", "(2,2)"}, {"stride", "(2,1)"}, {"pool_type", t}}, {{1, 2, 4, 5}}});
}

TEST(LegacyOps, ConvolutionV1IsConvolution) {
  auto x = Random({2, 3, 6, 5}, -1, 1, mxc::kFloat32, 3), w = Random({4, 3, 3, 2}, -1, 1, mxc::kFloat32, 4),
       b = Random({4}, -1, 1, mxc::kFloat32, 5);
  const Params pr = {{"kernel", "(3,2)"}, {"num_filter", "4"}, {"pad", "(1,0)"}, {"stride", "(1,2)"}};
  ExpectNear(ToVec(mxct::Run("Convolution_v1", {x, w, b}, pr)[0]), ToVec(mxct::Run("Convolution", {x, w, b}, pr)[0]),
             0, 0, "as Convolution");
  ExpectError("Convolution_v1", {FromVec({1, 1, 3}, {1, 2, 3}), FromVec({1, 1, 2}, {1, 1}), FromVec({1}, {0})},
              {{"kernel", "(2,)"}, {"num_filter", "1"}}, ErrorKind::kValue, {"Convolution_v1", "1D convolution"});
  CheckGradient(GradCase{"Convolution_v1", pr, {{2, 3, 6, 5}, {4, 3, 3, 2}, {4}}});
}

// BatchNorm_v1's third output is the batch variance (naive), the moving variance in inference.
TEST(LegacyOps, BatchNormV1OutputsTheVariance) {
  auto x = Random({4, 3, 2, 2}, -2, 2, mxc::kFloat64, 8);
  auto g = FromVec({3}, {1.5, 0.5, -1}, mxc::kFloat64), be = FromVec({3}, {0.1, -0.2, 0.3}, mxc::kFloat64);
  auto mm = FromVec({3}, {0.2, -0.1, 0.4}, mxc::kFloat64), mv = FromVec({3}, {1.5, 0.8, 2}, mxc::kFloat64);
  const auto xv = ToVec(x);
  std::vector<double> mean(3, 0), var(3, 0);
  for (int n = 0; n < 4; ++n)
    for (int c = 0; c < 3; ++c)
      for (int s = 0; s < 4; ++s) mean[c] += xv[(n * 3 + c) * 4 + s] / 16;
  for (int n = 0; n < 4; ++n)
    for (int c = 0; c < 3; ++c)
      for (int s = 0; s < 4; ++s) var[c] += std::pow(xv[(n * 3 + c) * 4 + s] - mean[c], 2) / 16;
  auto outs = ForwardAllOutputs("BatchNorm_v1", {x, g, be, mm, mv}, {{"fix_gamma", "0"}, {"output_mean_var", "1"}},
                                true);
  ASSERT_EQ(outs.size(), 3u);
  ExpectNear(ToVec(outs[1]), mean, 1e-10, 1e-12, "mean");
  ExpectNear(ToVec(outs[2]), var, 1e-10, 1e-12, "var");
  auto yv = ToVec(outs[0]);
  for (int c = 0; c < 3; ++c) {
    const double eps = static_cast<double>(static_cast<float>(1e-3));  // BatchNorm_v1's eps is a float
    const double gv[] = {1.5, 0.5, -1}, bv[] = {0.1, -0.2, 0.3};
    EXPECT_NEAR(yv[c * 4], gv[c] * (xv[c * 4] - mean[c]) / std::sqrt(var[c] + eps) + bv[c], 1e-9);
  }
  // (fresh moving statistics: the training call above updated them)
  auto inf = ForwardAllOutputs("BatchNorm_v1",
                               {x, g, be, FromVec({3}, {0.2, -0.1, 0.4}, mxc::kFloat64),
                                FromVec({3}, {1.5, 0.8, 2}, mxc::kFloat64)},
                               {{"output_mean_var", "1"}}, false);
  ExpectNear(ToVec(inf[2]), {1.5, 0.8, 2}, 1e-12, 1e-12, "moving var");
  CheckGradient(GradCase{"BatchNorm_v1", {{"fix_gamma", "false"}}, {{4, 3, 2}, {3}, {3}, {3}, {3}}, -1, 1, {3, 4},
                         [](std::vector<NDArray> &in) { in[4] = Random({3}, 0.5, 1.5, mxc::kFloat64, 2); }, true});
}

// ---- internal operators (misc_more4.cc) --------------------------------------------------------------------------
// MXNet 1.9.1: _onehot_encode([1, 0, 3, 2.7], zeros((4, 5))) has its ones at (0, 1), (1, 0), (2, 3), (3, 2); an index
// outside [0, 5) gives a row of zeros.
TEST(MiscOps4, OneHotEncode) {
  auto y = mxct::Run("_onehot_encode",
                     {FromVec({5}, {1, 0, 3, 2.7, 7}), FromVec({5, 5}, std::vector<double>(25, 9))})[0];
  std::vector<double> ref(25, 0);
  ref[1] = ref[5] = ref[13] = ref[17] = 1;
  ExpectNear(ToVec(y), ref, 0, 0, "one-hot");
  ExpectError("_onehot_encode", {FromVec({3}, {1, 2, 3}), FromVec({2, 5}, std::vector<double>(10, 0))}, {},
              ErrorKind::kShape, {"_onehot_encode", "(3,)", "(2,5)"});
  ExpectError("_onehot_encode", {FromVec({2}, {1, 2}, mxc::kFloat64), FromVec({2, 5}, std::vector<double>(10, 0),
                                                                                 mxc::kFloat64)},
              {}, ErrorKind::kType, {"_onehot_encode", "float32"});
}

TEST(MiscOps4, GradAddAndIdentityLike) {
  auto a = Random({3, 4}, -1, 1, mxc::kFloat64, 1), b = Random({3, 4}, -1, 1, mxc::kFloat64, 2);
  const auto av = ToVec(a), bv = ToVec(b);
  std::vector<double> sum(av.size());
  for (size_t i = 0; i < av.size(); ++i) sum[i] = av[i] + bv[i];
  ExpectNear(ToVec(mxct::Run("_grad_add", {a, b})[0]), sum, 0, 0, "_grad_add");
  ExpectNear(ToVec(mxct::Run("_grad_add", {FromVec({2}, {1, 2}, mxc::kInt32), FromVec({2}, {3, 4}, mxc::kInt32)})[0]),
             {4, 6}, 0, 0, "int32");
  ExpectNear(ToVec(mxct::Run("_identity_with_attr_like_rhs", {a, b})[0]), av, 0, 0, "identity");
  // MXNet: "Incompatible attr ... expected [2], got [3]" (no broadcasting)
  ExpectError("_grad_add", {FromVec({1, 2}, {1, 2}), FromVec({2}, {3, 4})}, {}, ErrorKind::kShape, {"_grad_add"});
  ExpectError("_identity_with_attr_like_rhs", {FromVec({2}, {1, 2}), FromVec({3}, {3, 4, 5})}, {}, ErrorKind::kShape,
              {"_identity_with_attr_like_rhs", "(2,)", "(3,)"});
  CheckGradient(GradCase{"_grad_add", {}, {{3, 4}, {3, 4}}});
  CheckGradient(GradCase{"_identity_with_attr_like_rhs", {}, {{2, 5}, {2, 5}}});
}

TEST(MiscOps4, Fills) {
  auto z = mxct::Run("_zeros_without_dtype", {}, {{"shape", "(2,3)"}})[0];
  EXPECT_EQ(z.shape(), mxc::TShape({2, 3}));
  EXPECT_EQ(z.dtype(), mxc::kFloat32);
  ExpectNear(ToVec(z), std::vector<double>(6, 0), 0, 0, "zeros");
  EXPECT_EQ(mxct::Run("_zeros_without_dtype", {}, {{"shape", "(4,)"}, {"dtype", "6"}})[0].dtype(), mxc::kInt64);
}

// MXNet 1.9.1 (penalty 0.1, sparseness_target 0.2, momentum 0.9, data [[0.2, 0.5], [0.9, 0.1], [0.3, 0.3]], head
// gradient [[1, -2], [0.5, 0], [0.25, 1]]): moving_avg [0.04666668, 0.03] after the first step, the gradient below.
TEST(MiscOps4, KLSparseRegAsMXNet) {
  const mxc::Op *op = mxc::OpRegistry::Get()->FindOrThrow("IdentityAttachKLSparseReg");
  mxc::OpParams p(op, {{"penalty", "0.1"}, {"sparseness_target", "0.2"}, {"momentum", "0.9"}});
  auto x = FromVec({3, 2}, {0.2, 0.5, 0.9, 0.1, 0.3, 0.3}), avg = FromVec({2}, {0, 0});
  std::vector<NDArray> out;
  mxc::Invoke(op, p, {x, avg}, &out, true);
  ExpectNear(ToVec(out[0]), ToVec(x), 0, 0, "identity");
  ExpectNear(ToVec(avg), {0.04666668176651001, 0.030000008642673492}, 1e-6, 1e-7, "moving_avg");
  // the backward kernel directly, against MXNet's gradient
  auto og = FromVec({3, 2}, {1, -2, 0.5, 0, 0.25, 1});
  auto dx = FromVec({3, 2}, std::vector<double>(6, 0));
  mxc::OpContext ctx;
  ctx.dev = mxc::Device::CPU();
  x.WaitToRead();
  op->backward.at(MXC_CPU)(ctx, p, {og.blob()}, {x.blob(), avg.blob()}, {out[0].blob()},
                           {mxc::kWriteTo, mxc::kNullOp}, {dx.blob(), mxc::TBlob()});
  ExpectNear(ToVec(dx), {0.6553447246551514, -2.5841922760009766, 0.15534475445747375, -0.5841922760009766,
                         -0.09465524554252625, 0.41580772399902344},
             1e-5, 1e-6, "gradient");
}

// Distinct classes per row, in range; their frequencies follow the log-uniform law; trials >= num_sampled.
TEST(MiscOps4, SampleUniqueZipfian) {
  auto outs = ForwardAllOutputs("_sample_unique_zipfian", {}, {{"range_max", "20"}, {"shape", "(3000, 3)"}}, false);
  ASSERT_EQ(outs.size(), 2u);
  EXPECT_EQ(outs[0].dtype(), mxc::kInt64);
  EXPECT_EQ(outs[1].shape(), mxc::TShape({3000}));
  const auto s = ToVec(outs[0]), t = ToVec(outs[1]);
  std::vector<double> first(20, 0);
  for (int b = 0; b < 3000; ++b) {
    EXPECT_GE(t[b], 3);
    for (int j = 0; j < 3; ++j) {
      ASSERT_GE(s[b * 3 + j], 0);
      ASSERT_LT(s[b * 3 + j], 20);
      for (int k = 0; k < j; ++k) EXPECT_NE(s[b * 3 + j], s[b * 3 + k]);
    }
    first[static_cast<int>(s[b * 3])] += 1.0 / 3000;  // the first draw of a row follows the base law
  }
  for (int c = 0; c < 20; ++c) EXPECT_NEAR(first[c], std::log((c + 2.0) / (c + 1.0)) / std::log(21.0), 0.03) << c;
  auto all = ForwardAllOutputs("_sample_unique_zipfian", {}, {{"range_max", "4"}, {"shape", "(2, 4)"}}, false);
  auto av = ToVec(all[0]);
  std::sort(av.begin(), av.begin() + 4);
  ExpectNear(std::vector<double>(av.begin(), av.begin() + 4), {0, 1, 2, 3}, 0, 0, "every class");
  ExpectErrorContains([] { ForwardAllOutputs("_sample_unique_zipfian", {}, {{"range_max", "3"}, {"shape", "(1, 4)"}},
                                             false); },
                      {"_sample_unique_zipfian", "cannot exceed"});
  ExpectErrorContains([] { ForwardAllOutputs("_sample_unique_zipfian", {}, {{"range_max", "30"}, {"shape", "(4,)"}},
                                             false); },
                      {"_sample_unique_zipfian", "2-D"});
}

}  // namespace
