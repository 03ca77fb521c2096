// The engines under real operators, through the C API: results identical bit for bit between NaiveEngine and
// ThreadedEngine (one thread and several), errors of queued operators surfacing at the right wait through the C API,
// freeing arrays with pending work, random operators drawing in push order.
// Test-only operators registered here (white-box): one that sleeps then fails, one that sleeps then copies.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "mxc.h"
#include "operator.h"

namespace {

using namespace mxc;

const int g_env_threads = (setenv("MXC_ENGINE_NUM_THREADS", "3", 0), 0);

void SleepMs(int ms) { std::this_thread::sleep_for(std::chrono::milliseconds(ms)); }

// _engine_test_fail(data, ms, kind): sleeps ms, then fails with "boom after <ms> ms" (kind 0: ShapeError,
// 1: TypeError, 2: a std::runtime_error). _engine_test_slow_copy(data, ms): sleeps ms, then copies.
const int g_ops_registered = [] {
  OpRegistry::Get()
      ->Register("_engine_test_fail")
      .set_inputs({"data"})
      .add_param("ms", ParamKind::kInt, "0", "sleep before failing")
      .add_param("kind", ParamKind::kInt, "0", "0: ShapeError, 1: TypeError, 2: std::runtime_error")
      .set_infer_shape(SameShapeInfer)
      .set_hidden()
      .set_compute(MXC_CPU, [](const OpContext &, const OpParams &p, const std::vector<TBlob> &,
                               const std::vector<OpReq> &, const std::vector<TBlob> &) {
        SleepMs(static_cast<int>(p.Int("ms")));
        std::string msg = "boom after " + std::to_string(p.Int("ms")) + " ms";
        if (p.Int("kind") == 2) throw std::runtime_error(msg);
        Throw(p.Int("kind") == 1 ? ErrorKind::kType : ErrorKind::kShape, msg);
      });
  OpRegistry::Get()
      ->Register("_engine_test_slow_copy")
      .set_inputs({"data"})
      .add_param("ms", ParamKind::kInt, "0", "sleep before copying")
      .set_infer_shape(SameShapeInfer)
      .set_hidden()
      .set_compute(MXC_CPU, [](const OpContext &, const OpParams &p, const std::vector<TBlob> &in,
                               const std::vector<OpReq> &, const std::vector<TBlob> &out) {
        SleepMs(static_cast<int>(p.Int("ms")));
        std::memcpy(out[0].dptr, in[0].dptr, in[0].Size() * DTypeSize(in[0].dtype));
      });
  return 0;
}();

std::string Err() { return MXCGetLastError(); }

MXCNDArrayHandle Make(std::vector<int64_t> shape, const std::vector<float> &v) {
  MXCNDArrayHandle h = nullptr;
  EXPECT_EQ(MXCNDArrayCreate(shape.data(), static_cast<int>(shape.size()), MXC_FLOAT32, MXC_CPU, 0, 0, &h), 0)
      << Err();
  EXPECT_EQ(MXCNDArraySyncCopyFromCPU(h, v.data(), static_cast<int64_t>(v.size())), 0) << Err();
  return h;
}

std::vector<float> Read(MXCNDArrayHandle h, int64_t n) {
  std::vector<float> v(n);
  EXPECT_EQ(MXCNDArraySyncCopyToCPU(h, v.data(), n), 0) << Err();
  return v;
}

// Invokes op by name; out: given output (or nullptr: allocated and returned).
MXCNDArrayHandle Call(const char *name, std::vector<MXCNDArrayHandle> ins,
                      std::vector<std::pair<std::string, std::string>> params = {}, MXCNDArrayHandle out = nullptr) {
  MXCOpHandle op = nullptr;
  EXPECT_EQ(MXCOpGetHandle(name, &op), 0) << Err();
  std::vector<const char *> k, v;
  for (auto &p : params) {
    k.push_back(p.first.c_str());
    v.push_back(p.second.c_str());
  }
  MXCNDArrayHandle given[1] = {out};
  MXCNDArrayHandle *outs = out ? given : nullptr;
  int nout = out ? 1 : 0;
  int rc = MXCOpInvoke(op, static_cast<int>(ins.size()), ins.data(), &nout, &outs, static_cast<int>(k.size()),
                       k.data(), v.data());
  EXPECT_EQ(rc, 0) << name << ": " << Err();
  return rc == 0 ? outs[0] : nullptr;
}

void SetEngine(const char *name) { ASSERT_EQ(MXCEngineSetType(name), 0) << Err(); }

// ---------------------------------------------------------------------------------------------------------------
// Bit-for-bit identical results
// ---------------------------------------------------------------------------------------------------------------
// Arrays are kN x kN: unary work (2 kN^2 elements touched) runs inline on the caller when its arrays are free,
// binary work and dot (3 kN^2) are queued to the workers (the engine's default limit is 16384 elements).
constexpr int kN = 80;

// A random program of operators over a pool of arrays; returns the final contents of every array.
std::vector<std::vector<float>> RandomProgram(uint64_t seed, int nops) {
  std::mt19937_64 g(seed);
  auto pick = [&](int n) { return static_cast<int>(g() % n); };
  std::vector<MXCNDArrayHandle> pool;
  for (int i = 0; i < 6; ++i) {
    std::vector<float> v(kN * kN);
    for (auto &x : v) x = static_cast<float>(pick(2001) - 1000) / 997.f;
    pool.push_back(Make({kN, kN}, v));
  }
  // Values stay in [-1, 1] (tanh after sums and products): no overflow, no denormals.
  const char *binary[] = {"elemwise_add", "elemwise_sub"};
  for (int k = 0; k < nops; ++k) {
    MXCNDArrayHandle a = pool[pick(6)], b = pool[pick(6)];
    int dst = pick(6);
    MXCNDArrayHandle r = nullptr, t = nullptr;
    switch (pick(5)) {
      case 0:
        t = Call(binary[pick(2)], {a, b});
        break;
      case 1:
        t = Call("dot", {a, b});
        break;
      case 2:
        r = Call("tanh", {a});
        break;
      case 3:
        r = Call("softmax", {a}, {{"axis", "1"}});
        break;
      case 4:  // in place: writes into an existing array that may also be an input
        Call("elemwise_add", {a, b}, {}, pool[dst]);
        Call("tanh", {pool[dst]}, {}, pool[dst]);
        continue;
    }
    if (t) {
      r = Call("tanh", {t});
      MXCNDArrayFree(t);  // still to be read by the queued tanh
    }
    if (!r) return {};
    MXCNDArrayFree(pool[dst]);  // may still be read by queued work
    pool[dst] = r;
    if (pick(10) == 0) EXPECT_EQ(MXCNDArrayWaitToRead(pool[pick(6)]), 0) << Err();
  }
  std::vector<std::vector<float>> out;
  for (auto h : pool) {
    out.push_back(Read(h, kN * kN));
    MXCNDArrayFree(h);
  }
  return out;
}

TEST(EngineOps, ThreadedMatchesNaiveBitForBit) {
  SetEngine("NaiveEngine");
  auto ref = RandomProgram(7, 600);
  SetEngine("ThreadedEngine");
  auto got = RandomProgram(7, 600);
  ASSERT_EQ(ref.size(), got.size());
  for (size_t i = 0; i < ref.size(); ++i)
    EXPECT_EQ(std::memcmp(ref[i].data(), got[i].data(), ref[i].size() * sizeof(float)), 0) << "array " << i;
}

TEST(EngineOps, SeveralThreadsMatchNaiveBitForBit) {
  constexpr int kThreads = 4;
  SetEngine("NaiveEngine");
  std::vector<std::vector<std::vector<float>>> ref(kThreads), got(kThreads);
  for (int t = 0; t < kThreads; ++t) ref[t] = RandomProgram(100 + t, 300);
  SetEngine("ThreadedEngine");
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) threads.emplace_back([&, t] { got[t] = RandomProgram(100 + t, 300); });
  for (auto &th : threads) th.join();
  ASSERT_EQ(MXCNDArrayWaitAll(), 0) << Err();
  for (int t = 0; t < kThreads; ++t) {
    ASSERT_EQ(ref[t].size(), got[t].size());
    for (size_t i = 0; i < ref[t].size(); ++i)
      EXPECT_EQ(std::memcmp(ref[t][i].data(), got[t][i].data(), ref[t][i].size() * sizeof(float)), 0)
          << "thread " << t << " array " << i;
  }
}

// Dropout(mode='always') draws from the device generator: draws happen in push order with either engine, even when
// the arrays are independent and could run at once.
TEST(EngineOps, RandomOperatorsDrawInPushOrder) {
  constexpr int64_t kDrop = 100000;
  std::vector<std::vector<float>> masks[2];
  const char *engines[2] = {"NaiveEngine", "ThreadedEngine"};
  for (int e = 0; e < 2; ++e) {
    SetEngine(engines[e]);
    ASSERT_EQ(MXCRandomSeed(42), 0) << Err();
    std::vector<MXCNDArrayHandle> outs;
    std::vector<MXCNDArrayHandle> ins;
    for (int i = 0; i < 8; ++i) {  // large enough to be queued, not run inline
      ins.push_back(Make({kDrop}, std::vector<float>(kDrop, 1.f)));
      outs.push_back(Call("Dropout", {ins.back()}, {{"p", "0.5"}, {"mode", "always"}}));
    }
    for (auto h : outs) {
      masks[e].push_back(Read(h, kDrop));
      MXCNDArrayFree(h);
    }
    for (auto h : ins) MXCNDArrayFree(h);
  }
  for (int i = 0; i < 8; ++i)
    EXPECT_EQ(std::memcmp(masks[0][i].data(), masks[1][i].data(), kDrop * sizeof(float)), 0) << "draw " << i;
}

// ---------------------------------------------------------------------------------------------------------------
// Errors through the C API
// ---------------------------------------------------------------------------------------------------------------
class EngineOpsBoth : public ::testing::TestWithParam<const char *> {
 protected:
  void SetUp() override { SetEngine(GetParam()); }
  void TearDown() override { MXCNDArrayWaitAll(); }
};

TEST_P(EngineOpsBoth, QueuedErrorSurfacesAtTheRightWait) {
  std::vector<float> ones(1000, 1.f);
  MXCNDArrayHandle x = Make({1000}, ones), y = Make({1000}, ones);
  // The failing operator sleeps first: with the threaded engine everything below is pushed before it fails.
  MXCNDArrayHandle bad = Call("_engine_test_fail", {x}, {{"ms", "50"}});
  MXCNDArrayHandle fine = Call("_engine_test_slow_copy", {y}, {{"ms", "20"}});
  MXCNDArrayHandle later = Call("elemwise_add", {bad, y});  // reads the failed array: fails the same way
  MXCNDArrayHandle later2 = Call("tanh", {later});
  ASSERT_TRUE(bad && fine && later && later2);
  // Unrelated work completes; its wait is clean.
  EXPECT_EQ(MXCNDArrayWaitToRead(fine), 0) << Err();
  EXPECT_EQ(Read(fine, 1000), ones);
  // The error, with the failing operator's name and its kind, at waits on the failed array and on what reads it.
  EXPECT_EQ(MXCNDArrayWaitToRead(later2), -1);
  EXPECT_EQ(Err(), "ShapeError: _engine_test_fail: boom after 50 ms");
  std::vector<float> buf(1000);
  EXPECT_EQ(MXCNDArraySyncCopyToCPU(bad, buf.data(), 1000), -1);
  EXPECT_EQ(Err(), "ShapeError: _engine_test_fail: boom after 50 ms");
  EXPECT_EQ(MXCNDArrayWaitToWrite(later), -1);
  EXPECT_EQ(Err(), "ShapeError: _engine_test_fail: boom after 50 ms");
  EXPECT_EQ(MXCNDArrayWaitAll(), 0) << "already raised by waits: " << Err();
  // Overwriting the failed array clears the failure.
  Call("elemwise_add", {x, y}, {}, bad);
  EXPECT_EQ(MXCNDArrayWaitToRead(bad), 0) << Err();
  EXPECT_EQ(Read(bad, 1000), std::vector<float>(1000, 2.f));
  for (auto h : {x, y, bad, fine, later, later2}) MXCNDArrayFree(h);
}

TEST_P(EngineOpsBoth, WaitAllRaisesQueuedErrorOnce) {
  std::vector<float> ones(10, 1.f);
  MXCNDArrayHandle x = Make({10}, ones);
  MXCNDArrayHandle a = Call("_engine_test_fail", {x}, {{"ms", "30"}, {"kind", "1"}});
  MXCNDArrayHandle b = Call("_engine_test_fail", {x}, {{"ms", "5"}, {"kind", "2"}});
  MXCNDArrayFree(a);  // freed before it failed: its error is still reported
  EXPECT_EQ(MXCNDArrayWaitAll(), -1);
  EXPECT_EQ(Err(), "TypeError: _engine_test_fail: boom after 30 ms");
  EXPECT_EQ(MXCNDArrayWaitAll(), 0) << Err();
  EXPECT_EQ(MXCNDArrayWaitToRead(b), -1);
  EXPECT_EQ(Err(), "InternalError: _engine_test_fail: boom after 5 ms");
  MXCNDArrayFree(b);
  MXCNDArrayFree(x);
}

// ---------------------------------------------------------------------------------------------------------------
// Freeing arrays with pending work
// ---------------------------------------------------------------------------------------------------------------
TEST_P(EngineOpsBoth, FreeWithPendingWork) {
  std::vector<float> v(100000);
  for (size_t i = 0; i < v.size(); ++i) v[i] = static_cast<float>(i % 7);
  MXCNDArrayHandle x = Make({100000}, v);
  // The copy reads x after x's handle is gone, and writes an array whose handle is gone too.
  MXCNDArrayHandle y = Call("_engine_test_slow_copy", {x}, {{"ms", "30"}});
  MXCNDArrayHandle z = Call("elemwise_add", {y, y});
  MXCNDArrayFree(x);
  MXCNDArrayFree(y);
  EXPECT_EQ(MXCNDArrayWaitToRead(z), 0) << Err();
  auto got = Read(z, 100000);
  for (size_t i = 0; i < v.size(); i += 997) EXPECT_EQ(got[i], 2 * v[i]);
  MXCNDArrayFree(z);
  // Many arrays created, used and freed without waiting.
  for (int i = 0; i < 200; ++i) {
    MXCNDArrayHandle a = Call("_full", {}, {{"shape", "(256, 256)"}, {"value", "1.5"}});
    MXCNDArrayHandle b = Call("dot", {a, a});
    MXCNDArrayFree(a);
    MXCNDArrayFree(b);
  }
  EXPECT_EQ(MXCNDArrayWaitAll(), 0) << Err();
}

TEST(EngineOps, SwitchingEnginesKeepsResults) {
  SetEngine("ThreadedEngine");
  std::vector<float> ones(100, 1.f);
  MXCNDArrayHandle x = Make({100}, ones);
  MXCNDArrayHandle y = Call("_engine_test_slow_copy", {x}, {{"ms", "40"}});
  SetEngine("NaiveEngine");  // waits for the copy
  const char *name = nullptr;
  ASSERT_EQ(MXCEngineGetType(&name), 0);
  EXPECT_STREQ(name, "NaiveEngine");
  MXCNDArrayHandle z = Call("elemwise_add", {x, y});
  EXPECT_EQ(Read(z, 100), std::vector<float>(100, 2.f));
  SetEngine("ThreadedEngine");
  ASSERT_EQ(MXCEngineGetType(&name), 0);
  EXPECT_STREQ(name, "ThreadedEngine");
  EXPECT_EQ(MXCEngineSetType("Bogus"), -1);
  EXPECT_EQ(Err(), "ValueError: unknown engine type 'Bogus' (NaiveEngine or ThreadedEngine)");
  for (auto h : {x, y, z}) MXCNDArrayFree(h);
}

INSTANTIATE_TEST_SUITE_P(Engines, EngineOpsBoth, ::testing::Values("ThreadedEngine", "NaiveEngine"));

}  // namespace
