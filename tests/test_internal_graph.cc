// Symbols, inference, JSON, executors and the memory planner, through mxc.h, with small test-only operators
// (test_internal_graph_ops.h) whose gradients are hand-written; executor gradients are checked by finite differences.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <functional>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "graph.h"
#include "test_internal_graph_ops.h"
#include "mxc.h"

namespace {

std::string Err() { return MXCGetLastError(); }

struct Init {
  Init() { gtops::RegisterAll(); }
} g_init;

std::vector<std::string> Strs(int n, const char **p) { return std::vector<std::string>(p, p + n); }

MXCSymbolHandle Var(const char *name) {
  MXCSymbolHandle h = nullptr;
  EXPECT_EQ(MXCSymbolCreateVariable(name, &h), 0) << Err();
  return h;
}

// Creates and composes an operator node. keys empty: positional inputs.
MXCSymbolHandle Op(const char *op, std::vector<MXCSymbolHandle> inputs, const char *name = nullptr,
                   std::map<std::string, std::string> params = {}, std::vector<const char *> keys = {}) {
  std::vector<const char *> k, v;
  for (auto &p : params) {
    k.push_back(p.first.c_str());
    v.push_back(p.second.c_str());
  }
  MXCSymbolHandle h = nullptr;
  EXPECT_EQ(MXCSymbolCreateAtomic(op, static_cast<int>(k.size()), k.data(), v.data(), &h), 0) << Err();
  if (!h) return nullptr;
  EXPECT_EQ(MXCSymbolCompose(h, name, static_cast<int>(inputs.size()), keys.empty() ? nullptr : keys.data(),
                             inputs.data()),
            0)
      << Err();
  return h;
}

std::vector<std::string> Args(MXCSymbolHandle s) {
  int n = 0;
  const char **p = nullptr;
  EXPECT_EQ(MXCSymbolListArguments(s, &n, &p), 0) << Err();
  return Strs(n, p);
}
std::vector<std::string> Outs(MXCSymbolHandle s) {
  int n = 0;
  const char **p = nullptr;
  EXPECT_EQ(MXCSymbolListOutputs(s, &n, &p), 0) << Err();
  return Strs(n, p);
}
std::vector<std::string> Auxs(MXCSymbolHandle s) {
  int n = 0;
  const char **p = nullptr;
  EXPECT_EQ(MXCSymbolListAuxiliaryStates(s, &n, &p), 0) << Err();
  return Strs(n, p);
}
std::vector<std::string> Inputs(MXCSymbolHandle s) {
  int n = 0;
  const char **p = nullptr;
  EXPECT_EQ(MXCSymbolListInputs(s, &n, &p), 0) << Err();
  return Strs(n, p);
}
std::string Name(MXCSymbolHandle s) {
  const char *p = nullptr;
  int ok = 0;
  EXPECT_EQ(MXCSymbolGetName(s, &p, &ok), 0) << Err();
  return ok ? std::string(p) : std::string("<none>");
}

using Shapes = std::vector<std::vector<int64_t>>;
struct Inferred {
  Shapes args, outs, aux;
  int complete = 0;
};

// Returns 0 or -1 (the call's status).
int InferShape(MXCSymbolHandle s, const std::map<std::string, std::vector<int64_t>> &known, int partial,
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

MXCNDArrayHandle Arr(std::vector<int64_t> shape, std::vector<double> vals, int dtype = MXC_FLOAT64) {
  MXCNDArrayHandle h = nullptr;
  EXPECT_EQ(MXCNDArrayCreate(shape.data(), static_cast<int>(shape.size()), dtype, MXC_CPU, 0, 0, &h), 0) << Err();
  int64_t n = 1;
  for (auto d : shape) n *= d;
  if (vals.empty()) vals.assign(n, 0.0);
  EXPECT_EQ(static_cast<int64_t>(vals.size()), n);
  if (dtype == MXC_FLOAT64) {
    EXPECT_EQ(MXCNDArraySyncCopyFromCPU(h, vals.data(), n), 0) << Err();
  } else {
    std::vector<float> f(vals.begin(), vals.end());
    EXPECT_EQ(MXCNDArraySyncCopyFromCPU(h, f.data(), n), 0) << Err();
  }
  return h;
}

std::vector<double> Get(MXCNDArrayHandle h) {
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

void Set(MXCNDArrayHandle h, const std::vector<double> &v) {
  EXPECT_EQ(MXCNDArraySyncCopyFromCPU(h, v.data(), static_cast<int64_t>(v.size())), 0) << Err();
}

std::vector<double> Rand(size_t n, uint64_t seed, double lo = -1, double hi = 1) {
  std::mt19937_64 g(seed);
  std::uniform_real_distribution<double> u(lo, hi);
  std::vector<double> v(n);
  for (auto &x : v) x = u(g);
  return v;
}

void ExpectNear(const std::vector<double> &a, const std::vector<double> &b, double tol, const std::string &what) {
  ASSERT_EQ(a.size(), b.size()) << what;
  for (size_t i = 0; i < a.size(); ++i) EXPECT_NEAR(a[i], b[i], tol) << what << " element " << i;
}

MXCNDArrayHandle Output(MXCExecutorHandle ex, int i) {
  int n = 0;
  MXCNDArrayHandle *outs = nullptr;
  EXPECT_EQ(MXCExecutorOutputs(ex, &n, &outs), 0) << Err();
  std::vector<MXCNDArrayHandle> all(outs, outs + n);
  for (int k = 0; k < n; ++k)
    if (k != i) MXCNDArrayFree(all[k]);
  return all.at(i);
}

// An executor with arrays owned by the test.
struct Bound {
  MXCExecutorHandle ex = nullptr;
  std::vector<MXCNDArrayHandle> args, grads, aux;
  ~Bound() {
    MXCExecutorFree(ex);
    for (auto v : {&args, &grads, &aux})
      for (auto h : *v) MXCNDArrayFree(h);
  }
};

// Binds sym with arrays of the inferred shapes (float64), filled from `vals` by name (others random).
std::unique_ptr<Bound> BindAll(MXCSymbolHandle sym, const std::map<std::string, std::vector<int64_t>> &shapes,
                               const std::map<std::string, std::vector<double>> &vals, int req,
                               MXCExecutorHandle shared = nullptr, int dtype = MXC_FLOAT64) {
  auto b = std::make_unique<Bound>();
  Inferred inf;
  EXPECT_EQ(InferShape(sym, shapes, 0, &inf), 0) << Err();
  auto names = Args(sym);
  auto aux_names = Auxs(sym);
  std::vector<int> reqs;
  for (size_t i = 0; i < names.size(); ++i) {
    int64_t n = 1;
    for (auto d : inf.args[i]) n *= d;
    auto it = vals.find(names[i]);
    b->args.push_back(Arr(inf.args[i], it != vals.end() ? it->second : Rand(n, 100 + i), dtype));
    b->grads.push_back(Arr(inf.args[i], std::vector<double>(n, 0.0), dtype));
    reqs.push_back(req);
  }
  for (size_t i = 0; i < aux_names.size(); ++i) {
    int64_t n = 1;
    for (auto d : inf.aux[i]) n *= d;
    auto it = vals.find(aux_names[i]);
    b->aux.push_back(Arr(inf.aux[i], it != vals.end() ? it->second : std::vector<double>(n, 0.0), dtype));
  }
  EXPECT_EQ(MXCExecutorBind(sym, MXC_CPU, 0, static_cast<int>(b->args.size()), b->args.data(), b->grads.data(),
                            reqs.data(), static_cast<int>(b->aux.size()), b->aux.data(), shared, &b->ex),
            0)
      << Err();
  return b;
}

// ----------------------------------------------------------------------------------------------------------------
// Naming and composition
// ----------------------------------------------------------------------------------------------------------------
TEST(Symbol, AutomaticNamesAndOutputs) {
  auto a = Var("A"), b = Var("B");
  auto c = Op("_test_add", {a, b});
  auto d = Op("_test_add", {c, b});
  std::string n1 = Name(c), n2 = Name(d);
  ASSERT_EQ(n1.rfind("_test_add", 0), 0u) << n1;
  // One counter per hint: consecutive numbers.
  EXPECT_EQ(std::stoi(n2.substr(9)), std::stoi(n1.substr(9)) + 1);
  EXPECT_EQ(Outs(d), std::vector<std::string>{n2 + "_output"});
  EXPECT_EQ(Args(d), (std::vector<std::string>{"A", "B"}));
  // The hint is the operator name as used, lowercased.
  MXCSymbolHandle s = nullptr;
  EXPECT_EQ(MXCSymbolCreateAtomic("_TEST_ADD", 0, nullptr, nullptr, &s), -1);
  EXPECT_NE(Err().find("ValueError"), std::string::npos);
  for (auto h : {a, b, c, d}) MXCSymbolFree(h);
}

TEST(Symbol, MissingInputsBecomeVariablesInMXNetOrder) {
  // The seed's perceptron: arguments in depth-first order with created weights named <node>_<input>.
  auto data = Var("data"), label = Var("softmax_label"), w1 = Var("weight1"), b1 = Var("bias1");
  auto l1 = Op("_test_fc", {data, w1, b1}, "layer1", {{"num_hidden", "8"}}, {"data", "weight", "bias"});
  auto a1 = Op("_test_relu", {l1}, "act1");
  auto l2 = Op("_test_fc", {a1}, "layer2", {{"num_hidden", "3"}}, {"data"});
  auto loss = Op("_test_softmax_loss", {l2, label}, "softmax", {}, {"data", "label"});
  EXPECT_EQ(Args(loss), (std::vector<std::string>{"data", "weight1", "bias1", "layer2_weight", "layer2_bias",
                                                  "softmax_label"}));
  EXPECT_EQ(Outs(loss), std::vector<std::string>{"softmax_output"});
  EXPECT_TRUE(Auxs(loss).empty());
  // Auxiliary states: created as <node>_<input>, listed apart from arguments.
  auto x = Var("x");
  auto bn = Op("_test_aux", {x}, "bn1");
  EXPECT_EQ(Args(bn), std::vector<std::string>{"x"});
  EXPECT_EQ(Auxs(bn), std::vector<std::string>{"bn1_moving_mean"});
  EXPECT_EQ(Inputs(bn), (std::vector<std::string>{"x", "bn1_moving_mean"}));
  for (auto h : {data, label, w1, b1, l1, a1, l2, loss, x, bn}) MXCSymbolFree(h);
}

TEST(Symbol, ComposeErrors) {
  auto a = Var("a"), b = Var("b"), c = Var("c");
  MXCSymbolHandle h = nullptr;
  ASSERT_EQ(MXCSymbolCreateAtomic("_test_add", 0, nullptr, nullptr, &h), 0) << Err();
  MXCSymbolHandle three[3] = {a, b, c};
  EXPECT_EQ(MXCSymbolCompose(h, "x", 3, nullptr, three), -1);
  EXPECT_NE(Err().find("takes 2 input(s) (lhs, rhs), got 3"), std::string::npos) << Err();
  const char *bad_keys[1] = {"nope"};
  EXPECT_EQ(MXCSymbolCompose(h, "x", 1, bad_keys, three), -1);
  EXPECT_NE(Err().find("unknown input 'nope' (inputs: lhs, rhs)"), std::string::npos) << Err();
  // A group cannot be an input.
  MXCSymbolHandle grp = nullptr;
  ASSERT_EQ(MXCSymbolCreateGroup(2, three, &grp), 0);
  EXPECT_EQ(MXCSymbolCompose(h, "x", 1, nullptr, &grp), -1);
  EXPECT_NE(Err().find("one output"), std::string::npos) << Err();
  // A variable cannot be composed.
  EXPECT_EQ(MXCSymbolCompose(a, "x", 1, nullptr, &b), -1);
  EXPECT_NE(Err().find("cannot compose the variable 'a'"), std::string::npos) << Err();
  // Unknown parameter / missing required parameter.
  const char *k[1] = {"foo"}, *v[1] = {"1"};
  MXCSymbolHandle bad = nullptr;
  EXPECT_EQ(MXCSymbolCreateAtomic("_test_fc", 1, k, v, &bad), -1);
  EXPECT_NE(Err().find("ValueError: operator _test_fc: unknown parameter 'foo'"), std::string::npos) << Err();
  EXPECT_EQ(MXCSymbolCreateAtomic("_test_fc", 0, nullptr, nullptr, &bad), -1);
  EXPECT_NE(Err().find("required parameter 'num_hidden'"), std::string::npos) << Err();
  // An uncomposed symbol cannot be listed as a graph.
  const char *js = nullptr;
  EXPECT_EQ(MXCSymbolSaveToJSON(h, &js), -1);
  EXPECT_NE(Err().find("not composed"), std::string::npos) << Err();
  for (auto x : {a, b, c, h, grp}) MXCSymbolFree(x);
}

TEST(Symbol, VariadicCountFromCompose) {
  auto a = Var("a"), b = Var("b"), c = Var("c");
  auto cat = Op("_test_concat", {a, b, c}, "cat");
  const char *val = nullptr;
  int ok = 0;
  ASSERT_EQ(MXCSymbolGetAttr(cat, "num_args", &val, &ok), 0) << Err();
  ASSERT_EQ(ok, 1);
  EXPECT_STREQ(val, "3");
  EXPECT_EQ(Args(cat), (std::vector<std::string>{"a", "b", "c"}));
  Inferred inf;
  ASSERT_EQ(InferShape(cat, {{"a", {2}}, {"b", {3}}, {"c", {4}}}, 0, &inf), 0) << Err();
  EXPECT_EQ(inf.outs, (Shapes{{9}}));
  for (auto x : {a, b, c, cat}) MXCSymbolFree(x);
}

TEST(Symbol, ComposeReplacesArgumentsOfAGraph) {
  auto x = Var("x"), y = Var("y"), z = Var("z");
  auto s = Op("_test_add", {x, y}, "s");
  MXCSymbolHandle copy = nullptr;
  ASSERT_EQ(MXCSymbolCopy(s, &copy), 0);
  const char *keys[1] = {"y"};
  auto r = Op("_test_relu", {z}, "r");
  ASSERT_EQ(MXCSymbolCompose(copy, nullptr, 1, keys, &r), 0) << Err();
  EXPECT_EQ(Args(copy), (std::vector<std::string>{"x", "z"}));
  EXPECT_EQ(Args(s), (std::vector<std::string>{"x", "y"}));  // the original is unchanged
  for (auto h : {x, y, z, s, copy, r}) MXCSymbolFree(h);
}

TEST(Symbol, AttributesInternalsChildrenCopy) {
  auto x = Var("x");
  ASSERT_EQ(MXCSymbolSetAttr(x, "__shape__", "(2, 3)"), 0);
  ASSERT_EQ(MXCSymbolSetAttr(x, "lr_mult", "2.0"), 0);
  auto fc = Op("_test_fc", {x}, "fc", {{"num_hidden", "4"}});
  auto r = Op("_test_relu", {fc}, "relu");
  const char *val = nullptr;
  int ok = 0;
  ASSERT_EQ(MXCSymbolGetAttr(fc, "num_hidden", &val, &ok), 0);
  EXPECT_EQ(ok, 1);
  EXPECT_STREQ(val, "4");
  ASSERT_EQ(MXCSymbolGetAttr(fc, "nothing", &val, &ok), 0);
  EXPECT_EQ(ok, 0);
  int n = 0;
  const char **kv = nullptr;
  ASSERT_EQ(MXCSymbolListAttr(x, 0, &n, &kv), 0);
  std::map<std::string, std::string> m;
  for (int i = 0; i < n; ++i) m[kv[2 * i]] = kv[2 * i + 1];
  EXPECT_EQ(m, (std::map<std::string, std::string>{{"__shape__", "(2, 3)"}, {"lr_mult", "2.0"}}));
  ASSERT_EQ(MXCSymbolListAttr(r, 1, &n, &kv), 0);
  m.clear();
  for (int i = 0; i < n; ++i) m[kv[2 * i]] = kv[2 * i + 1];
  EXPECT_EQ(m, (std::map<std::string, std::string>{
                   {"x$__shape__", "(2, 3)"}, {"x$lr_mult", "2.0"}, {"fc$num_hidden", "4"}}));
  // __shape__ takes part in inference.
  Inferred inf;
  ASSERT_EQ(InferShape(r, {}, 0, &inf), 0) << Err();
  EXPECT_EQ(inf.outs, (Shapes{{2, 4}}));
  // A parameter set as an attribute is parsed.
  ASSERT_EQ(MXCSymbolSetAttr(fc, "num_hidden", "5"), 0) << Err();
  ASSERT_EQ(InferShape(r, {}, 0, &inf), 0) << Err();
  EXPECT_EQ(inf.outs, (Shapes{{2, 5}}));
  EXPECT_EQ(MXCSymbolSetAttr(fc, "num_hidden", "five"), -1);
  EXPECT_NE(Err().find("expects int"), std::string::npos) << Err();

  MXCSymbolHandle internals = nullptr;
  ASSERT_EQ(MXCSymbolGetInternals(r, &internals), 0);
  EXPECT_EQ(Outs(internals),
            (std::vector<std::string>{"x", "fc_weight", "fc_bias", "fc_output", "relu_output"}));
  MXCSymbolHandle fc_out = nullptr;
  ASSERT_EQ(MXCSymbolGetOutput(internals, 3, &fc_out), 0);
  EXPECT_EQ(Name(fc_out), "fc");
  EXPECT_EQ(MXCSymbolGetOutput(internals, 5, &fc_out), -1);
  EXPECT_NE(Err().find("IndexError"), std::string::npos);
  MXCSymbolHandle children = nullptr;
  ASSERT_EQ(MXCSymbolGetChildren(fc, &children), 0);
  EXPECT_EQ(Outs(children), (std::vector<std::string>{"x", "fc_weight", "fc_bias"}));
  MXCSymbolHandle none = reinterpret_cast<MXCSymbolHandle>(1);
  ASSERT_EQ(MXCSymbolGetChildren(x, &none), 0);
  EXPECT_EQ(none, nullptr);
  EXPECT_EQ(Name(internals), "<none>");  // a group has no name
  EXPECT_EQ(MXCSymbolSetAttr(internals, "a", "b"), -1);

  // A copy is deep: attributes set on it stay there.
  MXCSymbolHandle copy = nullptr;
  ASSERT_EQ(MXCSymbolCopy(r, &copy), 0);
  ASSERT_EQ(MXCSymbolSetAttr(copy, "tag", "copied"), 0);
  ASSERT_EQ(MXCSymbolGetAttr(r, "tag", &val, &ok), 0);
  EXPECT_EQ(ok, 0);
  int nout = 0;
  ASSERT_EQ(MXCSymbolGetNumOutputs(internals, &nout), 0);
  EXPECT_EQ(nout, 5);
  for (auto h : {x, fc, r, internals, fc_out, children, copy}) MXCSymbolFree(h);
}

TEST(Symbol, MultiOutputAndHiddenOutputs) {
  auto x = Var("x");
  auto sp = Op("_test_split2", {x}, "sp");
  EXPECT_EQ(Outs(sp), (std::vector<std::string>{"sp_output0", "sp_output1"}));
  EXPECT_EQ(Name(sp), "<none>");
  auto h = Op("_test_hidden", {x}, "h");
  EXPECT_EQ(Outs(h), std::vector<std::string>{"h_output"});
  for (auto s : {x, sp, h}) MXCSymbolFree(s);
}

TEST(Symbol, DeepChainHasNoRecursionLimit) {
  auto x = Var("x");
  MXCSymbolHandle cur = x;
  std::vector<MXCSymbolHandle> all{x};
  for (int i = 0; i < 20000; ++i) {
    cur = Op("_test_relu", {cur});
    all.push_back(cur);
  }
  EXPECT_EQ(Args(cur), std::vector<std::string>{"x"});
  Inferred inf;
  ASSERT_EQ(InferShape(cur, {{"x", {3}}}, 0, &inf), 0) << Err();
  EXPECT_EQ(inf.outs, (Shapes{{3}}));
  for (auto h : all) MXCSymbolFree(h);
}

// ----------------------------------------------------------------------------------------------------------------
// Inference
// ----------------------------------------------------------------------------------------------------------------
TEST(Infer, ForwardAndBackward) {
  auto a = Var("A"), b = Var("B");
  auto c = Op("_test_add", {a, b}, "c");
  Inferred inf;
  ASSERT_EQ(InferShape(c, {{"A", {2, 3}}}, 0, &inf), 0) << Err();
  EXPECT_EQ(inf.args, (Shapes{{2, 3}, {2, 3}}));  // B inferred from A through the sum
  EXPECT_EQ(inf.outs, (Shapes{{2, 3}}));
  EXPECT_EQ(inf.complete, 1);
  // Known output dimension flowing back: the data of an fc from weight and output.
  auto x = Var("x");
  auto fc = Op("_test_fc", {x}, "fc", {{"num_hidden", "4"}});
  ASSERT_EQ(InferShape(fc, {{"x", {5, 7}}}, 0, &inf), 0) << Err();
  EXPECT_EQ(inf.args, (Shapes{{5, 7}, {4, 7}, {4}}));
  EXPECT_EQ(inf.outs, (Shapes{{5, 4}}));
  for (auto h : {a, b, c, x, fc}) MXCSymbolFree(h);
}

TEST(Infer, PartialAndUnknown) {
  auto x = Var("x");
  auto fc = Op("_test_fc", {x}, "fc", {{"num_hidden", "4"}});
  Inferred inf;
  ASSERT_EQ(InferShape(fc, {}, 1, &inf), 0) << Err();
  EXPECT_EQ(inf.complete, 0);
  EXPECT_EQ(inf.args, (Shapes{{}, {}, {4}}));
  EXPECT_EQ(inf.outs, (Shapes{{}}));
  // A partly known shape (0 = unknown dimension).
  ASSERT_EQ(InferShape(fc, {{"x", {0, 7}}}, 1, &inf), 0) << Err();
  EXPECT_EQ(inf.args, (Shapes{{0, 7}, {4, 7}, {4}}));
  EXPECT_EQ(inf.outs, (Shapes{{0, 4}}));
  EXPECT_EQ(inf.complete, 0);
  EXPECT_EQ(InferShape(fc, {}, 0, &inf), -1);
  EXPECT_NE(Err().find("ShapeError: infer_shape: cannot infer the shapes of x ()"), std::string::npos) << Err();
  EXPECT_EQ(InferShape(fc, {{"nope", {1}}}, 1, &inf), -1);
  EXPECT_NE(Err().find("'nope' is not an input of the symbol (inputs: x, fc_weight, fc_bias)"), std::string::npos)
      << Err();
  for (auto h : {x, fc}) MXCSymbolFree(h);
}

TEST(Infer, ConflictNamesNodeArgumentAndShapes) {
  auto x = Var("x");
  auto fc = Op("_test_fc", {x}, "fc1", {{"num_hidden", "4"}});
  Inferred inf;
  ASSERT_EQ(InferShape(fc, {{"x", {5, 7}}, {"fc1_weight", {4, 6}}}, 0, &inf), -1);
  std::string e = Err();
  EXPECT_EQ(e.rfind("ShapeError:", 0), 0u) << e;
  EXPECT_NE(e.find("fc1"), std::string::npos) << e;
  EXPECT_NE(e.find("weight"), std::string::npos) << e;
  EXPECT_NE(e.find("(4,7)"), std::string::npos) << e;
  EXPECT_NE(e.find("(4,6)"), std::string::npos) << e;
  // Two arguments of an elementwise node.
  auto a = Var("A"), b = Var("B");
  auto c = Op("_test_add", {a, b}, "plus");
  ASSERT_EQ(InferShape(c, {{"A", {2}}, {"B", {3}}}, 1, &inf), -1);
  e = Err();
  EXPECT_NE(e.find("plus"), std::string::npos) << e;
  EXPECT_NE(e.find("(2,)"), std::string::npos) << e;
  EXPECT_NE(e.find("(3,)"), std::string::npos) << e;
  for (auto h : {x, fc, a, b, c}) MXCSymbolFree(h);
}

TEST(Infer, Types) {
  auto a = Var("A"), b = Var("B");
  auto c = Op("_test_add", {a, b}, "c");
  const char *keys[1] = {"A"};
  int dt[1] = {MXC_FLOAT64};
  int ac, oc, xc, complete;
  const int *at, *ot, *xt;
  ASSERT_EQ(MXCSymbolInferType(c, 1, keys, dt, 0, &ac, &at, &oc, &ot, &xc, &xt, &complete), 0) << Err();
  ASSERT_EQ(ac, 2);
  EXPECT_EQ(at[0], MXC_FLOAT64);
  EXPECT_EQ(at[1], MXC_FLOAT64);
  EXPECT_EQ(ot[0], MXC_FLOAT64);
  EXPECT_EQ(complete, 1);
  ASSERT_EQ(MXCSymbolInferType(c, 0, nullptr, nullptr, 1, &ac, &at, &oc, &ot, &xc, &xt, &complete), 0) << Err();
  EXPECT_EQ(at[0], -1);
  EXPECT_EQ(complete, 0);
  EXPECT_EQ(MXCSymbolInferType(c, 0, nullptr, nullptr, 0, &ac, &at, &oc, &ot, &xc, &xt, &complete), -1);
  EXPECT_NE(Err().find("TypeError"), std::string::npos) << Err();
  const char *k2[2] = {"A", "B"};
  int dt2[2] = {MXC_FLOAT64, MXC_FLOAT32};
  EXPECT_EQ(MXCSymbolInferType(c, 2, k2, dt2, 1, &ac, &at, &oc, &ot, &xc, &xt, &complete), -1);
  EXPECT_NE(Err().find("TypeError"), std::string::npos) << Err();
  EXPECT_NE(Err().find("float32"), std::string::npos) << Err();
  // __dtype__ (MXNet writes the code).
  ASSERT_EQ(MXCSymbolSetAttr(b, "__dtype__", "1"), 0);
  ASSERT_EQ(MXCSymbolInferType(c, 0, nullptr, nullptr, 0, &ac, &at, &oc, &ot, &xc, &xt, &complete), 0) << Err();
  EXPECT_EQ(at[0], MXC_FLOAT64);
  for (auto h : {a, b, c}) MXCSymbolFree(h);
}

// ----------------------------------------------------------------------------------------------------------------
// JSON
// ----------------------------------------------------------------------------------------------------------------
TEST(Json, RoundTrip) {
  auto x = Var("x");
  ASSERT_EQ(MXCSymbolSetAttr(x, "__init__", "[\"zero\", {}]"), 0);
  auto fc = Op("_test_fc", {x}, "fc", {{"num_hidden", "4"}});
  auto bn = Op("_test_aux", {fc}, "bn");
  auto sp = Op("_test_split2", {bn}, "sp");
  MXCSymbolHandle o1 = nullptr;
  ASSERT_EQ(MXCSymbolGetOutput(sp, 1, &o1), 0);
  auto r = Op("_test_relu", {o1}, "r");
  MXCSymbolHandle grp = nullptr;
  MXCSymbolHandle two[2] = {r, fc};
  ASSERT_EQ(MXCSymbolCreateGroup(2, two, &grp), 0);
  const char *js = nullptr;
  ASSERT_EQ(MXCSymbolSaveToJSON(grp, &js), 0) << Err();
  std::string text = js;
  EXPECT_NE(text.find("\"mxnet_version\""), std::string::npos);
  EXPECT_NE(text.find("\"mxc_version\""), std::string::npos);
  EXPECT_NE(text.find("\"node_row_ptr\""), std::string::npos);
  MXCSymbolHandle back = nullptr;
  ASSERT_EQ(MXCSymbolCreateFromJSON(text.c_str(), &back), 0) << Err();
  EXPECT_EQ(Args(back), Args(grp));
  EXPECT_EQ(Auxs(back), Auxs(grp));
  EXPECT_EQ(Outs(back), Outs(grp));
  ASSERT_EQ(MXCSymbolSaveToJSON(back, &js), 0);
  EXPECT_EQ(std::string(js), text);
  // File round trip.
  std::string path = ::testing::TempDir() + "/mxc_sym_test.json";
  ASSERT_EQ(MXCSymbolSaveToFile(grp, path.c_str()), 0) << Err();
  MXCSymbolHandle f = nullptr;
  ASSERT_EQ(MXCSymbolCreateFromFile(path.c_str(), &f), 0) << Err();
  EXPECT_EQ(Outs(f), Outs(grp));
  std::remove(path.c_str());
  EXPECT_EQ(MXCSymbolCreateFromFile((path + ".missing").c_str(), &f), -1);
  EXPECT_EQ(Err().rfind("IOError", 0), 0u) << Err();
  for (auto h : {x, fc, bn, sp, o1, r, grp, back, f}) MXCSymbolFree(h);
}

TEST(Json, ReadsMXNetLayouts) {
  // MXNet 1.x: "attrs" with parameters and attributes as strings, inputs as [node, index, version].
  const char *mx1 = R"({
  "nodes": [
    {"op": "null", "name": "data", "inputs": []},
    {"op": "null", "name": "fc1_weight", "attrs": {"__lr_mult__": "2.0"}, "inputs": []},
    {"op": "null", "name": "fc1_bias", "inputs": []},
    {"op": "_test_fc", "name": "fc1", "attrs": {"num_hidden": "4", "__ctx_group__": "dev1"},
     "inputs": [[0, 0, 0], [1, 0, 0], [2, 0, 0]]},
    {"op": "null", "name": "bn_moving_mean", "attrs": {"__init__": "[\"zero\", {}]"}, "inputs": []},
    {"op": "_test_aux", "name": "bn", "inputs": [[3, 0, 0], [4, 0, 1]]},
    {"op": "_test_relu", "name": "relu1", "inputs": [[5, 0, 0]]}
  ],
  "arg_nodes": [0, 1, 2, 4],
  "node_row_ptr": [0, 1, 2, 3, 4, 5, 6, 7],
  "heads": [[6, 0, 0]],
  "attrs": {"mxnet_version": ["int", 10901]}
})";
  MXCSymbolHandle s = nullptr;
  ASSERT_EQ(MXCSymbolCreateFromJSON(mx1, &s), 0) << Err();
  EXPECT_EQ(Args(s), (std::vector<std::string>{"data", "fc1_weight", "fc1_bias"}));
  EXPECT_EQ(Auxs(s), std::vector<std::string>{"bn_moving_mean"});
  EXPECT_EQ(Outs(s), std::vector<std::string>{"relu1_output"});
  int n = 0;
  const char **kv = nullptr;
  ASSERT_EQ(MXCSymbolListAttr(s, 1, &n, &kv), 0);
  std::map<std::string, std::string> m;
  for (int i = 0; i < n; ++i) m[kv[2 * i]] = kv[2 * i + 1];
  EXPECT_EQ(m["fc1$num_hidden"], "4");
  EXPECT_EQ(m["fc1$__ctx_group__"], "dev1");
  EXPECT_EQ(m["fc1_weight$__lr_mult__"], "2.0");
  Inferred inf;
  ASSERT_EQ(InferShape(s, {{"data", {2, 3}}}, 0, &inf), 0) << Err();
  EXPECT_EQ(inf.outs, (Shapes{{2, 4}}));
  // MXNet 0.8: "param" and "attr", inputs as [node, index], no node_row_ptr.
  const char *mx08 = R"({"nodes": [{"op": "null", "param": {}, "name": "x", "inputs": [], "backward_source_id": -1},
    {"op": "_test_scale", "param": {"scalar": "3"}, "attr": {"tag": "t"}, "name": "s", "inputs": [[0, 0]],
     "backward_source_id": -1}], "arg_nodes": [0], "heads": [[1, 0]]})";
  MXCSymbolHandle s2 = nullptr;
  ASSERT_EQ(MXCSymbolCreateFromJSON(mx08, &s2), 0) << Err();
  const char *val = nullptr;
  int ok = 0;
  ASSERT_EQ(MXCSymbolGetAttr(s2, "scalar", &val, &ok), 0);
  EXPECT_STREQ(val, "3");
  ASSERT_EQ(MXCSymbolGetAttr(s2, "tag", &val, &ok), 0);
  EXPECT_STREQ(val, "t");
  // Errors.
  MXCSymbolHandle bad = nullptr;
  EXPECT_EQ(MXCSymbolCreateFromJSON("{\"nodes\": [", &bad), -1);
  EXPECT_NE(Err().find("ValueError: JSON parse error at line 1"), std::string::npos) << Err();
  EXPECT_EQ(MXCSymbolCreateFromJSON(R"({"nodes": [{"op": "NoSuchOp", "name": "q", "inputs": []}], "heads": []})",
                                    &bad),
            -1);
  EXPECT_NE(Err().find("unknown operator 'NoSuchOp'"), std::string::npos) << Err();
  EXPECT_EQ(MXCSymbolCreateFromJSON(
                R"({"nodes": [{"op": "null", "name": "x", "inputs": []},
                   {"op": "_test_add", "name": "p", "inputs": [[0, 0, 0]]}], "heads": [[1, 0, 0]]})",
                &bad),
            -1);
  EXPECT_NE(Err().find("takes 2 input(s), the file gives 1"), std::string::npos) << Err();
  for (auto h : {s, s2}) MXCSymbolFree(h);
}

// ----------------------------------------------------------------------------------------------------------------
// Executors
// ----------------------------------------------------------------------------------------------------------------
TEST(Executor, ForwardUsesArraysInPlace) {
  auto a = Var("A"), b = Var("B");
  auto c = Op("_test_add", {a, b}, "c");
  auto d = Op("_test_scale", {c}, "d", {{"scalar", "0.1"}});
  auto bound = BindAll(d, {{"A", {4}}}, {{"A", {1, 2, 3, 4}}, {"B", {1, 1, 1, 1}}}, MXC_GRAD_NULL);
  ASSERT_NE(bound->ex, nullptr);
  ASSERT_EQ(MXCExecutorForward(bound->ex, 0), 0) << Err();
  MXCNDArrayHandle out = Output(bound->ex, 0);
  ExpectNear(Get(out), {0.2, 0.3, 0.4, 0.5}, 1e-12, "forward");
  // Writes into the bound arrays are seen by the next forward; the output keeps its storage.
  Set(bound->args[0], {10, 20, 30, 40});
  ASSERT_EQ(MXCExecutorForward(bound->ex, 0), 0) << Err();
  ExpectNear(Get(out), {1.1, 2.1, 3.1, 4.1}, 1e-12, "second forward, same output array");
  MXCNDArrayHandle out2 = Output(bound->ex, 0);
  int same = 0;
  ASSERT_EQ(MXCNDArraySharesStorage(out, out2, &same), 0);
  EXPECT_EQ(same, 1);
  // Backward on an executor without gradients does nothing.
  EXPECT_EQ(MXCExecutorBackward(bound->ex, 0, nullptr), 0) << Err();
  MXCNDArrayFree(out);
  MXCNDArrayFree(out2);
  for (auto h : {a, b, c, d}) MXCSymbolFree(h);
}

TEST(Executor, SeedBindBackward) {
  // d = (a + b) / 10 + 1 with a head gradient of ones: every gradient is 0.1.
  auto a = Var("A"), b = Var("B");
  auto c = Op("_test_add", {a, b}, "c");
  auto s = Op("_test_scale", {c}, "s", {{"scalar", "0.1"}});
  auto d = Op("_test_add", {s, Var("one")}, "d");
  auto bound = BindAll(d, {{"A", {10}}}, {{"one", std::vector<double>(10, 1.0)}}, MXC_GRAD_WRITE);
  ASSERT_EQ(MXCExecutorForward(bound->ex, 1), 0) << Err();
  auto head = Arr({10}, std::vector<double>(10, 1.0));
  ASSERT_EQ(MXCExecutorBackward(bound->ex, 1, &head), 0) << Err();
  ExpectNear(Get(bound->grads[0]), std::vector<double>(10, 0.1), 1e-12, "dA");
  ExpectNear(Get(bound->grads[1]), std::vector<double>(10, 0.1), 1e-12, "dB");
  ExpectNear(Get(bound->grads[2]), std::vector<double>(10, 1.0), 1e-12, "done");
  // The output is not a loss: a head gradient is required.
  EXPECT_EQ(MXCExecutorBackward(bound->ex, 0, nullptr), -1);
  EXPECT_NE(Err().find("ValueError: backward: output 'd_output' is not a loss"), std::string::npos) << Err();
  auto bad = Arr({9}, std::vector<double>(9, 1.0));
  EXPECT_EQ(MXCExecutorBackward(bound->ex, 1, &bad), -1);
  EXPECT_NE(Err().find("ShapeError"), std::string::npos) << Err();
  MXCNDArrayFree(head);
  MXCNDArrayFree(bad);
  for (auto h : {a, b, c, s, d}) MXCSymbolFree(h);
}

// Objective sum_j <head_j, out_j> (or the cross-entropy of a loss output) as a function of the arguments, evaluated
// through a gradient-free executor; compared with the executor's gradients by central differences.
void CheckExecutorGradient(MXCSymbolHandle sym, const std::map<std::string, std::vector<int64_t>> &shapes,
                           std::map<std::string, std::vector<double>> vals, std::vector<std::string> skip = {},
                           bool loss = false, double tol = 1e-6) {
  auto names = Args(sym);
  auto train = BindAll(sym, shapes, vals, MXC_GRAD_WRITE);
  auto eval = BindAll(sym, shapes, vals, MXC_GRAD_NULL);
  ASSERT_NE(train->ex, nullptr);
  ASSERT_NE(eval->ex, nullptr);
  // Same values in both.
  for (size_t i = 0; i < names.size(); ++i) Set(eval->args[i], Get(train->args[i]));
  for (size_t i = 0; i < train->aux.size(); ++i) Set(eval->aux[i], Get(train->aux[i]));
  int nout = 0;
  MXCNDArrayHandle *po = nullptr;
  ASSERT_EQ(MXCExecutorOutputs(train->ex, &nout, &po), 0);
  std::vector<MXCNDArrayHandle> outs(po, po + nout);
  std::vector<std::vector<double>> heads;
  std::vector<MXCNDArrayHandle> head_arrs;
  for (int j = 0; j < nout; ++j) {
    auto v = Get(outs[j]);
    heads.push_back(Rand(v.size(), 900 + j));
    int ndim;
    const int64_t *sh;
    MXCNDArrayGetShape(outs[j], &ndim, &sh);
    head_arrs.push_back(Arr(std::vector<int64_t>(sh, sh + ndim), heads.back()));
  }
  std::vector<double> label;
  if (loss) label = Get(train->args.back());
  auto objective = [&]() {
    EXPECT_EQ(MXCExecutorForward(eval->ex, 0), 0) << Err();
    double f = 0;
    for (int j = 0; j < nout; ++j) {
      MXCNDArrayHandle o = Output(eval->ex, j);
      auto v = Get(o);
      MXCNDArrayFree(o);
      if (loss) {
        int64_t c = static_cast<int64_t>(v.size() / label.size());
        for (size_t i = 0; i < label.size(); ++i) f -= std::log(v[i * c + static_cast<int64_t>(label[i])]);
      } else {
        for (size_t k = 0; k < v.size(); ++k) f += v[k] * heads[j][k];
      }
    }
    return f;
  };
  if (getenv("MXC_TEST_PRINT")) {
    const char *t;
    MXCExecutorPrint(train->ex, &t);
    printf("%s\n", t);
  }
  ASSERT_EQ(MXCExecutorForward(train->ex, 1), 0) << Err();
  ASSERT_EQ(MXCExecutorBackward(train->ex, loss ? 0 : nout, loss ? nullptr : head_arrs.data()), 0) << Err();
  for (size_t i = 0; i < names.size(); ++i) {
    if (std::find(skip.begin(), skip.end(), names[i]) != skip.end()) continue;
    auto analytic = Get(train->grads[i]);
    auto x = Get(eval->args[i]);
    std::vector<double> numeric(x.size());
    const double eps = 1e-6;
    for (size_t k = 0; k < x.size(); ++k) {
      double orig = x[k];
      x[k] = orig + eps;
      Set(eval->args[i], x);
      double fp = objective();
      x[k] = orig - eps;
      Set(eval->args[i], x);
      double fm = objective();
      x[k] = orig;
      Set(eval->args[i], x);
      numeric[k] = (fp - fm) / (2 * eps);
    }
    ExpectNear(analytic, numeric, tol, "gradient of " + names[i]);
  }
  for (auto h : outs) MXCNDArrayFree(h);
  for (auto h : head_arrs) MXCNDArrayFree(h);
}

TEST(Executor, GradientsByFiniteDifferences) {
  // Shared entries (x feeds three nodes, one of them twice), multi-output nodes, hidden outputs, a node that is
  // an output and an input of another node, and a node without gradient.
  auto x = Var("x"), y = Var("y");
  auto sq = Op("_test_mul", {x, x}, "sq");          // x*x: the same entry twice in one node
  auto xy = Op("_test_mul", {x, y}, "xy");
  auto sum = Op("_test_add", {sq, xy}, "sum");
  auto sp = Op("_test_split2", {sum}, "sp");         // two outputs
  MXCSymbolHandle sp0 = nullptr, sp1 = nullptr;
  ASSERT_EQ(MXCSymbolGetOutput(sp, 0, &sp0), 0);
  ASSERT_EQ(MXCSymbolGetOutput(sp, 1, &sp1), 0);
  auto h = Op("_test_hidden", {sp0}, "h");           // hidden mask output
  auto r = Op("_test_relu", {sp1}, "r");
  auto z = Var("z");
  auto ng = Op("_test_nograd", {z}, "ng");           // no gradient: z gets none (not checked)
  auto t = Op("_test_add", {h, r}, "t");
  auto u = Op("_test_add", {t, ng}, "u");
  MXCSymbolHandle grp = nullptr;
  MXCSymbolHandle heads[3] = {u, h, x};  // a variable as an output too
  ASSERT_EQ(MXCSymbolCreateGroup(3, heads, &grp), 0);
  CheckExecutorGradient(grp, {{"x", {2, 3}}, {"y", {2, 3}}, {"z", {2, 3}}}, {}, {"z"});
  for (auto s : {x, y, z, sq, xy, sum, sp, sp0, sp1, h, r, ng, t, u, grp}) MXCSymbolFree(s);
}

TEST(Executor, PerceptronWithLossNeedsNoHeadGradient) {
  auto data = Var("data"), label = Var("softmax_label");
  auto l1 = Op("_test_fc", {data}, "layer1", {{"num_hidden", "5"}});
  auto a1 = Op("_test_relu", {l1}, "act1");
  auto l2 = Op("_test_fc", {a1}, "layer2", {{"num_hidden", "3"}});
  auto loss = Op("_test_softmax_loss", {l2, label}, "softmax");
  CheckExecutorGradient(loss, {{"data", {4, 6}}}, {{"softmax_label", {0, 2, 1, 2}}}, {"softmax_label"}, true);
  for (auto s : {data, label, l1, a1, l2, loss}) MXCSymbolFree(s);
}

TEST(Executor, GradReqNullWriteAdd) {
  auto x = Var("x"), y = Var("y");
  auto m = Op("_test_mul", {x, y}, "m");
  Inferred inf;
  auto xa = Arr({3}, {1, 2, 3}), ya = Arr({3}, {4, 5, 6});
  auto gx = Arr({3}, {100, 100, 100}), gy = Arr({3}, {100, 100, 100});
  MXCNDArrayHandle args[2] = {xa, ya}, grads[2] = {gx, gy};
  int reqs[2] = {MXC_GRAD_ADD, MXC_GRAD_NULL};
  MXCExecutorHandle ex = nullptr;
  ASSERT_EQ(MXCExecutorBind(m, MXC_CPU, 0, 2, args, grads, reqs, 0, nullptr, nullptr, &ex), 0) << Err();
  auto head = Arr({3}, {1, 1, 1});
  for (int rep = 0; rep < 2; ++rep) {
    ASSERT_EQ(MXCExecutorForward(ex, 1), 0);
    ASSERT_EQ(MXCExecutorBackward(ex, 1, &head), 0) << Err();
  }
  ExpectNear(Get(gx), {108, 110, 112}, 1e-12, "add twice onto 100");
  ExpectNear(Get(gy), {100, 100, 100}, 1e-12, "null leaves the array alone");
  MXCExecutorFree(ex);
  // write, with a NULL gradient array meaning no gradient.
  MXCNDArrayHandle grads2[2] = {gx, nullptr};
  ASSERT_EQ(MXCExecutorBind(m, MXC_CPU, 0, 2, args, grads2, nullptr, 0, nullptr, nullptr, &ex), 0) << Err();
  ASSERT_EQ(MXCExecutorForward(ex, 1), 0);
  ASSERT_EQ(MXCExecutorBackward(ex, 1, &head), 0) << Err();
  ExpectNear(Get(gx), {4, 5, 6}, 1e-12, "write");
  MXCExecutorFree(ex);
  // An argument that no gradient reaches is zeroed with 'write' (here y is only used by a node without gradient).
  auto ng = Op("_test_nograd", {y}, "ng");
  auto s = Op("_test_add", {x, ng}, "s");
  MXCExecutorHandle ex2 = nullptr;
  ASSERT_EQ(MXCExecutorBind(s, MXC_CPU, 0, 2, args, grads, nullptr, 0, nullptr, nullptr, &ex2), 0) << Err();
  ASSERT_EQ(MXCExecutorForward(ex2, 1), 0);
  ASSERT_EQ(MXCExecutorBackward(ex2, 1, &head), 0) << Err();
  ExpectNear(Get(gx), {1, 1, 1}, 1e-12, "dx");
  ExpectNear(Get(gy), {0, 0, 0}, 1e-12, "dy zeroed");
  MXCExecutorFree(ex2);
  for (auto h : {xa, ya, gx, gy, head}) MXCNDArrayFree(h);
  for (auto h : {x, y, m, ng, s}) MXCSymbolFree(h);
  (void)inf;
}

TEST(Executor, AuxStatesAreUpdatedInTraining) {
  auto x = Var("x");
  auto bn = Op("_test_aux", {x}, "bn");
  auto bound = BindAll(bn, {{"x", {4}}}, {{"x", {1, 2, 3, 6}}, {"bn_moving_mean", {1.0}}}, MXC_GRAD_WRITE);
  ASSERT_EQ(MXCExecutorForward(bound->ex, 0), 0) << Err();
  ExpectNear(Get(bound->aux[0]), {1.0}, 1e-12, "inference leaves the moving mean");
  ASSERT_EQ(MXCExecutorForward(bound->ex, 1), 0) << Err();
  ExpectNear(Get(bound->aux[0]), {0.9 * 1.0 + 0.1 * 3.0}, 1e-12, "training updates the moving mean");
  auto head = Arr({4}, {1, 2, 3, 4});
  ASSERT_EQ(MXCExecutorBackward(bound->ex, 1, &head), 0) << Err();
  ExpectNear(Get(bound->grads[0]), {1, 2, 3, 4}, 1e-12, "dx");
  MXCNDArrayFree(head);
  for (auto h : {x, bn}) MXCSymbolFree(h);
}

TEST(Executor, SharedArraysAndSharedPool) {
  // The seed's pair: a training executor and a test executor bound on the same argument arrays (grad_req null).
  auto data = Var("data"), label = Var("softmax_label");
  auto l1 = Op("_test_fc", {data}, "layer1", {{"num_hidden", "5"}});
  auto a1 = Op("_test_relu", {l1}, "act1");
  auto l2 = Op("_test_fc", {a1}, "layer2", {{"num_hidden", "3"}});
  auto loss = Op("_test_softmax_loss", {l2, label}, "softmax");
  auto train = BindAll(loss, {{"data", {4, 6}}}, {{"softmax_label", {0, 2, 1, 2}}}, MXC_GRAD_WRITE);
  MXCExecutorHandle test = nullptr;
  ASSERT_EQ(MXCExecutorBind(loss, MXC_CPU, 0, static_cast<int>(train->args.size()), train->args.data(), nullptr,
                            nullptr, 0, nullptr, train->ex, &test),
            0)
      << Err();
  ASSERT_EQ(MXCExecutorForward(test, 0), 0);
  MXCNDArrayHandle o_test = Output(test, 0), o_train = Output(train->ex, 0);
  auto before = Get(o_test);
  // An update of a weight through the shared array is seen by the test executor.
  auto w = Get(train->args[1]);
  for (auto &v : w) v *= 3;
  Set(train->args[1], w);
  ASSERT_EQ(MXCExecutorForward(train->ex, 1), 0);
  ASSERT_EQ(MXCExecutorBackward(train->ex, 0, nullptr), 0) << Err();
  ASSERT_EQ(MXCExecutorForward(test, 0), 0);
  auto after = Get(o_test);
  ExpectNear(after, Get(o_train), 1e-12, "test executor sees the new weights");
  double diff = 0;
  for (size_t i = 0; i < after.size(); ++i) diff += std::fabs(after[i] - before[i]);
  EXPECT_GT(diff, 1e-6);
  MXCNDArrayFree(o_test);
  MXCNDArrayFree(o_train);
  MXCExecutorFree(test);
  for (auto s : {data, label, l1, a1, l2, loss}) MXCSymbolFree(s);
}

TEST(Executor, BindErrors) {
  auto x = Var("x");
  auto fc = Op("_test_fc", {x}, "fc", {{"num_hidden", "2"}});
  auto xa = Arr({3, 4}, {}), w = Arr({2, 5}, {}), b = Arr({2}, {});
  MXCNDArrayHandle args[3] = {xa, w, b};
  MXCExecutorHandle ex = nullptr;
  EXPECT_EQ(MXCExecutorBind(fc, MXC_CPU, 0, 2, args, nullptr, nullptr, 0, nullptr, nullptr, &ex), -1);
  EXPECT_NE(Err().find("has 3 arguments (x, fc_weight, fc_bias), got 2 arrays"), std::string::npos) << Err();
  EXPECT_EQ(MXCExecutorBind(fc, MXC_CPU, 0, 3, args, nullptr, nullptr, 0, nullptr, nullptr, &ex), -1);
  EXPECT_EQ(Err().rfind("ShapeError", 0), 0u) << Err();
  EXPECT_NE(Err().find("fc"), std::string::npos) << Err();
  auto w2 = Arr({2, 4}, {}), g = Arr({3, 3}, {});
  MXCNDArrayHandle args2[3] = {xa, w2, b}, grads[3] = {g, nullptr, nullptr};
  EXPECT_EQ(MXCExecutorBind(fc, MXC_CPU, 0, 3, args2, grads, nullptr, 0, nullptr, nullptr, &ex), -1);
  EXPECT_NE(Err().find("gradient array of 'x' has shape (3,3), the argument (3,4)"), std::string::npos) << Err();
  int bad_req[3] = {7, 0, 0};
  EXPECT_EQ(MXCExecutorBind(fc, MXC_CPU, 0, 3, args2, grads, bad_req, 0, nullptr, nullptr, &ex), -1);
  EXPECT_NE(Err().find("bad grad_req"), std::string::npos) << Err();
  EXPECT_EQ(MXCExecutorBind(fc, MXC_GPU, 0, 3, args2, nullptr, nullptr, 0, nullptr, nullptr, &ex), -1);
  EXPECT_EQ(Err().rfind("DeviceError", 0), 0u) << Err();
  for (auto h : {xa, w, b, w2, g}) MXCNDArrayFree(h);
  for (auto h : {x, fc}) MXCSymbolFree(h);
}

// ----------------------------------------------------------------------------------------------------------------
// Memory planner
// ----------------------------------------------------------------------------------------------------------------
MXCSymbolHandle Chain(int depth, std::vector<MXCSymbolHandle> *keep) {
  auto cur = Var("x");
  keep->push_back(cur);
  for (int i = 0; i < depth; ++i) {
    cur = Op(i % 2 ? "_test_relu" : "_test_scale", {cur}, nullptr, i % 2 ? std::map<std::string, std::string>{}
                                                                         : std::map<std::string, std::string>{
                                                                               {"scalar", "1.5"}});
    keep->push_back(cur);
  }
  auto w = Var("w");
  keep->push_back(w);
  cur = Op("_test_mul", {cur, w}, "last");
  keep->push_back(cur);
  return cur;
}

TEST(Memory, InferenceReusesAndWritesInPlace) {
  std::vector<MXCSymbolHandle> keep;
  auto s = Chain(10, &keep);
  auto b = BindAll(s, {{"x", {100}}}, {}, MXC_GRAD_NULL);
  int64_t planned = 0, unplanned = 0;
  ASSERT_EQ(MXCExecutorMemoryStats(b->ex, &planned, &unplanned), 0);
  EXPECT_EQ(unplanned, 10 * 100 * 8);  // ten intermediate float64 values
  EXPECT_EQ(planned, 100 * 8);         // all in place in one buffer
  const char *text = nullptr;
  ASSERT_EQ(MXCExecutorPrint(b->ex, &text), 0);
  EXPECT_NE(std::string(text).find("MB allocated"), std::string::npos) << text;
  EXPECT_NE(std::string(text).find("in place over"), std::string::npos) << text;
  for (auto h : keep) MXCSymbolFree(h);
}

TEST(Memory, TrainingPlanAtLeastHalves) {
  std::vector<MXCSymbolHandle> keep;
  auto s = Chain(10, &keep);
  auto b = BindAll(s, {{"x", {100}}}, {}, MXC_GRAD_WRITE);
  int64_t planned = 0, unplanned = 0;
  ASSERT_EQ(MXCExecutorMemoryStats(b->ex, &planned, &unplanned), 0);
  EXPECT_EQ(unplanned, 20 * 100 * 8);  // ten values and their ten gradients
  EXPECT_LE(planned * 2, unplanned) << "planned " << planned << " of " << unplanned;
  for (auto h : keep) MXCSymbolFree(h);
}

TEST(Memory, PlanningOnAndOffGiveIdenticalResults) {
  auto run = [](bool plan, std::vector<std::vector<double>> *results, int64_t *planned) {
    if (plan) unsetenv("MXC_MEMORY_PLAN");
    else setenv("MXC_MEMORY_PLAN", "0", 1);
    auto x = Var("x"), y = Var("y");
    auto sq = Op("_test_mul", {x, x}, "sq");
    auto xy = Op("_test_mul", {x, y}, "xy");
    auto sum = Op("_test_add", {sq, xy}, "sum");
    auto r1 = Op("_test_relu", {sum}, "r1");
    auto s1 = Op("_test_scale", {r1}, "s1", {{"scalar", "-2"}});
    auto r2 = Op("_test_relu", {s1}, "r2");
    auto h = Op("_test_hidden", {sum}, "h");
    auto t = Op("_test_add", {r2, h}, "t");
    auto t2 = Op("_test_mul", {t, sq}, "t2");
    auto b = BindAll(t2, {{"x", {64}}}, {}, MXC_GRAD_WRITE);
    int64_t unplanned;
    MXCExecutorMemoryStats(b->ex, planned, &unplanned);
    auto head = Arr({64}, Rand(64, 5));
    for (int rep = 0; rep < 2; ++rep) {
      ASSERT_EQ(MXCExecutorForward(b->ex, 1), 0);
      ASSERT_EQ(MXCExecutorBackward(b->ex, 1, &head), 0) << Err();
    }
    MXCNDArrayHandle o = Output(b->ex, 0);
    results->push_back(Get(o));
    for (auto g : b->grads) results->push_back(Get(g));
    MXCNDArrayFree(o);
    MXCNDArrayFree(head);
    for (auto s : {x, y, sq, xy, sum, r1, s1, r2, h, t, t2}) MXCSymbolFree(s);
  };
  std::vector<std::vector<double>> on, off;
  int64_t p_on = 0, p_off = 0;
  run(true, &on, &p_on);
  run(false, &off, &p_off);
  unsetenv("MXC_MEMORY_PLAN");
  EXPECT_LT(p_on, p_off);
  ASSERT_EQ(on.size(), off.size());
  for (size_t i = 0; i < on.size(); ++i) EXPECT_EQ(on[i], off[i]) << "result " << i << " differs";
}

TEST(Memory, PlannerUnit) {
  using mxc::MemPlanStep;
  using mxc::MemPlanValue;
  // v0 (external) -> v1 -> v2 -> v3 (external); v1 read twice by step 1 and 2.
  std::vector<MemPlanValue> vals(4);
  for (int i = 0; i < 4; ++i) vals[i] = MemPlanValue{400, 0, i == 1 || i == 2};
  std::vector<MemPlanStep> steps(3);
  steps[0].reads = {0};
  steps[0].writes = {1};
  steps[1].reads = {1};
  steps[1].writes = {2};
  steps[1].inplace = {{1, 2}};
  steps[2].reads = {2, 1};
  steps[2].writes = {3};
  auto plan = mxc::PlanMemory(vals, steps, true);
  // v1 is read later, so v2 may not overwrite it.
  EXPECT_NE(plan.storage[1], plan.storage[2]);
  EXPECT_EQ(plan.planned_bytes, 800u);
  steps[2].reads = {2};
  plan = mxc::PlanMemory(vals, steps, true);
  EXPECT_EQ(plan.storage[1], plan.storage[2]);
  EXPECT_EQ(plan.inplace_of[2], 1);
  EXPECT_EQ(plan.planned_bytes, 400u);
  // Without the in-place option, a freed storage is reused only after its last reader.
  steps[1].inplace.clear();
  plan = mxc::PlanMemory(vals, steps, true);
  EXPECT_NE(plan.storage[1], plan.storage[2]);
  // A later value of fitting size takes a released storage; a larger one grows it.
  std::vector<MemPlanValue> v2 = {{100, 0, true}, {100, 0, true}, {120, 0, true}, {40, 0, true}};
  std::vector<MemPlanStep> s2(4);
  s2[0].writes = {0};
  s2[1].reads = {0};
  s2[1].writes = {1};
  s2[2].reads = {1};
  s2[2].writes = {2};
  s2[3].reads = {2};
  s2[3].writes = {3};
  plan = mxc::PlanMemory(v2, s2, true);
  EXPECT_EQ(plan.storage[2], plan.storage[0]);  // grown from 100 to 120
  EXPECT_EQ(plan.storage[3], plan.storage[1]);
  EXPECT_EQ(plan.planned_bytes, 220u);
  EXPECT_EQ(plan.unplanned_bytes, 360u);
  plan = mxc::PlanMemory(v2, s2, false);
  EXPECT_EQ(plan.planned_bytes, 360u);
}

}  // namespace
