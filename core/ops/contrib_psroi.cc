// Position-sensitive ROI pooling (R-FCN), MXNet 1.x contrib:
// - _contrib_PSROIPooling: data (N, output_dim * group_size^2, H, W), rois (R, 5) = [batch_index, x1, y1, x2, y2]
//   -> (R, output_dim, pooled_size, pooled_size). Bin (ph, pw) of output channel k averages the integer pixels of
//   its bin in channel (k * group_size + gh) * group_size + gw, (gh, gw) the group cell of the bin; an empty bin is 0.
// - _contrib_DeformablePSROIPooling: bins of fractional size sampled sample_per_part^2 times by bilinear
//   interpolation, each bin moved by trans (R, 2 * num_classes, part_size, part_size) * trans_std times the roi's
//   size (no_trans: not moved, no trans input).
// No gradient flows to the rois.
#include <cmath>
#include <vector>

#include "nn_util.h"

namespace mxc {
namespace op {
namespace {

std::string Where(const OpParams &p) { return std::string("operator ") + p.op()->name + ": "; }

// A float parameter as MXNet holds it (float32), so that float64 results match MXNet's.
template <typename T>
T FloatParam(const OpParams &p, const char *name) {
  return static_cast<T>(static_cast<float>(p.Float(name)));
}

bool IsDeformable(const OpParams &p) { return p.op()->ParamIndex("trans_std") >= 0; }
bool NoTrans(const OpParams &p) { return !IsDeformable(p) || p.Bool("no_trans"); }

int64_t GroupSize(const OpParams &p) {
  const int64_t g = p.Int("group_size");
  return g > 0 ? g : p.Int("pooled_size");
}
int64_t PartSize(const OpParams &p) {
  const int64_t s = p.Int("part_size");
  return s > 0 ? s : p.Int("pooled_size");
}

void PSInferShape(const OpParams &p, std::vector<TShape> *in, std::vector<TShape> *out) {
  const int64_t P = p.Int("pooled_size"), K = p.Int("output_dim"), G = GroupSize(p);
  if (P <= 0) Throw(ErrorKind::kValue, Where(p), "pooled_size must be positive, got ", P);
  if (K <= 0) Throw(ErrorKind::kValue, Where(p), "output_dim must be positive, got ", K);
  if (G <= 0) Throw(ErrorKind::kValue, Where(p), "group_size must be positive, got ", G);
  if (p.Float("spatial_scale") <= 0)
    Throw(ErrorKind::kValue, Where(p), "spatial_scale ", p.Float("spatial_scale"), " must be positive");
  const TShape &d = (*in)[0], &r = (*in)[1];
  if (!d.empty() && d.ndim() != 4)
    Throw(ErrorKind::kShape, Where(p), "data shape ", ShapeStr(d), ": the data must be 4-D (batch, channel, H, W)");
  if (!d.empty() && d[1] != K * G * G)
    Throw(ErrorKind::kShape, Where(p), "data shape ", ShapeStr(d), ": the channels must be output_dim * group_size^2 = ",
          K, " * ", G, "^2 = ", K * G * G);
  if (!r.empty() && (r.ndim() != 2 || r[1] != 5))
    Throw(ErrorKind::kShape, Where(p), "rois shape ", ShapeStr(r),
          ": the rois must be 2-D (num_rois, 5): [batch_index, x1, y1, x2, y2]");
  if (!NoTrans(p) && in->size() > 2) {
    const TShape &t = (*in)[2];
    const int64_t ps = PartSize(p);
    if (!t.empty() && (t.ndim() != 4 || t[1] <= 0 || t[1] % 2 || t[2] != ps || t[3] != ps ||
                       (!r.empty() && t[0] != r[0]) || K % (t[1] / 2)))
      Throw(ErrorKind::kShape, Where(p), "trans shape ", ShapeStr(t),
            ": trans must be (num_rois, 2 * num_classes, part_size, part_size) with part_size ", ps,
            ", num_rois of rois ", ShapeStr(r), " and output_dim ", K, " divisible by num_classes");
  }
  if (r.empty()) return;
  ShapeAssign(&(*out)[0], TShape{r[0], K, P, P}, p.op(), "output");
}

// PSROIPooling: f(output index, data plane offset (or -1 for an empty bin / roi outside the batch), hs, he, ws, we).
template <typename T, typename F>
void PSBins(const OpParams &p, const TShape &ds, const T *roi, int64_t r, F f) {
  const int64_t N = ds[0], H = ds[2], W = ds[3];
  const int64_t P = p.Int("pooled_size"), K = p.Int("output_dim"), G = GroupSize(p);
  const T scale = FloatParam<T>(p, "spatial_scale");
  const int64_t b = static_cast<int64_t>(roi[0]);
  const T x1 = static_cast<T>(std::round(roi[1])) * scale, y1 = static_cast<T>(std::round(roi[2])) * scale;
  const T x2 = static_cast<T>(std::round(roi[3]) + 1) * scale, y2 = static_cast<T>(std::round(roi[4]) + 1) * scale;
  const T rw = std::max<T>(x2 - x1, T(0.1)), rh = std::max<T>(y2 - y1, T(0.1));
  const T bh = rh / T(P), bw = rw / T(P);
  for (int64_t k = 0; k < K; ++k)
    for (int64_t ph = 0; ph < P; ++ph)
      for (int64_t pw = 0; pw < P; ++pw) {
        const int64_t o = ((r * K + k) * P + ph) * P + pw;
        int64_t hs = static_cast<int64_t>(std::floor(T(ph) * bh + y1));
        int64_t he = static_cast<int64_t>(std::ceil(T(ph + 1) * bh + y1));
        int64_t ws = static_cast<int64_t>(std::floor(T(pw) * bw + x1));
        int64_t we = static_cast<int64_t>(std::ceil(T(pw + 1) * bw + x1));
        hs = std::min(std::max<int64_t>(hs, 0), H), he = std::min(std::max<int64_t>(he, 0), H);
        ws = std::min(std::max<int64_t>(ws, 0), W), we = std::min(std::max<int64_t>(we, 0), W);
        const int64_t gh = std::min(std::max<int64_t>(ph * G / P, 0), G - 1);
        const int64_t gw = std::min(std::max<int64_t>(pw * G / P, 0), G - 1);
        const int64_t c = (k * G + gh) * G + gw;
        if (b < 0 || b >= N || he <= hs || we <= ws) {
          f(o, int64_t(-1), hs, he, ws, we);
          continue;
        }
        f(o, (b * ds[1] + c) * H * W, hs, he, ws, we);
      }
}

void PSForward(MXC_NN_FORWARD_ARGS) {
  if (req[0] == kNullOp) return;
  const TShape &ds = in[0].shape;
  const int64_t R = in[1].shape[0], W = ds[3];
  MXC_REAL_TYPE_SWITCH(in[0].dtype, T, {
    const T *x = in[0].ptr<T>(), *rois = in[1].ptr<T>();
    T *y = out[0].ptr<T>();
    ParallelForWork(R, out[0].Size() / std::max<int64_t>(R, 1) * 4, [&](int64_t r) {
      PSBins(p, ds, rois + r * 5, r, [&](int64_t o, int64_t plane, int64_t hs, int64_t he, int64_t ws, int64_t we) {
        T v = 0;
        if (plane >= 0) {
          for (int64_t h = hs; h < he; ++h)
            for (int64_t w = ws; w < we; ++w) v += x[plane + h * W + w];
          v /= T((he - hs) * (we - ws));
        }
        Assign(y + o, req[0], v);
      });
    });
  });
}

void PSBackward(MXC_NN_BACKWARD_ARGS) {
  ZeroGrad(in_grad[1], req[1]);
  if (req[0] == kNullOp) return;
  ZeroGrad(in_grad[0], req[0]);
  const TShape &ds = in_data[0].shape;
  const int64_t R = in_data[1].shape[0], W = ds[3];
  MXC_REAL_TYPE_SWITCH(in_data[0].dtype, T, {
    const T *rois = in_data[1].ptr<T>(), *dy = out_grad[0].ptr<T>();
    T *dx = in_grad[0].ptr<T>();
    for (int64_t r = 0; r < R; ++r)
      PSBins(p, ds, rois + r * 5, r, [&](int64_t o, int64_t plane, int64_t hs, int64_t he, int64_t ws, int64_t we) {
        if (plane < 0) return;
        const T g = dy[o] / T((he - hs) * (we - ws));
        for (int64_t h = hs; h < he; ++h)
          for (int64_t w = ws; w < we; ++w) dx[plane + h * W + w] += g;
      });
  });
}

// DeformablePSROIPooling: for every output element o of roi r, f(o, data plane offset, trans index of its x shift
// (-1 without trans; the y shift is part_size^2 further), roi width, roi height, samples (h, w) list, count).
struct DSample {
  double h, w;
};

template <typename T, typename F>
void DPSBins(const OpParams &p, const TShape &ds, const T *roi, const T *trans, int64_t num_classes, int64_t r,
             F f) {
  const int64_t N = ds[0], H = ds[2], W = ds[3];
  const int64_t P = p.Int("pooled_size"), K = p.Int("output_dim"), G = GroupSize(p), PS = PartSize(p);
  const int64_t S = std::max<int64_t>(p.Int("sample_per_part"), 1);
  const bool no_trans = p.Bool("no_trans");
  const T trans_std = FloatParam<T>(p, "trans_std");
  const T scale = FloatParam<T>(p, "spatial_scale");
  const int64_t b = static_cast<int64_t>(roi[0]);
  const T x1 = static_cast<T>(std::round(roi[1])) * scale - T(0.5);
  const T y1 = static_cast<T>(std::round(roi[2])) * scale - T(0.5);
  const T x2 = static_cast<T>(std::round(roi[3]) + 1) * scale - T(0.5);
  const T y2 = static_cast<T>(std::round(roi[4]) + 1) * scale - T(0.5);
  const T rw = std::max<T>(x2 - x1, T(0.1)), rh = std::max<T>(y2 - y1, T(0.1));
  const T bh = rh / T(P), bw = rw / T(P), sbh = bh / T(S), sbw = bw / T(S);
  const int64_t per_class = K / num_classes;
  std::vector<DSample> samples;
  for (int64_t k = 0; k < K; ++k)
    for (int64_t ph = 0; ph < P; ++ph)
      for (int64_t pw = 0; pw < P; ++pw) {
        const int64_t o = ((r * K + k) * P + ph) * P + pw;
        samples.clear();
        if (b < 0 || b >= N) {
          f(o, int64_t(-1), int64_t(-1), rw, rh, samples);
          continue;
        }
        const int64_t part_h = static_cast<int64_t>(std::floor(T(ph) / T(P) * T(PS)));
        const int64_t part_w = static_cast<int64_t>(std::floor(T(pw) / T(P) * T(PS)));
        const int64_t cls = k / per_class;
        int64_t ti = -1;
        T tx = 0, ty = 0;
        if (!no_trans) {
          ti = ((r * num_classes + cls) * 2 * PS + part_h) * PS + part_w;
          tx = trans[ti] * trans_std;
          ty = trans[ti + PS * PS] * trans_std;
        }
        const T wstart = T(pw) * bw + x1 + tx * rw, hstart = T(ph) * bh + y1 + ty * rh;
        const int64_t gh = std::min(std::max<int64_t>(ph * G / P, 0), G - 1);
        const int64_t gw = std::min(std::max<int64_t>(pw * G / P, 0), G - 1);
        const int64_t c = (k * G + gh) * G + gw;
        for (int64_t ih = 0; ih < S; ++ih)
          for (int64_t iw = 0; iw < S; ++iw) {
            T w = wstart + T(iw) * sbw, h = hstart + T(ih) * sbh;
            if (w < T(-0.5) || w > T(W) - T(0.5) || h < T(-0.5) || h > T(H) - T(0.5)) continue;
            w = std::min(std::max(w, T(0)), T(W - 1));
            h = std::min(std::max(h, T(0)), T(H - 1));
            samples.push_back({double(h), double(w)});
          }
        f(o, (b * ds[1] + c) * H * W, ti, rw, rh, samples);
      }
}

// Bilinear interpolation between floor and ceil of a position inside the plane (x0 == x1 at integers).
template <typename T>
struct Corners {
  int64_t x0, x1, y0, y1;
  T dx, dy;
  Corners(T h, T w) {
    x0 = static_cast<int64_t>(std::floor(w)), x1 = static_cast<int64_t>(std::ceil(w));
    y0 = static_cast<int64_t>(std::floor(h)), y1 = static_cast<int64_t>(std::ceil(h));
    dx = w - T(x0), dy = h - T(y0);
  }
};

int64_t NumClasses(const OpParams &p, const std::vector<TBlob> &in) {
  if (p.Bool("no_trans") || in.size() < 3) return 1;
  return std::max<int64_t>(in[2].shape[1] / 2, 1);
}

void DPSForward(MXC_NN_FORWARD_ARGS) {
  if (req[0] == kNullOp) return;
  const TShape &ds = in[0].shape;
  const int64_t R = in[1].shape[0], W = ds[3], nc = NumClasses(p, in);
  MXC_REAL_TYPE_SWITCH(in[0].dtype, T, {
    const T *x = in[0].ptr<T>(), *rois = in[1].ptr<T>();
    const T *trans = nc > 0 && !p.Bool("no_trans") ? in[2].ptr<T>() : nullptr;
    T *y = out[0].ptr<T>();
    ParallelForWork(R, out[0].Size() / std::max<int64_t>(R, 1) * 8, [&](int64_t r) {
      DPSBins(p, ds, rois + r * 5, trans, nc, r,
              [&](int64_t o, int64_t plane, int64_t, T, T, const std::vector<DSample> &s) {
                T v = 0;
                for (const auto &q : s) {
                  const Corners<T> c(T(q.h), T(q.w));
                  const T *xp = x + plane;
                  v += (1 - c.dx) * (1 - c.dy) * xp[c.y0 * W + c.x0] + c.dx * (1 - c.dy) * xp[c.y0 * W + c.x1] +
                       (1 - c.dx) * c.dy * xp[c.y1 * W + c.x0] + c.dx * c.dy * xp[c.y1 * W + c.x1];
                }
                Assign(y + o, req[0], s.empty() ? T(0) : v / T(s.size()));
              });
    });
  });
}

void DPSBackward(MXC_NN_BACKWARD_ARGS) {
  ZeroGrad(in_grad[1], req[1]);
  const bool has_trans = !p.Bool("no_trans") && in_grad.size() > 2;
  const OpReq rt = has_trans ? req[2] : kNullOp;
  if (req[0] == kNullOp && rt == kNullOp) return;
  ZeroGrad(in_grad[0], req[0]);
  if (has_trans) ZeroGrad(in_grad[2], rt);
  const TShape &ds = in_data[0].shape;
  const int64_t R = in_data[1].shape[0], W = ds[3], nc = NumClasses(p, in_data);
  const int64_t PS = PartSize(p);
  MXC_REAL_TYPE_SWITCH(in_data[0].dtype, T, {
    const T *x = in_data[0].ptr<T>(), *rois = in_data[1].ptr<T>(), *dy = out_grad[0].ptr<T>();
    const T *trans = has_trans ? in_data[2].ptr<T>() : nullptr;
    T *dx = req[0] != kNullOp ? in_grad[0].ptr<T>() : nullptr;
    T *dt = rt != kNullOp ? in_grad[2].ptr<T>() : nullptr;
    const T trans_std = FloatParam<T>(p, "trans_std");
    for (int64_t r = 0; r < R; ++r)
      DPSBins(p, ds, rois + r * 5, trans, nc, r,
              [&](int64_t o, int64_t plane, int64_t ti, T rw, T rh, const std::vector<DSample> &s) {
                if (s.empty()) return;
                const T g = dy[o] / T(s.size());
                const T *xp = x + plane;
                for (const auto &q : s) {
                  const Corners<T> c(T(q.h), T(q.w));
                  if (dx) {
                    T *d = dx + plane;
                    d[c.y0 * W + c.x0] += (1 - c.dx) * (1 - c.dy) * g;
                    d[c.y0 * W + c.x1] += c.dx * (1 - c.dy) * g;
                    d[c.y1 * W + c.x0] += (1 - c.dx) * c.dy * g;
                    d[c.y1 * W + c.x1] += c.dx * c.dy * g;
                  }
                  if (dt && ti >= 0) {
                    const T u00 = xp[c.y0 * W + c.x0], u01 = xp[c.y0 * W + c.x1], u10 = xp[c.y1 * W + c.x0],
                            u11 = xp[c.y1 * W + c.x1];
                    const T gx = ((u01 - u00) * (1 - c.dy) + (u11 - u10) * c.dy) * trans_std * g * rw;
                    const T gy = ((u10 - u00) * (1 - c.dx) + (u11 - u01) * c.dx) * trans_std * g * rh;
                    dt[ti] += gx;
                    dt[ti + PS * PS] += gy;
                  }
                }
              });
  });
}

[[maybe_unused]] const int registered = [] {
  OpRegistry::Get()
      ->Register("_contrib_PSROIPooling")
      .describe("Position-sensitive ROI pooling (R-FCN): bin (ph, pw) of output channel k averages its pixels of "
                "data channel (k * group_size + gh) * group_size + gw; data has output_dim * group_size^2 channels.")
      .set_inputs({"data", "rois"})
      .add_required_param("spatial_scale", ParamKind::kFloat,
                          "Ratio of the input feature map size to the raw image size (the coordinates of the rois).")
      .add_required_param("output_dim", ParamKind::kInt, "Number of output channels.")
      .add_required_param("pooled_size", ParamKind::kInt, "Output height and width.")
      .add_param("group_size", ParamKind::kInt, "0", "Size of the position-sensitive groups (0: pooled_size).")
      .set_infer_shape(PSInferShape)
      .set_infer_type(FloatOnlyTypeInfer)
      .set_compute(MXC_CPU, PSForward)
      .set_backward(MXC_CPU, PSBackward)
      .set_backward_uses(true, false);
  OpRegistry::Get()
      ->Register("_contrib_DeformablePSROIPooling")
      .describe("Deformable position-sensitive ROI pooling: each bin averages sample_per_part^2 bilinear samples, "
                "the bin moved by trans * trans_std times the roi's size (part (part_size x part_size) cells of "
                "trans per class).")
      .set_inputs({"data", "rois", "trans"})
      .set_input_names([](const OpParams &p) {
        return p.Bool("no_trans") ? std::vector<std::string>{"data", "rois"}
                                  : std::vector<std::string>{"data", "rois", "trans"};
      })
      .add_required_param("spatial_scale", ParamKind::kFloat,
                          "Ratio of the input feature map size to the raw image size (the coordinates of the rois).")
      .add_required_param("output_dim", ParamKind::kInt, "Number of output channels.")
      .add_required_param("group_size", ParamKind::kInt, "Size of the position-sensitive groups.")
      .add_required_param("pooled_size", ParamKind::kInt, "Output height and width.")
      .add_param("part_size", ParamKind::kInt, "0", "Size of the grid of trans cells (0: pooled_size).")
      .add_param("sample_per_part", ParamKind::kInt, "1", "Number of samples per bin and axis.")
      .add_param("trans_std", ParamKind::kFloat, "0", "Scale of trans (relative to the roi's width and height).")
      .add_param("no_trans", ParamKind::kBool, "False", "Whether to pool without trans (no trans input).")
      .set_infer_shape(PSInferShape)
      .set_infer_type(FloatOnlyTypeInfer)
      .set_compute(MXC_CPU, DPSForward)
      .set_backward(MXC_CPU, DPSBackward)
      .set_backward_uses(true, false);
  return 0;
}();

}  // namespace
}  // namespace op
}  // namespace mxc
