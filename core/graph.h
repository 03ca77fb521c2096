// Graph passes over a symbol: an indexed view (nodes in topological order, one id per output entry), shape and type
// inference, and the memory planner.
#pragma once

#include <string>
#include <vector>

#include "symbol.h"

namespace mxc {

// Nodes in depth-first post order (a topological order); every node output has an entry id.
class IndexedGraph {
 public:
  explicit IndexedGraph(const std::vector<NodeEntry> &heads);

  size_t num_nodes() const { return nodes_.size(); }
  size_t num_entries() const { return row_ptr_.back(); }
  const Node &node(uint32_t nid) const { return *nodes_[nid]; }
  const NodePtr &node_ptr(uint32_t nid) const { return nodes_[nid]; }
  uint32_t entry_id(uint32_t nid, uint32_t index) const { return row_ptr_[nid] + index; }
  uint32_t entry_id(const NodeEntry &e) const;
  uint32_t node_id(const Node *n) const;
  // Input entry ids of node nid.
  const std::vector<uint32_t> &input_entries(uint32_t nid) const { return inputs_[nid]; }
  // The node producing an entry, and its output index.
  uint32_t entry_node(uint32_t eid) const { return entry_node_[eid]; }
  uint32_t entry_index(uint32_t eid) const { return eid - row_ptr_[entry_node_[eid]]; }
  // Entry ids of the heads.
  const std::vector<uint32_t> &outputs() const { return outputs_; }
  // Variable node ids in order, split into arguments and auxiliary states (as Symbol::InputNodes).
  const std::vector<uint32_t> &arg_nodes() const { return arg_nodes_; }
  const std::vector<uint32_t> &aux_nodes() const { return aux_nodes_; }
  // Readable description of an entry: "fc1_output" / "data".
  std::string EntryName(uint32_t eid) const;

 private:
  std::vector<NodePtr> nodes_;
  std::vector<uint32_t> row_ptr_;
  std::vector<std::vector<uint32_t>> inputs_;
  std::vector<uint32_t> entry_node_;
  std::vector<uint32_t> outputs_;
  std::vector<uint32_t> arg_nodes_, aux_nodes_;
  std::vector<std::pair<const Node *, uint32_t>> ids_;  // sorted by pointer, for node_id
};

// Shape inference to a fixed point, forward and backward through the graph. shapes has one entry per entry id:
// known shapes on entry (ndim 0 = unknown, a dimension 0 = unknown), the inferred ones on return. Variables'
// "__shape__" attributes count as known. A conflict is a ShapeError naming the node, the argument and both shapes.
void InferShapes(const IndexedGraph &g, std::vector<TShape> *shapes);
// The same for dtypes (-1 = unknown); "__dtype__" attributes count as known.
void InferTypes(const IndexedGraph &g, std::vector<int> *types);

// ------------------------------------------------------------------------------------------------------------------
// Memory planning
// ------------------------------------------------------------------------------------------------------------------
// A problem for the planner: values with sizes, and steps (in execution order) that read and write them. Only
// values marked internal are planned; the others (arguments, outputs, gradients of arguments) have their own arrays.
struct MemPlanValue {
  size_t bytes = 0;
  int dtype = 0;
  bool internal = false;
};
struct MemPlanStep {
  std::vector<int> reads;   // value ids read (duplicates allowed)
  std::vector<int> writes;  // value ids written (first write allocates)
  // (read value, written value) pairs that may share storage if the read value has no later reader.
  std::vector<std::pair<int, int>> inplace;
};
struct MemPlan {
  std::vector<int> storage;         // per value: storage id, or -1 (not internal, or never used)
  std::vector<size_t> storage_bytes;  // per storage
  std::vector<int> inplace_of;      // per value: the value it was placed over in place, or -1
  size_t planned_bytes = 0;         // sum of storage_bytes
  size_t unplanned_bytes = 0;       // sum of the sizes of internal values
};
// Simulates lifetimes in step order: a storage whose values' last reader has run is reused for a later value of
// fitting size; in-place pairs share storage. With enable == false every internal value gets its own storage.
MemPlan PlanMemory(const std::vector<MemPlanValue> &values, const std::vector<MemPlanStep> &steps, bool enable);

// MXC_MEMORY_PLAN=0 turns planning off (read at every bind).
bool MemoryPlanningEnabled();

}  // namespace mxc
