#include "base.h"

#include <cstdlib>

namespace mxc {

const char *ErrorKindName(ErrorKind k) {
  switch (k) {
    case ErrorKind::kShape: return "ShapeError";
    case ErrorKind::kType: return "TypeError";
    case ErrorKind::kValue: return "ValueError";
    case ErrorKind::kIndex: return "IndexError";
    case ErrorKind::kIO: return "IOError";
    case ErrorKind::kDevice: return "DeviceError";
    default: return "InternalError";
  }
}

void TShape::TooMany() {
  Throw(ErrorKind::kShape, "arrays have at most ", kMaxDim, " dimensions");
}

std::string ShapeStr(const TShape &s) {
  std::ostringstream os;
  os << '(';
  for (size_t i = 0; i < s.size(); ++i) {
    if (i) os << ',';
    os << s[i];
  }
  if (s.size() == 1) os << ',';
  os << ')';
  return os.str();
}

bool DTypeValid(int dtype) { return dtype >= 0 && dtype <= 7; }

size_t ShapeBytes(const TShape &shape, int dtype) {
  const size_t es = DTypeSize(dtype);
  // Stay below 2^62 bytes: no machine has that much memory, and every size and offset computed from the count in
  // int64_t then fits.
  const uint64_t limit = (uint64_t(1) << 62) / es;
  uint64_t n = 1;
  bool zero = false;
  for (auto d : shape) zero = zero || d == 0;
  if (zero) return 0;
  for (auto d : shape) {
    MXC_CHECK(d >= 0, ErrorKind::kShape, "negative dimension in shape ", ShapeStr(shape));
    MXC_CHECK(static_cast<uint64_t>(d) <= limit / n, ErrorKind::kValue, "an array of shape ", ShapeStr(shape),
              " and dtype ", DTypeName(dtype), " is too large (more than 2^62 bytes)");
    n *= static_cast<uint64_t>(d);
  }
  return static_cast<size_t>(n) * es;
}

size_t DTypeSize(int dtype) {
  switch (dtype) {
    case kFloat32: return 4;
    case kFloat64: return 8;
    case kFloat16: return 2;
    case kUint8: return 1;
    case kInt32: return 4;
    case kInt8: return 1;
    case kInt64: return 8;
    case kBool: return 1;
    default: Throw(ErrorKind::kType, "unknown dtype code ", dtype, " (valid codes are 0 to 7)");
  }
}

static const char *kDTypeNames[] = {"float32", "float64", "float16", "uint8", "int32", "int8", "int64", "bool"};

const char *DTypeName(int dtype) { return DTypeValid(dtype) ? kDTypeNames[dtype] : "unknown"; }

int DTypeFromName(const std::string &name) {
  for (int i = 0; i < 8; ++i)
    if (name == kDTypeNames[i]) return i;
  if (name == "float") return kFloat32;
  if (name == "double") return kFloat64;
  if (name == "half") return kFloat16;
  Throw(ErrorKind::kValue, "unknown dtype '", name, "'");
}

std::string DeviceStr(const Device &d) {
  return std::string(d.type == MXC_GPU ? "gpu(" : "cpu(") + std::to_string(d.id) + ")";
}

#ifndef MXC_USE_CUDA
int NumGPUs() { return 0; }
#endif

void CheckDevice(const Device &d) {
  if (d.type == MXC_CPU) {
    MXC_CHECK(d.id == 0 || d.id > 0, ErrorKind::kDevice, "invalid device ", DeviceStr(d));
    return;
  }
  if (d.type == MXC_GPU) {
#ifndef MXC_USE_CUDA
    Throw(ErrorKind::kDevice, "gpu(", d.id, ") is not available: this build of mxc has no CUDA support");
#else
    int n = NumGPUs();
    MXC_CHECK(n > 0, ErrorKind::kDevice, "gpu(", d.id, ") is not available: no GPU or driver found");
    MXC_CHECK(d.id >= 0 && d.id < n, ErrorKind::kDevice, "gpu(", d.id, ") is not available: ", n,
              " GPU(s) present");
    return;
#endif
  }
  Throw(ErrorKind::kDevice, "unknown device type code ", d.type, " (1 = cpu, 2 = gpu)");
}

}  // namespace mxc
