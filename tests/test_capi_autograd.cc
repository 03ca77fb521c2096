// Autograd through the C API (MXCAutograd*): recording flags, variables, backward into gradient arrays and into new
// arrays (autograd.grad), hidden outputs (Dropout's mask), retain_graph, and the errors of bad calls. Expected values
// are computed by hand in each test.
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <thread>
#include <vector>

#include "mxc.h"
#include "test_capi_symbol_util.h"

namespace {

using capi::Err;
using capi::Read;
using capi::Vec;

MXCOpHandle Op(const char *name) {
  MXCOpHandle op = nullptr;
  EXPECT_EQ(MXCOpGetHandle(name, &op), 0) << Err();
  return op;
}

MXCNDArrayHandle Call(const char *name, std::vector<MXCNDArrayHandle> ins, std::vector<const char *> keys = {},
                      std::vector<const char *> vals = {}) {
  MXCNDArrayHandle *outs = nullptr;
  int n = 0;
  EXPECT_EQ(MXCOpInvoke(Op(name), static_cast<int>(ins.size()), ins.data(), &n, &outs, static_cast<int>(keys.size()),
                        keys.data(), vals.data()),
            0)
      << Err();
  return n > 0 ? outs[0] : nullptr;
}

// Marks v as a variable with a new zero gradient array of its shape; returns nothing (the gradient is read back
// through MXCNDArrayGetGrad).
void Attach(MXCNDArrayHandle v, int req = MXC_GRAD_WRITE) {
  int ndim = 0;
  const int64_t *shape = nullptr;
  ASSERT_EQ(MXCNDArrayGetShape(v, &ndim, &shape), 0) << Err();
  std::vector<int64_t> dims(shape, shape + ndim);
  MXCNDArrayHandle g = nullptr;
  ASSERT_EQ(MXCNDArrayCreate(dims.data(), ndim, MXC_FLOAT32, MXC_CPU, 0, 0, &g), 0) << Err();
  std::vector<float> zeros(Read(v).size(), 0.f);
  ASSERT_EQ(MXCNDArraySyncCopyFromCPU(g, zeros.data(), static_cast<int64_t>(zeros.size())), 0) << Err();
  ASSERT_EQ(MXCAutogradMarkVariables(1, &v, &req, &g), 0) << Err();
  MXCNDArrayFree(g);  // the variable keeps the storage
}

std::vector<float> GradOf(MXCNDArrayHandle v) {
  MXCNDArrayHandle g = nullptr;
  EXPECT_EQ(MXCNDArrayGetGrad(v, &g), 0) << Err();
  if (g == nullptr) return {};
  auto r = Read(g);
  MXCNDArrayFree(g);
  return r;
}

struct Recording {
  Recording() { EXPECT_EQ(MXCAutogradSetIsRecording(1, nullptr), 0); }
  ~Recording() { MXCAutogradSetIsRecording(0, nullptr); }
};

TEST(Autograd, ProductRuleAndAccumulation) {
  auto x = Vec({1, 2, 3});
  Attach(x);
  MXCNDArrayHandle y, z;
  {
    Recording rec;
    y = Call("elemwise_mul", {x, x});                                  // x^2
    z = Call("_plus_scalar", {Call("elemwise_add", {y, x})}, {"scalar"}, {"1"});  // x^2 + x + 1
  }
  int in_graph = 0;
  ASSERT_EQ(MXCNDArrayIsInGraph(z, &in_graph), 0);
  EXPECT_EQ(in_graph, 1);
  ASSERT_EQ(MXCAutogradBackward(1, &z, nullptr, 0, nullptr, 0, 1, nullptr), 0) << Err();
  EXPECT_EQ(GradOf(x), (std::vector<float>{3, 5, 7}));  // 2x + 1
  ASSERT_EQ(MXCNDArrayIsInGraph(z, &in_graph), 0);
  EXPECT_EQ(in_graph, 0);  // freed by the backward
  ASSERT_EQ(MXCNDArrayIsInGraph(x, &in_graph), 0);
  EXPECT_EQ(in_graph, 1);  // variables stay
  // A second backward of the freed graph is an error, not a crash.
  EXPECT_NE(MXCAutogradBackward(1, &z, nullptr, 0, nullptr, 0, 1, nullptr), 0);
  EXPECT_NE(Err().find("not in a computational graph"), std::string::npos) << Err();
  for (auto h : {x, y, z}) MXCNDArrayFree(h);
}

TEST(Autograd, HeadGradientsRetainGraphAndGradRequests) {
  auto x = Vec({1, 2});
  Attach(x, MXC_GRAD_ADD);
  MXCNDArrayHandle y;
  {
    Recording rec;
    y = Call("_mul_scalar", {x}, {"scalar"}, {"3"});
  }
  auto hg = Vec({1, 10});
  ASSERT_EQ(MXCAutogradBackward(1, &y, &hg, 0, nullptr, 1, 1, nullptr), 0) << Err();
  ASSERT_EQ(MXCAutogradBackward(1, &y, &hg, 0, nullptr, 1, 1, nullptr), 0) << Err();
  EXPECT_EQ(GradOf(x), (std::vector<float>{6, 60}));  // added twice
  // autograd.grad: new arrays, the gradient array untouched.
  MXCNDArrayHandle g = nullptr;
  ASSERT_EQ(MXCAutogradBackward(1, &y, nullptr, 1, &x, 0, 1, &g), 0) << Err();
  EXPECT_EQ(Read(g), (std::vector<float>{3, 3}));
  EXPECT_EQ(GradOf(x), (std::vector<float>{6, 60}));
  for (auto h : {x, y, hg, g}) MXCNDArrayFree(h);
}

TEST(Autograd, TrainingModeReachesDropoutAndItsMask) {
  int64_t shape[2] = {40, 50};
  MXCNDArrayHandle x = nullptr;
  ASSERT_EQ(MXCNDArrayCreate(shape, 2, MXC_FLOAT32, MXC_CPU, 0, 0, &x), 0);
  std::vector<float> ones(2000, 1.f);
  ASSERT_EQ(MXCNDArraySyncCopyFromCPU(x, ones.data(), 2000), 0);
  Attach(x);
  int prev = -1;
  ASSERT_EQ(MXCAutogradSetIsTraining(1, &prev), 0);
  EXPECT_EQ(prev, 0);
  MXCNDArrayHandle d;
  {
    Recording rec;
    d = Call("Dropout", {x}, {"p"}, {"0.25"});
  }
  MXCAutogradSetIsTraining(0, nullptr);
  auto out = Read(d);
  int dropped = 0;
  for (float v : out) {
    ASSERT_TRUE(v == 0.f || std::fabs(v - 1.f / 0.75f) < 1e-6f) << v;
    dropped += v == 0.f;
  }
  EXPECT_GT(dropped, 300);
  EXPECT_LT(dropped, 700);
  ASSERT_EQ(MXCAutogradBackward(1, &d, nullptr, 0, nullptr, 0, 1, nullptr), 0) << Err();
  EXPECT_EQ(GradOf(x), out);  // the gradient of ones through the mask is the output itself
  MXCNDArrayFree(x);
  MXCNDArrayFree(d);
}

TEST(Autograd, FlagsArePerThread) {
  ASSERT_EQ(MXCAutogradSetIsRecording(1, nullptr), 0);
  int other = -1;
  std::thread t([&] { MXCAutogradIsRecording(&other); });
  t.join();
  int mine = -1;
  MXCAutogradIsRecording(&mine);
  MXCAutogradSetIsRecording(0, nullptr);
  EXPECT_EQ(other, 0);
  EXPECT_EQ(mine, 1);
}

TEST(Autograd, BadCallsAreErrors) {
  auto x = Vec({1, 2});
  auto y = Vec({1, 2, 3});
  int req = MXC_GRAD_WRITE;
  // Gradient of another shape, bad request code, NULLs.
  EXPECT_NE(MXCAutogradMarkVariables(1, &x, &req, &y), 0);
  EXPECT_NE(Err().find("gradient shape (3,) differs from the variable's shape (2,)"), std::string::npos) << Err();
  int bad = 7;
  EXPECT_NE(MXCAutogradMarkVariables(1, &x, &bad, &x), 0);
  EXPECT_NE(MXCAutogradMarkVariables(1, nullptr, &req, &x), 0);
  EXPECT_NE(MXCAutogradBackward(0, &x, nullptr, 0, nullptr, 0, 1, nullptr), 0);
  EXPECT_NE(MXCAutogradBackward(1, nullptr, nullptr, 0, nullptr, 0, 1, nullptr), 0);
  MXCNDArrayHandle g = nullptr;
  EXPECT_EQ(MXCNDArrayGetGrad(x, &g), 0);
  EXPECT_EQ(g, nullptr);  // not a variable
  Attach(x);
  MXCNDArrayHandle z;
  {
    Recording rec;
    z = Call("elemwise_mul", {x, x});
    // Writing into an array in the graph while recording.
    MXCNDArrayHandle outs[1] = {z};
    MXCNDArrayHandle ins[2] = {x, x};
    MXCNDArrayHandle *po = outs;
    int n = 1;
    EXPECT_NE(MXCOpInvoke(Op("elemwise_add"), 2, ins, &n, &po, 0, nullptr, nullptr), 0);
    EXPECT_NE(Err().find("already in a computational graph"), std::string::npos) << Err();
  }
  EXPECT_EQ(Read(z), (std::vector<float>{1, 4}));  // not overwritten
  // Head gradient of the wrong shape; differentiating with respect to a non-variable.
  EXPECT_NE(MXCAutogradBackward(1, &z, &y, 0, nullptr, 1, 1, nullptr), 0);
  EXPECT_NE(Err().find("head gradient 0 has shape (3,), its head (2,)"), std::string::npos) << Err();
  MXCNDArrayHandle out = nullptr;
  EXPECT_NE(MXCAutogradBackward(1, &z, nullptr, 1, &y, 1, 1, &out), 0);
  EXPECT_EQ(out, nullptr);
  for (auto h : {x, y, z}) MXCNDArrayFree(h);
}

}  // namespace
