// The emulated cuDNN subset (cuda/emu/cudnn.h; MXC_CUDA_EMULATION=ON): cuDNN 9's legacy convolution API, enough for
// glue written against NVIDIA's library to compile and run unchanged on the CPU.
//
// - Descriptors are plain host structs; a handle remembers its stream (0: the default stream, as in cuBLAS).
// - Arguments are checked when the call is made, as cuDNN does: a bad shape or pointer is CUDNN_STATUS_BAD_PARAM,
//   an unsupported algorithm, data type or layout CUDNN_STATUS_NOT_SUPPORTED, and nothing is queued. alpha and beta
//   (host pointers: double for DOUBLE data, float otherwise) are read then too.
// - The computation is a direct convolution (naive loops over 1-3 spatial dimensions, accumulated in double),
//   queued on the handle's stream as device work (mxc::emu::EnqueueDeviceWork): device memory is read and written
//   in stream order, and an exception is a launch failure reported by the stream's next synchronisation.
// - Algorithms: two for each of forward, backward data and backward filter, computing the same result. Algorithm 0
//   needs no workspace; algorithm 1 needs (output elements * element size) bytes and writes the raw result into the
//   whole workspace (as scratch), so a workspace smaller than claimed is caught by the emulator's guard page. Any
//   other algorithm is NOT_SUPPORTED. Find*Ex runs and times (wall clock, synchronising the stream) each algorithm that fits the
//   given workspace; one that does not fit is reported last with CUDNN_STATUS_ALLOC_FAILED, as cuDNN does.
// - Data types: FLOAT and DOUBLE, with a compute type equal to the data type; filters packed in NCHW order.
#include "cudnn.h"

#include <algorithm>
#include <chrono>
#include <vector>

#include "emu_api.h"

struct cudnnContext {
  cudaStream_t stream = nullptr;
};
struct cudnnTensorStruct {
  cudnnDataType_t dtype = CUDNN_DATA_FLOAT;
  int nb = 0;  // 0: not set
  int dim[8], stride[8];
};
struct cudnnFilterStruct {
  cudnnDataType_t dtype = CUDNN_DATA_FLOAT;
  cudnnTensorFormat_t format = CUDNN_TENSOR_NCHW;
  int nb = 0;
  int dim[8];
};
struct cudnnConvolutionStruct {
  int nsp = 0;  // spatial dimensions (0: not set)
  int pad[3], stride[3], dil[3];
  cudnnConvolutionMode_t mode = CUDNN_CROSS_CORRELATION;
  cudnnDataType_t compute = CUDNN_DATA_FLOAT;
  int groups = 1;
  cudnnMathType_t math = CUDNN_DEFAULT_MATH;
};

namespace {

constexpr int kDimMax = 8;  // CUDNN_DIM_MAX

size_t ElemSize(cudnnDataType_t t) {
  switch (t) {
    case CUDNN_DATA_FLOAT: case CUDNN_DATA_INT32: return 4;
    case CUDNN_DATA_DOUBLE: return 8;
    case CUDNN_DATA_HALF: case CUDNN_DATA_BFLOAT16: return 2;
    case CUDNN_DATA_INT8: return 1;
  }
  return 0;  // not a data type
}

// A tensor of 3 to 5 dimensions as 5: (N, C, D, H, W), the missing leading spatial dimensions of size 1.
struct Layout {
  long long dim[5], str[5];
  long long Count() const { return dim[0] * dim[1] * dim[2] * dim[3] * dim[4]; }
  long long Offset(long long n, long long c, long long a, long long b, long long d) const {
    return n * str[0] + c * str[1] + a * str[2] + b * str[3] + d * str[4];
  }
  long long Packed(long long n, long long c, long long a, long long b, long long d) const {
    return (((n * dim[1] + c) * dim[2] + a) * dim[3] + b) * dim[4] + d;
  }
};
// nb dims and strides (strides null: packed) as a Layout.
Layout MakeLayout(int nb, const int *dim, const int *stride) {
  Layout l;
  const int lead = 5 - nb;
  long long packed = 1;
  for (int i = 4; i >= 0; --i) {
    const int j = i < 2 ? i : i - lead;  // the tensor's dimension at position i
    const bool real = i < 2 || i >= 2 + lead;
    l.dim[i] = real ? dim[j] : 1;
    l.str[i] = real ? (stride ? stride[j] : packed) : 0;
    packed *= l.dim[i];
  }
  return l;
}
// Calls f(packed index, offset, coordinates) for every element, in packed order.
template <typename F>
void ForEach(const Layout &l, F f) {
  long long p = 0, i[5];
  for (i[0] = 0; i[0] < l.dim[0]; ++i[0])
    for (i[1] = 0; i[1] < l.dim[1]; ++i[1])
      for (i[2] = 0; i[2] < l.dim[2]; ++i[2])
        for (i[3] = 0; i[3] < l.dim[3]; ++i[3])
          for (i[4] = 0; i[4] < l.dim[4]; ++i[4]) f(p++, l.Offset(i[0], i[1], i[2], i[3], i[4]), i);
}

// ------------------------------------------------------------------------------------------------ convolution
enum Kind { kFwd, kBwdData, kBwdFilter };

// One convolution's shapes, checked (copied into the queued work).
struct Geom {
  Layout x, w, y;  // w: (K, C/groups, spatial...), packed
  int pad[3], str[3], dil[3];  // per D, H, W (missing dimensions: 0, 1, 1)
  int groups;
  bool flip;  // CUDNN_CONVOLUTION: the kernel is flipped
  cudnnDataType_t dtype, compute;
  cudnnMathType_t math;
  // The result's layout: y forward, x backward data, w backward filter.
  const Layout &Out(Kind k) const { return k == kFwd ? y : k == kBwdData ? x : w; }
  size_t Workspace(Kind k, int algo) const { return algo == 1 ? Out(k).Count() * ElemSize(dtype) : 0; }
};

// The shape checks cuDNN makes (BAD_PARAM), and the layouts the emulation does not run (NOT_SUPPORTED).
cudnnStatus_t Check(cudnnTensorDescriptor_t x, cudnnFilterDescriptor_t w, cudnnConvolutionDescriptor_t c,
                    cudnnTensorDescriptor_t y, Geom *g) {
  if (!x || !w || !c || !y || !x->nb || !w->nb || !c->nsp || !y->nb) return CUDNN_STATUS_BAD_PARAM;
  const int nb = c->nsp + 2;
  if (x->nb != nb || w->nb != nb || y->nb != nb) return CUDNN_STATUS_BAD_PARAM;
  if (x->dtype != w->dtype || x->dtype != y->dtype) return CUDNN_STATUS_BAD_PARAM;
  if (w->format != CUDNN_TENSOR_NCHW) return CUDNN_STATUS_NOT_SUPPORTED;
  const int C = x->dim[1], K = w->dim[0], G = c->groups;
  if (C % G != 0 || K % G != 0 || w->dim[1] != C / G || y->dim[0] != x->dim[0] || y->dim[1] != K)
    return CUDNN_STATUS_BAD_PARAM;
  for (int i = 0; i < c->nsp; ++i) {
    const long long span = 1LL * c->dil[i] * (w->dim[2 + i] - 1) + 1, in = x->dim[2 + i] + 2LL * c->pad[i];
    if (span > in || y->dim[2 + i] != (in - span) / c->stride[i] + 1) return CUDNN_STATUS_BAD_PARAM;
  }
  g->x = MakeLayout(nb, x->dim, x->stride);
  g->y = MakeLayout(nb, y->dim, y->stride);
  g->w = MakeLayout(nb, w->dim, nullptr);
  const int lead = 3 - c->nsp;
  for (int i = 0; i < 3; ++i) {
    const bool real = i >= lead;
    g->pad[i] = real ? c->pad[i - lead] : 0;
    g->str[i] = real ? c->stride[i - lead] : 1;
    g->dil[i] = real ? c->dil[i - lead] : 1;
  }
  g->groups = G;
  g->flip = c->mode == CUDNN_CONVOLUTION;
  g->dtype = x->dtype;
  g->compute = c->compute;
  g->math = c->math;
  return CUDNN_STATUS_SUCCESS;
}

// Whether the emulation computes g (at the time of a convolution call).
cudnnStatus_t Supported(const Geom &g) {
  if (g.dtype != CUDNN_DATA_FLOAT && g.dtype != CUDNN_DATA_DOUBLE) return CUDNN_STATUS_NOT_SUPPORTED;
  return g.compute == g.dtype ? CUDNN_STATUS_SUCCESS : CUDNN_STATUS_NOT_SUPPORTED;
}

// Calls f(x offset, x packed, w index, y offset, y packed) for every product x * w summed into an output of the
// convolution: y[n, k, o] += x[n, g*Cg + c, o*stride - pad + q*dilation] * w[k, c, q (flipped if convolution)].
template <typename F>
void Visit(const Geom &g, F f) {
  const Layout &X = g.x, &W = g.w, &Y = g.y;
  const long long Cg = W.dim[1], Kg = Y.dim[1] / g.groups;
  long long yp = 0;
  long long o[3], q[3], i[3], wq[3];
  for (long long n = 0; n < Y.dim[0]; ++n)
    for (long long k = 0; k < Y.dim[1]; ++k)
      for (o[0] = 0; o[0] < Y.dim[2]; ++o[0])
        for (o[1] = 0; o[1] < Y.dim[3]; ++o[1])
          for (o[2] = 0; o[2] < Y.dim[4]; ++o[2], ++yp) {
            const long long yo = Y.Offset(n, k, o[0], o[1], o[2]), cbase = k / Kg * Cg;
            for (long long c = 0; c < Cg; ++c)
              for (q[0] = 0; q[0] < W.dim[2]; ++q[0]) {
                i[0] = o[0] * g.str[0] - g.pad[0] + q[0] * g.dil[0];
                if (i[0] < 0 || i[0] >= X.dim[2]) continue;
                for (q[1] = 0; q[1] < W.dim[3]; ++q[1]) {
                  i[1] = o[1] * g.str[1] - g.pad[1] + q[1] * g.dil[1];
                  if (i[1] < 0 || i[1] >= X.dim[3]) continue;
                  for (q[2] = 0; q[2] < W.dim[4]; ++q[2]) {
                    i[2] = o[2] * g.str[2] - g.pad[2] + q[2] * g.dil[2];
                    if (i[2] < 0 || i[2] >= X.dim[4]) continue;
                    for (int d = 0; d < 3; ++d) wq[d] = g.flip ? W.dim[2 + d] - 1 - q[d] : q[d];
                    f(X.Offset(n, cbase + c, i[0], i[1], i[2]), X.Packed(n, cbase + c, i[0], i[1], i[2]),
                      W.Packed(k, c, wq[0], wq[1], wq[2]), yo, yp);
                  }
                }
              }
          }
}

// The device work of one convolution: the result summed in double (and written into algorithm 1's workspace), then
// out = alpha * result + beta * out (out not read when beta is 0).
template <typename T>
void Compute(const Geom &g, Kind kind, const T *x, const T *w, const T *y, T *out, T *ws, double alpha,
             double beta) {
  const Layout &O = g.Out(kind);
  std::vector<double> acc(static_cast<size_t>(O.Count()), 0.0);
  if (kind == kFwd)
    Visit(g, [&](long long xo, long long, long long wi, long long, long long yp) { acc[yp] += double(x[xo]) * w[wi]; });
  else if (kind == kBwdData)
    Visit(g, [&](long long, long long xp, long long wi, long long yo, long long) { acc[xp] += double(y[yo]) * w[wi]; });
  else
    Visit(g, [&](long long xo, long long, long long wi, long long yo, long long) { acc[wi] += double(x[xo]) * y[yo]; });
  if (ws)
    for (size_t i = 0; i < acc.size(); ++i) ws[i] = static_cast<T>(acc[i]);
  ForEach(O, [&](long long p, long long off, const long long *) {
    out[off] = static_cast<T>(alpha * acc[p] + (beta == 0 ? 0.0 : beta * double(out[off])));
  });
}

// Queues a checked convolution on the handle's stream; x, w, y: the tensors, the output among them (by kind).
void Launch(cudnnHandle_t h, Kind kind, const Geom &g, int algo, const void *x, const void *w, const void *y,
            void *ws, double alpha, double beta) {
  void *out = const_cast<void *>(kind == kFwd ? y : kind == kBwdData ? x : w);
  if (!algo) ws = nullptr;
  if (g.dtype == CUDNN_DATA_FLOAT)
    mxc::emu::EnqueueDeviceWork(h->stream, [=] {
      Compute(g, kind, static_cast<const float *>(x), static_cast<const float *>(w), static_cast<const float *>(y),
              static_cast<float *>(out), static_cast<float *>(ws), alpha, beta);
    });
  else
    mxc::emu::EnqueueDeviceWork(h->stream, [=] {
      Compute(g, kind, static_cast<const double *>(x), static_cast<const double *>(w),
              static_cast<const double *>(y), static_cast<double *>(out), static_cast<double *>(ws), alpha, beta);
    });
}

// A host scalar of the data type's scaling type.
double Scalar(const void *p, cudnnDataType_t t) {
  return t == CUDNN_DATA_DOUBLE ? *static_cast<const double *>(p) : *static_cast<const float *>(p);
}

// cudnnConvolutionForward / BackwardData / BackwardFilter.
cudnnStatus_t Convolve(cudnnHandle_t h, Kind kind, const void *alpha, cudnnTensorDescriptor_t xd, const void *x,
                       cudnnFilterDescriptor_t wd, const void *w, cudnnConvolutionDescriptor_t cd,
                       cudnnTensorDescriptor_t yd, const void *y, int algo, void *ws, size_t ws_bytes,
                       const void *beta) {
  if (!h) return CUDNN_STATUS_NOT_INITIALIZED;
  Geom g;
  cudnnStatus_t st = Check(xd, wd, cd, yd, &g);
  if (st != CUDNN_STATUS_SUCCESS) return st;
  if (!alpha || !beta || !x || !w || !y) return CUDNN_STATUS_BAD_PARAM;
  if (algo != 0 && algo != 1) return CUDNN_STATUS_NOT_SUPPORTED;
  if ((st = Supported(g)) != CUDNN_STATUS_SUCCESS) return st;
  if (algo == 1 && (!ws || ws_bytes < g.Workspace(kind, 1))) return CUDNN_STATUS_BAD_PARAM;
  Launch(h, kind, g, algo, x, w, y, ws, Scalar(alpha, g.dtype), Scalar(beta, g.dtype));
  return CUDNN_STATUS_SUCCESS;
}

// Determinism as cuDNN reports it (its backward algorithm 0 sums with atomics); the emulation's results are
// deterministic for every algorithm.
cudnnDeterminism_t Determinism(Kind kind, int algo) {
  return kind != kFwd && algo == 0 ? CUDNN_NON_DETERMINISTIC : CUDNN_DETERMINISTIC;
}

template <typename Perf>
void FillPerf(Perf *p, Kind kind, const Geom &g, int algo, cudnnStatus_t st, float ms) {
  *p = Perf{};
  p->algo = static_cast<decltype(p->algo)>(algo);
  p->status = st;
  p->time = ms;
  p->memory = g.Workspace(kind, algo);
  p->determinism = Determinism(kind, algo);
  p->mathType = g.math;
}

// cudnnGetConvolution*AlgorithmMaxCount: the emulation's two algorithms.
cudnnStatus_t MaxCount(cudnnHandle_t h, int *count) {
  if (!h) return CUDNN_STATUS_NOT_INITIALIZED;
  if (!count) return CUDNN_STATUS_BAD_PARAM;
  *count = 2;
  return CUDNN_STATUS_SUCCESS;
}

// cudnnGetConvolution*Algorithm_v7: both algorithms, algorithm 0 first (a heuristic: no time).
template <typename Perf>
cudnnStatus_t Heuristic(cudnnHandle_t h, Kind kind, cudnnTensorDescriptor_t xd, cudnnFilterDescriptor_t wd,
                        cudnnConvolutionDescriptor_t cd, cudnnTensorDescriptor_t yd, int requested, int *returned,
                        Perf *perf) {
  if (!h) return CUDNN_STATUS_NOT_INITIALIZED;
  Geom g;
  cudnnStatus_t st = Check(xd, wd, cd, yd, &g);
  if (st != CUDNN_STATUS_SUCCESS) return st;
  if (!returned || !perf || requested < 1) return CUDNN_STATUS_BAD_PARAM;
  *returned = std::min(requested, 2);
  for (int a = 0; a < *returned; ++a) FillPerf(&perf[a], kind, g, a, CUDNN_STATUS_SUCCESS, -1.f);
  return CUDNN_STATUS_SUCCESS;
}

// cudnnFindConvolution*AlgorithmEx: runs each algorithm whose workspace fits (the output is overwritten), timed
// around its queued work; sorted by time, the ones that did not fit (ALLOC_FAILED) or failed last.
template <typename Perf>
cudnnStatus_t Find(cudnnHandle_t h, Kind kind, cudnnTensorDescriptor_t xd, const void *x,
                   cudnnFilterDescriptor_t wd, const void *w, cudnnConvolutionDescriptor_t cd,
                   cudnnTensorDescriptor_t yd, const void *y, int requested, int *returned, Perf *perf, void *ws,
                   size_t ws_bytes) {
  if (!h) return CUDNN_STATUS_NOT_INITIALIZED;
  Geom g;
  cudnnStatus_t st = Check(xd, wd, cd, yd, &g);
  if (st != CUDNN_STATUS_SUCCESS) return st;
  if (!x || !w || !y || !returned || !perf || requested < 1) return CUDNN_STATUS_BAD_PARAM;
  if ((st = Supported(g)) != CUDNN_STATUS_SUCCESS) return st;
  // Earlier work on the stream is not timed (and its failure is not this call's success).
  if (cudaStreamSynchronize(h->stream) != cudaSuccess) return CUDNN_STATUS_EXECUTION_FAILED;
  std::vector<Perf> res(2);
  for (int a = 0; a < 2; ++a) {
    const size_t need = g.Workspace(kind, a);
    if (need > ws_bytes || (need && !ws)) {
      FillPerf(&res[a], kind, g, a, CUDNN_STATUS_ALLOC_FAILED, -1.f);
      continue;
    }
    const auto t0 = std::chrono::steady_clock::now();
    Launch(h, kind, g, a, x, w, y, ws, 1.0, 0.0);
    const bool ok = cudaStreamSynchronize(h->stream) == cudaSuccess;
    const float ms = std::chrono::duration<float, std::milli>(std::chrono::steady_clock::now() - t0).count();
    FillPerf(&res[a], kind, g, a, ok ? CUDNN_STATUS_SUCCESS : CUDNN_STATUS_EXECUTION_FAILED, ok ? ms : -1.f);
  }
  std::stable_sort(res.begin(), res.end(), [](const Perf &a, const Perf &b) {
    const bool oa = a.status == CUDNN_STATUS_SUCCESS, ob = b.status == CUDNN_STATUS_SUCCESS;
    return oa != ob ? oa : oa && a.time < b.time;
  });
  *returned = std::min(requested, 2);
  std::copy(res.begin(), res.begin() + *returned, perf);
  return CUDNN_STATUS_SUCCESS;
}

// cudnnGetConvolution*WorkspaceSize.
cudnnStatus_t WorkspaceSize(cudnnHandle_t h, Kind kind, cudnnTensorDescriptor_t xd, cudnnFilterDescriptor_t wd,
                            cudnnConvolutionDescriptor_t cd, cudnnTensorDescriptor_t yd, int algo, size_t *bytes) {
  if (!h) return CUDNN_STATUS_NOT_INITIALIZED;
  Geom g;
  cudnnStatus_t st = Check(xd, wd, cd, yd, &g);
  if (st != CUDNN_STATUS_SUCCESS) return st;
  if (!bytes) return CUDNN_STATUS_BAD_PARAM;
  if (algo != 0 && algo != 1) return CUDNN_STATUS_NOT_SUPPORTED;
  *bytes = g.Workspace(kind, algo);
  return CUDNN_STATUS_SUCCESS;
}

// ------------------------------------------------------------------------------------------------ cudnnAddTensor
template <typename T>
void AddTensor(const Layout &A, const T *a, const Layout &C, T *c, double alpha, double beta) {
  ForEach(C, [&](long long, long long off, const long long *i) {
    long long ao = 0;
    for (int d = 0; d < 5; ++d) ao += (A.dim[d] == 1 ? 0 : i[d]) * A.str[d];
    c[off] = static_cast<T>(alpha * double(a[ao]) + (beta == 0 ? 0.0 : beta * double(c[off])));
  });
}

template <typename D>
cudnnStatus_t Create(D **d) {
  if (!d) return CUDNN_STATUS_BAD_PARAM;
  *d = new D();
  return CUDNN_STATUS_SUCCESS;
}

}  // namespace

// ---------------------------------------------------------------------------------------------------------------
// The API
// ---------------------------------------------------------------------------------------------------------------
extern "C" {

size_t cudnnGetVersion(void) { return CUDNN_VERSION; }

const char *cudnnGetErrorString(cudnnStatus_t s) {
  switch (s) {
    case CUDNN_STATUS_SUCCESS: return "CUDNN_STATUS_SUCCESS";
    case CUDNN_STATUS_NOT_INITIALIZED: return "CUDNN_STATUS_NOT_INITIALIZED";
    case CUDNN_STATUS_BAD_PARAM: return "CUDNN_STATUS_BAD_PARAM";
    case CUDNN_STATUS_INVALID_VALUE: return "CUDNN_STATUS_INVALID_VALUE";
    case CUDNN_STATUS_NOT_SUPPORTED: return "CUDNN_STATUS_NOT_SUPPORTED";
    case CUDNN_STATUS_ARCH_MISMATCH: return "CUDNN_STATUS_ARCH_MISMATCH";
    case CUDNN_STATUS_INTERNAL_ERROR: return "CUDNN_STATUS_INTERNAL_ERROR";
    case CUDNN_STATUS_ALLOC_FAILED: return "CUDNN_STATUS_ALLOC_FAILED";
    case CUDNN_STATUS_MAPPING_ERROR: return "CUDNN_STATUS_MAPPING_ERROR";
    case CUDNN_STATUS_EXECUTION_FAILED: return "CUDNN_STATUS_EXECUTION_FAILED";
  }
  return "CUDNN_UNKNOWN_STATUS_FOUND";
}

cudnnStatus_t cudnnCreate(cudnnHandle_t *h) {
  int n = 0;
  if (!h) return CUDNN_STATUS_BAD_PARAM;
  if (cudaGetDeviceCount(&n) != cudaSuccess || n == 0) return CUDNN_STATUS_NOT_INITIALIZED;
  return Create(h);
}
cudnnStatus_t cudnnDestroy(cudnnHandle_t h) {
  delete h;  // the queued work does not refer to the handle
  return CUDNN_STATUS_SUCCESS;
}
cudnnStatus_t cudnnSetStream(cudnnHandle_t h, cudaStream_t s) {
  if (!h) return CUDNN_STATUS_NOT_INITIALIZED;
  h->stream = s;
  return CUDNN_STATUS_SUCCESS;
}

cudnnStatus_t cudnnCreateTensorDescriptor(cudnnTensorDescriptor_t *d) { return Create(d); }
cudnnStatus_t cudnnDestroyTensorDescriptor(cudnnTensorDescriptor_t d) {
  delete d;
  return CUDNN_STATUS_SUCCESS;
}
cudnnStatus_t cudnnSetTensorNdDescriptor(cudnnTensorDescriptor_t d, cudnnDataType_t t, int nb, const int dimA[],
                                         const int strideA[]) {
  if (!d || !dimA || !strideA || !ElemSize(t) || nb < 3) return CUDNN_STATUS_BAD_PARAM;
  if (nb > kDimMax) return CUDNN_STATUS_NOT_SUPPORTED;
  for (int i = 0; i < nb; ++i)
    if (dimA[i] <= 0 || strideA[i] <= 0) return CUDNN_STATUS_BAD_PARAM;
  d->dtype = t;
  d->nb = nb;
  std::copy(dimA, dimA + nb, d->dim);
  std::copy(strideA, strideA + nb, d->stride);
  return CUDNN_STATUS_SUCCESS;
}

cudnnStatus_t cudnnCreateFilterDescriptor(cudnnFilterDescriptor_t *d) { return Create(d); }
cudnnStatus_t cudnnDestroyFilterDescriptor(cudnnFilterDescriptor_t d) {
  delete d;
  return CUDNN_STATUS_SUCCESS;
}
cudnnStatus_t cudnnSetFilterNdDescriptor(cudnnFilterDescriptor_t d, cudnnDataType_t t, cudnnTensorFormat_t f,
                                         int nb, const int dimA[]) {
  if (!d || !dimA || !ElemSize(t) || nb < 3 || (f != CUDNN_TENSOR_NCHW && f != CUDNN_TENSOR_NHWC))
    return CUDNN_STATUS_BAD_PARAM;
  if (nb > kDimMax) return CUDNN_STATUS_NOT_SUPPORTED;
  for (int i = 0; i < nb; ++i)
    if (dimA[i] <= 0) return CUDNN_STATUS_BAD_PARAM;
  d->dtype = t;
  d->format = f;
  d->nb = nb;
  std::copy(dimA, dimA + nb, d->dim);
  return CUDNN_STATUS_SUCCESS;
}

cudnnStatus_t cudnnCreateConvolutionDescriptor(cudnnConvolutionDescriptor_t *d) { return Create(d); }
cudnnStatus_t cudnnDestroyConvolutionDescriptor(cudnnConvolutionDescriptor_t d) {
  delete d;
  return CUDNN_STATUS_SUCCESS;
}
cudnnStatus_t cudnnSetConvolutionNdDescriptor(cudnnConvolutionDescriptor_t d, int n, const int padA[],
                                              const int strideA[], const int dilationA[], cudnnConvolutionMode_t m,
                                              cudnnDataType_t t) {
  if (!d || !padA || !strideA || !dilationA || n < 1 || !ElemSize(t) ||
      (m != CUDNN_CONVOLUTION && m != CUDNN_CROSS_CORRELATION))
    return CUDNN_STATUS_BAD_PARAM;
  if (n > 3) return CUDNN_STATUS_NOT_SUPPORTED;  // the emulation's limit (cuDNN's is CUDNN_DIM_MAX - 2)
  for (int i = 0; i < n; ++i)
    if (padA[i] < 0 || strideA[i] <= 0 || dilationA[i] <= 0) return CUDNN_STATUS_BAD_PARAM;
  d->nsp = n;
  std::copy(padA, padA + n, d->pad);
  std::copy(strideA, strideA + n, d->stride);
  std::copy(dilationA, dilationA + n, d->dil);
  d->mode = m;
  d->compute = t;
  return CUDNN_STATUS_SUCCESS;
}
cudnnStatus_t cudnnSetConvolutionGroupCount(cudnnConvolutionDescriptor_t d, int groups) {
  if (!d || groups < 1) return CUDNN_STATUS_BAD_PARAM;
  d->groups = groups;
  return CUDNN_STATUS_SUCCESS;
}
cudnnStatus_t cudnnSetConvolutionMathType(cudnnConvolutionDescriptor_t d, cudnnMathType_t m) {
  if (!d || m < CUDNN_DEFAULT_MATH || m > CUDNN_FMA_MATH) return CUDNN_STATUS_BAD_PARAM;
  d->math = m;
  return CUDNN_STATUS_SUCCESS;
}

cudnnStatus_t cudnnGetConvolutionForwardAlgorithmMaxCount(cudnnHandle_t h, int *n) { return MaxCount(h, n); }
cudnnStatus_t cudnnGetConvolutionBackwardDataAlgorithmMaxCount(cudnnHandle_t h, int *n) { return MaxCount(h, n); }
cudnnStatus_t cudnnGetConvolutionBackwardFilterAlgorithmMaxCount(cudnnHandle_t h, int *n) { return MaxCount(h, n); }

cudnnStatus_t cudnnGetConvolutionForwardAlgorithm_v7(cudnnHandle_t h, const cudnnTensorDescriptor_t xd,
                                                     const cudnnFilterDescriptor_t wd,
                                                     const cudnnConvolutionDescriptor_t cd,
                                                     const cudnnTensorDescriptor_t yd, const int requested,
                                                     int *returned, cudnnConvolutionFwdAlgoPerf_t *perf) {
  return Heuristic(h, kFwd, xd, wd, cd, yd, requested, returned, perf);
}
cudnnStatus_t cudnnGetConvolutionBackwardDataAlgorithm_v7(cudnnHandle_t h, const cudnnFilterDescriptor_t wd,
                                                          const cudnnTensorDescriptor_t dyd,
                                                          const cudnnConvolutionDescriptor_t cd,
                                                          const cudnnTensorDescriptor_t dxd, const int requested,
                                                          int *returned, cudnnConvolutionBwdDataAlgoPerf_t *perf) {
  return Heuristic(h, kBwdData, dxd, wd, cd, dyd, requested, returned, perf);
}
cudnnStatus_t cudnnGetConvolutionBackwardFilterAlgorithm_v7(cudnnHandle_t h, const cudnnTensorDescriptor_t xd,
                                                            const cudnnTensorDescriptor_t dyd,
                                                            const cudnnConvolutionDescriptor_t cd,
                                                            const cudnnFilterDescriptor_t dwd, const int requested,
                                                            int *returned,
                                                            cudnnConvolutionBwdFilterAlgoPerf_t *perf) {
  return Heuristic(h, kBwdFilter, xd, dwd, cd, dyd, requested, returned, perf);
}

cudnnStatus_t cudnnFindConvolutionForwardAlgorithmEx(cudnnHandle_t h, const cudnnTensorDescriptor_t xd,
                                                     const void *x, const cudnnFilterDescriptor_t wd, const void *w,
                                                     const cudnnConvolutionDescriptor_t cd,
                                                     const cudnnTensorDescriptor_t yd, void *y, const int requested,
                                                     int *returned, cudnnConvolutionFwdAlgoPerf_t *perf, void *ws,
                                                     size_t ws_bytes) {
  return Find(h, kFwd, xd, x, wd, w, cd, yd, y, requested, returned, perf, ws, ws_bytes);
}
cudnnStatus_t cudnnFindConvolutionBackwardDataAlgorithmEx(cudnnHandle_t h, const cudnnFilterDescriptor_t wd,
                                                          const void *w, const cudnnTensorDescriptor_t dyd,
                                                          const void *dy, const cudnnConvolutionDescriptor_t cd,
                                                          const cudnnTensorDescriptor_t dxd, void *dx,
                                                          const int requested, int *returned,
                                                          cudnnConvolutionBwdDataAlgoPerf_t *perf, void *ws,
                                                          size_t ws_bytes) {
  return Find(h, kBwdData, dxd, dx, wd, w, cd, dyd, dy, requested, returned, perf, ws, ws_bytes);
}
cudnnStatus_t cudnnFindConvolutionBackwardFilterAlgorithmEx(cudnnHandle_t h, const cudnnTensorDescriptor_t xd,
                                                            const void *x, const cudnnTensorDescriptor_t dyd,
                                                            const void *dy, const cudnnConvolutionDescriptor_t cd,
                                                            const cudnnFilterDescriptor_t dwd, void *dw,
                                                            const int requested, int *returned,
                                                            cudnnConvolutionBwdFilterAlgoPerf_t *perf, void *ws,
                                                            size_t ws_bytes) {
  return Find(h, kBwdFilter, xd, x, dwd, dw, cd, dyd, dy, requested, returned, perf, ws, ws_bytes);
}

cudnnStatus_t cudnnGetConvolutionForwardWorkspaceSize(cudnnHandle_t h, const cudnnTensorDescriptor_t xd,
                                                      const cudnnFilterDescriptor_t wd,
                                                      const cudnnConvolutionDescriptor_t cd,
                                                      const cudnnTensorDescriptor_t yd,
                                                      cudnnConvolutionFwdAlgo_t algo, size_t *bytes) {
  return WorkspaceSize(h, kFwd, xd, wd, cd, yd, algo, bytes);
}
cudnnStatus_t cudnnGetConvolutionBackwardDataWorkspaceSize(cudnnHandle_t h, const cudnnFilterDescriptor_t wd,
                                                           const cudnnTensorDescriptor_t dyd,
                                                           const cudnnConvolutionDescriptor_t cd,
                                                           const cudnnTensorDescriptor_t dxd,
                                                           cudnnConvolutionBwdDataAlgo_t algo, size_t *bytes) {
  return WorkspaceSize(h, kBwdData, dxd, wd, cd, dyd, algo, bytes);
}
cudnnStatus_t cudnnGetConvolutionBackwardFilterWorkspaceSize(cudnnHandle_t h, const cudnnTensorDescriptor_t xd,
                                                             const cudnnTensorDescriptor_t dyd,
                                                             const cudnnConvolutionDescriptor_t cd,
                                                             const cudnnFilterDescriptor_t dwd,
                                                             cudnnConvolutionBwdFilterAlgo_t algo, size_t *bytes) {
  return WorkspaceSize(h, kBwdFilter, xd, dwd, cd, dyd, algo, bytes);
}

cudnnStatus_t cudnnConvolutionForward(cudnnHandle_t h, const void *alpha, const cudnnTensorDescriptor_t xd,
                                      const void *x, const cudnnFilterDescriptor_t wd, const void *w,
                                      const cudnnConvolutionDescriptor_t cd, cudnnConvolutionFwdAlgo_t algo,
                                      void *ws, size_t ws_bytes, const void *beta, const cudnnTensorDescriptor_t yd,
                                      void *y) {
  return Convolve(h, kFwd, alpha, xd, x, wd, w, cd, yd, y, algo, ws, ws_bytes, beta);
}
cudnnStatus_t cudnnConvolutionBackwardData(cudnnHandle_t h, const void *alpha, const cudnnFilterDescriptor_t wd,
                                           const void *w, const cudnnTensorDescriptor_t dyd, const void *dy,
                                           const cudnnConvolutionDescriptor_t cd, cudnnConvolutionBwdDataAlgo_t algo,
                                           void *ws, size_t ws_bytes, const void *beta,
                                           const cudnnTensorDescriptor_t dxd, void *dx) {
  return Convolve(h, kBwdData, alpha, dxd, dx, wd, w, cd, dyd, dy, algo, ws, ws_bytes, beta);
}
cudnnStatus_t cudnnConvolutionBackwardFilter(cudnnHandle_t h, const void *alpha, const cudnnTensorDescriptor_t xd,
                                             const void *x, const cudnnTensorDescriptor_t dyd, const void *dy,
                                             const cudnnConvolutionDescriptor_t cd,
                                             cudnnConvolutionBwdFilterAlgo_t algo, void *ws, size_t ws_bytes,
                                             const void *beta, const cudnnFilterDescriptor_t dwd, void *dw) {
  return Convolve(h, kBwdFilter, alpha, xd, x, dwd, dw, cd, dyd, dy, algo, ws, ws_bytes, beta);
}

cudnnStatus_t cudnnAddTensor(cudnnHandle_t h, const void *alpha, const cudnnTensorDescriptor_t ad, const void *A,
                             const void *beta, const cudnnTensorDescriptor_t cd, void *C) {
  if (!h) return CUDNN_STATUS_NOT_INITIALIZED;
  if (!alpha || !beta || !ad || !cd || !A || !C || !ad->nb || !cd->nb) return CUDNN_STATUS_BAD_PARAM;
  if (ad->nb != cd->nb || ad->dtype != cd->dtype) return CUDNN_STATUS_BAD_PARAM;
  for (int i = 0; i < ad->nb; ++i)
    if (ad->dim[i] != 1 && ad->dim[i] != cd->dim[i]) return CUDNN_STATUS_BAD_PARAM;
  if (cd->nb > 5 || (cd->dtype != CUDNN_DATA_FLOAT && cd->dtype != CUDNN_DATA_DOUBLE))
    return CUDNN_STATUS_NOT_SUPPORTED;
  const Layout la = MakeLayout(ad->nb, ad->dim, ad->stride), lc = MakeLayout(cd->nb, cd->dim, cd->stride);
  const double a = Scalar(alpha, cd->dtype), b = Scalar(beta, cd->dtype);
  if (cd->dtype == CUDNN_DATA_FLOAT)
    mxc::emu::EnqueueDeviceWork(h->stream, [=] {
      AddTensor(la, static_cast<const float *>(A), lc, static_cast<float *>(C), a, b);
    });
  else
    mxc::emu::EnqueueDeviceWork(h->stream, [=] {
      AddTensor(la, static_cast<const double *>(A), lc, static_cast<double *>(C), a, b);
    });
  return CUDNN_STATUS_SUCCESS;
}

}  // extern "C"
