// GPU kernels of the layout, broadcasting and reduction operators: transpose, swapaxes, slice, slice_axis,
// broadcast_to, broadcast_axis, tile, repeat, Concat, stack, SliceChannel, the broadcast_* arithmetic and
// comparisons, sum, mean, max, min, prod, norm, dot, batch_dot, and the softmax/log_softmax gradients. Their layouts come from the
// CPU operators' own (core/ops/shape_views.h), so both devices read the parameters the same way.
#include <algorithm>
#include <cmath>
#include <limits>
#include <memory>

#include "device.h"
#include "gpu_ops.h"
#include "gpu_views.h"
#include "kernels.cuh"
#include "kernels_shape.cuh"
#include "ops/linalg.h"
#include "ops/shape_views.h"

namespace mxc {
namespace gpu {

// A reduction layout (contiguous input of L.dim) as kept x reduced axes with the input's strides.
cuda::RedView ToRedView(const op::RedLayout &L) {
  cuda::RedView r;
  int64_t st[op::kMaxLayoutDim];
  int64_t s = 1;
  for (int i = L.n - 1; i >= 0; --i) {
    st[i] = s;
    s *= L.dim[i];
  }
  for (int i = 0; i < L.n; ++i) {
    if (L.ostride[i] == 0 && L.dim[i] != 1) {
      r.rdim[r.nr] = L.dim[i];
      r.rstride[r.nr++] = st[i];
    } else {
      r.kdim[r.nk] = L.dim[i];
      r.kstride[r.nk++] = st[i];
    }
  }
  if (r.nk == 0) r.kdim[0] = 1, r.kstride[0] = 0, r.nk = 1;
  if (r.nr == 0) r.rdim[0] = 1, r.rstride[0] = 0, r.nr = 1;
  r.out_size = L.out_size;
  r.red_size = L.red_size();
  return r;
}

cuda::BackView ToBackView(const op::RedLayout &L) {
  cuda::BackView v;
  v.n = L.n;
  for (int i = 0; i < L.n; ++i) {
    v.dim[i] = L.dim[i];
    v.ostride[i] = L.ostride[i];
  }
  return v;
}

namespace {

using op::Expansion;
using op::RedLayout;
using op::StridedView;

static_assert(cuda::kMaxView >= op::kMaxLayoutDim, "cuda::View must hold every CPU layout");

cuda::View ToView(const StridedView &v) {
  cuda::View r;
  r.n = v.n;
  r.offset = v.offset;
  for (int i = 0; i < v.n; ++i) {
    r.shape[i] = v.shape[i];
    r.stride[i] = v.stride[i];
  }
  return r;
}


// big = 0 outside a view that does not cover it (a writing req), then big[view] (=|+=) small.
void ScatterReq(const OpContext &ctx, const TBlob &small, const StridedView &v, const TBlob &big, OpReq req) {
  if (req == kNullOp) return;
  if (req != kAddTo && v.Size() != big.Size()) DeviceZero(ctx.dev, big.dptr, big.Size() * DTypeSize(big.dtype));
  cuda::Scatter(big.dtype, small.dptr, ToView(v), big.dptr, small.Size(), req, St(ctx));
}

// ---------------------------------------------------------------------------------------------------------------
// transpose, swapaxes, slice, slice_axis: a strided view of the input; the gradient scatters back.
// ---------------------------------------------------------------------------------------------------------------
template <StridedView (*ViewOf)(const OpParams &, const TShape &)>
void ViewFwd(FWD_ARGS) {
  if (req[0] == kAddTo && !IsReal(out[0].dtype)) return Fallback(ctx, p, in, req, out);
  cuda::Gather(out[0].dtype, in[0].dptr, ToView(ViewOf(p, in[0].shape)), out[0].dptr, out[0].Size(), req[0], St(ctx));
  CheckLaunch(p.op()->name.c_str());
}
template <StridedView (*ViewOf)(const OpParams &, const TShape &)>
void ViewBwd(BWD_ARGS) {
  if (req[0] == kNullOp) return;
  if (req[0] == kAddTo && !IsReal(ig[0].dtype)) return FallbackGrad(ctx, p, og, id, od, req, ig);
  ScatterReq(ctx, og[0], ViewOf(p, ig[0].shape), ig[0], req[0]);
  CheckLaunch(p.op()->name.c_str());
}

// ---------------------------------------------------------------------------------------------------------------
// broadcast_to, broadcast_axis, tile, repeat: an expansion of the input; the gradient sums over the repeats.
// ---------------------------------------------------------------------------------------------------------------
template <Expansion (*Expand)(const OpParams &, const TShape &)>
void ExpandFwd(FWD_ARGS) {
  if (req[0] == kAddTo && !IsReal(out[0].dtype)) return Fallback(ctx, p, in, req, out);
  cuda::Gather(out[0].dtype, in[0].dptr, ToView(Expand(p, in[0].shape).View()), out[0].dptr, out[0].Size(), req[0],
               St(ctx));
  CheckLaunch(p.op()->name.c_str());
}
template <Expansion (*Expand)(const OpParams &, const TShape &)>
void ExpandBwd(BWD_ARGS) {
  if (req[0] == kNullOp) return;
  if (!IsReal(ig[0].dtype)) return FallbackGrad(ctx, p, og, id, od, req, ig);
  Expansion e = Expand(p, ig[0].shape);
  RedLayout L = op::MakeRedLayout(e.shape, e.rep, e.n);
  cuda::Reduce(cuda::kRedSum, og[0].dtype, og[0].dptr, ToRedView(L), ig[0].dtype, ig[0].dptr, 1.0, false, req[0],
               St(ctx));
  CheckLaunch(p.op()->name.c_str());
}

// ---------------------------------------------------------------------------------------------------------------
// Concat, stack, SliceChannel: each part is a (outer, len * inner) block of the joined array.
// ---------------------------------------------------------------------------------------------------------------
// The part at [begin, begin + len) along an axis of size total with `inner` elements per step, `outer` times.
StridedView PartView(int64_t outer, int64_t len, int64_t inner, int64_t total, int64_t begin) {
  StridedView v;
  v.Push(outer, total * inner);
  v.Push(len * inner, 1);
  v.offset = begin * inner;
  return v;
}

// Concat (parts along axis `dim`) and stack (parts of length 1 along a new axis `axis`): the output's axis holds the
// parts in order.
template <bool kStack>
void JoinLayout(const OpParams &p, const TShape &os, int *ax, int64_t *outer, int64_t *inner) {
  const char *name = kStack ? "axis" : "dim";
  *ax = op::NormalizeAxis(p, p.Int(name), os.ndim(), name, os);
  *outer = Prod(os, 0, *ax);
  *inner = Prod(os, *ax + 1, os.ndim());
}
template <bool kStack>
int64_t PartLen(const TBlob &part, int ax) {
  return kStack ? 1 : part.shape[ax];
}

template <bool kStack>
void JoinFwd(FWD_ARGS) {
  if (req[0] == kAddTo && !IsReal(out[0].dtype)) return Fallback(ctx, p, in, req, out);
  const TShape &os = out[0].shape;
  int ax;
  int64_t outer, inner, begin = 0;
  JoinLayout<kStack>(p, os, &ax, &outer, &inner);
  for (const TBlob &x : in) {  // the parts cover the output: no zeroing
    const int64_t len = PartLen<kStack>(x, ax);
    cuda::Scatter(out[0].dtype, x.dptr, ToView(PartView(outer, len, inner, os[ax], begin)), out[0].dptr, x.Size(),
                  req[0], St(ctx));
    begin += len;
  }
  CheckLaunch(p.op()->name.c_str());
}
template <bool kStack>
void JoinBwd(BWD_ARGS) {
  for (size_t k = 0; k < ig.size(); ++k)
    if (req[k] == kAddTo && !IsReal(ig[k].dtype)) return FallbackGrad(ctx, p, og, id, od, req, ig);
  const TShape &os = og[0].shape;
  int ax;
  int64_t outer, inner, begin = 0;
  JoinLayout<kStack>(p, os, &ax, &outer, &inner);
  for (size_t k = 0; k < ig.size(); ++k) {
    // Concat's part widths from its inputs (kept for this): a gradient not asked for comes as an empty blob
    const int64_t len = PartLen<kStack>(kStack ? ig[k] : id[k], ax);
    if (req[k] != kNullOp)
      cuda::Gather(og[0].dtype, og[0].dptr, ToView(PartView(outer, len, inner, os[ax], begin)), ig[k].dptr,
                   ig[k].Size(), req[k], St(ctx));
    begin += len;
  }
  CheckLaunch((p.op()->name + " backward").c_str());
}

// SliceChannel: equal parts along axis (squeeze_axis changes the outputs' shapes, not their elements).
void SplitFwd(FWD_ARGS) {
  const TShape &is = in[0].shape;
  const int ax = op::NormalizeAxis(p, p.Int("axis"), is.ndim(), "axis", is);
  const int64_t outer = Prod(is, 0, ax), inner = Prod(is, ax + 1, is.ndim()), parts = p.Int("num_outputs");
  const int64_t len = is[ax] / parts;
  for (size_t k = 0; k < out.size(); ++k)
    if (req[k] == kAddTo && !IsReal(out[k].dtype)) return Fallback(ctx, p, in, req, out);
  for (size_t k = 0; k < out.size(); ++k)
    cuda::Gather(out[k].dtype, in[0].dptr, ToView(PartView(outer, len, inner, is[ax], static_cast<int64_t>(k) * len)),
                 out[k].dptr, out[k].Size(), req[k], St(ctx));
  CheckLaunch("SliceChannel");
}
void SplitBwd(BWD_ARGS) {
  if (req[0] == kNullOp) return;
  const TShape &is = ig[0].shape;
  for (auto &g : og)
    if (!g.dptr) return FallbackGrad(ctx, p, og, id, od, req, ig);
  if (req[0] == kAddTo && !IsReal(ig[0].dtype)) return FallbackGrad(ctx, p, og, id, od, req, ig);
  const int ax = op::NormalizeAxis(p, p.Int("axis"), is.ndim(), "axis", is);
  const int64_t outer = Prod(is, 0, ax), inner = Prod(is, ax + 1, is.ndim()), parts = p.Int("num_outputs");
  const int64_t len = is[ax] / parts;
  for (size_t k = 0; k < og.size(); ++k)  // the parts cover the input: no zeroing
    cuda::Scatter(ig[0].dtype, og[k].dptr, ToView(PartView(outer, len, inner, is[ax], static_cast<int64_t>(k) * len)),
                  ig[0].dptr, og[k].Size(), req[0], St(ctx));
  CheckLaunch("SliceChannel backward");
}

// ---------------------------------------------------------------------------------------------------------------
// broadcast_* arithmetic and comparisons
// ---------------------------------------------------------------------------------------------------------------
// Operand k's strides over the output's axes (0 where it is broadcast), and whether it is broadcast anywhere.
cuda::BinView MakeBinView(const TShape &a, const TShape &b, const TShape &o) {
  cuda::BinView v;
  v.n = o.ndim();
  auto strides = [&](const TShape &s, int64_t *st) {
    int64_t acc = 1;
    for (int d = o.ndim() - 1; d >= 0; --d) {
      int sd = d - (o.ndim() - s.ndim());
      int64_t dim = sd >= 0 ? s[sd] : 1;
      st[d] = (dim == 1 && o[d] != 1) ? 0 : acc;
      acc *= dim;
    }
  };
  for (int d = 0; d < o.ndim(); ++d) v.shape[d] = o[d];
  strides(a, v.astride);
  strides(b, v.bstride);
  if (v.n == 0) v.n = 1, v.shape[0] = 1, v.astride[0] = v.bstride[0] = 0;
  return v;
}

FCompute BroadcastFwd(int code) {
  return [code](FWD_ARGS) {
    if (!IsReal(out[0].dtype) && !IsInt(out[0].dtype)) return Fallback(ctx, p, in, req, out);
    cuda::BroadcastBinary(code, out[0].dtype, in[0].dptr, in[1].dptr, MakeBinView(in[0].shape, in[1].shape,
                                                                                  out[0].shape),
                          out[0].dptr, out[0].Size(), req[0], St(ctx));
    CheckLaunch(p.op()->name.c_str());
  };
}
FBackward BroadcastBwd(int code) {
  return [code](BWD_ARGS) {
    const bool values = !(code == cuda::kAdd || code == cuda::kSub || code >= cuda::kEq);
    if (!IsReal(og[0].dtype) || (values && (id.size() < 2 || !id[0].dptr || !id[1].dptr)))
      return FallbackGrad(ctx, p, og, id, od, req, ig);
    const TShape &o = og[0].shape;
    const void *a = values ? id[0].dptr : nullptr, *b = values ? id[1].dptr : nullptr;
    // The operands' shapes: from the inputs when kept, else from the gradients asked for (a gradient not asked for
    // is an empty blob; add and sub read no operand, so its strides do not matter).
    auto operand = [&](int k) -> const TShape & { return values ? id[k].shape : ig[k].shape; };
    const cuda::BinView v = MakeBinView(operand(0), operand(1), o);
    for (int k = 0; k < 2; ++k) {
      if (req[k] == kNullOp) continue;
      const TShape &s = ig[k].shape;
      if (s == o) {  // not broadcast: the derivative times the head gradient, in place
        cuda::BroadcastBinaryDeriv(code, k, og[0].dtype, og[0].dptr, a, b, v, ig[k].dptr, og[0].Size(), req[k],
                                   St(ctx));
        continue;
      }
      // Else per output element, then summed over the axes operand k is broadcast along.
      Scratch tmp(Dev(ctx), og[0].Size() * DTypeSize(og[0].dtype) + 8);
      cuda::BroadcastBinaryDeriv(code, k, og[0].dtype, og[0].dptr, a, b, v, tmp.get(), og[0].Size(), kWriteTo,
                                 St(ctx));
      std::vector<bool> red(o.ndim());
      for (int d = 0; d < o.ndim(); ++d) {
        int sd = d - (o.ndim() - s.ndim());
        red[d] = (sd < 0 ? 1 : s[sd]) == 1 && o[d] != 1;
      }
      cuda::Reduce(cuda::kRedSum, og[0].dtype, tmp.get(), ToRedView(op::MakeRedLayout(o, red)), ig[k].dtype,
                   ig[k].dptr, 1.0, false, req[k], St(ctx));
    }
    CheckLaunch((p.op()->name + " backward").c_str());
  };
}

// ---------------------------------------------------------------------------------------------------------------
// sum, mean, max, min, prod, norm
// ---------------------------------------------------------------------------------------------------------------
enum RedOp { kSumOp, kMeanOp, kMaxOp, kMinOp, kProdOp, kNormOp };

FCompute ReduceFwd(RedOp which) {
  return [which](FWD_ARGS) {
    RedLayout L = op::ReduceLayout(p, in[0].shape);
    const int64_t red = L.red_size();
    if (IsInt(in[0].dtype) && out[0].dtype == in[0].dtype && which != kNormOp) {  // int64 accumulation, as the CPU
      const int kind = which == kMaxOp ? cuda::kRedMax : which == kMinOp ? cuda::kRedMin
                       : which == kProdOp ? cuda::kRedProd : cuda::kRedSum;
      cuda::ReduceInt(kind, in[0].dtype, in[0].dptr, ToRedView(L), out[0].dptr, which == kMeanOp ? red : 1, req[0],
                      St(ctx));
      CheckLaunch(p.op()->name.c_str());
      return;
    }
    if (!IsReal(in[0].dtype) || !IsReal(out[0].dtype)) return Fallback(ctx, p, in, req, out);
    int kind = cuda::kRedSum;
    double scale = 1.0;
    bool root = false;
    switch (which) {
      case kSumOp: break;
      case kMeanOp: scale = red ? 1.0 / static_cast<double>(red) : std::numeric_limits<double>::quiet_NaN(); break;
      case kMaxOp: kind = cuda::kRedMax; break;
      case kMinOp: kind = cuda::kRedMin; break;
      case kProdOp: kind = cuda::kRedProd; break;
      case kNormOp:
        if (p.Int("ord") == 1) kind = cuda::kRedAbsSum;
        else kind = cuda::kRedSqSum, root = true;
        break;
    }
    cuda::Reduce(kind, in[0].dtype, in[0].dptr, ToRedView(L), out[0].dtype, out[0].dptr, scale, root, req[0],
                 St(ctx));
    CheckLaunch(p.op()->name.c_str());
  };
}

FBackward ReduceBwd(RedOp which) {
  return [which](BWD_ARGS) {
    if (req[0] == kNullOp) return;
    const int t = ig[0].dtype;
    const bool needs_out = which == kMaxOp || which == kMinOp || (which == kNormOp && p.Int("ord") != 1);
    const bool needs_in = which != kSumOp && which != kMeanOp;
    if (!IsReal(t) || og[0].dtype != t || (needs_in && (id.empty() || !id[0].dptr)) ||
        (needs_out && (od.empty() || !od[0].dptr || od[0].dtype != t)))
      return FallbackGrad(ctx, p, og, id, od, req, ig);
    RedLayout L = op::ReduceLayout(p, ig[0].shape);
    const int64_t red = L.red_size();
    const void *x = needs_in ? id[0].dptr : nullptr, *y = needs_out ? od[0].dptr : nullptr;
    int kind = cuda::kBackScale;
    double scale = 1.0;
    std::unique_ptr<Scratch> aux;
    const double *nzp = nullptr, *zc = nullptr;
    switch (which) {
      case kSumOp: break;
      case kMeanOp: scale = red ? 1.0 / static_cast<double>(red) : 0.0; break;
      case kMaxOp: case kMinOp: kind = cuda::kBackEqual; break;
      case kNormOp: kind = p.Int("ord") == 1 ? cuda::kBackNorm1 : cuda::kBackNorm2; break;
      case kProdOp: {
        // The product of the nonzero elements and the count of zeros of each output (exact with zeros).
        kind = cuda::kBackProd;
        aux.reset(new Scratch(Dev(ctx), 2 * static_cast<size_t>(L.out_size) * sizeof(double) + 16));
        double *a = aux->as<double>();
        cuda::RedView rv = ToRedView(L);
        cuda::Reduce(cuda::kRedNonzeroProd, t, x, rv, cuda::kF64, a, 1.0, false, kWriteTo, St(ctx));
        cuda::Reduce(cuda::kRedZeroCount, t, x, rv, cuda::kF64, a + L.out_size, 1.0, false, kWriteTo, St(ctx));
        nzp = a;
        zc = a + L.out_size;
        break;
      }
    }
    cuda::ReduceBackward(kind, t, og[0].dptr, x, y, nzp, zc, ToBackView(L), ig[0].dptr, ig[0].Size(), scale, req[0],
                         St(ctx));
    CheckLaunch((p.op()->name + " backward").c_str());
  };
}

// ---------------------------------------------------------------------------------------------------------------
// softmax / log_softmax gradients (their forward is in gpu_ops.cc)
// ---------------------------------------------------------------------------------------------------------------
FBackward SoftmaxBwd(bool log) {
  return [log](BWD_ARGS) {
    if (ig.size() > 1) ZeroIfWrite(ctx, ig[1], req[1]);  // softmax's use_length: no gradient for the length
    if (req[0] == kNullOp) return;
    if (!IsReal(ig[0].dtype) || od.empty() || !od[0].dptr || od[0].dtype != ig[0].dtype || og[0].dtype != ig[0].dtype)
      return FallbackGrad(ctx, p, og, id, od, req, ig);
    const int axis = op::NormalizeAxis(p, p.Int("axis"), od[0].ndim(), "axis", od[0].shape);
    const op::AxisSplit s = op::SplitAt(od[0].shape, axis);
    const double t = p.IsNone("temperature") ? 1.0 : p.Float("temperature");
    cuda::SoftmaxGrad(ig[0].dtype, og[0].dptr, od[0].dptr, ig[0].dptr, s.outer, s.n, s.inner, t, log, req[0], St(ctx));
    CheckLaunch((p.op()->name + " backward").c_str());
  };
}

// ---------------------------------------------------------------------------------------------------------------
// dot, batch_dot: the CPU's plans (core/ops/linalg.h) with the device's GEMM
// ---------------------------------------------------------------------------------------------------------------
struct DeviceGemm {
  const OpContext &ctx;
  int dtype;
  template <typename T>
  void operator()(bool ta, bool tb, int64_t M, int64_t N, int64_t K, const T *A, int64_t lda, const T *B,
                  int64_t ldb, T *C, int64_t ldc, OpReq req) const {
    if (req == kNullOp || M == 0 || N == 0) return;
    if (K == 0) {  // an empty sum: zeros (C is contiguous in every plan)
      if (req != kAddTo) DeviceZero(ctx.dev, C, static_cast<size_t>(M * ldc) * sizeof(T));
      return;
    }
    Gemm(ctx, dtype, ta, tb, M, N, K, 1.0, A, std::max<int64_t>(lda, 1), B, std::max<int64_t>(ldb, 1), Beta(req), C,
         std::max<int64_t>(ldc, 1));
  }
};

void MatMulFwd(FWD_ARGS) {
  if (!IsReal(in[0].dtype)) return Fallback(ctx, p, in, req, out);
  op::MatMulForward(p, in, req[0], out[0], DeviceGemm{ctx, in[0].dtype});
  CheckLaunch(p.op()->name.c_str());
}
void MatMulBwd(BWD_ARGS) {
  if (!IsReal(id[0].dtype)) return FallbackGrad(ctx, p, og, id, od, req, ig);
  op::MatMulBackward(p, og[0], id, req, ig, DeviceGemm{ctx, id[0].dtype});
  CheckLaunch((p.op()->name + " backward").c_str());
}

}  // namespace

void RegisterShapeKernels() {
  Set("dot", MatMulFwd, MatMulBwd);
  Set("batch_dot", MatMulFwd, MatMulBwd);
  Set("transpose", ViewFwd<op::TransposeView>, ViewBwd<op::TransposeView>);
  Set("swapaxes", ViewFwd<op::TransposeView>, ViewBwd<op::TransposeView>);
  Set("slice", ViewFwd<op::SliceView>, ViewBwd<op::SliceView>);
  Set("slice_axis", ViewFwd<op::SliceView>, ViewBwd<op::SliceView>);
  Set("reverse", ViewFwd<op::ReverseView>, ViewBwd<op::ReverseView>);
  Set("broadcast_to", ExpandFwd<op::BroadcastExpansion>, ExpandBwd<op::BroadcastExpansion>);
  Set("broadcast_axis", ExpandFwd<op::BroadcastExpansion>, ExpandBwd<op::BroadcastExpansion>);
  Set("tile", ExpandFwd<op::TileExpansion>, ExpandBwd<op::TileExpansion>);
  Set("repeat", ExpandFwd<op::RepeatExpansion>, ExpandBwd<op::RepeatExpansion>);
  Set("Concat", JoinFwd<false>, JoinBwd<false>);
  Set("_rnn_param_concat", JoinFwd<false>, JoinBwd<false>);
  Set("stack", JoinFwd<true>, JoinBwd<true>);
  Set("SliceChannel", SplitFwd, SplitBwd);
  const std::pair<const char *, int> bin[] = {
      {"broadcast_add", cuda::kAdd}, {"broadcast_sub", cuda::kSub}, {"broadcast_mul", cuda::kMul},
      {"broadcast_div", cuda::kDiv}, {"broadcast_mod", cuda::kMod}, {"broadcast_power", cuda::kPow},
      {"broadcast_maximum", cuda::kMax}, {"broadcast_minimum", cuda::kMin}, {"broadcast_equal", cuda::kEq},
      {"broadcast_not_equal", cuda::kNe}, {"broadcast_greater", cuda::kGt}, {"broadcast_greater_equal", cuda::kGe},
      {"broadcast_lesser", cuda::kLt}, {"broadcast_lesser_equal", cuda::kLe}};
  for (auto &b : bin) Set(b.first, BroadcastFwd(b.second), BroadcastBwd(b.second));
  Set("sum", ReduceFwd(kSumOp), ReduceBwd(kSumOp));
  Set("mean", ReduceFwd(kMeanOp), ReduceBwd(kMeanOp));
  Set("max", ReduceFwd(kMaxOp), ReduceBwd(kMaxOp));
  Set("min", ReduceFwd(kMinOp), ReduceBwd(kMinOp));
  Set("prod", ReduceFwd(kProdOp), ReduceBwd(kProdOp));
  Set("norm", ReduceFwd(kNormOp), ReduceBwd(kNormOp));
  SetBackward("softmax", SoftmaxBwd(false));
  SetBackward("log_softmax", SoftmaxBwd(true));
}

}  // namespace gpu
}  // namespace mxc
