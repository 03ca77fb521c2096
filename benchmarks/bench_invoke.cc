// Per-call cost of a small imperative invoke through the C API, against the raw loop it performs.
//
// Cases (10 float32 elements): elemwise_add into a given output, elemwise_add with the output allocated by the
// library (and freed by the caller, as every binding must), and _plus_scalar (one parameter parsed from a string)
// into a given output. Each case runs in batches of calls; the median over batches of the time per call is
// reported, and the library overhead is that minus the raw loop's time per call.
//
//   bench_invoke [calls_per_batch] [batches]     (default 20000 25)
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <functional>
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
  const int calls = argc > 1 ? std::atoi(argv[1]) : 20000;
  const int batches = argc > 2 ? std::atoi(argv[2]) : 25;
  const int64_t n = 10;
  const char *engine = "";
  Check(MXCEngineGetType(&engine), "MXCEngineGetType");

  MXCOpHandle add, plus_scalar;
  Check(MXCOpGetHandle("elemwise_add", &add), "MXCOpGetHandle(elemwise_add)");
  Check(MXCOpGetHandle("_plus_scalar", &plus_scalar), "MXCOpGetHandle(_plus_scalar)");
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

  // Results are correct before timing anything.
  add_given();
  Check(MXCNDArrayWaitToRead(c), "MXCNDArrayWaitToRead");
  for (int64_t i = 0; i < n; ++i)
    if (pc[i] != pa[i] + pb[i]) {
      std::fprintf(stderr, "elemwise_add gave a wrong result\n");
      return 1;
    }

  struct Row {
    const char *name;
    std::function<void()> call, raw;
  };
  std::vector<Row> rows = {{"elemwise_add, given output", add_given, raw_add},
                           {"elemwise_add, allocated output", add_alloc, raw_add},
                           {"_plus_scalar, given output", scalar_given, raw_scalar}};
  std::printf("small invoke through MXCOpInvoke, %lld float32 elements, engine %s; median of %d batches of %d calls\n",
              static_cast<long long>(n), engine, batches, calls);
  std::printf("%-32s %6s %12s %12s %12s\n", "case", "clock", "invoke ns", "raw loop ns", "overhead ns");
  for (auto &r : rows) {
    Timing t_call = NsPerCall(r.call, calls, batches, true);
    Timing t_raw = NsPerCall(r.raw, calls * 10, batches, false);
    std::printf("%-32s %6s %12.1f %12.1f %12.1f\n", r.name, "cpu", t_call.cpu_ns, t_raw.cpu_ns,
                t_call.cpu_ns - t_raw.cpu_ns);
    std::printf("%-32s %6s %12.1f %12.1f %12.1f\n", "", "wall", t_call.wall_ns, t_raw.wall_ns,
                t_call.wall_ns - t_raw.wall_ns);
    std::fflush(stdout);
  }
  std::printf("(cpu: process CPU time, insensitive to waiting for a core on a loaded machine; wall: elapsed time)\n");
  Check(MXCNDArrayWaitAll(), "MXCNDArrayWaitAll");
  for (auto h : {a, b, c}) MXCNDArrayFree(h);
  return 0;
}
