// _contrib_quantized_batch_norm's parameters as its CPU kernel (quantized_bn.cc) and GPU glue (cuda/gpu_ops_quant3.cc)
// read them.
#pragma once

#include "../operator.h"

namespace mxc {
namespace op {

// The calibration range [*lo, *hi]; ValueError naming the operator when it is not given (MXNet 1.9.1 refuses too:
// quantized BatchNorm does not support calib_mode=None).
inline void QBNCalibRange(const OpParams &p, float *lo, float *hi) {
  MXC_CHECK(!p.IsNone("min_calib_range") && !p.IsNone("max_calib_range"), ErrorKind::kValue, "operator ",
            p.op()->name, ": min_calib_range and max_calib_range are required (the output range; quantized "
            "BatchNorm does not support calib_mode='none')");
  *lo = static_cast<float>(p.Float("min_calib_range"));
  *hi = static_cast<float>(p.Float("max_calib_range"));
}

}  // namespace op
}  // namespace mxc
