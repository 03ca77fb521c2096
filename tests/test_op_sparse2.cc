// The storage conversions of core/ops/sparse_convert.cc (mx.nd.sparse's dense <-> csr / row_sparse, retain and the
// row set of a row_sparse Embedding gradient) on the CPU: against naive loops over a dense array, index dtypes,
// empty arrays and errors naming the operator.
#include "test_op_nn_util.h"
#include "test_op_tensor_common.h"

namespace {

using namespace mxct;
using mxc::ErrorKind;

// 4 x 5 with an all-zero row.
const std::vector<double> kA = {0, 1.5, 0, 0, -2, 0, 0, 0, 0, 0, 3, 0, 0.25, 0, 0, 0, 0, 0, 7, 1};
constexpr int64_t kM = 4, kK = 5;

TEST(SparseConvert, DenseToCsrAgainstNaiveLoops) {
  for (int dt : {static_cast<int>(mxc::kFloat32), static_cast<int>(mxc::kFloat64), static_cast<int>(mxc::kInt32)}) {
    std::vector<double> a = kA;
    if (dt == mxc::kInt32) a[12] = 0;  // 0.25 -> 0
    auto x = FromVec({kM, kK}, a, dt);
    std::vector<double> ptr = {0}, val, col;
    for (int64_t r = 0; r < kM; ++r) {
      for (int64_t c = 0; c < kK; ++c)
        if (a[r * kK + c] != 0) {
          val.push_back(dt == mxc::kInt32 ? std::trunc(a[r * kK + c]) : a[r * kK + c]);
          col.push_back(static_cast<double>(c));
        }
      ptr.push_back(static_cast<double>(val.size()));
    }
    auto p = mxct::Run("_sparse_csr_count", {x});
    EXPECT_EQ(p[0].dtype(), mxc::kInt64);
    ExpectNear(ToVec(p[0]), ptr);
    auto f = mxct::Run("_sparse_csr_fill", {x, p[0]}, {{"nnz", std::to_string(val.size())}});
    ExpectNear(ToVec(f[0]), val);
    ExpectNear(ToVec(f[1]), col);
    EXPECT_EQ(f[0].dtype(), dt);
    EXPECT_EQ(f[1].dtype(), mxc::kInt64);
    // and back, with the indptr in another dtype
    auto d = mxct::Run("_sparse_csr_todense", {f[0], f[1], FromVec({kM + 1}, ptr, mxc::kInt32)},
                       {{"num_cols", std::to_string(kK)}});
    std::vector<double> want = a;
    for (auto &v : want) v = dt == mxc::kInt32 ? std::trunc(v) : v;
    ExpectNear(ToVec(d[0]), want);
  }
}

TEST(SparseConvert, DenseToRowSparseAgainstNaiveLoops) {
  auto x = FromVec({kM, 1, kK}, kA);
  auto p = mxct::Run("_sparse_rsp_count", {x});
  ExpectNear(ToVec(p[0]), {0, 1, 1, 2, 3});
  auto c = mxct::Run("_sparse_compact_rows", {x, p[0]}, {{"count", "3"}});
  EXPECT_EQ(c[0].shape(), (mxc::TShape{3, 1, kK}));
  std::vector<double> rows(kA.begin(), kA.begin() + 5);
  rows.insert(rows.end(), kA.begin() + 10, kA.end());
  ExpectNear(ToVec(c[0]), rows);
  ExpectNear(ToVec(c[1]), {0, 2, 3});
}

TEST(SparseConvert, CsrToDenseAddsRepeatedEntries) {
  auto d = mxct::Run("_sparse_csr_todense",
                     {FromVec({4}, {1, 2, 4, 8}), FromVec({4}, {3, 3, 0, 3}), FromVec({4}, {0, 2, 2, 4}, mxc::kInt64)},
                     {{"num_cols", "4"}});
  ExpectNear(ToVec(d[0]), {0, 0, 0, 3, 0, 0, 0, 0, 4, 0, 0, 8});
  auto e = mxct::Run("_sparse_csr_todense", {FromVec({0}, {}), FromVec({0}, {}), FromVec({3}, {0, 0, 0})},
                     {{"num_cols", "2"}});
  ExpectNear(ToVec(e[0]), std::vector<double>(4, 0.0));
}

TEST(SparseConvert, RetainAsMXNet) {
  // MXNet 1.9.1: retain(rows [0, 2, 4] = [[1, 2], [3, 4], [5, 6]], [4, 0, 9]) -> [[5, 6], [1, 2], [0, 0]]
  auto data = FromVec({3, 2}, {1, 2, 3, 4, 5, 6});
  auto idx = FromVec({3}, {0, 2, 4}, mxc::kInt64);
  auto out = mxct::Run("_sparse_rsp_retain", {data, idx, FromVec({3}, {4, 0, 9})});
  ExpectNear(ToVec(out[0]), {5, 6, 1, 2, 0, 0});
  out = mxct::Run("_sparse_rsp_retain", {data, idx, FromVec({2, 1}, {2, 2}, mxc::kInt32)});
  EXPECT_EQ(out[0].shape(), (mxc::TShape{2, 2}));
  ExpectNear(ToVec(out[0]), {3, 4, 3, 4});
}

TEST(SparseConvert, IndexCountClipsAsEmbedding) {
  auto p = mxct::Run("_sparse_index_count", {FromVec({2, 3}, {1, 3, 3, 5, 9, -2})}, {{"num_rows", "6"}});
  // rows 0 (clipped -2), 1, 3, 5 (5 and clipped 9)
  ExpectNear(ToVec(p[0]), {0, 1, 2, 2, 3, 3, 4});
}

TEST(SparseConvert, Errors) {
  auto x = FromVec({2, 3}, {1, 0, 2, 0, 0, 3});
  ExpectError("_sparse_csr_count", {FromVec({2, 2, 2}, std::vector<double>(8, 1))}, {}, ErrorKind::kShape,
              {"_sparse_csr_count", "2-D"});
  ExpectError("_sparse_csr_fill", {x, FromVec({3}, {0, 1, 3}, mxc::kInt64)}, {{"nnz", "3"}}, ErrorKind::kValue,
              {"_sparse_csr_fill", "row 0"});
  ExpectError("_sparse_csr_fill", {x, FromVec({3}, {0, 2, 3}, mxc::kInt64)}, {{"nnz", "5"}}, ErrorKind::kValue,
              {"_sparse_csr_fill", "end at 5"});
  ExpectError("_sparse_csr_fill", {x, FromVec({4}, {0, 2, 3, 3}, mxc::kInt64)}, {{"nnz", "3"}}, ErrorKind::kShape,
              {"_sparse_csr_fill", "indptr", "(3,)"});
  ExpectError("_sparse_compact_rows", {x, FromVec({3}, {0, 2, 2}, mxc::kInt64)}, {{"count", "2"}},
              ErrorKind::kValue, {"_sparse_compact_rows", "[0, 1]"});
  ExpectError("_sparse_csr_todense", {FromVec({2}, {1, 2}), FromVec({2}, {0, 5}), FromVec({3}, {0, 1, 2})},
              {{"num_cols", "4"}}, ErrorKind::kValue, {"_sparse_csr_todense", "column index 5"});
  ExpectError("_sparse_rsp_retain", {x, FromVec({3}, {0, 1, 2}), FromVec({1}, {0})}, {}, ErrorKind::kShape,
              {"_sparse_rsp_retain", "same number of rows"});
  ExpectError("_sparse_index_count", {FromVec({1}, {0})}, {{"num_rows", "0"}}, ErrorKind::kValue,
              {"_sparse_index_count", "num_rows"});
}

}  // namespace
