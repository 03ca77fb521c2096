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

// ---- the operators of core/ops/misc_more4.cc (dtype: core's codes, float32/float64 and the integer codes 3-6) ----
// _onehot_encode: y (n, k) float32 (req) one-hot of idx (n,) float32.
void OneHotEncode(const float *idx, float *y, int64_t n, int64_t k, int req, cudaStream_t s);
// y (req) = a (+ b when not null), n elements of dtype.
void AddCopy(int dtype, const void *a, const void *b, void *y, int64_t n, int req, cudaStream_t s);
// y (req) = v converted to dtype (as the CPU's static_cast from double).
void FillValue(int dtype, double v, void *y, int64_t n, int req, cudaStream_t s);
// IdentityAttachKLSparseReg: x (N, C, S); avg (C,) updated in place (momentum m); the gradient dx (req) = og +
// penalty * (-t / avg + (1 - t) / (1 - avg)). float32/float64.
void KLMovingAvg(int dtype, const void *x, void *avg, int64_t N, int64_t C, int64_t S, double m, cudaStream_t s);
void KLGrad(int dtype, const void *og, const void *avg, void *dx, int64_t N, int64_t C, int64_t S, double t,
            double penalty, int req, cudaStream_t s);
// _sample_unique_zipfian: one thread per row, draws from a counter-based stream (key, row) until S distinct classes
// of [0, r); samples (B, S) and trials (B,) int64 (written).
void UniqueZipfian(int64_t r, int64_t B, int64_t S, uint64_t key, int64_t *samples, int64_t *trials, cudaStream_t s);

}  // namespace cuda
}  // namespace mxc
