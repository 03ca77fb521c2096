// 3-D im2col / col2im and pooling kernels (kernels_conv3d.cuh).
#include <cfloat>
#include <cmath>

#include "common.cuh"
#include "kernels.cuh"
#include "kernels_conv3d.cuh"

namespace mxc {
namespace cuda {

// col row (c, a, i, j) holds, for every image n and output position (z, y, x), the input element that kernel tap
// (a, i, j) of channel c reads there.
template <typename T>
__global__ void Im2Col3K(const T *d, int64_t N, int64_t C, Win3 g, T *col) {
  const int64_t vol = g.od * g.oh * g.ow, taps = int64_t(g.kd) * g.kh * g.kw;
  MXC_CUDA_LOOP(idx, C * taps * N * vol) {
    int64_t x = idx % g.ow, y = (idx / g.ow) % g.oh, z = (idx / (g.ow * g.oh)) % g.od;
    int64_t n = (idx / vol) % N, r = idx / (vol * N);
    int j = static_cast<int>(r % g.kw), i = static_cast<int>((r / g.kw) % g.kh),
        a = static_cast<int>((r / (int64_t(g.kw) * g.kh)) % g.kd);
    int64_t c = r / taps;
    int64_t dz = z * g.sd - g.pd + int64_t(a) * g.dd, hy = y * g.sh - g.ph + int64_t(i) * g.dh,
            wx = x * g.sw - g.pw + int64_t(j) * g.dw;
    col[idx] = (dz >= 0 && dz < g.D && hy >= 0 && hy < g.H && wx >= 0 && wx < g.W)
                   ? d[(((n * C + c) * g.D + dz) * g.H + hy) * g.W + wx]
                   : T(0);
  }
}
// One thread per data element: gathers every column entry that reads it.
template <typename T>
__global__ void Col2Im3K(const T *col, int64_t N, int64_t C, Win3 g, T *d, bool add) {
  MXC_CUDA_LOOP(idx, N * C * g.D * g.H * g.W) {
    int64_t wx = idx % g.W, hy = (idx / g.W) % g.H, dz = (idx / (g.W * g.H)) % g.D;
    int64_t nc = idx / (g.W * g.H * g.D), c = nc % C, n = nc / C;
    T acc = T(0);
    for (int a = 0; a < g.kd; ++a) {
      int64_t tz = dz + g.pd - int64_t(a) * g.dd;
      if (tz < 0 || tz % g.sd) continue;
      int64_t z = tz / g.sd;
      if (z >= g.od) continue;
      for (int i = 0; i < g.kh; ++i) {
        int64_t ty = hy + g.ph - int64_t(i) * g.dh;
        if (ty < 0 || ty % g.sh) continue;
        int64_t y = ty / g.sh;
        if (y >= g.oh) continue;
        for (int j = 0; j < g.kw; ++j) {
          int64_t tx = wx + g.pw - int64_t(j) * g.dw;
          if (tx < 0 || tx % g.sw) continue;
          int64_t x = tx / g.sw;
          if (x >= g.ow) continue;
          acc += col[(((((c * g.kd + a) * g.kh + i) * g.kw + j) * N + n) * g.od + z) * g.oh * g.ow + y * g.ow + x];
        }
      }
    }
    d[idx] = add ? d[idx] + acc : acc;
  }
}
void Im2Col3D(int dtype, const void *data, int64_t N, int64_t C, const Win3 &g, void *col, cudaStream_t s) {
  int64_t n = C * g.kd * g.kh * g.kw * N * g.od * g.oh * g.ow;
  if (n == 0) return;
  MXC_CUDA_REAL_SWITCH(dtype, T, {
    MXC_LAUNCH(Blocks(n), kThreads, 0, s, Im2Col3K<T>)(static_cast<const T *>(data), N, C, g, static_cast<T *>(col));
  });
}
void Col2Im3D(int dtype, const void *col, int64_t N, int64_t C, const Win3 &g, void *data, bool add, cudaStream_t s) {
  int64_t n = N * C * g.D * g.H * g.W;
  if (n == 0) return;
  MXC_CUDA_REAL_SWITCH(dtype, T, {
    MXC_LAUNCH(Blocks(n), kThreads, 0, s, Col2Im3K<T>)(static_cast<const T *>(col), N, C, g, static_cast<T *>(data),
                                                       add);
  });
}

// The window of output (z, y, x): its clipped bounds [zs, ze) x [ys, ye) x [xs, xe) and the divisor of avg.
struct Box {
  int64_t zs, ze, ys, ye, xs, xe, div;
};
__device__ __forceinline__ Box Window(const Win3 &g, int64_t z, int64_t y, int64_t x, bool cip) {
  int64_t z0 = z * g.sd - g.pd, y0 = y * g.sh - g.ph, x0 = x * g.sw - g.pw;
  int64_t z1 = min(z0 + g.kd, g.D + g.pd), y1 = min(y0 + g.kh, g.H + g.ph), x1 = min(x0 + g.kw, g.W + g.pw);
  Box b;
  b.zs = max(z0, int64_t(0)), b.ys = max(y0, int64_t(0)), b.xs = max(x0, int64_t(0));
  b.ze = min(z1, g.D), b.ye = min(y1, g.H), b.xe = min(x1, g.W);
  b.div = cip ? (z1 - z0) * (y1 - y0) * (x1 - x0) : (b.ze - b.zs) * (b.ye - b.ys) * (b.xe - b.xs);
  return b;
}
template <typename T>
__global__ void Pool3K(int type, const T *x, T *y, int64_t NC, Win3 g, bool cip, int req) {
  const int64_t vol = g.od * g.oh * g.ow;
  MXC_CUDA_LOOP(idx, NC * vol) {
    int64_t ox = idx % g.ow, oy = (idx / g.ow) % g.oh, oz = (idx / (g.ow * g.oh)) % g.od, p = idx / vol;
    const T *xp = x + p * g.D * g.H * g.W;
    Box b = Window(g, oz, oy, ox, cip);
    T acc = type == 0 ? T(-INFINITY) : T(0);
    for (int64_t zz = b.zs; zz < b.ze; ++zz)
      for (int64_t yy = b.ys; yy < b.ye; ++yy)
        for (int64_t xx = b.xs; xx < b.xe; ++xx) {
          T v = xp[(zz * g.H + yy) * g.W + xx];
          if (type == 0) acc = v > acc ? v : acc;
          else acc += v;
        }
    if (type == 1) acc /= static_cast<T>(b.div);
    Store(y + idx, req, acc);
  }
}
template <typename T>
__global__ void Pool3GradK(int type, const T *x, const T *y, const T *gy, T *gx, int64_t NC, Win3 g, bool cip) {
  const int64_t vol = g.od * g.oh * g.ow;
  MXC_CUDA_LOOP(idx, NC * vol) {
    int64_t ox = idx % g.ow, oy = (idx / g.ow) % g.oh, oz = (idx / (g.ow * g.oh)) % g.od, p = idx / vol;
    const int64_t plane = g.D * g.H * g.W;
    T *gp = gx + p * plane;
    Box b = Window(g, oz, oy, ox, cip);
    T gv = gy[idx];
    if (type == 0) {
      const T *xp = x + p * plane;
      T m = y[idx];
      bool done = false;
      for (int64_t zz = b.zs; zz < b.ze && !done; ++zz)
        for (int64_t yy = b.ys; yy < b.ye && !done; ++yy)
          for (int64_t xx = b.xs; xx < b.xe && !done; ++xx)
            if (xp[(zz * g.H + yy) * g.W + xx] == m) {
              atomicAdd(gp + (zz * g.H + yy) * g.W + xx, gv);
              done = true;
            }
    } else {
      if (type == 1) gv /= static_cast<T>(b.div);
      for (int64_t zz = b.zs; zz < b.ze; ++zz)
        for (int64_t yy = b.ys; yy < b.ye; ++yy)
          for (int64_t xx = b.xs; xx < b.xe; ++xx) atomicAdd(gp + (zz * g.H + yy) * g.W + xx, gv);
    }
  }
}
void Pool3D(int dtype, int type, const void *x, void *y, int64_t NC, const Win3 &g, bool count_include_pad, int req,
            cudaStream_t s) {
  int64_t n = NC * g.od * g.oh * g.ow;
  if (n == 0 || req == 0) return;
  MXC_CUDA_REAL_SWITCH(dtype, T, {
    MXC_LAUNCH(Blocks(n), kThreads, 0, s, Pool3K<T>)(type, static_cast<const T *>(x), static_cast<T *>(y), NC, g,
                                                     count_include_pad, req);
  });
}
void Pool3DGrad(int dtype, int type, const void *x, const void *y, const void *gy, void *gx, int64_t NC, const Win3 &g,
                bool count_include_pad, int req, cudaStream_t s) {
  if (req == 0) return;
  size_t es = dtype == kF64 ? 8 : 4;
  if (req != 3) cudaMemsetAsync(gx, 0, NC * g.D * g.H * g.W * es, s);
  int64_t n = NC * g.od * g.oh * g.ow;
  if (n == 0) return;
  MXC_CUDA_REAL_SWITCH(dtype, T, {
    MXC_LAUNCH(Blocks(n), kThreads, 0, s, Pool3GradK<T>)(type, static_cast<const T *>(x), static_cast<const T *>(y),
                                                         static_cast<const T *>(gy), static_cast<T *>(gx), NC, g,
                                                         count_include_pad);
  });
}

}  // namespace cuda
}  // namespace mxc
