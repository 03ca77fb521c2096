// GPU kernels of CTCLoss behind the raw-pointer boundary (registered by cuda/gpu_ops_ctc.cc). dtype codes are
// kernels.cuh's DTypeCode (0 float32, 1 float64); req codes are OpReq's.
//
// The CPU kernel's computation (core/ops/nn_ctc.cc), one thread block per sample: the log-softmax of every step,
// the forward (alpha) and backward (beta) recursions in log space in double precision over the extended label (the
// label with blanks around and between its tokens, prepared and checked on the host), the loss -log p and the
// gradient (softmax - posterior occupancy) * head; 0 for an infeasible label and past the sequence length.
#pragma once

#include <cuda_runtime.h>

#include <cstdint>

namespace mxc {
namespace cuda {

struct CtcGeom {
  int64_t T, N, C;  // data (T, N, C)
  int64_t S;        // the extended labels' row length (the longest 2 * label length + 1)
  int64_t blank;
};
// Doubles of scratch per sample.
inline int64_t CtcWork(const CtcGeom &g) { return g.T + 3 * g.T * g.S; }

// ext: N x S extended labels; seq_len, lab_len: N each. loss (req_loss; may be null): -log p per sample; grad
// (req_grad; may be null): the gradient of the activations scaled by head[n].
void Ctc(int dtype, const CtcGeom &g, const void *x, const int64_t *ext, const int64_t *seq_len,
         const int64_t *lab_len, void *loss, int req_loss, void *grad, int req_grad, const void *head, double *work,
         cudaStream_t s);

}  // namespace cuda
}  // namespace mxc
