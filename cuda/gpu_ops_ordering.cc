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
#include "ops/op_util.h"

namespace mxc {
namespace gpu {

namespace {

enum class Ret { kValue, kIndices, kMask, kBoth };

Ret RetOf(const OpParams &p) {
  const std::string &name = p.op()->name;
  if (name == "sort") return Ret::kValue;
  if (name == "argsort") return Ret::kIndices;
  const std::string &r = p.Str("ret_typ");
  return r == "value" ? Ret::kValue : r == "mask" ? Ret::kMask : r == "both" ? Ret::kBoth : Ret::kIndices;
}

// The data as (outer, n, inner) rows along the axis (None: flattened), and the k first ordered elements kept.
struct Plan {
  int64_t outer = 1, n = 1, inner = 1, k = 1;
};
Plan PlanOf(const OpParams &p, const TShape &d) {
  Plan s;
  if (p.IsNone("axis")) {
    s.n = ShapeSize(d);
  } else {
    const int64_t a = p.Int("axis");
    op::AxisSplit sp = op::SplitAt(d, static_cast<int>(a < 0 ? a + d.ndim() : a));
    s.outer = sp.outer, s.n = sp.n, s.inner = sp.inner;
  }
  s.k = s.n;
  if (p.op()->name == "topk" && p.Int("k") > 0) s.k = p.Int("k");
  return s;
}

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
  const Ret ret = RetOf(p);
  const bool ascend = p.Bool("is_ascend");
  const Plan s = PlanOf(p, in[0].shape);
  const TBlob &x = in[0];
  const int64_t rows = s.outer * s.inner;
  Scratch perm(Dev(ctx), static_cast<size_t>(rows * s.n) * sizeof(int64_t) + sizeof(int64_t));
  Scratch tmp(Dev(ctx), static_cast<size_t>(rows * s.n) * sizeof(int64_t) + sizeof(int64_t));
  cuda::OrderRows(x.dtype, x.dptr, s.outer, s.n, s.inner, ascend, perm.as<int64_t>(), tmp.as<int64_t>(), St(ctx));
  switch (ret) {
    case Ret::kMask:
      cuda::OrderMask(x.dtype, perm.as<int64_t>(), s.outer, s.n, s.inner, s.k, out[0].dptr, req[0], St(ctx));
      break;
    case Ret::kIndices:
      cuda::OrderGather(x.dtype, x.dptr, perm.as<int64_t>(), s.outer, s.n, s.inner, s.k, nullptr, 0, out[0].dtype,
                        out[0].dptr, req[0], St(ctx));
      break;
    case Ret::kValue:
    case Ret::kBoth:
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
  const Ret ret = RetOf(p);
  const TBlob &g = ig[0];
  const bool scatter = ret == Ret::kValue || ret == Ret::kBoth;
  Blobs all = {g};
  if (scatter) all.insert(all.end(), {og[0], od[1]});
  CheckDtypes(p, all);
  const Plan s = PlanOf(p, g.shape);
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
