// SVMOutput, Crop, softmax_cross_entropy, _split_v2, _histogram, im2col and col2im against values printed by MXNet
// 1.9.1 and naive references, gradients (by finite differences where the head gradient counts), errors.
#include <cmath>

#include "test_op_nn_util.h"
#include "test_op_tensor_common.h"

namespace {

using namespace mxct;
using mxc::ErrorKind;

std::vector<double> SinX() {
  std::vector<double> v(12);
  for (int i = 0; i < 12; ++i) v[i] = std::sin(i * 0.9);
  return v;
}

// MXNet 1.9.1: SVMOutput(sin(arange(12) * 0.9).reshape(3, 4), label [1, 0, 3]); the gradient ignores the head
// gradient (3 here).
TEST(SVMOutput, AsMXNet) {
  auto x = FromVec({3, 4}, SinX());
  auto lab = FromVec({3}, {1, 0, 3});
  auto head = FromVec({3, 4}, std::vector<double>(12, 3.0));
  auto r = ForwardBackward("SVMOutput", {x, lab}, {}, {head}, true, {0});
  ExpectNear(ToVec(r.outputs[0]), SinX(), 1e-6, 1e-7, "output is the data");
  ExpectNear(ToVec(r.grads[0]),
             {2.0, -0.4333462, 3.9476953, 2.8547597, -2.8850408, 0.0449398, 0.454471, 2.0336277, 3.5873356, 3.9397798,
              2.8242369, -2.9150717},
             1e-5, 1e-6, "L2-SVM");
  auto r2 = ForwardBackward("SVMOutput", {x, lab}, {{"use_linear", "1"}}, {head}, true, {0});
  ExpectNear(ToVec(r2.grads[0]), {1, -1, 1, 1, -1, 1, 1, 1, 1, 1, 1, -1}, 1e-6, 1e-7, "L1-SVM");
  auto r3 = ForwardBackward("SVMOutput", {x, lab}, {{"margin", "0.5"}, {"regularization_coefficient", "2"}}, {head},
                            true, {0});
  ExpectNear(ToVec(r3.grads[0]),
             {2.0, 0.0, 5.8953905, 3.7095194, -3.7700818, 0.0, 0.0, 2.0672555, 5.1746712, 5.8795595, 3.648474,
              -3.8301435},
             1e-5, 1e-6, "margin and coefficient");
  ExpectError("SVMOutput", {x, FromVec({2}, {0, 1})}, {}, ErrorKind::kShape, {"SVMOutput", "label", "(2,)"});
}

// MXNet 1.9.1: Crop(arange(120).reshape(2, 2, 5, 6), ...).
TEST(Crop, AsMXNet) {
  auto d = FromVec({2, 2, 5, 6}, Iota(120));
  auto o = mxct::Run("Crop", {d}, {{"num_args", "1"}, {"offset", "(1,2)"}, {"h_w", "(2,3)"}})[0];
  EXPECT_EQ(o.shape(), mxc::TShape({2, 2, 2, 3}));
  ExpectNear(ToVec(o), {8, 9, 10, 14, 15, 16, 38, 39, 40, 44, 45, 46, 68, 69, 70, 74, 75, 76, 98, 99, 100, 104, 105,
                        106},
             0, 0, "offset");
  auto c = ToVec(mxct::Run("Crop", {d}, {{"num_args", "1"}, {"h_w", "(2,3)"}, {"center_crop", "1"}})[0]);
  ExpectNear(std::vector<double>(c.begin(), c.begin() + 6), {7, 8, 9, 13, 14, 15}, 0, 0, "center");
  auto like = mxct::Run("Crop", {d, FromVec({1, 1, 3, 3}, std::vector<double>(9, 0))},
                  {{"num_args", "2"}, {"center_crop", "1"}})[0];
  EXPECT_EQ(like.shape(), mxc::TShape({2, 2, 3, 3}));
  auto lv = ToVec(like);
  ExpectNear(std::vector<double>(lv.begin(), lv.begin() + 9), {7, 8, 9, 13, 14, 15, 19, 20, 21}, 0, 0, "crop_like");
  // the gradient lands in the cropped window
  auto r = ForwardBackward("Crop", {d}, {{"num_args", "1"}, {"offset", "(1,2)"}, {"h_w", "(2,3)"}},
                           {FromVec({2, 2, 2, 3}, std::vector<double>(24, 1.0))}, false);
  auto g = ToVec(r.grads[0]);
  ExpectNear(std::vector<double>(g.begin(), g.begin() + 30),
             {0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 0, 0, 0, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}, 0, 0,
             "gradient");
  CheckGradient(GradCase{"Crop", {{"num_args", "2"}, {"offset", "(1,1)"}}, {{1, 2, 4, 5}, {1, 1, 2, 3}}, -1, 1, {1}});
  ExpectError("Crop", {d}, {{"num_args", "1"}, {"offset", "(4,2)"}, {"h_w", "(2,3)"}}, ErrorKind::kShape,
              {"Crop", "(2,2,5,6)", "does not fit"});
  ExpectError("Crop", {d, d, d}, {{"num_args", "3"}}, ErrorKind::kValue, {"Crop", "num_args"});
}

// MXNet 1.9.1: softmax_cross_entropy(sin(arange(12) * 0.9).reshape(3, 4), [1, 0, 3]), head gradient 2.
TEST(SoftmaxCrossEntropy, AsMXNetAndNaive) {
  auto xv = SinX();
  auto r = ForwardBackward("softmax_cross_entropy", {FromVec({3, 4}, xv), FromVec({3}, {1, 0, 3})}, {},
                           {FromVec({1}, {2.0})}, false, {0});
  EXPECT_EQ(r.outputs[0].shape(), mxc::TShape({1}));
  double naive = 0;
  const int lab[3] = {1, 0, 3};
  for (int n = 0; n < 3; ++n) {
    double s = 0;
    for (int c = 0; c < 4; ++c) s += std::exp(xv[n * 4 + c]);
    naive += std::log(s) - xv[n * 4 + lab[n]];
  }
  EXPECT_NEAR(ToVec(r.outputs[0])[0], 4.9741545, 1e-5);
  EXPECT_NEAR(ToVec(r.outputs[0])[0], naive, 1e-5);
  ExpectNear(ToVec(r.grads[0]),
             {0.2713671, -1.4060475, 0.7186109, 0.4160695, -1.4855216, 0.3013113, 0.3697805, 0.8144296, 0.632578,
              0.7544775, 0.4319259, -1.8189814},
             1e-5, 1e-6, "gradient");
  GradCase g{"softmax_cross_entropy", {}, {{3, 5}, {3}}, -2, 2, {1},
             [](std::vector<NDArray> &in) { in[1] = FromVec({3}, {4, 0, 2}, mxc::kFloat64); }};
  CheckGradient(g);
  ExpectError("softmax_cross_entropy", {FromVec({3, 4}, xv), FromVec({2}, {0, 1})}, {}, ErrorKind::kShape,
              {"softmax_cross_entropy", "label", "(2,)"});
}

// MXNet 1.9.1: split_v2(arange(24).reshape(2, 6, 2), ...) shapes; the parts against slices of the data.
TEST(SplitV2, ShapesAndValues) {
  auto a = FromVec({2, 6, 2}, Iota(24));
  auto outs = ForwardAllOutputs("_split_v2", {a}, {{"indices", "(0,1,4)"}, {"axis", "1"}}, false);
  ASSERT_EQ(outs.size(), 3u);
  EXPECT_EQ(outs[0].shape(), mxc::TShape({2, 1, 2}));
  EXPECT_EQ(outs[1].shape(), mxc::TShape({2, 3, 2}));
  EXPECT_EQ(outs[2].shape(), mxc::TShape({2, 2, 2}));
  ExpectNear(ToVec(outs[0]), {0, 1, 12, 13}, 0, 0, "part 0");
  ExpectNear(ToVec(outs[1]), {2, 3, 4, 5, 6, 7, 14, 15, 16, 17, 18, 19}, 0, 0, "part 1");
  ExpectNear(ToVec(outs[2]), {8, 9, 10, 11, 20, 21, 22, 23}, 0, 0, "part 2");
  auto e = ForwardAllOutputs("_split_v2", {a}, {{"indices", "(0,2)"}, {"axis", "0"}}, false);
  EXPECT_EQ(e[1].shape(), mxc::TShape({0, 6, 2}));  // as MXNet: an empty last part
  auto s = ForwardAllOutputs("_split_v2", {a}, {{"indices", "()"}, {"sections", "2"}, {"axis", "0"},
                                                {"squeeze_axis", "1"}},
                             false);
  ASSERT_EQ(s.size(), 2u);
  EXPECT_EQ(s[1].shape(), mxc::TShape({6, 2}));
  ExpectNear(ToVec(s[1]), Iota(12, 12), 0, 0, "sections");
  CheckGradient(GradCase{"_split_v2", {{"indices", "(0,1,4)"}, {"axis", "-2"}}, {{2, 6, 2}}});
  ExpectError("_split_v2", {a}, {{"indices", "(0,4,2)"}}, ErrorKind::kValue, {"_split_v2", "(0,4,2)"});
  ExpectError("_split_v2", {a}, {{"indices", "()"}, {"sections", "4"}}, ErrorKind::kShape,
              {"_split_v2", "(2,6,2)", "4"});
}

// MXNet 1.9.1: histogram([0.1, 0.5, 0.5, 0.9, 1.0, -3, 2.5], bins=4, range=(0, 1)) and bins [0, 0.5, 1, 3].
TEST(Histogram, AsMXNet) {
  auto x = FromVec({7}, {0.1, 0.5, 0.5, 0.9, 1.0, -3, 2.5});
  auto o = ForwardAllOutputs("_histogram", {x}, {{"bin_cnt", "4"}, {"range", "(0, 1)"}}, false);
  EXPECT_EQ(o[0].dtype(), mxc::kInt64);
  ExpectNear(ToVec(o[0]), {1, 0, 2, 2}, 0, 0, "counts");
  ExpectNear(ToVec(o[1]), {0, 0.25, 0.5, 0.75, 1}, 0, 0, "edges");
  auto b = ForwardAllOutputs("_histogram", {x, FromVec({4}, {0, 0.5, 1, 3})}, {}, false);
  ExpectNear(ToVec(b[0]), {1, 3, 2}, 0, 0, "counts of given bins");
  ExpectNear(ToVec(b[1]), {0, 0.5, 1, 3}, 0, 0, "given edges");
  ExpectError("_histogram", {x}, {{"bin_cnt", "0"}, {"range", "(0, 1)"}}, ErrorKind::kValue, {"_histogram", "bin_cnt"});
  ExpectError("_histogram", {x}, {{"bin_cnt", "3"}, {"range", "(1, 0)"}}, ErrorKind::kValue, {"_histogram", "range"});
}

// A naive im2col of (C, H, W) for one sample: row c * kh * kw + i * kw + j, column oh * OW + ow.
std::vector<double> NaiveIm2col(const std::vector<double> &x, int C, int H, int W, int kh, int kw, int sh, int sw,
                                int ph, int pw, int dh, int dw, int *L) {
  const int OH = (H + 2 * ph - (dh * (kh - 1) + 1)) / sh + 1, OW = (W + 2 * pw - (dw * (kw - 1) + 1)) / sw + 1;
  *L = OH * OW;
  std::vector<double> col(C * kh * kw * OH * OW, 0.0);
  for (int c = 0; c < C; ++c)
    for (int i = 0; i < kh; ++i)
      for (int j = 0; j < kw; ++j)
        for (int oh = 0; oh < OH; ++oh)
          for (int ow = 0; ow < OW; ++ow) {
            const int h = oh * sh - ph + i * dh, w = ow * sw - pw + j * dw;
            if (h >= 0 && h < H && w >= 0 && w < W)
              col[((c * kh + i) * kw + j) * OH * OW + oh * OW + ow] = x[(c * H + h) * W + w];
          }
  return col;
}

// MXNet 1.9.1: im2col(arange(40).reshape(1, 2, 4, 5), kernel=(2, 3), stride=(1, 2), pad=(1, 0)) and col2im back.
TEST(Im2col, AsMXNetAndNaive) {
  auto d = FromVec({1, 2, 4, 5}, Iota(40));
  const Params ps{{"kernel", "(2,3)"}, {"stride", "(1,2)"}, {"pad", "(1,0)"}};
  auto c = mxct::Run("im2col", {d}, ps)[0];
  EXPECT_EQ(c.shape(), mxc::TShape({1, 12, 10}));
  auto cv = ToVec(c);
  ExpectNear(std::vector<double>(cv.begin(), cv.begin() + 20),
             {0, 0, 0, 2, 5, 7, 10, 12, 15, 17, 0, 0, 1, 3, 6, 8, 11, 13, 16, 18}, 0, 0, "MXNet");
  int L = 0;
  ExpectNear(cv, NaiveIm2col(Iota(40), 2, 4, 5, 2, 3, 1, 2, 1, 0, 1, 1, &L), 0, 0, "naive");
  EXPECT_EQ(mxct::Run("im2col", {d}, {{"kernel", "(3,3)"}, {"dilate", "(2,1)"}, {"pad", "(2,1)"}})[0].shape(),
            mxc::TShape({1, 18, 20}));
  auto x2 = RandVec(2 * 3 * 6 * 5, -1, 1, 5);
  ExpectNear(ToVec(mxct::Run("im2col", {FromVec({1, 3, 6, 5}, std::vector<double>(x2.begin(), x2.begin() + 90))},
                       {{"kernel", "(3,2)"}, {"dilate", "(2,1)"}, {"pad", "(2,1)"}, {"stride", "(2,1)"}})[0]),
             NaiveIm2col(std::vector<double>(x2.begin(), x2.begin() + 90), 3, 6, 5, 3, 2, 2, 1, 2, 1, 2, 1, &L), 1e-6,
             1e-7, "naive dilated");
  auto back = ToVec(mxct::Run("col2im", {c}, {{"output_size", "(4,5)"}, {"kernel", "(2,3)"}, {"stride", "(1,2)"},
                                        {"pad", "(1,0)"}})[0]);
  ExpectNear(back, {0, 2, 8, 6, 8, 10, 12, 28, 16, 18, 20, 22, 48, 26, 28, 30, 32, 68, 36, 38,
                    40, 42, 88, 46, 48, 50, 52, 108, 56, 58, 60, 62, 128, 66, 68, 70, 72, 148, 76, 78},
             0, 0, "col2im as MXNet");
  // 1-D and 3-D
  EXPECT_EQ(mxct::Run("im2col", {FromVec({2, 1, 5}, Iota(10))}, {{"kernel", "(2,)"}})[0].shape(),
            mxc::TShape({2, 2, 4}));
  EXPECT_EQ(mxct::Run("im2col", {FromVec({1, 1, 3, 3, 3}, Iota(27))}, {{"kernel", "(2,2,2)"}})[0].shape(),
            mxc::TShape({1, 8, 8}));
  CheckGradient(GradCase{"im2col", ps, {{1, 2, 4, 5}}});
  CheckGradient(GradCase{"im2col", {{"kernel", "(2,2,2)"}, {"pad", "(1,0,1)"}}, {{1, 1, 3, 3, 2}}});
  CheckGradient(GradCase{"col2im", {{"output_size", "(4,5)"}, {"kernel", "(2,3)"}, {"stride", "(1,2)"},
                                    {"pad", "(1,0)"}},
                         {{1, 12, 10}}});
  ExpectError("im2col", {d}, {{"kernel", "(2,)"}}, ErrorKind::kShape, {"im2col", "(2,)"});
  ExpectError("im2col", {d}, {{"kernel", "(6,3)"}}, ErrorKind::kShape, {"im2col", "exceeds"});
  ExpectError("col2im", {c}, {{"output_size", "(4,8)"}, {"kernel", "(2,3)"}, {"stride", "(1,2)"}, {"pad", "(1,0)"}},
              ErrorKind::kShape, {"col2im", "(1,12,10)"});
}

}  // namespace
