// MXNet 1.9.1's _image_resize (mx.nd.image.resize / mx.sym.image.resize): resizes an image (H, W, C) or a batch
// (N, H, W, C) with OpenCV's sampling (core/ops/image_resize_impl.h).
//
// size: (width, height); or one value: a square, or with keep_ratio the shorter edge (the longer one scaled in
// proportion, truncated: (5, 7) with size 3 gives (3, 4)). interp is OpenCV's code, as MXNet passes it to cv::resize:
// 0 nearest, 1 bilinear, 2 bicubic, 3 area, 4 Lanczos, 5 bilinear (OpenCV's "exact" variant); anything else is an
// error. dtypes: float32, float64, uint8, int8, int32, int64; float16 runs through float32 as for the other image
// operators (MXNet's OpenCV rejects it). Sums are in double; integer images are rounded and saturated (MXNet's
// OpenCV resizes uint8 in fixed point, so its pixels may differ by 1; for int8/int32/int64 it has only nearest and
// exact bilinear, or fails).
// No gradient: MXNet 1.9.1's registered backward fails on every call.
#include <algorithm>
#include <string>
#include <type_traits>
#include <vector>

#include "image_resize_impl.h"
#include "nn_util.h"

namespace mxc {
namespace op {
namespace {

std::string Where(const OpParams &p, const TShape &s) {
  return std::string("operator ") + p.op()->name + ": data shape " + ShapeStr(s) + ": ";
}

void ResizeShape(const OpParams &p, std::vector<TShape> *in, std::vector<TShape> *out) {
  const TShape &d = (*in)[0];
  const std::vector<int64_t> &size = p.Tuple("size");
  if (size.empty() || size.size() > 2)
    Throw(ErrorKind::kValue, "operator ", p.op()->name, ": size must be (width, height) or one value, got ",
          size.size(), " values");
  for (int64_t v : size)
    if (v <= 0)
      Throw(ErrorKind::kValue, "operator ", p.op()->name, ": size must be positive, got ", v);
  const int64_t interp = p.Int("interp");
  if (interp < 0 || interp > 5)
    Throw(ErrorKind::kValue, "operator ", p.op()->name, ": unknown interp ", interp,
          " (0 nearest, 1 bilinear, 2 bicubic, 3 area, 4 Lanczos, 5 bilinear exact)");
  if (d.empty()) return;
  if (d.ndim() != 3 && d.ndim() != 4)
    Throw(ErrorKind::kShape, Where(p, d), "the input must be an image (H, W, C) or a batch (N, H, W, C)");
  const int64_t H = d[d.ndim() - 3], W = d[d.ndim() - 2];
  if (H <= 0 || W <= 0) Throw(ErrorKind::kShape, Where(p, d), "the image is empty");
  int64_t ow, oh;
  if (size.size() == 2) {
    ow = size[0], oh = size[1];
  } else if (!p.Bool("keep_ratio")) {
    ow = oh = size[0];
  } else if (H > W) {
    ow = size[0];
    oh = static_cast<int64_t>(static_cast<double>(H) * size[0] / W);
  } else {
    oh = size[0];
    ow = static_cast<int64_t>(static_cast<double>(W) * size[0] / H);
  }
  if (ow <= 0 || oh <= 0) Throw(ErrorKind::kValue, Where(p, d), "the output would be empty");
  TShape o = d;
  o[o.ndim() - 3] = oh;
  o[o.ndim() - 2] = ow;
  ShapeAssign(&(*out)[0], o, p.op(), "output");
}

void ResizeType(const OpParams &p, std::vector<int> *in, std::vector<int> *out) {
  SameTypeInfer(p, in, out);
  const int t = (*in)[0];
  if (t == kFloat16)
    Throw(ErrorKind::kType, "operator ", p.op()->name, ": float16 runs through float32");  // float16.cc's wrapper
  if (t == kBool)
    Throw(ErrorKind::kType, "operator ", p.op()->name, ": data dtype bool is not supported (float32, float64, "
          "uint8, int8, int32, int64)");
}

void ResizeForward(MXC_NN_FORWARD_ARGS) {
  if (req[0] == kNullOp) return;
  const TShape &d = in[0].shape, &o = out[0].shape;
  const bool four = d.ndim() == 4;
  const int64_t N = four ? d[0] : 1, H = d[d.ndim() - 3], W = d[d.ndim() - 2], C = d[d.ndim() - 1];
  const int64_t oh = o[o.ndim() - 3], ow = o[o.ndim() - 2];
  const int interp = static_cast<int>(p.Int("interp"));
  const bool shrink_both = H >= oh && W >= ow;
  int ky, kx;
  std::vector<int32_t> iy, ix;
  std::vector<double> wy, wx;
  ImgResizeTaps(H, oh, interp, shrink_both, &ky, &iy, &wy);
  ImgResizeTaps(W, ow, interp, shrink_both, &kx, &ix, &wx);
  MXC_TYPE_SWITCH(in[0].dtype, T, {
    if constexpr (!std::is_same<T, bool>::value) {
      const T *x = in[0].ptr<T>();
      T *y = out[0].ptr<T>();
      const bool add = req[0] == kAddTo;
      ParallelForWork(N * oh, ow * C * ky * kx, [&](int64_t row) {
        const int64_t n = row / oh, r = row % oh;
        const T *img = x + n * H * W * C;
        T *dst = y + row * ow * C;
        for (int64_t c0 = 0; c0 < ow; ++c0)
          for (int64_t c = 0; c < C; ++c) {
            const T v = ImgResizePixel<T>(img, W, C, ky, iy.data() + r * ky, wy.data() + r * ky, kx,
                                          ix.data() + c0 * kx, wx.data() + c0 * kx, c);
            T &out_v = dst[c0 * C + c];
            out_v = add ? static_cast<T>(out_v + v) : v;
          }
      });
    }
  });
}

[[maybe_unused]] const int registered = [] {
  OpRegistry::Get()
      ->Register("_image_resize")
      .describe("Resizes an image (H, W, C) or a batch (N, H, W, C) to size (width, height) with OpenCV's "
                "interpolation.")
      .set_inputs({"data"})
      .add_param("size", ParamKind::kShape, "()", "Size of new image. Could be (width, height) or (size)")
      .add_param("keep_ratio", ParamKind::kBool, "0",
                 "Whether to resize the short edge or both edges to `size`, if size is give as an integer.")
      .add_param("interp", ParamKind::kInt, "1",
                 "Interpolation method for resizing (OpenCV's): 0 nearest, 1 bilinear, 2 bicubic, 3 area, "
                 "4 Lanczos.")
      .set_infer_shape(ResizeShape)
      .set_infer_type(ResizeType)
      .set_compute(MXC_CPU, ResizeForward);
  return 0;
}();

}  // namespace
}  // namespace op
}  // namespace mxc
