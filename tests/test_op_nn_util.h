// Helpers for the neural-network operator tests: run forward with every output (hidden ones too) and backward with
// given head gradients, straight through the registered kernels.
#pragma once

#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "op_harness.h"

namespace mxct {

struct FwdBwd {
  std::vector<NDArray> outputs;  // all outputs, hidden ones included
  std::vector<NDArray> grads;    // one per input (empty arrays where not requested)
};

inline const mxc::Op *FindOp(const std::string &name) { return mxc::OpRegistry::Get()->FindOrThrow(name); }

// Forward with all outputs allocated (shapes and dtypes from the op's inference).
inline std::vector<NDArray> ForwardAllOutputs(const std::string &name, const std::vector<NDArray> &ins,
                                              const Params &params, bool is_train, uint64_t seed = 1234) {
  using namespace mxc;
  const Op *op = FindOp(name);
  OpParams p(op, params);
  const int nout = op->NumOutputs(p);
  std::vector<TShape> in_shapes, out_shapes(nout);
  for (auto &a : ins) in_shapes.push_back(a.shape());
  op->infer_shape(p, &in_shapes, &out_shapes);
  std::vector<int> in_types, out_types(nout, -1);
  for (auto &a : ins) in_types.push_back(a.dtype());
  if (op->infer_type) op->infer_type(p, &in_types, &out_types);
  else SameTypeInfer(p, &in_types, &out_types);
  std::vector<NDArray> outs;
  std::vector<TBlob> ib, ob;
  for (int i = 0; i < nout; ++i) outs.emplace_back(out_shapes[i], out_types[i], Device::CPU());
  for (auto &a : ins) {
    a.WaitToRead();
    ib.push_back(a.blob());
  }
  for (auto &a : outs) ob.push_back(a.blob());
  OpContext ctx;
  ctx.is_train = is_train;
  ctx.dev = Device::CPU();
  SeedAll(seed);
  ctx.rng = DeviceRNG(ctx.dev);
  std::vector<OpReq> req(nout, kWriteTo);
  op->compute.at(MXC_CPU)(ctx, p, ib, req, ob);
  return outs;
}

// Forward, then backward with the given head gradients (one per visible output; hidden outputs get zeros) and
// kWriteTo for the inputs in `want` (all inputs when empty; never auxiliary ones).
inline FwdBwd ForwardBackward(const std::string &name, const std::vector<NDArray> &ins, const Params &params,
                              const std::vector<NDArray> &heads, bool is_train, std::vector<int> want = {}) {
  using namespace mxc;
  const Op *op = FindOp(name);
  OpParams p(op, params);
  FwdBwd r;
  r.outputs = ForwardAllOutputs(name, ins, params, is_train);
  std::vector<TBlob> og, id, od, ig;
  std::vector<NDArray> zero_heads;
  for (size_t j = 0; j < r.outputs.size(); ++j) {
    if (j < heads.size()) {
      og.push_back(heads[j].blob());
    } else {
      zero_heads.push_back(FromVec(r.outputs[j].shape(), std::vector<double>(r.outputs[j].Size(), 0.0),
                                   r.outputs[j].dtype()));
      og.push_back(zero_heads.back().blob());
    }
    od.push_back(r.outputs[j].blob());
  }
  const int nin = static_cast<int>(ins.size());
  if (want.empty())
    for (int i = 0; i < nin - op->num_aux; ++i) want.push_back(i);
  std::vector<OpReq> req(nin, kNullOp);
  for (int i : want) req[i] = kWriteTo;
  for (int i = 0; i < nin; ++i) {
    id.push_back(ins[i].blob());
    if (req[i] != kNullOp) {
      r.grads.push_back(FromVec(ins[i].shape(), std::vector<double>(ins[i].Size(), 123.0), ins[i].dtype()));
      ig.push_back(r.grads.back().blob());
    } else {
      r.grads.emplace_back();
      ig.emplace_back();
    }
  }
  OpContext ctx;
  ctx.is_train = is_train;
  ctx.dev = Device::CPU();
  ctx.rng = DeviceRNG(ctx.dev);
  op->backward.at(MXC_CPU)(ctx, p, og, id, od, req, ig);
  return r;
}

// Expects f() to throw an mxc::Error whose message contains every one of `parts`.
template <typename F>
void ExpectErrorContains(F f, const std::vector<std::string> &parts) {
  try {
    f();
    ADD_FAILURE() << "expected an error";
  } catch (const mxc::Error &e) {
    std::string msg = e.what();
    for (auto &s : parts) EXPECT_NE(msg.find(s), std::string::npos) << "'" << s << "' not in: " << msg;
  }
}

inline std::vector<double> RandVec(size_t n, double lo, double hi, uint64_t seed) {
  std::mt19937_64 g(seed);
  std::uniform_real_distribution<double> u(lo, hi);
  std::vector<double> v(n);
  for (auto &x : v) x = u(g);
  return v;
}

// Tolerances for comparing a float32 kernel with a double reference.
inline double Rtol(int dtype) { return dtype == mxc::kFloat32 ? 1e-4 : 1e-10; }
inline double Atol(int dtype) { return dtype == mxc::kFloat32 ? 1e-5 : 1e-12; }

}  // namespace mxct
