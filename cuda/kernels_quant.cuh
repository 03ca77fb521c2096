// GPU kernels of cuda/quant.cu behind the raw-pointer boundary (registered by cuda/gpu_ops_quant.cc): the int8
// quantization operators contrib quantize, quantize_v2, dequantize and requantize, with the per-element arithmetic
// of core/ops/quant_impl.h (shared with the CPU kernels). req codes are OpReq's: 0 skip, 1 write, 2 write in place,
// 3 add.
#pragma once

#include <cuda_runtime.h>

#include <cstdint>

#include "../core/ops/quant_impl.h"

namespace mxc {
namespace cuda {

// The smallest and largest of n floats, NaN left out, into range[0], range[1] ((0, 0) when there is none).
void FloatRange(const float *x, int64_t n, float *range, cudaStream_t s);
// The smallest and largest of n int32 into range[0], range[1] ((0, 0) when n is 0).
void Int32Range(const int32_t *q, int64_t n, int32_t *range, cudaStream_t s);

// A quantization of float32 data (int32_x null) or of int32 data with range max(|*in_lo|, |*in_hi|)
// (requantize) to int8 (else uint8) with scale r / M, M the largest magnitude of the range [lo, hi]:
// - calib: [calib_lo, calib_hi];
// - else float data with data_range: *data_range (quantize_v2 without calibration);
// - else float data: [*in_lo, *in_hi] (quantize);
// - else int32 data: the real values of int_range[0], int_range[1] (requantize without calibration).
// Writes y (n values) and the range outputs out_lo, out_hi (each with its request).
struct QuantArgs {
  bool int8;
  float r;
  bool calib;
  float calib_lo, calib_hi;
  const float *x;
  const int32_t *int32_x;
  int64_t n;
  const float *in_lo, *in_hi, *data_range;
  const int32_t *int_range;
  void *y;
  float *out_lo, *out_hi;
  int req, req_lo, req_hi;
};
void Quantize(const QuantArgs &a, cudaStream_t s);

// y (req)= q * (max(|*in_lo|, |*in_hi|) / (int8 ? 127.5 : 255.5)) for int8 (else uint8) q.
void Dequantize(bool int8, const void *q, int64_t n, const float *in_lo, const float *in_hi, float *y, int req,
                cudaStream_t s);

// ---- quantized_fully_connected: y (rows, nh) int32 (req)= x (rows, k) (int8, else uint8) * w (nh, k)^T + the
// int8 bias (null: none) rescaled (QuantBiasFactor of the ranges, read from the device scalars r[0..5]: min/max of
// data, weight, bias); range outputs +-QuantProductRange ----
struct QFCArgs {
  bool data_int8;
  const void *x;
  const int8_t *w, *bias;
  const float *range[6];
  int64_t rows, k, nh;
  int32_t *y;
  float *out_lo, *out_hi;
  int req, req_lo, req_hi;
};
void QuantizedFC(const QFCArgs &a, cudaStream_t s);

// ---- quantized_flatten: y (req)= x (n elements of elem_bytes: 1 int8/uint8, 4 int32/float32 with is_float), the
// range copied ----
void QuantizedCopy(int dtype, const void *x, void *y, int64_t n, int req, const float *in_lo, const float *in_hi,
                   float *out_lo, float *out_hi, int req_lo, int req_hi, cudaStream_t s);

// ---- quantized_conv (2-D NCHW; core/ops/quant_impl.h QConvOutput): y int32 (req)= conv of x (int8, else uint8)
// and w + the int8 bias (null: none); range outputs +-QuantProductRange of the device scalars r[0..3] ----
using QConvGeom = op::QConvGeom;
void QuantizedConv(const QConvGeom &g, bool data_int8, const void *x, const int8_t *w, const int8_t *bias,
                   const float *const range[4], int32_t *y, int req, float *out_lo, float *out_hi, int req_lo,
                   int req_hi, cudaStream_t s);

// ---- quantized_pooling (2-D NCHW; QPoolOutput): y (req)= pooled x (int8, else uint8) ----
using QPoolGeom = op::QPoolGeom;
void QuantizedPool(const QPoolGeom &g, bool data_int8, const void *x, void *y, int req, cudaStream_t s);

// ---- quantized_act (relu): y (req)= max(x, 0) for int8 (else uint8: x) ----
void QuantizedRelu(bool int8, const void *x, void *y, int64_t n, int req, cudaStream_t s);

// ---- quantized_concat: input i's slab of the output: y[o, off + j] (req)= x[o, j] (int8 x_int8, else uint8)
// rescaled (QuantConcatFactor) to the output's range, ranges[2 k], ranges[2 k + 1] (k < n) holding every input's
// range on the device; write_range: also writes the output's range ----
struct QConcatSlab {
  bool x_int8, y_int8;
  const void *x;
  int64_t outer, inner, out_inner, off;
  const float *ranges;
  int64_t n, i;
  void *y;
  int req;
  float *out_lo, *out_hi;
  int req_lo, req_hi;
  bool write_range;
};
void QuantizedConcatSlab(const QConcatSlab &a, cudaStream_t s);

}  // namespace cuda
}  // namespace mxc
