// GPU kernels of cuda/optim.cu (kernels_optim.cuh) for the fused optimizer updates of core/ops/optimizer_more.cc:
// signsgd, signum, ftml, ftrl, LAMB's two phases and mixed-precision SGD (plain, momentum, Nesterov). Float32/float64
// (mixed precision: a float16 or float32 weight with a float32 master copy); other calls run host-staged.
#include <cmath>

#include "gpu_ops.h"
#include "kernels_optim.cuh"

namespace mxc {
namespace gpu {

namespace {

cuda::OptMoreHyper Common(const OpParams &p, const char *clip = "clip_gradient") {
  cuda::OptMoreHyper h{};
  h.lr = p.op()->ParamIndex("lr") >= 0 ? p.Float("lr") : 0.0;
  h.wd = p.op()->ParamIndex("wd") >= 0 ? p.Float("wd") : 0.0;
  h.rescale = p.Float("rescale_grad");
  h.clip = p.Float(clip);
  h.c1 = h.c2 = 1.0;
  return h;
}

// 1 - beta^t as the CPU kernel computes it: beta rounded to the dtype, the power in double, the result rounded to
// the dtype (1 when the correction is off).
double Correction(const OpParams &p, const char *beta, bool on, int dtype) {
  if (!on) return 1.0;
  const double t = static_cast<double>(p.Int("t"));
  if (dtype == kFloat32) return static_cast<float>(1 - std::pow(static_cast<float>(p.Float(beta)), t));
  return 1 - std::pow(p.Float(beta), t);
}

void *In(const Blobs &in, size_t i) { return i < in.size() ? in[i].dptr : nullptr; }

template <int kKind>
void MoreFwd(FWD_ARGS) {
  if (!IsReal(in[0].dtype)) return Fallback(ctx, p, in, req, out);
  cuda::OptMoreHyper h = Common(p, kKind == 2 ? "clip_grad" : "clip_gradient");
  if (kKind == 1) {
    h.momentum = p.Float("momentum");
    h.wd_lh = p.Float("wd_lh");
  } else if (kKind == 2 || kKind == 4) {
    h.beta1 = p.Float("beta1");
    h.beta2 = p.Float("beta2");
    h.epsilon = p.Float("epsilon");
    const bool bc = kKind == 2 || p.Bool("bias_correction");
    h.c1 = Correction(p, "beta1", bc, in[0].dtype);
    h.c2 = Correction(p, "beta2", bc, in[0].dtype);
  } else if (kKind == 3) {
    h.lamda1 = p.Float("lamda1");
    h.beta = p.Float("beta");
  }
  cuda::OptimizerUpdateMore(kKind, in[0].dtype, in[0].dptr, in[1].dptr, In(in, 2), In(in, 3), In(in, 4),
                            out[0].dptr, in[0].Size(), h, req[0], St(ctx));
  CheckLaunch(p.op()->name.c_str());
}

void Lamb2Fwd(FWD_ARGS) {
  const int t = in[0].dtype;
  if (!IsReal(t) || in[1].dtype != t || in[2].dtype != t || in[3].dtype != t) return Fallback(ctx, p, in, req, out);
  cuda::Lamb2Update(t, in[0].dptr, in[1].dptr, in[2].dptr, in[3].dptr, p.Float("lr"), p.Float("lower_bound"),
                    p.Float("upper_bound"), out[0].dptr, in[0].Size(), req[0], St(ctx));
  CheckLaunch("lamb_update_phase2");
}

// kKind 0: mp_sgd_update (weight, grad, weight32), 1: mp_sgd_mom_update and 2: mp_nag_mom_update (weight, grad, mom,
// weight32).
template <int kKind>
void MpSGDFwd(FWD_ARGS) {
  const int t = in[0].dtype;
  const size_t w32 = kKind == 0 ? 2 : 3;
  if ((t != kFloat16 && t != kFloat32) || in[1].dtype != t || in[w32].dtype != kFloat32 ||
      (kKind != 0 && in[2].dtype != kFloat32) || (req[0] == kAddTo && t == kFloat16))
    return Fallback(ctx, p, in, req, out);
  cuda::MpSGDUpdate(kKind, t == kFloat16 ? 2 : 0, in[1].dptr, kKind == 0 ? nullptr : in[2].ptr<float>(),
                    in[w32].ptr<float>(), out[0].dptr, in[0].Size(), static_cast<float>(p.Float("lr")),
                    static_cast<float>(p.Float("wd")), kKind == 0 ? 0.f : static_cast<float>(p.Float("momentum")),
                    static_cast<float>(p.Float("rescale_grad")), static_cast<float>(p.Float("clip_gradient")),
                    req[0], St(ctx));
  CheckLaunch(p.op()->name.c_str());
}

}  // namespace

void RegisterOptimizerKernels() {
  Set("signsgd_update", MoreFwd<0>);
  Set("signum_update", MoreFwd<1>);
  Set("ftml_update", MoreFwd<2>);
  Set("ftrl_update", MoreFwd<3>);
  Set("lamb_update_phase1", MoreFwd<4>);
  Set("lamb_update_phase2", Lamb2Fwd);
  Set("mp_sgd_update", MpSGDFwd<0>);
  Set("mp_sgd_mom_update", MpSGDFwd<1>);
  Set("mp_nag_mom_update", MpSGDFwd<2>);
}

}  // namespace gpu
}  // namespace mxc
