// Native GPU kernels of cuda/gpu_ops_sparse.cc (_sparse_csr_dot): forward and gradient on gpu(0) against the CPU
// kernel, with and without transpose_a, float32/float64 data, int64/int32/float32 indices, write and add requests,
// and without host staging (skipped, visibly, without a GPU).
#include "test_op_gpu_req.h"
#include "test_op_gpu_util.h"

namespace {

using namespace mxct_gpu;

// fill: inputs 1 and 2 become the indices and indptr of a CSR matrix (M rows, K columns, with empty rows, repeated
// and unsorted columns: entry e of row r has column (7 e + 3 r) mod K, row r has r mod 4 entries), in dtype it.
std::function<void(std::vector<NDArray> &)> Csr(int64_t M, int64_t K, int it) {
  return [=](std::vector<NDArray> &in) {
    std::vector<double> col, ptr = {0};
    for (int64_t r = 0; r < M; ++r) {
      for (int64_t j = 0; j < r % 4; ++j) col.push_back(static_cast<double>((7 * (col.size() + 1) + 3 * r) % K));
      ptr.push_back(static_cast<double>(col.size()));
    }
    in[1] = mxct::FromVec({static_cast<int64_t>(col.size())}, col, it);
    in[2] = mxct::FromVec({M + 1}, ptr, it);
  };
}
// nnz of Csr(M, ...)
int64_t Nnz(int64_t M) {
  int64_t n = 0;
  for (int64_t r = 0; r < M; ++r) n += r % 4;
  return n;
}

std::vector<Case> SparseCases() {
  std::vector<Case> v;
  for (int dt : {mxc::kFloat32, mxc::kFloat64})
    for (bool ta : {false, true})
      for (int it : {mxc::kInt64, mxc::kInt32, mxc::kFloat32}) {
        const int64_t M = 9, K = 6, N = 5, nnz = Nnz(M);
        Case c{"_sparse_csr_dot", {{"num_cols", std::to_string(K)}, {"transpose_a", ta ? "true" : "false"}},
               {{nnz}, {nnz}, {M + 1}, {ta ? M : K, N}}, -1, 1, {1, 2}, Csr(M, K, it)};
        c.dtype = dt;
        v.push_back(c);
      }
  // a larger one (many entries per column for the A^T order)
  const int64_t M = 40, K = 3;
  v.push_back({"_sparse_csr_dot", {{"num_cols", "3"}, {"transpose_a", "true"}},
               {{Nnz(M)}, {Nnz(M)}, {M + 1}, {M, 2}}, -1, 1, {1, 2}, Csr(M, K, mxc::kInt64)});
  v.push_back({"_sparse_csr_dot", {{"num_cols", "3"}}, {{Nnz(M)}, {Nnz(M)}, {M + 1}, {K, 2}}, -1, 1, {1, 2},
               Csr(M, K, mxc::kInt64)});
  return v;
}

TEST(OpGpuSparse, MatchTheCpuNatively) {
  if (!HaveGPU()) GTEST_SKIP() << "no GPU on this machine";
#ifdef MXC_USE_CUDA
  const int64_t staged = mxc::gpu::HostStagedCalls();
  CompareNative(SparseCases());
  EXPECT_EQ(mxc::gpu::HostStagedCalls(), staged) << "every call above ran natively";
#endif
}

TEST(OpGpuSparse, ReqWriteAndAddNatively) {
  if (!HaveGPU()) GTEST_SKIP() << "no GPU on this machine";
#ifdef MXC_USE_CUDA
  const int64_t staged = mxc::gpu::HostStagedCalls();
  for (const Case &c : SparseCases()) {
    CompareReq(c, mxc::kWriteTo);
    CompareReq(c, mxc::kAddTo);
  }
  EXPECT_EQ(mxc::gpu::HostStagedCalls(), staged) << "every call above ran natively";
#endif
}

TEST(OpGpuSparse, BadStructureRaisesOnTheGpu) {
  if (!HaveGPU()) GTEST_SKIP() << "no GPU on this machine";
  const mxc::Op *op = mxc::OpRegistry::Get()->FindOrThrow("_sparse_csr_dot");
  std::vector<NDArray> in = {CopyTo(mxct::FromVec({3}, {1, 2, 3}), kGPU),
                             CopyTo(mxct::FromVec({3}, {0, 5, 1}, mxc::kInt64), kGPU),
                             CopyTo(mxct::FromVec({4}, {0, 2, 2, 3}, mxc::kInt64), kGPU),
                             CopyTo(mxct::Random({4, 2}, -1, 1), kGPU)};
  std::vector<NDArray> out;
  try {
    mxc::Invoke(op, OpParams(op, {{"num_cols", "4"}}), in, &out);
    for (auto &o : out) o.WaitToRead();
    ADD_FAILURE() << "no error";
  } catch (const mxc::Error &e) {
    EXPECT_NE(std::string(e.what()).find("column index 5"), std::string::npos) << e.what();
  }
}

}  // namespace
