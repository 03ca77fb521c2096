// Deconvolution (transposed convolution) against a direct scatter loop (stride, pad, adj, dilate, groups,
// target_shape, bias, 1-D), against values printed by MXNet 1.9.1, against Convolution's data gradient, gradients
// against a direct loop and by finite differences, and shape inference and errors as MXNet has them.
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

// One deconvolution; 1-D is H = kh = 1 (and pads, strides and targets of the height unused).
struct DeconvCfg {
  int N, C, H, W, F, kh, kw, sh = 1, sw = 1, ph = 0, pw = 0, dh = 1, dw = 1, ah = 0, aw = 0, G = 1;
  int th = 0, tw = 0;  // target_shape when tw > 0
  bool bias = false;
  bool one_d = false;
  // The crop at the start and the size of each output dimension.
  void Dim(int in, int k, int s, int p, int d, int a, int t, int *pad, int *out) const {
    const int full = (in - 1) * s + d * (k - 1) + 1;
    *pad = tw > 0 ? (full - t + 1) / 2 : p;
    *out = tw > 0 ? t : full - 2 * p + a;
  }
  int Ho() const { int p, o; Dim(H, kh, sh, ph, dh, ah, th, &p, &o); return one_d ? 1 : o; }
  int Wo() const { int p, o; Dim(W, kw, sw, pw, dw, aw, tw, &p, &o); return o; }
  int PadH() const { int p, o; Dim(H, kh, sh, ph, dh, ah, th, &p, &o); return one_d ? 0 : p; }
  int PadW() const { int p, o; Dim(W, kw, sw, pw, dw, aw, tw, &p, &o); return p; }
  TShape XShape() const { return one_d ? TShape{N, C, W} : TShape{N, C, H, W}; }
  TShape WShape() const { return one_d ? TShape{C, F / G, kw} : TShape{C, F / G, kh, kw}; }
  TShape YShape() const { return one_d ? TShape{N, F, Wo()} : TShape{N, F, Ho(), Wo()}; }
  Params params() const {
    Params p = {{"num_filter", std::to_string(F)}, {"num_group", std::to_string(G)}};
    auto two = [&](int a, int b) { return one_d ? Tup({b}) : Tup({a, b}); };
    p.push_back({"kernel", two(kh, kw)});
    p.push_back({"stride", two(sh, sw)});
    p.push_back({"pad", two(ph, pw)});
    p.push_back({"dilate", two(dh, dw)});
    p.push_back({"adj", two(ah, aw)});
    if (tw > 0) p.push_back({"target_shape", two(th, tw)});
    if (bias) p.push_back({"no_bias", "False"});
    return p;
  }
};

// Visits every (data index, weight index, output index) triple the deconvolution connects.
template <typename Fn>
void ForEachTap(const DeconvCfg &c, Fn fn) {
  const int Ho = c.Ho(), Wo = c.Wo(), Cg = c.C / c.G, Fg = c.F / c.G, ph = c.PadH(), pw = c.PadW();
  for (int n = 0; n < c.N; ++n)
    for (int ci = 0; ci < c.C; ++ci)
      for (int f = 0; f < Fg; ++f)
        for (int h = 0; h < c.H; ++h)
          for (int w = 0; w < c.W; ++w)
            for (int i = 0; i < c.kh; ++i)
              for (int j = 0; j < c.kw; ++j) {
                const int oh = h * c.sh - ph + i * c.dh, ow = w * c.sw - pw + j * c.dw;
                if (oh < 0 || oh >= Ho || ow < 0 || ow >= Wo) continue;
                const int fo = ci / Cg * Fg + f;
                fn(((n * c.C + ci) * c.H + h) * c.W + w, ((ci * Fg + f) * c.kh + i) * c.kw + j,
                   ((n * c.F + fo) * Ho + oh) * Wo + ow, fo);
              }
}

std::vector<double> NaiveDeconv(const DeconvCfg &c, const std::vector<double> &x, const std::vector<double> &w,
                                const std::vector<double> &b) {
  std::vector<double> y(static_cast<size_t>(c.N) * c.F * c.Ho() * c.Wo(), 0.0);
  if (c.bias)
    for (size_t i = 0; i < y.size(); ++i) y[i] = b[i / (c.Ho() * c.Wo()) % c.F];
  ForEachTap(c, [&](size_t xi, size_t wi, size_t yi, int) { y[yi] += x[xi] * w[wi]; });
  return y;
}

void NaiveDeconvBackward(const DeconvCfg &c, const std::vector<double> &x, const std::vector<double> &w,
                         const std::vector<double> &dy, std::vector<double> *dx, std::vector<double> *dw,
                         std::vector<double> *db) {
  dx->assign(x.size(), 0.0);
  dw->assign(w.size(), 0.0);
  db->assign(c.F, 0.0);
  for (size_t i = 0; i < dy.size(); ++i) (*db)[i / (c.Ho() * c.Wo()) % c.F] += dy[i];
  ForEachTap(c, [&](size_t xi, size_t wi, size_t yi, int) {
    (*dx)[xi] += dy[yi] * w[wi];
    (*dw)[wi] += dy[yi] * x[xi];
  });
}

void CheckForward(const DeconvCfg &c, int dt) {
  SCOPED_TRACE("deconv N" + std::to_string(c.N) + " C" + std::to_string(c.C) + " F" + std::to_string(c.F) + " G" +
               std::to_string(c.G) + (c.one_d ? " 1-D" : ""));
  auto xs = RandVec(mxc::ShapeSize(c.XShape()), -1, 1, 100 + c.N);
  auto ws = RandVec(mxc::ShapeSize(c.WShape()), -1, 1, 200 + c.F);
  auto bs = RandVec(c.F, -1, 1, 300);
  std::vector<NDArray> ins = {FromVec(c.XShape(), xs, dt), FromVec(c.WShape(), ws, dt)};
  if (c.bias) ins.push_back(FromVec({c.F}, bs, dt));
  auto out = mxct::Run("Deconvolution", ins, c.params());
  EXPECT_EQ(out[0].shape(), c.YShape());
  ExpectNear(ToVec(out[0]), NaiveDeconv(c, xs, ws, bs), Rtol(dt), Atol(dt), "deconv forward");
}

std::vector<DeconvCfg> Configs() {
  std::vector<DeconvCfg> v;
  DeconvCfg a{2, 3, 4, 5, 4, 3, 3};
  a.bias = true;
  v.push_back(a);  // plain 3x3 with bias
  DeconvCfg s = a;
  s.sh = 2, s.sw = 3, s.ph = 1, s.pw = 2, s.ah = 1, s.aw = 2;  // stride, pad, adj
  v.push_back(s);
  DeconvCfg d = a;
  d.dh = 2, d.dw = 3, d.ph = 1, d.sh = 2, d.bias = false;  // dilation
  v.push_back(d);
  DeconvCfg g{3, 4, 3, 4, 6, 3, 2};
  g.G = 2, g.sh = 2, g.sw = 2, g.pw = 1, g.bias = true;  // groups
  v.push_back(g);
  DeconvCfg dwc{2, 4, 5, 5, 4, 3, 3};
  dwc.G = 4, dwc.ph = 1, dwc.pw = 1;  // depthwise
  v.push_back(dwc);
  DeconvCfg one{3, 5, 4, 4, 7, 1, 1};  // 1x1 without stride: the plain-GEMM path
  one.bias = true;
  v.push_back(one);
  DeconvCfg one_s = one;
  one_s.sh = 2, one_s.sw = 2, one_s.ah = 1;  // 1x1 with stride: col2im path
  v.push_back(one_s);
  DeconvCfg t{2, 2, 3, 4, 3, 3, 3};
  t.sh = 2, t.sw = 2, t.th = 6, t.tw = 8, t.ph = 5, t.bias = true;  // target_shape (pad ignored, odd crops)
  v.push_back(t);
  DeconvCfg o{2, 3, 1, 6, 4, 1, 3};
  o.one_d = true, o.sw = 2, o.pw = 1, o.aw = 1, o.dw = 2, o.bias = true;  // 1-D
  v.push_back(o);
  return v;
}

TEST(Deconvolution, ForwardMatchesDirectLoop) {
  for (int dt : {kFloat32, kFloat64})
    for (auto &c : Configs()) CheckForward(c, dt);
}

std::vector<double> Arange(int n, double scale, double off) {
  std::vector<double> v(n);
  for (int i = 0; i < n; ++i) v[i] = i * scale + off;
  return v;
}

// Printed by MXNet 1.9.1 (mx.nd.Deconvolution, CPU) for data and weight arange(n) * scale + off.
TEST(Deconvolution, MatchesMXNetValues) {
  // stride 2, pad 1, adj 1, bias 0.5
  auto y = mxct::Run("Deconvolution",
               {FromVec({1, 2, 2, 2}, Arange(8, 0.25, -1.0)), FromVec({2, 1, 3, 3}, Arange(18, 0.125, -1.0)),
                FromVec({1}, {0.5})},
               {{"kernel", "(3,3)"}, {"num_filter", "1"}, {"stride", "(2,2)"}, {"pad", "(1,1)"}, {"adj", "(1,1)"},
                {"no_bias", "False"}});
  EXPECT_EQ(y[0].shape(), (TShape{1, 1, 4, 4}));
  ExpectNear(ToVec(y[0]), {1, 1.46875, 1.03125, 0.96875, 1.1875, 1.8125, 1.25, 1.25, 1.0625, 1.59375, 1.09375,
                           1.15625, 1.0625, 1.78125, 1.28125, 1.34375}, 1e-6, 1e-6, "stride/pad/adj");
  // 1-D, two groups, dilation 2
  y = mxct::Run("Deconvolution", {FromVec({1, 4, 3}, Arange(12, 0.5, -2.0)), FromVec({4, 1, 2}, Arange(8, 0.25, -0.75))},
          {{"kernel", "(2,)"}, {"num_filter", "2"}, {"num_group", "2"}, {"dilate", "(2,)"}});
  EXPECT_EQ(y[0].shape(), (TShape{1, 2, 5}));
  ExpectNear(ToVec(y[0]), {1.625, 1.125, 1.625, 0.75, 0.5, 2.125, 2.625, 6.125, 3.75, 4.5}, 1e-6, 1e-6, "groups");
  // target_shape (4, 6) from a full output of (5, 7)
  y = mxct::Run("Deconvolution", {FromVec({1, 1, 2, 3}, Arange(6, 0.5, -1.0)), FromVec({1, 1, 3, 3}, Arange(9, 0.25, -1.0))},
          {{"kernel", "(3,3)"}, {"num_filter", "1"}, {"stride", "(2,2)"}, {"target_shape", "(4,6)"}});
  EXPECT_EQ(y[0].shape(), (TShape{1, 1, 4, 6}));
  ExpectNear(ToVec(y[0]), {0, -0.125, 0, -0.125, 0, 0, -1.125, -2.5, -1.125, -2.5, -1.125, -0.75,
                           0, -0.125, 0, -0.125, 0, 0.375, 0.375, 1, 0.75, 1.75, 1.125, 1.5}, 1e-6, 1e-6, "target");
  // 1-D, batch 2, stride 3, pad 2, adj 2, bias (1, -2)
  y = mxct::Run("Deconvolution",
          {FromVec({2, 2, 3}, Arange(12, 0.5, -2.5)), FromVec({2, 2, 3}, Arange(12, 0.25, -1.25)),
           FromVec({2}, {1.0, -2.0})},
          {{"kernel", "(3,)"}, {"num_filter", "2"}, {"stride", "(3,)"}, {"pad", "(2,)"}, {"adj", "(2,)"},
           {"no_bias", "0"}});
  EXPECT_EQ(y[0].shape(), (TShape{2, 2, 7}));
  ExpectNear(ToVec(y[0]), {2.125, 3.375, 2.75, 2.125, 2.875, 2.5, 2.125, -3.5, -1.5, -2.125, -2.75, -1.25, -1.625, -2,
                           2.125, 0.375, 1.25, 2.125, -0.125, 1, 2.125, 1, 0, 0.875, 1.75, 0.25, 1.375, 2.5},
             1e-6, 1e-6, "1-D batch");
}

// A deconvolution is Convolution's data gradient: Deconvolution(dy, w) with Convolution's parameters equals the
// data gradient of Convolution(x, w) for the head gradient dy.
TEST(Deconvolution, EqualsConvolutionDataGradient) {
  Params conv = {{"kernel", "(3,2)"}, {"num_filter", "6"}, {"num_group", "2"}, {"stride", "(2,1)"},
                 {"pad", "(1,1)"}, {"dilate", "(1,2)"}, {"no_bias", "True"}};
  auto x = Random({2, 4, 7, 6}, -1, 1, kFloat64, 1);
  auto w = Random({6, 2, 3, 2}, -1, 1, kFloat64, 2);
  auto dy = Random({2, 6, 4, 6}, -1, 1, kFloat64, 3);
  auto r = ForwardBackward("Convolution", {x, w}, conv, {dy}, true);
  Params dc = conv;
  dc[1].second = "4";
  dc.push_back({"adj", "(0,0)"});
  auto y = mxct::Run("Deconvolution", {dy, w}, dc);
  EXPECT_EQ(y[0].shape(), (TShape{2, 4, 7, 6}));
  ExpectNear(ToVec(y[0]), ToVec(r.grads[0]), 1e-12, 1e-12, "deconv vs conv data gradient");
}

void CheckBackward(const DeconvCfg &c, int dt, double tol) {
  auto xs = RandVec(mxc::ShapeSize(c.XShape()), -1, 1, 17);
  auto ws = RandVec(mxc::ShapeSize(c.WShape()), -1, 1, 18);
  auto bs = RandVec(c.F, -1, 1, 19);
  auto dys = RandVec(mxc::ShapeSize(c.YShape()), -1, 1, 20);
  std::vector<NDArray> ins = {FromVec(c.XShape(), xs, dt), FromVec(c.WShape(), ws, dt)};
  if (c.bias) ins.push_back(FromVec({c.F}, bs, dt));
  auto r = ForwardBackward("Deconvolution", ins, c.params(), {FromVec(c.YShape(), dys, dt)}, true);
  ExpectNear(ToVec(r.outputs[0]), NaiveDeconv(c, xs, ws, bs), tol, tol, "forward");
  std::vector<double> dx, dw, db;
  NaiveDeconvBackward(c, xs, ws, dys, &dx, &dw, &db);
  ExpectNear(ToVec(r.grads[0]), dx, tol, tol, "dx");
  ExpectNear(ToVec(r.grads[1]), dw, tol, tol, "dw");
  if (c.bias) ExpectNear(ToVec(r.grads[2]), db, tol, tol, "db");
}

TEST(Deconvolution, BackwardMatchesDirectLoop) {
  for (auto &c : Configs()) {
    SCOPED_TRACE("N" + std::to_string(c.N) + " C" + std::to_string(c.C) + " F" + std::to_string(c.F));
    CheckBackward(c, kFloat32, 1e-4);
    CheckBackward(c, kFloat64, 1e-10);
  }
}

TEST(Deconvolution, ManyChunks) {
  // The underlying convolution's columns are (4*9) x (16*16) per sample: several chunks of many samples.
  DeconvCfg c{600, 3, 16, 16, 4, 3, 3};
  c.sh = 2, c.sw = 2, c.ph = 1, c.pw = 1, c.ah = 1, c.aw = 1, c.bias = true;
  CheckBackward(c, kFloat64, 1e-9);
}

TEST(Deconvolution, Gradient) {
  for (auto c : Configs()) {
    c.N = std::min(c.N, 2);
    SCOPED_TRACE("C" + std::to_string(c.C) + " F" + std::to_string(c.F));
    std::vector<TShape> shapes = {c.XShape(), c.WShape()};
    if (c.bias) shapes.push_back({c.F});
    CheckGradient({"Deconvolution", c.params(), shapes});
  }
}

TEST(Deconvolution, ShapeInferenceAsMXNet) {
  const mxc::Op *op = FindOp("Deconvolution");
  auto infer = [&](const TShape &data, Params prm) {
    mxc::OpParams p(op, prm);
    std::vector<TShape> in(op->NumInputs(p)), out(1);
    in[0] = data;
    op->infer_shape(p, &in, &out);
    in.push_back(out[0]);
    return in;
  };
  // MXNet 1.9.1's infer_shape: (data, weight[, bias], output).
  EXPECT_EQ(infer({2, 3, 5, 5}, {{"kernel", "(3,3)"}, {"num_filter", "4"}, {"no_bias", "False"}}),
            (std::vector<TShape>{{2, 3, 5, 5}, {3, 4, 3, 3}, {4}, {2, 4, 7, 7}}));
  EXPECT_EQ(op->NumInputs(mxc::OpParams(op, {{"kernel", "(3,3)"}, {"num_filter", "4"}})), 2);  // no_bias=True
  struct Case {
    Params prm;
    TShape out;
  };
  const TShape d{1, 2, 4, 4};
  const std::vector<Case> cases = {
      {{{"stride", "(2,2)"}}, {1, 3, 9, 9}},
      {{{"stride", "(2,2)"}, {"pad", "(1,1)"}}, {1, 3, 7, 7}},
      {{{"stride", "(2,2)"}, {"pad", "(1,1)"}, {"adj", "(1,0)"}}, {1, 3, 8, 7}},
      {{{"stride", "(2,2)"}, {"dilate", "(2,2)"}}, {1, 3, 11, 11}},
      {{{"stride", "(2,2)"}, {"target_shape", "(7,8)"}}, {1, 3, 7, 8}},
      {{{"stride", "(2,2)"}, {"pad", "(1,1)"}, {"adj", "(1,1)"}, {"target_shape", "(8,8)"}}, {1, 3, 8, 8}},
      {{{"stride", "(2,2)"}, {"target_shape", "(6,6)"}}, {1, 3, 6, 6}},
      {{{"stride", "(2,2)"}, {"target_shape", "(8,0)"}}, {1, 3, 8, 0}},
      {{{"stride", "(2,2)"}, {"pad", "(4,4)"}}, {1, 3, 1, 1}},
      {{{"pad", "(3,3)"}}, {1, 3, 0, 0}},
  };
  for (auto c : cases) {
    c.prm.push_back({"kernel", "(3,3)"});
    c.prm.push_back({"num_filter", "3"});
    auto r = infer(d, c.prm);
    EXPECT_EQ(r[1], (TShape{2, 3, 3, 3}));
    EXPECT_EQ(r.back(), c.out) << c.prm[0].second;
  }
  EXPECT_EQ(infer({1, 4, 4, 4}, {{"kernel", "(3,3)"}, {"num_filter", "6"}, {"num_group", "2"}}),
            (std::vector<TShape>{{1, 4, 4, 4}, {4, 3, 3, 3}, {1, 6, 6, 6}}));
  EXPECT_EQ(infer({1, 2, 5}, {{"kernel", "(3,)"}, {"num_filter", "3"}, {"stride", "(2,)"}, {"target_shape", "(11,)"}}),
            (std::vector<TShape>{{1, 2, 5}, {2, 3, 3}, {1, 3, 11}}));
  // Without data: the weight's filters and kernel are known already.
  EXPECT_EQ(infer(TShape(), {{"kernel", "(3,2)"}, {"num_filter", "6"}, {"num_group", "3"}})[1],
            (TShape{0, 2, 3, 2}));
}

TEST(Deconvolution, Errors) {
  auto x = Random({1, 2, 4, 4}, -1, 1);
  auto w = Random({2, 3, 3, 3}, -1, 1);
  Params prm = {{"kernel", "(3,3)"}, {"num_filter", "3"}};
  auto with = [&](Params extra) {
    Params p = prm;
    for (auto &e : extra) p.push_back(e);
    return p;
  };
  ExpectErrorContains([&] { mxct::Run("Deconvolution", {x, Random({3, 2, 3, 3}, -1, 1)}, prm); },
                      {"Deconvolution", "weight", "(2,3,3,3)", "(3,2,3,3)"});
  ExpectErrorContains([&] { mxct::Run("Deconvolution", {x, w}, {{"num_filter", "3"}}); },
                      {"Deconvolution", "kernel"});
  ExpectErrorContains([&] { mxct::Run("Deconvolution", {x, w}, {{"kernel", "(3,3)"}}); },
                      {"Deconvolution", "num_filter"});
  ExpectErrorContains([&] { mxct::Run("Deconvolution", {x, w}, with({{"adj", "(1,1)"}})); },
                      {"Deconvolution", "adj", "(1,1)", "stride", "(1,1)"});
  ExpectErrorContains([&] { mxct::Run("Deconvolution", {x, w}, with({{"stride", "(2,2)"}, {"target_shape", "(10,10)"}})); },
                      {"Deconvolution", "target_shape", "(10,10)", "9", "(1,2,4,4)"});
  ExpectErrorContains([&] { mxct::Run("Deconvolution", {x, w}, with({{"target_shape", "(5,5)"}})); },
                      {"Deconvolution", "adj", "stride"});
  ExpectErrorContains([&] { mxct::Run("Deconvolution", {x, w}, with({{"stride", "(2,)"}})); },
                      {"Deconvolution", "stride"});
  ExpectErrorContains([&] { mxct::Run("Deconvolution", {x, w}, with({{"pad", "(4,4)"}})); },
                      {"Deconvolution", "pad", "(4,4)", "(1,2,4,4)"});
  ExpectErrorContains([&] { mxct::Run("Deconvolution", {Random({1, 3, 4, 4}, -1, 1), Random({3, 3, 3, 3}, -1, 1)},
                                {{"kernel", "(3,3)"}, {"num_filter", "6"}, {"num_group", "2"}}); },
                      {"Deconvolution", "num_group", "(1,3,4,4)"});
  ExpectErrorContains([&] { mxct::Run("Deconvolution", {Random({1, 4, 4, 4}, -1, 1), Random({4, 2, 3, 3}, -1, 1)},
                                {{"kernel", "(3,3)"}, {"num_filter", "5"}, {"num_group", "2"}}); },
                      {"Deconvolution", "num_filter", "num_group"});
  ExpectErrorContains([&] { mxct::Run("Deconvolution", {Random({1, 2, 5}, -1, 1), w}, prm); },
                      {"Deconvolution", "4-D", "(1,2,5)"});
  ExpectErrorContains([&] { mxct::Run("Deconvolution", {x, w}, {{"kernel", "(3,3,3)"}, {"num_filter", "3"}}); },
                      {"Deconvolution", "kernel"});
  ExpectErrorContains([&] { mxct::Run("Deconvolution", {x, w}, with({{"layout", "NHWC"}})); },
                      {"Deconvolution", "layout", "NHWC"});
  ExpectErrorContains([&] { mxct::Run("Deconvolution", {Random({1, 2, 4, 4}, -1, 1, mxc::kInt32), w}, prm); },
                      {"Deconvolution", "dtype"});
}

}  // namespace
