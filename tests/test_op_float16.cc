// float16 arrays through every operator (float16.cc): each operator of the GPU comparison table and every one that
// runs with default parameters, given float16 inputs, against the same operator on the same values in float32 on the
// cpu (forward, mutated inputs and the gradient of every input), on the cpu and on gpu(0) when there is one. The
// shape and index tables run the same way in test_op_gpu_shape.cc and test_op_gpu_index.cc.
#include <gtest/gtest.h>

#include <cstdio>
#include <set>

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

TEST(OpFloat16, EveryOperatorTakesFloat16OnTheGpu) {
  if (!HaveGPU()) GTEST_SKIP() << "no GPU on this machine";
  Sweep(kGPU);
}

}  // namespace
