// Miscellaneous MXNet 1.x operators:
// - SVMOutput: a support-vector-machine head (output = data; gradient of the one-vs-all squared hinge loss, or of
//   the hinge loss with use_linear), like the other output heads ignoring the head gradient.
// - Crop: the legacy crop of the spatial axes of (N, C, H, W) to h_w or to the size of a second input, at offset or
//   in the centre.
// - softmax_cross_entropy: the summed cross-entropy of softmax(data) (N, C) against integer labels (N,); output (1,).
// - _split_v2: split along an axis at indices (or into equal sections), the operator behind split_v2.
// - _histogram: counts of data in bin_cnt equal bins of range, or in the bins given as an array; outputs the counts
//   (int64) and the bin edges.
// - im2col / col2im: sliding blocks of (N, C, *spatial) (1 to 3 spatial axes) to columns (N, C * prod(kernel), L)
//   and back (summing overlaps); each one's gradient is the other.
#include <cstdlib>
#include <numeric>
#include <vector>

#include "nn_util.h"

namespace mxc {
namespace op {
namespace {

std::string Where(const OpParams &p) { return std::string("operator ") + p.op()->name + ": "; }

// ---- SVMOutput ---------------------------------------------------------------------------------------------------
void SVMInferShape(const OpParams &p, std::vector<TShape> *in, std::vector<TShape> *out) {
  TShape &d = (*in)[0];
  ShapeAssign(&d, (*out)[0], p.op(), "data");
  if (d.empty()) return;
  if (d.ndim() < 2)
    Throw(ErrorKind::kShape, Where(p), "data shape ", ShapeStr(d), ": the data must be (batch, num_classes, ...)");
  TShape l = d;
  l.erase(l.begin() + 1);
  ShapeAssign(&(*in)[1], l, p.op(), "label");
  ShapeAssign(&(*out)[0], d, p.op(), "output");
}

void SVMForward(MXC_NN_FORWARD_ARGS) {
  if (req[0] == kNullOp) return;
  MXC_REAL_TYPE_SWITCH(out[0].dtype, T, {
    const T *x = in[0].ptr<T>();
    MapReq(out[0].ptr<T>(), req[0], in[0].Size(), [x](int64_t i) { return x[i]; });
  });
}

void SVMBackward(MXC_NN_BACKWARD_ARGS) {
  ZeroGrad(in_grad[1], req[1]);
  if (req[0] == kNullOp) return;
  const TShape &ds = in_data[0].shape;
  const int64_t N = ds[0], C = ds[1], inner = ds.ndim() > 2 ? in_data[0].Size() / (N * C) : 1;
  const double margin = p.Float("margin"), reg = p.Float("regularization_coefficient");
  const bool linear = p.Bool("use_linear");
  MXC_REAL_TYPE_SWITCH(in_data[0].dtype, T, {
    const T *x = in_data[0].ptr<T>();
    std::vector<int64_t> lab(in_data[1].Size());
    MXC_TYPE_SWITCH(in_data[1].dtype, L, {
      const L *l = in_data[1].ptr<L>();
      for (size_t i = 0; i < lab.size(); ++i) lab[i] = static_cast<int64_t>(l[i]);
    });
    T *dx = in_grad[0].ptr<T>();
    for (int64_t n = 0; n < N; ++n)
      for (int64_t s = 0; s < inner; ++s) {
        const int64_t y = lab[n * inner + s];
        for (int64_t c = 0; c < C; ++c) {
          const int64_t i = (n * C + c) * inner + s;
          const double v = static_cast<double>(x[i]);
          double g;
          if (c == y) {
            const double h = margin - v;
            g = h > 0 ? -reg * (linear ? 1.0 : 2.0 * h) : 0.0;
          } else {
            const double h = margin + v;
            g = h > 0 ? reg * (linear ? 1.0 : 2.0 * h) : 0.0;
          }
          Assign(dx + i, req[0], static_cast<T>(g));
        }
      }
  });
}

// ---- Crop --------------------------------------------------------------------------------------------------------
struct CropBox {
  int64_t oy = 0, ox = 0, h = 0, w = 0;
};

CropBox PlanCrop(const OpParams &p, const TShape &d, const TShape *like) {
  CropBox b;
  if (like) {
    if (like->ndim() != 4)
      Throw(ErrorKind::kShape, Where(p), "crop_like shape ", ShapeStr(*like), " must be 4-D");
    b.h = (*like)[2], b.w = (*like)[3];
  } else {
    const auto &hw = p.Tuple("h_w");
    if (hw.size() != 2) Throw(ErrorKind::kValue, Where(p), "h_w ", ShapeStr(TShape(hw)), " must be (h, w)");
    b.h = hw[0], b.w = hw[1];
  }
  if (p.Bool("center_crop")) {
    b.oy = (d[2] - b.h) / 2, b.ox = (d[3] - b.w) / 2;
  } else {
    const auto &off = p.Tuple("offset");
    if (off.size() != 2) Throw(ErrorKind::kValue, Where(p), "offset ", ShapeStr(TShape(off)), " must be (y, x)");
    b.oy = off[0], b.ox = off[1];
  }
  if (b.h <= 0 || b.w <= 0 || b.oy < 0 || b.ox < 0 || b.oy + b.h > d[2] || b.ox + b.w > d[3])
    Throw(ErrorKind::kShape, Where(p), "data shape ", ShapeStr(d), ": the crop of size (", b.h, ", ", b.w,
          ") at offset (", b.oy, ", ", b.ox, ") does not fit in the data",
          like ? std::string(" (crop_like shape ") + ShapeStr(*like) + ")" : std::string());
  return b;
}

void CropInferShape(const OpParams &p, std::vector<TShape> *in, std::vector<TShape> *out) {
  const int64_t n = p.Int("num_args");
  if (n != 1 && n != 2) Throw(ErrorKind::kValue, Where(p), "num_args = ", n, " must be 1 or 2");
  const TShape &d = (*in)[0];
  if (d.empty()) return;
  if (d.ndim() != 4)
    Throw(ErrorKind::kShape, Where(p), "data shape ", ShapeStr(d), ": the data must be 4-D (batch, channel, H, W)");
  if (n == 2 && (*in)[1].empty()) return;
  const CropBox b = PlanCrop(p, d, n == 2 ? &(*in)[1] : nullptr);
  ShapeAssign(&(*out)[0], TShape{d[0], d[1], b.h, b.w}, p.op(), "output");
}

void CropForward(MXC_NN_FORWARD_ARGS) {
  if (req[0] == kNullOp) return;
  const TShape &d = in[0].shape;
  const CropBox b = PlanCrop(p, d, in.size() == 2 ? &in[1].shape : nullptr);
  MXC_TYPE_SWITCH(out[0].dtype, T, {
    const T *x = in[0].ptr<T>();
    T *y = out[0].ptr<T>();
    for (int64_t pl = 0; pl < d[0] * d[1]; ++pl)
      for (int64_t h = 0; h < b.h; ++h)
        for (int64_t w = 0; w < b.w; ++w)
          Assign(y + (pl * b.h + h) * b.w + w, req[0], x[(pl * d[2] + h + b.oy) * d[3] + w + b.ox]);
  });
}

void CropBackward(MXC_NN_BACKWARD_ARGS) {
  if (in_grad.size() == 2) ZeroGrad(in_grad[1], req[1]);
  if (req[0] == kNullOp) return;
  ZeroGrad(in_grad[0], req[0]);
  const TShape &d = in_grad[0].shape, &o = out_grad[0].shape;
  CropBox b;
  if (p.Bool("center_crop")) {
    b.oy = (d[2] - o[2]) / 2, b.ox = (d[3] - o[3]) / 2;
  } else {
    b.oy = p.Tuple("offset")[0], b.ox = p.Tuple("offset")[1];
  }
  MXC_TYPE_SWITCH(out_grad[0].dtype, T, {
    const T *g = out_grad[0].ptr<T>();
    T *dx = in_grad[0].ptr<T>();
    for (int64_t pl = 0; pl < d[0] * d[1]; ++pl)
      for (int64_t h = 0; h < o[2]; ++h)
        for (int64_t w = 0; w < o[3]; ++w)
          dx[(pl * d[2] + h + b.oy) * d[3] + w + b.ox] += g[(pl * o[2] + h) * o[3] + w];
  });
}

// ---- softmax_cross_entropy ---------------------------------------------------------------------------------------
void SCEInferShape(const OpParams &p, std::vector<TShape> *in, std::vector<TShape> *out) {
  const TShape &d = (*in)[0];
  if (d.empty()) return;
  if (d.ndim() != 2)
    Throw(ErrorKind::kShape, Where(p), "data shape ", ShapeStr(d), ": the data must be 2-D (batch, num_classes)");
  ShapeAssign(&(*in)[1], TShape{d[0]}, p.op(), "label");
  ShapeAssign(&(*out)[0], TShape{1}, p.op(), "output");
}

template <typename T, typename F>
void SCERows(const TBlob &data, const TBlob &label, F f) {
  const int64_t N = data.shape[0], C = data.shape[1];
  const T *x = data.ptr<T>();
  std::vector<int64_t> lab(N);
  MXC_TYPE_SWITCH(label.dtype, L, {
    const L *l = label.ptr<L>();
    for (int64_t i = 0; i < N; ++i) lab[i] = static_cast<int64_t>(l[i]);
  });
  std::vector<double> prob(C);
  for (int64_t n = 0; n < N; ++n) {
    const T *r = x + n * C;
    double m = static_cast<double>(r[0]);
    for (int64_t c = 1; c < C; ++c) m = std::max(m, static_cast<double>(r[c]));
    double s = 0;
    for (int64_t c = 0; c < C; ++c) s += (prob[c] = std::exp(static_cast<double>(r[c]) - m));
    for (int64_t c = 0; c < C; ++c) prob[c] /= s;
    const int64_t y = lab[n];
    if (y < 0 || y >= C)
      Throw(ErrorKind::kValue, "operator softmax_cross_entropy: label[", n, "] = ", y, " is outside [0, ", C, ")");
    f(n, y, prob, m + std::log(s) - static_cast<double>(r[y]));
  }
}

void SCEForward(MXC_NN_FORWARD_ARGS) {
  if (req[0] == kNullOp) return;
  MXC_REAL_TYPE_SWITCH(out[0].dtype, T, {
    double total = 0;
    SCERows<T>(in[0], in[1], [&](int64_t, int64_t, const std::vector<double> &, double nll) { total += nll; });
    Assign(out[0].ptr<T>(), req[0], static_cast<T>(total));
  });
}

void SCEBackward(MXC_NN_BACKWARD_ARGS) {
  ZeroGrad(in_grad[1], req[1]);
  if (req[0] == kNullOp) return;
  MXC_REAL_TYPE_SWITCH(in_data[0].dtype, T, {
    const double g = static_cast<double>(out_grad[0].ptr<T>()[0]);
    const int64_t C = in_data[0].shape[1];
    T *dx = in_grad[0].ptr<T>();
    SCERows<T>(in_data[0], in_data[1], [&](int64_t n, int64_t y, const std::vector<double> &prob, double) {
      for (int64_t c = 0; c < C; ++c) Assign(dx + n * C + c, req[0], static_cast<T>(g * (prob[c] - (c == y))));
    });
  });
}

// ---- _split_v2 ---------------------------------------------------------------------------------------------------
struct SplitV2Plan {
  int axis = 0;
  int64_t outer = 1, n = 0, inner = 1;
  std::vector<int64_t> begin, end;  // per output, along the axis
};

int64_t SplitV2Count(const OpParams &p) {
  const int64_t s = p.Int("sections");
  return s > 0 ? s : static_cast<int64_t>(std::max<size_t>(p.Tuple("indices").size(), 1));
}

SplitV2Plan PlanSplitV2(const OpParams &p, const TShape &d) {
  SplitV2Plan s;
  if (d.ndim() == 0) Throw(ErrorKind::kShape, Where(p), "cannot split a 0-D array");
  s.axis = NormalizeAxis(p.Int("axis"), d.ndim(), p.op());
  const AxisSplit a = SplitAt(d, s.axis);
  s.outer = a.outer, s.n = a.n, s.inner = a.inner;
  const int64_t sections = p.Int("sections");
  if (sections < 0) Throw(ErrorKind::kValue, Where(p), "sections = ", sections, " must not be negative");
  if (sections > 0) {
    if (s.n % sections)
      Throw(ErrorKind::kShape, Where(p), "data shape ", ShapeStr(d), ": axis ", s.axis, " (size ", s.n,
            ") does not divide into ", sections, " equal sections");
    const int64_t part = s.n / sections;
    for (int64_t i = 0; i < sections; ++i) s.begin.push_back(i * part), s.end.push_back((i + 1) * part);
  } else {
    const auto &idx = p.Tuple("indices");
    if (idx.empty()) Throw(ErrorKind::kValue, Where(p), "indices must not be empty when sections is 0");
    for (size_t i = 0; i < idx.size(); ++i) {
      const int64_t b = idx[i], e = i + 1 < idx.size() ? idx[i + 1] : s.n;
      if (b < 0 || b > e || e > s.n)
        Throw(ErrorKind::kValue, Where(p), "indices ", ShapeStr(TShape(idx)),
              " must be non-decreasing split points within the size ", s.n, " of axis ", s.axis, " of data shape ",
              ShapeStr(d));
      s.begin.push_back(b), s.end.push_back(e);
    }
  }
  if (p.Bool("squeeze_axis"))
    for (size_t i = 0; i < s.begin.size(); ++i)
      if (s.end[i] - s.begin[i] != 1)
        Throw(ErrorKind::kShape, Where(p), "squeeze_axis needs every part of axis ", s.axis,
              " to have size 1 (data shape ", ShapeStr(d), ")");
  return s;
}

void SplitV2InferShape(const OpParams &p, std::vector<TShape> *in, std::vector<TShape> *out) {
  const TShape &d = (*in)[0];
  if (d.empty() || !ShapeKnown(d)) return;
  const SplitV2Plan s = PlanSplitV2(p, d);
  for (size_t i = 0; i < out->size(); ++i) {
    TShape o = d;
    o[s.axis] = s.end[i] - s.begin[i];
    if (p.Bool("squeeze_axis")) {
      o.erase(o.begin() + s.axis);
      if (o.empty()) o.push_back(1);
    }
    ShapeAssign(&(*out)[i], o, p.op(), "output" + std::to_string(i));
  }
}

void SplitV2Forward(MXC_NN_FORWARD_ARGS) {
  const SplitV2Plan s = PlanSplitV2(p, in[0].shape);
  MXC_TYPE_SWITCH(in[0].dtype, T, {
    const T *x = in[0].ptr<T>();
    for (size_t i = 0; i < out.size(); ++i) {
      if (req[i] == kNullOp) continue;
      const int64_t len = s.end[i] - s.begin[i];
      T *y = out[i].ptr<T>();
      for (int64_t o = 0; o < s.outer; ++o)
        for (int64_t k = 0; k < len * s.inner; ++k)
          Assign(y + o * len * s.inner + k, req[i], x[(o * s.n + s.begin[i]) * s.inner + k]);
    }
  });
}

void SplitV2Backward(MXC_NN_BACKWARD_ARGS) {
  if (req[0] == kNullOp) return;
  ZeroGrad(in_grad[0], req[0]);
  const SplitV2Plan s = PlanSplitV2(p, in_grad[0].shape);
  MXC_TYPE_SWITCH(in_grad[0].dtype, T, {
    T *dx = in_grad[0].ptr<T>();
    for (size_t i = 0; i < out_grad.size(); ++i) {
      const int64_t len = s.end[i] - s.begin[i];
      const T *g = out_grad[i].ptr<T>();
      for (int64_t o = 0; o < s.outer; ++o)
        for (int64_t k = 0; k < len * s.inner; ++k)
          dx[(o * s.n + s.begin[i]) * s.inner + k] += g[o * len * s.inner + k];
    }
  });
}

// ---- _histogram --------------------------------------------------------------------------------------------------
bool HistHasBinCount(const OpParams &p) { return !p.IsNone("bin_cnt"); }

// The range parameter: "None" or a pair "(lo, hi)".
bool HistRange(const OpParams &p, double *lo, double *hi) {
  std::string s = p.Str("range");
  for (char &c : s)
    if (c == '(' || c == ')' || c == '[' || c == ']' || c == ',') c = ' ';
  if (s.find("None") != std::string::npos || s.find_first_not_of(' ') == std::string::npos) return false;
  char *e1 = nullptr, *e2 = nullptr;
  *lo = std::strtod(s.c_str(), &e1);
  *hi = std::strtod(e1, &e2);
  if (e1 == s.c_str() || e2 == e1 || std::string(e2).find_first_not_of(' ') != std::string::npos)
    Throw(ErrorKind::kValue, Where(p), "range '", p.Str("range"), "' must be None or a pair (min, max)");
  if (!(*lo < *hi)) Throw(ErrorKind::kValue, Where(p), "range (", *lo, ", ", *hi, "): max must be larger than min");
  return true;
}

void HistInferShape(const OpParams &p, std::vector<TShape> *in, std::vector<TShape> *out) {
  if (HistHasBinCount(p)) {
    const int64_t n = p.Int("bin_cnt");
    if (n <= 0) Throw(ErrorKind::kValue, Where(p), "bin_cnt = ", n, " must be positive");
    double lo, hi;
    if (!HistRange(p, &lo, &hi)) Throw(ErrorKind::kValue, Where(p), "range must be given with bin_cnt");
    ShapeAssign(&(*out)[0], TShape{n}, p.op(), "output0");
    ShapeAssign(&(*out)[1], TShape{n + 1}, p.op(), "output1");
    return;
  }
  const TShape &b = (*in)[1];
  if (b.empty()) return;
  if (b.ndim() != 1 || (b[0] && b[0] < 2))
    Throw(ErrorKind::kShape, Where(p), "bins shape ", ShapeStr(b), ": the bin edges must be 1-D with at least 2 "
                                                                   "values");
  ShapeAssign(&(*out)[0], TShape{b[0] - 1}, p.op(), "output0");
  ShapeAssign(&(*out)[1], b, p.op(), "output1");
}

void HistInferType(const OpParams &p, std::vector<int> *in, std::vector<int> *out) {
  int &d = (*in)[0];
  if (d < 0) d = (*out)[1];
  TypeAssign(&(*out)[0], kInt64, p.op(), "output0");
  if (d < 0) return;
  if (in->size() > 1) TypeAssign(&(*in)[1], d, p.op(), "bins");
  TypeAssign(&(*out)[1], d, p.op(), "output1");
}

void HistForward(MXC_NN_FORWARD_ARGS) {
  const int64_t nb = out[0].Size();
  std::vector<double> edges(nb + 1);
  MXC_TYPE_SWITCH(in[0].dtype, T, {
    if (HistHasBinCount(p)) {
      double lo = 0, hi = 1;
      HistRange(p, &lo, &hi);
      for (int64_t i = 0; i <= nb; ++i) edges[i] = lo + (hi - lo) * static_cast<double>(i) / static_cast<double>(nb);
    } else {
      const T *b = in[1].ptr<T>();
      for (int64_t i = 0; i <= nb; ++i) edges[i] = static_cast<double>(b[i]);
      for (int64_t i = 0; i < nb; ++i)
        if (!(edges[i] <= edges[i + 1]))
          Throw(ErrorKind::kValue, Where(p), "the bin edges must increase monotonically (bins[", i, "] = ", edges[i],
                ", bins[", i + 1, "] = ", edges[i + 1], ")");
    }
    std::vector<int64_t> counts(nb, 0);
    const T *x = in[0].ptr<T>();
    const bool uniform = HistHasBinCount(p);
    for (int64_t i = 0; i < in[0].Size(); ++i) {
      const double v = static_cast<double>(x[i]);
      if (!(v >= edges[0] && v <= edges[nb])) continue;
      int64_t k;
      if (uniform) {
        k = static_cast<int64_t>((v - edges[0]) / (edges[nb] - edges[0]) * static_cast<double>(nb));
        k = std::min(std::max<int64_t>(k, 0), nb - 1);
      } else {
        k = std::upper_bound(edges.begin(), edges.end(), v) - edges.begin() - 1;
        k = std::min(k, nb - 1);
      }
      ++counts[k];
    }
    int64_t *h = out[0].ptr<int64_t>();
    for (int64_t i = 0; i < nb; ++i) Assign(h + i, req[0], counts[i]);
    T *e = out[1].ptr<T>();
    for (int64_t i = 0; i <= nb; ++i) Assign(e + i, req[1], static_cast<T>(edges[i]));
  });
}

// ---- im2col / col2im ---------------------------------------------------------------------------------------------
// The geometry of a convolution with 1 to 3 spatial axes, seen as 3 axes (leading ones of size 1).
struct ColGeom {
  int nd = 0;
  int64_t N = 0, C = 0, in[3] = {1, 1, 1}, out[3] = {1, 1, 1}, k[3] = {1, 1, 1}, s[3] = {1, 1, 1},
          dl[3] = {1, 1, 1}, pd[3] = {0, 0, 0};
  int64_t K() const { return k[0] * k[1] * k[2]; }
  int64_t L() const { return out[0] * out[1] * out[2]; }
  int64_t In() const { return in[0] * in[1] * in[2]; }
};

// spatial: the image's spatial sizes (im2col: the data's; col2im: output_size).
ColGeom MakeGeom(const OpParams &p, int64_t N, int64_t C, const std::vector<int64_t> &spatial) {
  ColGeom g;
  const auto &kernel = p.Tuple("kernel");
  g.nd = static_cast<int>(kernel.size());
  if (g.nd < 1 || g.nd > 3)
    Throw(ErrorKind::kValue, Where(p), "kernel ", ShapeStr(TShape(kernel)), " must have 1 to 3 spatial dimensions");
  if (static_cast<int>(spatial.size()) != g.nd)
    Throw(ErrorKind::kShape, Where(p), "the kernel ", ShapeStr(TShape(kernel)), " has ", g.nd,
          " spatial dimension(s) but the image has ", spatial.size(), " (", ShapeStr(TShape(spatial)), ")");
  const auto st = SpatialParam(p, "stride", g.nd, 1), di = SpatialParam(p, "dilate", g.nd, 1),
             pa = SpatialParam(p, "pad", g.nd, 0);
  g.N = N, g.C = C;
  const int off = 3 - g.nd;
  for (int i = 0; i < g.nd; ++i) {
    const int a = i + off;
    g.in[a] = spatial[i], g.k[a] = kernel[i], g.s[a] = st[i], g.dl[a] = di[i], g.pd[a] = pa[i];
    if (g.k[a] <= 0 || g.s[a] <= 0 || g.dl[a] <= 0 || g.pd[a] < 0)
      Throw(ErrorKind::kValue, Where(p), "kernel, stride and dilate must be positive and pad not negative (kernel=",
            ShapeStr(TShape(kernel)), ")");
    const int64_t ext = g.dl[a] * (g.k[a] - 1) + 1;
    const int64_t padded = g.in[a] + 2 * g.pd[a];
    if (padded < ext)
      Throw(ErrorKind::kShape, Where(p), "the dilated kernel size ", ext, " exceeds the padded image size ", padded,
            " (image ", ShapeStr(TShape(spatial)), ", kernel ", ShapeStr(TShape(kernel)), ")");
    g.out[a] = (padded - ext) / g.s[a] + 1;
  }
  return g;
}

// f(column index within the (C*K, L) matrix of one sample, image index within the sample's (C, in) or -1).
template <typename F>
void ColForEach(const ColGeom &g, F f) {
  const int64_t K = g.K(), L = g.L();
  for (int64_t c = 0; c < g.C; ++c)
    for (int64_t ka = 0; ka < g.k[0]; ++ka)
      for (int64_t kb = 0; kb < g.k[1]; ++kb)
        for (int64_t kc = 0; kc < g.k[2]; ++kc) {
          const int64_t row = c * K + (ka * g.k[1] + kb) * g.k[2] + kc;
          int64_t l = 0;
          for (int64_t a = 0; a < g.out[0]; ++a)
            for (int64_t b = 0; b < g.out[1]; ++b)
              for (int64_t d = 0; d < g.out[2]; ++d, ++l) {
                const int64_t ia = a * g.s[0] - g.pd[0] + ka * g.dl[0];
                const int64_t ib = b * g.s[1] - g.pd[1] + kb * g.dl[1];
                const int64_t ic = d * g.s[2] - g.pd[2] + kc * g.dl[2];
                const bool inside = ia >= 0 && ia < g.in[0] && ib >= 0 && ib < g.in[1] && ic >= 0 && ic < g.in[2];
                f(row * L + l, inside ? c * g.In() + (ia * g.in[1] + ib) * g.in[2] + ic : int64_t(-1));
              }
        }
}

ColGeom Im2colGeom(const OpParams &p, const TShape &d) {
  if (d.ndim() < 3 || d.ndim() > 5)
    Throw(ErrorKind::kShape, Where(p), "data shape ", ShapeStr(d), ": the data must be (N, C, spatial...) with 1 to "
                                                                   "3 spatial axes");
  return MakeGeom(p, d[0], d[1], std::vector<int64_t>(d.begin() + 2, d.end()));
}

ColGeom Col2imGeom(const OpParams &p, const TShape &d) {
  const auto &os = p.Tuple("output_size");
  const auto &kernel = p.Tuple("kernel");
  if (d.ndim() != 3)
    Throw(ErrorKind::kShape, Where(p), "data shape ", ShapeStr(d), ": the columns must be 3-D (N, C * prod(kernel), "
                                                                   "L)");
  int64_t K = 1;
  for (int64_t k : kernel) K *= k;
  if (K <= 0 || d[1] % K)
    Throw(ErrorKind::kShape, Where(p), "data shape ", ShapeStr(d), ": axis 1 (", d[1],
          ") must be a multiple of prod(kernel) = ", K, " (kernel ", ShapeStr(TShape(kernel)), ")");
  ColGeom g = MakeGeom(p, d[0], d[1] / K, os);
  if (d[2] != g.L())
    Throw(ErrorKind::kShape, Where(p), "data shape ", ShapeStr(d), ": axis 2 (", d[2], ") must be the number of "
          "blocks ", g.L(), " of output_size ", ShapeStr(TShape(os)));
  return g;
}

void Im2colInferShape(const OpParams &p, std::vector<TShape> *in, std::vector<TShape> *out) {
  const TShape &d = (*in)[0];
  if (d.empty() || !ShapeKnown(d)) return;
  const ColGeom g = Im2colGeom(p, d);
  ShapeAssign(&(*out)[0], TShape{d[0], g.C * g.K(), g.L()}, p.op(), "output");
}

void Col2imInferShape(const OpParams &p, std::vector<TShape> *in, std::vector<TShape> *out) {
  const TShape &d = (*in)[0];
  if (d.empty() || !ShapeKnown(d)) return;
  const ColGeom g = Col2imGeom(p, d);
  TShape o{d[0], g.C};
  for (int64_t v : p.Tuple("output_size")) o.push_back(v);
  ShapeAssign(&(*out)[0], o, p.op(), "output");
}

// cols (=|+=) im2col(img), or img (+)= col2im(cols) (to_image).
template <typename T>
void ColTransfer(const ColGeom &g, const T *src, T *dst, OpReq req, bool to_image) {
  const int64_t cs = g.C * g.K() * g.L(), is = g.C * g.In();
  ParallelForWork(g.N, cs, [&](int64_t n) {
    if (to_image) {
      T *img = dst + n * is;
      const T *col = src + n * cs;
      if (req != kAddTo) std::fill(img, img + is, T(0));
      ColForEach(g, [&](int64_t ci, int64_t ii) {
        if (ii >= 0) img[ii] += col[ci];
      });
    } else {
      const T *img = src + n * is;
      T *col = dst + n * cs;
      ColForEach(g, [&](int64_t ci, int64_t ii) { Assign(col + ci, req, ii >= 0 ? img[ii] : T(0)); });
    }
  });
}

void Im2colForward(MXC_NN_FORWARD_ARGS) {
  if (req[0] == kNullOp) return;
  const ColGeom g = Im2colGeom(p, in[0].shape);
  MXC_REAL_TYPE_SWITCH(in[0].dtype, T, { ColTransfer(g, in[0].ptr<T>(), out[0].ptr<T>(), req[0], false); });
}

void Im2colBackward(MXC_NN_BACKWARD_ARGS) {
  if (req[0] == kNullOp) return;
  const ColGeom g = Im2colGeom(p, in_grad[0].shape);
  MXC_REAL_TYPE_SWITCH(in_grad[0].dtype, T, {
    ColTransfer(g, out_grad[0].ptr<T>(), in_grad[0].ptr<T>(), req[0], true);
  });
}

void Col2imForward(MXC_NN_FORWARD_ARGS) {
  if (req[0] == kNullOp) return;
  const ColGeom g = Col2imGeom(p, in[0].shape);
  MXC_REAL_TYPE_SWITCH(in[0].dtype, T, { ColTransfer(g, in[0].ptr<T>(), out[0].ptr<T>(), req[0], true); });
}

void Col2imBackward(MXC_NN_BACKWARD_ARGS) {
  if (req[0] == kNullOp) return;
  const ColGeom g = Col2imGeom(p, in_grad[0].shape);
  MXC_REAL_TYPE_SWITCH(in_grad[0].dtype, T, {
    ColTransfer(g, out_grad[0].ptr<T>(), in_grad[0].ptr<T>(), req[0], false);
  });
}

Op &ColParams(Op &op) {
  return op.add_required_param("kernel", ParamKind::kShape, "Sliding kernel size: (w,), (h, w) or (d, h, w).")
      .add_param("stride", ParamKind::kShape, "()", "The stride between adjacent sliding blocks in spatial "
                                                    "dimension: (w,), (h, w) or (d, h, w). Defaults to 1 for each "
                                                    "dimension.")
      .add_param("dilate", ParamKind::kShape, "()", "The spacing between adjacent kernel points: (w,), (h, w) or (d, "
                                                    "h, w). Defaults to 1 for each dimension.")
      .add_param("pad", ParamKind::kShape, "()", "The zero-value padding size on both sides of spatial dimension: "
                                                 "(w,), (h, w) or (d, h, w). Defaults to no padding.");
}

[[maybe_unused]] const int registered = [] {
  auto *reg = OpRegistry::Get();
  reg->Register("SVMOutput")
      .describe("Support vector machine head: the output is the data; the gradient is that of the one-vs-all squared "
                "hinge loss (or the hinge loss with use_linear) against integer labels, whatever the head "
                "gradient.")
      .set_inputs({"data", "label"})
      .add_param("margin", ParamKind::kFloat, "1", "The loss function penalizes outputs that lie outside this "
                                                   "margin. Default margin is 1.")
      .add_param("regularization_coefficient", ParamKind::kFloat, "1",
                 "Regularization parameter for the SVM. This balances the tradeoff between coefficient size and "
                 "error.")
      .add_param("use_linear", ParamKind::kBool, "False",
                 "Whether to use L1-SVM objective. L2-SVM objective is used by default.")
      .set_infer_shape(SVMInferShape)
      .set_infer_type([](const OpParams &p, std::vector<int> *in, std::vector<int> *out) {
        int &d = (*in)[0];
        if (d < 0) d = (*out)[0];
        if (d < 0) return;
        if (d != kFloat32 && d != kFloat64)
          Throw(ErrorKind::kType, Where(p), "'data' has dtype ", DTypeName(d), ", which is not supported (float32, "
                                                                               "float64)");
        TypeAssign(&(*out)[0], d, p.op(), "output");
        if ((*in)[1] < 0) (*in)[1] = d;
      })
      .set_loss()
      .set_compute(MXC_CPU, SVMForward)
      .set_backward(MXC_CPU, SVMBackward)
      .set_backward_uses(true, false);
  reg->Register("Crop")
      .describe("Crops the spatial axes of (batch, channel, H, W) to h_w, or to the size of a second input "
                "(crop_like), at offset or in the centre.")
      .set_variadic("num_args", "data")
      .add_required_param("num_args", ParamKind::kInt,
                          "Number of inputs for crop: 1 (crop to h_w) or 2 (crop to the shape of the second input).")
      .add_param("offset", ParamKind::kShape, "(0,0)", "crop offset coordinate: (y, x)")
      .add_param("h_w", ParamKind::kShape, "(0,0)", "crop height and width: (h, w)")
      .add_param("center_crop", ParamKind::kBool, "False",
                 "If set to true, then it will use the center_crop, or it will crop using the shape of crop_like")
      .set_infer_shape(CropInferShape)
      .set_compute(MXC_CPU, CropForward)
      .set_backward(MXC_CPU, CropBackward)
      .set_backward_uses(false, false);
  reg->Register("softmax_cross_entropy")
      .describe("The cross-entropy of softmax(data) (batch, num_classes) against integer labels (batch,), summed "
                "over the batch; output (1,).")
      .set_inputs({"data", "label"})
      .set_infer_shape(SCEInferShape)
      .set_infer_type(FloatOnlyTypeInfer)
      .set_compute(MXC_CPU, SCEForward)
      .set_backward(MXC_CPU, SCEBackward)
      .set_backward_uses(true, false);
  reg->Register("_split_v2")
      .describe("Splits an array along an axis at the given indices (the starts of the parts), or into sections "
                "equal parts.")
      .set_inputs({"data"})
      .add_required_param("indices", ParamKind::kShape,
                          "Indices of splits. The elements should denote the boundaries of at which split is "
                          "performed along the `axis`.")
      .add_param("axis", ParamKind::kInt, "1", "Axis along which to split.")
      .add_param("squeeze_axis", ParamKind::kBool, "False",
                 "If true, Removes the axis with length 1 from the shapes of the output arrays.")
      .add_param("sections", ParamKind::kInt, "0",
                 "Number of sections if equally splitted. Default to 0 which means split by indices.")
      .set_num_outputs(SplitV2Count)
      .set_infer_shape(SplitV2InferShape)
      .set_compute(MXC_CPU, SplitV2Forward)
      .set_backward(MXC_CPU, SplitV2Backward)
      .set_backward_uses(false, false);
  reg->Register("_histogram")
      .describe("Counts the data in bin_cnt equal bins of range, or in the bins whose edges are given; outputs the "
                "counts (int64) and the bin edges.")
      .set_inputs({"data", "bins"})
      .set_input_names([](const OpParams &p) {
        return HistHasBinCount(p) ? std::vector<std::string>{"data"} : std::vector<std::string>{"data", "bins"};
      })
      .add_param("bin_cnt", ParamKind::kOptInt, "None", "Number of bins for uniform case")
      .add_param("range", ParamKind::kString, "None",
                 "The lower and upper range of the bins. if not provided, range is simply (a.min(), a.max()).")
      .set_num_outputs(2)
      .set_infer_shape(HistInferShape)
      .set_infer_type(HistInferType)
      .set_compute(MXC_CPU, HistForward);
  ColParams(reg->Register("im2col")
                .describe("Extracts the sliding blocks of (N, C, spatial...) into columns (N, C * prod(kernel), "
                          "number of blocks)."))
      .set_inputs({"data"})
      .set_infer_shape(Im2colInferShape)
      .set_infer_type(FloatOnlyTypeInfer)
      .set_compute(MXC_CPU, Im2colForward)
      .set_backward(MXC_CPU, Im2colBackward)
      .set_backward_uses(false, false);
  ColParams(reg->Register("col2im")
                .describe("Sums columns (N, C * prod(kernel), number of blocks) back into an image (N, C, "
                          "output_size...): the adjoint of im2col.")
                .set_inputs({"data"})
                .add_required_param("output_size", ParamKind::kShape,
                                    "The spatial dimension of image array: (w,), (h, w) or (d, h, w)."))
      .set_infer_shape(Col2imInferShape)
      .set_infer_type(FloatOnlyTypeInfer)
      .set_compute(MXC_CPU, Col2imForward)
      .set_backward(MXC_CPU, Col2imBackward)
      .set_backward_uses(false, false);
  return 0;
}();

}  // namespace
}  // namespace op
}  // namespace mxc
