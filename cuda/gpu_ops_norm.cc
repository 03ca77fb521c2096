// GPU kernels of cuda/norm.cu (kernels_norm.cuh) for LayerNorm and InstanceNorm: see RegisterNormKernels in
// cuda/gpu_ops.h. Float32/float64 run natively (float16 reaches them as float32 copies, see operator.h); calls
// without the hidden statistics run the host-staged CPU kernel.
#include <vector>

#include "gpu_device.h"
#include "gpu_ops.h"
#include "kernels.cuh"
#include "kernels_norm.cuh"
#include "operator.h"
#include "ops/norm_rows.h"

namespace mxc {
namespace gpu {

namespace {

// The operators' own row view (core/ops/norm_rows.h) as the kernels' geometry.
cuda::RowNormGeom GeomOf(const OpParams &p, const TShape &d) {
  const op::NormRows v = op::NormRowsOf(p, d);
  return cuda::RowNormGeom{v.outer, v.n, v.inner, v.channels};
}

void *PtrAt(const Blobs &b, size_t i) { return i < b.size() ? b[i].dptr : nullptr; }
int ReqAt(const Reqs &r, size_t i) { return i < r.size() ? static_cast<int>(r[i]) : 0; }

template <bool kInstance>
void NormFwd(FWD_ARGS) {
  const int t = in[0].dtype;
  if (!IsReal(t) || in.size() < 3) return Fallback(ctx, p, in, req, out);
  const cuda::RowNormGeom g = GeomOf(p, in[0].shape);
  cuda::RowNorm(t, g, p.Float("eps"), kInstance, in[0].dptr, in[1].dptr, in[2].dptr, out[0].dptr, req[0],
                PtrAt(out, 1), ReqAt(req, 1), PtrAt(out, 2), ReqAt(req, 2), St(ctx));
  CheckLaunch(kInstance ? "InstanceNorm" : "LayerNorm");
}

template <bool kInstance>
void NormBwd(BWD_ARGS) {
  const int t = og[0].dtype;
  if (!IsReal(t) || id.size() < 2 || !id[0].dptr || !id[1].dptr || od.size() < 3 || !od[1].dptr || !od[2].dptr)
    return FallbackGrad(ctx, p, og, id, od, req, ig);
  const cuda::RowNormGeom g = GeomOf(p, id[0].shape);
  cuda::RowNormGrad(t, g, p.Float("eps"), kInstance, og[0].dptr, id[0].dptr, id[1].dptr, od[1].dptr, od[2].dptr,
                    PtrAt(ig, 0), ReqAt(req, 0), PtrAt(ig, 1), ReqAt(req, 1), PtrAt(ig, 2), ReqAt(req, 2), St(ctx));
  CheckLaunch(kInstance ? "InstanceNorm backward" : "LayerNorm backward");
}

}  // namespace

void RegisterNormKernels() {
  Set("LayerNorm", NormFwd<false>, NormBwd<false>);
  Set("InstanceNorm", NormFwd<true>, NormBwd<true>);
}

}  // namespace gpu
}  // namespace mxc
