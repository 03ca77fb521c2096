// Native GPU kernels of the linalg factorizations (cuda/linalg2.cu, kernels_linalg2.cuh): _linalg_potrf,
// _linalg_potri, _linalg_trsm, _linalg_inverse, _linalg_det, _linalg_slogdet, _linalg_gelqf and _linalg_syevd,
// forward and gradient, with the semantics of the CPU kernels (core/ops/linalg_la.cc): double precision inside, the
// same algorithms, and the same errors (a matrix that is not positive definite for potrf, a singular one for
// inverse; those calls read a flag per matrix back from the device, so they wait for the stream). float32/float64
// run natively; other dtypes run the host-staged CPU kernel.
#include <vector>

#include "device.h"
#include "gpu_device.h"
#include "gpu_ops.h"
#include "kernels_linalg2.cuh"
#include "operator.h"

namespace mxc {
namespace gpu {

namespace {

int64_t Dim(const TShape &s) { return s[s.ndim() - 1]; }
int64_t BatchOf(const TShape &s) { return Prod(s, 0, s.ndim() - 2); }

// Scratch doubles for the kernels (at least one byte, so that empty calls get a valid pointer).
struct Work {
  Scratch mem;
  Work(const OpContext &ctx, int64_t doubles)
      : mem(Dev(ctx), static_cast<size_t>(doubles > 0 ? doubles : 1) * sizeof(double)) {}
  double *get() const { return mem.as<double>(); }
};
struct Pivots {
  Scratch mem;
  Pivots(const OpContext &ctx, int64_t n) : mem(Dev(ctx), static_cast<size_t>(n > 0 ? n : 1) * sizeof(int64_t)) {}
  int64_t *get() const { return mem.as<int64_t>(); }
};
// One int per matrix, zeroed; First(): the first flagged matrix read back (waits for the stream), or -1.
struct Flags {
  Scratch mem;
  int64_t n;
  Flags(const OpContext &ctx, int64_t batch)
      : mem(Dev(ctx), static_cast<size_t>(batch > 0 ? batch : 1) * sizeof(int)), n(batch) {
    DeviceZero(ctx.dev, mem.get(), static_cast<size_t>(batch > 0 ? batch : 1) * sizeof(int));
  }
  int *get() const { return mem.as<int>(); }
  int64_t First(const OpContext &ctx) const {
    std::vector<int> h(static_cast<size_t>(n > 0 ? n : 1), 0);
    DeviceCopy(Device::CPU(), h.data(), ctx.dev, mem.get(), h.size() * sizeof(int));
    for (int64_t b = 0; b < n; ++b)
      if (h[b]) return b;
    return -1;
  }
};

bool AllReal(const Blobs &a, int t) {
  for (const TBlob &b : a)
    if (b.dptr && b.dtype != t) return false;
  return IsReal(t);
}

// ---------------------------------------------------------------------------------------------------------------
// potrf, potri, inverse
// ---------------------------------------------------------------------------------------------------------------
void PotrfFwd(FWD_ARGS) {
  const int t = in[0].dtype;
  if (!AllReal(in, t) || !AllReal(out, t)) return Fallback(ctx, p, in, req, out);
  if (req[0] == kNullOp) return;
  const int64_t n = Dim(in[0].shape), batch = BatchOf(in[0].shape);
  if (batch == 0) return;
  Work w(ctx, batch * cuda::PotrfWork(n));
  Flags bad(ctx, batch);
  cuda::Potrf(t, in[0].dptr, out[0].dptr, req[0], batch, n, w.get(), bad.get(), St(ctx));
  CheckLaunch("_linalg_potrf");
  const int64_t b = bad.First(ctx);
  if (b >= 0)
    Throw(ErrorKind::kValue, "matrix ", b, " of A ", ShapeStr(in[0].shape),
          " is not positive definite (Cholesky factorization failed)");
}
void PotrfBwd(BWD_ARGS) {
  (void)id;
  if (req[0] == kNullOp) return;
  const int t = og[0].dtype;
  if (!AllReal(og, t) || od.empty() || !od[0].dptr || od[0].dtype != t || ig[0].dtype != t)
    return FallbackGrad(ctx, p, og, id, od, req, ig);
  const int64_t n = Dim(ig[0].shape), batch = BatchOf(ig[0].shape);
  if (batch == 0) return;
  Work w(ctx, batch * cuda::PotrfGradWork(n));
  cuda::PotrfGrad(t, od[0].dptr, og[0].dptr, ig[0].dptr, req[0], batch, n, w.get(), St(ctx));
  CheckLaunch("_linalg_potrf backward");
}

void PotriFwd(FWD_ARGS) {
  const int t = in[0].dtype;
  if (!AllReal(in, t) || !AllReal(out, t)) return Fallback(ctx, p, in, req, out);
  if (req[0] == kNullOp) return;
  const int64_t n = Dim(in[0].shape), batch = BatchOf(in[0].shape);
  Work w(ctx, batch * cuda::PotriWork(n));
  cuda::Potri(t, in[0].dptr, out[0].dptr, req[0], batch, n, w.get(), St(ctx));
  CheckLaunch("_linalg_potri");
}
void PotriBwd(BWD_ARGS) {
  if (req[0] == kNullOp) return;
  const int t = og[0].dtype;
  if (!AllReal(og, t) || id.empty() || !id[0].dptr || id[0].dtype != t || od.empty() || !od[0].dptr ||
      od[0].dtype != t || ig[0].dtype != t)
    return FallbackGrad(ctx, p, og, id, od, req, ig);
  const int64_t n = Dim(ig[0].shape), batch = BatchOf(ig[0].shape);
  Work w(ctx, batch * cuda::PotriGradWork(n));
  cuda::PotriGrad(t, id[0].dptr, od[0].dptr, og[0].dptr, ig[0].dptr, req[0], batch, n, w.get(), St(ctx));
  CheckLaunch("_linalg_potri backward");
}

void InverseFwd(FWD_ARGS) {
  const int t = in[0].dtype;
  if (!AllReal(in, t) || !AllReal(out, t)) return Fallback(ctx, p, in, req, out);
  if (req[0] == kNullOp) return;
  const int64_t n = Dim(in[0].shape), batch = BatchOf(in[0].shape);
  if (batch == 0) return;
  Work w(ctx, batch * cuda::LuWork(n));
  Pivots piv(ctx, batch * n);
  Flags bad(ctx, batch);
  cuda::Inverse(t, in[0].dptr, out[0].dptr, req[0], batch, n, w.get(), piv.get(), bad.get(), St(ctx));
  CheckLaunch("_linalg_inverse");
  const int64_t b = bad.First(ctx);
  if (b >= 0) Throw(ErrorKind::kValue, "matrix ", b, " of A ", ShapeStr(in[0].shape), " is singular");
}
void InverseBwd(BWD_ARGS) {
  (void)id;
  if (req[0] == kNullOp) return;
  const int t = og[0].dtype;
  if (!AllReal(og, t) || od.empty() || !od[0].dptr || od[0].dtype != t || ig[0].dtype != t)
    return FallbackGrad(ctx, p, og, id, od, req, ig);
  const int64_t n = Dim(ig[0].shape), batch = BatchOf(ig[0].shape);
  Work w(ctx, batch * cuda::InverseGradWork(n));
  cuda::InverseGrad(t, od[0].dptr, og[0].dptr, ig[0].dptr, req[0], batch, n, w.get(), St(ctx));
  CheckLaunch("_linalg_inverse backward");
}

// ---------------------------------------------------------------------------------------------------------------
// det, slogdet
// ---------------------------------------------------------------------------------------------------------------
void DetFwd(FWD_ARGS) {
  const int t = in[0].dtype;
  if (!AllReal(in, t) || !AllReal(out, t)) return Fallback(ctx, p, in, req, out);
  const bool log = out.size() == 2;
  const int64_t n = Dim(in[0].shape), batch = BatchOf(in[0].shape);
  if (req[0] == kNullOp && (!log || req[1] == kNullOp)) return;
  Work w(ctx, batch * cuda::LuWork(n));
  Pivots piv(ctx, batch * n);
  if (!log)
    cuda::Det(t, in[0].dptr, out[0].dptr, req[0], nullptr, 0, nullptr, 0, batch, n, w.get(), piv.get(), St(ctx));
  else
    cuda::Det(t, in[0].dptr, nullptr, 0, req[0] != kNullOp ? out[0].dptr : nullptr, req[0],
              req[1] != kNullOp ? out[1].dptr : nullptr, req[1], batch, n, w.get(), piv.get(), St(ctx));
  CheckLaunch(p.op()->name.c_str());
}
void DetBwd(BWD_ARGS) {
  if (req[0] == kNullOp) return;
  const int t = id.empty() ? -1 : id[0].dtype;
  const bool log = og.size() == 2;
  const TBlob &g = og[log ? 1 : 0];
  if (!IsReal(t) || !id[0].dptr || !g.dptr || g.dtype != t || ig[0].dtype != t ||
      (!log && (od.empty() || !od[0].dptr || od[0].dtype != t)))
    return FallbackGrad(ctx, p, og, id, od, req, ig);
  const int64_t n = Dim(ig[0].shape), batch = BatchOf(ig[0].shape);
  Work w(ctx, batch * cuda::LuWork(n));
  Pivots piv(ctx, batch * n);
  cuda::DetGrad(t, id[0].dptr, log ? nullptr : g.dptr, log ? nullptr : od[0].dptr, log ? g.dptr : nullptr,
                ig[0].dptr, req[0], batch, n, w.get(), piv.get(), St(ctx));
  CheckLaunch((p.op()->name + " backward").c_str());
}

// ---------------------------------------------------------------------------------------------------------------
// trsm: alpha op(T)^{-1} B (or alpha B op(T)^{-1} with rightside)
// ---------------------------------------------------------------------------------------------------------------
struct TrsmArgs {
  bool trans, right, lower;
  double alpha;
  int64_t batch, n, m, k;
};
TrsmArgs TrsmArgsOf(const OpParams &p, const TShape &a, const TShape &b) {
  return {p.Bool("transpose"), p.Bool("rightside"), p.Bool("lower"), p.Float("alpha"),
          BatchOf(a),          Dim(a),              b[b.ndim() - 2],  b[b.ndim() - 1]};
}
void TrsmFwd(FWD_ARGS) {
  const int t = in[0].dtype;
  if (!AllReal(in, t) || !AllReal(out, t)) return Fallback(ctx, p, in, req, out);
  if (req[0] == kNullOp) return;
  const TrsmArgs a = TrsmArgsOf(p, in[0].shape, in[1].shape);
  Work w(ctx, a.batch * cuda::TrsmWork(a.m, a.k));
  cuda::Trsm(t, in[0].dptr, in[1].dptr, out[0].dptr, req[0], a.batch, a.n, a.m, a.k, a.lower, a.trans, a.right,
             a.alpha, w.get(), St(ctx));
  CheckLaunch("_linalg_trsm");
}
void TrsmBwd(BWD_ARGS) {
  const int t = og[0].dtype;
  if (!AllReal(og, t) || id.size() < 2 || !id[0].dptr || id[0].dtype != t || od.empty() || !od[0].dptr ||
      od[0].dtype != t || !AllReal(ig, t))
    return FallbackGrad(ctx, p, og, id, od, req, ig);
  if (req[0] == kNullOp && req[1] == kNullOp) return;
  const TrsmArgs a = TrsmArgsOf(p, id[0].shape, id[1].shape);
  Work w(ctx, a.batch * cuda::TrsmWork(a.m, a.k));
  cuda::TrsmGrad(t, id[0].dptr, od[0].dptr, og[0].dptr, req[0] != kNullOp ? ig[0].dptr : nullptr, req[0],
                 req[1] != kNullOp ? ig[1].dptr : nullptr, req[1], a.batch, a.n, a.m, a.k, a.lower, a.trans, a.right,
                 a.alpha, w.get(), St(ctx));
  CheckLaunch("_linalg_trsm backward");
}

// ---------------------------------------------------------------------------------------------------------------
// gelqf (outputs Q, L), syevd (outputs U, L)
// ---------------------------------------------------------------------------------------------------------------
void GelqfFwd(FWD_ARGS) {
  const int t = in[0].dtype;
  if (!AllReal(in, t) || !AllReal(out, t)) return Fallback(ctx, p, in, req, out);
  if (req[0] == kNullOp && req[1] == kNullOp) return;
  const TShape &s = in[0].shape;
  const int64_t m = s[s.ndim() - 2], n = Dim(s), batch = BatchOf(s);
  Work w(ctx, batch * cuda::GelqfWork(m, n));
  cuda::Gelqf(t, in[0].dptr, req[0] != kNullOp ? out[0].dptr : nullptr, req[0],
              req[1] != kNullOp ? out[1].dptr : nullptr, req[1], batch, m, n, w.get(), St(ctx));
  CheckLaunch("_linalg_gelqf");
}
void GelqfBwd(BWD_ARGS) {
  (void)id;
  if (req[0] == kNullOp) return;
  const int t = ig[0].dtype;
  if (!AllReal(og, t) || og.size() < 2 || !og[0].dptr || !og[1].dptr || od.size() < 2 || !AllReal(od, t) ||
      !od[0].dptr || !od[1].dptr)
    return FallbackGrad(ctx, p, og, id, od, req, ig);
  const TShape &s = ig[0].shape;
  const int64_t m = s[s.ndim() - 2], n = Dim(s), batch = BatchOf(s);
  Work w(ctx, batch * cuda::GelqfGradWork(m, n));
  cuda::GelqfGrad(t, od[0].dptr, od[1].dptr, og[0].dptr, og[1].dptr, ig[0].dptr, req[0], batch, m, n, w.get(),
                  St(ctx));
  CheckLaunch("_linalg_gelqf backward");
}

void SyevdFwd(FWD_ARGS) {
  const int t = in[0].dtype;
  if (!AllReal(in, t) || !AllReal(out, t)) return Fallback(ctx, p, in, req, out);
  if (req[0] == kNullOp && req[1] == kNullOp) return;
  const int64_t n = Dim(in[0].shape), batch = BatchOf(in[0].shape);
  Work w(ctx, batch * cuda::SyevdWork(n));
  Pivots order(ctx, batch * n);
  cuda::Syevd(t, in[0].dptr, req[0] != kNullOp ? out[0].dptr : nullptr, req[0],
              req[1] != kNullOp ? out[1].dptr : nullptr, req[1], batch, n, w.get(), order.get(), St(ctx));
  CheckLaunch("_linalg_syevd");
}
void SyevdBwd(BWD_ARGS) {
  (void)id;
  if (req[0] == kNullOp) return;
  const int t = ig[0].dtype;
  if (!AllReal(og, t) || og.size() < 2 || !og[0].dptr || !og[1].dptr || od.size() < 2 || !AllReal(od, t) ||
      !od[0].dptr || !od[1].dptr)
    return FallbackGrad(ctx, p, og, id, od, req, ig);
  const int64_t n = Dim(ig[0].shape), batch = BatchOf(ig[0].shape);
  Work w(ctx, batch * cuda::SyevdGradWork(n));
  cuda::SyevdGrad(t, od[0].dptr, od[1].dptr, og[0].dptr, og[1].dptr, ig[0].dptr, req[0], batch, n, w.get(), St(ctx));
  CheckLaunch("_linalg_syevd backward");
}

}  // namespace

void RegisterLinalg2Kernels() {
  Set("_linalg_potrf", PotrfFwd, PotrfBwd);
  Set("_linalg_potri", PotriFwd, PotriBwd);
  Set("_linalg_trsm", TrsmFwd, TrsmBwd);
  Set("_linalg_inverse", InverseFwd, InverseBwd);
  Set("_linalg_det", DetFwd, DetBwd);
  Set("_linalg_slogdet", DetFwd, DetBwd);
  Set("_linalg_gelqf", GelqfFwd, GelqfBwd);
  Set("_linalg_syevd", SyevdFwd, SyevdBwd);
}

}  // namespace gpu
}  // namespace mxc
