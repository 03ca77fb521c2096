// GPU kernels of cuda/quant2.cu behind the raw-pointer boundary (registered by cuda/gpu_ops_quant2.cc): more of the
// int8 quantization operators, with the per-candidate arithmetic of core/ops/calib_entropy_impl.h (shared with the
// CPU kernels). req codes are OpReq's: 0 skip, 1 write, 2 write in place, 3 add.
#pragma once

#include <cuda_runtime.h>

#include <cstdint>

namespace mxc {
namespace cuda {

// _contrib_calibrate_entropy: the divergences of candidates first .. first + count - 1 of hist (n bins; one thread
// each, into div: count doubles of device scratch), then the first smallest: *th (req_th)= edges[n / 2 + i + 1] of
// its candidate i, *dv (req_dv)= its divergence.
void CalibrateEntropy(const float *hist, const float *edges, int64_t n, int nq, int64_t first, int64_t count,
                      double *div, float *th, float *dv, int req_th, int req_dv, cudaStream_t s);

// _contrib_quantized_elemwise_add (quant2_impl.h): the scales from the device range scalars range[0..3] (lhs min,
// max, rhs min, max), then y[i] (req)= clamp(rint(a[i] * sa + b[i] * sb)); a, b int8 when a_int8 / b_int8 (else
// uint8); y int32 (y_type 0), int8 (1) or uint8 (2); the output range into lo_out, hi_out (req_lo, req_hi).
struct QAddArgs {
  bool a_int8, b_int8;
  const void *a, *b;
  const float *range[4];
  bool calib;
  float clo, chi;
  int y_type;
  void *y;
  int64_t n;
  int req;
  float *lo_out, *hi_out;
  int req_lo, req_hi;
};
void QuantizedAdd(const QAddArgs &args, cudaStream_t s);

// _contrib_quantized_elemwise_mul (quant2_impl.h): int8 a, b; mode 0: y int32 products, range outputs; mode 1:
// y float32; mode 2: y int8 requantized to the calibration range [clo, chi], range outputs = it. The scales come
// from the device range scalars range[0..3].
void QuantizedMul(int mode, const int8_t *a, const int8_t *b, const float *const range[4], float clo, float chi,
                  void *y, int64_t n, int req, float *lo_out, float *hi_out, int req_lo, int req_hi, cudaStream_t s);

// _contrib_quantized_embedding (quant2_impl.h): y (n * cols int8, req)= rows of w (rows, cols) picked by the n
// indices d of dtype code d_type (0 float32, 1 float64, 3 uint8, 4 int32, 5 int8, 6 int64); *lo_out / *hi_out (their
// requests)= *w_lo / *w_hi.
void QuantizedEmbedding(int d_type, const void *d, int64_t n, const int8_t *w, int64_t rows, int64_t cols, int8_t *y,
                        int req, const float *w_lo, const float *w_hi, float *lo_out, float *hi_out, int req_lo,
                        int req_hi, cudaStream_t s);

// _contrib_quantize_asym (quant2_impl.h): the range [lo, hi] = *range, range[1] (the data's, found by FloatRange of
// kernels_quant.cuh) unless calib (then [clo, chi]); y uint8 (req)= QAsymOne(x), *scale (req_scale), *shift (req_shift).
void QuantizeAsym(const float *x, int64_t n, const float *range, bool calib, float clo, float chi, uint8_t *y, int req,
                  float *scale, float *shift, int req_scale, int req_shift, cudaStream_t s);

}  // namespace cuda
}  // namespace mxc
