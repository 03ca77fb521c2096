// DLPack through the C API (mxc.h only): export (fields, lifetime, waits on pending work), import from a producer
// of our own (memory shared, byte_offset, deleter called exactly once after the last array and its queued work),
// round trips for every dtype, and errors for what cannot be shared.
#include <gtest/gtest.h>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "mxc.h"

namespace {

std::string Err() { return MXCGetLastError(); }

MXCNDArrayHandle Make(std::vector<int64_t> shape, int dtype = MXC_FLOAT32, int dev_type = MXC_CPU) {
  MXCNDArrayHandle h = nullptr;
  EXPECT_EQ(MXCNDArrayCreate(shape.data(), static_cast<int>(shape.size()), dtype, dev_type, 0, 0, &h), 0) << Err();
  return h;
}

std::vector<int64_t> Shape(MXCNDArrayHandle h) {
  int nd = 0;
  const int64_t *s = nullptr;
  EXPECT_EQ(MXCNDArrayGetShape(h, &nd, &s), 0) << Err();
  return std::vector<int64_t>(s, s + nd);
}

std::vector<float> ReadF(MXCNDArrayHandle h, int64_t n) {
  std::vector<float> v(n);
  EXPECT_EQ(MXCNDArraySyncCopyToCPU(h, v.data(), n), 0) << Err();
  return v;
}

MXCNDArrayHandle Invoke1(const char *op, std::vector<MXCNDArrayHandle> ins, std::vector<const char *> keys = {},
                         std::vector<const char *> vals = {}) {
  MXCOpHandle o = nullptr;
  EXPECT_EQ(MXCOpGetHandle(op, &o), 0) << Err();
  int nout = 0;
  MXCNDArrayHandle *outs = nullptr;
  EXPECT_EQ(MXCOpInvoke(o, static_cast<int>(ins.size()), ins.data(), &nout, &outs, static_cast<int>(keys.size()),
                        keys.data(), vals.data()),
            0)
      << Err();
  EXPECT_EQ(nout, 1);
  return nout == 1 ? outs[0] : nullptr;
}

// A producer of our own: a host buffer handed out as a DLManagedTensor; counts the calls of its deleter.
struct Producer {
  std::vector<int64_t> shape, strides;
  std::vector<unsigned char> buf;
  MXCDLManagedTensor t{};
  int deleted = 0;
  Producer(std::vector<int64_t> shp, MXCDLDataType type, size_t bytes, int dev_type = MXC_DL_CPU)
      : shape(std::move(shp)), buf(bytes) {
    t.dl_tensor.data = buf.data();
    t.dl_tensor.device.device_type = dev_type;
    t.dl_tensor.device.device_id = 0;
    t.dl_tensor.ndim = static_cast<int32_t>(shape.size());
    t.dl_tensor.dtype = type;
    t.dl_tensor.shape = shape.data();
    t.dl_tensor.strides = nullptr;
    t.dl_tensor.byte_offset = 0;
    t.manager_ctx = this;
    t.deleter = [](MXCDLManagedTensor *self) { ++static_cast<Producer *>(self->manager_ctx)->deleted; };
  }
  void SetStrides(std::vector<int64_t> s) {
    strides = std::move(s);
    t.dl_tensor.strides = strides.data();
  }
  float *f() { return reinterpret_cast<float *>(buf.data()); }
};

MXCDLDataType DL(uint8_t code, uint8_t bits, uint16_t lanes = 1) {
  MXCDLDataType t;
  t.code = code;
  t.bits = bits;
  t.lanes = lanes;
  return t;
}

TEST(DLPack, StructLayoutIsDLPacks) {
  // DLPack's 0.x ABI on a 64-bit platform.
  EXPECT_EQ(sizeof(MXCDLDevice), 8u);
  EXPECT_EQ(sizeof(MXCDLDataType), 4u);
  EXPECT_EQ(offsetof(MXCDLTensor, device), 8u);
  EXPECT_EQ(offsetof(MXCDLTensor, ndim), 16u);
  EXPECT_EQ(offsetof(MXCDLTensor, dtype), 20u);
  EXPECT_EQ(offsetof(MXCDLTensor, shape), 24u);
  EXPECT_EQ(offsetof(MXCDLTensor, strides), 32u);
  EXPECT_EQ(offsetof(MXCDLTensor, byte_offset), 40u);
  EXPECT_EQ(sizeof(MXCDLTensor), 48u);
  EXPECT_EQ(offsetof(MXCDLManagedTensor, manager_ctx), 48u);
  EXPECT_EQ(offsetof(MXCDLManagedTensor, deleter), 56u);
}

TEST(DLPack, ExportFieldsAndLifetime) {
  auto h = Make({2, 3, 4});
  std::vector<float> v(24);
  for (int i = 0; i < 24; ++i) v[i] = 0.5f * i - 3.0f;
  ASSERT_EQ(MXCNDArraySyncCopyFromCPU(h, v.data(), 24), 0) << Err();
  // A view: the exported data starts at its first element.
  MXCNDArrayHandle row = nullptr;
  ASSERT_EQ(MXCNDArraySlice(h, 1, 2, &row), 0) << Err();
  MXCDLManagedTensor *t = nullptr;
  ASSERT_EQ(MXCNDArrayToDLPack(row, 0, &t), 0) << Err();
  ASSERT_NE(t, nullptr);
  void *data = nullptr;
  ASSERT_EQ(MXCNDArrayGetData(row, &data), 0);
  EXPECT_EQ(t->dl_tensor.data, data);
  EXPECT_EQ(t->dl_tensor.byte_offset, 0u);
  EXPECT_EQ(t->dl_tensor.device.device_type, MXC_DL_CPU);
  EXPECT_EQ(t->dl_tensor.device.device_id, 0);
  EXPECT_EQ(t->dl_tensor.ndim, 3);
  EXPECT_EQ(t->dl_tensor.dtype.code, MXC_DL_FLOAT);
  EXPECT_EQ(t->dl_tensor.dtype.bits, 32);
  EXPECT_EQ(t->dl_tensor.dtype.lanes, 1);
  EXPECT_EQ(std::vector<int64_t>(t->dl_tensor.shape, t->dl_tensor.shape + 3), (std::vector<int64_t>{1, 3, 4}));
  ASSERT_NE(t->dl_tensor.strides, nullptr);
  EXPECT_EQ(std::vector<int64_t>(t->dl_tensor.strides, t->dl_tensor.strides + 3), (std::vector<int64_t>{12, 4, 1}));
  // The producer's handles go first: the tensor keeps the storage.
  MXCNDArrayFree(row);
  MXCNDArrayFree(h);
  const float *p = static_cast<const float *>(t->dl_tensor.data);
  for (int i = 0; i < 12; ++i) EXPECT_EQ(p[i], v[12 + i]) << i;
  t->deleter(t);
}

TEST(DLPack, ProducerMemorySharedAndDeleterCalledOnceAfterLastArray) {
  Producer prod({2, 3}, DL(MXC_DL_FLOAT, 32), 6 * sizeof(float));
  for (int i = 0; i < 6; ++i) prod.f()[i] = static_cast<float>(i + 1);
  MXCNDArrayHandle a = nullptr;
  ASSERT_EQ(MXCNDArrayFromDLPack(&prod.t, &a), 0) << Err();
  EXPECT_EQ(Shape(a), (std::vector<int64_t>{2, 3}));
  int dtype = -1, dt = -1, di = -1;
  ASSERT_EQ(MXCNDArrayGetDType(a, &dtype), 0);
  EXPECT_EQ(dtype, MXC_FLOAT32);
  ASSERT_EQ(MXCNDArrayGetDevice(a, &dt, &di), 0);
  EXPECT_EQ(dt, MXC_CPU);
  void *data = nullptr;
  ASSERT_EQ(MXCNDArrayGetData(a, &data), 0);
  EXPECT_EQ(data, prod.buf.data());
  EXPECT_EQ(ReadF(a, 6), (std::vector<float>{1, 2, 3, 4, 5, 6}));
  // mxc writes into the producer's memory; the producer's writes are seen by mxc.
  float w[6] = {10, 20, 30, 40, 50, 60};
  ASSERT_EQ(MXCNDArraySyncCopyFromCPU(a, w, 6), 0) << Err();
  EXPECT_EQ(prod.f()[4], 50.0f);
  prod.f()[0] = -7.0f;
  EXPECT_EQ(ReadF(a, 6)[0], -7.0f);
  // An operator queued on it, a view, then the first handle freed: the memory stays until both are gone.
  const char *k[] = {"scalar"};
  const char *val[] = {"1.5"};
  MXCNDArrayHandle b = Invoke1("_plus_scalar", {a}, {k[0]}, {val[0]});
  MXCNDArrayHandle view = nullptr;
  ASSERT_EQ(MXCNDArrayAt(a, 1, &view), 0) << Err();
  MXCNDArrayFree(a);
  ASSERT_EQ(MXCNDArrayWaitAll(), 0) << Err();
  EXPECT_EQ(prod.deleted, 0);
  EXPECT_EQ(ReadF(view, 3), (std::vector<float>{40, 50, 60}));
  EXPECT_EQ(ReadF(b, 6), (std::vector<float>{-5.5f, 21.5f, 31.5f, 41.5f, 51.5f, 61.5f}));
  MXCNDArrayFree(view);
  ASSERT_EQ(MXCNDArrayWaitAll(), 0) << Err();
  EXPECT_EQ(prod.deleted, 1);
  MXCNDArrayFree(b);
  ASSERT_EQ(MXCNDArrayWaitAll(), 0) << Err();
  EXPECT_EQ(prod.deleted, 1);
}

TEST(DLPack, DeleterWaitsForQueuedWork) {
  // A long chain of operators reads the imported array; its handle is freed at once: the deleter must come after
  // the work, and the work must have read the producer's values.
  const int64_t n = 1 << 20;
  Producer prod({n}, DL(MXC_DL_FLOAT, 32), n * sizeof(float));
  for (int64_t i = 0; i < n; ++i) prod.f()[i] = static_cast<float>(i % 1000);
  MXCNDArrayHandle a = nullptr;
  ASSERT_EQ(MXCNDArrayFromDLPack(&prod.t, &a), 0) << Err();
  MXCNDArrayHandle acc = Invoke1("_mul_scalar", {a}, {"scalar"}, {"1"});
  for (int i = 0; i < 20; ++i) {
    MXCNDArrayHandle next = Invoke1("elemwise_add", {acc, a});
    MXCNDArrayFree(acc);
    acc = next;
  }
  MXCNDArrayFree(a);
  ASSERT_EQ(MXCNDArrayWaitAll(), 0) << Err();
  EXPECT_EQ(prod.deleted, 1);
  std::vector<float> r = ReadF(acc, n);
  for (int64_t i : {int64_t(0), int64_t(1), int64_t(999), int64_t(123457), n - 1})
    EXPECT_EQ(r[i], 21.0f * static_cast<float>(i % 1000)) << i;
  MXCNDArrayFree(acc);
}

TEST(DLPack, ByteOffsetAndCompactStridesHonoured) {
  Producer prod({2, 1, 2}, DL(MXC_DL_FLOAT, 32), 8 * sizeof(float));
  for (int i = 0; i < 8; ++i) prod.f()[i] = static_cast<float>(i);
  prod.t.dl_tensor.byte_offset = 3 * sizeof(float);
  prod.SetStrides({2, 77, 1});  // the stride of a size-1 axis does not matter
  MXCNDArrayHandle a = nullptr;
  ASSERT_EQ(MXCNDArrayFromDLPack(&prod.t, &a), 0) << Err();
  EXPECT_EQ(ReadF(a, 4), (std::vector<float>{3, 4, 5, 6}));
  MXCNDArrayFree(a);
  ASSERT_EQ(MXCNDArrayWaitAll(), 0);
  EXPECT_EQ(prod.deleted, 1);
}

TEST(DLPack, ZeroDimensionalAndEmpty) {
  Producer scalar({}, DL(MXC_DL_FLOAT, 64), sizeof(double));
  *reinterpret_cast<double *>(scalar.buf.data()) = 2.25;
  MXCNDArrayHandle a = nullptr;
  ASSERT_EQ(MXCNDArrayFromDLPack(&scalar.t, &a), 0) << Err();
  EXPECT_EQ(Shape(a), (std::vector<int64_t>{1}));
  double d = 0;
  ASSERT_EQ(MXCNDArraySyncCopyToCPU(a, &d, 1), 0);
  EXPECT_EQ(d, 2.25);
  MXCNDArrayFree(a);
  // An empty tensor with NULL data: an empty array, the tensor released at once.
  Producer empty({0, 3}, DL(MXC_DL_INT, 32), 0);
  empty.t.dl_tensor.data = nullptr;
  empty.SetStrides({5, 9});  // any strides for an empty tensor
  MXCNDArrayHandle e = nullptr;
  ASSERT_EQ(MXCNDArrayFromDLPack(&empty.t, &e), 0) << Err();
  EXPECT_EQ(Shape(e), (std::vector<int64_t>{0, 3}));
  EXPECT_EQ(empty.deleted, 1);
  MXCNDArrayFree(e);
  ASSERT_EQ(MXCNDArrayWaitAll(), 0);
  EXPECT_EQ(scalar.deleted, 1);
  EXPECT_EQ(empty.deleted, 1);
}

TEST(DLPack, RoundTripEveryDtypeSharesMemory) {
  struct Case {
    int dtype;
    uint8_t code, bits;
    size_t size;
  };
  const Case cases[] = {{MXC_FLOAT32, MXC_DL_FLOAT, 32, 4}, {MXC_FLOAT64, MXC_DL_FLOAT, 64, 8},
                        {MXC_FLOAT16, MXC_DL_FLOAT, 16, 2}, {MXC_UINT8, MXC_DL_UINT, 8, 1},
                        {MXC_INT32, MXC_DL_INT, 32, 4},     {MXC_INT8, MXC_DL_INT, 8, 1},
                        {MXC_INT64, MXC_DL_INT, 64, 8},     {MXC_BOOL, MXC_DL_BOOL, 8, 1}};
  for (const Case &c : cases) {
    auto h = Make({3, 5}, c.dtype);
    std::vector<unsigned char> in(15 * c.size);
    for (size_t i = 0; i < in.size(); ++i) in[i] = static_cast<unsigned char>(c.dtype == MXC_BOOL ? i % 2 : i * 5);
    ASSERT_EQ(MXCNDArraySyncCopyFromCPU(h, in.data(), 15), 0) << Err();
    MXCDLManagedTensor *t = nullptr;
    ASSERT_EQ(MXCNDArrayToDLPack(h, 1, &t), 0) << Err();
    EXPECT_EQ(t->dl_tensor.dtype.code, c.code) << c.dtype;
    EXPECT_EQ(t->dl_tensor.dtype.bits, c.bits) << c.dtype;
    EXPECT_EQ(t->dl_tensor.dtype.lanes, 1);
    MXCNDArrayHandle back = nullptr;
    ASSERT_EQ(MXCNDArrayFromDLPack(t, &back), 0) << Err();
    int dtype = -1;
    ASSERT_EQ(MXCNDArrayGetDType(back, &dtype), 0);
    EXPECT_EQ(dtype, c.dtype);
    EXPECT_EQ(Shape(back), (std::vector<int64_t>{3, 5}));
    void *p1 = nullptr, *p2 = nullptr;
    ASSERT_EQ(MXCNDArrayGetData(h, &p1), 0);
    ASSERT_EQ(MXCNDArrayGetData(back, &p2), 0);
    EXPECT_EQ(p1, p2) << c.dtype;
    MXCNDArrayFree(h);  // the import keeps the exported storage alive
    std::vector<unsigned char> out(in.size());
    ASSERT_EQ(MXCNDArraySyncCopyToCPU(back, out.data(), 15), 0) << Err();
    EXPECT_EQ(in, out) << c.dtype;
    MXCNDArrayFree(back);
  }
  ASSERT_EQ(MXCNDArrayWaitAll(), 0);
}

TEST(DLPack, ExportWaitsForPendingWrites) {
  // for read: every write queued before the export is in the exported memory.
  const int64_t n = 1 << 20;
  auto a = Make({n});
  std::vector<float> v(n);
  for (int64_t i = 0; i < n; ++i) v[i] = static_cast<float>(i % 97);
  ASSERT_EQ(MXCNDArraySyncCopyFromCPU(a, v.data(), n), 0);
  MXCNDArrayHandle acc = Invoke1("_mul_scalar", {a}, {"scalar"}, {"1"});
  for (int i = 0; i < 15; ++i) {
    MXCNDArrayHandle next = Invoke1("elemwise_add", {acc, a});
    MXCNDArrayFree(acc);
    acc = next;
  }
  MXCDLManagedTensor *t = nullptr;
  ASSERT_EQ(MXCNDArrayToDLPack(acc, 0, &t), 0) << Err();
  const float *p = static_cast<const float *>(t->dl_tensor.data);
  for (int64_t i : {int64_t(0), int64_t(5), int64_t(96), int64_t(500001), n - 1})
    EXPECT_EQ(p[i], 16.0f * static_cast<float>(i % 97)) << i;
  t->deleter(t);
  MXCNDArrayFree(acc);
  MXCNDArrayFree(a);
}

TEST(DLPack, ExportForWriteWaitsForPendingReads) {
  // for write: reads queued before the export have finished, so overwriting the memory does not change them.
  const int64_t n = 1 << 20;
  auto a = Make({n});
  std::vector<float> v(n, 2.0f);
  ASSERT_EQ(MXCNDArraySyncCopyFromCPU(a, v.data(), n), 0);
  std::vector<MXCNDArrayHandle> reads;
  for (int i = 0; i < 12; ++i) reads.push_back(Invoke1("_mul_scalar", {a}, {"scalar"}, {"3"}));
  MXCDLManagedTensor *t = nullptr;
  ASSERT_EQ(MXCNDArrayToDLPack(a, 1, &t), 0) << Err();
  float *p = static_cast<float *>(t->dl_tensor.data);
  for (int64_t i = 0; i < n; ++i) p[i] = -1.0f;
  for (auto r : reads) {
    std::vector<float> got = ReadF(r, n);
    EXPECT_EQ(got[0], 6.0f);
    EXPECT_EQ(got[n / 2], 6.0f);
    EXPECT_EQ(got[n - 1], 6.0f);
    MXCNDArrayFree(r);
  }
  EXPECT_EQ(ReadF(a, n)[7], -1.0f);  // the consumer's write is the array's
  t->deleter(t);
  MXCNDArrayFree(a);
}

TEST(DLPack, ExportBadArguments) {
  MXCNDArrayHandle x = Make({4});
  float v[4] = {1, 2, 3, 4};
  ASSERT_EQ(MXCNDArraySyncCopyFromCPU(x, v, 4), 0);
  MXCDLManagedTensor *t = reinterpret_cast<MXCDLManagedTensor *>(1);
  EXPECT_NE(MXCNDArrayToDLPack(nullptr, 0, &t), 0);
  EXPECT_NE(MXCNDArrayToDLPack(x, 0, nullptr), 0);
  EXPECT_NE(Err().find("out"), std::string::npos) << Err();
  MXCNDArrayFree(x);
}

void ExpectImportError(Producer &prod, const char *kind, const std::vector<std::string> &words) {
  MXCNDArrayHandle a = reinterpret_cast<MXCNDArrayHandle>(1);
  ASSERT_NE(MXCNDArrayFromDLPack(&prod.t, &a), 0);
  std::string e = Err();
  EXPECT_EQ(e.rfind(kind, 0), 0u) << e;
  for (const auto &w : words) EXPECT_NE(e.find(w), std::string::npos) << "'" << w << "' not in: " << e;
  EXPECT_EQ(prod.deleted, 0) << "a failed import leaves the tensor to its owner";
}

TEST(DLPack, ImportErrors) {
  {
    Producer p({4}, DL(MXC_DL_INT, 16), 8);
    ExpectImportError(p, "TypeError: ", {"from_dlpack", "int16"});
  }
  {
    Producer p({4}, DL(MXC_DL_UINT, 16), 8);
    ExpectImportError(p, "TypeError: ", {"uint16"});
  }
  {
    Producer p({4}, DL(MXC_DL_BFLOAT, 16), 8);
    ExpectImportError(p, "TypeError: ", {"bfloat16"});
  }
  {
    Producer p({4}, DL(MXC_DL_COMPLEX, 64), 32);
    ExpectImportError(p, "TypeError: ", {"complex64"});
  }
  {
    Producer p({4}, DL(MXC_DL_FLOAT, 32, 4), 64);
    ExpectImportError(p, "TypeError: ", {"float32 x4 lanes"});
  }
  {
    Producer p({4}, DL(MXC_DL_FLOAT, 32), 16, MXC_DL_ROCM);
    ExpectImportError(p, "DeviceError: ", {"kDLROCM"});
  }
  {
    Producer p({4}, DL(MXC_DL_FLOAT, 32), 16, 99);
    ExpectImportError(p, "DeviceError: ", {"unknown device type 99"});
  }
  {
    Producer p({4}, DL(MXC_DL_FLOAT, 32), 16, MXC_DL_CUDA);
    p.t.dl_tensor.device.device_id = 97;
    ExpectImportError(p, "DeviceError: ", {"kDLCUDA (device 97)"});
  }
  {
    Producer p({2, 3}, DL(MXC_DL_FLOAT, 32), 48);
    p.SetStrides({1, 2});  // a transposed (Fortran-order) view
    ExpectImportError(p, "ValueError: ", {"compact", "(2,3)", "(1,2)"});
  }
  {
    Producer p({2, 3}, DL(MXC_DL_FLOAT, 32), 48);
    p.SetStrides({6, 2});  // every other column
    ExpectImportError(p, "ValueError: ", {"(6,2)"});
  }
  {
    Producer p({2, 3}, DL(MXC_DL_FLOAT, 32), 24);
    p.t.dl_tensor.data = nullptr;
    ExpectImportError(p, "ValueError: ", {"NULL"});
  }
  {
    Producer p(std::vector<int64_t>(11, 1), DL(MXC_DL_FLOAT, 32), 4);
    ExpectImportError(p, "ShapeError: ", {"11 dimensions"});
  }
  {
    Producer p({2, -3}, DL(MXC_DL_FLOAT, 32), 24);
    ExpectImportError(p, "ShapeError: ", {"negative"});
  }
  MXCNDArrayHandle a = nullptr;
  EXPECT_NE(MXCNDArrayFromDLPack(nullptr, &a), 0);
  EXPECT_EQ(Err().rfind("ValueError: ", 0), 0u) << Err();
  EXPECT_NE(Err().find("NULL"), std::string::npos);
}

int GpuCount() {
  int n = 0;
  if (MXCGetDeviceCount(MXC_GPU, &n) != 0) return 0;
  return n;
}

TEST(DLPack, CudaTensorWithoutCudaOrWithAGpu) {
  Producer p({3}, DL(MXC_DL_FLOAT, 32), 12, MXC_DL_CUDA);
  MXCNDArrayHandle a = nullptr;
  if (GpuCount() == 0) {
    ExpectImportError(p, "DeviceError: ", {"kDLCUDA (device 0)"});
    return;
  }
  // Device memory of an mxc gpu array serves as the producer's (the CUDA emulation refuses host memory there).
  MXCNDArrayHandle g = Make({3}, MXC_FLOAT32, MXC_GPU);
  float v[3] = {1, 2, 3};
  ASSERT_EQ(MXCNDArraySyncCopyFromCPU(g, v, 3), 0) << Err();
  MXCDLManagedTensor *src = nullptr;
  ASSERT_EQ(MXCNDArrayToDLPack(g, 0, &src), 0) << Err();
  p.t.dl_tensor.data = src->dl_tensor.data;
  ASSERT_EQ(MXCNDArrayFromDLPack(&p.t, &a), 0) << Err();
  int dt = -1, di = -1;
  ASSERT_EQ(MXCNDArrayGetDevice(a, &dt, &di), 0);
  EXPECT_EQ(dt, MXC_GPU);
  EXPECT_EQ(di, 0);
  EXPECT_EQ(ReadF(a, 3), (std::vector<float>{1, 2, 3}));
  MXCNDArrayFree(a);
  ASSERT_EQ(MXCNDArrayWaitAll(), 0);
  EXPECT_EQ(p.deleted, 1);
  src->deleter(src);
  MXCNDArrayFree(g);
}

TEST(DLPack, GpuArrayExportsAsCuda) {
  if (GpuCount() == 0) GTEST_SKIP() << "no GPU in this build";
  auto g = Make({2, 2}, MXC_FLOAT32, MXC_GPU);
  float v[4] = {1, 2, 3, 4};
  ASSERT_EQ(MXCNDArraySyncCopyFromCPU(g, v, 4), 0) << Err();
  MXCNDArrayHandle g2 = Invoke1("_mul_scalar", {g}, {"scalar"}, {"2"});
  MXCDLManagedTensor *t = nullptr;
  ASSERT_EQ(MXCNDArrayToDLPack(g2, 0, &t), 0) << Err();
  EXPECT_EQ(t->dl_tensor.device.device_type, MXC_DL_CUDA);
  EXPECT_EQ(t->dl_tensor.device.device_id, 0);
  MXCNDArrayFree(g2);
  MXCNDArrayHandle back = nullptr;
  ASSERT_EQ(MXCNDArrayFromDLPack(t, &back), 0) << Err();
  int dt = -1, di = -1;
  ASSERT_EQ(MXCNDArrayGetDevice(back, &dt, &di), 0);
  EXPECT_EQ(dt, MXC_GPU);
  EXPECT_EQ(ReadF(back, 4), (std::vector<float>{2, 4, 6, 8}));
  MXCNDArrayFree(back);
  MXCNDArrayFree(g);
}

}  // namespace
