// softmax, log_softmax, SoftmaxActivation and the SoftmaxOutput loss (alias Softmax).
#include <type_traits>

#include "fast_math.h"
#include "nn_util.h"
#include "tensor_util.h"

namespace mxc {
namespace op {
namespace {

// ---------------------------------------------------------------------------------------------------------------
// Row kernels over a strided axis: n elements at x[0], x[stride], ...
// ---------------------------------------------------------------------------------------------------------------
template <typename I, typename O, bool kLog>
inline void SoftmaxRow(const I *x, O *y, int64_t n, int64_t stride, double inv_t, OpReq req) {
  double mx = -INFINITY;
  for (int64_t j = 0; j < n; ++j) mx = std::max(mx, static_cast<double>(x[j * stride]));
  double sum = 0;
  for (int64_t j = 0; j < n; ++j) sum += std::exp((static_cast<double>(x[j * stride]) - mx) * inv_t);
  if (kLog) {
    const double lse = std::log(sum);
    for (int64_t j = 0; j < n; ++j)
      Assign(y + j * stride, req, static_cast<O>((static_cast<double>(x[j * stride]) - mx) * inv_t - lse));
  } else {
    const double inv = 1.0 / sum;
    for (int64_t j = 0; j < n; ++j)
      Assign(y + j * stride, req, static_cast<O>(std::exp((static_cast<double>(x[j * stride]) - mx) * inv_t) * inv));
  }
}

// Fast path for float rows with unit stride: the accumulation stays in the element type, in eight lanes (FoldRun,
// tensor_util.h) so that the loops vectorize with a result independent of the instruction set; float32 exp is
// fast_math.h's.
template <typename T>
inline void SoftmaxRowContig(const T *x, T *y, int64_t n, T inv_t) {
  RunIsa<T>(n, [&] {
    T mx = MaxRed::Init<T>();
    FoldRun<MaxRed>(mx, x, n);
    for (int64_t j = 0; j < n; ++j) {
      const T v = (x[j] - mx) * inv_t;
      if constexpr (std::is_same<T, float>::value) y[j] = FastExp(v);
      else y[j] = std::exp(v);
    }
    T sum = 0;
    FoldRun<SumRed>(sum, y, n);
    const T inv = T(1) / sum;
    for (int64_t j = 0; j < n; ++j) y[j] *= inv;
  });
}

// Softmax of data split as (outer, n, inner) along the axis. With `len` (softmax's use_length: one length per
// (outer, inner) row, int32 or int64), each row takes its first min(max(len, 0), n) elements and writes zeros after
// them, as MXNet 1.9.1.
template <typename I, typename O, bool kLog, typename L = int32_t>
void SoftmaxND(const I *x, O *y, const AxisSplit &s, double temperature, OpReq req, const L *len = nullptr) {
  if (req == kNullOp) return;
  const double inv_t = 1.0 / temperature;
  ParallelForWork(s.outer * s.inner, s.n * 8, [&](int64_t r) {
    const int64_t o = r / s.inner, i = r % s.inner;
    const int64_t base = o * s.n * s.inner + i;
    if (len != nullptr) {
      const int64_t m = std::min<int64_t>(std::max<int64_t>(static_cast<int64_t>(len[r]), 0), s.n);
      if (m > 0) SoftmaxRow<I, O, kLog>(x + base, y + base, m, s.inner, inv_t, req);
      for (int64_t j = m; j < s.n; ++j) Assign(y + base + j * s.inner, req, O(0));
      return;
    }
    if constexpr (!kLog && std::is_same<I, O>::value) {
      if (s.inner == 1 && req != kAddTo) {
        SoftmaxRowContig(x + base, y + base, s.n, static_cast<O>(inv_t));
        return;
      }
    }
    SoftmaxRow<I, O, kLog>(x + base, y + base, s.n, s.inner, inv_t, req);
  });
}

// Backward from the output: softmax dx = y * (dy - sum(dy*y)) / T; log_softmax dx = (dy - exp(y) * sum(dy)) / T.
template <typename T, bool kLog>
void SoftmaxGradND(const T *dy, const T *y, T *dx, const AxisSplit &s, double temperature, OpReq req) {
  if (req == kNullOp) return;
  const double inv_t = 1.0 / temperature;
  ParallelForWork(s.outer * s.inner, s.n * 8, [&](int64_t r) {
    const int64_t o = r / s.inner, i = r % s.inner;
    const int64_t base = o * s.n * s.inner + i, st = s.inner;
    double acc = 0;
    if (kLog) {
      for (int64_t j = 0; j < s.n; ++j) acc += dy[base + j * st];
      for (int64_t j = 0; j < s.n; ++j) {
        const int64_t k = base + j * st;
        Assign(dx + k, req, static_cast<T>((dy[k] - std::exp(static_cast<double>(y[k])) * acc) * inv_t));
      }
    } else {
      for (int64_t j = 0; j < s.n; ++j) acc += static_cast<double>(dy[base + j * st]) * y[base + j * st];
      for (int64_t j = 0; j < s.n; ++j) {
        const int64_t k = base + j * st;
        Assign(dx + k, req, static_cast<T>(y[k] * (dy[k] - acc) * inv_t));
      }
    }
  });
}

// ---------------------------------------------------------------------------------------------------------------
// softmax / log_softmax
// ---------------------------------------------------------------------------------------------------------------
double Temperature(const OpParams &p) {
  if (p.IsNone("temperature")) return 1.0;
  double t = p.Float("temperature");
  MXC_CHECK(t != 0 && std::isfinite(t), ErrorKind::kValue, "operator ", p.op()->name,
            ": temperature must be finite and non-zero, got ", t);
  return t;
}

// softmax's use_length adds a 'length' input; log_softmax and softmin have none (MXNet 1.9.1 fails on them too).
bool UsesLength(const OpParams &p) {
  if (!p.Bool("use_length")) return false;
  MXC_CHECK(p.op()->name == "softmax", ErrorKind::kValue, "operator ", p.op()->name,
            ": use_length=True is only supported by softmax (it has no 'length' input)");
  return true;
}

void SoftmaxInferShape(const OpParams &p, std::vector<TShape> *in, std::vector<TShape> *out) {
  if (!UsesLength(p)) {
    SameShapeInfer(p, in, out);
    if (!(*in)[0].empty()) NormalizeAxis(p.Int("axis"), (*in)[0].ndim(), p.op());
    return;
  }
  // 'length' has data's shape without the softmax axis.
  TShape &d = (*in)[0];
  ShapeAssign(&d, (*out)[0], p.op(), "data");
  if (d.empty()) return;
  const int axis = NormalizeAxis(p.Int("axis"), d.ndim(), p.op());
  TShape l;
  for (int k = 0; k < d.ndim(); ++k)
    if (k != axis) l.push_back(d[k]);
  ShapeAssign(&(*in)[1], l, p.op(), "length");
  ShapeAssign(&(*out)[0], d, p.op(), "output");
}

// The output dtype from the data's: the input's (float32/float64) or `dtype`.
void SoftmaxDataType(const OpParams &p, std::vector<int> *in, std::vector<int> *out) {
  if (p.IsNone("dtype")) {
    FloatOnlyTypeInfer(p, in, out);
    return;
  }
  const int ti = (*in)[0];
  MXC_CHECK(ti < 0 || ti == kFloat32 || ti == kFloat64, ErrorKind::kType, "operator ", p.op()->name,
            ": 'data' has dtype ", DTypeName(ti), ", which is not supported (float32, float64)");
  const int t = p.Dtype("dtype");
  MXC_CHECK(t == kFloat32 || t == kFloat64, ErrorKind::kType, "operator ", p.op()->name, ": dtype ", DTypeName(t),
            " is not supported (float32 and float64)");
  TypeAssign(&(*out)[0], t, p.op(), "output");
}

void SoftmaxInferType(const OpParams &p, std::vector<int> *in, std::vector<int> *out) {
  if (!UsesLength(p)) {
    SoftmaxDataType(p, in, out);
    return;
  }
  const int tl = (*in)[1];
  MXC_CHECK(tl < 0 || tl == kInt32 || tl == kInt64, ErrorKind::kType, "operator ", p.op()->name,
            ": 'length' has dtype ", DTypeName(tl), ", which is not supported (int32, int64)");
  std::vector<int> data_only{(*in)[0]};
  SoftmaxDataType(p, &data_only, out);
  (*in)[0] = data_only[0];
}

// kNeg (softmin): the softmax of -x / T, run on a negated copy of x (the rows then subtract the maximum of -x).
template <bool kLog, bool kNeg = false>
void SoftmaxForward(MXC_NN_FORWARD_ARGS) {
  const int axis = NormalizeAxis(p.Int("axis"), in[0].ndim(), p.op());
  const AxisSplit s = SplitAt(in[0].shape, axis);
  const double t = Temperature(p);
  MXC_REAL_TYPE_SWITCH(in[0].dtype, I, {
    const I *x = in[0].ptr<I>();
    std::vector<I> neg;
    if (kNeg) {
      neg.resize(static_cast<size_t>(in[0].Size()));
      for (size_t i = 0; i < neg.size(); ++i) neg[i] = -x[i];
      x = neg.data();
    }
    MXC_REAL_TYPE_SWITCH(out[0].dtype, O, {
      if (in.size() < 2) {
        SoftmaxND<I, O, kLog>(x, out[0].ptr<O>(), s, t, req[0]);
      } else if (in[1].dtype == kInt64) {
        SoftmaxND<I, O, kLog>(x, out[0].ptr<O>(), s, t, req[0], in[1].ptr<int64_t>());
      } else {
        SoftmaxND<I, O, kLog>(x, out[0].ptr<O>(), s, t, req[0], in[1].ptr<int32_t>());
      }
    });
  });
}

template <bool kLog, bool kNeg = false>
void SoftmaxBackward(MXC_NN_BACKWARD_ARGS) {
  const int axis = NormalizeAxis(p.Int("axis"), out_data[0].ndim(), p.op());
  const AxisSplit s = SplitAt(out_data[0].shape, axis);
  const double t = kNeg ? -Temperature(p) : Temperature(p);
  MXC_CHECK(out_data[0].dtype == in_grad[0].dtype, ErrorKind::kType, "operator ", p.op()->name,
            ": the gradient of a softmax with a different output dtype is not supported");
  // With use_length the output is zero past each row's length, so the gradient there is zero too; the length
  // gets none.
  if (in_grad.size() > 1) ZeroGrad(in_grad[1], req[1]);
  MXC_REAL_TYPE_SWITCH(out_data[0].dtype, T, {
    SoftmaxGradND<T, kLog>(out_grad[0].ptr<T>(), out_data[0].ptr<T>(), in_grad[0].ptr<T>(), s, t, req[0]);
  });
}

Op &SoftmaxParams(Op &op) {
  return op.set_inputs(op.name == "softmax" ? std::vector<std::string>{"data", "length"}
                                            : std::vector<std::string>{"data"})
      .set_input_names([](const OpParams &p) {
               return p.op()->name == "softmax" && p.Bool("use_length") ? std::vector<std::string>{"data", "length"}
                                                                        : std::vector<std::string>{"data"};
             })
      .add_param("axis", ParamKind::kInt, "-1", "The axis along which to compute softmax.")
      .add_param("temperature", ParamKind::kOptFloat, "None", "Temperature parameter in softmax (None means 1).")
      .add_param("dtype", ParamKind::kDType, "None",
                 "DType of the output (float32 or float64); None means the input's dtype.")
      .add_param("use_length", ParamKind::kBool, "False", "softmax: take a 'length' input (int32/int64, data's shape without the axis); each row uses its first length elements, zeros after.")
      .set_infer_shape(SoftmaxInferShape)
      .set_infer_type(SoftmaxInferType)
      .set_inplace({{0, 0}})
      .set_backward_uses(false, true);
}

// ---------------------------------------------------------------------------------------------------------------
// SoftmaxActivation (MXNet's older softmax): over the last axis (mode 'instance') or over axis 1 ('channel')
// ---------------------------------------------------------------------------------------------------------------
AxisSplit SoftmaxActivationSplit(const OpParams &p, const TShape &d) {
  return SplitAt(d, p.Str("mode") == "channel" ? 1 : d.ndim() - 1);
}

void SoftmaxActivationInferShape(const OpParams &p, std::vector<TShape> *in, std::vector<TShape> *out) {
  SameShapeInfer(p, in, out);
  const TShape &d = (*in)[0];
  if (d.empty()) return;
  if (p.Str("mode") == "channel" && d.ndim() < 3)
    Throw(ErrorKind::kShape, "operator SoftmaxActivation: data shape ", ShapeStr(d),
          ": Input need to have a least 3 dimensions when mode=channel");
}

void SoftmaxActivationForward(MXC_NN_FORWARD_ARGS) {
  const AxisSplit s = SoftmaxActivationSplit(p, in[0].shape);
  MXC_REAL_TYPE_SWITCH(in[0].dtype, T, { SoftmaxND<T, T, false>(in[0].ptr<T>(), out[0].ptr<T>(), s, 1.0, req[0]); });
}

void SoftmaxActivationBackward(MXC_NN_BACKWARD_ARGS) {
  const AxisSplit s = SoftmaxActivationSplit(p, out_data[0].shape);
  MXC_REAL_TYPE_SWITCH(out_data[0].dtype, T, {
    SoftmaxGradND<T, false>(out_grad[0].ptr<T>(), out_data[0].ptr<T>(), in_grad[0].ptr<T>(), s, 1.0, req[0]);
  });
}

// ---------------------------------------------------------------------------------------------------------------
// SoftmaxOutput
// ---------------------------------------------------------------------------------------------------------------
enum Normalization { kNormBatch = 0, kNormNull, kNormValid };  // order of the enum options below

// How SoftmaxOutput views its data: (n, k, inner) with the softmax over k.
//  multi_output: (N, C, rest...) -> (N, C, prod(rest)), label (N, rest...)
//  preserve_shape: softmax over the last axis, label data.shape[:-1]
//  otherwise: (N, prod(rest)), label (N,)
AxisSplit SoftmaxOutputSplit(const OpParams &p, const TShape &d) {
  AxisSplit s;
  if (p.Bool("multi_output")) {
    s = SplitAt(d, 1);
  } else if (p.Bool("preserve_shape")) {
    s = SplitAt(d, d.ndim() - 1);
  } else {
    s.outer = d[0];
    s.n = d[0] == 0 ? 0 : ShapeSize(d) / d[0];
    s.inner = 1;
  }
  return s;
}

void SoftmaxOutputInferShape(const OpParams &p, std::vector<TShape> *in, std::vector<TShape> *out) {
  const Op *op = p.op();
  TShape &d = (*in)[0];
  ShapeAssign(&d, (*out)[0], op, "data");
  if (d.empty()) return;
  MXC_CHECK(d.ndim() >= 2, ErrorKind::kShape, "operator ", op->name,
            ": data must have at least 2 dimensions (batch, classes), got ", ShapeStr(d));
  TShape &l = (*in)[1];
  if (p.Bool("multi_output")) {
    TShape l2;  // (N, rest...)
    l2.push_back(d[0]);
    int64_t rest = 1;
    for (int i = 2; i < d.ndim(); ++i) {
      l2.push_back(d[i]);
      rest *= d[i];
    }
    const TShape l1{d[0], rest};  // also accepted: (N, prod(rest))
    if (!(l == l1)) ShapeAssign(&l, l2, op, "label");
  } else if (!(l == d)) {
    // A label of the data's shape holds probabilities; otherwise one class index per row.
    TShape ls(d.begin(), d.end() - 1);
    ShapeAssign(&l, ls, op, "label");
  }
  ShapeAssign(&(*out)[0], d, op, "output");
}

template <typename T>
void SoftmaxOutputBackwardT(const OpParams &p, const TBlob &head, const TBlob &label_b, const TBlob &out_b,
                            OpReq req, const TBlob &grad_b) {
  const AxisSplit s = SoftmaxOutputSplit(p, out_b.shape);
  const T *y = out_b.ptr<T>();
  const T *label = label_b.ptr<T>();
  T *g = grad_b.ptr<T>();
  const double grad_scale = p.Float("grad_scale");
  const bool multi = p.Bool("multi_output");
  const bool use_ignore = p.Bool("use_ignore");
  const double ignore = p.Float("ignore_label");
  const int norm = static_cast<int>(p.Get("normalization").i);
  const double alpha = p.Float("smooth_alpha");
  const T *hg = p.Bool("out_grad") && head.dptr != nullptr ? head.ptr<T>() : nullptr;
  const int64_t total = out_b.Size();
  const bool prob_label = !multi && label_b.shape == out_b.shape;

  double scale = grad_scale;
  if (prob_label) {
    // Probabilities as labels: (out - label) * grad_scale, normalised by the batch or by nothing.
    if (norm == kNormBatch) scale /= static_cast<double>(out_b.shape[0]);
    MapReq(g, req, total, [&](int64_t i) {
      T v = static_cast<T>((y[i] - label[i]) * scale);
      return hg ? v * hg[i] : v;
    });
    return;
  }
  // One label per softmax row (the row index r = outer * inner).
  const int64_t rows = s.outer * s.inner;
  double valid = 0;
  for (int64_t r = 0; r < rows; ++r)
    if (static_cast<int64_t>(label[r]) != static_cast<int64_t>(ignore)) valid += 1;
  if (norm == kNormBatch) scale /= static_cast<double>(s.outer);
  else if (norm == kNormValid) scale /= std::max(valid, 1.0);
  if (multi && norm != kNormValid) scale /= static_cast<double>(s.inner);  // per spatial position, as MXNet

  const T off = static_cast<T>(s.n > 1 ? alpha / static_cast<double>(s.n - 1) : 0.0);
  const T on = static_cast<T>(1.0 - alpha);
  const T sc = static_cast<T>(scale);
  ParallelForWork(rows, s.n * 4, [&](int64_t r) {
    const int64_t o = r / s.inner, i = r % s.inner;
    const int64_t base = o * s.n * s.inner + i;
    const int64_t k = static_cast<int64_t>(label[r]);
    const bool ignored = use_ignore && k == static_cast<int64_t>(ignore);
    for (int64_t j = 0; j < s.n; ++j) {
      const int64_t idx = base + j * s.inner;
      T v;
      if (ignored) {
        v = T(0);
      } else {
        // An out-of-range label (such as padding marked -1 without use_ignore) subtracts nothing, as MXNet.
        const T target = alpha != 0 ? (j == k ? on : off) : (j == k ? T(1) : T(0));
        v = (y[idx] - target) * sc;
        if (hg) v *= hg[idx];
      }
      Assign(g + idx, req, v);
    }
  });
}

void SoftmaxOutputForward(MXC_NN_FORWARD_ARGS) {
  const AxisSplit s = SoftmaxOutputSplit(p, in[0].shape);
  MXC_REAL_TYPE_SWITCH(in[0].dtype, T, { SoftmaxND<T, T, false>(in[0].ptr<T>(), out[0].ptr<T>(), s, 1.0, req[0]); });
}

void SoftmaxOutputBackward(MXC_NN_BACKWARD_ARGS) {
  ZeroGrad(in_grad[1], req[1]);  // no gradient for the label
  if (req[0] == kNullOp) return;
  MXC_REAL_TYPE_SWITCH(out_data[0].dtype, T, {
    SoftmaxOutputBackwardT<T>(p, out_grad[0], in_data[1], out_data[0], req[0], in_grad[0]);
  });
}

}  // namespace

static Op &softmax_reg = SoftmaxParams(OpRegistry::Get()->Register("softmax"))
                             .describe("Softmax along an axis: exp(x/T) / sum(exp(x/T)).")
                             .set_compute(MXC_CPU, SoftmaxForward<false>)
                             .set_backward(MXC_CPU, SoftmaxBackward<false>);

static Op &log_softmax_reg = SoftmaxParams(OpRegistry::Get()->Register("log_softmax"))
                                 .describe("Log of the softmax along an axis: x/T - log(sum(exp(x/T))).")
                                 .set_compute(MXC_CPU, SoftmaxForward<true>)
                                 .set_backward(MXC_CPU, SoftmaxBackward<true>);

static Op &softmin_reg = SoftmaxParams(OpRegistry::Get()->Register("softmin"))
                             .describe("Softmin along an axis: exp(-x/T) / sum(exp(-x/T)).")
                             .set_compute(MXC_CPU, SoftmaxForward<false, true>)
                             .set_backward(MXC_CPU, SoftmaxBackward<false, true>);

MXC_REGISTER_OP(SoftmaxActivation)
    .describe("Softmax over the last axis (mode 'instance'; each row of 2-D data, as MXNet 1.9.1 also for more "
              "dimensions), or over axis 1 at every position ('channel', data of at least 3 dimensions).")
    .set_inputs({"data"})
    .add_param("mode", ParamKind::kEnum, "instance", "Softmax over the last axis (instance) or axis 1.",
               {"channel", "instance"})
    .set_infer_shape(SoftmaxActivationInferShape)
    .set_infer_type(FloatOnlyTypeInfer)
    .set_inplace({{0, 0}})
    .set_compute(MXC_CPU, SoftmaxActivationForward)
    .set_backward(MXC_CPU, SoftmaxActivationBackward)
    .set_backward_uses(false, true);

MXC_REGISTER_OP(SoftmaxOutput)
    .describe("Softmax with a cross-entropy loss gradient. Forward: softmax over the last axis of the data viewed as "
              "(batch, classes) (over axis 1 with multi_output, over the last axis with preserve_shape). Backward "
              "(the head gradient is ignored): (softmax - onehot(label)) * grad_scale / normaliser, with "
              "normalization 'null' (1), 'batch' (batch size) or 'valid' (labels not equal to ignore_label).")
    .add_alias("Softmax")
    .set_inputs({"data", "label"})
    .add_param("grad_scale", ParamKind::kFloat, "1", "Scales the gradient by a float factor.")
    .add_param("ignore_label", ParamKind::kFloat, "-1", "The label to ignore when use_ignore is set.")
    .add_param("multi_output", ParamKind::kBool, "False",
               "Softmax over axis 1 of (n, k, x1, ..., xn), with a label of shape (n, x1, ..., xn).")
    .add_param("use_ignore", ParamKind::kBool, "False", "Give rows labelled ignore_label a zero gradient.")
    .add_param("preserve_shape", ParamKind::kBool, "False", "Softmax over the last axis, keeping the shape.")
    .add_param("normalization", ParamKind::kEnum, "null", "Normalises the gradient.", {"batch", "null", "valid"})
    .add_param("out_grad", ParamKind::kBool, "False", "Multiplies the gradient by the head gradient.")
    .add_param("smooth_alpha", ParamKind::kFloat, "0",
               "Label smoothing: the label's class gets 1 - alpha, every other class alpha / (k - 1).")
    .set_infer_shape(SoftmaxOutputInferShape)
    .set_infer_type(FloatOnlyTypeInfer)
    .set_inplace({{0, 0}})
    .set_loss()
    .set_compute(MXC_CPU, SoftmaxOutputForward)
    .set_backward(MXC_CPU, SoftmaxOutputBackward);

}  // namespace op
}  // namespace mxc
