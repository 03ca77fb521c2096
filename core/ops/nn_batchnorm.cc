// BatchNorm with moving mean/variance as auxiliary states (MXNet 1.x semantics).
//
// Training (ctx.is_train and not use_global_stats): normalise with the batch mean and (biased) variance over every
// axis but `axis`, and update the moving statistics in the forward pass:
//   moving = moving * momentum + batch * (1 - momentum).
// Otherwise normalise with the moving statistics. Outputs: out, mean, inverse std (1/sqrt(var + eps)); the last two
// are visible only with output_mean_var (and, as in MXNet, receive no gradient). fix_gamma treats gamma as 1 and gives
// it a zero gradient.
#include "nn_util.h"

namespace mxc {
namespace op {
namespace {

int BNAxis(const OpParams &p, int ndim) { return NormalizeAxis(p.Int("axis"), ndim, p.op()); }

void BNInferShape(const OpParams &p, std::vector<TShape> *in, std::vector<TShape> *out) {
  const Op *op = p.op();
  TShape &d = (*in)[0];
  ShapeAssign(&d, (*out)[0], op, "data");
  if (d.empty()) return;
  const int axis = BNAxis(p, d.ndim());
  const TShape c{d[axis]};
  static const char *names[] = {"data", "gamma", "beta", "moving_mean", "moving_var"};
  for (int i = 1; i < 5; ++i) ShapeAssign(&(*in)[i], c, op, names[i]);
  ShapeAssign(&(*out)[0], d, op, "output");
  ShapeAssign(&(*out)[1], c, op, "mean");
  ShapeAssign(&(*out)[2], c, op, "var");
}

// The output has data's dtype; the parameters, the moving statistics and the mean/var outputs have data's dtype too,
// except for float16 data, whose are float32 (as MXNet: float16 moving statistics would lose their small updates).
// float16 ones are taken there as well (the kernels run on float32 copies of float16 arrays, see operator.h).
void BNInferType(const OpParams &p, std::vector<int> *in, std::vector<int> *out) {
  const Op *op = p.op();
  int d = -1;
  TypeMerge(&d, (*in)[0], op, "data");
  TypeMerge(&d, (*out)[0], op, "output");
  if (d < 0) return FloatOnlyTypeInfer(p, in, out);
  if (d != kFloat16 && d != kFloat32 && d != kFloat64)
    Throw(ErrorKind::kType, "operator ", op->name, ": 'data' has dtype ", DTypeName(d),
          ", which is not supported (float16, float32, float64)");
  const int pt = d == kFloat16 ? kFloat32 : d;
  static const char *names[] = {"data", "gamma", "beta", "moving_mean", "moving_var", "mean", "var"};
  auto param = [&](int *t, const char *name) {
    if (!(d == kFloat16 && *t == kFloat16)) TypeAssign(t, pt, op, name);
  };
  for (int i = 1; i < 5; ++i) param(&(*in)[i], names[i]);
  TypeAssign(&(*in)[0], d, op, "data");
  TypeAssign(&(*out)[0], d, op, "output");
  param(&(*out)[1], names[5]);
  param(&(*out)[2], names[6]);
}

bool UseBatchStats(const OpContext &ctx, const OpParams &p) { return ctx.is_train && !p.Bool("use_global_stats"); }

template <typename T>
void BNForwardT(const OpContext &ctx, const OpParams &p, const std::vector<TBlob> &in, OpReq req,
                const std::vector<TBlob> &out) {
  const AxisSplit s = SplitAt(in[0].shape, BNAxis(p, in[0].ndim()));
  const T *x = in[0].ptr<T>();
  const T *gamma = in[1].ptr<T>();
  const T *beta = in[2].ptr<T>();
  T *mmean = in[3].ptr<T>();
  T *mvar = in[4].ptr<T>();
  T *y = out[0].ptr<T>();
  T *omean = out[1].ptr<T>();
  T *oinvstd = out[2].ptr<T>();
  const double eps = p.Float("eps"), momentum = p.Float("momentum");
  const bool fix_gamma = p.Bool("fix_gamma");
  const bool batch = UseBatchStats(ctx, p);
  const int64_t m = s.outer * s.inner;
  ParallelForWork(s.n, m * 4, [&](int64_t c) {
    double mean, var;
    if (batch) {
      double sum = 0;
      for (int64_t o = 0; o < s.outer; ++o) {
        const T *xp = x + (o * s.n + c) * s.inner;
        for (int64_t i = 0; i < s.inner; ++i) sum += xp[i];
      }
      mean = m > 0 ? sum / m : 0.0;
      double sq = 0;
      for (int64_t o = 0; o < s.outer; ++o) {
        const T *xp = x + (o * s.n + c) * s.inner;
        for (int64_t i = 0; i < s.inner; ++i) {
          const double d = xp[i] - mean;
          sq += d * d;
        }
      }
      var = m > 0 ? sq / m : 0.0;
      mmean[c] = static_cast<T>(mmean[c] * momentum + mean * (1 - momentum));
      mvar[c] = static_cast<T>(mvar[c] * momentum + var * (1 - momentum));
    } else {
      mean = mmean[c];
      var = mvar[c];
    }
    const double invstd = 1.0 / std::sqrt(var + eps);
    const double g = fix_gamma ? 1.0 : static_cast<double>(gamma[c]);
    const T a = static_cast<T>(g * invstd);
    const T b = static_cast<T>(beta[c] - g * invstd * mean);
    for (int64_t o = 0; o < s.outer; ++o) {
      const T *xp = x + (o * s.n + c) * s.inner;
      T *yp = y + (o * s.n + c) * s.inner;
      if (req == kAddTo) {
        for (int64_t i = 0; i < s.inner; ++i) yp[i] += a * xp[i] + b;
      } else if (req != kNullOp) {
        for (int64_t i = 0; i < s.inner; ++i) yp[i] = a * xp[i] + b;
      }
    }
    omean[c] = static_cast<T>(mean);
    oinvstd[c] = static_cast<T>(invstd);
  });
}

void BNForward(MXC_NN_FORWARD_ARGS) {
  MXC_REAL_TYPE_SWITCH(in[0].dtype, T, { BNForwardT<T>(ctx, p, in, req[0], out); });
}

// With x_hat = (x - mean) * invstd and sums over the m elements of a channel:
//   d beta = sum dy, d gamma = sum dy * x_hat,
//   batch statistics: dx = gamma * invstd * (dy - d beta / m - x_hat * d gamma / m)
//   moving statistics: dx = gamma * invstd * dy
template <typename T>
void BNBackwardT(const OpContext &ctx, const OpParams &p, const TBlob &dyb, const std::vector<TBlob> &in_data,
                 const std::vector<TBlob> &out_data, const std::vector<OpReq> &req,
                 const std::vector<TBlob> &in_grad) {
  const AxisSplit s = SplitAt(in_data[0].shape, BNAxis(p, in_data[0].ndim()));
  const T *dy = dyb.ptr<T>();
  const T *x = in_data[0].ptr<T>();
  const T *gamma = in_data[1].ptr<T>();
  const T *mean = out_data[1].ptr<T>();
  const T *invstd = out_data[2].ptr<T>();
  const bool fix_gamma = p.Bool("fix_gamma");
  const bool batch = UseBatchStats(ctx, p);
  const int64_t m = s.outer * s.inner;
  T *dx = req[0] != kNullOp ? in_grad[0].ptr<T>() : nullptr;
  T *dgamma = req[1] != kNullOp ? in_grad[1].ptr<T>() : nullptr;
  T *dbeta = req[2] != kNullOp ? in_grad[2].ptr<T>() : nullptr;
  ParallelForWork(s.n, m * 6, [&](int64_t c) {
    const double mu = mean[c], is = invstd[c];
    double sdy = 0, sdyx = 0;
    for (int64_t o = 0; o < s.outer; ++o) {
      const T *xp = x + (o * s.n + c) * s.inner;
      const T *dp = dy + (o * s.n + c) * s.inner;
      for (int64_t i = 0; i < s.inner; ++i) {
        sdy += dp[i];
        sdyx += dp[i] * (xp[i] - mu);
      }
    }
    const double dg = sdyx * is;  // sum dy * x_hat
    if (dgamma) Assign(dgamma + c, req[1], static_cast<T>(fix_gamma ? 0.0 : dg));
    if (dbeta) Assign(dbeta + c, req[2], static_cast<T>(sdy));
    if (!dx) return;
    const double g = fix_gamma ? 1.0 : static_cast<double>(gamma[c]);
    // dx = a * dy + b * x + k
    T a, b, k;
    if (batch && m > 0) {
      a = static_cast<T>(g * is);
      b = static_cast<T>(-g * is * is * dg / m);
      k = static_cast<T>(-g * is * sdy / m + g * is * is * dg * mu / m);
    } else {
      a = static_cast<T>(g * is);
      b = T(0);
      k = T(0);
    }
    for (int64_t o = 0; o < s.outer; ++o) {
      const T *xp = x + (o * s.n + c) * s.inner;
      const T *dp = dy + (o * s.n + c) * s.inner;
      T *gp = dx + (o * s.n + c) * s.inner;
      if (req[0] == kAddTo) {
        for (int64_t i = 0; i < s.inner; ++i) gp[i] += a * dp[i] + b * xp[i] + k;
      } else {
        for (int64_t i = 0; i < s.inner; ++i) gp[i] = a * dp[i] + b * xp[i] + k;
      }
    }
  });
}

void BNBackward(MXC_NN_BACKWARD_ARGS) {
  MXC_REAL_TYPE_SWITCH(in_data[0].dtype, T, {
    BNBackwardT<T>(ctx, p, out_grad[0], in_data, out_data, req, in_grad);
  });
}

// BatchNormWithReLU: relu(BatchNorm(...)). The forward applies relu to the normalised output (through a temporary
// for an add request); the backward passes the output gradient where the output is positive, then BatchNorm's.
void BNReluForward(MXC_NN_FORWARD_ARGS) {
  if (req[0] == kNullOp) return BNForward(ctx, p, in, req, out);
  MXC_REAL_TYPE_SWITCH(in[0].dtype, T, {
    const int64_t n = out[0].Size();
    std::vector<T> tmp;
    std::vector<TBlob> o = out;
    if (req[0] == kAddTo) {
      tmp.resize(static_cast<size_t>(n));
      o[0].dptr = tmp.data();
    }
    std::vector<OpReq> r = req;
    r[0] = kWriteTo;
    BNForward(ctx, p, in, r, o);
    T *y = out[0].ptr<T>();
    const T *v = o[0].ptr<T>();
    if (req[0] == kAddTo) {
      for (int64_t i = 0; i < n; ++i) y[i] += v[i] > T(0) ? v[i] : T(0);
    } else {
      for (int64_t i = 0; i < n; ++i) y[i] = y[i] > T(0) ? y[i] : T(0);
    }
  });
}

void BNReluBackward(MXC_NN_BACKWARD_ARGS) {
  MXC_REAL_TYPE_SWITCH(in_data[0].dtype, T, {
    const int64_t n = out_grad[0].Size();
    std::vector<T> masked(static_cast<size_t>(n));
    const T *dy = out_grad[0].ptr<T>(), *y = out_data[0].ptr<T>();
    for (int64_t i = 0; i < n; ++i) masked[i] = y[i] > T(0) ? dy[i] : T(0);
    std::vector<TBlob> og = out_grad;
    og[0].dptr = masked.data();
    BNBackward(ctx, p, og, in_data, out_data, req, in_grad);
  });
}

// The parameters BatchNorm, BatchNormWithReLU and SyncBatchNorm share, and their inference and outputs.
Op &BNCommon(Op &op, const char *eps_default) {
  return op.set_inputs({"data", "gamma", "beta", "moving_mean", "moving_var"}, 2)
      .add_param("eps", ParamKind::kFloat, eps_default, "Epsilon to prevent division by 0.")
      .add_param("momentum", ParamKind::kFloat, "0.9", "Momentum for the moving average.")
      .add_param("fix_gamma", ParamKind::kBool, "True", "Fix gamma to 1 (its gradient is 0) while training.")
      .add_param("use_global_stats", ParamKind::kBool, "False",
                 "Use the moving statistics instead of the batch ones while training.")
      .add_param("output_mean_var", ParamKind::kBool, "False", "Output the mean and inverse std.")
      .set_num_outputs(3)
      .set_num_visible_outputs([](const OpParams &p) { return p.Bool("output_mean_var") ? 3 : 1; })
      .set_output_names([](const OpParams &p) {
        return p.Bool("output_mean_var") ? std::vector<std::string>{"output", "mean", "var"}
                                         : std::vector<std::string>{"output"};
      })
      .set_mutate_inputs({3, 4})
      .set_infer_shape(BNInferShape)
      .set_infer_type(BNInferType);
}

Op &BNAxisParams(Op &op) {
  return op.add_param("axis", ParamKind::kInt, "1", "The channel axis.")
      .add_param("cudnn_off", ParamKind::kBool, "False", "Do not select cudnn (accepted, ignored).")
      .add_param("min_calib_range", ParamKind::kOptFloat, "None", "Quantisation calibration (accepted, ignored).")
      .add_param("max_calib_range", ParamKind::kOptFloat, "None", "Quantisation calibration (accepted, ignored).");
}

}  // namespace

static Op &batch_norm_reg =
    BNAxisParams(BNCommon(OpRegistry::Get()->Register("BatchNorm"), "0.001"))
        .describe("Batch normalisation: out = gamma * (data - mean) / sqrt(var + eps) + beta per channel (axis), "
                  "with the batch statistics when training (updating moving_mean/moving_var) and the moving ones "
                  "otherwise.")
        .set_compute(MXC_CPU, BNForward)
        .set_backward(MXC_CPU, BNBackward);

static Op &batch_norm_relu_reg =
    BNAxisParams(BNCommon(OpRegistry::Get()->Register("_contrib_BatchNormWithReLU"), "0.001"))
        .describe("Batch normalisation followed by relu: relu(BatchNorm(data, gamma, beta, moving_mean, "
                  "moving_var)), with BatchNorm's parameters and moving-statistics updates.")
        .set_compute(MXC_CPU, BNReluForward)
        .set_backward(MXC_CPU, BNReluBackward);

// One process holds every device's batch here, so the "synchronised" statistics are BatchNorm's over the whole batch.
static Op &sync_batch_norm_reg =
    BNCommon(OpRegistry::Get()->Register("_contrib_SyncBatchNorm"), "0.001")
        .describe("Batch normalisation with the statistics of the whole batch across devices (MXNet's "
                  "SyncBatchNorm). mxc runs a batch in one process, so this is BatchNorm over the channel axis 1.")
        .add_param("ndev", ParamKind::kInt, "1", "The count of GPU devices")
        .add_required_param("key", ParamKind::kString, "Hash key for synchronization (accepted; mxc needs none).")
        .add_param("axis", ParamKind::kInt, "1", "The channel axis (1, as MXNet's SyncBatchNorm).")
        .set_compute(MXC_CPU, BNForward)
        .set_backward(MXC_CPU, BNBackward);

}  // namespace op
}  // namespace mxc
