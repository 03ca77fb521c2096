// GPU kernels: see RegisterIndexKernels in cuda/gpu_ops.h.
#include "gpu_ops.h"

namespace mxc {
namespace gpu {

void RegisterIndexKernels() {}

}  // namespace gpu
}  // namespace mxc
