// The fused RNN operator's elementwise kernels (kernels_rnn.cuh): one thread per element of the (N, H) state of a
// step, the per-element math shared with the CPU (core/ops/rnn_impl.h), the mode a template constant.
#include "common.cuh"
#include "kernels.cuh"
#include "kernels_rnn.cuh"

namespace mxc {
namespace cuda {

namespace {

using op::rnn::Dims;

struct DevMath {
  template <typename T>
  __device__ static T Sigmoid(T x) { return T(1) / (T(1) + exp(-x)); }
  template <typename T>
  __device__ static T Tanh(T x) { return tanh(x); }
};

template <int kMode, typename T>
__global__ void StepForwardK(Dims m, int64_t t, T *g, const T *hh, const T *hprev, const T *cprev, T *h, T *extra) {
  MXC_CUDA_LOOP(i, m.N * m.H) {
    const int64_t n = i / m.H, j = i % m.H;
    if (op::rnn::Masked(m, t, n)) op::rnn::MaskedForwardAt(m, n, j, g, hprev, cprev, h, extra);
    else op::rnn::StepForwardAt<kMode, T, DevMath>(m, n, j, g, hh, hprev, cprev, h, extra);
  }
}

template <int kMode, typename T>
__global__ void StepBackwardK(Dims m, int64_t t, const T *dy, int64_t stride, const T *g, const T *hprev,
                              const T *cprev, const T *extra, T *dh, T *dc, T *dax, T *dah) {
  MXC_CUDA_LOOP(i, m.N * m.H) {
    const int64_t n = i / m.H, j = i % m.H;
    if (op::rnn::Masked(m, t, n)) op::rnn::MaskedBackwardAt(m, n, j, dax, dah);
    else op::rnn::StepBackwardAt<kMode, T, DevMath>(m, n, j, dy, stride, g, hprev, cprev, extra, dh, dc, dax, dah);
  }
}

template <typename T>
__global__ void WriteOutputK(Dims m, T *out, int64_t stride, const T *hs) {
  MXC_CUDA_LOOP(i, m.T * m.N * m.H) {
    const int64_t r = i / m.H, j = i % m.H;
    out[r * stride + j] = op::rnn::Masked(m, r / m.N, r % m.N) ? T(0) : hs[i];
  }
}

template <typename T>
__global__ void DropoutMaskK(T *mask, int64_t n, T keep_below, T keep) {
  MXC_CUDA_LOOP(i, n) { mask[i] = mask[i] < keep_below ? keep : T(0); }
}

// Runs f with T the dtype (float32 or float64).
template <typename F>
void ByType(int dtype, F f) {
  if (dtype == kF64) f(double());
  else f(float());
}

}  // namespace

void RnnStepForward(int dtype, const Dims &m, int64_t t, void *g, const void *hh, const void *hprev,
                    const void *cprev, void *h, void *extra, cudaStream_t s) {
  ByType(dtype, [&](auto v) {
    using T = decltype(v);
    op::rnn::ByMode(m.mode, [&](auto mode) {
      MXC_LAUNCH(Blocks(m.N * m.H), kThreads, 0, s, StepForwardK<decltype(mode)::value, T>)(
          m, t, static_cast<T *>(g), static_cast<const T *>(hh), static_cast<const T *>(hprev),
          static_cast<const T *>(cprev), static_cast<T *>(h), static_cast<T *>(extra));
    });
  });
}

void RnnStepBackward(int dtype, const Dims &m, int64_t t, const void *dy, int64_t stride, const void *g,
                     const void *hprev, const void *cprev, const void *extra, void *dh, void *dc, void *dax,
                     void *dah, cudaStream_t s) {
  ByType(dtype, [&](auto v) {
    using T = decltype(v);
    op::rnn::ByMode(m.mode, [&](auto mode) {
      MXC_LAUNCH(Blocks(m.N * m.H), kThreads, 0, s, StepBackwardK<decltype(mode)::value, T>)(
          m, t, static_cast<const T *>(dy), stride, static_cast<const T *>(g), static_cast<const T *>(hprev),
          static_cast<const T *>(cprev), static_cast<const T *>(extra), static_cast<T *>(dh), static_cast<T *>(dc),
          static_cast<T *>(dax), static_cast<T *>(dah));
    });
  });
}

void RnnWriteOutput(int dtype, const Dims &m, void *out, int64_t stride, const void *hs, cudaStream_t s) {
  ByType(dtype, [&](auto v) {
    using T = decltype(v);
    MXC_LAUNCH(Blocks(m.T * m.N * m.H), kThreads, 0, s, WriteOutputK<T>)(m, static_cast<T *>(out), stride,
                                                                         static_cast<const T *>(hs));
  });
}

void RnnDropoutMask(int dtype, void *mask, int64_t n, double p, cudaStream_t s) {
  ByType(dtype, [&](auto v) {
    using T = decltype(v);
    const T keep = p >= 1 ? T(0) : static_cast<T>(1.0 / (1.0 - p));
    MXC_LAUNCH(Blocks(n), kThreads, 0, s, DropoutMaskK<T>)(static_cast<T *>(mask), n, static_cast<T>(1.0 - p), keep);
  });
}

}  // namespace cuda
}  // namespace mxc
