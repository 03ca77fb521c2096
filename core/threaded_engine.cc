// The threaded dependency engine.
//
// Each Var keeps a FIFO queue of the work waiting for it, plus how it is held right now (several reads, or one
// write). Pushed work carries one Dep per var it uses and a counter of deps not yet granted; the thread that grants
// the last one makes the work ready. Registering all deps of one piece of work happens under one lock (push_mu_),
// so two pieces of work pushed concurrently from two threads are queued in the same order on every var they share
// (otherwise each could end up waiting for the other).
//
// Ready work runs on a pool of worker threads (MXC_ENGINE_NUM_THREADS or MXC_CPU_WORKER_NTHREADS, default: the
// number of CPUs this process may use). A worker that finishes work runs the first piece of work it made ready
// itself (chains stay on one thread, no hand-off). Small work whose vars are all free runs at once on the pushing
// thread: handing a 10-element add to another thread costs more than the add (see benchmarks/bench_engine.cc).
//
// Parallel kernels: OpenMP loops inside work use omp_get_max_threads() threads; each worker sets it, before each
// piece of work, to (cores / pieces of work running now), so one big operator gets every core and several running
// at once share them instead of oversubscribing. OpenBLAS (pthreads build) serialises concurrent multi-threaded
// calls internally, so BLAS calls from several workers do not oversubscribe either.
#include <sched.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <deque>
#include <mutex>
#include <thread>
#include <vector>

#include "engine_impl.h"
#include "profiler.h"

#ifdef _OPENMP
#include <omp.h>
#endif

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define MXC_CPU_RELAX() _mm_pause()
#else
#define MXC_CPU_RELAX() ((void)0)
#endif

namespace mxc {
namespace engine {

struct OprBlock;

// One dependency of a piece of work on a var; also the node of that var's wait queue.
struct Dep {
  Var *var = nullptr;
  OprBlock *op = nullptr;
  Dep *next = nullptr;
  bool write = false;
  bool check = false;  // a read: a failure of the var is inherited
  bool held = false;   // held by work running on this thread (nested push): not registered on the var
};

enum class OpKind : uint8_t { kNormal, kWait, kDelete };

struct Waiter {
  std::mutex mu;
  std::condition_variable cv;
  std::atomic<bool> ready{false};
};

// How long a thread about to sleep (a waiter, an idle worker) first polls: waking a sleeping thread costs tens of
// microseconds, and the work it waits for is often about to arrive. MXC_ENGINE_SPIN_US (waiters), default 50;
// MXC_ENGINE_WORKER_SPIN_US (idle workers), default 0: a worker polling for work takes the next large operation
// before the thread that pushed it and then waits for it can take it back (WaitForVar runs queued work itself), and
// the hand-off then costs two wake-ups (the pushed 1,000,000-element add waited on at once: ~1.2x slower polling).
// Polling only pays while a core is free: work with a parallel kernel running (g_parallel_running > 0) has every
// core busy, and a polling thread would take one from it (a 1,000,000-element add waited on at once measured
// ~1.3x slower with the waiter polling on this 2-core machine). So a thread polls only while none runs, and stops
// polling (goes to sleep) as soon as one starts.
int g_spin_us = -1;
int g_worker_spin_us = -1;
std::atomic<int> g_parallel_running{0};

// Work of at least this many elements touched (or of unknown size) is taken to run a parallel kernel: the kernels'
// OpenMP loops split from 2^15 elements (kParallelGrain in core/ops/op_util.h), BLAS calls are of unknown size.
constexpr int64_t kParallelWork = int64_t(1) << 15;

// Polls pred for up to g_spin_us microseconds, while no parallel work runs; returns whether it became true.
template <typename Pred>
bool SpinFor(Pred pred, int spin_us = g_spin_us) {
  if (spin_us <= 0) return pred();
  auto end = std::chrono::steady_clock::now() + std::chrono::microseconds(spin_us);
  for (int i = 0;; ++i) {
    if (pred()) return true;
    if ((i & 15) == 15) {
      if (g_parallel_running.load(std::memory_order_relaxed) > 0) return pred();
      if (std::chrono::steady_clock::now() > end) return false;
      sched_yield();
    } else {
      MXC_CPU_RELAX();
    }
  }
}

constexpr int kInlineDeps = 6;

struct OprBlock {
  EngineFn fn;
  EngineOpr *opr = nullptr;       // instead of fn (PushOpr); released by FreeOp
  std::function<void()> deleter;  // kDelete
  Device dev;
  const char *name = nullptr;
  uint64_t seq = 0;          // push order (for WaitAll's choice of error)
  bool parallel = true;      // may run a parallel kernel (see kParallelWork)
  std::atomic<int> wait{0};  // deps not yet granted (+1 while being pushed)
  OpKind kind = OpKind::kNormal;
  int ndeps = 0;
  Dep *deps = nullptr;
  Dep inline_deps[kInlineDeps];
  std::vector<Dep> heap_deps;
  OprBlock *parent = nullptr;  // the work this one runs inside (same thread), while running
  Waiter *waiter = nullptr;    // kWait

  void SetDeps(int n) {
    ndeps = n;
    if (n <= kInlineDeps) {
      deps = inline_deps;
      for (int i = 0; i < n; ++i) deps[i] = Dep();
    } else {
      heap_deps.assign(n, Dep());
      deps = heap_deps.data();
    }
  }
};

namespace {

// A spin lock on Var::lock. Critical sections are a few instructions; yield if the holder was preempted.
class SpinGuard {
 public:
  explicit SpinGuard(std::atomic<bool> &l) : l_(l) {
    for (int spins = 0;;) {
      if (!l_.exchange(true, std::memory_order_acquire)) return;
      while (l_.load(std::memory_order_relaxed)) {
        if (++spins < 64) MXC_CPU_RELAX();
        else sched_yield();
      }
    }
  }
  ~SpinGuard() { l_.store(false, std::memory_order_release); }
  SpinGuard(const SpinGuard &) = delete;
  SpinGuard &operator=(const SpinGuard &) = delete;

 private:
  std::atomic<bool> &l_;
};

// Work made ready while releasing a var; dispatched after the var's lock is dropped.
class ReadyList {
 public:
  void Add(OprBlock *op) {
    if (n_ < kInline) a_[n_++] = op;
    else more_.push_back(op);
  }
  int size() const { return n_ + static_cast<int>(more_.size()); }
  OprBlock *operator[](int i) const { return i < kInline ? a_[i] : more_[i - kInline]; }

 private:
  static constexpr int kInline = 8;
  OprBlock *a_[kInline];
  int n_ = 0;
  std::vector<OprBlock *> more_;
};

// Var queue operations; the caller holds the var's lock.
// Grants dep at once when the var allows it, else queues it. Returns whether it was granted.
bool Append(Var *v, Dep *d) {
  if (!v->running_write && v->head == nullptr && (!d->write || v->running_reads == 0)) {
    if (d->write) v->running_write = true;
    else ++v->running_reads;
    return true;
  }
  d->next = nullptr;
  if (v->tail) v->tail->next = d;
  else v->head = d;
  v->tail = d;
  return false;
}

void Granted(Dep *d, ReadyList *ready) {
  OprBlock *op = d->op;  // d belongs to op: do not touch it once the count may have reached zero elsewhere
  if (op->wait.fetch_sub(1, std::memory_order_acq_rel) == 1) ready->Add(op);
}

Dep *PopHead(Var *v) {
  Dep *d = v->head;
  v->head = d->next;
  if (!v->head) v->tail = nullptr;
  return d;
}

// After a release: grant what the var now allows, in queue order.
void GrantFromQueue(Var *v, ReadyList *ready) {
  if (v->running_write) return;
  while (v->head && !v->head->write) {
    Dep *d = PopHead(v);
    ++v->running_reads;
    Granted(d, ready);
  }
  if (v->running_reads == 0 && v->head) {
    Dep *d = PopHead(v);
    v->running_write = true;
    Granted(d, ready);
  }
}

void ReleaseDep(Dep *d, ReadyList *ready) {
  Var *v = d->var;
  bool write = d->write;
  SpinGuard g(v->lock);
  if (write) v->running_write = false;
  else --v->running_reads;
  GrantFromQueue(v, ready);
}

bool VarIdle(Var *v) { return !v->running_write && v->running_reads == 0 && v->head == nullptr; }

int EnvInt(const char *name, int def) {
  const char *s = std::getenv(name);
  if (!s || !*s) return def;
  char *end = nullptr;
  long v = std::strtol(s, &end, 10);
  return (end && *end == '\0') ? static_cast<int>(v) : def;
}

int NumCPUs() {
#ifdef __linux__
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof(set), &set) == 0) {
    int n = CPU_COUNT(&set);
    if (n > 0) return n;
  }
#endif
  unsigned n = std::thread::hardware_concurrency();
  return n ? static_cast<int>(n) : 1;
}

// Operation records: a few kept per thread for reuse (work run inline is allocated and freed on the same thread).
struct OpCache {
  static constexpr int kSize = 4;
  OprBlock *blocks[kSize];
  int n = 0;
  ~OpCache() {
    while (n > 0) delete blocks[--n];
  }
};
thread_local OpCache tls_op_cache;

OprBlock *NewOp() {
  OpCache &c = tls_op_cache;
  if (c.n > 0) return c.blocks[--c.n];
  return new OprBlock();
}

// Destroys the work's closure (which may free arrays) and recycles the record.
void FreeOp(OprBlock *op) {
  if (op->opr) {
    EngineOpr *o = op->opr;
    op->opr = nullptr;
    o->Release();
  }
  op->fn = nullptr;
  op->deleter = nullptr;
  OpCache &c = tls_op_cache;
  if (c.n < OpCache::kSize && op->heap_deps.capacity() <= 64) {
    op->kind = OpKind::kNormal;
    op->parent = nullptr;
    op->waiter = nullptr;
    c.blocks[c.n++] = op;
  } else {
    delete op;
  }
}

// Per thread: the innermost work running on it, whether it is a pool worker, its OpenMP thread setting.
thread_local OprBlock *tls_current = nullptr;
thread_local bool tls_worker = false;
thread_local int tls_omp_threads = 0;
thread_local Waiter tls_waiter;

// Whether work running on this thread holds var (for a write: holds it for writing).
bool HeldHere(const Var *v, bool write) {
  for (OprBlock *o = tls_current; o; o = o->parent)
    for (int i = 0; i < o->ndeps; ++i) {
      const Dep &d = o->deps[i];
      if (d.var == v && (d.write || !write)) return true;
    }
  return false;
}

class ThreadedEngine;

// Worker threads. Started on demand up to `target`; a worker blocked in a wait is replaced by a spare one.
class WorkerPool {
 public:
  WorkerPool(ThreadedEngine *engine, int target) : engine_(engine), target_(std::max(1, target)) {}

  void Push(OprBlock *op) {
    bool spawn = false, wake = false;
    {
      std::lock_guard<std::mutex> lk(mu_);
      q_.push_back(op);
      wake = idle_ > 0;
      spawn = static_cast<int>(q_.size()) > idle_ && alive_ - blocked_ < target_ && !stop_;
      if (spawn) SpawnLocked();
    }
    qsize_.fetch_add(1, std::memory_order_release);
    if (wake) cv_.notify_one();
  }

  // Around a blocking wait on a worker thread.
  void BeginBlocking() {
    std::lock_guard<std::mutex> lk(mu_);
    ++blocked_;
    if (!q_.empty() && idle_ == 0 && alive_ - blocked_ < target_ && !stop_) SpawnLocked();
  }
  void EndBlocking() {
    std::lock_guard<std::mutex> lk(mu_);
    --blocked_;
  }

  // Stops the workers: each finishes the work it is running; queued work is dropped (cancel) unless the queue
  // is empty anyway (drained before). Returns whether all workers were joined (a worker blocked forever in a
  // wait is left detached, never waited for). Called from a worker itself, it only asks the others to stop.
  bool Stop() {
    std::unique_lock<std::mutex> lk(mu_);
    stop_ = true;
    cv_.notify_all();
    if (tls_worker) return false;
    exit_cv_.wait(lk, [&] { return alive_ - blocked_ <= 0; });
    bool all = blocked_ == 0;
    std::vector<std::thread> threads;
    threads.swap(threads_);
    lk.unlock();
    for (auto &t : threads) {
      if (all) t.join();
      else t.detach();
    }
    return all;
  }

  // After Stop (fork): accept work again, with fresh threads.
  void Restart() {
    std::lock_guard<std::mutex> lk(mu_);
    stop_ = false;
  }

  // In a forked child whose parent could not stop its workers: forget threads that do not exist here.
  void ForgetThreads() {
    new (&mu_) std::mutex();
    new (&cv_) std::condition_variable();
    new (&exit_cv_) std::condition_variable();
    auto *lost = new std::vector<std::thread>();  // leaked on purpose: joinable threads of the parent
    lost->swap(threads_);
    q_.clear();
    qsize_.store(0);
    alive_ = idle_ = blocked_ = 0;
  }

  bool stopping() const { return stop_flag_.load(std::memory_order_relaxed); }

  // Takes queued (ready, not started) work that writes var out of the queue, for a thread about to wait for it to
  // run it itself: no hand-off to a worker and back. nullptr when there is none.
  OprBlock *TakeWriterOf(const Var *var) {
    if (qsize_.load(std::memory_order_acquire) == 0) return nullptr;
    std::lock_guard<std::mutex> lk(mu_);
    for (auto it = q_.begin(); it != q_.end(); ++it) {
      OprBlock *op = *it;
      for (int i = 0; i < op->ndeps; ++i)
        if (op->deps[i].var == var && op->deps[i].write) {
          q_.erase(it);
          qsize_.fetch_sub(1, std::memory_order_relaxed);
          return op;
        }
    }
    return nullptr;
  }

 private:
  void SpawnLocked() {
    ++alive_;
    threads_.emplace_back([this] { Run(); });
  }
  void Run();

  ThreadedEngine *engine_;
  int target_;
  std::mutex mu_;
  std::condition_variable cv_, exit_cv_;
  std::deque<OprBlock *> q_;
  std::atomic<int> qsize_{0};  // q_.size(), readable without the lock (for idle workers polling)
  std::vector<std::thread> threads_;
  int alive_ = 0, idle_ = 0, blocked_ = 0;
  bool stop_ = false;
  std::atomic<bool> stop_flag_{false};
  friend class ThreadedEngine;
};

class ThreadedEngine : public ThreadedEngineBase {
 public:
  ThreadedEngine() : pool_(this, NumWorkers()) {
#ifdef _OPENMP
    cores_ = std::max(1, omp_get_max_threads());
#endif
    inline_max_ = EnvInt("MXC_ENGINE_INLINE_WORK", kDefaultInlineWork);
    g_spin_us = EnvInt("MXC_ENGINE_SPIN_US", 50);
    g_worker_spin_us = EnvInt("MXC_ENGINE_WORKER_SPIN_US", 0);
  }

  const char *Name() const override { return "ThreadedEngine"; }

  void Push(EngineFn fn, const Device &dev, const std::vector<Var *> &reads, const std::vector<Var *> &writes,
            const char *name, int64_t work) override {
    const int nr = static_cast<int>(reads.size()), nw = static_cast<int>(writes.size());
    if (shut_down_.load(std::memory_order_acquire)) {
      RunUnregistered([&](const RunContext &ctx) { fn(ctx); }, dev, reads.data(), nr, writes.data(), nw, name);
      return;
    }
    OprBlock *op = NewOp();
    op->fn = std::move(fn);
    PushBlock(op, dev, reads.data(), nr, writes.data(), nw, name, work);
  }

  void PushOpr(EngineOpr *opr, const Device &dev, Var *const *reads, int nreads, Var *const *writes, int nwrites,
               const char *name, int64_t work) override {
    if (shut_down_.load(std::memory_order_acquire)) {
      struct Releaser {
        EngineOpr *o;
        ~Releaser() { o->Release(); }
      } rel{opr};
      RunUnregistered([opr](const RunContext &ctx) { opr->Run(ctx); }, dev, reads, nreads, writes, nwrites, name);
      return;
    }
    OprBlock *op = NewOp();
    op->opr = opr;
    PushBlock(op, dev, reads, nreads, writes, nwrites, name, work);
  }

  void WaitToRead(Var *var) override { WaitForVar(var, false); }
  void WaitToWrite(Var *var) override { WaitForVar(var, true); }

  void WaitAll() override {
    if (tls_current)
      Throw(ErrorKind::kValue, "WaitAll cannot be called from inside engine work (it would wait for itself)");
    WaitPendingZero();
    auto err = TakeFirstUnreported();
    if (err) Raise(err);
  }

  void Drain() override {
    if (tls_current)
      Throw(ErrorKind::kValue, "the engine cannot be changed from inside engine work (it would wait for itself)");
    WaitPendingZero();
  }

  void DeleteVar(Var *var, std::function<void()> deleter) override {
    bool idle;
    {
      SpinGuard g(var->lock);
      idle = VarIdle(var);
    }
    if (idle || shut_down_.load(std::memory_order_acquire)) {
      deleter();
      return;
    }
    OprBlock *op = NewOp();
    op->kind = OpKind::kDelete;
    op->parallel = false;
    op->deleter = std::move(deleter);
    op->name = "DeleteVar";
    op->SetDeps(1);
    op->deps[0].var = var;
    op->deps[0].op = op;
    op->deps[0].write = true;
    pending_.fetch_add(1, std::memory_order_relaxed);
    Register(op, false, false);
  }

  void Shutdown() override {
    if (shut_down_.exchange(true)) return;
    pool_.stop_flag_.store(true);
    pool_.Stop();
  }

  void BeforeFork() override {
    if (shut_down_.load() || tls_current) {
      fork_stopped_ = false;
      fork_pid_ = getpid();
      return;
    }
    WaitPendingZero();
    fork_pid_ = getpid();
    pool_.stop_flag_.store(true);
    fork_stopped_ = pool_.Stop();
  }

  void AfterFork() override {
    if (shut_down_.load()) return;
    if (!fork_stopped_) {
      // Forked from inside engine work (or the workers could not be stopped): the parent's workers and queued
      // work do not exist here. In the child this engine then runs everything synchronously; the parent goes on.
      if (getpid() != fork_pid_) {
        pool_.ForgetThreads();
        shut_down_.store(true);
      }
      return;
    }
    pool_.stop_flag_.store(false);
    pool_.Restart();
  }

  // Runs op (all its deps granted). With keep_one (a worker's own loop), returns a piece of work it made ready, to
  // run next on this thread.
  // small: work run inline because it is small (not counted in running_: it has no parallel kernel to share
  // the cores with).
  OprBlock *Execute(OprBlock *op, bool on_worker, bool keep_one, bool small = false) {
    const bool parallel = !small && op->parallel;
    if (!small) {
      int busy = running_.fetch_add(1, std::memory_order_relaxed) + 1;
      if (on_worker) SetKernelThreads(busy);
    }
    if (parallel) g_parallel_running.fetch_add(1, std::memory_order_relaxed);
    std::shared_ptr<const Error> err;
    for (int i = 0; i < op->ndeps; ++i) {
      const Dep &d = op->deps[i];
      if (d.check && d.var->error) {
        err = d.var->error;
        break;
      }
    }
    if (!err) {
      op->parent = tls_current;
      tls_current = op;
      try {
        {
          profiler::Scope timed(profiler::kImperative, op->name, op->dev);
          if (op->opr) op->opr->Run(RunContext{op->dev});
          else op->fn(RunContext{op->dev});
        }
        if (op->dev.type == MXC_GPU) {  // every var written gets the end point of this work's kernels
          std::vector<Var *> written;
          for (int i = 0; i < op->ndeps; ++i)
            if (op->deps[i].write) written.push_back(op->deps[i].var);
          MarkDeviceWrites(op->dev, written.data(), static_cast<int>(written.size()));
        }
      } catch (...) {
        err = CurrentError(op->name);
      }
      tls_current = op->parent;
    }
    for (int i = 0; i < op->ndeps; ++i)
      if (op->deps[i].write) op->deps[i].var->error = err;
    if (!small) running_.fetch_sub(1, std::memory_order_relaxed);
    if (parallel) g_parallel_running.fetch_sub(1, std::memory_order_relaxed);
    if (err) AddUnreported(err, op->seq);
    ReadyList ready;
    for (int i = 0; i < op->ndeps; ++i)
      if (!op->deps[i].held) ReleaseDep(&op->deps[i], &ready);
    // Dropping fn may release the last reference to arrays, whose storage is then freed (vars now idle).
    FreeOp(op);
    Complete();
    return Dispatch(ready, keep_one);
  }

 private:
  static constexpr int kDefaultInlineWork = 16384;

  static int NumWorkers() {
    int n = EnvInt("MXC_ENGINE_NUM_THREADS", 0);
    if (n <= 0) n = EnvInt("MXC_CPU_WORKER_NTHREADS", 0);
    if (n <= 0) n = NumCPUs();
    return std::min(n, 256);
  }

  void SetKernelThreads(int busy) {
#ifdef _OPENMP
    int n = std::max(1, cores_ / std::max(1, busy));
    if (n != tls_omp_threads) {
      omp_set_num_threads(n);
      tls_omp_threads = n;
    }
#else
    (void)busy;
#endif
  }

  void PushBlock(OprBlock *op, const Device &dev, Var *const *reads, int nreads, Var *const *writes, int nwrites,
                 const char *name, int64_t work) {
    op->dev = dev;
    op->name = name;
    op->seq = NextSeq();
    op->parallel = work < 0 || work >= kParallelWork;
    BuildDeps(op, reads, nreads, writes, nwrites);
    bool nested = tls_current != nullptr;
    bool try_inline = nested || (inline_max_ >= 0 && work >= 0 && work <= inline_max_);
    pending_.fetch_add(1, std::memory_order_relaxed);
    if (try_inline && !nested && TakeAllNow(op)) {
      Execute(op, false, false, true);
      return;
    }
    Register(op, nested, try_inline);
  }

  // The fast path of small work (not nested): takes every var at once when all are free, without queueing and
  // without push_mu_. Returns false, holding nothing, when one is not free (the work is then registered as usual).
  // Giving back vars taken here is safe: work queued on them meanwhile was registered whole (under push_mu_) while
  // this work held them, so it comes first on every var it shares with this work, which registers afterwards.
  bool TakeAllNow(OprBlock *op) {
    int got = 0;
    for (; got < op->ndeps; ++got) {
      Dep *d = &op->deps[got];
      Var *v = d->var;
      SpinGuard g(v->lock);
      if (v->running_write || v->head != nullptr || (d->write && v->running_reads != 0)) break;
      if (d->write) v->running_write = true;
      else ++v->running_reads;
    }
    if (got == op->ndeps) return true;
    ReadyList ready;
    for (int i = 0; i < got; ++i) ReleaseDep(&op->deps[i], &ready);
    Dispatch(ready, false);
    return false;
  }

  // One dep per distinct var: written vars (a var also read keeps its failure check), then read-only vars.
  static void BuildDeps(OprBlock *op, Var *const *reads, int nreads, Var *const *writes, int nwrites) {
    int n = 0;
    Var *small[16];
    std::vector<Var *> big;
    auto seen = [&](Var *v) {
      for (int i = 0; i < n; ++i)
        if ((i < 16 ? small[i] : big[i - 16]) == v) return true;
      return false;
    };
    auto add = [&](Var *v) {
      if (n < 16) small[n] = v;
      else big.push_back(v);
      ++n;
    };
    for (int i = 0; i < nwrites; ++i)
      if (!seen(writes[i])) add(writes[i]);
    int nw = n;
    for (int i = 0; i < nreads; ++i)
      if (!seen(reads[i])) add(reads[i]);
    op->SetDeps(n);
    for (int i = 0; i < n; ++i) {
      Dep &d = op->deps[i];
      d.var = i < 16 ? small[i] : big[i - 16];
      d.op = op;
      d.write = i < nw;
      d.check = !d.write;
    }
    for (int i = 0; i < nw; ++i)
      if (std::find(reads, reads + nreads, op->deps[i].var) != reads + nreads) op->deps[i].check = true;
  }

  // Queues op on its vars; runs or dispatches it when everything is granted at once.
  void Register(OprBlock *op, bool nested, bool try_inline) {
    int held = 0;
    if (nested)
      for (int i = 0; i < op->ndeps; ++i)
        if (HeldHere(op->deps[i].var, op->deps[i].write)) {
          op->deps[i].held = true;
          ++held;
        }
    int unheld = op->ndeps - held;
    op->wait.store(unheld + 1, std::memory_order_relaxed);
    {
      std::unique_lock<std::mutex> lk(push_mu_, std::defer_lock);
      if (op->ndeps > 1) lk.lock();  // work on a single var cannot take part in a cross-queue cycle
      int granted = 0;
      for (int i = 0; i < op->ndeps; ++i) {
        Dep *d = &op->deps[i];
        if (d->held) continue;
        SpinGuard g(d->var->lock);
        if (Append(d->var, d)) ++granted;
      }
      if (granted) op->wait.fetch_sub(granted, std::memory_order_acq_rel);
      if (held && op->wait.load(std::memory_order_acquire) != 1) {
        // Nested work that cannot run now: it must also wait for the vars the running work holds.
        op->wait.fetch_add(held, std::memory_order_acq_rel);
        int g2 = 0;
        for (int i = 0; i < op->ndeps; ++i) {
          Dep *d = &op->deps[i];
          if (!d->held) continue;
          d->held = false;
          SpinGuard g(d->var->lock);
          if (Append(d->var, d)) ++g2;
        }
        if (g2) op->wait.fetch_sub(g2, std::memory_order_acq_rel);
      }
    }
    if (op->wait.fetch_sub(1, std::memory_order_acq_rel) != 1) return;  // made ready later by a release
    if (try_inline && op->kind == OpKind::kNormal) {
      Execute(op, tls_worker, false);
    } else {
      ReadyList r;
      r.Add(op);
      Dispatch(r, false);
    }
  }

  // Hands out ready work: waits are woken, deletions run here, the rest goes to the pool (on a worker, the first
  // piece of work is returned to run next on this thread).
  OprBlock *Dispatch(const ReadyList &ready, bool keep_one) {
    OprBlock *next = nullptr;
    for (int i = 0; i < ready.size(); ++i) {
      OprBlock *op = ready[i];
      switch (op->kind) {
        case OpKind::kWait: {
          Waiter *w = op->waiter;  // op lives on the waiting thread's stack: not touched after the signal
          std::lock_guard<std::mutex> lk(w->mu);
          w->ready.store(true, std::memory_order_release);
          w->cv.notify_one();
          break;
        }
        case OpKind::kDelete:
          RunDelete(op);
          break;
        case OpKind::kNormal:
          if (keep_one && !next && !pool_.stopping()) next = op;
          else pool_.Push(op);
          break;
      }
    }
    return next;
  }

  // The var is ours alone and nothing can be queued after it: free it, then the storage.
  void RunDelete(OprBlock *op) {
    try {
      op->deleter();
    } catch (...) {
    }
    FreeOp(op);
    Complete();
  }

  // Nothing pending on var (for a write wait: no running read either): its error, read under its lock.
  static bool IdleForWait(Var *var, bool write, std::shared_ptr<const Error> *err) {
    SpinGuard g(var->lock);
    if (var->running_write || var->head != nullptr || (write && var->running_reads != 0)) return false;
    *err = var->error;
    return true;
  }

  void WaitForVar(Var *var, bool write) {
    std::shared_ptr<const Error> err;
    if (IdleForWait(var, write, &err)) {
      // the common case of a wait after small work that ran inline: nothing to queue
    } else if (HeldHere(var, false) || shut_down_.load(std::memory_order_acquire)) {
      err = var->error;
    } else {
      OprBlock op;
      op.kind = OpKind::kWait;
      op.SetDeps(1);
      Dep *d = &op.deps[0];
      d->var = var;
      d->op = &op;
      d->write = write;
      Waiter &w = tls_waiter;
      w.ready.store(false, std::memory_order_relaxed);
      op.waiter = &w;
      op.wait.store(1, std::memory_order_relaxed);
      bool granted;
      {
        SpinGuard g(var->lock);
        granted = !var->running_write && var->head == nullptr && (!write || var->running_reads == 0);
        if (granted) err = var->error;  // nothing pending: read the error under the lock, hold nothing
        else Append(var, d);
      }
      if (!granted && !tls_current) {
        // The work this wait is for may still sit in the pool's queue: run it here (not from inside other work,
        // whose held vars the taken work would then seem to hold).
        OprBlock *mine = pool_.TakeWriterOf(var);
        if (mine) Execute(mine, false, false);
      }
      if (!granted) {
        if (SpinFor([&] { return w.ready.load(std::memory_order_acquire); })) {
          // The signalling thread may still be inside notify_one (under w.mu): let it finish before this thread
          // goes on (and could exit, destroying w).
          std::lock_guard<std::mutex> lk(w.mu);
        } else {
          if (tls_worker) pool_.BeginBlocking();
          {
            std::unique_lock<std::mutex> lk(w.mu);
            w.cv.wait(lk, [&] { return w.ready.load(std::memory_order_acquire); });
          }
          if (tls_worker) pool_.EndBlocking();
        }
      }
      if (!granted) {
        err = var->error;  // holding the var: no write can change it now
        ReadyList ready;
        ReleaseDep(d, &ready);
        Dispatch(ready, false);
      }
    }
    if (err) {
      RemoveUnreported(err);
      Raise(err);
    }
  }

  void Complete() {
    if (pending_.fetch_sub(1, std::memory_order_seq_cst) == 1 && all_waiters_.load(std::memory_order_seq_cst) > 0) {
      std::lock_guard<std::mutex> lk(all_mu_);
      all_cv_.notify_all();
    }
  }

  void WaitPendingZero() {
    if (pending_.load(std::memory_order_seq_cst) == 0) return;
    std::unique_lock<std::mutex> lk(all_mu_);
    all_waiters_.fetch_add(1, std::memory_order_seq_cst);
    all_cv_.wait(lk, [&] { return pending_.load(std::memory_order_seq_cst) == 0; });
    all_waiters_.fetch_sub(1, std::memory_order_seq_cst);
  }

  // After shutdown: run at once, like the naive engine.
  template <typename F>
  void RunUnregistered(const F &f, const Device &dev, Var *const *reads, int nreads, Var *const *writes,
                       int nwrites, const char *name) {
    std::shared_ptr<const Error> err;
    for (int i = 0; i < nreads; ++i)
      if (!err && reads[i]->error) err = reads[i]->error;
    if (!err) {
      try {
        {
          profiler::Scope timed(profiler::kImperative, name, dev);
          f(RunContext{dev});
        }
        MarkDeviceWrites(dev, writes, nwrites);
      } catch (...) {
        err = CurrentError(name);
      }
    }
    for (int i = 0; i < nwrites; ++i) writes[i]->error = err;
    if (err) AddUnreported(err, NextSeq());
  }

  WorkerPool pool_;
  std::mutex push_mu_;
  std::atomic<int64_t> pending_{0};
  std::atomic<int> all_waiters_{0};
  std::mutex all_mu_;
  std::condition_variable all_cv_;
  std::atomic<int> running_{0};
  std::atomic<bool> shut_down_{false};
  int cores_ = 1;
  int64_t inline_max_ = kDefaultInlineWork;
  bool fork_stopped_ = false;
  pid_t fork_pid_ = 0;
};

void WorkerPool::Run() {
  tls_worker = true;
  std::unique_lock<std::mutex> lk(mu_);
  for (;;) {
    if (q_.empty() && !stop_) {
      lk.unlock();
      SpinFor([&] { return qsize_.load(std::memory_order_acquire) > 0 || stop_flag_.load(); }, g_worker_spin_us);
      lk.lock();
    }
    while (q_.empty() && !stop_) {
      ++idle_;
      cv_.wait(lk);
      --idle_;
    }
    if (stop_) break;
    OprBlock *op = q_.front();
    q_.pop_front();
    qsize_.fetch_sub(1, std::memory_order_relaxed);
    lk.unlock();
    while (op) op = engine_->Execute(op, true, true);
    lk.lock();
  }
  --alive_;
  exit_cv_.notify_all();
}

}  // namespace

ThreadedEngineBase *CreateThreadedEngine() { return new ThreadedEngine(); }

}  // namespace engine
}  // namespace mxc
