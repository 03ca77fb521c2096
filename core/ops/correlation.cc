// Correlation (FlowNet's correlation layer), MXNet 1.x semantics. data1 and data2 (N, C, H, W) are zero-padded by
// pad_size on both spatial sides; with r = max_displacement / stride2 and D = 2 r + 1, output channel q = (qy, qx)
// (q = qy * D + qx) at (y, x) compares the kernel_size x kernel_size patch of data1 whose top-left corner is at
// padded (y * stride1 + max_displacement, x * stride1 + max_displacement) with the patch of data2 displaced by
// ((qy - r) * stride2, (qx - r) * stride2): the sum over channels and the patch of a * b (is_multiply) or |a - b|,
// divided by kernel_size^2 * C. Output (N, D^2, ceil((H + 2 pad - 2 border) / stride1), same for W), border =
// max_displacement + (kernel_size - 1) / 2. The gradient of |a - b| takes sign(a - b) as +1 when a == b (as MXNet).
// Both directions gather (one output or input element at a time, in a fixed order), as the GPU kernel does.
#include <cmath>
#include <vector>

#include "correlation_impl.h"
#include "nn_util.h"

namespace mxc {
namespace op {
namespace {

CorrGeom GeomOf(const OpParams &p, const TShape &d, const std::string &where) {
  CorrGeom g{};
  g.N = d[0], g.C = d[1], g.H = d[2], g.W = d[3];
  g.k = p.Int("kernel_size"), g.md = p.Int("max_displacement"), g.s1 = p.Int("stride1"), g.s2 = p.Int("stride2");
  g.pad = p.Int("pad_size");
  g.mult = p.Bool("is_multiply");
  if (g.k < 1 || g.k % 2 == 0)
    Throw(ErrorKind::kValue, where, "kernel_size must be a positive odd number, got ", g.k);
  if (g.s1 < 1 || g.s2 < 1)
    Throw(ErrorKind::kValue, where, "stride1 and stride2 must be positive, got ", g.s1, " and ", g.s2);
  if (g.md < 0 || g.pad < 0)
    Throw(ErrorKind::kValue, where, "max_displacement and pad_size must not be negative, got ", g.md, " and ", g.pad);
  const int64_t border = g.md + (g.k - 1) / 2;
  const int64_t ph = g.H + 2 * g.pad - 2 * border, pw = g.W + 2 * g.pad - 2 * border;
  g.th = ph > 0 ? (ph + g.s1 - 1) / g.s1 : 0;
  g.tw = pw > 0 ? (pw + g.s1 - 1) / g.s1 : 0;
  if (g.th < 1 || g.tw < 1)
    Throw(ErrorKind::kValue, where,
          "Correlation cannot be done with current settings: neighborhood and kernel don't fit in the padded data");
  g.r = g.md / g.s2;
  g.D = 2 * g.r + 1;
  return g;
}

std::string Where(const OpParams &p, const TShape &a, const TShape &b) {
  return std::string("operator ") + p.op()->name + ": data1 shape " + ShapeStr(a) + ", data2 shape " + ShapeStr(b) +
         ", kernel_size " + std::to_string(p.Int("kernel_size")) + ", max_displacement " +
         std::to_string(p.Int("max_displacement")) + ", stride1 " + std::to_string(p.Int("stride1")) + ", stride2 " +
         std::to_string(p.Int("stride2")) + ", pad_size " + std::to_string(p.Int("pad_size")) + ": ";
}

void CorrInferShape(const OpParams &p, std::vector<TShape> *in, std::vector<TShape> *out) {
  const Op *op = p.op();
  TShape &a = (*in)[0], &b = (*in)[1];
  if (a.empty() && !b.empty()) ShapeAssign(&a, b, op, "data1");
  if (b.empty() && !a.empty()) ShapeAssign(&b, a, op, "data2");
  if (a.empty()) return;
  const std::string where = Where(p, a, b);
  if (a.ndim() != 4) Throw(ErrorKind::kShape, where, "data1 must be 4-D (N, C, H, W)");
  if (a != b) Throw(ErrorKind::kShape, where, "data1 and data2 must have the same shape");
  const CorrGeom g = GeomOf(p, a, where);
  ShapeAssign(&(*out)[0], TShape{g.N, g.D * g.D, g.th, g.tw}, op, "output");
}

void CorrForward(MXC_NN_FORWARD_ARGS) {
  if (req[0] == kNullOp) return;
  const CorrGeom g = GeomOf(p, in[0].shape, Where(p, in[0].shape, in[1].shape));
  MXC_REAL_TYPE_SWITCH(out[0].dtype, T, {
    const T *a = in[0].ptr<T>(), *b = in[1].ptr<T>();
    T *y = out[0].ptr<T>();
    const bool add = req[0] == kAddTo;
    ParallelForWork(g.N * g.D * g.D * g.th * g.tw, g.C * g.k * g.k, [&](int64_t e) {
      const T v = static_cast<T>(CorrOutput(g, a, b, e));  // correlation_impl.h, shared with the GPU kernel
      y[e] = add ? static_cast<T>(y[e] + v) : v;
    });
  });
}

// The gradient of data1 (second = false) or data2 (second = true) at every element.
template <typename T>
void CorrGrad(const CorrGeom &g, bool second, const T *og, const T *a, const T *b, T *dst, OpReq req) {
  const bool add = req == kAddTo;
  ParallelForWork(g.N * g.C * g.H * g.W, g.D * g.D * g.k * g.k, [&](int64_t e) {
    const T v = static_cast<T>(CorrInputGrad(g, second, og, a, b, e));
    dst[e] = add ? static_cast<T>(dst[e] + v) : v;
  });
}

void CorrBackward(MXC_NN_BACKWARD_ARGS) {
  const CorrGeom g = GeomOf(p, in_data[0].shape, Where(p, in_data[0].shape, in_data[1].shape));
  MXC_REAL_TYPE_SWITCH(in_data[0].dtype, T, {
    for (int s = 0; s < 2; ++s)
      if (req[s] != kNullOp)
        CorrGrad<T>(g, s == 1, out_grad[0].ptr<T>(), in_data[0].ptr<T>(), in_data[1].ptr<T>(), in_grad[s].ptr<T>(),
                    req[s]);
  });
}

[[maybe_unused]] const int registered = [] {
  OpRegistry::Get()
      ->Register("Correlation")
      .describe("Applies correlation to inputs: multiplicative (or absolute-difference) patch comparisons between "
                "two feature maps over a neighbourhood of displacements (FlowNet).")
      .set_inputs({"data1", "data2"})
      .add_param("kernel_size", ParamKind::kInt, "1", "kernel size for Correlation must be an odd number")
      .add_param("max_displacement", ParamKind::kInt, "1", "Max displacement of Correlation")
      .add_param("stride1", ParamKind::kInt, "1", "stride1 quantize data1 globally")
      .add_param("stride2", ParamKind::kInt, "1", "stride2 quantize data2 within the neighborhood centered around data1")
      .add_param("pad_size", ParamKind::kInt, "0", "pad for Correlation")
      .add_param("is_multiply", ParamKind::kBool, "True", "operation type is either multiplication or subduction")
      .set_infer_shape(CorrInferShape)
      .set_infer_type(FloatOnlyTypeInfer)
      .set_compute(MXC_CPU, CorrForward)
      .set_backward(MXC_CPU, CorrBackward)
      .set_backward_uses(true, false);
  return 0;
}();

}  // namespace
}  // namespace op
}  // namespace mxc
