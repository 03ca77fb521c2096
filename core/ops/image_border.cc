// _cvcopyMakeBorder (mx.image.copyMakeBorder), MXNet 1.9.1 semantics, which are OpenCV's copyMakeBorder: pads an
// image (height, width, channels) with `top` / `bot` rows and `left` / `right` columns. `type` is OpenCV's border
// code: 0 constant, 1 replicate (aaa|abc|ccc), 2 reflect (cba|abc|cba), 3 wrap (abc|abc|abc), 4 reflect-101
// (dcb|abcd|cba); 16 (BORDER_ISOLATED) may be added and changes nothing for a whole image. Constant borders take
// `values` per channel (up to 4, missing ones 0) or, when `values` is empty, `value` in every channel; the value is
// rounded half to even and saturated for integer images. Images of more than 4 channels need one fill value.
// No gradient (MXNet registers none).
#include <cmath>
#include <limits>
#include <string>
#include <type_traits>
#include <vector>

#include "contrib_detection.h"
#include "nn_util.h"

namespace mxc {
namespace op {
namespace {

constexpr int kIsolated = 16;

int BorderType(const OpParams &p) {
  const int64_t t = p.Int("type");
  const int64_t base = t & ~static_cast<int64_t>(kIsolated);
  if (t < 0 || base > 4)
    Throw(ErrorKind::kValue, "operator ", p.op()->name, ": parameter 'type' = ", t,
          " is not a supported border type (0 constant, 1 replicate, 2 reflect, 3 wrap, 4 reflect-101, optionally "
          "+16 isolated)");
  return static_cast<int>(base);
}

// The four fill values of a constant border (OpenCV's Scalar).
std::vector<double> FillValues(const OpParams &p) {
  std::vector<double> v = detection::FloatTuple(p, "values");
  if (v.size() > 4)
    Throw(ErrorKind::kValue, "operator ", p.op()->name, ": parameter 'values' holds ", v.size(),
          " values, at most 4 (one per channel) are allowed");
  if (v.empty()) return std::vector<double>(4, p.Float("value"));
  v.resize(4, 0.0);
  return v;
}

void BorderInferShape(const OpParams &p, std::vector<TShape> *in, std::vector<TShape> *out) {
  const Op *op = p.op();
  const TShape &d = (*in)[0];
  if (d.empty()) return;
  const int64_t top = p.Int("top"), bot = p.Int("bot"), left = p.Int("left"), right = p.Int("right");
  const std::string where = std::string("operator ") + op->name + ": src shape " + ShapeStr(d) + ": ";
  if (d.ndim() != 3)
    Throw(ErrorKind::kShape, where, "the image must have 3 axes (height, width, channels)");
  if (top < 0 || bot < 0 || left < 0 || right < 0)
    Throw(ErrorKind::kValue, where, "the margins must not be negative, got top=", top, ", bot=", bot, ", left=", left,
          ", right=", right);
  const int type = BorderType(p);
  if (type != 0 && (d[0] == 0 || d[1] == 0) && (top || bot || left || right))
    Throw(ErrorKind::kShape, where, "an empty image has no pixels to replicate, reflect or wrap");
  if (type == 0 && d[2] > 4) {
    const auto f = FillValues(p);
    if (f[0] != f[1] || f[0] != f[2] || f[0] != f[3])
      Throw(ErrorKind::kValue, where, "an image of more than 4 channels needs one fill value for all channels");
  }
  ShapeAssign(&(*out)[0], TShape({d[0] + top + bot, d[1] + left + right, d[2]}), op, "output");
}

// The source index that output index i (relative to the image's first pixel, may be outside [0, n)) reads.
int64_t SourceIndex(int64_t i, int64_t n, int type) {
  if (i >= 0 && i < n) return i;
  switch (type) {
    case 1:
      return i < 0 ? 0 : n - 1;
    case 2: {  // period 2n: 0 1 .. n-1 n-1 .. 1 0
      const int64_t m = ((i % (2 * n)) + 2 * n) % (2 * n);
      return m < n ? m : 2 * n - 1 - m;
    }
    case 3:
      return ((i % n) + n) % n;
    case 4: {  // period 2n - 2: 0 1 .. n-1 n-2 .. 1
      if (n == 1) return 0;
      const int64_t per = 2 * n - 2;
      const int64_t m = ((i % per) + per) % per;
      return m < n ? m : per - m;
    }
    default:
      return -1;  // constant
  }
}

template <typename T>
T SaturateFill(double v) {
  if constexpr (std::is_same<T, bool>::value) {
    return v != 0;
  } else if constexpr (std::is_integral<T>::value) {
    const double r = std::nearbyint(v);  // half to even, the default rounding mode
    if (!(r > static_cast<double>(std::numeric_limits<T>::min()))) return std::numeric_limits<T>::min();
    if (r >= static_cast<double>(std::numeric_limits<T>::max())) return std::numeric_limits<T>::max();
    return static_cast<T>(r);
  } else {
    return static_cast<T>(v);
  }
}

void BorderForward(MXC_NN_FORWARD_ARGS) {
  if (req[0] == kNullOp) return;
  const TShape &d = in[0].shape;
  const int64_t H = d[0], W = d[1], C = d[2];
  const int64_t top = p.Int("top"), left = p.Int("left");
  const TShape &o = out[0].shape;
  const int64_t OH = o[0], OW = o[1];
  const int type = BorderType(p);
  const auto fill = FillValues(p);
  std::vector<int64_t> rows(OH), cols(OW);
  for (int64_t r = 0; r < OH; ++r) rows[r] = SourceIndex(r - top, H, type);
  for (int64_t c = 0; c < OW; ++c) cols[c] = SourceIndex(c - left, W, type);
  if (in[0].dtype == kFloat16)
    Throw(ErrorKind::kType, "operator ", p.op()->name, ": float16 images are not supported (as MXNet 1.9.1)");
  MXC_TYPE_SWITCH(in[0].dtype, T, {
    std::vector<T> fv(C);
    for (int64_t k = 0; k < C; ++k) fv[k] = SaturateFill<T>(fill[k < 4 ? k : 0]);
    const T *x = in[0].ptr<T>();
    T *y = out[0].ptr<T>();
    const bool add = req[0] == kAddTo;
    ParallelForWork(OH, OW * C, [&](int64_t r) {
      T *yr = y + r * OW * C;
      for (int64_t c = 0; c < OW; ++c) {
        const bool inside = rows[r] >= 0 && cols[c] >= 0;
        const T *xs = inside ? x + (rows[r] * W + cols[c]) * C : nullptr;
        for (int64_t k = 0; k < C; ++k) {
          const T v = inside ? xs[k] : fv[k];
          yr[c * C + k] = add ? static_cast<T>(yr[c * C + k] + v) : v;
        }
      }
    });
  });
}

[[maybe_unused]] const int registered = [] {
  OpRegistry::Get()
      ->Register("_cvcopyMakeBorder")
      .describe("Pad image border with OpenCV's rules (constant, replicate, reflect, wrap, reflect-101).")
      .set_inputs({"src"})
      .add_required_param("top", ParamKind::kInt, "Top margin.")
      .add_required_param("bot", ParamKind::kInt, "Bottom margin.")
      .add_required_param("left", ParamKind::kInt, "Left margin.")
      .add_required_param("right", ParamKind::kInt, "Right margin.")
      .add_param("type", ParamKind::kInt, "0", "Filling type (default=cv2.BORDER_CONSTANT).")
      .add_param("value", ParamKind::kFloat, "0", "(Deprecated! Use ``values`` instead.) Fill with single value.")
      .add_param("values", ParamKind::kString, "()", "Fill with value(RGB[A] or gray), up to 4 channels.")
      .set_infer_shape(BorderInferShape)
      .set_infer_type(SameTypeInfer)
      .set_compute(MXC_CPU, BorderForward);
  return 0;
}();

}  // namespace
}  // namespace op
}  // namespace mxc
