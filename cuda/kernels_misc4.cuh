// GPU kernels of cuda/misc4.cu behind the raw-pointer boundary (registered by cuda/gpu_ops_misc4.cc): contrib fft and
// ifft, and the other operators of branch misc. float32/float64 (dtype codes of kernels.cuh: 0 float32, 1 float64);
// req codes are OpReq's: 0 skip, 1 write, 2 write in place, 3 add.
#pragma once

#include <cuda_runtime.h>

#include <cstdint>

namespace mxc {
namespace cuda {

// ---- fft / ifft (core/ops/fft.cc, fft_impl.h): `rows` rows of n points; x (rows, n) real or (rows, 2 n)
// interleaved (complex_in); y (rows, 2 n) interleaved (complex_out) or (rows, n) real parts; sign -1 forward, +1
// inverse, unnormalised. work: 2 * chunk * n doubles (4 * chunk * n when n is not a power of two); rows are
// transformed `chunk` at a time.
void FftRows(int dtype, const void *x, void *y, int64_t rows, int64_t n, bool complex_in, bool complex_out, int sign,
             int req, int64_t chunk, double *work, cudaStream_t s);

// ---- BatchNorm_v1 (core/ops/legacy_ops.cc): its variance output from BatchNorm's inverse std, in double:
// v (req) = 1 / s^2 - eps; and back: s = 1 / sqrt(v + eps) ----
void BNVarFromInvStd(int dtype, const void *s, void *v, int64_t n, double eps, int req, cudaStream_t st);
void BNInvStdFromVar(int dtype, const void *v, void *s, int64_t n, double eps, cudaStream_t st);

}  // namespace cuda
}  // namespace mxc
