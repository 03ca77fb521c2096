// The contrib detection operators (core/ops/contrib_detection.cc, contrib_multibox.cc): box_iou, box_nms,
// bipartite_matching, box_encode, box_decode, MultiBoxPrior, MultiBoxTarget and MultiBoxDetection against values
// printed by MXNet 1.9.1 for the same calls and naive loops; errors; box_nms's gradient by finite differences and
// the zero gradients of the others.
#include <algorithm>
#include <cmath>

#include "test_op_nn_util.h"
#include "test_op_tensor_common.h"

namespace {

using namespace mxct;
using mxc::ErrorKind;

// Random corner boxes (n, 4) with positive sides.
std::vector<double> RandomBoxes(int64_t n, uint64_t seed, double span = 1.0) {
  auto xy = RandVec(2 * n, 0, span, seed), wh = RandVec(2 * n, 0.1 * span, 0.8 * span, seed + 1);
  std::vector<double> b(4 * n);
  for (int64_t i = 0; i < n; ++i) {
    b[4 * i] = xy[2 * i];
    b[4 * i + 1] = xy[2 * i + 1];
    b[4 * i + 2] = xy[2 * i] + wh[2 * i];
    b[4 * i + 3] = xy[2 * i + 1] + wh[2 * i + 1];
  }
  return b;
}

double NaiveIoU(const double *a, const double *b) {
  const double w = std::min(a[2], b[2]) - std::max(a[0], b[0]), h = std::min(a[3], b[3]) - std::max(a[1], b[1]);
  if (w <= 0 || h <= 0) return 0;
  return w * h / ((a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - w * h);
}

void ExpectZeroGradients(const std::string &op, const std::vector<NDArray> &ins, const Params &params) {
  SCOPED_TRACE(op);
  auto outs = ForwardAllOutputs(op, ins, params, false);
  std::vector<NDArray> heads;
  for (auto &o : outs) heads.push_back(FromVec(o.shape(), std::vector<double>(o.Size(), 1.0), o.dtype()));
  auto r = ForwardBackward(op, ins, params, heads, false);
  for (auto &g : r.grads)
    for (double v : ToVec(g)) ASSERT_EQ(v, 0.0);
}

// ---- box_iou ----------------------------------------------------------------------------------------------------
TEST(BoxIou, AsMXNetAndNaive) {
  auto a = FromVec({3, 4}, {0, 0, 2, 2, 1, 1, 3, 3, 0, 0, 0, 0}), b = FromVec({2, 4}, {1, 0, 2, 4, 0, 0, 2, 2});
  // MXNet 1.9.1
  ExpectNear(ToVec(mxct::Run("_contrib_box_iou", {a, b})[0]),
             {0.3333333432674408, 1.0, 0.3333333432674408, 0.1428571492433548, 0, 0}, 1e-6, 1e-7, "corner");
  ExpectNear(ToVec(mxct::Run("_contrib_box_iou", {a, b}, {{"format", "center"}})[0]),
             {0.20000000298023224, 1.0, 0.4166666567325592, 0.20930232107639313, 0, 0}, 1e-6, 1e-7, "center");
  auto lv = RandomBoxes(6, 3), rv = RandomBoxes(5, 9);
  auto y = mxct::Run("_contrib_box_iou", {FromVec({2, 3, 4}, lv, mxc::kFloat64), FromVec({5, 4}, rv, mxc::kFloat64)})[0];
  EXPECT_EQ(y.shape(), mxc::TShape({2, 3, 5}));
  std::vector<double> ref;
  for (int i = 0; i < 6; ++i)
    for (int j = 0; j < 5; ++j) ref.push_back(NaiveIoU(&lv[4 * i], &rv[4 * j]));
  ExpectNear(ToVec(y), ref, 1e-12, 1e-14, "naive");
  ExpectError("_contrib_box_iou", {FromVec({2, 3}, Iota(6)), b}, {}, ErrorKind::kShape, {"_contrib_box_iou", "(2,3)"});
  ExpectError("_contrib_box_iou", {FromVec({4}, Iota(4)), b}, {}, ErrorKind::kShape, {"_contrib_box_iou", "(4,)"});
  ExpectZeroGradients("_contrib_box_iou", {a, b}, {});
}

// ---- box_nms ----------------------------------------------------------------------------------------------------
const std::vector<double> kNms = {0, 0.5, 0, 0, 1, 1, 0, 0.9, 0.1, 0.1, 1.1, 1.1, 1, 0.8, 0, 0, 1, 1,
                                  0, 0.5, 5, 5, 6, 6, 0, 0.2, 5, 5, 6.1, 6.1, 1, 0.05, 0, 0, 1, 1};

std::vector<double> Rows(std::vector<std::vector<double>> rows, int total, int width = 6) {
  std::vector<double> v;
  for (auto &r : rows) v.insert(v.end(), r.begin(), r.end());
  v.resize(total * width, -1.0);
  return v;
}

TEST(BoxNms, AsMXNet) {
  auto d = FromVec({6, 6}, kNms);
  const std::vector<double> r1{0, 0.9, 0.1, 0.1, 1.1, 1.1}, r3{0, 0.5, 5, 5, 6, 6};
  // MXNet 1.9.1
  ExpectNear(ToVec(mxct::Run("_contrib_box_nms", {d})[0]), Rows({r1, r3}, 6), 1e-6, 1e-7, "default");
  ExpectNear(ToVec(mxct::Run("_contrib_box_nms", {d}, {{"id_index", "0"}})[0]), Rows({r1, {1, 0.8, 0, 0, 1, 1}, r3}, 6),
             1e-6, 1e-7, "id_index");
  ExpectNear(ToVec(mxct::Run("_contrib_box_nms", {d}, {{"id_index", "0"}, {"force_suppress", "True"}})[0]),
             Rows({r1, r3}, 6), 1e-6, 1e-7, "force");
  ExpectNear(ToVec(mxct::Run("_contrib_box_nms", {d}, {{"topk", "2"}})[0]), Rows({r1}, 6), 1e-6, 1e-7, "topk");
  ExpectNear(ToVec(mxct::Run("_contrib_box_nms", {d}, {{"out_format", "center"}})[0]),
             Rows({{0, 0.9, 0.6, 0.6, 1, 1}, {0, 0.5, 5.5, 5.5, 1, 1}}, 6), 1e-6, 1e-7, "out center");
  ExpectNear(ToVec(mxct::Run("_contrib_box_non_maximum_suppression", {d}, {{"in_format", "center"}})[0]),
             Rows({{0, 0.9, -0.45, -0.45, 0.65, 0.65}, {0, 0.5, 2, 2, 8, 8}}, 6), 1e-6, 1e-7, "in center");
  // Ties keep the input order; a score equal to valid_thresh is invalid (MXNet 1.9.1).
  std::vector<double> t;
  const double sc[6] = {0.5, 0.7, 0.5, 0.7, 0.5, 0.3};
  for (int i = 0; i < 6; ++i) t.insert(t.end(), {double(i), sc[i], 10.0 * i, 0, 10.0 * i + 1, 1});
  auto y = ToVec(mxct::Run("_contrib_box_nms", {FromVec({6, 6}, t)})[0]);
  std::vector<double> ids;
  for (int i = 0; i < 6; ++i) ids.push_back(y[6 * i]);
  ExpectNear(ids, {1, 3, 0, 2, 4, 5}, 0, 0, "ties");
  y = ToVec(mxct::Run("_contrib_box_nms", {FromVec({6, 6}, t)}, {{"valid_thresh", "0.5"}})[0]);
  EXPECT_EQ(y[6 * 2], -1);
  EXPECT_EQ(y[6], 3);
}

TEST(BoxNms, HiddenRecordAndGradient) {
  auto d = FromVec({6, 6}, kNms);
  auto outs = ForwardAllOutputs("_contrib_box_nms", {d}, {{"id_index", "0"}}, false);
  ASSERT_EQ(outs.size(), 2u);
  EXPECT_EQ(outs[1].dtype(), mxc::kInt32);
  ExpectNear(ToVec(outs[1]), {1, 2, 3, -1, -1, -1}, 0, 0, "record");
  // MXNet 1.9.1: the head gradient of each kept output row goes back to its input row.
  auto head = FromVec({6, 6}, Iota(36, 1));
  auto r = ForwardBackward("_contrib_box_nms", {d}, {{"id_index", "0"}}, {head}, false);
  std::vector<double> want(36, 0.0);
  for (int k = 0; k < 18; ++k) want[6 + k] = k + 1;
  ExpectNear(ToVec(r.grads[0]), want, 0, 0, "MXNet gradient");
  CheckGradient(GradCase{"_contrib_box_nms", {}, {{7, 6}}});
  CheckGradient(GradCase{"_contrib_box_nms", {{"id_index", "0"}, {"topk", "3"}}, {{2, 6, 6}}});
}

TEST(BoxNms, Errors) {
  ExpectError("_contrib_box_nms", {FromVec({3}, Iota(3))}, {}, ErrorKind::kShape, {"_contrib_box_nms", "(3,)"});
  ExpectError("_contrib_box_nms", {FromVec({2, 5}, Iota(10))}, {}, ErrorKind::kShape,
              {"_contrib_box_nms", "coord_start", "(2,5)"});
  ExpectError("_contrib_box_nms", {FromVec({2, 6}, Iota(12))}, {{"score_index", "6"}}, ErrorKind::kShape,
              {"score_index", "(2,6)"});
  ExpectError("_contrib_box_nms", {FromVec({2, 6}, Iota(12))}, {{"id_index", "7"}}, ErrorKind::kShape,
              {"id_index", "(2,6)"});
  ExpectError("_contrib_box_nms", {FromVec({2, 6}, Iota(12))}, {{"in_format", "xywh"}}, ErrorKind::kValue,
              {"in_format"});
}

// ---- bipartite_matching -------------------------------------------------------------------------------------------
TEST(BipartiteMatching, AsMXNet) {
  auto s = FromVec({4, 3}, {0.5, 0.6, 0.1, 0.9, 0.6, 0.3, 0.2, 0.95, 0.4, 0.1, 0.2, 0.3});
  // MXNet 1.9.1
  auto o = mxct::Run("_contrib_bipartite_matching", {s}, {{"threshold", "0.25"}});
  ExpectNear(ToVec(o[0]), {-1, 0, 1, 2}, 0, 0, "rows");
  ExpectNear(ToVec(o[1]), {1, 2, 3}, 0, 0, "cols");
  o = mxct::Run("_contrib_bipartite_matching", {s}, {{"threshold", "0.3"}, {"topk", "1"}});
  ExpectNear(ToVec(o[0]), {-1, 0, 1, -1}, 0, 0, "rows at threshold");
  ExpectNear(ToVec(o[1]), {1, 2, -1}, 0, 0, "cols at threshold");
  o = mxct::Run("_contrib_bipartite_matching", {s}, {{"threshold", "0.35"}, {"is_ascend", "True"}});
  ExpectNear(ToVec(o[0]), {2, -1, -1, 0}, 0, 0, "ascending rows");
  ExpectNear(ToVec(o[1]), {3, -1, 0}, 0, 0, "ascending cols");
  o = mxct::Run("_contrib_bipartite_matching", {FromVec({2, 2}, {0.3, 0.5, 0.5, 0.5})}, {{"threshold", "0.1"}});
  ExpectNear(ToVec(o[0]), {1, 0}, 0, 0, "ties");
  o = mxct::Run("_contrib_bipartite_matching", {FromVec({2, 3, 4}, Iota(24))}, {{"threshold", "0.1"}});
  EXPECT_EQ(o[0].shape(), mxc::TShape({2, 3}));
  EXPECT_EQ(o[1].shape(), mxc::TShape({2, 4}));
  ExpectError("_contrib_bipartite_matching", {FromVec({3}, Iota(3))}, {{"threshold", "0.1"}}, ErrorKind::kShape,
              {"_contrib_bipartite_matching", "(3,)"});
  ExpectError("_contrib_bipartite_matching", {s}, {}, ErrorKind::kValue, {"threshold"});
  ExpectZeroGradients("_contrib_bipartite_matching", {s}, {{"threshold", "0.1"}});
}

// ---- box_encode / box_decode --------------------------------------------------------------------------------------
TEST(BoxEncode, AsMXNet) {
  std::vector<NDArray> ins{FromVec({1, 4}, {1, -1, 0, 1}), FromVec({1, 4}, {1, 0, 0, 0}),
                           FromVec({1, 4, 4}, {0, 0, 2, 2, 1, 1, 3, 4, 0, 0, 1, 1, 0.5, 0.5, 2.5, 1.5}),
                           FromVec({1, 2, 4}, {0.2, 0.1, 2.1, 2.5, 1.5, 0.5, 3, 3.5}),
                           FromVec({4}, {0.1, 0.0, -0.1, 0.2}), FromVec({4}, {0.1, 0.2, 0.3, 0.4})};
  auto o = mxct::Run("_contrib_box_encode", ins);
  // MXNet 1.9.1
  ExpectNear(ToVec(o[0]), {5.249999523162842, 2.5, -0.625606894493103, 0.5136627554893494, 0, 0, 0, 0, 0, 0, 0, 0,
                           -2.75, 1.5000003576278687, 0.162355437874794, 1.6886719465255737},
             1e-5, 1e-6, "targets");
  ExpectNear(ToVec(o[1]), {1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1}, 0, 0, "masks");
  ExpectZeroGradients("_contrib_box_encode", ins, {});
  auto bad = ins;
  bad[5] = FromVec({3}, {1, 1, 1});
  ExpectError("_contrib_box_encode", bad, {}, ErrorKind::kShape, {"_contrib_box_encode", "stds (3,)"});
}

TEST(BoxDecode, AsMXNetAndNaive) {
  auto d = FromVec({1, 2, 4}, {0.1, 0.2, 0.3, -0.4, 1.0, -0.5, 2.0, 0.1});
  auto an = FromVec({1, 2, 4}, {1, 1, 2, 4, 0.5, 0.5, 2.5, 1.5});
  // MXNet 1.9.1
  ExpectNear(ToVec(mxct::Run("_contrib_box_decode", {d, an})[0]),
             {-0.14985883235931396, 0.45935988426208496, 2.549859046936035, 3.1406400203704834, -6.236320495605469,
              -1.0788781642913818, 12.236320495605469, 0.5788782238960266},
             1e-5, 1e-6, "center");
  ExpectNear(ToVec(mxct::Run("_contrib_box_decode", {d, an}, {{"clip", "0.5"}, {"format", "corner"}})[0]),
             {0.925070583820343, 2.094519853591919, 2.2749295234680176, 4.105480194091797, 1.8512787818908691,
              -0.052585482597351074, 5.148721218109131, 1.052585482597351},
             1e-5, 1e-6, "corner clip");
  // Naive: corner anchors, stds, float64.
  auto dv = RandVec(24, -1, 1, 5), av = RandomBoxes(4, 11);
  auto y = ToVec(mxct::Run("_contrib_box_decode", {FromVec({3, 2, 4}, dv, mxc::kFloat64), FromVec({1, 2, 4},
                     std::vector<double>(av.begin(), av.begin() + 8), mxc::kFloat64)},
                     {{"format", "corner"}, {"std0", "0.1"}, {"std1", "0.2"}, {"std2", "0.3"}, {"std3", "0.4"}})[0]);
  const double sd[4] = {0.1, 0.2, 0.3, 0.4};
  std::vector<double> ref;
  for (int b = 0; b < 3; ++b)
    for (int i = 0; i < 2; ++i) {
      const double *a = &av[4 * i], *o = &dv[(b * 2 + i) * 4];
      const double aw = a[2] - a[0], ah = a[3] - a[1], ax = a[0] + aw / 2, ay = a[1] + ah / 2;
      const double x = o[0] * sd[0] * aw + ax, yy = o[1] * sd[1] * ah + ay;
      const double hw = std::exp(o[2] * sd[2]) * aw / 2, hh = std::exp(o[3] * sd[3]) * ah / 2;
      ref.insert(ref.end(), {x - hw, yy - hh, x + hw, yy + hh});
    }
  ExpectNear(y, ref, 1e-12, 1e-12, "naive");
  ExpectError("_contrib_box_decode", {d, FromVec({2, 2, 4}, Iota(16))}, {}, ErrorKind::kShape,
              {"_contrib_box_decode", "(2,2,4)"});
  ExpectZeroGradients("_contrib_box_decode", {d, an}, {});
}

// ---- MultiBoxPrior ------------------------------------------------------------------------------------------------
TEST(MultiBoxPrior, AsMXNet) {
  auto x = FromVec({1, 3, 2, 3}, std::vector<double>(18, 0.0));
  auto y = mxct::Run("_contrib_MultiBoxPrior", {x}, {{"sizes", "(0.5,0.25)"}, {"ratios", "(2,0.5)"}})[0];
  EXPECT_EQ(y.shape(), mxc::TShape({1, 18, 4}));
  auto v = ToVec(y);
  // MXNet 1.9.1: the anchors of the first cell and the last anchor
  ExpectNear(std::vector<double>(v.begin(), v.begin() + 12),
             {-0.0690355896949768, 0.0732233077287674, 0.4023689329624176, 0.4267767071723938, 0.048815540969371796,
              0.1616116464138031, 0.2845177948474884, 0.3383883535861969, 0.048815540969371796, -0.10355338454246521,
              0.2845177948474884, 0.6035534143447876},
             1e-5, 1e-6, "first cell");
  ExpectNear(std::vector<double>(v.end() - 4, v.end()),
             {0.715482234954834, 0.3964466154575348, 0.9511845111846924, 1.1035534143447876}, 1e-5, 1e-6, "last");
  v = ToVec(mxct::Run("_contrib_MultiBoxPrior", {x}, {{"sizes", "[0.8]"}, {"clip", "True"}})[0]);
  ExpectNear(std::vector<double>(v.begin(), v.begin() + 8),
             {0.0, 0.0, 0.4333333373069763, 0.6499999761581421, 0.23333331942558289, 0.0, 0.7666666507720947,
              0.6499999761581421},
             1e-5, 1e-6, "clip");
  v = ToVec(mxct::Run("_contrib_MultiBoxPrior", {x}, {{"steps", "(0.3, 0.2)"}, {"offsets", "(0.2, 0.7)"}})[0]);
  ExpectNear(std::vector<double>(v.begin(), v.begin() + 4),
             {-0.19333334267139435, -0.4399999976158142, 0.47333335876464844, 0.5600000023841858}, 1e-5, 1e-6,
             "steps");
  EXPECT_EQ(mxct::Run("_contrib_MultiBoxPrior", {FromVec({4, 2, 5, 7}, std::vector<double>(280, 0.0))},
                {{"sizes", "(0.1,0.2,0.3)"}, {"ratios", "(1,2)"}})[0].shape(),
            mxc::TShape({1, 140, 4}));
  ExpectError("_contrib_MultiBoxPrior", {FromVec({2, 3}, Iota(6))}, {}, ErrorKind::kShape,
              {"_contrib_MultiBoxPrior", "(2,3)"});
  ExpectError("_contrib_MultiBoxPrior", {x}, {{"steps", "(1,)"}}, ErrorKind::kValue, {"steps"});
  ExpectError("_contrib_MultiBoxPrior", {x}, {{"sizes", "(a,b)"}}, ErrorKind::kValue, {"sizes", "(a,b)"});
  ExpectError("_contrib_MultiBoxPrior", {FromVec({1, 1, 1, 1}, {0}, mxc::kFloat64)}, {}, ErrorKind::kType,
              {"_contrib_MultiBoxPrior", "float64"});
  ExpectZeroGradients("_contrib_MultiBoxPrior", {x}, {});
}

// ---- MultiBoxTarget -----------------------------------------------------------------------------------------------
TEST(MultiBoxTarget, AsMXNet) {
  auto anc = FromVec({1, 6, 4}, {0, 0, 0.5, 0.5, 0.1, 0.1, 0.55, 0.6, 0.5, 0.5, 1, 1, 0.05, 0.05, 0.5, 0.55,
                                 0.3, 0.2, 0.9, 0.8, 0.6, 0.0, 1.0, 0.4});
  auto lab = FromVec({2, 3, 5}, {1, 0.05, 0.05, 0.5, 0.5, 0, 0.55, 0.5, 1, 0.95, -1, -1, -1, -1, -1,
                                 2, 0.3, 0.25, 0.85, 0.8, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1});
  // cls_pred: np.random.RandomState(0).uniform(-1, 1, (2, 3, 6)) as float32
  auto cp = FromVec({2, 3, 6}, {0.09762700647115707, 0.4303787350654602, 0.20552675426006317, 0.08976636826992035,
                                -0.15269039571285248, 0.2917882204055786, -0.12482557445764542, 0.7835460305213928,
                                0.9273255467414856, -0.2331169694662094, 0.5834500789642334, 0.057789839804172516,
                                0.13608911633491516, 0.8511932492256165, -0.8579278588294983, -0.8257414102554321,
                                -0.9595631957054138, 0.665239691734314, 0.5563135147094727, 0.7400242686271667,
                                0.9572367072105408, 0.5983171463012695, -0.07704127579927444, 0.5610583424568176,
                                -0.7634511590003967, 0.2798420488834381, -0.7132934331893921, 0.8893378376960754,
                                0.04369664192199707, -0.170676127076149, -0.47088876366615295, 0.5484673976898193,
                                -0.08769933879375458, 0.13686789572238922, -0.9624204039573669,
                                0.23527099192142487});
  auto o = mxct::Run("_contrib_MultiBoxTarget", {anc, lab, cp});
  ASSERT_EQ(o.size(), 3u);
  EXPECT_EQ(o[0].shape(), mxc::TShape({2, 24}));
  // MXNet 1.9.1
  auto loc = ToVec(o[0]);
  ExpectNear(std::vector<double>(loc.begin(), loc.begin() + 8),
             {0.5000001192092896, 0.5000001192092896, -0.5268027186393738, -0.5268027186393738, -1.1111112833023071,
              -1.5000003576278687, -2.980232238769531e-07, -0.5268027186393738},
             1e-5, 1e-6, "loc");
  ExpectNear(std::vector<double>(loc.begin() + 40, loc.begin() + 44),
             {-0.41666629910469055, 0.41666626930236816, -0.4350564479827881, -0.4350571036338806}, 1e-5, 1e-6,
             "loc batch 1");
  ExpectNear(ToVec(o[2]), {2, 2, 1, 2, 0, 0, 0, 0, 0, 0, 3, 0}, 0, 0, "cls");
  auto mask = ToVec(o[1]);
  EXPECT_EQ(std::count(mask.begin(), mask.end(), 1.0), 20);
  o = mxct::Run("_contrib_MultiBoxTarget", {anc, lab, cp}, {{"negative_mining_ratio", "1"}, {"ignore_label", "-2"}});
  ExpectNear(ToVec(o[2]), {2, 2, 1, 2, 0, 0, -2, -2, -2, 0, 3, -2}, 0, 0, "mining");
  ExpectError("_contrib_MultiBoxTarget", {anc, lab, FromVec({2, 3, 5}, Iota(30))}, {}, ErrorKind::kShape,
              {"_contrib_MultiBoxTarget", "(2,3,5)"});
  ExpectError("_contrib_MultiBoxTarget", {anc, lab, cp}, {{"variances", "(1,2)"}}, ErrorKind::kValue, {"variances"});
  ExpectZeroGradients("_contrib_MultiBoxTarget", {anc, lab, cp}, {});
}

// ---- MultiBoxDetection --------------------------------------------------------------------------------------------
TEST(MultiBoxDetection, AsMXNet) {
  auto cls = FromVec({1, 3, 5}, {0.1, 0.8, 0.3, 0.2, 0.96, 0.6, 0.1, 0.5, 0.7, 0.02, 0.3, 0.1, 0.2, 0.1, 0.02});
  auto loc = FromVec({1, 20}, {0.1, -0.2, 0.3, 0.1, 0, 0, 0, 0, 0.5, 0.5, -0.3, 0.2, -0.1, 0.1, 0.1, -0.1, 1, 1, 1, 1});
  auto anc = FromVec({1, 5, 4}, {0, 0, 0.5, 0.5, 0.1, 0.1, 0.55, 0.6, 0.5, 0.5, 1, 1, 0.05, 0.05, 0.5, 0.55,
                                 0.3, 0.2, 0.9, 0.8});
  const std::vector<double> b3{0.04095470905303955, 0.0599503368139267, 0.5000452995300293, 0.5500496625900269},
      b0{0.0, 0.0, 0.5204591751098633, 0.495050311088562}, b2{0.5395588278770447, 0.5147972702980042, 1.0, 1.0},
      b1{0.10000000894069672, 0.10000002384185791, 0.550000011920929, 0.6000000238418579},
      b4{0.29357922077178955, 0.19357916712760925, 1.0, 0.9264208078384399};
  auto row = [](double id, double s, const std::vector<double> &b) {
    return std::vector<double>{id, s, b[0], b[1], b[2], b[3]};
  };
  // MXNet 1.9.1
  ExpectNear(ToVec(mxct::Run("_contrib_MultiBoxDetection", {cls, loc, anc})[0]),
             Rows({row(0, 0.7, b3), row(-1, 0.6, b0), row(0, 0.5, b2), row(-1, 0.1, b1), row(0, 0.02, b4)}, 5),
             1e-5, 1e-6, "default");
  ExpectNear(ToVec(mxct::Run("_contrib_MultiBoxDetection", {cls, loc, anc}, {{"threshold", "0.35"}})[0]),
             Rows({row(0, 0.7, b3), row(-1, 0.6, b0), row(0, 0.5, b2)}, 5), 1e-5, 1e-6, "threshold");
  ExpectNear(ToVec(mxct::Run("_contrib_MultiBoxDetection", {cls, loc, anc}, {{"nms_topk", "2"}})[0]),
             Rows({row(0, 0.7, b3), row(-1, 0.6, b0), row(-1, 0.5, b2), row(-1, 0.7, b3), row(-1, 0.02, b4)}, 5),
             1e-5, 1e-6, "nms_topk");
  ExpectNear(ToVec(mxct::Run("_contrib_MultiBoxDetection", {cls, loc, anc}, {{"nms_threshold", "0.2"}})[0]),
             Rows({row(0, 0.7, b3), row(-1, 0.6, b0), row(0, 0.5, b2), row(-1, 0.1, b1), row(-1, 0.02, b4)}, 5),
             1e-5, 1e-6, "nms_threshold");
  ExpectError("_contrib_MultiBoxDetection", {cls, FromVec({1, 19}, Iota(19)), anc}, {}, ErrorKind::kShape,
              {"_contrib_MultiBoxDetection", "(1,19)"});
  ExpectError("_contrib_MultiBoxDetection", {cls, loc, FromVec({1, 4, 4}, Iota(16))}, {}, ErrorKind::kShape,
              {"_contrib_MultiBoxDetection", "(1,4,4)"});
  ExpectError("_contrib_MultiBoxDetection",
              {FromVec({1, 3, 5}, ToVec(cls), mxc::kFloat64), FromVec({1, 20}, ToVec(loc), mxc::kFloat64),
               FromVec({1, 5, 4}, ToVec(anc), mxc::kFloat64)},
              {}, ErrorKind::kType, {"_contrib_MultiBoxDetection", "float64"});  // float32 only, as MXNet 1.9.1
  ExpectZeroGradients("_contrib_MultiBoxDetection", {cls, loc, anc}, {});
}

// ---- Proposal / MultiProposal -------------------------------------------------------------------------------------
// Inputs: cls_prob = np.random.RandomState(0).uniform(0, 1, (1, 6, 2, 3)), then bbox_pred = uniform(-0.3, 0.3,
// (1, 12, 2, 3)) from the same generator, as float32.
const std::vector<double> kPropCls = {
    0.54881352186203,   0.7151893377304077,  0.6027633547782898,  0.5448831915855408,  0.42365479469299316,
    0.6458941102027893, 0.4375872015953064,  0.891772985458374,   0.9636627435684204,  0.3834415078163147,
    0.7917250394821167, 0.5288949012756348,  0.5680445432662964,  0.9255966544151306,  0.07103605568408966,
    0.08712930232286453, 0.020218396559357643, 0.832619845867157, 0.7781567573547363,  0.8700121641159058,
    0.978618323802948,  0.7991585731506348,  0.4614793658256531,  0.7805292010307312,  0.11827442795038223,
    0.6399210095405579, 0.14335328340530396, 0.9446688890457153,  0.5218483209609985,  0.4146619439125061,
    0.26455560326576233, 0.7742336988449097, 0.4561503231525421,  0.568433940410614,   0.018789799883961678,
    0.6176354885101318};
const std::vector<double> kPropBox = {
    0.06725743412971497,  0.0701603963971138,   0.2662488520145416,   0.10909217596054077,  -0.08429525792598724,
    -0.03778082877397537, 0.1185787171125412,   -0.2638647258281708,  0.10006003081798553,  0.10238271951675415,
    -0.1737704575061798,  -0.22264422476291656, -0.11074298620223999, -0.0817735344171524,  0.04211806133389473,
    -0.036839090287685394, 0.29302430152893066, -0.23877310752868652, -0.17467394471168518, -0.20321428775787354,
    0.09186499565839767,  -0.1480250358581543,  -0.0202135369181633,  -0.15334464609622955, -0.20461824536323547,
    -0.23377491533756256, 0.09379775077104568,  -0.21709023416042328, -0.18205058574676514, -0.0787649005651474,
    0.1925959438085556,   -0.24173922836780548, 0.20276693999767303,  -0.24234095215797424, 0.28587567806243896,
    -0.018809279426932335, 0.28605666756629944, 0.06290730834007263,  0.14355814456939697,  -0.2764873206615448,
    -0.13031582534313202, -0.22788205742835999, -0.12231588363647461, -0.2287633717060089,  -0.10921008884906769,
    -0.05144220218062401, -0.26151150465011597, 0.11548326909542084,  0.03996087238192558,  -0.14076630771160126,
    0.013948831707239151, -0.24363569915294647, 0.04556789621710777,  0.25757771730422974,  -0.1088586300611496,
    0.10044623166322708,  -0.22092127799987793, 0.1297963261604309,   -0.1263563483953476,  -0.19008518755435944,
    0.05190775915980339,  -0.2879354655742645,  0.19736401736736298,  -0.29718270897865295, 0.1066899225115776,
    -0.13799521327018738, 0.1411164104938507,   0.27731311321258545,  -0.1507481187582016,  0.04569439962506294,
    0.05522515997290611,  0.04335114359855652};

TEST(Proposal, AsMXNet) {
  auto cls = FromVec({1, 6, 2, 3}, kPropCls), box = FromVec({1, 12, 2, 3}, kPropBox);
  auto im = FromVec({1, 3}, {16, 22, 1});
  const Params common{{"feature_stride", "8"}, {"output_score", "True"}};
  Params p1 = common;
  p1.insert(p1.end(), {{"scales", "(2,)"}, {"ratios", "(0.5,1,2)"}, {"rpn_pre_nms_top_n", "12"},
                       {"rpn_post_nms_top_n", "8"}, {"rpn_min_size", "2"}});
  auto o = mxct::Run("_contrib_Proposal", {cls, box, im}, p1);
  ASSERT_EQ(o.size(), 2u);
  EXPECT_EQ(o[0].shape(), mxc::TShape({8, 5}));
  // MXNet 1.9.1
  auto r = ToVec(o[0]);
  ExpectNear(std::vector<double>(r.begin(), r.begin() + 10),
             {0.0, 0.0, 0.5236763954162598, 5.594101905822754, 14.721412658691406, 0.0, 3.4072418212890625, 0.0, 21.0,
              4.73024320602417},
             1e-5, 1e-5, "rois");
  ExpectNear(ToVec(o[1]), {0.9446688890457153, 0.8700121641159058, 0.7991585731506348, 0.7781567573547363,
                           0.7742336988449097, 0.6399210095405579, 0.5218483209609985, 0.4614793658256531},
             1e-6, 1e-7, "scores");
  // Too small boxes: score -1 and widened by rpn_min_size / 2; the kept boxes repeat cyclically.
  Params p2 = common;
  p2.insert(p2.end(), {{"scales", "(1,2,3)"}, {"ratios", "(1,)"}, {"rpn_pre_nms_top_n", "5"},
                       {"rpn_post_nms_top_n", "4"}, {"rpn_min_size", "8"}, {"threshold", "0.5"}});
  o = mxct::Run("_contrib_Proposal", {cls, box, im}, p2);
  const std::vector<double> k0{0.0, 0.0, 0.0, 16.619327545166016, 15.0},
      k1{0.0, -3.0426158905029297, -2.4102933406829834, 11.118734359741211, 11.3075532913208};
  std::vector<double> want;
  for (int i = 0; i < 2; ++i) {
    want.insert(want.end(), k0.begin(), k0.end());
    want.insert(want.end(), k1.begin(), k1.end());
  }
  ExpectNear(ToVec(o[0]), want, 1e-5, 1e-5, "min size");
  ExpectNear(ToVec(o[1]), {0.7742336988449097, -1, 0.7742336988449097, -1}, 1e-6, 1e-7, "min size scores");
  // Without output_score one visible output.
  EXPECT_EQ(mxct::Run("_contrib_Proposal", {cls, box, im}, {{"feature_stride", "8"}, {"scales", "(2,)"}}).size(), 1u);
  ExpectError("_contrib_Proposal", {cls, box, im}, {{"feature_stride", "8"}}, ErrorKind::kShape,
              {"_contrib_Proposal", "(1,6,2,3)"});
  ExpectError("_contrib_Proposal", {cls, box, FromVec({1, 3}, {40, 22, 1})},
              {{"feature_stride", "8"}, {"scales", "(2,)"}}, ErrorKind::kValue, {"im_info"});
  ExpectZeroGradients("_contrib_Proposal", {cls, box, im}, {{"feature_stride", "8"}, {"scales", "(2,)"}});
}

TEST(MultiProposal, BatchOfTheSameImageAsProposal) {
  std::vector<double> c2 = kPropCls, b2 = kPropBox;
  c2.insert(c2.end(), kPropCls.begin(), kPropCls.end());
  b2.insert(b2.end(), kPropBox.begin(), kPropBox.end());
  const Params p{{"feature_stride", "8"}, {"scales", "(2,)"}, {"rpn_post_nms_top_n", "5"}, {"output_score", "1"}};
  auto one = mxct::Run("_contrib_Proposal", {FromVec({1, 6, 2, 3}, kPropCls), FromVec({1, 12, 2, 3}, kPropBox),
                                             FromVec({1, 3}, {16, 22, 1})}, p);
  auto two = mxct::Run("_contrib_MultiProposal", {FromVec({2, 6, 2, 3}, c2), FromVec({2, 12, 2, 3}, b2),
                                                  FromVec({2, 3}, {16, 22, 1, 16, 22, 1})}, p);
  EXPECT_EQ(two[0].shape(), mxc::TShape({10, 5}));
  auto r1 = ToVec(one[0]), r2 = ToVec(two[0]);
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(r2[5 * i], 0);
    EXPECT_EQ(r2[25 + 5 * i], 1);
    for (int c = 1; c < 5; ++c) {
      EXPECT_EQ(r2[5 * i + c], r1[5 * i + c]);
      EXPECT_EQ(r2[25 + 5 * i + c], r1[5 * i + c]);
    }
  }
  ExpectError("_contrib_Proposal", {FromVec({2, 6, 2, 3}, c2), FromVec({2, 12, 2, 3}, b2),
                                    FromVec({2, 3}, {16, 22, 1, 16, 22, 1})}, p, ErrorKind::kShape,
              {"_contrib_Proposal", "MultiProposal"});
}

}  // namespace
