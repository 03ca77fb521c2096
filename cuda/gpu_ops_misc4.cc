// Native GPU kernels of the operators added on branch misc (cuda/misc4.cu, kernels_misc4.cuh): contrib fft and ifft
// (forward and gradient), with the semantics of the CPU kernels (core/ops/fft.cc); the legacy Convolution_v1,
// Pooling_v1 and BatchNorm_v1 through the current operators' GPU kernels (core/ops/legacy_ops.cc). float32/float64 run natively;
// other dtypes run the host-staged CPU kernel.
#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "device.h"
#include "gpu_device.h"
#include "gpu_ops.h"
#include "kernels_misc4.cuh"
#include "operator.h"
#include "ops/legacy_ops.h"

namespace mxc {
namespace gpu {

namespace {

// ---------------------------------------------------------------------------------------------------------------
// fft / ifft: the transform of x into y (fft's forward and ifft's gradient when inverse is false), compute_size rows
// at a time in a work buffer
// ---------------------------------------------------------------------------------------------------------------
void Transform(const OpContext &ctx, const OpParams &p, const TBlob &x, OpReq req, const TBlob &y, bool inverse) {
  if (req == kNullOp) return;
  const int64_t n = inverse ? y.shape[y.ndim() - 1] : x.shape[x.ndim() - 1];
  const int64_t rows = n ? y.Size() / (inverse ? n : 2 * n) : 0;
  if (rows == 0 || n == 0) return;
  const int64_t cs = p.Int("compute_size");
  if (cs < 1) Throw(ErrorKind::kValue, "operator ", p.op()->name, ": compute_size must be positive (got ", cs, ")");
  const int64_t chunk = std::min(cs, rows);
  const bool pow2 = (n & (n - 1)) == 0;
  Scratch work(Dev(ctx), static_cast<size_t>(chunk * n * (pow2 ? 2 : 4)) * sizeof(double));
  cuda::FftRows(y.dtype == kFloat64 ? 1 : 0, x.dptr, y.dptr, rows, n, inverse, !inverse, inverse ? 1 : -1, req, chunk,
                work.as<double>(), St(ctx));
  CheckLaunch(p.op()->name.c_str());
}

void FftFwd(FWD_ARGS) {
  if (!IsReal(in[0].dtype) || out[0].dtype != in[0].dtype) return Fallback(ctx, p, in, req, out);
  Transform(ctx, p, in[0], req[0], out[0], false);
}
void FftBwd(BWD_ARGS) {
  if (req[0] == kNullOp) return;
  if (!IsReal(og[0].dtype) || ig[0].dtype != og[0].dtype) return FallbackGrad(ctx, p, og, id, od, req, ig);
  Transform(ctx, p, og[0], req[0], ig[0], true);
}
void IfftFwd(FWD_ARGS) {
  if (!IsReal(in[0].dtype) || out[0].dtype != in[0].dtype) return Fallback(ctx, p, in, req, out);
  Transform(ctx, p, in[0], req[0], out[0], true);
}
void IfftBwd(BWD_ARGS) {
  if (req[0] == kNullOp) return;
  if (!IsReal(og[0].dtype) || ig[0].dtype != og[0].dtype) return FallbackGrad(ctx, p, og, id, od, req, ig);
  Transform(ctx, p, og[0], req[0], ig[0], false);
}

// ---------------------------------------------------------------------------------------------------------------
// Convolution_v1, Pooling_v1: the current operator's GPU kernels with the translated parameters
// ---------------------------------------------------------------------------------------------------------------
void LegacyFwd(FWD_ARGS) {
  const OpParams tp = op::LegacyTargetParams(p);
  tp.op()->compute.at(MXC_GPU)(ctx, tp, in, req, out);
}
void LegacyBwd(BWD_ARGS) {
  const OpParams tp = op::LegacyTargetParams(p);
  tp.op()->backward.at(MXC_GPU)(ctx, tp, og, id, od, req, ig);
}

// ---------------------------------------------------------------------------------------------------------------
// BatchNorm_v1: BatchNorm's GPU kernels, the third output converted between the variance and the inverse std
// ---------------------------------------------------------------------------------------------------------------
int Code(int dtype) { return dtype == kFloat64 ? 1 : 0; }
void CheckBNTypes(const Blobs &b) {
  for (const TBlob &t : b)
    if (t.dptr && !IsReal(t.dtype))
      Throw(ErrorKind::kType, "BatchNorm_v1: dtype ", DTypeName(t.dtype), " is not supported (float32 and float64)");
}
void BNv1Fwd(FWD_ARGS) {
  CheckBNTypes(in);  // a TypeError before writing: float16 runs through float32 copies
  CheckBNTypes(out);
  const OpParams tp = op::LegacyTargetParams(p);
  const bool direct = req[2] == kWriteTo || req[2] == kWriteInplace;
  Blobs o = out;
  Reqs r = req;
  std::unique_ptr<Scratch> tmp;
  if (!direct) {
    tmp.reset(new Scratch(Dev(ctx), std::max<size_t>(1, out[2].Size() * DTypeSize(out[2].dtype))));
    o[2].dptr = tmp->get();
    r[2] = kWriteTo;
  }
  tp.op()->compute.at(MXC_GPU)(ctx, tp, in, r, o);
  cuda::BNVarFromInvStd(Code(out[2].dtype), o[2].dptr, out[2].dptr, out[2].Size(), op::LegacyBNEps(p), req[2],
                        St(ctx));
  CheckLaunch("BatchNorm_v1");
}
void BNv1Bwd(BWD_ARGS) {
  CheckBNTypes(od);
  const OpParams tp = op::LegacyTargetParams(p);
  Blobs o = od;
  Scratch tmp(Dev(ctx), std::max<size_t>(1, od[2].Size() * DTypeSize(od[2].dtype)));
  o[2].dptr = tmp.get();
  cuda::BNInvStdFromVar(Code(od[2].dtype), od[2].dptr, o[2].dptr, od[2].Size(), op::LegacyBNEps(p), St(ctx));
  CheckLaunch("BatchNorm_v1 backward");
  tp.op()->backward.at(MXC_GPU)(ctx, tp, og, id, o, req, ig);
}

}  // namespace

void RegisterMisc4Kernels() {
  Set("Convolution_v1", LegacyFwd, LegacyBwd);
  Set("Pooling_v1", LegacyFwd, LegacyBwd);
  Set("BatchNorm_v1", BNv1Fwd, BNv1Bwd);
  Set("_contrib_fft", FftFwd, FftBwd);
  Set("_contrib_ifft", IfftFwd, IfftBwd);
}

}  // namespace gpu
}  // namespace mxc
