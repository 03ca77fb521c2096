// GPU kernels of cuda/optim2.cu (kernels_optim2.cuh) for the optimizer, multi-tensor and AMP operators of
// core/ops/optimizer_more.cc and core/ops/amp_ops.cc: AdamW (_contrib_adamw_update, _contrib_mp_adamw_update,
// _multi_adamw_update, _multi_mp_adamw_update), LAMB (_multi_lamb_update, _multi_mp_lamb_update,
// mp_lamb_update_phase1/2), the multi-tensor SGD updates (multi_[mp_]sgd[_mom]_update and their preloaded_ forms),
// multi_sum_sq, multi_lars, reset_arrays, all_finite, multi_all_finite, amp_cast and amp_multicast.
// Weights float32/float64, mixed precision float16/float32 with float32 states; calls with other dtypes (which the
// type inference rejects anyway) run host-staged. Arrays the CPU kernels read on the host (AdamW's rescale_grad, the
// preloaded learning rates and weight decays, LAMB's r1 and r2) are read by the kernels on the device.
#include <cmath>
#include <cstdlib>
#include <string>
#include <vector>

#include "gpu_ops.h"
#include "kernels.cuh"
#include "kernels_optim2.cuh"

namespace mxc {
namespace gpu {

namespace {

// A "tuple of floats" parameter ("(0.1, 0.2)", "[0.1,0.2]", "0.1"); ok false when an item is not a number.
std::vector<double> Floats(const OpParams &p, const char *name, bool *ok) {
  std::string s = p.Str(name);
  for (char &c : s)
    if (c == '(' || c == ')' || c == '[' || c == ']' || c == ',') c = ' ';
  std::vector<double> r;
  const char *q = s.c_str();
  while (true) {
    while (*q == ' ' || *q == '\t' || *q == '\n') ++q;
    if (!*q) break;
    char *end = nullptr;
    r.push_back(std::strtod(q, &end));
    if (end == q || (*end && *end != ' ' && *end != '\t' && *end != '\n')) {
      *ok = false;
      break;
    }
    q = end;
  }
  return r;
}

bool IsMpWeight(int t) { return t == kFloat16 || t == kFloat32; }

// Whether blobs [b, e) of `in` all have dtype t.
bool AllOf(const Blobs &in, size_t b, size_t e, int t) {
  for (size_t i = b; i < e; ++i)
    if (in[i].dtype != t) return false;
  return true;
}

// One tensor's blobs: weight, grad, then the states (float32 for mixed precision, else the weight's dtype).
bool TensorOk(const Blobs &in, size_t at, size_t per, bool mp) {
  const int t = in[at].dtype;
  if (mp) return IsMpWeight(t) && in[at + 1].dtype == t && AllOf(in, at + 2, at + per, kFloat32);
  return IsReal(t) && AllOf(in, at, at + per, t);
}

// 1 - beta^t as the CPU computes it in the compute type: beta rounded to it, the power in double, the result rounded.
double Correction(double beta, int64_t t, bool on, bool f32) {
  if (!on) return 1.0;
  const double b = f32 ? static_cast<double>(static_cast<float>(beta)) : beta;
  const double c = 1 - std::pow(b, static_cast<double>(t));
  if (f32) return static_cast<float>(c);
  return c;
}

// ------------------------------------------------------------------------------------------------- AdamW
cuda::AdamWHyper AdamWCommon(const OpParams &p) {
  cuda::AdamWHyper h{};
  h.beta1 = p.Float("beta1");
  h.beta2 = p.Float("beta2");
  h.epsilon = p.Float("epsilon");
  h.clip = p.Float("clip_gradient");
  return h;
}

// _contrib_adamw_update (weight, grad, mean, var, rescale_grad) and _contrib_mp_adamw_update (..., weight32,
// rescale_grad).
template <bool kMp>
void AdamWFwd(FWD_ARGS) {
  const size_t per = kMp ? 5 : 4;
  if (!TensorOk(in, 0, per, kMp) || !IsReal(in[per].dtype)) return Fallback(ctx, p, in, req, out);
  cuda::AdamWHyper h = AdamWCommon(p);
  h.lr = p.Float("lr");
  h.wd = p.Float("wd");
  h.eta = p.Float("eta");
  cuda::AdamWUpdate(in[0].dtype, kMp, in[0].dptr, in[1].dptr, in[2].dptr, in[3].dptr,
                    kMp ? in[4].ptr<float>() : nullptr, in[per].dptr, in[per].dtype, out[0].dptr, in[0].Size(), h,
                    req[0], St(ctx));
  CheckLaunch(p.op()->name.c_str());
}

// _multi_adamw_update / _multi_mp_adamw_update: num_weights groups, then the rescale_grad array.
template <bool kMp>
void MultiAdamWFwd(FWD_ARGS) {
  const int n = static_cast<int>(p.Int("num_weights"));
  const size_t per = kMp ? 5 : 4;
  bool ok = n >= 1 && in.size() == static_cast<size_t>(n) * per + 1 && out.size() == static_cast<size_t>(n);
  const auto lrs = Floats(p, "lrs", &ok), wds = Floats(p, "wds", &ok), etas = Floats(p, "etas", &ok);
  ok = ok && static_cast<int>(lrs.size()) == n && static_cast<int>(wds.size()) == n &&
       static_cast<int>(etas.size()) == n && IsReal(in[n * per].dtype);
  for (int k = 0; ok && k < n; ++k) ok = TensorOk(in, k * per, per, kMp);
  if (!ok) return Fallback(ctx, p, in, req, out);  // the CPU kernel reports what is wrong
  const TBlob &rs = in[n * per];
  cuda::AdamWHyper h = AdamWCommon(p);
  for (int k = 0; k < n; ++k) {
    const TBlob *b = &in[k * per];
    h.lr = lrs[k];
    h.wd = wds[k];
    h.eta = etas[k];
    cuda::AdamWUpdate(b[0].dtype, kMp, b[0].dptr, b[1].dptr, b[2].dptr, b[3].dptr, kMp ? b[4].ptr<float>() : nullptr,
                      rs.dptr, rs.dtype, out[k].dptr, b[0].Size(), h, req[k], St(ctx));
  }
  CheckLaunch(p.op()->name.c_str());
}

// ------------------------------------------------------------------------------------------------- LAMB
// _multi_lamb_update / _multi_mp_lamb_update: num_tensors groups (weight, grad, mean, var[, weight32]).
template <bool kMp>
void MultiLambFwd(FWD_ARGS) {
  const int n = static_cast<int>(p.Int("num_tensors"));
  const size_t per = kMp ? 5 : 4;
  bool ok = n >= 1 && in.size() == static_cast<size_t>(n) * per && out.size() == static_cast<size_t>(n);
  const auto lrs = Floats(p, "learning_rates", &ok), wds = Floats(p, "wds", &ok);
  const auto &steps = p.Tuple("step_count");
  ok = ok && static_cast<int>(lrs.size()) == n && static_cast<int>(wds.size()) == n &&
       static_cast<int>(steps.size()) == n;
  for (int k = 0; ok && k < n; ++k) ok = TensorOk(in, k * per, per, kMp);
  if (!ok) return Fallback(ctx, p, in, req, out);
  const bool bc = p.Bool("bias_correction");
  for (int k = 0; k < n; ++k) {
    const TBlob *b = &in[k * per];
    const bool f32 = kMp || b[0].dtype == kFloat32;
    cuda::LambHyper h{};
    h.lr = lrs[k];
    h.wd = wds[k];
    h.beta1 = p.Float("beta1");
    h.beta2 = p.Float("beta2");
    h.epsilon = p.Float("epsilon");
    h.rescale = p.Float("rescale_grad");
    h.clip = p.Float("clip_gradient");
    h.c1 = Correction(h.beta1, steps[k], bc, f32);
    h.c2 = Correction(h.beta2, steps[k], bc, f32);
    h.lower = p.Float("lower_bound");
    h.upper = p.Float("upper_bound");
    cuda::LambUpdate(b[0].dtype, kMp, b[0].dptr, b[1].dptr, b[2].dptr, b[3].dptr, kMp ? b[4].ptr<float>() : nullptr,
                     out[k].dptr, b[0].Size(), h, req[k], St(ctx));
  }
  CheckLaunch(p.op()->name.c_str());
}

// mp_lamb_update_phase1 (weight, grad, mean, var, weight32) -> float32 direction.
void MpLamb1Fwd(FWD_ARGS) {
  if (!TensorOk(in, 0, 5, true) || out[0].dtype != kFloat32) return Fallback(ctx, p, in, req, out);
  const bool bc = p.Bool("bias_correction");
  const int64_t t = p.Int("t");
  cuda::LambHyper h{};
  h.wd = p.Float("wd");
  h.beta1 = p.Float("beta1");
  h.beta2 = p.Float("beta2");
  h.epsilon = p.Float("epsilon");
  h.rescale = p.Float("rescale_grad");
  h.clip = p.Float("clip_gradient");
  h.c1 = Correction(h.beta1, t, bc, true);
  h.c2 = Correction(h.beta2, t, bc, true);
  cuda::MpLamb1Update(in[0].dtype, in[1].dptr, in[2].ptr<float>(), in[3].ptr<float>(), in[4].ptr<float>(),
                      out[0].ptr<float>(), in[0].Size(), h, req[0], St(ctx));
  CheckLaunch("mp_lamb_update_phase1");
}

// mp_lamb_update_phase2 (weight, g, r1, r2, weight32): float32 g, r1, r2 and weight32.
void MpLamb2Fwd(FWD_ARGS) {
  if (!IsMpWeight(in[0].dtype) || out[0].dtype != in[0].dtype || !AllOf(in, 1, 5, kFloat32))
    return Fallback(ctx, p, in, req, out);
  cuda::MpLamb2Update(in[0].dtype, in[1].ptr<float>(), in[2].ptr<float>(), in[3].ptr<float>(), p.Float("lr"),
                      p.Float("lower_bound"), p.Float("upper_bound"), in[4].ptr<float>(), out[0].dptr, in[0].Size(),
                      req[0], St(ctx));
  CheckLaunch("mp_lamb_update_phase2");
}

// ------------------------------------------------------------------------------------------------- multi SGD
// The multi-tensor SGD updates: per weight (weight, grad[, mom][, weight32]); preloaded forms end with the lrs and
// wds arrays (of the compute type: float32 for mixed precision, else the weights').
FCompute MultiSGDFwd(bool mom, bool mp, bool preloaded) {
  return [mom, mp, preloaded](FWD_ARGS) {
    const int n = static_cast<int>(p.Int("num_weights"));
    const size_t per = 2 + (mom ? 1 : 0) + (mp ? 1 : 0);
    bool ok = n >= 1 && in.size() == static_cast<size_t>(n) * per + (preloaded ? 2 : 0) &&
              out.size() == static_cast<size_t>(n);
    std::vector<double> lrs, wds;
    if (!preloaded) {
      lrs = Floats(p, "lrs", &ok);
      wds = Floats(p, "wds", &ok);
      ok = ok && static_cast<int>(lrs.size()) == n && static_cast<int>(wds.size()) == n;
    }
    for (int k = 0; ok && k < n; ++k) ok = TensorOk(in, k * per, per, mp);
    if (ok && preloaded) {
      const int ct = mp ? static_cast<int>(kFloat32) : in[0].dtype;
      for (int k = 0; ok && k < n; ++k) ok = mp || in[k * per].dtype == ct;  // one compute type for the arrays
      ok = ok && in[n * per].dtype == ct && in[n * per + 1].dtype == ct && in[n * per].Size() == n &&
           in[n * per + 1].Size() == n;
    }
    if (!ok) return Fallback(ctx, p, in, req, out);
    const double momentum = mom ? p.Float("momentum") : 0.0;
    const double rescale = p.Float("rescale_grad"), clip = p.Float("clip_gradient");
    // One launch per weight dtype (mixed precision takes float16 and float32 weights) and kMultiSGDPerLaunch weights.
    for (int dtype : {static_cast<int>(kFloat32), static_cast<int>(kFloat64), static_cast<int>(kFloat16)}) {
      std::vector<cuda::MultiSGDTensor> ts;
      for (int k = 0; k < n; ++k) {
        const TBlob *b = &in[k * per];
        if (b[0].dtype != dtype) continue;
        ts.push_back({b[0].dptr, b[1].dptr, mom ? b[2].dptr : nullptr, mp ? b[per - 1].ptr<float>() : nullptr,
                      out[k].dptr, static_cast<int64_t>(b[0].Size()), preloaded ? 0.0 : lrs[k],
                      preloaded ? 0.0 : wds[k], static_cast<int>(req[k]), k});
      }
      cuda::MultiSGDUpdate(dtype, mp, ts.data(), static_cast<int>(ts.size()), preloaded ? in[n * per].dptr : nullptr,
                           preloaded ? in[n * per + 1].dptr : nullptr, momentum, rescale, clip, St(ctx));
    }
    CheckLaunch(p.op()->name.c_str());
  };
}

// ------------------------------------------------------------------------------------------------- helpers
void MultiSumSqFwd(FWD_ARGS) {
  const int t = in.empty() ? -1 : in[0].dtype;
  if (in.empty() || (!IsReal(t) && t != kFloat16) || !AllOf(in, 0, in.size(), t) || out[0].dtype != kFloat32 ||
      out[0].Size() != static_cast<int64_t>(in.size()))
    return Fallback(ctx, p, in, req, out);
  std::vector<const void *> xs;
  std::vector<int64_t> ns;
  for (const auto &b : in) {
    xs.push_back(b.dptr);
    ns.push_back(static_cast<int64_t>(b.Size()));
  }
  cuda::MultiSumSq(t, xs.data(), ns.data(), static_cast<int>(in.size()), out[0].ptr<float>(), req[0], St(ctx));
  CheckLaunch("multi_sum_sq");
}

void MultiLarsFwd(FWD_ARGS) {
  const int t = in[0].dtype;
  if (!IsReal(t) || !AllOf(in, 0, 4, t) || out[0].dtype != t) return Fallback(ctx, p, in, req, out);
  cuda::MultiLars(t, in[0].dptr, in[1].dptr, in[2].dptr, in[3].dptr, out[0].dptr, in[0].Size(), p.Float("eta"),
                  p.Float("eps"), p.Float("rescale_grad"), req[0], St(ctx));
  CheckLaunch("multi_lars");
}

void ResetArraysFwd(FWD_ARGS) {
  (void)p;
  (void)req;
  (void)out;
  for (const auto &b : in)
    if (b.dptr && b.Size()) cudaMemsetAsync(b.dptr, 0, b.Size() * DTypeSize(b.dtype), St(ctx));
  CheckLaunch("reset_arrays");
}

// all_finite / multi_all_finite: 1 (when init_output), then 0 where an array has a NaN or an infinity.
void AllFiniteFwd(FWD_ARGS) {
  if (req[0] == kNullOp) return;
  if (out[0].dtype != kFloat32) return Fallback(ctx, p, in, req, out);
  float *o = out[0].ptr<float>();
  if (p.Bool("init_output")) cuda::Fill(kFloat32, o, 1, 1.0, kWriteTo, St(ctx));
  for (const auto &b : in)
    if (IsReal(b.dtype) || b.dtype == kFloat16) cuda::MarkNonFinite(b.dtype, b.dptr, b.Size(), o, St(ctx));
  CheckLaunch(p.op()->name.c_str());
}

// amp_cast / amp_multicast: each output its input converted (the dtypes come from the inference); the gradient of
// each input its output gradient converted back.
void AmpCastFwd(FWD_ARGS) {
  for (size_t i = 0; i < in.size(); ++i)
    cuda::Cast(in[i].dtype, in[i].dptr, out[i].dtype, out[i].dptr, out[i].Size(), req[i], St(ctx));
  CheckLaunch(p.op()->name.c_str());
}
void AmpCastBwd(BWD_ARGS) {
  (void)id;
  (void)od;
  for (size_t i = 0; i < ig.size(); ++i)
    cuda::Cast(og[i].dtype, og[i].dptr, ig[i].dtype, ig[i].dptr, ig[i].Size(), req[i], St(ctx));
  CheckLaunch(p.op()->name.c_str());
}

}  // namespace

void RegisterOptimizer2Kernels() {
  Set("_contrib_adamw_update", AdamWFwd<false>);
  Set("_contrib_mp_adamw_update", AdamWFwd<true>);
  Set("_multi_adamw_update", MultiAdamWFwd<false>);
  Set("_multi_mp_adamw_update", MultiAdamWFwd<true>);
  Set("_multi_lamb_update", MultiLambFwd<false>);
  Set("_multi_mp_lamb_update", MultiLambFwd<true>);
  Set("mp_lamb_update_phase1", MpLamb1Fwd);
  Set("mp_lamb_update_phase2", MpLamb2Fwd);
  Set("multi_sgd_update", MultiSGDFwd(false, false, false));
  Set("multi_sgd_mom_update", MultiSGDFwd(true, false, false));
  Set("multi_mp_sgd_update", MultiSGDFwd(false, true, false));
  Set("multi_mp_sgd_mom_update", MultiSGDFwd(true, true, false));
  Set("preloaded_multi_sgd_update", MultiSGDFwd(false, false, true));
  Set("preloaded_multi_sgd_mom_update", MultiSGDFwd(true, false, true));
  Set("preloaded_multi_mp_sgd_update", MultiSGDFwd(false, true, true));
  Set("preloaded_multi_mp_sgd_mom_update", MultiSGDFwd(true, true, true));
  Set("multi_sum_sq", MultiSumSqFwd);
  Set("multi_lars", MultiLarsFwd);
  Set("reset_arrays", ResetArraysFwd);
  Set("all_finite", AllFiniteFwd);
  Set("multi_all_finite", AllFiniteFwd);
  Set("amp_cast", AmpCastFwd, AmpCastBwd);
  Set("amp_multicast", AmpCastFwd, AmpCastBwd);
}

}  // namespace gpu
}  // namespace mxc
