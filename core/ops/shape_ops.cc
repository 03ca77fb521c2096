// Shape operators: Reshape, Flatten, expand_dims, squeeze (copies that may run in place), reshape_like, transpose,
// swapaxes, slice, slice_axis, reverse, broadcast_to, broadcast_axis, tile, repeat. Every dtype is accepted (they
// move elements without looking at them); gradients need an arithmetic dtype only when they accumulate (req add, broadcasting).
#include "shape_views.h"

namespace mxc {
namespace op {

namespace {


[[noreturn]] void ShapeFail(const OpParams &p, const TShape &in, const std::string &why) {
  Throw(ErrorKind::kShape, "operator ", p.op()->name, ": ", why, " (input shape ", ShapeStr(in), ")");
}

// ---- copies with a new shape: Reshape, Flatten, expand_dims, squeeze ----------------------------------------------
void CopyForward(MXC_FCOMPUTE_ARGS) {
  (void)p;
  CopyBlob(out[0], in[0], req[0]);
}
void CopyBackward(MXC_FBACKWARD_ARGS) {
  (void)p, (void)in, (void)out;
  CopyBlob(ig[0], og[0], req[0]);
}

Op &CopyOp(Op &op, const char *doc) {
  return op.describe(doc)
      .set_inputs({"data"})
      .set_inplace({{0, 0}})
      .set_compute(MXC_CPU, CopyForward)
      .set_backward(MXC_CPU, CopyBackward)
      .set_backward_uses(false, false);
}

void ReshapeShape(const OpParams &p, std::vector<TShape> *in, std::vector<TShape> *out) {
  const TShape &is = (*in)[0];
  if (is.empty()) return;
  const auto &shape = p.Tuple("shape");
  const auto &target = p.Tuple("target_shape");
  TShape o;
  if (!shape.empty()) {
    try {
      o = InferReshape(is, shape, p.Bool("reverse"), "operator Reshape");
    } catch (const Error &) {
      if (ShapeKnown(is)) throw;
      return;  // an input dimension is still unknown (symbolic inference): try again later
    }
  } else if (!target.empty()) {
    // Deprecated MXNet form: one 0 in target_shape is inferred; keep_highest keeps the first dimension.
    std::vector<int64_t> t = target;
    if (p.Bool("keep_highest")) t[0] = is[0];
    for (auto &d : t)
      if (d == 0) d = -1;
    try {
      o = InferReshape(is, t, false, "operator Reshape");
    } catch (const Error &) {
      if (ShapeKnown(is)) throw;
      return;
    }
  } else {
    Throw(ErrorKind::kValue, "operator Reshape: parameter 'shape' is required (input shape ", ShapeStr(is), ")");
  }
  ShapeAssign(&(*out)[0], o, p.op(), "output");
}

void FlattenShape(const OpParams &p, std::vector<TShape> *in, std::vector<TShape> *out) {
  const TShape &is = (*in)[0];
  if (is.empty()) return;
  int64_t rest = 1;
  for (int i = 1; i < is.ndim(); ++i) rest *= is[i];
  ShapeAssign(&(*out)[0], TShape{is[0], rest}, p.op(), "output");
}

void ExpandDimsShape(const OpParams &p, std::vector<TShape> *in, std::vector<TShape> *out) {
  const TShape &is = (*in)[0];
  if (is.empty()) return;
  int ax = NormalizeAxis(p, p.Int("axis"), is.ndim() + 1, "axis", is);
  TShape o = is;
  o.insert(o.begin() + ax, 1);
  ShapeAssign(&(*out)[0], o, p.op(), "output");
}

void SqueezeShape(const OpParams &p, std::vector<TShape> *in, std::vector<TShape> *out) {
  const TShape &is = (*in)[0];
  if (is.empty()) return;
  std::vector<bool> drop(is.ndim(), false);
  if (p.IsNone("axis")) {
    for (int i = 0; i < is.ndim(); ++i) drop[i] = is[i] == 1;
  } else {
    for (int64_t a : p.Tuple("axis")) {
      int k = NormalizeAxis(p, a, is.ndim(), "axis", is);
      if (is[k] != 1)
        ShapeFail(p, is, "cannot squeeze axis " + std::to_string(k) + " of size " + std::to_string(is[k]));
      drop[k] = true;
    }
  }
  TShape o;
  for (int i = 0; i < is.ndim(); ++i)
    if (!drop[i]) o.push_back(is[i]);
  if (o.empty()) o.push_back(1);
  ShapeAssign(&(*out)[0], o, p.op(), "output");
}

// ---- reshape_like: lhs's elements in rhs's shape ------------------------------------------------------------------
void ReshapeLikeShape(const OpParams &p, std::vector<TShape> *in, std::vector<TShape> *out) {
  for (const char *k : {"lhs_begin", "lhs_end", "rhs_begin", "rhs_end"})
    if (!p.IsNone(k))
      Throw(ErrorKind::kValue, "operator reshape_like: parameter '", k,
            "' is not supported (only whole shapes are matched)");
  const TShape &lhs = (*in)[0], &rhs = (*in)[1];
  if (rhs.empty() || !ShapeKnown(rhs)) return;
  if (!lhs.empty() && ShapeKnown(lhs) && ShapeSize(lhs) != ShapeSize(rhs))
    Throw(ErrorKind::kShape, "operator reshape_like: lhs of shape ", ShapeStr(lhs), " (", ShapeSize(lhs),
          " elements) cannot take the shape of rhs ", ShapeStr(rhs), " (", ShapeSize(rhs), " elements)");
  ShapeAssign(&(*out)[0], rhs, p.op(), "output");
}

// The output has lhs's dtype; rhs's dtype does not matter (float32 when unknown).
void ReshapeLikeType(const OpParams &p, std::vector<int> *in, std::vector<int> *out) {
  int t = (*in)[0] >= 0 ? (*in)[0] : (*out)[0];
  TypeAssign(&(*in)[0], t, p.op(), "lhs");
  TypeAssign(&(*out)[0], t, p.op(), "output");
  if ((*in)[1] < 0) (*in)[1] = kFloat32;
}

void ReshapeLikeBackward(MXC_FBACKWARD_ARGS) {
  (void)p, (void)in, (void)out;
  CopyBlob(ig[0], og[0], req[0]);
  if (ig.size() > 1 && req.size() > 1 && ig[1].dptr != nullptr && req[1] != kNullOp && req[1] != kAddTo)
    std::memset(ig[1].dptr, 0, ig[1].Size() * DTypeSize(ig[1].dtype));
}

// ---- transpose and swapaxes ---------------------------------------------------------------------------------------
// Output axis i is input axis perm[i].
std::vector<int> TransposePerm(const OpParams &p, const TShape &is) {
  const int nd = is.ndim();
  std::vector<int> perm(nd);
  if (p.op()->name == "swapaxes") {
    for (int i = 0; i < nd; ++i) perm[i] = i;
    int a = NormalizeAxis(p, p.Int("dim1"), nd, "dim1", is), b = NormalizeAxis(p, p.Int("dim2"), nd, "dim2", is);
    std::swap(perm[a], perm[b]);
    return perm;
  }
  const auto &axes = p.Tuple("axes");
  if (axes.empty()) {
    for (int i = 0; i < nd; ++i) perm[i] = nd - 1 - i;
    return perm;
  }
  if (static_cast<int>(axes.size()) != nd)
    ShapeFail(p, is, "axes " + TupleStr(axes) + " must list each of the " + std::to_string(nd) + " axes once");
  std::vector<bool> seen(nd, false);
  for (int i = 0; i < nd; ++i) {
    int k = NormalizeAxis(p, axes[i], nd, "axes", is);
    if (seen[k]) ShapeFail(p, is, "axes " + TupleStr(axes) + " names axis " + std::to_string(k) + " twice");
    seen[k] = true;
    perm[i] = k;
  }
  return perm;
}

}  // namespace

StridedView TransposeView(const OpParams &p, const TShape &is) {
  auto perm = TransposePerm(p, is);
  StridedView c = StridedView::Contiguous(is), v;
  for (int i = 0; i < is.ndim(); ++i) v.Push(c.shape[perm[i]], c.stride[perm[i]]);
  v.Simplify();
  return v;
}

namespace {

void TransposeShape(const OpParams &p, std::vector<TShape> *in, std::vector<TShape> *out) {
  const TShape &is = (*in)[0];
  if (is.empty()) return;
  auto perm = TransposePerm(p, is);
  TShape o;
  for (int k : perm) o.push_back(is[k]);
  ShapeAssign(&(*out)[0], o, p.op(), "output");
}

// ---- slice and slice_axis -----------------------------------------------------------------------------------------
// Range of one axis: first index, count and step.
struct AxisRange {
  int64_t begin = 0, len = 0, step = 1;
};

// Python slice semantics (clamped); begin/end may be kNoneInt.
AxisRange PySlice(int64_t b, int64_t e, int64_t s, int64_t dim) {
  AxisRange r;
  r.step = s;
  if (s > 0) {
    b = b == kNoneInt ? 0 : (b < 0 ? std::max<int64_t>(b + dim, 0) : std::min(b, dim));
    e = e == kNoneInt ? dim : (e < 0 ? std::max<int64_t>(e + dim, 0) : std::min(e, dim));
    r.len = e > b ? (e - b + s - 1) / s : 0;
  } else {
    b = b == kNoneInt ? dim - 1 : (b < 0 ? std::max<int64_t>(b + dim, -1) : std::min(b, dim - 1));
    e = e == kNoneInt ? -1 : (e < 0 ? std::max<int64_t>(e + dim, -1) : std::min(e, dim - 1));
    r.len = b > e ? (b - e + (-s) - 1) / (-s) : 0;
  }
  r.begin = r.len > 0 ? b : 0;
  return r;
}

std::vector<AxisRange> SliceRanges(const OpParams &p, const TShape &is) {
  const int nd = is.ndim();
  std::vector<AxisRange> r(nd);
  for (int i = 0; i < nd; ++i) r[i].len = is[i];
  if (p.op()->name == "slice_axis") {
    int ax = NormalizeAxis(p, p.Int("axis"), nd, "axis", is);
    int64_t dim = is[ax], b = p.Int("begin"), e = p.IsNone("end") ? dim : p.Int("end");
    int64_t b0 = b < 0 ? b + dim : b, e0 = e < 0 ? e + dim : e;
    if (b0 < 0 || b0 > dim || e0 < b0 || e0 > dim)
      Throw(ErrorKind::kIndex, "operator slice_axis: begin=", b, ", end=", p.IsNone("end") ? "None" : std::to_string(e),
            " is not a valid range of axis ", ax, " of input shape ", ShapeStr(is));
    r[ax].begin = b0;
    r[ax].len = e0 - b0;
    return r;
  }
  const auto &begin = p.Tuple("begin"), &end = p.Tuple("end"), &step = p.Tuple("step");
  if (begin.size() != end.size() || (!step.empty() && step.size() != begin.size()))
    ShapeFail(p, is, "begin " + TupleStr(begin) + ", end " + TupleStr(end) + " and step " + TupleStr(step) +
                         " must have the same length");
  if (static_cast<int>(begin.size()) > nd)
    ShapeFail(p, is, "begin " + TupleStr(begin) + " has more entries than the input has axes");
  for (size_t i = 0; i < begin.size(); ++i) {
    int64_t s = step.empty() || step[i] == kNoneInt ? 1 : step[i];
    if (s == 0) ShapeFail(p, is, "step " + TupleStr(step) + " has a zero entry");
    r[i] = PySlice(begin[i], end[i], s, is[i]);
  }
  return r;
}

}  // namespace

StridedView SliceView(const OpParams &p, const TShape &is) {
  auto r = SliceRanges(p, is);
  StridedView c = StridedView::Contiguous(is), v;
  for (int i = 0; i < is.ndim(); ++i) {
    v.Push(r[i].len, c.stride[i] * r[i].step);
    v.offset += r[i].begin * c.stride[i];
  }
  v.Simplify();
  return v;
}

namespace {

void SliceShape(const OpParams &p, std::vector<TShape> *in, std::vector<TShape> *out) {
  const TShape &is = (*in)[0];
  if (is.empty()) return;
  auto r = SliceRanges(p, is);
  TShape o;
  for (auto &x : r) o.push_back(x.len);
  ShapeAssign(&(*out)[0], o, p.op(), "output");
}

// ---- reverse: the listed axes walked backwards -----------------------------------------------------------------
std::vector<bool> ReversedAxes(const OpParams &p, const TShape &is) {
  std::vector<bool> rev(is.ndim(), false);
  const auto &axes = p.Tuple("axis");
  if (axes.empty()) ShapeFail(p, is, "parameter 'axis' lists no axis");
  for (int64_t a : axes) {
    int k = NormalizeAxis(p, a, is.ndim(), "axis", is);
    if (rev[k]) ShapeFail(p, is, "axis " + TupleStr(axes) + " names axis " + std::to_string(k) + " twice");
    rev[k] = true;
  }
  return rev;
}

void SameShape(const OpParams &p, std::vector<TShape> *in, std::vector<TShape> *out) {
  const TShape &is = (*in)[0];
  if (is.empty()) return;
  ReversedAxes(p, is);  // checks the axes
  ShapeAssign(&(*out)[0], is, p.op(), "output");
}

}  // namespace

StridedView ReverseView(const OpParams &p, const TShape &is) {
  auto rev = ReversedAxes(p, is);
  StridedView c = StridedView::Contiguous(is), v;
  for (int i = 0; i < is.ndim(); ++i) {
    v.Push(c.shape[i], rev[i] ? -c.stride[i] : c.stride[i]);
    if (rev[i] && c.shape[i] > 0) v.offset += (c.shape[i] - 1) * c.stride[i];
  }
  v.Simplify();
  return v;
}

namespace {

// ---- forward and backward through a view (transpose, swapaxes, slice, slice_axis) --------------------------------
template <StridedView (*View)(const OpParams &, const TShape &)>
void ViewForward(MXC_FCOMPUTE_ARGS) {
  Gather(in[0], View(p, in[0].shape), out[0], req[0]);
}
template <StridedView (*View)(const OpParams &, const TShape &)>
void ViewBackward(MXC_FBACKWARD_ARGS) {
  (void)in, (void)out;
  if (req[0] == kNullOp) return;  // ig may then be an empty blob
  Scatter(og[0], View(p, ig[0].shape), ig[0], req[0]);
}

// ---- broadcasting: broadcast_to, broadcast_axis, tile, repeat -----------------------------------------------------

// Target shape of broadcast_to / broadcast_axis.
TShape BroadcastTarget(const OpParams &p, const TShape &is) {
  TShape o = is;
  if (p.op()->name == "broadcast_to") {
    const auto &s = p.Tuple("shape");
    if (static_cast<int>(s.size()) != is.ndim())
      ShapeFail(p, is, "shape " + TupleStr(s) + " must have as many axes as the input");
    for (int i = 0; i < is.ndim(); ++i) {
      if (s[i] == 0) continue;
      if (s[i] < 0 || (is[i] != 1 && is[i] != s[i]))
        ShapeFail(p, is, "cannot broadcast to shape " + TupleStr(s) + ": axis " + std::to_string(i) +
                             " has size " + std::to_string(is[i]));
      o[i] = s[i];
    }
    return o;
  }
  const auto &axes = p.Tuple("axis"), &size = p.Tuple("size");
  if (axes.size() != size.size())
    ShapeFail(p, is, "axis " + TupleStr(axes) + " and size " + TupleStr(size) + " must have the same length");
  for (size_t i = 0; i < axes.size(); ++i) {
    int k = NormalizeAxis(p, axes[i], is.ndim(), "axis", is);
    if (is[k] != 1)
      ShapeFail(p, is, "axis " + std::to_string(k) + " has size " + std::to_string(is[k]) + ", not 1");
    if (size[i] < 0) ShapeFail(p, is, "size " + TupleStr(size) + " has a negative entry");
    o[k] = size[i];
  }
  return o;
}

}  // namespace

Expansion BroadcastExpansion(const OpParams &p, const TShape &is) {
  TShape o = BroadcastTarget(p, is);
  Expansion e;
  for (int i = 0; i < is.ndim(); ++i) e.Push(o[i], is[i] == 1 && o[i] != 1);
  return e;
}

namespace {

// tile: for each axis (the input padded with leading 1s) a repeat axis of size reps[i], then the input's axis.
}  // namespace

Expansion TileExpansion(const OpParams &p, const TShape &is0) {
  auto reps = p.Tuple("reps");
  for (auto r : reps)
    if (r < 1) ShapeFail(p, is0, "reps " + TupleStr(reps) + " must be positive");
  const int nd = std::max<int>(is0.ndim(), static_cast<int>(reps.size()));
  if (nd > kMaxDim) ShapeFail(p, is0, "reps " + TupleStr(reps) + " gives more than " + std::to_string(kMaxDim) +
                                          " axes");
  std::vector<int64_t> is(nd, 1), rp(nd, 1);
  std::copy(is0.begin(), is0.end(), is.begin() + (nd - is0.ndim()));
  std::copy(reps.begin(), reps.end(), rp.begin() + (nd - reps.size()));
  Expansion e;
  for (int i = 0; i < nd; ++i) {
    e.Push(rp[i], true);
    e.Push(is[i], false);
  }
  return e;
}

namespace {

// repeat: a repeat axis right after the axis (axis None: after the flattened input).
}  // namespace

Expansion RepeatExpansion(const OpParams &p, const TShape &is) {
  int64_t r = p.Int("repeats");
  if (r < 0) ShapeFail(p, is, "repeats=" + std::to_string(r) + " must not be negative");
  Expansion e;
  if (p.IsNone("axis")) {
    e.Push(ShapeSize(is), false);
    e.Push(r, true);
    return e;
  }
  int ax = NormalizeAxis(p, p.Int("axis"), is.ndim(), "axis", is);
  for (int i = 0; i < is.ndim(); ++i) {
    e.Push(is[i], false);
    if (i == ax) e.Push(r, true);
  }
  return e;
}

namespace {

TShape ExpandedOutShape(const OpParams &p, const TShape &is) {
  const std::string &name = p.op()->name;
  if (name == "broadcast_to" || name == "broadcast_axis") return BroadcastTarget(p, is);
  if (name == "tile") {
    Expansion e = TileExpansion(p, is);
    TShape o;
    for (int i = 0; i < e.n; i += 2) o.push_back(e.shape[i] * e.shape[i + 1]);
    return o;
  }
  // repeat
  int64_t r = p.Int("repeats");
  RepeatExpansion(p, is);  // validates
  if (p.IsNone("axis")) return TShape{ShapeSize(is) * r};
  TShape o = is;
  o[NormalizeAxis(p, p.Int("axis"), is.ndim(), "axis", is)] *= r;
  return o;
}

template <Expansion (*Expand)(const OpParams &, const TShape &)>
void ExpandForward(MXC_FCOMPUTE_ARGS) {
  Gather(in[0], Expand(p, in[0].shape).View(), out[0], req[0]);
}
template <Expansion (*Expand)(const OpParams &, const TShape &)>
void ExpandBackward(MXC_FBACKWARD_ARGS) {
  (void)in, (void)out;
  if (req[0] == kNullOp) return;
  Expansion e = Expand(p, ig[0].shape);
  SumReduce(og[0], e.shape, e.rep, e.n, ig[0], req[0]);
}

void ExpandShape(const OpParams &p, std::vector<TShape> *in, std::vector<TShape> *out) {
  const TShape &is = (*in)[0];
  if (is.empty()) return;
  ShapeAssign(&(*out)[0], ExpandedOutShape(p, is), p.op(), "output");
}

template <Expansion (*Expand)(const OpParams &, const TShape &)>
Op &ExpandOp(Op &op, const char *doc) {
  return op.describe(doc)
      .set_inputs({"data"})
      .set_infer_shape(ExpandShape)
      .set_compute(MXC_CPU, ExpandForward<Expand>)
      .set_backward(MXC_CPU, ExpandBackward<Expand>)
      .set_backward_uses(false, false);
}

template <StridedView (*View)(const OpParams &, const TShape &)>
Op &ViewOp(Op &op, const char *doc, FInferShape shape) {
  return op.describe(doc)
      .set_inputs({"data"})
      .set_infer_shape(std::move(shape))
      .set_compute(MXC_CPU, ViewForward<View>)
      .set_backward(MXC_CPU, ViewBackward<View>)
      .set_backward_uses(false, false);
}

Op &Reg(const char *name) { return OpRegistry::Get()->Register(name); }

}  // namespace

static Op &reshape_reg =
    CopyOp(Reg("Reshape"),
           "Gives the input a new shape with the same number of elements. Special values in shape: 0 copies the "
           "input's dimension, -1 infers one dimension, -2 copies all remaining dimensions, -3 merges two "
           "dimensions, -4 splits one into the two values that follow (one may be -1).")
        .add_alias("reshape")
        .add_param("shape", ParamKind::kShape, "()", "The target shape (may use 0, -1, -2, -3, -4).")
        .add_param("reverse", ParamKind::kBool, "0", "Resolve the special values from right to left.")
        .add_param("target_shape", ParamKind::kShape, "()", "(Deprecated: use shape.) Target shape; one 0 is inferred.")
        .add_param("keep_highest", ParamKind::kBool, "0",
                   "(Deprecated: use shape.) With target_shape, keep the first dimension of the input.")
        .set_infer_shape(ReshapeShape);

static Op &flatten_reg = CopyOp(Reg("Flatten"), "Flattens the input to 2-d: (d0, d1*d2*...).")
                             .add_alias("flatten")
                             .set_infer_shape(FlattenShape);

static Op &expand_dims_reg =
    CopyOp(Reg("expand_dims"), "Inserts an axis of size 1 at position axis.")
        .add_required_param("axis", ParamKind::kInt,
                            "Position of the new axis, in [-ndim-1, ndim]; negative values count from the end.")
        .set_infer_shape(ExpandDimsShape);

static Op &squeeze_reg =
    CopyOp(Reg("squeeze"), "Removes axes of size 1 (all of them, or those listed in axis). A result without axes "
                           "has shape (1,).")
        .add_param("axis", ParamKind::kOptShape, "None", "The axes to remove (each must have size 1).")
        .set_infer_shape(SqueezeShape);

static Op &reshape_like_reg =
    Reg("reshape_like")
        .describe("lhs's elements in the shape of rhs (both with the same number of elements); rhs's values are "
                  "not read and get a zero gradient.")
        .set_inputs({"lhs", "rhs"})
        .add_param("lhs_begin", ParamKind::kOptInt, "None", "(Not supported: whole shapes only.)")
        .add_param("lhs_end", ParamKind::kOptInt, "None", "(Not supported: whole shapes only.)")
        .add_param("rhs_begin", ParamKind::kOptInt, "None", "(Not supported: whole shapes only.)")
        .add_param("rhs_end", ParamKind::kOptInt, "None", "(Not supported: whole shapes only.)")
        .set_infer_shape(ReshapeLikeShape)
        .set_infer_type(ReshapeLikeType)
        .set_compute(MXC_CPU, CopyForward)
        .set_backward(MXC_CPU, ReshapeLikeBackward)
        .set_backward_uses(false, false);

static Op &transpose_reg =
    ViewOp<TransposeView>(Reg("transpose"), "Permutes the axes: output axis i is input axis axes[i].", TransposeShape)
        .add_param("axes", ParamKind::kShape, "()", "The permutation; by default the axes are reversed.");

static Op &swapaxes_reg =
    ViewOp<TransposeView>(Reg("swapaxes"), "Swaps two axes.", TransposeShape)
        .add_alias("SwapAxis")
        .add_param("dim1", ParamKind::kInt, "0", "The first axis.")
        .add_param("dim2", ParamKind::kInt, "0", "The second axis.");

static Op &slice_reg =
    ViewOp<SliceView>(Reg("slice"),
                      "A slice of the input: for each of the first len(begin) axes, elements begin, begin+step, ... "
                      "before end (Python semantics: negative values count from the end, None means the whole "
                      "axis, out-of-range values are clamped, a negative step walks backwards).",
                      SliceShape)
        .add_alias("crop")
        .add_required_param("begin", ParamKind::kOptTuple, "First index of each sliced axis (None: from the start).")
        .add_required_param("end", ParamKind::kOptTuple, "End (exclusive) of each sliced axis (None: to the end).")
        .add_param("step", ParamKind::kOptTuple, "()", "Step of each sliced axis (default 1; negative allowed).");

static Op &slice_axis_reg =
    ViewOp<SliceView>(Reg("slice_axis"), "Elements begin to end (exclusive) along one axis.", SliceShape)
        .add_required_param("axis", ParamKind::kInt, "The axis to slice; negative values count from the end.")
        .add_required_param("begin", ParamKind::kInt, "First index; negative values count from the end.")
        .add_required_param("end", ParamKind::kOptInt, "End index (exclusive), None for the end of the axis.");

static Op &reverse_reg =
    ViewOp<ReverseView>(Reg("reverse"), "Reverses the order of the elements along the given axes; the shape is kept.",
                        SameShape)
        .add_alias("flip")
        .add_required_param("axis", ParamKind::kShape, "The axes to reverse; negative values count from the end.");

static Op &broadcast_to_reg =
    ExpandOp<BroadcastExpansion>(Reg("broadcast_to"),
                                 "Broadcasts axes of size 1 to the given shape (0 keeps the input's dimension).")
        .add_param("shape", ParamKind::kShape, "()", "The target shape.");

static Op &broadcast_axis_reg =
    ExpandOp<BroadcastExpansion>(Reg("broadcast_axis"), "Broadcasts the given axes (each of size 1) to new sizes.")
        .add_alias("broadcast_axes")
        .add_param("axis", ParamKind::kShape, "()", "The axes to broadcast.")
        .add_param("size", ParamKind::kShape, "()", "The target size of each axis.");

static Op &tile_reg =
    ExpandOp<TileExpansion>(Reg("tile"), "Repeats the whole array reps[i] times along each axis i (the shorter of "
                                         "the input's shape and reps is padded with leading 1s).")
        .add_required_param("reps", ParamKind::kShape, "The number of repetitions along each axis (positive).");

static Op &repeat_reg =
    ExpandOp<RepeatExpansion>(Reg("repeat"), "Repeats each element `repeats` times along an axis (axis None: of "
                                             "the flattened input, giving a 1-d result).")
        .add_required_param("repeats", ParamKind::kInt, "The number of repetitions of each element.")
        .add_param("axis", ParamKind::kOptInt, "None", "The axis along which to repeat; None flattens the input.");

}  // namespace op
}  // namespace mxc
