// Basic types shared by the whole core: errors with kinds, shapes, dtypes and devices.
#pragma once

#include <cstdint>
#include <cstring>
#include <initializer_list>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "mxc.h"

namespace mxc {

// ---------------------------------------------------------------------------------------------------------------
// Errors. Every failure inside the core is an Error carrying its kind; the C API turns it into "Kind: message".
// ---------------------------------------------------------------------------------------------------------------
enum class ErrorKind { kShape, kType, kValue, kIndex, kIO, kDevice, kInternal };

const char *ErrorKindName(ErrorKind k);

class Error : public std::runtime_error {
 public:
  Error(ErrorKind kind, const std::string &msg) : std::runtime_error(msg), kind_(kind) {}
  ErrorKind kind() const { return kind_; }
  // "ShapeError: message"
  std::string Formatted() const { return std::string(ErrorKindName(kind_)) + ": " + what(); }

 private:
  ErrorKind kind_;
};

namespace detail {
inline void StreamAll(std::ostringstream &) {}
template <typename T, typename... Rest>
void StreamAll(std::ostringstream &os, const T &v, const Rest &...rest) {
  os << v;
  StreamAll(os, rest...);
}
}  // namespace detail

template <typename... Args>
[[noreturn]] void Throw(ErrorKind kind, const Args &...args) {
  std::ostringstream os;
  detail::StreamAll(os, args...);
  throw Error(kind, os.str());
}

#define MXC_CHECK(cond, kind, ...)                 \
  do {                                             \
    if (!(cond)) ::mxc::Throw(kind, __VA_ARGS__);  \
  } while (0)

// ---------------------------------------------------------------------------------------------------------------
// Shapes. MXNet 1.x (legacy) semantics: a shape with ndim 0 is unknown, a dimension of 0 inside a shape being
// inferred is unknown. Arrays always have ndim >= 1.
// ---------------------------------------------------------------------------------------------------------------
// A shape: up to kMaxDim int64 dimensions stored inline (no heap allocation on the hot path), with the parts of
// std::vector's interface the core uses.
constexpr int kMaxDim = 10;
class TShape {
 public:
  using value_type = int64_t;
  using iterator = int64_t *;
  using const_iterator = const int64_t *;
  TShape() = default;
  TShape(std::initializer_list<int64_t> l) { assign(l.begin(), l.end()); }
  explicit TShape(size_t n, int64_t v = 0) { resize(n, v); }
  template <typename It>
  TShape(It b, It e) { assign(b, e); }
  explicit TShape(const std::vector<int64_t> &v) { assign(v.begin(), v.end()); }
  template <typename It>
  void assign(It b, It e) {
    n_ = 0;
    for (; b != e; ++b) push_back(static_cast<int64_t>(*b));
  }
  size_t size() const { return n_; }
  int ndim() const { return static_cast<int>(n_); }
  bool empty() const { return n_ == 0; }
  int64_t &operator[](size_t i) { return d_[i]; }
  const int64_t &operator[](size_t i) const { return d_[i]; }
  int64_t *data() { return d_; }
  const int64_t *data() const { return d_; }
  iterator begin() { return d_; }
  iterator end() { return d_ + n_; }
  const_iterator begin() const { return d_; }
  const_iterator end() const { return d_ + n_; }
  int64_t &back() { return d_[n_ - 1]; }
  const int64_t &back() const { return d_[n_ - 1]; }
  int64_t &front() { return d_[0]; }
  const int64_t &front() const { return d_[0]; }
  void clear() { n_ = 0; }
  void push_back(int64_t v) {
    if (n_ >= static_cast<size_t>(kMaxDim)) TooMany();
    d_[n_++] = v;
  }
  void pop_back() { --n_; }
  void resize(size_t n, int64_t v = 0) {
    if (n > static_cast<size_t>(kMaxDim)) TooMany();
    for (size_t i = n_; i < n; ++i) d_[i] = v;
    n_ = n;
  }
  iterator insert(const_iterator pos, int64_t v) {
    size_t i = pos - d_;
    push_back(0);
    for (size_t j = n_ - 1; j > i; --j) d_[j] = d_[j - 1];
    d_[i] = v;
    return d_ + i;
  }
  iterator erase(const_iterator pos) {
    size_t i = pos - d_;
    for (size_t j = i; j + 1 < n_; ++j) d_[j] = d_[j + 1];
    --n_;
    return d_ + i;
  }
  std::vector<int64_t> vec() const { return std::vector<int64_t>(begin(), end()); }
  bool operator==(const TShape &o) const {
    if (n_ != o.n_) return false;
    for (size_t i = 0; i < n_; ++i)
      if (d_[i] != o.d_[i]) return false;
    return true;
  }
  bool operator!=(const TShape &o) const { return !(*this == o); }

 private:
  [[noreturn]] static void TooMany();
  int64_t d_[kMaxDim] = {0};
  size_t n_ = 0;
};

inline int64_t ShapeSize(const TShape &s) {
  int64_t n = 1;
  for (auto d : s) n *= d;
  return n;
}
// True while imperative invocation infers shapes (core/operator.cc): the inputs are real arrays, so a dimension of
// 0 is an empty axis, not an unknown one (inference must not fill it in from other shapes then).
bool ShapesAreConcrete();
// Every dimension known: ndim > 0 and no dimension 0 (unknown), except in an imperative call, where 0 is an empty axis.
inline bool ShapeKnown(const TShape &s) {
  if (s.empty()) return false;
  const bool concrete = ShapesAreConcrete();
  for (auto d : s)
    if (d < 0 || (d == 0 && !concrete)) return false;
  return true;
}
std::string ShapeStr(const TShape &s);  // "(2,3)"

// ---------------------------------------------------------------------------------------------------------------
// Dtypes
// ---------------------------------------------------------------------------------------------------------------
enum DType : int {
  kFloat32 = MXC_FLOAT32,
  kFloat64 = MXC_FLOAT64,
  kFloat16 = MXC_FLOAT16,
  kUint8 = MXC_UINT8,
  kInt32 = MXC_INT32,
  kInt8 = MXC_INT8,
  kInt64 = MXC_INT64,
  kBool = MXC_BOOL,
};
size_t DTypeSize(int dtype);       // bytes per element; throws TypeError on a bad code
const char *DTypeName(int dtype);  // "float32"
// Bytes of an array of this shape and dtype; a ValueError naming both when the count does not fit in memory's
// address range (a shape like (2^31, 2^31) must not wrap around to a small allocation).
size_t ShapeBytes(const TShape &shape, int dtype);
int DTypeFromName(const std::string &name);  // throws ValueError
bool DTypeValid(int dtype);

template <typename T> struct DTypeOf;
template <> struct DTypeOf<float> { static constexpr int value = kFloat32; };
template <> struct DTypeOf<double> { static constexpr int value = kFloat64; };
template <> struct DTypeOf<uint8_t> { static constexpr int value = kUint8; };
template <> struct DTypeOf<int32_t> { static constexpr int value = kInt32; };
template <> struct DTypeOf<int8_t> { static constexpr int value = kInt8; };
template <> struct DTypeOf<int64_t> { static constexpr int value = kInt64; };
template <> struct DTypeOf<bool> { static constexpr int value = kBool; };

// Dispatch on a dtype code: MXC_TYPE_SWITCH(dtype, DType, { body using DType }).
// float16 has no CPU arithmetic; it is a storage type only (copy, cast, save/load).
#define MXC_TYPE_SWITCH(code, DType, ...)                                                        \
  switch (code) {                                                                                \
    case ::mxc::kFloat32: { typedef float DType; __VA_ARGS__; } break;                           \
    case ::mxc::kFloat64: { typedef double DType; __VA_ARGS__; } break;                          \
    case ::mxc::kUint8: { typedef uint8_t DType; __VA_ARGS__; } break;                           \
    case ::mxc::kInt32: { typedef int32_t DType; __VA_ARGS__; } break;                           \
    case ::mxc::kInt8: { typedef int8_t DType; __VA_ARGS__; } break;                             \
    case ::mxc::kInt64: { typedef int64_t DType; __VA_ARGS__; } break;                           \
    case ::mxc::kBool: { typedef bool DType; __VA_ARGS__; } break;                               \
    default: ::mxc::Throw(::mxc::ErrorKind::kType, "dtype ", ::mxc::DTypeName(code),             \
                          " is not supported by this operation");                                \
  }

#define MXC_REAL_TYPE_SWITCH(code, DType, ...)                                                   \
  switch (code) {                                                                                \
    case ::mxc::kFloat32: { typedef float DType; __VA_ARGS__; } break;                           \
    case ::mxc::kFloat64: { typedef double DType; __VA_ARGS__; } break;                          \
    default: ::mxc::Throw(::mxc::ErrorKind::kType, "dtype ", ::mxc::DTypeName(code),             \
                          " is not supported (float32 and float64 only)");                       \
  }

// ---------------------------------------------------------------------------------------------------------------
// Devices
// ---------------------------------------------------------------------------------------------------------------
struct Device {
  int type = MXC_CPU;
  int id = 0;
  bool operator==(const Device &o) const { return type == o.type && id == o.id; }
  bool operator!=(const Device &o) const { return !(*this == o); }
  static Device CPU() { return Device{MXC_CPU, 0}; }
};
std::string DeviceStr(const Device &d);  // "cpu(0)"
// Throws DeviceError unless the device exists in this build and on this machine.
void CheckDevice(const Device &d);
int NumGPUs();

}  // namespace mxc
