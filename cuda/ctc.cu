// CTCLoss (kernels_ctc.cuh): one block per sample. The log-softmax runs a thread per step, the recursions a thread
// per extended-label position and a barrier per step, the gradient a thread per (step, channel) summing the
// occupancy of its channel over the label positions in order; every value is computed as the CPU computes it.
#include <cmath>

#include "common.cuh"
#include "kernels_ctc.cuh"

namespace mxc {
namespace cuda {

namespace {

__device__ __forceinline__ double NegInf() { return -static_cast<double>(INFINITY); }

__device__ __forceinline__ double LogAdd(double a, double b) {
  if (a == NegInf()) return b;
  if (b == NegInf()) return a;
  return a > b ? a + log1p(exp(b - a)) : b + log1p(exp(a - b));
}

inline int CtcThreads(int64_t d) { return d <= 32 ? 32 : d <= 64 ? 64 : d <= 128 ? 128 : 256; }

template <typename T>
__global__ void CtcK(CtcGeom g, const T *x, const int64_t *exts, const int64_t *seq_len, const int64_t *lab_len,
                     T *loss, int rl, T *grad, int rg, const T *head, double *work) {
  const int64_t C = g.C, N = g.N;
  for (int64_t n = blockIdx.x; n < N; n += gridDim.x) {
    const int64_t tl = seq_len[n], S = 2 * lab_len[n] + 1;
    const int64_t *ext = exts + n * g.S;
    // lse[t]: the log-sum-exp of step t; ly[t * S + s]: the log-softmax of step t at channel ext[s] (other channels
    // are computed where needed, as x - lse)
    double *lse = work + n * (g.T + 3 * g.T * g.S), *ly = lse + g.T, *alpha = ly + g.T * g.S, *beta = alpha + g.T * g.S;
    for (int64_t t = threadIdx.x; t < tl; t += blockDim.x) {
      const T *xt = x + (t * N + n) * C;
      double m = NegInf();
      for (int64_t c = 0; c < C; ++c) m = fmax(m, static_cast<double>(xt[c]));
      double s = 0;
      for (int64_t c = 0; c < C; ++c) s += exp(static_cast<double>(xt[c]) - m);
      lse[t] = m + log(s);
    }
    __syncthreads();
    for (int64_t e = threadIdx.x; e < tl * S; e += blockDim.x) {
      const int64_t t = e / S;
      ly[e] = static_cast<double>(x[(t * N + n) * C + ext[e % S]]) - lse[t];
    }
    __syncthreads();
    if (tl > 0) {
      for (int64_t s = threadIdx.x; s < S; s += blockDim.x) alpha[s] = s < 2 ? ly[s] : NegInf();
      __syncthreads();
      for (int64_t t = 1; t < tl; ++t) {
        for (int64_t s = threadIdx.x; s < S; s += blockDim.x) {
          double a = alpha[(t - 1) * S + s];
          if (s >= 1) a = LogAdd(a, alpha[(t - 1) * S + s - 1]);
          if (s >= 2 && ext[s] != g.blank && ext[s] != ext[s - 2]) a = LogAdd(a, alpha[(t - 1) * S + s - 2]);
          alpha[t * S + s] = a == NegInf() ? NegInf() : a + ly[t * S + s];
        }
        __syncthreads();
      }
    }
    double logp = NegInf();  // every thread alike
    if (tl > 0) {
      logp = alpha[(tl - 1) * S + S - 1];
      if (S > 1) logp = LogAdd(logp, alpha[(tl - 1) * S + S - 2]);
    } else if (S == 1) {
      logp = 0;  // the empty label from the empty sequence
    }
    const bool feasible = logp != NegInf();
    if (loss && threadIdx.x == 0) Store(loss + n, rl, feasible ? static_cast<T>(-logp) : T(0));
    if (!grad) continue;
    const double h = static_cast<double>(head[n]);
    if (!feasible || tl == 0) {
      for (int64_t e = threadIdx.x; e < g.T * C; e += blockDim.x)
        Store(grad + ((e / C) * N + n) * C + e % C, rg, T(0));
      __syncthreads();
      continue;
    }
    for (int64_t s = threadIdx.x; s < S; s += blockDim.x) {
      double v = NegInf();
      if (s == S - 1 || s == S - 2) v = ly[(tl - 1) * S + s];
      beta[(tl - 1) * S + s] = v;
    }
    __syncthreads();
    for (int64_t t = tl - 2; t >= 0; --t) {
      for (int64_t s = threadIdx.x; s < S; s += blockDim.x) {
        double b = beta[(t + 1) * S + s];
        if (s + 1 < S) b = LogAdd(b, beta[(t + 1) * S + s + 1]);
        if (s + 2 < S && ext[s + 2] != g.blank && ext[s + 2] != ext[s]) b = LogAdd(b, beta[(t + 1) * S + s + 2]);
        beta[t * S + s] = b == NegInf() ? NegInf() : b + ly[t * S + s];
      }
      __syncthreads();
    }
    for (int64_t e = threadIdx.x; e < g.T * C; e += blockDim.x) {
      const int64_t t = e / C, c = e % C;
      T *gp = grad + (t * N + n) * C + c;
      if (t >= tl) {
        Store(gp, rg, T(0));
        continue;
      }
      double occ = NegInf();
      for (int64_t s = c == g.blank ? 0 : 1; s < S; s += 2)  // blanks at even positions, tokens at odd ones
        if (ext[s] == c) occ = LogAdd(occ, alpha[t * S + s] + beta[t * S + s]);
      const double lyc = static_cast<double>(x[(t * N + n) * C + c]) - lse[t];
      const double y = exp(lyc);
      const double post = occ == NegInf() ? 0.0 : exp(occ - lyc - logp);
      Store(gp, rg, static_cast<T>((y - post) * h));
    }
    __syncthreads();
  }
}

}  // namespace

void Ctc(int dtype, const CtcGeom &g, const void *x, const int64_t *ext, const int64_t *seq_len,
         const int64_t *lab_len, void *loss, int req_loss, void *grad, int req_grad, const void *head, double *work,
         cudaStream_t s) {
  if (g.N <= 0) return;
  const unsigned grid = static_cast<unsigned>(g.N < 65535 * 8 ? g.N : 65535 * 8);
  const int64_t par = g.S > g.T ? g.S : g.T;
  MXC_CUDA_REAL_SWITCH(dtype, T, MXC_LAUNCH_BLOCK(grid, CtcThreads(par), 0, s, CtcK<T>)(
                                     g, static_cast<const T *>(x), ext, seq_len, lab_len, static_cast<T *>(loss),
                                     req_loss, static_cast<T *>(grad), req_grad, static_cast<const T *>(head), work));
}

}  // namespace cuda
}  // namespace mxc
