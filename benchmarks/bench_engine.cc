// Engine benchmark through the C API (mxc.h only): NaiveEngine against ThreadedEngine.
//
//   build/benchmarks/bench_engine [scale [row-filter]]
//   MXC_ENGINE_INLINE_WORK=-1 build/benchmarks/bench_engine    (never run small work on the calling thread)
//
// 1. Per-call cost of a small operation (elemwise_add of two 10-element arrays), invoked through MXCOpInvoke:
//    - into a given output, without waiting (N calls, then one wait),
//    - into a given output, waiting for the result after each call (MXCNDArrayWaitToRead),
//    - with a new output array per call that is freed at once (what `c = a + b` does in Python), without waiting.
// 2. A 1,000,000-element add, waiting each time.
// 3. Overlap: two independent matrix products (dot) issued back to back, then one wait for both.
// Each figure is the best of several repetitions, the engines measured in turn (the machine may be shared: the best
// run is the one least disturbed by other processes).
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <string>
#include <vector>

#include "mxc.h"

namespace {

#define CHECK(call)                                                    \
  do {                                                                 \
    if ((call) != 0) {                                                 \
      std::fprintf(stderr, "%s failed: %s\n", #call, MXCGetLastError()); \
      std::exit(1);                                                    \
    }                                                                  \
  } while (0)

using Clock = std::chrono::steady_clock;

MXCNDArrayHandle Make(std::vector<int64_t> shape, float fill) {
  MXCNDArrayHandle h = nullptr;
  CHECK(MXCNDArrayCreate(shape.data(), static_cast<int>(shape.size()), MXC_FLOAT32, MXC_CPU, 0, 0, &h));
  int64_t n = 1;
  for (auto d : shape) n *= d;
  std::vector<float> v(n, fill);
  CHECK(MXCNDArraySyncCopyFromCPU(h, v.data(), n));
  return h;
}

MXCOpHandle Op(const char *name) {
  MXCOpHandle op = nullptr;
  CHECK(MXCOpGetHandle(name, &op));
  return op;
}

// Seconds per call of body(i) over n calls (after untimed warm-up calls), best of `reps` repetitions; `sync` runs
// after each repetition's calls, inside the timing.
double PerCall(int n, int reps, const std::function<void(int)> &body, const std::function<void()> &sync) {
  std::vector<double> t;
  for (int i = 0; i < 200; ++i) body(i);
  sync();
  for (int r = 0; r < reps; ++r) {
    auto t0 = Clock::now();
    for (int i = 0; i < n; ++i) body(i);
    sync();
    t.push_back(std::chrono::duration<double>(Clock::now() - t0).count() / n);
  }
  return *std::min_element(t.begin(), t.end());
}

void WaitAll() { CHECK(MXCNDArrayWaitAll()); }

struct Row {
  std::string what;
  double naive, threaded;
};

}  // namespace

int main(int argc, char **argv) {
  int scale = argc > 1 ? std::atoi(argv[1]) : 1;
  const char *engines[2] = {"NaiveEngine", "ThreadedEngine"};
  std::vector<Row> rows;
  const char *only = argc > 2 ? argv[2] : nullptr;  // a substring of the rows to run
  auto both = [&](const std::string &what, const std::function<double()> &measure) {
    if (only && what.find(only) == std::string::npos) return;
    Row r{what, 1e9, 1e9};
    for (int round = 0; round < 3; ++round)
      for (int e = 0; e < 2; ++e) {
        CHECK(MXCEngineSetType(engines[e]));
        double &best = e ? r.threaded : r.naive;
        best = std::min(best, measure());
      }
    rows.push_back(r);
  };

  MXCOpHandle add = Op("elemwise_add"), dot = Op("dot");
  MXCNDArrayHandle a = Make({10}, 1.f), b = Make({10}, 2.f), c = Make({10}, 0.f);
  MXCNDArrayHandle in[2] = {a, b};
  auto add_into = [&](int) {
    int nout = 1;
    MXCNDArrayHandle outs[1] = {c};
    MXCNDArrayHandle *po = outs;
    CHECK(MXCOpInvoke(add, 2, in, &nout, &po, 0, nullptr, nullptr));
  };
  auto add_new = [&](int) {
    int nout = 0;
    MXCNDArrayHandle *po = nullptr;
    CHECK(MXCOpInvoke(add, 2, in, &nout, &po, 0, nullptr, nullptr));
    CHECK(MXCNDArrayFree(po[0]));
  };
  const int n = 20000 * scale;
  both("add 10 elements into c, no wait", [&] { return PerCall(n, 3, add_into, WaitAll); });
  both("add 10 elements into c, wait each", [&] {
    return PerCall(n, 3, [&](int i) { add_into(i); CHECK(MXCNDArrayWaitToRead(c)); }, [] {});
  });
  both("c = a + b (10 elements, new array), no wait", [&] { return PerCall(n, 3, add_new, WaitAll); });
  both("c = a + b (10 elements, new array), wait each", [&] {
    return PerCall(n, 3, [&](int) {
      int nout = 0;
      MXCNDArrayHandle *po = nullptr;
      CHECK(MXCOpInvoke(add, 2, in, &nout, &po, 0, nullptr, nullptr));
      CHECK(MXCNDArrayWaitToRead(po[0]));
      CHECK(MXCNDArrayFree(po[0]));
    }, [] {});
  });

  MXCNDArrayHandle big_a = Make({1000000}, 1.f), big_b = Make({1000000}, 2.f), big_c = Make({1000000}, 0.f);
  both("add 1,000,000 elements, wait each", [&] {
    MXCNDArrayHandle bin[2] = {big_a, big_b};
    return PerCall(50 * scale, 5, [&](int) {
      int nout = 1;
      MXCNDArrayHandle outs[1] = {big_c};
      MXCNDArrayHandle *po = outs;
      CHECK(MXCOpInvoke(add, 2, bin, &nout, &po, 0, nullptr, nullptr));
      CHECK(MXCNDArrayWaitToRead(big_c));
    }, [] {});
  });

  for (int64_t m : {64, 128, 256, 512, 1024}) {
    MXCNDArrayHandle x = Make({m, m}, 0.5f), y = Make({m, m}, 0.25f), z = Make({m, m}, 1.f), w = Make({m, m}, 2.f);
    MXCNDArrayHandle o1 = Make({m, m}, 0.f), o2 = Make({m, m}, 0.f);
    auto two_dots = [&](int) {
      MXCNDArrayHandle i1[2] = {x, y}, i2[2] = {z, w};
      MXCNDArrayHandle r1[1] = {o1}, r2[1] = {o2};
      MXCNDArrayHandle *p1 = r1, *p2 = r2;
      int n1 = 1, n2 = 1;
      CHECK(MXCOpInvoke(dot, 2, i1, &n1, &p1, 0, nullptr, nullptr));
      CHECK(MXCOpInvoke(dot, 2, i2, &n2, &p2, 0, nullptr, nullptr));
      CHECK(MXCNDArrayWaitToRead(o1));
      CHECK(MXCNDArrayWaitToRead(o2));
    };
    int calls = static_cast<int>(std::max<int64_t>(2, (int64_t(1) << 28) / (m * m * m))) * scale;
    both("two independent dot " + std::to_string(m) + "x" + std::to_string(m) + ", then wait",
         [&] { return PerCall(calls, 5, two_dots, [] {}); });
    for (auto h : {x, y, z, w, o1, o2}) MXCNDArrayFree(h);
  }

  const char *inl = std::getenv("MXC_ENGINE_INLINE_WORK");
  std::printf("engine benchmark (MXC_ENGINE_INLINE_WORK=%s; best time per call)\n", inl ? inl : "default");
  std::printf("%-48s %14s %14s %8s\n", "", "NaiveEngine", "ThreadedEngine", "ratio");
  for (auto &r : rows) {
    auto fmt = [](double s) {
      static char buf[4][32];
      static int k = 0;
      char *p = buf[k++ % 4];
      if (s < 1e-3) std::snprintf(p, 32, "%.2f us", s * 1e6);
      else std::snprintf(p, 32, "%.3f ms", s * 1e3);
      return p;
    };
    std::printf("%-48s %14s %14s %8.2f\n", r.what.c_str(), fmt(r.naive), fmt(r.threaded), r.threaded / r.naive);
  }
  for (auto h : {a, b, c, big_a, big_b, big_c}) MXCNDArrayFree(h);
  return 0;
}
