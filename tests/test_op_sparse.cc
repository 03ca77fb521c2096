// _sparse_csr_dot (core/ops/sparse.cc, the kernel of mx.nd.sparse.dot with a csr lhs): against a naive dense product
// of the densified matrix and values printed by MXNet 1.9.1, index dtypes, errors naming the operator, and gradients
// by finite differences.
#include <cmath>

#include "test_op_nn_util.h"
#include "test_op_tensor_common.h"

namespace {

using namespace mxct;
using mxc::ErrorKind;

// A 5 x 7 CSR matrix: an empty row, a repeated column in one row, unsorted columns.
const std::vector<double> kData = {1.5, -2, 0.5, 3, -1, 2.5, 0.25, -0.75, 4};
const std::vector<double> kCol = {6, 0, 3, 3, 2, 1, 5, 0, 4};
const std::vector<double> kPtr = {0, 3, 3, 5, 7, 9};
constexpr int64_t kM = 5, kK = 7;

std::vector<double> Dense() {
  std::vector<double> a(kM * kK, 0.0);
  for (int64_t r = 0; r < kM; ++r)
    for (int64_t e = static_cast<int64_t>(kPtr[r]); e < kPtr[r + 1]; ++e) a[r * kK + static_cast<int64_t>(kCol[e])] += kData[e];
  return a;
}

// y = op(A) x with op(A) = A (M x K) or A^T (K x M), x (inner x N).
std::vector<double> NaiveDot(const std::vector<double> &a, bool ta, const std::vector<double> &x, int64_t N) {
  const int64_t rows = ta ? kK : kM, inner = ta ? kM : kK;
  std::vector<double> y(rows * N, 0.0);
  for (int64_t i = 0; i < rows; ++i)
    for (int64_t k = 0; k < inner; ++k)
      for (int64_t n = 0; n < N; ++n) y[i * N + n] += (ta ? a[k * kK + i] : a[i * kK + k]) * x[k * N + n];
  return y;
}

TEST(SparseCsrDot, MatchesNaiveDenseProduct) {
  for (int dt : {mxc::kFloat32, mxc::kFloat64})
    for (int it : {mxc::kInt64, mxc::kInt32, mxc::kFloat32})
      for (bool ta : {false, true}) {
        const int64_t N = 3, inner = ta ? kM : kK;
        NDArray x = Random({inner, N}, -1, 1, dt, 5);
        auto out = mxct::Run("_sparse_csr_dot",
                       {FromVec({9}, kData, dt), FromVec({9}, kCol, it), FromVec({6}, kPtr, it), x},
                       {{"num_cols", "7"}, {"transpose_a", ta ? "true" : "false"}});
        ASSERT_EQ(out[0].shape(), (TShape{ta ? kK : kM, N}));
        EXPECT_EQ(out[0].dtype(), dt);
        ExpectNear(ToVec(out[0]), NaiveDot(Dense(), ta, ToVec(x), N), 1e-6, 1e-6);
      }
}

// MXNet 1.9.1: a = csr_matrix(([1, 2, 3], [0, 2, 1], [0, 2, 2, 3]), shape=(3, 4));
// sparse.dot(a, ones((4, 2))) and sparse.dot(a, ones((3, 2)), transpose_a=True).
TEST(SparseCsrDot, AsMXNet) {
  auto d = FromVec({3}, {1, 2, 3});
  auto ix = FromVec({3}, {0, 2, 1}, mxc::kInt64);
  auto ip = FromVec({4}, {0, 2, 2, 3}, mxc::kInt64);
  ExpectNear(ToVec(mxct::Run("_sparse_csr_dot", {d, ix, ip, FromVec({4, 2}, std::vector<double>(8, 1))},
                       {{"num_cols", "4"}})[0]),
             {3, 3, 0, 0, 3, 3});
  ExpectNear(ToVec(mxct::Run("_sparse_csr_dot", {d, ix, ip, FromVec({3, 2}, std::vector<double>(6, 1))},
                       {{"num_cols", "4"}, {"transpose_a", "true"}})[0]),
             {1, 1, 3, 3, 2, 2, 0, 0});
}

TEST(SparseCsrDot, EmptyMatrix) {
  auto out = mxct::Run("_sparse_csr_dot",
                 {FromVec({0}, {}), FromVec({0}, {}, mxc::kInt64), FromVec({3}, {0, 0, 0}, mxc::kInt64),
                  FromVec({4, 2}, std::vector<double>(8, 1))},
                 {{"num_cols", "4"}});
  ExpectNear(ToVec(out[0]), std::vector<double>(4, 0.0));
}

TEST(SparseCsrDot, Errors) {
  auto d = FromVec({3}, {1, 2, 3});
  auto ix = FromVec({3}, {0, 2, 1}, mxc::kInt64);
  auto ip = FromVec({4}, {0, 2, 2, 3}, mxc::kInt64);
  ExpectError("_sparse_csr_dot", {d, ix, ip, Random({3, 2}, -1, 1)}, {{"num_cols", "4"}}, ErrorKind::kShape,
              {"_sparse_csr_dot", "(3,2)", "(3, 4)"});
  ExpectError("_sparse_csr_dot", {d, FromVec({2}, {0, 1}), ip, Random({4, 2}, -1, 1)}, {{"num_cols", "4"}},
              ErrorKind::kShape, {"_sparse_csr_dot", "nnz"});
  ExpectError("_sparse_csr_dot", {d, FromVec({3}, {0, 4, 1}), ip, Random({4, 2}, -1, 1)}, {{"num_cols", "4"}},
              ErrorKind::kValue, {"_sparse_csr_dot", "column index 4"});
  ExpectError("_sparse_csr_dot", {d, ix, FromVec({4}, {0, 2, 1, 3}), Random({4, 2}, -1, 1)}, {{"num_cols", "4"}},
              ErrorKind::kValue, {"_sparse_csr_dot", "indptr must not decrease"});
  ExpectError("_sparse_csr_dot", {d, ix, FromVec({4}, {0, 2, 2, 2}), Random({4, 2}, -1, 1)}, {{"num_cols", "4"}},
              ErrorKind::kValue, {"_sparse_csr_dot", "end at nnz"});
}

TEST(SparseCsrDot, Gradient) {
  for (bool ta : {false, true}) {
    GradCase c;
    c.op = "_sparse_csr_dot";
    c.params = {{"num_cols", "7"}, {"transpose_a", ta ? "true" : "false"}};
    c.shapes = {{9}, {9}, {6}, {ta ? kM : kK, 4}};
    c.no_grad = {1, 2};
    c.fill = [](std::vector<NDArray> &in) {
      in[1] = FromVec({9}, kCol, in[1].dtype());
      in[2] = FromVec({6}, kPtr, in[2].dtype());
    };
    CheckGradient(c);
  }
}

}  // namespace
