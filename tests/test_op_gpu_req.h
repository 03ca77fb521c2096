// CompareReq for the GPU operator tests (tests/test_op_gpu_*.cc): an operator's forward and backward kernels called
// directly on the CPU and on gpu(0) with one request for every output and input gradient.
#pragma once

#include <cmath>
#include <string>
#include <vector>

#include "test_op_gpu_util.h"

namespace mxct_gpu {

// The kernels called directly with request r: outputs and input gradients start from the same random values on both
// devices, so an add request must add the same amounts as the CPU's. Inputs without a gradient (no_grad, aux states)
// get none; every input must agree afterwards too (those the operator mutates: optimizer states). With in_place, output
// k is input k * (inputs / outputs), as optimizers call their updates (out = weight).
inline void CompareReq(const Case &c, mxc::OpReq r, bool in_place = false) {
  SCOPED_TRACE(c.op + (r == mxc::kAddTo ? " (req add)" : " (req write)") + (in_place ? " in place" : ""));
  const mxc::Op *op = mxc::OpRegistry::Get()->FindOrThrow(c.op);
  OpParams p(op, c.params);
  std::vector<NDArray> cin;
  for (size_t i = 0; i < c.shapes.size(); ++i) cin.push_back(mxct::Random(c.shapes[i], c.lo, c.hi, c.dtype, 17 + i));
  if (c.fill) c.fill(cin);
  std::vector<NDArray> gin;
  for (auto &a : cin) gin.push_back(CopyTo(a, kGPU));

  const int nout = op->NumOutputs(p);
  std::vector<TShape> is, os(nout);
  std::vector<int> it, ot(nout, -1);
  for (auto &a : cin) {
    is.push_back(a.shape());
    it.push_back(a.dtype());
  }
  op->infer_shape(p, &is, &os);
  if (op->infer_type) op->infer_type(p, &it, &ot);
  else mxc::SameTypeInfer(p, &it, &ot);
  const int per = nout > 0 ? static_cast<int>(cin.size()) / nout : 0;
  std::vector<NDArray> cout_, gout;
  for (int i = 0; i < nout; ++i) {
    cout_.push_back(in_place ? cin[i * per] : mxct::Random(os[i], -1, 1, ot[i], 50 + i));
    gout.push_back(in_place ? gin[i * per] : CopyTo(cout_[i], kGPU));
  }
  auto blobs = [](std::vector<NDArray> &v) {
    std::vector<TBlob> b;
    for (auto &a : v) {
      a.WaitToRead();
      b.push_back(a.blob());
    }
    return b;
  };
  auto run = [&](const Device &dev, std::vector<NDArray> &in, std::vector<NDArray> &out) {
    mxc::OpContext ctx;
    ctx.dev = dev;
    ctx.is_train = c.is_train;
    op->compute.at(dev.type)(ctx, p, blobs(in), std::vector<mxc::OpReq>(nout, r), blobs(out));
    mxc::DeviceWait(dev);
  };
  run(Device::CPU(), cin, cout_);
  run(kGPU, gin, gout);
  for (int i = 0; i < nout; ++i) mxct::ExpectNear(HostVec(gout[i]), HostVec(cout_[i]), 1e-4, 1e-5, "output");
  for (size_t i = 0; i < cin.size(); ++i)
    mxct::ExpectNear(HostVec(gin[i]), HostVec(cin[i]), 1e-4, 1e-5, "input " + std::to_string(i));
  if (!op->backward.count(MXC_GPU) || cin.empty()) return;

  std::vector<NDArray> heads;
  for (int i = 0; i < nout; ++i) heads.push_back(mxct::Random(os[i], -1, 1, ot[i], 99 + i));
  auto grads = [&](const Device &dev, std::vector<NDArray> &in, std::vector<NDArray> &out) {
    std::vector<NDArray> ig, h;
    for (size_t k = 0; k < in.size(); ++k) {
      NDArray init = mxct::Random(in[k].shape(), -1, 1, in[k].dtype(), 70 + k);
      ig.push_back(dev.type == MXC_GPU ? CopyTo(init, dev) : init);
    }
    for (auto &a : heads) h.push_back(dev.type == MXC_GPU ? CopyTo(a, dev) : a);
    std::vector<mxc::OpReq> req(in.size(), r);
    for (int k : c.no_grad) req[k] = mxc::kNullOp;
    for (size_t k = 0; k < in.size(); ++k)
      if (op->InputIsAux(p, k, in.size())) req[k] = mxc::kNullOp;
    mxc::OpContext ctx;
    ctx.dev = dev;
    ctx.is_train = c.is_train;
    op->backward.at(dev.type)(ctx, p, blobs(h), blobs(in), blobs(out), req, blobs(ig));
    mxc::DeviceWait(dev);
    std::vector<std::vector<double>> res;
    for (size_t k = 0; k < ig.size(); ++k)
      res.push_back(req[k] == mxc::kNullOp ? std::vector<double>() : HostVec(ig[k]));
    return res;
  };
  auto cg = grads(Device::CPU(), cin, cout_);
  auto gg = grads(kGPU, gin, gout);
  for (size_t k = 0; k < cg.size(); ++k)
    mxct::ExpectNear(gg[k], cg[k], 1e-4, 1e-5, "gradient of input " + std::to_string(k));
}

// An operator called on given inputs (on the cpu): integer data, crafted values.
struct GivenCase {
  std::string op;
  Params params;
  std::vector<NDArray> in;
};

// Every output of c on the GPU against the CPU's, bitwise, with write (and add onto the same start) requests.
inline void CompareGiven(const GivenCase &c, mxc::OpReq req) {
  SCOPED_TRACE(c.op + (req == mxc::kAddTo ? " (add)" : " (write)"));
  const mxc::Op *op = mxc::OpRegistry::Get()->FindOrThrow(c.op);
  OpParams p(op, c.params);
  std::vector<NDArray> gin;
  for (auto &a : c.in) gin.push_back(CopyTo(a, kGPU));
  std::vector<NDArray> cout_, gout;
  mxc::Invoke(op, p, c.in, &cout_);
  if (req == mxc::kAddTo) {
    // the kernels called directly, adding onto the CPU's first result on both devices
    std::vector<NDArray> cacc, gacc;
    for (auto &o : cout_) {
      cacc.push_back(CopyTo(o, Device::CPU()));
      gacc.push_back(CopyTo(o, kGPU));
    }
    auto blobs = [](const std::vector<NDArray> &v) {
      std::vector<TBlob> b;
      for (auto a : v) {
        a.WaitToRead();
        b.push_back(a.blob());
      }
      return b;
    };
    auto run = [&](const Device &dev, const std::vector<NDArray> &in, const std::vector<NDArray> &out) {
      mxc::OpContext ctx;
      ctx.dev = dev;
      op->compute.at(dev.type)(ctx, p, blobs(in), std::vector<mxc::OpReq>(out.size(), mxc::kAddTo), blobs(out));
      mxc::DeviceWait(dev);
    };
    run(Device::CPU(), c.in, cacc);
    run(kGPU, gin, gacc);
    for (size_t k = 0; k < cacc.size(); ++k) EXPECT_EQ(HostVec(gacc[k]), HostVec(cacc[k])) << "output " << k;
    return;
  }
  mxc::Invoke(op, p, gin, &gout);
  ASSERT_EQ(gout.size(), cout_.size());
  for (size_t k = 0; k < cout_.size(); ++k) {
    ASSERT_EQ(gout[k].dtype(), cout_[k].dtype());
    const auto a = HostVec(gout[k]), b = HostVec(cout_[k]);
    ASSERT_EQ(a.size(), b.size());
    for (size_t i = 0; i < a.size(); ++i)
      ASSERT_TRUE(a[i] == b[i] || (std::isnan(a[i]) && std::isnan(b[i]))) << "output " << k << " at " << i << ": "
                                                                          << a[i] << " vs " << b[i];
  }
}

}  // namespace mxct_gpu
