// Native GPU kernel of _contrib_quantized_batch_norm (cuda/quant3.cu, kernels_quant3.cuh), forward only as on the
// CPU (core/ops/quantized_bn.cc). A call without a calibration range raises the CPU kernel's error.
#include "gpu_device.h"
#include "gpu_ops.h"
#include "kernels_quant3.cuh"
#include "operator.h"
#include "ops/nn_util.h"
#include "ops/op_util.h"
#include "ops/quantized_bn.h"

namespace mxc {
namespace gpu {

namespace {

void QuantizedBatchNormFwd(FWD_ARGS) {
  const int t = in[0].dtype;
  if ((t != kInt8 && t != kUint8) || out[0].dtype != kInt8) return Fallback(ctx, p, in, req, out);
  for (int k = 1; k < 7; ++k)
    if (in[k].dtype != kFloat32) return Fallback(ctx, p, in, req, out);
  cuda::QBNArgs a{};
  op::QBNCalibRange(p, &a.clo, &a.chi);
  const op::AxisSplit s = op::SplitAt(in[0].shape, op::NormalizeAxis(p.Int("axis"), in[0].ndim(), p.op()));
  Scratch ss(Dev(ctx), static_cast<size_t>(2 * (s.n > 0 ? s.n : 1)) * sizeof(float));
  a.x_int8 = t == kInt8;
  a.x = in[0].dptr;
  a.n = in[0].Size(), a.c = s.n, a.inner = s.inner;
  a.gamma = in[1].ptr<float>(), a.beta = in[2].ptr<float>(), a.mean = in[3].ptr<float>();
  a.var = in[4].ptr<float>(), a.d_lo = in[5].ptr<float>(), a.d_hi = in[6].ptr<float>();
  a.eps = static_cast<float>(p.Float("eps"));
  a.ss = ss.as<float>();
  a.y = out[0].ptr<int8_t>();
  a.req = req[0];
  a.lo_out = out[1].ptr<float>(), a.hi_out = out[2].ptr<float>();
  a.req_lo = req[1], a.req_hi = req[2];
  cuda::QuantizedBatchNorm(a, St(ctx));
  CheckLaunch("_contrib_quantized_batch_norm");
}

}  // namespace

void RegisterQuant3Kernels() { Set("_contrib_quantized_batch_norm", QuantizedBatchNormFwd); }

}  // namespace gpu
}  // namespace mxc
