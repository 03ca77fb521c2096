// GPU kernel of cuda/image_resize.cu behind the raw-pointer boundary (registered by cuda/gpu_ops_image_resize.cc):
// MXNet 1.9.1's _image_resize (core/ops/image_resize.cc). dtype codes of kernels.cuh (0 float32, 1 float64, 3 uint8,
// 4 int32, 5 int8, 6 int64); req codes are OpReq's: 0 skip, 1 write, 2 write in place, 3 add.
#pragma once

#include <cuda_runtime.h>

#include <cstdint>

namespace mxc {
namespace cuda {

// x (N, H, W, C) -> y (N, oh, ow, C): output row r reads the ky input rows iy[r*ky + a] with weights wy[r*ky + a],
// output column q the kx input columns ix[q*kx + b] with weights wx[q*kx + b] (device tables of
// core/ops/image_resize_impl.h's ImgResizeTaps).
void ImageResize(int dtype, const void *x, void *y, int64_t N, int64_t H, int64_t W, int64_t C, int64_t oh,
                 int64_t ow, int ky, const int32_t *iy, const double *wy, int kx, const int32_t *ix, const double *wx,
                 int req, cudaStream_t s);

}  // namespace cuda
}  // namespace mxc
