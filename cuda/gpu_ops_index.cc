// GPU kernels of cuda/index.cu (kernels_index.cuh) for the indexing operators (take, pick, gather_nd, one_hot, where,
// argmax/argmin), slice assignment, clip, _arange, the remaining unary functions, the nn extras (Dropout, LeakyReLU,
// BatchNorm, the loss heads) and rmsprop: see RegisterIndexKernels in cuda/gpu_ops.h.
//
// Float32/float64 data run natively; other dtypes (and the few calls noted below) run the host-staged CPU kernel.
// Index inputs may have any dtype but float16 and are read on the device as the CPU reads them.
#include <algorithm>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "device.h"
#include "gpu_device.h"
#include "gpu_ops.h"
#include "kernels.cuh"
#include "kernels_index.cuh"
#include "operator.h"
#include "ops/op_util.h"
#include "ops/slice_assign.h"

namespace mxc {
namespace gpu {

namespace {

using op::AxisSplit;
using op::SplitAt;

bool IndexDtype(int t) { return t >= kFloat32 && t <= kBool && t != kFloat16; }
int Axis(int64_t a, int ndim) { return static_cast<int>(a < 0 ? a + ndim : a); }

// ---------------------------------------------------------------------------------------------------------------
// Out-of-range indices (mode 'raise', gather_nd): the kernels flag the first bad position in device memory; reading
// the flag back waits for the stream, so only these calls synchronise.
// ---------------------------------------------------------------------------------------------------------------
struct BadFlag {
  Scratch mem;
  explicit BadFlag(const OpContext &ctx) : mem(Dev(ctx), sizeof(unsigned long long)) {}
  unsigned long long *get() const { return mem.as<unsigned long long>(); }
  // The flagged position, or -1.
  int64_t Read(const OpContext &ctx) const {
    unsigned long long h = 0;
    DeviceCopy(Device::CPU(), &h, ctx.dev, get(), sizeof(h));
    return h == ~0ull ? -1 : static_cast<int64_t>(h);
  }
};

// Index i of b read back to the host as the CPU reads it (INT64_MIN for NaN or beyond int64).
int64_t HostIndex(const OpContext &ctx, const TBlob &b, int64_t i) {
  const size_t es = DTypeSize(b.dtype);
  char buf[8] = {0};
  DeviceCopy(Device::CPU(), buf, ctx.dev, static_cast<const char *>(b.dptr) + i * es, es);
  auto from_double = [](double d) { return (d > -9.2e18 && d < 9.2e18) ? static_cast<int64_t>(d) : INT64_MIN; };
  switch (b.dtype) {
    case kFloat32: { float v; std::memcpy(&v, buf, 4); return from_double(v); }
    case kFloat64: { double v; std::memcpy(&v, buf, 8); return from_double(v); }
    case kUint8: return static_cast<uint8_t>(buf[0]);
    case kInt8: return static_cast<int8_t>(buf[0]);
    case kInt32: { int32_t v; std::memcpy(&v, buf, 4); return v; }
    case kInt64: { int64_t v; std::memcpy(&v, buf, 8); return v; }
    case kBool: return buf[0] != 0;
  }
  return INT64_MIN;
}
std::string IndexStr(int64_t j) { return j == INT64_MIN ? std::string("NaN") : std::to_string(j); }

int IndexMode(const OpParams &p) {
  const std::string &m = p.Str("mode");
  return m == "wrap" ? cuda::kIndexWrap : m == "raise" ? cuda::kIndexRaise : cuda::kIndexClip;
}

// Indices resolved to int64 rows on the device (clip/wrap; raise: checked here, with the CPU's IndexError).
struct Rows {
  Scratch mem;
  Rows(const OpContext &ctx, const TBlob &idx, int64_t n, int mode, bool check, const char *what)
      : mem(Dev(ctx), static_cast<size_t>(idx.Size()) * sizeof(int64_t) + sizeof(int64_t)) {
    const bool raise = check && mode == cuda::kIndexRaise;
    std::unique_ptr<BadFlag> bad(raise ? new BadFlag(ctx) : nullptr);
    cuda::ResolveIndices(idx.dtype, idx.dptr, idx.Size(), n, mode, get(), raise ? bad->get() : nullptr, St(ctx));
    if (!raise) return;
    const int64_t at = bad->Read(ctx);
    if (at >= 0)
      Throw(ErrorKind::kIndex, what, ": index ", IndexStr(HostIndex(ctx, idx, at)),
            " is out of range for an axis of size ", n);
  }
  int64_t *get() const { return mem.as<int64_t>(); }
};

// ---------------------------------------------------------------------------------------------------------------
// take, pick, gather_nd, one_hot, where, argmax/argmin
// ---------------------------------------------------------------------------------------------------------------
AxisSplit TakeSplit(const OpParams &p, const TShape &a) { return SplitAt(a, Axis(p.Int("axis"), a.ndim())); }

void TakeFwd(FWD_ARGS) {
  const TBlob &a = in[0], &idx = in[1];
  const AxisSplit s = TakeSplit(p, a.shape);
  if (!IsReal(a.dtype) || !IndexDtype(idx.dtype) || (s.n == 0 && idx.Size() > 0))
    return Fallback(ctx, p, in, req, out);  // an axis of size 0 is the CPU's IndexError
  Rows rows(ctx, idx, s.n, IndexMode(p), true, "take");
  cuda::GatherRows(a.dtype, a.dptr, rows.get(), s.outer, s.n, s.inner, idx.Size(), out[0].dptr, req[0], St(ctx));
  CheckLaunch("take");
}
void TakeBwd(BWD_ARGS) {
  if (req[0] == kNullOp) {  // the indices' gradient alone: zeros
    ZeroIfWrite(ctx, ig[1], req[1]);
    return CheckLaunch("take backward");
  }
  const TBlob &idx = id[1];
  const AxisSplit s = TakeSplit(p, ig[0].shape);
  if (!IsReal(ig[0].dtype) || !idx.dptr || !IndexDtype(idx.dtype) || (s.n == 0 && idx.Size() > 0))
    return FallbackGrad(ctx, p, og, id, od, req, ig);
  ZeroIfWrite(ctx, ig[1], req[1]);
  if (req[0] == kNullOp) return;
  Rows rows(ctx, idx, s.n, IndexMode(p), false, "take");  // the forward pass checked them
  cuda::ScatterAddRows(ig[0].dtype, og[0].dptr, rows.get(), s.outer, s.n, s.inner, idx.Size(), ig[0].dptr, req[0],
                       St(ctx));
  CheckLaunch("take backward");
}

// pick: data as (outer, n, inner), the index and output as (outer, inner); axis None: the flattened data.
AxisSplit PickSplit(const OpParams &p, const TShape &d) {
  AxisSplit s;
  if (p.IsNone("axis")) s.n = ShapeSize(d);
  else s = SplitAt(d, Axis(p.Int("axis"), d.ndim()));
  return s;
}
void PickFwd(FWD_ARGS) {
  const AxisSplit s = PickSplit(p, in[0].shape);
  if (!IsReal(in[0].dtype) || !IndexDtype(in[1].dtype) || (s.n == 0 && in[1].Size() > 0))
    return Fallback(ctx, p, in, req, out);
  if (req[0] == kNullOp) return;
  Rows rows(ctx, in[1], s.n, IndexMode(p), false, "pick");
  cuda::Pick(in[0].dtype, in[0].dptr, rows.get(), s.outer, s.n, s.inner, out[0].dptr, req[0], St(ctx));
  CheckLaunch("pick");
}
void PickBwd(BWD_ARGS) {
  const AxisSplit s = PickSplit(p, ig[0].shape);
  if (!IsReal(ig[0].dtype) || !id[1].dptr || !IndexDtype(id[1].dtype) || (s.n == 0 && id[1].Size() > 0))
    return FallbackGrad(ctx, p, og, id, od, req, ig);
  ZeroIfWrite(ctx, ig[1], req[1]);
  if (req[0] == kNullOp) return;
  Rows rows(ctx, id[1], s.n, IndexMode(p), false, "pick");
  cuda::PickGrad(ig[0].dtype, og[0].dptr, rows.get(), s.outer, s.n, s.inner, ig[0].dptr, req[0], St(ctx));
  CheckLaunch("pick backward");
}

// gather_nd: indices (M, Y...) -> row offsets into data viewed as (prod(shape[:M]), inner). Out-of-range tuples are
// the CPU's IndexError (check: the forward pass reads the flag back).
struct NdRows {
  Scratch mem;
  int64_t Y = 0, inner = 1, rows_total = 1;
  NdRows(const OpContext &ctx, const TShape &d, const TBlob &idx, bool check)
      : mem(Dev(ctx), static_cast<size_t>(idx.Size()) * sizeof(int64_t) + sizeof(int64_t)) {
    const int64_t M = idx.shape[0];
    Y = idx.Size() / std::max<int64_t>(M, 1);
    inner = Prod(d, static_cast<int>(M), d.ndim());
    rows_total = Prod(d, 0, static_cast<int>(M));
    std::vector<int64_t> dims(d.begin(), d.begin() + M);
    BadFlag bad(ctx);
    cuda::GatherNdRows(idx.dtype, idx.dptr, M, Y, dims.data(), get(), bad.get(), St(ctx));
    if (!check) return;
    const int64_t y = bad.Read(ctx);
    if (y < 0) return;
    for (int64_t k = 0; k < M; ++k) {  // the first bad axis of tuple y, as the CPU reports it
      int64_t v = HostIndex(ctx, idx, k * Y + y), j = v;
      if (j < 0 && j != INT64_MIN) j += d[k];
      if (j < 0 || j >= d[k])
        Throw(ErrorKind::kIndex, "gather_nd: index ", v, " is out of range for axis ", k, " of data shape ",
              ShapeStr(d));
    }
  }
  int64_t *get() const { return mem.as<int64_t>(); }
};
bool GatherNdOk(const TShape &d, const TBlob &idx) {
  return idx.dptr && IndexDtype(idx.dtype) && idx.ndim() >= 1 && idx.shape[0] >= 1 && idx.shape[0] <= d.ndim() &&
         idx.shape[0] <= cuda::kIndexMaxDim;
}
void GatherNdFwd(FWD_ARGS) {
  if (!IsReal(in[0].dtype) || !GatherNdOk(in[0].shape, in[1])) return Fallback(ctx, p, in, req, out);
  NdRows rows(ctx, in[0].shape, in[1], true);
  cuda::GatherRows(in[0].dtype, in[0].dptr, rows.get(), 1, 0, rows.inner, rows.Y, out[0].dptr, req[0], St(ctx));
  CheckLaunch("gather_nd");
}
void GatherNdBwd(BWD_ARGS) {
  if (!IsReal(ig[0].dtype) || !GatherNdOk(ig[0].shape, id[1])) return FallbackGrad(ctx, p, og, id, od, req, ig);
  ZeroIfWrite(ctx, ig[1], req[1]);
  if (req[0] == kNullOp) return;
  NdRows rows(ctx, ig[0].shape, id[1], false);
  cuda::ScatterAddRows(ig[0].dtype, og[0].dptr, rows.get(), 1, rows.rows_total, rows.inner, rows.Y, ig[0].dptr,
                       req[0], St(ctx));
  CheckLaunch("gather_nd backward");
}

void OneHotFwd(FWD_ARGS) {
  if (!IsReal(out[0].dtype) || !IndexDtype(in[0].dtype)) return Fallback(ctx, p, in, req, out);
  cuda::OneHot(out[0].dtype, in[0].dtype, in[0].dptr, in[0].Size(), p.Int("depth"), p.Float("on_value"),
               p.Float("off_value"), out[0].dptr, req[0], St(ctx));
  CheckLaunch("one_hot");
}
void ZeroGradBwd(BWD_ARGS) {  // operators whose inputs get no gradient
  (void)p, (void)og, (void)id, (void)od;
  for (size_t i = 0; i < ig.size(); ++i) ZeroIfWrite(ctx, ig[i], req[i]);
  CheckLaunch("zero gradient");
}

// where: condition of the shape of x, or one value per row (first axis) of x.
int64_t WherePer(const TShape &c, const TShape &x) {
  if (c == x) return 1;
  return x[0] ? ShapeSize(x) / x[0] : 1;
}
void WhereFwd(FWD_ARGS) {
  if (!IsReal(out[0].dtype) || !IndexDtype(in[0].dtype)) return Fallback(ctx, p, in, req, out);
  cuda::Where(out[0].dtype, in[0].dtype, in[0].dptr, WherePer(in[0].shape, in[1].shape), in[1].dptr, in[2].dptr,
              out[0].dptr, out[0].Size(), req[0], St(ctx));
  CheckLaunch("where");
}
void WhereBwd(BWD_ARGS) {
  if (!IsReal(og[0].dtype) || !id[0].dptr || !IndexDtype(id[0].dtype)) return FallbackGrad(ctx, p, og, id, od, req, ig);
  ZeroIfWrite(ctx, ig[0], req[0]);
  cuda::WhereGrad(og[0].dtype, id[0].dtype, id[0].dptr, WherePer(id[0].shape, og[0].shape), og[0].dptr, ig[1].dptr,
                  req[1], ig[2].dptr, req[2], og[0].Size(), St(ctx));
  CheckLaunch("where backward");
}

// argmax/argmin along axis (None: the flattened input); argmax_channel (no axis parameter) along axis 1.
FCompute ArgFwd(bool is_max) {
  return [is_max](FWD_ARGS) {
    const TBlob &x = in[0];
    if (!(IsReal(x.dtype) || IsInt(x.dtype)) || out[0].dtype != x.dtype) return Fallback(ctx, p, in, req, out);
    AxisSplit s;
    if (p.op()->ParamIndex("axis") < 0) s = SplitAt(x.shape, std::min(1, x.ndim() - 1));
    else if (p.IsNone("axis")) s.n = x.Size();
    else s = SplitAt(x.shape, Axis(p.Int("axis"), x.ndim()));
    cuda::ArgExtreme(x.dtype, is_max, x.dptr, s.outer, s.n, s.inner, out[0].dptr, req[0], St(ctx));
    CheckLaunch(p.op()->name.c_str());
  };
}

// ---------------------------------------------------------------------------------------------------------------
// clip, unary functions, _arange, slice assignment
// ---------------------------------------------------------------------------------------------------------------
void ClipFwd(FWD_ARGS) {
  if (!IsReal(in[0].dtype) && !IsInt(in[0].dtype)) return Fallback(ctx, p, in, req, out);
  cuda::Clip(in[0].dtype, in[0].dptr, p.Float("a_min"), p.Float("a_max"), out[0].dptr, out[0].Size(), req[0],
             St(ctx));
  CheckLaunch("clip");
}
void ClipBwd(BWD_ARGS) {
  if (!IsReal(og[0].dtype) || !id[0].dptr) return FallbackGrad(ctx, p, og, id, od, req, ig);
  cuda::ClipGrad(og[0].dtype, og[0].dptr, id[0].dptr, p.Float("a_min"), p.Float("a_max"), ig[0].dptr, ig[0].Size(),
                 req[0], St(ctx));
  CheckLaunch("clip backward");
}

// What the CPU gradient of a unary function reads: the input, the output, nothing (a constant factor), or nothing
// (piecewise constant: zero gradient).
enum class GradUses { kIn, kOut, kConst, kZero };
struct UnaryDef {
  const char *name;
  int code;
  GradUses uses;
  double factor;  // kConst: the derivative
};

FBackward UnaryBwdOf(const UnaryDef &u) {
  return [u](BWD_ARGS) {
    const int t = ig[0].dtype;
    const int64_t n = ig[0].Size();
    switch (u.uses) {
      case GradUses::kZero:
        ZeroIfWrite(ctx, ig[0], req[0]);
        break;
      case GradUses::kConst:
        if (!IsReal(t)) return FallbackGrad(ctx, p, og, id, od, req, ig);
        cuda::Scalar(cuda::kMul, t, og[0].dptr, u.factor, false, ig[0].dptr, n, req[0], St(ctx));
        break;
      case GradUses::kOut:
        if (IsReal(t) && !od.empty() && od[0].dptr) {
          cuda::UnaryGradFromOut(u.code, t, og[0].dptr, od[0].dptr, ig[0].dptr, n, req[0], St(ctx));
          break;
        }
        [[fallthrough]];  // f'(x) from the input when the output is not at hand
      case GradUses::kIn:
        if (!IsReal(t) || id.empty() || !id[0].dptr) return FallbackGrad(ctx, p, og, id, od, req, ig);
        cuda::UnaryGrad(u.code, t, og[0].dptr, id[0].dptr, ig[0].dptr, n, req[0], St(ctx));
        break;
    }
    CheckLaunch(p.op()->name.c_str());
  };
}

void ArangeFwd(FWD_ARGS) {
  (void)in;
  const int64_t repeat = p.Int("repeat");
  if (!IsReal(out[0].dtype) || repeat <= 0) return Fallback(ctx, p, in, req, out);
  const double start = p.IsNone("stop") ? 0.0 : p.Float("start");
  cuda::Arange(out[0].dtype, start, p.Float("step"), repeat, out[0].dptr, out[0].Size(), req[0], St(ctx));
  CheckLaunch("_arange");
}

// The region of x[begin:end:step], as the CPU computes it (core/ops/slice_assign.h). false: more axes than the
// kernel takes.
bool MakeRegion(const OpParams &p, const TShape &shape, cuda::SliceRegion *r, int64_t *size) {
  if (shape.ndim() > cuda::kIndexMaxDim) return false;
  const op::Region c = op::MakeRegion(p, shape);
  r->nd = c.nd;
  for (int d = 0; d < c.nd; ++d) {
    r->shape[d] = c.shape[d];
    r->start[d] = c.start[d];
    r->step[d] = c.step[d];
    r->len[d] = c.len[d];
  }
  *size = c.size;
  return true;
}

bool Overlaps(const TBlob &a, const TBlob &b) {
  const char *pa = static_cast<const char *>(a.dptr), *pb = static_cast<const char *>(b.dptr);
  const size_t na = a.Size() * DTypeSize(a.dtype), nb = b.Size() * DTypeSize(b.dtype);
  return pa < pb + nb && pb < pa + na;
}

void SliceAssignFwd(FWD_ARGS) {
  cuda::SliceRegion r;
  int64_t size;
  const int t = out[0].dtype;
  if (!MakeRegion(p, out[0].shape, &r, &size) || (req[0] == kAddTo && !IsReal(t)))
    return Fallback(ctx, p, in, req, out);
  if (req[0] == kNullOp) return;
  const TBlob &rhs = in[1];
  const void *src = rhs.dptr;
  std::unique_ptr<Scratch> copy;
  if (Overlaps(rhs, out[0])) {  // rhs is a view of the output: read it before writing
    const size_t bytes = rhs.Size() * DTypeSize(rhs.dtype);
    copy.reset(new Scratch(Dev(ctx), bytes + 8));
    Check(cudaMemcpyAsync(copy->get(), rhs.dptr, bytes, cudaMemcpyDeviceToDevice, St(ctx)), "_slice_assign");
    src = copy->get();
  }
  cuda::SliceAssign(t, r, in[0].dptr, src, 0.0, out[0].dptr, out[0].Size(), req[0], St(ctx));
  CheckLaunch("_slice_assign");
}
void SliceAssignScalarFwd(FWD_ARGS) {
  cuda::SliceRegion r;
  int64_t size;
  if (!IsReal(out[0].dtype) || !MakeRegion(p, out[0].shape, &r, &size)) return Fallback(ctx, p, in, req, out);
  cuda::SliceAssign(out[0].dtype, r, in[0].dptr, nullptr, p.Float("scalar"), out[0].dptr, out[0].Size(), req[0],
                    St(ctx));
  CheckLaunch("_slice_assign_scalar");
}
// Both: d lhs = og outside the region (0 inside), d rhs = the region of og.
void SliceAssignBwd(BWD_ARGS) {
  cuda::SliceRegion r;
  int64_t size;
  if (!IsReal(og[0].dtype) || !MakeRegion(p, og[0].shape, &r, &size))
    return FallbackGrad(ctx, p, og, id, od, req, ig);
  const bool has_rhs = ig.size() > 1;
  cuda::SliceAssignGrad(og[0].dtype, r, og[0].dptr, ig[0].dptr, req[0], has_rhs ? ig[1].dptr : nullptr,
                        has_rhs ? req[1] : kNullOp, og[0].Size(), St(ctx));
  CheckLaunch("_slice_assign backward");
}

// ---------------------------------------------------------------------------------------------------------------
// Dropout, LeakyReLU, BatchNorm
// ---------------------------------------------------------------------------------------------------------------
void DropoutFwd(FWD_ARGS) {
  const int t = in[0].dtype;
  const double prob = p.Float("p");
  const bool active = (p.Str("mode") == "always" || ctx.is_train) && prob > 0;
  if (!IsReal(t) || out.size() < 2 || !out[1].dptr || (active && !ctx.rng) || in[0].ndim() > cuda::kIndexMaxDim)
    return Fallback(ctx, p, in, req, out);
  const int64_t n = in[0].Size();
  void *mask = out[1].dptr;
  if (active) {
    // Uniform draws from the device generator (cuda::Random, keyed by the op's generator), one per element or per
    // position of the shape reduced along `axes`, turned into the mask.
    const uint64_t key = (*ctx.rng)();
    const TShape &shape = in[0].shape;
    const int nd = shape.ndim();
    std::vector<bool> shared(nd, false);
    bool any = false;
    for (auto a : p.Tuple("axes")) {
      shared[Axis(a, nd)] = true;
      any = true;
    }
    if (!any) {
      cuda::Random(t, 0, 0.0, 1.0, key, mask, n, St(ctx));
      cuda::DropoutMask(t, mask, 0, nullptr, nullptr, prob, mask, n, St(ctx));
    } else {
      std::vector<int64_t> dims(shape.begin(), shape.end()), rstride(nd, 0);
      int64_t rsize = 1;
      for (int i = nd - 1; i >= 0; --i) {
        rstride[i] = shared[i] ? 0 : rsize;
        if (!shared[i]) rsize *= shape[i];
      }
      Scratch draws(Dev(ctx), static_cast<size_t>(rsize) * DTypeSize(t) + 8);  // released stream-ordered
      cuda::Random(t, 0, 0.0, 1.0, key, draws.get(), rsize, St(ctx));
      cuda::DropoutMask(t, draws.get(), nd, dims.data(), rstride.data(), prob, mask, n, St(ctx));
    }
  } else {
    cuda::Fill(t, mask, n, 1.0, 1, St(ctx));
  }
  cuda::Binary(cuda::kMul, t, in[0].dptr, mask, out[0].dptr, n, req[0], St(ctx));
  CheckLaunch("Dropout");
}
void DropoutBwd(BWD_ARGS) {
  if (req[0] == kNullOp) return;
  if (od.size() < 2 || !od[1].dptr || !IsReal(od[1].dtype)) return FallbackGrad(ctx, p, og, id, od, req, ig);
  cuda::Binary(cuda::kMul, od[1].dtype, og[0].dptr, od[1].dptr, ig[0].dptr, ig[0].Size(), req[0], St(ctx));
  CheckLaunch("Dropout backward");
}

enum LeakyAct { kElu = 0, kGelu, kLeaky, kPrelu, kRrelu, kSelu };  // the order of act_type's options
struct PreluGeom {
  int64_t gsize = 0, c = 1, inner = 1;
};
PreluGeom GetPrelu(const TShape &s, const TBlob *gamma) {
  PreluGeom g;
  if (gamma) g.gsize = gamma->Size();
  g.c = s.ndim() >= 2 ? s[1] : 1;
  g.inner = Prod(s, 2, s.ndim());
  return g;
}
void LeakyFwd(FWD_ARGS) {
  const int t = in[0].dtype;
  const int act = static_cast<int>(p.Get("act_type").i);
  const bool rrelu = act == kRrelu;
  if (!IsReal(t) || (act == kPrelu && in.size() < 2) || (rrelu && (out.size() < 2 || !out[1].dptr)) ||
      (rrelu && ctx.is_train && !ctx.rng))
    return Fallback(ctx, p, in, req, out);
  const int64_t n = in[0].Size();
  const PreluGeom g = GetPrelu(in[0].shape, act == kPrelu ? &in[1] : nullptr);
  const void *mask = nullptr;
  if (rrelu) {  // training: a random slope in [lower_bound, upper_bound) per element; otherwise their mean
    const double lo = p.Float("lower_bound"), hi = p.Float("upper_bound");
    if (ctx.is_train) cuda::Random(t, 0, lo, hi, (*ctx.rng)(), out[1].dptr, n, St(ctx));
    else cuda::Fill(t, out[1].dptr, n, (lo + hi) / 2, 1, St(ctx));
    mask = out[1].dptr;
  }
  cuda::LeakyRelu(t, act, in[0].dptr, p.Float("slope"), act == kPrelu ? in[1].dptr : nullptr, g.gsize, g.c, g.inner,
                  mask, out[0].dptr, n, req[0], St(ctx));
  CheckLaunch("LeakyReLU");
}
void LeakyBwd(BWD_ARGS) {
  const int t = og[0].dtype;
  const int act = static_cast<int>(p.Get("act_type").i);
  if (!IsReal(t) || id.empty() || !id[0].dptr || (act == kPrelu && (id.size() < 2 || !id[1].dptr)) ||
      (act == kRrelu && (od.size() < 2 || !od[1].dptr)))
    return FallbackGrad(ctx, p, og, id, od, req, ig);
  const int64_t n = id[0].Size();
  const PreluGeom g = GetPrelu(id[0].shape, act == kPrelu ? &id[1] : nullptr);
  const void *gamma = act == kPrelu ? id[1].dptr : nullptr;
  cuda::LeakyReluGrad(t, act, og[0].dptr, id[0].dptr, p.Float("slope"), gamma, g.gsize, g.c, g.inner,
                      act == kRrelu ? od[1].dptr : nullptr, ig[0].dptr, n, req[0], St(ctx));
  if (act == kPrelu && req.size() > 1 && req[1] != kNullOp)
    cuda::PreluGammaGrad(t, og[0].dptr, id[0].dptr, g.gsize, g.c, g.inner, ig[1].dptr, n, req[1], St(ctx));
  CheckLaunch("LeakyReLU backward");
}

// BatchNorm: batch statistics when training without use_global_stats (updating the moving ones), else the moving
// statistics. Inputs data, gamma, beta, moving_mean, moving_var; outputs out, mean, inverse std.
AxisSplit BNSplit(const OpParams &p, const TShape &d) { return SplitAt(d, Axis(p.Int("axis"), d.ndim())); }
bool BNBatch(const OpContext &ctx, const OpParams &p) { return ctx.is_train && !p.Bool("use_global_stats"); }

void BNFwd(FWD_ARGS) {
  const int t = in[0].dtype;
  if (!IsReal(t) || in.size() < 5 || out.size() < 3 || !out[1].dptr || !out[2].dptr)
    return Fallback(ctx, p, in, req, out);
  const AxisSplit s = BNSplit(p, in[0].shape);
  cuda::BatchNorm(t, in[0].dptr, in[1].dptr, in[2].dptr, in[3].dptr, in[4].dptr, out[0].dptr, out[1].dptr,
                  out[2].dptr, s.outer, s.n, s.inner, p.Float("eps"), p.Float("momentum"), p.Bool("fix_gamma"),
                  BNBatch(ctx, p), req[0], St(ctx));
  CheckLaunch("BatchNorm");
}
void BNBwd(BWD_ARGS) {
  const int t = og[0].dtype;
  if (!IsReal(t) || id.size() < 2 || !id[0].dptr || !id[1].dptr || od.size() < 3 || !od[1].dptr || !od[2].dptr)
    return FallbackGrad(ctx, p, og, id, od, req, ig);
  const AxisSplit s = BNSplit(p, id[0].shape);
  cuda::BatchNormGrad(t, og[0].dptr, id[0].dptr, id[1].dptr, od[1].dptr, od[2].dptr, ig[0].dptr, req[0], ig[1].dptr,
                      req[1], ig[2].dptr, req[2], s.outer, s.n, s.inner, p.Bool("fix_gamma"), BNBatch(ctx, p),
                      St(ctx));
  CheckLaunch("BatchNorm backward");
}

// ---------------------------------------------------------------------------------------------------------------
// Loss heads
// ---------------------------------------------------------------------------------------------------------------
void CopyFwd(FWD_ARGS) {  // out (=|+=) data; a copy onto itself is a no-op
  if (req[0] == kNullOp || (req[0] != kAddTo && in[0].dptr == out[0].dptr)) return;
  cuda::Cast(in[0].dtype, in[0].dptr, out[0].dtype, out[0].dptr, out[0].Size(), req[0], St(ctx));
  CheckLaunch(p.op()->name.c_str());
}

enum RegressionKind { kLinear, kLogistic, kMAE };
FCompute RegressionFwd(int kind) {
  return [kind](FWD_ARGS) {
    if (kind != kLogistic) return CopyFwd(ctx, p, in, req, out);
    if (!IsReal(in[0].dtype)) return Fallback(ctx, p, in, req, out);
    cuda::Unary(cuda::kSigmoid, in[0].dtype, in[0].dptr, out[0].dptr, out[0].Size(), req[0], St(ctx));
    CheckLaunch(p.op()->name.c_str());
  };
}
// grad = f(out - label) * grad_scale / (outputs per sample), f the identity or sign (MAE); the label gets zero.
FBackward RegressionBwd(int kind) {
  return [kind](BWD_ARGS) {
    if (!IsReal(od[0].dtype) || !od[0].dptr || !id[1].dptr) return FallbackGrad(ctx, p, og, id, od, req, ig);
    ZeroIfWrite(ctx, ig[1], req[1]);
    if (req[0] != kNullOp) {
      const TBlob &label = id[1];
      const int64_t per = label.shape[0] == 0 ? 1 : label.Size() / label.shape[0];
      cuda::RegressionGrad(od[0].dtype, kind == kMAE, od[0].dptr, label.dptr,
                           p.Float("grad_scale") / static_cast<double>(per), ig[0].dptr, od[0].Size(), req[0],
                           St(ctx));
    }
    CheckLaunch(p.op()->name.c_str());
  };
}

// MakeLoss: the gradient is grad_scale / (1, the batch size or the number of outputs above valid_thresh).
void MakeLossBwd(BWD_ARGS) {
  if (req[0] == kNullOp) return;
  if (!IsReal(ig[0].dtype) || od.empty() || !od[0].dptr) return FallbackGrad(ctx, p, og, id, od, req, ig);
  const TBlob &y = od[0];
  const std::string &norm = p.Str("normalization");
  double scale = p.Float("grad_scale");
  if (norm == "batch") scale /= static_cast<double>(y.shape[0]);
  cuda::MakeLossGrad(y.dtype, y.dptr, norm == "valid", p.Float("valid_thresh"), scale, ig[0].dptr, ig[0].Size(),
                     req[0], St(ctx));
  CheckLaunch("MakeLoss backward");
}
void OnesBwd(BWD_ARGS) {  // make_loss: the gradient is 1
  if (!IsReal(ig[0].dtype)) return FallbackGrad(ctx, p, og, id, od, req, ig);
  cuda::Fill(ig[0].dtype, ig[0].dptr, ig[0].Size(), 1.0, req[0], St(ctx));
  CheckLaunch("make_loss backward");
}

// ---------------------------------------------------------------------------------------------------------------
// rmsprop
// ---------------------------------------------------------------------------------------------------------------
FCompute RMSPropFwd(bool alex) {
  return [alex](FWD_ARGS) {
    if (!IsReal(in[0].dtype)) return Fallback(ctx, p, in, req, out);
    auto h = CommonHyper<cuda::RMSPropHyper>(p);
    h.gamma1 = p.Float("gamma1");
    h.gamma2 = alex ? p.Float("gamma2") : 0.0;
    h.epsilon = p.Float("epsilon");
    h.clip_weights = p.Float("clip_weights");
    cuda::RMSPropUpdate(in[0].dtype, alex, in[0].dptr, in[1].dptr, in[2].dptr, alex ? in[3].dptr : nullptr,
                        alex ? in[4].dptr : nullptr, out[0].dptr, in[0].Size(), h, req[0], St(ctx));
    CheckLaunch(p.op()->name.c_str());
  };
}

}  // namespace

void RegisterIndexKernels() {
  Set("take", TakeFwd, TakeBwd);
  Set("pick", PickFwd, PickBwd);
  Set("gather_nd", GatherNdFwd, GatherNdBwd);
  Set("one_hot", OneHotFwd, ZeroGradBwd);
  Set("where", WhereFwd, WhereBwd);
  Set("argmax", ArgFwd(true), ZeroGradBwd);
  Set("argmin", ArgFwd(false), ZeroGradBwd);
  Set("argmax_channel", ArgFwd(true), ZeroGradBwd);
  // Embedding: take along axis 0 of the weight with clipped indices.
  Set(
      "Embedding",
      [](FWD_ARGS) {
        const TBlob &w = in[1];
        if (!IsReal(w.dtype) || !IndexDtype(in[0].dtype) || w.ndim() != 2 || w.shape[0] == 0)
          return Fallback(ctx, p, in, req, out);
        Rows rows(ctx, in[0], w.shape[0], cuda::kIndexClip, false, "Embedding");
        cuda::GatherRows(w.dtype, w.dptr, rows.get(), 1, w.shape[0], w.shape[1], in[0].Size(), out[0].dptr, req[0],
                         St(ctx));
        CheckLaunch("Embedding");
      },
      [](BWD_ARGS) {
        const TBlob &gw = ig[1];
        if (!IsReal(gw.dtype) || !id[0].dptr || !IndexDtype(id[0].dtype) || gw.ndim() != 2 || gw.shape[0] == 0)
          return FallbackGrad(ctx, p, og, id, od, req, ig);
        ZeroIfWrite(ctx, ig[0], req[0]);
        if (req[1] != kNullOp) {
          Rows rows(ctx, id[0], gw.shape[0], cuda::kIndexClip, false, "Embedding");
          cuda::ScatterAddRows(gw.dtype, og[0].dptr, rows.get(), 1, gw.shape[0], gw.shape[1], id[0].Size(), gw.dptr,
                               req[1], St(ctx));
        }
        CheckLaunch("Embedding backward");
      });

  Set("clip", ClipFwd, ClipBwd);
  const double kDeg = 57.29577951308232, kRad = 0.017453292519943295;
  const UnaryDef unary[] = {
      {"arccos", cuda::kArccos, GradUses::kIn, 0}, {"arccosh", cuda::kArccosh, GradUses::kIn, 0},
      {"arcsin", cuda::kArcsin, GradUses::kIn, 0}, {"arcsinh", cuda::kArcsinh, GradUses::kIn, 0},
      {"arctan", cuda::kArctan, GradUses::kIn, 0}, {"arctanh", cuda::kArctanh, GradUses::kIn, 0},
      {"cbrt", cuda::kCbrt, GradUses::kOut, 0},    {"cosh", cuda::kCosh, GradUses::kIn, 0},
      {"sinh", cuda::kSinh, GradUses::kIn, 0},     {"tan", cuda::kTan, GradUses::kOut, 0},
      {"log10", cuda::kLog10, GradUses::kIn, 0},   {"log2", cuda::kLog2, GradUses::kIn, 0},
      {"degrees", cuda::kDegrees, GradUses::kConst, kDeg}, {"radians", cuda::kRadians, GradUses::kConst, kRad},
      {"fix", cuda::kTrunc, GradUses::kZero, 0},   {"trunc", cuda::kTrunc, GradUses::kZero, 0},
      {"rint", cuda::kRint, GradUses::kZero, 0},   {"logical_not", cuda::kLogicalNot, GradUses::kZero, 0}};
  for (const auto &u : unary) Set(u.name, UnaryFwd(u.code), UnaryBwdOf(u));
  Set("_arange", ArangeFwd);
  Set("_slice_assign", SliceAssignFwd, SliceAssignBwd);
  Set("_slice_assign_scalar", SliceAssignScalarFwd, SliceAssignBwd);

  Set("Dropout", DropoutFwd, DropoutBwd);
  Set("LeakyReLU", LeakyFwd, LeakyBwd);
  Set("BatchNorm", BNFwd, BNBwd);
  Set("_contrib_SyncBatchNorm", BNFwd, BNBwd);  // BatchNorm over the whole batch (one process)
  Set("LinearRegressionOutput", RegressionFwd(kLinear), RegressionBwd(kLinear));
  Set("LogisticRegressionOutput", RegressionFwd(kLogistic), RegressionBwd(kLogistic));
  Set("MAERegressionOutput", RegressionFwd(kMAE), RegressionBwd(kMAE));
  Set("MakeLoss", CopyFwd, MakeLossBwd);
  Set("make_loss", CopyFwd, OnesBwd);
  Set("rmsprop_update", RMSPropFwd(false));
  Set("rmspropalex_update", RMSPropFwd(true));
}

}  // namespace gpu
}  // namespace mxc
