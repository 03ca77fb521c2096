// CTCLoss (aliases ctc_loss, _contrib_CTCLoss, _contrib_ctc_loss), MXNet 1.x semantics: the connectionist temporal
// classification loss of activations data (T, N, C) (a softmax over C is taken inside) against padded labels (N, L).
// The blank is channel 0 (blank_label 'first', labels padded with 0) or channel C - 1 ('last', padded with -1); the
// label lengths come from label_lengths (use_label_lengths) or the first padding value, the sequence lengths from
// data_lengths (use_data_lengths) or T. The output is -log p(label | data) per sample (N,); a label that no path of
// the sequence's length can produce gives 0 and a zero gradient, as MXNet. The gradient w.r.t. the activations is
// (softmax - posterior occupancy of each channel) times the output gradient of the sample; steps past the sequence
// length get 0. The forward-backward recursions run in log space in double precision.
#include <limits>
#include <vector>

#include "nn_util.h"

namespace mxc {
namespace op {
namespace {

constexpr double kNegInf = -std::numeric_limits<double>::infinity();

inline double LogAdd(double a, double b) {
  if (a == kNegInf) return b;
  if (b == kNegInf) return a;
  return a > b ? a + std::log1p(std::exp(b - a)) : b + std::log1p(std::exp(a - b));
}

std::vector<std::string> CTCInputs(const OpParams &p) {
  std::vector<std::string> v{"data", "label"};
  if (p.Bool("use_data_lengths")) v.push_back("data_lengths");
  if (p.Bool("use_label_lengths")) v.push_back("label_lengths");
  return v;
}

void CTCInferShape(const OpParams &p, std::vector<TShape> *in, std::vector<TShape> *out) {
  const Op *op = p.op();
  const TShape &d = (*in)[0];
  TShape &l = (*in)[1];
  if (!d.empty() && d.ndim() != 3)
    Throw(ErrorKind::kShape, "operator ", op->name, ": data shape ", ShapeStr(d),
          ": the number of dimensions of data must be 3 (sequence length, batch, alphabet size)");
  if (!l.empty() && l.ndim() != 2)
    Throw(ErrorKind::kShape, "operator ", op->name, ": label shape ", ShapeStr(l),
          ": the label must be 2-D (batch, max label length)");
  if (d.empty()) return;
  if (!l.empty()) {
    if (l[0] && d[1] && l[0] != d[1])
      Throw(ErrorKind::kShape, "operator ", op->name, ": data shape ", ShapeStr(d), ", label shape ", ShapeStr(l),
            ": the batch size of the labels and the data must be the same");
    if (l[1] && d[0] && l[1] > d[0])
      Throw(ErrorKind::kShape, "operator ", op->name, ": data shape ", ShapeStr(d), ", label shape ", ShapeStr(l),
            ": the max number of labels cannot exceed the sequence length of the data");
  }
  const auto names = CTCInputs(p);
  for (size_t i = 2; i < in->size() && i < names.size(); ++i) ShapeAssign(&(*in)[i], TShape{d[1]}, op, names[i]);
  ShapeAssign(&(*out)[0], TShape{d[1]}, op, "output");
}

void CTCInferType(const OpParams &p, std::vector<int> *in, std::vector<int> *out) {
  const Op *op = p.op();
  int &d = (*in)[0];
  if (d < 0) d = (*out)[0];
  if (d < 0) return;
  if (d != kFloat32 && d != kFloat64)
    Throw(ErrorKind::kType, "operator ", op->name, ": 'data' has dtype ", DTypeName(d),
          ", which is not supported (float32, float64)");
  TypeAssign(&(*out)[0], d, op, "output");
  for (size_t i = 1; i < in->size(); ++i)
    if ((*in)[i] < 0) (*in)[i] = d;
}

std::vector<int64_t> ReadInts(const TBlob &b) {
  std::vector<int64_t> v(b.Size());
  MXC_TYPE_SWITCH(b.dtype, T, {
    const T *x = b.ptr<T>();
    for (size_t i = 0; i < v.size(); ++i) v[i] = static_cast<int64_t>(x[i]);
  });
  return v;
}

// Runs the loss (and, with grad != nullptr, the gradient scaled by head[n]) over the batch.
template <typename T>
void CTCRun(const OpParams &p, const std::vector<TBlob> &in, T *loss, T *grad, const T *head, OpReq greq) {
  const Op *op = p.op();
  const TShape &ds = in[0].shape;
  const int64_t Tn = ds[0], N = ds[1], C = ds[2], L = in[1].shape[1];
  const bool blank_first = p.Str("blank_label") == "first";
  const int64_t blank = blank_first ? 0 : C - 1, pad = blank_first ? 0 : -1;
  const std::vector<int64_t> labels = ReadInts(in[1]);
  size_t k = 2;
  std::vector<int64_t> dlen, llen;
  if (p.Bool("use_data_lengths")) dlen = ReadInts(in[k++]);
  if (p.Bool("use_label_lengths")) llen = ReadInts(in[k++]);
  // Lengths and extended labels (the label with blanks around and between its tokens) of every sample, checked
  // here, before the samples run in parallel.
  std::vector<int64_t> seq_len(N), lab_len(N);
  std::vector<std::vector<int64_t>> exts(N);
  for (int64_t n = 0; n < N; ++n) {
    const int64_t tl = dlen.empty() ? Tn : dlen[n];
    if (tl < 0 || tl > Tn)
      Throw(ErrorKind::kValue, "operator ", op->name, ": data_lengths[", n, "] = ", tl,
            " is outside [0, ", Tn, "] (data shape ", ShapeStr(ds), ")");
    int64_t ll = 0;
    if (!llen.empty()) {
      ll = llen[n];
      if (ll < 0 || ll > L)
        Throw(ErrorKind::kValue, "operator ", op->name, ": label_lengths[", n, "] = ", ll, " is outside [0, ", L,
              "] (label shape ", ShapeStr(in[1].shape), ")");
    } else {
      while (ll < L && labels[n * L + ll] != pad) ++ll;
    }
    std::vector<int64_t> &ext = exts[n];
    ext.assign(2 * ll + 1, blank);
    for (int64_t i = 0; i < ll; ++i) {
      const int64_t c = labels[n * L + i];
      if (c < 0 || c >= C || c == blank)
        Throw(ErrorKind::kValue, "operator ", op->name, ": label[", n, ", ", i, "] = ", c,
              " is not a token of the alphabet (0..", C - 1, " without the blank ", blank, ", blank_label '",
              p.Str("blank_label"), "')");
      ext[2 * i + 1] = c;
    }
    seq_len[n] = tl, lab_len[n] = ll;
  }
  const T *x = in[0].ptr<T>();
  ParallelForWork(N, Tn * (C + 8 * L), [&](int64_t n) {
    const int64_t tl = seq_len[n];
    const std::vector<int64_t> &ext = exts[n];
    const int64_t ll = lab_len[n];
    const int64_t S = 2 * ll + 1;
    // log-softmax of every step of this sample
    std::vector<double> ly(tl * C);
    for (int64_t t = 0; t < tl; ++t) {
      const T *xt = x + (t * N + n) * C;
      double m = kNegInf;
      for (int64_t c = 0; c < C; ++c) m = std::max(m, static_cast<double>(xt[c]));
      double s = 0;
      for (int64_t c = 0; c < C; ++c) s += std::exp(static_cast<double>(xt[c]) - m);
      const double lse = m + std::log(s);
      for (int64_t c = 0; c < C; ++c) ly[t * C + c] = static_cast<double>(xt[c]) - lse;
    }
    // alpha[t][s]: log probability of the prefixes ending in ext[s] at step t (emission at t included)
    std::vector<double> alpha(tl * S, kNegInf), beta(tl * S, kNegInf);
    auto skip_ok = [&](int64_t s) { return s >= 2 && ext[s] != blank && ext[s] != ext[s - 2]; };
    if (tl > 0) {
      alpha[0] = ly[ext[0]];
      if (S > 1) alpha[1] = ly[ext[1]];
      for (int64_t t = 1; t < tl; ++t)
        for (int64_t s = 0; s < S; ++s) {
          double a = alpha[(t - 1) * S + s];
          if (s >= 1) a = LogAdd(a, alpha[(t - 1) * S + s - 1]);
          if (skip_ok(s)) a = LogAdd(a, alpha[(t - 1) * S + s - 2]);
          alpha[t * S + s] = a == kNegInf ? kNegInf : a + ly[t * C + ext[s]];
        }
    }
    double logp = kNegInf;
    if (tl > 0) {
      logp = alpha[(tl - 1) * S + S - 1];
      if (S > 1) logp = LogAdd(logp, alpha[(tl - 1) * S + S - 2]);
    } else if (ll == 0) {
      logp = 0;  // the empty label from the empty sequence
    }
    const bool feasible = logp != kNegInf;
    if (loss) loss[n] = feasible ? static_cast<T>(-logp) : T(0);
    if (!grad) return;
    const double h = static_cast<double>(head[n]);
    auto put = [&](int64_t t, int64_t c, double v) {
      T *g = grad + (t * N + n) * C + c;
      *g = greq == kAddTo ? *g + static_cast<T>(v) : static_cast<T>(v);
    };
    if (!feasible || tl == 0) {
      for (int64_t t = 0; t < Tn; ++t)
        for (int64_t c = 0; c < C; ++c) put(t, c, 0.0);
      return;
    }
    // beta[t][s]: log probability of the suffixes starting in ext[s] at step t (emission at t included)
    beta[(tl - 1) * S + S - 1] = ly[(tl - 1) * C + ext[S - 1]];
    if (S > 1) beta[(tl - 1) * S + S - 2] = ly[(tl - 1) * C + ext[S - 2]];
    for (int64_t t = tl - 2; t >= 0; --t)
      for (int64_t s = 0; s < S; ++s) {
        double b = beta[(t + 1) * S + s];
        if (s + 1 < S) b = LogAdd(b, beta[(t + 1) * S + s + 1]);
        if (s + 2 < S && skip_ok(s + 2)) b = LogAdd(b, beta[(t + 1) * S + s + 2]);
        beta[t * S + s] = b == kNegInf ? kNegInf : b + ly[t * C + ext[s]];
      }
    std::vector<double> occ(C);
    for (int64_t t = 0; t < Tn; ++t) {
      if (t >= tl) {
        for (int64_t c = 0; c < C; ++c) put(t, c, 0.0);
        continue;
      }
      std::fill(occ.begin(), occ.end(), kNegInf);
      for (int64_t s = 0; s < S; ++s) occ[ext[s]] = LogAdd(occ[ext[s]], alpha[t * S + s] + beta[t * S + s]);
      for (int64_t c = 0; c < C; ++c) {
        const double y = std::exp(ly[t * C + c]);
        const double post = occ[c] == kNegInf ? 0.0 : std::exp(occ[c] - ly[t * C + c] - logp);
        put(t, c, (y - post) * h);
      }
    }
  });
}

void CTCForward(MXC_NN_FORWARD_ARGS) {
  if (req[0] == kNullOp) return;
  MXC_REAL_TYPE_SWITCH(in[0].dtype, T, {
    std::vector<T> loss(in[0].shape[1]);
    CTCRun<T>(p, in, loss.data(), nullptr, nullptr, kWriteTo);
    T *y = out[0].ptr<T>();
    MapReq(y, req[0], static_cast<int64_t>(loss.size()), [&](int64_t i) { return loss[i]; });
  });
}

void CTCBackward(MXC_NN_BACKWARD_ARGS) {
  for (size_t i = 1; i < in_grad.size(); ++i) ZeroGrad(in_grad[i], req[i]);  // labels and lengths
  if (req[0] == kNullOp) return;
  MXC_REAL_TYPE_SWITCH(in_data[0].dtype, T, {
    CTCRun<T>(p, in_data, nullptr, in_grad[0].ptr<T>(), out_grad[0].ptr<T>(), req[0]);
  });
}

[[maybe_unused]] const int registered = [] {
  OpRegistry::Get()
      ->Register("CTCLoss")
      .describe("Connectionist Temporal Classification loss of activations (sequence length, batch, alphabet size) "
                "against padded labels (batch, max label length); one value per sample.")
      .add_alias("ctc_loss")
      .add_alias("_contrib_CTCLoss")
      .add_alias("_contrib_ctc_loss")
      .set_inputs({"data", "label", "data_lengths", "label_lengths"})
      .set_input_names(CTCInputs)
      .set_output_names([](const OpParams &) { return std::vector<std::string>{"output0"}; })  // as MXNet 1.9.1
      .add_param("use_data_lengths", ParamKind::kBool, "False",
                 "Whether the data lengths are decided by `data_lengths`. If false, the lengths are equal to the max "
                 "sequence length.")
      .add_param("use_label_lengths", ParamKind::kBool, "False",
                 "Whether the label lengths are decided by `label_lengths`, or derived from the padding value (0 "
                 "with blank_label 'first', -1 with 'last').")
      .add_param("blank_label", ParamKind::kEnum, "first",
                 "The label reserved for the blank: 'first' (channel 0, labels 1..C-1, padded with 0) or 'last' "
                 "(channel C-1, labels 0..C-2, padded with -1).",
                 {"first", "last"})
      .set_infer_shape(CTCInferShape)
      .set_infer_type(CTCInferType)
      .set_compute(MXC_CPU, CTCForward)
      .set_backward(MXC_CPU, CTCBackward)
      .set_backward_uses(true, false);
  return 0;
}();

}  // namespace
}  // namespace op
}  // namespace mxc
