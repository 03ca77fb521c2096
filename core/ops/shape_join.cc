// Joining and splitting along an axis: Concat, stack, SliceChannel (split). Every dtype is accepted.
//
// All three are block copies: viewed as (outer, row) with outer the product of the axes before the joined axis, each
// input (or output) owns a fixed column range of every row of the joined array.
#include "tensor_util.h"

namespace mxc {
namespace op {

namespace {

// dst[o * dst_row + dst_col + j] = src[o * src_row + src_col + j] for o < outer, j < width, according to req.
void CopyBlock(const TBlob &src, int64_t src_row, int64_t src_col, const TBlob &dst, int64_t dst_row,
               int64_t dst_col, int64_t outer, int64_t width, OpReq req) {
  if (req == kNullOp || outer == 0 || width == 0) return;
  auto run = [&](auto *s, auto *d) {
    ForChunks(outer, NumChunks(outer * width, outer), [&](int64_t b, int64_t e) {
      for (int64_t o = b; o < e; ++o) CopyReq(d + o * dst_row + dst_col, s + o * src_row + src_col, width, req);
    });
  };
  if (req == kAddTo) {
    MXC_ARITH_TYPE_SWITCH(dst.dtype, T, { run(src.ptr<T>(), dst.ptr<T>()); });
  } else {
    MXC_ELEM_SWITCH(dst.dtype, T, { run(src.ptr<T>(), dst.ptr<T>()); });
  }
}

int64_t Prod(const TShape &s, int b, int e) {
  int64_t n = 1;
  for (int i = b; i < e; ++i) n *= s[i];
  return n;
}

// ---- Concat -------------------------------------------------------------------------------------------------------
void ConcatShape(const OpParams &p, std::vector<TShape> *in, std::vector<TShape> *out) {
  const int n = static_cast<int>(in->size());
  int first = -1;
  for (int i = 0; i < n; ++i)
    if (!(*in)[i].empty()) {
      first = i;
      break;
    }
  if (first < 0) return;
  const TShape &s0 = (*in)[first];
  const int nd = s0.ndim();
  const int ax = NormalizeAxis(p, p.Int("dim"), nd, "dim", s0);
  TShape o = s0;
  o[ax] = 0;
  int unknown = -1, num_unknown = 0;
  const bool concrete = ShapesAreConcrete();  // an imperative call: 0 is an empty axis, not an unknown one
  for (int i = 0; i < n; ++i) {
    const TShape &s = (*in)[i];
    if (s.empty()) {
      unknown = i;
      ++num_unknown;
      continue;
    }
    bool ok = s.ndim() == nd;
    for (int k = 0; ok && k < nd; ++k) ok = k == ax || s[k] == s0[k] || (!concrete && (s[k] == 0 || s0[k] == 0));
    if (!ok)
      Throw(ErrorKind::kShape, "operator ", p.op()->name, ": input '", InputName(p, i), "' has shape ",
            ShapeStr(s), ", incompatible with '", InputName(p, first), "' of shape ", ShapeStr(s0),
            " (all dimensions but dim=", ax, " must agree)");
    o[ax] += s[ax];  // a 0 along the joined axis counts as an empty input
    for (int k = 0; k < nd; ++k)  // the other dimensions: the known ones (symbolic inference)
      if (k != ax && o[k] == 0) o[k] = s[k];
  }
  // Inputs with an unknown dimension off the joined axis get it from the others (symbolic inference; MXNet's too).
  if (!concrete)
    for (int i = 0; i < n; ++i) {
      TShape &s = (*in)[i];
      if (s.empty()) continue;
      for (int k = 0; k < nd; ++k)
        if (k != ax && s[k] == 0) s[k] = o[k];
    }
  if (num_unknown == 0) {
    ShapeAssign(&(*out)[0], o, p.op(), "output");
  } else if (num_unknown == 1 && (*out)[0].ndim() == nd && (*out)[0][ax] >= o[ax]) {
    // The one input still unknown gets what the output leaves.
    TShape s = o;
    s[ax] = (*out)[0][ax] - o[ax];
    ShapeAssign(&(*in)[unknown], s, p.op(), InputName(p, unknown));
  }
}

void ConcatForward(MXC_FCOMPUTE_ARGS) {
  const TShape &os = out[0].shape;
  const int ax = NormalizeAxis(p, p.Int("dim"), os.ndim(), "dim", os);
  const int64_t outer = Prod(os, 0, ax), inner = Prod(os, ax + 1, os.ndim()), row = os[ax] * inner;
  int64_t col = 0;
  for (size_t i = 0; i < in.size(); ++i) {
    int64_t w = in[i].shape[ax] * inner;
    CopyBlock(in[i], w, 0, out[0], row, col, outer, w, req[0]);
    col += w;
  }
}

// Uses the inputs' shapes (a gradient not wanted may come as an empty blob, without its width).
void ConcatBackward(MXC_FBACKWARD_ARGS) {
  (void)out;
  const TShape &os = og[0].shape;
  const int ax = NormalizeAxis(p, p.Int("dim"), os.ndim(), "dim", os);
  const int64_t outer = Prod(os, 0, ax), inner = Prod(os, ax + 1, os.ndim()), row = os[ax] * inner;
  int64_t col = 0;
  for (size_t i = 0; i < ig.size(); ++i) {
    int64_t w = in[i].shape[ax] * inner;
    CopyBlock(og[0], row, col, ig[i], w, 0, outer, w, req[i]);
    col += w;
  }
}

// ---- stack --------------------------------------------------------------------------------------------------------
void StackShape(const OpParams &p, std::vector<TShape> *in, std::vector<TShape> *out) {
  TShape s;
  for (size_t i = 0; i < in->size(); ++i) {
    if ((*in)[i].empty()) continue;
    if (s.empty()) {
      s = (*in)[i];
      continue;
    }
    if ((*in)[i] != s)
      Throw(ErrorKind::kShape, "operator stack: input '", InputName(p, i), "' has shape ", ShapeStr((*in)[i]),
            ", expected ", ShapeStr(s), " (all inputs must have the same shape)");
  }
  if (s.empty()) return;
  for (auto &x : *in) ShapeAssign(&x, s, p.op(), "data");
  int ax = NormalizeAxis(p, p.Int("axis"), s.ndim() + 1, "axis", s);
  TShape o = s;
  o.insert(o.begin() + ax, static_cast<int64_t>(in->size()));
  ShapeAssign(&(*out)[0], o, p.op(), "output");
}

void StackForward(MXC_FCOMPUTE_ARGS) {
  const TShape &os = out[0].shape;
  const int ax = NormalizeAxis(p, p.Int("axis"), os.ndim(), "axis", os);
  const int64_t outer = Prod(os, 0, ax), w = Prod(os, ax + 1, os.ndim()), row = os[ax] * w;
  for (size_t i = 0; i < in.size(); ++i) CopyBlock(in[i], w, 0, out[0], row, i * w, outer, w, req[0]);
}

void StackBackward(MXC_FBACKWARD_ARGS) {
  (void)in, (void)out;
  const TShape &os = og[0].shape;
  const int ax = NormalizeAxis(p, p.Int("axis"), os.ndim(), "axis", os);
  const int64_t outer = Prod(os, 0, ax), w = Prod(os, ax + 1, os.ndim()), row = os[ax] * w;
  for (size_t i = 0; i < ig.size(); ++i) CopyBlock(og[0], row, i * w, ig[i], w, 0, outer, w, req[i]);
}

// ---- SliceChannel -------------------------------------------------------------------------------------------------
struct SplitPlan {
  int axis = 0;
  int64_t outer = 1, part = 0, inner = 1;  // each output: outer x (part * inner)
};

SplitPlan PlanSplit(const OpParams &p, const TShape &is) {
  SplitPlan s;
  const int64_t n = p.Int("num_outputs");
  if (n < 1) Throw(ErrorKind::kValue, "operator ", p.op()->name, ": num_outputs=", n, " must be positive");
  s.axis = NormalizeAxis(p, p.Int("axis"), is.ndim(), "axis", is);
  if (is[s.axis] % n != 0)
    Throw(ErrorKind::kShape, "operator ", p.op()->name, ": axis ", s.axis, " of input shape ", ShapeStr(is),
          " (size ", is[s.axis], ") does not divide into num_outputs=", n, " parts");
  s.part = is[s.axis] / n;
  if (p.Bool("squeeze_axis") && s.part != 1)
    Throw(ErrorKind::kShape, "operator ", p.op()->name, ": squeeze_axis needs the size of axis ", s.axis,
          " to equal num_outputs=", n, " (input shape ", ShapeStr(is), ")");
  s.outer = Prod(is, 0, s.axis);
  s.inner = Prod(is, s.axis + 1, is.ndim());
  return s;
}

void SplitShape(const OpParams &p, std::vector<TShape> *in, std::vector<TShape> *out) {
  const TShape &is = (*in)[0];
  if (is.empty()) return;
  SplitPlan s = PlanSplit(p, is);
  TShape o = is;
  o[s.axis] = s.part;
  if (p.Bool("squeeze_axis")) {
    o.erase(o.begin() + s.axis);
    if (o.empty()) o.push_back(1);
  }
  for (auto &x : *out) ShapeAssign(&x, o, p.op(), "output");
}

void SplitForward(MXC_FCOMPUTE_ARGS) {
  SplitPlan s = PlanSplit(p, in[0].shape);
  const int64_t w = s.part * s.inner, row = w * static_cast<int64_t>(out.size());
  for (size_t i = 0; i < out.size(); ++i) CopyBlock(in[0], row, i * w, out[i], w, 0, s.outer, w, req[i]);
}

void SplitBackward(MXC_FBACKWARD_ARGS) {
  (void)in, (void)out;
  if (req[0] == kNullOp) return;
  SplitPlan s = PlanSplit(p, ig[0].shape);
  const int64_t w = s.part * s.inner, row = w * static_cast<int64_t>(og.size());
  // With kAddTo each block adds; with a write each block writes its own columns (together: every element).
  for (size_t i = 0; i < og.size(); ++i) CopyBlock(og[i], w, 0, ig[0], row, i * w, s.outer, w, req[0]);
}

}  // namespace

// Concat, and MXNet's internal op of the same meaning that Gluon's recurrent layers use to join their flattened
// parameters into the RNN operator's vector (and write into exported graphs).
static Op &RegisterConcat(const char *name, const char *description) {
  return OpRegistry::Get()
      ->Register(name)
      .describe(description)
      .set_variadic("num_args", "data")
      .add_required_param("num_args", ParamKind::kInt, "Number of inputs to join.")
      .add_param("dim", ParamKind::kInt, "1", "The axis to join along; negative values count from the end.")
      .set_infer_shape(ConcatShape)
      .set_compute(MXC_CPU, ConcatForward)
      .set_backward(MXC_CPU, ConcatBackward)
      .set_backward_uses(true, false);
}

static Op &concat_reg =
    RegisterConcat("Concat", "Joins arrays along an existing axis (dim); all other dimensions must agree.")
        .add_alias("concat");
static Op &rnn_param_concat_reg = RegisterConcat(
    "_rnn_param_concat", "Joins the flattened parameters of a recurrent layer (Concat; Gluon's RNN layers use it).");

static Op &stack_reg =
    OpRegistry::Get()
        ->Register("stack")
        .describe("Joins arrays of the same shape along a new axis.")
        .set_variadic("num_args", "data")
        .add_required_param("num_args", ParamKind::kInt, "Number of inputs to stack.")
        .add_param("axis", ParamKind::kInt, "0", "Position of the new axis in the result, in [-ndim-1, ndim].")
        .set_infer_shape(StackShape)
        .set_compute(MXC_CPU, StackForward)
        .set_backward(MXC_CPU, StackBackward)
        .set_backward_uses(false, false);

static Op &split_reg =
    OpRegistry::Get()
        ->Register("SliceChannel")
        .describe("Splits an array into num_outputs equal parts along an axis.")
        .add_alias("split")
        .set_inputs({"data"})
        .add_required_param("num_outputs", ParamKind::kInt, "Number of parts; must divide the axis.")
        .add_param("axis", ParamKind::kInt, "1", "The axis to split; negative values count from the end.")
        .add_param("squeeze_axis", ParamKind::kBool, "0",
                   "Remove the split axis from the outputs (its size must equal num_outputs).")
        .set_num_outputs([](const OpParams &p) { return std::max<int64_t>(p.Int("num_outputs"), 1); })
        .set_infer_shape(SplitShape)
        .set_compute(MXC_CPU, SplitForward)
        .set_backward(MXC_CPU, SplitBackward)
        .set_backward_uses(false, false);

}  // namespace op
}  // namespace mxc
