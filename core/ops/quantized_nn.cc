// Quantized layers (MXNet 1.x contrib names): _contrib_quantized_fully_connected and _contrib_quantized_flatten.
// Forward only. int8 (or uint8) data and int8 weight multiply into int32 sums; the int8 bias is rescaled to the
// output's units (quant_impl.h: QuantBiasFactor, QuantBiasInt32); the outputs' range is that of the int32 product
// (QuantProductRange), as MXNet 1.9.1's pip build gives.
#include <vector>

#include "nn_util.h"
#include "quant_impl.h"

namespace mxc {
namespace op {
namespace {

template <typename T>
inline void Put(T *dst, OpReq req, T v) {
  if (req == kAddTo) *dst = static_cast<T>(*dst + v);
  else if (req != kNullOp) *dst = v;
}

float RangeOf(const TBlob &lo, const TBlob &hi) { return QuantMaxAbs(lo.ptr<float>()[0], hi.ptr<float>()[0]); }

void CheckDtype(const Op *op, const char *arg, int t, std::initializer_list<int> ok) {
  if (t < 0) return;
  std::string names;
  for (int o : ok) {
    if (o == t) return;
    names += std::string(names.empty() ? "" : ", ") + DTypeName(o);
  }
  Throw(ErrorKind::kType, "operator ", op->name, ": '", arg, "' has dtype ", DTypeName(t), ", which is not supported (",
        names, ")");
}

// ---------------------------------------------------------------------------------------------------------------
// quantized_fully_connected: inputs data, weight, [bias], min_data, max_data, min_weight, max_weight,
// [min_bias, max_bias]
// ---------------------------------------------------------------------------------------------------------------
std::vector<std::string> QFCInputs(const OpParams &p) {
  if (p.Bool("no_bias")) return {"data", "weight", "min_data", "max_data", "min_weight", "max_weight"};
  return {"data", "weight", "bias", "min_data", "max_data", "min_weight", "max_weight", "min_bias", "max_bias"};
}

void QFCInferShape(const OpParams &p, std::vector<TShape> *in, std::vector<TShape> *out) {
  const Op *op = p.op();
  const int64_t nh = p.Int("num_hidden");
  MXC_CHECK(nh > 0, ErrorKind::kValue, "operator ", op->name, ": num_hidden must be positive, got ", nh);
  const bool bias = !p.Bool("no_bias");
  const auto names = QFCInputs(p);
  for (size_t k = bias ? 3 : 2; k < in->size(); ++k) ShapeAssign(&(*in)[k], TShape{1}, op, names[k]);
  if (bias) ShapeAssign(&(*in)[2], TShape{nh}, op, "bias");
  ShapeAssign(&(*out)[1], TShape{1}, op, "min_output");
  ShapeAssign(&(*out)[2], TShape{1}, op, "max_output");
  const TShape &d = (*in)[0];
  if (d.empty()) {
    ShapeAssign(&(*in)[1], TShape{nh, 0}, op, "weight");
    return;
  }
  if (p.Bool("flatten")) {
    int64_t k = 1;
    for (int i = 1; i < d.ndim(); ++i) k *= d[i];
    ShapeAssign(&(*in)[1], TShape{nh, k}, op, "weight");
    ShapeAssign(&(*out)[0], TShape{d[0], nh}, op, "output");
  } else {
    ShapeAssign(&(*in)[1], TShape{nh, d.back()}, op, "weight");
    TShape o = d;
    o.back() = nh;
    ShapeAssign(&(*out)[0], o, op, "output");
  }
}

void QFCInferType(const OpParams &p, std::vector<int> *in, std::vector<int> *out) {
  const Op *op = p.op();
  const auto names = QFCInputs(p);
  CheckDtype(op, "data", (*in)[0], {kInt8, kUint8});
  TypeAssign(&(*in)[1], kInt8, op, "weight");
  const bool bias = !p.Bool("no_bias");
  if (bias) TypeAssign(&(*in)[2], kInt8, op, "bias");
  for (size_t k = bias ? 3 : 2; k < in->size(); ++k) TypeAssign(&(*in)[k], kFloat32, op, names[k]);
  TypeAssign(&(*out)[0], kInt32, op, "output");
  TypeAssign(&(*out)[1], kFloat32, op, "min_output");
  TypeAssign(&(*out)[2], kFloat32, op, "max_output");
}

template <typename D>
void QFCRun(const OpParams &p, const std::vector<TBlob> &in, const std::vector<OpReq> &req,
            const std::vector<TBlob> &out) {
  const bool bias = !p.Bool("no_bias");
  const int r0 = bias ? 3 : 2;  // first range input
  const int64_t nh = p.Int("num_hidden"), k = in[1].shape[1];
  const int64_t rows = k ? in[0].Size() / k : out[0].Size() / nh;
  const bool d8 = in[0].dtype == kInt8;
  const float md = RangeOf(in[r0], in[r0 + 1]), mw = RangeOf(in[r0 + 2], in[r0 + 3]);
  std::vector<int32_t> b(static_cast<size_t>(nh), 0);
  if (bias) {
    const float f = QuantBiasFactor(d8, md, mw, RangeOf(in[r0 + 4], in[r0 + 5]));
    for (int64_t h = 0; h < nh; ++h) b[h] = QuantBiasInt32(in[2].ptr<int8_t>()[h], f);
  }
  const D *x = in[0].ptr<D>();
  const int8_t *w = in[1].ptr<int8_t>();
  int32_t *y = out[0].ptr<int32_t>();
  if (req[0] != kNullOp)
    ParallelForWork(rows, nh * k, [&](int64_t r) {
      for (int64_t h = 0; h < nh; ++h) {
        int32_t acc = b[h];
        for (int64_t j = 0; j < k; ++j) acc += static_cast<int32_t>(x[r * k + j]) * static_cast<int32_t>(w[h * k + j]);
        Put(y + r * nh + h, req[0], acc);
      }
    });
  const float m = QuantProductRange(d8, md, mw);
  Put(out[1].ptr<float>(), req[1], -m);
  Put(out[2].ptr<float>(), req[2], m);
}

void QFCForward(MXC_NN_FORWARD_ARGS) {
  if (in[0].dtype == kInt8) QFCRun<int8_t>(p, in, req, out);
  else QFCRun<uint8_t>(p, in, req, out);
}

// ---------------------------------------------------------------------------------------------------------------
// quantized_flatten: data (N, ...) -> (N, prod ...), the range passed through
// ---------------------------------------------------------------------------------------------------------------
void QFlattenInferShape(const OpParams &p, std::vector<TShape> *in, std::vector<TShape> *out) {
  const Op *op = p.op();
  ShapeAssign(&(*in)[1], TShape{1}, op, "min_data");
  ShapeAssign(&(*in)[2], TShape{1}, op, "max_data");
  ShapeAssign(&(*out)[1], TShape{1}, op, "min_output");
  ShapeAssign(&(*out)[2], TShape{1}, op, "max_output");
  const TShape &d = (*in)[0];
  if (d.empty()) return;
  if (d.ndim() < 1) Throw(ErrorKind::kShape, "operator ", op->name, ": data shape ", ShapeStr(d), " has no axis");
  int64_t k = 1;
  for (int i = 1; i < d.ndim(); ++i) k *= d[i];
  ShapeAssign(&(*out)[0], TShape{d[0], k}, op, "output");
}

void QFlattenInferType(const OpParams &p, std::vector<int> *in, std::vector<int> *out) {
  const Op *op = p.op();
  CheckDtype(op, "data", (*in)[0], {kInt8, kUint8, kInt32, kFloat32});
  if ((*in)[0] >= 0) TypeAssign(&(*out)[0], (*in)[0], op, "output");
  else if ((*out)[0] >= 0) TypeAssign(&(*in)[0], (*out)[0], op, "data");
  TypeAssign(&(*in)[1], kFloat32, op, "min_data");
  TypeAssign(&(*in)[2], kFloat32, op, "max_data");
  TypeAssign(&(*out)[1], kFloat32, op, "min_output");
  TypeAssign(&(*out)[2], kFloat32, op, "max_output");
}

void QFlattenForward(MXC_NN_FORWARD_ARGS) {
  MXC_TYPE_SWITCH(in[0].dtype, T, {
    const T *x = in[0].ptr<T>();
    T *y = out[0].ptr<T>();
    if (req[0] != kNullOp) ParallelFor(in[0].Size(), [&](int64_t i) { Put(y + i, req[0], x[i]); });
  });
  Put(out[1].ptr<float>(), req[1], in[1].ptr<float>()[0]);
  Put(out[2].ptr<float>(), req[2], in[2].ptr<float>()[0]);
}

std::vector<std::string> RangeOutputNames(const OpParams &) { return {"output", "min_output", "max_output"}; }

[[maybe_unused]] const int registered = [] {
  OpRegistry::Get()
      ->Register("_contrib_quantized_fully_connected")
      .describe("FullyConnected on int8 (or uint8) data and int8 weight and bias, with their float32 ranges: int32 "
                "output = data * weight^T + the bias rescaled to the product's units, and the output's range "
                "+-(2^31 - 1) Md Mw / (127 * 127) (127 * 255 for uint8 data). Forward only.")
      .set_inputs({"data", "weight", "bias", "min_data", "max_data", "min_weight", "max_weight", "min_bias",
                   "max_bias"})
      .set_input_names(QFCInputs)
      .set_num_outputs(3)
      .set_output_names(RangeOutputNames)
      .add_required_param("num_hidden", ParamKind::kInt, "Number of hidden units of the output.")
      .add_param("no_bias", ParamKind::kBool, "False", "Whether to disable the bias (then there is no bias input).")
      .add_param("flatten", ParamKind::kBool, "True", "Whether to collapse all but the first axis of the input data.")
      .set_infer_shape(QFCInferShape)
      .set_infer_type(QFCInferType)
      .set_compute(MXC_CPU, QFCForward);
  OpRegistry::Get()
      ->Register("_contrib_quantized_flatten")
      .describe("Flatten of quantized data: (N, ...) to (N, prod(...)), the range min_data, max_data passed through.")
      .set_inputs({"data", "min_data", "max_data"})
      .set_num_outputs(3)
      .set_output_names(RangeOutputNames)
      .set_infer_shape(QFlattenInferShape)
      .set_infer_type(QFlattenInferType)
      .set_compute(MXC_CPU, QFlattenForward);
  return 0;
}();

}  // namespace
}  // namespace op
}  // namespace mxc
