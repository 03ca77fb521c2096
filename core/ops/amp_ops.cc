// MXNet 1.9.1's operators of automatic mixed precision (AMP):
// - amp_cast(data, dtype): casts float16/float32 data to dtype; data of any other dtype passes unchanged;
// - amp_multicast(*data, num_outputs, cast_narrow=False): casts the float16/float32 inputs to their widest type
//   (float32 if any is float32) or, with cast_narrow, to the narrowest (float16 if any is float16); other dtypes pass
//   unchanged. Both have a gradient: the output gradient converted back to the input's dtype;
// - all_finite(data, init_output=True) and multi_all_finite(*data, num_arrays=1, init_output=True): a float32 array
//   of shape (1,) holding 1 when every element of the arrays is finite and 0 otherwise. With init_output=False the
//   output is only written (0) when a non-finite element is found (accumulating over several calls with out=).
#include <cmath>
#include <cstring>

#include "elemwise_util.h"
#include "nn_util.h"

namespace mxc {
namespace op {
namespace {

using elem::Convert;

bool IsAmpType(int t) { return t == kFloat16 || t == kFloat32; }

// ----------------------------------------------------------------------------------------------------------------
// amp_cast
// ----------------------------------------------------------------------------------------------------------------
const std::vector<std::string> kAmpDtypes = {"float16", "float32", "float64", "int32", "int64", "int8", "uint8"};

void AmpCastType(const OpParams &p, std::vector<int> *in, std::vector<int> *out) {
  const int target = DTypeFromName(p.Str("dtype"));
  const int t = (*in)[0];
  if (t < 0) return;
  TypeAssign(&(*out)[0], IsAmpType(t) ? target : t, p.op(), "output");
}

void AmpCastForward(MXC_NN_FORWARD_ARGS) { CopyConvert(in[0], out[0], req[0]); }

// The gradient of every input i: out_grad[i] converted to the input's dtype (in_grad[i] has it).
void AmpCastBackward(MXC_NN_BACKWARD_ARGS) {
  for (size_t i = 0; i < in_grad.size(); ++i) CopyConvert(out_grad[i], in_grad[i], req[i]);
}

// ----------------------------------------------------------------------------------------------------------------
// amp_multicast
// ----------------------------------------------------------------------------------------------------------------
void MulticastShape(const OpParams &p, std::vector<TShape> *in, std::vector<TShape> *out) {
  const Op *op = p.op();
  const auto names = op->InputNames(p);
  for (size_t i = 0; i < in->size(); ++i) {
    ShapeAssign(&(*out)[i], (*in)[i], op, "output " + std::to_string(i));
    ShapeAssign(&(*in)[i], (*out)[i], op, names[i]);
  }
}

void MulticastType(const OpParams &p, std::vector<int> *in, std::vector<int> *out) {
  const bool narrow = p.Bool("cast_narrow");
  // The common type of the inputs known so far, and the outputs of those inputs (as MXNet 1.9.1, which infers
  // from a partial set of input types too).
  bool any16 = false, any32 = false;
  for (int t : *in) {
    any16 = any16 || t == kFloat16;
    any32 = any32 || t == kFloat32;
  }
  const int common = narrow ? (any16 ? kFloat16 : kFloat32) : (any32 ? kFloat32 : kFloat16);
  for (size_t i = 0; i < in->size(); ++i) {
    if ((*in)[i] < 0) continue;
    TypeAssign(&(*out)[i], IsAmpType((*in)[i]) ? common : (*in)[i], p.op(), "output " + std::to_string(i));
  }
}

void MulticastForward(MXC_NN_FORWARD_ARGS) {
  for (size_t i = 0; i < in.size(); ++i) CopyConvert(in[i], out[i], req[i]);
}

// ----------------------------------------------------------------------------------------------------------------
// all_finite, multi_all_finite
// ----------------------------------------------------------------------------------------------------------------
bool AllFinite(const TBlob &b) {
  const int64_t n = b.Size();
  bool ok = true;
  switch (b.dtype) {
    case kFloat16: {
      const uint16_t *d = b.ptr<uint16_t>();
      for (int64_t i = 0; i < n && ok; ++i) ok = (d[i] & 0x7c00u) != 0x7c00u;  // exponent all ones: Inf or NaN
      break;
    }
    case kFloat32: {
      const float *d = b.ptr<float>();
      for (int64_t i = 0; i < n && ok; ++i) ok = std::isfinite(d[i]);
      break;
    }
    case kFloat64: {
      const double *d = b.ptr<double>();
      for (int64_t i = 0; i < n && ok; ++i) ok = std::isfinite(d[i]);
      break;
    }
    default:
      break;  // integers are always finite
  }
  return ok;
}

void AllFiniteShape(const OpParams &p, std::vector<TShape> *in, std::vector<TShape> *out) {
  ShapeAssign(&(*out)[0], TShape({1}), p.op(), "output");
}

void AllFiniteType(const OpParams &p, std::vector<int> *in, std::vector<int> *out) {
  TypeAssign(&(*out)[0], kFloat32, p.op(), "output");
}

void AllFiniteForward(MXC_NN_FORWARD_ARGS) {
  if (req[0] == kNullOp) return;
  float *o = out[0].ptr<float>();
  if (p.Bool("init_output")) *o = 1.f;
  for (const auto &b : in)
    if (!AllFinite(b)) {
      *o = 0.f;
      return;
    }
}

int Register() {
  OpRegistry::Get()
      ->Register("amp_cast")
      .describe("Cast function between low precision float/FP32 used by AMP: float16 and float32 data is cast to "
                "dtype, data of other dtypes passes unchanged.")
      .set_inputs({"data"})
      .add_required_param("dtype", ParamKind::kEnum, "Output data type.", kAmpDtypes)
      .set_infer_shape(SameShapeInfer)
      .set_infer_type(AmpCastType)
      .set_compute(MXC_CPU, AmpCastForward)
      .set_backward(MXC_CPU, AmpCastBackward)
      .set_backward_uses(false, false);

  OpRegistry::Get()
      ->Register("amp_multicast")
      .describe("Cast function used by AMP: casts its float16/float32 inputs to their widest type (float32 if any "
                "is float32), or with cast_narrow to the narrowest (float16 if any is float16); other dtypes pass "
                "unchanged.")
      .set_variadic("num_outputs", "data")
      .add_required_param("num_outputs", ParamKind::kInt, "Number of input/output pairs to be casted.")
      .add_param("cast_narrow", ParamKind::kBool, "False", "Whether to cast to the narrowest type.")
      .set_num_outputs([](const OpParams &p) {
        const int64_t n = p.Int("num_outputs");
        MXC_CHECK(n >= 1, ErrorKind::kValue, "operator amp_multicast: num_outputs must be at least 1, got ", n);
        return n;
      })
      .set_infer_shape(MulticastShape)
      .set_infer_type(MulticastType)
      .set_compute(MXC_CPU, MulticastForward)
      .set_backward(MXC_CPU, AmpCastBackward)
      .set_backward_uses(false, false);

  OpRegistry::Get()
      ->Register("all_finite")
      .describe("Checks whether all the float numbers in the array are finite (used for AMP): a float32 array of "
                "shape (1,), 1 or 0.")
      .set_inputs({"data"})
      .add_param("init_output", ParamKind::kBool, "True", "Initialize output to 1.")
      .set_infer_shape(AllFiniteShape)
      .set_infer_type(AllFiniteType)
      .set_compute(MXC_CPU, AllFiniteForward);

  OpRegistry::Get()
      ->Register("multi_all_finite")
      .describe("Checks whether all the float numbers in all the arrays are finite (used for AMP): a float32 array "
                "of shape (1,), 1 or 0.")
      .set_variadic("num_arrays", "data")
      .add_param("num_arrays", ParamKind::kInt, "1", "Number of arrays.")
      .add_param("init_output", ParamKind::kBool, "True", "Initialize output to 1.")
      .set_infer_shape([](const OpParams &p, std::vector<TShape> *in, std::vector<TShape> *out) {
        MXC_CHECK(p.Int("num_arrays") >= 1, ErrorKind::kValue,
                  "operator multi_all_finite: num_arrays must be at least 1, got ", p.Int("num_arrays"));
        AllFiniteShape(p, in, out);
      })
      .set_infer_type(AllFiniteType)
      .set_compute(MXC_CPU, AllFiniteForward);
  return 0;
}

const int registered = Register();

}  // namespace
}  // namespace op
}  // namespace mxc
