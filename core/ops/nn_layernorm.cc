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
// Both are computed on rows of the data (NormRows, norm_rows.h): LayerNorm's rows are (outer, inner) pairs around
// `axis` with their elements `inner` apart; InstanceNorm's are the (N*C) contiguous spatial blocks.
#include <algorithm>
#include <type_traits>
#include <vector>

#include "nn_util.h"
#include "norm_rows.h"

namespace mxc {
namespace op {

NormRows NormRowsOf(const OpParams &p, const TShape &d) {
  if (p.op()->name == "InstanceNorm") {
    const AxisSplit s = SplitAt(d, 1);  // (N, C, spatial)
    return NormRows{s.outer * s.n, s.inner, 1, s.n};
  }
  const AxisSplit s = SplitAt(d, NormalizeAxis(p.Int("axis"), d.ndim(), p.op()));
  return NormRows{s.outer, s.n, s.inner, 0};
}

namespace {

// f(s) with s the stride of a row's elements: a constant 1 for contiguous rows (the loops then vectorise), else st.
template <typename F>
void WithStride(int64_t st, F f) {
  if (st == 1) f(std::integral_constant<int64_t, 1>());
  else f(st);
}

// The sum of f(k) (of type T) over k in [0, n): eight interleaved T accumulators (independent lanes, which the
// compiler vectorises), added into a double every 256 elements, so a float lane sums at most 32 terms.
template <typename T, typename F>
double BlockSum(int64_t n, F f) {
  double total = 0;
  for (int64_t b0 = 0; b0 < n; b0 += 256) {
    const int64_t e = std::min(n, b0 + 256);
    T acc[8] = {};
    int64_t k = b0;
    for (; k + 8 <= e; k += 8)
      for (int j = 0; j < 8; ++j) acc[j] += f(k + j);
    double part = 0;
    for (; k < e; ++k) part += f(k);
    for (int j = 0; j < 8; ++j) part += acc[j];
    total += part;
  }
  return total;
}

// y[k * st] (=|+=) f(k) for the n elements of a row, the request's branch outside the loop.
template <typename T, typename S, typename F>
void StoreRow(T *y, S st, int64_t n, OpReq req, F f) {
  if (req == kNullOp) return;
  if (req == kAddTo) {
    for (int64_t k = 0; k < n; ++k) y[k * st] += static_cast<T>(f(k));
  } else {
    for (int64_t k = 0; k < n; ++k) y[k * st] = static_cast<T>(f(k));
  }
}

// Forward over the rows: y = gamma * (x - mean) * invstd + beta; stat0 = mean, stat1 = std (second_is_var: var).
// Statistics in double; the normalisation in T from x - mean (exact for values near the mean).
template <typename T>
void RowNormForward(const NormRows &v, double eps, bool second_is_var, const T *x, const T *gamma, const T *beta,
                    T *y, OpReq ry, T *mean_out, OpReq rm, T *stat_out, OpReq rs) {
  const int64_t n = v.n, st = v.inner;
  ParallelForWork(v.rows(), n * 4, [&](int64_t r) {
    const T *xr = x + v.base(r);
    T *yr = y + v.base(r);
    WithStride(st, [&](auto s) {
      const double mean = n > 0 ? BlockSum<T>(n, [&](int64_t k) { return xr[k * s]; }) / n : 0.0;
      const T m = static_cast<T>(mean);
      const double var = n > 0 ? BlockSum<T>(n, [&](int64_t k) {
                                   const T d = xr[k * s] - m;
                                   return d * d;
                                 }) / n
                               : 0.0;
      if (mean_out) Assign(mean_out + r, rm, m);
      if (stat_out) Assign(stat_out + r, rs, static_cast<T>(second_is_var ? var : std::sqrt(var + eps)));
      const T is = static_cast<T>(1.0 / std::sqrt(var + eps));
      if (v.channels > 0) {
        const T g = gamma[r % v.channels] * is, b = beta[r % v.channels];
        StoreRow(yr, s, n, ry, [&](int64_t k) { return g * (xr[k * s] - m) + b; });
      } else {
        StoreRow(yr, s, n, ry, [&](int64_t k) { return gamma[k] * ((xr[k * s] - m) * is) + beta[k]; });
      }
    });
  });
}

// Backward. With x_hat = (x - mean) * invstd and g = dy * gamma over the n elements of a row:
//   dx = invstd * (g - mean(g) - x_hat * mean(g * x_hat)),
//   d gamma = sum dy * x_hat, d beta = sum dy over the elements that use each gamma/beta entry.
// LayerNorm's gamma/beta sums run over row blocks into partial sums (contiguous reads), added up at the end.
template <typename T>
void RowNormBackward(const NormRows &v, double eps, bool second_is_var, const T *dy, const T *x, const T *gamma,
                     const T *mean, const T *stat, T *dx, OpReq rx, T *dgamma, OpReq rg, T *dbeta, OpReq rb) {
  auto invstd_of = [&](int64_t r) {
    return second_is_var ? 1.0 / std::sqrt(static_cast<double>(stat[r]) + eps) : 1.0 / static_cast<double>(stat[r]);
  };
  const int64_t rows = v.rows(), n = v.n, st = v.inner;
  if (dx && rx != kNullOp) {
    // gam(k): the gamma of element k of row r; s: the stride of the row's elements.
    auto data_grad = [&](int64_t r, auto gam, auto s) {
      const int64_t b = v.base(r);
      const T *xr = x + b, *dyr = dy + b;
      const double is = invstd_of(r);
      const T m = mean[r];
      const double mg = n > 0 ? BlockSum<T>(n, [&](int64_t k) { return dyr[k * s] * gam(k); }) / n : 0.0;
      const double mgx =
          n > 0 ? BlockSum<T>(n, [&](int64_t k) { return dyr[k * s] * gam(k) * (xr[k * s] - m); }) * is / n : 0.0;
      // dx = is * g - is * mean(g) - (x - mean) * is^2 * mean(g * x_hat), in T (x - mean exact near the mean).
      const T a = static_cast<T>(is), c0 = static_cast<T>(is * mg), c1 = static_cast<T>(is * is * mgx);
      StoreRow(dx + b, s, n, rx, [&](int64_t k) { return a * (dyr[k * s] * gam(k)) - c0 - (xr[k * s] - m) * c1; });
    };
    ParallelForWork(rows, n * 6, [&](int64_t r) {
      WithStride(st, [&](auto s) {
        if (v.channels > 0) {
          const T g = gamma[r % v.channels];
          data_grad(r, [g](int64_t) { return g; }, s);
        } else {
          data_grad(r, [&](int64_t k) { return gamma[k]; }, s);
        }
      });
    });
  }
  const bool want_g = dgamma && rg != kNullOp, want_b = dbeta && rb != kNullOp;
  if (!want_g && !want_b) return;
  if (v.channels == 0) {
    // One gamma entry per position k: partial sums in T over blocks of 32 rows (contiguous, vectorised over k),
    // then their total in double.
    const int64_t block = 32, nblocks = (rows + block - 1) / block;
    std::vector<T> part(static_cast<size_t>(nblocks) * n * 2, T(0));
    ParallelForWork(nblocks, block * n * 3, [&](int64_t bi) {
      T *pg = part.data() + bi * n * 2, *pb = pg + n;
      for (int64_t r = bi * block; r < std::min(rows, (bi + 1) * block); ++r) {
        const T *xr = x + v.base(r), *dyr = dy + v.base(r);
        const T mu = mean[r], is = static_cast<T>(invstd_of(r));
        WithStride(st, [&](auto s) {
          for (int64_t k = 0; k < n; ++k) {
            pg[k] += dyr[k * s] * ((xr[k * s] - mu) * is);
            pb[k] += dyr[k * s];
          }
        });
      }
    });
    ParallelForWork(n, nblocks * 2, [&](int64_t k) {
      double sg = 0, sb = 0;
      for (int64_t bi = 0; bi < nblocks; ++bi) {
        sg += part[bi * n * 2 + k];
        sb += part[bi * n * 2 + n + k];
      }
      if (want_g) Assign(dgamma + k, rg, static_cast<T>(sg));
      if (want_b) Assign(dbeta + k, rb, static_cast<T>(sb));
    });
  } else {
    // One gamma entry per channel: sum over the rows of that channel (r % channels) and their elements.
    ParallelForWork(v.channels, (rows / v.channels) * n * 3, [&](int64_t c) {
      double sdy = 0, sdyx = 0;
      for (int64_t r = c; r < rows; r += v.channels) {
        const int64_t b = v.base(r);
        const T m = mean[r];
        sdy += BlockSum<T>(n, [&](int64_t k) { return dy[b + k * st]; });
        sdyx += BlockSum<T>(n, [&](int64_t k) { return dy[b + k * st] * (x[b + k * st] - m); }) * invstd_of(r);
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
  const NormRows v = NormRowsOf(p, in[0].shape);
  MXC_REAL_TYPE_SWITCH(in[0].dtype, T, {
    RowNormForward<T>(v, p.Float("eps"), false, in[0].ptr<T>(), in[1].ptr<T>(), in[2].ptr<T>(), out[0].ptr<T>(),
                      req[0], OutPtr<T>(out, 1), ReqAt(req, 1), OutPtr<T>(out, 2), ReqAt(req, 2));
  });
}

void LNBackward(MXC_NN_BACKWARD_ARGS) {
  (void)ctx;
  const NormRows v = NormRowsOf(p, in_data[0].shape);
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
  const NormRows v = NormRowsOf(p, in[0].shape);
  MXC_REAL_TYPE_SWITCH(in[0].dtype, T, {
    RowNormForward<T>(v, p.Float("eps"), true, in[0].ptr<T>(), in[1].ptr<T>(), in[2].ptr<T>(), out[0].ptr<T>(),
                      req[0], OutPtr<T>(out, 1), ReqAt(req, 1), OutPtr<T>(out, 2), ReqAt(req, 2));
  });
}

void INBackward(MXC_NN_BACKWARD_ARGS) {
  (void)ctx;
  const NormRows v = NormRowsOf(p, in_data[0].shape);
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
