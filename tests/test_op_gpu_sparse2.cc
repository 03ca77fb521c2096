// Native GPU kernels of cuda/gpu_ops_sparse2.cc (the storage conversions of core/ops/sparse_convert.cc): every
// operator on gpu(0) against the CPU kernel, float32/float64/int32 values, index inputs of several dtypes, write and
// add requests, without host staging; a bad structure raises the CPU kernel's error (skipped, visibly, without a
// GPU).
#include "test_op_gpu_req.h"
#include "test_op_gpu_util.h"

namespace {

using namespace mxct_gpu;

// A sparse pattern over rows of `inner` elements: element i of row r is nonzero unless r % 3 == 1 (all-zero rows) or
// (7 i + r) % 3 == 0; the values are +-(1 + (i % 5) / 4).
std::vector<double> Pattern(int64_t M, int64_t inner) {
  std::vector<double> v(static_cast<size_t>(M * inner), 0.0);
  for (int64_t r = 0; r < M; ++r)
    for (int64_t j = 0; j < inner; ++j) {
      const int64_t i = r * inner + j;
      if (r % 3 != 1 && (7 * i + r) % 3 != 0) v[i] = (i % 2 ? -1 : 1) * (1 + (i % 5) / 4.0);
    }
  return v;
}
// The prefix counts of the pattern's nonzeros per row (csr) or of its nonzero rows (any_row).
std::vector<double> Prefix(int64_t M, int64_t inner, bool any_row) {
  const std::vector<double> v = Pattern(M, inner);
  std::vector<double> p = {0};
  for (int64_t r = 0; r < M; ++r) {
    int64_t c = 0;
    for (int64_t j = 0; j < inner; ++j) c += v[r * inner + j] != 0;
    p.push_back(p.back() + (any_row ? (c > 0) : c));
  }
  return p;
}

std::vector<Case> Sparse2Cases() {
  std::vector<Case> v;
  const int kI32 = mxc::kInt32, kI64 = mxc::kInt64, kF32 = mxc::kFloat32, kF64 = mxc::kFloat64;
  for (int dt : {kF32, kF64, kI32}) {
    const int64_t M = 7, K = 5;
    auto dense2 = [=](std::vector<NDArray> &in) { in[0] = mxct::FromVec({M, K}, Pattern(M, K), dt); };
    Case c{"_sparse_csr_count", {}, {{M, K}}, -1, 1, {0}, dense2};
    c.dtype = dt;
    v.push_back(c);
    for (int it : {kI64, kI32, kF32}) {
      const std::vector<double> ptr = Prefix(M, K, false);
      Case f{"_sparse_csr_fill", {{"nnz", std::to_string(static_cast<int64_t>(ptr.back()))}}, {{M, K}, {M + 1}}, -1,
             1, {0, 1}, [=](std::vector<NDArray> &in) {
               in[0] = mxct::FromVec({M, K}, Pattern(M, K), dt);
               in[1] = mxct::FromVec({M + 1}, ptr, it);
             }};
      f.dtype = dt;
      v.push_back(f);
    }
    const int64_t R = 8, A = 2, B = 3;
    auto dense3 = [=](std::vector<NDArray> &in) { in[0] = mxct::FromVec({R, A, B}, Pattern(R, A * B), dt); };
    Case r{"_sparse_rsp_count", {}, {{R, A, B}}, -1, 1, {0}, dense3};
    r.dtype = dt;
    v.push_back(r);
    const std::vector<double> rp = Prefix(R, A * B, true);
    Case k{"_sparse_compact_rows", {{"count", std::to_string(static_cast<int64_t>(rp.back()))}}, {{R, A, B}, {R + 1}},
           -1, 1, {0, 1}, [=](std::vector<NDArray> &in) {
             in[0] = mxct::FromVec({R, A, B}, Pattern(R, A * B), dt);
             in[1] = mxct::FromVec({R + 1}, rp, kI64);
           }};
    k.dtype = dt;
    v.push_back(k);
    // csr -> dense with an empty row, repeated and unsorted columns
    Case d{"_sparse_csr_todense", {{"num_cols", "4"}}, {{7}, {7}, {5}}, -1, 1, {0, 1, 2},
           [=](std::vector<NDArray> &in) {
             in[0] = mxct::FromVec({7}, {1.5, -2, 0.5, 3, -1, 2.5, 4}, dt);
             in[1] = mxct::FromVec({7}, {3, 0, 3, 1, 1, 2, 0}, kI32);
             in[2] = mxct::FromVec({5}, {0, 3, 3, 5, 7}, kI64);
           }};
    d.dtype = dt;
    v.push_back(d);
  }
  // retain: the stored rows of keep (repeats, absent and out-of-range rows, unsorted), from a row_sparse array
  for (int it : {kI64, kF32}) {
    Case c{"_sparse_rsp_retain", {}, {{6, 2, 3}, {6}, {2, 4}}, -1, 1, {0, 1, 2}, [=](std::vector<NDArray> &in) {
             in[1] = mxct::FromVec({6}, {0, 2, 3, 5, 8, 9}, kI64);
             in[2] = mxct::FromVec({2, 4}, {9, 3, 12, 3, -1, 0, 4, 8}, it);
           }};
    v.push_back(c);
  }
  {
    Case c{"_sparse_rsp_retain", {}, {{4, 3}, {4}, {3}}, -1, 1, {0, 1, 2}, [=](std::vector<NDArray> &in) {
             in[1] = mxct::FromVec({4}, {1, 2, 6, 7}, kI32);
             in[2] = mxct::FromVec({3}, {7, 0, 2}, kI64);
           }};
    c.dtype = kF64;
    v.push_back(c);
  }
  // the row set of an Embedding gradient: indices of any shape, clipped
  for (int it : {kF32, kI32})
    v.push_back({"_sparse_index_count", {{"num_rows", "6"}}, {{2, 3}}, -1, 1, {0}, [=](std::vector<NDArray> &in) {
                   in[0] = mxct::FromVec({2, 3}, {1, 3, 3, 4, 9, -2}, it);
                 }});
  // long prefix sums (many chunks per thread of the scan)
  v.push_back({"_sparse_csr_count", {}, {{1000, 3}}, -1, 1, {0}, [](std::vector<NDArray> &in) {
                 in[0] = mxct::FromVec({1000, 3}, Pattern(1000, 3));
               }});
  v.push_back({"_sparse_index_count", {{"num_rows", "2000"}}, {{700}}, -1, 1, {0}, [](std::vector<NDArray> &in) {
                 std::vector<double> ix(700);
                 for (size_t i = 0; i < ix.size(); ++i) ix[i] = static_cast<double>((i * 37) % 2100);
                 in[0] = mxct::FromVec({700}, ix, mxc::kInt64);
               }});
  return v;
}

TEST(OpGpuSparse2, MatchTheCpuNatively) {
  if (!HaveGPU()) GTEST_SKIP() << "no GPU on this machine";
#ifdef MXC_USE_CUDA
  const int64_t staged = mxc::gpu::HostStagedCalls();
  CompareNative(Sparse2Cases());
  EXPECT_EQ(mxc::gpu::HostStagedCalls(), staged) << "every call above ran natively";
#endif
}

TEST(OpGpuSparse2, ReqWriteAndAddNatively) {
  if (!HaveGPU()) GTEST_SKIP() << "no GPU on this machine";
#ifdef MXC_USE_CUDA
  const int64_t staged = mxc::gpu::HostStagedCalls();
  for (const Case &c : Sparse2Cases()) {
    CompareReq(c, mxc::kWriteTo);
    CompareReq(c, mxc::kAddTo);
  }
  EXPECT_EQ(mxc::gpu::HostStagedCalls(), staged) << "every call above ran natively";
#endif
}

void ExpectGpuError(const std::string &name, const std::vector<NDArray> &host_in, const Params &params,
                    const std::string &what) {
  const mxc::Op *op = mxc::OpRegistry::Get()->FindOrThrow(name);
  std::vector<NDArray> in, out;
  for (auto &a : host_in) in.push_back(CopyTo(a, kGPU));
  try {
    mxc::Invoke(op, OpParams(op, params), in, &out);
    for (auto &o : out) o.WaitToRead();
    ADD_FAILURE() << name << ": no error";
  } catch (const mxc::Error &e) {
    EXPECT_NE(std::string(e.what()).find(what), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find(name), std::string::npos) << e.what();
  }
}

TEST(OpGpuSparse2, BadStructureRaisesOnTheGpu) {
  if (!HaveGPU()) GTEST_SKIP() << "no GPU on this machine";
  auto x = mxct::FromVec({2, 3}, {1, 0, 2, 0, 0, 3});
  ExpectGpuError("_sparse_csr_fill", {x, mxct::FromVec({3}, {0, 1, 3}, mxc::kInt64)}, {{"nnz", "3"}},
                 "row 0 of data has more than 1 nonzeros");
  ExpectGpuError("_sparse_csr_fill", {x, mxct::FromVec({3}, {0, 2, 3}, mxc::kInt64)}, {{"nnz", "4"}},
                 "must start at 0 and end at 4");
  ExpectGpuError("_sparse_compact_rows", {x, mxct::FromVec({3}, {0, 2, 2}, mxc::kInt64)}, {{"count", "2"}},
                 "must be in [0, 1]");
  ExpectGpuError("_sparse_csr_todense",
                 {mxct::FromVec({2}, {1, 2}), mxct::FromVec({2}, {0, 5}, mxc::kInt64),
                  mxct::FromVec({3}, {0, 1, 2}, mxc::kInt64)},
                 {{"num_cols", "4"}}, "column index 5");
}

}  // namespace
