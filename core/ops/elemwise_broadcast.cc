// NumPy-style broadcasting binary operators: broadcast_add, ..., broadcast_lesser_equal.
//
// Shapes are aligned from the right; a dimension of 1 (or a missing leading one) stretches to the other operand's.
// Kernels first compress the iteration space: output dimensions of size 1 are dropped and neighbouring dimensions in
// which each operand is either broadcast in both or in neither are merged. The common cases then become one or two
// dimensions (same shapes: one contiguous run; a scalar-like operand: one run with a repeated value; row or column
// vectors: rows of a matrix), and the innermost loop always walks contiguous memory (stride 1) or repeats one value
// (stride 0). Gradients sum over the broadcast dimensions.
#include "elemwise_util.h"

#ifdef _OPENMP
#include <omp.h>
#endif

namespace mxc {
namespace op {
namespace {

using namespace elem;

// The compressed iteration space of out = f(a, b).
struct Plan {
  int nd = 0;
  int64_t shape[kMaxDim];
  int64_t stride[2][kMaxDim];  // element strides of a and b per dimension (0: broadcast)
  int64_t total = 0;
  bool Inner(int k) const { return stride[k][nd - 1] != 0; }
};

Plan MakePlan(const TShape &a, const TShape &b, const TShape &out) {
  const int nd = out.ndim();
  Plan p;
  bool bc[2][kMaxDim];
  int64_t size[kMaxDim];
  int m = 0;
  for (int d = 0; d < nd; ++d) {
    int64_t od = out[d];
    if (od == 1) continue;
    int64_t ad = d >= nd - a.ndim() ? a[d - (nd - a.ndim())] : 1;
    int64_t bd = d >= nd - b.ndim() ? b[d - (nd - b.ndim())] : 1;
    bool abc = ad == 1, bbc = bd == 1;
    if (m > 0 && bc[0][m - 1] == abc && bc[1][m - 1] == bbc) {
      size[m - 1] *= od;
    } else {
      size[m] = od;
      bc[0][m] = abc;
      bc[1][m] = bbc;
      ++m;
    }
  }
  if (m == 0) {  // a single element
    size[0] = 1;
    bc[0][0] = bc[1][0] = false;
    m = 1;
  }
  p.nd = m;
  p.total = 1;
  int64_t acc[2] = {1, 1};
  for (int d = m - 1; d >= 0; --d) {
    p.shape[d] = size[d];
    p.total *= size[d];
    for (int k = 0; k < 2; ++k) {
      p.stride[k][d] = bc[k][d] ? 0 : acc[k];
      if (!bc[k][d]) acc[k] *= size[d];
    }
  }
  return p;
}

// A kernel for one run of output positions: pos is the output offset, oa and ob the operands' offsets at pos; within
// the run they advance by 1 or 0 (Plan::Inner). Kernels are plain functions (no per-lambda instantiation of the
// iteration and threading code below, which keeps compile times down).
using RunFn = void (*)(const void *ctx, int64_t pos, int64_t oa, int64_t ob, int64_t len);

// Calls fn for the runs covering output positions [start, end).
void PlanRange(const Plan &p, int64_t start, int64_t end, RunFn fn, const void *ctx) {
  if (start >= end) return;
  const int nd = p.nd;
  const int64_t n = p.shape[nd - 1];
  int64_t row = start / n, col = start % n;
  int64_t idx[kMaxDim];
  int64_t base[2] = {0, 0};
  for (int d = nd - 2; d >= 0; --d) {
    idx[d] = row % p.shape[d];
    row /= p.shape[d];
    base[0] += idx[d] * p.stride[0][d];
    base[1] += idx[d] * p.stride[1][d];
  }
  const int64_t ia = p.stride[0][nd - 1], ib = p.stride[1][nd - 1];
  int64_t pos = start;
  while (pos < end) {
    int64_t len = std::min(n - col, end - pos);
    fn(ctx, pos, base[0] + col * ia, base[1] + col * ib, len);
    pos += len;
    col = 0;
    for (int d = nd - 2; d >= 0; --d) {
      base[0] += p.stride[0][d];
      base[1] += p.stride[1][d];
      if (++idx[d] < p.shape[d]) break;
      base[0] -= p.stride[0][d] * p.shape[d];
      base[1] -= p.stride[1][d] * p.shape[d];
      idx[d] = 0;
    }
  }
}

int PlanThreads(const Plan &p) {
  if (p.total >= kParallelGrain)
    return std::max(1, std::min<int>(KernelThreads(), static_cast<int>(p.total / 4096)));
  return 1;
}

// The whole output, one contiguous range per thread.
void PlanFor(const Plan &p, RunFn fn, const void *ctx) {
  const int nt = PlanThreads(p);
  if (nt <= 1) {
    PlanRange(p, 0, p.total, fn, ctx);
    return;
  }
#ifdef _OPENMP
#pragma omp parallel for schedule(static) num_threads(nt)
#endif
  for (int t = 0; t < nt; ++t) PlanRange(p, p.total * t / nt, p.total * (t + 1) / nt, fn, ctx);
}

// Operands and results of one kernel call.
struct Args {
  const void *a, *b, *g;  // g: the output gradient (backward)
  void *o;                // output (forward) or the operand's gradient / partial sums (backward)
  int64_t ia = 0, ib = 0;  // inner strides (FwdRunAdd)
};

// ---- forward: out (=|+=) OP(a, b). Inner strides IA, IB in {0, 1}; kAddTo takes one generic kernel.
template <typename OP, typename T, int IA, int IB>
void FwdRun(const void *c, int64_t pos, int64_t oa, int64_t ob, int64_t len) {
  auto *x = static_cast<const Args *>(c);
  const T *ap = static_cast<const T *>(x->a) + oa;
  const T *bp = static_cast<const T *>(x->b) + ob;
  T *op = static_cast<T *>(x->o) + pos;
  RunIsa<T>(len, [&] {
    for (int64_t i = 0; i < len; ++i) op[i] = OP::Map(ap[i * IA], bp[i * IB]);
  });
}

// kAddTo (rare for a forward): one kernel with the inner strides read at run time.
template <typename OP, typename T>
void FwdRunAdd(const void *c, int64_t pos, int64_t oa, int64_t ob, int64_t len) {
  auto *x = static_cast<const Args *>(c);
  const T *ap = static_cast<const T *>(x->a) + oa;
  const T *bp = static_cast<const T *>(x->b) + ob;
  T *op = static_cast<T *>(x->o) + pos;
  const int64_t ia = x->ia, ib = x->ib;
  for (int64_t i = 0; i < len; ++i) op[i] += OP::Map(ap[i * ia], bp[i * ib]);
}

template <typename OP>
void BroadcastForward(const OpContext &, const OpParams &, const std::vector<TBlob> &in,
                      const std::vector<OpReq> &req, const std::vector<TBlob> &out) {
  if (req[0] == kNullOp) return;
  Plan p = MakePlan(in[0].shape, in[1].shape, out[0].shape);
  if (p.total == 0) return;
  const bool ia = p.Inner(0), ib = p.Inner(1);
  Args x{in[0].dptr, in[1].dptr, nullptr, out[0].dptr, ia, ib};
  MXC_NUMERIC_TYPE_SWITCH(out[0].dtype, T, {
    RunFn fn = req[0] == kAddTo ? FwdRunAdd<OP, T>
                                : ia && ib ? FwdRun<OP, T, 1, 1> : (ia ? FwdRun<OP, T, 1, 0> : FwdRun<OP, T, 0, 1>);
    PlanFor(p, fn, &x);
  });
}

// ---- backward
// d out / d operand K at one position; inputs are read only when the op's gradient needs them.
template <typename OP, int K, bool kUsesIn, typename T>
inline T Deriv(const T *a, int64_t i, const T *b, int64_t j) {
  T av = kUsesIn ? a[i] : T(0), bv = kUsesIn ? b[j] : T(0);
  return K == 0 ? OP::GradL(av, bv) : OP::GradR(av, bv);
}

// Operand K is broadcast somewhere: acc[off_K] += g * d out / d K.
template <typename OP, typename T, int K, bool kUsesIn, int IA, int IB>
void ReduceRun(const void *c, int64_t pos, int64_t oa, int64_t ob, int64_t len) {
  auto *x = static_cast<const Args *>(c);
  const T *gp = static_cast<const T *>(x->g) + pos;
  const T *ap = kUsesIn ? static_cast<const T *>(x->a) + oa : nullptr;
  const T *bp = kUsesIn ? static_cast<const T *>(x->b) + ob : nullptr;
  T *accp = static_cast<T *>(x->o) + (K == 0 ? oa : ob);
  constexpr int ik = K == 0 ? IA : IB;
  if (ik) {
    for (int64_t i = 0; i < len; ++i) accp[i] += gp[i] * Deriv<OP, K, kUsesIn>(ap, i * IA, bp, i * IB);
  } else {
    // Eight independent partial sums (vectorisable; a single running sum would serialise on the adds).
    T part[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    int64_t i = 0;
    for (; i + 8 <= len; i += 8)
      for (int j = 0; j < 8; ++j) part[j] += gp[i + j] * Deriv<OP, K, kUsesIn>(ap, (i + j) * IA, bp, (i + j) * IB);
    T s = 0;
    for (; i < len; ++i) s += gp[i] * Deriv<OP, K, kUsesIn>(ap, i * IA, bp, i * IB);
    accp[0] += s + ((part[0] + part[1]) + (part[2] + part[3])) + ((part[4] + part[5]) + (part[6] + part[7]));
  }
}

// Operand K has the output's shape: grad[pos] (=|+=) g * d out / d K.
template <typename OP, typename T, int K, bool kUsesIn, int IA, int IB, bool kAdd>
void DirectRun(const void *c, int64_t pos, int64_t oa, int64_t ob, int64_t len) {
  auto *x = static_cast<const Args *>(c);
  const T *gp = static_cast<const T *>(x->g) + pos;
  const T *ap = kUsesIn ? static_cast<const T *>(x->a) + oa : nullptr;
  const T *bp = kUsesIn ? static_cast<const T *>(x->b) + ob : nullptr;
  T *o = static_cast<T *>(x->o) + pos;
  for (int64_t i = 0; i < len; ++i) {
    T v = gp[i] * Deriv<OP, K, kUsesIn>(ap, i * IA, bp, i * IB);
    if (kAdd) o[i] += v;
    else o[i] = v;
  }
}

// Inner strides for operand K's kernels: K's own stride and the other operand's (never both 0 unless the output
// has one element, where (1, 1) reads the same values).
template <typename OP, typename T, int K, bool kUsesIn>
RunFn PickReduce(bool ik, bool iother) {
  if (ik && iother) return ReduceRun<OP, T, K, kUsesIn, 1, 1>;
  if (ik) return K == 0 ? ReduceRun<OP, T, K, kUsesIn, 1, 0> : ReduceRun<OP, T, K, kUsesIn, 0, 1>;
  if (iother) return K == 0 ? ReduceRun<OP, T, K, kUsesIn, 0, 1> : ReduceRun<OP, T, K, kUsesIn, 1, 0>;
  return ReduceRun<OP, T, K, kUsesIn, 1, 1>;
}

template <typename OP, typename T, int K, bool kUsesIn>
void ReduceGrad(const Plan &p, Args x, const TBlob &grad, OpReq req) {
  T *gk = grad.ptr<T>();
  const int64_t nk = grad.Size();
  RunFn fn = PickReduce<OP, T, K, kUsesIn>(p.Inner(K), p.Inner(1 - K));
  const int nt = PlanThreads(p);
  if (nt > 1 && nk * nt <= p.total) {
    // Per-thread partial sums over contiguous output ranges, then one pass combining them.
    std::vector<T> parts(static_cast<size_t>(nk) * nt, T(0));
    T *pp = parts.data();
#ifdef _OPENMP
#pragma omp parallel for schedule(static) num_threads(nt)
#endif
    for (int t = 0; t < nt; ++t) {
      Args xt = x;
      xt.o = pp + nk * t;
      PlanRange(p, p.total * t / nt, p.total * (t + 1) / nt, fn, &xt);
    }
    ParallelFor(nk, [=](int64_t j) {
      T s = pp[j];
      for (int t = 1; t < nt; ++t) s += pp[nk * t + j];
      Assign(gk + j, req, s);
    });
    return;
  }
  if (req != kAddTo) std::fill(gk, gk + nk, T(0));
  x.o = gk;
  PlanRange(p, 0, p.total, fn, &x);
}

template <typename OP, typename T, int K, bool kUsesIn>
void DirectGrad(const Plan &p, Args x, T *gk, OpReq req) {
  x.o = gk;
  const bool iother = p.Inner(1 - K);
  RunFn fn;
  if (req == kAddTo) {
    fn = !iother ? (K == 0 ? DirectRun<OP, T, K, kUsesIn, 1, 0, true> : DirectRun<OP, T, K, kUsesIn, 0, 1, true>)
                 : DirectRun<OP, T, K, kUsesIn, 1, 1, true>;
  } else {
    fn = !iother ? (K == 0 ? DirectRun<OP, T, K, kUsesIn, 1, 0, false> : DirectRun<OP, T, K, kUsesIn, 0, 1, false>)
                 : DirectRun<OP, T, K, kUsesIn, 1, 1, false>;
  }
  PlanFor(p, fn, &x);
}

template <typename OP, bool kUsesIn>
void BroadcastBackward(const OpContext &, const OpParams &, const std::vector<TBlob> &out_grad,
                       const std::vector<TBlob> &in_data, const std::vector<TBlob> &, const std::vector<OpReq> &req,
                       const std::vector<TBlob> &in_grad) {
  const TBlob &og = out_grad[0];
  // Operand shapes: from the inputs when the gradient reads them, else from the gradients; a gradient that is not
  // requested may come as an empty blob, and then its operand counts as full-shape (it does not affect the other).
  TShape shape[2];
  for (int k = 0; k < 2; ++k) {
    if (kUsesIn && !in_data[k].shape.empty()) shape[k] = in_data[k].shape;
    else if (!in_grad[k].shape.empty()) shape[k] = in_grad[k].shape;
    else shape[k] = og.shape;
  }
  Plan p = MakePlan(shape[0], shape[1], og.shape);
  if (p.total == 0) {
    for (int k = 0; k < 2; ++k) ZeroGrad(in_grad[k], req[k]);
    return;
  }
  Args x{kUsesIn ? in_data[0].dptr : nullptr, kUsesIn ? in_data[1].dptr : nullptr, og.dptr, nullptr, 0, 0};
  const bool full[2] = {ShapeSize(shape[0]) == p.total, ShapeSize(shape[1]) == p.total};
  MXC_REAL_TYPE_SWITCH(og.dtype, T, {
    // Reductions first: a full-shape gradient may share storage with out_grad.
    if (req[0] != kNullOp && !full[0]) ReduceGrad<OP, T, 0, kUsesIn>(p, x, in_grad[0], req[0]);
    if (req[1] != kNullOp && !full[1]) ReduceGrad<OP, T, 1, kUsesIn>(p, x, in_grad[1], req[1]);
    if (req[0] != kNullOp && req[1] != kNullOp && full[0] && full[1]) {
      // Same shapes: one pass for both (either may share storage with out_grad).
      const T *g = og.ptr<T>();
      const T *a = static_cast<const T *>(x.a), *b = static_cast<const T *>(x.b);
      T *ga = in_grad[0].ptr<T>(), *gb = in_grad[1].ptr<T>();
      OpReq ra = req[0], rb = req[1];
      ParallelFor(p.total, [=](int64_t i) {
        T gi = g[i];
        T av = kUsesIn ? a[i] : T(0), bv = kUsesIn ? b[i] : T(0);
        Assign(ga + i, ra, gi * OP::GradL(av, bv));
        Assign(gb + i, rb, gi * OP::GradR(av, bv));
      });
    } else {
      if (req[0] != kNullOp && full[0]) DirectGrad<OP, T, 0, kUsesIn>(p, x, in_grad[0].ptr<T>(), req[0]);
      if (req[1] != kNullOp && full[1]) DirectGrad<OP, T, 1, kUsesIn>(p, x, in_grad[1].ptr<T>(), req[1]);
    }
  });
}

void ZeroBackward(const OpContext &, const OpParams &, const std::vector<TBlob> &, const std::vector<TBlob> &,
                  const std::vector<TBlob> &, const std::vector<OpReq> &req, const std::vector<TBlob> &in_grad) {
  for (size_t i = 0; i < in_grad.size(); ++i) ZeroGrad(in_grad[i], req[i]);
}

// NumPy broadcasting of lhs and rhs (dimensions of 0 are unknown, as elsewhere in shape inference, except for the
// arrays of an imperative call: there 0 is an empty axis, which broadcasts only with 1 or 0, as in NumPy).
void BroadcastShape(const OpParams &p, std::vector<TShape> *in, std::vector<TShape> *out) {
  const TShape &a = (*in)[0], &b = (*in)[1];
  if (a.empty() || b.empty()) return;
  const bool concrete = ShapesAreConcrete();
  const int nd = std::max(a.ndim(), b.ndim());
  TShape o(nd);
  for (int d = 0; d < nd; ++d) {
    int64_t da = d >= nd - a.ndim() ? a[d - (nd - a.ndim())] : 1;
    int64_t db = d >= nd - b.ndim() ? b[d - (nd - b.ndim())] : 1;
    int64_t r;
    if (da == db) r = da;
    else if (da == 1) r = db;
    else if (db == 1) r = da;
    else if (da == 0 && !concrete) r = db;
    else if (db == 0 && !concrete) r = da;
    else
      Throw(ErrorKind::kShape, "operator ", p.op()->name, ": shapes lhs ", ShapeStr(a), " and rhs ", ShapeStr(b),
            " cannot be broadcast together (dimension ", d, ": ", da, " vs ", db, ")");
    o[d] = r;
  }
  ShapeAssign(&(*out)[0], o, p.op(), "output");
}

Op &BroadcastBase(const char *name, const char *alias, const std::string &doc, FCompute fwd) {
  Op &op = OpRegistry::Get()->Register(name);
  op.describe(doc + " Shapes broadcast as in NumPy (aligned from the right; dimensions of 1 stretch).")
      .set_inputs({"lhs", "rhs"})
      .set_infer_shape(BroadcastShape)
      .set_infer_type(SameTypeIn(kNumericTypes))
      .set_compute(MXC_CPU, std::move(fwd));
  if (alias) op.add_alias(alias);
  return op;
}

template <typename OP, bool kUsesIn>
void MathOp(const char *name, const char *alias, const std::string &doc) {
  BroadcastBase(name, alias, doc, BroadcastForward<OP>)
      .set_backward(MXC_CPU, BroadcastBackward<OP, kUsesIn>)
      .set_backward_uses(kUsesIn, false);
}

template <typename OP>
void CompareOp(const char *name, const std::string &what) {
  BroadcastBase(name, nullptr, "Returns 1 where lhs " + what + " rhs and 0 elsewhere (in the input dtype).",
                BroadcastForward<OP>)
      .set_backward(MXC_CPU, ZeroBackward)
      .set_backward_uses(false, false);
}

int Register() {
  MathOp<Add, false>("broadcast_add", "broadcast_plus", "lhs + rhs with broadcasting.");
  MathOp<Sub, false>("broadcast_sub", "broadcast_minus", "lhs - rhs with broadcasting.");
  MathOp<Mul, true>("broadcast_mul", nullptr, "lhs * rhs with broadcasting.");
  MathOp<Div, true>("broadcast_div", nullptr, "lhs / rhs with broadcasting.");
  MathOp<Mod, true>("broadcast_mod", nullptr, "Python-style lhs % rhs with broadcasting (x % 0 = 0).");
  MathOp<Power, true>("broadcast_power", nullptr, "lhs ** rhs with broadcasting.");
  MathOp<Maximum, true>("broadcast_maximum", nullptr, "Elementwise maximum with broadcasting.");
  MathOp<Minimum, true>("broadcast_minimum", nullptr, "Elementwise minimum with broadcasting.");
  CompareOp<Equal>("broadcast_equal", "==");
  CompareOp<NotEqual>("broadcast_not_equal", "!=");
  CompareOp<Greater>("broadcast_greater", ">");
  CompareOp<GreaterEqual>("broadcast_greater_equal", ">=");
  CompareOp<Lesser>("broadcast_lesser", "<");
  CompareOp<LesserEqual>("broadcast_lesser_equal", "<=");
  CompareOp<LogicalAnd>("broadcast_logical_and", "and (both nonzero)");
  CompareOp<LogicalOr>("broadcast_logical_or", "or (either nonzero)");
  CompareOp<LogicalXor>("broadcast_logical_xor", "xor (exactly one nonzero)");
  MathOp<Hypot, true>("broadcast_hypot", nullptr, "sqrt(lhs^2 + rhs^2) with broadcasting.");
  return 0;
}

[[maybe_unused]] const int registered = Register();

}  // namespace
}  // namespace op
}  // namespace mxc
