// GPU kernels of the contrib elementwise operators (core/ops/contrib_misc.cc: quadratic, gradientmultiplier,
// div_sqrt_dim, round_ste, sign_ste) and of BatchNormWithReLU (core/ops/nn_batchnorm.cc: BatchNorm's kernels, then a
// relu; the backward masks the output gradient by output > 0, then BatchNorm's gradient).
#include <cmath>
#include <memory>

#include "gpu_ops.h"
#include "kernels.cuh"
#include "kernels_contrib.cuh"
#include "kernels_index.cuh"
#include "ops/op_util.h"

namespace mxc {
namespace gpu {

namespace {

// The coefficients (a, b, c) of an op's map, and its kind.
struct MapSpec {
  int kind;
  double a, b, c;
};
// div_sqrt_dim's 1/sqrt(last axis); false where the CPU kernel should run (and raise) instead.
bool InvSqrtLast(const TShape &s, double *v) {
  if (s.ndim() < 1 || s[s.ndim() - 1] <= 0) return false;
  *v = 1.0 / std::sqrt(static_cast<double>(s[s.ndim() - 1]));
  return true;
}

FCompute MapFwd(int which) {  // which: 0 quadratic, 1 gradientmultiplier, 2 div_sqrt_dim, 3 round_ste, 4 sign_ste
  return [which](FWD_ARGS) {
    if (!IsReal(in[0].dtype)) return Fallback(ctx, p, in, req, out);
    MapSpec m{cuda::kScale, 1.0, 0.0, 0.0};
    if (which == 0) m = {cuda::kQuadratic, p.Float("a"), p.Float("b"), p.Float("c")};
    if (which == 2 && !InvSqrtLast(in[0].shape, &m.a)) return Fallback(ctx, p, in, req, out);
    if (which == 3) m.kind = cuda::kRoundSte;
    if (which == 4) m.kind = cuda::kSignSte;
    if (req[0] == kNullOp || (which == 1 && req[0] != kAddTo && in[0].dptr == out[0].dptr)) return;
    cuda::ContribMap(m.kind, in[0].dtype, in[0].dptr, out[0].dptr, out[0].Size(), m.a, m.b, m.c, req[0], St(ctx));
    CheckLaunch(p.op()->name.c_str());
  };
}
FBackward MapBwd(int which) {
  return [which](BWD_ARGS) {
    if (!IsReal(og[0].dtype) || (which == 0 && (id.empty() || !id[0].dptr)))
      return FallbackGrad(ctx, p, og, id, od, req, ig);
    double a = 0, b = 1;  // gx = g * (2 a x + b)
    const void *x = nullptr;
    if (which == 0) a = p.Float("a"), b = p.Float("b"), x = id[0].dptr;
    if (which == 1) b = p.Float("scalar");
    if (which == 2 && !InvSqrtLast(ig[0].shape, &b)) return FallbackGrad(ctx, p, og, id, od, req, ig);
    if (req[0] == kNullOp) return;
    cuda::ContribLinearGrad(og[0].dtype, og[0].dptr, x, ig[0].dptr, ig[0].Size(), a, b, req[0], St(ctx));
    CheckLaunch(p.op()->name.c_str());
  };
}

op::AxisSplit BNSplit(const OpParams &p, const TShape &d) {
  int64_t a = p.Int("axis");
  return op::SplitAt(d, static_cast<int>(a < 0 ? a + d.ndim() : a));
}
bool BNBatch(const OpContext &ctx, const OpParams &p) { return ctx.is_train && !p.Bool("use_global_stats"); }

void BNReluFwd(FWD_ARGS) {
  const int t = in[0].dtype;
  if (!IsReal(t) || in.size() < 5 || out.size() < 3 || !out[1].dptr || !out[2].dptr)
    return Fallback(ctx, p, in, req, out);
  const op::AxisSplit s = BNSplit(p, in[0].shape);
  const int64_t n = out[0].Size();
  std::unique_ptr<Scratch> tmp;
  void *y = out[0].dptr;
  int r = req[0] == kNullOp ? kNullOp : kWriteTo;
  if (req[0] == kAddTo) {  // BatchNorm into a temporary, then out += relu(temporary)
    tmp.reset(new Scratch(Dev(ctx), static_cast<size_t>(n) * DTypeSize(t) + 8));
    y = tmp->get();
  }
  cuda::BatchNorm(t, in[0].dptr, in[1].dptr, in[2].dptr, in[3].dptr, in[4].dptr, y, out[1].dptr, out[2].dptr, s.outer,
                  s.n, s.inner, p.Float("eps"), p.Float("momentum"), p.Bool("fix_gamma"), BNBatch(ctx, p), r, St(ctx));
  if (req[0] != kNullOp) cuda::ReluOut(t, y, out[0].dptr, n, req[0] == kAddTo ? kAddTo : kWriteTo, St(ctx));
  CheckLaunch("_contrib_BatchNormWithReLU");
}
void BNReluBwd(BWD_ARGS) {
  const int t = og[0].dtype;
  if (!IsReal(t) || id.size() < 2 || !id[0].dptr || !id[1].dptr || od.size() < 3 || !od[0].dptr || !od[1].dptr ||
      !od[2].dptr)
    return FallbackGrad(ctx, p, og, id, od, req, ig);
  const op::AxisSplit s = BNSplit(p, id[0].shape);
  const int64_t n = og[0].Size();
  Scratch masked(Dev(ctx), static_cast<size_t>(n) * DTypeSize(t) + 8);
  cuda::ReluMask(t, og[0].dptr, od[0].dptr, masked.get(), n, St(ctx));
  cuda::BatchNormGrad(t, masked.get(), id[0].dptr, id[1].dptr, od[1].dptr, od[2].dptr, ig[0].dptr, req[0],
                      ig[1].dptr, req[1], ig[2].dptr, req[2], s.outer, s.n, s.inner, p.Bool("fix_gamma"),
                      BNBatch(ctx, p), St(ctx));
  CheckLaunch("_contrib_BatchNormWithReLU backward");
}

}  // namespace

void RegisterContribKernels() {
  Set("_contrib_quadratic", MapFwd(0), MapBwd(0));
  Set("_contrib_gradientmultiplier", MapFwd(1), MapBwd(1));
  Set("_contrib_div_sqrt_dim", MapFwd(2), MapBwd(2));
  Set("_contrib_round_ste", MapFwd(3), MapBwd(3));
  Set("_contrib_sign_ste", MapFwd(4), MapBwd(4));
  Set("_contrib_BatchNormWithReLU", BNReluFwd, BNReluBwd);
}

}  // namespace gpu
}  // namespace mxc
