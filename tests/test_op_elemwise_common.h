// Helpers shared by the elementwise operator tests (tests/test_op_elemwise*.cc).
#pragma once

#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include "op_harness.h"

namespace mxct {

// Expects f() to throw mxc::Error of `kind` whose message contains every string in `parts`.
inline void ExpectError(const std::function<void()> &f, mxc::ErrorKind kind, const std::vector<std::string> &parts) {
  try {
    f();
    ADD_FAILURE() << "expected an error (" << mxc::ErrorKindName(kind) << ")";
  } catch (const mxc::Error &e) {
    EXPECT_EQ(e.kind(), kind) << e.Formatted();
    for (auto &p : parts) EXPECT_NE(std::string(e.what()).find(p), std::string::npos)
                              << "message '" << e.what() << "' lacks '" << p << "'";
  }
}

// Runs op writing into the given outputs (which may alias inputs).
inline void RunInto(const std::string &op, const std::vector<NDArray> &inputs, std::vector<NDArray> outputs,
                    const Params &params = {}) {
  const mxc::Op *o = mxc::OpRegistry::Get()->FindOrThrow(op);
  mxc::OpParams p(o, params);
  mxc::Invoke(o, p, inputs, &outputs);
  for (auto &x : outputs) x.WaitToRead();
}

// Deterministic random values in [lo, hi).
inline std::vector<double> Uniform(size_t n, double lo, double hi, uint64_t seed = 3) {
  std::mt19937_64 g(seed);
  std::uniform_real_distribution<double> u(lo, hi);
  std::vector<double> v(n);
  for (auto &x : v) x = u(g);
  return v;
}

// Rounds values to what dtype stores (so references computed in double see the same inputs).
inline std::vector<double> AsStored(const std::vector<double> &v, int dtype) {
  std::vector<double> r(v);
  if (dtype == mxc::kFloat32)
    for (auto &x : r) x = static_cast<double>(static_cast<float>(x));
  return r;
}

// Tolerances for comparing a dtype's result with a double reference.
inline double Rtol(int dtype) { return dtype == mxc::kFloat32 ? 2e-6 : 1e-13; }
inline double Atol(int dtype) { return dtype == mxc::kFloat32 ? 1e-6 : 1e-13; }

// Calls the backward of `op` twice, once with every forward input and output, once with empty blobs for what the op
// declared unused (set_backward_uses); the gradients must agree. Inputs are float64 arrays.
inline void CheckBackwardUses(const std::string &op_name, const std::vector<NDArray> &inputs,
                              const Params &params = {}) {
  SCOPED_TRACE("backward uses of " + op_name);
  using namespace mxc;
  const Op *op = OpRegistry::Get()->FindOrThrow(op_name);
  OpParams p(op, params);
  auto outs = Run(op_name, inputs, params);
  std::vector<TBlob> og, id, od, id_empty, od_empty;
  std::vector<NDArray> heads;
  for (auto &o : outs) {
    heads.push_back(Random(o.shape(), -1, 1, o.dtype(), 11));
    og.push_back(heads.back().blob());
    od.push_back(o.blob());
    od_empty.push_back(op->backward_uses_outputs ? o.blob() : TBlob());
  }
  for (auto &a : inputs) {
    id.push_back(a.blob());
    id_empty.push_back(op->backward_uses_inputs ? a.blob() : TBlob());
  }
  auto grads = [&](const std::vector<TBlob> &ins, const std::vector<TBlob> &outs_b) {
    std::vector<NDArray> g;
    std::vector<TBlob> gb;
    for (auto &a : inputs) {
      g.push_back(FromVec(a.shape(), std::vector<double>(a.Size(), 0.0), a.dtype()));
      gb.push_back(g.back().blob());
    }
    OpContext ctx;
    ctx.dev = Device::CPU();
    op->backward.at(MXC_CPU)(ctx, p, og, ins, outs_b, std::vector<OpReq>(inputs.size(), kWriteTo), gb);
    std::vector<std::vector<double>> r;
    for (auto &x : g) r.push_back(ToVec(x));
    return r;
  };
  auto full = grads(id, od), reduced = grads(id_empty, od_empty);
  ASSERT_EQ(full.size(), reduced.size());
  for (size_t i = 0; i < full.size(); ++i) ExpectNear(reduced[i], full[i], 0, 0, op_name + " input " + std::to_string(i));
}

}  // namespace mxct
