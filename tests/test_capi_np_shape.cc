// MXNet's NumPy shape mode through the C API (MXCSetIsNumpyShape): the flag (thread-local, 2 global), 0-d arrays
// (creation, copies, reshape to and from (), elementwise, scalar and broadcast operators, comparisons, reductions,
// dot of two 1-d arrays), autograd through 0-d arrays, clear errors from operators that do not take 0-d arrays,
// and legacy mode unchanged. Expected values are computed by hand in each test.
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

// NumPy shape mode on this thread for the scope of a test.
struct NpShape {
  int prev = 0;
  explicit NpShape(int mode = 1) { EXPECT_EQ(MXCSetIsNumpyShape(mode, &prev), 0) << Err(); }
  ~NpShape() { MXCSetIsNumpyShape(0, nullptr); }
};

std::vector<int64_t> ShapeOf(MXCNDArrayHandle h) {
  int ndim = -1;
  const int64_t *s = nullptr;
  EXPECT_EQ(MXCNDArrayGetShape(h, &ndim, &s), 0) << Err();
  return std::vector<int64_t>(s, s + ndim);
}

MXCNDArrayHandle Scalar(float v) {
  MXCNDArrayHandle h = nullptr;
  EXPECT_EQ(MXCNDArrayCreate(nullptr, 0, MXC_FLOAT32, MXC_CPU, 0, 0, &h), 0) << Err();
  EXPECT_EQ(MXCNDArraySyncCopyFromCPU(h, &v, 1), 0) << Err();
  return h;
}

MXCNDArrayHandle Mat(const std::vector<int64_t> &shape, const std::vector<float> &v) {
  MXCNDArrayHandle h = nullptr;
  EXPECT_EQ(MXCNDArrayCreate(shape.data(), static_cast<int>(shape.size()), MXC_FLOAT32, MXC_CPU, 0, 0, &h), 0)
      << Err();
  EXPECT_EQ(MXCNDArraySyncCopyFromCPU(h, v.data(), static_cast<int64_t>(v.size())), 0) << Err();
  return h;
}

// Runs an operator; returns its first output or nullptr when it fails (the error in Err()).
MXCNDArrayHandle Try(const char *name, std::vector<MXCNDArrayHandle> ins, std::vector<const char *> keys = {},
                     std::vector<const char *> vals = {}) {
  MXCOpHandle op = nullptr;
  EXPECT_EQ(MXCOpGetHandle(name, &op), 0) << Err();
  MXCNDArrayHandle *outs = nullptr;
  int n = 0;
  if (MXCOpInvoke(op, static_cast<int>(ins.size()), ins.data(), &n, &outs, static_cast<int>(keys.size()),
                  keys.data(), vals.data()) != 0)
    return nullptr;
  return n > 0 ? outs[0] : nullptr;
}

MXCNDArrayHandle Call(const char *name, std::vector<MXCNDArrayHandle> ins, std::vector<const char *> keys = {},
                      std::vector<const char *> vals = {}) {
  MXCNDArrayHandle r = Try(name, ins, keys, vals);
  EXPECT_NE(r, nullptr) << name << ": " << Err();
  return r;
}

using Shape = std::vector<int64_t>;

TEST(NpShape, FlagIsThreadLocalAndTwoIsGlobal) {
  int cur = -1, prev = -1;
  ASSERT_EQ(MXCIsNumpyShape(&cur), 0);
  EXPECT_EQ(cur, 0);
  ASSERT_EQ(MXCSetIsNumpyShape(1, &prev), 0);
  EXPECT_EQ(prev, 0);
  ASSERT_EQ(MXCIsNumpyShape(&cur), 0);
  EXPECT_EQ(cur, 1);
  int other = -1;
  std::thread([&] { MXCIsNumpyShape(&other); }).join();
  EXPECT_EQ(other, 0);  // thread-local (as MXNet)
  ASSERT_EQ(MXCSetIsNumpyShape(2, &prev), 0);
  EXPECT_EQ(prev, 1);
  std::thread([&] { MXCIsNumpyShape(&other); }).join();
  EXPECT_EQ(other, 2);  // global
  ASSERT_EQ(MXCSetIsNumpyShape(0, &prev), 0);
  EXPECT_EQ(prev, 2);
  ASSERT_EQ(MXCIsNumpyShape(&cur), 0);
  EXPECT_EQ(cur, 0);
  std::thread([&] { MXCIsNumpyShape(&other); }).join();
  EXPECT_EQ(other, 0);
  EXPECT_NE(MXCSetIsNumpyShape(3, nullptr), 0);
  EXPECT_NE(std::string(Err()).find("ValueError"), std::string::npos) << Err();
}

TEST(NpShape, LegacyModeRejectsZeroDimAndKeepsShapes) {
  MXCNDArrayHandle h = nullptr;
  EXPECT_NE(MXCNDArrayCreate(nullptr, 0, MXC_FLOAT32, MXC_CPU, 0, 0, &h), 0);
  EXPECT_NE(std::string(Err()).find("ndim must be between 1"), std::string::npos) << Err();
  auto x = Vec({1, 2, 3});
  auto s = Call("sum", {x});
  EXPECT_EQ(ShapeOf(s), (Shape{1}));
  EXPECT_EQ(Read(s), (std::vector<float>{6}));
  auto d = Call("dot", {x, x});
  EXPECT_EQ(ShapeOf(d), (Shape{1}));
  EXPECT_EQ(Read(d), (std::vector<float>{14}));
  auto z = Call("_zeros", {}, {"shape"}, {"(2,)"});
  EXPECT_EQ(ShapeOf(z), (Shape{2}));
}

TEST(NpShape, CreateCopyCastReshape) {
  NpShape np;
  auto a = Scalar(2.5f);
  EXPECT_EQ(ShapeOf(a), Shape{});
  EXPECT_EQ(Read(a), (std::vector<float>{2.5f}));
  auto z = Call("_zeros", {}, {"shape"}, {"()"});
  EXPECT_EQ(ShapeOf(z), Shape{});
  EXPECT_EQ(Read(z), (std::vector<float>{0}));
  auto o = Call("_ones", {}, {"shape"}, {"()"});
  EXPECT_EQ(ShapeOf(o), Shape{});
  EXPECT_EQ(Read(o), (std::vector<float>{1}));
  auto f = Call("_full", {}, {"shape", "value"}, {"()", "7"});
  EXPECT_EQ(ShapeOf(f), Shape{});
  EXPECT_EQ(Read(f), (std::vector<float>{7}));
  // A 0 dimension is a real empty axis.
  auto e = Call("_zeros", {}, {"shape"}, {"(2,0)"});
  EXPECT_EQ(ShapeOf(e), (Shape{2, 0}));

  auto c = Call("_copy", {a});
  EXPECT_EQ(ShapeOf(c), Shape{});
  EXPECT_EQ(Read(c), (std::vector<float>{2.5f}));
  MXCNDArrayHandle dst = Scalar(0);
  ASSERT_EQ(MXCNDArrayCopyTo(a, dst), 0) << Err();
  EXPECT_EQ(Read(dst), (std::vector<float>{2.5f}));
  auto i = Call("Cast", {a}, {"dtype"}, {"int32"});
  EXPECT_EQ(ShapeOf(i), Shape{});
  int dt = -1;
  ASSERT_EQ(MXCNDArrayGetDType(i, &dt), 0);
  EXPECT_EQ(dt, MXC_INT32);
  int32_t iv = 0;
  ASSERT_EQ(MXCNDArraySyncCopyToCPU(i, &iv, 1), 0);
  EXPECT_EQ(iv, 2);

  // reshape to and from ()
  auto r1 = Call("reshape", {a}, {"shape"}, {"(1,1)"});
  EXPECT_EQ(ShapeOf(r1), (Shape{1, 1}));
  auto r0 = Call("reshape", {r1}, {"shape"}, {"()"});
  EXPECT_EQ(ShapeOf(r0), Shape{});
  EXPECT_EQ(Read(r0), (std::vector<float>{2.5f}));
  EXPECT_EQ(Try("reshape", {Vec({1, 2})}, {"shape"}, {"()"}), nullptr);
  EXPECT_NE(std::string(Err()).find("shape ()"), std::string::npos) << Err();
  MXCNDArrayHandle v = nullptr;
  ASSERT_EQ(MXCNDArrayReshape(Vec({4}), 0, nullptr, &v), 0) << Err();
  EXPECT_EQ(ShapeOf(v), Shape{});
  EXPECT_EQ(Read(v), (std::vector<float>{4}));
  MXCNDArrayHandle w = nullptr;
  int64_t m1 = -1;
  ASSERT_EQ(MXCNDArrayReshape(v, 1, &m1, &w), 0) << Err();
  EXPECT_EQ(ShapeOf(w), (Shape{1}));
  // A 0-d array cannot be sliced or indexed.
  EXPECT_NE(MXCNDArrayAt(a, 0, &w), 0);
  EXPECT_NE(std::string(Err()).find("0-d"), std::string::npos) << Err();
}

TEST(NpShape, ElementwiseScalarBroadcastCompare) {
  NpShape np;
  auto a = Scalar(3), b = Scalar(4);
  auto s = Call("elemwise_add", {a, b});
  EXPECT_EQ(ShapeOf(s), Shape{});
  EXPECT_EQ(Read(s), (std::vector<float>{7}));
  auto m = Call("elemwise_mul", {a, b});
  EXPECT_EQ(Read(m), (std::vector<float>{12}));
  auto q = Call("sqrt", {Call("_plus_scalar", {Call("square", {a})}, {"scalar"}, {"16"})});  // sqrt(9 + 16)
  EXPECT_EQ(ShapeOf(q), Shape{});
  EXPECT_EQ(Read(q), (std::vector<float>{5}));
  auto ex = Call("exp", {Scalar(0)});
  EXPECT_EQ(ShapeOf(ex), Shape{});
  EXPECT_EQ(Read(ex), (std::vector<float>{1}));
  auto rs = Call("_rminus_scalar", {a}, {"scalar"}, {"10"});
  EXPECT_EQ(ShapeOf(rs), Shape{});
  EXPECT_EQ(Read(rs), (std::vector<float>{7}));

  // NumPy broadcasting with a 0-d operand: () with (2,3) gives (2,3); () with () gives ().
  auto x = Mat({2, 3}, {1, 2, 3, 4, 5, 6});
  auto bx = Call("broadcast_mul", {a, x});
  EXPECT_EQ(ShapeOf(bx), (Shape{2, 3}));
  EXPECT_EQ(Read(bx), (std::vector<float>{3, 6, 9, 12, 15, 18}));
  auto xb = Call("broadcast_sub", {x, a});
  EXPECT_EQ(Read(xb), (std::vector<float>{-2, -1, 0, 1, 2, 3}));
  auto bb = Call("broadcast_maximum", {a, b});
  EXPECT_EQ(ShapeOf(bb), Shape{});
  EXPECT_EQ(Read(bb), (std::vector<float>{4}));
  auto gt = Call("broadcast_greater", {x, a});
  EXPECT_EQ(ShapeOf(gt), (Shape{2, 3}));
  EXPECT_EQ(Read(gt), (std::vector<float>{0, 0, 0, 1, 1, 1}));
  auto eq = Call("broadcast_equal", {a, Scalar(3)});
  EXPECT_EQ(ShapeOf(eq), Shape{});
  EXPECT_EQ(Read(eq), (std::vector<float>{1}));
  auto lt = Call("_lesser_scalar", {a}, {"scalar"}, {"2"});
  EXPECT_EQ(ShapeOf(lt), Shape{});
  EXPECT_EQ(Read(lt), (std::vector<float>{0}));
  auto to = Call("broadcast_to", {Call("reshape", {a}, {"shape"}, {"(1,1)"})}, {"shape"}, {"(2,2)"});
  EXPECT_EQ(ShapeOf(to), (Shape{2, 2}));
  EXPECT_EQ(Read(to), (std::vector<float>{3, 3, 3, 3}));
}

TEST(NpShape, ReductionsOverEveryAxisGiveZeroDim) {
  NpShape np;
  auto x = Mat({2, 3}, {1, 2, 3, 4, 5, 6});
  struct Case {
    const char *op;
    float expect;
  };
  for (Case c : {Case{"sum", 21}, Case{"mean", 3.5f}, Case{"max", 6}, Case{"min", 1}, Case{"prod", 720}}) {
    auto r = Call(c.op, {x});
    EXPECT_EQ(ShapeOf(r), Shape{}) << c.op;
    EXPECT_FLOAT_EQ(Read(r)[0], c.expect) << c.op;
  }
  auto n = Call("norm", {Vec({3, 4})});
  EXPECT_EQ(ShapeOf(n), Shape{});
  EXPECT_FLOAT_EQ(Read(n)[0], 5);
  // One axis of a 1-d array: 0-d; of a 2-d array: 1-d; keepdims keeps the axes.
  EXPECT_EQ(ShapeOf(Call("sum", {Vec({1, 2})}, {"axis"}, {"0"})), Shape{});
  auto r1 = Call("sum", {x}, {"axis"}, {"1"});
  EXPECT_EQ(ShapeOf(r1), (Shape{2}));
  EXPECT_EQ(Read(r1), (std::vector<float>{6, 15}));
  EXPECT_EQ(ShapeOf(Call("sum", {x}, {"keepdims"}, {"1"})), (Shape{1, 1}));
  EXPECT_EQ(ShapeOf(Call("sum", {x}, {"axis", "exclude"}, {"0", "1"})), (Shape{2}));
  // Reductions of a 0-d array.
  auto s0 = Call("sum", {Scalar(2)});
  EXPECT_EQ(ShapeOf(s0), Shape{});
  EXPECT_EQ(Read(s0), (std::vector<float>{2}));
}

TEST(NpShape, DotOfTwoVectors) {
  NpShape np;
  auto d = Call("dot", {Vec({1, 2, 3}), Vec({4, 5, 6})});
  EXPECT_EQ(ShapeOf(d), Shape{});
  EXPECT_EQ(Read(d), (std::vector<float>{32}));
  auto mv = Call("dot", {Mat({2, 2}, {1, 2, 3, 4}), Vec({1, 1})});
  EXPECT_EQ(ShapeOf(mv), (Shape{2}));
  EXPECT_EQ(Read(mv), (std::vector<float>{3, 7}));
}

TEST(NpShape, AutogradThroughZeroDim) {
  NpShape np;
  // loss = sum(x * x) + w * w with x = (1,2,3) and a 0-d w = 3: dloss/dx = 2x, dloss/dw = 2w = 6.
  auto x = Vec({1, 2, 3});
  auto w = Scalar(3);
  int64_t three = 3;
  MXCNDArrayHandle gx = nullptr, gw = nullptr;
  ASSERT_EQ(MXCNDArrayCreate(&three, 1, MXC_FLOAT32, MXC_CPU, 0, 0, &gx), 0) << Err();
  ASSERT_EQ(MXCNDArrayCreate(nullptr, 0, MXC_FLOAT32, MXC_CPU, 0, 0, &gw), 0) << Err();
  MXCNDArrayHandle vars[2] = {x, w}, grads[2] = {gx, gw};
  int reqs[2] = {MXC_GRAD_WRITE, MXC_GRAD_WRITE};
  ASSERT_EQ(MXCAutogradMarkVariables(2, vars, reqs, grads), 0) << Err();
  MXCNDArrayHandle loss = nullptr;
  ASSERT_EQ(MXCAutogradSetIsRecording(1, nullptr), 0);
  auto sx = Call("sum", {Call("elemwise_mul", {x, x})});
  auto ww = Call("elemwise_mul", {w, w});
  loss = Call("elemwise_add", {sx, ww});
  auto d = Call("dot", {x, x});  // a second 0-d head: x . x
  ASSERT_EQ(MXCAutogradSetIsRecording(0, nullptr), 0);
  EXPECT_EQ(ShapeOf(sx), Shape{});
  EXPECT_EQ(ShapeOf(loss), Shape{});
  EXPECT_EQ(Read(loss), (std::vector<float>{23}));  // 1 + 4 + 9 + 9
  ASSERT_EQ(MXCAutogradBackward(1, &loss, nullptr, 0, nullptr, 0, 1, nullptr), 0) << Err();
  EXPECT_EQ(Read(gx), (std::vector<float>{2, 4, 6}));
  EXPECT_EQ(ShapeOf(gw), Shape{});
  EXPECT_EQ(Read(gw), (std::vector<float>{6}));
  ASSERT_EQ(MXCAutogradBackward(1, &d, nullptr, 0, nullptr, 0, 1, nullptr), 0) << Err();
  EXPECT_EQ(Read(gx), (std::vector<float>{2, 4, 6}));  // d(x.x)/dx = 2x
  // mean over every axis: d/dx = 1/3 each; broadcasting a 0-d w: d(sum(w * x))/dw = sum(x) = 6.
  ASSERT_EQ(MXCAutogradSetIsRecording(1, nullptr), 0);
  auto m = Call("mean", {x});
  auto bw = Call("sum", {Call("broadcast_mul", {w, x})});
  ASSERT_EQ(MXCAutogradSetIsRecording(0, nullptr), 0);
  ASSERT_EQ(MXCAutogradBackward(1, &m, nullptr, 0, nullptr, 0, 1, nullptr), 0) << Err();
  for (float g : Read(gx)) EXPECT_FLOAT_EQ(g, 1.f / 3);
  ASSERT_EQ(MXCAutogradBackward(1, &bw, nullptr, 0, nullptr, 0, 1, nullptr), 0) << Err();
  EXPECT_EQ(Read(gw), (std::vector<float>{6}));
  EXPECT_EQ(Read(gx), (std::vector<float>{3, 3, 3}));  // w
}

TEST(NpShape, SaveAndLoadZeroDim) {
  const std::string path = ::testing::TempDir() + "np0d_save.params";
  {
    NpShape np;
    MXCNDArrayHandle arrs[2] = {Scalar(3.5f), Vec({1, 2})};
    const char *keys[2] = {"s", "v"};
    ASSERT_EQ(MXCNDArraySave(path.c_str(), 2, arrs, keys), 0) << Err();
    int n = 0, nk = 0;
    MXCNDArrayHandle *out = nullptr;
    const char **ok = nullptr;
    ASSERT_EQ(MXCNDArrayLoad(path.c_str(), &n, &out, &nk, &ok), 0) << Err();
    ASSERT_EQ(n, 2);
    EXPECT_EQ(ShapeOf(out[0]), Shape{});
    EXPECT_EQ(Read(out[0]), (std::vector<float>{3.5f}));
    EXPECT_EQ(Read(out[1]), (std::vector<float>{1, 2}));
  }
  // Outside NumPy shape mode a 0-d array in a file is an error that says so.
  int n = 0, nk = 0;
  MXCNDArrayHandle *out = nullptr;
  const char **ok = nullptr;
  EXPECT_NE(MXCNDArrayLoad(path.c_str(), &n, &out, &nk, &ok), 0);
  EXPECT_NE(std::string(Err()).find("NumPy shape mode"), std::string::npos) << Err();
}

TEST(NpShape, OtherOperatorsRejectZeroDimClearly) {
  NpShape np;
  auto a = Scalar(1);
  for (const char *op :
       {"transpose", "Flatten", "softmax", "SliceChannel", "argmax", "expand_dims", "topk", "broadcast_to"}) {
    std::vector<const char *> k, v;
    if (std::string(op) == "expand_dims") k = {"axis"}, v = {"0"};
    if (std::string(op) == "SliceChannel") k = {"num_outputs"}, v = {"1"};
    if (std::string(op) == "broadcast_to") k = {"shape"}, v = {"(2,2)"};
    EXPECT_EQ(Try(op, {a}, k, v), nullptr) << op;
    std::string e = Err();
    EXPECT_NE(e.find("ShapeError"), std::string::npos) << e;
    EXPECT_NE(e.find(op), std::string::npos) << e;
    EXPECT_NE(e.find("shape ()"), std::string::npos) << e;
  }
  EXPECT_EQ(Try("dot", {a, Vec({1})}), nullptr);
  EXPECT_NE(std::string(Err()).find("dot"), std::string::npos) << Err();
  EXPECT_EQ(Try("FullyConnected", {a, Mat({1, 1}, {1})}, {"num_hidden", "no_bias"}, {"1", "1"}), nullptr);
  EXPECT_NE(std::string(Err()).find("FullyConnected"), std::string::npos) << Err();
}

}  // namespace
