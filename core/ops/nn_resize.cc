// contrib.AdaptiveAvgPooling2D and contrib.BilinearResize2D (MXNet 1.x names, parameters and shapes), on NCHW data.
//
// - AdaptiveAvgPooling2D(output_size): output cell (i, j) averages the input rows [floor(i H / oh), ceil((i+1) H / oh))
//   and columns [floor(j W / ow), ceil((j+1) W / ow)); output_size () means (1, 1), one value (s, s).
// - BilinearResize2D: bilinear interpolation to a size given by `mode` ('size': height/width, or the input's size
//   times scale_height/scale_width when given; 'odd_scale'; 'like': the second input's; 'to_even_down', ...).
//   align_corners (default true) maps the corners onto each other: src = dst (in - 1) / (out - 1); without it
//   src = max(0, (dst + 0.5) in / out - 0.5), as MXNet 1.9.1.
#include <cmath>
#include <vector>

#include "nn_util.h"
#include "tensor_util.h"

namespace mxc {
namespace op {
namespace {

void Check4D(const OpParams &p, const TShape &d) {
  if (d.ndim() != 4)
    Throw(ErrorKind::kShape, "operator ", p.op()->name, ": data shape ", ShapeStr(d),
          ": a 4-d (N, C, H, W) input required");
}

// ---------------------------------------------------------------------------------------------------------------
// AdaptiveAvgPooling2D
// ---------------------------------------------------------------------------------------------------------------
std::pair<int64_t, int64_t> AdaptiveSize(const OpParams &p) {
  const auto &s = p.Tuple("output_size");
  if (s.empty()) return {1, 1};
  if (s.size() > 2)
    Throw(ErrorKind::kValue, "operator ", p.op()->name, ": output_size ", TupleStr(s),
          " must be one size or (height, width)");
  const int64_t h = s[0], w = s.size() == 2 ? s[1] : s[0];
  if (h < 1 || w < 1)
    Throw(ErrorKind::kValue, "operator ", p.op()->name, ": output_size ", TupleStr(s), " must be positive");
  return {h, w};
}

void AdaptiveInferShape(const OpParams &p, std::vector<TShape> *in, std::vector<TShape> *out) {
  const auto hw = AdaptiveSize(p);
  const TShape &d = (*in)[0];
  if (d.empty()) return;
  Check4D(p, d);
  ShapeAssign(&(*out)[0], TShape{d[0], d[1], hw.first, hw.second}, p.op(), "output");
}

// Calls f(plane, out_index, in_index, weight) for every input element of every output cell's bin.
template <typename F>
void ForEachAdaptiveBin(const TShape &is, const TShape &os, F f) {
  const int64_t H = is[2], W = is[3], oh = os[2], ow = os[3];
  ParallelForWork(is[0] * is[1], H * W, [&](int64_t plane) {
    for (int64_t i = 0; i < oh; ++i) {
      const int64_t h0 = i * H / oh, h1 = ((i + 1) * H + oh - 1) / oh;
      for (int64_t j = 0; j < ow; ++j) {
        const int64_t w0 = j * W / ow, w1 = ((j + 1) * W + ow - 1) / ow;
        const double wt = 1.0 / static_cast<double>((h1 - h0) * (w1 - w0));
        for (int64_t y = h0; y < h1; ++y)
          for (int64_t x = w0; x < w1; ++x) f(plane, plane * oh * ow + i * ow + j, plane * H * W + y * W + x, wt);
      }
    }
  });
}

void AdaptiveForward(MXC_NN_FORWARD_ARGS) {
  if (req[0] == kNullOp) return;
  MXC_REAL_TYPE_SWITCH(in[0].dtype, T, {
    const T *x = in[0].ptr<T>();
    T *y = out[0].ptr<T>();
    std::vector<double> acc(static_cast<size_t>(out[0].Size()), 0.0);
    ForEachAdaptiveBin(in[0].shape, out[0].shape,
                       [&](int64_t, int64_t o, int64_t i, double wt) { acc[o] += wt * x[i]; });
    for (size_t o = 0; o < acc.size(); ++o) Store(y + o, req[0], static_cast<T>(acc[o]));
  });
}

void AdaptiveBackward(MXC_NN_BACKWARD_ARGS) {
  if (req[0] == kNullOp) return;
  MXC_REAL_TYPE_SWITCH(in_grad[0].dtype, T, {
    const T *g = out_grad[0].ptr<T>();
    T *dx = in_grad[0].ptr<T>();
    std::vector<double> acc(static_cast<size_t>(in_grad[0].Size()), 0.0);
    ForEachAdaptiveBin(in_grad[0].shape, out_grad[0].shape,
                       [&](int64_t, int64_t o, int64_t i, double wt) { acc[i] += wt * g[o]; });
    for (size_t i = 0; i < acc.size(); ++i) Store(dx + i, req[0], static_cast<T>(acc[i]));
  });
}

// ---------------------------------------------------------------------------------------------------------------
// BilinearResize2D
// ---------------------------------------------------------------------------------------------------------------
bool LikeMode(const OpParams &p) { return p.Str("mode") == "like"; }

// The output size along one axis of input size n (height: the *_height parameters).
int64_t ResizedSize(const OpParams &p, int64_t n, bool height, const TShape *like) {
  const std::string &m = p.Str("mode");
  const char *scale_name = height ? "scale_height" : "scale_width";
  if (m == "like") return (*like)[height ? 2 : 3];
  if (m == "to_even_down") return n % 2 ? n - 1 : n;
  if (m == "to_even_up") return n % 2 ? n + 1 : n;
  if (m == "to_odd_down") return n % 2 ? n : n - 1;
  if (m == "to_odd_up") return n % 2 ? n : n + 1;
  if (m == "odd_scale") {
    if (p.IsNone(scale_name))
      Throw(ErrorKind::kValue, "operator ", p.op()->name, ": mode 'odd_scale' needs ", scale_name);
    const double s = p.Float(scale_name);
    return static_cast<int64_t>(n % 2 ? (n - 1) * s + 1 : n * s);
  }
  if (!p.IsNone(scale_name)) return static_cast<int64_t>(n * p.Float(scale_name));
  return p.Int(height ? "height" : "width");
}

void ResizeInferShape(const OpParams &p, std::vector<TShape> *in, std::vector<TShape> *out) {
  const TShape &d = (*in)[0];
  if (d.empty()) return;
  Check4D(p, d);
  if (d[2] < 1 || d[3] < 1)
    Throw(ErrorKind::kShape, "operator ", p.op()->name, ": data shape ", ShapeStr(d),
          ": the spatial dimensions must not be empty");
  const TShape *like = nullptr;
  if (LikeMode(p)) {
    like = &(*in)[1];
    if (like->empty()) return;
    if (like->ndim() != 4)
      Throw(ErrorKind::kShape, "operator ", p.op()->name, ": like shape ", ShapeStr(*like),
            ": a 4-d (N, C, H, W) input required");
  }
  const int64_t oh = ResizedSize(p, d[2], true, like), ow = ResizedSize(p, d[3], false, like);
  if (oh < 1 || ow < 1)
    Throw(ErrorKind::kValue, "operator ", p.op()->name, ": output size (", oh, ", ", ow, ") from data shape ",
          ShapeStr(d), " must be positive");
  ShapeAssign(&(*out)[0], TShape{d[0], d[1], oh, ow}, p.op(), "output");
}

// The two source indices and the weight of the second one, for each output index along one axis.
struct Tap {
  int64_t i0, i1;
  double l;
};
std::vector<Tap> Taps(int64_t in, int64_t out, bool align_corners) {
  std::vector<Tap> t(static_cast<size_t>(out));
  for (int64_t o = 0; o < out; ++o) {
    double src;
    if (align_corners) src = out > 1 ? static_cast<double>(o) * (in - 1) / static_cast<double>(out - 1) : 0.0;
    else src = std::max(0.0, (o + 0.5) * static_cast<double>(in) / static_cast<double>(out) - 0.5);
    const int64_t i0 = std::min<int64_t>(static_cast<int64_t>(src), in - 1);
    t[o] = {i0, std::min<int64_t>(i0 + 1, in - 1), src - static_cast<double>(i0)};
  }
  return t;
}

// Calls f(out_index, in_index, weight) for the four taps of every output element.
template <typename F>
void ForEachResizeTap(const OpParams &p, const TShape &is, const TShape &os, F f) {
  const int64_t H = is[2], W = is[3], oh = os[2], ow = os[3];
  const bool ac = p.Bool("align_corners");
  const std::vector<Tap> ty = Taps(H, oh, ac), tx = Taps(W, ow, ac);
  ParallelForWork(is[0] * is[1], oh * ow * 4, [&](int64_t plane) {
    for (int64_t y = 0; y < oh; ++y)
      for (int64_t x = 0; x < ow; ++x) {
        const int64_t o = (plane * oh + y) * ow + x, b = plane * H * W;
        const Tap &a = ty[y], &c = tx[x];
        f(o, b + a.i0 * W + c.i0, (1 - a.l) * (1 - c.l));
        f(o, b + a.i0 * W + c.i1, (1 - a.l) * c.l);
        f(o, b + a.i1 * W + c.i0, a.l * (1 - c.l));
        f(o, b + a.i1 * W + c.i1, a.l * c.l);
      }
  });
}

void ResizeForward(MXC_NN_FORWARD_ARGS) {
  if (req[0] == kNullOp) return;
  MXC_REAL_TYPE_SWITCH(in[0].dtype, T, {
    const T *x = in[0].ptr<T>();
    std::vector<double> acc(static_cast<size_t>(out[0].Size()), 0.0);
    ForEachResizeTap(p, in[0].shape, out[0].shape, [&](int64_t o, int64_t i, double w) { acc[o] += w * x[i]; });
    T *y = out[0].ptr<T>();
    for (size_t o = 0; o < acc.size(); ++o) Store(y + o, req[0], static_cast<T>(acc[o]));
  });
}

void ResizeBackward(MXC_NN_BACKWARD_ARGS) {
  if (in_grad.size() > 1) ZeroGrad(in_grad[1], req[1]);  // like: only its shape is used
  if (req[0] == kNullOp) return;
  MXC_REAL_TYPE_SWITCH(in_grad[0].dtype, T, {
    const T *g = out_grad[0].ptr<T>();
    std::vector<double> acc(static_cast<size_t>(in_grad[0].Size()), 0.0);
    ForEachResizeTap(p, in_grad[0].shape, out_grad[0].shape,
                     [&](int64_t o, int64_t i, double w) { acc[i] += w * g[o]; });
    T *dx = in_grad[0].ptr<T>();
    for (size_t i = 0; i < acc.size(); ++i) Store(dx + i, req[0], static_cast<T>(acc[i]));
  });
}

void ResizeInferType(const OpParams &p, std::vector<int> *in, std::vector<int> *out) {
  std::vector<int> first{(*in)[0]};
  FloatOnlyTypeInfer(p, &first, out);
  (*in)[0] = first[0];
  if (in->size() > 1 && (*in)[1] < 0) (*in)[1] = first[0];  // like: any dtype, its shape is what counts
}

}  // namespace

MXC_REGISTER_OP(_contrib_AdaptiveAvgPooling2D)
    .describe("Adaptive average pooling of NCHW data to output_size (height, width).")
    .set_inputs({"data"})
    .add_param("output_size", ParamKind::kShape, "()",
               "int (output size) or a tuple of int for output (height, width); () means (1, 1).")
    .set_infer_shape(AdaptiveInferShape)
    .set_infer_type(FloatOnlyTypeInfer)
    .set_compute(MXC_CPU, AdaptiveForward)
    .set_backward(MXC_CPU, AdaptiveBackward)
    .set_backward_uses(false, false);

MXC_REGISTER_OP(_contrib_BilinearResize2D)
    .describe("Bilinear resize of NCHW data to a size given by mode (height/width, scales, or like's size).")
    .set_inputs({"data", "like"})
    .set_input_names([](const OpParams &p) {
      return LikeMode(p) ? std::vector<std::string>{"data", "like"} : std::vector<std::string>{"data"};
    })
    .add_param("height", ParamKind::kInt, "1", "Output height (mode 'size' without scale_height).")
    .add_param("width", ParamKind::kInt, "1", "Output width (mode 'size' without scale_width).")
    .add_param("scale_height", ParamKind::kOptFloat, "None",
               "Sampling scale of the height (modes 'size', 'odd_scale').")
    .add_param("scale_width", ParamKind::kOptFloat, "None",
               "Sampling scale of the width (modes 'size', 'odd_scale').")
    .add_param("mode", ParamKind::kEnum, "size", "Resizing mode.",
               {"like", "odd_scale", "size", "to_even_down", "to_even_up", "to_odd_down", "to_odd_up"})
    .add_param("align_corners", ParamKind::kBool, "1",
               "Map the corner pixels of input and output onto each other (else pixel centres scale).")
    .set_infer_shape(ResizeInferShape)
    .set_infer_type(ResizeInferType)
    .set_compute(MXC_CPU, ResizeForward)
    .set_backward(MXC_CPU, ResizeBackward)
    .set_backward_uses(false, false);

}  // namespace op
}  // namespace mxc
