// MXNet 1.x's region proposal operators (Faster R-CNN's RPN), mx.nd.contrib.Proposal / MultiProposal:
//
// cls_prob (B, 2A, H, W), bbox_pred (B, 4A, H, W), im_info (B, 3) = (height, width, scale) -> rois
// (B * rpn_post_nms_top_n, 5) of [batch index, x1, y1, x2, y2] and, visible with output_score, their scores
// (B * rpn_post_nms_top_n, 1). Proposal takes one image (B = 1).
//
// Per image: A = len(ratios) * len(scales) anchors of base size feature_stride (for each ratio, width
// round(sqrt(stride^2 / ratio)) and height round(width * ratio), times each scale, centred on the base box
// [0, 0, stride - 1, stride - 1]) at every cell (h, w), shifted by (w, h) * stride; each decoded with its deltas
// (centre offsets and log sizes over the +1 box size; with iou_loss, offsets of the corners) and clipped to the
// image. Its score is cls_prob[b, A + a, h, w], -1 for cells beyond (height, width) / stride (rounded down) and for
// boxes narrower or shorter than rpn_min_size * scale, which are also widened by half of that on each side (as in
// MXNet). The boxes sorted by score (ties in (h, w, a) order), the first rpn_pre_nms_top_n of them go through greedy
// non-maximum suppression (IoU over +1 box sizes above threshold), which keeps at most rpn_post_nms_top_n; the
// outputs repeat the kept boxes cyclically up to rpn_post_nms_top_n rows. MXNet's gradient is zero; so is mxc's.
#include "contrib_detection.h"

namespace mxc {
namespace op {
namespace {

using namespace detection;

std::string Where(const OpParams &p) { return std::string("operator ") + p.op()->name + ": "; }

struct ProposalParams {
  std::vector<double> scales, ratios;
  int64_t num_anchors = 0;
  explicit ProposalParams(const OpParams &p) : scales(FloatTuple(p, "scales")), ratios(FloatTuple(p, "ratios")) {
    if (scales.empty() || ratios.empty())
      Throw(ErrorKind::kValue, Where(p), "scales and ratios must not be empty, got scales '", p.Str("scales"),
            "' and ratios '", p.Str("ratios"), "'");
    for (double r : ratios)
      if (!(r > 0)) Throw(ErrorKind::kValue, Where(p), "ratios must be positive, got '", p.Str("ratios"), "'");
    if (p.Int("feature_stride") <= 0)
      Throw(ErrorKind::kValue, Where(p), "feature_stride must be positive, got ", p.Int("feature_stride"));
    if (p.Int("rpn_post_nms_top_n") <= 0)
      Throw(ErrorKind::kValue, Where(p), "rpn_post_nms_top_n must be positive, got ", p.Int("rpn_post_nms_top_n"));
    num_anchors = static_cast<int64_t>(scales.size() * ratios.size());
  }
};

void ProposalInferShape(const OpParams &p, std::vector<TShape> *in, std::vector<TShape> *out) {
  const ProposalParams pp(p);
  const TShape &cp = (*in)[0], &bp = (*in)[1], &im = (*in)[2];
  if (cp.empty() || bp.empty() || im.empty()) return;
  const int64_t A = pp.num_anchors;
  if (cp.ndim() != 4 || cp[1] != 2 * A || bp.ndim() != 4 || bp[0] != cp[0] || bp[1] != 4 * A || bp[2] != cp[2] ||
      bp[3] != cp[3] || im.ndim() != 2 || im[0] != cp[0] || im[1] != 3)
    Throw(ErrorKind::kShape, Where(p), "with ", A, " anchors (scales ", p.Str("scales"), ", ratios ", p.Str("ratios"),
          ") expects cls_prob (batch, ", 2 * A, ", height, width), bbox_pred (batch, ", 4 * A,
          ", height, width) and im_info (batch, 3), got cls_prob shape ", ShapeStr(cp), ", bbox_pred shape ",
          ShapeStr(bp), " and im_info shape ", ShapeStr(im));
  if (p.op()->name == "_contrib_Proposal" && cp[0] != 1)
    Throw(ErrorKind::kShape, Where(p), "takes one image (batch 1; use MultiProposal for more), got cls_prob shape ",
          ShapeStr(cp));
  const int64_t n = cp[0] * p.Int("rpn_post_nms_top_n");
  ShapeAssign(&(*out)[0], TShape{n, 5}, p.op(), "output");
  ShapeAssign(&(*out)[1], TShape{n, 1}, p.op(), "score");
}

// The base anchors (A, 4): ratio-major, then scale.
template <typename T>
std::vector<T> BaseAnchors(const ProposalParams &pp, int64_t stride) {
  const T size = static_cast<T>(stride), ctr = T(0.5) * (size - T(1));
  std::vector<T> a;
  for (double r : pp.ratios) {
    const T ws = std::round(std::sqrt(size * size / static_cast<T>(r)));
    const T hs = std::round(ws * static_cast<T>(r));
    for (double s : pp.scales) {
      const T w = ws * static_cast<T>(s), h = hs * static_cast<T>(s);
      a.insert(a.end(), {ctr - T(0.5) * (w - T(1)), ctr - T(0.5) * (h - T(1)), ctr + T(0.5) * (w - T(1)),
                         ctr + T(0.5) * (h - T(1))});
    }
  }
  return a;
}

template <typename T>
void ProposalImage(const OpParams &p, const ProposalParams &pp, int64_t b, const T *cls, const T *bbox,
                   const T *info, int64_t H, int64_t W, T *rois, T *scores) {
  const int64_t A = pp.num_anchors, stride = p.Int("feature_stride");
  const int64_t post = p.Int("rpn_post_nms_top_n"), pre_n = p.Int("rpn_pre_nms_top_n");
  const bool iou_loss = p.Bool("iou_loss");
  const T thr = static_cast<T>(p.Float("threshold"));
  const T im_h = info[0], im_w = info[1], im_scale = info[2];
  const int64_t real_h = static_cast<int64_t>(im_h / static_cast<T>(stride));
  const int64_t real_w = static_cast<int64_t>(im_w / static_cast<T>(stride));
  if (H < real_h || W < real_w)
    Throw(ErrorKind::kValue, Where(p), "im_info[", b, "] = (", im_h, ", ", im_w, ", ", im_scale,
          ") needs a feature map of at least (", real_h, ", ", real_w, ") at feature_stride ", stride, ", got (", H,
          ", ", W, ")");
  const std::vector<T> base = BaseAnchors<T>(pp, stride);
  const int64_t count = H * W * A;
  std::vector<T> box(4 * count), score(count);
  const T min_size = static_cast<T>(p.Int("rpn_min_size")) * im_scale;
  for (int64_t h = 0; h < H; ++h)
    for (int64_t w = 0; w < W; ++w)
      for (int64_t a = 0; a < A; ++a) {
        const int64_t i = (h * W + w) * A + a, plane = H * W, cell = h * W + w;
        const T sx = static_cast<T>(w * stride), sy = static_cast<T>(h * stride);
        const T x1 = base[4 * a] + sx, y1 = base[4 * a + 1] + sy, x2 = base[4 * a + 2] + sx,
                y2 = base[4 * a + 3] + sy;
        T d[4];
        for (int k = 0; k < 4; ++k) d[k] = bbox[(a * 4 + k) * plane + cell];
        T *o = box.data() + 4 * i;
        if (iou_loss) {
          o[0] = x1 + d[0];
          o[1] = y1 + d[1];
          o[2] = x2 + d[2];
          o[3] = y2 + d[3];
        } else {
          const T bw = x2 - x1 + T(1), bh = y2 - y1 + T(1);
          const T cx = x1 + T(0.5) * (bw - T(1)), cy = y1 + T(0.5) * (bh - T(1));
          const T pcx = d[0] * bw + cx, pcy = d[1] * bh + cy;
          const T pw = std::exp(d[2]) * bw, ph = std::exp(d[3]) * bh;
          o[0] = pcx - T(0.5) * (pw - T(1));
          o[1] = pcy - T(0.5) * (ph - T(1));
          o[2] = pcx + T(0.5) * (pw - T(1));
          o[3] = pcy + T(0.5) * (ph - T(1));
        }
        o[0] = std::min(std::max(o[0], T(0)), im_w - T(1));
        o[1] = std::min(std::max(o[1], T(0)), im_h - T(1));
        o[2] = std::min(std::max(o[2], T(0)), im_w - T(1));
        o[3] = std::min(std::max(o[3], T(0)), im_h - T(1));
        score[i] = (h >= real_h || w >= real_w) ? T(-1) : cls[(A + a) * plane + cell];
        if (o[2] - o[0] + T(1) < min_size || o[3] - o[1] + T(1) < min_size) {
          const T half = min_size / T(2);
          o[0] -= half;
          o[1] -= half;
          o[2] += half;
          o[3] += half;
          score[i] = T(-1);
        }
      }
  std::vector<int64_t> order = StableOrder(score, false);
  if (pre_n > 0 && pre_n < count) order.resize(pre_n);
  auto area = [](const T *r) { return (r[2] - r[0] + T(1)) * (r[3] - r[1] + T(1)); };
  std::vector<int64_t> keep;
  for (int64_t i : order) {
    if (static_cast<int64_t>(keep.size()) >= post) break;
    const T *bi = box.data() + 4 * i;
    bool ok = true;
    for (int64_t j : keep) {
      const T *bj = box.data() + 4 * j;
      const T iw = std::max(T(0), std::min(bi[2], bj[2]) - std::max(bi[0], bj[0]) + T(1));
      const T ih = std::max(T(0), std::min(bi[3], bj[3]) - std::max(bi[1], bj[1]) + T(1));
      const T inter = iw * ih;
      if (inter / (area(bi) + area(bj) - inter) > thr) {
        ok = false;
        break;
      }
    }
    if (ok) keep.push_back(i);
  }
  for (int64_t r = 0; r < post; ++r) {
    const int64_t k = keep.empty() ? -1 : keep[r % keep.size()];
    T *o = rois + r * 5;
    o[0] = static_cast<T>(b);
    for (int c = 0; c < 4; ++c) o[1 + c] = k < 0 ? T(0) : box[4 * k + c];
    scores[r] = k < 0 ? T(-1) : score[k];
  }
}

void ProposalForward(MXC_FCOMPUTE_ARGS) {
  const ProposalParams pp(p);
  const int64_t B = in[0].shape[0], H = in[0].shape[2], W = in[0].shape[3], A = pp.num_anchors;
  const int64_t post = p.Int("rpn_post_nms_top_n");
  MXC_REAL_TYPE_SWITCH(in[0].dtype, T, {
    std::vector<T> rois(B * post * 5), scores(B * post);
    for (int64_t b = 0; b < B; ++b)
      ProposalImage<T>(p, pp, b, in[0].ptr<T>() + b * 2 * A * H * W, in[1].ptr<T>() + b * 4 * A * H * W,
                       in[2].ptr<T>() + b * 3, H, W, rois.data() + b * post * 5, scores.data() + b * post);
    if (req[0] != kNullOp)
      for (size_t e = 0; e < rois.size(); ++e) Store(out[0].ptr<T>() + e, req[0], rois[e]);
    if (req.size() > 1 && req[1] != kNullOp && out[1].dptr)
      for (size_t e = 0; e < scores.size(); ++e) Store(out[1].ptr<T>() + e, req[1], scores[e]);
  });
}

void RegisterProposal(const char *name, const char *what) {
  OpRegistry::Get()
      ->Register(name)
      .describe(what)
      .set_inputs({"cls_prob", "bbox_pred", "im_info"})
      .add_param("rpn_pre_nms_top_n", ParamKind::kInt, "6000",
                 "Number of top scoring boxes to keep before applying NMS to RPN proposals")
      .add_param("rpn_post_nms_top_n", ParamKind::kInt, "300",
                 "Number of top scoring boxes to keep after applying NMS to RPN proposals")
      .add_param("threshold", ParamKind::kFloat, "0.7", "NMS value, below which to suppress.")
      .add_param("rpn_min_size", ParamKind::kInt, "16", "Minimum height or width in proposal")
      .add_param("scales", ParamKind::kString, "(4.0,8.0,16.0,32.0)",
                 "Used to generate anchor windows by enumerating scales (tuple of float)")
      .add_param("ratios", ParamKind::kString, "(0.5,1.0,2.0)",
                 "Used to generate anchor windows by enumerating ratios (tuple of float)")
      .add_param("feature_stride", ParamKind::kInt, "16",
                 "The size of the receptive field each unit in the convolution layer of the rpn")
      .add_param("output_score", ParamKind::kBool, "False", "Add score to outputs")
      .add_param("iou_loss", ParamKind::kBool, "False", "Usage of IoU Loss")
      .set_num_outputs(2)
      .set_num_visible_outputs([](const OpParams &p) { return p.Bool("output_score") ? 2 : 1; })
      .set_output_names([](const OpParams &p) {
        return p.Bool("output_score") ? std::vector<std::string>{"output", "score"}
                                      : std::vector<std::string>{"output"};
      })
      .set_infer_shape(ProposalInferShape)
      .set_infer_type(Float32OnlyTypeInfer)
      .set_compute(MXC_CPU, ProposalForward)
      .set_backward(MXC_CPU, ZeroBackward)
      .set_backward_uses(false, false);
}

[[maybe_unused]] const int registered = [] {
  RegisterProposal("_contrib_Proposal", "Generates region proposals of one image from RPN scores and box deltas.");
  RegisterProposal("_contrib_MultiProposal",
                   "Generates region proposals of a batch of images from RPN scores and box deltas.");
  return 0;
}();

}  // namespace
}  // namespace op
}  // namespace mxc
