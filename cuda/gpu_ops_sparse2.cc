// Native GPU kernels of the storage conversions of core/ops/sparse_convert.cc (cuda/sparse2.cu,
// kernels_sparse2.cuh): _sparse_csr_count, _sparse_csr_fill, _sparse_rsp_count, _sparse_compact_rows,
// _sparse_rsp_retain, _sparse_index_count and _sparse_csr_todense, for values in float32, float64 or an integer
// dtype and indices of any numeric dtype; float16/bool values run the host-staged CPU kernel. A structure the CPU
// kernel would reject (checked on the device, one small read-back) runs the CPU kernel for its error message.
#include <vector>

#include "device.h"
#include "gpu_device.h"
#include "gpu_ops.h"
#include "kernels_sparse.cuh"
#include "kernels_sparse2.cuh"
#include "operator.h"

namespace mxc {
namespace gpu {

namespace {

bool Numeric(int t) { return t == kFloat32 || t == kFloat64 || IsInt(t); }

// int64 copies of index arrays (any numeric dtype) in one scratch, plus extra int64 slots.
struct Ix {
  std::unique_ptr<Scratch> mem;
  std::vector<int64_t *> p;
  int64_t *extra = nullptr;
  Ix(const OpContext &ctx, const std::vector<const TBlob *> &blobs, int64_t n_extra) {
    int64_t n = n_extra + 1;
    for (const TBlob *b : blobs) n += b->Size();
    mem.reset(new Scratch(Dev(ctx), static_cast<size_t>(n) * sizeof(int64_t)));
    int64_t *q = mem->as<int64_t>();
    for (const TBlob *b : blobs) {
      p.push_back(q);
      cuda::CsrIndexToI64(b->dtype, b->dptr, q, b->Size(), St(ctx));
      q += b->Size();
    }
    extra = q;
  }
};

// The device counter's value (a small synchronous copy).
unsigned long long ReadBad(const OpContext &ctx, unsigned long long *bad) {
  unsigned long long h = 0;
  DeviceCopy(Device::CPU(), &h, ctx.dev, bad, sizeof(h));
  return h;
}

template <bool kCsr>
void CountFwd(FWD_ARGS) {
  if (!Numeric(in[0].dtype) || out[0].dtype != kInt64) return Fallback(ctx, p, in, req, out);
  if (req[0] == kNullOp) return;
  const int64_t M = in[0].shape[0], inner = M ? in[0].Size() / M : 0;
  Scratch cnt(Dev(ctx), static_cast<size_t>(M + 1) * sizeof(int64_t));
  cuda::SpRowCount(in[0].dtype, in[0].dptr, M, inner, !kCsr, cnt.as<int64_t>(), St(ctx));
  cuda::SpScan(cnt.as<int64_t>(), M, static_cast<int64_t *>(out[0].dptr), req[0], St(ctx));
  CheckLaunch(kCsr ? "_sparse_csr_count" : "_sparse_rsp_count");
}

void CsrFillFwd(FWD_ARGS) {
  if (!Numeric(in[0].dtype) || !Numeric(in[1].dtype) || out[0].dtype != in[0].dtype || out[1].dtype != kInt64)
    return Fallback(ctx, p, in, req, out);
  const int64_t M = in[0].shape[0], K = in[0].shape[1], nnz = out[0].Size();
  Ix ix(ctx, {&in[1]}, 1);
  unsigned long long *bad = reinterpret_cast<unsigned long long *>(ix.extra);
  cudaMemsetAsync(bad, 0, sizeof(*bad), St(ctx));
  cuda::SpCheckPrefix(ix.p[0], M, nnz, K, bad, St(ctx));
  cuda::SpCsrFill(in[0].dtype, in[0].dptr, M, K, ix.p[0], nnz, out[0].dptr, req[0],
                  static_cast<int64_t *>(out[1].dptr), req[1], bad, St(ctx));
  CheckLaunch("_sparse_csr_fill");
  if (ReadBad(ctx, bad)) Fallback(ctx, p, in, req, out);  // the CPU kernel's error
}

void CompactFwd(FWD_ARGS) {
  if (!Numeric(in[0].dtype) || !Numeric(in[1].dtype) || out[0].dtype != in[0].dtype || out[1].dtype != kInt64)
    return Fallback(ctx, p, in, req, out);
  const int64_t M = in[0].shape[0], inner = in[0].ndim() > 0 && M ? in[0].Size() / M : 0, count = out[1].Size();
  Ix ix(ctx, {&in[1]}, 1);
  unsigned long long *bad = reinterpret_cast<unsigned long long *>(ix.extra);
  cudaMemsetAsync(bad, 0, sizeof(*bad), St(ctx));
  cuda::SpCheckPrefix(ix.p[0], M, count, 1, bad, St(ctx));
  CheckLaunch("_sparse_compact_rows (check)");
  if (ReadBad(ctx, bad)) return Fallback(ctx, p, in, req, out);  // the CPU kernel's error
  cuda::SpCompact(in[0].dtype, in[0].dptr, M, inner, ix.p[0], count, out[0].dptr, req[0],
                  static_cast<int64_t *>(out[1].dptr), req[1], St(ctx));
  CheckLaunch("_sparse_compact_rows");
}

void RetainFwd(FWD_ARGS) {
  if (!Numeric(in[0].dtype) || !Numeric(in[1].dtype) || !Numeric(in[2].dtype) || out[0].dtype != in[0].dtype)
    return Fallback(ctx, p, in, req, out);
  if (req[0] == kNullOp) return;
  const int64_t M = in[0].shape[0];
  int64_t inner = 1;
  for (int d = 1; d < in[0].ndim(); ++d) inner *= in[0].shape[d];
  Ix ix(ctx, {&in[1], &in[2]}, 0);
  cuda::SpRetain(in[0].dtype, in[0].dptr, ix.p[0], M, inner, ix.p[1], in[2].Size(), out[0].dptr, req[0], St(ctx));
  CheckLaunch("_sparse_rsp_retain");
}

void IndexCountFwd(FWD_ARGS) {
  if (!Numeric(in[0].dtype) || out[0].dtype != kInt64) return Fallback(ctx, p, in, req, out);
  if (req[0] == kNullOp) return;
  const int64_t R = p.Int("num_rows");
  Ix ix(ctx, {&in[0]}, R);
  cuda::SpMarkRows(ix.p[0], in[0].Size(), R, ix.extra, St(ctx));
  cuda::SpScan(ix.extra, R, static_cast<int64_t *>(out[0].dptr), req[0], St(ctx));
  CheckLaunch("_sparse_index_count");
}

void CsrToDenseFwd(FWD_ARGS) {
  if (!Numeric(in[0].dtype) || !Numeric(in[1].dtype) || !Numeric(in[2].dtype) || out[0].dtype != in[0].dtype)
    return Fallback(ctx, p, in, req, out);
  if (req[0] == kNullOp) return;
  const int64_t nnz = in[1].Size(), M = in[2].Size() - 1, K = p.Int("num_cols");
  Ix ix(ctx, {&in[1], &in[2]}, 1);
  long long *bad = reinterpret_cast<long long *>(ix.extra);
  cuda::CsrCheck(ix.p[0], ix.p[1], M, nnz, K, bad, St(ctx));
  CheckLaunch("_sparse_csr_todense (check)");
  if (ReadBad(ctx, reinterpret_cast<unsigned long long *>(bad))) return Fallback(ctx, p, in, req, out);
  cuda::SpCsrToDense(in[0].dtype, in[0].dptr, ix.p[0], ix.p[1], M, K, out[0].dptr, req[0], St(ctx));
  CheckLaunch("_sparse_csr_todense");
}

}  // namespace

void RegisterSparse2Kernels() {
  Set("_sparse_csr_count", CountFwd<true>);
  Set("_sparse_rsp_count", CountFwd<false>);
  Set("_sparse_csr_fill", CsrFillFwd);
  Set("_sparse_compact_rows", CompactFwd);
  Set("_sparse_rsp_retain", RetainFwd);
  Set("_sparse_index_count", IndexCountFwd);
  Set("_sparse_csr_todense", CsrToDenseFwd);
}

}  // namespace gpu
}  // namespace mxc
