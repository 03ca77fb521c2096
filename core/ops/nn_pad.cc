// Pad (alias pad), MXNet 1.x semantics: pads the spatial axes of a 4-D or 5-D array (N, C, spatial...) with a
// constant, the edge values, or the reflection of the values (without repeating the edge). pad_width holds a
// (before, after) pair per axis, the first two pairs zero. The gradient sums the output gradient of every output
// element into the input element it was read from (nothing for constant padding).
#include <vector>

#include "nn_util.h"

namespace mxc {
namespace op {
namespace {

enum PadMode { kConstant, kEdge, kReflect };

PadMode ModeOf(const OpParams &p) {
  const std::string &m = p.Str("mode");
  return m == "edge" ? kEdge : (m == "reflect" ? kReflect : kConstant);
}

void PadInferShape(const OpParams &p, std::vector<TShape> *in, std::vector<TShape> *out) {
  const Op *op = p.op();
  const TShape &d = (*in)[0];
  if (d.empty()) return;
  const auto &pw = p.Tuple("pad_width");
  const std::string where = std::string("operator ") + op->name + ": data shape " + ShapeStr(d) + ", pad_width " +
                            ShapeStr(TShape(pw)) + ": ";
  if (d.ndim() != 4 && d.ndim() != 5)
    Throw(ErrorKind::kShape, where, "Current implementation only supports 4-D or 5-D input.");
  if (static_cast<int>(pw.size()) != 2 * d.ndim())
    Throw(ErrorKind::kShape, where, "Input shape vs padding spec mismatch (pad_width needs ", 2 * d.ndim(),
          " values).");
  if (pw[0] || pw[1] || pw[2] || pw[3])
    Throw(ErrorKind::kValue, where, "Current implementation expects padding on the first two axes to be zero.");
  TShape o = d;
  for (int a = 2; a < d.ndim(); ++a) {
    if (pw[2 * a] < 0 || pw[2 * a + 1] < 0) Throw(ErrorKind::kValue, where, "pad_width must not be negative.");
    if (ModeOf(p) == kReflect && (pw[2 * a] >= d[a] || pw[2 * a + 1] >= d[a]))
      Throw(ErrorKind::kValue, where,
            "Current implementation of reflection padding only supports padding sizes smaller than the input size.");
    o[a] = d[a] + pw[2 * a] + pw[2 * a + 1];
  }
  ShapeAssign(&(*out)[0], o, op, "output");
}

// The three spatial axes (a 4-D array gets a leading axis of size 1): per axis and output position, the input
// position read (-1: the constant).
struct PadMaps {
  int64_t planes = 1, in_sz[3] = {1, 1, 1}, out_sz[3] = {1, 1, 1};
  std::vector<int64_t> src[3];

  PadMaps(const OpParams &p, const TShape &d) {
    const auto &pw = p.Tuple("pad_width");
    const PadMode mode = ModeOf(p);
    const int off = 5 - d.ndim();  // 1 for 4-D data
    planes = d[0] * d[1];
    for (int k = 0; k < 3; ++k) {
      const int a = k + 2 - off;
      const int64_t n = a >= 2 ? d[a] : 1, before = a >= 2 ? pw[2 * a] : 0, after = a >= 2 ? pw[2 * a + 1] : 0;
      in_sz[k] = n;
      out_sz[k] = n + before + after;
      src[k].resize(out_sz[k]);
      for (int64_t o = 0; o < out_sz[k]; ++o) {
        int64_t i = o - before;
        if (i < 0 || i >= n) {
          if (mode == kConstant) i = -1;
          else if (mode == kEdge) i = i < 0 ? 0 : n - 1;
          else i = i < 0 ? -i : 2 * (n - 1) - i;
        }
        src[k][o] = i;
      }
    }
  }
  // f(output offset in the plane, input offset in the plane or -1).
  template <typename F>
  void ForEach(F f) const {
    int64_t j = 0;
    for (int64_t a = 0; a < out_sz[0]; ++a)
      for (int64_t b = 0; b < out_sz[1]; ++b)
        for (int64_t c = 0; c < out_sz[2]; ++c, ++j) {
          const int64_t sa = src[0][a], sb = src[1][b], sc = src[2][c];
          f(j, (sa < 0 || sb < 0 || sc < 0) ? -1 : (sa * in_sz[1] + sb) * in_sz[2] + sc);
        }
  }
  int64_t InPlane() const { return in_sz[0] * in_sz[1] * in_sz[2]; }
  int64_t OutPlane() const { return out_sz[0] * out_sz[1] * out_sz[2]; }
};

void PadForward(MXC_NN_FORWARD_ARGS) {
  if (req[0] == kNullOp) return;
  const PadMaps m(p, in[0].shape);
  MXC_REAL_TYPE_SWITCH(out[0].dtype, T, {
    const T cv = static_cast<T>(p.Float("constant_value"));
    const T *x = in[0].ptr<T>();
    T *y = out[0].ptr<T>();
    const bool add = req[0] == kAddTo;
    ParallelForWork(m.planes, m.OutPlane(), [&](int64_t pl) {
      const T *xp = x + pl * m.InPlane();
      T *yp = y + pl * m.OutPlane();
      m.ForEach([&](int64_t j, int64_t i) {
        const T v = i < 0 ? cv : xp[i];
        yp[j] = add ? yp[j] + v : v;
      });
    });
  });
}

void PadBackward(MXC_NN_BACKWARD_ARGS) {
  if (req[0] == kNullOp) return;
  ZeroGrad(in_grad[0], req[0]);
  const PadMaps m(p, in_grad[0].shape);
  MXC_REAL_TYPE_SWITCH(in_grad[0].dtype, T, {
    const T *g = out_grad[0].ptr<T>();
    T *dx = in_grad[0].ptr<T>();
    ParallelForWork(m.planes, m.OutPlane(), [&](int64_t pl) {
      const T *gp = g + pl * m.OutPlane();
      T *dp = dx + pl * m.InPlane();
      m.ForEach([&](int64_t j, int64_t i) {
        if (i >= 0) dp[i] += gp[j];
      });
    });
  });
}

[[maybe_unused]] const int registered = [] {
  OpRegistry::Get()
      ->Register("Pad")
      .describe("Pads the spatial axes of a 4-D or 5-D array with a constant, its edge values or its reflection.")
      .add_alias("pad")
      .set_inputs({"data"})
      .add_required_param("mode", ParamKind::kEnum, "Padding type: constant, edge or reflect.",
                          {"constant", "edge", "reflect"})
      .add_required_param("pad_width", ParamKind::kShape,
                          "(before, after) widths of every axis, 2 * ndim values; the first four must be 0.")
      .add_param("constant_value", ParamKind::kFloat, "0", "The value of the padding in constant mode.")
      .set_infer_shape(PadInferShape)
      .set_infer_type(FloatOnlyTypeInfer)
      .set_compute(MXC_CPU, PadForward)
      .set_backward(MXC_CPU, PadBackward)
      .set_backward_uses(false, false);
  return 0;
}();

}  // namespace
}  // namespace op
}  // namespace mxc
