// smooth_l1, SequenceMask, SequenceReverse, SequenceLast and UpSampling (nearest): forward and gradient values
// against hand-computed references and values MXNet 1.9.1 printed, inference and its errors, gradients against
// finite differences.
#include <cmath>
#include <string>
#include <vector>

#include "test_op_nn_util.h"

using namespace mxct;
using mxc::kFloat32;
using mxc::kFloat64;
using mxc::kInt32;

namespace {

const Params kUp2 = {{"scale", "2"}, {"sample_type", "nearest"}, {"num_args", "1"}};

std::vector<double> Arange(int n, double start = 0) {
  std::vector<double> v(n);
  for (int i = 0; i < n; ++i) v[i] = start + i;
  return v;
}

// ---------------------------------------------------------------------------------------------------------------
// smooth_l1
// ---------------------------------------------------------------------------------------------------------------
const std::vector<double> kSL1X = {-3, -1.5, -1.0, -0.99, -0.5, 0, 0.25, 0.5, 1.0, 1.01, 2.0, 3.5};

double SmoothL1Ref(double x, double sigma) {
  const double s2 = sigma * sigma;
  return std::fabs(x) < 1 / s2 ? 0.5 * s2 * x * x : std::fabs(x) - 0.5 / s2;
}

TEST(SmoothL1, MatchesReference) {
  for (int dt : {kFloat32, kFloat64})
    for (double sigma : {1.0, 2.0, 0.5, 3.0}) {
      auto xs = RandVec(40, -3, 3, 5);
      auto y = mxct::Run("smooth_l1", {FromVec({5, 8}, xs, dt)}, {{"scalar", std::to_string(sigma)}});
      std::vector<double> ref;
      for (double x : xs) ref.push_back(SmoothL1Ref(x, sigma));
      ExpectNear(ToVec(y[0]), ref, Rtol(dt), Atol(dt));
      EXPECT_EQ(y[0].dtype(), dt);
    }
}

// mx.nd.smooth_l1(x, scalar=s) and its gradient (head of ones) as MXNet 1.9.1 printed them.
TEST(SmoothL1, MatchesMXNet) {
  auto x = FromVec({12}, kSL1X);
  struct R { const char *s; std::vector<double> y, g; };
  const R rs[] = {
      {"1", {2.5, 1.0, 0.5, 0.4900500178337097, 0.125, 0.0, 0.03125, 0.125, 0.5, 0.5099999904632568, 1.5, 3.0},
       {-1.0, -1.0, -1.0, -0.9900000095367432, -0.5, 0.0, 0.25, 0.5, 1.0, 1.0, 1.0, 1.0}},
      {"2", {2.875, 1.375, 0.875, 0.8650000095367432, 0.375, 0.0, 0.125, 0.375, 0.875, 0.8849999904632568, 1.875, 3.375},
       {-1.0, -1.0, -1.0, -1.0, -1.0, 0.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0}},
      {"0.5", {1.125, 0.28125, 0.125, 0.12251250445842743, 0.03125, 0.0, 0.0078125, 0.03125, 0.125,
               0.12751249969005585, 0.5, 1.53125},
       {-0.75, -0.375, -0.25, -0.2475000023841858, -0.125, 0.0, 0.0625, 0.125, 0.25, 0.2524999976158142, 0.5,
        0.875}},
  };
  for (const auto &r : rs) {
    SCOPED_TRACE(r.s);
    auto fb = ForwardBackward("smooth_l1", {x}, {{"scalar", r.s}}, {FromVec({12}, std::vector<double>(12, 1.0))},
                              false);
    ExpectNear(ToVec(fb.outputs[0]), r.y, 1e-6, 1e-7, "output");
    ExpectNear(ToVec(fb.grads[0]), r.g, 1e-6, 1e-7, "gradient");
  }
  // The default scalar is 1; scalar 0 gives zeros; a negative scalar acts as its absolute value.
  ExpectNear(ToVec(mxct::Run("smooth_l1", {x})[0]), rs[0].y, 1e-6, 1e-7, "default");
  ExpectNear(ToVec(mxct::Run("smooth_l1", {x}, {{"scalar", "0"}})[0]), std::vector<double>(12, 0.0), 0, 0, "scalar 0");
  ExpectNear(ToVec(mxct::Run("smooth_l1", {x}, {{"scalar", "-1"}})[0]), rs[0].y, 1e-6, 1e-7, "scalar -1");
}

// Integer arrays: the scalar converted to the dtype first (0.5 -> 0: zeros), the value computed then truncated.
TEST(SmoothL1, IntegerArraysAsMXNet) {
  auto x = FromVec({6}, {-3, -1, 0, 1, 2, 5}, kInt32);
  auto y = mxct::Run("smooth_l1", {x}, {{"scalar", "2"}});
  EXPECT_EQ(y[0].dtype(), kInt32);
  ExpectNear(ToVec(y[0]), {2, 0, 0, 0, 1, 4}, 0, 0);
  ExpectNear(ToVec(mxct::Run("smooth_l1", {x}, {{"scalar", "0.5"}})[0]), {0, 0, 0, 0, 0, 0}, 0, 0);
  ExpectNear(ToVec(mxct::Run("smooth_l1", {FromVec({3}, {-2, 0, 3}, kInt32)})[0]), {1, 0, 2}, 0, 0);
}

TEST(SmoothL1, Gradient) {
  for (const char *s : {"1", "2", "0.7"}) CheckGradient({"smooth_l1", {{"scalar", s}}, {{3, 4}}, -2, 2});
}

// ---------------------------------------------------------------------------------------------------------------
// SequenceMask
// ---------------------------------------------------------------------------------------------------------------
// Reference: data (T, N, rest) or (N, T, rest) with axis 1.
std::vector<double> SeqMaskRef(const std::vector<double> &x, int T, int N, int rest, int axis,
                               const std::vector<double> &len, double value) {
  std::vector<double> y = x;
  for (int t = 0; t < T; ++t)
    for (int b = 0; b < N; ++b)
      for (int k = 0; k < rest; ++k) {
        const int i = (axis == 0 ? t * N + b : b * T + t) * rest + k;
        if (t >= static_cast<long>(std::trunc(len[b]))) y[i] = value;
      }
  return y;
}

TEST(SequenceMask, MatchesReference) {
  for (int dt : {kFloat32, kFloat64})
    for (int axis : {0, 1}) {
      const int T = 5, N = 3, rest = 4;
      auto xs = RandVec(T * N * rest, -2, 2, 9);
      const std::vector<double> len = {2, 0, 5.5};
      TShape shape = axis == 0 ? TShape{T, N, 2, 2} : TShape{N, T, 2, 2};
      auto y = mxct::Run("SequenceMask", {FromVec(shape, xs, dt), FromVec({N}, len, dt)},
                         {{"use_sequence_length", "true"}, {"value", "-7"}, {"axis", std::to_string(axis)}});
      ExpectNear(ToVec(y[0]), SeqMaskRef(xs, T, N, rest, axis, len, -7), Rtol(dt), Atol(dt));
      EXPECT_EQ(y[0].shape(), shape);
    }
}

// The values MXNet 1.9.1 printed for x = arange(24).reshape(4, 2, 3) (axis 0) and arange(24).reshape(2, 4, 3)
// (axis 1), with the gradient for the head gradient arange(1, 25).
TEST(SequenceMask, MatchesMXNet) {
  auto x = FromVec({4, 2, 3}, Arange(24));
  auto head = FromVec({4, 2, 3}, Arange(24, 1));
  auto fb = ForwardBackward("SequenceMask", {x, FromVec({2}, {1, 3})}, {{"use_sequence_length", "true"}}, {head},
                            false);
  ExpectNear(ToVec(fb.outputs[0]), {0, 1, 2, 3, 4, 5, 0, 0, 0, 9, 10, 11, 0, 0, 0, 15, 16, 17, 0, 0, 0, 0, 0, 0}, 0, 0);
  ExpectNear(ToVec(fb.grads[0]), {1, 2, 3, 4, 5, 6, 0, 0, 0, 10, 11, 12, 0, 0, 0, 16, 17, 18, 0, 0, 0, 0, 0, 0}, 0, 0);
  ExpectNear(ToVec(fb.grads[1]), {0, 0}, 0, 0, "sequence_length gets zeros");

  auto y = mxct::Run("SequenceMask", {x, FromVec({2}, {2, 0})}, {{"use_sequence_length", "true"}, {"value", "-1.5"}});
  ExpectNear(ToVec(y[0]), {0,    1,    2,    -1.5, -1.5, -1.5, 6,    7,    8,    -1.5, -1.5, -1.5,
                           -1.5, -1.5, -1.5, -1.5, -1.5, -1.5, -1.5, -1.5, -1.5, -1.5, -1.5, -1.5},
             0, 0);

  auto xb = FromVec({2, 4, 3}, Arange(24));
  auto fb1 = ForwardBackward("SequenceMask", {xb, FromVec({2}, {1, 3})},
                             {{"use_sequence_length", "true"}, {"axis", "1"}}, {FromVec({2, 4, 3}, Arange(24, 1))},
                             false);
  ExpectNear(ToVec(fb1.outputs[0]), {0, 1, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 12, 13, 14, 15, 16, 17, 18, 19, 20, 0, 0, 0},
             0, 0);
  ExpectNear(ToVec(fb1.grads[0]), {1, 2, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 13, 14, 15, 16, 17, 18, 19, 20, 21, 0, 0, 0},
             0, 0);

  // Lengths are truncated (1.5 -> 1, 2.7 -> 2); -1 masks everything, 7 (> T) nothing.
  ExpectNear(ToVec(mxct::Run("SequenceMask", {x, FromVec({2}, {1.5, 2.7})}, {{"use_sequence_length", "1"}})[0]),
             {0, 1, 2, 3, 4, 5, 0, 0, 0, 9, 10, 11, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}, 0, 0);
  ExpectNear(ToVec(mxct::Run("SequenceMask", {x, FromVec({2}, {-1, 7})}, {{"use_sequence_length", "1"}})[0]),
             {0, 0, 0, 3, 4, 5, 0, 0, 0, 9, 10, 11, 0, 0, 0, 15, 16, 17, 0, 0, 0, 21, 22, 23}, 0, 0);
  // 2-D data, and 4-D data with axis 1.
  ExpectNear(ToVec(mxct::Run("SequenceMask", {FromVec({4, 2}, Arange(8)), FromVec({2}, {1, 3})},
                             {{"use_sequence_length", "1"}})[0]),
             {0, 1, 0, 3, 0, 5, 0, 0}, 0, 0);
  ExpectNear(ToVec(mxct::Run("SequenceMask", {FromVec({2, 3, 2, 2}, Arange(24)), FromVec({2}, {1, 2})},
                             {{"use_sequence_length", "1"}, {"axis", "1"}})[0]),
             {0, 1, 2, 3, 0, 0, 0, 0, 0, 0, 0, 0, 12, 13, 14, 15, 16, 17, 18, 19, 0, 0, 0, 0}, 0, 0);
  // int32 data: the value converted (2.7 -> 2).
  ExpectNear(ToVec(mxct::Run("SequenceMask", {FromVec({4, 2, 3}, Arange(24), kInt32), FromVec({2}, {1, 2})},
                             {{"use_sequence_length", "1"}, {"value", "2.7"}})[0]),
             {0, 1, 2, 3, 4, 5, 2, 2, 2, 9, 10, 11, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2}, 0, 0);
}

TEST(SequenceMask, WithoutLengthsIsTheIdentityWithOneInput) {
  const mxc::Op *op = FindOp("SequenceMask");
  EXPECT_EQ(op->InputNames(mxc::OpParams(op, {})), (std::vector<std::string>{"data"}));
  EXPECT_EQ(op->InputNames(mxc::OpParams(op, {{"use_sequence_length", "true"}})),
            (std::vector<std::string>{"data", "sequence_length"}));
  auto xs = RandVec(24, -1, 1, 3);
  auto y = mxct::Run("SequenceMask", {FromVec({4, 2, 3}, xs)}, {{"value", "5"}});
  ExpectNear(ToVec(y[0]), xs, 1e-7, 1e-7);
}

TEST(SequenceMask, InfersShapesAndTypes) {
  const mxc::Op *op = FindOp("SequenceMask");
  for (int axis : {0, 1}) {
    mxc::OpParams p(op, {{"use_sequence_length", "true"}, {"axis", std::to_string(axis)}});
    std::vector<TShape> in = {TShape{4, 2, 3}, TShape()}, out(1);
    op->infer_shape(p, &in, &out);
    EXPECT_EQ(in[1], (TShape{axis == 0 ? 2 : 4}));
    EXPECT_EQ(out[0], (TShape{4, 2, 3}));
  }
  mxc::OpParams p(op, {{"use_sequence_length", "true"}});
  std::vector<int> it = {kFloat64, -1}, ot = {-1};
  op->infer_type(p, &it, &ot);
  EXPECT_EQ(it[1], kFloat64);
  EXPECT_EQ(ot[0], kFloat64);
  it = {kFloat32, kInt32};
  ot = {-1};
  op->infer_type(p, &it, &ot);
  EXPECT_EQ(it[1], kInt32);
  EXPECT_EQ(ot[0], kFloat32);
  // int32 lengths work (MXNet 1.9.1 crashes on them).
  ExpectNear(ToVec(mxct::Run("SequenceMask", {FromVec({3, 2}, Arange(6)), FromVec({2}, {1, 2}, kInt32)},
                             {{"use_sequence_length", "1"}})[0]),
             {0, 1, 0, 3, 0, 0}, 0, 0);
}

TEST(SequenceMask, Errors) {
  auto x = Random({4, 2, 3}, -1, 1);
  ExpectErrorContains(
      [&] { mxct::Run("SequenceMask", {x, Random({3}, 1, 2)}, {{"use_sequence_length", "1"}}); },
      {"SequenceMask", "sequence_length", "(3,)", "(2,)"});
  ExpectErrorContains(
      [&] { mxct::Run("SequenceMask", {x, Random({1, 2}, 1, 2)}, {{"use_sequence_length", "1"}}); },
      {"SequenceMask", "sequence_length", "(1,2)", "(2,)"});
  ExpectErrorContains(
      [&] { mxct::Run("SequenceMask", {x, Random({2}, 1, 2)}, {{"use_sequence_length", "1"}, {"axis", "1"}}); },
      {"SequenceMask", "sequence_length", "(2,)", "(4,)"});
  for (const char *a : {"2", "-1"})
    ExpectErrorContains(
        [&] { mxct::Run("SequenceMask", {x, Random({2}, 1, 2)}, {{"use_sequence_length", "1"}, {"axis", a}}); },
        {"SequenceMask", "axis", a});
  ExpectErrorContains([&] { mxct::Run("SequenceMask", {Random({3}, -1, 1)}); }, {"SequenceMask", "data", "(3,)"});
  ExpectErrorContains([&] { mxct::Run("SequenceMask", {x}, {{"use_sequence_length", "1"}}); }, {"SequenceMask"});
}

TEST(SequenceMask, Gradient) {
  for (int axis : {0, 1}) {
    GradCase c{"SequenceMask", {{"use_sequence_length", "true"}, {"value", "0.5"}, {"axis", std::to_string(axis)}},
               {{4, 3, 2}, {axis == 0 ? 3 : 4}}};
    c.no_grad = {1};
    c.fill = [](std::vector<NDArray> &in) {
      std::vector<double> l = {0, 2, 4, 3};
      l.resize(in[1].Size());
      in[1] = FromVec(in[1].shape(), l, in[1].dtype());
    };
    CheckGradient(c);
  }
  CheckGradient({"SequenceMask", {}, {{3, 2, 2}}});
}

// ---------------------------------------------------------------------------------------------------------------
// SequenceReverse and SequenceLast
// ---------------------------------------------------------------------------------------------------------------
// Length of sequence b as the operators take it: truncated, then clamped to [lo, T] (all of T without lengths).
long RefLen(const std::vector<double> &len, int b, long lo, long T) {
  if (len.empty()) return T;
  return std::max(lo, std::min(static_cast<long>(std::trunc(len[b])), T));
}
int SeqIndex(int t, int b, int k, int T, int N, int rest, int axis) {
  return (axis == 0 ? t * N + b : b * T + t) * rest + k;
}
std::vector<double> SeqReverseRef(const std::vector<double> &x, int T, int N, int rest, int axis,
                                  const std::vector<double> &len) {
  std::vector<double> y(x.size());
  for (int t = 0; t < T; ++t)
    for (int b = 0; b < N; ++b) {
      const long n = RefLen(len, b, 0, T), st = t < n ? n - 1 - t : t;
      for (int k = 0; k < rest; ++k)
        y[SeqIndex(t, b, k, T, N, rest, axis)] = x[SeqIndex(static_cast<int>(st), b, k, T, N, rest, axis)];
    }
  return y;
}
std::vector<double> SeqLastRef(const std::vector<double> &x, int T, int N, int rest, int axis,
                               const std::vector<double> &len) {
  std::vector<double> y;
  for (int b = 0; b < N; ++b)
    for (int k = 0; k < rest; ++k)
      y.push_back(x[SeqIndex(static_cast<int>(RefLen(len, b, 1, T) - 1), b, k, T, N, rest, axis)]);
  return y;
}

TEST(SequenceReverseLast, MatchReference) {
  const int T = 5, N = 4, rest = 6;
  // Lengths truncated (2.9 -> 2) and clamped (-3 -> 0 or 1, 9 -> T).
  const std::vector<double> len = {2.9, -3, 9, 4};
  for (int dt : {kFloat32, kFloat64, kInt32})
    for (int axis : {0, 1})
      for (bool with_len : {true, false}) {
        SCOPED_TRACE(std::to_string(dt) + " axis " + std::to_string(axis) + (with_len ? " lengths" : ""));
        auto xs = dt == kInt32 ? Arange(T * N * rest) : RandVec(T * N * rest, -2, 2, 11);
        TShape shape = axis == 0 ? TShape{T, N, 2, 3} : TShape{N, T, 2, 3};
        std::vector<NDArray> in = {FromVec(shape, xs, dt)};
        xs = ToVec(in[0]);  // as stored in dt
        Params ps = {{"axis", std::to_string(axis)}};
        if (with_len) {
          in.push_back(FromVec({N}, len, kFloat32));
          ps.push_back({"use_sequence_length", "true"});
        }
        const std::vector<double> l = with_len ? len : std::vector<double>{};
        auto r = mxct::Run("SequenceReverse", in, ps)[0];
        EXPECT_EQ(r.shape(), shape);
        ExpectNear(ToVec(r), SeqReverseRef(xs, T, N, rest, axis, l), 0, 0);
        auto last = mxct::Run("SequenceLast", in, ps)[0];
        EXPECT_EQ(last.shape(), (TShape{N, 2, 3}));
        EXPECT_EQ(last.dtype(), dt);
        ExpectNear(ToVec(last), SeqLastRef(xs, T, N, rest, axis, l), 0, 0);
      }
}

// MXNet 1.9.1 for x = arange(12).reshape(3, 2, 2), lengths (2, 3): forward, and the gradients for the head
// gradients [[1, 2], [3, 4]] (SequenceLast) and arange(12) (SequenceReverse).
TEST(SequenceReverseLast, MatchMXNet) {
  auto x = FromVec({3, 2, 2}, Arange(12));
  auto len = FromVec({2}, {2, 3});
  const Params use = {{"use_sequence_length", "true"}};
  auto rv = ForwardBackward("SequenceReverse", {x, len}, use, {FromVec({3, 2, 2}, Arange(12))}, false);
  ExpectNear(ToVec(rv.outputs[0]), {4, 5, 10, 11, 0, 1, 6, 7, 8, 9, 2, 3}, 0, 0);
  ExpectNear(ToVec(rv.grads[0]), {4, 5, 10, 11, 0, 1, 6, 7, 8, 9, 2, 3}, 0, 0);
  ExpectNear(ToVec(rv.grads[1]), {0, 0}, 0, 0, "sequence_length gets zeros");
  ExpectNear(ToVec(mxct::Run("SequenceReverse", {x})[0]), {8, 9, 10, 11, 4, 5, 6, 7, 0, 1, 2, 3}, 0, 0);
  auto ls = ForwardBackward("SequenceLast", {x, len}, use, {FromVec({2, 2}, {1, 2, 3, 4})}, false);
  ExpectNear(ToVec(ls.outputs[0]), {4, 5, 10, 11}, 0, 0);
  ExpectNear(ToVec(ls.grads[0]), {0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 3, 4}, 0, 0);
  ExpectNear(ToVec(mxct::Run("SequenceLast", {x})[0]), {8, 9, 10, 11}, 0, 0);
  ExpectNear(ToVec(mxct::Run("SequenceLast", {x}, {{"axis", "1"}})[0]), {2, 3, 6, 7, 10, 11}, 0, 0);
  const mxc::Op *last = FindOp("SequenceLast"), *rev = FindOp("SequenceReverse");
  EXPECT_EQ(last->InputNames(mxc::OpParams(last, {{"use_sequence_length", "1"}})),
            (std::vector<std::string>{"data", "sequence_length"}));
  EXPECT_EQ(rev->InputNames(mxc::OpParams(rev, {})), (std::vector<std::string>{"data"}));
}

TEST(SequenceReverseLast, Errors) {
  auto x = Random({4, 2, 3}, -1, 1);
  for (const char *name : {"SequenceReverse", "SequenceLast"}) {
    ExpectErrorContains([&] { mxct::Run(name, {x, Random({3}, 1, 2)}, {{"use_sequence_length", "1"}}); },
                        {name, "sequence_length", "(3,)", "(2,)"});
    ExpectErrorContains([&] { mxct::Run(name, {x}, {{"axis", "2"}}); }, {name, "axis", "2"});
    ExpectErrorContains([&] { mxct::Run(name, {Random({3}, -1, 1)}); }, {name, "data", "(3,)"});
  }
}

TEST(SequenceReverseLast, Gradient) {
  for (const char *name : {"SequenceReverse", "SequenceLast"})
    for (int axis : {0, 1}) {
      GradCase c{name, {{"use_sequence_length", "true"}, {"axis", std::to_string(axis)}},
                 {{4, 3, 2}, {axis == 0 ? 3 : 4}}};
      c.no_grad = {1};
      c.fill = [](std::vector<NDArray> &in) {
        std::vector<double> l = {1, 4, 2, 3};
        l.resize(in[1].Size());
        in[1] = FromVec(in[1].shape(), l, in[1].dtype());
      };
      CheckGradient(c);
      CheckGradient({name, {{"axis", std::to_string(axis)}}, {{3, 2, 2}}});
    }
}

// ---------------------------------------------------------------------------------------------------------------
// UpSampling
// ---------------------------------------------------------------------------------------------------------------
std::vector<double> UpRef(const std::vector<double> &x, int planes, int H, int W, int s) {
  std::vector<double> y(static_cast<size_t>(planes) * H * W * s * s);
  for (int p = 0; p < planes; ++p)
    for (int oy = 0; oy < H * s; ++oy)
      for (int ox = 0; ox < W * s; ++ox) y[(p * H * s + oy) * W * s + ox] = x[(p * H + oy / s) * W + ox / s];
  return y;
}

TEST(UpSampling, MatchesReference) {
  for (int dt : {kFloat32, kFloat64})
    for (int s : {1, 2, 3}) {
      auto xs = RandVec(2 * 3 * 4 * 5, -1, 1, 4);
      auto y = mxct::Run("UpSampling", {FromVec({2, 3, 4, 5}, xs, dt)},
                         {{"scale", std::to_string(s)}, {"sample_type", "nearest"}, {"num_args", "1"}});
      EXPECT_EQ(y[0].shape(), (TShape{2, 3, 4 * s, 5 * s}));
      ExpectNear(ToVec(y[0]), UpRef(xs, 6, 4, 5, s), Rtol(dt), Atol(dt));
    }
  auto yi = mxct::Run("UpSampling", {FromVec({1, 1, 1, 2}, {3, -4}, kInt32)}, kUp2);
  EXPECT_EQ(yi[0].dtype(), kInt32);
  ExpectNear(ToVec(yi[0]), {3, 3, -4, -4, 3, 3, -4, -4}, 0, 0);
}

// MXNet 1.9.1: UpSampling(arange(12).reshape(1, 2, 2, 3), scale=2) and the gradient of arange(4).reshape(1,1,2,2)
// for the head gradient arange(16).reshape(1, 1, 4, 4).
TEST(UpSampling, MatchesMXNet) {
  auto y = mxct::Run("UpSampling", {FromVec({1, 2, 2, 3}, Arange(12))}, kUp2);
  ExpectNear(ToVec(y[0]), {0, 0, 1, 1, 2,  2,  0, 0, 1, 1, 2,  2,  3, 3, 4,  4,  5,  5,  3, 3, 4,  4,  5,  5,
                           6, 6, 7, 7, 8,  8,  6, 6, 7, 7, 8,  8,  9, 9, 10, 10, 11, 11, 9, 9, 10, 10, 11, 11},
             0, 0);
  auto fb = ForwardBackward("UpSampling", {FromVec({1, 1, 2, 2}, Arange(4))}, kUp2, {FromVec({1, 1, 4, 4}, Arange(16))},
                            false);
  ExpectNear(ToVec(fb.grads[0]), {10, 18, 42, 50}, 0, 0);
}

TEST(UpSampling, InputNamesAndParameters) {
  const mxc::Op *op = FindOp("UpSampling");
  EXPECT_EQ(op->InputNames(mxc::OpParams(op, kUp2)), (std::vector<std::string>{"arg0"}));
  EXPECT_EQ(op->key_var_num_args, "num_args");
  ASSERT_NE(op->FindParam("sample_type"), nullptr);
  EXPECT_TRUE(op->FindParam("sample_type")->required);
  EXPECT_TRUE(op->FindParam("scale")->required);
  EXPECT_EQ(op->FindParam("workspace")->default_value, "512");
  EXPECT_EQ(op->FindParam("multi_input_mode")->default_value, "concat");
}

TEST(UpSampling, UnsupportedModesAreValueErrors) {
  auto x = Random({1, 2, 3, 3}, -1, 1);
  auto expect_value_error = [](auto f, std::vector<std::string> parts) {
    try {
      f();
      ADD_FAILURE() << "expected an error";
    } catch (const mxc::Error &e) {
      EXPECT_EQ(e.kind(), mxc::ErrorKind::kValue) << e.what();
      for (auto &s : parts) EXPECT_NE(std::string(e.what()).find(s), std::string::npos) << s << " not in " << e.what();
    }
  };
  expect_value_error([&] {
    mxct::Run("UpSampling", {x, Random({2, 1, 4, 4}, -1, 1)},
              {{"scale", "2"}, {"sample_type", "bilinear"}, {"num_args", "2"}, {"num_filter", "2"}});
  }, {"UpSampling", "sample_type", "bilinear"});
  expect_value_error([&] {
    mxct::Run("UpSampling", {x}, {{"scale", "2"}, {"sample_type", "bilinear"}, {"num_args", "1"}});
  }, {"UpSampling", "sample_type", "bilinear"});
  expect_value_error([&] {
    mxct::Run("UpSampling", {x, Random({1, 2, 6, 6}, -1, 1)}, {{"scale", "2"}, {"sample_type", "nearest"}, {"num_args", "2"}});
  }, {"UpSampling", "num_args", "2"});
  expect_value_error([&] { mxct::Run("UpSampling", {x}, {{"scale", "0"}, {"sample_type", "nearest"}, {"num_args", "1"}}); },
                     {"UpSampling", "scale", "0"});
  ExpectErrorContains([&] { mxct::Run("UpSampling", {x}, {{"scale", "2"}, {"num_args", "1"}}); },
                      {"UpSampling", "sample_type"});
  ExpectErrorContains([&] { mxct::Run("UpSampling", {Random({2, 3}, -1, 1)}, kUp2); }, {"UpSampling", "data", "(2,3)"});
  ExpectErrorContains([&] { mxct::Run("UpSampling", {Random({1, 2, 3}, -1, 1)}, kUp2); },
                      {"UpSampling", "data", "(1,2,3)"});
}

TEST(UpSampling, Gradient) {
  CheckGradient({"UpSampling", kUp2, {{2, 2, 3, 2}}});
  CheckGradient({"UpSampling", {{"scale", "3"}, {"sample_type", "nearest"}, {"num_args", "1"}}, {{1, 2, 2, 3}}});
}

}  // namespace
