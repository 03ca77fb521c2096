// Symbolic graphs: nodes (an operator or a variable) connected by their outputs, and symbols (lists of outputs).
//
// Naming follows MXNet 1.x: a node is named by Compose's name or, without one, by a hint (the operator name as used,
// lowercased) and a per-hint counter ("_plus0", "fullyconnected1"); its outputs are "<node>_output" (or
// "<node>_output<i>" / the operator's own output names); inputs left unconnected become variables "<node>_<input>".
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "operator.h"

namespace mxc {

struct Node;
using NodePtr = std::shared_ptr<Node>;
class Symbol;

// One output of a node.
struct NodeEntry {
  NodePtr node;
  uint32_t index = 0;
  bool operator==(const NodeEntry &o) const { return node == o.node && index == o.index; }
};

struct Node {
  const Op *op = nullptr;  // nullptr: a variable
  std::string name;
  OpParams params;                           // operator parameters (op nodes)
  std::map<std::string, std::string> attrs;  // other attributes (__shape__, __dtype__, __init__, lr_mult, ...)
  std::vector<NodeEntry> inputs;
  bool composed = false;  // op nodes: inputs are connected
  std::string hint;       // op nodes: the operator name as used at creation (for automatic names)
  bool auto_num_args = false;  // variadic op nodes: the count parameter is to be taken from Compose
  // Subgraphs of a control-flow node (_foreach: the body; _while_loop: cond, func; _cond: pred, then, else), as in
  // MXNet's JSON "subgraphs"; kept and written as they are (core/subgraph_unroll.h unrolls such nodes to bind them).
  std::vector<std::shared_ptr<const Symbol>> subgraphs;

  bool is_variable() const { return op == nullptr; }
  uint32_t num_outputs() const;          // all outputs, hidden ones included
  uint32_t num_visible_outputs() const;  // outputs a symbol may refer to
  // Name of output i as listed by ListOutputs ("fc1_output", "data" for a variable).
  std::string OutputName(uint32_t i) const;
  // Indices of inputs that are auxiliary states (the operator's last num_aux inputs).
  bool InputIsAux(size_t i) const;
};

// Visits each node reachable from heads once, in depth-first post order (inputs in order before the node).
void DFSVisit(const std::vector<NodeEntry> &heads, const std::function<void(const NodePtr &)> &fn);

// The next automatic name for a hint: "<hint><counter>" with one counter per hint for the whole process.
std::string AutoName(const std::string &hint);

class Symbol {
 public:
  std::vector<NodeEntry> outputs;

  static Symbol Variable(const std::string &name);
  // An operator node with parameters and no inputs yet (connect them with Compose).
  static Symbol Atomic(const Op *op, const std::vector<std::pair<std::string, std::string>> &params,
                       const std::string &used_name);
  static Symbol Group(const std::vector<Symbol> &syms);

  // Atomic symbol: connects its node to args (positional when keys is empty, else by input name); inputs not given
  // become variables "<name>_<input>"; an empty name is replaced by an automatic one. A variadic operator whose count
  // parameter was not given takes it from the number of args.
  // Composed graph: replaces its arguments (by name with keys, else in ListArguments order) by args, in a copy.
  void Compose(const std::vector<Symbol> &args, const std::vector<std::string> &keys, const std::string &name);

  Symbol Copy() const;  // a deep copy (new nodes)
  Symbol GetOutput(size_t i) const;
  Symbol GetInternals() const;
  // The inputs of the head node(s); false when there are none (variables).
  bool GetChildren(Symbol *out) const;

  // Variable nodes in depth-first order, split into arguments and auxiliary states.
  void InputNodes(std::vector<NodePtr> *args, std::vector<NodePtr> *aux) const;
  std::vector<std::string> ListArguments() const;
  std::vector<std::string> ListAuxiliaryStates() const;
  std::vector<std::string> ListInputs() const;
  std::vector<std::string> ListOutputs() const;

  bool GetName(std::string *out) const;
  bool GetAttr(const std::string &key, std::string *out) const;
  void SetAttr(const std::string &key, const std::string &value);
  // Parameters and attributes of the head node, or of every node as ("<node>$<key>", value) when recursive.
  std::vector<std::pair<std::string, std::string>> ListAttr(bool recursive) const;

  std::string ToJSON() const;
  static Symbol FromJSON(const std::string &json);
  // MXNet's debug_str layout.
  std::string Print() const;

  // Throws a ValueError when an operator node is not composed yet.
  void CheckComposed() const;
};

// Parameters and attributes of a node, in the order of the JSON "attrs" object (parameters first).
std::vector<std::pair<std::string, std::string>> NodeAttrList(const Node &n);

}  // namespace mxc
