// Spatial sampling and region pooling, MXNet 1.x semantics:
// - GridGenerator: 'affine' turns (N, 6) affine matrices into sampling grids (N, 2, H, W) of normalised (x, y)
//   coordinates in [-1, 1] (target_shape (H, W)); 'warp' turns a flow field (N, 2, H, W) in pixels into the grid of
//   the positions it points to.
// - BilinearSampler: samples data (N, C, H, W) at a grid (N, 2, Ho, Wo) bilinearly, zero outside the image;
//   gradients for the data and the grid.
// - SpatialTransformer: GridGenerator('affine') followed by BilinearSampler.
// - ROIPooling: max pooling of regions of interest (R, 5) = (batch index, x1, y1, x2, y2) into pooled_size bins.
// - _contrib_ROIAlign: average of bilinear samples per bin (sample_ratio per axis, or adaptive), aligned half-pixel
//   offset, and position-sensitive channels.
#include <vector>

#include "nn_util.h"

namespace mxc {
namespace op {
namespace {

std::string Where(const OpParams &p) { return std::string("operator ") + p.op()->name + ": "; }

// ---- GridGenerator ---------------------------------------------------------------------------------------------
bool IsAffine(const OpParams &p) { return p.Str("transform_type") == "affine"; }

void GridGenInferShape(const OpParams &p, std::vector<TShape> *in, std::vector<TShape> *out) {
  const Op *op = p.op();
  TShape &d = (*in)[0];
  if (IsAffine(p)) {
    const auto &ts = p.Tuple("target_shape");
    if (ts.size() != 2 || ts[0] <= 0 || ts[1] <= 0)
      Throw(ErrorKind::kValue, Where(p), "target_shape ", ShapeStr(TShape(ts)),
            " must be two positive sizes (H, W) with transform_type 'affine'");
    if (d.empty()) return;
    if (d.ndim() != 2 || (d[1] && d[1] != 6))
      Throw(ErrorKind::kShape, Where(p), "data shape ", ShapeStr(d),
            ": the affine transformation needs data of shape (batch, 6)");
    ShapeAssign(&(*out)[0], TShape{d[0], 2, ts[0], ts[1]}, op, "output");
  } else {
    if (d.empty()) d = (*out)[0];
    if (d.empty()) return;
    if (d.ndim() != 4 || (d[1] && d[1] != 2))
      Throw(ErrorKind::kShape, Where(p), "data shape ", ShapeStr(d),
            ": the warp transformation needs a flow field of shape (batch, 2, H, W)");
    ShapeAssign(&(*out)[0], d, op, "output");
  }
}

template <typename T>
inline T NormCoord(int64_t i, int64_t n) {
  return n > 1 ? T(-1) + T(2) * static_cast<T>(i) / static_cast<T>(n - 1) : T(-1);
}

template <typename T>
void AffineGrid(const T *theta, T *grid, int64_t N, int64_t H, int64_t W, OpReq req) {
  for (int64_t n = 0; n < N; ++n) {
    const T *th = theta + n * 6;
    T *gx = grid + n * 2 * H * W, *gy = gx + H * W;
    for (int64_t h = 0; h < H; ++h)
      for (int64_t w = 0; w < W; ++w) {
        const T xt = NormCoord<T>(w, W), yt = NormCoord<T>(h, H);
        Assign(gx + h * W + w, req, th[0] * xt + th[1] * yt + th[2]);
        Assign(gy + h * W + w, req, th[3] * xt + th[4] * yt + th[5]);
      }
  }
}

template <typename T>
void AffineGridBackward(const T *og, T *dtheta, int64_t N, int64_t H, int64_t W, OpReq req) {
  for (int64_t n = 0; n < N; ++n) {
    const T *gx = og + n * 2 * H * W, *gy = gx + H * W;
    T acc[6] = {0, 0, 0, 0, 0, 0};
    for (int64_t h = 0; h < H; ++h)
      for (int64_t w = 0; w < W; ++w) {
        const T xt = NormCoord<T>(w, W), yt = NormCoord<T>(h, H), a = gx[h * W + w], b = gy[h * W + w];
        acc[0] += a * xt, acc[1] += a * yt, acc[2] += a;
        acc[3] += b * xt, acc[4] += b * yt, acc[5] += b;
      }
    for (int k = 0; k < 6; ++k) Assign(dtheta + n * 6 + k, req, acc[k]);
  }
}

void GridGenForward(MXC_NN_FORWARD_ARGS) {
  if (req[0] == kNullOp) return;
  const TShape &os = out[0].shape;
  const int64_t N = os[0], H = os[2], W = os[3];
  MXC_REAL_TYPE_SWITCH(out[0].dtype, T, {
    const T *x = in[0].ptr<T>();
    T *y = out[0].ptr<T>();
    if (IsAffine(p)) {
      AffineGrid(x, y, N, H, W, req[0]);
    } else {
      const T sx = W > 1 ? T(2) / static_cast<T>(W - 1) : T(0), sy = H > 1 ? T(2) / static_cast<T>(H - 1) : T(0);
      for (int64_t n = 0; n < N; ++n)
        for (int64_t h = 0; h < H; ++h)
          for (int64_t w = 0; w < W; ++w) {
            const int64_t ix = (n * 2 * H + h) * W + w, iy = ix + H * W;
            Assign(y + ix, req[0], (x[ix] + static_cast<T>(w)) * sx - T(1));
            Assign(y + iy, req[0], (x[iy] + static_cast<T>(h)) * sy - T(1));
          }
    }
  });
}

void GridGenBackward(MXC_NN_BACKWARD_ARGS) {
  if (req[0] == kNullOp) return;
  const TShape &os = out_grad[0].shape;
  const int64_t N = os[0], H = os[2], W = os[3];
  MXC_REAL_TYPE_SWITCH(out_grad[0].dtype, T, {
    const T *g = out_grad[0].ptr<T>();
    T *dx = in_grad[0].ptr<T>();
    if (IsAffine(p)) {
      AffineGridBackward(g, dx, N, H, W, req[0]);
    } else {
      const T sx = W > 1 ? T(2) / static_cast<T>(W - 1) : T(0), sy = H > 1 ? T(2) / static_cast<T>(H - 1) : T(0);
      const int64_t plane = H * W;
      for (int64_t i = 0; i < N * 2 * plane; ++i) Assign(dx + i, req[0], g[i] * ((i / plane) % 2 ? sy : sx));
    }
  });
}

// ---- BilinearSampler ---------------------------------------------------------------------------------------------
// Samples data (N, C, H, W) at grid (N, 2, Ho, Wo) into out (N, C, Ho, Wo).
template <typename T>
void SampleForward(const T *data, const T *grid, T *out, int64_t N, int64_t C, int64_t H, int64_t W, int64_t Ho,
                   int64_t Wo, OpReq req) {
  const int64_t po = Ho * Wo;
  ParallelForWork(N * C, po * 8, [&](int64_t nc) {
    const int64_t n = nc / C;
    const T *img = data + nc * H * W;
    const T *gx = grid + n * 2 * po, *gy = gx + po;
    T *o = out + nc * po;
    for (int64_t j = 0; j < po; ++j) {
      const T xr = (gx[j] + T(1)) * static_cast<T>(W - 1) / T(2), yr = (gy[j] + T(1)) * static_cast<T>(H - 1) / T(2);
      const int64_t x0 = static_cast<int64_t>(std::floor(xr)), y0 = static_cast<int64_t>(std::floor(yr));
      const T wx = xr - static_cast<T>(x0), wy = yr - static_cast<T>(y0);
      T v = 0;
      for (int dy = 0; dy < 2; ++dy)
        for (int dx = 0; dx < 2; ++dx) {
          const int64_t yy = y0 + dy, xx = x0 + dx;
          if (yy < 0 || yy >= H || xx < 0 || xx >= W) continue;
          v += img[yy * W + xx] * (dy ? wy : T(1) - wy) * (dx ? wx : T(1) - wx);
        }
      Assign(o + j, req, v);
    }
  });
}

// Gradients of SampleForward: ddata (accumulated, zeroed or not by the caller) and dgrid (per req).
template <typename T>
void SampleBackward(const T *data, const T *grid, const T *og, T *ddata, T *dgrid, OpReq greq, int64_t N, int64_t C,
                    int64_t H, int64_t W, int64_t Ho, int64_t Wo) {
  const int64_t po = Ho * Wo;
  ParallelForWork(N, C * po * 16, [&](int64_t n) {  // each sample writes its own data and grid gradients
    const T *gx = grid + n * 2 * po, *gy = gx + po;
    for (int64_t j = 0; j < po; ++j) {
      const T xr = (gx[j] + T(1)) * static_cast<T>(W - 1) / T(2), yr = (gy[j] + T(1)) * static_cast<T>(H - 1) / T(2);
      const int64_t x0 = static_cast<int64_t>(std::floor(xr)), y0 = static_cast<int64_t>(std::floor(yr));
      const T wx = xr - static_cast<T>(x0), wy = yr - static_cast<T>(y0);
      T dxr = 0, dyr = 0;
      for (int64_t c = 0; c < C; ++c) {
        const int64_t nc = n * C + c;
        const T g = og[nc * po + j];
        const T *img = data + nc * H * W;
        for (int dy = 0; dy < 2; ++dy)
          for (int dx = 0; dx < 2; ++dx) {
            const int64_t yy = y0 + dy, xx = x0 + dx;
            if (yy < 0 || yy >= H || xx < 0 || xx >= W) continue;
            const T ay = dy ? wy : T(1) - wy, ax = dx ? wx : T(1) - wx, v = img[yy * W + xx];
            if (ddata) ddata[nc * H * W + yy * W + xx] += g * ay * ax;
            dxr += g * v * ay * (dx ? T(1) : T(-1));
            dyr += g * v * ax * (dy ? T(1) : T(-1));
          }
      }
      if (dgrid) {
        Assign(dgrid + n * 2 * po + j, greq, dxr * static_cast<T>(W - 1) / T(2));
        Assign(dgrid + n * 2 * po + po + j, greq, dyr * static_cast<T>(H - 1) / T(2));
      }
    }
  });
}

void SamplerInferShape(const OpParams &p, std::vector<TShape> *in, std::vector<TShape> *out) {
  const TShape &d = (*in)[0], &g = (*in)[1];
  if (!d.empty() && d.ndim() != 4)
    Throw(ErrorKind::kShape, Where(p), "data shape ", ShapeStr(d), ": the data must be 4-D (batch, channel, H, W)");
  if (!g.empty() && (g.ndim() != 4 || (g[1] && g[1] != 2)))
    Throw(ErrorKind::kShape, Where(p), "grid shape ", ShapeStr(g), ": the grid must be (batch, 2, H, W)");
  if (d.empty() || g.empty()) return;
  if (d[0] && g[0] && d[0] != g[0])
    Throw(ErrorKind::kShape, Where(p), "data shape ", ShapeStr(d), ", grid shape ", ShapeStr(g),
          ": the batch sizes of the data and the grid must be the same");
  ShapeAssign(&(*out)[0], TShape{d[0], d[1], g[2], g[3]}, p.op(), "output");
}

void SamplerForward(MXC_NN_FORWARD_ARGS) {
  if (req[0] == kNullOp) return;
  const TShape &d = in[0].shape, &o = out[0].shape;
  MXC_REAL_TYPE_SWITCH(out[0].dtype, T, {
    SampleForward(in[0].ptr<T>(), in[1].ptr<T>(), out[0].ptr<T>(), d[0], d[1], d[2], d[3], o[2], o[3], req[0]);
  });
}

void SamplerBackward(MXC_NN_BACKWARD_ARGS) {
  const TShape &d = in_data[0].shape, &o = out_grad[0].shape;
  if (req[0] == kNullOp && req[1] == kNullOp) return;
  ZeroGrad(in_grad[0], req[0]);
  MXC_REAL_TYPE_SWITCH(out_grad[0].dtype, T, {
    SampleBackward(in_data[0].ptr<T>(), in_data[1].ptr<T>(), out_grad[0].ptr<T>(),
                   req[0] == kNullOp ? nullptr : in_grad[0].ptr<T>(), req[1] == kNullOp ? nullptr : in_grad[1].ptr<T>(),
                   req[1], d[0], d[1], d[2], d[3], o[2], o[3]);
  });
}

// ---- SpatialTransformer ----------------------------------------------------------------------------------------
void STInferShape(const OpParams &p, std::vector<TShape> *in, std::vector<TShape> *out) {
  const auto &ts = p.Tuple("target_shape");
  if (ts.size() != 2 || ts[0] <= 0 || ts[1] <= 0)
    Throw(ErrorKind::kValue, Where(p), "target_shape ", ShapeStr(TShape(ts)), " must be two positive sizes (H, W)");
  const TShape &d = (*in)[0];
  TShape &l = (*in)[1];
  if (!d.empty() && d.ndim() != 4)
    Throw(ErrorKind::kShape, Where(p), "data shape ", ShapeStr(d), ": the data must be 4-D (batch, channel, H, W)");
  if (!l.empty() && (l.ndim() != 2 || (l[1] && l[1] != 6)))
    Throw(ErrorKind::kShape, Where(p), "loc shape ", ShapeStr(l),
          ": the affine transformation needs loc of shape (batch, 6)");
  if (d.empty()) return;
  ShapeAssign(&l, TShape{d[0], 6}, p.op(), "loc");
  ShapeAssign(&(*out)[0], TShape{d[0], d[1], ts[0], ts[1]}, p.op(), "output");
}

void STForward(MXC_NN_FORWARD_ARGS) {
  if (req[0] == kNullOp) return;
  const TShape &d = in[0].shape, &o = out[0].shape;
  MXC_REAL_TYPE_SWITCH(out[0].dtype, T, {
    std::vector<T> grid(d[0] * 2 * o[2] * o[3]);
    AffineGrid(in[1].ptr<T>(), grid.data(), d[0], o[2], o[3], kWriteTo);
    SampleForward(in[0].ptr<T>(), grid.data(), out[0].ptr<T>(), d[0], d[1], d[2], d[3], o[2], o[3], req[0]);
  });
}

void STBackward(MXC_NN_BACKWARD_ARGS) {
  const TShape &d = in_data[0].shape, &o = out_grad[0].shape;
  if (req[0] == kNullOp && req[1] == kNullOp) return;
  ZeroGrad(in_grad[0], req[0]);
  MXC_REAL_TYPE_SWITCH(out_grad[0].dtype, T, {
    std::vector<T> grid(d[0] * 2 * o[2] * o[3]), dgrid(grid.size());
    AffineGrid(in_data[1].ptr<T>(), grid.data(), d[0], o[2], o[3], kWriteTo);
    SampleBackward(in_data[0].ptr<T>(), grid.data(), out_grad[0].ptr<T>(),
                   req[0] == kNullOp ? nullptr : in_grad[0].ptr<T>(), dgrid.data(), kWriteTo, d[0], d[1], d[2], d[3],
                   o[2], o[3]);
    if (req[1] != kNullOp) AffineGridBackward(dgrid.data(), in_grad[1].ptr<T>(), d[0], o[2], o[3], req[1]);
  });
}

// ---- ROIPooling / ROIAlign ---------------------------------------------------------------------------------------
void ROIInferShape(const OpParams &p, std::vector<TShape> *in, std::vector<TShape> *out) {
  const auto &ps = p.Tuple("pooled_size");
  if (ps.size() != 2 || ps[0] <= 0 || ps[1] <= 0)
    Throw(ErrorKind::kValue, Where(p), "pooled_size ", ShapeStr(TShape(ps)), " must be two positive sizes (h, w)");
  if (p.Float("spatial_scale") <= 0)
    Throw(ErrorKind::kValue, Where(p), "spatial_scale ", p.Float("spatial_scale"), " must be positive");
  const TShape &d = (*in)[0];
  TShape &r = (*in)[1];
  if (!d.empty() && d.ndim() != 4)
    Throw(ErrorKind::kShape, Where(p), "data shape ", ShapeStr(d), ": the data must be 4-D (batch, channel, H, W)");
  if (!r.empty() && (r.ndim() != 2 || (r[1] && r[1] != 5)))
    Throw(ErrorKind::kShape, Where(p), "rois shape ", ShapeStr(r),
          ": the rois must be 2-D (num_rois, 5): [batch_index, x1, y1, x2, y2]");
  if (d.empty() || r.empty()) return;
  int64_t c = d[1];
  const int op_ps = p.op()->ParamIndex("position_sensitive");
  if (op_ps >= 0 && p.Bool("position_sensitive") && c) {
    if (c % (ps[0] * ps[1]))
      Throw(ErrorKind::kShape, Where(p), "data shape ", ShapeStr(d), ": with position_sensitive the channels (", c,
            ") must be a multiple of pooled_size h * w = ", ps[0] * ps[1]);
    c /= ps[0] * ps[1];
  }
  ShapeAssign(&(*out)[0], TShape{r[0], c, ps[0], ps[1]}, p.op(), "output");
}

// ROIPooling: calls f(output index, input index or -1) for every output element of roi r.
template <typename T, typename F>
void ROIPoolBins(const OpParams &p, const T *data, const T *roi, const TShape &ds, int64_t r, F f) {
  const int64_t N = ds[0], C = ds[1], H = ds[2], W = ds[3];
  const auto &ps = p.Tuple("pooled_size");
  const int64_t PH = ps[0], PW = ps[1];
  const double scale = p.Float("spatial_scale");
  const int64_t b = static_cast<int64_t>(roi[0]);
  const int64_t x1 = std::llround(roi[1] * scale), y1 = std::llround(roi[2] * scale);
  const int64_t x2 = std::llround(roi[3] * scale), y2 = std::llround(roi[4] * scale);
  const double bh = static_cast<double>(std::max<int64_t>(y2 - y1 + 1, 1)) / PH;
  const double bw = static_cast<double>(std::max<int64_t>(x2 - x1 + 1, 1)) / PW;
  for (int64_t c = 0; c < C; ++c)
    for (int64_t ph = 0; ph < PH; ++ph)
      for (int64_t pw = 0; pw < PW; ++pw) {
        const int64_t o = ((r * C + c) * PH + ph) * PW + pw;
        if (b < 0 || b >= N) {
          f(o, -1);
          continue;
        }
        const int64_t hs = std::min(std::max<int64_t>(static_cast<int64_t>(std::floor(ph * bh)) + y1, 0), H);
        const int64_t he = std::min(std::max<int64_t>(static_cast<int64_t>(std::ceil((ph + 1) * bh)) + y1, 0), H);
        const int64_t ws = std::min(std::max<int64_t>(static_cast<int64_t>(std::floor(pw * bw)) + x1, 0), W);
        const int64_t we = std::min(std::max<int64_t>(static_cast<int64_t>(std::ceil((pw + 1) * bw)) + x1, 0), W);
        int64_t best = -1;
        const int64_t base = (b * C + c) * H * W;
        for (int64_t h = hs; h < he; ++h)
          for (int64_t w = ws; w < we; ++w)
            if (best < 0 || data[base + h * W + w] > data[best]) best = base + h * W + w;
        f(o, best);
      }
}

void ROIPoolForward(MXC_NN_FORWARD_ARGS) {
  if (req[0] == kNullOp) return;
  MXC_REAL_TYPE_SWITCH(out[0].dtype, T, {
    const T *x = in[0].ptr<T>(), *rois = in[1].ptr<T>();
    T *y = out[0].ptr<T>();
    ParallelForWork(in[1].shape[0], out[0].Size() / std::max<int64_t>(in[1].shape[0], 1) * 16, [&](int64_t r) {
      ROIPoolBins(p, x, rois + r * 5, in[0].shape, r,
                  [&](int64_t o, int64_t i) { Assign(y + o, req[0], i < 0 ? T(0) : x[i]); });
    });
  });
}

void ROIPoolBackward(MXC_NN_BACKWARD_ARGS) {
  ZeroGrad(in_grad[1], req[1]);
  if (req[0] == kNullOp) return;
  ZeroGrad(in_grad[0], req[0]);
  MXC_REAL_TYPE_SWITCH(out_grad[0].dtype, T, {
    const T *x = in_data[0].ptr<T>(), *rois = in_data[1].ptr<T>(), *g = out_grad[0].ptr<T>();
    T *dx = in_grad[0].ptr<T>();
    for (int64_t r = 0; r < in_data[1].shape[0]; ++r)
      ROIPoolBins(p, x, rois + r * 5, in_data[0].shape, r, [&](int64_t o, int64_t i) {
        if (i >= 0) dx[i] += g[o];
      });
  });
}

// ROIAlign: calls f(output index, input index, weight) for every bilinear tap of every output element of roi r
// (the weight includes the 1 / count of the bin's average).
template <typename T, typename F>
void ROIAlignTaps(const OpParams &p, const T *roi, const TShape &ds, const TShape &os, int64_t r, F f) {
  const int64_t N = ds[0], H = ds[2], W = ds[3], Co = os[1], PH = os[2], PW = os[3];
  const double scale = p.Float("spatial_scale");
  const bool aligned = p.Bool("aligned"), psens = p.Bool("position_sensitive");
  const int64_t ratio = p.Int("sample_ratio");
  const int64_t b = static_cast<int64_t>(roi[0]);
  if (b < 0 || b >= N) return;
  const double off = aligned ? 0.5 : 0.0;
  const double xs = roi[1] * scale - off, ys = roi[2] * scale - off;
  double rw = roi[3] * scale - off - xs, rh = roi[4] * scale - off - ys;
  if (!aligned) rw = std::max(rw, 1.0), rh = std::max(rh, 1.0);
  const double bh = rh / PH, bw = rw / PW;
  const int64_t gh = ratio > 0 ? ratio : static_cast<int64_t>(std::ceil(rh / PH));
  const int64_t gw = ratio > 0 ? ratio : static_cast<int64_t>(std::ceil(rw / PW));
  const double inv = 1.0 / static_cast<double>(std::max<int64_t>(gh * gw, 1));
  for (int64_t c = 0; c < Co; ++c)
    for (int64_t ph = 0; ph < PH; ++ph)
      for (int64_t pw = 0; pw < PW; ++pw) {
        const int64_t o = ((r * Co + c) * PH + ph) * PW + pw;
        const int64_t ci = psens ? (c * PH + ph) * PW + pw : c;
        const int64_t base = (b * ds[1] + ci) * H * W;
        for (int64_t iy = 0; iy < gh; ++iy) {
          double y = ys + ph * bh + (iy + 0.5) * bh / gh;
          for (int64_t ix = 0; ix < gw; ++ix) {
            double x = xs + pw * bw + (ix + 0.5) * bw / gw;
            if (y < -1.0 || y > H || x < -1.0 || x > W) continue;
            double yy = std::max(y, 0.0), xx = std::max(x, 0.0);
            int64_t y0 = static_cast<int64_t>(yy), x0 = static_cast<int64_t>(xx), y1, x1;
            if (y0 >= H - 1) y0 = y1 = H - 1, yy = static_cast<double>(y0);
            else y1 = y0 + 1;
            if (x0 >= W - 1) x0 = x1 = W - 1, xx = static_cast<double>(x0);
            else x1 = x0 + 1;
            const double ly = yy - y0, lx = xx - x0, hy = 1 - ly, hx = 1 - lx;
            f(o, base + y0 * W + x0, hy * hx * inv);
            f(o, base + y0 * W + x1, hy * lx * inv);
            f(o, base + y1 * W + x0, ly * hx * inv);
            f(o, base + y1 * W + x1, ly * lx * inv);
          }
        }
      }
}

// aligned rois must have a positive width and height (MXNet checks it too).
template <typename T>
void CheckAlignedROIs(const OpParams &p, const TBlob &rois) {
  if (!p.Bool("aligned")) return;
  const double scale = p.Float("spatial_scale");
  const T *roi = rois.ptr<T>();
  for (int64_t r = 0; r < rois.shape[0]; ++r, roi += 5) {
    const double rw = (roi[3] - roi[1]) * scale, rh = (roi[4] - roi[2]) * scale;
    if (!(rw > 0 && rh > 0))
      Throw(ErrorKind::kValue, Where(p), "roi ", r, " = [", roi[0], ", ", roi[1], ", ", roi[2], ", ", roi[3], ", ",
            roi[4], "] has an empty width or height (", rw, " x ", rh, ") with aligned=True");
  }
}

void ROIAlignForward(MXC_NN_FORWARD_ARGS) {
  if (req[0] == kNullOp) return;
  MXC_REAL_TYPE_SWITCH(out[0].dtype, T, {
    const T *x = in[0].ptr<T>(), *rois = in[1].ptr<T>();
    T *y = out[0].ptr<T>();
    CheckAlignedROIs<T>(p, in[1]);
    std::vector<double> acc(out[0].Size(), 0.0);
    ParallelForWork(in[1].shape[0], out[0].Size() / std::max<int64_t>(in[1].shape[0], 1) * 16, [&](int64_t r) {
      ROIAlignTaps(p, rois + r * 5, in[0].shape, out[0].shape, r,
                   [&](int64_t o, int64_t i, double w) { acc[o] += w * static_cast<double>(x[i]); });
    });
    for (size_t o = 0; o < acc.size(); ++o) Assign(y + o, req[0], static_cast<T>(acc[o]));
  });
}

void ROIAlignBackward(MXC_NN_BACKWARD_ARGS) {
  ZeroGrad(in_grad[1], req[1]);
  if (req[0] == kNullOp) return;
  ZeroGrad(in_grad[0], req[0]);
  MXC_REAL_TYPE_SWITCH(out_grad[0].dtype, T, {
    const T *rois = in_data[1].ptr<T>(), *g = out_grad[0].ptr<T>();
    T *dx = in_grad[0].ptr<T>();
    CheckAlignedROIs<T>(p, in_data[1]);
    for (int64_t r = 0; r < in_data[1].shape[0]; ++r)
      ROIAlignTaps(p, rois + r * 5, in_data[0].shape, out_grad[0].shape, r,
                   [&](int64_t o, int64_t i, double w) { dx[i] += static_cast<T>(w) * g[o]; });
  });
}

[[maybe_unused]] const int registered = [] {
  auto *reg = OpRegistry::Get();
  reg->Register("GridGenerator")
      .describe("Generates a sampling grid (batch, 2, H, W) of normalised (x, y) coordinates from affine matrices "
                "(batch, 6) or from a flow field (batch, 2, H, W).")
      .set_inputs({"data"})
      .add_required_param("transform_type", ParamKind::kEnum,
                          "The type of transformation: 'affine' (data (batch, 6)) or 'warp' (a flow field).",
                          {"affine", "warp"})
      .add_param("target_shape", ParamKind::kShape, "(0,0)",
                 "Specifies the output shape (H, W). This is used with transform_type 'affine'.")
      .set_infer_shape(GridGenInferShape)
      .set_infer_type(FloatOnlyTypeInfer)
      .set_compute(MXC_CPU, GridGenForward)
      .set_backward(MXC_CPU, GridGenBackward)
      .set_backward_uses(false, false);
  reg->Register("BilinearSampler")
      .describe("Samples data (batch, C, H, W) bilinearly at a grid (batch, 2, Ho, Wo) of normalised (x, y) "
                "coordinates in [-1, 1]; zero outside the image.")
      .set_inputs({"data", "grid"})
      .add_param("cudnn_off", ParamKind::kString, "None", "Whether to turn cudnn off (no effect here).")
      .set_infer_shape(SamplerInferShape)
      .set_infer_type(FloatOnlyTypeInfer)
      .set_compute(MXC_CPU, SamplerForward)
      .set_backward(MXC_CPU, SamplerBackward)
      .set_backward_uses(true, false);
  reg->Register("SpatialTransformer")
      .describe("Applies an affine transformation loc (batch, 6) to data (batch, C, H, W) by bilinear sampling "
                "into target_shape.")
      .set_inputs({"data", "loc"})
      .add_param("target_shape", ParamKind::kShape, "(0,0)", "The output shape (H, W).")
      .add_required_param("transform_type", ParamKind::kEnum, "The transformation type.", {"affine"})
      .add_required_param("sampler_type", ParamKind::kEnum, "The sampling type.", {"bilinear"})
      .add_param("cudnn_off", ParamKind::kString, "None", "Whether to turn cudnn off (no effect here).")
      .set_infer_shape(STInferShape)
      .set_infer_type(FloatOnlyTypeInfer)
      .set_compute(MXC_CPU, STForward)
      .set_backward(MXC_CPU, STBackward)
      .set_backward_uses(true, false);
  reg->Register("ROIPooling")
      .describe("Max pooling of regions of interest rois (num_rois, 5) = [batch_index, x1, y1, x2, y2] of data "
                "(batch, C, H, W) into pooled_size bins.")
      .set_inputs({"data", "rois"})
      .add_required_param("pooled_size", ParamKind::kShape, "ROI pooling output shape (h, w).")
      .add_required_param("spatial_scale", ParamKind::kFloat,
                          "Ratio of the input data size to the coordinates of the rois.")
      .set_infer_shape(ROIInferShape)
      .set_infer_type(FloatOnlyTypeInfer)
      .set_compute(MXC_CPU, ROIPoolForward)
      .set_backward(MXC_CPU, ROIPoolBackward)
      .set_backward_uses(true, false);
  reg->Register("_contrib_ROIAlign")
      .describe("Average of bilinear samples per bin of regions of interest rois (num_rois, 5) = [batch_index, x1, "
                "y1, x2, y2] of data (batch, C, H, W) (Mask R-CNN's RoIAlign).")
      .set_inputs({"data", "rois"})
      .add_required_param("pooled_size", ParamKind::kShape, "ROI Align output roi feature map height and width: "
                                                            "(h, w).")
      .add_required_param("spatial_scale", ParamKind::kFloat,
                          "Ratio of the input data size to the coordinates of the rois.")
      .add_param("sample_ratio", ParamKind::kInt, "-1",
                 "Number of sampling points per bin and axis; <= 0: ceil(roi size / pooled size).")
      .add_param("position_sensitive", ParamKind::kBool, "False",
                 "Whether to pool each bin from its own group of C / (h * w) channels (R-FCN).")
      .add_param("aligned", ParamKind::kBool, "False", "Shift the rois by half a pixel (continuous coordinates).")
      .set_infer_shape(ROIInferShape)
      .set_infer_type(FloatOnlyTypeInfer)
      .set_compute(MXC_CPU, ROIAlignForward)
      .set_backward(MXC_CPU, ROIAlignBackward)
      .set_backward_uses(true, false);
  return 0;
}();

}  // namespace
}  // namespace op
}  // namespace mxc
