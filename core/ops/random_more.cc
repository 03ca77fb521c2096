// MXNet 1.9.1's other samplers and densities:
// - _random_<d> (exponential, gamma, poisson, negative_binomial, generalized_negative_binomial, randint): scalar
//   distribution parameters, an output of `shape`;
// - _sample_<d> (uniform, normal and the above but randint): distribution parameters as arrays, one distribution per
//   element, `shape` draws of each (output shape: parameter shape + shape);
// - _random_<d>_like: the input's shape and dtype;
// - _sample_multinomial (indices by inverse CDF, optionally their log-probabilities, with a gradient) and _shuffle
//   (a permutation of the first axis);
// - _random_pdf_<d>: densities (or their logarithms) of samples, with gradients for samples and parameters.
//
// Every draw comes from the device's generator (ctx.rng), in order, with the transformations written here (as
// random_ops.cc does for uniform and normal): the same seed gives the same arrays everywhere. Samplers have no
// gradient (their outputs are constants to autograd), except multinomial's log-probabilities.
#include <cmath>
#include <cstring>
#include <limits>

#include "elemwise_util.h"

namespace mxc {
namespace op {
namespace {

using namespace elem;

// ----------------------------------------------------------------------------------------------------------------
// Element access in double (float16, float32, float64, and the integer outputs of randint/multinomial).
// ----------------------------------------------------------------------------------------------------------------
double Get(const TBlob &b, int64_t i) {
  switch (b.dtype) {
    case kFloat32: return b.ptr<float>()[i];
    case kFloat64: return b.ptr<double>()[i];
    case kFloat16: return HalfBitsToFloat(b.ptr<Half>()[i].bits);
    case kInt32: return b.ptr<int32_t>()[i];
    case kInt64: return static_cast<double>(b.ptr<int64_t>()[i]);
    case kUint8: return b.ptr<uint8_t>()[i];
    case kInt8: return b.ptr<int8_t>()[i];
    default: Throw(ErrorKind::kType, "random operator: dtype ", DTypeName(b.dtype), " is not supported");
  }
  return 0;
}

template <typename T>
void PutAs(const TBlob &b, int64_t i, OpReq req, double v) {
  T *o = b.ptr<T>() + i;
  if (req == kAddTo) *o = Convert<T>::From_(static_cast<double>(Convert<double>::From_(*o)) + v);
  else if (req != kNullOp) *o = Convert<T>::From_(v);
}

void Put(const TBlob &b, int64_t i, OpReq req, double v) {
  switch (b.dtype) {
    case kFloat32: PutAs<float>(b, i, req, v); break;
    case kFloat64: PutAs<double>(b, i, req, v); break;
    case kFloat16: PutAs<Half>(b, i, req, v); break;
    case kInt32: PutAs<int32_t>(b, i, req, v); break;
    case kInt64: PutAs<int64_t>(b, i, req, v); break;
    case kUint8: PutAs<uint8_t>(b, i, req, v); break;
    case kInt8: PutAs<int8_t>(b, i, req, v); break;
    default: Throw(ErrorKind::kType, "random operator: dtype ", DTypeName(b.dtype), " is not supported");
  }
}

std::mt19937_64 &Generator(const OpContext &ctx) {
  MXC_CHECK(ctx.rng != nullptr, ErrorKind::kInternal, "random operator called without a generator");
  return *ctx.rng;
}

// ----------------------------------------------------------------------------------------------------------------
// Draws from raw 64-bit words.
// ----------------------------------------------------------------------------------------------------------------
struct Draw {
  std::mt19937_64 &g;
  double Uniform() { return static_cast<double>(g() >> 11) * 0x1.0p-53; }           // [0, 1)
  double Open() { return (static_cast<double>(g() >> 11) + 0.5) * 0x1.0p-53; }      // (0, 1)
  double Normal() {  // Box-Muller (one of the pair)
    double r = std::sqrt(-2.0 * std::log(Open()));
    return r * std::cos(6.283185307179586 * Uniform());
  }
  double Exponential(double lam) { return -std::log(Open()) / lam; }
  // Gamma with shape a and scale s (mean a*s): Marsaglia and Tsang's squeeze for a >= 1; a < 1 through a + 1 and
  // U^(1/a).
  double Gamma(double a, double s) {
    // A NaN shape or scale never passes the squeeze below: return NaN instead of looping.
    if (std::isnan(a)) return a;
    if (std::isnan(s)) return s;
    if (a < 1) {
      double u = Open();
      return Gamma(a + 1.0, s) * std::pow(u, 1.0 / a);
    }
    const double d = a - 1.0 / 3.0, c = 1.0 / std::sqrt(9.0 * d);
    for (;;) {
      double x = Normal(), v = 1.0 + c * x;
      if (v <= 0) continue;
      v = v * v * v;
      double u = Open(), x2 = x * x;
      if (u < 1.0 - 0.0331 * x2 * x2 || std::log(u) < 0.5 * x2 + d * (1.0 - v + std::log(v))) return d * v * s;
    }
  }
  // Poisson: products of uniforms below 10, Hoermann's transformed rejection (PTRS) above.
  double Poisson(double lam) {
    // A NaN or infinite rate (a Gamma draw that overflowed) never passes the rejection test below.
    if (std::isnan(lam) || lam == std::numeric_limits<double>::infinity()) return lam;
    if (lam <= 0) return 0;
    if (lam < 10) {
      const double l = std::exp(-lam);
      double prod = Open();
      int64_t k = 0;
      while (prod > l) {
        ++k;
        prod *= Open();
      }
      return static_cast<double>(k);
    }
    const double slam = std::sqrt(lam), loglam = std::log(lam);
    const double b = 0.931 + 2.53 * slam, a = -0.059 + 0.02483 * b;
    const double inv_alpha = 1.1239 + 1.1328 / (b - 3.4), vr = 0.9277 - 3.6224 / (b - 2);
    for (;;) {
      double u = Uniform() - 0.5, v = Open(), us = 0.5 - std::fabs(u);
      double k = std::floor((2 * a / us + b) * u + lam + 0.43);
      if (us >= 0.07 && v <= vr) return k;
      if (k < 0 || (us < 0.013 && v > us)) continue;
      if (std::log(v) + std::log(inv_alpha) - std::log(a / (us * us) + b) <= -lam + k * loglam - std::lgamma(k + 1))
        return k;
    }
  }
  // Failures before the k-th success with success probability p: Poisson of a Gamma(k, (1-p)/p) rate.
  double NegativeBinomial(double k, double p) {
    if (k <= 0 || p >= 1) return 0;
    return Poisson(Gamma(k, (1 - p) / p));
  }
  // Mean mu, variance mu + alpha mu^2: Poisson of a Gamma(1/alpha, alpha mu) rate (Poisson(mu) when alpha is 0).
  double GeneralizedNegativeBinomial(double mu, double alpha) {
    if (mu <= 0) return 0;
    if (alpha <= 0) return Poisson(mu);
    return Poisson(Gamma(1.0 / alpha, alpha * mu));
  }
};

// ----------------------------------------------------------------------------------------------------------------
// The distributions: parameter names (of _random_<d> and of _sample_<d>), a check of one parameter set and a draw.
// ----------------------------------------------------------------------------------------------------------------
struct Dist {
  const char *name;
  std::vector<const char *> random_params;  // _random_<d> / _random_<d>_like
  std::vector<const char *> sample_params;  // _sample_<d>'s inputs
  // Throws a ValueError naming the operator and the parameter unless th (the parameters) is valid.
  void (*check)(const std::string &op, const double *th, const std::vector<const char *> &names);
  double (*draw)(Draw &d, const double *th);
};

void Bad(const std::string &op, const char *param, const char *what, double v) {
  Throw(ErrorKind::kValue, "operator ", op, ": ", param, " ", what, ", got ", v);
}

void CheckNothing(const std::string &, const double *, const std::vector<const char *> &) {}
void CheckUniform(const std::string &op, const double *th, const std::vector<const char *> &n) {
  if (!(th[0] <= th[1]))
    Throw(ErrorKind::kValue, "operator ", op, ": ", n[0], " (", th[0], ") must not exceed ", n[1], " (", th[1], ")");
}
void CheckNormal(const std::string &op, const double *th, const std::vector<const char *> &n) {
  if (!(th[1] >= 0)) Bad(op, n[1], "must be non-negative", th[1]);
}
void CheckExponential(const std::string &op, const double *th, const std::vector<const char *> &n) {
  if (!(th[0] > 0)) Bad(op, n[0], "must be positive", th[0]);
}
void CheckGamma(const std::string &op, const double *th, const std::vector<const char *> &n) {
  if (!(th[0] > 0)) Bad(op, n[0], "must be positive", th[0]);
  if (!(th[1] > 0)) Bad(op, n[1], "must be positive", th[1]);
}
void CheckPoisson(const std::string &op, const double *th, const std::vector<const char *> &n) {
  if (!(th[0] >= 0)) Bad(op, n[0], "must be non-negative", th[0]);
}
void CheckNegBin(const std::string &op, const double *th, const std::vector<const char *> &n) {
  if (!(th[0] >= 0)) Bad(op, n[0], "must be non-negative", th[0]);
  if (!(th[1] > 0 && th[1] <= 1)) Bad(op, n[1], "must be in (0, 1]", th[1]);
}
void CheckGenNegBin(const std::string &op, const double *th, const std::vector<const char *> &n) {
  if (!(th[0] >= 0)) Bad(op, n[0], "must be non-negative", th[0]);
  if (!(th[1] >= 0)) Bad(op, n[1], "must be non-negative", th[1]);
}

const std::vector<Dist> &Dists() {
  static const std::vector<Dist> d = {
      {"uniform", {"low", "high"}, {"low", "high"}, CheckUniform,
       [](Draw &r, const double *th) { return th[0] + (th[1] - th[0]) * r.Uniform(); }},
      {"normal", {"loc", "scale"}, {"mu", "sigma"}, CheckNormal,
       [](Draw &r, const double *th) { return th[0] + th[1] * r.Normal(); }},
      {"exponential", {"lam"}, {"lam"}, CheckExponential,
       [](Draw &r, const double *th) { return r.Exponential(th[0]); }},
      {"gamma", {"alpha", "beta"}, {"alpha", "beta"}, CheckGamma,
       [](Draw &r, const double *th) { return r.Gamma(th[0], th[1]); }},
      {"poisson", {"lam"}, {"lam"}, CheckPoisson, [](Draw &r, const double *th) { return r.Poisson(th[0]); }},
      {"negative_binomial", {"k", "p"}, {"k", "p"}, CheckNegBin,
       [](Draw &r, const double *th) { return r.NegativeBinomial(th[0], th[1]); }},
      {"generalized_negative_binomial", {"mu", "alpha"}, {"mu", "alpha"}, CheckGenNegBin,
       [](Draw &r, const double *th) { return r.GeneralizedNegativeBinomial(th[0], th[1]); }},
  };
  return d;
}

const Dist &FindDist(const std::string &name) {
  for (auto &d : Dists())
    if (name == d.name) return d;
  Throw(ErrorKind::kInternal, "unknown distribution ", name);
  return Dists()[0];
}

// The scalar parameters of a _random_<d> call.
std::vector<double> ScalarParams(const OpParams &p, const Dist &d) {
  std::vector<double> th;
  for (const char *n : d.random_params) {
    const ParamSpec *s = p.op()->FindParam(n);
    th.push_back(s->kind == ParamKind::kInt ? static_cast<double>(p.Int(n)) : p.Float(n));
  }
  return th;
}

constexpr unsigned kSampleTypes = kRealTypes | TypeBit(kFloat16);

void SampleDtypeInfer(const OpParams &p, std::vector<int> *in, std::vector<int> *out) {
  InitTypeInfer(p, in, out);
  CheckTypeIn((*out)[0], kSampleTypes, p, "dtype");
}

// The distribution's scalar parameters (negative_binomial's k is an integer), shared by _random_<d> and its _like.
void AddDistParams(Op *op, const Dist &d, const std::vector<std::string> &defaults) {
  for (size_t i = 0; i < d.random_params.size(); ++i) {
    const bool integer = std::string(d.name) == "negative_binomial" && i == 0;
    op->add_param(d.random_params[i], integer ? ParamKind::kInt : ParamKind::kFloat, defaults[i],
                  "Parameter " + std::string(d.random_params[i]) + " of the distribution.");
  }
}

// Fills the output with draws under the scalar parameters (_random_<d> and _random_<d>_like).
FCompute ScalarDrawCompute(const Dist &d) {
  return [&d](const OpContext &ctx, const OpParams &p, const std::vector<TBlob> &, const std::vector<OpReq> &req,
              const std::vector<TBlob> &out) {
    auto th = ScalarParams(p, d);
    Draw r{Generator(ctx)};
    const int64_t n = out[0].Size();
    for (int64_t i = 0; i < n; ++i) Put(out[0], i, req[0], d.draw(r, th.data()));
  };
}

// ---- _random_<d> ------------------------------------------------------------------------------------------------
void RegisterRandom(const Dist &d, const std::string &doc, const std::vector<std::string> &defaults) {
  const std::string name = std::string("_random_") + d.name;
  Op &op = OpRegistry::Get()->Register(name).describe(doc).set_inputs({}).set_random();
  op.add_alias("random_" + std::string(d.name));
  AddDistParams(&op, d, defaults);
  op.add_param("shape", ParamKind::kShape, "()", "Shape of the output.")
      .add_param("ctx", ParamKind::kString, "", "Context of the output (ignored: taken from the call).")
      .add_param("dtype", ParamKind::kDType, "None", "Element type of the output (None: float32).")
      .set_infer_type(SampleDtypeInfer)
      .set_infer_shape([&d](const OpParams &p, std::vector<TShape> *in, std::vector<TShape> *out) {
        auto th = ScalarParams(p, d);
        d.check(p.op()->name, th.data(), d.random_params);
        InitShapeInfer(p, in, out);
      })
      .set_compute(MXC_CPU, ScalarDrawCompute(d));
}

// ---- _random_<d>_like ---------------------------------------------------------------------------------------------
void RegisterLike(const Dist &d, const std::vector<std::string> &defaults) {
  const std::string name = std::string("_random_") + d.name + "_like";
  Op &op = OpRegistry::Get()
               ->Register(name)
               .describe(std::string("Samples from the ") + d.name +
                         " distribution into an array of the input's shape and dtype.")
               .set_inputs({"data"})
               .set_random();
  AddDistParams(&op, d, defaults);
  op.set_infer_type(SameTypeIn(kRealTypes))
      .set_infer_shape([&d](const OpParams &p, std::vector<TShape> *in, std::vector<TShape> *out) {
        auto th = ScalarParams(p, d);
        d.check(p.op()->name, th.data(), d.random_params);
        SameShapeInfer(p, in, out);
      })
      .set_compute(MXC_CPU, ScalarDrawCompute(d));
}

// ---- _sample_<d> ------------------------------------------------------------------------------------------------
void RegisterSample(const Dist &d) {
  const std::string name = std::string("_sample_") + d.name;
  std::vector<std::string> inputs(d.sample_params.begin(), d.sample_params.end());
  OpRegistry::Get()
      ->Register(name)
      .describe(std::string("Samples from ") + d.name + " distributions whose parameters are given per element: `" +
                "shape` draws of each (output shape: the parameters' shape followed by shape).")
      .add_alias("sample_" + std::string(d.name))
      .set_inputs(inputs)
      .set_random()
      .add_param("shape", ParamKind::kShape, "()", "Shape of the draws of each distribution.")
      .add_param("dtype", ParamKind::kDType, "None", "Element type of the output (None: float32).")
      .set_infer_type([](const OpParams &p, std::vector<int> *in, std::vector<int> *out) {
        int t = -1;
        auto names = p.op()->InputNames(p);
        for (size_t i = 0; i < in->size(); ++i) TypeMerge(&t, (*in)[i], p.op(), names[i]);
        for (size_t i = 0; i < in->size(); ++i) {
          if ((*in)[i] < 0) (*in)[i] = t;
          CheckTypeIn((*in)[i], kRealTypes, p, names[i]);
        }
        SampleDtypeInfer(p, in, out);
      })
      .set_infer_shape([](const OpParams &p, std::vector<TShape> *in, std::vector<TShape> *out) {
        auto names = p.op()->InputNames(p);
        TShape s;
        for (size_t i = 0; i < in->size(); ++i) ShapeMerge(&s, (*in)[i], p.op(), names[i]);
        if (s.empty()) return;
        for (size_t i = 0; i < in->size(); ++i) ShapeAssign(&(*in)[i], s, p.op(), names[i]);
        for (int64_t e : p.Tuple("shape")) {
          MXC_CHECK(e >= 0, ErrorKind::kShape, "operator ", p.op()->name, ": negative dimension in shape");
          s.push_back(e);
        }
        ShapeAssign(&(*out)[0], s, p.op(), "output");
      })
      .set_compute(MXC_CPU, [&d](const OpContext &ctx, const OpParams &p, const std::vector<TBlob> &in,
                                 const std::vector<OpReq> &req, const std::vector<TBlob> &out) {
        Draw r{Generator(ctx)};
        const int64_t np = in[0].Size(), per = np == 0 ? 0 : out[0].Size() / np;
        double th[2] = {0, 0};
        for (int64_t i = 0; i < np; ++i) {
          for (size_t k = 0; k < in.size(); ++k) th[k] = Get(in[k], i);
          d.check(p.op()->name, th, d.sample_params);
          for (int64_t j = 0; j < per; ++j) Put(out[0], i * per + j, req[0], d.draw(r, th));
        }
      });
}

// ---- _random_randint ------------------------------------------------------------------------------------------------
void RegisterRandint() {
  OpRegistry::Get()
      ->Register("_random_randint")
      .describe("Samples integers uniformly from [low, high).")
      .add_alias("random_randint")
      .set_inputs({})
      .set_random()
      .add_required_param("low", ParamKind::kInt, "Lower bound of the distribution (included).")
      .add_required_param("high", ParamKind::kInt, "Upper bound of the distribution (excluded).")
      .add_param("shape", ParamKind::kShape, "()", "Shape of the output.")
      .add_param("ctx", ParamKind::kString, "", "Context of the output (ignored: taken from the call).")
      .add_param("dtype", ParamKind::kDType, "None", "Element type of the output: int32 or int64 (None: int32).")
      .set_infer_type([](const OpParams &p, std::vector<int> *, std::vector<int> *out) {
        int t = p.IsNone("dtype") ? kInt32 : p.Dtype("dtype");
        CheckTypeIn(t, TypeBit(kInt32) | TypeBit(kInt64), p, "dtype");
        TypeAssign(&(*out)[0], t, p.op(), "output");
      })
      .set_infer_shape([](const OpParams &p, std::vector<TShape> *in, std::vector<TShape> *out) {
        const int64_t lo = p.Int("low"), hi = p.Int("high");
        MXC_CHECK(lo < hi, ErrorKind::kValue, "operator ", p.op()->name, ": low (", lo, ") must be less than high (",
                  hi, ")");
        InitShapeInfer(p, in, out);
      })
      .set_compute(MXC_CPU, [](const OpContext &ctx, const OpParams &p, const std::vector<TBlob> &,
                               const std::vector<OpReq> &req, const std::vector<TBlob> &out) {
        std::mt19937_64 &g = Generator(ctx);
        const int64_t lo = p.Int("low");
        const uint64_t range = static_cast<uint64_t>(p.Int("high")) - static_cast<uint64_t>(lo);
        // Words at or above the largest multiple of range are drawn again: every value equally likely.
        const uint64_t limit = UINT64_MAX - UINT64_MAX % range;
        auto next = [&] {
          uint64_t w;
          do w = g();
          while (w >= limit);
          return static_cast<int64_t>(static_cast<uint64_t>(lo) + w % range);
        };
        const int64_t n = out[0].Size();
        if (req[0] == kNullOp) return;
        if (out[0].dtype == kInt64) {
          int64_t *o = out[0].ptr<int64_t>();
          for (int64_t i = 0; i < n; ++i) o[i] = req[0] == kAddTo ? o[i] + next() : next();
        } else {
          int32_t *o = out[0].ptr<int32_t>();  // a range wider than int32 wraps, as MXNet's
          for (int64_t i = 0; i < n; ++i) {
            int32_t v = static_cast<int32_t>(static_cast<uint32_t>(next()));
            o[i] = req[0] == kAddTo ? static_cast<int32_t>(static_cast<uint32_t>(o[i]) + static_cast<uint32_t>(v)) : v;
          }
        }
      });
}

// ---- _sample_multinomial ------------------------------------------------------------------------------------------
// data (..., K): probabilities; outputs data.shape[:-1] + shape indices (the first k whose cumulative sum exceeds a
// uniform draw; the last index when none does) and, with get_prob, the log-probabilities of the drawn indices.
void MultinomialShape(const OpParams &p, std::vector<TShape> *in, std::vector<TShape> *out) {
  const TShape &d = (*in)[0];
  if (d.empty()) return;
  MXC_CHECK(d[d.ndim() - 1] > 0, ErrorKind::kShape, "operator ", p.op()->name, ": data shape ", ShapeStr(d),
            ": the last axis (the categories) must not be empty");
  TShape s;
  for (int a = 0; a + 1 < d.ndim(); ++a) s.push_back(d[a]);
  for (int64_t e : p.Tuple("shape")) s.push_back(e);
  if (s.empty()) s.push_back(1);
  for (size_t i = 0; i < out->size(); ++i) ShapeAssign(&(*out)[i], s, p.op(), i == 0 ? "output" : "prob");
}

void MultinomialType(const OpParams &p, std::vector<int> *in, std::vector<int> *out) {
  CheckTypeIn((*in)[0], kRealTypes, p, "data");
  const int t = p.Dtype("dtype");
  CheckTypeIn(t, kRealTypes | TypeBit(kFloat16) | TypeBit(kInt32) | TypeBit(kUint8), p, "dtype");
  TypeAssign(&(*out)[0], t, p.op(), "output");
  if (out->size() > 1 && (*in)[0] >= 0) TypeAssign(&(*out)[1], (*in)[0], p.op(), "prob");
}

void MultinomialForward(const OpContext &ctx, const OpParams &p, const std::vector<TBlob> &in,
                        const std::vector<OpReq> &req, const std::vector<TBlob> &out) {
  Draw r{Generator(ctx)};
  const TShape &d = in[0].shape;
  const int64_t k = d[d.ndim() - 1], rows = in[0].Size() / k, per = rows == 0 ? 0 : out[0].Size() / rows;
  std::vector<double> prob(k);
  for (int64_t i = 0; i < rows; ++i) {
    for (int64_t c = 0; c < k; ++c) prob[c] = Get(in[0], i * k + c);
    for (int64_t j = 0; j < per; ++j) {
      const double u = r.Uniform();
      double acc = 0;
      int64_t idx = k - 1;
      for (int64_t c = 0; c < k; ++c) {
        acc += prob[c];
        if (u < acc) {
          idx = c;
          break;
        }
      }
      Put(out[0], i * per + j, req[0], static_cast<double>(idx));
      if (out.size() > 1) Put(out[1], i * per + j, req[1], std::log(prob[idx]));
    }
  }
}

// d data[i, c] = sum over the draws j of row i that gave c of prob_grad[i, j] / data[i, c].
void MultinomialBackward(const OpContext &, const OpParams &, const std::vector<TBlob> &out_grad,
                         const std::vector<TBlob> &in_data, const std::vector<TBlob> &out_data,
                         const std::vector<OpReq> &req, const std::vector<TBlob> &in_grad) {
  if (req[0] == kNullOp) return;
  const TShape &d = in_data[0].shape;
  const int64_t k = d[d.ndim() - 1], rows = in_data[0].Size() / k;
  std::vector<double> g(in_data[0].Size(), 0.0);
  if (out_grad.size() > 1 && out_grad[1].dptr != nullptr) {
    const int64_t per = rows == 0 ? 0 : out_data[0].Size() / rows;
    for (int64_t i = 0; i < rows; ++i)
      for (int64_t j = 0; j < per; ++j) {
        const int64_t c = static_cast<int64_t>(Get(out_data[0], i * per + j));
        g[i * k + c] += Get(out_grad[1], i * per + j) / Get(in_data[0], i * k + c);
      }
  }
  for (size_t i = 0; i < g.size(); ++i) Put(in_grad[0], static_cast<int64_t>(i), req[0], g[i]);
}

// ---- _shuffle -------------------------------------------------------------------------------------------------------
void ShuffleForward(const OpContext &ctx, const OpParams &, const std::vector<TBlob> &in,
                    const std::vector<OpReq> &req, const std::vector<TBlob> &out) {
  if (req[0] == kNullOp) return;
  std::mt19937_64 &g = Generator(ctx);
  const int64_t n = in[0].shape[0], row = n == 0 ? 0 : in[0].Size() / n;
  // Fisher-Yates: perm[i] is the input row that lands in output row i.
  std::vector<int64_t> perm(n);
  for (int64_t i = 0; i < n; ++i) perm[i] = i;
  for (int64_t i = n - 1; i > 0; --i) {
    const uint64_t range = static_cast<uint64_t>(i) + 1, limit = UINT64_MAX - UINT64_MAX % range;
    uint64_t w;
    do w = g();
    while (w >= limit);
    std::swap(perm[i], perm[static_cast<int64_t>(w % range)]);
  }
  if (req[0] == kAddTo) {
    for (int64_t i = 0; i < n; ++i)
      for (int64_t e = 0; e < row; ++e) Put(out[0], i * row + e, kAddTo, Get(in[0], perm[i] * row + e));
    return;
  }
  const size_t bytes = static_cast<size_t>(row) * DTypeSize(in[0].dtype);
  const char *src = static_cast<const char *>(in[0].dptr);
  std::vector<char> copy;
  if (in[0].dptr == out[0].dptr) {  // in place: shuffle from a copy
    copy.assign(src, src + bytes * n);
    src = copy.data();
  }
  char *dst = static_cast<char *>(out[0].dptr);
  for (int64_t i = 0; i < n; ++i) std::memcpy(dst + bytes * i, src + bytes * perm[i], bytes);
}

// ----------------------------------------------------------------------------------------------------------------
// Densities. The parameters (all of one shape P) hold one distribution per element; the sample's shape starts with
// P and its remaining axes are samples of that element's distribution (Dirichlet: alpha (P, K), sample (P, ..., K)).
// L is the log-density; the gradient of the density is pdf * dL.
// ----------------------------------------------------------------------------------------------------------------
double Digamma(double x) {
  if (x <= 0 && x == std::floor(x)) return std::numeric_limits<double>::quiet_NaN();
  double r = 0;
  while (x < 6) {
    r -= 1 / x;
    x += 1;
  }
  const double f = 1 / (x * x);
  return r + std::log(x) - 0.5 / x -
         f * (1.0 / 12 - f * (1.0 / 120 - f * (1.0 / 252 - f * (1.0 / 240 - f * (1.0 / 132)))));
}

constexpr double kLogSqrt2Pi = 0.91893853320467274178;

// Each returns L; the density itself when !log (for uniform and normal the direct formula, which keeps the sign of
// a negative width or sigma as MXNet's does); dx and dth (may be null) receive dL.
struct PdfFn {
  const char *name;
  std::vector<const char *> params;
  double (*eval)(double x, const double *th, bool log, double *dx, double *dth);
};

double PdfUniform(double, const double *th, bool log, double *dx, double *dth) {
  const double w = th[1] - th[0];
  if (dx) {
    *dx = 0;
    dth[0] = 1 / w;
    dth[1] = -1 / w;
  }
  return log ? -std::log(w) : 1 / w;
}
double PdfNormal(double x, const double *th, bool log, double *dx, double *dth) {
  const double s = th[1], z = (x - th[0]) / s;
  if (dx) {
    *dx = -z / s;
    dth[0] = z / s;
    dth[1] = (z * z - 1) / s;
  }
  return log ? -0.5 * z * z - std::log(s) - kLogSqrt2Pi : std::exp(-0.5 * z * z - kLogSqrt2Pi) / s;
}
double PdfGamma(double x, const double *th, bool log, double *dx, double *dth) {
  const double a = th[0], b = th[1];  // shape and rate
  if (dx) {
    *dx = (a - 1) / x - b;
    dth[0] = std::log(b) + std::log(x) - Digamma(a);
    dth[1] = a / b - x;
  }
  const double l = a * std::log(b) + (a - 1) * std::log(x) - b * x - std::lgamma(a);
  return log ? l : std::exp(l);
}
double PdfExponential(double x, const double *th, bool log, double *dx, double *dth) {
  const double lam = th[0];
  if (dx) {
    *dx = -lam;
    dth[0] = 1 / lam - x;
  }
  const double l = std::log(lam) - lam * x;
  return log ? l : std::exp(l);
}
double PdfPoisson(double x, const double *th, bool log, double *dx, double *dth) {
  const double lam = th[0];
  if (dx) {
    *dx = 0;  // as MXNet: no gradient for the (integer) sample
    dth[0] = x / lam - 1;
  }
  const double l = x * std::log(lam) - lam - std::lgamma(x + 1);
  return log ? l : std::exp(l);
}
double NegBinLog(double x, double k, double p) {
  return std::lgamma(x + k) - std::lgamma(x + 1) - std::lgamma(k) + k * std::log(p) + x * std::log1p(-p);
}
double PdfNegBin(double x, const double *th, bool log, double *dx, double *dth) {
  const double k = th[0], p = th[1];
  if (dx) {
    *dx = 0;
    dth[0] = Digamma(x + k) - Digamma(k) + std::log(p);
    dth[1] = k / p - x / (1 - p);
  }
  const double l = NegBinLog(x, k, p);
  return log ? l : std::exp(l);
}
// Mean mu, variance mu + alpha mu^2: the negative binomial with k = 1/alpha, p = 1 / (1 + alpha mu).
double PdfGenNegBin(double x, const double *th, bool log, double *dx, double *dth) {
  const double mu = th[0], alpha = th[1], k = 1 / alpha, p = 1 / (1 + alpha * mu);
  if (dx) {
    *dx = 0;
    dth[0] = p * (x / mu - 1);
    dth[1] = -(Digamma(x + k) - Digamma(k) + std::log(p)) / (alpha * alpha) + p * (x - mu) / alpha;
  }
  const double l = std::lgamma(x + k) - std::lgamma(x + 1) - std::lgamma(k) + k * std::log(p) +
                   x * std::log(alpha * mu * p);
  return log ? l : std::exp(l);
}

const std::vector<PdfFn> &PdfFns() {
  static const std::vector<PdfFn> f = {
      {"uniform", {"low", "high"}, PdfUniform},
      {"normal", {"mu", "sigma"}, PdfNormal},
      {"gamma", {"alpha", "beta"}, PdfGamma},
      {"exponential", {"lam"}, PdfExponential},
      {"poisson", {"lam"}, PdfPoisson},
      {"negative_binomial", {"k", "p"}, PdfNegBin},
      {"generalized_negative_binomial", {"mu", "alpha"}, PdfGenNegBin},
  };
  return f;
}

// Shapes: parameters of one shape P (Dirichlet: alpha (P, K)); the sample (P, ...) (Dirichlet: (P, ..., K)).
void PdfShape(const OpParams &p, std::vector<TShape> *in, std::vector<TShape> *out, bool dirichlet) {
  const Op *op = p.op();
  auto names = op->InputNames(p);
  TShape ps;
  for (size_t i = 1; i < in->size(); ++i) ShapeMerge(&ps, (*in)[i], op, names[i]);
  for (size_t i = 1; i < in->size() && !ps.empty(); ++i) ShapeAssign(&(*in)[i], ps, op, names[i]);
  const TShape &s = (*in)[0];
  if (ps.empty() || s.empty()) return;
  bool ok = s.ndim() >= ps.ndim();
  const int lead = ps.ndim() - (dirichlet ? 1 : 0);
  for (int a = 0; ok && a < lead; ++a) ok = s[a] == ps[a];
  if (dirichlet) ok = ok && s[s.ndim() - 1] == ps[ps.ndim() - 1];
  if (!ok) {
    std::string params;
    for (size_t i = 1; i < in->size(); ++i) params += std::string(i > 1 ? ", " : "") + names[i];
    Throw(ErrorKind::kShape, "operator ", op->name, ": sample shape ", ShapeStr(s), " must ",
          dirichlet ? "start with the shape of " + params + " without its last axis and end with that axis, got "
                    : "start with the shape of " + params + ", got ",
          ShapeStr(ps));
  }
  TShape o = s;
  if (dirichlet) o.erase(o.begin() + (o.ndim() - 1));
  if (o.empty()) o.push_back(1);
  ShapeAssign(&(*out)[0], o, op, "output");
}

void RegisterPdf(const PdfFn &f) {
  std::vector<std::string> inputs = {"sample"};
  for (const char *n : f.params) inputs.push_back(n);
  const std::string name = std::string("_random_pdf_") + f.name;
  OpRegistry::Get()
      ->Register(name)
      .describe(std::string("Density (or its logarithm, is_log) of the ") + f.name +
                " distributions with per-element parameters at the samples: the sample's leading axes are the "
                "parameters' shape.")
      .add_alias("random_pdf_" + std::string(f.name))
      .set_inputs(inputs)
      .add_param("is_log", ParamKind::kBool, "False", "Return the logarithm of the density.")
      .set_infer_shape([](const OpParams &p, std::vector<TShape> *in, std::vector<TShape> *out) {
        PdfShape(p, in, out, false);
      })
      .set_infer_type(SameTypeIn(kRealTypes))
      .set_compute(MXC_CPU, [&f](const OpContext &, const OpParams &p, const std::vector<TBlob> &in,
                                 const std::vector<OpReq> &req, const std::vector<TBlob> &out) {
        const bool log = p.Bool("is_log");
        const int64_t np = in[1].Size(), per = np == 0 ? 0 : in[0].Size() / np;
        double th[2] = {0, 0};
        for (int64_t i = 0; i < np; ++i) {
          for (size_t k = 1; k < in.size(); ++k) th[k - 1] = Get(in[k], i);
          for (int64_t j = 0; j < per; ++j)
            Put(out[0], i * per + j, req[0], f.eval(Get(in[0], i * per + j), th, log, nullptr, nullptr));
        }
      })
      .set_backward(MXC_CPU, [&f](const OpContext &, const OpParams &p, const std::vector<TBlob> &out_grad,
                                  const std::vector<TBlob> &in_data, const std::vector<TBlob> &,
                                  const std::vector<OpReq> &req, const std::vector<TBlob> &in_grad) {
        const bool log = p.Bool("is_log");
        const int64_t np = in_data[1].Size(), per = np == 0 ? 0 : in_data[0].Size() / np;
        const size_t npar = in_data.size() - 1;
        double th[2] = {0, 0}, dth[2] = {0, 0}, dx = 0;
        for (int64_t i = 0; i < np; ++i) {
          for (size_t k = 0; k < npar; ++k) th[k] = Get(in_data[k + 1], i);
          double acc[2] = {0, 0};
          for (int64_t j = 0; j < per; ++j) {
            const int64_t e = i * per + j;
            const double v = f.eval(Get(in_data[0], e), th, false, &dx, dth);
            const double g = Get(out_grad[0], e) * (log ? 1.0 : v);
            Put(in_grad[0], e, req[0], g * dx);
            for (size_t k = 0; k < npar; ++k) acc[k] += g * dth[k];
          }
          for (size_t k = 0; k < npar; ++k) Put(in_grad[k + 1], i, req[k + 1], acc[k]);
        }
      })
      .set_backward_uses(true, false);
}

// Dirichlet: L = lgamma(sum a) - sum lgamma(a_c) + sum (a_c - 1) log x_c; dL/dx_c = (a_c - 1) / x_c,
// dL/da_c = digamma(sum a) - digamma(a_c) + log x_c.
void RegisterPdfDirichlet() {
  OpRegistry::Get()
      ->Register("_random_pdf_dirichlet")
      .describe("Density (or its logarithm, is_log) of Dirichlet distributions with per-element concentrations "
                "alpha (..., K) at samples (..., [draws...], K).")
      .add_alias("random_pdf_dirichlet")
      .set_inputs({"sample", "alpha"})
      .add_param("is_log", ParamKind::kBool, "False", "Return the logarithm of the density.")
      .set_infer_shape([](const OpParams &p, std::vector<TShape> *in, std::vector<TShape> *out) {
        PdfShape(p, in, out, true);
      })
      .set_infer_type(SameTypeIn(kRealTypes))
      .set_compute(MXC_CPU, [](const OpContext &, const OpParams &p, const std::vector<TBlob> &in,
                               const std::vector<OpReq> &req, const std::vector<TBlob> &out) {
        const bool log = p.Bool("is_log");
        const TShape &as = in[1].shape;
        const int64_t k = as[as.ndim() - 1], nd = in[1].Size() / k, per = nd == 0 ? 0 : in[0].Size() / (nd * k);
        for (int64_t i = 0; i < nd; ++i) {
          double sum = 0, lg = 0;
          for (int64_t c = 0; c < k; ++c) {
            const double a = Get(in[1], i * k + c);
            sum += a;
            lg += std::lgamma(a);
          }
          for (int64_t j = 0; j < per; ++j) {
            double l = std::lgamma(sum) - lg;
            for (int64_t c = 0; c < k; ++c)
              l += (Get(in[1], i * k + c) - 1) * std::log(Get(in[0], (i * per + j) * k + c));
            Put(out[0], i * per + j, req[0], log ? l : std::exp(l));
          }
        }
      })
      .set_backward(MXC_CPU, [](const OpContext &, const OpParams &p, const std::vector<TBlob> &out_grad,
                                const std::vector<TBlob> &in_data, const std::vector<TBlob> &,
                                const std::vector<OpReq> &req, const std::vector<TBlob> &in_grad) {
        const bool log = p.Bool("is_log");
        const TShape &as = in_data[1].shape;
        const int64_t k = as[as.ndim() - 1], nd = in_data[1].Size() / k;
        const int64_t per = nd == 0 ? 0 : in_data[0].Size() / (nd * k);
        std::vector<double> a(k), ga(k);
        for (int64_t i = 0; i < nd; ++i) {
          double sum = 0, lg = 0;
          for (int64_t c = 0; c < k; ++c) {
            a[c] = Get(in_data[1], i * k + c);
            sum += a[c];
            lg += std::lgamma(a[c]);
            ga[c] = 0;
          }
          const double dsum = Digamma(sum);
          for (int64_t j = 0; j < per; ++j) {
            const int64_t r = (i * per + j) * k;
            double l = std::lgamma(sum) - lg;
            for (int64_t c = 0; c < k; ++c) l += (a[c] - 1) * std::log(Get(in_data[0], r + c));
            const double g = Get(out_grad[0], i * per + j) * (log ? 1.0 : std::exp(l));
            for (int64_t c = 0; c < k; ++c) {
              const double x = Get(in_data[0], r + c);
              Put(in_grad[0], r + c, req[0], g * (a[c] - 1) / x);
              ga[c] += g * (dsum - Digamma(a[c]) + std::log(x));
            }
          }
          for (int64_t c = 0; c < k; ++c) Put(in_grad[1], i * k + c, req[1], ga[c]);
        }
      })
      .set_backward_uses(true, false);
}

int Register() {
  RegisterRandom(FindDist("exponential"), "Samples from the exponential distribution with rate lam.", {"1"});
  RegisterRandom(FindDist("gamma"), "Samples from the gamma distribution with shape alpha and scale beta.",
                 {"1", "1"});
  RegisterRandom(FindDist("poisson"), "Samples from the Poisson distribution with rate lam (as floating values).",
                 {"1"});
  RegisterRandom(FindDist("negative_binomial"),
                 "Samples from the negative binomial distribution: failures before the k-th success with success "
                 "probability p.",
                 {"1", "1"});
  RegisterRandom(FindDist("generalized_negative_binomial"),
                 "Samples from the generalized negative binomial distribution: mean mu, variance mu + alpha mu^2.",
                 {"1", "1"});
  RegisterRandint();
  for (const char *d : {"uniform", "normal", "exponential", "gamma", "poisson", "negative_binomial",
                        "generalized_negative_binomial"})
    RegisterSample(FindDist(d));
  RegisterLike(FindDist("uniform"), {"0", "1"});
  RegisterLike(FindDist("normal"), {"0", "1"});
  RegisterLike(FindDist("exponential"), {"1"});
  RegisterLike(FindDist("gamma"), {"1", "1"});
  RegisterLike(FindDist("poisson"), {"1"});
  RegisterLike(FindDist("negative_binomial"), {"1", "1"});
  RegisterLike(FindDist("generalized_negative_binomial"), {"1", "1"});

  OpRegistry::Get()
      ->Register("_sample_multinomial")
      .describe("Samples from multinomial distributions: data (..., K) holds the probabilities of K categories; "
                "`shape` draws per distribution (output shape data.shape[:-1] + shape); get_prob also returns the "
                "log-probabilities of the draws (differentiable with respect to data).")
      .add_alias("sample_multinomial")
      .set_inputs({"data"})
      .set_random()
      .add_param("shape", ParamKind::kShape, "()", "Shape of the draws of each distribution.")
      .add_param("get_prob", ParamKind::kBool, "False", "Also return the log-probabilities of the draws.")
      .add_param("dtype", ParamKind::kDType, "int32", "Element type of the drawn indices.")
      .set_num_outputs([](const OpParams &p) { return p.Bool("get_prob") ? 2 : 1; })
      .set_infer_shape(MultinomialShape)
      .set_infer_type(MultinomialType)
      .set_compute(MXC_CPU, MultinomialForward)
      .set_backward(MXC_CPU, MultinomialBackward)
      .set_backward_uses(true, true);

  OpRegistry::Get()
      ->Register("_shuffle")
      .describe("Shuffles the array along its first axis (a random permutation of its rows).")
      .add_alias("shuffle")
      .set_inputs({"data"})
      .set_random()
      .set_infer_shape(SameShapeInfer)
      .set_infer_type(SameTypeInfer)
      .set_compute(MXC_CPU, ShuffleForward);

  for (auto &f : PdfFns()) RegisterPdf(f);
  RegisterPdfDirichlet();
  return 0;
}

[[maybe_unused]] const int registered = Register();

}  // namespace
}  // namespace op
}  // namespace mxc
