// Shared machinery of the C API: the API_BEGIN/API_END guard that turns every exception into an error code with a
// thread-local message, handle conversions and thread-local return buffers.
#pragma once

#include <string>
#include <vector>

#include "autograd.h"
#include "base.h"
#include "ndarray.h"
#include "profiler.h"

// Handle structs (the opaque types of mxc.h).
struct MXCNDArray_ {
  mxc::NDArray arr;
  mxc::autograd::Entry ag;  // where the array is in the autograd graph (empty outside it)
  uint32_t magic = 0x4e444152;  // "NDAR"; cleared on free to catch use after free
};

namespace mxc {

void SetLastError(const std::string &msg);

// Per-thread buffers for borrowed returns ("valid until the next call on this thread").
struct ThreadReturn {
  std::string str;
  std::vector<std::string> strs;
  std::vector<const char *> cstrs;
  std::vector<int64_t> i64;
  std::vector<int> ints;
  std::vector<int> ints2, ints3;
  std::vector<int64_t> i64b, i64c;
  std::vector<MXCNDArrayHandle> handles;
  void SetStrings(const std::vector<std::string> &v) {
    strs = v;
    cstrs.clear();
    for (auto &s : strs) cstrs.push_back(s.c_str());
  }
};
ThreadReturn *Ret();

// The input and output vectors of one invoke through the C API: per-thread vectors reused from call to call (no
// allocation), emptied when the call ends so that they hold no array.
class InvokeArgs {
 public:
  InvokeArgs();
  ~InvokeArgs();
  InvokeArgs(const InvokeArgs &) = delete;
  InvokeArgs &operator=(const InvokeArgs &) = delete;
  std::vector<NDArray> &ins() { return v_->ins; }
  std::vector<NDArray> &outs() { return v_->outs; }

 private:
  struct Vectors {
    std::vector<NDArray> ins, outs;
  };
  Vectors *v_;
  Vectors own_;
  bool *busy_ = nullptr;
};

NDArray &ArrayOf(MXCNDArrayHandle h, const char *what = "array");
MXCNDArrayHandle NewHandle(const NDArray &a);

template <typename T>
void CheckPtr(T *p, const char *name) {
  if (p == nullptr) Throw(ErrorKind::kValue, name, " is NULL");
}

}  // namespace mxc

// The body of every MXC_API function; timed as a C API call while the profiler records them (profile_api).
#define API_BEGIN()                                    \
  ::mxc::profiler::ApiScope mxc_api_scope_(__func__); \
  try {
#define API_END()                                                         \
  }                                                                       \
  catch (const ::mxc::Error &e) {                                         \
    ::mxc::SetLastError(e.Formatted());                                   \
    return -1;                                                            \
  }                                                                       \
  catch (const std::bad_alloc &) {                                        \
    ::mxc::SetLastError("InternalError: out of memory");                  \
    return -1;                                                            \
  }                                                                       \
  catch (const std::exception &e) {                                       \
    ::mxc::SetLastError(std::string("InternalError: ") + e.what());       \
    return -1;                                                            \
  }                                                                       \
  catch (...) {                                                           \
    ::mxc::SetLastError("InternalError: unknown exception");              \
    return -1;                                                            \
  }                                                                       \
  return 0;
