// GPU kernels of cuda/spatial.cu behind the raw-pointer boundary (registered by cuda/gpu_ops_spatial.cc): spatial
// sampling (GridGenerator, BilinearSampler, SpatialTransformer) and region pooling (ROIPooling, contrib ROIAlign,
// PSROIPooling, DeformablePSROIPooling), with the semantics of the CPU kernels (core/ops/nn_spatial.cc,
// core/ops/contrib_psroi.cc). float32/float64 (dtype codes of kernels.cuh); req codes are OpReq's: 0 skip, 1 write,
// 2 write in place, 3 add. The forwards compute every output element as the CPU does (the same arithmetic in the
// same order); the gradients that scatter (into the data of the samplers and poolings, into trans) add with
// atomicAdd into a gradient the caller has zeroed (or holds the values to add to), so their summation order differs.
#pragma once

#include <cuda_runtime.h>

#include <cstdint>

namespace mxc {
namespace cuda {

// ---- GridGenerator: 'affine' theta (N, 6) -> grid (N, 2, H, W) of normalised target coordinates; 'warp' flow
// (N, 2, H, W) in pixels -> grid of the positions it points to ----
void AffineGrid(int dtype, const void *theta, void *grid, int64_t N, int64_t H, int64_t W, int req, cudaStream_t s);
// dtheta (req) = the sums over the grid of og times (x_t, y_t, 1) per row of theta.
void AffineGridGrad(int dtype, const void *og, void *dtheta, int64_t N, int64_t H, int64_t W, int req,
                    cudaStream_t s);
void WarpGrid(int dtype, const void *flow, void *grid, int64_t N, int64_t H, int64_t W, int req, cudaStream_t s);
void WarpGridGrad(int dtype, const void *og, void *dflow, int64_t N, int64_t H, int64_t W, int req, cudaStream_t s);

// ---- BilinearSampler: data (N, C, H, W) sampled at grid (N, 2, Ho, Wo) -> (N, C, Ho, Wo), zero outside ----
struct SamplerGeom {
  int64_t N, C, H, W, Ho, Wo;
};
void BilinearSample(int dtype, const SamplerGeom &g, const void *data, const void *grid, void *out, int req,
                    cudaStream_t s);
// ddata (if not null) += the taps' shares of og (atomically); dgrid (if not null; greq) = the grid's gradient.
void BilinearSampleGrad(int dtype, const SamplerGeom &g, const void *data, const void *grid, const void *og,
                        void *ddata, void *dgrid, int greq, cudaStream_t s);

// ---- ROIPooling: max of each bin of rois (R, 5) = [batch, x1, y1, x2, y2] over data (N, C, H, W) ----
struct ROIPoolGeom {
  int64_t N, C, H, W, R, PH, PW;
  double scale;
};
void ROIPool(int dtype, const ROIPoolGeom &g, const void *data, const void *rois, void *out, int req, cudaStream_t s);
// ddata += og at each bin's maximum (atomically).
void ROIPoolGrad(int dtype, const ROIPoolGeom &g, const void *data, const void *rois, const void *og, void *ddata,
                 cudaStream_t s);

// ---- ROIAlign: average of bilinear taps per bin (Ci data channels, Co output channels) ----
struct ROIAlignGeom {
  int64_t N, Ci, H, W, R, Co, PH, PW, ratio;
  double scale;
  bool aligned, psens;
};
void ROIAlign(int dtype, const ROIAlignGeom &g, const void *data, const void *rois, void *out, int req,
              cudaStream_t s);
void ROIAlignGrad(int dtype, const ROIAlignGeom &g, const void *rois, const void *og, void *ddata, cudaStream_t s);

// ---- PSROIPooling and DeformablePSROIPooling: data (N, K * G * G, H, W) -> (R, K, P, P) ----
struct PSROIGeom {
  int64_t N, C, H, W, R, K, P, G;
  float scale;
  // Deformable only: part_size, samples per bin and axis, classes of trans (1 without), trans_std, no_trans.
  int64_t PS = 0, S = 1, classes = 1;
  float trans_std = 0;
  bool no_trans = true;
};
void PSROIPool(int dtype, const PSROIGeom &g, const void *data, const void *rois, void *out, int req, cudaStream_t s);
void PSROIPoolGrad(int dtype, const PSROIGeom &g, const void *rois, const void *og, void *ddata, cudaStream_t s);
void DeformablePSROIPool(int dtype, const PSROIGeom &g, const void *data, const void *rois, const void *trans,
                         void *out, int req, cudaStream_t s);
// ddata (if not null) and dtrans (if not null) += their shares (atomically).
void DeformablePSROIPoolGrad(int dtype, const PSROIGeom &g, const void *data, const void *rois, const void *trans,
                             const void *og, void *ddata, void *dtrans, cudaStream_t s);

// ---- im2col / col2im over up to 3 spatial axes (leading ones of size 1): image (N, C, in...) <-> columns
// (N, C * K, L). Im2col: cols (req) = the image's values at the blocks' taps (0 in the padding). Col2im: img (req) =
// the sum of the columns reading each image element, in the CPU's order (kernel offset by kernel offset).
struct ColGeom {
  int64_t N, C, in[3], out[3], k[3], s[3], dl[3], pd[3];
};
void Im2col(int dtype, const ColGeom &g, const void *img, void *cols, int req, cudaStream_t s);
void Col2im(int dtype, const ColGeom &g, const void *cols, void *img, int req, cudaStream_t s);

// ---- Window copies (numeric dtypes of MXC_CUDA_NUMERIC_SWITCH): planes of (H, W) <-> their (h, w) windows at
// (oy, ox). to_window: win (req) = the window of big; else big[window] (req) = win (the rest untouched).
void CropCopy(int dtype, const void *big, void *win, int64_t planes, int64_t H, int64_t W, int64_t h, int64_t w,
              int64_t oy, int64_t ox, bool to_window, int req, cudaStream_t s);
// Along an axis of n (outer, n, inner): part (outer, len, inner) (req) = big[:, begin:begin+len, :] (to_part), else
// big[:, begin:begin+len, :] (req) = part.
void AxisPartCopy(int dtype, const void *big, void *part, int64_t outer, int64_t n, int64_t begin, int64_t len,
                  int64_t inner, bool to_part, int req, cudaStream_t s);

// ---- SVMOutput's gradient: data (N, C, inner), labels (N, inner) of the data's dtype; dx (req) per element of the
// one-vs-all (squared) hinge loss.
void SVMGrad(int dtype, const void *x, const void *label, void *dx, int64_t N, int64_t C, int64_t inner, double margin,
             double reg, bool linear, int req, cudaStream_t s);

// ---- softmax_cross_entropy on (N, C) with int64 labels (checked in range by the caller): nll (N doubles) per row;
// out (req) = their sum in row order (one thread). Gradient: dx (req) = og[0] * (softmax - onehot).
void SoftmaxCENll(int dtype, const void *x, const int64_t *label, double *nll, void *out, int64_t N, int64_t C,
                  int req, cudaStream_t s);
void SoftmaxCEGrad(int dtype, const void *x, const int64_t *label, const void *og, void *dx, int64_t N, int64_t C,
                   int req, cudaStream_t s);

// ---- _histogram: counts (zeroed by the caller) += the elements of x (numeric dtypes) in each of nb bins of the
// nb + 1 increasing edges (device doubles; uniform: equal bins, else found by binary search).
void HistCount(int dtype, const void *x, int64_t n, const double *edges, int64_t nb, bool uniform,
               unsigned long long *counts, cudaStream_t s);
// h (int64, req) = counts; e (dtype, req) = edges.
void HistWrite(int dtype, const unsigned long long *counts, const double *edges, int64_t nb, void *h, int hreq,
               void *e, int ereq, cudaStream_t s);

// ---- _cvcopyMakeBorder: out (OH, OW, C) (req) = x (H, W, C) at the source row and column of each output pixel
// (device arrays; -1: the constant border, fill holding C values of the dtype).
void MakeBorder(int dtype, const void *x, void *y, const int64_t *rows, const int64_t *cols, const void *fill,
                int64_t W, int64_t OH, int64_t OW, int64_t C, int req, cudaStream_t s);

}  // namespace cuda
}  // namespace mxc
