// Native GPU kernels of the CSR operators of core/ops/sparse.cc (cuda/sparse.cu, kernels_sparse.cuh):
// _sparse_csr_dot forward and gradient, float32/float64 data with indices/indptr of any numeric dtype; other dtypes
// run the host-staged CPU kernel. The CSR structure is checked on the device; a violation is reported with the CPU
// kernel's message (the components read back only then).
#include <memory>
#include <vector>

#include "device.h"
#include "gpu_device.h"
#include "gpu_ops.h"
#include "kernels_sparse.cuh"
#include "operator.h"
#include "ops/sparse.h"

namespace mxc {
namespace gpu {

namespace {

// The CSR components on the device as int64 (checked), and, when asked, the entries' column order.
struct DevCsr {
  int64_t M = 0, nnz = 0, K = 0;
  std::unique_ptr<Scratch> mem;
  int64_t *col = nullptr, *ptr = nullptr, *row = nullptr, *colptr = nullptr, *perm = nullptr;
  bool ok = false;

  DevCsr(const OpContext &ctx, const OpParams &p, const TBlob &ix, const TBlob &ip, bool order) {
    nnz = ix.Size();
    M = ip.Size() - 1;
    K = p.Int("num_cols");
    const size_t n = static_cast<size_t>(nnz + M + 1 + 1 + (order ? nnz + K + 1 + nnz + K : 0));
    mem.reset(new Scratch(Dev(ctx), n * sizeof(int64_t)));
    col = mem->as<int64_t>();
    ptr = col + nnz;
    long long *bad = reinterpret_cast<long long *>(ptr + M + 1);
    if (!cuda::CsrIndexToI64(ix.dtype, ix.dptr, col, nnz, St(ctx)) ||
        !cuda::CsrIndexToI64(ip.dtype, ip.dptr, ptr, M + 1, St(ctx)))
      return;
    cuda::CsrCheck(col, ptr, M, nnz, K, bad, St(ctx));
    CheckLaunch("_sparse_csr_dot (check)");
    long long h = 0;
    DeviceCopy(Device::CPU(), &h, ctx.dev, bad, sizeof(h));
    if (h) {  // the CPU's check on host copies, for its message
      std::vector<int64_t> hc(static_cast<size_t>(nnz)), hp(static_cast<size_t>(M + 1));
      if (nnz) DeviceCopy(Device::CPU(), hc.data(), ctx.dev, col, nnz * sizeof(int64_t));
      DeviceCopy(Device::CPU(), hp.data(), ctx.dev, ptr, (M + 1) * sizeof(int64_t));
      op::CheckCsr(p.op(), hc.data(), nnz, hp.data(), M + 1, K);
    }
    if (order) {
      row = ptr + M + 2;
      colptr = row + nnz;
      perm = colptr + K + 1;
      unsigned long long *work = reinterpret_cast<unsigned long long *>(perm + nnz);
      cuda::CsrColumnOrder(col, ptr, M, nnz, K, row, colptr, perm, work, St(ctx));
      CheckLaunch("_sparse_csr_dot (column order)");
    }
    ok = true;
  }
};

bool IndexOk(int t) { return t == kFloat32 || t == kFloat64 || IsInt(t); }

void CsrDotFwd(FWD_ARGS) {
  const int t = in[0].dtype;
  if (!IsReal(t) || in[3].dtype != t || out[0].dtype != t || !IndexOk(in[1].dtype) || !IndexOk(in[2].dtype))
    return Fallback(ctx, p, in, req, out);
  if (req[0] == kNullOp) return;
  const bool ta = p.Bool("transpose_a");
  DevCsr a(ctx, p, in[1], in[2], ta);
  const int64_t N = in[3].shape[1];
  if (ta)
    cuda::CsrTransTimes(t, a.row, a.colptr, a.perm, in[0].dptr, in[3].dptr, a.K, N, out[0].dptr, req[0], St(ctx));
  else
    cuda::CsrTimes(t, a.col, a.ptr, in[0].dptr, in[3].dptr, a.M, N, out[0].dptr, req[0], St(ctx));
  CheckLaunch("_sparse_csr_dot");
}

void CsrDotBwd(BWD_ARGS) {
  const int t = og[0].dtype;
  if (!IsReal(t) || id.size() < 4 || !id[0].dptr || !id[3].dptr || id[0].dtype != t || id[3].dtype != t ||
      !IndexOk(id[1].dtype) || !IndexOk(id[2].dtype) || !RequestedGradsHaveType({ig[0], ig[3]}, {req[0], req[3]}, t))
    return FallbackGrad(ctx, p, og, id, od, req, ig);
  ZeroIfWrite(ctx, ig[1], req[1]);
  ZeroIfWrite(ctx, ig[2], req[2]);
  if (req[0] == kNullOp && req[3] == kNullOp) return;
  const bool ta = p.Bool("transpose_a");
  // the data gradient needs each entry's row; the rhs gradient without transpose_a is an A^T product
  DevCsr a(ctx, p, id[1], id[2], true);
  const int64_t N = id[3].shape[1];
  if (req[0] != kNullOp)
    cuda::CsrDotDataGrad(t, a.row, a.col, ta, og[0].dptr, id[3].dptr, a.nnz, N, ig[0].dptr, req[0], St(ctx));
  if (req[3] != kNullOp) {
    if (ta)
      cuda::CsrTimes(t, a.col, a.ptr, id[0].dptr, og[0].dptr, a.M, N, ig[3].dptr, req[3], St(ctx));
    else
      cuda::CsrTransTimes(t, a.row, a.colptr, a.perm, id[0].dptr, og[0].dptr, a.K, N, ig[3].dptr, req[3], St(ctx));
  }
  CheckLaunch("_sparse_csr_dot backward");
}

}  // namespace

void RegisterSparseKernels() { Set("_sparse_csr_dot", CsrDotFwd, CsrDotBwd); }

}  // namespace gpu
}  // namespace mxc
