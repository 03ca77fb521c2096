// MXNet 1.x's contrib box operators (mx.nd.contrib.X):
//
// - box_iou(lhs (..., 4), rhs (..., 4), format): the intersection over union of every lhs box with every rhs box,
//   shape lhs.shape[:-1] + rhs.shape[:-1]; 0 for boxes that do not overlap. Gradient: zero (as MXNet's).
// - box_nms(data (..., N, K)) (alias box_non_maximum_suppression): per batch item, the boxes with score >
//   valid_thresh (and, with id_index, a class other than background_id) sorted by score, descending (ties in input
//   order), the first topk of them, then greedy suppression of every box whose IoU with a kept higher-scoring one
//   (of the same class unless force_suppress or without id_index) exceeds overlap_thresh. The kept rows come first
//   (coordinates converted to out_format), the rest of the output is -1. A hidden output records the input row of
//   each output row; the gradient passes each kept row's output gradient back to its input row.
// - bipartite_matching(data (..., N, M), threshold, is_ascend, topk): greedy matching of the (row, column) pairs in
//   score order (descending; ascending with is_ascend) while the score is above (below) threshold; outputs the
//   column of each row and the row of each column (-1 unmatched). topk is accepted and, as in MXNet 1.9.1, has no
//   effect. Gradient: zero.
// - box_encode(samples, matches, anchors, refs, means, stds): SSD-style regression targets of the positive samples
//   (samples > 0.5) against their matched reference boxes, and masks of ones there. Gradient: zero.
// - box_decode(data (B, N, 4), anchors (1, N, 4), std0..3, clip, format): boxes from regression offsets (width and
//   height offsets clipped to `clip` when positive), as corners. Gradient: zero.
#include "contrib_detection.h"

#include <cctype>
#include <cstdlib>

namespace mxc {
namespace op {
namespace detection {

std::vector<double> FloatTuple(const OpParams &p, const char *name) {
  const std::string s = p.Str(name);
  std::vector<double> v;
  size_t i = 0;
  auto bad = [&]() {
    Throw(ErrorKind::kValue, "operator ", p.op()->name, ": parameter '", name, "' expects a tuple of floats, got '",
          s, "'");
  };
  while (i < s.size()) {
    const char c = s[i];
    if (std::isspace(static_cast<unsigned char>(c)) || c == '(' || c == ')' || c == '[' || c == ']' || c == ',') {
      ++i;
      continue;
    }
    const char *b = s.c_str() + i;
    char *e = nullptr;
    const double x = std::strtod(b, &e);
    if (e == b) bad();
    v.push_back(x);
    i += static_cast<size_t>(e - b);
  }
  return v;
}

void ZeroBackward(const OpContext &, const OpParams &, const std::vector<TBlob> &, const std::vector<TBlob> &,
                  const std::vector<TBlob> &, const std::vector<OpReq> &req, const std::vector<TBlob> &in_grad) {
  for (size_t i = 0; i < in_grad.size() && i < req.size(); ++i) ZeroIfWrite(in_grad[i], req[i]);
}

}  // namespace detection

namespace {

using namespace detection;

std::string Where(const OpParams &p) { return std::string("operator ") + p.op()->name + ": "; }

// ---------------------------------------------------------------------------------------------------------------
// box_iou
// ---------------------------------------------------------------------------------------------------------------
void BoxIouInferShape(const OpParams &p, std::vector<TShape> *in, std::vector<TShape> *out) {
  const TShape &l = (*in)[0], &r = (*in)[1];
  if (l.empty() || r.empty()) return;
  if (l.ndim() < 2 || r.ndim() < 2 || l[l.ndim() - 1] != 4 || r[r.ndim() - 1] != 4)
    Throw(ErrorKind::kShape, Where(p), "lhs and rhs must have at least 2 dimensions and 4 box coordinates on the last "
          "axis, got lhs shape ",
          ShapeStr(l), " and rhs shape ", ShapeStr(r));
  if (l.ndim() + r.ndim() - 2 > kMaxDim)
    Throw(ErrorKind::kShape, Where(p), "lhs shape ", ShapeStr(l), " and rhs shape ", ShapeStr(r),
          " give an output of too many dimensions");
  TShape o;
  for (int a = 0; a < l.ndim() - 1; ++a) o.push_back(l[a]);
  for (int a = 0; a < r.ndim() - 1; ++a) o.push_back(r[a]);
  ShapeAssign(&(*out)[0], o, p.op(), "output");
}

void BoxIouForward(MXC_FCOMPUTE_ARGS) {
  if (req[0] == kNullOp) return;
  const bool center = p.Str("format") == "center";
  const int64_t nl = in[0].Size() / 4, nr = in[1].Size() / 4;
  MXC_REAL_TYPE_SWITCH(out[0].dtype, T, {
    std::vector<T> lb(in[0].ptr<T>(), in[0].ptr<T>() + nl * 4), rb(in[1].ptr<T>(), in[1].ptr<T>() + nr * 4);
    if (center) {
      for (int64_t i = 0; i < nl; ++i) CenterToCorner(in[0].ptr<T>() + 4 * i, lb.data() + 4 * i);
      for (int64_t j = 0; j < nr; ++j) CenterToCorner(in[1].ptr<T>() + 4 * j, rb.data() + 4 * j);
    }
    T *y = out[0].ptr<T>();
    ParallelForWork(nl, nr * 8, [&](int64_t i) {
      for (int64_t j = 0; j < nr; ++j) Store(y + i * nr + j, req[0], CornerIoU(lb.data() + 4 * i, rb.data() + 4 * j));
    });
  });
}

// ---------------------------------------------------------------------------------------------------------------
// box_nms
// ---------------------------------------------------------------------------------------------------------------
struct NmsLayout {
  int64_t batch = 1, n = 0, k = 0;
  explicit NmsLayout(const TShape &s) {
    k = s[s.ndim() - 1];
    n = s[s.ndim() - 2];
    for (int a = 0; a < s.ndim() - 2; ++a) batch *= s[a];
  }
};

void BoxNmsInferShape(const OpParams &p, std::vector<TShape> *in, std::vector<TShape> *out) {
  const TShape &d = (*in)[0];
  if (d.empty()) return;
  if (d.ndim() < 2)
    Throw(ErrorKind::kShape, Where(p), "data must have at least 2 dimensions (..., num_boxes, box_width), got shape ",
          ShapeStr(d));
  const int64_t k = d[d.ndim() - 1], cs = p.Int("coord_start"), si = p.Int("score_index"), ii = p.Int("id_index");
  if (cs < 0 || cs + 4 > k)
    Throw(ErrorKind::kShape, Where(p), "coord_start=", cs, " needs 4 coordinates within the last axis of data shape ",
          ShapeStr(d));
  if (si < 0 || si >= k)
    Throw(ErrorKind::kShape, Where(p), "score_index=", si, " is out of range for the last axis of data shape ",
          ShapeStr(d));
  if (ii >= k)
    Throw(ErrorKind::kShape, Where(p), "id_index=", ii, " is out of range for the last axis of data shape ",
          ShapeStr(d));
  ShapeAssign(&(*out)[0], d, p.op(), "output");
  ShapeAssign(&(*out)[1], TShape(d.begin(), d.end() - 1), p.op(), "record");
}

void BoxNmsInferType(const OpParams &p, std::vector<int> *in, std::vector<int> *out) {
  std::vector<int> o0{(*out)[0]};
  FloatOnlyTypeInfer(p, in, &o0);
  (*out)[0] = o0[0];
  TypeAssign(&(*out)[1], kInt32, p.op(), "record");
}

void BoxNmsForward(MXC_FCOMPUTE_ARGS) {
  const NmsLayout L(in[0].shape);
  const int64_t cs = p.Int("coord_start"), si = p.Int("score_index"), ii = p.Int("id_index");
  const int64_t topk = p.Int("topk"), bg = p.Int("background_id");
  const bool force = p.Bool("force_suppress");
  const bool in_center = p.Str("in_format") == "center", out_center = p.Str("out_format") == "center";
  std::vector<int32_t> rec_buf(out[1].dptr ? 0 : static_cast<size_t>(L.batch * L.n));
  int32_t *rec = out[1].dptr ? out[1].ptr<int32_t>() : rec_buf.data();
  MXC_REAL_TYPE_SWITCH(in[0].dtype, T, {
    const T vt = static_cast<T>(p.Float("valid_thresh")), ot = static_cast<T>(p.Float("overlap_thresh"));
    const T *x = in[0].ptr<T>();
    T *y = out[0].ptr<T>();
    ParallelForWork(L.batch, L.n * L.n, [&](int64_t b) {
      const T *xb = x + b * L.n * L.k;
      std::vector<int64_t> cand;
      std::vector<T> score;
      for (int64_t i = 0; i < L.n; ++i) {
        const T *row = xb + i * L.k;
        if (!(row[si] > vt)) continue;
        if (ii >= 0 && row[ii] == static_cast<T>(bg)) continue;
        cand.push_back(i);
        score.push_back(row[si]);
      }
      std::vector<int64_t> order = StableOrder(score, false);
      if (topk > 0 && static_cast<int64_t>(order.size()) > topk) order.resize(topk);
      const size_t n = order.size();
      std::vector<T> box(4 * n);
      for (size_t a = 0; a < n; ++a) {
        const T *c = xb + cand[order[a]] * L.k + cs;
        if (in_center) CenterToCorner(c, box.data() + 4 * a);
        else std::copy(c, c + 4, box.begin() + 4 * a);
      }
      std::vector<char> removed(n, 0);
      for (size_t a = 0; a < n; ++a) {
        if (removed[a]) continue;
        const T ida = ii >= 0 ? xb[cand[order[a]] * L.k + ii] : T(0);
        for (size_t c = a + 1; c < n; ++c) {
          if (removed[c]) continue;
          if (!force && ii >= 0 && xb[cand[order[c]] * L.k + ii] != ida) continue;
          if (CornerIoU(box.data() + 4 * a, box.data() + 4 * c) > ot) removed[c] = 1;
        }
      }
      std::vector<T> res(L.n * L.k, T(-1));
      int32_t *rb = rec + b * L.n;
      std::fill(rb, rb + L.n, -1);
      int64_t j = 0;
      for (size_t a = 0; a < n; ++a) {
        if (removed[a]) continue;
        const int64_t src = cand[order[a]];
        T *o = res.data() + j * L.k;
        std::copy(xb + src * L.k, xb + (src + 1) * L.k, o);
        if (in_center && !out_center) CenterToCorner(xb + src * L.k + cs, o + cs);
        else if (!in_center && out_center) CornerToCenter(xb + src * L.k + cs, o + cs);
        rb[j] = static_cast<int32_t>(src);
        ++j;
      }
      if (req[0] != kNullOp) {
        T *yb = y + b * L.n * L.k;
        for (int64_t e = 0; e < L.n * L.k; ++e) Store(yb + e, req[0], res[e]);
      }
    });
  });
}

void BoxNmsBackward(MXC_FBACKWARD_ARGS) {
  (void)in;
  if (req[0] == kNullOp) return;
  const NmsLayout L(ig[0].shape);
  const int32_t *rec = out[1].ptr<int32_t>();
  ZeroIfWrite(ig[0], req[0]);
  MXC_REAL_TYPE_SWITCH(ig[0].dtype, T, {
    const T *g = og[0].ptr<T>();
    T *dx = ig[0].ptr<T>();
    for (int64_t b = 0; b < L.batch; ++b)
      for (int64_t i = 0; i < L.n; ++i) {
        const int32_t src = rec[b * L.n + i];
        if (src < 0) continue;
        const T *gr = g + (b * L.n + i) * L.k;
        T *dr = dx + (b * L.n + src) * L.k;
        for (int64_t e = 0; e < L.k; ++e) dr[e] += gr[e];
      }
  });
}

// ---------------------------------------------------------------------------------------------------------------
// bipartite_matching
// ---------------------------------------------------------------------------------------------------------------
void BipartiteInferShape(const OpParams &p, std::vector<TShape> *in, std::vector<TShape> *out) {
  const TShape &d = (*in)[0];
  if (d.empty()) return;
  if (d.ndim() < 2)
    Throw(ErrorKind::kShape, Where(p), "data must have at least 2 dimensions (..., N, M), got shape ", ShapeStr(d));
  TShape rows(d.begin(), d.end() - 1), cols(d.begin(), d.end() - 2);
  cols.push_back(d[d.ndim() - 1]);
  ShapeAssign(&(*out)[0], rows, p.op(), "output0");
  ShapeAssign(&(*out)[1], cols, p.op(), "output1");
}

void BipartiteForward(MXC_FCOMPUTE_ARGS) {
  const TShape &s = in[0].shape;
  const int64_t m = s[s.ndim() - 1], n = s[s.ndim() - 2], batch = (n > 0 && m > 0) ? in[0].Size() / (n * m) : 0;
  const bool asc = p.Bool("is_ascend");
  MXC_REAL_TYPE_SWITCH(in[0].dtype, T, {
    const T thr = static_cast<T>(p.Float("threshold"));
    ParallelForWork(batch, n * m * 16, [&](int64_t b) {
      const T *x = in[0].ptr<T>() + b * n * m;
      std::vector<T> key(x, x + n * m);
      const std::vector<int64_t> order = StableOrder(key, asc);
      std::vector<int64_t> rm(n, -1), cm(m, -1);
      for (int64_t k : order) {
        const T v = key[k];
        if (asc ? !(v < thr) : !(v > thr)) break;
        const int64_t r = k / m, c = k % m;
        if (rm[r] < 0 && cm[c] < 0) {
          rm[r] = c;
          cm[c] = r;
        }
      }
      if (req[0] != kNullOp)
        for (int64_t r = 0; r < n; ++r) Store(out[0].ptr<T>() + b * n + r, req[0], static_cast<T>(rm[r]));
      if (req[1] != kNullOp)
        for (int64_t c = 0; c < m; ++c) Store(out[1].ptr<T>() + b * m + c, req[1], static_cast<T>(cm[c]));
    });
  });
}

// ---------------------------------------------------------------------------------------------------------------
// box_encode
// ---------------------------------------------------------------------------------------------------------------
void BoxEncodeInferShape(const OpParams &p, std::vector<TShape> *in, std::vector<TShape> *out) {
  const TShape &sm = (*in)[0], &mt = (*in)[1], &an = (*in)[2], &rf = (*in)[3], &mn = (*in)[4], &sd = (*in)[5];
  if (sm.empty() || mt.empty() || an.empty() || rf.empty() || mn.empty() || sd.empty()) return;
  const bool ok = sm.ndim() == 2 && mt == sm && an.ndim() == 3 && an[0] == sm[0] && an[1] == sm[1] && an[2] == 4 &&
                  rf.ndim() == 3 && rf[0] == sm[0] && rf[2] == 4 && mn == TShape{4} && sd == TShape{4};
  if (!ok)
    Throw(ErrorKind::kShape, Where(p), "expects samples (B, N), matches (B, N), anchors (B, N, 4), refs (B, M, 4), "
          "means (4,) and stds (4,), got samples ", ShapeStr(sm), ", matches ", ShapeStr(mt), ", anchors ",
          ShapeStr(an), ", refs ", ShapeStr(rf), ", means ", ShapeStr(mn), ", stds ", ShapeStr(sd));
  ShapeAssign(&(*out)[0], an, p.op(), "output0");
  ShapeAssign(&(*out)[1], an, p.op(), "output1");
}

void BoxEncodeForward(MXC_FCOMPUTE_ARGS) {
  const int64_t B = in[0].shape[0], N = in[0].shape[1], M = in[3].shape[1];
  MXC_REAL_TYPE_SWITCH(out[0].dtype, T, {
    const T *sm = in[0].ptr<T>(), *mt = in[1].ptr<T>(), *an = in[2].ptr<T>(), *rf = in[3].ptr<T>();
    const T *mn = in[4].ptr<T>(), *sd = in[5].ptr<T>();
    for (int64_t b = 0; b < B; ++b)
      for (int64_t i = 0; i < N; ++i) {
        const int64_t e = b * N + i;
        T t[4] = {0, 0, 0, 0}, msk = 0;
        if (sm[e] > T(0.5)) {
          const int64_t m = static_cast<int64_t>(mt[e]);
          if (m < 0 || m >= M)
            Throw(ErrorKind::kValue, Where(p), "matches[", b, ", ", i, "] = ", m, " is out of range for refs shape ",
                  ShapeStr(in[3].shape));
          T a[4], g[4];
          CornerToCenter(an + e * 4, a);
          CornerToCenter(rf + (b * M + m) * 4, g);
          t[0] = ((g[0] - a[0]) / a[2] - mn[0]) / sd[0];
          t[1] = ((g[1] - a[1]) / a[3] - mn[1]) / sd[1];
          t[2] = (std::log(g[2] / a[2]) - mn[2]) / sd[2];
          t[3] = (std::log(g[3] / a[3]) - mn[3]) / sd[3];
          msk = 1;
        }
        for (int c = 0; c < 4; ++c) {
          if (req[0] != kNullOp) Store(out[0].ptr<T>() + e * 4 + c, req[0], t[c]);
          if (req[1] != kNullOp) Store(out[1].ptr<T>() + e * 4 + c, req[1], msk);
        }
      }
  });
}

// ---------------------------------------------------------------------------------------------------------------
// box_decode
// ---------------------------------------------------------------------------------------------------------------
void BoxDecodeInferShape(const OpParams &p, std::vector<TShape> *in, std::vector<TShape> *out) {
  const TShape &d = (*in)[0], &an = (*in)[1];
  if (d.empty() || an.empty()) return;
  if (d.ndim() != 3 || d[2] != 4 || an.ndim() != 3 || an[0] != 1 || an[1] != d[1] || an[2] != 4)
    Throw(ErrorKind::kShape, Where(p), "expects data (B, N, 4) and anchors (1, N, 4), got data shape ", ShapeStr(d),
          " and anchors shape ", ShapeStr(an));
  ShapeAssign(&(*out)[0], d, p.op(), "output");
}

void BoxDecodeForward(MXC_FCOMPUTE_ARGS) {
  if (req[0] == kNullOp) return;
  const int64_t B = in[0].shape[0], N = in[0].shape[1];
  const bool center = p.Str("format") == "center";
  MXC_REAL_TYPE_SWITCH(out[0].dtype, T, {
    const T s0 = static_cast<T>(p.Float("std0")), s1 = static_cast<T>(p.Float("std1"));
    const T s2 = static_cast<T>(p.Float("std2")), s3 = static_cast<T>(p.Float("std3"));
    const T clip = static_cast<T>(p.Float("clip"));
    const T *d = in[0].ptr<T>(), *an = in[1].ptr<T>();
    T *y = out[0].ptr<T>();
    for (int64_t b = 0; b < B; ++b)
      for (int64_t i = 0; i < N; ++i) {
        T a[4];
        if (center) std::copy(an + i * 4, an + i * 4 + 4, a);
        else CornerToCenter(an + i * 4, a);
        const T *o = d + (b * N + i) * 4;
        const T ox = o[0] * s0 * a[2] + a[0], oy = o[1] * s1 * a[3] + a[1];
        T dw = o[2] * s2, dh = o[3] * s3;
        if (clip > T(0)) {
          dw = std::min(dw, clip);
          dh = std::min(dh, clip);
        }
        const T hw = std::exp(dw) * a[2] / T(2), hh = std::exp(dh) * a[3] / T(2);
        T *r = y + (b * N + i) * 4;
        Store(r, req[0], ox - hw);
        Store(r + 1, req[0], oy - hh);
        Store(r + 2, req[0], ox + hw);
        Store(r + 3, req[0], oy + hh);
      }
  });
}

const std::vector<std::string> kFormats{"center", "corner"};

[[maybe_unused]] const int registered = [] {
  OpRegistry *r = OpRegistry::Get();
  r->Register("_contrib_box_iou")
      .describe("Intersection over union of every box of lhs with every box of rhs.")
      .set_inputs({"lhs", "rhs"})
      .add_param("format", ParamKind::kEnum, "corner",
                 "The box encoding: corner [xmin, ymin, xmax, ymax] or center [x, y, width, height].", kFormats)
      .set_infer_shape(BoxIouInferShape)
      .set_infer_type(FloatOnlyTypeInfer)
      .set_compute(MXC_CPU, BoxIouForward)
      .set_backward(MXC_CPU, ZeroBackward)
      .set_backward_uses(false, false);

  r->Register("_contrib_box_nms")
      .describe("Non-maximum suppression of boxes: kept boxes sorted by score first, -1 elsewhere.")
      .add_alias("_contrib_box_non_maximum_suppression")
      .set_inputs({"data"})
      .set_output_names([](const OpParams &) { return std::vector<std::string>{"output0"}; })  // as MXNet 1.9.1
      .add_param("overlap_thresh", ParamKind::kFloat, "0.5",
                 "Overlapping (IoU) threshold to suppress object with smaller score.")
      .add_param("valid_thresh", ParamKind::kFloat, "0",
                 "Filter input boxes to those whose scores greater than valid_thresh.")
      .add_param("topk", ParamKind::kInt, "-1", "Apply nms to topk boxes with descending scores, -1 to no restriction.")
      .add_param("coord_start", ParamKind::kInt, "2", "Start index of the consecutive 4 coordinates.")
      .add_param("score_index", ParamKind::kInt, "1", "Index of the scores/confidence of boxes.")
      .add_param("id_index", ParamKind::kInt, "-1", "Optional, index of the class categories, -1 to disable.")
      .add_param("background_id", ParamKind::kInt, "-1",
                 "Optional, id of the background class which will be ignored in nms.")
      .add_param("force_suppress", ParamKind::kBool, "False",
                 "If false and id_index is provided, nms only applies to boxes of the same category.")
      .add_param("in_format", ParamKind::kEnum, "corner", "The input box encoding type.", kFormats)
      .add_param("out_format", ParamKind::kEnum, "corner", "The output box encoding type.", kFormats)
      .set_num_outputs(2)
      .set_num_visible_outputs([](const OpParams &) { return 1; })
      .set_infer_shape(BoxNmsInferShape)
      .set_infer_type(BoxNmsInferType)
      .set_compute(MXC_CPU, BoxNmsForward)
      .set_backward(MXC_CPU, BoxNmsBackward)
      .set_backward_uses(false, true);

  r->Register("_contrib_bipartite_matching")
      .describe("Greedy bipartite matching of the rows and columns of a score matrix.")
      .set_inputs({"data"})
      .add_param("is_ascend", ParamKind::kBool, "False",
                 "Use ascend order for scores instead of descending. Please set threshold accordingly.")
      .add_required_param("threshold", ParamKind::kFloat,
                          "Ignore matching when score < thresh, if is_ascend=false, or ignore score > thresh, if "
                          "is_ascend=true.")
      .add_param("topk", ParamKind::kInt, "-1",
                 "Limit the number of matches to topk, set -1 for no limit (no effect, as in MXNet 1.9.1).")
      .set_num_outputs(2)
      .set_infer_shape(BipartiteInferShape)
      .set_infer_type(FloatOnlyTypeInfer)
      .set_compute(MXC_CPU, BipartiteForward)
      .set_backward(MXC_CPU, ZeroBackward)
      .set_backward_uses(false, false);

  r->Register("_contrib_box_encode")
      .describe("Encodes the matched reference boxes of positive samples as regression targets against anchors.")
      .set_inputs({"samples", "matches", "anchors", "refs", "means", "stds"})
      .set_num_outputs(2)
      .set_infer_shape(BoxEncodeInferShape)
      .set_infer_type(FloatOnlyTypeInfer)
      .set_compute(MXC_CPU, BoxEncodeForward)
      .set_backward(MXC_CPU, ZeroBackward)
      .set_backward_uses(false, false);

  r->Register("_contrib_box_decode")
      .describe("Decodes regression offsets against anchors into corner boxes.")
      .set_inputs({"data", "anchors"})
      .add_param("std0", ParamKind::kFloat, "1", "value to be divided from the 1st encoded values")
      .add_param("std1", ParamKind::kFloat, "1", "value to be divided from the 2nd encoded values")
      .add_param("std2", ParamKind::kFloat, "1", "value to be divided from the 3rd encoded values")
      .add_param("std3", ParamKind::kFloat, "1", "value to be divided from the 4th encoded values")
      .add_param("clip", ParamKind::kFloat, "-1", "If larger than 0, bounding box target will be clipped to this value.")
      .add_param("format", ParamKind::kEnum, "center", "The box encoding type of the anchors.", kFormats)
      .set_infer_shape(BoxDecodeInferShape)
      .set_infer_type(FloatOnlyTypeInfer)
      .set_compute(MXC_CPU, BoxDecodeForward)
      .set_backward(MXC_CPU, ZeroBackward)
      .set_backward_uses(false, false);
  return 0;
}();

}  // namespace
}  // namespace op
}  // namespace mxc
