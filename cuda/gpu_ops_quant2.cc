// Native GPU kernels of more int8 quantization operators (cuda/quant2.cu, kernels_quant2.cuh):
// _contrib_calibrate_entropy (forward only, as on the CPU: core/ops/quantized_more.cc). Bad parameters go to the
// CPU kernel, which raises the error.
#include "gpu_device.h"
#include "gpu_ops.h"
#include "kernels_quant.cuh"
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

// quantized_elemwise_add: the scales found on the device from the range inputs, one thread per element.
void QuantizedElemwiseAddFwd(FWD_ARGS) {
  const int ta = in[0].dtype, tb = in[1].dtype, ty = out[0].dtype;
  if ((ta != kInt8 && ta != kUint8) || (tb != kInt8 && tb != kUint8) ||
      (ty != kInt32 && ty != kInt8 && ty != kUint8))
    return Fallback(ctx, p, in, req, out);
  cuda::QAddArgs g{};
  g.a_int8 = ta == kInt8, g.b_int8 = tb == kInt8;
  g.a = in[0].dptr, g.b = in[1].dptr;
  for (int k = 0; k < 4; ++k) g.range[k] = in[2 + k].ptr<float>();
  g.calib = !p.IsNone("min_calib_range") && !p.IsNone("max_calib_range");
  g.clo = g.calib ? static_cast<float>(p.Float("min_calib_range")) : 0.0f;
  g.chi = g.calib ? static_cast<float>(p.Float("max_calib_range")) : 0.0f;
  g.y_type = ty == kInt32 ? 0 : ty == kInt8 ? 1 : 2;
  g.y = out[0].dptr;
  g.n = in[0].Size();
  g.req = req[0];
  g.lo_out = out[1].ptr<float>(), g.hi_out = out[2].ptr<float>();
  g.req_lo = req[1], g.req_hi = req[2];
  cuda::QuantizedAdd(g, St(ctx));
  CheckLaunch("_contrib_quantized_elemwise_add");
}

// quantize_asym: the data's range found on the device first (unless calibrated), one thread per element.
void QuantizeAsymFwd(FWD_ARGS) {
  if (in[0].dtype != kFloat32 || out[0].dtype != kUint8) return Fallback(ctx, p, in, req, out);
  const bool calib = !p.IsNone("min_calib_range") && !p.IsNone("max_calib_range");
  const float *x = in[0].ptr<float>();
  const int64_t n = in[0].Size();
  Scratch range(Dev(ctx), 2 * sizeof(float));
  if (!calib) cuda::FloatRange(x, n, range.as<float>(), St(ctx));
  cuda::QuantizeAsym(x, n, range.as<float>(), calib, calib ? static_cast<float>(p.Float("min_calib_range")) : 0.0f,
                     calib ? static_cast<float>(p.Float("max_calib_range")) : 0.0f, out[0].ptr<uint8_t>(), req[0],
                     out[1].ptr<float>(), out[2].ptr<float>(), req[1], req[2], St(ctx));
  CheckLaunch("_contrib_quantize_asym");
}

// quantized_elemwise_mul: int32 products, float32 or calibrated int8 values; scales found on the device.
void QuantizedElemwiseMulFwd(FWD_ARGS) {
  if (in[0].dtype != kInt8 || in[1].dtype != kInt8) return Fallback(ctx, p, in, req, out);
  const bool fl = p.Bool("enable_float_output");
  const bool calib = !p.IsNone("min_calib_range") && !p.IsNone("max_calib_range");
  const int mode = fl ? 1 : calib ? 2 : 0;
  const float *range[4];
  for (int k = 0; k < 4; ++k) range[k] = in[2 + k].ptr<float>();
  cuda::QuantizedMul(mode, in[0].ptr<int8_t>(), in[1].ptr<int8_t>(), range,
                     calib ? static_cast<float>(p.Float("min_calib_range")) : 0.0f,
                     calib ? static_cast<float>(p.Float("max_calib_range")) : 0.0f, out[0].dptr, in[0].Size(), req[0],
                     fl ? nullptr : out[1].ptr<float>(), fl ? nullptr : out[2].ptr<float>(), fl ? 0 : req[1],
                     fl ? 0 : req[2], St(ctx));
  CheckLaunch("_contrib_quantized_elemwise_mul");
}

// quantized_embedding: one thread per output element.
void QuantizedEmbeddingFwd(FWD_ARGS) {
  const int t = in[0].dtype;
  const int code = t == kFloat32 ? 0 : t == kFloat64 ? 1 : t == kUint8 ? 3 : t == kInt32 ? 4 : t == kInt8 ? 5
                                                                                                   : t == kInt64 ? 6 : -1;
  if (code < 0 || in[1].dtype != kInt8) return Fallback(ctx, p, in, req, out);
  cuda::QuantizedEmbedding(code, in[0].dptr, in[0].Size(), in[1].ptr<int8_t>(), in[1].shape[0], in[1].shape[1],
                           out[0].ptr<int8_t>(), req[0], in[2].ptr<float>(), in[3].ptr<float>(), out[1].ptr<float>(),
                           out[2].ptr<float>(), req[1], req[2], St(ctx));
  CheckLaunch("_contrib_quantized_embedding");
}

}  // namespace

void RegisterQuant2Kernels() {
  Set("_contrib_quantized_embedding", QuantizedEmbeddingFwd);
  Set("_contrib_quantized_elemwise_mul", QuantizedElemwiseMulFwd);
  Set("_contrib_quantize_asym", QuantizeAsymFwd);
  Set("_contrib_calibrate_entropy", CalibrateEntropyFwd);
  Set("_contrib_quantized_elemwise_add", QuantizedElemwiseAddFwd);
}

}  // namespace gpu
}  // namespace mxc
