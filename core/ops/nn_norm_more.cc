// LRN, GroupNorm and moments (MXNet 1.x names, parameters and shapes).
//
// - LRN: out_c = x_c * (knorm + alpha / nsize * sum_{|c' - c| <= (nsize - 1) / 2} x_c'^2)^-beta over axis 1 (the
//   window is clipped at the edges; an even nsize uses the window of nsize - 1, as MXNet 1.9.1 does).
// - GroupNorm: data (N, C, ...) split into num_groups groups of C / num_groups channels; each (sample, group) is
//   normalised by its mean and sqrt(var + eps) and then scaled by gamma[group] and shifted by beta[group] (gamma and
//   beta have shape (num_groups,) in MXNet 1.9.1). Outputs mean and std of shape (N, num_groups), visible with
//   output_mean_var.
// - moments: mean and (biased) variance over the given axes (required: MXNet refuses an empty axes).
#include <cmath>
#include <vector>

#include "nn_util.h"
#include "tensor_util.h"

namespace mxc {
namespace op {
namespace {

// ---------------------------------------------------------------------------------------------------------------
// LRN
// ---------------------------------------------------------------------------------------------------------------
void LRNInferShape(const OpParams &p, std::vector<TShape> *in, std::vector<TShape> *out) {
  const TShape &d = (*in)[0];
  MXC_CHECK(p.Int("nsize") >= 1, ErrorKind::kValue, "operator ", p.op()->name, ": nsize must be positive, got ",
            p.Int("nsize"));
  if (d.empty()) return;
  if (d.ndim() < 2)
    Throw(ErrorKind::kShape, "operator ", p.op()->name, ": data shape ", ShapeStr(d),
          ": at least 2 dimensions (N, C, ...) required");
  ShapeAssign(&(*out)[0], d, p.op(), "output");
}

// The scale knorm + alpha / nsize * (window sum of squares) of every element, data seen as (outer, C, inner).
template <typename T>
std::vector<double> LRNScale(const OpParams &p, const T *x, const AxisSplit &s) {
  const int64_t half = (p.Int("nsize") - 1) / 2;
  const double k = p.Float("knorm"), a = p.Float("alpha") / static_cast<double>(p.Int("nsize"));
  std::vector<double> scale(static_cast<size_t>(s.outer * s.n * s.inner));
  ParallelForWork(s.outer * s.inner, s.n * (2 * half + 1), [&](int64_t r) {
    const int64_t base = (r / s.inner) * s.n * s.inner + r % s.inner;
    for (int64_t c = 0; c < s.n; ++c) {
      double ss = 0;
      for (int64_t j = std::max<int64_t>(0, c - half); j <= std::min(s.n - 1, c + half); ++j) {
        const double v = x[base + j * s.inner];
        ss += v * v;
      }
      scale[base + c * s.inner] = k + a * ss;
    }
  });
  return scale;
}

void LRNForward(MXC_NN_FORWARD_ARGS) {
  if (req[0] == kNullOp) return;
  const AxisSplit s = SplitAt(in[0].shape, 1);
  const double beta = p.Float("beta");
  MXC_REAL_TYPE_SWITCH(in[0].dtype, T, {
    const T *x = in[0].ptr<T>();
    const std::vector<double> scale = LRNScale(p, x, s);
    MapReq(out[0].ptr<T>(), req[0], in[0].Size(),
           [&](int64_t i) { return static_cast<T>(x[i] * std::pow(scale[i], -beta)); });
  });
}

// dx_j = g_j S_j^-beta - 2 beta alpha / nsize * x_j * sum_{c near j} g_c x_c S_c^(-beta - 1).
void LRNBackward(MXC_NN_BACKWARD_ARGS) {
  if (req[0] == kNullOp) return;
  const AxisSplit s = SplitAt(in_data[0].shape, 1);
  const double beta = p.Float("beta"), a = p.Float("alpha") / static_cast<double>(p.Int("nsize"));
  const int64_t half = (p.Int("nsize") - 1) / 2;
  MXC_REAL_TYPE_SWITCH(in_data[0].dtype, T, {
    const T *x = in_data[0].ptr<T>(), *g = out_grad[0].ptr<T>();
    T *dx = in_grad[0].ptr<T>();
    const std::vector<double> scale = LRNScale(p, x, s);
    std::vector<double> t(scale.size());  // g_c x_c S_c^(-beta - 1)
    for (size_t i = 0; i < t.size(); ++i) t[i] = double(g[i]) * x[i] * std::pow(scale[i], -beta - 1);
    ParallelForWork(s.outer * s.inner, s.n * (2 * half + 1), [&](int64_t r) {
      const int64_t base = (r / s.inner) * s.n * s.inner + r % s.inner;
      for (int64_t c = 0; c < s.n; ++c) {
        const int64_t i = base + c * s.inner;
        double acc = 0;
        for (int64_t j = std::max<int64_t>(0, c - half); j <= std::min(s.n - 1, c + half); ++j)
          acc += t[base + j * s.inner];
        Store(dx + i, req[0], static_cast<T>(g[i] * std::pow(scale[i], -beta) - 2 * beta * a * x[i] * acc));
      }
    });
  });
}

// ---------------------------------------------------------------------------------------------------------------
// GroupNorm
// ---------------------------------------------------------------------------------------------------------------
void GroupNormInferShape(const OpParams &p, std::vector<TShape> *in, std::vector<TShape> *out) {
  const Op *op = p.op();
  const int64_t groups = p.Int("num_groups");
  MXC_CHECK(groups >= 1, ErrorKind::kValue, "operator ", op->name, ": num_groups must be positive, got ", groups);
  const TShape &d = (*in)[0];
  if (d.empty()) return;
  if (d.ndim() < 3)
    Throw(ErrorKind::kShape, "operator ", op->name, ": data shape ", ShapeStr(d),
          ": at least 3 dimensions (N, C, ...) required");
  if (d[1] % groups != 0)
    Throw(ErrorKind::kShape, "operator ", op->name, ": data shape ", ShapeStr(d), ": the ", d[1],
          " channels are not divisible by num_groups=", groups);
  ShapeAssign(&(*in)[1], TShape{groups}, op, "gamma");
  ShapeAssign(&(*in)[2], TShape{groups}, op, "beta");
  ShapeAssign(&(*out)[0], d, op, "output");
  ShapeAssign(&(*out)[1], TShape{d[0], groups}, op, "mean");
  ShapeAssign(&(*out)[2], TShape{d[0], groups}, op, "std");
}

// Data as rows of (N * groups) x len, len = C / groups * spatial; row r belongs to group r % groups.
struct GNLayout {
  int64_t rows, len, groups;
};
GNLayout GNLayoutOf(const OpParams &p, const TShape &d) {
  const int64_t groups = p.Int("num_groups");
  const int64_t rows = d[0] * groups;
  return {rows, rows ? ShapeSize(d) / rows : 0, groups};
}

void GroupNormForward(MXC_NN_FORWARD_ARGS) {
  const GNLayout L = GNLayoutOf(p, in[0].shape);
  const double eps = p.Float("eps");
  MXC_REAL_TYPE_SWITCH(in[0].dtype, T, {
    const T *x = in[0].ptr<T>(), *gamma = in[1].ptr<T>(), *beta = in[2].ptr<T>();
    T *y = out[0].ptr<T>(), *mean = out[1].ptr<T>(), *sd = out[2].ptr<T>();
    ParallelForWork(L.rows, L.len, [&](int64_t r) {
      const T *xr = x + r * L.len;
      double m = 0, v = 0;
      for (int64_t j = 0; j < L.len; ++j) m += xr[j];
      m /= static_cast<double>(L.len);
      for (int64_t j = 0; j < L.len; ++j) v += (xr[j] - m) * (xr[j] - m);
      const double st = std::sqrt(v / static_cast<double>(L.len) + eps);
      Assign(mean + r, req[1], static_cast<T>(m));
      Assign(sd + r, req[2], static_cast<T>(st));
      if (req[0] == kNullOp) return;
      const double ga = gamma[r % L.groups], be = beta[r % L.groups];
      for (int64_t j = 0; j < L.len; ++j) Assign(y + r * L.len + j, req[0], static_cast<T>((xr[j] - m) / st * ga + be));
    });
  });
}

// With xhat = (x - mean) / std per row: dgamma = sum g * xhat, dbeta = sum g (over the rows of the group), and
// dx = gamma / std * (g - mean(g) - xhat * mean(g * xhat)) per row, plus (g_mean + g_std * xhat) / n from the
// mean and std outputs (d std / dx = xhat / n).
void GroupNormBackward(MXC_NN_BACKWARD_ARGS) {
  const GNLayout L = GNLayoutOf(p, in_data[0].shape);
  MXC_REAL_TYPE_SWITCH(in_data[0].dtype, T, {
    const T *g = out_grad[0].ptr<T>(), *x = in_data[0].ptr<T>(), *gamma = in_data[1].ptr<T>();
    const T *mean = out_data[1].ptr<T>(), *sd = out_data[2].ptr<T>();
    std::vector<double> sg(static_cast<size_t>(L.rows)), sgx(static_cast<size_t>(L.rows));
    ParallelForWork(L.rows, L.len, [&](int64_t r) {
      const double m = mean[r], st = sd[r];
      double a = 0, b = 0;
      for (int64_t j = 0; j < L.len; ++j) {
        const int64_t i = r * L.len + j;
        a += g[i];
        b += g[i] * (x[i] - m) / st;
      }
      sg[r] = a;
      sgx[r] = b;
      if (req[0] == kNullOp) return;
      const double n = static_cast<double>(L.len), ga = gamma[r % L.groups];
      // The heads of the mean and std outputs (zeros when they are hidden).
      const double gm = out_grad[1].dptr ? double(out_grad[1].ptr<T>()[r]) : 0.0;
      const double gs = out_grad[2].dptr ? double(out_grad[2].ptr<T>()[r]) : 0.0;
      for (int64_t j = 0; j < L.len; ++j) {
        const int64_t i = r * L.len + j;
        const double xhat = (x[i] - m) / st;
        const double v = ga / st * (g[i] - a / n - xhat * b / n) + (gm + gs * xhat) / n;
        Store(in_grad[0].ptr<T>() + i, req[0], static_cast<T>(v));
      }
    });
    for (int k = 1; k <= 2; ++k) {
      if (req[k] == kNullOp) continue;
      T *dst = in_grad[k].ptr<T>();
      for (int64_t c = 0; c < L.groups; ++c) {
        double acc = 0;
        for (int64_t r = c; r < L.rows; r += L.groups) acc += k == 1 ? sgx[r] : sg[r];
        Store(dst + c, req[k], static_cast<T>(acc));
      }
    }
  });
}

// ---------------------------------------------------------------------------------------------------------------
// moments
// ---------------------------------------------------------------------------------------------------------------
std::vector<bool> MomentAxes(const OpParams &p, const TShape &d) {
  if (p.IsNone("axes") || p.Tuple("axes").empty())
    Throw(ErrorKind::kValue, "operator ", p.op()->name, ": axes must name at least one axis (input shape ",
          ShapeStr(d), "); pass every axis for global moments");
  std::vector<bool> r(d.ndim(), false);
  for (int64_t a : p.Tuple("axes")) {
    const int k = NormalizeAxis(p, a, d.ndim(), "axes", d);
    if (r[k])
      Throw(ErrorKind::kValue, "operator ", p.op()->name, ": axes ", TupleStr(p.Tuple("axes")), " names axis ", k,
            " twice (input shape ", ShapeStr(d), ")");
    r[k] = true;
  }
  return r;
}

void MomentsInferShape(const OpParams &p, std::vector<TShape> *in, std::vector<TShape> *out) {
  const TShape &d = (*in)[0];
  if (d.empty()) return;
  const std::vector<bool> r = MomentAxes(p, d);
  TShape o;
  for (int i = 0; i < d.ndim(); ++i) {
    if (!r[i]) o.push_back(d[i]);
    else if (p.Bool("keepdims")) o.push_back(1);
  }
  if (o.empty()) o.push_back(1);
  ShapeAssign(&(*out)[0], o, p.op(), "mean");
  ShapeAssign(&(*out)[1], o, p.op(), "var");
}

void MomentsInferType(const OpParams &p, std::vector<int> *in, std::vector<int> *out) {
  SameTypeInfer(p, in, out);
  CheckDType(p, (*in)[0], "data", IsArith, "float32, float64, uint8, int8, int32 or int64");
}

// The output index (into the kept axes) of every input element.
std::vector<int64_t> OutIndex(const TShape &d, const std::vector<bool> &reduced) {
  std::vector<int64_t> idx(static_cast<size_t>(ShapeSize(d)));
  std::vector<int64_t> pos(d.ndim(), 0);
  for (int64_t i = 0; i < static_cast<int64_t>(idx.size()); ++i) {
    int64_t o = 0;
    for (int a = 0; a < d.ndim(); ++a)
      if (!reduced[a]) o = o * d[a] + pos[a];
    idx[i] = o;
    for (int a = d.ndim() - 1; a >= 0; --a) {
      if (++pos[a] < d[a]) break;
      pos[a] = 0;
    }
  }
  return idx;
}

void MomentsForward(MXC_NN_FORWARD_ARGS) {
  const TShape &d = in[0].shape;
  const std::vector<bool> r = MomentAxes(p, d);
  const std::vector<int64_t> oi = OutIndex(d, r);
  const int64_t nout = out[0].Size(), n = nout ? in[0].Size() / nout : 0;
  MXC_ARITH_TYPE_SWITCH(in[0].dtype, T, {
    const T *x = in[0].ptr<T>();
    std::vector<double> m(static_cast<size_t>(nout), 0.0), v(static_cast<size_t>(nout), 0.0);
    for (size_t i = 0; i < oi.size(); ++i) m[oi[i]] += static_cast<double>(x[i]);
    for (auto &e : m) e /= static_cast<double>(n);
    for (size_t i = 0; i < oi.size(); ++i) v[oi[i]] += (x[i] - m[oi[i]]) * (x[i] - m[oi[i]]);
    for (int64_t o = 0; o < nout; ++o) {
      if (req[0] != kNullOp) Store(out[0].ptr<T>() + o, req[0], static_cast<T>(m[o]));
      if (req[1] != kNullOp) Store(out[1].ptr<T>() + o, req[1], static_cast<T>(v[o] / static_cast<double>(n)));
    }
  });
}

// d x_i = g_mean / n + g_var * 2 (x_i - mean) / n.
void MomentsBackward(MXC_NN_BACKWARD_ARGS) {
  if (req[0] == kNullOp) return;
  const TShape &d = in_data[0].shape;
  const std::vector<int64_t> oi = OutIndex(d, MomentAxes(p, d));
  const int64_t nout = out_data[0].Size();
  const double n = nout ? static_cast<double>(in_data[0].Size() / nout) : 1.0;
  MXC_REAL_TYPE_SWITCH(in_data[0].dtype, T, {
    const T *x = in_data[0].ptr<T>(), *gm = out_grad[0].ptr<T>(), *gv = out_grad[1].ptr<T>();
    const T *m = out_data[0].ptr<T>();
    T *dx = in_grad[0].ptr<T>();
    for (size_t i = 0; i < oi.size(); ++i) {
      const int64_t o = oi[i];
      Store(dx + i, req[0], static_cast<T>((gm[o] + 2.0 * gv[o] * (x[i] - m[o])) / n));
    }
  });
}

}  // namespace

MXC_REGISTER_OP(LRN)
    .describe("Local response normalisation across channels (axis 1): x * (knorm + alpha / nsize * sum of the "
              "squares in a window of nsize channels)^-beta.")
    .set_inputs({"data"})
    .add_param("alpha", ParamKind::kFloat, "0.0001", "The variance scaling parameter alpha.")
    .add_param("beta", ParamKind::kFloat, "0.75", "The power parameter beta.")
    .add_param("knorm", ParamKind::kFloat, "2", "The parameter k.")
    .add_required_param("nsize", ParamKind::kInt, "Normalization window width in elements.")
    .set_infer_shape(LRNInferShape)
    .set_infer_type(FloatOnlyTypeInfer)
    .set_compute(MXC_CPU, LRNForward)
    .set_backward(MXC_CPU, LRNBackward)
    .set_backward_uses(true, false);

MXC_REGISTER_OP(GroupNorm)
    .describe("Group normalisation: the channels (axis 1) of each sample split into num_groups groups, each "
              "normalised by its mean and standard deviation, then scaled by gamma and shifted by beta (one value per "
              "group).")
    .set_inputs({"data", "gamma", "beta"})
    .add_param("num_groups", ParamKind::kInt, "1", "Total number of groups.")
    .add_param("eps", ParamKind::kFloat, "1e-05", "An epsilon parameter to prevent division by 0.")
    .add_param("output_mean_var", ParamKind::kBool, "0", "Output the mean and std calculated along the given axis.")
    .set_num_outputs(3)
    .set_num_visible_outputs([](const OpParams &p) { return p.Bool("output_mean_var") ? 3 : 1; })
    .set_output_names([](const OpParams &p) {
      return p.Bool("output_mean_var") ? std::vector<std::string>{"output", "mean", "std"}
                                       : std::vector<std::string>{"output"};
    })
    .set_infer_shape(GroupNormInferShape)
    .set_infer_type(FloatOnlyTypeInfer)
    .set_compute(MXC_CPU, GroupNormForward)
    .set_backward(MXC_CPU, GroupNormBackward);

MXC_REGISTER_OP(moments)
    .describe("Mean and variance of the data over the given axes (two outputs).")
    .set_inputs({"data"})
    .add_param("axes", ParamKind::kOptShape, "None", "Axes along which to compute mean and variance.")
    .add_param("keepdims", ParamKind::kBool, "0", "Produce moments with the same dimensionality as the input.")
    .set_num_outputs(2)
    .set_infer_shape(MomentsInferShape)
    .set_infer_type(MomentsInferType)
    .set_compute(MXC_CPU, MomentsForward)
    .set_backward(MXC_CPU, MomentsBackward);

}  // namespace op
}  // namespace mxc
