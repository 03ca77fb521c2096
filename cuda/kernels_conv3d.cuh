// 3-D (NCDHW) im2col / col2im and pooling kernels behind the raw-pointer boundary (see kernels.cuh). The 1-D/2-D
// calls keep kernels.cuh's Im2Col/Col2Im/Pool2D; these add the depth dimension.
#pragma once

#include <cuda_runtime.h>

#include <cstdint>

namespace mxc {
namespace cuda {

// The geometry of a 3-D window op: input (D, H, W), output (od, oh, ow), kernel, stride, pad, dilation.
struct Win3 {
  int64_t D, H, W, od, oh, ow;
  int kd, kh, kw, sd, sh, sw, pd, ph, pw, dd, dh, dw;
};

// data (N, C, D, H, W) -> col (C*kd*kh*kw, N, od*oh*ow) (0 in the padding).
void Im2Col3D(int dtype, const void *data, int64_t N, int64_t C, const Win3 &g, void *col, cudaStream_t s);
// data (+)= col2im(col); add=false overwrites data.
void Col2Im3D(int dtype, const void *col, int64_t N, int64_t C, const Win3 &g, void *data, bool add, cudaStream_t s);
// 3-D pooling over (NC, D, H, W) volumes (dilation unused). type: 0 max, 1 avg, 2 sum.
void Pool3D(int dtype, int type, const void *x, void *y, int64_t NC, const Win3 &g, bool count_include_pad, int req,
            cudaStream_t s);
// gx (=|+=) pooling gradient (max: to the first maximum of each window); gx is zeroed first unless req is add.
void Pool3DGrad(int dtype, int type, const void *x, const void *y, const void *gy, void *gx, int64_t NC, const Win3 &g,
                bool count_include_pad, int req, cudaStream_t s);

}  // namespace cuda
}  // namespace mxc
