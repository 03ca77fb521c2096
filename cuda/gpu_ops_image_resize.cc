// Native GPU kernel of MXNet 1.9.1's _image_resize (cuda/image_resize.cu, kernels_image_resize.cuh) with the CPU
// kernel's sampling (core/ops/image_resize.cc): the per-axis tap tables are built on the host by
// core/ops/image_resize_impl.h's ImgResizeTaps, copied to the device, and each output value is summed as the CPU
// sums it. float32, float64 and the integer dtypes run natively (the operator accepts no other).
#include <cstring>
#include <vector>

#include "device.h"
#include "gpu_device.h"
#include "gpu_ops.h"
#include "kernels_image_resize.cuh"
#include "operator.h"
#include "ops/image_resize_impl.h"

namespace mxc {
namespace gpu {

namespace {

void ResizeFwd(FWD_ARGS) {
  const int t = in[0].dtype;
  if (!(IsReal(t) || IsInt(t))) return Fallback(ctx, p, in, req, out);
  if (req[0] == kNullOp) return;
  const TShape &d = in[0].shape, &o = out[0].shape;
  const bool four = d.ndim() == 4;
  const int64_t N = four ? d[0] : 1, H = d[d.ndim() - 3], W = d[d.ndim() - 2], C = d[d.ndim() - 1];
  const int64_t oh = o[o.ndim() - 3], ow = o[o.ndim() - 2];
  if (N * oh * ow * C == 0) return;
  const int interp = static_cast<int>(p.Int("interp"));
  const bool shrink_both = H >= oh && W >= ow;
  int ky, kx;
  std::vector<int32_t> iy, ix;
  std::vector<double> wy, wx;
  op::ImgResizeTaps(H, oh, interp, shrink_both, &ky, &iy, &wy);
  op::ImgResizeTaps(W, ow, interp, shrink_both, &kx, &ix, &wx);
  // One device buffer: wy, wx (doubles first, for alignment), then iy, ix.
  const size_t bwy = wy.size() * sizeof(double), bwx = wx.size() * sizeof(double);
  const size_t biy = iy.size() * sizeof(int32_t), bix = ix.size() * sizeof(int32_t);
  std::vector<char> host(bwy + bwx + biy + bix);
  std::memcpy(host.data(), wy.data(), bwy);
  std::memcpy(host.data() + bwy, wx.data(), bwx);
  std::memcpy(host.data() + bwy + bwx, iy.data(), biy);
  std::memcpy(host.data() + bwy + bwx + biy, ix.data(), bix);
  Scratch mem(Dev(ctx), host.size());
  DeviceCopy(ctx.dev, mem.get(), Device::CPU(), host.data(), host.size());
  char *base = static_cast<char *>(mem.get());
  cuda::ImageResize(t, in[0].dptr, out[0].dptr, N, H, W, C, oh, ow, ky,
                    reinterpret_cast<const int32_t *>(base + bwy + bwx), reinterpret_cast<const double *>(base), kx,
                    reinterpret_cast<const int32_t *>(base + bwy + bwx + biy),
                    reinterpret_cast<const double *>(base + bwy), req[0], St(ctx));
  CheckLaunch("_image_resize");
}

}  // namespace

void RegisterImageResizeKernels() { Set("_image_resize", ResizeFwd); }

}  // namespace gpu
}  // namespace mxc
