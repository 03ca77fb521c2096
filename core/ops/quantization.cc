// INT8 quantization operators (MXNet 1.x contrib names): _contrib_quantize, _contrib_quantize_v2,
// _contrib_dequantize and _contrib_requantize. Forward only (no gradients), as in MXNet. The arithmetic per element
// is in quant_impl.h (shared with the GPU kernels), the choice of type and scale in quantization.h.
#include <limits>
#include <vector>

#include "nn_util.h"
#include "quantization.h"

namespace mxc {
namespace op {
namespace {

// ---------------------------------------------------------------------------------------------------------------
// Shape and type inference
// ---------------------------------------------------------------------------------------------------------------
// data of any shape, range inputs (1,) (when the op has them), outputs data's shape then (1,) (1,).
void QuantInferShape(const OpParams &p, std::vector<TShape> *in, std::vector<TShape> *out) {
  const Op *op = p.op();
  if (in->size() == 3) {
    ShapeAssign(&(*in)[1], TShape{1}, op, "min_range");
    ShapeAssign(&(*in)[2], TShape{1}, op, "max_range");
  }
  for (size_t k = 1; k < out->size(); ++k) ShapeAssign(&(*out)[k], TShape{1}, op, k == 1 ? "min_output" : "max_output");
  if (!(*in)[0].empty()) ShapeAssign(&(*out)[0], (*in)[0], op, "output");
  else if (!(*out)[0].empty()) ShapeAssign(&(*in)[0], (*out)[0], op, "data");
}

// data must have one of `ok` dtypes (the first is the default); range inputs float32; the output dtype `ot`, the
// range outputs float32.
void QuantTypes(const OpParams &p, std::vector<int> *in, std::vector<int> *out, std::vector<int> ok, int ot) {
  const Op *op = p.op();
  int &d = (*in)[0];
  if (d >= 0) {
    bool good = false;
    for (int t : ok) good = good || t == d;
    if (!good) {
      std::string names;
      for (int t : ok) names += std::string(names.empty() ? "" : ", ") + DTypeName(t);
      Throw(ErrorKind::kType, "operator ", op->name, ": 'data' has dtype ", DTypeName(d),
            ", which is not supported (", names, ")");
    }
  } else if (ok.size() == 1) {
    d = ok[0];
  }
  for (size_t k = 1; k < in->size(); ++k) TypeAssign(&(*in)[k], kFloat32, op, k == 1 ? "min_range" : "max_range");
  TypeAssign(&(*out)[0], ot, op, "output");
  for (size_t k = 1; k < out->size(); ++k) TypeAssign(&(*out)[k], kFloat32, op, k == 1 ? "min_output" : "max_output");
}

void QuantizeInferType(const OpParams &p, std::vector<int> *in, std::vector<int> *out) {
  QuantTypes(p, in, out, {kFloat32}, QuantSpecOf(p).int8 ? kInt8 : kUint8);
}
void DequantizeInferType(const OpParams &p, std::vector<int> *in, std::vector<int> *out) {
  QuantTypes(p, in, out, {kUint8, kInt8}, kFloat32);
}
void RequantizeInferType(const OpParams &p, std::vector<int> *in, std::vector<int> *out) {
  QuantTypes(p, in, out, {kInt32}, QuantSpecOf(p).int8 ? kInt8 : kUint8);
}

// ---------------------------------------------------------------------------------------------------------------
// Kernels
// ---------------------------------------------------------------------------------------------------------------
void WriteRange(const QuantSpec &s, float lo, float hi, const std::vector<TBlob> &out, const std::vector<OpReq> &req) {
  float olo, ohi;
  QuantOutRange(s.int8, lo, hi, &olo, &ohi);
  Assign(out[1].ptr<float>(), req[1], olo);
  Assign(out[2].ptr<float>(), req[2], ohi);
}

// out[0] (req)= quantized f(i) for i < n with scale s.
template <typename F>
void QuantizeInto(const QuantSpec &s, float scale, int64_t n, const TBlob &y, OpReq req, F f) {
  if (req == kNullOp) return;
  const int lo = s.Lo(), hi = s.Hi();
  if (s.int8) {
    int8_t *q = y.ptr<int8_t>();
    ParallelFor(n, [&](int64_t i) { Assign(q + i, req, static_cast<int8_t>(QuantizeOne(f(i), scale, lo, hi))); });
  } else {
    uint8_t *q = y.ptr<uint8_t>();
    ParallelFor(n, [&](int64_t i) { Assign(q + i, req, static_cast<uint8_t>(QuantizeOne(f(i), scale, lo, hi))); });
  }
}

void QuantizeForward(MXC_NN_FORWARD_ARGS) {
  const QuantSpec s = QuantSpecOf(p);
  const float lo = in[1].ptr<float>()[0], hi = in[2].ptr<float>()[0];
  const float *x = in[0].ptr<float>();
  QuantizeInto(s, QuantScale(s.r, QuantMaxAbs(lo, hi)), in[0].Size(), out[0], req[0], [&](int64_t i) { return x[i]; });
  WriteRange(s, lo, hi, out, req);
}

// The smallest and largest of n floats, NaN left out; (0, 0) when there is none.
void DataRange(const float *x, int64_t n, float *lo, float *hi) {
  float a = std::numeric_limits<float>::infinity(), b = -a;
  for (int64_t i = 0; i < n; ++i) {
    if (x[i] < a) a = x[i];
    if (x[i] > b) b = x[i];
  }
  if (a > b) a = b = 0;
  *lo = a, *hi = b;
}

void QuantizeV2Forward(MXC_NN_FORWARD_ARGS) {
  const QuantSpec s = QuantSpecOf(p);
  const float *x = in[0].ptr<float>();
  float lo = s.calib_lo, hi = s.calib_hi;
  if (!s.calib) DataRange(x, in[0].Size(), &lo, &hi);
  QuantizeInto(s, QuantScale(s.r, QuantMaxAbs(lo, hi)), in[0].Size(), out[0], req[0], [&](int64_t i) { return x[i]; });
  WriteRange(s, lo, hi, out, req);
}

void DequantizeForward(MXC_NN_FORWARD_ARGS) {
  if (req[0] == kNullOp) return;
  const float m = QuantMaxAbs(in[1].ptr<float>()[0], in[2].ptr<float>()[0]);
  const float f = m / (in[0].dtype == kInt8 ? 127.5f : 255.5f);
  float *y = out[0].ptr<float>();
  const int64_t n = in[0].Size();
  if (in[0].dtype == kInt8) {
    const int8_t *q = in[0].ptr<int8_t>();
    ParallelFor(n, [&](int64_t i) { Assign(y + i, req[0], static_cast<float>(q[i]) * f); });
  } else {
    const uint8_t *q = in[0].ptr<uint8_t>();
    ParallelFor(n, [&](int64_t i) { Assign(y + i, req[0], static_cast<float>(q[i]) * f); });
  }
}

void RequantizeForward(MXC_NN_FORWARD_ARGS) {
  const QuantSpec s = QuantSpecOf(p);
  const float m = QuantMaxAbs(in[1].ptr<float>()[0], in[2].ptr<float>()[0]);
  const int32_t *q = in[0].ptr<int32_t>();
  const int64_t n = in[0].Size();
  float lo = s.calib_lo, hi = s.calib_hi;
  if (!s.calib) {
    int32_t a = 0, b = 0;
    for (int64_t i = 0; i < n; ++i) {
      a = i == 0 || q[i] < a ? q[i] : a;
      b = i == 0 || q[i] > b ? q[i] : b;
    }
    lo = Int32Real(a, m), hi = Int32Real(b, m);
  }
  QuantizeInto(s, QuantScale(s.r, QuantMaxAbs(lo, hi)), n, out[0], req[0],
               [&](int64_t i) { return Int32Real(q[i], m); });
  WriteRange(s, lo, hi, out, req);
}

[[maybe_unused]] const int registered = [] {
  OpRegistry::Get()
      ->Register("_contrib_quantize")
      .describe("Quantizes float32 data to int8 (scale 127 / max(|min_range|, |max_range|), range out symmetric) or "
                "uint8 (scale 255 / max(|min_range|, |max_range|), negative values 0, range out as given), "
                "rounding half to even. Forward only.")
      .set_inputs({"data", "min_range", "max_range"})
      .set_num_outputs(3)
      .add_param("out_type", ParamKind::kEnum, "uint8", "Output data type.", {"int8", "uint8"})
      .set_infer_shape(QuantInferShape)
      .set_infer_type(QuantizeInferType)
      .set_compute(MXC_CPU, QuantizeForward);
  OpRegistry::Get()
      ->Register("_contrib_quantize_v2")
      .describe("Quantizes float32 data to int8 (scale 127.5 / M) or uint8 (scale 255.5 / M) with M the largest "
                "magnitude of the calibration range, or of the data's range when none is given; outputs the data "
                "and its range. auto: uint8 when min_calib_range >= 0 is given, else int8. Forward only.")
      .set_inputs({"data"})
      .set_num_outputs(3)
      .add_param("out_type", ParamKind::kEnum, "int8", "Output data type.", {"auto", "int8", "uint8"})
      .add_param("min_calib_range", ParamKind::kOptFloat, "None", "The smallest value of the calibration range.")
      .add_param("max_calib_range", ParamKind::kOptFloat, "None", "The largest value of the calibration range.")
      .set_infer_shape(QuantInferShape)
      .set_infer_type(QuantizeInferType)
      .set_compute(MXC_CPU, QuantizeV2Forward);
  OpRegistry::Get()
      ->Register("_contrib_dequantize")
      .describe("Dequantizes int8 (q * M / 127.5) or uint8 (q * M / 255.5) data to float32, M = max(|min_range|, "
                "|max_range|). Forward only.")
      .set_inputs({"data", "min_range", "max_range"})
      .add_param("out_type", ParamKind::kEnum, "float32", "Output data type.", {"float32"})
      .set_infer_shape(QuantInferShape)
      .set_infer_type(DequantizeInferType)
      .set_compute(MXC_CPU, DequantizeForward);
  OpRegistry::Get()
      ->Register("_contrib_requantize")
      .describe("Requantizes int32 data (whose largest value 2^31 - 1 stands for max(|min_range|, |max_range|)) to "
                "int8 (scale 127 / M) or uint8 (scale 255 / M), M from the calibration range or, without one, "
                "from the data's range. Forward only.")
      .set_inputs({"data", "min_range", "max_range"})
      .set_num_outputs(3)
      .add_param("out_type", ParamKind::kEnum, "int8", "Output data type.", {"auto", "int8", "uint8"})
      .add_param("min_calib_range", ParamKind::kOptFloat, "None", "The smallest value of the calibration range.")
      .add_param("max_calib_range", ParamKind::kOptFloat, "None", "The largest value of the calibration range.")
      .set_infer_shape(QuantInferShape)
      .set_infer_type(RequantizeInferType)
      .set_compute(MXC_CPU, RequantizeForward);
  return 0;
}();

}  // namespace
}  // namespace op
}  // namespace mxc
