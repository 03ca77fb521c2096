// Native GPU kernel of CTCLoss (cuda/ctc.cu, kernels_ctc.cuh), forward and gradient, with the semantics of the CPU
// kernel (core/ops/nn_ctc.cc). The labels and lengths (small) are read back to the host, checked with the CPU's
// errors and turned into extended labels there; the softmax, recursions, loss and gradient run on the device. float32/
// float64 activations run natively (labels and lengths of any dtype but float16); others run the host-staged CPU
// kernel.
#include <algorithm>
#include <string>
#include <vector>

#include "device.h"
#include "gpu_device.h"
#include "gpu_ops.h"
#include "kernels_ctc.cuh"
#include "operator.h"

namespace mxc {
namespace gpu {

namespace {

// The values of b (on the op's device) as int64, as the CPU reads them (static_cast).
std::vector<int64_t> HostInts(const OpContext &ctx, const TBlob &b) {
  const size_t es = DTypeSize(b.dtype), n = static_cast<size_t>(b.Size());
  std::vector<char> raw(n * es + 1);
  if (n) DeviceCopy(Device::CPU(), raw.data(), ctx.dev, b.dptr, n * es);
  std::vector<int64_t> v(n);
  MXC_TYPE_SWITCH(b.dtype, T, {
    const T *x = reinterpret_cast<const T *>(raw.data());
    for (size_t i = 0; i < n; ++i) v[i] = static_cast<int64_t>(x[i]);
  });
  return v;
}

// The extended labels (N x S, blank-padded), sequence and label lengths of a call, checked as the CPU checks them,
// on the device.
struct CtcLabels {
  cuda::CtcGeom g{};
  std::vector<int64_t> host;  // ext (N * S), then seq_len (N), then lab_len (N)
  CtcLabels(const OpContext &ctx, const OpParams &p, const Blobs &in) {
    const std::string &name = p.op()->name;
    const TShape &ds = in[0].shape;
    g.T = ds[0], g.N = ds[1], g.C = ds[2];
    const int64_t L = in[1].shape[1];
    const bool blank_first = p.Str("blank_label") == "first";
    g.blank = blank_first ? 0 : g.C - 1;
    const int64_t pad = blank_first ? 0 : -1;
    const std::vector<int64_t> labels = HostInts(ctx, in[1]);
    size_t k = 2;
    std::vector<int64_t> dlen, llen;
    if (p.Bool("use_data_lengths")) dlen = HostInts(ctx, in[k++]);
    if (p.Bool("use_label_lengths")) llen = HostInts(ctx, in[k++]);
    std::vector<int64_t> seq(g.N), lab(g.N);
    for (int64_t n = 0; n < g.N; ++n) {
      const int64_t tl = dlen.empty() ? g.T : dlen[n];
      if (tl < 0 || tl > g.T)
        Throw(ErrorKind::kValue, "operator ", name, ": data_lengths[", n, "] = ", tl, " is outside [0, ", g.T,
              "] (data shape ", ShapeStr(ds), ")");
      int64_t ll = 0;
      if (!llen.empty()) {
        ll = llen[n];
        if (ll < 0 || ll > L)
          Throw(ErrorKind::kValue, "operator ", name, ": label_lengths[", n, "] = ", ll, " is outside [0, ", L,
                "] (label shape ", ShapeStr(in[1].shape), ")");
      } else {
        while (ll < L && labels[n * L + ll] != pad) ++ll;
      }
      for (int64_t i = 0; i < ll; ++i) {
        const int64_t c = labels[n * L + i];
        if (c < 0 || c >= g.C || c == g.blank)
          Throw(ErrorKind::kValue, "operator ", name, ": label[", n, ", ", i, "] = ", c,
                " is not a token of the alphabet (0..", g.C - 1, " without the blank ", g.blank, ", blank_label '",
                p.Str("blank_label"), "')");
      }
      seq[n] = tl, lab[n] = ll;
    }
    g.S = 1;
    for (int64_t n = 0; n < g.N; ++n) g.S = std::max<int64_t>(g.S, 2 * lab[n] + 1);
    host.assign(static_cast<size_t>(g.N * g.S), g.blank);
    for (int64_t n = 0; n < g.N; ++n)
      for (int64_t i = 0; i < lab[n]; ++i) host[n * g.S + 2 * i + 1] = labels[n * L + i];
    host.insert(host.end(), seq.begin(), seq.end());
    host.insert(host.end(), lab.begin(), lab.end());
  }
};

bool Covered(const Blobs &in) {
  if (!IsReal(in[0].dtype)) return false;
  for (size_t i = 1; i < in.size(); ++i)
    if (in[i].dtype == kFloat16) return false;
  return true;
}

// Runs the kernel: loss (req_loss) and/or the gradient (req_grad) scaled by head.
void RunCtc(const OpContext &ctx, const OpParams &p, const Blobs &in, void *loss, OpReq req_loss, void *grad,
            OpReq req_grad, const void *head) {
  const CtcLabels lab(ctx, p, in);
  const cuda::CtcGeom &g = lab.g;
  Scratch dev(Dev(ctx), lab.host.size() * sizeof(int64_t) + 1);
  DeviceCopy(ctx.dev, dev.get(), Device::CPU(), lab.host.data(), lab.host.size() * sizeof(int64_t));
  const int64_t *ext = dev.as<int64_t>(), *seq = ext + g.N * g.S, *ll = seq + g.N;
  Scratch work(Dev(ctx), static_cast<size_t>(std::max<int64_t>(1, g.N * cuda::CtcWork(g))) * sizeof(double));
  cuda::Ctc(in[0].dtype, g, in[0].dptr, ext, seq, ll, loss, req_loss, grad, req_grad, head, work.as<double>(),
            St(ctx));
}

void CtcFwd(FWD_ARGS) {
  if (!Covered(in) || out[0].dtype != in[0].dtype) return Fallback(ctx, p, in, req, out);
  if (req[0] == kNullOp) return;
  RunCtc(ctx, p, in, out[0].dptr, req[0], nullptr, kNullOp, nullptr);
  CheckLaunch("CTCLoss");
}

void CtcBwd(BWD_ARGS) {
  if (!Covered(id) || og[0].dtype != id[0].dtype || ig[0].dtype != id[0].dtype)
    return FallbackGrad(ctx, p, og, id, od, req, ig);
  for (size_t i = 1; i < ig.size(); ++i)  // labels and lengths
    if ((req[i] == kWriteTo || req[i] == kWriteInplace) && ig[i].dptr && ig[i].Size() > 0)
      DeviceZero(ctx.dev, ig[i].dptr, static_cast<size_t>(ig[i].Size()) * DTypeSize(ig[i].dtype));
  if (req[0] == kNullOp) return;
  RunCtc(ctx, p, id, nullptr, kNullOp, ig[0].dptr, req[0], og[0].dptr);
  CheckLaunch("CTCLoss backward");
}

}  // namespace

void RegisterCtcKernels() { Set("CTCLoss", CtcFwd, CtcBwd); }

}  // namespace gpu
}  // namespace mxc
