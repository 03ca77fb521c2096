// The fast paths of the C API: prepared operators (MXCPreparedOp*) against MXCOpInvoke, their errors, and the CPU
// storage pool's statistics and cache release.
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "mxc.h"

namespace {

std::string Err() { return MXCGetLastError(); }

MXCNDArrayHandle Vec(const std::vector<float> &v) {
  MXCNDArrayHandle h = nullptr;
  int64_t n = static_cast<int64_t>(v.size());
  EXPECT_EQ(MXCNDArrayCreate(&n, 1, MXC_FLOAT32, MXC_CPU, 0, 0, &h), 0) << Err();
  EXPECT_EQ(MXCNDArraySyncCopyFromCPU(h, v.data(), n), 0) << Err();
  return h;
}

std::vector<float> Read(MXCNDArrayHandle h, int64_t n) {
  std::vector<float> v(n);
  EXPECT_EQ(MXCNDArraySyncCopyToCPU(h, v.data(), n), 0) << Err();
  return v;
}

MXCOpHandle Op(const char *name) {
  MXCOpHandle op = nullptr;
  EXPECT_EQ(MXCOpGetHandle(name, &op), 0) << Err();
  return op;
}

TEST(PreparedOp, AllocatedAndGivenOutputs) {
  MXCPreparedOpHandle add = nullptr;
  ASSERT_EQ(MXCPreparedOpCreate(Op("elemwise_add"), 0, nullptr, nullptr, &add), 0) << Err();
  int nout = -1;
  ASSERT_EQ(MXCPreparedOpGetNumOutputs(add, &nout), 0) << Err();
  EXPECT_EQ(nout, 1);
  auto a = Vec({1, 2, 3}), b = Vec({10, 20, 30.5f});
  MXCNDArrayHandle ins[2] = {a, b};
  MXCNDArrayHandle out[1] = {nullptr};
  ASSERT_EQ(MXCPreparedOpInvoke(add, 2, ins, 1, out), 0) << Err();
  ASSERT_NE(out[0], nullptr);
  EXPECT_EQ(Read(out[0], 3), (std::vector<float>{11, 22, 33.5f}));
  // Into a given array, many times (the same record reused).
  auto c = Vec({0, 0, 0});
  for (int i = 0; i < 100; ++i) {
    MXCNDArrayHandle given[1] = {c};
    ASSERT_EQ(MXCPreparedOpInvoke(add, 2, ins, 1, given), 0) << Err();
    EXPECT_EQ(given[0], c);
  }
  EXPECT_EQ(Read(c, 3), (std::vector<float>{11, 22, 33.5f}));
  for (auto h : {a, b, c, out[0]}) MXCNDArrayFree(h);
  EXPECT_EQ(MXCPreparedOpFree(add), 0);
  EXPECT_EQ(MXCPreparedOpFree(nullptr), 0);
}

TEST(PreparedOp, ParametersParsedOnceSameAsInvoke) {
  const char *keys[1] = {"scalar"}, *vals[1] = {"2.5"};
  MXCPreparedOpHandle plus = nullptr;
  ASSERT_EQ(MXCPreparedOpCreate(Op("_plus_scalar"), 1, keys, vals, &plus), 0) << Err();
  auto a = Vec({1, -2, 0.25f});
  MXCNDArrayHandle out[1] = {nullptr};
  ASSERT_EQ(MXCPreparedOpInvoke(plus, 1, &a, 1, out), 0) << Err();
  EXPECT_EQ(Read(out[0], 3), (std::vector<float>{3.5f, 0.5f, 2.75f}));
  // Same result as MXCOpInvoke with the same parameters.
  MXCNDArrayHandle *outs = nullptr;
  int n = 0;
  ASSERT_EQ(MXCOpInvoke(Op("_plus_scalar"), 1, &a, &n, &outs, 1, keys, vals), 0) << Err();
  ASSERT_EQ(n, 1);
  EXPECT_EQ(Read(outs[0], 3), Read(out[0], 3));
  MXCNDArrayFree(outs[0]);
  MXCNDArrayFree(out[0]);
  MXCNDArrayFree(a);
  MXCPreparedOpFree(plus);
}

TEST(PreparedOp, SeveralOutputs) {
  const char *keys[2] = {"num_outputs", "axis"}, *vals[2] = {"2", "0"};
  MXCPreparedOpHandle split = nullptr;
  ASSERT_EQ(MXCPreparedOpCreate(Op("split"), 2, keys, vals, &split), 0) << Err();
  int nout = 0;
  ASSERT_EQ(MXCPreparedOpGetNumOutputs(split, &nout), 0);
  ASSERT_EQ(nout, 2);
  auto a = Vec({1, 2, 3, 4});
  MXCNDArrayHandle out[2] = {nullptr, nullptr};
  ASSERT_EQ(MXCPreparedOpInvoke(split, 1, &a, 2, out), 0) << Err();
  EXPECT_EQ(Read(out[0], 2), (std::vector<float>{1, 2}));
  EXPECT_EQ(Read(out[1], 2), (std::vector<float>{3, 4}));
  // Room for the wrong number of allocated outputs.
  MXCNDArrayHandle one[1] = {nullptr};
  EXPECT_EQ(MXCPreparedOpInvoke(split, 1, &a, 1, one), -1);
  EXPECT_NE(Err().find("ValueError: operator SliceChannel: has 2 output(s), got room for 1"), std::string::npos) << Err();
  for (auto h : {a, out[0], out[1]}) MXCNDArrayFree(h);
  MXCPreparedOpFree(split);
}

TEST(PreparedOp, Errors) {
  MXCPreparedOpHandle p = nullptr;
  // Parameters are checked at creation.
  const char *bad_k[1] = {"scalr"}, *bad_v[1] = {"1"};
  EXPECT_EQ(MXCPreparedOpCreate(Op("_plus_scalar"), 1, bad_k, bad_v, &p), -1);
  EXPECT_NE(Err().find("ValueError: operator _plus_scalar: unknown parameter 'scalr'"), std::string::npos) << Err();
  const char *k[1] = {"scalar"}, *v[1] = {"two"};
  EXPECT_EQ(MXCPreparedOpCreate(Op("_plus_scalar"), 1, k, v, &p), -1);
  EXPECT_NE(Err().find("parameter 'scalar' expects float, got 'two'"), std::string::npos) << Err();
  EXPECT_EQ(MXCPreparedOpCreate(Op("one_hot"), 0, nullptr, nullptr, &p), -1);
  EXPECT_NE(Err().find("ValueError: operator one_hot: required parameter 'depth'"), std::string::npos) << Err();
  EXPECT_EQ(MXCPreparedOpCreate(nullptr, 0, nullptr, nullptr, &p), -1);
  EXPECT_EQ(MXCPreparedOpCreate(Op("elemwise_add"), 0, nullptr, nullptr, nullptr), -1);

  ASSERT_EQ(MXCPreparedOpCreate(Op("elemwise_add"), 0, nullptr, nullptr, &p), 0) << Err();
  auto a = Vec({1, 2, 3}), b = Vec({1, 2});
  MXCNDArrayHandle ins[2] = {a, b};
  MXCNDArrayHandle out[1] = {nullptr};
  // Shapes: the message names the operator, the arguments and their shapes; the output stays NULL.
  EXPECT_EQ(MXCPreparedOpInvoke(p, 2, ins, 1, out), -1);
  EXPECT_NE(Err().find("ShapeError: operator elemwise_add"), std::string::npos) << Err();
  EXPECT_NE(Err().find("lhs (3,), rhs (2,)"), std::string::npos) << Err();
  EXPECT_EQ(out[0], nullptr);
  // Wrong number of inputs, NULL and freed handles, mixed outputs.
  EXPECT_EQ(MXCPreparedOpInvoke(p, 1, ins, 1, out), -1);
  EXPECT_NE(Err().find("operator elemwise_add: expects 2 input(s) (lhs, rhs), got 1"), std::string::npos) << Err();
  MXCNDArrayHandle nulls[2] = {a, nullptr};
  EXPECT_EQ(MXCPreparedOpInvoke(p, 2, nulls, 1, out), -1);
  EXPECT_NE(Err().find("input handle is NULL"), std::string::npos) << Err();
  EXPECT_EQ(MXCPreparedOpInvoke(p, 2, nullptr, 1, out), -1);
  EXPECT_EQ(MXCPreparedOpInvoke(p, 2, ins, 1, nullptr), -1);
  auto c = Vec({0, 0, 0}), d = Vec({0, 0, 0});
  MXCNDArrayHandle aa[2] = {a, c};
  MXCNDArrayHandle mixed[2] = {d, nullptr};
  EXPECT_EQ(MXCPreparedOpInvoke(p, 2, aa, 2, mixed), -1);
  EXPECT_NE(Err().find("outputs must be all NULL"), std::string::npos) << Err();
  // dtype mismatch
  int64_t n3 = 3;
  MXCNDArrayHandle i32 = nullptr;
  ASSERT_EQ(MXCNDArrayCreate(&n3, 1, MXC_INT32, MXC_CPU, 0, 0, &i32), 0);
  MXCNDArrayHandle ti[2] = {a, i32};
  EXPECT_EQ(MXCPreparedOpInvoke(p, 2, ti, 1, out), -1);
  EXPECT_NE(Err().find("TypeError: operator elemwise_add"), std::string::npos) << Err();
  MXCNDArrayFree(i32);
  MXCNDArrayFree(d);
  EXPECT_EQ(MXCNDArrayFree(c), 0);
  MXCNDArrayFree(a);
  MXCNDArrayFree(b);
  // Freed prepared handle.
  ASSERT_EQ(MXCPreparedOpFree(p), 0);
}

TEST(PreparedOp, UnaryAndBinaryForms) {
  MXCPreparedOpHandle sub = nullptr, neg = nullptr, split = nullptr;
  ASSERT_EQ(MXCPreparedOpCreate(Op("elemwise_sub"), 0, nullptr, nullptr, &sub), 0) << Err();
  ASSERT_EQ(MXCPreparedOpCreate(Op("negative"), 0, nullptr, nullptr, &neg), 0) << Err();
  const char *keys[1] = {"num_outputs"}, *vals[1] = {"2"};
  ASSERT_EQ(MXCPreparedOpCreate(Op("split"), 1, keys, vals, &split), 0) << Err();
  auto a = Vec({5, 7, 9}), b = Vec({1, 2, 3.5f});
  MXCNDArrayHandle out = nullptr;
  ASSERT_EQ(MXCPreparedOpInvokeBinary(sub, a, b, &out), 0) << Err();
  EXPECT_EQ(Read(out, 3), (std::vector<float>{4, 5, 5.5f}));
  MXCNDArrayHandle out2 = nullptr;
  ASSERT_EQ(MXCPreparedOpInvokeUnary(neg, out, &out2), 0) << Err();
  EXPECT_EQ(Read(out2, 3), (std::vector<float>{-4, -5, -5.5f}));
  // Errors: arity, several outputs, shapes, NULL arguments; *out is NULL afterwards.
  MXCNDArrayHandle bad = a;
  EXPECT_EQ(MXCPreparedOpInvokeUnary(sub, a, &bad), -1);
  EXPECT_NE(Err().find("operator elemwise_sub: expects 2 input(s) (lhs, rhs), got 1"), std::string::npos) << Err();
  EXPECT_EQ(bad, nullptr);
  EXPECT_EQ(MXCPreparedOpInvokeUnary(split, a, &bad), -1);
  EXPECT_NE(Err().find("operator SliceChannel: has 2 outputs"), std::string::npos) << Err();
  auto c = Vec({1, 2});
  EXPECT_EQ(MXCPreparedOpInvokeBinary(sub, a, c, &bad), -1);
  EXPECT_NE(Err().find("ShapeError: operator elemwise_sub: inputs must have the same shape, got lhs (3,), rhs (2,)"),
            std::string::npos)
      << Err();
  EXPECT_EQ(MXCPreparedOpInvokeBinary(sub, a, nullptr, &bad), -1);
  EXPECT_EQ(MXCPreparedOpInvokeBinary(sub, a, b, nullptr), -1);
  EXPECT_EQ(MXCPreparedOpInvokeBinary(nullptr, a, b, &bad), -1);
  EXPECT_NE(Err().find("prepared operator handle is NULL"), std::string::npos) << Err();
  for (auto h : {a, b, c, out, out2}) MXCNDArrayFree(h);
  for (auto p : {sub, neg, split}) MXCPreparedOpFree(p);
}

TEST(CPUPool, FreedStorageIsReusedAndReleased) {
  ASSERT_EQ(MXCNDArrayWaitAll(), 0);
  ASSERT_EQ(MXCCPUReleaseCache(), 0);
  int64_t in_use0 = -1, cached0 = -1, peak0 = -1;
  ASSERT_EQ(MXCCPUMemoryStats(&in_use0, &cached0, &peak0), 0) << Err();
  EXPECT_EQ(cached0, 0);
  EXPECT_GE(in_use0, 0);
  EXPECT_GE(peak0, in_use0);
  int64_t n = 1 << 20;  // 4 MiB of float32
  MXCNDArrayHandle h = nullptr;
  ASSERT_EQ(MXCNDArrayCreate(&n, 1, MXC_FLOAT32, MXC_CPU, 0, 0, &h), 0);
  int64_t in_use1 = 0, cached1 = 0;
  ASSERT_EQ(MXCCPUMemoryStats(&in_use1, &cached1, nullptr), 0);
  EXPECT_GE(in_use1 - in_use0, 4 << 20);
  EXPECT_LE(in_use1 - in_use0, (4 << 20) + (4 << 20) / 8);  // the size class wastes at most 12.5%
  void *p1 = nullptr;
  ASSERT_EQ(MXCNDArrayGetData(h, &p1), 0);
  ASSERT_EQ(MXCNDArrayFree(h), 0);
  ASSERT_EQ(MXCNDArrayWaitAll(), 0);
  int64_t in_use2 = 0, cached2 = 0;
  ASSERT_EQ(MXCCPUMemoryStats(&in_use2, &cached2, nullptr), 0);
  EXPECT_EQ(in_use2, in_use0);
  EXPECT_EQ(cached2, in_use1 - in_use0);
  // A new array of a size in the same class gets that memory back.
  int64_t n2 = (1 << 20) - 3;
  ASSERT_EQ(MXCNDArrayCreate(&n2, 1, MXC_FLOAT32, MXC_CPU, 0, 0, &h), 0);
  void *p2 = nullptr;
  ASSERT_EQ(MXCNDArrayGetData(h, &p2), 0);
  EXPECT_EQ(p2, p1);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(p2) % 64, 0u);
  int64_t cached3 = -1;
  ASSERT_EQ(MXCCPUMemoryStats(nullptr, &cached3, nullptr), 0);
  EXPECT_EQ(cached3, 0);
  MXCNDArrayFree(h);
  ASSERT_EQ(MXCNDArrayWaitAll(), 0);
  ASSERT_EQ(MXCCPUReleaseCache(), 0);
  ASSERT_EQ(MXCCPUMemoryStats(nullptr, &cached3, nullptr), 0);
  EXPECT_EQ(cached3, 0);
}

// Arrays created and freed in a loop compute right with storage recycled under them (the output of one call is
// the freed output of an earlier one).
TEST(CPUPool, RecycledOutputsComputeRight) {
  MXCOpHandle add = Op("elemwise_add");
  std::vector<float> x(1000), y(1000);
  for (int i = 0; i < 1000; ++i) {
    x[i] = static_cast<float>(i);
    y[i] = static_cast<float>(2 * i + 1);
  }
  auto a = Vec(x), b = Vec(y);
  MXCNDArrayHandle ins[2] = {a, b};
  MXCNDArrayHandle prev = nullptr;
  for (int it = 0; it < 50; ++it) {
    MXCNDArrayHandle *outs = nullptr;
    int n = 0;
    ASSERT_EQ(MXCOpInvoke(add, 2, ins, &n, &outs, 0, nullptr, nullptr), 0) << Err();
    MXCNDArrayHandle c = outs[0];
    MXCNDArrayHandle ins2[2] = {c, a};
    MXCNDArrayHandle *outs2 = nullptr;
    n = 0;
    ASSERT_EQ(MXCOpInvoke(add, 2, ins2, &n, &outs2, 0, nullptr, nullptr), 0) << Err();
    MXCNDArrayHandle d = outs2[0];
    MXCNDArrayFree(c);  // freed with d's computation possibly still pending on it
    if (prev) {
      auto v = Read(prev, 1000);
      for (int i = 0; i < 1000; ++i) ASSERT_EQ(v[i], 2 * x[i] + y[i]) << i;
      MXCNDArrayFree(prev);
    }
    prev = d;
  }
  auto v = Read(prev, 1000);
  for (int i = 0; i < 1000; ++i) ASSERT_EQ(v[i], 2 * x[i] + y[i]) << i;
  for (auto h : {prev, a, b}) MXCNDArrayFree(h);
}

}  // namespace
