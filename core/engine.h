// The engine: every piece of work on arrays is pushed here with the variables it reads and writes.
// Nothing above this interface may assume that work runs synchronously.
//
// Two engines implement it (selected by MXC_ENGINE_TYPE or MXCEngineSetType; results are identical bit for bit):
// - ThreadedEngine (default): work runs on a pool of worker threads in dependency order. Reads of one var run
//   concurrently; a write waits for every earlier read and write of its vars; a read waits for earlier writes.
//   Small work whose vars are free may run at once on the pushing thread (see Push's `work`).
// - NaiveEngine: work runs inside Push on the calling thread (for debugging).
//
// What a pushed fn may do (it runs on a worker thread, or on the pushing thread):
// - Push more work. When every var the new work uses is either free or held by the running fn (read: declared
//   in its reads or writes; write: declared in its writes), the new work runs at once, inside the Push call, just as
//   with NaiveEngine. Otherwise it is queued behind the work already pushed on those vars, including the running fn.
// - WaitToRead/WaitToWrite a var it holds: returns at once (the fn already has the access it declared).
// - WaitToRead/WaitToWrite another var: blocks until the work pushed on it before the wait is done; the pool starts
//   a spare thread so the other work keeps running. Waiting for work that itself waits for the running fn (work
//   pushed later on one of its vars) deadlocks, as it would in any engine.
// - WaitAll: not allowed (it would wait for the fn itself); raises a ValueError.
// Errors are never thrown out of Push: a failing fn marks its written vars failed, and the error is raised by the
// next wait on one of them (or WaitAll). Work reading a failed var does not run and passes the error on.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "base.h"

namespace mxc {

namespace engine {
struct Dep;  // a queued dependency (threaded engine)
}  // namespace engine

// A dependency variable: one per storage chunk. Carries the error of a failed write until the next successful one.
class Var {
 public:
  Var() = default;
  Var(const Var &) = delete;
  Var &operator=(const Var &) = delete;
  // The error ("Kind: message" with the operator's name) of the last failed write, or empty. Only read it inside
  // work that uses the var, or after a wait on it.
  std::shared_ptr<const Error> error;
  // Work on a GPU: the point on the device's queue where the last write of this var ends (an event on its stream;
  // see engine::WaitDeviceWrite). Set by that write's work; read with std::atomic_load.
  std::shared_ptr<void> device_point;

  // Threaded-engine state, guarded by `lock` (a spin lock: held for a few instructions at a time).
  std::atomic<bool> lock{false};
  int running_reads = 0;       // reads granted and not finished
  bool running_write = false;  // a write granted and not finished
  engine::Dep *head = nullptr;  // queue of work waiting for this var, in push order
  engine::Dep *tail = nullptr;
};

struct RunContext {
  Device dev;
};

namespace engine {
// Waits until the device has finished the last write of var (after the engine's wait for it): the event that write
// recorded on the device's queue, not the whole queue. No-op for the CPU.
void WaitDeviceWrite(const Device &dev, Var *var);
}  // namespace engine

using EngineFn = std::function<void(const RunContext &)>;

// Work pushed without a std::function (the imperative invoke's hot path: the caller keeps these objects in a pool,
// so pushing allocates nothing). The engine calls Run at most once, then Release exactly once: also when Run does
// not happen (a var it reads has failed). Run may throw, like a pushed fn; Release must not. Work dropped at process
// exit (never started) is neither run nor released.
class EngineOpr {
 public:
  virtual void Run(const RunContext &ctx) = 0;
  virtual void Release() = 0;

 protected:
  ~EngineOpr() = default;
};

class Engine {
 public:
  // `work` passed to Push when the size of the work is unknown (it then always runs on a worker).
  static constexpr int64_t kWorkUnknown = -1;

  virtual ~Engine() = default;
  // Pushes fn. It runs after every earlier write of `reads` and every earlier read/write of `writes` has finished.
  // If fn throws, the vars in `writes` are marked failed with the error (message prefixed by "<name>: ", kind kept);
  // if a var in `reads` has failed, fn does not run and `writes` inherit that error. A var may appear in both lists
  // (read and written: it is a write whose earlier failure is inherited) and more than once.
  // `work`: about how many array elements the work touches; small work (and work == 0: the caller waits for it
  // right away) runs at once on the calling thread when its vars are free. kWorkUnknown: always queued.
  // `name` must stay valid until fn has run (a string literal or a registered operator's name).
  virtual void Push(EngineFn fn, const Device &dev, const std::vector<Var *> &reads,
                    const std::vector<Var *> &writes, const char *name, int64_t work = kWorkUnknown) = 0;
  // Push for an EngineOpr, the vars given as arrays; otherwise exactly as Push.
  virtual void PushOpr(EngineOpr *opr, const Device &dev, Var *const *reads, int nreads, Var *const *writes,
                       int nwrites, const char *name, int64_t work = kWorkUnknown) = 0;
  // Waits for pending writes of var; throws its error if it failed.
  virtual void WaitToRead(Var *var) = 0;
  // Waits for pending reads and writes of var; throws its error if it failed.
  virtual void WaitToWrite(Var *var) = 0;
  // Waits for everything; throws the first error not yet reported by a wait.
  virtual void WaitAll() = 0;
  // Called when the last reference to a var's chunk goes away: `deleter` runs after all pending work on var
  // (at once when there is none). Nothing may use the var afterwards.
  virtual void DeleteVar(Var *var, std::function<void()> deleter) = 0;
  virtual const char *Name() const = 0;

  static Engine *Get();
  // "NaiveEngine" or "ThreadedEngine" (also accepted: "ThreadedEnginePerDevice", "ThreadedEnginePooled"); waits
  // for all pending work first. Errors not yet reported stay pending and are raised by the new engine's waits.
  static void SetType(const std::string &name);
  // Waits until the current engine has no work pending, without raising errors: failed work's errors stay for its
  // results' readers and the next WaitAll.
  static void Drain();
};

}  // namespace mxc
