// Native GPU kernels of the deformable convolutions (cuda/deform.cu, kernels_deform.cuh):
// _contrib_DeformableConvolution and _contrib_ModulatedDeformableConvolution, forward and gradient, as the CPU kernel
// (core/ops/contrib_deformable.cc) computes them: per sample, the deformable im2col into a column matrix and one
// GEMM per group (the device's GEMM, cuBLAS when built with it); the backward runs the transposed GEMMs and scatters
// the column gradient into the data (atomic additions: equal to the CPU's up to rounding), offset and mask
// gradients. float32/float64 run natively; other dtypes run the host-staged CPU kernel.
#include <vector>

#include "device.h"
#include "gpu_device.h"
#include "gpu_ops.h"
#include "kernels_deform.cuh"
#include "operator.h"
#include "ops/nn_util.h"

namespace mxc {
namespace gpu {

namespace {

struct DConv {
  cuda::DeformGeom g;
  int64_t N, F, G;
  bool bias;
  size_t iw;  // the weight's input index
  int64_t Taps() const { return g.kh * g.kw; }
  int64_t L() const { return g.Ho * g.Wo; }
  int64_t K() const { return g.C / G * Taps(); }
  int64_t Fg() const { return F / G; }
};

// The geometry of a call whose shapes the operator's inference has checked: data (N, C, H, W), weight
// (F, C / G, kh, kw), the output's (Ho, Wo).
DConv DConvOf(const OpParams &p, const TShape &data, const TShape &weight, const TShape &out) {
  DConv d;
  d.g.modulated = p.op()->ParamIndex("im2col_step") >= 0;
  d.iw = d.g.modulated ? 3 : 2;
  d.bias = !p.Bool("no_bias");
  const auto s = op::SpatialParam(p, "stride", 2, 1), pd = op::SpatialParam(p, "pad", 2, 0),
             dl = op::SpatialParam(p, "dilate", 2, 1);
  d.N = data[0], d.g.C = data[1], d.g.H = data[2], d.g.W = data[3];
  d.F = weight[0], d.g.kh = weight[2], d.g.kw = weight[3];
  d.g.sh = s[0], d.g.sw = s[1], d.g.ph = pd[0], d.g.pw = pd[1], d.g.dh = dl[0], d.g.dw = dl[1];
  d.g.Ho = out[2], d.g.Wo = out[3];
  d.G = p.Int("num_group");
  d.g.DG = p.Int("num_deformable_group");
  return d;
}

bool SameReal(const Blobs &a, int t) {
  for (const TBlob &b : a)
    if (b.dptr && b.dtype != t) return false;
  return IsReal(t);
}

const char *At(const void *p, int64_t elems, size_t es) { return static_cast<const char *>(p) + elems * es; }
char *At(void *p, int64_t elems, size_t es) { return static_cast<char *>(p) + elems * es; }

void DeformFwd(FWD_ARGS) {
  const int t = in[0].dtype;
  if (!SameReal(in, t) || !SameReal(out, t)) return Fallback(ctx, p, in, req, out);
  if (req[0] == kNullOp) return;
  const DConv d = DConvOf(p, in[0].shape, in[p.op()->ParamIndex("im2col_step") >= 0 ? 3 : 2].shape, out[0].shape);
  const int64_t L = d.L(), K = d.K(), Fg = d.Fg();
  const size_t es = DTypeSize(t);
  const void *mask = d.g.modulated ? in[2].dptr : nullptr;
  double beta = Beta(req[0]);
  if (d.bias) {
    cuda::DeformBiasFill(t, out[0].dptr, in[d.iw + 1].dptr, d.N, d.F, L, req[0] == kAddTo, St(ctx));
    beta = 1.0;
  }
  if (K > 0 && L > 0) {
    Scratch col(Dev(ctx), static_cast<size_t>(d.g.C * d.Taps() * L) * es);
    for (int64_t n = 0; n < d.N; ++n) {
      cuda::DeformIm2Col(t, d.g, n, in[0].dptr, in[1].dptr, mask, col.get(), St(ctx));
      for (int64_t gi = 0; gi < d.G; ++gi)
        Gemm(ctx, t, false, false, Fg, L, K, 1.0, At(in[d.iw].dptr, gi * Fg * K, es), K,
             At(col.get(), gi * K * L, es), L, beta, At(out[0].dptr, (n * d.F + gi * Fg) * L, es), L);
    }
  } else if (!d.bias && req[0] != kAddTo && out[0].Size() > 0) {
    DeviceZero(ctx.dev, out[0].dptr, static_cast<size_t>(out[0].Size()) * es);
  }
  CheckLaunch(p.op()->name.c_str());
}


void DeformBwd(BWD_ARGS) {
  const int t = og[0].dtype;
  if (!SameReal(og, t) || !SameReal(id, t) || !SameReal(ig, t)) return FallbackGrad(ctx, p, og, id, od, req, ig);
  const bool modulated = p.op()->ParamIndex("im2col_step") >= 0;
  const size_t iw = modulated ? 3 : 2;
  const DConv d = DConvOf(p, id[0].shape, id[iw].shape, og[0].shape);
  const int64_t L = d.L(), K = d.K(), Fg = d.Fg();
  const size_t es = DTypeSize(t);
  const void *mask = modulated ? id[2].dptr : nullptr;
  if (d.bias && req[iw + 1] != kNullOp)
    cuda::DeformBiasGrad(t, og[0].dptr, ig[iw + 1].dptr, req[iw + 1], d.N, d.F, L, St(ctx));
  const size_t nin = modulated ? 3 : 2;
  for (size_t i = 0; i < nin; ++i) ZeroIfWrite(ctx, ig[i], req[i]);
  ZeroIfWrite(ctx, ig[iw], req[iw]);
  void *dx = req[0] != kNullOp ? ig[0].dptr : nullptr;
  void *doff = req[1] != kNullOp ? ig[1].dptr : nullptr;
  void *dmask = modulated && req[2] != kNullOp ? ig[2].dptr : nullptr;
  void *dw = req[iw] != kNullOp ? ig[iw].dptr : nullptr;
  if ((!dx && !doff && !dmask && !dw) || K == 0 || L == 0) return CheckLaunch((p.op()->name + " backward").c_str());
  const size_t cbytes = static_cast<size_t>(d.g.C * d.Taps() * L) * es;
  Scratch col(Dev(ctx), dw ? cbytes : 1), dcol(Dev(ctx), cbytes);
  for (int64_t n = 0; n < d.N; ++n) {
    const void *dyn = At(og[0].dptr, n * d.F * L, es);
    if (dw) {
      cuda::DeformIm2Col(t, d.g, n, id[0].dptr, id[1].dptr, mask, col.get(), St(ctx));
      for (int64_t gi = 0; gi < d.G; ++gi)
        Gemm(ctx, t, false, true, Fg, K, L, 1.0, At(dyn, gi * Fg * L, es), L, At(col.get(), gi * K * L, es), L, 1.0,
             At(dw, gi * Fg * K, es), K);
    }
    if (!dx && !doff && !dmask) continue;
    for (int64_t gi = 0; gi < d.G; ++gi)
      Gemm(ctx, t, true, false, K, L, Fg, 1.0, At(id[iw].dptr, gi * Fg * K, es), K, At(dyn, gi * Fg * L, es), L, 0.0,
           At(dcol.get(), gi * K * L, es), L);
    if (dx) cuda::DeformCol2Im(t, d.g, n, id[1].dptr, mask, dcol.get(), dx, St(ctx));
    if (doff || dmask)
      cuda::DeformCol2Coord(t, d.g, n, id[0].dptr, id[1].dptr, mask, dcol.get(), doff, dmask, St(ctx));
  }
  CheckLaunch((p.op()->name + " backward").c_str());
}

}  // namespace

void RegisterDeformKernels() {
  Set("_contrib_DeformableConvolution", DeformFwd, DeformBwd);
  Set("_contrib_ModulatedDeformableConvolution", DeformFwd, DeformBwd);
}

}  // namespace gpu
}  // namespace mxc
