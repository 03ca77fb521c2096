// GPU kernels of cuda/quant3.cu behind the raw-pointer boundary (registered by cuda/gpu_ops_quant3.cc):
// _contrib_quantized_batch_norm with the arithmetic of core/ops/quant3_impl.h (shared with the CPU kernel). req codes
// are OpReq's: 0 skip, 1 write, 2 write in place, 3 add.
#pragma once

#include <cuda_runtime.h>

#include <cstdint>

namespace mxc {
namespace cuda {

// _contrib_quantized_batch_norm: x int8 (x_int8) or uint8, n elements seen as (outer, c, inner) around the channel
// axis; gamma, beta, mean, var: c floats; the data's range the device scalars *d_lo, *d_hi; the output range
// [clo, chi] with eps. ss: 2 c floats of device scratch (each channel's scale, then shift). y int8 (req); the output
// range into lo_out, hi_out (req_lo, req_hi).
struct QBNArgs {
  bool x_int8;
  const void *x;
  int64_t n, c, inner;
  const float *gamma, *beta, *mean, *var, *d_lo, *d_hi;
  float eps, clo, chi;
  float *ss;
  int8_t *y;
  int req;
  float *lo_out, *hi_out;
  int req_lo, req_hi;
};
void QuantizedBatchNorm(const QBNArgs &args, cudaStream_t s);

}  // namespace cuda
}  // namespace mxc
