// The kernels of kernels_image.cuh: MXNet 1.9.1's image operators with the CPU kernels' arithmetic
// (core/ops/image_impl.h), one thread per output element; the contrast's mean grey value is one block's sum in double.
#include "common.cuh"
#include "kernels_image.cuh"
#include "../core/ops/image_impl.h"

namespace mxc {
namespace cuda {

namespace {

template <typename T>
__device__ __forceinline__ void Put(T *dst, int req, T v) {
  if (req == 3) *dst = static_cast<T>(*dst + v);
  else if (req != 0) *dst = v;
}

template <typename T>
__global__ void ToTensorK(const T *x, float *y, int64_t N, int64_t HW, int64_t C, int req) {
  MXC_CUDA_LOOP(e, N * C * HW) {
    const int64_t i = e % HW, k = (e / HW) % C, b = e / (HW * C);
    Put(y + e, req, static_cast<float>(x[(b * HW + i) * C + k]) / 255.0f);
  }
}

template <typename T>
__global__ void ToTensorGradK(const float *dy, T *dx, int64_t N, int64_t HW, int64_t C, int req) {
  MXC_CUDA_LOOP(e, N * HW * C) {
    const int64_t k = e % C, i = (e / C) % HW, b = e / (C * HW);
    Put(dx + e, req, static_cast<T>(dy[(b * C + k) * HW + i] / 255.0f));
  }
}

template <typename T, typename A>
__device__ __forceinline__ T NormStore(A v) {
  if constexpr (sizeof(A) == 8) {
    return static_cast<T>(v);
  } else {
    return op::ImgStore<T>(v);
  }
}

template <typename T, typename A>
__global__ void NormalizeK(const T *x, T *y, const A *mean, const A *sd, int64_t N, int64_t C, int64_t plane,
                           int req) {
  MXC_CUDA_LOOP(e, N * C * plane) {
    const int64_t k = (e / plane) % C;
    Put(y + e, req, NormStore<T, A>((static_cast<A>(x[e]) - mean[k]) / sd[k]));
  }
}

template <typename T, typename A>
__global__ void NormalizeGradK(const T *dy, T *dx, const A *sd, int64_t N, int64_t C, int64_t plane, int req) {
  MXC_CUDA_LOOP(e, N * C * plane) {
    const int64_t k = (e / plane) % C;
    Put(dx + e, req, NormStore<T, A>(static_cast<A>(dy[e]) / sd[k]));
  }
}

template <typename T>
__global__ void FlipK(const T *x, T *y, int64_t H, int64_t W, int64_t C, bool flip, bool lr, int req) {
  MXC_CUDA_LOOP(e, H * W * C) {
    const int64_t k = e % C, c = (e / C) % W, r = e / (C * W);
    const int64_t sr = flip && !lr ? H - 1 - r : r, sc = flip && lr ? W - 1 - c : c;
    Put(y + e, req, x[(sr * W + sc) * C + k]);
  }
}

template <typename T>
__global__ void CropK(const T *x, T *y, int64_t N, int64_t H, int64_t W, int64_t C, int64_t x0, int64_t y0,
                      int64_t w, int64_t h, int req) {
  MXC_CUDA_LOOP(e, N * h * w * C) {
    const int64_t k = e % C, c = (e / C) % w, r = (e / (C * w)) % h, n = e / (C * w * h);
    Put(y + e, req, x[((n * H + y0 + r) * W + x0 + c) * C + k]);
  }
}

template <typename T>
__global__ void CropGradK(const T *dy, T *dx, int64_t N, int64_t H, int64_t W, int64_t C, int64_t x0, int64_t y0,
                          int64_t w, int64_t h, int req) {
  MXC_CUDA_LOOP(e, N * H * W * C) {
    const int64_t k = e % C, c = (e / C) % W, r = (e / (C * W)) % H, n = e / (C * W * H);
    const bool in = r >= y0 && r < y0 + h && c >= x0 && c < x0 + w;
    const T v = in ? dy[((n * h + r - y0) * w + c - x0) * C + k] : T(0);
    if (req == 3) {
      if (in) dx[e] = static_cast<T>(dx[e] + v);
    } else if (req != 0) {
      dx[e] = v;
    }
  }
}

template <typename T>
__global__ void LoadK(const T *x, float *f, int64_t n) {
  MXC_CUDA_LOOP(e, n) f[e] = static_cast<float>(x[e]);
}

template <typename T>
__global__ void StoreK(const float *f, T *y, int64_t n, int req) {
  MXC_CUDA_LOOP(e, n) Put(y + e, req, op::ImgStore<T>(f[e]));
}

__global__ void ScaleK(float *f, int64_t n, float a) {
  MXC_CUDA_LOOP(e, n) f[e] *= a;
}

// The sum of the pixels' grey values in double, by one block (each thread's pixels in order, then a tree).
__global__ void GreySumK(const float *f, int64_t pixels, int C, double *out) {
  __shared__ double red[kThreads];
  double acc = 0;
  for (int64_t i = threadIdx.x; i < pixels; i += kThreads) acc += op::ImgGrey(f + C * i, C);
  const double total = BlockSum(acc, red);
  if (threadIdx.x == 0) *out = total;
}

__global__ void ContrastK(float *f, int64_t n, int64_t pixels, float a, const double *sum) {
  const float grey = pixels > 0 ? static_cast<float>(*sum / static_cast<double>(pixels)) : 0.0f;
  MXC_CUDA_LOOP(e, n) f[e] = op::ImgContrast(f[e], a, grey);
}

__global__ void SaturationK(float *f, int64_t pixels, float a) {
  MXC_CUDA_LOOP(i, pixels) op::ImgSaturatePixel(f + 3 * i, a);
}

__global__ void HueK(float *f, int64_t pixels, float a) {
  MXC_CUDA_LOOP(i, pixels) op::ImgHuePixel(f + 3 * i, a);
}

__global__ void AddRGBK(float *f, int64_t pixels, float r, float g, float b) {
  MXC_CUDA_LOOP(i, pixels) {
    f[3 * i] += r;
    f[3 * i + 1] += g;
    f[3 * i + 2] += b;
  }
}

}  // namespace

void ImageToTensor(int dtype, const void *x, float *y, int64_t N, int64_t HW, int64_t C, int req, cudaStream_t s) {
  const int64_t n = N * HW * C;
  if (n == 0 || req == 0) return;
  MXC_CUDA_NUMERIC_SWITCH(dtype, T, {
    MXC_LAUNCH(Blocks(n), kThreads, 0, s, ToTensorK<T>)(static_cast<const T *>(x), y, N, HW, C, req);
  });
}

void ImageToTensorGrad(int dtype, const float *dy, void *dx, int64_t N, int64_t HW, int64_t C, int req,
                       cudaStream_t s) {
  const int64_t n = N * HW * C;
  if (n == 0 || req == 0) return;
  MXC_CUDA_NUMERIC_SWITCH(dtype, T, {
    MXC_LAUNCH(Blocks(n), kThreads, 0, s, ToTensorGradK<T>)(dy, static_cast<T *>(dx), N, HW, C, req);
  });
}

void ImageNormalize(int dtype, const void *x, void *y, const void *mean, const void *std, int64_t N, int64_t C,
                    int64_t plane, int req, cudaStream_t s) {
  const int64_t n = N * C * plane;
  if (n == 0 || req == 0) return;
  if (dtype == 1) {
    MXC_LAUNCH(Blocks(n), kThreads, 0, s, NormalizeK<double, double>)(
        static_cast<const double *>(x), static_cast<double *>(y), static_cast<const double *>(mean),
        static_cast<const double *>(std), N, C, plane, req);
    return;
  }
  MXC_CUDA_NUMERIC_SWITCH(dtype, T, {
    MXC_LAUNCH(Blocks(n), kThreads, 0, s, NormalizeK<T, float>)(
        static_cast<const T *>(x), static_cast<T *>(y), static_cast<const float *>(mean),
        static_cast<const float *>(std), N, C, plane, req);
  });
}

void ImageNormalizeGrad(int dtype, const void *dy, void *dx, const void *std, int64_t N, int64_t C, int64_t plane,
                        int req, cudaStream_t s) {
  const int64_t n = N * C * plane;
  if (n == 0 || req == 0) return;
  if (dtype == 1) {
    MXC_LAUNCH(Blocks(n), kThreads, 0, s, NormalizeGradK<double, double>)(
        static_cast<const double *>(dy), static_cast<double *>(dx), static_cast<const double *>(std), N, C, plane,
        req);
    return;
  }
  MXC_CUDA_NUMERIC_SWITCH(dtype, T, {
    MXC_LAUNCH(Blocks(n), kThreads, 0, s, NormalizeGradK<T, float>)(
        static_cast<const T *>(dy), static_cast<T *>(dx), static_cast<const float *>(std), N, C, plane, req);
  });
}

void ImageFlip(int dtype, const void *x, void *y, int64_t H, int64_t W, int64_t C, bool flip, bool lr, int req,
               cudaStream_t s) {
  const int64_t n = H * W * C;
  if (n == 0 || req == 0) return;
  MXC_CUDA_NUMERIC_SWITCH(dtype, T, {
    MXC_LAUNCH(Blocks(n), kThreads, 0, s, FlipK<T>)(static_cast<const T *>(x), static_cast<T *>(y), H, W, C, flip,
                                                    lr, req);
  });
}

void ImageCrop(int dtype, const void *x, void *y, int64_t N, int64_t H, int64_t W, int64_t C, int64_t x0, int64_t y0,
               int64_t w, int64_t h, int req, cudaStream_t s) {
  const int64_t n = N * h * w * C;
  if (n == 0 || req == 0) return;
  MXC_CUDA_NUMERIC_SWITCH(dtype, T, {
    MXC_LAUNCH(Blocks(n), kThreads, 0, s, CropK<T>)(static_cast<const T *>(x), static_cast<T *>(y), N, H, W, C, x0,
                                                    y0, w, h, req);
  });
}

void ImageCropGrad(int dtype, const void *dy, void *dx, int64_t N, int64_t H, int64_t W, int64_t C, int64_t x0,
                   int64_t y0, int64_t w, int64_t h, int req, cudaStream_t s) {
  const int64_t n = N * H * W * C;
  if (n == 0 || req == 0) return;
  MXC_CUDA_NUMERIC_SWITCH(dtype, T, {
    MXC_LAUNCH(Blocks(n), kThreads, 0, s, CropGradK<T>)(static_cast<const T *>(dy), static_cast<T *>(dx), N, H, W,
                                                        C, x0, y0, w, h, req);
  });
}

void ImageLoad(int dtype, const void *x, float *f, int64_t n, cudaStream_t s) {
  if (n == 0) return;
  MXC_CUDA_NUMERIC_SWITCH(dtype, T, {
    MXC_LAUNCH(Blocks(n), kThreads, 0, s, LoadK<T>)(static_cast<const T *>(x), f, n);
  });
}

void ImageStore(int dtype, const float *f, void *y, int64_t n, int req, cudaStream_t s) {
  if (n == 0 || req == 0) return;
  MXC_CUDA_NUMERIC_SWITCH(dtype, T, {
    MXC_LAUNCH(Blocks(n), kThreads, 0, s, StoreK<T>)(f, static_cast<T *>(y), n, req);
  });
}

void ImageScale(float *f, int64_t n, float a, cudaStream_t s) {
  if (n == 0) return;
  MXC_LAUNCH(Blocks(n), kThreads, 0, s, ScaleK)(f, n, a);
}

void ImageContrast(float *f, int64_t pixels, int C, float a, double *scratch, cudaStream_t s) {
  if (pixels == 0) return;
  MXC_LAUNCH_BLOCK(1, kThreads, 0, s, GreySumK)(f, pixels, C, scratch);
  const int64_t n = pixels * C;
  MXC_LAUNCH(Blocks(n), kThreads, 0, s, ContrastK)(f, n, pixels, a, scratch);
}

void ImageSaturation(float *f, int64_t pixels, float a, cudaStream_t s) {
  if (pixels == 0) return;
  MXC_LAUNCH(Blocks(pixels), kThreads, 0, s, SaturationK)(f, pixels, a);
}

void ImageHue(float *f, int64_t pixels, float a, cudaStream_t s) {
  if (pixels == 0) return;
  MXC_LAUNCH(Blocks(pixels), kThreads, 0, s, HueK)(f, pixels, a);
}

void ImageAddRGB(float *f, int64_t pixels, float r, float g, float b, cudaStream_t s) {
  if (pixels == 0) return;
  MXC_LAUNCH(Blocks(pixels), kThreads, 0, s, AddRGBK)(f, pixels, r, g, b);
}

}  // namespace cuda
}  // namespace mxc
