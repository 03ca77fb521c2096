// 3x3 convolutions with stride 1 by Winograd's minimal filtering F(2x2, 3x3): each 2x2 block of outputs comes from
// a 4x4 block of inputs with 16 multiplications per (filter, channel) instead of 36, so the GEMM work of im2col
// shrinks 2.25x. Per chunk of samples: the weights become U = G w G^T (16 matrices of F/G x C/G), the input tiles
// V = B^T d B (16 matrices of C/G x tiles), then 16 GEMMs M = U V, and each output tile is A^T M A.
// float32 only; the result differs from im2col's by rounding (a few units in the last place of the largest terms).
#pragma once

#include <cstdint>

namespace mxc {
namespace op {

// Whether a convolution with this geometry goes through Winograd: 2-D 3x3, stride 1, dilation 1, padding at most 2,
// at least 8 channels in and out per group, at least 1024 output tiles over the batch (below, the 16 transformed
// weight matrices and small GEMMs cost more than im2col: measured slower on 14x14 and smaller images at batch 8),
// unless MXC_CONV_WINOGRAD says otherwise: 0 never, 1 whatever the sizes (read at every call, so that tests and
// benchmarks can compare both paths in one process).
bool WinogradApplies(int64_t kh, int64_t kw, int64_t sh, int64_t sw, int64_t dh, int64_t dw, int64_t ph, int64_t pw,
                     int64_t Cg, int64_t Fg, int64_t N, int64_t Ho, int64_t Wo);

// y (beta = 1: +=, beta = 0: =) conv(x, w) for (N, C, H, W) data x, (F, C/G, 3, 3) weight w (flip: w read rotated by
// 180 degrees with its two channel axes swapped, i.e. as the (C/G, F/G, 3, 3) weight of the transposed
// convolution, for the data gradient), padding (ph, pw), and (N, F, Ho, Wo) output y.
void WinogradConv3x3(const float *x, const float *w, bool flip, float beta, float *y, int64_t N, int64_t C,
                     int64_t H, int64_t W, int64_t F, int64_t G, int64_t ph, int64_t pw, int64_t Ho, int64_t Wo);

}  // namespace op
}  // namespace mxc
