// Array conversions between float16 and float32 (the float16 staging of float16.cc and every float16 cast go
// through them): x86's F16C instructions eight at a time when the processor has them (checked at run time; the
// library is built for baseline x86-64), else the portable bit conversions of elemwise_util.h. Both round to
// nearest even, keep signs, infinities and NaNs, and give float16 subnormals.
#include <algorithm>

#include "elemwise_util.h"

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <cpuid.h>
#include <immintrin.h>
#define MXC_HAVE_F16C_PATH 1
#endif

namespace mxc {
namespace op {
namespace elem {
namespace {

void HalfToFloatPortable(const uint16_t *s, float *d, int64_t n) {
  for (int64_t i = 0; i < n; ++i) d[i] = HalfBitsToFloat(s[i]);
}
void FloatToHalfPortable(const float *s, uint16_t *d, int64_t n) {
  for (int64_t i = 0; i < n; ++i) d[i] = FloatToHalfBits(s[i]);
}

#ifdef MXC_HAVE_F16C_PATH
__attribute__((target("avx,f16c"))) void HalfToFloatF16C(const uint16_t *s, float *d, int64_t n) {
  int64_t i = 0;
  for (; i + 8 <= n; i += 8)
    _mm256_storeu_ps(d + i, _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i *>(s + i))));
  HalfToFloatPortable(s + i, d + i, n - i);
}
__attribute__((target("avx,f16c"))) void FloatToHalfF16C(const float *s, uint16_t *d, int64_t n) {
  int64_t i = 0;
  for (; i + 8 <= n; i += 8)
    _mm_storeu_si128(reinterpret_cast<__m128i *>(d + i),
                     _mm256_cvtps_ph(_mm256_loadu_ps(s + i), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
  FloatToHalfPortable(s + i, d + i, n - i);
}
// CPUID leaf 1 (ECX: OSXSAVE bit 27, AVX bit 28, F16C bit 29) and the OS saving the YMM registers (XCR0 bits 1, 2).
// Not __builtin_cpu_supports: clang 14 does not know "f16c" there.
bool DetectF16C() {
  unsigned a = 0, b = 0, c = 0, d = 0;
  if (!__get_cpuid(1, &a, &b, &c, &d)) return false;
  const unsigned need = (1u << 27) | (1u << 28) | (1u << 29);
  if ((c & need) != need) return false;
  unsigned lo = 0, hi = 0;
  __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
  return (lo & 6u) == 6u;
}
bool HaveF16C() {
  static const bool have = DetectF16C();
  return have;
}
#endif

// f(begin, count) over [0, n) in blocks, in parallel when n is large.
template <typename F>
void Blocks(int64_t n, F f) {
  constexpr int64_t kBlock = 1 << 14;
  const int64_t nb = (n + kBlock - 1) / kBlock;
#ifdef _OPENMP
  if (n >= kParallelGrain) {
#pragma omp parallel for schedule(static)
    for (int64_t b = 0; b < nb; ++b) f(b * kBlock, std::min(kBlock, n - b * kBlock));
    return;
  }
#endif
  for (int64_t b = 0; b < nb; ++b) f(b * kBlock, std::min(kBlock, n - b * kBlock));
}

}  // namespace

void HalfToFloatArray(const uint16_t *src, float *dst, int64_t n, bool portable) {
#ifdef MXC_HAVE_F16C_PATH
  if (!portable && HaveF16C()) return Blocks(n, [&](int64_t b, int64_t c) { HalfToFloatF16C(src + b, dst + b, c); });
#endif
  (void)portable;
  Blocks(n, [&](int64_t b, int64_t c) { HalfToFloatPortable(src + b, dst + b, c); });
}

void FloatToHalfArray(const float *src, uint16_t *dst, int64_t n, bool portable) {
#ifdef MXC_HAVE_F16C_PATH
  if (!portable && HaveF16C()) return Blocks(n, [&](int64_t b, int64_t c) { FloatToHalfF16C(src + b, dst + b, c); });
#endif
  (void)portable;
  Blocks(n, [&](int64_t b, int64_t c) { FloatToHalfPortable(src + b, dst + b, c); });
}

}  // namespace elem
}  // namespace op
}  // namespace mxc
