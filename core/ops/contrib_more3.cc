// Operators of MXNet 1.9.1 added on branch ops3 (besides Correlation, correlation.cc):
// - _contrib_count_sketch(data (N, d), h (k, d), s (k, d), out_dim): out[n, h[0, i]] += s[0, i] * data[n, i]
//   (MXNet reads the first row of the hash tables only; MXNet runs it on GPUs only, here it has a CPU kernel too).
//   h must hold integers in [0, out_dim) (else an IndexError). The gradient of data is og[n, h[i]] * s[i]; the hash
//   tables get none (zeros). Each output sums its inputs in increasing i, in double, as the GPU kernel does.
// - _contrib_RROIAlign(data (N, C, H, W), rois (R, 6) = [batch_index, cx, cy, w, h, angle in degrees],
//   pooled_size (PH, PW), spatial_scale in [0, 1], sampling_ratio): rotated ROI align, forward only (as in MXNet).
//   Each bin averages gh x gw bilinear samples of the roi's rotated grid (gh = sampling_ratio, or ceil(h / PH) when
//   it is not positive, at most kMaxGrid per axis); w and h are scaled and at least 1. A sample outside
//   [-1, H] x [-1, W] (or NaN) counts as zero; a roi whose batch index is not in [0, N) gives zeros (as ROIAlign).
// - fill_element_0index(lhs (n, m), mhs (n,), rhs (n,)): lhs with out[i, rhs[i]] = mhs[i]; rhs truncated to an
//   integer, a row whose index is not in [0, m) (or NaN) unchanged (as MXNet). No gradient (as MXNet).
//   (choose_element_0index is an alias of pick, indexing.cc.)
// - _contrib_group_adagrad_update(weight (R, ...), grad, history (R, 1)): AdaGrad with one accumulator per row
//   (dense arrays; MXNet 1.9.1 runs it for row_sparse gradients on the CPU only).
// - _contrib_hawkesll(lda (N, K), alpha (K,), beta (K,), state (N, K), lags (N, T), marks (N, T) int32,
//   valid_length (N,), max_time (N,)) -> loglike (N,), out_state (N, K): the log likelihood of K independent
//   univariate Hawkes processes with exponential kernels per sample (events at the cumulative sums of the first
//   valid_length lags, marks their process), and the memory s_k(max_time). Per mark the memory is decayed from its
//   last event: s <- s exp(-beta dt), intensity lda + alpha beta s, then s <- s + 1; the compensator of process k is
//   lda T + alpha (state + n_k - s_k(T)). Gradient (as MXNet): lda, alpha and beta from the loglike head only; the
//   state and the other inputs get zeros. marks must be in [0, K) and valid_length (rounded up: the events
//   j < valid_length, as MXNet) in [0, T].
#include <cmath>
#include <vector>

#include "hawkes_impl.h"
#include "count_sketch.h"
#include "rroi_impl.h"
#include "nn_util.h"

namespace mxc {
namespace op {

// count_sketch.h (the GPU glue uses it too)
std::vector<int64_t> SketchBuckets(const OpParams &p, const TBlob &h, int64_t d) {
  const int64_t out_dim = p.Int("out_dim");
  std::vector<int64_t> b(static_cast<size_t>(d));
  MXC_REAL_TYPE_SWITCH(h.dtype, T, {
    const T *hp = h.ptr<T>();
    for (int64_t i = 0; i < d; ++i) {
      const double v = static_cast<double>(hp[i]);
      if (!(v >= 0 && v < static_cast<double>(out_dim)))
        Throw(ErrorKind::kIndex, "operator ", p.op()->name, ": h[0, ", i, "] = ", v,
              " is not a bucket index in [0, out_dim = ", out_dim, ")");
      b[i] = static_cast<int64_t>(v);
    }
  });
  return b;
}

namespace {

// ---------------------------------------------------------------------------------------------------------------
// count_sketch
// ---------------------------------------------------------------------------------------------------------------
void CountSketchInferShape(const OpParams &p, std::vector<TShape> *in, std::vector<TShape> *out) {
  const Op *op = p.op();
  const TShape &d = (*in)[0], &h = (*in)[1], &s = (*in)[2];
  const int64_t out_dim = p.Int("out_dim");
  const std::string where = std::string("operator ") + op->name + ": data shape " + ShapeStr(d) + ", h shape " +
                            ShapeStr(h) + ", s shape " + ShapeStr(s) + ", out_dim " + std::to_string(out_dim) +
                            ": ";
  if (out_dim < 1) Throw(ErrorKind::kValue, where, "out_dim must be positive");
  if (p.Int("processing_batch_size") < 1) Throw(ErrorKind::kValue, where, "processing_batch_size must be positive");
  if (!d.empty() && d.ndim() != 2) Throw(ErrorKind::kShape, where, "data must be 2-D (N, d)");
  for (const TShape *t : {&h, &s})
    if (!t->empty() && (t->ndim() != 2 || (*t)[0] < 1 || (!d.empty() && (*t)[1] != d[1])))
      Throw(ErrorKind::kShape, where, "h and s must be 2-D with at least one row of d = data.shape[1] values");
  if (d.empty()) return;
  ShapeAssign(&(*out)[0], TShape{d[0], out_dim}, op, "output");
}

void CountSketchForward(MXC_NN_FORWARD_ARGS) {
  if (req[0] == kNullOp) return;
  const int64_t N = in[0].shape[0], d = in[0].shape[1], K = p.Int("out_dim");
  const std::vector<int64_t> b = SketchBuckets(p, in[1], d);
  MXC_REAL_TYPE_SWITCH(out[0].dtype, T, {
    const T *x = in[0].ptr<T>(), *s = in[2].ptr<T>();
    T *y = out[0].ptr<T>();
    const bool add = req[0] == kAddTo;
    ParallelForWork(N, d + K, [&](int64_t n) {
      std::vector<double> acc(static_cast<size_t>(K), 0.0);
      for (int64_t i = 0; i < d; ++i) acc[b[i]] += static_cast<double>(s[i]) * static_cast<double>(x[n * d + i]);
      T *yr = y + n * K;
      for (int64_t k = 0; k < K; ++k) yr[k] = add ? static_cast<T>(yr[k] + static_cast<T>(acc[k])) : static_cast<T>(acc[k]);
    });
  });
}

void CountSketchBackward(MXC_NN_BACKWARD_ARGS) {
  ZeroGrad(in_grad[1], req[1]);
  ZeroGrad(in_grad[2], req[2]);
  if (req[0] == kNullOp) return;
  const int64_t N = in_data[0].shape[0], d = in_data[0].shape[1], K = p.Int("out_dim");
  const std::vector<int64_t> b = SketchBuckets(p, in_data[1], d);
  MXC_REAL_TYPE_SWITCH(in_grad[0].dtype, T, {
    const T *g = out_grad[0].ptr<T>(), *s = in_data[2].ptr<T>();
    MapReq(in_grad[0].ptr<T>(), req[0], N * d, [&](int64_t e) {
      const int64_t n = e / d, i = e % d;
      return static_cast<T>(static_cast<double>(g[n * K + b[i]]) * static_cast<double>(s[i]));
    });
  });
}

// ---------------------------------------------------------------------------------------------------------------
// RROIAlign
// ---------------------------------------------------------------------------------------------------------------
constexpr int64_t kMaxGrid = 1024;

std::string RROIWhere(const OpParams &p, const TShape &d, const TShape &r) {
  return std::string("operator ") + p.op()->name + ": data shape " + ShapeStr(d) + ", rois shape " + ShapeStr(r) +
         ": ";
}

void RROIInferShape(const OpParams &p, std::vector<TShape> *in, std::vector<TShape> *out) {
  const TShape &d = (*in)[0], &r = (*in)[1];
  const std::string where = RROIWhere(p, d, r);
  const auto &ps = p.Tuple("pooled_size");
  if (ps.size() != 2 || ps[0] < 1 || ps[1] < 1)
    Throw(ErrorKind::kValue, where, "pooled_size must be two positive values (h, w), got ", ShapeStr(TShape(ps)));
  const double scale = p.Float("spatial_scale");
  if (!(scale >= 0 && scale <= 1)) Throw(ErrorKind::kValue, where, "spatial_scale must be in [0, 1], got ", scale);
  if (!d.empty() && d.ndim() != 4) Throw(ErrorKind::kShape, where, "data must be 4-D (N, C, H, W)");
  if (!r.empty() && (r.ndim() != 2 || r[1] != 6))
    Throw(ErrorKind::kShape, where, "rois must be 2-D (num_rois, 6): [batch_index, cx, cy, w, h, angle]");
  if (d.empty() || r.empty()) return;
  ShapeAssign(&(*out)[0], TShape{r[0], d[1], ps[0], ps[1]}, p.op(), "output");
}

void RROIForward(MXC_NN_FORWARD_ARGS) {
  if (req[0] == kNullOp) return;
  const TShape &d = in[0].shape;
  const auto &ps = p.Tuple("pooled_size");
  const RROIGeom g{d[0], d[1], d[2], d[3], in[1].shape[0], ps[0], ps[1], p.Int("sampling_ratio"), kMaxGrid,
                   static_cast<double>(static_cast<float>(p.Float("spatial_scale")))};  // MXNet keeps it as a float
  MXC_REAL_TYPE_SWITCH(out[0].dtype, T, {
    const T *x = in[0].ptr<T>(), *rois = in[1].ptr<T>();
    T *y = out[0].ptr<T>();
    const bool add = req[0] == kAddTo;
    ParallelForWork(g.R * g.C * g.PH * g.PW, 64, [&](int64_t e) {
      const T v = static_cast<T>(RROIOutput(g, x, rois, e));  // rroi_impl.h, shared with the GPU kernel
      y[e] = add ? static_cast<T>(y[e] + v) : v;
    });
  });
}

// ---------------------------------------------------------------------------------------------------------------
// fill_element_0index
// ---------------------------------------------------------------------------------------------------------------
void FillElemInferShape(const OpParams &p, std::vector<TShape> *in, std::vector<TShape> *out) {
  const TShape &l = (*in)[0], &m = (*in)[1], &r = (*in)[2];
  const std::string where = std::string("operator ") + p.op()->name + ": lhs shape " + ShapeStr(l) + ", mhs shape " +
                            ShapeStr(m) + ", rhs shape " + ShapeStr(r) + ": ";
  if ((!l.empty() && l.ndim() != 2) || (!m.empty() && m.ndim() != 1) || (!r.empty() && r.ndim() != 1))
    Throw(ErrorKind::kShape, where, "only a 2-D matrix (lhs), 1-D values (mhs) and 1-D indices (rhs) are supported");
  if ((!l.empty() && !m.empty() && l[0] != m[0]) || (!l.empty() && !r.empty() && l[0] != r[0]) ||
      (!m.empty() && !r.empty() && m[0] != r[0]))
    Throw(ErrorKind::kShape, where, "the index vector, value vector and matrix rows do not match");
  if (l.empty()) return;
  ShapeAssign(&(*out)[0], l, p.op(), "output");
}

void FillElemForward(MXC_NN_FORWARD_ARGS) {
  const int64_t m = in[0].shape[1];
  MXC_REAL_TYPE_SWITCH(out[0].dtype, T, {
    const T *l = in[0].ptr<T>(), *v = in[1].ptr<T>(), *r = in[2].ptr<T>();
    MapReq(out[0].ptr<T>(), req[0], in[0].Size(), [=](int64_t e) {
      const int64_t i = e / m, j = e % m;
      const double c = std::trunc(static_cast<double>(r[i]));
      return (c >= 0 && c < static_cast<double>(m) && static_cast<int64_t>(c) == j) ? v[i] : l[e];
    });
  });
}

// ---------------------------------------------------------------------------------------------------------------
// group_adagrad_update
// ---------------------------------------------------------------------------------------------------------------
void GroupAdagradInferShape(const OpParams &p, std::vector<TShape> *in, std::vector<TShape> *out) {
  const TShape &w = (*in)[0], &g = (*in)[1], &h = (*in)[2];
  const std::string where = std::string("operator ") + p.op()->name + ": weight shape " + ShapeStr(w) +
                            ", grad shape " + ShapeStr(g) + ", history shape " + ShapeStr(h) + ": ";
  if (!w.empty() && w.ndim() < 1) Throw(ErrorKind::kShape, where, "weight must have at least one axis");
  if (!w.empty() && !g.empty() && w != g) Throw(ErrorKind::kShape, where, "grad must have the weight's shape");
  if (!w.empty() && !h.empty() && (h.ndim() < 1 || h[0] != w[0] || ShapeSize(h) != w[0]))
    Throw(ErrorKind::kShape, where, "history must hold one value per row of the weight, shape (rows, 1)");
  const TShape &known = !w.empty() ? w : g;
  if (known.empty()) return;
  ShapeAssign(&(*in)[0], known, p.op(), "weight");
  ShapeAssign(&(*in)[1], known, p.op(), "grad");
  if (h.empty()) ShapeAssign(&(*in)[2], TShape{known[0], 1}, p.op(), "history");
  ShapeAssign(&(*out)[0], known, p.op(), "output");
}

// Per row r of C elements: g = clip(rescale_grad * grad); history[r] += mean(g^2) (in double, in order);
// weight -= lr * g / sqrt(history[r] + epsilon).
void GroupAdagradUpdate(MXC_NN_FORWARD_ARGS) {
  const int64_t R = in[0].shape[0], C = R ? in[0].Size() / R : 0;
  // the hyperparameters as floats, as MXNet keeps them
  auto f32 = [&](const char *k) { return static_cast<double>(static_cast<float>(p.Float(k))); };
  const double lr = f32("lr"), rescale = f32("rescale_grad"), clip = f32("clip_gradient"), eps = f32("epsilon");
  MXC_REAL_TYPE_SWITCH(in[0].dtype, T, {
    const T *w = in[0].ptr<T>(), *g = in[1].ptr<T>();
    T *h = in[2].ptr<T>(), *o = out[0].ptr<T>();
    auto grad = [&](int64_t i) { return ClipIf(rescale * static_cast<double>(g[i]), clip, clip > 0); };
    ParallelForWork(R, C, [&](int64_t r) {
      double ss = 0;
      for (int64_t c = 0; c < C; ++c) {
        const double v = grad(r * C + c);
        ss += v * v;
      }
      h[r] = static_cast<T>(static_cast<double>(h[r]) + ss / static_cast<double>(C));
      const double den = std::sqrt(static_cast<double>(h[r]) + eps);
      for (int64_t c = 0; c < C; ++c) {
        const int64_t i = r * C + c;
        const T v = static_cast<T>(static_cast<double>(w[i]) - lr * grad(i) / den);
        if (req[0] == kAddTo) o[i] += v;
        else if (req[0] != kNullOp) o[i] = v;
      }
    });
  });
}

// ---------------------------------------------------------------------------------------------------------------
// hawkesll
// ---------------------------------------------------------------------------------------------------------------
enum HawkesIn { kLda, kAlpha, kBeta, kState, kLags, kMarks, kValid, kMaxTime };

std::string HawkesWhere(const OpParams &p, const std::vector<TShape> &in) {
  static const char *names[] = {"lda", "alpha", "beta", "state", "lags", "marks", "valid_length", "max_time"};
  std::string w = std::string("operator ") + p.op()->name + ":";
  for (int i = 0; i < 8; ++i) w += std::string(i ? ", " : " ") + names[i] + " shape " + ShapeStr(in[i]);
  return w + ": ";
}

void HawkesInferShape(const OpParams &p, std::vector<TShape> *in, std::vector<TShape> *out) {
  auto &v = *in;
  const std::string where = HawkesWhere(p, v);
  auto need = [&](int i, int nd, const char *what) {
    if (!v[i].empty() && v[i].ndim() != nd) Throw(ErrorKind::kShape, where, what);
  };
  need(kLda, 2, "lda must be 2-D (N, K)");
  need(kAlpha, 1, "alpha must be 1-D (K,)");
  need(kBeta, 1, "beta must be 1-D (K,)");
  need(kState, 2, "state must be 2-D (N, K)");
  need(kLags, 2, "lags must be 2-D (N, T)");
  need(kMarks, 2, "marks must be 2-D (N, T)");
  need(kValid, 1, "valid_length must be 1-D (N,)");
  need(kMaxTime, 1, "max_time must be 1-D (N,)");
  if (v[kLda].empty() || v[kLags].empty()) return;
  const int64_t N = v[kLda][0], K = v[kLda][1], T = v[kLags][1];
  const TShape nk{N, K}, k{K}, nt{N, T}, n{N};
  const std::pair<int, const TShape *> want[] = {{kAlpha, &k},  {kBeta, &k},  {kState, &nk},
                                                 {kLags, &nt},  {kMarks, &nt}, {kValid, &n}, {kMaxTime, &n}};
  for (const auto &w : want)
    if (!v[w.first].empty() && v[w.first] != *w.second)
      Throw(ErrorKind::kShape, where, "inputs must be lda (N, K), alpha and beta (K,), state (N, K), lags and "
                                      "marks (N, T), valid_length and max_time (N,)");
  for (const auto &w : want) ShapeAssign(&v[w.first], *w.second, p.op(), "input");
  ShapeAssign(&(*out)[0], n, p.op(), "output");
  ShapeAssign(&(*out)[1], nk, p.op(), "out_state");
}

void HawkesInferType(const OpParams &p, std::vector<int> *in, std::vector<int> *out) {
  auto &v = *in;
  const std::string where = std::string("operator ") + p.op()->name + ": ";
  int t = -1;
  for (int i : {0, 1, 2, 3, 4, 6, 7})
    if (v[i] >= 0) {
      if (t >= 0 && v[i] != t)
        Throw(ErrorKind::kType, where, "lda, alpha, beta, state, lags, valid_length and max_time must share one "
                                       "dtype, got ", DTypeName(t), " and ", DTypeName(v[i]));
      t = v[i];
    }
  for (int o : *out)
    if (t < 0 && o >= 0) t = o;
  if (t >= 0 && t != kFloat32 && t != kFloat64)
    Throw(ErrorKind::kType, where, "dtype ", DTypeName(t), " is not supported (float32, float64)");
  if (v[kMarks] >= 0 && v[kMarks] != kInt32)
    Throw(ErrorKind::kType, where, "marks must be int32, got ", DTypeName(v[kMarks]));
  v[kMarks] = kInt32;
  if (t < 0) return;
  for (int i : {0, 1, 2, 3, 4, 6, 7}) v[i] = t;
  (*out)[0] = (*out)[1] = t;
}

// Checks marks and valid_length as the kernels read them; the valid lengths (rounded up).
template <typename T>
std::vector<int64_t> HawkesLengths(const OpParams &p, const std::vector<TBlob> &in) {
  const int64_t N = in[kLda].shape[0], K = in[kLda].shape[1], TT = in[kLags].shape[1];
  std::vector<int64_t> len(static_cast<size_t>(N));
  const T *vl = in[kValid].ptr<T>();
  const int32_t *m = in[kMarks].ptr<int32_t>();
  for (int64_t n = 0; n < N; ++n) {
    const double v = std::ceil(static_cast<double>(vl[n]));  // events j < valid_length, as MXNet
    if (!(v >= 0 && v <= static_cast<double>(TT)))
      Throw(ErrorKind::kValue, "operator ", p.op()->name, ": valid_length[", n, "] = ", static_cast<double>(vl[n]),
            " is not in [0, T = ", TT, "]");
    len[n] = static_cast<int64_t>(v);
    for (int64_t j = 0; j < len[n]; ++j)
      if (m[n * TT + j] < 0 || m[n * TT + j] >= K)
        Throw(ErrorKind::kIndex, "operator ", p.op()->name, ": marks[", n, ", ", j, "] = ", m[n * TT + j],
              " is not a process index in [0, K = ", K, ")");
  }
  return len;
}

void HawkesForward(MXC_NN_FORWARD_ARGS) {
  const int64_t N = in[kLda].shape[0], K = in[kLda].shape[1], TT = in[kLags].shape[1];
  MXC_REAL_TYPE_SWITCH(out[0].dtype, T, {
    const std::vector<int64_t> len = HawkesLengths<T>(p, in);
    T *ll = out[0].ptr<T>(), *st = out[1].ptr<T>();
    const T *tm = in[kMaxTime].ptr<T>();
    ParallelForWork(N, TT + K, [&](int64_t n) {
      std::vector<double> buf(static_cast<size_t>(4 * K));
      double *s = buf.data();
      const double v = HawkesSample(n, K, TT, in[kLda].ptr<T>(), in[kAlpha].ptr<T>(), in[kBeta].ptr<T>(),
                                    in[kState].ptr<T>(), in[kLags].ptr<T>(), in[kMarks].ptr<int32_t>(), len[n],
                                    static_cast<double>(tm[n]), s, s + K, s + 2 * K, s + 3 * K, nullptr);
      if (req[0] == kAddTo) ll[n] += static_cast<T>(v);
      else if (req[0] != kNullOp) ll[n] = static_cast<T>(v);
      for (int64_t k = 0; k < K; ++k) {
        if (req[1] == kAddTo) st[n * K + k] += static_cast<T>(s[k]);
        else if (req[1] != kNullOp) st[n * K + k] = static_cast<T>(s[k]);
      }
    });
  });
}

void HawkesBackward(MXC_NN_BACKWARD_ARGS) {
  for (int i = 3; i < 8; ++i) ZeroGrad(in_grad[i], req[i]);
  if (req[kLda] == kNullOp && req[kAlpha] == kNullOp && req[kBeta] == kNullOp) return;
  const int64_t N = in_data[kLda].shape[0], K = in_data[kLda].shape[1], TT = in_data[kLags].shape[1];
  MXC_REAL_TYPE_SWITCH(in_data[kLda].dtype, T, {
    const std::vector<int64_t> len = HawkesLengths<T>(p, in_data);
    const T *og = out_grad[0].ptr<T>(), *tm = in_data[kMaxTime].ptr<T>();
    std::vector<double> part(static_cast<size_t>(N * 2 * K));  // per sample: alpha's and beta's gradients
    T *glda = in_grad[kLda].ptr<T>();
    ParallelForWork(N, TT + K, [&](int64_t n) {
      std::vector<double> buf(static_cast<size_t>(7 * K));
      double *s = buf.data(), *g = s + 4 * K;
      HawkesSample(n, K, TT, in_data[kLda].ptr<T>(), in_data[kAlpha].ptr<T>(), in_data[kBeta].ptr<T>(),
                   in_data[kState].ptr<T>(), in_data[kLags].ptr<T>(), in_data[kMarks].ptr<int32_t>(), len[n],
                   static_cast<double>(tm[n]), s, s + K, s + 2 * K, s + 3 * K, g);
      const double h = static_cast<double>(og[n]);
      for (int64_t k = 0; k < K; ++k) {
        const T v = static_cast<T>(h * g[k]);
        if (req[kLda] == kAddTo) glda[n * K + k] += v;
        else if (req[kLda] != kNullOp) glda[n * K + k] = v;
        part[(n * 2) * K + k] = h * g[K + k];
        part[(n * 2 + 1) * K + k] = h * g[2 * K + k];
      }
    });
    for (int w = 0; w < 2; ++w) {
      const int slot = w == 0 ? kAlpha : kBeta;
      if (req[slot] == kNullOp) continue;
      T *dst = in_grad[slot].ptr<T>();
      for (int64_t k = 0; k < K; ++k) {
        double acc = 0;
        for (int64_t n = 0; n < N; ++n) acc += part[(n * 2 + w) * K + k];
        if (req[slot] == kAddTo) dst[k] += static_cast<T>(acc);
        else dst[k] = static_cast<T>(acc);
      }
    }
  });
}

[[maybe_unused]] const int registered = [] {
  OpRegistry::Get()
      ->Register("_contrib_count_sketch")
      .describe("Apply CountSketch to input: map a d-dimension data to k-dimension data, "
                "out[n, h[i]] += data[n, i] * s[i] (h, s: the first row of the hash tables).")
      .set_inputs({"data", "h", "s"})
      .add_required_param("out_dim", ParamKind::kInt, "The output dimension.")
      .add_param("processing_batch_size", ParamKind::kInt, "32", "How many sketch vectors to process at one time.")
      .set_infer_shape(CountSketchInferShape)
      .set_infer_type(FloatOnlyTypeInfer)
      .set_compute(MXC_CPU, CountSketchForward)
      .set_backward(MXC_CPU, CountSketchBackward)
      .set_backward_uses(true, false);
  OpRegistry::Get()
      ->Register("_contrib_RROIAlign")
      .describe("Performs Rotated ROI Align on the input array: rois (num_rois, 6) = [batch_index, cx, cy, w, h, "
                "angle in degrees], each bin the average of bilinear samples of the rotated roi.")
      .set_inputs({"data", "rois"})
      .add_required_param("pooled_size", ParamKind::kShape, "RROI align output shape (h,w)")
      .add_required_param("spatial_scale", ParamKind::kFloat,
                          "Ratio of input feature map height (or width) to raw image height (or width).")
      .add_param("sampling_ratio", ParamKind::kInt, "-1",
                 "Optional sampling ratio of RROI align, using adaptive size by default.")
      .set_infer_shape(RROIInferShape)
      .set_infer_type(FloatOnlyTypeInfer)
      .set_compute(MXC_CPU, RROIForward);
  OpRegistry::Get()
      ->Register("fill_element_0index")
      .describe("Fill one element of each line(row for python, column for R/Julia) in lhs according to index "
                "indicated by rhs and values indicated by mhs. This function assume rhs uses 0-based index.")
      .set_inputs({"lhs", "mhs", "rhs"})
      .set_infer_shape(FillElemInferShape)
      .set_infer_type(FloatOnlyTypeInfer)
      .set_inplace({{0, 0}})
      .set_compute(MXC_CPU, FillElemForward);
  OpRegistry::Get()
      ->Register("_contrib_group_adagrad_update")
      .describe("Update function for Group AdaGrad optimizer: per row, grad = clip(grad * rescale_grad, "
                "clip_gradient); history += mean(square(grad), axis=1, keepdims=True); weight -= lr * grad / "
                "sqrt(history + epsilon).")
      .set_inputs({"weight", "grad", "history"})
      .add_required_param("lr", ParamKind::kFloat, "Learning rate")
      .add_param("rescale_grad", ParamKind::kFloat, "1", "Rescale gradient to grad = rescale_grad*grad.")
      .add_param("clip_gradient", ParamKind::kFloat, "-1",
                 "Clip gradient to the range of [-clip_gradient, clip_gradient]; <= 0 turns clipping off.")
      .add_param("epsilon", ParamKind::kFloat, "9.99999975e-06", "Epsilon for numerical stability")
      .set_infer_shape(GroupAdagradInferShape)
      .set_infer_type(FloatOnlyTypeInfer)
      .set_inplace({{0, 0}})
      .set_mutate_inputs({2})
      .set_compute(MXC_CPU, GroupAdagradUpdate);
  OpRegistry::Get()
      ->Register("_contrib_hawkesll")
      .describe("Computes the log likelihood of a univariate Hawkes process (K independent processes with "
                "exponential kernels per sample) and its final memory.")
      .set_inputs({"lda", "alpha", "beta", "state", "lags", "marks", "valid_length", "max_time"})
      .set_num_outputs(2)
      .set_output_names([](const OpParams &) { return std::vector<std::string>{"output", "out_state"}; })
      .set_infer_shape(HawkesInferShape)
      .set_infer_type(HawkesInferType)
      .set_compute(MXC_CPU, HawkesForward)
      .set_backward(MXC_CPU, HawkesBackward)
      .set_backward_uses(true, false);
  return 0;
}();

}  // namespace
}  // namespace op
}  // namespace mxc
