// More of MXNet 1.9.1's fused optimizer updates (optimizer_ops.cc has SGD, NAG, Adam, RMSProp):
// - signsgd_update, signum_update, ftml_update, ftrl_update, lamb_update_phase1/2, _contrib_adamw_update;
// - mixed precision (a float16 weight with a float32 master copy `weight32`): mp_sgd_update, mp_sgd_mom_update,
//   mp_nag_mom_update, mp_lamb_update_phase1/2, _contrib_mp_adamw_update;
// - multi-tensor (variadic, num_weights groups of inputs): multi_sgd_update, multi_sgd_mom_update,
//   multi_mp_sgd_update, multi_mp_sgd_mom_update and their preloaded_ forms (learning rates and weight decays as the
//   two last input arrays instead of parameters);
// - multi_sum_sq, multi_lars, reset_arrays (the helpers of LARS and of gradient accumulation).
//
// As in optimizer_ops.cc: called with out=weight (the output may alias the weight: each element reads the weight
// before writing it); the optimizer states are updated in place; clip_gradient <= 0 turns clipping off.
#include <cstdlib>
#include <cstring>
#include <sstream>

#include "elemwise_util.h"
#include "nn_util.h"

namespace mxc {
namespace op {
namespace {

using elem::Half;

// ----------------------------------------------------------------------------------------------------------------
// Element access: float16 arrays are read and written through float.
// ----------------------------------------------------------------------------------------------------------------
template <typename V, typename T>
inline V LoadAs(const T *p, int64_t i) {
  return static_cast<V>(p[i]);
}
template <typename V>
inline V LoadAs(const Half *p, int64_t i) {
  return static_cast<V>(elem::HalfBitsToFloat(p[i].bits));
}

// o[i] (=|+=) v according to req, converting to the array's type.
template <typename T, typename V>
inline void StoreReq(T *o, int64_t i, OpReq req, V v) {
  if (req == kNullOp) return;
  if (req == kAddTo) v += LoadAs<V>(o, i);
  o[i] = elem::Convert<T>::From_(v);
}

template <typename T>
inline T Sign(T v) {
  return v > T(0) ? T(1) : (v < T(0) ? T(-1) : T(0));
}

// The weight dtypes of the mixed-precision updates.
#define MXC_MP_WEIGHT_SWITCH(code, W, ...)                                                              \
  switch (code) {                                                                                       \
    case ::mxc::kFloat16: { typedef ::mxc::op::elem::Half W; __VA_ARGS__; } break;                      \
    case ::mxc::kFloat32: { typedef float W; __VA_ARGS__; } break;                                      \
    default: ::mxc::Throw(::mxc::ErrorKind::kType, "operator ", p.op()->name, ": weight dtype ",        \
                          ::mxc::DTypeName(code), " is not supported (float16, float32)");              \
  }

// Common hyper-parameters as the compute type.
template <typename T>
struct Hp {
  T lr, wd, rescale, clip;
  bool do_clip;
  Hp(const OpParams &p, const char *clip_name = "clip_gradient")
      : lr(p.op()->ParamIndex("lr") >= 0 ? static_cast<T>(p.Float("lr")) : T(0)),
        wd(p.op()->ParamIndex("wd") >= 0 ? static_cast<T>(p.Float("wd")) : T(0)),
        rescale(static_cast<T>(p.Float("rescale_grad"))),
        clip(static_cast<T>(p.Float(clip_name))),
        do_clip(p.Float(clip_name) > 0) {}
  T Grad(T g) const { return ClipIf(rescale * g, clip, do_clip); }
};

// ----------------------------------------------------------------------------------------------------------------
// Type inference
// ----------------------------------------------------------------------------------------------------------------
// Inputs and outputs in groups: kind k >= 0 means "the weight dtype of group k" (float16 or float32, all slots of a
// group alike), kind -1 means float32. The mixed-precision updates use this.
void KindTypeInfer(const OpParams &p, std::vector<int> *in, std::vector<int> *out, const std::vector<int> &in_kind,
                   const std::vector<int> &out_kind) {
  const Op *op = p.op();
  const auto names = op->InputNames(p);
  int ng = 0;
  for (int k : in_kind) ng = std::max(ng, k + 1);
  std::vector<int> gt(ng, -1);
  auto nm = [&](size_t i) { return i < names.size() ? names[i] : std::string("input"); };
  // A float16 state is a ValueError, not a TypeError: float16.cc would rerun a TypeError's call through float32.
  for (size_t i = 0; i < in->size(); ++i)
    if (in_kind[i] < 0 && (*in)[i] >= 0 && (*in)[i] != kFloat32)
      Throw(ErrorKind::kValue, "operator ", op->name, ": '", nm(i), "' has dtype ", DTypeName((*in)[i]),
            ", expected float32 (the float32 states of a mixed-precision update)");
  for (size_t i = 0; i < in->size(); ++i)
    if (in_kind[i] >= 0 && (*in)[i] >= 0) TypeMerge(&gt[in_kind[i]], (*in)[i], op, nm(i));
  for (size_t o = 0; o < out->size(); ++o)
    if (out_kind[o] >= 0 && (*out)[o] >= 0) TypeMerge(&gt[out_kind[o]], (*out)[o], op, "output");
  for (size_t i = 0; i < in->size(); ++i) {
    const int k = in_kind[i];
    if (k >= 0 && gt[k] >= 0 && gt[k] != kFloat16 && gt[k] != kFloat32)
      Throw(ErrorKind::kType, "operator ", op->name, ": '", nm(i), "' has dtype ", DTypeName(gt[k]),
            ", which is not supported (float16, float32)");
    if (k < 0) TypeAssign(&(*in)[i], kFloat32, op, nm(i));
    else if (gt[k] >= 0) TypeAssign(&(*in)[i], gt[k], op, nm(i));
  }
  for (size_t o = 0; o < out->size(); ++o) {
    const int k = out_kind[o];
    if (k < 0) TypeAssign(&(*out)[o], kFloat32, op, "output");
    else if (gt[k] >= 0) TypeAssign(&(*out)[o], gt[k], op, "output");
  }
}

// A single-tensor mixed-precision update: inputs with kind 0 are weight-typed, the others float32.
FInferType MpTypeInfer(std::vector<int> in_kind, int out_kind) {
  return [in_kind, out_kind](const OpParams &p, std::vector<int> *in, std::vector<int> *out) {
    KindTypeInfer(p, in, out, in_kind, std::vector<int>(out->size(), out_kind));
  };
}

// ----------------------------------------------------------------------------------------------------------------
// Single-tensor updates
// ----------------------------------------------------------------------------------------------------------------
template <typename T, typename F>
void Loop(const std::vector<TBlob> &in, OpReq req, const TBlob &out, F f) {
  const T *w = in[0].ptr<T>();
  MapOut(out.ptr<T>(), in[0].Size(), req, [=](int64_t i) { return f(i, w[i]); });
}

// weight = (1 - lr * wd) * weight - lr * sign(clip(rescale_grad * grad))
void SignSGDUpdate(MXC_NN_FORWARD_ARGS) {
  MXC_REAL_TYPE_SWITCH(in[0].dtype, T, {
    const Hp<T> h(p);
    const T *g = in[1].ptr<T>();
    Loop<T>(in, req[0], out[0], [=](int64_t i, T w) { return (T(1) - h.lr * h.wd) * w - h.lr * Sign(h.Grad(g[i])); });
  });
}

// mom = momentum * mom - (1 - momentum) * (clip(rescale_grad * grad) + wd * weight);
// weight = (1 - lr * wd_lh) * weight + lr * sign(mom)
void SignumUpdate(MXC_NN_FORWARD_ARGS) {
  MXC_REAL_TYPE_SWITCH(in[0].dtype, T, {
    const Hp<T> h(p);
    const T mu = static_cast<T>(p.Float("momentum")), wd_lh = static_cast<T>(p.Float("wd_lh"));
    const T *g = in[1].ptr<T>();
    T *mom = in[2].ptr<T>();
    Loop<T>(in, req[0], out[0], [=](int64_t i, T w) {
      mom[i] = mu * mom[i] - (T(1) - mu) * (h.Grad(g[i]) + h.wd * w);
      return (T(1) - h.lr * wd_lh) * w + h.lr * Sign(mom[i]);
    });
  });
}

// g = clip(rescale_grad * grad + wd * weight, clip_grad); v = beta2 * v + (1 - beta2) * g^2;
// d' = (1 - beta1^t) / lr * (sqrt(v / (1 - beta2^t)) + epsilon); z = beta1 * z + (1 - beta1) * g - (d' - beta1 * d)
// * weight; d = d'; weight = -z / d
void FTMLUpdate(MXC_NN_FORWARD_ARGS) {
  MXC_REAL_TYPE_SWITCH(in[0].dtype, T, {
    const Hp<T> h(p, "clip_grad");
    const T b1 = static_cast<T>(p.Float("beta1")), b2 = static_cast<T>(p.Float("beta2"));
    const T eps = static_cast<T>(p.Float("epsilon"));
    const double t = static_cast<double>(p.Int("t"));
    const T c1 = static_cast<T>(1 - std::pow(static_cast<double>(b1), t));
    const T c2 = static_cast<T>(1 - std::pow(static_cast<double>(b2), t));
    const T *g = in[1].ptr<T>();
    T *d = in[2].ptr<T>();
    T *v = in[3].ptr<T>();
    T *z = in[4].ptr<T>();
    Loop<T>(in, req[0], out[0], [=](int64_t i, T w) {
      const T gr = ClipIf(h.rescale * g[i] + h.wd * w, h.clip, h.do_clip);
      v[i] = b2 * v[i] + (T(1) - b2) * gr * gr;
      const T dn = c1 / h.lr * (std::sqrt(v[i] / c2) + eps);
      z[i] = b1 * z[i] + (T(1) - b1) * gr - (dn - b1 * d[i]) * w;
      d[i] = dn;
      return -z[i] / dn;
    });
  });
}

// g = clip(rescale_grad * grad); z += g - (sqrt(n + g^2) - sqrt(n)) * weight / lr; n += g^2;
// weight = (sign(z) * lamda1 - z) / ((beta + sqrt(n)) / lr + wd) where |z| > lamda1, else 0
void FtrlUpdate(MXC_NN_FORWARD_ARGS) {
  MXC_REAL_TYPE_SWITCH(in[0].dtype, T, {
    const Hp<T> h(p);
    const T l1 = static_cast<T>(p.Float("lamda1")), beta = static_cast<T>(p.Float("beta"));
    const T *g = in[1].ptr<T>();
    T *z = in[2].ptr<T>();
    T *n = in[3].ptr<T>();
    Loop<T>(in, req[0], out[0], [=](int64_t i, T w) {
      const T gr = h.Grad(g[i]);
      z[i] += gr - (std::sqrt(n[i] + gr * gr) - std::sqrt(n[i])) * w / h.lr;
      n[i] += gr * gr;
      return std::abs(z[i]) > l1 ? (Sign(z[i]) * l1 - z[i]) / ((beta + std::sqrt(n[i])) / h.lr + h.wd) : T(0);
    });
  });
}

// LAMB phase 1 (shared by the mixed-precision form, which reads the weight decay term from weight32):
// g = clip(rescale_grad * grad); mean = beta1 * mean + (1 - beta1) * g; var = beta2 * var + (1 - beta2) * g^2;
// out = mean' / (sqrt(var') + epsilon) + wd * weight, with mean' and var' bias-corrected when bias_correction.
template <typename W, typename T, typename O>
void Lamb1Loop(const OpParams &p, const W *wt, const W *g, T *mean, T *var, const T *w32, OpReq req, O *out,
               int64_t n) {
  const Hp<T> h(p);
  const T b1 = static_cast<T>(p.Float("beta1")), b2 = static_cast<T>(p.Float("beta2"));
  const T eps = static_cast<T>(p.Float("epsilon"));
  const bool bc = p.Bool("bias_correction");
  const double t = static_cast<double>(p.Int("t"));
  const T c1 = bc ? static_cast<T>(1 - std::pow(static_cast<double>(b1), t)) : T(1);
  const T c2 = bc ? static_cast<T>(1 - std::pow(static_cast<double>(b2), t)) : T(1);
  ParallelFor(n, [&](int64_t i) {
    const T gr = h.Grad(LoadAs<T>(g, i));
    mean[i] = b1 * mean[i] + (T(1) - b1) * gr;
    var[i] = b2 * var[i] + (T(1) - b2) * gr * gr;
    const T w = w32 ? w32[i] : LoadAs<T>(wt, i);
    StoreReq(out, i, req, (mean[i] / c1) / (std::sqrt(var[i] / c2) + eps) + h.wd * w);
  });
}

void Lamb1Update(MXC_NN_FORWARD_ARGS) {
  MXC_REAL_TYPE_SWITCH(in[0].dtype, T, {
    Lamb1Loop<T, T, T>(p, in[0].ptr<T>(), in[1].ptr<T>(), in[2].ptr<T>(), in[3].ptr<T>(), nullptr, req[0],
                       out[0].ptr<T>(), in[0].Size());
  });
}

void MpLamb1Update(MXC_NN_FORWARD_ARGS) {
  MXC_MP_WEIGHT_SWITCH(in[0].dtype, W, {
    Lamb1Loop<W, float, float>(p, in[0].ptr<W>(), in[1].ptr<W>(), in[2].ptr<float>(), in[3].ptr<float>(),
                               in[4].ptr<float>(), req[0], out[0].ptr<float>(), in[0].Size());
  });
}

// The learning rate of LAMB phase 2: r1 clamped to [lower_bound, upper_bound] (each bound when >= 0), then
// lr * r1 / r2 unless r1 or r2 is 0.
double Lamb2Rate(const OpParams &p, const TBlob &r1b, const TBlob &r2b) {
  double r1 = 0, r2 = 0;
  MXC_REAL_TYPE_SWITCH(r1b.dtype, T, { r1 = static_cast<double>(r1b.ptr<T>()[0]); });
  MXC_REAL_TYPE_SWITCH(r2b.dtype, T, { r2 = static_cast<double>(r2b.ptr<T>()[0]); });
  const double lb = p.Float("lower_bound"), ub = p.Float("upper_bound");
  if (lb >= 0) r1 = std::max(r1, lb);
  if (ub >= 0) r1 = std::min(r1, ub);
  double lr = p.Float("lr");
  if (r1 != 0 && r2 != 0) lr *= r1 / r2;
  return lr;
}

// weight = weight - lr' * g
void Lamb2Update(MXC_NN_FORWARD_ARGS) {
  MXC_REAL_TYPE_SWITCH(in[0].dtype, T, {
    const T lr = static_cast<T>(Lamb2Rate(p, in[2], in[3]));
    const T *g = in[1].ptr<T>();
    Loop<T>(in, req[0], out[0], [=](int64_t i, T w) { return w - lr * g[i]; });
  });
}

// weight32 = weight32 - lr' * g; weight = weight32 (as its dtype)
void MpLamb2Update(MXC_NN_FORWARD_ARGS) {
  const float lr = static_cast<float>(Lamb2Rate(p, in[2], in[3]));
  const float *g = in[1].ptr<float>();
  float *w32 = in[4].ptr<float>();
  MXC_MP_WEIGHT_SWITCH(in[0].dtype, W, {
    W *o = out[0].ptr<W>();
    const OpReq r = req[0];
    ParallelFor(in[0].Size(), [&](int64_t i) {
      w32[i] -= lr * g[i];
      StoreReq(o, i, r, w32[i]);
    });
  });
}

// The rescale_grad input of AdamW (its first element), and whether the step is taken (finite and non-zero).
double AdamWRescale(const TBlob &b, bool *take) {
  double s = 0;
  MXC_REAL_TYPE_SWITCH(b.dtype, T, { s = static_cast<double>(b.ptr<T>()[0]); });
  *take = std::isfinite(s) && s != 0;
  return s;
}

// g = clip(rescale_grad * grad); mean = beta1 * mean + (1 - beta1) * g; var = beta2 * var + (1 - beta2) * g^2;
// weight = weight - eta * (lr * mean / (sqrt(var) + epsilon) + wd * weight). Skipped (the weight copied to the output,
// the states kept) when rescale_grad is NaN, infinite or 0.
template <typename W, typename T>
void AdamWLoop(const OpParams &p, const W *wt, const W *g, T *mean, T *var, T *w32, double rescale, OpReq req, W *out,
               int64_t n, double lr_ = -1, double wd_ = 0, double eta_ = 0) {
  // lr_ >= 0: this tensor's lr, wd and eta (the multi-tensor form), else the parameters'.
  const T lr = static_cast<T>(lr_ >= 0 ? lr_ : p.Float("lr")), wd = static_cast<T>(lr_ >= 0 ? wd_ : p.Float("wd"));
  const T eta = static_cast<T>(lr_ >= 0 ? eta_ : p.Float("eta"));
  const T b1 = static_cast<T>(p.Float("beta1")), b2 = static_cast<T>(p.Float("beta2"));
  const T eps = static_cast<T>(p.Float("epsilon"));
  const T rs = static_cast<T>(rescale), clip = static_cast<T>(p.Float("clip_gradient"));
  const bool do_clip = p.Float("clip_gradient") > 0;
  ParallelFor(n, [&](int64_t i) {
    const T gr = ClipIf(rs * LoadAs<T>(g, i), clip, do_clip);
    mean[i] = b1 * mean[i] + (T(1) - b1) * gr;
    var[i] = b2 * var[i] + (T(1) - b2) * gr * gr;
    const T w = w32 ? w32[i] : LoadAs<T>(wt, i);
    const T nw = w - eta * (lr * mean[i] / (std::sqrt(var[i]) + eps) + wd * w);
    if (w32) w32[i] = nw;
    StoreReq(out, i, req, nw);
  });
}

template <typename W>
void CopyWeight(const W *w, OpReq req, W *out, int64_t n) {
  if (req == kNullOp || w == out) return;
  for (int64_t i = 0; i < n; ++i) StoreReq(out, i, req, LoadAs<double>(w, i));
}

void AdamWUpdate(MXC_NN_FORWARD_ARGS) {
  bool take = false;
  const double rs = AdamWRescale(in[4], &take);
  MXC_REAL_TYPE_SWITCH(in[0].dtype, T, {
    if (!take) return CopyWeight(in[0].ptr<T>(), req[0], out[0].ptr<T>(), in[0].Size());
    AdamWLoop<T, T>(p, in[0].ptr<T>(), in[1].ptr<T>(), in[2].ptr<T>(), in[3].ptr<T>(), nullptr, rs, req[0],
                    out[0].ptr<T>(), in[0].Size());
  });
}

void MpAdamWUpdate(MXC_NN_FORWARD_ARGS) {
  bool take = false;
  const double rs = AdamWRescale(in[5], &take);
  MXC_MP_WEIGHT_SWITCH(in[0].dtype, W, {
    if (!take) return CopyWeight(in[0].ptr<W>(), req[0], out[0].ptr<W>(), in[0].Size());
    AdamWLoop<W, float>(p, in[0].ptr<W>(), in[1].ptr<W>(), in[2].ptr<float>(), in[3].ptr<float>(),
                        in[4].ptr<float>(), rs, req[0], out[0].ptr<W>(), in[0].Size());
  });
}

// Mixed-precision SGD (with momentum when mom != nullptr, Nesterov when nag): the step on the float32 master copy
// w32 with g = clip(rescale_grad * grad) + wd * w32, then weight = w32 as the weight's dtype.
template <typename W>
void MpSGDLoop(const W *g, float *mom, float *w32, float lr, float wd, float mu, const Hp<float> &h, bool nag,
               OpReq req, W *out, int64_t n) {
  ParallelFor(n, [&](int64_t i) {
    const float gr = h.Grad(LoadAs<float>(g, i)) + wd * w32[i];
    float nw;
    if (mom == nullptr) {
      nw = w32[i] - lr * gr;
    } else {
      mom[i] = mu * mom[i] - lr * gr;
      nw = nag ? w32[i] + mu * mom[i] - lr * gr : w32[i] + mom[i];
    }
    w32[i] = nw;
    StoreReq(out, i, req, nw);
  });
}

// kind 0: plain, 1: momentum, 2: Nesterov
template <int kKind>
void MpSGDUpdate(MXC_NN_FORWARD_ARGS) {
  const Hp<float> h(p);
  const float mu = kKind == 0 ? 0.f : static_cast<float>(p.Float("momentum"));
  float *mom = kKind == 0 ? nullptr : in[2].ptr<float>();
  float *w32 = in[kKind == 0 ? 2 : 3].ptr<float>();
  MXC_MP_WEIGHT_SWITCH(in[0].dtype, W, {
    MpSGDLoop<W>(in[1].ptr<W>(), mom, w32, h.lr, h.wd, mu, h, kKind == 2, req[0], out[0].ptr<W>(), in[0].Size());
  });
}

// ----------------------------------------------------------------------------------------------------------------
// Multi-tensor SGD
// ----------------------------------------------------------------------------------------------------------------
// Inputs per weight: weight, grad[, mom][, weight32]; preloaded forms end with the lrs and wds arrays.
struct MultiSpec {
  bool mom, mp, preloaded;
  int per() const { return 2 + (mom ? 1 : 0) + (mp ? 1 : 0); }
};

int64_t NumWeights(const OpParams &p) {
  const int64_t n = p.Int("num_weights");
  MXC_CHECK(n >= 1, ErrorKind::kValue, "operator ", p.op()->name, ": num_weights must be at least 1, got ", n);
  return n;
}

std::vector<std::string> MultiInputNames(const MultiSpec &s, const OpParams &p) {
  std::vector<std::string> r;
  const int n = static_cast<int>(std::max<int64_t>(1, p.Int("num_weights")));
  for (int k = 0; k < n; ++k) {
    const std::string sfx = "_" + std::to_string(k);
    r.push_back("weight" + sfx);
    r.push_back("grad" + sfx);
    if (s.mom) r.push_back("mom" + sfx);
    if (s.mp) r.push_back("weight32" + sfx);
  }
  if (s.preloaded) {
    r.push_back("lrs");
    r.push_back("wds");
  }
  return r;
}

// A "tuple of <float>" parameter: "(0.1, 0.2)", "[0.1,0.2]", "0.1".
std::vector<double> FloatList(const OpParams &p, const char *name) {
  std::string s = p.Str(name);
  for (char &c : s)
    if (c == '(' || c == ')' || c == '[' || c == ']' || c == ',') c = ' ';
  std::istringstream is(s);
  std::vector<double> r;
  std::string tok;
  while (is >> tok) {
    char *end = nullptr;
    const double v = std::strtod(tok.c_str(), &end);
    MXC_CHECK(end && *end == '\0', ErrorKind::kValue, "operator ", p.op()->name, ": parameter '", name,
              "' must be a tuple of floats, got '", p.Str(name), "'");
    r.push_back(v);
  }
  return r;
}

void CheckLists(const OpParams &p, const std::vector<double> &lrs, const std::vector<double> &wds, int n) {
  MXC_CHECK(static_cast<int>(lrs.size()) == n && static_cast<int>(wds.size()) == n, ErrorKind::kValue, "operator ",
            p.op()->name, ": lrs and wds must have num_weights = ", n, " values, got ", lrs.size(), " and ",
            wds.size());
}

void MultiShapeInfer(const MultiSpec &s, const OpParams &p, std::vector<TShape> *in, std::vector<TShape> *out) {
  const Op *op = p.op();
  const int n = NumWeights(p), per = s.per();
  const auto names = op->InputNames(p);
  if (!s.preloaded) CheckLists(p, FloatList(p, "lrs"), FloatList(p, "wds"), n);
  for (int k = 0; k < n; ++k) {
    TShape sh;
    for (int j = 0; j < per; ++j) ShapeMerge(&sh, (*in)[k * per + j], op, names[k * per + j]);
    ShapeMerge(&sh, (*out)[k], op, "output " + std::to_string(k));
    for (int j = 0; j < per; ++j) ShapeAssign(&(*in)[k * per + j], sh, op, names[k * per + j]);
    ShapeAssign(&(*out)[k], sh, op, "output " + std::to_string(k));
  }
  if (s.preloaded) {
    ShapeAssign(&(*in)[n * per], TShape({n}), op, "lrs");
    ShapeAssign(&(*in)[n * per + 1], TShape({n}), op, "wds");
  }
}

void MultiTypeInfer(const MultiSpec &s, const OpParams &p, std::vector<int> *in, std::vector<int> *out) {
  if (!s.mp) return FloatOnlyTypeInfer(p, in, out);
  const int n = NumWeights(p), per = s.per();
  std::vector<int> ik(in->size(), -1), ok(out->size(), -1);
  for (int k = 0; k < n; ++k) {
    ik[k * per] = ik[k * per + 1] = k;  // weight and grad: the weight's dtype; mom, weight32, lrs, wds: float32
    ok[k] = k;
  }
  KindTypeInfer(p, in, out, ik, ok);
}

template <typename T>
std::vector<double> ArrayValues(const TBlob &b) {
  std::vector<double> r(b.Size());
  const T *d = b.ptr<T>();
  for (size_t i = 0; i < r.size(); ++i) r[i] = static_cast<double>(d[i]);
  return r;
}

void MultiSGD(const MultiSpec &s, MXC_NN_FORWARD_ARGS) {
  const int n = NumWeights(p), per = s.per();
  std::vector<double> lrs, wds;
  if (s.preloaded) {
    MXC_REAL_TYPE_SWITCH(in[n * per].dtype, T, {
      lrs = ArrayValues<T>(in[n * per]);
      wds = ArrayValues<T>(in[n * per + 1]);
    });
  } else {
    lrs = FloatList(p, "lrs");
    wds = FloatList(p, "wds");
  }
  CheckLists(p, lrs, wds, n);
  const float mu = s.mom ? static_cast<float>(p.Float("momentum")) : 0.f;
  for (int k = 0; k < n; ++k) {
    const TBlob *b = &in[k * per];
    if (s.mp) {
      Hp<float> h(p);
      h.lr = static_cast<float>(lrs[k]);
      h.wd = static_cast<float>(wds[k]);
      float *mom = s.mom ? b[2].ptr<float>() : nullptr;
      float *w32 = b[s.mom ? 3 : 2].ptr<float>();
      MXC_MP_WEIGHT_SWITCH(b[0].dtype, W, {
        MpSGDLoop<W>(b[1].ptr<W>(), mom, w32, h.lr, h.wd, mu, h, false, req[k], out[k].ptr<W>(), b[0].Size());
      });
    } else {
      MXC_REAL_TYPE_SWITCH(b[0].dtype, T, {
        Hp<T> h(p);
        h.lr = static_cast<T>(lrs[k]);
        h.wd = static_cast<T>(wds[k]);
        const T *w = b[0].ptr<T>();
        const T *g = b[1].ptr<T>();
        if (s.mom) {
          T *mom = b[2].ptr<T>();
          const T m = static_cast<T>(p.Float("momentum"));  // as sgd_mom_update: float64 weights keep its precision
          // (each of w[i] and mom[i] read once: stores through mom cannot change them, so the loop vectorizes)
          MapOut(out[k].ptr<T>(), b[0].Size(), req[k], [=](int64_t i) {
            const T wi = w[i], mi = m * mom[i] - h.lr * (h.Grad(g[i]) + h.wd * wi);
            mom[i] = mi;
            return wi + mi;
          });
        } else {
          MapOut(out[k].ptr<T>(), b[0].Size(), req[k], [=](int64_t i) {
            const T wi = w[i];
            return wi - h.lr * (h.Grad(g[i]) + h.wd * wi);
          });
        }
      });
    }
  }
}

// ----------------------------------------------------------------------------------------------------------------
// multi_sum_sq, multi_lars, reset_arrays
// ----------------------------------------------------------------------------------------------------------------
int NumArrays(const OpParams &p) {
  const int64_t n = p.Int("num_arrays");
  MXC_CHECK(n >= 1, ErrorKind::kValue, "operator ", p.op()->name, ": num_arrays must be at least 1, got ", n);
  return static_cast<int>(n);
}

void MultiSumSqShape(const OpParams &p, std::vector<TShape> *in, std::vector<TShape> *out) {
  ShapeAssign(&(*out)[0], TShape({NumArrays(p)}), p.op(), "output");
}

void MultiSumSqType(const OpParams &p, std::vector<int> *in, std::vector<int> *out) {
  const Op *op = p.op();
  const auto names = op->InputNames(p);
  int t = -1;
  for (size_t i = 0; i < in->size(); ++i) TypeMerge(&t, (*in)[i], op, names[i]);
  MXC_CHECK(t < 0 || t == kFloat16 || t == kFloat32 || t == kFloat64, ErrorKind::kType, "operator ", op->name,
            ": the arrays have dtype ", DTypeName(t), ", which is not supported (float16, float32, float64)");
  if (t >= 0)
    for (size_t i = 0; i < in->size(); ++i) TypeAssign(&(*in)[i], t, op, names[i]);
  TypeAssign(&(*out)[0], kFloat32, op, "output");
}

void MultiSumSq(MXC_NN_FORWARD_ARGS) {
  float *o = out[0].ptr<float>();
  for (size_t k = 0; k < in.size(); ++k) {
    double acc = 0;
    const int64_t n = in[k].Size();
    switch (in[k].dtype) {
      case kFloat16: {
        const Half *d = in[k].ptr<Half>();
        for (int64_t i = 0; i < n; ++i) {
          const double v = LoadAs<double>(d, i);
          acc += v * v;
        }
        break;
      }
      default:
        MXC_REAL_TYPE_SWITCH(in[k].dtype, T, {
          const T *d = in[k].ptr<T>();
          for (int64_t i = 0; i < n; ++i) acc += static_cast<double>(d[i]) * static_cast<double>(d[i]);
        });
    }
    StoreReq(o, static_cast<int64_t>(k), req[0], static_cast<float>(acc));
  }
}

// lr * eta * |w| / (|g| * rescale_grad + wd * |w| + eps) where both norms are > 0, else lr.
void MultiLars(MXC_NN_FORWARD_ARGS) {
  MXC_REAL_TYPE_SWITCH(in[0].dtype, T, {
    const T *lr = in[0].ptr<T>(), *ws = in[1].ptr<T>(), *gs = in[2].ptr<T>(), *wd = in[3].ptr<T>();
    const T eta = static_cast<T>(p.Float("eta")), eps = static_cast<T>(p.Float("eps"));
    const T rs = static_cast<T>(p.Float("rescale_grad"));
    MapOut(out[0].ptr<T>(), in[0].Size(), req[0], [=](int64_t i) {
      const T wn = std::sqrt(ws[i]), gn = std::sqrt(gs[i]);
      return (wn > T(0) && gn > T(0)) ? lr[i] * eta * wn / (gn * rs + wd[i] * wn + eps) : lr[i];
    });
  });
}

void ResetArrays(MXC_NN_FORWARD_ARGS) {
  for (auto &b : in)
    if (b.dptr) std::memset(b.dptr, 0, b.Size() * DTypeSize(b.dtype));
}

// ----------------------------------------------------------------------------------------------------------------
// Registration helpers
// ----------------------------------------------------------------------------------------------------------------
std::vector<int> Range(int b, int e) {
  std::vector<int> r;
  for (int i = b; i < e; ++i) r.push_back(i);
  return r;
}

Op &Update(const char *name, const char *doc, std::vector<std::string> inputs, std::vector<int> mutate) {
  return OpRegistry::Get()->Register(name)
      .describe(doc)
      .set_inputs(std::move(inputs))
      .set_infer_shape(SameShapeInfer)
      .set_infer_type(FloatOnlyTypeInfer)
      .set_inplace({{0, 0}})
      .set_mutate_inputs(std::move(mutate));
}

Op &Lr(Op &op) { return op.add_required_param("lr", ParamKind::kFloat, "Learning rate."); }
Op &Wd(Op &op) {
  return op.add_param("wd", ParamKind::kFloat, "0",
                      "Weight decay augments the objective function with a regularization term that penalizes large "
                      "weights.");
}
Op &Rescale(Op &op) {
  return op.add_param("rescale_grad", ParamKind::kFloat, "1", "Rescale gradient to grad = rescale_grad*grad.");
}
Op &Clip(Op &op, const char *name = "clip_gradient") {
  return op.add_param(name, ParamKind::kFloat, "-1",
                      "Clip gradient to the range of [-clip_gradient, clip_gradient]; <= 0 turns clipping off.");
}
Op &Momentum(Op &op) {
  return op.add_param("momentum", ParamKind::kFloat, "0", "The decay rate of momentum estimates at each epoch.");
}
Op &Lazy(Op &op) {
  return op.add_param("lazy_update", ParamKind::kBool, "True", "Sparse lazy update (ignored: dense arrays only).");
}
Op &LambParams1(Op &op) {
  op.add_param("beta1", ParamKind::kFloat, "0.9", "The decay rate for the 1st moment estimates.")
      .add_param("beta2", ParamKind::kFloat, "0.999", "The decay rate for the 2nd moment estimates.")
      .add_param("epsilon", ParamKind::kFloat, "1e-6", "A small constant for numerical stability.")
      .add_required_param("t", ParamKind::kInt, "Index update count.")
      .add_param("bias_correction", ParamKind::kBool, "True", "Whether to use bias correction.")
      .add_required_param("wd", ParamKind::kFloat, "Weight decay.");
  return Clip(Rescale(op));
}
Op &LambParams2(Op &op) {
  return Lr(op)
      .add_param("lower_bound", ParamKind::kFloat, "-1", "Lower limit of norm of weight (< 0: not set).")
      .add_param("upper_bound", ParamKind::kFloat, "-1", "Upper limit of norm of weight (< 0: not set).");
}
Op &AdamWParams(Op &op) {
  Lr(op)
      .add_param("beta1", ParamKind::kFloat, "0.9", "The decay rate for the 1st moment estimates.")
      .add_param("beta2", ParamKind::kFloat, "0.999", "The decay rate for the 2nd moment estimates.")
      .add_param("epsilon", ParamKind::kFloat, "1e-8", "A small constant for numerical stability.")
      .add_param("wd", ParamKind::kFloat, "0", "Weight decay (decoupled from the gradient).")
      .add_required_param("eta", ParamKind::kFloat, "Learning rate schedule multiplier.");
  return Clip(op);
}

// LAMB phase 2 shapes: weight, g (and weight32) alike, r1 and r2 of shape (1,).
void Lamb2Shape(const OpParams &p, std::vector<TShape> *in, std::vector<TShape> *out) {
  const Op *op = p.op();
  const auto names = op->InputNames(p);
  TShape s;
  for (size_t i = 0; i < in->size(); ++i)
    if (i != 2 && i != 3) ShapeMerge(&s, (*in)[i], op, names[i]);
  ShapeMerge(&s, (*out)[0], op, "output");
  for (size_t i = 0; i < in->size(); ++i)
    ShapeAssign(&(*in)[i], (i == 2 || i == 3) ? TShape({1}) : s, op, names[i]);
  ShapeAssign(&(*out)[0], s, op, "output");
}

// AdamW shapes: the last input (rescale_grad) has shape (1,), the others the weight's.
void AdamWShape(const OpParams &p, std::vector<TShape> *in, std::vector<TShape> *out) {
  const Op *op = p.op();
  const auto names = op->InputNames(p);
  const size_t last = in->size() - 1;
  TShape s;
  for (size_t i = 0; i < last; ++i) ShapeMerge(&s, (*in)[i], op, names[i]);
  ShapeMerge(&s, (*out)[0], op, "output");
  for (size_t i = 0; i < last; ++i) ShapeAssign(&(*in)[i], s, op, names[i]);
  ShapeAssign(&(*in)[last], TShape({1}), op, names[last]);
  ShapeAssign(&(*out)[0], s, op, "output");
}

void RegisterMulti(const char *name, const char *doc, MultiSpec s) {
  Op &op = OpRegistry::Get()->Register(name);
  op.describe(doc).set_variadic("num_weights", "data");
  op.set_input_names([s](const OpParams &p) { return MultiInputNames(s, p); });
  if (!s.preloaded) {
    op.add_required_param("lrs", ParamKind::kString, "Learning rates (a tuple of floats).")
        .add_required_param("wds", ParamKind::kString, "Weight decays (a tuple of floats).");
  }
  if (s.mom) Momentum(op);
  Clip(Rescale(op));
  op.add_param("num_weights", ParamKind::kInt, "1", "Number of updated weights.");
  op.set_num_outputs([](const OpParams &p) { return NumWeights(p); })
      .set_infer_shape([s](const OpParams &p, std::vector<TShape> *in, std::vector<TShape> *out) {
        MultiShapeInfer(s, p, in, out);
      })
      .set_infer_type([s](const OpParams &p, std::vector<int> *in, std::vector<int> *out) {
        MultiTypeInfer(s, p, in, out);
      })
      .set_mutate_inputs([s](const OpParams &p) {
        std::vector<int> m;
        const int n = NumWeights(p), per = s.per();
        for (int k = 0; k < n; ++k)
          for (int j = 2; j < per; ++j) m.push_back(k * per + j);
        return m;
      })
      .set_compute(MXC_CPU, [s](MXC_NN_FORWARD_ARGS) { MultiSGD(s, ctx, p, in, req, out); });
}

// ----------------------------------------------------------------------------------------------------------------
// Multi-tensor AdamW and LAMB (_multi_adamw_update, _multi_lamb_update and their _mp_ forms): inputs weight, grad,
// mean, var[, weight32] per tensor (AdamW then its rescale_grad array); the lists of learning rates, weight decays
// (and AdamW's etas, LAMB's step counts) as parameters.
// ----------------------------------------------------------------------------------------------------------------
struct MultiAdamSpec {
  bool lamb, mp;
  const char *count() const { return lamb ? "num_tensors" : "num_weights"; }
  int per() const { return mp ? 5 : 4; }
};

int64_t NumTensors(const MultiAdamSpec &s, const OpParams &p) {
  const int64_t n = p.Int(s.count());
  MXC_CHECK(n >= 1, ErrorKind::kValue, "operator ", p.op()->name, ": ", s.count(), " must be at least 1, got ", n);
  return n;
}

std::vector<std::string> MultiAdamInputNames(const MultiAdamSpec &s, const OpParams &p) {
  std::vector<std::string> r;
  const int n = static_cast<int>(std::max<int64_t>(1, p.Int(s.count())));
  for (int k = 0; k < n; ++k) {
    const std::string sfx = "_" + std::to_string(k);
    for (const char *b : {"weight", "grad", "mean", "var"}) r.push_back(b + sfx);
    if (s.mp) r.push_back("weight32" + sfx);
  }
  if (!s.lamb) r.push_back("rescale_grad");
  return r;
}

void CheckListLen(const OpParams &p, const char *name, size_t got, int n) {
  MXC_CHECK(static_cast<int>(got) == n, ErrorKind::kValue, "operator ", p.op()->name, ": parameter '", name,
            "' must have ", n, " values (one per tensor), got ", got);
}

void MultiAdamShape(const MultiAdamSpec &s, const OpParams &p, std::vector<TShape> *in, std::vector<TShape> *out) {
  const Op *op = p.op();
  const int n = NumTensors(s, p), per = s.per();
  const auto names = op->InputNames(p);
  CheckListLen(p, s.lamb ? "learning_rates" : "lrs", FloatList(p, s.lamb ? "learning_rates" : "lrs").size(), n);
  CheckListLen(p, "wds", FloatList(p, "wds").size(), n);
  if (s.lamb) CheckListLen(p, "step_count", p.Tuple("step_count").size(), n);
  else CheckListLen(p, "etas", FloatList(p, "etas").size(), n);
  for (int k = 0; k < n; ++k) {
    TShape sh;
    for (int j = 0; j < per; ++j) ShapeMerge(&sh, (*in)[k * per + j], op, names[k * per + j]);
    ShapeMerge(&sh, (*out)[k], op, "output " + std::to_string(k));
    for (int j = 0; j < per; ++j) ShapeAssign(&(*in)[k * per + j], sh, op, names[k * per + j]);
    ShapeAssign(&(*out)[k], sh, op, "output " + std::to_string(k));
  }
  if (!s.lamb) ShapeAssign(&(*in)[n * per], TShape({1}), op, "rescale_grad");
}

void MultiAdamType(const MultiAdamSpec &s, const OpParams &p, std::vector<int> *in, std::vector<int> *out) {
  if (!s.mp) return FloatOnlyTypeInfer(p, in, out);
  const int n = NumTensors(s, p), per = s.per();
  std::vector<int> ik(in->size(), -1), ok(out->size(), -1);
  for (int k = 0; k < n; ++k) {
    ik[k * per] = ik[k * per + 1] = k;
    ok[k] = k;
  }
  KindTypeInfer(p, in, out, ik, ok);
}

// One LAMB tensor: the phase-1 direction r into a buffer, then the step with lr * r1 / r2 (r1 = |weight| clamped
// to the bounds that are >= 0, r2 = |r|; lr alone when either is 0). w32: the master copy (mixed precision), which
// the weight decay term reads and the step updates; r1 is the norm of the (float16) weight, as in MXNet 1.9.1.
template <typename W, typename T>
void LambTensor(const OpParams &p, const W *wt, const W *g, T *mean, T *var, T *w32, double lr, double wd, int64_t t,
                OpReq req, W *out, int64_t n) {
  const T b1 = static_cast<T>(p.Float("beta1")), b2 = static_cast<T>(p.Float("beta2"));
  const T eps = static_cast<T>(p.Float("epsilon")), rs = static_cast<T>(p.Float("rescale_grad"));
  const T clip = static_cast<T>(p.Float("clip_gradient"));
  const bool do_clip = p.Float("clip_gradient") > 0, bc = p.Bool("bias_correction");
  const T c1 = bc ? static_cast<T>(1 - std::pow(static_cast<double>(b1), static_cast<double>(t))) : T(1);
  const T c2 = bc ? static_cast<T>(1 - std::pow(static_cast<double>(b2), static_cast<double>(t))) : T(1);
  std::vector<T> r(n);
  double r1 = 0, r2 = 0;
  for (int64_t i = 0; i < n; ++i) {
    const T gr = ClipIf(rs * LoadAs<T>(g, i), clip, do_clip);
    mean[i] = b1 * mean[i] + (T(1) - b1) * gr;
    var[i] = b2 * var[i] + (T(1) - b2) * gr * gr;
    const T w = w32 ? w32[i] : LoadAs<T>(wt, i);
    r[i] = (mean[i] / c1) / (std::sqrt(var[i] / c2) + eps) + static_cast<T>(wd) * w;
    const double wn = LoadAs<double>(wt, i);  // |weight| of the weight itself (float16 in mixed precision), as MXNet
    r1 += wn * wn;
    r2 += static_cast<double>(r[i]) * static_cast<double>(r[i]);
  }
  r1 = std::sqrt(r1);
  r2 = std::sqrt(r2);
  const double lb = p.Float("lower_bound"), ub = p.Float("upper_bound");
  if (lb >= 0) r1 = std::max(r1, lb);
  if (ub >= 0) r1 = std::min(r1, ub);
  const T step = static_cast<T>(r1 != 0 && r2 != 0 ? lr * r1 / r2 : lr);
  for (int64_t i = 0; i < n; ++i) {
    const T nw = (w32 ? w32[i] : LoadAs<T>(wt, i)) - step * r[i];
    if (w32) w32[i] = nw;
    StoreReq(out, i, req, nw);
  }
}

void MultiAdam(const MultiAdamSpec &s, MXC_NN_FORWARD_ARGS) {
  const int n = NumTensors(s, p), per = s.per();
  const auto lrs = FloatList(p, s.lamb ? "learning_rates" : "lrs"), wds = FloatList(p, "wds");
  bool take = true;
  double rescale = 1;
  if (!s.lamb) rescale = AdamWRescale(in[n * per], &take);
  for (int k = 0; k < n; ++k) {
    const TBlob *b = &in[k * per];
    if (!s.lamb) {
      const double eta = FloatList(p, "etas")[k];
      if (s.mp) {
        MXC_MP_WEIGHT_SWITCH(b[0].dtype, W, {
          if (!take) CopyWeight(b[0].ptr<W>(), req[k], out[k].ptr<W>(), b[0].Size());
          else AdamWLoop<W, float>(p, b[0].ptr<W>(), b[1].ptr<W>(), b[2].ptr<float>(), b[3].ptr<float>(),
                                   b[4].ptr<float>(), rescale, req[k], out[k].ptr<W>(), b[0].Size(), lrs[k], wds[k],
                                   eta);
        });
      } else {
        MXC_REAL_TYPE_SWITCH(b[0].dtype, T, {
          if (!take) CopyWeight(b[0].ptr<T>(), req[k], out[k].ptr<T>(), b[0].Size());
          else AdamWLoop<T, T>(p, b[0].ptr<T>(), b[1].ptr<T>(), b[2].ptr<T>(), b[3].ptr<T>(), nullptr, rescale,
                               req[k], out[k].ptr<T>(), b[0].Size(), lrs[k], wds[k], eta);
        });
      }
    } else {
      const int64_t t = p.Tuple("step_count")[k];
      if (s.mp) {
        MXC_MP_WEIGHT_SWITCH(b[0].dtype, W, {
          LambTensor<W, float>(p, b[0].ptr<W>(), b[1].ptr<W>(), b[2].ptr<float>(), b[3].ptr<float>(),
                               b[4].ptr<float>(), lrs[k], wds[k], t, req[k], out[k].ptr<W>(), b[0].Size());
        });
      } else {
        MXC_REAL_TYPE_SWITCH(b[0].dtype, T, {
          LambTensor<T, T>(p, b[0].ptr<T>(), b[1].ptr<T>(), b[2].ptr<T>(), b[3].ptr<T>(), nullptr, lrs[k], wds[k], t,
                           req[k], out[k].ptr<T>(), b[0].Size());
        });
      }
    }
  }
}

void RegisterMultiAdam(const char *name, const char *doc, MultiAdamSpec s) {
  Op &op = OpRegistry::Get()->Register(name);
  op.describe(doc).set_variadic(s.count(), "data");
  op.set_input_names([s](const OpParams &p) { return MultiAdamInputNames(s, p); });
  if (s.lamb) {
    op.add_required_param("learning_rates", ParamKind::kString, "List of learning rates (a tuple of floats).")
        .add_param("beta1", ParamKind::kFloat, "0.9", "Exponential decay rate for the first moment estimates.")
        .add_param("beta2", ParamKind::kFloat, "0.999", "Exponential decay rate for the second moment estimates.")
        .add_param("epsilon", ParamKind::kFloat, "1e-6", "Small value to avoid division by 0.")
        .add_required_param("wds", ParamKind::kString, "List of weight decays (a tuple of floats).")
        .add_param("rescale_grad", ParamKind::kFloat, "1", "Gradient rescaling factor.")
        .add_param("lower_bound", ParamKind::kFloat, "-1", "Lower limit of norm of weight (< 0: not set).")
        .add_param("upper_bound", ParamKind::kFloat, "-1", "Upper limit of norm of weight (< 0: not set).");
    Clip(op)
        .add_param("bias_correction", ParamKind::kBool, "True", "Whether to use bias correction.")
        .add_required_param("step_count", ParamKind::kShape, "Step count for each tensor.")
        .add_param("num_tensors", ParamKind::kInt, "1", "Number of tensors.");
  } else {
    op.add_required_param("lrs", ParamKind::kString, "Learning rates (a tuple of floats).")
        .add_param("beta1", ParamKind::kFloat, "0.9", "The decay rate for the 1st moment estimates.")
        .add_param("beta2", ParamKind::kFloat, "0.999", "The decay rate for the 2nd moment estimates.")
        .add_param("epsilon", ParamKind::kFloat, "1e-8", "A small constant for numerical stability.")
        .add_required_param("wds", ParamKind::kString, "Weight decays (a tuple of floats).")
        .add_required_param("etas", ParamKind::kString, "Learning rate schedule multipliers (a tuple of floats).");
    Clip(op).add_param("num_weights", ParamKind::kInt, "1", "Number of updated weights.");
  }
  op.set_num_outputs([s](const OpParams &p) { return NumTensors(s, p); })
      .set_infer_shape([s](const OpParams &p, std::vector<TShape> *in, std::vector<TShape> *out) {
        MultiAdamShape(s, p, in, out);
      })
      .set_infer_type([s](const OpParams &p, std::vector<int> *in, std::vector<int> *out) {
        MultiAdamType(s, p, in, out);
      })
      .set_mutate_inputs([s](const OpParams &p) {
        std::vector<int> m;
        const int n = NumTensors(s, p), per = s.per();
        for (int k = 0; k < n; ++k)
          for (int j = 2; j < per; ++j) m.push_back(k * per + j);
        return m;
      })
      .set_compute(MXC_CPU, [s](MXC_NN_FORWARD_ARGS) { MultiAdam(s, ctx, p, in, req, out); });
}

// ----------------------------------------------------------------------------------------------------------------
// Registrations
// ----------------------------------------------------------------------------------------------------------------
int Register() {
  Clip(Rescale(Wd(Lr(Update("signsgd_update",
                            "SignSGD step: weight = (1 - lr * wd) * weight - lr * sign(clip(rescale_grad * grad)).",
                            {"weight", "grad"}, {})))))
      .set_compute(MXC_CPU, SignSGDUpdate);

  Clip(Rescale(Wd(Momentum(Lr(Update("signum_update",
                                     "Signum step: mom = momentum * mom - (1 - momentum) * (clip(rescale_grad * grad) "
                                     "+ wd * weight); weight = (1 - lr * wd_lh) * weight + lr * sign(mom).",
                                     {"weight", "grad", "mom"}, {2}))))))
      .add_param("wd_lh", ParamKind::kFloat, "0",
                 "The amount of weight decay that does not go into gradient/momentum calculations.")
      .set_compute(MXC_CPU, SignumUpdate);

  Clip(Rescale(Wd(Lr(Update("ftml_update",
                            "FTML step (Zheng & Kwok, 2017): g = clip(rescale_grad * grad + wd * weight); v = beta2 * "
                            "v + (1 - beta2) * g^2; d' = (1 - beta1^t) / lr * (sqrt(v / (1 - beta2^t)) + epsilon); "
                            "z = beta1 * z + (1 - beta1) * g - (d' - beta1 * d) * weight; d = d'; weight = -z / d.",
                            {"weight", "grad", "d", "v", "z"}, {2, 3, 4}))
                         .add_param("beta1", ParamKind::kFloat, "0.6", "Generally close to 0.5.")
                         .add_param("beta2", ParamKind::kFloat, "0.999", "Generally close to 1.")
                         .add_param("epsilon", ParamKind::kFloat, "1e-8", "Epsilon to prevent div 0.")
                         .add_required_param("t", ParamKind::kInt, "Number of update."))),
       "clip_grad")
      .set_compute(MXC_CPU, FTMLUpdate);

  Clip(Rescale(Wd(Lr(Update("ftrl_update",
                            "Ftrl step: g = clip(rescale_grad * grad); z += g - (sqrt(n + g^2) - sqrt(n)) * weight / "
                            "lr; n += g^2; weight = (sign(z) * lamda1 - z) / ((beta + sqrt(n)) / lr + wd) * (|z| > "
                            "lamda1).",
                            {"weight", "grad", "z", "n"}, {2, 3}))
                         .add_param("lamda1", ParamKind::kFloat, "0.01", "The L1 regularization coefficient.")
                         .add_param("beta", ParamKind::kFloat, "1", "Per-Coordinate Learning Rate beta."))))
      .set_compute(MXC_CPU, FtrlUpdate);

  LambParams1(OpRegistry::Get()
                  ->Register("lamb_update_phase1")
                  .describe("Phase I of LAMB: g = clip(rescale_grad * grad); mean = beta1 * mean + (1 - beta1) * g; "
                            "var = beta2 * var + (1 - beta2) * g^2; returns mean_hat / (sqrt(var_hat) + epsilon) + "
                            "wd * weight (bias-corrected when bias_correction).")
                  .set_inputs({"weight", "grad", "mean", "var"})
                  .set_infer_shape(SameShapeInfer)
                  .set_infer_type(FloatOnlyTypeInfer)
                  .set_mutate_inputs({2, 3}))
      .set_compute(MXC_CPU, Lamb1Update);

  LambParams2(OpRegistry::Get()
                  ->Register("lamb_update_phase2")
                  .describe("Phase II of LAMB: r1 clamped to [lower_bound, upper_bound] (bounds >= 0 apply); "
                            "weight = weight - lr * r1 / r2 * g (lr alone when r1 or r2 is 0).")
                  .set_inputs({"weight", "g", "r1", "r2"})
                  .set_infer_shape(Lamb2Shape)
                  .set_infer_type(FloatOnlyTypeInfer)
                  .set_inplace({{0, 0}}))
      .set_compute(MXC_CPU, Lamb2Update);

  LambParams1(OpRegistry::Get()
                  ->Register("mp_lamb_update_phase1")
                  .describe("Mixed-precision phase I of LAMB: as lamb_update_phase1 with a float16 weight and grad, "
                            "float32 mean, var and weight32 (the weight decay term reads weight32); returns float32.")
                  .set_inputs({"weight", "grad", "mean", "var", "weight32"})
                  .set_infer_shape(SameShapeInfer)
                  .set_infer_type(MpTypeInfer({0, 0, -1, -1, -1}, -1))
                  .set_mutate_inputs({2, 3}))
      .set_compute(MXC_CPU, MpLamb1Update);

  LambParams2(OpRegistry::Get()
                  ->Register("mp_lamb_update_phase2")
                  .describe("Mixed-precision phase II of LAMB: weight32 = weight32 - lr' * g (lr' as in "
                            "lamb_update_phase2), weight = weight32 as float16.")
                  .set_inputs({"weight", "g", "r1", "r2", "weight32"})
                  .set_infer_shape(Lamb2Shape)
                  .set_infer_type(MpTypeInfer({0, -1, -1, -1, -1}, 0))
                  .set_inplace({{0, 0}})
                  .set_mutate_inputs({4}))
      .set_compute(MXC_CPU, MpLamb2Update);

  AdamWParams(OpRegistry::Get()
                  ->Register("_contrib_adamw_update")
                  .add_alias("_adamw_update")
                  .describe("AdamW step: g = clip(rescale_grad * grad); mean = beta1 * mean + (1 - beta1) * g; var "
                            "= beta2 * var + (1 - beta2) * g^2; weight = weight - eta * (lr * mean / (sqrt(var) + "
                            "epsilon) + wd * weight). rescale_grad is an array; NaN, Inf or 0 skips the update.")
                  .set_inputs({"weight", "grad", "mean", "var", "rescale_grad"})
                  .set_infer_shape(AdamWShape)
                  .set_infer_type(FloatOnlyTypeInfer)
                  .set_inplace({{0, 0}})
                  .set_mutate_inputs({2, 3}))
      .set_compute(MXC_CPU, AdamWUpdate);

  AdamWParams(OpRegistry::Get()
                  ->Register("_contrib_mp_adamw_update")
                  .add_alias("_mp_adamw_update")
                  .describe("Mixed-precision AdamW step on the float32 master copy weight32 (see adamw_update); "
                            "weight = weight32 as float16.")
                  .set_inputs({"weight", "grad", "mean", "var", "weight32", "rescale_grad"})
                  .set_infer_shape(AdamWShape)
                  .set_infer_type(MpTypeInfer({0, 0, -1, -1, -1, -1}, 0))
                  .set_inplace({{0, 0}})
                  .set_mutate_inputs({2, 3, 4}))
      .set_compute(MXC_CPU, MpAdamWUpdate);

  Lazy(Clip(Rescale(Wd(Lr(OpRegistry::Get()
                              ->Register("mp_sgd_update")
                              .describe("Mixed-precision SGD: weight32 = weight32 - lr * (clip(rescale_grad * grad) + "
                                        "wd * weight32); weight = weight32 as float16.")
                              .set_inputs({"weight", "grad", "weight32"})
                              .set_infer_shape(SameShapeInfer)
                              .set_infer_type(MpTypeInfer({0, 0, -1}, 0))
                              .set_inplace({{0, 0}})
                              .set_mutate_inputs({2}))))))
      .set_compute(MXC_CPU, MpSGDUpdate<0>);

  Lazy(Clip(Rescale(Wd(Momentum(Lr(OpRegistry::Get()
                                       ->Register("mp_sgd_mom_update")
                                       .describe("Mixed-precision SGD with momentum: mom = momentum * mom - lr * "
                                                 "(clip(rescale_grad * grad) + wd * weight32); weight32 += mom; "
                                                 "weight = weight32 as float16.")
                                       .set_inputs({"weight", "grad", "mom", "weight32"})
                                       .set_infer_shape(SameShapeInfer)
                                       .set_infer_type(MpTypeInfer({0, 0, -1, -1}, 0))
                                       .set_inplace({{0, 0}})
                                       .set_mutate_inputs({2, 3})))))))
      .set_compute(MXC_CPU, MpSGDUpdate<1>);

  Clip(Rescale(Wd(Momentum(Lr(OpRegistry::Get()
                                  ->Register("mp_nag_mom_update")
                                  .describe("Mixed-precision Nesterov step: g = clip(rescale_grad * grad) + wd * "
                                            "weight32; mom = momentum * mom - lr * g; weight32 += momentum * mom - "
                                            "lr * g; weight = weight32 as float16.")
                                  .set_inputs({"weight", "grad", "mom", "weight32"})
                                  .set_infer_shape(SameShapeInfer)
                                  .set_infer_type(MpTypeInfer({0, 0, -1, -1}, 0))
                                  .set_inplace({{0, 0}})
                                  .set_mutate_inputs({2, 3}))))))
      .set_compute(MXC_CPU, MpSGDUpdate<2>);

  RegisterMulti("multi_sgd_update",
                "SGD on num_weights weights at once: inputs weight_0, grad_0, weight_1, grad_1, ...; weight_k = "
                "weight_k - lrs[k] * (clip(rescale_grad * grad_k) + wds[k] * weight_k).",
                {false, false, false});
  RegisterMulti("multi_sgd_mom_update",
                "SGD with momentum on num_weights weights at once: inputs weight_k, grad_k, mom_k for each k; mom_k = "
                "momentum * mom_k - lrs[k] * (clip(rescale_grad * grad_k) + wds[k] * weight_k); weight_k += mom_k.",
                {true, false, false});
  RegisterMulti("multi_mp_sgd_update",
                "Mixed-precision SGD on num_weights weights at once: inputs weight_k, grad_k, weight32_k for each k.",
                {false, true, false});
  RegisterMulti("multi_mp_sgd_mom_update",
                "Mixed-precision SGD with momentum on num_weights weights at once: inputs weight_k, grad_k, mom_k, "
                "weight32_k for each k.",
                {true, true, false});
  RegisterMulti("preloaded_multi_sgd_update",
                "multi_sgd_update with the learning rates and weight decays as the two last inputs (arrays lrs and "
                "wds of shape (num_weights,)).",
                {false, false, true});
  RegisterMulti("preloaded_multi_sgd_mom_update",
                "multi_sgd_mom_update with the learning rates and weight decays as the two last inputs.",
                {true, false, true});
  RegisterMulti("preloaded_multi_mp_sgd_update",
                "multi_mp_sgd_update with the learning rates and weight decays as the two last inputs (float32).",
                {false, true, true});
  RegisterMulti("preloaded_multi_mp_sgd_mom_update",
                "multi_mp_sgd_mom_update with the learning rates and weight decays as the two last inputs (float32).",
                {true, true, true});

  RegisterMultiAdam("_multi_adamw_update",
                    "AdamW on num_weights tensors at once: inputs weight_k, grad_k, mean_k, var_k for each k, then "
                    "rescale_grad (an array; NaN, Inf or 0 skips the update); lrs, wds and etas per tensor.",
                    {false, false});
  RegisterMultiAdam("_multi_mp_adamw_update",
                    "Mixed-precision AdamW on num_weights tensors at once: inputs weight_k, grad_k, mean_k, var_k, "
                    "weight32_k for each k, then rescale_grad.",
                    {false, true});
  RegisterMultiAdam("_multi_lamb_update",
                    "LAMB on num_tensors tensors at once: inputs weight_k, grad_k, mean_k, var_k for each k; each "
                    "tensor takes lamb_update_phase1 and lamb_update_phase2 with its norms, learning rate, weight "
                    "decay and step count.",
                    {true, false});
  RegisterMultiAdam("_multi_mp_lamb_update",
                    "Mixed-precision LAMB on num_tensors tensors at once: inputs weight_k, grad_k, mean_k, var_k, "
                    "weight32_k for each k.",
                    {true, true});

  OpRegistry::Get()
      ->Register("multi_sum_sq")
      .describe("The sums of squares of num_arrays arrays: a float32 array of shape (num_arrays,).")
      .set_variadic("num_arrays", "data")
      .add_required_param("num_arrays", ParamKind::kInt, "Number of input arrays.")
      .set_infer_shape(MultiSumSqShape)
      .set_infer_type(MultiSumSqType)
      .set_compute(MXC_CPU, MultiSumSq);

  OpRegistry::Get()
      ->Register("multi_lars")
      .describe("LARS coefficients from sums of squares: lrs * eta * |w| / (|g| * rescale_grad + wds * |w| + eps) "
                "where both norms are > 0, else lrs (|w| = sqrt(weights_sum_sq), |g| = sqrt(grads_sum_sq)).")
      .set_inputs({"lrs", "weights_sum_sq", "grads_sum_sq", "wds"})
      .add_required_param("eta", ParamKind::kFloat, "LARS eta.")
      .add_required_param("eps", ParamKind::kFloat, "LARS eps.")
      .add_param("rescale_grad", ParamKind::kFloat, "1", "Gradient rescaling factor.")
      .set_infer_shape(SameShapeInfer)
      .set_infer_type(FloatOnlyTypeInfer)
      .set_compute(MXC_CPU, MultiLars);

  OpRegistry::Get()
      ->Register("reset_arrays")
      .describe("Sets num_arrays arrays to zero in place (no outputs).")
      .set_variadic("num_arrays", "data")
      .add_required_param("num_arrays", ParamKind::kInt, "Number of input arrays.")
      .set_num_outputs(0)
      .set_infer_shape([](const OpParams &p, std::vector<TShape> *, std::vector<TShape> *) { NumArrays(p); })
      .set_infer_type([](const OpParams &, std::vector<int> *, std::vector<int> *) {})
      .set_mutate_inputs([](const OpParams &p) { return Range(0, NumArrays(p)); })
      .set_compute(MXC_CPU, ResetArrays);
  return 0;
}

const int registered = Register();

}  // namespace
}  // namespace op
}  // namespace mxc
