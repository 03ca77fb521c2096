// _contrib_DeformableConvolution, _contrib_ModulatedDeformableConvolution, _contrib_PSROIPooling and
// _contrib_DeformablePSROIPooling: against the regular Convolution (zero offsets), values and gradients printed by
// MXNet 1.9.1 (float64, inputs built from sin/cos ramps as below), hand-computed border cases, errors, and gradients
// by finite differences (with the sampling positions kept off integer coordinates, where bilinear sampling has kinks).
#include <cmath>

#include "test_op_nn_util.h"
#include "test_op_tensor_common.h"

namespace {

using namespace mxct;
using mxc::ErrorKind;

std::vector<double> Wave(int64_t n, double scale, double freq, double phase, bool cosine = false) {
  std::vector<double> v(n);
  for (int64_t i = 0; i < n; ++i) v[i] = scale * (cosine ? std::cos(freq * i + phase) : std::sin(freq * i + phase));
  return v;
}

NDArray F64(const mxc::TShape &s, const std::vector<double> &v) { return FromVec(s, v, mxc::kFloat64); }

std::vector<double> Linspace(int64_t n, double a, double b) {
  std::vector<double> v(n);
  for (int64_t i = 0; i < n; ++i) v[i] = a + (b - a) * i / (n - 1);
  return v;
}

// MXNet 1.9.1's values of the cases below.
const std::vector<double> kAY = {
     0.1, 0.372287, 0.061567, -0.072281, -0.048755, 0.174741, -0.2, -0.45068, -0.488457, -0.132781, -0.185179,
     -0.351609};
const std::vector<double> kAGdata = {
     -0.00312, -0.071898, -0.027458, -0.250581, -0.03399, -0.248468, 0.133853, 0.072906, 0.066262, -0.135906,
     -0.130132, 0.030047, 0.002344, 0.110938, 0.040785, 0.363936, 0.142829, 0.662224, 0.514682, 0.463493, 0.132315,
     0.513263, 0.558737, 0.250182};
const std::vector<double> kAGoff = {
     0.000000e+00, 0.000000e+00, -7.485866e-02, 0.000000e+00, 0.000000e+00, 7.277469e-02, 0.000000e+00, 0.000000e+00,
     2.455627e-01, 0.000000e+00, 0.000000e+00, 9.903126e-02, 0.000000e+00, 8.433516e-01, 8.055434e-01, 3.153099e-01,
     0.000000e+00, 4.369084e-18, 0.000000e+00, -7.356108e-02, 0.000000e+00, -2.444787e-01, -2.447294e-01,
     -2.445854e-01, 0.000000e+00, 0.000000e+00, 0.000000e+00, -1.568812e-01, 8.520602e-03, -1.275854e-01,
     0.000000e+00, 0.000000e+00, 0.000000e+00, 1.538293e-01, 8.870593e-02, 0.000000e+00, 0.000000e+00, 4.138479e-01,
     2.041316e-01, 2.768495e-01, 2.999235e-01, -1.881519e-01, 0.000000e+00, 2.239485e-02, 8.664831e-02, 2.725850e-02,
     1.823367e-02, 0.000000e+00};
const std::vector<double> kAGw = {
     0.089487, -0.593392, 0.273173, 0.869728, 0.449364, 0.038909, 0.136424, -0.307452, -0.102428, 1.18933, -0.336218,
     -1.654438, -0.549295, 0.874774, -0.126013, 0.670441};
const std::vector<double> kAGb = {
     -3.272727, 3.272727};
const std::vector<double> kPsY = {
     0.741834, -0.155938, -0.154753, 0.700542, -0.24663, -0.426722, 0.642946, -0.896871, 0.823335, -0.38122,
     0.097426, 0.556776, -0.458034, -0.166403, 0.478746, -0.907988};
const std::vector<double> kPsGdataSum = {
     -0.933333, -0.666667, -0.4, -0.133333, 0.133333, 0.4, 0.666667, 0.933333};
const std::vector<double> kDpsY = {
     0.627031, 0.055414, -0.371125, 0.817539, -0.067466, -0.617583, 0.81458, -0.931886, 0.795435, -0.189236,
     0.042747, 0.578197, -0.347689, -0.395144, 0.521714, -0.917498};
const std::vector<double> kDpsGtrans = {
     -0.012147, 0.023468, -0.021637, 0.0112, -0.033615, 0.109341, -0.109388, 0.065681, -0.019576, 0.017979,
     -0.014654, -0.002069, -0.091481, 0.100966, -0.052711, -0.016018};
const std::vector<double> kDpsntY = {
     0.662977, -0.010144, -0.212281, 0.772736, -0.124869, -0.558075, 0.704967, -0.934805, 0.860635, -0.379623,
     0.187413, 0.502335, -0.478785, -0.194174, 0.401293, -0.888817};

TEST(DeformableConvolution, ZeroOffsetsEqualConvolution) {
  const Params conv{{"kernel", "(3,3)"}, {"pad", "(1,2)"}, {"stride", "(2,1)"}, {"dilate", "(1,2)"},
                    {"num_filter", "6"}, {"num_group", "2"}};
  auto x = Random({2, 4, 5, 6}, -1, 1, mxc::kFloat64, 1), w = Random({6, 2, 3, 3}, -1, 1, mxc::kFloat64, 2);
  auto b = Random({6}, -1, 1, mxc::kFloat64, 3);
  auto ref = mxct::Run("Convolution", {x, w, b}, conv)[0];
  const mxc::TShape os = ref.shape();
  auto head = Random(os, -1, 1, mxc::kFloat64, 4);
  auto fr = ForwardBackward("Convolution", {x, w, b}, conv, {head}, false);
  Params dp = conv;
  dp.push_back({"num_deformable_group", "2"});
  auto off = F64({2, 36, os[2], os[3]}, std::vector<double>(2 * 36 * os[2] * os[3], 0.0));
  auto mask = F64({2, 18, os[2], os[3]}, std::vector<double>(2 * 18 * os[2] * os[3], 1.0));
  auto fd = ForwardBackward("_contrib_DeformableConvolution", {x, off, w, b}, dp, {head}, false);
  auto fm = ForwardBackward("_contrib_ModulatedDeformableConvolution", {x, off, mask, w, b}, dp, {head}, false);
  ExpectNear(ToVec(fd.outputs[0]), ToVec(ref), 1e-12, 1e-12, "v1 output");
  ExpectNear(ToVec(fm.outputs[0]), ToVec(ref), 1e-12, 1e-12, "v2 output");
  for (int i = 0; i < 3; ++i) {
    ExpectNear(ToVec(fd.grads[i == 0 ? 0 : i + 1]), ToVec(fr.grads[i]), 1e-12, 1e-12, "v1 gradient");
    ExpectNear(ToVec(fm.grads[i == 0 ? 0 : i + 2]), ToVec(fr.grads[i]), 1e-12, 1e-12, "v2 gradient");
  }
}

// MXNet 1.9.1, float64: data sin(0.7 i) (1,2,3,4), offset 1.3 cos(0.37 i) (1,8,2,3), weight 0.3 cos(0.5 i)
// (2,2,2,2), bias (0.1, -0.2), kernel (2,2), num_filter 2, head gradient linspace(-1, 1, 12).
TEST(DeformableConvolution, AsMXNet) {
  auto x = F64({1, 2, 3, 4}, Wave(24, 1, 0.7, 0)), off = F64({1, 8, 2, 3}, Wave(48, 1.3, 0.37, 0, true));
  auto w = F64({2, 2, 2, 2}, Wave(16, 0.3, 0.5, 0, true)), b = F64({2}, {0.1, -0.2});
  auto fb = ForwardBackward("_contrib_DeformableConvolution", {x, off, w, b},
                            {{"kernel", "(2,2)"}, {"num_filter", "2"}}, {F64({1, 2, 2, 3}, Linspace(12, -1, 1))},
                            false);
  ExpectNear(ToVec(fb.outputs[0]), kAY, 1e-5, 2e-6, "output");
  ExpectNear(ToVec(fb.grads[0]), kAGdata, 1e-5, 2e-6, "data gradient");
  ExpectNear(ToVec(fb.grads[1]), kAGoff, 1e-5, 2e-6, "offset gradient");
  ExpectNear(ToVec(fb.grads[2]), kAGw, 1e-5, 2e-6, "weight gradient");
  ExpectNear(ToVec(fb.grads[3]), kAGb, 1e-5, 2e-6, "bias gradient");
}

// A 1x1 kernel reads the data at the offset positions. MXNet 1.9.1 clamps at the last row / column (no offset
// gradient along a clamped axis); DCN v2 reads zeros beyond the image.
TEST(DeformableConvolution, Borders) {
  auto x = F64({1, 1, 4, 4}, Iota(16, 1));
  auto w = F64({1, 1, 1, 1}, {1});
  std::vector<double> ov(32, 0.2);
  auto ones = F64({1, 1, 4, 4}, std::vector<double>(16, 1.0));
  const Params p{{"kernel", "(1,1)"}, {"num_filter", "1"}, {"no_bias", "1"}};
  auto fb = ForwardBackward("_contrib_DeformableConvolution", {x, F64({1, 2, 4, 4}, ov), w}, p, {ones}, false);
  ExpectNear(ToVec(fb.outputs[0]), {2, 3, 4, 4.8, 6, 7, 8, 8.8, 10, 11, 12, 12.8, 13.2, 14.2, 15.2, 16}, 1e-12,
             1e-12, "v1 output");
  ExpectNear(ToVec(fb.grads[1]), {4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 0, 0, 0, 0,  // d/dh
                                  1, 1, 1, 0, 1, 1, 1, 0, 1, 1, 1, 0, 1, 1, 1, 0},  // d/dw
             1e-12, 1e-12, "v1 offset gradient");
  auto mask = F64({1, 1, 4, 4}, std::vector<double>(16, 1.0));
  auto fm = ForwardBackward("_contrib_ModulatedDeformableConvolution", {x, F64({1, 2, 4, 4}, ov), mask, w}, p, {ones},
                            false);
  // (row + 0.2, column + 0.2): the last row and column interpolate towards zeros beyond the image.
  ExpectNear(ToVec(fm.outputs[0]), {2, 3, 4, 0.8 * 4.8, 6, 7, 8, 0.8 * 8.8, 10, 11, 12, 0.8 * 12.8, 0.8 * 13.2,
                                     0.8 * 14.2, 0.8 * 15.2, 0.64 * 16},
             1e-12, 1e-12, "v2 output");
  ExpectNear(ToVec(fm.grads[2]), ToVec(fm.outputs[0]), 1e-12, 1e-12, "v2 mask gradient");
}

TEST(DeformableConvolution, Errors) {
  auto x = Random({1, 4, 5, 5}, -1, 1);
  const Params p{{"kernel", "(3,3)"}, {"num_filter", "2"}, {"no_bias", "1"}};
  ExpectError("_contrib_DeformableConvolution", {x, Random({1, 17, 3, 3}, 0, 1), Random({2, 4, 3, 3}, 0, 1)}, p,
              ErrorKind::kShape, {"_contrib_DeformableConvolution", "offset", "(1,18,3,3)", "(1,17,3,3)"});
  Params p3 = p;
  p3.push_back({"num_deformable_group", "3"});
  ExpectError("_contrib_DeformableConvolution", {x, Random({1, 54, 3, 3}, 0, 1), Random({2, 4, 3, 3}, 0, 1)}, p3,
              ErrorKind::kShape, {"_contrib_DeformableConvolution", "(1,4,5,5)", "num_deformable_group 3"});
  ExpectError("_contrib_DeformableConvolution", {Random({1, 4, 5}, 0, 1), Random({1, 18, 3, 3}, 0, 1),
              Random({2, 4, 3, 3}, 0, 1)}, p, ErrorKind::kShape, {"_contrib_DeformableConvolution", "4-D", "(1,4,5)"});
  ExpectError("_contrib_DeformableConvolution", {x, Random({1, 6, 3, 3}, 0, 1), Random({2, 4, 3}, 0, 1)},
              {{"kernel", "(3,)"}, {"num_filter", "2"}, {"no_bias", "1"}}, ErrorKind::kValue,
              {"_contrib_DeformableConvolution", "2-D"});
  ExpectError("_contrib_ModulatedDeformableConvolution",
              {x, Random({1, 18, 3, 3}, 0, 1), Random({1, 9, 2, 3}, 0, 1), Random({2, 4, 3, 3}, 0, 1)}, p,
              ErrorKind::kShape, {"_contrib_ModulatedDeformableConvolution", "mask", "(1,9,3,3)", "(1,9,2,3)"});
  ExpectError("_contrib_DeformableConvolution", {x, Random({1, 18, 3, 3}, 0, 1), Random({2, 4, 3, 3}, 0, 1)},
              {{"kernel", "(3,3)"}, {"num_filter", "2"}, {"no_bias", "1"}, {"layout", "NCW"}}, ErrorKind::kValue,
              {"_contrib_DeformableConvolution", "layout NCW"});
}

// Offsets of i + 0.1 ... i + 0.9 for random integers i in [-2, 1]: fractional positions, some outside the image.
void FractionalOffsets(NDArray &a, uint64_t seed) {
  auto v = RandVec(a.Size(), 0.1, 0.9, seed);
  auto k = RandVec(a.Size(), -2, 2, seed + 1);
  for (size_t i = 0; i < v.size(); ++i) v[i] += std::floor(k[i]);
  a = F64(a.shape(), v);
}

TEST(DeformableConvolution, GradientByFiniteDifferences) {
  GradCase g{"_contrib_DeformableConvolution",
             {{"kernel", "(2,3)"}, {"pad", "(1,1)"}, {"stride", "(1,2)"}, {"num_filter", "4"}, {"num_group", "2"},
              {"num_deformable_group", "2"}},
             {{2, 4, 3, 4}, {2, 24, 4, 2}, {4, 2, 2, 3}, {4}}};
  g.fill = [](std::vector<NDArray> &in) { FractionalOffsets(in[1], 7); };
  CheckGradient(g);
  GradCase m{"_contrib_ModulatedDeformableConvolution",
             {{"kernel", "(2,2)"}, {"dilate", "(2,1)"}, {"num_filter", "3"}, {"num_deformable_group", "2"},
              {"no_bias", "1"}},
             {{1, 2, 4, 4}, {1, 16, 2, 3}, {1, 8, 2, 3}, {3, 2, 2, 2}}};
  m.fill = [](std::vector<NDArray> &in) { FractionalOffsets(in[1], 9); };
  CheckGradient(m);
}

// MXNet 1.9.1, float64: data sin(0.11 i + 0.5) (1,8,4,5), rois [[0, 0.6, 0.4, 3.7, 2.9], [0, 1.2, 1.0, 4.1, 3.8]],
// trans 0.8 cos(0.7 i) (2,2,2,2), head gradient linspace(-1, 1, 16); spatial_scale 0.9, output_dim 2, pooled 2.
TEST(PSROIPooling, AsMXNet) {
  auto x = F64({1, 8, 4, 5}, Wave(160, 1, 0.11, 0.5));
  auto rois = F64({2, 5}, {0, 0.6, 0.4, 3.7, 2.9, 0, 1.2, 1.0, 4.1, 3.8});
  auto trans = F64({2, 2, 2, 2}, Wave(16, 0.8, 0.7, 0, true));
  auto head = F64({2, 2, 2, 2}, Linspace(16, -1, 1));
  auto ps = ForwardBackward("_contrib_PSROIPooling", {x, rois},
                            {{"spatial_scale", "0.9"}, {"output_dim", "2"}, {"pooled_size", "2"}}, {head}, false);
  ExpectNear(ToVec(ps.outputs[0]), kPsY, 1e-5, 2e-6, "PSROIPooling");
  for (double v : ToVec(ps.grads[1])) EXPECT_EQ(v, 0.0);
  auto d = ForwardBackward("_contrib_DeformablePSROIPooling", {x, rois, trans},
                           {{"spatial_scale", "0.9"}, {"output_dim", "2"}, {"group_size", "2"}, {"pooled_size", "2"},
                            {"sample_per_part", "2"}, {"trans_std", "0.1"}},
                           {head}, false);
  ExpectNear(ToVec(d.outputs[0]), kDpsY, 1e-5, 2e-6, "DeformablePSROIPooling");
  ExpectNear(ToVec(d.grads[2]), kDpsGtrans, 1e-5, 2e-6, "trans gradient");
  auto nt = ForwardBackward("_contrib_DeformablePSROIPooling", {x, rois},
                            {{"spatial_scale", "0.9"}, {"output_dim", "2"}, {"group_size", "2"}, {"pooled_size", "2"},
                             {"sample_per_part", "3"}, {"no_trans", "1"}},
                            {head}, false);
  ExpectNear(ToVec(nt.outputs[0]), kDpsntY, 1e-5, 2e-6, "no_trans");
  // Every bin's gradient is spread over its pixels: the sums per channel are the head gradients of its bins.
  for (auto *g : {&ps.grads[0], &d.grads[0], &nt.grads[0]}) {
    auto gv = ToVec(*g);
    std::vector<double> sums(8, 0.0);
    for (int c = 0; c < 8; ++c)
      for (int i = 0; i < 20; ++i) sums[c] += gv[c * 20 + i];
    ExpectNear(sums, kPsGdataSum, 1e-5, 2e-6, "data gradient sums");
  }
}

TEST(PSROIPooling, ErrorsAndGradient) {
  const Params p{{"spatial_scale", "1"}, {"output_dim", "2"}, {"pooled_size", "2"}};
  ExpectError("_contrib_PSROIPooling", {Random({1, 7, 5, 5}, 0, 1), Random({1, 5}, 0, 1)}, p, ErrorKind::kShape,
              {"_contrib_PSROIPooling", "(1,7,5,5)", "output_dim * group_size^2"});
  ExpectError("_contrib_PSROIPooling", {Random({1, 8, 5, 5}, 0, 1), Random({1, 4}, 0, 1)}, p, ErrorKind::kShape,
              {"_contrib_PSROIPooling", "rois", "(1,4)"});
  ExpectError("_contrib_DeformablePSROIPooling",
              {Random({1, 8, 5, 5}, 0, 1), Random({2, 5}, 0, 1), Random({2, 2, 3, 3}, 0, 1)},
              {{"spatial_scale", "1"}, {"output_dim", "2"}, {"group_size", "2"}, {"pooled_size", "2"}},
              ErrorKind::kShape, {"_contrib_DeformablePSROIPooling", "trans", "(2,2,3,3)"});
  auto rois = [](std::vector<NDArray> &in) {
    in[1] = F64({3, 5}, {0, 0.6, 1.3, 4.2, 3.9, 1, 2.2, 0.1, 5.6, 2.7, 1, 3.3, 2.8, 1.2, 0.4});
  };
  GradCase g{"_contrib_PSROIPooling", {{"spatial_scale", "0.8"}, {"output_dim", "2"}, {"pooled_size", "3"},
                                       {"group_size", "2"}}, {{2, 8, 5, 6}, {3, 5}}};
  g.no_grad = {1};
  g.fill = rois;
  CheckGradient(g);
  GradCase d{"_contrib_DeformablePSROIPooling",
             {{"spatial_scale", "0.8"}, {"output_dim", "4"}, {"group_size", "2"}, {"pooled_size", "3"},
              {"part_size", "2"}, {"sample_per_part", "2"}, {"trans_std", "0.2"}},
             {{2, 16, 5, 6}, {3, 5}, {3, 4, 2, 2}}};
  d.no_grad = {1};
  d.fill = rois;
  CheckGradient(d);
}

}  // namespace
