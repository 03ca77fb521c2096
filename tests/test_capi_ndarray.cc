// NDArray C API: creation, queries, copies, views, waits, save/load, and bad input.
#include <gtest/gtest.h>

#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "mxc.h"

namespace {

std::string Err() { return MXCGetLastError(); }

MXCNDArrayHandle Make(std::vector<int64_t> shape, int dtype = MXC_FLOAT32) {
  MXCNDArrayHandle h = nullptr;
  EXPECT_EQ(MXCNDArrayCreate(shape.data(), static_cast<int>(shape.size()), dtype, MXC_CPU, 0, 0, &h), 0) << Err();
  return h;
}

TEST(NDArray, CreateAndQuery) {
  auto h = Make({2, 3, 4}, MXC_FLOAT64);
  int ndim = 0;
  const int64_t *shape = nullptr;
  ASSERT_EQ(MXCNDArrayGetShape(h, &ndim, &shape), 0);
  ASSERT_EQ(ndim, 3);
  EXPECT_EQ(shape[0], 2);
  EXPECT_EQ(shape[1], 3);
  EXPECT_EQ(shape[2], 4);
  int dtype = -1, dt = 0, di = -1;
  ASSERT_EQ(MXCNDArrayGetDType(h, &dtype), 0);
  EXPECT_EQ(dtype, MXC_FLOAT64);
  ASSERT_EQ(MXCNDArrayGetDevice(h, &dt, &di), 0);
  EXPECT_EQ(dt, MXC_CPU);
  EXPECT_EQ(di, 0);
  EXPECT_EQ(MXCNDArrayFree(h), 0);
  EXPECT_EQ(MXCNDArrayFree(nullptr), 0);
}

TEST(NDArray, CopyRoundTripAllDtypes) {
  for (int dtype : {MXC_FLOAT32, MXC_FLOAT64, MXC_UINT8, MXC_INT32, MXC_INT8, MXC_INT64}) {
    auto h = Make({5}, dtype);
    unsigned char in[40], out[40];
    for (int i = 0; i < 40; ++i) in[i] = static_cast<unsigned char>(i * 7 + 1);
    ASSERT_EQ(MXCNDArraySyncCopyFromCPU(h, in, 5), 0) << Err();
    std::memset(out, 0, sizeof(out));
    ASSERT_EQ(MXCNDArraySyncCopyToCPU(h, out, 5), 0) << Err();
    size_t es = dtype == MXC_FLOAT64 || dtype == MXC_INT64 ? 8 : (dtype == MXC_UINT8 || dtype == MXC_INT8 ? 1 : 4);
    EXPECT_EQ(std::memcmp(in, out, 5 * es), 0) << "dtype " << dtype;
    MXCNDArrayFree(h);
  }
}

TEST(NDArray, ViewsShareStorage) {
  auto h = Make({4, 2});
  float v[8] = {0, 1, 2, 3, 4, 5, 6, 7};
  ASSERT_EQ(MXCNDArraySyncCopyFromCPU(h, v, 8), 0);
  MXCNDArrayHandle s = nullptr, at = nullptr, r = nullptr;
  ASSERT_EQ(MXCNDArraySlice(h, 1, 3, &s), 0) << Err();
  float sv[4];
  ASSERT_EQ(MXCNDArraySyncCopyToCPU(s, sv, 4), 0) << Err();
  EXPECT_EQ(sv[0], 2);
  EXPECT_EQ(sv[3], 5);
  ASSERT_EQ(MXCNDArrayAt(h, -1, &at), 0) << Err();
  int ndim;
  const int64_t *shape;
  MXCNDArrayGetShape(at, &ndim, &shape);
  EXPECT_EQ(ndim, 1);
  EXPECT_EQ(shape[0], 2);
  float nv[2] = {100, 200};
  ASSERT_EQ(MXCNDArraySyncCopyFromCPU(at, nv, 2), 0);
  float all[8];
  MXCNDArraySyncCopyToCPU(h, all, 8);
  EXPECT_EQ(all[6], 100);
  EXPECT_EQ(all[7], 200);
  int64_t rs[2] = {-1, 4};
  ASSERT_EQ(MXCNDArrayReshape(h, 2, rs, &r), 0) << Err();
  MXCNDArrayGetShape(r, &ndim, &shape);
  EXPECT_EQ(shape[0], 2);
  EXPECT_EQ(shape[1], 4);
  int shares = 0;
  MXCNDArraySharesStorage(h, r, &shares);
  EXPECT_EQ(shares, 1);
  int64_t bad[2] = {3, 3};
  MXCNDArrayHandle rb = nullptr;
  EXPECT_EQ(MXCNDArrayReshape(h, 2, bad, &rb), -1);
  EXPECT_EQ(Err().rfind("ShapeError:", 0), 0u) << Err();
  EXPECT_EQ(MXCNDArraySlice(h, 3, 9, &rb), -1);
  EXPECT_EQ(Err().rfind("IndexError:", 0), 0u) << Err();
  EXPECT_EQ(MXCNDArrayAt(h, 4, &rb), -1);
  EXPECT_EQ(Err().rfind("IndexError:", 0), 0u) << Err();
  MXCNDArrayFree(s);
  MXCNDArrayFree(at);
  MXCNDArrayFree(r);
  MXCNDArrayFree(h);
}

TEST(NDArray, WaitsAndData) {
  auto h = Make({3});
  EXPECT_EQ(MXCNDArrayWaitToRead(h), 0);
  EXPECT_EQ(MXCNDArrayWaitToWrite(h), 0);
  EXPECT_EQ(MXCNDArrayWaitAll(), 0);
  void *p = nullptr;
  ASSERT_EQ(MXCNDArrayGetData(h, &p), 0);
  ASSERT_NE(p, nullptr);
  static_cast<float *>(p)[1] = 42.f;
  float v[3];
  MXCNDArraySyncCopyToCPU(h, v, 3);
  EXPECT_EQ(v[1], 42.f);
  MXCNDArrayFree(h);
}

// MXCNDArrayCopyTo: queued after the source's pending writes, between devices (two CPU contexts), with clear errors.
TEST(NDArray, CopyToAnotherDevice) {
  int64_t shape[2] = {2, 3};
  MXCNDArrayHandle a = Make({2, 3}), b = nullptr, wrong = Make({3, 2}), half = Make({2, 3}, MXC_FLOAT16);
  ASSERT_EQ(MXCNDArrayCreate(shape, 2, MXC_FLOAT32, MXC_CPU, 1, 0, &b), 0) << Err();
  float src[6] = {1, 2, 3, 4, 5, 6};
  ASSERT_EQ(MXCNDArraySyncCopyFromCPU(a, src, 6), 0);
  // a = a * 10 (queued), then a -> b: the copy sees the multiplied values
  MXCOpHandle mul = nullptr;
  ASSERT_EQ(MXCOpGetHandle("_mul_scalar", &mul), 0) << Err();
  const char *keys[1] = {"scalar"};
  const char *vals[1] = {"10"};
  MXCNDArrayHandle in[1] = {a}, given[1] = {a};
  MXCNDArrayHandle *outs = given;
  int nout = 1;
  ASSERT_EQ(MXCOpInvoke(mul, 1, in, &nout, &outs, 1, keys, vals), 0) << Err();
  ASSERT_EQ(MXCNDArrayCopyTo(a, b), 0) << Err();
  float got[6];
  ASSERT_EQ(MXCNDArraySyncCopyToCPU(b, got, 6), 0);
  for (int i = 0; i < 6; ++i) EXPECT_EQ(got[i], src[i] * 10);
  int dt = 0, di = 0;
  ASSERT_EQ(MXCNDArrayGetDevice(b, &dt, &di), 0);
  EXPECT_EQ(di, 1);
  EXPECT_EQ(MXCNDArrayCopyTo(a, wrong), -1);
  EXPECT_NE(Err().find("copyto: source shape (2,3) does not match target shape (3,2)"), std::string::npos) << Err();
  EXPECT_EQ(MXCNDArrayCopyTo(a, half), -1);
  EXPECT_NE(Err().find("source dtype float32 differs from target dtype float16"), std::string::npos) << Err();
  EXPECT_EQ(MXCNDArrayCopyTo(a, nullptr), -1);
  for (auto h : {a, b, wrong, half}) EXPECT_EQ(MXCNDArrayFree(h), 0);
}

TEST(NDArray, SaveLoadFileAndBuffer) {
  auto a = Make({2, 2});
  auto b = Make({3}, MXC_INT32);
  float av[4] = {1.5f, -2, 3, 4};
  int32_t bv[3] = {7, 8, 9};
  MXCNDArraySyncCopyFromCPU(a, av, 4);
  MXCNDArraySyncCopyFromCPU(b, bv, 3);
  MXCNDArrayHandle hs[2] = {a, b};
  const char *keys[2] = {"arg:w", "aux:m"};
  std::string path = testing::TempDir() + "/mxc_save_test.bin";
  ASSERT_EQ(MXCNDArraySave(path.c_str(), 2, hs, keys), 0) << Err();
  int n = 0, nk = 0;
  MXCNDArrayHandle *arrs = nullptr;
  const char **names = nullptr;
  ASSERT_EQ(MXCNDArrayLoad(path.c_str(), &n, &arrs, &nk, &names), 0) << Err();
  ASSERT_EQ(n, 2);
  ASSERT_EQ(nk, 2);
  EXPECT_STREQ(names[0], "arg:w");
  EXPECT_STREQ(names[1], "aux:m");
  MXCNDArrayHandle la = arrs[0], lb = arrs[1];
  float lav[4];
  int32_t lbv[3];
  MXCNDArraySyncCopyToCPU(la, lav, 4);
  MXCNDArraySyncCopyToCPU(lb, lbv, 3);
  EXPECT_EQ(std::memcmp(av, lav, sizeof(av)), 0);
  EXPECT_EQ(std::memcmp(bv, lbv, sizeof(bv)), 0);
  MXCNDArrayFree(la);
  MXCNDArrayFree(lb);

  int64_t size = 0;
  const char *buf = nullptr;
  ASSERT_EQ(MXCNDArraySaveToBuffer(2, hs, nullptr, &size, &buf), 0) << Err();
  std::string copy(buf, size);
  ASSERT_EQ(MXCNDArrayLoadFromBuffer(copy.data(), size, &n, &arrs, &nk, &names), 0) << Err();
  EXPECT_EQ(n, 2);
  EXPECT_EQ(nk, 0);
  MXCNDArrayFree(arrs[0]);
  MXCNDArrayFree(arrs[1]);

  // Every truncation is an IOError, never a crash.
  for (int64_t cut = 0; cut < size; ++cut) {
    EXPECT_EQ(MXCNDArrayLoadFromBuffer(copy.data(), cut, &n, &arrs, &nk, &names), -1) << "cut " << cut;
    EXPECT_EQ(Err().rfind("IOError:", 0), 0u) << Err();
  }
  // Corrupt bytes never crash (they may still load if only data bytes changed).
  for (int64_t i = 0; i < size; ++i) {
    std::string bad = copy;
    bad[i] = static_cast<char>(bad[i] ^ 0x5a);
    if (MXCNDArrayLoadFromBuffer(bad.data(), size, &n, &arrs, &nk, &names) == 0)
      for (int k = 0; k < n; ++k) MXCNDArrayFree(arrs[k]);
    else
      EXPECT_EQ(Err().rfind("IOError:", 0), 0u) << Err();
  }
  EXPECT_EQ(MXCNDArrayLoad("/nonexistent/x.bin", &n, &arrs, &nk, &names), -1);
  EXPECT_EQ(Err().rfind("IOError:", 0), 0u) << Err();
  std::remove(path.c_str());
  MXCNDArrayFree(a);
  MXCNDArrayFree(b);
}

// MXNet 1.x's .params layout: written by MXCNDArraySaveMXNetFormat, read back by MXCNDArrayLoad; every truncation
// and corruption is an IOError or a load, never a crash.
TEST(NDArray, SaveLoadMXNetLayout) {
  auto a = Make({2, 2});
  auto b = Make({3}, MXC_INT32);
  float av[4] = {1.5f, -2, 3, 4};
  int32_t bv[3] = {7, 8, 9};
  MXCNDArraySyncCopyFromCPU(a, av, 4);
  MXCNDArraySyncCopyFromCPU(b, bv, 3);
  MXCNDArrayHandle hs[2] = {a, b};
  const char *keys[2] = {"arg:w", "aux:m"};
  std::string path = testing::TempDir() + "/mxc_save_mxnet_test.params";
  ASSERT_EQ(MXCNDArraySaveMXNetFormat(path.c_str(), 2, hs, keys), 0) << Err();
  std::string bytes;
  {
    FILE *f = std::fopen(path.c_str(), "rb");
    ASSERT_NE(f, nullptr);
    char c[256];
    size_t got;
    while ((got = std::fread(c, 1, sizeof(c), f)) > 0) bytes.append(c, got);
    std::fclose(f);
  }
  // 24 bytes of header, per array 4+4+4+8*ndim+12 bytes and the data, then the names (8 + 8 + 5 each)
  ASSERT_EQ(bytes.size(), 24u + (24 + 16 + 16) + (24 + 8 + 12) + 8 + 2 * 13);
  uint64_t magic = 0;
  std::memcpy(&magic, bytes.data(), 8);
  EXPECT_EQ(magic, 0x112u);
  int n = 0, nk = 0;
  MXCNDArrayHandle *arrs = nullptr;
  const char **names = nullptr;
  ASSERT_EQ(MXCNDArrayLoad(path.c_str(), &n, &arrs, &nk, &names), 0) << Err();
  ASSERT_EQ(n, 2);
  ASSERT_EQ(nk, 2);
  EXPECT_STREQ(names[1], "aux:m");
  MXCNDArrayHandle la = arrs[0], lb = arrs[1];
  float lav[4];
  int32_t lbv[3];
  MXCNDArraySyncCopyToCPU(la, lav, 4);
  MXCNDArraySyncCopyToCPU(lb, lbv, 3);
  EXPECT_EQ(std::memcmp(av, lav, sizeof(av)), 0);
  EXPECT_EQ(std::memcmp(bv, lbv, sizeof(bv)), 0);
  MXCNDArrayFree(la);
  MXCNDArrayFree(lb);
  for (size_t cut = 0; cut < bytes.size(); ++cut) {
    EXPECT_EQ(MXCNDArrayLoadFromBuffer(bytes.data(), static_cast<int64_t>(cut), &n, &arrs, &nk, &names), -1)
        << "cut " << cut;
    EXPECT_EQ(Err().rfind("IOError:", 0), 0u) << Err();
  }
  for (size_t i = 0; i < bytes.size(); ++i) {
    std::string bad = bytes;
    bad[i] = static_cast<char>(bad[i] ^ 0x5a);
    if (MXCNDArrayLoadFromBuffer(bad.data(), static_cast<int64_t>(bad.size()), &n, &arrs, &nk, &names) == 0)
      for (int k = 0; k < n; ++k) MXCNDArrayFree(arrs[k]);
    else
      EXPECT_EQ(Err().rfind("IOError:", 0), 0u) << Err();
  }
  std::remove(path.c_str());
  MXCNDArrayFree(a);
  MXCNDArrayFree(b);
}

TEST(NDArray, BadInput) {
  MXCNDArrayHandle h = nullptr;
  int64_t shape[1] = {3};
  EXPECT_EQ(MXCNDArrayCreate(shape, 1, 42, MXC_CPU, 0, 0, &h), -1);
  EXPECT_EQ(Err().rfind("TypeError:", 0), 0u) << Err();
  EXPECT_EQ(MXCNDArrayCreate(shape, 0, MXC_FLOAT32, MXC_CPU, 0, 0, &h), -1);
  EXPECT_EQ(Err().rfind("ShapeError:", 0), 0u) << Err();
  int64_t neg[1] = {-2};
  EXPECT_EQ(MXCNDArrayCreate(neg, 1, MXC_FLOAT32, MXC_CPU, 0, 0, &h), -1);
  EXPECT_EQ(Err().rfind("ShapeError:", 0), 0u) << Err();
  EXPECT_EQ(MXCNDArrayCreate(nullptr, 1, MXC_FLOAT32, MXC_CPU, 0, 0, &h), -1);
  EXPECT_EQ(MXCNDArrayCreate(shape, 1, MXC_FLOAT32, MXC_CPU, 0, 0, nullptr), -1);
  EXPECT_EQ(MXCNDArrayCreate(shape, 1, MXC_FLOAT32, 7, 0, 0, &h), -1);
  EXPECT_EQ(Err().rfind("DeviceError:", 0), 0u) << Err();
  int count = -1;
  ASSERT_EQ(MXCGetDeviceCount(MXC_GPU, &count), 0);
  if (count == 0) {
    EXPECT_EQ(MXCNDArrayCreate(shape, 1, MXC_FLOAT32, MXC_GPU, 0, 0, &h), -1);
    EXPECT_EQ(Err().rfind("DeviceError:", 0), 0u) << Err();
  }
  EXPECT_EQ(MXCNDArrayCreate(shape, 1, MXC_FLOAT32, MXC_GPU, 99, 0, &h), -1);
  EXPECT_EQ(Err().rfind("DeviceError:", 0), 0u) << Err();

  h = Make({3});
  float v[4];
  EXPECT_EQ(MXCNDArraySyncCopyToCPU(h, v, 4), -1);
  EXPECT_EQ(Err().rfind("ValueError:", 0), 0u) << Err();
  EXPECT_EQ(MXCNDArraySyncCopyFromCPU(h, nullptr, 3), -1);
  EXPECT_EQ(MXCNDArraySyncCopyToCPU(nullptr, v, 3), -1);
  int nd;
  const int64_t *sp;
  EXPECT_EQ(MXCNDArrayGetShape(nullptr, &nd, &sp), -1);
  EXPECT_EQ(MXCNDArrayGetShape(h, nullptr, &sp), -1);
  EXPECT_EQ(MXCNDArrayWaitToRead(nullptr), -1);
  MXCNDArrayFree(h);
  // A freed handle is detected (the memory is still mapped right after free in practice; the magic is cleared).
}

TEST(Library, VersionFeaturesSeed) {
  int major, minor;
  ASSERT_EQ(MXCGetVersion(&major, &minor), 0);
  EXPECT_EQ(major, MXC_VERSION_MAJOR);
  EXPECT_EQ(minor, MXC_VERSION_MINOR);
  int n = 0;
  const char **names = nullptr;
  const int *enabled = nullptr;
  ASSERT_EQ(MXCLibInfoFeatures(&n, &names, &enabled), 0);
  bool has_cuda_entry = false;
  for (int i = 0; i < n; ++i)
    if (std::string(names[i]) == "CUDA") has_cuda_entry = true;
  EXPECT_TRUE(has_cuda_entry);
  EXPECT_EQ(MXCRandomSeed(3), 0);
  EXPECT_EQ(MXCGetVersion(nullptr, &minor), -1);
  EXPECT_EQ(Err().rfind("ValueError:", 0), 0u);
  int count = -1;
  EXPECT_EQ(MXCGetDeviceCount(MXC_CPU, &count), 0);
  EXPECT_EQ(count, 1);
  EXPECT_EQ(MXCGetDeviceCount(9, &count), -1);
  const char *eng = nullptr;
  ASSERT_EQ(MXCEngineGetType(&eng), 0);
  EXPECT_NE(std::string(eng), "");
  EXPECT_EQ(MXCEngineSetType("NoSuchEngine"), -1);
  EXPECT_EQ(Err().rfind("ValueError:", 0), 0u);
}

TEST(Ops, RegistryAndInvoke) {
  int n = 0;
  const char **names = nullptr;
  ASSERT_EQ(MXCListOps(&n, &names), 0);
  EXPECT_GT(n, 0);
  MXCOpHandle op = nullptr;
  ASSERT_EQ(MXCOpGetHandle("_full", &op), 0) << Err();
  MXCOpInfo info;
  ASSERT_EQ(MXCOpGetInfo(op, &info), 0);
  EXPECT_STREQ(info.name, "_full");
  bool found_value = false;
  for (int i = 0; i < info.num_params; ++i)
    if (std::string(info.param_names[i]) == "value") {
      found_value = true;
      EXPECT_EQ(info.param_required[i], 1);
      EXPECT_STREQ(info.param_types[i], "float");
    }
  EXPECT_TRUE(found_value);
  const char *keys[2] = {"shape", "value"};
  const char *vals[2] = {"(2,2)", "3.5"};
  int nout = 0;
  MXCNDArrayHandle *outs = nullptr;
  ASSERT_EQ(MXCOpInvoke(op, 0, nullptr, &nout, &outs, 2, keys, vals), 0) << Err();
  ASSERT_EQ(nout, 1);
  MXCNDArrayHandle o = outs[0];
  float v[4];
  ASSERT_EQ(MXCNDArraySyncCopyToCPU(o, v, 4), 0);
  for (float x : v) EXPECT_EQ(x, 3.5f);
  // Into a given output
  MXCNDArrayHandle given[1] = {o};
  MXCNDArrayHandle *gp = given;
  nout = 1;
  const char *vals2[2] = {"(2,2)", "-1"};
  ASSERT_EQ(MXCOpInvoke(op, 0, nullptr, &nout, &gp, 2, keys, vals2), 0) << Err();
  MXCNDArraySyncCopyToCPU(o, v, 4);
  EXPECT_EQ(v[3], -1.f);
  // Errors: unknown op, unknown / missing / unparsable parameter.
  EXPECT_EQ(MXCOpGetHandle("no_such_op", &op), -1);
  EXPECT_NE(Err().find("no_such_op"), std::string::npos);
  MXCOpGetHandle("_full", &op);
  const char *k1[1] = {"bogus"};
  const char *v1[1] = {"1"};
  nout = 0;
  outs = nullptr;
  EXPECT_EQ(MXCOpInvoke(op, 0, nullptr, &nout, &outs, 1, k1, v1), -1);
  EXPECT_NE(Err().find("bogus"), std::string::npos) << Err();
  EXPECT_NE(Err().find("_full"), std::string::npos) << Err();
  const char *k2[1] = {"shape"};
  const char *v2[1] = {"(2,)"};
  EXPECT_EQ(MXCOpInvoke(op, 0, nullptr, &nout, &outs, 1, k2, v2), -1);
  EXPECT_NE(Err().find("value"), std::string::npos) << Err();
  const char *v3[2] = {"(2,x)", "1"};
  EXPECT_EQ(MXCOpInvoke(op, 0, nullptr, &nout, &outs, 2, keys, v3), -1);
  EXPECT_EQ(Err().rfind("ValueError:", 0), 0u) << Err();
  EXPECT_EQ(MXCOpInvoke(nullptr, 0, nullptr, &nout, &outs, 0, nullptr, nullptr), -1);
  EXPECT_EQ(MXCOpGetInfo(nullptr, &info), -1);
  MXCNDArrayFree(o);
}

}  // namespace
