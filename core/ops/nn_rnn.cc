// RNN: MXNet's fused recurrent operator (rnn_relu, rnn_tanh, lstm, gru; stacked, optionally bidirectional, with
// dropout between layers). The algorithm and the layouts are in rnn_impl.h; this file holds the parameters, the
// inference and the CPU backend (GEMM from gemm.h, the gate math with fast_math.h's tanh/sigmoid).
#include "rnn.h"

#include <algorithm>
#include <cstring>
#include <memory>
#include <type_traits>

#include "cpu_dispatch.h"
#include "fast_math.h"
#include "gemm.h"
#include "gemm_packed.h"
#include "nn_util.h"

namespace mxc {
namespace op {
namespace rnn {

static bool IsLstm(const OpParams &p) { return p.Get("mode").i == kLstm; }
int NumStateOutputs(const OpParams &p) { return p.Bool("state_outputs") ? (IsLstm(p) ? 2 : 1) : 0; }

Dims DimsOf(const OpParams &p, const TShape &data) {
  const std::string &name = p.op()->name;
  MXC_CHECK(p.IsNone("projection_size"), ErrorKind::kValue, "operator ", name, ": projection_size=",
            p.RawString("projection_size"), " (the projected LSTM) is not supported; leave it None");
  Dims m;
  m.mode = static_cast<int>(p.Get("mode").i);
  m.G = m.mode == kLstm ? 4 : (m.mode == kGru ? 3 : 1);
  m.H = p.Int("state_size");
  m.L = p.Int("num_layers");
  m.D = p.Bool("bidirectional") ? 2 : 1;
  m.p = p.Float("p");
  MXC_CHECK(m.H > 0, ErrorKind::kValue, "operator ", name, ": state_size must be positive, got ", m.H);
  MXC_CHECK(m.L > 0, ErrorKind::kValue, "operator ", name, ": num_layers must be positive, got ", m.L);
  MXC_CHECK(m.p >= 0 && m.p <= 1, ErrorKind::kValue, "operator ", name, ": p must be in [0, 1], got ", m.p);
  const bool has_min = !p.IsNone("lstm_state_clip_min"), has_max = !p.IsNone("lstm_state_clip_max");
  MXC_CHECK(has_min == has_max, ErrorKind::kValue, "operator ", name,
            ": lstm_state_clip_min and lstm_state_clip_max must be given together");
  if (has_min && m.mode == kLstm) {
    m.clip = true;
    m.clip_min = p.Float("lstm_state_clip_min");
    m.clip_max = p.Float("lstm_state_clip_max");
    m.clip_nan = p.Bool("lstm_state_clip_nan");
    MXC_CHECK(m.clip_min <= m.clip_max, ErrorKind::kValue, "operator ", name, ": lstm_state_clip_min (", m.clip_min,
              ") is greater than lstm_state_clip_max (", m.clip_max, ")");
  }
  if (data.ndim() != 3)
    Throw(ErrorKind::kShape, "operator ", name, ": 'data' should be a rank-3 tensor of dim [sequence length, batch "
          "size, input size] (layout TNC), got shape ", ShapeStr(data));
  m.T = data[0], m.N = data[1], m.I = data[2];
  return m;
}

Dims KernelDimsOf(const OpParams &p, const TShape &data) {
  const Dims m = DimsOf(p, data);
  MXC_CHECK(m.T > 0 && m.N > 0 && m.I > 0, ErrorKind::kShape, "operator ", p.op()->name,
            ": 'data' (sequence length, batch size, input size) has an empty dimension: ", ShapeStr(data));
  return m;
}

std::vector<int32_t> LengthsOf(const OpParams &p, const TBlob &b, int64_t T) {
  std::vector<int32_t> lens(b.Size());
  MXC_TYPE_SWITCH(b.dtype, V, {
    const V *v = b.ptr<V>();
    for (size_t n = 0; n < lens.size(); ++n) {
      const double x = static_cast<double>(v[n]);
      MXC_CHECK(x >= 0 && x <= static_cast<double>(T), ErrorKind::kValue, "operator ", p.op()->name,
                ": sequence_length[", n, "] = ", x, " is outside [0, ", T, "] (the sequence length of data)");
      lens[n] = static_cast<int32_t>(x);
    }
  });
  return lens;
}

}  // namespace rnn

namespace {

using rnn::Dims;
using rnn::IsLstm;
using rnn::NumStateOutputs;

void RNNInferShape(const OpParams &p, std::vector<TShape> *in, std::vector<TShape> *out) {
  const Op *op = p.op();
  const TShape &d = (*in)[0];
  if (d.empty()) return;
  const Dims m = rnn::DimsOf(p, d);
  const auto names = op->InputNames(p);
  const TShape state{m.L * m.D, m.N, m.H};
  if (m.I > 0) ShapeAssign(&(*in)[1], TShape{m.NumParams()}, op, "parameters");  // (0: input size not known yet)
  for (size_t i = 2; i < in->size(); ++i)
    ShapeAssign(&(*in)[i], names[i] == "sequence_length" ? TShape{m.N} : state, op, names[i]);
  ShapeAssign(&(*out)[0], TShape{m.T, m.N, m.D * m.H}, op, "output");
  const int ns = NumStateOutputs(p);
  for (int i = 1; i <= ns; ++i) ShapeAssign(&(*out)[i], state, op, i == 1 ? "state_output" : "statecell_output");
  if (m.T > 0 && m.N > 0 && m.I > 0) ShapeAssign(&out->back(), TShape{m.ReserveSize()}, op, "reserve");
}

// Everything float32/float64 of one dtype but sequence_length, which may have any dtype (its values are lengths).
void RNNInferType(const OpParams &p, std::vector<int> *in, std::vector<int> *out) {
  const bool seq = p.Bool("use_sequence_length");
  int seq_type = seq ? in->back() : -1;
  if (seq) in->pop_back();
  FloatOnlyTypeInfer(p, in, out);
  if (seq) in->push_back(seq_type < 0 ? (*in)[0] : seq_type);
}

// ---------------------------------------------------------------------------------------------------------------
// CPU backend of rnn_impl.h
// ---------------------------------------------------------------------------------------------------------------
struct CpuMath {
  template <typename T>
  static T Sigmoid(T x) { return FastSigmoid(x); }
  template <typename T>
  static T Tanh(T x) { return FastTanh(x); }
};

template <typename T>
struct CpuDev {
  const OpContext &ctx;
  // The weights of a layer and direction packed (float32 with AVX2, gemm_packed.h): W_x^T (in, G*H) and W_h^T
  // (H, G*H) in the forward, W_h (G*H, H) in the backward.
  PackedB packed_wx, packed_wh;

  static bool Packed() { return std::is_same<T, float>::value && PackedGemmAvailable(); }

  void Gemm(bool ta, bool tb, int64_t M, int64_t N, int64_t K, T alpha, const T *A, int64_t lda, const T *B,
            int64_t ldb, T beta, T *C, int64_t ldc) {
    if constexpr (std::is_same<T, float>::value) {
      if (Packed()) return GemmPacked(ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
    }
    op::Gemm(ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
  }
  void BiasRows(T *c, int64_t rows, int64_t cols, const T *b) {
    ParallelForWork(rows, cols, [&](int64_t r) { std::memcpy(c + r * cols, b, cols * sizeof(T)); });
  }
  void Copy(T *dst, const T *src, int64_t n) { std::memcpy(dst, src, n * sizeof(T)); }
  void Zero(T *dst, int64_t n) { std::memset(dst, 0, n * sizeof(T)); }
  void Mul(T *dst, const T *a, const T *b, int64_t n) {
    ParallelFor(n, [&](int64_t i) { dst[i] = a[i] * b[i]; });
  }
  void Assign(T *dst, int req, const T *src, int64_t n) {
    MapReq(dst, static_cast<OpReq>(req), n, [&](int64_t i) { return src[i]; });
  }
  void ColSum(T *dst, int req, const T *src, int64_t rows, int64_t cols) {
    std::vector<T> acc(cols, T(0));
    RunIsa<T>(cols, [&] {
      for (int64_t r = 0; r < rows; ++r) {
        const T *row = src + r * cols;
        T *a = acc.data();
#pragma omp simd
        for (int64_t j = 0; j < cols; ++j) a[j] += row[j];
      }
    });
    Assign(dst, req, acc.data(), cols);
  }
  // Runs f(r0, r1) over blocks of the batch's rows: in parallel (one block per thread, at least 8 rows each) when
  // the work pays for it, else as one block.
  template <typename F>
  void Rows(const Dims &m, double work, F f) {
    const int nt = PackedGemmThreads(m.N, work, 8);
    if (nt <= 1) return f(int64_t(0), m.N);
    const int64_t step = (m.N + nt - 1) / nt;
#ifdef _OPENMP
#pragma omp parallel for num_threads(nt) schedule(static)
#endif
    for (int b = 0; b < nt; ++b) {
      const int64_t r0 = std::min<int64_t>(m.N, b * step), r1 = std::min<int64_t>(m.N, r0 + step);
      if (r0 < r1) f(r0, r1);
    }
  }
  // The elementwise work of a step on rows [r0, r1) of the batch, the mode a constant of the inner loops, which are
  // vectorized (omp simd: the elements of a row are independent; the arrays do not overlap) and run with AVX2+FMA
  // when the processor has them (cpu_dispatch.h).
  void StepForwardRows(const Dims &m, int64_t t, T *g, const T *hh, const T *hprev, const T *cprev, T *h, T *extra,
                       int64_t r0, int64_t r1) {
    rnn::ByMode(m.mode, [&](auto mode) {
      for (int64_t n = r0; n < r1; ++n) {
        if (rnn::Masked(m, t, n)) {
          for (int64_t j = 0; j < m.H; ++j) rnn::MaskedForwardAt(m, n, j, g, hprev, cprev, h, extra);
          continue;
        }
        RunIsa<T>(m.H, [&] {
#pragma omp simd
          for (int64_t j = 0; j < m.H; ++j)
            rnn::StepForwardAt<decltype(mode)::value, T, CpuMath>(m, n, j, g, hh, hprev, cprev, h, extra);
        });
      }
    });
  }
  void StepBackwardRows(const Dims &m, int64_t t, const T *dy, int64_t stride, const T *g, const T *hprev,
                        const T *cprev, const T *extra, T *dh, T *dc, T *dax, T *dah, int64_t r0, int64_t r1) {
    rnn::ByMode(m.mode, [&](auto mode) {
      for (int64_t n = r0; n < r1; ++n) {
        if (rnn::Masked(m, t, n)) {
          for (int64_t j = 0; j < m.H; ++j) rnn::MaskedBackwardAt(m, n, j, dax, dah);
          continue;
        }
        RunIsa<T>(m.H, [&] {
#pragma omp simd
          for (int64_t j = 0; j < m.H; ++j)
            rnn::StepBackwardAt<decltype(mode)::value, T, CpuMath>(m, n, j, dy, stride, g, hprev, cprev, extra, dh,
                                                                    dc, dax, dah);
        });
      }
    });
  }
  void StepForward(const Dims &m, int64_t t, T *g, const T *hh, const T *hprev, const T *cprev, T *h, T *extra) {
    Rows(m, static_cast<double>(m.N) * m.GH() * 8,
         [&](int64_t r0, int64_t r1) { StepForwardRows(m, t, g, hh, hprev, cprev, h, extra, r0, r1); });
  }
  void StepBackward(const Dims &m, int64_t t, const T *dy, int64_t stride, const T *g, const T *, const T *hprev,
                    const T *cprev, const T *extra, T *dh, T *dc, T *dax, T *dah) {
    Rows(m, static_cast<double>(m.N) * m.GH() * 8, [&](int64_t r0, int64_t r1) {
      StepBackwardRows(m, t, dy, stride, g, hprev, cprev, extra, dh, dc, dax, dah, r0, r1);
    });
  }
  // A layer's direction (rnn_impl.h's ForwardDirectionParts). float32 with AVX2: the batch's rows in blocks, one
  // per thread (a row's recurrence involves that row only, so the threads never wait for each other), each running
  // every step on its rows: the input projection of the step and the recurrent product (W_x and W_h packed once),
  // the gate math on the rows just written, still in cache, and the output rows. Else in separate parts.
  void ForwardDirection(const Dims &m, int64_t d, const T *xin, int64_t in, const T *wx, const T *bx, const T *wh,
                        const T *bh, const T *h0, const T *c0, T *gates, T *hs, T *extra, T *scratch, T *out,
                        int64_t stride) {
    if constexpr (std::is_same<T, float>::value) {
      if (Packed()) {
        const int64_t N = m.N, H = m.H, GH = m.GH(), NH = N * H, NGH = N * GH;
        const double work = static_cast<double>(m.T) * N * GH * (in + H + 8);
        // With fewer blocks of rows than threads (a small batch), the projection runs first as one product over
        // all the threads.
        const bool fused = PackedGemmThreads(N, work, 8) >= PackedGemmThreads(m.T * N, work, 8);
        if (fused) PackB(true, in, GH, wx, in, &packed_wx);
        else rnn::ProjectParts(*this, m.T * N, GH, in, xin, wx, bx, gates);
        PackB(true, H, GH, wh, H, &packed_wh);
        Rows(m, work, [&](int64_t r0, int64_t r1) {
          for (int64_t s = 0; s < m.T; ++s) {
            const int64_t t = rnn::StepTime(m, d, s), tp = rnn::PrevTime(m, d, s);
            const T *hprev = s == 0 ? h0 : hs + tp * NH;
            const T *cprev = m.mode != rnn::kLstm ? nullptr : s == 0 ? c0 : extra + tp * NH;
            if (fused) GemmPackedRows(t * N + r0, t * N + r1, 1.0f, xin, in, 1, packed_wx, 0.0f, bx, gates, GH);
            GemmPackedRows(r0, r1, 1.0f, hprev, H, 1, packed_wh, 0.0f, bh, scratch, GH);
            StepForwardRows(m, t, gates + t * NGH, scratch, hprev, cprev, hs + t * NH, extra ? extra + t * NH : nullptr,
                            r0, r1);
            for (int64_t n = r0; n < r1; ++n) {
              T *o = out + (t * N + n) * stride;
              if (rnn::Masked(m, t, n)) std::fill(o, o + H, T(0));
              else std::memcpy(o, hs + t * NH + n * H, H * sizeof(T));
            }
          }
        });
        return;
      }
    }
    rnn::ForwardDirectionParts(*this, m, d, xin, in, wx, bx, wh, bh, h0, c0, gates, hs, extra, scratch, out, stride);
  }
  // The backward through time of a layer and direction (rnn_impl.h's BackRecurrenceParts), in blocks of rows as
  // the forward: per step the gates' gradients, then dh += dah W_h on the block's rows.
  void BackRecurrence(const Dims &m, int64_t d, const T *wh, const T *dy, int64_t stride, const T *gates,
                      const T *hs, const T *extra, const T *h0, const T *c0, T *dh, T *dc, T *dax, T *dah,
                      T *hprevs) {
    if constexpr (std::is_same<T, float>::value) {
      if (Packed()) {
        const int64_t H = m.H, GH = m.GH(), NH = m.N * H, NGH = m.N * GH;
        PackB(false, GH, H, wh, H, &packed_wh);
        Rows(m, static_cast<double>(m.T) * m.N * GH * (H + 8), [&](int64_t r0, int64_t r1) {
          for (int64_t s = m.T - 1; s >= 0; --s) {
            const int64_t t = rnn::StepTime(m, d, s), tp = rnn::PrevTime(m, d, s);
            const T *hprev = s == 0 ? h0 : hs + tp * NH;
            const T *cprev = m.mode != rnn::kLstm ? nullptr : s == 0 ? c0 : extra + tp * NH;
            std::memcpy(hprevs + t * NH + r0 * H, hprev + r0 * H, (r1 - r0) * H * sizeof(T));
            StepBackwardRows(m, t, dy + t * m.N * stride, stride, gates + t * NGH, hprev, cprev,
                             extra ? extra + t * NH : nullptr, dh, dc, dax + t * NGH, dah + t * NGH, r0, r1);
            GemmPackedRows(r0, r1, 1.0f, dah + t * NGH, GH, 1, packed_wh, 1.0f, nullptr, dh, H);
          }
        });
        return;
      }
    }
    rnn::BackRecurrenceParts(*this, m, d, wh, dy, stride, gates, hs, extra, h0, c0, dh, dc, dax, dah, hprevs);
  }
  // out (T, N, stride) columns [0, H) from hs (T, N, H); zero past a sequence's length.
  void WriteOutput(const Dims &m, T *out, int64_t stride, const T *hs) {
    ParallelForWork(m.T * m.N, m.H, [&](int64_t r) {
      const bool masked = rnn::Masked(m, r / m.N, r % m.N);
      for (int64_t j = 0; j < m.H; ++j) out[r * stride + j] = masked ? T(0) : hs[r * m.H + j];
    });
  }
  // x *= mask, the mask drawn with keep probability 1 - p and kept values 1 / (1 - p) (all ones when p is 0).
  void Dropout(T *x, T *mask, int64_t n, double p) {
    if (p <= 0) {
      std::fill(mask, mask + n, T(1));
      return;
    }
    MXC_CHECK(ctx.rng != nullptr, ErrorKind::kInternal, "operator RNN: no random generator");
    const T keep = p >= 1 ? T(0) : static_cast<T>(1.0 / (1.0 - p));
    const uint64_t threshold = p >= 1 ? 0 : static_cast<uint64_t>((1.0 - p) * 9007199254740992.0);  // 2^53
    for (int64_t i = 0; i < n; ++i) mask[i] = ((*ctx.rng)() >> 11) < threshold ? keep : T(0);
    Mul(x, x, mask, n);
  }
};

// The kernels' scratch (rnn_impl.h's ForwardScratch/BackwardScratch, which need no initial values): up to 64 MiB
// kept by the thread for its next calls, so that a backward does not allocate, fault in and clear megabytes each
// time (5 MB at T=35, N=32, H=128); larger ones allocated for the call only.
template <typename T>
class ScratchBuf {
 public:
  explicit ScratchBuf(size_t n) {
    static constexpr size_t kKeep = (size_t(64) << 20) / sizeof(T);
    thread_local std::unique_ptr<T[]> kept;
    thread_local size_t kept_size = 0;
    if (n > kKeep) {
      own_.reset(new T[n]);
      ptr_ = own_.get();
      return;
    }
    if (kept_size < n) {
      kept.reset();
      kept.reset(new T[n]);
      kept_size = n;
    }
    ptr_ = kept.get();
  }
  T *get() const { return ptr_; }

 private:
  std::unique_ptr<T[]> own_;
  T *ptr_ = nullptr;
};

template <typename T>
void RNNForwardT(const OpContext &ctx, const OpParams &p, const std::vector<TBlob> &in, const std::vector<OpReq> &req,
                 const std::vector<TBlob> &out) {
  Dims m = rnn::KernelDimsOf(p, in[0].shape);
  const bool lstm = m.mode == rnn::kLstm;
  std::vector<int32_t> lens;
  if (p.Bool("use_sequence_length")) {
    lens = rnn::LengthsOf(p, in.back(), m.T);
    m.lens = lens.data();
  }
  // Outputs with an add request are computed aside and added.
  const int ns = NumStateOutputs(p);
  std::vector<std::vector<T>> aside(1 + ns);
  std::vector<T *> dst(1 + ns);
  for (int i = 0; i <= ns; ++i) {
    if (req[i] == kAddTo) aside[i].resize(out[i].Size());
    dst[i] = req[i] == kAddTo ? aside[i].data() : out[i].ptr<T>();
  }
  ScratchBuf<T> buf(m.ForwardScratch());
  T *scratch = buf.get();
  CpuDev<T> dev{ctx};
  rnn::Forward<T>(dev, m, ctx.is_train, in[0].ptr<T>(), in[1].ptr<T>(), in[2].ptr<T>(),
                  lstm ? in[3].ptr<T>() : nullptr, dst[0], ns > 0 ? dst[1] : nullptr, ns > 1 ? dst[2] : nullptr,
                  out.back().ptr<T>(), scratch);
  for (int i = 0; i <= ns; ++i)
    if (req[i] == kAddTo) dev.Assign(out[i].ptr<T>(), kAddTo, aside[i].data(), out[i].Size());
}

void RNNForward(MXC_NN_FORWARD_ARGS) {
  MXC_REAL_TYPE_SWITCH(in[0].dtype, T, { RNNForwardT<T>(ctx, p, in, req, out); });
}

template <typename T>
void RNNBackwardT(const OpContext &ctx, const OpParams &p, const std::vector<TBlob> &og,
                  const std::vector<TBlob> &id, const std::vector<TBlob> &od, const std::vector<OpReq> &req,
                  const std::vector<TBlob> &ig) {
  Dims m = rnn::KernelDimsOf(p, id[0].shape);
  const bool lstm = m.mode == rnn::kLstm;
  std::vector<int32_t> lens;
  if (p.Bool("use_sequence_length")) {
    lens = rnn::LengthsOf(p, id.back(), m.T);
    m.lens = lens.data();
    ZeroGrad(ig.back(), req.back());
  }
  const int ns = NumStateOutputs(p);
  auto head = [&](int i) { return i <= ns && og[i].dptr ? og[i].ptr<T>() : nullptr; };
  auto grad = [&](int i) { return req[i] != kNullOp && ig[i].dptr ? ig[i].ptr<T>() : nullptr; };
  ScratchBuf<T> buf(m.BackwardScratch());
  T *scratch = buf.get();
  CpuDev<T> dev{ctx};
  rnn::Backward<T>(dev, m, og[0].ptr<T>(), head(1), lstm ? head(2) : nullptr, id[0].ptr<T>(), id[1].ptr<T>(),
                   id[2].ptr<T>(), lstm ? id[3].ptr<T>() : nullptr, od.back().ptr<T>(), grad(0), req[0], grad(1),
                   req[1], grad(2), req[2], lstm ? grad(3) : nullptr, lstm ? req[3] : kNullOp, scratch);
}

void RNNBackward(MXC_NN_BACKWARD_ARGS) {
  MXC_REAL_TYPE_SWITCH(in_data[0].dtype, T, { RNNBackwardT<T>(ctx, p, out_grad, in_data, out_data, req, in_grad); });
}

}  // namespace

MXC_REGISTER_OP(RNN)
    .describe("Applies stacked recurrent layers (vanilla RNN with relu or tanh, LSTM, GRU; optionally "
              "bidirectional) to data of shape (sequence length, batch, input size). parameters holds every weight "
              "and bias in one vector: the weights by layer then direction (i2h then h2h), then the biases in the "
              "same order. LSTM gates i, f, g, o; GRU gates r, z, n with n = tanh(W_in x + b_in + r * (W_hn h + "
              "b_hn)). Outputs: out (T, N, D*state_size), then with state_outputs the final hidden state (and, for "
              "LSTM, the final cell state), each (num_layers*D, N, state_size).")
    .set_inputs({"data", "parameters", "state", "state_cell", "sequence_length"})
    .set_input_names([](const OpParams &p) {
      std::vector<std::string> n{"data", "parameters", "state"};
      if (IsLstm(p)) n.push_back("state_cell");
      if (p.Bool("use_sequence_length")) n.push_back("sequence_length");
      return n;
    })
    .add_required_param("state_size", ParamKind::kInt, "Size of the state of each layer.")
    .add_required_param("num_layers", ParamKind::kInt, "Number of stacked layers.")
    .add_param("bidirectional", ParamKind::kBool, "False", "Whether to use bidirectional recurrent layers.")
    .add_required_param("mode", ParamKind::kEnum, "The type of RNN to compute.",
                        {"rnn_relu", "rnn_tanh", "lstm", "gru"})
    .add_param("p", ParamKind::kFloat, "0",
               "Drop rate of the dropout on the outputs of each RNN layer, except the last layer.")
    .add_param("state_outputs", ParamKind::kBool, "False", "Whether to have the states as symbol outputs.")
    .add_param("projection_size", ParamKind::kOptInt, "None", "Size of the LSTM projection (not supported).")
    .add_param("lstm_state_clip_min", ParamKind::kOptFloat, "None",
               "Minimum clip value of LSTM states. Must be used together with lstm_state_clip_max.")
    .add_param("lstm_state_clip_max", ParamKind::kOptFloat, "None",
               "Maximum clip value of LSTM states. Must be used together with lstm_state_clip_min.")
    .add_param("lstm_state_clip_nan", ParamKind::kBool, "False",
               "Whether to stop NaN from propagating in state by clipping it to min/max.")
    .add_param("use_sequence_length", ParamKind::kBool, "False",
               "If set to true, this layer takes in an extra input sequence_length: the valid length of each "
               "sequence of the batch.")
    .set_num_outputs([](const OpParams &p) { return 2 + NumStateOutputs(p); })
    .set_num_visible_outputs([](const OpParams &p) { return 1 + NumStateOutputs(p); })
    .set_output_names([](const OpParams &p) {
      std::vector<std::string> n{"output", "state_output", "statecell_output"};
      n.resize(1 + NumStateOutputs(p));
      return n;
    })
    .set_infer_shape(RNNInferShape)
    .set_infer_type(RNNInferType)
    .set_random()
    .set_compute(MXC_CPU, RNNForward)
    .set_backward(MXC_CPU, RNNBackward)
    .set_backward_uses(true, true);

}  // namespace op
}  // namespace mxc
