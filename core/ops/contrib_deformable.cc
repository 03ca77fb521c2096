// Deformable convolutions (MXNet 1.x contrib, 2-D NCHW only):
// - _contrib_DeformableConvolution (Dai et al., DCN v1): inputs data (N, C, H, W), offset (N, 2 * dg * kh * kw,
//   Ho, Wo), weight (F, C / num_group, kh, kw) and bias (F). Tap (i, j) of output position (oh, ow) reads data
//   channel c at h = oh * stride_h - pad_h + i * dilate_h + offset[n, 2 * (dgi * kh * kw + i * kw + j)] and w = ... +
//   offset[n, 2 * (...) + 1], where dgi = c / (C / dg), by bilinear interpolation. Positions outside [0, H) x [0, W)
//   read 0; inside, a position at or beyond the last row (column) reads that row (column), with no gradient with
//   respect to the position along that axis (MXNet 1.9.1's behaviour).
// - _contrib_ModulatedDeformableConvolution (Zhu et al., DCN v2): the same plus a mask (N, dg * kh * kw, Ho, Wo)
//   multiplying each sample; positions in (-1, H) x (-1, W) are sampled with zero outside the image (each of the
//   four neighbours outside reads 0).
// Both are "deformable im2col" (the sampled column matrix, C * kh * kw rows by Ho * Wo columns per sample) followed
// by one GEMM per group; the backward runs the transposed GEMMs and scatters the column gradient back into the data,
// offset and mask gradients.
#include <memory>
#include <vector>

#include "deform_sample.h"
#include "gemm.h"
#include "nn_util.h"

namespace mxc {
namespace op {
namespace {

struct DGeom {
  int64_t N = 0, C = 0, H = 0, W = 0, F = 0, G = 1, DG = 1;
  int64_t kh = 1, kw = 1, sh = 1, sw = 1, ph = 0, pw = 0, dh = 1, dw = 1, Ho = 0, Wo = 0;
  bool modulated = false, bias = true;
  int64_t Taps() const { return kh * kw; }
  int64_t L() const { return Ho * Wo; }
  int64_t Cg() const { return C / G; }
  int64_t Fg() const { return F / G; }
  int64_t K() const { return Cg() * Taps(); }
};

std::string Where(const OpParams &p) { return std::string("operator ") + p.op()->name + ": "; }

// Parameters only (no data shape).
DGeom DParams(const OpParams &p) {
  DGeom g;
  g.modulated = p.op()->ParamIndex("im2col_step") >= 0;
  g.bias = !p.Bool("no_bias");
  const auto &k = p.Tuple("kernel");
  if (k.size() != 2)
    Throw(ErrorKind::kValue, Where(p), "kernel ", ShapeStr(TShape(k)),
          ": only 2-D kernels (h, w) are supported (NCHW data)");
  const std::string &l = p.Str("layout");
  if (l != "None" && l != "NCHW")
    Throw(ErrorKind::kValue, Where(p), "layout ", l, " is not supported (NCHW only)");
  auto s = SpatialParam(p, "stride", 2, 1), pd = SpatialParam(p, "pad", 2, 0), d = SpatialParam(p, "dilate", 2, 1);
  g.kh = k[0], g.kw = k[1], g.sh = s[0], g.sw = s[1], g.ph = pd[0], g.pw = pd[1], g.dh = d[0], g.dw = d[1];
  if (g.kh <= 0 || g.kw <= 0) Throw(ErrorKind::kValue, Where(p), "kernel must be positive, got ", ShapeStr(TShape(k)));
  if (g.sh <= 0 || g.sw <= 0) Throw(ErrorKind::kValue, Where(p), "stride must be positive, got ", ShapeStr(TShape(s)));
  if (g.dh <= 0 || g.dw <= 0) Throw(ErrorKind::kValue, Where(p), "dilate must be positive, got ", ShapeStr(TShape(d)));
  if (g.ph < 0 || g.pw < 0) Throw(ErrorKind::kValue, Where(p), "pad must be non-negative, got ", ShapeStr(TShape(pd)));
  g.F = p.Int("num_filter");
  g.G = p.Int("num_group");
  g.DG = p.Int("num_deformable_group");
  if (g.F <= 0) Throw(ErrorKind::kValue, Where(p), "num_filter must be positive, got ", g.F);
  if (g.G <= 0) Throw(ErrorKind::kValue, Where(p), "num_group must be positive, got ", g.G);
  if (g.DG <= 0) Throw(ErrorKind::kValue, Where(p), "num_deformable_group must be positive, got ", g.DG);
  if (g.F % g.G)
    Throw(ErrorKind::kValue, Where(p), "num_filter ", g.F, " is not divisible by num_group ", g.G);
  return g;
}

DGeom DGeometry(const OpParams &p, const TShape &data) {
  DGeom g = DParams(p);
  if (data.ndim() != 4)
    Throw(ErrorKind::kShape, Where(p), "data must be 4-D (batch, channel, height, width), got ", ShapeStr(data));
  g.N = data[0], g.C = data[1], g.H = data[2], g.W = data[3];
  if (g.C % g.G)
    Throw(ErrorKind::kShape, Where(p), "the ", g.C, " channels of data ", ShapeStr(data),
          " are not divisible by num_group ", g.G);
  if (g.C % g.DG)
    Throw(ErrorKind::kShape, Where(p), "the ", g.C, " channels of data ", ShapeStr(data),
          " are not divisible by num_deformable_group ", g.DG);
  const int64_t eh = g.dh * (g.kh - 1) + 1, ew = g.dw * (g.kw - 1) + 1;
  if (g.H + 2 * g.ph < eh || g.W + 2 * g.pw < ew)
    Throw(ErrorKind::kShape, Where(p), "kernel ", ShapeStr(TShape(p.Tuple("kernel"))), " (dilated extent (", eh, ", ",
          ew, ")) is larger than the padded input of data ", ShapeStr(data));
  g.Ho = (g.H + 2 * g.ph - eh) / g.sh + 1;
  g.Wo = (g.W + 2 * g.pw - ew) / g.sw + 1;
  return g;
}

void DInferShape(const OpParams &p, std::vector<TShape> *in, std::vector<TShape> *out) {
  const Op *op = p.op();
  DGeom g0 = DParams(p);
  const size_t iw = g0.modulated ? 3 : 2;
  if (g0.bias) ShapeAssign(&(*in)[iw + 1], TShape{g0.F}, op, "bias");
  const TShape &d = (*in)[0];
  if (d.empty()) return;
  DGeom g = DGeometry(p, d);
  ShapeAssign(&(*in)[iw], TShape{g.F, g.C / g.G, g.kh, g.kw}, op, "weight");
  const TShape os{g.N, 2 * g.DG * g.Taps(), g.Ho, g.Wo};
  TShape &o = (*in)[1];
  if (!o.empty() && o.ndim() != 4)
    Throw(ErrorKind::kShape, Where(p), "offset must be 4-D (batch, 2 * num_deformable_group * kh * kw, Ho, Wo) = ",
          ShapeStr(os), " for data ", ShapeStr(d), ", got ", ShapeStr(o));
  ShapeAssign(&o, os, op, "offset");
  if (g.modulated) ShapeAssign(&(*in)[2], TShape{g.N, g.DG * g.Taps(), g.Ho, g.Wo}, op, "mask");
  ShapeAssign(&(*out)[0], TShape{g.N, g.F, g.Ho, g.Wo}, op, "output");
}

template <typename T>
using Sample = DeformSample<T>;  // core/ops/deform_sample.h, shared with the GPU kernels

// Calls f(row of the column matrix = c * taps + t, column l, Sample, mask value) for the channels [c0, c1) of
// sample n, in parallel over the rows.
template <typename T, typename F>
void ForEachTap(const DGeom &g, int64_t n, const T *off, const T *mask, int64_t c0, int64_t c1, F f) {
  const int64_t taps = g.Taps(), L = g.L(), cpd = g.C / g.DG;
  ParallelForWork((c1 - c0) * taps, L * 8, [&](int64_t r) {
    const int64_t c = c0 + r / taps, t = r % taps, i = t / g.kw, j = t % g.kw, dgi = c / cpd;
    const T *oh_ = off + ((n * g.DG + dgi) * 2 * taps + 2 * t) * L, *ow_ = oh_ + L;
    const T *m = mask ? mask + ((n * g.DG + dgi) * taps + t) * L : nullptr;
    for (int64_t y = 0; y < g.Ho; ++y)
      for (int64_t x = 0; x < g.Wo; ++x) {
        const int64_t l = y * g.Wo + x;
        const T h = T(y * g.sh - g.ph + i * g.dh) + oh_[l], w = T(x * g.sw - g.pw + j * g.dw) + ow_[l];
        f(c, t, l, Sample<T>(h, w, g.H, g.W, g.modulated), m ? m[l] : T(1));
      }
  });
}

// col (C * taps, L) of sample n.
template <typename T>
void DeformIm2Col(const DGeom &g, int64_t n, const T *x, const T *off, const T *mask, T *col) {
  const int64_t taps = g.Taps(), L = g.L(), HW = g.H * g.W;
  ForEachTap(g, n, off, mask, 0, g.C, [&](int64_t c, int64_t t, int64_t l, const Sample<T> &s, T m) {
    col[(c * taps + t) * L + l] = m * s.Value(x + (n * g.C + c) * HW);
  });
}

template <typename T>
void DForwardT(const OpParams &p, const std::vector<TBlob> &in, OpReq req, const TBlob &out) {
  const DGeom g = DGeometry(p, in[0].shape);
  const T *x = in[0].ptr<T>(), *off = in[1].ptr<T>();
  const T *mask = g.modulated ? in[2].ptr<T>() : nullptr;
  const size_t iw = g.modulated ? 3 : 2;
  const T *w = in[iw].ptr<T>();
  T *y = out.ptr<T>();
  const int64_t L = g.L(), K = g.K(), Fg = g.Fg();
  T beta = GemmBeta<T>(req);
  if (g.bias) {
    const T *b = in[iw + 1].ptr<T>();
    for (int64_t n = 0; n < g.N; ++n)
      for (int64_t f = 0; f < g.F; ++f) {
        T *yp = y + (n * g.F + f) * L;
        for (int64_t l = 0; l < L; ++l) yp[l] = (req == kAddTo ? yp[l] : T(0)) + b[f];
      }
    beta = T(1);
  }
  std::vector<T> col(static_cast<size_t>(g.C * g.Taps() * L));
  for (int64_t n = 0; n < g.N; ++n) {
    DeformIm2Col(g, n, x, off, mask, col.data());
    for (int64_t gi = 0; gi < g.G; ++gi)
      Gemm(false, false, Fg, L, K, T(1), w + gi * Fg * K, K, col.data() + gi * K * L, L, beta,
           y + (n * g.F + gi * Fg) * L, L);
  }
}

void DForward(MXC_NN_FORWARD_ARGS) {
  if (req[0] == kNullOp) return;
  MXC_REAL_TYPE_SWITCH(in[0].dtype, T, { DForwardT<T>(p, in, req[0], out[0]); });
}

template <typename T>
void DBackwardT(const OpParams &p, const TBlob &dyb, const std::vector<TBlob> &in, const std::vector<OpReq> &req,
                const std::vector<TBlob> &grad) {
  const DGeom g = DGeometry(p, in[0].shape);
  const T *x = in[0].ptr<T>(), *off = in[1].ptr<T>(), *dy = dyb.ptr<T>();
  const T *mask = g.modulated ? in[2].ptr<T>() : nullptr;
  const size_t iw = g.modulated ? 3 : 2;
  const T *w = in[iw].ptr<T>();
  const int64_t L = g.L(), K = g.K(), Fg = g.Fg(), taps = g.Taps(), HW = g.H * g.W;
  if (g.bias && req[iw + 1] != kNullOp) {
    T *db = grad[iw + 1].ptr<T>();
    for (int64_t f = 0; f < g.F; ++f) {
      T s = 0;
      for (int64_t n = 0; n < g.N; ++n) {
        const T *d = dy + (n * g.F + f) * L;
        for (int64_t l = 0; l < L; ++l) s += d[l];
      }
      Assign(db + f, req[iw + 1], s);
    }
  }
  // Gradients accumulated sample by sample: zero the written ones first.
  const size_t nin = g.modulated ? 3 : 2;
  for (size_t i = 0; i < nin; ++i) ZeroGrad(grad[i], req[i]);
  ZeroGrad(grad[iw], req[iw]);
  T *dx = req[0] != kNullOp ? grad[0].ptr<T>() : nullptr;
  T *doff = req[1] != kNullOp ? grad[1].ptr<T>() : nullptr;
  T *dmask = g.modulated && req[2] != kNullOp ? grad[2].ptr<T>() : nullptr;
  T *dw = req[iw] != kNullOp ? grad[iw].ptr<T>() : nullptr;
  if (!dx && !doff && !dmask && !dw) return;
  std::vector<T> col(static_cast<size_t>(g.C * taps * L)), dcol(col.size());
  const int64_t cpd = g.C / g.DG;
  for (int64_t n = 0; n < g.N; ++n) {
    const T *dyn = dy + n * g.F * L;
    if (dw) {
      DeformIm2Col(g, n, x, off, mask, col.data());
      for (int64_t gi = 0; gi < g.G; ++gi)
        Gemm(false, true, Fg, K, L, T(1), dyn + gi * Fg * L, L, col.data() + gi * K * L, L, T(1),
             dw + gi * Fg * K, K);
    }
    if (!dx && !doff && !dmask) continue;
    for (int64_t gi = 0; gi < g.G; ++gi)
      Gemm(true, false, K, L, Fg, T(1), w + gi * Fg * K, K, dyn + gi * Fg * L, L, T(0), dcol.data() + gi * K * L, L);
    if (dx) {
      // One channel plane per thread: rows of one channel in one task.
      ParallelForWork(g.C, taps * L * 8, [&](int64_t c) {
        const int64_t dgi = c / cpd;
        T *dxp = dx + (n * g.C + c) * HW;
        for (int64_t t = 0; t < taps; ++t) {
          const int64_t i = t / g.kw, j = t % g.kw;
          const T *oh_ = off + ((n * g.DG + dgi) * 2 * taps + 2 * t) * L, *ow_ = oh_ + L;
          const T *m = mask ? mask + ((n * g.DG + dgi) * taps + t) * L : nullptr;
          const T *dc = dcol.data() + (c * taps + t) * L;
          for (int64_t y = 0; y < g.Ho; ++y)
            for (int64_t xo = 0; xo < g.Wo; ++xo) {
              const int64_t l = y * g.Wo + xo;
              const T h = T(y * g.sh - g.ph + i * g.dh) + oh_[l], ww = T(xo * g.sw - g.pw + j * g.dw) + ow_[l];
              const Sample<T> s(h, ww, g.H, g.W, g.modulated);
              const T v = dc[l] * (m ? m[l] : T(1));
              for (int k = 0; k < 4; ++k)
                if (s.idx[k] >= 0) dxp[s.idx[k]] += s.wt[k] * v;
            }
        }
      });
    }
    if (doff || dmask) {
      // One (deformable group, tap) per task: its offset and mask rows sum over the group's channels.
      ParallelForWork(g.DG * taps, cpd * L * 8, [&](int64_t r) {
        const int64_t dgi = r / taps, t = r % taps, i = t / g.kw, j = t % g.kw;
        const T *oh_ = off + ((n * g.DG + dgi) * 2 * taps + 2 * t) * L, *ow_ = oh_ + L;
        const T *m = mask ? mask + ((n * g.DG + dgi) * taps + t) * L : nullptr;
        T *goh = doff ? doff + ((n * g.DG + dgi) * 2 * taps + 2 * t) * L : nullptr;
        T *gm = dmask ? dmask + ((n * g.DG + dgi) * taps + t) * L : nullptr;
        for (int64_t y = 0; y < g.Ho; ++y)
          for (int64_t xo = 0; xo < g.Wo; ++xo) {
            const int64_t l = y * g.Wo + xo;
            const T h = T(y * g.sh - g.ph + i * g.dh) + oh_[l], ww = T(xo * g.sw - g.pw + j * g.dw) + ow_[l];
            const Sample<T> s(h, ww, g.H, g.W, g.modulated);
            if (s.idx[0] < 0 && s.idx[1] < 0 && s.idx[2] < 0 && s.idx[3] < 0) continue;
            const T mv = m ? m[l] : T(1);
            T ah = 0, aw = 0, am = 0;
            for (int64_t c = dgi * cpd; c < (dgi + 1) * cpd; ++c) {
              const T *xp = x + (n * g.C + c) * HW;
              const T d = dcol[(c * taps + t) * L + l];
              T gh, gw;
              s.Grad(xp, &gh, &gw);
              ah += d * gh, aw += d * gw;
              if (gm) am += d * s.Value(xp);
            }
            if (goh) goh[l] += ah * mv, goh[l + L] += aw * mv;
            if (gm) gm[l] += am;
          }
      });
    }
  }
}

void DBackward(MXC_NN_BACKWARD_ARGS) {
  MXC_REAL_TYPE_SWITCH(in_data[0].dtype, T, { DBackwardT<T>(p, out_grad[0], in_data, req, in_grad); });
}

Op &CommonParams(Op &op) {
  return op
      .add_required_param("kernel", ParamKind::kShape, "Convolution kernel size: (h, w).")
      .add_param("stride", ParamKind::kShape, "()", "Convolution stride: (h, w). Defaults to 1 for each dimension.")
      .add_param("dilate", ParamKind::kShape, "()", "Convolution dilation: (h, w). Defaults to 1 for each dimension.")
      .add_param("pad", ParamKind::kShape, "()", "Zero padding: (h, w). Defaults to no padding.")
      .add_required_param("num_filter", ParamKind::kInt, "Convolution filter (channel) number.")
      .add_param("num_group", ParamKind::kInt, "1", "Number of group partitions.")
      .add_param("num_deformable_group", ParamKind::kInt, "1",
                 "Number of deformable group partitions (each has its own offsets for its C / num_deformable_group "
                 "channels).")
      .add_param("workspace", ParamKind::kInt, "1024", "Maximum temporary workspace in MB (accepted for MXNet "
                                                        "compatibility).")
      .add_param("no_bias", ParamKind::kBool, "False", "Whether to disable the bias (then there is no bias input).");
}

[[maybe_unused]] const int registered = [] {
  CommonParams(OpRegistry::Get()
                   ->Register("_contrib_DeformableConvolution")
                   .describe("Deformable convolution (DCN v1) over NCHW data: every kernel tap reads the data by "
                             "bilinear interpolation at its regular position plus a learned offset (offset: (N, 2 * "
                             "num_deformable_group * kh * kw, Ho, Wo), (dy, dx) pairs per tap).")
                   .set_inputs({"data", "offset", "weight", "bias"})
                   .set_input_names([](const OpParams &p) {
                     return p.Bool("no_bias") ? std::vector<std::string>{"data", "offset", "weight"}
                                              : std::vector<std::string>{"data", "offset", "weight", "bias"};
                   }))
      .add_param("layout", ParamKind::kEnum, "None", "Layout of input and output: NCHW only (None: default).",
                 {"None", "NCDHW", "NCHW", "NCW"})
      .set_infer_shape(DInferShape)
      .set_infer_type(FloatOnlyTypeInfer)
      .set_compute(MXC_CPU, DForward)
      .set_backward(MXC_CPU, DBackward)
      .set_backward_uses(true, false);
  CommonParams(OpRegistry::Get()
                   ->Register("_contrib_ModulatedDeformableConvolution")
                   .describe("Modulated deformable convolution (DCN v2) over NCHW data: as DeformableConvolution, "
                             "each bilinear sample (zero outside the image) multiplied by its mask value (mask: (N, "
                             "num_deformable_group * kh * kw, Ho, Wo)).")
                   .set_inputs({"data", "offset", "mask", "weight", "bias"})
                   .set_input_names([](const OpParams &p) {
                     return p.Bool("no_bias") ? std::vector<std::string>{"data", "offset", "mask", "weight"}
                                              : std::vector<std::string>{"data", "offset", "mask", "weight", "bias"};
                   }))
      .add_param("im2col_step", ParamKind::kInt, "64",
                 "Maximum number of images per im2col computation (accepted for MXNet compatibility; mxc samples one "
                 "image at a time).")
      .add_param("layout", ParamKind::kEnum, "None", "Layout of input and output: NCHW only (None: default).",
                 {"None", "NCDHW", "NCHW", "NCW"})
      .set_infer_shape(DInferShape)
      .set_infer_type(FloatOnlyTypeInfer)
      .set_compute(MXC_CPU, DForward)
      .set_backward(MXC_CPU, DBackward)
      .set_backward_uses(true, false);
  return 0;
}();

}  // namespace
}  // namespace op
}  // namespace mxc
