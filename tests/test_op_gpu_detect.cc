// Native GPU kernels of cuda/gpu_ops_detect.cc (box_iou, box_encode, box_decode, MultiBoxPrior, MultiBoxTarget,
// MultiBoxDetection, box_nms and its gradient, bipartite_matching, Proposal, MultiProposal, allclose, index_array,
// _random_pdf_dirichlet; _shuffle and _sample_multinomial by their distributions):
// forward and gradient on gpu(0) against the CPU kernels -- the selection operators with tied scores, where the
// CPU's stable order decides -- with write and add requests, and without host staging (skipped, visibly, without a
// GPU).
#include <algorithm>
#include <cmath>
#include <limits>
#include <random>
#include <set>

#include "test_op_gpu_req.h"
#include "test_op_gpu_util.h"

namespace {

using namespace mxct_gpu;

constexpr int kF64 = mxc::kFloat64;
using Fill = std::function<void(std::vector<NDArray> &)>;

// fill: input k through f(values, index of the value).
Fill Map(int k, std::function<double(const std::vector<double> &, size_t)> f) {
  return [=](std::vector<NDArray> &in) {
    const std::vector<double> v = mxct::ToVec(in[k]);
    std::vector<double> r(v.size());
    for (size_t i = 0; i < v.size(); ++i) r[i] = f(v, i);
    in[k] = mxct::FromVec(in[k].shape(), r, in[k].dtype());
  };
}
Fill All(std::vector<Fill> fs) {
  return [=](std::vector<NDArray> &in) {
    for (auto &f : fs) f(in);
  };
}
// fill: input k replaced by `values` (cycled), in its dtype.
Fill Set(int k, std::vector<double> values) {
  return Map(k, [values](const std::vector<double> &, size_t i) { return values[i % values.size()]; });
}
// Corner boxes from random quadruples: (min x, min y, max x, max y) of the columns [c, c + 4) of rows of width w.
double CornerOf(const std::vector<double> &v, size_t i, size_t w, size_t c) {
  const size_t row = i / w * w, q = i % w;
  if (q < c || q >= c + 4) return v[i];
  const double x0 = v[row + c], y0 = v[row + c + 1], x1 = v[row + c + 2], y1 = v[row + c + 3];
  switch (q - c) {
    case 0: return std::min(x0, x1);
    case 1: return std::min(y0, y1);
    case 2: return std::max(x0, x1);
    default: return std::max(y0, y1);
  }
}
Fill Corners(int k, size_t w = 4, size_t c = 0) {
  return Map(k, [=](const std::vector<double> &v, size_t i) { return CornerOf(v, i, w, c); });
}
// Values rounded to multiples of step (ties for the sorts).
double Quantize(double x, double step) { return std::round(x / step) * step; }

// box_nms data (rows of 6: id, score, x0, y0, x1, y1): ids in {0, 1, 2}, scores in steps of 0.125 (ties), boxes.
Fill NmsData(int k) {
  return Map(k, [](const std::vector<double> &v, size_t i) {
    const size_t q = i % 6;
    if (q == 0) return std::floor(v[i] * 2.999);
    if (q == 1) return Quantize(v[i], 0.125);
    return CornerOf(v, i, 6, 2) * 0.6;  // crowded: boxes overlap
  });
}

std::vector<Case> DetectCases() {
  std::vector<Case> v;
  auto add = [&](Case c) { v.push_back(std::move(c)); };
  // box_iou: corner boxes (batch axes on both sides), center boxes in float64.
  add({"_contrib_box_iou", {}, {{2, 3, 4}, {5, 4}}, 0, 1, {}, All({Corners(0), Corners(1)})});
  add({"_contrib_box_iou", {{"format", "center"}}, {{6, 4}, {2, 2, 4}}, 0.1, 1, {}, nullptr, false, kF64});
  // box_nms: defaults (no class), classes with a background and topk, force_suppress, center formats, float64.
  const Params nms_cls = {{"id_index", "0"}, {"background_id", "2"}, {"overlap_thresh", "0.3"}, {"topk", "9"}};
  add({"_contrib_box_nms", {{"overlap_thresh", "0.3"}}, {{2, 24, 6}}, 0, 1, {}, NmsData(0)});
  add({"_contrib_box_nms", nms_cls, {{3, 20, 6}}, 0, 1, {}, NmsData(0)});
  add({"_contrib_box_nms", {{"id_index", "0"}, {"force_suppress", "true"}, {"valid_thresh", "0.3"},
                            {"overlap_thresh", "0.25"}},
       {{2, 2, 18, 6}}, 0, 1, {}, NmsData(0)});
  add({"_contrib_box_nms", {{"in_format", "center"}, {"out_format", "corner"}, {"overlap_thresh", "0.2"}},
       {{1, 16, 6}}, 0, 1, {}, NmsData(0), false, kF64});
  add({"_contrib_box_nms", {{"out_format", "center"}, {"coord_start", "0"}, {"score_index", "5"},
                            {"overlap_thresh", "0.3"}},
       {{2, 15, 6}}, 0, 1, {}, Map(0, [](const std::vector<double> &x, size_t i) {
         return i % 6 == 5 ? Quantize(x[i], 0.25) : 0.6 * CornerOf(x, i, 6, 0);
       })});
  // bipartite_matching: tied scores, descending and ascending.
  auto tied = Map(0, [](const std::vector<double> &x, size_t i) { return Quantize(x[i], 0.1); });
  add({"_contrib_bipartite_matching", {{"threshold", "0.25"}}, {{2, 7, 5}}, 0, 1, {}, tied});
  add({"_contrib_bipartite_matching", {{"threshold", "0.6"}, {"is_ascend", "true"}}, {{3, 6, 4}}, 0, 1, {}, tied,
       false, kF64});
  // box_encode: positive and negative samples, matches into refs.
  const Fill enc = All({Map(0, [](const std::vector<double> &x, size_t i) { return x[i] > 0.4 ? 1.0 : 0.0; }),
                        Map(1, [](const std::vector<double> &x, size_t i) { return std::floor(x[i] * 3.999); }),
                        Corners(2), Corners(3), Set(4, {0.1, -0.1, 0.05, 0}), Set(5, {0.1, 0.2, 0.3, 0.25})});
  add({"_contrib_box_encode", {}, {{2, 6}, {2, 6}, {2, 6, 4}, {2, 4, 4}, {4}, {4}}, 0, 1, {}, enc});
  add({"_contrib_box_encode", {}, {{1, 9}, {1, 9}, {1, 9, 4}, {1, 4, 4}, {4}, {4}}, 0, 1, {}, enc, false, kF64});
  // box_decode: center anchors with clip, corner anchors in float64.
  add({"_contrib_box_decode", {{"std0", "0.1"}, {"std1", "0.2"}, {"std2", "0.3"}, {"std3", "0.4"}, {"clip", "0.2"}},
       {{2, 6, 4}, {1, 6, 4}}, -1, 1, {}, Map(1, [](const std::vector<double> &x, size_t i) {
         return std::fabs(x[i]) + 0.1;
       })});
  add({"_contrib_box_decode", {{"format", "corner"}, {"std2", "2"}}, {{3, 5, 4}, {1, 5, 4}}, -1, 1, {}, Corners(1),
       false, kF64});
  // MultiBoxPrior: several sizes and ratios with clip; steps and offsets.
  add({"_contrib_MultiBoxPrior", {{"sizes", "(0.5,0.25,0.1)"}, {"ratios", "(1,2,0.5)"}, {"clip", "true"}},
       {{1, 3, 4, 5}}});
  add({"_contrib_MultiBoxPrior", {{"sizes", "(0.3,)"}, {"ratios", "(1.5,0.7)"}, {"steps", "(0.2,0.15)"},
                                  {"offsets", "(0.25,0.75)"}},
       {{2, 1, 6, 3}}});
  // MultiBoxTarget, MultiBoxDetection and the proposals take float32 only (as MXNet 1.9.1).
  // MultiBoxTarget: items with 4, 2 and no labels; with and without hard negative mining (tied class scores).
  const Fill target = All({Corners(0), Map(1, [](const std::vector<double> &x, size_t i) {
                             const size_t item = i / 20, row = i % 20 / 5, q = i % 5;
                             if ((item == 1 && row >= 2) || item == 2) return -1.0;
                             return q == 0 ? std::floor(x[i] * 2.999) : CornerOf(x, i, 5, 1);
                           }),
                           Map(2, [](const std::vector<double> &x, size_t i) { return Quantize(x[i], 0.5); })});
  add({"_contrib_MultiBoxTarget", {{"overlap_threshold", "0.3"}}, {{1, 24, 4}, {3, 4, 5}, {3, 3, 24}}, 0, 1, {},
       target});
  add({"_contrib_MultiBoxTarget", {{"negative_mining_ratio", "2"}, {"negative_mining_thresh", "0.4"},
                                   {"overlap_threshold", "0.4"}, {"variances", "(0.1,0.2,0.3,0.4)"}},
       {{1, 24, 4}, {3, 4, 5}, {3, 3, 24}}, 0, 1, {}, target});
  add({"_contrib_MultiBoxTarget", {{"negative_mining_ratio", "1.5"}, {"ignore_label", "-2"}},
       {{1, 30, 4}, {3, 4, 5}, {3, 2, 30}}, -2, 2, {}, All({Corners(0), Map(1, [](const std::vector<double> &x,
                                                                                       size_t i) {
                                                            const size_t item = i / 20, row = i % 20 / 5;
                                                            if (item == 2 && row >= 1) return -1.0;
                                                            return i % 5 == 0 ? std::floor(std::fabs(x[i]))
                                                                              : CornerOf(x, i, 5, 1) / 2;
                                                          })})});
  // MultiBoxDetection: tied probabilities, per-class and forced suppression, nms_topk, without clipping.
  const Fill det = All({Map(0, [](const std::vector<double> &x, size_t i) { return Quantize(x[i], 0.1); }),
                        Map(1, [](const std::vector<double> &x, size_t i) { return 0.5 * x[i]; }), Corners(2)});
  add({"_contrib_MultiBoxDetection", {{"threshold", "0.2"}, {"nms_threshold", "0.3"}}, {{2, 4, 15}, {2, 60}, {1, 15, 4}},
       0, 1, {}, det});
  add({"_contrib_MultiBoxDetection", {{"force_suppress", "true"}, {"nms_topk", "6"}, {"clip", "false"},
                                      {"variances", "(0.2,0.2,0.1,0.1)"}},
       {{3, 3, 12}, {3, 48}, {1, 12, 4}}, 0, 1, {}, det});
  add({"_contrib_MultiBoxDetection", {{"threshold", "0.5"}}, {{1, 5, 20}, {1, 80}, {1, 20, 4}}, 0, 1, {}, det});
  // Proposal and MultiProposal: 6 anchors on 5 x 6 cells, cells beyond the image and small boxes scored -1, scores
  // with ties, NMS keeping fewer than rpn_post_nms_top_n (repeated cyclically); iou_loss; no pre-NMS limit.
  const Params prop = {{"scales", "(2,4)"}, {"ratios", "(0.5,1,2)"}, {"rpn_pre_nms_top_n", "60"},
                       {"rpn_post_nms_top_n", "25"}, {"rpn_min_size", "10"}, {"threshold", "0.6"},
                       {"output_score", "true"}};
  auto prop_fill = [](std::vector<double> info) {
    return All({Map(0, [](const std::vector<double> &x, size_t i) { return Quantize(x[i], 0.05); }),
                Map(1, [](const std::vector<double> &x, size_t i) { return 0.4 * x[i]; }), Set(2, info)});
  };
  add({"_contrib_Proposal", prop, {{1, 12, 5, 6}, {1, 24, 5, 6}, {1, 3}}, -1, 1, {}, prop_fill({70, 90, 1.5})});
  Params prop2 = prop;
  prop2.push_back({"iou_loss", "true"});
  add({"_contrib_MultiProposal", prop2, {{2, 12, 5, 6}, {2, 24, 5, 6}, {2, 3}}, -1, 1, {},
       prop_fill({80, 96, 1, 60, 70, 0.5})});
  Params prop3 = {{"scales", "(8,)"}, {"ratios", "(1,)"}, {"feature_stride", "4"}, {"rpn_pre_nms_top_n", "-1"},
                  {"rpn_post_nms_top_n", "40"}, {"rpn_min_size", "2"}};
  add({"_contrib_MultiProposal", prop3, {{2, 2, 7, 7}, {2, 4, 7, 7}, {2, 3}}, -1, 1, {},
       prop_fill({28, 28, 1, 20, 24, 2})});
  // allclose: close, not close, NaN (equal and not), integers.
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const Fill near = [](std::vector<NDArray> &in) {  // b = a (1 + 1e-7)
    std::vector<double> a = mxct::ToVec(in[0]);
    for (double &x : a) x *= 1 + 1e-7;
    in[1] = mxct::FromVec(in[1].shape(), a, in[1].dtype());
  };
  add({"_contrib_allclose", {}, {{3, 4}, {3, 4}}, -1, 1, {}, near});
  add({"_contrib_allclose", {{"rtol", "0.1"}}, {{3, 4}, {3, 4}}, -1, 1, {}, nullptr});
  add({"_contrib_allclose", {}, {{2, 3}, {2, 3}}, -1, 1, {}, All({Set(0, {1, nan, 2}), Set(1, {1, nan, 2})})});
  add({"_contrib_allclose", {{"equal_nan", "false"}}, {{2, 3}, {2, 3}}, -1, 1, {},
       All({Set(0, {1, nan, 2}), Set(1, {1, nan, 2})})});
  add({"_contrib_allclose", {{"atol", "1"}, {"rtol", "0"}}, {{7}, {7}}, -3, 3, {}, nullptr, false, mxc::kInt32});
  // index_array: every axis, and some with a negative one.
  add({"_contrib_index_array", {}, {{2, 3, 4}}});
  add({"_contrib_index_array", {{"axes", "(-1, 0)"}}, {{3, 1, 5}}, -1, 1, {}, nullptr, false, kF64});
  // _random_pdf_dirichlet: the density and its log, two draws per distribution, gradients for samples and alpha.
  add({"_random_pdf_dirichlet", {}, {{2, 3, 4}, {2, 4}}, 0.2, 1.5});
  add({"_random_pdf_dirichlet", {{"is_log", "true"}}, {{3, 2, 2, 5}, {3, 5}}, 0.3, 2.5, {}, nullptr, false, kF64});
  return v;
}


TEST(OpGpuDetect, MatchTheCpuNatively) {
  if (!HaveGPU()) GTEST_SKIP() << "no GPU on this machine";
#ifdef MXC_USE_CUDA
  const int64_t staged = mxc::gpu::HostStagedCalls();
  CompareNative(DetectCases());
  EXPECT_EQ(mxc::gpu::HostStagedCalls(), staged) << "every call above ran natively";
#endif
}

TEST(OpGpuDetect, ReqWriteAndAddNatively) {
  if (!HaveGPU()) GTEST_SKIP() << "no GPU on this machine";
#ifdef MXC_USE_CUDA
  const int64_t staged = mxc::gpu::HostStagedCalls();
  for (auto &c : DetectCases()) {
    CompareReq(c, mxc::kWriteTo);
    CompareReq(c, mxc::kAddTo);
  }
  EXPECT_EQ(mxc::gpu::HostStagedCalls(), staged) << "every call above ran natively";
#endif
}

// The cases are not trivial: box_nms keeps some rows and suppresses others, bipartite_matching matches and leaves
// rows unmatched, MultiBoxDetection suppresses, MultiBoxTarget mines some negatives and ignores others.
TEST(OpGpuDetect, CasesSelectAndSuppress) {
  if (!HaveGPU()) GTEST_SKIP() << "no GPU on this machine";
  auto run = [](const Case &c) {
    const mxc::Op *op = mxc::OpRegistry::Get()->FindOrThrow(c.op);
    std::vector<NDArray> in, out;
    for (size_t i = 0; i < c.shapes.size(); ++i) in.push_back(mxct::Random(c.shapes[i], c.lo, c.hi, c.dtype, 17 + i));
    if (c.fill) c.fill(in);
    for (auto &a : in) a = CopyTo(a, kGPU);
    mxc::Invoke(op, OpParams(op, c.params), in, &out);
    std::vector<std::vector<double>> r;
    for (auto &o : out) r.push_back(HostVec(o));
    return r;
  };
  auto count = [](const std::vector<double> &v, double x) { return std::count(v.begin(), v.end(), x); };
  for (auto &c : DetectCases()) {
    SCOPED_TRACE(c.op);
    const auto r = run(c);
    if (c.op == "_contrib_box_nms") {
      // Rows of -1 (suppressed or invalid) and kept rows (valid scores).
      const int64_t rows = static_cast<int64_t>(r[0].size() / 6);
      int64_t empty = 0;
      for (int64_t i = 0; i < rows; ++i) empty += r[0][i * 6 + 1] == -1 && r[0][i * 6 + 2] == -1;
      EXPECT_GT(empty, 0);
      EXPECT_LT(empty, rows);
    } else if (c.op == "_contrib_bipartite_matching") {
      EXPECT_GT(count(r[0], -1), 0);
      EXPECT_LT(count(r[0], -1), static_cast<int64_t>(r[0].size()));
    } else if (c.op == "_contrib_MultiBoxDetection") {
      EXPECT_GT(count(r[0], -1), 0);
    } else if (c.op == "_contrib_MultiBoxTarget") {
      EXPECT_GT(count(r[2], 0), 0);
      EXPECT_GT(std::count_if(r[2].begin(), r[2].end(), [](double x) { return x > 0; }), 0);
    }
  }
}

// A positive sample matched out of range raises the CPU's error on the GPU too; so does a feature map too small for
// Proposal's image.
TEST(OpGpuDetect, BadInputsRaise) {
  if (!HaveGPU()) GTEST_SKIP() << "no GPU on this machine";
  auto expect_error = [](const std::string &name, const Params &params, std::vector<NDArray> in, const char *text) {
    const mxc::Op *op = mxc::OpRegistry::Get()->FindOrThrow(name);
    for (auto &a : in) a = CopyTo(a, kGPU);
    std::vector<NDArray> out;
    try {
      mxc::Invoke(op, OpParams(op, params), in, &out);
      for (auto &o : out) o.WaitToRead();
      ADD_FAILURE() << name << ": expected a ValueError";
    } catch (const mxc::Error &e) {
      EXPECT_EQ(e.kind(), mxc::ErrorKind::kValue) << e.what();
      EXPECT_NE(std::string(e.what()).find(text), std::string::npos) << e.what();
    }
  };
  expect_error("_contrib_box_encode", {},
               {mxct::FromVec({1, 2}, {1, 1}), mxct::FromVec({1, 2}, {0, 3}), mxct::FromVec({1, 2, 4}, {0, 0, 1, 1, 0, 0, 2, 2}),
                mxct::FromVec({1, 2, 4}, {0, 0, 1, 1, 0, 0, 2, 2}), mxct::FromVec({4}, {0, 0, 0, 0}),
                mxct::FromVec({4}, {1, 1, 1, 1})},
               "matches[0, 1] = 3 is out of range");
  expect_error("_contrib_Proposal", {{"scales", "(1,)"}, {"ratios", "(1,)"}},
               {mxct::Random({1, 2, 2, 2}, 0, 1), mxct::Random({1, 4, 2, 2}, 0, 1), mxct::FromVec({1, 3}, {64, 64, 1})},
               "needs a feature map of at least");
}

// The operator's GPU forward called directly with request r on inputs/outputs already on the GPU, under generator g.
void RunGpu(const std::string &name, const Params &params, std::vector<NDArray> in, std::vector<NDArray> out,
            mxc::OpReq r, std::mt19937_64 *g) {
  const mxc::Op *op = mxc::OpRegistry::Get()->FindOrThrow(name);
  std::vector<TBlob> ib, ob;
  for (auto &a : in) {
    a.WaitToRead();
    ib.push_back(a.blob());
  }
  for (auto &a : out) {
    a.WaitToRead();
    ob.push_back(a.blob());
  }
  mxc::OpContext ctx;
  ctx.dev = kGPU;
  ctx.rng = g;
  op->compute.at(MXC_GPU)(ctx, OpParams(op, params), ib, std::vector<mxc::OpReq>(out.size(), r), ob);
  mxc::DeviceWait(kGPU);
}

// _shuffle on the device: every output row is an input row, each once (a permutation, not the identity); in place
// too; an add request adds the rows the same generator state permutes to; each row lands in the first position
// with frequency 1/n (over 400 shuffles of 5 rows: within 5 standard errors).
TEST(OpGpuDetect, ShufflePermutesNatively) {
  if (!HaveGPU()) GTEST_SKIP() << "no GPU on this machine";
#ifdef MXC_USE_CUDA
  const int64_t staged = mxc::gpu::HostStagedCalls();
  const int64_t n = 300, row = 3;
  std::vector<double> x(n * row);
  for (int64_t i = 0; i < n * row; ++i) x[i] = static_cast<double>(i);  // row r holds r * row + e
  auto check_perm = [&](const std::vector<double> &y) {
    std::set<int64_t> seen;
    int64_t moved = 0;
    for (int64_t i = 0; i < n; ++i) {
      const int64_t src = static_cast<int64_t>(y[i * row]) / row;
      for (int64_t e = 0; e < row; ++e) ASSERT_EQ(y[i * row + e], static_cast<double>(src * row + e));
      seen.insert(src);
      moved += src != i;
    }
    EXPECT_EQ(static_cast<int64_t>(seen.size()), n) << "a permutation of the rows";
    EXPECT_GT(moved, n / 2);
  };
  for (int dtype : {mxc::kFloat32, mxc::kInt64, mxc::kFloat16}) {
    SCOPED_TRACE(mxc::DTypeName(dtype));
    NDArray in = CopyTo(mxct::FromVec({n, row}, x, dtype), kGPU), out(TShape{n, row}, dtype, kGPU);
    std::mt19937_64 g(5);
    RunGpu("_shuffle", {}, {in}, {out}, mxc::kWriteTo, &g);
    const std::vector<double> y = HostVec(out);
    check_perm(y);
    // In place: the same permutation under the same generator state.
    std::mt19937_64 g2(5);
    RunGpu("_shuffle", {}, {in}, {in}, mxc::kWriteTo, &g2);
    EXPECT_EQ(HostVec(in), y);
  }
  {  // add: init + the rows the write gives
    const NDArray init = mxct::Random({n, row}, -1, 1, mxc::kFloat64, 3);
    NDArray in = CopyTo(mxct::FromVec({n, row}, x, mxc::kFloat64), kGPU), out = CopyTo(init, kGPU);
    NDArray w(TShape{n, row}, mxc::kFloat64, kGPU);
    std::mt19937_64 g(9), g2(9);
    RunGpu("_shuffle", {}, {in}, {w}, mxc::kWriteTo, &g);
    RunGpu("_shuffle", {}, {in}, {out}, mxc::kAddTo, &g2);
    const std::vector<double> a = HostVec(out), b = HostVec(w), c = mxct::ToVec(init);
    for (size_t i = 0; i < a.size(); ++i) EXPECT_EQ(a[i], b[i] + c[i]);
  }
  const int64_t m = 5, trials = 400;
  std::vector<int64_t> first(m, 0);
  std::mt19937_64 g(11);
  NDArray in = CopyTo(mxct::FromVec({m}, {0, 1, 2, 3, 4}), kGPU), out(TShape{m}, mxc::kFloat32, kGPU);
  for (int64_t t = 0; t < trials; ++t) {
    RunGpu("_shuffle", {}, {in}, {out}, mxc::kWriteTo, &g);
    ++first[static_cast<int64_t>(HostVec(out)[0])];
  }
  const double se = std::sqrt(0.2 * 0.8 / trials);
  for (int64_t i = 0; i < m; ++i) EXPECT_NEAR(static_cast<double>(first[i]) / trials, 0.2, 5 * se) << "row " << i;
  EXPECT_EQ(mxc::gpu::HostStagedCalls(), staged) << "every shuffle above ran natively";
#endif
}

// _sample_multinomial on the device: the frequencies of 20000 draws per distribution within 5 standard errors of
// the probabilities (a zero-probability category never drawn), the log-probabilities those of the drawn indices,
// index dtypes, add requests, and the gradient against naive loops over the drawn indices.
TEST(OpGpuDetect, MultinomialDrawsNatively) {
  if (!HaveGPU()) GTEST_SKIP() << "no GPU on this machine";
#ifdef MXC_USE_CUDA
  const int64_t staged = mxc::gpu::HostStagedCalls();
  const std::vector<double> probs = {0.1, 0.2, 0.3, 0.4, 0.5, 0, 0.25, 0.25};
  const int64_t rows = 2, k = 4, per = 20000;
  for (int pdtype : {mxc::kFloat32, mxc::kFloat64}) {
    for (int idtype : {mxc::kInt32, mxc::kFloat32, mxc::kUint8}) {
      SCOPED_TRACE(std::string(mxc::DTypeName(pdtype)) + " " + mxc::DTypeName(idtype));
      const Params params = {{"shape", "(" + std::to_string(per) + ",)"}, {"get_prob", "true"},
                             {"dtype", mxc::DTypeName(idtype)}};
      NDArray data = CopyTo(mxct::FromVec({rows, k}, probs, pdtype), kGPU);
      NDArray idx(TShape{rows, per}, idtype, kGPU), logp(TShape{rows, per}, pdtype, kGPU);
      std::mt19937_64 g(21);
      RunGpu("_sample_multinomial", params, {data}, {idx, logp}, mxc::kWriteTo, &g);
      const std::vector<double> iv = HostVec(idx), lv = HostVec(logp);
      for (int64_t r = 0; r < rows; ++r) {
        std::vector<double> cnt(k, 0);
        for (int64_t j = 0; j < per; ++j) {
          const double c = iv[r * per + j];
          ASSERT_TRUE(c >= 0 && c < k && c == std::floor(c)) << c;
          cnt[static_cast<int64_t>(c)] += 1;
          const double pc = mxct::ToVec(mxct::FromVec({1}, {probs[r * k + static_cast<int64_t>(c)]}, pdtype))[0];
          ASSERT_NEAR(lv[r * per + j], std::log(pc), 1e-6);
        }
        for (int64_t c = 0; c < k; ++c) {
          const double pr = probs[r * k + c], se = std::sqrt(pr * (1 - pr) / per);
          EXPECT_NEAR(cnt[c] / per, pr, 5 * se + 1e-12) << "row " << r << " category " << c;
        }
      }
      // Add requests: the same draws (same generator state) added to the outputs' values.
      const NDArray i0 = mxct::Random({rows, per}, 0, 3, idtype, 4), l0 = mxct::Random({rows, per}, -1, 1, pdtype, 5);
      NDArray ia = CopyTo(i0, kGPU), la = CopyTo(l0, kGPU);
      std::mt19937_64 g2(21);
      RunGpu("_sample_multinomial", params, {data}, {ia, la}, mxc::kAddTo, &g2);
      const std::vector<double> iav = HostVec(ia), lav = HostVec(la), i0v = mxct::ToVec(i0), l0v = mxct::ToVec(l0);
      for (size_t e = 0; e < iav.size(); ++e) {
        ASSERT_NEAR(iav[e], i0v[e] + iv[e], 1e-5);
        ASSERT_NEAR(lav[e], l0v[e] + lv[e], 1e-5);
      }
      // Gradient for head gradients of the log-probabilities: d data[r, c] = sum of g / p over the draws of c.
      const mxc::Op *op = mxc::OpRegistry::Get()->FindOrThrow("_sample_multinomial");
      const NDArray head = mxct::Random({rows, per}, -1, 1, pdtype, 8);
      NDArray hg = CopyTo(head, kGPU), h0(TShape{rows, per}, pdtype, kGPU), dx(TShape{rows, k}, pdtype, kGPU);
      for (auto *a : {&hg, &h0, &dx, &data, &idx, &logp}) a->WaitToRead();
      mxc::OpContext ctx;
      ctx.dev = kGPU;
      op->backward.at(MXC_GPU)(ctx, OpParams(op, params), {h0.blob(), hg.blob()}, {data.blob()},
                               {idx.blob(), logp.blob()}, {mxc::kWriteTo}, {dx.blob()});
      mxc::DeviceWait(kGPU);
      const std::vector<double> hv = mxct::ToVec(head), pv = HostVec(data), dv = HostVec(dx);
      for (int64_t r = 0; r < rows; ++r)
        for (int64_t c = 0; c < k; ++c) {
          double want = 0;
          for (int64_t j = 0; j < per; ++j)
            if (iv[r * per + j] == c) want += hv[r * per + j] / pv[r * k + c];
          EXPECT_NEAR(dv[r * k + c], want, 1e-4 * (1 + std::fabs(want))) << "row " << r << " category " << c;
        }
    }
  }
  EXPECT_EQ(mxc::gpu::HostStagedCalls(), staged) << "every draw above ran natively";
#endif
}

}  // namespace
