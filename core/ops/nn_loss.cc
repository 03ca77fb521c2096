// Loss heads: LinearRegressionOutput, LogisticRegressionOutput, MAERegressionOutput, MakeLoss, make_loss; and
// BlockGrad (stop_gradient).
#include "nn_util.h"

namespace mxc {
namespace op {
namespace {

void CopyForward(MXC_NN_FORWARD_ARGS) {
  if (req[0] == kNullOp) return;
  if (req[0] != kAddTo) {  // any dtype
    if (in[0].dptr != out[0].dptr) std::memcpy(out[0].dptr, in[0].dptr, in[0].Size() * DTypeSize(in[0].dtype));
    return;
  }
  MXC_TYPE_SWITCH(in[0].dtype, T, {
    const T *x = in[0].ptr<T>();
    T *y = out[0].ptr<T>();
    ParallelFor(in[0].Size(), [&](int64_t i) { y[i] += x[i]; });
  });
}

// ---------------------------------------------------------------------------------------------------------------
// Regression outputs
// ---------------------------------------------------------------------------------------------------------------
enum RegressionKind { kLinear, kLogistic, kMAE };

// The label has the data's shape; data (N, 1) takes a label (N,) by default.
void RegressionInferShape(const OpParams &p, std::vector<TShape> *in, std::vector<TShape> *out) {
  const Op *op = p.op();
  TShape &d = (*in)[0];
  ShapeAssign(&d, (*out)[0], op, "data");
  if (d.empty()) return;
  TShape &l = (*in)[1];
  if (l.empty()) {
    l = d.ndim() == 2 && d[1] == 1 ? TShape{d[0]} : d;
  } else if (ShapeKnown(l) && ShapeKnown(d) && (l[0] != d[0] || ShapeSize(l) != ShapeSize(d))) {
    Throw(ErrorKind::kShape, "operator ", op->name, ": shape mismatch for 'label': expected ", ShapeStr(d),
          " (or the same batch size and number of elements), got ", ShapeStr(l));
  } else if (!ShapeKnown(l) && l.ndim() == d.ndim()) {
    ShapeAssign(&l, d, op, "label");
  }
  ShapeAssign(&(*out)[0], d, op, "output");
}

template <int kKind>
void RegressionForward(MXC_NN_FORWARD_ARGS) {
  if (kKind != kLogistic) return CopyForward(ctx, p, in, req, out);
  MXC_REAL_TYPE_SWITCH(in[0].dtype, T, {
    const T *x = in[0].ptr<T>();
    MapReq(out[0].ptr<T>(), req[0], in[0].Size(), [x](int64_t i) { return T(1) / (T(1) + std::exp(-x[i])); });
  });
}

// grad = f(out - label) * grad_scale / (number of outputs per sample), f the identity or sign (MAE).
template <int kKind>
void RegressionBackward(MXC_NN_BACKWARD_ARGS) {
  ZeroGrad(in_grad[1], req[1]);  // no gradient for the label
  if (req[0] == kNullOp) return;
  const TBlob &label = in_data[1];
  const int64_t num_output = label.shape[0] == 0 ? 1 : label.Size() / label.shape[0];
  const double scale = p.Float("grad_scale") / static_cast<double>(num_output);
  MXC_REAL_TYPE_SWITCH(out_data[0].dtype, T, {
    const T *y = out_data[0].ptr<T>();
    const T *l = label.ptr<T>();
    const T sc = static_cast<T>(scale);
    MapReq(in_grad[0].ptr<T>(), req[0], out_data[0].Size(), [=](int64_t i) {
      T d = y[i] - l[i];
      if (kKind == kMAE) d = d > T(0) ? T(1) : (d < T(0) ? T(-1) : T(0));
      return d * sc;
    });
  });
}

Op &RegressionOp(const char *name, const char *doc) {
  return OpRegistry::Get()->Register(name)
      .describe(doc)
      .set_inputs({"data", "label"})
      .add_param("grad_scale", ParamKind::kFloat, "1", "Scales the gradient by a float factor.")
      .set_infer_shape(RegressionInferShape)
      .set_infer_type(FloatOnlyTypeInfer)
      .set_inplace({{0, 0}})
      .set_loss()
      .set_backward_uses(true, true);
}

// ---------------------------------------------------------------------------------------------------------------
// MakeLoss: the output is the data; the gradient is grad_scale / normaliser, whatever the head gradient.
// ---------------------------------------------------------------------------------------------------------------
enum Normalization { kNormBatch = 0, kNormNull, kNormValid };  // order of the enum options below

void MakeLossBackward(MXC_NN_BACKWARD_ARGS) {
  if (req[0] == kNullOp) return;
  const TBlob &y = out_data[0];
  double scale = p.Float("grad_scale");
  const int norm = static_cast<int>(p.Get("normalization").i);
  MXC_REAL_TYPE_SWITCH(y.dtype, T, {
    if (norm == kNormBatch) {
      scale /= static_cast<double>(y.shape[0]);
    } else if (norm == kNormValid) {
      const T thresh = static_cast<T>(p.Float("valid_thresh"));
      const T *v = y.ptr<T>();
      int64_t valid = 0;
      for (int64_t i = 0; i < y.Size(); ++i) valid += v[i] > thresh;
      scale /= static_cast<double>(std::max<int64_t>(valid, 1));
    }
    const T sc = static_cast<T>(scale);
    MapReq(in_grad[0].ptr<T>(), req[0], in_grad[0].Size(), [sc](int64_t) { return sc; });
  });
}

void OnesBackward(MXC_NN_BACKWARD_ARGS) {
  MXC_REAL_TYPE_SWITCH(in_grad[0].dtype, T, {
    MapReq(in_grad[0].ptr<T>(), req[0], in_grad[0].Size(), [](int64_t) { return T(1); });
  });
}

void ZeroBackward(MXC_NN_BACKWARD_ARGS) {
  for (size_t i = 0; i < in_grad.size(); ++i) ZeroGrad(in_grad[i], req[i]);
}

}  // namespace

static Op &linreg_reg =
    RegressionOp("LinearRegressionOutput",
                 "Least-squares regression head. Forward: the data. Backward: (out - label) * grad_scale / m, with m "
                 "the number of outputs per sample.")
        .set_compute(MXC_CPU, RegressionForward<kLinear>)
        .set_backward(MXC_CPU, RegressionBackward<kLinear>);

static Op &logreg_reg =
    RegressionOp("LogisticRegressionOutput",
                 "Logistic regression head. Forward: sigmoid(data). Backward: (out - label) * grad_scale / m, with m "
                 "the number of outputs per sample.")
        .set_compute(MXC_CPU, RegressionForward<kLogistic>)
        .set_backward(MXC_CPU, RegressionBackward<kLogistic>);

static Op &maereg_reg =
    RegressionOp("MAERegressionOutput",
                 "Mean-absolute-error regression head. Forward: the data. Backward: sign(out - label) * grad_scale "
                 "/ m, with m the number of outputs per sample.")
        .set_compute(MXC_CPU, RegressionForward<kMAE>)
        .set_backward(MXC_CPU, RegressionBackward<kMAE>);

MXC_REGISTER_OP(MakeLoss)
    .describe("Makes a loss from any symbol: the output is the data, the gradient is grad_scale divided by 1 "
              "(normalization 'null'), the batch size ('batch') or the number of elements above valid_thresh "
              "('valid'), whatever the head gradient.")
    .set_inputs({"data"})
    .add_param("grad_scale", ParamKind::kFloat, "1", "Gradient scale as a supplement to the unary and binary "
                                                         "operators.")
    .add_param("valid_thresh", ParamKind::kFloat, "0",
               "Elements above this threshold count as valid with normalization 'valid'.")
    .add_param("normalization", ParamKind::kEnum, "null", "Normalises the gradient.", {"batch", "null", "valid"})
    .set_infer_shape(SameShapeInfer)
    .set_infer_type(FloatOnlyTypeInfer)
    .set_inplace({{0, 0}})
    .set_loss()
    .set_compute(MXC_CPU, CopyForward)
    .set_backward(MXC_CPU, MakeLossBackward)
    .set_backward_uses(false, true);

MXC_REGISTER_OP(make_loss)
    .describe("Makes a loss from any symbol: the output is the data, the gradient is 1 whatever the head "
              "gradient.")
    .set_inputs({"data"})
    .set_output_names([](const OpParams &) { return std::vector<std::string>{"loss"}; })  // as MXNet 1.9.1
    .set_infer_shape(SameShapeInfer)
    .set_infer_type(FloatOnlyTypeInfer)
    .set_inplace({{0, 0}})
    .set_loss()
    .set_compute(MXC_CPU, CopyForward)
    .set_backward(MXC_CPU, OnesBackward)
    .set_backward_uses(false, false);

MXC_REGISTER_OP(BlockGrad)
    .describe("Stops gradient computation: the output is the data, the gradient of the data is zero.")
    .add_alias("stop_gradient")
    .set_inputs({"data"})
    .set_infer_shape(SameShapeInfer)
    .set_inplace({{0, 0}})
    .set_compute(MXC_CPU, CopyForward)
    .set_backward(MXC_CPU, ZeroBackward)
    .set_backward_uses(false, false);

}  // namespace op
}  // namespace mxc
