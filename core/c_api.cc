// C API: library, NDArray and operator functions.
#include <algorithm>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <mutex>

#include "c_api_common.h"
#include "device.h"
#include "mxc.h"
#include "np_shape.h"
#include "operator.h"
#include "storage.h"

namespace mxc {

static thread_local std::string tls_last_error;

void SetLastError(const std::string &msg) { tls_last_error = msg; }

ThreadReturn *Ret() {
  static thread_local ThreadReturn r;
  return &r;
}

InvokeArgs::InvokeArgs() {
  static thread_local Vectors tls;
  static thread_local bool busy = false;
  if (!busy) {
    busy = true;
    busy_ = &busy;
    v_ = &tls;
  } else {
    v_ = &own_;  // nested (an invoke inside an invoke on this thread): vectors of its own
  }
}

InvokeArgs::~InvokeArgs() {
  v_->ins.clear();
  v_->outs.clear();
  if (busy_) *busy_ = false;
}

NDArray &ArrayOf(MXCNDArrayHandle h, const char *what) {
  if (h == nullptr) Throw(ErrorKind::kValue, what, " handle is NULL");
  if (h->magic != 0x4e444152) Throw(ErrorKind::kValue, what, " handle is invalid (already freed?)");
  return h->arr;
}

MXCNDArrayHandle NewHandle(const NDArray &a) {
  auto *h = new MXCNDArray_();
  h->arr = a;
  return h;
}

}  // namespace mxc

using namespace mxc;

// ------------------------------------------------------------------------------------------------------------------
// Library
// ------------------------------------------------------------------------------------------------------------------
const char *MXCGetLastError(void) { return tls_last_error.c_str(); }

int MXCGetVersion(int *major, int *minor) {
  API_BEGIN();
  CheckPtr(major, "major");
  CheckPtr(minor, "minor");
  *major = MXC_VERSION_MAJOR;
  *minor = MXC_VERSION_MINOR;
  API_END();
}

int MXCLibInfoFeatures(int *num, const char ***names, const int **enabled) {
  API_BEGIN();
  CheckPtr(num, "num");
  CheckPtr(names, "names");
  CheckPtr(enabled, "enabled");
  auto *r = Ret();
  std::vector<std::string> n = {"CUDA", "CUDNN", "BLAS_OPENBLAS", "OPENMP", "WASM"};
  r->SetStrings(n);
  r->ints.clear();
#ifdef MXC_USE_CUDA
  r->ints.push_back(1);
#else
  r->ints.push_back(0);
#endif
#ifdef MXC_USE_CUDNN
  r->ints.push_back(1);
#else
  r->ints.push_back(0);
#endif
#ifdef MXC_USE_BLAS
  r->ints.push_back(1);
#else
  r->ints.push_back(0);
#endif
#ifdef _OPENMP
  r->ints.push_back(1);
#else
  r->ints.push_back(0);
#endif
#ifdef __EMSCRIPTEN__
  r->ints.push_back(1);
#else
  r->ints.push_back(0);
#endif
  *num = static_cast<int>(n.size());
  *names = r->cstrs.data();
  *enabled = r->ints.data();
  API_END();
}

int MXCGetDeviceCount(int dev_type, int *count) {
  API_BEGIN();
  CheckPtr(count, "count");
  if (dev_type == MXC_CPU) *count = 1;
  else if (dev_type == MXC_GPU) *count = NumGPUs();
  else Throw(ErrorKind::kDevice, "unknown device type code ", dev_type, " (1 = cpu, 2 = gpu)");
  API_END();
}

int MXCSetIsNumpyShape(int is_np_shape, int *prev) {
  API_BEGIN();
  const int p = SetNumpyShapeMode(is_np_shape);
  if (prev) *prev = p;
  API_END();
}

int MXCIsNumpyShape(int *curr) {
  API_BEGIN();
  CheckPtr(curr, "curr");
  *curr = NumpyShapeMode();
  API_END();
}

int MXCRandomSeed(uint64_t seed) {
  API_BEGIN();
  // Work queued before the seed draws from the generator first. Drain, not WaitAll: an unrelated failed operation's
  // error stays for its result's reader (or the next waitall), instead of surfacing here.
  Engine::Drain();
  SeedAll(seed);
  API_END();
}

// ------------------------------------------------------------------------------------------------------------------
// NDArray
// ------------------------------------------------------------------------------------------------------------------
int MXCNDArrayCreate(const int64_t *shape, int ndim, int dtype, int dev_type, int dev_id, int delay_alloc,
                     MXCNDArrayHandle *out) {
  API_BEGIN();
  CheckPtr(out, "out");
  MXC_CHECK((ndim >= 1 || (ndim == 0 && IsNumpyShape())) && ndim <= kMaxDim, ErrorKind::kShape,
            "ndim must be between ", IsNumpyShape() ? 0 : 1, " and ", kMaxDim, ", got ", ndim,
            IsNumpyShape() ? "" : " (0-d arrays need NumPy shape mode: MXCSetIsNumpyShape)");
  if (ndim > 0) CheckPtr(shape, "shape");
  MXC_CHECK(DTypeValid(dtype), ErrorKind::kType, "unknown dtype code ", dtype, " (valid codes are 0 to 7)");
  TShape s(shape, shape + ndim);
  *out = NewHandle(NDArray(s, dtype, Device{dev_type, dev_id}, delay_alloc != 0));
  API_END();
}

int MXCNDArrayFree(MXCNDArrayHandle handle) {
  API_BEGIN();
  if (handle == nullptr) return 0;
  ArrayOf(handle);
  handle->magic = 0;
  delete handle;
  API_END();
}

int MXCNDArrayGetShape(MXCNDArrayHandle handle, int *ndim, const int64_t **shape) {
  API_BEGIN();
  NDArray &a = ArrayOf(handle);
  CheckPtr(ndim, "ndim");
  CheckPtr(shape, "shape");
  *ndim = a.shape().ndim();
  *shape = a.shape().data();
  API_END();
}

int MXCNDArrayGetDType(MXCNDArrayHandle handle, int *dtype) {
  API_BEGIN();
  NDArray &a = ArrayOf(handle);
  CheckPtr(dtype, "dtype");
  *dtype = a.dtype();
  API_END();
}

int MXCNDArrayGetDevice(MXCNDArrayHandle handle, int *dev_type, int *dev_id) {
  API_BEGIN();
  NDArray &a = ArrayOf(handle);
  CheckPtr(dev_type, "dev_type");
  CheckPtr(dev_id, "dev_id");
  *dev_type = a.dev().type;
  *dev_id = a.dev().id;
  API_END();
}

int MXCNDArraySyncCopyFromCPU(MXCNDArrayHandle handle, const void *data, int64_t size) {
  API_BEGIN();
  ArrayOf(handle).SyncCopyFromCPU(data, size);
  API_END();
}

int MXCNDArraySyncCopyToCPU(MXCNDArrayHandle handle, void *data, int64_t size) {
  API_BEGIN();
  ArrayOf(handle).SyncCopyToCPU(data, size);
  API_END();
}

int MXCNDArrayCopyTo(MXCNDArrayHandle src, MXCNDArrayHandle dst) {
  API_BEGIN();
  ArrayOf(src).CopyTo(ArrayOf(dst));
  API_END();
}

int MXCNDArraySlice(MXCNDArrayHandle handle, int64_t begin, int64_t end, MXCNDArrayHandle *out) {
  API_BEGIN();
  CheckPtr(out, "out");
  *out = NewHandle(ArrayOf(handle).Slice(begin, end));
  API_END();
}

int MXCNDArrayAt(MXCNDArrayHandle handle, int64_t idx, MXCNDArrayHandle *out) {
  API_BEGIN();
  CheckPtr(out, "out");
  *out = NewHandle(ArrayOf(handle).At(idx));
  API_END();
}

int MXCNDArrayReshape(MXCNDArrayHandle handle, int ndim, const int64_t *shape, MXCNDArrayHandle *out) {
  API_BEGIN();
  CheckPtr(out, "out");
  NDArray &a = ArrayOf(handle);
  MXC_CHECK((ndim >= 1 || (ndim == 0 && IsNumpyShape())) && ndim <= kMaxDim, ErrorKind::kShape,
            "reshape: ndim must be between ", IsNumpyShape() ? 0 : 1, " and ", kMaxDim, ", got ", ndim,
            IsNumpyShape() ? "" : " (0-d arrays need NumPy shape mode: MXCSetIsNumpyShape)");
  if (ndim == 0) {
    MXC_CHECK(a.Size() == 1, ErrorKind::kShape, "reshape: cannot reshape an array of shape ", ShapeStr(a.shape()),
              " to shape ()");
    *out = NewHandle(a.Reshape(TShape()));
    return 0;
  }
  CheckPtr(shape, "shape");
  std::vector<int64_t> t(shape, shape + ndim);
  *out = NewHandle(a.Reshape(InferReshape(a.shape(), t, false, "reshape")));
  API_END();
}

int MXCNDArraySharesStorage(MXCNDArrayHandle a, MXCNDArrayHandle b, int *out) {
  API_BEGIN();
  CheckPtr(out, "out");
  *out = ArrayOf(a).chunk() == ArrayOf(b).chunk() ? 1 : 0;
  API_END();
}

int MXCNDArrayWaitToRead(MXCNDArrayHandle handle) {
  API_BEGIN();
  ArrayOf(handle).WaitToRead();
  API_END();
}

int MXCNDArrayWaitToWrite(MXCNDArrayHandle handle) {
  API_BEGIN();
  ArrayOf(handle).WaitToWrite();
  API_END();
}

int MXCNDArrayWaitAll(void) {
  API_BEGIN();
  Engine::Get()->WaitAll();
  DeviceWaitAll();
  API_END();
}

int MXCNDArrayGetData(MXCNDArrayHandle handle, void **out) {
  API_BEGIN();
  CheckPtr(out, "out");
  NDArray &a = ArrayOf(handle);
  MXC_CHECK(a.dev().type == MXC_CPU, ErrorKind::kDevice, "GetData: the array is on ", DeviceStr(a.dev()),
            "; only cpu arrays expose their memory");
  *out = a.blob().dptr;
  API_END();
}

static void CollectArrays(int num, const MXCNDArrayHandle *handles, const char **keys, std::vector<NDArray> *arrs,
                          std::vector<std::string> *names) {
  MXC_CHECK(num >= 0, ErrorKind::kValue, "num must be >= 0");
  if (num > 0) CheckPtr(handles, "handles");
  for (int i = 0; i < num; ++i) {
    arrs->push_back(ArrayOf(handles[i]));
    if (keys) {
      MXC_CHECK(keys[i] != nullptr, ErrorKind::kValue, "keys[", i, "] is NULL");
      names->push_back(keys[i]);
    }
  }
}

static void ReturnLoaded(std::vector<NDArray> &arrs, std::vector<std::string> &names, int *num,
                         MXCNDArrayHandle **out_arrays, int *num_keys, const char ***out_keys) {
  auto *r = Ret();
  r->handles.clear();
  for (auto &a : arrs) r->handles.push_back(NewHandle(a));
  r->SetStrings(names);
  *num = static_cast<int>(arrs.size());
  *out_arrays = r->handles.data();
  *num_keys = static_cast<int>(names.size());
  *out_keys = r->cstrs.data();
}

// Writes the arrays to fname (atomically: a temporary file renamed over it) in the layout of `save`.
static void SaveFile(const char *fname, int num, const MXCNDArrayHandle *handles, const char **keys,
                     void (*save)(std::string *, const std::vector<NDArray> &, const std::vector<std::string> &)) {
  CheckPtr(fname, "fname");
#ifdef MXC_NO_FILESYSTEM  // the WebAssembly build: no file system, the *Buffer functions instead
  Throw(ErrorKind::kIO, "cannot open '", fname, "': this build of mxc has no file system (WebAssembly); use the "
        "buffer functions");
#endif
  std::vector<NDArray> arrs;
  std::vector<std::string> names;
  CollectArrays(num, handles, keys, &arrs, &names);
  std::string buf;
  save(&buf, arrs, names);
  std::string tmp = std::string(fname) + ".tmp";
  {
    std::ofstream f(tmp, std::ios::binary);
    MXC_CHECK(f.good(), ErrorKind::kIO, "cannot open '", fname, "' for writing");
    f.write(buf.data(), buf.size());
    f.flush();
    MXC_CHECK(f.good(), ErrorKind::kIO, "failed writing '", fname, "'");
  }
  MXC_CHECK(std::rename(tmp.c_str(), fname) == 0, ErrorKind::kIO, "cannot move '", tmp, "' to '", fname, "'");
}

int MXCNDArraySave(const char *fname, int num, const MXCNDArrayHandle *handles, const char **keys) {
  API_BEGIN();
  SaveFile(fname, num, handles, keys, SaveArrays);
  API_END();
}

int MXCNDArraySaveMXNetFormat(const char *fname, int num, const MXCNDArrayHandle *handles, const char **keys) {
  API_BEGIN();
  SaveFile(fname, num, handles, keys, SaveArraysMXNet);
  API_END();
}

int MXCNDArrayLoad(const char *fname, int *num, MXCNDArrayHandle **out_arrays, int *num_keys,
                   const char ***out_keys) {
  API_BEGIN();
  CheckPtr(fname, "fname");
#ifdef MXC_NO_FILESYSTEM  // the WebAssembly build: no file system, the *Buffer functions instead
  Throw(ErrorKind::kIO, "cannot open '", fname, "': this build of mxc has no file system (WebAssembly); use the "
        "buffer functions");
#endif
  CheckPtr(num, "num");
  CheckPtr(out_arrays, "out_arrays");
  CheckPtr(num_keys, "num_keys");
  CheckPtr(out_keys, "out_keys");
  std::ifstream f(fname, std::ios::binary);
  MXC_CHECK(f.good(), ErrorKind::kIO, "cannot open '", fname, "' for reading");
  std::string buf((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  std::vector<NDArray> arrs;
  std::vector<std::string> names;
  try {
    LoadArrays(buf.data(), buf.size(), &arrs, &names);
  } catch (const Error &e) {
    Throw(e.kind(), "'", fname, "': ", e.what());
  }
  ReturnLoaded(arrs, names, num, out_arrays, num_keys, out_keys);
  API_END();
}

int MXCNDArraySaveToBuffer(int num, const MXCNDArrayHandle *handles, const char **keys, int64_t *out_size,
                           const char **out_buf) {
  API_BEGIN();
  CheckPtr(out_size, "out_size");
  CheckPtr(out_buf, "out_buf");
  std::vector<NDArray> arrs;
  std::vector<std::string> names;
  CollectArrays(num, handles, keys, &arrs, &names);
  auto *r = Ret();
  SaveArrays(&r->str, arrs, names);
  *out_size = static_cast<int64_t>(r->str.size());
  *out_buf = r->str.data();
  API_END();
}

int MXCNDArrayLoadFromBuffer(const void *buf, int64_t size, int *num, MXCNDArrayHandle **out_arrays, int *num_keys,
                             const char ***out_keys) {
  API_BEGIN();
  MXC_CHECK(buf != nullptr || size == 0, ErrorKind::kValue, "buf is NULL");
  MXC_CHECK(size >= 0, ErrorKind::kValue, "size must be >= 0");
  CheckPtr(num, "num");
  CheckPtr(out_arrays, "out_arrays");
  CheckPtr(num_keys, "num_keys");
  CheckPtr(out_keys, "out_keys");
  std::vector<NDArray> arrs;
  std::vector<std::string> names;
  LoadArrays(static_cast<const char *>(buf), static_cast<size_t>(size), &arrs, &names);
  ReturnLoaded(arrs, names, num, out_arrays, num_keys, out_keys);
  API_END();
}

// ------------------------------------------------------------------------------------------------------------------
// Operators
// ------------------------------------------------------------------------------------------------------------------
static const Op *OpOf(MXCOpHandle h) {
  if (h == nullptr) Throw(ErrorKind::kValue, "operator handle is NULL");
  return reinterpret_cast<const Op *>(h);
}

int MXCListOps(int *num, const char ***names) {
  API_BEGIN();
  CheckPtr(num, "num");
  CheckPtr(names, "names");
  auto *r = Ret();
  r->cstrs.clear();
  for (const Op *op : OpRegistry::Get()->List())
    if (!op->hidden) r->cstrs.push_back(op->name.c_str());
  *num = static_cast<int>(r->cstrs.size());
  *names = r->cstrs.data();
  API_END();
}

int MXCOpGetHandle(const char *name, MXCOpHandle *out) {
  API_BEGIN();
  CheckPtr(name, "name");
  CheckPtr(out, "out");
  *out = reinterpret_cast<MXCOpHandle>(const_cast<Op *>(OpRegistry::Get()->FindOrThrow(name)));
  API_END();
}

namespace {
// Metadata arrays kept for the library's lifetime, one per operator.
struct OpInfoStore {
  std::vector<const char *> aliases, input_names, param_names, param_types, param_defaults, param_docs;
  std::vector<int> input_is_aux, param_required;
  std::vector<std::string> type_strings;
};
std::mutex g_info_mu;
std::map<const Op *, std::unique_ptr<OpInfoStore>> &InfoStores() {
  static auto *m = new std::map<const Op *, std::unique_ptr<OpInfoStore>>();
  return *m;
}
}  // namespace

int MXCOpGetInfo(MXCOpHandle handle, MXCOpInfo *info) {
  API_BEGIN();
  const Op *op = OpOf(handle);
  CheckPtr(info, "info");
  std::lock_guard<std::mutex> lk(g_info_mu);
  auto &slot = InfoStores()[op];
  if (!slot) {
    slot.reset(new OpInfoStore());
    OpInfoStore &s = *slot;
    for (auto &a : op->aliases) s.aliases.push_back(a.c_str());
    for (size_t i = 0; i < op->input_names.size(); ++i) {
      s.input_names.push_back(op->input_names[i].c_str());
      const bool aux = op->aux_inputs.empty()
                           ? static_cast<int>(i) >= static_cast<int>(op->input_names.size()) - op->num_aux
                           : std::count(op->aux_inputs.begin(), op->aux_inputs.end(), static_cast<int>(i)) > 0;
      s.input_is_aux.push_back(aux);
    }
    s.type_strings.reserve(op->params.size());
    for (auto &p : op->params) s.type_strings.push_back(p.TypeString());
    for (size_t i = 0; i < op->params.size(); ++i) {
      auto &p = op->params[i];
      s.param_names.push_back(p.name.c_str());
      s.param_types.push_back(s.type_strings[i].c_str());
      s.param_defaults.push_back(p.default_value.c_str());
      s.param_required.push_back(p.required ? 1 : 0);
      s.param_docs.push_back(p.doc.c_str());
    }
  }
  OpInfoStore &s = *slot;
  info->name = op->name.c_str();
  info->description = op->description.c_str();
  info->num_aliases = static_cast<int>(s.aliases.size());
  info->aliases = s.aliases.data();
  info->num_inputs = static_cast<int>(op->input_names.size());
  info->input_names = s.input_names.data();
  info->input_is_aux = s.input_is_aux.data();
  info->key_var_num_args = op->key_var_num_args.c_str();
  info->num_params = static_cast<int>(op->params.size());
  info->param_names = s.param_names.data();
  info->param_types = s.param_types.data();
  info->param_defaults = s.param_defaults.data();
  info->param_required = s.param_required.data();
  info->param_docs = s.param_docs.data();
  info->has_gradient = op->HasGradient() ? 1 : 0;
  info->is_loss = op->is_loss ? 1 : 0;
  API_END();
}

// Autograd around an imperative call. Before it (recording only): the arrays it writes must not be in the graph.
static void CheckRecordedWrites(const Op *op, int n, const MXCNDArrayHandle *outs) {
  for (int i = 0; i < n; ++i) autograd::CheckWritable(outs[i]->ag, op->name.c_str());
}

// After it: the call goes on the tape. all: every output of the call; outs: the caller's output handles.
static void RecordCall(const Op *op, const OpParams &params, int nin, const MXCNDArrayHandle *inputs,
                       const std::vector<NDArray> &ins, const std::vector<NDArray> &all, int nout,
                       MXCNDArrayHandle *outs) {
  std::vector<const autograd::Entry *> ie(nin);
  for (int i = 0; i < nin; ++i) ie[i] = &inputs[i]->ag;
  std::vector<autograd::Entry *> oe(nout);
  for (int i = 0; i < nout; ++i) oe[i] = &outs[i]->ag;
  autograd::Record(op, params, ie, ins, all, oe);
}

// The parameters of an invoke or a prepared operator: num keys/vals C strings, checked, parsed by the operator.
static OpParams ParamsOf(const Op *op, int num, const char **keys, const char **vals) {
  MXC_CHECK(num >= 0, ErrorKind::kValue, "operator ", op->name, ": negative parameter count");
  if (num > 0) {
    CheckPtr(keys, "keys");
    CheckPtr(vals, "vals");
  }
  std::vector<std::pair<std::string, std::string>> kv;
  kv.reserve(num);
  for (int i = 0; i < num; ++i) {
    MXC_CHECK(keys[i] && vals[i], ErrorKind::kValue, "operator ", op->name, ": parameter ", i, " is NULL");
    kv.emplace_back(keys[i], vals[i]);
  }
  return OpParams(op, kv);
}

int MXCOpInvoke(MXCOpHandle handle, int num_inputs, const MXCNDArrayHandle *inputs, int *num_outputs,
                MXCNDArrayHandle **outputs, int num_params, const char **keys, const char **vals) {
  API_BEGIN();
  const Op *op = OpOf(handle);
  CheckPtr(num_outputs, "num_outputs");
  CheckPtr(outputs, "outputs");
  MXC_CHECK(num_inputs >= 0, ErrorKind::kValue, "operator ", op->name, ": negative input count");
  if (num_inputs > 0) CheckPtr(inputs, "inputs");
  OpParams params = ParamsOf(op, num_params, keys, vals);
  InvokeArgs args;
  for (int i = 0; i < num_inputs; ++i) args.ins().push_back(ArrayOf(inputs[i], "input"));
  bool given = *outputs != nullptr && *num_outputs > 0;
  if (given)
    for (int i = 0; i < *num_outputs; ++i) args.outs().push_back(ArrayOf((*outputs)[i], "output"));
  const bool rec = autograd::IsRecording();
  if (rec && given) CheckRecordedWrites(op, *num_outputs, *outputs);
  std::vector<NDArray> all;
  Invoke(op, params, args.ins(), &args.outs(), autograd::IsTraining(), rec ? &all : nullptr);
  if (!given) {
    auto *r = Ret();
    r->handles.clear();
    for (auto &o : args.outs()) r->handles.push_back(NewHandle(o));
    *num_outputs = static_cast<int>(args.outs().size());
    *outputs = r->handles.data();
  }
  if (rec) RecordCall(op, params, num_inputs, inputs, args.ins(), all, *num_outputs, *outputs);
  API_END();
}

// ------------------------------------------------------------------------------------------------------------------
// Prepared operators
// ------------------------------------------------------------------------------------------------------------------
struct MXCPreparedOp_ {
  const Op *op = nullptr;
  OpParams params;
  int num_visible = 0;
  uint32_t magic = 0x50524f50;  // "PROP"; cleared on free
};

static MXCPreparedOp_ *PreparedOf(MXCPreparedOpHandle h) {
  if (h == nullptr) Throw(ErrorKind::kValue, "prepared operator handle is NULL");
  if (h->magic != 0x50524f50) Throw(ErrorKind::kValue, "prepared operator handle is invalid (already freed?)");
  return h;
}

int MXCPreparedOpCreate(MXCOpHandle handle, int num_params, const char **keys, const char **vals,
                        MXCPreparedOpHandle *out) {
  API_BEGIN();
  const Op *op = OpOf(handle);
  CheckPtr(out, "out");
  std::unique_ptr<MXCPreparedOp_> p(new MXCPreparedOp_());
  p->op = op;
  p->params = ParamsOf(op, num_params, keys, vals);
  p->num_visible = op->NumVisibleOutputs(p->params);
  *out = p.release();
  API_END();
}

int MXCPreparedOpFree(MXCPreparedOpHandle handle) {
  API_BEGIN();
  if (handle == nullptr) return 0;
  PreparedOf(handle)->magic = 0;
  delete handle;
  API_END();
}

int MXCPreparedOpGetNumOutputs(MXCPreparedOpHandle handle, int *num) {
  API_BEGIN();
  CheckPtr(num, "num");
  *num = PreparedOf(handle)->num_visible;
  API_END();
}

int MXCPreparedOpInvoke(MXCPreparedOpHandle handle, int num_inputs, const MXCNDArrayHandle *inputs,
                        int num_outputs, MXCNDArrayHandle *outputs) {
  API_BEGIN();
  MXCPreparedOp_ *p = PreparedOf(handle);
  const Op *op = p->op;
  MXC_CHECK(num_inputs >= 0 && num_outputs >= 0, ErrorKind::kValue, "operator ", op->name,
            ": negative input or output count");
  if (num_inputs > 0) CheckPtr(inputs, "inputs");
  if (num_outputs > 0) CheckPtr(outputs, "outputs");
  int nnull = 0;
  for (int i = 0; i < num_outputs; ++i) nnull += outputs[i] == nullptr;
  const bool alloc = nnull == num_outputs;
  MXC_CHECK(alloc || nnull == 0, ErrorKind::kValue, "operator ", op->name,
            ": outputs must be all NULL (allocated by the library) or all arrays, got ", nnull, " NULL of ",
            num_outputs);
  MXC_CHECK(!alloc || num_outputs == p->num_visible, ErrorKind::kValue, "operator ", op->name, ": has ",
            p->num_visible, " output(s), got room for ", num_outputs);
  InvokeArgs args;
  for (int i = 0; i < num_inputs; ++i) args.ins().push_back(ArrayOf(inputs[i], "input"));
  if (!alloc)
    for (int i = 0; i < num_outputs; ++i) args.outs().push_back(ArrayOf(outputs[i], "output"));
  const bool rec = autograd::IsRecording();
  if (rec && !alloc) CheckRecordedWrites(op, num_outputs, outputs);
  std::vector<NDArray> all;
  Invoke(op, p->params, args.ins(), &args.outs(), autograd::IsTraining(), rec ? &all : nullptr);
  if (alloc) {
    // New handles only once nothing can fail any more: on an error, outputs stay NULL.
    int made = 0;
    try {
      for (; made < num_outputs; ++made) outputs[made] = NewHandle(args.outs()[made]);
    } catch (...) {
      for (int i = 0; i < made; ++i) {
        delete outputs[i];
        outputs[i] = nullptr;
      }
      throw;
    }
  }
  if (rec) RecordCall(op, p->params, num_inputs, inputs, args.ins(), all, num_outputs, outputs);
  API_END();
}

// The one-output, allocated-output forms: no output array to check, no borrowed return.
static void InvokePreparedInto(MXCPreparedOpHandle handle, int nin, const MXCNDArrayHandle *inputs,
                               MXCNDArrayHandle *out) {
  CheckPtr(out, "out");
  *out = nullptr;
  MXCPreparedOp_ *p = PreparedOf(handle);
  MXC_CHECK(p->num_visible == 1, ErrorKind::kValue, "operator ", p->op->name, ": has ", p->num_visible,
            " outputs; use MXCPreparedOpInvoke");
  InvokeArgs args;
  for (int i = 0; i < nin; ++i) args.ins().push_back(ArrayOf(inputs[i], "input"));
  if (!autograd::IsRecording()) {
    Invoke(p->op, p->params, args.ins(), &args.outs(), autograd::IsTraining());
    *out = NewHandle(args.outs()[0]);
    return;
  }
  std::vector<NDArray> all;
  Invoke(p->op, p->params, args.ins(), &args.outs(), autograd::IsTraining(), &all);
  *out = NewHandle(args.outs()[0]);
  RecordCall(p->op, p->params, nin, inputs, args.ins(), all, 1, out);
}

int MXCPreparedOpInvokeUnary(MXCPreparedOpHandle op, MXCNDArrayHandle in, MXCNDArrayHandle *out) {
  API_BEGIN();
  InvokePreparedInto(op, 1, &in, out);
  API_END();
}

int MXCPreparedOpInvokeBinary(MXCPreparedOpHandle op, MXCNDArrayHandle lhs, MXCNDArrayHandle rhs,
                              MXCNDArrayHandle *out) {
  API_BEGIN();
  MXCNDArrayHandle ins[2] = {lhs, rhs};
  InvokePreparedInto(op, 2, ins, out);
  API_END();
}

int MXCEngineSetType(const char *name) {
  API_BEGIN();
  CheckPtr(name, "name");
  Engine::SetType(name);
  API_END();
}

int MXCEngineGetType(const char **name) {
  API_BEGIN();
  CheckPtr(name, "name");
  *name = Engine::Get()->Name();
  API_END();
}

int MXCCPUMemoryStats(int64_t *in_use, int64_t *cached, int64_t *peak) {
  API_BEGIN();
  storage::CPUStats(in_use, cached, peak);
  API_END();
}

int MXCCPUReleaseCache(void) {
  API_BEGIN();
  storage::CPUReleaseCache();
  API_END();
}

// ------------------------------------------------------------------------------------------------------------------
// Autograd
// ------------------------------------------------------------------------------------------------------------------
int MXCAutogradSetIsRecording(int recording, int *prev) {
  API_BEGIN();
  bool p = autograd::SetRecording(recording != 0);
  if (prev) *prev = p ? 1 : 0;
  API_END();
}

int MXCAutogradSetIsTraining(int training, int *prev) {
  API_BEGIN();
  bool p = autograd::SetTraining(training != 0);
  if (prev) *prev = p ? 1 : 0;
  API_END();
}

int MXCAutogradIsRecording(int *out) {
  API_BEGIN();
  CheckPtr(out, "out");
  *out = autograd::IsRecording() ? 1 : 0;
  API_END();
}

int MXCAutogradIsTraining(int *out) {
  API_BEGIN();
  CheckPtr(out, "out");
  *out = autograd::IsTraining() ? 1 : 0;
  API_END();
}

int MXCAutogradMarkVariables(int num, const MXCNDArrayHandle *vars, const int *grad_reqs,
                             const MXCNDArrayHandle *grads) {
  API_BEGIN();
  MXC_CHECK(num >= 0, ErrorKind::kValue, "mark_variables: negative count");
  if (num == 0) return 0;
  CheckPtr(vars, "vars");
  CheckPtr(grad_reqs, "grad_reqs");
  CheckPtr(grads, "grads");
  // Everything is checked before the first variable is marked.
  std::vector<NDArray> g(num);
  for (int i = 0; i < num; ++i) {
    ArrayOf(vars[i], "variable");
    const int r = grad_reqs[i];
    MXC_CHECK(r >= MXC_GRAD_NULL && r <= MXC_GRAD_ADD, ErrorKind::kValue, "mark_variables: grad_req ", r,
              " of variable ", i, " is not null (0), write (1) or add (3)");
    if (r != MXC_GRAD_NULL) g[i] = ArrayOf(grads[i], "gradient");
  }
  for (int i = 0; i < num; ++i) {
    autograd::Entry e;
    const int r = grad_reqs[i];
    autograd::MarkVariable(&e, vars[i]->arr, g[i], r == MXC_GRAD_NULL ? kNullOp : r == MXC_GRAD_ADD ? kAddTo : kWriteTo);
    vars[i]->ag = std::move(e);
  }
  API_END();
}

int MXCAutogradBackward(int num_heads, const MXCNDArrayHandle *heads, const MXCNDArrayHandle *head_grads,
                        int num_variables, const MXCNDArrayHandle *vars, int retain_graph, int is_train,
                        MXCNDArrayHandle *grads) {
  API_BEGIN();
  MXC_CHECK(num_heads > 0, ErrorKind::kValue, "backward: no head array given");
  MXC_CHECK(num_variables >= 0, ErrorKind::kValue, "backward: negative variable count");
  CheckPtr(heads, "heads");
  std::vector<autograd::Entry> he, ve;
  std::vector<NDArray> ha, hg;
  for (int i = 0; i < num_heads; ++i) {
    ha.push_back(ArrayOf(heads[i], "head"));
    he.push_back(heads[i]->ag);
  }
  if (head_grads != nullptr)
    for (int i = 0; i < num_heads; ++i)
      hg.push_back(head_grads[i] == nullptr ? NDArray() : ArrayOf(head_grads[i], "head gradient"));
  if (num_variables > 0) {
    CheckPtr(vars, "vars");
    CheckPtr(grads, "grads");
    for (int i = 0; i < num_variables; ++i) {
      ArrayOf(vars[i], "variable");
      ve.push_back(vars[i]->ag);
      grads[i] = nullptr;
    }
  }
  std::vector<NDArray> out;
  autograd::Backward(he, ha, hg, ve, retain_graph != 0, is_train != 0, &out);
  for (int i = 0; i < num_variables; ++i) grads[i] = NewHandle(out[i]);
  API_END();
}

int MXCNDArrayGetGrad(MXCNDArrayHandle handle, MXCNDArrayHandle *out) {
  API_BEGIN();
  CheckPtr(out, "out");
  *out = nullptr;
  ArrayOf(handle);
  NDArray g = autograd::GradOf(handle->ag);
  if (!g.is_none()) *out = NewHandle(g);
  API_END();
}

int MXCNDArrayDetach(MXCNDArrayHandle handle, MXCNDArrayHandle *out) {
  API_BEGIN();
  CheckPtr(out, "out");
  *out = NewHandle(ArrayOf(handle));
  API_END();
}

int MXCNDArrayIsInGraph(MXCNDArrayHandle handle, int *out) {
  API_BEGIN();
  CheckPtr(out, "out");
  ArrayOf(handle);
  *out = handle->ag.Live() ? 1 : 0;
  API_END();
}

int MXCNDArrayGetGradState(MXCNDArrayHandle handle, int *out) {
  API_BEGIN();
  CheckPtr(out, "out");
  ArrayOf(handle);
  *out = autograd::FreshGrad(handle->ag) ? 1 : 0;
  API_END();
}

int MXCNDArraySetGradState(MXCNDArrayHandle handle, int fresh) {
  API_BEGIN();
  ArrayOf(handle);
  autograd::SetFreshGrad(handle->ag, fresh != 0);
  API_END();
}
