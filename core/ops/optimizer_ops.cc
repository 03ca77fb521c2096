// Fused optimizer updates (MXNet's formulas): sgd_update, sgd_mom_update, nag_mom_update, adam_update,
// rmsprop_update, rmspropalex_update. Called with out=weight: the output may alias input 0 (each element reads the
// weight before writing it), and the optimizer states (inputs after grad) are updated in place.
//
// In every update, clip_gradient > 0 clips the rescaled gradient to [-clip_gradient, clip_gradient] and
// clip_gradient <= 0 turns clipping off (MXNet's documented behaviour).
#include "nn_util.h"

namespace mxc {
namespace op {
namespace {

// The common hyper-parameters, as the element type.
template <typename T>
struct Hyper {
  T lr, wd, rescale, clip;
  bool do_clip;
  explicit Hyper(const OpParams &p)
      : lr(static_cast<T>(p.Float("lr"))),
        wd(static_cast<T>(p.Float("wd"))),
        rescale(static_cast<T>(p.Float("rescale_grad"))),
        clip(static_cast<T>(p.Float("clip_gradient"))),
        do_clip(p.Float("clip_gradient") > 0) {}
  T Grad(T g) const { return ClipIf(rescale * g, clip, do_clip); }
};

// Runs f(i, weight_i) -> new weight over all elements, storing through req (the output may be the weight itself).
// The updates capture by value: MapOut's loop then holds the hyper-parameters in registers, where stores to the
// states cannot change them (captured by reference, the compiler must assume they might and does not vectorize).
template <typename T, typename F>
void UpdateLoop(const std::vector<TBlob> &in, OpReq req, const TBlob &out, F f) {
  const T *w = in[0].ptr<T>();
  MapOut(out.ptr<T>(), in[0].Size(), req, [=](int64_t i) { return f(i, w[i]); });
}

// weight = weight - lr * (clip(rescale * grad) + wd * weight)
void SGDUpdate(MXC_NN_FORWARD_ARGS) {
  MXC_REAL_TYPE_SWITCH(in[0].dtype, T, {
    const Hyper<T> h(p);
    const T *g = in[1].ptr<T>();
    UpdateLoop<T>(in, req[0], out[0], [=](int64_t i, T w) { return w - h.lr * (h.Grad(g[i]) + h.wd * w); });
  });
}

// mom = momentum * mom - lr * (clip(rescale * grad) + wd * weight); weight = weight + mom
void SGDMomUpdate(MXC_NN_FORWARD_ARGS) {
  MXC_REAL_TYPE_SWITCH(in[0].dtype, T, {
    const Hyper<T> h(p);
    const T momentum = static_cast<T>(p.Float("momentum"));
    const T *g = in[1].ptr<T>();
    T *mom = in[2].ptr<T>();
    UpdateLoop<T>(in, req[0], out[0], [=](int64_t i, T w) {
      mom[i] = momentum * mom[i] - h.lr * (h.Grad(g[i]) + h.wd * w);
      return w + mom[i];
    });
  });
}

// g = clip(rescale * grad) + wd * weight; mom = momentum * mom - lr * g; weight = weight + momentum * mom - lr * g.
// (MXNet 1.9's kernel recomputes the stored momentum from the already updated weight when out aliases weight; this
// uses the weight before the step in both places, which is what it computes when out is a separate array.)
void NAGMomUpdate(MXC_NN_FORWARD_ARGS) {
  MXC_REAL_TYPE_SWITCH(in[0].dtype, T, {
    const Hyper<T> h(p);
    const T momentum = static_cast<T>(p.Float("momentum"));
    const T *g = in[1].ptr<T>();
    T *mom = in[2].ptr<T>();
    UpdateLoop<T>(in, req[0], out[0], [=](int64_t i, T w) {
      const T gr = h.Grad(g[i]) + h.wd * w;
      mom[i] = momentum * mom[i] - h.lr * gr;
      return w + momentum * mom[i] - h.lr * gr;
    });
  });
}

// g = clip(rescale * grad + wd * weight); mean = beta1 * mean + (1 - beta1) * g; var = beta2 * var + (1 - beta2) * g^2;
// weight = weight - lr * mean / (sqrt(var) + epsilon). (Bias correction is folded into lr by the caller.)
void AdamUpdate(MXC_NN_FORWARD_ARGS) {
  MXC_REAL_TYPE_SWITCH(in[0].dtype, T, {
    const Hyper<T> h(p);
    const T b1 = static_cast<T>(p.Float("beta1")), b2 = static_cast<T>(p.Float("beta2"));
    const T eps = static_cast<T>(p.Float("epsilon"));
    const T *g = in[1].ptr<T>();
    T *mean = in[2].ptr<T>();
    T *var = in[3].ptr<T>();
    UpdateLoop<T>(in, req[0], out[0], [=](int64_t i, T w) {
      const T gr = ClipIf(h.rescale * g[i] + h.wd * w, h.clip, h.do_clip);
      mean[i] = b1 * mean[i] + (T(1) - b1) * gr;
      var[i] = b2 * var[i] + (T(1) - b2) * gr * gr;
      return w - h.lr * mean[i] / (std::sqrt(var[i]) + eps);
    });
  });
}

// g = clip(rescale * grad + wd * weight); n = (1 - gamma1) * g^2 + gamma1 * n;
// weight = weight - lr * g / sqrt(n + epsilon), then clipped to [-clip_weights, clip_weights] when clip_weights > 0.
void RMSPropUpdate(MXC_NN_FORWARD_ARGS) {
  MXC_REAL_TYPE_SWITCH(in[0].dtype, T, {
    const Hyper<T> h(p);
    const T g1 = static_cast<T>(p.Float("gamma1")), eps = static_cast<T>(p.Float("epsilon"));
    const T cw = static_cast<T>(p.Float("clip_weights"));
    const bool do_cw = p.Float("clip_weights") > 0;
    const T *g = in[1].ptr<T>();
    T *n = in[2].ptr<T>();
    UpdateLoop<T>(in, req[0], out[0], [=](int64_t i, T w) {
      const T gr = ClipIf(h.rescale * g[i] + h.wd * w, h.clip, h.do_clip);
      n[i] = (T(1) - g1) * gr * gr + g1 * n[i];
      return ClipIf(w - h.lr * gr / std::sqrt(n[i] + eps), cw, do_cw);
    });
  });
}

// Graves' RMSProp: g' = clip(rescale * grad + wd * weight); n = (1 - gamma1) * g'^2 + gamma1 * n;
// g = (1 - gamma1) * g' + gamma1 * g; delta = gamma2 * delta - lr * g' / sqrt(n - g^2 + epsilon);
// weight = weight + delta, then clipped when clip_weights > 0.
void RMSPropAlexUpdate(MXC_NN_FORWARD_ARGS) {
  MXC_REAL_TYPE_SWITCH(in[0].dtype, T, {
    const Hyper<T> h(p);
    const T g1 = static_cast<T>(p.Float("gamma1")), g2 = static_cast<T>(p.Float("gamma2"));
    const T eps = static_cast<T>(p.Float("epsilon"));
    const T cw = static_cast<T>(p.Float("clip_weights"));
    const bool do_cw = p.Float("clip_weights") > 0;
    const T *g = in[1].ptr<T>();
    T *n = in[2].ptr<T>();
    T *gs = in[3].ptr<T>();
    T *delta = in[4].ptr<T>();
    UpdateLoop<T>(in, req[0], out[0], [=](int64_t i, T w) {
      const T gr = ClipIf(h.rescale * g[i] + h.wd * w, h.clip, h.do_clip);
      n[i] = (T(1) - g1) * gr * gr + g1 * n[i];
      gs[i] = (T(1) - g1) * gr + g1 * gs[i];
      delta[i] = g2 * delta[i] - h.lr * gr / std::sqrt(n[i] - gs[i] * gs[i] + eps);
      return ClipIf(w + delta[i], cw, do_cw);
    });
  });
}

Op &UpdateOp(const char *name, const char *doc, std::vector<std::string> inputs) {
  std::vector<int> states;
  for (size_t i = 2; i < inputs.size(); ++i) states.push_back(static_cast<int>(i));
  return OpRegistry::Get()->Register(name)
      .describe(doc)
      .set_inputs(std::move(inputs))
      .add_required_param("lr", ParamKind::kFloat, "Learning rate.")
      .set_infer_shape(SameShapeInfer)
      .set_infer_type(FloatOnlyTypeInfer)
      .set_inplace({{0, 0}})
      .set_mutate_inputs(states);
}

Op &CommonParams(Op &op) {
  return op.add_param("wd", ParamKind::kFloat, "0", "Weight decay (L2 regularisation coefficient).")
      .add_param("rescale_grad", ParamKind::kFloat, "1", "Rescales the gradient before anything else.")
      .add_param("clip_gradient", ParamKind::kFloat, "-1",
                 "Clips the gradient to [-clip_gradient, clip_gradient]; <= 0 turns clipping off.");
}

}  // namespace

static Op &sgd_reg =
    CommonParams(UpdateOp("sgd_update", "SGD step: weight = weight - lr * (clip(rescale_grad * grad) + wd * weight).",
                          {"weight", "grad"}))
        .add_param("lazy_update", ParamKind::kBool, "True", "Sparse lazy update (ignored: dense arrays only).")
        .set_compute(MXC_CPU, SGDUpdate);

static Op &sgd_mom_reg =
    CommonParams(UpdateOp("sgd_mom_update",
                          "SGD step with momentum: mom = momentum * mom - lr * (clip(rescale_grad * grad) + wd * "
                          "weight); weight = weight + mom.",
                          {"weight", "grad", "mom"})
                     .add_param("momentum", ParamKind::kFloat, "0", "The decay rate of momentum estimates."))
        .add_param("lazy_update", ParamKind::kBool, "True", "Sparse lazy update (ignored: dense arrays only).")
        .set_compute(MXC_CPU, SGDMomUpdate);

static Op &nag_reg =
    CommonParams(UpdateOp("nag_mom_update",
                          "Nesterov accelerated gradient step: g = clip(rescale_grad * grad) + wd * weight; mom = "
                          "momentum * mom - lr * g; weight = weight + momentum * mom - lr * g.",
                          {"weight", "grad", "mom"})
                     .add_param("momentum", ParamKind::kFloat, "0", "The decay rate of momentum estimates."))
        .set_compute(MXC_CPU, NAGMomUpdate);

static Op &adam_reg =
    CommonParams(UpdateOp("adam_update",
                          "Adam step: g = clip(rescale_grad * grad + wd * weight); mean = beta1 * mean + (1 - beta1) "
                          "* g; var = beta2 * var + (1 - beta2) * g^2; weight = weight - lr * mean / (sqrt(var) + "
                          "epsilon).",
                          {"weight", "grad", "mean", "var"})
                     .add_param("beta1", ParamKind::kFloat, "0.9", "The decay rate for the 1st moment estimates.")
                     .add_param("beta2", ParamKind::kFloat, "0.999", "The decay rate for the 2nd moment estimates.")
                     .add_param("epsilon", ParamKind::kFloat, "1e-8", "A small constant for numerical stability."))
        .add_param("lazy_update", ParamKind::kBool, "True", "Sparse lazy update (ignored: dense arrays only).")
        .set_compute(MXC_CPU, AdamUpdate);

static Op &rmsprop_reg =
    CommonParams(UpdateOp("rmsprop_update",
                          "RMSProp step: g = clip(rescale_grad * grad + wd * weight); n = (1 - gamma1) * g^2 + "
                          "gamma1 * n; weight = weight - lr * g / sqrt(n + epsilon).",
                          {"weight", "grad", "n"})
                     .add_param("gamma1", ParamKind::kFloat, "0.95", "The decay rate of the squared gradient.")
                     .add_param("epsilon", ParamKind::kFloat, "1e-8", "A small constant for numerical stability."))
        .add_param("clip_weights", ParamKind::kFloat, "-1",
                   "Clips the weights to [-clip_weights, clip_weights]; <= 0 turns clipping off.")
        .set_compute(MXC_CPU, RMSPropUpdate);

static Op &rmspropalex_reg =
    CommonParams(UpdateOp("rmspropalex_update",
                          "RMSProp step of Graves (2013): n = (1 - gamma1) * g^2 + gamma1 * n; g_avg = (1 - gamma1) "
                          "* g + gamma1 * g_avg; delta = gamma2 * delta - lr * g / sqrt(n - g_avg^2 + epsilon); "
                          "weight = weight + delta.",
                          {"weight", "grad", "n", "g", "delta"})
                     .add_param("gamma1", ParamKind::kFloat, "0.95", "Decay rate.")
                     .add_param("gamma2", ParamKind::kFloat, "0.9", "Decay rate.")
                     .add_param("epsilon", ParamKind::kFloat, "1e-8", "A small constant for numerical stability."))
        .add_param("clip_weights", ParamKind::kFloat, "-1",
                   "Clips the weights to [-clip_weights, clip_weights]; <= 0 turns clipping off.")
        .set_compute(MXC_CPU, RMSPropAlexUpdate);

}  // namespace op
}  // namespace mxc
