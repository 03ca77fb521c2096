// The engine: every piece of work on arrays is pushed here with the variables it reads and writes.
// Nothing above this interface may assume that work runs synchronously.
#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "base.h"

namespace mxc {

// A dependency variable: one per storage chunk. Carries the error of a failed write until the next successful one.
class Var {
 public:
  // The error ("Kind: message" with the operator's name) of the last failed write, or empty.
  std::shared_ptr<const Error> error;
  // Engine-private state (the threaded engine keeps its queue here).
  void *engine_state = nullptr;
};

struct RunContext {
  Device dev;
};

using EngineFn = std::function<void(const RunContext &)>;

class Engine {
 public:
  virtual ~Engine() = default;
  // Pushes fn. It runs after every earlier write of `reads` and every earlier read/write of `writes` has finished.
  // If fn throws an Error, the vars in `writes` are marked failed with it (prefixed by `name`); if a var in `reads`
  // has failed, fn does not run and `writes` inherit that error.
  virtual void Push(EngineFn fn, const Device &dev, const std::vector<Var *> &reads,
                    const std::vector<Var *> &writes, const char *name) = 0;
  // Waits for pending writes of var; throws its error if it failed.
  virtual void WaitToRead(Var *var) = 0;
  // Waits for pending reads and writes of var; throws its error if it failed.
  virtual void WaitToWrite(Var *var) = 0;
  // Waits for everything; throws the first error not yet reported by a wait.
  virtual void WaitAll() = 0;
  // Called when the last reference to a var's chunk goes away: `deleter` runs after all pending work on var.
  virtual void DeleteVar(Var *var, std::function<void()> deleter) = 0;
  virtual const char *Name() const = 0;

  static Engine *Get();
  // "NaiveEngine" or "ThreadedEngine"; waits for all pending work first.
  static void SetType(const std::string &name);
};

}  // namespace mxc
