// More tensor operators of MXNet 1.x: cumsum, depth_to_space, space_to_depth, _eye, _linspace, diag,
// broadcast_like, slice_like, shape_array, size_array.
//
// - cumsum(a, axis=None, dtype=None): running sums along an axis (None: of the flattened array, a 1-d output); the
//   output and the accumulator have `dtype` (default the input's). Gradient: the reversed running sum of the head
//   gradient.
// - depth_to_space / space_to_depth (4-d NCHW, block b): out[n, c, h*b + i, w*b + j] = in[n, (i*b + j)*C' + c, h, w]
//   with C' = C / b^2, and its inverse.
// - diag(data, k, axis1, axis2): a 1-d input becomes the k-th diagonal of a square matrix of side n + |k|; an n-d
//   input (n >= 2) gives its k-th diagonal over (axis1, axis2) as a new last axis (element d at axis1 = d - min(k, 0),
//   axis2 = d + max(k, 0)); -rows <= k <= cols, an empty diagonal at the ends.
// - broadcast_like / slice_like: broadcast lhs to (some axes of) rhs's shape / slice data from 0 to (some axes of)
//   shape_like's shape (broadcast_like: all of rhs's shape unless both lhs_axes and rhs_axes are given). Their
//   gradients go to the first input only (shape inputs get zero, as in MXNet).
#include <vector>

#include "nn_util.h"
#include "tensor_util.h"

namespace mxc {
namespace op {
namespace {

// ---------------------------------------------------------------------------------------------------------------
// cumsum
// ---------------------------------------------------------------------------------------------------------------
// The data as (outer, n, inner) around the summed axis (the flattened data for axis None).
AxisSplit CumsumSplit(const OpParams &p, const TShape &d) {
  if (p.IsNone("axis")) return AxisSplit{1, ShapeSize(d), 1};
  return SplitAt(d, NormalizeAxis(p, p.Int("axis"), d.ndim(), "axis", d));
}

void CumsumInferShape(const OpParams &p, std::vector<TShape> *in, std::vector<TShape> *out) {
  const TShape &d = (*in)[0];
  if (d.empty()) return;
  if (p.IsNone("axis")) {
    ShapeAssign(&(*out)[0], TShape{ShapeSize(d)}, p.op(), "output");
    return;
  }
  NormalizeAxis(p, p.Int("axis"), d.ndim(), "axis", d);
  ShapeAssign(&(*out)[0], d, p.op(), "output");
}

void CumsumInferType(const OpParams &p, std::vector<int> *in, std::vector<int> *out) {
  CheckDType(p, (*in)[0], "a", IsArith, "float32, float64, uint8, int8, int32 or int64");
  if (!p.IsNone("dtype")) {
    CheckDType(p, p.Dtype("dtype"), "dtype", IsArith, "float32, float64, uint8, int8, int32 or int64");
    TypeAssign(&(*out)[0], p.Dtype("dtype"), p.op(), "output");
  } else if ((*in)[0] >= 0) {
    TypeAssign(&(*out)[0], (*in)[0], p.op(), "output");
  }
}

// dst[k] = running sum of src along the split (reverse: from the end), accumulated in the output type.
template <typename I, typename O>
void RunningSum(const I *src, O *dst, const AxisSplit &s, OpReq req, bool reverse) {
  ParallelForWork(s.outer * s.inner, s.n, [&](int64_t r) {
    const int64_t base = (r / s.inner) * s.n * s.inner + r % s.inner;
    O acc = O(0);
    for (int64_t k = 0; k < s.n; ++k) {
      const int64_t i = base + (reverse ? s.n - 1 - k : k) * s.inner;
      acc = static_cast<O>(acc + static_cast<O>(src[i]));
      Store(dst + i, req, acc);
    }
  });
}

void CumsumForward(MXC_FCOMPUTE_ARGS) {
  if (req[0] == kNullOp) return;
  const AxisSplit s = CumsumSplit(p, in[0].shape);
  MXC_ARITH_TYPE_SWITCH(in[0].dtype, I, {
    MXC_ARITH_TYPE_SWITCH(out[0].dtype, O, { RunningSum(in[0].ptr<I>(), out[0].ptr<O>(), s, req[0], false); });
  });
}

void CumsumBackward(MXC_FBACKWARD_ARGS) {
  if (req[0] == kNullOp) return;
  const AxisSplit s = CumsumSplit(p, ig[0].shape);
  MXC_ARITH_TYPE_SWITCH(og[0].dtype, G, {
    MXC_ARITH_TYPE_SWITCH(ig[0].dtype, O, { RunningSum(og[0].ptr<G>(), ig[0].ptr<O>(), s, req[0], true); });
  });
}

// ---------------------------------------------------------------------------------------------------------------
// depth_to_space / space_to_depth
// ---------------------------------------------------------------------------------------------------------------
template <bool kToSpace>
void BlockInferShape(const OpParams &p, std::vector<TShape> *in, std::vector<TShape> *out) {
  const Op *op = p.op();
  const int64_t b = p.Int("block_size");
  MXC_CHECK(b >= 1, ErrorKind::kValue, "operator ", op->name, ": block_size must be a positive integer, got ", b);
  const TShape &d = (*in)[0];
  if (d.empty()) return;
  if (d.ndim() != 4)
    Throw(ErrorKind::kShape, "operator ", op->name, ": data shape ", ShapeStr(d),
          ": a 4-d (N, C, H, W) input required");
  if (kToSpace) {
    if (d[1] % (b * b) != 0)
      Throw(ErrorKind::kShape, "operator ", op->name, ": data shape ", ShapeStr(d), ": the depth ", d[1],
            " is not a multiple of block_size^2 = ", b * b);
    ShapeAssign(&(*out)[0], TShape{d[0], d[1] / (b * b), d[2] * b, d[3] * b}, op, "output");
  } else {
    if (d[2] % b != 0 || d[3] % b != 0)
      Throw(ErrorKind::kShape, "operator ", op->name, ": data shape ", ShapeStr(d), ": the spatial dimensions (",
            d[2], ", ", d[3], ") are not multiples of block_size=", b);
    ShapeAssign(&(*out)[0], TShape{d[0], d[1] * b * b, d[2] / b, d[3] / b}, op, "output");
  }
}

// The depth-layout offset of every element of the space layout (shape (N, C', H*b, W*b), row-major).
std::vector<int64_t> SpaceToDepthIndex(const TShape &space, int64_t b) {
  const int64_t N = space[0], C = space[1], H = space[2] / b, W = space[3] / b;
  std::vector<int64_t> idx(static_cast<size_t>(ShapeSize(space)));
  int64_t k = 0;
  for (int64_t n = 0; n < N; ++n)
    for (int64_t c = 0; c < C; ++c)
      for (int64_t y = 0; y < H * b; ++y)
        for (int64_t x = 0; x < W * b; ++x, ++k) {
          const int64_t dc = ((y % b) * b + x % b) * C + c;
          idx[k] = ((n * C * b * b + dc) * H + y / b) * W + x / b;
        }
  return idx;
}

// kToSpace: dst (space) [k] = src (depth) [idx[k]]; else dst (depth) [idx[k]] = src (space) [k].
template <bool kToSpace>
void BlockMove(const TBlob &src, const TBlob &dst, OpReq req, int64_t b) {
  if (req == kNullOp) return;
  const std::vector<int64_t> idx = SpaceToDepthIndex(kToSpace ? dst.shape : src.shape, b);
  MXC_ARITH_TYPE_SWITCH(src.dtype, T, {
    const T *s = src.ptr<T>();
    T *d = dst.ptr<T>();
    ParallelFor(static_cast<int64_t>(idx.size()), [&](int64_t k) {
      if (kToSpace) Store(d + k, req, s[idx[k]]);
      else Store(d + idx[k], req, s[k]);
    });
  });
}

template <bool kToSpace>
void BlockForward(MXC_FCOMPUTE_ARGS) {
  BlockMove<kToSpace>(in[0], out[0], req[0], p.Int("block_size"));
}

template <bool kToSpace>
void BlockBackward(MXC_FBACKWARD_ARGS) {
  (void)in, (void)out;
  BlockMove<!kToSpace>(og[0], ig[0], req[0], p.Int("block_size"));
}

Op &BlockOp(Op &op) {
  return op.set_inputs({"data"})
      .add_required_param("block_size", ParamKind::kInt, "Blocks of [block_size, block_size] are moved.")
      .set_backward_uses(false, false);
}

}  // namespace

MXC_REGISTER_OP(cumsum)
    .describe("Cumulative sum of the elements along an axis (None: of the flattened array).")
    .set_inputs({"a"})
    .add_param("axis", ParamKind::kOptInt, "None",
               "Axis along which the cumulative sum is computed; None: over the flattened array.")
    .add_param("dtype", ParamKind::kDType, "None",
               "Type of the returned array and of the accumulator; None: the input's dtype.")
    .set_infer_shape(CumsumInferShape)
    .set_infer_type(CumsumInferType)
    .set_compute(MXC_CPU, CumsumForward)
    .set_backward(MXC_CPU, CumsumBackward)
    .set_backward_uses(false, false);

static Op &depth_to_space_reg =
    BlockOp(OpRegistry::Get()->Register("depth_to_space"))
        .describe("Rearranges blocks of depth (axis 1) into blocks of space: (N, C, H, W) -> (N, C / b^2, H * b, "
                  "W * b).")
        .set_infer_shape(BlockInferShape<true>)
        .set_compute(MXC_CPU, BlockForward<true>)
        .set_backward(MXC_CPU, BlockBackward<true>);

static Op &space_to_depth_reg =
    BlockOp(OpRegistry::Get()->Register("space_to_depth"))
        .describe("Rearranges blocks of space into depth (axis 1): (N, C, H, W) -> (N, C * b^2, H / b, W / b).")
        .set_infer_shape(BlockInferShape<false>)
        .set_compute(MXC_CPU, BlockForward<false>)
        .set_backward(MXC_CPU, BlockBackward<false>);

namespace {

// ---------------------------------------------------------------------------------------------------------------
// Gathers through an index map: out[i] = in[map[i]]; the backward adds og[i] onto ig[map[i]].
// ---------------------------------------------------------------------------------------------------------------
void GatherMap(const TBlob &in, const std::vector<int64_t> &map, const TBlob &out, OpReq req) {
  if (req == kNullOp) return;
  MXC_ARITH_TYPE_SWITCH(in.dtype, T, {
    const T *x = in.ptr<T>();
    T *y = out.ptr<T>();
    ParallelFor(static_cast<int64_t>(map.size()), [&](int64_t i) { Store(y + i, req, x[map[i]]); });
  });
}

void ScatterAddMap(const TBlob &og, const std::vector<int64_t> &map, const TBlob &ig, OpReq req) {
  if (req == kNullOp) return;
  ZeroIfWrite(ig, req);
  MXC_ARITH_TYPE_SWITCH(ig.dtype, T, {
    const T *g = og.ptr<T>();
    T *dx = ig.ptr<T>();
    for (size_t i = 0; i < map.size(); ++i) dx[map[i]] += g[i];
  });
}

// Row-major strides of a shape.
std::vector<int64_t> Strides(const TShape &s) {
  std::vector<int64_t> st(s.ndim(), 1);
  for (int a = s.ndim() - 2; a >= 0; --a) st[a] = st[a + 1] * s[a + 1];
  return st;
}

// For every element of `out` (row-major), the offset in `in` of the element at the same index (index 0 along the
// axes where in has size 1 and out not: broadcasting; slicing when in is larger).
std::vector<int64_t> SameIndexMap(const TShape &in, const TShape &out) {
  const std::vector<int64_t> st = Strides(in);
  std::vector<int64_t> map(static_cast<size_t>(ShapeSize(out)));
  std::vector<int64_t> pos(out.ndim(), 0);
  for (size_t i = 0; i < map.size(); ++i) {
    int64_t o = 0;
    for (int a = 0; a < out.ndim(); ++a) o += (in[a] == 1 ? 0 : pos[a]) * st[a];
    map[i] = o;
    for (int a = out.ndim() - 1; a >= 0; --a) {
      if (++pos[a] < out[a]) break;
      pos[a] = 0;
    }
  }
  return map;
}

// ---------------------------------------------------------------------------------------------------------------
// _eye, _linspace
// ---------------------------------------------------------------------------------------------------------------
void EyeInferShape(const OpParams &p, std::vector<TShape> *, std::vector<TShape> *out) {
  const int64_t n = p.Int("N"), m = p.Int("M") == 0 ? n : p.Int("M");
  MXC_CHECK(n >= 0 && m >= 0, ErrorKind::kValue, "operator ", p.op()->name, ": N and M must be non-negative, got N=",
            n, ", M=", p.Int("M"));
  ShapeAssign(&(*out)[0], TShape{n, m}, p.op(), "output");
}

void EyeForward(MXC_FCOMPUTE_ARGS) {
  (void)in;
  if (req[0] == kNullOp) return;
  const int64_t rows = out[0].shape[0], cols = out[0].shape[1], k = p.Int("k");
  MXC_ARITH_TYPE_SWITCH(out[0].dtype, T, {
    MapReq(out[0].ptr<T>(), req[0], rows * cols, [=](int64_t i) { return i % cols - i / cols == k ? T(1) : T(0); });
  });
}

void LinspaceInferShape(const OpParams &p, std::vector<TShape> *, std::vector<TShape> *out) {
  MXC_CHECK(p.Int("num") >= 0, ErrorKind::kValue, "operator ", p.op()->name, ": num must be non-negative, got ",
            p.Int("num"));
  ShapeAssign(&(*out)[0], TShape{p.Int("num")}, p.op(), "output");
}

void LinspaceForward(MXC_FCOMPUTE_ARGS) {
  (void)in;
  if (req[0] == kNullOp) return;
  const int64_t num = p.Int("num");
  const double start = p.Float("start"), stop = p.Float("stop");
  const int64_t div = p.Bool("endpoint") ? num - 1 : num;
  const double step = div > 0 ? (stop - start) / static_cast<double>(div) : 0.0;
  MXC_ARITH_TYPE_SWITCH(out[0].dtype, T, {
    MapReq(out[0].ptr<T>(), req[0], num,
           [=](int64_t i) { return static_cast<T>(start + step * static_cast<double>(i)); });
  });
}

// ---------------------------------------------------------------------------------------------------------------
// diag
// ---------------------------------------------------------------------------------------------------------------
// The diagonal of an n-d array of shape `big` (n >= 2): the output shape and, per output element, its offset in big.
TShape DiagOf(const OpParams &p, const TShape &big, std::vector<int64_t> *map) {
  const Op *op = p.op();
  const int nd = big.ndim();
  const int a1 = NormalizeAxis(p, p.Int("axis1"), nd, "axis1", big);
  const int a2 = NormalizeAxis(p, p.Int("axis2"), nd, "axis2", big);
  if (a1 == a2)
    Throw(ErrorKind::kValue, "operator ", op->name, ": axis1 and axis2 cannot refer to the same axis ", a1,
          " (input shape ", ShapeStr(big), ")");
  const int64_t k = p.Int("k"), rows = big[a1], cols = big[a2];
  if (k > cols || k < -rows)
    Throw(ErrorKind::kValue, "operator ", op->name, ": diagonal k=", k, " does not exist in input shape ",
          ShapeStr(big), " (axes ", a1, ", ", a2, ": valid k from ", -rows, " to ", cols, ")");
  const int64_t len = std::max<int64_t>(0, k >= 0 ? std::min(rows, cols - k) : std::min(rows + k, cols));
  TShape o;
  for (int a = 0; a < nd; ++a)
    if (a != a1 && a != a2) o.push_back(big[a]);
  o.push_back(len);
  if (map) {
    const std::vector<int64_t> st = Strides(big);
    map->assign(static_cast<size_t>(ShapeSize(o)), 0);
    std::vector<int64_t> pos(o.ndim(), 0);
    const int64_t r0 = k < 0 ? -k : 0, c0 = k > 0 ? k : 0;
    for (size_t i = 0; i < map->size(); ++i) {
      int64_t off = 0;
      for (int a = 0, j = 0; a < nd; ++a)
        if (a != a1 && a != a2) off += pos[j++] * st[a];
      const int64_t d = pos[o.ndim() - 1];
      (*map)[i] = off + (d + r0) * st[a1] + (d + c0) * st[a2];
      for (int a = o.ndim() - 1; a >= 0; --a) {
        if (++pos[a] < o[a]) break;
        pos[a] = 0;
      }
    }
  }
  return o;
}

// 1-d data of n elements: the square matrix of side n + |k| holding it on diagonal k.
TShape DiagMatrixShape(const OpParams &p, int64_t n) {
  const int64_t side = n + std::abs(p.Int("k"));
  return TShape{side, side};
}

void DiagInferShape(const OpParams &p, std::vector<TShape> *in, std::vector<TShape> *out) {
  const TShape &d = (*in)[0];
  if (d.empty()) return;
  if (d.ndim() == 1) ShapeAssign(&(*out)[0], DiagMatrixShape(p, d[0]), p.op(), "output");
  else ShapeAssign(&(*out)[0], DiagOf(p, d, nullptr), p.op(), "output");
}

// The map between the diagonal (the small side: 1-d input or n-d output) and the big array. For 1-d data the
// diagonal of the output matrix is taken with axis1=0, axis2=1.
std::vector<int64_t> DiagMap(const OpParams &p, const TShape &data) {
  std::vector<int64_t> map;
  if (data.ndim() == 1) {
    const TShape big = DiagMatrixShape(p, data[0]);
    const int64_t k = p.Int("k");
    map.resize(static_cast<size_t>(data[0]));
    for (int64_t d = 0; d < data[0]; ++d) map[d] = (d + (k < 0 ? -k : 0)) * big[1] + d + (k > 0 ? k : 0);
  } else {
    DiagOf(p, data, &map);
  }
  return map;
}

void DiagForward(MXC_FCOMPUTE_ARGS) {
  const std::vector<int64_t> map = DiagMap(p, in[0].shape);
  if (in[0].ndim() > 1) {
    GatherMap(in[0], map, out[0], req[0]);
    return;
  }
  ScatterAddMap(in[0], map, out[0], req[0]);  // zeros off the diagonal
}

void DiagBackward(MXC_FBACKWARD_ARGS) {
  (void)out;
  const std::vector<int64_t> map = DiagMap(p, ig[0].shape);
  if (ig[0].ndim() > 1) ScatterAddMap(og[0], map, ig[0], req[0]);
  else GatherMap(og[0], map, ig[0], req[0]);
  (void)in;
}

// ---------------------------------------------------------------------------------------------------------------
// broadcast_like, slice_like
// ---------------------------------------------------------------------------------------------------------------
TShape BroadcastLikeShape(const OpParams &p, const TShape &l, const TShape &r) {
  const Op *op = p.op();
  if (p.IsNone("lhs_axes") || p.IsNone("rhs_axes")) {  // one of them alone is ignored, as MXNet 1.9.1 does
    bool ok = l.ndim() == r.ndim();
    for (int a = 0; ok && a < l.ndim(); ++a) ok = l[a] == r[a] || l[a] == 1;
    if (!ok)
      Throw(ErrorKind::kShape, "operator ", op->name, ": lhs shape ", ShapeStr(l), " cannot be broadcast to rhs shape ",
            ShapeStr(r));
    return r;
  }
  const std::vector<int64_t> &la = p.Tuple("lhs_axes"), &ra = p.Tuple("rhs_axes");
  if (la.empty() || la.size() != ra.size())
    Throw(ErrorKind::kValue, "operator ", op->name, ": lhs_axes ", TupleStr(la), " and rhs_axes ", TupleStr(ra),
          " must be non-empty and of the same length");
  TShape o = l;
  for (size_t i = 0; i < la.size(); ++i) {
    const int a = NormalizeAxis(p, la[i], l.ndim(), "lhs_axes", l);
    const int b = NormalizeAxis(p, ra[i], r.ndim(), "rhs_axes", r);
    if (l[a] != 1 && l[a] != r[b])
      Throw(ErrorKind::kShape, "operator ", op->name, ": axis ", a, " of lhs shape ", ShapeStr(l),
            " (size ", l[a], ") cannot be broadcast to axis ", b, " of rhs shape ", ShapeStr(r), " (size ", r[b], ")");
    o[a] = r[b];
  }
  return o;
}

void BroadcastLikeInferShape(const OpParams &p, std::vector<TShape> *in, std::vector<TShape> *out) {
  if ((*in)[0].empty() || (*in)[1].empty()) return;
  ShapeAssign(&(*out)[0], BroadcastLikeShape(p, (*in)[0], (*in)[1]), p.op(), "output");
}

TShape SliceLikeShape(const OpParams &p, const TShape &d, const TShape &like) {
  const Op *op = p.op();
  const auto &axes = p.Tuple("axes");
  TShape o = d;
  if (axes.empty()) {
    if (d.ndim() != like.ndim())
      Throw(ErrorKind::kShape, "operator ", op->name, ": without axes, data shape ", ShapeStr(d), " and shape_like ",
            ShapeStr(like), " must have the same number of dimensions");
    o = like;
  } else {
    for (int64_t ax : axes) {
      const int a = NormalizeAxis(p, ax, d.ndim(), "axes", d);
      if (a >= like.ndim())
        Throw(ErrorKind::kShape, "operator ", op->name, ": axis ", ax, " exceeds shape_like shape ", ShapeStr(like));
      o[a] = like[a];
    }
  }
  for (int a = 0; a < d.ndim(); ++a)
    if (o[a] > d[a])
      Throw(ErrorKind::kShape, "operator ", op->name, ": axis ", a, " of shape_like shape ", ShapeStr(like),
            " (size ", o[a], ") exceeds data shape ", ShapeStr(d), " (size ", d[a], ")");
  return o;
}

void SliceLikeInferShape(const OpParams &p, std::vector<TShape> *in, std::vector<TShape> *out) {
  if ((*in)[0].empty() || (*in)[1].empty()) return;
  ShapeAssign(&(*out)[0], SliceLikeShape(p, (*in)[0], (*in)[1]), p.op(), "output");
}

// The first input's dtype for the output; the second input (a shape) may have any dtype.
void FirstTypeInfer(const OpParams &p, std::vector<int> *in, std::vector<int> *out) {
  if ((*in)[0] >= 0) TypeAssign(&(*out)[0], (*in)[0], p.op(), "output");
  else if ((*out)[0] >= 0) TypeAssign(&(*in)[0], (*out)[0], p.op(), InputName(p, 0));
}

// Forward and backward of the two: the output (shape of out) reads the first input at the same index.
void LikeForward(MXC_FCOMPUTE_ARGS) {
  (void)p;
  GatherMap(in[0], SameIndexMap(in[0].shape, out[0].shape), out[0], req[0]);
}

void LikeBackward(MXC_FBACKWARD_ARGS) {
  (void)p, (void)in, (void)out;
  if (req[0] != kNullOp) ScatterAddMap(og[0], SameIndexMap(ig[0].shape, og[0].shape), ig[0], req[0]);
  ZeroIfWrite(ig[1], req[1]);
}

// ---------------------------------------------------------------------------------------------------------------
// shape_array, size_array
// ---------------------------------------------------------------------------------------------------------------
void Int64OutType(const OpParams &p, std::vector<int> *, std::vector<int> *out) {
  TypeAssign(&(*out)[0], kInt64, p.op(), "output");
}

void ZeroInputGrad(MXC_FBACKWARD_ARGS) {
  (void)p, (void)og, (void)in, (void)out;
  for (size_t i = 0; i < ig.size(); ++i) ZeroIfWrite(ig[i], req[i]);
}

template <bool kSize>
void ShapeArrayForward(MXC_FCOMPUTE_ARGS) {
  (void)p;
  if (req[0] == kNullOp) return;
  int64_t *o = out[0].ptr<int64_t>();
  const TShape &s = in[0].shape;
  if (kSize) Store(o, req[0], static_cast<int64_t>(ShapeSize(s)));
  else
    for (int a = 0; a < s.ndim(); ++a) Store(o + a, req[0], s[a]);
}

}  // namespace

static Op &eye_reg = OpRegistry::Get()
                         ->Register("_eye")
                         .describe("A 2-d array with ones on the k-th diagonal and zeros elsewhere.")
                         .set_inputs({})
                         .add_required_param("N", ParamKind::kInt, "Number of rows in the output.")
                         .add_param("M", ParamKind::kInt, "0", "Number of columns in the output; 0 means N.")
                         .add_param("k", ParamKind::kInt, "0",
                                    "Index of the diagonal: 0 the main one, positive above, negative below.")
                         .add_param("ctx", ParamKind::kString, "", "Context of the output (taken from the call).")
                         .add_param("dtype", ParamKind::kDType, "float32", "Element type of the output.")
                         .set_infer_shape(EyeInferShape)
                         .set_infer_type(InitTypeInfer)
                         .set_compute(MXC_CPU, EyeForward);

static Op &linspace_reg =
    OpRegistry::Get()
        ->Register("_linspace")
        .describe("num evenly spaced values from start to stop (stop included unless endpoint is false).")
        .set_inputs({})
        .add_required_param("start", ParamKind::kFloat, "Start of the interval.")
        .add_required_param("stop", ParamKind::kFloat, "End of the interval.")
        .add_required_param("num", ParamKind::kInt, "Number of samples (non-negative).")
        .add_param("endpoint", ParamKind::kBool, "1", "Whether stop is the last sample.")
        .add_param("ctx", ParamKind::kString, "", "Context of the output (taken from the call).")
        .add_param("dtype", ParamKind::kDType, "float32", "Element type of the output.")
        .set_infer_shape(LinspaceInferShape)
        .set_infer_type(InitTypeInfer)
        .set_compute(MXC_CPU, LinspaceForward);

MXC_REGISTER_OP(diag)
    .describe("The k-th diagonal of an array over (axis1, axis2) as a new last axis; a 1-d input becomes the k-th "
              "diagonal of a square matrix.")
    .set_inputs({"data"})
    .add_param("k", ParamKind::kInt, "0", "Diagonal offset: positive above the main diagonal, negative below.")
    .add_param("axis1", ParamKind::kInt, "0", "The first axis of the sub-arrays (ignored for 1-d data).")
    .add_param("axis2", ParamKind::kInt, "1", "The second axis of the sub-arrays (ignored for 1-d data).")
    .set_infer_shape(DiagInferShape)
    .set_compute(MXC_CPU, DiagForward)
    .set_backward(MXC_CPU, DiagBackward)
    .set_backward_uses(false, false);

MXC_REGISTER_OP(broadcast_like)
    .describe("Broadcasts lhs to the shape of rhs (or, with lhs_axes and rhs_axes, only the listed axes of lhs to "
              "the sizes of the listed axes of rhs).")
    .set_inputs({"lhs", "rhs"})
    .add_param("lhs_axes", ParamKind::kOptShape, "None", "Axes to perform broadcast on in the first input array.")
    .add_param("rhs_axes", ParamKind::kOptShape, "None", "Axes to copy from the second input array.")
    .set_infer_shape(BroadcastLikeInferShape)
    .set_infer_type(FirstTypeInfer)
    .set_compute(MXC_CPU, LikeForward)
    .set_backward(MXC_CPU, LikeBackward)
    .set_backward_uses(false, false);

MXC_REGISTER_OP(slice_like)
    .describe("Slices data from index 0 to the shape of shape_like (all axes, or the listed axes).")
    .set_inputs({"data", "shape_like"})
    .add_param("axes", ParamKind::kShape, "()",
               "Axes to slice to the size of the same axis of shape_like; () slices every axis.")
    .set_infer_shape(SliceLikeInferShape)
    .set_infer_type(FirstTypeInfer)
    .set_compute(MXC_CPU, LikeForward)
    .set_backward(MXC_CPU, LikeBackward)
    .set_backward_uses(false, false);

MXC_REGISTER_OP(shape_array)
    .describe("The shape of the input as a 1-d int64 array.")
    .set_inputs({"data"})
    .set_infer_shape([](const OpParams &p, std::vector<TShape> *in, std::vector<TShape> *out) {
      if (!(*in)[0].empty()) ShapeAssign(&(*out)[0], TShape{(*in)[0].ndim()}, p.op(), "output");
    })
    .set_infer_type(Int64OutType)
    .set_compute(MXC_CPU, ShapeArrayForward<false>)
    .set_backward(MXC_CPU, ZeroInputGrad)
    .set_backward_uses(false, false);

MXC_REGISTER_OP(size_array)
    .describe("The number of elements of the input as an int64 array of shape (1,).")
    .set_inputs({"data"})
    .set_infer_shape([](const OpParams &p, std::vector<TShape> *in, std::vector<TShape> *out) {
      if (!(*in)[0].empty()) ShapeAssign(&(*out)[0], TShape{1}, p.op(), "output");
    })
    .set_infer_type(Int64OutType)
    .set_compute(MXC_CPU, ShapeArrayForward<true>)
    .set_backward(MXC_CPU, ZeroInputGrad)
    .set_backward_uses(false, false);

}  // namespace op
}  // namespace mxc
