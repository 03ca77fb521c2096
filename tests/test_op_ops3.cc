// CPU kernels of the operators added on branch ops3 (Correlation, contrib count_sketch, RROIAlign, hawkesll,
// group_adagrad_update, fill_element_0index and pick's alias choose_element_0index): values printed by MXNet 1.9.1,
// naive loops, errors, and gradients by finite differences.
#include <cmath>

#include "test_op_nn_util.h"
#include "test_op_tensor_common.h"

namespace {

using namespace mxct;
using mxc::ErrorKind;

// ---- Correlation ----------------------------------------------------------------------------------------------
// A naive correlation on zero-padded copies (kernel k, max displacement md, strides s1, s2, pad, products or
// absolute differences).
std::vector<double> NaiveCorr(const std::vector<double> &a, const std::vector<double> &b, int64_t N, int64_t C,
                              int64_t H, int64_t W, int64_t k, int64_t md, int64_t s1, int64_t s2, int64_t pad,
                              bool mult, int64_t *th, int64_t *tw, int64_t *D) {
  const int64_t PH = H + 2 * pad, PW = W + 2 * pad, border = md + (k - 1) / 2, r = md / s2;
  *th = (PH - 2 * border + s1 - 1) / s1;
  *tw = (PW - 2 * border + s1 - 1) / s1;
  *D = 2 * r + 1;
  auto at = [&](const std::vector<double> &v, int64_t n, int64_t c, int64_t y, int64_t x) {
    y -= pad, x -= pad;
    return (y < 0 || y >= H || x < 0 || x >= W) ? 0.0 : v[((n * C + c) * H + y) * W + x];
  };
  std::vector<double> out(N * *D * *D * *th * *tw);
  size_t e = 0;
  for (int64_t n = 0; n < N; ++n)
    for (int64_t q = 0; q < *D * *D; ++q)
      for (int64_t y = 0; y < *th; ++y)
        for (int64_t x = 0; x < *tw; ++x, ++e) {
          const int64_t dx = (q % *D - r) * s2, dy = (q / *D - r) * s2, x1 = x * s1 + md, y1 = y * s1 + md;
          double acc = 0;
          for (int64_t c = 0; c < C; ++c)
            for (int64_t j = 0; j < k; ++j)
              for (int64_t i = 0; i < k; ++i) {
                const double va = at(a, n, c, y1 + j, x1 + i), vb = at(b, n, c, y1 + dy + j, x1 + dx + i);
                acc += mult ? va * vb : std::fabs(va - vb);
              }
          out[e] = acc / static_cast<double>(k * k * C);
        }
  return out;
}

TEST(Correlation, AsMXNet) {
  std::vector<double> d1(24), d2(24);
  for (int i = 0; i < 24; ++i) d1[i] = ((i * 7) % 11 - 5) / 4.0, d2[i] = ((i * 5) % 13 - 6) / 4.0;
  auto y = ToVec(mxct::Run("Correlation", {FromVec({1, 2, 3, 4}, d1), FromVec({1, 2, 3, 4}, d2)},
                     {{"kernel_size", "1"}, {"max_displacement", "1"}, {"pad_size", "1"}})[0]);
  ExpectNear(y, {0.0, 0.0, 0.0, 0.0, 0.0, 0.8125, -0.125, 0.125, 0.0, 0.21875, -0.34375, 0.6875, 0.0, 0.0, 0.0, 0.0, -0.375,
     -0.65625, 0.5, -0.5, -0.5, 0.53125, -0.875, -0.59375, 0.0, 0.0, 0.0, 0.0, 0.53125, -0.5, -0.5, 0.0,
     -0.65625, -0.375, 0.21875, 0.0, 0.0, -0.5, -0.875, 0.59375, 0.0, -0.59375, 0.75, -0.75, 0.0, -0.5625,
     0.78125, -0.78125, 1.0625, 0.3125, -0.40625, -0.5, 0.40625, -0.4375, -0.25, 0.25, 0.90625, 0.15625,
     -0.15625, 0.78125, -0.21875, 0.3125, 0.875, 0.0, 0.09375, 0.9375, 0.375, 0.0, -0.46875, 0.46875, -0.6875,
     0.0, 0.0, 0.3125, -0.21875, -0.125, 0.0, 0.84375, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, -0.40625, 0.3125, 1.0625,
     0.40625, -0.4375, -0.625, 0.625, -0.625, 0.0, 0.0, 0.0, 0.0, -0.875, -0.5, -0.5, 0.0, 0.46875, -0.46875,
     -0.375, 0.0, 0.0, 0.0, 0.0, 0.0}, 1e-6, 1e-7, "MXNet");
  auto y2 = ToVec(mxct::Run("Correlation", {FromVec({1, 2, 3, 4}, d1), FromVec({1, 2, 3, 4}, d2)},
                      {{"kernel_size", "3"}, {"max_displacement", "1"}, {"pad_size", "2"}, {"stride1", "2"},
                       {"is_multiply", "false"}})[0]);
  ExpectNear(y2, {0.2777777910232544, 0.5555555820465088, 0.4027777910232544, 0.9166666865348816, 0.4861111044883728,
     0.5833333134651184, 0.75, 1.0, 0.5, 0.625, 1.0, 0.9305555820465088, 0.4861111044883728, 0.75,
     0.4861111044883728, 0.7222222089767456, 0.2916666567325592, 0.8333333134651184, 0.2916666567325592,
     0.7222222089767456, 0.5555555820465088, 0.3055555522441864, 0.5555555820465088, 0.4444444477558136,
     0.3472222089767456, 0.9444444179534912, 0.25, 0.5277777910232544, 0.8055555820465088, 0.8055555820465088,
     0.4861111044883728, 0.5833333134651184, 1.0, 0.9861111044883728, 0.4722222089767456, 0.625}, 1e-6, 1e-7, "MXNet abs");
}

TEST(Correlation, AsNaiveLoops) {
  struct P { int64_t k, md, s1, s2, pad; bool mult; };
  for (const P &c : {P{1, 1, 1, 1, 0, true}, P{3, 2, 1, 1, 2, true}, P{1, 2, 2, 1, 1, false}, P{3, 4, 2, 2, 4, true},
                     P{5, 0, 1, 1, 2, false}}) {
    auto a = Random({2, 3, 6, 7}, -1, 1, mxc::kFloat64, 3), b = Random({2, 3, 6, 7}, -1, 1, mxc::kFloat64, 4);
    int64_t th, tw, D;
    auto ref = NaiveCorr(ToVec(a), ToVec(b), 2, 3, 6, 7, c.k, c.md, c.s1, c.s2, c.pad, c.mult, &th, &tw, &D);
    auto out = mxct::Run("Correlation", {a, b},
                   {{"kernel_size", std::to_string(c.k)}, {"max_displacement", std::to_string(c.md)},
                    {"stride1", std::to_string(c.s1)}, {"stride2", std::to_string(c.s2)},
                    {"pad_size", std::to_string(c.pad)}, {"is_multiply", c.mult ? "true" : "false"}})[0];
    EXPECT_EQ(out.shape(), (TShape{2, D * D, th, tw}));
    ExpectNear(ToVec(out), ref, 1e-12, 1e-13, "k=" + std::to_string(c.k) + " md=" + std::to_string(c.md));
  }
}

TEST(Correlation, Gradient) {
  CheckGradient({"Correlation", {{"kernel_size", "3"}, {"max_displacement", "2"}, {"pad_size", "2"}},
                 {{2, 2, 5, 6}, {2, 2, 5, 6}}});
  CheckGradient({"Correlation", {{"max_displacement", "2"}, {"stride1", "2"}, {"stride2", "2"}, {"pad_size", "1"}},
                 {{1, 3, 6, 5}, {1, 3, 6, 5}}});
  CheckGradient({"Correlation", {{"kernel_size", "3"}, {"pad_size", "1"}, {"is_multiply", "false"}},
                 {{1, 2, 4, 5}, {1, 2, 4, 5}}});
}

TEST(Correlation, Errors) {
  auto x = FromVec({1, 2, 5, 5}, std::vector<double>(50, 1.0));
  ExpectError("Correlation", {x, x}, {{"kernel_size", "2"}}, ErrorKind::kValue, {"Correlation", "kernel_size"});
  ExpectError("Correlation", {x, x}, {{"max_displacement", "5"}}, ErrorKind::kValue, {"Correlation", "fit"});
  ExpectError("Correlation", {x, x}, {{"stride2", "0"}}, ErrorKind::kValue, {"Correlation", "stride"});
  ExpectError("Correlation", {x, FromVec({1, 2, 5, 4}, std::vector<double>(40, 1.0))}, {}, ErrorKind::kShape,
              {"Correlation", "(1,2,5,4)", "same shape"});
}

// ---- count_sketch ---------------------------------------------------------------------------------------------
TEST(CountSketch, DocstringExampleAndGradient) {
  auto y = ToVec(mxct::Run("_contrib_count_sketch", {FromVec({2, 3}, {1.2, 2.5, 3.4, 3.2, 5.7, 6.6}),
                                               FromVec({1, 3}, {0, 3, 4}), FromVec({1, 3}, {1, -1, 1})},
                     {{"out_dim", "5"}})[0]);
  ExpectNear(y, {1.2, 0, 0, -2.5, 3.4, 3.2, 0, 0, -5.7, 6.6}, 1e-6, 1e-7, "docstring");
  GradCase c{"_contrib_count_sketch", {{"out_dim", "4"}}, {{3, 7}, {1, 7}, {1, 7}}};
  c.no_grad = {1, 2};
  c.fill = [](std::vector<NDArray> &in) {
    in[1] = FromVec({1, 7}, {0, 3, 1, 3, 2, 0, 3}, mxc::kFloat64);
    in[2] = FromVec({1, 7}, {1, -1, -1, 1, 1, -1, 1}, mxc::kFloat64);
  };
  CheckGradient(c);
  ExpectError("_contrib_count_sketch", {FromVec({1, 2}, {1, 2}), FromVec({1, 2}, {0, 7}), FromVec({1, 2}, {1, 1})},
              {{"out_dim", "3"}}, ErrorKind::kIndex, {"_contrib_count_sketch", "h[0, 1] = 7"});
}

// ---- RROIAlign ------------------------------------------------------------------------------------------------
TEST(RROIAlign, AsMXNet) {
  std::vector<double> x(120);
  for (int i = 0; i < 120; ++i) x[i] = (i % 7) / 3.0;
  auto rois = FromVec({5, 6}, {0, 2.5, 2, 3, 2, 0, 1, 3, 2.5, 4, 3, 30, 0, 2, 2, 2, 4, -45, 1, 1, 1, 0.5, 0.5, 90,
                               0, 4, 1, 6, 3, 150});
  auto y = mxct::Run("_contrib_RROIAlign", {FromVec({2, 2, 5, 6}, x), rois}, {{"pooled_size", "(2, 3)"},
                                                                       {"spatial_scale", "1"}})[0];
  EXPECT_EQ(y.shape(), (TShape{5, 2, 2, 3}));
  ExpectNear(ToVec(y), {0.5833333134651184, 0.3333333432674408, 0.6666666865348816, 1.4166666269302368, 0.5833333134651184,
     0.3333333432674408, 0.6666666865348816, 1.0, 1.3333333730697632, 0.3333333432674408, 0.6666666865348816,
     1.0, 0.9843839406967163, 1.5915062427520752, 0.9274437427520752, 0.8270055651664734, 1.4084936380386353,
     1.4083080291748047, 1.6510505676269531, 0.712714433670044, 0.5319620966911316, 1.493672251701355,
     1.2872854471206665, 0.34845978021621704, 0.4954715967178345, 0.471404492855072, 0.4954715967178345,
     1.5442872047424316, 1.3743865489959717, 1.5442869663238525, 1.1380711793899536, 1.1380711793899536,
     1.138071060180664, 0.5610379576683044, 0.3325095474720001, 0.5610379576683044, 1.1388888359069824, 1.25,
     1.3611111640930176, 1.3055554628372192, 1.4166666269302368, 1.5277777910232544, 1.8055555820465088,
     1.9166666269302368, 1.4444444179534912, 1.5833333730697632, 1.5, 1.0277776718139648, 0.7615385055541992,
     0.6584936380386353, 0.41447681188583374, 0.649919867515564, 1.3228164911270142, 0.6811967492103577,
     1.428205132484436, 1.3251603841781616, 1.0811434984207153, 0.8524240255355835, 1.4662883281707764,
     1.181196689605713}, 1e-5, 1e-6, "MXNet");
  ExpectError("_contrib_RROIAlign", {FromVec({2, 2, 5, 6}, x), FromVec({1, 5}, {0, 1, 1, 1, 1})},
              {{"pooled_size", "(2, 2)"}, {"spatial_scale", "1"}}, ErrorKind::kShape, {"RROIAlign", "(1,5)"});
}

// ---- fill_element_0index / choose_element_0index --------------------------------------------------------------
TEST(FillElement0Index, AsMXNet) {
  auto x = FromVec({4, 3}, Iota(12, 1));
  ExpectNear(ToVec(mxct::Run("fill_element_0index", {x, FromVec({4}, {10, 20, 30, 40}), FromVec({4}, {0, -1, 1, 5})})[0]),
             {10, 2, 3, 4, 5, 6, 7, 30, 9, 10, 11, 12}, 0, 0, "MXNet");
  ExpectNear(ToVec(mxct::Run("choose_element_0index", {x, FromVec({4}, {0, 2, 1, 5})})[0]), {1, 6, 8, 12}, 0, 0, "pick");
  ExpectError("fill_element_0index", {x, FromVec({3}, {1, 2, 3}), FromVec({4}, {0, 0, 0, 0})}, {}, ErrorKind::kShape,
              {"fill_element_0index", "(3,)"});
}

// ---- hawkesll -------------------------------------------------------------------------------------------------
TEST(HawkesLL, DocstringExampleAsMXNet) {
  auto lda = FromVec({4, 3}, {1.5, 2, 3, 1.5, 2, 3, 1.5, 2, 3, 1.5, 2, 3});
  auto out = mxct::Run("_contrib_hawkesll",
                 {lda, FromVec({3}, {0.2, 0.3, 0.4}), FromVec({3}, {1, 2, 3}), FromVec({4, 3}, std::vector<double>(12)),
                  FromVec({4, 4}, {6, 7, 8, 9, 1, 2, 3, 4, 3, 4, 5, 6, 8, 9, 10, 11}),
                  FromVec({4, 4}, std::vector<double>(16), mxc::kInt32), FromVec({4}, {1, 2, 3, 4}),
                  FromVec({4}, {100, 100, 100, 100})});
  ASSERT_EQ(out.size(), 2u);
  ExpectNear(ToVec(out[0]), {-649.79456, -649.57117, -649.38025, -649.1781}, 1e-6, 0, "MXNet loglike");
  auto st = ToVec(out[1]);
  ExpectNear({st[0], st[3], st[6], st[9]}, {1.5007907e-41, 8.4778557e-43, 6.0961444e-39, 1.1850846e-27}, 1e-5, 0,
             "MXNet state");
}

// ---- group_adagrad_update -------------------------------------------------------------------------------------
TEST(GroupAdagrad, AsMXNet) {
  std::vector<double> g(12);
  for (int i = 0; i < 12; ++i) g[i] = (i % 5 - 2) / 3.0;
  std::vector<double> wv = Iota(12);
  for (auto &v : wv) v /= 10;
  auto w = FromVec({4, 3}, wv), h = FromVec({4, 1}, {0.5, 0.5, 0.5, 0.5});
  auto y = mxct::Run("_contrib_group_adagrad_update", {w, FromVec({4, 3}, g), h},
               {{"lr", "0.2"}, {"rescale_grad", "2"}, {"clip_gradient", "1"}, {"epsilon", "0.01"}})[0];
  ExpectNear(ToVec(y), {0.20085734128952026, 0.2339048981666565, 0.20000000298023224, 0.1841593086719513,
                        0.22623896598815918, 0.6737610101699829, 0.7484880685806274, 0.699999988079071,
                        0.6515120267868042, 0.7262389659881592, 1.173761010169983, 1.2158406972885132},
             1e-6, 1e-7, "MXNet weight");
  ExpectNear(ToVec(h), {0.9814814329147339, 1.314814805984497, 0.7962963581085205, 1.314814805984497}, 1e-6, 1e-7,
             "MXNet history");
}

}  // namespace
