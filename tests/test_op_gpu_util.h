// The GPU operator comparison shared by tests/test_op_gpu*.cc: an operator's forward and gradient on gpu(0) against
// the CPU result.
#pragma once

#include <gtest/gtest.h>

#include <functional>
#include <string>
#include <vector>

#include "device.h"
#include "op_harness.h"

#ifdef MXC_USE_CUDA
#include "../cuda/gpu_stats.h"
#endif

namespace mxct_gpu {

using mxc::Device;
using mxc::NDArray;
using mxc::OpParams;
using mxc::TBlob;
using mxc::TShape;
using mxct::Params;


inline const Device kGPU{MXC_GPU, 0};

inline NDArray CopyTo(const NDArray &a, const Device &dev) {
  NDArray r(a.shape(), a.dtype(), dev);
  std::vector<char> buf(a.Size() * mxc::DTypeSize(a.dtype()) + 1);
  a.SyncCopyToCPU(buf.data(), a.Size());
  r.SyncCopyFromCPU(buf.data(), a.Size());
  return r;
}

// Contents as doubles, from any device (the harness's ToVec reads host memory only).
inline std::vector<double> HostVec(const NDArray &a) {
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
inline void Compare(const Case &c) {
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

inline bool HaveGPU() { return mxc::NumGPUs() > 0; }

// Compares every case, and checks that each compared operator has a native GPU kernel (not host-staged).
inline void CompareNative(const std::vector<Case> &cases) {
  if (!HaveGPU()) GTEST_SKIP() << "no GPU on this machine";
#ifdef MXC_USE_CUDA
  auto staged = mxc::gpu::HostStagedOps();
  for (auto &c : cases) {
    const mxc::Op *op = mxc::OpRegistry::Get()->FindOrThrow(c.op);
    for (auto &s : staged) EXPECT_NE(s, op->name) << op->name << " has only a host-staged GPU kernel";
    Compare(c);
  }
#endif
}

}  // namespace mxct_gpu
