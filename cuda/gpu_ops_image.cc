// Native GPU kernels of MXNet 1.9.1's image operators (cuda/image.cu, kernels_image.cuh) with the semantics of the
// CPU kernels (core/ops/image_ops.cc): to_tensor, normalize, the flips and crop (forward and gradient), the random
// flips, the colour operators (brightness, contrast, saturation, hue, colour jitter, lighting; adjust_lighting's
// gradient). Parameters are checked and random numbers drawn by core/ops/image_params.h as on the CPU, so a seed
// gives the same result on either device. float32, float64 and the integer dtypes run natively; bool images (and
// float16, which runs through float32 copies) use the CPU kernel.
#include <memory>
#include <vector>

#include "device.h"
#include "gpu_device.h"
#include "gpu_ops.h"
#include "kernels_image.cuh"
#include "operator.h"
#include "ops/image_params.h"

namespace mxc {
namespace gpu {

namespace {

// The dtypes the kernels take: float32, float64, uint8, int32, int8, int64.
bool Native(int t) { return IsReal(t) || IsInt(t); }

// (N, H*W, C) of an (H, W, C) or (N, H, W, C) shape.
void Nhwc(const TShape &d, int64_t *N, int64_t *H, int64_t *W, int64_t *C) {
  const bool four = d.ndim() == 4;
  *N = four ? d[0] : 1;
  *H = d[four ? 1 : 0];
  *W = d[four ? 2 : 1];
  *C = d[four ? 3 : 2];
}

void ToTensorFwd(FWD_ARGS) {
  const int t = in[0].dtype;
  if (!Native(t) || out[0].dtype != kFloat32) return Fallback(ctx, p, in, req, out);
  int64_t N, H, W, C;
  Nhwc(in[0].shape, &N, &H, &W, &C);
  cuda::ImageToTensor(t, in[0].dptr, static_cast<float *>(out[0].dptr), N, H * W, C, req[0], St(ctx));
  CheckLaunch("_image_to_tensor");
}
void ToTensorBwd(BWD_ARGS) {
  if (req[0] == kNullOp) return;
  const int t = ig[0].dtype;
  if (!Native(t) || og[0].dtype != kFloat32) return FallbackGrad(ctx, p, og, id, od, req, ig);
  int64_t N, H, W, C;
  Nhwc(ig[0].shape, &N, &H, &W, &C);
  cuda::ImageToTensorGrad(t, static_cast<const float *>(og[0].dptr), ig[0].dptr, N, H * W, C, req[0], St(ctx));
  CheckLaunch("_image_to_tensor backward");
}

// normalize's per-channel mean and std on the device (float32, or float64 for float64 tensors).
struct NormConsts {
  std::unique_ptr<Scratch> mem;
  const void *mean = nullptr, *std = nullptr;
  NormConsts(const OpContext &ctx, const OpParams &p, int64_t C, int dtype) {
    std::vector<float> m, s;
    std::vector<double> m64, s64;
    op::image::MeanStd(p, C, &m, &s, &m64, &s64);
    const size_t es = dtype == kFloat64 ? sizeof(double) : sizeof(float);
    std::vector<char> host(2 * C * es);
    for (int64_t k = 0; k < C; ++k) {
      if (dtype == kFloat64) {
        reinterpret_cast<double *>(host.data())[k] = m64[k];
        reinterpret_cast<double *>(host.data())[C + k] = s64[k];
      } else {
        reinterpret_cast<float *>(host.data())[k] = m[k];
        reinterpret_cast<float *>(host.data())[C + k] = s[k];
      }
    }
    mem.reset(new Scratch(Dev(ctx), host.size()));
    DeviceCopy(ctx.dev, mem->get(), Device::CPU(), host.data(), host.size());
    mean = mem->get();
    std = static_cast<const char *>(mem->get()) + C * es;
  }
};

// (N, C, plane) of a (C, H, W) or (N, C, H, W) tensor.
void Ncp(const TShape &d, int64_t *N, int64_t *C, int64_t *plane) {
  const bool four = d.ndim() == 4;
  *N = four ? d[0] : 1;
  *C = d[four ? 1 : 0];
  *plane = d[d.ndim() - 2] * d[d.ndim() - 1];
}

void NormalizeFwd(FWD_ARGS) {
  const int t = in[0].dtype;
  if (!Native(t) || out[0].dtype != t) return Fallback(ctx, p, in, req, out);
  if (req[0] == kNullOp) return;
  int64_t N, C, plane;
  Ncp(in[0].shape, &N, &C, &plane);
  const NormConsts k(ctx, p, C, t);
  cuda::ImageNormalize(t, in[0].dptr, out[0].dptr, k.mean, k.std, N, C, plane, req[0], St(ctx));
  CheckLaunch("_image_normalize");
}
void NormalizeBwd(BWD_ARGS) {
  if (req[0] == kNullOp) return;
  const int t = ig[0].dtype;
  if (!Native(t) || og[0].dtype != t) return FallbackGrad(ctx, p, og, id, od, req, ig);
  int64_t N, C, plane;
  Ncp(ig[0].shape, &N, &C, &plane);
  const NormConsts k(ctx, p, C, t);
  cuda::ImageNormalizeGrad(t, og[0].dptr, ig[0].dptr, k.std, N, C, plane, req[0], St(ctx));
  CheckLaunch("_image_normalize backward");
}

// y = x flipped (or copied) along width (lr) or height.
void FlipRun(const OpContext &ctx, const TBlob &x, const TBlob &y, OpReq r, bool flip, bool lr, const char *what) {
  if (r == kNullOp) return;
  if (!flip && r != kAddTo && x.dptr == y.dptr) return;  // in place, unchanged
  cuda::ImageFlip(x.dtype, x.dptr, y.dptr, x.shape[0], x.shape[1], x.shape[2], flip, lr, r, St(ctx));
  CheckLaunch(what);
}

template <bool kLR>
void FlipFwd(FWD_ARGS) {
  if (!Native(in[0].dtype)) return Fallback(ctx, p, in, req, out);
  FlipRun(ctx, in[0], out[0], req[0], true, kLR, p.op()->name.c_str());
}
template <bool kLR>
void FlipBwd(BWD_ARGS) {
  if (!Native(og[0].dtype)) return FallbackGrad(ctx, p, og, id, od, req, ig);
  FlipRun(ctx, og[0], ig[0], req[0], true, kLR, p.op()->name.c_str());
}
template <bool kLR>
void RandomFlipFwd(FWD_ARGS) {
  if (!Native(in[0].dtype) || !ctx.rng) return Fallback(ctx, p, in, req, out);
  const bool flip = op::image::DrawFlip(ctx);
  FlipRun(ctx, in[0], out[0], req[0], flip, kLR, p.op()->name.c_str());
}

void CropFwd(FWD_ARGS) {
  if (!Native(in[0].dtype)) return Fallback(ctx, p, in, req, out);
  int64_t N, H, W, C;
  Nhwc(in[0].shape, &N, &H, &W, &C);
  cuda::ImageCrop(in[0].dtype, in[0].dptr, out[0].dptr, N, H, W, C, p.Int("x"), p.Int("y"), p.Int("width"),
                  p.Int("height"), req[0], St(ctx));
  CheckLaunch("_image_crop");
}
void CropBwd(BWD_ARGS) {
  if (req[0] == kNullOp) return;
  if (!Native(og[0].dtype)) return FallbackGrad(ctx, p, og, id, od, req, ig);
  int64_t N, H, W, C;
  Nhwc(ig[0].shape, &N, &H, &W, &C);
  cuda::ImageCropGrad(og[0].dtype, og[0].dptr, ig[0].dptr, N, H, W, C, p.Int("x"), p.Int("y"), p.Int("width"),
                      p.Int("height"), req[0], St(ctx));
  CheckLaunch("_image_crop backward");
}

// ---- colour operators: the image in a float32 buffer, the steps in place, stored back as the CPU stores ----
struct ColourBuf {
  std::unique_ptr<Scratch> mem;
  float *f = nullptr;
  double *sum = nullptr;
  int64_t n = 0, pixels = 0;
  int C = 0;
  ColourBuf(const OpContext &ctx, const TBlob &x) {
    n = x.Size();
    C = static_cast<int>(x.shape[2]);
    pixels = C ? n / C : 0;
    const size_t fbytes = (static_cast<size_t>(n) * sizeof(float) + 15) / 16 * 16;
    mem.reset(new Scratch(Dev(ctx), fbytes + sizeof(double)));
    f = mem->as<float>();
    sum = reinterpret_cast<double *>(static_cast<char *>(mem->get()) + fbytes);
    cuda::ImageLoad(x.dtype, x.dptr, f, n, St(ctx));
  }
  void Step(const OpContext &ctx, int step, float a) {
    switch (step) {
      case 0: cuda::ImageScale(f, n, a, St(ctx)); break;
      case 1: cuda::ImageContrast(f, pixels, C, a, sum, St(ctx)); break;
      case 2:
        if (C == 3) cuda::ImageSaturation(f, pixels, a, St(ctx));
        break;
      default:
        if (C == 3) cuda::ImageHue(f, pixels, a, St(ctx));
        break;
    }
  }
  void Store(const OpContext &ctx, const TBlob &y, OpReq r, const char *what) {
    cuda::ImageStore(y.dtype, f, y.dptr, n, r, St(ctx));
    CheckLaunch(what);
  }
};

template <int kStep>
void FactorFwd(FWD_ARGS) {
  if (!Native(in[0].dtype) || !ctx.rng) return Fallback(ctx, p, in, req, out);
  const float a = op::image::DrawFactor(ctx, p);
  if (req[0] == kNullOp) return;
  ColourBuf b(ctx, in[0]);
  b.Step(ctx, kStep, a);
  b.Store(ctx, out[0], req[0], p.op()->name.c_str());
}

void JitterFwd(FWD_ARGS) {
  if (!Native(in[0].dtype) || !ctx.rng) return Fallback(ctx, p, in, req, out);
  std::vector<int> steps;
  std::vector<float> factors;
  op::image::DrawJitter(ctx, p, &steps, &factors);
  if (req[0] == kNullOp) return;
  ColourBuf b(ctx, in[0]);
  for (size_t i = 0; i < steps.size(); ++i) b.Step(ctx, steps[i], factors[i]);
  b.Store(ctx, out[0], req[0], "_image_random_color_jitter");
}

template <bool kRandom>
void LightingFwd(FWD_ARGS) {
  if (!Native(in[0].dtype) || (kRandom && !ctx.rng)) return Fallback(ctx, p, in, req, out);
  float add[3];
  op::image::LightingOffset(ctx, p, kRandom, add);
  if (req[0] == kNullOp) return;
  ColourBuf b(ctx, in[0]);
  cuda::ImageAddRGB(b.f, b.pixels, add[0], add[1], add[2], St(ctx));
  b.Store(ctx, out[0], req[0], p.op()->name.c_str());
}
// adjust_lighting's gradient: the head gradient (a copy through the flip kernel, unflipped).
void LightingBwd(BWD_ARGS) {
  if (!Native(og[0].dtype)) return FallbackGrad(ctx, p, og, id, od, req, ig);
  FlipRun(ctx, og[0], ig[0], req[0], false, false, "_image_adjust_lighting backward");
}

}  // namespace

void RegisterImageKernels() {
  Set("_image_to_tensor", ToTensorFwd, ToTensorBwd);
  Set("_image_normalize", NormalizeFwd, NormalizeBwd);
  Set("_image_flip_left_right", FlipFwd<true>, FlipBwd<true>);
  Set("_image_flip_top_bottom", FlipFwd<false>, FlipBwd<false>);
  Set("_image_random_flip_left_right", RandomFlipFwd<true>);
  Set("_image_random_flip_top_bottom", RandomFlipFwd<false>);
  Set("_image_crop", CropFwd, CropBwd);
  Set("_image_random_brightness", FactorFwd<0>);
  Set("_image_random_contrast", FactorFwd<1>);
  Set("_image_random_saturation", FactorFwd<2>);
  Set("_image_random_hue", FactorFwd<3>);
  Set("_image_random_color_jitter", JitterFwd);
  Set("_image_adjust_lighting", LightingFwd<false>, LightingBwd);
  Set("_image_random_lighting", LightingFwd<true>);
}

}  // namespace gpu
}  // namespace mxc
