// Control-flow nodes with subgraphs (_foreach, _while_loop, _cond; core/ops/control_flow.cc): MXNet 1.9.1's JSON of
// such graphs is read (Node::subgraphs) and written back the same way ("subgraphs" of the node, without version
// attributes), a copy keeps the subgraphs, and the core infers such graphs by unrolling them (core/subgraph_unroll.cc;
// tests/test_capi_control_flow.cc runs them), while inference of a node left unrolled is a clear error.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "json.h"
#include "mxc.h"
#include "symbol.h"

namespace {

// mx.sym.contrib.cond(p > 0, lambda: [a * 2 + b, mx.sym.exp(a)], lambda: [a - b, b * b]).tojson() by MXNet 1.9.1
const char *kMXNetCond =
    R"MXJ({"nodes":[{"op":"null","name":"p","inputs":[]},{"op":"_greater_scalar","name":"_greater_scalar0","at)MXJ"
    R"MXJ(trs":{"scalar":"0"},"inputs":[[0,0,0]]},{"op":"null","name":"a","inputs":[]},{"op":"null","name":"b")MXJ"
    R"MXJ(,"inputs":[]},{"op":"_cond","name":"_cond0","attrs":{"cond_input_locs":"[0]","else_input_locs":"[1, )MXJ"
    R"MXJ(2]","num_args":"6","num_outputs":"2","then_input_locs":"[1, 2]"},"inputs":[[1,0,0],[2,0,0],[3,0,0]],)MXJ"
    R"MXJ("subgraphs":[{"nodes":[{"op":"null","name":"_greater_scalar0_output","inputs":[]},{"op":"_copy","nam)MXJ"
    R"MXJ(e":"identity0","attrs":{"__subgraph_name__":"cond_pred3"},"inputs":[[0,0,0]]}],"arg_nodes":[0],"node)MXJ"
    R"MXJ(_row_ptr":[0,1,2],"heads":[[1,0,0]]},{"nodes":[{"op":"null","name":"a","inputs":[]},{"op":"_mul_scal)MXJ"
    R"MXJ(ar","name":"_mulscalar0","attrs":{"__subgraph_name__":"cond_then3","scalar":"2"},"inputs":[[0,0,0]]})MXJ"
    R"MXJ(,{"op":"null","name":"b","inputs":[]},{"op":"elemwise_add","name":"_plus0","attrs":{"__subgraph_name)MXJ"
    R"MXJ(__":"cond_then3"},"inputs":[[1,0,0],[2,0,0]]},{"op":"exp","name":"exp0","attrs":{"__subgraph_name__")MXJ"
    R"MXJ(:"cond_then3"},"inputs":[[0,0,0]]}],"arg_nodes":[0,2],"node_row_ptr":[0,1,2,3,4,5],"heads":[[3,0,0],)MXJ"
    R"MXJ([4,0,0]]},{"nodes":[{"op":"null","name":"a","inputs":[]},{"op":"null","name":"b","inputs":[]},{"op":)MXJ"
    R"MXJ("elemwise_sub","name":"_minus0","attrs":{"__subgraph_name__":"cond_else3"},"inputs":[[0,0,0],[1,0,0])MXJ"
    R"MXJ(]},{"op":"elemwise_mul","name":"_mul0","attrs":{"__subgraph_name__":"cond_else3"},"inputs":[[1,0,0],)MXJ"
    R"MXJ([1,0,0]]}],"arg_nodes":[0,1],"node_row_ptr":[0,1,2,3,4],"heads":[[2,0,0],[3,0,0]]}]}],"arg_nodes":[0)MXJ"
    R"MXJ(,2,3],"node_row_ptr":[0,1,2,3,4,6],"heads":[[4,0,0],[4,1,0]],"attrs":{"mxnet_version":["int",10901]})MXJ"
    R"MXJ(})MXJ";

std::vector<std::string> Strs(int n, const char **p) { return std::vector<std::string>(p, p + n); }

TEST(Subgraph, ReadsMXNetJSON) {
  mxc::Symbol s = mxc::Symbol::FromJSON(kMXNetCond);
  EXPECT_EQ(s.ListArguments(), (std::vector<std::string>{"p", "a", "b"}));
  EXPECT_EQ(s.ListOutputs(), (std::vector<std::string>{"_cond0_output0", "_cond0_output1"}));
  const mxc::Node &n = *s.outputs[0].node;
  EXPECT_EQ(n.op->name, "_cond");
  ASSERT_EQ(n.subgraphs.size(), 3u);
  EXPECT_EQ(n.subgraphs[0]->ListArguments(), (std::vector<std::string>{"_greater_scalar0_output"}));
  EXPECT_EQ(n.subgraphs[1]->ListArguments(), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(n.subgraphs[1]->ListOutputs(), (std::vector<std::string>{"_plus0_output", "exp0_output"}));
  EXPECT_EQ(n.subgraphs[2]->outputs.size(), 2u);
  EXPECT_EQ(n.inputs.size(), 3u);
}

TEST(Subgraph, WritesAndRoundTrips) {
  mxc::Symbol s = mxc::Symbol::FromJSON(kMXNetCond);
  std::string text = s.ToJSON();
  EXPECT_EQ(mxc::Symbol::FromJSON(text).ToJSON(), text);
  EXPECT_EQ(s.Copy().ToJSON(), text);
  mxc::json::Value root = mxc::json::Parse(text);
  mxc::json::Value mx = mxc::json::Parse(kMXNetCond);
  const auto &nodes = root.Find("nodes")->AsArray("nodes");
  const auto &mx_nodes = mx.Find("nodes")->AsArray("nodes");
  ASSERT_EQ(nodes.size(), mx_nodes.size());
  const mxc::json::Value &node = nodes[4];
  ASSERT_NE(node.Find("subgraphs"), nullptr);
  const auto &subs = node.Find("subgraphs")->AsArray("subgraphs");
  const auto &mx_subs = mx_nodes[4].Find("subgraphs")->AsArray("subgraphs");
  ASSERT_EQ(subs.size(), 3u);
  for (size_t i = 0; i < subs.size(); ++i) {
    EXPECT_EQ(subs[i].Find("attrs"), nullptr);  // no version attributes inside
    EXPECT_EQ(subs[i].Find("heads")->Dump(), mx_subs[i].Find("heads")->Dump());
    EXPECT_EQ(subs[i].Find("arg_nodes")->Dump(), mx_subs[i].Find("arg_nodes")->Dump());
    EXPECT_EQ(subs[i].Find("node_row_ptr")->Dump(), mx_subs[i].Find("node_row_ptr")->Dump());
  }
  // the node's parameters as MXNet wrote them
  const mxc::json::Value *attrs = node.Find("attrs");
  ASSERT_NE(attrs, nullptr);
  EXPECT_EQ(attrs->Find("num_args")->AsString("num_args"), "6");
  EXPECT_EQ(attrs->Find("then_input_locs")->AsString("then_input_locs"), "[1, 2]");
}

TEST(Subgraph, InferredThroughTheCoreUnroll) {
  MXCSymbolHandle h = nullptr;
  ASSERT_EQ(MXCSymbolCreateFromJSON(kMXNetCond, &h), 0) << MXCGetLastError();
  int n = 0;
  const char **names = nullptr;
  ASSERT_EQ(MXCSymbolListOutputs(h, &n, &names), 0);
  EXPECT_EQ(Strs(n, names), (std::vector<std::string>{"_cond0_output0", "_cond0_output1"}));
  const char *keys[] = {"p", "a", "b"};
  const int ndims[] = {1, 2, 2};
  const int64_t dims[] = {1, 2, 3, 2, 3};
  int c[3];
  const int *nd[3];
  const int64_t *dv[3];
  int complete = 0;
  ASSERT_EQ(MXCSymbolInferShape(h, 3, keys, ndims, dims, 0, &c[0], &nd[0], &dv[0], &c[1], &nd[1], &dv[1], &c[2],
                                &nd[2], &dv[2], &complete),
            0)
      << MXCGetLastError();
  EXPECT_EQ(complete, 1);
  ASSERT_EQ(c[1], 2);
  EXPECT_EQ(std::vector<int64_t>(dv[1], dv[1] + 4), (std::vector<int64_t>{2, 3, 2, 3}));
  MXCSymbolFree(h);
}

TEST(Subgraph, NodeLeftUnrolledIsAClearError) {
  mxc::Symbol s = mxc::Symbol::FromJSON(kMXNetCond);
  std::vector<mxc::TShape> in(3), out(2);
  try {
    s.outputs[0].node->op->infer_shape(s.outputs[0].node->params, &in, &out);
    FAIL() << "expected an error";
  } catch (const mxc::Error &e) {
    std::string what = e.what();
    EXPECT_NE(what.find("_cond"), std::string::npos) << what;
    EXPECT_NE(what.find("unrolled"), std::string::npos) << what;
  }
}

TEST(Subgraph, BadSubgraphNamesTheNode) {
  std::string bad = kMXNetCond;
  bad.replace(bad.find("\"exp\""), 5, "\"nope\"");
  try {
    mxc::Symbol::FromJSON(bad);
    FAIL() << "expected an error";
  } catch (const mxc::Error &e) {
    std::string what = e.what();
    EXPECT_NE(what.find("_cond0"), std::string::npos) << what;
    EXPECT_NE(what.find("subgraph"), std::string::npos) << what;
    EXPECT_NE(what.find("nope"), std::string::npos) << what;
  }
}

}  // namespace
