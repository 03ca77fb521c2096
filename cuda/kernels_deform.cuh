// GPU kernels of the deformable convolutions (_contrib_DeformableConvolution, DCN v1, and
// _contrib_ModulatedDeformableConvolution, DCN v2) behind the raw-pointer boundary (registered by
// cuda/gpu_ops_deform.cc, which runs the GEMMs). dtype codes are kernels.cuh's DTypeCode (0 float32, 1 float64).
//
// The sampling is the CPU kernel's (core/ops/contrib_deformable.cc): tap (i, j) of output position (y, x) reads
// channel c at h = y * sh - ph + i * dh + offset_h, w = x * sw - pw + j * dw + offset_w by bilinear interpolation;
// v1 reads 0 outside [0, H) x [0, W) and clamps at the last row/column (no position gradient along a clamped axis);
// v2 (modulated) reads each neighbour outside the image as 0 for positions in (-1, H) x (-1, W), and multiplies each
// sample by its mask value. The column matrix of one sample is (C * kh * kw) x (Ho * Wo), row c * taps + t.
#pragma once

#include <cuda_runtime.h>

#include <cstdint>

namespace mxc {
namespace cuda {

struct DeformGeom {
  int64_t C, H, W, DG;  // channels, input plane, deformable groups
  int64_t kh, kw, sh, sw, ph, pw, dh, dw, Ho, Wo;
  bool modulated;
};

// col = the sampled columns of sample n (x: the data (N, C, H, W); off: (N, 2 * DG * taps, Ho, Wo); mask:
// (N, DG * taps, Ho, Wo) or null).
void DeformIm2Col(int dtype, const DeformGeom &g, int64_t n, const void *x, const void *off, const void *mask,
                  void *col, cudaStream_t s);
// dx (sample n's planes) += the column gradient dcol scattered through the bilinear weights (times the mask):
// atomic additions.
void DeformCol2Im(int dtype, const DeformGeom &g, int64_t n, const void *off, const void *mask, const void *dcol,
                  void *dx, cudaStream_t s);
// doff / dmask (sample n; either may be null) += the position and mask gradients of each (deformable group, tap,
// output position), summed over the group's channels in order (one thread each: no atomics).
void DeformCol2Coord(int dtype, const DeformGeom &g, int64_t n, const void *x, const void *off, const void *mask,
                     const void *dcol, void *doff, void *dmask, cudaStream_t s);
// y (N, F, L) = b[f] (+ y with add).
void DeformBiasFill(int dtype, void *y, const void *b, int64_t N, int64_t F, int64_t L, bool add, cudaStream_t s);
// db[f] (req) = the sum of dy (N, F, L) over n and l, in that order.
void DeformBiasGrad(int dtype, const void *dy, void *db, int req, int64_t N, int64_t F, int64_t L, cudaStream_t s);

}  // namespace cuda
}  // namespace mxc
