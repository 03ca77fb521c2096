// GPU kernels: see RegisterShapeKernels in cuda/gpu_ops.h.
#include "gpu_ops.h"

namespace mxc {
namespace gpu {

void RegisterShapeKernels() {}

}  // namespace gpu
}  // namespace mxc
