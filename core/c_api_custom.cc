// Custom operators: the registry's operator "Custom" and the C API through which a language binding registers the
// callbacks of each op_type (MXNet's CustomOp/CustomOpProp). See mxc.h's "Custom operators" for the contract.
//
// The operator is an ordinary registry operator: shape/type inference and the kernels call the callbacks of the
// op_type named in the call's parameters, so imperative calls, executors, cached operators and autograd run it with
// no special case. Its kernels run as engine work once the inputs are computed, and hand the callback host copies
// with engine variables of their own: the engine runs the callback's operators on those at once, on the callback's
// thread (engine.h: work whose vars are free runs inside Push), so the callback never waits for the engine while
// the engine waits for it. That costs a copy of each array; it also makes a GPU operator host-staged for free.
#include <cstring>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "c_api_common.h"
#include "device.h"
#include "operator.h"

namespace mxc {
namespace {

using Callbacks = std::shared_ptr<const MXCCustomOpCallbacks>;

std::mutex g_custom_mu;
std::map<std::string, Callbacks> &CustomRegistry() {
  static auto *m = new std::map<std::string, Callbacks>();
  return *m;
}

thread_local std::string tls_callback_error;  // set by MXCCustomOpSetError inside a failing callback

// One call's view of its parameters: the op_type's callbacks and the other parameters as C strings.
struct CustomCall {
  std::string op_type;
  Callbacks cb;
  std::vector<const char *> keys, vals;

  explicit CustomCall(const OpParams &p) {
    for (auto &kv : p.raw()) {
      if (kv.first == "op_type") {
        op_type = kv.second;
      } else {
        keys.push_back(kv.first.c_str());
        vals.push_back(kv.second.c_str());
      }
    }
    std::lock_guard<std::mutex> lk(g_custom_mu);
    auto it = CustomRegistry().find(op_type);
    if (it == CustomRegistry().end())
      Throw(ErrorKind::kValue, "operator Custom: Cannot find custom operator '", op_type,
            "' (op_type not registered)");
    cb = it->second;
  }
  int n() const { return static_cast<int>(keys.size()); }

  // Turns a callback's failure into an Error naming the op_type (the callback's kind kept).
  void Check(int rc, const char *what) const {
    if (rc == 0) return;
    std::string msg = tls_callback_error.empty() ? std::string("the callback failed") : tls_callback_error;
    tls_callback_error.clear();
    ErrorKind kind = ErrorKind::kInternal;
    for (ErrorKind k : {ErrorKind::kShape, ErrorKind::kType, ErrorKind::kValue, ErrorKind::kIndex, ErrorKind::kIO,
                        ErrorKind::kDevice, ErrorKind::kInternal}) {
      std::string prefix = std::string(ErrorKindName(k)) + ": ";
      if (msg.compare(0, prefix.size(), prefix) == 0) {
        kind = k;
        msg = msg.substr(prefix.size());
        break;
      }
    }
    Throw(kind, "operator Custom (op_type '", op_type, "'): ", what, ": ", msg);
  }

  std::vector<std::string> List(int which) const {
    int num = 0;
    const char *const *names = nullptr;
    Check(cb->list(cb->user, n(), keys.data(), vals.data(), which, &num, &names),
          which == 0 ? "list_arguments" : which == 1 ? "list_outputs" : "list_auxiliary_states");
    std::vector<std::string> out;
    for (int i = 0; i < num; ++i) out.emplace_back(names[i]);
    return out;
  }
};

void CustomInferShape(const OpParams &p, std::vector<TShape> *in, std::vector<TShape> *out) {
  CustomCall c(p);
  // Names first: what the callback returns is borrowed until its next call.
  const size_t naux = c.List(2).size(), nargs = in->size() - naux;
  const auto in_names = p.op()->InputNames(p);
  const auto out_names = c.List(1);
  std::vector<int> nd;
  std::vector<int64_t> dims;
  for (auto &s : *in) {
    nd.push_back(static_cast<int>(s.size()));
    dims.insert(dims.end(), s.begin(), s.end());
  }
  const int *rnd = nullptr;
  const int64_t *rdims = nullptr;
  c.Check(c.cb->infer_shape(c.cb->user, c.n(), c.keys.data(), c.vals.data(), static_cast<int>(in->size()),
                            nd.data(), dims.data(), &rnd, &rdims),
          "infer_shape");
  size_t off = 0;
  auto next = [&](size_t i) {
    TShape s(rdims + off, rdims + off + rnd[i]);
    off += rnd[i];
    return s;
  };
  size_t i = 0;
  for (size_t k = 0; k < nargs; ++k, ++i) ShapeAssign(&(*in)[k], next(i), p.op(), in_names[k]);
  for (size_t k = 0; k < out->size(); ++k, ++i) ShapeAssign(&(*out)[k], next(i), p.op(), out_names[k]);
  for (size_t k = 0; k < naux; ++k, ++i) ShapeAssign(&(*in)[nargs + k], next(i), p.op(), in_names[nargs + k]);
}

void CustomInferType(const OpParams &p, std::vector<int> *in, std::vector<int> *out) {
  CustomCall c(p);
  const size_t naux = c.List(2).size(), nargs = in->size() - naux;
  const auto in_names = p.op()->InputNames(p);
  const int *types = nullptr;
  c.Check(c.cb->infer_type(c.cb->user, c.n(), c.keys.data(), c.vals.data(), static_cast<int>(in->size()),
                           in->data(), &types),
          "infer_type");
  size_t i = 0;
  for (size_t k = 0; k < nargs; ++k, ++i) TypeAssign(&(*in)[k], types[i], p.op(), in_names[k]);
  for (size_t k = 0; k < out->size(); ++k, ++i) TypeAssign(&(*out)[k], types[i], p.op(), "output");
  for (size_t k = 0; k < naux; ++k, ++i) TypeAssign(&(*in)[nargs + k], types[i], p.op(), in_names[nargs + k]);
}

// A host copy of a kernel's blob (its contents copied when `fill`). A blob without a shape (a gradient the executor
// does not compute, such as a label's) gives zeros shaped as `like`, the array it is the gradient of.
NDArray HostCopy(const TBlob &b, bool fill, const TBlob *like = nullptr) {
  if (b.shape.empty() && like) {
    NDArray a(like->shape, like->dtype, Device::CPU());
    if (a.Size() > 0) std::memset(a.blob().dptr, 0, a.Size() * DTypeSize(a.dtype()));
    return a;
  }
  NDArray a(b.shape, b.dtype, Device::CPU());
  if (fill && b.dptr && b.Size() > 0) {
    if (b.dev.type != MXC_CPU) DeviceWait(b.dev);
    DeviceCopy(Device::CPU(), a.blob().dptr, b.dev, b.dptr, b.Size() * DTypeSize(b.dtype));
  }
  return a;
}

// Waits for the callback's work on a host copy and copies it into the kernel's blob.
void CopyBack(const NDArray &a, const TBlob &b) {
  a.WaitToRead();
  if (!b.dptr || b.Size() == 0) return;
  DeviceCopy(b.dev, b.dptr, Device::CPU(), a.blob().dptr, b.Size() * DTypeSize(b.dtype));
  if (b.dev.type != MXC_CPU) DeviceWait(b.dev);
}

// Calls a forward/backward callback with owned handles of the arrays.
template <typename F>
void CallWithArrays(const CustomCall &c, const char *what, const std::vector<NDArray> &arrays, F call) {
  std::vector<MXCNDArrayHandle> h;
  h.reserve(arrays.size());
  for (auto &a : arrays) h.push_back(NewHandle(a));
  c.Check(call(static_cast<int>(h.size()), h.data()), what);
}

void CustomForward(const OpContext &ctx, const OpParams &p, const std::vector<TBlob> &in,
                   const std::vector<OpReq> &req, const std::vector<TBlob> &out) {
  CustomCall c(p);
  const size_t naux = c.List(2).size(), nargs = in.size() - naux;
  std::vector<NDArray> arrays;
  for (size_t k = 0; k < nargs; ++k) arrays.push_back(HostCopy(in[k], true));
  for (size_t k = 0; k < out.size(); ++k) arrays.push_back(HostCopy(out[k], req[k] == kAddTo));
  for (size_t k = 0; k < naux; ++k) arrays.push_back(HostCopy(in[nargs + k], true));
  std::vector<int> reqs(req.begin(), req.end());
  CallWithArrays(c, "forward", arrays, [&](int n, const MXCNDArrayHandle *h) {
    return c.cb->forward(c.cb->user, c.n(), c.keys.data(), c.vals.data(), ctx.is_train ? 1 : 0, n, h, reqs.data());
  });
  for (size_t k = 0; k < out.size(); ++k)
    if (req[k] != kNullOp) CopyBack(arrays[nargs + k], out[k]);
  for (size_t k = 0; k < naux; ++k) CopyBack(arrays[nargs + out.size() + k], in[nargs + k]);
}

void CustomBackward(const OpContext &ctx, const OpParams &p, const std::vector<TBlob> &out_grad,
                    const std::vector<TBlob> &in_data, const std::vector<TBlob> &out_data,
                    const std::vector<OpReq> &req, const std::vector<TBlob> &in_grad) {
  CustomCall c(p);
  const size_t naux = c.List(2).size(), nargs = in_data.size() - naux;
  std::vector<NDArray> arrays;
  for (size_t k = 0; k < out_grad.size(); ++k) arrays.push_back(HostCopy(out_grad[k], true, &out_data[k]));
  for (size_t k = 0; k < nargs; ++k) arrays.push_back(HostCopy(in_data[k], true));
  for (auto &b : out_data) arrays.push_back(HostCopy(b, true));
  const size_t first_grad = arrays.size();
  for (size_t k = 0; k < nargs; ++k) arrays.push_back(HostCopy(in_grad[k], req[k] == kAddTo, &in_data[k]));
  for (size_t k = 0; k < naux; ++k) arrays.push_back(HostCopy(in_data[nargs + k], true));
  std::vector<int> reqs(req.begin(), req.begin() + nargs);
  CallWithArrays(c, "backward", arrays, [&](int n, const MXCNDArrayHandle *h) {
    return c.cb->backward(c.cb->user, c.n(), c.keys.data(), c.vals.data(), ctx.is_train ? 1 : 0, n, h, reqs.data());
  });
  for (size_t k = 0; k < nargs; ++k)
    if (req[k] != kNullOp) CopyBack(arrays[first_grad + k], in_grad[k]);
}

std::vector<std::string> CustomInputNames(const OpParams &p) {
  CustomCall c(p);
  auto names = c.List(0);
  for (auto &a : c.List(2)) names.push_back(a);
  return names;
}

MXC_REGISTER_OP(Custom)
    .describe("Apply a custom operator implemented in a frontend language (such as Python): the op_type names "
              "callbacks registered through MXCCustomOpRegister (mx.operator.register in Python). Other parameters "
              "are passed to them as strings.")
    .set_inputs({"data"})
    .set_input_names(CustomInputNames)
    .add_required_param("op_type", ParamKind::kString, "Type of custom operator. Must be registered first.")
    .set_any_params()
    .set_num_aux([](const OpParams &p) { return static_cast<int>(CustomCall(p).List(2).size()); })
    .set_num_outputs([](const OpParams &p) { return static_cast<int>(CustomCall(p).List(1).size()); })
    .set_output_names([](const OpParams &p) { return CustomCall(p).List(1); })
    .set_mutate_inputs([](const OpParams &p) {
      CustomCall c(p);
      const int nargs = static_cast<int>(c.List(0).size()), naux = static_cast<int>(c.List(2).size());
      std::vector<int> m;
      for (int k = 0; k < naux; ++k) m.push_back(nargs + k);
      return m;
    })
    .set_infer_shape(CustomInferShape)
    .set_infer_type(CustomInferType)
    .set_compute(MXC_CPU, CustomForward)
    .set_backward(MXC_CPU, CustomBackward)
#ifdef MXC_USE_CUDA
    .set_compute(MXC_GPU, CustomForward)  // host-staged: the callbacks see CPU copies
    .set_backward(MXC_GPU, CustomBackward)
#endif
    .set_loss_fn([](const OpParams &p) {  // need_top_grad false: a loss (ones when no head gradient is given)
      CustomCall c(p);
      int need = 1;
      c.Check(c.cb->need_top_grad(c.cb->user, c.n(), c.keys.data(), c.vals.data(), &need), "need_top_grad");
      return need == 0;
    })
    .set_backward_uses(true, true);

}  // namespace
}  // namespace mxc

using namespace mxc;

int MXCCustomOpRegister(const char *op_type, const MXCCustomOpCallbacks *callbacks) {
  API_BEGIN();
  CheckPtr(op_type, "op_type");
  CheckPtr(callbacks, "callbacks");
  MXC_CHECK(*op_type != '\0', ErrorKind::kValue, "MXCCustomOpRegister: op_type is empty");
  MXC_CHECK(callbacks->list && callbacks->need_top_grad && callbacks->infer_shape && callbacks->infer_type &&
                callbacks->forward && callbacks->backward,
            ErrorKind::kValue, "MXCCustomOpRegister: every callback of '", op_type, "' must be set");
  auto cb = std::make_shared<const MXCCustomOpCallbacks>(*callbacks);
  std::lock_guard<std::mutex> lk(g_custom_mu);
  CustomRegistry()[op_type] = cb;
  API_END();
}

int MXCCustomOpUnregister(const char *op_type) {
  API_BEGIN();
  CheckPtr(op_type, "op_type");
  std::lock_guard<std::mutex> lk(g_custom_mu);
  CustomRegistry().erase(op_type);
  API_END();
}

int MXCCustomOpList(int *num, const char ***names) {
  API_BEGIN();
  CheckPtr(num, "num");
  CheckPtr(names, "names");
  std::vector<std::string> v;
  {
    std::lock_guard<std::mutex> lk(g_custom_mu);
    for (auto &kv : CustomRegistry()) v.push_back(kv.first);
  }
  auto *r = Ret();
  r->SetStrings(v);
  *num = static_cast<int>(r->cstrs.size());
  *names = r->cstrs.data();
  API_END();
}

int MXCCustomOpSetError(const char *msg) {
  API_BEGIN();
  tls_callback_error = msg ? msg : "";
  API_END();
}
