// Same-shape binary operators: elemwise_add/sub/mul/div, _mod, _power, _maximum, _minimum and the comparisons.
// Comparisons return 1/0 in the input dtype and have a zero gradient.
#include "elemwise_util.h"

namespace mxc {
namespace op {
namespace {

using namespace elem;

template <typename OP>
void BinaryForward(const OpContext &, const OpParams &, const std::vector<TBlob> &in, const std::vector<OpReq> &req,
                   const std::vector<TBlob> &out) {
  MXC_NUMERIC_TYPE_SWITCH(out[0].dtype, T, {
    const T *a = in[0].ptr<T>();
    const T *b = in[1].ptr<T>();
    MapOut(out[0].ptr<T>(), out[0].Size(), req[0], [=](int64_t i) { return OP::Map(a[i], b[i]); });
  });
}

// Gradients that need neither input: d lhs = g * kL, d rhs = g * kR (add: 1, 1; sub: 1, -1).
template <int kL, int kR>
void LinearBackward(const OpContext &, const OpParams &, const std::vector<TBlob> &out_grad,
                    const std::vector<TBlob> &, const std::vector<TBlob> &, const std::vector<OpReq> &req,
                    const std::vector<TBlob> &in_grad) {
  MXC_REAL_TYPE_SWITCH(out_grad[0].dtype, T, {
    const T *g = out_grad[0].ptr<T>();
    int64_t n = out_grad[0].Size();
    // rhs first: in_grad[0] may share storage with out_grad.
    MapOut(in_grad[1].ptr<T>(), n, req[1], [=](int64_t i) { return g[i] * T(kR); });
    MapOut(in_grad[0].ptr<T>(), n, req[0], [=](int64_t i) { return g[i] * T(kL); });
  });
}

// General gradient from the inputs. One pass computes both gradients so that either may share storage with
// out_grad.
template <typename OP>
void BinaryBackward(const OpContext &, const OpParams &, const std::vector<TBlob> &out_grad,
                    const std::vector<TBlob> &in_data, const std::vector<TBlob> &, const std::vector<OpReq> &req,
                    const std::vector<TBlob> &in_grad) {
  MXC_REAL_TYPE_SWITCH(out_grad[0].dtype, T, {
    const T *g = out_grad[0].ptr<T>();
    const T *a = in_data[0].ptr<T>();
    const T *b = in_data[1].ptr<T>();
    T *ga = in_grad[0].ptr<T>();
    T *gb = in_grad[1].ptr<T>();
    int64_t n = out_grad[0].Size();
    OpReq ra = req[0], rb = req[1];
    if (ra == kNullOp) {
      MapOut(gb, n, rb, [=](int64_t i) { return g[i] * OP::GradR(a[i], b[i]); });
    } else if (rb == kNullOp) {
      MapOut(ga, n, ra, [=](int64_t i) { return g[i] * OP::GradL(a[i], b[i]); });
    } else {
      ParallelFor(n, [=](int64_t i) {
        T gi = g[i], ai = a[i], bi = b[i];
        Assign(ga + i, ra, gi * OP::GradL(ai, bi));
        Assign(gb + i, rb, gi * OP::GradR(ai, bi));
      });
    }
  });
}

void ZeroBackward(const OpContext &, const OpParams &, const std::vector<TBlob> &, const std::vector<TBlob> &,
                  const std::vector<TBlob> &, const std::vector<OpReq> &req, const std::vector<TBlob> &in_grad) {
  for (size_t i = 0; i < in_grad.size(); ++i) ZeroGrad(in_grad[i], req[i]);
}

Op &BinaryOp(const char *name, std::initializer_list<const char *> aliases, const std::string &doc, FCompute fwd) {
  Op &op = OpRegistry::Get()->Register(name);
  op.describe(doc)
      .set_inputs({"lhs", "rhs"})
      .set_elementwise(SameShapeNamed, SameTypeIn(kNumericTypes), kNumericTypes)
      .set_inplace({{0, 0}, {1, 0}})
      .set_compute(MXC_CPU, std::move(fwd));
  for (auto a : aliases) op.add_alias(a);
  return op;
}

template <typename OP>
Op &MathOp(const char *name, std::initializer_list<const char *> aliases, const std::string &doc) {
  return BinaryOp(name, aliases, doc, BinaryForward<OP>)
      .set_backward(MXC_CPU, BinaryBackward<OP>)
      .set_backward_uses(true, false);
}

template <typename OP>
Op &CompareOp(const char *name, std::initializer_list<const char *> aliases, const std::string &what) {
  return BinaryOp(name, aliases,
                  "Returns 1 where lhs " + what + " rhs and 0 elsewhere (same shapes, in the input dtype).",
                  BinaryForward<OP>)
      .set_backward(MXC_CPU, ZeroBackward)
      .set_backward_uses(false, false);
}

int Register() {
  BinaryOp("elemwise_add", {"_plus", "_Plus", "_add"}, "Adds two arrays of the same shape: lhs + rhs.",
           BinaryForward<Add>)
      .set_backward(MXC_CPU, LinearBackward<1, 1>)
      .set_backward_uses(false, false);
  BinaryOp("elemwise_sub", {"_minus", "_Minus", "_sub"}, "Subtracts two arrays of the same shape: lhs - rhs.",
           BinaryForward<Sub>)
      .set_backward(MXC_CPU, LinearBackward<1, -1>)
      .set_backward_uses(false, false);
  MathOp<Mul>("elemwise_mul", {"_mul", "_Mul"}, "Multiplies two arrays of the same shape: lhs * rhs.");
  MathOp<Div>("elemwise_div", {"_div", "_Div"},
              "Divides two arrays of the same shape: lhs / rhs (integers truncate; integer division by 0 gives 0).");
  MathOp<Mod>("_mod", {"_Mod"},
              "Python-style modulo of two arrays of the same shape: the result has the sign of rhs; x % 0 = 0.");
  MathOp<Power>("_power", {"_Power", "_pow"}, "lhs raised to the power rhs, elementwise (same shapes).");
  MathOp<Maximum>("_maximum", {"_Maximum"}, "Elementwise maximum of two arrays of the same shape.");
  MathOp<Minimum>("_minimum", {"_Minimum"}, "Elementwise minimum of two arrays of the same shape.");
  CompareOp<Equal>("_equal", {"_Equal"}, "==");
  CompareOp<NotEqual>("_not_equal", {"_Not_Equal"}, "!=");
  CompareOp<Greater>("_greater", {"_Greater"}, ">");
  CompareOp<GreaterEqual>("_greater_equal", {"_Greater_Equal"}, ">=");
  CompareOp<Lesser>("_lesser", {"_Lesser"}, "<");
  CompareOp<LesserEqual>("_lesser_equal", {"_Lesser_Equal"}, "<=");
  CompareOp<LogicalAnd>("_logical_and", {"_Logical_And"}, "and (both nonzero)");
  CompareOp<LogicalOr>("_logical_or", {"_Logical_Or"}, "or (either nonzero)");
  CompareOp<LogicalXor>("_logical_xor", {"_Logical_Xor"}, "xor (exactly one nonzero)");
  return 0;
}

[[maybe_unused]] const int registered = Register();

}  // namespace
}  // namespace op
}  // namespace mxc
