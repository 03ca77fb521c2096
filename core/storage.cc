#include "storage.h"

#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <mutex>
#include <vector>

#include "base.h"
#include "profiler.h"

namespace mxc {
namespace storage {
namespace {

constexpr size_t kAlign = 64;
constexpr size_t kSmallMax = 4096;      // classes of 64 bytes up to here
constexpr int kSmallClasses = 64;       // 64, 128, ..., 4096
constexpr int kStepsPerDoubling = 8;    // above kSmallMax
constexpr int kNumClasses = kSmallClasses + kStepsPerDoubling * 40;  // up to 2^52 bytes

// The class of `bytes` and its rounded size; -1 when too large to pool.
int SizeClass(size_t bytes, size_t *rounded) {
  if (bytes <= kSmallMax) {
    size_t r = bytes == 0 ? kAlign : (bytes + kAlign - 1) / kAlign * kAlign;
    *rounded = r;
    return static_cast<int>(r / kAlign) - 1;
  }
  int e = 63 - __builtin_clzll(static_cast<unsigned long long>(bytes - 1));  // 2^e < bytes <= 2^(e+1), e >= 12
  size_t step = size_t(1) << (e - 3);
  size_t r = (bytes + step - 1) / step * step;  // 9..16 steps
  int k = static_cast<int>(r >> (e - 3));
  int cls = kSmallClasses + (e - 12) * kStepsPerDoubling + (k - 9);
  *rounded = r;
  return cls < kNumClasses ? cls : -1;
}

int64_t DefaultLimit() {
  const char *env = std::getenv("MXC_CPU_MEM_POOL_LIMIT_MB");
  if (env && *env) {
    char *end = nullptr;
    long long mb = std::strtoll(env, &end, 10);
    if (end && *end == '\0' && mb >= 0) return static_cast<int64_t>(mb) << 20;
  }
  int64_t limit = int64_t(4096) << 20;
#ifdef _SC_PHYS_PAGES
  long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
  if (pages > 0 && page > 0) limit = std::min(limit, static_cast<int64_t>(pages) * page / 4);
#endif
  return limit;
}

void *RawAlloc(size_t rounded) {
  void *p = std::aligned_alloc(kAlign, rounded);
  if (!p) {
    CPUReleaseCache();  // memory kept for reuse may be what is missing
    p = std::aligned_alloc(kAlign, rounded);
  }
  if (!p) Throw(ErrorKind::kInternal, "out of memory allocating ", rounded, " bytes on cpu(0)");
  return p;
}

struct Pool {
  std::mutex mu;
  std::vector<void *> free_[kNumClasses];
  int64_t cached = 0, in_use = 0, peak = 0;
  int64_t limit = DefaultLimit();
};

Pool &P() {
  static Pool *p = new Pool();  // never destroyed: arrays may be freed during process exit
  return *p;
}

}  // namespace

void *CPUAlloc(size_t bytes) {
  size_t rounded;
  int cls = SizeClass(bytes, &rounded);
  Pool &p = P();
  {
    std::lock_guard<std::mutex> lk(p.mu);
    p.in_use += static_cast<int64_t>(rounded);
    p.peak = std::max(p.peak, p.in_use);
    if (profiler::Active() & profiler::kMemory) profiler::RecordMemory(Device::CPU(), p.in_use);
    if (cls >= 0 && !p.free_[cls].empty()) {
      void *ptr = p.free_[cls].back();
      p.free_[cls].pop_back();
      p.cached -= static_cast<int64_t>(rounded);
      return ptr;
    }
  }
  try {
    return RawAlloc(rounded);
  } catch (...) {
    std::lock_guard<std::mutex> lk(p.mu);
    p.in_use -= static_cast<int64_t>(rounded);
    throw;
  }
}

void CPUFree(void *ptr, size_t bytes) {
  if (!ptr) return;
  size_t rounded;
  int cls = SizeClass(bytes, &rounded);
  Pool &p = P();
  {
    std::lock_guard<std::mutex> lk(p.mu);
    p.in_use -= static_cast<int64_t>(rounded);
    if (profiler::Active() & profiler::kMemory) profiler::RecordMemory(Device::CPU(), p.in_use);
    if (cls >= 0 && p.cached + static_cast<int64_t>(rounded) <= p.limit) {
      try {
        p.free_[cls].push_back(ptr);
        p.cached += static_cast<int64_t>(rounded);
        return;
      } catch (...) {  // no room in the list: free it instead
      }
    }
  }
  std::free(ptr);
}

void CPUStats(int64_t *in_use, int64_t *cached, int64_t *peak) {
  Pool &p = P();
  std::lock_guard<std::mutex> lk(p.mu);
  if (in_use) *in_use = p.in_use;
  if (cached) *cached = p.cached;
  if (peak) *peak = p.peak;
}

void CPUReleaseCache() {
  Pool &p = P();
  std::lock_guard<std::mutex> lk(p.mu);
  for (auto &v : p.free_) {
    for (void *ptr : v) std::free(ptr);
    std::vector<void *>().swap(v);
  }
  p.cached = 0;
}

}  // namespace storage
}  // namespace mxc
