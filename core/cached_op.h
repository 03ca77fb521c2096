// CachedOp (MXNet's name): a symbol prepared once to be run on arrays many times, the engine of Gluon's
// hybridize(). The graph is sorted and its values numbered at creation; each Forward replays the operator nodes in
// that order through the imperative path (Invoke, pushing each kernel on the engine), so that a forward while
// autograd records puts every node on the tape exactly as the same calls made one by one would, and training mode
// (Dropout, BatchNorm) follows the thread's flag as imperative calls do.
#pragma once

#include <string>
#include <vector>

#include "autograd.h"
#include "ndarray.h"
#include "symbol.h"

namespace mxc {

class CachedOp {
 public:
  // The graph must be composed; its inputs are taken in ListInputs order.
  explicit CachedOp(const Symbol &sym);

  size_t num_inputs() const { return input_names_.size(); }
  size_t num_outputs() const { return out_slots_.size(); }
  const std::vector<std::string> &input_names() const { return input_names_; }

  // Runs the graph on inputs (one per input, all on one device). in_entries: empty, or one per input (null: outside
  // the autograd graph). Sets *outputs and, while recording, *out_entries (one per output). Errors name the node,
  // its operator and its input shapes; errors inside kernels surface at the next wait on an output.
  void Forward(const std::vector<NDArray> &inputs, const std::vector<const autograd::Entry *> &in_entries,
               std::vector<NDArray> *outputs, std::vector<autograd::Entry> *out_entries) const;

 private:
  struct Step {
    NodePtr node;
    std::vector<uint32_t> in_slots;  // value slot of each input
    uint32_t first_out = 0;          // slot of the node's first visible output (the others follow)
  };
  std::vector<std::string> input_names_;  // slots 0..n-1
  std::vector<Step> steps_;
  std::vector<uint32_t> out_slots_;
  uint32_t num_slots_ = 0;
};

}  // namespace mxc
