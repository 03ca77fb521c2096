// Native GPU kernels for the spatial sampling and region pooling operators (cuda/spatial.cu, kernels_spatial.cuh):
// GridGenerator, BilinearSampler, SpatialTransformer, ROIPooling, _contrib_ROIAlign, _contrib_PSROIPooling and
// _contrib_DeformablePSROIPooling, with the semantics of the CPU kernels (core/ops/nn_spatial.cc,
// core/ops/contrib_psroi.cc); and for im2col, col2im, Crop, SVMOutput, softmax_cross_entropy, _split_v2, _histogram
// (core/ops/misc_more.cc) and _cvcopyMakeBorder (core/ops/image_border.cc). float32/float64 run natively (and the
// integer dtypes for the copies, the histogram and the border); other dtypes run the host-staged CPU kernel. The
// gradients that scatter add atomically (their summation order differs from the CPU's). Inputs that make the CPU
// kernel raise an error (labels out of range, decreasing bin edges, empty aligned rois) are checked on a host copy
// and sent to the CPU kernel, which raises it.
#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <memory>
#include <string>
#include <type_traits>
#include <vector>

#include "device.h"
#include "gpu_device.h"
#include "gpu_ops.h"
#include "kernels_spatial.cuh"
#include "operator.h"
#include "ops/contrib_detection.h"
#include "ops/nn_util.h"

namespace mxc {
namespace gpu {

namespace {

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

// ---------------------------------------------------------------------------------------------------------------
// im2col / col2im (the geometry validated by shape inference)
// ---------------------------------------------------------------------------------------------------------------
cuda::ColGeom ColGeomOf(const OpParams &p, int64_t N, int64_t C, const std::vector<int64_t> &spatial) {
  const auto &kernel = p.Tuple("kernel");
  const int nd = static_cast<int>(kernel.size());
  const auto st = op::SpatialParam(p, "stride", nd, 1), di = op::SpatialParam(p, "dilate", nd, 1),
             pa = op::SpatialParam(p, "pad", nd, 0);
  cuda::ColGeom g;
  g.N = N, g.C = C;
  for (int a = 0; a < 3; ++a) g.in[a] = g.out[a] = g.k[a] = g.s[a] = g.dl[a] = 1, g.pd[a] = 0;
  for (int i = 0; i < nd; ++i) {
    const int a = i + 3 - nd;
    g.in[a] = spatial[i], g.k[a] = kernel[i], g.s[a] = st[i], g.dl[a] = di[i], g.pd[a] = pa[i];
    g.out[a] = (g.in[a] + 2 * g.pd[a] - (g.dl[a] * (g.k[a] - 1) + 1)) / g.s[a] + 1;
  }
  return g;
}
// The geometry of an image of shape img (N, C, spatial...).
cuda::ColGeom ImageGeom(const OpParams &p, const TShape &img) {
  return ColGeomOf(p, img[0], img[1], std::vector<int64_t>(img.begin() + 2, img.end()));
}
bool ColOk(const OpParams &p, const TShape &img, int t, int t2) {
  return IsReal(t) && t2 == t && img.ndim() >= 3 && static_cast<int>(img.ndim()) == 2 + static_cast<int>(
                                                                                      p.Tuple("kernel").size());
}
void Im2colFwd(FWD_ARGS) {
  if (req[0] == kNullOp) return;
  if (!ColOk(p, in[0].shape, in[0].dtype, out[0].dtype)) return Fallback(ctx, p, in, req, out);
  cuda::Im2col(in[0].dtype, ImageGeom(p, in[0].shape), in[0].dptr, out[0].dptr, req[0], St(ctx));
  CheckLaunch("im2col");
}
void Im2colBwd(BWD_ARGS) {
  if (req[0] == kNullOp) return;
  if (!ColOk(p, ig[0].shape, ig[0].dtype, og[0].dtype)) return FallbackGrad(ctx, p, og, id, od, req, ig);
  cuda::Col2im(ig[0].dtype, ImageGeom(p, ig[0].shape), og[0].dptr, ig[0].dptr, req[0], St(ctx));
  CheckLaunch("im2col backward");
}
void Col2imFwd(FWD_ARGS) {
  if (req[0] == kNullOp) return;
  if (!ColOk(p, out[0].shape, out[0].dtype, in[0].dtype)) return Fallback(ctx, p, in, req, out);
  cuda::Col2im(in[0].dtype, ImageGeom(p, out[0].shape), in[0].dptr, out[0].dptr, req[0], St(ctx));
  CheckLaunch("col2im");
}
void Col2imBwd(BWD_ARGS) {
  if (req[0] == kNullOp) return;
  if (!ColOk(p, og[0].shape, og[0].dtype, ig[0].dtype)) return FallbackGrad(ctx, p, og, id, od, req, ig);
  cuda::Im2col(og[0].dtype, ImageGeom(p, og[0].shape), og[0].dptr, ig[0].dptr, req[0], St(ctx));
  CheckLaunch("col2im backward");
}

// ---------------------------------------------------------------------------------------------------------------
// Crop, _split_v2 (copies of windows and axis parts; their gradients add into a zeroed or kept gradient)
// ---------------------------------------------------------------------------------------------------------------
bool Numeric(int t) { return IsReal(t) || IsInt(t); }

// The crop's offset for data d and output o (the sizes validated by shape inference).
void CropOffset(const OpParams &p, const TShape &d, const TShape &o, int64_t *oy, int64_t *ox) {
  if (p.Bool("center_crop")) {
    *oy = (d[2] - o[2]) / 2, *ox = (d[3] - o[3]) / 2;
  } else {
    *oy = p.Tuple("offset")[0], *ox = p.Tuple("offset")[1];
  }
}
void CropFwd(FWD_ARGS) {
  if (req[0] == kNullOp) return;
  const int t = out[0].dtype;
  if (!Numeric(t) || in[0].dtype != t || in[0].ndim() != 4) return Fallback(ctx, p, in, req, out);
  const TShape &d = in[0].shape, &o = out[0].shape;
  int64_t oy, ox;
  CropOffset(p, d, o, &oy, &ox);
  cuda::CropCopy(t, in[0].dptr, out[0].dptr, d[0] * d[1], d[2], d[3], o[2], o[3], oy, ox, true, req[0], St(ctx));
  CheckLaunch("Crop");
}
void CropBwd(BWD_ARGS) {
  if (req[0] == kNullOp) {  // only the gradient of input 1 (crop_like: only its shape is used): zeros
    if (ig.size() > 1 && req.size() > 1) ZeroIfWrite(ctx, ig[1], req[1]);
    return CheckLaunch("Crop backward");
  }
  const int t = og[0].dtype;
  if (!Numeric(t) || ig[0].dtype != t || ig[0].ndim() != 4) return FallbackGrad(ctx, p, og, id, od, req, ig);
  if (ig.size() == 2) ZeroIfWrite(ctx, ig[1], req[1]);
  if (req[0] == kNullOp) return;
  ZeroIfWrite(ctx, ig[0], req[0]);
  const TShape &d = ig[0].shape, &o = og[0].shape;
  int64_t oy, ox;
  CropOffset(p, d, o, &oy, &ox);
  cuda::CropCopy(t, ig[0].dptr, og[0].dptr, d[0] * d[1], d[2], d[3], o[2], o[3], oy, ox, false, kAddTo, St(ctx));
  CheckLaunch("Crop backward");
}

// _split_v2's parts along the axis (the parameters validated by shape inference).
struct SplitPlan {
  int64_t outer = 1, n = 0, inner = 1;
  std::vector<int64_t> begin, end;
};
SplitPlan SplitPlanOf(const OpParams &p, const TShape &d) {
  SplitPlan s;
  int64_t axis = p.Int("axis");
  if (axis < 0) axis += d.ndim();
  for (int64_t i = 0; i < axis; ++i) s.outer *= d[i];
  s.n = d[axis];
  for (int64_t i = axis + 1; i < static_cast<int64_t>(d.ndim()); ++i) s.inner *= d[i];
  const int64_t sections = p.Int("sections");
  if (sections > 0) {
    const int64_t part = s.n / sections;
    for (int64_t i = 0; i < sections; ++i) s.begin.push_back(i * part), s.end.push_back((i + 1) * part);
  } else {
    const auto &idx = p.Tuple("indices");
    for (size_t i = 0; i < idx.size(); ++i)
      s.begin.push_back(idx[i]), s.end.push_back(i + 1 < idx.size() ? idx[i + 1] : s.n);
  }
  return s;
}
void SplitFwd(FWD_ARGS) {
  const int t = in[0].dtype;
  if (!Numeric(t) || in[0].ndim() == 0) return Fallback(ctx, p, in, req, out);
  const SplitPlan s = SplitPlanOf(p, in[0].shape);
  if (s.begin.size() != out.size()) return Fallback(ctx, p, in, req, out);
  for (size_t i = 0; i < out.size(); ++i)
    if (req[i] != kNullOp)
      cuda::AxisPartCopy(t, in[0].dptr, out[i].dptr, s.outer, s.n, s.begin[i], s.end[i] - s.begin[i], s.inner, true,
                         req[i], St(ctx));
  CheckLaunch("_split_v2");
}
void SplitBwd(BWD_ARGS) {
  if (req[0] == kNullOp) return;
  const int t = ig[0].dtype;
  if (!Numeric(t) || ig[0].ndim() == 0) return FallbackGrad(ctx, p, og, id, od, req, ig);
  const SplitPlan s = SplitPlanOf(p, ig[0].shape);
  if (s.begin.size() != og.size()) return FallbackGrad(ctx, p, og, id, od, req, ig);
  ZeroIfWrite(ctx, ig[0], req[0]);
  for (size_t i = 0; i < og.size(); ++i)
    if (og[i].dptr)
      cuda::AxisPartCopy(t, ig[0].dptr, og[i].dptr, s.outer, s.n, s.begin[i], s.end[i] - s.begin[i], s.inner, false,
                         kAddTo, St(ctx));
  CheckLaunch("_split_v2 backward");
}

// ---------------------------------------------------------------------------------------------------------------
// SVMOutput, softmax_cross_entropy
// ---------------------------------------------------------------------------------------------------------------
void SVMFwd(FWD_ARGS) {
  if (req[0] == kNullOp) return;
  const int t = out[0].dtype;
  if (!IsReal(t) || in[0].dtype != t) return Fallback(ctx, p, in, req, out);
  cuda::AxisPartCopy(t, in[0].dptr, out[0].dptr, 1, in[0].Size(), 0, in[0].Size(), 1, true, req[0], St(ctx));
  CheckLaunch("SVMOutput");
}
void SVMBwd(BWD_ARGS) {
  if (req[0] == kNullOp) {  // only the gradient of input 1 (the labels): zeros
    if (ig.size() > 1 && req.size() > 1) ZeroIfWrite(ctx, ig[1], req[1]);
    return CheckLaunch("SVMOutput backward");
  }
  const int t = id.empty() ? -1 : id[0].dtype;
  if (!IsReal(t) || id.size() < 2 || !id[0].dptr || !id[1].dptr || id[1].dtype != t || ig[0].dtype != t ||
      id[0].ndim() < 2)
    return FallbackGrad(ctx, p, og, id, od, req, ig);
  ZeroIfWrite(ctx, ig[1], req[1]);
  if (req[0] == kNullOp) return;
  const TShape &ds = id[0].shape;
  const int64_t N = ds[0], C = ds[1], inner = N * C != 0 ? id[0].Size() / (N * C) : 1;
  cuda::SVMGrad(t, id[0].dptr, id[1].dptr, ig[0].dptr, N, C, inner, p.Float("margin"),
                p.Float("regularization_coefficient"), p.Bool("use_linear"), req[0], St(ctx));
  CheckLaunch("SVMOutput backward");
}

// The labels of softmax_cross_entropy as int64 on the device, or false (a label outside [0, C): the CPU raises).
bool SCELabels(const OpContext &ctx, const TBlob &label, int64_t C, Scratch *dst) {
  const int64_t N = label.Size();
  std::vector<int64_t> lab(static_cast<size_t>(N));
  bool ok = true;
  MXC_TYPE_SWITCH(label.dtype, L, {
    std::unique_ptr<L[]> host(new L[N + 1]);
    if (N) DeviceCopy(Device::CPU(), host.get(), ctx.dev, label.dptr, static_cast<size_t>(N) * sizeof(L));
    for (int64_t i = 0; i < N; ++i) {
      lab[i] = static_cast<int64_t>(host[i]);
      ok = ok && lab[i] >= 0 && lab[i] < C;
    }
  });
  if (ok && N) DeviceCopy(ctx.dev, dst->get(), Device::CPU(), lab.data(), static_cast<size_t>(N) * sizeof(int64_t));
  return ok;
}
bool SCEOk(const Blobs &in, int t) {
  return IsReal(t) && in.size() >= 2 && in[0].dptr && in[1].dptr && in[0].dtype == t && in[0].ndim() == 2 &&
         in[1].dtype != kFloat16 && in[1].Size() == in[0].shape[0];
}
void SCEFwd(FWD_ARGS) {
  if (req[0] == kNullOp) return;
  const int t = out[0].dtype;
  if (!SCEOk(in, t)) return Fallback(ctx, p, in, req, out);
  const int64_t N = in[0].shape[0], C = in[0].shape[1];
  Scratch lab(Dev(ctx), static_cast<size_t>(N) * sizeof(int64_t) + 8), nll(Dev(ctx), static_cast<size_t>(N) * 8 + 8);
  if (!SCELabels(ctx, in[1], C, &lab)) return Fallback(ctx, p, in, req, out);
  cuda::SoftmaxCENll(t, in[0].dptr, lab.as<int64_t>(), nll.as<double>(), out[0].dptr, N, C, req[0], St(ctx));
  CheckLaunch("softmax_cross_entropy");
}
void SCEBwd(BWD_ARGS) {
  if (req[0] == kNullOp) {  // only the gradient of input 1 (the labels): zeros
    if (ig.size() > 1 && req.size() > 1) ZeroIfWrite(ctx, ig[1], req[1]);
    return CheckLaunch("softmax_cross_entropy backward");
  }
  const int t = og[0].dtype;
  if (!SCEOk(id, t) || ig[0].dtype != t) return FallbackGrad(ctx, p, og, id, od, req, ig);
  const int64_t N = id[0].shape[0], C = id[0].shape[1];
  Scratch lab(Dev(ctx), static_cast<size_t>(N) * sizeof(int64_t) + 8);
  if (!SCELabels(ctx, id[1], C, &lab)) return FallbackGrad(ctx, p, og, id, od, req, ig);
  ZeroIfWrite(ctx, ig[1], req[1]);
  if (req[0] == kNullOp) return;
  cuda::SoftmaxCEGrad(t, id[0].dptr, lab.as<int64_t>(), og[0].dptr, ig[0].dptr, N, C, req[0], St(ctx));
  CheckLaunch("softmax_cross_entropy backward");
}

// ---------------------------------------------------------------------------------------------------------------
// _histogram: the edges on the host (uniform from range, else a host copy of bins, checked increasing), the counts
// on the device (integer atomics: exact)
// ---------------------------------------------------------------------------------------------------------------
bool HistRangeOf(const OpParams &p, double *lo, double *hi) {
  std::string s = p.Str("range");
  for (char &c : s)
    if (c == '(' || c == ')' || c == '[' || c == ']' || c == ',') c = ' ';
  if (s.find("None") != std::string::npos) return false;
  char *e1 = nullptr, *e2 = nullptr;
  *lo = std::strtod(s.c_str(), &e1);
  *hi = std::strtod(e1, &e2);
  return e1 != s.c_str() && e2 != e1;
}
void HistFwd(FWD_ARGS) {
  if (req[0] == kNullOp && req[1] == kNullOp) return;
  const int t = in[0].dtype;
  const bool uniform = !p.IsNone("bin_cnt");
  const int64_t nb = out[0].Size();
  if (!Numeric(t) || out[0].dtype != kInt64 || out[1].dtype != t || (!uniform && (in.size() < 2 || in[1].dtype != t)))
    return Fallback(ctx, p, in, req, out);
  std::vector<double> edges(static_cast<size_t>(nb + 1));
  if (uniform) {
    double lo = 0, hi = 1;
    if (!HistRangeOf(p, &lo, &hi)) return Fallback(ctx, p, in, req, out);
    for (int64_t i = 0; i <= nb; ++i) edges[i] = lo + (hi - lo) * static_cast<double>(i) / static_cast<double>(nb);
  } else {
    MXC_TYPE_SWITCH(t, T, {
      std::unique_ptr<T[]> b(new T[nb + 1]);
      DeviceCopy(Device::CPU(), b.get(), ctx.dev, in[1].dptr, static_cast<size_t>(nb + 1) * sizeof(T));
      for (int64_t i = 0; i <= nb; ++i) edges[i] = static_cast<double>(b[i]);
    });
    for (int64_t i = 0; i < nb; ++i)
      if (!(edges[i] <= edges[i + 1])) return Fallback(ctx, p, in, req, out);  // the CPU raises
  }
  Scratch de(Dev(ctx), edges.size() * sizeof(double)), cnt(Dev(ctx), static_cast<size_t>(nb) * 8 + 8);
  DeviceCopy(ctx.dev, de.get(), Device::CPU(), edges.data(), edges.size() * sizeof(double));
  DeviceZero(ctx.dev, cnt.get(), static_cast<size_t>(nb) * 8 + 8);
  cuda::HistCount(t, in[0].dptr, in[0].Size(), de.as<double>(), nb, uniform, cnt.as<unsigned long long>(), St(ctx));
  cuda::HistWrite(t, cnt.as<unsigned long long>(), de.as<double>(), nb, out[0].dptr, req[0], out[1].dptr, req[1],
                  St(ctx));
  CheckLaunch("_histogram");
}

// ---------------------------------------------------------------------------------------------------------------
// _cvcopyMakeBorder: the source rows and columns and the fill values on the host (as the CPU), the copy on the device
// ---------------------------------------------------------------------------------------------------------------
int64_t BorderSource(int64_t i, int64_t n, int type) {
  if (i >= 0 && i < n) return i;
  switch (type) {
    case 1:
      return i < 0 ? 0 : n - 1;
    case 2: {
      const int64_t m = ((i % (2 * n)) + 2 * n) % (2 * n);
      return m < n ? m : 2 * n - 1 - m;
    }
    case 3:
      return ((i % n) + n) % n;
    case 4: {
      if (n == 1) return 0;
      const int64_t per = 2 * n - 2;
      const int64_t m = ((i % per) + per) % per;
      return m < n ? m : per - m;
    }
    default:
      return -1;
  }
}
template <typename T>
T BorderFill(double v) {
  if constexpr (std::is_integral<T>::value) {
    const double r = std::nearbyint(v);
    if (!(r > static_cast<double>(std::numeric_limits<T>::min()))) return std::numeric_limits<T>::min();
    if (r >= static_cast<double>(std::numeric_limits<T>::max())) return std::numeric_limits<T>::max();
    return static_cast<T>(r);
  } else {
    return static_cast<T>(v);
  }
}
void BorderFwd(FWD_ARGS) {
  if (req[0] == kNullOp) return;
  const int t = in[0].dtype;
  const int64_t type = p.Int("type") & ~int64_t(16);
  if (!Numeric(t) || out[0].dtype != t || in[0].ndim() != 3 || p.Int("type") < 0 || type > 4)
    return Fallback(ctx, p, in, req, out);
  const TShape &d = in[0].shape, &o = out[0].shape;
  const int64_t H = d[0], W = d[1], C = d[2], OH = o[0], OW = o[1], top = p.Int("top"), left = p.Int("left");
  std::vector<double> fill = op::detection::FloatTuple(p, "values");
  if (fill.size() > 4) return Fallback(ctx, p, in, req, out);
  if (fill.empty()) fill.assign(4, p.Float("value"));
  fill.resize(4, 0.0);
  std::vector<int64_t> rc(static_cast<size_t>(OH + OW));
  for (int64_t r = 0; r < OH; ++r) rc[r] = BorderSource(r - top, H, static_cast<int>(type));
  for (int64_t c = 0; c < OW; ++c) rc[OH + c] = BorderSource(c - left, W, static_cast<int>(type));
  Scratch drc(Dev(ctx), rc.size() * 8 + 8), dfill(Dev(ctx), static_cast<size_t>(C) * 8 + 8);
  if (!rc.empty()) DeviceCopy(ctx.dev, drc.get(), Device::CPU(), rc.data(), rc.size() * 8);
  MXC_TYPE_SWITCH(t, T, {
    std::unique_ptr<T[]> fv(new T[C + 1]);
    for (int64_t k = 0; k < C; ++k) fv[k] = BorderFill<T>(fill[k < 4 ? k : 0]);
    if (C) DeviceCopy(ctx.dev, dfill.get(), Device::CPU(), fv.get(), static_cast<size_t>(C) * sizeof(T));
  });
  cuda::MakeBorder(t, in[0].dptr, out[0].dptr, drc.as<int64_t>(), drc.as<int64_t>() + OH, dfill.get(), W, OH, OW, C,
                   req[0], St(ctx));
  CheckLaunch("_cvcopyMakeBorder");
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
  Set("im2col", Im2colFwd, Im2colBwd);
  Set("col2im", Col2imFwd, Col2imBwd);
  Set("Crop", CropFwd, CropBwd);
  Set("_split_v2", SplitFwd, SplitBwd);
  Set("SVMOutput", SVMFwd, SVMBwd);
  Set("softmax_cross_entropy", SCEFwd, SCEBwd);
  Set("_histogram", HistFwd);
  Set("_cvcopyMakeBorder", BorderFwd);
}

}  // namespace gpu
}  // namespace mxc
