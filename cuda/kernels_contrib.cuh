// Kernels of the small contrib elementwise operators (quadratic, gradientmultiplier, div_sqrt_dim, round_ste,
// sign_ste) and BatchNormWithReLU's relu parts, behind the raw-pointer boundary (see kernels.cuh). float32/float64;
// the arithmetic is in double, as the CPU kernels do it.
#pragma once

#include <cuda_runtime.h>

#include <cstdint>

namespace mxc {
namespace cuda {

// kind: 0 y = (a x + b) x + c, 1 y = a x, 2 y = round(x) (halves away from zero), 3 y = sign(x).
enum ContribMapKind { kQuadratic = 0, kScale = 1, kRoundSte = 2, kSignSte = 3 };
void ContribMap(int kind, int dtype, const void *x, void *y, int64_t n, double a, double b, double c, int req,
                cudaStream_t s);
// gx (=|+=) g * (2 a x + b) (x null: g * b, a constant derivative).
void ContribLinearGrad(int dtype, const void *g, const void *x, void *gx, int64_t n, double a, double b, int req,
                       cudaStream_t s);
// y (=|+=) max(v, 0) (v may alias y when req is write).
void ReluOut(int dtype, const void *v, void *y, int64_t n, int req, cudaStream_t s);
// m = y > 0 ? dy : 0
void ReluMask(int dtype, const void *dy, const void *y, void *m, int64_t n, cudaStream_t s);

}  // namespace cuda
}  // namespace mxc
