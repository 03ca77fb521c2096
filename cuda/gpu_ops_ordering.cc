// GPU kernels of cuda/ordering.cu (kernels_ordering.cuh) for topk, sort and argsort: see RegisterOrderingKernels in
// cuda/gpu_ops.h. The shapes and parameters were checked by the operators' inference (core/ops/ordering.cc); float16
// arrays reach the kernels as float32 copies (float16.cc: the dtype check below comes before any work).
#include <string>

#include "device.h"
#include "gpu_device.h"
#include "gpu_ops.h"
#include "kernels.cuh"
#include "kernels_ordering.cuh"
#include "operator.h"
#include "ops/ordering.h"

namespace mxc {
namespace gpu {

namespace {

using op::OrderRet;

bool KernelDtype(int t) { return IsReal(t) || IsInt(t); }

// float16 (or any dtype the kernels do not take): a TypeError before any work, so that the call runs through
// float32 copies.
void CheckDtypes(const OpParams &p, const Blobs &blobs) {
  for (const auto &b : blobs)
    if (b.dptr && !KernelDtype(b.dtype))
      Throw(ErrorKind::kType, "operator ", p.op()->name, ": the GPU kernel does not take dtype ", DTypeName(b.dtype));
}

void OrderFwd(FWD_ARGS) {
  Blobs all = in;
  all.insert(all.end(), out.begin(), out.end());
  CheckDtypes(p, all);
  const op::OrderCfg c = op::OrderCfgOf(p);
  const op::OrderPlan s = op::OrderPlanOf(p, in[0].shape);
  const TBlob &x = in[0];
  const int64_t rows = s.outer * s.inner;
  Scratch perm(Dev(ctx), static_cast<size_t>(rows * s.n) * sizeof(int64_t) + sizeof(int64_t));
  Scratch tmp(Dev(ctx), static_cast<size_t>(rows * s.n) * sizeof(int64_t) + sizeof(int64_t));
  cuda::OrderRows(x.dtype, x.dptr, s.outer, s.n, s.inner, c.ascend, perm.as<int64_t>(), tmp.as<int64_t>(), St(ctx));
  switch (c.ret) {
    case OrderRet::kMask:
      cuda::OrderMask(x.dtype, perm.as<int64_t>(), s.outer, s.n, s.inner, s.k, out[0].dptr, req[0], St(ctx));
      break;
    case OrderRet::kIndices:
      cuda::OrderGather(x.dtype, x.dptr, perm.as<int64_t>(), s.outer, s.n, s.inner, s.k, nullptr, 0, out[0].dtype,
                        out[0].dptr, req[0], St(ctx));
      break;
    case OrderRet::kValue:
    case OrderRet::kBoth:
      cuda::OrderGather(x.dtype, x.dptr, perm.as<int64_t>(), s.outer, s.n, s.inner, s.k, out[0].dptr, req[0],
                        out[1].dtype, out[1].dptr, req[1], St(ctx));
      break;
  }
  CheckLaunch(p.op()->name.c_str());
}

// topk 'value'/'both' and sort: the head gradient of the values back to their positions (the second output);
// the other calls: zero.
void OrderBwd(BWD_ARGS) {
  (void)id;
  if (req[0] == kNullOp) return;
  const OrderRet ret = op::OrderCfgOf(p).ret;
  const TBlob &g = ig[0];
  const bool scatter = ret == OrderRet::kValue || ret == OrderRet::kBoth;
  Blobs all = {g};
  if (scatter) all.insert(all.end(), {og[0], od[1]});
  CheckDtypes(p, all);
  const op::OrderPlan s = op::OrderPlanOf(p, g.shape);
  if (scatter)
    cuda::OrderScatterGrad(g.dtype, og[0].dptr, od[1].dtype, od[1].dptr, s.outer, s.n, s.inner, s.k, g.dptr, req[0],
                           St(ctx));
  else
    cuda::OrderScatterGrad(g.dtype, nullptr, kInt64, nullptr, s.outer, s.n, s.inner, 0, g.dptr, req[0], St(ctx));
  CheckLaunch((p.op()->name + " backward").c_str());
}

}  // namespace

void RegisterOrderingKernels() {
  for (const char *name : {"topk", "sort", "argsort"}) Set(name, OrderFwd, OrderBwd);
}

}  // namespace gpu
}  // namespace mxc
