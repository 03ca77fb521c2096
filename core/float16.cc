// float16 through float32: the wrappers the registry puts around every operator's inference and kernels (see
// operator.h). Kernels are written for the dtypes with arithmetic; float16 arrays reach them as float32 copies made
// on the call's device (by the registered `_copy` kernel of that device, which converts), and the results are
// rounded back to float16 once. This is what MXNet's CPU kernels do for float16 (they compute in float32), and what
// NumPy does for a float16 operation.
#include <atomic>
#include <exception>
#include <vector>

#include "ndarray.h"
#include "operator.h"
#include "storage.h"

namespace mxc {
namespace {

std::atomic<int64_t> g_staged{0};

bool HasHalf(const std::vector<int> &v) {
  for (int t : v)
    if (t == kFloat16) return true;
  return false;
}
bool HasHalf(const std::vector<TBlob> &v) {
  for (const auto &b : v)
    if (b.dtype == kFloat16) return true;
  return false;
}

// An add request onto a float16 array: kernels that take float16 only move it (no arithmetic), so it is staged.
bool AddsToHalf(const std::vector<OpReq> &req, const std::vector<TBlob> &out) {
  for (size_t i = 0; i < out.size() && i < req.size(); ++i)
    if (req[i] == kAddTo && out[i].dtype == kFloat16) return true;
  return false;
}

// Whether the operator has a dtype parameter (`dtype`, `out_dtype`, ...), and whether one names a dtype in this call
// (its value is not None): the outputs then have the dtypes the operator says.
bool HasDtypeParam(const Op *op) {
  for (const auto &ps : op->params)
    if (ps.kind == ParamKind::kDType) return true;
  return false;
}
bool DtypeParamSet(const OpParams &p) {
  if (!p.op()) return false;
  for (const auto &ps : p.op()->params)
    if (ps.kind == ParamKind::kDType && !p.IsNone(ps.name.c_str())) return true;
  return false;
}

// v with `to` in place of every float16.
std::vector<int> HalfAs(std::vector<int> v, int to) {
  for (int &t : v)
    if (t == kFloat16) t = to;
  return v;
}

// Runs f on float32 in place of float16; maps the result back (see operator.h).
void InferThroughFloat32(const FInferType &f, const OpParams &p, std::vector<int> *in, std::vector<int> *out) {
  std::vector<int> in32 = HalfAs(*in, kFloat32), out32 = HalfAs(*out, kFloat32);
  f(p, &in32, &out32);
  const bool outputs_as_said = DtypeParamSet(p);
  auto back = [](const std::vector<int> &orig, std::vector<int> *r, bool keep_f32) {
    for (size_t i = 0; i < orig.size(); ++i) {
      if (orig[i] == kFloat16) {
        if ((*r)[i] != kFloat32) return false;  // the function wants another dtype there
        (*r)[i] = kFloat16;
      } else if (orig[i] < 0 && (*r)[i] == kFloat32 && !keep_f32) {
        (*r)[i] = kFloat16;
      }
    }
    return true;
  };
  if (!back(*in, &in32, false) || !back(*out, &out32, outputs_as_said))
    Throw(ErrorKind::kType, "float16 cannot stand in for float32 here");
  *in = std::move(in32);
  *out = std::move(out32);
}

// A call mixing float16 with float32 that float32 in float16's place made acceptable: the mix stands only where the
// operator takes mixed dtypes (BatchNorm's float32 parameters, float32 indices), which the same call with float64 in
// float16's place shows. Where the operator wants one dtype (elemwise_add's lhs and rhs, FullyConnected's data and
// weight) it is a dtype mismatch naming the first floating slot that differs, as in MXNet: float16 and float32 are
// never mixed silently.
void CheckFloat16Mix(const FInferType &f, const OpParams &p, const std::vector<int> &in, const std::vector<int> &out) {
  bool f32 = false;
  for (const auto *v : {&in, &out})
    for (int t : *v) f32 = f32 || t == kFloat32;
  if (!f32) return;
  std::vector<int> in64 = HalfAs(in, kFloat64), out64 = HalfAs(out, kFloat64);
  try {
    f(p, &in64, &out64);
    return;
  } catch (const Error &e) {
    if (e.kind() != ErrorKind::kType) return;
  }
  const Op *op = p.op();
  const auto names = op ? op->InputNames(p) : std::vector<std::string>();
  int acc = -1;
  for (size_t i = 0; i < in.size() + out.size(); ++i) {
    const int t = i < in.size() ? in[i] : out[i - in.size()];
    if (t != kFloat16 && t != kFloat32) continue;
    TypeMerge(&acc, t, op, i < in.size() ? (i < names.size() ? names[i] : "input") : "output");  // throws
  }
}

// Every dtype float16 or unknown (at least one float16), in an operator whose answer cannot depend on a dtype
// parameter: whether its inference takes that is the same for every call (Op::float16_native).
bool Memoizable(const OpParams &p, const std::vector<int> &in, const std::vector<int> &out) {
  bool half = false;
  for (const auto *v : {&in, &out})
    for (int t : *v) {
      if (t == kFloat16) half = true;
      else if (t >= 0) return false;
    }
  return half && p.op() && !HasDtypeParam(p.op());
}

// Would the operator's registered inference take these dtypes as they are? Without a registered inference
// (SameTypeInfer: any one dtype) the operator only moves data.
bool TakesAsIs(const OpParams &p, const std::vector<int> &in_types, const std::vector<int> &out_types) {
  const Op *op = p.op();
  if (!op || !op->infer_type_native) return true;
  const bool memo = Memoizable(p, in_types, out_types);
  if (memo && op->float16_native.load(std::memory_order_relaxed) != 0)
    return op->float16_native.load(std::memory_order_relaxed) == 1;
  std::vector<int> in = in_types, out = out_types;
  bool takes;
  try {
    op->infer_type_native(p, &in, &out);
    takes = in == in_types && out == out_types;
  } catch (const Error &e) {
    if (e.kind() != ErrorKind::kType) throw;
    takes = false;
  }
  if (memo) op->float16_native.store(takes ? 1 : 2, std::memory_order_relaxed);
  return takes;
}

std::vector<int> Types(const std::vector<TBlob> &v) {
  std::vector<int> r;
  r.reserve(v.size());
  for (const auto &b : v) r.push_back(b.dtype);
  return r;
}

// float32 copies of float16 blobs on the call's device, freed (stream-ordered on a GPU) when done.
class Staging {
 public:
  explicit Staging(const OpContext &ctx) : ctx_(ctx) {
    const Op *copy = OpRegistry::Get()->Find("_copy");
    auto it = copy ? copy->kernel.find(ctx.dev.type) : std::map<int, FCompute>::const_iterator();
    MXC_CHECK(copy && it != copy->kernel.end(), ErrorKind::kInternal, "float16: no conversion kernel on ",
              DeviceStr(ctx.dev));
    convert_ = &it->second;
    static const OpParams kNoParams(copy, {});
    copy_params_ = &kNoParams;
  }
  ~Staging() {
    for (auto &m : mem_) {
      if (m.first.type == MXC_CPU) storage::CPUFree(m.second.first, m.second.second);
      else DeviceFree(m.first, m.second.first, m.second.second);
    }
  }
  Staging(const Staging &) = delete;
  Staging &operator=(const Staging &) = delete;

  // The float32 stand-in of b (b itself when it is not float16); load: convert b's values into it.
  TBlob Stand(const TBlob &b, bool load) {
    if (b.dtype != kFloat16) return b;
    TBlob r = b;
    r.dtype = kFloat32;
    if (!b.dptr) return r;
    size_t bytes = static_cast<size_t>(b.Size()) * sizeof(float);
    // CPU: the storage pool (memory already faulted in); GPU: the device's caching allocator (stream-ordered).
    r.dptr = b.dev.type == MXC_CPU ? storage::CPUAlloc(bytes) : DeviceAlloc(b.dev, bytes);
    mem_.push_back({b.dev, {r.dptr, bytes}});
    if (load) Convert(b, r);
    return r;
  }
  // Stand-ins of the outputs (loaded for add requests; write-in-place becomes write: they never share storage) and
  // their requests.
  void StandOutputs(const std::vector<TBlob> &out, const std::vector<OpReq> &req, std::vector<TBlob> *out32,
                    std::vector<OpReq> *req32) {
    *req32 = req;
    for (size_t i = 0; i < out.size(); ++i) {
      if ((*req32)[i] == kWriteInplace) (*req32)[i] = kWriteTo;
      out32->push_back(Stand(out[i], req[i] == kAddTo));
    }
  }
  // The float16 outputs written, from their stand-ins.
  void StoreOutputs(const std::vector<TBlob> &out32, const std::vector<OpReq> &req, const std::vector<TBlob> &out) {
    for (size_t i = 0; i < out.size(); ++i)
      if (out[i].dtype == kFloat16 && req[i] != kNullOp) Convert(out32[i], out[i]);
  }
  // dst = src converted to dst's dtype.
  void Convert(const TBlob &src, const TBlob &dst) {
    if (!src.dptr || src.Size() == 0) return;
    (*convert_)(ctx_, *copy_params_, {src}, {kWriteTo}, {dst});
  }

 private:
  const OpContext &ctx_;
  const FCompute *convert_ = nullptr;
  const OpParams *copy_params_ = nullptr;
  std::vector<std::pair<Device, std::pair<void *, size_t>>> mem_;
};

}  // namespace

int64_t Float16StagedCalls() { return g_staged.load(); }

FInferType Float16InferType(FInferType f) {
  if (!f) return f;
  return [f](const OpParams &p, std::vector<int> *in, std::vector<int> *out) {
    if (!HasHalf(*in) && !HasHalf(*out)) return f(p, in, out);
    const bool memo = Memoizable(p, *in, *out);
    const int known = memo ? p.op()->float16_native.load(std::memory_order_relaxed) : 0;
    if (known == 1) return f(p, in, out);
    std::vector<int> in0 = *in, out0 = *out;
    if (known == 2) {  // straight through float32; on failure, the error of the call as made
      try {
        return InferThroughFloat32(f, p, in, out);
      } catch (const Error &) {
        *in = in0;
        *out = out0;
        f(p, in, out);
        throw;
      }
    }
    try {
      f(p, in, out);
      if (memo) p.op()->float16_native.store(1, std::memory_order_relaxed);
      return;
    } catch (const Error &e) {
      if (e.kind() != ErrorKind::kType) throw;
      std::exception_ptr first = std::current_exception();
      *in = in0;
      *out = out0;
      try {
        InferThroughFloat32(f, p, in, out);
        if (memo) p.op()->float16_native.store(2, std::memory_order_relaxed);
      } catch (const Error &) {
        *in = in0;
        *out = out0;
        std::rethrow_exception(first);  // the error of the call as made
      }
      if (!memo) {
        try {
          CheckFloat16Mix(f, p, in0, out0);
        } catch (const Error &) {
          *in = in0;
          *out = out0;
          throw;
        }
      }
    }
  };
}

FCompute Float16Compute(FCompute f) {
  return [f](const OpContext &ctx, const OpParams &p, const std::vector<TBlob> &in, const std::vector<OpReq> &req,
             const std::vector<TBlob> &out) {
    if (!HasHalf(in) && !HasHalf(out)) return f(ctx, p, in, req, out);
    if (!AddsToHalf(req, out) && TakesAsIs(p, Types(in), Types(out))) {
      try {
        return f(ctx, p, in, req, out);
      } catch (const Error &e) {
        // A kernel that rejects the float16 its inference took: the dtype check comes before any write, so the
        // call runs again through float32.
        if (e.kind() != ErrorKind::kType) throw;
      }
    }
    g_staged++;
    Staging st(ctx);
    std::vector<TBlob> in32, out32;
    std::vector<OpReq> req32;
    for (const auto &b : in) in32.push_back(st.Stand(b, true));
    st.StandOutputs(out, req, &out32, &req32);
    f(ctx, p, in32, req32, out32);
    st.StoreOutputs(out32, req, out);
    // Inputs the operator writes (optimizer and auxiliary states).
    if (p.op())
      for (int m : p.op()->MutateInputs(p))
        if (m < static_cast<int>(in.size()) && in[m].dtype == kFloat16) st.Convert(in32[m], in[m]);
  };
}

FBackward Float16Backward(FBackward f) {
  return [f](const OpContext &ctx, const OpParams &p, const std::vector<TBlob> &og, const std::vector<TBlob> &id,
             const std::vector<TBlob> &od, const std::vector<OpReq> &req, const std::vector<TBlob> &ig) {
    if (!HasHalf(og) && !HasHalf(id) && !HasHalf(od) && !HasHalf(ig)) return f(ctx, p, og, id, od, req, ig);
    // Always staged: gradients accumulate (scatter-adds, reductions) even where the forward only moves data.
    g_staged++;
    Staging st(ctx);
    std::vector<TBlob> og32, id32, od32, ig32;
    std::vector<OpReq> req32;
    for (const auto &b : og) og32.push_back(st.Stand(b, true));
    for (const auto &b : id) id32.push_back(st.Stand(b, true));
    for (const auto &b : od) od32.push_back(st.Stand(b, true));
    st.StandOutputs(ig, req, &ig32, &req32);
    f(ctx, p, og32, id32, od32, req32, ig32);
    st.StoreOutputs(ig32, req, ig);
  };
}

}  // namespace mxc
