// The kernels of kernels_quant3.cuh: _contrib_quantized_batch_norm. One thread per channel finds its scale and shift
// and one thread per element applies them, with the CPU kernel's arithmetic (core/ops/quant3_impl.h: float32 steps
// rounded one at a time), so the results match the CPU bitwise.
#include "common.cuh"
#include "kernels_quant3.cuh"
#include "../core/ops/quant3_impl.h"
#include "../core/ops/quant_impl.h"

namespace mxc {
namespace cuda {

namespace {

__global__ void QBNChannelK(QBNArgs a) {
  const float md = op::QuantMaxAbs(*a.d_lo, *a.d_hi), mo = op::QuantMaxAbs(a.clo, a.chi);
  MXC_CUDA_LOOP(k, a.c) {
    op::QBNChannel(a.gamma[k], a.beta[k], a.mean[k], a.var[k], a.eps, md, mo, a.ss + k, a.ss + a.c + k);
  }
  if (blockIdx.x == 0 && threadIdx.x == 0) {
    Store(a.lo_out, a.req_lo, a.clo);
    Store(a.hi_out, a.req_hi, a.chi);
  }
}

template <typename D>
__global__ void QBNApplyK(QBNArgs a) {
  const D *x = static_cast<const D *>(a.x);
  MXC_CUDA_LOOP(i, a.n) {
    const int64_t k = (i / a.inner) % a.c;
    Store(a.y + i, a.req, op::QBNOne(op::QBNIn(x[i]), a.ss[k], a.ss[a.c + k]));
  }
}

}  // namespace

void QuantizedBatchNorm(const QBNArgs &a, cudaStream_t s) {
  MXC_LAUNCH(Blocks(a.c), kThreads, 0, s, QBNChannelK)(a);
  if (a.n == 0 || a.req == 0) return;
  if (a.x_int8) MXC_LAUNCH(Blocks(a.n), kThreads, 0, s, QBNApplyK<int8_t>)(a);
  else MXC_LAUNCH(Blocks(a.n), kThreads, 0, s, QBNApplyK<uint8_t>)(a);
}

}  // namespace cuda
}  // namespace mxc
