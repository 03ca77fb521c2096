// The kernel of kernels_image_resize.cuh: _image_resize with the CPU kernel's arithmetic
// (core/ops/image_resize_impl.h), one thread per output value.
#include "common.cuh"
#include "kernels_image_resize.cuh"
#include "../core/ops/image_resize_impl.h"

namespace mxc {
namespace cuda {

namespace {

template <typename T>
__global__ void ResizeK(const T *x, T *y, int64_t N, int64_t H, int64_t W, int64_t C, int64_t oh, int64_t ow, int ky,
                        const int32_t *iy, const double *wy, int kx, const int32_t *ix, const double *wx, int req) {
  MXC_CUDA_LOOP(e, N * oh * ow * C) {
    const int64_t c = e % C, q = (e / C) % ow, r = (e / (C * ow)) % oh, n = e / (C * ow * oh);
    const T v = op::ImgResizePixel<T>(x + n * H * W * C, W, C, ky, iy + r * ky, wy + r * ky, kx, ix + q * kx,
                                      wx + q * kx, c);
    if (req == 3)
      y[e] = static_cast<T>(y[e] + v);
    else
      y[e] = v;
  }
}

}  // namespace

void ImageResize(int dtype, const void *x, void *y, int64_t N, int64_t H, int64_t W, int64_t C, int64_t oh,
                 int64_t ow, int ky, const int32_t *iy, const double *wy, int kx, const int32_t *ix, const double *wx,
                 int req, cudaStream_t s) {
  const int64_t n = N * oh * ow * C;
  if (n == 0 || req == 0) return;
  MXC_CUDA_NUMERIC_SWITCH(dtype, T, {
    MXC_LAUNCH(Blocks(n), kThreads, 0, s, ResizeK<T>)(static_cast<const T *>(x), static_cast<T *>(y), N, H, W, C, oh,
                                                      ow, ky, iy, wy, kx, ix, wx, req);
  });
}

}  // namespace cuda
}  // namespace mxc
