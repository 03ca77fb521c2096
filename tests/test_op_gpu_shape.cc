// Native GPU kernels for broadcasting, reductions and layout operators (transpose, slice, concat, ...): forward and gradient on gpu(0) against the CPU (skipped, visibly, without a GPU).
#include "test_op_gpu_util.h"

namespace {

using namespace mxct_gpu;

std::vector<Case> Cases() {
  std::vector<Case> v;
  auto add = [&](Case c) { v.push_back(std::move(c)); };
  // Broadcasting both ways, with a missing leading axis, and a 0-stride operand on each side.
  for (const char *b : {"broadcast_add", "broadcast_sub", "broadcast_mul", "broadcast_div", "broadcast_power",
                        "broadcast_maximum", "broadcast_minimum", "broadcast_mod", "broadcast_greater",
                        "broadcast_equal", "broadcast_not_equal", "broadcast_greater_equal", "broadcast_lesser",
                        "broadcast_lesser_equal"}) {
    add({b, {}, {{2, 3, 4}, {3, 1}}, 0.5, 2.0});
    add({b, {}, {{4, 1, 5}, {1, 3, 5}}, 0.5, 2.0});
  }
  add({"broadcast_add", {}, {{6, 5}, {6, 5}}, -1, 1, {}, nullptr, false, mxc::kFloat64});
  add({"broadcast_mul", {}, {{1}, {7, 300}}});  // a long reduction (block kernel) in the gradient
  // Reductions: every axis, some axes, keepdims, exclude, negative axes, long and short.
  for (const char *r : {"sum", "mean", "max", "min", "prod", "norm"}) {
    add({r, {}, {{3, 4, 5}}, 0.5, 1.5});
    add({r, {{"axis", "(0,2)"}}, {{3, 4, 5}}, 0.5, 1.5});
    add({r, {{"axis", "-1"}, {"keepdims", "true"}}, {{3, 4, 5}}, 0.5, 1.5});
    add({r, {{"axis", "(1,)"}}, {{2, 600, 3}}, 0.9, 1.1});
  }
  for (const char *r : {"sum", "mean", "max", "min", "prod"})
    add({r, {{"axis", "1"}, {"exclude", "true"}}, {{3, 4, 5}}, 0.5, 1.5});
  add({"norm", {{"ord", "1"}, {"axis", "1"}}, {{3, 4, 5}}});
  add({"sum", {{"axis", "(0,1)"}}, {{4, 5, 6}}, -1, 1, {}, nullptr, false, mxc::kFloat64});
  add({"max", {{"axis", "1"}}, {{3, 4}}, 0, 1, {}, [](std::vector<NDArray> &in) {  // ties share the gradient
        in[0] = mxct::FromVec(in[0].shape(), {1, 3, 3, 0, 2, 2, 2, 2, 5, 1, 5, 0}, in[0].dtype());
      }});
  add({"prod", {{"axis", "1"}}, {{3, 4}}, 0, 1, {}, [](std::vector<NDArray> &in) {  // zeros: one and two per row
        in[0] = mxct::FromVec(in[0].shape(), {1, 0, 3, 2, 0, 2, 0, 2, 5, 1, 2, 3}, in[0].dtype());
      }});
  // Layout.
  add({"transpose", {}, {{2, 3, 4}}});
  add({"transpose", {{"axes", "(1,0,2)"}}, {{2, 3, 4}}});
  add({"transpose", {{"axes", "(2,0,1)"}}, {{3, 4, 5}}, -1, 1, {}, nullptr, false, mxc::kFloat64});
  add({"swapaxes", {{"dim1", "0"}, {"dim2", "2"}}, {{2, 3, 4}}});
  add({"slice", {{"begin", "(1,None,0)"}, {"end", "(3,None,4)"}, {"step", "(1,-1,2)"}}, {{4, 3, 5}}});
  add({"slice_axis", {{"axis", "1"}, {"begin", "1"}, {"end", "-1"}}, {{2, 5, 3}}});
  add({"reverse", {{"axis", "(0,2)"}}, {{3, 4, 5}}});
  add({"reshape_like", {}, {{3, 4}, {2, 6}}});
  add({"reverse", {{"axis", "-1"}}, {{2, 3}}, -1, 1, {}, nullptr, false, mxc::kFloat64});
  add({"broadcast_to", {{"shape", "(2,3,4)"}}, {{2, 1, 4}}});
  add({"broadcast_axis", {{"axis", "(0,2)"}, {"size", "(3,5)"}}, {{1, 4, 1}}});
  add({"tile", {{"reps", "(2,1,3)"}}, {{3, 4}}});
  add({"repeat", {{"repeats", "3"}, {"axis", "1"}}, {{2, 3, 2}}});
  add({"repeat", {{"repeats", "2"}}, {{2, 3}}});
  add({"squeeze", {{"axis", "(1,)"}}, {{3, 1, 4}}});
  add({"Concat", {{"num_args", "3"}, {"dim", "1"}}, {{2, 1, 3}, {2, 4, 3}, {2, 2, 3}}});
  add({"Concat", {{"num_args", "2"}, {"dim", "0"}}, {{2, 3}, {5, 3}}});
  add({"stack", {{"num_args", "3"}, {"axis", "1"}}, {{2, 4}, {2, 4}, {2, 4}}});
  add({"stack", {{"num_args", "2"}, {"axis", "-1"}}, {{3, 2}, {3, 2}}});
  add({"SliceChannel", {{"num_outputs", "3"}, {"axis", "1"}}, {{2, 6, 2}}});
  add({"SliceChannel", {{"num_outputs", "2"}, {"axis", "0"}, {"squeeze_axis", "true"}}, {{2, 3}}});
  add({"zeros_like", {}, {{3, 4}}});
  add({"ones_like", {}, {{3, 4}}});
  add({"add_n", {{"num_args", "3"}}, {{2, 3}, {2, 3}, {2, 3}}});
  // Matrix products (the CPU's plans with cuBLAS).
  add({"dot", {}, {{3, 4}, {4, 5}}});
  add({"dot", {{"transpose_a", "true"}}, {{4, 3}, {4, 2, 3}}});
  add({"dot", {{"transpose_b", "true"}}, {{2, 3, 4}, {5, 4}}, -1, 1, {}, nullptr, false, mxc::kFloat64});
  add({"dot", {}, {{6}, {6}}});
  add({"batch_dot", {}, {{3, 2, 4}, {3, 4, 5}}});
  add({"batch_dot", {{"transpose_a", "true"}, {"transpose_b", "true"}}, {{2, 4, 3}, {2, 5, 4}}});
  // softmax / log_softmax gradients (the forward is compared too).
  add({"softmax", {{"axis", "1"}}, {{3, 4, 5}}});
  add({"softmax", {{"temperature", "2.5"}}, {{4, 6}}});
  add({"log_softmax", {{"axis", "0"}}, {{5, 3}}, -1, 1, {}, nullptr, false, mxc::kFloat64});
  // softmax's use_length: int32/int64 lengths per row, including 0, negative and longer than the axis.
  add({"softmax", {{"use_length", "true"}}, {{2, 3, 5}, {2, 3}}, -1, 1, {1}, [](std::vector<NDArray> &in) {
         in[1] = mxct::FromVec({2, 3}, {1, 5, 0, 7, -2, 3}, mxc::kInt32);
       }});
  add({"softmax", {{"use_length", "true"}, {"axis", "1"}, {"temperature", "0.5"}}, {{2, 4, 3}, {2, 3}}, -1, 1, {1},
       [](std::vector<NDArray> &in) { in[1] = mxct::FromVec({2, 3}, {4, 1, 2, 3, 0, 4}, mxc::kInt64); }, false,
       mxc::kFloat64});
  return v;
}

TEST(OpGpuShape, MatchTheCpu) { CompareNative(Cases()); }

// The same cases with float16 inputs against float32, on the cpu and on gpu(0) when there is one.
TEST(OpGpuShape, Float16MatchesFloat32) {
  EXPECT_GT(CompareFloat16(Cases(), Device::CPU()), 0);
  if (HaveGPU()) EXPECT_GT(CompareFloat16(Cases(), kGPU), 0);
}

}  // namespace
