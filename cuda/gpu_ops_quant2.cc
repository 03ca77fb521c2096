// Native GPU kernels of more int8 quantization operators (cuda/quant2.cu, kernels_quant2.cuh):
// _contrib_calibrate_entropy (forward only, as on the CPU: core/ops/quantized_more.cc). Bad parameters go to the
// CPU kernel, which raises the error.
#include "gpu_device.h"
#include "gpu_ops.h"
#include "kernels_quant2.cuh"
#include "operator.h"
#include "ops/calib_entropy_impl.h"

namespace mxc {
namespace gpu {

namespace {

void CalibrateEntropyFwd(FWD_ARGS) {
  const int64_t n = in[0].Size(), nq = p.Int("num_quantized_bins");
  if (in[0].dtype != kFloat32 || in[1].dtype != kFloat32 || n < 1 || nq < 1 || nq / 2 > op::CalibLastCandidate(n))
    return Fallback(ctx, p, in, req, out);
  const int64_t first = nq / 2, count = op::CalibLastCandidate(n) - first + 1;
  Scratch div(Dev(ctx), static_cast<size_t>(count) * sizeof(double));
  cuda::CalibrateEntropy(in[0].ptr<float>(), in[1].ptr<float>(), n, static_cast<int>(nq), first, count,
                         div.as<double>(), out[0].ptr<float>(), out[1].ptr<float>(), req[0], req[1], St(ctx));
  CheckLaunch("_contrib_calibrate_entropy");
}

}  // namespace

void RegisterQuant2Kernels() { Set("_contrib_calibrate_entropy", CalibrateEntropyFwd); }

}  // namespace gpu
}  // namespace mxc
