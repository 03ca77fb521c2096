// The engines, white-box: ordering of reads and writes, concurrency of reads, error propagation, freeing vars with
// pending work, waits from several threads, nested pushes and waits, engine switching, exit and fork with work
// queued, and a randomised multi-threaded stress test checked against the naive engine.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <functional>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "engine.h"
#include "ndarray.h"

namespace {

using namespace mxc;
using Clock = std::chrono::steady_clock;

// At least 3 workers, whatever the machine, so concurrency is observable.
const int g_env_threads = (setenv("MXC_ENGINE_NUM_THREADS", "3", 0), 0);

Engine *Use(const char *name) {
  Engine::SetType(name);
  EXPECT_STREQ(Engine::Get()->Name(), name);
  return Engine::Get();
}

void SleepMs(int ms) { std::this_thread::sleep_for(std::chrono::milliseconds(ms)); }

// Waits until pred holds (true) or `ms` pass (false).
bool WaitFor(const std::function<bool()> &pred, int ms = 5000) {
  auto end = Clock::now() + std::chrono::milliseconds(ms);
  while (!pred()) {
    if (Clock::now() > end) return false;
    std::this_thread::yield();
  }
  return true;
}

// Expects `call` to throw an Error of `kind` whose message is `msg`.
void ExpectError(const std::function<void()> &call, ErrorKind kind, const std::string &msg) {
  try {
    call();
    ADD_FAILURE() << "no error raised, expected: " << msg;
  } catch (const Error &e) {
    EXPECT_EQ(static_cast<int>(e.kind()), static_cast<int>(kind)) << e.Formatted();
    EXPECT_EQ(std::string(e.what()), msg);
  }
}

const Device kCPU = Device::CPU();

class EngineTest : public ::testing::TestWithParam<const char *> {
 protected:
  void SetUp() override { e_ = Use(GetParam()); }
  void TearDown() override {
    try {
      Engine::Get()->WaitAll();
    } catch (const Error &) {
    }
  }
  bool threaded() const { return std::string(GetParam()) == "ThreadedEngine"; }
  Engine *e_ = nullptr;
};

// ---------------------------------------------------------------------------------------------------------------
// Ordering
// ---------------------------------------------------------------------------------------------------------------
TEST_P(EngineTest, ReadAfterWriteSeesTheWrite) {
  Var x;
  int value = 0;
  int seen = -1;
  e_->Push([&](const RunContext &) { SleepMs(60); value = 7; }, kCPU, {}, {&x}, "slow_write");
  e_->Push([&](const RunContext &) { seen = value; }, kCPU, {&x}, {}, "read");
  Var y;
  e_->Push([&](const RunContext &) {}, kCPU, {&x}, {&y}, "read2", 1);  // small: may run inline, still ordered
  e_->WaitToRead(&y);
  e_->WaitAll();
  EXPECT_EQ(seen, 7);
}

TEST_P(EngineTest, WriteAfterReadWaitsForTheRead) {
  Var x;
  int value = 1;
  int seen_by_read = -1;
  e_->Push([&](const RunContext &) { SleepMs(60); seen_by_read = value; }, kCPU, {&x}, {}, "slow_read");
  e_->Push([&](const RunContext &) { value = 2; }, kCPU, {}, {&x}, "write", 1);
  e_->WaitToWrite(&x);
  EXPECT_EQ(seen_by_read, 1);
  EXPECT_EQ(value, 2);
}

TEST_P(EngineTest, WriteAfterWriteInPushOrder) {
  Var x;
  std::vector<int> log;
  for (int i = 0; i < 20; ++i)
    e_->Push([&log, i](const RunContext &) { if (i % 5 == 0) SleepMs(5); log.push_back(i); }, kCPU, {}, {&x},
             "write");
  e_->WaitToRead(&x);
  ASSERT_EQ(log.size(), 20u);
  for (int i = 0; i < 20; ++i) EXPECT_EQ(log[i], i);
}

TEST(ThreadedEngine, WaitToReadDoesNotWaitForReads) {
  Engine *e_ = Use("ThreadedEngine");
  Var x;
  std::atomic<bool> release{false}, done{false};
  e_->Push([&](const RunContext &) { WaitFor([&] { return release.load(); }); done = true; }, kCPU, {&x}, {},
           "blocked_read");
  e_->WaitToRead(&x);  // only reads pending: returns while the read is still blocked
  EXPECT_FALSE(done.load());
  release = true;
  e_->WaitToWrite(&x);
  EXPECT_TRUE(done.load());
}

TEST(ThreadedEngine, ReadsOfOneVarRunConcurrently) {
  Engine *e = Use("ThreadedEngine");
  Var x, a, b;
  std::atomic<int> started{0};
  std::atomic<bool> together_a{false}, together_b{false};
  auto read = [&](std::atomic<bool> *together) {
    return [&started, together](const RunContext &) {
      ++started;
      *together = WaitFor([&] { return started.load() == 2; }, 3000);
    };
  };
  e->Push(read(&together_a), kCPU, {&x}, {&a}, "read_a");
  e->Push(read(&together_b), kCPU, {&x}, {&b}, "read_b");
  // A write of x waits for both reads, and a later read waits for the write.
  std::atomic<bool> write_saw_both{false}, read_after{false};
  std::atomic<bool> written{false};
  e->Push([&](const RunContext &) { write_saw_both = together_a && together_b; SleepMs(30); written = true; },
          kCPU, {}, {&x}, "write");
  e->Push([&](const RunContext &) { read_after = written.load(); }, kCPU, {&x}, {}, "read_after");
  e->WaitAll();
  EXPECT_TRUE(together_a.load());
  EXPECT_TRUE(together_b.load());
  EXPECT_TRUE(write_saw_both.load());
  EXPECT_TRUE(read_after.load());
}

TEST(ThreadedEngine, IndependentWorkOverlaps) {
  Engine *e = Use("ThreadedEngine");
  Var x, y;
  std::atomic<int> inside{0}, most{0};
  auto fn = [&](const RunContext &) {
    int now = ++inside;
    int m = most.load();
    while (now > m && !most.compare_exchange_weak(m, now)) {
    }
    WaitFor([&] { return most.load() >= 2; }, 3000);
    --inside;
  };
  auto t0 = Clock::now();
  e->Push(fn, kCPU, {}, {&x}, "a");
  e->Push(fn, kCPU, {}, {&y}, "b");
  EXPECT_LT(Clock::now() - t0, std::chrono::milliseconds(1000)) << "Push blocked";
  e->WaitAll();
  EXPECT_EQ(most.load(), 2);
}

TEST(ThreadedEngine, VarInBothListsIsOneWrite) {
  Engine *e = Use("ThreadedEngine");
  Var x;
  int v = 1;
  for (int i = 0; i < 10; ++i) e->Push([&](const RunContext &) { v *= 2; }, kCPU, {&x, &x}, {&x, &x}, "double");
  e->WaitToRead(&x);
  EXPECT_EQ(v, 1024);
}

// ---------------------------------------------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------------------------------------------
TEST_P(EngineTest, ErrorSurfacesAtTheRightWait) {
  Var x, y, z, w;
  std::atomic<bool> reader_ran{false}, unrelated_ran{false};
  e_->Push([](const RunContext &) { SleepMs(40); Throw(ErrorKind::kShape, "bad shape (2,3)"); }, kCPU, {}, {&x},
           "my_op");
  e_->Push([&](const RunContext &) { SleepMs(20); unrelated_ran = true; }, kCPU, {}, {&y}, "unrelated");
  e_->Push([&](const RunContext &) { reader_ran = true; }, kCPU, {&x}, {&z}, "reader");
  e_->Push([&](const RunContext &) { reader_ran = true; }, kCPU, {&z}, {&w}, "reader_of_reader");
  // Unrelated work completes and its wait is clean.
  EXPECT_NO_THROW(e_->WaitToRead(&y));
  EXPECT_TRUE(unrelated_ran.load());
  // The failure is raised at waits on the failed var and on vars computed from it, with the failing op's name.
  ExpectError([&] { e_->WaitToRead(&w); }, ErrorKind::kShape, "my_op: bad shape (2,3)");
  ExpectError([&] { e_->WaitToRead(&x); }, ErrorKind::kShape, "my_op: bad shape (2,3)");
  ExpectError([&] { e_->WaitToWrite(&z); }, ErrorKind::kShape, "my_op: bad shape (2,3)");
  EXPECT_FALSE(reader_ran.load()) << "work reading a failed var must not run";
  // Raised by a wait already: WaitAll is clean.
  EXPECT_NO_THROW(e_->WaitAll());
  // A successful write clears the failure.
  e_->Push([](const RunContext &) {}, kCPU, {}, {&x}, "overwrite");
  EXPECT_NO_THROW(e_->WaitToRead(&x));
  ExpectError([&] { e_->WaitToRead(&z); }, ErrorKind::kShape, "my_op: bad shape (2,3)");
}

TEST_P(EngineTest, WaitAllRaisesOnce) {
  Var a, b, c;
  e_->Push([](const RunContext &) { SleepMs(30); Throw(ErrorKind::kValue, "first"); }, kCPU, {}, {&a}, "op1");
  e_->Push([](const RunContext &) { SleepMs(60); throw std::runtime_error("second"); }, kCPU, {}, {&b}, "op2");
  e_->Push([](const RunContext &) {}, kCPU, {}, {&c}, "fine");
  ExpectError([&] { e_->WaitAll(); }, ErrorKind::kValue, "op1: first");
  EXPECT_NO_THROW(e_->WaitAll());
  // The vars keep their failure for waits on them; non-Error exceptions become InternalError.
  ExpectError([&] { e_->WaitToRead(&b); }, ErrorKind::kInternal, "op2: second");
  EXPECT_NO_THROW(e_->WaitToRead(&c));
}

TEST_P(EngineTest, InPlaceUpdateOfFailedVarFails) {
  Var x;
  bool ran = false;
  e_->Push([](const RunContext &) { Throw(ErrorKind::kIndex, "out of range"); }, kCPU, {}, {&x}, "fill");
  e_->Push([&](const RunContext &) { ran = true; }, kCPU, {&x}, {&x}, "add_inplace");
  ExpectError([&] { e_->WaitToRead(&x); }, ErrorKind::kIndex, "fill: out of range");
  EXPECT_FALSE(ran);
}

// ---------------------------------------------------------------------------------------------------------------
// Freeing vars with pending work
// ---------------------------------------------------------------------------------------------------------------
struct Buffer {
  Var var;
  std::vector<int> data = std::vector<int>(1000, 0);
};

TEST_P(EngineTest, DeleteRunsAfterPendingWork) {
  std::atomic<int> order{0};
  std::atomic<int> write_done_at{-1}, read_done_at{-1}, deleted_at{-1};
  auto *buf = new Buffer();
  e_->Push([&, buf](const RunContext &) {
    SleepMs(50);
    for (auto &v : buf->data) v = 3;
    write_done_at = order++;
  }, kCPU, {}, {&buf->var}, "slow_write");
  std::atomic<long> sum{0};
  e_->Push([&, buf](const RunContext &) {
    SleepMs(20);
    long s = 0;
    for (auto v : buf->data) s += v;
    sum = s;
    read_done_at = order++;
  }, kCPU, {&buf->var}, {}, "slow_read");
  e_->DeleteVar(&buf->var, [&, buf] {
    deleted_at = order++;
    delete buf;
  });
  if (threaded()) EXPECT_EQ(deleted_at.load(), -1) << "deleted while work was pending";
  e_->WaitAll();
  EXPECT_EQ(sum.load(), 3000);
  EXPECT_EQ(write_done_at.load(), 0);
  EXPECT_EQ(read_done_at.load(), 1);
  EXPECT_EQ(deleted_at.load(), 2);
}

TEST_P(EngineTest, DeleteOfIdleVarIsImmediate) {
  auto *buf = new Buffer();
  bool deleted = false;
  e_->Push([buf](const RunContext &) { buf->data[0] = 1; }, kCPU, {}, {&buf->var}, "write");
  e_->WaitToRead(&buf->var);
  e_->DeleteVar(&buf->var, [&, buf] {
    deleted = true;
    delete buf;
  });
  EXPECT_TRUE(deleted);
}

TEST_P(EngineTest, NDArrayDroppedWithPendingWork) {
  // The work writes into the array's storage after the last handle is gone: the storage must still be there.
  std::atomic<bool> done{false};
  {
    NDArray a(TShape{1 << 16}, kFloat32, kCPU);
    NDArray keep = a;
    e_->Push([keep, &done](const RunContext &) {
      SleepMs(30);
      float *p = keep.blob().ptr<float>();
      for (int64_t i = 0; i < keep.Size(); ++i) p[i] = 1.f;
      done = true;
    }, kCPU, {}, {a.var()}, "slow_fill");
  }
  e_->WaitAll();
  EXPECT_TRUE(done.load());
}

// ---------------------------------------------------------------------------------------------------------------
// Waits from several threads
// ---------------------------------------------------------------------------------------------------------------
TEST_P(EngineTest, WaitAllFromSeveralThreads) {
  constexpr int kThreads = 4;
  std::vector<std::unique_ptr<Var>> vars;
  std::vector<std::atomic<int>> counts(kThreads);
  for (int t = 0; t < kThreads; ++t) vars.emplace_back(new Var());
  std::vector<std::thread> threads;
  std::atomic<int> bad{0};
  for (int t = 0; t < kThreads; ++t)
    threads.emplace_back([&, t] {
      for (int round = 0; round < 20; ++round) {
        for (int i = 0; i < 10; ++i)
          Engine::Get()->Push([&, t](const RunContext &) { ++counts[t]; }, kCPU, {}, {vars[t].get()}, "inc",
                              i % 2 ? 1 : Engine::kWorkUnknown);
        Engine::Get()->WaitAll();
        if (counts[t].load() != (round + 1) * 10) ++bad;
      }
    });
  for (auto &th : threads) th.join();
  EXPECT_EQ(bad.load(), 0);
}

TEST_P(EngineTest, WaitToReadFromSeveralThreads) {
  Var x;
  std::atomic<int> value{0};
  e_->Push([&](const RunContext &) { SleepMs(40); value = 5; }, kCPU, {}, {&x}, "slow_write");
  std::vector<std::thread> threads;
  std::atomic<int> ok{0};
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&] {
      Engine::Get()->WaitToRead(&x);
      if (value.load() == 5) ++ok;
    });
  for (auto &th : threads) th.join();
  EXPECT_EQ(ok.load(), 4);
}

// ---------------------------------------------------------------------------------------------------------------
// Nested pushes and waits inside work
// ---------------------------------------------------------------------------------------------------------------
TEST_P(EngineTest, NestedPushOnHeldVarsRunsAtOnce) {
  Var x, y;
  int xv = 0, yv = 0;
  int seen = -1;
  e_->Push([&](const RunContext &) {
    xv = 4;
    Engine::Get()->Push([&](const RunContext &) { yv = xv + 1; }, kCPU, {&x}, {&y}, "nested");
    Engine::Get()->WaitToRead(&y);
    Engine::Get()->WaitToRead(&x);  // held: returns at once
    seen = yv;
  }, kCPU, {}, {&x, &y}, "outer");
  e_->WaitToRead(&y);
  EXPECT_EQ(seen, 5);
}

TEST(ThreadedEngine, WaitAllInsideWorkFailsTheWork) {
  Engine *e_ = Use("ThreadedEngine");
  Var x;
  e_->Push([](const RunContext &) { Engine::Get()->WaitAll(); }, kCPU, {}, {&x}, "waits_all");
  ExpectError([&] { e_->WaitToRead(&x); }, ErrorKind::kValue,
              "waits_all: WaitAll cannot be called from inside engine work (it would wait for itself)");
}

TEST(ThreadedEngine, BlockingWaitsInsideWorkDoNotStarveThePool) {
  Engine *e = Use("ThreadedEngine");
  // More pieces of work than workers, each waiting inside for a write queued behind all of them: without spare
  // threads every worker would block and the write would never run.
  constexpr int kOuter = 8;
  Var gate;
  std::vector<std::unique_ptr<Var>> outs;
  std::atomic<int> finished{0};
  std::atomic<bool> gate_pushed{false}, open{false};
  std::atomic<int> saw_open{0};
  for (int i = 0; i < kOuter; ++i) outs.emplace_back(new Var());
  for (int i = 0; i < kOuter; ++i)
    e->Push([&](const RunContext &) {
      WaitFor([&] { return gate_pushed.load(); });
      Engine::Get()->WaitToRead(&gate);
      if (open.load()) ++saw_open;
      ++finished;
    }, kCPU, {}, {outs[i].get()}, "outer_wait");
  e->Push([&](const RunContext &) { open = true; }, kCPU, {}, {&gate}, "open_gate");
  gate_pushed = true;
  auto t0 = Clock::now();
  e->WaitAll();
  EXPECT_EQ(finished.load(), kOuter);
  EXPECT_EQ(saw_open.load(), kOuter);
  EXPECT_LT(Clock::now() - t0, std::chrono::seconds(10));
}

TEST(ThreadedEngine, NestedPushBehindHeldVarIsQueued) {
  Engine *e = Use("ThreadedEngine");
  Var x, busy;
  std::atomic<bool> release{false};
  std::vector<int> log;
  e->Push([&](const RunContext &) { WaitFor([&] { return release.load(); }); }, kCPU, {}, {&busy}, "busy");
  e->Push([&](const RunContext &) {
    log.push_back(1);
    // Uses a busy var too: cannot run now, so it runs after this work (it also writes x, which this work holds).
    Engine::Get()->Push([&](const RunContext &) { log.push_back(3); }, kCPU, {&busy}, {&x}, "nested");
    log.push_back(2);
  }, kCPU, {}, {&x}, "outer");
  SleepMs(20);
  release = true;
  e->WaitToRead(&x);
  e->WaitAll();
  ASSERT_EQ(log.size(), 3u);
  EXPECT_EQ(log[0], 1);
  EXPECT_EQ(log[1], 2);
  EXPECT_EQ(log[2], 3);
}

// ---------------------------------------------------------------------------------------------------------------
// Switching engines
// ---------------------------------------------------------------------------------------------------------------
TEST(EngineSwitch, SwitchWaitsForWorkAndKeepsErrors) {
  Engine *e = Use("ThreadedEngine");
  Var x, bad;
  std::atomic<bool> done{false};
  e->Push([&](const RunContext &) { SleepMs(50); done = true; }, kCPU, {}, {&x}, "slow");
  e->Push([](const RunContext &) { SleepMs(20); Throw(ErrorKind::kType, "no float16"); }, kCPU, {}, {&bad},
          "cast");
  Engine *n = Use("NaiveEngine");
  EXPECT_TRUE(done.load()) << "switching must finish the pending work";
  ExpectError([&] { n->WaitToRead(&bad); }, ErrorKind::kType, "cast: no float16");
  // And back, with an unreported error carried over.
  n->Push([](const RunContext &) { Throw(ErrorKind::kIO, "disk"); }, kCPU, {}, {&x}, "save");
  Engine *t = Use("ThreadedEngine");
  ExpectError([&] { t->WaitAll(); }, ErrorKind::kIO, "save: disk");
  EXPECT_THROW(Engine::SetType("NoSuchEngine"), Error);
  EXPECT_STREQ(Engine::Get()->Name(), "ThreadedEngine");
  Engine::SetType("ThreadedEnginePerDevice");
  EXPECT_STREQ(Engine::Get()->Name(), "ThreadedEngine");
}

// ---------------------------------------------------------------------------------------------------------------
// Randomised stress: several threads push thousands of operations over shared arrays, with random sizes of work
// (inline and queued), random sleeps and waits; every observation and the final state must equal a sequential run
// on the naive engine.
//
// Each thread owns kPrivate arrays (it alone writes them; reads of them are ordered by the engine) and every thread
// adds exact small integers into kShared shared accumulators (commutative, so their final value does not depend on
// the interleaving of threads).
// ---------------------------------------------------------------------------------------------------------------
constexpr int kPrivate = 6, kShared = 3, kLen = 16;

struct Arr {
  Var var;
  double v[kLen] = {0};
};

struct StressWorld {
  std::vector<std::vector<std::unique_ptr<Arr>>> priv;  // [thread][i]
  std::vector<std::unique_ptr<Arr>> shared;
  std::vector<std::vector<double>> observed;  // [thread]: values seen by reads and waits, in program order
  explicit StressWorld(int threads) {
    priv.resize(threads);
    for (auto &p : priv)
      for (int i = 0; i < kPrivate; ++i) p.emplace_back(new Arr());
    for (int i = 0; i < kShared; ++i) shared.emplace_back(new Arr());
    observed.resize(threads);
  }
};

// The program of one thread; `observe_sync` records values on the pushing thread after waits.
void StressProgram(Engine *e, StressWorld *w, int t, uint64_t seed, int nops, bool random_sleeps) {
  std::mt19937_64 g(seed);
  auto pick = [&](int n) { return static_cast<int>(g() % n); };
  auto &P = w->priv[t];
  auto *obs = &w->observed[t];
  std::vector<double> *async_obs = new std::vector<double>();  // appended by read work (ordered by the var)
  std::unique_ptr<std::vector<double>> owner(async_obs);
  Var log_var;  // serialises the observation log
  for (int k = 0; k < nops; ++k) {
    int kind = pick(10);
    int64_t work = pick(3) == 0 ? Engine::kWorkUnknown : pick(2);  // unknown: queued; 0/1: may run inline
    int sleep_roll = pick(20), sleep_len = pick(300);  // drawn in both runs: the same program either way
    int sleep_us = random_sleeps && sleep_roll == 0 ? sleep_len : 0;
    if (kind < 4) {  // dst = a * c1 + b (elementwise), dst may equal a or b
      Arr *a = P[pick(kPrivate)].get(), *b = P[pick(kPrivate)].get(), *d = P[pick(kPrivate)].get();
      double c1 = (pick(5) - 2) * 0.5;
      e->Push([a, b, d, c1, sleep_us](const RunContext &) {
        if (sleep_us) std::this_thread::sleep_for(std::chrono::microseconds(sleep_us));
        for (int i = 0; i < kLen; ++i) d->v[i] = std::fmod(a->v[i] * c1 + b->v[i] + i, 1000.0);
      }, kCPU, {&a->var, &b->var}, {&d->var}, "axpb", work);
    } else if (kind < 5) {  // shared accumulator += round(private) (exact integers)
      Arr *a = P[pick(kPrivate)].get(), *s = w->shared[pick(kShared)].get();
      e->Push([a, s, sleep_us](const RunContext &) {
        if (sleep_us) std::this_thread::sleep_for(std::chrono::microseconds(sleep_us));
        for (int i = 0; i < kLen; ++i) s->v[i] += std::floor(a->v[i]);
      }, kCPU, {&a->var}, {&s->var}, "accumulate", work);
    } else if (kind < 6) {  // two shared accumulators at once, listed in either order (threads share both vars)
      int i1 = pick(kShared), i2 = (i1 + 1 + pick(kShared - 1)) % kShared;
      Arr *s1 = w->shared[i1].get(), *s2 = w->shared[i2].get();
      double inc = pick(7);
      e->Push([s1, s2, inc](const RunContext &) {
        for (int i = 0; i < kLen; ++i) {
          s1->v[i] += inc;
          s2->v[i] -= inc;
        }
      }, kCPU, {}, {&s1->var, &s2->var}, "transfer", work);
    } else if (kind < 8) {  // read work logs a value
      Arr *a = P[pick(kPrivate)].get();
      int i = pick(kLen);
      e->Push([a, i, async_obs, sleep_us](const RunContext &) {
        if (sleep_us) std::this_thread::sleep_for(std::chrono::microseconds(sleep_us));
        async_obs->push_back(a->v[i]);
      }, kCPU, {&a->var}, {&log_var}, "log", work);
    } else if (kind == 8) {  // wait, then read on this thread
      Arr *a = P[pick(kPrivate)].get();
      e->WaitToRead(&a->var);
      obs->push_back(a->v[pick(kLen)]);
    } else {  // fill
      Arr *d = P[pick(kPrivate)].get();
      double v = pick(100);
      e->Push([d, v](const RunContext &) {
        for (int i = 0; i < kLen; ++i) d->v[i] = v + i;
      }, kCPU, {}, {&d->var}, "fill", work);
    }
  }
  e->WaitToRead(&log_var);
  obs->insert(obs->end(), async_obs->begin(), async_obs->end());
  for (auto &a : P) {
    e->WaitToRead(&a->var);
    obs->insert(obs->end(), a->v, a->v + kLen);
  }
}

TEST(EngineStress, ThreadsOverSharedArraysMatchNaive) {
  constexpr int kThreads = 4, kOps = 2000;
  for (bool sleeps : {false, true}) {
    SCOPED_TRACE(sleeps ? "with random sleeps" : "without sleeps");
    // Reference: the same programs one after another on the naive engine.
    Engine *naive = Use("NaiveEngine");
    StressWorld ref(kThreads);
    for (int t = 0; t < kThreads; ++t) StressProgram(naive, &ref, t, 1000 + t, kOps, false);
    // Threaded, all threads at once.
    Engine *e = Use("ThreadedEngine");
    StressWorld got(kThreads);
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t)
      threads.emplace_back([&, t] { StressProgram(e, &got, t, 1000 + t, kOps, sleeps); });
    for (auto &th : threads) th.join();
    e->WaitAll();
    for (int t = 0; t < kThreads; ++t) {
      ASSERT_EQ(got.observed[t].size(), ref.observed[t].size()) << "thread " << t;
      int bad = 0;
      for (size_t i = 0; i < ref.observed[t].size(); ++i)
        if (got.observed[t][i] != ref.observed[t][i] && bad++ < 5)
          ADD_FAILURE() << "thread " << t << " observation " << i << ": " << got.observed[t][i] << " vs "
                        << ref.observed[t][i];
    }
    for (int s = 0; s < kShared; ++s)
      for (int i = 0; i < kLen; ++i) EXPECT_EQ(got.shared[s]->v[i], ref.shared[s]->v[i]) << "shared " << s;
  }
}

// Two threads push work on the same two vars, listed in opposite orders: each piece of work must be queued on both
// vars atomically, or each thread's work ends up waiting for the other's (a deadlock).
TEST(ThreadedEngine, ConcurrentPushesInOppositeVarOrder) {
  Engine *e = Use("ThreadedEngine");
  constexpr int kOps = 20000;
  Var s1, s2;
  long count = 0;
  std::atomic<bool> go{false};
  auto pusher = [&](Var *a, Var *b) {
    WaitFor([&] { return go.load(); });
    for (int i = 0; i < kOps; ++i) e->Push([&](const RunContext &) { ++count; }, kCPU, {}, {a, b}, "pair");
  };
  std::thread t1(pusher, &s1, &s2), t2(pusher, &s2, &s1);
  go = true;
  t1.join();
  t2.join();
  std::atomic<bool> done{false};
  std::thread waiter([&] {
    e->WaitAll();
    done = true;
  });
  bool finished = WaitFor([&] { return done.load(); }, 20000);
  if (!finished) {
    waiter.detach();
    FAIL() << "deadlock: work on {s1, s2} and {s2, s1} waits for each other";
  }
  waiter.join();
  EXPECT_EQ(count, 2L * kOps);
}

// ---------------------------------------------------------------------------------------------------------------
// Exit and fork with work queued (in a child process)
// ---------------------------------------------------------------------------------------------------------------
// Runs body in a forked child; returns its exit status (or -1 if it did not exit normally within `ms`).
int InChild(const std::function<int()> &body, int ms = 20000) {
  pid_t pid = fork();
  if (pid == 0) _exit(body());
  auto end = Clock::now() + std::chrono::milliseconds(ms);
  int status = 0;
  while (waitpid(pid, &status, WNOHANG) == 0) {
    if (Clock::now() > end) {
      kill(pid, SIGKILL);
      waitpid(pid, &status, 0);
      return -1;
    }
    SleepMs(5);
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : -2;
}

TEST(ThreadedEngine, ExitWithWorkQueuedIsClean) {
  Use("ThreadedEngine");
  auto t0 = Clock::now();
  int rc = InChild([] {
    Engine *e = Engine::Get();
    static Var x, y;
    static std::atomic<int> ran{0};
    for (int i = 0; i < 200; ++i)
      e->Push([](const RunContext &) { SleepMs(20); ++ran; }, kCPU, {}, {i % 2 ? &x : &y}, "slow");
    // Arrays released with work pending, then exit: queued work is dropped, running work finishes.
    for (int i = 0; i < 10; ++i) {
      NDArray a(TShape{1000}, kFloat32, kCPU);
      e->Push([a](const RunContext &) { SleepMs(5); a.blob().ptr<float>()[0] = 1; }, kCPU, {}, {a.var()}, "w");
    }
    std::exit(0);
    return 1;
  });
  EXPECT_EQ(rc, 0);
  EXPECT_LT(Clock::now() - t0, std::chrono::seconds(3)) << "exit ran the queued work (4 s) instead of dropping it";
}

TEST(ThreadedEngine, ForkedChildCanUseTheEngine) {
  Engine *e = Use("ThreadedEngine");
  Var x;
  std::atomic<int> v{0};
  e->Push([&](const RunContext &) { SleepMs(30); v = 1; }, kCPU, {}, {&x}, "before_fork");
  int rc = InChild([&] {
    // The fork waited for the pending work; the child has workers of its own.
    if (v.load() != 1) return 3;
    Engine *ce = Engine::Get();
    Var y;
    std::atomic<int> w{0};
    for (int i = 0; i < 10; ++i) ce->Push([&](const RunContext &) { ++w; }, kCPU, {}, {&y}, "in_child");
    ce->WaitToRead(&y);
    return w.load() == 10 ? 0 : 4;
  });
  EXPECT_EQ(rc, 0);
  // The parent goes on too.
  e->Push([&](const RunContext &) { v = 2; }, kCPU, {}, {&x}, "after_fork");
  e->WaitToRead(&x);
  EXPECT_EQ(v.load(), 2);
}

INSTANTIATE_TEST_SUITE_P(Engines, EngineTest, ::testing::Values("ThreadedEngine", "NaiveEngine"));

}  // namespace
