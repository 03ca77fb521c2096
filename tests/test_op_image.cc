// MXNet 1.9.1's _image_* operators: values printed by MXNet 1.9.1 on a small odd-sized image (uint8 and float32),
// naive loops for the layouts (3-D and 4-D), the random operators' ranges and reproducibility, errors, and the
// gradients by finite differences.
#include <algorithm>
#include <cmath>
#include <set>

#include "test_op_tensor_common.h"

namespace {

using namespace mxct;
using mxc::ErrorKind;

// The image MXNet was asked about: (arange(18).reshape(2, 3, 3) * 13) % 256, (H, W, C) = (2, 3, 3).
std::vector<double> Img() {
  std::vector<double> v(18);
  for (int i = 0; i < 18; ++i) v[i] = (i * 13) % 256;
  return v;
}
NDArray ImgArr(int dtype) { return FromVec({2, 3, 3}, Img(), dtype); }

TEST(ImageToTensor, AsMXNet) {
  for (int dt : {mxc::kUint8, mxc::kFloat32, mxc::kFloat64, mxc::kInt32}) {
    auto y = mxct::Run("_image_to_tensor", {ImgArr(dt)})[0];
    EXPECT_EQ(y.shape(), TShape({3, 2, 3}));
    EXPECT_EQ(y.dtype(), mxc::kFloat32);
    // MXNet 1.9.1
    ExpectNear(ToVec(y),
               {0.0, 0.15294118225574493, 0.30588236451148987, 0.4588235318660736, 0.6117647290229797,
                0.7647058963775635, 0.05098039284348488, 0.20392157137393951, 0.35686275362968445,
                0.5098039507865906, 0.6627451181411743, 0.8156862854957581, 0.10196078568696976,
                0.2549019753932953, 0.40784314274787903, 0.5607843399047852, 0.7137255072593689,
                0.8666666746139526},
               1e-6, 1e-7, "to_tensor");
  }
  // a batch (N, H, W, C) -> (N, C, H, W), naive loop
  auto x = Random({2, 3, 5, 4}, 0, 255, mxc::kFloat32, 7);
  auto xv = ToVec(x);
  auto y = mxct::Run("_image_to_tensor", {x})[0];
  EXPECT_EQ(y.shape(), TShape({2, 4, 3, 5}));
  std::vector<double> want(xv.size());
  for (int n = 0; n < 2; ++n)
    for (int h = 0; h < 3; ++h)
      for (int w = 0; w < 5; ++w)
        for (int c = 0; c < 4; ++c) want[((n * 4 + c) * 3 + h) * 5 + w] = xv[((n * 3 + h) * 5 + w) * 4 + c] / 255.0;
  ExpectNear(ToVec(y), want, 1e-6, 1e-7, "batch");
  ExpectError("_image_to_tensor", {FromVec({3, 4}, Iota(12))}, {}, ErrorKind::kShape, {"_image_to_tensor", "(3,4)"});
}

TEST(ImageNormalize, AsMXNet) {
  auto t = mxct::Run("_image_to_tensor", {ImgArr(mxc::kUint8)})[0];
  auto y = mxct::Run("_image_normalize", {t}, {{"mean", "(0.1, 0.2, 0.3)"}, {"std", "(0.5, 1.5, 2.0)"}})[0];
  // MXNet 1.9.1
  ExpectNear(ToVec(y),
             {-0.20000000298023224, 0.10588236153125763, 0.4117647409439087, 0.7176470756530762, 1.0235294103622437,
              1.3294117450714111, -0.09934640675783157, 0.0026143789291381836, 0.10457516461610794,
              0.20653598010540009, 0.30849674344062805, 0.4104575216770172, -0.0990196168422699,
              -0.022549018263816833, 0.05392156541347504, 0.1303921639919281, 0.20686274766921997,
              0.28333333134651184},
             1e-6, 1e-7, "per channel");
  auto y1 = mxct::Run("_image_normalize", {t}, {{"mean", "0.1"}, {"std", "0.5"}})[0];
  const auto y1v = ToVec(y1);
  ExpectNear(std::vector<double>(y1v.begin() + 6, y1v.begin() + 9),
             {-0.09803921729326248, 0.2078431397676468, 0.5137255191802979}, 1e-6, 1e-7, "one mean and std");
  // defaults: identity; a batch and one channel
  ExpectNear(ToVec(mxct::Run("_image_normalize", {t})[0]), ToVec(t), 0, 0, "defaults");
  auto b = Random({2, 1, 3, 5}, -1, 1, mxc::kFloat64, 3);
  auto bv = ToVec(b);
  auto yb = ToVec(mxct::Run("_image_normalize", {b}, {{"mean", "(0.25,)"}, {"std", "(4,)"}})[0]);
  for (size_t i = 0; i < bv.size(); ++i) EXPECT_NEAR(yb[i], (bv[i] - 0.25) / 4, 1e-15);
  ExpectError("_image_normalize", {FromVec({4, 2, 2}, Iota(16))}, {}, ErrorKind::kShape,
              {"_image_normalize", "(4,2,2)", "1 or 3"});
  ExpectError("_image_normalize", {t}, {{"mean", "(1, 2)"}}, ErrorKind::kValue, {"_image_normalize", "mean"});
  ExpectError("_image_normalize", {t}, {{"std", "(1, 0, 1)"}}, ErrorKind::kValue, {"_image_normalize", "std"});
}

TEST(ImageFlip, NaiveAndMXNet) {
  // MXNet 1.9.1's flip_top_bottom of the image (its flip_left_right garbles the middle column of odd widths, so
  // that one is checked against the naive loop only)
  auto tb = mxct::Run("_image_flip_top_bottom", {ImgArr(mxc::kUint8)})[0];
  ExpectNear(ToVec(tb), {117, 130, 143, 156, 169, 182, 195, 208, 221, 0, 13, 26, 39, 52, 65, 78, 91, 104}, 0, 0,
             "top-bottom");
  for (int dt : {mxc::kUint8, mxc::kFloat32, mxc::kInt32, mxc::kFloat64}) {
    auto x = Random({3, 5, 2}, 0, 100, dt, 11);
    auto xv = ToVec(x);
    auto lr = ToVec(mxct::Run("_image_flip_left_right", {x})[0]);
    auto ud = ToVec(mxct::Run("_image_flip_top_bottom", {x})[0]);
    for (int h = 0; h < 3; ++h)
      for (int w = 0; w < 5; ++w)
        for (int c = 0; c < 2; ++c) {
          EXPECT_EQ(lr[(h * 5 + w) * 2 + c], xv[(h * 5 + 4 - w) * 2 + c]);
          EXPECT_EQ(ud[(h * 5 + w) * 2 + c], xv[((2 - h) * 5 + w) * 2 + c]);
        }
  }
  ExpectError("_image_flip_left_right", {Random({2, 2, 2, 3}, 0, 1)}, {}, ErrorKind::kShape,
              {"_image_flip_left_right", "(2,2,2,3)"});
}

TEST(ImageRandomFlip, BothOutcomesAndSeed) {
  auto x = Random({3, 4, 3}, 0, 1, mxc::kFloat32, 5);
  auto xv = ToVec(x);
  auto flipped = ToVec(mxct::Run("_image_flip_left_right", {x})[0]);
  std::set<int> seen;
  std::vector<int> first;
  mxc::SeedAll(42);
  for (int i = 0; i < 40; ++i) {
    auto y = ToVec(mxct::Run("_image_random_flip_left_right", {x})[0]);
    ASSERT_TRUE(y == xv || y == flipped);
    seen.insert(y == flipped);
    first.push_back(y == flipped);
  }
  EXPECT_EQ(seen.size(), 2u);
  mxc::SeedAll(42);
  for (int i = 0; i < 40; ++i) EXPECT_EQ(ToVec(mxct::Run("_image_random_flip_left_right", {x})[0]) == flipped, first[i]);
  auto ud = ToVec(mxct::Run("_image_flip_top_bottom", {x})[0]);
  seen.clear();
  for (int i = 0; i < 40; ++i) {
    auto y = ToVec(mxct::Run("_image_random_flip_top_bottom", {x})[0]);
    ASSERT_TRUE(y == xv || y == ud);
    seen.insert(y == ud);
  }
  EXPECT_EQ(seen.size(), 2u);
}

// MXNet 1.9.1 with a fixed factor (min_factor == max_factor) on the image as uint8 and as float32.
struct ColourCase {
  const char *op;
  double factor;
  std::vector<double> u8, f32;
};

TEST(ImageColour, AsMXNet) {
  const std::vector<ColourCase> cases = {
      {"_image_random_brightness", 0.5,
       {0, 6, 13, 19, 26, 32, 39, 45, 52, 58, 65, 71, 78, 84, 91, 97, 104, 110},
       {0.0, 6.5, 13.0, 19.5, 26.0, 32.5, 39.0, 45.5, 52.0, 58.5, 65.0, 71.5, 78.0, 84.5, 91.0, 97.5, 104.0, 110.5}},
      {"_image_random_contrast", 0.5,
       {54, 60, 67, 73, 80, 86, 93, 99, 106, 112, 119, 125, 132, 138, 145, 151, 158, 164},
       {54.0474967956543, 60.5474967956543, 67.04750061035156, 73.54750061035156, 80.04750061035156,
        86.54750061035156, 93.04750061035156, 99.54750061035156, 106.04750061035156, 112.54750061035156,
        119.04750061035156, 125.54750061035156, 132.04750061035156, 138.54750061035156, 145.04750061035156,
        151.54750061035156, 158.04750061035156, 164.54750061035156}},
      {"_image_random_saturation", 0.5,
       {1, 7, 14, 23, 29, 36, 44, 51, 57, 66, 73, 79, 88, 94, 101, 110, 116, 123},
       {1.4819999933242798, 7.98199987411499, 14.482000350952148, 23.204999923706055, 29.704999923706055,
        36.20500183105469, 44.928001403808594, 51.428001403808594, 57.928001403808594, 66.6510009765625,
        73.1510009765625, 79.6510009765625, 88.3740005493164, 94.8740005493164, 101.3740005493164,
        110.09700012207031, 116.59700012207031, 123.09700012207031}},
      {"_image_random_hue", 0.5,
       {26, 13, 0, 65, 52, 39, 103, 91, 78, 143, 130, 117, 182, 169, 156, 221, 208, 195},
       {26.0, 13.000012397766113, 0.0, 65.0, 52.00001525878906, 39.000003814697266, 103.99999237060547,
        91.00001525878906, 78.00000762939453, 143.0, 130.00001525878906, 117.00000762939453, 182.0,
        169.00001525878906, 156.0, 221.0, 208.00001525878906, 195.0}},
      {"_image_random_hue", 0.1, {},
       {2.6000099182128906, 0.0, 26.0, 41.60001754760742, 39.000003814697266, 65.0, 80.60002136230469,
        78.00000762939453, 103.99999237060547, 119.60000610351562, 117.00000762939453, 143.0, 158.60000610351562,
        156.0, 182.0, 197.60000610351562, 195.0, 221.0}},
  };
  for (const auto &c : cases) {
    SCOPED_TRACE(std::string(c.op) + " " + std::to_string(c.factor));
    const Params p = {{"min_factor", std::to_string(c.factor)}, {"max_factor", std::to_string(c.factor)}};
    if (!c.u8.empty()) {
      auto u = mxct::Run(c.op, {ImgArr(mxc::kUint8)}, p)[0];
      EXPECT_EQ(u.dtype(), mxc::kUint8);
      // hue: MXNet's float32 rounding can land just below an integer (103.99999 -> 103)
      ExpectNear(ToVec(u), c.u8, 0, std::string(c.op) == "_image_random_hue" ? 1.0 : 0.0, "uint8");
    }
    ExpectNear(ToVec(mxct::Run(c.op, {ImgArr(mxc::kFloat32)}, p)[0]), c.f32, 1e-5, 1e-4, "float32");
  }
  // MXNet 1.9.1: brightness 1.7 saturates uint8 at 255; saturation 0.3
  ExpectNear(ToVec(mxct::Run("_image_random_brightness", {ImgArr(mxc::kUint8)}, {{"min_factor", "1.7"},
                                                                          {"max_factor", "1.7"}})[0]),
             {0, 22, 44, 66, 88, 110, 132, 154, 176, 198, 221, 243, 255, 255, 255, 255, 255, 255}, 0, 0, "1.7");
  ExpectNear(ToVec(mxct::Run("_image_random_saturation", {ImgArr(mxc::kFloat32)}, {{"min_factor", "0.3"},
                                                                            {"max_factor", "0.3"}})[0]),
             {2.0748000144958496, 5.974800109863281, 9.874799728393555, 16.887001037597656, 20.78700065612793,
              24.687000274658203, 31.699201583862305, 35.59920120239258, 39.49919891357422, 46.51140213012695,
              50.411399841308594, 54.3114013671875, 61.32360076904297, 65.22360229492188, 69.12360382080078,
              76.13580322265625, 80.03579711914062, 83.93580627441406},
             1e-5, 1e-4, "saturation 0.3");
  // MXNet 1.9.1: contrast of a one-channel image blends with its mean value
  ExpectNear(ToVec(mxct::Run("_image_random_contrast", {FromVec({2, 2, 1}, {10, 200, 50, 90})},
                       {{"min_factor", "0.5"}, {"max_factor", "0.5"}})[0]),
             {48.75, 143.75, 68.75, 88.75}, 1e-6, 1e-6, "one channel");
  ExpectError("_image_random_brightness", {ImgArr(mxc::kFloat32)}, {{"min_factor", "-1"}, {"max_factor", "2"}},
              ErrorKind::kValue, {"_image_random_brightness", "min_factor"});
  ExpectError("_image_random_hue", {FromVec({2, 2, 4}, Iota(16))}, {{"min_factor", "0"}, {"max_factor", "1"}},
              ErrorKind::kShape, {"_image_random_hue", "(2,2,4)"});
}

TEST(ImageLighting, AsMXNet) {
  const Params p = {{"alpha", "(0.01, 0.02, -0.03)"}};
  // MXNet 1.9.1
  ExpectNear(ToVec(mxct::Run("_image_adjust_lighting", {ImgArr(mxc::kUint8)}, p)[0]),
             {0, 12, 25, 38, 51, 64, 77, 90, 103, 116, 129, 142, 155, 168, 181, 194, 207, 220}, 0, 0, "uint8");
  ExpectNear(ToVec(mxct::Run("_image_adjust_lighting", {ImgArr(mxc::kFloat32)}, p)[0]),
             {-0.25958558917045593, 12.705491065979004, 25.595243453979492, 38.740413665771484, 51.70549011230469,
              64.59524536132812, 77.74041748046875, 90.70549011230469, 103.59524536132812, 116.74041748046875,
              129.7054901123047, 142.59524536132812, 155.74041748046875, 168.7054901123047, 181.59524536132812,
              194.74041748046875, 207.7054901123047, 220.59524536132812},
             1e-5, 1e-4, "float32");
  // alpha_std 0 changes nothing (MXNet 1.9.1 too)
  ExpectNear(ToVec(mxct::Run("_image_random_lighting", {ImgArr(mxc::kFloat32)}, {{"alpha_std", "0"}})[0]), Img(), 0, 0,
             "std 0");
  ExpectError("_image_adjust_lighting", {ImgArr(mxc::kFloat32)}, {{"alpha", "(1, 2)"}}, ErrorKind::kValue,
              {"_image_adjust_lighting", "alpha"});
}

// The random colour operators: one factor per call from [min, max] (brightness: every pixel scaled alike), a seed
// reproduces them.
TEST(ImageColour, RandomRangeAndSeed) {
  auto x = Random({3, 5, 3}, 1, 255, mxc::kFloat32, 9);
  auto xv = ToVec(x);
  std::vector<double> factors;
  mxc::SeedAll(7);
  for (int i = 0; i < 200; ++i) {
    auto y = ToVec(mxct::Run("_image_random_brightness", {x}, {{"min_factor", "0.5"}, {"max_factor", "1.5"}})[0]);
    const double f = y[0] / xv[0];
    ASSERT_GE(f, 0.5 - 1e-5);
    ASSERT_LE(f, 1.5 + 1e-5);
    for (size_t k = 0; k < y.size(); ++k) ASSERT_NEAR(y[k], xv[k] * f, 1e-3);
    factors.push_back(f);
  }
  double mean = 0;
  for (double f : factors) mean += f / factors.size();
  EXPECT_NEAR(mean, 1.0, 0.06);  // uniform on [0.5, 1.5]: mean 1, sd of the mean 0.02
  mxc::SeedAll(7);
  for (int i = 0; i < 5; ++i) {
    auto y = ToVec(mxct::Run("_image_random_brightness", {x}, {{"min_factor", "0.5"}, {"max_factor", "1.5"}})[0]);
    EXPECT_NEAR(y[0] / xv[0], factors[i], 1e-9);
  }
  for (const char *op : {"_image_random_contrast", "_image_random_saturation", "_image_random_hue"}) {
    SCOPED_TRACE(op);
    const Params p = {{"min_factor", "0.2"}, {"max_factor", "0.9"}};
    mxc::SeedAll(3);
    auto a = ToVec(mxct::Run(op, {x}, p)[0]);
    auto b = ToVec(mxct::Run(op, {x}, p)[0]);
    mxc::SeedAll(3);
    EXPECT_EQ(ToVec(mxct::Run(op, {x}, p)[0]), a);
    EXPECT_NE(a, b);
  }
  // hue keeps each pixel's largest and smallest channel
  auto h = ToVec(mxct::Run("_image_random_hue", {x}, {{"min_factor", "0"}, {"max_factor", "1"}})[0]);
  for (int i = 0; i < 15; ++i) {
    EXPECT_NEAR(*std::max_element(h.begin() + 3 * i, h.begin() + 3 * i + 3),
                *std::max_element(xv.begin() + 3 * i, xv.begin() + 3 * i + 3), 1e-3);
    EXPECT_NEAR(*std::min_element(h.begin() + 3 * i, h.begin() + 3 * i + 3),
                *std::min_element(xv.begin() + 3 * i, xv.begin() + 3 * i + 3), 1e-3);
  }
  // colour jitter of brightness only scales every pixel alike by a factor in [0.7, 1.3]; lighting is reproducible
  for (int i = 0; i < 20; ++i) {
    auto y = ToVec(mxct::Run("_image_random_color_jitter", {x},
                       {{"brightness", "0.3"}, {"contrast", "0"}, {"saturation", "0"}, {"hue", "0"}})[0]);
    const double f = y[0] / xv[0];
    EXPECT_GE(f, 0.7 - 1e-5);
    EXPECT_LE(f, 1.3 + 1e-5);
    for (size_t k = 0; k < y.size(); ++k) ASSERT_NEAR(y[k], xv[k] * f, 1e-3);
  }
  const Params jp = {{"brightness", "0.2"}, {"contrast", "0.2"}, {"saturation", "0.2"}, {"hue", "0.1"}};
  mxc::SeedAll(5);
  auto j1 = ToVec(mxct::Run("_image_random_color_jitter", {x}, jp)[0]);
  auto l1 = ToVec(mxct::Run("_image_random_lighting", {x}, {{"alpha_std", "0.1"}})[0]);
  mxc::SeedAll(5);
  EXPECT_EQ(ToVec(mxct::Run("_image_random_color_jitter", {x}, jp)[0]), j1);
  EXPECT_EQ(ToVec(mxct::Run("_image_random_lighting", {x}, {{"alpha_std", "0.1"}})[0]), l1);
  // lighting adds one RGB offset to every pixel
  for (int i = 1; i < 15; ++i)
    for (int k = 0; k < 3; ++k) EXPECT_NEAR(l1[3 * i + k] - xv[3 * i + k], l1[k] - xv[k], 1e-3);
}

TEST(ImageCrop, AsMXNetAndNaive) {
  // MXNet 1.9.1: crop(x=1, y=0, width=1, height=2)
  auto c = mxct::Run("_image_crop", {ImgArr(mxc::kUint8)}, {{"x", "1"}, {"y", "0"}, {"width", "1"}, {"height", "2"}})[0];
  EXPECT_EQ(c.shape(), TShape({2, 1, 3}));
  ExpectNear(ToVec(c), {39, 52, 65, 156, 169, 182}, 0, 0, "crop");
  auto x = Random({2, 5, 6, 3}, 0, 1, mxc::kFloat64, 13);
  auto xv = ToVec(x);
  auto y = mxct::Run("_image_crop", {x}, {{"x", "2"}, {"y", "1"}, {"width", "3"}, {"height", "4"}})[0];
  EXPECT_EQ(y.shape(), TShape({2, 4, 3, 3}));
  auto yv = ToVec(y);
  for (int n = 0; n < 2; ++n)
    for (int r = 0; r < 4; ++r)
      for (int q = 0; q < 3; ++q)
        for (int k = 0; k < 3; ++k)
          EXPECT_EQ(yv[((n * 4 + r) * 3 + q) * 3 + k], xv[((n * 5 + r + 1) * 6 + q + 2) * 3 + k]);
  ExpectError("_image_crop", {ImgArr(mxc::kFloat32)}, {{"x", "1"}, {"y", "0"}, {"width", "5"}, {"height", "2"}},
              ErrorKind::kValue, {"_image_crop", "(2,3,3)", "width"});
}

TEST(ImageOps, Gradients) {
  CheckGradient(GradCase{"_image_to_tensor", {}, {{3, 4, 2}}, -1, 1, {}, nullptr, false, 1e-2, 1e-3, 1e-6});
  CheckGradient(GradCase{"_image_to_tensor", {}, {{2, 3, 4, 3}}, -1, 1, {}, nullptr, false, 1e-2, 1e-3, 1e-6});
  CheckGradient(GradCase{"_image_normalize", {{"mean", "(0.1, 0.2, 0.3)"}, {"std", "(0.5, 2, 3)"}}, {{3, 4, 2}}});
  CheckGradient(GradCase{"_image_normalize", {{"mean", "0.1"}, {"std", "0.25"}}, {{2, 1, 4, 3}}});
  CheckGradient(GradCase{"_image_flip_left_right", {}, {{3, 5, 2}}});
  CheckGradient(GradCase{"_image_flip_top_bottom", {}, {{3, 5, 2}}});
  CheckGradient(GradCase{"_image_crop", {{"x", "1"}, {"y", "1"}, {"width", "2"}, {"height", "3"}}, {{4, 4, 3}}});
  CheckGradient(GradCase{"_image_crop", {{"x", "0"}, {"y", "2"}, {"width", "3"}, {"height", "1"}}, {{2, 3, 4, 1}}});
  CheckGradient(GradCase{"_image_adjust_lighting", {{"alpha", "(0.1, 0.2, -0.1)"}}, {{2, 3, 3}}, -1, 1, {}, nullptr,
                         false, 1e-2, 1e-3, 1e-6});
}

}  // namespace
