// The mxc array file format (little-endian):
//   "MXCNDARR"  8-byte magic
//   uint32      format version (1)
//   uint32      flags: bit 0 set when arrays are named
//   uint64      number of arrays
//   per array:  [uint32 name length, name bytes]   (named files only)
//               int32 dtype code, uint32 ndim, int64 dims[ndim], uint64 data bytes, data
// MXNet 1.x's .params layout (learnt from the bytes of files MXNet 1.9.1 writes), also read and written:
//   uint64 0x112 magic, uint64 0, uint64 number of arrays;
//   per array:  uint32 0xF993FAC9, int32 storage type (0: dense), uint32 ndim, int64 dims[ndim],
//               int32 device type, int32 device id, int32 dtype code, data (no length: it follows from the shape)
//   uint64 number of names, per name uint64 length and bytes.
// Readers check every length against the bytes left, so a corrupt or truncated file is an IOError, never a crash.
#include <cstring>

#include "ndarray.h"
#include "np_shape.h"

namespace mxc {

namespace {
const char kMagic[8] = {'M', 'X', 'C', 'N', 'D', 'A', 'R', 'R'};
constexpr uint32_t kVersion = 1;
constexpr uint64_t kMXNetListMagic = 0x112;
constexpr uint32_t kMXNetArrayMagic = 0xF993FAC9u;

template <typename T>
void Put(std::string *o, T v) {
  o->append(reinterpret_cast<const char *>(&v), sizeof(T));
}

class Reader {
 public:
  Reader(const char *p, size_t n) : p_(p), n_(n) {}
  template <typename T>
  T Get(const char *what) {
    T v;
    Need(sizeof(T), what);
    std::memcpy(&v, p_ + pos_, sizeof(T));
    pos_ += sizeof(T);
    return v;
  }
  const char *Bytes(size_t n, const char *what) {
    Need(n, what);
    const char *r = p_ + pos_;
    pos_ += n;
    return r;
  }
  size_t left() const { return n_ - pos_; }

 private:
  void Need(size_t k, const char *what) {
    if (k > n_ - pos_)
      Throw(ErrorKind::kIO, "truncated or corrupt array file: ", what, " needs ", k, " bytes at offset ", pos_,
            ", only ", n_ - pos_, " left");
  }
  const char *p_;
  size_t n_;
  size_t pos_ = 0;
};

TShape GetShape(Reader *r, uint32_t ndim) {
  // ndim 0: a 0-d array, read in NumPy shape mode only (np_shape.h).
  MXC_CHECK((ndim >= 1 || IsNumpyShape()) && ndim <= static_cast<uint32_t>(kMaxDim), ErrorKind::kIO,
            "corrupt array file: ndim ", ndim, ndim == 0 ? " (a 0-d array: load it in NumPy shape mode)" : "");
  TShape shape;
  for (uint32_t d = 0; d < ndim; ++d) {
    int64_t v = r->Get<int64_t>("dimension");
    MXC_CHECK(v >= 0 && v < (int64_t(1) << 40), ErrorKind::kIO, "corrupt array file: dimension ", v);
    shape.push_back(v);
  }
  return shape;
}

NDArray GetData(Reader *r, const TShape &shape, int dtype) {
  double want = DTypeSize(dtype);  // in double: a corrupt shape must not overflow the byte count
  for (auto d : shape) want *= static_cast<double>(d);
  MXC_CHECK(want <= static_cast<double>(r->left()), ErrorKind::kIO, "truncated or corrupt array file: shape ",
            ShapeStr(shape), " of ", DTypeName(dtype), " needs ", want, " bytes, only ", r->left(), " left");
  const size_t bytes = static_cast<size_t>(ShapeSize(shape)) * DTypeSize(dtype);
  const char *src = r->Bytes(bytes, "array data");
  NDArray a(shape, dtype, Device::CPU());
  if (bytes) a.SyncCopyFromCPU(src, a.Size());
  return a;
}

void LoadMXNetArrays(Reader *r, std::vector<NDArray> *arrays, std::vector<std::string> *names) {
  r->Get<uint64_t>("reserved");
  uint64_t count = r->Get<uint64_t>("array count");
  MXC_CHECK(count <= r->left() / 16, ErrorKind::kIO, "corrupt MXNet array file: count ", count, " too large");
  for (uint64_t i = 0; i < count; ++i) {
    uint32_t magic = r->Get<uint32_t>("array magic");
    MXC_CHECK(magic == kMXNetArrayMagic, ErrorKind::kIO, "MXNet array file: array ", i,
              " is in an older or unknown layout (magic ", magic, ")");
    int32_t stype = r->Get<int32_t>("storage type");
    MXC_CHECK(stype == 0, ErrorKind::kIO, "MXNet array file: array ", i, " is sparse (storage type ", stype,
              "); only dense arrays are supported");
    TShape shape = GetShape(r, r->Get<uint32_t>("ndim"));
    r->Get<int32_t>("device type");
    r->Get<int32_t>("device id");
    int32_t dtype = r->Get<int32_t>("dtype");
    MXC_CHECK(DTypeValid(dtype), ErrorKind::kIO, "corrupt MXNet array file: bad dtype code ", dtype);
    arrays->push_back(GetData(r, shape, dtype));
  }
  uint64_t nnames = r->Get<uint64_t>("name count");
  MXC_CHECK(nnames == 0 || nnames == count, ErrorKind::kIO, "corrupt MXNet array file: ", nnames, " names for ",
            count, " arrays");
  for (uint64_t i = 0; i < nnames; ++i) {
    uint64_t len = r->Get<uint64_t>("name length");
    MXC_CHECK(len <= r->left(), ErrorKind::kIO, "corrupt MXNet array file: name length ", len);
    names->emplace_back(r->Bytes(len, "name"), len);
  }
}
}  // namespace

void SaveArraysMXNet(std::string *out, const std::vector<NDArray> &arrays, const std::vector<std::string> &names) {
  MXC_CHECK(names.empty() || names.size() == arrays.size(), ErrorKind::kValue, "save: ", arrays.size(),
            " arrays but ", names.size(), " names");
  out->clear();
  Put<uint64_t>(out, kMXNetListMagic);
  Put<uint64_t>(out, 0);
  Put<uint64_t>(out, arrays.size());
  for (const NDArray &a : arrays) {
    Put<uint32_t>(out, kMXNetArrayMagic);
    Put<int32_t>(out, 0);
    Put<uint32_t>(out, static_cast<uint32_t>(a.shape().size()));
    for (auto d : a.shape()) Put<int64_t>(out, d);
    Put<int32_t>(out, MXC_CPU);
    Put<int32_t>(out, 0);
    Put<int32_t>(out, a.dtype());
    size_t bytes = static_cast<size_t>(a.Size()) * DTypeSize(a.dtype());
    size_t at = out->size();
    out->resize(at + bytes);
    if (bytes) a.SyncCopyToCPU(&(*out)[at], a.Size());
  }
  Put<uint64_t>(out, names.size());
  for (auto &n : names) {
    Put<uint64_t>(out, n.size());
    out->append(n);
  }
}

void SaveArrays(std::string *out, const std::vector<NDArray> &arrays, const std::vector<std::string> &names) {
  MXC_CHECK(names.empty() || names.size() == arrays.size(), ErrorKind::kValue, "save: ", arrays.size(),
            " arrays but ", names.size(), " names");
  out->clear();
  out->append(kMagic, 8);
  Put<uint32_t>(out, kVersion);
  Put<uint32_t>(out, names.empty() ? 0u : 1u);
  Put<uint64_t>(out, arrays.size());
  for (size_t i = 0; i < arrays.size(); ++i) {
    const NDArray &a = arrays[i];
    if (!names.empty()) {
      Put<uint32_t>(out, static_cast<uint32_t>(names[i].size()));
      out->append(names[i]);
    }
    Put<int32_t>(out, a.dtype());
    Put<uint32_t>(out, static_cast<uint32_t>(a.shape().size()));
    for (auto d : a.shape()) Put<int64_t>(out, d);
    uint64_t bytes = static_cast<uint64_t>(a.Size()) * DTypeSize(a.dtype());
    Put<uint64_t>(out, bytes);
    size_t at = out->size();
    out->resize(at + bytes);
    NDArray host = a;
    if (bytes) a.SyncCopyToCPU(&(*out)[at], a.Size());
  }
}

void LoadArrays(const char *data, size_t size, std::vector<NDArray> *arrays, std::vector<std::string> *names) {
  Reader r(data, size);
  arrays->clear();
  names->clear();
  if (size >= 8) {
    uint64_t m;
    std::memcpy(&m, data, 8);
    if (m == kMXNetListMagic) {
      r.Get<uint64_t>("magic");
      LoadMXNetArrays(&r, arrays, names);
      return;
    }
  }
  const char *magic = r.Bytes(8, "magic");
  MXC_CHECK(std::memcmp(magic, kMagic, 8) == 0, ErrorKind::kIO, "not an mxc array file (bad magic number)");
  uint32_t version = r.Get<uint32_t>("version");
  MXC_CHECK(version == kVersion, ErrorKind::kIO, "unsupported array file version ", version, " (this build reads ",
            kVersion, ")");
  uint32_t flags = r.Get<uint32_t>("flags");
  uint64_t count = r.Get<uint64_t>("array count");
  // Each array takes at least 16 bytes: reject absurd counts before allocating anything.
  MXC_CHECK(count <= r.left() / 16, ErrorKind::kIO, "corrupt array file: count ", count, " too large");
  for (uint64_t i = 0; i < count; ++i) {
    if (flags & 1u) {
      uint32_t len = r.Get<uint32_t>("name length");
      const char *nm = r.Bytes(len, "name");
      names->emplace_back(nm, len);
    }
    int32_t dtype = r.Get<int32_t>("dtype");
    MXC_CHECK(DTypeValid(dtype), ErrorKind::kIO, "corrupt array file: bad dtype code ", dtype);
    TShape shape = GetShape(&r, r.Get<uint32_t>("ndim"));
    uint64_t bytes = r.Get<uint64_t>("data size");
    double expect = static_cast<double>(ShapeSize(shape)) * DTypeSize(dtype);
    MXC_CHECK(static_cast<double>(bytes) == expect, ErrorKind::kIO, "corrupt array file: ", bytes,
              " data bytes for shape ", ShapeStr(shape), " of ", DTypeName(dtype));
    arrays->push_back(GetData(&r, shape, dtype));
  }
}

}  // namespace mxc
