// More of MXNet 1.9.1's INT8 quantization operators: _contrib_calibrate_entropy (the threshold of a histogram that
// minimises the KL divergence between it and its quantization, for quantize_model's calib_mode='entropy') and
// _contrib_quantized_elemwise_add. Forward only, as in MXNet. The arithmetic is in calib_entropy_impl.h and
// quant2_impl.h (shared with the GPU kernels).
#include <cmath>
#include <vector>

#include "calib_entropy_impl.h"
#include "elemwise_util.h"
#include "nn_util.h"
#include "quant2_impl.h"
#include "quantization.h"

namespace mxc {
namespace op {
namespace {

void CheckCalibParams(const OpParams &p, int64_t n) {
  const int64_t nq = p.Int("num_quantized_bins");
  MXC_CHECK(nq >= 1, ErrorKind::kValue, "operator ", p.op()->name, ": num_quantized_bins must be positive, got ",
            nq);
  MXC_CHECK(nq / 2 <= CalibLastCandidate(n) && n >= 1, ErrorKind::kValue, "operator ", p.op()->name,
            ": num_quantized_bins (", nq, ") needs a histogram 'hist' of at least ", nq / 2 * 2 + 1,
            " bins, got ", n);
}

void CalibInferShape(const OpParams &p, std::vector<TShape> *in, std::vector<TShape> *out) {
  const Op *op = p.op();
  const TShape &h = (*in)[0];
  if (!h.empty()) {
    MXC_CHECK(h.ndim() == 1, ErrorKind::kShape, "operator ", op->name, ": 'hist' must be 1-D, got shape ",
              ShapeStr(h));
    if (h[0] > 0) CheckCalibParams(p, h[0]);
    ShapeAssign(&(*in)[1], TShape{h[0] + 1}, op, "hist_edges");
  }
  ShapeAssign(&(*out)[0], TShape{1}, op, "threshold");
  ShapeAssign(&(*out)[1], TShape{1}, op, "divergence");
}

void CalibInferType(const OpParams &p, std::vector<int> *in, std::vector<int> *out) {
  const Op *op = p.op();
  TypeAssign(&(*in)[0], kFloat32, op, "hist");
  TypeAssign(&(*in)[1], kFloat32, op, "hist_edges");
  TypeAssign(&(*out)[0], kFloat32, op, "threshold");
  TypeAssign(&(*out)[1], kFloat32, op, "divergence");
}

void CalibrateEntropyForward(MXC_NN_FORWARD_ARGS) {
  const int64_t n = in[0].Size();
  CheckCalibParams(p, n);
  const int nq = static_cast<int>(p.Int("num_quantized_bins"));
  const float *hist = in[0].ptr<float>(), *edges = in[1].ptr<float>();
  const int64_t first = nq / 2, last = CalibLastCandidate(n);
  std::vector<double> div(static_cast<size_t>(last - first + 1));
  ParallelFor(static_cast<int64_t>(div.size()),
              [&](int64_t c) { div[static_cast<size_t>(c)] = CalibDivergence(hist, n, nq, first + c); });
  size_t best = 0;
  for (size_t c = 1; c < div.size(); ++c)
    if (div[c] < div[best]) best = c;
  const int64_t i = first + static_cast<int64_t>(best);
  Assign(out[0].ptr<float>(), req[0], edges[n / 2 + i + 1]);
  Assign(out[1].ptr<float>(), req[1], CalibReported(div[best]));
}

// ---- quantized_elemwise_add ----
bool QAddCalib(const OpParams &p) { return !p.IsNone("min_calib_range") && !p.IsNone("max_calib_range"); }

void QAddInferShape(const OpParams &p, std::vector<TShape> *in, std::vector<TShape> *out) {
  const Op *op = p.op();
  static const char *names[] = {"lhs", "rhs", "lhs_min", "lhs_max", "rhs_min", "rhs_max"};
  for (int k = 2; k < 6; ++k) ShapeAssign(&(*in)[k], TShape{1}, op, names[k]);
  TShape &a = (*in)[0], &b = (*in)[1];
  if (!a.empty() && !b.empty())
    MXC_CHECK(a == b, ErrorKind::kShape, "operator ", op->name, ": 'lhs' and 'rhs' must have the same shape, got ",
              ShapeStr(a), " and ", ShapeStr(b));
  if (a.empty() && !b.empty()) a = b;
  if (b.empty() && !a.empty()) b = a;
  if (!a.empty()) ShapeAssign(&(*out)[0], a, op, "output");
  ShapeAssign(&(*out)[1], TShape{1}, op, "min_output");
  ShapeAssign(&(*out)[2], TShape{1}, op, "max_output");
}

void QAddInferType(const OpParams &p, std::vector<int> *in, std::vector<int> *out) {
  const Op *op = p.op();
  for (int k = 0; k < 2; ++k) {
    const int t = (*in)[k];
    MXC_CHECK(t < 0 || t == kInt8 || t == kUint8, ErrorKind::kType, "operator ", op->name, ": '",
              k == 0 ? "lhs" : "rhs", "' has dtype ", DTypeName(t), ", which is not supported (int8, uint8)");
  }
  static const char *names[] = {"lhs_min", "lhs_max", "rhs_min", "rhs_max"};
  for (int k = 2; k < 6; ++k) TypeAssign(&(*in)[k], kFloat32, op, names[k - 2]);
  if (QAddCalib(p)) {
    if ((*in)[0] >= 0) TypeAssign(&(*out)[0], (*in)[0], op, "output");
  } else {
    TypeAssign(&(*out)[0], kInt32, op, "output");
  }
  TypeAssign(&(*out)[1], kFloat32, op, "min_output");
  TypeAssign(&(*out)[2], kFloat32, op, "max_output");
}

template <typename A, typename B, typename O>
void QAddLoop(const TBlob &lhs, const TBlob &rhs, const TBlob &y, OpReq req, float sa, float sb, double lo, double hi) {
  const A *a = lhs.ptr<A>();
  const B *b = rhs.ptr<B>();
  O *o = y.ptr<O>();
  ParallelFor(lhs.Size(), [&](int64_t i) {
    Assign(o + i, req, static_cast<O>(QAddOne(static_cast<float>(a[i]), static_cast<float>(b[i]), sa, sb, lo, hi)));
  });
}

template <typename A, typename B>
void QAddTyped(const TBlob &lhs, const TBlob &rhs, const TBlob &y, OpReq req, float sa, float sb) {
  if (y.dtype == kInt32) QAddLoop<A, B, int32_t>(lhs, rhs, y, req, sa, sb, -2147483648.0, 2147483647.0);
  else if (y.dtype == kInt8) QAddLoop<A, B, int8_t>(lhs, rhs, y, req, sa, sb, -128, 127);
  else QAddLoop<A, B, uint8_t>(lhs, rhs, y, req, sa, sb, 0, 255);
}

void QuantizedElemwiseAddForward(MXC_NN_FORWARD_ARGS) {
  const bool calib = QAddCalib(p);
  const float ma = QuantMaxAbs(in[2].ptr<float>()[0], in[3].ptr<float>()[0]);
  const float mb = QuantMaxAbs(in[4].ptr<float>()[0], in[5].ptr<float>()[0]);
  float sa, sb, lo, hi;
  QAddScales(ma, mb, in[0].dtype == kInt8 ? 127.5f : 255.5f, in[1].dtype == kInt8 ? 127.5f : 255.5f, calib,
             calib ? static_cast<float>(p.Float("min_calib_range")) : 0.0f,
             calib ? static_cast<float>(p.Float("max_calib_range")) : 0.0f, out[0].dtype == kInt8 ? 127.5f : 255.5f,
             &sa, &sb, &lo, &hi);
  if (req[0] != kNullOp) {
    if (in[0].dtype == kInt8 && in[1].dtype == kInt8) QAddTyped<int8_t, int8_t>(in[0], in[1], out[0], req[0], sa, sb);
    else if (in[0].dtype == kInt8) QAddTyped<int8_t, uint8_t>(in[0], in[1], out[0], req[0], sa, sb);
    else if (in[1].dtype == kInt8) QAddTyped<uint8_t, int8_t>(in[0], in[1], out[0], req[0], sa, sb);
    else QAddTyped<uint8_t, uint8_t>(in[0], in[1], out[0], req[0], sa, sb);
  }
  Assign(out[1].ptr<float>(), req[1], lo);
  Assign(out[2].ptr<float>(), req[2], hi);
}

// ---- quantized_elemwise_mul ----
bool QMulFloat(const OpParams &p) { return p.Bool("enable_float_output"); }

void QMulInferShape(const OpParams &p, std::vector<TShape> *in, std::vector<TShape> *out) {
  const Op *op = p.op();
  static const char *names[] = {"lhs", "rhs", "lhs_min", "lhs_max", "rhs_min", "rhs_max"};
  for (int k = 2; k < 6; ++k) ShapeAssign(&(*in)[k], TShape{1}, op, names[k]);
  TShape &a = (*in)[0], &b = (*in)[1];
  if (!a.empty() && !b.empty())
    MXC_CHECK(a == b, ErrorKind::kShape, "operator ", op->name, ": 'lhs' and 'rhs' must have the same shape, got ",
              ShapeStr(a), " and ", ShapeStr(b));
  if (a.empty() && !b.empty()) a = b;
  if (b.empty() && !a.empty()) b = a;
  if (!a.empty()) ShapeAssign(&(*out)[0], a, op, "output");
  if (out->size() == 3) {
    ShapeAssign(&(*out)[1], TShape{1}, op, "min_output");
    ShapeAssign(&(*out)[2], TShape{1}, op, "max_output");
  }
}

void QMulInferType(const OpParams &p, std::vector<int> *in, std::vector<int> *out) {
  const Op *op = p.op();
  TypeAssign(&(*in)[0], kInt8, op, "lhs");
  TypeAssign(&(*in)[1], kInt8, op, "rhs");
  static const char *names[] = {"lhs_min", "lhs_max", "rhs_min", "rhs_max"};
  for (int k = 2; k < 6; ++k) TypeAssign(&(*in)[k], kFloat32, op, names[k - 2]);
  TypeAssign(&(*out)[0], QMulFloat(p) ? kFloat32 : QAddCalib(p) ? kInt8 : kInt32, op, "output");
  if (out->size() == 3) {
    TypeAssign(&(*out)[1], kFloat32, op, "min_output");
    TypeAssign(&(*out)[2], kFloat32, op, "max_output");
  }
}

void QuantizedElemwiseMulForward(MXC_NN_FORWARD_ARGS) {
  const float ma = QuantMaxAbs(in[2].ptr<float>()[0], in[3].ptr<float>()[0]);
  const float mb = QuantMaxAbs(in[4].ptr<float>()[0], in[5].ptr<float>()[0]);
  const int8_t *a = in[0].ptr<int8_t>(), *b = in[1].ptr<int8_t>();
  const int64_t n = in[0].Size();
  if (QMulFloat(p)) {
    const float s = QMulInvScale(ma, mb);
    float *y = out[0].ptr<float>();
    if (req[0] != kNullOp)
      ParallelFor(n, [&](int64_t i) { Assign(y + i, req[0], Q2Mul(static_cast<float>(int32_t(a[i]) * b[i]), s)); });
    return;
  }
  float lo, hi;
  if (QAddCalib(p)) {
    lo = static_cast<float>(p.Float("min_calib_range")), hi = static_cast<float>(p.Float("max_calib_range"));
    const float s = QMulCalibScale(ma, mb, QuantMaxAbs(lo, hi));
    int8_t *y = out[0].ptr<int8_t>();
    if (req[0] != kNullOp)
      ParallelFor(n, [&](int64_t i) { Assign(y + i, req[0], QMulInt8(int32_t(a[i]) * b[i], s)); });
  } else {
    hi = QMulInt32Range(ma, mb), lo = -hi;
    int32_t *y = out[0].ptr<int32_t>();
    if (req[0] != kNullOp) ParallelFor(n, [&](int64_t i) { Assign(y + i, req[0], int32_t(a[i]) * b[i]); });
  }
  Assign(out[1].ptr<float>(), req[1], lo);
  Assign(out[2].ptr<float>(), req[2], hi);
}

// ---- quantized_embedding ----
void QEmbInferShape(const OpParams &p, std::vector<TShape> *in, std::vector<TShape> *out) {
  const Op *op = p.op();
  const int64_t rows = p.Int("input_dim"), cols = p.Int("output_dim");
  MXC_CHECK(rows >= 1 && cols >= 1, ErrorKind::kValue, "operator ", op->name,
            ": input_dim and output_dim must be positive, got ", rows, " and ", cols);
  ShapeAssign(&(*in)[1], TShape{rows, cols}, op, "weight");
  ShapeAssign(&(*in)[2], TShape{1}, op, "min_weight");
  ShapeAssign(&(*in)[3], TShape{1}, op, "max_weight");
  const TShape &d = (*in)[0];
  if (!d.empty()) {
    std::vector<int64_t> o(d.begin(), d.end());
    o.push_back(cols);
    ShapeAssign(&(*out)[0], TShape(o), op, "output");
  }
  ShapeAssign(&(*out)[1], TShape{1}, op, "min_output");
  ShapeAssign(&(*out)[2], TShape{1}, op, "max_output");
}

void QEmbInferType(const OpParams &p, std::vector<int> *in, std::vector<int> *out) {
  const Op *op = p.op();
  int &d = (*in)[0];
  if (d < 0) d = kFloat32;
  MXC_CHECK(d == kFloat32 || d == kFloat64 || d == kUint8 || d == kInt32 || d == kInt8 || d == kInt64,
            ErrorKind::kType, "operator ", op->name, ": 'data' has dtype ", DTypeName(d),
            ", which is not supported (float32, float64, uint8, int8, int32, int64)");
  TypeAssign(&(*in)[1], kInt8, op, "weight");
  TypeAssign(&(*in)[2], kFloat32, op, "min_weight");
  TypeAssign(&(*in)[3], kFloat32, op, "max_weight");
  TypeAssign(&(*out)[0], kInt8, op, "output");
  TypeAssign(&(*out)[1], kFloat32, op, "min_output");
  TypeAssign(&(*out)[2], kFloat32, op, "max_output");
}

void QuantizedEmbeddingForward(MXC_NN_FORWARD_ARGS) {
  const int64_t rows = in[1].shape[0], cols = in[1].shape[1], n = in[0].Size();
  const int8_t *w = in[1].ptr<int8_t>();
  int8_t *y = out[0].ptr<int8_t>();
  if (req[0] != kNullOp) {
    MXC_NUMERIC_TYPE_SWITCH(in[0].dtype, T, {
      const T *d = in[0].ptr<T>();
      ParallelFor(n * cols, [&](int64_t i) {
        const int64_t r = QEmbIndex(static_cast<double>(d[i / cols]), rows);
        Assign(y + i, req[0], w[r * cols + i % cols]);
      });
    });
  }
  Assign(out[1].ptr<float>(), req[1], in[2].ptr<float>()[0]);
  Assign(out[2].ptr<float>(), req[2], in[3].ptr<float>()[0]);
}

// ---- quantize_asym ----
void QAsymInferShape(const OpParams &p, std::vector<TShape> *in, std::vector<TShape> *out) {
  const Op *op = p.op();
  if (!(*in)[0].empty()) ShapeAssign(&(*out)[0], (*in)[0], op, "output");
  ShapeAssign(&(*out)[1], TShape{1}, op, "scale");
  ShapeAssign(&(*out)[2], TShape{1}, op, "shift");
}

void QAsymInferType(const OpParams &p, std::vector<int> *in, std::vector<int> *out) {
  const Op *op = p.op();
  TypeAssign(&(*in)[0], kFloat32, op, "data");
  TypeAssign(&(*out)[0], kUint8, op, "output");
  TypeAssign(&(*out)[1], kFloat32, op, "scale");
  TypeAssign(&(*out)[2], kFloat32, op, "shift");
}

void QuantizeAsymForward(MXC_NN_FORWARD_ARGS) {
  const float *x = in[0].ptr<float>();
  const int64_t n = in[0].Size();
  float lo, hi;
  if (!p.IsNone("min_calib_range") && !p.IsNone("max_calib_range")) {
    lo = static_cast<float>(p.Float("min_calib_range")), hi = static_cast<float>(p.Float("max_calib_range"));
  } else {
    lo = HUGE_VALF, hi = -HUGE_VALF;
    for (int64_t i = 0; i < n; ++i) {
      if (x[i] < lo) lo = x[i];
      if (x[i] > hi) hi = x[i];
    }
    if (lo > hi) lo = hi = 0;
  }
  float scale, shift;
  QAsymParams(lo, hi, &scale, &shift);
  if (req[0] != kNullOp) {
    uint8_t *y = out[0].ptr<uint8_t>();
    ParallelFor(n, [&](int64_t i) { Assign(y + i, req[0], QAsymOne(x[i], scale, shift)); });
  }
  Assign(out[1].ptr<float>(), req[1], scale);
  Assign(out[2].ptr<float>(), req[2], shift);
}

[[maybe_unused]] const int registered = [] {
  OpRegistry::Get()
      ->Register("_contrib_quantized_embedding")
      .describe("Maps integer indices to int8 vector representations (embeddings): row trunc(index) of the int8 "
                "weight, indices clipped to [0, input_dim - 1]; the weight's range passed through. Forward only.")
      .set_inputs({"data", "weight", "min_weight", "max_weight"})
      .set_num_outputs(3)
      .set_output_names([](const OpParams &) {
        return std::vector<std::string>{"output", "min_output", "max_output"};
      })
      .add_required_param("input_dim", ParamKind::kInt, "Vocabulary size of the input indices.")
      .add_required_param("output_dim", ParamKind::kInt, "Dimension of the embedding vectors.")
      .add_param("dtype", ParamKind::kEnum, "float32", "Data type of weight.",
                 {"bfloat16", "float16", "float32", "float64", "int32", "int64", "int8", "uint8"})
      .add_param("sparse_grad", ParamKind::kBool, "False",
                 "Compute row sparse gradient in the backward calculation (not used: no gradient).")
      .set_infer_shape(QEmbInferShape)
      .set_infer_type(QEmbInferType)
      .set_compute(MXC_CPU, QuantizedEmbeddingForward);
  OpRegistry::Get()
      ->Register("_contrib_quantized_elemwise_mul")
      .describe("Multiplies arguments int8 element-wise: int32 products with their range, or (with a calibration "
                "range) int8 values requantized to it, or float32 values (enable_float_output). Arithmetic as "
                "MXNet 1.9.1's kernel (quant2_impl.h). Forward only.")
      .set_inputs({"lhs", "rhs", "lhs_min", "lhs_max", "rhs_min", "rhs_max"})
      .set_num_outputs([](const OpParams &p) -> int64_t { return QMulFloat(p) ? 1 : 3; })
      .set_output_names([](const OpParams &p) {
        return QMulFloat(p) ? std::vector<std::string>{"output"}
                            : std::vector<std::string>{"output", "min_output", "max_output"};
      })
      .add_param("min_calib_range", ParamKind::kOptFloat, "None",
                 "The minimum scalar value in the form of float32 obtained through calibration.")
      .add_param("max_calib_range", ParamKind::kOptFloat, "None",
                 "The maximum scalar value in the form of float32 obtained through calibration.")
      .add_param("enable_float_output", ParamKind::kBool, "False", "Whether to enable float32 output")
      .set_infer_shape(QMulInferShape)
      .set_infer_type(QMulInferType)
      .set_compute(MXC_CPU, QuantizedElemwiseMulForward);
  OpRegistry::Get()
      ->Register("_contrib_quantize_asym")
      .describe("Quantize a input tensor from float to uint8_t: out = in * scale + shift + 0.5 (clamped to [0, 255], "
                "truncated) with scale = 255 / (max_range - min_range) and shift = 255 - max_range * scale; the "
                "range from min/max_calib_range, else the data's. Outputs the data, scale and shift. Forward only.")
      .set_inputs({"data"})
      .set_num_outputs(3)
      .add_param("min_calib_range", ParamKind::kOptFloat, "None",
                 "The minimum scalar value in the form of float32. If present, it will be used to quantize the fp32 "
                 "data.")
      .add_param("max_calib_range", ParamKind::kOptFloat, "None",
                 "The maximum scalar value in the form of float32. If present, it will be used to quantize the fp32 "
                 "data.")
      .set_output_names([](const OpParams &) { return std::vector<std::string>{"output", "scale", "shift"}; })
      .set_infer_shape(QAsymInferShape)
      .set_infer_type(QAsymInferType)
      .set_compute(MXC_CPU, QuantizeAsymForward);
  OpRegistry::Get()
      ->Register("_contrib_quantized_elemwise_add")
      .describe("elemwise_add operator for input dataA and input dataB data type of int8, and accumulates in type "
                "int32 for the output (with a calibration range: requantized to the inputs' type, range as given). "
                "Arithmetic as MXNet 1.9.1's oneDNN kernel (quant2_impl.h). Forward only.")
      .set_inputs({"lhs", "rhs", "lhs_min", "lhs_max", "rhs_min", "rhs_max"})
      .set_num_outputs(3)
      .set_output_names([](const OpParams &) {
        return std::vector<std::string>{"output", "min_output", "max_output"};
      })
      .add_param("min_calib_range", ParamKind::kOptFloat, "None",
                 "The minimum scalar value in the form of float32 obtained through calibration.")
      .add_param("max_calib_range", ParamKind::kOptFloat, "None",
                 "The maximum scalar value in the form of float32 obtained through calibration.")
      .set_infer_shape(QAddInferShape)
      .set_infer_type(QAddInferType)
      .set_compute(MXC_CPU, QuantizedElemwiseAddForward);
  OpRegistry::Get()
      ->Register("_contrib_calibrate_entropy")
      .describe("Provide calibrated min/max for input histogram: the threshold (an edge of hist_edges, right of the "
                "middle bin) whose symmetric window of the histogram hist has the least KL divergence from its "
                "quantization to num_quantized_bins bins, and that divergence. Forward only.")
      .set_inputs({"hist", "hist_edges"})
      .set_num_outputs(2)
      .set_output_names([](const OpParams &) { return std::vector<std::string>{"threshold", "divergence"}; })
      .add_param("num_quantized_bins", ParamKind::kInt, "255", "The number of quantized bins.")
      .set_infer_shape(CalibInferShape)
      .set_infer_type(CalibInferType)
      .set_compute(MXC_CPU, CalibrateEntropyForward);
  return 0;
}();

}  // namespace
}  // namespace op
}  // namespace mxc
