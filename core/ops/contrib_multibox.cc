// MXNet 1.x's SSD operators (mx.nd.contrib.X):
//
// - MultiBoxPrior(data (N, C, H, W), sizes, ratios, clip, steps, offsets): anchor boxes (1, H*W*K, 4) with
//   K = len(sizes) + len(ratios) - 1: at each feature-map cell (row-major), one box per size with ratios[0], then
//   one per further ratio with sizes[0]; half width size * H / W * sqrt(ratio) / 2, half height
//   size / sqrt(ratio) / 2, around ((c + offsets[1]) * step_x, (r + offsets[0]) * step_y) with step 1 / W (1 / H)
//   unless steps gives it. clip clips the corners to [0, 1].
// - MultiBoxTarget(anchor (1, A, 4), label (B, L, >= 5), cls_pred (B, C, A)): training targets. The labels of an
//   item are its rows up to the first of class -1 ([class, xmin, ymin, xmax, ymax, ...]). Every label first takes
//   the free anchor of highest IoU (greedy, best pair first); every other anchor takes the label of highest IoU
//   when it exceeds overlap_threshold. Matched anchors get class + 1, regression targets (center offsets over the
//   anchor size and log size ratios, divided by variances) and masks of ones. The others get class 0 (background);
//   with negative_mining_ratio > 0, only the floor(ratio * positives) ones whose largest IoU is below
//   negative_mining_thresh and whose background probability (softmax of cls_pred) is lowest do, the rest get
//   ignore_label (as do all anchors of an item without labels). minimum_negative_samples is accepted and, as in
//   MXNet 1.9.1, has no effect.
// - MultiBoxDetection(cls_prob (B, C, A), loc_pred (B, A*4), anchor (1, A, 4)): detections (B, A, 6) of
//   [class id, score, xmin, ymin, xmax, ymax]: each anchor's best non-background class (class 0 is the background;
//   background_id is accepted and, as in MXNet 1.9.1, has no effect) when its probability is >= threshold, the box
//   decoded with variances (clipped to [0, 1] with clip). The valid ones sorted by score (ties in anchor order), the
//   first nms_topk of them suppressed greedily (class id set to -1) when their IoU with a kept higher-scoring one of
//   the same class (any class with force_suppress) exceeds nms_threshold; the rows after nms_topk hold the valid
//   detections in anchor order with class id -1; the remaining rows are -1.
//
// MXNet defines the gradients of the three as zero; so does mxc.
#include "contrib_detection.h"

namespace mxc {
namespace op {
namespace {

using namespace detection;

std::string Where(const OpParams &p) { return std::string("operator ") + p.op()->name + ": "; }

std::vector<double> Variances(const OpParams &p) {
  std::vector<double> v = FloatTuple(p, "variances");
  if (v.size() != 4)
    Throw(ErrorKind::kValue, Where(p), "variances must have 4 values, got '", p.Str("variances"), "'");
  return v;
}

// ---------------------------------------------------------------------------------------------------------------
// MultiBoxPrior
// ---------------------------------------------------------------------------------------------------------------
struct PriorParams {
  std::vector<double> sizes, ratios, steps, offsets;
  explicit PriorParams(const OpParams &p)
      : sizes(FloatTuple(p, "sizes")), ratios(FloatTuple(p, "ratios")), steps(FloatTuple(p, "steps")),
        offsets(FloatTuple(p, "offsets")) {
    if (sizes.empty()) Throw(ErrorKind::kValue, Where(p), "sizes must not be empty");
    if (ratios.empty()) Throw(ErrorKind::kValue, Where(p), "ratios must not be empty");
    for (double r : ratios)
      if (!(r > 0)) Throw(ErrorKind::kValue, Where(p), "ratios must be positive, got '", p.Str("ratios"), "'");
    if (steps.size() != 2)
      Throw(ErrorKind::kValue, Where(p), "steps must have 2 values (y, x), got '", p.Str("steps"), "'");
    if (offsets.size() != 2)
      Throw(ErrorKind::kValue, Where(p), "offsets must have 2 values (y, x), got '", p.Str("offsets"), "'");
  }
  int64_t PerCell() const { return static_cast<int64_t>(sizes.size() + ratios.size() - 1); }
};

void PriorInferShape(const OpParams &p, std::vector<TShape> *in, std::vector<TShape> *out) {
  const PriorParams pp(p);
  const TShape &d = (*in)[0];
  if (d.empty()) return;
  if (d.ndim() < 4)
    Throw(ErrorKind::kShape, Where(p), "data must be 4-D (batch, channel, height, width), got shape ", ShapeStr(d));
  ShapeAssign(&(*out)[0], TShape{1, d[2] * d[3] * pp.PerCell(), 4}, p.op(), "output");
}

void PriorInferType(const OpParams &p, std::vector<int> *in, std::vector<int> *out) {
  CheckDType(p, (*in)[0], "data", [](int t) { return t == kFloat32; }, "float32");
  TypeAssign(&(*out)[0], kFloat32, p.op(), "output");
}

void PriorForward(MXC_FCOMPUTE_ARGS) {
  if (req[0] == kNullOp) return;
  const PriorParams pp(p);
  const int64_t H = in[0].shape[2], W = in[0].shape[3];
  const bool clip = p.Bool("clip");
  const float sy = pp.steps[0] > 0 ? static_cast<float>(pp.steps[0]) : 1.0f / static_cast<float>(H);
  const float sx = pp.steps[1] > 0 ? static_cast<float>(pp.steps[1]) : 1.0f / static_cast<float>(W);
  const float oy = static_cast<float>(pp.offsets[0]), ox = static_cast<float>(pp.offsets[1]);
  const float aspect = static_cast<float>(H) / static_cast<float>(W);
  // Half widths and heights of the boxes of one cell.
  std::vector<float> hw, hh;
  for (double s : pp.sizes) {
    const float r = std::sqrt(static_cast<float>(pp.ratios[0]));
    hw.push_back(static_cast<float>(s) * aspect * r / 2);
    hh.push_back(static_cast<float>(s) / r / 2);
  }
  for (size_t j = 1; j < pp.ratios.size(); ++j) {
    const float r = std::sqrt(static_cast<float>(pp.ratios[j])), s = static_cast<float>(pp.sizes[0]);
    hw.push_back(s * aspect * r / 2);
    hh.push_back(s / r / 2);
  }
  float *y = out[0].ptr<float>();
  int64_t e = 0;
  for (int64_t r = 0; r < H; ++r) {
    const float cy = (static_cast<float>(r) + oy) * sy;
    for (int64_t c = 0; c < W; ++c) {
      const float cx = (static_cast<float>(c) + ox) * sx;
      for (size_t k = 0; k < hw.size(); ++k) {
        float b[4] = {cx - hw[k], cy - hh[k], cx + hw[k], cy + hh[k]};
        for (float &v : b) {
          if (clip) v = std::min(1.0f, std::max(0.0f, v));
          Store(y + e++, req[0], v);
        }
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------------------------
// MultiBoxTarget
// ---------------------------------------------------------------------------------------------------------------
void TargetInferShape(const OpParams &p, std::vector<TShape> *in, std::vector<TShape> *out) {
  Variances(p);
  const TShape &an = (*in)[0], &lb = (*in)[1], &cp = (*in)[2];
  if (an.empty() || lb.empty() || cp.empty()) return;
  if (an.ndim() != 3 || an[0] != 1 || an[2] != 4 || lb.ndim() != 3 || lb[2] < 5 || cp.ndim() != 3 ||
      cp[0] != lb[0] || cp[2] != an[1])
    Throw(ErrorKind::kShape, Where(p), "expects anchor (1, num_anchors, 4), label (batch, num_labels, >= 5) and "
          "cls_pred (batch, num_classes, num_anchors), got anchor shape ", ShapeStr(an), ", label shape ",
          ShapeStr(lb), " and cls_pred shape ", ShapeStr(cp));
  const int64_t B = lb[0], A = an[1];
  ShapeAssign(&(*out)[0], TShape{B, A * 4}, p.op(), "loc_target");
  ShapeAssign(&(*out)[1], TShape{B, A * 4}, p.op(), "loc_mask");
  ShapeAssign(&(*out)[2], TShape{B, A}, p.op(), "cls_target");
}

template <typename T>
void TargetItem(const OpParams &p, const T *anc, int64_t A, const T *lab, int64_t L, int64_t W, const T *cp,
                int64_t C, T *loc, T *mask, T *cls) {
  const std::vector<double> var = Variances(p);
  const T ignore = static_cast<T>(p.Float("ignore_label")), ot = static_cast<T>(p.Float("overlap_threshold"));
  const double ratio = p.Float("negative_mining_ratio");
  const T nt = static_cast<T>(p.Float("negative_mining_thresh"));
  std::fill(loc, loc + A * 4, T(0));
  std::fill(mask, mask + A * 4, T(0));
  std::fill(cls, cls + A, ignore);
  int64_t ng = 0;
  while (ng < L && lab[ng * W] != T(-1)) ++ng;
  if (ng == 0) return;
  std::vector<T> iou(A * ng);
  for (int64_t a = 0; a < A; ++a)
    for (int64_t g = 0; g < ng; ++g) iou[a * ng + g] = CornerIoU(anc + a * 4, lab + g * W + 1);
  std::vector<int64_t> match(A, -1);
  std::vector<char> gdone(ng, 0);
  // Greedy bipartite stage: the best remaining (label, anchor) pair first.
  for (;;) {
    T best = T(0);
    int64_t ba = -1, bg = -1;
    for (int64_t g = 0; g < ng; ++g) {
      if (gdone[g]) continue;
      for (int64_t a = 0; a < A; ++a)
        if (match[a] < 0 && iou[a * ng + g] > best) {
          best = iou[a * ng + g];
          ba = a;
          bg = g;
        }
    }
    if (ba < 0) break;
    match[ba] = bg;
    gdone[bg] = 1;
  }
  // Threshold stage and the largest IoU of every anchor.
  std::vector<T> maxiou(A, T(0));
  for (int64_t a = 0; a < A; ++a) {
    int64_t bg = -1;
    T best = T(-1);
    for (int64_t g = 0; g < ng; ++g)
      if (iou[a * ng + g] > best) {
        best = iou[a * ng + g];
        bg = g;
      }
    maxiou[a] = best;
    if (match[a] < 0 && best > ot) match[a] = bg;
  }
  int64_t npos = 0;
  for (int64_t a = 0; a < A; ++a) {
    if (match[a] < 0) continue;
    ++npos;
    const T *g = lab + match[a] * W;
    cls[a] = g[0] + T(1);
    T ac[4], gc[4];
    CornerToCenter(anc + a * 4, ac);
    CornerToCenter(g + 1, gc);
    T *t = loc + a * 4;
    t[0] = (gc[0] - ac[0]) / ac[2] / static_cast<T>(var[0]);
    t[1] = (gc[1] - ac[1]) / ac[3] / static_cast<T>(var[1]);
    t[2] = std::log(gc[2] / ac[2]) / static_cast<T>(var[2]);
    t[3] = std::log(gc[3] / ac[3]) / static_cast<T>(var[3]);
    std::fill(mask + a * 4, mask + a * 4 + 4, T(1));
  }
  if (!(ratio > 0)) {
    for (int64_t a = 0; a < A; ++a)
      if (match[a] < 0) cls[a] = T(0);
    return;
  }
  // Hard negative mining: the candidates of lowest background probability.
  std::vector<int64_t> cand;
  std::vector<T> bgp;
  for (int64_t a = 0; a < A; ++a) {
    if (match[a] >= 0 || !(maxiou[a] < nt)) continue;
    T mx = cp[a];
    for (int64_t c = 1; c < C; ++c) mx = std::max(mx, cp[c * A + a]);
    T sum = 0;
    for (int64_t c = 0; c < C; ++c) sum += std::exp(cp[c * A + a] - mx);
    cand.push_back(a);
    bgp.push_back(std::exp(cp[a] - mx) / sum);
  }
  const std::vector<int64_t> order = StableOrder(bgp, true);
  const int64_t nneg = std::min<int64_t>(static_cast<int64_t>(npos * ratio), static_cast<int64_t>(cand.size()));
  for (int64_t i = 0; i < nneg; ++i) cls[cand[order[i]]] = T(0);
}

void TargetForward(MXC_FCOMPUTE_ARGS) {
  const int64_t A = in[0].shape[1], B = in[1].shape[0], L = in[1].shape[1], W = in[1].shape[2];
  const int64_t C = in[2].shape[1];
  MXC_REAL_TYPE_SWITCH(out[0].dtype, T, {
    std::vector<T> loc(A * 4), mask(A * 4), cls(A);
    for (int64_t b = 0; b < B; ++b) {
      TargetItem<T>(p, in[0].ptr<T>(), A, in[1].ptr<T>() + b * L * W, L, W, in[2].ptr<T>() + b * C * A, C,
                    loc.data(), mask.data(), cls.data());
      for (int64_t e = 0; e < A * 4; ++e) {
        if (req[0] != kNullOp) Store(out[0].ptr<T>() + b * A * 4 + e, req[0], loc[e]);
        if (req[1] != kNullOp) Store(out[1].ptr<T>() + b * A * 4 + e, req[1], mask[e]);
      }
      if (req[2] != kNullOp)
        for (int64_t a = 0; a < A; ++a) Store(out[2].ptr<T>() + b * A + a, req[2], cls[a]);
    }
  });
}

// ---------------------------------------------------------------------------------------------------------------
// MultiBoxDetection
// ---------------------------------------------------------------------------------------------------------------
void DetectionInferShape(const OpParams &p, std::vector<TShape> *in, std::vector<TShape> *out) {
  Variances(p);
  const TShape &cp = (*in)[0], &lp = (*in)[1], &an = (*in)[2];
  if (cp.empty() || lp.empty() || an.empty()) return;
  if (cp.ndim() != 3 || an.ndim() != 3 || an[0] != 1 || an[2] != 4 || an[1] != cp[2] || lp.ndim() != 2 ||
      lp[0] != cp[0] || lp[1] != cp[2] * 4)
    Throw(ErrorKind::kShape, Where(p), "expects cls_prob (batch, num_classes, num_anchors), loc_pred (batch, "
          "num_anchors * 4) and anchor (1, num_anchors, 4), got cls_prob shape ", ShapeStr(cp), ", loc_pred shape ",
          ShapeStr(lp), " and anchor shape ", ShapeStr(an));
  if (cp[1] < 2)
    Throw(ErrorKind::kShape, Where(p), "cls_prob shape ", ShapeStr(cp),
          " needs at least 2 classes (the background and one more)");
  ShapeAssign(&(*out)[0], TShape{cp[0], cp[2], 6}, p.op(), "output");
}

template <typename T>
void DetectionItem(const OpParams &p, const T *prob, int64_t C, int64_t A, const T *lp, const T *anc, T *o) {
  const std::vector<double> var = Variances(p);
  const bool clip = p.Bool("clip"), force = p.Bool("force_suppress");
  const T thr = static_cast<T>(p.Float("threshold")), nt = static_cast<T>(p.Float("nms_threshold"));
  const int64_t topk = p.Int("nms_topk");
  std::vector<T> buf(A * 6, T(-1)), score;
  int64_t nv = 0;
  for (int64_t a = 0; a < A; ++a) {
    T best = T(-1);
    int64_t id = -1;
    for (int64_t c = 1; c < C; ++c)
      if (prob[c * A + a] > best) {
        best = prob[c * A + a];
        id = c - 1;
      }
    if (id < 0 || !(best >= thr)) continue;
    T ac[4];
    CornerToCenter(anc + a * 4, ac);
    const T *d = lp + a * 4;
    const T x = d[0] * static_cast<T>(var[0]) * ac[2] + ac[0], y = d[1] * static_cast<T>(var[1]) * ac[3] + ac[1];
    const T hw = std::exp(d[2] * static_cast<T>(var[2])) * ac[2] / T(2);
    const T hh = std::exp(d[3] * static_cast<T>(var[3])) * ac[3] / T(2);
    T *r = buf.data() + nv * 6;
    r[0] = static_cast<T>(id);
    r[1] = best;
    r[2] = x - hw;
    r[3] = y - hh;
    r[4] = x + hw;
    r[5] = y + hh;
    if (clip)
      for (int k = 2; k < 6; ++k) r[k] = std::min(T(1), std::max(T(0), r[k]));
    score.push_back(best);
    ++nv;
  }
  const std::vector<int64_t> order = StableOrder(score, false);
  const int64_t nkeep = topk > 0 ? std::min(nv, topk) : nv;
  std::copy(buf.begin(), buf.end(), o);
  for (int64_t i = 0; i < nkeep; ++i) std::copy(buf.begin() + order[i] * 6, buf.begin() + order[i] * 6 + 6, o + i * 6);
  for (int64_t i = nkeep; i < nv; ++i) o[i * 6] = T(-1);
  for (int64_t i = 0; i < nkeep; ++i) {
    const T *ri = o + i * 6;
    if (ri[0] < T(0)) continue;
    for (int64_t j = i + 1; j < nkeep; ++j) {
      T *rj = o + j * 6;
      if (rj[0] < T(0)) continue;
      if (!force && rj[0] != ri[0]) continue;
      if (CornerIoU(ri + 2, rj + 2) > nt) rj[0] = T(-1);
    }
  }
}

void DetectionForward(MXC_FCOMPUTE_ARGS) {
  if (req[0] == kNullOp) return;
  const int64_t B = in[0].shape[0], C = in[0].shape[1], A = in[0].shape[2];
  MXC_REAL_TYPE_SWITCH(out[0].dtype, T, {
    ParallelForWork(B, A * A, [&](int64_t b) {
      std::vector<T> res(A * 6);
      DetectionItem<T>(p, in[0].ptr<T>() + b * C * A, C, A, in[1].ptr<T>() + b * A * 4, in[2].ptr<T>(), res.data());
      T *y = out[0].ptr<T>() + b * A * 6;
      for (int64_t e = 0; e < A * 6; ++e) Store(y + e, req[0], res[e]);
    });
  });
}

[[maybe_unused]] const int registered = [] {
  OpRegistry *r = OpRegistry::Get();
  r->Register("_contrib_MultiBoxPrior")
      .describe("Generates prior (anchor) boxes from a feature map.")
      .set_inputs({"data"})
      .add_param("sizes", ParamKind::kString, "(1.0,)", "List of sizes of generated MultiBoxPriores (tuple of float).")
      .add_param("ratios", ParamKind::kString, "(1.0,)",
                 "List of aspect ratios of generated MultiBoxPriores (tuple of float).")
      .add_param("clip", ParamKind::kBool, "False", "Whether to clip out-of-boundary boxes.")
      .add_param("steps", ParamKind::kString, "(-1.0,-1.0)",
                 "Priorbox step across y and x, -1 for auto calculation (tuple of float).")
      .add_param("offsets", ParamKind::kString, "(0.5,0.5)",
                 "Priorbox center offsets, y and x respectively (tuple of float).")
      .set_infer_shape(PriorInferShape)
      .set_infer_type(PriorInferType)
      .set_compute(MXC_CPU, PriorForward)
      .set_backward(MXC_CPU, ZeroBackward)
      .set_backward_uses(false, false);

  r->Register("_contrib_MultiBoxTarget")
      .describe("Computes the training targets of SSD: anchor regression targets, masks and classes.")
      .set_inputs({"anchor", "label", "cls_pred"})
      .add_param("overlap_threshold", ParamKind::kFloat, "0.5",
                 "Anchor-GT overlap threshold to be regarded as a positive match.")
      .add_param("ignore_label", ParamKind::kFloat, "-1", "Label for ignored anchors.")
      .add_param("negative_mining_ratio", ParamKind::kFloat, "-1",
                 "Max negative to positive samples ratio, use -1 to disable mining")
      .add_param("negative_mining_thresh", ParamKind::kFloat, "0.5", "Threshold used for negative mining.")
      .add_param("minimum_negative_samples", ParamKind::kInt, "0",
                 "Minimum number of negative samples (no effect, as in MXNet 1.9.1).")
      .add_param("variances", ParamKind::kString, "(0.1,0.1,0.2,0.2)",
                 "Variances to be encoded in box regression target (tuple of float).")
      .set_num_outputs(3)
      .set_output_names([](const OpParams &) {
        return std::vector<std::string>{"loc_target", "loc_mask", "cls_target"};
      })
      .set_infer_shape(TargetInferShape)
      .set_infer_type(Float32OnlyTypeInfer)
      .set_compute(MXC_CPU, TargetForward)
      .set_backward(MXC_CPU, ZeroBackward)
      .set_backward_uses(false, false);

  r->Register("_contrib_MultiBoxDetection")
      .describe("Converts SSD class probabilities and box offsets into detections, with non-maximum suppression.")
      .set_inputs({"cls_prob", "loc_pred", "anchor"})
      .add_param("clip", ParamKind::kBool, "True", "Clip out-of-boundary boxes.")
      .add_param("threshold", ParamKind::kFloat, "0.01", "Threshold to be a positive prediction.")
      .add_param("background_id", ParamKind::kInt, "0", "Background id (no effect, as in MXNet 1.9.1).")
      .add_param("nms_threshold", ParamKind::kFloat, "0.5", "Non-maximum suppression threshold.")
      .add_param("force_suppress", ParamKind::kBool, "False", "Suppress all detections regardless of class_id.")
      .add_param("variances", ParamKind::kString, "(0.1,0.1,0.2,0.2)",
                 "Variances to be decoded from box regression output (tuple of float).")
      .add_param("nms_topk", ParamKind::kInt, "-1", "Keep maximum top k detections before nms, -1 for no limit.")
      .set_infer_shape(DetectionInferShape)
      .set_infer_type(Float32OnlyTypeInfer)
      .set_compute(MXC_CPU, DetectionForward)
      .set_backward(MXC_CPU, ZeroBackward)
      .set_backward_uses(false, false);
  return 0;
}();

}  // namespace
}  // namespace op
}  // namespace mxc
