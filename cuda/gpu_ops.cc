// Registers the GPU kernels of cuda/*.cu with the operator registry (the operators' metadata, parameters and
// inference come from their CPU registration). Called once, when the first GPU is counted.
//
// Native kernels cover float32 and float64 (and the integer dtypes for elementwise arithmetic and the reductions).
// Operators without a native GPU kernel, or a call a native kernel does not cover (integer indexing data, a
// convolution in another layout), run their CPU kernel on host copies of the blobs ("host-staged"): slow, but every registry
// operator works on a GPU context. HostStagedOps() lists the operators whose kernels are only host-staged, and
// HostStagedCalls() counts host-staged calls.
#include <algorithm>
#include <cmath>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <set>
#include <string>

#include "device.h"
#include "gpu_device.h"
#include "gpu_ops.h"
#include "kernels.cuh"
#include "kernels_conv3d.cuh"
#include "kernels_shape.cuh"
#include "operator.h"
#include "ops/op_util.h"

namespace mxc {
namespace gpu {

static_assert(int(cuda::kF32) == int(kFloat32) && int(cuda::kF64) == int(kFloat64) &&
                  int(cuda::kF16) == int(kFloat16) && int(cuda::kU8) == int(kUint8) && int(cuda::kI32) == int(kInt32) &&
                  int(cuda::kI8) == int(kInt8) && int(cuda::kI64) == int(kInt64) && int(cuda::kBool) == int(kBool),
              "dtype codes of kernels.cuh must match mxc.h");

namespace {

std::mutex g_blas_mu;

std::set<std::string> &StagedSet() {
  static auto *s = new std::set<std::string>();
  return *s;
}


// ---------------------------------------------------------------------------------------------------------------
// Host staging
// ---------------------------------------------------------------------------------------------------------------
struct HostCopies {
  std::vector<std::unique_ptr<char, decltype(&std::free)>> bufs;
  Blobs Stage(const Blobs &b, const Device &dev) {
    Blobs r = b;
    for (auto &x : r) {
      if (!x.dptr) continue;
      size_t bytes = static_cast<size_t>(x.Size()) * DTypeSize(x.dtype);
      char *h = static_cast<char *>(std::aligned_alloc(64, (bytes + 63) / 64 * 64 + 64));
      MXC_CHECK(h != nullptr, ErrorKind::kInternal, "out of host memory staging ", bytes, " bytes");
      bufs.emplace_back(h, &std::free);
      DeviceCopy(Device::CPU(), h, dev, x.dptr, bytes);
      x.dptr = h;
      x.dev = Device::CPU();
    }
    return r;
  }
};
void Unstage(const Blobs &host, const Blobs &devb, const Device &dev, const Reqs *req) {
  for (size_t i = 0; i < host.size(); ++i) {
    if (!devb[i].dptr || (req && (*req)[i] == kNullOp)) continue;
    DeviceCopy(dev, devb[i].dptr, Device::CPU(), host[i].dptr,
               static_cast<size_t>(devb[i].Size()) * DTypeSize(devb[i].dtype));
  }
}

std::atomic<int64_t> g_staged_calls{0};

// With MXC_GPU_WARN_STAGED set, each operator, direction and dtype that runs host-staged is named once on stderr:
// the way to find the slow calls of a GPU program.
void NoteStaged(const OpParams &p, const char *dir, const Blobs &blobs) {
  static const bool on = [] {
    const char *e = std::getenv("MXC_GPU_WARN_STAGED");
    return e && *e && std::string(e) != "0";
  }();
  if (!on) return;
  std::string key = p.op()->name + dir + " (";
  for (size_t i = 0; i < blobs.size(); ++i)
    key += std::string(i ? ", " : "") + (blobs[i].dptr ? DTypeName(blobs[i].dtype) : "none");
  key += ")";
  static std::mutex mu;
  static std::set<std::string> seen;
  std::lock_guard<std::mutex> lk(mu);
  if (seen.insert(key).second) std::fprintf(stderr, "mxc: %s ran host-staged on the GPU\n", key.c_str());
}

void StagedForward(const FCompute &cpu, const OpContext &ctx, const OpParams &p, const Blobs &in, const Reqs &req,
                   const Blobs &out) {
  g_staged_calls++;
  NoteStaged(p, "", in);
  HostCopies hc;
  DeviceWait(ctx.dev);
  Blobs hin = hc.Stage(in, ctx.dev), hout = hc.Stage(out, ctx.dev);
  OpContext hctx = ctx;
  hctx.dev = Device::CPU();
  cpu(hctx, p, hin, req, hout);
  Unstage(hout, out, ctx.dev, &req);
  // Mutated inputs (optimizer and aux states) go back too.
  Blobs hm, dm;
  for (int m : p.op()->MutateInputs(p))
    if (m < static_cast<int>(in.size())) {
      hm.push_back(hin[m]);
      dm.push_back(in[m]);
    }
  Unstage(hm, dm, ctx.dev, nullptr);
}

void StagedBackward(const FBackward &cpu, const OpContext &ctx, const OpParams &p, const Blobs &og, const Blobs &id,
                    const Blobs &od, const Reqs &req, const Blobs &ig) {
  g_staged_calls++;
  NoteStaged(p, " backward", id);  // "none": an input the backward was not given
  HostCopies hc;
  DeviceWait(ctx.dev);
  Blobs hog = hc.Stage(og, ctx.dev), hid = hc.Stage(id, ctx.dev), hod = hc.Stage(od, ctx.dev);
  Blobs hig = hc.Stage(ig, ctx.dev);
  OpContext hctx = ctx;
  hctx.dev = Device::CPU();
  cpu(hctx, p, hog, hid, hod, req, hig);
  Unstage(hig, ig, ctx.dev, &req);
}


// ---------------------------------------------------------------------------------------------------------------
// Creation, copies, elementwise
// ---------------------------------------------------------------------------------------------------------------
FCompute FillOp(int which) {  // 0 zeros, 1 ones, 2 full
  return [which](FWD_ARGS) {
    double v = which == 0 ? 0.0 : which == 1 ? 1.0 : p.Float("value");
    cuda::Fill(out[0].dtype, out[0].dptr, out[0].Size(), v, req[0], St(ctx));
    CheckLaunch(p.op()->name.c_str());
  };
}

void CopyFwd(FWD_ARGS) {
  cuda::Cast(in[0].dtype, in[0].dptr, out[0].dtype, out[0].dptr, out[0].Size(), req[0], St(ctx));
  CheckLaunch(p.op()->name.c_str());
}
void CopyBwd(BWD_ARGS) {
  (void)id;
  (void)od;
  cuda::Cast(og[0].dtype, og[0].dptr, ig[0].dtype, ig[0].dptr, ig[0].Size(), req[0], St(ctx));
  CheckLaunch(p.op()->name.c_str());
}
// BlockGrad: the gradient of the data is zero (kAddTo adds nothing).
void ZeroBwd(BWD_ARGS) {
  (void)og;
  (void)id;
  (void)od;
  cuda::Fill(ig[0].dtype, ig[0].dptr, ig[0].Size(), 0.0, req[0], St(ctx));
  CheckLaunch(p.op()->name.c_str());
}

// reshape_like: lhs gets the head gradient, rhs (not read) zeros.
void ReshapeLikeBwd(BWD_ARGS) {
  CopyBwd(ctx, p, og, id, od, req, ig);
  if (ig.size() > 1 && req.size() > 1 && ig[1].dptr && (req[1] == kWriteTo || req[1] == kWriteInplace))
    cuda::Fill(ig[1].dtype, ig[1].dptr, ig[1].Size(), 0.0, req[1], St(ctx));
  CheckLaunch("reshape_like backward");
}

FCompute UnaryFwdImpl(int code) {
  return [code](FWD_ARGS) {
    if (!IsReal(in[0].dtype) && !(IsInt(in[0].dtype) && cuda::IntUnaryOk(code))) return Fallback(ctx, p, in, req, out);
    cuda::Unary(code, in[0].dtype, in[0].dptr, out[0].dptr, out[0].Size(), req[0], St(ctx));
    CheckLaunch(p.op()->name.c_str());
  };
}
FBackward UnaryBwd(int code) {
  return [code](BWD_ARGS) {
    if (!IsReal(og[0].dtype)) return FallbackGrad(ctx, p, og, id, od, req, ig);
    // Operators whose CPU backward reads only the output (exp, tanh, Activation, ...) get no input from the
    // executor or autograd: their derivative comes from the output then.
    const bool have_x = !id.empty() && id[0].dptr, have_y = !od.empty() && od[0].dptr;
    if (!have_x && (have_y || cuda::UnaryGradConst(code)) && cuda::UnaryGradOutOk(code))
      cuda::UnaryGradOut(code, og[0].dtype, og[0].dptr, have_y ? od[0].dptr : nullptr, ig[0].dptr, ig[0].Size(),
                         req[0], St(ctx));
    else if (have_x)
      cuda::UnaryGrad(code, og[0].dtype, og[0].dptr, id[0].dptr, ig[0].dptr, ig[0].Size(), req[0], St(ctx));
    else
      return FallbackGrad(ctx, p, og, id, od, req, ig);
    CheckLaunch(p.op()->name.c_str());
  };
}

int ActCode(const OpParams &p) {
  const std::string &t = p.Str("act_type");
  if (t == "relu") return cuda::kRelu;
  if (t == "sigmoid") return cuda::kSigmoid;
  if (t == "tanh") return cuda::kTanh;
  if (t == "softrelu") return cuda::kSoftrelu;
  return cuda::kSoftsign;
}
void ActFwd(FWD_ARGS) { UnaryFwdImpl(ActCode(p))(ctx, p, in, req, out); }
void ActBwd(BWD_ARGS) { UnaryBwd(ActCode(p))(ctx, p, og, id, od, req, ig); }

FCompute BinaryFwd(int code) {
  return [code](FWD_ARGS) {
    if (!IsReal(in[0].dtype) && !IsInt(in[0].dtype)) return Fallback(ctx, p, in, req, out);
    cuda::Binary(code, in[0].dtype, in[0].dptr, in[1].dptr, out[0].dptr, out[0].Size(), req[0], St(ctx));
    CheckLaunch(p.op()->name.c_str());
  };
}
FBackward BinaryBwd(int code) {
  return [code](BWD_ARGS) {
    bool needs = !(code == cuda::kAdd || code == cuda::kSub || code >= cuda::kEq);
    if (!IsReal(og[0].dtype) || (needs && (!id[0].dptr || !id[1].dptr))) return FallbackGrad(ctx, p, og, id, od, req, ig);
    cuda::BinaryGrad(code, og[0].dtype, og[0].dptr, id.size() > 0 ? id[0].dptr : nullptr,
                     id.size() > 1 ? id[1].dptr : nullptr, ig[0].dptr, req[0], ig[1].dptr, req[1], og[0].Size(),
                     St(ctx));
    CheckLaunch(p.op()->name.c_str());
  };
}

FCompute ScalarFwd(int code, bool rev) {
  return [code, rev](FWD_ARGS) {
    if (!IsReal(in[0].dtype) && !IsInt(in[0].dtype)) return Fallback(ctx, p, in, req, out);
    cuda::Scalar(code, in[0].dtype, in[0].dptr, p.Float("scalar"), rev, out[0].dptr, out[0].Size(), req[0], St(ctx));
    CheckLaunch(p.op()->name.c_str());
  };
}
FBackward ScalarBwd(int code, bool rev) {
  return [code, rev](BWD_ARGS) {
    bool needs = !(code == cuda::kAdd || code == cuda::kSub || code == cuda::kMul || code >= cuda::kEq ||
                   (!rev && (code == cuda::kDiv || code == cuda::kMod)));
    if (IsReal(og[0].dtype) && code == cuda::kPow && rev && (id.empty() || !id[0].dptr) && !od.empty() &&
        od[0].dptr) {  // d(s^x)/dx = s^x log(s): from the output, which is all _rpower_scalar's backward keeps
      const double sc = p.Float("scalar");  // log(s) in the dtype, as the CPU kernel computes it
      const double lg = og[0].dtype == kFloat32 ? std::log(static_cast<float>(sc)) : std::log(sc);
      cuda::ScaledProduct(og[0].dtype, og[0].dptr, od[0].dptr, lg, ig[0].dptr,
                          ig[0].Size(), req[0], St(ctx));
      CheckLaunch(p.op()->name.c_str());
      return;
    }
    if (!IsReal(og[0].dtype) || (needs && (id.empty() || !id[0].dptr)))
      return FallbackGrad(ctx, p, og, id, od, req, ig);
    cuda::ScalarGrad(code, og[0].dtype, og[0].dptr, id.empty() ? nullptr : id[0].dptr, p.Float("scalar"), rev,
                     ig[0].dptr, ig[0].Size(), req[0], St(ctx));
    CheckLaunch(p.op()->name.c_str());
  };
}

void AddNFwd(FWD_ARGS) {
  if (!IsReal(out[0].dtype) || req[0] == kAddTo) return Fallback(ctx, p, in, req, out);
  if (req[0] == kNullOp) return;
  const int64_t n = out[0].Size();
  if (in.size() == 1) {
    cuda::Cast(in[0].dtype, in[0].dptr, out[0].dtype, out[0].dptr, n, 1, St(ctx));
  } else {
    // An output sharing storage with an input other than the first would be overwritten before it is read.
    for (size_t i = 1; i < in.size(); ++i)
      if (in[i].dptr == out[0].dptr) return Fallback(ctx, p, in, req, out);
    cuda::Binary(cuda::kAdd, out[0].dtype, in[0].dptr, in[1].dptr, out[0].dptr, n, 1, St(ctx));
    for (size_t i = 2; i < in.size(); ++i)
      cuda::Binary(cuda::kAdd, out[0].dtype, out[0].dptr, in[i].dptr, out[0].dptr, n, 1, St(ctx));
  }
  CheckLaunch("add_n");
}

// Every input's gradient is the head gradient.
void AddNBwd(BWD_ARGS) {
  (void)id;
  (void)od;
  for (size_t i = 0; i < ig.size(); ++i) {
    if (req[i] == kNullOp) continue;
    cuda::Cast(og[0].dtype, og[0].dptr, ig[i].dtype, ig[i].dptr, ig[i].Size(), req[i], St(ctx));
  }
  CheckLaunch("add_n backward");
}

// ---------------------------------------------------------------------------------------------------------------
// Random
// ---------------------------------------------------------------------------------------------------------------
FCompute RandomFwd(int dist, const char *a, const char *b) {
  return [dist, a, b](FWD_ARGS) {
    if (!IsReal(out[0].dtype) || req[0] != kWriteTo || !ctx.rng) return Fallback(ctx, p, in, req, out);
    uint64_t key = (*ctx.rng)();
    cuda::Random(out[0].dtype, dist, p.Float(a), p.Float(b), key, out[0].dptr, out[0].Size(), St(ctx));
    CheckLaunch(p.op()->name.c_str());
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Neural network
// ---------------------------------------------------------------------------------------------------------------
void FCFwd(FWD_ARGS) {
  if (!IsReal(in[0].dtype)) return Fallback(ctx, p, in, req, out);
  if (req[0] == kNullOp) return;
  const TShape &d = in[0].shape;
  int64_t hidden = p.Int("num_hidden"), batch, k;
  if (p.Bool("flatten")) {
    batch = d[0];
    k = d[0] ? in[0].Size() / d[0] : 0;
  } else {
    k = d[d.ndim() - 1];
    batch = k ? in[0].Size() / k : 0;
  }
  double beta = Beta(req[0]);
  if (!p.Bool("no_bias")) {
    cuda::BiasRows(in[0].dtype, in[2].dptr, out[0].dptr, batch, hidden, req[0], St(ctx));
    beta = 1.0;
  }
  Gemm(ctx, in[0].dtype, false, true, batch, hidden, k, 1.0, in[0].dptr, k, in[1].dptr, k, beta, out[0].dptr, hidden);
  CheckLaunch("FullyConnected");
}
void FCBwd(BWD_ARGS) {
  (void)od;
  if (!IsReal(id[0].dtype)) return FallbackGrad(ctx, p, og, id, od, req, ig);
  const TShape &d = id[0].shape;
  int64_t hidden = p.Int("num_hidden"), batch, k;
  if (p.Bool("flatten")) {
    batch = d[0];
    k = d[0] ? id[0].Size() / d[0] : 0;
  } else {
    k = d[d.ndim() - 1];
    batch = k ? id[0].Size() / k : 0;
  }
  int t = id[0].dtype;
  if (req[0] != kNullOp)
    Gemm(ctx, t, false, false, batch, k, hidden, 1.0, og[0].dptr, hidden, id[1].dptr, k, Beta(req[0]), ig[0].dptr, k);
  if (req[1] != kNullOp)
    Gemm(ctx, t, true, false, hidden, k, batch, 1.0, og[0].dptr, hidden, id[0].dptr, k, Beta(req[1]), ig[1].dptr, k);
  if (!p.Bool("no_bias") && req.size() > 2 && req[2] != kNullOp)
    cuda::SumKeepAxis(t, og[0].dptr, ig[2].dptr, batch, hidden, 1, req[2], St(ctx));
  CheckLaunch("FullyConnected backward");
}

using Split = op::AxisSplit;
using op::SplitAt;
Split SoftmaxOutputSplit(const OpParams &p, const TShape &d) {
  if (p.Bool("multi_output")) return SplitAt(d, 1);
  if (p.Bool("preserve_shape")) return SplitAt(d, d.ndim() - 1);
  Split s;
  s.outer = d[0];
  s.n = d[0] == 0 ? 0 : ShapeSize(d) / d[0];
  return s;
}

void SoftmaxFwd(FWD_ARGS, bool log) {
  if (!IsReal(in[0].dtype) || out[0].dtype != in[0].dtype) return Fallback(ctx, p, in, req, out);
  int axis = static_cast<int>(p.Int("axis"));
  if (axis < 0) axis += in[0].ndim();
  Split s = SplitAt(in[0].shape, axis);
  double t = p.IsNone("temperature") ? 1.0 : p.Float("temperature");
  if (in.size() > 1) {  // softmax's use_length (type inference allows int32 and int64 lengths)
    cuda::SoftmaxLength(in[0].dtype, in[0].dptr, out[0].dptr, in[1].dptr, in[1].dtype == kInt64, s.outer, s.n,
                        s.inner, t, req[0], St(ctx));
    CheckLaunch("softmax");
    return;
  }
  cuda::Softmax(in[0].dtype, in[0].dptr, out[0].dptr, s.outer, s.n, s.inner, t, log, req[0], St(ctx));
  CheckLaunch(p.op()->name.c_str());
}

void SoftmaxOutputFwd(FWD_ARGS) {
  if (!IsReal(in[0].dtype)) return Fallback(ctx, p, in, req, out);
  Split s = SoftmaxOutputSplit(p, in[0].shape);
  cuda::Softmax(in[0].dtype, in[0].dptr, out[0].dptr, s.outer, s.n, s.inner, 1.0, false, req[0], St(ctx));
  CheckLaunch("SoftmaxOutput");
}
void SoftmaxOutputBwd(BWD_ARGS) {
  const bool multi = p.Bool("multi_output");
  const bool prob_label = !multi && id[1].shape == od[0].shape;
  if (!IsReal(od[0].dtype) || prob_label || p.Float("smooth_alpha") != 0 || p.Bool("out_grad") || !od[0].dptr)
    return FallbackGrad(ctx, p, og, id, od, req, ig);
  if (ig.size() > 1 && ig[1].dptr && (req[1] == kWriteTo || req[1] == kWriteInplace))
    cuda::Fill(ig[1].dtype, ig[1].dptr, ig[1].Size(), 0.0, 1, St(ctx));
  if (req[0] == kNullOp) return;
  Split s = SoftmaxOutputSplit(p, od[0].shape);
  const std::string &norm = p.Str("normalization");
  double scale = p.Float("grad_scale");
  if (norm == "batch") scale /= static_cast<double>(s.outer);
  if (multi && norm != "valid") scale /= static_cast<double>(s.inner);
  cuda::SoftmaxOutputGrad(od[0].dtype, od[0].dptr, id[1].dptr, ig[0].dptr, s.outer, s.n, s.inner, scale,
                          p.Bool("use_ignore"), p.Float("ignore_label"), norm == "valid", req[0], St(ctx));
  CheckLaunch("SoftmaxOutput backward");
}

}  // namespace

// Convolution (1-D, 2-D and 3-D, NCW/NCHW/NCDHW): the geometry (gpu_ops.h).
ConvGeom GetConv(const OpParams &p, const TShape &d, const TShape &o) {
  ConvGeom g;
  const auto &k = p.Tuple("kernel");
  const std::string &layout = p.Str("layout");
  if (!(layout == "None" || layout == "NCHW" || layout == "NCW" || layout == "NCDHW")) return g;
  int nd = static_cast<int>(k.size());
  if (nd < 1 || nd > 3 || d.ndim() != nd + 2) return g;
  auto get = [&](const char *name, int i, int def) {
    const auto &t = p.Tuple(name);
    return t.empty() ? def : static_cast<int>(t[i]);
  };
  g.N = d[0];
  g.C = d[1];
  g.F = o[1];
  g.G = p.Int("num_group");
  if (nd == 1) {
    g.H = 1, g.W = d[2], g.oh = 1, g.ow = o[2];
    g.kh = 1, g.kw = static_cast<int>(k[0]);
    g.sh = 1, g.sw = get("stride", 0, 1);
    g.ph = 0, g.pw = get("pad", 0, 0);
    g.dh = 1, g.dw = get("dilate", 0, 1);
  } else {
    const int b = nd - 2;  // 1 for 3-D: the depth leads
    if (nd == 3) {
      g.three = true;
      g.D = d[2], g.oD = o[2];
      g.kd = static_cast<int>(k[0]), g.sd = get("stride", 0, 1), g.pd = get("pad", 0, 0), g.dd = get("dilate", 0, 1);
    }
    g.H = d[2 + b], g.W = d[3 + b], g.oh = o[2 + b], g.ow = o[3 + b];
    g.kh = static_cast<int>(k[b]), g.kw = static_cast<int>(k[1 + b]);
    g.sh = get("stride", b, 1), g.sw = get("stride", 1 + b, 1);
    g.ph = get("pad", b, 0), g.pw = get("pad", 1 + b, 0);
    g.dh = get("dilate", b, 1), g.dw = get("dilate", 1 + b, 1);
  }
  g.ok = g.G >= 1 && g.C % g.G == 0 && g.F % g.G == 0;
  return g;
}
ConvGeom GetDeconv(const OpParams &p, const TShape &data, const TShape &out) {
  ConvGeom g = GetConv(p, out, data);
  if (g.ok && !p.Tuple("target_shape").empty()) {  // the crop target_shape leaves at the start
    auto pad = [](int64_t in, int64_t out, int k, int s, int d) {
      return static_cast<int>(((in - 1) * s + d * (k - 1) + 1 - out + 1) / 2);
    };
    g.ph = pad(g.oh, g.H, g.kh, g.sh, g.dh);
    g.pw = pad(g.ow, g.W, g.kw, g.sw, g.dw);
    if (g.three) g.pd = pad(g.oD, g.D, g.kd, g.sd, g.dd);
  }
  return g;
}

namespace {

// Convolution by im2col + one matrix product per group for a chunk of images at once: col (C*kh*kw, n*oh*ow) and the
// output as (F, n*oh*ow), transposed into (n, F, oh*ow). Chunks keep that scratch under MXC_CUDA_CONV_SCRATCH bytes
// (256 MiB).
int64_t ConvChunk(const ConvGeom &g, size_t es) {
  size_t budget = size_t(256) << 20;
  if (const char *e = std::getenv("MXC_CUDA_CONV_SCRATCH"))
    if (*e) budget = static_cast<size_t>(std::strtoull(e, nullptr, 10));
  const size_t per_image = static_cast<size_t>((g.C * g.kd * g.kh * g.kw + g.F) * g.oD * g.oh * g.ow) * es;
  return std::max<int64_t>(1, std::min<int64_t>(g.N, static_cast<int64_t>(budget / std::max<size_t>(per_image, 1))));
}
// (F, n, hw) <-> (n, F, hw) for a chunk of n images.
cuda::View ChunkView(int64_t a, int64_t b, int64_t hw) {  // reads an (b, a, hw) array as (a, b, hw)
  cuda::View v;
  v.n = 3;
  v.shape[0] = a, v.shape[1] = b, v.shape[2] = hw;
  v.stride[0] = hw, v.stride[1] = a * hw, v.stride[2] = 1;
  return v;
}

// im2col / col2im of n images: the 2-D kernels for 1-D/2-D geometries, the 3-D ones (kernels_conv3d.cuh) for 3-D.
cuda::Win3 Win(const ConvGeom &g) {
  return cuda::Win3{g.D, g.H, g.W, g.oD, g.oh, g.ow, g.kd, g.kh, g.kw, g.sd, g.sh,
                    g.sw, g.pd, g.ph, g.pw, g.dd, g.dh, g.dw};
}
void Im2ColG(const OpContext &ctx, const ConvGeom &g, int t, const void *x, int64_t n, void *col) {
  if (g.three) return cuda::Im2Col3D(t, x, n, g.C, Win(g), col, St(ctx));
  cuda::Im2Col(t, x, n, g.C, g.H, g.W, g.kh, g.kw, g.ph, g.pw, g.sh, g.sw, g.dh, g.dw, g.oh, g.ow, col, St(ctx));
}
void Col2ImG(const OpContext &ctx, const ConvGeom &g, int t, const void *col, int64_t n, void *x, bool add) {
  if (g.three) return cuda::Col2Im3D(t, col, n, g.C, Win(g), x, add, St(ctx));
  cuda::Col2Im(t, col, n, g.C, g.H, g.W, g.kh, g.kw, g.ph, g.pw, g.sh, g.sw, g.dh, g.dw, g.oh, g.ow, x, add, St(ctx));
}

// The im2col + GEMM forward (g.N > 0): y (req)= conv(x, w) + bias (a null bias: none).
void ConvFwdGemm(const OpContext &ctx, const ConvGeom &g, int t, const void *xv, const void *wv, const void *bias,
                 void *yv, OpReq req) {
  const size_t es = DTypeSize(t);
  const int64_t ckk = g.C / g.G * g.kd * g.kh * g.kw, hw = g.oD * g.oh * g.ow, fg = g.F / g.G,
                chw = g.C * g.D * g.H * g.W;
  const int64_t chunk = ConvChunk(g, es);
  Scratch col(Dev(ctx), static_cast<size_t>(g.C * g.kd * g.kh * g.kw * chunk * hw) * es + es);
  Scratch yt(Dev(ctx), static_cast<size_t>(g.F * chunk * hw) * es + es);
  std::unique_ptr<Scratch> ones;
  if (bias) {
    ones.reset(new Scratch(Dev(ctx), static_cast<size_t>(chunk * hw) * es + es));
    cuda::Fill(t, ones->get(), chunk * hw, 1.0, 1, St(ctx));
  }
  const char *x = static_cast<const char *>(xv);
  const char *w = static_cast<const char *>(wv);
  char *y = static_cast<char *>(yv);
  for (int64_t n0 = 0; n0 < g.N; n0 += chunk) {
    const int64_t nc = std::min(chunk, g.N - n0), cols = nc * hw;
    Im2ColG(ctx, g, t, x + n0 * chw * es, nc, col.get());
    for (int64_t gi = 0; gi < g.G; ++gi)
      Gemm(ctx, t, false, false, fg, cols, ckk, 1.0, w + gi * fg * ckk * es, ckk, col.as<char>() + gi * ckk * cols * es,
           cols, 0.0, yt.as<char>() + gi * fg * cols * es, cols);
    if (bias) Gemm(ctx, t, false, false, g.F, cols, 1, 1.0, bias, 1, ones->get(), cols, 1.0, yt.get(), cols);
    cuda::Gather(t, yt.get(), ChunkView(nc, g.F, hw), y + n0 * g.F * hw * es, nc * g.F * hw, req, St(ctx));
  }
}
void ConvFwd(FWD_ARGS) {
  if (!IsReal(in[0].dtype)) return Fallback(ctx, p, in, req, out);
  ConvGeom g = GetConv(p, in[0].shape, out[0].shape);
  if (!g.ok) return Fallback(ctx, p, in, req, out);
  if (req[0] == kNullOp || g.N == 0) return;
  const void *bias = p.Bool("no_bias") ? nullptr : in[2].dptr;
  auto gemm = [&](const Blobs &o, const Reqs &r) {
    ConvFwdGemm(ctx, g, in[0].dtype, in[0].dptr, in[1].dptr, bias, o[0].dptr, r[0]);
  };
  if (!CudnnConvForward(ctx, p, in, req, out, g, gemm)) gemm(out, req);
  CheckLaunch("Convolution");
}
// The im2col + GEMM data gradient dx (req_dx) and weight gradient dw (req_dw) of y = conv(x, w) for the output
// gradient dy; a null dx or dw is not computed (and x not read for a null dw).
void ConvBwdGemm(const OpContext &ctx, const ConvGeom &g, int t, const void *dyv, const void *xv, const void *wv,
                 void *dxv, OpReq req_dx, void *dwv, OpReq req_dw) {
  const size_t es = DTypeSize(t);
  const int64_t ckk = g.C / g.G * g.kd * g.kh * g.kw, hw = g.oD * g.oh * g.ow, fg = g.F / g.G,
                chw = g.C * g.D * g.H * g.W;
  if ((dwv || dxv) && g.N > 0) {
    const int64_t chunk = ConvChunk(g, es);
    Scratch col(Dev(ctx), static_cast<size_t>(g.C * g.kd * g.kh * g.kw * chunk * hw) * es + es);
    Scratch dyt(Dev(ctx), static_cast<size_t>(g.F * chunk * hw) * es + es);
    const char *x = static_cast<const char *>(xv);
    const char *w = static_cast<const char *>(wv);
    const char *dy = static_cast<const char *>(dyv);
    for (int64_t n0 = 0; n0 < g.N; n0 += chunk) {
      const int64_t nc = std::min(chunk, g.N - n0), cols = nc * hw;
      // dY of the chunk as (F, nc*hw).
      cuda::Gather(t, dy + n0 * g.F * hw * es, ChunkView(g.F, nc, hw), dyt.get(), g.F * cols, kWriteTo, St(ctx));
      if (dwv) {
        Im2ColG(ctx, g, t, x + n0 * chw * es, nc, col.get());
        const double beta = n0 == 0 ? Beta(req_dw) : 1.0;
        for (int64_t gi = 0; gi < g.G; ++gi)
          Gemm(ctx, t, false, true, fg, ckk, cols, 1.0, dyt.as<char>() + gi * fg * cols * es, cols,
               col.as<char>() + gi * ckk * cols * es, cols, beta, static_cast<char *>(dwv) + gi * fg * ckk * es, ckk);
      }
      if (dxv) {
        for (int64_t gi = 0; gi < g.G; ++gi)
          Gemm(ctx, t, true, false, ckk, cols, fg, 1.0, w + gi * fg * ckk * es, ckk, dyt.as<char>() + gi * fg * cols * es,
               cols, 0.0, col.as<char>() + gi * ckk * cols * es, cols);
        Col2ImG(ctx, g, t, col.get(), nc, static_cast<char *>(dxv) + n0 * chw * es, req_dx == kAddTo);
      }
    }
  } else if (dwv && req_dw != kAddTo) {  // no images: a zero weight gradient
    DeviceZero(ctx.dev, dwv, static_cast<size_t>(g.F * ckk) * es);
  }
}
void ConvBwd(BWD_ARGS) {
  if (!IsReal(id[0].dtype)) return FallbackGrad(ctx, p, og, id, od, req, ig);
  ConvGeom g = GetConv(p, id[0].shape, og[0].shape);
  if (!g.ok) return FallbackGrad(ctx, p, og, id, od, req, ig);
  const int t = id[0].dtype;
  const int64_t hw = g.oD * g.oh * g.ow;
  Reqs dreq(req.begin(), req.begin() + 2);  // data and weight
  auto gemm = [&](const Blobs &grads, const Reqs &r) {
    ConvBwdGemm(ctx, g, t, og[0].dptr, id[0].dptr, id[1].dptr, r[0] != kNullOp ? grads[0].dptr : nullptr, r[0],
                r[1] != kNullOp ? grads[1].dptr : nullptr, r[1]);
  };
  if (!CudnnConvBackward(ctx, p, og, id, od, dreq, ig, g, gemm)) gemm(ig, dreq);
  if (!p.Bool("no_bias") && req.size() > 2 && req[2] != kNullOp)
    cuda::SumKeepAxis(t, og[0].dptr, ig[2].dptr, g.N, g.F, hw, req[2], St(ctx));
  CheckLaunch("Convolution backward");
}

// Deconvolution: the convolution whose data gradient it is (GetDeconv, gpu_ops.h) run backwards by the same GEMM
// kernels (not cuDNN): forward = that convolution's data gradient, data gradient = its forward, weight gradient = its
// weight gradient with the roles of data and output gradient exchanged.
void DeconvFwd(FWD_ARGS) {
  if (!IsReal(in[0].dtype)) return Fallback(ctx, p, in, req, out);
  ConvGeom g = GetDeconv(p, in[0].shape, out[0].shape);
  if (!g.ok) return Fallback(ctx, p, in, req, out);
  if (req[0] == kNullOp || g.N == 0) return;
  const int t = in[0].dtype;
  ConvBwdGemm(ctx, g, t, in[0].dptr, nullptr, in[1].dptr, out[0].dptr, req[0], nullptr, kNullOp);
  if (!p.Bool("no_bias")) {  // out (N*C, hw) += tile(bias) (N*C, 1) * ones (1, hw)
    const size_t es = DTypeSize(t);
    const int64_t hw = g.D * g.H * g.W;
    Scratch b(Dev(ctx), static_cast<size_t>(g.N * g.C + hw) * es);
    char *tiled = b.as<char>(), *ones = tiled + g.N * g.C * es;
    cuda::BiasRows(t, in[2].dptr, tiled, g.N, g.C, kWriteTo, St(ctx));
    cuda::Fill(t, ones, hw, 1.0, kWriteTo, St(ctx));
    Gemm(ctx, t, false, false, g.N * g.C, hw, 1, 1.0, tiled, 1, ones, hw, 1.0, out[0].dptr, hw);
  }
  CheckLaunch("Deconvolution");
}
void DeconvBwd(BWD_ARGS) {
  if (!IsReal(id[0].dtype)) return FallbackGrad(ctx, p, og, id, od, req, ig);
  ConvGeom g = GetDeconv(p, id[0].shape, og[0].shape);
  if (!g.ok) return FallbackGrad(ctx, p, og, id, od, req, ig);
  const int t = id[0].dtype;
  if (req[0] != kNullOp && g.N > 0)
    ConvFwdGemm(ctx, g, t, og[0].dptr, id[1].dptr, nullptr, ig[0].dptr, req[0]);
  if (req[1] != kNullOp)
    ConvBwdGemm(ctx, g, t, id[0].dptr, og[0].dptr, nullptr, nullptr, kNullOp, ig[1].dptr, req[1]);
  if (!p.Bool("no_bias") && req.size() > 2 && req[2] != kNullOp)
    cuda::SumKeepAxis(t, og[0].dptr, ig[2].dptr, g.N, g.C, g.D * g.H * g.W, req[2], St(ctx));
  CheckLaunch("Deconvolution backward");
}

// Pooling over NCW / NCHW / NCDHW data as 3-D windows (depth and height 1 where absent); type -1: not covered.
struct PoolGeom {
  int type = -1;
  int64_t NC;
  cuda::Win3 w;
  bool cip;
  bool three() const { return w.D != 1 || w.kd != 1 || w.od != 1; }
};
PoolGeom GetPool(const OpParams &p, const TShape &d, const TShape &o) {
  PoolGeom g;
  const std::string &pt = p.Str("pool_type"), &layout = p.Str("layout");
  if (!(layout == "None" || layout == "NCHW" || layout == "NCW" || layout == "NCDHW") || d.ndim() < 3 ||
      d.ndim() > 5 || o.ndim() != d.ndim())
    return g;
  g.type = pt == "max" ? 0 : pt == "avg" ? 1 : pt == "sum" ? 2 : -1;
  const int nd = d.ndim() - 2, lead = 3 - nd;  // spatial axes; absent leading ones (of depth, height) are 1
  const bool glob = p.Bool("global_pool");
  const auto &k = p.Tuple("kernel"), &st = p.Tuple("stride"), &pd = p.Tuple("pad");
  int64_t in[3], out[3];
  int ks[3], ss[3], ps[3];
  if (!glob && static_cast<int>(k.size()) != nd) g.type = -1;
  for (int i = 0; i < 3; ++i) {
    const int a = i - lead;  // the axis among the spatial ones, < 0 when absent
    in[i] = a < 0 ? 1 : d[2 + a];
    out[i] = a < 0 ? 1 : o[2 + a];
    auto get = [&](const std::vector<int64_t> &t, int def) {
      return a < 0 || t.empty() || static_cast<int>(t.size()) <= a ? def : static_cast<int>(t[a]);
    };
    ks[i] = glob ? static_cast<int>(in[i]) : get(k, 1);
    ss[i] = glob ? 1 : get(st, 1);
    ps[i] = glob ? 0 : get(pd, 0);
  }
  g.NC = d[0] * d[1];
  g.w = cuda::Win3{in[0], in[1], in[2], out[0], out[1], out[2], ks[0], ks[1], ks[2], ss[0], ss[1], ss[2],
                   ps[0], ps[1], ps[2], 1, 1, 1};
  g.cip = p.Bool("count_include_pad");
  return g;
}
void PoolRun(const OpContext &ctx, const PoolGeom &g, int t, int type, const void *x, void *y, OpReq req) {
  const cuda::Win3 &w = g.w;
  if (g.three()) return cuda::Pool3D(t, type, x, y, g.NC, w, g.cip, req, St(ctx));
  cuda::Pool2D(t, type, x, y, g.NC, w.H, w.W, w.oh, w.ow, w.kh, w.kw, w.sh, w.sw, w.ph, w.pw, g.cip, req, St(ctx));
}
void PoolFwd(FWD_ARGS) {
  if (!IsReal(in[0].dtype)) return Fallback(ctx, p, in, req, out);
  PoolGeom g = GetPool(p, in[0].shape, out[0].shape);
  if (g.type < 0) return Fallback(ctx, p, in, req, out);
  PoolRun(ctx, g, in[0].dtype, g.type, in[0].dptr, out[0].dptr, req[0]);
  CheckLaunch("Pooling");
}
void PoolBwd(BWD_ARGS) {
  if (!IsReal(og[0].dtype) || !id[0].dptr) return FallbackGrad(ctx, p, og, id, od, req, ig);
  PoolGeom g = GetPool(p, id[0].shape, og[0].shape);
  if (g.type < 0) return FallbackGrad(ctx, p, og, id, od, req, ig);
  const int t = og[0].dtype;
  const void *y = od.empty() ? nullptr : od[0].dptr;
  std::unique_ptr<Scratch> ys;
  if (g.type == 0 && !y) {  // the forward output, recomputed
    ys.reset(new Scratch(Dev(ctx), static_cast<size_t>(og[0].Size()) * DTypeSize(t) + 8));
    PoolRun(ctx, g, t, 0, id[0].dptr, ys->get(), kWriteTo);
    y = ys->get();
  }
  const cuda::Win3 &w = g.w;
  if (g.three())
    cuda::Pool3DGrad(t, g.type, id[0].dptr, y, og[0].dptr, ig[0].dptr, g.NC, w, g.cip, req[0], St(ctx));
  else
    cuda::Pool2DGrad(t, g.type, id[0].dptr, y, og[0].dptr, ig[0].dptr, g.NC, w.H, w.W, w.oh, w.ow, w.kh, w.kw, w.sh,
                     w.sw, w.ph, w.pw, g.cip, req[0], St(ctx));
  CheckLaunch("Pooling backward");
}

FCompute OptFwd(int kind) {
  return [kind](FWD_ARGS) {
    if (!IsReal(in[0].dtype)) return Fallback(ctx, p, in, req, out);
    auto h = CommonHyper<cuda::OptHyper>(p);
    if (kind == 1 || kind == 2) h.momentum = p.Float("momentum");
    if (kind == 3) {
      h.beta1 = p.Float("beta1");
      h.beta2 = p.Float("beta2");
      h.epsilon = p.Float("epsilon");
    }
    cuda::OptimizerUpdate(kind, in[0].dtype, in[0].dptr, in[1].dptr, in.size() > 2 ? in[2].dptr : nullptr,
                          in.size() > 3 ? in[3].dptr : nullptr, out[0].dptr, in[0].Size(), h, req[0], St(ctx));
    CheckLaunch(p.op()->name.c_str());
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Registration
// ---------------------------------------------------------------------------------------------------------------
void RegisterNative() {
  Set("_zeros", FillOp(0));
  Set("_ones", FillOp(1));
  Set("_full", FillOp(2));
  for (const char *n : {"_copy", "_copyto", "Cast", "Reshape", "Flatten", "expand_dims", "squeeze"})
    Set(n, CopyFwd, CopyBwd);
  Set("zeros_like", FillOp(0), ZeroBwd);
  Set("ones_like", FillOp(1), ZeroBwd);
  Set("BlockGrad", CopyFwd, ZeroBwd);
  Set("reshape_like", CopyFwd, ReshapeLikeBwd);
  const std::pair<const char *, int> unary[] = {
      {"negative", cuda::kNegative}, {"abs", cuda::kAbs}, {"sign", cuda::kSign}, {"exp", cuda::kExp},
      {"log", cuda::kLog}, {"sqrt", cuda::kSqrt}, {"rsqrt", cuda::kRsqrt}, {"square", cuda::kSquare},
      {"sin", cuda::kSin}, {"cos", cuda::kCos}, {"tanh", cuda::kTanh}, {"sigmoid", cuda::kSigmoid},
      {"relu", cuda::kRelu}, {"floor", cuda::kFloor}, {"ceil", cuda::kCeil}, {"round", cuda::kRound},
      {"reciprocal", cuda::kReciprocal}, {"log1p", cuda::kLog1p}, {"expm1", cuda::kExpm1}};
  for (auto &u : unary) Set(u.first, UnaryFwdImpl(u.second), UnaryBwd(u.second));
  Set("Activation", ActFwd, ActBwd);
  const std::pair<const char *, int> binary[] = {
      {"elemwise_add", cuda::kAdd}, {"elemwise_sub", cuda::kSub}, {"elemwise_mul", cuda::kMul},
      {"elemwise_div", cuda::kDiv}, {"_mod", cuda::kMod}, {"_power", cuda::kPow}, {"_maximum", cuda::kMax},
      {"_minimum", cuda::kMin}, {"_equal", cuda::kEq}, {"_not_equal", cuda::kNe}, {"_greater", cuda::kGt},
      {"_greater_equal", cuda::kGe}, {"_lesser", cuda::kLt}, {"_lesser_equal", cuda::kLe}};
  for (auto &b : binary) Set(b.first, BinaryFwd(b.second), BinaryBwd(b.second));
  struct Sc { const char *name; int code; bool rev; };
  const Sc scalar[] = {
      {"_plus_scalar", cuda::kAdd, false}, {"_minus_scalar", cuda::kSub, false}, {"_rminus_scalar", cuda::kSub, true},
      {"_mul_scalar", cuda::kMul, false}, {"_div_scalar", cuda::kDiv, false}, {"_rdiv_scalar", cuda::kDiv, true},
      {"_mod_scalar", cuda::kMod, false}, {"_rmod_scalar", cuda::kMod, true}, {"_power_scalar", cuda::kPow, false},
      {"_rpower_scalar", cuda::kPow, true}, {"_maximum_scalar", cuda::kMax, false},
      {"_minimum_scalar", cuda::kMin, false}, {"_equal_scalar", cuda::kEq, false},
      {"_not_equal_scalar", cuda::kNe, false}, {"_greater_scalar", cuda::kGt, false},
      {"_greater_equal_scalar", cuda::kGe, false}, {"_lesser_scalar", cuda::kLt, false},
      {"_lesser_equal_scalar", cuda::kLe, false}};
  for (auto &s : scalar) Set(s.name, ScalarFwd(s.code, s.rev), ScalarBwd(s.code, s.rev));
  Set("add_n", AddNFwd, AddNBwd);
  Set("_random_uniform", RandomFwd(0, "low", "high"));
  Set("_random_normal", RandomFwd(1, "loc", "scale"));
  Set("FullyConnected", FCFwd, FCBwd);
  Set("softmax", [](FWD_ARGS) { SoftmaxFwd(ctx, p, in, req, out, false); });
  Set("log_softmax", [](FWD_ARGS) { SoftmaxFwd(ctx, p, in, req, out, true); });
  Set("SoftmaxOutput", SoftmaxOutputFwd, SoftmaxOutputBwd);
  Set("Convolution", ConvFwd, ConvBwd);
  Set("Deconvolution", DeconvFwd, DeconvBwd);
  Set("Pooling", PoolFwd, PoolBwd);
  Set("sgd_update", OptFwd(0));
  Set("sgd_mom_update", OptFwd(1));
  Set("nag_mom_update", OptFwd(2));
  Set("adam_update", OptFwd(3));
  RegisterShapeKernels();
  RegisterIndexKernels();
  RegisterNormKernels();
  RegisterOrderingKernels();
  RegisterSeqKernels();
  RegisterRnnKernels();
  RegisterAttentionKernels();
  RegisterOptimizerKernels();
  RegisterMoreKernels();
  RegisterContribKernels();
  RegisterOptimizer2Kernels();
  RegisterSpatialKernels();
  RegisterLinalg2Kernels();
  RegisterDeformKernels();
  RegisterCtcKernels();
  RegisterDetectKernels();
  RegisterOps3Kernels();
  RegisterQuantKernels();
  RegisterMisc4Kernels();
  RegisterImageKernels();
  RegisterImageResizeKernels();
  RegisterQuant2Kernels();
  RegisterQuant3Kernels();
  RegisterSparseKernels();
  RegisterSparse2Kernels();
}

}  // namespace

// The op's host-staged forward/backward (for calls a native kernel does not cover).
FCompute UnaryFwd(int code) { return UnaryFwdImpl(code); }

void Fallback(const OpContext &ctx, const OpParams &p, const Blobs &in, const Reqs &req, const Blobs &out) {
  // float16 data a native kernel does not take (BatchNorm's float16 data with float32 parameters, Embedding, where
  // with a float32 condition): a TypeError before any write makes the registry's float16 wrapper run the call again
  // on float32 copies made on the device (core/float16.cc), natively, instead of on host copies.
  bool half = false, adds_half = false;
  for (const auto &b : in) half = half || b.dtype == kFloat16;
  for (size_t i = 0; i < out.size(); ++i) {
    half = half || out[i].dtype == kFloat16;
    adds_half = adds_half || (out[i].dtype == kFloat16 && i < req.size() && req[i] == kAddTo);
  }
  if (half && !adds_half)
    Throw(ErrorKind::kType, "operator ", p.op()->name, ": its GPU kernel takes float32 in place of float16");
  StagedForward(p.op()->compute.at(MXC_CPU), ctx, p, in, req, out);
}
void ZeroIfWrite(const OpContext &ctx, const TBlob &b, OpReq r) {
  if ((r == kWriteTo || r == kWriteInplace) && b.dptr && b.Size() > 0)
    DeviceZero(ctx.dev, b.dptr, static_cast<size_t>(b.Size()) * DTypeSize(b.dtype));
}

bool RequestedGradsHaveType(const std::vector<TBlob> &ig, const std::vector<OpReq> &req, int t) {
  for (size_t k = 0; k < ig.size(); ++k)
    if (k < req.size() && req[k] != kNullOp && ig[k].dtype != t) return false;
  return true;
}

void FallbackGrad(const OpContext &ctx, const OpParams &p, const Blobs &og, const Blobs &id, const Blobs &od,
                  const Reqs &req, const Blobs &ig) {
  StagedBackward(p.op()->backward.at(MXC_CPU), ctx, p, og, id, od, req, ig);
}

// ---------------------------------------------------------------------------------------------------------------
// GEMM (row-major) through cuBLAS when available
// ---------------------------------------------------------------------------------------------------------------
void Gemm(const OpContext &ctx, int dtype, bool ta, bool tb, int64_t M, int64_t N, int64_t K, double alpha,
          const void *A, int64_t lda, const void *B, int64_t ldb, double beta, void *C, int64_t ldc) {
  if (M == 0 || N == 0) return;
#ifdef MXC_HAVE_CUBLAS
  // Column-major view: C^T (N x M) = op(B)^T op(A)^T.
  // The handle's device must be the thread's current one: an engine worker may last have run work of another GPU,
  // and nothing before this call (FullyConnected's backward starts with it) made this one current. Stream() does.
  Stream(Dev(ctx));
  // cuBLAS takes int sizes: a dimension past 2^31 - 1 is an error here, not a wrapped size there.
  for (int64_t v : {M, N, K, lda, ldb, ldc})
    MXC_CHECK(v <= INT32_MAX, ErrorKind::kValue, "gemm of (", M, " x ", K, ") by (", K, " x ", N,
              "): a dimension or leading dimension over 2^31 - 1 is more than cuBLAS takes");
  // cuBLAS rejects a leading dimension under 1 even for an empty operand (K = 0: C = beta C, nothing read): a
  // row-major leading dimension 0 is that of a matrix with no columns.
  lda = std::max<int64_t>(lda, 1);
  ldb = std::max<int64_t>(ldb, 1);
  std::lock_guard<std::mutex> lk(g_blas_mu);
  cublasHandle_t h = Blas(Dev(ctx));
  cublasOperation_t ob = tb ? CUBLAS_OP_T : CUBLAS_OP_N, oa = ta ? CUBLAS_OP_T : CUBLAS_OP_N;
  cublasStatus_t st;
  if (dtype == kFloat32) {
    float a = static_cast<float>(alpha), b = static_cast<float>(beta);
    st = cublasSgemm(h, ob, oa, int(N), int(M), int(K), &a, static_cast<const float *>(B), int(ldb),
                     static_cast<const float *>(A), int(lda), &b, static_cast<float *>(C), int(ldc));
  } else {
    st = cublasDgemm(h, ob, oa, int(N), int(M), int(K), &alpha, static_cast<const double *>(B), int(ldb),
                     static_cast<const double *>(A), int(lda), &beta, static_cast<double *>(C), int(ldc));
  }
  MXC_CHECK(st == CUBLAS_STATUS_SUCCESS, ErrorKind::kDevice, "cuBLAS gemm failed (status ", static_cast<int>(st), ")");
#else
  cuda::Gemm(dtype, ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc, St(ctx));
  CheckLaunch("gemm");
#endif
}
// Sets the GPU kernels of an existing operator (skipped when the operator is not in this build).
void SetBackward(const char *name, FBackward b) {
  const Op *found = OpRegistry::Get()->Find(name);
  if (!found) return;
  Op &op = *const_cast<Op *>(found);
  if (op.backward.count(MXC_CPU)) op.set_backward(MXC_GPU, std::move(b));
}

void Set(const char *name, FCompute f, FBackward b) {
  const Op *found = OpRegistry::Get()->Find(name);
  if (!found) return;
  Op &op = *const_cast<Op *>(found);
  if (op.compute.count(MXC_CPU)) op.set_compute(MXC_GPU, std::move(f));
  if (b && op.backward.count(MXC_CPU)) op.set_backward(MXC_GPU, std::move(b));
}

void RegisterKernels() {
  static std::once_flag once;
  std::call_once(once, [] {
    RegisterNative();
    // Everything else: host-staged.
    for (const Op *cop : OpRegistry::Get()->List()) {
      Op &op = *const_cast<Op *>(cop);
      bool staged = false;
      if (op.compute.count(MXC_CPU) && !op.compute.count(MXC_GPU)) {
        op.set_compute(MXC_GPU, Fallback);
        staged = true;
      }
      if (op.backward.count(MXC_CPU) && !op.backward.count(MXC_GPU)) {
        op.set_backward(MXC_GPU, FallbackGrad);
        if (!staged) StagedSet().insert(op.name + " (backward)");
      }
      if (staged) StagedSet().insert(op.name);
    }
  });
}

int64_t HostStagedCalls() { return g_staged_calls.load(); }

std::vector<std::string> HostStagedOps() {
  RegisterKernels();
  return std::vector<std::string>(StagedSet().begin(), StagedSet().end());
}

}  // namespace gpu
}  // namespace mxc
