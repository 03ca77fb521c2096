// Shared by the GPU kernel registrations (cuda/gpu_ops*.cc): the kernel signatures' arguments, the host-staged
// fallback, GEMM through cuBLAS, and Set() to give an operator its GPU kernels. Glue only (framework headers).
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "gpu_device.h"
#include "operator.h"

namespace mxc {
namespace gpu {

using Blobs = std::vector<TBlob>;
using Reqs = std::vector<OpReq>;

#define FWD_ARGS const OpContext &ctx, const OpParams &p, const Blobs &in, const Reqs &req, const Blobs &out
#define BWD_ARGS                                                                                            \
  const OpContext &ctx, const OpParams &p, const Blobs &og, const Blobs &id, const Blobs &od, const Reqs &req, \
      const Blobs &ig

inline bool IsReal(int dtype) { return dtype == kFloat32 || dtype == kFloat64; }
// The integer dtypes the elementwise forwards take natively (as the CPU's arithmetic does).
inline bool IsInt(int dtype) { return dtype == kUint8 || dtype == kInt8 || dtype == kInt32 || dtype == kInt64; }
inline int Dev(const OpContext &ctx) { return ctx.dev.id; }
inline cudaStream_t St(const OpContext &ctx) { return Stream(ctx.dev.id); }
inline double Beta(OpReq r) { return r == kAddTo ? 1.0 : 0.0; }
// The product of s[b..e).
inline int64_t Prod(const TShape &s, int b, int e) {
  int64_t n = 1;
  for (int i = b; i < e; ++i) n *= s[i];
  return n;
}

// The op's CPU kernel on host copies of the blobs (for calls a native kernel does not cover).
void Fallback(FWD_ARGS);
void FallbackGrad(BWD_ARGS);

// A gradient that is written (not added to) becomes zero, on the op's device (any dtype; a gradient not asked for
// is an empty blob, left alone).
void ZeroIfWrite(const OpContext &ctx, const TBlob &b, OpReq r);
// Whether every gradient asked for has dtype t (those not asked for are empty blobs, without a dtype).
bool RequestedGradsHaveType(const std::vector<TBlob> &ig, const std::vector<OpReq> &req, int t);

// The forward of an elementwise unary function (cuda::UnaryCode): float32/float64, and integers for the codes that
// take them (cuda::IntUnaryOk).
FCompute UnaryFwd(int code);

// Row-major C = alpha op(A) op(B) + beta C on the op's device (cuBLAS when built with it).
void Gemm(const OpContext &ctx, int dtype, bool ta, bool tb, int64_t M, int64_t N, int64_t K, double alpha,
          const void *A, int64_t lda, const void *B, int64_t ldb, double beta, void *C, int64_t ldc);

// An optimizer update's hyperparameter struct (cuda::OptHyper, cuda::RMSPropHyper) with the parameters every update
// takes: lr, wd, rescale_grad, clip_gradient; the rest zero.
template <typename H>
H CommonHyper(const OpParams &p) {
  H h{};
  h.lr = p.Float("lr");
  h.wd = p.Float("wd");
  h.rescale = p.Float("rescale_grad");
  h.clip = p.Float("clip_gradient");
  return h;
}

// Convolution (1-D as 2-D with H = 1, 2-D, and 3-D; NCW/NCHW/NCDHW): the geometry of a call. The depth fields are
// those of a depth-1 volume for 1-D/2-D (three false: cuDNN and the 2-D kernels may run it). ok is false for a call
// the GPU kernels do not cover (another layout).
struct ConvGeom {
  int64_t N, C, H, W, F, G, oh, ow;
  int kh, kw, sh, sw, ph, pw, dh, dw;
  int64_t D = 1, oD = 1;
  int kd = 1, sd = 1, pd = 0, dd = 1;
  bool three = false;
  bool ok = false;
};
ConvGeom GetConv(const OpParams &p, const TShape &data, const TShape &out);
// Deconvolution's geometry as that of the convolution whose data gradient it is: the deconvolution's output is that
// convolution's data (N, C = num_filter, H, W), its data is the convolution's output (F = data channels, oh, ow).
ConvGeom GetDeconv(const OpParams &p, const TShape &data, const TShape &out);

// Convolution through cuDNN (cuda/conv_cudnn.cc), when the build has it (MXC_USE_CUDNN) and it is chosen for this
// geometry; false: the caller runs mxc's own im2col + GEMM kernels. `gemm` runs those kernels into the outputs (or
// input gradients) and requests it is given: on a geometry's first call, both are timed and the faster is kept.
// The backward computes the data and weight gradients only (not the bias's).
using ConvGemmRunner = std::function<void(const Blobs &outputs, const Reqs &req)>;
bool CudnnConvForward(FWD_ARGS, const ConvGeom &g, const ConvGemmRunner &gemm);
bool CudnnConvBackward(BWD_ARGS, const ConvGeom &g, const ConvGemmRunner &gemm);

// Gives an existing operator its GPU forward (and backward) kernel; skipped when the operator is not in this build.
void Set(const char *name, FCompute f, FBackward b = nullptr);
// Gives an existing operator its GPU backward kernel only.
void SetBackward(const char *name, FBackward b);

// Registrations by family (called once by RegisterKernels).
void RegisterShapeKernels();  // cuda/gpu_ops_shape.cc: broadcasting, reductions, layout (transpose, slice, ...)
void RegisterIndexKernels();  // cuda/gpu_ops_index.cc: indexing, nn extras, remaining elementwise
void RegisterNormKernels();   // cuda/gpu_ops_norm.cc: LayerNorm, InstanceNorm
void RegisterOrderingKernels();  // cuda/gpu_ops_ordering.cc: topk, sort, argsort
void RegisterSeqKernels();       // cuda/gpu_ops_seq.cc: smooth_l1, SequenceMask, UpSampling
void RegisterRnnKernels();       // cuda/gpu_ops_rnn.cc: the fused RNN operator
void RegisterAttentionKernels();  // cuda/gpu_ops_attention.cc: the interleaved attention products
void RegisterOptimizerKernels();  // cuda/gpu_ops_optim.cc: signsgd, signum, ftml, ftrl, lamb, mixed-precision sgd
void RegisterMoreKernels();      // cuda/gpu_ops_more*.cc: special functions, logical ops, layouts, samplers, nn, linalg
void RegisterContribKernels();    // cuda/gpu_ops_contrib.cc: contrib elementwise ops, BatchNormWithReLU
void RegisterOptimizer2Kernels();  // cuda/gpu_ops_optim2.cc: AdamW, LAMB, multi-tensor SGD, multi_sum_sq, AMP ops
void RegisterSpatialKernels();  // cuda/gpu_ops_spatial.cc: grid generator, samplers, ROI poolings
void RegisterLinalg2Kernels();    // cuda/gpu_ops_linalg2.cc: potrf, potri, trsm, inverse, (s)logdet, gelqf, syevd
void RegisterDeformKernels();     // cuda/gpu_ops_deform.cc: DeformableConvolution, ModulatedDeformableConvolution
void RegisterCtcKernels();        // cuda/gpu_ops_ctc.cc: CTCLoss
void RegisterDetectKernels();  // cuda/gpu_ops_detect.cc: box ops, MultiBox*, Proposal, allclose, index_array
void RegisterOps3Kernels();    // cuda/gpu_ops_ops3.cc: Correlation, count_sketch
void RegisterQuantKernels();   // cuda/gpu_ops_quant.cc: int8 quantize, dequantize, requantize, quantized ops
void RegisterMisc4Kernels();   // cuda/gpu_ops_misc4.cc: contrib fft/ifft, legacy and internal operators
void RegisterImageKernels();   // cuda/gpu_ops_image.cc: MXNet's image operators (to_tensor, normalize, flips, colour)
void RegisterImageResizeKernels();  // cuda/gpu_ops_image_resize.cc: _image_resize (OpenCV's sampling)
void RegisterQuant2Kernels();       // cuda/gpu_ops_quant2.cc: calibrate_entropy, quantized add/mul/embedding, asym
void RegisterQuant3Kernels();       // cuda/gpu_ops_quant3.cc: quantized_batch_norm
void RegisterSparseKernels();      // cuda/gpu_ops_sparse.cc: _sparse_csr_dot (mx.nd.sparse.dot)
void RegisterSparse2Kernels();     // cuda/gpu_ops_sparse2.cc: storage conversions (core/ops/sparse_convert.cc)

}  // namespace gpu
}  // namespace mxc
