// Native GPU kernels of the operators added on branch ops3 (cuda/ops3.cu, kernels_ops3.cuh): Correlation, contrib
// count_sketch and contrib hawkesll (forward and gradient), contrib RROIAlign, fill_element_0index and contrib
// group_adagrad_update (forward), with the semantics of the CPU kernels (core/ops/correlation.cc,
// core/ops/contrib_more3.cc). float32/float64 run natively; other dtypes run the host-staged CPU kernel.
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "device.h"
#include "gpu_device.h"
#include "gpu_ops.h"
#include "kernels_ops3.cuh"
#include "operator.h"
#include "ops/count_sketch.h"

namespace mxc {
namespace gpu {

namespace {

// ---------------------------------------------------------------------------------------------------------------
// Correlation: the geometry from the parameters and the data and output shapes (checked by shape inference)
// ---------------------------------------------------------------------------------------------------------------
cuda::CorrGeom CorrGeomOf(const OpParams &p, const TShape &d, const TShape &o) {
  cuda::CorrGeom g{};
  g.N = d[0], g.C = d[1], g.H = d[2], g.W = d[3];
  g.k = p.Int("kernel_size"), g.md = p.Int("max_displacement"), g.s1 = p.Int("stride1"), g.s2 = p.Int("stride2");
  g.pad = p.Int("pad_size");
  g.mult = p.Bool("is_multiply");
  g.th = o[2], g.tw = o[3];
  g.r = g.md / g.s2;
  g.D = 2 * g.r + 1;
  return g;
}
void CorrFwd(FWD_ARGS) {
  const int t = in[0].dtype;
  if (!IsReal(t) || in[1].dtype != t || out[0].dtype != t) return Fallback(ctx, p, in, req, out);
  cuda::Correlation(t, CorrGeomOf(p, in[0].shape, out[0].shape), in[0].dptr, in[1].dptr, out[0].dptr, req[0],
                    St(ctx));
  CheckLaunch("Correlation");
}
void CorrBwd(BWD_ARGS) {
  const int t = og[0].dtype;
  if (!IsReal(t) || id.size() < 2 || !id[0].dptr || !id[1].dptr || id[0].dtype != t || id[1].dtype != t)
    return FallbackGrad(ctx, p, og, id, od, req, ig);
  const cuda::CorrGeom g = CorrGeomOf(p, id[0].shape, og[0].shape);
  for (int s = 0; s < 2; ++s)
    if (req[s] != kNullOp)
      cuda::CorrelationGrad(t, g, s == 1, og[0].dptr, id[0].dptr, id[1].dptr, ig[s].dptr, req[s], St(ctx));
  CheckLaunch("Correlation backward");
}

// ---------------------------------------------------------------------------------------------------------------
// count_sketch: the first row of h read back and checked as the CPU checks it; per bucket, its inputs in increasing
// order (off, idx) and per input its bucket, uploaded in one buffer
// ---------------------------------------------------------------------------------------------------------------
struct SketchTables {
  std::unique_ptr<Scratch> mem;
  const int64_t *off = nullptr, *idx = nullptr, *bucket = nullptr;
  SketchTables(const OpContext &ctx, const OpParams &p, const TBlob &h, int64_t d) {
    const int64_t K = p.Int("out_dim");
    // h's first row on the host, checked and read as the CPU kernel does
    std::vector<char> host(static_cast<size_t>(d) * DTypeSize(h.dtype));
    if (d) DeviceCopy(Device::CPU(), host.data(), ctx.dev, h.dptr, host.size());
    TBlob hb;
    hb.dptr = host.data();
    hb.shape = TShape{d};
    hb.dtype = h.dtype;
    const std::vector<int64_t> b = op::SketchBuckets(p, hb, d);
    std::vector<int64_t> buf(static_cast<size_t>(K + 1 + 2 * d), 0);
    int64_t *o = buf.data(), *ix = o + K + 1, *bk = ix + d;
    for (int64_t i = 0; i < d; ++i) {
      bk[i] = b[i];
      ++o[bk[i] + 1];
    }
    for (int64_t k = 0; k < K; ++k) o[k + 1] += o[k];
    std::vector<int64_t> fill(o, o + K);
    for (int64_t i = 0; i < d; ++i) ix[fill[bk[i]]++] = i;
    mem.reset(new Scratch(Dev(ctx), buf.size() * sizeof(int64_t)));
    DeviceCopy(ctx.dev, mem->get(), Device::CPU(), buf.data(), buf.size() * sizeof(int64_t));
    off = mem->as<int64_t>();
    idx = off + K + 1;
    bucket = idx + d;
  }
};
void SketchFwd(FWD_ARGS) {
  const int t = in[0].dtype;
  if (!IsReal(t) || in[1].dtype != t || in[2].dtype != t || out[0].dtype != t) return Fallback(ctx, p, in, req, out);
  if (req[0] == kNullOp) return;
  const int64_t N = in[0].shape[0], d = in[0].shape[1], K = p.Int("out_dim");
  const SketchTables tb(ctx, p, in[1], d);
  cuda::CountSketch(t, in[0].dptr, in[2].dptr, tb.off, tb.idx, out[0].dptr, N, d, K, req[0], St(ctx));
  CheckLaunch("_contrib_count_sketch");
}
void SketchBwd(BWD_ARGS) {
  const int t = og[0].dtype;
  if (!IsReal(t) || id.size() < 3 || !id[1].dptr || !id[2].dptr || id[1].dtype != t || id[2].dtype != t)
    return FallbackGrad(ctx, p, og, id, od, req, ig);
  ZeroIfWrite(ctx, ig[1], req[1]);
  ZeroIfWrite(ctx, ig[2], req[2]);
  if (req[0] == kNullOp) return;
  const int64_t N = ig[0].shape[0], d = ig[0].shape[1], K = p.Int("out_dim");
  const SketchTables tb(ctx, p, id[1], d);
  cuda::CountSketchGrad(t, og[0].dptr, id[2].dptr, tb.bucket, ig[0].dptr, N, d, K, req[0], St(ctx));
  CheckLaunch("_contrib_count_sketch backward");
}

// ---------------------------------------------------------------------------------------------------------------
// RROIAlign (forward only, as on the CPU)
// ---------------------------------------------------------------------------------------------------------------
void RROIFwd(FWD_ARGS) {
  const int t = in[0].dtype;
  if (!IsReal(t) || in[1].dtype != t || out[0].dtype != t) return Fallback(ctx, p, in, req, out);
  const TShape &d = in[0].shape;
  const auto &ps = p.Tuple("pooled_size");
  cuda::RROIGeom g{d[0], d[1], d[2], d[3], in[1].shape[0], ps[0], ps[1], p.Int("sampling_ratio"), 1024,
                   static_cast<double>(static_cast<float>(p.Float("spatial_scale")))};
  cuda::RROIAlign(t, g, in[0].dptr, in[1].dptr, out[0].dptr, req[0], St(ctx));
  CheckLaunch("_contrib_RROIAlign");
}

void FillElemFwd(FWD_ARGS) {
  const int t = in[0].dtype;
  if (!IsReal(t) || in[1].dtype != t || in[2].dtype != t || out[0].dtype != t) return Fallback(ctx, p, in, req, out);
  cuda::FillElement0Index(t, in[0].dptr, in[1].dptr, in[2].dptr, out[0].dptr, in[0].shape[0], in[0].shape[1],
                          req[0], St(ctx));
  CheckLaunch("fill_element_0index");
}

// ---------------------------------------------------------------------------------------------------------------
// hawkesll: marks and valid_length checked on the device (one flag read back); a bad one runs the CPU kernel on
// host copies, which raises the CPU's error naming the position
// ---------------------------------------------------------------------------------------------------------------
bool HawkesNative(const Blobs &in) {
  const int t = in[0].dtype;
  if (!IsReal(t) || in.size() < 8 || in[5].dtype != kInt32) return false;
  for (int i : {1, 2, 3, 4, 6, 7})
    if (in[i].dtype != t) return false;
  return true;
}
cuda::HawkesArgs HawkesArgsOf(const Blobs &in) {
  return cuda::HawkesArgs{in[0].dptr, in[1].dptr, in[2].dptr, in[3].dptr, in[4].dptr, in[6].dptr, in[7].dptr,
                          static_cast<const int32_t *>(in[5].dptr), in[0].shape[0], in[0].shape[1],
                          in[4].shape[1]};
}
bool HawkesInputsBad(const OpContext &ctx, const Blobs &in) {
  Scratch flag(Dev(ctx), sizeof(unsigned long long));
  DeviceZero(ctx.dev, flag.get(), sizeof(unsigned long long));
  cuda::HawkesCheck(in[0].dtype, HawkesArgsOf(in), flag.as<unsigned long long>(), St(ctx));
  CheckLaunch("_contrib_hawkesll check");
  unsigned long long h = 0;
  DeviceCopy(Device::CPU(), &h, ctx.dev, flag.get(), sizeof(h));
  return h != 0;
}
void HawkesFwd(FWD_ARGS) {
  if (!HawkesNative(in) || out[0].dtype != in[0].dtype || HawkesInputsBad(ctx, in))
    return Fallback(ctx, p, in, req, out);
  const cuda::HawkesArgs a = HawkesArgsOf(in);
  Scratch tmp(Dev(ctx), static_cast<size_t>(4 * a.N * a.K + 1) * sizeof(double));
  cuda::HawkesLL(in[0].dtype, a, out[0].dptr, req[0], out[1].dptr, req[1], tmp.as<double>(), St(ctx));
  CheckLaunch("_contrib_hawkesll");
}
void HawkesBwd(BWD_ARGS) {
  if (!HawkesNative(id) || og.empty() || og[0].dtype != id[0].dtype || HawkesInputsBad(ctx, id))
    return FallbackGrad(ctx, p, og, id, od, req, ig);
  for (int i = 3; i < 8; ++i) ZeroIfWrite(ctx, ig[i], req[i]);
  if (req[0] == kNullOp && req[1] == kNullOp && req[2] == kNullOp) return;
  const cuda::HawkesArgs a = HawkesArgsOf(id);
  Scratch tmp(Dev(ctx), static_cast<size_t>(7 * a.N * a.K + 1) * sizeof(double));
  cuda::HawkesLLGrad(id[0].dtype, a, og[0].dptr, ig[0].dptr, req[0], ig[1].dptr, req[1], ig[2].dptr, req[2],
                     tmp.as<double>(), St(ctx));
  CheckLaunch("_contrib_hawkesll backward");
}

// ---------------------------------------------------------------------------------------------------------------
// group_adagrad_update
// ---------------------------------------------------------------------------------------------------------------
void GroupAdagradFwd(FWD_ARGS) {
  const int t = in[0].dtype;
  if (!IsReal(t) || in[1].dtype != t || in[2].dtype != t || out[0].dtype != t) return Fallback(ctx, p, in, req, out);
  auto f32 = [&](const char *k) { return static_cast<double>(static_cast<float>(p.Float(k))); };
  const cuda::GroupAdagradHyper hp{f32("lr"), f32("rescale_grad"), f32("clip_gradient"), f32("epsilon")};
  const int64_t R = in[0].shape[0], C = R ? in[0].Size() / R : 0;
  cuda::GroupAdagrad(t, hp, in[0].dptr, in[1].dptr, in[2].dptr, out[0].dptr, R, C, req[0], St(ctx));
  CheckLaunch("_contrib_group_adagrad_update");
}

}  // namespace

void RegisterOps3Kernels() {
  Set("Correlation", CorrFwd, CorrBwd);
  Set("_contrib_count_sketch", SketchFwd, SketchBwd);
  Set("_contrib_RROIAlign", RROIFwd);
  Set("fill_element_0index", FillElemFwd);
  Set("_contrib_hawkesll", HawkesFwd, HawkesBwd);
  Set("_contrib_group_adagrad_update", GroupAdagradFwd);
}

}  // namespace gpu
}  // namespace mxc
