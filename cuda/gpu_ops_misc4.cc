// Native GPU kernels of the operators added on branch misc (cuda/misc4.cu, kernels_misc4.cuh): contrib fft and ifft
// (forward and gradient), with the semantics of the CPU kernels (core/ops/fft.cc). float32/float64 run natively;
// other dtypes run the host-staged CPU kernel.
#include <algorithm>
#include <string>
#include <vector>

#include "device.h"
#include "gpu_device.h"
#include "gpu_ops.h"
#include "kernels_misc4.cuh"
#include "operator.h"

namespace mxc {
namespace gpu {

namespace {

// ---------------------------------------------------------------------------------------------------------------
// fft / ifft: the transform of x into y (fft's forward and ifft's gradient when inverse is false), compute_size rows
// at a time in a work buffer
// ---------------------------------------------------------------------------------------------------------------
void Transform(const OpContext &ctx, const OpParams &p, const TBlob &x, OpReq req, const TBlob &y, bool inverse) {
  if (req == kNullOp) return;
  const int64_t n = inverse ? y.shape[y.ndim() - 1] : x.shape[x.ndim() - 1];
  const int64_t rows = n ? y.Size() / (inverse ? n : 2 * n) : 0;
  if (rows == 0 || n == 0) return;
  const int64_t cs = p.Int("compute_size");
  if (cs < 1) Throw(ErrorKind::kValue, "operator ", p.op()->name, ": compute_size must be positive (got ", cs, ")");
  const int64_t chunk = std::min(cs, rows);
  const bool pow2 = (n & (n - 1)) == 0;
  Scratch work(Dev(ctx), static_cast<size_t>(chunk * n * (pow2 ? 2 : 4)) * sizeof(double));
  cuda::FftRows(y.dtype == kFloat64 ? 1 : 0, x.dptr, y.dptr, rows, n, inverse, !inverse, inverse ? 1 : -1, req, chunk,
                work.as<double>(), St(ctx));
  CheckLaunch(p.op()->name.c_str());
}

void FftFwd(FWD_ARGS) {
  if (!IsReal(in[0].dtype) || out[0].dtype != in[0].dtype) return Fallback(ctx, p, in, req, out);
  Transform(ctx, p, in[0], req[0], out[0], false);
}
void FftBwd(BWD_ARGS) {
  if (req[0] == kNullOp) return;
  if (!IsReal(og[0].dtype) || ig[0].dtype != og[0].dtype) return FallbackGrad(ctx, p, og, id, od, req, ig);
  Transform(ctx, p, og[0], req[0], ig[0], true);
}
void IfftFwd(FWD_ARGS) {
  if (!IsReal(in[0].dtype) || out[0].dtype != in[0].dtype) return Fallback(ctx, p, in, req, out);
  Transform(ctx, p, in[0], req[0], out[0], true);
}
void IfftBwd(BWD_ARGS) {
  if (req[0] == kNullOp) return;
  if (!IsReal(og[0].dtype) || ig[0].dtype != og[0].dtype) return FallbackGrad(ctx, p, og, id, od, req, ig);
  Transform(ctx, p, og[0], req[0], ig[0], false);
}

}  // namespace

void RegisterMisc4Kernels() {
  Set("_contrib_fft", FftFwd, FftBwd);
  Set("_contrib_ifft", IfftFwd, IfftBwd);
}

}  // namespace gpu
}  // namespace mxc
