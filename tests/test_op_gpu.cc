// Every operator with a GPU kernel, forward and gradient on gpu(0) against the CPU result (skipped, visibly,
// without a GPU), and a report of the operators whose GPU kernel is only host-staged.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <map>
#include <set>

#include "device.h"
#include "op_harness.h"

#ifdef MXC_USE_CUDA
namespace mxc {
namespace gpu {
std::vector<std::string> HostStagedOps();
}
}  // namespace mxc
#endif

namespace {

using mxc::Device;
using mxc::NDArray;
using mxc::OpParams;
using mxc::TBlob;
using mxc::TShape;
using mxct::Params;

const Device kGPU{MXC_GPU, 0};

NDArray CopyTo(const NDArray &a, const Device &dev) {
  NDArray r(a.shape(), a.dtype(), dev);
  std::vector<char> buf(a.Size() * mxc::DTypeSize(a.dtype()) + 1);
  a.SyncCopyToCPU(buf.data(), a.Size());
  r.SyncCopyFromCPU(buf.data(), a.Size());
  return r;
}

// Contents as doubles, from any device (the harness's ToVec reads host memory only).
std::vector<double> HostVec(const NDArray &a) {
  return mxct::ToVec(a.dev().type == MXC_CPU ? a : CopyTo(a, Device::CPU()));
}

struct Case {
  std::string op;
  Params params;
  std::vector<TShape> shapes;
  double lo = -1, hi = 1;
  std::vector<int> no_grad;                         // inputs without a gradient (labels, indices, aux)
  std::function<void(std::vector<NDArray> &)> fill;  // after random initialisation (on the cpu)
  bool is_train = false;
  int dtype = mxc::kFloat32;
};

// Forward on both devices, then the gradient of every output under random head gradients.
void Compare(const Case &c) {
  SCOPED_TRACE(c.op);
  const mxc::Op *op = mxc::OpRegistry::Get()->FindOrThrow(c.op);
  std::vector<NDArray> cin;
  for (size_t i = 0; i < c.shapes.size(); ++i)
    cin.push_back(mxct::Random(c.shapes[i], c.lo, c.hi, c.dtype, 17 + i));
  if (c.fill) c.fill(cin);
  std::vector<NDArray> gin;
  for (auto &a : cin) gin.push_back(CopyTo(a, kGPU));
  OpParams p(op, c.params);
  std::vector<NDArray> cout_, gout;
  mxc::SeedAll(7);
  mxc::Invoke(op, p, cin, &cout_, c.is_train);
  // Creation operators (no inputs) put their output where the caller allocated it.
  if (gin.empty())
    for (auto &o : cout_) gout.push_back(NDArray(o.shape(), o.dtype(), kGPU));
  mxc::SeedAll(7);
  mxc::Invoke(op, p, gin, &gout, c.is_train);
  const bool random = op->is_random;
  // Mutated inputs (optimizer states) must agree too.
  for (size_t i = 0; i < cout_.size(); ++i) {
    ASSERT_EQ(gout[i].dev(), kGPU);
    if (!random) mxct::ExpectNear(HostVec(gout[i]), HostVec(cout_[i]), 1e-4, 1e-5, "output");
  }
  for (int m : op->mutate_inputs)
    mxct::ExpectNear(HostVec(gin[m]), HostVec(cin[m]), 1e-4, 1e-5, "mutated input");
  if (random || !op->backward.count(MXC_GPU)) return;

  // Gradient: the same head gradients on both devices, every output (hidden ones included).
  std::vector<NDArray> call = cout_, gall = gout;
  int nout = op->NumOutputs(p);
  if (static_cast<int>(call.size()) < nout) return;  // hidden outputs not returned: covered by the op's own tests
  auto grads = [&](const std::vector<NDArray> &in, const std::vector<NDArray> &out, const Device &dev,
                   std::vector<NDArray> *heads) {
    std::vector<NDArray> ig;
    for (auto &a : in) ig.push_back(NDArray(a.shape(), a.dtype(), dev));
    if (heads->empty())
      for (size_t i = 0; i < out.size(); ++i) heads->push_back(mxct::Random(out[i].shape(), -1, 1, out[i].dtype(), 99 + i));
    std::vector<NDArray> h;
    for (auto &a : *heads) h.push_back(dev.type == MXC_GPU ? CopyTo(a, dev) : a);
    for (auto &a : in) a.WaitToRead();
    for (auto &a : out) a.WaitToRead();
    std::vector<TBlob> og, id, od, gb;
    for (auto &a : h) og.push_back(a.blob());
    for (auto &a : in) id.push_back(a.blob());
    for (auto &a : out) od.push_back(a.blob());
    for (auto &a : ig) gb.push_back(a.blob());
    std::vector<mxc::OpReq> req(in.size(), mxc::kWriteTo);
    for (int k : c.no_grad) req[k] = mxc::kNullOp;
    for (int k = static_cast<int>(in.size()) - op->num_aux; k < static_cast<int>(in.size()); ++k) req[k] = mxc::kNullOp;
    mxc::OpContext ctx;
    ctx.dev = dev;
    ctx.is_train = c.is_train;
    op->backward.at(dev.type)(ctx, p, og, id, od, req, gb);
    mxc::DeviceWait(dev);
    std::vector<std::vector<double>> r;
    for (size_t k = 0; k < ig.size(); ++k) r.push_back(req[k] == mxc::kNullOp ? std::vector<double>() : HostVec(ig[k]));
    return r;
  };
  std::vector<NDArray> heads;
  auto cg = grads(cin, call, Device::CPU(), &heads);
  auto gg = grads(gin, gall, kGPU, &heads);
  for (size_t k = 0; k < cg.size(); ++k) mxct::ExpectNear(gg[k], cg[k], 1e-4, 1e-5, "gradient of input " + std::to_string(k));
}

bool HaveGPU() { return mxc::NumGPUs() > 0; }

std::vector<Case> Cases() {
  std::vector<Case> v;
  auto add = [&](Case c) { v.push_back(std::move(c)); };
  add({"_zeros", {{"shape", "(3,4)"}}, {}});
  add({"_ones", {{"shape", "(5,)"}, {"dtype", "int32"}}, {}});
  add({"_full", {{"shape", "(2,3)"}, {"value", "2.5"}, {"dtype", "float64"}}, {}});
  add({"_copy", {}, {{3, 4}}});
  add({"Cast", {{"dtype", "int32"}}, {{3, 4}}, -5, 5});
  for (const char *u : {"negative", "abs", "exp", "sqrt", "rsqrt", "square", "sin", "cos", "tanh", "sigmoid", "relu",
                        "reciprocal", "log1p", "expm1", "log"})
    add({u, {}, {{4, 5}}, std::string(u) == "sqrt" || u == std::string("rsqrt") || u == std::string("log") ||
                              u == std::string("reciprocal") ? 0.5 : -1.0, 1.5});
  for (const char *a : {"relu", "sigmoid", "tanh", "softrelu", "softsign"})
    add({"Activation", {{"act_type", a}}, {{6, 7}}});
  for (const char *b : {"elemwise_add", "elemwise_sub", "elemwise_mul", "elemwise_div", "_maximum", "_minimum",
                        "_power", "_greater", "_equal"})
    add({b, {}, {{3, 5}, {3, 5}}, 0.5, 2.0});
  for (const char *s : {"_plus_scalar", "_minus_scalar", "_rminus_scalar", "_mul_scalar", "_div_scalar",
                        "_rdiv_scalar", "_power_scalar", "_rpower_scalar", "_maximum_scalar", "_lesser_scalar"})
    add({s, {{"scalar", "1.25"}}, {{4, 6}}, 0.5, 2.0});
  add({"add_n", {{"num_args", "3"}}, {{2, 3}, {2, 3}, {2, 3}}});
  add({"FullyConnected", {{"num_hidden", "5"}}, {{4, 3, 2}, {5, 6}, {5}}});
  add({"FullyConnected", {{"num_hidden", "3"}, {"no_bias", "true"}, {"flatten", "false"}}, {{2, 4, 6}, {3, 6}},
       -1, 1, {}, nullptr, false, mxc::kFloat64});
  add({"softmax", {{"axis", "1"}}, {{3, 4, 5}}});
  add({"log_softmax", {}, {{3, 7}}});
  auto labels = [](int64_t k) {
    return [k](std::vector<NDArray> &in) {
      std::vector<double> l(in[1].Size());
      for (size_t i = 0; i < l.size(); ++i) l[i] = static_cast<double>(i * 7 % k);
      in[1] = mxct::FromVec(in[1].shape(), l, in[1].dtype());
    };
  };
  add({"SoftmaxOutput", {}, {{8, 10}, {8}}, -1, 1, {1}, labels(10)});
  add({"SoftmaxOutput", {{"normalization", "batch"}, {"grad_scale", "2"}}, {{8, 10}, {8}}, -1, 1, {1}, labels(10)});
  add({"SoftmaxOutput", {{"multi_output", "true"}, {"normalization", "valid"}, {"use_ignore", "true"},
                         {"ignore_label", "2"}},
       {{2, 4, 3}, {2, 3}}, -1, 1, {1}, labels(4)});
  add({"Convolution", {{"kernel", "(3,3)"}, {"num_filter", "4"}, {"pad", "(1,1)"}}, {{2, 3, 6, 5}, {4, 3, 3, 3}, {4}}});
  add({"Convolution", {{"kernel", "(2,3)"}, {"num_filter", "4"}, {"stride", "(2,1)"}, {"dilate", "(1,2)"},
                       {"num_group", "2"}, {"no_bias", "true"}},
       {{2, 4, 7, 8}, {4, 2, 2, 3}}});
  add({"Convolution", {{"kernel", "(3,)"}, {"num_filter", "2"}}, {{2, 3, 9}, {2, 3, 3}, {2}}});
  add({"Pooling", {{"kernel", "(2,2)"}, {"stride", "(2,2)"}, {"pool_type", "max"}}, {{2, 3, 6, 6}}});
  add({"Pooling", {{"kernel", "(3,3)"}, {"stride", "(2,2)"}, {"pad", "(1,1)"}, {"pool_type", "avg"}}, {{2, 2, 7, 7}}});
  add({"Pooling", {{"kernel", "(3,3)"}, {"stride", "(2,2)"}, {"pool_type", "max"}, {"pooling_convention", "full"}},
       {{1, 2, 8, 8}}});
  add({"Pooling", {{"global_pool", "true"}, {"pool_type", "avg"}}, {{2, 3, 4, 5}}});
  add({"sgd_update", {{"lr", "0.1"}, {"wd", "0.01"}}, {{10}, {10}}});
  add({"sgd_mom_update", {{"lr", "0.1"}, {"momentum", "0.9"}, {"clip_gradient", "0.5"}}, {{10}, {10}, {10}}});
  add({"nag_mom_update", {{"lr", "0.1"}, {"momentum", "0.9"}}, {{10}, {10}, {10}}});
  add({"adam_update", {{"lr", "0.1"}}, {{10}, {10}, {10}, {10}}, 0.1, 1});
  add({"Flatten", {}, {{2, 3, 4}}});
  add({"Reshape", {{"shape", "(4,-1)"}}, {{2, 3, 4}}});
  add({"expand_dims", {{"axis", "1"}}, {{2, 3}}});
  add({"BlockGrad", {}, {{2, 3}}});
  return v;
}

TEST(OpGpu, EveryGpuOpMatchesTheCpu) {
  if (!HaveGPU()) GTEST_SKIP() << "no GPU on this machine";
  std::set<std::string> covered;
  for (auto &c : Cases()) {
    if (!mxc::OpRegistry::Get()->Find(c.op)) continue;
    Compare(c);
    covered.insert(mxc::OpRegistry::Get()->Find(c.op)->name);
  }
  // The rest of the registry: operators that run on (3,4) inputs with default parameters are compared as they are
  // (this reaches the host-staged kernels too).
  int generic = 0;
  for (const mxc::Op *op : mxc::OpRegistry::Get()->List()) {
    if (covered.count(op->name) || !op->compute.count(MXC_GPU) || op->hidden) continue;
    Case c;
    c.op = op->name;
    c.lo = 0.2;
    c.hi = 0.9;
    try {
      OpParams p(op, {});
      int n = op->NumInputs(p);
      if (n < 1 || n > 3) continue;
      c.shapes.assign(n, TShape{3, 4});
      std::vector<NDArray> in, out;
      for (int i = 0; i < n; ++i) in.push_back(mxct::Random({3, 4}, 0.2, 0.9));
      mxc::Invoke(op, p, in, &out);
      for (auto &o : out) o.WaitToRead();
    } catch (const mxc::Error &) {
      continue;  // needs parameters or other shapes
    }
    Compare(c);
    ++generic;
  }
  std::printf("[ gpu ] %zu operators compared from the table, %d more with default parameters\n", covered.size(),
              generic);
}

TEST(OpGpu, ReportsOperatorsWithoutNativeKernel) {
#ifdef MXC_USE_CUDA
  auto staged = mxc::gpu::HostStagedOps();
  size_t total = 0;
  for (const mxc::Op *op : mxc::OpRegistry::Get()->List())
    if (op->compute.count(MXC_CPU)) ++total;
  std::string list;
  for (auto &s : staged) list += (list.empty() ? "" : ", ") + s;
  std::printf("[ gpu ] %zu of %zu operators have only a host-staged GPU kernel: %s\n", staged.size(), total,
              list.c_str());
  for (const mxc::Op *op : mxc::OpRegistry::Get()->List())
    if (op->compute.count(MXC_CPU)) EXPECT_TRUE(op->compute.count(MXC_GPU)) << op->name << " has no GPU kernel";
#else
  GTEST_SKIP() << "CPU-only build: no GPU kernels";
#endif
}

TEST(OpGpu, GpuArraysWithoutGpuAreADeviceError) {
  if (HaveGPU()) GTEST_SKIP() << "a GPU is present";
  try {
    NDArray a(TShape{2}, mxc::kFloat32, kGPU);
    FAIL() << "expected a DeviceError";
  } catch (const mxc::Error &e) {
    EXPECT_EQ(e.kind(), mxc::ErrorKind::kDevice);
    EXPECT_NE(std::string(e.what()).find("gpu(0) is not available"), std::string::npos) << e.what();
  }
}

}  // namespace
