// Test harness for operators: build arrays, run an operator through the registry, and check its registered gradient
// against central finite differences in float64.
#pragma once

#include <gtest/gtest.h>

#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "ndarray.h"
#include "operator.h"

namespace mxct {

using mxc::NDArray;
using mxc::TShape;
using Params = std::vector<std::pair<std::string, std::string>>;

// An array of `shape` and `dtype` holding `values` (converted), on the cpu.
NDArray FromVec(const TShape &shape, const std::vector<double> &values, int dtype = mxc::kFloat32);
// Uniform random values in [lo, hi) from a fixed-seed generator.
NDArray Random(const TShape &shape, double lo, double hi, int dtype = mxc::kFloat32, uint64_t seed = 42);
// Contents as doubles (waits for the array).
std::vector<double> ToVec(const NDArray &a);

// Runs an operator imperatively (outputs allocated), returns the visible outputs.
std::vector<NDArray> Run(const std::string &op, const std::vector<NDArray> &inputs, const Params &params = {},
                         bool is_train = false);

// Element-wise comparison with tolerance; reports the first mismatches.
void ExpectNear(const std::vector<double> &actual, const std::vector<double> &expected, double rtol = 1e-5,
                double atol = 1e-6, const std::string &what = "");

struct GradCase {
  std::string op;
  Params params;
  std::vector<TShape> shapes;  // one per input
  double lo = -1.0, hi = 1.0;  // range of random inputs
  std::vector<int> no_grad;    // inputs not checked (labels, indices, aux states)
  // Fills inputs after random initialisation (indices, labels, values away from kinks, ...).
  std::function<void(std::vector<NDArray> &)> fill;
  bool is_train = false;
  double eps = 1e-6, rtol = 1e-4, atol = 1e-6;
};

// Checks the registered backward of c.op against central finite differences of sum_j <head_j, out_j> in float64,
// and that req=kAddTo adds the same gradient onto existing values.
void CheckGradient(const GradCase &c);

}  // namespace mxct
