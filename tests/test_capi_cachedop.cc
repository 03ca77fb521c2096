// Cached operators through the C API (MXCCachedOp*): forward against hand-computed values, inputs in ListInputs
// order, gradients under autograd equal to the same calls made one by one, training mode, auxiliary states updated
// in place, and the errors of bad calls (wrong input count, shapes the graph rejects, NULL handles, bad flags).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "mxc.h"
#include "test_capi_symbol_util.h"

namespace {

using capi::Err;
using capi::Op;
using capi::Sym;
using capi::Var;

MXCNDArrayHandle Arr(std::vector<int64_t> shape, const std::vector<float> &v) {
  MXCNDArrayHandle h = nullptr;
  EXPECT_EQ(MXCNDArrayCreate(shape.data(), static_cast<int>(shape.size()), MXC_FLOAT32, MXC_CPU, 0, 0, &h), 0)
      << Err();
  EXPECT_EQ(MXCNDArraySyncCopyFromCPU(h, v.data(), static_cast<int64_t>(v.size())), 0) << Err();
  return h;
}

using capi::Read;

MXCCachedOpHandle Create(MXCSymbolHandle s, std::vector<const char *> keys = {}, std::vector<const char *> vals = {}) {
  MXCCachedOpHandle op = nullptr;
  EXPECT_EQ(MXCCachedOpCreate(s, static_cast<int>(keys.size()), keys.data(), vals.data(), &op), 0) << Err();
  return op;
}

std::vector<MXCNDArrayHandle> Invoke(MXCCachedOpHandle op, std::vector<MXCNDArrayHandle> ins) {
  int n = 0;
  MXCNDArrayHandle *outs = nullptr;
  EXPECT_EQ(MXCCachedOpInvoke(op, static_cast<int>(ins.size()), ins.data(), &n, &outs), 0) << Err();
  return std::vector<MXCNDArrayHandle>(outs, outs + n);
}

// y = relu(FullyConnected(x, w, b)) * 2, two hidden units; inputs listed as x, w, b.
Sym Mlp() {
  Sym x = Var("x"), w = Var("w"), b = Var("b");
  Sym fc = Op("FullyConnected", {x, w, b}, "fc", {{"num_hidden", "2"}});
  Sym act = Op("Activation", {fc}, "act", {{"act_type", "relu"}});
  return Op("_mul_scalar", {act}, "twice", {{"scalar", "2"}});
}

TEST(CachedOp, ForwardMatchesHandComputation) {
  Sym y = Mlp();
  MXCCachedOpHandle op = Create(y, {"static_alloc"}, {"true"});
  int nin = 0, nout = 0;
  ASSERT_EQ(MXCCachedOpGetNumIO(op, &nin, &nout), 0) << Err();
  EXPECT_EQ(nin, 3);
  EXPECT_EQ(nout, 1);
  MXCNDArrayHandle x = Arr({2, 3}, {1, 2, 3, -1, 0, 1});
  MXCNDArrayHandle w = Arr({2, 3}, {1, 0, 1, 0, -1, 0});
  MXCNDArrayHandle b = Arr({2}, {0.5f, 0});
  auto outs = Invoke(op, {x, w, b});
  ASSERT_EQ(outs.size(), 1u);
  // fc rows: [1+3+0.5, -2] = [4.5, -2]; [-1+1+0.5, 0] = [0.5, 0]; relu then *2.
  EXPECT_EQ(Read(outs[0]), (std::vector<float>{9, 0, 1, 0}));
  // Another batch size through the same cached operator.
  MXCNDArrayHandle x1 = Arr({1, 3}, {0, 0, 2});
  auto outs1 = Invoke(op, {x1, w, b});
  EXPECT_EQ(Read(outs1[0]), (std::vector<float>{5, 0}));
  for (auto h : {x, w, b, x1, outs[0], outs1[0]}) MXCNDArrayFree(h);
  EXPECT_EQ(MXCCachedOpFree(op), 0);
  EXPECT_EQ(MXCCachedOpFree(nullptr), 0);
}

TEST(CachedOp, GradientsEqualImperativeCalls) {
  Sym y = Mlp();
  MXCCachedOpHandle op = Create(y);
  MXCNDArrayHandle x = Arr({2, 3}, {1, 2, 3, -1, 0, 1});
  MXCNDArrayHandle w = Arr({2, 3}, {1, 0, 1, 0, -1, 0});
  MXCNDArrayHandle b = Arr({2}, {0.5f, 0});
  MXCNDArrayHandle gw = Arr({2, 3}, {0, 0, 0, 0, 0, 0}), gb = Arr({2}, {0, 0});
  MXCNDArrayHandle vars[2] = {w, b}, grads[2] = {gw, gb};
  int reqs[2] = {MXC_GRAD_WRITE, MXC_GRAD_WRITE};
  ASSERT_EQ(MXCAutogradMarkVariables(2, vars, reqs, grads), 0) << Err();
  ASSERT_EQ(MXCAutogradSetIsRecording(1, nullptr), 0);
  auto outs = Invoke(op, {x, w, b});
  ASSERT_EQ(MXCAutogradSetIsRecording(0, nullptr), 0);
  int in_graph = 0;
  ASSERT_EQ(MXCNDArrayIsInGraph(outs[0], &in_graph), 0);
  EXPECT_EQ(in_graph, 1);
  ASSERT_EQ(MXCAutogradBackward(1, &outs[0], nullptr, 0, nullptr, 0, 1, nullptr), 0) << Err();
  // dy/dfc = 2 where fc > 0: unit 0 active for both rows, unit 1 for none. dW[0] = 2 * (x0 + x1), db[0] = 4.
  EXPECT_EQ(Read(gw), (std::vector<float>{0, 4, 8, 0, 0, 0}));
  EXPECT_EQ(Read(gb), (std::vector<float>{4, 0}));
  // Not recording: the outputs stay outside the graph.
  auto plain = Invoke(op, {x, w, b});
  ASSERT_EQ(MXCNDArrayIsInGraph(plain[0], &in_graph), 0);
  EXPECT_EQ(in_graph, 0);
  for (auto h : {x, w, b, gw, gb, outs[0], plain[0]}) MXCNDArrayFree(h);
  MXCCachedOpFree(op);
}

TEST(CachedOp, TrainingModeAndAuxiliaryStates) {
  // BatchNorm: inputs data, gamma, beta, moving_mean, moving_var (the last two auxiliary, updated in training).
  Sym d = Var("d"), g = Var("g"), bt = Var("bt"), mm = Var("mm"), mv = Var("mv");
  Sym bn = Op("BatchNorm", {d, g, bt, mm, mv}, "bn", {{"fix_gamma", "False"}, {"momentum", "0.5"}});
  MXCCachedOpHandle op = Create(bn);
  MXCNDArrayHandle x = Arr({2, 1}, {1, 3});
  MXCNDArrayHandle gamma = Arr({1}, {1}), beta = Arr({1}, {0}), mean = Arr({1}, {0}), var = Arr({1}, {1});
  // Inference: moving statistics used, not changed: (x - 0) / sqrt(1 + 1e-3).
  auto o = Invoke(op, {x, gamma, beta, mean, var});
  auto v = Read(o[0]);
  EXPECT_NEAR(v[0], 1 / std::sqrt(1.001f), 1e-5);
  EXPECT_EQ(Read(mean), (std::vector<float>{0}));
  ASSERT_EQ(MXCAutogradSetIsTraining(1, nullptr), 0);
  auto t = Invoke(op, {x, gamma, beta, mean, var});
  ASSERT_EQ(MXCAutogradSetIsTraining(0, nullptr), 0);
  v = Read(t[0]);  // batch mean 2, variance 1: (x - 2) / sqrt(1 + 1e-3)
  EXPECT_NEAR(v[0], -1 / std::sqrt(1.001f), 1e-5);
  EXPECT_NEAR(v[1], 1 / std::sqrt(1.001f), 1e-5);
  EXPECT_NEAR(Read(mean)[0], 1.0f, 1e-6);  // 0.5 * 0 + 0.5 * 2
  for (auto h : {x, gamma, beta, mean, var, o[0], t[0]}) MXCNDArrayFree(h);
  MXCCachedOpFree(op);
}

TEST(CachedOp, OutputThatIsAnInputAndSeveralOutputs) {
  Sym a = Var("a"), b = Var("b");
  Sym sum = Op("elemwise_add", {a, b}, "sum");
  MXCSymbolHandle parts[2] = {sum, a};
  MXCSymbolHandle group = nullptr;
  ASSERT_EQ(MXCSymbolCreateGroup(2, parts, &group), 0) << Err();
  Sym grp(group);
  MXCCachedOpHandle op = Create(grp);
  MXCNDArrayHandle x = Arr({2}, {1, 2}), y = Arr({2}, {10, 20});
  auto outs = Invoke(op, {x, y});
  ASSERT_EQ(outs.size(), 2u);
  EXPECT_EQ(Read(outs[0]), (std::vector<float>{11, 22}));
  EXPECT_EQ(Read(outs[1]), (std::vector<float>{1, 2}));
  for (auto h : {x, y, outs[0], outs[1]}) MXCNDArrayFree(h);
  MXCCachedOpFree(op);
}

TEST(CachedOp, BadCallsAreErrors) {
  Sym y = Mlp();
  MXCCachedOpHandle op = nullptr;
  const char *bad_key[1] = {"static_allocate"}, *one[1] = {"1"}, *sa[1] = {"static_alloc"}, *maybe[1] = {"maybe"};
  EXPECT_EQ(MXCCachedOpCreate(y, 1, bad_key, one, &op), -1);
  EXPECT_NE(Err().find("unknown flag 'static_allocate'"), std::string::npos) << Err();
  EXPECT_EQ(MXCCachedOpCreate(y, 1, sa, maybe, &op), -1);
  EXPECT_NE(Err().find("must be a boolean"), std::string::npos) << Err();
  EXPECT_EQ(MXCCachedOpCreate(nullptr, 0, nullptr, nullptr, &op), -1);
  EXPECT_EQ(Err().rfind("ValueError: ", 0), 0u) << Err();
  // An operator node not composed yet.
  MXCSymbolHandle atomic = nullptr;
  const char *nh[1] = {"num_hidden"}, *two[1] = {"2"};
  ASSERT_EQ(MXCSymbolCreateAtomic("FullyConnected", 1, nh, two, &atomic), 0) << Err();
  EXPECT_EQ(MXCCachedOpCreate(atomic, 0, nullptr, nullptr, &op), -1);
  MXCSymbolFree(atomic);

  op = Create(y);
  MXCNDArrayHandle x = Arr({2, 3}, {1, 2, 3, -1, 0, 1});
  MXCNDArrayHandle w = Arr({2, 4}, {0, 0, 0, 0, 0, 0, 0, 0});  // 4 input features, x has 3
  MXCNDArrayHandle b = Arr({2}, {0, 0});
  int n = 0;
  MXCNDArrayHandle *outs = nullptr;
  MXCNDArrayHandle two_in[2] = {x, w};
  EXPECT_EQ(MXCCachedOpInvoke(op, 2, two_in, &n, &outs), -1);
  EXPECT_NE(Err().find("expected 3 inputs (x, w, b), got 2"), std::string::npos) << Err();
  MXCNDArrayHandle ins[3] = {x, w, b};
  EXPECT_EQ(MXCCachedOpInvoke(op, 3, ins, &n, &outs), -1);
  std::string e = Err();
  EXPECT_EQ(e.rfind("ShapeError: ", 0), 0u) << e;
  EXPECT_NE(e.find("node 'fc' (FullyConnected) on input shapes [(2,3), (2,4), (2,)]"), std::string::npos) << e;
  EXPECT_EQ(MXCCachedOpInvoke(op, 3, nullptr, &n, &outs), -1);
  EXPECT_EQ(MXCCachedOpInvoke(op, 3, ins, nullptr, &outs), -1);
  ASSERT_EQ(MXCCachedOpFree(op), 0);
  EXPECT_EQ(MXCCachedOpInvoke(nullptr, 3, ins, &n, &outs), -1);
  EXPECT_NE(Err().find("cached operator handle is NULL"), std::string::npos) << Err();
  EXPECT_EQ(MXCCachedOpGetNumIO(nullptr, &n, nullptr), -1);
  for (auto h : {x, w, b}) MXCNDArrayFree(h);
}

}  // namespace
