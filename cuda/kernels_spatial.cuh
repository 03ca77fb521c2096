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

}  // namespace cuda
}  // namespace mxc
