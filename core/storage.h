// The CPU storage pool: memory of freed arrays is kept, by size class, and handed to the next array of that class,
// so that creating arrays (every operator output) neither pays for malloc's aligned allocation nor page-faults on
// fresh pages of large buffers. Used by Chunk (ndarray.cc) for CPU storage only.
//
// Safety with the asynchronous engine: a chunk's memory comes back here only from Chunk's destructor, which the
// engine runs after every pending operation on the chunk's var (Engine::DeleteVar), so reused memory is never still
// read or written by queued work.
//
// Sizes are rounded up to a class (multiples of 64 bytes up to 4 KiB, then 8 classes per power of two: at most
// 12.5% more than asked). The memory kept for reuse is bounded: MXC_CPU_MEM_POOL_LIMIT_MB (default: a quarter of
// the physical memory, at most 4096); 0 turns the pool off (every array mallocs and frees). MXCCPUReleaseCache
// returns the kept memory to the system.
#pragma once

#include <cstddef>
#include <cstdint>

namespace mxc {
namespace storage {

// 64-byte aligned memory of at least `bytes` (0 allowed); throws InternalError when out of memory.
void *CPUAlloc(size_t bytes);
// Gives back memory from CPUAlloc(bytes) (same `bytes`). Must not be in use by anything any more.
void CPUFree(void *ptr, size_t bytes);
// Bytes: held by live arrays (rounded sizes), kept for reuse, highest in_use so far.
void CPUStats(int64_t *in_use, int64_t *cached, int64_t *peak);
// Frees every kept buffer.
void CPUReleaseCache();

}  // namespace storage
}  // namespace mxc
