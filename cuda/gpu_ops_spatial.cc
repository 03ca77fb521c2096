// Native GPU kernels for the spatial sampling and region pooling operators (cuda/spatial.cu, kernels_spatial.cuh):
// GridGenerator, BilinearSampler, SpatialTransformer, ROIPooling, _contrib_ROIAlign, _contrib_PSROIPooling and
// _contrib_DeformablePSROIPooling, with the semantics of the CPU kernels (core/ops/nn_spatial.cc,
// core/ops/contrib_psroi.cc). float32/float64 run natively; other dtypes run the host-staged CPU kernel. The
// gradients that scatter add atomically (their summation order differs from the CPU's).
#include <algorithm>
#include <cstring>
#include <vector>

#include "device.h"
#include "gpu_device.h"
#include "gpu_ops.h"
#include "kernels_spatial.cuh"
#include "operator.h"

namespace mxc {
namespace gpu {

namespace {

void ZeroIfWrite(const OpContext &ctx, const TBlob &b, OpReq r) {
  if ((r == kWriteTo || r == kWriteInplace) && b.dptr && b.Size() > 0)
    DeviceZero(ctx.dev, b.dptr, static_cast<size_t>(b.Size()) * DTypeSize(b.dtype));
}
// Whether every blob is float32/float64 of one dtype (null blobs skipped).
bool SameReal(const Blobs &b, int t) {
  if (!IsReal(t)) return false;
  for (const TBlob &x : b)
    if (x.dptr && x.dtype != t) return false;
  return true;
}

// ---------------------------------------------------------------------------------------------------------------
// GridGenerator
// ---------------------------------------------------------------------------------------------------------------
bool IsAffine(const OpParams &p) { return p.Str("transform_type") == "affine"; }

void GridGenFwd(FWD_ARGS) {
  if (req[0] == kNullOp) return;
  const int t = out[0].dtype;
  if (!SameReal(in, t)) return Fallback(ctx, p, in, req, out);
  const TShape &os = out[0].shape;
  if (IsAffine(p)) cuda::AffineGrid(t, in[0].dptr, out[0].dptr, os[0], os[2], os[3], req[0], St(ctx));
  else cuda::WarpGrid(t, in[0].dptr, out[0].dptr, os[0], os[2], os[3], req[0], St(ctx));
  CheckLaunch("GridGenerator");
}
void GridGenBwd(BWD_ARGS) {
  if (req[0] == kNullOp) return;
  const int t = og[0].dtype;
  if (!IsReal(t) || ig[0].dtype != t) return FallbackGrad(ctx, p, og, id, od, req, ig);
  const TShape &os = og[0].shape;
  if (IsAffine(p)) cuda::AffineGridGrad(t, og[0].dptr, ig[0].dptr, os[0], os[2], os[3], req[0], St(ctx));
  else cuda::WarpGridGrad(t, og[0].dptr, ig[0].dptr, os[0], os[2], os[3], req[0], St(ctx));
  CheckLaunch("GridGenerator backward");
}

// ---------------------------------------------------------------------------------------------------------------
// BilinearSampler and SpatialTransformer (an affine grid in scratch memory, then the sampler)
// ---------------------------------------------------------------------------------------------------------------
cuda::SamplerGeom SamplerGeomOf(const TShape &d, const TShape &o) {
  return cuda::SamplerGeom{d[0], d[1], d[2], d[3], o[2], o[3]};
}

void SamplerFwd(FWD_ARGS) {
  if (req[0] == kNullOp) return;
  const int t = out[0].dtype;
  if (!SameReal(in, t)) return Fallback(ctx, p, in, req, out);
  cuda::BilinearSample(t, SamplerGeomOf(in[0].shape, out[0].shape), in[0].dptr, in[1].dptr, out[0].dptr, req[0],
                       St(ctx));
  CheckLaunch("BilinearSampler");
}
void SamplerBwd(BWD_ARGS) {
  if (req[0] == kNullOp && req[1] == kNullOp) return;
  const int t = og[0].dtype;
  if (!SameReal(og, t) || id.size() < 2 || !id[0].dptr || !id[1].dptr || !SameReal(id, t) || !SameReal(ig, t))
    return FallbackGrad(ctx, p, og, id, od, req, ig);
  ZeroIfWrite(ctx, ig[0], req[0]);
  cuda::BilinearSampleGrad(t, SamplerGeomOf(id[0].shape, og[0].shape), id[0].dptr, id[1].dptr, og[0].dptr,
                           req[0] == kNullOp ? nullptr : ig[0].dptr, req[1] == kNullOp ? nullptr : ig[1].dptr,
                           static_cast<int>(req[1]), St(ctx));
  CheckLaunch("BilinearSampler backward");
}

void STFwd(FWD_ARGS) {
  if (req[0] == kNullOp) return;
  const int t = out[0].dtype;
  if (!SameReal(in, t)) return Fallback(ctx, p, in, req, out);
  const TShape &d = in[0].shape, &o = out[0].shape;
  Scratch grid(Dev(ctx), static_cast<size_t>(d[0] * 2 * o[2] * o[3]) * DTypeSize(t) + 8);
  cuda::AffineGrid(t, in[1].dptr, grid.get(), d[0], o[2], o[3], kWriteTo, St(ctx));
  cuda::BilinearSample(t, SamplerGeomOf(d, o), in[0].dptr, grid.get(), out[0].dptr, req[0], St(ctx));
  CheckLaunch("SpatialTransformer");
}
void STBwd(BWD_ARGS) {
  if (req[0] == kNullOp && req[1] == kNullOp) return;
  const int t = og[0].dtype;
  if (!SameReal(og, t) || id.size() < 2 || !id[0].dptr || !id[1].dptr || !SameReal(id, t) || !SameReal(ig, t))
    return FallbackGrad(ctx, p, og, id, od, req, ig);
  const TShape &d = id[0].shape, &o = og[0].shape;
  const size_t bytes = static_cast<size_t>(d[0] * 2 * o[2] * o[3]) * DTypeSize(t) + 8;
  Scratch grid(Dev(ctx), bytes), dgrid(Dev(ctx), bytes);
  cuda::AffineGrid(t, id[1].dptr, grid.get(), d[0], o[2], o[3], kWriteTo, St(ctx));
  ZeroIfWrite(ctx, ig[0], req[0]);
  cuda::BilinearSampleGrad(t, SamplerGeomOf(d, o), id[0].dptr, grid.get(), og[0].dptr,
                           req[0] == kNullOp ? nullptr : ig[0].dptr, req[1] == kNullOp ? nullptr : dgrid.get(),
                           kWriteTo, St(ctx));
  if (req[1] != kNullOp) cuda::AffineGridGrad(t, dgrid.get(), ig[1].dptr, d[0], o[2], o[3], req[1], St(ctx));
  CheckLaunch("SpatialTransformer backward");
}

// ---------------------------------------------------------------------------------------------------------------
// ROIPooling, ROIAlign
// ---------------------------------------------------------------------------------------------------------------
bool RoiInputsOk(const Blobs &in, int t) {
  return in.size() >= 2 && in[0].dptr && in[1].dptr && in[0].ndim() == 4 && in[1].ndim() == 2 && SameReal(in, t);
}

cuda::ROIPoolGeom ROIPoolGeomOf(const OpParams &p, const TShape &d, const TShape &r) {
  const auto &ps = p.Tuple("pooled_size");
  return cuda::ROIPoolGeom{d[0], d[1], d[2], d[3], r[0], ps[0], ps[1], p.Float("spatial_scale")};
}
void ROIPoolFwd(FWD_ARGS) {
  if (req[0] == kNullOp) return;
  const int t = out[0].dtype;
  if (!RoiInputsOk(in, t)) return Fallback(ctx, p, in, req, out);
  cuda::ROIPool(t, ROIPoolGeomOf(p, in[0].shape, in[1].shape), in[0].dptr, in[1].dptr, out[0].dptr, req[0], St(ctx));
  CheckLaunch("ROIPooling");
}
void ROIPoolBwd(BWD_ARGS) {
  const int t = og[0].dtype;
  if (!RoiInputsOk(id, t) || !SameReal(ig, t)) return FallbackGrad(ctx, p, og, id, od, req, ig);
  ZeroIfWrite(ctx, ig[1], req[1]);  // no gradient flows to the rois
  if (req[0] == kNullOp) return;
  ZeroIfWrite(ctx, ig[0], req[0]);
  cuda::ROIPoolGrad(t, ROIPoolGeomOf(p, id[0].shape, id[1].shape), id[0].dptr, id[1].dptr, og[0].dptr, ig[0].dptr,
                    St(ctx));
  CheckLaunch("ROIPooling backward");
}

// With aligned=True every roi must have a positive width and height: checked on a host copy of the rois; false
// sends the call to the CPU kernel, which raises the error.
bool AlignedROIsOk(const OpContext &ctx, const OpParams &p, const TBlob &rois) {
  if (!p.Bool("aligned")) return true;
  const int64_t R = rois.shape[0];
  std::vector<double> v(static_cast<size_t>(R * 5));
  const double scale = p.Float("spatial_scale");
  if (rois.dtype == kFloat32) {
    std::vector<float> f(v.size());
    DeviceCopy(Device::CPU(), f.data(), ctx.dev, rois.dptr, f.size() * sizeof(float));
    for (size_t i = 0; i < f.size(); ++i) v[i] = f[i];
  } else {
    DeviceCopy(Device::CPU(), v.data(), ctx.dev, rois.dptr, v.size() * sizeof(double));
  }
  for (int64_t r = 0; r < R; ++r) {
    const double *roi = v.data() + r * 5;
    const double rw = (roi[3] - roi[1]) * scale, rh = (roi[4] - roi[2]) * scale;
    if (!(rw > 0 && rh > 0)) return false;
  }
  return true;
}
cuda::ROIAlignGeom ROIAlignGeomOf(const OpParams &p, const TShape &d, const TShape &r, const TShape &o) {
  return cuda::ROIAlignGeom{d[0],  d[1],  d[2],  d[3], r[0], o[1], o[2], o[3], p.Int("sample_ratio"),
                            p.Float("spatial_scale"), p.Bool("aligned"), p.Bool("position_sensitive")};
}
void ROIAlignFwd(FWD_ARGS) {
  if (req[0] == kNullOp) return;
  const int t = out[0].dtype;
  if (!RoiInputsOk(in, t) || !AlignedROIsOk(ctx, p, in[1])) return Fallback(ctx, p, in, req, out);
  cuda::ROIAlign(t, ROIAlignGeomOf(p, in[0].shape, in[1].shape, out[0].shape), in[0].dptr, in[1].dptr, out[0].dptr,
                 req[0], St(ctx));
  CheckLaunch("_contrib_ROIAlign");
}
void ROIAlignBwd(BWD_ARGS) {
  const int t = og[0].dtype;
  if (!RoiInputsOk(id, t) || !SameReal(ig, t) || !AlignedROIsOk(ctx, p, id[1]))
    return FallbackGrad(ctx, p, og, id, od, req, ig);
  ZeroIfWrite(ctx, ig[1], req[1]);
  if (req[0] == kNullOp) return;
  ZeroIfWrite(ctx, ig[0], req[0]);
  cuda::ROIAlignGrad(t, ROIAlignGeomOf(p, id[0].shape, id[1].shape, og[0].shape), id[1].dptr, og[0].dptr, ig[0].dptr,
                     St(ctx));
  CheckLaunch("_contrib_ROIAlign backward");
}

// ---------------------------------------------------------------------------------------------------------------
// PSROIPooling, DeformablePSROIPooling
// ---------------------------------------------------------------------------------------------------------------
bool IsDeformable(const OpParams &p) { return p.op()->ParamIndex("trans_std") >= 0; }

cuda::PSROIGeom PSGeomOf(const OpParams &p, const Blobs &in) {
  const TShape &d = in[0].shape;
  cuda::PSROIGeom g;
  g.N = d[0], g.C = d[1], g.H = d[2], g.W = d[3], g.R = in[1].shape[0];
  g.K = p.Int("output_dim"), g.P = p.Int("pooled_size");
  const int64_t gs = p.Int("group_size");
  g.G = gs > 0 ? gs : g.P;
  g.scale = static_cast<float>(p.Float("spatial_scale"));  // float32, as MXNet holds it
  if (IsDeformable(p)) {
    const int64_t ps = p.Int("part_size"), spp = p.Int("sample_per_part");
    g.PS = ps > 0 ? ps : g.P;
    g.S = spp > 1 ? spp : 1;
    g.no_trans = p.Bool("no_trans");
    g.classes = g.no_trans || in.size() < 3 ? 1 : std::max<int64_t>(in[2].shape[1] / 2, 1);
    g.trans_std = static_cast<float>(p.Float("trans_std"));
  }
  return g;
}

void PSFwd(FWD_ARGS) {
  if (req[0] == kNullOp) return;
  const int t = out[0].dtype;
  if (!RoiInputsOk(in, t)) return Fallback(ctx, p, in, req, out);
  cuda::PSROIPool(t, PSGeomOf(p, in), in[0].dptr, in[1].dptr, out[0].dptr, req[0], St(ctx));
  CheckLaunch("_contrib_PSROIPooling");
}
void PSBwd(BWD_ARGS) {
  const int t = og[0].dtype;
  if (!RoiInputsOk(id, t) || !SameReal(ig, t)) return FallbackGrad(ctx, p, og, id, od, req, ig);
  ZeroIfWrite(ctx, ig[1], req[1]);
  if (req[0] == kNullOp) return;
  ZeroIfWrite(ctx, ig[0], req[0]);
  cuda::PSROIPoolGrad(t, PSGeomOf(p, id), id[1].dptr, og[0].dptr, ig[0].dptr, St(ctx));
  CheckLaunch("_contrib_PSROIPooling backward");
}

void DPSFwd(FWD_ARGS) {
  if (req[0] == kNullOp) return;
  const int t = out[0].dtype;
  const bool no_trans = p.Bool("no_trans");
  if (!RoiInputsOk(in, t) || (!no_trans && (in.size() < 3 || !in[2].dptr)))
    return Fallback(ctx, p, in, req, out);
  cuda::DeformablePSROIPool(t, PSGeomOf(p, in), in[0].dptr, in[1].dptr, no_trans ? nullptr : in[2].dptr,
                            out[0].dptr, req[0], St(ctx));
  CheckLaunch("_contrib_DeformablePSROIPooling");
}
void DPSBwd(BWD_ARGS) {
  const int t = og[0].dtype;
  const bool no_trans = p.Bool("no_trans");
  if (!RoiInputsOk(id, t) || !SameReal(ig, t) || (!no_trans && (id.size() < 3 || !id[2].dptr || ig.size() < 3)))
    return FallbackGrad(ctx, p, og, id, od, req, ig);
  ZeroIfWrite(ctx, ig[1], req[1]);
  const OpReq rt = no_trans ? kNullOp : req[2];
  if (req[0] == kNullOp && rt == kNullOp) return;
  ZeroIfWrite(ctx, ig[0], req[0]);
  if (!no_trans) ZeroIfWrite(ctx, ig[2], rt);
  cuda::DeformablePSROIPoolGrad(t, PSGeomOf(p, id), id[0].dptr, id[1].dptr, no_trans ? nullptr : id[2].dptr,
                                og[0].dptr, req[0] == kNullOp ? nullptr : ig[0].dptr,
                                rt == kNullOp ? nullptr : ig[2].dptr, St(ctx));
  CheckLaunch("_contrib_DeformablePSROIPooling backward");
}

}  // namespace

void RegisterSpatialKernels() {
  Set("GridGenerator", GridGenFwd, GridGenBwd);
  Set("BilinearSampler", SamplerFwd, SamplerBwd);
  Set("SpatialTransformer", STFwd, STBwd);
  Set("ROIPooling", ROIPoolFwd, ROIPoolBwd);
  Set("_contrib_ROIAlign", ROIAlignFwd, ROIAlignBwd);
  Set("_contrib_PSROIPooling", PSFwd, PSBwd);
  Set("_contrib_DeformablePSROIPooling", DPSFwd, DPSBwd);
}

}  // namespace gpu
}  // namespace mxc
