// GPU kernels of cuda/seq.cu (kernels_seq.cuh) for smooth_l1, SequenceMask, SequenceReverse, SequenceLast and
// UpSampling (nearest): see RegisterSeqKernels in cuda/gpu_ops.h. The shapes and parameters were checked by the
// operators' inference (core/ops/nn_seq_upsample.cc). The forwards take float32/float64 and the integer dtypes, the
// gradients float32/float64; float16 reaches them as float32 copies (see operator.h), other dtypes run the
// host-staged CPU kernel.
#include "device.h"
#include "gpu_device.h"
#include "gpu_ops.h"
#include "kernels.cuh"
#include "kernels_seq.cuh"
#include "operator.h"
#include "ops/seq_upsample.h"

namespace mxc {
namespace gpu {

namespace {

bool FwdDtype(int t) { return IsReal(t) || IsInt(t); }

void SmoothL1Fwd(FWD_ARGS) {
  if (!FwdDtype(in[0].dtype)) return Fallback(ctx, p, in, req, out);
  cuda::SmoothL1(in[0].dtype, in[0].dptr, out[0].dptr, out[0].Size(), p.Float("scalar"), req[0], St(ctx));
  CheckLaunch("smooth_l1");
}

void SmoothL1Bwd(BWD_ARGS) {
  if (!IsReal(og[0].dtype) || id.empty() || !id[0].dptr) return FallbackGrad(ctx, p, og, id, od, req, ig);
  cuda::SmoothL1Grad(og[0].dtype, og[0].dptr, id[0].dptr, ig[0].dptr, ig[0].Size(), p.Float("scalar"), req[0],
                     St(ctx));
  CheckLaunch("smooth_l1 backward");
}

void SeqMaskFwd(FWD_ARGS) {
  const bool has_len = in.size() > 1;
  if (!FwdDtype(in[0].dtype) || (has_len && !FwdDtype(in[1].dtype))) return Fallback(ctx, p, in, req, out);
  const op::SeqMaskGeom g = op::SeqMaskGeomOf(p, in[0].shape);
  cuda::SequenceMask(in[0].dtype, in[0].dptr, out[0].dptr, has_len ? in[1].dtype : 0, has_len ? in[1].dptr : nullptr,
                     g.T, g.N, g.rest, g.batch_major, p.Float("value"), req[0], St(ctx));
  CheckLaunch("SequenceMask");
}

void SeqMaskBwd(BWD_ARGS) {
  const bool has_len = id.size() > 1;
  if (!IsReal(og[0].dtype) || (has_len && (!id[1].dptr || !FwdDtype(id[1].dtype))))
    return FallbackGrad(ctx, p, og, id, od, req, ig);
  const op::SeqMaskGeom g = op::SeqMaskGeomOf(p, ig[0].shape);
  if (req[0] != kNullOp)
    cuda::SequenceMask(og[0].dtype, og[0].dptr, ig[0].dptr, has_len ? id[1].dtype : 0,
                       has_len ? id[1].dptr : nullptr, g.T, g.N, g.rest, g.batch_major, 0.0, req[0], St(ctx));
  // sequence_length: a zero gradient.
  if (has_len && ig.size() > 1 && req.size() > 1 && ig[1].dptr && (req[1] == kWriteTo || req[1] == kWriteInplace))
    DeviceZero(ctx.dev, ig[1].dptr, static_cast<size_t>(ig[1].Size()) * DTypeSize(ig[1].dtype));
  CheckLaunch("SequenceMask backward");
}

// SequenceReverse and SequenceLast: data of a kernel dtype, lengths (if any) too; else the host-staged CPU kernel.
bool SeqDtypesOk(const std::vector<TBlob> &data) {
  return FwdDtype(data[0].dtype) && (data.size() < 2 || (data[1].dptr && FwdDtype(data[1].dtype)));
}
const void *LenPtr(const std::vector<TBlob> &data) { return data.size() > 1 ? data[1].dptr : nullptr; }
int LenDtype(const std::vector<TBlob> &data) { return data.size() > 1 ? data[1].dtype : 0; }
void ZeroLengthGrad(const OpContext &ctx, const std::vector<TBlob> &ig, const std::vector<OpReq> &req) {
  if (ig.size() > 1 && req.size() > 1 && ig[1].dptr && (req[1] == kWriteTo || req[1] == kWriteInplace))
    DeviceZero(ctx.dev, ig[1].dptr, static_cast<size_t>(ig[1].Size()) * DTypeSize(ig[1].dtype));
}

void SeqReverseFwd(FWD_ARGS) {
  if (!SeqDtypesOk(in)) return Fallback(ctx, p, in, req, out);
  const op::SeqMaskGeom g = op::SeqMaskGeomOf(p, in[0].shape);
  cuda::SequenceReverse(in[0].dtype, in[0].dptr, out[0].dptr, LenDtype(in), LenPtr(in), g.T, g.N, g.rest,
                        g.batch_major, req[0], St(ctx));
  CheckLaunch("SequenceReverse");
}

void SeqReverseBwd(BWD_ARGS) {
  if (!IsReal(og[0].dtype) || !SeqDtypesOk(id)) return FallbackGrad(ctx, p, og, id, od, req, ig);
  const op::SeqMaskGeom g = op::SeqMaskGeomOf(p, ig[0].shape);
  cuda::SequenceReverse(og[0].dtype, og[0].dptr, ig[0].dptr, LenDtype(id), LenPtr(id), g.T, g.N, g.rest,
                        g.batch_major, req[0], St(ctx));
  ZeroLengthGrad(ctx, ig, req);
  CheckLaunch("SequenceReverse backward");
}

void SeqLastFwd(FWD_ARGS) {
  if (!SeqDtypesOk(in)) return Fallback(ctx, p, in, req, out);
  const op::SeqMaskGeom g = op::SeqMaskGeomOf(p, in[0].shape);
  cuda::SequenceLast(in[0].dtype, in[0].dptr, out[0].dptr, LenDtype(in), LenPtr(in), g.T, g.N, g.rest, g.batch_major,
                     req[0], St(ctx));
  CheckLaunch("SequenceLast");
}

void SeqLastBwd(BWD_ARGS) {
  if (!IsReal(og[0].dtype) || !SeqDtypesOk(id)) return FallbackGrad(ctx, p, og, id, od, req, ig);
  const op::SeqMaskGeom g = op::SeqMaskGeomOf(p, ig[0].shape);
  cuda::SequenceLastGrad(og[0].dtype, og[0].dptr, ig[0].dptr, LenDtype(id), LenPtr(id), g.T, g.N, g.rest,
                         g.batch_major, req[0], St(ctx));
  ZeroLengthGrad(ctx, ig, req);
  CheckLaunch("SequenceLast backward");
}

void UpSamplingFwd(FWD_ARGS) {
  op::CheckUpSamplingParams(p);
  if (!FwdDtype(in[0].dtype)) return Fallback(ctx, p, in, req, out);
  const TShape &d = in[0].shape;
  cuda::UpSamplingNearest(in[0].dtype, in[0].dptr, out[0].dptr, d[0] * d[1], d[2], d[3], p.Int("scale"), req[0],
                          St(ctx));
  CheckLaunch("UpSampling");
}

void UpSamplingBwd(BWD_ARGS) {
  if (!IsReal(og[0].dtype)) return FallbackGrad(ctx, p, og, id, od, req, ig);
  const TShape &d = ig[0].shape;
  cuda::UpSamplingNearestGrad(og[0].dtype, og[0].dptr, ig[0].dptr, d[0] * d[1], d[2], d[3], p.Int("scale"), req[0],
                              St(ctx));
  CheckLaunch("UpSampling backward");
}

}  // namespace

void RegisterSeqKernels() {
  Set("smooth_l1", SmoothL1Fwd, SmoothL1Bwd);
  Set("SequenceMask", SeqMaskFwd, SeqMaskBwd);
  Set("SequenceReverse", SeqReverseFwd, SeqReverseBwd);
  Set("SequenceLast", SeqLastFwd, SeqLastBwd);
  Set("UpSampling", UpSamplingFwd, UpSamplingBwd);
}

}  // namespace gpu
}  // namespace mxc
