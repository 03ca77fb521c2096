// The emulated cuDNN subset (cuda/emu/cudnn.h, cudnn.cc; MXC_CUDA_EMULATION=ON) through its C API, as the glue
// calls it: forward, backward data and backward filter against mxc's CPU Convolution operator (im2col + GEMM, an
// independent algorithm) for 2-D (stride, pad, dilation, groups) and 1-D-as-2-D shapes, float and double, both
// algorithms, alpha/beta scaling and accumulation, explicit strides, the CONVOLUTION mode's flipped kernel, a 3-D
// convolution against hand-computed values; the algorithm queries (MaxCount, _v7, Find*Ex with a small workspace,
// workspace sizes), the synchronous argument checks, cudnnAddTensor's bias broadcast, and a workspace smaller than
// claimed caught by the emulator's guard page.
#include <cudnn.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <random>
#include <string>
#include <type_traits>
#include <vector>

#include "op_harness.h"
#include "operator.h"

namespace {

using mxc::NDArray;
using mxc::TShape;
using mxct::Params;

#define CK(call) ASSERT_EQ(CUDNN_STATUS_SUCCESS, (call)) << #call

template <typename T>
constexpr cudnnDataType_t kType = std::is_same<T, float>::value ? CUDNN_DATA_FLOAT : CUDNN_DATA_DOUBLE;
template <typename T>
constexpr double kTol = std::is_same<T, float>::value ? 1e-5 : 1e-12;

long long Count(const std::vector<int> &d) {
  long long n = 1;
  for (int v : d) n *= v;
  return n;
}
std::vector<int> Packed(const std::vector<int> &d) {
  std::vector<int> s(d.size(), 1);
  for (int i = static_cast<int>(d.size()) - 2; i >= 0; --i) s[i] = s[i + 1] * d[i + 1];
  return s;
}
std::vector<double> Rand(long long n, uint64_t seed) {
  std::mt19937_64 g(seed);
  std::uniform_real_distribution<double> u(-1, 1);
  std::vector<double> v(n);
  for (auto &x : v) x = u(g);
  return v;
}
std::vector<double> Axpy(double a, const std::vector<double> &x, double b, const std::vector<double> &y) {
  std::vector<double> r(x.size());
  for (size_t i = 0; i < x.size(); ++i) r[i] = a * x[i] + b * y[i];
  return r;
}

// A convolution: x (N, C, spatial...), w (K, C/groups, spatial...).
struct Cfg {
  std::vector<int> x, w, pad, stride, dil;
  int groups = 1;
  std::vector<int> Y() const {
    std::vector<int> y = {x[0], w[0]};
    for (size_t i = 0; i < pad.size(); ++i)
      y.push_back((x[2 + i] + 2 * pad[i] - dil[i] * (w[2 + i] - 1) - 1) / stride[i] + 1);
    return y;
  }
};

// The CPU Convolution operator's output and gradients (under head gradient dy). drop_h: the cuDNN shapes are a 1-D
// convolution written as 2-D with H = 1; the operator gets the 1-D shapes.
struct Ref {
  std::vector<double> y, dx, dw;
};
Ref CpuReference(const Cfg &c, const std::vector<double> &x, const std::vector<double> &w,
                 const std::vector<double> &dy, int dtype, bool drop_h) {
  auto shape = [&](const std::vector<int> &d) {
    TShape s;
    for (size_t i = 0; i < d.size(); ++i)
      if (!(drop_h && i == 2)) s.push_back(d[i]);
    return s;
  };
  auto tup = [&](const std::vector<int> &v) {
    std::string s;
    for (size_t i = drop_h ? 1 : 0; i < v.size(); ++i) s += (s.empty() ? "" : ",") + std::to_string(v[i]);
    return "(" + s + (drop_h || v.size() == 1 ? ",)" : ")");
  };
  std::vector<int> kernel(c.w.begin() + 2, c.w.end());
  Params p = {{"kernel", tup(kernel)},  {"stride", tup(c.stride)},
              {"pad", tup(c.pad)},      {"dilate", tup(c.dil)},
              {"num_filter", std::to_string(c.w[0])}, {"num_group", std::to_string(c.groups)},
              {"no_bias", "true"}};
  NDArray X = mxct::FromVec(shape(c.x), x, dtype), W = mxct::FromVec(shape(c.w), w, dtype);
  std::vector<NDArray> out = mxct::Run("Convolution", {X, W}, p);
  Ref r;
  r.y = mxct::ToVec(out[0]);
  const mxc::Op *op = mxc::OpRegistry::Get()->FindOrThrow("Convolution");
  mxc::OpParams params(op, p);
  NDArray DY = mxct::FromVec(out[0].shape(), dy, dtype);
  NDArray DX(X.shape(), dtype, mxc::Device::CPU()), DW(W.shape(), dtype, mxc::Device::CPU());
  for (auto *a : {&X, &W, &DY, &out[0]}) a->WaitToRead();
  mxc::OpContext ctx;
  ctx.dev = mxc::Device::CPU();
  ctx.is_train = true;
  op->backward.at(MXC_CPU)(ctx, params, {DY.blob()}, {X.blob(), W.blob()}, {out[0].blob()},
                           {mxc::kWriteTo, mxc::kWriteTo}, {DX.blob(), DW.blob()});
  r.dx = mxct::ToVec(DX);
  r.dw = mxct::ToVec(DW);
  return r;
}

class CudnnEmulation : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(cudaSuccess, cudaStreamCreate(&s));
    CK(cudnnCreate(&h));
    CK(cudnnSetStream(h, s));
    CK(cudnnCreateTensorDescriptor(&xd));
    CK(cudnnCreateTensorDescriptor(&yd));
    CK(cudnnCreateFilterDescriptor(&wd));
    CK(cudnnCreateConvolutionDescriptor(&cd));
  }
  void TearDown() override {
    cudaStreamSynchronize(s);
    for (void *p : bufs) cudaFree(p);
    cudnnDestroyTensorDescriptor(xd);
    cudnnDestroyTensorDescriptor(yd);
    cudnnDestroyFilterDescriptor(wd);
    cudnnDestroyConvolutionDescriptor(cd);
    cudnnDestroy(h);
  }

  // Device memory holding v (as T); n elements of NaN when v is empty.
  template <typename T>
  T *Dev(const std::vector<double> &v, size_t n = 0) {
    if (!v.empty()) n = v.size();
    void *p = nullptr;
    EXPECT_EQ(cudaSuccess, cudaMalloc(&p, n * sizeof(T)));
    bufs.push_back(p);
    std::vector<T> host(n, std::numeric_limits<T>::quiet_NaN());
    for (size_t i = 0; i < v.size(); ++i) host[i] = static_cast<T>(v[i]);
    EXPECT_EQ(cudaSuccess, cudaMemcpy(p, host.data(), n * sizeof(T), cudaMemcpyHostToDevice));
    return static_cast<T *>(p);
  }
  void *Bytes(size_t n) {
    void *p = nullptr;
    EXPECT_EQ(cudaSuccess, cudaMalloc(&p, n));
    bufs.push_back(p);
    return p;
  }
  // The contents after the handle's stream is done.
  template <typename T>
  std::vector<double> Host(const T *p, size_t n) {
    EXPECT_EQ(cudaSuccess, cudaStreamSynchronize(s));
    std::vector<T> host(n);
    EXPECT_EQ(cudaSuccess, cudaMemcpy(host.data(), p, n * sizeof(T), cudaMemcpyDeviceToHost));
    return std::vector<double>(host.begin(), host.end());
  }

  // Packed descriptors for c (mode and data type as given; y's dimensions c.Y() unless given).
  void Describe(const Cfg &c, cudnnDataType_t t, cudnnConvolutionMode_t mode = CUDNN_CROSS_CORRELATION,
                std::vector<int> y = {}) {
    const int nb = static_cast<int>(c.x.size());
    CK(cudnnSetTensorNdDescriptor(xd, t, nb, c.x.data(), Packed(c.x).data()));
    if (y.empty()) y = c.Y();
    CK(cudnnSetTensorNdDescriptor(yd, t, nb, y.data(), Packed(y).data()));
    CK(cudnnSetFilterNdDescriptor(wd, t, CUDNN_TENSOR_NCHW, nb, c.w.data()));
    CK(cudnnSetConvolutionNdDescriptor(cd, nb - 2, c.pad.data(), c.stride.data(), c.dil.data(), mode, t));
    CK(cudnnSetConvolutionGroupCount(cd, c.groups));
  }

  // Forward, backward data and backward filter with both algorithms against the CPU operator: into NaN garbage with
  // beta = 0, then accumulated (alpha = 2, beta = 1 / 0.5).
  template <typename T>
  void CompareWithCpu(const Cfg &c, bool drop_h) {
    Describe(c, kType<T>);
    const long long nx = Count(c.x), nw = Count(c.w), ny = Count(c.Y());
    auto x = Rand(nx, 1), w = Rand(nw, 2), dy = Rand(ny, 3);
    Ref r = CpuReference(c, x, w, dy, mxc::DTypeOf<T>::value, drop_h);
    const T *X = Dev<T>(x), *W = Dev<T>(w), *DY = Dev<T>(dy);
    const T one = 1, zero = 0, two = 2, half = 0.5;
    const double tol = kTol<T>;
    std::vector<double> scaled[2];  // the scaled forward of each algorithm: the same bits
    for (int algo : {0, 1}) {
      SCOPED_TRACE("algorithm " + std::to_string(algo));
      size_t wsf, wsd, wsw;
      CK(cudnnGetConvolutionForwardWorkspaceSize(h, xd, wd, cd, yd, cudnnConvolutionFwdAlgo_t(algo), &wsf));
      CK(cudnnGetConvolutionBackwardDataWorkspaceSize(h, wd, yd, cd, xd, cudnnConvolutionBwdDataAlgo_t(algo), &wsd));
      CK(cudnnGetConvolutionBackwardFilterWorkspaceSize(h, xd, yd, cd, wd, cudnnConvolutionBwdFilterAlgo_t(algo),
                                                        &wsw));
      EXPECT_EQ(wsf, algo ? ny * sizeof(T) : 0u);
      EXPECT_EQ(wsd, algo ? nx * sizeof(T) : 0u);
      EXPECT_EQ(wsw, algo ? nw * sizeof(T) : 0u);
      void *ws = algo ? Bytes(std::max({wsf, wsd, wsw})) : nullptr;

      T *y = Dev<T>({}, ny);
      CK(cudnnConvolutionForward(h, &one, xd, X, wd, W, cd, cudnnConvolutionFwdAlgo_t(algo), ws, wsf, &zero, yd, y));
      mxct::ExpectNear(Host(y, ny), r.y, tol, tol, "forward");
      auto prev = Rand(ny, 4);
      T *y2 = Dev<T>(prev);
      CK(cudnnConvolutionForward(h, &two, xd, X, wd, W, cd, cudnnConvolutionFwdAlgo_t(algo), ws, wsf, &half, yd, y2));
      scaled[algo] = Host(y2, ny);
      mxct::ExpectNear(scaled[algo], Axpy(2, r.y, 0.5, prev), tol, tol, "forward, alpha 2, beta 0.5");

      T *dx = Dev<T>({}, nx);
      CK(cudnnConvolutionBackwardData(h, &one, wd, W, yd, DY, cd, cudnnConvolutionBwdDataAlgo_t(algo), ws, wsd, &zero,
                                      xd, dx));
      mxct::ExpectNear(Host(dx, nx), r.dx, tol, tol, "backward data");
      CK(cudnnConvolutionBackwardData(h, &two, wd, W, yd, DY, cd, cudnnConvolutionBwdDataAlgo_t(algo), ws, wsd, &one,
                                      xd, dx));
      mxct::ExpectNear(Host(dx, nx), Axpy(3, r.dx, 0, r.dx), tol, tol, "backward data accumulated");

      T *dw = Dev<T>({}, nw);
      CK(cudnnConvolutionBackwardFilter(h, &one, xd, X, yd, DY, cd, cudnnConvolutionBwdFilterAlgo_t(algo), ws, wsw,
                                        &zero, wd, dw));
      mxct::ExpectNear(Host(dw, nw), r.dw, tol, tol, "backward filter");
      CK(cudnnConvolutionBackwardFilter(h, &one, xd, X, yd, DY, cd, cudnnConvolutionBwdFilterAlgo_t(algo), ws, wsw,
                                        &one, wd, dw));
      mxct::ExpectNear(Host(dw, nw), Axpy(2, r.dw, 0, r.dw), tol, tol, "backward filter accumulated");
    }
    EXPECT_EQ(scaled[0], scaled[1]) << "the two algorithms' results differ";
  }

  cudaStream_t s = nullptr;
  cudnnHandle_t h = nullptr;
  cudnnTensorDescriptor_t xd = nullptr, yd = nullptr;
  cudnnFilterDescriptor_t wd = nullptr;
  cudnnConvolutionDescriptor_t cd = nullptr;
  std::vector<void *> bufs;
};

// Stride, pad and dilation differing per dimension, two groups; a plain padded one; 1-D as 2-D with H = 1.
const Cfg kGrouped{{2, 4, 7, 8}, {4, 2, 2, 3}, {1, 1}, {2, 1}, {1, 2}, 2};
const Cfg kPadded{{1, 3, 5, 6}, {5, 3, 3, 3}, {1, 1}, {1, 1}, {1, 1}, 1};
const Cfg kOneD{{2, 3, 1, 9}, {2, 3, 1, 3}, {0, 1}, {1, 2}, {1, 2}, 1};

TEST_F(CudnnEmulation, Conv2dMatchesTheCpuOperatorFloat) {
  CompareWithCpu<float>(kGrouped, false);
  CompareWithCpu<float>(kPadded, false);
}
TEST_F(CudnnEmulation, Conv2dMatchesTheCpuOperatorDouble) {
  CompareWithCpu<double>(kGrouped, false);
  CompareWithCpu<double>(kPadded, false);
}
TEST_F(CudnnEmulation, Conv1dAsConv2dMatchesTheCpuOperator) {
  CompareWithCpu<float>(kOneD, true);
  CompareWithCpu<double>(kOneD, true);
}

// Explicit strides: x channels-last (NHWC strides), y with padded rows; the result lands where the strides say.
TEST_F(CudnnEmulation, ExplicitStridesAreHonoured) {
  const Cfg &c = kGrouped;
  const std::vector<int> ydim = c.Y();
  const int N = c.x[0], C = c.x[1], H = c.x[2], W = c.x[3], K = ydim[1], Ho = ydim[2], Wo = ydim[3], Wp = Wo + 3;
  auto x = Rand(Count(c.x), 1), w = Rand(Count(c.w), 2);
  Ref r = CpuReference(c, x, w, Rand(Count(ydim), 3), mxc::kFloat64, false);
  std::vector<double> xnhwc(x.size());
  for (int n = 0; n < N; ++n)
    for (int ch = 0; ch < C; ++ch)
      for (int i = 0; i < H; ++i)
        for (int j = 0; j < W; ++j) xnhwc[((n * H + i) * W + j) * C + ch] = x[((n * C + ch) * H + i) * W + j];
  const std::vector<int> xs = {H * W * C, 1, W * C, C}, ys = {K * Ho * Wp, Ho * Wp, Wp, 1};
  Describe(c, CUDNN_DATA_DOUBLE);
  CK(cudnnSetTensorNdDescriptor(xd, CUDNN_DATA_DOUBLE, 4, c.x.data(), xs.data()));
  CK(cudnnSetTensorNdDescriptor(yd, CUDNN_DATA_DOUBLE, 4, ydim.data(), ys.data()));
  const size_t ny = static_cast<size_t>(N) * K * Ho * Wp;
  double *y = Dev<double>(std::vector<double>(ny, 7.0));
  const double one = 1, zero = 0;
  CK(cudnnConvolutionForward(h, &one, xd, Dev<double>(xnhwc), wd, Dev<double>(w), cd,
                             CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_GEMM, nullptr, 0, &zero, yd, y));
  auto got = Host(y, ny);
  std::vector<double> inner, gaps;
  for (size_t i = 0; i < ny; ++i) (static_cast<int>(i % Wp) < Wo ? inner : gaps).push_back(got[i]);
  mxct::ExpectNear(inner, r.y, 1e-12, 1e-12, "strided forward");
  EXPECT_EQ(gaps, std::vector<double>(gaps.size(), 7.0)) << "the gaps between rows are not written";
}

// CONVOLUTION mode flips the kernel: the same as cross-correlation with a flipped filter (and a flipped filter
// gradient).
TEST_F(CudnnEmulation, ConvolutionModeFlipsTheKernel) {
  const Cfg &c = kGrouped;
  const int K = c.w[0], Cg = c.w[1], kh = c.w[2], kw = c.w[3];
  auto flip = [&](const std::vector<double> &v) {
    std::vector<double> f(v.size());
    for (int k = 0; k < K * Cg; ++k)
      for (int i = 0; i < kh; ++i)
        for (int j = 0; j < kw; ++j) f[(k * kh + i) * kw + j] = v[(k * kh + kh - 1 - i) * kw + kw - 1 - j];
    return f;
  };
  auto x = Rand(Count(c.x), 1), w = Rand(Count(c.w), 2), dy = Rand(Count(c.Y()), 3);
  Ref r = CpuReference(c, x, flip(w), dy, mxc::kFloat64, false);
  Describe(c, CUDNN_DATA_DOUBLE, CUDNN_CONVOLUTION);
  const double one = 1, zero = 0;
  const double *X = Dev<double>(x), *W = Dev<double>(w), *DY = Dev<double>(dy);
  double *y = Dev<double>({}, Count(c.Y())), *dx = Dev<double>({}, x.size()), *dw = Dev<double>({}, w.size());
  CK(cudnnConvolutionForward(h, &one, xd, X, wd, W, cd, CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_GEMM, nullptr, 0, &zero,
                             yd, y));
  CK(cudnnConvolutionBackwardData(h, &one, wd, W, yd, DY, cd, CUDNN_CONVOLUTION_BWD_DATA_ALGO_0, nullptr, 0, &zero,
                                  xd, dx));
  CK(cudnnConvolutionBackwardFilter(h, &one, xd, X, yd, DY, cd, CUDNN_CONVOLUTION_BWD_FILTER_ALGO_0, nullptr, 0,
                                    &zero, wd, dw));
  mxct::ExpectNear(Host(y, r.y.size()), r.y, 1e-12, 1e-12, "forward");
  mxct::ExpectNear(Host(dx, x.size()), r.dx, 1e-12, 1e-12, "backward data");
  mxct::ExpectNear(Host(dw, w.size()), flip(r.dw), 1e-12, 1e-12, "backward filter");
}

// A 3-D convolution (5-dim tensors): x = 0..26 in a 3x3x3 volume (x[d,h,w] = 9d + 3h + w), w = 1..8 in a 2x2x2
// kernel (w[d,h,w] = 1 + 4d + 2h + w, sum 36).
TEST_F(CudnnEmulation, Conv3dAgainstHandComputedValues) {
  std::vector<double> x(27), w(8);
  for (int i = 0; i < 27; ++i) x[i] = i;
  for (int i = 0; i < 8; ++i) w[i] = 1 + i;
  const float one = 1, zero = 0;
  // No padding, stride 1: out[a,b,c] = sum_q (9a+3b+c + q_x) * w_q = 36 (9a+3b+c) + sum_q q_x w_q, with
  // sum_q q_x w_q = 0*1 + 1*2 + 3*3 + 4*4 + 9*5 + 10*6 + 12*7 + 13*8 = 320.
  Cfg c{{1, 1, 3, 3, 3}, {1, 1, 2, 2, 2}, {0, 0, 0}, {1, 1, 1}, {1, 1, 1}, 1};
  Describe(c, CUDNN_DATA_FLOAT);
  float *y = Dev<float>({}, 8);
  CK(cudnnConvolutionForward(h, &one, xd, Dev<float>(x), wd, Dev<float>(w), cd,
                             CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_GEMM, nullptr, 0, &zero, yd, y));
  EXPECT_EQ(Host(y, 8), (std::vector<double>{320, 356, 428, 464, 644, 680, 752, 788}));
  // Depth padded by 1 with stride 2 (output depth (3 + 2 - 2) / 2 + 1 = 2). Depth 0 sees only input depth 0,
  // through the kernel's depth 1 (weights 5..8): out[0,b,c] = sum_{h,w} (3b+c + 3h+w) (5 + 2h + w)
  // = 26 (3b+c) + (0*5 + 1*6 + 3*7 + 4*8) = 26 (3b+c) + 59. Depth 1 sees input depths 1, 2 through the whole
  // kernel: out[1,b,c] = 36 (9 + 3b+c) + 320.
  c = Cfg{{1, 1, 3, 3, 3}, {1, 1, 2, 2, 2}, {1, 0, 0}, {2, 1, 1}, {1, 1, 1}, 1};
  Describe(c, CUDNN_DATA_FLOAT);
  ASSERT_EQ(c.Y(), (std::vector<int>{1, 1, 2, 2, 2}));
  CK(cudnnConvolutionForward(h, &one, xd, Dev<float>(x), wd, Dev<float>(w), cd,
                             CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_PRECOMP_GEMM, Bytes(32), 32, &zero, yd, y));
  EXPECT_EQ(Host(y, 8), (std::vector<double>{59, 85, 137, 163, 644, 680, 752, 788}));
}

TEST_F(CudnnEmulation, AlgorithmQueries) {
  Describe(kGrouped, CUDNN_DATA_FLOAT);
  const size_t ny = Count(kGrouped.Y()) * sizeof(float), nx = Count(kGrouped.x) * sizeof(float),
               nw = Count(kGrouped.w) * sizeof(float);
  int n = 0;
  CK(cudnnGetConvolutionForwardAlgorithmMaxCount(h, &n));
  EXPECT_EQ(n, 2);
  CK(cudnnGetConvolutionBackwardDataAlgorithmMaxCount(h, &n));
  EXPECT_EQ(n, 2);
  CK(cudnnGetConvolutionBackwardFilterAlgorithmMaxCount(h, &n));
  EXPECT_EQ(n, 2);

  cudnnConvolutionFwdAlgoPerf_t fp[4];
  CK(cudnnGetConvolutionForwardAlgorithm_v7(h, xd, wd, cd, yd, 4, &n, fp));
  ASSERT_EQ(n, 2);
  EXPECT_EQ(fp[0].algo, CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_GEMM);
  EXPECT_EQ(fp[1].algo, CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_PRECOMP_GEMM);
  EXPECT_EQ(fp[0].memory, 0u);
  EXPECT_EQ(fp[1].memory, ny);
  for (int i = 0; i < 2; ++i) {
    EXPECT_EQ(fp[i].status, CUDNN_STATUS_SUCCESS);
    EXPECT_EQ(fp[i].time, -1.f);
  }
  CK(cudnnGetConvolutionForwardAlgorithm_v7(h, xd, wd, cd, yd, 1, &n, fp));
  EXPECT_EQ(n, 1);
  cudnnConvolutionBwdDataAlgoPerf_t dp[2];
  CK(cudnnGetConvolutionBackwardDataAlgorithm_v7(h, wd, yd, cd, xd, 2, &n, dp));
  ASSERT_EQ(n, 2);
  EXPECT_EQ(dp[0].algo, CUDNN_CONVOLUTION_BWD_DATA_ALGO_0);
  EXPECT_EQ(dp[1].algo, CUDNN_CONVOLUTION_BWD_DATA_ALGO_1);
  EXPECT_EQ(dp[1].memory, nx);
  cudnnConvolutionBwdFilterAlgoPerf_t wp[2];
  CK(cudnnGetConvolutionBackwardFilterAlgorithm_v7(h, xd, yd, cd, wd, 2, &n, wp));
  ASSERT_EQ(n, 2);
  EXPECT_EQ(wp[0].algo, CUDNN_CONVOLUTION_BWD_FILTER_ALGO_0);
  EXPECT_EQ(wp[1].algo, CUDNN_CONVOLUTION_BWD_FILTER_ALGO_1);
  EXPECT_EQ(wp[1].memory, nw);
  EXPECT_EQ(cudnnGetConvolutionForwardAlgorithm_v7(h, xd, wd, cd, yd, 0, &n, fp), CUDNN_STATUS_BAD_PARAM);
}

// Find*Ex runs every algorithm that fits the workspace (the output holds the result); one that does not fit is
// reported last with ALLOC_FAILED.
TEST_F(CudnnEmulation, FindRunsTheAlgorithmsThatFitTheWorkspace) {
  const Cfg &c = kGrouped;
  Describe(c, CUDNN_DATA_FLOAT);
  auto x = Rand(Count(c.x), 1), w = Rand(Count(c.w), 2), dy = Rand(Count(c.Y()), 3);
  Ref r = CpuReference(c, x, w, dy, mxc::kFloat32, false);
  const float *X = Dev<float>(x), *W = Dev<float>(w), *DY = Dev<float>(dy);
  float *y = Dev<float>({}, r.y.size()), *dx = Dev<float>({}, x.size()), *dw = Dev<float>({}, w.size());
  const size_t big = 1 << 16;
  void *ws = Bytes(big);
  auto check = [&](const auto *perf, int n, size_t out_bytes, bool fits) {
    ASSERT_EQ(n, 2);
    bool seen[2] = {false, false};
    for (int i = 0; i < n; ++i) {
      const int a = static_cast<int>(perf[i].algo);
      ASSERT_TRUE(a == 0 || a == 1);
      seen[a] = true;
      EXPECT_EQ(perf[i].memory, a ? out_bytes : 0u);
      const bool ok = fits || a == 0;
      EXPECT_EQ(perf[i].status, ok ? CUDNN_STATUS_SUCCESS : CUDNN_STATUS_ALLOC_FAILED) << "algorithm " << a;
      if (ok) {
        EXPECT_GE(perf[i].time, 0.f);
      }
    }
    EXPECT_TRUE(seen[0] && seen[1]);
    if (fits) {
      EXPECT_LE(perf[0].time, perf[1].time) << "sorted by time";
    } else {
      EXPECT_EQ(static_cast<int>(perf[0].algo), 0) << "the failed algorithm comes last";
    }
  };
  for (bool fits : {true, false}) {
    SCOPED_TRACE(fits ? "large workspace" : "no workspace");
    void *wsp = fits ? ws : nullptr;
    const size_t wsb = fits ? big : 0;
    int n = 0;
    cudnnConvolutionFwdAlgoPerf_t fp[3];
    CK(cudnnFindConvolutionForwardAlgorithmEx(h, xd, X, wd, W, cd, yd, y, 3, &n, fp, wsp, wsb));
    check(fp, n, r.y.size() * sizeof(float), fits);
    mxct::ExpectNear(Host(y, r.y.size()), r.y, 1e-5, 1e-5, "forward");
    cudnnConvolutionBwdDataAlgoPerf_t dp[2];
    CK(cudnnFindConvolutionBackwardDataAlgorithmEx(h, wd, W, yd, DY, cd, xd, dx, 2, &n, dp, wsp, wsb));
    check(dp, n, x.size() * sizeof(float), fits);
    mxct::ExpectNear(Host(dx, x.size()), r.dx, 1e-5, 1e-5, "backward data");
    cudnnConvolutionBwdFilterAlgoPerf_t wp[2];
    CK(cudnnFindConvolutionBackwardFilterAlgorithmEx(h, xd, X, yd, DY, cd, wd, dw, 2, &n, wp, wsp, wsb));
    check(wp, n, w.size() * sizeof(float), fits);
    mxct::ExpectNear(Host(dw, w.size()), r.dw, 1e-5, 1e-5, "backward filter");
  }
  // A workspace one byte short of algorithm 1's; one result asked for.
  cudnnConvolutionFwdAlgoPerf_t fp[2];
  int n = 0;
  CK(cudnnFindConvolutionForwardAlgorithmEx(h, xd, X, wd, W, cd, yd, y, 1, &n, fp, ws,
                                            r.y.size() * sizeof(float) - 1));
  ASSERT_EQ(n, 1);
  EXPECT_EQ(fp[0].algo, CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_GEMM);
  EXPECT_EQ(fp[0].status, CUDNN_STATUS_SUCCESS);
}

// Bad arguments are reported by the call itself, and nothing is queued (the output keeps its contents).
TEST_F(CudnnEmulation, BadArgumentsAreReportedSynchronously) {
  EXPECT_EQ(CUDNN_STATUS_BAD_PARAM, 2000);
  EXPECT_EQ(CUDNN_STATUS_NOT_SUPPORTED, 3000);
  EXPECT_EQ(CUDNN_VERSION, 90000);
  EXPECT_EQ(cudnnGetVersion(), static_cast<size_t>(CUDNN_VERSION));
  EXPECT_STREQ(cudnnGetErrorString(CUDNN_STATUS_BAD_PARAM), "CUDNN_STATUS_BAD_PARAM");
  EXPECT_STREQ(cudnnGetErrorString(CUDNN_STATUS_ALLOC_FAILED), "CUDNN_STATUS_ALLOC_FAILED");

  const Cfg good = kGrouped;
  const std::vector<double> sentinel(Count(good.Y()), 5.0);
  const float *X = Dev<float>(Rand(Count(good.x), 1)), *W = Dev<float>(Rand(Count(good.w), 2));
  float *y = Dev<float>(sentinel);
  const float one = 1, zero = 0;
  auto fwd = [&](int algo = 0, void *ws = nullptr, size_t wsb = 0) {
    return cudnnConvolutionForward(h, &one, xd, X, wd, W, cd, cudnnConvolutionFwdAlgo_t(algo), ws, wsb, &zero, yd,
                                   y);
  };
  struct Bad {
    const char *what;
    Cfg c;
    std::vector<int> y;  // empty: c.Y()
  };
  const std::vector<Bad> bad = {
      {"output too wide", good, {2, 4, 4, 7}},
      {"output channels != K", good, {2, 2, 4, 6}},
      {"output batch != N", good, {1, 4, 4, 6}},
      {"C not divisible by groups", {{2, 5, 7, 8}, {4, 2, 2, 3}, {1, 1}, {2, 1}, {1, 2}, 2}, {}},
      {"filter C != C / groups", {{2, 4, 7, 8}, {4, 4, 2, 3}, {1, 1}, {2, 1}, {1, 2}, 2}, {}},
      {"K not divisible by groups", {{2, 4, 7, 8}, {3, 2, 2, 3}, {1, 1}, {2, 1}, {1, 2}, 2}, {}},
      {"kernel larger than the padded input", {{1, 1, 3, 3}, {1, 1, 5, 6}, {0, 0}, {1, 1}, {1, 1}, 1}, {1, 1, 1, 1}},
  };
  for (const Bad &b : bad) {
    SCOPED_TRACE(b.what);
    Describe(b.c, CUDNN_DATA_FLOAT, CUDNN_CROSS_CORRELATION, b.y);
    EXPECT_EQ(fwd(), CUDNN_STATUS_BAD_PARAM);
    size_t bytes;
    EXPECT_EQ(cudnnGetConvolutionForwardWorkspaceSize(h, xd, wd, cd, yd, CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_GEMM,
                                                      &bytes),
              CUDNN_STATUS_BAD_PARAM);
    EXPECT_EQ(cudnnConvolutionBackwardData(h, &one, wd, W, yd, y, cd, CUDNN_CONVOLUTION_BWD_DATA_ALGO_0, nullptr, 0,
                                           &zero, xd, const_cast<float *>(X)),
              CUDNN_STATUS_BAD_PARAM);
  }

  Describe(good, CUDNN_DATA_FLOAT);
  ASSERT_EQ(fwd(), CUDNN_STATUS_SUCCESS) << "the good configuration runs";
  ASSERT_EQ(cudaSuccess, cudaStreamSynchronize(s));
  const auto result = Host(y, sentinel.size());
  // Algorithms: 2 and up are not offered; algorithm 1 needs its whole workspace.
  const size_t need = sentinel.size() * sizeof(float);
  EXPECT_EQ(fwd(CUDNN_CONVOLUTION_FWD_ALGO_GEMM), CUDNN_STATUS_NOT_SUPPORTED);
  EXPECT_EQ(fwd(1, nullptr, need), CUDNN_STATUS_BAD_PARAM);
  EXPECT_EQ(fwd(1, Bytes(need), need - 4), CUDNN_STATUS_BAD_PARAM);
  size_t bytes;
  EXPECT_EQ(cudnnGetConvolutionForwardWorkspaceSize(h, xd, wd, cd, yd, CUDNN_CONVOLUTION_FWD_ALGO_FFT, &bytes),
            CUDNN_STATUS_NOT_SUPPORTED);
  // Handles, descriptors, pointers.
  EXPECT_EQ(cudnnConvolutionForward(nullptr, &one, xd, X, wd, W, cd, CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_GEMM,
                                    nullptr, 0, &zero, yd, y),
            CUDNN_STATUS_NOT_INITIALIZED);
  EXPECT_EQ(cudnnSetStream(nullptr, s), CUDNN_STATUS_NOT_INITIALIZED);
  EXPECT_EQ(cudnnConvolutionForward(h, &one, nullptr, X, wd, W, cd, CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_GEMM,
                                    nullptr, 0, &zero, yd, y),
            CUDNN_STATUS_BAD_PARAM);
  EXPECT_EQ(cudnnConvolutionForward(h, nullptr, xd, X, wd, W, cd, CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_GEMM,
                                    nullptr, 0, &zero, yd, y),
            CUDNN_STATUS_BAD_PARAM);
  EXPECT_EQ(cudnnConvolutionForward(h, &one, xd, X, wd, W, cd, CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_GEMM, nullptr, 0,
                                    &zero, yd, nullptr),
            CUDNN_STATUS_BAD_PARAM);
  EXPECT_EQ(cudnnCreateTensorDescriptor(nullptr), CUDNN_STATUS_BAD_PARAM);
  EXPECT_EQ(cudnnSetConvolutionGroupCount(cd, 0), CUDNN_STATUS_BAD_PARAM);
  const int dims[4] = {2, 0, 3, 3}, strides[4] = {0, 9, 3, 1};
  EXPECT_EQ(cudnnSetTensorNdDescriptor(xd, CUDNN_DATA_FLOAT, 4, dims, strides), CUDNN_STATUS_BAD_PARAM);
  // Mismatched ranks and data types.
  cudnnTensorDescriptor_t t3;
  CK(cudnnCreateTensorDescriptor(&t3));
  const int d3[3] = {2, 4, 7}, s3[3] = {28, 7, 1};
  CK(cudnnSetTensorNdDescriptor(t3, CUDNN_DATA_FLOAT, 3, d3, s3));
  EXPECT_EQ(cudnnConvolutionForward(h, &one, t3, X, wd, W, cd, CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_GEMM, nullptr, 0,
                                    &zero, yd, y),
            CUDNN_STATUS_BAD_PARAM);
  cudnnDestroyTensorDescriptor(t3);
  CK(cudnnSetTensorNdDescriptor(xd, CUDNN_DATA_DOUBLE, 4, good.x.data(), Packed(good.x).data()));
  EXPECT_EQ(fwd(), CUDNN_STATUS_BAD_PARAM);
  // What the emulation does not compute: half data, NHWC filters.
  Describe(good, CUDNN_DATA_HALF);
  EXPECT_EQ(fwd(), CUDNN_STATUS_NOT_SUPPORTED);
  Describe(good, CUDNN_DATA_FLOAT);
  CK(cudnnSetFilterNdDescriptor(wd, CUDNN_DATA_FLOAT, CUDNN_TENSOR_NHWC, 4, good.w.data()));
  EXPECT_EQ(fwd(), CUDNN_STATUS_NOT_SUPPORTED);
  // None of the failed calls wrote the output.
  EXPECT_EQ(Host(y, sentinel.size()), result);
}

// A bias (1, C, 1, 1) broadcast onto (N, C, H, W): C = alpha * bias + beta * C; beta = 0 does not read C.
TEST_F(CudnnEmulation, AddTensorBroadcastsABias) {
  const std::vector<int> cdim = {2, 3, 4, 5}, bdim = {1, 3, 1, 1};
  auto c = Rand(Count(cdim), 1), b = Rand(3, 2);
  std::vector<double> plus(c.size()), only(c.size());
  for (size_t i = 0; i < c.size(); ++i) {
    const double bias = b[i / 20 % 3];
    plus[i] = 2 * bias + 0.5 * c[i];
    only[i] = 2 * bias;
  }
  CK(cudnnSetTensorNdDescriptor(xd, CUDNN_DATA_DOUBLE, 4, bdim.data(), Packed(bdim).data()));
  CK(cudnnSetTensorNdDescriptor(yd, CUDNN_DATA_DOUBLE, 4, cdim.data(), Packed(cdim).data()));
  const double two = 2, half = 0.5, zero = 0;
  double *B = Dev<double>(b), *C1 = Dev<double>(c), *C2 = Dev<double>({}, c.size());
  CK(cudnnAddTensor(h, &two, xd, B, &half, yd, C1));
  CK(cudnnAddTensor(h, &two, xd, B, &zero, yd, C2));
  mxct::ExpectNear(Host(C1, c.size()), plus, 1e-15, 1e-15, "beta 0.5");
  mxct::ExpectNear(Host(C2, c.size()), only, 1e-15, 1e-15, "beta 0");
  // Float, on the default stream.
  CK(cudnnSetStream(h, nullptr));
  CK(cudnnSetTensorNdDescriptor(xd, CUDNN_DATA_FLOAT, 4, bdim.data(), Packed(bdim).data()));
  CK(cudnnSetTensorNdDescriptor(yd, CUDNN_DATA_FLOAT, 4, cdim.data(), Packed(cdim).data()));
  const float twof = 2, zerof = 0;
  float *C3 = Dev<float>({}, c.size());
  CK(cudnnAddTensor(h, &twof, xd, Dev<float>(b), &zerof, yd, C3));
  mxct::ExpectNear(Host(C3, c.size()), only, 1e-6, 1e-6, "float");
  // A dimension neither 1 nor C's.
  const std::vector<int> wrong = {1, 2, 1, 1};
  CK(cudnnSetTensorNdDescriptor(xd, CUDNN_DATA_FLOAT, 4, wrong.data(), Packed(wrong).data()));
  EXPECT_EQ(cudnnAddTensor(h, &twof, xd, Dev<float>(b), &zerof, yd, C3), CUDNN_STATUS_BAD_PARAM);
}

using CudnnEmulationDeathTest = CudnnEmulation;

// Algorithm 1 writes its whole workspace: one smaller than claimed runs into the allocation's guard page.
TEST_F(CudnnEmulationDeathTest, AWorkspaceSmallerThanClaimedIsCaught) {
  ::testing::FLAGS_gtest_death_test_style = "threadsafe";
  auto run = [&] {
    Describe(kGrouped, CUDNN_DATA_FLOAT);
    const size_t ny = Count(kGrouped.Y());  // 192 floats: 768 bytes
    const float one = 1, zero = 0;
    cudnnConvolutionForward(h, &one, xd, Dev<float>(Rand(Count(kGrouped.x), 1)), wd,
                            Dev<float>(Rand(Count(kGrouped.w), 2)), cd,
                            CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_PRECOMP_GEMM, Bytes(256), ny * sizeof(float), &zero,
                            yd, Dev<float>({}, ny));
    cudaStreamSynchronize(s);
  };
  EXPECT_DEATH(run(), "past the end of the 256-byte device allocation");
}

}  // namespace
