// MXNet 1.9.1's _contrib_quantized_batch_norm: BatchNorm of int8 (or uint8) data with its range, with the moving
// statistics, requantized to int8 in the calibration range (required, as in MXNet). Forward only. The arithmetic is
// in quant3_impl.h (shared with the GPU kernel, cuda/quant3.cu); quantize_model puts this operator in place of a
// BatchNorm whose input is quantized (bindings/python/mxc/contrib/quantization.py).
#include <cmath>
#include <vector>

#include "elemwise_util.h"
#include "nn_util.h"
#include "op_util.h"
#include "quant3_impl.h"
#include "quantized_bn.h"
#include "quant_impl.h"
#include "quantization.h"

namespace mxc {
namespace op {
namespace {

const char *const kQBNInputs[] = {"data", "gamma", "beta", "moving_mean", "moving_var", "min_data", "max_data"};

void QBNInferShape(const OpParams &p, std::vector<TShape> *in, std::vector<TShape> *out) {
  const Op *op = p.op();
  ShapeAssign(&(*in)[5], TShape{1}, op, "min_data");
  ShapeAssign(&(*in)[6], TShape{1}, op, "max_data");
  ShapeAssign(&(*out)[1], TShape{1}, op, "min_output");
  ShapeAssign(&(*out)[2], TShape{1}, op, "max_output");
  const TShape &d = (*in)[0];
  if (d.empty()) return;
  MXC_CHECK(d.ndim() >= 1, ErrorKind::kShape, "operator ", op->name, ": 'data' must have at least one dimension, got ",
            ShapeStr(d));
  const int axis = NormalizeAxis(p.Int("axis"), d.ndim(), op);
  for (int k = 1; k < 5; ++k) ShapeAssign(&(*in)[k], TShape{d[axis]}, op, kQBNInputs[k]);
  ShapeAssign(&(*out)[0], d, op, "output");
}

void QBNInferType(const OpParams &p, std::vector<int> *in, std::vector<int> *out) {
  const Op *op = p.op();
  const int t = (*in)[0];
  MXC_CHECK(t < 0 || t == kInt8 || t == kUint8, ErrorKind::kType, "operator ", op->name, ": 'data' has dtype ",
            DTypeName(t), ", which is not supported (int8, uint8)");
  for (int k = 1; k < 7; ++k) TypeAssign(&(*in)[k], kFloat32, op, kQBNInputs[k]);
  TypeAssign(&(*out)[0], kInt8, op, "output");
  TypeAssign(&(*out)[1], kFloat32, op, "min_output");
  TypeAssign(&(*out)[2], kFloat32, op, "max_output");
}

template <typename D>
void QBNLoop(const TBlob &x, const float *scale, const float *shift, int64_t c, int64_t inner, int8_t *y, OpReq req) {
  const D *d = x.ptr<D>();
  ParallelFor(x.Size(), [&](int64_t i) {
    const int64_t k = (i / inner) % c;
    Assign(y + i, req, QBNOne(QBNIn(d[i]), scale[k], shift[k]));
  });
}

void QuantizedBatchNormForward(MXC_NN_FORWARD_ARGS) {
  float lo, hi;
  QBNCalibRange(p, &lo, &hi);
  const AxisSplit s = SplitAt(in[0].shape, NormalizeAxis(p.Int("axis"), in[0].ndim(), p.op()));
  const float md = QuantMaxAbs(in[5].ptr<float>()[0], in[6].ptr<float>()[0]), mo = QuantMaxAbs(lo, hi);
  const float eps = static_cast<float>(p.Float("eps"));
  std::vector<float> scale(static_cast<size_t>(s.n)), shift(static_cast<size_t>(s.n));
  const float *g = in[1].ptr<float>(), *b = in[2].ptr<float>(), *m = in[3].ptr<float>(), *v = in[4].ptr<float>();
  for (int64_t k = 0; k < s.n; ++k) QBNChannel(g[k], b[k], m[k], v[k], eps, md, mo, &scale[k], &shift[k]);
  if (req[0] != kNullOp) {
    if (in[0].dtype == kInt8)
      QBNLoop<int8_t>(in[0], scale.data(), shift.data(), s.n, s.inner, out[0].ptr<int8_t>(), req[0]);
    else
      QBNLoop<uint8_t>(in[0], scale.data(), shift.data(), s.n, s.inner, out[0].ptr<int8_t>(), req[0]);
  }
  Assign(out[1].ptr<float>(), req[1], lo);
  Assign(out[2].ptr<float>(), req[2], hi);
}

[[maybe_unused]] const int registered = [] {
  OpRegistry::Get()
      ->Register("_contrib_quantized_batch_norm")
      .describe("BatchNorm operator for input and output data type of int8: int8 (or uint8) data with its range "
                "[min_data, max_data], normalised with the moving statistics (gamma always used) and requantized to "
                "int8 in the calibration range [min_calib_range, max_calib_range], which is required and is the "
                "output range. Arithmetic as MXNet 1.9.1's oneDNN kernel (quant3_impl.h). Forward only.")
      .set_inputs({"data", "gamma", "beta", "moving_mean", "moving_var", "min_data", "max_data"})
      .set_aux_inputs({3, 4})  // moving_mean, moving_var: MXNet 1.9.1 lists them before the data range
      .set_num_outputs(3)
      .set_output_names([](const OpParams &) {
        return std::vector<std::string>{"output", "min_output", "max_output"};
      })
      .add_param("eps", ParamKind::kFloat, "0.0010000000474974513",
                 "Epsilon to prevent div 0. Must be no less than CUDNN_BN_MIN_EPSILON defined in cudnn.h when using "
                 "cudnn (usually 1e-5)")
      .add_param("momentum", ParamKind::kFloat, "0.899999976", "Momentum for moving average (not used: inference).")
      .add_param("fix_gamma", ParamKind::kBool, "True",
                 "Fix gamma while training (not used: gamma is always applied, as in MXNet's quantized kernel).")
      .add_param("use_global_stats", ParamKind::kBool, "False",
                 "Whether use global moving statistics instead of local batch-norm (the moving statistics are "
                 "always used).")
      .add_param("output_mean_var", ParamKind::kBool, "False", "Output the mean and inverse std (not used).")
      .add_param("axis", ParamKind::kInt, "1", "Specify which shape axis the channel is specified")
      .add_param("cudnn_off", ParamKind::kBool, "False", "Do not select CUDNN operator, if available (ignored).")
      .add_param("min_calib_range", ParamKind::kOptFloat, "None",
                 "The minimum scalar value in the form of float32 obtained through calibration: the output range's "
                 "minimum (required).")
      .add_param("max_calib_range", ParamKind::kOptFloat, "None",
                 "The maximum scalar value in the form of float32 obtained through calibration: the output range's "
                 "maximum (required).")
      .set_infer_shape(QBNInferShape)
      .set_infer_type(QBNInferType)
      .set_compute(MXC_CPU, QuantizedBatchNormForward);
  return 0;
}();

}  // namespace
}  // namespace op
}  // namespace mxc
