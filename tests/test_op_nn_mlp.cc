// The main job's operators chained by hand: FullyConnected -> Activation(relu) -> FullyConnected -> SoftmaxOutput,
// backward through the registered gradients, sgd_update on every parameter. A classifier of three Gaussian blobs
// must reach high accuracy.
#include <algorithm>
#include <cmath>
#include <random>

#include "test_op_nn_util.h"

using namespace mxct;

namespace {

// Runs one op's backward (kWriteTo for `want`) and returns the input gradients.
std::vector<NDArray> Backward(const std::string &name, const Params &params, const std::vector<NDArray> &ins,
                              const std::vector<NDArray> &outs, const NDArray &head, const std::vector<int> &want) {
  using namespace mxc;
  const Op *op = FindOp(name);
  OpParams p(op, params);
  std::vector<TBlob> og = {head.blob()}, id, od, ig;
  for (auto &a : ins) id.push_back(a.blob());
  for (auto &a : outs) od.push_back(a.blob());
  std::vector<NDArray> grads(ins.size());
  std::vector<OpReq> req(ins.size(), kNullOp);
  for (int i : want) {
    grads[i] = NDArray(ins[i].shape(), ins[i].dtype(), Device::CPU());
    req[i] = kWriteTo;
  }
  for (auto &g : grads) ig.push_back(g.is_none() ? TBlob() : g.blob());
  OpContext ctx;
  ctx.is_train = true;
  op->backward.at(MXC_CPU)(ctx, p, og, id, od, req, ig);
  return grads;
}

TEST(MLP, TrainsWithRegisteredOperators) {
  const int n = 128, d = 20, h = 32, k = 3;
  std::mt19937_64 g(3);
  std::normal_distribution<double> noise(0, 1);
  std::vector<std::vector<double>> centers(k, std::vector<double>(d));
  for (auto &c : centers)
    for (auto &v : c) v = 3 * noise(g);
  auto batch = [&](std::vector<double> *x, std::vector<double> *y) {
    x->resize(n * d);
    y->resize(n);
    for (int i = 0; i < n; ++i) {
      int c = static_cast<int>(g() % k);
      (*y)[i] = c;
      for (int j = 0; j < d; ++j) (*x)[i * d + j] = centers[c][j] + noise(g);
    }
  };
  NDArray w1 = Random({h, d}, -0.1, 0.1, mxc::kFloat32, 1), b1 = FromVec({h}, std::vector<double>(h, 0.0));
  NDArray w2 = Random({k, h}, -0.1, 0.1, mxc::kFloat32, 2), b2 = FromVec({k}, std::vector<double>(k, 0.0));
  const Params fc1 = {{"num_hidden", std::to_string(h)}}, fc2 = {{"num_hidden", std::to_string(k)}};
  const Params relu = {{"act_type", "relu"}}, sgd = {{"lr", "0.1"}, {"rescale_grad", std::to_string(1.0 / n)}};
  auto step = [&](const std::string &op, NDArray w, const NDArray &grad) {
    std::vector<NDArray> out = {w};
    mxc::Invoke(FindOp(op), mxc::OpParams(FindOp(op), sgd), {w, grad}, &out);
  };
  double accuracy = 0;
  for (int it = 0; it < 60; ++it) {
    std::vector<double> xv, yv;
    batch(&xv, &yv);
    NDArray x = FromVec({n, d}, xv), y = FromVec({n}, yv);
    NDArray a1 = mxct::Run("FullyConnected", {x, w1, b1}, fc1)[0];
    NDArray r1 = mxct::Run("Activation", {a1}, relu)[0];
    NDArray a2 = mxct::Run("FullyConnected", {r1, w2, b2}, fc2)[0];
    NDArray prob = mxct::Run("SoftmaxOutput", {a2, y}, {}, true)[0];
    auto pv = ToVec(prob);
    int correct = 0;
    for (int i = 0; i < n; ++i)
      correct += std::max_element(pv.begin() + i * k, pv.begin() + (i + 1) * k) - (pv.begin() + i * k) == yv[i];
    accuracy = correct / double(n);
    NDArray unused = FromVec({n, k}, std::vector<double>(n * k, 0.0));
    auto g3 = Backward("SoftmaxOutput", {}, {a2, y}, {prob}, unused, {0});
    auto g2 = Backward("FullyConnected", fc2, {r1, w2, b2}, {a2}, g3[0], {0, 1, 2});
    auto gr = Backward("Activation", relu, {a1}, {r1}, g2[0], {0});
    auto g1 = Backward("FullyConnected", fc1, {x, w1, b1}, {a1}, gr[0], {1, 2});
    step("sgd_update", w1, g1[1]);
    step("sgd_update", b1, g1[2]);
    step("sgd_update", w2, g2[1]);
    step("sgd_update", b2, g2[2]);
  }
  EXPECT_GT(accuracy, 0.95);
}

}  // namespace
