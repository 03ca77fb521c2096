// Convolution and Pooling against naive loops (stride, pad, dilate, groups, 1x1, 1-D, global and 'full' pooling),
// gradients by finite differences, and the batch-chunked paths against naive backward loops.
#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <limits>

#include "test_op_nn_util.h"

using namespace mxct;
using mxc::kFloat32;
using mxc::kFloat64;

namespace {

std::string Tup(std::vector<int> v) {
  std::string s = "(";
  for (size_t i = 0; i < v.size(); ++i) s += (i ? "," : "") + std::to_string(v[i]);
  return s + (v.size() == 1 ? ",)" : ")");
}

// ---------------------------------------------------------------------------------------------------------------
// Naive convolution (2-D; 1-D is H = 1)
// ---------------------------------------------------------------------------------------------------------------
struct ConvCfg {
  int N, C, H, W, F, kh, kw, sh = 1, sw = 1, ph = 0, pw = 0, dh = 1, dw = 1, G = 1;
  bool bias = true;
  int Ho() const { return (H + 2 * ph - dh * (kh - 1) - 1) / sh + 1; }
  int Wo() const { return (W + 2 * pw - dw * (kw - 1) - 1) / sw + 1; }
  Params params(bool one_d = false) const {
    Params p = {{"num_filter", std::to_string(F)}, {"num_group", std::to_string(G)}};
    if (one_d) {
      p.push_back({"kernel", Tup({kw})});
      p.push_back({"stride", Tup({sw})});
      p.push_back({"pad", Tup({pw})});
      p.push_back({"dilate", Tup({dw})});
    } else {
      p.push_back({"kernel", Tup({kh, kw})});
      p.push_back({"stride", Tup({sh, sw})});
      p.push_back({"pad", Tup({ph, pw})});
      p.push_back({"dilate", Tup({dh, dw})});
    }
    if (!bias) p.push_back({"no_bias", "True"});
    return p;
  }
};

std::vector<double> NaiveConv(const ConvCfg &c, const std::vector<double> &x, const std::vector<double> &w,
                              const std::vector<double> &b) {
  const int Ho = c.Ho(), Wo = c.Wo(), Cg = c.C / c.G, Fg = c.F / c.G;
  std::vector<double> y(static_cast<size_t>(c.N) * c.F * Ho * Wo);
  for (int n = 0; n < c.N; ++n)
    for (int f = 0; f < c.F; ++f)
      for (int oh = 0; oh < Ho; ++oh)
        for (int ow = 0; ow < Wo; ++ow) {
          double s = c.bias ? b[f] : 0.0;
          int g = f / Fg;
          for (int ci = 0; ci < Cg; ++ci)
            for (int i = 0; i < c.kh; ++i)
              for (int j = 0; j < c.kw; ++j) {
                int ih = oh * c.sh - c.ph + i * c.dh, iw = ow * c.sw - c.pw + j * c.dw;
                if (ih < 0 || ih >= c.H || iw < 0 || iw >= c.W) continue;
                s += x[((n * c.C + g * Cg + ci) * c.H + ih) * c.W + iw] * w[((f * Cg + ci) * c.kh + i) * c.kw + j];
              }
          y[((n * c.F + f) * Ho + oh) * Wo + ow] = s;
        }
  return y;
}

// The adjoint loops: gradients of sum(dy * conv(x, w, b)).
void NaiveConvBackward(const ConvCfg &c, const std::vector<double> &x, const std::vector<double> &w,
                       const std::vector<double> &dy, std::vector<double> *dx, std::vector<double> *dw,
                       std::vector<double> *db) {
  const int Ho = c.Ho(), Wo = c.Wo(), Cg = c.C / c.G, Fg = c.F / c.G;
  dx->assign(x.size(), 0.0);
  dw->assign(w.size(), 0.0);
  db->assign(c.F, 0.0);
  for (int n = 0; n < c.N; ++n)
    for (int f = 0; f < c.F; ++f)
      for (int oh = 0; oh < Ho; ++oh)
        for (int ow = 0; ow < Wo; ++ow) {
          double d = dy[((n * c.F + f) * Ho + oh) * Wo + ow];
          (*db)[f] += d;
          int g = f / Fg;
          for (int ci = 0; ci < Cg; ++ci)
            for (int i = 0; i < c.kh; ++i)
              for (int j = 0; j < c.kw; ++j) {
                int ih = oh * c.sh - c.ph + i * c.dh, iw = ow * c.sw - c.pw + j * c.dw;
                if (ih < 0 || ih >= c.H || iw < 0 || iw >= c.W) continue;
                size_t xi = ((n * c.C + g * Cg + ci) * c.H + ih) * c.W + iw;
                size_t wi = ((f * Cg + ci) * c.kh + i) * c.kw + j;
                (*dx)[xi] += d * w[wi];
                (*dw)[wi] += d * x[xi];
              }
        }
}

void CheckConvForward(const ConvCfg &c, int dt, bool one_d = false) {
  SCOPED_TRACE("conv N" + std::to_string(c.N) + " C" + std::to_string(c.C) + " F" + std::to_string(c.F) + " G" +
               std::to_string(c.G) + (one_d ? " 1-D" : ""));
  auto xs = RandVec(static_cast<size_t>(c.N) * c.C * c.H * c.W, -1, 1, 100 + c.N);
  auto ws = RandVec(static_cast<size_t>(c.F) * (c.C / c.G) * c.kh * c.kw, -1, 1, 200 + c.F);
  auto bs = RandVec(c.F, -1, 1, 300);
  TShape xshape = one_d ? TShape{c.N, c.C, c.W} : TShape{c.N, c.C, c.H, c.W};
  TShape wshape = one_d ? TShape{c.F, c.C / c.G, c.kw} : TShape{c.F, c.C / c.G, c.kh, c.kw};
  std::vector<NDArray> ins = {FromVec(xshape, xs, dt), FromVec(wshape, ws, dt)};
  if (c.bias) ins.push_back(FromVec({c.F}, bs, dt));
  auto out = mxct::Run("Convolution", ins, c.params(one_d));
  TShape oshape = one_d ? TShape{c.N, c.F, c.Wo()} : TShape{c.N, c.F, c.Ho(), c.Wo()};
  EXPECT_EQ(out[0].shape(), oshape);
  ExpectNear(ToVec(out[0]), NaiveConv(c, xs, ws, bs), dt == kFloat32 ? 1e-4 : 1e-10, dt == kFloat32 ? 1e-4 : 1e-10,
             "conv forward");
}

TEST(Convolution, ForwardMatchesNaive) {
  std::vector<ConvCfg> cfgs;
  ConvCfg a{2, 3, 7, 6, 4, 3, 3};
  cfgs.push_back(a);  // plain 3x3
  ConvCfg b = a;
  b.sh = 2, b.sw = 1, b.ph = 1, b.pw = 2;  // stride and asymmetric pad
  cfgs.push_back(b);
  ConvCfg d = a;
  d.dh = 2, d.dw = 2, d.ph = 1, d.pw = 1;  // dilation
  cfgs.push_back(d);
  ConvCfg g{3, 4, 5, 5, 6, 3, 2};
  g.G = 2, g.sh = 2, g.sw = 2, g.pw = 1;  // groups
  cfgs.push_back(g);
  ConvCfg dwc{2, 4, 6, 6, 4, 3, 3};
  dwc.G = 4, dwc.ph = 1, dwc.pw = 1;  // depthwise
  cfgs.push_back(dwc);
  ConvCfg one{3, 5, 4, 4, 7, 1, 1};  // 1x1 fast path
  cfgs.push_back(one);
  ConvCfg one_g = one;
  one_g.F = 6, one_g.C = 4, one_g.G = 2, one_g.bias = false;
  cfgs.push_back(one_g);
  ConvCfg one_s = one;
  one_s.sh = 2, one_s.sw = 2;  // 1x1 with stride: im2col path
  cfgs.push_back(one_s);
  ConvCfg nb = a;
  nb.bias = false, nb.N = 1;
  cfgs.push_back(nb);
  for (int dt : {kFloat32, kFloat64})
    for (auto &c : cfgs) CheckConvForward(c, dt);
}

TEST(Convolution, OneDimensional) {
  ConvCfg c{2, 3, 1, 9, 4, 1, 3};
  c.sw = 2, c.pw = 1, c.dw = 2;
  for (int dt : {kFloat32, kFloat64}) CheckConvForward(c, dt, true);
  CheckGradient({"Convolution", c.params(true), {{2, 3, 9}, {4, 3, 3}, {4}}});
}

TEST(Convolution, ManyChunksForwardAndBackward) {
  // Large enough for the batch to be processed in several chunks of several samples (columns of 72 x 1024 per
  // sample: chunks of 56, 56 and 38 samples under the 4M-element column budget).
  ConvCfg c{150, 8, 32, 32, 4, 3, 3};
  c.ph = 1, c.pw = 1;
  const int Ho = c.Ho(), Wo = c.Wo();
  auto xs = RandVec(static_cast<size_t>(c.N) * c.C * c.H * c.W, -1, 1, 7);
  auto ws = RandVec(static_cast<size_t>(c.F) * c.C * 9, -1, 1, 8);
  auto bs = RandVec(c.F, -1, 1, 9);
  auto dys = RandVec(static_cast<size_t>(c.N) * c.F * Ho * Wo, -1, 1, 10);
  auto r = ForwardBackward("Convolution",
                           {FromVec({c.N, c.C, c.H, c.W}, xs, kFloat64), FromVec({c.F, c.C, 3, 3}, ws, kFloat64),
                            FromVec({c.F}, bs, kFloat64)},
                           c.params(), {FromVec({c.N, c.F, Ho, Wo}, dys, kFloat64)}, true);
  ExpectNear(ToVec(r.outputs[0]), NaiveConv(c, xs, ws, bs), 1e-10, 1e-10, "chunked forward");
  std::vector<double> dx, dw, db;
  NaiveConvBackward(c, xs, ws, dys, &dx, &dw, &db);
  ExpectNear(ToVec(r.grads[0]), dx, 1e-10, 1e-10, "chunked dx");
  ExpectNear(ToVec(r.grads[1]), dw, 1e-9, 1e-9, "chunked dw");
  ExpectNear(ToVec(r.grads[2]), db, 1e-10, 1e-10, "chunked db");
}

TEST(Convolution, BackwardFloat32MatchesNaive) {
  ConvCfg c{4, 4, 6, 5, 6, 3, 3};
  c.G = 2, c.sh = 2, c.ph = 1, c.dw = 2, c.pw = 2;
  auto xs = RandVec(static_cast<size_t>(c.N) * c.C * c.H * c.W, -1, 1, 17);
  auto ws = RandVec(static_cast<size_t>(c.F) * 2 * 9, -1, 1, 18);
  auto dys = RandVec(static_cast<size_t>(c.N) * c.F * c.Ho() * c.Wo(), -1, 1, 19);
  auto r = ForwardBackward("Convolution",
                           {FromVec({c.N, c.C, c.H, c.W}, xs), FromVec({c.F, 2, 3, 3}, ws), Random({c.F}, -1, 1)},
                           c.params(), {FromVec({c.N, c.F, c.Ho(), c.Wo()}, dys)}, true);
  std::vector<double> dx, dw, db;
  NaiveConvBackward(c, xs, ws, dys, &dx, &dw, &db);
  ExpectNear(ToVec(r.grads[0]), dx, 1e-4, 1e-4, "dx");
  ExpectNear(ToVec(r.grads[1]), dw, 1e-4, 1e-4, "dw");
  ExpectNear(ToVec(r.grads[2]), db, 1e-4, 1e-4, "db");
}

// float32 3x3 stride-1 convolutions run through Winograd F(2x2, 3x3) (core/ops/winograd.h), forward and data
// gradient, when large enough, or always with MXC_CONV_WINOGRAD=1: against the naive loops (paddings 0, 1 and 2, odd
// output sizes that clip the last tile, groups, non-square images), and against the im2col path
// (MXC_CONV_WINOGRAD=0) on a batch large enough to be processed in several chunks.
TEST(Convolution, WinogradMatchesNaiveAndIm2col) {
  setenv("MXC_CONV_WINOGRAD", "1", 1);
  std::vector<ConvCfg> cfgs;
  for (int pad : {0, 1, 2}) {
    ConvCfg c{2, 8, 9, 7, 8, 3, 3};
    c.ph = pad, c.pw = pad;
    cfgs.push_back(c);
  }
  ConvCfg g{3, 16, 6, 11, 24, 3, 3};
  g.G = 2, g.ph = 1, g.pw = 0, g.bias = false;
  cfgs.push_back(g);
  for (auto &c : cfgs) {
    SCOPED_TRACE("winograd C" + std::to_string(c.C) + " F" + std::to_string(c.F) + " pad " + std::to_string(c.ph));
    CheckConvForward(c, kFloat32);
    const int Cg = c.C / c.G;
    auto xs = RandVec(static_cast<size_t>(c.N) * c.C * c.H * c.W, -1, 1, 27);
    auto ws = RandVec(static_cast<size_t>(c.F) * Cg * 9, -1, 1, 28);
    auto dys = RandVec(static_cast<size_t>(c.N) * c.F * c.Ho() * c.Wo(), -1, 1, 29);
    std::vector<NDArray> ins = {FromVec({c.N, c.C, c.H, c.W}, xs), FromVec({c.F, Cg, 3, 3}, ws)};
    if (c.bias) ins.push_back(Random({c.F}, -1, 1));
    auto r = ForwardBackward("Convolution", ins, c.params(), {FromVec({c.N, c.F, c.Ho(), c.Wo()}, dys)}, true);
    std::vector<double> dx, dw, db;
    NaiveConvBackward(c, xs, ws, dys, &dx, &dw, &db);
    ExpectNear(ToVec(r.grads[0]), dx, 1e-4, 1e-4, "winograd dx");
    ExpectNear(ToVec(r.grads[1]), dw, 1e-4, 1e-4, "dw");
  }
  // 40 samples of 64 -> 64 channels on 30x30: chunks of 13 samples (8M floats of transformed tiles).
  ConvCfg big{40, 64, 30, 30, 64, 3, 3};
  big.ph = 1, big.pw = 1;
  std::vector<NDArray> ins = {Random({big.N, big.C, big.H, big.W}, -1, 1, kFloat32, 31),
                              Random({big.F, big.C, 3, 3}, -1, 1, kFloat32, 32), Random({big.F}, -1, 1, kFloat32, 33)};
  auto dy = Random({big.N, big.F, big.Ho(), big.Wo()}, -1, 1, kFloat32, 34);
  unsetenv("MXC_CONV_WINOGRAD");  // 40 x 15 x 15 tiles: Winograd by its own rule
  auto wino = ForwardBackward("Convolution", ins, big.params(), {dy}, true);
  setenv("MXC_CONV_WINOGRAD", "0", 1);
  auto im2col = ForwardBackward("Convolution", ins, big.params(), {dy}, true);
  unsetenv("MXC_CONV_WINOGRAD");
  // Sums of 576 products of magnitude <= 1: absolute differences of a few 1e-5 are float32 rounding.
  ExpectNear(ToVec(wino.outputs[0]), ToVec(im2col.outputs[0]), 1e-4, 1e-4, "forward: winograd vs im2col");
  ExpectNear(ToVec(wino.grads[0]), ToVec(im2col.grads[0]), 1e-4, 1e-4, "dx: winograd vs im2col");
}

TEST(Convolution, Gradient) {
  ConvCfg a{2, 2, 5, 4, 3, 3, 2};
  a.ph = 1;
  CheckGradient({"Convolution", a.params(), {{2, 2, 5, 4}, {3, 2, 3, 2}, {3}}});
  ConvCfg b{2, 4, 5, 5, 4, 2, 3};
  b.G = 2, b.sh = 2, b.sw = 2, b.dh = 2, b.pw = 1, b.bias = false;
  CheckGradient({"Convolution", b.params(), {{2, 4, 5, 5}, {4, 2, 2, 3}}});
  ConvCfg one{2, 3, 3, 3, 2, 1, 1};
  CheckGradient({"Convolution", one.params(), {{2, 3, 3, 3}, {2, 3, 1, 1}, {2}}});
}

TEST(Convolution, ShapeInferenceAndErrors) {
  const mxc::Op *op = FindOp("Convolution");
  mxc::OpParams p(op, {{"kernel", "(5,5)"}, {"num_filter", "20"}, {"num_group", "2"}});
  std::vector<TShape> in = {TShape{8, 4, 28, 28}, TShape(), TShape()}, out(1);
  op->infer_shape(p, &in, &out);
  EXPECT_EQ(in[1], (TShape{20, 2, 5, 5}));
  EXPECT_EQ(in[2], (TShape{20}));
  EXPECT_EQ(out[0], (TShape{8, 20, 24, 24}));
  EXPECT_EQ(op->NumInputs(mxc::OpParams(op, {{"kernel", "(3,3)"}, {"num_filter", "2"}, {"no_bias", "1"}})), 2);

  auto x = Random({2, 3, 8, 8}, -1, 1);
  Params prm = {{"kernel", "(3,3)"}, {"num_filter", "4"}};
  ExpectErrorContains([&] { mxct::Run("Convolution", {x, Random({4, 3, 5, 5}, -1, 1), Random({4}, -1, 1)}, prm); },
                      {"Convolution", "weight", "(4,3,3,3)", "(4,3,5,5)"});
  ExpectErrorContains([&] { mxct::Run("Convolution", {x, Random({4, 3, 3, 3}, -1, 1), Random({4}, -1, 1)},
                                      {{"kernel", "(3,3)"}, {"num_filter", "4"}, {"stride", "(2,)"}}); },
                      {"Convolution", "stride"});
  ExpectErrorContains([&] { mxct::Run("Convolution", {x, Random({4, 3, 9, 9}, -1, 1), Random({4}, -1, 1)},
                                      {{"kernel", "(9,9)"}, {"num_filter", "4"}}); },
                      {"Convolution", "(9,9)", "(2,3,8,8)"});
  ExpectErrorContains([&] { mxct::Run("Convolution", {x, Random({4, 1, 3, 3}, -1, 1), Random({4}, -1, 1)},
                                      {{"kernel", "(3,3)"}, {"num_filter", "4"}, {"num_group", "2"}}); },
                      {"Convolution", "num_group"});
  ExpectErrorContains([&] { mxct::Run("Convolution", {Random({2, 3, 8}, -1, 1), Random({4, 3, 3, 3}, -1, 1),
                                                      Random({4}, -1, 1)}, prm); },
                      {"Convolution", "4-D", "(2,3,8)"});
  ExpectErrorContains([&] { mxct::Run("Convolution", {x, Random({4, 3, 3, 3}, -1, 1)}, {{"num_filter", "4"}}); },
                      {"Convolution", "kernel"});
}

// ---------------------------------------------------------------------------------------------------------------
// Pooling
// ---------------------------------------------------------------------------------------------------------------
struct PoolCfg {
  int N, C, H, W, kh, kw, sh = 1, sw = 1, ph = 0, pw = 0;
  std::string type = "max";
  bool full = false, global = false, include_pad = true;
  int Out(int in, int k, int s, int p) const {
    if (global) return 1;
    return full ? 1 + static_cast<int>(std::ceil(double(in + 2 * p - k) / s)) : 1 + (in + 2 * p - k) / s;
  }
  int Ho() const { return Out(H, kh, sh, ph); }
  int Wo() const { return Out(W, kw, sw, pw); }
  Params params(bool one_d = false) const {
    Params p = {{"pool_type", type}};
    if (one_d) {
      p.push_back({"kernel", Tup({kw})});
      p.push_back({"stride", Tup({sw})});
      p.push_back({"pad", Tup({pw})});
    } else {
      p.push_back({"kernel", Tup({kh, kw})});
      p.push_back({"stride", Tup({sh, sw})});
      p.push_back({"pad", Tup({ph, pw})});
    }
    if (full) p.push_back({"pooling_convention", "full"});
    if (global) p.push_back({"global_pool", "true"});
    if (!include_pad) p.push_back({"count_include_pad", "false"});
    return p;
  }
};

// Pooling over an explicitly padded copy of each plane; padding cells are "absent" for max/sum (skipped) and count
// in the avg divisor when include_pad (cells beyond the padded input, reached with 'full', never count).
std::vector<double> NaivePool(const PoolCfg &c, const std::vector<double> &x) {
  const int kh = c.global ? c.H : c.kh, kw = c.global ? c.W : c.kw;
  const int ph = c.global ? 0 : c.ph, pw = c.global ? 0 : c.pw;
  const int Ho = c.Ho(), Wo = c.Wo(), PH = c.H + 2 * ph, PW = c.W + 2 * pw;
  std::vector<double> y;
  for (int pl = 0; pl < c.N * c.C; ++pl) {
    // padded plane: NaN marks padding
    std::vector<double> padded(PH * PW, std::nan(""));
    for (int h = 0; h < c.H; ++h)
      for (int w = 0; w < c.W; ++w) padded[(h + ph) * PW + w + pw] = x[(pl * c.H + h) * c.W + w];
    for (int oh = 0; oh < Ho; ++oh)
      for (int ow = 0; ow < Wo; ++ow) {
        double mx = -std::numeric_limits<double>::infinity(), sum = 0;
        int cells = 0, real = 0;
        for (int i = 0; i < kh; ++i)
          for (int j = 0; j < kw; ++j) {
            int h = oh * c.sh + i, w = ow * c.sw + j;  // in padded coordinates
            if (h >= PH || w >= PW) continue;         // beyond the padded input ('full')
            ++cells;
            double v = padded[h * PW + w];
            if (std::isnan(v)) continue;
            ++real;
            mx = std::max(mx, v);
            sum += v;
          }
        if (c.type == "max") y.push_back(mx);
        else if (c.type == "sum") y.push_back(sum);
        else y.push_back(sum / (c.include_pad ? cells : real));
      }
  }
  return y;
}

void CheckPool(const PoolCfg &c, int dt, bool one_d = false) {
  SCOPED_TRACE("pool " + c.type + (c.full ? " full" : "") + (c.global ? " global" : "") + (one_d ? " 1-D" : ""));
  auto xs = RandVec(static_cast<size_t>(c.N) * c.C * c.H * c.W, -1, 1, 400 + c.H * 7 + c.W);
  TShape xshape = one_d ? TShape{c.N, c.C, c.W} : TShape{c.N, c.C, c.H, c.W};
  auto out = mxct::Run("Pooling", {FromVec(xshape, xs, dt)}, c.params(one_d));
  TShape oshape = one_d ? TShape{c.N, c.C, c.Wo()} : TShape{c.N, c.C, c.Ho(), c.Wo()};
  EXPECT_EQ(out[0].shape(), oshape);
  ExpectNear(ToVec(out[0]), NaivePool(c, xs), Rtol(dt), Atol(dt), "pool forward");
}

std::vector<PoolCfg> PoolConfigs() {
  std::vector<PoolCfg> v;
  for (const char *t : {"max", "avg", "sum"}) {
    PoolCfg a{2, 3, 6, 7, 2, 2};
    a.sh = 2, a.sw = 2, a.type = t;
    v.push_back(a);
    PoolCfg b{1, 2, 7, 5, 3, 3};
    b.sh = 2, b.sw = 1, b.ph = 1, b.pw = 1, b.type = t;
    v.push_back(b);
    PoolCfg f = b;
    f.full = true, f.sw = 2;
    v.push_back(f);
    PoolCfg g{2, 3, 5, 4, 1, 1};
    g.global = true, g.type = t;
    v.push_back(g);
  }
  PoolCfg nip{1, 2, 6, 6, 3, 3};
  nip.sh = 2, nip.sw = 2, nip.ph = 1, nip.pw = 1, nip.type = "avg", nip.include_pad = false;
  v.push_back(nip);
  PoolCfg nipf = nip;
  nipf.full = true, nipf.H = 7;
  v.push_back(nipf);
  return v;
}

TEST(Pooling, ForwardMatchesNaive) {
  for (int dt : {kFloat32, kFloat64})
    for (auto &c : PoolConfigs()) CheckPool(c, dt);
}

TEST(Pooling, MatchesMXNetValues) {
  // Values printed by MXNet 1.9.1 for data = arange(25).reshape(1, 1, 5, 5), kernel (2, 2), stride (2, 2).
  std::vector<double> xs(25);
  for (int i = 0; i < 25; ++i) xs[i] = i;
  auto x = FromVec({1, 1, 5, 5}, xs);
  Params base = {{"kernel", "(2,2)"}, {"stride", "(2,2)"}, {"pool_type", "avg"}};
  auto full = base;
  full.push_back({"pooling_convention", "full"});
  ExpectNear(ToVec(mxct::Run("Pooling", {x}, full)[0]), {3, 5, 6.5, 13, 15, 16.5, 20.5, 22.5, 24}, 1e-6, 1e-6,
             "avg full");
  auto pad = base;
  pad.push_back({"pad", "(1,1)"});
  ExpectNear(ToVec(mxct::Run("Pooling", {x}, pad)[0]), {0, 0.75, 1.75, 3.75, 9, 11, 8.75, 19, 21}, 1e-6, 1e-6,
             "avg pad");
  pad.push_back({"count_include_pad", "False"});
  ExpectNear(ToVec(mxct::Run("Pooling", {x}, pad)[0]), {0, 1.5, 3.5, 7.5, 9, 11, 17.5, 19, 21}, 1e-6, 1e-6,
             "avg pad exclude");
  // 3x3 stride 2 pad 1 'full' over arange(24).reshape(1, 1, 4, 6).
  std::vector<double> ys(24);
  for (int i = 0; i < 24; ++i) ys[i] = i;
  auto y = mxct::Run("Pooling", {FromVec({1, 1, 4, 6}, ys)}, {{"kernel", "(3,3)"}, {"stride", "(2,2)"},
                                                            {"pad", "(1,1)"}, {"pool_type", "avg"},
                                                            {"pooling_convention", "full"}});
  EXPECT_EQ(y[0].shape(), (TShape{1, 1, 3, 4}));
  ExpectNear(ToVec(y[0]), {14.0 / 9, 30.0 / 9, 42.0 / 9, 2.6666667, 75.0 / 9, 14, 16, 8.5, 6.1666667, 10, 11, 5.75},
             1e-6, 1e-6, "avg 3x3 full");
}

TEST(Pooling, OneDimensional) {
  for (const char *t : {"max", "avg", "sum"}) {
    PoolCfg c{2, 3, 1, 11, 1, 3};
    c.sw = 2, c.pw = 1, c.type = t;
    for (int dt : {kFloat32, kFloat64}) CheckPool(c, dt, true);
    CheckGradient({"Pooling", c.params(true), {{2, 3, 11}}});
  }
}

TEST(Pooling, Gradient) {
  for (auto &c : PoolConfigs()) CheckGradient({"Pooling", c.params(), {{c.N, c.C, c.H, c.W}}});
}

TEST(Pooling, MaxGradientGoesToTheMaximum) {
  // One 2x2 window per output; the gradient lands on the maximum only.
  auto x = FromVec({1, 1, 2, 4}, {1, 5, 2, 0, 3, 4, 7, 1});
  auto r = ForwardBackward("Pooling", {x}, {{"kernel", "(2,2)"}, {"stride", "(2,2)"}},
                           {FromVec({1, 1, 1, 2}, {10, 20})}, true);
  ExpectNear(ToVec(r.outputs[0]), {5, 7}, 0, 0, "max forward");
  ExpectNear(ToVec(r.grads[0]), {0, 10, 0, 0, 0, 0, 20, 0}, 0, 0, "max backward");
}

TEST(Pooling, Errors) {
  auto x = Random({1, 2, 4, 4}, -1, 1);
  ExpectErrorContains([&] { mxct::Run("Pooling", {x}, {{"kernel", "(5,5)"}}); }, {"Pooling", "(5,5)", "(1,2,4,4)"});
  ExpectErrorContains([&] { mxct::Run("Pooling", {x}, {{"kernel", "(2,)"}}); }, {"Pooling", "kernel"});
  ExpectErrorContains([&] { mxct::Run("Pooling", {x}, {{"kernel", "(2,2)"}, {"pool_type", "median"}}); },
                      {"Pooling", "pool_type", "avg", "max", "sum"});
  ExpectErrorContains([&] { mxct::Run("Pooling", {Random({4, 4}, -1, 1)}, {{"kernel", "(2,2)"}}); },
                      {"Pooling", "(4,4)"});
  // Global pooling needs no kernel.
  auto g = mxct::Run("Pooling", {x}, {{"global_pool", "True"}, {"pool_type", "avg"}});
  EXPECT_EQ(g[0].shape(), (TShape{1, 2, 1, 1}));
}

}  // namespace
