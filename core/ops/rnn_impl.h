// The fused RNN operator's algorithm (MXNet's `RNN`: rnn_relu, rnn_tanh, lstm, gru; stacked, optionally
// bidirectional), written once over a device backend so that the CPU (nn_rnn.cc) and the GPU (cuda/gpu_ops_rnn.cc)
// share the layouts and the order of the work and differ only in their GEMMs and elementwise kernels.
//
// Layouts (as MXNet 1.9.1's, checked against it in the tests):
// - parameters, one flat vector: every weight first, by layer then direction, i2h (G*H, in) then h2h (G*H, H);
//   then every bias in the same order, i2h (G*H) then h2h (G*H). G gates: lstm i,f,g,o; gru r,z,n; rnn one.
// - data (T, N, I); states (L*D, N, H) with index layer*D + direction; out (T, N, D*H), the forward direction in
//   the first H columns.
// - GRU: n = tanh(x_n + r * (W_hn h + b_hn)), h' = (1 - z) n + z h.
// - sequence_length (optional): for t >= len[n] a step keeps the state and writes a zero output; the reverse
//   direction thus starts at len[n] - 1 from the initial state.
//
// The hidden "reserve" output keeps what the backward needs: per layer and direction the states after each step
// (hs), the activated gates and, for lstm, the cells (cs) or, for gru, W_hn h + b_hn (hn); per layer below the top
// the next layer's input (after dropout) and the dropout mask.
//
// Forward, per layer and direction: one GEMM projects every time step's input (bias included), then per step a GEMM
// for the recurrent part and the elementwise gate math (ForwardDirection: on the CPU each block of the batch's rows
// runs on its own thread from the projection to the output, the products and the gate math fused per step).
// Backward (BPTT), per layer and direction: per step an elementwise kernel for the gates' gradients and a GEMM for
// the previous state's (BackRecurrence: on the CPU in blocks of rows as the forward); then one GEMM each for the
// weights' gradients and the input's.
#pragma once

#include <cmath>
#include <cstdint>
#include <type_traits>

#ifdef __CUDACC__
#define MXC_RNN_HD __host__ __device__
#else
#define MXC_RNN_HD
#endif

namespace mxc {
namespace op {
namespace rnn {

enum Mode { kRnnRelu = 0, kRnnTanh, kLstm, kGru };  // order of the `mode` options

struct Dims {
  int mode = kLstm;
  int64_t T = 0, N = 0, I = 0, H = 0, L = 0, D = 1, G = 4;
  double p = 0;               // dropout between layers
  bool clip = false;          // lstm cell clipping to [clip_min, clip_max] (infinite bounds without)
  double clip_min = -HUGE_VAL, clip_max = HUGE_VAL;
  bool clip_nan = false;
  const int32_t *lens = nullptr;  // (N,) on the kernels' device, or null

  int64_t GH() const { return G * H; }
  int64_t InSize(int64_t l) const { return l == 0 ? I : D * H; }
  // Flat parameter vector.
  int64_t WeightSize(int64_t l) const { return GH() * (InSize(l) + H); }
  int64_t NumParams() const {
    int64_t n = 0;
    for (int64_t l = 0; l < L; ++l) n += D * (WeightSize(l) + 2 * GH());
    return n;
  }
  int64_t Wx(int64_t l, int64_t d) const {  // i2h weight of (l, d); h2h follows it
    int64_t o = 0;
    for (int64_t k = 0; k < l; ++k) o += D * WeightSize(k);
    return o + d * WeightSize(l);
  }
  int64_t Wh(int64_t l, int64_t d) const { return Wx(l, d) + GH() * InSize(l); }
  int64_t Bx(int64_t l, int64_t d) const {  // i2h bias of (l, d); h2h bias follows it
    int64_t o = 0;
    for (int64_t k = 0; k < L; ++k) o += D * WeightSize(k);
    return o + (l * D + d) * 2 * GH();
  }
  // Reserve: per (l, d) block hs | gates | cs or hn; then per layer below the top: next input | mask.
  int64_t TNH() const { return T * N * H; }
  int64_t Block() const { return TNH() * (1 + G + (mode == kLstm || mode == kGru ? 1 : 0)); }
  int64_t LayerIO() const { return T * N * D * H * (p > 0 ? 2 : 1); }
  int64_t ReserveSize() const { return L * D * Block() + (L - 1) * LayerIO(); }
  int64_t Hs(int64_t l, int64_t d) const { return (l * D + d) * Block(); }
  int64_t Gates(int64_t l, int64_t d) const { return Hs(l, d) + TNH(); }
  int64_t Extra(int64_t l, int64_t d) const { return Gates(l, d) + G * TNH(); }  // cs (lstm) or hn (gru)
  int64_t NextInput(int64_t l) const { return L * D * Block() + l * LayerIO(); }  // input of layer l + 1
  int64_t Mask(int64_t l) const { return NextInput(l) + T * N * D * H; }
  // Scratch of the backward: da_x, da_h (T*N, GH); the previous states (T*N, H); two buffers for the gradients of
  // the layers' inputs (T*N, D*H), the one read and the one written; dh, dc (N, H).
  int64_t BackwardScratch() const { return 2 * T * N * GH() + TNH() + 2 * T * N * D * H + 2 * N * H; }
  int64_t ForwardScratch() const { return N * GH(); }
};

// ---------------------------------------------------------------------------------------------------------------
// The elementwise work of one step, per element (n, j) of the (N, H) state; M gives Sigmoid and Tanh. Shared by the
// CPU loops and the CUDA kernels (this part of the header compiles under nvcc).
// ---------------------------------------------------------------------------------------------------------------
MXC_RNN_HD inline bool Masked(const Dims &m, int64_t t, int64_t n) { return m.lens && t >= m.lens[n]; }

// Calls f(std::integral_constant<int, mode>()) with the mode as a constant, so that the per-element functions below
// compile without branches on it (loops over j vectorize). Host only.
template <typename F>
inline void ByMode(int mode, F f) {
  switch (mode) {
    case kRnnRelu: f(std::integral_constant<int, kRnnRelu>()); break;
    case kRnnTanh: f(std::integral_constant<int, kRnnTanh>()); break;
    case kLstm: f(std::integral_constant<int, kLstm>()); break;
    default: f(std::integral_constant<int, kGru>()); break;
  }
}

// A step of a sequence past its length (Masked): the state passes through, the gates are zero.
template <typename T>
MXC_RNN_HD inline void MaskedForwardAt(const Dims &m, int64_t n, int64_t j, T *g, const T *hprev, const T *cprev,
                                       T *h, T *extra) {
  const int64_t H = m.H, i = n * H + j;
  h[i] = hprev[i];
  if (m.mode == kLstm) extra[i] = cprev[i];
  if (m.mode == kGru) extra[i] = T(0);
  for (int64_t q = 0; q < m.G; ++q) g[n * m.G * H + q * H + j] = T(0);
}

// g: the step's gate pre-activations (N, G*H) from the input projection (with the i2h bias), turned into the
// activated gates; hh: the recurrent part (N, G*H) (with the h2h bias). Writes the new state h and extra (lstm: the
// cell; gru: hh's n part, W_hn h + b_hn).
template <int kMode, typename T, typename M>
MXC_RNN_HD inline void StepForwardAt(const Dims &m, int64_t n, int64_t j, T *g, const T *hh, const T *hprev,
                                     const T *cprev, T *h, T *extra) {
  const int64_t H = m.H, i = n * H + j;
  g += n * m.G * H;
  hh += n * m.G * H;
  if (kMode == kRnnRelu || kMode == kRnnTanh) {
    const T a = g[j] + hh[j];
    h[i] = g[j] = kMode == kRnnRelu ? (a > T(0) ? a : T(0)) : M::Tanh(a);
  } else if (kMode == kLstm) {
    const T ig = M::Sigmoid(g[j] + hh[j]), fg = M::Sigmoid(g[H + j] + hh[H + j]);
    const T gg = M::Tanh(g[2 * H + j] + hh[2 * H + j]), og = M::Sigmoid(g[3 * H + j] + hh[3 * H + j]);
    // Clipped to [clip_min, clip_max] (infinite without clipping); selects only, so that the loop vectorizes.
    const T lo = T(m.clip_min), hi = T(m.clip_max);
    T c = fg * cprev[i] + ig * gg;
    c = c < lo ? lo : (c > hi ? hi : c);
    c = m.clip_nan && c != c ? lo : c;
    g[j] = ig, g[H + j] = fg, g[2 * H + j] = gg, g[3 * H + j] = og;
    extra[i] = c;
    h[i] = og * M::Tanh(c);
  } else {
    const T r = M::Sigmoid(g[j] + hh[j]), z = M::Sigmoid(g[H + j] + hh[H + j]);
    const T nn = M::Tanh(g[2 * H + j] + r * hh[2 * H + j]);
    g[j] = r, g[H + j] = z, g[2 * H + j] = nn;
    extra[i] = hh[2 * H + j];
    h[i] = (T(1) - z) * nn + z * hprev[i];
  }
}

// The backward of a step past a sequence's length: the state's gradients pass through (dh, dc unchanged), the
// output was a constant zero, the gates get no gradient.
template <typename T>
MXC_RNN_HD inline void MaskedBackwardAt(const Dims &m, int64_t n, int64_t j, T *dax, T *dah) {
  for (int64_t q = 0; q < m.G; ++q) dax[n * m.G * m.H + q * m.H + j] = dah[n * m.G * m.H + q * m.H + j] = T(0);
}

// The gradients of one step: dy the output's (row stride `stride`), dh/dc (in) those of the state after the step,
// (out) dh the part of the previous state's that does not go through W_h (the caller adds dah * W_h), dc the
// previous cell's. dax/dah: the gradients of the gates' input and recurrent pre-activations (the same but for gru).
template <int kMode, typename T, typename M>
MXC_RNN_HD inline void StepBackwardAt(const Dims &m, int64_t n, int64_t j, const T *dy, int64_t stride, const T *g,
                                      const T *hprev, const T *cprev, const T *extra, T *dh, T *dc, T *dax,
                                      T *dah) {
  const int64_t H = m.H, i = n * H + j, row = n * m.G * H;
  g += row, dax += row, dah += row;
  const T dht = dh[i] + dy[n * stride + j];
  if (kMode == kRnnRelu || kMode == kRnnTanh) {
    const T v = g[j];
    dax[j] = kMode == kRnnRelu ? (v > T(0) ? dht : T(0)) : dht * (T(1) - v * v);
    dh[i] = T(0);
  } else if (kMode == kLstm) {
    const T ig = g[j], fg = g[H + j], gg = g[2 * H + j], og = g[3 * H + j], c = extra[i], tc = M::Tanh(c);
    T dct = dc[i] + dht * og * (T(1) - tc * tc);
    dct = m.clip && !(c > T(m.clip_min) && c < T(m.clip_max)) ? T(0) : dct;  // clipped: no gradient through it
    dax[j] = dct * gg * ig * (T(1) - ig);
    dax[H + j] = dct * cprev[i] * fg * (T(1) - fg);
    dax[2 * H + j] = dct * ig * (T(1) - gg * gg);
    dax[3 * H + j] = dht * tc * og * (T(1) - og);
    dc[i] = dct * fg;
    dh[i] = T(0);
  } else {
    const T r = g[j], z = g[H + j], nn = g[2 * H + j], hn = extra[i];
    const T dan = dht * (T(1) - z) * (T(1) - nn * nn);
    dax[j] = dah[j] = dan * hn * r * (T(1) - r);
    dax[H + j] = dah[H + j] = dht * (hprev[i] - nn) * z * (T(1) - z);
    dax[2 * H + j] = dan;
    dah[2 * H + j] = dan * r;
    dh[i] = dht * z;
  }
}

// The input projection of every step: c (M, N) = a (M, K) w^T + b, w (N, K).
template <typename T, typename Dev>
void ProjectParts(Dev &dev, int64_t M, int64_t N, int64_t K, const T *a, const T *w, const T *b, T *c) {
  dev.BiasRows(c, M, N, b);
  dev.Gemm(false, true, M, N, K, T(1), a, K, w, K, T(1), c, N);
}

// The steps of a direction in the order they run, s = 0 .. T - 1: step s is at time StepTime; the state before it
// is the one after time PrevTime (the initial state when s == 0).
MXC_RNN_HD inline int64_t StepTime(const Dims &m, int64_t d, int64_t s) { return d == 0 ? s : m.T - 1 - s; }
MXC_RNN_HD inline int64_t PrevTime(const Dims &m, int64_t d, int64_t s) { return d == 0 ? s - 1 : m.T - s; }

// One step of the forward: scratch (N, G*H) = hprev W_h^T + b_h (the recurrent part), then the gate math on g (the
// step's rows of the input projection).
template <typename T, typename Dev>
void ForwardStepParts(Dev &dev, const Dims &m, int64_t t, const T *wh, const T *bh, const T *hprev, const T *cprev,
                      T *g, T *scratch, T *h, T *extra) {
  const int64_t N = m.N, H = m.H, GH = m.GH();
  dev.BiasRows(scratch, N, GH, bh);
  dev.Gemm(false, true, N, GH, H, T(1), hprev, H, wh, H, T(1), scratch, GH);
  dev.StepForward(m, t, g, scratch, hprev, cprev, h, extra);
}

// The recurrence of one layer and direction d, every step in order (ForwardStepParts): h0/c0 (N, H) the initial
// states, gates (T, N, G*H) the input projection (in; out: the activated gates), hs (T, N, H) the states and extra
// (T, N, H) the cells (lstm) or W_hn h + b_hn (gru), or null.
template <typename T, typename Dev>
void RecurrenceParts(Dev &dev, const Dims &m, int64_t d, const T *wh, const T *bh, const T *h0, const T *c0, T *gates,
                     T *hs, T *extra, T *scratch) {
  const int64_t NH = m.N * m.H, NGH = m.N * m.GH();
  for (int64_t s = 0; s < m.T; ++s) {
    const int64_t t = StepTime(m, d, s), tp = PrevTime(m, d, s);
    const T *hprev = s == 0 ? h0 : hs + tp * NH;
    const T *cprev = m.mode != kLstm ? nullptr : s == 0 ? c0 : extra + tp * NH;
    ForwardStepParts(dev, m, t, wh, bh, hprev, cprev, gates + t * NGH, scratch, hs + t * NH,
                     extra ? extra + t * NH : nullptr);
  }
}

// A layer's direction d: the input projection of every step (ProjectParts: xin (T*N, in), wx (G*H, in), bx), the
// recurrence (RecurrenceParts), then the output (T, N) rows of `out` (row stride `stride`), zero past a sequence's
// length. A backend's ForwardDirection may do exactly this (the GPU's) or run it all per block of the batch's rows,
// each block on its own thread from the projection to the output (the CPU's).
template <typename T, typename Dev>
void ForwardDirectionParts(Dev &dev, const Dims &m, int64_t d, const T *xin, int64_t in, const T *wx, const T *bx,
                           const T *wh, const T *bh, const T *h0, const T *c0, T *gates, T *hs, T *extra, T *scratch,
                           T *out, int64_t stride) {
  ProjectParts(dev, m.T * m.N, m.GH(), in, xin, wx, bx, gates);
  RecurrenceParts(dev, m, d, wh, bh, h0, c0, gates, hs, extra, scratch);
  dev.WriteOutput(m, out, stride, hs);
}

// One step of the backward: the gates' gradients (StepBackward), then dh += dah W_h (the previous state's gradient
// through the recurrent product).
template <typename T, typename Dev>
void BackwardStepParts(Dev &dev, const Dims &m, int64_t t, const T *wh, const T *dy, int64_t stride, const T *g,
                       const T *hprev, const T *cprev, const T *extra, T *dh, T *dc, T *dax, T *dah) {
  const int64_t N = m.N, H = m.H, GH = m.GH();
  dev.StepBackward(m, t, dy, stride, g, nullptr, hprev, cprev, extra, dh, dc, dax, dah);
  dev.Gemm(false, false, N, H, GH, T(1), dah, GH, wh, H, T(1), dh, H);
}

// The backward through time of one layer and direction d, every step in reverse order (BackwardStepParts): dy the
// output's gradient of this direction (T, N, row stride `stride`); the forward's gates, hs, extra and h0/c0; dh/dc
// (N, H) the gradients of the last states (in), of the initial ones (out); dax/dah (T, N, G*H) the gates'
// gradients and hprevs (T, N, H) the state before each step (out; for the weights' gradients). Backends as for
// RecurrenceParts.
template <typename T, typename Dev>
void BackRecurrenceParts(Dev &dev, const Dims &m, int64_t d, const T *wh, const T *dy, int64_t stride, const T *gates,
                         const T *hs, const T *extra, const T *h0, const T *c0, T *dh, T *dc, T *dax, T *dah,
                         T *hprevs) {
  const int64_t NH = m.N * m.H, NGH = m.N * m.GH();
  for (int64_t s = m.T - 1; s >= 0; --s) {
    const int64_t t = StepTime(m, d, s), tp = PrevTime(m, d, s);
    const T *hprev = s == 0 ? h0 : hs + tp * NH;
    const T *cprev = m.mode != kLstm ? nullptr : s == 0 ? c0 : extra + tp * NH;
    dev.Copy(hprevs + t * NH, hprev, NH);
    BackwardStepParts(dev, m, t, wh, dy + t * m.N * stride, stride, gates + t * NGH, hprev, cprev,
                      extra ? extra + t * NH : nullptr, dh, dc, dax + t * NGH, dah + t * NGH);
  }
}

// Forward. x (T, N, I), w (NumParams), h0/c0 (L*D, N, H) (c0 lstm only), out (T, N, D*H), hy/cy (L*D, N, H) or
// null, reserve (ReserveSize), scratch (ForwardScratch). `train` turns dropout on.
template <typename T, typename Dev>
void Forward(Dev &dev, const Dims &m, bool train, const T *x, const T *w, const T *h0, const T *c0, T *out, T *hy,
             T *cy, T *reserve, T *scratch) {
  const int64_t N = m.N, H = m.H, GH = m.GH(), NH = N * H, DH = m.D * H;
  const bool lstm = m.mode == kLstm, gru = m.mode == kGru;
  for (int64_t l = 0; l < m.L; ++l) {
    const int64_t in = m.InSize(l);
    const T *xin = l == 0 ? x : reserve + m.NextInput(l - 1);
    T *lout = l == m.L - 1 ? out : reserve + m.NextInput(l);
    for (int64_t d = 0; d < m.D; ++d) {
      const int64_t k = l * m.D + d;
      T *hs = reserve + m.Hs(l, d), *gates = reserve + m.Gates(l, d), *extra = reserve + m.Extra(l, d);
      const T *wx = w + m.Wx(l, d), *wh = w + m.Wh(l, d), *bx = w + m.Bx(l, d), *bh = bx + GH;
      dev.ForwardDirection(m, d, xin, in, wx, bx, wh, bh, h0 + k * NH, lstm ? c0 + k * NH : nullptr, gates, hs,
                           lstm || gru ? extra : nullptr, scratch, lout + d * H, DH);
      const int64_t last = d == 0 ? m.T - 1 : 0;
      if (hy) dev.Copy(hy + k * NH, hs + last * NH, NH);
      if (cy && lstm) dev.Copy(cy + k * NH, extra + last * NH, NH);
    }
    if (l < m.L - 1 && m.p > 0) dev.Dropout(lout, reserve + m.Mask(l), m.T * N * DH, train ? m.p : 0.0);
  }
}

// Backward. dout (T, N, D*H); dhy/dcy (L*D, N, H) or null (zero); the forward's inputs and reserve; gradients with
// their requests (0 null, 1/2 write, 3 add; dx/dw/dh0/dc0 unused when null): dx (T, N, I), dw (NumParams),
// dh0/dc0 (L*D, N, H). scratch (BackwardScratch).
template <typename T, typename Dev>
void Backward(Dev &dev, const Dims &m, const T *dout, const T *dhy, const T *dcy, const T *x, const T *w,
              const T *h0, const T *c0, const T *reserve, T *dx, int dx_req, T *dw, int dw_req, T *dh0, int dh0_req,
              T *dc0, int dc0_req, T *scratch) {
  const int64_t N = m.N, H = m.H, GH = m.GH(), NH = N * H, DH = m.D * H, TN = m.T * N;
  const bool lstm = m.mode == kLstm, gru = m.mode == kGru;
  T *dax = scratch, *dah = dax + TN * GH, *hprevs = dah + TN * GH;
  T *dlin[2] = {hprevs + TN * H, hprevs + TN * H + TN * DH};
  T *dh = dlin[1] + TN * DH, *dc = dh + NH;
  if (!gru) dah = dax;  // the same gradient on both sides of the gates
  const T *dy = dout;   // gradient of the current layer's output (T, N, D*H)
  const bool wreq = dw && dw_req != 0;
  const T wbeta = dw_req == 3 ? T(1) : T(0);
  for (int64_t l = m.L - 1; l >= 0; --l) {
    const int64_t in = m.InSize(l);
    const T *xin = l == 0 ? x : reserve + m.NextInput(l - 1);
    // Where the input gradient goes: dx for layer 0, else the scratch that becomes the next dy.
    T *dxin = l == 0 ? (dx && dx_req != 0 ? dx : nullptr) : dlin[l % 2];
    for (int64_t d = 0; d < m.D; ++d) {
      const int64_t k = l * m.D + d;
      const T *hs = reserve + m.Hs(l, d), *gates = reserve + m.Gates(l, d), *extra = reserve + m.Extra(l, d);
      const T *wx = w + m.Wx(l, d), *wh = w + m.Wh(l, d);
      if (dhy) dev.Copy(dh, dhy + k * NH, NH);
      else dev.Zero(dh, NH);
      if (lstm) {
        if (dcy) dev.Copy(dc, dcy + k * NH, NH);
        else dev.Zero(dc, NH);
      }
      dev.BackRecurrence(m, d, wh, dy + d * H, DH, gates, hs, lstm || gru ? extra : nullptr, h0 + k * NH,
                         lstm ? c0 + k * NH : nullptr, dh, dc, dax, dah, hprevs);
      if (dh0 && dh0_req != 0) dev.Assign(dh0 + k * NH, dh0_req, dh, NH);
      if (lstm && dc0 && dc0_req != 0) dev.Assign(dc0 + k * NH, dc0_req, dc, NH);
      if (wreq) {
        T *dwx = dw + m.Wx(l, d), *dwh = dw + m.Wh(l, d), *dbx = dw + m.Bx(l, d);
        dev.Gemm(true, false, GH, in, TN, T(1), dax, GH, xin, in, wbeta, dwx, in);
        dev.Gemm(true, false, GH, H, TN, T(1), dah, GH, hprevs, H, wbeta, dwh, H);
        dev.ColSum(dbx, dw_req, dax, TN, GH);
        dev.ColSum(dbx + GH, dw_req, dah, TN, GH);
      }
      if (dxin) {
        const T beta = d > 0 || (l == 0 && dx_req == 3) ? T(1) : T(0);
        dev.Gemm(false, false, TN, in, GH, T(1), dax, GH, wx, in, beta, dxin, in);
      }
    }
    if (l > 0) {
      if (m.p > 0) dev.Mul(dxin, dxin, reserve + m.Mask(l - 1), TN * DH);
      dy = dxin;
    }
  }
}

}  // namespace rnn
}  // namespace op
}  // namespace mxc
