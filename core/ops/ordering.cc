// Ordering operators: topk, sort, argsort (MXNet 1.x names, parameters and outputs).
//
// Each row along the axis (axis None: the flattened input) is ordered by a stable sort: equal values keep their
// input order, in ascending and in descending order alike (what MXNet 1.9 gives). NaN counts as larger than every
// number (as argmax takes it for the maximum, and as NumPy sorts it last): ascending orders put NaNs last,
// descending ones first. (MXNet's comparison sort leaves NaNs wherever its comparisons happen to put them.)
//
// Outputs:
//  - topk: ret_typ 'indices' (the positions, in `dtype`), 'value' (the values; the positions as a hidden second
//    output for the gradient), 'both' ([values, positions]), 'mask' (1 at the k picked positions, 0 elsewhere, in
//    the input's dtype). k <= 0 picks the whole axis; k larger than the axis is a ShapeError.
//  - sort: the values (the positions, int64, as a hidden second output); argsort: the positions in `dtype`.
// Gradients: topk 'value'/'both' and sort scatter the head gradient of the values back to the positions they came
// from (zero elsewhere); topk 'indices'/'mask' and argsort give a zero gradient (as MXNet).
#include "ordering.h"
#include "tensor_util.h"

namespace mxc {
namespace op {

OrderCfg OrderCfgOf(const OpParams &p) {
  OrderCfg c;
  const std::string &name = p.op()->name;
  c.ascend = p.Bool("is_ascend");
  if (name == "sort") {
    c.ret = OrderRet::kValue;
  } else if (name == "argsort") {
    c.ret = OrderRet::kIndices;
  } else {
    const std::string &r = p.Str("ret_typ");
    c.ret = r == "value"  ? OrderRet::kValue
            : r == "mask" ? OrderRet::kMask
            : r == "both" ? OrderRet::kBoth
                          : OrderRet::kIndices;
  }
  return c;
}

OrderPlan OrderPlanOf(const OpParams &p, const TShape &d) {
  OrderPlan s;
  if (p.IsNone("axis")) {
    s.n = ShapeSize(d);
  } else {
    s.axis = NormalizeAxis(p, p.Int("axis"), d.ndim(), "axis", d);
    AxisSplit a = SplitAt(d, s.axis);
    s.outer = a.outer, s.n = a.n, s.inner = a.inner;
  }
  s.k = s.n;
  if (p.op()->name == "topk") {
    const int64_t k = p.Int("k");
    if (k > s.n) {
      if (s.axis < 0)
        Throw(ErrorKind::kShape, "operator topk: k=", k, " is larger than the ", s.n,
              " elements of the flattened input of shape ", ShapeStr(d), " (axis=None)");
      Throw(ErrorKind::kShape, "operator topk: k=", k, " is larger than the size ", s.n, " of axis ", s.axis,
            " of input shape ", ShapeStr(d));
    }
    if (k > 0) s.k = k;
  }
  return s;
}

namespace {

using Ret = OrderRet;

int NumOut(const OpParams &p) {
  OrderCfg c = OrderCfgOf(p);
  return c.ret == Ret::kValue || c.ret == Ret::kBoth ? 2 : 1;
}
int NumVisible(const OpParams &p) { return OrderCfgOf(p).ret == Ret::kBoth ? 2 : 1; }
// As MXNet lists them: operators with two outputs name theirs output0, output1 (one of them hidden or not).
std::vector<std::string> OutNames(const OpParams &p) {
  OrderCfg c = OrderCfgOf(p);
  if (c.ret == Ret::kBoth) return {"output0", "output1"};
  if (c.ret == Ret::kValue) return {"output0"};
  return {"output"};
}

void OrderShape(const OpParams &p, std::vector<TShape> *in, std::vector<TShape> *out) {
  const TShape &d = (*in)[0];
  if (d.empty()) return;
  const OrderCfg c = OrderCfgOf(p);
  const OrderPlan s = OrderPlanOf(p, d);
  TShape r;
  if (s.axis < 0) {
    r = TShape{s.k};
  } else {
    r = d;
    r[s.axis] = s.k;
  }
  if (c.ret == Ret::kMask) {
    ShapeAssign(&(*out)[0], d, p.op(), "output");
    return;
  }
  ShapeAssign(&(*out)[0], r, p.op(), out->size() > 1 ? "output0" : "output");
  if (out->size() > 1) ShapeAssign(&(*out)[1], r, p.op(), "output1");
}

// The dtypes `dtype` may name (MXNet's list).
bool IndexDtypeOk(int t) {
  return t == kFloat16 || t == kFloat32 || t == kFloat64 || t == kInt32 || t == kInt64 || t == kUint8;
}

int IndexDtype(const OpParams &p) {
  if (p.op()->ParamIndex("dtype") < 0) return kInt64;  // sort's hidden positions
  const int t = p.Dtype("dtype");
  if (!IndexDtypeOk(t))
    Throw(ErrorKind::kValue, "operator ", p.op()->name, ": dtype=", DTypeName(t),
          " is not supported for the indices (valid: float16, float32, float64, int32, int64, uint8)");
  return t;
}

// The data may have any dtype with an order (float16 too: its kernels run through float32).
void OrderType(const OpParams &p, std::vector<int> *in, std::vector<int> *out) {
  const OrderCfg c = OrderCfgOf(p);
  const int it = IndexDtype(p);
  int t = (*in)[0];
  if (t < 0 && c.ret != Ret::kIndices) t = (*out)[0];
  CheckDType(p, t, "data", [](int d) { return IsArith(d) || d == kFloat16; },
             "a numeric dtype (float16, float32, float64, uint8, int8, int32, int64)");
  TypeAssign(&(*in)[0], t, p.op(), "data");
  switch (c.ret) {
    case Ret::kIndices: TypeAssign(&(*out)[0], it, p.op(), "output"); break;
    case Ret::kMask: TypeAssign(&(*out)[0], t, p.op(), "output"); break;
    case Ret::kValue:
      TypeAssign(&(*out)[0], t, p.op(), "output0");
      TypeAssign(&(*out)[1], kInt64, p.op(), "output1");
      break;
    case Ret::kBoth:
      TypeAssign(&(*out)[0], t, p.op(), "output0");
      TypeAssign(&(*out)[1], it, p.op(), "output1");
      break;
  }
}

// Whether a comes before b: ascending (NaN last) or descending (NaN first).
template <typename D>
inline bool Before(D a, D b, bool ascend) {
  const bool an = a != a, bn = b != b;
  if (an || bn) return ascend ? (!an && bn) : (an && !bn);
  return ascend ? a < b : b < a;
}

// perm[0, k) = the first k positions of vals[0, n) in the stable order. With k < n only those k are ordered: the k
// first in the order with ties broken by position (the stable order) are selected, by one pass keeping the best k
// seen (k <= 64) or nth_element, then sorted: O(n k) or O(n + k log k) instead of O(n log n). Instantiated for the
// two key types only (double, int64), and not inlined, so the sorting code exists twice, not once per dtype and
// caller.
template <typename K>
__attribute__((noinline)) void OrderKeys(const K *vals, int64_t n, int64_t k, bool ascend, int64_t *perm) {
  for (int64_t j = 0; j < n; ++j) perm[j] = j;
  auto less = [&](int64_t a, int64_t c) {
    return Before(vals[a], vals[c], ascend) || (!Before(vals[c], vals[a], ascend) && a < c);
  };
  if (k >= n) {
    std::sort(perm, perm + n, less);  // a total order: the same as a stable sort
    return;
  }
  if (k <= 64) {
    int64_t m = 0;
    for (int64_t j = 0; j < n; ++j) {
      if (m == k && !less(j, perm[m - 1])) continue;
      int64_t q = m < k ? m++ : m - 1;
      for (; q > 0 && less(j, perm[q - 1]); --q) perm[q] = perm[q - 1];
      perm[q] = j;
    }
  } else {
    std::nth_element(perm, perm + (k - 1), perm + n, less);
    std::sort(perm, perm + k, less);
  }
}

// The key a value is ordered by: double holds every float32, float64 and integer of up to 32 bits exactly; int64
// keeps its own.
template <typename D>
using OrderKey = typename std::conditional<std::is_same<D, int64_t>::value, int64_t, double>::type;

// For each row (o, i): f(o, i, perm) with perm[0, k) its first k elements in the stable order (see OrderKeys).
template <typename D, typename F>
void ForOrderedRows(const D *x, const OrderPlan &s, bool ascend, F f) {
  const int64_t rows = s.outer * s.inner;
  ForChunks(rows, NumChunks(rows * s.n, rows), [&](int64_t b, int64_t e) {
    std::vector<int64_t> perm(static_cast<size_t>(s.n));
    std::vector<OrderKey<D>> vals(static_cast<size_t>(s.n));
    for (int64_t r = b; r < e; ++r) {
      const int64_t o = r / s.inner, i = r % s.inner;
      const D *row = x + o * s.n * s.inner + i;
      for (int64_t j = 0; j < s.n; ++j) vals[j] = static_cast<OrderKey<D>>(row[j * s.inner]);
      OrderKeys(vals.data(), s.n, s.k, ascend, perm.data());
      f(o, i, perm.data());
    }
  });
}

// Throws a TypeError (before anything is written) unless every blob has a dtype the kernels compute in.
void CheckKernelDtypes(const OpParams &p, const std::vector<TBlob> &blobs) {
  for (const auto &b : blobs)
    if (b.dptr && !IsArith(b.dtype))
      Throw(ErrorKind::kType, "operator ", p.op()->name, ": the kernel does not take dtype ", DTypeName(b.dtype));
}

void OrderForward(MXC_FCOMPUTE_ARGS) {
  std::vector<TBlob> all = in;
  all.insert(all.end(), out.begin(), out.end());
  CheckKernelDtypes(p, all);
  const OrderCfg c = OrderCfgOf(p);
  const OrderPlan s = OrderPlanOf(p, in[0].shape);
  const TBlob *vout = nullptr, *iout = nullptr, *mout = nullptr;
  OpReq vreq = kNullOp, ireq = kNullOp, mreq = kNullOp;
  switch (c.ret) {
    case Ret::kIndices: iout = &out[0], ireq = req[0]; break;
    case Ret::kMask: mout = &out[0], mreq = req[0]; break;
    case Ret::kValue:
    case Ret::kBoth:
      vout = &out[0], vreq = req[0];
      iout = &out[1], ireq = req[1];
      break;
  }
  if (mout && mreq != kNullOp) ZeroIfWrite(*mout, mreq);
  const int64_t K = s.k;
  // Positions go to an int64 output directly, else through an int64 buffer converted once (the sorting code is
  // instantiated per data dtype only, not per pair of data and index dtypes).
  const bool want_pos = iout && ireq != kNullOp;
  const bool direct = want_pos && iout->dtype == kInt64 && ireq != kAddTo;
  std::vector<int64_t> buf(want_pos && !direct ? static_cast<size_t>(iout->Size()) : 0);
  int64_t *pos = !want_pos ? nullptr : direct ? iout->ptr<int64_t>() : buf.data();
  MXC_ARITH_TYPE_SWITCH(in[0].dtype, D, {
    const D *x = in[0].ptr<D>();
    D *vp = vout && vreq != kNullOp ? vout->ptr<D>() : nullptr;
    D *mp = mout && mreq != kNullOp ? mout->ptr<D>() : nullptr;
    ForOrderedRows(x, s, c.ascend, [&](int64_t o, int64_t i, const int64_t *perm) {
      for (int64_t j = 0; j < K; ++j) {
        const int64_t src = (o * s.n + perm[j]) * s.inner + i;
        const int64_t dst = (o * K + j) * s.inner + i;
        if (vp) Store(vp + dst, vreq, x[src]);
        if (pos) pos[dst] = perm[j];
        if (mp) mp[src] += D(1);  // zeroed above for a writing request
      }
    });
  });
  if (want_pos && !direct) {
    MXC_ARITH_TYPE_SWITCH(iout->dtype, I, {
      I *ip = iout->ptr<I>();
      for (size_t j = 0; j < buf.size(); ++j) Store(ip + j, ireq, static_cast<I>(buf[j]));
    });
  }
}

// The positions (any arithmetic dtype) as int64.
std::vector<int64_t> Positions(const TBlob &b) {
  std::vector<int64_t> v(static_cast<size_t>(b.Size()));
  MXC_ARITH_TYPE_SWITCH(b.dtype, T, {
    const T *q = b.ptr<T>();
    for (int64_t i = 0; i < b.Size(); ++i) v[i] = static_cast<int64_t>(q[i]);
  });
  return v;
}

void OrderBackward(MXC_FBACKWARD_ARGS) {
  (void)in;
  if (req[0] == kNullOp) return;
  const OrderCfg c = OrderCfgOf(p);
  ZeroIfWrite(ig[0], req[0]);
  if (c.ret == Ret::kIndices || c.ret == Ret::kMask) return;
  const OrderPlan s = OrderPlanOf(p, ig[0].shape);
  const auto pos = Positions(out[1]);
  const int64_t K = s.k;
  MXC_ARITH_TYPE_SWITCH(ig[0].dtype, D, {
    const D *g = og[0].ptr<D>();
    D *d = ig[0].ptr<D>();
    // The positions of one row are distinct: every (o, i) adds into its own elements.
    ParallelFor(s.outer * s.inner, [&](int64_t r) {
      const int64_t o = r / s.inner, i = r % s.inner;
      for (int64_t j = 0; j < K; ++j) {
        const int64_t at = (o * K + j) * s.inner + i, q = pos[at];
        if (q >= 0 && q < s.n) d[(o * s.n + q) * s.inner + i] += g[at];
      }
    });
  });
}

// What the three operators share: one input, the axis, their outputs, inference and kernels (their own parameters
// follow the axis).
Op &OrderOp(const char *name, const char *doc, const char *axis_doc, bool backward_uses_outputs) {
  return OpRegistry::Get()
      ->Register(name)
      .describe(doc)
      .set_inputs({"data"})
      .add_param("axis", ParamKind::kOptInt, "-1", axis_doc)
      .set_num_outputs(NumOut)
      .set_num_visible_outputs(NumVisible)
      .set_output_names(OutNames)
      .set_infer_shape(OrderShape)
      .set_infer_type(OrderType)
      .set_compute(MXC_CPU, OrderForward)
      .set_backward(MXC_CPU, OrderBackward)
      .set_backward_uses(false, backward_uses_outputs);
}

constexpr const char *kSortAxisDoc =
    "The axis to sort along; negative values count from the end. None: the flattened input.";
constexpr const char *kIndexDtypeDoc = "Dtype of the positions: float16, float32, float64, int32, int64 or uint8.";

}  // namespace

static Op &topk_reg =
    OrderOp("topk",
            "The k largest (or smallest, is_ascend) elements along an axis (None: of the flattened input), in order: "
            "their positions, values, both, or a mask of them, per ret_typ. Ties keep the input order; NaN counts as "
            "the largest value.",
            "The axis to order along; negative values count from the end. None: the flattened input.", true)
        .add_param("k", ParamKind::kInt, "1", "Number of elements to keep; k <= 0 keeps the whole axis.")
        .add_param("ret_typ", ParamKind::kEnum, "indices",
                   "What to return: 'indices' (positions), 'value', 'both' ([values, positions]) or 'mask'.",
                   {"both", "indices", "mask", "value"})
        .add_param("is_ascend", ParamKind::kBool, "0", "Keep the smallest elements (ascending) instead of the largest.")
        .add_param("dtype", ParamKind::kDType, "float32", kIndexDtypeDoc);

static Op &sort_reg =
    OrderOp("sort",
            "The elements sorted along an axis (None: the flattened input), ascending unless is_ascend is false. Ties "
            "keep the input order; NaN counts as the largest value.",
            kSortAxisDoc, true)
        .add_param("is_ascend", ParamKind::kBool, "1", "Ascending (true) or descending order.");

static Op &argsort_reg =
    OrderOp("argsort",
            "The positions that sort the elements along an axis (None: the flattened input), in dtype. Ties keep the "
            "input order; NaN counts as the largest value.",
            kSortAxisDoc, false)
        .add_param("is_ascend", ParamKind::kBool, "1", "Ascending (true) or descending order.")
        .add_param("dtype", ParamKind::kDType, "float32", kIndexDtypeDoc);

}  // namespace op
}  // namespace mxc
