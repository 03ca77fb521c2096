// Reductions over axes: sum, mean, max, min, prod, norm, argmax, argmin (MXNet 1.x names and parameters).
//
// Reducing every axis without keepdims gives shape (1,) (MXNet 1.x has no 0-d arrays). Sums accumulate in double
// (floating point) or int64 (integers). Gradients:
//  - max/min: the head gradient goes to every position equal to the result (ties all receive it, as in MXNet);
//  - prod: exact with zeros (one zero: its position gets the product of the others; two or more: all zero), where
//    MXNet divides by the input and returns NaN;
//  - norm: x / norm(x) for ord=2 (zero where the norm is zero; MXNet gives NaN), sign(x) for ord=1;
//  - argmax/argmin: zero (not differentiable), as MXNet.
#include "shape_views.h"

namespace mxc {
namespace op {

namespace {

// The axes of ishape that are reduced: all when axis is None or (), else the listed ones (negative counted from the
// end), or all others with exclude.
std::vector<bool> ReducedAxes(const OpParams &p, const TShape &ishape) {
  const int nd = ishape.ndim();
  std::vector<bool> r(nd, false);
  if (p.IsNone("axis") || p.Tuple("axis").empty()) {
    std::fill(r.begin(), r.end(), true);
    return r;
  }
  for (int64_t a : p.Tuple("axis")) {
    int k = NormalizeAxis(p, a, nd, "axis", ishape);
    if (r[k])
      Throw(ErrorKind::kShape, "operator ", p.op()->name, ": axis ", TupleStr(p.Tuple("axis")),
            " names axis ", k, " twice (input shape ", ShapeStr(ishape), ")");
    r[k] = true;
  }
  if (p.op()->ParamIndex("exclude") >= 0 && p.Bool("exclude")) r.flip();
  return r;
}

TShape ReducedShape(const TShape &ishape, const std::vector<bool> &r, bool keepdims) {
  TShape o;
  for (int i = 0; i < ishape.ndim(); ++i) {
    if (!r[i]) o.push_back(ishape[i]);
    else if (keepdims) o.push_back(1);
  }
  if (o.empty()) o.push_back(1);
  return o;
}

// Reductions without an identity (max, min, argmax, argmin) refuse an empty reduction that has outputs.
void CheckNotEmpty(const OpParams &p, const TShape &ishape, const std::vector<bool> &r) {
  int64_t red = 1, kept = 1;
  for (int i = 0; i < ishape.ndim(); ++i) (r[i] ? red : kept) *= ishape[i];
  if (red == 0 && kept > 0)
    Throw(ErrorKind::kShape, "operator ", p.op()->name, ": reduction over an empty axis of input shape ",
          ShapeStr(ishape), " has no identity");
}

void ReduceShape(const OpParams &p, std::vector<TShape> *in, std::vector<TShape> *out) {
  const TShape &is = (*in)[0];
  if (is.empty()) return;
  auto r = ReducedAxes(p, is);
  if (p.op()->name == "max" || p.op()->name == "min") CheckNotEmpty(p, is, r);
  ShapeAssign(&(*out)[0], ReducedShape(is, r, p.Bool("keepdims")), p.op(), "output");
}

void ArithTypeInfer(const OpParams &p, std::vector<int> *in, std::vector<int> *out) {
  SameTypeInfer(p, in, out);
  CheckDType(p, (*in)[0], "data", IsArith, "float32, float64, uint8, int8, int32 or int64");
}

RedLayout LayoutOf(const OpParams &p, const TShape &ishape) { return ReduceLayout(p, ishape); }

// Accumulator of reducer R over elements of type D: max and min are exact in D itself.
template <typename R, typename D>
struct AccFor {
  typedef AccOf<D> type;
};
template <typename D>
struct AccFor<MaxRed, D> {
  typedef D type;
};
template <typename D>
struct AccFor<MinRed, D> {
  typedef D type;
};

template <typename R, typename Fin>
void ReduceForward(const OpParams &p, const TBlob &in, OpReq req, const TBlob &out, Fin fin) {
  if (req == kNullOp) return;
  RedLayout L = LayoutOf(p, in.shape);
  MXC_ARITH_TYPE_SWITCH(in.dtype, D, {
    typedef typename AccFor<R, D>::type A;
    std::vector<A> acc(static_cast<size_t>(L.out_size));
    ReduceToAcc<R>(in.ptr<D>(), L, acc.data());
    int64_t red = L.red_size();
    StoreAcc(out.ptr<D>(), acc.data(), L.out_size, req, [&](A a) { return fin(a, red); });
  });
}

struct Identity {
  template <typename A> A operator()(A a, int64_t) const { return a; }
};
struct Average {  // an empty mean is NaN (0 for integers)
  template <typename A> A operator()(A a, int64_t n) const {
    if (n == 0) return std::numeric_limits<A>::has_quiet_NaN ? std::numeric_limits<A>::quiet_NaN() : A(0);
    return a / static_cast<A>(n);
  }
};

// in_grad[i] = g(og[o(i)], i, o(i)) according to req, over the reduction layout of in_grad's shape.
template <typename D, typename G>
void BroadcastBack(const RedLayout &L, D *ig, OpReq req, G g) {
  if (req == kNullOp) return;
  ParallelRuns(L, [&](int64_t ioff, int64_t ooff, int64_t len, int64_t ostep) {
    if (req == kAddTo) {
      for (int64_t j = 0; j < len; ++j) ig[ioff + j] += g(ioff + j, ooff + j * ostep);
    } else {
      for (int64_t j = 0; j < len; ++j) ig[ioff + j] = g(ioff + j, ooff + j * ostep);
    }
  });
}

// Gradient of sum (scale 1) and mean (scale 1/n).
void SumBackward(const OpParams &p, const TBlob &og, OpReq req, const TBlob &ig, bool mean) {
  if (req == kNullOp) return;  // ig may then be an empty blob
  RedLayout L = LayoutOf(p, ig.shape);
  MXC_ARITH_TYPE_SWITCH(ig.dtype, D, {
    const D *g = og.ptr<D>();
    D *x = ig.ptr<D>();
    int64_t red = L.red_size();
    if (mean) {
      double s = red ? 1.0 / static_cast<double>(red) : 0.0;
      BroadcastBack(L, x, req, [&](int64_t, int64_t o) { return static_cast<D>(g[o] * s); });
    } else {
      BroadcastBack(L, x, req, [&](int64_t, int64_t o) { return g[o]; });
    }
  });
}

Op &ReduceOp(Op &op, const char *doc) {
  return op.describe(doc)
      .set_inputs({"data"})
      .add_param("axis", ParamKind::kOptShape, "None",
                 "The axis or axes to reduce. None or () reduces every axis into shape (1,); negative values count "
                 "from the end.")
      .add_param("keepdims", ParamKind::kBool, "0", "Keep the reduced axes as dimensions of size one.")
      .add_param("exclude", ParamKind::kBool, "0", "Reduce over the axes that are NOT in axis instead.")
      .set_infer_shape(ReduceShape)
      .set_infer_type(ArithTypeInfer);
}


// max/min backward: the head gradient where the input equals the result.
void ExtremumBackward(MXC_FBACKWARD_ARGS) {
  if (req[0] == kNullOp) return;
  RedLayout L = LayoutOf(p, ig[0].shape);
  MXC_ARITH_TYPE_SWITCH(ig[0].dtype, D, {
    const D *g = og[0].ptr<D>(), *x = in[0].ptr<D>(), *y = out[0].ptr<D>();
    BroadcastBack(L, ig[0].ptr<D>(), req[0], [&](int64_t i, int64_t o) { return x[i] == y[o] ? g[o] : D(0); });
  });
}

// Product of the nonzero elements and count of zeros, per output.
struct NonzeroProdRed {
  template <typename A> static A Init() { return A(1); }
  template <typename A, typename D> static void Add(A &a, D x) {
    if (x != D(0)) a *= static_cast<A>(x);
  }
  template <typename A> static void Merge(A &a, A b) { a *= b; }
};
struct ZeroCountRed {
  template <typename A> static A Init() { return A(0); }
  template <typename A, typename D> static void Add(A &a, D x) { a += (x == D(0)) ? A(1) : A(0); }
  template <typename A> static void Merge(A &a, A b) { a += b; }
};

template <typename D>
inline bool IsNanValue(D x) {
  return x != x;
}

// prod's gradient: the product of the other elements, exact with zeros (one zero: only it gets a gradient; two or
// more: none does). NzRed multiplies the nonzero elements; with kSkipNan (nanprod) NaNs count as 1 and get zero.
template <typename NzRed, bool kSkipNan>
void ProdGradient(MXC_FBACKWARD_ARGS) {
  (void)out;
  if (req[0] == kNullOp) return;
  RedLayout L = LayoutOf(p, ig[0].shape);
  MXC_ARITH_TYPE_SWITCH(ig[0].dtype, D, {
    typedef AccOf<D> A;
    const D *g = og[0].ptr<D>(), *x = in[0].ptr<D>();
    std::vector<A> nzp(static_cast<size_t>(L.out_size));
    std::vector<int64_t> zc(static_cast<size_t>(L.out_size));
    ReduceToAcc<NzRed>(x, L, nzp.data());
    ReduceToAcc<ZeroCountRed>(x, L, zc.data());
    BroadcastBack(L, ig[0].ptr<D>(), req[0], [&](int64_t i, int64_t o) {
      A v;
      if (kSkipNan && IsNanValue(x[i])) v = A(0);
      else if (zc[o] == 0) v = nzp[o] / static_cast<A>(x[i]);
      else if (zc[o] == 1 && x[i] == D(0)) v = nzp[o];
      else v = A(0);
      return static_cast<D>(static_cast<A>(g[o]) * v);
    });
  });
}

// ---- nansum / nanprod: NaN counts as 0 (sum) or 1 (product) and gets a zero gradient --------------------------------
struct NanSumRed {
  template <typename A> static A Init() { return A(0); }
  template <typename A, typename D> static void Add(A &a, D x) {
    if (!IsNanValue(x)) a += static_cast<A>(x);
  }
  template <typename A> static void Merge(A &a, A b) { a += b; }
};
struct NanProdRed {
  template <typename A> static A Init() { return A(1); }
  template <typename A, typename D> static void Add(A &a, D x) {
    if (!IsNanValue(x)) a *= static_cast<A>(x);
  }
  template <typename A> static void Merge(A &a, A b) { a *= b; }
};
struct NonzeroNanProdRed {  // product of the elements that are neither zero nor NaN
  template <typename A> static A Init() { return A(1); }
  template <typename A, typename D> static void Add(A &a, D x) {
    if (x != D(0) && !IsNanValue(x)) a *= static_cast<A>(x);
  }
  template <typename A> static void Merge(A &a, A b) { a *= b; }
};

void NanSumBackward(MXC_FBACKWARD_ARGS) {
  (void)out;
  if (req[0] == kNullOp) return;
  RedLayout L = LayoutOf(p, ig[0].shape);
  MXC_ARITH_TYPE_SWITCH(ig[0].dtype, D, {
    const D *g = og[0].ptr<D>(), *x = in[0].ptr<D>();
    BroadcastBack(L, ig[0].ptr<D>(), req[0], [&](int64_t i, int64_t o) { return IsNanValue(x[i]) ? D(0) : g[o]; });
  });
}

// As prod's gradient over the elements that are not NaN (exact with zeros, where MXNet divides by the input).
// ---- norm -------------------------------------------------------------------------------------------------------
int NormOutType(const OpParams &p, int in_type) { return p.IsNone("out_dtype") ? in_type : p.Dtype("out_dtype"); }

void NormType(const OpParams &p, std::vector<int> *in, std::vector<int> *out) {
  CheckDType(p, (*in)[0], "data", IsArith, "float32, float64, uint8, int8, int32 or int64");
  if (!p.IsNone("out_dtype")) {
    int t = p.Dtype("out_dtype");
    if (!IsArith(t))
      Throw(ErrorKind::kType, "operator norm: out_dtype ", DTypeName(t), " is not supported");
    TypeAssign(&(*out)[0], t, p.op(), "output");
  } else {
    int t = (*in)[0] >= 0 ? (*in)[0] : (*out)[0];
    TypeAssign(&(*in)[0], t, p.op(), "data");
    TypeAssign(&(*out)[0], t, p.op(), "output");
  }
}

void NormShape(const OpParams &p, std::vector<TShape> *in, std::vector<TShape> *out) {
  int64_t ord = p.Int("ord");
  if (ord != 1 && ord != 2)
    Throw(ErrorKind::kValue, "operator norm: ord=", ord, " is not supported (1 or 2)");
  ReduceShape(p, in, out);
}

void NormForward(MXC_FCOMPUTE_ARGS) {
  if (req[0] == kNullOp) return;
  RedLayout L = LayoutOf(p, in[0].shape);
  std::vector<double> acc(static_cast<size_t>(L.out_size));
  bool l1 = p.Int("ord") == 1;
  MXC_ARITH_TYPE_SWITCH(in[0].dtype, D, {
    if (l1) ReduceToAcc<AbsSumRed>(in[0].ptr<D>(), L, acc.data());
    else ReduceToAcc<SqSumRed>(in[0].ptr<D>(), L, acc.data());
  });
  MXC_ARITH_TYPE_SWITCH(out[0].dtype, O, {
    StoreAcc(out[0].ptr<O>(), acc.data(), L.out_size, req[0], [&](double a) { return l1 ? a : std::sqrt(a); });
  });
}

void NormBackward(MXC_FBACKWARD_ARGS) {
  if (req[0] == kNullOp) return;
  RedLayout L = LayoutOf(p, ig[0].shape);
  bool l1 = p.Int("ord") == 1;
  // Head gradient and result as double (the output may have another dtype than the input).
  std::vector<double> g(static_cast<size_t>(L.out_size)), y(static_cast<size_t>(L.out_size));
  MXC_ARITH_TYPE_SWITCH(og[0].dtype, O, {
    const O *gp = og[0].ptr<O>();
    for (int64_t o = 0; o < L.out_size; ++o) g[o] = static_cast<double>(gp[o]);
    if (!l1) {
      const O *yp = out[0].ptr<O>();
      for (int64_t o = 0; o < L.out_size; ++o) y[o] = static_cast<double>(yp[o]);
    }
  });
  MXC_ARITH_TYPE_SWITCH(ig[0].dtype, D, {
    const D *x = in[0].ptr<D>();
    if (l1) {
      BroadcastBack(L, ig[0].ptr<D>(), req[0], [&](int64_t i, int64_t o) {
        return static_cast<D>(x[i] > D(0) ? g[o] : (x[i] < D(0) ? -g[o] : 0.0));
      });
    } else {
      BroadcastBack(L, ig[0].ptr<D>(), req[0], [&](int64_t i, int64_t o) {
        return static_cast<D>(y[o] == 0.0 ? 0.0 : g[o] * static_cast<double>(x[i]) / y[o]);
      });
    }
  });
}

// ---- argmax / argmin --------------------------------------------------------------------------------------------
// The reduced axis of argmax/argmin (-1 for None: the flattened input); argmax_channel reduces axis 1.
int ArgAxis(const OpParams &p, const TShape &s) {
  if (p.op()->ParamIndex("axis") < 0) return std::min(1, s.ndim() - 1);
  if (p.IsNone("axis")) return -1;
  return NormalizeAxis(p, p.Int("axis"), s.ndim(), "axis", s);
}

void ArgShape(const OpParams &p, std::vector<TShape> *in, std::vector<TShape> *out) {
  const TShape &is = (*in)[0];
  if (is.empty()) return;
  const bool keep = p.op()->ParamIndex("keepdims") >= 0 && p.Bool("keepdims");
  const int ax = ArgAxis(p, is);
  TShape o;
  if (ax < 0) {
    if (ShapeSize(is) == 0)
      Throw(ErrorKind::kShape, "operator ", p.op()->name, ": empty input of shape ", ShapeStr(is));
    o = keep ? TShape(is.size(), 1) : TShape{1};
  } else {
    std::vector<bool> r(is.ndim(), false);
    r[ax] = true;
    CheckNotEmpty(p, is, r);
    o = ReducedShape(is, r, keep);
  }
  ShapeAssign(&(*out)[0], o, p.op(), "output");
}

template <bool kMax>
void ArgForward(MXC_FCOMPUTE_ARGS) {
  if (req[0] == kNullOp) return;
  const TBlob &x = in[0];
  AxisSplit s;
  const int ax = ArgAxis(p, x.shape);
  if (ax < 0) s.n = x.Size();
  else s = SplitAt(x.shape, ax);
  MXC_ARITH_TYPE_SWITCH(x.dtype, D, {
    const D *xp = x.ptr<D>();
    D *op = out[0].ptr<D>();
    auto better = [](D v, D best) {
      if (kMax) return v > best || (v != v && best == best);
      return v < best || (v != v && best == best);
    };
    if (s.inner == 1) {
      // Rows: the extreme value by a vectorised fold, then the first position holding it (or the first NaN). A
      // single scan that tracks the index carries a dependency from element to element and runs several times
      // slower.
      typedef typename std::conditional<kMax, MaxRed, MinRed>::type R;
      ForChunks(s.outer, NumChunks(x.Size(), s.outer), [&](int64_t b, int64_t e) {
        for (int64_t o = b; o < e; ++o) {
          const D *row = xp + o * s.n;
          D m = R::template Init<D>();
          FoldRun<R>(m, row, s.n);
          int64_t idx = 0;
          if (m != m) {
            while (idx < s.n && row[idx] == row[idx]) ++idx;
          } else {
            while (idx < s.n && row[idx] != m) ++idx;
          }
          Store(op + o, req[0], static_cast<D>(idx));
        }
      });
      return;
    }
    ForChunks(s.outer, NumChunks(x.Size(), s.outer), [&](int64_t b, int64_t e) {
      std::vector<D> best(static_cast<size_t>(s.inner));
      std::vector<int64_t> idx(static_cast<size_t>(s.inner));
      for (int64_t o = b; o < e; ++o) {
        const D *row = xp + o * s.n * s.inner;
        for (int64_t i = 0; i < s.inner; ++i) {
          best[i] = row[i];
          idx[i] = 0;
        }
        for (int64_t k = 1; k < s.n; ++k) {
          const D *r = row + k * s.inner;
          for (int64_t i = 0; i < s.inner; ++i)
            if (better(r[i], best[i])) {
              best[i] = r[i];
              idx[i] = k;
            }
        }
        for (int64_t i = 0; i < s.inner; ++i) Store(op + o * s.inner + i, req[0], static_cast<D>(idx[i]));
      }
    });
  });
}

void ZeroBackward(MXC_FBACKWARD_ARGS) {
  (void)p, (void)og, (void)in, (void)out;
  for (size_t i = 0; i < ig.size(); ++i) ZeroIfWrite(ig[i], req[i]);
}

}  // namespace

RedLayout ReduceLayout(const OpParams &p, const TShape &ishape) {
  return MakeRedLayout(ishape, ReducedAxes(p, ishape));
}

// ---- registration -----------------------------------------------------------------------------------------------
static Op &sum_reg = ReduceOp(OpRegistry::Get()->Register("sum"), "Sum of array elements over the given axes.")
                         .add_alias("sum_axis")
                         .set_compute(MXC_CPU, [](MXC_FCOMPUTE_ARGS) {
                           ReduceForward<SumRed>(p, in[0], req[0], out[0], Identity());
                         })
                         .set_backward(MXC_CPU, [](MXC_FBACKWARD_ARGS) { SumBackward(p, og[0], req[0], ig[0], false); })
                         .set_backward_uses(false, false);

static Op &mean_reg = ReduceOp(OpRegistry::Get()->Register("mean"), "Mean of array elements over the given axes.")
                          .set_compute(MXC_CPU, [](MXC_FCOMPUTE_ARGS) {
                            ReduceForward<SumRed>(p, in[0], req[0], out[0], Average());
                          })
                          .set_backward(MXC_CPU, [](MXC_FBACKWARD_ARGS) { SumBackward(p, og[0], req[0], ig[0], true); })
                          .set_backward_uses(false, false);

static Op &max_reg = ReduceOp(OpRegistry::Get()->Register("max"), "Maximum of array elements over the given axes.")
                         .add_alias("max_axis")
                         .set_compute(MXC_CPU, [](MXC_FCOMPUTE_ARGS) {
                           ReduceForward<MaxRed>(p, in[0], req[0], out[0], Identity());
                         })
                         .set_backward(MXC_CPU, ExtremumBackward);

static Op &min_reg = ReduceOp(OpRegistry::Get()->Register("min"), "Minimum of array elements over the given axes.")
                         .add_alias("min_axis")
                         .set_compute(MXC_CPU, [](MXC_FCOMPUTE_ARGS) {
                           ReduceForward<MinRed>(p, in[0], req[0], out[0], Identity());
                         })
                         .set_backward(MXC_CPU, ExtremumBackward);

static Op &prod_reg = ReduceOp(OpRegistry::Get()->Register("prod"), "Product of array elements over the given axes.")
                          .set_compute(MXC_CPU, [](MXC_FCOMPUTE_ARGS) {
                            ReduceForward<ProdRed>(p, in[0], req[0], out[0], Identity());
                          })
                          .set_backward(MXC_CPU, ProdGradient<NonzeroProdRed, false>)
                          .set_backward_uses(true, false);

static Op &nansum_reg =
    ReduceOp(OpRegistry::Get()->Register("nansum"), "Sum of array elements over the given axes, NaN counted as 0.")
        .set_compute(MXC_CPU, [](MXC_FCOMPUTE_ARGS) {
          ReduceForward<NanSumRed>(p, in[0], req[0], out[0], Identity());
        })
        .set_backward(MXC_CPU, NanSumBackward)
        .set_backward_uses(true, false);

static Op &nanprod_reg =
    ReduceOp(OpRegistry::Get()->Register("nanprod"), "Product of array elements over the given axes, NaN counted as 1.")
        .set_compute(MXC_CPU, [](MXC_FCOMPUTE_ARGS) {
          ReduceForward<NanProdRed>(p, in[0], req[0], out[0], Identity());
        })
        .set_backward(MXC_CPU, ProdGradient<NonzeroNanProdRed, true>)
        .set_backward_uses(true, false);

static Op &norm_reg =
    OpRegistry::Get()
        ->Register("norm")
        .describe("Norm of array elements over the given axes: ord=2 (L2; with a 2-tuple axis the Frobenius norm of "
                  "the matrices) or ord=1 (L1).")
        .set_inputs({"data"})
        .add_param("ord", ParamKind::kInt, "2", "Order of the norm: 1 or 2.")
        .add_param("axis", ParamKind::kOptShape, "None",
                   "The axis or axes to reduce. None or () reduces every axis into shape (1,).")
        .add_param("out_dtype", ParamKind::kDType, "None", "The dtype of the output (default: the input's).")
        .add_param("keepdims", ParamKind::kBool, "0", "Keep the reduced axes as dimensions of size one.")
        .set_infer_shape(NormShape)
        .set_infer_type(NormType)
        .set_compute(MXC_CPU, NormForward)
        .set_backward(MXC_CPU, NormBackward);

static Op &ArgOp(Op &op, const char *doc) {
  return op.describe(doc)
      .set_inputs({"data"})
      .add_param("axis", ParamKind::kOptInt, "None",
                 "The axis to reduce; negative values count from the end. None: the flattened input.")
      .add_param("keepdims", ParamKind::kBool, "0", "Keep the reduced axis as a dimension of size one.")
      .set_infer_shape(ArgShape)
      .set_infer_type(ArithTypeInfer)
      .set_backward(MXC_CPU, ZeroBackward)
      .set_backward_uses(false, false);
}

static Op &argmax_reg = ArgOp(OpRegistry::Get()->Register("argmax"),
                              "Indices of the maximum values along an axis, in the input's dtype (the first one on "
                              "ties; NaN counts as the maximum).")
                            .set_compute(MXC_CPU, ArgForward<true>);
static Op &argmin_reg = ArgOp(OpRegistry::Get()->Register("argmin"),
                              "Indices of the minimum values along an axis, in the input's dtype (the first one on "
                              "ties; NaN counts as the minimum).")
                            .set_compute(MXC_CPU, ArgForward<false>);

static Op &argmax_channel_reg = OpRegistry::Get()
                                    ->Register("argmax_channel")
                                    .describe("Indices of the maximum values along axis 1 (the channels), in the "
                                              "input's dtype.")
                                    .set_inputs({"data"})
                                    .set_infer_shape(ArgShape)
                                    .set_infer_type(ArithTypeInfer)
                                    .set_compute(MXC_CPU, ArgForward<true>)
                                    .set_backward(MXC_CPU, ZeroBackward)
                                    .set_backward_uses(false, false);

}  // namespace op
}  // namespace mxc
