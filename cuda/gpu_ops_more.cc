// Native GPU kernels (cuda/more.cu, kernels_more.cuh, and the layout kernels of kernels_shape.cuh) for operators
// that used to run only host-staged: erf, erfinv, gamma, gammaln, rcbrt, softsign, hard_sigmoid, contrib
// isnan/isinf/isfinite, logical and/or/xor (elementwise, scalar and broadcast), broadcast_hypot, _linspace, _eye,
// contrib arange_like, shape_array, size_array, depth_to_space, space_to_depth, slice_like, broadcast_like, diag,
// softmin, SoftmaxActivation, Pad, cumsum, nansum, nanprod, moments, ravel_multi_index, unravel_index, batch_take,
// khatri_rao, contrib index_copy, scatter_nd, the samplers (_random_<d>, _random_<d>_like, _sample_<d> for uniform,
// normal, exponential, gamma, poisson, negative_binomial, generalized_negative_binomial; _random_randint) and the
// densities _random_pdf_<d> (all but dirichlet). LRN, GroupNorm, L2Normalization, AdaptiveAvgPooling2D and
// BilinearResize2D: cuda/gpu_ops_more_nn.cc; linalg gemm, gemm2, syrk, trmm, sumlogdiag and the diagonal/triangle
// copies: cuda/gpu_ops_more_la.cc. See RegisterMoreKernels in cuda/gpu_ops.h.
//
// The semantics are the CPU kernels' (core/ops/elemwise_unary.cc, elemwise_binary.cc, elemwise_scalar.cc,
// elemwise_broadcast.cc, tensor_more.cc, indexing_more.cc, nn_softmax.cc, nn_pad.cc, reduce.cc, nn_norm_more.cc,
// random_more.cc); calls these kernels do not cover (a dtype, an invalid sampler
// parameter or index, which the CPU kernel then reports) run the host-staged CPU kernel. Random draws come from
// counter-based streams on the device: the same distributions as the CPU's, not the same numbers.
#include <algorithm>
#include <cstdlib>
#include <memory>
#include <string>
#include <type_traits>
#include <vector>

#include "device.h"
#include "gpu_device.h"
#include "gpu_ops.h"
#include "gpu_views.h"
#include "kernels.cuh"
#include "kernels_index.cuh"
#include "kernels_more.cuh"
#include "kernels_shape.cuh"
#include "operator.h"
#include "ops/op_util.h"
#include "ops/shape_views.h"

namespace mxc {
namespace gpu {

void RegisterMoreNnKernels();  // cuda/gpu_ops_more_nn.cc: LRN, GroupNorm, L2Normalization, AdaptiveAvgPooling2D, ...
void RegisterMoreLaKernels();  // cuda/gpu_ops_more_la.cc: linalg gemm, gemm2, syrk, sumlogdiag, diagonals, triangles

namespace {

using op::RedLayout;
using op::StridedView;

bool Numeric(int t) { return IsReal(t) || IsInt(t); }
// Every input gradient zero (piecewise-constant operators, shape inputs).
void ZeroGrads(BWD_ARGS) {
  (void)p, (void)og, (void)id, (void)od;
  for (size_t i = 0; i < ig.size() && i < req.size(); ++i) ZeroIfWrite(ctx, ig[i], req[i]);
}

cuda::View ToView(const StridedView &view) {
  StridedView v = view;
  v.Simplify();
  cuda::View r;
  r.n = v.n;
  r.offset = v.offset;
  for (int i = 0; i < v.n; ++i) {
    r.shape[i] = v.shape[i];
    r.stride[i] = v.stride[i];
  }
  if (r.n == 0) r.n = 1, r.shape[0] = 1, r.stride[0] = 0;
  return r;
}

// Row-major strides of a shape.
std::vector<int64_t> Strides(const TShape &s) {
  std::vector<int64_t> st(s.ndim(), 1);
  for (int a = s.ndim() - 2; a >= 0; --a) st[a] = st[a + 1] * s[a + 1];
  return st;
}

// A contiguous, unbroadcast pair of operands of n elements.
cuda::BinView FlatBinView(int64_t n) {
  cuda::BinView v;
  v.n = 1;
  v.shape[0] = n;
  v.astride[0] = v.bstride[0] = 1;
  return v;
}

// The operands' strides over the output's axes (0 where one is broadcast), as the broadcast_* operators.
cuda::BinView MakeBinView(const TShape &a, const TShape &b, const TShape &o) {
  cuda::BinView v;
  v.n = o.ndim();
  auto strides = [&](const TShape &s, int64_t *st) {
    int64_t acc = 1;
    for (int d = o.ndim() - 1; d >= 0; --d) {
      const int sd = d - (o.ndim() - s.ndim());
      const int64_t dim = sd >= 0 ? s[sd] : 1;
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

// ---------------------------------------------------------------------------------------------------------------
// Unary functions
// ---------------------------------------------------------------------------------------------------------------
struct MoreUnaryDef {
  const char *name;
  int code;
  bool uses_in, uses_out;
};

double ParamA(const OpParams &p, int code) { return code == cuda::kHardSigmoid ? p.Float("alpha") : 0.0; }
double ParamB(const OpParams &p, int code) { return code == cuda::kHardSigmoid ? p.Float("beta") : 0.0; }

FCompute MoreUnaryFwd(int code) {
  return [code](FWD_ARGS) {
    const bool test = code == cuda::kIsNan || code == cuda::kIsInf || code == cuda::kIsFinite;
    if (!(IsReal(in[0].dtype) || (test && IsInt(in[0].dtype))) || out[0].dtype != in[0].dtype)
      return Fallback(ctx, p, in, req, out);
    cuda::MoreUnary(code, in[0].dtype, in[0].dptr, out[0].dptr, out[0].Size(), ParamA(p, code), ParamB(p, code),
                    req[0], St(ctx));
    CheckLaunch(p.op()->name.c_str());
  };
}
FBackward MoreUnaryBwd(const MoreUnaryDef &d) {
  return [d](BWD_ARGS) {
    if (req[0] == kNullOp) return;
    const void *x = d.uses_in && !id.empty() ? id[0].dptr : nullptr;
    const void *y = d.uses_out && !od.empty() ? od[0].dptr : nullptr;
    if (!IsReal(og[0].dtype) || ig[0].dtype != og[0].dtype || (d.uses_in && !x) || (d.uses_out && !y))
      return FallbackGrad(ctx, p, og, id, od, req, ig);
    cuda::MoreUnaryGrad(d.code, og[0].dtype, og[0].dptr, x, y, ig[0].dptr, ig[0].Size(), ParamA(p, d.code),
                        ParamB(p, d.code), req[0], St(ctx));
    CheckLaunch((p.op()->name + " backward").c_str());
  };
}

// ---------------------------------------------------------------------------------------------------------------
// logical and/or/xor, hypot
// ---------------------------------------------------------------------------------------------------------------
bool BinDtypeOk(int code, int t) { return code == cuda::kHypot ? IsReal(t) : Numeric(t); }

// Elementwise (same shapes) or broadcast forward.
FCompute MoreBinaryFwd(int code, bool broadcast) {
  return [code, broadcast](FWD_ARGS) {
    const int t = out[0].dtype;
    if (!BinDtypeOk(code, t) || in[0].dtype != t || in[1].dtype != t) return Fallback(ctx, p, in, req, out);
    const cuda::BinView v =
        broadcast ? MakeBinView(in[0].shape, in[1].shape, out[0].shape) : FlatBinView(out[0].Size());
    cuda::MoreBinary(code, t, in[0].dptr, in[1].dptr, v, out[0].dptr, out[0].Size(), req[0], St(ctx));
    CheckLaunch(p.op()->name.c_str());
  };
}
FCompute MoreScalarFwd(int code) {
  return [code](FWD_ARGS) {
    const int t = out[0].dtype;
    if (!Numeric(t) || in[0].dtype != t) return Fallback(ctx, p, in, req, out);
    cuda::MoreScalar(code, t, in[0].dptr, p.Float("scalar"), out[0].dptr, out[0].Size(), req[0], St(ctx));
    CheckLaunch(p.op()->name.c_str());
  };
}

// broadcast_hypot's gradients: a / h and b / h times the head gradient, summed over the axes each operand is
// broadcast along.
void HypotBwd(BWD_ARGS) {
  (void)od;
  const int t = og[0].dtype;
  if (!IsReal(t) || id.size() < 2 || !id[0].dptr || !id[1].dptr || !RequestedGradsHaveType(ig, req, t))
    return FallbackGrad(ctx, p, og, id, od, req, ig);
  const TShape &o = og[0].shape;
  const cuda::BinView v = MakeBinView(id[0].shape, id[1].shape, o);
  for (int k = 0; k < 2; ++k) {
    if (req[k] == kNullOp) continue;
    const TShape &s = ig[k].shape;
    if (s == o) {
      cuda::HypotDeriv(k, t, og[0].dptr, id[0].dptr, id[1].dptr, v, ig[k].dptr, og[0].Size(), req[k], St(ctx));
      continue;
    }
    Scratch tmp(Dev(ctx), static_cast<size_t>(og[0].Size()) * DTypeSize(t) + 8);
    cuda::HypotDeriv(k, t, og[0].dptr, id[0].dptr, id[1].dptr, v, tmp.get(), og[0].Size(), kWriteTo, St(ctx));
    std::vector<bool> red(o.ndim());
    for (int d = 0; d < o.ndim(); ++d) {
      const int sd = d - (o.ndim() - s.ndim());
      red[d] = (sd < 0 ? 1 : s[sd]) == 1 && o[d] != 1;
    }
    cuda::Reduce(cuda::kRedSum, t, tmp.get(), ToRedView(op::MakeRedLayout(o, red)), t, ig[k].dptr, 1.0, false, req[k],
                 St(ctx));
  }
  CheckLaunch("broadcast_hypot backward");
}

// ---------------------------------------------------------------------------------------------------------------
// Creation: _linspace, _eye, arange_like, shape_array, size_array
// ---------------------------------------------------------------------------------------------------------------
void LinspaceFwd(FWD_ARGS) {
  if (!Numeric(out[0].dtype)) return Fallback(ctx, p, in, req, out);
  const int64_t num = p.Int("num");
  const double start = p.Float("start"), stop = p.Float("stop");
  const int64_t div = p.Bool("endpoint") ? num - 1 : num;
  const double step = div > 0 ? (stop - start) / static_cast<double>(div) : 0.0;
  cuda::Linspace(out[0].dtype, out[0].dptr, out[0].Size(), start, step, req[0], St(ctx));
  CheckLaunch("_linspace");
}

void EyeFwd(FWD_ARGS) {
  if (!Numeric(out[0].dtype)) return Fallback(ctx, p, in, req, out);
  cuda::Eye(out[0].dtype, out[0].dptr, out[0].shape[0], out[0].shape[1], p.Int("k"), req[0], St(ctx));
  CheckLaunch("_eye");
}

void ArangeLikeFwd(FWD_ARGS) {
  const int64_t repeat = p.Int("repeat");
  const int t = out[0].dtype;
  // start + (i / repeat) * step: cuda::Arange for float32/float64, a linspace for integers with repeat 1.
  if (IsReal(t) && repeat >= 1) {
    cuda::Arange(t, p.Float("start"), p.Float("step"), repeat, out[0].dptr, out[0].Size(), req[0], St(ctx));
  } else if (IsInt(t) && repeat == 1) {
    cuda::Linspace(t, out[0].dptr, out[0].Size(), p.Float("start"), p.Float("step"), req[0], St(ctx));
  } else {
    return Fallback(ctx, p, in, req, out);
  }
  CheckLaunch("_contrib_arange_like");
}

// shape_array / size_array: the shape (or size) written from the host.
template <bool kSize>
void ShapeArrayFwd(FWD_ARGS) {
  if (req[0] == kNullOp) return;
  if (req[0] == kAddTo || out[0].dtype != kInt64) return Fallback(ctx, p, in, req, out);
  const TShape &s = in[0].shape;
  std::vector<int64_t> v;
  if (kSize) v.push_back(static_cast<int64_t>(ShapeSize(s)));
  else v.assign(s.begin(), s.end());
  if (v.empty()) return;
  // Queued after the stream's earlier work; returns when the copy is done.
  DeviceCopy(ctx.dev, out[0].dptr, Device::CPU(), v.data(), v.size() * sizeof(int64_t));
}

// ---------------------------------------------------------------------------------------------------------------
// Layouts: depth_to_space, space_to_depth, diag, broadcast_like, slice_like
// ---------------------------------------------------------------------------------------------------------------
// The depth layout (N, C, H, W) read in the order of the space layout (N, C / b^2, H * b, W * b):
// space[n, c, h*b + i, w*b + j] = depth[n, (i*b + j)*C' + c, h, w].
StridedView DepthInSpaceOrder(const TShape &depth, int64_t b) {
  const int64_t C = depth[1], H = depth[2], W = depth[3], Cp = C / (b * b);
  StridedView v;
  v.Push(depth[0], C * H * W);
  v.Push(Cp, H * W);
  v.Push(H, W);
  v.Push(b, b * Cp * H * W);
  v.Push(W, 1);
  v.Push(b, Cp * H * W);
  return v;
}
// The space layout (N, C, H, W) read in the order of the depth layout (N, C * b^2, H / b, W / b).
StridedView SpaceInDepthOrder(const TShape &space, int64_t b) {
  const int64_t C = space[1], H = space[2], W = space[3];
  StridedView v;
  v.Push(space[0], C * H * W);
  v.Push(b, W);
  v.Push(b, 1);
  v.Push(C, H * W);
  v.Push(H / b, b * W);
  v.Push(W / b, b);
  return v;
}

// out (req) = in read through view; the gradient scatters back (the views are bijective).
template <bool kToSpace>
void BlockFwd(FWD_ARGS) {
  if (req[0] == kNullOp) return;
  if (!Numeric(in[0].dtype) || (req[0] == kAddTo && !IsReal(in[0].dtype))) return Fallback(ctx, p, in, req, out);
  const int64_t b = p.Int("block_size");
  const StridedView v = kToSpace ? DepthInSpaceOrder(in[0].shape, b) : SpaceInDepthOrder(in[0].shape, b);
  cuda::Gather(in[0].dtype, in[0].dptr, ToView(v), out[0].dptr, out[0].Size(), req[0], St(ctx));
  CheckLaunch(p.op()->name.c_str());
}
template <bool kToSpace>
void BlockBwd(BWD_ARGS) {
  if (req[0] == kNullOp) return;
  if (!Numeric(ig[0].dtype) || (req[0] == kAddTo && !IsReal(ig[0].dtype)))
    return FallbackGrad(ctx, p, og, id, od, req, ig);
  const int64_t b = p.Int("block_size");
  const StridedView v = kToSpace ? DepthInSpaceOrder(ig[0].shape, b) : SpaceInDepthOrder(ig[0].shape, b);
  cuda::Scatter(ig[0].dtype, og[0].dptr, ToView(v), ig[0].dptr, og[0].Size(), req[0], St(ctx));
  CheckLaunch((p.op()->name + " backward").c_str());
}

// diag: the diagonal of an n-d array (big) as a view in the order of the diagonal's shape; for 1-d data, the
// diagonal of the (side, side) output.
StridedView DiagView(const OpParams &p, const TShape &big, bool one_d) {
  StridedView v;
  const int64_t k = p.Int("k");
  if (one_d) {
    const int64_t side = big[0];
    const int64_t len = side - std::abs(k);
    v.Push(len, side + 1);
    v.offset = (k < 0 ? -k : 0) * side + (k > 0 ? k : 0);
    return v;
  }
  const int nd = big.ndim();
  const int a1 = op::NormalizeAxis(p, p.Int("axis1"), nd, "axis1", big);
  const int a2 = op::NormalizeAxis(p, p.Int("axis2"), nd, "axis2", big);
  const std::vector<int64_t> st = Strides(big);
  for (int a = 0; a < nd; ++a)
    if (a != a1 && a != a2) v.Push(big[a], st[a]);
  const int64_t rows = big[a1], cols = big[a2];
  int64_t len = k >= 0 ? cols - k : rows + k;  // the diagonal's length (0 beyond the ends)
  if (k >= 0 && rows < len) len = rows;
  if (k < 0 && cols < len) len = cols;
  v.Push(len < 0 ? 0 : len, st[a1] + st[a2]);
  v.offset = (k < 0 ? -k : 0) * st[a1] + (k > 0 ? k : 0) * st[a2];
  return v;
}

// Gather from a view (small = big[view]) or scatter into one (big[view] = small, zero elsewhere).
void ViewGather(const OpContext &ctx, const TBlob &big, const StridedView &v, const TBlob &small, OpReq req) {
  cuda::Gather(big.dtype, big.dptr, ToView(v), small.dptr, small.Size(), req, St(ctx));
}
void ViewScatter(const OpContext &ctx, const TBlob &small, const StridedView &v, const TBlob &big, OpReq req) {
  ZeroIfWrite(ctx, big, req);
  if (small.Size() > 0) cuda::Scatter(big.dtype, small.dptr, ToView(v), big.dptr, small.Size(), req, St(ctx));
}

void DiagFwd(FWD_ARGS) {
  if (req[0] == kNullOp) return;
  if (!Numeric(in[0].dtype) || (req[0] == kAddTo && !IsReal(in[0].dtype))) return Fallback(ctx, p, in, req, out);
  const bool one_d = in[0].ndim() == 1;
  const StridedView v = DiagView(p, one_d ? out[0].shape : in[0].shape, one_d);
  if (!one_d) ViewGather(ctx, in[0], v, out[0], req[0]);
  else ViewScatter(ctx, in[0], v, out[0], req[0]);
  CheckLaunch("diag");
}
void DiagBwd(BWD_ARGS) {
  if (req[0] == kNullOp) return;
  if (!Numeric(ig[0].dtype) || (req[0] == kAddTo && !IsReal(ig[0].dtype)))
    return FallbackGrad(ctx, p, og, id, od, req, ig);
  const bool one_d = ig[0].ndim() == 1;
  const StridedView v = DiagView(p, one_d ? og[0].shape : ig[0].shape, one_d);
  if (!one_d) ViewScatter(ctx, og[0], v, ig[0], req[0]);
  else ViewGather(ctx, og[0], v, ig[0], req[0]);
  CheckLaunch("diag backward");
}

// broadcast_like / slice_like: the output reads the first input at the same index (index 0 where the input has
// size 1 and the output not).
StridedView SameIndexView(const TShape &in, const TShape &out) {
  const std::vector<int64_t> st = Strides(in);
  StridedView v;
  for (int a = 0; a < out.ndim(); ++a) v.Push(out[a], in[a] == 1 && out[a] != 1 ? 0 : st[a]);
  return v;
}

void LikeFwd(FWD_ARGS) {
  if (req[0] == kNullOp) return;
  if (!Numeric(in[0].dtype) || (req[0] == kAddTo && !IsReal(in[0].dtype)) || in[0].ndim() != out[0].ndim())
    return Fallback(ctx, p, in, req, out);
  if (out[0].Size() == 0) return;
  const StridedView v = SameIndexView(in[0].shape, out[0].shape);
  ViewGather(ctx, in[0], v, out[0], req[0]);
  CheckLaunch(p.op()->name.c_str());
}

// broadcast_like: the head gradient summed over the broadcast axes.
void BroadcastLikeBwd(BWD_ARGS) {
  if (req[0] == kNullOp) {  // the gradient of the shape-giving input alone: zeros
    ZeroIfWrite(ctx, ig[1], req[1]);
    return CheckLaunch("broadcast_like backward");
  }
  const TShape &s = ig[0].shape, &o = og[0].shape;
  if (!IsReal(ig[0].dtype) || og[0].dtype != ig[0].dtype || s.ndim() != o.ndim())
    return FallbackGrad(ctx, p, og, id, od, req, ig);
  if (req[0] != kNullOp) {
    std::vector<bool> red(o.ndim());
    for (int d = 0; d < o.ndim(); ++d) red[d] = s[d] == 1 && o[d] != 1;
    if (ig[0].Size() > 0)
      cuda::Reduce(cuda::kRedSum, og[0].dtype, og[0].dptr, ToRedView(op::MakeRedLayout(o, red)), ig[0].dtype,
                   ig[0].dptr, 1.0, false, req[0], St(ctx));
  }
  if (ig.size() > 1 && req.size() > 1) ZeroIfWrite(ctx, ig[1], req[1]);
  CheckLaunch("broadcast_like backward");
}

// slice_like: the head gradient scattered into the sliced region, zero elsewhere.
void SliceLikeBwd(BWD_ARGS) {
  if (req[0] == kNullOp) {  // the gradient of the shape-giving input alone: zeros
    ZeroIfWrite(ctx, ig[1], req[1]);
    return CheckLaunch("slice_like backward");
  }
  const TShape &s = ig[0].shape, &o = og[0].shape;
  if (!Numeric(ig[0].dtype) || (req[0] == kAddTo && !IsReal(ig[0].dtype)) || s.ndim() != o.ndim())
    return FallbackGrad(ctx, p, og, id, od, req, ig);
  if (req[0] != kNullOp) {
    const StridedView v = SameIndexView(s, o);
    ViewScatter(ctx, og[0], v, ig[0], req[0]);
  }
  if (ig.size() > 1 && req.size() > 1) ZeroIfWrite(ctx, ig[1], req[1]);
  CheckLaunch("slice_like backward");
}

// ---------------------------------------------------------------------------------------------------------------
// softmin, SoftmaxActivation
// ---------------------------------------------------------------------------------------------------------------
double Temperature(const OpParams &p) { return p.IsNone("temperature") ? 1.0 : p.Float("temperature"); }

// softmin: the softmax of -x / T, i.e. a softmax at temperature -T; its gradient is the softmax gradient at -T.
void SoftminFwd(FWD_ARGS) {
  if (!IsReal(in[0].dtype) || out[0].dtype != in[0].dtype) return Fallback(ctx, p, in, req, out);
  const int axis = op::NormalizeAxis(p, p.Int("axis"), in[0].ndim(), "axis", in[0].shape);
  const op::AxisSplit s = op::SplitAt(in[0].shape, axis);
  cuda::Softmax(in[0].dtype, in[0].dptr, out[0].dptr, s.outer, s.n, s.inner, -Temperature(p), false, req[0], St(ctx));
  CheckLaunch("softmin");
}
void SoftminBwd(BWD_ARGS) {
  if (req[0] == kNullOp) return;
  if (!IsReal(ig[0].dtype) || od.empty() || !od[0].dptr || od[0].dtype != ig[0].dtype || og[0].dtype != ig[0].dtype)
    return FallbackGrad(ctx, p, og, id, od, req, ig);
  const int axis = op::NormalizeAxis(p, p.Int("axis"), od[0].ndim(), "axis", od[0].shape);
  const op::AxisSplit s = op::SplitAt(od[0].shape, axis);
  cuda::SoftmaxGrad(ig[0].dtype, og[0].dptr, od[0].dptr, ig[0].dptr, s.outer, s.n, s.inner, -Temperature(p), false,
                    req[0], St(ctx));
  CheckLaunch("softmin backward");
}

op::AxisSplit SoftmaxActivationSplit(const OpParams &p, const TShape &d) {
  return op::SplitAt(d, p.Str("mode") == "channel" ? 1 : d.ndim() - 1);
}
void SoftmaxActivationFwd(FWD_ARGS) {
  if (!IsReal(in[0].dtype) || out[0].dtype != in[0].dtype) return Fallback(ctx, p, in, req, out);
  const op::AxisSplit s = SoftmaxActivationSplit(p, in[0].shape);
  cuda::Softmax(in[0].dtype, in[0].dptr, out[0].dptr, s.outer, s.n, s.inner, 1.0, false, req[0], St(ctx));
  CheckLaunch("SoftmaxActivation");
}
void SoftmaxActivationBwd(BWD_ARGS) {
  if (req[0] == kNullOp) return;
  if (!IsReal(ig[0].dtype) || od.empty() || !od[0].dptr || od[0].dtype != ig[0].dtype || og[0].dtype != ig[0].dtype)
    return FallbackGrad(ctx, p, og, id, od, req, ig);
  const op::AxisSplit s = SoftmaxActivationSplit(p, od[0].shape);
  cuda::SoftmaxGrad(ig[0].dtype, og[0].dptr, od[0].dptr, ig[0].dptr, s.outer, s.n, s.inner, 1.0, false, req[0],
                    St(ctx));
  CheckLaunch("SoftmaxActivation backward");
}

// ---------------------------------------------------------------------------------------------------------------
// Pad (4-d or 5-d data; the two leading axes are not padded)
// ---------------------------------------------------------------------------------------------------------------
int PadMode(const OpParams &p) {
  const std::string &m = p.Str("mode");
  return m == "edge" ? 1 : (m == "reflect" ? 2 : 0);
}
bool PadGeomOf(const OpParams &p, const TShape &d, cuda::PadGeom *g) {
  if (d.ndim() != 4 && d.ndim() != 5) return false;
  const auto &pw = p.Tuple("pad_width");
  if (static_cast<int>(pw.size()) != 2 * d.ndim()) return false;
  const int off = 5 - d.ndim();
  g->planes = d[0] * d[1];
  for (int k = 0; k < 3; ++k) {
    const int a = k + 2 - off;
    const int64_t n = a >= 2 ? d[a] : 1, before = a >= 2 ? pw[2 * a] : 0, after = a >= 2 ? pw[2 * a + 1] : 0;
    g->in[k] = n;
    g->out[k] = n + before + after;
    g->before[k] = before;
  }
  return true;
}
void PadFwd(FWD_ARGS) {
  cuda::PadGeom g;
  if (!IsReal(in[0].dtype) || !PadGeomOf(p, in[0].shape, &g)) return Fallback(ctx, p, in, req, out);
  cuda::Pad(in[0].dtype, PadMode(p), in[0].dptr, out[0].dptr, g, p.Float("constant_value"), req[0], St(ctx));
  CheckLaunch("Pad");
}
void PadBwd(BWD_ARGS) {
  if (req[0] == kNullOp) return;
  cuda::PadGeom g;
  if (!IsReal(ig[0].dtype) || !PadGeomOf(p, ig[0].shape, &g)) return FallbackGrad(ctx, p, og, id, od, req, ig);
  const int mode = PadMode(p);
  if (mode == 0) cuda::PadConstantGrad(ig[0].dtype, og[0].dptr, ig[0].dptr, g, req[0], St(ctx));
  else cuda::PadGatherGrad(ig[0].dtype, mode, og[0].dptr, ig[0].dptr, g, req[0], St(ctx));
  CheckLaunch("Pad backward");
}

// ---------------------------------------------------------------------------------------------------------------
// cumsum
// ---------------------------------------------------------------------------------------------------------------
op::AxisSplit CumsumSplit(const OpParams &p, const TShape &d) {
  if (p.IsNone("axis")) return op::AxisSplit{1, ShapeSize(d), 1};
  return op::SplitAt(d, op::NormalizeAxis(p, p.Int("axis"), d.ndim(), "axis", d));
}
void CumsumFwd(FWD_ARGS) {
  if (req[0] == kNullOp) return;
  if (!Numeric(in[0].dtype) || !Numeric(out[0].dtype)) return Fallback(ctx, p, in, req, out);
  const op::AxisSplit s = CumsumSplit(p, in[0].shape);
  cuda::Cumsum(in[0].dtype, in[0].dptr, out[0].dtype, out[0].dptr, s.outer, s.n, s.inner, false, req[0], St(ctx));
  CheckLaunch("cumsum");
}
void CumsumBwd(BWD_ARGS) {
  if (req[0] == kNullOp) return;
  if (!Numeric(og[0].dtype) || !Numeric(ig[0].dtype)) return FallbackGrad(ctx, p, og, id, od, req, ig);
  const op::AxisSplit s = CumsumSplit(p, ig[0].shape);
  cuda::Cumsum(og[0].dtype, og[0].dptr, ig[0].dtype, ig[0].dptr, s.outer, s.n, s.inner, true, req[0], St(ctx));
  CheckLaunch("cumsum backward");
}

// ---------------------------------------------------------------------------------------------------------------
// nansum, nanprod: the reduction of a copy with NaN replaced by 0 (sum) or 1 (product); NaNs get zero gradient
// ---------------------------------------------------------------------------------------------------------------
template <bool kProd>
void NanReduceFwd(FWD_ARGS) {
  const int t = in[0].dtype;
  if (!IsReal(t) || out[0].dtype != t) return Fallback(ctx, p, in, req, out);
  if (req[0] == kNullOp) return;
  const RedLayout L = op::ReduceLayout(p, in[0].shape);
  Scratch clean(Dev(ctx), static_cast<size_t>(in[0].Size()) * DTypeSize(t) + 8);
  cuda::ReplaceNan(t, in[0].dptr, clean.get(), in[0].Size(), kProd ? 1.0 : 0.0, St(ctx));
  cuda::Reduce(kProd ? cuda::kRedProd : cuda::kRedSum, t, clean.get(), ToRedView(L), t, out[0].dptr, 1.0, false,
               req[0], St(ctx));
  CheckLaunch(p.op()->name.c_str());
}
template <bool kProd>
void NanReduceBwd(BWD_ARGS) {
  if (req[0] == kNullOp) return;
  const int t = ig[0].dtype;
  if (!IsReal(t) || og[0].dtype != t || id.empty() || !id[0].dptr || id[0].dtype != t)
    return FallbackGrad(ctx, p, og, id, od, req, ig);
  const RedLayout L = op::ReduceLayout(p, ig[0].shape);
  const int64_t n = ig[0].Size();
  const size_t bytes = static_cast<size_t>(n) * DTypeSize(t) + 8;
  Scratch full(Dev(ctx), bytes);  // the gradient before masking the NaNs
  if (!kProd) {
    cuda::ReduceBackward(cuda::kBackScale, t, og[0].dptr, nullptr, nullptr, nullptr, nullptr, ToBackView(L),
                         full.get(), n, 1.0, kWriteTo, St(ctx));
  } else {
    // prod's gradient (exact with zeros) of the data with NaN counted as 1.
    Scratch clean(Dev(ctx), bytes);
    cuda::ReplaceNan(t, id[0].dptr, clean.get(), n, 1.0, St(ctx));
    Scratch aux(Dev(ctx), 2 * static_cast<size_t>(L.out_size) * sizeof(double) + 16);
    double *a = aux.as<double>();
    const cuda::RedView rv = ToRedView(L);
    cuda::Reduce(cuda::kRedNonzeroProd, t, clean.get(), rv, cuda::kF64, a, 1.0, false, kWriteTo, St(ctx));
    cuda::Reduce(cuda::kRedZeroCount, t, clean.get(), rv, cuda::kF64, a + L.out_size, 1.0, false, kWriteTo, St(ctx));
    cuda::ReduceBackward(cuda::kBackProd, t, og[0].dptr, clean.get(), nullptr, a, a + L.out_size, ToBackView(L),
                         full.get(), n, 1.0, kWriteTo, St(ctx));
  }
  cuda::MaskNan(t, full.get(), id[0].dptr, ig[0].dptr, n, req[0], St(ctx));
  CheckLaunch((p.op()->name + " backward").c_str());
}

// ---------------------------------------------------------------------------------------------------------------
// moments
// ---------------------------------------------------------------------------------------------------------------
// The reduction layout of moments' axes (checked by its shape inference).
RedLayout MomentsLayout(const OpParams &p, const TShape &d) {
  std::vector<bool> r(d.ndim(), false);
  for (int64_t a : p.Tuple("axes")) r[op::NormalizeAxis(p, a, d.ndim(), "axes", d)] = true;
  return op::MakeRedLayout(d, r);
}
void MomentsFwd(FWD_ARGS) {
  const int t = in[0].dtype;
  if (!IsReal(t) || out[0].dtype != t || out[1].dtype != t || p.IsNone("axes") || in[0].Size() == 0)
    return Fallback(ctx, p, in, req, out);
  const RedLayout L = MomentsLayout(p, in[0].shape);
  cuda::Moments(t, in[0].dptr, ToRedView(L), out[0].dptr, req[0], out[1].dptr, req[1], St(ctx));
  CheckLaunch("moments");
}
void MomentsBwd(BWD_ARGS) {
  if (req[0] == kNullOp) return;
  const int t = ig[0].dtype;
  if (!IsReal(t) || id.empty() || !id[0].dptr || od.empty() || !od[0].dptr || og.size() < 2 || !og[0].dptr ||
      !og[1].dptr || og[0].dtype != t || og[1].dtype != t || od[0].dtype != t || p.IsNone("axes"))
    return FallbackGrad(ctx, p, og, id, od, req, ig);
  const RedLayout L = MomentsLayout(p, ig[0].shape);
  const double count = L.out_size ? static_cast<double>(ig[0].Size() / L.out_size) : 1.0;
  cuda::MomentsGrad(t, id[0].dptr, og[0].dptr, og[1].dptr, od[0].dptr, ToBackView(L), count, ig[0].dptr,
                    ig[0].Size(), req[0], St(ctx));
  CheckLaunch("moments backward");
}

// ---------------------------------------------------------------------------------------------------------------
// ravel_multi_index, unravel_index, batch_take
// ---------------------------------------------------------------------------------------------------------------
template <bool kRavel>
void RavelFwd(FWD_ARGS) {
  const auto &shape = p.Tuple("shape");
  if (!Numeric(in[0].dtype) || shape.empty() || shape.size() > 10) return Fallback(ctx, p, in, req, out);
  cuda::RavelDims d;
  d.m = static_cast<int>(shape.size());
  int64_t st = 1;
  for (int k = d.m - 1; k >= 0; --k) {
    d.dim[k] = shape[k];
    d.stride[k] = st;
    st *= shape[k];
  }
  if (kRavel) cuda::Ravel(in[0].dtype, in[0].dptr, out[0].dptr, out[0].Size(), d, req[0], St(ctx));
  else cuda::Unravel(in[0].dtype, in[0].dptr, out[0].dptr, in[0].Size(), d, req[0], St(ctx));
  CheckLaunch(p.op()->name.c_str());
}

void BatchTakeFwd(FWD_ARGS) {
  const TBlob &a = in[0], &idx = in[1];
  const int64_t k = a.ndim() ? a.shape[a.ndim() - 1] : 0, n = out[0].Size();
  if (!Numeric(a.dtype) || !Numeric(idx.dtype) || k == 0) return Fallback(ctx, p, in, req, out);
  if (n == 0 || req[0] == kNullOp) return;
  Scratch rows(Dev(ctx), static_cast<size_t>(n) * sizeof(int64_t) + 8);
  cuda::ResolveIndices(idx.dtype, idx.dptr, n, k, cuda::kIndexClip, rows.as<int64_t>(), nullptr, St(ctx));
  cuda::BatchTake(a.dtype, a.dptr, rows.as<int64_t>(), out[0].dptr, n, k, req[0], St(ctx));
  CheckLaunch("batch_take");
}

// ---------------------------------------------------------------------------------------------------------------
// _random_uniform_like, _random_normal_like, _random_exponential(_like): counter-based draws on the device
// ---------------------------------------------------------------------------------------------------------------
FCompute RandomLikeFwd(int dist, const char *a, const char *b) {
  return [dist, a, b](FWD_ARGS) {
    if (!IsReal(out[0].dtype) || req[0] != kWriteTo || !ctx.rng) return Fallback(ctx, p, in, req, out);
    const uint64_t key = (*ctx.rng)();
    cuda::Random(out[0].dtype, dist, p.Float(a), p.Float(b), key, out[0].dptr, out[0].Size(), St(ctx));
    CheckLaunch(p.op()->name.c_str());
  };
}
// -log(u) / lam of uniform draws u in (0, 1), as the CPU's inverse transform.
void ExponentialFwd(FWD_ARGS) {
  if (!IsReal(out[0].dtype) || req[0] != kWriteTo || !ctx.rng) return Fallback(ctx, p, in, req, out);
  const int64_t n = out[0].Size();
  if (n == 0) return;
  Scratch u(Dev(ctx), static_cast<size_t>(n) * sizeof(double) + 8);
  const uint64_t key = (*ctx.rng)();
  cuda::Random(cuda::kF64, 0, 0.0, 1.0, key, u.get(), n, St(ctx));
  cuda::ExponentialFromUniform(out[0].dtype, u.as<double>(), p.Float("lam"), out[0].dptr, n, St(ctx));
  CheckLaunch(p.op()->name.c_str());
}

// _random_gamma/poisson/negative_binomial/generalized_negative_binomial and their _like (kinds 3-6 of
// cuda::SampleDist): scalar parameters (checked by the shape inference), drawn on the device.
double ScalarParam(const OpParams &p, const char *name) {
  const ParamSpec *s = p.op()->FindParam(name);
  return s && s->kind == ParamKind::kInt ? static_cast<double>(p.Int(name)) : p.Float(name);
}
FCompute ScalarDistFwd(int kind, const char *a, const char *b) {
  return [kind, a, b](FWD_ARGS) {
    if (!IsReal(out[0].dtype) || req[0] != kWriteTo || !ctx.rng) return Fallback(ctx, p, in, req, out);
    const uint64_t key = (*ctx.rng)();
    cuda::SampleDist(kind, out[0].dtype, nullptr, nullptr, ScalarParam(p, a), b ? ScalarParam(p, b) : 0.0, 1,
                     out[0].Size(), key, out[0].dtype, out[0].dptr, req[0], St(ctx));
    CheckLaunch(p.op()->name.c_str());
  };
}

void RandintFwd(FWD_ARGS) {
  const int t = out[0].dtype;
  if ((t != kInt32 && t != kInt64) || req[0] != kWriteTo || !ctx.rng) return Fallback(ctx, p, in, req, out);
  const uint64_t key = (*ctx.rng)();
  cuda::Randint(t, p.Int("low"), p.Int("high"), key, out[0].dptr, out[0].Size(), St(ctx));
  CheckLaunch("_random_randint");
}

// _sample_uniform (kind 0), _sample_normal (1), _sample_exponential (2), and the rejection samplers' _sample_gamma
// (3), _sample_poisson (4), _sample_negative_binomial (5), _sample_generalized_negative_binomial (6): the parameters are checked on the device
// first (an invalid one: the CPU kernel, which raises the operator's error), then standard draws are transformed.
FCompute SampleFwd(int kind) {
  return [kind](FWD_ARGS) {
    const int pt = in[0].dtype;
    for (const TBlob &b : in)
      if (b.dtype != pt) return Fallback(ctx, p, in, req, out);
    if (!IsReal(pt) || !IsReal(out[0].dtype) || !ctx.rng || req[0] == kAddTo) return Fallback(ctx, p, in, req, out);
    if (req[0] == kNullOp) return;
    const int64_t np = in[0].Size(), n = out[0].Size();
    if (np == 0 || n == 0) return;
    const void *th1 = in.size() > 1 ? in[1].dptr : nullptr;
    {
      Scratch bad(Dev(ctx), sizeof(unsigned long long));
      DeviceZero(ctx.dev, bad.get(), sizeof(unsigned long long));
      cuda::SampleCheck(kind, pt, in[0].dptr, th1, np, bad.as<unsigned long long>(), St(ctx));
      unsigned long long h = 0;
      DeviceCopy(Device::CPU(), &h, ctx.dev, bad.get(), sizeof(h));
      if (h) return Fallback(ctx, p, in, req, out);
    }
    const uint64_t key = (*ctx.rng)();
    if (kind >= 3) {  // rejection samplers, each element on its own stream
      cuda::SampleDist(kind, pt, in[0].dptr, th1, 0.0, 0.0, np, n / np, key, out[0].dtype, out[0].dptr, req[0],
                       St(ctx));
      CheckLaunch(p.op()->name.c_str());
      return;
    }
    Scratch r(Dev(ctx), static_cast<size_t>(n) * sizeof(double) + 8);
    cuda::Random(cuda::kF64, kind == 1 ? 1 : 0, 0.0, 1.0, key, r.get(), n, St(ctx));
    cuda::SampleTransform(kind, pt, in[0].dptr, th1, np, n / np, r.as<double>(), out[0].dtype, out[0].dptr, req[0],
                          St(ctx));
    CheckLaunch(p.op()->name.c_str());
  };
}

// ---------------------------------------------------------------------------------------------------------------
// khatri_rao (up to 8 inputs), _contrib_index_copy
// ---------------------------------------------------------------------------------------------------------------
void KhatriRaoFwd(FWD_ARGS) {
  const int t = out[0].dtype;
  bool ok = IsReal(t) && in.size() <= 8 && !in.empty();
  for (const TBlob &b : in) ok = ok && b.dtype == t;
  if (!ok) return Fallback(ctx, p, in, req, out);
  cuda::KhatriRaoArgs a{};
  a.n = static_cast<int>(in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    a.in[i] = in[i].dptr;
    a.rows[i] = in[i].shape[0];
  }
  cuda::KhatriRao(t, a, out[0].dptr, out[0].shape[0], out[0].shape[1], req[0], St(ctx));
  CheckLaunch("khatri_rao");
}

// The index vector read back to the host as the CPU reads it; false for a dtype it does not take here.
bool HostIndices(const TBlob &b, std::vector<int64_t> *idx) {
  const int64_t k = b.Size();
  std::vector<char> raw(static_cast<size_t>(k) * DTypeSize(b.dtype) + 8);
  if (k) DeviceCopy(Device::CPU(), raw.data(), b.dev, b.dptr, static_cast<size_t>(k) * DTypeSize(b.dtype));
  idx->resize(static_cast<size_t>(k));
  bool ok = true;
  auto conv = [&](auto tag) {
    using T = decltype(tag);
    const T *v = reinterpret_cast<const T *>(raw.data());
    for (int64_t i = 0; i < k; ++i) {
      if (std::is_floating_point<T>::value && !(v[i] > T(-9.2e18) && v[i] < T(9.2e18))) ok = false;  // NaN, huge
      else (*idx)[i] = static_cast<int64_t>(v[i]);
    }
  };
  switch (b.dtype) {
    case kFloat32: conv(float()); break;
    case kFloat64: conv(double()); break;
    case kUint8: conv(uint8_t()); break;
    case kInt8: conv(int8_t()); break;
    case kInt32: conv(int32_t()); break;
    case kInt64: conv(int64_t()); break;
    default: return false;
  }
  return ok;
}
// An int64 vector on the device (released at scope exit).
struct DeviceVec {
  Scratch mem;
  DeviceVec(const OpContext &ctx, const std::vector<int64_t> &v) : mem(Dev(ctx), v.size() * sizeof(int64_t) + 8) {
    if (!v.empty()) DeviceCopy(ctx.dev, mem.get(), Device::CPU(), v.data(), v.size() * sizeof(int64_t));
  }
  const int64_t *get() const { return mem.as<int64_t>(); }
};
// For each row of old_tensor, the row of new_tensor copied into it (the last one naming it), or -1; false when an
// index is out of range (the CPU kernel raises the error).
bool IndexCopyRows(const TBlob &old, const std::vector<int64_t> &idx, std::vector<int64_t> *src) {
  const int64_t rows = old.shape[0];
  src->assign(static_cast<size_t>(rows), -1);
  for (size_t i = 0; i < idx.size(); ++i) {
    if (idx[i] < 0 || idx[i] >= rows) return false;
    (*src)[idx[i]] = static_cast<int64_t>(i);
  }
  return true;
}
void IndexCopyFwd(FWD_ARGS) {
  std::vector<int64_t> idx, src;
  if (!Numeric(in[0].dtype) || in[2].dtype != in[0].dtype || in[0].ndim() < 1 || !HostIndices(in[1], &idx) ||
      !IndexCopyRows(in[0], idx, &src))
    return Fallback(ctx, p, in, req, out);
  const int64_t rows = in[0].shape[0], row = rows ? in[0].Size() / rows : 0;
  DeviceVec d(ctx, src);
  cuda::RowSelect(in[0].dtype, in[0].dptr, in[2].dptr, d.get(), rows, row, out[0].dptr, req[0], St(ctx));
  CheckLaunch("_contrib_index_copy");
}
void IndexCopyBwd(BWD_ARGS) {
  std::vector<int64_t> idx, src;
  if (!Numeric(og[0].dtype) || id.size() < 3 || !id[1].dptr || id[0].ndim() < 1 || !HostIndices(id[1], &idx))
    return FallbackGrad(ctx, p, og, id, od, req, ig);
  if (!IndexCopyRows(id[0], idx, &src)) return;  // the forward reported it
  ZeroIfWrite(ctx, ig[1], req[1]);
  const int64_t rows = id[0].shape[0], row = rows ? id[0].Size() / rows : 0;
  if (req[0] != kNullOp) {
    DeviceVec d(ctx, src);
    cuda::RowSelect(og[0].dtype, og[0].dptr, nullptr, d.get(), rows, row, ig[0].dptr, req[0], St(ctx));
  }
  if (req[2] != kNullOp) {
    DeviceVec d(ctx, idx);
    cuda::RowSelect(og[0].dtype, nullptr, og[0].dptr, d.get(), static_cast<int64_t>(idx.size()), row, ig[2].dptr,
                    req[2], St(ctx));
  }
  CheckLaunch("_contrib_index_copy backward");
}

// scatter_nd: for each index tuple i (indices (m, n)) its block of the output (blocks of `block` elements), -1 out of
// range; false for an index dtype read only by the CPU kernel.
bool NdBlocks(const TBlob &idx, const std::vector<int64_t> &shape, std::vector<int64_t> *blk, int64_t *block) {
  std::vector<int64_t> v;
  if (idx.ndim() < 1 || !HostIndices(idx, &v)) return false;
  const int m = static_cast<int>(idx.shape[0]);
  const int64_t n = m ? idx.Size() / m : 0;
  *block = 1;
  for (size_t a = m; a < shape.size(); ++a) *block *= shape[a];
  blk->assign(static_cast<size_t>(n), 0);
  for (int64_t i = 0; i < n; ++i)
    for (int k = 0; k < m && (*blk)[i] >= 0; ++k) {
      const int64_t x = v[k * n + i];
      (*blk)[i] = (x < 0 || x >= shape[k]) ? -1 : (*blk)[i] * shape[k] + x;
    }
  return true;
}
// The output's blocks receive the data of the last index tuple naming them (zeros elsewhere).
void ScatterNdFwd(FWD_ARGS) {
  std::vector<int64_t> blk;
  int64_t block = 0;
  if (!Numeric(in[0].dtype) || !NdBlocks(in[1], p.Tuple("shape"), &blk, &block) || block == 0)
    return Fallback(ctx, p, in, req, out);
  for (int64_t b : blk)
    if (b < 0) return Fallback(ctx, p, in, req, out);  // the CPU kernel raises the error
  const int64_t nblocks = out[0].Size() / block;
  std::vector<int64_t> sel(static_cast<size_t>(nblocks), -1);
  for (size_t i = 0; i < blk.size(); ++i) sel[blk[i]] = static_cast<int64_t>(i);
  DeviceVec d(ctx, sel);
  cuda::RowSelect(in[0].dtype, nullptr, in[0].dptr, d.get(), nblocks, block, out[0].dptr, req[0], St(ctx));
  CheckLaunch("scatter_nd");
}
// data's gradient: the head gradient's block of each index tuple (every tuple, repeated ones included, as the CPU).
void ScatterNdBwd(BWD_ARGS) {
  std::vector<int64_t> blk;
  int64_t block = 0;
  if (!Numeric(og[0].dtype) || id.size() < 2 || !id[1].dptr || !NdBlocks(id[1], p.Tuple("shape"), &blk, &block))
    return FallbackGrad(ctx, p, og, id, od, req, ig);
  ZeroIfWrite(ctx, ig[1], req[1]);
  if (req[0] == kNullOp || block == 0) return;
  DeviceVec d(ctx, blk);
  cuda::RowSelect(og[0].dtype, nullptr, og[0].dptr, d.get(), static_cast<int64_t>(blk.size()), block, ig[0].dptr,
                  req[0], St(ctx));
  CheckLaunch("scatter_nd backward");
}

// ---------------------------------------------------------------------------------------------------------------
// _random_pdf_<d> (all but dirichlet): sample (np, per...), parameters of np elements each
// ---------------------------------------------------------------------------------------------------------------
FCompute PdfFwd(int dist) {
  return [dist](FWD_ARGS) {
    const int t = in[0].dtype;
    bool ok = IsReal(t) && out[0].dtype == t && in.size() >= 2 && in.size() <= 3;
    for (const TBlob &b : in) ok = ok && b.dtype == t;
    if (!ok) return Fallback(ctx, p, in, req, out);
    const int64_t np = in[1].Size(), per = np == 0 ? 0 : in[0].Size() / np;
    cuda::RandomPdf(dist, t, in[0].dptr, in[1].dptr, in.size() > 2 ? in[2].dptr : nullptr, np, per, p.Bool("is_log"),
                    out[0].dptr, req[0], St(ctx));
    CheckLaunch(p.op()->name.c_str());
  };
}
FBackward PdfBwd(int dist) {
  return [dist](BWD_ARGS) {
    (void)od;
    const int t = og[0].dtype;
    bool ok = IsReal(t) && id.size() >= 2 && id.size() <= 3;
    for (const TBlob &b : id) ok = ok && b.dptr && b.dtype == t;
    if (!ok) return FallbackGrad(ctx, p, og, id, od, req, ig);
    const int64_t np = id[1].Size(), per = np == 0 ? 0 : id[0].Size() / np;
    const bool two = id.size() > 2;
    cuda::RandomPdfGrad(dist, t, og[0].dptr, id[0].dptr, id[1].dptr, two ? id[2].dptr : nullptr, np, per,
                        p.Bool("is_log"), ig[0].dptr, req[0], ig[1].dptr, req[1], two ? ig[2].dptr : nullptr,
                        two ? req[2] : kNullOp, St(ctx));
    CheckLaunch((p.op()->name + " backward").c_str());
  };
}

}  // namespace

void RegisterMoreKernels() {
  const MoreUnaryDef unary[] = {
      {"erf", cuda::kErf, true, false},         {"erfinv", cuda::kErfinv, false, true},
      {"gamma", cuda::kGamma, true, true},      {"gammaln", cuda::kGammaln, true, false},
      {"rcbrt", cuda::kRcbrt, false, true},     {"softsign", cuda::kSoftsignFn, true, false},
      {"hard_sigmoid", cuda::kHardSigmoid, true, false}};
  for (const auto &u : unary) Set(u.name, MoreUnaryFwd(u.code), MoreUnaryBwd(u));
  Set("_contrib_isnan", MoreUnaryFwd(cuda::kIsNan), ZeroGrads);
  Set("_contrib_isinf", MoreUnaryFwd(cuda::kIsInf), ZeroGrads);
  Set("_contrib_isfinite", MoreUnaryFwd(cuda::kIsFinite), ZeroGrads);

  const std::pair<const char *, int> logical[] = {
      {"and", cuda::kLogicalAnd}, {"or", cuda::kLogicalOr}, {"xor", cuda::kLogicalXor}};
  for (const auto &l : logical) {
    const std::string s = l.first;
    Set(("_logical_" + s).c_str(), MoreBinaryFwd(l.second, false), ZeroGrads);
    Set(("_logical_" + s + "_scalar").c_str(), MoreScalarFwd(l.second), ZeroGrads);
    Set(("broadcast_logical_" + s).c_str(), MoreBinaryFwd(l.second, true), ZeroGrads);
  }
  Set("broadcast_hypot", MoreBinaryFwd(cuda::kHypot, true), HypotBwd);

  Set("_linspace", LinspaceFwd);
  Set("_eye", EyeFwd);
  Set("_contrib_arange_like", ArangeLikeFwd, ZeroGrads);
  Set("shape_array", ShapeArrayFwd<false>, ZeroGrads);
  Set("size_array", ShapeArrayFwd<true>, ZeroGrads);
  Set("depth_to_space", BlockFwd<true>, BlockBwd<true>);
  Set("space_to_depth", BlockFwd<false>, BlockBwd<false>);
  Set("diag", DiagFwd, DiagBwd);
  Set("broadcast_like", LikeFwd, BroadcastLikeBwd);
  Set("slice_like", LikeFwd, SliceLikeBwd);

  Set("softmin", SoftminFwd, SoftminBwd);
  Set("SoftmaxActivation", SoftmaxActivationFwd, SoftmaxActivationBwd);
  Set("Pad", PadFwd, PadBwd);
  Set("cumsum", CumsumFwd, CumsumBwd);
  Set("nansum", NanReduceFwd<false>, NanReduceBwd<false>);
  Set("nanprod", NanReduceFwd<true>, NanReduceBwd<true>);
  Set("moments", MomentsFwd, MomentsBwd);
  Set("ravel_multi_index", RavelFwd<true>);
  Set("unravel_index", RavelFwd<false>);
  Set("batch_take", BatchTakeFwd);
  Set("_random_uniform_like", RandomLikeFwd(0, "low", "high"));
  Set("_random_normal_like", RandomLikeFwd(1, "loc", "scale"));
  Set("_random_exponential", ExponentialFwd);
  Set("_random_exponential_like", ExponentialFwd);
  Set("_sample_uniform", SampleFwd(0));
  Set("_sample_normal", SampleFwd(1));
  Set("_sample_exponential", SampleFwd(2));
  Set("_random_randint", RandintFwd);
  struct ScalarDist {
    const char *d;
    int kind;
    const char *a, *b;
  };
  const ScalarDist dists[] = {{"gamma", 3, "alpha", "beta"},
                              {"poisson", 4, "lam", nullptr},
                              {"negative_binomial", 5, "k", "p"},
                              {"generalized_negative_binomial", 6, "mu", "alpha"}};
  for (const auto &d : dists) {
    const std::string n = d.d;
    Set(("_random_" + n).c_str(), ScalarDistFwd(d.kind, d.a, d.b));
    Set(("_random_" + n + "_like").c_str(), ScalarDistFwd(d.kind, d.a, d.b));
    Set(("_sample_" + n).c_str(), SampleFwd(d.kind));
  }
  Set("khatri_rao", KhatriRaoFwd);
  Set("scatter_nd", ScatterNdFwd, ScatterNdBwd);
  const char *pdfs[] = {"uniform", "normal", "gamma", "exponential", "poisson", "negative_binomial",
                        "generalized_negative_binomial"};
  for (int d = 0; d < 7; ++d)
    Set((std::string("_random_pdf_") + pdfs[d]).c_str(), PdfFwd(d), PdfBwd(d));
  Set("_contrib_index_copy", IndexCopyFwd, IndexCopyBwd);
  RegisterMoreNnKernels();
  RegisterMoreLaKernels();
}

}  // namespace gpu
}  // namespace mxc
