// Custom operators through the C API (MXCCustomOp*): an op_type implemented by C callbacks ("scale": y = k * x with
// k a string parameter, gradient k * dy), run imperatively, in an executor (forward, backward with write and add
// requests), recorded by autograd, and a callback that fails: its message surfaces at the wait on the output, naming
// the op_type, and the library stays usable. Expected values are computed by hand.
#include <gtest/gtest.h>

#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "mxc.h"
#include "test_capi_symbol_util.h"

namespace {

using capi::Err;
using capi::Read;
using capi::Vec;

// ---- the "scale" op_type: one argument, one output, no auxiliary state ----
const char *const kArgs[] = {"data"};
const char *const kOuts[] = {"output"};
int g_forward_calls = 0;
int g_last_req = -1;

float ScaleOf(int n, const char *const *keys, const char *const *vals) {
  for (int i = 0; i < n; ++i)
    if (std::strcmp(keys[i], "k") == 0) return std::strtof(vals[i], nullptr);
  return 1.0f;
}

int List(void *, int, const char *const *, const char *const *, int which, int *num, const char *const **names) {
  *num = which == 2 ? 0 : 1;
  *names = which == 0 ? kArgs : kOuts;
  return 0;
}

int NeedTopGrad(void *, int, const char *const *, const char *const *, int *out) {
  *out = 1;
  return 0;
}

thread_local std::vector<int> t_ndims;
thread_local std::vector<int64_t> t_dims;
thread_local std::vector<int> t_types;

int InferShape(void *, int, const char *const *, const char *const *, int num_in, const int *in_ndims,
               const int64_t *in_dims, const int **ndims, const int64_t **dims) {
  if (num_in != 1) return -1;
  t_ndims = {in_ndims[0], in_ndims[0]};  // the output has the input's shape
  t_dims.assign(in_dims, in_dims + in_ndims[0]);
  t_dims.insert(t_dims.end(), in_dims, in_dims + in_ndims[0]);
  *ndims = t_ndims.data();
  *dims = t_dims.data();
  return 0;
}

int InferType(void *, int, const char *const *, const char *const *, int, const int *in_types, const int **types) {
  t_types = {in_types[0], in_types[0]};
  *types = t_types.data();
  return 0;
}

// dst = k * src (req write) or dst += k * src (req add), on host arrays.
int Scale(MXCNDArrayHandle src, MXCNDArrayHandle dst, int req, float k) {
  int ndim = 0;
  const int64_t *shape = nullptr;
  if (MXCNDArrayGetShape(src, &ndim, &shape) != 0) return -1;
  int64_t n = 1;
  for (int i = 0; i < ndim; ++i) n *= shape[i];
  void *s = nullptr, *d = nullptr;
  if (MXCNDArrayWaitToRead(src) != 0 || MXCNDArrayWaitToWrite(dst) != 0) return -1;
  if (MXCNDArrayGetData(src, &s) != 0 || MXCNDArrayGetData(dst, &d) != 0) return -1;
  for (int64_t i = 0; i < n; ++i) {
    float v = k * static_cast<float *>(s)[i];
    if (req == MXC_GRAD_ADD) static_cast<float *>(d)[i] += v;
    else if (req != MXC_GRAD_NULL) static_cast<float *>(d)[i] = v;
  }
  return 0;
}

void FreeAll(int num, const MXCNDArrayHandle *arrays) {
  for (int i = 0; i < num; ++i) MXCNDArrayFree(arrays[i]);
}

int Forward(void *, int n, const char *const *keys, const char *const *vals, int, int num,
            const MXCNDArrayHandle *arrays, const int *reqs) {
  ++g_forward_calls;
  int rc = num == 2 ? Scale(arrays[0], arrays[1], reqs[0], ScaleOf(n, keys, vals)) : -1;
  FreeAll(num, arrays);
  return rc;
}

int Backward(void *, int n, const char *const *keys, const char *const *vals, int, int num,
             const MXCNDArrayHandle *arrays, const int *reqs) {
  // out_grad, in_data, out_data, in_grad
  g_last_req = reqs[0];
  int rc = num == 4 ? Scale(arrays[0], arrays[3], reqs[0], ScaleOf(n, keys, vals)) : -1;
  FreeAll(num, arrays);
  return rc;
}

int FailingForward(void *, int, const char *const *, const char *const *, int, int num,
                   const MXCNDArrayHandle *arrays, const int *) {
  FreeAll(num, arrays);
  MXCCustomOpSetError("ValueError: the callback says no");
  return -1;
}

MXCCustomOpCallbacks ScaleCallbacks() {
  MXCCustomOpCallbacks cb;
  std::memset(&cb, 0, sizeof(cb));
  cb.list = List;
  cb.need_top_grad = NeedTopGrad;
  cb.infer_shape = InferShape;
  cb.infer_type = InferType;
  cb.forward = Forward;
  cb.backward = Backward;
  return cb;
}

MXCOpHandle CustomOp() {
  MXCOpHandle op = nullptr;
  EXPECT_EQ(MXCOpGetHandle("Custom", &op), 0) << Err();
  return op;
}

class CustomOpTest : public ::testing::Test {
 protected:
  void SetUp() override {
    MXCCustomOpCallbacks cb = ScaleCallbacks();
    ASSERT_EQ(MXCCustomOpRegister("scale", &cb), 0) << Err();
  }
  void TearDown() override { MXCCustomOpUnregister("scale"); }
};

TEST_F(CustomOpTest, RegisteredOpTypesAreListed) {
  int num = 0;
  const char **names = nullptr;
  ASSERT_EQ(MXCCustomOpList(&num, &names), 0) << Err();
  bool found = false;
  for (int i = 0; i < num; ++i) found = found || std::string(names[i]) == "scale";
  EXPECT_TRUE(found);
  MXCCustomOpCallbacks cb = ScaleCallbacks();
  cb.forward = nullptr;
  EXPECT_EQ(MXCCustomOpRegister("incomplete", &cb), -1);
  EXPECT_NE(Err().find("every callback of 'incomplete' must be set"), std::string::npos) << Err();
}

TEST_F(CustomOpTest, ImperativeCallRunsTheCallback) {
  MXCNDArrayHandle x = Vec({1, -2, 3});
  const char *keys[] = {"op_type", "k"};
  const char *vals[] = {"scale", "2.5"};
  int nout = 0;
  MXCNDArrayHandle *outs = nullptr;
  ASSERT_EQ(MXCOpInvoke(CustomOp(), 1, &x, &nout, &outs, 2, keys, vals), 0) << Err();
  ASSERT_EQ(nout, 1);
  MXCNDArrayHandle y = outs[0];
  EXPECT_EQ(Read(y), (std::vector<float>{2.5f, -5.0f, 7.5f}));
  MXCNDArrayFree(y);
  MXCNDArrayFree(x);
}

TEST_F(CustomOpTest, ExecutorForwardAndBackwardWithWriteAndAdd) {
  MXCSymbolHandle data = nullptr, op = nullptr;
  ASSERT_EQ(MXCSymbolCreateVariable("data", &data), 0) << Err();
  const char *keys[] = {"op_type", "k"};
  const char *vals[] = {"scale", "3"};
  ASSERT_EQ(MXCSymbolCreateAtomic("Custom", 2, keys, vals, &op), 0) << Err();
  ASSERT_EQ(MXCSymbolCompose(op, "sc", 1, nullptr, &data), 0) << Err();
  int n = 0;
  const char **names = nullptr;
  ASSERT_EQ(MXCSymbolListOutputs(op, &n, &names), 0) << Err();
  ASSERT_EQ(n, 1);
  EXPECT_STREQ(names[0], "sc_output");
  for (int req : {MXC_GRAD_WRITE, MXC_GRAD_ADD}) {
    MXCNDArrayHandle x = Vec({1, 2}), gx = Vec({10, 10});
    MXCExecutorHandle ex = nullptr;
    ASSERT_EQ(MXCExecutorBind(op, MXC_CPU, 0, 1, &x, &gx, &req, 0, nullptr, nullptr, &ex), 0) << Err();
    ASSERT_EQ(MXCExecutorForward(ex, 1), 0) << Err();
    int nout = 0;
    MXCNDArrayHandle *outs = nullptr;
    ASSERT_EQ(MXCExecutorOutputs(ex, &nout, &outs), 0) << Err();
    MXCNDArrayHandle y = outs[0];
    EXPECT_EQ(Read(y), (std::vector<float>{3, 6}));
    MXCNDArrayHandle dy = Vec({1, -1});
    ASSERT_EQ(MXCExecutorBackward(ex, 1, &dy), 0) << Err();
    if (req == MXC_GRAD_WRITE) EXPECT_EQ(Read(gx), (std::vector<float>{3, -3}));
    else EXPECT_EQ(Read(gx), (std::vector<float>{13, 7}));
    EXPECT_EQ(g_last_req, req);
    for (MXCNDArrayHandle h : {x, gx, y, dy}) MXCNDArrayFree(h);
    MXCExecutorFree(ex);
  }
  MXCSymbolFree(op);
  MXCSymbolFree(data);
}

TEST_F(CustomOpTest, AutogradRecordsTheCall) {
  MXCNDArrayHandle x = Vec({1, 2, 3}), gx = Vec({0, 0, 0});
  int req = MXC_GRAD_WRITE;
  ASSERT_EQ(MXCAutogradMarkVariables(1, &x, &req, &gx), 0) << Err();
  ASSERT_EQ(MXCAutogradSetIsRecording(1, nullptr), 0);
  const char *keys[] = {"op_type", "k"};
  const char *vals[] = {"scale", "-2"};
  int nout = 0;
  MXCNDArrayHandle *outs = nullptr;
  ASSERT_EQ(MXCOpInvoke(CustomOp(), 1, &x, &nout, &outs, 2, keys, vals), 0) << Err();
  MXCNDArrayHandle y = outs[0];
  ASSERT_EQ(MXCAutogradSetIsRecording(0, nullptr), 0);
  ASSERT_EQ(MXCAutogradBackward(1, &y, nullptr, 0, nullptr, 0, 1, nullptr), 0) << Err();
  EXPECT_EQ(Read(gx), (std::vector<float>{-2, -2, -2}));
  for (MXCNDArrayHandle h : {x, gx, y}) MXCNDArrayFree(h);
}

TEST_F(CustomOpTest, FailingCallbackSurfacesAtTheWait) {
  MXCCustomOpCallbacks cb = ScaleCallbacks();
  cb.forward = FailingForward;
  ASSERT_EQ(MXCCustomOpRegister("failing", &cb), 0) << Err();
  MXCNDArrayHandle x = Vec({1, 2});
  const char *keys[] = {"op_type"};
  const char *vals[] = {"failing"};
  int nout = 0;
  MXCNDArrayHandle *outs = nullptr;
  ASSERT_EQ(MXCOpInvoke(CustomOp(), 1, &x, &nout, &outs, 1, keys, vals), 0) << Err();  // queued: no error yet
  MXCNDArrayHandle y = outs[0];
  EXPECT_EQ(MXCNDArrayWaitToRead(y), -1);
  std::string e = Err();
  EXPECT_EQ(e.rfind("ValueError: ", 0), 0u) << e;
  EXPECT_NE(e.find("op_type 'failing'"), std::string::npos) << e;
  EXPECT_NE(e.find("the callback says no"), std::string::npos) << e;
  MXCNDArrayFree(y);
  // The library stays usable: the same input through a working op_type.
  const char *vals2[] = {"scale"};
  nout = 0;
  outs = nullptr;
  ASSERT_EQ(MXCOpInvoke(CustomOp(), 1, &x, &nout, &outs, 1, keys, vals2), 0) << Err();
  y = outs[0];
  EXPECT_EQ(Read(y), (std::vector<float>{1, 2}));
  MXCNDArrayFree(y);
  MXCNDArrayFree(x);
  MXCCustomOpUnregister("failing");
}

TEST_F(CustomOpTest, UnknownOpTypeIsAValueError) {
  MXCNDArrayHandle x = Vec({1});
  const char *keys[] = {"op_type"};
  const char *vals[] = {"no_such_op"};
  int nout = 0;
  MXCNDArrayHandle *outs = nullptr;
  EXPECT_EQ(MXCOpInvoke(CustomOp(), 1, &x, &nout, &outs, 1, keys, vals), -1);
  std::string e = Err();
  EXPECT_EQ(e.rfind("ValueError: ", 0), 0u) << e;
  EXPECT_NE(e.find("Cannot find custom operator 'no_such_op'"), std::string::npos) << e;
  // Missing op_type: the registry's required-parameter error.
  EXPECT_EQ(MXCOpInvoke(CustomOp(), 1, &x, &nout, &outs, 0, nullptr, nullptr), -1);
  EXPECT_NE(Err().find("op_type"), std::string::npos) << Err();
  MXCNDArrayFree(x);
}

}  // namespace
