// Shared by the GPU kernel registrations (cuda/gpu_ops*.cc): the kernel signatures' arguments, the host-staged
// fallback, GEMM through cuBLAS, and Set() to give an operator its GPU kernels. Glue only (framework headers).
#pragma once

#include <vector>

#include "gpu_device.h"
#include "operator.h"

namespace mxc {
namespace gpu {

using Blobs = std::vector<TBlob>;
using Reqs = std::vector<OpReq>;

#define FWD_ARGS const OpContext &ctx, const OpParams &p, const Blobs &in, const Reqs &req, const Blobs &out
#define BWD_ARGS                                                                                            \
  const OpContext &ctx, const OpParams &p, const Blobs &og, const Blobs &id, const Blobs &od, const Reqs &req, \
      const Blobs &ig

inline bool IsReal(int dtype) { return dtype == kFloat32 || dtype == kFloat64; }
inline int Dev(const OpContext &ctx) { return ctx.dev.id; }
inline cudaStream_t St(const OpContext &ctx) { return Stream(ctx.dev.id); }
inline double Beta(OpReq r) { return r == kAddTo ? 1.0 : 0.0; }
// The product of s[b..e).
inline int64_t Prod(const TShape &s, int b, int e) {
  int64_t n = 1;
  for (int i = b; i < e; ++i) n *= s[i];
  return n;
}

// The op's CPU kernel on host copies of the blobs (for calls a native kernel does not cover).
void Fallback(FWD_ARGS);
void FallbackGrad(BWD_ARGS);

// Row-major C = alpha op(A) op(B) + beta C on the op's device (cuBLAS when built with it).
void Gemm(const OpContext &ctx, int dtype, bool ta, bool tb, int64_t M, int64_t N, int64_t K, double alpha,
          const void *A, int64_t lda, const void *B, int64_t ldb, double beta, void *C, int64_t ldc);

// Gives an existing operator its GPU forward (and backward) kernel; skipped when the operator is not in this build.
void Set(const char *name, FCompute f, FBackward b = nullptr);
// Gives an existing operator its GPU backward kernel only.
void SetBackward(const char *name, FBackward b);

// Registrations by family (called once by RegisterKernels).
void RegisterShapeKernels();  // cuda/gpu_ops_shape.cc: broadcasting, reductions, layout (transpose, slice, ...)
void RegisterIndexKernels();  // cuda/gpu_ops_index.cc: indexing, nn extras, remaining elementwise

}  // namespace gpu
}  // namespace mxc
