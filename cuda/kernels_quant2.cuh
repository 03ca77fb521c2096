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

}  // namespace cuda
}  // namespace mxc
