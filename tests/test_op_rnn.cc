// The fused RNN operator: forward against a direct double-precision loop over layers, directions and steps (every
// mode, uni- and bidirectional, two layers, the final states, sequence lengths, LSTM clipping), gradients against
// finite differences, and the errors.
#include <cmath>

#include "test_op_nn_util.h"

using namespace mxct;
using mxc::kFloat32;
using mxc::kFloat64;

namespace {

struct Cfg {
  std::string mode;
  int T = 3, N = 2, I = 3, H = 4, L = 2, D = 1;
  std::vector<double> lens;  // empty: no sequence_length
  double clip_min = 0, clip_max = 0;
  bool clip = false;
  int G() const { return mode == "lstm" ? 4 : mode == "gru" ? 3 : 1; }
  int In(int l) const { return l == 0 ? I : D * H; }
  int NumParams() const {
    int n = 0;
    for (int l = 0; l < L; ++l) n += D * (G() * H * (In(l) + H) + 2 * G() * H);
    return n;
  }
  Params Op(bool state_outputs = true) const {
    Params p{{"mode", mode}, {"state_size", std::to_string(H)}, {"num_layers", std::to_string(L)},
             {"bidirectional", D == 2 ? "True" : "False"}, {"state_outputs", state_outputs ? "True" : "False"}};
    if (!lens.empty()) p.push_back({"use_sequence_length", "True"});
    if (clip) {
      p.push_back({"lstm_state_clip_min", std::to_string(clip_min)});
      p.push_back({"lstm_state_clip_max", std::to_string(clip_max)});
    }
    return p;
  }
  std::vector<mxc::TShape> Shapes() const {
    std::vector<mxc::TShape> s{{T, N, I}, {NumParams()}, {L * D, N, H}};
    if (mode == "lstm") s.push_back({L * D, N, H});
    if (!lens.empty()) s.push_back({N});
    return s;
  }
};

double Sig(double x) { return 1 / (1 + std::exp(-x)); }

// The reference: returns out (T, N, D*H), hy, cy (L*D, N, H). Parameters as MXNet lays them out: all weights (per
// layer, per direction: i2h (G*H, in), h2h (G*H, H)), then all biases in the same order (i2h, h2h).
struct Ref {
  std::vector<double> out, hy, cy;
};
Ref Reference(const Cfg &c, const std::vector<double> &x, const std::vector<double> &w, const std::vector<double> &h0,
              const std::vector<double> &c0) {
  const int G = c.G(), H = c.H, N = c.N, T = c.T;
  int off = 0;
  std::vector<int> wx(c.L * c.D), wh(c.L * c.D), bx(c.L * c.D), bh(c.L * c.D);
  for (int l = 0; l < c.L; ++l)
    for (int d = 0; d < c.D; ++d) {
      wx[l * c.D + d] = off, off += G * H * c.In(l);
      wh[l * c.D + d] = off, off += G * H * H;
    }
  for (int k = 0; k < c.L * c.D; ++k) bx[k] = off, off += G * H, bh[k] = off, off += G * H;
  Ref r;
  r.hy.assign(c.L * c.D * N * H, 0);
  r.cy = r.hy;
  std::vector<double> in = x;
  for (int l = 0; l < c.L; ++l) {
    const int I = c.In(l);
    std::vector<double> lo(T * N * c.D * H, 0);
    for (int d = 0; d < c.D; ++d) {
      const int k = l * c.D + d;
      for (int n = 0; n < N; ++n) {
        const int len = c.lens.empty() ? T : static_cast<int>(c.lens[n]);
        std::vector<double> h(h0.begin() + (k * N + n) * H, h0.begin() + (k * N + n + 1) * H), cell(H, 0);
        if (c.mode == "lstm") cell.assign(c0.begin() + (k * N + n) * H, c0.begin() + (k * N + n + 1) * H);
        for (int s = 0; s < T; ++s) {
          const int t = d == 0 ? s : T - 1 - s;
          if (t >= len) continue;
          std::vector<double> a(G * H), b(G * H);  // x and h projections with their biases
          for (int q = 0; q < G * H; ++q) {
            a[q] = w[bx[k] + q];
            b[q] = w[bh[k] + q];
            for (int i = 0; i < I; ++i) a[q] += w[wx[k] + q * I + i] * in[(t * N + n) * I + i];
            for (int j = 0; j < H; ++j) b[q] += w[wh[k] + q * H + j] * h[j];
          }
          std::vector<double> nh(H);
          for (int j = 0; j < H; ++j) {
            if (c.mode == "rnn_relu") nh[j] = std::max(a[j] + b[j], 0.0);
            if (c.mode == "rnn_tanh") nh[j] = std::tanh(a[j] + b[j]);
            if (c.mode == "lstm") {
              const double g = std::tanh(a[2 * H + j] + b[2 * H + j]);
              double cc = Sig(a[H + j] + b[H + j]) * cell[j] + Sig(a[j] + b[j]) * g;
              if (c.clip) cc = std::min(std::max(cc, c.clip_min), c.clip_max);
              cell[j] = cc;
              nh[j] = Sig(a[3 * H + j] + b[3 * H + j]) * std::tanh(cc);
            }
            if (c.mode == "gru") {
              const double rg = Sig(a[j] + b[j]), z = Sig(a[H + j] + b[H + j]);
              const double ng = std::tanh(a[2 * H + j] + rg * b[2 * H + j]);
              nh[j] = (1 - z) * ng + z * h[j];
            }
          }
          h = nh;
          for (int j = 0; j < H; ++j) lo[(t * N + n) * c.D * H + d * H + j] = h[j];
        }
        for (int j = 0; j < H; ++j) r.hy[(k * N + n) * H + j] = h[j], r.cy[(k * N + n) * H + j] = cell[j];
      }
    }
    in = lo;
  }
  r.out = in;
  return r;
}

std::vector<NDArray> Inputs(const Cfg &c, int dtype, uint64_t seed) {
  std::vector<NDArray> ins;
  const auto shapes = c.Shapes();
  for (size_t i = 0; i < shapes.size(); ++i) {
    if (!c.lens.empty() && i + 1 == shapes.size()) ins.push_back(FromVec(shapes[i], c.lens, dtype));
    else ins.push_back(Random(shapes[i], i == 1 ? -0.6 : -1.0, i == 1 ? 0.6 : 1.0, dtype, seed + i));
  }
  return ins;
}

void CheckForward(const Cfg &c, int dtype) {
  SCOPED_TRACE(c.mode + " D=" + std::to_string(c.D) + " dtype=" + std::to_string(dtype));
  const auto ins = Inputs(c, dtype, 7);
  const auto outs = mxct::Run("RNN", ins, c.Op(true));
  const bool lstm = c.mode == "lstm";
  ASSERT_EQ(outs.size(), lstm ? 3u : 2u);
  EXPECT_EQ(outs[0].shape(), (mxc::TShape{c.T, c.N, c.D * c.H}));
  EXPECT_EQ(outs[1].shape(), (mxc::TShape{c.L * c.D, c.N, c.H}));
  const Ref r = Reference(c, ToVec(ins[0]), ToVec(ins[1]), ToVec(ins[2]), lstm ? ToVec(ins[3]) : std::vector<double>{});
  ExpectNear(ToVec(outs[0]), r.out, Rtol(dtype), Atol(dtype), "out");
  ExpectNear(ToVec(outs[1]), r.hy, Rtol(dtype), Atol(dtype), "hy");
  if (lstm) ExpectNear(ToVec(outs[2]), r.cy, Rtol(dtype), Atol(dtype), "cy");
  // Without state_outputs: the output alone, the same values.
  const auto only = mxct::Run("RNN", ins, c.Op(false));
  ASSERT_EQ(only.size(), 1u);
  ExpectNear(ToVec(only[0]), r.out, Rtol(dtype), Atol(dtype), "out without state_outputs");
}

const char *kModes[] = {"rnn_relu", "rnn_tanh", "lstm", "gru"};

TEST(RNN, ForwardMatchesReferenceLoop) {
  for (const char *mode : kModes)
    for (int D : {1, 2})
      for (int dtype : {kFloat32, kFloat64}) {
        Cfg c;
        c.mode = mode;
        c.D = D;
        CheckForward(c, dtype);
      }
}

TEST(RNN, OneLayerAndOneStep) {
  for (const char *mode : kModes) {
    Cfg c;
    c.mode = mode, c.L = 1, c.T = 1, c.N = 3, c.D = 2;
    CheckForward(c, kFloat64);
  }
}

TEST(RNN, SequenceLengthKeepsStatesAndZeroesOutputs) {
  for (const char *mode : kModes)
    for (int D : {1, 2}) {
      Cfg c;
      c.mode = mode, c.D = D, c.T = 4, c.N = 3;
      c.lens = {4, 2, 0};
      CheckForward(c, kFloat64);
    }
  Cfg c;
  c.mode = "gru", c.lens = {4, 1};
  ExpectErrorContains([&] { mxct::Run("RNN", Inputs(c, kFloat32, 1), c.Op()); },
                      {"operator RNN", "sequence_length[0] = 4", "outside [0, 3]"});
}

TEST(RNN, LstmStateClip) {
  Cfg c;
  c.mode = "lstm", c.D = 2, c.clip = true, c.clip_min = -0.2, c.clip_max = 0.25;
  CheckForward(c, kFloat64);
  const auto outs = mxct::Run("RNN", Inputs(c, kFloat64, 7), c.Op());
  for (double v : ToVec(outs[2])) EXPECT_TRUE(v >= -0.2 && v <= 0.25) << v;
}

TEST(RNN, Gradients) {
  for (const char *mode : kModes)
    for (int D : {1, 2}) {
      SCOPED_TRACE(std::string(mode) + " D=" + std::to_string(D));
      Cfg c;
      c.mode = mode, c.D = D, c.H = 2, c.I = 2;
      GradCase g{"RNN", c.Op(true), c.Shapes()};
      g.rtol = 1e-4, g.atol = 1e-6;
      CheckGradient(g);
    }
}

TEST(RNN, GradientsWithSequenceLengthAndDropout) {
  for (const char *mode : {"lstm", "gru", "rnn_tanh"}) {
    SCOPED_TRACE(mode);
    Cfg c;
    c.mode = mode, c.D = 2, c.H = 2, c.I = 2, c.N = 3, c.T = 4;
    c.lens = {4, 2, 3};
    GradCase g{"RNN", c.Op(true), c.Shapes()};
    g.no_grad = {static_cast<int>(c.Shapes().size()) - 1};
    g.fill = [&](std::vector<NDArray> &ins) { ins.back() = FromVec({3}, c.lens); };
    CheckGradient(g);
    // Dropout between the layers (training): the mask kept by the forward is applied in the backward.
    Cfg cd = c;
    cd.lens.clear();
    GradCase gd{"RNN", cd.Op(true), cd.Shapes()};
    gd.params.push_back({"p", "0.4"});
    gd.is_train = true;
    CheckGradient(gd);
  }
}

TEST(RNN, DropoutOnlyInTraining) {
  Cfg c;
  c.mode = "lstm", c.T = 5, c.N = 4, c.H = 6;
  auto params = c.Op(false);
  params.push_back({"p", "0.5"});
  const auto ins = Inputs(c, kFloat64, 3);
  const Ref r = Reference(c, ToVec(ins[0]), ToVec(ins[1]), ToVec(ins[2]), ToVec(ins[3]));
  ExpectNear(ToVec(mxct::Run("RNN", ins, params, false)[0]), r.out, 1e-10, 1e-12, "inference ignores p");
  const auto train = ForwardAllOutputs("RNN", ins, params, true);
  EXPECT_GT(std::abs(ToVec(train[0])[0] - r.out[0]) + std::abs(ToVec(train[0]).back() - r.out.back()), 0.0);
  // The hidden reserve holds the mask between the layers: zeros and 1 / (1 - p) = 2 only.
  const auto reserve = ToVec(train.back());
  const size_t mask_size = c.T * c.N * c.H;
  int zeros = 0;
  for (size_t i = reserve.size() - mask_size; i < reserve.size(); ++i) {
    EXPECT_TRUE(reserve[i] == 0 || reserve[i] == 2) << reserve[i];
    zeros += reserve[i] == 0;
  }
  EXPECT_GT(zeros, 0);
  EXPECT_LT(zeros, static_cast<int>(mask_size));
}

TEST(RNN, ShapeInference) {
  // MXNet 1.9.1: a 2-layer bidirectional LSTM on data (3, 2, 4) with state_size 5 takes 1120 parameters.
  Cfg c;
  c.mode = "lstm", c.D = 2, c.I = 4, c.H = 5;
  const mxc::Op *op = FindOp("RNN");
  mxc::OpParams p(op, c.Op(true));
  std::vector<mxc::TShape> in{{3, 2, 4}, {}, {}, {}}, out(op->NumOutputs(p));
  op->infer_shape(p, &in, &out);
  EXPECT_EQ(in[1], (mxc::TShape{1120}));
  EXPECT_EQ(in[2], (mxc::TShape{4, 2, 5}));
  EXPECT_EQ(in[3], (mxc::TShape{4, 2, 5}));
  EXPECT_EQ(out[0], (mxc::TShape{3, 2, 10}));
  EXPECT_EQ(out[2], (mxc::TShape{4, 2, 5}));
  EXPECT_EQ(op->OutputNames(p), (std::vector<std::string>{"output", "state_output", "statecell_output"}));
  // A one-layer GRU on (3, 2, 4), state_size 5: 165 parameters; inputs without state_cell.
  mxc::OpParams pg(op, {{"mode", "gru"}, {"state_size", "5"}, {"num_layers", "1"}});
  EXPECT_EQ(op->InputNames(pg), (std::vector<std::string>{"data", "parameters", "state"}));
  std::vector<mxc::TShape> ig{{3, 2, 4}, {}, {}}, og(op->NumOutputs(pg));
  op->infer_shape(pg, &ig, &og);
  EXPECT_EQ(ig[1], (mxc::TShape{165}));
}

TEST(RNN, Errors) {
  const Params lstm{{"mode", "lstm"}, {"state_size", "5"}, {"num_layers", "1"}};
  auto x = Random({3, 2, 4}, -1, 1), h = Random({1, 2, 5}, -1, 1);
  ExpectErrorContains([&] { mxct::Run("RNN", {x, Random({7}, -1, 1), h, h}, lstm); },
                      {"operator RNN", "'parameters'", "expected (220,)", "got (7,)"});
  ExpectErrorContains([&] { mxct::Run("RNN", {x, Random({220}, -1, 1), Random({2, 2, 5}, -1, 1), h}, lstm); },
                      {"operator RNN", "'state'", "expected (1,2,5)", "got (2,2,5)"});
  ExpectErrorContains([&] { mxct::Run("RNN", {x, Random({220}, -1, 1), h, Random({1, 3, 5}, -1, 1)}, lstm); },
                      {"operator RNN", "'state_cell'", "expected (1,2,5)", "got (1,3,5)"});
  ExpectErrorContains([&] { mxct::Run("RNN", {Random({3, 4}, -1, 1), Random({220}, -1, 1), h, h}, lstm); },
                      {"operator RNN", "'data'", "rank-3", "(3,4)"});
  ExpectErrorContains([&] { mxct::Run("RNN", {x, Random({220}, -1, 1), h, h}, {{"mode", "foo"}, {"state_size", "5"},
                                                                       {"num_layers", "1"}}); },
                      {"RNN", "mode", "foo"});
  Params proj = lstm;
  proj.push_back({"projection_size", "3"});
  ExpectErrorContains([&] { mxct::Run("RNN", {x, Random({220}, -1, 1), h, h}, proj); },
                      {"operator RNN", "projection_size=3", "not supported"});
  Params clip = lstm;
  clip.push_back({"lstm_state_clip_min", "-1"});
  ExpectErrorContains([&] { mxct::Run("RNN", {x, Random({220}, -1, 1), h, h}, clip); },
                      {"operator RNN", "lstm_state_clip_min and lstm_state_clip_max"});
  ExpectErrorContains([&] { mxct::Run("RNN", {Random({0, 2, 4}, -1, 1), Random({220}, -1, 1), h, h}, lstm); },
                      {"operator RNN", "cannot infer", "data=(0,2,4)"});  // a 0 reads as not known yet
  ExpectErrorContains([&] { mxct::Run("RNN", {x, Random({220}, -1, 1), h, h}, {{"mode", "lstm"}, {"state_size", "0"},
                                                                       {"num_layers", "1"}}); },
                      {"operator RNN", "state_size must be positive"});
}

}  // namespace
