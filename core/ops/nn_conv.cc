// Convolution (1-D NCW and 2-D NCHW): im2col + GEMM, with groups, stride, padding and dilation.
//
// The batch is processed in chunks: im2col writes the columns of every sample of a chunk side by side into one
// (C/g * kh * kw, nb * Ho * Wo) matrix, so that one large GEMM per group covers the whole chunk (OpenBLAS threads it),
// and im2col / col2im themselves run in parallel over rows and samples. 1x1 convolutions without stride or padding
// skip im2col: the data already is the column matrix.
#include <memory>

#include "gemm.h"
#include "nn_util.h"

namespace mxc {
namespace op {
namespace {

// Geometry of one call; 1-D convolutions are 2-D ones with H = kh = 1.
struct ConvGeom {
  int nd = 2;                        // spatial dimensions (1 or 2)
  int64_t N = 0, C = 0, H = 1, W = 0;
  int64_t F = 0, G = 1;              // filters, groups
  int64_t kh = 1, kw = 1, sh = 1, sw = 1, ph = 0, pw = 0, dh = 1, dw = 1;
  int64_t Ho = 1, Wo = 0;
  int64_t Cg() const { return C / G; }
  int64_t Fg() const { return F / G; }
  int64_t K() const { return Cg() * kh * kw; }  // rows of the column matrix
  int64_t HW() const { return H * W; }
  int64_t HoWo() const { return Ho * Wo; }
  bool Is1x1() const { return kh == 1 && kw == 1 && sh == 1 && sw == 1 && ph == 0 && pw == 0; }
};

int KernelDims(const OpParams &p) {
  const auto &k = p.Tuple("kernel");
  const int nd = static_cast<int>(k.size());
  MXC_CHECK(nd == 1 || nd == 2, ErrorKind::kValue, "operator ", p.op()->name,
            ": kernel must have 1 or 2 dimensions (NCW or NCHW), got ", ShapeStr(TShape(k)));
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
  MXC_CHECK(l == "None" || (nd == 2 && l == "NCHW") || (nd == 1 && l == "NCW"), ErrorKind::kValue, "operator ",
            p.op()->name, ": layout ", l, " is not supported (", nd == 2 ? "NCHW" : "NCW", " only)");
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
  if (g.nd == 2) {
    g.kh = k[0], g.kw = k[1], g.sh = s[0], g.sw = s[1], g.ph = pad[0], g.pw = pad[1], g.dh = d[0], g.dw = d[1];
  } else {
    g.kw = k[0], g.sw = s[0], g.pw = pad[0], g.dw = d[0];
  }
  g.F = p.Int("num_filter");
  g.G = p.Int("num_group");
  MXC_CHECK(g.F > 0, ErrorKind::kValue, "operator ", p.op()->name, ": num_filter must be positive, got ", g.F);
  MXC_CHECK(g.G > 0, ErrorKind::kValue, "operator ", p.op()->name, ": num_group must be positive, got ", g.G);
  MXC_CHECK(g.F % g.G == 0, ErrorKind::kValue, "operator ", p.op()->name, ": num_filter ", g.F,
            " is not divisible by num_group ", g.G);
  return g;
}

ConvGeom ConvGeometry(const OpParams &p, const TShape &data) {
  ConvGeom g = ConvParams(p);
  MXC_CHECK(data.ndim() == g.nd + 2, ErrorKind::kShape, "operator ", p.op()->name, ": data must be ",
            g.nd == 2 ? "4-D (batch, channel, height, width)" : "3-D (batch, channel, width)", " for kernel ",
            ShapeStr(TShape(p.Tuple("kernel"))), ", got ", ShapeStr(data));
  g.N = data[0];
  g.C = data[1];
  if (g.nd == 2) {
    g.H = data[2];
    g.W = data[3];
  } else {
    g.W = data[2];
  }
  if (g.nd == 2 && g.H > 0) g.Ho = ConvOutDim(p, g.H, g.kh, g.sh, g.ph, g.dh, data);
  if (g.W > 0) g.Wo = ConvOutDim(p, g.W, g.kw, g.sw, g.pw, g.dw, data);
  return g;
}

void ConvInferShape(const OpParams &p, std::vector<TShape> *in, std::vector<TShape> *out) {
  const Op *op = p.op();
  ConvGeom g0 = ConvParams(p);
  if (!p.Bool("no_bias")) ShapeAssign(&(*in)[2], TShape{g0.F}, op, "bias");
  const TShape &d = (*in)[0];
  TShape wshape{g0.F, 0};
  if (g0.nd == 2) {
    wshape.push_back(g0.kh);
    wshape.push_back(g0.kw);
  } else {
    wshape.push_back(g0.kw);
  }
  if (d.empty()) {
    ShapeAssign(&(*in)[1], wshape, op, "weight");
    return;
  }
  ConvGeom g = ConvGeometry(p, d);
  if (g.C > 0)
    MXC_CHECK(g.C % g.G == 0, ErrorKind::kShape, "operator ", op->name, ": the ", g.C,
              " input channels of data ", ShapeStr(d), " are not divisible by num_group ", g.G);
  wshape[1] = g.C > 0 ? g.C / g.G : 0;
  ShapeAssign(&(*in)[1], wshape, op, "weight");
  TShape o{g.N, g.F};
  if (g.nd == 2) o.push_back(g.H > 0 ? g.Ho : 0);
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

// col[r, n * HoWo + (oh, ow)] = x[n0 + n, c0 + c, oh*sh - ph + i*dh, ow*sw - pw + j*dw] with r = (c, i, j).
template <typename T>
void Im2Col(const T *x, const ConvGeom &g, int64_t n0, int64_t nb, int64_t c0, T *col) {
  const int64_t K = g.K(), L = nb * g.HoWo(), khw = g.kh * g.kw;
  ParallelForWork(K * nb, g.HoWo(), [&](int64_t t) {
    const int64_t r = t / nb, n = t % nb;
    const int64_t c = r / khw, i = (r / g.kw) % g.kh, j = r % g.kw;
    const T *xp = x + ((n0 + n) * g.C + c0 + c) * g.HW();
    T *dst = col + r * L + n * g.HoWo();
    for (int64_t oh = 0; oh < g.Ho; ++oh) {
      const int64_t ih = oh * g.sh - g.ph + i * g.dh;
      T *drow = dst + oh * g.Wo;
      if (ih < 0 || ih >= g.H) {
        std::fill(drow, drow + g.Wo, T(0));
        continue;
      }
      const T *xrow = xp + ih * g.W;
      const int64_t off = j * g.dw - g.pw;
      if (g.sw == 1 && off >= 0 && off + g.Wo <= g.W) {
        std::copy(xrow + off, xrow + off + g.Wo, drow);
      } else {
        for (int64_t ow = 0; ow < g.Wo; ++ow) {
          const int64_t iw = ow * g.sw + off;
          drow[ow] = (iw >= 0 && iw < g.W) ? xrow[iw] : T(0);
        }
      }
    }
  });
}

// The adjoint of Im2Col: dx[n0 + n, c0 + c, ...] (+)= sum of the columns that read it. Planes are independent, so the
// loop over (sample, channel) runs in parallel.
template <typename T>
void Col2Im(const T *col, const ConvGeom &g, int64_t n0, int64_t nb, int64_t c0, T *dx, bool add) {
  const int64_t L = nb * g.HoWo();
  ParallelForWork(nb * g.Cg(), g.kh * g.kw * g.HoWo(), [&](int64_t t) {
    const int64_t n = t / g.Cg(), c = t % g.Cg();
    T *dp = dx + ((n0 + n) * g.C + c0 + c) * g.HW();
    if (!add) std::fill(dp, dp + g.HW(), T(0));
    for (int64_t i = 0; i < g.kh; ++i)
      for (int64_t j = 0; j < g.kw; ++j) {
        const T *src = col + ((c * g.kh + i) * g.kw + j) * L + n * g.HoWo();
        for (int64_t oh = 0; oh < g.Ho; ++oh) {
          const int64_t ih = oh * g.sh - g.ph + i * g.dh;
          if (ih < 0 || ih >= g.H) continue;
          T *drow = dp + ih * g.W;
          const T *srow = src + oh * g.Wo;
          for (int64_t ow = 0; ow < g.Wo; ++ow) {
            const int64_t iw = ow * g.sw - g.pw + j * g.dw;
            if (iw >= 0 && iw < g.W) drow[iw] += srow[ow];
          }
        }
      }
  });
}

template <typename T>
void ConvForwardT(const OpParams &p, const std::vector<TBlob> &in, OpReq req, const TBlob &out) {
  const ConvGeom g = ConvGeometry(p, in[0].shape);
  const T *x = in[0].ptr<T>();
  const T *w = in[1].ptr<T>();
  const T *bias = p.Bool("no_bias") ? nullptr : in[2].ptr<T>();
  T *y = out.ptr<T>();
  const int64_t Fg = g.Fg(), K = g.K(), P = g.HoWo();

  // Initialise the output with the bias (or add it), then accumulate the products on top.
  T beta = GemmBeta<T>(req);
  if (bias != nullptr) {
    ParallelForWork(g.N * g.F, P, [&](int64_t t) {
      T *yp = y + t * P;
      const T b = bias[t % g.F];
      if (req == kAddTo) {
        for (int64_t q = 0; q < P; ++q) yp[q] += b;
      } else {
        std::fill(yp, yp + P, b);
      }
    });
    beta = T(1);
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

void ConvForward(MXC_NN_FORWARD_ARGS) {
  if (req[0] == kNullOp) return;
  MXC_REAL_TYPE_SWITCH(in[0].dtype, T, { ConvForwardT<T>(p, in, req[0], out[0]); });
}

template <typename T>
void ConvBackwardT(const OpParams &p, const TBlob &dyb, const std::vector<TBlob> &in_data,
                   const std::vector<OpReq> &req, const std::vector<TBlob> &in_grad) {
  const ConvGeom g = ConvGeometry(p, in_data[0].shape);
  const T *dy = dyb.ptr<T>();
  const T *x = in_data[0].ptr<T>();
  const T *w = in_data[1].ptr<T>();
  const int64_t Fg = g.Fg(), K = g.K(), P = g.HoWo();
  const bool want_dx = req[0] != kNullOp, want_dw = req[1] != kNullOp;
  T *dx = want_dx ? in_grad[0].ptr<T>() : nullptr;
  T *dw = want_dw ? in_grad[1].ptr<T>() : nullptr;

  // d bias[f] = sum over samples and positions of dy[n, f, :]
  if (!p.Bool("no_bias") && req[2] != kNullOp) {
    std::vector<T> acc(g.F, T(0));
    for (int64_t n = 0; n < g.N; ++n)
      for (int64_t f = 0; f < g.F; ++f) {
        const T *d = dy + (n * g.F + f) * P;
        T s = 0;
        for (int64_t q = 0; q < P; ++q) s += d[q];
        acc[f] += s;
      }
    T *db = in_grad[2].ptr<T>();
    for (int64_t f = 0; f < g.F; ++f) Assign(db + f, req[2], acc[f]);
  }
  if (!want_dx && !want_dw) return;

  if (g.Is1x1()) {
    for (int64_t n = 0; n < g.N; ++n)
      for (int64_t gi = 0; gi < g.G; ++gi) {
        const T *dyn = dy + (n * g.F + gi * Fg) * P;
        const int64_t xoff = (n * g.C + gi * g.Cg()) * g.HW();
        if (want_dw)
          Gemm(false, true, Fg, K, P, T(1), dyn, P, x + xoff, g.HW(), n == 0 ? GemmBeta<T>(req[1]) : T(1),
               dw + gi * Fg * K, K);
        if (want_dx)
          Gemm(true, false, K, P, Fg, T(1), w + gi * Fg * K, K, dyn, P, GemmBeta<T>(req[0]), dx + xoff, g.HW());
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
      if (want_dw) {
        // d weight_g (+)= dy_g * col^T
        Im2Col(x, g, n0, nb, gi * g.Cg(), col);
        Gemm(false, true, Fg, K, L, T(1), dym, L, col, L, n0 == 0 ? GemmBeta<T>(req[1]) : T(1), dw + gi * Fg * K,
             K);
      }
      if (want_dx) {
        // d col = weight_g^T * dy_g, folded back into the data gradient.
        Gemm(true, false, K, L, Fg, T(1), w + gi * Fg * K, K, dym, L, T(0), col, L);
        Col2Im(col, g, n0, nb, gi * g.Cg(), dx, req[0] == kAddTo);
      }
    }
  }
}

void ConvBackward(MXC_NN_BACKWARD_ARGS) {
  MXC_REAL_TYPE_SWITCH(in_data[0].dtype, T, { ConvBackwardT<T>(p, out_grad[0], in_data, req, in_grad); });
}

}  // namespace

MXC_REGISTER_OP(Convolution)
    .describe("Convolution over 1-D (NCW) or 2-D (NCHW) data with num_filter filters of shape (C/num_group, "
              "*kernel), stride, zero padding, dilation and groups. out[n, f] = bias[f] + sum_c weight[f, c] * "
              "data[n, c] (cross-correlation). Output size per dimension: (in + 2*pad - dilate*(kernel-1) - 1) / "
              "stride + 1.")
    .set_inputs({"data", "weight", "bias"})
    .set_input_names([](const OpParams &p) {
      return p.Bool("no_bias") ? std::vector<std::string>{"data", "weight"}
                               : std::vector<std::string>{"data", "weight", "bias"};
    })
    .add_required_param("kernel", ParamKind::kShape, "Convolution kernel size: (w,) or (h, w).")
    .add_param("stride", ParamKind::kShape, "()", "Convolution stride: (w,) or (h, w). Defaults to 1 for each "
                                                  "dimension.")
    .add_param("dilate", ParamKind::kShape, "()", "Convolution dilation: (w,) or (h, w). Defaults to 1 for each "
                                                  "dimension.")
    .add_param("pad", ParamKind::kShape, "()", "Zero padding on both sides: (w,) or (h, w). Defaults to no padding.")
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
    .add_param("layout", ParamKind::kEnum, "None", "Set layout for input and output: NCW or NCHW (None: default).",
               {"None", "NCDHW", "NCHW", "NCW", "NDHWC", "NHWC"})
    .set_infer_shape(ConvInferShape)
    .set_infer_type(FloatOnlyTypeInfer)
    .set_compute(MXC_CPU, ConvForward)
    .set_backward(MXC_CPU, ConvBackward)
    .set_backward_uses(true, false);

}  // namespace op
}  // namespace mxc
