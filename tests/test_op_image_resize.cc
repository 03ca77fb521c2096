// MXNet 1.9.1's _image_resize: values printed by MXNet 1.9.1 (OpenCV's nearest, bilinear, bicubic, area and Lanczos
// on small odd-sized images, down and up, float32 / float64 / uint8 / int32, batches and keep_ratio), output shapes,
// and errors naming the operator.
#include <string>

#include "test_op_tensor_common.h"

namespace {

using namespace mxct;
using mxc::ErrorKind;

// The 3x5 one-channel image MXNet was asked about: [[3,1,4,1,5],[9,2,6,5,3],[5,8,9,7,9]] * 1.5.
std::vector<double> Small() {
  const double v[15] = {3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5, 8, 9, 7, 9};
  std::vector<double> r;
  for (double x : v) r.push_back(x * 1.5);
  return r;
}

std::vector<double> Resize(const NDArray &x, const std::string &size, int interp, TShape want,
                           const std::string &keep = "0") {
  auto y = mxct::Run("_image_resize", {x},
                     {{"size", size}, {"interp", std::to_string(interp)}, {"keep_ratio", keep}})[0];
  EXPECT_EQ(y.shape(), want);
  EXPECT_EQ(y.dtype(), x.dtype());
  return ToVec(y);
}

TEST(ImageResize, FloatAllInterpolationsAsMXNet) {
  const NDArray g = FromVec({3, 5, 1}, Small());
  // MXNet 1.9.1, size (4, 2): down-sampling (interp 0 nearest, 1 bilinear, 2 bicubic, 3 area, 4 Lanczos)
  const std::vector<std::vector<double>> down = {
      {4.5, 1.5, 6.0, 1.5, 13.5, 3.0, 9.0, 7.5},
      {6.14062, 3.70312, 4.40625, 6.28125, 9.09375, 10.73438, 10.73438, 11.0625},
      {6.15262, 2.99864, 4.02903, 6.07343, 9.23696, 11.20105, 10.97591, 11.1909},
      {6.4, 4.0, 4.9, 5.9, 9.4, 10.2, 10.5, 10.3},
      {6.09261, 2.86277, 4.20046, 5.7206, 9.34827, 11.42076, 11.18735, 11.12242}};
  for (int i = 0; i < 5; ++i)
    ExpectNear(Resize(g, "(4, 2)", i, {2, 4, 1}), down[i], 1e-5, 1e-4, ("down interp " + std::to_string(i)).c_str());
  // MXNet 1.9.1, size (7, 4): up-sampling
  const std::vector<std::vector<double>> up = {
      {4.5, 4.5, 1.5, 6.0, 6.0, 1.5, 7.5, 4.5, 4.5, 1.5, 6.0, 6.0, 1.5, 7.5, 13.5, 13.5, 3.0, 9.0, 9.0, 7.5, 4.5, 7.5,
       7.5, 12.0, 13.5, 13.5, 10.5, 13.5},
      {4.5, 2.78571, 2.78571, 6.0, 2.78571, 4.07143, 7.5, 10.125, 5.73214, 3.99107, 7.875, 6.0, 5.41071, 5.625, 11.25,
       8.46429, 7.60714, 10.6875, 9.21429, 8.30357, 7.875, 7.5, 10.07143, 12.42857, 13.5, 11.35714, 11.78571, 13.5},
      {4.04778, 1.9648, 2.48832, 5.78467, 1.77895, 3.36459, 8.23849, 11.65952, 4.81119, 2.11463, 7.42456, 5.95168,
       4.58005, 4.55954, 12.79256, 8.41594, 7.03441, 10.95117, 10.09005, 8.29378, 7.26978, 6.63036, 10.18124,
       13.70214, 13.823, 11.21169, 11.82944, 14.41605},
      {4.5, 2.7, 2.4, 6.0, 2.4, 3.9, 7.5, 10.5, 5.7, 3.6, 8.0, 6.0, 5.5, 5.5, 11.5, 8.2, 6.9, 10.5, 8.9, 8.1, 7.5, 7.5,
       10.2, 12.3, 13.5, 11.1, 11.7, 13.5},
      {4.05328, 1.62277, 3.02069, 5.89665, 1.94283, 3.13895, 8.63473, 12.01327, 4.52038, 1.87975, 7.36613, 6.41493,
       4.02336, 4.51483, 13.12806, 8.30842, 6.89469, 10.97692, 10.51484, 7.96782, 7.25494, 6.4765, 9.85679, 13.92163,
       13.74538, 10.85478, 11.71298, 14.59089}};
  for (int i = 0; i < 5; ++i)
    ExpectNear(Resize(g, "(7, 4)", i, {4, 7, 1}), up[i], 1e-5, 1e-4, ("up interp " + std::to_string(i)).c_str());
  // interp 5 (OpenCV's exact bilinear) is bilinear
  ExpectNear(Resize(g, "(7, 4)", 5, {4, 7, 1}), up[1], 1e-5, 1e-4, "interp 5");
  // float64 (image * 1.1), bilinear: MXNet 1.9.1
  std::vector<double> g11;
  for (double v : Small()) g11.push_back(v * 1.1);
  ExpectNear(Resize(FromVec({3, 5, 1}, g11, mxc::kFloat64), "(4, 2)", 1, {2, 4, 1}),
             {6.754687786102295, 4.073437735438347, 4.8468752056360245, 6.909375071525574, 10.003125160932541,
              11.807813048362732, 11.807812750339508, 12.168750330805779},
             1e-6, 1e-6, "float64");
}

TEST(ImageResize, IntegerImagesAsMXNet) {
  // a 0/255 checkerboard (3, 5, 1) up to (7, 4): bicubic and Lanczos overshoot and saturate at 0 (MXNet 1.9.1)
  std::vector<double> cb(15), inv(15);
  for (int r = 0; r < 3; ++r)
    for (int c = 0; c < 5; ++c) cb[r * 5 + c] = ((r + c) % 2) * 255, inv[r * 5 + c] = 255 - cb[r * 5 + c];
  const NDArray x = FromVec({3, 5, 1}, cb, mxc::kUint8);
  ExpectNear(Resize(x, "(7, 4)", 2, {4, 7, 1}),
             {0, 181, 215, 0, 215, 181, 0, 201, 104, 89, 191, 89, 104, 201, 201, 104, 89, 191, 89, 104, 201, 0, 181,
              215, 0, 215, 181, 0},
             0, 0, "bicubic uint8");
  ExpectNear(Resize(x, "(7, 4)", 4, {4, 7, 1}),
             {0, 210, 206, 0, 206, 210, 0, 213, 90, 92, 197, 92, 90, 213, 213, 90, 92, 197, 92, 90, 213, 0, 210, 206,
              0, 206, 210, 0},
             0, 0, "Lanczos uint8");
  // the inverse board saturates at 255
  ExpectNear(Resize(FromVec({3, 5, 1}, inv, mxc::kUint8), "(7, 4)", 2, {4, 7, 1}),
             {255, 74, 40, 255, 40, 74, 255, 54, 151, 166, 64, 166, 151, 54, 54, 151, 166, 64, 166, 151, 54, 255, 74,
              40, 255, 40, 74, 255},
             0, 0, "bicubic uint8 at 255");
  // int32 (image * -3), nearest (MXNet 1.9.1's OpenCV has only nearest and exact bilinear for int32)
  std::vector<double> neg;
  for (double v : Small()) neg.push_back(static_cast<int>(v * -3));
  ExpectNear(Resize(FromVec({3, 5, 1}, neg, mxc::kInt32), "(7, 4)", 0, {4, 7, 1}),
             {-13, -13, -4, -18, -18, -4, -22, -13, -13, -4, -18, -18, -4, -22, -40, -40, -9, -27, -27, -22, -13, -22,
              -22, -36, -40, -40, -31, -40},
             0, 0, "int32 nearest");
}

TEST(ImageResize, BatchesAndKeepRatioAsMXNet) {
  // two channels (g, 20 - g), a batch of the image and its upside-down copy, size 4 keep_ratio: (2, 4, 6, 2), area
  const auto s = Small();
  std::vector<double> b(2 * 15 * 2);
  for (int n = 0; n < 2; ++n)
    for (int r = 0; r < 3; ++r)
      for (int c = 0; c < 5; ++c) {
        const double v = s[(n ? 2 - r : r) * 5 + c];
        b[((n * 3 + r) * 5 + c) * 2] = v;
        b[((n * 3 + r) * 5 + c) * 2 + 1] = 20 - v;
      }
  ExpectNear(Resize(FromVec({2, 3, 5, 2}, b), "4", 3, {2, 4, 6, 2}, "1"),
             {4.5,  15.5, 2.1,  17.9, 4.2,  15.8, 4.2,  15.8, 2.7,  17.3, 7.5,  12.5, 10.5, 9.5,  4.1,  15.9, 5.8,
              14.2, 7.0,  13.0, 5.5,  14.5, 5.5,  14.5, 11.5, 8.5,  7.1,  12.9, 8.7,  11.3, 9.7,  10.3, 8.3,  11.7,
              7.5,  12.5, 7.5,  12.5, 11.1, 8.9,  12.9, 7.1,  12.3, 7.7,  11.1, 8.9,  13.5, 6.5,  7.5,  12.5, 11.1,
              8.9,  12.9, 7.1,  12.3, 7.7,  11.1, 8.9,  13.5, 6.5,  11.5, 8.5,  7.1,  12.9, 8.7,  11.3, 9.7,  10.3,
              8.3,  11.7, 7.5,  12.5, 10.5, 9.5,  4.1,  15.9, 5.8,  14.2, 7.0,  13.0, 5.5,  14.5, 5.5,  14.5, 4.5,
              15.5, 2.1,  17.9, 4.2,  15.8, 4.2,  15.8, 2.7,  17.3, 7.5,  12.5},
             1e-5, 1e-4, "batch keep_ratio area");
  // MXNet 1.9.1's shapes: the short edge to size, the long one scaled and truncated; one size without keep_ratio: a
  // square; (w, h) with keep_ratio: (w, h)
  const NDArray wide = Random({5, 7, 2}, 0, 1), tall = Random({7, 5, 1}, 0, 1), sq = Random({5, 5, 1}, 0, 1);
  Resize(wide, "3", 1, {3, 4, 2}, "1");
  Resize(wide, "9", 1, {9, 12, 2}, "1");
  Resize(tall, "3", 1, {4, 3, 1}, "1");
  Resize(sq, "3", 1, {3, 3, 1}, "1");
  Resize(wide, "3", 1, {3, 3, 2});
  Resize(wide, "(3,)", 1, {3, 3, 2});
  Resize(wide, "(4, 3)", 1, {3, 4, 2}, "1");
  // the same size: the image itself, in every mode
  const auto wv = ToVec(wide);
  for (int i = 0; i < 6; ++i) ExpectNear(Resize(wide, "(7, 5)", i, {5, 7, 2}), wv, 1e-6, 1e-7, "identity");
  // a batch is its images resized one by one
  const NDArray batch = Random({3, 4, 6, 2}, 0, 255, mxc::kUint8, 9);
  const auto bv = ToVec(batch);
  for (int interp = 0; interp < 5; ++interp) {
    const auto all = Resize(batch, "(5, 3)", interp, {3, 3, 5, 2});
    for (int n = 0; n < 3; ++n) {
      const std::vector<double> one(bv.begin() + n * 48, bv.begin() + (n + 1) * 48);
      const auto r = Resize(FromVec({4, 6, 2}, one, mxc::kUint8), "(5, 3)", interp, {3, 5, 2});
      ExpectNear(std::vector<double>(all.begin() + n * 30, all.begin() + (n + 1) * 30), r, 0, 0, "batch image");
    }
  }
}

TEST(ImageResize, Errors) {
  const NDArray x = Random({5, 7, 2}, 0, 1);
  ExpectError("_image_resize", {Random({5, 7}, 0, 1)}, {{"size", "3"}}, ErrorKind::kShape, {"_image_resize", "(5,7)"});
  ExpectError("_image_resize", {x}, {}, ErrorKind::kValue, {"_image_resize", "size"});
  ExpectError("_image_resize", {x}, {{"size", "(4, 3, 2)"}}, ErrorKind::kValue, {"_image_resize", "size"});
  ExpectError("_image_resize", {x}, {{"size", "(0, 3)"}}, ErrorKind::kValue, {"_image_resize", "size", "0"});
  ExpectError("_image_resize", {x}, {{"size", "3"}, {"interp", "6"}}, ErrorKind::kValue, {"_image_resize", "interp"});
  ExpectError("_image_resize", {x}, {{"size", "3"}, {"interp", "-1"}}, ErrorKind::kValue,
              {"_image_resize", "interp"});
  ExpectError("_image_resize", {Random({5, 7, 2}, 0, 255, mxc::kBool)}, {{"size", "3"}}, ErrorKind::kType,
              {"_image_resize", "bool"});
}

TEST(ImageResize, Float16ThroughFloat32) {
  // MXNet 1.9.1's OpenCV rejects float16; mxc runs it through float32 as its other image operators
  const NDArray x = Random({5, 7, 2}, 0, 8, mxc::kFloat16, 3);
  const auto want = ToVec(mxct::Run("_image_resize", {FromVec({5, 7, 2}, ToVec(x))}, {{"size", "(4, 3)"}})[0]);
  auto y = mxct::Run("_image_resize", {x}, {{"size", "(4, 3)"}})[0];
  EXPECT_EQ(y.dtype(), mxc::kFloat16);
  ExpectNear(ToVec(y), want, 1e-3, 1e-3, "float16");
}

}  // namespace
