// Private to the engines (engine.cc, threaded_engine.cc): error bookkeeping shared by both engines, so that
// switching engines keeps errors not yet reported, and the threaded engine's factory.
#pragma once

#include <exception>
#include <memory>
#include <string>

#include "engine.h"

namespace mxc {
namespace engine {

// The error of work `name` that threw the exception in flight (call inside a catch block): "name: message", with
// the kind of an Error kept (other exceptions become InternalError).
std::shared_ptr<const Error> CurrentError(const char *name);

// Errors of failed work not yet raised by a wait. A wait that raises an error removes it; WaitAll raises the one of
// the work pushed first (`seq`: the push order, from NextSeq), so both engines raise the same error.
uint64_t NextSeq();
void AddUnreported(const std::shared_ptr<const Error> &err, uint64_t seq);
void RemoveUnreported(const std::shared_ptr<const Error> &err);
std::shared_ptr<const Error> TakeFirstUnreported();  // and forgets all others

// After work on a GPU ran without error: records the point its kernels end on the device's queue and gives it to
// every var it wrote (deps: the vars with write set). No-op for the CPU.
void MarkDeviceWrites(const Device &dev, Var *const *writes, int nwrites);

// Raises a copy of err (kind and message).
[[noreturn]] void Raise(const std::shared_ptr<const Error> &err);

// The threaded engine, and whether it has work pending (for SetType and the exit/fork hooks).
class ThreadedEngineBase : public Engine {
 public:
  // Waits until no work is pending, without raising errors.
  virtual void Drain() = 0;
  // At process exit or library unload: work not yet started is dropped, running work finishes, workers are joined.
  // Afterwards work runs synchronously on the pushing thread.
  virtual void Shutdown() = 0;
  // Around fork(): prepare drains and stops the workers; the workers restart on demand afterwards (in the parent
  // and in the child).
  virtual void BeforeFork() = 0;
  virtual void AfterFork() = 0;
};
ThreadedEngineBase *CreateThreadedEngine();

}  // namespace engine
}  // namespace mxc
