// float32 GEMM with the right-hand matrix packed once and reused, for products that repeat with the same weights
// (the fused RNN operator's per-step recurrent products, rnn_impl.h / nn_rnn.cc) and for that operator's larger
// products. Register-tiled kernels: AVX2+FMA (6 rows x 16 columns, 12 accumulators, K in blocks of 256 so that the
// block of a column panel stays in L1), or AVX-512F (8 rows x 32 columns, 16 accumulators, K in blocks of 128) when
// the processor has it (MXC_GEMM_AVX512=0 keeps the AVX2 kernel there). Used when the processor has AVX2+FMA and
// MXC_CPU_ISA does not cap the kernels to the baseline (cpu_dispatch.h); PackedGemmAvailable() says so, and callers
// keep op::Gemm otherwise. (cpu_dispatch.h has no AVX-512 copies of elementwise loops, which gain little from it; a
// GEMM's multiply-adds run twice as wide: the LSTM benchmark's forward took 1.6x less time with the AVX-512 tile.)
//
// Why not OpenBLAS for these: a per-step product of the RNN (32 x 512 x 128) is too small to pay for OpenBLAS's
// threads (each call wakes its pool and waits for it) and for packing W_hh again each step; and OpenBLAS 0.3.21's
// dynamic dispatch falls back to its SSE3 "Prescott" kernels on processors it does not know (Emerald Rapids, where
// this was measured), several times slower than this kernel.
//
// Results: sums in the order k = 0, 1, ... (per K block) with fused multiply-adds; they differ from OpenBLAS's in the
// last bits, not in what the tests check.
#pragma once

#include <cstdint>
#include <vector>

namespace mxc {
namespace op {

// op(B) (K x N) as ceil(N / w) panels of K x w floats (row k of panel p: columns wp .. wp + w - 1, zero past N);
// w = 16 for the AVX2 kernel, 32 for the AVX-512 one.
struct PackedB {
  int64_t K = 0, N = 0, width = 16;
  std::vector<float> data;
  const float *Panel(int64_t p) const { return data.data() + p * K * width; }
};

// Whether the packed kernels run here (x86-64 with AVX2+FMA, and the active ISA is not capped to the baseline).
bool PackedGemmAvailable();

// The width of the panels PackB makes now: 32 (AVX-512 kernel) or 16 (AVX2).
int64_t PackedGemmWidth();
// For tests: allows (the default) or forbids the AVX-512 kernel, to run the AVX2 one on a processor with both;
// returns the previous setting. Products packed before keep the kernel of their width.
bool AllowPackedGemmAvx512(bool allow);

// Packs op(B): tb false: B is (K, N) with row stride ldb; tb true: B is (N, K) and op(B) = B^T.
void PackB(bool tb, int64_t K, int64_t N, const float *B, int64_t ldb, PackedB *out);

// Rows [r0, r1) of C (row stride ldc) = alpha * A' * op(B) + beta * C + bias, on the calling thread only. A' is M x K
// with element (i, k) at A[i * ars + k * aks] (ars = lda, aks = 1 for A; ars = 1, aks = lda for A^T). bias: N
// values added to every row, or null. beta 0 ignores C's previous contents (NaN included). Only when
// PackedGemmAvailable().
void GemmPackedRows(int64_t r0, int64_t r1, float alpha, const float *A, int64_t ars, int64_t aks, const PackedB &B,
                    float beta, const float *bias, float *C, int64_t ldc);

// C = alpha * op(A) * op(B) + beta * C (gemm.h's interface): packs B, then splits C's rows over the OpenMP threads
// of this worker when the product is large enough. Only when PackedGemmAvailable().
void GemmPacked(bool ta, bool tb, int64_t M, int64_t N, int64_t K, float alpha, const float *A, int64_t lda,
                const float *B, int64_t ldb, float beta, float *C, int64_t ldc);

// Threads to split `rows` rows of a product of `work` multiply-adds over: 1 inside a parallel region, else up to the
// worker's OpenMP budget, at least `min_rows` rows and ~64K multiply-adds each.
int PackedGemmThreads(int64_t rows, double work, int64_t min_rows);

}  // namespace op
}  // namespace mxc
