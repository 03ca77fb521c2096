// Imperative automatic differentiation (MXNet's autograd): while recording, every operator call whose inputs come
// from marked variables is kept on a tape (the operator, its parameters, the arrays its backward reads); Backward
// walks the tape from the heads in reverse order and runs each operator's registered gradient kernel on the engine,
// as the executor does for a symbol.
//
// The tape is a graph of reference-counted nodes: an array handle in the graph holds its node, a node holds the
// nodes of its inputs. What nothing refers to any more is freed; Backward frees the nodes it walked unless asked to
// retain them (then backward may run again).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "ndarray.h"
#include "operator.h"

namespace mxc {
namespace autograd {

struct Node;

// Where an array comes from in the graph: output `index` of `node`. Empty for arrays outside the graph.
struct Entry {
  std::shared_ptr<Node> node;
  uint32_t index = 0;
  // In the graph: a variable, or an operator's output whose node has not been freed by a backward.
  bool Live() const;
  bool IsVariable() const;
};

// Recording and training mode of the calling thread (both off at start). Set* return the previous value.
bool IsRecording();
bool IsTraining();
bool SetRecording(bool on);
bool SetTraining(bool on);

// Makes `var` a variable of the graph: its entry becomes a new variable node whose gradient goes into `grad`
// (same shape, dtype and device as var) by `req` (kNullOp: none; kWriteTo; kAddTo).
void MarkVariable(Entry *entry, const NDArray &var, const NDArray &grad, OpReq req);
// The gradient array of a variable entry (none for other entries).
NDArray GradOf(const Entry &entry);
// Whether a backward has written the variable's gradient since the flag was last cleared (MXNet's fresh_grad:
// Gluon's Trainer refuses stale gradients). False for other entries; setting it on them is a ValueError.
bool FreshGrad(const Entry &entry);
void SetFreshGrad(const Entry &entry, bool fresh);

// After an imperative call of op: records it when recording is on and an input is in the graph. in_entries: one per
// input (null or empty: outside the graph); outputs: every output, hidden ones included; out_entries: the entries
// of the caller's output handles (the visible outputs), set to the new node.
void Record(const Op *op, const OpParams &params, const std::vector<const Entry *> &in_entries,
            const std::vector<NDArray> &inputs, const std::vector<NDArray> &outputs,
            const std::vector<Entry *> &out_entries);

// Checks that an array about to be written by an operator call while recording is not in the graph (a ValueError
// with MXNet's advice otherwise).
void CheckWritable(const Entry &out, const char *what);

// Backward from heads (entries with their arrays). head_grads: empty, or one per head (none: ones, or ignored for a
// loss output). variables empty: gradients go into the marked variables' gradient arrays by their requests, and
// variables the heads do not reach keep theirs. variables given (autograd.grad): their gradients are returned in
// *grads (zeros where not reached) and no gradient array is written. The walked nodes are freed unless
// retain_graph. is_train: the training mode the gradient kernels see.
void Backward(const std::vector<Entry> &heads, const std::vector<NDArray> &head_arrays,
              const std::vector<NDArray> &head_grads, const std::vector<Entry> &variables, bool retain_graph,
              bool is_train, std::vector<NDArray> *grads);

}  // namespace autograd
}  // namespace mxc
