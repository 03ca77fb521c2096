// GEMM fallback, bias, softmax, im2col/col2im, pooling and optimizer kernels.
#include <cfloat>
#include <cmath>

#include "common.cuh"
#include "kernels.cuh"

namespace mxc {
namespace cuda {

// ------------------------------------------------------------------------------------------------- GEMM (tiled)
constexpr int kTile = 16;
template <typename T>
__global__ void GemmK(bool ta, bool tb, int64_t M, int64_t N, int64_t K, T alpha, const T *A, int64_t lda,
                      const T *B, int64_t ldb, T beta, T *C, int64_t ldc) {
  __shared__ T as[kTile][kTile + 1], bs[kTile][kTile + 1];
  const int64_t col = static_cast<int64_t>(blockIdx.x) * kTile + threadIdx.x, mtiles = (M + kTile - 1) / kTile;
  // Row tiles stride by gridDim.y (at most 65535 y blocks); the loop bounds are the block's, so every thread reaches
  // the barriers.
  for (int64_t rt = blockIdx.y; rt < mtiles; rt += gridDim.y) {
    const int64_t row = rt * kTile + threadIdx.y;
    T acc = T(0);
    for (int64_t k0 = 0; k0 < K; k0 += kTile) {
      int64_t ka = k0 + threadIdx.x, kb = k0 + threadIdx.y;
      as[threadIdx.y][threadIdx.x] = (row < M && ka < K) ? (ta ? A[ka * lda + row] : A[row * lda + ka]) : T(0);
      bs[threadIdx.y][threadIdx.x] = (kb < K && col < N) ? (tb ? B[col * ldb + kb] : B[kb * ldb + col]) : T(0);
      __syncthreads();
      for (int k = 0; k < kTile; ++k) acc += as[threadIdx.y][k] * bs[k][threadIdx.x];
      __syncthreads();
    }
    if (row < M && col < N) {
      T *c = C + row * ldc + col;
      *c = beta == T(0) ? alpha * acc : alpha * acc + beta * *c;
    }
  }
}

void Gemm(int dtype, bool ta, bool tb, int64_t M, int64_t N, int64_t K, double alpha, const void *A, int64_t lda,
          const void *B, int64_t ldb, double beta, void *C, int64_t ldc, cudaStream_t s) {
  if (M == 0 || N == 0) return;
  const int64_t mtiles = (M + kTile - 1) / kTile;
  dim3 grid(static_cast<unsigned>((N + kTile - 1) / kTile), static_cast<unsigned>(mtiles < 65535 ? mtiles : 65535));
  dim3 block(kTile, kTile);
  MXC_CUDA_REAL_SWITCH(dtype, T, {
    MXC_LAUNCH_BLOCK(grid, block, 0, s, GemmK<T>)(ta, tb, M, N, K, static_cast<T>(alpha), static_cast<const T *>(A), lda,
                                    static_cast<const T *>(B), ldb, static_cast<T>(beta), static_cast<T *>(C), ldc);
  });
}

template <typename T>
__global__ void BiasRowsK(const T *b, T *o, int64_t rows, int64_t cols, int req) {
  MXC_CUDA_LOOP(i, rows * cols) Store(o + i, req, b[i % cols]);
}
void BiasRows(int dtype, const void *bias, void *out, int64_t rows, int64_t cols, int req, cudaStream_t s) {
  if (rows * cols == 0 || req == 0) return;
  MXC_CUDA_REAL_SWITCH(dtype, T, {
    MXC_LAUNCH(Blocks(rows * cols), kThreads, 0, s, BiasRowsK<T>)(static_cast<const T *>(bias), static_cast<T *>(out), rows,
                                                         cols, req);
  });
}

// One block per channel c: sum over (outer, inner).
template <typename T>
__global__ void SumKeepAxisK(const T *x, T *o, int64_t outer, int64_t C, int64_t inner, int req) {
  __shared__ T red[kThreads];
  int64_t c = blockIdx.x;
  T acc = T(0);
  for (int64_t j = threadIdx.x; j < outer * inner; j += blockDim.x) {
    int64_t on = j / inner, in = j % inner;
    acc += x[(on * C + c) * inner + in];
  }
  red[threadIdx.x] = acc;
  __syncthreads();
  for (int w = kThreads / 2; w > 0; w >>= 1) {
    if (threadIdx.x < w) red[threadIdx.x] += red[threadIdx.x + w];
    __syncthreads();
  }
  if (threadIdx.x == 0) Store(o + c, req, red[0]);
}
void SumKeepAxis(int dtype, const void *x, void *out, int64_t outer, int64_t C, int64_t inner, int req,
                 cudaStream_t s) {
  if (C == 0 || req == 0) return;
  MXC_CUDA_REAL_SWITCH(dtype, T, {
    MXC_LAUNCH_BLOCK(static_cast<unsigned>(C), kThreads, 0, s, SumKeepAxisK<T>)(static_cast<const T *>(x), static_cast<T *>(out),
                                                                  outer, C, inner, req);
  });
}

// ------------------------------------------------------------------------------------------------- softmax
// One thread per (outer, inner) row; rows are usually short (classes).
template <typename T>
__global__ void SoftmaxK(const T *x, T *y, int64_t outer, int64_t n, int64_t inner, T invt, bool lg, int req) {
  MXC_CUDA_LOOP(r, outer * inner) {
    int64_t o = r / inner, i = r % inner;
    const T *xr = x + o * n * inner + i;
    T *yr = y + o * n * inner + i;
    T m = -INFINITY;
    for (int64_t j = 0; j < n; ++j) m = max(m, xr[j * inner] * invt);
    T sum = T(0);
    for (int64_t j = 0; j < n; ++j) sum += exp(xr[j * inner] * invt - m);
    T ls = log(sum);
    for (int64_t j = 0; j < n; ++j) {
      T z = xr[j * inner] * invt - m;
      Store(yr + j * inner, req, lg ? z - ls : exp(z) / sum);
    }
  }
}
void Softmax(int dtype, const void *x, void *y, int64_t outer, int64_t n, int64_t inner, double temperature, bool log,
             int req, cudaStream_t s) {
  if (outer * n * inner == 0 || req == 0) return;
  MXC_CUDA_REAL_SWITCH(dtype, T, {
    MXC_LAUNCH(Blocks(outer * inner), kThreads, 0, s, SoftmaxK<T>)(static_cast<const T *>(x), static_cast<T *>(y), outer, n,
                                                           inner, static_cast<T>(1.0 / temperature), log, req);
  });
}

template <typename T, typename L>
__global__ void SoftmaxLengthK(const T *x, T *y, const L *len, int64_t outer, int64_t n, int64_t inner, double invt,
                               int req) {
  MXC_CUDA_LOOP(r, outer * inner) {
    int64_t o = r / inner, i = r % inner;
    const T *xr = x + o * n * inner + i;
    T *yr = y + o * n * inner + i;
    int64_t m = static_cast<int64_t>(len[r]);
    m = m < 0 ? 0 : (m > n ? n : m);
    double mx = -INFINITY;
    for (int64_t j = 0; j < m; ++j) mx = max(mx, static_cast<double>(xr[j * inner]));
    double sum = 0;
    for (int64_t j = 0; j < m; ++j) sum += exp((static_cast<double>(xr[j * inner]) - mx) * invt);
    const double inv = 1.0 / sum;
    for (int64_t j = 0; j < m; ++j)
      Store(yr + j * inner, req, static_cast<T>(exp((static_cast<double>(xr[j * inner]) - mx) * invt) * inv));
    for (int64_t j = m; j < n; ++j) Store(yr + j * inner, req, T(0));
  }
}
void SoftmaxLength(int dtype, const void *x, void *y, const void *len, bool len64, int64_t outer, int64_t n,
                   int64_t inner, double temperature, int req, cudaStream_t s) {
  if (outer * n * inner == 0 || req == 0) return;
  MXC_CUDA_REAL_SWITCH(dtype, T, {
    if (len64)
      MXC_LAUNCH(Blocks(outer * inner), kThreads, 0, s, SoftmaxLengthK<T, int64_t>)(
          static_cast<const T *>(x), static_cast<T *>(y), static_cast<const int64_t *>(len), outer, n, inner,
          1.0 / temperature, req);
    else
      MXC_LAUNCH(Blocks(outer * inner), kThreads, 0, s, SoftmaxLengthK<T, int32_t>)(
          static_cast<const T *>(x), static_cast<T *>(y), static_cast<const int32_t *>(len), outer, n, inner,
          1.0 / temperature, req);
  });
}

template <typename T>
__global__ void CountValidK(const T *label, int64_t rows, long long ignore, unsigned long long *cnt) {
  MXC_CUDA_LOOP(r, rows) if (static_cast<long long>(label[r]) != ignore) atomicAdd(cnt, 1ull);
}
template <typename T>
__global__ void SoftmaxOutputGradK(const T *y, const T *label, T *g, int64_t outer, int64_t n, int64_t inner,
                                   double scale, bool use_ignore, long long ignore, const unsigned long long *valid,
                                   int req) {
  MXC_CUDA_LOOP(idx, outer * n * inner) {
    int64_t i = idx % inner, j = (idx / inner) % n, o = idx / (inner * n);
    long long k = static_cast<long long>(label[o * inner + i]);
    double sc = scale;
    if (valid) sc /= (*valid > 0 ? static_cast<double>(*valid) : 1.0);
    T v = (use_ignore && k == ignore) ? T(0) : static_cast<T>((y[idx] - (j == k ? T(1) : T(0))) * sc);
    Store(g + idx, req, v);
  }
}
void SoftmaxOutputGrad(int dtype, const void *y, const void *label, void *g, int64_t outer, int64_t n,
                       int64_t inner, double scale, bool use_ignore, double ignore, bool valid_norm, int req,
                       cudaStream_t s) {
  int64_t total = outer * n * inner;
  if (total == 0 || req == 0) return;
  StreamCounter counter(valid_norm, s);
  unsigned long long *cnt = counter.get();
  MXC_CUDA_REAL_SWITCH(dtype, T, {
    if (valid_norm)
      MXC_LAUNCH(Blocks(outer * inner), kThreads, 0, s, CountValidK<T>)(static_cast<const T *>(label), outer * inner,
                                                                static_cast<long long>(ignore), cnt);
    MXC_LAUNCH(Blocks(total), kThreads, 0, s, SoftmaxOutputGradK<T>)(
        static_cast<const T *>(y), static_cast<const T *>(label), static_cast<T *>(g), outer, n, inner, scale,
        use_ignore, static_cast<long long>(ignore), cnt, req);
  });
}

// ------------------------------------------------------------------------------------------------- im2col
// col (C*kh*kw, N, oh*ow): row (c, i, j) holds, for every image n and output position, the input element that
// kernel tap (i, j) of channel c reads there (0 in the padding).
template <typename T>
__global__ void Im2ColK(const T *d, int64_t N, int64_t C, int64_t H, int64_t W, int kh, int kw, int ph, int pw, int sh,
                        int sw, int dh, int dw, int64_t oh, int64_t ow, T *col) {
  const int64_t hw = oh * ow;
  MXC_CUDA_LOOP(idx, C * kh * kw * N * hw) {
    int64_t x = idx % ow, y = (idx / ow) % oh, n = (idx / hw) % N, r = idx / (hw * N);
    int j = static_cast<int>(r % kw), i = static_cast<int>((r / kw) % kh);
    int64_t c = r / (kw * kh);
    int64_t hy = y * sh - ph + i * dh, wx = x * sw - pw + j * dw;
    col[idx] = (hy >= 0 && hy < H && wx >= 0 && wx < W) ? d[((n * C + c) * H + hy) * W + wx] : T(0);
  }
}
// One thread per data element: gathers every column entry that reads it.
template <typename T>
__global__ void Col2ImK(const T *col, int64_t N, int64_t C, int64_t H, int64_t W, int kh, int kw, int ph, int pw,
                        int sh, int sw, int dh, int dw, int64_t oh, int64_t ow, T *d, bool add) {
  MXC_CUDA_LOOP(idx, N * C * H * W) {
    int64_t wx = idx % W, hy = (idx / W) % H, c = (idx / (W * H)) % C, n = idx / (W * H * C);
    T acc = T(0);
    for (int i = 0; i < kh; ++i) {
      int64_t ty = hy + ph - i * dh;
      if (ty < 0 || ty % sh) continue;
      int64_t y = ty / sh;
      if (y >= oh) continue;
      for (int j = 0; j < kw; ++j) {
        int64_t tx = wx + pw - j * dw;
        if (tx < 0 || tx % sw) continue;
        int64_t x = tx / sw;
        if (x >= ow) continue;
        acc += col[((((c * kh + i) * kw + j) * N + n) * oh + y) * ow + x];
      }
    }
    d[idx] = add ? d[idx] + acc : acc;
  }
}
void Im2Col(int dtype, const void *data, int64_t N, int64_t C, int64_t H, int64_t W, int kh, int kw, int ph, int pw,
            int sh, int sw, int dh, int dw, int64_t oh, int64_t ow, void *col, cudaStream_t s) {
  int64_t n = C * kh * kw * N * oh * ow;
  if (n == 0) return;
  MXC_CUDA_REAL_SWITCH(dtype, T, {
    MXC_LAUNCH(Blocks(n), kThreads, 0, s, Im2ColK<T>)(static_cast<const T *>(data), N, C, H, W, kh, kw, ph, pw, sh, sw,
                                                      dh, dw, oh, ow, static_cast<T *>(col));
  });
}
void Col2Im(int dtype, const void *col, int64_t N, int64_t C, int64_t H, int64_t W, int kh, int kw, int ph, int pw,
            int sh, int sw, int dh, int dw, int64_t oh, int64_t ow, void *data, bool add, cudaStream_t s) {
  int64_t n = N * C * H * W;
  if (n == 0) return;
  MXC_CUDA_REAL_SWITCH(dtype, T, {
    MXC_LAUNCH(Blocks(n), kThreads, 0, s, Col2ImK<T>)(static_cast<const T *>(col), N, C, H, W, kh, kw, ph, pw, sh, sw,
                                                      dh, dw, oh, ow, static_cast<T *>(data), add);
  });
}

// ------------------------------------------------------------------------------------------------- pooling
template <typename T>
__global__ void PoolK(int type, const T *x, T *y, int64_t NC, int64_t H, int64_t W, int64_t oh, int64_t ow, int kh,
                      int kw, int sh, int sw, int ph, int pw, bool cip, int req) {
  MXC_CUDA_LOOP(idx, NC * oh * ow) {
    int64_t ox = idx % ow, oy = (idx / ow) % oh, p = idx / (ow * oh);
    const T *xp = x + p * H * W;
    int64_t y0 = oy * sh - ph, x0 = ox * sw - pw;
    int64_t y1 = min(y0 + kh, H + ph), x1 = min(x0 + kw, W + pw);
    int64_t area = (y1 - y0) * (x1 - x0);
    int64_t ys = max(y0, int64_t(0)), xs = max(x0, int64_t(0)), ye = min(y1, H), xe = min(x1, W);
    T acc = type == 0 ? T(-INFINITY) : T(0);
    for (int64_t yy = ys; yy < ye; ++yy)
      for (int64_t xx = xs; xx < xe; ++xx) {
        T v = xp[yy * W + xx];
        if (type == 0) acc = v > acc ? v : acc;
        else acc += v;
      }
    if (type == 1) acc /= static_cast<T>(cip ? area : (ye - ys) * (xe - xs));
    Store(y + idx, req, acc);
  }
}
// One thread per output: max sends its gradient to the first maximum, avg/sum spread it (atomics: windows overlap).
template <typename T>
__global__ void PoolGradK(int type, const T *x, const T *y, const T *gy, T *gx, int64_t NC, int64_t H, int64_t W,
                          int64_t oh, int64_t ow, int kh, int kw, int sh, int sw, int ph, int pw, bool cip) {
  MXC_CUDA_LOOP(idx, NC * oh * ow) {
    int64_t ox = idx % ow, oy = (idx / ow) % oh, p = idx / (ow * oh);
    const T *xp = x ? x + p * H * W : nullptr;
    T *gp = gx + p * H * W;
    int64_t y0 = oy * sh - ph, x0 = ox * sw - pw;
    int64_t y1 = min(y0 + kh, H + ph), x1 = min(x0 + kw, W + pw);
    int64_t area = (y1 - y0) * (x1 - x0);
    int64_t ys = max(y0, int64_t(0)), xs = max(x0, int64_t(0)), ye = min(y1, H), xe = min(x1, W);
    T g = gy[idx];
    if (type == 0) {
      T m = y[idx];
      bool done = false;
      for (int64_t yy = ys; yy < ye && !done; ++yy)
        for (int64_t xx = xs; xx < xe && !done; ++xx)
          if (xp[yy * W + xx] == m) {
            atomicAdd(gp + yy * W + xx, g);
            done = true;
          }
    } else {
      if (type == 1) g /= static_cast<T>(cip ? area : (ye - ys) * (xe - xs));
      for (int64_t yy = ys; yy < ye; ++yy)
        for (int64_t xx = xs; xx < xe; ++xx) atomicAdd(gp + yy * W + xx, g);
    }
  }
}
void Pool2D(int dtype, int type, const void *x, void *y, int64_t NC, int64_t H, int64_t W, int64_t oh, int64_t ow,
            int kh, int kw, int sh, int sw, int ph, int pw, bool count_include_pad, int req, cudaStream_t s) {
  int64_t n = NC * oh * ow;
  if (n == 0 || req == 0) return;
  MXC_CUDA_REAL_SWITCH(dtype, T, {
    MXC_LAUNCH(Blocks(n), kThreads, 0, s, PoolK<T>)(type, static_cast<const T *>(x), static_cast<T *>(y), NC, H, W, oh, ow,
                                            kh, kw, sh, sw, ph, pw, count_include_pad, req);
  });
}
void Pool2DGrad(int dtype, int type, const void *x, const void *y, const void *gy, void *gx, int64_t NC, int64_t H,
                int64_t W, int64_t oh, int64_t ow, int kh, int kw, int sh, int sw, int ph, int pw,
                bool count_include_pad, int req, cudaStream_t s) {
  if (req == 0) return;
  size_t es = dtype == kF64 ? 8 : 4;
  if (req != 3) cudaMemsetAsync(gx, 0, NC * H * W * es, s);
  int64_t n = NC * oh * ow;
  if (n == 0) return;
  MXC_CUDA_REAL_SWITCH(dtype, T, {
    MXC_LAUNCH(Blocks(n), kThreads, 0, s, PoolGradK<T>)(type, static_cast<const T *>(x), static_cast<const T *>(y),
                                                static_cast<const T *>(gy), static_cast<T *>(gx), NC, H, W, oh, ow,
                                                kh, kw, sh, sw, ph, pw, count_include_pad);
  });
}

// ------------------------------------------------------------------------------------------------- optimizers
template <typename T>
__device__ __forceinline__ T Clip(T v, T c) {
  return c > T(0) ? (v > c ? c : (v < -c ? -c : v)) : v;
}
template <typename T>
__global__ void OptK(int kind, const T *w, const T *g, T *s1, T *s2, T *wo, int64_t n, T lr, T wd, T rescale,
                     T clip, T mom, T b1, T b2, T eps, int req) {
  MXC_CUDA_LOOP(i, n) {
    T wi = w[i], r;
    if (kind == 0) {
      r = wi - lr * (Clip(rescale * g[i], clip) + wd * wi);
    } else if (kind == 1) {
      T m = mom * s1[i] - lr * (Clip(rescale * g[i], clip) + wd * wi);
      s1[i] = m;
      r = wi + m;
    } else if (kind == 2) {
      T gr = Clip(rescale * g[i], clip) + wd * wi;
      T m = mom * s1[i] - lr * gr;
      s1[i] = m;
      r = wi + mom * m - lr * gr;
    } else {
      T gr = Clip(rescale * g[i] + wd * wi, clip);
      T m = b1 * s1[i] + (T(1) - b1) * gr;
      T v = b2 * s2[i] + (T(1) - b2) * gr * gr;
      s1[i] = m;
      s2[i] = v;
      r = wi - lr * m / (sqrt(v) + eps);
    }
    Store(wo + i, req, r);
  }
}
void OptimizerUpdate(int kind, int dtype, const void *w, const void *g, void *s1, void *s2, void *w_out, int64_t n,
                     const OptHyper &h, int req, cudaStream_t s) {
  if (n == 0) return;
  MXC_CUDA_REAL_SWITCH(dtype, T, {
    MXC_LAUNCH(Blocks(n), kThreads, 0, s, OptK<T>)(kind, static_cast<const T *>(w), static_cast<const T *>(g),
                                           static_cast<T *>(s1), static_cast<T *>(s2), static_cast<T *>(w_out), n,
                                           T(h.lr), T(h.wd), T(h.rescale), T(h.clip), T(h.momentum), T(h.beta1),
                                           T(h.beta2), T(h.epsilon), req);
  });
}

}  // namespace cuda
}  // namespace mxc
