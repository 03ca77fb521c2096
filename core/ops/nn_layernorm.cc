// LayerNorm and InstanceNorm (MXNet 1.x semantics): normalisations of rows of the data by their own mean and (biased)
// variance, scaled by gamma and shifted by beta.
//
// LayerNorm(data, gamma, beta, axis=-1, eps=1e-5, output_mean_var=False): each row along `axis` is normalised;
// gamma and beta have shape (data.shape[axis],) and are indexed along the row. Outputs: out, mean and std =
// sqrt(var + eps), the last two of data's shape with `axis` of size 1, visible only with output_mean_var (and, as in
// MXNet, receiving no gradient). All three inputs and outputs share one dtype (float16 gamma with float16 data).
//
// InstanceNorm(data, gamma, beta, eps=1e-3): data (N, C, spatial...), each (sample, channel) normalised over the
// spatial axes; gamma and beta have shape (C,). Hidden outputs mean and var of shape (N, C) (MXNet's names), used by
// the backward.
//
// Both are computed on a view of the data as rows (see RowView): LayerNorm's rows are (outer, inner) pairs around
// `axis` with their elements `inner` apart; InstanceNorm's are the (N*C) contiguous spatial blocks.
#include "nn_util.h"

namespace mxc {
namespace op {
namespace {

// Data viewed as (outer, n, inner): the rows are the outer*inner vectors of n elements along the middle axis.
// channels == 0: gamma/beta are indexed by the position k in the row (LayerNorm); channels > 0: they are indexed by
// the row's channel (outer index % channels) and inner == 1 (InstanceNorm).
struct RowView {
  int64_t outer = 1, n = 1, inner = 1, channels = 0;
  int64_t rows() const { return outer * inner; }
  int64_t base(int64_t r) const { return (r / inner) * n * inner + r % inner; }
};

RowView LayerNormView(const OpParams &p, const TShape &d) {
  const AxisSplit s = SplitAt(d, NormalizeAxis(p.Int("axis"), d.ndim(), p.op()));
  return RowView{s.outer, s.n, s.inner, 0};
}
RowView InstanceNormView(const TShape &d) {
  int64_t sp = 1;
  for (int i = 2; i < d.ndim(); ++i) sp *= d[i];
  return RowView{d[0] * d[1], sp, 1, d[1]};
}

// Forward over the rows: y = gamma * (x - mean) * invstd + beta; stat0 = mean, stat1 = std (second_is_var: var).
template <typename T>
void RowNormForward(const RowView &v, double eps, bool second_is_var, const T *x, const T *gamma, const T *beta,
                    T *y, OpReq ry, T *mean_out, OpReq rm, T *stat_out, OpReq rs) {
  ParallelForWork(v.rows(), v.n * 4, [&](int64_t r) {
    const int64_t b = v.base(r), st = v.inner;
    double sum = 0;
    for (int64_t k = 0; k < v.n; ++k) sum += x[b + k * st];
    const double mean = v.n > 0 ? sum / v.n : 0.0;
    double sq = 0;
    for (int64_t k = 0; k < v.n; ++k) {
      const double d = x[b + k * st] - mean;
      sq += d * d;
    }
    const double var = v.n > 0 ? sq / v.n : 0.0;
    const double invstd = 1.0 / std::sqrt(var + eps);
    if (mean_out) Assign(mean_out + r, rm, static_cast<T>(mean));
    if (stat_out) Assign(stat_out + r, rs, static_cast<T>(second_is_var ? var : std::sqrt(var + eps)));
    if (ry == kNullOp) return;
    for (int64_t k = 0; k < v.n; ++k) {
      const int64_t c = v.channels > 0 ? (r % v.channels) : k;
      const double o = static_cast<double>(gamma[c]) * (x[b + k * st] - mean) * invstd + beta[c];
      Assign(y + b + k * st, ry, static_cast<T>(o));
    }
  });
}

// Backward. With x_hat = (x - mean) * invstd and g = dy * gamma over the n elements of a row:
//   dx = invstd * (g - mean(g) - x_hat * mean(g * x_hat)),
//   d gamma = sum dy * x_hat, d beta = sum dy over the elements that use each gamma/beta entry.
template <typename T>
void RowNormBackward(const RowView &v, double eps, bool second_is_var, const T *dy, const T *x, const T *gamma,
                     const T *mean, const T *stat, T *dx, OpReq rx, T *dgamma, OpReq rg, T *dbeta, OpReq rb) {
  auto invstd_of = [&](int64_t r) {
    return second_is_var ? 1.0 / std::sqrt(static_cast<double>(stat[r]) + eps) : 1.0 / static_cast<double>(stat[r]);
  };
  const int64_t rows = v.rows(), st = v.inner;
  if (dx && rx != kNullOp) {
    ParallelForWork(rows, v.n * 6, [&](int64_t r) {
      const int64_t b = v.base(r);
      const double mu = mean[r], is = invstd_of(r);
      double sg = 0, sgx = 0;
      for (int64_t k = 0; k < v.n; ++k) {
        const int64_t c = v.channels > 0 ? (r % v.channels) : k;
        const double g = static_cast<double>(dy[b + k * st]) * gamma[c];
        sg += g;
        sgx += g * (x[b + k * st] - mu) * is;
      }
      const double mg = v.n > 0 ? sg / v.n : 0.0, mgx = v.n > 0 ? sgx / v.n : 0.0;
      for (int64_t k = 0; k < v.n; ++k) {
        const int64_t c = v.channels > 0 ? (r % v.channels) : k;
        const double g = static_cast<double>(dy[b + k * st]) * gamma[c];
        const double xh = (x[b + k * st] - mu) * is;
        Assign(dx + b + k * st, rx, static_cast<T>(is * (g - mg - xh * mgx)));
      }
    });
  }
  const bool want_g = dgamma && rg != kNullOp, want_b = dbeta && rb != kNullOp;
  if (!want_g && !want_b) return;
  if (v.channels == 0) {
    // One gamma entry per position k: sum over the rows.
    ParallelForWork(v.n, rows * 3, [&](int64_t k) {
      double sdy = 0, sdyx = 0;
      for (int64_t r = 0; r < rows; ++r) {
        const int64_t e = v.base(r) + k * st;
        sdy += dy[e];
        sdyx += static_cast<double>(dy[e]) * (x[e] - static_cast<double>(mean[r])) * invstd_of(r);
      }
      if (want_g) Assign(dgamma + k, rg, static_cast<T>(sdyx));
      if (want_b) Assign(dbeta + k, rb, static_cast<T>(sdy));
    });
  } else {
    // One gamma entry per channel: sum over the rows of that channel (r % channels) and their elements.
    ParallelForWork(v.channels, (rows / v.channels) * v.n * 3, [&](int64_t c) {
      double sdy = 0, sdyx = 0;
      for (int64_t r = c; r < rows; r += v.channels) {
        const int64_t b = v.base(r);
        const double mu = mean[r], is = invstd_of(r);
        for (int64_t k = 0; k < v.n; ++k) {
          sdy += dy[b + k * st];
          sdyx += static_cast<double>(dy[b + k * st]) * (x[b + k * st] - mu) * is;
        }
      }
      if (want_g) Assign(dgamma + c, rg, static_cast<T>(sdyx));
      if (want_b) Assign(dbeta + c, rb, static_cast<T>(sdy));
    });
  }
}

template <typename T>
T *OutPtr(const std::vector<TBlob> &v, size_t i) {
  return i < v.size() && v[i].dptr ? v[i].ptr<T>() : nullptr;
}
OpReq ReqAt(const std::vector<OpReq> &r, size_t i) { return i < r.size() ? r[i] : kNullOp; }

// ---------------------------------------------------------------------------------------------------------------
// LayerNorm
// ---------------------------------------------------------------------------------------------------------------
void LNInferShape(const OpParams &p, std::vector<TShape> *in, std::vector<TShape> *out) {
  const Op *op = p.op();
  TShape &d = (*in)[0];
  ShapeAssign(&d, (*out)[0], op, "data");
  if (d.empty()) return;
  const int axis = NormalizeAxis(p.Int("axis"), d.ndim(), op);
  const TShape c{d[axis]};
  ShapeAssign(&(*in)[1], c, op, "gamma");
  ShapeAssign(&(*in)[2], c, op, "beta");
  TShape stat = d;
  stat[axis] = 1;
  ShapeAssign(&(*out)[0], d, op, "output");
  ShapeAssign(&(*out)[1], stat, op, "mean");
  ShapeAssign(&(*out)[2], stat, op, "std");
}

void LNForward(MXC_NN_FORWARD_ARGS) {
  (void)ctx;
  const RowView v = LayerNormView(p, in[0].shape);
  MXC_REAL_TYPE_SWITCH(in[0].dtype, T, {
    RowNormForward<T>(v, p.Float("eps"), false, in[0].ptr<T>(), in[1].ptr<T>(), in[2].ptr<T>(), out[0].ptr<T>(),
                      req[0], OutPtr<T>(out, 1), ReqAt(req, 1), OutPtr<T>(out, 2), ReqAt(req, 2));
  });
}

void LNBackward(MXC_NN_BACKWARD_ARGS) {
  (void)ctx;
  const RowView v = LayerNormView(p, in_data[0].shape);
  MXC_REAL_TYPE_SWITCH(in_data[0].dtype, T, {
    RowNormBackward<T>(v, p.Float("eps"), false, out_grad[0].ptr<T>(), in_data[0].ptr<T>(), in_data[1].ptr<T>(),
                       out_data[1].ptr<T>(), out_data[2].ptr<T>(), OutPtr<T>(in_grad, 0), req[0],
                       OutPtr<T>(in_grad, 1), req[1], OutPtr<T>(in_grad, 2), req[2]);
  });
}

// ---------------------------------------------------------------------------------------------------------------
// InstanceNorm
// ---------------------------------------------------------------------------------------------------------------
void INInferShape(const OpParams &p, std::vector<TShape> *in, std::vector<TShape> *out) {
  const Op *op = p.op();
  TShape &d = (*in)[0];
  ShapeAssign(&d, (*out)[0], op, "data");
  if (d.empty()) return;
  if (d.ndim() < 3)
    Throw(ErrorKind::kShape, "operator InstanceNorm: 'data' has shape ", ShapeStr(d),
          " but must have at least 3 dimensions (batch, channel, spatial...)");
  const TShape c{d[1]};
  ShapeAssign(&(*in)[1], c, op, "gamma");
  ShapeAssign(&(*in)[2], c, op, "beta");
  ShapeAssign(&(*out)[0], d, op, "output");
  ShapeAssign(&(*out)[1], TShape{d[0], d[1]}, op, "mean");
  ShapeAssign(&(*out)[2], TShape{d[0], d[1]}, op, "var");
}

void INForward(MXC_NN_FORWARD_ARGS) {
  (void)ctx;
  const RowView v = InstanceNormView(in[0].shape);
  MXC_REAL_TYPE_SWITCH(in[0].dtype, T, {
    RowNormForward<T>(v, p.Float("eps"), true, in[0].ptr<T>(), in[1].ptr<T>(), in[2].ptr<T>(), out[0].ptr<T>(),
                      req[0], OutPtr<T>(out, 1), ReqAt(req, 1), OutPtr<T>(out, 2), ReqAt(req, 2));
  });
}

void INBackward(MXC_NN_BACKWARD_ARGS) {
  (void)ctx;
  const RowView v = InstanceNormView(in_data[0].shape);
  MXC_REAL_TYPE_SWITCH(in_data[0].dtype, T, {
    RowNormBackward<T>(v, p.Float("eps"), true, out_grad[0].ptr<T>(), in_data[0].ptr<T>(), in_data[1].ptr<T>(),
                       out_data[1].ptr<T>(), out_data[2].ptr<T>(), OutPtr<T>(in_grad, 0), req[0],
                       OutPtr<T>(in_grad, 1), req[1], OutPtr<T>(in_grad, 2), req[2]);
  });
}

}  // namespace

MXC_REGISTER_OP(LayerNorm)
    .describe("Layer normalisation: out = gamma * (data - mean) / sqrt(var + eps) + beta with the mean and (biased) "
              "variance of data along `axis`; gamma and beta have shape (data.shape[axis],). With output_mean_var "
              "also the mean and std = sqrt(var + eps) (the axis kept with size 1), which receive no gradient.")
    .set_inputs({"data", "gamma", "beta"})
    .add_param("axis", ParamKind::kInt, "-1", "The axis to normalise along (negative: from the end).")
    .add_param("eps", ParamKind::kFloat, "1e-05", "Epsilon to prevent division by 0.")
    .add_param("output_mean_var", ParamKind::kBool, "False", "Also output the mean and std along the axis.")
    .set_num_outputs(3)
    .set_num_visible_outputs([](const OpParams &p) { return p.Bool("output_mean_var") ? 3 : 1; })
    .set_output_names([](const OpParams &p) {
      return p.Bool("output_mean_var") ? std::vector<std::string>{"output", "mean", "std"}
                                       : std::vector<std::string>{"output"};
    })
    .set_infer_shape(LNInferShape)
    .set_infer_type(FloatOnlyTypeInfer)
    .set_compute(MXC_CPU, LNForward)
    .set_backward(MXC_CPU, LNBackward);

MXC_REGISTER_OP(InstanceNorm)
    .describe("Instance normalisation: data (N, C, spatial...) normalised per sample and channel over the spatial "
              "axes, out = gamma[c] * (data - mean) / sqrt(var + eps) + beta[c]; gamma and beta have shape (C,).")
    .set_inputs({"data", "gamma", "beta"})
    .add_param("eps", ParamKind::kFloat, "0.001", "Epsilon to prevent division by 0.")
    .set_num_outputs(3)
    .set_num_visible_outputs([](const OpParams &) { return 1; })
    .set_output_names([](const OpParams &) { return std::vector<std::string>{"output"}; })
    .set_infer_shape(INInferShape)
    .set_infer_type(FloatOnlyTypeInfer)
    .set_compute(MXC_CPU, INForward)
    .set_backward(MXC_CPU, INBackward);

}  // namespace op
}  // namespace mxc
