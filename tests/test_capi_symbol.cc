// Symbols through mxc.h with the library's operators: MXNet naming, composition, inference, JSON (ours and MXNet
// 1.9.1's), printing.
#include "test_capi_symbol_util.h"

namespace {

using namespace capi;

// Written by MXNet 1.9.1: `(A + B) / 10 + 1` and the seed's perceptron (sym.tojson()).
const char *kMXNetArith =
    R"({"nodes": [{"op": "null", "name": "A", "inputs": []}, {"op": "null", "name": "B", "inputs": []}, {"op": "elemwise_add", "name": "_plus0", "inputs": [[0, 0, 0], [1, 0, 0]]}, {"op": "_div_scalar", "name": "_divscalar0", "attrs": {"scalar": "10"}, "inputs": [[2, 0, 0]]}, {"op": "_plus_scalar", "name": "_plusscalar0", "attrs": {"scalar": "1"}, "inputs": [[3, 0, 0]]}], "arg_nodes": [0, 1], "node_row_ptr": [0, 1, 2, 3, 4, 5], "heads": [[4, 0, 0]], "attrs": {"mxnet_version": ["int", 10901]}})";
const char *kMXNetMLP =
    R"({"nodes": [{"op": "null", "name": "data", "inputs": []}, {"op": "null", "name": "weight1", "inputs": []}, {"op": "null", "name": "bias1", "inputs": []}, {"op": "FullyConnected", "name": "layer1", "attrs": {"num_hidden": "128"}, "inputs": [[0, 0, 0], [1, 0, 0], [2, 0, 0]]}, {"op": "Activation", "name": "act1", "attrs": {"act_type": "relu"}, "inputs": [[3, 0, 0]]}, {"op": "null", "name": "layer2_weight", "attrs": {"num_hidden": "10"}, "inputs": []}, {"op": "null", "name": "layer2_bias", "attrs": {"num_hidden": "10"}, "inputs": []}, {"op": "FullyConnected", "name": "layer2", "attrs": {"num_hidden": "10"}, "inputs": [[4, 0, 0], [5, 0, 0], [6, 0, 0]]}, {"op": "null", "name": "softmax_label", "inputs": []}, {"op": "SoftmaxOutput", "name": "softmax", "inputs": [[7, 0, 0], [8, 0, 0]]}], "arg_nodes": [0, 1, 2, 5, 6, 8], "node_row_ptr": [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10], "heads": [[9, 0, 0]], "attrs": {"mxnet_version": ["int", 10901]}})";

TEST(Symbol, SeedNamesWithAutomaticNaming) {
  // As the seed's 02_symbolic.py builds it, through the aliases MXNet's Python uses; names come from the library.
  auto a = Var("A"), b = Var("B");
  auto c = Op("_Plus", {a, b});
  auto d = Op("_DivScalar", {c}, nullptr, {{"scalar", "10"}});
  auto e = Op("_PlusScalar", {d}, nullptr, {{"scalar", "1"}});
  EXPECT_EQ(Args(e), (std::vector<std::string>{"A", "B"}));
  EXPECT_EQ(Outs(e), std::vector<std::string>{"_plusscalar0_output"});
  const char *name = nullptr;
  int ok = 0;
  ASSERT_EQ(MXCSymbolGetName(c, &name, &ok), 0);
  EXPECT_STREQ(name, "_plus0");
  ASSERT_EQ(MXCSymbolGetName(d, &name, &ok), 0);
  EXPECT_STREQ(name, "_divscalar0");
  Inferred inf;
  ASSERT_EQ(InferShape(e, {{"A", {10}}, {"B", {10}}}, 0, &inf), 0) << Err();
  EXPECT_EQ(inf.args, (Shapes{{10}, {10}}));
  EXPECT_EQ(inf.outs, (Shapes{{10}}));
  EXPECT_TRUE(inf.aux.empty());
  // The same graph written by MXNet reads back with the same names.
  MXCSymbolHandle mx = nullptr;
  ASSERT_EQ(MXCSymbolCreateFromJSON(kMXNetArith, &mx), 0) << Err();
  Sym m(mx);
  EXPECT_EQ(Outs(m), Outs(e));
  EXPECT_EQ(Args(m), Args(e));
  // Our JSON of it equals in structure: same ops, names, parameters.
  const char *ours = nullptr;
  ASSERT_EQ(MXCSymbolSaveToJSON(e, &ours), 0);
  std::string s1 = ours;
  ASSERT_EQ(MXCSymbolSaveToJSON(m, &ours), 0);
  EXPECT_EQ(s1, std::string(ours));
  EXPECT_NE(s1.find("\"op\": \"elemwise_add\""), std::string::npos) << s1;
  EXPECT_NE(s1.find("\"op\": \"_div_scalar\""), std::string::npos) << s1;
}

TEST(Symbol, SeedPerceptronArguments) {
  auto data = Var("data"), label = Var("softmax_label"), w1 = Var("weight1"), b1 = Var("bias1");
  auto l1 = Op("FullyConnected", {data, w1, b1}, "layer1", {{"num_hidden", "128"}}, {"data", "weight", "bias"});
  auto a1 = Op("Activation", {l1}, "act1", {{"act_type", "relu"}}, {"data"});
  auto l2 = Op("FullyConnected", {a1}, "layer2", {{"num_hidden", "10"}}, {"data"});
  auto sm = Op("SoftmaxOutput", {l2, label}, "softmax", {}, {"data", "label"});
  EXPECT_EQ(Args(sm), (std::vector<std::string>{"data", "weight1", "bias1", "layer2_weight", "layer2_bias",
                                                "softmax_label"}));
  EXPECT_EQ(Outs(sm), std::vector<std::string>{"softmax_output"});
  Inferred inf;
  ASSERT_EQ(InferShape(sm, {{"data", {128, 784}}}, 0, &inf), 0) << Err();
  EXPECT_EQ(inf.args, (Shapes{{128, 784}, {128, 784}, {128}, {10, 128}, {10}, {128}}));
  EXPECT_EQ(inf.outs, (Shapes{{128, 10}}));
  // MXNet's JSON of the same network.
  MXCSymbolHandle mx = nullptr;
  ASSERT_EQ(MXCSymbolCreateFromJSON(kMXNetMLP, &mx), 0) << Err();
  Sym m(mx);
  EXPECT_EQ(Args(m), Args(sm));
  Inferred inf2;
  ASSERT_EQ(InferShape(m, {{"data", {128, 784}}}, 0, &inf2), 0) << Err();
  EXPECT_EQ(inf2.args, inf.args);
  // no_bias: no bias input is created.
  auto x = Var("x");
  auto nb = Op("FullyConnected", {x}, "nb", {{"num_hidden", "3"}, {"no_bias", "True"}});
  EXPECT_EQ(Args(nb), (std::vector<std::string>{"x", "nb_weight"}));
  // Printing in MXNet's layout.
  const char *text = nullptr;
  ASSERT_EQ(MXCSymbolPrint(sm, &text), 0);
  std::string t = text;
  EXPECT_NE(t.find("Op:FullyConnected, Name=layer1"), std::string::npos) << t;
  EXPECT_NE(t.find("\tnum_hidden=128"), std::string::npos) << t;
  EXPECT_NE(t.find("Variable:layer2_weight"), std::string::npos) << t;
}

TEST(Symbol, InferenceConflictNamesNodeArgumentShapes) {
  auto data = Var("data");
  auto fc = Op("FullyConnected", {data}, "fc1", {{"num_hidden", "3"}});
  Inferred inf;
  EXPECT_EQ(InferShape(fc, {{"data", {4, 5}}, {"fc1_weight", {3, 6}}}, 0, &inf), -1);
  std::string e = Err();
  EXPECT_EQ(e.rfind("ShapeError:", 0), 0u) << e;
  for (const char *part : {"fc1", "weight", "(3,5)", "(3,6)"}) EXPECT_NE(e.find(part), std::string::npos) << e;
  // Backward through an elementwise sum: B from A.
  auto a = Var("A"), b = Var("B");
  auto c = Op("elemwise_add", {a, b}, "c");
  ASSERT_EQ(InferShape(c, {{"A", {2, 7}}}, 0, &inf), 0) << Err();
  EXPECT_EQ(inf.args, (Shapes{{2, 7}, {2, 7}}));
  // Partial.
  ASSERT_EQ(InferShape(fc, {}, 1, &inf), 0) << Err();
  EXPECT_EQ(inf.complete, 0);
  EXPECT_EQ(InferShape(fc, {}, 0, &inf), -1);
  EXPECT_EQ(Err().rfind("ShapeError", 0), 0u);
}

TEST(Symbol, InferTypeThroughOperators) {
  auto data = Var("data");
  auto fc = Op("FullyConnected", {data}, "fc", {{"num_hidden", "3"}});
  auto act = Op("Activation", {fc}, "act", {{"act_type", "tanh"}});
  const char *keys[1] = {"data"};
  int dt[1] = {MXC_FLOAT64};
  int ac, oc, xc, complete;
  const int *at, *ot, *xt;
  ASSERT_EQ(MXCSymbolInferType(act, 1, keys, dt, 0, &ac, &at, &oc, &ot, &xc, &xt, &complete), 0) << Err();
  ASSERT_EQ(ac, 3);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(at[i], MXC_FLOAT64);
  EXPECT_EQ(ot[0], MXC_FLOAT64);
}

TEST(Symbol, JsonRoundTripKeepsAttributes) {
  auto data = Var("data");
  ASSERT_EQ(MXCSymbolSetAttr(data, "__shape__", "(8, 4)"), 0);
  ASSERT_EQ(MXCSymbolSetAttr(data, "__dtype__", "0"), 0);
  auto fc = Op("FullyConnected", {data}, "fc", {{"num_hidden", "6"}, {"flatten", "False"}});
  ASSERT_EQ(MXCSymbolSetAttr(fc, "lr_mult", "0.5"), 0);
  auto sm = Op("softmax", {fc}, "sm", {{"axis", "-1"}});
  const char *js = nullptr;
  ASSERT_EQ(MXCSymbolSaveToJSON(sm, &js), 0) << Err();
  std::string text = js;
  MXCSymbolHandle back = nullptr;
  ASSERT_EQ(MXCSymbolCreateFromJSON(text.c_str(), &back), 0) << Err();
  Sym b(back);
  int n = 0;
  const char **kv = nullptr;
  ASSERT_EQ(MXCSymbolListAttr(b, 1, &n, &kv), 0);
  std::map<std::string, std::string> m;
  for (int i = 0; i < n; ++i) m[kv[2 * i]] = kv[2 * i + 1];
  EXPECT_EQ(m["data$__shape__"], "(8, 4)");
  EXPECT_EQ(m["fc$num_hidden"], "6");
  EXPECT_EQ(m["fc$flatten"], "False");
  EXPECT_EQ(m["fc$lr_mult"], "0.5");
  EXPECT_EQ(m["sm$axis"], "-1");
  Inferred inf;
  ASSERT_EQ(InferShape(b, {}, 0, &inf), 0) << Err();  // from __shape__
  EXPECT_EQ(inf.outs, (Shapes{{8, 6}}));
  ASSERT_EQ(MXCSymbolSaveToJSON(b, &js), 0);
  EXPECT_EQ(text, std::string(js));
}

}  // namespace
