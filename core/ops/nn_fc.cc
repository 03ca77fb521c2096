// FullyConnected: out = data * weight^T + bias, through GEMM (no copies, transposes handled by GEMM).
#include "gemm.h"
#include "nn_util.h"

namespace mxc {
namespace op {
namespace {

// The GEMM view of a FullyConnected call: data is (batch, k), weight (hidden, k), out (batch, hidden).
struct FCDims {
  int64_t batch = 0, k = 0, hidden = 0;
};

FCDims GetDims(const OpParams &p, const TShape &data) {
  FCDims d;
  d.hidden = p.Int("num_hidden");
  const int nd = data.ndim();
  if (p.Bool("flatten")) {
    d.batch = data[0];
    d.k = 1;
    for (int i = 1; i < nd; ++i) d.k *= data[i];
  } else {
    d.k = data[nd - 1];
    d.batch = 1;
    for (int i = 0; i + 1 < nd; ++i) d.batch *= data[i];
  }
  return d;
}

void FCInferShape(const OpParams &p, std::vector<TShape> *in, std::vector<TShape> *out) {
  const Op *op = p.op();
  const int64_t nh = p.Int("num_hidden");
  MXC_CHECK(nh > 0, ErrorKind::kValue, "operator ", op->name, ": num_hidden must be positive, got ", nh);
  const bool flatten = p.Bool("flatten");
  if (!p.Bool("no_bias")) ShapeAssign(&(*in)[2], TShape{nh}, op, "bias");
  const TShape &d = (*in)[0];
  if (d.empty()) {
    // Data unknown: the weight's first dimension is still known, and with flatten=false so is data's last one.
    ShapeAssign(&(*in)[1], TShape{nh, 0}, op, "weight");
    if (!flatten && (*in)[1].size() == 2 && (*in)[1][1] > 0 && !(*out)[0].empty()) {
      TShape ds = (*out)[0];
      ds.back() = (*in)[1][1];
      ShapeAssign(&(*in)[0], ds, op, "data");
    }
    return;
  }
  int64_t k = 1;
  if (flatten) {
    for (int i = 1; i < d.ndim(); ++i) k *= d[i];
    ShapeAssign(&(*in)[1], TShape{nh, k}, op, "weight");
    ShapeAssign(&(*out)[0], TShape{d[0], nh}, op, "output");
  } else {
    k = d.back();
    ShapeAssign(&(*in)[1], TShape{nh, k}, op, "weight");
    TShape o = d;
    o.back() = nh;
    ShapeAssign(&(*out)[0], o, op, "output");
  }
  // Backward: data's unknown (0) batch dimensions come from the output, and with flatten=false its last one from
  // the weight (as MXNet: zeros(shape=(0, H)) as an RNN's begin state takes the batch size from its consumer).
  const TShape &o = (*out)[0], &w = (*in)[1];
  TShape ds = d;
  if (flatten) {
    if (o.ndim() == 2 && ds[0] == 0) ds[0] = o[0];
    if (ds.ndim() == 2 && ds[1] == 0 && w.ndim() == 2) ds[1] = w[1];
  } else {
    if (o.ndim() == ds.ndim())
      for (int i = 0; i + 1 < ds.ndim(); ++i)
        if (ds[i] == 0) ds[i] = o[i];
    if (ds.back() == 0 && w.ndim() == 2) ds.back() = w[1];
  }
  if (ds != d) ShapeAssign(&(*in)[0], ds, op, "data");
}

template <typename T>
void FCForwardT(const OpParams &p, const std::vector<TBlob> &in, OpReq req, const TBlob &out) {
  const FCDims d = GetDims(p, in[0].shape);
  const T *x = in[0].ptr<T>();
  const T *w = in[1].ptr<T>();
  T *y = out.ptr<T>();
  T beta = GemmBeta<T>(req);
  if (!p.Bool("no_bias")) {
    // Start from the bias (or add it), then accumulate the product on top: one pass over the output.
    const T *b = in[2].ptr<T>();
    const int64_t nh = d.hidden;
    ParallelForWork(d.batch, nh, [&](int64_t i) {
      T *row = y + i * nh;
      if (req == kAddTo) {
        for (int64_t j = 0; j < nh; ++j) row[j] += b[j];
      } else {
        for (int64_t j = 0; j < nh; ++j) row[j] = b[j];
      }
    });
    beta = T(1);
  }
  Gemm(false, true, d.batch, d.hidden, d.k, T(1), x, d.k, w, d.k, beta, y, d.hidden);
}

void FCForward(MXC_NN_FORWARD_ARGS) {
  if (req[0] == kNullOp) return;
  // Unknown (0) dimensions left in data by inference must not leave the output unwritten.
  const FCDims d = GetDims(p, in[0].shape);
  MXC_CHECK(d.batch * d.hidden == out[0].Size(), ErrorKind::kShape, "operator ", p.op()->name, ": data ",
            ShapeStr(in[0].shape), " gives ", d.batch, " rows but the output is ", ShapeStr(out[0].shape));
  MXC_REAL_TYPE_SWITCH(in[0].dtype, T, { FCForwardT<T>(p, in, req[0], out[0]); });
}

template <typename T>
void FCBackwardT(const OpParams &p, const std::vector<TBlob> &out_grad, const std::vector<TBlob> &in_data,
                 const std::vector<OpReq> &req, const std::vector<TBlob> &in_grad) {
  const FCDims d = GetDims(p, in_data[0].shape);
  const T *dy = out_grad[0].ptr<T>();
  const T *x = in_data[0].ptr<T>();
  const T *w = in_data[1].ptr<T>();
  // d data = dy * W: (batch, hidden) x (hidden, k)
  if (req[0] != kNullOp)
    Gemm(false, false, d.batch, d.k, d.hidden, T(1), dy, d.hidden, w, d.k, GemmBeta<T>(req[0]), in_grad[0].ptr<T>(),
         d.k);
  // d weight = dy^T * x: (hidden, batch) x (batch, k)
  if (req[1] != kNullOp)
    Gemm(true, false, d.hidden, d.k, d.batch, T(1), dy, d.hidden, x, d.k, GemmBeta<T>(req[1]), in_grad[1].ptr<T>(),
         d.k);
  // d bias = column sums of dy (row-wise accumulation keeps the loads contiguous).
  if (!p.Bool("no_bias") && req[2] != kNullOp) {
    T *db = in_grad[2].ptr<T>();
    std::vector<T> acc(d.hidden, T(0));
    for (int64_t i = 0; i < d.batch; ++i) {
      const T *row = dy + i * d.hidden;
      for (int64_t j = 0; j < d.hidden; ++j) acc[j] += row[j];
    }
    for (int64_t j = 0; j < d.hidden; ++j) Assign(db + j, req[2], acc[j]);
  }
}

void FCBackward(MXC_NN_BACKWARD_ARGS) {
  MXC_REAL_TYPE_SWITCH(in_data[0].dtype, T, { FCBackwardT<T>(p, out_grad, in_data, req, in_grad); });
}

}  // namespace

MXC_REGISTER_OP(FullyConnected)
    .describe("Applies a linear transformation: out = data * weight^T + bias. With flatten=true (the default) data "
              "of shape (batch, d1, ..., dn) is treated as (batch, d1*...*dn); otherwise the transformation applies "
              "to the last axis. weight has shape (num_hidden, k), bias (num_hidden,).")
    .set_inputs({"data", "weight", "bias"})
    .set_input_names([](const OpParams &p) {
      return p.Bool("no_bias") ? std::vector<std::string>{"data", "weight"}
                               : std::vector<std::string>{"data", "weight", "bias"};
    })
    .add_required_param("num_hidden", ParamKind::kInt, "Number of hidden units of the output.")
    .add_param("no_bias", ParamKind::kBool, "False", "Whether to disable the bias (then there is no bias input).")
    .add_param("flatten", ParamKind::kBool, "True", "Whether to collapse all but the first axis of the input data.")
    .set_infer_shape(FCInferShape)
    .set_infer_type(FloatOnlyTypeInfer)
    .set_compute(MXC_CPU, FCForward)
    .set_backward(MXC_CPU, FCBackward)
    .set_backward_uses(true, false);

}  // namespace op
}  // namespace mxc
