// Random sampling: _random_uniform and _random_normal.
//
// Values come from the device's generator (ctx.rng, a std::mt19937_64 seeded by MXCRandomSeed), drawn in order, so
// a seed reproduces the same arrays. The transformations from raw 64-bit words are written here (53-bit uniforms,
// Box-Muller normals) rather than taken from <random>'s distributions, whose algorithms differ between standard
// libraries: the same seed gives the same numbers with libstdc++, libc++ (WebAssembly) and others.
#include "elemwise_util.h"

namespace mxc {
namespace op {
namespace {

using namespace elem;

// Uniform in [0, 1) with 53 random bits.
inline double Uniform01(std::mt19937_64 &g) { return static_cast<double>(g() >> 11) * 0x1.0p-53; }

constexpr unsigned kSampleTypes = kRealTypes | TypeBit(kFloat16);

void SampleType(const OpParams &p, std::vector<int> *in, std::vector<int> *out) {
  InitTypeInfer(p, in, out);
  CheckTypeIn((*out)[0], kSampleTypes, p, "dtype");
}

// Writes n values from next() into out (converted to its dtype) according to req.
template <typename Next>
void WriteSamples(const TBlob &out, OpReq req, Next next) {
  if (req == kNullOp) return;
  const int64_t n = out.Size();
  auto run = [&](auto tag) {
    using T = decltype(tag);
    T *o = out.ptr<T>();
    if (req == kAddTo) {
      if constexpr (std::is_same<T, Half>::value) {
        for (int64_t i = 0; i < n; ++i) o[i] = Convert<Half>::From_(HalfBitsToFloat(o[i].bits) + next());
      } else {
        for (int64_t i = 0; i < n; ++i) o[i] += static_cast<T>(next());
      }
    } else {
      for (int64_t i = 0; i < n; ++i) o[i] = Convert<T>::From_(next());
    }
  };
  switch (out.dtype) {
    case kFloat32: run(float()); break;
    case kFloat64: run(double()); break;
    case kFloat16: run(Half()); break;
    default: Throw(ErrorKind::kType, "random sampling into dtype ", DTypeName(out.dtype), " is not supported");
  }
}

std::mt19937_64 &Generator(const OpContext &ctx) {
  MXC_CHECK(ctx.rng != nullptr, ErrorKind::kInternal, "random operator called without a generator");
  return *ctx.rng;
}

void UniformShape(const OpParams &p, std::vector<TShape> *in, std::vector<TShape> *out) {
  double lo = p.Float("low"), hi = p.Float("high");
  MXC_CHECK(lo <= hi, ErrorKind::kValue, "operator ", p.op()->name, ": low (", lo, ") must not exceed high (", hi,
            ")");
  InitShapeInfer(p, in, out);
}

void UniformForward(const OpContext &ctx, const OpParams &p, const std::vector<TBlob> &,
                    const std::vector<OpReq> &req, const std::vector<TBlob> &out) {
  std::mt19937_64 &g = Generator(ctx);
  const double lo = p.Float("low"), width = p.Float("high") - lo;
  WriteSamples(out[0], req[0], [&] { return lo + width * Uniform01(g); });
}

void NormalShape(const OpParams &p, std::vector<TShape> *in, std::vector<TShape> *out) {
  double scale = p.Float("scale");
  MXC_CHECK(scale >= 0, ErrorKind::kValue, "operator ", p.op()->name, ": scale must be non-negative, got ", scale);
  InitShapeInfer(p, in, out);
}

void NormalForward(const OpContext &ctx, const OpParams &p, const std::vector<TBlob> &,
                   const std::vector<OpReq> &req, const std::vector<TBlob> &out) {
  std::mt19937_64 &g = Generator(ctx);
  const double loc = p.Float("loc"), scale = p.Float("scale");
  // Box-Muller: two normals from two uniforms; the second is kept for the next value.
  bool have = false;
  double spare = 0;
  WriteSamples(out[0], req[0], [&] {
    if (have) {
      have = false;
      return loc + scale * spare;
    }
    double u1 = 1.0 - Uniform01(g);  // (0, 1]
    double u2 = Uniform01(g);
    double r = std::sqrt(-2.0 * std::log(u1));
    double t = 6.283185307179586 * u2;
    spare = r * std::sin(t);
    have = true;
    return loc + scale * r * std::cos(t);
  });
}

Op &SampleOp(const char *name, const std::string &doc) {
  return OpRegistry::Get()
      ->Register(name)
      .describe(doc)
      .set_inputs({})
      .set_random()
      .set_infer_type(SampleType);
}

Op &SampleCommon(Op &op) {
  return op.add_param("shape", ParamKind::kShape, "()", "Shape of the output.")
      .add_param("ctx", ParamKind::kString, "", "Context of the output (ignored: taken from the call).")
      .add_param("dtype", ParamKind::kDType, "None", "Element type of the output (None: float32).");
}

int Register() {
  SampleCommon(SampleOp("_random_uniform", "Samples from the uniform distribution on [low, high).")
                   .add_alias("uniform")
                   .add_alias("random_uniform")
                   .add_param("low", ParamKind::kFloat, "0", "Lower bound of the distribution.")
                   .add_param("high", ParamKind::kFloat, "1", "Upper bound of the distribution."))
      .set_infer_shape(UniformShape)
      .set_compute(MXC_CPU, UniformForward);
  SampleCommon(SampleOp("_random_normal", "Samples from the normal distribution N(loc, scale^2).")
                   .add_alias("normal")
                   .add_alias("random_normal")
                   .add_param("loc", ParamKind::kFloat, "0", "Mean of the distribution.")
                   .add_param("scale", ParamKind::kFloat, "1", "Standard deviation of the distribution."))
      .set_infer_shape(NormalShape)
      .set_compute(MXC_CPU, NormalForward);
  return 0;
}

[[maybe_unused]] const int registered = Register();

}  // namespace
}  // namespace op
}  // namespace mxc
