// Detection kernels (kernels_detect.cuh): box_iou, box_encode, box_decode, MultiBoxPrior, MultiBoxTarget,
// MultiBoxDetection, box_nms (and its gradient), bipartite_matching, Proposal/MultiProposal, allclose, index_array.
#include <cmath>

#include "common.cuh"
#include "kernels_detect.cuh"

namespace mxc {
namespace cuda {

namespace {

// std::min / std::max exactly (the second argument only when strictly smaller / larger).
template <typename T>
__device__ __forceinline__ T Mn(T a, T b) {
  return b < a ? b : a;
}
template <typename T>
__device__ __forceinline__ T Mx(T a, T b) {
  return a < b ? b : a;
}

template <typename T>
__device__ __forceinline__ T Area(const T *b) {
  const T w = b[2] - b[0], h = b[3] - b[1];
  return (w < T(0) || h < T(0)) ? T(0) : w * h;
}
// As the CPU's CornerIoU.
template <typename T>
__device__ __forceinline__ T IoU(const T *a, const T *b) {
  const T w = Mn(a[2], b[2]) - Mx(a[0], b[0]);
  const T h = Mn(a[3], b[3]) - Mx(a[1], b[1]);
  if (w <= T(0) || h <= T(0)) return T(0);
  const T inter = w * h;
  const T uni = Area(a) + Area(b) - inter;
  return uni > T(0) ? inter / uni : T(0);
}
template <typename T>
__device__ __forceinline__ void ToCorner(const T *c, T *o) {
  const T x = c[0], y = c[1], hw = c[2] / T(2), hh = c[3] / T(2);
  o[0] = x - hw;
  o[1] = y - hh;
  o[2] = x + hw;
  o[3] = y + hh;
}
template <typename T>
__device__ __forceinline__ void ToCenter(const T *c, T *o) {
  const T w = c[2] - c[0], h = c[3] - c[1];
  o[0] = c[0] + w / T(2);
  o[1] = c[1] + h / T(2);
  o[2] = w;
  o[3] = h;
}

// The order of the CPU's StableOrder: key descending (ascending with asc), ties by index; index -1 (padding) last.
template <typename T>
struct KeyLess {
  const T *key;
  bool asc;
  __device__ bool operator()(int a, int b) const {
    if (a < 0) return false;
    if (b < 0) return true;
    const T ka = key[a], kb = key[b];
    if (asc ? ka < kb : ka > kb) return true;
    if (asc ? kb < ka : kb > ka) return false;
    return a < b;
  }
};

// idx[0..P) (indices, -1 for padding; P a power of two) sorted in KeyLess order by a bitonic network. Every thread of
// the block calls it, after idx is written.
template <typename T>
__device__ void BlockBitonicSort(int *idx, int P, KeyLess<T> less) {
  for (int k = 2; k <= P; k <<= 1)
    for (int j = k >> 1; j > 0; j >>= 1) {
      for (int i = threadIdx.x; i < P; i += blockDim.x) {
        const int l = i ^ j;
        if (l > i) {
          const int a = idx[i], b = idx[l];
          const bool up = (i & k) == 0;
          if (up ? less(b, a) : less(a, b)) {
            idx[i] = b;
            idx[l] = a;
          }
        }
      }
      __syncthreads();
    }
}

// idx[0..P) = the indices 0..n-1 in KeyLess order, then -1 (P a power of two >= n). Every thread of the block calls it.
template <typename T>
__device__ void BlockSortIdx(int *idx, int n, int P, KeyLess<T> less) {
  for (int i = threadIdx.x; i < P; i += blockDim.x) idx[i] = i < n ? i : -1;
  __syncthreads();
  BlockBitonicSort(idx, P, less);
}

// pos[i] = the number of set flags before i (i < n); returns their total. sh: kThreads + 1 shared ints. Every thread
// of the block calls it.
__device__ int BlockScan(const int *flags, int *pos, int n, int *sh) {
  const int chunk = (n + blockDim.x - 1) / blockDim.x;
  const int b = threadIdx.x * chunk, e = b + chunk < n ? b + chunk : n;
  int c = 0;
  for (int i = b; i < e; ++i) c += flags[i];
  sh[threadIdx.x] = c;
  __syncthreads();
  if (threadIdx.x == 0) {
    int run = 0;
    for (int t = 0; t < static_cast<int>(blockDim.x); ++t) {
      const int v = sh[t];
      sh[t] = run;
      run += v;
    }
    sh[blockDim.x] = run;
  }
  __syncthreads();
  int run = sh[threadIdx.x];
  for (int i = b; i < e; ++i) {
    pos[i] = run;
    run += flags[i];
  }
  const int total = sh[blockDim.x];
  __syncthreads();
  return total;
}

// The smallest power of two >= n, in int64 (an int would overflow, and the loop never end, past 2^30: _shuffle of
// more rows). The one-block sorts below index in int: items of up to 2^30 elements.
int64_t Pow2(int64_t n) {
  int64_t p = 1;
  while (p < n) p <<= 1;
  return p;
}

// A stream-ordered work array, freed (stream-ordered) at scope exit.
class Work {
 public:
  Work(size_t bytes, cudaStream_t s) : s_(s) {
    if (bytes && cudaMallocAsync(&p_, bytes, s) != cudaSuccess) {
      cudaGetLastError();  // the failure is this exception, not a later launch's error
      p_ = nullptr;
      throw std::bad_alloc();  // the operator's "out of memory" error (earlier Works are freed on the way out)
    }
  }
  ~Work() {
    if (p_) cudaFreeAsync(p_, s_);
  }
  Work(const Work &) = delete;
  Work &operator=(const Work &) = delete;
  template <typename T>
  T *as() const {
    return static_cast<T *>(p_);
  }

 private:
  cudaStream_t s_;
  void *p_ = nullptr;
};

// ---- box_iou, box_encode, box_decode, MultiBoxPrior ----------------------------------------------------------------
template <typename T>
__global__ void BoxIouK(const T *l, int64_t nl, const T *r, int64_t nr, bool center, T *out, int req) {
  MXC_CUDA_LOOP(t, nl * nr) {
    const int64_t i = t / nr, j = t % nr;
    T a[4], b[4];
    if (center) {
      ToCorner(l + 4 * i, a);
      ToCorner(r + 4 * j, b);
    } else {
      for (int c = 0; c < 4; ++c) a[c] = l[4 * i + c], b[c] = r[4 * j + c];
    }
    Store(out + t, req, IoU(a, b));
  }
}

template <typename T>
__global__ void BoxEncodeK(const T *sm, const T *mt, const T *an, const T *rf, const T *mn, const T *sd, int64_t B,
                           int64_t N, int64_t M, T *o0, int req0, T *o1, int req1, int *bad) {
  MXC_CUDA_LOOP(e, B * N) {
    const int64_t b = e / N;
    T t[4] = {0, 0, 0, 0}, msk = 0;
    if (sm[e] > T(0.5)) {
      const int64_t m = static_cast<int64_t>(mt[e]);
      if (m < 0 || m >= M) {
        if (bad) *bad = 1;
      } else {
        T a[4], g[4];
        ToCenter(an + e * 4, a);
        ToCenter(rf + (b * M + m) * 4, g);
        t[0] = ((g[0] - a[0]) / a[2] - mn[0]) / sd[0];
        t[1] = ((g[1] - a[1]) / a[3] - mn[1]) / sd[1];
        t[2] = (log(g[2] / a[2]) - mn[2]) / sd[2];
        t[3] = (log(g[3] / a[3]) - mn[3]) / sd[3];
        msk = 1;
      }
    }
    for (int c = 0; c < 4; ++c) {
      Store(o0 + e * 4 + c, req0, t[c]);
      Store(o1 + e * 4 + c, req1, msk);
    }
  }
}

template <typename T>
__global__ void BoxDecodeK(const T *d, const T *an, int64_t B, int64_t N, T s0, T s1, T s2, T s3, T clip, bool center,
                           T *y, int req) {
  MXC_CUDA_LOOP(e, B * N) {
    const int64_t i = e % N;
    T a[4];
    if (center) {
      for (int c = 0; c < 4; ++c) a[c] = an[i * 4 + c];
    } else {
      ToCenter(an + i * 4, a);
    }
    const T *o = d + e * 4;
    const T ox = o[0] * s0 * a[2] + a[0], oy = o[1] * s1 * a[3] + a[1];
    T dw = o[2] * s2, dh = o[3] * s3;
    if (clip > T(0)) {
      dw = Mn(dw, clip);
      dh = Mn(dh, clip);
    }
    const T hw = exp(dw) * a[2] / T(2), hh = exp(dh) * a[3] / T(2);
    T *r = y + e * 4;
    Store(r, req, ox - hw);
    Store(r + 1, req, oy - hh);
    Store(r + 2, req, ox + hw);
    Store(r + 3, req, oy + hh);
  }
}

__global__ void PriorK(PriorSpec ps, float *y, int req) {
  MXC_CUDA_LOOP(t, ps.H * ps.W * ps.k) {
    const int k = static_cast<int>(t % ps.k);
    const int64_t cell = t / ps.k, r = cell / ps.W, c = cell % ps.W;
    const float cy = (static_cast<float>(r) + ps.oy) * ps.sy, cx = (static_cast<float>(c) + ps.ox) * ps.sx;
    float b[4] = {cx - ps.hw[k], cy - ps.hh[k], cx + ps.hw[k], cy + ps.hh[k]};
    for (int q = 0; q < 4; ++q) {
      float v = b[q];
      if (ps.clip) v = Mn(1.0f, Mx(0.0f, v));
      Store(y + t * 4 + q, req, v);
    }
  }
}

// ---- MultiBoxTarget: one block per batch item ----------------------------------------------------------------------
template <typename T>
__global__ void TargetK(const T *anc, const T *lab_all, const T *cp_all, int64_t A, int64_t L, int64_t W, int64_t C,
                        TargetSpec ts, int P, T *iou_all, int *match_all, T *maxiou_all, T *bgp_all, int *idx_all,
                        int *gdone_all, T *loc_all, int req0, T *mask_all, int req1, T *cls_all, int req2) {
  const int64_t b = blockIdx.x;
  const T *lab = lab_all + b * L * W, *cp = cp_all + b * C * A;
  T *iou = iou_all + b * A * L, *maxiou = maxiou_all + b * A, *bgp = bgp_all + b * A;
  int *match = match_all + b * A, *idx = idx_all + b * P, *gdone = gdone_all + b * L;
  T *loc = loc_all + b * A * 4, *mask = mask_all + b * A * 4, *cls = cls_all + b * A;
  __shared__ T bestv[kThreads];
  __shared__ int64_t bestk[kThreads];
  __shared__ int sh_ng;
  __shared__ int sh_npos;
  const T ignore = static_cast<T>(ts.ignore), ot = static_cast<T>(ts.overlap), nt = static_cast<T>(ts.neg_thresh);
  if (threadIdx.x == 0) {
    int ng = 0;
    while (ng < L && lab[ng * W] != T(-1)) ++ng;
    sh_ng = ng;
    sh_npos = 0;
  }
  __syncthreads();
  const int64_t ng = sh_ng;
  if (ng == 0) {
    for (int64_t e = threadIdx.x; e < A * 4; e += blockDim.x) {
      Store(loc + e, req0, T(0));
      Store(mask + e, req1, T(0));
    }
    for (int64_t a = threadIdx.x; a < A; a += blockDim.x) Store(cls + a, req2, ignore);
    return;
  }
  for (int64_t t = threadIdx.x; t < A * ng; t += blockDim.x) {
    const int64_t a = t / ng, g = t % ng;
    iou[t] = IoU(anc + a * 4, lab + g * W + 1);
  }
  for (int64_t a = threadIdx.x; a < A; a += blockDim.x) match[a] = -1;
  for (int64_t g = threadIdx.x; g < ng; g += blockDim.x) gdone[g] = 0;
  __syncthreads();
  // Greedy bipartite stage: the best remaining (label, anchor) pair first, ties in (label, anchor) order.
  for (;;) {
    T best = T(0);
    int64_t bk = -1;
    for (int64_t t = threadIdx.x; t < A * ng; t += blockDim.x) {
      const int64_t g = t / A, a = t % A;
      if (gdone[g] || match[a] >= 0) continue;
      const T v = iou[a * ng + g];
      if (v > best) {
        best = v;
        bk = t;
      }
    }
    bestv[threadIdx.x] = best;
    bestk[threadIdx.x] = bk;
    __syncthreads();
    for (int w = kThreads / 2; w > 0; w >>= 1) {
      if (static_cast<int>(threadIdx.x) < w) {
        const T ov = bestv[threadIdx.x + w];
        const int64_t ok = bestk[threadIdx.x + w];
        const int64_t mk = bestk[threadIdx.x];
        if (ok >= 0 && (mk < 0 || ov > bestv[threadIdx.x] || (ov == bestv[threadIdx.x] && ok < mk))) {
          bestv[threadIdx.x] = ov;
          bestk[threadIdx.x] = ok;
        }
      }
      __syncthreads();
    }
    const int64_t k = bestk[0];
    __syncthreads();
    if (k < 0) break;
    if (threadIdx.x == 0) {
      match[k % A] = static_cast<int>(k / A);
      gdone[k / A] = 1;
    }
    __syncthreads();
  }
  // Threshold stage, the largest IoU of every anchor, the targets of the matched ones.
  int npos = 0;
  for (int64_t a = threadIdx.x; a < A; a += blockDim.x) {
    int64_t bg = -1;
    T best = T(-1);
    for (int64_t g = 0; g < ng; ++g)
      if (iou[a * ng + g] > best) {
        best = iou[a * ng + g];
        bg = g;
      }
    maxiou[a] = best;
    if (match[a] < 0 && best > ot) match[a] = static_cast<int>(bg);
    T t[4] = {0, 0, 0, 0}, m = T(0), c = ignore;
    if (match[a] >= 0) {
      ++npos;
      const T *g = lab + match[a] * W;
      c = g[0] + T(1);
      T ac[4], gc[4];
      ToCenter(anc + a * 4, ac);
      ToCenter(g + 1, gc);
      t[0] = (gc[0] - ac[0]) / ac[2] / static_cast<T>(ts.var[0]);
      t[1] = (gc[1] - ac[1]) / ac[3] / static_cast<T>(ts.var[1]);
      t[2] = log(gc[2] / ac[2]) / static_cast<T>(ts.var[2]);
      t[3] = log(gc[3] / ac[3]) / static_cast<T>(ts.var[3]);
      m = T(1);
    } else if (!(ts.ratio > 0)) {
      c = T(0);
    }
    for (int q = 0; q < 4; ++q) {
      Store(loc + a * 4 + q, req0, t[q]);
      Store(mask + a * 4 + q, req1, m);
    }
    cls[a] = c;  // a temporary value; stored with req2 at the end (cls_all is a work array for add requests)
  }
  atomicAdd(&sh_npos, npos);
  __syncthreads();
  if (ts.ratio > 0) {
    // Hard negative mining: the candidates of lowest background probability (ties in anchor order).
    for (int64_t a = threadIdx.x; a < A; a += blockDim.x) {
      if (match[a] >= 0 || !(maxiou[a] < nt)) {
        bgp[a] = T(0);
        continue;
      }
      T mx = cp[a];
      for (int64_t c = 1; c < C; ++c) mx = Mx(mx, cp[c * A + a]);
      T sum = 0;
      for (int64_t c = 0; c < C; ++c) sum += exp(cp[c * A + a] - mx);
      bgp[a] = exp(cp[a] - mx) / sum;
    }
    __syncthreads();
    // Sort the candidates on (bgp ascending, anchor index); the other anchors are padding (-1, last).
    for (int i = threadIdx.x; i < P; i += blockDim.x)
      idx[i] = (i < A && match[i] < 0 && maxiou[i] < nt) ? i : -1;
    __syncthreads();
    BlockBitonicSort(idx, P, KeyLess<T>{bgp, true});
    int64_t ncand = 0;
    for (int64_t a = 0; a < A; ++a) ncand += (match[a] < 0 && maxiou[a] < nt) ? 1 : 0;
    int64_t nneg = static_cast<int64_t>(sh_npos * ts.ratio);
    if (nneg > ncand) nneg = ncand;
    for (int64_t i = threadIdx.x; i < nneg; i += blockDim.x) cls[idx[i]] = T(0);
    __syncthreads();
  }
}

template <typename T>
__global__ void CopyReqK(const T *x, T *y, int64_t n, int req) {
  MXC_CUDA_LOOP(i, n) Store(y + i, req, x[i]);
}

// ---- MultiBoxDetection: one block per batch item ------------------------------------------------------------------
template <typename T>
__global__ void DetectionK(const T *prob_all, const T *lp_all, const T *anc, int64_t C, int64_t A, DetectionSpec ds,
                           int P, int *flag_all, int *pos_all, T *buf_all, T *score_all, int *idx_all, T *o_all) {
  const int64_t b = blockIdx.x;
  const T *prob = prob_all + b * C * A, *lp = lp_all + b * A * 4;
  int *flag = flag_all + b * A, *pos = pos_all + b * A, *idx = idx_all + b * P;
  T *buf = buf_all + b * A * 6, *score = score_all + b * A, *o = o_all + b * A * 6;
  __shared__ int sh[kThreads + 1];
  const T thr = static_cast<T>(ds.threshold), nt = static_cast<T>(ds.nms_threshold);
  for (int64_t a = threadIdx.x; a < A; a += blockDim.x) {
    T best = T(-1);
    int64_t id = -1;
    for (int64_t c = 1; c < C; ++c)
      if (prob[c * A + a] > best) {
        best = prob[c * A + a];
        id = c - 1;
      }
    flag[a] = (id >= 0 && best >= thr) ? 1 : 0;
  }
  __syncthreads();
  const int nv = BlockScan(flag, pos, static_cast<int>(A), sh);
  for (int64_t a = threadIdx.x; a < A; a += blockDim.x) {
    if (!flag[a]) continue;
    T best = T(-1);
    int64_t id = -1;
    for (int64_t c = 1; c < C; ++c)
      if (prob[c * A + a] > best) {
        best = prob[c * A + a];
        id = c - 1;
      }
    T ac[4];
    ToCenter(anc + a * 4, ac);
    const T *d = lp + a * 4;
    const T x = d[0] * static_cast<T>(ds.var[0]) * ac[2] + ac[0], y = d[1] * static_cast<T>(ds.var[1]) * ac[3] + ac[1];
    const T hw = exp(d[2] * static_cast<T>(ds.var[2])) * ac[2] / T(2);
    const T hh = exp(d[3] * static_cast<T>(ds.var[3])) * ac[3] / T(2);
    T *r = buf + pos[a] * 6;
    r[0] = static_cast<T>(id);
    r[1] = best;
    r[2] = x - hw;
    r[3] = y - hh;
    r[4] = x + hw;
    r[5] = y + hh;
    if (ds.clip)
      for (int k = 2; k < 6; ++k) r[k] = Mn(T(1), Mx(T(0), r[k]));
    score[pos[a]] = best;
  }
  __syncthreads();
  BlockSortIdx(idx, nv, P, KeyLess<T>{score, false});
  const int64_t nkeep = ds.topk > 0 ? (nv < ds.topk ? nv : ds.topk) : nv;
  for (int64_t e = threadIdx.x; e < A * 6; e += blockDim.x) {
    const int64_t i = e / 6, q = e % 6;
    T v = T(-1);
    if (i < nkeep) v = buf[idx[i] * 6 + q];
    else if (i < nv && q > 0) v = buf[e];
    o[e] = v;
  }
  __syncthreads();
  for (int64_t i = 0; i < nkeep; ++i) {
    const T *ri = o + i * 6;
    if (ri[0] < T(0)) continue;  // every thread reads the same (synchronised) value
    for (int64_t j = i + 1 + threadIdx.x; j < nkeep; j += blockDim.x) {
      T *rj = o + j * 6;
      if (rj[0] < T(0)) continue;
      if (!ds.force && rj[0] != ri[0]) continue;
      if (IoU(ri + 2, rj + 2) > nt) rj[0] = T(-1);
    }
    __syncthreads();
  }
}

// ---- box_nms: one block per batch item ----------------------------------------------------------------------------
template <typename T>
__global__ void NmsK(const T *x, NmsSpec ns, int P, int *flag_all, int *pos_all, int *cand_all, T *score_all,
                     int *idx_all, T *box_all, int *removed_all, T *res_all, int32_t *rec) {
  const int64_t b = blockIdx.x, n = ns.n, K = ns.k;
  const T *xb = x + b * n * K;
  int *flag = flag_all + b * n, *pos = pos_all + b * n, *cand = cand_all + b * n, *idx = idx_all + b * P;
  int *removed = removed_all + b * n;
  T *score = score_all + b * n, *box = box_all + b * n * 4, *res = res_all + b * n * K;
  int32_t *rb = rec + b * n;
  __shared__ int sh[kThreads + 1];
  const T vt = static_cast<T>(ns.valid_thresh), ot = static_cast<T>(ns.overlap_thresh);
  const int64_t cs = ns.coord_start, si = ns.score_index, ii = ns.id_index;
  for (int64_t i = threadIdx.x; i < n; i += blockDim.x) {
    const T *row = xb + i * K;
    flag[i] = (row[si] > vt && !(ii >= 0 && row[ii] == static_cast<T>(ns.background_id))) ? 1 : 0;
  }
  __syncthreads();
  const int nc = BlockScan(flag, pos, static_cast<int>(n), sh);
  for (int64_t i = threadIdx.x; i < n; i += blockDim.x)
    if (flag[i]) {
      cand[pos[i]] = static_cast<int>(i);
      score[pos[i]] = xb[i * K + si];
    }
  __syncthreads();
  BlockSortIdx(idx, nc, P, KeyLess<T>{score, false});
  const int64_t m = ns.topk > 0 && nc > ns.topk ? ns.topk : nc;
  for (int64_t a = threadIdx.x; a < m; a += blockDim.x) {
    const T *c = xb + static_cast<int64_t>(cand[idx[a]]) * K + cs;
    if (ns.in_center) ToCorner(c, box + 4 * a);
    else
      for (int q = 0; q < 4; ++q) box[4 * a + q] = c[q];
    removed[a] = 0;
  }
  __syncthreads();
  for (int64_t a = 0; a < m; ++a) {
    if (removed[a]) continue;
    const T ida = ii >= 0 ? xb[static_cast<int64_t>(cand[idx[a]]) * K + ii] : T(0);
    for (int64_t c = a + 1 + threadIdx.x; c < m; c += blockDim.x) {
      if (removed[c]) continue;
      if (!ns.force && ii >= 0 && xb[static_cast<int64_t>(cand[idx[c]]) * K + ii] != ida) continue;
      if (IoU(box + 4 * a, box + 4 * c) > ot) removed[c] = 1;
    }
    __syncthreads();
  }
  // The kept ones, in order, come first.
  for (int64_t a = threadIdx.x; a < m; a += blockDim.x) flag[a] = removed[a] ? 0 : 1;
  __syncthreads();
  const int kept = BlockScan(flag, pos, static_cast<int>(m), sh);
  for (int64_t e = threadIdx.x; e < n * K; e += blockDim.x) res[e] = T(-1);
  for (int64_t i = threadIdx.x; i < n; i += blockDim.x) rb[i] = -1;
  __syncthreads();
  for (int64_t a = threadIdx.x; a < m; a += blockDim.x) {
    if (!flag[a]) continue;
    const int64_t j = pos[a], src = cand[idx[a]];
    T *o = res + j * K;
    const T *s = xb + src * K;
    for (int64_t e = 0; e < K; ++e) o[e] = s[e];
    if (ns.in_center && !ns.out_center) ToCorner(s + cs, o + cs);
    else if (!ns.in_center && ns.out_center) ToCenter(s + cs, o + cs);
    rb[j] = static_cast<int32_t>(src);
  }
  (void)kept;
}

template <typename T>
__global__ void NmsGradK(const T *dy, const int32_t *rec, int64_t batch, int64_t n, int64_t K, T *dx) {
  MXC_CUDA_LOOP(t, batch * n * K) {
    const int64_t row = t / K, e = t % K, b = row / n;
    const int32_t src = rec[row];
    if (src < 0) continue;
    dx[(b * n + src) * K + e] += dy[t];  // the kept rows of an item have distinct sources
  }
}

// ---- bipartite_matching: one block per batch item -----------------------------------------------------------------
template <typename T>
__global__ void BipartiteK(const T *x_all, int64_t n, int64_t m, T thr, bool asc, int P, int *idx_all, int *rm_all,
                           int *cm_all, T *rows, int req0, T *cols, int req1) {
  const int64_t b = blockIdx.x;
  const T *x = x_all + b * n * m;
  int *idx = idx_all + b * P, *rm = rm_all + b * n, *cm = cm_all + b * m;
  BlockSortIdx(idx, static_cast<int>(n * m), P, KeyLess<T>{x, asc});
  for (int64_t r = threadIdx.x; r < n; r += blockDim.x) rm[r] = -1;
  for (int64_t c = threadIdx.x; c < m; c += blockDim.x) cm[c] = -1;
  __syncthreads();
  if (threadIdx.x == 0) {
    for (int64_t t = 0; t < n * m; ++t) {
      const int k = idx[t];
      const T v = x[k];
      if (asc ? !(v < thr) : !(v > thr)) break;
      const int64_t r = k / m, c = k % m;
      if (rm[r] < 0 && cm[c] < 0) {
        rm[r] = static_cast<int>(c);
        cm[c] = static_cast<int>(r);
      }
    }
  }
  __syncthreads();
  for (int64_t r = threadIdx.x; r < n; r += blockDim.x) Store(rows + b * n + r, req0, static_cast<T>(rm[r]));
  for (int64_t c = threadIdx.x; c < m; c += blockDim.x) Store(cols + b * m + c, req1, static_cast<T>(cm[c]));
}

// ---- Proposal -----------------------------------------------------------------------------------------------------
template <typename T>
__global__ void ProposalBoxesK(const T *cls_all, const T *bbox_all, const T *info_all, ProposalSpec ps, T *box_all,
                               T *score_all) {
  const int64_t H = ps.H, W = ps.W, A = ps.A, count = H * W * A, plane = H * W;
  MXC_CUDA_LOOP(t, ps.B * count) {
    const int64_t b = t / count, i = t % count;
    const int64_t a = i % A, cell = i / A, h = cell / W, w = cell % W;
    const T *cls = cls_all + b * 2 * A * plane, *bbox = bbox_all + b * 4 * A * plane, *info = info_all + b * 3;
    const T im_h = info[0], im_w = info[1], im_scale = info[2];
    const int64_t real_h = static_cast<int64_t>(im_h / static_cast<T>(ps.stride));
    const int64_t real_w = static_cast<int64_t>(im_w / static_cast<T>(ps.stride));
    const T min_size = static_cast<T>(ps.min_size) * im_scale;
    const T sx = static_cast<T>(w * ps.stride), sy = static_cast<T>(h * ps.stride);
    const T x1 = static_cast<T>(ps.base[4 * a]) + sx, y1 = static_cast<T>(ps.base[4 * a + 1]) + sy;
    const T x2 = static_cast<T>(ps.base[4 * a + 2]) + sx, y2 = static_cast<T>(ps.base[4 * a + 3]) + sy;
    T d[4];
    for (int k = 0; k < 4; ++k) d[k] = bbox[(a * 4 + k) * plane + cell];
    T *o = box_all + t * 4;
    if (ps.iou_loss) {
      o[0] = x1 + d[0];
      o[1] = y1 + d[1];
      o[2] = x2 + d[2];
      o[3] = y2 + d[3];
    } else {
      const T bw = x2 - x1 + T(1), bh = y2 - y1 + T(1);
      const T cx = x1 + T(0.5) * (bw - T(1)), cy = y1 + T(0.5) * (bh - T(1));
      const T pcx = d[0] * bw + cx, pcy = d[1] * bh + cy;
      const T pw = exp(d[2]) * bw, ph = exp(d[3]) * bh;
      o[0] = pcx - T(0.5) * (pw - T(1));
      o[1] = pcy - T(0.5) * (ph - T(1));
      o[2] = pcx + T(0.5) * (pw - T(1));
      o[3] = pcy + T(0.5) * (ph - T(1));
    }
    o[0] = Mn(Mx(o[0], T(0)), im_w - T(1));
    o[1] = Mn(Mx(o[1], T(0)), im_h - T(1));
    o[2] = Mn(Mx(o[2], T(0)), im_w - T(1));
    o[3] = Mn(Mx(o[3], T(0)), im_h - T(1));
    T sc = (h >= real_h || w >= real_w) ? T(-1) : cls[(A + a) * plane + cell];
    if (o[2] - o[0] + T(1) < min_size || o[3] - o[1] + T(1) < min_size) {
      const T half = min_size / T(2);
      o[0] -= half;
      o[1] -= half;
      o[2] += half;
      o[3] += half;
      sc = T(-1);
    }
    score_all[t] = sc;
  }
}

template <typename T>
__device__ __forceinline__ T Area1(const T *r) {
  return (r[2] - r[0] + T(1)) * (r[3] - r[1] + T(1));
}

template <typename T>
__global__ void ProposalNmsK(const T *box_all, const T *score_all, ProposalSpec ps, int P, int *idx_all,
                             int *sup_all, int *keep_all, T *rois, int req0, T *scores, int req1) {
  const int64_t b = blockIdx.x, count = ps.H * ps.W * ps.A;
  const T *box = box_all + b * count * 4, *score = score_all + b * count;
  int *idx = idx_all + b * P, *sup = sup_all + b * count, *keep = keep_all + b * ps.post;
  __shared__ int sh_nk;
  const T thr = static_cast<T>(ps.threshold);
  BlockSortIdx(idx, static_cast<int>(count), P, KeyLess<T>{score, false});
  const int64_t npre = ps.pre_n > 0 && ps.pre_n < count ? ps.pre_n : count;
  for (int64_t u = threadIdx.x; u < npre; u += blockDim.x) sup[u] = 0;
  if (threadIdx.x == 0) sh_nk = 0;
  __syncthreads();
  for (int64_t t = 0; t < npre; ++t) {
    if (sh_nk >= ps.post) break;  // uniform: read after the barrier below
    if (sup[t]) continue;
    const T *bi = box + static_cast<int64_t>(idx[t]) * 4;
    for (int64_t u = t + 1 + threadIdx.x; u < npre; u += blockDim.x) {
      if (sup[u]) continue;
      const T *bu = box + static_cast<int64_t>(idx[u]) * 4;
      const T iw = Mx(T(0), Mn(bu[2], bi[2]) - Mx(bu[0], bi[0]) + T(1));
      const T ih = Mx(T(0), Mn(bu[3], bi[3]) - Mx(bu[1], bi[1]) + T(1));
      const T inter = iw * ih;
      if (inter / (Area1(bu) + Area1(bi) - inter) > thr) sup[u] = 1;
    }
    __syncthreads();
    if (threadIdx.x == 0) {
      keep[sh_nk] = idx[t];
      sh_nk = sh_nk + 1;
    }
    __syncthreads();
  }
  const int nk = sh_nk;
  for (int64_t r = threadIdx.x; r < ps.post; r += blockDim.x) {
    const int64_t k = nk == 0 ? -1 : keep[r % nk];
    T *o = rois + (b * ps.post + r) * 5;
    Store(o, req0, static_cast<T>(b));
    for (int c = 0; c < 4; ++c) Store(o + 1 + c, req0, k < 0 ? T(0) : box[4 * k + c]);
    if (scores) Store(scores + b * ps.post + r, req1, k < 0 ? T(-1) : score[k]);
  }
}

// ---- allclose, index_array ----------------------------------------------------------------------------------------
template <typename T>
__global__ void AllCloseK(const T *a, const T *b, int64_t n, double rtol, double atol, bool equal_nan, int *notclose) {
  MXC_CUDA_LOOP(i, n) {
    const double x = static_cast<double>(a[i]), y = static_cast<double>(b[i]);
    bool close;
    if (isnan(x) || isnan(y)) close = equal_nan && isnan(x) && isnan(y);
    else close = fabs(x - y) <= atol + rtol * fabs(y);
    if (!close) *notclose = 1;
  }
}
__global__ void AllCloseOutK(const int *notclose, uint8_t *out, int req) {
  if (blockIdx.x == 0 && threadIdx.x == 0) {
    const uint8_t v = *notclose ? 0 : 1;
    if (req == 3) *out = static_cast<uint8_t>(*out + v);
    else *out = v;
  }
}

__global__ void IndexArrayK(IndexArraySpec sp, int64_t n, int64_t *out, int req) {
  MXC_CUDA_LOOP(t, n * sp.K) {
    const int64_t i = t / sp.K;
    const int k = static_cast<int>(t % sp.K);
    Store(out + t, req, (i / sp.stride[k]) % sp.size[k]);
  }
}

}  // namespace

namespace {

// ---- random --------------------------------------------------------------------------------------------------------
// One draw's counter-based stream: Philox-4x32-10 under key, counter (elem, block number, tag).
struct DrawRng {
  uint2 key;
  unsigned long long elem;
  unsigned ctr = 0;
  unsigned w[4];
  int left = 0;
  __device__ DrawRng(unsigned long long k, unsigned long long e)
      : key(make_uint2(static_cast<unsigned>(k), static_cast<unsigned>(k >> 32))), elem(e) {}
  __device__ unsigned Word() {
    if (left == 0) {
      unsigned c0 = static_cast<unsigned>(elem), c1 = static_cast<unsigned>(elem >> 32), c2 = ctr++, c3 = 0xDE7Cu;
      unsigned k0 = key.x, k1 = key.y;
      for (int r = 0; r < 10; ++r) {
        const unsigned long long p0 = 0xD2511F53ull * c0, p1 = 0xCD9E8D57ull * c2;
        const unsigned hi0 = static_cast<unsigned>(p0 >> 32), lo0 = static_cast<unsigned>(p0);
        const unsigned hi1 = static_cast<unsigned>(p1 >> 32), lo1 = static_cast<unsigned>(p1);
        c0 = hi1 ^ c1 ^ k0;
        c1 = lo1;
        c2 = hi0 ^ c3 ^ k1;
        c3 = lo0;
        k0 += 0x9E3779B9u;
        k1 += 0xBB67AE85u;
      }
      w[0] = c0, w[1] = c1, w[2] = c2, w[3] = c3;
      left = 4;
    }
    return w[--left];
  }
  __device__ unsigned long long Bits64() {
    const unsigned long long a = Word(), b = Word();
    return (a << 32) | b;
  }
  __device__ double Uniform() { return static_cast<double>(Bits64() >> 11) * (1.0 / 9007199254740992.0); }
};

// *p (=|+=) v, the sum formed in double as the CPU's samplers and densities store.
template <typename T>
__device__ __forceinline__ void StoreD(T *p, int req, double v) {
  if (req == 3) *p = static_cast<T>(static_cast<double>(*p) + v);
  else if (req != 0) *p = static_cast<T>(v);
}

__global__ void ShuffleKeysK(uint64_t key, int64_t n, int64_t P, unsigned long long *keys, long long *idx) {
  MXC_CUDA_LOOP(i, P) {
    if (i < n) {
      DrawRng r(key, static_cast<unsigned long long>(i));
      keys[i] = r.Bits64();
    } else {
      keys[i] = ~0ull;  // padding: last
    }
    idx[i] = i;
  }
}
// One step (k, j) of a bitonic sort of (keys, idx) ascending over the grid.
__global__ void BitonicStepK(unsigned long long *keys, long long *idx, int64_t P, int64_t k, int64_t j) {
  MXC_CUDA_LOOP(i, P) {
    const int64_t l = i ^ j;
    if (l <= i) continue;
    const unsigned long long ka = keys[i], kb = keys[l];
    const long long ia = idx[i], ib = idx[l];
    const bool b_less = kb < ka || (kb == ka && ib < ia);
    const bool up = (i & k) == 0;
    if (up ? b_less : !b_less) {
      keys[i] = kb;
      keys[l] = ka;
      idx[i] = ib;
      idx[l] = ia;
    }
  }
}
template <typename U>
__global__ void GatherRowsK(const U *x, const long long *perm, int64_t n, int64_t row, U *out, int req) {
  MXC_CUDA_LOOP(t, n * row) {
    const int64_t i = t / row, e = t % row;
    Store(out + t, req, x[perm[i] * row + e]);
  }
}

template <typename P, typename I>
__global__ void MultinomialK(const P *prob, int64_t rows, int64_t k, int64_t per, uint64_t key, I *idx, int req0,
                             P *logp, int req1) {
  MXC_CUDA_LOOP(t, rows * per) {
    const int64_t i = t / per;
    DrawRng r(key, static_cast<unsigned long long>(t));
    const double u = r.Uniform();
    const P *pr = prob + i * k;
    double acc = 0;
    int64_t c = k - 1;
    for (int64_t q = 0; q < k; ++q) {
      acc += static_cast<double>(pr[q]);
      if (u < acc) {
        c = q;
        break;
      }
    }
    StoreD(idx + t, req0, static_cast<double>(c));
    if (logp) StoreD(logp + t, req1, log(static_cast<double>(pr[c])));
  }
}
template <typename P, typename I>
__global__ void MultinomialGradK(const P *prob, int64_t rows, int64_t k, int64_t per, const I *idx, const P *g,
                                 P *dprob, int req) {
  MXC_CUDA_LOOP(t, rows * k) {
    const int64_t i = t / k, c = t % k;
    double acc = 0;
    if (g)
      for (int64_t j = 0; j < per; ++j)
        if (static_cast<int64_t>(idx[i * per + j]) == c)
          acc += static_cast<double>(g[i * per + j]) / static_cast<double>(prob[t]);
    StoreD(dprob + t, req, acc);
  }
}

// The CPU's digamma (shifted up to x >= 6, then the asymptotic series; NaN at 0, -1, -2, ...).
__device__ __forceinline__ double DigammaCpu(double x) {
  if (x <= 0 && x == floor(x)) return NAN;
  double r = 0;
  while (x < 6) {
    r -= 1 / x;
    x += 1;
  }
  const double f = 1 / (x * x);
  return r + log(x) - 0.5 / x - f * (1.0 / 12 - f * (1.0 / 120 - f * (1.0 / 252 - f * (1.0 / 240 - f * (1.0 / 132)))));
}

// The log-density of sample (i, j).
template <typename T>
__device__ __forceinline__ double DirichletLog(const T *x, const T *alpha, int64_t per, int64_t k, int64_t t) {
  const int64_t i = t / per;
  const T *a = alpha + i * k, *xs = x + t * k;
  double sum = 0, lg = 0;
  for (int64_t c = 0; c < k; ++c) {
    sum += static_cast<double>(a[c]);
    lg += lgamma(static_cast<double>(a[c]));
  }
  double l = lgamma(sum) - lg;
  for (int64_t c = 0; c < k; ++c) l += (static_cast<double>(a[c]) - 1) * log(static_cast<double>(xs[c]));
  return l;
}
template <typename T>
__global__ void PdfDirichletK(const T *x, const T *alpha, int64_t nd, int64_t per, int64_t k, bool lg, T *out,
                              int req) {
  MXC_CUDA_LOOP(t, nd * per) {
    const double l = DirichletLog(x, alpha, per, k, t);
    StoreD(out + t, req, lg ? l : exp(l));
  }
}
// Per sample: the head times the density's factor (g'), and dx.
template <typename T>
__global__ void PdfDirichletGradXK(const T *g, const T *x, const T *alpha, int64_t nd, int64_t per, int64_t k, bool lg,
                                   double *gs, T *dx, int req_x) {
  MXC_CUDA_LOOP(t, nd * per) {
    const double l = DirichletLog(x, alpha, per, k, t);
    const double gt = static_cast<double>(g[t]) * (lg ? 1.0 : exp(l));
    gs[t] = gt;
    if (dx) {
      const T *a = alpha + (t / per) * k;
      for (int64_t c = 0; c < k; ++c)
        StoreD(dx + t * k + c, req_x, gt * (static_cast<double>(a[c]) - 1) / static_cast<double>(x[t * k + c]));
    }
  }
}
template <typename T>
__global__ void PdfDirichletGradAK(const double *gs, const T *x, const T *alpha, int64_t nd, int64_t per, int64_t k,
                                   T *da, int req_a) {
  MXC_CUDA_LOOP(t, nd * k) {
    const int64_t i = t / k, c = t % k;
    double sum = 0;
    for (int64_t q = 0; q < k; ++q) sum += static_cast<double>(alpha[i * k + q]);
    const double dsum = DigammaCpu(sum), dc = DigammaCpu(static_cast<double>(alpha[t]));
    double acc = 0;
    for (int64_t j = 0; j < per; ++j) {
      const int64_t e = i * per + j;
      acc += gs[e] * (dsum - dc + log(static_cast<double>(x[e * k + c])));
    }
    StoreD(da + t, req_a, acc);
  }
}

}  // namespace

void BoxIou(int dtype, const void *lhs, int64_t nl, const void *rhs, int64_t nr, bool center, void *out, int req,
            cudaStream_t s) {
  if (nl * nr == 0 || req == 0) return;
  MXC_CUDA_REAL_SWITCH(dtype, T, {
    MXC_LAUNCH(Blocks(nl * nr), kThreads, 0, s, BoxIouK<T>)(static_cast<const T *>(lhs), nl,
                                                             static_cast<const T *>(rhs), nr, center,
                                                             static_cast<T *>(out), req);
  });
}

void BoxEncode(int dtype, const void *samples, const void *matches, const void *anchors, const void *refs,
               const void *means, const void *stds, int64_t B, int64_t N, int64_t M, void *out0, int req0, void *out1,
               int req1, int *bad, cudaStream_t s) {
  if (B * N == 0) return;
  MXC_CUDA_REAL_SWITCH(dtype, T, {
    MXC_LAUNCH(Blocks(B * N), kThreads, 0, s, BoxEncodeK<T>)(
        static_cast<const T *>(samples), static_cast<const T *>(matches), static_cast<const T *>(anchors),
        static_cast<const T *>(refs), static_cast<const T *>(means), static_cast<const T *>(stds), B, N, M,
        static_cast<T *>(out0), req0, static_cast<T *>(out1), req1, bad);
  });
}

void BoxDecode(int dtype, const void *data, const void *anchors, int64_t B, int64_t N, const double stds[4],
               double clip, bool center, void *out, int req, cudaStream_t s) {
  if (B * N == 0 || req == 0) return;
  MXC_CUDA_REAL_SWITCH(dtype, T, {
    MXC_LAUNCH(Blocks(B * N), kThreads, 0, s, BoxDecodeK<T>)(
        static_cast<const T *>(data), static_cast<const T *>(anchors), B, N, static_cast<T>(stds[0]),
        static_cast<T>(stds[1]), static_cast<T>(stds[2]), static_cast<T>(stds[3]), static_cast<T>(clip), center,
        static_cast<T *>(out), req);
  });
}

void MultiBoxPrior(const PriorSpec &ps, float *out, int req, cudaStream_t s) {
  const int64_t n = ps.H * ps.W * ps.k;
  if (n == 0 || req == 0) return;
  MXC_LAUNCH(Blocks(n), kThreads, 0, s, PriorK)(ps, out, req);
}

void MultiBoxTarget(int dtype, const void *anchors, const void *labels, const void *cls_pred, int64_t A, int64_t B,
                    int64_t L, int64_t W, int64_t C, const TargetSpec &ts, void *loc, int req0, void *mask, int req1,
                    void *cls, int req2, cudaStream_t s) {
  if (B == 0) return;
  const int P = static_cast<int>(Pow2(A));
  MXC_CUDA_REAL_SWITCH(dtype, T, {
    Work iou(sizeof(T) * B * A * (L > 0 ? L : 1), s), match(sizeof(int) * B * A + 8, s), maxiou(sizeof(T) * B * A + 8, s);
    Work bgp(sizeof(T) * B * A + 8, s), idx(sizeof(int) * B * P, s), gdone(sizeof(int) * B * (L > 0 ? L : 1), s);
    Work ctmp(sizeof(T) * B * A + 8, s);
    // loc and mask are stored with their requests by the kernel; cls goes through a work array (the mining stage
    // revises it), then is stored with its request.
    MXC_LAUNCH_BLOCK(static_cast<int>(B), kThreads, 0, s, TargetK<T>)(
        static_cast<const T *>(anchors), static_cast<const T *>(labels), static_cast<const T *>(cls_pred), A, L, W, C,
        ts, P, iou.as<T>(), match.as<int>(), maxiou.as<T>(), bgp.as<T>(), idx.as<int>(), gdone.as<int>(),
        static_cast<T *>(loc), req0, static_cast<T *>(mask), req1, ctmp.as<T>(), 1);
    if (req2 != 0 && B * A > 0)
      MXC_LAUNCH(Blocks(B * A), kThreads, 0, s, CopyReqK<T>)(ctmp.as<T>(), static_cast<T *>(cls), B * A, req2);
  });
}

void MultiBoxDetection(int dtype, const void *prob, const void *loc_pred, const void *anchors, int64_t B, int64_t C,
                       int64_t A, const DetectionSpec &ds, void *out, int req, cudaStream_t s) {
  if (B * A == 0 || req == 0) return;
  const int P = static_cast<int>(Pow2(A));
  MXC_CUDA_REAL_SWITCH(dtype, T, {
    Work flag(sizeof(int) * B * A, s), pos(sizeof(int) * B * A, s), buf(sizeof(T) * B * A * 6, s);
    Work score(sizeof(T) * B * A, s), idx(sizeof(int) * B * P, s), o(sizeof(T) * B * A * 6, s);
    MXC_LAUNCH_BLOCK(static_cast<int>(B), kThreads, 0, s, DetectionK<T>)(
        static_cast<const T *>(prob), static_cast<const T *>(loc_pred), static_cast<const T *>(anchors), C, A, ds, P,
        flag.as<int>(), pos.as<int>(), buf.as<T>(), score.as<T>(), idx.as<int>(), o.as<T>());
    MXC_LAUNCH(Blocks(B * A * 6), kThreads, 0, s, CopyReqK<T>)(o.as<T>(), static_cast<T *>(out), B * A * 6, req);
  });
}

void BoxNms(int dtype, const void *data, const NmsSpec &ns, void *out, int req, int32_t *record, cudaStream_t s) {
  const int64_t B = ns.batch, n = ns.n, K = ns.k;
  if (B * n == 0) return;
  const int P = static_cast<int>(Pow2(n));
  MXC_CUDA_REAL_SWITCH(dtype, T, {
    Work flag(sizeof(int) * B * n, s), pos(sizeof(int) * B * n, s), cand(sizeof(int) * B * n, s);
    Work score(sizeof(T) * B * n, s), idx(sizeof(int) * B * P, s), box(sizeof(T) * B * n * 4, s);
    Work removed(sizeof(int) * B * n, s), res(sizeof(T) * B * n * K, s);
    MXC_LAUNCH_BLOCK(static_cast<int>(B), kThreads, 0, s, NmsK<T>)(
        static_cast<const T *>(data), ns, P, flag.as<int>(), pos.as<int>(), cand.as<int>(), score.as<T>(),
        idx.as<int>(), box.as<T>(), removed.as<int>(), res.as<T>(), record);
    if (req != 0)
      MXC_LAUNCH(Blocks(B * n * K), kThreads, 0, s, CopyReqK<T>)(res.as<T>(), static_cast<T *>(out), B * n * K, req);
  });
}

void BoxNmsGrad(int dtype, const void *dy, const int32_t *record, int64_t batch, int64_t n, int64_t k, void *dx,
                cudaStream_t s) {
  if (batch * n * k == 0) return;
  MXC_CUDA_REAL_SWITCH(dtype, T, {
    MXC_LAUNCH(Blocks(batch * n * k), kThreads, 0, s, NmsGradK<T>)(static_cast<const T *>(dy), record, batch, n, k,
                                                                    static_cast<T *>(dx));
  });
}

void Bipartite(int dtype, const void *data, int64_t batch, int64_t n, int64_t m, double threshold, bool ascend,
               void *rows, int req0, void *cols, int req1, cudaStream_t s) {
  if (batch == 0 || n * m == 0) return;
  const int P = static_cast<int>(Pow2(n * m));
  MXC_CUDA_REAL_SWITCH(dtype, T, {
    Work idx(sizeof(int) * batch * P, s), rm(sizeof(int) * batch * n, s), cm(sizeof(int) * batch * m, s);
    MXC_LAUNCH_BLOCK(static_cast<int>(batch), kThreads, 0, s, BipartiteK<T>)(
        static_cast<const T *>(data), n, m, static_cast<T>(threshold), ascend, P, idx.as<int>(), rm.as<int>(),
        cm.as<int>(), static_cast<T *>(rows), req0, static_cast<T *>(cols), req1);
  });
}

void Proposal(int dtype, const void *cls, const void *bbox, const void *info, const ProposalSpec &ps, void *rois,
              int req0, void *scores, int req1, cudaStream_t s) {
  const int64_t count = ps.H * ps.W * ps.A;
  if (ps.B == 0) return;
  const int P = static_cast<int>(Pow2(count));
  MXC_CUDA_REAL_SWITCH(dtype, T, {
    Work box(sizeof(T) * ps.B * count * 4 + 8, s), score(sizeof(T) * ps.B * count + 8, s);
    Work idx(sizeof(int) * ps.B * P, s), sup(sizeof(int) * ps.B * count + 8, s), keep(sizeof(int) * ps.B * ps.post, s);
    if (count > 0)
      MXC_LAUNCH(Blocks(ps.B * count), kThreads, 0, s, ProposalBoxesK<T>)(
          static_cast<const T *>(cls), static_cast<const T *>(bbox), static_cast<const T *>(info), ps, box.as<T>(),
          score.as<T>());
    MXC_LAUNCH_BLOCK(static_cast<int>(ps.B), kThreads, 0, s, ProposalNmsK<T>)(
        box.as<T>(), score.as<T>(), ps, P, idx.as<int>(), sup.as<int>(), keep.as<int>(), static_cast<T *>(rois), req0,
        static_cast<T *>(scores), req1);
  });
}

void AllClose(int dtype, const void *a, const void *b, int64_t n, double rtol, double atol, bool equal_nan,
              uint8_t *out, int req, cudaStream_t s) {
  if (req == 0) return;
  Work flag(sizeof(int), s);
  cudaMemsetAsync(flag.as<int>(), 0, sizeof(int), s);
  if (n > 0) {
    MXC_CUDA_NUMERIC_SWITCH(dtype, T, {
      MXC_LAUNCH(Blocks(n), kThreads, 0, s, AllCloseK<T>)(static_cast<const T *>(a), static_cast<const T *>(b), n,
                                                          rtol, atol, equal_nan, flag.as<int>());
    });
  }
  MXC_LAUNCH(1, 1, 0, s, AllCloseOutK)(flag.as<int>(), out, req);
}

void IndexArray(const IndexArraySpec &sp, int64_t n, int64_t *out, int req, cudaStream_t s) {
  if (n * sp.K == 0 || req == 0) return;
  MXC_LAUNCH(Blocks(n * sp.K), kThreads, 0, s, IndexArrayK)(sp, n, out, req);
}

void Shuffle(int dtype, int elem_size, const void *x, int64_t n, int64_t row, uint64_t key, void *out, int req,
             cudaStream_t s) {
  if (n == 0 || row == 0 || req == 0) return;
  const int64_t P = Pow2(n);
  Work keys(sizeof(unsigned long long) * P, s), idx(sizeof(long long) * P, s);
  MXC_LAUNCH(Blocks(P), kThreads, 0, s, ShuffleKeysK)(key, n, P, keys.as<unsigned long long>(), idx.as<long long>());
  for (int64_t k = 2; k <= P; k <<= 1)
    for (int64_t j = k >> 1; j > 0; j >>= 1)
      MXC_LAUNCH(Blocks(P), kThreads, 0, s, BitonicStepK)(keys.as<unsigned long long>(), idx.as<long long>(), P, k, j);
  const size_t bytes = static_cast<size_t>(n * row) * elem_size;
  Work copy(x == out ? bytes : 0, s);
  const void *src = x;
  if (x == out) {
    cudaMemcpyAsync(copy.as<char>(), x, bytes, cudaMemcpyDeviceToDevice, s);
    src = copy.as<char>();
  }
  const long long *perm = idx.as<long long>();
  if (req == 3) {
    MXC_CUDA_NUMERIC_SWITCH(dtype, T, {
      MXC_LAUNCH(Blocks(n * row), kThreads, 0, s, GatherRowsK<T>)(static_cast<const T *>(src), perm, n, row,
                                                                   static_cast<T *>(out), req);
    });
    return;
  }
  switch (elem_size) {  // a write moves bits: any dtype of the size
    case 1:
      MXC_LAUNCH(Blocks(n * row), kThreads, 0, s, GatherRowsK<uint8_t>)(static_cast<const uint8_t *>(src), perm, n,
                                                                         row, static_cast<uint8_t *>(out), 1);
      break;
    case 2:
      MXC_LAUNCH(Blocks(n * row), kThreads, 0, s, GatherRowsK<uint16_t>)(static_cast<const uint16_t *>(src), perm, n,
                                                                          row, static_cast<uint16_t *>(out), 1);
      break;
    case 4:
      MXC_LAUNCH(Blocks(n * row), kThreads, 0, s, GatherRowsK<uint32_t>)(static_cast<const uint32_t *>(src), perm, n,
                                                                          row, static_cast<uint32_t *>(out), 1);
      break;
    default:
      MXC_LAUNCH(Blocks(n * row), kThreads, 0, s, GatherRowsK<uint64_t>)(static_cast<const uint64_t *>(src), perm, n,
                                                                          row, static_cast<uint64_t *>(out), 1);
      break;
  }
}

#define MXC_DETECT_IDX_SWITCH(code, I, ...)                  \
  switch (code) {                                           \
    case 0: { typedef float I; __VA_ARGS__; } break;        \
    case 1: { typedef double I; __VA_ARGS__; } break;       \
    case 3: { typedef uint8_t I; __VA_ARGS__; } break;      \
    case 4: { typedef int32_t I; __VA_ARGS__; } break;      \
    default: break;                                         \
  }

void Multinomial(int pdtype, const void *prob, int64_t rows, int64_t k, int64_t per, uint64_t key, int idx_dtype,
                 void *idx, int req0, void *logp, int req1, cudaStream_t s) {
  if (rows * per == 0) return;
  MXC_CUDA_REAL_SWITCH(pdtype, P, {
    MXC_DETECT_IDX_SWITCH(idx_dtype, I, {
      MXC_LAUNCH(Blocks(rows * per), kThreads, 0, s, MultinomialK<P, I>)(static_cast<const P *>(prob), rows, k, per,
                                                                         key, static_cast<I *>(idx), req0,
                                                                         static_cast<P *>(logp), req1);
    });
  });
}

void MultinomialGrad(int pdtype, const void *prob, int64_t rows, int64_t k, int64_t per, int idx_dtype,
                     const void *idx, const void *g, void *dprob, int req, cudaStream_t s) {
  if (rows * k == 0 || req == 0) return;
  MXC_CUDA_REAL_SWITCH(pdtype, P, {
    MXC_DETECT_IDX_SWITCH(idx_dtype, I, {
      MXC_LAUNCH(Blocks(rows * k), kThreads, 0, s, MultinomialGradK<P, I>)(
          static_cast<const P *>(prob), rows, k, per, static_cast<const I *>(idx), static_cast<const P *>(g),
          static_cast<P *>(dprob), req);
    });
  });
}

void PdfDirichlet(int dtype, const void *x, const void *alpha, int64_t nd, int64_t per, int64_t k, bool log,
                  void *out, int req, cudaStream_t s) {
  if (nd * per == 0 || req == 0) return;
  MXC_CUDA_REAL_SWITCH(dtype, T, {
    MXC_LAUNCH(Blocks(nd * per), kThreads, 0, s, PdfDirichletK<T>)(static_cast<const T *>(x),
                                                                    static_cast<const T *>(alpha), nd, per, k, log,
                                                                    static_cast<T *>(out), req);
  });
}

void PdfDirichletGrad(int dtype, const void *g, const void *x, const void *alpha, int64_t nd, int64_t per, int64_t k,
                      bool log, void *dx, int req_x, void *dalpha, int req_a, cudaStream_t s) {
  if (nd * k == 0) return;
  if (req_x == 0) dx = nullptr;
  if (req_a == 0) dalpha = nullptr;
  Work gs(sizeof(double) * nd * per + 8, s);
  MXC_CUDA_REAL_SWITCH(dtype, T, {
    if (nd * per > 0)
      MXC_LAUNCH(Blocks(nd * per), kThreads, 0, s, PdfDirichletGradXK<T>)(
          static_cast<const T *>(g), static_cast<const T *>(x), static_cast<const T *>(alpha), nd, per, k, log,
          gs.as<double>(), static_cast<T *>(dx), req_x);
    if (dalpha)
      MXC_LAUNCH(Blocks(nd * k), kThreads, 0, s, PdfDirichletGradAK<T>)(gs.as<double>(), static_cast<const T *>(x),
                                                                         static_cast<const T *>(alpha), nd, per, k,
                                                                         static_cast<T *>(dalpha), req_a);
  });
}

}  // namespace cuda
}  // namespace mxc
