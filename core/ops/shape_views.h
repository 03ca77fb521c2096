// The layouts behind the shape and reduction operators, shared with their GPU kernels (cuda/gpu_ops_shape.cc), so
// that both devices read the operators' parameters the same way.
#pragma once

#include "tensor_util.h"

namespace mxc {
namespace op {

// A broadcast is an expanded shape (`shape`) where the axes marked `rep` repeat the input (stride 0) and the others
// walk it; the output is that shape, contiguous.
struct Expansion {
  int n = 0;
  int64_t shape[kMaxLayoutDim];
  bool rep[kMaxLayoutDim];
  void Push(int64_t d, bool r) {
    shape[n] = d;
    rep[n] = r;
    ++n;
  }
  StridedView View() const {
    StridedView v;
    int64_t st = 1;
    int64_t strides[kMaxLayoutDim];
    for (int i = n - 1; i >= 0; --i) {
      strides[i] = rep[i] ? 0 : st;
      if (!rep[i]) st *= shape[i];
    }
    for (int i = 0; i < n; ++i) v.Push(shape[i], strides[i]);
    v.Simplify();
    return v;
  }
};

// The input elements each output element of transpose/swapaxes reads (input of shape is).
StridedView TransposeView(const OpParams &p, const TShape &is);
// The same for slice/slice_axis, and for reverse.
StridedView SliceView(const OpParams &p, const TShape &is);
StridedView ReverseView(const OpParams &p, const TShape &is);
// broadcast_to/broadcast_axis, tile and repeat as expansions of the input of shape is.
Expansion BroadcastExpansion(const OpParams &p, const TShape &is);
Expansion TileExpansion(const OpParams &p, const TShape &is);
Expansion RepeatExpansion(const OpParams &p, const TShape &is);
// The reduction layout of sum/mean/max/min/prod/norm (axis, keepdims, exclude) over an input of shape is.
RedLayout ReduceLayout(const OpParams &p, const TShape &is);

}  // namespace op
}  // namespace mxc
