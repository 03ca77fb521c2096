// What topk, sort and argsort return and the rows they order, shared with their GPU kernels
// (cuda/gpu_ops_ordering.cc), so that both devices read the operators' parameters the same way.
#pragma once

#include "operator.h"

namespace mxc {
namespace op {

enum class OrderRet { kValue, kIndices, kMask, kBoth };

// One call's ordering, from the operator and its parameters: sort returns values, argsort indices, topk ret_typ.
struct OrderCfg {
  OrderRet ret = OrderRet::kIndices;
  bool ascend = true;
};
OrderCfg OrderCfgOf(const OpParams &p);

// The data as rows of n elements along the axis: (outer, n, inner), and the k first of each ordered row that are
// kept. axis None: the flattened input (axis -1 here). A topk k larger than the axis is a ShapeError.
struct OrderPlan {
  int64_t outer = 1, n = 1, inner = 1, k = 1;
  int axis = -1;
};
OrderPlan OrderPlanOf(const OpParams &p, const TShape &data);

}  // namespace op
}  // namespace mxc
