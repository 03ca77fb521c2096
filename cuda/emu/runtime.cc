// The CUDA emulation runtime (MXC_CUDA_EMULATION=ON): the part of the CUDA runtime and cuBLAS that mxc calls,
// implemented on the CPU so that the CUDA build's code (the glue in cuda/*.cc and the kernels in cuda/*.cu, compiled
// for the CPU with emu.h) runs and is tested on machines without a GPU.
//
// - Devices: MXC_CUDA_EMU_GPUS emulated GPUs (default 1).
// - Streams: each stream has a worker thread that runs its queued work (kernels, copies, memsets, GEMMs) in order,
//   asynchronously to the host, as a GPU does: host code that reads results without waiting for the stream sees
//   stale data here too. Copies between device memory and pageable host memory are synchronous, as CUDA's are;
//   copies from/to pinned memory (cudaMallocHost) are queued.
// - Device memory: each allocation has its own pages, followed by an inaccessible guard page, and is inaccessible
//   to the host outside emulated device work (MXC_CUDA_EMU_PROTECT=0 turns that off). A host read or write of a
//   device pointer crashes at once, with a message naming the allocation, as it would on a GPU machine (where it
//   crashes too, or reads garbage).
// - Only one piece of device work runs at a time (one lock for every emulated device).
// - Current device: as on a GPU, a kernel launch or a cuBLAS call fails when the stream (the handle) belongs to
//   another device than the calling thread's current one (cudaSetDevice), and so does an event recorded on a stream
//   of another device than the event's: the mistakes that only multi-GPU machines would show.
#include <signal.h>
#include <sys/mman.h>
#include <ucontext.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <map>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "cublas_v2.h"
#include "emu_api.h"
#include "ops/gemm.h"

namespace mxc {
namespace emu {

__attribute__((tls_model("initial-exec"))) thread_local uint3 t_thread_idx, t_block_idx;
__attribute__((tls_model("initial-exec"))) thread_local dim3 t_block_dim, t_grid_dim;

namespace {

int NumDevices() {
  static int n = [] {
    const char *e = std::getenv("MXC_CUDA_EMU_GPUS");
    int v = e && *e ? std::atoi(e) : 1;
    return std::max(0, std::min(v, 16));
  }();
  return n;
}

thread_local int t_device = 0;

// MXC_CUDA_EMU_ORDER=reverse runs blocks, and threads within a block, last to first: a kernel whose result depends
// on the order (a race on a GPU) gives different results in the two orders.
bool ReverseOrder() {
  static bool r = [] {
    const char *e = std::getenv("MXC_CUDA_EMU_ORDER");
    return e && std::strcmp(e, "reverse") == 0;
  }();
  return r;
}
thread_local cudaError_t t_last_error = cudaSuccess;

cudaError_t SetError(cudaError_t e) {
  if (e != cudaSuccess) t_last_error = e;
  return e;
}

// ------------------------------------------------------------------------------------------------ device memory
bool Protecting() {
  static bool p = [] {
    const char *e = std::getenv("MXC_CUDA_EMU_PROTECT");
    return !(e && std::strcmp(e, "0") == 0);
  }();
  return p;
}
size_t PageSize() {
  static size_t p = static_cast<size_t>(sysconf(_SC_PAGESIZE));
  return p;
}

struct Mapping {
  char *base;        // start of the pages (the allocation ends at the guard page)
  size_t map_bytes;  // pages of the allocation (the guard page follows)
  size_t bytes;      // what was asked for
};

// Device memory state. The lock is held by whoever runs device work (a stream worker, a synchronous copy).
std::recursive_mutex &DeviceLock() {
  static auto *m = new std::recursive_mutex();
  return *m;
}
std::map<uintptr_t, Mapping> &Allocs() {  // keyed by the device pointer
  static auto *m = new std::map<uintptr_t, Mapping>();
  return *m;
}
std::mutex &AllocsLock() {
  static auto *m = new std::mutex();
  return *m;
}
int g_open_depth = 0;  // guarded by DeviceLock

void ProtectAll(int prot) {
  std::lock_guard<std::mutex> lk(AllocsLock());
  for (auto &kv : Allocs()) mprotect(kv.second.base, kv.second.map_bytes, prot);
}

// Device work runs inside a DeviceScope: device memory is accessible, no other device work runs.
struct DeviceScope {
  DeviceScope() {
    DeviceLock().lock();
    if (g_open_depth++ == 0 && Protecting()) ProtectAll(PROT_READ | PROT_WRITE);
  }
  ~DeviceScope() {
    if (--g_open_depth == 0 && Protecting()) ProtectAll(PROT_NONE);
    DeviceLock().unlock();
  }
};

std::map<uintptr_t, size_t> &PinnedSizes() {
  static auto *m = new std::map<uintptr_t, size_t>();
  return *m;
}
// Whether p lies inside one of the ranges of m (start -> entry, size(entry) its length).
template <typename M, typename Size>
bool InRanges(const M &m, const void *p, Size size) {
  std::lock_guard<std::mutex> lk(AllocsLock());
  uintptr_t a = reinterpret_cast<uintptr_t>(p);
  auto it = m.upper_bound(a);
  if (it == m.begin()) return false;
  --it;
  return a < it->first + size(it->second);
}
bool InPinned(const void *p) { return InRanges(PinnedSizes(), p, [](size_t n) { return n; }); }
bool IsDevice(const void *p) { return InRanges(Allocs(), p, [](const Mapping &m) { return m.bytes; }); }

cudaError_t DeviceMalloc(void **out, size_t bytes) {
  if (!out) return SetError(cudaErrorInvalidValue);
  const size_t page = PageSize();
  size_t n = std::max<size_t>(bytes, 1);
  size_t map_bytes = (n + page - 1) / page * page;
  void *m = mmap(nullptr, map_bytes + page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
                 -1, 0);
  if (m == MAP_FAILED) return SetError(cudaErrorMemoryAllocation);
  char *base = static_cast<char *>(m);
  mprotect(base + map_bytes, page, PROT_NONE);  // guard page
  // The allocation ends at the guard page, at a 256-byte aligned address (CUDA's alignment).
  size_t off = (map_bytes - n) / 256 * 256;
  void *p = base + off;
  {
    std::lock_guard<std::recursive_mutex> dl(DeviceLock());
    std::lock_guard<std::mutex> lk(AllocsLock());
    Allocs()[reinterpret_cast<uintptr_t>(p)] = Mapping{base, map_bytes, n};
    if (Protecting() && g_open_depth == 0) mprotect(base, map_bytes, PROT_NONE);
  }
  *out = p;
  return cudaSuccess;
}

cudaError_t DeviceFree(void *p) {
  if (!p) return cudaSuccess;
  std::lock_guard<std::recursive_mutex> dl(DeviceLock());
  std::lock_guard<std::mutex> lk(AllocsLock());
  auto it = Allocs().find(reinterpret_cast<uintptr_t>(p));
  if (it == Allocs().end()) return SetError(cudaErrorInvalidValue);
  munmap(it->second.base, it->second.map_bytes + PageSize());
  Allocs().erase(it);
  return cudaSuccess;
}

// A crash inside device memory says whether the host touched it or something ran past an allocation's end.
struct sigaction g_prev_segv;
void OnSegv(int sig, siginfo_t *info, void *uctx) {
  uintptr_t a = reinterpret_cast<uintptr_t>(info->si_addr);
  for (auto &kv : Allocs()) {  // no lock: the process is crashing
    const Mapping &m = kv.second;
    uintptr_t b = reinterpret_cast<uintptr_t>(m.base);
    char msg[320];
    int len = 0;
    if (a >= b && a < b + m.map_bytes && g_open_depth == 0) {
      len = std::snprintf(msg, sizeof msg,
                          "mxc CUDA emulation: host code touched device memory at %p (a %zu-byte device allocation "
                          "at %p) outside device work: a GPU pointer was read or written on the host\n",
                          info->si_addr, m.bytes, reinterpret_cast<void *>(kv.first));
    } else if (a >= b + m.map_bytes && a < b + m.map_bytes + PageSize()) {
      len = std::snprintf(msg, sizeof msg,
                          "mxc CUDA emulation: access at %p, past the end of the %zu-byte device allocation at %p\n",
                          info->si_addr, m.bytes, reinterpret_cast<void *>(kv.first));
    }
    if (len > 0) {
      ssize_t w = write(2, msg, static_cast<size_t>(len));
      (void)w;
      break;
    }
  }
  sigaction(SIGSEGV, &g_prev_segv, nullptr);  // the previous handler (or the default) takes the fault again
  (void)sig;
  (void)uctx;
}
void InstallSegvHandler() {
  static std::once_flag once;
  std::call_once(once, [] {
    struct sigaction sa;
    std::memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = OnSegv;
    sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGSEGV, &sa, &g_prev_segv);
  });
}

// ------------------------------------------------------------------------------------------------------ streams
struct Stream {
  int device = 0;
  std::mutex mu;
  std::condition_variable cv, idle_cv;
  std::deque<std::pair<std::function<void()>, bool>> queue;  // (work, device work: holds the device)
  bool busy = false;
  cudaError_t error = cudaSuccess;  // of queued work, reported by the next synchronisation
  std::thread worker;

  explicit Stream(int dev) : device(dev) {
    worker = std::thread([this] { Run(); });
    worker.detach();  // streams live as long as the process
  }
  void Push(std::function<void()> f, bool device = true) {
    std::lock_guard<std::mutex> lk(mu);
    queue.emplace_back(std::move(f), device);
    cv.notify_one();
  }
  cudaError_t Wait() {
    std::unique_lock<std::mutex> lk(mu);
    idle_cv.wait(lk, [this] { return queue.empty() && !busy; });
    cudaError_t e = error;
    error = cudaSuccess;
    return e;
  }
  // The error of queued work so far, cleared (as a synchronisation reports it).
  cudaError_t TakeError() {
    std::lock_guard<std::mutex> lk(mu);
    cudaError_t e = error;
    error = cudaSuccess;
    return e;
  }
  void Run() {
    for (;;) {
      std::function<void()> f;
      bool on_device;
      {
        std::unique_lock<std::mutex> lk(mu);
        cv.wait(lk, [this] { return !queue.empty(); });
        f = std::move(queue.front().first);
        on_device = queue.front().second;
        queue.pop_front();
        busy = true;
      }
      t_device = device;
      cudaError_t e = cudaSuccess;
      try {
        if (on_device) {
          DeviceScope scope;
          f();
        } else {
          f();  // a host function (cudaLaunchHostFunc): no device memory, no device lock
        }
      } catch (const std::exception &ex) {
        std::fprintf(stderr, "mxc CUDA emulation: %s\n", ex.what());
        e = cudaErrorLaunchFailure;
      }
      std::lock_guard<std::mutex> lk(mu);
      if (e != cudaSuccess && error == cudaSuccess) error = e;
      busy = false;
      if (queue.empty()) idle_cv.notify_all();
    }
  }
};

std::mutex &StreamsLock() {
  static auto *m = new std::mutex();
  return *m;
}
std::vector<Stream *> &AllStreams() {
  static auto *v = new std::vector<Stream *>();
  return *v;
}
Stream *NewStream(int dev) {
  InstallSegvHandler();
  auto *s = new Stream(dev);
  std::lock_guard<std::mutex> lk(StreamsLock());
  AllStreams().push_back(s);
  return s;
}
// The legacy default stream (0) of each device.
Stream *DefaultStream(int dev) {
  static std::mutex mu;
  static std::map<int, Stream *> m;
  std::lock_guard<std::mutex> lk(mu);
  auto &s = m[dev];
  if (!s) s = NewStream(dev);
  return s;
}
Stream *S(cudaStream_t s) { return s ? reinterpret_cast<Stream *>(s) : DefaultStream(t_device); }

cudaError_t WaitDevice(int dev) {
  std::vector<Stream *> v;
  {
    std::lock_guard<std::mutex> lk(StreamsLock());
    v = AllStreams();
  }
  cudaError_t r = cudaSuccess;
  for (Stream *s : v)
    if (s->device == dev) {
      cudaError_t e = s->Wait();
      if (r == cudaSuccess) r = e;
    }
  return r;
}

// ------------------------------------------------------------------------------------------------------ kernels
// Fibers for the threads of a block launched with MXC_LAUNCH_BLOCK. On x86-64 a fiber switch saves the
// callee-saved registers and swaps stacks (a few nanoseconds); elsewhere it is swapcontext (a system call each).
#if defined(__x86_64__)
extern "C" void mxc_emu_switch(void **save_sp, void *new_sp);
asm(R"(
  .text
  .globl mxc_emu_switch
  .hidden mxc_emu_switch
  .type mxc_emu_switch, @function
mxc_emu_switch:
  pushq %rbp
  pushq %rbx
  pushq %r12
  pushq %r13
  pushq %r14
  pushq %r15
  movq %rsp, (%rdi)
  movq %rsi, %rsp
  popq %r15
  popq %r14
  popq %r13
  popq %r12
  popq %rbx
  popq %rbp
  ret
  .size mxc_emu_switch, .-mxc_emu_switch
)");
struct Context {
  void *sp = nullptr;
};
void FiberMain();
[[noreturn]] void FiberEntry() {
  FiberMain();
  std::abort();  // FiberMain switches back to the scheduler and is never resumed
}
// A fresh stack whose first switch "returns" into FiberEntry with the ABI's alignment.
void MakeContext(Context *c, char *stack, size_t size) {
  uintptr_t top = (reinterpret_cast<uintptr_t>(stack) + size) & ~uintptr_t(15);
  void **sp = reinterpret_cast<void **>(top);
  *--sp = nullptr;                                     // FiberEntry's return address (never used)
  *--sp = reinterpret_cast<void *>(&FiberEntry);       // where the switch's ret goes
  for (int i = 0; i < 6; ++i) *--sp = nullptr;         // rbp rbx r12 r13 r14 r15
  c->sp = sp;
}
void Switch(Context *from, Context *to) { mxc_emu_switch(&from->sp, to->sp); }
#else
struct Context {
  ucontext_t uc;
};
void FiberMain();
void FiberEntry() { FiberMain(); }
void MakeContext(Context *c, char *stack, size_t size) {
  getcontext(&c->uc);
  c->uc.uc_stack.ss_sp = stack;
  c->uc.uc_stack.ss_size = size;
  c->uc.uc_link = nullptr;
  makecontext(&c->uc, FiberEntry, 0);
}
void Switch(Context *from, Context *to) { swapcontext(&from->uc, &to->uc); }
#endif

struct Fiber {
  Context ctx;
  char *stack = nullptr;
  bool done = false;
  uint3 tid;
};
constexpr size_t kFiberStack = 128 * 1024;
thread_local Context t_sched;
thread_local Fiber *t_fiber = nullptr;
thread_local const std::function<void()> *t_body = nullptr;
thread_local std::string t_fiber_error;
thread_local std::vector<Fiber> t_fibers;

void FiberMain() {
  try {
    (*t_body)();
  } catch (const std::exception &e) {
    if (t_fiber_error.empty()) t_fiber_error = e.what();
  }
  t_fiber->done = true;
  Switch(&t_fiber->ctx, &t_sched);  // for good: a finished fiber is never resumed
}

void RunBlockFibers(const char *name, const std::function<void()> &body, unsigned nthreads) {
  if (t_fibers.size() < nthreads) t_fibers.resize(nthreads);
  unsigned bx = t_block_dim.x, by = t_block_dim.y;
  for (unsigned i = 0; i < nthreads; ++i) {
    Fiber &f = t_fibers[i];
    if (!f.stack) {
      void *m = mmap(nullptr, kFiberStack, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
      if (m == MAP_FAILED) throw std::runtime_error("out of memory for the emulated threads' stacks");
      f.stack = static_cast<char *>(m);
    }
    f.done = false;
    f.tid = make_uint3(i % bx, (i / bx) % by, i / (bx * by));
    MakeContext(&f.ctx, f.stack, kFiberStack);
  }
  t_body = &body;
  t_fiber_error.clear();
  for (;;) {
    unsigned done = 0;
    for (unsigned q = 0; q < nthreads; ++q) {
      Fiber &f = t_fibers[ReverseOrder() ? nthreads - 1 - q : q];
      if (f.done) {
        ++done;
        continue;
      }
      t_thread_idx = f.tid;
      t_fiber = &f;
      Switch(&t_sched, &f.ctx);  // runs the thread to its next __syncthreads() or its end
      if (f.done) ++done;
    }
    t_fiber = nullptr;
    if (!t_fiber_error.empty()) throw std::runtime_error(std::string(name) + ": " + t_fiber_error);
    if (done == nthreads) return;
    if (done != 0)
      throw std::runtime_error(std::string("kernel ") + name + ": __syncthreads() not reached by every thread of block (" +
                               std::to_string(t_block_idx.x) + ", " + std::to_string(t_block_idx.y) + ", " +
                               std::to_string(t_block_idx.z) + ") (" + std::to_string(done) + " of " +
                               std::to_string(nthreads) + " threads had returned)");
  }
}

}  // namespace

// The modules' __shared__ sections (emu.h), filled with 0xFF bytes before each block.
std::mutex &SharedLock() {
  static auto *m = new std::mutex();
  return *m;
}
std::vector<std::pair<char *, char *>> &SharedSections() {
  static auto *v = new std::vector<std::pair<char *, char *>>();
  return *v;
}
void RegisterShared(char *begin, char *end) {
  if (!begin || !end || end <= begin) return;
  std::lock_guard<std::mutex> lk(SharedLock());
  auto &v = SharedSections();
  if (std::find(v.begin(), v.end(), std::make_pair(begin, end)) == v.end()) v.emplace_back(begin, end);
}

void SyncThreads() {
  if (!t_fiber)
    throw std::logic_error("__syncthreads() in a kernel launched with MXC_LAUNCH: launch it with MXC_LAUNCH_BLOCK");
  Switch(&t_fiber->ctx, &t_sched);
}

void LaunchGrid(cudaStream_t s, const char *name, dim3 grid, dim3 block, size_t shmem, bool barriers,
                std::function<void()> thread) {
  const unsigned long long threads = 1ull * block.x * block.y * block.z;
  if (grid.x == 0 || grid.y == 0 || grid.z == 0 || threads == 0 || threads > 1024 || block.z > 64 ||
      grid.y > 65535 || grid.z > 65535 || grid.x > 2147483647u || shmem > 48 * 1024) {
    std::fprintf(stderr, "mxc CUDA emulation: invalid launch of %s: grid (%u, %u, %u), block (%u, %u, %u)\n", name,
                 grid.x, grid.y, grid.z, block.x, block.y, block.z);
    SetError(cudaErrorInvalidConfiguration);
    return;
  }
  Stream *st = S(s);
  if (st->device != t_device) {  // CUDA: "a kernel launch will fail if the stream is not the current device's"
    std::fprintf(stderr,
                 "mxc CUDA emulation: launch of %s on a stream of gpu(%d) while the thread's current device is "
                 "gpu(%d)\n",
                 name, st->device, t_device);
    SetError(cudaErrorInvalidResourceHandle);
    return;
  }
  std::string kname = name;
  st->Push([kname, grid, block, barriers, thread = std::move(thread)] {
    t_grid_dim = grid;
    t_block_dim = block;
    const unsigned nthreads = block.x * block.y * block.z;
    const unsigned long long nblocks = 1ull * grid.x * grid.y * grid.z;
    const bool rev = ReverseOrder();
    std::vector<std::pair<char *, char *>> shared;
    {
      std::lock_guard<std::mutex> lk(SharedLock());
      shared = SharedSections();
    }
    for (unsigned long long k = 0; k < nblocks; ++k) {
      const unsigned long long b = rev ? nblocks - 1 - k : k;
      for (const auto &r : shared) std::memset(r.first, 0xFF, static_cast<size_t>(r.second - r.first));
      t_block_idx = make_uint3(static_cast<unsigned>(b % grid.x), static_cast<unsigned>((b / grid.x) % grid.y),
                               static_cast<unsigned>(b / (1ull * grid.x * grid.y)));
      if (barriers) {
        RunBlockFibers(kname.c_str(), thread, nthreads);
        continue;
      }
      try {
        for (unsigned q = 0; q < nthreads; ++q) {
          const unsigned t = rev ? nthreads - 1 - q : q;
          t_thread_idx = make_uint3(t % block.x, (t / block.x) % block.y, t / (block.x * block.y));
          thread();
        }
      } catch (const std::logic_error &e) {
        throw std::runtime_error("kernel " + kname + ": " + e.what());
      }
    }
  });
}

void EnqueueDeviceWork(cudaStream_t s, std::function<void()> work) {
  Stream *st = S(s);
  if (st->device != t_device) {  // a cuDNN handle works with its own device current, as cuBLAS's does
    std::fprintf(stderr, "mxc CUDA emulation: library work on a stream of gpu(%d) while the thread's current device is "
                 "gpu(%d)\n", st->device, t_device);
    st->Push([] { throw std::runtime_error("library work issued with another device current"); });
    return;
  }
  st->Push(std::move(work));
}

}  // namespace emu
}  // namespace mxc

// ---------------------------------------------------------------------------------------------------------------
// CUDA runtime API
// ---------------------------------------------------------------------------------------------------------------
using namespace mxc::emu;

extern "C" {

cudaError_t cudaGetDeviceCount(int *count) {
  if (!count) return SetError(cudaErrorInvalidValue);
  *count = NumDevices();
  return NumDevices() > 0 ? cudaSuccess : SetError(cudaErrorNoDevice);
}

cudaError_t cudaSetDevice(int device) {
  if (device < 0 || device >= NumDevices()) return SetError(cudaErrorInvalidDevice);
  t_device = device;
  return cudaSuccess;
}

cudaError_t cudaGetDevice(int *device) {
  if (!device) return SetError(cudaErrorInvalidValue);
  *device = t_device;
  return cudaSuccess;
}

cudaError_t cudaGetLastError(void) {
  cudaError_t e = t_last_error;
  t_last_error = cudaSuccess;
  return e;
}

cudaError_t cudaPeekAtLastError(void) { return t_last_error; }

const char *cudaGetErrorString(cudaError_t e) {
  switch (e) {
    case cudaSuccess: return "no error";
    case cudaErrorInvalidValue: return "invalid argument";
    case cudaErrorMemoryAllocation: return "out of memory";
    case cudaErrorInvalidConfiguration: return "invalid configuration argument";
    case cudaErrorLaunchFailure: return "unspecified launch failure (emulated kernel failed: see stderr)";
    case cudaErrorInvalidDevice: return "invalid device ordinal";
    case cudaErrorNoDevice: return "no CUDA-capable device is detected";
    default: return "emulated CUDA error";
  }
}

cudaError_t cudaStreamCreateWithFlags(cudaStream_t *s, unsigned int) {
  if (!s) return SetError(cudaErrorInvalidValue);
  *s = reinterpret_cast<cudaStream_t>(NewStream(t_device));
  return cudaSuccess;
}

cudaError_t cudaStreamCreate(cudaStream_t *s) { return cudaStreamCreateWithFlags(s, 0); }

cudaError_t cudaStreamSynchronize(cudaStream_t s) { return SetError(S(s)->Wait()); }

cudaError_t cudaDeviceSynchronize(void) { return SetError(WaitDevice(t_device)); }

// Events: a record queues a marker on the stream; a synchronisation waits for the marker of the latest record.
struct EmuEvent {
  std::mutex mu;
  std::condition_variable cv;
  uint64_t recorded = 0, reached = 0;
  Stream *stream = nullptr;
  int device = 0;  // the current device when it was created
  std::chrono::steady_clock::time_point when;  // when the stream reached the last record
};

cudaError_t cudaEventCreateWithFlags(cudaEvent_t *e, unsigned int) {
  if (!e) return SetError(cudaErrorInvalidValue);
  auto *ev = new EmuEvent();
  ev->device = t_device;
  *e = reinterpret_cast<cudaEvent_t>(ev);
  return cudaSuccess;
}

cudaError_t cudaEventCreate(cudaEvent_t *e) { return cudaEventCreateWithFlags(e, 0); }

cudaError_t cudaEventDestroy(cudaEvent_t e) {
  delete reinterpret_cast<EmuEvent *>(e);
  return cudaSuccess;
}

cudaError_t cudaEventRecord(cudaEvent_t e, cudaStream_t s) {
  auto *ev = reinterpret_cast<EmuEvent *>(e);
  if (!ev) return SetError(cudaErrorInvalidValue);
  Stream *st = S(s);
  if (st->device != ev->device) {
    std::fprintf(stderr, "mxc CUDA emulation: an event of gpu(%d) recorded on a stream of gpu(%d)\n", ev->device,
                 st->device);
    return SetError(cudaErrorInvalidResourceHandle);
  }
  uint64_t gen;
  {
    std::lock_guard<std::mutex> lk(ev->mu);
    gen = ++ev->recorded;
    ev->stream = st;
  }
  st->Push(
      [ev, gen] {
        std::lock_guard<std::mutex> lk(ev->mu);
        if (gen > ev->reached) ev->reached = gen;
        ev->when = std::chrono::steady_clock::now();
        ev->cv.notify_all();
      },
      false);
  return cudaSuccess;
}

cudaError_t cudaEventSynchronize(cudaEvent_t e) {
  auto *ev = reinterpret_cast<EmuEvent *>(e);
  if (!ev) return SetError(cudaErrorInvalidValue);
  Stream *st;
  {
    std::unique_lock<std::mutex> lk(ev->mu);
    const uint64_t gen = ev->recorded;
    ev->cv.wait(lk, [&] { return ev->reached >= gen; });
    st = ev->stream;
  }
  return st ? SetError(st->TakeError()) : cudaSuccess;
}

cudaError_t cudaEventElapsedTime(float *ms, cudaEvent_t start, cudaEvent_t end) {
  auto *a = reinterpret_cast<EmuEvent *>(start), *b = reinterpret_cast<EmuEvent *>(end);
  if (!ms || !a || !b) return SetError(cudaErrorInvalidValue);
  std::lock_guard<std::mutex> la(a->mu);
  if (a->recorded == 0 || a->reached < a->recorded) return SetError(a->recorded ? cudaErrorNotReady : cudaErrorInvalidResourceHandle);
  std::lock_guard<std::mutex> lb(b->mu);
  if (b->recorded == 0 || b->reached < b->recorded) return SetError(b->recorded ? cudaErrorNotReady : cudaErrorInvalidResourceHandle);
  *ms = std::chrono::duration<float, std::milli>(b->when - a->when).count();
  return cudaSuccess;
}

cudaError_t cudaLaunchHostFunc(cudaStream_t s, cudaHostFn_t fn, void *user_data) {
  if (!fn) return SetError(cudaErrorInvalidValue);
  S(s)->Push([fn, user_data] { fn(user_data); }, false);
  return cudaSuccess;
}

cudaError_t cudaMalloc(void **p, size_t bytes) { return DeviceMalloc(p, bytes); }

cudaError_t cudaFree(void *p) {
  WaitDevice(t_device);  // cudaFree synchronises, as CUDA's does
  return DeviceFree(p);
}

cudaError_t cudaMallocAsync(void **p, size_t bytes, cudaStream_t) { return DeviceMalloc(p, bytes); }

cudaError_t cudaFreeAsync(void *p, cudaStream_t s) {
  if (!p) return cudaSuccess;
  S(s)->Push([p] { DeviceFree(p); });
  return cudaSuccess;
}

cudaError_t cudaMallocHost(void **p, size_t bytes) {
  if (!p) return SetError(cudaErrorInvalidValue);
  *p = std::malloc(std::max<size_t>(bytes, 1));
  if (!*p) return SetError(cudaErrorMemoryAllocation);
  std::lock_guard<std::mutex> lk(AllocsLock());
  PinnedSizes()[reinterpret_cast<uintptr_t>(*p)] = bytes;
  return cudaSuccess;
}

cudaError_t cudaFreeHost(void *p) {
  if (!p) return cudaSuccess;
  {
    std::lock_guard<std::mutex> lk(AllocsLock());
    PinnedSizes().erase(reinterpret_cast<uintptr_t>(p));
  }
  std::free(p);
  return cudaSuccess;
}

cudaError_t cudaMemsetAsync(void *p, int value, size_t bytes, cudaStream_t s) {
  if (bytes == 0) return cudaSuccess;
  if (!IsDevice(p)) return SetError(cudaErrorInvalidValue);
  S(s)->Push([p, value, bytes] { std::memset(p, value, bytes); });
  return cudaSuccess;
}

cudaError_t cudaMemcpyAsync(void *dst, const void *src, size_t bytes, cudaMemcpyKind kind, cudaStream_t s) {
  if (bytes == 0) return cudaSuccess;
  const bool dd = IsDevice(dst), sd = IsDevice(src);
  if (kind == cudaMemcpyDefault)
    kind = dd ? (sd ? cudaMemcpyDeviceToDevice : cudaMemcpyHostToDevice)
              : (sd ? cudaMemcpyDeviceToHost : cudaMemcpyHostToHost);
  // The pointers must be where the kind says (CUDA fails such a copy, or faults).
  const bool want_dd = kind == cudaMemcpyHostToDevice || kind == cudaMemcpyDeviceToDevice;
  const bool want_sd = kind == cudaMemcpyDeviceToHost || kind == cudaMemcpyDeviceToDevice;
  if (dd != want_dd || sd != want_sd) {
    std::fprintf(stderr, "mxc CUDA emulation: cudaMemcpy of %zu bytes from %p (%s) to %p (%s) with the wrong kind %d\n",
                 bytes, src, sd ? "device" : "host", dst, dd ? "device" : "host", static_cast<int>(kind));
    return SetError(cudaErrorInvalidValue);
  }
  Stream *st = S(s);
  if (kind == cudaMemcpyHostToDevice && !InPinned(src)) {
    // Pageable source: read now (the caller may reuse it as soon as this returns).
    auto tmp = std::make_shared<std::vector<char>>(static_cast<const char *>(src), static_cast<const char *>(src) + bytes);
    st->Push([dst, tmp] { std::memcpy(dst, tmp->data(), tmp->size()); });
    return cudaSuccess;
  }
  if (kind == cudaMemcpyDeviceToHost && !InPinned(dst)) {
    // Pageable destination: synchronous.
    st->Push([dst, src, bytes] { std::memcpy(dst, src, bytes); });
    return SetError(st->Wait());
  }
  st->Push([dst, src, bytes] { std::memcpy(dst, src, bytes); });
  return cudaSuccess;
}

cudaError_t cudaMemcpy(void *dst, const void *src, size_t bytes, cudaMemcpyKind kind) {
  cudaError_t e = cudaMemcpyAsync(dst, src, bytes, kind, nullptr);
  if (e != cudaSuccess) return e;
  return SetError(DefaultStream(t_device)->Wait());
}

cudaError_t cudaMemcpyPeerAsync(void *dst, int, const void *src, int, size_t bytes, cudaStream_t s) {
  return cudaMemcpyAsync(dst, src, bytes, cudaMemcpyDeviceToDevice, s);
}

// ---------------------------------------------------------------------------------------------------------------
// cuBLAS (column-major), on the host GEMM
// ---------------------------------------------------------------------------------------------------------------
struct cublasContext {
  cudaStream_t stream = nullptr;
  int device = 0;  // the current device when it was created
};

cublasStatus_t cublasCreate(cublasHandle_t *h) {
  if (!h) return CUBLAS_STATUS_INVALID_VALUE;
  *h = new cublasContext();
  (*h)->device = t_device;
  return CUBLAS_STATUS_SUCCESS;
}
cublasStatus_t cublasDestroy(cublasHandle_t h) {
  delete h;
  return CUBLAS_STATUS_SUCCESS;
}
cublasStatus_t cublasSetStream(cublasHandle_t h, cudaStream_t s) {
  if (!h) return CUBLAS_STATUS_NOT_INITIALIZED;
  h->stream = s;
  return CUBLAS_STATUS_SUCCESS;
}

}  // extern "C"

namespace {
// Column-major C (m x n) = alpha op(A) op(B) + beta C is row-major C^T = alpha op(B)^T op(A)^T + beta C^T.
template <typename T>
cublasStatus_t GemmBatched(cublasHandle_t h, cublasOperation_t ta, cublasOperation_t tb, int m, int n, int k,
                           const T *alpha, const T *A, int lda, long long sa, const T *B, int ldb, long long sb,
                           const T *beta, T *C, int ldc, long long sc, int batch) {
  if (!h) return CUBLAS_STATUS_NOT_INITIALIZED;
  if (h->device != t_device || S(h->stream)->device != h->device) {  // a handle works on its own device only
    std::fprintf(stderr,
                 "mxc CUDA emulation: a cuBLAS handle of gpu(%d) used with its stream on gpu(%d) while the thread's "
                 "current device is gpu(%d)\n",
                 h->device, S(h->stream)->device, t_device);
    return CUBLAS_STATUS_EXECUTION_FAILED;
  }
  bool TA = ta != CUBLAS_OP_N, TB = tb != CUBLAS_OP_N;
  // cuBLAS's argument checks: each leading dimension at least 1 and at least the stored rows, also when a dimension
  // is 0 (a GEMM with k = 0 still scales C by beta, and fails with lda = 0).
  if (m < 0 || n < 0 || k < 0 || batch < 0 || ldc < std::max(1, m) || lda < std::max(1, TA ? k : m) ||
      ldb < std::max(1, TB ? n : k) || !alpha || !beta) {
    std::fprintf(stderr, "mxc CUDA emulation: cuBLAS gemm with invalid arguments m %d n %d k %d lda %d ldb %d ldc %d\n",
                 m, n, k, lda, ldb, ldc);
    return CUBLAS_STATUS_INVALID_VALUE;
  }
  if (m == 0 || n == 0 || batch == 0) return CUBLAS_STATUS_SUCCESS;
  // Scalars are host pointers (CUBLAS_POINTER_MODE_HOST): read now.
  T a = *alpha, b = *beta;
  S(h->stream)->Push([=] {
    for (int i = 0; i < batch; ++i)
      mxc::op::Gemm(TB, TA, n, m, k, a, B + i * sb, ldb, A + i * sa, lda, b, C + i * sc, ldc);
  });
  return CUBLAS_STATUS_SUCCESS;
}
}  // namespace

extern "C" {
cublasStatus_t cublasSgemm(cublasHandle_t h, cublasOperation_t ta, cublasOperation_t tb, int m, int n, int k,
                           const float *alpha, const float *A, int lda, const float *B, int ldb, const float *beta,
                           float *C, int ldc) {
  return GemmBatched<float>(h, ta, tb, m, n, k, alpha, A, lda, 0, B, ldb, 0, beta, C, ldc, 0, 1);
}
cublasStatus_t cublasDgemm(cublasHandle_t h, cublasOperation_t ta, cublasOperation_t tb, int m, int n, int k,
                           const double *alpha, const double *A, int lda, const double *B, int ldb,
                           const double *beta, double *C, int ldc) {
  return GemmBatched<double>(h, ta, tb, m, n, k, alpha, A, lda, 0, B, ldb, 0, beta, C, ldc, 0, 1);
}
cublasStatus_t cublasSgemmStridedBatched(cublasHandle_t h, cublasOperation_t ta, cublasOperation_t tb, int m, int n,
                                         int k, const float *alpha, const float *A, int lda, long long int sa,
                                         const float *B, int ldb, long long int sb, const float *beta, float *C,
                                         int ldc, long long int sc, int batch) {
  return GemmBatched<float>(h, ta, tb, m, n, k, alpha, A, lda, sa, B, ldb, sb, beta, C, ldc, sc, batch);
}
cublasStatus_t cublasDgemmStridedBatched(cublasHandle_t h, cublasOperation_t ta, cublasOperation_t tb, int m, int n,
                                         int k, const double *alpha, const double *A, int lda, long long int sa,
                                         const double *B, int ldb, long long int sb, const double *beta, double *C,
                                         int ldc, long long int sc, int batch) {
  return GemmBatched<double>(h, ta, tb, m, n, k, alpha, A, lda, sa, B, ldb, sb, beta, C, ldc, sc, batch);
}
}  // extern "C"
