// NumPy-shape mode and the 0-d handling of imperative calls (see np_shape.h).
#include "np_shape.h"

#include <atomic>
#include <string>
#include <unordered_map>

#include "ndarray.h"
#include "operator.h"

namespace mxc {

namespace {
thread_local int tls_np_shape = 0;
std::atomic<int> g_np_shape{0};

enum Kind : int { kNone = 0, kElementwise, kReduce, kDot, kReshape, kCreate };

// Operators taking 0-d arrays, beyond those registered as elementwise (set_elementwise).
const std::unordered_map<std::string, int> &KindTable() {
  static const std::unordered_map<std::string, int> t = [] {
    std::unordered_map<std::string, int> m;
    for (const char *n :
         {"_copy", "_copyto", "Cast", "zeros_like", "ones_like", "clip", "elemwise_add", "elemwise_sub",
          "elemwise_mul", "elemwise_div", "_equal", "_not_equal", "_greater", "_greater_equal", "_lesser",
          "_lesser_equal", "_logical_and", "_logical_or", "_logical_xor", "_maximum", "_minimum", "_power", "_mod",
          "_hypot", "_grad_add", "add_n", "amp_cast"})
      m[n] = kElementwise;
    for (const char *n : {"sum", "mean", "max", "min", "prod", "nansum", "nanprod", "norm"}) m[n] = kReduce;
    m["dot"] = kDot;
    m["Reshape"] = kReshape;
    for (const char *n : {"_zeros", "_ones", "_full", "_random_uniform", "_random_normal"}) m[n] = kCreate;
    return m;
  }();
  return t;
}

int KindOf(const Op *op) {
  if (op->elementwise_types != 0) return kElementwise;
  const auto &t = KindTable();
  auto it = t.find(op->name);
  if (it != t.end()) return it->second;
  const std::string &n = op->name;
  auto starts = [&](const char *p) { return n.compare(0, std::strlen(p), p) == 0; };
  auto ends = [&](const char *s) {
    const size_t k = std::strlen(s);
    return n.size() >= k && n.compare(n.size() - k, k, s) == 0;
  };
  // (broadcast_to/_like/_axis take the input's number of axes from the input: not 0-d.)
  if (starts("broadcast_") && n != "broadcast_axis" && n != "broadcast_axes" && n != "broadcast_to" &&
      n != "broadcast_like")
    return kElementwise;
  if (ends("_scalar") && n != "_crop_assign_scalar" && n != "_slice_assign_scalar") return kElementwise;
  return kNone;
}

// Number of axes a reduction removes from an input of ndim nd (MXNet 1.x's axis/exclude meaning).
int ReducedCount(const OpParams &p, int nd) {
  std::vector<bool> r(nd, false);
  if (p.IsNone("axis") || p.Tuple("axis").empty()) {
    r.assign(nd, true);
  } else {
    for (int64_t a : p.Tuple("axis")) {
      int64_t k = a < 0 ? a + nd : a;
      if (k >= 0 && k < nd) r[k] = true;
    }
    if (p.op()->ParamIndex("exclude") >= 0 && p.Bool("exclude")) r.flip();
  }
  int c = 0;
  for (bool b : r) c += b;
  return c;
}

bool ShapeParamIsEmpty(const OpParams &p, const char *name) {
  return p.op()->ParamIndex(name) < 0 || p.IsNone(name) || p.Tuple(name).empty();
}
}  // namespace

int NumpyShapeMode() {
  if (g_np_shape.load(std::memory_order_relaxed) != 0) return 2;
  return tls_np_shape;
}

int SetNumpyShapeMode(int mode) {
  MXC_CHECK(mode >= 0 && mode <= 2, ErrorKind::kValue,
            "set_np_shape: mode must be 0 (off), 1 (this thread) or 2 (every thread), got ", mode);
  const int prev = NumpyShapeMode();
  if (mode == 2) {
    g_np_shape = 1;
  } else {
    g_np_shape = 0;
    tls_np_shape = mode;
  }
  return prev;
}

NpCall::NpCall(const Op *op, const OpParams &params, const std::vector<NDArray> &inputs,
               const std::vector<NDArray> *given_outputs)
    : op_(op), params_(&params) {
  np_ = IsNumpyShape();
  bool has0d = false;
  for (auto &a : inputs) has0d = has0d || a.shape().ndim() == 0;
  if (given_outputs)
    for (auto &a : *given_outputs) has0d = has0d || a.shape().ndim() == 0;
  if (!np_ && !has0d) return;
  kind_ = KindOf(op);
  if (has0d && (kind_ == kNone || kind_ == kDot || (kind_ == kCreate && !inputs.empty()))) {
    auto names = op->InputNames(params);
    for (size_t i = 0; i < inputs.size(); ++i)
      if (inputs[i].shape().ndim() == 0)
        Throw(ErrorKind::kShape, "operator ", op->name, ": does not take 0-d arrays (input ", i, " '",
              i < names.size() ? names[i] : std::string("input"), "' has shape ())");
    Throw(ErrorKind::kShape, "operator ", op->name, ": does not take 0-d arrays (an output array has shape ())");
  }
  active_ = kind_ != kNone;
  if (!active_) return;
  for (auto &a : inputs) in_shapes_.push_back(a.shape());
  if (given_outputs)
    for (auto &a : *given_outputs) given_.push_back(a.shape());
}

bool NpCall::Preset(std::vector<TShape> *out_shapes) {
  if (!active_ || !np_) return false;
  if (kind_ == kCreate && ShapeParamIsEmpty(*params_, "shape")) {
    for (auto &s : *out_shapes) s = TShape();
    preset_ = true;
    return true;
  }
  if (kind_ == kReshape && in_shapes_.size() == 1 && ShapeParamIsEmpty(*params_, "shape") &&
      ShapeParamIsEmpty(*params_, "target_shape")) {
    MXC_CHECK(ShapeSize(in_shapes_[0]) == 1, ErrorKind::kShape, "operator ", op_->name,
              ": cannot reshape an array of shape ", ShapeStr(in_shapes_[0]), " to shape ()");
    for (auto &s : *out_shapes) s = TShape();
    preset_ = true;
    return true;
  }
  return false;
}

void NpCall::FixOutputs(std::vector<TShape> *out_shapes) {
  if (!active_) return;
  zero_d_.assign(out_shapes->size(), false);
  bool all0d = !in_shapes_.empty();
  bool any0d = false;
  for (auto &s : in_shapes_) {
    all0d = all0d && s.ndim() == 0;
    any0d = any0d || s.ndim() == 0;
  }
  bool to0d = false;
  switch (kind_) {
    case kElementwise:
      to0d = all0d;
      break;
    case kReduce:
      if (any0d) to0d = true;
      else if (np_ && !(params_->op()->ParamIndex("keepdims") >= 0 && params_->Bool("keepdims")))
        to0d = ReducedCount(*params_, in_shapes_[0].ndim()) == in_shapes_[0].ndim();
      break;
    case kDot:
      to0d = np_ && in_shapes_.size() == 2 && in_shapes_[0].ndim() == 1 && in_shapes_[1].ndim() == 1;
      break;
    case kReshape:
    case kCreate: {
      // Preset shapes are already ().
      for (size_t i = 0; i < out_shapes->size(); ++i) zero_d_[i] = preset_ && (*out_shapes)[i].ndim() == 0;
      break;
    }
    default:
      break;
  }
  for (size_t i = 0; i < out_shapes->size(); ++i) {
    TShape &s = (*out_shapes)[i];
    if (to0d && ShapeSize(s) == 1 && s.ndim() >= 1) {
      s = TShape();
      zero_d_[i] = true;
    }
    if (i < given_.size() && given_[i].ndim() == 0) {
      MXC_CHECK(s.ndim() == 0 || ShapeSize(s) == 1, ErrorKind::kShape, "operator ", op_->name, ": output ", i,
                " has shape (), the result has shape ", ShapeStr(s));
      s = TShape();
      zero_d_[i] = true;
    }
  }
}

}  // namespace mxc
