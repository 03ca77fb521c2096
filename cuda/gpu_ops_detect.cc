// GPU kernels of the detection operators (core/ops/contrib_detection.cc: box_iou, box_encode, box_decode, box_nms
// and its gradient, bipartite_matching; contrib_multibox.cc: MultiBoxPrior, MultiBoxTarget, MultiBoxDetection;
// contrib_proposal.cc: Proposal, MultiProposal), of allclose and index_array (contrib_misc.cc), and of _shuffle,
// _sample_multinomial and _random_pdf_dirichlet (random_more.cc; the draws on per-draw Philox streams). The gradients
// MXNet defines as zero are zero-filled on the device. Two calls read a few values back to raise the CPU's errors:
// box_encode (a device flag: a positive sample whose match is out of range) and Proposal (im_info, to check the
// feature map covers the image); an error runs the CPU kernel, which raises it.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <memory>
#include <vector>

#include "device.h"
#include "gpu_ops.h"
#include "kernels_detect.cuh"
#include "ops/contrib_detection.h"

namespace mxc {
namespace gpu {

namespace {

using op::detection::FloatTuple;

void ZeroWrite(const OpContext &ctx, const TBlob &b, OpReq r) {
  if ((r == kWriteTo || r == kWriteInplace) && b.dptr && b.Size() > 0)
    DeviceZero(ctx.dev, b.dptr, static_cast<size_t>(b.Size()) * DTypeSize(b.dtype));
}
// The gradient MXNet defines as zero.
void ZeroBwd(BWD_ARGS) {
  (void)p, (void)og, (void)id, (void)od;
  for (size_t i = 0; i < ig.size() && i < req.size(); ++i) ZeroWrite(ctx, ig[i], req[i]);
}

bool AllReal(const Blobs &b) {
  for (const TBlob &x : b)
    if (!IsReal(x.dtype)) return false;
  return true;
}
bool SameDtype(const Blobs &in, const Blobs &out) {
  for (const TBlob &x : in)
    if (x.dtype != out[0].dtype) return false;
  return IsReal(out[0].dtype);
}

// Four variances (the CPU's check raised already at shape inference); false when not four.
bool Variances(const OpParams &p, double v[4]) {
  const std::vector<double> t = FloatTuple(p, "variances");
  if (t.size() != 4) return false;
  std::copy(t.begin(), t.end(), v);
  return true;
}

void BoxIouFwd(FWD_ARGS) {
  if (!SameDtype(in, out)) return Fallback(ctx, p, in, req, out);
  cuda::BoxIou(out[0].dtype, in[0].dptr, in[0].Size() / 4, in[1].dptr, in[1].Size() / 4, p.Str("format") == "center",
               out[0].dptr, req[0], St(ctx));
  CheckLaunch("_contrib_box_iou");
}

void BoxEncodeFwd(FWD_ARGS) {
  if (!SameDtype(in, out) || out.size() < 2) return Fallback(ctx, p, in, req, out);
  const int64_t B = in[0].shape[0], N = in[0].shape[1], M = in[3].shape[1];
  Scratch bad(Dev(ctx), sizeof(int));
  DeviceZero(ctx.dev, bad.get(), sizeof(int));
  cuda::BoxEncode(out[0].dtype, in[0].dptr, in[1].dptr, in[2].dptr, in[3].dptr, in[4].dptr, in[5].dptr, B, N, M,
                  out[0].dptr, req[0], out[1].dptr, req[1], bad.as<int>(), St(ctx));
  CheckLaunch("_contrib_box_encode");
  int flag = 0;
  DeviceCopy(Device::CPU(), &flag, ctx.dev, bad.get(), sizeof(int));
  if (flag) Fallback(ctx, p, in, req, out);  // raises the CPU's error naming the sample
}

void BoxDecodeFwd(FWD_ARGS) {
  if (!SameDtype(in, out)) return Fallback(ctx, p, in, req, out);
  const double stds[4] = {p.Float("std0"), p.Float("std1"), p.Float("std2"), p.Float("std3")};
  cuda::BoxDecode(out[0].dtype, in[0].dptr, in[1].dptr, in[0].shape[0], in[0].shape[1], stds, p.Float("clip"),
                  p.Str("format") == "center", out[0].dptr, req[0], St(ctx));
  CheckLaunch("_contrib_box_decode");
}

void PriorFwd(FWD_ARGS) {
  if (out[0].dtype != kFloat32 || req[0] == kNullOp) {
    if (req[0] != kNullOp) Fallback(ctx, p, in, req, out);
    return;
  }
  const std::vector<double> sizes = FloatTuple(p, "sizes"), ratios = FloatTuple(p, "ratios");
  const std::vector<double> steps = FloatTuple(p, "steps"), offsets = FloatTuple(p, "offsets");
  const size_t k = sizes.size() + ratios.size() - 1;
  if (sizes.empty() || ratios.empty() || steps.size() != 2 || offsets.size() != 2 ||
      k > static_cast<size_t>(cuda::kDetectMaxAnchors))
    return Fallback(ctx, p, in, req, out);
  cuda::PriorSpec ps{};
  ps.H = in[0].shape[2];
  ps.W = in[0].shape[3];
  ps.sy = steps[0] > 0 ? static_cast<float>(steps[0]) : 1.0f / static_cast<float>(ps.H);
  ps.sx = steps[1] > 0 ? static_cast<float>(steps[1]) : 1.0f / static_cast<float>(ps.W);
  ps.oy = static_cast<float>(offsets[0]);
  ps.ox = static_cast<float>(offsets[1]);
  ps.clip = p.Bool("clip");
  ps.k = static_cast<int>(k);
  // The half sides of a cell's boxes, in float as the CPU kernel computes them.
  const float aspect = static_cast<float>(ps.H) / static_cast<float>(ps.W);
  int j = 0;
  for (double s : sizes) {
    const float r = std::sqrt(static_cast<float>(ratios[0]));
    ps.hw[j] = static_cast<float>(s) * aspect * r / 2;
    ps.hh[j++] = static_cast<float>(s) / r / 2;
  }
  for (size_t q = 1; q < ratios.size(); ++q) {
    const float r = std::sqrt(static_cast<float>(ratios[q])), s = static_cast<float>(sizes[0]);
    ps.hw[j] = s * aspect * r / 2;
    ps.hh[j++] = s / r / 2;
  }
  cuda::MultiBoxPrior(ps, static_cast<float *>(out[0].dptr), req[0], St(ctx));
  CheckLaunch("_contrib_MultiBoxPrior");
}

void TargetFwd(FWD_ARGS) {
  cuda::TargetSpec ts{};
  if (!SameDtype(in, out) || out.size() < 3 || !Variances(p, ts.var)) return Fallback(ctx, p, in, req, out);
  ts.ignore = p.Float("ignore_label");
  ts.overlap = p.Float("overlap_threshold");
  ts.ratio = p.Float("negative_mining_ratio");
  ts.neg_thresh = p.Float("negative_mining_thresh");
  const int64_t A = in[0].shape[1], B = in[1].shape[0], L = in[1].shape[1], W = in[1].shape[2], C = in[2].shape[1];
  cuda::MultiBoxTarget(out[0].dtype, in[0].dptr, in[1].dptr, in[2].dptr, A, B, L, W, C, ts, out[0].dptr, req[0],
                       out[1].dptr, req[1], out[2].dptr, req[2], St(ctx));
  CheckLaunch("_contrib_MultiBoxTarget");
}

void DetectionFwd(FWD_ARGS) {
  cuda::DetectionSpec ds{};
  if (!SameDtype(in, out) || !Variances(p, ds.var)) return Fallback(ctx, p, in, req, out);
  ds.threshold = p.Float("threshold");
  ds.nms_threshold = p.Float("nms_threshold");
  ds.topk = p.Int("nms_topk");
  ds.clip = p.Bool("clip");
  ds.force = p.Bool("force_suppress");
  cuda::MultiBoxDetection(out[0].dtype, in[0].dptr, in[1].dptr, in[2].dptr, in[0].shape[0], in[0].shape[1],
                          in[0].shape[2], ds, out[0].dptr, req[0], St(ctx));
  CheckLaunch("_contrib_MultiBoxDetection");
}

void NmsFwd(FWD_ARGS) {
  if (!IsReal(in[0].dtype) || out[0].dtype != in[0].dtype || out.size() < 2) return Fallback(ctx, p, in, req, out);
  const TShape &s = in[0].shape;
  cuda::NmsSpec ns{};
  ns.k = s[s.ndim() - 1];
  ns.n = s[s.ndim() - 2];
  ns.batch = Prod(s, 0, s.ndim() - 2);
  ns.coord_start = p.Int("coord_start");
  ns.score_index = p.Int("score_index");
  ns.id_index = p.Int("id_index");
  ns.topk = p.Int("topk");
  ns.background_id = p.Int("background_id");
  ns.valid_thresh = p.Float("valid_thresh");
  ns.overlap_thresh = p.Float("overlap_thresh");
  ns.force = p.Bool("force_suppress");
  ns.in_center = p.Str("in_format") == "center";
  ns.out_center = p.Str("out_format") == "center";
  std::unique_ptr<Scratch> rec_tmp;
  int32_t *rec = static_cast<int32_t *>(out[1].dptr);
  if (!rec) {
    rec_tmp.reset(new Scratch(Dev(ctx), static_cast<size_t>(ns.batch * ns.n) * sizeof(int32_t) + 8));
    rec = rec_tmp->as<int32_t>();
  }
  cuda::BoxNms(in[0].dtype, in[0].dptr, ns, out[0].dptr, req[0], rec, St(ctx));
  CheckLaunch("_contrib_box_nms");
}

void NmsBwd(BWD_ARGS) {
  (void)id;
  if (req.empty() || req[0] == kNullOp) return;
  if (!IsReal(ig[0].dtype) || og[0].dtype != ig[0].dtype || od.size() < 2 || !od[1].dptr)
    return FallbackGrad(ctx, p, og, id, od, req, ig);
  const TShape &s = ig[0].shape;
  const int64_t k = s[s.ndim() - 1], n = s[s.ndim() - 2], batch = Prod(s, 0, s.ndim() - 2);
  ZeroWrite(ctx, ig[0], req[0]);
  cuda::BoxNmsGrad(ig[0].dtype, og[0].dptr, static_cast<const int32_t *>(od[1].dptr), batch, n, k, ig[0].dptr,
                   St(ctx));
  CheckLaunch("_contrib_box_nms backward");
}

void BipartiteFwd(FWD_ARGS) {
  if (!SameDtype(in, out) || out.size() < 2) return Fallback(ctx, p, in, req, out);
  const TShape &s = in[0].shape;
  const int64_t m = s[s.ndim() - 1], n = s[s.ndim() - 2];
  const int64_t batch = (n > 0 && m > 0) ? in[0].Size() / (n * m) : 0;
  if (n * m >= (int64_t(1) << 30)) return Fallback(ctx, p, in, req, out);
  cuda::Bipartite(in[0].dtype, in[0].dptr, batch, n, m, p.Float("threshold"), p.Bool("is_ascend"), out[0].dptr,
                  req[0], out[1].dptr, req[1], St(ctx));
  CheckLaunch("_contrib_bipartite_matching");
}

// The base anchors (A, 4) of Proposal in T, as the CPU computes them: ratio-major, then scale.
template <typename T>
void BaseAnchors(const std::vector<double> &ratios, const std::vector<double> &scales, int64_t stride, double *o) {
  const T size = static_cast<T>(stride), ctr = T(0.5) * (size - T(1));
  int j = 0;
  for (double r : ratios) {
    const T ws = std::round(std::sqrt(size * size / static_cast<T>(r)));
    const T hs = std::round(ws * static_cast<T>(r));
    for (double sc : scales) {
      const T w = ws * static_cast<T>(sc), h = hs * static_cast<T>(sc);
      const T v[4] = {ctr - T(0.5) * (w - T(1)), ctr - T(0.5) * (h - T(1)), ctr + T(0.5) * (w - T(1)),
                      ctr + T(0.5) * (h - T(1))};
      for (int q = 0; q < 4; ++q) o[j++] = static_cast<double>(v[q]);
    }
  }
}

// The CPU's check that each image's feature map covers it (in T); false: run the CPU kernel (it raises).
template <typename T>
bool InfoOk(const std::vector<T> &info, int64_t B, int64_t H, int64_t W, int64_t stride) {
  for (int64_t b = 0; b < B; ++b) {
    const int64_t real_h = static_cast<int64_t>(info[b * 3] / static_cast<T>(stride));
    const int64_t real_w = static_cast<int64_t>(info[b * 3 + 1] / static_cast<T>(stride));
    if (H < real_h || W < real_w) return false;
  }
  return true;
}

void ProposalFwd(FWD_ARGS) {
  const int t = in[0].dtype;
  if (!SameDtype(in, out)) return Fallback(ctx, p, in, req, out);
  const std::vector<double> scales = FloatTuple(p, "scales"), ratios = FloatTuple(p, "ratios");
  cuda::ProposalSpec ps{};
  ps.A = static_cast<int64_t>(scales.size() * ratios.size());
  ps.B = in[0].shape[0];
  ps.H = in[0].shape[2];
  ps.W = in[0].shape[3];
  ps.stride = p.Int("feature_stride");
  ps.pre_n = p.Int("rpn_pre_nms_top_n");
  ps.post = p.Int("rpn_post_nms_top_n");
  ps.threshold = p.Float("threshold");
  ps.min_size = static_cast<double>(p.Int("rpn_min_size"));
  ps.iou_loss = p.Bool("iou_loss");
  if (ps.A == 0 || ps.A > cuda::kDetectMaxAnchors || ps.stride <= 0 || ps.post <= 0 ||
      ps.H * ps.W * ps.A >= (int64_t(1) << 30))
    return Fallback(ctx, p, in, req, out);
  bool ok;
  if (t == kFloat32) {
    std::vector<float> info(ps.B * 3);
    DeviceCopy(Device::CPU(), info.data(), ctx.dev, in[2].dptr, info.size() * sizeof(float));
    ok = InfoOk(info, ps.B, ps.H, ps.W, ps.stride);
    BaseAnchors<float>(ratios, scales, ps.stride, ps.base);
  } else {
    std::vector<double> info(ps.B * 3);
    DeviceCopy(Device::CPU(), info.data(), ctx.dev, in[2].dptr, info.size() * sizeof(double));
    ok = InfoOk(info, ps.B, ps.H, ps.W, ps.stride);
    BaseAnchors<double>(ratios, scales, ps.stride, ps.base);
  }
  if (!ok) return Fallback(ctx, p, in, req, out);
  const bool want_score = out.size() > 1 && req.size() > 1 && req[1] != kNullOp && out[1].dptr;
  cuda::Proposal(t, in[0].dptr, in[1].dptr, in[2].dptr, ps, out[0].dptr, req[0], want_score ? out[1].dptr : nullptr,
                 want_score ? req[1] : 0, St(ctx));
  CheckLaunch(p.op()->name.c_str());
}

void AllCloseFwd(FWD_ARGS) {
  const int t = in[0].dtype;
  if ((!IsReal(t) && !IsInt(t)) || in[1].dtype != t || out[0].dtype != kUint8) return Fallback(ctx, p, in, req, out);
  if (req[0] == kNullOp) return;
  cuda::AllClose(t, in[0].dptr, in[1].dptr, in[0].Size(), p.Float("rtol"), p.Float("atol"), p.Bool("equal_nan"),
                 static_cast<uint8_t *>(out[0].dptr), req[0], St(ctx));
  CheckLaunch("_contrib_allclose");
}

void IndexArrayFwd(FWD_ARGS) {
  if (req[0] == kNullOp) return;
  const TShape &s = in[0].shape;
  const int nd = s.ndim();
  std::vector<int> axes;
  if (p.IsNone("axes")) {
    for (int i = 0; i < nd; ++i) axes.push_back(i);
  } else {
    for (int64_t a : p.Tuple("axes")) {
      if (a < -nd || a >= nd) return Fallback(ctx, p, in, req, out);  // the CPU kernel raises
      axes.push_back(static_cast<int>(a < 0 ? a + nd : a));
    }
  }
  if (axes.size() > static_cast<size_t>(cuda::kIndexArrayMaxAxes) || out[0].dtype != kInt64)
    return Fallback(ctx, p, in, req, out);
  std::vector<int64_t> stride(nd, 1);
  for (int i = nd - 2; i >= 0; --i) stride[i] = stride[i + 1] * s[i + 1];
  cuda::IndexArraySpec sp{};
  sp.K = static_cast<int>(axes.size());
  for (int k = 0; k < sp.K; ++k) {
    sp.stride[k] = stride[axes[k]];
    sp.size[k] = s[axes[k]];
  }
  cuda::IndexArray(sp, in[0].Size(), static_cast<int64_t *>(out[0].dptr), req[0], St(ctx));
  CheckLaunch("_contrib_index_array");
}

// _shuffle: a random permutation of the rows (add requests: float32/float64 and the integers).
void ShuffleFwd(FWD_ARGS) {
  const int t = in[0].dtype;
  if (req[0] == kNullOp) return;
  if (!ctx.rng || out[0].dtype != t || (req[0] == kAddTo && !IsReal(t) && !IsInt(t)))
    return Fallback(ctx, p, in, req, out);
  const int64_t n = in[0].shape.ndim() ? in[0].shape[0] : 0, row = n == 0 ? 0 : in[0].Size() / n;
  const int es = static_cast<int>(DTypeSize(t));
  if (es != 1 && es != 2 && es != 4 && es != 8) return Fallback(ctx, p, in, req, out);
  const uint64_t key = (*ctx.rng)();
  cuda::Shuffle(t, es, in[0].dptr, n, row, key, out[0].dptr, req[0] == kAddTo ? kAddTo : kWriteTo, St(ctx));
  CheckLaunch("_shuffle");
}

bool MultinomialIdxOk(int t) { return t == kFloat32 || t == kFloat64 || t == kInt32 || t == kUint8; }

void MultinomialFwd(FWD_ARGS) {
  const int pt = in[0].dtype;
  const bool get_prob = out.size() > 1;
  if (!ctx.rng || !IsReal(pt) || !MultinomialIdxOk(out[0].dtype) || (get_prob && out[1].dtype != pt))
    return Fallback(ctx, p, in, req, out);
  const TShape &d = in[0].shape;
  const int64_t k = d[d.ndim() - 1], rows = in[0].Size() / k, per = rows == 0 ? 0 : out[0].Size() / rows;
  const uint64_t key = (*ctx.rng)();
  cuda::Multinomial(pt, in[0].dptr, rows, k, per, key, out[0].dtype, out[0].dptr, req[0],
                    get_prob && req[1] != kNullOp ? out[1].dptr : nullptr, get_prob ? req[1] : 0, St(ctx));
  CheckLaunch("_sample_multinomial");
}

void MultinomialBwd(BWD_ARGS) {
  if (req.empty() || req[0] == kNullOp) return;
  const int pt = id[0].dtype;
  if (!IsReal(pt) || ig[0].dtype != pt || od.empty() || !od[0].dptr || !MultinomialIdxOk(od[0].dtype))
    return FallbackGrad(ctx, p, og, id, od, req, ig);
  const bool has_g = og.size() > 1 && og[1].dptr != nullptr;
  if (has_g && og[1].dtype != pt) return FallbackGrad(ctx, p, og, id, od, req, ig);
  const TShape &d = id[0].shape;
  const int64_t k = d[d.ndim() - 1], rows = id[0].Size() / k, per = rows == 0 ? 0 : od[0].Size() / rows;
  cuda::MultinomialGrad(pt, id[0].dptr, rows, k, per, od[0].dtype, od[0].dptr, has_g ? og[1].dptr : nullptr,
                        ig[0].dptr, req[0], St(ctx));
  CheckLaunch("_sample_multinomial backward");
}

// _random_pdf_dirichlet: sample (nd, per..., k), alpha (nd, k).
bool DirichletDims(const TShape &as, int64_t xsize, int64_t *k, int64_t *nd, int64_t *per) {
  if (as.ndim() < 1 || as[as.ndim() - 1] <= 0) return false;
  *k = as[as.ndim() - 1];
  *nd = ShapeSize(as) / *k;
  *per = *nd == 0 ? 0 : xsize / (*nd * *k);
  return true;
}
void DirichletFwd(FWD_ARGS) {
  const int t = in[0].dtype;
  int64_t k, nd, per;
  if (!IsReal(t) || in[1].dtype != t || out[0].dtype != t || !DirichletDims(in[1].shape, in[0].Size(), &k, &nd, &per))
    return Fallback(ctx, p, in, req, out);
  cuda::PdfDirichlet(t, in[0].dptr, in[1].dptr, nd, per, k, p.Bool("is_log"), out[0].dptr, req[0], St(ctx));
  CheckLaunch("_random_pdf_dirichlet");
}
void DirichletBwd(BWD_ARGS) {
  const int t = og[0].dtype;
  int64_t k, nd, per;
  if (!IsReal(t) || id.size() < 2 || !id[0].dptr || !id[1].dptr || id[0].dtype != t || id[1].dtype != t ||
      !RequestedGradsHaveType(ig, req, t) || !DirichletDims(id[1].shape, id[0].Size(), &k, &nd, &per))
    return FallbackGrad(ctx, p, og, id, od, req, ig);
  cuda::PdfDirichletGrad(t, og[0].dptr, id[0].dptr, id[1].dptr, nd, per, k, p.Bool("is_log"), ig[0].dptr, req[0],
                         ig[1].dptr, req[1], St(ctx));
  CheckLaunch("_random_pdf_dirichlet backward");
}

}  // namespace

void RegisterDetectKernels() {
  Set("_contrib_box_iou", BoxIouFwd, ZeroBwd);
  Set("_contrib_box_encode", BoxEncodeFwd, ZeroBwd);
  Set("_contrib_box_decode", BoxDecodeFwd, ZeroBwd);
  Set("_contrib_MultiBoxPrior", PriorFwd, ZeroBwd);
  Set("_contrib_MultiBoxTarget", TargetFwd, ZeroBwd);
  Set("_contrib_MultiBoxDetection", DetectionFwd, ZeroBwd);
  Set("_contrib_box_nms", NmsFwd, NmsBwd);
  Set("_contrib_bipartite_matching", BipartiteFwd, ZeroBwd);
  Set("_contrib_Proposal", ProposalFwd, ZeroBwd);
  Set("_contrib_MultiProposal", ProposalFwd, ZeroBwd);
  Set("_contrib_allclose", AllCloseFwd);
  Set("_contrib_index_array", IndexArrayFwd);
  Set("_shuffle", ShuffleFwd);
  Set("_sample_multinomial", MultinomialFwd, MultinomialBwd);
  Set("_random_pdf_dirichlet", DirichletFwd, DirichletBwd);
}

}  // namespace gpu
}  // namespace mxc
