// MXNet's NumPy-shape mode (MXCSetIsNumpyShape): 0-d arrays (shape (), one element) and 0 as a real empty axis.
//
// How the core takes 0-d arrays without rewriting operators: shape inference and kernels never see a 0-d shape.
// NDArray::blob() gives a 0-d array's kernels the shape (1,); an imperative call (Invoke) of an operator that takes
// 0-d arrays infers its output shapes on the inputs seen as (1,) and then gives the outputs NumPy's shapes
// (NpCall::FixOutputs); any other operator given a 0-d array raises a ShapeError naming it and the shape. Inference
// itself keeps MXNet 1.x's conventions (ndim 0 = unknown), so unknown shapes are never confused with 0-d ones.
#pragma once

#include <vector>

#include "base.h"

namespace mxc {

class NDArray;
struct Op;
class OpParams;

// 0: off; 1: on for this thread; 2: on for every thread (MXNet's values; MXNet's flag is thread-local, 2 global).
int NumpyShapeMode();
inline bool IsNumpyShape() { return NumpyShapeMode() != 0; }
// Sets the mode (0, 1 or 2; ValueError otherwise); returns the previous one. 0 turns both the thread's and the
// global flag off, 1 sets the thread's flag (and clears the global one), 2 the global one.
int SetNumpyShapeMode(int mode);

// One imperative call's handling of 0-d arrays and of NumPy's output shapes.
class NpCall {
 public:
  // Throws a ShapeError naming the operator when an input (or given output) is 0-d and the operator does not take
  // 0-d arrays.
  NpCall(const Op *op, const OpParams &params, const std::vector<NDArray> &inputs,
         const std::vector<NDArray> *given_outputs);
  bool active() const { return active_; }
  // The shape inference works with: (1,) for ().
  static TShape Lifted(const TShape &s) { return s.ndim() == 0 ? TShape{1} : s; }
  // Output shapes fixed before inference (creation with shape () or reshape to () in NumPy mode); false if none.
  bool Preset(std::vector<TShape> *out_shapes);
  // After inference on lifted shapes: NumPy's output shapes (0-d where NumPy gives 0-d), given outputs' shapes kept.
  void FixOutputs(std::vector<TShape> *out_shapes);
  bool OutputIsZeroD(size_t i) const { return i < zero_d_.size() && zero_d_[i]; }

 private:
  int kind_ = 0;
  bool active_ = false;
  bool np_ = false;
  bool preset_ = false;
  const Op *op_;
  const OpParams *params_;
  std::vector<TShape> in_shapes_;
  std::vector<TShape> given_;
  std::vector<bool> zero_d_;
};

}  // namespace mxc
