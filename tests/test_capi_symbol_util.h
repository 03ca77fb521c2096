// Helpers for the black-box C API tests (mxc.h only).
#pragma once

#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "mxc.h"

namespace capi {

inline std::string Err() { return MXCGetLastError(); }

// A float32 vector as a 1-D CPU array (the caller frees it), and any float32 array's elements.
inline MXCNDArrayHandle Vec(const std::vector<float> &v) {
  MXCNDArrayHandle h = nullptr;
  int64_t n = static_cast<int64_t>(v.size());
  EXPECT_EQ(MXCNDArrayCreate(&n, 1, MXC_FLOAT32, MXC_CPU, 0, 0, &h), 0) << Err();
  EXPECT_EQ(MXCNDArraySyncCopyFromCPU(h, v.data(), n), 0) << Err();
  return h;
}

inline std::vector<float> Read(MXCNDArrayHandle h) {
  int ndim = 0;
  const int64_t *shape = nullptr;
  EXPECT_EQ(MXCNDArrayGetShape(h, &ndim, &shape), 0) << Err();
  int64_t n = 1;
  for (int i = 0; i < ndim; ++i) n *= shape[i];
  std::vector<float> v(n);
  EXPECT_EQ(MXCNDArraySyncCopyToCPU(h, v.data(), n), 0) << Err();
  return v;
}

inline std::vector<std::string> Strs(int n, const char **p) { return std::vector<std::string>(p, p + n); }

// A symbol handle freed at scope exit.
struct Sym {
  MXCSymbolHandle h = nullptr;
  Sym() = default;
  explicit Sym(MXCSymbolHandle x) : h(x) {}
  Sym(const Sym &) = delete;
  Sym &operator=(const Sym &) = delete;
  Sym(Sym &&o) noexcept : h(o.h) { o.h = nullptr; }
  Sym &operator=(Sym &&o) noexcept {
    std::swap(h, o.h);
    return *this;
  }
  ~Sym() { MXCSymbolFree(h); }
  operator MXCSymbolHandle() const { return h; }
};

inline Sym Var(const char *name) {
  MXCSymbolHandle h = nullptr;
  EXPECT_EQ(MXCSymbolCreateVariable(name, &h), 0) << Err();
  return Sym(h);
}

// Creates and composes an operator node; keys empty: positional inputs.
inline Sym Op(const char *op, std::vector<MXCSymbolHandle> inputs, const char *name = nullptr,
              std::vector<std::pair<std::string, std::string>> params = {}, std::vector<const char *> keys = {}) {
  std::vector<const char *> k, v;
  for (auto &p : params) {
    k.push_back(p.first.c_str());
    v.push_back(p.second.c_str());
  }
  MXCSymbolHandle h = nullptr;
  EXPECT_EQ(MXCSymbolCreateAtomic(op, static_cast<int>(k.size()), k.data(), v.data(), &h), 0) << Err();
  if (!h) return Sym();
  EXPECT_EQ(MXCSymbolCompose(h, name, static_cast<int>(inputs.size()), keys.empty() ? nullptr : keys.data(),
                             inputs.data()),
            0)
      << Err();
  return Sym(h);
}

inline std::vector<std::string> Args(MXCSymbolHandle s) {
  int n = 0;
  const char **p = nullptr;
  EXPECT_EQ(MXCSymbolListArguments(s, &n, &p), 0) << Err();
  return Strs(n, p);
}
inline std::vector<std::string> Outs(MXCSymbolHandle s) {
  int n = 0;
  const char **p = nullptr;
  EXPECT_EQ(MXCSymbolListOutputs(s, &n, &p), 0) << Err();
  return Strs(n, p);
}
inline std::vector<std::string> Auxs(MXCSymbolHandle s) {
  int n = 0;
  const char **p = nullptr;
  EXPECT_EQ(MXCSymbolListAuxiliaryStates(s, &n, &p), 0) << Err();
  return Strs(n, p);
}

using Shapes = std::vector<std::vector<int64_t>>;
struct Inferred {
  Shapes args, outs, aux;
  int complete = 0;
};

inline int InferShape(MXCSymbolHandle s, const std::map<std::string, std::vector<int64_t>> &known, int partial,
                      Inferred *r) {
  std::vector<const char *> keys;
  std::vector<int> ndims;
  std::vector<int64_t> dims;
  for (auto &kv : known) {
    keys.push_back(kv.first.c_str());
    ndims.push_back(static_cast<int>(kv.second.size()));
    dims.insert(dims.end(), kv.second.begin(), kv.second.end());
  }
  int ac, oc, xc;
  const int *an, *on, *xn;
  const int64_t *ad, *od, *xd;
  int rc = MXCSymbolInferShape(s, static_cast<int>(keys.size()), keys.data(), ndims.data(), dims.data(), partial,
                               &ac, &an, &ad, &oc, &on, &od, &xc, &xn, &xd, &r->complete);
  if (rc != 0) return rc;
  auto unpack = [](int c, const int *n, const int64_t *d, Shapes *out) {
    out->clear();
    for (int i = 0; i < c; ++i) {
      out->emplace_back(d, d + n[i]);
      d += n[i];
    }
  };
  unpack(ac, an, ad, &r->args);
  unpack(oc, on, od, &r->outs);
  unpack(xc, xn, xd, &r->aux);
  return 0;
}

// An array handle freed at scope exit.
struct Arr {
  MXCNDArrayHandle h = nullptr;
  Arr() = default;
  explicit Arr(MXCNDArrayHandle x) : h(x) {}
  Arr(const Arr &) = delete;
  Arr &operator=(const Arr &) = delete;
  Arr(Arr &&o) noexcept : h(o.h) { o.h = nullptr; }
  Arr &operator=(Arr &&o) noexcept {
    std::swap(h, o.h);
    return *this;
  }
  ~Arr() { MXCNDArrayFree(h); }
  operator MXCNDArrayHandle() const { return h; }
};

inline int64_t Size(const std::vector<int64_t> &shape) {
  int64_t n = 1;
  for (auto d : shape) n *= d;
  return n;
}

inline Arr MakeArr(const std::vector<int64_t> &shape, std::vector<double> vals = {}, int dtype = MXC_FLOAT64) {
  MXCNDArrayHandle h = nullptr;
  EXPECT_EQ(MXCNDArrayCreate(shape.data(), static_cast<int>(shape.size()), dtype, MXC_CPU, 0, 0, &h), 0) << Err();
  int64_t n = Size(shape);
  if (vals.empty()) vals.assign(n, 0.0);
  EXPECT_EQ(static_cast<int64_t>(vals.size()), n);
  if (dtype == MXC_FLOAT64) {
    EXPECT_EQ(MXCNDArraySyncCopyFromCPU(h, vals.data(), n), 0) << Err();
  } else {
    std::vector<float> f(vals.begin(), vals.end());
    EXPECT_EQ(MXCNDArraySyncCopyFromCPU(h, f.data(), n), 0) << Err();
  }
  return Arr(h);
}

inline std::vector<double> Get(MXCNDArrayHandle h) {
  int ndim;
  const int64_t *shape;
  EXPECT_EQ(MXCNDArrayGetShape(h, &ndim, &shape), 0) << Err();
  int64_t n = 1;
  for (int i = 0; i < ndim; ++i) n *= shape[i];
  int dtype;
  MXCNDArrayGetDType(h, &dtype);
  std::vector<double> v(n);
  if (dtype == MXC_FLOAT64) {
    EXPECT_EQ(MXCNDArraySyncCopyToCPU(h, v.data(), n), 0) << Err();
  } else {
    std::vector<float> f(n);
    EXPECT_EQ(MXCNDArraySyncCopyToCPU(h, f.data(), n), 0) << Err();
    v.assign(f.begin(), f.end());
  }
  return v;
}

inline void Set(MXCNDArrayHandle h, const std::vector<double> &v, int dtype = MXC_FLOAT64) {
  if (dtype == MXC_FLOAT64) {
    EXPECT_EQ(MXCNDArraySyncCopyFromCPU(h, v.data(), static_cast<int64_t>(v.size())), 0) << Err();
  } else {
    std::vector<float> f(v.begin(), v.end());
    EXPECT_EQ(MXCNDArraySyncCopyFromCPU(h, f.data(), static_cast<int64_t>(f.size())), 0) << Err();
  }
}

inline std::vector<double> Rand(size_t n, uint64_t seed, double lo = -1, double hi = 1) {
  std::mt19937_64 g(seed);
  std::uniform_real_distribution<double> u(lo, hi);
  std::vector<double> v(n);
  for (auto &x : v) x = u(g);
  return v;
}

inline void ExpectNear(const std::vector<double> &a, const std::vector<double> &b, double tol,
                       const std::string &what) {
  ASSERT_EQ(a.size(), b.size()) << what;
  int bad = 0;
  for (size_t i = 0; i < a.size(); ++i)
    if (!(std::fabs(a[i] - b[i]) <= tol * (1 + std::fabs(b[i]))) && bad++ < 5)
      ADD_FAILURE() << what << " element " << i << ": " << a[i] << " vs " << b[i];
}

// Output i of an executor (owned handle).
inline Arr Output(MXCExecutorHandle ex, int i) {
  int n = 0;
  MXCNDArrayHandle *outs = nullptr;
  EXPECT_EQ(MXCExecutorOutputs(ex, &n, &outs), 0) << Err();
  std::vector<MXCNDArrayHandle> all(outs, outs + n);
  for (int k = 0; k < n; ++k)
    if (k != i) MXCNDArrayFree(all[k]);
  return Arr(all.at(i));
}

// An executor with arrays of the inferred shapes, owned by the test.
struct Bound {
  MXCExecutorHandle ex = nullptr;
  std::vector<std::string> names;
  std::vector<Arr> args, grads, aux;
  int dtype = MXC_FLOAT64;
  ~Bound() { MXCExecutorFree(ex); }
  MXCNDArrayHandle arg(const std::string &n) {
    for (size_t i = 0; i < names.size(); ++i)
      if (names[i] == n) return args[i];
    ADD_FAILURE() << "no argument " << n;
    return nullptr;
  }
  MXCNDArrayHandle grad(const std::string &n) {
    for (size_t i = 0; i < names.size(); ++i)
      if (names[i] == n) return grads[i];
    ADD_FAILURE() << "no argument " << n;
    return nullptr;
  }
};

// Binds with arrays filled from vals by name (else uniform in [-1, 1)); reqs by name (default `req`).
inline std::unique_ptr<Bound> BindAll(MXCSymbolHandle sym, const std::map<std::string, std::vector<int64_t>> &shapes,
                                      const std::map<std::string, std::vector<double>> &vals, int req,
                                      MXCExecutorHandle shared = nullptr, int dtype = MXC_FLOAT64,
                                      std::map<std::string, int> reqs_by_name = {}) {
  auto b = std::make_unique<Bound>();
  b->dtype = dtype;
  Inferred inf;
  EXPECT_EQ(InferShape(sym, shapes, 0, &inf), 0) << Err();
  b->names = Args(sym);
  auto aux_names = Auxs(sym);
  std::vector<int> reqs;
  std::vector<MXCNDArrayHandle> a, g, x;
  for (size_t i = 0; i < b->names.size(); ++i) {
    auto it = vals.find(b->names[i]);
    b->args.push_back(MakeArr(inf.args[i], it != vals.end() ? it->second : Rand(Size(inf.args[i]), 100 + i), dtype));
    b->grads.push_back(MakeArr(inf.args[i], {}, dtype));
    auto r = reqs_by_name.find(b->names[i]);
    reqs.push_back(r != reqs_by_name.end() ? r->second : req);
    a.push_back(b->args.back());
    g.push_back(b->grads.back());
  }
  for (size_t i = 0; i < aux_names.size(); ++i) {
    auto it = vals.find(aux_names[i]);
    b->aux.push_back(MakeArr(inf.aux[i], it != vals.end() ? it->second : std::vector<double>(), dtype));
    x.push_back(b->aux.back());
  }
  EXPECT_EQ(MXCExecutorBind(sym, MXC_CPU, 0, static_cast<int>(a.size()), a.data(), g.data(), reqs.data(),
                            static_cast<int>(x.size()), x.data(), shared, &b->ex),
            0)
      << Err();
  return b;
}

}  // namespace capi
