// Creation and copy operators: _zeros, _ones, _full, _arange, _copyto.
#include "op_util.h"

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

}  // namespace op
}  // namespace mxc
