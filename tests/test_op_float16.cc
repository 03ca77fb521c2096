// float16 arrays through every operator (float16.cc): each operator of the GPU comparison table and every one that
// runs with default parameters, given float16 inputs, against the same operator on the same values in float32 on the
// cpu (forward, mutated inputs and the gradient of every input), on the cpu and on gpu(0) when there is one. The
// shape and index tables run the same way in test_op_gpu_shape.cc and test_op_gpu_index.cc.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <random>
#include <set>

#include "ops/elemwise_util.h"
#include "test_op_gpu_util.h"

namespace {

using namespace mxct_gpu;

void Sweep(const Device &dev) {
  std::set<std::string> covered;
  std::vector<Case> table;
  for (auto &c : TableCases()) {
    const mxc::Op *op = mxc::OpRegistry::Get()->Find(c.op);
    if (!op) continue;
    covered.insert(op->name);
    table.push_back(c);
  }
  int from_table = CompareFloat16(table, dev);
  int generic = CompareFloat16(DefaultParamCases(covered, dev.type), dev);
  std::printf("[ float16 on %s ] %d cases from the table, %d operators with default parameters\n",
              mxc::DeviceStr(dev).c_str(), from_table, generic);
  EXPECT_GT(from_table + generic, 100);
}

TEST(OpFloat16, EveryOperatorTakesFloat16OnTheCpu) { Sweep(Device::CPU()); }

// The array conversions (F16C where the processor has it) against the per-element bit conversions: every float16
// value, and floats at and around every rounding boundary (the 13 bits float16 drops: 0, 1, just under, at and just
// over half, all ones) for every sign, exponent and kept mantissa, plus random bit patterns.
TEST(OpFloat16, ArrayConversionsMatchTheBitConversions) {
  using namespace mxc::op::elem;
  std::vector<uint16_t> h(65536);
  for (uint32_t i = 0; i < 65536; ++i) h[i] = static_cast<uint16_t>(i);
  std::vector<float> f(h.size()), g(h.size());
  HalfToFloatArray(h.data(), f.data(), static_cast<int64_t>(h.size()));
  HalfToFloatArray(h.data(), g.data(), static_cast<int64_t>(h.size()), true);
  // Bit for bit, except that F16C quiets a signalling NaN (as IEEE 754 asks of a conversion): NaNs must be NaNs of
  // the same sign.
  for (uint32_t i = 0; i < 65536; ++i) {
    const float want = HalfBitsToFloat(static_cast<uint16_t>(i));
    for (float a : {f[i], g[i]}) {
      if (std::isnan(want)) {
        ASSERT_TRUE(std::isnan(a) && std::signbit(a) == std::signbit(want)) << "float16 bits " << i;
      } else {
        ASSERT_EQ(std::memcmp(&a, &want, 4), 0) << "float16 bits " << i << ": " << a << " vs " << want;
      }
    }
  }
  std::vector<uint32_t> bits;
  for (uint32_t hi = 0; hi < (1u << 19); ++hi)
    for (uint32_t lo : {0u, 1u, 0xfffu, 0x1000u, 0x1001u, 0x1fffu}) bits.push_back(hi << 13 | lo);
  std::mt19937 rng(5);
  for (int i = 0; i < (1 << 20); ++i) bits.push_back(static_cast<uint32_t>(rng()));
  std::vector<float> x(bits.size());
  std::memcpy(x.data(), bits.data(), bits.size() * 4);
  std::vector<uint16_t> fast(x.size()), portable(x.size());
  FloatToHalfArray(x.data(), fast.data(), static_cast<int64_t>(x.size()));
  FloatToHalfArray(x.data(), portable.data(), static_cast<int64_t>(x.size()), true);
  int bad = 0;
  for (size_t i = 0; i < x.size() && bad < 5; ++i) {
    if (portable[i] != FloatToHalfBits(x[i])) ADD_FAILURE() << "portable differs at float bits " << bits[i], ++bad;
    if (fast[i] != portable[i])
      ADD_FAILURE() << "float bits " << std::hex << bits[i] << ": " << fast[i] << " vs " << portable[i], ++bad;
  }
}

TEST(OpFloat16, EveryOperatorTakesFloat16OnTheGpu) {
  if (!HaveGPU()) GTEST_SKIP() << "no GPU on this machine";
  Sweep(kGPU);
}

}  // namespace
