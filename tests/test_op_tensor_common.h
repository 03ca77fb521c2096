// Helpers shared by the tensor operator tests (reductions, shape, indexing, linear algebra): error expectations,
// index arithmetic for hand-written reference loops, and value generators.
#pragma once

#include <gtest/gtest.h>

#include <cmath>
#include <numeric>
#include <string>
#include <vector>

#include "op_harness.h"

namespace mxct {

// Runs op and expects an mxc::Error of `kind` whose message contains every string in `parts`.
inline void ExpectError(const std::string &op, const std::vector<NDArray> &inputs, const Params &params,
                        mxc::ErrorKind kind, const std::vector<std::string> &parts) {
  SCOPED_TRACE("expected error from " + op);
  try {
    Run(op, inputs, params);
  } catch (const mxc::Error &e) {
    EXPECT_EQ(static_cast<int>(e.kind()), static_cast<int>(kind)) << e.Formatted();
    for (auto &s : parts) EXPECT_NE(std::string(e.what()).find(s), std::string::npos)
        << "message '" << e.what() << "' lacks '" << s << "'";
    return;
  }
  ADD_FAILURE() << op << " did not fail";
}

// 0, 1, 2, ... n-1 as doubles.
inline std::vector<double> Iota(int64_t n, double start = 0) {
  std::vector<double> v(n);
  for (int64_t i = 0; i < n; ++i) v[i] = start + static_cast<double>(i);
  return v;
}

// Row-major strides of a shape.
inline std::vector<int64_t> Strides(const mxc::TShape &s) {
  std::vector<int64_t> st(s.size(), 1);
  for (int i = static_cast<int>(s.size()) - 2; i >= 0; --i) st[i] = st[i + 1] * s[i + 1];
  return st;
}

// Multi-index of linear index i in shape s.
inline std::vector<int64_t> Unravel(int64_t i, const mxc::TShape &s) {
  std::vector<int64_t> idx(s.size());
  for (int k = static_cast<int>(s.size()) - 1; k >= 0; --k) {
    idx[k] = s[k] ? i % s[k] : 0;
    i = s[k] ? i / s[k] : 0;
  }
  return idx;
}

inline int64_t Ravel(const std::vector<int64_t> &idx, const mxc::TShape &s) {
  int64_t r = 0;
  for (size_t k = 0; k < s.size(); ++k) r = r * s[k] + idx[k];
  return r;
}

inline mxc::TShape ShapeOf(const NDArray &a) { return a.shape(); }

}  // namespace mxct
