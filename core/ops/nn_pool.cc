// Pooling (max, avg, sum) over 1-D (NCW), 2-D (NCHW) and 3-D (NCDHW) data, with MXNet's window rules: windows start at
// o*stride - pad and end at min(start + kernel, in + pad); avg divides by that (padded) window size, or by the part
// inside the data when count_include_pad is false; pooling_convention 'full' rounds the output size up.
#include <limits>

#include "nn_util.h"

namespace mxc {
namespace op {
namespace {

enum PoolType { kAvg = 0, kLp, kMax, kSum };  // order of the enum options below
enum PoolConvention { kFull = 0, kSame, kValid };

// 1-D and 2-D pooling are 3-D pooling with D = kd = 1 (and H = kh = 1 for 1-D).
struct PoolGeom {
  int nd = 2;
  int64_t N = 0, C = 0, D = 1, H = 1, W = 0;
  int64_t kd = 1, kh = 1, kw = 1, sd = 1, sh = 1, sw = 1, pd = 0, ph = 0, pw = 0;
  int64_t Do = 1, Ho = 1, Wo = 0;
  int type = kMax;
  bool count_include_pad = true;
};

int64_t PoolOutDim(const OpParams &p, int64_t in, int64_t k, int64_t s, int64_t pad, bool full, const TShape &data) {
  MXC_CHECK(in + 2 * pad >= k, ErrorKind::kShape, "operator ", p.op()->name, ": kernel ",
            ShapeStr(TShape(p.Tuple("kernel"))), " is larger than the padded input ", in + 2 * pad, " of data ",
            ShapeStr(data));
  return full ? 1 + (in + 2 * pad - k + s - 1) / s : 1 + (in + 2 * pad - k) / s;
}

PoolGeom PoolGeometry(const OpParams &p, const TShape &data) {
  const Op *op = p.op();
  PoolGeom g;
  g.type = static_cast<int>(p.Get("pool_type").i);
  MXC_CHECK(g.type != kLp, ErrorKind::kValue, "operator ", op->name,
            ": pool_type 'lp' is not supported (max, avg, sum)");
  MXC_CHECK(p.Get("pooling_convention").i != kSame, ErrorKind::kValue, "operator ", op->name,
            ": pooling_convention 'same' is not supported (valid, full)");
  const std::string &layout = p.Str("layout");
  MXC_CHECK(layout == "None" || layout == "NCDHW" || layout == "NCHW" || layout == "NCW", ErrorKind::kValue,
            "operator ", op->name, ": layout ", layout, " is not supported (NCW, NCHW, NCDHW)");
  g.count_include_pad = p.Bool("count_include_pad");
  const bool global = p.Bool("global_pool");
  const auto &k = p.Tuple("kernel");
  g.nd = data.ndim() - 2;
  MXC_CHECK(g.nd >= 1 && g.nd <= 3, ErrorKind::kShape, "operator ", op->name,
            ": data must be 3-D (batch, channel, width), 4-D (batch, channel, height, width) or 5-D (batch, channel, "
            "depth, height, width), got ",
            ShapeStr(data));
  if (!global) {
    MXC_CHECK(static_cast<int>(k.size()) == g.nd, ErrorKind::kValue, "operator ", op->name, ": kernel ",
              ShapeStr(TShape(k)), " must have ", g.nd, " dimension(s) for data ", ShapeStr(data));
    for (auto v : k)
      MXC_CHECK(v > 0, ErrorKind::kValue, "operator ", op->name, ": kernel must be positive, got ",
                ShapeStr(TShape(k)));
  }
  g.N = data[0];
  g.C = data[1];
  if (g.nd == 3) g.D = data[2];
  if (g.nd >= 2) g.H = data[g.nd];
  g.W = data[g.nd + 1];
  if (global) {
    g.kd = g.D, g.kh = g.H, g.kw = g.W;
    g.Do = 1, g.Ho = 1, g.Wo = 1;
    return g;
  }
  auto s = SpatialParam(p, "stride", g.nd, 1);
  auto pad = SpatialParam(p, "pad", g.nd, 0);
  for (int i = 0; i < g.nd; ++i) {
    MXC_CHECK(s[i] > 0, ErrorKind::kValue, "operator ", op->name, ": stride must be positive, got ",
              ShapeStr(TShape(s)));
    MXC_CHECK(pad[i] >= 0, ErrorKind::kValue, "operator ", op->name, ": pad must be non-negative, got ",
              ShapeStr(TShape(pad)));
  }
  const bool full = p.Get("pooling_convention").i == kFull;
  // Spatial dimension i of the parameters is dimension i + 3 - nd of (depth, height, width).
  int64_t *kk[3] = {&g.kd, &g.kh, &g.kw}, *ss[3] = {&g.sd, &g.sh, &g.sw}, *pp[3] = {&g.pd, &g.ph, &g.pw},
          *in[3] = {&g.D, &g.H, &g.W}, *os[3] = {&g.Do, &g.Ho, &g.Wo};
  for (int i = 0; i < g.nd; ++i) {
    const int j = i + 3 - g.nd;
    *kk[j] = k[i], *ss[j] = s[i], *pp[j] = pad[i];
    *os[j] = *in[j] > 0 ? PoolOutDim(p, *in[j], k[i], s[i], pad[i], full, data) : 0;
  }
  return g;
}

void PoolInferShape(const OpParams &p, std::vector<TShape> *in, std::vector<TShape> *out) {
  const TShape &d = (*in)[0];
  if (d.empty()) return;
  PoolGeom g = PoolGeometry(p, d);
  TShape o{g.N, g.C};
  if (g.nd == 3) o.push_back(g.D > 0 ? g.Do : 0);
  if (g.nd >= 2) o.push_back(g.H > 0 ? g.Ho : 0);
  o.push_back(g.W > 0 ? g.Wo : 0);
  ShapeAssign(&(*out)[0], o, p.op(), "output");
}

// One output window: [d0, d1) x [h0, h1) x [w0, w1) inside the data, and the avg divisor.
struct Window {
  int64_t d0, d1, h0, h1, w0, w1, size;
};
inline Window GetWindow(const PoolGeom &g, int64_t od, int64_t oh, int64_t ow) {
  Window w;
  const int64_t ds = od * g.sd - g.pd, hs = oh * g.sh - g.ph, ws = ow * g.sw - g.pw;
  const int64_t de = std::min(ds + g.kd, g.D + g.pd), he = std::min(hs + g.kh, g.H + g.ph),
                we = std::min(ws + g.kw, g.W + g.pw);
  w.size = (de - ds) * (he - hs) * (we - ws);
  w.d0 = std::max<int64_t>(ds, 0), w.h0 = std::max<int64_t>(hs, 0), w.w0 = std::max<int64_t>(ws, 0);
  w.d1 = std::min(de, g.D), w.h1 = std::min(he, g.H), w.w1 = std::min(we, g.W);
  if (!g.count_include_pad) w.size = (w.d1 - w.d0) * (w.h1 - w.h0) * (w.w1 - w.w0);
  return w;
}

// f(index into the plane) for every element of the window, in order.
template <typename F>
inline void ForWindow(const PoolGeom &g, const Window &w, F f) {
  for (int64_t d = w.d0; d < w.d1; ++d)
    for (int64_t h = w.h0; h < w.h1; ++h)
      for (int64_t c = w.w0; c < w.w1; ++c) f((d * g.H + h) * g.W + c);
}

template <typename T>
void PoolForwardT(const PoolGeom &g, const T *x, OpReq req, T *y) {
  const int64_t HW = g.D * g.H * g.W, P = g.Do * g.Ho * g.Wo;
  ParallelForWork(g.N * g.C, P * g.kd * g.kh * g.kw, [&](int64_t plane) {
    const T *xp = x + plane * HW;
    T *yp = y + plane * P;
    for (int64_t od = 0; od < g.Do; ++od)
      for (int64_t oh = 0; oh < g.Ho; ++oh)
        for (int64_t ow = 0; ow < g.Wo; ++ow) {
          const Window w = GetWindow(g, od, oh, ow);
          T v;
          if (g.type == kMax) {
            v = std::numeric_limits<T>::lowest();
            ForWindow(g, w, [&](int64_t q) { v = std::max(v, xp[q]); });
          } else {
            T s = 0;
            ForWindow(g, w, [&](int64_t q) { s += xp[q]; });
            v = g.type == kAvg ? (w.size > 0 ? s / static_cast<T>(w.size) : T(0)) : s;
          }
          Assign(yp + (od * g.Ho + oh) * g.Wo + ow, req, v);
        }
  });
}

// max: the gradient goes to the first maximum of each window; avg: spread evenly over the divisor; sum: to every
// element of the window.
template <typename T>
void PoolBackwardT(const PoolGeom &g, const T *x, const T *dy, OpReq req, T *dx) {
  const int64_t HW = g.D * g.H * g.W, P = g.Do * g.Ho * g.Wo;
  ParallelForWork(g.N * g.C, P * g.kd * g.kh * g.kw, [&](int64_t plane) {
    const T *xp = x + plane * HW;
    const T *dyp = dy + plane * P;
    T *dxp = dx + plane * HW;
    if (req != kAddTo) std::fill(dxp, dxp + HW, T(0));
    for (int64_t od = 0; od < g.Do; ++od)
      for (int64_t oh = 0; oh < g.Ho; ++oh)
        for (int64_t ow = 0; ow < g.Wo; ++ow) {
          const Window w = GetWindow(g, od, oh, ow);
          const T d = dyp[(od * g.Ho + oh) * g.Wo + ow];
          if (g.type == kMax) {
            int64_t best = -1;
            T v = std::numeric_limits<T>::lowest();
            ForWindow(g, w, [&](int64_t q) {
              if (best < 0 || xp[q] > v) {
                v = xp[q];
                best = q;
              }
            });
            if (best >= 0) dxp[best] += d;
          } else {
            const T share = g.type == kAvg ? (w.size > 0 ? d / static_cast<T>(w.size) : T(0)) : d;
            ForWindow(g, w, [&](int64_t q) { dxp[q] += share; });
          }
        }
  });
}

void PoolForward(MXC_NN_FORWARD_ARGS) {
  if (req[0] == kNullOp) return;
  const PoolGeom g = PoolGeometry(p, in[0].shape);
  MXC_REAL_TYPE_SWITCH(in[0].dtype, T, { PoolForwardT<T>(g, in[0].ptr<T>(), req[0], out[0].ptr<T>()); });
}

void PoolBackward(MXC_NN_BACKWARD_ARGS) {
  if (req[0] == kNullOp) return;
  const PoolGeom g = PoolGeometry(p, in_data[0].shape);
  MXC_REAL_TYPE_SWITCH(in_data[0].dtype, T, {
    PoolBackwardT<T>(g, in_data[0].ptr<T>(), out_grad[0].ptr<T>(), req[0], in_grad[0].ptr<T>());
  });
}

}  // namespace

MXC_REGISTER_OP(Pooling)
    .describe("Pooling over 1-D (NCW), 2-D (NCHW) or 3-D (NCDHW) data: max, avg or sum over windows of size kernel moved by "
              "stride over the zero-padded input; global_pool pools each whole channel. Output size per dimension: "
              "(in + 2*pad - kernel) / stride + 1, rounded down ('valid') or up ('full').")
    .set_inputs({"data"})
    .add_param("kernel", ParamKind::kShape, "()", "Pooling kernel size: (w,), (h, w) or (d, h, w). Ignored with global_pool.")
    .add_param("pool_type", ParamKind::kEnum, "max", "Pooling type to be applied.", {"avg", "lp", "max", "sum"})
    .add_param("global_pool", ParamKind::kBool, "False", "Ignore kernel size, do global pooling based on the "
                                                         "current input feature map.")
    .add_param("cudnn_off", ParamKind::kBool, "False", "Turn off cudnn pooling (accepted, ignored).")
    .add_param("pooling_convention", ParamKind::kEnum, "valid", "Pooling convention to be applied.",
               {"full", "same", "valid"})
    .add_param("stride", ParamKind::kShape, "()", "Stride for pooling: (w,), (h, w) or (d, h, w). Defaults to 1 for each "
                                                  "dimension.")
    .add_param("pad", ParamKind::kShape, "()", "Pad for pooling: (w,), (h, w) or (d, h, w). Defaults to no padding.")
    .add_param("p_value", ParamKind::kOptInt, "None", "Value of p for Lp pooling (lp is not supported).")
    .add_param("count_include_pad", ParamKind::kBool, "True",
               "Whether the padding counts in the divisor of avg pooling.")
    .add_param("layout", ParamKind::kEnum, "None", "Set layout for input and output: NCW, NCHW or NCDHW (None: default).",
               {"None", "NCDHW", "NCHW", "NCW", "NDHWC", "NHWC", "NWC"})
    .set_infer_shape(PoolInferShape)
    .set_infer_type(FloatOnlyTypeInfer)
    .set_compute(MXC_CPU, PoolForward)
    .set_backward(MXC_CPU, PoolBackward)
    .set_backward_uses(true, false);

}  // namespace op
}  // namespace mxc
