// The profiler (MXNet's mx.profiler): timed events recorded while it runs, written as a Chrome trace-event file
// (chrome://tracing, Perfetto) and summed into per-name statistics (count, total, min, max, average).
//
// What records: the engines time every piece of work they run (category "operator": imperative operators by their
// registered names, an executor's whole forward/backward as "Executor.forward"/"Executor.backward"); executors time
// each node inside it (the operator's name, the node's name in the event's args); the C API times its calls
// (category "MXNET_C_API"); the CPU storage pool samples the bytes in use ("Device Storage"); and the user-side
// objects (domains, tasks, frames, events, counters, markers). Work on a GPU is timed on the host while its kernels
// are queued (category "operator (enqueue time)"): it measures the launch, not the kernels.
//
// Cost when stopped: every recording site first loads Active() (one relaxed atomic load) and does nothing else.
// Thread safety: each thread appends to its own buffer (a mutex per buffer, uncontended except during a dump);
// buffers are merged when the profile is dumped.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>

#include "base.h"

namespace mxc {
namespace profiler {

// What is recorded (bits of Active()).
enum Mode : unsigned {
  kImperative = 1,  // engine work
  kSymbolic = 2,    // executor nodes
  kMemory = 4,      // storage counters
  kAPI = 8,         // C API calls
  kUser = 16,       // domains, tasks, frames, events, counters, markers
};

extern std::atomic<unsigned> g_active;  // the modes recording now: 0 while stopped or paused
inline unsigned Active() { return g_active.load(std::memory_order_relaxed); }

int64_t NowNs();  // steady clock, nanoseconds

// A complete event [begin, end) on this thread, in the trace process of dev (nullptr: of its category).
void RecordDuration(const std::string &name, const std::string &cat, const Device *dev, int64_t begin_ns,
                    int64_t end_ns, const char *node = nullptr);
void RecordCounter(const std::string &name, const std::string &cat, int64_t value);
void RecordInstant(const std::string &name, const std::string &cat, char scope);

// Control (the C API's MXCProfiler*). Errors are thrown (ValueError naming the argument, IOError).
void SetConfig(int num, const char *const *keys, const char *const *vals);
void SetState(bool run);
void Pause(bool paused);
void Dump(bool finished);  // writes the trace file; finished: forgets the events written
// The aggregate statistics. format 0 table, 1 JSON; sort_by 0 total, 1 avg, 2 min, 3 max, 4 count.
std::string Dumps(bool reset, int format, int sort_by, bool ascending);

// Times the enclosing scope as one event when `mode` is recording at its start. Never throws. While the profiler
// is stopped it costs the load of Active() and a test: the other members are set only when recording (Begin and End
// are out of line and marked cold, so the recording code stays off the hot path).
class Scope {
 public:
  // node: the executor node's name, written in the event's args.
  Scope(unsigned mode, const char *name, const Device &dev, const char *node = nullptr) noexcept
      : name_(Active() & mode ? name : nullptr) {
    if (name_) Begin(dev, node);
  }
  ~Scope() {
    if (name_) End();
  }
  Scope(const Scope &) = delete;
  Scope &operator=(const Scope &) = delete;

 private:
  [[gnu::cold]] void Begin(const Device &dev, const char *node) noexcept;
  [[gnu::cold]] void End() noexcept;
  const char *name_;
  const char *node_;
  int dev_type_, dev_id_;
  int64_t t0_;
};

// The CPU storage pool's bytes in use changed (call with kMemory active).
[[gnu::cold]] void RecordMemory(const Device &dev, int64_t bytes_in_use) noexcept;

// The C API's entry points: the MXC_API functions' bodies are timed by API_BEGIN/API_END (c_api_common.h).
class ApiScope {
 public:
  explicit ApiScope(const char *fn) noexcept : fn_(Active() & kAPI ? fn : nullptr) {
    if (fn_) Begin();
  }
  ~ApiScope() {
    if (fn_) End();
  }
  ApiScope(const ApiScope &) = delete;
  ApiScope &operator=(const ApiScope &) = delete;

 private:
  [[gnu::cold]] void Begin() noexcept;
  [[gnu::cold]] void End() noexcept;
  const char *fn_;
  int64_t t0_;
};

}  // namespace profiler
}  // namespace mxc
