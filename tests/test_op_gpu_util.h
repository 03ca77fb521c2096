// The GPU operator comparison shared by tests/test_op_gpu*.cc: an operator's forward and gradient on gpu(0) against
// the CPU result.
#pragma once

#include <gtest/gtest.h>

#include <functional>
#include <set>
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
  bool deterministic = false;  // a random operator called so that it draws nothing (RNN without dropout): compared
};

// The same values in another dtype (through the Cast operator), on the same device.
inline NDArray AsType(const NDArray &a, int dtype) {
  if (a.dtype() == dtype) return a;
  const mxc::Op *cast = mxc::OpRegistry::Get()->FindOrThrow("Cast");
  std::vector<NDArray> out;
  mxc::Invoke(cast, OpParams(cast, {{"dtype", mxc::DTypeName(dtype)}}), {a}, &out);
  return out[0];
}

// How one run of an operator differs from the reference run (on the cpu, in the case's dtype).
struct Variant {
  Device dev = kGPU;
  int dtype = -1;  // -1: the case's dtype; else the inputs and head gradients in this dtype (floating cases only)
  double rtol = 1e-4, atol = 1e-5;
  bool each_input_alone = true;  // also each input's gradient with the others not requested
};

// Forward in the reference run and in the variant, then the gradient of every output under random head gradients.
// A variant in another dtype gets the reference's values converted to it, and the reference computes from those
// values (rounded through the variant's dtype), so the two differ only by the variant's arithmetic and rounding.
inline void CompareVariant(const Case &c, const Variant &v) {
  SCOPED_TRACE(c.op);
  const mxc::Op *op = mxc::OpRegistry::Get()->FindOrThrow(c.op);
  const int vt = v.dtype < 0 ? c.dtype : v.dtype;
  auto round_trip = [&](NDArray a) { return vt == a.dtype() ? a : AsType(AsType(a, vt), a.dtype()); };
  auto to_variant = [&](const NDArray &a) {
    // A copy of its own (operators mutate some inputs); inputs of another dtype (indices) keep theirs.
    return CopyTo(a.dtype() == c.dtype ? AsType(a, vt) : a, v.dev);
  };
  std::vector<NDArray> cin;
  for (size_t i = 0; i < c.shapes.size(); ++i)
    cin.push_back(round_trip(mxct::Random(c.shapes[i], c.lo, c.hi, c.dtype, 17 + i)));
  if (c.fill) c.fill(cin);
  std::vector<NDArray> gin;
  for (auto &a : cin) gin.push_back(to_variant(a));
  OpParams p(op, c.params);
  std::vector<NDArray> cout_, gout;
  mxc::SeedAll(7);
  mxc::Invoke(op, p, cin, &cout_, c.is_train);
  // Creation operators (no inputs) put their output where the caller allocated it.
  if (gin.empty())
    for (auto &o : cout_) gout.push_back(NDArray(o.shape(), o.dtype(), v.dev));
  mxc::SeedAll(7);
  mxc::Invoke(op, p, gin, &gout, c.is_train);
  const bool random = op->is_random && !c.deterministic;
  // Outputs in the inputs' dtype take the variant's, unless a `dtype` parameter names theirs.
  const bool dtype_said = op->ParamIndex("dtype") >= 0 && !p.IsNone("dtype");
  for (size_t i = 0; i < cout_.size(); ++i) {
    ASSERT_EQ(gout[i].dev(), v.dev);
    // BatchNorm's (and BatchNormWithReLU's) mean and var of float16 data are float32 (as MXNet), and so are the flags
    // of all_finite.
    const bool f32_out = ((c.op == "BatchNorm" || c.op == "_contrib_BatchNormWithReLU") && i > 0) ||
                         c.op == "all_finite" || c.op == "multi_all_finite";
    const int want = f32_out && vt == mxc::kFloat16 ? mxc::kFloat32 : vt;
    if (vt != c.dtype && cout_[i].dtype() == c.dtype && !dtype_said) EXPECT_EQ(gout[i].dtype(), want) << "output " << i;
    if (!random) mxct::ExpectNear(HostVec(gout[i]), HostVec(cout_[i]), v.rtol, v.atol, "output");
  }
  // Mutated inputs (optimizer states) must agree too.
  for (int m : op->MutateInputs(p))
    mxct::ExpectNear(HostVec(gin[m]), HostVec(cin[m]), v.rtol, v.atol, "mutated input");
  if (random || !op->backward.count(v.dev.type)) return;

  // Gradient: the same head gradients in both runs, every output (hidden ones included).
  std::vector<NDArray> call = cout_, gall = gout;
  int nout = op->NumOutputs(p);
  if (static_cast<int>(call.size()) < nout) return;  // hidden outputs not returned: covered by the op's own tests
  // The gradients asked for: every input's but the case's no_grad ones and the auxiliary states.
  auto Requests = [&](size_t n) {
    std::vector<mxc::OpReq> req(n, mxc::kWriteTo);
    for (int k : c.no_grad) req[k] = mxc::kNullOp;
    for (int k = static_cast<int>(n) - op->num_aux; k < static_cast<int>(n); ++k) req[k] = mxc::kNullOp;
    return req;
  };
  std::vector<NDArray> heads;
  for (size_t i = 0; i < call.size(); ++i)
    heads.push_back(call[i].dtype() == c.dtype
                        ? round_trip(mxct::Random(call[i].shape(), -1, 1, call[i].dtype(), 99 + i))
                        : mxct::Random(call[i].shape(), -1, 1, call[i].dtype(), 99 + i));
  // only >= 0: the gradient of that input alone, the others not requested (kNullOp, as autograd and the executor pass
  // them: empty blobs), so a backward that reads a gradient it was not asked for shows.
  auto grads = [&](const std::vector<NDArray> &in, const std::vector<NDArray> &out, bool variant, int only) {
    const Device dev = variant ? v.dev : Device::CPU();
    std::vector<NDArray> ig;
    for (auto &a : in) ig.push_back(NDArray(a.shape(), a.dtype(), dev));
    std::vector<NDArray> h;
    for (auto &a : heads) h.push_back(variant ? to_variant(a) : a);
    for (auto &a : in) a.WaitToRead();
    for (auto &a : out) a.WaitToRead();
    for (auto &a : h) a.WaitToRead();
    std::vector<TBlob> og, id, od, gb;
    for (auto &a : h) og.push_back(a.blob());
    // As the executor and autograd do: inputs and outputs the backward declared unused are not kept (empty blobs).
    for (auto &a : in) id.push_back(op->backward_uses_inputs ? a.blob() : mxc::TBlob());
    for (auto &a : out) od.push_back(op->backward_uses_outputs ? a.blob() : mxc::TBlob());
    std::vector<mxc::OpReq> req = Requests(in.size());
    if (only >= 0)
      for (size_t k = 0; k < req.size(); ++k)
        if (static_cast<int>(k) != only) req[k] = mxc::kNullOp;
    for (size_t k = 0; k < ig.size(); ++k) gb.push_back(req[k] == mxc::kNullOp ? mxc::TBlob() : ig[k].blob());
    mxc::OpContext ctx;
    ctx.dev = dev;
    ctx.is_train = c.is_train;
    op->backward.at(dev.type)(ctx, p, og, id, od, req, gb);
    mxc::DeviceWait(dev);
    std::vector<std::vector<double>> r;
    for (size_t k = 0; k < ig.size(); ++k) r.push_back(req[k] == mxc::kNullOp ? std::vector<double>() : HostVec(ig[k]));
    return r;
  };
  auto cg = grads(cin, call, false, -1);
  auto gg = grads(gin, gall, true, -1);
  for (size_t k = 0; k < cg.size(); ++k)
    mxct::ExpectNear(gg[k], cg[k], v.rtol, v.atol, "gradient of input " + std::to_string(k));
  // Each input's gradient alone, on both devices, when several are requested.
  const std::vector<mxc::OpReq> all = Requests(cin.size());
  if (!v.each_input_alone || std::count(all.begin(), all.end(), mxc::kWriteTo) < 2) return;
  for (size_t k = 0; k < all.size(); ++k) {
    if (all[k] == mxc::kNullOp) continue;
    const std::string what = "gradient of input " + std::to_string(k) + " alone";
    mxct::ExpectNear(grads(cin, call, false, static_cast<int>(k))[k], cg[k], v.rtol, v.atol, what + " (cpu)");
    mxct::ExpectNear(grads(gin, gall, true, static_cast<int>(k))[k], cg[k], v.rtol, v.atol, what);
  }
}

// Forward and gradient on gpu(0) against the cpu, in the case's dtype.
inline void Compare(const Case &c) { CompareVariant(c, Variant{}); }

// Deconvolution: stride, pad, adj and bias; groups, dilation and target_shape; 1-D in float64.
inline std::vector<Case> DeconvCases() {
  return {
      {"Deconvolution", {{"kernel", "(3,3)"}, {"num_filter", "4"}, {"stride", "(2,2)"}, {"pad", "(1,1)"},
                         {"adj", "(1,1)"}, {"no_bias", "false"}},
       {{3, 3, 4, 5}, {3, 4, 3, 3}, {4}}},
      {"Deconvolution", {{"kernel", "(2,3)"}, {"num_filter", "4"}, {"num_group", "2"}, {"stride", "(2,1)"},
                         {"dilate", "(1,2)"}, {"target_shape", "(7,9)"}},
       {{2, 4, 4, 5}, {4, 2, 2, 3}}},
      {"Deconvolution", {{"kernel", "(3,)"}, {"num_filter", "2"}, {"stride", "(3,)"}, {"adj", "(2,)"},
                         {"no_bias", "false"}},
       {{2, 3, 5}, {3, 2, 3}, {2}}, -1, 1, {}, nullptr, false, mxc::kFloat64},
  };
}

// 3-D (NCDHW) Convolution, Deconvolution and Pooling: groups, stride, pad, dilation, adj, bias; max/avg/sum pooling
// with count_include_pad false, the full convention and global pooling; some in float64.
inline std::vector<Case> Conv3DCases() {
  const int kF64 = mxc::kFloat64;
  return {
      {"Convolution", {{"kernel", "(3,2,3)"}, {"num_filter", "6"}, {"num_group", "2"}, {"stride", "(2,1,2)"},
                       {"pad", "(1,0,1)"}, {"dilate", "(1,2,1)"}, {"no_bias", "true"}},
       {{2, 4, 5, 6, 7}, {6, 2, 3, 2, 3}}},
      {"Convolution", {{"kernel", "(2,2,2)"}, {"num_filter", "4"}}, {{2, 3, 4, 5, 4}, {4, 3, 2, 2, 2}, {4}}},
      {"Convolution", {{"kernel", "(1,3,3)"}, {"num_filter", "2"}, {"pad", "(0,1,1)"}, {"layout", "NCDHW"}},
       {{1, 2, 3, 4, 4}, {2, 2, 1, 3, 3}, {2}}, -1, 1, {}, nullptr, false, kF64},
      {"Deconvolution", {{"kernel", "(3,3,2)"}, {"num_filter", "4"}, {"stride", "(2,2,1)"}, {"pad", "(1,1,0)"},
                         {"adj", "(1,0,0)"}, {"no_bias", "false"}},
       {{2, 3, 3, 4, 3}, {3, 4, 3, 3, 2}, {4}}},
      {"Deconvolution", {{"kernel", "(2,2,2)"}, {"num_filter", "2"}, {"num_group", "2"}, {"stride", "(1,2,2)"},
                         {"dilate", "(2,1,1)"}, {"adj", "(0,1,1)"}},
       {{1, 4, 3, 3, 3}, {4, 1, 2, 2, 2}}, -1, 1, {}, nullptr, false, kF64},
      {"Deconvolution",
       {{"kernel", "(2,3,3)"}, {"num_filter", "3"}, {"stride", "(2,2,2)"}, {"target_shape", "(6,7,8)"}},
       {{2, 2, 3, 3, 4}, {2, 3, 2, 3, 3}}},
      {"Pooling", {{"kernel", "(2,3,2)"}, {"stride", "(2,2,1)"}, {"pad", "(1,1,0)"}, {"pool_type", "max"}},
       {{2, 2, 5, 6, 5}}},
      {"Pooling", {{"kernel", "(3,3,3)"}, {"stride", "(2,2,2)"}, {"pad", "(1,1,1)"}, {"pool_type", "avg"},
                   {"count_include_pad", "false"}},
       {{1, 3, 5, 5, 6}}},
      {"Pooling", {{"kernel", "(3,3,3)"}, {"stride", "(2,2,2)"}, {"pad", "(1,1,1)"}, {"pool_type", "avg"},
                   {"pooling_convention", "full"}},
       {{2, 2, 5, 6, 5}}, -1, 1, {}, nullptr, false, kF64},
      {"Pooling", {{"kernel", "(2,3,2)"}, {"stride", "(2,2,2)"}, {"pool_type", "sum"}, {"pooling_convention", "full"}},
       {{1, 2, 6, 7, 5}}},
      {"Pooling", {{"kernel", "(2,2,2)"}, {"stride", "(2,2,2)"}, {"pool_type", "max"}, {"pooling_convention", "full"}},
       {{1, 2, 5, 5, 3}}},
      {"Pooling", {{"global_pool", "true"}, {"pool_type", "max"}}, {{2, 3, 3, 4, 5}}},
      {"Pooling", {{"global_pool", "true"}, {"pool_type", "avg"}}, {{2, 3, 3, 4, 5}}, -1, 1, {}, nullptr, false, kF64},
  };
}

// The contrib elementwise operators and BatchNormWithReLU (moving_var positive; training and inference).
inline std::vector<Case> ContribCases() {
  const int kF64 = mxc::kFloat64;
  auto bn_fill = [](std::vector<NDArray> &in) {
    std::vector<double> v(in[4].Size());
    for (size_t i = 0; i < v.size(); ++i) v[i] = 0.5 + static_cast<double>(i % 5) / 4;
    in[4] = mxct::FromVec(in[4].shape(), v, in[4].dtype());
  };
  return {
      {"_contrib_quadratic", {{"a", "0.5"}, {"b", "-1.5"}, {"c", "2"}}, {{4, 5}}, -2, 2},
      {"_contrib_quadratic", {{"a", "-3"}, {"c", "1"}}, {{3, 7}}, -2, 2, {}, nullptr, false, kF64},
      {"_contrib_gradientmultiplier", {{"scalar", "-0.5"}}, {{4, 6}}},
      {"_contrib_div_sqrt_dim", {}, {{3, 4, 5}}},
      {"_contrib_div_sqrt_dim", {}, {{2, 9}}, -1, 1, {}, nullptr, false, kF64},
      {"_contrib_round_ste", {}, {{4, 5}}, -3, 3},
      {"_contrib_sign_ste", {}, {{4, 5}}},
      {"_contrib_BatchNormWithReLU", {{"fix_gamma", "false"}, {"output_mean_var", "true"}},
       {{4, 3, 5}, {3}, {3}, {3}, {3}}, -1, 1, {}, bn_fill, true},
      {"_contrib_BatchNormWithReLU", {{"output_mean_var", "true"}, {"momentum", "0.8"}}, {{6, 4}, {4}, {4}, {4}, {4}},
       -1, 1, {}, bn_fill, true, kF64},
      {"_contrib_BatchNormWithReLU", {{"fix_gamma", "false"}, {"output_mean_var", "true"}, {"eps", "0.01"}},
       {{2, 3, 4, 4}, {3}, {3}, {3}, {3}}, -1, 1, {}, bn_fill, false},
      {"_contrib_BatchNormWithReLU", {{"fix_gamma", "false"}, {"axis", "-1"}}, {{2, 3, 6}, {6}, {6}, {6}, {6}}, -1, 1,
       {}, bn_fill, true},
  };
}

// Operators with the parameters and shapes they need (the rest of the registry runs with default parameters).
inline std::vector<Case> TableCases() {
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
  for (auto &c : DeconvCases()) add(c);
  add({"Pooling", {{"kernel", "(2,2)"}, {"stride", "(2,2)"}, {"pool_type", "max"}}, {{2, 3, 6, 6}}});
  add({"Pooling", {{"kernel", "(3,3)"}, {"stride", "(2,2)"}, {"pad", "(1,1)"}, {"pool_type", "avg"}}, {{2, 2, 7, 7}}});
  add({"Pooling", {{"kernel", "(3,3)"}, {"stride", "(2,2)"}, {"pool_type", "max"}, {"pooling_convention", "full"}},
       {{1, 2, 8, 8}}});
  add({"Pooling", {{"global_pool", "true"}, {"pool_type", "avg"}}, {{2, 3, 4, 5}}});
  for (auto &c : Conv3DCases()) add(c);
  for (auto &c : ContribCases()) add(c);
  // LayerNorm with its statistics visible (the comparison then covers every gradient); InstanceNorm's are hidden.
  add({"LayerNorm", {{"output_mean_var", "true"}}, {{4, 6}, {6}, {6}}});
  add({"LayerNorm", {{"axis", "1"}, {"eps", "0.01"}, {"output_mean_var", "true"}}, {{3, 5, 4}, {5}, {5}}, -1, 1, {},
       nullptr, false, mxc::kFloat64});
  add({"LayerNorm", {{"axis", "0"}, {"output_mean_var", "true"}}, {{16, 300}, {16}, {16}}});
  add({"LayerNorm", {}, {{2, 3, 7}, {7}, {7}}});
  // The interleaved attention products (GEMMs on strided views of the interleaved projections).
  add({"_contrib_interleaved_matmul_selfatt_qk", {{"heads", "2"}}, {{5, 3, 24}}});
  add({"_contrib_interleaved_matmul_selfatt_valatt", {{"heads", "2"}}, {{5, 3, 24}, {6, 5, 5}}});
  add({"_contrib_interleaved_matmul_encdec_qk", {{"heads", "2"}}, {{4, 3, 8}, {5, 3, 16}}});
  add({"_contrib_interleaved_matmul_encdec_valatt", {{"heads", "2"}}, {{5, 3, 16}, {6, 4, 5}}});
  add({"InstanceNorm", {}, {{2, 3, 4, 5}, {3}, {3}}});
  add({"InstanceNorm", {{"eps", "0.1"}}, {{3, 2, 300}, {2}, {2}}, -1, 1, {}, nullptr, false, mxc::kFloat64});
  add({"sgd_update", {{"lr", "0.1"}, {"wd", "0.01"}}, {{10}, {10}}});
  add({"sgd_mom_update", {{"lr", "0.1"}, {"momentum", "0.9"}, {"clip_gradient", "0.5"}}, {{10}, {10}, {10}}});
  add({"nag_mom_update", {{"lr", "0.1"}, {"momentum", "0.9"}}, {{10}, {10}, {10}}});
  add({"adam_update", {{"lr", "0.1"}}, {{10}, {10}, {10}, {10}}, 0.1, 1});
  add({"signsgd_update", {{"lr", "0.1"}, {"wd", "0.01"}, {"clip_gradient", "0.5"}}, {{10}, {10}}});
  add({"signum_update", {{"lr", "0.1"}, {"momentum", "0.9"}, {"wd", "0.01"}, {"wd_lh", "0.02"}}, {{10}, {10}, {10}}});
  add({"ftml_update", {{"lr", "0.1"}, {"t", "3"}, {"wd", "0.01"}}, {{10}, {10}, {10}, {10}, {10}}, 0.1, 1});
  add({"ftrl_update", {{"lr", "0.1"}, {"lamda1", "0.05"}, {"wd", "0.01"}}, {{10}, {10}, {10}, {10}}, 0.1, 1});
  add({"lamb_update_phase1", {{"t", "2"}, {"wd", "0.01"}}, {{10}, {10}, {10}, {10}}, 0.1, 1});
  add({"lamb_update_phase1", {{"t", "2"}, {"wd", "0"}, {"bias_correction", "false"}, {"clip_gradient", "0.3"}},
       {{10}, {10}, {10}, {10}}, 0.1, 1});
  add({"lamb_update_phase2", {{"lr", "0.1"}, {"lower_bound", "0.5"}}, {{10}, {10}, {1}, {1}}, 0.1, 1});
  add({"mp_sgd_update", {{"lr", "0.1"}, {"wd", "0.01"}}, {{10}, {10}, {10}}});
  add({"mp_sgd_mom_update", {{"lr", "0.1"}, {"momentum", "0.9"}}, {{10}, {10}, {10}, {10}}});
  add({"mp_nag_mom_update", {{"lr", "0.1"}, {"momentum", "0.9"}, {"clip_gradient", "0.5"}}, {{10}, {10}, {10}, {10}}});
  add({"Flatten", {}, {{2, 3, 4}}});
  add({"Reshape", {{"shape", "(4,-1)"}}, {{2, 3, 4}}});
  add({"expand_dims", {{"axis", "1"}}, {{2, 3}}});
  add({"BlockGrad", {}, {{2, 3}}});
  return v;
}

// The registry's operators not in `skip`, with a kernel for dev_type, that run on the cpu with default parameters on
// one to three (3,4) float32 inputs in [0.2, 0.9).
inline std::vector<Case> DefaultParamCases(const std::set<std::string> &skip, int dev_type) {
  std::vector<Case> r;
  for (const mxc::Op *op : mxc::OpRegistry::Get()->List()) {
    if (skip.count(op->name) || !op->compute.count(dev_type) || op->hidden) continue;
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
    r.push_back(std::move(c));
  }
  return r;
}

// float16 keeps 11 significant bits (a relative rounding error of at most 2^-11 per rounding): results rounded once
// or twice (an output, then a gradient computed from the rounded output) stay within these.
constexpr double kFloat16Rtol = 2e-3, kFloat16Atol = 1e-3;

// Each float32 case with float16 inputs on dev against float32 on the cpu (float16.cc stages what kernels do not
// take); an exception fails the case with the operator's name. Returns the number of cases compared.
inline int CompareFloat16(const std::vector<Case> &cases, const Device &dev) {
  int n = 0;
  for (auto &c : cases) {
    const mxc::Op *op = mxc::OpRegistry::Get()->Find(c.op);
    if (!op || c.shapes.empty() || c.dtype != mxc::kFloat32 || !op->compute.count(dev.type)) continue;
    // The mixed-precision updates take a float16 weight with float32 states, not float16 everywhere (their float16
    // weights are checked in test_update_ops.py).
    if (op->name.compare(0, 3, "mp_") == 0) continue;
    // Normalisations' gradients subtract means computed from float16 outputs and saved statistics: a few roundings
    // more.
    const double scale = op->name.find("Norm") != std::string::npos ? 4 : 1;
    try {
      CompareVariant(c, {dev, mxc::kFloat16, scale * kFloat16Rtol, scale * kFloat16Atol});
    } catch (const std::exception &e) {
      ADD_FAILURE() << c.op << " in float16 on " << mxc::DeviceStr(dev) << ": " << e.what();
    }
    ++n;
  }
  return n;
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
