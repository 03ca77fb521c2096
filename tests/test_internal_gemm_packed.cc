// core/ops/gemm_packed.h (the float32 GEMM with a packed right-hand side, used by the fused RNN operator) against
// a double-precision triple loop, with each of its kernels this processor has (AVX2, AVX-512) over shapes with
// edges in every dimension, both transpositions, alpha/beta, a bias and row ranges; and the RNN operator in float32
// (the path through these kernels, fused steps on two blocks of the batch) against the operator in float64 (OpenBLAS's
// dgemm and libm, the path whose gradients test_op_rnn.cc checks by finite differences), forward and backward.
#include <cmath>
#include <limits>

#include "ops/cpu_dispatch.h"
#include "ops/gemm_packed.h"
#include "test_op_nn_util.h"

using namespace mxct;
using mxc::kFloat32;
using mxc::kFloat64;
using mxc::op::CpuIsa;

namespace {

// Restores the instruction set and the AVX-512 permission in use before the test.
struct Guard {
  CpuIsa isa = mxc::op::ActiveCpuIsa();
  bool avx512 = mxc::op::AllowPackedGemmAvx512(true);
  ~Guard() {
    mxc::op::SetCpuIsa(isa);
    mxc::op::AllowPackedGemmAvx512(avx512);
  }
};

// The packed kernels this processor can run, by panel width (16: AVX2, 32: AVX-512); empty without AVX2.
std::vector<int64_t> Widths() {
  Guard g;
  std::vector<int64_t> w;
  mxc::op::SetCpuIsa(CpuIsa::kAvx2);
  if (!mxc::op::PackedGemmAvailable()) return w;
  for (bool allow : {false, true}) {
    mxc::op::AllowPackedGemmAvx512(allow);
    const int64_t width = mxc::op::PackedGemmWidth();
    if (w.empty() || w.back() != width) w.push_back(width);
  }
  return w;
}

// Selects the kernel of `width`.
void UseWidth(int64_t width) {
  mxc::op::SetCpuIsa(CpuIsa::kAvx2);
  mxc::op::AllowPackedGemmAvx512(width == 32);
  ASSERT_EQ(mxc::op::PackedGemmWidth(), width);
}

std::vector<float> Rand(size_t n, uint64_t seed) {
  const auto v = RandVec(n, -1, 1, seed);
  return std::vector<float>(v.begin(), v.end());
}

// C = alpha op(A) op(B) + beta C (+ bias on every row) in double; rows outside [r0, r1) keep C.
std::vector<double> Naive(bool ta, bool tb, int64_t M, int64_t N, int64_t K, double alpha, const std::vector<float> &A,
                          int64_t lda, const std::vector<float> &B, int64_t ldb, double beta,
                          const std::vector<float> &C, int64_t ldc, const float *bias, int64_t r0, int64_t r1) {
  std::vector<double> out(C.begin(), C.end());
  for (int64_t i = r0; i < r1; ++i)
    for (int64_t j = 0; j < N; ++j) {
      double s = 0;
      for (int64_t k = 0; k < K; ++k)
        s += static_cast<double>(ta ? A[k * lda + i] : A[i * lda + k]) * (tb ? B[j * ldb + k] : B[k * ldb + j]);
      out[i * ldc + j] = alpha * s + (beta == 0 ? 0.0 : beta * C[i * ldc + j]) + (bias ? bias[j] : 0.0);
    }
  return out;
}

struct Shape {
  int64_t M, N, K;
};
// Edges: rows not a multiple of 6 or 8, columns not of 16 or 32, K of 0, 1 and across the K blocks (128, 256).
const Shape kShapes[] = {{1, 1, 1},   {5, 17, 3},  {13, 33, 7},   {32, 512, 128}, {7, 47, 300},
                         {40, 128, 513}, {9, 31, 0}, {20, 64, 129}, {3, 100, 256}};

TEST(GemmPacked, MatchesDoubleLoops) {
  Guard guard;
  for (int64_t width : Widths()) {
    UseWidth(width);
    for (const Shape &s : kShapes)
      for (bool ta : {false, true})
        for (bool tb : {false, true})
          for (auto ab : {std::pair<float, float>{1.0f, 0.0f}, {0.5f, -1.5f}}) {
            SCOPED_TRACE("width " + std::to_string(width) + " M,N,K " + std::to_string(s.M) + "," +
                         std::to_string(s.N) + "," + std::to_string(s.K) + " ta " + std::to_string(ta) + " tb " +
                         std::to_string(tb) + " beta " + std::to_string(ab.second));
            // Leading dimensions larger than the matrices, to check the strides.
            const int64_t lda = (ta ? s.M : s.K) + 3, ldb = (tb ? s.K : s.N) + 2, ldc = s.N + 5;
            const auto A = Rand((ta ? s.K : s.M) * lda + 1, 1), B = Rand((tb ? s.N : s.K) * ldb + 1, 2);
            auto C = Rand(s.M * ldc, 3);
            // beta 0 ignores C, NaN included.
            if (ab.second == 0.0f)
              for (int64_t i = 0; i < s.M; ++i) C[i * ldc] = std::numeric_limits<float>::quiet_NaN();
            const auto want = Naive(ta, tb, s.M, s.N, s.K, ab.first, A, lda, B, ldb, ab.second, C, ldc, nullptr, 0,
                                    s.M);
            mxc::op::GemmPacked(ta, tb, s.M, s.N, s.K, ab.first, A.data(), lda, B.data(), ldb, ab.second, C.data(),
                                ldc);
            std::vector<double> got(C.begin(), C.end());
            // Rows keep their padding columns (j >= N) unchanged: compared too.
            ExpectNear(got, want, 1e-5, 2e-6 * (s.K + 1), "C");
          }
  }
}

TEST(GemmPacked, RowRangeWithBias) {
  Guard guard;
  for (int64_t width : Widths()) {
    UseWidth(width);
    for (bool tb : {false, true}) {
      const int64_t M = 23, N = 45, K = 70, lda = K, ldb = tb ? K : N, ldc = N;
      const auto A = Rand(M * lda, 4), B = Rand((tb ? N : K) * ldb, 5), bias = Rand(N, 6);
      auto C = Rand(M * ldc, 7);
      mxc::op::PackedB packed;
      mxc::op::PackB(tb, K, N, B.data(), ldb, &packed);
      EXPECT_EQ(packed.width, width);
      // Rows [4, 19) as C = A op(B) + bias, then rows [19, 23) as C = 2 A op(B) + C + bias.
      const auto want1 = Naive(false, tb, M, N, K, 1.0, A, lda, B, ldb, 0.0, C, ldc, bias.data(), 4, 19);
      mxc::op::GemmPackedRows(4, 19, 1.0f, A.data(), lda, 1, packed, 0.0f, bias.data(), C.data(), ldc);
      ExpectNear(std::vector<double>(C.begin(), C.end()), want1, 1e-5, 1e-5, "rows 4..19");
      const auto want2 = Naive(false, tb, M, N, K, 2.0, A, lda, B, ldb, 1.0, C, ldc, bias.data(), 19, 23);
      mxc::op::GemmPackedRows(19, 23, 2.0f, A.data(), lda, 1, packed, 1.0f, bias.data(), C.data(), ldc);
      ExpectNear(std::vector<double>(C.begin(), C.end()), want2, 1e-5, 1e-5, "rows 19..23");
    }
  }
}

// The RNN operator: float32 (packed kernels, fused steps) against float64, forward outputs and every gradient.
struct RnnCase {
  std::string mode;
  int T, N, I, H, L, D;
  std::vector<double> lens;
};

int NumParams(const RnnCase &c) {
  const int G = c.mode == "lstm" ? 4 : c.mode == "gru" ? 3 : 1;
  int n = 0;
  for (int l = 0; l < c.L; ++l) n += c.D * (G * c.H * ((l == 0 ? c.I : c.D * c.H) + c.H) + 2 * G * c.H);
  return n;
}

void CheckRnnFloat32(const RnnCase &c) {
  SCOPED_TRACE(c.mode + " D=" + std::to_string(c.D) + (c.lens.empty() ? "" : " with lengths"));
  const bool lstm = c.mode == "lstm";
  std::vector<mxc::TShape> shapes{{c.T, c.N, c.I}, {NumParams(c)}, {c.L * c.D, c.N, c.H}};
  if (lstm) shapes.push_back({c.L * c.D, c.N, c.H});
  Params p{{"mode", c.mode},         {"state_size", std::to_string(c.H)}, {"num_layers", std::to_string(c.L)},
           {"bidirectional", c.D == 2 ? "True" : "False"}, {"state_outputs", "True"}};
  if (!c.lens.empty()) {
    shapes.push_back({c.N});
    p.push_back({"use_sequence_length", "True"});
  }
  std::vector<std::vector<double>> vals;
  for (size_t i = 0; i < shapes.size(); ++i) {
    if (!c.lens.empty() && i + 1 == shapes.size()) vals.push_back(c.lens);
    else vals.push_back(RandVec(mxc::ShapeSize(shapes[i]), i == 1 ? -0.3 : -1.0, i == 1 ? 0.3 : 1.0, 10 + i));
  }
  std::vector<mxc::TShape> out_shapes{{c.T, c.N, c.D * c.H}, {c.L * c.D, c.N, c.H}};
  if (lstm) out_shapes.push_back({c.L * c.D, c.N, c.H});
  auto run = [&](int dtype) {
    std::vector<NDArray> ins, heads;
    for (size_t i = 0; i < shapes.size(); ++i) ins.push_back(FromVec(shapes[i], vals[i], dtype));
    for (size_t j = 0; j < out_shapes.size(); ++j)
      heads.push_back(FromVec(out_shapes[j], RandVec(mxc::ShapeSize(out_shapes[j]), -1, 1, 50 + j), dtype));
    std::vector<int> want;
    for (int i = 0; i < (lstm ? 4 : 3); ++i) want.push_back(i);
    return ForwardBackward("RNN", ins, p, heads, true, want);
  };
  const FwdBwd ref = run(kFloat64), got = run(kFloat32);
  for (size_t j = 0; j < out_shapes.size(); ++j)
    ExpectNear(ToVec(got.outputs[j]), ToVec(ref.outputs[j]), 1e-4, 1e-5, "output " + std::to_string(j));
  for (int i = 0; i < (lstm ? 4 : 3); ++i)
    ExpectNear(ToVec(got.grads[i]), ToVec(ref.grads[i]), 1e-3, 2e-5, "gradient of input " + std::to_string(i));
}

TEST(GemmPacked, RnnFloat32MatchesFloat64) {
  Guard guard;
  std::vector<int64_t> widths = Widths();
  widths.push_back(0);  // 0: the baseline instruction set (OpenBLAS's sgemm, the step in separate parts)
  for (int64_t width : widths) {
    SCOPED_TRACE("width " + std::to_string(width));
    if (width) UseWidth(width);
    else mxc::op::SetCpuIsa(CpuIsa::kBaseline);
    // N = 40: two blocks of the batch per step; H = 37: edge panels; two layers, both directions.
    for (const char *mode : {"lstm", "gru", "rnn_tanh", "rnn_relu"})
      CheckRnnFloat32({mode, 5, 40, 19, 37, 2, 2, {}});
    std::vector<double> lens(40);
    for (int n = 0; n < 40; ++n) lens[n] = n % 6;
    for (const char *mode : {"lstm", "gru"}) CheckRnnFloat32({mode, 5, 40, 19, 37, 1, 2, lens});
    // A small batch with a longer sequence: the input projection runs apart from the recurrence (on all threads).
    for (const char *mode : {"lstm", "gru"}) CheckRnnFloat32({mode, 40, 4, 19, 37, 1, 2, {}});
    // The benchmark's shape (one layer, 128 units, batch 32), a short sequence.
    CheckRnnFloat32({"lstm", 4, 32, 128, 128, 1, 1, {}});
  }
}

}  // namespace
