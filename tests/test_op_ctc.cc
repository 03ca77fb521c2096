// CTCLoss against a brute-force sum over every alignment (tiny cases), values and gradients printed by MXNet 1.9.1,
// sequence and label lengths, blank first/last, infeasible labels, gradients by finite differences, errors.
#include <cmath>
#include <functional>

#include "test_op_nn_util.h"
#include "test_op_tensor_common.h"

namespace {

using namespace mxct;
using mxc::ErrorKind;

// -log of the sum, over all C^T paths, of the probability (softmax per step) of the paths that collapse (merge
// repeats, drop blanks) to `label`.
double BruteCTC(const std::vector<double> &x, int64_t T, int64_t N, int64_t C, int64_t n, int64_t tl,
                const std::vector<int64_t> &label, int64_t blank) {
  std::vector<std::vector<double>> prob(tl, std::vector<double>(C));
  for (int64_t t = 0; t < tl; ++t) {
    double s = 0;
    for (int64_t c = 0; c < C; ++c) s += std::exp(x[(t * N + n) * C + c]);
    for (int64_t c = 0; c < C; ++c) prob[t][c] = std::exp(x[(t * N + n) * C + c]) / s;
  }
  double total = 0;
  std::vector<int64_t> path(tl, 0);
  std::function<void(int64_t, double)> rec = [&](int64_t t, double pr) {
    if (t == tl) {
      std::vector<int64_t> out;
      int64_t prev = -1;
      for (int64_t c : path) {
        if (c != prev && c != blank) out.push_back(c);
        prev = c;
      }
      if (out == label) total += pr;
      return;
    }
    for (int64_t c = 0; c < C; ++c) {
      path[t] = c;
      rec(t + 1, pr * prob[t][c]);
    }
  };
  rec(0, 1.0);
  return -std::log(total);
}

TEST(CTCLoss, BruteForceAlignments) {
  const int64_t T = 5, N = 3, C = 4;
  auto xv = RandVec(T * N * C, -2, 2, 11);
  auto x = FromVec({T, N, C}, xv, mxc::kFloat64);
  // blank first: labels 1..3 padded with 0 (a repeated token needs a blank between)
  auto lab = FromVec({N, 3}, {1, 2, 0, 3, 3, 0, 2, 1, 3});
  auto loss = ToVec(mxct::Run("CTCLoss", {x, lab})[0]);
  ExpectNear(loss,
             {BruteCTC(xv, T, N, C, 0, T, {1, 2}, 0), BruteCTC(xv, T, N, C, 1, T, {3, 3}, 0),
              BruteCTC(xv, T, N, C, 2, T, {2, 1, 3}, 0)},
             1e-10, 1e-12, "blank first");
  // blank last: labels 0..2 padded with -1
  auto lab2 = FromVec({N, 3}, {0, -1, -1, 2, 2, 1, -1, -1, -1});
  auto loss2 = ToVec(mxct::Run("ctc_loss", {x, lab2}, {{"blank_label", "last"}})[0]);
  ExpectNear(loss2,
             {BruteCTC(xv, T, N, C, 0, T, {0}, 3), BruteCTC(xv, T, N, C, 1, T, {2, 2, 1}, 3),
              BruteCTC(xv, T, N, C, 2, T, {}, 3)},
             1e-10, 1e-12, "blank last");
  // lengths: sequence lengths 3, 5, 4 and label lengths 1, 2, 0 (the label values past them are ignored)
  auto dl = FromVec({N}, {3, 5, 4}), ll = FromVec({N}, {1, 2, 0});
  auto loss3 = ToVec(mxct::Run("_contrib_CTCLoss", {x, lab, dl, ll},
                         {{"use_data_lengths", "1"}, {"use_label_lengths", "1"}})[0]);
  ExpectNear(loss3,
             {BruteCTC(xv, T, N, C, 0, 3, {1}, 0), BruteCTC(xv, T, N, C, 1, 5, {3, 3}, 0),
              BruteCTC(xv, T, N, C, 2, 4, {}, 0)},
             1e-10, 1e-12, "lengths");
}

// MXNet 1.9.1: x = sin(arange(24) * 0.7).reshape(4, 2, 3) * 2, label [[1, 2], [1, 0]].
std::vector<double> MXNetX() {
  std::vector<double> v(24);
  for (int i = 0; i < 24; ++i) v[i] = std::sin(i * 0.7) * 2;
  return v;
}

TEST(CTCLoss, AsMXNet) {
  auto x = FromVec({4, 2, 3}, MXNetX());
  auto lab = FromVec({2, 2}, {1, 2, 1, 0});
  auto r = ForwardBackward("CTCLoss", {x, lab}, {}, {FromVec({2}, {1, 1})}, false, {0});
  ExpectNear(ToVec(r.outputs[0]), {2.1604502201080322, 1.938110589981079}, 1e-5, 1e-6, "loss");
  ExpectNear(ToVec(r.grads[0]),
             {-0.049907341599464417, -0.5581056475639343, 0.6080130338668823, -0.054962754249572754,
              -0.00647205114364624, 0.06143468990921974, -0.09667190909385681, -0.24607865512371063,
              0.34275031089782715, -0.0627620741724968, -0.5400300025939941, 0.6027922034263611,
              -0.03723621368408203, 0.09476453065872192, -0.05752843618392944, -0.17807501554489136,
              -0.303061842918396, 0.48113691806793213, -0.004821255803108215, 0.31439414620399475,
              -0.3095731735229492, -0.13375067710876465, 0.07347585260868073, 0.06027475371956825},
             1e-4, 1e-6, "gradient");
  // the head gradient scales each sample's gradient
  auto r2 = ForwardBackward("CTCLoss", {x, lab}, {}, {FromVec({2}, {0.5, 2.0})}, false, {0});
  auto g2 = ToVec(r2.grads[0]);
  EXPECT_NEAR(g2[0], -0.024953670799732208, 1e-6);
  EXPECT_NEAR(g2[9], -0.1255241483449936, 1e-6);
  EXPECT_NEAR(g2[11], 1.2055844068527222, 1e-5);
  // blank last
  ExpectNear(ToVec(mxct::Run("CTCLoss", {x, FromVec({2, 2}, {0, 1, 0, -1})}, {{"blank_label", "last"}})[0]),
             {1.7685527801513672, 3.0183420181274414}, 1e-5, 1e-6, "last");
  // lengths: data (3, 4), labels (1, 1); no gradient past a sequence's length
  auto r3 = ForwardBackward("CTCLoss", {x, lab, FromVec({2}, {3, 4}), FromVec({2}, {1, 1})},
                            {{"use_data_lengths", "1"}, {"use_label_lengths", "1"}}, {FromVec({2}, {1, 1})}, false,
                            {0});
  ExpectNear(ToVec(r3.outputs[0]), {1.863693118095398, 1.938110589981079}, 1e-5, 1e-6, "lengths");
  auto g3 = ToVec(r3.grads[0]);
  ExpectNear(g3, {-0.07380948960781097, -0.5342037677764893, 0.6080130338668823, -0.054962754249572754,
                  -0.00647205114364624, 0.06143468990921974, -0.15115535259246826, -0.3219241499900818,
                  0.4730794429779053, -0.0627620741724968, -0.5400300025939941, 0.6027922034263611,
                  -0.12024939060211182, 0.05941367149353027, 0.06083574891090393, -0.17807501554489136,
                  -0.303061842918396, 0.48113691806793213, 0.0, 0.0, 0.0, -0.13375067710876465,
                  0.07347585260868073, 0.06027475371956825},
             1e-4, 1e-6, "lengths gradient");
  // a label that does not fit the sequence (1, 1 needs 3 steps): loss 0 and no gradient, as MXNet
  const auto xall = MXNetX();
  std::vector<double> x2v(xall.begin(), xall.begin() + 12);
  auto r4 = ForwardBackward("CTCLoss", {FromVec({2, 2, 3}, x2v), FromVec({2, 2}, {1, 1, 1, 2})}, {},
                            {FromVec({2}, {1, 1})}, false, {0});
  ExpectNear(ToVec(r4.outputs[0]), {0.0, 1.9244205951690674}, 1e-5, 1e-6, "infeasible");
  ExpectNear(ToVec(r4.grads[0]),
             {0.0, 0.0, 0.0, 0.6964249014854431, -0.7578595280647278, 0.06143468990921974, 0.0, 0.0, 0.0,
              0.08638928085565567, 0.31081852316856384, -0.39720767736434937},
             1e-4, 1e-6, "infeasible gradient");
  // uniform activations, T = 3, label (1, 1): the one alignment 1 0 1 -> 3 log 3
  ExpectNear(ToVec(mxct::Run("CTCLoss", {FromVec({3, 1, 3}, std::vector<double>(9, 0.0)), FromVec({1, 2}, {1, 1})})[0]),
             {3 * std::log(3.0)}, 1e-6, 1e-6, "3 log 3");
}

TEST(CTCLoss, Gradient) {
  auto labels = [](std::vector<NDArray> &in) { in[1] = FromVec({3, 2}, {1, 2, 3, 0, 2, 2}, mxc::kFloat64); };
  GradCase g{"CTCLoss", {}, {{5, 3, 4}, {3, 2}}, -2, 2, {1}, labels};
  CheckGradient(g);
  GradCase g2{"CTCLoss",
              {{"use_data_lengths", "1"}, {"use_label_lengths", "1"}, {"blank_label", "last"}},
              {{5, 2, 3}, {2, 3}, {2}, {2}},
              -2,
              2,
              {1, 2, 3},
              [](std::vector<NDArray> &in) {
                in[1] = FromVec({2, 3}, {0, 1, 1, 1, 0, 0}, mxc::kFloat64);
                in[2] = FromVec({2}, {4, 5}, mxc::kFloat64);
                in[3] = FromVec({2}, {2, 3}, mxc::kFloat64);
              }};
  CheckGradient(g2);
}

TEST(CTCLoss, Errors) {
  auto x = FromVec({4, 2, 3}, MXNetX());
  ExpectError("CTCLoss", {x, FromVec({1, 2}, {1, 2})}, {}, ErrorKind::kShape, {"CTCLoss", "batch size", "(1,2)"});
  ExpectError("CTCLoss", {FromVec({2, 3}, std::vector<double>(6, 0)), FromVec({2, 2}, {1, 2, 1, 0})}, {},
              ErrorKind::kShape, {"CTCLoss", "data", "3"});
  ExpectError("CTCLoss", {x, FromVec({2, 5}, std::vector<double>(10, 1))}, {}, ErrorKind::kShape,
              {"CTCLoss", "sequence length", "(2,5)"});
  ExpectError("CTCLoss", {x, FromVec({2, 2}, {1, 2, 1, 0}), FromVec({3}, {1, 1, 1})}, {{"use_data_lengths", "1"}},
              ErrorKind::kShape, {"CTCLoss", "data_lengths"});
  ExpectErrorContains([&] { ToVec(mxct::Run("CTCLoss", {x, FromVec({2, 2}, {1, 5, 1, 0})})[0]); },
                      {"CTCLoss", "label[0, 1] = 5"});
  ExpectErrorContains(
      [&] {
        ToVec(mxct::Run("CTCLoss", {x, FromVec({2, 2}, {1, 2, 1, 0}), FromVec({2}, {5, 1})},
                        {{"use_data_lengths", "1"}})[0]);
      },
      {"CTCLoss", "data_lengths[0] = 5"});
}

}  // namespace
