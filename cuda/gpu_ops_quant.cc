// Native GPU kernels of the int8 quantization operators (cuda/quant.cu, kernels_quant.cuh): contrib quantize,
// quantize_v2, dequantize and requantize (forward only, as on the CPU: core/ops/quantization.cc). Every call runs
// natively (type inference admits only the dtypes the kernels take).
#include <memory>

#include "gpu_device.h"
#include "gpu_ops.h"
#include "kernels_quant.cuh"
#include "operator.h"
#include "ops/quantization.h"

namespace mxc {
namespace gpu {

namespace {

cuda::QuantArgs ArgsOf(const OpParams &p, const Reqs &req, const Blobs &out) {
  const op::QuantSpec s = op::QuantSpecOf(p);
  cuda::QuantArgs a{};
  a.int8 = s.int8;
  a.r = s.r;
  a.calib = s.calib;
  a.calib_lo = s.calib_lo, a.calib_hi = s.calib_hi;
  a.y = out[0].dptr;
  a.out_lo = out[1].ptr<float>(), a.out_hi = out[2].ptr<float>();
  a.req = req[0], a.req_lo = req[1], a.req_hi = req[2];
  return a;
}

// quantize: the range from the range inputs.
void QuantizeFwd(FWD_ARGS) {
  if (in[0].dtype != kFloat32) return Fallback(ctx, p, in, req, out);
  cuda::QuantArgs a = ArgsOf(p, req, out);
  a.x = in[0].ptr<float>();
  a.n = in[0].Size();
  a.in_lo = in[1].ptr<float>(), a.in_hi = in[2].ptr<float>();
  cuda::Quantize(a, St(ctx));
  CheckLaunch("_contrib_quantize");
}

// quantize_v2: the calibration range, or the data's (found on the device first).
void QuantizeV2Fwd(FWD_ARGS) {
  if (in[0].dtype != kFloat32) return Fallback(ctx, p, in, req, out);
  cuda::QuantArgs a = ArgsOf(p, req, out);
  a.x = in[0].ptr<float>();
  a.n = in[0].Size();
  std::unique_ptr<Scratch> range;
  if (!a.calib) {
    range.reset(new Scratch(Dev(ctx), 2 * sizeof(float)));
    cuda::FloatRange(a.x, a.n, range->as<float>(), St(ctx));
    a.data_range = range->as<float>();
  }
  cuda::Quantize(a, St(ctx));
  CheckLaunch("_contrib_quantize_v2");
}

// requantize: the calibration range, or the real values of the data's smallest and largest int32.
void RequantizeFwd(FWD_ARGS) {
  if (in[0].dtype != kInt32) return Fallback(ctx, p, in, req, out);
  cuda::QuantArgs a = ArgsOf(p, req, out);
  a.int32_x = in[0].ptr<int32_t>();
  a.n = in[0].Size();
  a.in_lo = in[1].ptr<float>(), a.in_hi = in[2].ptr<float>();
  std::unique_ptr<Scratch> range;
  if (!a.calib) {
    range.reset(new Scratch(Dev(ctx), 2 * sizeof(int32_t)));
    cuda::Int32Range(a.int32_x, a.n, range->as<int32_t>(), St(ctx));
    a.int_range = range->as<int32_t>();
  }
  cuda::Quantize(a, St(ctx));
  CheckLaunch("_contrib_requantize");
}

void DequantizeFwd(FWD_ARGS) {
  const int t = in[0].dtype;
  if ((t != kInt8 && t != kUint8) || out[0].dtype != kFloat32) return Fallback(ctx, p, in, req, out);
  if (req[0] == kNullOp) return;
  cuda::Dequantize(t == kInt8, in[0].dptr, in[0].Size(), in[1].ptr<float>(), in[2].ptr<float>(),
                   out[0].ptr<float>(), req[0], St(ctx));
  CheckLaunch("_contrib_dequantize");
}

// quantized_fully_connected: int8/uint8 data, int8 weight and bias (type inference admits no other).
void QuantizedFCFwd(FWD_ARGS) {
  const int t = in[0].dtype;
  if ((t != kInt8 && t != kUint8) || in[1].dtype != kInt8) return Fallback(ctx, p, in, req, out);
  const bool bias = !p.Bool("no_bias");
  const int r0 = bias ? 3 : 2;
  cuda::QFCArgs a{};
  a.data_int8 = t == kInt8;
  a.x = in[0].dptr;
  a.w = in[1].ptr<int8_t>();
  a.bias = bias ? in[2].ptr<int8_t>() : nullptr;
  for (int k = 0; k < (bias ? 6 : 4); ++k) a.range[k] = in[r0 + k].ptr<float>();
  a.nh = p.Int("num_hidden");
  a.k = in[1].shape[1];
  a.rows = a.k ? static_cast<int64_t>(in[0].Size()) / a.k : static_cast<int64_t>(out[0].Size()) / a.nh;
  a.y = out[0].ptr<int32_t>();
  a.out_lo = out[1].ptr<float>(), a.out_hi = out[2].ptr<float>();
  a.req = req[0], a.req_lo = req[1], a.req_hi = req[2];
  cuda::QuantizedFC(a, St(ctx));
  CheckLaunch("_contrib_quantized_fully_connected");
}

void QuantizedFlattenFwd(FWD_ARGS) {
  const int t = in[0].dtype;
  if (t != kInt8 && t != kUint8 && t != kInt32 && t != kFloat32) return Fallback(ctx, p, in, req, out);
  cuda::QuantizedCopy(t, in[0].dptr, out[0].dptr, in[0].Size(), req[0], in[1].ptr<float>(), in[2].ptr<float>(),
                      out[1].ptr<float>(), out[2].ptr<float>(), req[1], req[2], St(ctx));
  CheckLaunch("_contrib_quantized_flatten");
}

void QuantizedConvFwd(FWD_ARGS) {
  const int t = in[0].dtype;
  if ((t != kInt8 && t != kUint8) || in[1].dtype != kInt8) return Fallback(ctx, p, in, req, out);
  const bool bias = !p.Bool("no_bias");
  const int r0 = bias ? 3 : 2;
  const op::QConvGeom g = op::QuantConvGeometry(p, in[0].shape);
  const float *range[4];
  for (int k = 0; k < 4; ++k) range[k] = in[r0 + k].ptr<float>();
  cuda::QuantizedConv(g, t == kInt8, in[0].dptr, in[1].ptr<int8_t>(), bias ? in[2].ptr<int8_t>() : nullptr, range,
                      out[0].ptr<int32_t>(), req[0], out[1].ptr<float>(), out[2].ptr<float>(), req[1], req[2],
                      St(ctx));
  CheckLaunch("_contrib_quantized_conv");
}

void QuantizedPoolingFwd(FWD_ARGS) {
  const int t = in[0].dtype;
  if (t != kInt8 && t != kUint8) return Fallback(ctx, p, in, req, out);
  const op::QPoolGeom g = op::QuantPoolGeometry(p, in[0].shape);
  cuda::QuantizedPool(g, t == kInt8, in[0].dptr, out[0].dptr, req[0], St(ctx));
  // the range passed through (a copy of no elements)
  cuda::QuantizedCopy(t, in[0].dptr, out[0].dptr, 0, 0, in[1].ptr<float>(), in[2].ptr<float>(), out[1].ptr<float>(),
                      out[2].ptr<float>(), req[1], req[2], St(ctx));
  CheckLaunch("_contrib_quantized_pooling");
}

void QuantizedActFwd(FWD_ARGS) {
  const int t = in[0].dtype;
  if (t != kInt8 && t != kUint8) return Fallback(ctx, p, in, req, out);
  cuda::QuantizedRelu(t == kInt8, in[0].dptr, out[0].dptr, in[0].Size(), req[0], St(ctx));
  cuda::QuantizedCopy(t, in[0].dptr, out[0].dptr, 0, 0, in[1].ptr<float>(), in[2].ptr<float>(), out[1].ptr<float>(),
                      out[2].ptr<float>(), req[1], req[2], St(ctx));
  CheckLaunch("_contrib_quantized_act");
}

// quantized_concat: every input's range gathered on the device, then one kernel per input writing its slab.
void QuantizedConcatFwd(FWD_ARGS) {
  const int64_t n = p.Int("num_args");
  const int ot = out[0].dtype;
  for (int64_t i = 0; i < n; ++i)
    if ((in[i].dtype != kInt8 && in[i].dtype != kUint8) || (ot == kUint8 && in[i].dtype != kUint8))
      return Fallback(ctx, p, in, req, out);
  Scratch ranges(Dev(ctx), static_cast<size_t>(2 * n) * sizeof(float));
  float *r = ranges.as<float>();
  for (int64_t i = 0; i < n; ++i)
    cuda::QuantizedCopy(in[i].dtype, in[i].dptr, nullptr, 0, 0, in[n + 2 * i].ptr<float>(),
                        in[n + 2 * i + 1].ptr<float>(), r + 2 * i, r + 2 * i + 1, 1, 1, St(ctx));
  const TShape &os = out[0].shape;
  int ax = static_cast<int>(p.Int("dim"));
  if (ax < 0) ax += os.ndim();
  int64_t outer = 1, after = 1;
  for (int d = 0; d < ax; ++d) outer *= os[d];
  for (int d = ax + 1; d < os.ndim(); ++d) after *= os[d];
  int64_t off = 0;
  for (int64_t i = 0; i < n; ++i) {
    cuda::QConcatSlab a{};
    a.x_int8 = in[i].dtype == kInt8, a.y_int8 = ot == kInt8;
    a.x = in[i].dptr;
    a.outer = outer, a.inner = in[i].shape[ax] * after, a.out_inner = os[ax] * after, a.off = off;
    a.ranges = r, a.n = n, a.i = i;
    a.y = out[0].dptr, a.req = req[0];
    a.out_lo = out[1].ptr<float>(), a.out_hi = out[2].ptr<float>(), a.req_lo = req[1], a.req_hi = req[2];
    a.write_range = i == 0;
    cuda::QuantizedConcatSlab(a, St(ctx));
    off += a.inner;
  }
  CheckLaunch("_contrib_quantized_concat");
}

}  // namespace

void RegisterQuantKernels() {
  Set("_contrib_quantized_concat", QuantizedConcatFwd);
  Set("_contrib_quantized_act", QuantizedActFwd);
  Set("_contrib_quantized_conv", QuantizedConvFwd);
  Set("_contrib_quantized_pooling", QuantizedPoolingFwd);
  Set("_contrib_quantized_fully_connected", QuantizedFCFwd);
  Set("_contrib_quantized_flatten", QuantizedFlattenFwd);
  Set("_contrib_quantize", QuantizeFwd);
  Set("_contrib_quantize_v2", QuantizeV2Fwd);
  Set("_contrib_dequantize", DequantizeFwd);
  Set("_contrib_requantize", RequantizeFwd);
}

}  // namespace gpu
}  // namespace mxc
