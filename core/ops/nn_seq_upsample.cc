// smooth_l1, SequenceMask, SequenceReverse, SequenceLast and UpSampling (MXNet 1.x semantics).
//
// smooth_l1(data, scalar=1): elementwise, with s = scalar^2: 0.5 * s * x^2 where |x| <= 1/s, else |x| - 0.5/s (the
// two branches agree at |x| = 1/s). The scalar is first converted to the array's dtype (2.7 is 2 for int32 arrays);
// integer arrays are computed in double and truncated, as MXNet. scalar=0 gives zeros (1/s = inf). Gradient
// (float32/float64): 1 / -1 beyond +-1/s, s * x inside.
//
// SequenceMask(data, sequence_length, use_sequence_length=False, value=0, axis=0): data is (T, N, ...) for axis=0,
// (N, T, ...) for axis=1. The input sequence_length (shape (N,), any numeric dtype, its values truncated towards
// zero) exists only with use_sequence_length; position t of sequence b is kept when t < sequence_length[b], else
// set to value (converted to data's dtype). Without use_sequence_length the operator is the identity. Gradient:
// the head gradient where kept, zero elsewhere; sequence_length gets a zero gradient.
//
// SequenceReverse(data, sequence_length, use_sequence_length=False, axis=0) reverses the first sequence_length[b]
// steps of each sequence b (the rest stay in place; without lengths, the whole sequence axis). SequenceLast(data,
// sequence_length, use_sequence_length=False, axis=0) is step sequence_length[b] - 1 of each sequence (without
// lengths, the last step), of data's shape without the sequence axis. Lengths are truncated towards zero and then
// clamped to [0, T] (SequenceReverse) or [1, T] (SequenceLast), T the number of steps: MXNet reads out of bounds
// there. Both take axis 0 or 1 (MXNet's SequenceReverse only 0). Gradients: SequenceReverse of the head gradient;
// for SequenceLast the head gradient at the step it picked, zero elsewhere; sequence_length gets a zero gradient.
//
// UpSampling(*data, scale, num_filter=0, sample_type, multi_input_mode='concat', num_args, workspace=512): only
// sample_type='nearest' with one NCHW input is implemented: out (N, C, H*scale, W*scale) with
// out[n, c, y, x] = data[n, c, y / scale, x / scale]; gradient: the sum of each scale x scale block. 'bilinear' and
// several inputs are ValueErrors naming the operator and the parameter.
#include <cmath>
#include <cstring>
#include <limits>
#include <string>
#include <type_traits>
#include <vector>

#include "elemwise_util.h"
#include "nn_util.h"
#include "seq_upsample.h"

namespace mxc {
namespace op {

using elem::Convert;

// ---------------------------------------------------------------------------------------------------------------
// Shared with the GPU glue (seq_upsample.h)
// ---------------------------------------------------------------------------------------------------------------
SeqMaskGeom SeqMaskGeomOf(const OpParams &p, const TShape &d) {
  const int axis = static_cast<int>(p.Int("axis"));
  SeqMaskGeom g;
  g.batch_major = axis == 1;
  g.T = d[axis];
  g.N = d[1 - axis];
  g.rest = 1;
  for (int i = 2; i < d.ndim(); ++i) g.rest *= d[i];
  return g;
}

void CheckUpSamplingParams(const OpParams &p) {
  const Op *op = p.op();
  if (p.Str("sample_type") != "nearest")
    Throw(ErrorKind::kValue, "operator ", op->name, ": parameter 'sample_type' = '", p.Str("sample_type"),
          "' is not supported (only 'nearest' is implemented)");
  if (p.Int("num_args") != 1)
    Throw(ErrorKind::kValue, "operator ", op->name, ": parameter 'num_args' = ", p.Int("num_args"),
          " is not supported (only one input is implemented: num_args=1)");
  if (p.Int("scale") < 1)
    Throw(ErrorKind::kValue, "operator ", op->name, ": parameter 'scale' = ", p.Int("scale"),
          " must be at least 1");
}

namespace {

// ---------------------------------------------------------------------------------------------------------------
// smooth_l1
// ---------------------------------------------------------------------------------------------------------------
// The arithmetic type of a dtype: float for float32, double for the rest.
template <typename T>
using SL1Calc = typename std::conditional<std::is_same<T, float>::value, float, double>::type;

template <typename C>
inline C SmoothL1(C x, C bsq) {
  const C ib = C(1) / bsq;
  if (x > ib) return x - C(0.5) * ib;
  if (x < -ib) return -x - C(0.5) * ib;
  return C(0.5) * x * x * bsq;
}
template <typename C>
inline C SmoothL1Grad(C x, C bsq) {
  const C ib = C(1) / bsq;
  if (x > ib) return C(1);
  if (x < -ib) return C(-1);
  return bsq * x;
}

void SmoothL1Forward(MXC_NN_FORWARD_ARGS) {
  (void)ctx;
  MXC_NUMERIC_TYPE_SWITCH(out[0].dtype, T, {
    using C = SL1Calc<T>;
    const C sigma = static_cast<C>(Convert<T>::From_(p.Float("scalar")));
    const C bsq = sigma * sigma;
    const T *x = in[0].ptr<T>();
    elem::MapOut(out[0].ptr<T>(), out[0].Size(), req[0],
                 [=](int64_t i) { return Convert<T>::From_(SmoothL1<C>(static_cast<C>(x[i]), bsq)); });
  });
}

void SmoothL1Backward(MXC_NN_BACKWARD_ARGS) {
  (void)ctx, (void)out_data;
  MXC_REAL_TYPE_SWITCH(in_grad[0].dtype, T, {
    const T sigma = static_cast<T>(p.Float("scalar"));
    const T bsq = sigma * sigma;
    const T *g = out_grad[0].ptr<T>(), *x = in_data[0].ptr<T>();
    elem::MapOut(in_grad[0].ptr<T>(), in_grad[0].Size(), req[0],
                 [=](int64_t i) { return g[i] * SmoothL1Grad<T>(x[i], bsq); });
  });
}

// ---------------------------------------------------------------------------------------------------------------
// SequenceMask
// ---------------------------------------------------------------------------------------------------------------
std::vector<std::string> SeqMaskInputs(const OpParams &p) {
  return p.Bool("use_sequence_length") ? std::vector<std::string>{"data", "sequence_length"}
                                       : std::vector<std::string>{"data"};
}

void CheckSeqMaskAxis(const OpParams &p) {
  const int64_t axis = p.Int("axis");
  if (axis != 0 && axis != 1)
    Throw(ErrorKind::kValue, "operator ", p.op()->name, ": parameter 'axis' = ", axis,
          " is not supported (the sequence axis must be 0 or 1)");
}

void SeqMaskInferShape(const OpParams &p, std::vector<TShape> *in, std::vector<TShape> *out) {
  const Op *op = p.op();
  CheckSeqMaskAxis(p);
  TShape &d = (*in)[0];
  ShapeAssign(&d, (*out)[0], op, "data");
  ShapeAssign(&(*out)[0], d, op, "output");
  if (d.empty()) return;
  if (d.ndim() < 2)
    Throw(ErrorKind::kShape, "operator ", op->name, ": 'data' has shape ", ShapeStr(d),
          " but must have at least 2 dimensions (sequence and batch)");
  if (in->size() > 1) {
    const int axis = static_cast<int>(p.Int("axis"));
    ShapeAssign(&(*in)[1], TShape{d[1 - axis]}, op, "sequence_length");
  }
}

// data and output share a dtype (numeric); sequence_length any numeric dtype, data's when unknown.
void SeqMaskInferType(const OpParams &p, std::vector<int> *in, std::vector<int> *out) {
  const Op *op = p.op();
  int t = (*in)[0];
  TypeMerge(&t, (*out)[0], op, "output");
  TypeAssign(&(*in)[0], t, op, "data");
  TypeAssign(&(*out)[0], t, op, "output");
  elem::CheckTypeIn((*in)[0], elem::kNumericTypes, p, "data");
  if (in->size() > 1) {
    if ((*in)[1] < 0) (*in)[1] = t;
    elem::CheckTypeIn((*in)[1], elem::kNumericTypes, p, "sequence_length");
  }
}

// The sequence lengths as integers (truncated towards zero; NaN as 0).
std::vector<int64_t> SeqLengths(const TBlob &len) {
  std::vector<int64_t> r(static_cast<size_t>(len.Size()));
  MXC_NUMERIC_TYPE_SWITCH(len.dtype, L, {
    const L *l = len.ptr<L>();
    for (size_t i = 0; i < r.size(); ++i) {
      const double v = static_cast<double>(l[i]);
      r[i] = v == v ? static_cast<int64_t>(std::max(-9.0e18, std::min(9.0e18, v))) : 0;
    }
  });
  return r;
}

// f(i, keep) for every element i of data.
template <typename F>
void ForEachMasked(const SeqMaskGeom &g, const std::vector<int64_t> *len, F f) {
  const int64_t n = g.T * g.N * g.rest;
  ParallelFor(n, [&](int64_t i) {
    bool keep = true;
    if (len) {
      const int64_t j = i / g.rest;
      const int64_t t = g.batch_major ? j % g.T : j / g.N, b = g.batch_major ? j / g.T : j % g.N;
      keep = t < (*len)[b];
    }
    f(i, keep);
  });
}

void SeqMaskForward(MXC_NN_FORWARD_ARGS) {
  (void)ctx;
  const SeqMaskGeom g = SeqMaskGeomOf(p, in[0].shape);
  std::vector<int64_t> len;
  if (in.size() > 1) len = SeqLengths(in[1]);
  MXC_NUMERIC_TYPE_SWITCH(out[0].dtype, T, {
    const T v = Convert<T>::From_(p.Float("value"));
    const T *x = in[0].ptr<T>();
    T *y = out[0].ptr<T>();
    const OpReq r = req[0];
    if (r == kNullOp) return;
    ForEachMasked(g, in.size() > 1 ? &len : nullptr, [&](int64_t i, bool keep) { Assign(y + i, r, keep ? x[i] : v); });
  });
}

void SeqMaskBackward(MXC_NN_BACKWARD_ARGS) {
  (void)ctx, (void)out_data;
  const SeqMaskGeom g = SeqMaskGeomOf(p, in_grad[0].shape);
  const bool has_len = in_data.size() > 1;
  std::vector<int64_t> len;
  if (has_len) len = SeqLengths(in_data[1]);
  if (req[0] != kNullOp) {
    MXC_REAL_TYPE_SWITCH(in_grad[0].dtype, T, {
      const T *dy = out_grad[0].ptr<T>();
      T *dx = in_grad[0].ptr<T>();
      const OpReq r = req[0];
      ForEachMasked(g, has_len ? &len : nullptr, [&](int64_t i, bool keep) { Assign(dx + i, r, keep ? dy[i] : T(0)); });
    });
  }
  if (has_len && in_grad.size() > 1 && req.size() > 1) ZeroGrad(in_grad[1], req[1]);
}

// ---------------------------------------------------------------------------------------------------------------
// SequenceReverse and SequenceLast
// ---------------------------------------------------------------------------------------------------------------
void SeqLastInferShape(const OpParams &p, std::vector<TShape> *in, std::vector<TShape> *out) {
  const Op *op = p.op();
  CheckSeqMaskAxis(p);
  const TShape &d = (*in)[0];
  if (d.empty()) return;
  if (d.ndim() < 2)
    Throw(ErrorKind::kShape, "operator ", op->name, ": 'data' has shape ", ShapeStr(d),
          " but must have at least 2 dimensions (sequence and batch)");
  const int axis = static_cast<int>(p.Int("axis"));
  TShape o = d;
  o.erase(o.begin() + axis);
  ShapeAssign(&(*out)[0], o, op, "output");
  if (in->size() > 1) ShapeAssign(&(*in)[1], TShape{d[1 - axis]}, op, "sequence_length");
}

// Step t of a sequence of length len holds input step ReversedStep(t, len) (SequenceReverse; an involution).
inline int64_t ReversedStep(int64_t t, int64_t len) { return t < len ? len - 1 - t : t; }
inline int64_t ClampLen(const std::vector<int64_t> *len, int64_t b, int64_t lo, int64_t T) {
  return len ? std::max(lo, std::min((*len)[b], T)) : T;
}

// y = SequenceReverse(x) for data or head gradient (same layout).
template <typename T>
void ReverseSeqs(const SeqMaskGeom &g, const std::vector<int64_t> *len, const T *x, T *y, OpReq r) {
  ParallelForWork(g.T * g.N, g.rest, [&](int64_t j) {
    const int64_t t = g.batch_major ? j % g.T : j / g.N, b = g.batch_major ? j / g.T : j % g.N;
    const int64_t st = ReversedStep(t, ClampLen(len, b, 0, g.T));
    const int64_t src = g.batch_major ? b * g.T + st : st * g.N + b;
    for (int64_t k = 0; k < g.rest; ++k) Assign(y + j * g.rest + k, r, x[src * g.rest + k]);
  });
}

void SeqReverseForward(MXC_NN_FORWARD_ARGS) {
  (void)ctx;
  if (req[0] == kNullOp) return;
  const SeqMaskGeom g = SeqMaskGeomOf(p, in[0].shape);
  std::vector<int64_t> len;
  if (in.size() > 1) len = SeqLengths(in[1]);
  MXC_NUMERIC_TYPE_SWITCH(out[0].dtype, T, {
    ReverseSeqs<T>(g, in.size() > 1 ? &len : nullptr, in[0].ptr<T>(), out[0].ptr<T>(), req[0]);
  });
}

void SeqReverseBackward(MXC_NN_BACKWARD_ARGS) {
  (void)ctx, (void)out_data;
  const bool has_len = in_data.size() > 1;
  std::vector<int64_t> len;
  if (has_len) len = SeqLengths(in_data[1]);
  if (req[0] != kNullOp) {
    const SeqMaskGeom g = SeqMaskGeomOf(p, in_grad[0].shape);
    MXC_REAL_TYPE_SWITCH(in_grad[0].dtype, T, {
      ReverseSeqs<T>(g, has_len ? &len : nullptr, out_grad[0].ptr<T>(), in_grad[0].ptr<T>(), req[0]);
    });
  }
  if (has_len && in_grad.size() > 1 && req.size() > 1) ZeroGrad(in_grad[1], req[1]);
}

void SeqLastForward(MXC_NN_FORWARD_ARGS) {
  (void)ctx;
  if (req[0] == kNullOp) return;
  const SeqMaskGeom g = SeqMaskGeomOf(p, in[0].shape);
  std::vector<int64_t> len;
  if (in.size() > 1) len = SeqLengths(in[1]);
  const std::vector<int64_t> *lp = in.size() > 1 ? &len : nullptr;
  MXC_NUMERIC_TYPE_SWITCH(out[0].dtype, T, {
    const T *x = in[0].ptr<T>();
    T *y = out[0].ptr<T>();
    const OpReq r = req[0];
    ParallelForWork(g.N, g.rest, [&](int64_t b) {
      const int64_t t = ClampLen(lp, b, 1, g.T) - 1, src = g.batch_major ? b * g.T + t : t * g.N + b;
      for (int64_t k = 0; k < g.rest; ++k) Assign(y + b * g.rest + k, r, x[src * g.rest + k]);
    });
  });
}

void SeqLastBackward(MXC_NN_BACKWARD_ARGS) {
  (void)ctx, (void)out_data;
  const bool has_len = in_data.size() > 1;
  std::vector<int64_t> len;
  if (has_len) len = SeqLengths(in_data[1]);
  if (req[0] != kNullOp) {
    const SeqMaskGeom g = SeqMaskGeomOf(p, in_grad[0].shape);
    const std::vector<int64_t> *lp = has_len ? &len : nullptr;
    MXC_REAL_TYPE_SWITCH(in_grad[0].dtype, T, {
      const T *dy = out_grad[0].ptr<T>();
      T *dx = in_grad[0].ptr<T>();
      const OpReq r = req[0];
      ParallelForWork(g.T * g.N, g.rest, [&](int64_t j) {
        const int64_t t = g.batch_major ? j % g.T : j / g.N, b = g.batch_major ? j / g.T : j % g.N;
        const bool picked = t == ClampLen(lp, b, 1, g.T) - 1;
        for (int64_t k = 0; k < g.rest; ++k) Assign(dx + j * g.rest + k, r, picked ? dy[b * g.rest + k] : T(0));
      });
    });
  }
  if (has_len && in_grad.size() > 1 && req.size() > 1) ZeroGrad(in_grad[1], req[1]);
}

// ---------------------------------------------------------------------------------------------------------------
// UpSampling (nearest)
// ---------------------------------------------------------------------------------------------------------------
void UpSamplingInferShape(const OpParams &p, std::vector<TShape> *in, std::vector<TShape> *out) {
  const Op *op = p.op();
  CheckUpSamplingParams(p);
  const TShape &d = (*in)[0];
  if (d.empty()) return;
  if (d.ndim() != 4)
    Throw(ErrorKind::kShape, "operator ", op->name, ": 'data' has shape ", ShapeStr(d),
          " but must be 4-D (batch, channel, height, width)");
  const int64_t s = p.Int("scale");
  ShapeAssign(&(*out)[0], TShape{d[0], d[1], d[2] * s, d[3] * s}, op, "output");
}

void UpSamplingForward(MXC_NN_FORWARD_ARGS) {
  (void)ctx;
  CheckUpSamplingParams(p);
  const TShape &d = in[0].shape;
  const int64_t s = p.Int("scale"), H = d[2], W = d[3], OH = H * s, OW = W * s;
  const int64_t planes = d[0] * d[1];
  if (req[0] == kNullOp) return;
  MXC_NUMERIC_TYPE_SWITCH(out[0].dtype, T, {
    const T *x = in[0].ptr<T>();
    T *y = out[0].ptr<T>();
    const OpReq r = req[0];
    ParallelForWork(planes * OH, OW, [&](int64_t row) {
      const int64_t pl = row / OH, oy = row % OH;
      const T *xr = x + (pl * H + oy / s) * W;
      T *yr = y + row * OW;
      for (int64_t ox = 0; ox < OW; ++ox) Assign(yr + ox, r, xr[ox / s]);
    });
  });
}

void UpSamplingBackward(MXC_NN_BACKWARD_ARGS) {
  (void)ctx, (void)in_data, (void)out_data;
  if (req[0] == kNullOp) return;
  const TShape &d = in_grad[0].shape;
  const int64_t s = p.Int("scale"), H = d[2], W = d[3], OW = W * s;
  const int64_t planes = d[0] * d[1];
  MXC_REAL_TYPE_SWITCH(in_grad[0].dtype, T, {
    const T *dy = out_grad[0].ptr<T>();
    T *dx = in_grad[0].ptr<T>();
    const OpReq r = req[0];
    ParallelForWork(planes * H, W * s * s, [&](int64_t row) {
      const int64_t pl = row / H, iy = row % H;
      for (int64_t ix = 0; ix < W; ++ix) {
        T acc = 0;
        for (int64_t a = 0; a < s; ++a) {
          const T *dr = dy + (pl * H * s + iy * s + a) * OW + ix * s;
          for (int64_t b = 0; b < s; ++b) acc += dr[b];
        }
        Assign(dx + row * W + ix, r, acc);
      }
    });
  });
}

// What SequenceMask, SequenceReverse and SequenceLast share: inputs, parameters (SequenceMask's value between the
// others, as MXNet lists them), types.
Op &SequenceOp(Op &op, const char *doc, bool with_value = false) {
  op.describe(doc)
      .set_inputs({"data", "sequence_length"})
      .set_input_names(SeqMaskInputs)
      .add_param("use_sequence_length", ParamKind::kBool, "False",
                 "Take the extra input sequence_length with the length of each sequence.");
  if (with_value) op.add_param("value", ParamKind::kFloat, "0", "The value of the masked positions.");
  return op.add_param("axis", ParamKind::kInt, "0", "The sequence axis: 0 or 1.")
      .set_infer_type(SeqMaskInferType)
      .set_backward_uses(true, false);
}

}  // namespace

MXC_REGISTER_OP(smooth_l1)
    .describe("Smooth L1 loss, elementwise: with sigma = scalar, 0.5 * (sigma * x)^2 where |x| < 1/sigma^2, else "
              "|x| - 0.5/sigma^2.")
    .set_inputs({"data"})
    .add_param("scalar", ParamKind::kFloat, "1", "sigma (converted to the array's dtype).")
    .set_elementwise(SameShapeInfer, elem::SameTypeIn(elem::kNumericTypes), elem::kNumericTypes)
    .set_inplace({{0, 0}})
    .set_compute(MXC_CPU, SmoothL1Forward)
    .set_backward(MXC_CPU, SmoothL1Backward)
    .set_backward_uses(true, false)
    .set_backward_inplace({{0, 0}});

static Op &sequence_mask_reg =
    SequenceOp(OpRegistry::Get()->Register("SequenceMask"),
               "Sets the positions of each sequence at or beyond its length to `value`. data is "
               "(max_sequence_length, batch_size, ...) for axis=0, (batch_size, max_sequence_length, ...) for axis=1; "
               "sequence_length (batch_size,) is an input only with use_sequence_length (without it the operator is "
               "the identity).",
               true)
        .set_infer_shape(SeqMaskInferShape)
        .set_inplace({{0, 0}})
        .set_compute(MXC_CPU, SeqMaskForward)
        .set_backward(MXC_CPU, SeqMaskBackward)
        .set_backward_inplace({{0, 0}});

static Op &sequence_reverse_reg =
    SequenceOp(OpRegistry::Get()->Register("SequenceReverse"),
               "Reverses the first sequence_length[b] steps of each sequence b (the others stay in place; without "
               "use_sequence_length, the whole sequence axis). data is (max_sequence_length, batch_size, ...) for "
               "axis=0, (batch_size, max_sequence_length, ...) for axis=1; lengths are clamped to [0, "
               "max_sequence_length].")
        .set_infer_shape(SeqMaskInferShape)
        .set_compute(MXC_CPU, SeqReverseForward)
        .set_backward(MXC_CPU, SeqReverseBackward);

static Op &sequence_last_reg =
    SequenceOp(OpRegistry::Get()->Register("SequenceLast"),
               "The last step of each sequence: step sequence_length[b] - 1 of sequence b (without "
               "use_sequence_length, the last step), of data's shape without the sequence axis. data is "
               "(max_sequence_length, batch_size, ...) for axis=0, (batch_size, max_sequence_length, ...) for "
               "axis=1; lengths are clamped to [1, max_sequence_length].")
        .set_infer_shape(SeqLastInferShape)
        .set_compute(MXC_CPU, SeqLastForward)
        .set_backward(MXC_CPU, SeqLastBackward);

MXC_REGISTER_OP(UpSampling)
    .describe("Upsamples NCHW data by an integer scale. Only sample_type='nearest' with one input is implemented: "
              "out[n, c, y, x] = data[n, c, y // scale, x // scale], of shape (N, C, H*scale, W*scale).")
    .set_variadic("num_args", "data")
    .add_required_param("scale", ParamKind::kInt, "Up sampling scale.")
    .add_param("num_filter", ParamKind::kInt, "0", "Input filter; only used by bilinear sample_type (not implemented).")
    .add_required_param("sample_type", ParamKind::kEnum, "Upsampling method (only 'nearest' is implemented).",
                        {"bilinear", "nearest"})
    .add_param("multi_input_mode", ParamKind::kEnum, "concat",
               "How to handle several inputs (only one input is implemented).", {"concat", "sum"})
    .add_required_param("num_args", ParamKind::kInt, "Number of inputs to be upsampled (only 1 is implemented).")
    .add_param("workspace", ParamKind::kInt, "512", "Tmp workspace for deconvolution (MB); unused.")
    .set_infer_shape(UpSamplingInferShape)
    .set_infer_type(elem::SameTypeIn(elem::kNumericTypes))
    .set_compute(MXC_CPU, UpSamplingForward)
    .set_backward(MXC_CPU, UpSamplingBackward)
    .set_backward_uses(false, false);

}  // namespace op
}  // namespace mxc
