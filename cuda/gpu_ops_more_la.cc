// Native GPU kernels for linalg operators built on matrix products and index maps: _linalg_gemm, _linalg_gemm2,
// _linalg_syrk (the device's GEMM, cuBLAS when built with it), _linalg_sumlogdiag, _linalg_extractdiag,
// _linalg_makediag, _linalg_extracttrian and _linalg_maketrian (cuda/more.cu), with the semantics of the CPU kernels
// (core/ops/linalg_la.cc). float32/float64 run natively; other dtypes run the host-staged CPU kernel. Registered by
// RegisterMoreKernels (cuda/gpu_ops_more.cc).
#include <algorithm>
#include <vector>

#include "device.h"
#include "gpu_device.h"
#include "gpu_ops.h"
#include "kernels.cuh"
#include "kernels_more.cuh"
#include "operator.h"

namespace mxc {
namespace gpu {

void RegisterMoreLaKernels();

namespace {


// The matrices of an array with rows on axis `ax` and columns on the last axis: outer x inner of them, matrix b at
// element Base(b), rows ld() apart.
struct AxisMats {
  int64_t outer = 1, inner = 1, rows = 0, cols = 0;
  int64_t ld() const { return inner * cols; }
  int64_t count() const { return outer * inner; }
  int64_t Base(int64_t b) const { return (b / inner) * rows * inner * cols + (b % inner) * cols; }
};
int GemmAxis(const OpParams &p, const TShape &s) {
  const int64_t a = p.Int("axis");
  return static_cast<int>(a < 0 ? a + s.ndim() : a);
}
AxisMats AxisMatsOf(const TShape &s, int ax) {
  AxisMats m;
  m.outer = Prod(s, 0, ax);
  m.inner = Prod(s, ax + 1, s.ndim() - 1);
  m.rows = s[ax];
  m.cols = s[s.ndim() - 1];
  return m;
}
const char *At(const void *p, int64_t elems, size_t es) { return static_cast<const char *>(p) + elems * es; }
char *At(void *p, int64_t elems, size_t es) { return static_cast<char *>(p) + elems * es; }

// ---------------------------------------------------------------------------------------------------------------
// gemm (A, B, C) / gemm2 (A, B): out = alpha op(A) op(B) (+ beta C)
// ---------------------------------------------------------------------------------------------------------------
void GemmFwd(FWD_ARGS) {
  const int t = in[0].dtype;
  if (!IsReal(t) || in[1].dtype != t || out[0].dtype != t || (in.size() == 3 && in[2].dtype != t))
    return Fallback(ctx, p, in, req, out);
  if (req[0] == kNullOp || out[0].Size() == 0) return;
  const int ax = GemmAxis(p, in[0].shape);
  const AxisMats ma = AxisMatsOf(in[0].shape, ax), mb = AxisMatsOf(in[1].shape, ax), mo = AxisMatsOf(out[0].shape, ax);
  const bool ta = p.Bool("transpose_a"), tb = p.Bool("transpose_b");
  const int64_t K = ta ? ma.rows : ma.cols;
  const size_t es = DTypeSize(t);
  double beta = Beta(req[0]);
  if (in.size() == 3) {  // out (=|+=) beta C, then the products are added
    cuda::Scalar(cuda::kMul, t, in[2].dptr, p.Float("beta"), false, out[0].dptr, out[0].Size(), req[0], St(ctx));
    beta = 1.0;
  } else if (K == 0 && req[0] != kAddTo) {
    ZeroIfWrite(ctx, out[0], req[0]);
  }
  const double alpha = p.Float("alpha");
  if (K > 0)
    for (int64_t b = 0; b < mo.count(); ++b)
      Gemm(ctx, t, ta, tb, mo.rows, mo.cols, K, alpha, At(in[0].dptr, ma.Base(b), es), ma.ld(),
           At(in[1].dptr, mb.Base(b), es), mb.ld(), beta, At(out[0].dptr, mo.Base(b), es), mo.ld());
  CheckLaunch(p.op()->name.c_str());
}

void GemmBwd(BWD_ARGS) {
  (void)od;
  const int t = og[0].dtype;
  if (!IsReal(t) || id.size() < 2 || !id[0].dptr || !id[1].dptr || id[0].dtype != t || id[1].dtype != t)
    return FallbackGrad(ctx, p, og, id, od, req, ig);
  const int ax = GemmAxis(p, id[0].shape);
  const AxisMats ma = AxisMatsOf(id[0].shape, ax), mb = AxisMatsOf(id[1].shape, ax), mg = AxisMatsOf(og[0].shape, ax);
  const bool ta = p.Bool("transpose_a"), tb = p.Bool("transpose_b");
  const int64_t M = mg.rows, N = mg.cols, K = ta ? ma.rows : ma.cols;
  const double alpha = p.Float("alpha");
  const size_t es = DTypeSize(t);
  const void *A = id[0].dptr, *B = id[1].dptr, *G = og[0].dptr;
  // Each product covers its matrix of the gradient: beta 0 writes, 1 adds. Without products (M or N zero) a
  // written gradient is zero.
  const bool empty = M == 0 || N == 0;
  if (req[0] != kNullOp) {
    if (empty) ZeroIfWrite(ctx, ig[0], req[0]);
    else
      for (int64_t b = 0; b < mg.count(); ++b) {
        const char *g = At(G, mg.Base(b), es), *bb = At(B, mb.Base(b), es);
        char *da = At(ig[0].dptr, ma.Base(b), es);
        if (!ta) Gemm(ctx, t, false, !tb, M, K, N, alpha, g, mg.ld(), bb, mb.ld(), Beta(req[0]), da, ma.ld());
        else Gemm(ctx, t, tb, true, K, M, N, alpha, bb, mb.ld(), g, mg.ld(), Beta(req[0]), da, ma.ld());
      }
  }
  if (req[1] != kNullOp) {
    if (empty) ZeroIfWrite(ctx, ig[1], req[1]);
    else
      for (int64_t b = 0; b < mg.count(); ++b) {
        const char *g = At(G, mg.Base(b), es), *aa = At(A, ma.Base(b), es);
        char *db = At(ig[1].dptr, mb.Base(b), es);
        if (!tb) Gemm(ctx, t, !ta, false, K, N, M, alpha, aa, ma.ld(), g, mg.ld(), Beta(req[1]), db, mb.ld());
        else Gemm(ctx, t, true, ta, N, K, M, alpha, g, mg.ld(), aa, ma.ld(), Beta(req[1]), db, mb.ld());
      }
  }
  if (ig.size() == 3 && req.size() == 3 && req[2] != kNullOp)
    cuda::Scalar(cuda::kMul, t, G, p.Float("beta"), false, ig[2].dptr, ig[2].Size(), req[2], St(ctx));
  CheckLaunch((p.op()->name + " backward").c_str());
}

// ---------------------------------------------------------------------------------------------------------------
// syrk: alpha A A^T (or alpha A^T A with transpose), A a batch of m x k matrices
// ---------------------------------------------------------------------------------------------------------------
void SyrkFwd(FWD_ARGS) {
  const int t = in[0].dtype;
  if (!IsReal(t) || out[0].dtype != t) return Fallback(ctx, p, in, req, out);
  if (req[0] == kNullOp || out[0].Size() == 0) return;
  const TShape &s = in[0].shape;
  const bool tr = p.Bool("transpose");
  const int64_t m = s[s.ndim() - 2], k = s[s.ndim() - 1], n = tr ? k : m, batch = Prod(s, 0, s.ndim() - 2);
  const double alpha = p.Float("alpha");
  const size_t es = DTypeSize(t);
  if ((tr ? m : k) == 0) {
    ZeroIfWrite(ctx, out[0], req[0]);
  } else {
    for (int64_t b = 0; b < batch; ++b) {
      const char *A = At(in[0].dptr, b * m * k, es);
      char *C = At(out[0].dptr, b * n * n, es);
      if (tr) Gemm(ctx, t, true, false, k, k, m, alpha, A, k, A, k, Beta(req[0]), C, k);
      else Gemm(ctx, t, false, true, m, m, k, alpha, A, k, A, k, Beta(req[0]), C, m);
    }
  }
  CheckLaunch("_linalg_syrk");
}

// dA = alpha A (G + G^T) (transpose) or alpha (G + G^T) A: two products each.
void SyrkBwd(BWD_ARGS) {
  (void)od;
  if (req[0] == kNullOp) return;
  const int t = og[0].dtype;
  if (!IsReal(t) || id.empty() || !id[0].dptr || id[0].dtype != t) return FallbackGrad(ctx, p, og, id, od, req, ig);
  const TShape &s = id[0].shape;
  const bool tr = p.Bool("transpose");
  const int64_t m = s[s.ndim() - 2], k = s[s.ndim() - 1], n = tr ? k : m, batch = Prod(s, 0, s.ndim() - 2);
  const double alpha = p.Float("alpha");
  const size_t es = DTypeSize(t);
  if (m == 0 || k == 0) return;
  if (n == 0) return ZeroIfWrite(ctx, ig[0], req[0]);
  for (int64_t b = 0; b < batch; ++b) {
    const char *A = At(id[0].dptr, b * m * k, es), *G = At(og[0].dptr, b * n * n, es);
    char *dA = At(ig[0].dptr, b * m * k, es);
    if (tr) {
      Gemm(ctx, t, false, false, m, k, k, alpha, A, k, G, k, Beta(req[0]), dA, k);
      Gemm(ctx, t, false, true, m, k, k, alpha, A, k, G, k, 1.0, dA, k);
    } else {
      Gemm(ctx, t, false, false, m, k, m, alpha, G, m, A, k, Beta(req[0]), dA, k);
      Gemm(ctx, t, true, false, m, k, m, alpha, G, m, A, k, 1.0, dA, k);
    }
  }
  CheckLaunch("_linalg_syrk backward");
}

// ---------------------------------------------------------------------------------------------------------------
// trmm: alpha op(T) B (or alpha B op(T) with rightside), T the lower (or upper) triangle of A (n x n), B m x k
// ---------------------------------------------------------------------------------------------------------------
struct TrmmGeom {
  bool trans, right, lower;
  double alpha;
  int64_t batch, n, m, k;
};
TrmmGeom TrmmGeomOf(const OpParams &p, const TShape &a, const TShape &b) {
  return {p.Bool("transpose"), p.Bool("rightside"), p.Bool("lower"), p.Float("alpha"), Prod(a, 0, a.ndim() - 2),
          a[a.ndim() - 1],     b[b.ndim() - 2],     b[b.ndim() - 1]};
}
void TrmmFwd(FWD_ARGS) {
  const int t = in[0].dtype;
  if (!IsReal(t) || in[1].dtype != t || out[0].dtype != t) return Fallback(ctx, p, in, req, out);
  if (req[0] == kNullOp || out[0].Size() == 0) return;
  const TrmmGeom g = TrmmGeomOf(p, in[0].shape, in[1].shape);
  const size_t es = DTypeSize(t);
  if (g.n == 0) return ZeroIfWrite(ctx, out[0], req[0]);
  Scratch tri(Dev(ctx), static_cast<size_t>(g.batch * g.n * g.n) * es);
  cuda::TriMask(t, in[0].dptr, tri.get(), g.batch, g.n, g.lower, false, kWriteTo, St(ctx));
  for (int64_t b = 0; b < g.batch; ++b) {
    const char *T = At(tri.get(), b * g.n * g.n, es), *B = At(in[1].dptr, b * g.m * g.k, es);
    char *C = At(out[0].dptr, b * g.m * g.k, es);
    if (g.right) Gemm(ctx, t, false, g.trans, g.m, g.k, g.n, g.alpha, B, g.k, T, g.n, Beta(req[0]), C, g.k);
    else Gemm(ctx, t, g.trans, false, g.m, g.k, g.n, g.alpha, T, g.n, B, g.k, Beta(req[0]), C, g.k);
  }
  CheckLaunch("_linalg_trmm");
}
// dA = the triangle of d (of d^T with transpose), d = alpha B^T G (rightside) or alpha G B^T;
// dB = alpha G op(T)^T (rightside) or alpha op(T)^T G.
void TrmmBwd(BWD_ARGS) {
  (void)od;
  const int t = og[0].dtype;
  if (!IsReal(t) || id.size() < 2 || !id[0].dptr || !id[1].dptr || id[0].dtype != t || id[1].dtype != t)
    return FallbackGrad(ctx, p, og, id, od, req, ig);
  const TrmmGeom g = TrmmGeomOf(p, id[0].shape, id[1].shape);
  const size_t es = DTypeSize(t);
  if (g.batch * g.n == 0) return;
  if (req[0] != kNullOp) {
    if (g.m * g.k == 0) {
      ZeroIfWrite(ctx, ig[0], req[0]);
    } else {
      Scratch d(Dev(ctx), static_cast<size_t>(g.batch * g.n * g.n) * es);
      for (int64_t b = 0; b < g.batch; ++b) {
        const char *B = At(id[1].dptr, b * g.m * g.k, es), *G = At(og[0].dptr, b * g.m * g.k, es);
        char *D = At(d.get(), b * g.n * g.n, es);
        if (g.right) Gemm(ctx, t, true, false, g.n, g.n, g.m, g.alpha, B, g.k, G, g.k, 0.0, D, g.n);
        else Gemm(ctx, t, false, true, g.n, g.n, g.k, g.alpha, G, g.k, B, g.k, 0.0, D, g.n);
      }
      cuda::TriMask(t, d.get(), ig[0].dptr, g.batch, g.n, g.lower, g.trans, req[0], St(ctx));
    }
  }
  if (req[1] != kNullOp && g.m * g.k > 0) {
    Scratch tri(Dev(ctx), static_cast<size_t>(g.batch * g.n * g.n) * es);
    cuda::TriMask(t, id[0].dptr, tri.get(), g.batch, g.n, g.lower, false, kWriteTo, St(ctx));
    for (int64_t b = 0; b < g.batch; ++b) {
      const char *T = At(tri.get(), b * g.n * g.n, es), *G = At(og[0].dptr, b * g.m * g.k, es);
      char *dB = At(ig[1].dptr, b * g.m * g.k, es);
      if (g.right) Gemm(ctx, t, false, !g.trans, g.m, g.k, g.n, g.alpha, G, g.k, T, g.n, Beta(req[1]), dB, g.k);
      else Gemm(ctx, t, !g.trans, false, g.m, g.k, g.n, g.alpha, T, g.n, G, g.k, Beta(req[1]), dB, g.k);
    }
  }
  CheckLaunch("_linalg_trmm backward");
}

// ---------------------------------------------------------------------------------------------------------------
// sumlogdiag
// ---------------------------------------------------------------------------------------------------------------
void SumLogDiagFwd(FWD_ARGS) {
  const int t = in[0].dtype;
  if (!IsReal(t) || out[0].dtype != t) return Fallback(ctx, p, in, req, out);
  const TShape &s = in[0].shape;
  cuda::SumLogDiag(t, in[0].dptr, out[0].dptr, Prod(s, 0, s.ndim() - 2), s[s.ndim() - 1], req[0], St(ctx));
  CheckLaunch("_linalg_sumlogdiag");
}
void SumLogDiagBwd(BWD_ARGS) {
  const int t = og[0].dtype;
  if (!IsReal(t) || id.empty() || !id[0].dptr || id[0].dtype != t) return FallbackGrad(ctx, p, og, id, od, req, ig);
  const TShape &s = id[0].shape;
  cuda::SumLogDiagGrad(t, og[0].dptr, id[0].dptr, ig[0].dptr, Prod(s, 0, s.ndim() - 2), s[s.ndim() - 1], req[0],
                       St(ctx));
  CheckLaunch("_linalg_sumlogdiag backward");
}

// ---------------------------------------------------------------------------------------------------------------
// extractdiag / makediag, extracttrian / maketrian: copies through an index map of one matrix
// ---------------------------------------------------------------------------------------------------------------
// Diagonal `off` of an r x c matrix: element i at (i, i + off) or (i - off, i).
std::vector<int64_t> DiagMap(int64_t r, int64_t c, int64_t off) {
  const int64_t len = std::max<int64_t>(0, off >= 0 ? std::min(r, c - off) : std::min(r + off, c));
  std::vector<int64_t> map(static_cast<size_t>(len));
  for (int64_t i = 0; i < len; ++i) map[i] = (off >= 0 ? i : i - off) * c + (off >= 0 ? i + off : i);
  return map;
}
// The triangle of an n x n matrix: the lower form (offset < 0, or 0 with lower) row by row, the upper one column by
// column, |offset| off the main diagonal (MXNet's order).
std::vector<int64_t> TrianMap(const OpParams &p, int64_t n) {
  const int64_t off = p.Int("offset"), a = off < 0 ? -off : off, m = n - a;
  const bool lower_form = off < 0 || (off == 0 && p.Bool("lower"));
  std::vector<int64_t> map;
  for (int64_t i = 0; i < m; ++i)
    for (int64_t j = 0; j <= i; ++j) map.push_back(lower_form ? (i + a) * n + j : j * n + i + a);
  return map;
}

// mats (batch of r x c) <-> vecs through map: to_vec reads the matrices, else writes them (zero off the map).
void CopyThroughMap(const OpContext &ctx, const std::vector<int64_t> &map, const TBlob &mats, const TBlob &vecs,
                    bool to_vec, OpReq req) {
  if (req == kNullOp) return;
  const TShape &s = mats.shape;
  const int64_t mat_size = s[s.ndim() - 2] * s[s.ndim() - 1], batch = Prod(s, 0, s.ndim() - 2);
  if (!to_vec) ZeroIfWrite(ctx, mats, req);
  if (map.empty() || batch == 0) return;
  Scratch dmap(Dev(ctx), map.size() * sizeof(int64_t));
  DeviceCopy(ctx.dev, dmap.get(), Device::CPU(), map.data(), map.size() * sizeof(int64_t));
  cuda::MapCopy(mats.dtype, mats.dptr, vecs.dptr, dmap.as<int64_t>(), static_cast<int64_t>(map.size()), batch,
                mat_size, to_vec, req, St(ctx));
}

// kMatsIn: the input is the matrices (extract*), else the vectors (make*); kTrian: triangles, else diagonals.
template <bool kMatsIn, bool kTrian>
std::vector<int64_t> MapFor(const OpParams &p, const TShape &mats) {
  const int64_t r = mats[mats.ndim() - 2], c = mats[mats.ndim() - 1];
  return kTrian ? TrianMap(p, r) : DiagMap(r, c, p.Int("offset"));
}
template <bool kMatsIn, bool kTrian>
void MapOpFwd(FWD_ARGS) {
  if (!IsReal(in[0].dtype) || out[0].dtype != in[0].dtype) return Fallback(ctx, p, in, req, out);
  const TBlob &mats = kMatsIn ? in[0] : out[0], &vecs = kMatsIn ? out[0] : in[0];
  CopyThroughMap(ctx, MapFor<kMatsIn, kTrian>(p, mats.shape), mats, vecs, kMatsIn, req[0]);
  CheckLaunch(p.op()->name.c_str());
}
template <bool kMatsIn, bool kTrian>
void MapOpBwd(BWD_ARGS) {
  if (!IsReal(og[0].dtype) || ig[0].dtype != og[0].dtype) return FallbackGrad(ctx, p, og, id, od, req, ig);
  const TBlob &mats = kMatsIn ? ig[0] : og[0], &vecs = kMatsIn ? og[0] : ig[0];
  CopyThroughMap(ctx, MapFor<kMatsIn, kTrian>(p, mats.shape), mats, vecs, !kMatsIn, req[0]);
  CheckLaunch((p.op()->name + " backward").c_str());
}

}  // namespace

void RegisterMoreLaKernels() {
  Set("_linalg_gemm", GemmFwd, GemmBwd);
  Set("_linalg_gemm2", GemmFwd, GemmBwd);
  Set("_linalg_syrk", SyrkFwd, SyrkBwd);
  Set("_linalg_trmm", TrmmFwd, TrmmBwd);
  Set("_linalg_sumlogdiag", SumLogDiagFwd, SumLogDiagBwd);
  Set("_linalg_extractdiag", MapOpFwd<true, false>, MapOpBwd<true, false>);
  Set("_linalg_makediag", MapOpFwd<false, false>, MapOpBwd<false, false>);
  Set("_linalg_extracttrian", MapOpFwd<true, true>, MapOpBwd<true, true>);
  Set("_linalg_maketrian", MapOpFwd<false, true>, MapOpBwd<false, true>);
}

}  // namespace gpu
}  // namespace mxc
