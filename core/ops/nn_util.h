// Helpers shared by the neural-network operators (nn_*.cc) and the optimizer operators.
#pragma once

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "op_util.h"

namespace mxc {
namespace op {

// The signature of a forward kernel and of a backward kernel, for brevity in registrations.
#define MXC_NN_FORWARD_ARGS                                                                                 \
  const ::mxc::OpContext &ctx, const ::mxc::OpParams &p, const std::vector<::mxc::TBlob> &in,               \
      const std::vector<::mxc::OpReq> &req, const std::vector<::mxc::TBlob> &out
#define MXC_NN_BACKWARD_ARGS                                                                                \
  const ::mxc::OpContext &ctx, const ::mxc::OpParams &p, const std::vector<::mxc::TBlob> &out_grad,         \
      const std::vector<::mxc::TBlob> &in_data, const std::vector<::mxc::TBlob> &out_data,                 \
      const std::vector<::mxc::OpReq> &req, const std::vector<::mxc::TBlob> &in_grad

// Parallel loop over [0, n) when the whole loop (n items of about `work` elementary operations each) is large enough
// to pay for starting threads.
template <typename F>
inline void ParallelForWork(int64_t n, int64_t work, F f) {
#ifdef _OPENMP
  if (n > 1 && n * std::max<int64_t>(work, 1) >= kParallelGrain) {
#pragma omp parallel for schedule(static)
    for (int64_t i = 0; i < n; ++i) f(i);
    return;
  }
#endif
  for (int64_t i = 0; i < n; ++i) f(i);
}

// out[i] (op)= f(i) for i in [0, n) according to req (MapOut, op_util.h).
template <typename T, typename F>
inline void MapReq(T *out, OpReq req, int64_t n, F f) {
  MapOut(out, n, req, f);
}

// Fills a blob with zeros according to req (kAddTo: nothing to add). Used for inputs without a gradient (labels,
// indices) so that a requested gradient is well defined.
inline void ZeroGrad(const TBlob &g, OpReq req) {
  if (req == kNullOp || req == kAddTo || g.dptr == nullptr) return;
  std::memset(g.dptr, 0, g.Size() * DTypeSize(g.dtype));
}

// beta of a GEMM writing an output with req.
template <typename T>
inline T GemmBeta(OpReq req) {
  return req == kAddTo ? T(1) : T(0);
}

// A negative axis counted from the end; ShapeError naming op and argument when out of range.
inline int NormalizeAxis(int64_t axis, int ndim, const Op *op, const char *what = "axis") {
  int64_t a = axis < 0 ? axis + ndim : axis;
  if (a < 0 || a >= ndim)
    Throw(ErrorKind::kValue, "operator ", op->name, ": ", what, " ", axis, " is out of range for an array of ", ndim,
          " dimension(s)");
  return static_cast<int>(a);
}

// A spatial parameter (kernel, stride, pad, dilate) of a convolution or pooling with `nd` spatial dimensions: the
// given tuple, or `def` in every dimension when it is empty. ValueError naming op and parameter when the length does
// not match the kernel's.
inline std::vector<int64_t> SpatialParam(const OpParams &p, const char *name, int nd, int64_t def) {
  const auto &t = p.Tuple(name);
  if (t.empty()) return std::vector<int64_t>(nd, def);
  if (static_cast<int>(t.size()) != nd)
    Throw(ErrorKind::kValue, "operator ", p.op()->name, ": parameter '", name, "' has ", t.size(),
          " dimension(s) but the kernel has ", nd, " (kernel=", ShapeStr(TShape(p.Tuple("kernel"))), ", ", name,
          "=", ShapeStr(TShape(t)), ")");
  return t;
}

// Type inference of operators computing in float32 or float64 only: all inputs and outputs share one dtype, and an
// other dtype is a TypeError naming the operator and the argument (rather than a kernel error at the next wait).
inline void FloatOnlyTypeInfer(const OpParams &p, std::vector<int> *in, std::vector<int> *out) {
  SameTypeInfer(p, in, out);
  const auto names = p.op()->InputNames(p);
  for (size_t i = 0; i < in->size(); ++i) {
    const int t = (*in)[i];
    if (t >= 0 && t != kFloat32 && t != kFloat64)
      Throw(ErrorKind::kType, "operator ", p.op()->name, ": '", i < names.size() ? names[i] : "input",
            "' has dtype ", DTypeName(t), ", which is not supported (float32, float64)");
  }
}

// Clips |v| to c when c > 0 (MXNet's clip_gradient / clip_weights; c <= 0 turns clipping off).
template <typename T>
inline T ClipIf(T v, T c, bool on) {
  return on ? std::max(-c, std::min(c, v)) : v;
}

}  // namespace op
}  // namespace mxc
