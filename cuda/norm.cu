// LayerNorm and InstanceNorm: the kernels of kernels_norm.cuh. One block per row (forward, data gradient) or per
// gamma entry (gamma/beta gradients), block sums through shared memory, in double as the CPU.
#include <cmath>

#include "common.cuh"
#include "kernels_norm.cuh"

namespace mxc {
namespace cuda {

namespace {

inline unsigned NormGrid(int64_t n) { return static_cast<unsigned>(n < 65535 * 8 ? (n < 1 ? 1 : n) : 65535 * 8); }

__device__ __forceinline__ int64_t RowBase(const RowNormGeom &g, int64_t r) {
  return (r / g.inner) * g.n * g.inner + r % g.inner;
}
__device__ __forceinline__ double InvStd(double stat, bool stat_is_var, double eps) {
  return stat_is_var ? 1.0 / sqrt(stat + eps) : 1.0 / stat;
}

template <typename T>
__global__ void RowNormK(RowNormGeom g, double eps, bool stat_is_var, const T *x, const T *gamma, const T *beta, T *y,
                         int ry, T *mean_out, int rm, T *stat_out, int rs) {
  __shared__ double red[kThreads];
  const int64_t rows = g.outer * g.inner;
  for (int64_t r = blockIdx.x; r < rows; r += gridDim.x) {
    const int64_t b = RowBase(g, r), st = g.inner;
    double acc = 0;
    for (int64_t k = threadIdx.x; k < g.n; k += blockDim.x) acc += x[b + k * st];
    const double mean = g.n > 0 ? BlockSum(acc, red) / g.n : 0.0;
    acc = 0;
    for (int64_t k = threadIdx.x; k < g.n; k += blockDim.x) {
      const double d = x[b + k * st] - mean;
      acc += d * d;
    }
    const double var = g.n > 0 ? BlockSum(acc, red) / g.n : 0.0;
    const double invstd = 1.0 / sqrt(var + eps);
    if (threadIdx.x == 0) {
      if (mean_out) Store(mean_out + r, rm, static_cast<T>(mean));
      if (stat_out) Store(stat_out + r, rs, static_cast<T>(stat_is_var ? var : sqrt(var + eps)));
    }
    if (!ry) continue;
    for (int64_t k = threadIdx.x; k < g.n; k += blockDim.x) {
      const int64_t c = g.channels > 0 ? r % g.channels : k;
      const double o = static_cast<double>(gamma[c]) * (x[b + k * st] - mean) * invstd + beta[c];
      Store(y + b + k * st, ry, static_cast<T>(o));
    }
  }
}

template <typename T>
__global__ void RowNormDataGradK(RowNormGeom g, double eps, bool stat_is_var, const T *dy, const T *x,
                                 const T *gamma, const T *mean, const T *stat, T *dx, int rx) {
  __shared__ double red[kThreads];
  const int64_t rows = g.outer * g.inner;
  for (int64_t r = blockIdx.x; r < rows; r += gridDim.x) {
    const int64_t b = RowBase(g, r), st = g.inner;
    const double mu = mean[r], is = InvStd(stat[r], stat_is_var, eps);
    double sh = 0, shx = 0;
    for (int64_t k = threadIdx.x; k < g.n; k += blockDim.x) {
      const int64_t c = g.channels > 0 ? r % g.channels : k;
      const double h = static_cast<double>(dy[b + k * st]) * gamma[c];
      sh += h;
      shx += h * (x[b + k * st] - mu) * is;
    }
    sh = BlockSum(sh, red);
    shx = BlockSum(shx, red);
    const double mh = g.n > 0 ? sh / g.n : 0.0, mhx = g.n > 0 ? shx / g.n : 0.0;
    for (int64_t k = threadIdx.x; k < g.n; k += blockDim.x) {
      const int64_t c = g.channels > 0 ? r % g.channels : k;
      const double h = static_cast<double>(dy[b + k * st]) * gamma[c];
      const double xh = (x[b + k * st] - mu) * is;
      Store(dx + b + k * st, rx, static_cast<T>(is * (h - mh - xh * mhx)));
    }
  }
}

// One block per gamma entry p: the sums of dy * x_hat and dy over the elements using it.
template <typename T>
__global__ void RowNormParamGradK(RowNormGeom g, double eps, bool stat_is_var, const T *dy, const T *x,
                                  const T *mean, const T *stat, T *dgamma, int rg, T *dbeta, int rb) {
  __shared__ double red[kThreads];
  const int64_t rows = g.outer * g.inner;
  const int64_t np = g.channels > 0 ? g.channels : g.n;
  // channels == 0: entry k of every row; channels > 0: every element of the rows p, p + channels, ...
  const int64_t count = g.channels > 0 ? (rows / g.channels) * g.n : rows;
  for (int64_t p = blockIdx.x; p < np; p += gridDim.x) {
    double sdy = 0, sdyx = 0;
    for (int64_t j = threadIdx.x; j < count; j += blockDim.x) {
      int64_t r, e;
      if (g.channels > 0) {
        r = (j / g.n) * g.channels + p;
        e = RowBase(g, r) + (j % g.n) * g.inner;
      } else {
        r = j;
        e = RowBase(g, r) + p * g.inner;
      }
      const double d = dy[e];
      sdy += d;
      sdyx += d * (x[e] - static_cast<double>(mean[r])) * InvStd(stat[r], stat_is_var, eps);
    }
    sdy = BlockSum(sdy, red);
    sdyx = BlockSum(sdyx, red);
    if (threadIdx.x == 0) {
      if (dgamma && rg) Store(dgamma + p, rg, static_cast<T>(sdyx));
      if (dbeta && rb) Store(dbeta + p, rb, static_cast<T>(sdy));
    }
  }
}

}  // namespace

void RowNorm(int dtype, const RowNormGeom &g, double eps, bool stat_is_var, const void *x, const void *gamma,
             const void *beta, void *y, int req_y, void *mean, int req_mean, void *stat, int req_stat,
             cudaStream_t s) {
  const int64_t rows = g.outer * g.inner;
  if (rows == 0) return;
  MXC_CUDA_REAL_SWITCH(dtype, T, {
    MXC_LAUNCH_BLOCK(NormGrid(rows), kThreads, 0, s, RowNormK<T>)(
        g, eps, stat_is_var, static_cast<const T *>(x), static_cast<const T *>(gamma), static_cast<const T *>(beta),
        static_cast<T *>(y), req_y, static_cast<T *>(mean), req_mean, static_cast<T *>(stat), req_stat);
  });
}

void RowNormGrad(int dtype, const RowNormGeom &g, double eps, bool stat_is_var, const void *dy, const void *x,
                 const void *gamma, const void *mean, const void *stat, void *dx, int req_x, void *dgamma,
                 int req_gamma, void *dbeta, int req_beta, cudaStream_t s) {
  const int64_t rows = g.outer * g.inner;
  if (!dx) req_x = 0;
  if (!dgamma) req_gamma = 0;
  if (!dbeta) req_beta = 0;
  MXC_CUDA_REAL_SWITCH(dtype, T, {
    if (req_x && rows > 0)
      MXC_LAUNCH_BLOCK(NormGrid(rows), kThreads, 0, s, RowNormDataGradK<T>)(
          g, eps, stat_is_var, static_cast<const T *>(dy), static_cast<const T *>(x), static_cast<const T *>(gamma),
          static_cast<const T *>(mean), static_cast<const T *>(stat), static_cast<T *>(dx), req_x);
    const int64_t np = g.channels > 0 ? g.channels : g.n;
    if ((req_gamma || req_beta) && np > 0)
      MXC_LAUNCH_BLOCK(NormGrid(np), kThreads, 0, s, RowNormParamGradK<T>)(
          g, eps, stat_is_var, static_cast<const T *>(dy), static_cast<const T *>(x), static_cast<const T *>(mean),
          static_cast<const T *>(stat), static_cast<T *>(dgamma), req_gamma, static_cast<T *>(dbeta), req_beta);
  });
}

}  // namespace cuda
}  // namespace mxc
