// Binary operators with a scalar: _plus_scalar, _rminus_scalar, ..., _lesser_equal_scalar. The scalar is converted
// to the array's dtype first (as MXNet does: 2.7 becomes 2 for int32 arrays). The reversed forms (_r*) compute
// scalar OP data.
#include "elemwise_util.h"

namespace mxc {
namespace op {
namespace {

using namespace elem;

template <typename T>
inline T ScalarAs(const OpParams &p) {
  return Convert<T>::From_(p.Float("scalar"));
}

template <typename OP, bool kReverse>
void ScalarForward(const OpContext &, const OpParams &p, const std::vector<TBlob> &in, const std::vector<OpReq> &req,
                   const std::vector<TBlob> &out) {
  MXC_NUMERIC_TYPE_SWITCH(out[0].dtype, T, {
    const T *x = in[0].ptr<T>();
    const T s = ScalarAs<T>(p);
    if (kReverse) MapOut(out[0].ptr<T>(), out[0].Size(), req[0], [=](int64_t i) { return OP::Map(s, x[i]); });
    else MapOut(out[0].ptr<T>(), out[0].Size(), req[0], [=](int64_t i) { return OP::Map(x[i], s); });
  });
}

// Gradient functors: d out / d x from the input x, the output y and the scalar s.
struct GOne { template <typename T> static T Grad(T, T, T) { return T(1); } };
struct GNegOne { template <typename T> static T Grad(T, T, T) { return T(-1); } };
struct GZero { template <typename T> static T Grad(T, T, T) { return T(0); } };
struct GScalar { template <typename T> static T Grad(T, T, T s) { return s; } };
struct GInvScalar { template <typename T> static T Grad(T, T, T s) { return T(1) / s; } };
struct GRDiv { template <typename T> static T Grad(T x, T, T s) { return -s / (x * x); } };
struct GRMod { template <typename T> static T Grad(T x, T, T s) { return -std::floor(s / x); } };
struct GPower { template <typename T> static T Grad(T x, T, T s) { return s * std::pow(x, s - T(1)); } };
struct GRPower { template <typename T> static T Grad(T, T y, T s) { return y * std::log(s); } };
struct GMax { template <typename T> static T Grad(T x, T, T s) { return x >= s ? T(1) : T(0); } };
struct GMin { template <typename T> static T Grad(T x, T, T s) { return x <= s ? T(1) : T(0); } };

template <typename G, bool kUsesIn, bool kUsesOut>
void ScalarBackward(const OpContext &, const OpParams &p, const std::vector<TBlob> &out_grad,
                    const std::vector<TBlob> &in_data, const std::vector<TBlob> &out_data,
                    const std::vector<OpReq> &req, const std::vector<TBlob> &in_grad) {
  if constexpr (std::is_same<G, GZero>::value) {
    ZeroGrad(in_grad[0], req[0]);
    return;
  }
  MXC_REAL_TYPE_SWITCH(in_grad[0].dtype, T, {
    const T *g = out_grad[0].ptr<T>();
    const T *x = kUsesIn ? in_data[0].ptr<T>() : nullptr;
    const T *y = kUsesOut ? out_data[0].ptr<T>() : nullptr;
    const T s = ScalarAs<T>(p);
    MapOut(in_grad[0].ptr<T>(), in_grad[0].Size(), req[0], [=](int64_t i) {
      return g[i] * G::Grad(kUsesIn ? x[i] : T(0), kUsesOut ? y[i] : T(0), s);
    });
  });
}

template <typename OP, bool kReverse, typename G, bool kUsesIn, bool kUsesOut>
void ScalarOp(const char *name, const char *alias, const std::string &doc) {
  OpRegistry::Get()
      ->Register(name)
      .describe(doc)
      .add_alias(alias)
      .set_inputs({"data"})
      .add_param("scalar", ParamKind::kFloat, "1", "The scalar operand (converted to the array's dtype).")
      .add_param("is_int", ParamKind::kBool, "true",
                 "Whether the scalar was given as an integer (accepted for MXNet compatibility; unused).")
      .set_elementwise(SameShapeInfer, SameTypeIn(kNumericTypes), kNumericTypes)
      .set_inplace({{0, 0}})
      .set_compute(MXC_CPU, ScalarForward<OP, kReverse>)
      .set_backward(MXC_CPU, ScalarBackward<G, kUsesIn, kUsesOut>)
      .set_backward_uses(kUsesIn, kUsesOut)
      .set_backward_inplace({{0, 0}});  // dx[i] depends on dy[i], x[i], y[i] only
}

int Register() {
  ScalarOp<Add, false, GOne, false, false>("_plus_scalar", "_PlusScalar", "data + scalar, elementwise.");
  ScalarOp<Sub, false, GOne, false, false>("_minus_scalar", "_MinusScalar", "data - scalar, elementwise.");
  ScalarOp<Sub, true, GNegOne, false, false>("_rminus_scalar", "_RMinusScalar", "scalar - data, elementwise.");
  ScalarOp<Mul, false, GScalar, false, false>("_mul_scalar", "_MulScalar", "data * scalar, elementwise.");
  ScalarOp<Div, false, GInvScalar, false, false>("_div_scalar", "_DivScalar", "data / scalar, elementwise.");
  ScalarOp<Div, true, GRDiv, true, false>("_rdiv_scalar", "_RDivScalar", "scalar / data, elementwise.");
  ScalarOp<Mod, false, GOne, false, false>("_mod_scalar", "_ModScalar",
                                           "data % scalar (Python-style modulo; x % 0 = 0), elementwise.");
  ScalarOp<Mod, true, GRMod, true, false>("_rmod_scalar", "_RModScalar",
                                          "scalar % data (Python-style modulo; x % 0 = 0), elementwise.");
  ScalarOp<Power, false, GPower, true, false>("_power_scalar", "_PowerScalar", "data ** scalar, elementwise.");
  ScalarOp<Power, true, GRPower, false, true>("_rpower_scalar", "_RPowerScalar", "scalar ** data, elementwise.");
  ScalarOp<Maximum, false, GMax, true, false>("_maximum_scalar", "_MaximumScalar", "max(data, scalar), elementwise.");
  ScalarOp<Minimum, false, GMin, true, false>("_minimum_scalar", "_MinimumScalar", "min(data, scalar), elementwise.");
  ScalarOp<Equal, false, GZero, false, false>("_equal_scalar", "_EqualScalar",
                                              "1 where data == scalar, else 0 (in the input dtype).");
  ScalarOp<NotEqual, false, GZero, false, false>("_not_equal_scalar", "_NotEqualScalar",
                                                 "1 where data != scalar, else 0 (in the input dtype).");
  ScalarOp<Greater, false, GZero, false, false>("_greater_scalar", "_GreaterScalar",
                                                "1 where data > scalar, else 0 (in the input dtype).");
  ScalarOp<GreaterEqual, false, GZero, false, false>("_greater_equal_scalar", "_GreaterEqualScalar",
                                                     "1 where data >= scalar, else 0 (in the input dtype).");
  ScalarOp<Lesser, false, GZero, false, false>("_lesser_scalar", "_LesserScalar",
                                               "1 where data < scalar, else 0 (in the input dtype).");
  ScalarOp<LesserEqual, false, GZero, false, false>("_lesser_equal_scalar", "_LesserEqualScalar",
                                                    "1 where data <= scalar, else 0 (in the input dtype).");
  ScalarOp<LogicalAnd, false, GZero, false, false>("_logical_and_scalar", "_LogicalAndScalar",
                                                   "1 where data and scalar are both nonzero, else 0.");
  ScalarOp<LogicalOr, false, GZero, false, false>("_logical_or_scalar", "_LogicalOrScalar",
                                                  "1 where data or scalar is nonzero, else 0.");
  ScalarOp<LogicalXor, false, GZero, false, false>("_logical_xor_scalar", "_LogicalXorScalar",
                                                   "1 where exactly one of data and scalar is nonzero, else 0.");
  return 0;
}

[[maybe_unused]] const int registered = Register();

}  // namespace
}  // namespace op
}  // namespace mxc
