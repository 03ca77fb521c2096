// Convolution through cuDNN, when the build has it (MXC_USE_CUDNN; cuda/cuda.cmake finds it), chosen per
// convolution geometry against mxc's own im2col + GEMM kernels (cuda/gpu_ops.cc) by measuring both.
//
// On the first call of a geometry (device, dtype, shapes, stride, padding, dilation, groups, which gradients), in
// the default mode, cuDNN's Find functions time each of its algorithms that fit the workspace limit, writing into
// scratch outputs; mxc's GEMM path is then timed on the same stream with CUDA events, also into scratch outputs. The
// faster of the two is kept for that geometry (MXC_CUDA_CONV_VERBOSE=1 prints each choice, ConvChoices() lists them).
// This is what MXNet's cudnn_tune does, with mxc's own kernels as one more candidate.
//
// The operator's parameters keep their MXNet meaning:
//   cudnn_off=True          mxc's GEMM kernels;
//   cudnn_tune='off'        cuDNN with its heuristically first algorithm that fits the workspace, nothing timed;
//   cudnn_tune='fastest'    time, with no workspace limit (up to 8 GiB);
//   otherwise               time, with the workspace parameter (MiB, default 1024) as the limit.
// MXC_CUDA_CONV=gemm | cudnn | auto (the default) forces mxc's kernels or cuDNN everywhere (tests run both).
// float32 convolutions use FMA math (no TF32), as the CPU does; MXC_CUDA_ALLOW_TF32=1 allows TF32 tensor cores.
//
// A cuDNN that fails to start (no usable GPU for it, a library missing at run time) is reported once and the GEMM
// kernels are used. cuDNN's legacy convolution API (cudnnConvolutionForward, ...) is used: deprecated in cuDNN 9
// in favour of the graph API, but present and supported there.
#include <atomic>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "device.h"
#include "gpu_device.h"
#include "gpu_ops.h"

#ifdef MXC_USE_CUDNN
#include <cudnn.h>
#endif

namespace mxc {
namespace gpu {

namespace {

std::mutex g_choices_mu;
std::vector<std::string> &ChoiceLog() {
  static auto *v = new std::vector<std::string>();
  return *v;
}
std::atomic<int64_t> g_cudnn_calls{0}, g_gemm_calls{0}, g_tuned{0};

enum class Mode { kAuto, kGemm, kCudnn };
Mode EnvMode() {
  const char *e = std::getenv("MXC_CUDA_CONV");
  if (!e || !*e || !std::strcmp(e, "auto")) return Mode::kAuto;
  if (!std::strcmp(e, "gemm")) return Mode::kGemm;
  if (!std::strcmp(e, "cudnn")) return Mode::kCudnn;
  Throw(ErrorKind::kValue, "MXC_CUDA_CONV must be auto, gemm or cudnn, not '", e, "'");
  return Mode::kAuto;
}
bool AllowTf32() {
  const char *e = std::getenv("MXC_CUDA_ALLOW_TF32");
  return e && *e && std::strcmp(e, "0") != 0;
}
bool Verbose() {
  const char *e = std::getenv("MXC_CUDA_CONV_VERBOSE");
  return e && *e && std::strcmp(e, "0") != 0;
}
void Count(bool cudnn) { (cudnn ? g_cudnn_calls : g_gemm_calls)++; }

#ifdef MXC_USE_CUDNN

void CheckDnn(cudnnStatus_t st, const char *what, const ConvGeom &g) {
  if (st == CUDNN_STATUS_SUCCESS) return;
  Throw(ErrorKind::kDevice, "Convolution: cuDNN ", what, " failed: ", cudnnGetErrorString(st), " (data (", g.N, ",",
        g.C, ",", g.H, ",", g.W, "), ", g.F, " filters ", g.kh, "x", g.kw, ", groups ", g.G, ")");
}

// One cuDNN handle per device, on the device's stream; calls on it hold the device's lock. nullptr when cuDNN could
// not be started on that device (reported once; the GEMM kernels run instead).
struct DnnDevice {
  std::mutex mu;
  bool tried = false;
  cudnnHandle_t handle = nullptr;
};
DnnDevice &Dnn(int dev) {
  static auto *d = new DnnDevice[64];
  return d[dev];
}
cudnnHandle_t Handle(int dev, DnnDevice &d) {  // d.mu held
  if (!d.tried) {
    d.tried = true;
    cudaStream_t s = Stream(dev);
    cudnnStatus_t st = cudnnCreate(&d.handle);
    if (st == CUDNN_STATUS_SUCCESS) st = cudnnSetStream(d.handle, s);
    if (st != CUDNN_STATUS_SUCCESS) {
      std::fprintf(stderr, "mxc: cuDNN could not start on gpu(%d) (%s); convolutions use mxc's GEMM kernels\n", dev,
                   cudnnGetErrorString(st));
      if (d.handle) cudnnDestroy(d.handle);
      d.handle = nullptr;
    }
  }
  return d.handle;
}

// The descriptors of one call: 4-D NCHW tensors (1-D convolutions have H = 1). ok is false (and error says why) when
// cuDNN does not take this geometry; the GEMM kernels run it then.
struct Descs {
  cudnnTensorDescriptor_t x = nullptr, y = nullptr, b = nullptr;
  cudnnFilterDescriptor_t w = nullptr;
  cudnnConvolutionDescriptor_t c = nullptr;
  cudnnDataType_t dt;
  bool ok = true;
  std::string error;
  Descs(const ConvGeom &g, int dtype) {
    dt = dtype == kFloat64 ? CUDNN_DATA_DOUBLE : CUDNN_DATA_FLOAT;
    Set(cudnnCreateTensorDescriptor(&x), "cudnnCreateTensorDescriptor");
    Set(cudnnCreateTensorDescriptor(&y), "cudnnCreateTensorDescriptor");
    Set(cudnnCreateTensorDescriptor(&b), "cudnnCreateTensorDescriptor");
    Set(cudnnCreateFilterDescriptor(&w), "cudnnCreateFilterDescriptor");
    Set(cudnnCreateConvolutionDescriptor(&c), "cudnnCreateConvolutionDescriptor");
    if (!ok) return;
    Tensor(x, {g.N, g.C, g.H, g.W});
    Tensor(y, {g.N, g.F, g.oh, g.ow});
    Tensor(b, {1, g.F, 1, 1});
    const int wd[4] = {int(g.F), int(g.C / g.G), g.kh, g.kw};
    Set(cudnnSetFilterNdDescriptor(w, dt, CUDNN_TENSOR_NCHW, 4, wd), "cudnnSetFilterNdDescriptor");
    const int pad[2] = {g.ph, g.pw}, stride[2] = {g.sh, g.sw}, dil[2] = {g.dh, g.dw};
    Set(cudnnSetConvolutionNdDescriptor(c, 2, pad, stride, dil, CUDNN_CROSS_CORRELATION, dt),
        "cudnnSetConvolutionNdDescriptor");
    Set(cudnnSetConvolutionGroupCount(c, int(g.G)), "cudnnSetConvolutionGroupCount");
    Set(cudnnSetConvolutionMathType(c, AllowTf32() ? CUDNN_DEFAULT_MATH : CUDNN_FMA_MATH),
        "cudnnSetConvolutionMathType");
  }
  void Set(cudnnStatus_t st, const char *what) {
    if (st == CUDNN_STATUS_SUCCESS || !ok) return;
    ok = false;
    error = std::string(what) + ": " + cudnnGetErrorString(st);
  }
  void Tensor(cudnnTensorDescriptor_t t, std::vector<int64_t> d) {
    int dims[4], strides[4];
    for (int i = 0; i < 4; ++i) {
      if (d[i] > INT32_MAX) return Set(CUDNN_STATUS_NOT_SUPPORTED, "a dimension over 2^31");
      dims[i] = static_cast<int>(d[i]);
    }
    // The strides are ints too: a tensor of 2^31 elements or more is not cuDNN's (an int product would wrap).
    int64_t st = 1;
    strides[3] = 1;
    for (int i = 2; i >= 0; --i) {
      st *= d[i + 1];
      if (st > INT32_MAX) return Set(CUDNN_STATUS_NOT_SUPPORTED, "a tensor of 2^31 elements or more");
      strides[i] = static_cast<int>(st);
    }
    if (st * d[0] > INT32_MAX) return Set(CUDNN_STATUS_NOT_SUPPORTED, "a tensor of 2^31 elements or more");
    Set(cudnnSetTensorNdDescriptor(t, dt, 4, dims, strides), "cudnnSetTensorNdDescriptor");
  }
  ~Descs() {
    if (x) cudnnDestroyTensorDescriptor(x);
    if (y) cudnnDestroyTensorDescriptor(y);
    if (b) cudnnDestroyTensorDescriptor(b);
    if (w) cudnnDestroyFilterDescriptor(w);
    if (c) cudnnDestroyConvolutionDescriptor(c);
  }
  Descs(const Descs &) = delete;
  Descs &operator=(const Descs &) = delete;
};

// alpha/beta as cuDNN reads them: float for float data, double for double data.
struct Scalar {
  float f;
  double d;
  explicit Scalar(double v) : f(static_cast<float>(v)), d(v) {}
  const void *of(cudnnDataType_t dt) const { return dt == CUDNN_DATA_DOUBLE ? static_cast<const void *>(&d) : &f; }
};

// What runs a geometry: cuDNN's algorithms (forward: algo[0]; backward: data algo[0], filter algo[1]), their
// workspaces and the geometry's descriptors (made once, kept with the choice), or the GEMM kernels.
struct Choice {
  bool cudnn = false;
  int algo[2] = {0, 0};
  size_t ws[2] = {0, 0};
  std::shared_ptr<const Descs> ds;
};
std::map<std::string, Choice> &Choices() {
  static auto *m = new std::map<std::string, Choice>();
  return *m;
}

std::string Key(const char *pass, const OpContext &ctx, int dtype, const ConvGeom &g, const Reqs &req,
                const std::string &tune, size_t limit, Mode mode) {
  char buf[320];
  std::snprintf(buf, sizeof(buf),
                "%s gpu(%d) %s data (%lld,%lld,%lld,%lld) filters %lld %dx%d stride %dx%d pad %dx%d dilate %dx%d "
                "groups %lld%s%s tune %s workspace %zu MiB%s%s",
                pass, ctx.dev.id, dtype == kFloat64 ? "float64" : "float32", (long long)g.N, (long long)g.C,
                (long long)g.H, (long long)g.W, (long long)g.F, g.kh, g.kw, g.sh, g.sw, g.ph, g.pw, g.dh, g.dw,
                (long long)g.G, req.size() > 1 && req[0] == kNullOp ? " (no data gradient)" : "",
                req.size() > 1 && req[1] == kNullOp ? " (no weight gradient)" : "", tune.c_str(), limit >> 20,
                mode == Mode::kCudnn ? " (MXC_CUDA_CONV=cudnn)" : "", AllowTf32() ? " TF32" : "");
  return buf;
}

// The workspace limit of a call, in bytes.
size_t WorkspaceLimit(const OpParams &p) {
  if (p.Str("cudnn_tune") == "fastest") return size_t(8) << 30;
  return static_cast<size_t>(std::max<int64_t>(0, p.Int("workspace"))) << 20;
}

// Milliseconds of one run of `run` on the device's stream (after one untimed run, which takes first-call costs).
float TimeOnStream(cudaStream_t s, const std::function<void()> &run) {
  run();
  cudaEvent_t a, b;
  Check(cudaEventCreate(&a), "cudaEventCreate");
  Check(cudaEventCreate(&b), "cudaEventCreate");
  Check(cudaEventRecord(a, s), "cudaEventRecord");
  run();
  Check(cudaEventRecord(b, s), "cudaEventRecord");
  Check(cudaEventSynchronize(b), "cudaEventSynchronize");
  float ms = 0;
  Check(cudaEventElapsedTime(&ms, a, b), "cudaEventElapsedTime");
  cudaEventDestroy(a);
  cudaEventDestroy(b);
  return ms;
}

// A device buffer shaped like `like` (scratch output of a timing run).
struct ScratchBlob {
  Scratch mem;
  TBlob blob;
  ScratchBlob(int dev, const TBlob &like)
      : mem(dev, static_cast<size_t>(like.Size()) * DTypeSize(like.dtype) + 16), blob(like) {
    blob.dptr = mem.get();
  }
};

// The largest workspace any algorithm (0..count) needs within `limit`, through size_of(algo, &bytes).
template <typename F>
size_t MaxWorkspace(int count, size_t limit, F size_of) {
  size_t m = 0;
  for (int a = 0; a < count; ++a) {
    size_t b = 0;
    if (size_of(a, &b) == CUDNN_STATUS_SUCCESS && b <= limit) m = std::max(m, b);
  }
  return m;
}

// The first (fastest, or heuristically first) successful algorithm of perf[0..n) within `limit`; -1 when none.
template <typename Perf>
int Pick(const Perf *perf, int n, size_t limit, size_t *ws, float *ms) {
  for (int i = 0; i < n; ++i)
    if (perf[i].status == CUDNN_STATUS_SUCCESS && perf[i].memory <= limit) {
      *ws = perf[i].memory;
      *ms = perf[i].time;
      return static_cast<int>(perf[i].algo);
    }
  return -1;
}

// One direction's algorithm (forward, backward data or backward filter; cuDNN has one set of functions for each):
// by cuDNN's heuristics when not timed, else by its Find, which runs every algorithm whose workspace fits `limit`,
// writing into a scratch output shaped like `out`. Returns -1 when none can run; sets its workspace and time.
template <typename Perf, typename Count, typename Heuristic, typename Size, typename Find>
int PickAlgo(const char *dir, const ConvGeom &g, int dev, bool timed, size_t limit, const TBlob &out, Count count,
             Heuristic heuristic, Size size, Find find, size_t *ws, float *ms) {
  const std::string fn = std::string("cudnn*Convolution") + dir;
  int max_count = 0, n = 0;
  CheckDnn(count(&max_count), (fn + "AlgorithmMaxCount").c_str(), g);
  std::vector<Perf> perf(std::max(1, max_count));
  if (!timed) {
    CheckDnn(heuristic(max_count, &n, perf.data()), (fn + "Algorithm_v7").c_str(), g);
  } else {
    const size_t wsb = MaxWorkspace(max_count, limit, size);
    Scratch wsbuf(dev, wsb + 16);
    ScratchBlob o(dev, out);
    CheckDnn(find(o.blob.dptr, max_count, &n, perf.data(), wsbuf.get(), wsb), (fn + "AlgorithmEx").c_str(), g);
  }
  return Pick(perf.data(), n, limit, ws, ms);
}

std::string Ms(float ms) {
  char b[32];
  std::snprintf(b, sizeof(b), "%.3f ms", ms);
  return b;
}
// Logs a geometry's choice. t_dnn: cuDNN's time (< 0: not timed, or no algorithm ran); t_gemm: the GEMM kernels'
// time (< 0: not timed).
void Record(const std::string &key, bool backward, const Choice &c, float t_dnn, float t_gemm,
            const std::string &failure = "") {
  std::string line = key + ": ";
  if (!failure.empty()) {
    line += "gemm (cuDNN cannot run it: " + failure + ")";
  } else if (c.cudnn) {
    line += std::string("cudnn, ") +
            (backward ? "data/filter algorithms " + std::to_string(c.algo[0]) + "/" + std::to_string(c.algo[1])
                      : "algorithm " + std::to_string(c.algo[0])) +
            " (" +
            (t_dnn < 0 ? "heuristic, not timed" : Ms(t_dnn)) + (t_gemm < 0 ? "" : "; gemm " + Ms(t_gemm)) + ")";
  } else {
    line += "gemm (" + (t_gemm < 0 ? std::string("not timed") : Ms(t_gemm)) +
            (t_dnn < 0 ? "; no cuDNN algorithm ran" : "; cudnn " + Ms(t_dnn)) + ")";
  }
  if (Verbose()) std::fprintf(stderr, "mxc: Convolution %s\n", line.c_str());
  std::lock_guard<std::mutex> lk(g_choices_mu);
  ChoiceLog().push_back(line);
  g_tuned++;
}

// The Choice of a call: cached, else measured (or picked by heuristics) with the geometry's new descriptors. A
// geometry cuDNN fails to set up or to measure (descriptors, algorithm queries) runs on the GEMM kernels. d.mu held.
template <typename Measure>
Choice Choose(const std::string &key, bool backward, const ConvGeom &g, int dtype, Measure measure) {
  {
    std::lock_guard<std::mutex> lk(g_choices_mu);
    auto it = Choices().find(key);
    if (it != Choices().end()) return it->second;
  }
  auto ds = std::make_shared<const Descs>(g, dtype);
  Choice c;
  if (!ds->ok) {
    Record(key, backward, c, -1, -1, ds->error);
  } else {
    try {
      c = measure(*ds);
    } catch (const Error &e) {
      c = Choice();
      Record(key, backward, c, -1, -1, e.what());
    }
  }
  if (c.cudnn) c.ds = ds;
  std::lock_guard<std::mutex> lk(g_choices_mu);
  Choices()[key] = c;
  return c;
}

bool Forward(const OpContext &ctx, const OpParams &p, const Blobs &in, const Reqs &req, const Blobs &out,
             const ConvGeom &g, const ConvGemmRunner &gemm, Mode mode) {
  const int dev = Dev(ctx);
  Stream(dev);  // makes dev the thread's current device, as the handle's calls need
  DnnDevice &d = Dnn(dev);
  std::lock_guard<std::mutex> lk(d.mu);
  cudnnHandle_t h = Handle(dev, d);
  if (!h) return false;
  const std::string tune = p.Str("cudnn_tune");
  const size_t limit = WorkspaceLimit(p);
  const std::string key = Key("forward", ctx, in[0].dtype, g, {}, tune, limit, mode);
  const Choice c = Choose(key, false, g, in[0].dtype, [&](const Descs &ds) {
    Choice r;
    float t_dnn = -1, t_gemm = -1;
    const bool timed = tune != "off";
    using Perf = cudnnConvolutionFwdAlgoPerf_t;
    r.algo[0] = PickAlgo<Perf>(
        "Forward", g, dev, timed, limit, out[0],
        [&](int *count) { return cudnnGetConvolutionForwardAlgorithmMaxCount(h, count); },
        [&](int count, int *n, Perf *perf) {
          return cudnnGetConvolutionForwardAlgorithm_v7(h, ds.x, ds.w, ds.c, ds.y, count, n, perf);
        },
        [&](int a, size_t *b) {
          return cudnnGetConvolutionForwardWorkspaceSize(h, ds.x, ds.w, ds.c, ds.y, cudnnConvolutionFwdAlgo_t(a), b);
        },
        [&](void *y, int count, int *n, Perf *perf, void *ws, size_t wsb) {
          return cudnnFindConvolutionForwardAlgorithmEx(h, ds.x, in[0].dptr, ds.w, in[1].dptr, ds.c, ds.y, y, count,
                                                        n, perf, ws, wsb);
        },
        &r.ws[0], &t_dnn);
    r.cudnn = r.algo[0] >= 0;
    if (!r.cudnn) t_dnn = -1;
    if (r.cudnn && timed && mode == Mode::kAuto) {
      ScratchBlob y(dev, out[0]);
      t_gemm = TimeOnStream(Stream(dev), [&] { gemm({y.blob}, {kWriteTo}); });
      r.cudnn = t_dnn <= t_gemm;
    }
    Record(key, false, r, t_dnn, t_gemm);
    return r;
  });
  if (!c.cudnn) return false;
  const Descs &ds = *c.ds;
  Scratch ws(dev, c.ws[0] + 16);
  Scalar one(1.0), beta(Beta(req[0]));
  CheckDnn(cudnnConvolutionForward(h, one.of(ds.dt), ds.x, in[0].dptr, ds.w, in[1].dptr, ds.c,
                                   cudnnConvolutionFwdAlgo_t(c.algo[0]), ws.get(), c.ws[0], beta.of(ds.dt), ds.y,
                                   out[0].dptr),
           "cudnnConvolutionForward", g);
  if (!p.Bool("no_bias"))
    CheckDnn(cudnnAddTensor(h, one.of(ds.dt), ds.b, in[2].dptr, one.of(ds.dt), ds.y, out[0].dptr), "cudnnAddTensor",
             g);
  return true;
}

bool Backward(const OpContext &ctx, const OpParams &p, const Blobs &og, const Blobs &id, const Reqs &req,
              const Blobs &ig, const ConvGeom &g, const ConvGemmRunner &gemm, Mode mode) {
  const bool dx = req[0] != kNullOp, dw = req[1] != kNullOp;
  if (!dx && !dw) return true;
  const int dev = Dev(ctx);
  Stream(dev);  // makes dev the thread's current device, as the handle's calls need
  DnnDevice &d = Dnn(dev);
  std::lock_guard<std::mutex> lk(d.mu);
  cudnnHandle_t h = Handle(dev, d);
  if (!h) return false;
  const std::string tune = p.Str("cudnn_tune");
  const size_t limit = WorkspaceLimit(p);
  const std::string key = Key("backward", ctx, id[0].dtype, g, req, tune, limit, mode);
  const Choice c = Choose(key, true, g, id[0].dtype, [&](const Descs &ds) {
    Choice r;
    const bool timed = tune != "off";
    float t_data = 0, t_filter = 0, t_gemm = -1;
    bool ok = true;
    if (dx) {
      using Perf = cudnnConvolutionBwdDataAlgoPerf_t;
      r.algo[0] = PickAlgo<Perf>(
          "BackwardData", g, dev, timed, limit, ig[0],
          [&](int *count) { return cudnnGetConvolutionBackwardDataAlgorithmMaxCount(h, count); },
          [&](int count, int *n, Perf *perf) {
            return cudnnGetConvolutionBackwardDataAlgorithm_v7(h, ds.w, ds.y, ds.c, ds.x, count, n, perf);
          },
          [&](int a, size_t *b) {
            return cudnnGetConvolutionBackwardDataWorkspaceSize(h, ds.w, ds.y, ds.c, ds.x,
                                                                cudnnConvolutionBwdDataAlgo_t(a), b);
          },
          [&](void *dx_out, int count, int *n, Perf *perf, void *ws, size_t wsb) {
            return cudnnFindConvolutionBackwardDataAlgorithmEx(h, ds.w, id[1].dptr, ds.y, og[0].dptr, ds.c, ds.x,
                                                               dx_out, count, n, perf, ws, wsb);
          },
          &r.ws[0], &t_data);
      ok = r.algo[0] >= 0;
    }
    if (dw && ok) {
      using Perf = cudnnConvolutionBwdFilterAlgoPerf_t;
      r.algo[1] = PickAlgo<Perf>(
          "BackwardFilter", g, dev, timed, limit, ig[1],
          [&](int *count) { return cudnnGetConvolutionBackwardFilterAlgorithmMaxCount(h, count); },
          [&](int count, int *n, Perf *perf) {
            return cudnnGetConvolutionBackwardFilterAlgorithm_v7(h, ds.x, ds.y, ds.c, ds.w, count, n, perf);
          },
          [&](int a, size_t *b) {
            return cudnnGetConvolutionBackwardFilterWorkspaceSize(h, ds.x, ds.y, ds.c, ds.w,
                                                                  cudnnConvolutionBwdFilterAlgo_t(a), b);
          },
          [&](void *dw_out, int count, int *n, Perf *perf, void *ws, size_t wsb) {
            return cudnnFindConvolutionBackwardFilterAlgorithmEx(h, ds.x, id[0].dptr, ds.y, og[0].dptr, ds.c, ds.w,
                                                                 dw_out, count, n, perf, ws, wsb);
          },
          &r.ws[1], &t_filter);
      ok = r.algo[1] >= 0;
    }
    r.cudnn = ok;
    if (ok && timed && mode == Mode::kAuto) {
      ScratchBlob gx(dev, ig[0]), gw(dev, ig[1]);
      const Reqs write = {dx ? kWriteTo : kNullOp, dw ? kWriteTo : kNullOp};
      t_gemm = TimeOnStream(Stream(dev), [&] { gemm({gx.blob, gw.blob}, write); });
      r.cudnn = t_data + t_filter <= t_gemm;
    }
    Record(key, true, r, ok && timed ? t_data + t_filter : -1, t_gemm);
    return r;
  });
  if (!c.cudnn) return false;
  const Descs &ds = *c.ds;
  Scalar one(1.0);
  if (dx) {
    Scratch ws(dev, c.ws[0] + 16);
    Scalar beta(Beta(req[0]));
    CheckDnn(cudnnConvolutionBackwardData(h, one.of(ds.dt), ds.w, id[1].dptr, ds.y, og[0].dptr, ds.c,
                                          cudnnConvolutionBwdDataAlgo_t(c.algo[0]), ws.get(), c.ws[0],
                                          beta.of(ds.dt), ds.x, ig[0].dptr),
             "cudnnConvolutionBackwardData", g);
  }
  if (dw) {
    Scratch ws(dev, c.ws[1] + 16);
    Scalar beta(Beta(req[1]));
    CheckDnn(cudnnConvolutionBackwardFilter(h, one.of(ds.dt), ds.x, id[0].dptr, ds.y, og[0].dptr, ds.c,
                                            cudnnConvolutionBwdFilterAlgo_t(c.algo[1]), ws.get(), c.ws[1],
                                            beta.of(ds.dt), ds.w, ig[1].dptr),
             "cudnnConvolutionBackwardFilter", g);
  }
  return true;
}

#endif  // MXC_USE_CUDNN

// Whether this call may use cuDNN at all.
Mode CallMode(const OpParams &p) {
  Mode m = EnvMode();
  if (m == Mode::kAuto && p.Bool("cudnn_off")) return Mode::kGemm;
  return m;
}

}  // namespace

// 3-D geometries (g.three) always take mxc's own kernels.
bool CudnnConvForward(FWD_ARGS, const ConvGeom &g, const ConvGemmRunner &gemm) {
  bool used = false;
#ifdef MXC_USE_CUDNN
  const Mode m = CallMode(p);
  if (m != Mode::kGemm && g.N > 0 && !g.three) used = Forward(ctx, p, in, req, out, g, gemm, m);
#else
  (void)ctx, (void)p, (void)in, (void)req, (void)out, (void)g, (void)gemm;
#endif
  Count(used);
  return used;
}

bool CudnnConvBackward(BWD_ARGS, const ConvGeom &g, const ConvGemmRunner &gemm) {
  bool used = false;
#ifdef MXC_USE_CUDNN
  (void)od;
  const Mode m = CallMode(p);
  if (m != Mode::kGemm && g.N > 0 && !g.three) used = Backward(ctx, p, og, id, req, ig, g, gemm, m);
#else
  (void)ctx, (void)p, (void)og, (void)id, (void)od, (void)req, (void)ig, (void)g, (void)gemm;
#endif
  Count(used);
  return used;
}

ConvAlgoCounts ConvAlgoStats() {
  ConvAlgoCounts c;
  c.cudnn = g_cudnn_calls.load();
  c.gemm = g_gemm_calls.load();
  c.tuned = g_tuned.load();
  return c;
}

std::vector<std::string> ConvChoices() {
  std::lock_guard<std::mutex> lk(g_choices_mu);
  return ChoiceLog();
}

}  // namespace gpu
}  // namespace mxc
