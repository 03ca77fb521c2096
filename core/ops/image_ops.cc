// MXNet 1.9.1's image operators (mx.nd.image / mx.sym.image): _image_to_tensor, _image_normalize, the flips, the
// random colour changes (brightness, contrast, saturation, hue, colour jitter, PCA lighting), _image_adjust_lighting
// and _image_crop.
//
// Layouts as MXNet: to_tensor takes (H, W, C) or (N, H, W, C) images of any dtype and gives float32 (C, H, W) or
// (N, C, H, W) divided by 255; normalize takes such tensors (C = 1 or 3) and keeps their dtype; crop takes (H, W, C)
// or (N, H, W, C); the flips and colour operators take one (H, W, C) image (MXNet 1.9.1 rejects a batch), the colour
// ones with C = 3 (RGB) or 1 (grey: saturation and hue change nothing; the lighting ones need 3). Colour arithmetic is float32; integer images are truncated towards zero and saturated to
// their type's range (uint8: [0, 255]), as MXNet's are.
//
// Colour formulas (checked against MXNet 1.9.1's outputs): brightness x * a; contrast x * a + (1 - a) * mean grey of
// the image (grey = 0.299 R + 0.587 G + 0.114 B, or the value of a 1-channel image); saturation x * a + (1 - a) * 0.114 * B (MXNet 1.9.1 takes only
// the blue term as the grey value; kept for the same results); hue rotates each pixel's hue by a * 360 degrees
// keeping its largest and smallest channel; lighting adds eigvec . (alpha * eigval) (ImageNet's RGB principal
// components) to every pixel. Random factors come from the context's generator (mx.random.seed reproduces them):
// one draw per call.
//
// Gradients: to_tensor (transposed, / 255), normalize (/ std), flip_left_right / flip_top_bottom (the gradient
// flipped), crop (the gradient placed in the cropped window, zero elsewhere) and adjust_lighting (identity). MXNet
// 1.9.1 registers copies of the head gradient for the flips and random operators (wrong wherever a pixel moves or is
// scaled) and a to_tensor gradient of the wrong shape; mxc gives the mathematically right ones, and none for the
// random operators.
#include <algorithm>
#include <cmath>
#include <limits>
#include <random>
#include <string>
#include <type_traits>
#include <vector>

#include "contrib_detection.h"
#include "image_impl.h"
#include "image_params.h"
#include "nn_util.h"

namespace mxc {
namespace op {
namespace {

inline double Uniform01(std::mt19937_64 &g) { return static_cast<double>(g() >> 11) * 0x1.0p-53; }

std::mt19937_64 &Rng(const OpContext &ctx) {
  MXC_CHECK(ctx.rng != nullptr, ErrorKind::kInternal, "random operator called without a generator");
  return *ctx.rng;
}

double Normal(std::mt19937_64 &g) {
  const double u1 = 1.0 - Uniform01(g), u2 = Uniform01(g);
  return std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586 * u2);
}

std::string Where(const OpParams &p, const char *arg, const TShape &s) {
  return std::string("operator ") + p.op()->name + ": " + arg + " shape " + ShapeStr(s) + ": ";
}

template <typename T>
inline T Store(float v) {
  if constexpr (std::is_same<T, bool>::value)
    return v != 0.0f;
  else
    return ImgStore<T>(v);
}

template <typename T>
inline void Put(T *y, int64_t i, T v, OpReq req) {
  if (req == kAddTo)
    y[i] = static_cast<T>(y[i] + v);
  else
    y[i] = v;
}

void NoHalf(const OpParams &p, int t) {
  if (t == kFloat16)
    Throw(ErrorKind::kType, "operator ", p.op()->name, ": float16 runs through float32");  // float16.cc's wrapper
}

void SameTypeNoHalf(const OpParams &p, std::vector<int> *in, std::vector<int> *out) {
  SameTypeInfer(p, in, out);
  if ((*in)[0] >= 0) NoHalf(p, (*in)[0]);
}

// ---------------------------------------------------------------------------------------------------------------
// to_tensor
// ---------------------------------------------------------------------------------------------------------------
void ToTensorShape(const OpParams &p, std::vector<TShape> *in, std::vector<TShape> *out) {
  const TShape &d = (*in)[0];
  if (d.empty()) return;
  if (d.ndim() == 3)
    ShapeAssign(&(*out)[0], TShape({d[2], d[0], d[1]}), p.op(), "output");
  else if (d.ndim() == 4)
    ShapeAssign(&(*out)[0], TShape({d[0], d[3], d[1], d[2]}), p.op(), "output");
  else
    Throw(ErrorKind::kShape, Where(p, "data", d), "the input must be an image (H, W, C) or a batch (N, H, W, C)");
}

void ToTensorType(const OpParams &p, std::vector<int> *in, std::vector<int> *out) {
  if ((*in)[0] >= 0) NoHalf(p, (*in)[0]);
  TypeAssign(&(*out)[0], kFloat32, p.op(), "output");
}

// (N, H, W, C) sizes of a 3-D or 4-D image shape.
struct Nhwc {
  int64_t n, h, w, c;
};
Nhwc Dims(const TShape &d) {
  if (d.ndim() == 3) return {1, d[0], d[1], d[2]};
  return {d[0], d[1], d[2], d[3]};
}

void ToTensorForward(MXC_NN_FORWARD_ARGS) {
  if (req[0] == kNullOp) return;
  const Nhwc s = Dims(in[0].shape);
  float *y = out[0].ptr<float>();
  MXC_TYPE_SWITCH(in[0].dtype, T, {
    const T *x = in[0].ptr<T>();
    const int64_t plane = s.h * s.w;
    for (int64_t b = 0; b < s.n; ++b)
      for (int64_t k = 0; k < s.c; ++k)
        for (int64_t i = 0; i < plane; ++i)
          Put(y, (b * s.c + k) * plane + i, static_cast<float>(x[(b * plane + i) * s.c + k]) / 255.0f, req[0]);
  });
}

void ToTensorBackward(MXC_NN_BACKWARD_ARGS) {
  if (req[0] == kNullOp) return;
  const Nhwc s = Dims(in_grad[0].shape);
  const float *g = out_grad[0].ptr<float>();
  MXC_TYPE_SWITCH(in_grad[0].dtype, T, {
    T *dx = in_grad[0].ptr<T>();
    const int64_t plane = s.h * s.w;
    for (int64_t b = 0; b < s.n; ++b)
      for (int64_t i = 0; i < plane; ++i)
        for (int64_t k = 0; k < s.c; ++k)
          Put(dx, (b * plane + i) * s.c + k, static_cast<T>(g[(b * s.c + k) * plane + i] / 255.0f), req[0]);
  });
}

// ---------------------------------------------------------------------------------------------------------------
// normalize
// ---------------------------------------------------------------------------------------------------------------
// The mean and std of channel k (a single value serves every channel).
struct MeanStd {
  std::vector<double> mean, std;
  double m(int64_t k) const { return mean.size() == 1 ? mean[0] : mean[k]; }
  double s(int64_t k) const { return std.size() == 1 ? std[0] : std[k]; }
};

MeanStd GetMeanStd(const OpParams &p, int64_t channels) {
  MeanStd r{detection::FloatTuple(p, "mean"), detection::FloatTuple(p, "std")};
  const char *names[2] = {"mean", "std"};
  const std::vector<double> *v[2] = {&r.mean, &r.std};
  for (int i = 0; i < 2; ++i) {
    if (v[i]->empty())
      Throw(ErrorKind::kValue, "operator ", p.op()->name, ": parameter '", names[i], "' must hold at least one value");
    // One value, one per channel, or the default's four.
    const int64_t n = static_cast<int64_t>(v[i]->size());
    if (n != 1 && n != channels && n != 4)
      Throw(ErrorKind::kValue, "operator ", p.op()->name, ": parameter '", names[i], "' holds ", n, " values for ",
            channels, " channels (give one value or one per channel)");
  }
  for (double s : r.std)
    if (s == 0) Throw(ErrorKind::kValue, "operator ", p.op()->name, ": parameter 'std' must not hold 0");
  return r;
}

// (N, C, plane) sizes of a (C, H, W) or (N, C, H, W) tensor.
struct Nc {
  int64_t n, c, plane;
};
Nc TensorDims(const TShape &d) {
  if (d.ndim() == 3) return {1, d[0], d[1] * d[2]};
  return {d[0], d[1], d[2] * d[3]};
}

void NormalizeShape(const OpParams &p, std::vector<TShape> *in, std::vector<TShape> *out) {
  const TShape &d = (*in)[0];
  if (d.empty()) return;
  if (d.ndim() != 3 && d.ndim() != 4)
    Throw(ErrorKind::kShape, Where(p, "data", d), "the input must be a tensor (C, H, W) or a batch (N, C, H, W)");
  const int64_t c = d[d.ndim() - 3];
  if (c != 1 && c != 3)
    Throw(ErrorKind::kShape, Where(p, "data", d), "the channel axis must have 1 or 3 elements, got ", c);
  GetMeanStd(p, c);
  ShapeAssign(&(*out)[0], d, p.op(), "output");
}

void NormalizeForward(MXC_NN_FORWARD_ARGS) {
  if (req[0] == kNullOp) return;
  const Nc s = TensorDims(in[0].shape);
  const MeanStd ms = GetMeanStd(p, s.c);
  MXC_TYPE_SWITCH(in[0].dtype, T, {
    const T *x = in[0].ptr<T>();
    T *y = out[0].ptr<T>();
    for (int64_t b = 0; b < s.n; ++b)
      for (int64_t k = 0; k < s.c; ++k) {
        using A = typename std::conditional<std::is_same<T, double>::value, double, float>::type;
        const A m = static_cast<A>(ms.m(k)), sd = static_cast<A>(ms.s(k));
        const int64_t base = (b * s.c + k) * s.plane;
        for (int64_t i = 0; i < s.plane; ++i) {
          const A v = (static_cast<A>(x[base + i]) - m) / sd;
          Put(y, base + i, std::is_same<T, double>::value ? static_cast<T>(v) : Store<T>(static_cast<float>(v)), req[0]);
        }
      }
  });
}

void NormalizeBackward(MXC_NN_BACKWARD_ARGS) {
  if (req[0] == kNullOp) return;
  const Nc s = TensorDims(in_grad[0].shape);
  const MeanStd ms = GetMeanStd(p, s.c);
  MXC_TYPE_SWITCH(in_grad[0].dtype, T, {
    const T *g = out_grad[0].ptr<T>();
    T *dx = in_grad[0].ptr<T>();
    for (int64_t b = 0; b < s.n; ++b)
      for (int64_t k = 0; k < s.c; ++k) {
        using A = typename std::conditional<std::is_same<T, double>::value, double, float>::type;
        const A sd = static_cast<A>(ms.s(k));
        const int64_t base = (b * s.c + k) * s.plane;
        for (int64_t i = 0; i < s.plane; ++i) {
          const A v = static_cast<A>(g[base + i]) / sd;
          Put(dx, base + i, std::is_same<T, double>::value ? static_cast<T>(v) : Store<T>(static_cast<float>(v)), req[0]);
        }
      }
  });
}

// ---------------------------------------------------------------------------------------------------------------
// Flips (one (H, W, C) image)
// ---------------------------------------------------------------------------------------------------------------
void ImageShape(const OpParams &p, std::vector<TShape> *in, std::vector<TShape> *out) {
  const TShape &d = (*in)[0];
  if (d.empty()) return;
  if (d.ndim() != 3)
    Throw(ErrorKind::kShape, Where(p, "data", d), "the input must be an image of shape (height, width, channels)");
  ShapeAssign(&(*out)[0], d, p.op(), "output");
}

void RgbShape(const OpParams &p, std::vector<TShape> *in, std::vector<TShape> *out) {
  const TShape &d = (*in)[0];
  if (d.empty()) return;
  if (d.ndim() != 3 || d[2] != 3)
    Throw(ErrorKind::kShape, Where(p, "data", d), "the input must be an RGB image of shape (height, width, 3)");
  ShapeAssign(&(*out)[0], d, p.op(), "output");
}

// Brightness, contrast, saturation, hue, colour jitter: 1 (grey) or 3 (RGB) channels.
void ColourShape(const OpParams &p, std::vector<TShape> *in, std::vector<TShape> *out) {
  const TShape &d = (*in)[0];
  if (d.empty()) return;
  if (d.ndim() != 3 || (d[2] != 3 && d[2] != 1))
    Throw(ErrorKind::kShape, Where(p, "data", d),
          "the input must be an image of shape (height, width, 3) (RGB) or (height, width, 1) (grey)");
  ShapeAssign(&(*out)[0], d, p.op(), "output");
}

// y = x flipped along width (lr) or height; any dtype.
void Flip(const TBlob &x, const TBlob &y, OpReq req, bool lr) {
  if (req == kNullOp) return;
  const int64_t H = x.shape[0], W = x.shape[1], C = x.shape[2];
  MXC_TYPE_SWITCH(x.dtype, T, {
    const T *a = x.ptr<T>();
    T *b = y.ptr<T>();
    for (int64_t r = 0; r < H; ++r)
      for (int64_t c = 0; c < W; ++c) {
        const int64_t sr = lr ? r : H - 1 - r, sc = lr ? W - 1 - c : c;
        for (int64_t k = 0; k < C; ++k) Put(b, (r * W + c) * C + k, a[(sr * W + sc) * C + k], req);
      }
  });
}

void Copy(const TBlob &x, const TBlob &y, OpReq req) {
  if (req == kNullOp) return;
  MXC_TYPE_SWITCH(x.dtype, T, {
    const T *a = x.ptr<T>();
    T *b = y.ptr<T>();
    const int64_t n = x.Size();
    if (req == kAddTo || a != b)
      for (int64_t i = 0; i < n; ++i) Put(b, i, a[i], req);
  });
}

void FlipLRForward(MXC_NN_FORWARD_ARGS) { Flip(in[0], out[0], req[0], true); }
void FlipTBForward(MXC_NN_FORWARD_ARGS) { Flip(in[0], out[0], req[0], false); }
void FlipLRBackward(MXC_NN_BACKWARD_ARGS) { Flip(out_grad[0], in_grad[0], req[0], true); }
void FlipTBBackward(MXC_NN_BACKWARD_ARGS) { Flip(out_grad[0], in_grad[0], req[0], false); }

void RandomFlipForward(const OpContext &ctx, const OpParams &p, const std::vector<TBlob> &in,
                       const std::vector<OpReq> &req, const std::vector<TBlob> &out, bool lr) {
  if (image::DrawFlip(ctx))
    Flip(in[0], out[0], req[0], lr);
  else
    Copy(in[0], out[0], req[0]);
  (void)p;
}
void RandomFlipLRForward(MXC_NN_FORWARD_ARGS) { RandomFlipForward(ctx, p, in, req, out, true); }
void RandomFlipTBForward(MXC_NN_FORWARD_ARGS) { RandomFlipForward(ctx, p, in, req, out, false); }

// ---------------------------------------------------------------------------------------------------------------
// Colour operators (one RGB image, float32 arithmetic)
// ---------------------------------------------------------------------------------------------------------------
void Brightness(std::vector<float> *px, int, float a) {
  for (float &v : *px) v *= a;
}

void Contrast(std::vector<float> *px, int C, float a) {
  const int64_t n = static_cast<int64_t>(px->size()) / C;
  double sum = 0;
  for (int64_t i = 0; i < n; ++i)
    sum += ImgGrey(px->data() + C * i, C);
  const float grey = n > 0 ? static_cast<float>(sum / static_cast<double>(n)) : 0.0f;
  for (float &v : *px) v = ImgContrast(v, a, grey);
}

void Saturation(std::vector<float> *px, int C, float a) {
  if (C == 1) return;  // a grey pixel is its own grey value
  const int64_t n = static_cast<int64_t>(px->size()) / 3;
  for (int64_t i = 0; i < n; ++i) ImgSaturatePixel(px->data() + 3 * i, a);  // MXNet 1.9.1's grey: 0.114 * blue
}

// Rotates the hue of each pixel by a * 360 degrees, keeping its largest and smallest channel.
void Hue(std::vector<float> *px, int C, float a) {
  if (C == 1) return;  // grey pixels have no hue
  const int64_t n = static_cast<int64_t>(px->size()) / 3;
  for (int64_t i = 0; i < n; ++i) ImgHuePixel(px->data() + 3 * i, a);
}

void Lighting(std::vector<float> *px, const float add[3]) {
  const int64_t n = static_cast<int64_t>(px->size()) / 3;
  for (int64_t i = 0; i < n; ++i)
    for (int k = 0; k < 3; ++k) (*px)[3 * i + k] += add[k];
}

// Runs f on the pixels of in[0] as float32 and stores them into out[0].
template <typename F>
void ColourOp(const TBlob &x, const TBlob &y, OpReq req, F f) {
  if (req == kNullOp) return;
  const int64_t n = x.Size();
  std::vector<float> px(n);
  MXC_TYPE_SWITCH(x.dtype, T, {
    const T *a = x.ptr<T>();
    for (int64_t i = 0; i < n; ++i) px[i] = static_cast<float>(a[i]);
    f(&px);
    T *b = y.ptr<T>();
    for (int64_t i = 0; i < n; ++i) Put(b, i, Store<T>(px[i]), req);
  });
}

void Factors(const OpParams &p, double *lo, double *hi) {
  *lo = p.Float("min_factor");
  *hi = p.Float("max_factor");
  if (!(*lo >= 0) || !(*hi >= 0) || !std::isfinite(*lo) || !std::isfinite(*hi))
    Throw(ErrorKind::kValue, "operator ", p.op()->name,
          ": min_factor and max_factor must be finite and non-negative, got min_factor=", *lo, ", max_factor=", *hi);
}

float Draw(const OpContext &ctx, double lo, double hi) {
  return static_cast<float>(lo + (hi - lo) * Uniform01(Rng(ctx)));
}

template <void (*Fn)(std::vector<float> *, int, float)>
void RandomFactorForward(MXC_NN_FORWARD_ARGS) {
  const float a = image::DrawFactor(ctx, p);
  const int C = static_cast<int>(in[0].shape[2]);
  ColourOp(in[0], out[0], req[0], [&](std::vector<float> *px) { Fn(px, C, a); });
}

void RandomFactorCheckShape(const OpParams &p, std::vector<TShape> *in, std::vector<TShape> *out) {
  double lo, hi;
  Factors(p, &lo, &hi);
  ColourShape(p, in, out);
}

void JitterParams(const OpParams &p, double v[4]) {
  const char *names[4] = {"brightness", "contrast", "saturation", "hue"};
  for (int i = 0; i < 4; ++i) {
    v[i] = p.Float(names[i]);
    if (!(v[i] >= 0) || !std::isfinite(v[i]))
      Throw(ErrorKind::kValue, "operator ", p.op()->name, ": parameter '", names[i],
            "' must be finite and non-negative, got ", v[i]);
  }
}

void JitterShape(const OpParams &p, std::vector<TShape> *in, std::vector<TShape> *out) {
  double v[4];
  JitterParams(p, v);
  ColourShape(p, in, out);
}

void ColorJitterForward(MXC_NN_FORWARD_ARGS) {
  std::vector<int> steps;
  std::vector<float> factors;
  image::DrawJitter(ctx, p, &steps, &factors);
  const int C = static_cast<int>(in[0].shape[2]);
  ColourOp(in[0], out[0], req[0], [&](std::vector<float> *px) {
    for (size_t i = 0; i < steps.size(); ++i) {
      switch (steps[i]) {
        case 0: Brightness(px, C, factors[i]); break;
        case 1: Contrast(px, C, factors[i]); break;
        case 2: Saturation(px, C, factors[i]); break;
        default: Hue(px, C, factors[i]); break;
      }
    }
  });
}

std::vector<double> LightingAlpha(const OpParams &p) {
  std::vector<double> a = detection::FloatTuple(p, "alpha");
  if (a.size() != 3)
    Throw(ErrorKind::kValue, "operator ", p.op()->name, ": parameter 'alpha' must hold 3 values (R, G, B), got ",
          a.size());
  return a;
}

void AdjustLightingShape(const OpParams &p, std::vector<TShape> *in, std::vector<TShape> *out) {
  LightingAlpha(p);
  RgbShape(p, in, out);
}

void AdjustLightingForward(MXC_NN_FORWARD_ARGS) {
  float add[3];
  image::LightingOffset(ctx, p, false, add);
  ColourOp(in[0], out[0], req[0], [&](std::vector<float> *px) { Lighting(px, add); });
}

void IdentityBackward(MXC_NN_BACKWARD_ARGS) { Copy(out_grad[0], in_grad[0], req[0]); }

void RandomLightingShape(const OpParams &p, std::vector<TShape> *in, std::vector<TShape> *out) {
  const double s = p.Float("alpha_std");
  if (!(s >= 0) || !std::isfinite(s))
    Throw(ErrorKind::kValue, "operator ", p.op()->name, ": parameter 'alpha_std' must be finite and non-negative, got ",
          s);
  RgbShape(p, in, out);
}

void RandomLightingForward(MXC_NN_FORWARD_ARGS) {
  float add[3];
  image::LightingOffset(ctx, p, true, add);
  ColourOp(in[0], out[0], req[0], [&](std::vector<float> *px) { Lighting(px, add); });
}

// ---------------------------------------------------------------------------------------------------------------
// crop
// ---------------------------------------------------------------------------------------------------------------
void CropShape(const OpParams &p, std::vector<TShape> *in, std::vector<TShape> *out) {
  const TShape &d = (*in)[0];
  if (d.empty()) return;
  if (d.ndim() != 3 && d.ndim() != 4)
    Throw(ErrorKind::kShape, Where(p, "data", d), "the input must be an image (H, W, C) or a batch (N, H, W, C)");
  const int64_t x = p.Int("x"), y = p.Int("y"), w = p.Int("width"), h = p.Int("height");
  const int64_t H = d[d.ndim() - 3], W = d[d.ndim() - 2];
  if (x < 0 || y < 0 || w <= 0 || h <= 0)
    Throw(ErrorKind::kValue, Where(p, "data", d), "need x >= 0, y >= 0, width > 0 and height > 0, got x=", x,
          ", y=", y, ", width=", w, ", height=", h);
  if (x > W - w || y > H - h)
    Throw(ErrorKind::kValue, Where(p, "data", d), "the window x=", x, ", y=", y, ", width=", w, ", height=", h,
          " does not fit in the image (width ", W, ", height ", H, ")");
  TShape o = d;
  o[o.ndim() - 3] = h;
  o[o.ndim() - 2] = w;
  ShapeAssign(&(*out)[0], o, p.op(), "output");
}

// Copies the window between the image (big) and the crop (small): forward big -> small, backward small -> big
// (zero outside the window).
void CropCopy(const OpParams &p, const TBlob &big, const TBlob &small, OpReq req, bool forward) {
  if (req == kNullOp) return;
  const Nhwc s = Dims(big.shape);
  const int64_t x0 = p.Int("x"), y0 = p.Int("y"), w = p.Int("width"), h = p.Int("height");
  MXC_TYPE_SWITCH(big.dtype, T, {
    T *b = big.ptr<T>();
    T *sm = small.ptr<T>();
    if (!forward && req != kAddTo) std::fill(b, b + big.Size(), T(0));
    for (int64_t n = 0; n < s.n; ++n)
      for (int64_t r = 0; r < h; ++r)
        for (int64_t c = 0; c < w; ++c)
          for (int64_t k = 0; k < s.c; ++k) {
            const int64_t bi = (((n * s.h) + y0 + r) * s.w + x0 + c) * s.c + k;
            const int64_t si = ((n * h + r) * w + c) * s.c + k;
            if (forward)
              Put(sm, si, b[bi], req);
            else
              b[bi] = static_cast<T>(b[bi] + sm[si]);
          }
  });
}

void CropForward(MXC_NN_FORWARD_ARGS) { CropCopy(p, in[0], out[0], req[0], true); }
void CropBackward(MXC_NN_BACKWARD_ARGS) { CropCopy(p, in_grad[0], out_grad[0], req[0], false); }

// ---------------------------------------------------------------------------------------------------------------
// Registration
// ---------------------------------------------------------------------------------------------------------------
Op &Reg(const char *name, const char *doc) {
  return OpRegistry::Get()->Register(name).describe(doc).set_inputs({"data"});
}

[[maybe_unused]] const int registered = [] {
  Reg("_image_to_tensor",
      "Converts an image NDArray (H, W, C) or (N, H, W, C) of values in [0, 255] to a float32 tensor (C, H, W) or "
      "(N, C, H, W) of values in [0, 1].")
      .set_infer_shape(ToTensorShape)
      .set_infer_type(ToTensorType)
      .set_compute(MXC_CPU, ToTensorForward)
      .set_backward(MXC_CPU, ToTensorBackward)
      .set_backward_uses(false, false);
  Reg("_image_normalize",
      "Normalizes a tensor (C, H, W) or (N, C, H, W) of 1 or 3 channels: (data - mean[c]) / std[c].")
      .add_param("mean", ParamKind::kString, "(0, 0, 0, 0)",
                 "Sequence of means for each channel. Default value is 0.")
      .add_param("std", ParamKind::kString, "(1, 1, 1, 1)",
                 "Sequence of standard deviations for each channel. Default value is 1.")
      .set_infer_shape(NormalizeShape)
      .set_infer_type(SameTypeNoHalf)
      .set_compute(MXC_CPU, NormalizeForward)
      .set_backward(MXC_CPU, NormalizeBackward)
      .set_backward_uses(false, false);
  Reg("_image_flip_left_right", "Reverses the width axis of an image (H, W, C).")
      .set_infer_shape(ImageShape)
      .set_infer_type(SameTypeNoHalf)
      .set_compute(MXC_CPU, FlipLRForward)
      .set_backward(MXC_CPU, FlipLRBackward)
      .set_backward_uses(false, false);
  Reg("_image_flip_top_bottom", "Reverses the height axis of an image (H, W, C).")
      .set_infer_shape(ImageShape)
      .set_infer_type(SameTypeNoHalf)
      .set_compute(MXC_CPU, FlipTBForward)
      .set_backward(MXC_CPU, FlipTBBackward)
      .set_backward_uses(false, false);
  Reg("_image_random_flip_left_right", "Reverses the width axis of an image (H, W, C) with probability 0.5.")
      .set_random()
      .set_infer_shape(ImageShape)
      .set_infer_type(SameTypeNoHalf)
      .set_compute(MXC_CPU, RandomFlipLRForward);
  Reg("_image_random_flip_top_bottom", "Reverses the height axis of an image (H, W, C) with probability 0.5.")
      .set_random()
      .set_infer_shape(ImageShape)
      .set_infer_type(SameTypeNoHalf)
      .set_compute(MXC_CPU, RandomFlipTBForward);
  struct Factor {
    const char *name, *doc;
    FCompute f;
  };
  const Factor factors[] = {
      {"_image_random_brightness", "Multiplies an RGB image by a factor drawn from [min_factor, max_factor].",
       RandomFactorForward<Brightness>},
      {"_image_random_contrast",
       "Blends an RGB image with its mean grey value: x * a + (1 - a) * mean_grey, a from [min_factor, max_factor].",
       RandomFactorForward<Contrast>},
      {"_image_random_saturation",
       "Blends each pixel of an RGB image with its grey value: x * a + (1 - a) * grey, a from [min_factor, "
       "max_factor].",
       RandomFactorForward<Saturation>},
      {"_image_random_hue",
       "Rotates the hue of an RGB image by a fraction of a turn drawn from [min_factor, max_factor].",
       RandomFactorForward<Hue>},
  };
  for (const Factor &f : factors)
    Reg(f.name, f.doc)
        .set_random()
        .add_required_param("min_factor", ParamKind::kFloat, "Minimum factor.")
        .add_required_param("max_factor", ParamKind::kFloat, "Maximum factor.")
        .set_infer_shape(RandomFactorCheckShape)
        .set_infer_type(SameTypeNoHalf)
        .set_compute(MXC_CPU, f.f);
  Reg("_image_random_color_jitter",
      "Changes brightness, contrast, saturation (factors from [1 - v, 1 + v]) and hue (from [-hue, hue]) of an RGB "
      "image, in a random order.")
      .set_random()
      .add_required_param("brightness", ParamKind::kFloat, "How much to jitter brightness.")
      .add_required_param("contrast", ParamKind::kFloat, "How much to jitter contrast.")
      .add_required_param("saturation", ParamKind::kFloat, "How much to jitter saturation.")
      .add_required_param("hue", ParamKind::kFloat, "How much to jitter hue.")
      .set_infer_shape(JitterShape)
      .set_infer_type(SameTypeNoHalf)
      .set_compute(MXC_CPU, ColorJitterForward);
  Reg("_image_adjust_lighting",
      "Adds eigvec . (alpha * eigval) (ImageNet's RGB principal components) to every pixel of an RGB image.")
      .add_required_param("alpha", ParamKind::kString, "The lighting alphas for the R, G, B channels.")
      .set_infer_shape(AdjustLightingShape)
      .set_infer_type(SameTypeNoHalf)
      .set_compute(MXC_CPU, AdjustLightingForward)
      .set_backward(MXC_CPU, IdentityBackward)
      .set_backward_uses(false, false);
  Reg("_image_random_lighting",
      "adjust_lighting with alphas drawn from a normal distribution of standard deviation alpha_std.")
      .set_random()
      .add_param("alpha_std", ParamKind::kFloat, "0.05", "Level of the lighting noise.")
      .set_infer_shape(RandomLightingShape)
      .set_infer_type(SameTypeNoHalf)
      .set_compute(MXC_CPU, RandomLightingForward);
  Reg("_image_crop", "Crops an image (H, W, C) or a batch (N, H, W, C) to the window at (x, y) of width x height.")
      .add_required_param("x", ParamKind::kInt, "Left boundary of the cropping area.")
      .add_required_param("y", ParamKind::kInt, "Top boundary of the cropping area.")
      .add_required_param("width", ParamKind::kInt, "Width of the cropping area.")
      .add_required_param("height", ParamKind::kInt, "Height of the cropping area.")
      .set_infer_shape(CropShape)
      .set_infer_type(SameTypeNoHalf)
      .set_compute(MXC_CPU, CropForward)
      .set_backward(MXC_CPU, CropBackward)
      .set_backward_uses(false, false);
  return 0;
}();

}  // namespace

namespace image {

void MeanStd(const OpParams &p, int64_t channels, std::vector<float> *mean, std::vector<float> *std,
             std::vector<double> *mean64, std::vector<double> *std64) {
  const auto ms = GetMeanStd(p, channels);
  mean->resize(channels);
  std->resize(channels);
  if (mean64) mean64->resize(channels);
  if (std64) std64->resize(channels);
  for (int64_t k = 0; k < channels; ++k) {
    (*mean)[k] = static_cast<float>(ms.m(k));
    (*std)[k] = static_cast<float>(ms.s(k));
    if (mean64) (*mean64)[k] = ms.m(k);
    if (std64) (*std64)[k] = ms.s(k);
  }
}

bool DrawFlip(const OpContext &ctx) { return Uniform01(Rng(ctx)) < 0.5; }

float DrawFactor(const OpContext &ctx, const OpParams &p) {
  double lo, hi;
  Factors(p, &lo, &hi);
  return Draw(ctx, lo, hi);
}

void DrawJitter(const OpContext &ctx, const OpParams &p, std::vector<int> *steps, std::vector<float> *factors) {
  double v[4];
  JitterParams(p, v);
  std::mt19937_64 &g = Rng(ctx);
  // The steps asked for, in a random order (Fisher-Yates), then one factor per step.
  steps->clear();
  factors->clear();
  for (int i = 0; i < 4; ++i)
    if (v[i] > 0) steps->push_back(i);
  for (int64_t i = static_cast<int64_t>(steps->size()) - 1; i > 0; --i) {
    const int64_t j = static_cast<int64_t>(Uniform01(g) * static_cast<double>(i + 1));
    std::swap((*steps)[i], (*steps)[std::min(j, i)]);
  }
  for (int s : *steps)
    factors->push_back(s == 3 ? Draw(ctx, -v[3], v[3]) : Draw(ctx, std::max(0.0, 1.0 - v[s]), 1.0 + v[s]));
}

void LightingOffset(const OpContext &ctx, const OpParams &p, bool random, float add[3]) {
  double a[3];
  if (random) {
    const double s = p.Float("alpha_std");
    std::mt19937_64 &g = Rng(ctx);
    for (double &v : a) v = s * Normal(g);
  } else {
    const std::vector<double> v = LightingAlpha(p);
    for (int k = 0; k < 3; ++k) a[k] = v[k];
  }
  ImgLightingOffset(a, add);
}

}  // namespace image
}  // namespace op
}  // namespace mxc
