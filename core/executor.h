// Executors: a symbol bound to arrays, run forward and backward as one engine operation each, with every internal
// value (intermediate results, gradients of intermediate results) placed by the memory planner.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "graph.h"
#include "ndarray.h"
#include "symbol.h"

namespace mxc {

struct ExecState;   // the bound graph and its storage; shared with work pushed to the engine
struct MemoryPool;  // storage blocks an executor lends to executors bound with it as shared_exec

class GraphExecutor {
 public:
  // args/grads: one per argument (ListArguments order); a grad that is none, or a req of kNullOp, means no gradient.
  // aux: one per auxiliary state. shared (may be null) lends its memory pool.
  static std::shared_ptr<GraphExecutor> Bind(const Symbol &sym, const Device &dev, const std::vector<NDArray> &args,
                                             const std::vector<NDArray> &grads, const std::vector<OpReq> &reqs,
                                             const std::vector<NDArray> &aux, const GraphExecutor *shared);
  ~GraphExecutor();

  void Forward(bool is_train);
  // head_grads: empty, or one per output (none entries allowed for outputs that need no head gradient).
  void Backward(const std::vector<NDArray> &head_grads);

  const std::vector<NDArray> &outputs() const;
  void MemoryStats(int64_t *planned, int64_t *unplanned) const;
  std::string Print() const;

 private:
  GraphExecutor() = default;
  std::shared_ptr<ExecState> st_;
  std::shared_ptr<MemoryPool> pool_;
  std::string symbol_print_;
  bool forwarded_ = false;
};

}  // namespace mxc
