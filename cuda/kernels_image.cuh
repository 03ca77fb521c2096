// GPU kernels of cuda/image.cu behind the raw-pointer boundary (registered by cuda/gpu_ops_image.cc): MXNet 1.9.1's
// image operators (core/ops/image_ops.cc). dtype codes of kernels.cuh (0 float32, 1 float64, 3 uint8, 4 int32,
// 5 int8, 6 int64); req codes are OpReq's: 0 skip, 1 write, 2 write in place, 3 add.
#pragma once

#include <cuda_runtime.h>

#include <cstdint>

namespace mxc {
namespace cuda {

// to_tensor: x (N, H, W, C) of dtype -> y (N, C, H, W) float32 / 255; its gradient dy (N, C, H, W) float32 -> dx
// (N, H, W, C) of dtype.
void ImageToTensor(int dtype, const void *x, float *y, int64_t N, int64_t HW, int64_t C, int req, cudaStream_t s);
void ImageToTensorGrad(int dtype, const float *dy, void *dx, int64_t N, int64_t HW, int64_t C, int req,
                       cudaStream_t s);
// normalize of (N, C, plane): y = (x - mean[c]) / std[c] (float64 in double, others in float32 stored as the CPU
// stores); grad: dx = dy / std[c]. mean/std: C device values (float, or double for float64).
void ImageNormalize(int dtype, const void *x, void *y, const void *mean, const void *std, int64_t N, int64_t C,
                    int64_t plane, int req, cudaStream_t s);
void ImageNormalizeGrad(int dtype, const void *dy, void *dx, const void *std, int64_t N, int64_t C, int64_t plane,
                        int req, cudaStream_t s);
// flip of an (H, W, C) image along width (lr) or height; a plain copy with flip = false.
void ImageFlip(int dtype, const void *x, void *y, int64_t H, int64_t W, int64_t C, bool flip, bool lr, int req,
               cudaStream_t s);
// crop of (N, H, W, C) to the window (x0, y0, w, h); grad: dx (N, H, W, C) = dy in the window, zero elsewhere (req
// add: only the window added).
void ImageCrop(int dtype, const void *x, void *y, int64_t N, int64_t H, int64_t W, int64_t C, int64_t x0, int64_t y0,
               int64_t w, int64_t h, int req, cudaStream_t s);
void ImageCropGrad(int dtype, const void *dy, void *dx, int64_t N, int64_t H, int64_t W, int64_t C, int64_t x0,
                   int64_t y0, int64_t w, int64_t h, int req, cudaStream_t s);
// The colour operators work on n pixels of C channels in a float32 buffer f: load from x, steps in place, store
// into y.
void ImageLoad(int dtype, const void *x, float *f, int64_t n, cudaStream_t s);
void ImageStore(int dtype, const float *f, void *y, int64_t n, int req, cudaStream_t s);
void ImageScale(float *f, int64_t n, float a, cudaStream_t s);                                // brightness
void ImageContrast(float *f, int64_t pixels, int C, float a, double *scratch, cudaStream_t s);  // scratch: 1 double
void ImageSaturation(float *f, int64_t pixels, float a, cudaStream_t s);                      // RGB
void ImageHue(float *f, int64_t pixels, float a, cudaStream_t s);                             // RGB
void ImageAddRGB(float *f, int64_t pixels, float r, float g, float b, cudaStream_t s);        // lighting

}  // namespace cuda
}  // namespace mxc
