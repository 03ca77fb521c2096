// The synchronous (naive) engine. Work runs at Push; errors are recorded on the written vars and raised at waits,
// exactly as an asynchronous engine must do, so code above the engine cannot come to depend on synchronous errors.
#include "engine.h"

#include <cstdlib>
#include <deque>
#include <mutex>

namespace mxc {

namespace {

std::shared_ptr<const Error> FirstReadError(const std::vector<Var *> &reads) {
  for (Var *v : reads)
    if (v->error) return v->error;
  return nullptr;
}

class NaiveEngine : public Engine {
 public:
  void Push(EngineFn fn, const Device &dev, const std::vector<Var *> &reads, const std::vector<Var *> &writes,
            const char *name) override {
    std::shared_ptr<const Error> err = FirstReadError(reads);
    if (!err) {
      try {
        fn(RunContext{dev});
      } catch (const Error &e) {
        err = std::make_shared<Error>(e.kind(), std::string(name) + ": " + e.what());
      } catch (const std::bad_alloc &) {
        err = std::make_shared<Error>(ErrorKind::kInternal, std::string(name) + ": out of memory");
      } catch (const std::exception &e) {
        err = std::make_shared<Error>(ErrorKind::kInternal, std::string(name) + ": " + e.what());
      }
    }
    for (Var *v : writes) v->error = err;
    if (err) {
      std::lock_guard<std::mutex> lk(mu_);
      unreported_.push_back(err);
    }
  }
  void WaitToRead(Var *var) override { Raise(var); }
  void WaitToWrite(Var *var) override { Raise(var); }
  void WaitAll() override {
    std::shared_ptr<const Error> err;
    {
      std::lock_guard<std::mutex> lk(mu_);
      if (!unreported_.empty()) err = unreported_.front();
      unreported_.clear();
    }
    if (err) throw Error(err->kind(), err->what());
  }
  void DeleteVar(Var *, std::function<void()> deleter) override { deleter(); }
  const char *Name() const override { return "NaiveEngine"; }

 private:
  void Raise(Var *var) {
    if (!var->error) return;
    auto err = var->error;
    {
      std::lock_guard<std::mutex> lk(mu_);
      for (auto it = unreported_.begin(); it != unreported_.end(); ++it)
        if (*it == err) {
          unreported_.erase(it);
          break;
        }
    }
    throw Error(err->kind(), err->what());
  }
  std::mutex mu_;
  std::deque<std::shared_ptr<const Error>> unreported_;
};

std::mutex g_engine_mu;
// Never destroyed: arrays released during process exit still reach a live engine.
std::unique_ptr<Engine> &EngineSlot() {
  static auto *e = new std::unique_ptr<Engine>();
  return *e;
}

std::unique_ptr<Engine> CreateEngine(const std::string &name) {
  if (name == "NaiveEngine" || name.empty() || name == "ThreadedEngine" || name == "ThreadedEnginePerDevice")
    return std::unique_ptr<Engine>(new NaiveEngine());
  Throw(ErrorKind::kValue, "unknown engine type '", name, "' (NaiveEngine or ThreadedEngine)");
}

}  // namespace

Engine *Engine::Get() {
  auto &slot = EngineSlot();
  Engine *e = slot.get();
  if (e) return e;
  std::lock_guard<std::mutex> lk(g_engine_mu);
  if (!slot) {
    const char *env = std::getenv("MXC_ENGINE_TYPE");
    std::string name = env ? env : "";
    try {
      slot = CreateEngine(name);
    } catch (const Error &) {
      slot = CreateEngine("NaiveEngine");
    }
  }
  return slot.get();
}

void Engine::SetType(const std::string &name) {
  auto next = CreateEngine(name);
  Get()->WaitAll();
  std::lock_guard<std::mutex> lk(g_engine_mu);
  EngineSlot() = std::move(next);
}

}  // namespace mxc
