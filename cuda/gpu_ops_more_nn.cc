// Native GPU kernels for LRN, GroupNorm, contrib AdaptiveAvgPooling2D and contrib BilinearResize2D (cuda/more_nn.cu,
// kernels_more_nn.cuh; GroupNorm through the row normalisation of kernels_norm.cuh), with the semantics of the CPU
// kernels (core/ops/nn_norm_more.cc, core/ops/nn_resize.cc). float32/float64 run natively; other dtypes run the
// host-staged CPU kernel. Registered by RegisterMoreKernels (cuda/gpu_ops_more.cc).
#include <algorithm>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "device.h"
#include "gpu_device.h"
#include "gpu_ops.h"
#include "kernels.cuh"
#include "kernels_more_nn.cuh"
#include "kernels_norm.cuh"
#include "operator.h"
#include "ops/op_util.h"

namespace mxc {
namespace gpu {

void RegisterMoreNnKernels();

namespace {

const void *PtrAt(const Blobs &b, size_t i) { return i < b.size() ? b[i].dptr : nullptr; }
int ReqAt(const Reqs &r, size_t i) { return i < r.size() ? static_cast<int>(r[i]) : 0; }

// ---------------------------------------------------------------------------------------------------------------
// LRN
// ---------------------------------------------------------------------------------------------------------------
cuda::LRNGeom LRNGeomOf(const OpParams &p, const TShape &d) {
  const op::AxisSplit s = op::SplitAt(d, 1);
  const int64_t nsize = p.Int("nsize");
  return cuda::LRNGeom{s.outer, s.n, s.inner, (nsize - 1) / 2, p.Float("knorm"),
                       p.Float("alpha") / static_cast<double>(nsize), p.Float("beta")};
}
void LRNFwd(FWD_ARGS) {
  if (!IsReal(in[0].dtype) || out[0].dtype != in[0].dtype) return Fallback(ctx, p, in, req, out);
  cuda::LRN(in[0].dtype, LRNGeomOf(p, in[0].shape), in[0].dptr, out[0].dptr, req[0], St(ctx));
  CheckLaunch("LRN");
}
void LRNBwd(BWD_ARGS) {
  if (req[0] == kNullOp) return;
  const int t = og[0].dtype;
  if (!IsReal(t) || id.empty() || !id[0].dptr || id[0].dtype != t || ig[0].dtype != t)
    return FallbackGrad(ctx, p, og, id, od, req, ig);
  Scratch tmp(Dev(ctx), static_cast<size_t>(id[0].Size()) * sizeof(double) + 8);
  cuda::LRNGrad(t, LRNGeomOf(p, id[0].shape), og[0].dptr, id[0].dptr, ig[0].dptr, tmp.as<double>(), req[0],
                St(ctx));
  CheckLaunch("LRN backward");
}

// ---------------------------------------------------------------------------------------------------------------
// GroupNorm: rows of (N * groups) x len, gamma/beta indexed by the row's group r % groups
// ---------------------------------------------------------------------------------------------------------------
cuda::RowNormGeom GroupGeom(const OpParams &p, const TShape &d) {
  const int64_t groups = p.Int("num_groups"), rows = d[0] * groups;
  return cuda::RowNormGeom{rows, rows ? ShapeSize(d) / rows : 0, 1, groups};
}
void GroupNormFwd(FWD_ARGS) {
  const int t = in[0].dtype;
  if (!IsReal(t) || in.size() < 3 || out.size() < 3) return Fallback(ctx, p, in, req, out);
  cuda::RowNorm(t, GroupGeom(p, in[0].shape), p.Float("eps"), false, in[0].dptr, in[1].dptr, in[2].dptr, out[0].dptr,
                req[0], out[1].dptr, req[1], out[2].dptr, req[2], St(ctx));
  CheckLaunch("GroupNorm");
}
// The row normalisation's gradients, plus (for data) the heads of the mean and std outputs:
// (g_mean + g_std * x_hat) / len.
void GroupNormBwd(BWD_ARGS) {
  const int t = og[0].dtype;
  if (!IsReal(t) || id.size() < 2 || !id[0].dptr || !id[1].dptr || od.size() < 3 || !od[1].dptr || !od[2].dptr)
    return FallbackGrad(ctx, p, og, id, od, req, ig);
  const cuda::RowNormGeom g = GroupGeom(p, id[0].shape);
  cuda::RowNormGrad(t, g, p.Float("eps"), false, og[0].dptr, id[0].dptr, id[1].dptr, od[1].dptr, od[2].dptr,
                    ig[0].dptr, ReqAt(req, 0), ig.size() > 1 ? ig[1].dptr : nullptr, ReqAt(req, 1),
                    ig.size() > 2 ? ig[2].dptr : nullptr, ReqAt(req, 2), St(ctx));
  if (req[0] != kNullOp)
    cuda::GroupNormStatGradAdd(t, id[0].dptr, od[1].dptr, od[2].dptr, PtrAt(og, 1), PtrAt(og, 2), ig[0].dptr,
                               g.outer, g.n, St(ctx));
  CheckLaunch("GroupNorm backward");
}

// ---------------------------------------------------------------------------------------------------------------
// AdaptiveAvgPooling2D (NCHW)
// ---------------------------------------------------------------------------------------------------------------
void AdaptiveFwd(FWD_ARGS) {
  if (!IsReal(in[0].dtype) || in[0].ndim() != 4) return Fallback(ctx, p, in, req, out);
  const TShape &d = in[0].shape, &o = out[0].shape;
  cuda::AdaptiveAvgPool2D(in[0].dtype, in[0].dptr, out[0].dptr, d[0] * d[1], d[2], d[3], o[2], o[3], req[0], St(ctx));
  CheckLaunch("_contrib_AdaptiveAvgPooling2D");
}
void AdaptiveBwd(BWD_ARGS) {
  if (req[0] == kNullOp) return;
  if (!IsReal(ig[0].dtype) || ig[0].ndim() != 4) return FallbackGrad(ctx, p, og, id, od, req, ig);
  const TShape &d = ig[0].shape, &o = og[0].shape;
  cuda::AdaptiveAvgPool2DGrad(ig[0].dtype, og[0].dptr, ig[0].dptr, d[0] * d[1], d[2], d[3], o[2], o[3], req[0],
                              St(ctx));
  CheckLaunch("_contrib_AdaptiveAvgPooling2D backward");
}

// ---------------------------------------------------------------------------------------------------------------
// BilinearResize2D (NCHW): the taps of each axis computed on the host as the CPU computes them, then uploaded
// ---------------------------------------------------------------------------------------------------------------
struct HostAxis {
  std::vector<int64_t> i0, i1, rev_off, rev_o;
  std::vector<double> l, rev_w;
};
HostAxis AxisTaps(int64_t in, int64_t out, bool align_corners) {
  HostAxis a;
  a.i0.resize(out);
  a.i1.resize(out);
  a.l.resize(out);
  for (int64_t o = 0; o < out; ++o) {
    double src;
    if (align_corners) src = out > 1 ? static_cast<double>(o) * (in - 1) / static_cast<double>(out - 1) : 0.0;
    else src = std::max(0.0, (o + 0.5) * static_cast<double>(in) / static_cast<double>(out) - 0.5);
    const int64_t i0 = std::min<int64_t>(static_cast<int64_t>(src), in - 1);
    a.i0[o] = i0;
    a.i1[o] = std::min<int64_t>(i0 + 1, in - 1);
    a.l[o] = src - static_cast<double>(i0);
  }
  // The reverse map: for each input index, the outputs reading it and the summed weight of their taps on it.
  std::vector<std::vector<std::pair<int64_t, double>>> rev(static_cast<size_t>(in));
  for (int64_t o = 0; o < out; ++o) {
    if (a.i0[o] == a.i1[o]) {
      rev[a.i0[o]].push_back({o, 1.0});
    } else {
      rev[a.i0[o]].push_back({o, 1 - a.l[o]});
      rev[a.i1[o]].push_back({o, a.l[o]});
    }
  }
  a.rev_off.push_back(0);
  for (auto &r : rev) {
    for (auto &e : r) {
      a.rev_o.push_back(e.first);
      a.rev_w.push_back(e.second);
    }
    a.rev_off.push_back(static_cast<int64_t>(a.rev_o.size()));
  }
  return a;
}

// The taps of both axes in one device buffer.
struct DeviceTaps {
  std::unique_ptr<Scratch> mem;
  cuda::ResizeAxis ay, ax;
  DeviceTaps(const OpContext &ctx, const HostAxis &hy, const HostAxis &hx) {
    std::vector<char> buf;
    std::vector<size_t> offs;
    auto put = [&](const void *p, size_t bytes) {
      const size_t at = (buf.size() + 15) / 16 * 16;
      buf.resize(at + bytes + 8);
      if (bytes) std::memcpy(buf.data() + at, p, bytes);
      offs.push_back(at);
    };
    for (const HostAxis *h : {&hy, &hx}) {
      put(h->i0.data(), h->i0.size() * 8);
      put(h->i1.data(), h->i1.size() * 8);
      put(h->rev_off.data(), h->rev_off.size() * 8);
      put(h->rev_o.data(), h->rev_o.size() * 8);
      put(h->l.data(), h->l.size() * 8);
      put(h->rev_w.data(), h->rev_w.size() * 8);
    }
    mem.reset(new Scratch(Dev(ctx), buf.size()));
    DeviceCopy(ctx.dev, mem->get(), Device::CPU(), buf.data(), buf.size());
    char *base = mem->as<char>();
    auto axis = [&](size_t k) {
      cuda::ResizeAxis a;
      a.i0 = reinterpret_cast<const int64_t *>(base + offs[k]);
      a.i1 = reinterpret_cast<const int64_t *>(base + offs[k + 1]);
      a.rev_off = reinterpret_cast<const int64_t *>(base + offs[k + 2]);
      a.rev_o = reinterpret_cast<const int64_t *>(base + offs[k + 3]);
      a.l = reinterpret_cast<const double *>(base + offs[k + 4]);
      a.rev_w = reinterpret_cast<const double *>(base + offs[k + 5]);
      return a;
    };
    ay = axis(0);
    ax = axis(6);
  }
};

void ResizeFwd(FWD_ARGS) {
  if (!IsReal(in[0].dtype) || in[0].ndim() != 4 || out[0].dtype != in[0].dtype) return Fallback(ctx, p, in, req, out);
  if (req[0] == kNullOp) return;
  const TShape &d = in[0].shape, &o = out[0].shape;
  const bool ac = p.Bool("align_corners");
  DeviceTaps taps(ctx, AxisTaps(d[2], o[2], ac), AxisTaps(d[3], o[3], ac));
  cuda::BilinearResize(in[0].dtype, in[0].dptr, out[0].dptr, d[0] * d[1], d[2], d[3], o[2], o[3], taps.ay, taps.ax,
                       req[0], St(ctx));
  CheckLaunch("_contrib_BilinearResize2D");
}
void ResizeBwd(BWD_ARGS) {
  if (req[0] == kNullOp) {  // only the gradient of input 1 (like: only its shape is used): zeros
    if (ig.size() > 1 && req.size() > 1) ZeroIfWrite(ctx, ig[1], req[1]);
    return CheckLaunch("_contrib_BilinearResize2D backward");
  }
  if (!IsReal(ig[0].dtype) || ig[0].ndim() != 4 || og[0].dtype != ig[0].dtype)
    return FallbackGrad(ctx, p, og, id, od, req, ig);
  if (ig.size() > 1 && req.size() > 1) ZeroIfWrite(ctx, ig[1], req[1]);  // like: only its shape is used
  if (req[0] == kNullOp) return;
  const TShape &d = ig[0].shape, &o = og[0].shape;
  const bool ac = p.Bool("align_corners");
  DeviceTaps taps(ctx, AxisTaps(d[2], o[2], ac), AxisTaps(d[3], o[3], ac));
  cuda::BilinearResizeGrad(ig[0].dtype, og[0].dptr, ig[0].dptr, d[0] * d[1], d[2], d[3], o[2], o[3], taps.ay, taps.ax,
                           req[0], St(ctx));
  CheckLaunch("_contrib_BilinearResize2D backward");
}

// ---------------------------------------------------------------------------------------------------------------
// L2Normalization: groups of the data as (outer, n, inner) by mode; the hidden output `norm` holds the divisors
// ---------------------------------------------------------------------------------------------------------------
op::AxisSplit L2Groups(const OpParams &p, const TShape &d) {
  const std::string &m = p.Str("mode");
  const int64_t rest = Prod(d, 2, d.ndim());
  if (m == "channel") return op::AxisSplit{d[0], d[1], rest};
  if (m == "spatial") return op::AxisSplit{d[0] * d[1], rest, 1};
  return op::AxisSplit{d[0], Prod(d, 1, d.ndim()), 1};
}
void L2NormFwd(FWD_ARGS) {
  if (!IsReal(in[0].dtype) || out.size() < 2 || !out[1].dptr || in[0].ndim() < 1)
    return Fallback(ctx, p, in, req, out);
  const op::AxisSplit g = L2Groups(p, in[0].shape);
  cuda::L2Norm(in[0].dtype, in[0].dptr, out[0].dptr, out[1].dptr, g.outer, g.n, g.inner, p.Float("eps"), req[0],
               St(ctx));
  CheckLaunch("L2Normalization");
}
void L2NormBwd(BWD_ARGS) {
  if (req[0] == kNullOp) return;
  const int t = ig[0].dtype;
  if (!IsReal(t) || od.size() < 2 || !od[0].dptr || !od[1].dptr || og[0].dtype != t || od[0].dtype != t)
    return FallbackGrad(ctx, p, og, id, od, req, ig);
  const op::AxisSplit g = L2Groups(p, ig[0].shape);
  cuda::L2NormGrad(t, og[0].dptr, od[0].dptr, od[1].dptr, ig[0].dptr, g.outer, g.n, g.inner, req[0], St(ctx));
  CheckLaunch("L2Normalization backward");
}

}  // namespace

void RegisterMoreNnKernels() {
  Set("LRN", LRNFwd, LRNBwd);
  Set("GroupNorm", GroupNormFwd, GroupNormBwd);
  Set("_contrib_AdaptiveAvgPooling2D", AdaptiveFwd, AdaptiveBwd);
  Set("_contrib_BilinearResize2D", ResizeFwd, ResizeBwd);
  Set("L2Normalization", L2NormFwd, L2NormBwd);
}

}  // namespace gpu
}  // namespace mxc
