// The operators of branch misc against independent references: contrib fft / ifft against a naive DFT (loops in
// long double, written here), their gradients by finite differences, and their errors.
#include <cmath>
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

}  // namespace
