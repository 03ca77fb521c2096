// Native GPU kernels of cuda/gpu_ops_more.cc (special functions, hard_sigmoid, isnan/isinf/isfinite, logical
// operators, broadcast_hypot, _linspace, _eye, arange_like, shape_array, size_array, depth_to_space, space_to_depth,
// diag, broadcast_like, slice_like, softmin, SoftmaxActivation, Pad, cumsum, nansum, nanprod, moments): forward and
// gradient on gpu(0) against the CPU kernels, with write and add requests, and without host staging (skipped,
// visibly, without a GPU).
#include <algorithm>
#include <cmath>
#include <limits>

#include "test_op_gpu_req.h"
#include "test_op_gpu_util.h"

namespace {

using namespace mxct_gpu;

constexpr int kF64 = mxc::kFloat64;
const double kNaN = std::numeric_limits<double>::quiet_NaN();
const double kInf = std::numeric_limits<double>::infinity();

// fill: input k replaced by `values` (cycled over its size), in its dtype.
std::function<void(std::vector<NDArray> &)> SetInput(int k, std::vector<double> values) {
  return [=](std::vector<NDArray> &in) {
    std::vector<double> v(in[k].Size());
    for (size_t i = 0; i < v.size(); ++i) v[i] = values[i % values.size()];
    in[k] = mxct::FromVec(in[k].shape(), v, in[k].dtype());
  };
}
// fill: every 7th element of input k (from `first`) becomes `value`.
std::function<void(std::vector<NDArray> &)> Sprinkle(int k, double value, size_t first) {
  return [=](std::vector<NDArray> &in) {
    std::vector<double> v = mxct::ToVec(in[k]);
    for (size_t i = first; i < v.size(); i += 7) v[i] = value;
    in[k] = mxct::FromVec(in[k].shape(), v, in[k].dtype());
  };
}

// fill: element i of input k becomes value.
std::function<void(std::vector<NDArray> &)> SetInputAt(int k, size_t i, double value) {
  return [=](std::vector<NDArray> &in) {
    std::vector<double> v = mxct::ToVec(in[k]);
    v[i] = value;
    in[k] = mxct::FromVec(in[k].shape(), v, in[k].dtype());
  };
}
std::function<void(std::vector<NDArray> &)> Both(std::function<void(std::vector<NDArray> &)> a,
                                                 std::function<void(std::vector<NDArray> &)> b) {
  return [=](std::vector<NDArray> &in) {
    a(in);
    b(in);
  };
}

// fill: input k replaced by uniform values in [lo, hi).
std::function<void(std::vector<NDArray> &)> Uniform(int k, double lo, double hi) {
  return [=](std::vector<NDArray> &in) { in[k] = mxct::Random(in[k].shape(), lo, hi, in[k].dtype(), 31 + k); };
}

// Cases that run natively, forward and gradient.
std::vector<Case> MoreCases() {
  std::vector<Case> v;
  auto add = [&](Case c) { v.push_back(std::move(c)); };
  add({"erf", {}, {{4, 5}}, -1.5, 1.5});
  add({"erf", {}, {{7}}, -3, 3, {}, nullptr, false, kF64});
  add({"erfinv", {}, {{4, 5}}, -0.9, 0.9});
  add({"erfinv", {}, {{9}}, -0.999, 0.999, {}, nullptr, false, kF64});
  add({"gamma", {}, {{4, 5}}, 0.3, 3.5});
  add({"gamma", {}, {{6}}, -2.9, -2.1, {}, nullptr, false, kF64});  // reflection: negative non-integers
  add({"gammaln", {}, {{4, 5}}, 0.2, 8});
  add({"gammaln", {}, {{6}}, -1.9, -1.1, {}, nullptr, false, kF64});
  add({"rcbrt", {}, {{4, 5}}, 0.3, 3});
  add({"softsign", {}, {{4, 5}}, -3, 3});
  add({"hard_sigmoid", {}, {{4, 5}}, -4, 4});
  add({"hard_sigmoid", {{"alpha", "0.3"}, {"beta", "0.4"}}, {{3, 7}}, -3, 3, {}, nullptr, false, kF64});
  for (const char *t : {"_contrib_isnan", "_contrib_isinf", "_contrib_isfinite"})
    add({t, {}, {{3, 5}}, -1, 1, {}, SetInput(0, {0.5, kNaN, -kInf, 2, kInf, -1, kNaN})});
  const std::vector<double> zeros_and_values = {0, 1, -2, 0.5, 0, 0, 3, -0.25};
  for (const char *l : {"and", "or", "xor"}) {
    const std::string s = l;
    add({"_logical_" + s, {}, {{3, 4}, {3, 4}}, -1, 1, {}, Both(SetInput(0, zeros_and_values), Sprinkle(1, 0, 1))});
    add({"_logical_" + s + "_scalar", {{"scalar", "0"}}, {{3, 4}}, -1, 1, {}, SetInput(0, zeros_and_values)});
    add({"_logical_" + s + "_scalar", {{"scalar", "2.5"}}, {{3, 4}}, -1, 1, {}, SetInput(0, zeros_and_values)});
    add({"broadcast_logical_" + s, {}, {{3, 1, 4}, {1, 5, 4}}, -1, 1, {},
         Both(SetInput(0, zeros_and_values), Sprinkle(1, 0, 2))});
  }
  add({"broadcast_hypot", {}, {{3, 1, 4}, {1, 5, 4}}, -2, 2});
  add({"broadcast_hypot", {}, {{2, 3}, {2, 3}}, -2, 2, {}, nullptr, false, kF64});
  add({"broadcast_hypot", {}, {{4, 3}, {3}}, 0.5, 2});
  add({"_linspace", {{"start", "1"}, {"stop", "4"}, {"num", "7"}}, {}});
  add({"_linspace", {{"start", "-2"}, {"stop", "3"}, {"num", "6"}, {"endpoint", "false"}, {"dtype", "float64"}}, {}});
  add({"_linspace", {{"start", "-2"}, {"stop", "3"}, {"num", "6"}, {"dtype", "int32"}}, {}});
  add({"_eye", {{"N", "4"}, {"M", "5"}, {"k", "1"}}, {}});
  add({"_eye", {{"N", "5"}, {"k", "-2"}, {"dtype", "float64"}}, {}});
  add({"_eye", {{"N", "3"}, {"dtype", "int64"}}, {}});
  add({"_contrib_arange_like", {{"start", "1.5"}, {"step", "0.5"}, {"repeat", "2"}}, {{3, 4}}});
  add({"_contrib_arange_like", {{"start", "-1"}, {"step", "2"}, {"axis", "1"}}, {{3, 4}}, -1, 1, {}, nullptr, false,
       kF64});
  add({"shape_array", {}, {{2, 3, 4}}});
  add({"size_array", {}, {{2, 3, 4}}});
  add({"depth_to_space", {{"block_size", "2"}}, {{2, 8, 3, 2}}});
  add({"depth_to_space", {{"block_size", "3"}}, {{1, 9, 2, 3}}, -1, 1, {}, nullptr, false, kF64});
  add({"space_to_depth", {{"block_size", "2"}}, {{2, 3, 4, 6}}});
  add({"space_to_depth", {{"block_size", "3"}}, {{1, 2, 6, 3}}, -1, 1, {}, nullptr, false, kF64});
  add({"diag", {{"k", "1"}}, {{4, 5}}});
  add({"diag", {{"k", "-1"}, {"axis1", "2"}, {"axis2", "0"}}, {{3, 4, 5}}});
  add({"diag", {{"k", "2"}}, {{4}}});
  add({"diag", {{"k", "-1"}}, {{3}}, -1, 1, {}, nullptr, false, kF64});
  add({"broadcast_like", {}, {{3, 1, 4}, {3, 5, 4}}});
  add({"broadcast_like", {{"lhs_axes", "(1,)"}, {"rhs_axes", "(0,)"}}, {{3, 1, 4}, {6, 2}}});
  add({"slice_like", {}, {{4, 5, 6}, {2, 3, 6}}});
  add({"slice_like", {{"axes", "(0, 2)"}}, {{4, 5, 6}, {2, 7, 3}}, -1, 1, {}, nullptr, false, kF64});
  add({"softmin", {}, {{3, 7}}});
  add({"softmin", {{"axis", "1"}, {"temperature", "2"}}, {{3, 4, 5}}, -2, 2});
  add({"softmin", {{"axis", "0"}}, {{4, 3}}, -3, 3, {}, nullptr, false, kF64});
  add({"SoftmaxActivation", {}, {{4, 6}}, -2, 2});
  add({"SoftmaxActivation", {{"mode", "channel"}}, {{2, 3, 4, 5}}, -2, 2});
  add({"Pad", {{"mode", "constant"}, {"pad_width", "(0,0,0,0,1,2,2,1)"}, {"constant_value", "0.5"}}, {{2, 3, 4, 5}}});
  add({"Pad", {{"mode", "constant"}, {"pad_width", "(0,0,0,0,1,0,0,2,2,1)"}}, {{1, 2, 3, 4, 5}}, -1, 1, {}, nullptr,
       false, kF64});
  add({"cumsum", {{"axis", "1"}}, {{3, 4, 5}}});
  add({"cumsum", {}, {{3, 4}}});
  add({"cumsum", {{"axis", "-1"}, {"dtype", "float64"}}, {{2, 6}}});
  add({"nansum", {{"axis", "1"}}, {{4, 5}}, -1, 1, {}, Sprinkle(0, kNaN, 3)});
  add({"nansum", {}, {{3, 4, 5}}, -1, 1, {}, Sprinkle(0, kNaN, 0)});
  add({"nansum", {{"axis", "(0, 2)"}, {"keepdims", "true"}}, {{3, 4, 5}}, -1, 1, {}, Sprinkle(0, kNaN, 5), false,
       kF64});
  add({"nanprod", {{"axis", "1"}}, {{4, 5}}, 0.5, 1.5, {}, Sprinkle(0, kNaN, 3)});
  // A zero and NaNs: the zero's gradient is the product of the others (NaN counted as 1).
  add({"nanprod", {{"axis", "0"}}, {{5, 3}}, 0.5, 1.5, {}, Both(Sprinkle(0, kNaN, 2), SetInputAt(0, 4, 0.0))});
  add({"nanprod", {}, {{2, 3}}, 0.5, 1.5, {}, Sprinkle(0, kNaN, 1), false, kF64});
  add({"moments", {{"axes", "(0, 2)"}}, {{3, 4, 5}}});
  add({"moments", {{"axes", "(1,)"}, {"keepdims", "true"}}, {{3, 4, 5}}, -1, 1, {}, nullptr, false, kF64});
  add({"moments", {{"axes", "(0, 1)"}}, {{4, 6}}});
  add({"LRN", {{"nsize", "3"}}, {{2, 5, 3, 3}}});
  add({"LRN", {{"nsize", "4"}, {"alpha", "0.01"}, {"beta", "0.5"}, {"knorm", "1"}}, {{2, 6, 4}}, -2, 2, {}, nullptr,
       false, kF64});
  add({"GroupNorm", {{"num_groups", "2"}, {"output_mean_var", "true"}}, {{2, 4, 3, 2}, {2}, {2}}});
  add({"GroupNorm", {}, {{2, 3, 4}, {1}, {1}}});
  add({"GroupNorm", {{"num_groups", "3"}, {"eps", "0.01"}, {"output_mean_var", "true"}}, {{2, 6, 5}, {3}, {3}}, -1, 1,
       {}, nullptr, false, kF64});
  add({"_contrib_AdaptiveAvgPooling2D", {{"output_size", "(2, 3)"}}, {{2, 3, 5, 7}}});
  add({"_contrib_AdaptiveAvgPooling2D", {{"output_size", "4"}}, {{1, 2, 3, 5}}, -1, 1, {}, nullptr, false, kF64});
  add({"_contrib_AdaptiveAvgPooling2D", {}, {{2, 2, 3, 4}}});
  add({"_contrib_BilinearResize2D", {{"height", "5"}, {"width", "7"}}, {{2, 2, 3, 4}}});
  add({"_contrib_BilinearResize2D", {{"scale_height", "1.5"}, {"scale_width", "0.5"}, {"align_corners", "false"}},
       {{1, 2, 4, 6}}});
  add({"_contrib_BilinearResize2D", {{"height", "2"}, {"width", "9"}, {"align_corners", "false"}}, {{1, 1, 5, 4}}, -1,
       1, {}, nullptr, false, kF64});
  add({"_contrib_BilinearResize2D", {{"mode", "like"}}, {{1, 2, 3, 3}, {1, 1, 5, 4}}});
  add({"L2Normalization", {}, {{3, 4, 5}}});
  add({"L2Normalization", {{"mode", "channel"}}, {{2, 3, 4}}});
  add({"L2Normalization", {{"mode", "spatial"}, {"eps", "0.01"}}, {{2, 3, 2, 2}}, -1, 1, {}, nullptr, false, kF64});
  add({"ravel_multi_index", {{"shape", "(3, 4, 5)"}}, {{3, 6}}, -1, 1, {}, SetInput(0, {0, 1, 2, 2, 0, 1, 1})});
  add({"unravel_index", {{"shape", "(3, 4, 5)"}}, {{6}}, -1, 1, {}, SetInput(0, {0, 7, 59, 23, 40, 12}), false, kF64});
  add({"batch_take", {}, {{4, 5}, {4}}, -1, 1, {1}, SetInput(1, {0, 4, -1, 7})});
  add({"batch_take", {}, {{2, 3, 4}, {2, 3}}, -1, 1, {1}, SetInput(1, {3, 1, 0, 2, 9, 1}), false, kF64});
  add({"_linalg_gemm2", {}, {{2, 3, 4}, {2, 4, 5}}});
  add({"_linalg_gemm2", {{"transpose_a", "true"}, {"transpose_b", "true"}, {"alpha", "0.5"}}, {{2, 4, 3}, {2, 5, 4}}});
  add({"_linalg_gemm2", {{"axis", "1"}}, {{2, 3, 2, 4}, {2, 4, 2, 5}}, -1, 1, {}, nullptr, false, kF64});
  add({"_linalg_gemm", {{"alpha", "2"}, {"beta", "0.5"}}, {{3, 4}, {4, 2}, {3, 2}}});
  add({"_linalg_gemm", {{"transpose_a", "true"}, {"axis", "-3"}}, {{4, 2, 3}, {4, 2, 5}, {3, 2, 5}}, -1, 1, {},
       nullptr, false, kF64});
  add({"_linalg_syrk", {{"alpha", "0.7"}}, {{2, 3, 4}}});
  add({"_linalg_syrk", {{"transpose", "true"}}, {{3, 5, 2}}, -1, 1, {}, nullptr, false, kF64});
  add({"_linalg_trmm", {}, {{2, 3, 3}, {2, 3, 4}}});
  add({"_linalg_trmm", {{"transpose", "true"}, {"alpha", "1.5"}}, {{3, 3}, {3, 2}}});
  add({"_linalg_trmm", {{"rightside", "true"}, {"lower", "false"}}, {{2, 4, 4}, {2, 3, 4}}});
  add({"_linalg_trmm", {{"rightside", "true"}, {"transpose", "true"}, {"alpha", "-0.5"}}, {{3, 3}, {2, 3}}, -1, 1, {},
       nullptr, false, kF64});
  add({"_linalg_sumlogdiag", {}, {{2, 3, 3}}, 0.5, 2});
  add({"_linalg_sumlogdiag", {}, {{4, 4}}, 0.5, 2, {}, nullptr, false, kF64});
  add({"_linalg_extractdiag", {{"offset", "1"}}, {{2, 4, 4}}});
  add({"_linalg_extractdiag", {{"offset", "-1"}}, {{3, 3}}, -1, 1, {}, nullptr, false, kF64});
  add({"_linalg_makediag", {{"offset", "-1"}}, {{2, 3}}});
  add({"_linalg_makediag", {}, {{4}}, -1, 1, {}, nullptr, false, kF64});
  add({"_linalg_extracttrian", {}, {{2, 4, 4}}});
  add({"_linalg_extracttrian", {{"offset", "1"}}, {{4, 4}}});
  add({"_linalg_extracttrian", {{"lower", "false"}}, {{3, 3}}, -1, 1, {}, nullptr, false, kF64});
  add({"_linalg_extracttrian", {{"offset", "-2"}}, {{2, 4, 4}}});
  add({"_linalg_maketrian", {}, {{2, 6}}});
  add({"_linalg_maketrian", {{"offset", "-1"}}, {{3}}});
  add({"_linalg_maketrian", {{"lower", "false"}, {"offset", "1"}}, {{6}}, -1, 1, {}, nullptr, false, kF64});
  add({"khatri_rao", {{"num_args", "3"}}, {{2, 3}, {4, 3}, {3, 3}}});
  add({"khatri_rao", {{"num_args", "1"}}, {{5, 2}}, -1, 1, {}, nullptr, false, kF64});
  // index_copy: a repeated index (the later copy wins), float and integer index vectors.
  add({"_contrib_index_copy", {}, {{5, 3}, {3}, {3, 3}}, -1, 1, {1}, SetInput(1, {4, 0, 4})});
  add({"_contrib_index_copy", {}, {{4, 2, 3}, {2}, {2, 2, 3}}, -1, 1, {1},
       [](std::vector<NDArray> &in) { in[1] = mxct::FromVec({2}, {2, 1}, mxc::kInt64); }, false, kF64});
  // Densities: sample (P, draws), parameters (P,) in their domains; the density and its log.
  const std::vector<double> counts = {0, 1, 2, 3, 5, 1, 0};
  for (const char *lg : {"false", "true"}) {
    const Params pl = {{"is_log", lg}};
    add({"_random_pdf_uniform", pl, {{2, 3}, {2}, {2}}, -1, 1, {}, Both(Uniform(1, -2, -1), Uniform(2, 1, 2))});
    add({"_random_pdf_normal", pl, {{3, 4}, {3}, {3}}, -1, 1, {}, Uniform(2, 0.5, 2)});
    add({"_random_pdf_gamma", pl, {{2, 5}, {2}, {2}}, 0.5, 3, {}, Both(Uniform(1, 1, 3), Uniform(2, 0.5, 2)), false,
         kF64});
    add({"_random_pdf_exponential", pl, {{3, 2}, {3}}, 0.1, 2});
    add({"_random_pdf_poisson", pl, {{2, 4}, {2}}, 0.5, 3, {}, SetInput(0, counts)});
    add({"_random_pdf_negative_binomial", pl, {{2, 4}, {2}, {2}}, 1, 4, {},
         Both(SetInput(0, counts), Uniform(2, 0.2, 0.8)), false, kF64});
    add({"_random_pdf_generalized_negative_binomial", pl, {{3, 3}, {3}, {3}}, 0.5, 3, {},
         Both(SetInput(0, counts), Uniform(2, 0.2, 1))});
  }
  // scatter_nd: 2-d index tuples onto blocks of 3, a repeated tuple (the later one wins), float and int64 indices.
  add({"scatter_nd", {{"shape", "(3, 4, 3)"}}, {{5, 3}, {2, 5}}, -1, 1, {1},
       SetInput(1, {0, 2, 1, 0, 2, 3, 1, 0, 3, 1})});
  add({"scatter_nd", {{"shape", "(4,)"}}, {{3}, {1, 3}}, -1, 1, {1},
       [](std::vector<NDArray> &in) { in[1] = mxct::FromVec({1, 3}, {3, 0, 2}, mxc::kInt64); }, false, kF64});
  add({"_contrib_BilinearResize2D", {{"mode", "to_even_up"}}, {{1, 2, 3, 5}}, -1, 1, {}, nullptr, false, kF64});
  return v;
}



TEST(OpGpuMore, MatchTheCpuNatively) {
  if (!HaveGPU()) GTEST_SKIP() << "no GPU on this machine";
#ifdef MXC_USE_CUDA
  const int64_t staged = mxc::gpu::HostStagedCalls();
  CompareNative(MoreCases());
  EXPECT_EQ(mxc::gpu::HostStagedCalls(), staged) << "every call above ran natively";
#endif
}

TEST(OpGpuMore, ReqWriteAndAddNatively) {
  if (!HaveGPU()) GTEST_SKIP() << "no GPU on this machine";
#ifdef MXC_USE_CUDA
  const int64_t staged = mxc::gpu::HostStagedCalls();
  for (auto &c : MoreCases()) {
    // shape_array/size_array take write requests natively only (an add runs the CPU kernel).
    const bool shape_op = c.op == "shape_array" || c.op == "size_array";
    CompareReq(c, mxc::kWriteTo);
    if (!shape_op) CompareReq(c, mxc::kAddTo);
  }
  EXPECT_EQ(mxc::gpu::HostStagedCalls(), staged) << "every call above ran natively";
#endif
}

// Integer dtypes: the tests, logical operators, creation operators and cumsum natively, with identical results.
TEST(OpGpuMore, IntegerForwardsNatively) {
  if (!HaveGPU()) GTEST_SKIP() << "no GPU on this machine";
#ifdef MXC_USE_CUDA
  const int64_t staged = mxc::gpu::HostStagedCalls();
  const std::vector<double> vals = {0, 1, -1, 2, 0, 7, -128, 100, 0, 127, 5, -3};
  auto check = [&](const std::string &name, const Params &params, const std::vector<TShape> &shapes, int dtype) {
    SCOPED_TRACE(name + " " + mxc::DTypeName(dtype));
    const mxc::Op *op = mxc::OpRegistry::Get()->FindOrThrow(name);
    OpParams p(op, params);
    std::vector<NDArray> cin, gin, cout_, gout;
    for (size_t i = 0; i < shapes.size(); ++i) {
      std::vector<double> v(mxc::ShapeSize(shapes[i]));
      for (size_t k = 0; k < v.size(); ++k) {
        double x = vals[(k * (2 * i + 1) + 3 * i) % vals.size()];
        v[k] = dtype == mxc::kUint8 && x < 0 ? -x : x;
      }
      cin.push_back(mxct::FromVec(shapes[i], v, dtype));
      gin.push_back(CopyTo(cin.back(), kGPU));
    }
    mxc::Invoke(op, p, cin, &cout_);
    if (gin.empty())
      for (auto &o : cout_) gout.push_back(NDArray(o.shape(), o.dtype(), kGPU));
    mxc::Invoke(op, p, gin, &gout);
    ASSERT_EQ(gout[0].dtype(), cout_[0].dtype());
    EXPECT_EQ(HostVec(gout[0]), HostVec(cout_[0]));
  };
  const TShape s{3, 4};
  for (int dt : {mxc::kUint8, mxc::kInt8, mxc::kInt32, mxc::kInt64}) {
    for (const char *t : {"_contrib_isnan", "_contrib_isinf", "_contrib_isfinite"}) check(t, {}, {s}, dt);
    for (const char *l : {"_logical_and", "_logical_or", "_logical_xor"}) check(l, {}, {s, s}, dt);
    for (const char *l : {"_logical_and_scalar", "_logical_or_scalar", "_logical_xor_scalar"})
      for (const char *sc : {"0", "3", "-0.5"}) check(l, {{"scalar", sc}}, {s}, dt);
    for (const char *l : {"broadcast_logical_and", "broadcast_logical_or", "broadcast_logical_xor"})
      check(l, {}, {{3, 1, 4}, {1, 5, 4}}, dt);
    check("cumsum", {{"axis", "0"}}, {s}, dt);
    check("cumsum", {{"dtype", "int64"}}, {s}, dt);
    check("depth_to_space", {{"block_size", "2"}}, {{1, 4, 2, 3}}, dt);
    check("diag", {{"k", "1"}}, {s}, dt);
    check("slice_like", {}, {{3, 4}, {2, 2}}, dt);
    check("_contrib_arange_like", {{"start", "2"}, {"step", "3"}}, {s}, dt);
    check("ravel_multi_index", {{"shape", "(200, 300)"}}, {{2, 5}}, dt);
    check("unravel_index", {{"shape", "(7, 3)"}}, {{6}}, dt);
    check("batch_take", {}, {s, {3}}, dt);
    const std::string dn = mxc::DTypeName(dt);
    check("_linspace", {{"start", "0"}, {"stop", "9"}, {"num", "4"}, {"dtype", dn}}, {}, dt);
    check("_eye", {{"N", "3"}, {"M", "4"}, {"k", "-1"}, {"dtype", dn}}, {}, dt);
  }
  // cumsum of float32 into int32 accumulates in int32, as the CPU.
  check("cumsum", {{"axis", "1"}, {"dtype", "int32"}}, {s}, mxc::kFloat32);
  EXPECT_EQ(mxc::gpu::HostStagedCalls(), staged) << "every call above ran natively";
#endif
}

// float16 inputs (computed as float32 copies) against float32 on the CPU, within float16's rounding.
TEST(OpGpuMore, Float16MatchesFloat32) {
  if (!HaveGPU()) GTEST_SKIP() << "no GPU on this machine";
  EXPECT_GT(CompareFloat16(MoreCases(), kGPU), 0);
}

// The random operators drawn on the device (no host staging): values in range with the distributions' means and
// standard deviations (20000 draws: within about 5 standard errors).
TEST(OpGpuMore, RandomDrawsNatively) {
  if (!HaveGPU()) GTEST_SKIP() << "no GPU on this machine";
#ifdef MXC_USE_CUDA
  const int64_t staged = mxc::gpu::HostStagedCalls();
  const int64_t n = 20000;
  auto draw = [&](const std::string &name, const Params &params, bool like, int dtype) {
    const mxc::Op *op = mxc::OpRegistry::Get()->FindOrThrow(name);
    OpParams p(op, params);
    std::vector<NDArray> in, out;
    if (like) in.push_back(CopyTo(mxct::Random({n}, -1, 1, dtype, 3), kGPU));
    else out.push_back(NDArray(TShape{n}, dtype, kGPU));
    mxc::Invoke(op, p, in, &out);
    EXPECT_EQ(out[0].dtype(), dtype);
    return HostVec(out[0]);
  };
  auto stats = [](const std::vector<double> &v, double *mean, double *sd, double *lo, double *hi) {
    double s = 0, ss = 0;
    *lo = v[0], *hi = v[0];
    for (double x : v) {
      s += x;
      *lo = std::min(*lo, x);
      *hi = std::max(*hi, x);
    }
    *mean = s / v.size();
    for (double x : v) ss += (x - *mean) * (x - *mean);
    *sd = std::sqrt(ss / v.size());
  };
  double m, sd, lo, hi;
  for (int dt : {static_cast<int>(mxc::kFloat32), kF64}) {
    SCOPED_TRACE(mxc::DTypeName(dt));
    stats(draw("_random_uniform_like", {{"low", "2"}, {"high", "5"}}, true, dt), &m, &sd, &lo, &hi);
    EXPECT_NEAR(m, 3.5, 0.05);
    EXPECT_NEAR(sd, 3 / std::sqrt(12.0), 0.03);
    EXPECT_GE(lo, 2);
    EXPECT_LT(hi, 5);
    stats(draw("_random_normal_like", {{"loc", "1"}, {"scale", "2"}}, true, dt), &m, &sd, &lo, &hi);
    EXPECT_NEAR(m, 1, 0.07);
    EXPECT_NEAR(sd, 2, 0.07);
    stats(draw("_random_exponential_like", {{"lam", "4"}}, true, dt), &m, &sd, &lo, &hi);
    EXPECT_NEAR(m, 0.25, 0.01);
    EXPECT_NEAR(sd, 0.25, 0.0125);
    EXPECT_GT(lo, 0);
    stats(draw("_random_exponential", {{"lam", "0.5"}, {"shape", "(20000,)"}, {"dtype", mxc::DTypeName(dt)}}, false, dt),
          &m, &sd, &lo, &hi);
    EXPECT_NEAR(m, 2, 0.08);
    EXPECT_NEAR(sd, 2, 0.1);
    EXPECT_GT(lo, 0);
  }
  // _sample_<d>: two distributions of 10000 draws each, per-distribution statistics.
  auto sample = [&](const std::string &name, std::vector<std::vector<double>> params, int dtype) {
    const mxc::Op *op = mxc::OpRegistry::Get()->FindOrThrow(name);
    OpParams p(op, {{"shape", "(10000,)"}, {"dtype", mxc::DTypeName(dtype)}});
    std::vector<NDArray> in, out;
    for (auto &v : params) in.push_back(CopyTo(mxct::FromVec({2}, v, dtype), kGPU));
    mxc::Invoke(op, p, in, &out);
    EXPECT_EQ(out[0].shape(), (TShape{2, 10000}));
    const std::vector<double> all = HostVec(out[0]);
    return std::vector<std::vector<double>>{std::vector<double>(all.begin(), all.begin() + 10000),
                                            std::vector<double>(all.begin() + 10000, all.end())};
  };
  for (int dt : {static_cast<int>(mxc::kFloat32), kF64}) {
    SCOPED_TRACE(mxc::DTypeName(dt));
    auto u = sample("_sample_uniform", {{0, -3}, {10, -1}}, dt);
    stats(u[0], &m, &sd, &lo, &hi);
    EXPECT_NEAR(m, 5, 0.15);
    EXPECT_GE(lo, 0);
    EXPECT_LE(hi, 10);
    stats(u[1], &m, &sd, &lo, &hi);
    EXPECT_NEAR(m, -2, 0.03);
    EXPECT_NEAR(sd, 2 / std::sqrt(12.0), 0.02);
    EXPECT_GE(lo, -3);
    EXPECT_LE(hi, -1);
    auto g = sample("_sample_normal", {{0, 5}, {1, 0.5}}, dt);
    stats(g[0], &m, &sd, &lo, &hi);
    EXPECT_NEAR(m, 0, 0.05);
    EXPECT_NEAR(sd, 1, 0.05);
    stats(g[1], &m, &sd, &lo, &hi);
    EXPECT_NEAR(m, 5, 0.025);
    EXPECT_NEAR(sd, 0.5, 0.025);
    auto e = sample("_sample_exponential", {{1, 4}}, dt);
    stats(e[0], &m, &sd, &lo, &hi);
    EXPECT_NEAR(m, 1, 0.05);
    EXPECT_GT(lo, 0);
    stats(e[1], &m, &sd, &lo, &hi);
    EXPECT_NEAR(m, 0.25, 0.0125);
    EXPECT_GT(lo, 0);
  }
  EXPECT_EQ(mxc::gpu::HostStagedCalls(), staged) << "every draw above ran natively";
  // An invalid parameter is the operator's ValueError (raised by the CPU kernel the call then runs).
  for (const char *name : {"_sample_uniform", "_sample_normal", "_sample_exponential", "_sample_gamma",
                           "_sample_poisson", "_sample_negative_binomial"}) {
    const mxc::Op *op = mxc::OpRegistry::Get()->FindOrThrow(name);
    std::vector<NDArray> in, out;
    const bool two = std::string(name) != "_sample_exponential" && std::string(name) != "_sample_poisson";
    in.push_back(CopyTo(mxct::FromVec({2}, {1.0, two ? 5.0 : -1.0}, mxc::kFloat32), kGPU));
    if (two) in.push_back(CopyTo(mxct::FromVec({2}, {2, -1}, mxc::kFloat32), kGPU));
    try {
      mxc::Invoke(op, OpParams(op, {{"shape", "(3,)"}}), in, &out);
      for (auto &o : out) o.WaitToRead();
      ADD_FAILURE() << name << ": expected a ValueError";
    } catch (const mxc::Error &err) {
      EXPECT_EQ(err.kind(), mxc::ErrorKind::kValue) << err.what();
      EXPECT_NE(std::string(err.what()).find(name), std::string::npos) << err.what();
    }
  }
#endif
}

// index_copy with an out-of-range index: the operator's ValueError, as on the CPU.
TEST(OpGpuMore, IndexCopyOutOfRangeRaises) {
  if (!HaveGPU()) GTEST_SKIP() << "no GPU on this machine";
  const mxc::Op *op = mxc::OpRegistry::Get()->FindOrThrow("_contrib_index_copy");
  std::vector<NDArray> in{CopyTo(mxct::Random({3, 2}, -1, 1), kGPU),
                          CopyTo(mxct::FromVec({2}, {1, 3}, mxc::kInt32), kGPU),
                          CopyTo(mxct::Random({2, 2}, -1, 1), kGPU)},
      out;
  try {
    mxc::Invoke(op, OpParams(op, {}), in, &out);
    for (auto &o : out) o.WaitToRead();
    ADD_FAILURE() << "expected a ValueError";
  } catch (const mxc::Error &e) {
    EXPECT_EQ(e.kind(), mxc::ErrorKind::kValue) << e.what();
    EXPECT_NE(std::string(e.what()).find("index_vector[1] = 3 is out of range"), std::string::npos) << e.what();
  }
}

// The rejection samplers (gamma, poisson, negative binomial, generalized negative binomial) on the device: the
// _random_, _random_*_like and _sample_ forms, with the distributions' means (within 5 standard errors) and
// variances (within 10%); poisson and the binomials draw integers.
TEST(OpGpuMore, RejectionSamplersNatively) {
  if (!HaveGPU()) GTEST_SKIP() << "no GPU on this machine";
#ifdef MXC_USE_CUDA
  const int64_t staged = mxc::gpu::HostStagedCalls();
  const int64_t n = 20000;
  struct D {
    std::string name;
    Params params;
    std::vector<std::vector<double>> sample_params;  // _sample_: two distributions
    double mean, var;
    bool integral;
  };
  const std::vector<D> dists = {
      {"gamma", {{"alpha", "2"}, {"beta", "1.5"}}, {{2, 0.5}, {1.5, 2}}, 3, 4.5, false},
      {"gamma", {{"alpha", "0.5"}, {"beta", "2"}}, {{0.5, 2}, {2, 1.5}}, 1, 2, false},
      {"poisson", {{"lam", "3"}}, {{3, 30}}, 3, 3, true},
      {"poisson", {{"lam", "30"}}, {{30, 3}}, 30, 30, true},
      {"negative_binomial", {{"k", "3"}, {"p", "0.4"}}, {{3, 2}, {0.4, 0.5}}, 4.5, 11.25, true},
      {"generalized_negative_binomial", {{"mu", "2"}, {"alpha", "0.5"}}, {{2, 3}, {0.5, 0}}, 2, 4, true},
  };
  auto check = [&](const std::vector<double> &v, const D &d, const std::string &what) {
    SCOPED_TRACE(what);
    double s = 0, ss = 0;
    bool integral = true, nonneg = true;
    for (double x : v) {
      s += x;
      integral = integral && x == std::floor(x);
      nonneg = nonneg && x >= 0;
    }
    const double m = s / v.size();
    for (double x : v) ss += (x - m) * (x - m);
    EXPECT_NEAR(m, d.mean, 5 * std::sqrt(d.var / v.size()));
    EXPECT_NEAR(ss / v.size(), d.var, 0.1 * d.var);
    EXPECT_TRUE(nonneg);
    if (d.integral) EXPECT_TRUE(integral);
  };
  for (int dt : {static_cast<int>(mxc::kFloat32), kF64}) {
    for (const D &d : dists) {
      SCOPED_TRACE(d.name + " " + mxc::DTypeName(dt));
      std::vector<NDArray> out;
      const mxc::Op *op = mxc::OpRegistry::Get()->FindOrThrow("_random_" + d.name);
      Params pr = d.params;
      pr.push_back({"shape", "(20000,)"});
      pr.push_back({"dtype", mxc::DTypeName(dt)});
      out.push_back(NDArray(TShape{n}, dt, kGPU));
      mxc::Invoke(op, OpParams(op, pr), {}, &out);
      check(HostVec(out[0]), d, "_random_" + d.name);
      const mxc::Op *like = mxc::OpRegistry::Get()->FindOrThrow("_random_" + d.name + "_like");
      std::vector<NDArray> lout;
      mxc::Invoke(like, OpParams(like, d.params), {CopyTo(mxct::Random({n}, 0, 1, dt, 4), kGPU)}, &lout);
      check(HostVec(lout[0]), d, "_random_" + d.name + "_like");
      const mxc::Op *smp = mxc::OpRegistry::Get()->FindOrThrow("_sample_" + d.name);
      std::vector<NDArray> in, sout;
      for (auto &pv : d.sample_params) in.push_back(CopyTo(mxct::FromVec({2}, pv, dt), kGPU));
      mxc::Invoke(smp, OpParams(smp, {{"shape", "(20000,)"}, {"dtype", mxc::DTypeName(dt)}}), in, &sout);
      const std::vector<double> all = HostVec(sout[0]);
      check(std::vector<double>(all.begin(), all.begin() + n), d, "_sample_" + d.name);
    }
  }
  // randint: every value of [low, high) about equally often.
  for (const char *dt : {"int32", "int64"}) {
    SCOPED_TRACE(dt);
    const mxc::Op *op = mxc::OpRegistry::Get()->FindOrThrow("_random_randint");
    std::vector<NDArray> out{NDArray(TShape{n}, mxc::DTypeFromName(dt), kGPU)};
    mxc::Invoke(op, OpParams(op, {{"low", "-3"}, {"high", "7"}, {"shape", "(20000,)"}, {"dtype", dt}}), {}, &out);
    std::vector<int> count(10, 0);
    for (double x : HostVec(out[0])) {
      ASSERT_TRUE(x >= -3 && x < 7 && x == std::floor(x)) << x;
      ++count[static_cast<int>(x) + 3];
    }
    for (int c : count) EXPECT_NEAR(c, n / 10, 5 * std::sqrt(n * 0.1 * 0.9));
  }
  EXPECT_EQ(mxc::gpu::HostStagedCalls(), staged) << "every draw above ran natively";
#endif
}

// Pad's edge and reflect modes, forward and gradient (the head gradients of every output position reading an element,
// gathered per element), natively; they agree with the CPU, with write and add requests.
TEST(OpGpuMore, PadEdgeAndReflect) {
  if (!HaveGPU()) GTEST_SKIP() << "no GPU on this machine";
#ifdef MXC_USE_CUDA
  const int64_t staged = mxc::gpu::HostStagedCalls();
#endif
  for (const char *m : {"edge", "reflect"}) {
    std::vector<Case> cases = {
        {"Pad", {{"mode", m}, {"pad_width", "(0,0,0,0,2,1,1,2)"}}, {{2, 3, 4, 5}}},
        {"Pad", {{"mode", m}, {"pad_width", "(0,0,0,0,1,1,0,2,2,1)"}}, {{1, 2, 3, 4, 5}}, -1, 1, {}, nullptr, false,
         kF64},
        // the widest reflection (padding one less than the axis) and no padding on one axis
        {"Pad", {{"mode", m}, {"pad_width", "(0,0,0,0,3,3,0,0)"}}, {{2, 2, 4, 3}}}};
    // edge padding wider than the axis, and an axis of length 1 (both ends read its one element)
    if (std::string(m) == "edge")
      cases.push_back({"Pad", {{"mode", m}, {"pad_width", "(0,0,0,0,5,4,2,3)"}}, {{1, 2, 1, 3}}});
    for (auto &c : cases) {
      Compare(c);
      CompareReq(c, mxc::kAddTo);
    }
  }
#ifdef MXC_USE_CUDA
  EXPECT_EQ(mxc::gpu::HostStagedCalls(), staged) << "every Pad call above ran natively";
#endif
}

}  // namespace
