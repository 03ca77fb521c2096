// CPU kernels of the int8 quantization operators (contrib quantize, quantize_v2, dequantize, requantize): values
// printed by Apache MXNet 1.9.1 (pip build) for the same calls, and errors naming the operator and the argument.
#include <vector>

#include "test_op_nn_util.h"
#include "test_op_tensor_common.h"

namespace {

using namespace mxct;
using mxc::ErrorKind;

const std::vector<double> kX = {-2.0, -1.26, -0.5, -0.004, 0.0, 0.004, 0.5, 1.0, 1.26, 1.5, 2.0, 3.0};

NDArray R(double v) { return FromVec({1}, {v}); }

void ExpectQuant(const std::vector<NDArray> &o, int dtype, const std::vector<double> &q, double lo, double hi) {
  ASSERT_EQ(o.size(), 3u);
  EXPECT_EQ(o[0].dtype(), dtype);
  EXPECT_EQ(ToVec(o[0]), q);
  EXPECT_EQ(o[1].dtype(), mxc::kFloat32);
  EXPECT_EQ(ToVec(o[1]), std::vector<double>{lo});
  EXPECT_EQ(ToVec(o[2]), std::vector<double>{hi});
}

TEST(Quantize, AsMXNet) {
  const NDArray x = FromVec({2, 6}, kX);
  ExpectQuant(mxct::Run("_contrib_quantize", {x, R(-1), R(2)}, {{"out_type", "uint8"}}), mxc::kUint8,
              {0, 0, 0, 0, 0, 1, 64, 128, 161, 191, 255, 255}, -1, 2);
  ExpectQuant(mxct::Run("_contrib_quantize", {x, R(-3), R(1)}, {}), mxc::kUint8,
              {0, 0, 0, 0, 0, 0, 42, 85, 107, 128, 170, 255}, -3, 1);
  ExpectQuant(mxct::Run("_contrib_quantize", {x, R(-1), R(2)}, {{"out_type", "int8"}}), mxc::kInt8,
              {-127, -80, -32, 0, 0, 0, 32, 64, 80, 95, 127, 127}, -2, 2);
  ExpectQuant(mxct::Run("_contrib_quantize", {x, R(-3), R(1)}, {{"out_type", "int8"}}), mxc::kInt8,
              {-85, -53, -21, 0, 0, 0, 21, 42, 53, 64, 85, 127}, -3, 3);
}

TEST(QuantizeV2, AsMXNet) {
  const NDArray x = FromVec({2, 6}, kX);
  const std::vector<double> i8c = {-128, -80, -32, 0, 0, 0, 32, 64, 80, 96, 127, 127};
  const std::vector<double> u8c = {0, 0, 0, 0, 0, 1, 64, 128, 161, 192, 255, 255};
  ExpectQuant(mxct::Run("_contrib_quantize_v2", {x}), mxc::kInt8, {-85, -54, -21, 0, 0, 0, 21, 42, 54, 64, 85, 127}, -3,
              3);
  ExpectQuant(mxct::Run("_contrib_quantize_v2", {x}, {{"out_type", "uint8"}}), mxc::kUint8,
              {0, 0, 0, 0, 0, 0, 43, 85, 107, 128, 170, 255}, -2, 3);
  ExpectQuant(mxct::Run("_contrib_quantize_v2", {x}, {{"min_calib_range", "-1"}, {"max_calib_range", "2"}}), mxc::kInt8,
              i8c, -2, 2);
  ExpectQuant(mxct::Run("_contrib_quantize_v2", {x},
                  {{"out_type", "auto"}, {"min_calib_range", "0.5"}, {"max_calib_range", "2"}}),
              mxc::kUint8, u8c, 0.5, 2);
}

TEST(Dequantize, AsMXNet) {
  auto y = mxct::Run("_contrib_dequantize", {FromVec({7}, {-127, -100, -1, 0, 1, 50, 127}, mxc::kInt8), R(-1), R(2)});
  ASSERT_EQ(y.size(), 1u);
  ExpectNear(ToVec(y[0]), {-1.992156982421875, -1.5686275959014893, -0.01568627543747425, 0.0, 0.01568627543747425,
                           0.7843137979507446, 1.992156982421875}, 1e-7, 0);
  y = mxct::Run("_contrib_dequantize", {FromVec({5}, {0, 1, 100, 128, 255}, mxc::kUint8), R(-1), R(2)});
  ExpectNear(ToVec(y[0]), {0.0, 0.007827788591384888, 0.7827788591384888, 1.0019569396972656, 1.9960861206054688},
             1e-7, 0);
}

TEST(Requantize, AsMXNet) {
  const NDArray q = FromVec({7}, {-300000000, -1000000, -5, 0, 7, 123456789, 200000000}, mxc::kInt32);
  const float m = 1.3969838619232178f;
  ExpectQuant(mxct::Run("_contrib_requantize", {q, R(-10), R(10)}), mxc::kInt8, {-127, 0, 0, 0, 0, 52, 85}, -m, m);
  ExpectQuant(mxct::Run("_contrib_requantize", {q, R(-10), R(10)},
                        {{"min_calib_range", "-0.5"}, {"max_calib_range", "0.5"}}),
              mxc::kInt8, {-128, -1, 0, 0, 0, 127, 127}, -0.5, 0.5);
  ExpectQuant(mxct::Run("_contrib_requantize", {q, R(-10), R(10)},
                  {{"out_type", "auto"}, {"min_calib_range", "0"}, {"max_calib_range", "0.5"}}),
              mxc::kUint8, {0, 0, 0, 0, 0, 255, 255}, 0, 0.5);
}

TEST(QuantizedFullyConnected, AsMXNet) {
  const NDArray d = FromVec({2, 4}, {1, -2, 3, 127, -128, 5, 0, -7}, mxc::kInt8);
  const NDArray w = FromVec({3, 4}, {1, 2, 3, 4, -5, 6, -7, 8, 127, -128, 0, 1}, mxc::kInt8);
  const NDArray b = FromVec({3}, {10, -20, 127}, mxc::kInt8);
  ExpectQuant(mxct::Run("_contrib_quantized_fully_connected", {d, w, b, R(-1), R(1), R(-2), R(2), R(-0.5), R(0.5)},
                        {{"num_hidden", "3"}}),
              mxc::kInt32, {832, 341, 4558, 172, -23, -12855}, -266288.5, 266288.5);
  ExpectQuant(mxct::Run("_contrib_quantized_fully_connected", {d, w, R(-1), R(1), R(-2), R(2)},
                        {{"num_hidden", "3"}, {"no_bias", "true"}}),
              mxc::kInt32, {514, 978, 510, -146, 614, -16903}, -266288.5, 266288.5);
  const NDArray du = FromVec({2, 4}, {1, 2, 3, 255, 128, 5, 0, 7}, mxc::kUint8);
  ExpectQuant(mxct::Run("_contrib_quantized_fully_connected", {du, w, b, R(0), R(1), R(-2), R(2), R(-0.5), R(0.5)},
                        {{"num_hidden", "3"}}),
              mxc::kInt32, {1672, 749, 8238, 804, -1831, 23735}, -132622.125, 132622.125);
  auto f = mxct::Run("_contrib_quantized_flatten", {FromVec({2, 1, 2}, {1, -2, 3, 4}, mxc::kInt8), R(-3), R(1)});
  EXPECT_EQ(f[0].shape(), (mxc::TShape{2, 2}));
  ExpectQuant(f, mxc::kInt8, {1, -2, 3, 4}, -3, 1);
}

TEST(Quantization, Errors) {
  ExpectError("_contrib_quantize", {FromVec({2}, {1, 2}, mxc::kFloat64), R(0), R(1)}, {}, ErrorKind::kType,
              {"_contrib_quantize", "data", "float64"});
  ExpectError("_contrib_quantize", {FromVec({2}, {1, 2}), FromVec({2}, {0, 1}), R(1)}, {}, ErrorKind::kShape,
              {"_contrib_quantize", "min_range"});
  ExpectError("_contrib_requantize", {FromVec({2}, {1, 2}, mxc::kInt8), R(0), R(1)}, {}, ErrorKind::kType,
              {"_contrib_requantize", "data", "int8"});
  ExpectError("_contrib_dequantize", {FromVec({2}, {1, 2}), R(0), R(1)}, {}, ErrorKind::kType,
              {"_contrib_dequantize", "data", "float32"});
}

}  // namespace
