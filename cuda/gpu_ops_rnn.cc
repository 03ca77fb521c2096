// The fused RNN operator on the GPU: core/ops/rnn_impl.h's algorithm with cuBLAS GEMMs (gpu::Gemm) and the
// elementwise kernels of cuda/rnn.cu (kernels_rnn.cuh). float32/float64; float16 reaches it as float32 copies (see
// operator.h); an add request onto an output runs the host-staged CPU kernel.
#include <memory>
#include <vector>

#include "device.h"
#include "gpu_device.h"
#include "gpu_ops.h"
#include "kernels.cuh"
#include "kernels_rnn.cuh"
#include "ops/rnn.h"

namespace mxc {
namespace gpu {

namespace {

using op::rnn::Dims;

// rnn_impl.h's backend on the op's device and stream.
template <typename T>
struct GpuDev {
  const OpContext &ctx;
  int dt;
  void Gemm(bool ta, bool tb, int64_t M, int64_t N, int64_t K, T alpha, const T *A, int64_t lda, const T *B,
            int64_t ldb, T beta, T *C, int64_t ldc) {
    gpu::Gemm(ctx, dt, ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
  }
  void BiasRows(T *c, int64_t rows, int64_t cols, const T *b) { cuda::BiasRows(dt, b, c, rows, cols, 1, St(ctx)); }
  void Copy(T *dst, const T *src, int64_t n) {
    Check(cudaMemcpyAsync(dst, src, n * sizeof(T), cudaMemcpyDeviceToDevice, St(ctx)), "RNN: copy");
  }
  void Zero(T *dst, int64_t n) { Check(cudaMemsetAsync(dst, 0, n * sizeof(T), St(ctx)), "RNN: zero"); }
  void Mul(T *dst, const T *a, const T *b, int64_t n) { cuda::Binary(cuda::kMul, dt, a, b, dst, n, 1, St(ctx)); }
  void Assign(T *dst, int req, const T *src, int64_t n) { cuda::Cast(dt, src, dt, dst, n, req, St(ctx)); }
  void ColSum(T *dst, int req, const T *src, int64_t rows, int64_t cols) {
    cuda::SumKeepAxis(dt, src, dst, rows, cols, 1, req, St(ctx));
  }
  void StepForward(const Dims &m, int64_t t, T *g, const T *hh, const T *hprev, const T *cprev, T *h, T *extra) {
    cuda::RnnStepForward(dt, m, t, g, hh, hprev, cprev, h, extra, St(ctx));
  }
  void StepBackward(const Dims &m, int64_t t, const T *dy, int64_t stride, const T *g, const T *, const T *hprev,
                    const T *cprev, const T *extra, T *dh, T *dc, T *dax, T *dah) {
    cuda::RnnStepBackward(dt, m, t, dy, stride, g, hprev, cprev, extra, dh, dc, dax, dah, St(ctx));
  }
  // A direction's forward and backward as separate GEMM and kernel launches (rnn_impl.h's parts).
  void ForwardDirection(const Dims &m, int64_t d, const T *xin, int64_t in, const T *wx, const T *bx, const T *wh,
                        const T *bh, const T *h0, const T *c0, T *gates, T *hs, T *extra, T *scratch, T *out,
                        int64_t stride) {
    op::rnn::ForwardDirectionParts(*this, m, d, xin, in, wx, bx, wh, bh, h0, c0, gates, hs, extra, scratch, out,
                                   stride);
  }
  void BackRecurrence(const Dims &m, int64_t d, const T *wh, const T *dy, int64_t stride, const T *gates,
                      const T *hs, const T *extra, const T *h0, const T *c0, T *dh, T *dc, T *dax, T *dah,
                      T *hprevs) {
    op::rnn::BackRecurrenceParts(*this, m, d, wh, dy, stride, gates, hs, extra, h0, c0, dh, dc, dax, dah, hprevs);
  }
  void WriteOutput(const Dims &m, T *out, int64_t stride, const T *hs) {
    cuda::RnnWriteOutput(dt, m, out, stride, hs, St(ctx));
  }
  void Dropout(T *x, T *mask, int64_t n, double p) {
    if (p <= 0) return cuda::Fill(dt, mask, n, 1.0, 1, St(ctx));
    MXC_CHECK(ctx.rng != nullptr, ErrorKind::kInternal, "operator RNN: no random generator");
    cuda::Random(dt, 0, 0.0, 1.0, (*ctx.rng)(), mask, n, St(ctx));
    cuda::RnnDropoutMask(dt, mask, n, p, St(ctx));
    Mul(x, x, mask, n);
  }
};

// The call's Dims, with sequence_length's values checked on the host and put on the device as int32 in `lens`.
Dims CallDims(const OpContext &ctx, const OpParams &p, const Blobs &in, std::unique_ptr<Scratch> *lens) {
  Dims m = op::rnn::KernelDimsOf(p, in[0].shape);
  if (!p.Bool("use_sequence_length")) return m;
  const TBlob &b = in.back();
  std::vector<char> host(b.Size() * DTypeSize(b.dtype));
  DeviceWait(ctx.dev);  // the lengths may come from earlier work on the stream
  DeviceCopy(Device::CPU(), host.data(), ctx.dev, b.dptr, host.size());
  TBlob hb = b;
  hb.dptr = host.data();
  hb.dev = Device::CPU();
  const std::vector<int32_t> v = op::rnn::LengthsOf(p, hb, m.T);
  lens->reset(new Scratch(Dev(ctx), v.size() * sizeof(int32_t) + 16));
  DeviceCopy(ctx.dev, (*lens)->get(), Device::CPU(), v.data(), v.size() * sizeof(int32_t));
  m.lens = (*lens)->as<int32_t>();
  return m;
}

template <typename T>
void RNNFwdT(const OpContext &ctx, const OpParams &p, const Blobs &in, const Blobs &out) {
  std::unique_ptr<Scratch> lens;
  const Dims m = CallDims(ctx, p, in, &lens);
  const bool lstm = m.mode == op::rnn::kLstm;
  const int ns = op::rnn::NumStateOutputs(p);
  Scratch scratch(Dev(ctx), m.ForwardScratch() * sizeof(T) + 16);
  GpuDev<T> dev{ctx, in[0].dtype};
  op::rnn::Forward<T>(dev, m, ctx.is_train, in[0].ptr<T>(), in[1].ptr<T>(), in[2].ptr<T>(),
                      lstm ? in[3].ptr<T>() : nullptr, out[0].ptr<T>(), ns > 0 ? out[1].ptr<T>() : nullptr,
                      ns > 1 ? out[2].ptr<T>() : nullptr, out.back().ptr<T>(), scratch.as<T>());
}

void RNNFwd(FWD_ARGS) {
  bool add = false;
  for (auto r : req) add = add || r == kAddTo;
  if (!IsReal(in[0].dtype) || add) return Fallback(ctx, p, in, req, out);
  if (in[0].dtype == kFloat64) RNNFwdT<double>(ctx, p, in, out);
  else RNNFwdT<float>(ctx, p, in, out);
  CheckLaunch("RNN");
}

template <typename T>
void RNNBwdT(BWD_ARGS) {
  std::unique_ptr<Scratch> lens;
  const Dims m = CallDims(ctx, p, id, &lens);
  const bool lstm = m.mode == op::rnn::kLstm;
  const int ns = op::rnn::NumStateOutputs(p);
  if (p.Bool("use_sequence_length") && req.back() != kNullOp && req.back() != kAddTo && ig.back().dptr)
    cuda::Fill(ig.back().dtype, ig.back().dptr, ig.back().Size(), 0.0, 1, St(ctx));
  auto head = [&](int i) { return i <= ns && og[i].dptr ? og[i].ptr<T>() : nullptr; };
  auto grad = [&](int i) { return req[i] != kNullOp && ig[i].dptr ? ig[i].ptr<T>() : nullptr; };
  Scratch scratch(Dev(ctx), m.BackwardScratch() * sizeof(T) + 16);
  GpuDev<T> dev{ctx, id[0].dtype};
  op::rnn::Backward<T>(dev, m, og[0].ptr<T>(), head(1), lstm ? head(2) : nullptr, id[0].ptr<T>(), id[1].ptr<T>(),
                       id[2].ptr<T>(), lstm ? id[3].ptr<T>() : nullptr, od.back().ptr<T>(), grad(0), req[0],
                       grad(1), req[1], grad(2), req[2], lstm ? grad(3) : nullptr, lstm ? req[3] : kNullOp,
                       scratch.as<T>());
}

void RNNBwd(BWD_ARGS) {
  if (!IsReal(id[0].dtype)) return FallbackGrad(ctx, p, og, id, od, req, ig);
  if (id[0].dtype == kFloat64) RNNBwdT<double>(ctx, p, og, id, od, req, ig);
  else RNNBwdT<float>(ctx, p, og, id, od, req, ig);
  CheckLaunch("RNN backward");
}

}  // namespace

void RegisterRnnKernels() { Set("RNN", RNNFwd, RNNBwd); }

}  // namespace gpu
}  // namespace mxc
