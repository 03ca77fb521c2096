// Contrib elementwise kernels (kernels_contrib.cuh).
#include <cmath>

#include "common.cuh"
#include "kernels.cuh"
#include "kernels_contrib.cuh"

namespace mxc {
namespace cuda {

template <typename T>
__global__ void ContribMapK(int kind, const T *x, T *y, int64_t n, double a, double b, double c, int req) {
  MXC_CUDA_LOOP(i, n) {
    const double v = static_cast<double>(x[i]);
    double r;
    if (kind == kQuadratic) r = (a * v + b) * v + c;
    else if (kind == kScale) r = a * v;
    else if (kind == kRoundSte) r = round(v);
    else r = v > 0 ? 1.0 : (v < 0 ? -1.0 : 0.0);
    Store(y + i, req, static_cast<T>(r));
  }
}
void ContribMap(int kind, int dtype, const void *x, void *y, int64_t n, double a, double b, double c, int req,
                cudaStream_t s) {
  if (n == 0 || req == 0) return;
  MXC_CUDA_REAL_SWITCH(dtype, T, {
    MXC_LAUNCH(Blocks(n), kThreads, 0, s, ContribMapK<T>)(kind, static_cast<const T *>(x), static_cast<T *>(y), n, a,
                                                          b, c, req);
  });
}

template <typename T>
__global__ void ContribLinearGradK(const T *g, const T *x, T *gx, int64_t n, double a, double b, int req) {
  MXC_CUDA_LOOP(i, n) {
    const double d = x ? 2 * a * static_cast<double>(x[i]) + b : b;
    Store(gx + i, req, static_cast<T>(static_cast<double>(g[i]) * d));
  }
}
void ContribLinearGrad(int dtype, const void *g, const void *x, void *gx, int64_t n, double a, double b, int req,
                       cudaStream_t s) {
  if (n == 0 || req == 0) return;
  MXC_CUDA_REAL_SWITCH(dtype, T, {
    MXC_LAUNCH(Blocks(n), kThreads, 0, s, ContribLinearGradK<T>)(static_cast<const T *>(g), static_cast<const T *>(x),
                                                                 static_cast<T *>(gx), n, a, b, req);
  });
}

template <typename T>
__global__ void ReluOutK(const T *v, T *y, int64_t n, int req) {
  MXC_CUDA_LOOP(i, n) {
    const T r = v[i] > T(0) ? v[i] : T(0);
    Store(y + i, req, r);
  }
}
void ReluOut(int dtype, const void *v, void *y, int64_t n, int req, cudaStream_t s) {
  if (n == 0 || req == 0) return;
  MXC_CUDA_REAL_SWITCH(dtype, T, {
    MXC_LAUNCH(Blocks(n), kThreads, 0, s, ReluOutK<T>)(static_cast<const T *>(v), static_cast<T *>(y), n, req);
  });
}

template <typename T>
__global__ void ReluMaskK(const T *dy, const T *y, T *m, int64_t n) {
  MXC_CUDA_LOOP(i, n) m[i] = y[i] > T(0) ? dy[i] : T(0);
}
void ReluMask(int dtype, const void *dy, const void *y, void *m, int64_t n, cudaStream_t s) {
  if (n == 0) return;
  MXC_CUDA_REAL_SWITCH(dtype, T, {
    MXC_LAUNCH(Blocks(n), kThreads, 0, s, ReluMaskK<T>)(static_cast<const T *>(dy), static_cast<const T *>(y),
                                                        static_cast<T *>(m), n);
  });
}

}  // namespace cuda
}  // namespace mxc
