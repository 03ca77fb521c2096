// Activation (relu, sigmoid, tanh, softrelu, softsign) and LeakyReLU (leaky, elu, selu, gelu, prelu, rrelu).
#include "fast_math.h"
#include "nn_util.h"

namespace mxc {
namespace op {
namespace {

// ---------------------------------------------------------------------------------------------------------------
// Activation. Every gradient is computed from the output alone, so the output may overwrite the input.
// ---------------------------------------------------------------------------------------------------------------
enum ActType { kRelu = 0, kSigmoid, kSoftrelu, kSoftsign, kTanh };  // order of the enum options below

struct ReluF {
  template <typename T> static T Fwd(T x) { return x > T(0) ? x : T(0); }
  template <typename T> static T Bwd(T g, T y) { return y > T(0) ? g : T(0); }  // a select, no branch
};
struct SigmoidF {
  template <typename T> static T Fwd(T x) { return FastSigmoid(x); }
  template <typename T> static T Bwd(T g, T y) { return g * y * (T(1) - y); }
};
struct TanhF {
  template <typename T> static T Fwd(T x) { return FastTanh(x); }
  template <typename T> static T Bwd(T g, T y) { return g * (T(1) - y * y); }
};
// softrelu(x) = log(1 + exp(x)); its derivative sigmoid(x) equals 1 - exp(-y).
struct SoftreluF {
  template <typename T> static T Fwd(T x) { return x > T(20) ? x : std::log1p(std::exp(x)); }
  template <typename T> static T Bwd(T g, T y) { return -g * std::expm1(-y); }
};
// softsign(x) = x / (1 + |x|); its derivative 1 / (1 + |x|)^2 equals (1 - |y|)^2.
struct SoftsignF {
  template <typename T> static T Fwd(T x) { return x / (T(1) + std::fabs(x)); }
  template <typename T> static T Bwd(T g, T y) {
    T a = T(1) - std::fabs(y);
    return g * a * a;
  }
};

template <typename F, typename T>
void ActFwd(const TBlob &in, OpReq req, const TBlob &out) {
  const T *x = in.ptr<T>();
  MapReq(out.ptr<T>(), req, in.Size(), [x](int64_t i) { return F::Fwd(x[i]); });
}
template <typename F, typename T>
void ActBwd(const TBlob &dy, const TBlob &y, OpReq req, const TBlob &dx) {
  const T *g = dy.ptr<T>(), *o = y.ptr<T>();
  MapReq(dx.ptr<T>(), req, dx.Size(), [g, o](int64_t i) { return F::Bwd(g[i], o[i]); });
}

template <typename T, template <typename, typename> class K, typename... Args>
void ActDispatch(int64_t type, Args &&...args) {
  switch (type) {
    case kRelu: K<ReluF, T>::Run(args...); break;
    case kSigmoid: K<SigmoidF, T>::Run(args...); break;
    case kSoftrelu: K<SoftreluF, T>::Run(args...); break;
    case kSoftsign: K<SoftsignF, T>::Run(args...); break;
    case kTanh: K<TanhF, T>::Run(args...); break;
  }
}
template <typename F, typename T>
struct ActFwdK {
  static void Run(const TBlob &in, OpReq req, const TBlob &out) { ActFwd<F, T>(in, req, out); }
};
template <typename F, typename T>
struct ActBwdK {
  static void Run(const TBlob &dy, const TBlob &y, OpReq req, const TBlob &dx) { ActBwd<F, T>(dy, y, req, dx); }
};

void ActivationForward(MXC_NN_FORWARD_ARGS) {
  if (req[0] == kNullOp) return;
  MXC_REAL_TYPE_SWITCH(in[0].dtype, T, { ActDispatch<T, ActFwdK>(p.Get("act_type").i, in[0], req[0], out[0]); });
}

void ActivationBackward(MXC_NN_BACKWARD_ARGS) {
  if (req[0] == kNullOp) return;
  MXC_REAL_TYPE_SWITCH(out_data[0].dtype, T, {
    ActDispatch<T, ActBwdK>(p.Get("act_type").i, out_grad[0], out_data[0], req[0], in_grad[0]);
  });
}

// ---------------------------------------------------------------------------------------------------------------
// LeakyReLU
// ---------------------------------------------------------------------------------------------------------------
enum LeakyType { kElu = 0, kGelu, kLeaky, kPrelu, kRrelu, kSelu };  // order of the enum options below
constexpr double kSeluAlpha = 1.6732632423543772848170429916717;
constexpr double kSeluLambda = 1.0507009873554804934193349852946;

std::vector<std::string> LeakyInputs(const OpParams &p) {
  if (p.Get("act_type").i == kPrelu) return {"data", "gamma"};
  return {"data"};
}

void LeakyInferShape(const OpParams &p, std::vector<TShape> *in, std::vector<TShape> *out) {
  const Op *op = p.op();
  TShape &d = (*in)[0];
  ShapeAssign(&d, (*out)[0], op, "data");
  if (p.Get("act_type").i == kPrelu && !d.empty()) {
    // gamma: one slope per channel (axis 1), or a single shared slope.
    TShape &g = (*in)[1];
    const int64_t c = d.ndim() >= 2 ? d[1] : 1;
    if (!(g.size() == 1 && g[0] == 1)) ShapeAssign(&g, TShape{c}, op, "gamma");
  }
  for (auto &o : *out) ShapeAssign(&o, d, op, "output");
}

// Slope index of element i for a prelu gamma of size gsize over data split as (outer, c, inner).
inline int64_t PreluChannel(int64_t i, int64_t c, int64_t inner, int64_t gsize) {
  return gsize == 1 ? 0 : (i / inner) % c;
}

template <typename T>
void LeakyForwardT(const OpContext &ctx, const OpParams &p, const std::vector<TBlob> &in, OpReq req,
                   const std::vector<TBlob> &out) {
  const T *x = in[0].ptr<T>();
  T *y = out[0].ptr<T>();
  const int64_t n = in[0].Size();
  const T slope = static_cast<T>(p.Float("slope"));
  switch (p.Get("act_type").i) {
    case kLeaky: MapReq(y, req, n, [=](int64_t i) { return x[i] > T(0) ? x[i] : slope * x[i]; }); break;
    case kElu: MapReq(y, req, n, [=](int64_t i) { return x[i] > T(0) ? x[i] : slope * std::expm1(x[i]); }); break;
    case kSelu:
      MapReq(y, req, n, [=](int64_t i) {
        return static_cast<T>(kSeluLambda) * (x[i] > T(0) ? x[i] : static_cast<T>(kSeluAlpha) * std::expm1(x[i]));
      });
      break;
    case kGelu:
      MapReq(y, req, n, [=](int64_t i) { return T(0.5) * x[i] * (T(1) + std::erf(x[i] * T(M_SQRT1_2))); });
      break;
    case kPrelu: {
      const T *g = in[1].ptr<T>();
      const int64_t gsize = in[1].Size();
      const TShape &s = in[0].shape;
      const int64_t c = s.ndim() >= 2 ? s[1] : 1;
      int64_t inner = 1;
      for (int k = 2; k < s.ndim(); ++k) inner *= s[k];
      MapReq(y, req, n, [=](int64_t i) {
        return x[i] > T(0) ? x[i] : g[PreluChannel(i, c, inner, gsize)] * x[i];
      });
      break;
    }
    case kRrelu: {
      // Training: a random slope in [lower_bound, upper_bound) per element, kept in the hidden mask output for the
      // backward pass. Otherwise the mean slope.
      T *mask = out[1].ptr<T>();
      const double lo = p.Float("lower_bound"), hi = p.Float("upper_bound");
      if (ctx.is_train) {
        MXC_CHECK(ctx.rng != nullptr, ErrorKind::kInternal, "LeakyReLU(rrelu): no random generator");
        std::uniform_real_distribution<double> u(lo, hi);
        for (int64_t i = 0; i < n; ++i) mask[i] = static_cast<T>(u(*ctx.rng));
      } else {
        const T m = static_cast<T>((lo + hi) / 2);
        for (int64_t i = 0; i < n; ++i) mask[i] = m;
      }
      MapReq(y, req, n, [=](int64_t i) { return x[i] > T(0) ? x[i] : mask[i] * x[i]; });
      break;
    }
  }
}

void LeakyForward(MXC_NN_FORWARD_ARGS) {
  MXC_REAL_TYPE_SWITCH(in[0].dtype, T, { LeakyForwardT<T>(ctx, p, in, req[0], out); });
}

template <typename T>
void LeakyBackwardT(const OpParams &p, const std::vector<TBlob> &out_grad, const std::vector<TBlob> &in_data,
                    const std::vector<TBlob> &out_data, const std::vector<OpReq> &req,
                    const std::vector<TBlob> &in_grad) {
  const T *dy = out_grad[0].ptr<T>();
  const T *x = in_data[0].ptr<T>();
  const int64_t n = in_data[0].Size();
  const T slope = static_cast<T>(p.Float("slope"));
  T *dx = req[0] != kNullOp ? in_grad[0].ptr<T>() : nullptr;
  switch (p.Get("act_type").i) {
    case kLeaky: MapReq(dx, req[0], n, [=](int64_t i) { return x[i] > T(0) ? dy[i] : slope * dy[i]; }); break;
    case kElu:
      MapReq(dx, req[0], n, [=](int64_t i) { return x[i] > T(0) ? dy[i] : slope * std::exp(x[i]) * dy[i]; });
      break;
    case kSelu:
      MapReq(dx, req[0], n, [=](int64_t i) {
        return static_cast<T>(kSeluLambda) * (x[i] > T(0) ? dy[i] : static_cast<T>(kSeluAlpha) * std::exp(x[i]) * dy[i]);
      });
      break;
    case kGelu:
      MapReq(dx, req[0], n, [=](int64_t i) {
        const T cdf = T(0.5) * (T(1) + std::erf(x[i] * T(M_SQRT1_2)));
        const T pdf = std::exp(T(-0.5) * x[i] * x[i]) * T(0.5 * M_2_SQRTPI * M_SQRT1_2);
        return dy[i] * (cdf + x[i] * pdf);
      });
      break;
    case kPrelu: {
      const T *g = in_data[1].ptr<T>();
      const int64_t gsize = in_data[1].Size();
      const TShape &s = in_data[0].shape;
      const int64_t c = s.ndim() >= 2 ? s[1] : 1;
      int64_t inner = 1;
      for (int k = 2; k < s.ndim(); ++k) inner *= s[k];
      MapReq(dx, req[0], n, [=](int64_t i) {
        return x[i] > T(0) ? dy[i] : g[PreluChannel(i, c, inner, gsize)] * dy[i];
      });
      if (req[1] != kNullOp) {
        std::vector<T> acc(gsize, T(0));
        for (int64_t i = 0; i < n; ++i)
          if (!(x[i] > T(0))) acc[PreluChannel(i, c, inner, gsize)] += x[i] * dy[i];
        T *dg = in_grad[1].ptr<T>();
        for (int64_t j = 0; j < gsize; ++j) Assign(dg + j, req[1], acc[j]);
      }
      break;
    }
    case kRrelu: {
      const T *mask = out_data[1].ptr<T>();
      MapReq(dx, req[0], n, [=](int64_t i) { return x[i] > T(0) ? dy[i] : mask[i] * dy[i]; });
      break;
    }
  }
}

void LeakyBackward(MXC_NN_BACKWARD_ARGS) {
  MXC_REAL_TYPE_SWITCH(in_data[0].dtype, T, { LeakyBackwardT<T>(p, out_grad, in_data, out_data, req, in_grad); });
}

}  // namespace

MXC_REGISTER_OP(Activation)
    .describe("Applies an activation function element-wise: relu max(x, 0), sigmoid 1/(1+exp(-x)), tanh, softrelu "
              "log(1+exp(x)), softsign x/(1+|x|).")
    .set_inputs({"data"})
    .add_required_param("act_type", ParamKind::kEnum, "Activation function to apply.",
                        {"relu", "sigmoid", "softrelu", "softsign", "tanh"})
    .set_infer_shape(SameShapeInfer)
    .set_infer_type(FloatOnlyTypeInfer)
    .set_inplace({{0, 0}})
    .set_compute(MXC_CPU, ActivationForward)
    .set_backward(MXC_CPU, ActivationBackward)
    .set_backward_uses(false, true)
    .set_backward_inplace({{0, 0}});  // dx[i] depends on dy[i] and y[i] only

MXC_REGISTER_OP(LeakyReLU)
    .describe("Leaky rectified linear units and relatives: leaky (x > 0 ? x : slope*x), elu (x > 0 ? x : "
              "slope*(exp(x)-1)), selu, gelu (x*Phi(x)), prelu (a learned slope gamma per channel, axis 1) and "
              "rrelu (a random slope in [lower_bound, upper_bound) when training, their mean otherwise).")
    .set_inputs({"data", "gamma"})
    .set_input_names(LeakyInputs)
    .add_param("act_type", ParamKind::kEnum, "leaky", "Activation function to apply.",
               {"elu", "gelu", "leaky", "prelu", "rrelu", "selu"})
    .add_param("slope", ParamKind::kFloat, "0.25", "Slope of leaky and elu.")
    .add_param("lower_bound", ParamKind::kFloat, "0.125", "Lower bound of the random slope of rrelu.")
    .add_param("upper_bound", ParamKind::kFloat, "0.334", "Upper bound of the random slope of rrelu.")
    .set_num_outputs([](const OpParams &p) { return p.Get("act_type").i == kRrelu ? 2 : 1; })
    .set_num_visible_outputs([](const OpParams &) { return 1; })
    .set_infer_shape(LeakyInferShape)
    .set_infer_type(FloatOnlyTypeInfer)
    .set_random()
    .set_compute(MXC_CPU, LeakyForward)
    .set_backward(MXC_CPU, LeakyBackward);

}  // namespace op
}  // namespace mxc
