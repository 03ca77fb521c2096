// The kernels of kernels_quant2.cuh. _contrib_calibrate_entropy: one thread per threshold candidate with the CPU
// kernel's arithmetic (core/ops/calib_entropy_impl.h), then one thread picking the first smallest divergence, so the
// results match the CPU bitwise.
#include "common.cuh"
#include "kernels_quant2.cuh"
#include "../core/ops/calib_entropy_impl.h"

namespace mxc {
namespace cuda {

namespace {

__global__ void CalibDivK(const float *hist, int64_t n, int nq, int64_t first, int64_t count, double *div) {
  MXC_CUDA_LOOP(c, count) { div[c] = op::CalibDivergence(hist, n, nq, first + c); }
}

__global__ void CalibPickK(const double *div, int64_t count, const float *edges, int64_t n, int64_t first, float *th,
                           float *dv, int req_th, int req_dv) {
  if (blockIdx.x != 0 || threadIdx.x != 0) return;
  int64_t best = 0;
  for (int64_t c = 1; c < count; ++c)
    if (div[c] < div[best]) best = c;
  Store(th, req_th, edges[n / 2 + first + best + 1]);
  Store(dv, req_dv, static_cast<float>(div[best]));
}

}  // namespace

void CalibrateEntropy(const float *hist, const float *edges, int64_t n, int nq, int64_t first, int64_t count,
                      double *div, float *th, float *dv, int req_th, int req_dv, cudaStream_t s) {
  if (count <= 0) return;
  MXC_LAUNCH(Blocks(count), kThreads, 0, s, CalibDivK)(hist, n, nq, first, count, div);
  MXC_LAUNCH(1, 1, 0, s, CalibPickK)(div, count, edges, n, first, th, dv, req_th, req_dv);
}

}  // namespace cuda
}  // namespace mxc
