// Interface between the emulated kernels (cuda/*.cu compiled with emu.h) and the emulation runtime
// (cuda/emu/runtime.cc). Part of the CUDA emulation build (MXC_CUDA_EMULATION=ON) only.
#pragma once

#include <cuda_runtime.h>

#include <cstddef>
#include <functional>
#include <memory>
#include <tuple>
#include <type_traits>
#include <utility>

namespace mxc {
namespace emu {

// Coordinates of the emulated thread running now (set by the runtime before each thread runs).
extern __attribute__((tls_model("initial-exec"))) thread_local uint3 t_thread_idx, t_block_idx;
extern __attribute__((tls_model("initial-exec"))) thread_local dim3 t_block_dim, t_grid_dim;

// __syncthreads(): a barrier between the fibers of a block (an error in a kernel launched with MXC_LAUNCH).
void SyncThreads();

// [begin, end): a module's __shared__ variables (see emu.h), filled with 0xFF bytes before each block runs. Null or
// empty ranges and repeated registrations are ignored.
void RegisterShared(char *begin, char *end);

// Queues a grid on a stream: `thread` is called once per (block, thread) with the coordinates set. `barriers`:
// run each block's threads as fibers (MXC_LAUNCH_BLOCK). An invalid configuration sets the launch error that
// cudaGetLastError returns, as CUDA does.
void LaunchGrid(cudaStream_t s, const char *name, dim3 grid, dim3 block, size_t shmem, bool barriers,
                std::function<void()> thread);

// Queues host code that runs as device work on stream s, in stream order: device memory is accessible to it, as to a
// kernel. An exception it throws is a launch failure reported by the stream's next synchronisation. Used by the
// emulated libraries (cuBLAS in runtime.cc, cuDNN in cudnn.cc).
void EnqueueDeviceWork(cudaStream_t s, std::function<void()> work);

template <typename... P>
struct Launcher {
  void (*kernel)(P...);
  dim3 grid, block;
  size_t shmem;
  cudaStream_t stream;
  bool barriers;
  const char *name;
  // The arguments are copied once, as a kernel launch copies them; every thread calls the kernel with them.
  template <typename... A>
  void operator()(A &&...a) const {
    auto args = std::make_shared<std::tuple<std::decay_t<P>...>>(std::forward<A>(a)...);
    auto k = kernel;
    LaunchGrid(stream, name, grid, block, shmem, barriers, [k, args] { std::apply(k, *args); });
  }
};
template <typename... P>
Launcher<P...> MakeLauncher(void (*kernel)(P...), dim3 grid, dim3 block, size_t shmem, cudaStream_t s,
                            bool barriers, const char *name) {
  return Launcher<P...>{kernel, grid, block, shmem, s, barriers, name};
}

}  // namespace emu
}  // namespace mxc

