// Per-call cost of a small imperative invoke through the C API, against the raw loop it performs.
//
// Cases (10 float32 elements): elemwise_add into a given output, elemwise_add with the output allocated by the
// library (and freed by the caller, as every binding must), _plus_scalar (one parameter parsed from a string) into
// a given output, and the prepared-operator forms (MXCPreparedOpInvoke into a given output,
// MXCPreparedOpInvokeBinary allocating). Every case runs under both engines, interleaved (each batch round runs
// every case under ThreadedEngine then NaiveEngine), so that drifts of a busy machine hit both alike; the median
// over batches of the time per call is reported, and the library overhead is that minus the raw loop's time.
//
//   bench_invoke [calls_per_batch] [batches]     (default 20000 25)
//   bench_invoke --count CASE N                  runs N calls of one case and nothing else (CASE: given, alloc,
//                                                scalar, prep_given, prep_alloc), for counting instructions:
//     for n in 2000 22000; do valgrind --tool=callgrind --callgrind-out-file=/dev/null \
//       build/benchmarks/bench_invoke --count alloc $n 2>&1 | grep Collected; done
//     instructions per call = difference / 20000 (MXC_ENGINE_TYPE=NaiveEngine for the synchronous engine)
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <functional>
#include <string>
#include <vector>

#include "mxc.h"

namespace {

void Check(int rc, const char *what) {
  if (rc != 0) {
    std::fprintf(stderr, "%s failed: %s\n", what, MXCGetLastError());
    std::exit(1);
  }
}

double Now() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

// CPU time of the process (all threads): unlike wall time it does not count the time the process waits for a core
// on a loaded machine.
double CpuNow() {
  timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return ts.tv_sec + ts.tv_nsec * 1e-9;
}

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

struct Timing {
  double wall_ns, cpu_ns;  // medians over batches, per call
};

// Nanoseconds per call of f; each batch ends with a wait for all work (with an asynchronous engine the calls only
// queue work: the wait makes the batch include running it).
template <typename F>
Timing NsPerCall(F f, int calls, int batches, bool wait) {
  for (int i = 0; i < calls / 10 + 1; ++i) f();  // warm up
  if (wait) Check(MXCNDArrayWaitAll(), "MXCNDArrayWaitAll");
  std::vector<double> wall, cpu;
  for (int b = 0; b < batches; ++b) {
    double t0 = Now(), c0 = CpuNow();
    for (int i = 0; i < calls; ++i) f();
    if (wait) Check(MXCNDArrayWaitAll(), "MXCNDArrayWaitAll");
    double c1 = CpuNow(), t1 = Now();
    wall.push_back((t1 - t0) / calls * 1e9);
    cpu.push_back((c1 - c0) / calls * 1e9);
  }
  return {Median(wall), Median(cpu)};
}

MXCNDArrayHandle Vec(int64_t n, float start) {
  MXCNDArrayHandle h;
  Check(MXCNDArrayCreate(&n, 1, MXC_FLOAT32, MXC_CPU, 0, 0, &h), "MXCNDArrayCreate");
  std::vector<float> v(n);
  for (int64_t i = 0; i < n; ++i) v[i] = start + static_cast<float>(i);
  Check(MXCNDArraySyncCopyFromCPU(h, v.data(), n), "MXCNDArraySyncCopyFromCPU");
  return h;
}

}  // namespace

int main(int argc, char **argv) {
  const bool count_mode = argc > 1 && std::string(argv[1]) == "--count";
  const int calls = !count_mode && argc > 1 ? std::atoi(argv[1]) : 20000;
  const int batches = !count_mode && argc > 2 ? std::atoi(argv[2]) : 25;
  const int64_t n = 10;

  MXCOpHandle add, plus_scalar;
  Check(MXCOpGetHandle("elemwise_add", &add), "MXCOpGetHandle(elemwise_add)");
  Check(MXCOpGetHandle("_plus_scalar", &plus_scalar), "MXCOpGetHandle(_plus_scalar)");
  MXCPreparedOpHandle prep_add;
  Check(MXCPreparedOpCreate(add, 0, nullptr, nullptr, &prep_add), "MXCPreparedOpCreate");
  MXCNDArrayHandle a = Vec(n, 1), b = Vec(n, 100), c = Vec(n, 0);
  float *pa, *pb, *pc;
  Check(MXCNDArrayGetData(a, reinterpret_cast<void **>(&pa)), "MXCNDArrayGetData");
  Check(MXCNDArrayGetData(b, reinterpret_cast<void **>(&pb)), "MXCNDArrayGetData");
  Check(MXCNDArrayGetData(c, reinterpret_cast<void **>(&pc)), "MXCNDArrayGetData");
  MXCNDArrayHandle ins[2] = {a, b};

  // The raw loop: what the kernel computes, kept from being optimised away.
  auto raw_add = [&] {
    for (int64_t i = 0; i < n; ++i) pc[i] = pa[i] + pb[i];
    asm volatile("" : : "r"(pc) : "memory");
  };
  auto raw_scalar = [&] {
    for (int64_t i = 0; i < n; ++i) pc[i] = pa[i] + 2.5f;
    asm volatile("" : : "r"(pc) : "memory");
  };
  auto add_given = [&] {
    MXCNDArrayHandle *outs = &c;
    int nout = 1;
    Check(MXCOpInvoke(add, 2, ins, &nout, &outs, 0, nullptr, nullptr), "MXCOpInvoke");
  };
  auto add_alloc = [&] {
    MXCNDArrayHandle *outs = nullptr;
    int nout = 0;
    Check(MXCOpInvoke(add, 2, ins, &nout, &outs, 0, nullptr, nullptr), "MXCOpInvoke");
    MXCNDArrayFree(outs[0]);
  };
  const char *keys[1] = {"scalar"}, *vals[1] = {"2.5"};
  auto scalar_given = [&] {
    MXCNDArrayHandle *outs = &c;
    int nout = 1;
    Check(MXCOpInvoke(plus_scalar, 1, &a, &nout, &outs, 1, keys, vals), "MXCOpInvoke");
  };
  auto prep_given = [&] {
    MXCNDArrayHandle outs[1] = {c};
    Check(MXCPreparedOpInvoke(prep_add, 2, ins, 1, outs), "MXCPreparedOpInvoke");
  };
  auto prep_alloc = [&] {
    MXCNDArrayHandle out = nullptr;
    Check(MXCPreparedOpInvokeBinary(prep_add, a, b, &out), "MXCPreparedOpInvokeBinary");
    MXCNDArrayFree(out);
  };

  struct Row {
    const char *key, *name;
    std::function<void()> call, raw;
  };
  std::vector<Row> rows = {{"given", "elemwise_add, given output", add_given, raw_add},
                           {"alloc", "elemwise_add, allocated output", add_alloc, raw_add},
                           {"scalar", "_plus_scalar, given output", scalar_given, raw_scalar},
                           {"prep_given", "prepared add, given output", prep_given, raw_add},
                           {"prep_alloc", "prepared add (Binary), allocated", prep_alloc, raw_add}};

  if (count_mode) {
    if (argc < 4) {
      std::fprintf(stderr, "usage: bench_invoke --count CASE N\n");
      return 2;
    }
    for (auto &r : rows)
      if (std::string(argv[2]) == r.key) {
        long reps = std::atol(argv[3]);
        for (long i = 0; i < reps; ++i) r.call();
        Check(MXCNDArrayWaitAll(), "MXCNDArrayWaitAll");
        return 0;
      }
    std::fprintf(stderr, "unknown case %s\n", argv[2]);
    return 2;
  }

  // Results are correct before timing anything, with both engines.
  for (const char *e : {"ThreadedEngine", "NaiveEngine"}) {
    Check(MXCEngineSetType(e), "MXCEngineSetType");
    for (auto &r : rows) {
      std::fill(pc, pc + n, 0.0f);
      r.call();
      Check(MXCNDArrayWaitAll(), "MXCNDArrayWaitAll");
    }
    add_given();
    Check(MXCNDArrayWaitToRead(c), "MXCNDArrayWaitToRead");
    for (int64_t i = 0; i < n; ++i)
      if (pc[i] != pa[i] + pb[i]) {
        std::fprintf(stderr, "elemwise_add gave a wrong result (%s)\n", e);
        return 1;
      }
  }

  const char *engines[2] = {"ThreadedEngine", "NaiveEngine"};
  // [row][engine] per-batch times
  std::vector<std::vector<std::vector<double>>> wall(rows.size(), std::vector<std::vector<double>>(2)),
      cpu(rows.size(), std::vector<std::vector<double>>(2));
  std::vector<std::vector<double>> raw_wall(rows.size()), raw_cpu(rows.size());
  for (int bi = 0; bi < batches; ++bi) {
    for (size_t ri = 0; ri < rows.size(); ++ri) {
      for (int ei = 0; ei < 2; ++ei) {
        Check(MXCEngineSetType(engines[ei]), "MXCEngineSetType");
        Timing t = NsPerCall(rows[ri].call, calls, 1, true);
        wall[ri][ei].push_back(t.wall_ns);
        cpu[ri][ei].push_back(t.cpu_ns);
      }
      Timing t = NsPerCall(rows[ri].raw, calls * 10, 1, false);
      raw_wall[ri].push_back(t.wall_ns);
      raw_cpu[ri].push_back(t.cpu_ns);
    }
  }
  Check(MXCEngineSetType("ThreadedEngine"), "MXCEngineSetType");
  std::printf("small invoke through the C API, %lld float32 elements; median of %d batches of %d calls, engines "
              "interleaved\n",
              static_cast<long long>(n), batches, calls);
  std::printf("%-34s %6s %14s %14s %10s %12s %12s\n", "case", "clock", "Threaded ns", "Naive ns", "raw ns",
              "Thr. overhd", "Naive overhd");
  for (size_t ri = 0; ri < rows.size(); ++ri) {
    double tc = Median(cpu[ri][0]), nc = Median(cpu[ri][1]), rc = Median(raw_cpu[ri]);
    double tw = Median(wall[ri][0]), nw = Median(wall[ri][1]), rw = Median(raw_wall[ri]);
    std::printf("%-34s %6s %14.1f %14.1f %10.1f %12.1f %12.1f\n", rows[ri].name, "cpu", tc, nc, rc, tc - rc, nc - rc);
    std::printf("%-34s %6s %14.1f %14.1f %10.1f %12.1f %12.1f\n", "", "wall", tw, nw, rw, tw - rw, nw - rw);
  }
  std::printf("(cpu: process CPU time, insensitive to waiting for a core on a loaded machine; wall: elapsed time)\n");
  Check(MXCNDArrayWaitAll(), "MXCNDArrayWaitAll");
  for (auto h : {a, b, c}) MXCNDArrayFree(h);
  MXCPreparedOpFree(prep_add);
  return 0;
}
