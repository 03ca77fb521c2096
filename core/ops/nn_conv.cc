// Convolution (1-D NCW, 2-D NCHW and 3-D NCDHW): im2col + GEMM, with groups, stride, padding and dilation.
//
// The batch is processed in chunks: im2col writes the columns of every sample of a chunk side by side into one
// (C/g * kh * kw, nb * Ho * Wo) matrix, so that one large GEMM per group covers the whole chunk (OpenBLAS threads it),
// and im2col / col2im themselves run in parallel over rows and samples. 1x1 convolutions without stride or padding
// skip im2col: the data already is the column matrix. float32 3x3 convolutions with stride 1 (forward and data
// gradient) go through Winograd's F(2x2, 3x3) instead (winograd.h), with 2.25x fewer multiplications.
#include <memory>
#include <type_traits>

#include "gemm.h"
#include "nn_util.h"
#include "winograd.h"

namespace mxc {
namespace op {
namespace {

// Geometry of one call; 1-D and 2-D convolutions are 3-D ones with D = kd = 1 (and H = kh = 1 for 1-D).
struct ConvGeom {
  int nd = 2;                        // spatial dimensions (1, 2 or 3)
  int64_t N = 0, C = 0, D = 1, H = 1, W = 0;
  int64_t F = 0, G = 1;              // filters, groups
  int64_t kd = 1, kh = 1, kw = 1, sd = 1, sh = 1, sw = 1, pd = 0, ph = 0, pw = 0, dd = 1, dh = 1, dw = 1;
  int64_t Do = 1, Ho = 1, Wo = 0;
  int64_t Cg() const { return C / G; }
  int64_t Fg() const { return F / G; }
  int64_t Taps() const { return kd * kh * kw; }
  int64_t K() const { return Cg() * Taps(); }  // rows of the column matrix
  int64_t HW() const { return D * H * W; }      // elements of one input plane (volume)
  int64_t HoWo() const { return Do * Ho * Wo; }  // elements of one output plane (volume)
  bool Is1x1() const {
    return kd == 1 && kh == 1 && kw == 1 && sd == 1 && sh == 1 && sw == 1 && pd == 0 && ph == 0 && pw == 0;
  }
};

const char *LayoutName(int nd) { return nd == 3 ? "NCDHW" : nd == 2 ? "NCHW" : "NCW"; }

int KernelDims(const OpParams &p) {
  const auto &k = p.Tuple("kernel");
  const int nd = static_cast<int>(k.size());
  MXC_CHECK(nd >= 1 && nd <= 3, ErrorKind::kValue, "operator ", p.op()->name,
            ": kernel must have 1, 2 or 3 dimensions (NCW, NCHW or NCDHW), got ", ShapeStr(TShape(k)));
  for (auto v : k)
    MXC_CHECK(v > 0, ErrorKind::kValue, "operator ", p.op()->name, ": kernel must be positive, got ",
              ShapeStr(TShape(k)));
  return nd;
}

// Output size of one spatial dimension; ShapeError when the (dilated) kernel does not fit the padded input.
int64_t ConvOutDim(const OpParams &p, int64_t in, int64_t k, int64_t s, int64_t pad, int64_t dil,
                   const TShape &data) {
  const int64_t ext = dil * (k - 1) + 1;
  MXC_CHECK(in + 2 * pad >= ext, ErrorKind::kShape, "operator ", p.op()->name, ": kernel ",
            ShapeStr(TShape(p.Tuple("kernel"))), " (dilated extent ", ext, ") is larger than the padded input ",
            in + 2 * pad, " of data ", ShapeStr(data));
  return (in + 2 * pad - ext) / s + 1;
}

void CheckLayout(const OpParams &p, int nd) {
  const std::string &l = p.Str("layout");
  MXC_CHECK(l == "None" || l == LayoutName(nd), ErrorKind::kValue, "operator ", p.op()->name, ": layout ", l,
            " is not supported (", LayoutName(nd), " only for a ", nd, "-D kernel)");
}

// The spatial parameters (kernel, stride, pad, dilate, groups, filters) without the data's dimensions.
ConvGeom ConvParams(const OpParams &p) {
  ConvGeom g;
  g.nd = KernelDims(p);
  CheckLayout(p, g.nd);
  auto k = p.Tuple("kernel");
  auto s = SpatialParam(p, "stride", g.nd, 1);
  auto pad = SpatialParam(p, "pad", g.nd, 0);
  auto d = SpatialParam(p, "dilate", g.nd, 1);
  for (int i = 0; i < g.nd; ++i) {
    MXC_CHECK(s[i] > 0, ErrorKind::kValue, "operator ", p.op()->name, ": stride must be positive, got ",
              ShapeStr(TShape(s)));
    MXC_CHECK(d[i] > 0, ErrorKind::kValue, "operator ", p.op()->name, ": dilate must be positive, got ",
              ShapeStr(TShape(d)));
    MXC_CHECK(pad[i] >= 0, ErrorKind::kValue, "operator ", p.op()->name, ": pad must be non-negative, got ",
              ShapeStr(TShape(pad)));
  }
  // Spatial dimension i of the parameters is dimension i + 3 - nd of (depth, height, width).
  int64_t *kk[3] = {&g.kd, &g.kh, &g.kw}, *ss[3] = {&g.sd, &g.sh, &g.sw}, *pp[3] = {&g.pd, &g.ph, &g.pw},
          *dd[3] = {&g.dd, &g.dh, &g.dw};
  for (int i = 0; i < g.nd; ++i) {
    const int j = i + 3 - g.nd;
    *kk[j] = k[i], *ss[j] = s[i], *pp[j] = pad[i], *dd[j] = d[i];
  }
  g.F = p.Int("num_filter");
  g.G = p.Int("num_group");
  MXC_CHECK(g.F > 0, ErrorKind::kValue, "operator ", p.op()->name, ": num_filter must be positive, got ", g.F);
  MXC_CHECK(g.G > 0, ErrorKind::kValue, "operator ", p.op()->name, ": num_group must be positive, got ", g.G);
  MXC_CHECK(g.F % g.G == 0, ErrorKind::kValue, "operator ", p.op()->name, ": num_filter ", g.F,
            " is not divisible by num_group ", g.G);
  return g;
}

// ShapeError unless data is (N, C, W) or (N, C, H, W) for the kernel's dimensions.
void CheckDataDims(const OpParams &p, int nd, const TShape &data) {
  MXC_CHECK(data.ndim() == nd + 2, ErrorKind::kShape, "operator ", p.op()->name, ": data must be ",
            nd == 3   ? "5-D (batch, channel, depth, height, width)"
            : nd == 2 ? "4-D (batch, channel, height, width)"
                      : "3-D (batch, channel, width)",
            " for kernel ",
            ShapeStr(TShape(p.Tuple("kernel"))), ", got ", ShapeStr(data));
}

// The weight's shape (a, b, *kernel).
TShape KernelShape(const ConvGeom &g, int64_t a, int64_t b) {
  TShape s{a, b};
  if (g.nd == 3) s.push_back(g.kd);
  if (g.nd >= 2) s.push_back(g.kh);
  s.push_back(g.kw);
  return s;
}

ConvGeom ConvGeometry(const OpParams &p, const TShape &data) {
  ConvGeom g = ConvParams(p);
  CheckDataDims(p, g.nd, data);
  g.N = data[0];
  g.C = data[1];
  if (g.nd == 3) g.D = data[2];
  if (g.nd >= 2) g.H = data[g.nd];
  g.W = data[g.nd + 1];
  if (g.nd == 3 && g.D > 0) g.Do = ConvOutDim(p, g.D, g.kd, g.sd, g.pd, g.dd, data);
  if (g.nd >= 2 && g.H > 0) g.Ho = ConvOutDim(p, g.H, g.kh, g.sh, g.ph, g.dh, data);
  if (g.W > 0) g.Wo = ConvOutDim(p, g.W, g.kw, g.sw, g.pw, g.dw, data);
  return g;
}

void CheckChannelGroups(const OpParams &p, int64_t C, int64_t G, const TShape &data) {
  MXC_CHECK(C % G == 0, ErrorKind::kShape, "operator ", p.op()->name, ": the ", C, " input channels of data ",
            ShapeStr(data), " are not divisible by num_group ", G);
}

void ConvInferShape(const OpParams &p, std::vector<TShape> *in, std::vector<TShape> *out) {
  const Op *op = p.op();
  ConvGeom g0 = ConvParams(p);
  if (!p.Bool("no_bias")) ShapeAssign(&(*in)[2], TShape{g0.F}, op, "bias");
  // The batch size of the data (dim 0 in every layout) may only be known from the output, e.g. for a state
  // created by zeros(shape=(0, C, H, W)) that only feeds this convolution (MXNet infers it backward too).
  if (!(*in)[0].empty() && (*in)[0][0] == 0 && !(*out)[0].empty() && (*out)[0][0] > 0) (*in)[0][0] = (*out)[0][0];
  const TShape &d = (*in)[0];
  TShape wshape = KernelShape(g0, g0.F, 0);
  if (d.empty()) {
    ShapeAssign(&(*in)[1], wshape, op, "weight");
    return;
  }
  ConvGeom g = ConvGeometry(p, d);
  CheckChannelGroups(p, g.C, g.G, d);
  wshape[1] = g.C > 0 ? g.C / g.G : 0;
  ShapeAssign(&(*in)[1], wshape, op, "weight");
  TShape o{g.N, g.F};
  if (g.nd == 3) o.push_back(g.D > 0 ? g.Do : 0);
  if (g.nd >= 2) o.push_back(g.H > 0 ? g.Ho : 0);
  o.push_back(g.W > 0 ? g.Wo : 0);
  ShapeAssign(&(*out)[0], o, op, "output");
}

// Reusable per-thread scratch memory (slot 0: columns, 1: gathered output / output gradient).
template <typename T>
T *Scratch(size_t n, int slot) {
  thread_local std::vector<T> buf[2];
  if (buf[slot].size() < n) {
    buf[slot].clear();
    buf[slot].shrink_to_fit();
    buf[slot].resize(n);
  }
  return buf[slot].data();
}

// Number of samples per chunk: the column matrix stays under about 4M elements.
int64_t ChunkSize(const ConvGeom &g) {
  const int64_t per_sample = std::max<int64_t>(g.K() * g.HoWo(), 1);
  return std::max<int64_t>(1, std::min<int64_t>(g.N, (int64_t(1) << 22) / per_sample));
}

// The output columns [lo, hi) of kernel column j whose input column iw = ow * sw + off (off = j * dw - pw) lies in
// [0, W); the others read padding.
struct ColSpan {
  int64_t off, lo, hi;
};
inline ColSpan Span(const ConvGeom &g, int64_t j) {
  ColSpan s;
  s.off = j * g.dw - g.pw;
  s.lo = std::min(g.Wo, s.off >= 0 ? int64_t(0) : (-s.off + g.sw - 1) / g.sw);
  s.hi = s.off > g.W - 1 ? s.lo : std::max(s.lo, std::min(g.Wo, (g.W - 1 - s.off) / g.sw + 1));
  return s;
}

// col[r, n * HoWo + (od, oh, ow)] = x[n0 + n, c0 + c, od*sd - pd + a*dd, oh*sh - ph + i*dh, ow*sw - pw + j*dw]
// with r = (c, a, i, j) (a and od only range over 1 value below 3-D).
template <typename T>
void Im2Col(const T *x, const ConvGeom &g, int64_t n0, int64_t nb, int64_t c0, T *col) {
  const int64_t K = g.K(), L = nb * g.HoWo(), plane = g.H * g.W, oplane = g.Ho * g.Wo;
  ParallelForWork(K * nb, g.HoWo(), [&](int64_t t) {
    const int64_t r = t / nb, n = t % nb;
    const int64_t c = r / g.Taps(), a = (r / (g.kh * g.kw)) % g.kd, i = (r / g.kw) % g.kh, j = r % g.kw;
    const T *xv = x + ((n0 + n) * g.C + c0 + c) * g.HW();
    T *dst = col + r * L + n * g.HoWo();
    const ColSpan sp = Span(g, j);
    for (int64_t od = 0; od < g.Do; ++od, dst += oplane) {
      const int64_t id = od * g.sd - g.pd + a * g.dd;
      if (id < 0 || id >= g.D) {
        std::fill(dst, dst + oplane, T(0));
        continue;
      }
      for (int64_t oh = 0; oh < g.Ho; ++oh) {
        const int64_t ih = oh * g.sh - g.ph + i * g.dh;
        T *drow = dst + oh * g.Wo;
        if (ih < 0 || ih >= g.H) {
          std::fill(drow, drow + g.Wo, T(0));
          continue;
        }
        const T *xrow = xv + id * plane + ih * g.W;
        std::fill(drow, drow + sp.lo, T(0));
        if (g.sw == 1) {
          std::copy(xrow + sp.lo + sp.off, xrow + sp.hi + sp.off, drow + sp.lo);
        } else {
          for (int64_t ow = sp.lo; ow < sp.hi; ++ow) drow[ow] = xrow[ow * g.sw + sp.off];
        }
        std::fill(drow + sp.hi, drow + g.Wo, T(0));
      }
    }
  });
}

// The adjoint of Im2Col: dx[n0 + n, c0 + c, ...] (+)= sum of the columns that read it. Planes are independent, so the
// loop over (sample, channel) runs in parallel.
template <typename T>
void Col2Im(const T *col, const ConvGeom &g, int64_t n0, int64_t nb, int64_t c0, T *dx, bool add) {
  const int64_t L = nb * g.HoWo(), plane = g.H * g.W, oplane = g.Ho * g.Wo;
  ParallelForWork(nb * g.Cg(), g.Taps() * g.HoWo(), [&](int64_t t) {
    const int64_t n = t / g.Cg(), c = t % g.Cg();
    T *dv = dx + ((n0 + n) * g.C + c0 + c) * g.HW();
    if (!add) std::fill(dv, dv + g.HW(), T(0));
    for (int64_t r = 0; r < g.Taps(); ++r) {  // r = (a, i, j)
      const int64_t a = r / (g.kh * g.kw), i = (r / g.kw) % g.kh, j = r % g.kw;
      const T *src = col + (c * g.Taps() + r) * L + n * g.HoWo();
      const ColSpan sp = Span(g, j);
      for (int64_t od = 0; od < g.Do; ++od) {
        const int64_t id = od * g.sd - g.pd + a * g.dd;
        if (id < 0 || id >= g.D) continue;
        for (int64_t oh = 0; oh < g.Ho; ++oh) {
          const int64_t ih = oh * g.sh - g.ph + i * g.dh;
          if (ih < 0 || ih >= g.H) continue;
          T *drow = dv + id * plane + ih * g.W;
          const T *srow = src + od * oplane + oh * g.Wo;
          if (g.sw == 1) {
            for (int64_t ow = sp.lo; ow < sp.hi; ++ow) drow[ow + sp.off] += srow[ow];
          } else {
            for (int64_t ow = sp.lo; ow < sp.hi; ++ow) drow[ow * g.sw + sp.off] += srow[ow];
          }
        }
      }
    }
  });
}

// out[n, f, :] = bias[f] (add: +=) for an (N, F, P) output.
template <typename T>
void BiasFill(const T *bias, int64_t N, int64_t F, int64_t P, bool add, T *y) {
  ParallelForWork(N * F, P, [&](int64_t t) {
    T *yp = y + t * P;
    const T b = bias[t % F];
    if (add) {
      for (int64_t q = 0; q < P; ++q) yp[q] += b;
    } else {
      std::fill(yp, yp + P, b);
    }
  });
}

// db[f] (req)= sum over samples and positions of dy[n, f, :] for an (N, F, P) output gradient.
template <typename T>
void BiasGrad(const T *dy, int64_t N, int64_t F, int64_t P, OpReq req, T *db) {
  if (req == kNullOp) return;
  std::vector<T> acc(F, T(0));
  for (int64_t n = 0; n < N; ++n)
    for (int64_t f = 0; f < F; ++f) {
      const T *d = dy + (n * F + f) * P;
      T s = 0;
      for (int64_t q = 0; q < P; ++q) s += d[q];
      acc[f] += s;
    }
  for (int64_t f = 0; f < F; ++f) Assign(db + f, req, acc[f]);
}

// y (beta = 1: +=) conv(x, w) without bias: (N, C, H, W) data, (F, C/G, kh, kw) weight, (N, F, Ho, Wo) output.
template <typename T>
void ConvGemmForward(const ConvGeom &g, const T *x, const T *w, T beta, T *y) {
  const int64_t Fg = g.Fg(), K = g.K(), P = g.HoWo();
  if (std::is_same<T, float>::value && g.nd == 2 &&
      WinogradApplies(g.kh, g.kw, g.sh, g.sw, g.dh, g.dw, g.ph, g.pw, g.Cg(), Fg, g.N, g.Ho, g.Wo)) {
    WinogradConv3x3(reinterpret_cast<const float *>(x), reinterpret_cast<const float *>(w), false,
                    static_cast<float>(beta), reinterpret_cast<float *>(y), g.N, g.C, g.H, g.W, g.F, g.G, g.ph, g.pw,
                    g.Ho, g.Wo);
    return;
  }
  if (g.Is1x1()) {
    for (int64_t n = 0; n < g.N; ++n)
      for (int64_t gi = 0; gi < g.G; ++gi)
        Gemm(false, false, Fg, P, K, T(1), w + gi * Fg * K, K, x + (n * g.C + gi * g.Cg()) * g.HW(), g.HW(), beta,
             y + (n * g.F + gi * Fg) * P, P);
    return;
  }
  const int64_t chunk = ChunkSize(g);
  T *col = Scratch<T>(static_cast<size_t>(K * chunk * P), 0);
  T *tmp = chunk > 1 ? Scratch<T>(static_cast<size_t>(Fg * chunk * P), 1) : nullptr;
  for (int64_t n0 = 0; n0 < g.N; n0 += chunk) {
    const int64_t nb = std::min(chunk, g.N - n0), L = nb * P;
    for (int64_t gi = 0; gi < g.G; ++gi) {
      Im2Col(x, g, n0, nb, gi * g.Cg(), col);
      const T *wg = w + gi * Fg * K;
      if (nb == 1) {
        Gemm(false, false, Fg, P, K, T(1), wg, K, col, L, beta, y + (n0 * g.F + gi * Fg) * P, P);
        continue;
      }
      Gemm(false, false, Fg, L, K, T(1), wg, K, col, L, T(0), tmp, L);
      // Scatter (Fg, nb * P) into the (nb, F, P) output.
      ParallelForWork(nb * Fg, P, [&](int64_t t) {
        const int64_t n = t / Fg, f = t % Fg;
        const T *src = tmp + f * L + n * P;
        T *dst = y + ((n0 + n) * g.F + gi * Fg + f) * P;
        if (beta != T(0)) {
          for (int64_t q = 0; q < P; ++q) dst[q] += src[q];
        } else {
          std::copy(src, src + P, dst);
        }
      });
    }
  }
}

// The data gradient dx (req_dx) and weight gradient dw (req_dw) of y = conv(x, w) for the output gradient dy; a null
// dx or dw is not computed (x is then not read for a null dw).
template <typename T>
void ConvGemmBackward(const ConvGeom &g, const T *dy, const T *x, const T *w, OpReq req_dx, T *dx, OpReq req_dw,
                      T *dw) {
  const int64_t Fg = g.Fg(), K = g.K(), P = g.HoWo();
  if (dw != nullptr && g.N == 0 && req_dw != kAddTo) std::fill(dw, dw + g.F * K, T(0));  // no samples
  if (dx == nullptr && dw == nullptr) return;
  // The data gradient of a stride-1 3x3 convolution is a stride-1 3x3 convolution of dy (the kernel rotated, its
  // channel axes swapped, padding 2 - p), which Winograd computes; the weight gradient then stays on im2col.
  if (dx != nullptr && std::is_same<T, float>::value && g.nd == 2 &&
      WinogradApplies(g.kh, g.kw, g.sh, g.sw, g.dh, g.dw, 2 - g.ph, 2 - g.pw, Fg, g.Cg(), g.N, g.H, g.W)) {
    WinogradConv3x3(reinterpret_cast<const float *>(dy), reinterpret_cast<const float *>(w), true,
                    static_cast<float>(GemmBeta<T>(req_dx)), reinterpret_cast<float *>(dx), g.N, g.F, g.Ho, g.Wo,
                    g.C, g.G, 2 - g.ph, 2 - g.pw, g.H, g.W);
    dx = nullptr;
    if (dw == nullptr) return;
  }
  if (g.Is1x1()) {
    for (int64_t n = 0; n < g.N; ++n)
      for (int64_t gi = 0; gi < g.G; ++gi) {
        const T *dyn = dy + (n * g.F + gi * Fg) * P;
        const int64_t xoff = (n * g.C + gi * g.Cg()) * g.HW();
        if (dw != nullptr)
          Gemm(false, true, Fg, K, P, T(1), dyn, P, x + xoff, g.HW(), n == 0 ? GemmBeta<T>(req_dw) : T(1),
               dw + gi * Fg * K, K);
        if (dx != nullptr)
          Gemm(true, false, K, P, Fg, T(1), w + gi * Fg * K, K, dyn, P, GemmBeta<T>(req_dx), dx + xoff, g.HW());
      }
    return;
  }

  const int64_t chunk = ChunkSize(g);
  T *col = Scratch<T>(static_cast<size_t>(K * chunk * P), 0);
  T *dyg = chunk > 1 ? Scratch<T>(static_cast<size_t>(Fg * chunk * P), 1) : nullptr;
  for (int64_t n0 = 0; n0 < g.N; n0 += chunk) {
    const int64_t nb = std::min(chunk, g.N - n0), L = nb * P;
    for (int64_t gi = 0; gi < g.G; ++gi) {
      // The output gradient of this group and chunk as one (Fg, nb * P) matrix.
      const T *dym;
      if (nb == 1) {
        dym = dy + (n0 * g.F + gi * Fg) * P;
      } else {
        ParallelForWork(nb * Fg, P, [&](int64_t t) {
          const int64_t n = t / Fg, f = t % Fg;
          const T *src = dy + ((n0 + n) * g.F + gi * Fg + f) * P;
          std::copy(src, src + P, dyg + f * L + n * P);
        });
        dym = dyg;
      }
      if (dw != nullptr) {
        // d weight_g (+)= dy_g * col^T
        Im2Col(x, g, n0, nb, gi * g.Cg(), col);
        Gemm(false, true, Fg, K, L, T(1), dym, L, col, L, n0 == 0 ? GemmBeta<T>(req_dw) : T(1), dw + gi * Fg * K,
             K);
      }
      if (dx != nullptr) {
        // d col = weight_g^T * dy_g, folded back into the data gradient.
        Gemm(true, false, K, L, Fg, T(1), w + gi * Fg * K, K, dym, L, T(0), col, L);
        Col2Im(col, g, n0, nb, gi * g.Cg(), dx, req_dx == kAddTo);
      }
    }
  }
}

template <typename T>
void ConvForwardT(const OpParams &p, const std::vector<TBlob> &in, OpReq req, const TBlob &out) {
  const ConvGeom g = ConvGeometry(p, in[0].shape);
  T *y = out.ptr<T>();
  // Initialise the output with the bias (or add it), then accumulate the products on top.
  T beta = GemmBeta<T>(req);
  if (!p.Bool("no_bias")) {
    BiasFill(in[2].ptr<T>(), g.N, g.F, g.HoWo(), req == kAddTo, y);
    beta = T(1);
  }
  ConvGemmForward(g, in[0].ptr<T>(), in[1].ptr<T>(), beta, y);
}

void ConvForward(MXC_NN_FORWARD_ARGS) {
  if (req[0] == kNullOp) return;
  MXC_REAL_TYPE_SWITCH(in[0].dtype, T, { ConvForwardT<T>(p, in, req[0], out[0]); });
}

template <typename T>
void ConvBackwardT(const OpParams &p, const TBlob &dyb, const std::vector<TBlob> &in_data,
                   const std::vector<OpReq> &req, const std::vector<TBlob> &in_grad) {
  const ConvGeom g = ConvGeometry(p, in_data[0].shape);
  const T *dy = dyb.ptr<T>();
  if (!p.Bool("no_bias")) BiasGrad(dy, g.N, g.F, g.HoWo(), req[2], in_grad[2].ptr<T>());
  ConvGemmBackward(g, dy, in_data[0].ptr<T>(), in_data[1].ptr<T>(), req[0],
                   req[0] != kNullOp ? in_grad[0].ptr<T>() : nullptr, req[1],
                   req[1] != kNullOp ? in_grad[1].ptr<T>() : nullptr);
}

void ConvBackward(MXC_NN_BACKWARD_ARGS) {
  MXC_REAL_TYPE_SWITCH(in_data[0].dtype, T, { ConvBackwardT<T>(p, out_grad[0], in_data, req, in_grad); });
}

// ---------------------------------------------------------------------------------------------------------------
// Deconvolution (transposed convolution) is the adjoint of a convolution: its forward is the data gradient of the
// convolution that maps its output back onto its data, and its data and weight gradients are that convolution's
// forward and weight gradient. So it runs on that convolution's geometry: C = num_filter channels of (H, W) = the
// deconvolution's output, F = the data's channels over (Ho, Wo) = the data's size, and the weight
// (C_in, num_filter/num_group, *kernel) is the convolution's (F, C/G, *kernel).
// ---------------------------------------------------------------------------------------------------------------
ConvGeom DeconvGeometry(const OpParams &p, const TShape &data) {
  ConvGeom g = ConvParams(p);
  CheckDataDims(p, g.nd, data);
  g.C = g.F;
  g.N = data[0];
  g.F = data[1];
  const auto stride = SpatialParam(p, "stride", g.nd, 1);
  const auto adj_p = SpatialParam(p, "adj", g.nd, 0);
  const auto &target = p.Tuple("target_shape");
  if (!target.empty()) SpatialParam(p, "target_shape", g.nd, 0);  // ValueError unless one entry per dimension
  // Per spatial dimension (0: depth, 1: height, 2: width; a 2-D call has the last two, a 1-D one the width): the full
  // output
  // (in-1)*stride + dilate*(kernel-1) + 1 is cropped by pad at both ends and extended by adj at the end; a
  // target_shape sets pad and adj to crop the full output to it, the odd element at the end.
  int64_t *in_sz[3] = {&g.Do, &g.Ho, &g.Wo}, *out_sz[3] = {&g.D, &g.H, &g.W}, *pad[3] = {&g.pd, &g.ph, &g.pw};
  const int64_t k[3] = {g.kd, g.kh, g.kw}, dil[3] = {g.dd, g.dh, g.dw};
  for (int i = 0; i < g.nd; ++i) {
    const int j = i + 3 - g.nd;
    const int64_t in = data[2 + i], full = (in - 1) * stride[i] + dil[j] * (k[j] - 1) + 1;
    int64_t adj = adj_p[i];
    *in_sz[j] = in;
    if (!target.empty() && in > 0) {
      MXC_CHECK(target[i] >= 0 && target[i] <= full, ErrorKind::kShape, "operator ", p.op()->name, ": target_shape ",
                ShapeStr(TShape(target)), " is larger than the full output size ", full, " of data ", ShapeStr(data),
                " in dimension ", i);
      *pad[j] = (full - target[i] + 1) / 2;
      adj = (full - target[i]) % 2;
    }
    MXC_CHECK(adj >= 0 && adj < stride[i], ErrorKind::kValue, "operator ", p.op()->name, ": adj ",
              target.empty() ? ShapeStr(TShape(adj_p)) : std::to_string(adj) + " (from target_shape)",
              " must be smaller than stride ", ShapeStr(TShape(stride)));
    *out_sz[j] = in > 0 ? full - 2 * *pad[j] + adj : 0;
    MXC_CHECK(*out_sz[j] >= 0, ErrorKind::kShape, "operator ", p.op()->name, ": pad ",
              ShapeStr(TShape(SpatialParam(p, "pad", g.nd, 0))), " crops more than the full output size ", full,
              " of data ", ShapeStr(data));
  }
  return g;
}

void DeconvInferShape(const OpParams &p, std::vector<TShape> *in, std::vector<TShape> *out) {
  const Op *op = p.op();
  ConvGeom g0 = ConvParams(p);
  if (!p.Bool("no_bias")) ShapeAssign(&(*in)[2], TShape{g0.F}, op, "bias");
  const TShape &d = (*in)[0];
  if (d.empty()) {
    ShapeAssign(&(*in)[1], KernelShape(g0, 0, g0.Fg()), op, "weight");
    return;
  }
  ConvGeom g = DeconvGeometry(p, d);
  CheckChannelGroups(p, g.F, g.G, d);
  ShapeAssign(&(*in)[1], KernelShape(g, g.F, g.Cg()), op, "weight");
  TShape o{g.N, g.C};
  if (g.nd == 3) o.push_back(g.D);
  if (g.nd >= 2) o.push_back(g.H);
  o.push_back(g.W);
  ShapeAssign(&(*out)[0], o, op, "output");
}

template <typename T>
void DeconvForwardT(const OpParams &p, const std::vector<TBlob> &in, OpReq req, const TBlob &out) {
  const ConvGeom g = DeconvGeometry(p, in[0].shape);
  T *y = out.ptr<T>();
  ConvGemmBackward<T>(g, in[0].ptr<T>(), nullptr, in[1].ptr<T>(), req, y, kNullOp, nullptr);
  if (!p.Bool("no_bias")) BiasFill(in[2].ptr<T>(), g.N, g.C, g.HW(), true, y);
}

void DeconvForward(MXC_NN_FORWARD_ARGS) {
  if (req[0] == kNullOp) return;
  MXC_REAL_TYPE_SWITCH(in[0].dtype, T, { DeconvForwardT<T>(p, in, req[0], out[0]); });
}

template <typename T>
void DeconvBackwardT(const OpParams &p, const TBlob &dyb, const std::vector<TBlob> &in_data,
                     const std::vector<OpReq> &req, const std::vector<TBlob> &in_grad) {
  const ConvGeom g = DeconvGeometry(p, in_data[0].shape);
  const T *dy = dyb.ptr<T>();
  if (!p.Bool("no_bias")) BiasGrad(dy, g.N, g.C, g.HW(), req[2], in_grad[2].ptr<T>());
  // d data = conv(dy, weight); d weight = the convolution's weight gradient for data dy and output gradient data.
  if (req[0] != kNullOp) ConvGemmForward(g, dy, in_data[1].ptr<T>(), GemmBeta<T>(req[0]), in_grad[0].ptr<T>());
  if (req[1] != kNullOp)
    ConvGemmBackward<T>(g, in_data[0].ptr<T>(), dy, nullptr, kNullOp, nullptr, req[1], in_grad[1].ptr<T>());
}

void DeconvBackward(MXC_NN_BACKWARD_ARGS) {
  MXC_REAL_TYPE_SWITCH(in_data[0].dtype, T, { DeconvBackwardT<T>(p, out_grad[0], in_data, req, in_grad); });
}

std::vector<std::string> ConvInputNames(const OpParams &p) {
  return p.Bool("no_bias") ? std::vector<std::string>{"data", "weight"}
                           : std::vector<std::string>{"data", "weight", "bias"};
}

}  // namespace

MXC_REGISTER_OP(Convolution)
    .describe("Convolution over 1-D (NCW), 2-D (NCHW) or 3-D (NCDHW) data with num_filter filters of shape (C/num_group, "
              "*kernel), stride, zero padding, dilation and groups. out[n, f] = bias[f] + sum_c weight[f, c] * "
              "data[n, c] (cross-correlation). Output size per dimension: (in + 2*pad - dilate*(kernel-1) - 1) / "
              "stride + 1.")
    .set_inputs({"data", "weight", "bias"})
    .set_input_names(ConvInputNames)
    .add_required_param("kernel", ParamKind::kShape, "Convolution kernel size: (w,), (h, w) or (d, h, w).")
    .add_param("stride", ParamKind::kShape, "()", "Convolution stride: (w,), (h, w) or (d, h, w). Defaults to 1 for each "
                                                  "dimension.")
    .add_param("dilate", ParamKind::kShape, "()", "Convolution dilation: (w,), (h, w) or (d, h, w). Defaults to 1 for each "
                                                  "dimension.")
    .add_param("pad", ParamKind::kShape, "()", "Zero padding on both sides: (w,), (h, w) or (d, h, w). Defaults to no padding.")
    .add_required_param("num_filter", ParamKind::kInt, "Convolution filter (channel) number.")
    .add_param("num_group", ParamKind::kInt, "1", "Number of group partitions.")
    .add_param("workspace", ParamKind::kInt, "1024", "Maximum temporary workspace in MB for cuDNN's algorithms "
                                                     "(GPU; the CPU ignores it).")
    .add_param("no_bias", ParamKind::kBool, "False", "Whether to disable the bias (then there is no bias input).")
    .add_param("cudnn_tune", ParamKind::kEnum, "None", "GPU: 'off' picks cuDNN's algorithm by its heuristics; "
                                                       "otherwise the algorithms (and mxc's own GEMM kernels) are "
                                                       "timed on first use ('fastest': no workspace limit).",
               {"None", "fastest", "limited_workspace", "off"})
    .add_param("cudnn_off", ParamKind::kBool, "False", "GPU: do not use cuDNN for this layer (mxc's GEMM kernels).")
    .add_param("layout", ParamKind::kEnum, "None", "Set layout for input and output: NCW, NCHW or NCDHW (None: default).",
               {"None", "NCDHW", "NCHW", "NCW", "NDHWC", "NHWC"})
    .set_infer_shape(ConvInferShape)
    .set_infer_type(FloatOnlyTypeInfer)
    .set_compute(MXC_CPU, ConvForward)
    .set_backward(MXC_CPU, ConvBackward)
    .set_backward_uses(true, false);

MXC_REGISTER_OP(Deconvolution)
    .describe("Transposed convolution (the data gradient of Convolution) over 1-D (NCW), 2-D (NCHW) or 3-D (NCDHW) data: every "
              "data element scatters weight[c, f] * data[n, c] onto the output, with stride, dilation and groups; "
              "the weight is (C, num_filter/num_group, *kernel). Output size per dimension: (in-1)*stride - 2*pad + "
              "dilate*(kernel-1) + 1 + adj, or target_shape (pad and adj then derived from it).")
    .set_inputs({"data", "weight", "bias"})
    .set_input_names(ConvInputNames)
    .add_required_param("kernel", ParamKind::kShape, "Deconvolution kernel size: (w,), (h, w) or (d, h, w), as the "
                                                     "corresponding convolution's.")
    .add_param("stride", ParamKind::kShape, "()", "The corresponding convolution's stride: (w,), (h, w) or (d, h, w). Defaults "
                                                  "to 1 for each dimension.")
    .add_param("dilate", ParamKind::kShape, "()", "Dilation: (w,), (h, w) or (d, h, w). Defaults to 1 for each dimension.")
    .add_param("pad", ParamKind::kShape, "()", "The corresponding convolution's zero padding, cropped from both "
                                               "ends of the output: (w,), (h, w) or (d, h, w). Ignored with target_shape.")
    .add_param("adj", ParamKind::kShape, "()", "Extra output size at the end of each dimension, smaller than the "
                                               "stride: (w,), (h, w) or (d, h, w). Ignored with target_shape.")
    .add_param("target_shape", ParamKind::kShape, "()", "Spatial shape of the output: (w,), (h, w) or (d, h, w); pad and adj "
                                                        "are computed to reach it.")
    .add_required_param("num_filter", ParamKind::kInt, "Number of output filters (channels).")
    .add_param("num_group", ParamKind::kInt, "1", "Number of group partitions.")
    .add_param("workspace", ParamKind::kInt, "512", "Maximum temporary workspace in MB (accepted for MXNet "
                                                    "compatibility; mxc sizes its scratch itself).")
    .add_param("no_bias", ParamKind::kBool, "True", "Whether to disable the bias (then there is no bias input).")
    .add_param("cudnn_tune", ParamKind::kEnum, "None", "Accepted for MXNet compatibility (mxc's GEMM kernels on "
                                                       "the GPU).",
               {"None", "fastest", "limited_workspace", "off"})
    .add_param("cudnn_off", ParamKind::kBool, "False", "Accepted for MXNet compatibility (no cuDNN for this layer).")
    .add_param("layout", ParamKind::kEnum, "None", "Set layout for input and output: NCW, NCHW or NCDHW (None: default).",
               {"None", "NCDHW", "NCHW", "NCW", "NDHWC", "NHWC"})
    .set_infer_shape(DeconvInferShape)
    .set_infer_type(FloatOnlyTypeInfer)
    .set_compute(MXC_CPU, DeconvForward)
    .set_backward(MXC_CPU, DeconvBackward)
    .set_backward_uses(true, false);

}  // namespace op
}  // namespace mxc
