// Creation operators: _zeros, _ones, _full, _arange. (_copyto is in elemwise_unary.cc, the random ones in
// random_ops.cc.)
#include "elemwise_util.h"

namespace mxc {
namespace op {

void InitShapeInfer(const OpParams &p, std::vector<TShape> *, std::vector<TShape> *out) {
  const auto &s = p.Tuple("shape");
  TShape shape(s.begin(), s.end());
  for (auto d : shape)
    MXC_CHECK(d >= 0, ErrorKind::kShape, "operator ", p.op()->name, ": negative dimension in shape ",
              ShapeStr(shape));
  if (shape.empty()) shape.push_back(1);  // MXNet 1.x legacy: no zero-dimensional arrays
  ShapeAssign(&(*out)[0], shape, p.op(), "output");
}

void InitTypeInfer(const OpParams &p, std::vector<int> *, std::vector<int> *out) {
  int t = p.IsNone("dtype") ? kFloat32 : p.Dtype("dtype");
  TypeAssign(&(*out)[0], t, p.op(), "output");
}

template <typename GetValue>
static void Fill(const TBlob &out, OpReq req, GetValue value) {
  if (req == kNullOp) return;
  if (out.dtype == kFloat16) {  // storage only: values go through float32
    using elem::Half;
    Half *o = out.ptr<Half>();
    const float v = static_cast<float>(value());
    const Half hv = elem::Convert<Half>::From_(v);
    int64_t n = out.Size();
    if (req == kAddTo)
      ParallelFor(n, [&](int64_t i) { o[i] = elem::Convert<Half>::From_(elem::HalfBitsToFloat(o[i].bits) + v); });
    else ParallelFor(n, [&](int64_t i) { o[i] = hv; });
    return;
  }
  MXC_TYPE_SWITCH(out.dtype, DType, {
    DType *o = out.ptr<DType>();
    DType v = static_cast<DType>(value());
    int64_t n = out.Size();
    if (req == kAddTo) ParallelFor(n, [&](int64_t i) { o[i] += v; });
    else ParallelFor(n, [&](int64_t i) { o[i] = v; });
  });
}

static Op &InitOp(Op &op, const char *what) {
  return op.describe(what)
      .set_inputs({})
      .add_param("shape", ParamKind::kShape, "()", "The shape of the output.")
      .add_param("ctx", ParamKind::kString, "", "Context of the output (ignored: taken from the call).")
      .add_param("dtype", ParamKind::kDType, "float32", "Element type of the output.")
      .set_infer_shape(InitShapeInfer)
      .set_infer_type(InitTypeInfer);
}


static Op &zeros_reg = InitOp(OpRegistry::Get()->Register("_zeros"), "An array of zeros.")
                           .set_compute(MXC_CPU, [](const OpContext &, const OpParams &, const std::vector<TBlob> &,
                                                    const std::vector<OpReq> &req, const std::vector<TBlob> &out) {
                             Fill(out[0], req[0], [] { return 0.0; });
                           });

static Op &ones_reg = InitOp(OpRegistry::Get()->Register("_ones"), "An array of ones.")
                          .set_compute(MXC_CPU, [](const OpContext &, const OpParams &, const std::vector<TBlob> &,
                                                   const std::vector<OpReq> &req, const std::vector<TBlob> &out) {
                            Fill(out[0], req[0], [] { return 1.0; });
                          });

static Op &full_reg = InitOp(OpRegistry::Get()->Register("_full"), "An array filled with `value`.")
                          .add_required_param("value", ParamKind::kFloat, "The value to fill with.")
                          .set_compute(MXC_CPU, [](const OpContext &, const OpParams &p, const std::vector<TBlob> &,
                                                   const std::vector<OpReq> &req, const std::vector<TBlob> &out) {
                            double v = p.Float("value");
                            Fill(out[0], req[0], [v] { return v; });
                          });

// _arange: start, start + step, ... up to stop (exclusive), each value repeated `repeat` times. Without stop the range
// is [0, start). Integer dtypes convert start and step to the dtype first (as MXNet does).
static void ArangeRange(const OpParams &p, double *start, double *step, int64_t *count) {
  double a = p.Float("start"), b, s = p.Float("step");
  if (p.IsNone("stop")) {
    b = a;
    a = 0;
  } else {
    b = p.Float("stop");
  }
  MXC_CHECK(!p.Bool("infer_range"), ErrorKind::kValue,
            "operator _arange: infer_range=True is not supported (give stop explicitly)");
  MXC_CHECK(s != 0 && std::isfinite(s), ErrorKind::kValue, "operator _arange: step must be a nonzero number, got ",
            s);
  MXC_CHECK(std::isfinite(a) && std::isfinite(b), ErrorKind::kValue,
            "operator _arange: start and stop must be finite");
  double n = std::ceil((b - a) / s);
  MXC_CHECK(n > 0, ErrorKind::kValue, "operator _arange: the range from ", a, " to ", b, " with step ", s,
            " is empty");
  MXC_CHECK(n < 9e15, ErrorKind::kValue, "operator _arange: the range has too many elements (", n, ")");
  *start = a;
  *step = s;
  *count = static_cast<int64_t>(n);
}

static void ArangeShape(const OpParams &p, std::vector<TShape> *, std::vector<TShape> *out) {
  double a, s;
  int64_t n;
  ArangeRange(p, &a, &s, &n);
  int64_t repeat = p.Int("repeat");
  MXC_CHECK(repeat > 0, ErrorKind::kValue, "operator _arange: repeat must be positive, got ", repeat);
  ShapeAssign(&(*out)[0], TShape{n * repeat}, p.op(), "output");
}

static void ArangeType(const OpParams &p, std::vector<int> *in, std::vector<int> *out) {
  InitTypeInfer(p, in, out);
  elem::CheckTypeIn((*out)[0], elem::kNumericTypes | elem::TypeBit(kFloat16), p, "dtype");
}

static void ArangeForward(const OpContext &, const OpParams &p, const std::vector<TBlob> &,
                          const std::vector<OpReq> &req, const std::vector<TBlob> &out) {
  double a, s;
  int64_t n;
  ArangeRange(p, &a, &s, &n);
  const int64_t repeat = p.Int("repeat");
  if (out[0].dtype == kFloat16) {  // computed in double, rounded once
    using elem::Half;
    Half *o = out[0].ptr<Half>();
    const bool add = req[0] == kAddTo;
    if (req[0] != kNullOp)
      ParallelFor(out[0].Size(), [=](int64_t i) {
        double v = a + static_cast<double>(i / repeat) * s;
        o[i] = elem::Convert<Half>::From_(add ? v + elem::HalfBitsToFloat(o[i].bits) : v);
      });
    return;
  }
  MXC_NUMERIC_TYPE_SWITCH(out[0].dtype, T, {
    if constexpr (std::is_integral<T>::value) {
      const T a0 = elem::Convert<T>::From_(a), s0 = elem::Convert<T>::From_(s);
      elem::MapOut(out[0].ptr<T>(), out[0].Size(), req[0],
                   [=](int64_t i) { return static_cast<T>(a0 + static_cast<T>(i / repeat) * s0); });
    } else {
      elem::MapOut(out[0].ptr<T>(), out[0].Size(), req[0],
                   [=](int64_t i) { return static_cast<T>(a + static_cast<double>(i / repeat) * s); });
    }
  });
}

static Op &arange_reg = OpRegistry::Get()
                            ->Register("_arange")
                            .describe("Evenly spaced values within [start, stop), each repeated `repeat` times.")
                            .set_inputs({})
                            .add_required_param("start", ParamKind::kFloat, "Start of the interval (or its end "
                                                "when stop is None).")
                            .add_param("stop", ParamKind::kOptFloat, "None", "End of the interval (exclusive).")
                            .add_param("step", ParamKind::kFloat, "1", "Spacing between values.")
                            .add_param("repeat", ParamKind::kInt, "1", "How many times each value is repeated.")
                            .add_param("infer_range", ParamKind::kBool, "False",
                                       "Infer stop from the output shape (not supported; must be False).")
                            .add_param("ctx", ParamKind::kString, "", "Context of the output (ignored: taken "
                                       "from the call).")
                            .add_param("dtype", ParamKind::kDType, "float32", "Element type of the output.")
                            .set_infer_shape(ArangeShape)
                            .set_infer_type(ArangeType)
                            .set_compute(MXC_CPU, ArangeForward);

}  // namespace op
}  // namespace mxc
