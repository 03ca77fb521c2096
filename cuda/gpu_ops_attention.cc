// GPU kernels of the transformer's interleaved attention products (interleaved_matmul_selfatt_qk/valatt,
// interleaved_matmul_encdec_qk/valatt): the operators' own kernels (core/ops/interleaved_attention.h), one GEMM per
// (batch element, head) through gpu::Gemm (cuBLAS) on strided views of the interleaved arrays. Float32/float64.
#include <type_traits>

#include "gpu_ops.h"
#include "kernels.cuh"
#include "ops/interleaved_attention.h"

namespace mxc {
namespace gpu {

namespace {

// The backend of interleaved_attention.h on the op's device.
struct GpuAttention {
  const OpContext &ctx;
  template <typename T>
  void operator()(bool ta, bool tb, int64_t M, int64_t N, int64_t K, T alpha, const T *A, int64_t lda, const T *B,
                  int64_t ldb, T beta, T *C, int64_t ldc) const {
    Gemm(ctx, std::is_same<T, float>::value ? kFloat32 : kFloat64, ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C,
         ldc);
  }
  template <typename T>
  T *Accum(const TBlob &b, OpReq req) const {
    if (req == kNullOp) return nullptr;
    if (req != kAddTo) cuda::Fill(b.dtype, b.dptr, b.Size(), 0.0, kWriteTo, St(ctx));
    return b.ptr<T>();
  }
};

template <op::AttentionKind kKind>
void Fwd(FWD_ARGS) {
  if (!IsReal(in[0].dtype)) return Fallback(ctx, p, in, req, out);
  op::AttentionForwardWith(kKind, GpuAttention{ctx}, p, in, req, out);
  CheckLaunch(p.op()->name.c_str());
}

template <op::AttentionKind kKind>
void Bwd(BWD_ARGS) {
  (void)od;
  if (!IsReal(og[0].dtype)) return FallbackGrad(ctx, p, og, id, od, req, ig);
  op::AttentionBackwardWith(kKind, GpuAttention{ctx}, p, og, id, req, ig);
  CheckLaunch(p.op()->name.c_str());
}

}  // namespace

void RegisterAttentionKernels() {
  Set("_contrib_interleaved_matmul_selfatt_qk", Fwd<op::kSelfQK>, Bwd<op::kSelfQK>);
  Set("_contrib_interleaved_matmul_selfatt_valatt", Fwd<op::kSelfValAtt>, Bwd<op::kSelfValAtt>);
  Set("_contrib_interleaved_matmul_encdec_qk", Fwd<op::kEncDecQK>, Bwd<op::kEncDecQK>);
  Set("_contrib_interleaved_matmul_encdec_valatt", Fwd<op::kEncDecValAtt>, Bwd<op::kEncDecValAtt>);
}

}  // namespace gpu
}  // namespace mxc
