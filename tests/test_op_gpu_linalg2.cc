// Native GPU kernels of cuda/gpu_ops_linalg2.cc (_linalg_potrf, _linalg_potri, _linalg_trsm, _linalg_inverse,
// _linalg_det, _linalg_slogdet, _linalg_gelqf, _linalg_syevd): forward and every gradient on gpu(0) against the CPU
// kernels, with write and add requests, the CPU's errors (not positive definite, singular) and singular
// determinants, without host staging (skipped, visibly, without a GPU).
#include <cmath>
#include <limits>

#include "test_op_gpu_req.h"
#include "test_op_gpu_util.h"

namespace {

using namespace mxct_gpu;

constexpr int kF64 = mxc::kFloat64;
using Fill = std::function<void(std::vector<NDArray> &)>;

// Input k's matrices (last two axes, n x n) made symmetric positive definite: M M^T / n + I from its values M.
Fill Spd(int k) {
  return [=](std::vector<NDArray> &in) {
    std::vector<double> v = mxct::ToVec(in[k]);
    const TShape s = in[k].shape();
    const int64_t n = s[s.size() - 1], batch = static_cast<int64_t>(v.size()) / (n * n);
    std::vector<double> r(v.size());
    for (int64_t b = 0; b < batch; ++b)
      for (int64_t i = 0; i < n; ++i)
        for (int64_t j = 0; j < n; ++j) {
          double acc = i == j ? 1.0 : 0.0;
          for (int64_t q = 0; q < n; ++q) acc += v[b * n * n + i * n + q] * v[b * n * n + j * n + q] / n;
          r[b * n * n + i * n + j] = acc;
        }
    in[k] = mxct::FromVec(s, r, in[k].dtype());
  };
}
// Input k's matrices with diagonal entries 1.5 + |v| (well-conditioned triangles and LU factors).
Fill DominantDiag(int k, double base = 1.5) {
  return [=](std::vector<NDArray> &in) {
    std::vector<double> v = mxct::ToVec(in[k]);
    const TShape s = in[k].shape();
    const int64_t n = s[s.size() - 1];
    for (size_t e = 0; e < v.size(); ++e)
      if ((static_cast<int64_t>(e) / n) % n == static_cast<int64_t>(e) % n) v[e] = base + std::fabs(v[e]);
    in[k] = mxct::FromVec(s, v, in[k].dtype());
  };
}

std::vector<Case> LinalgCases() {
  std::vector<Case> v;
  auto add = [&](Case c) { v.push_back(std::move(c)); };
  add({"_linalg_potrf", {}, {{4, 4}}, -1, 1, {}, Spd(0)});
  add({"_linalg_potrf", {}, {{2, 3, 5, 5}}, -1, 1, {}, Spd(0), false, kF64});
  add({"_linalg_potrf", {}, {{2, 40, 40}}, -1, 1, {}, Spd(0)});  // more rows than a warp
  add({"_linalg_potri", {}, {{3, 4, 4}}, -1, 1, {}, DominantDiag(0)});
  add({"_linalg_potri", {}, {{2, 6, 6}}, -1, 1, {}, DominantDiag(0), false, kF64});
  for (const char *tr : {"false", "true"})
    for (const char *lo : {"true", "false"}) {
      add({"_linalg_trsm", {{"transpose", tr}, {"lower", lo}, {"alpha", "0.75"}}, {{2, 4, 4}, {2, 4, 3}}, -1, 1, {},
           DominantDiag(0)});
      add({"_linalg_trsm", {{"transpose", tr}, {"lower", lo}, {"rightside", "true"}, {"alpha", "-1.5"}},
           {{2, 4, 4}, {2, 5, 4}}, -1, 1, {}, DominantDiag(0), false, kF64});
    }
  add({"_linalg_trsm", {{"rightside", "true"}}, {{3, 3}, {2, 3}}, -1, 1, {}, DominantDiag(0)});
  add({"_linalg_trsm", {{"transpose", "true"}}, {{2, 1, 36, 36}, {2, 1, 36, 2}}, -1, 1, {}, DominantDiag(0, 3)});
  add({"_linalg_inverse", {}, {{3, 4, 4}}, -1, 1, {}, DominantDiag(0)});
  add({"_linalg_inverse", {}, {{5, 5}}, -1, 1, {}, DominantDiag(0, 0.5), false, kF64});
  add({"_linalg_inverse", {}, {{2, 3, 3}}, -2, 2});  // pivoting
  add({"_linalg_det", {}, {{3, 4, 4}}, -1, 1});
  add({"_linalg_det", {}, {{5, 5}}, -1, 1, {}, nullptr, false, kF64});
  add({"_linalg_det", {}, {{2, 2, 6, 6}}, -2, 2, {}, DominantDiag(0, 0.2)});
  add({"_linalg_slogdet", {}, {{3, 4, 4}}, -1, 1});
  add({"_linalg_slogdet", {}, {{2, 5, 5}}, -1, 1, {}, nullptr, false, kF64});
  add({"_linalg_slogdet", {}, {{6, 6}}, -2, 2, {}, DominantDiag(0, 0.3)});
  add({"_linalg_gelqf", {}, {{3, 5}}, -1, 1});
  add({"_linalg_gelqf", {}, {{2, 4, 4}}, -1, 1, {}, nullptr, false, kF64});
  add({"_linalg_gelqf", {}, {{2, 1, 6}}, -1, 1});
  add({"_linalg_gelqf", {}, {{36, 40}}, -1, 1, {}, DominantDiag(0, 0.5), false, kF64});  // more rows than a warp
  add({"_linalg_syevd", {}, {{4, 4}}, -1, 1});
  add({"_linalg_syevd", {}, {{2, 3, 5, 5}}, -1, 1, {}, nullptr, false, kF64});
  add({"_linalg_syevd", {}, {{40, 40}}, -1, 1, {}, nullptr, false, kF64});
  return v;
}

TEST(OpGpuLinalg2, MatchTheCpuNatively) {
  if (!HaveGPU()) GTEST_SKIP() << "no GPU on this machine";
#ifdef MXC_USE_CUDA
  const int64_t staged = mxc::gpu::HostStagedCalls();
  CompareNative(LinalgCases());
  EXPECT_EQ(mxc::gpu::HostStagedCalls(), staged) << "every call above ran natively";
#endif
}

TEST(OpGpuLinalg2, ReqWriteAndAddNatively) {
  if (!HaveGPU()) GTEST_SKIP() << "no GPU on this machine";
#ifdef MXC_USE_CUDA
  const int64_t staged = mxc::gpu::HostStagedCalls();
  for (auto &c : LinalgCases()) {
    CompareReq(c, mxc::kWriteTo);
    CompareReq(c, mxc::kAddTo);
  }
  EXPECT_EQ(mxc::gpu::HostStagedCalls(), staged) << "every call above ran natively";
#endif
}

// Runs op on gpu(0) and returns its visible outputs' values, or the error's message.
std::vector<std::vector<double>> RunOnGpu(const std::string &op, const std::vector<NDArray> &in, std::string *err) {
  std::vector<NDArray> g;
  for (auto &a : in) g.push_back(CopyTo(a, kGPU));
  try {
    std::vector<std::vector<double>> r;
    for (auto &o : mxct::Run(op, g)) r.push_back(HostVec(o));
    return r;
  } catch (const mxc::Error &e) {
    *err = e.what();
    return {};
  }
}

// Singular matrices: det 0, slogdet sign 0 and -inf as on the CPU (a zero column, a repeated row, a zero pivot
// after a swap), values copied from MXNet 1.9.1: linalg.det([[1,2],[2,4]]) = 0, slogdet = (0, -inf).
TEST(OpGpuLinalg2, SingularDeterminantsAsTheCpu) {
  if (!HaveGPU()) GTEST_SKIP() << "no GPU on this machine";
#ifdef MXC_USE_CUDA
  const int64_t staged = mxc::gpu::HostStagedCalls();
  const std::vector<double> mats = {1, 2, 2, 4,  0, 3, 0, 5,  0, 0, 0, 0,  2, -1, 4, 3};
  for (int dtype : std::vector<int>{mxc::kFloat32, kF64}) {
    const NDArray a = mxct::FromVec({4, 2, 2}, mats, dtype);
    std::string err;
    auto det = RunOnGpu("_linalg_det", {a}, &err);
    ASSERT_EQ(err, "");
    mxct::ExpectNear(det[0], {0, 0, 0, 10}, 1e-6, 1e-6, "det");
    auto sl = RunOnGpu("_linalg_slogdet", {a}, &err);
    ASSERT_EQ(err, "");
    const double inf = std::numeric_limits<double>::infinity();
    mxct::ExpectNear(sl[0], {0, 0, 0, 1}, 0, 0, "sign");
    mxct::ExpectNear(sl[1], {-inf, -inf, -inf, std::log(10.0)}, 1e-6, 1e-6, "logabsdet");
    auto cpu = mxct::Run("_linalg_slogdet", {a});
    mxct::ExpectNear(sl[1], mxct::ToVec(cpu[1]), 0, 0, "logabsdet as the CPU");
  }
  EXPECT_EQ(mxc::gpu::HostStagedCalls(), staged);
#endif
}

// potrf of a matrix that is not positive definite and inverse of a singular one fail as on the CPU, naming the
// matrix.
TEST(OpGpuLinalg2, ErrorsAsTheCpu) {
  if (!HaveGPU()) GTEST_SKIP() << "no GPU on this machine";
#ifdef MXC_USE_CUDA
  std::string err;
  RunOnGpu("_linalg_potrf", {mxct::FromVec({2, 2, 2}, {4, 0, 0, 4, 1, 2, 2, 1}, kF64)}, &err);
  for (const char *s : {"_linalg_potrf", "matrix 1", "(2,2,2)", "positive definite"})
    EXPECT_NE(err.find(s), std::string::npos) << err;
  err.clear();
  RunOnGpu("_linalg_inverse", {mxct::FromVec({3, 2, 2}, {1, 0, 0, 1, 2, 1, 1, 2, 1, 2, 2, 4})}, &err);
  for (const char *s : {"_linalg_inverse", "matrix 2", "singular"}) EXPECT_NE(err.find(s), std::string::npos) << err;
  // NaN entries are not positive definite either.
  err.clear();
  RunOnGpu("_linalg_potrf", {mxct::FromVec({2, 2}, {std::nan(""), 0, 0, 1})}, &err);
  EXPECT_NE(err.find("matrix 0"), std::string::npos) << err;
#endif
}

}  // namespace
