// What a call of the int8 quantization operators does, from its parameters: shared by the CPU kernels
// (core/ops/quantization.cc) and the GPU glue (cuda/gpu_ops_quant.cc). The per-element arithmetic is in
// quant_impl.h.
#pragma once

#include <string>

#include "../operator.h"
#include "quant_impl.h"

namespace mxc {
namespace op {

// A quantization to int8 (else uint8) with scale r / M, M the largest magnitude of the range: the given calibration
// range when `calib`, else that of the data (quantize_v2, requantize) or the range inputs (quantize).
struct QuantSpec {
  bool int8 = true;
  float r = 127.0f;
  bool calib = false;
  float calib_lo = 0, calib_hi = 0;
  int Lo() const { return int8 ? -128 : 0; }
  int Hi() const { return int8 ? 127 : 255; }
};

// out_type of quantize_v2 and requantize: auto is uint8 when a calibration range with min >= 0 is given, else int8.
inline bool QuantOutInt8(const OpParams &p) {
  const std::string &t = p.Str("out_type");
  if (t == "auto") return p.IsNone("min_calib_range") || p.Float("min_calib_range") < 0;
  return t == "int8";
}

inline QuantSpec QuantSpecOf(const OpParams &p) {
  QuantSpec s;
  const std::string name = p.op()->name;
  if (name == "_contrib_quantize") {
    s.int8 = p.Str("out_type") == "int8";
    s.r = s.int8 ? 127.0f : 255.0f;
    return s;
  }
  s.int8 = QuantOutInt8(p);
  const bool v2 = name == "_contrib_quantize_v2";
  s.r = s.int8 ? (v2 ? 127.5f : 127.0f) : (v2 ? 255.5f : 255.0f);
  s.calib = !p.IsNone("min_calib_range") && !p.IsNone("max_calib_range");
  if (s.calib) {
    s.calib_lo = static_cast<float>(p.Float("min_calib_range"));
    s.calib_hi = static_cast<float>(p.Float("max_calib_range"));
  }
  return s;
}

// The geometry of a quantized_conv / quantized_pooling call on data of this shape (core/ops/quantized_nn.cc; the
// parameters checked, errors naming the operator).
QConvGeom QuantConvGeometry(const OpParams &p, const TShape &data);
QPoolGeom QuantPoolGeometry(const OpParams &p, const TShape &data);

}  // namespace op
}  // namespace mxc
