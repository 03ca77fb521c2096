// Internal and legacy operators of MXNet 1.9.1 (branch misc), with MXNet's names, parameters and values:
// - _onehot_encode(lhs, rhs): the legacy NDArray function; out (rhs's shape (N, K), float32) is one-hot of lhs (N,),
//   the index truncated to an integer; an index outside [0, K) gives a row of zeros;
// - _set_value(src): fills the given output with src (MXNet: the output must be given);
// - _grad_add(lhs, rhs): lhs + rhs of one shape and dtype (gradient aggregation), the gradient of elemwise_add;
// - _identity_with_attr_like_rhs(lhs, rhs): lhs, whose shape and dtype must be rhs's; gradient to lhs only;
// - _zeros_without_dtype(shape, ctx, dtype = -1): zeros of the dtype the graph infers (float32 when nothing says);
// - IdentityAttachKLSparseReg(data; aux moving_avg): identity forward; when training, moving_avg (per channel, axis 1)
//   = momentum moving_avg + (1 - momentum) mean(data over the other axes); the gradient adds the KL sparseness penalty
//   penalty * (-t / avg + (1 - t) / (1 - avg)) (t = sparseness_target) to the output gradient. MXNet updates the
//   average in the backward pass and uses the updated one there; mxc updates it in the training forward (aux states
//   change in forwards here), which gives the same values for a forward followed by its backward;
// - _sample_unique_zipfian(range_max, shape (B, S)): per row S distinct classes of [0, range_max) drawn from the
//   log-uniform distribution P(c) = (log(c + 2) - log(c + 1)) / log(range_max + 1) (a draw: floor(exp(u
//   log(range_max + 1))) - 1, u uniform in [0, 1)), repeated draws skipped; outputs the samples (B, S) and the draws
//   made per row (B,), both int64.
#include <cmath>
#include <cstring>
#include <random>
#include <unordered_set>
#include <vector>

#include "misc_more4.h"
#include "nn_util.h"

namespace mxc {
namespace op {
namespace {

std::string Where(const OpParams &p, const std::vector<TShape> &in) {
  std::string w = std::string("operator ") + p.op()->name + ":";
  const auto names = p.op()->InputNames(p);
  for (size_t i = 0; i < in.size() && i < names.size(); ++i) w += " " + names[i] + " " + ShapeStr(in[i]);
  return w + ": ";
}

// ---- _onehot_encode
void OneHotShape(const OpParams &p, std::vector<TShape> *in, std::vector<TShape> *out) {
  const TShape &idx = (*in)[0], &rhs = (*in)[1];
  if (!idx.empty() && idx.ndim() != 1) Throw(ErrorKind::kShape, Where(p, *in), "OneHotEncode only support 1d index.");
  if (!rhs.empty() && rhs.ndim() != 2) Throw(ErrorKind::kShape, Where(p, *in), "rhs must be 2-D (N, K).");
  if (!idx.empty() && !rhs.empty() && idx[0] != rhs[0])
    Throw(ErrorKind::kShape, Where(p, *in), "OneHotEncode shape inconsistent (", idx[0], " vs. ", rhs[0], ").");
  if (!rhs.empty()) ShapeAssign(&(*out)[0], rhs, p.op(), "output");
  if (!(*out)[0].empty()) ShapeAssign(&(*in)[1], (*out)[0], p.op(), "rhs");
}
void OneHotType(const OpParams &p, std::vector<int> *in, std::vector<int> *out) {
  for (int &t : *in) {
    if (t != -1 && t != kFloat32)
      Throw(ErrorKind::kType, "operator ", p.op()->name, ": one_hot_encode only support float32 as input/output (got ",
            DTypeName(t), ")");
    t = kFloat32;
  }
  TypeAssign(&(*out)[0], kFloat32, p.op(), "output");
}
void OneHotForward(MXC_NN_FORWARD_ARGS) {
  if (req[0] == kNullOp) return;
  const int64_t n = out[0].shape[0], k = out[0].shape[1];
  const float *idx = in[0].ptr<float>();
  float *y = out[0].ptr<float>();
  ParallelFor(n * k, [&](int64_t e) {
    const float v = OneHotValue(idx[e / k], e % k, k);
    y[e] = req[0] == kAddTo ? y[e] + v : v;
  });
}

// ---- _set_value, _zeros_without_dtype: fills
template <typename T>
void FillT(const TBlob &o, OpReq req, double v) {
  T *y = o.ptr<T>();
  const T tv = static_cast<T>(v);
  ParallelFor(o.Size(), [&](int64_t i) { y[i] = req == kAddTo ? static_cast<T>(y[i] + tv) : tv; });
}
void FillBlob(const TBlob &o, OpReq req, double v) {
  if (req == kNullOp) return;
  MXC_TYPE_SWITCH(o.dtype, T, { FillT<T>(o, req, v); });
}
void SetValueForward(MXC_NN_FORWARD_ARGS) { FillBlob(out[0], req[0], p.Float("src")); }
void ZerosForward(MXC_NN_FORWARD_ARGS) { FillBlob(out[0], req[0], 0.0); }

void ZerosShape(const OpParams &p, std::vector<TShape> *, std::vector<TShape> *out) {
  const auto &s = p.Tuple("shape");
  TShape shape(s.begin(), s.end());
  for (auto d : shape)
    if (d < 0) Throw(ErrorKind::kShape, "operator ", p.op()->name, ": negative dimension in shape ", ShapeStr(shape));
  if (shape.empty()) return;  // from the graph
  ShapeAssign(&(*out)[0], shape, p.op(), "output");
}
void ZerosType(const OpParams &p, std::vector<int> *, std::vector<int> *out) {
  const int64_t d = p.Int("dtype");
  if (d >= 0) {
    if (d > kBool) Throw(ErrorKind::kType, "operator ", p.op()->name, ": unknown dtype code ", d);
    TypeAssign(&(*out)[0], static_cast<int>(d), p.op(), "output");
  } else if ((*out)[0] == -1 && ShapesAreConcrete()) {
    (*out)[0] = kFloat32;  // an imperative call: nothing else says
  }
}

// ---- _grad_add, _identity_with_attr_like_rhs
void SameShapeTwo(const OpParams &p, std::vector<TShape> *in, std::vector<TShape> *out) {
  TShape acc;
  for (size_t i = 0; i < in->size(); ++i) ShapeMerge(&acc, (*in)[i], p.op(), p.op()->InputNames(p)[i]);
  ShapeMerge(&acc, (*out)[0], p.op(), "output");
  for (auto &s : *in) ShapeAssign(&s, acc, p.op(), "input");
  ShapeAssign(&(*out)[0], acc, p.op(), "output");
}
template <typename T>
void AddCopyT(const TBlob &a, const TBlob *b, OpReq req, const TBlob &o) {
  const T *x = a.ptr<T>(), *z = b ? b->ptr<T>() : nullptr;
  T *y = o.ptr<T>();
  ParallelFor(o.Size(), [&](int64_t i) {
    const T v = z ? static_cast<T>(x[i] + z[i]) : x[i];
    y[i] = req == kAddTo ? static_cast<T>(y[i] + v) : v;
  });
}
// o (req) = a (+ b)
void AddCopy(const TBlob &a, const TBlob *b, OpReq req, const TBlob &o) {
  if (req == kNullOp) return;
  if ((req == kWriteInplace || req == kWriteTo) && !b && a.dptr == o.dptr) return;
  MXC_TYPE_SWITCH(o.dtype, T, { AddCopyT<T>(a, b, req, o); });
}
void GradAddForward(MXC_NN_FORWARD_ARGS) { AddCopy(in[0], &in[1], req[0], out[0]); }
void GradAddBackward(MXC_NN_BACKWARD_ARGS) {
  for (int i = 0; i < 2; ++i) AddCopy(out_grad[0], nullptr, req[i], in_grad[i]);
}
void IdentityLikeForward(MXC_NN_FORWARD_ARGS) { AddCopy(in[0], nullptr, req[0], out[0]); }
void IdentityLikeBackward(MXC_NN_BACKWARD_ARGS) {
  AddCopy(out_grad[0], nullptr, req[0], in_grad[0]);
  ZeroGrad(in_grad[1], req[1]);
}

// ---- IdentityAttachKLSparseReg
void KLShape(const OpParams &p, std::vector<TShape> *in, std::vector<TShape> *out) {
  const TShape &d = (*in)[0];
  if (d.empty()) return;
  if (d.ndim() < 2) Throw(ErrorKind::kShape, Where(p, *in), "data must have at least 2 dimensions (N, C, ...).");
  ShapeAssign(&(*in)[1], TShape{d[1]}, p.op(), "moving_avg");
  ShapeAssign(&(*out)[0], d, p.op(), "output");
}
KLGeom KLGeomOf(const TShape &d) {
  KLGeom g{d[0], d[1], 1};
  for (int i = 2; i < d.ndim(); ++i) g.S *= d[i];
  return g;
}
void KLForward(MXC_NN_FORWARD_ARGS) {
  AddCopy(in[0], nullptr, req[0], out[0]);
  if (!ctx.is_train) return;
  const KLGeom g = KLGeomOf(in[0].shape);
  const double m = p.Float("momentum");
  MXC_REAL_TYPE_SWITCH(in[0].dtype, T, {
    const T *x = in[0].ptr<T>();
    T *avg = in[1].ptr<T>();
    ParallelFor(g.C, [&](int64_t c) { avg[c] = static_cast<T>(KLMovingAvg(x, static_cast<double>(avg[c]), g, c, m)); });
  });
}
void KLBackward(MXC_NN_BACKWARD_ARGS) {
  if (req[0] == kNullOp) return;
  const KLGeom g = KLGeomOf(in_grad[0].shape);
  const double t = p.Float("sparseness_target"), pen = p.Float("penalty");
  MXC_REAL_TYPE_SWITCH(in_grad[0].dtype, T, {
    const T *og = out_grad[0].ptr<T>(), *avg = in_data[1].ptr<T>();
    T *dx = in_grad[0].ptr<T>();
    ParallelFor(g.N * g.C * g.S, [&](int64_t e) {
      const T v = static_cast<T>(static_cast<double>(og[e]) +
                                 KLPenalty(static_cast<double>(avg[(e / g.S) % g.C]), t, pen));
      dx[e] = req[0] == kAddTo ? dx[e] + v : v;
    });
  });
}

// ---- _sample_unique_zipfian
void ZipfShape(const OpParams &p, std::vector<TShape> *, std::vector<TShape> *out) {
  const auto &s = p.Tuple("shape");
  const std::string where = std::string("operator ") + p.op()->name + ": shape " + ShapeStr(TShape(s)) +
                            ", range_max " + std::to_string(p.Int("range_max")) + ": ";
  if (s.size() != 2) Throw(ErrorKind::kShape, where, "shape must be 2-D (batch_size, num_sampled).");
  if (s[0] < 0 || s[1] < 0) Throw(ErrorKind::kShape, where, "negative dimension.");
  if (p.Int("range_max") < 1) Throw(ErrorKind::kValue, where, "range_max must be positive.");
  if (s[1] > p.Int("range_max"))
    Throw(ErrorKind::kValue, where, "Number of samples cannot exceed the number of possible classes.");
  ShapeAssign(&(*out)[0], TShape{s[0], s[1]}, p.op(), "output0");
  ShapeAssign(&(*out)[1], TShape{s[0]}, p.op(), "output1");
}
void ZipfType(const OpParams &p, std::vector<int> *, std::vector<int> *out) {
  TypeAssign(&(*out)[0], kInt64, p.op(), "output0");
  TypeAssign(&(*out)[1], kInt64, p.op(), "output1");
}
void ZipfForward(MXC_NN_FORWARD_ARGS) {
  MXC_CHECK(ctx.rng != nullptr, ErrorKind::kInternal, "random operator called without a generator");
  const int64_t B = out[0].shape[0], S = out[0].shape[1], R = p.Int("range_max");
  const double logr = std::log(static_cast<double>(R) + 1.0);
  std::uniform_real_distribution<double> U(0.0, 1.0);
  int64_t *samples = out[0].ptr<int64_t>(), *trials = out[1].ptr<int64_t>();
  for (int64_t b = 0; b < B; ++b) {
    std::unordered_set<int64_t> seen;
    int64_t n = 0, tries = 0;
    while (n < S) {
      const int64_t c = ZipfClass(U(*ctx.rng), logr, R);
      ++tries;
      if (seen.insert(c).second) {
        if (req[0] != kNullOp) samples[b * S + n] = req[0] == kAddTo ? samples[b * S + n] + c : c;
        ++n;
      }
    }
    if (req[1] != kNullOp) trials[b] = req[1] == kAddTo ? trials[b] + tries : tries;
  }
}

[[maybe_unused]] const int registered = [] {
  OpRegistry::Get()
      ->Register("_onehot_encode")
      .describe("The one-hot encoding of lhs (N,) in the shape of rhs (N, K) (deprecated: use one_hot).")
      .set_inputs({"lhs", "rhs"})
      .set_infer_shape(OneHotShape)
      .set_infer_type(OneHotType)
      .set_compute(MXC_CPU, OneHotForward);
  OpRegistry::Get()
      ->Register("_set_value")
      .describe("Fills the given output with src.")
      .set_inputs({})
      .add_required_param("src", ParamKind::kFloat, "Source input to the function.")
      .set_infer_shape([](const OpParams &, std::vector<TShape> *, std::vector<TShape> *) {})
      .set_infer_type([](const OpParams &, std::vector<int> *, std::vector<int> *out) {
        if ((*out)[0] == -1 && ShapesAreConcrete()) (*out)[0] = kFloat32;
      })
      .set_compute(MXC_CPU, SetValueForward);
  OpRegistry::Get()
      ->Register("_grad_add")
      .describe("lhs + rhs (one shape and dtype), for gradient aggregation.")
      .set_inputs({"lhs", "rhs"})
      .set_infer_shape(SameShapeTwo)
      .set_infer_type(SameTypeInfer)
      .set_compute(MXC_CPU, GradAddForward)
      .set_backward(MXC_CPU, GradAddBackward)
      .set_backward_uses(false, false)
      .set_inplace({{0, 0}, {1, 0}});
  OpRegistry::Get()
      ->Register("_identity_with_attr_like_rhs")
      .describe("lhs, whose shape and dtype must be those of rhs.")
      .set_inputs({"lhs", "rhs"})
      .set_infer_shape(SameShapeTwo)
      .set_infer_type(SameTypeInfer)
      .set_compute(MXC_CPU, IdentityLikeForward)
      .set_backward(MXC_CPU, IdentityLikeBackward)
      .set_backward_uses(false, false)
      .set_inplace({{0, 0}});
  OpRegistry::Get()
      ->Register("_zeros_without_dtype")
      .describe("fill target with zeros without default dtype")
      .set_inputs({})
      .add_param("shape", ParamKind::kShape, "()", "The shape of the output")
      .add_param("ctx", ParamKind::kString, "", "Context of output (ignored: taken from the call).")
      .add_param("dtype", ParamKind::kInt, "-1", "Target data type.")
      .set_infer_shape(ZerosShape)
      .set_infer_type(ZerosType)
      .set_compute(MXC_CPU, ZerosForward);
  OpRegistry::Get()
      ->Register("IdentityAttachKLSparseReg")
      .describe("Apply a sparse regularization to the output a sigmoid activation function.")
      .set_inputs({"data", "moving_avg"}, 1)
      .add_param("sparseness_target", ParamKind::kFloat, "0.100000001", "The sparseness target")
      .add_param("penalty", ParamKind::kFloat, "0.00100000005", "The tradeoff parameter for the sparseness penalty")
      .add_param("momentum", ParamKind::kFloat, "0.899999976", "The momentum for running average")
      .set_mutate_inputs({1})
      .set_infer_shape(KLShape)
      .set_infer_type(FloatOnlyTypeInfer)
      .set_compute(MXC_CPU, KLForward)
      .set_backward(MXC_CPU, KLBackward)
      .set_backward_uses(true, false);
  OpRegistry::Get()
      ->Register("_sample_unique_zipfian")
      .describe("Draw random samples from an approximately log-uniform or Zipfian distribution without replacement; "
                "also the number of trials per row.")
      .set_inputs({})
      .add_required_param("range_max", ParamKind::kInt, "The number of possible classes.")
      .add_param("shape", ParamKind::kShape, "()", "2-D shape of the output (batch_size, num_sampled).")
      .set_num_outputs(2)
      .set_infer_shape(ZipfShape)
      .set_infer_type(ZipfType)
      .set_compute(MXC_CPU, ZipfForward)
      .set_random();
  return 0;
}();

}  // namespace
}  // namespace op
}  // namespace mxc
