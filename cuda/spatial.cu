// The kernels of kernels_spatial.cuh: GridGenerator, BilinearSampler (and so SpatialTransformer), ROIPooling,
// ROIAlign, PSROIPooling and DeformablePSROIPooling. One thread per output element, with the CPU kernel's arithmetic
// in its order (core/ops/nn_spatial.cc, core/ops/contrib_psroi.cc); the gradients that scatter add atomically.
#include "common.cuh"
#include "kernels_spatial.cuh"

namespace mxc {
namespace cuda {

namespace {

__device__ __forceinline__ float Floor(float v) { return floorf(v); }
__device__ __forceinline__ double Floor(double v) { return floor(v); }
__device__ __forceinline__ float Ceil(float v) { return ceilf(v); }
__device__ __forceinline__ double Ceil(double v) { return ceil(v); }
__device__ __forceinline__ float Round(float v) { return roundf(v); }
__device__ __forceinline__ double Round(double v) { return round(v); }
template <typename T>
__device__ __forceinline__ T Max(T a, T b) { return a < b ? b : a; }
template <typename T>
__device__ __forceinline__ T Min(T a, T b) { return b < a ? b : a; }
__device__ __forceinline__ int64_t Clamp(int64_t v, int64_t lo, int64_t hi) { return v < lo ? lo : (v > hi ? hi : v); }

// ---- GridGenerator
template <typename T>
__device__ __forceinline__ T NormCoord(int64_t i, int64_t n) {
  return n > 1 ? T(-1) + T(2) * static_cast<T>(i) / static_cast<T>(n - 1) : T(-1);
}

template <typename T>
__global__ void AffineGridK(const T *theta, T *grid, int64_t N, int64_t H, int64_t W, int req) {
  MXC_CUDA_LOOP(e, N * H * W) {
    const int64_t w = e % W, h = (e / W) % H, n = e / (W * H);
    const T *th = theta + n * 6;
    T *gx = grid + n * 2 * H * W, *gy = gx + H * W;
    const T xt = NormCoord<T>(w, W), yt = NormCoord<T>(h, H);
    Store(gx + h * W + w, req, th[0] * xt + th[1] * yt + th[2]);
    Store(gy + h * W + w, req, th[3] * xt + th[4] * yt + th[5]);
  }
}
// One thread per element of dtheta, summing over the grid in the CPU's order.
template <typename T>
__global__ void AffineGridGradK(const T *og, T *dtheta, int64_t N, int64_t H, int64_t W, int req) {
  MXC_CUDA_LOOP(e, N * 6) {
    const int64_t k = e % 6, n = e / 6;
    const T *g = og + (n * 2 + (k < 3 ? 0 : 1)) * H * W;
    const int64_t kk = k % 3;
    T acc = 0;
    for (int64_t h = 0; h < H; ++h)
      for (int64_t w = 0; w < W; ++w) {
        const T a = g[h * W + w];
        if (kk == 0) acc += a * NormCoord<T>(w, W);
        else if (kk == 1) acc += a * NormCoord<T>(h, H);
        else acc += a;
      }
    Store(dtheta + e, req, acc);
  }
}
template <typename T>
__global__ void WarpGridK(const T *x, T *y, int64_t N, int64_t H, int64_t W, int req) {
  const T sx = W > 1 ? T(2) / static_cast<T>(W - 1) : T(0), sy = H > 1 ? T(2) / static_cast<T>(H - 1) : T(0);
  MXC_CUDA_LOOP(e, N * H * W) {
    const int64_t w = e % W, h = (e / W) % H, n = e / (W * H);
    const int64_t ix = (n * 2 * H + h) * W + w, iy = ix + H * W;
    Store(y + ix, req, (x[ix] + static_cast<T>(w)) * sx - T(1));
    Store(y + iy, req, (x[iy] + static_cast<T>(h)) * sy - T(1));
  }
}
template <typename T>
__global__ void WarpGridGradK(const T *g, T *dx, int64_t N, int64_t H, int64_t W, int req) {
  const T sx = W > 1 ? T(2) / static_cast<T>(W - 1) : T(0), sy = H > 1 ? T(2) / static_cast<T>(H - 1) : T(0);
  const int64_t plane = H * W;
  MXC_CUDA_LOOP(i, N * 2 * plane) Store(dx + i, req, g[i] * ((i / plane) % 2 ? sy : sx));
}

// ---- BilinearSampler
template <typename T>
struct Tap {
  int64_t x0, y0;
  T wx, wy;
};
template <typename T>
__device__ __forceinline__ Tap<T> SampleAt(T gx, T gy, int64_t H, int64_t W) {
  const T xr = (gx + T(1)) * static_cast<T>(W - 1) / T(2), yr = (gy + T(1)) * static_cast<T>(H - 1) / T(2);
  Tap<T> t;
  t.x0 = static_cast<int64_t>(Floor(xr));
  t.y0 = static_cast<int64_t>(Floor(yr));
  t.wx = xr - static_cast<T>(t.x0);
  t.wy = yr - static_cast<T>(t.y0);
  return t;
}

template <typename T>
__global__ void SampleK(SamplerGeom g, const T *data, const T *grid, T *out, int req) {
  const int64_t po = g.Ho * g.Wo;
  MXC_CUDA_LOOP(e, g.N * g.C * po) {
    const int64_t j = e % po, nc = e / po, n = nc / g.C;
    const T *img = data + nc * g.H * g.W;
    const T *gx = grid + n * 2 * po, *gy = gx + po;
    const Tap<T> t = SampleAt(gx[j], gy[j], g.H, g.W);
    T v = 0;
    for (int dy = 0; dy < 2; ++dy)
      for (int dx = 0; dx < 2; ++dx) {
        const int64_t yy = t.y0 + dy, xx = t.x0 + dx;
        if (yy < 0 || yy >= g.H || xx < 0 || xx >= g.W) continue;
        v += img[yy * g.W + xx] * (dy ? t.wy : T(1) - t.wy) * (dx ? t.wx : T(1) - t.wx);
      }
    Store(out + e, req, v);
  }
}

// One thread per grid point: its gradient summed over the channels in the CPU's order; the data's shares added.
template <typename T>
__global__ void SampleGradK(SamplerGeom g, const T *data, const T *grid, const T *og, T *ddata, T *dgrid, int greq) {
  const int64_t po = g.Ho * g.Wo;
  MXC_CUDA_LOOP(e, g.N * po) {
    const int64_t j = e % po, n = e / po;
    const T *gx = grid + n * 2 * po, *gy = gx + po;
    const Tap<T> t = SampleAt(gx[j], gy[j], g.H, g.W);
    T dxr = 0, dyr = 0;
    for (int64_t c = 0; c < g.C; ++c) {
      const int64_t nc = n * g.C + c;
      const T gv = og[nc * po + j];
      const T *img = data + nc * g.H * g.W;
      for (int dy = 0; dy < 2; ++dy)
        for (int dx = 0; dx < 2; ++dx) {
          const int64_t yy = t.y0 + dy, xx = t.x0 + dx;
          if (yy < 0 || yy >= g.H || xx < 0 || xx >= g.W) continue;
          const T ay = dy ? t.wy : T(1) - t.wy, ax = dx ? t.wx : T(1) - t.wx, v = img[yy * g.W + xx];
          if (ddata) atomicAdd(ddata + nc * g.H * g.W + yy * g.W + xx, gv * ay * ax);
          dxr += gv * v * ay * (dx ? T(1) : T(-1));
          dyr += gv * v * ax * (dy ? T(1) : T(-1));
        }
    }
    if (dgrid) {
      Store(dgrid + n * 2 * po + j, greq, dxr * static_cast<T>(g.W - 1) / T(2));
      Store(dgrid + n * 2 * po + po + j, greq, dyr * static_cast<T>(g.H - 1) / T(2));
    }
  }
}

// ---- ROIPooling: the input index of the maximum of output element o's bin, or -1 (empty bin, roi outside the
// batch).
template <typename T>
__device__ int64_t ROIPoolArg(const ROIPoolGeom &g, const T *data, const T *rois, int64_t o) {
  const int64_t pw = o % g.PW, ph = (o / g.PW) % g.PH, c = (o / (g.PW * g.PH)) % g.C, r = o / (g.PW * g.PH * g.C);
  const T *roi = rois + r * 5;
  const int64_t b = static_cast<int64_t>(roi[0]);
  if (b < 0 || b >= g.N) return -1;
  const int64_t x1 = llround(roi[1] * g.scale), y1 = llround(roi[2] * g.scale);
  const int64_t x2 = llround(roi[3] * g.scale), y2 = llround(roi[4] * g.scale);
  const double bh = static_cast<double>(Max<int64_t>(y2 - y1 + 1, 1)) / g.PH;
  const double bw = static_cast<double>(Max<int64_t>(x2 - x1 + 1, 1)) / g.PW;
  const int64_t hs = Clamp(static_cast<int64_t>(floor(ph * bh)) + y1, 0, g.H);
  const int64_t he = Clamp(static_cast<int64_t>(ceil((ph + 1) * bh)) + y1, 0, g.H);
  const int64_t ws = Clamp(static_cast<int64_t>(floor(pw * bw)) + x1, 0, g.W);
  const int64_t we = Clamp(static_cast<int64_t>(ceil((pw + 1) * bw)) + x1, 0, g.W);
  int64_t best = -1;
  const int64_t base = (b * g.C + c) * g.H * g.W;
  for (int64_t h = hs; h < he; ++h)
    for (int64_t w = ws; w < we; ++w)
      if (best < 0 || data[base + h * g.W + w] > data[best]) best = base + h * g.W + w;
  return best;
}
template <typename T>
__global__ void ROIPoolK(ROIPoolGeom g, const T *data, const T *rois, T *out, int req) {
  MXC_CUDA_LOOP(o, g.R * g.C * g.PH * g.PW) {
    const int64_t i = ROIPoolArg(g, data, rois, o);
    Store(out + o, req, i < 0 ? T(0) : data[i]);
  }
}
template <typename T>
__global__ void ROIPoolGradK(ROIPoolGeom g, const T *data, const T *rois, const T *og, T *dx) {
  MXC_CUDA_LOOP(o, g.R * g.C * g.PH * g.PW) {
    const int64_t i = ROIPoolArg(g, data, rois, o);
    if (i >= 0) atomicAdd(dx + i, og[o]);
  }
}

// ---- ROIAlign: calls f(input index, weight) for every bilinear tap of output element o (the weight includes the
// 1 / count of the bin's average).
template <typename T, typename F>
__device__ void ROIAlignTaps(const ROIAlignGeom &g, const T *rois, int64_t o, F f) {
  const int64_t pw = o % g.PW, ph = (o / g.PW) % g.PH, c = (o / (g.PW * g.PH)) % g.Co, r = o / (g.PW * g.PH * g.Co);
  const int64_t H = g.H, W = g.W, PH = g.PH, PW = g.PW;
  const T *roi = rois + r * 5;
  const int64_t b = static_cast<int64_t>(roi[0]);
  if (b < 0 || b >= g.N) return;
  const double off = g.aligned ? 0.5 : 0.0;
  const double xs = roi[1] * g.scale - off, ys = roi[2] * g.scale - off;
  double rw = roi[3] * g.scale - off - xs, rh = roi[4] * g.scale - off - ys;
  if (!g.aligned) rw = Max(rw, 1.0), rh = Max(rh, 1.0);
  const double bh = rh / PH, bw = rw / PW;
  const int64_t gh = g.ratio > 0 ? g.ratio : static_cast<int64_t>(ceil(rh / PH));
  const int64_t gw = g.ratio > 0 ? g.ratio : static_cast<int64_t>(ceil(rw / PW));
  const double inv = 1.0 / static_cast<double>(Max<int64_t>(gh * gw, 1));
  const int64_t ci = g.psens ? (c * PH + ph) * PW + pw : c;
  const int64_t base = (b * g.Ci + ci) * H * W;
  for (int64_t iy = 0; iy < gh; ++iy) {
    double y = ys + ph * bh + (iy + 0.5) * bh / gh;
    for (int64_t ix = 0; ix < gw; ++ix) {
      double x = xs + pw * bw + (ix + 0.5) * bw / gw;
      if (y < -1.0 || y > H || x < -1.0 || x > W) continue;
      double yy = Max(y, 0.0), xx = Max(x, 0.0);
      int64_t y0 = static_cast<int64_t>(yy), x0 = static_cast<int64_t>(xx), y1, x1;
      if (y0 >= H - 1) y0 = y1 = H - 1, yy = static_cast<double>(y0);
      else y1 = y0 + 1;
      if (x0 >= W - 1) x0 = x1 = W - 1, xx = static_cast<double>(x0);
      else x1 = x0 + 1;
      const double ly = yy - y0, lx = xx - x0, hy = 1 - ly, hx = 1 - lx;
      f(base + y0 * W + x0, hy * hx * inv);
      f(base + y0 * W + x1, hy * lx * inv);
      f(base + y1 * W + x0, ly * hx * inv);
      f(base + y1 * W + x1, ly * lx * inv);
    }
  }
}
template <typename T>
__global__ void ROIAlignK(ROIAlignGeom g, const T *data, const T *rois, T *out, int req) {
  MXC_CUDA_LOOP(o, g.R * g.Co * g.PH * g.PW) {
    double acc = 0;
    ROIAlignTaps(g, rois, o, [&](int64_t i, double w) { acc += w * static_cast<double>(data[i]); });
    Store(out + o, req, static_cast<T>(acc));
  }
}
template <typename T>
__global__ void ROIAlignGradK(ROIAlignGeom g, const T *rois, const T *og, T *dx) {
  MXC_CUDA_LOOP(o, g.R * g.Co * g.PH * g.PW) {
    const T gv = og[o];
    ROIAlignTaps(g, rois, o, [&](int64_t i, double w) { atomicAdd(dx + i, static_cast<T>(w) * gv); });
  }
}

// ---- PSROIPooling: output element o's bin [hs, he) x [ws, we) of data plane `plane` (-1: empty, or the roi outside
// the batch).
struct PSBin {
  int64_t plane, hs, he, ws, we;
};
template <typename T>
__device__ PSBin PSBinOf(const PSROIGeom &g, const T *rois, int64_t o) {
  const int64_t P = g.P, G = g.G;
  const int64_t pw = o % P, ph = (o / P) % P, k = (o / (P * P)) % g.K, r = o / (P * P * g.K);
  const T *roi = rois + r * 5;
  const T scale = static_cast<T>(g.scale);
  const int64_t b = static_cast<int64_t>(roi[0]);
  const T x1 = static_cast<T>(Round(roi[1])) * scale, y1 = static_cast<T>(Round(roi[2])) * scale;
  const T x2 = static_cast<T>(Round(roi[3]) + 1) * scale, y2 = static_cast<T>(Round(roi[4]) + 1) * scale;
  const T rw = Max<T>(x2 - x1, T(0.1)), rh = Max<T>(y2 - y1, T(0.1));
  const T bh = rh / T(P), bw = rw / T(P);
  PSBin s;
  s.hs = Clamp(static_cast<int64_t>(Floor(T(ph) * bh + y1)), 0, g.H);
  s.he = Clamp(static_cast<int64_t>(Ceil(T(ph + 1) * bh + y1)), 0, g.H);
  s.ws = Clamp(static_cast<int64_t>(Floor(T(pw) * bw + x1)), 0, g.W);
  s.we = Clamp(static_cast<int64_t>(Ceil(T(pw + 1) * bw + x1)), 0, g.W);
  const int64_t gh = Clamp(ph * G / P, 0, G - 1), gw = Clamp(pw * G / P, 0, G - 1);
  const int64_t c = (k * G + gh) * G + gw;
  s.plane = (b < 0 || b >= g.N || s.he <= s.hs || s.we <= s.ws) ? -1 : (b * g.C + c) * g.H * g.W;
  return s;
}
template <typename T>
__global__ void PSROIPoolK(PSROIGeom g, const T *data, const T *rois, T *out, int req) {
  MXC_CUDA_LOOP(o, g.R * g.K * g.P * g.P) {
    const PSBin s = PSBinOf(g, rois, o);
    T v = 0;
    if (s.plane >= 0) {
      for (int64_t h = s.hs; h < s.he; ++h)
        for (int64_t w = s.ws; w < s.we; ++w) v += data[s.plane + h * g.W + w];
      v /= T((s.he - s.hs) * (s.we - s.ws));
    }
    Store(out + o, req, v);
  }
}
template <typename T>
__global__ void PSROIPoolGradK(PSROIGeom g, const T *rois, const T *og, T *dx) {
  MXC_CUDA_LOOP(o, g.R * g.K * g.P * g.P) {
    const PSBin s = PSBinOf(g, rois, o);
    if (s.plane < 0) continue;
    const T gv = og[o] / T((s.he - s.hs) * (s.we - s.ws));
    for (int64_t h = s.hs; h < s.he; ++h)
      for (int64_t w = s.ws; w < s.we; ++w) atomicAdd(dx + s.plane + h * g.W + w, gv);
  }
}

// ---- DeformablePSROIPooling: calls f(h, w) for every sample of output element o inside the image (clamped into
// it) and returns their count; *plane, *ti (the x shift's trans index, -1 without trans), *rw, *rh as the CPU's.
template <typename T, typename F>
__device__ int64_t DPSSamples(const PSROIGeom &g, const T *rois, const T *trans, int64_t o, int64_t *plane,
                              int64_t *ti, T *rw_out, T *rh_out, F f) {
  const int64_t P = g.P, G = g.G, PS = g.PS, S = g.S, H = g.H, W = g.W;
  const int64_t pw = o % P, ph = (o / P) % P, k = (o / (P * P)) % g.K, r = o / (P * P * g.K);
  const T *roi = rois + r * 5;
  const T trans_std = static_cast<T>(g.trans_std), scale = static_cast<T>(g.scale);
  const int64_t b = static_cast<int64_t>(roi[0]);
  const T x1 = static_cast<T>(Round(roi[1])) * scale - T(0.5);
  const T y1 = static_cast<T>(Round(roi[2])) * scale - T(0.5);
  const T x2 = static_cast<T>(Round(roi[3]) + 1) * scale - T(0.5);
  const T y2 = static_cast<T>(Round(roi[4]) + 1) * scale - T(0.5);
  const T rw = Max<T>(x2 - x1, T(0.1)), rh = Max<T>(y2 - y1, T(0.1));
  const T bh = rh / T(P), bw = rw / T(P), sbh = bh / T(S), sbw = bw / T(S);
  *rw_out = rw, *rh_out = rh, *ti = -1, *plane = -1;
  if (b < 0 || b >= g.N) return 0;
  const int64_t per_class = g.K / g.classes;
  const int64_t part_h = static_cast<int64_t>(Floor(T(ph) / T(P) * T(PS)));
  const int64_t part_w = static_cast<int64_t>(Floor(T(pw) / T(P) * T(PS)));
  const int64_t cls = k / per_class;
  T tx = 0, ty = 0;
  if (!g.no_trans) {
    *ti = ((r * g.classes + cls) * 2 * PS + part_h) * PS + part_w;
    tx = trans[*ti] * trans_std;
    ty = trans[*ti + PS * PS] * trans_std;
  }
  const T wstart = T(pw) * bw + x1 + tx * rw, hstart = T(ph) * bh + y1 + ty * rh;
  const int64_t gh = Clamp(ph * G / P, 0, G - 1), gw = Clamp(pw * G / P, 0, G - 1);
  const int64_t c = (k * G + gh) * G + gw;
  *plane = (b * g.C + c) * H * W;
  int64_t n = 0;
  for (int64_t ih = 0; ih < S; ++ih)
    for (int64_t iw = 0; iw < S; ++iw) {
      T w = wstart + T(iw) * sbw, h = hstart + T(ih) * sbh;
      if (w < T(-0.5) || w > T(W) - T(0.5) || h < T(-0.5) || h > T(H) - T(0.5)) continue;
      w = Min(Max(w, T(0)), T(W - 1));
      h = Min(Max(h, T(0)), T(H - 1));
      f(h, w);
      ++n;
    }
  return n;
}
template <typename T>
struct Corners {
  int64_t x0, x1, y0, y1;
  T dx, dy;
  __device__ Corners(T h, T w) {
    x0 = static_cast<int64_t>(Floor(w)), x1 = static_cast<int64_t>(Ceil(w));
    y0 = static_cast<int64_t>(Floor(h)), y1 = static_cast<int64_t>(Ceil(h));
    dx = w - T(x0), dy = h - T(y0);
  }
};
template <typename T>
__global__ void DPSK(PSROIGeom g, const T *data, const T *rois, const T *trans, T *out, int req) {
  const int64_t W = g.W;
  MXC_CUDA_LOOP(o, g.R * g.K * g.P * g.P) {
    int64_t plane, ti;
    T rw, rh, v = 0;
    // The plane is known before the first sample (set ahead of the calls).
    const T *xp = nullptr;
    const int64_t n = DPSSamples(g, rois, trans, o, &plane, &ti, &rw, &rh, [&](T h, T w) {
      if (!xp) xp = data + plane;
      const Corners<T> c(h, w);
      v += (1 - c.dx) * (1 - c.dy) * xp[c.y0 * W + c.x0] + c.dx * (1 - c.dy) * xp[c.y0 * W + c.x1] +
           (1 - c.dx) * c.dy * xp[c.y1 * W + c.x0] + c.dx * c.dy * xp[c.y1 * W + c.x1];
    });
    Store(out + o, req, n == 0 ? T(0) : v / T(n));
  }
}
// Two passes per output element: the count of its samples (for g = dy / count), then the shares.
template <typename T>
__global__ void DPSGradK(PSROIGeom g, const T *data, const T *rois, const T *trans, const T *og, T *dx, T *dt) {
  const int64_t W = g.W, PS = g.PS;
  const T trans_std = static_cast<T>(g.trans_std);
  MXC_CUDA_LOOP(o, g.R * g.K * g.P * g.P) {
    int64_t plane, ti;
    T rw, rh;
    const int64_t n = DPSSamples(g, rois, trans, o, &plane, &ti, &rw, &rh, [](T, T) {});
    if (n == 0) continue;
    const T gv = og[o] / T(n);
    const T *xp = data + plane;
    DPSSamples(g, rois, trans, o, &plane, &ti, &rw, &rh, [&](T h, T w) {
      const Corners<T> c(h, w);
      if (dx) {
        T *d = dx + plane;
        atomicAdd(d + c.y0 * W + c.x0, (1 - c.dx) * (1 - c.dy) * gv);
        atomicAdd(d + c.y0 * W + c.x1, c.dx * (1 - c.dy) * gv);
        atomicAdd(d + c.y1 * W + c.x0, (1 - c.dx) * c.dy * gv);
        atomicAdd(d + c.y1 * W + c.x1, c.dx * c.dy * gv);
      }
      if (dt && ti >= 0) {
        const T u00 = xp[c.y0 * W + c.x0], u01 = xp[c.y0 * W + c.x1], u10 = xp[c.y1 * W + c.x0],
                u11 = xp[c.y1 * W + c.x1];
        const T gx = ((u01 - u00) * (1 - c.dy) + (u11 - u10) * c.dy) * trans_std * gv * rw;
        const T gy = ((u10 - u00) * (1 - c.dx) + (u11 - u01) * c.dx) * trans_std * gv * rh;
        atomicAdd(dt + ti, gx);
        atomicAdd(dt + ti + PS * PS, gy);
      }
    });
  }
}

}  // namespace

void AffineGrid(int dtype, const void *theta, void *grid, int64_t N, int64_t H, int64_t W, int req, cudaStream_t s) {
  if (N * H * W == 0 || req == 0) return;
  MXC_CUDA_REAL_SWITCH(dtype, T, {
    MXC_LAUNCH(Blocks(N * H * W), kThreads, 0, s, AffineGridK<T>)(static_cast<const T *>(theta),
                                                                   static_cast<T *>(grid), N, H, W, req);
  });
}

void AffineGridGrad(int dtype, const void *og, void *dtheta, int64_t N, int64_t H, int64_t W, int req,
                    cudaStream_t s) {
  if (N == 0 || req == 0) return;
  MXC_CUDA_REAL_SWITCH(dtype, T, {
    MXC_LAUNCH(Blocks(N * 6), kThreads, 0, s, AffineGridGradK<T>)(static_cast<const T *>(og),
                                                                   static_cast<T *>(dtheta), N, H, W, req);
  });
}

void WarpGrid(int dtype, const void *flow, void *grid, int64_t N, int64_t H, int64_t W, int req, cudaStream_t s) {
  if (N * H * W == 0 || req == 0) return;
  MXC_CUDA_REAL_SWITCH(dtype, T, {
    MXC_LAUNCH(Blocks(N * H * W), kThreads, 0, s, WarpGridK<T>)(static_cast<const T *>(flow), static_cast<T *>(grid),
                                                                 N, H, W, req);
  });
}

void WarpGridGrad(int dtype, const void *og, void *dflow, int64_t N, int64_t H, int64_t W, int req, cudaStream_t s) {
  if (N * H * W == 0 || req == 0) return;
  MXC_CUDA_REAL_SWITCH(dtype, T, {
    MXC_LAUNCH(Blocks(N * 2 * H * W), kThreads, 0, s, WarpGridGradK<T>)(static_cast<const T *>(og),
                                                                         static_cast<T *>(dflow), N, H, W, req);
  });
}

void BilinearSample(int dtype, const SamplerGeom &g, const void *data, const void *grid, void *out, int req,
                    cudaStream_t s) {
  const int64_t n = g.N * g.C * g.Ho * g.Wo;
  if (n == 0 || req == 0) return;
  MXC_CUDA_REAL_SWITCH(dtype, T, {
    MXC_LAUNCH(Blocks(n), kThreads, 0, s, SampleK<T>)(g, static_cast<const T *>(data), static_cast<const T *>(grid),
                                                       static_cast<T *>(out), req);
  });
}

void BilinearSampleGrad(int dtype, const SamplerGeom &g, const void *data, const void *grid, const void *og,
                        void *ddata, void *dgrid, int greq, cudaStream_t s) {
  const int64_t n = g.N * g.Ho * g.Wo;
  if (n == 0 || (!ddata && !dgrid)) return;
  MXC_CUDA_REAL_SWITCH(dtype, T, {
    MXC_LAUNCH(Blocks(n), kThreads, 0, s, SampleGradK<T>)(g, static_cast<const T *>(data),
                                                           static_cast<const T *>(grid), static_cast<const T *>(og),
                                                           static_cast<T *>(ddata), static_cast<T *>(dgrid), greq);
  });
}

void ROIPool(int dtype, const ROIPoolGeom &g, const void *data, const void *rois, void *out, int req, cudaStream_t s) {
  const int64_t n = g.R * g.C * g.PH * g.PW;
  if (n == 0 || req == 0) return;
  MXC_CUDA_REAL_SWITCH(dtype, T, {
    MXC_LAUNCH(Blocks(n), kThreads, 0, s, ROIPoolK<T>)(g, static_cast<const T *>(data), static_cast<const T *>(rois),
                                                        static_cast<T *>(out), req);
  });
}

void ROIPoolGrad(int dtype, const ROIPoolGeom &g, const void *data, const void *rois, const void *og, void *ddata,
                 cudaStream_t s) {
  const int64_t n = g.R * g.C * g.PH * g.PW;
  if (n == 0) return;
  MXC_CUDA_REAL_SWITCH(dtype, T, {
    MXC_LAUNCH(Blocks(n), kThreads, 0, s, ROIPoolGradK<T>)(g, static_cast<const T *>(data),
                                                            static_cast<const T *>(rois), static_cast<const T *>(og),
                                                            static_cast<T *>(ddata));
  });
}

void ROIAlign(int dtype, const ROIAlignGeom &g, const void *data, const void *rois, void *out, int req,
              cudaStream_t s) {
  const int64_t n = g.R * g.Co * g.PH * g.PW;
  if (n == 0 || req == 0) return;
  MXC_CUDA_REAL_SWITCH(dtype, T, {
    MXC_LAUNCH(Blocks(n), kThreads, 0, s, ROIAlignK<T>)(g, static_cast<const T *>(data), static_cast<const T *>(rois),
                                                         static_cast<T *>(out), req);
  });
}

void ROIAlignGrad(int dtype, const ROIAlignGeom &g, const void *rois, const void *og, void *ddata, cudaStream_t s) {
  const int64_t n = g.R * g.Co * g.PH * g.PW;
  if (n == 0) return;
  MXC_CUDA_REAL_SWITCH(dtype, T, {
    MXC_LAUNCH(Blocks(n), kThreads, 0, s, ROIAlignGradK<T>)(g, static_cast<const T *>(rois),
                                                             static_cast<const T *>(og), static_cast<T *>(ddata));
  });
}

void PSROIPool(int dtype, const PSROIGeom &g, const void *data, const void *rois, void *out, int req, cudaStream_t s) {
  const int64_t n = g.R * g.K * g.P * g.P;
  if (n == 0 || req == 0) return;
  MXC_CUDA_REAL_SWITCH(dtype, T, {
    MXC_LAUNCH(Blocks(n), kThreads, 0, s, PSROIPoolK<T>)(g, static_cast<const T *>(data),
                                                          static_cast<const T *>(rois), static_cast<T *>(out), req);
  });
}

void PSROIPoolGrad(int dtype, const PSROIGeom &g, const void *rois, const void *og, void *ddata, cudaStream_t s) {
  const int64_t n = g.R * g.K * g.P * g.P;
  if (n == 0) return;
  MXC_CUDA_REAL_SWITCH(dtype, T, {
    MXC_LAUNCH(Blocks(n), kThreads, 0, s, PSROIPoolGradK<T>)(g, static_cast<const T *>(rois),
                                                              static_cast<const T *>(og), static_cast<T *>(ddata));
  });
}

void DeformablePSROIPool(int dtype, const PSROIGeom &g, const void *data, const void *rois, const void *trans,
                         void *out, int req, cudaStream_t s) {
  const int64_t n = g.R * g.K * g.P * g.P;
  if (n == 0 || req == 0) return;
  MXC_CUDA_REAL_SWITCH(dtype, T, {
    MXC_LAUNCH(Blocks(n), kThreads, 0, s, DPSK<T>)(g, static_cast<const T *>(data), static_cast<const T *>(rois),
                                                    static_cast<const T *>(trans), static_cast<T *>(out), req);
  });
}

void DeformablePSROIPoolGrad(int dtype, const PSROIGeom &g, const void *data, const void *rois, const void *trans,
                             const void *og, void *ddata, void *dtrans, cudaStream_t s) {
  const int64_t n = g.R * g.K * g.P * g.P;
  if (n == 0 || (!ddata && !dtrans)) return;
  MXC_CUDA_REAL_SWITCH(dtype, T, {
    MXC_LAUNCH(Blocks(n), kThreads, 0, s, DPSGradK<T>)(g, static_cast<const T *>(data), static_cast<const T *>(rois),
                                                        static_cast<const T *>(trans), static_cast<const T *>(og),
                                                        static_cast<T *>(ddata), static_cast<T *>(dtrans));
  });
}

// ---------------------------------------------------------------------------------------------------------------
// im2col / col2im, Crop, _split_v2, SVMOutput, softmax_cross_entropy, _histogram, _cvcopyMakeBorder
// ---------------------------------------------------------------------------------------------------------------
namespace {

template <typename T>
__global__ void Im2colK(ColGeom g, const T *img, T *cols, int req) {
  const int64_t K = g.k[0] * g.k[1] * g.k[2], L = g.out[0] * g.out[1] * g.out[2], In = g.in[0] * g.in[1] * g.in[2];
  MXC_CUDA_LOOP(e, g.N * g.C * K * L) {
    const int64_t l = e % L, row = (e / L) % (g.C * K), n = e / (L * g.C * K);
    const int64_t c = row / K, kr = row % K;
    const int64_t ka = kr / (g.k[1] * g.k[2]), kb = (kr / g.k[2]) % g.k[1], kc = kr % g.k[2];
    const int64_t a = l / (g.out[1] * g.out[2]), b = (l / g.out[2]) % g.out[1], d = l % g.out[2];
    const int64_t ia = a * g.s[0] - g.pd[0] + ka * g.dl[0];
    const int64_t ib = b * g.s[1] - g.pd[1] + kb * g.dl[1];
    const int64_t ic = d * g.s[2] - g.pd[2] + kc * g.dl[2];
    const bool inside = ia >= 0 && ia < g.in[0] && ib >= 0 && ib < g.in[1] && ic >= 0 && ic < g.in[2];
    Store(cols + e, req, inside ? img[(n * g.C + c) * In + (ia * g.in[1] + ib) * g.in[2] + ic] : T(0));
  }
}
// The block index along axis x whose kernel offset kx reads image index i, or -1.
__device__ __forceinline__ int64_t BlockOf(const ColGeom &g, int x, int64_t i, int64_t kx) {
  const int64_t t = i + g.pd[x] - kx * g.dl[x];
  if (t < 0 || t % g.s[x]) return -1;
  const int64_t a = t / g.s[x];
  return a < g.out[x] ? a : -1;
}
template <typename T>
__global__ void Col2imK(ColGeom g, const T *cols, T *img, int req) {
  const int64_t K = g.k[0] * g.k[1] * g.k[2], L = g.out[0] * g.out[1] * g.out[2], In = g.in[0] * g.in[1] * g.in[2];
  MXC_CUDA_LOOP(e, g.N * g.C * In) {
    const int64_t ic = e % g.in[2], ib = (e / g.in[2]) % g.in[1], ia = (e / (g.in[1] * g.in[2])) % g.in[0];
    const int64_t nc = e / In;  // n * C + c
    const T *col = cols + nc * K * L;
    T acc = req == 3 ? img[e] : T(0);
    for (int64_t ka = 0; ka < g.k[0]; ++ka) {
      const int64_t a = BlockOf(g, 0, ia, ka);
      if (a < 0) continue;
      for (int64_t kb = 0; kb < g.k[1]; ++kb) {
        const int64_t b = BlockOf(g, 1, ib, kb);
        if (b < 0) continue;
        for (int64_t kc = 0; kc < g.k[2]; ++kc) {
          const int64_t d = BlockOf(g, 2, ic, kc);
          if (d < 0) continue;
          acc += col[((ka * g.k[1] + kb) * g.k[2] + kc) * L + (a * g.out[1] + b) * g.out[2] + d];
        }
      }
    }
    if (req != 0) img[e] = acc;
  }
}

template <typename T>
__global__ void CropK(const T *big, T *win, int64_t planes, int64_t H, int64_t W, int64_t h, int64_t w, int64_t oy,
                      int64_t ox, bool to_window, int req) {
  MXC_CUDA_LOOP(e, planes * h * w) {
    const int64_t x = e % w, y = (e / w) % h, pl = e / (w * h);
    const int64_t bi = (pl * H + y + oy) * W + x + ox;
    if (to_window) Store(win + e, req, big[bi]);
    else Store(const_cast<T *>(big) + bi, req, win[e]);
  }
}
template <typename T>
__global__ void AxisPartK(const T *big, T *part, int64_t outer, int64_t n, int64_t begin, int64_t len, int64_t inner,
                          bool to_part, int req) {
  MXC_CUDA_LOOP(e, outer * len * inner) {
    const int64_t o = e / (len * inner), k = e % (len * inner);
    const int64_t bi = (o * n + begin) * inner + k;
    if (to_part) Store(part + e, req, big[bi]);
    else Store(const_cast<T *>(big) + bi, req, part[e]);
  }
}

template <typename T>
__global__ void SVMGradK(const T *x, const T *label, T *dx, int64_t N, int64_t C, int64_t inner, double margin,
                         double reg, bool linear, int req) {
  MXC_CUDA_LOOP(e, N * C * inner) {
    const int64_t s = e % inner, c = (e / inner) % C, n = e / (inner * C);
    const int64_t y = static_cast<int64_t>(label[n * inner + s]);
    const double v = static_cast<double>(x[e]);
    double g;
    if (c == y) {
      const double h = margin - v;
      g = h > 0 ? -reg * (linear ? 1.0 : 2.0 * h) : 0.0;
    } else {
      const double h = margin + v;
      g = h > 0 ? reg * (linear ? 1.0 : 2.0 * h) : 0.0;
    }
    Store(dx + e, req, static_cast<T>(g));
  }
}

// Row n's maximum and sum of exp(x - max).
template <typename T>
__device__ void SoftmaxRow(const T *r, int64_t C, double *m_out, double *s_out) {
  double m = static_cast<double>(r[0]);
  for (int64_t c = 1; c < C; ++c) m = Max(m, static_cast<double>(r[c]));
  double s = 0;
  for (int64_t c = 0; c < C; ++c) s += exp(static_cast<double>(r[c]) - m);
  *m_out = m, *s_out = s;
}
template <typename T>
__global__ void SoftmaxCENllK(const T *x, const int64_t *label, double *nll, int64_t N, int64_t C) {
  MXC_CUDA_LOOP(n, N) {
    const T *r = x + n * C;
    double m, s;
    SoftmaxRow(r, C, &m, &s);
    nll[n] = m + log(s) - static_cast<double>(r[label[n]]);
  }
}
template <typename T>
__global__ void SumNllK(const double *nll, int64_t N, T *out, int req) {
  if (blockIdx.x != 0 || threadIdx.x != 0) return;
  double total = 0;
  for (int64_t n = 0; n < N; ++n) total += nll[n];
  Store(out, req, static_cast<T>(total));
}
template <typename T>
__global__ void SoftmaxCEGradK(const T *x, const int64_t *label, const T *og, T *dx, int64_t N, int64_t C, int req) {
  const double g = static_cast<double>(og[0]);
  MXC_CUDA_LOOP(n, N) {
    const T *r = x + n * C;
    double m, s;
    SoftmaxRow(r, C, &m, &s);
    const int64_t y = label[n];
    for (int64_t c = 0; c < C; ++c) {
      const double prob = exp(static_cast<double>(r[c]) - m) / s;
      Store(dx + n * C + c, req, static_cast<T>(g * (prob - (c == y))));
    }
  }
}

template <typename T>
__global__ void HistCountK(const T *x, int64_t n, const double *edges, int64_t nb, bool uniform,
                           unsigned long long *counts) {
  MXC_CUDA_LOOP(i, n) {
    const double v = static_cast<double>(x[i]);
    if (!(v >= edges[0] && v <= edges[nb])) continue;
    int64_t k;
    if (uniform) {
      k = static_cast<int64_t>((v - edges[0]) / (edges[nb] - edges[0]) * static_cast<double>(nb));
      k = Clamp(k, 0, nb - 1);
    } else {  // the last edge <= v (the first edge > v, less one)
      int64_t lo = 0, hi = nb + 1;
      while (lo < hi) {
        const int64_t mid = (lo + hi) / 2;
        if (edges[mid] > v) hi = mid;
        else lo = mid + 1;
      }
      k = Min<int64_t>(lo - 1, nb - 1);
    }
    atomicAdd(counts + k, 1ull);
  }
}
template <typename T>
__global__ void HistWriteK(const unsigned long long *counts, const double *edges, int64_t nb, int64_t *h, int hreq,
                           T *e, int ereq) {
  MXC_CUDA_LOOP(i, nb + 1) {
    if (i < nb) Store(h + i, hreq, static_cast<int64_t>(counts[i]));
    Store(e + i, ereq, static_cast<T>(edges[i]));
  }
}

template <typename T>
__global__ void MakeBorderK(const T *x, T *y, const int64_t *rows, const int64_t *cols, const T *fill, int64_t W,
                            int64_t OH, int64_t OW, int64_t C, int req) {
  MXC_CUDA_LOOP(e, OH * OW * C) {
    const int64_t k = e % C, c = (e / C) % OW, r = e / (C * OW);
    const bool inside = rows[r] >= 0 && cols[c] >= 0;
    const T v = inside ? x[(rows[r] * W + cols[c]) * C + k] : fill[k];
    y[e] = req == 3 ? static_cast<T>(y[e] + v) : v;
  }
}

}  // namespace

void Im2col(int dtype, const ColGeom &g, const void *img, void *cols, int req, cudaStream_t s) {
  const int64_t n = g.N * g.C * g.k[0] * g.k[1] * g.k[2] * g.out[0] * g.out[1] * g.out[2];
  if (n == 0 || req == 0) return;
  MXC_CUDA_REAL_SWITCH(dtype, T, {
    MXC_LAUNCH(Blocks(n), kThreads, 0, s, Im2colK<T>)(g, static_cast<const T *>(img), static_cast<T *>(cols), req);
  });
}

void Col2im(int dtype, const ColGeom &g, const void *cols, void *img, int req, cudaStream_t s) {
  const int64_t n = g.N * g.C * g.in[0] * g.in[1] * g.in[2];
  if (n == 0 || req == 0) return;
  MXC_CUDA_REAL_SWITCH(dtype, T, {
    MXC_LAUNCH(Blocks(n), kThreads, 0, s, Col2imK<T>)(g, static_cast<const T *>(cols), static_cast<T *>(img), req);
  });
}

void CropCopy(int dtype, const void *big, void *win, int64_t planes, int64_t H, int64_t W, int64_t h, int64_t w,
              int64_t oy, int64_t ox, bool to_window, int req, cudaStream_t s) {
  const int64_t n = planes * h * w;
  if (n == 0 || req == 0) return;
  MXC_CUDA_NUMERIC_SWITCH(dtype, T, {
    MXC_LAUNCH(Blocks(n), kThreads, 0, s, CropK<T>)(static_cast<const T *>(big), static_cast<T *>(win), planes, H, W,
                                                     h, w, oy, ox, to_window, req);
  });
}

void AxisPartCopy(int dtype, const void *big, void *part, int64_t outer, int64_t n, int64_t begin, int64_t len,
                  int64_t inner, bool to_part, int req, cudaStream_t s) {
  const int64_t total = outer * len * inner;
  if (total == 0 || req == 0) return;
  MXC_CUDA_NUMERIC_SWITCH(dtype, T, {
    MXC_LAUNCH(Blocks(total), kThreads, 0, s, AxisPartK<T>)(static_cast<const T *>(big), static_cast<T *>(part),
                                                             outer, n, begin, len, inner, to_part, req);
  });
}

void SVMGrad(int dtype, const void *x, const void *label, void *dx, int64_t N, int64_t C, int64_t inner, double margin,
             double reg, bool linear, int req, cudaStream_t s) {
  const int64_t n = N * C * inner;
  if (n == 0 || req == 0) return;
  MXC_CUDA_REAL_SWITCH(dtype, T, {
    MXC_LAUNCH(Blocks(n), kThreads, 0, s, SVMGradK<T>)(static_cast<const T *>(x), static_cast<const T *>(label),
                                                        static_cast<T *>(dx), N, C, inner, margin, reg, linear, req);
  });
}

void SoftmaxCENll(int dtype, const void *x, const int64_t *label, double *nll, void *out, int64_t N, int64_t C,
                  int req, cudaStream_t s) {
  if (req == 0) return;
  MXC_CUDA_REAL_SWITCH(dtype, T, {
    if (N > 0 && C > 0)
      MXC_LAUNCH(Blocks(N), kThreads, 0, s, SoftmaxCENllK<T>)(static_cast<const T *>(x), label, nll, N, C);
    MXC_LAUNCH(1, 1, 0, s, SumNllK<T>)(nll, C > 0 ? N : 0, static_cast<T *>(out), req);
  });
}

void SoftmaxCEGrad(int dtype, const void *x, const int64_t *label, const void *og, void *dx, int64_t N, int64_t C,
                   int req, cudaStream_t s) {
  if (N * C == 0 || req == 0) return;
  MXC_CUDA_REAL_SWITCH(dtype, T, {
    MXC_LAUNCH(Blocks(N), kThreads, 0, s, SoftmaxCEGradK<T>)(static_cast<const T *>(x), label,
                                                              static_cast<const T *>(og), static_cast<T *>(dx), N, C,
                                                              req);
  });
}

void HistCount(int dtype, const void *x, int64_t n, const double *edges, int64_t nb, bool uniform,
               unsigned long long *counts, cudaStream_t s) {
  if (n == 0 || nb == 0) return;
  MXC_CUDA_NUMERIC_SWITCH(dtype, T, {
    MXC_LAUNCH(Blocks(n), kThreads, 0, s, HistCountK<T>)(static_cast<const T *>(x), n, edges, nb, uniform, counts);
  });
}

void HistWrite(int dtype, const unsigned long long *counts, const double *edges, int64_t nb, void *h, int hreq,
               void *e, int ereq, cudaStream_t s) {
  MXC_CUDA_NUMERIC_SWITCH(dtype, T, {
    MXC_LAUNCH(Blocks(nb + 1), kThreads, 0, s, HistWriteK<T>)(counts, edges, nb, static_cast<int64_t *>(h), hreq,
                                                               static_cast<T *>(e), ereq);
  });
}

void MakeBorder(int dtype, const void *x, void *y, const int64_t *rows, const int64_t *cols, const void *fill,
                int64_t W, int64_t OH, int64_t OW, int64_t C, int req, cudaStream_t s) {
  const int64_t n = OH * OW * C;
  if (n == 0 || req == 0) return;
  MXC_CUDA_NUMERIC_SWITCH(dtype, T, {
    MXC_LAUNCH(Blocks(n), kThreads, 0, s, MakeBorderK<T>)(static_cast<const T *>(x), static_cast<T *>(y), rows, cols,
                                                           static_cast<const T *>(fill), W, OH, OW, C, req);
  });
}

}  // namespace cuda
}  // namespace mxc
