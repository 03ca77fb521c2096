// The CPU storage pool under the asynchronous engine: storage of an array freed with work pending is reused only
// after that work has run; size classes; EngineOpr (PushOpr) runs and releases exactly once with both engines,
// also when its input has failed.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "engine.h"
#include "ndarray.h"
#include "operator.h"
#include "storage.h"

namespace {

using namespace mxc;

const int g_env_threads = (setenv("MXC_ENGINE_NUM_THREADS", "3", 0), 0);
const Device kCPU = Device::CPU();

void SleepMs(int ms) { std::this_thread::sleep_for(std::chrono::milliseconds(ms)); }

class StorageTest : public ::testing::TestWithParam<const char *> {
 protected:
  void SetUp() override { Engine::SetType(GetParam()); }
  void TearDown() override {
    try {
      Engine::Get()->WaitAll();
    } catch (const Error &) {
    }
  }
};

// An array freed while slow work still writes it: a new array of the same size must not get its memory until the
// work is done, and what the slow work writes must not show up in the new array.
TEST_P(StorageTest, FreedWithPendingWorkIsNotReusedEarly) {
  const int64_t n = 1 << 16;
  void *old_ptr = nullptr;
  {
    NDArray a(TShape{n}, kFloat32, kCPU);
    old_ptr = a.blob().dptr;
    NDArray keep = a;
    Engine::Get()->Push(
        [keep](const RunContext &) {
          SleepMs(80);
          float *p = keep.blob().ptr<float>();
          for (int64_t i = 0; i < keep.Size(); ++i) p[i] = 1.0f;  // late write into a's storage
        },
        kCPU, {}, {a.var()}, "slow_write");
  }  // a (and the closure's copy, once the work is done) is the last holder: freed with work pending
  std::vector<NDArray> fresh;
  for (int k = 0; k < 4; ++k) {
    fresh.emplace_back(TShape{n}, kFloat32, kCPU);
    float *p = fresh.back().blob().ptr<float>();
    if (std::string(GetParam()) == "ThreadedEngine") EXPECT_NE(static_cast<void *>(p), old_ptr) << k;
    for (int64_t i = 0; i < n; ++i) p[i] = 2.0f;
  }
  Engine::Get()->WaitAll();
  for (auto &f : fresh) {
    const float *p = f.blob().ptr<float>();
    for (int64_t i = 0; i < n; ++i) ASSERT_EQ(p[i], 2.0f) << i;
  }
  // Afterwards the memory is back in the pool: the next array of that size gets it (the naive engine freed it at
  // once and handed it to fresh[0]).
  NDArray b(TShape{n}, kFloat32, kCPU);
  if (std::string(GetParam()) == "ThreadedEngine") EXPECT_EQ(b.blob().dptr, old_ptr);
  else EXPECT_EQ(fresh[0].blob().dptr, old_ptr);
}

// Many arrays freed with work pending, from several threads at once, each checked after its work: no storage is
// handed to two live arrays at the same time.
TEST_P(StorageTest, ConcurrentAllocFreeKeepsDataApart) {
  auto worker = [](int seed, std::atomic<int> *bad) {
    for (int it = 0; it < 200; ++it) {
      int64_t n = 64 + (seed * 131 + it * 17) % 3000;
      NDArray a(TShape{n}, kInt32, kCPU, true);
      NDArray out(TShape{n}, kInt32, kCPU, true);
      int32_t tag = seed * 100000 + it;
      Engine::Get()->Push(
          [a, tag](const RunContext &) {
            int32_t *p = a.blob().ptr<int32_t>();
            for (int64_t i = 0; i < a.Size(); ++i) p[i] = tag;
          },
          kCPU, {}, {a.var()}, "fill", it % 2 ? 1 : Engine::kWorkUnknown);
      Engine::Get()->Push(
          [a, out](const RunContext &) {
            const int32_t *s = a.blob().ptr<int32_t>();
            int32_t *d = out.blob().ptr<int32_t>();
            std::memcpy(d, s, a.Size() * 4);
          },
          kCPU, {a.var()}, {out.var()}, "copy", Engine::kWorkUnknown);
      a = NDArray();  // freed with its work pending
      out.WaitToRead();
      const int32_t *d = out.blob().ptr<int32_t>();
      for (int64_t i = 0; i < n; ++i)
        if (d[i] != tag) {
          ++*bad;
          break;
        }
    }
  };
  std::atomic<int> bad{0};
  std::vector<std::thread> ts;
  for (int t = 0; t < 3; ++t) ts.emplace_back(worker, t + 1, &bad);
  for (auto &t : ts) t.join();
  EXPECT_EQ(bad.load(), 0);
}

INSTANTIATE_TEST_SUITE_P(Engines, StorageTest, ::testing::Values("ThreadedEngine", "NaiveEngine"));

TEST(StoragePool, SizeClassesAndStats) {
  storage::CPUReleaseCache();
  int64_t u0, c0, p0;
  storage::CPUStats(&u0, &c0, &p0);
  EXPECT_EQ(c0, 0);
  // Small sizes round to 64 bytes; larger ones waste at most 1/8.
  for (size_t bytes : {size_t(0), size_t(1), size_t(64), size_t(65), size_t(4096), size_t(4097), size_t(100000),
                       size_t(1) << 22, (size_t(1) << 22) + 1}) {
    void *p = storage::CPUAlloc(bytes);
    ASSERT_NE(p, nullptr);
    EXPECT_EQ(reinterpret_cast<uintptr_t>(p) % 64, 0u);
    std::memset(p, 0xab, bytes);
    int64_t u, c;
    storage::CPUStats(&u, &c, nullptr);
    int64_t got = u - u0;
    EXPECT_GE(got, static_cast<int64_t>(bytes));
    EXPECT_GE(got, 64);
    EXPECT_LE(got, std::max<int64_t>(64, bytes <= 4096 ? (bytes + 63) / 64 * 64 : bytes + bytes / 8)) << bytes;
    storage::CPUFree(p, bytes);
    void *q = storage::CPUAlloc(bytes);  // the same class: the same buffer
    EXPECT_EQ(q, p) << bytes;
    storage::CPUFree(q, bytes);
  }
  storage::CPUReleaseCache();
  int64_t c1;
  storage::CPUStats(nullptr, &c1, nullptr);
  EXPECT_EQ(c1, 0);
}

// EngineOpr: Run once then Release once; Release without Run when an input has failed.
struct CountingOpr : EngineOpr {
  std::atomic<int> runs{0}, releases{0};
  bool fail = false;
  void Run(const RunContext &) override {
    ++runs;
    if (fail) Throw(ErrorKind::kValue, "boom");
  }
  void Release() override { ++releases; }
};

TEST_P(StorageTest, PushOprRunsAndReleasesOnce) {
  Var x, y;
  CountingOpr ok, failing, after;
  failing.fail = true;
  Var *xs[1] = {&x}, *ys[1] = {&y};
  Engine::Get()->PushOpr(&ok, kCPU, nullptr, 0, xs, 1, "ok", 1);
  Engine::Get()->PushOpr(&failing, kCPU, xs, 1, ys, 1, "failing", Engine::kWorkUnknown);
  Engine::Get()->PushOpr(&after, kCPU, ys, 1, xs, 1, "after", 1);  // reads the failed y: does not run
  try {
    Engine::Get()->WaitAll();
    ADD_FAILURE() << "no error";
  } catch (const Error &e) {
    EXPECT_EQ(std::string(e.what()), "failing: boom");
  }
  EXPECT_EQ(ok.runs.load(), 1);
  EXPECT_EQ(ok.releases.load(), 1);
  EXPECT_EQ(failing.runs.load(), 1);
  EXPECT_EQ(failing.releases.load(), 1);
  EXPECT_EQ(after.runs.load(), 0);
  EXPECT_EQ(after.releases.load(), 1);
  x.error = nullptr;
  y.error = nullptr;
}

}  // namespace
