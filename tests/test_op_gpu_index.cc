// Native GPU kernels for indexing, the remaining nn operators and elementwise functions: forward and gradient on
// gpu(0) against the CPU (skipped, visibly, without a GPU).
#include <cmath>
#include <set>

#include "test_op_gpu_req.h"
#include "test_op_gpu_util.h"

namespace {

using namespace mxct_gpu;

// fill: input k replaced by `values` (cycled over its size) in dtype `dtype`.
std::function<void(std::vector<NDArray> &)> SetInput(int k, std::vector<double> values, int dtype = mxc::kFloat32) {
  return [=](std::vector<NDArray> &in) {
    std::vector<double> v(in[k].Size());
    for (size_t i = 0; i < v.size(); ++i) v[i] = values[i % values.size()];
    in[k] = mxct::FromVec(in[k].shape(), v, dtype);
  };
}
// fill: input k replaced by uniform values in [lo, hi).
std::function<void(std::vector<NDArray> &)> Range(int k, double lo, double hi) {
  return [=](std::vector<NDArray> &in) { in[k] = mxct::Random(in[k].shape(), lo, hi, in[k].dtype(), 31 + k); };
}
std::function<void(std::vector<NDArray> &)> Both(std::function<void(std::vector<NDArray> &)> a,
                                                 std::function<void(std::vector<NDArray> &)> b) {
  return [=](std::vector<NDArray> &in) {
    a(in);
    b(in);
  };
}

const int kF32 = mxc::kFloat32;
const int kF64 = mxc::kFloat64;

std::vector<Case> Cases() {
  std::vector<Case> v;
  auto add = [&](Case c) { v.push_back(std::move(c)); };

  // ---- indexing (indices: out of range, negative, repeated; float and integer dtypes)
  add({"Embedding", {{"input_dim", "10"}, {"output_dim", "4"}}, {{2, 3}, {10, 4}}, -1, 1, {0},
       SetInput(0, {0, 3, 3, 9, -2, 12})});
  add({"Embedding", {{"input_dim", "6"}, {"output_dim", "5"}, {"dtype", "float64"}}, {{7}, {6, 5}}, -1, 1, {0},
       SetInput(0, {5, 1, 1, 0, 2, 7, 4}, mxc::kInt32), false, kF64});
  add({"take", {}, {{5, 3}, {2, 4}}, -1, 1, {1}, SetInput(1, {0, 4, 4, 7, -3, 2, 1, 0})});
  add({"take", {{"axis", "1"}, {"mode", "wrap"}}, {{2, 5, 3}, {6}}, -1, 1, {1},
       SetInput(1, {0, 6, -1, -7, 4, 4}, mxc::kInt64)});
  add({"take", {{"axis", "-1"}, {"mode", "raise"}}, {{3, 4}, {2, 2}}, -1, 1, {1}, SetInput(1, {3, 0, 2, 3}), false, kF64});
  add({"pick", {}, {{4, 5}, {4}}, -1, 1, {1}, SetInput(1, {0, 4, 9, -1})});
  add({"pick", {{"axis", "0"}, {"keepdims", "true"}, {"mode", "wrap"}}, {{3, 4, 2}, {1, 4, 2}}, -1, 1, {1},
       SetInput(1, {0, 1, 2, 3, -1, 5, 2, 2}, mxc::kInt32)});
  add({"pick", {{"axis", "None"}}, {{3, 4}, {1}}, -1, 1, {1}, SetInput(1, {7}), false, kF64});
  add({"one_hot", {{"depth", "5"}}, {{2, 3}}, -1, 1, {0}, SetInput(0, {0, 4, -1, 7, 2, 2})});
  add({"one_hot", {{"depth", "4"}, {"on_value", "2.5"}, {"off_value", "-1"}, {"dtype", "float64"}}, {{5}}, -1, 1,
       {0}, SetInput(0, {3, 0, 1, 1, 9}, mxc::kInt32)});
  add({"gather_nd", {}, {{3, 4, 2}, {2, 5}}, -1, 1, {1}, SetInput(1, {0, 2, -1, 1, 2, 3, 0, -4, 3, 3})});
  add({"gather_nd", {}, {{3, 4}, {1, 2, 2}}, -1, 1, {1}, SetInput(1, {2, 0, 2, -3}, mxc::kInt32), false, kF64});
  add({"where", {}, {{3, 4}, {3, 4}, {3, 4}}, -1, 1, {0}, SetInput(0, {0, 1, 0.5, 0, -2, 0, 3})});
  add({"where", {}, {{3, 2, 2}, {3, 2, 2}, {3, 2, 2}}, -1, 1, {0},
       [](std::vector<NDArray> &in) { in[0] = mxct::FromVec({3}, {1, 0, 1}, mxc::kInt32); }, false, kF64});
  // argmax/argmin: ties (values on a coarse grid), short and long (block-reduced) rows, strided axes.
  auto ties = [](std::vector<NDArray> &in) {
    std::vector<double> x = HostVec(in[0]);
    for (auto &e : x) e = std::floor(e * 3);
    in[0] = mxct::FromVec(in[0].shape(), x, in[0].dtype());
  };
  add({"argmax", {{"axis", "1"}}, {{4, 5, 3}}, -1, 1, {}, ties});
  add({"argmin", {{"axis", "0"}, {"keepdims", "true"}}, {{6, 4}}, -1, 1, {}, ties});
  add({"argmax", {{"axis", "-1"}}, {{3, 700}}, -1, 1, {}, ties});
  add({"argmin", {{"axis", "1"}}, {{2, 300}}, -1, 1, {}, ties, false, kF64});
  add({"argmax", {}, {{20, 30}}, -1, 1, {}, ties});
  add({"argmax_channel", {}, {{3, 5}}, -1, 1, {}, ties});
  // topk / sort / argsort: ties (values on a coarse grid), every ret_typ, strided axes, axis None, dtypes of the
  // positions, NaN (the largest value).
  add({"topk", {{"k", "3"}, {"ret_typ", "both"}}, {{4, 9}}, -1, 1, {}, ties});
  add({"topk", {{"k", "2"}, {"axis", "0"}, {"ret_typ", "value"}, {"is_ascend", "true"}}, {{5, 3, 2}}, -1, 1, {}, ties});
  add({"topk", {{"k", "4"}, {"axis", "1"}, {"ret_typ", "mask"}}, {{2, 6, 3}}, -1, 1, {}, ties});
  add({"topk", {{"k", "5"}, {"axis", "None"}, {"dtype", "int32"}}, {{3, 4}}, -1, 1, {}, ties});
  add({"topk", {{"k", "3"}, {"ret_typ", "both"}, {"dtype", "int64"}}, {{3, 40}}, -1, 1, {}, ties, false, kF64});
  // uint8 positions of a 300-long axis wrap around: a row's hidden positions repeat, and their gradients all add.
  add({"topk", {{"k", "0"}, {"ret_typ", "value"}, {"dtype", "uint8"}}, {{2, 300}}, -1, 1, {}, ties});
  add({"topk", {{"k", "3"}}, {{2, 7}}, -1, 1, {}, SetInput(0, {1, NAN, 3, NAN, -1, 2, 2})});
  add({"sort", {}, {{3, 37}}, -1, 1, {}, ties});
  add({"sort", {{"axis", "0"}, {"is_ascend", "false"}}, {{6, 4}}, -1, 1, {}, ties, false, kF64});
  add({"sort", {{"axis", "None"}}, {{4, 5}}, -1, 1, {}, ties});
  add({"argsort", {{"axis", "1"}, {"is_ascend", "0"}}, {{3, 5, 2}}, -1, 1, {}, ties});
  add({"argsort", {{"dtype", "int64"}}, {{2, 33}}, -1, 1, {}, ties, false, kF64});
  add({"argsort", {{"axis", "None"}, {"dtype", "uint8"}}, {{3, 4}}, -1, 1, {}, ties});
  add({"argsort", {{"is_ascend", "0"}}, {{3, 7}}, -1, 1, {}, SetInput(0, {1, NAN, 3, NAN, -1, 2, 2})});

  // ---- elementwise
  add({"clip", {{"a_min", "-0.3"}, {"a_max", "0.5"}}, {{4, 5}}});
  add({"clip", {{"a_min", "0"}, {"a_max", "0.25"}}, {{7}}, -1, 1, {}, nullptr, false, kF64});
  struct U { const char *name; double lo, hi; };
  const U unary[] = {{"arccos", -0.9, 0.9}, {"arcsin", -0.9, 0.9}, {"arctan", -2, 2}, {"arccosh", 1.2, 3},
                     {"arcsinh", -2, 2},    {"arctanh", -0.9, 0.9}, {"cbrt", 0.2, 2},   {"cosh", -2, 2},
                     {"sinh", -2, 2},       {"tan", -1.2, 1.2},     {"degrees", -3, 3}, {"radians", -90, 90},
                     {"log10", 0.1, 5},     {"log2", 0.1, 5},       {"fix", -3, 3},     {"trunc", -3, 3},
                     {"rint", -3, 3}};
  for (auto &u : unary) {
    add({u.name, {}, {{4, 5}}, u.lo, u.hi});
    add({u.name, {}, {{6}}, u.lo, u.hi, {}, nullptr, false, kF64});
  }
  add({"cbrt", {}, {{5}}, -2, -0.2});
  add({"rint", {}, {{10}}, -1, 1, {}, SetInput(0, {-2.5, -1.5, -0.5, 0.5, 1.5, 2.5, 0.49, -3.7, 4.5, -4.5})});
  add({"fix", {}, {{6}}, -1, 1, {}, SetInput(0, {-2.5, -0.7, 0.7, 3.99, -3.99, 0})});
  add({"logical_not", {}, {{8}}, -1, 1, {}, SetInput(0, {0, 1, -2, 0, 0.5, 0, 3, -0.0})});
  add({"_arange", {{"start", "2"}, {"stop", "11"}, {"step", "1.5"}, {"repeat", "2"}}, {}});
  add({"_arange", {{"start", "5"}, {"dtype", "float64"}}, {}});
  add({"_arange", {{"start", "3"}, {"stop", "-2"}, {"step", "-0.5"}}, {}});
  add({"_slice_assign", {{"begin", "(1,0)"}, {"end", "(3,4)"}}, {{4, 5}, {2, 4}}});
  add({"_slice_assign", {{"begin", "(None,4)"}, {"end", "(None,0)"}, {"step", "(1,-2)"}}, {{4, 5}, {4, 2}}});
  add({"_slice_assign", {{"begin", "(0,1)"}, {"end", "(2,3)"}}, {{2, 3, 4}, {2, 2, 4}}, -1, 1, {}, nullptr, false,
       kF64});
  add({"_slice_assign", {{"begin", "(-2,)"}, {"end", "(None,)"}, {"step", "(None,)"}}, {{5, 3}, {2, 3}}});
  add({"_slice_assign_scalar", {{"begin", "(1,None)"}, {"end", "(None,-1)"}, {"step", "(2,1)"}, {"scalar", "2.5"}},
       {{5, 4}}});
  add({"_slice_assign_scalar", {{"begin", "(None,None,2)"}, {"end", "(None,None,None)"}, {"scalar", "-1"}},
       {{2, 3, 4}}, -1, 1, {}, nullptr, false, kF64});

  // ---- nn (Dropout and LeakyReLU are random operators: Compare runs them; their values are checked below)
  add({"Dropout", {{"p", "0.5"}}, {{8, 9}}, -1, 1, {}, nullptr, true});
  add({"Dropout", {{"p", "0.3"}, {"axes", "(0,)"}}, {{4, 6}}, -1, 1, {}, nullptr, true, kF64});
  add({"Dropout", {{"p", "0.3"}}, {{4, 6}}});
  add({"LeakyReLU", {{"act_type", "prelu"}}, {{3, 4, 5}, {4}}});
  // BatchNorm: moving_var must be positive.
  auto bn_fill = Range(4, 0.5, 1.5);
  add({"BatchNorm", {{"fix_gamma", "false"}, {"output_mean_var", "true"}}, {{4, 3, 5}, {3}, {3}, {3}, {3}}, -1, 1,
       {}, bn_fill, true});
  add({"BatchNorm", {{"output_mean_var", "true"}, {"momentum", "0.8"}}, {{6, 4}, {4}, {4}, {4}, {4}}, -1, 1, {},
       bn_fill, true, kF64});
  add({"BatchNorm", {{"fix_gamma", "false"}, {"output_mean_var", "true"}, {"axis", "-1"}},
       {{2, 3, 300}, {300}, {300}, {300}, {300}}, -1, 1, {}, bn_fill, true});
  add({"BatchNorm", {{"fix_gamma", "false"}, {"output_mean_var", "true"}, {"eps", "0.01"}},
       {{2, 3, 4, 4}, {3}, {3}, {3}, {3}}, -1, 1, {}, bn_fill, false});
  add({"BatchNorm", {{"fix_gamma", "false"}, {"output_mean_var", "true"}, {"use_global_stats", "true"}},
       {{3, 2, 20}, {2}, {2}, {2}, {2}}, -1, 1, {}, bn_fill, true});
  add({"BatchNorm", {{"fix_gamma", "false"}, {"output_mean_var", "true"}},
       {{32, 2, 40}, {2}, {2}, {2}, {2}}, -1, 1, {}, bn_fill, true});
  add({"LinearRegressionOutput", {}, {{4, 3}, {4, 3}}, -1, 1, {1}});
  add({"LinearRegressionOutput", {{"grad_scale", "2"}}, {{5, 1}, {5}}, -1, 1, {1}, nullptr, false, kF64});
  add({"LogisticRegressionOutput", {}, {{4, 3}, {4, 3}}, -1, 1, {1}, Range(1, 0, 1)});
  add({"MAERegressionOutput", {{"grad_scale", "0.5"}}, {{3, 4}, {3, 4}}, -1, 1, {1}});
  add({"MakeLoss", {}, {{3, 4}}});
  add({"MakeLoss", {{"normalization", "batch"}, {"grad_scale", "3"}}, {{3, 4}}});
  add({"MakeLoss", {{"normalization", "valid"}, {"valid_thresh", "0.2"}}, {{3, 4}}, -1, 1, {}, nullptr, false, kF64});
  add({"make_loss", {}, {{2, 5}}});
  // smooth_l1 (both sides of +-1/sigma^2), SequenceMask, SequenceReverse, SequenceLast (float and int32 lengths:
  // truncated, 0, negative, beyond the sequence axis; without lengths), UpSampling (nearest).
  add({"smooth_l1", {{"scalar", "1.5"}}, {{4, 5}}, -2, 2});
  add({"smooth_l1", {{"scalar", "0.5"}}, {{7}}, -6, 6, {}, nullptr, false, kF64});
  add({"SequenceMask", {{"use_sequence_length", "true"}, {"value", "2"}}, {{5, 3, 4}, {3}}, -1, 1, {1},
       SetInput(1, {2, 0, 5.7})});
  add({"SequenceMask", {{"use_sequence_length", "true"}, {"axis", "1"}, {"value", "-1"}}, {{3, 5, 2}, {3}}, -1, 1, {1},
       SetInput(1, {1, 9, -1}, mxc::kInt32), false, kF64});
  add({"SequenceMask", {}, {{4, 3}}});
  add({"SequenceReverse", {{"use_sequence_length", "true"}}, {{5, 3, 4}, {3}}, -1, 1, {1}, SetInput(1, {2, 0, 5.7})});
  add({"SequenceReverse", {{"use_sequence_length", "true"}, {"axis", "1"}}, {{3, 5, 2}, {3}}, -1, 1, {1},
       SetInput(1, {1, 9, -1}, mxc::kInt32), false, kF64});
  add({"SequenceReverse", {}, {{4, 3}}});
  add({"SequenceLast", {{"use_sequence_length", "true"}}, {{5, 3, 4}, {3}}, -1, 1, {1}, SetInput(1, {2, 0, 5.7})});
  add({"SequenceLast", {{"use_sequence_length", "true"}, {"axis", "1"}}, {{3, 5, 2}, {3}}, -1, 1, {1},
       SetInput(1, {1, 9, -1}, mxc::kInt32), false, kF64});
  add({"SequenceLast", {{"axis", "1"}}, {{4, 3, 2}}});
  add({"UpSampling", {{"scale", "2"}, {"sample_type", "nearest"}, {"num_args", "1"}}, {{2, 3, 4, 5}}});
  add({"UpSampling", {{"scale", "3"}, {"sample_type", "nearest"}, {"num_args", "1"}}, {{1, 2, 3, 2}}, -1, 1, {},
       nullptr, false, kF64});
  // The fused RNN: each mode, bidirectional and stacked, the final states, sequence lengths (0 and partial), LSTM
  // clipping; _rnn_param_concat, which Gluon's recurrent layers feed it with.
  auto rnn = [](const char *mode, int L, bool bi, Params extra = {}) {
    Params p{{"mode", mode}, {"state_size", "3"}, {"num_layers", std::to_string(L)},
             {"bidirectional", bi ? "true" : "false"}, {"state_outputs", "true"}};
    p.insert(p.end(), extra.begin(), extra.end());
    return p;
  };
  add({"RNN", rnn("lstm", 2, true), {{4, 2, 3}, {456}, {4, 2, 3}, {4, 2, 3}}, -1, 1, {}, nullptr, false, kF32, true});
  add({"RNN", rnn("gru", 2, false), {{4, 2, 3}, {144}, {2, 2, 3}}, -1, 1, {}, nullptr, false, kF64, true});
  add({"RNN", rnn("rnn_tanh", 1, true), {{4, 2, 3}, {48}, {2, 2, 3}}, -1, 1, {}, nullptr, false, kF32, true});
  add({"RNN", rnn("rnn_relu", 2, false), {{4, 2, 3}, {48}, {2, 2, 3}}, -1, 1, {}, nullptr, false, kF64, true});
  add({"RNN", rnn("lstm", 1, true, {{"use_sequence_length", "true"}, {"lstm_state_clip_min", "-0.3"},
                                    {"lstm_state_clip_max", "0.3"}}),
       {{4, 3, 3}, {192}, {2, 3, 3}, {2, 3, 3}, {3}}, -1, 1, {4}, SetInput(4, {4, 0, 2}), false, kF32, true});
  add({"RNN", rnn("gru", 1, true, {{"use_sequence_length", "true"}}), {{4, 3, 3}, {144}, {2, 3, 3}, {3}}, -1, 1,
       {3}, SetInput(3, {1, 4, 3}, mxc::kInt32), false, kF64, true});
  // Dropout between the layers while training: drawn on each device, not compared (see RnnDropoutOnTheGpu).
  add({"RNN", rnn("gru", 2, false, {{"p", "0.5"}}), {{4, 2, 3}, {144}, {2, 2, 3}}, -1, 1, {}, nullptr, true});
  add({"_rnn_param_concat", {{"num_args", "2"}, {"dim", "0"}}, {{6}, {4}}});
  add({"rmsprop_update", {{"lr", "0.1"}}, {{10}, {10}, {10}}, 0.1, 1});
  add({"rmsprop_update", {{"lr", "0.05"}, {"wd", "0.1"}, {"clip_gradient", "0.3"}, {"clip_weights", "0.5"},
                          {"gamma1", "0.9"}, {"rescale_grad", "2"}},
       {{12}, {12}, {12}}, -1, 1, {}, Range(2, 0.1, 1), false, kF64});
  add({"rmspropalex_update", {{"lr", "0.1"}}, {{10}, {10}, {10}, {10}, {10}}, 0.1, 0.5, {}, Range(2, 1.5, 2)});
  add({"rmspropalex_update", {{"lr", "0.1"}, {"clip_weights", "0.3"}, {"gamma2", "0.5"}, {"wd", "0.01"}},
       {{10}, {10}, {10}, {10}, {10}}, 0.1, 0.5, {}, Range(2, 1.5, 2), false, kF64});
  return v;
}

TEST(OpGpuIndex, MatchTheCpu) { CompareNative(Cases()); }

// The same cases with float16 inputs against float32, on the cpu and on gpu(0) when there is one.
TEST(OpGpuIndex, Float16MatchesFloat32) {
  EXPECT_GT(CompareFloat16(Cases(), Device::CPU()), 0);
  if (HaveGPU()) EXPECT_GT(CompareFloat16(Cases(), kGPU), 0);
}


TEST(OpGpuIndex, ReqWriteAndAdd) {
  if (!HaveGPU()) GTEST_SKIP() << "no GPU on this machine";
  std::vector<Case> cases;
  // LeakyReLU (a random operator only for rrelu while training): every deterministic act_type.
  for (const char *a : {"leaky", "elu", "selu", "gelu"}) cases.push_back({"LeakyReLU", {{"act_type", a}}, {{4, 5}}, -2, 2});
  cases.push_back({"LeakyReLU", {{"act_type", "leaky"}, {"slope", "0.1"}}, {{6}}, -2, 2, {}, nullptr, false, kF64});
  cases.push_back({"LeakyReLU", {{"act_type", "prelu"}}, {{3, 4, 5}, {4}}, -2, 2});
  cases.push_back({"LeakyReLU", {{"act_type", "prelu"}}, {{3, 4}, {1}}, -2, 2, {}, nullptr, false, kF64});
  cases.push_back({"LeakyReLU", {{"act_type", "rrelu"}}, {{3, 4}}, -2, 2});  // inference: the mean slope
  cases.push_back({"Dropout", {{"p", "0.5"}}, {{3, 4}}});                    // inference: the identity
  for (auto &c : Cases()) {
    const mxc::Op *op = mxc::OpRegistry::Get()->FindOrThrow(c.op);
    if (op->is_random || op->compute.count(MXC_GPU) == 0) continue;
    cases.push_back(c);
  }
  for (auto &c : cases) {
    // rmsprop's states would be stepped twice: write only.
    CompareReq(c, mxc::kWriteTo);
    if (c.op.find("rmsprop") == std::string::npos) CompareReq(c, mxc::kAddTo);
  }
}

// Dropout and rrelu draw on the device: the statistics of the mask, the shared axes, and the identity otherwise.
TEST(OpGpuIndex, RandomOperatorsDrawSensibly) {
  if (!HaveGPU()) GTEST_SKIP() << "no GPU on this machine";
  const mxc::Op *drop = mxc::OpRegistry::Get()->FindOrThrow("Dropout");
  NDArray ones = CopyTo(mxct::FromVec({200, 50}, std::vector<double>(10000, 1.0)), kGPU);
  for (double prob : {0.25, 0.5, 0.9}) {
    std::vector<NDArray> out;
    mxc::Invoke(drop, OpParams(drop, {{"p", std::to_string(prob)}}), {ones}, &out, true);
    auto y = HostVec(out[0]);
    double kept = 0;
    for (double e : y) {
      if (e != 0) {
        EXPECT_NEAR(e, 1.0 / (1.0 - prob), 1e-5);
        ++kept;
      }
    }
    EXPECT_NEAR(kept / y.size(), 1.0 - prob, 0.02) << "p=" << prob;
  }
  {  // one draw per row with axes=(1,)
    std::vector<NDArray> out;
    mxc::Invoke(drop, OpParams(drop, {{"p", "0.5"}, {"axes", "(1,)"}}), {ones}, &out, true);
    auto y = HostVec(out[0]);
    int rows_kept = 0;
    for (int r = 0; r < 200; ++r) {
      for (int j = 1; j < 50; ++j) ASSERT_EQ(y[r * 50 + j], y[r * 50]) << "row " << r;
      rows_kept += y[r * 50] != 0;
    }
    EXPECT_GT(rows_kept, 60);
    EXPECT_LT(rows_kept, 140);
  }
  {  // two calls draw different masks; not training: the identity
    std::vector<NDArray> a, b, c;
    mxc::Invoke(drop, OpParams(drop, {{"p", "0.5"}}), {ones}, &a, true);
    mxc::Invoke(drop, OpParams(drop, {{"p", "0.5"}}), {ones}, &b, true);
    EXPECT_NE(HostVec(a[0]), HostVec(b[0]));
    mxc::Invoke(drop, OpParams(drop, {{"p", "0.5"}}), {ones}, &c, false);
    for (double e : HostVec(c[0])) ASSERT_EQ(e, 1.0);
  }
  {  // rrelu while training: slopes in [lower_bound, upper_bound)
    const mxc::Op *leaky = mxc::OpRegistry::Get()->FindOrThrow("LeakyReLU");
    NDArray neg = CopyTo(mxct::FromVec({1000}, std::vector<double>(1000, -1.0)), kGPU);
    std::vector<NDArray> out;
    mxc::Invoke(leaky, OpParams(leaky, {{"act_type", "rrelu"}, {"lower_bound", "0.1"}, {"upper_bound", "0.3"}}),
                {neg}, &out, true);
    double sum = 0;
    std::set<double> distinct;
    for (double e : HostVec(out[0])) {
      EXPECT_GE(-e, 0.1);
      EXPECT_LT(-e, 0.3);
      sum += -e;
      distinct.insert(e);
    }
    EXPECT_NEAR(sum / 1000, 0.2, 0.01);
    EXPECT_GT(distinct.size(), 900u);
  }
}

// Out-of-range indices that the CPU reports (take mode 'raise', gather_nd) are IndexErrors on the GPU too.
// RNN's dropout between layers on the GPU: the mask kept in the hidden reserve output (its last T*N*H entries for
// two unidirectional layers) holds zeros and 1 / (1 - p) = 2 only, some of each; without training, none.
TEST(OpGpuIndex, RnnDropoutOnTheGpu) {
  if (!HaveGPU()) GTEST_SKIP() << "no GPU on this machine";
  const mxc::Op *op = mxc::OpRegistry::Get()->FindOrThrow("RNN");
  const OpParams p(op, {{"mode", "gru"}, {"state_size", "8"}, {"num_layers", "2"}, {"p", "0.5"}});
  const std::vector<NDArray> in{CopyTo(mxct::Random({5, 4, 3}, -1, 1), kGPU),
                                CopyTo(mxct::Random({744}, -1, 1), kGPU),  // 24 * (3 + 8) + 24 * 16 + 4 * 24
                                CopyTo(mxct::Random({2, 4, 8}, -1, 1), kGPU)};
  for (bool train : {true, false}) {
    std::vector<NDArray> out, all;
    mxc::Invoke(op, p, in, &out, train, &all);
    const std::vector<double> reserve = HostVec(all.back());
    int zeros = 0, twos = 0;
    for (size_t i = reserve.size() - 5 * 4 * 8; i < reserve.size(); ++i) {
      zeros += reserve[i] == 0;
      twos += reserve[i] == 2;
    }
    if (train) {
      EXPECT_GT(zeros, 0);
      EXPECT_GT(twos, 0);
      EXPECT_EQ(zeros + twos, 5 * 4 * 8);
    } else {
      EXPECT_EQ(zeros + twos, 0);
    }
  }
}

TEST(OpGpuIndex, OutOfRangeIndicesRaise) {
  if (!HaveGPU()) GTEST_SKIP() << "no GPU on this machine";
  auto expect_index_error = [](const char *name, const mxct::Params &params, NDArray data, NDArray idx) {
    const mxc::Op *op = mxc::OpRegistry::Get()->FindOrThrow(name);
    try {
      std::vector<NDArray> out;
      mxc::Invoke(op, OpParams(op, params), {CopyTo(data, kGPU), CopyTo(idx, kGPU)}, &out);
      out[0].WaitToRead();
      ADD_FAILURE() << name << ": expected an IndexError";
    } catch (const mxc::Error &e) {
      EXPECT_EQ(e.kind(), mxc::ErrorKind::kIndex) << e.what();
      EXPECT_NE(std::string(e.what()).find("out of range"), std::string::npos) << e.what();
    }
  };
  NDArray data = mxct::Random({3, 4}, -1, 1);
  expect_index_error("take", {{"mode", "raise"}}, data, mxct::FromVec({3}, {0, 3, 2}));
  expect_index_error("take", {{"mode", "raise"}, {"axis", "1"}}, data, mxct::FromVec({2}, {-1, 2}, mxc::kInt32));
  expect_index_error("gather_nd", {}, data, mxct::FromVec({2, 2}, {0, 1, 4, 0}));
  expect_index_error("gather_nd", {}, data, mxct::FromVec({2, 1}, {-4, 0}, mxc::kInt64));
  // In range: no error, and the CPU's values.
  const mxc::Op *take = mxc::OpRegistry::Get()->FindOrThrow("take");
  std::vector<NDArray> g, c;
  NDArray idx = mxct::FromVec({2}, {2, 0});
  mxc::Invoke(take, OpParams(take, {{"mode", "raise"}}), {CopyTo(data, kGPU), CopyTo(idx, kGPU)}, &g);
  mxc::Invoke(take, OpParams(take, {{"mode", "raise"}}), {data, idx}, &c);
  EXPECT_EQ(HostVec(g[0]), HostVec(c[0]));
}

}  // namespace
