// Control flow in the core: a graph pass that unrolls the control-flow nodes of a symbol (_foreach, _while_loop,
// _cond; core/ops/control_flow.cc) into ordinary nodes once the shapes of their inputs are known, and the places
// that apply it (shape and type inference, executor bind, CachedOp), so every binding runs such graphs.
//
// The unrolled program (the semantics the Python binding had):
// - _foreach: each data input is split along axis 0 (split, squeeze_axis), the body is copied once per step with
//   the previous step's states, the per-step outputs are joined by stack;
// - _while_loop: cond and func are copied max_iterations times with a running "still looping" mask (the product of
//   cond's results so far, != 0); loop variables take func's values only while the mask holds (where), step
//   outputs are func's outputs while it holds and zeros after (MXNet leaves those rows undefined);
// - _cond: pred, then and else are all computed and where picks then's or else's outputs by pred != 0.
// The unrolled graph keeps the user's Variable nodes (the same nodes, so the same names); its heads are the
// original heads' values, in order. The user's Symbol is never changed.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "autograd.h"
#include "cached_op.h"
#include "ndarray.h"
#include "symbol.h"

namespace mxc {

// Whether a node reachable from heads has subgraphs (a control-flow node).
bool HasControlFlow(const std::vector<NodeEntry> &heads);

// sym with every control-flow node (nested ones included) unrolled. known: shapes of variables by name (with the
// variables' "__shape__" attributes, they give the loops' lengths). unknown_length > 0: the length used for a
// _foreach whose data length is not known (type inference); else such a loop is a ShapeError naming the node, or,
// with length_unknown non-null, *length_unknown is set and an empty Symbol returned. A bad node (wrong number of
// subgraphs, locs out of range, a subgraph giving the wrong number of outputs) is a ValueError naming the node.
Symbol UnrollControlFlow(const Symbol &sym, const std::map<std::string, TShape> &known, int64_t unknown_length = 0,
                         bool *length_unknown = nullptr);

// For binding: unrolls sym for the shapes of args/aux (in sym's ListArguments / ListAuxiliaryStates order) and
// rewrites the arrays (and grads, reqs) into the unrolled graph's order (arguments it does not read are dropped).
Symbol UnrollForBind(const Symbol &sym, std::vector<NDArray> *args, std::vector<NDArray> *grads,
                     std::vector<OpReq> *reqs, std::vector<NDArray> *aux);

// A CachedOp of a graph with control flow: one CachedOp of the unrolled graph per input shapes, made at the first
// call with those shapes. Inputs in the original graph's ListInputs order.
class ControlFlowCachedOp {
 public:
  explicit ControlFlowCachedOp(const Symbol &sym);
  size_t num_inputs() const { return input_nodes_.size(); }
  size_t num_outputs() const { return sym_.outputs.size(); }
  void Forward(const std::vector<NDArray> &inputs, const std::vector<const autograd::Entry *> &in_entries,
               std::vector<NDArray> *outputs, std::vector<autograd::Entry> *out_entries) const;

 private:
  struct Prepared {
    std::unique_ptr<CachedOp> op;
    std::vector<size_t> order;  // per input of the unrolled graph: its position among the original inputs
  };
  Symbol sym_;
  std::vector<NodePtr> input_nodes_;
  mutable std::mutex mu_;
  mutable std::map<std::string, std::shared_ptr<Prepared>> prepared_;
};

}  // namespace mxc

namespace mxc {

// Shape / type inference of a graph with control flow, on its unrolled graph, the results given in the original
// graph's order (arguments, outputs, auxiliary states; an argument the unrolled graph does not read keeps its known
// value). Shapes: a loop whose length the known shapes do not give leaves every output unknown when partial, else
// is the ShapeError naming the loop. Types: such a loop is unrolled with one step (the dtypes do not depend on it).
void InferShapesUnrolled(const Symbol &sym, const std::map<std::string, TShape> &known, bool partial,
                         std::vector<TShape> *arg, std::vector<TShape> *out, std::vector<TShape> *aux);
void InferTypesUnrolled(const Symbol &sym, const std::map<std::string, int> &known, std::vector<int> *arg,
                        std::vector<int> *out, std::vector<int> *aux);

}  // namespace mxc
