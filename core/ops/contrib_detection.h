// Helpers shared by the contrib detection operators (contrib_detection.cc: box_iou, box_nms, bipartite_matching,
// box_encode, box_decode; contrib_multibox.cc: MultiBoxPrior, MultiBoxTarget, MultiBoxDetection).
#pragma once

#include <algorithm>
#include <cmath>
#include <numeric>
#include <string>
#include <vector>

#include "nn_util.h"
#include "tensor_util.h"

namespace mxc {
namespace op {
namespace detection {

// Area of a corner box (xmin, ymin, xmax, ymax); boxes with a negative side have none.
template <typename T>
inline T BoxArea(const T *b) {
  const T w = b[2] - b[0], h = b[3] - b[1];
  return (w < T(0) || h < T(0)) ? T(0) : w * h;
}

// Intersection over union of two corner boxes, 0 when they do not overlap (degenerate boxes included).
template <typename T>
inline T CornerIoU(const T *a, const T *b) {
  const T w = std::min(a[2], b[2]) - std::max(a[0], b[0]);
  const T h = std::min(a[3], b[3]) - std::max(a[1], b[1]);
  if (w <= T(0) || h <= T(0)) return T(0);
  const T inter = w * h;
  const T uni = BoxArea(a) + BoxArea(b) - inter;
  return uni > T(0) ? inter / uni : T(0);
}

// A center box (x, y, width, height) as corners.
template <typename T>
inline void CenterToCorner(const T *c, T *o) {
  const T x = c[0], y = c[1], hw = c[2] / T(2), hh = c[3] / T(2);
  o[0] = x - hw;
  o[1] = y - hh;
  o[2] = x + hw;
  o[3] = y + hh;
}

// Corners as a center box (x, y, width, height).
template <typename T>
inline void CornerToCenter(const T *c, T *o) {
  const T w = c[2] - c[0], h = c[3] - c[1];
  o[0] = c[0] + w / T(2);
  o[1] = c[1] + h / T(2);
  o[2] = w;
  o[3] = h;
}

// Indices 0..n-1 ordered by key, descending (ascending when asc), ties in index order (as MXNet orders them).
template <typename T>
inline std::vector<int64_t> StableOrder(const std::vector<T> &key, bool asc) {
  std::vector<int64_t> idx(key.size());
  std::iota(idx.begin(), idx.end(), int64_t(0));
  if (asc)
    std::stable_sort(idx.begin(), idx.end(), [&](int64_t a, int64_t b) { return key[a] < key[b]; });
  else
    std::stable_sort(idx.begin(), idx.end(), [&](int64_t a, int64_t b) { return key[a] > key[b]; });
  return idx;
}

// A "tuple of <float>" parameter (kept as a string: "(0.5,0.25)", "[1, 2]", "1.5"); ValueError naming the operator
// and the parameter when it does not parse.
std::vector<double> FloatTuple(const OpParams &p, const char *name);

// Type inference of the operators MXNet 1.9.1 computes in float32 only (MultiBoxTarget, MultiBoxDetection,
// Proposal, MultiProposal): every input and output float32, another dtype a TypeError naming the operator and the
// argument (float16 still runs, through float32, as everywhere in mxc).
inline void Float32OnlyTypeInfer(const OpParams &p, std::vector<int> *in, std::vector<int> *out) {
  for (size_t i = 0; i < in->size(); ++i)
    CheckDType(p, (*in)[i], InputName(p, i).c_str(), [](int t) { return t == kFloat32; }, "float32");
  SameTypeInfer(p, in, out);
  for (auto &t : *in)
    if (t < 0) t = kFloat32;
  for (auto &t : *out)
    if (t < 0) t = kFloat32;
}

// Backward of the operators whose gradient MXNet defines as zero: every requested input gradient is zero.
void ZeroBackward(const OpContext &, const OpParams &, const std::vector<TBlob> &, const std::vector<TBlob> &,
                  const std::vector<TBlob> &, const std::vector<OpReq> &req, const std::vector<TBlob> &in_grad);

}  // namespace detection
}  // namespace op
}  // namespace mxc
