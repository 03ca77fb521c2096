// Indexing operators: take, pick, gather_nd, one_hot, where.
//
// Index arrays may have any arithmetic dtype; floating-point indices are truncated toward zero (as MXNet casts
// them). Gradients flow to the data (accumulated where an index repeats), never to the indices, which get zero.
#include "tensor_util.h"

namespace mxc {
namespace op {

namespace {

// Index arrays as int64 (floating point truncated; NaN and values beyond int64 become INT64_MIN, out of range).
std::vector<int64_t> IndexValues(const TBlob &b) {
  std::vector<int64_t> v(static_cast<size_t>(b.Size()));
  MXC_ARITH_TYPE_SWITCH(b.dtype, T, {
    const T *p = b.ptr<T>();
    for (int64_t i = 0; i < b.Size(); ++i) {
      if (std::is_floating_point<T>::value) {
        double d = static_cast<double>(p[i]);
        v[i] = (d > -9.2e18 && d < 9.2e18) ? static_cast<int64_t>(d) : INT64_MIN;
      } else {
        v[i] = static_cast<int64_t>(p[i]);
      }
    }
  });
  return v;
}

enum class Mode { kClip, kWrap, kRaise };

Mode ModeOf(const OpParams &p) {
  const std::string &m = p.Str("mode");
  return m == "wrap" ? Mode::kWrap : m == "raise" ? Mode::kRaise : Mode::kClip;
}

// Applies the out-of-range mode to every index of an axis of size n.
void ResolveIndices(std::vector<int64_t> *idx, int64_t n, Mode mode, const char *what) {
  for (auto &j : *idx) {
    if (j >= 0 && j < n) continue;
    if (mode == Mode::kRaise || n == 0)
      Throw(ErrorKind::kIndex, what, ": index ", j == INT64_MIN ? std::string("NaN") : std::to_string(j),
            " is out of range for an axis of size ", n);
    if (mode == Mode::kClip) j = j < 0 ? 0 : n - 1;
    else j = ((j % n) + n) % n;
  }
}

// Type inference for operators whose output has the dtype of input `data_in` and whose index inputs have any
// arithmetic dtype (float32 when unknown).
template <int kData, int kIndex>
void DataIndexType(const OpParams &p, std::vector<int> *in, std::vector<int> *out) {
  int t = (*in)[kData] >= 0 ? (*in)[kData] : (*out)[0];
  TypeAssign(&(*in)[kData], t, p.op(), InputName(p, kData));
  TypeAssign(&(*out)[0], t, p.op(), "output");
  if ((*in)[kIndex] < 0) (*in)[kIndex] = kFloat32;
  CheckDType(p, (*in)[kIndex], InputName(p, kIndex).c_str(), IsArith, "an arithmetic dtype (not bool or float16)");
}

int64_t Prod(const TShape &s, int b, int e) {
  int64_t n = 1;
  for (int i = b; i < e; ++i) n *= s[i];
  return n;
}

// out[o, k, :] = data[o, idx[k], :] (gather rows of width `inner`) according to req.
void GatherRows(const TBlob &data, int64_t outer, int64_t n, int64_t inner, const std::vector<int64_t> &idx,
                const TBlob &out, OpReq req) {
  if (req == kNullOp) return;
  const int64_t K = static_cast<int64_t>(idx.size());
  auto run = [&](auto *d, auto *o) {
    ForChunks(outer * K, NumChunks(outer * K * inner, outer * K), [&](int64_t b, int64_t e) {
      for (int64_t r = b; r < e; ++r) {
        int64_t oo = r / K, k = r % K;
        CopyReq(o + r * inner, d + (oo * n + idx[k]) * inner, inner, req);
      }
    });
  };
  if (req == kAddTo) {
    MXC_ARITH_TYPE_SWITCH(out.dtype, T, { run(data.ptr<T>(), out.ptr<T>()); });
  } else {
    MXC_ELEM_SWITCH(out.dtype, T, { run(data.ptr<T>(), out.ptr<T>()); });
  }
}

// grad[o, idx[k], :] += og[o, k, :] (after zeroing grad for a writing req).
void ScatterAddRows(const TBlob &og, int64_t outer, int64_t n, int64_t inner, const std::vector<int64_t> &idx,
                    const TBlob &grad, OpReq req) {
  if (req == kNullOp) return;
  ZeroIfWrite(grad, req);
  const int64_t K = static_cast<int64_t>(idx.size());
  MXC_ARITH_TYPE_SWITCH(grad.dtype, T, {
    const T *g = og.ptr<T>();
    T *d = grad.ptr<T>();
    // Rows of different o never collide: split over o.
    ForChunks(outer, NumChunks(outer * K * inner, outer), [&](int64_t b, int64_t e) {
      for (int64_t o = b; o < e; ++o)
        for (int64_t k = 0; k < K; ++k) {
          T *dst = d + (o * n + idx[k]) * inner;
          const T *src = g + (o * K + k) * inner;
          for (int64_t j = 0; j < inner; ++j) dst[j] += src[j];
        }
    });
  });
}

void ZeroGrad(const TBlob &g, OpReq req) { ZeroIfWrite(g, req); }

// ---- take -------------------------------------------------------------------------------------------------------
void TakeShape(const OpParams &p, std::vector<TShape> *in, std::vector<TShape> *out) {
  const TShape &a = (*in)[0], &idx = (*in)[1];
  if (a.empty() || idx.empty()) return;
  int ax = NormalizeAxis(p, p.Int("axis"), a.ndim(), "axis", a);
  if (a.ndim() - 1 + idx.ndim() > kMaxDim)
    Throw(ErrorKind::kShape, "operator take: the result of a ", ShapeStr(a), " by indices ", ShapeStr(idx),
          " would have more than ", kMaxDim, " dimensions");
  TShape o;
  for (int i = 0; i < ax; ++i) o.push_back(a[i]);
  for (auto d : idx) o.push_back(d);
  for (int i = ax + 1; i < a.ndim(); ++i) o.push_back(a[i]);
  ShapeAssign(&(*out)[0], o, p.op(), "output");
}

struct TakePlan {
  int64_t outer, n, inner;
  std::vector<int64_t> idx;
};

TakePlan PlanTake(const OpParams &p, const TBlob &a, const TBlob &indices) {
  TakePlan t;
  int ax = NormalizeAxis(p, p.Int("axis"), a.ndim(), "axis", a.shape);
  t.outer = Prod(a.shape, 0, ax);
  t.n = a.shape[ax];
  t.inner = Prod(a.shape, ax + 1, a.ndim());
  t.idx = IndexValues(indices);
  ResolveIndices(&t.idx, t.n, ModeOf(p), "take");
  return t;
}

void TakeForward(MXC_FCOMPUTE_ARGS) {
  TakePlan t = PlanTake(p, in[0], in[1]);
  GatherRows(in[0], t.outer, t.n, t.inner, t.idx, out[0], req[0]);
}

void TakeBackward(MXC_FBACKWARD_ARGS) {
  (void)out;
  ZeroGrad(ig[1], req[1]);
  if (req[0] == kNullOp) return;
  TakePlan t = PlanTake(p, ig[0], in[1]);
  ScatterAddRows(og[0], t.outer, t.n, t.inner, t.idx, ig[0], req[0]);
}

// ---- pick -------------------------------------------------------------------------------------------------------
// data viewed as (outer, n, inner); index and output as (outer, inner).
struct PickPlan {
  int64_t outer = 1, n = 1, inner = 1;
};

PickPlan PlanPick(const OpParams &p, const TShape &d) {
  PickPlan s;
  if (p.IsNone("axis")) {
    s.n = ShapeSize(d);
    return s;
  }
  int ax = NormalizeAxis(p, p.Int("axis"), d.ndim(), "axis", d);
  s.outer = Prod(d, 0, ax);
  s.n = d[ax];
  s.inner = Prod(d, ax + 1, d.ndim());
  return s;
}

void PickShape(const OpParams &p, std::vector<TShape> *in, std::vector<TShape> *out) {
  const TShape &d = (*in)[0];
  if (d.empty()) return;
  const bool keep = p.Bool("keepdims");
  TShape o, o_other;  // the output shape, and the other accepted index shape (with or without the axis)
  if (p.IsNone("axis")) {
    o = keep ? TShape(d.size(), 1) : TShape{1};
    o_other = TShape{1};
  } else {
    int ax = NormalizeAxis(p, p.Int("axis"), d.ndim(), "axis", d);
    TShape kept = d, dropped;
    kept[ax] = 1;
    for (int i = 0; i < d.ndim(); ++i)
      if (i != ax) dropped.push_back(d[i]);
    if (dropped.empty()) dropped.push_back(1);
    o = keep ? kept : dropped;
    o_other = keep ? dropped : kept;
  }
  const TShape &is = (*in)[1];
  if (!is.empty() && is != o && is != o_other)
    Throw(ErrorKind::kShape, "operator pick: index has shape ", ShapeStr(is), ", expected ", ShapeStr(o),
          " for data of shape ", ShapeStr(d), " (axis=", p.RawString("axis"), ")");
  if (is.empty()) (*in)[1] = o;
  ShapeAssign(&(*out)[0], o, p.op(), "output");
}

void PickForward(MXC_FCOMPUTE_ARGS) {
  if (req[0] == kNullOp) return;
  PickPlan s = PlanPick(p, in[0].shape);
  auto idx = IndexValues(in[1]);
  ResolveIndices(&idx, s.n, ModeOf(p), "pick");
  if (req[0] == kAddTo) {
    MXC_ARITH_TYPE_SWITCH(in[0].dtype, T, {
      const T *d = in[0].ptr<T>();
      T *o = out[0].ptr<T>();
      ParallelFor(s.outer * s.inner, [&](int64_t r) {
        o[r] += d[((r / s.inner) * s.n + idx[r]) * s.inner + r % s.inner];
      });
    });
  } else {
    MXC_ELEM_SWITCH(in[0].dtype, T, {
      const T *d = in[0].ptr<T>();
      T *o = out[0].ptr<T>();
      ParallelFor(s.outer * s.inner, [&](int64_t r) {
        o[r] = d[((r / s.inner) * s.n + idx[r]) * s.inner + r % s.inner];
      });
    });
  }
}

void PickBackward(MXC_FBACKWARD_ARGS) {
  (void)out;
  ZeroGrad(ig[1], req[1]);
  if (req[0] == kNullOp) return;
  PickPlan s = PlanPick(p, ig[0].shape);
  auto idx = IndexValues(in[1]);
  ResolveIndices(&idx, s.n, ModeOf(p), "pick");
  ZeroIfWrite(ig[0], req[0]);
  MXC_ARITH_TYPE_SWITCH(ig[0].dtype, T, {
    const T *g = og[0].ptr<T>();
    T *d = ig[0].ptr<T>();
    // Each (o, i) writes a distinct element.
    ParallelFor(s.outer * s.inner, [&](int64_t r) {
      d[((r / s.inner) * s.n + idx[r]) * s.inner + r % s.inner] += g[r];
    });
  });
}

// ---- gather_nd --------------------------------------------------------------------------------------------------
void GatherNdShape(const OpParams &p, std::vector<TShape> *in, std::vector<TShape> *out) {
  const TShape &d = (*in)[0], &idx = (*in)[1];
  if (d.empty() || idx.empty()) return;
  const int64_t m = idx[0];
  if (m < 1 || m > d.ndim())
    Throw(ErrorKind::kShape, "operator gather_nd: indices of shape ", ShapeStr(idx), " index ", m,
          " axes, but data of shape ", ShapeStr(d), " has ", d.ndim());
  TShape o;
  for (int i = 1; i < idx.ndim(); ++i) o.push_back(idx[i]);
  for (int i = static_cast<int>(m); i < d.ndim(); ++i) o.push_back(d[i]);
  if (o.empty()) o.push_back(1);
  ShapeAssign(&(*out)[0], o, p.op(), "output");
}

// Offsets (in rows of width `inner`) into data of each of the Y index tuples; negative indices count from the end.
std::vector<int64_t> GatherNdRows(const TShape &d, const TBlob &indices, int64_t *inner) {
  const int64_t m = indices.shape[0], Y = indices.Size() / std::max<int64_t>(m, 1);
  auto v = IndexValues(indices);
  *inner = Prod(d, static_cast<int>(m), d.ndim());
  std::vector<int64_t> rows(static_cast<size_t>(Y));
  for (int64_t y = 0; y < Y; ++y) {
    int64_t r = 0;
    for (int64_t k = 0; k < m; ++k) {
      int64_t j = v[k * Y + y], n = d[k];
      if (j < 0 && j != INT64_MIN) j += n;
      if (j < 0 || j >= n)
        Throw(ErrorKind::kIndex, "gather_nd: index ", v[k * Y + y], " is out of range for axis ", k,
              " of data shape ", ShapeStr(d));
      r = r * n + j;
    }
    rows[y] = r;
  }
  return rows;
}

void GatherNdForward(MXC_FCOMPUTE_ARGS) {
  (void)p;
  int64_t inner;
  auto rows = GatherNdRows(in[0].shape, in[1], &inner);
  GatherRows(in[0], 1, 0, inner, rows, out[0], req[0]);
}

void GatherNdBackward(MXC_FBACKWARD_ARGS) {
  (void)p, (void)out;
  ZeroGrad(ig[1], req[1]);
  if (req[0] == kNullOp) return;
  int64_t inner;
  auto rows = GatherNdRows(ig[0].shape, in[1], &inner);
  ZeroIfWrite(ig[0], req[0]);
  MXC_ARITH_TYPE_SWITCH(ig[0].dtype, T, {
    const T *g = og[0].ptr<T>();
    T *d = ig[0].ptr<T>();
    for (size_t y = 0; y < rows.size(); ++y)  // serial: tuples may repeat
      for (int64_t j = 0; j < inner; ++j) d[rows[y] * inner + j] += g[y * inner + j];
  });
}

// ---- one_hot ----------------------------------------------------------------------------------------------------
void OneHotShape(const OpParams &p, std::vector<TShape> *in, std::vector<TShape> *out) {
  const TShape &is = (*in)[0];
  int64_t depth = p.Int("depth");
  if (depth < 0) Throw(ErrorKind::kValue, "operator one_hot: depth=", depth, " must not be negative");
  if (is.empty()) return;
  TShape o = is;
  o.push_back(depth);
  ShapeAssign(&(*out)[0], o, p.op(), "output");
}

void OneHotType(const OpParams &p, std::vector<int> *in, std::vector<int> *out) {
  int t = p.Dtype("dtype");
  if (!IsArith(t)) Throw(ErrorKind::kType, "operator one_hot: dtype ", DTypeName(t), " is not supported");
  TypeAssign(&(*out)[0], t, p.op(), "output");
  if ((*in)[0] < 0) (*in)[0] = kFloat32;
  CheckDType(p, (*in)[0], "indices", IsArith, "an arithmetic dtype (not bool or float16)");
}

void OneHotForward(MXC_FCOMPUTE_ARGS) {
  if (req[0] == kNullOp) return;
  const int64_t depth = p.Int("depth");
  auto idx = IndexValues(in[0]);
  MXC_ARITH_TYPE_SWITCH(out[0].dtype, T, {
    T *o = out[0].ptr<T>();
    const T on = static_cast<T>(p.Float("on_value")), off = static_cast<T>(p.Float("off_value"));
    ParallelFor(static_cast<int64_t>(idx.size()), [&](int64_t i) {
      T *row = o + i * depth;
      for (int64_t k = 0; k < depth; ++k) Store(row + k, req[0], idx[i] == k ? on : off);
    });
  });
}

// ---- where ------------------------------------------------------------------------------------------------------
// Whether two shapes can describe the same array once their unknown (0) dimensions are inferred.
bool ShapesAgree(const TShape &a, const TShape &b) {
  if (a.ndim() != b.ndim()) return false;
  for (int i = 0; i < a.ndim(); ++i)
    if (a[i] != 0 && b[i] != 0 && a[i] != b[i]) return false;
  return true;
}

void WhereShape(const OpParams &p, std::vector<TShape> *in, std::vector<TShape> *out) {
  TShape s;
  ShapeMerge(&s, (*in)[1], p.op(), "x");
  ShapeMerge(&s, (*out)[0], p.op(), "output");
  if (!(*in)[2].empty() && !s.empty() && !ShapesAgree((*in)[2], s))
    Throw(ErrorKind::kShape, "operator where: y has shape ", ShapeStr((*in)[2]), ", x has shape ", ShapeStr(s),
          " (they must be equal)");
  ShapeMerge(&s, (*in)[2], p.op(), "y");
  if (s.empty()) return;
  ShapeAssign(&(*in)[1], s, p.op(), "x");
  ShapeAssign(&(*in)[2], s, p.op(), "y");
  ShapeAssign(&(*out)[0], s, p.op(), "output");
  const TShape &c = (*in)[0];
  if (c.empty()) {
    (*in)[0] = s;
  } else if (!ShapesAgree(c, s) && !(c.ndim() == 1 && (c[0] == s[0] || c[0] == 0 || s[0] == 0))) {
    Throw(ErrorKind::kShape, "operator where: condition has shape ", ShapeStr(c), ", expected ", ShapeStr(s),
          " (the shape of x) or (", s[0], ",) (one value per row of x)");
  }
}

void WhereType(const OpParams &p, std::vector<int> *in, std::vector<int> *out) {
  int t = -1;
  TypeMerge(&t, (*in)[1], p.op(), "x");
  TypeMerge(&t, (*in)[2], p.op(), "y");
  TypeMerge(&t, (*out)[0], p.op(), "output");
  TypeAssign(&(*in)[1], t, p.op(), "x");
  TypeAssign(&(*in)[2], t, p.op(), "y");
  TypeAssign(&(*out)[0], t, p.op(), "output");
  if ((*in)[0] < 0) (*in)[0] = t;
  CheckDType(p, (*in)[0], "condition", [](int d) { return d != kFloat16; }, "any dtype but float16");
}

// Condition as 0/1 bytes, and the number of elements of x each covers (1, or a row for a 1-d condition).
std::vector<uint8_t> ConditionMask(const TBlob &c, const TShape &xs, int64_t *per) {
  std::vector<uint8_t> m(static_cast<size_t>(c.Size()));
  MXC_TYPE_SWITCH(c.dtype, T, {
    const T *p = c.ptr<T>();
    for (int64_t i = 0; i < c.Size(); ++i) m[i] = p[i] != T(0);
  });
  *per = c.shape == xs ? 1 : (xs[0] ? ShapeSize(xs) / xs[0] : 0);
  return m;
}

void WhereForward(MXC_FCOMPUTE_ARGS) {
  (void)p;
  if (req[0] == kNullOp) return;
  int64_t per;
  auto m = ConditionMask(in[0], in[1].shape, &per);
  const int64_t n = out[0].Size();
  auto run = [&](auto *x, auto *y, auto *o) {
    ParallelFor(n, [&](int64_t i) {
      auto v = m[i / per] ? x[i] : y[i];
      if (req[0] == kAddTo) o[i] += v;
      else o[i] = v;
    });
  };
  if (req[0] == kAddTo) {
    MXC_ARITH_TYPE_SWITCH(out[0].dtype, T, { run(in[1].ptr<T>(), in[2].ptr<T>(), out[0].ptr<T>()); });
  } else {
    MXC_ELEM_SWITCH(out[0].dtype, T, { run(in[1].ptr<T>(), in[2].ptr<T>(), out[0].ptr<T>()); });
  }
}

void WhereBackward(MXC_FBACKWARD_ARGS) {
  (void)p, (void)out;
  ZeroGrad(ig[0], req[0]);
  int64_t per;
  auto m = ConditionMask(in[0], og[0].shape, &per);  // the output has the shape of x
  const int64_t n = og[0].Size();
  MXC_ARITH_TYPE_SWITCH(og[0].dtype, T, {
    const T *g = og[0].ptr<T>();
    for (int k = 1; k <= 2; ++k) {
      if (req[k] == kNullOp) continue;
      T *d = ig[k].ptr<T>();
      const bool take_true = k == 1;
      const OpReq r = req[k];
      ParallelFor(n, [&](int64_t i) {
        T v = (m[i / per] != 0) == take_true ? g[i] : T(0);
        Store(d + i, r, v);
      });
    }
  });
}

Op &Reg(const char *name) { return OpRegistry::Get()->Register(name); }

}  // namespace

static Op &take_reg =
    Reg("take")
        .describe("Takes elements of a along an axis at the given indices: the result's shape is a.shape[:axis] + "
                  "indices.shape + a.shape[axis+1:].")
        .set_inputs({"a", "indices"})
        .add_param("axis", ParamKind::kInt, "0", "The axis of a to take from; negative values count from the end.")
        .add_param("mode", ParamKind::kEnum, "clip",
                   "Out-of-range indices: 'clip' to the ends, 'wrap' around, or 'raise' an IndexError.",
                   {"clip", "raise", "wrap"})
        .set_infer_shape(TakeShape)
        .set_infer_type(DataIndexType<0, 1>)
        .set_compute(MXC_CPU, TakeForward)
        .set_backward(MXC_CPU, TakeBackward)
        .set_backward_uses(true, false);

static Op &pick_reg =
    Reg("pick")
        .describe("Picks one element along an axis for each position of the other axes: out[i, j] = "
                  "data[i, index[i, j], j] (axis None: one element of the flattened data).")
        .add_alias("choose_element_0index")  // MXNet 1.x's old name (ops3)
        .set_inputs({"data", "index"})
        .add_param("axis", ParamKind::kOptInt, "-1", "The axis to pick along; negative values count from the end.")
        .add_param("keepdims", ParamKind::kBool, "0", "Keep the picked axis as a dimension of size one.")
        .add_param("mode", ParamKind::kEnum, "clip", "Out-of-range indices: 'clip' to the ends or 'wrap' around.",
                   {"clip", "wrap"})
        .set_infer_shape(PickShape)
        .set_infer_type(DataIndexType<0, 1>)
        .set_compute(MXC_CPU, PickForward)
        .set_backward(MXC_CPU, PickBackward)
        .set_backward_uses(true, false);

static Op &gather_nd_reg =
    Reg("gather_nd")
        .describe("Gathers slices of data at index tuples: indices of shape (M, Y...) index the first M axes; the "
                  "result's shape is Y + data.shape[M:]. Negative indices count from the end.")
        .set_inputs({"data", "indices"})
        .set_infer_shape(GatherNdShape)
        .set_infer_type(DataIndexType<0, 1>)
        .set_compute(MXC_CPU, GatherNdForward)
        .set_backward(MXC_CPU, GatherNdBackward)
        .set_backward_uses(true, false);

static Op &one_hot_reg =
    Reg("one_hot")
        .describe("One-hot encoding: a new last axis of size depth holding on_value at the index and off_value "
                  "elsewhere (indices outside [0, depth) give a row of off_value).")
        .set_inputs({"indices"})
        .add_required_param("depth", ParamKind::kInt, "Size of the one-hot axis.")
        .add_param("on_value", ParamKind::kFloat, "1", "Value at the index.")
        .add_param("off_value", ParamKind::kFloat, "0", "Value elsewhere.")
        .add_param("dtype", ParamKind::kDType, "float32", "Dtype of the output.")
        .set_infer_shape(OneHotShape)
        .set_infer_type(OneHotType)
        .set_compute(MXC_CPU, OneHotForward)
        .set_backward(MXC_CPU, [](MXC_FBACKWARD_ARGS) {
          (void)p, (void)og, (void)in, (void)out;
          ZeroGrad(ig[0], req[0]);
        })
        .set_backward_uses(false, false);

static Op &where_reg =
    Reg("where")
        .describe("Elements of x where condition is nonzero, else of y. condition has the shape of x, or is 1-d "
                  "with one value per row (first axis) of x.")
        .set_inputs({"condition", "x", "y"})
        .set_infer_shape(WhereShape)
        .set_infer_type(WhereType)
        .set_compute(MXC_CPU, WhereForward)
        .set_backward(MXC_CPU, WhereBackward)
        .set_backward_uses(true, false);

}  // namespace op
}  // namespace mxc
