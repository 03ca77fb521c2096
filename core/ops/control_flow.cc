// Control-flow operators of symbolic graphs: _foreach, _while_loop and _cond (MXNet 1.9.1's subgraph operators).
//
// A node of these operators holds its subgraphs (Node::subgraphs: _foreach's body; _while_loop's cond and func;
// _cond's pred, then and else) and the parameters MXNet writes in JSON: num_args (the inputs plus the subgraphs,
// as MXNet counts it), num_outputs, and the positions ("locs") tying the node's inputs to the subgraphs' inputs.
// They are graph nodes only: the core's unroll pass (core/subgraph_unroll.cc) rewrites them, once the input shapes
// are known, into ordinary nodes (unrolled steps) wherever a graph is inferred, bound or prepared (C API infer
// shape/type, executor bind, CachedOp), so that the executor, the memory planner, the GPU kernels and the gradients
// work unchanged. Here they have no kernel, and inference on a node that was not unrolled is an error that says so. They are hidden (not listed by MXCListOps), so the
// generated operator functions and the harnesses walking the registry do not see them.
#include <string>
#include <vector>

#include "../operator.h"

namespace mxc {
namespace {

// The node's inputs: num_args less the subgraphs.
std::vector<std::string> ControlFlowInputs(const OpParams &p, int num_subgraphs) {
  int64_t n = p.Int("num_args") - num_subgraphs;
  MXC_CHECK(n >= 0 && n <= (1 << 20), ErrorKind::kValue, "operator ", p.op()->name, ": num_args (",
            p.Int("num_args"), ") must count the inputs and the ", num_subgraphs, " subgraph(s)");
  std::vector<std::string> names;
  for (int64_t i = 0; i < n; ++i) names.push_back("data" + std::to_string(i));
  return names;
}

void NotExpanded(const OpParams &p) {
  Throw(ErrorKind::kValue, "operator ", p.op()->name,
        ": a control-flow node is unrolled into its steps (core/subgraph_unroll.cc) before shapes or types are "
        "inferred; it cannot be inferred or run as one node unexpanded");
}

Op &ControlFlowOp(Op &op, int num_subgraphs, const char *what) {
  op.describe(what)
      .set_inputs({"data"})
      .set_input_names([num_subgraphs](const OpParams &p) { return ControlFlowInputs(p, num_subgraphs); })
      .add_required_param("num_args", ParamKind::kInt, "number of inputs plus the number of subgraphs")
      .add_required_param("num_outputs", ParamKind::kInt, "number of outputs")
      .set_num_outputs([](const OpParams &p) {
        int64_t n = p.Int("num_outputs");
        MXC_CHECK(n >= 0, ErrorKind::kValue, "operator ", p.op()->name, ": num_outputs must be >= 0, got ", n);
        return n;
      })
      .set_infer_shape([](const OpParams &p, std::vector<TShape> *, std::vector<TShape> *) { NotExpanded(p); })
      .set_infer_type([](const OpParams &p, std::vector<int> *, std::vector<int> *) { NotExpanded(p); })
      .set_hidden();
  return op;
}

}  // namespace

static Op &foreach_op =
    ControlFlowOp(OpRegistry::Get()->Register("_foreach"), 1,
                  "Runs a subgraph (the body) over the slices of its data inputs along axis 0, carrying states.")
        .add_param("num_out_data", ParamKind::kInt, "0", "number of per-step outputs (the rest are the states)")
        .add_param("in_data_locs", ParamKind::kString, "[]", "positions of the data slices among the body's inputs")
        .add_param("in_state_locs", ParamKind::kString, "[]", "positions of the states among the body's inputs")
        .add_param("remain_locs", ParamKind::kString, "[]", "positions of the other inputs among the body's inputs");

static Op &while_loop_op =
    ControlFlowOp(OpRegistry::Get()->Register("_while_loop"), 2,
                  "Runs a subgraph (func) while another (cond) gives true, at most max_iterations times.")
        .add_param("num_out_data", ParamKind::kInt, "0", "number of per-step outputs (the rest are the loop vars)")
        .add_param("max_iterations", ParamKind::kInt, "0", "the most steps; the step outputs have as many rows")
        .add_param("cond_input_locs", ParamKind::kString, "[]", "positions of cond's inputs among the node's inputs")
        .add_param("func_input_locs", ParamKind::kString, "[]", "positions of func's inputs among the node's inputs")
        .add_param("func_var_locs", ParamKind::kString, "[]", "positions of the loop vars among func's inputs");

static Op &cond_op =
    ControlFlowOp(OpRegistry::Get()->Register("_cond"), 3,
                  "Gives the outputs of one subgraph (then) or another (else) as a third (pred) gives true or not.")
        .add_param("cond_input_locs", ParamKind::kString, "[]", "positions of pred's inputs among the node's inputs")
        .add_param("then_input_locs", ParamKind::kString, "[]", "positions of then's inputs among the node's inputs")
        .add_param("else_input_locs", ParamKind::kString, "[]", "positions of else's inputs among the node's inputs");

}  // namespace mxc
