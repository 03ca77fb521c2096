// Which instruction set the kernels' hot loops use (cpu_dispatch.h).
#include "cpu_dispatch.h"

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <initializer_list>

namespace mxc {
namespace op {
namespace {

CpuIsa Detect() {
#ifdef MXC_CPU_DISPATCH
  // __builtin_cpu_supports also checks that the OS saves the wider registers.
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return CpuIsa::kAvx2;
#endif
  return CpuIsa::kBaseline;
}

CpuIsa FromEnv(CpuIsa detected) {
  const char *e = std::getenv("MXC_CPU_ISA");
  if (e == nullptr || *e == 0) return detected;
  for (CpuIsa isa : {CpuIsa::kBaseline, CpuIsa::kAvx2})
    if (std::strcmp(e, CpuIsaName(isa)) == 0) return isa < detected ? isa : detected;
  std::fprintf(stderr, "mxc: ignoring MXC_CPU_ISA=%s (expected baseline or avx2)\n", e);
  return detected;
}

std::atomic<int> &Active() {
  static std::atomic<int> active(static_cast<int>(FromEnv(DetectedCpuIsa())));
  return active;
}

}  // namespace

const char *CpuIsaName(CpuIsa isa) {
  switch (isa) {
    case CpuIsa::kAvx2: return "avx2";
    default: return "baseline";
  }
}

CpuIsa DetectedCpuIsa() {
  static const CpuIsa detected = Detect();
  return detected;
}

CpuIsa ActiveCpuIsa() { return static_cast<CpuIsa>(Active().load(std::memory_order_relaxed)); }

CpuIsa SetCpuIsa(CpuIsa isa) {
  const CpuIsa d = DetectedCpuIsa(), use = isa < d ? isa : d;
  Active().store(static_cast<int>(use), std::memory_order_relaxed);
  return use;
}

}  // namespace op
}  // namespace mxc
