// What the GPU backend reports about itself, for tests and tools: which operators and calls are host-staged, and how
// convolutions were run. Plain C++ (no CUDA headers), so that tests compiled without the toolkit's include path can
// include it. Part of the CUDA build only.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace mxc {
namespace gpu {

// Operators whose GPU kernel is only the host-staged CPU kernel ("name", or "name (backward)" when only the gradient
// is host-staged), sorted.
std::vector<std::string> HostStagedOps();
// Calls (forward and backward) that ran a CPU kernel on host copies so far, for tests of what runs natively.
int64_t HostStagedCalls();

// Convolution calls (forward and backward) run by cuDNN and by the GEMM kernels, and geometries measured
// (cuda/conv_cudnn.cc).
struct ConvAlgoCounts {
  int64_t cudnn = 0, gemm = 0, tuned = 0;
};
ConvAlgoCounts ConvAlgoStats();
// One line per measured geometry: the key, the choice and the times.
std::vector<std::string> ConvChoices();

}  // namespace gpu
}  // namespace mxc
