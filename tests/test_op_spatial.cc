// GridGenerator, BilinearSampler, SpatialTransformer, ROIPooling and _contrib_ROIAlign against values and gradients
// printed by MXNet 1.9.1 and naive references, gradients by finite differences, errors.
#include <cmath>

#include "test_op_nn_util.h"
#include "test_op_tensor_common.h"

namespace {

using namespace mxct;
using mxc::ErrorKind;

std::vector<double> Lin(double a, double b, int n) {
  std::vector<double> v(n);
  for (int i = 0; i < n; ++i) v[i] = a + (b - a) * i / (n - 1);
  return v;
}

// ---- GridGenerator ---------------------------------------------------------------------------------------------
// MXNet 1.9.1: GridGenerator(theta = [[0.9, 0.1, 0.05, -0.2, 1.1, 0.1]], 'affine', target_shape=(2, 3)) and
// GridGenerator(cos(arange(12)).reshape(1, 2, 2, 3), 'warp'), with head gradients linspace(-1, 1, 12).
TEST(GridGenerator, AsMXNet) {
  auto th = FromVec({1, 6}, {0.9, 0.1, 0.05, -0.2, 1.1, 0.1});
  auto r = ForwardBackward("GridGenerator", {th}, {{"transform_type", "affine"}, {"target_shape", "(2,3)"}},
                           {FromVec({1, 2, 2, 3}, Lin(-1, 1, 12))}, false);
  EXPECT_EQ(r.outputs[0].shape(), mxc::TShape({1, 2, 2, 3}));
  ExpectNear(ToVec(r.outputs[0]), {-0.95, -0.05, 0.85, -0.75, 0.15, 1.05, -0.8, -1.0, -1.2, 1.4, 1.2, 1.0}, 1e-5,
             1e-6, "affine");
  ExpectNear(ToVec(r.grads[0]), {0.7272728085517883, 1.6363636255264282, -3.2727272510528564, 0.7272728085517883,
                                 1.6363635063171387, 3.2727272510528564},
             1e-5, 1e-6, "affine gradient");
  std::vector<double> fl(12);
  for (int i = 0; i < 12; ++i) fl[i] = std::cos(i);
  auto w = ForwardBackward("GridGenerator", {FromVec({1, 2, 2, 3}, fl)}, {{"transform_type", "warp"}},
                           {FromVec({1, 2, 2, 3}, Lin(-1, 1, 12))}, false);
  ExpectNear(ToVec(w.outputs[0]),
             {0.0, 0.5403022766113281, 0.5838531851768494, -1.989992380142212, -0.6536436080932617,
              1.2836623191833496, 0.9203404784202576, 0.5078045129776001, -1.2910001277923584, -0.8222604990005493,
              -0.6781430244445801, 1.0088512897491455},
             1e-5, 1e-6, "warp");
  ExpectNear(ToVec(w.grads[0]),
             {-1.0, -0.8181818127632141, -0.6363636255264282, -0.45454540848731995, -0.2727273106575012,
              -0.09090910106897354, 0.18181820213794708, 0.5454546213150024, 0.9090908765792847, 1.2727272510528564,
              1.6363636255264282, 2.0},
             1e-5, 1e-6, "warp gradient");
  CheckGradient(GradCase{"GridGenerator", {{"transform_type", "affine"}, {"target_shape", "(3,4)"}}, {{2, 6}}});
  CheckGradient(GradCase{"GridGenerator", {{"transform_type", "warp"}}, {{2, 2, 3, 4}}});
}

// ---- BilinearSampler / SpatialTransformer ------------------------------------------------------------------------
// MXNet 1.9.1: data arange(24).reshape(1, 2, 3, 4) * 0.5, grid x = [-1, -0.5, 0.3, 1.2], y = [-1, 0.2, 0.9, 0.5]
// (1, 2, 2, 2), head gradient linspace(0.5, 1.2, 8).
TEST(BilinearSampler, AsMXNetAndNaive) {
  std::vector<double> dv(24);
  for (int i = 0; i < 24; ++i) dv[i] = i * 0.5;
  auto d = FromVec({1, 2, 3, 4}, dv);
  auto g = FromVec({1, 2, 2, 2}, {-1, -0.5, 0.3, 1.2, -1, 0.2, 0.9, 0.5});
  auto r = ForwardBackward("BilinearSampler", {d, g}, {}, {FromVec({1, 2, 2, 2}, Lin(0.5, 1.2, 8))}, false);
  ExpectNear(ToVec(r.outputs[0]), {0.0, 2.775, 4.775, 3.15, 6.0, 8.775, 10.775, 7.35}, 1e-5, 1e-5, "output");
  ExpectNear(ToVec(r.grads[0]),
             {0.5, 0.0, 0.0, 0.0, 0.12, 0.3635, 0.0665, 0.28, 0.03, 0.1215, 0.5985, 0.28, 0.9, 0.0, 0.0, 0.0, 0.2,
              0.6055, 0.1045, 0.42, 0.05, 0.1995, 0.9405, 0.42},
             1e-4, 1e-5, "data gradient");
  ExpectNear(ToVec(r.grads[1]), {1.05, 1.2, 1.35, -24.3, 2.8, 3.2, 3.6, 2.8}, 1e-4, 1e-4, "grid gradient");
  // naive: the data is linear in (x, y) inside the image: value = 0.5 * (12 c + 4 y + x)
  auto o = ToVec(mxct::Run("BilinearSampler", {d, FromVec({1, 2, 1, 1}, {0.13, -0.41})})[0]);
  const double x = (0.13 + 1) * 1.5, y = (-0.41 + 1) * 1.0;
  ExpectNear(o, {0.5 * (4 * y + x), 0.5 * (12 + 4 * y + x)}, 1e-5, 1e-6, "linear data");
  CheckGradient(GradCase{"BilinearSampler", {}, {{2, 2, 4, 5}, {2, 2, 3, 2}}, -1.1, 1.1});
}

// MXNet 1.9.1: SpatialTransformer(data as above, loc [[0.8, 0.2, 0.1, -0.1, 0.7, -0.2]], target_shape=(2, 3)),
// head gradient linspace(0.5, 1.2, 12).
TEST(SpatialTransformer, AsMXNet) {
  std::vector<double> dv(24);
  for (int i = 0; i < 24; ++i) dv[i] = i * 0.5;
  auto d = FromVec({1, 2, 3, 4}, dv);
  auto loc = FromVec({1, 6}, {0.8, 0.2, 0.1, -0.1, 0.7, -0.2});
  const Params ps{{"target_shape", "(2,3)"}, {"transform_type", "affine"}, {"sampler_type", "bilinear"}};
  auto r = ForwardBackward("SpatialTransformer", {d, loc}, ps, {FromVec({1, 2, 2, 3}, Lin(0.5, 1.2, 12))}, false);
  ExpectNear(ToVec(r.outputs[0]),
             {0.4750001132488251, 0.875, 1.2750000953674316, 3.575000047683716, 3.9749999046325684,
              3.655000686645508, 6.474999904632568, 6.875, 7.275000095367432, 9.574999809265137, 9.975000381469727,
              8.75500202178955},
             1e-5, 1e-5, "output");
  ExpectNear(ToVec(r.grads[0]),
             {0.34, 0.38972729444503784, 0.4598180055618286, 0.34500008821487427, 0.15409089624881744,
              0.27777281403541565, 0.3781363070011139, 0.41727280616760254, 0.10363639891147614,
              0.32977280020713806, 0.35840898752212524, 0.278181791305542, 0.5996361970901489, 0.6589092016220093,
              0.7519087791442871, 0.5550001859664917, 0.2571817934513092, 0.43813639879226685, 0.5728635787963867,
              0.6120001077651978, 0.16090910136699677, 0.5111364126205444, 0.5397726893424988, 0.408},
             1e-4, 1e-5, "data gradient");
  ExpectNear(ToVec(r.grads[1]),
             {-24.949092864990234, -24.471818923950195, -17.680910110473633, 0.41272780299186707,
              1.6854549646377563, 19.794546127319336},
             1e-4, 1e-4, "loc gradient");
  CheckGradient(GradCase{"SpatialTransformer",
                         {{"target_shape", "(3,3)"}, {"transform_type", "affine"}, {"sampler_type", "bilinear"}},
                         {{2, 2, 4, 5}, {2, 6}}});
}

TEST(SpatialSampling, Errors) {
  ExpectError("GridGenerator", {FromVec({2, 5}, std::vector<double>(10, 0))},
              {{"transform_type", "affine"}, {"target_shape", "(2,2)"}}, ErrorKind::kShape,
              {"GridGenerator", "(2,5)", "(batch, 6)"});
  ExpectError("GridGenerator", {FromVec({1, 6}, std::vector<double>(6, 0))}, {{"transform_type", "affine"}},
              ErrorKind::kValue, {"GridGenerator", "target_shape"});
  ExpectError("BilinearSampler", {FromVec({1, 1, 3, 3}, std::vector<double>(9, 0)),
                                  FromVec({1, 3, 2, 2}, std::vector<double>(12, 0))},
              {}, ErrorKind::kShape, {"BilinearSampler", "grid", "(1,3,2,2)"});
  ExpectError("BilinearSampler", {FromVec({2, 1, 3, 3}, std::vector<double>(18, 0)),
                                  FromVec({1, 2, 2, 2}, std::vector<double>(8, 0))},
              {}, ErrorKind::kShape, {"BilinearSampler", "batch"});
  ExpectError("SpatialTransformer", {FromVec({1, 1, 3, 3}, std::vector<double>(9, 0)),
                                     FromVec({1, 4}, std::vector<double>(4, 0))},
              {{"target_shape", "(2,2)"}, {"transform_type", "affine"}, {"sampler_type", "bilinear"}},
              ErrorKind::kShape, {"SpatialTransformer", "loc", "(1,4)"});
}

// ---- ROIPooling / ROIAlign ---------------------------------------------------------------------------------------
NDArray RoiData() {
  std::vector<double> v(2 * 2 * 5 * 6);
  for (size_t i = 0; i < v.size(); ++i) v[i] = std::sin(i * 1.3);
  return FromVec({2, 2, 5, 6}, v);
}

// A naive ROI max pooling (MXNet's rounding of the roi corners, bins floor/ceil), for one roi.
std::vector<double> NaiveROIPool(const std::vector<double> &x, int64_t C, int64_t H, int64_t W,
                                 const std::vector<double> &roi, int64_t PH, int64_t PW, double scale) {
  std::vector<double> out;
  const int64_t b = static_cast<int64_t>(roi[0]);
  const int64_t x1 = std::llround(roi[1] * scale), y1 = std::llround(roi[2] * scale);
  const int64_t x2 = std::llround(roi[3] * scale), y2 = std::llround(roi[4] * scale);
  const double bh = std::max<int64_t>(y2 - y1 + 1, 1) / double(PH), bw = std::max<int64_t>(x2 - x1 + 1, 1) / double(PW);
  for (int64_t c = 0; c < C; ++c)
    for (int64_t ph = 0; ph < PH; ++ph)
      for (int64_t pw = 0; pw < PW; ++pw) {
        double m = -1e300;
        bool any = false;
        for (int64_t h = 0; h < H; ++h)
          for (int64_t w = 0; w < W; ++w) {
            if (h < std::floor(ph * bh) + y1 || h >= std::ceil((ph + 1) * bh) + y1) continue;
            if (w < std::floor(pw * bw) + x1 || w >= std::ceil((pw + 1) * bw) + x1) continue;
            m = std::max(m, x[((b * C + c) * H + h) * W + w]);
            any = true;
          }
        out.push_back(any ? m : 0.0);
      }
  return out;
}

// MXNet 1.9.1: ROIPooling(sin(arange(120) * 1.3).reshape(2, 2, 5, 6), rois, pooled_size=(2, 2),
// spatial_scale=1), head gradient linspace(0.5, 1.2, 24).
TEST(ROIPooling, AsMXNetAndNaive) {
  auto d = RoiData();
  auto rois = FromVec({3, 5}, {0, 0, 0, 3, 2, 1, 1.2, 0.6, 4.7, 3.9, 0, 2, 1, 2, 1});
  auto r = ForwardBackward("ROIPooling", {d, rois}, {{"pooled_size", "(2,2)"}, {"spatial_scale", "1"}},
                           {FromVec({3, 2, 2, 2}, Lin(0.5, 1.2, 24))}, false, {0});
  ExpectNear(ToVec(r.outputs[0]),
             {0.9985433220863342, 0.5155013799667358, 0.9985433220863342, 0.6055397987365723, 0.9637954235076904,
              0.4209727942943573, 0.3182564973831177, 0.928465723991394, 0.9864823818206787, 0.9864823818206787,
              0.8263288140296936, 0.9642674922943115, 0.9863365292549133, 0.7642794251441956, 0.9645025134086609,
              0.9645025134086609, -0.8278263807296753, -0.8278263807296753, -0.8278263807296753,
              -0.8278263807296753, -0.7614080905914307, -0.7614080905914307, -0.7614080905914307,
              -0.7614080905914307},
             1e-5, 1e-6, "output");
  auto gd = ToVec(r.grads[0]);
  EXPECT_NEAR(gd[2], 0.530434787273407, 1e-5);
  EXPECT_NEAR(gd[8], 4.130434989929199, 1e-5);
  EXPECT_NEAR(gd[38], 4.617391586303711, 1e-5);
  EXPECT_NEAR(gd[69], 1.5173912048339844, 1e-5);
  double total = 0;
  for (double v : gd) total += v;
  double heads = 0;
  for (double v : Lin(0.5, 1.2, 24)) heads += v;
  EXPECT_NEAR(total, heads, 1e-4);  // every output gradient lands on one input
  // scale 0.5, pooled (3, 2), against MXNet and the naive pooling
  auto dv = ToVec(d);
  std::vector<double> r2v{0, 0, 0, 6, 4, 1, 2.4, 1.2, 9.4, 7.8};
  auto o2 = ToVec(
      mxct::Run("ROIPooling", {d, FromVec({2, 5}, r2v)}, {{"pooled_size", "(3,2)"}, {"spatial_scale", "0.5"}})[0]);
  ExpectNear(std::vector<double>(o2.begin(), o2.begin() + 12),
             {0.9635581970214844, 0.5155013799667358, 0.9985433220863342, -0.7619835734367371, 0.10775359719991684,
              0.6055397987365723, 0.9637954235076904, -0.6884105801582336, 0.3182564973831177, 0.4209727942943573,
              -0.6041253209114075, 0.928465723991394},
             1e-5, 1e-6, "scaled");
  for (int k = 0; k < 2; ++k) {
    auto naive = NaiveROIPool(dv, 2, 5, 6, std::vector<double>(r2v.begin() + 5 * k, r2v.begin() + 5 * k + 5), 3, 2,
                              0.5);
    ExpectNear(std::vector<double>(o2.begin() + 12 * k, o2.begin() + 12 * k + 12), naive, 1e-6, 1e-6, "naive");
  }
  GradCase g{"ROIPooling", {{"pooled_size", "(2,2)"}, {"spatial_scale", "1"}}, {{2, 2, 5, 6}, {3, 5}}, -1, 1, {1},
             [](std::vector<NDArray> &in) {
               in[1] = FromVec({3, 5}, {0, 0, 0, 3, 2, 1, 1.2, 0.6, 4.7, 3.9, 1, 2, 1, 5, 4}, mxc::kFloat64);
             }};
  CheckGradient(g);
}

// MXNet 1.9.1: _contrib_ROIAlign of the same data, pooled_size=(2, 3).
TEST(ROIAlign, AsMXNet) {
  auto d = RoiData();
  auto rois = FromVec({3, 5}, {0, 0, 0, 3, 2, 1, 1.2, 0.6, 4.7, 3.9, 0, 2, 1, 2, 1});
  const Params ps{{"pooled_size", "(2,3)"}, {"spatial_scale", "1"}};
  auto r = ForwardBackward("_contrib_ROIAlign", {d, rois}, ps, {FromVec({3, 2, 2, 3}, Lin(0.5, 1.2, 36))}, false, {0});
  ExpectNear(ToVec(r.outputs[0]),
             {0.5702999830245972, 0.24258290231227875, -0.44051870703697205, 0.12406779825687408,
              -0.5106711983680725, -0.39727580547332764, 0.24211689829826355, -0.44085079431533813,
              -0.47797098755836487, -0.5109112858772278, -0.39690279960632324, 0.2985692024230957,
              0.42507681250572205, 0.4340347945690155, -0.3538944125175476, -0.0944674015045166,
              -0.48064661026000977, 0.0244159996509552, 0.5167368054389954, -0.2516503930091858,
              -0.5402079224586487, -0.4982337951660156, -0.07340080291032791, 0.4762521982192993,
              -0.7134155035018921, -0.5960903763771057, -0.47876518964767456, -0.5065411925315857,
              -0.19846110045909882, 0.10961910337209702, -0.2582710087299347, 0.0641757994890213, 0.3866227865219116,
              0.35387611389160156, 0.5329626202583313, 0.7120493054389954},
             1e-5, 1e-6, "output");
  const auto ga = ToVec(r.grads[0]);
  ExpectNear(std::vector<double>(ga.begin(), ga.begin() + 16),
             {0.125, 0.255, 0.265, 0.135, 0.0, 0.0, 0.265, 0.54, 2.0691661834716797, 1.8208335638046265, 0.0, 0.0,
              0.14, 0.285, 1.8491666316986084, 1.730833649635315},
             1e-4, 1e-5, "data gradient");
  // aligned, a scaled roi with one sample per bin, position-sensitive channels
  auto rois_al = FromVec({3, 5}, {0, 0, 0, 3, 2, 1, 1.2, 0.6, 4.7, 3.9, 0, 2, 1, 2.5, 1.7});
  auto al = ToVec(mxct::Run("_contrib_ROIAlign", {d, rois_al}, {{"pooled_size", "(2,3)"}, {"spatial_scale", "1"},
                                                           {"aligned", "1"}})[0]);
  ExpectNear(std::vector<double>(al.begin(), al.begin() + 12),
             {0.0, 0.9635582, 0.5155014, 0.9985433, 0.3190984, -0.8278264, 0.9637954, 0.5147401, -0.6884106,
              0.3182565, -0.8283244, -0.7614081},
             1e-5, 1e-6, "aligned");
  ExpectNear(std::vector<double>(al.begin() + 24, al.end()),
             {-0.007998, -0.1612967, -0.3145956, -0.3596915, -0.5447156, -0.7297397, -0.5935775, -0.6512201,
              -0.7088627, -0.7670093, -0.7510923, -0.7351752},
             1e-5, 1e-6, "aligned small roi");
  auto sc = ToVec(mxct::Run("_contrib_ROIAlign", {d, FromVec({2, 5}, {0, 0, 0, 6, 4, 1, 2.4, 1.2, 9.4, 7.8})},
                      {{"pooled_size", "(2,2)"}, {"spatial_scale", "0.5"}, {"sample_ratio", "1"}})[0]);
  ExpectNear(sc, {0.6058141, -0.2983406, -0.0904725, -0.5568027, 0.0426624, -0.6014402, -0.6135681, 0.1104942,
                  0.6282296, -0.2048056, -0.4112341, -0.2640936, 0.4539199, -0.6502662, -0.8632206, 0.6855586},
             1e-5, 1e-6, "scaled");
  std::vector<double> d8(8 * 5 * 6);
  for (size_t i = 0; i < d8.size(); ++i) d8[i] = std::sin(i * 0.7);
  auto psr = mxct::Run("_contrib_ROIAlign", {FromVec({1, 8, 5, 6}, d8), FromVec({1, 5}, {0, 0.5, 0.5, 4, 3})},
                 {{"pooled_size", "(2,2)"}, {"spatial_scale", "1"}, {"position_sensitive", "1"}})[0];
  EXPECT_EQ(psr.shape(), mxc::TShape({1, 2, 2, 2}));
  ExpectNear(ToVec(psr), {-0.4909267, 0.4345503, 0.2264221, -0.3167859, 0.4255609, -0.4633377, 0.1811616, -0.0630042},
             1e-5, 1e-6, "position sensitive");
  for (const char *aligned : {"0", "1"}) {
    GradCase g{"_contrib_ROIAlign",
               {{"pooled_size", "(2,2)"}, {"spatial_scale", "0.8"}, {"sample_ratio", "2"}, {"aligned", aligned}},
               {{2, 2, 5, 6}, {2, 5}}, -1, 1, {1},
               [](std::vector<NDArray> &in) {
                 in[1] = FromVec({2, 5}, {0, 0.3, 0.2, 5.1, 4.4, 1, 1.2, 0.6, 4.7, 3.9}, mxc::kFloat64);
               }};
    CheckGradient(g);
  }
  GradCase gps{"_contrib_ROIAlign", {{"pooled_size", "(2,2)"}, {"spatial_scale", "1"}, {"position_sensitive", "1"}},
               {{1, 8, 4, 5}, {2, 5}}, -1, 1, {1},
               [](std::vector<NDArray> &in) {
                 in[1] = FromVec({2, 5}, {0, 0.5, 0.5, 4, 3, 0, 1.3, 0.2, 3.1, 2.6}, mxc::kFloat64);
               }};
  CheckGradient(gps);
}

// A roi whose batch index is outside the batch pools nothing: zeros, and no gradient.
TEST(ROIPooling, RoiOutsideTheBatch) {
  auto d = RoiData();
  auto rois = FromVec({2, 5}, {-1, 0, 0, 3, 2, 2, 0, 0, 3, 2});
  for (const char *op : {"ROIPooling", "_contrib_ROIAlign"}) {
    auto r = ForwardBackward(op, {d, rois}, {{"pooled_size", "(2,2)"}, {"spatial_scale", "1"}},
                             {FromVec({2, 2, 2, 2}, std::vector<double>(16, 1.0))}, false, {0});
    ExpectNear(ToVec(r.outputs[0]), std::vector<double>(16, 0.0), 0, 0, op);
    ExpectNear(ToVec(r.grads[0]), std::vector<double>(120, 0.0), 0, 0, op);
  }
}

TEST(ROIPooling, Errors) {
  auto d = RoiData();
  ExpectError("ROIPooling", {d, FromVec({1, 4}, {0, 0, 0, 1})}, {{"pooled_size", "(2,2)"}, {"spatial_scale", "1"}},
              ErrorKind::kShape, {"ROIPooling", "rois", "(1,4)"});
  ExpectError("ROIPooling", {FromVec({2, 5, 6}, std::vector<double>(60, 0)), FromVec({1, 5}, {0, 0, 0, 1, 1})},
              {{"pooled_size", "(2,2)"}, {"spatial_scale", "1"}}, ErrorKind::kShape, {"ROIPooling", "data", "(2,5,6)"});
  ExpectError("_contrib_ROIAlign", {d, FromVec({1, 5}, {0, 0, 0, 1, 1})},
              {{"pooled_size", "(2,2)"}, {"spatial_scale", "1"}, {"position_sensitive", "1"}}, ErrorKind::kShape,
              {"_contrib_ROIAlign", "position_sensitive", "(2,2,5,6)"});
  ExpectError("_contrib_ROIAlign", {d, FromVec({1, 5}, {0, 0, 0, 1, 1})},
              {{"pooled_size", "(2,0)"}, {"spatial_scale", "1"}}, ErrorKind::kValue,
              {"_contrib_ROIAlign", "pooled_size"});
  ExpectErrorContains(
      [&] {
        ToVec(mxct::Run("_contrib_ROIAlign", {d, FromVec({1, 5}, {0, 2, 1, 2, 1})},
                  {{"pooled_size", "(2,2)"}, {"spatial_scale", "1"}, {"aligned", "1"}})[0]);
      },
      {"_contrib_ROIAlign", "empty", "aligned"});
}

}  // namespace
