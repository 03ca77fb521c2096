// Engine selection, the error bookkeeping shared by both engines, and the synchronous (naive) engine.
// The threaded engine is in threaded_engine.cc.
#include <pthread.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <vector>
#include <mutex>

#include "engine.h"
#include "device.h"
#include "engine_impl.h"
#include "profiler.h"

namespace mxc {
namespace engine {

void MarkDeviceWrites(const Device &dev, Var *const *writes, int nwrites) {
  if (dev.type != MXC_GPU || nwrites == 0) return;
  std::shared_ptr<void> point = DeviceRecord(dev);
  for (int i = 0; i < nwrites; ++i) std::atomic_store(&writes[i]->device_point, point);
}

void WaitDeviceWrite(const Device &dev, Var *var) {
  if (dev.type != MXC_GPU) return;
  std::shared_ptr<void> point = std::atomic_load(&var->device_point);
  if (point) DeviceWaitFor(dev, point);
  else DeviceWait(dev);
}

// ---------------------------------------------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------------------------------------------
std::shared_ptr<const Error> CurrentError(const char *name) {
  std::string prefix = std::string(name ? name : "operation") + ": ";
  try {
    throw;
  } catch (const Error &e) {
    return std::make_shared<const Error>(e.kind(), prefix + e.what());
  } catch (const std::bad_alloc &) {
    return std::make_shared<const Error>(ErrorKind::kInternal, prefix + "out of memory");
  } catch (const std::exception &e) {
    return std::make_shared<const Error>(ErrorKind::kInternal, prefix + e.what());
  } catch (...) {
    return std::make_shared<const Error>(ErrorKind::kInternal, prefix + "unknown exception");
  }
}

namespace {
std::mutex g_err_mu;
struct Unreported {
  std::shared_ptr<const Error> err;
  uint64_t seq;
};
// Each error once. Bounded: a program that never waits cannot grow it without limit.
std::vector<Unreported> &UnreportedList() {
  static auto *d = new std::vector<Unreported>();
  return *d;
}
constexpr size_t kMaxUnreported = 1024;
std::atomic<uint64_t> g_seq{0};
}  // namespace

uint64_t NextSeq() { return g_seq.fetch_add(1, std::memory_order_relaxed); }

void AddUnreported(const std::shared_ptr<const Error> &err, uint64_t seq) {
  std::lock_guard<std::mutex> lk(g_err_mu);
  auto &d = UnreportedList();
  // Work reading a failed var passes the same error on: keep it once, with the earliest push.
  for (auto &u : d)
    if (u.err == err) {
      u.seq = std::min(u.seq, seq);
      return;
    }
  if (d.size() >= kMaxUnreported) {  // drop the newest
    auto newest = std::max_element(d.begin(), d.end(),
                                   [](const Unreported &x, const Unreported &y) { return x.seq < y.seq; });
    if (newest->seq < seq) return;
    d.erase(newest);
  }
  d.push_back(Unreported{err, seq});
}

void RemoveUnreported(const std::shared_ptr<const Error> &err) {
  std::lock_guard<std::mutex> lk(g_err_mu);
  auto &d = UnreportedList();
  for (auto it = d.begin(); it != d.end(); ++it)
    if (it->err == err) {
      d.erase(it);
      return;
    }
}

std::shared_ptr<const Error> TakeFirstUnreported() {
  std::lock_guard<std::mutex> lk(g_err_mu);
  auto &d = UnreportedList();
  if (d.empty()) return nullptr;
  auto first = std::min_element(d.begin(), d.end(),
                                [](const Unreported &x, const Unreported &y) { return x.seq < y.seq; });
  auto err = first->err;
  d.clear();
  return err;
}

void Raise(const std::shared_ptr<const Error> &err) { throw Error(err->kind(), err->what()); }

}  // namespace engine

namespace {

using engine::AddUnreported;

// ---------------------------------------------------------------------------------------------------------------
// NaiveEngine: work runs inside Push on the calling thread. Errors are recorded on the written vars and raised at
// waits, exactly as with the threaded engine, so code above the engine cannot come to depend on synchronous errors.
// One (recursive) lock serialises work pushed from several threads, which would otherwise race on shared arrays.
// ---------------------------------------------------------------------------------------------------------------
class NaiveEngine : public Engine {
 public:
  void Push(EngineFn fn, const Device &dev, const std::vector<Var *> &reads, const std::vector<Var *> &writes,
            const char *name, int64_t) override {
    Run([&](const RunContext &ctx) { fn(ctx); }, dev, reads.data(), static_cast<int>(reads.size()), writes.data(),
        static_cast<int>(writes.size()), name);
  }
  void PushOpr(EngineOpr *opr, const Device &dev, Var *const *reads, int nreads, Var *const *writes, int nwrites,
               const char *name, int64_t) override {
    struct Releaser {  // after the work (and the lock), whether it ran or not
      EngineOpr *o;
      ~Releaser() { o->Release(); }
    } rel{opr};
    Run([opr](const RunContext &ctx) { opr->Run(ctx); }, dev, reads, nreads, writes, nwrites, name);
  }
  void WaitToRead(Var *var) override { RaiseIfFailed(var); }
  void WaitToWrite(Var *var) override { RaiseIfFailed(var); }
  void WaitAll() override {
    auto err = engine::TakeFirstUnreported();
    if (err) engine::Raise(err);
  }
  void DeleteVar(Var *, std::function<void()> deleter) override { deleter(); }
  const char *Name() const override { return "NaiveEngine"; }

 private:
  template <typename F>
  void Run(const F &f, const Device &dev, Var *const *reads, int nreads, Var *const *writes, int nwrites,
           const char *name) {
    std::lock_guard<std::recursive_mutex> lk(mu_);
    uint64_t seq = engine::NextSeq();
    std::shared_ptr<const Error> err;
    for (int i = 0; i < nreads; ++i)
      if (reads[i]->error) {
        err = reads[i]->error;
        break;
      }
    for (int i = 0; i < nwrites && !err; ++i)  // a var both read and written
      if (writes[i]->error && std::find(reads, reads + nreads, writes[i]) != reads + nreads) err = writes[i]->error;
    if (!err) {
      try {
        {
          profiler::Scope timed(profiler::kImperative, name, dev);
          f(RunContext{dev});
        }
        engine::MarkDeviceWrites(dev, writes, nwrites);
      } catch (...) {
        err = engine::CurrentError(name);
      }
    }
    for (int i = 0; i < nwrites; ++i) writes[i]->error = err;
    if (err) AddUnreported(err, seq);
  }
  void RaiseIfFailed(Var *var) {
    std::shared_ptr<const Error> err;
    {
      std::lock_guard<std::recursive_mutex> lk(mu_);
      err = var->error;
    }
    if (!err) return;
    engine::RemoveUnreported(err);
    engine::Raise(err);
  }
  std::recursive_mutex mu_;
};

// ---------------------------------------------------------------------------------------------------------------
// Selection. Engines are created once and never destroyed: arrays released during process exit still reach a live
// engine, and a thread that read Engine::Get() just before SetType still pushes to a valid object.
// ---------------------------------------------------------------------------------------------------------------
std::mutex g_engine_mu;
std::atomic<Engine *> g_current{nullptr};
NaiveEngine *g_naive = nullptr;
engine::ThreadedEngineBase *g_threaded = nullptr;

// Runs at process exit (or when the library is unloaded): stops the workers cleanly while the rest of the library
// is still intact. Constructed when the threaded engine is, so it is destroyed before statics constructed earlier.
struct ExitHook {
  ~ExitHook() {
    if (g_threaded) g_threaded->Shutdown();
  }
};

void ForkPrepare() {
  if (g_threaded) g_threaded->BeforeFork();
}
void ForkAfter() {
  if (g_threaded) g_threaded->AfterFork();
}

enum class Kind { kNaive, kThreaded, kUnknown };
Kind KindOf(const std::string &name) {
  if (name == "NaiveEngine") return Kind::kNaive;
  if (name.empty() || name == "ThreadedEngine" || name == "ThreadedEnginePerDevice" ||
      name == "ThreadedEnginePooled")
    return Kind::kThreaded;
  return Kind::kUnknown;
}

// Caller holds g_engine_mu.
Engine *Instance(Kind kind) {
#ifdef MXC_ENGINE_NAIVE_ONLY
  // Builds without threads (WebAssembly, bindings/js) run every engine type synchronously.
  kind = Kind::kNaive;
#endif
  if (kind == Kind::kNaive) {
    if (!g_naive) g_naive = new NaiveEngine();
    return g_naive;
  }
  if (!g_threaded) {
    g_threaded = engine::CreateThreadedEngine();
    static ExitHook hook;
    (void)hook;
    pthread_atfork(ForkPrepare, ForkAfter, ForkAfter);
  }
  return g_threaded;
}

}  // namespace

Engine *Engine::Get() {
  Engine *e = g_current.load(std::memory_order_acquire);
  if (e) return e;
  std::lock_guard<std::mutex> lk(g_engine_mu);
  e = g_current.load(std::memory_order_relaxed);
  if (!e) {
    const char *env = std::getenv("MXC_ENGINE_TYPE");
    std::string name = env ? env : "";
    Kind kind = KindOf(name);
    if (kind == Kind::kUnknown) {
      std::fprintf(stderr, "mxc: unknown MXC_ENGINE_TYPE '%s' (NaiveEngine or ThreadedEngine); using ThreadedEngine\n",
                   name.c_str());
      kind = Kind::kThreaded;
    }
    e = Instance(kind);
    g_current.store(e, std::memory_order_release);
  }
  return e;
}

void Engine::Drain() {
  Engine *cur = Get();
  if (cur == g_threaded) g_threaded->Drain();  // the naive engine runs work as it is pushed: nothing is pending
}

void Engine::SetType(const std::string &name) {
  Kind kind = KindOf(name);
  if (kind == Kind::kUnknown)
    Throw(ErrorKind::kValue, "unknown engine type '", name, "' (NaiveEngine or ThreadedEngine)");
  Engine *cur = Get();
  std::lock_guard<std::mutex> lk(g_engine_mu);
  Engine *next = Instance(kind);
  if (next == cur) return;
  // Finish the current engine's work; its errors stay in the shared list and on the vars.
  if (cur == g_threaded) g_threaded->Drain();
  g_current.store(next, std::memory_order_release);
}

}  // namespace mxc
