// Native GPU kernels of the operators added on branch misc (cuda/misc4.cu, kernels_misc4.cuh), with the semantics of
// the CPU kernels: contrib fft and ifft (forward and gradient, core/ops/fft.cc); the legacy Convolution_v1, Pooling_v1
// and BatchNorm_v1 through the current operators' GPU kernels (core/ops/legacy_ops.cc); _onehot_encode, _set_value,
// _zeros_without_dtype, _grad_add, _identity_with_attr_like_rhs, IdentityAttachKLSparseReg and _sample_unique_zipfian
// (core/ops/misc_more4.cc). float32/float64 (and the integer dtypes for the fills and copies) run natively; other
// dtypes and the add requests of _sample_unique_zipfian run the host-staged CPU kernel.
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

// ---------------------------------------------------------------------------------------------------------------
// core/ops/misc_more4.cc: _onehot_encode, _set_value, _zeros_without_dtype, _grad_add, _identity_with_attr_like_rhs,
// IdentityAttachKLSparseReg, _sample_unique_zipfian
// ---------------------------------------------------------------------------------------------------------------
bool Numeric(int t) { return IsReal(t) || IsInt(t); }

void OneHotFwd(FWD_ARGS) {
  if (in[0].dtype != kFloat32 || out[0].dtype != kFloat32) return Fallback(ctx, p, in, req, out);
  cuda::OneHotEncode(static_cast<const float *>(in[0].dptr), static_cast<float *>(out[0].dptr), out[0].shape[0],
                     out[0].shape[1], req[0], St(ctx));
  CheckLaunch("_onehot_encode");
}

void FillFwd(const OpContext &ctx, const OpParams &p, const Reqs &req, const Blobs &in, const Blobs &out, double v) {
  if (!Numeric(out[0].dtype)) return Fallback(ctx, p, in, req, out);
  cuda::FillValue(out[0].dtype, v, out[0].dptr, out[0].Size(), req[0], St(ctx));
  CheckLaunch(p.op()->name.c_str());
}
void SetValueFwd(FWD_ARGS) { FillFwd(ctx, p, req, in, out, p.Float("src")); }
void ZerosFwd(FWD_ARGS) { FillFwd(ctx, p, req, in, out, 0.0); }

// y (req) = a (+ b); false when the dtype is not taken natively.
bool AddCopyBlobs(const OpContext &ctx, const TBlob &a, const TBlob *b, OpReq r, const TBlob &y) {
  if (r == kNullOp) return true;
  if (!Numeric(y.dtype)) return false;
  if (!b && a.dptr == y.dptr && r != kAddTo) return true;
  cuda::AddCopy(y.dtype, a.dptr, b ? b->dptr : nullptr, y.dptr, y.Size(), r, St(ctx));
  return true;
}
void GradAddFwd(FWD_ARGS) {
  if (!AddCopyBlobs(ctx, in[0], &in[1], req[0], out[0])) return Fallback(ctx, p, in, req, out);
  CheckLaunch("_grad_add");
}
void GradAddBwd(BWD_ARGS) {
  if (!Numeric(og[0].dtype)) return FallbackGrad(ctx, p, og, id, od, req, ig);
  for (int i = 0; i < 2; ++i) AddCopyBlobs(ctx, og[0], nullptr, req[i], ig[i]);
  CheckLaunch("_grad_add backward");
}
void IdentityLikeFwd(FWD_ARGS) {
  if (!AddCopyBlobs(ctx, in[0], nullptr, req[0], out[0])) return Fallback(ctx, p, in, req, out);
  CheckLaunch("_identity_with_attr_like_rhs");
}
void IdentityLikeBwd(BWD_ARGS) {
  if (!Numeric(og[0].dtype)) return FallbackGrad(ctx, p, og, id, od, req, ig);
  AddCopyBlobs(ctx, og[0], nullptr, req[0], ig[0]);
  ZeroIfWrite(ctx, ig[1], req[1]);
  CheckLaunch("_identity_with_attr_like_rhs backward");
}

void KLGeomOf(const TShape &d, int64_t *N, int64_t *C, int64_t *S) {
  *N = d[0], *C = d[1], *S = Prod(d, 2, d.ndim());
}
void KLFwd(FWD_ARGS) {
  const int t = in[0].dtype;
  if (!IsReal(t) || in[1].dtype != t || out[0].dtype != t) return Fallback(ctx, p, in, req, out);
  AddCopyBlobs(ctx, in[0], nullptr, req[0], out[0]);
  if (ctx.is_train) {
    int64_t N, C, S;
    KLGeomOf(in[0].shape, &N, &C, &S);
    cuda::KLMovingAvg(t, in[0].dptr, in[1].dptr, N, C, S, p.Float("momentum"), St(ctx));
  }
  CheckLaunch("IdentityAttachKLSparseReg");
}
void KLBwd(BWD_ARGS) {
  if (req[0] == kNullOp) return;
  const int t = og[0].dtype;
  if (!IsReal(t) || id.size() < 2 || !id[1].dptr || id[1].dtype != t || ig[0].dtype != t)
    return FallbackGrad(ctx, p, og, id, od, req, ig);
  int64_t N, C, S;
  KLGeomOf(ig[0].shape, &N, &C, &S);
  cuda::KLGrad(t, og[0].dptr, id[1].dptr, ig[0].dptr, N, C, S, p.Float("sparseness_target"), p.Float("penalty"),
               req[0], St(ctx));
  CheckLaunch("IdentityAttachKLSparseReg backward");
}

void ZipfFwd(FWD_ARGS) {
  if (req[0] != kWriteTo || req[1] != kWriteTo || !ctx.rng) return Fallback(ctx, p, in, req, out);
  const uint64_t key = (*ctx.rng)();
  cuda::UniqueZipfian(p.Int("range_max"), out[0].shape[0], out[0].shape[1], key,
                      static_cast<int64_t *>(out[0].dptr), static_cast<int64_t *>(out[1].dptr), St(ctx));
  CheckLaunch("_sample_unique_zipfian");
}

}  // namespace

void RegisterMisc4Kernels() {
  Set("_onehot_encode", OneHotFwd);
  Set("_set_value", SetValueFwd);
  Set("_zeros_without_dtype", ZerosFwd);
  Set("_grad_add", GradAddFwd, GradAddBwd);
  Set("_identity_with_attr_like_rhs", IdentityLikeFwd, IdentityLikeBwd);
  Set("IdentityAttachKLSparseReg", KLFwd, KLBwd);
  Set("_sample_unique_zipfian", ZipfFwd);
  Set("Convolution_v1", LegacyFwd, LegacyBwd);
  Set("Pooling_v1", LegacyFwd, LegacyBwd);
  Set("BatchNorm_v1", BNv1Fwd, BNv1Bwd);
  Set("_contrib_fft", FftFwd, FftBwd);
  Set("_contrib_ifft", IfftFwd, IfftBwd);
}

}  // namespace gpu
}  // namespace mxc
