// The samplers and densities of random_more.cc: moments of 100k draws against the distributions' formulas (bounds of
// at least 5 standard errors, fixed seeds), integer values, reproducibility, per-element parameters, multinomial and
// shuffle, densities against closed forms, their gradients by finite differences, and errors naming the operator.
#include <algorithm>
#include <cmath>
#include <map>

#include "test_op_elemwise_common.h"

namespace {

using namespace mxct;
using mxc::ErrorKind;

constexpr int kN = 100000;

// Sample mean and variance within k standard errors of mean and var (the variance's standard error estimated from
// the squared deviations).
void ExpectMoments(const std::vector<double> &x, double mean, double var, const std::string &what, double k = 6) {
  const double n = static_cast<double>(x.size());
  double m = 0;
  for (double v : x) m += v;
  m /= n;
  double s2 = 0, s4 = 0;
  for (double v : x) {
    const double d = (v - m) * (v - m);
    s2 += d;
    s4 += d * d;
  }
  s2 /= n;
  const double se_var = std::sqrt(std::max(s4 / n - s2 * s2, 0.0) / n);
  EXPECT_NEAR(m, mean, k * std::sqrt(var / n)) << what << ": mean";
  EXPECT_NEAR(s2, var, k * se_var + 1e-12) << what << ": variance";
}

std::vector<double> Draw(const std::string &op, const Params &p) {
  auto out = mxct::Run(op, {}, p);
  return ToVec(out[0]);
}

bool AllIntegers(const std::vector<double> &v) {
  for (double x : v)
    if (x != std::floor(x) || x < 0) return false;
  return true;
}

TEST(RandomMore, ScalarSamplersMoments) {
  mxc::SeedAll(31);
  const std::string n = "(" + std::to_string(kN) + ",)";
  ExpectMoments(Draw("_random_exponential", {{"lam", "2"}, {"shape", n}}), 0.5, 0.25, "exponential");
  ExpectMoments(Draw("_random_gamma", {{"alpha", "3"}, {"beta", "0.5"}, {"shape", n}, {"dtype", "float64"}}), 1.5,
                0.75, "gamma a=3");
  ExpectMoments(Draw("_random_gamma", {{"alpha", "0.3"}, {"beta", "2"}, {"shape", n}, {"dtype", "float64"}}), 0.6,
                1.2, "gamma a=0.3");
  for (double lam : {2.5, 60.0}) {
    auto v = Draw("_random_poisson", {{"lam", std::to_string(lam)}, {"shape", n}});
    EXPECT_TRUE(AllIntegers(v));
    ExpectMoments(v, lam, lam, "poisson");
  }
  auto nb = Draw("_random_negative_binomial", {{"k", "4"}, {"p", "0.3"}, {"shape", n}});
  EXPECT_TRUE(AllIntegers(nb));
  ExpectMoments(nb, 4 * 0.7 / 0.3, 4 * 0.7 / 0.09, "negative binomial");
  auto g = Draw("_random_generalized_negative_binomial", {{"mu", "5"}, {"alpha", "0.25"}, {"shape", n}});
  EXPECT_TRUE(AllIntegers(g));
  ExpectMoments(g, 5, 5 + 0.25 * 25, "generalized negative binomial");
}

TEST(RandomMore, DefaultsShapesAndDtypes) {
  auto a = mxct::Run("_random_exponential", {}, {})[0];
  EXPECT_EQ(a.shape(), TShape({1}));
  EXPECT_EQ(a.dtype(), mxc::kFloat32);
  auto h = mxct::Run("_random_gamma", {}, {{"shape", "(2,3)"}, {"dtype", "float16"}})[0];
  EXPECT_EQ(h.dtype(), mxc::kFloat16);
  for (double v : ToVec(h)) EXPECT_GT(v, 0);
  auto r = mxct::Run("_random_randint", {}, {{"low", "-2"}, {"high", "3"}, {"shape", "(1000,)"}})[0];
  EXPECT_EQ(r.dtype(), mxc::kInt32);
  auto rv = ToVec(r);
  EXPECT_EQ(*std::min_element(rv.begin(), rv.end()), -2);
  EXPECT_EQ(*std::max_element(rv.begin(), rv.end()), 2);
  auto r64 = mxct::Run("_random_randint", {}, {{"low", "0"}, {"high", "1099511627776"}, {"shape", "(100,)"},
                                         {"dtype", "int64"}})[0];
  EXPECT_EQ(r64.dtype(), mxc::kInt64);
  for (double v : ToVec(r64)) EXPECT_TRUE(v >= 0 && v < 1099511627776.0);
}

TEST(RandomMore, RandintIsUniform) {
  mxc::SeedAll(32);
  auto v = Draw("_random_randint", {{"low", "10"}, {"high", "16"}, {"shape", "(60000,)"}});
  std::map<int, int> count;
  for (double x : v) ++count[static_cast<int>(x)];
  ASSERT_EQ(count.size(), 6u);
  double chi2 = 0;
  for (auto &kv : count) chi2 += (kv.second - 10000.0) * (kv.second - 10000.0) / 10000.0;
  EXPECT_LT(chi2, 5 + 6 * std::sqrt(10.0));  // df 5: far in the tail
}

TEST(RandomMore, SeedReproducesDraws) {
  for (const char *op : {"_random_exponential", "_random_gamma", "_random_poisson", "_random_negative_binomial",
                         "_random_generalized_negative_binomial"}) {
    // (the negative binomial's default p = 1 draws only zeros)
    Params p = {{"shape", "(64,)"}};
    if (std::string(op) == "_random_negative_binomial") p.push_back({"p", "0.5"});
    mxc::SeedAll(5);
    auto a = Draw(op, p);
    mxc::SeedAll(5);
    EXPECT_EQ(Draw(op, p), a) << op;
    EXPECT_NE(Draw(op, p), a) << op;
  }
}

TEST(RandomMore, SampleOperatorsUseEachElementsParameters) {
  mxc::SeedAll(33);
  auto lo = FromVec({3}, {0, 10, 100}), hi = FromVec({3}, {1, 12, 100.5});
  auto u = mxct::Run("_sample_uniform", {lo, hi}, {{"shape", "(500,)"}})[0];
  EXPECT_EQ(u.shape(), TShape({3, 500}));
  auto uv = ToVec(u);
  const double bounds[3][2] = {{0, 1}, {10, 12}, {100, 100.5}};
  for (int i = 0; i < 3; ++i)
    for (int j = 0; j < 500; ++j) {
      EXPECT_GE(uv[i * 500 + j], bounds[i][0]);
      EXPECT_LT(uv[i * 500 + j], bounds[i][1]);
    }
  // One draw per element without shape; the parameters' shape leads.
  EXPECT_EQ(mxct::Run("_sample_normal", {Random({2, 3}, 0, 1), Random({2, 3}, 1, 2)}, {})[0].shape(), TShape({2, 3}));
  EXPECT_EQ(mxct::Run("_sample_exponential", {Random({2}, 1, 2)}, {{"shape", "(3,4)"}})[0].shape(), TShape({2, 3, 4}));
  EXPECT_EQ(mxct::Run("_sample_exponential", {Random({2}, 1, 2, mxc::kFloat64)}, {{"dtype", "float64"}})[0].dtype(),
            mxc::kFloat64);
  const int n = 40000;
  const std::string s = "(" + std::to_string(n) + ",)";
  auto halves = [&](const NDArray &a) {
    auto v = ToVec(a);
    return std::make_pair(std::vector<double>(v.begin(), v.begin() + n), std::vector<double>(v.begin() + n, v.end()));
  };
  auto p = halves(mxct::Run("_sample_poisson", {FromVec({2}, {0.5, 30})}, {{"shape", s}})[0]);
  ExpectMoments(p.first, 0.5, 0.5, "poisson 0.5");
  ExpectMoments(p.second, 30, 30, "poisson 30");
  auto gm = halves(mxct::Run("_sample_gamma", {FromVec({2}, {0.5, 4}), FromVec({2}, {2, 0.25})}, {{"shape", s}})[0]);
  ExpectMoments(gm.first, 1, 2, "gamma 0.5, 2");
  ExpectMoments(gm.second, 1, 0.25, "gamma 4, 0.25");
  auto nb = halves(mxct::Run("_sample_negative_binomial", {FromVec({2}, {2, 6}), FromVec({2}, {0.5, 0.75})},
                       {{"shape", s}})[0]);
  ExpectMoments(nb.first, 2, 4, "nb 2, 0.5");
  ExpectMoments(nb.second, 2, 2 / 0.75, "nb 6, 0.75");
  auto gn = halves(mxct::Run("_sample_generalized_negative_binomial", {FromVec({2}, {2, 8}), FromVec({2}, {1, 0})},
                       {{"shape", s}})[0]);
  ExpectMoments(gn.first, 2, 6, "gnb 2, 1");
  ExpectMoments(gn.second, 8, 8, "gnb 8, 0 (Poisson)");
}

TEST(RandomMore, LikeOperators) {
  mxc::SeedAll(34);
  auto data = Random({200, 300}, 0, 1, mxc::kFloat64);
  auto u = mxct::Run("_random_uniform_like", {data}, {{"low", "-1"}, {"high", "3"}})[0];
  EXPECT_EQ(u.shape(), TShape({200, 300}));
  EXPECT_EQ(u.dtype(), mxc::kFloat64);
  ExpectMoments(ToVec(u), 1, 16 / 12.0, "uniform_like");
  ExpectMoments(ToVec(mxct::Run("_random_poisson_like", {data}, {{"lam", "4"}})[0]), 4, 4, "poisson_like");
  ExpectMoments(ToVec(mxct::Run("_random_gamma_like", {data}, {{"alpha", "2"}, {"beta", "3"}})[0]), 6, 18,
                "gamma_like");
  EXPECT_FALSE(mxc::OpRegistry::Get()->Find("_random_uniform_like")->HasGradient());
}

TEST(RandomMore, MultinomialFrequenciesAndLogProbabilities) {
  mxc::SeedAll(35);
  const std::vector<double> prob = {0.1, 0.2, 0.3, 0.4, 0.7, 0.1, 0.1, 0.1};
  auto out = mxct::Run("_sample_multinomial", {FromVec({2, 4}, prob, mxc::kFloat64)},
                 {{"shape", "(50000,)"}, {"get_prob", "true"}});
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].shape(), TShape({2, 50000}));
  EXPECT_EQ(out[0].dtype(), mxc::kInt32);
  EXPECT_EQ(out[1].dtype(), mxc::kFloat64);
  auto idx = ToVec(out[0]), lp = ToVec(out[1]);
  for (int r = 0; r < 2; ++r) {
    std::vector<double> count(4, 0);
    for (int j = 0; j < 50000; ++j) {
      const int c = static_cast<int>(idx[r * 50000 + j]);
      ++count[c];
      EXPECT_NEAR(lp[r * 50000 + j], std::log(prob[r * 4 + c]), 1e-12);
    }
    double chi2 = 0;
    for (int c = 0; c < 4; ++c) {
      const double e = 50000 * prob[r * 4 + c];
      chi2 += (count[c] - e) * (count[c] - e) / e;
    }
    EXPECT_LT(chi2, 3 + 6 * std::sqrt(6.0));
  }
  EXPECT_EQ(mxct::Run("_sample_multinomial", {FromVec({2}, {0.5, 0.5})}, {})[0].shape(), TShape({1}));
  // Not normalised: the first index whose cumulative sum exceeds the draw (as MXNet: [2, 2] gives 0 always).
  for (double v : ToVec(mxct::Run("_sample_multinomial", {FromVec({1, 2}, {2, 2})}, {{"shape", "(20,)"}})[0]))
    EXPECT_EQ(v, 0);
}

TEST(RandomMore, MultinomialGradient) {
  const mxc::Op *op = mxc::OpRegistry::Get()->FindOrThrow("_sample_multinomial");
  mxc::OpParams p(op, {{"shape", "(5,)"}, {"get_prob", "true"}});
  auto data = FromVec({1, 3}, {0.2, 0.3, 0.5}, mxc::kFloat64);
  std::vector<NDArray> out;
  mxc::Invoke(op, p, {data}, &out);
  auto idx = ToVec(out[0]);
  auto head0 = FromVec({1, 5}, {0, 0, 0, 0, 0}, mxc::kInt32), head1 = FromVec({1, 5}, {1, 2, 3, 4, 5}, mxc::kFloat64);
  NDArray grad(TShape{1, 3}, mxc::kFloat64, mxc::Device::CPU());
  for (auto *a : {&data, &out[0], &out[1], &head0, &head1}) a->WaitToRead();
  grad.WaitToWrite();
  mxc::OpContext ctx;
  op->backward.at(MXC_CPU)(ctx, p, {head0.blob(), head1.blob()}, {data.blob()}, {out[0].blob(), out[1].blob()},
                           {mxc::kWriteTo}, {grad.blob()});
  std::vector<double> want(3, 0), pr = {0.2, 0.3, 0.5};
  for (int j = 0; j < 5; ++j) want[static_cast<int>(idx[j])] += (j + 1) / pr[static_cast<int>(idx[j])];
  ExpectNear(ToVec(grad), want, 1e-12, 1e-12, "multinomial gradient");
}

TEST(RandomMore, ShufflePermutesRows) {
  mxc::SeedAll(36);
  std::vector<double> v(24);
  for (int i = 0; i < 24; ++i) v[i] = i;
  for (int dtype : {mxc::kFloat32, mxc::kInt32, mxc::kFloat64}) {
    auto y = mxct::Run("_shuffle", {FromVec({6, 2, 2}, v, dtype)}, {})[0];
    EXPECT_EQ(y.dtype(), dtype);
    auto a = ToVec(y);
    std::vector<double> firsts;
    for (int r = 0; r < 6; ++r) {
      for (int e = 0; e < 4; ++e) EXPECT_EQ(a[r * 4 + e], a[r * 4] + e);  // rows stay whole
      firsts.push_back(a[r * 4]);
    }
    std::sort(firsts.begin(), firsts.end());
    EXPECT_EQ(firsts, (std::vector<double>{0, 4, 8, 12, 16, 20}));
  }
  // Every order of 3 rows, equally often.
  std::map<std::vector<double>, int> count;
  auto base = FromVec({3}, {0, 1, 2});
  for (int i = 0; i < 6000; ++i) ++count[ToVec(mxct::Run("_shuffle", {base}, {})[0])];
  ASSERT_EQ(count.size(), 6u);
  double chi2 = 0;
  for (auto &kv : count) chi2 += (kv.second - 1000.0) * (kv.second - 1000.0) / 1000.0;
  EXPECT_LT(chi2, 5 + 6 * std::sqrt(10.0));
}

// ---- densities ------------------------------------------------------------------------------------------------
double LogNegBin(double x, double k, double p) {
  return std::lgamma(x + k) - std::lgamma(x + 1) - std::lgamma(k) + k * std::log(p) + x * std::log(1 - p);
}

TEST(RandomPdf, ClosedForms) {
  // Parameters (2,), samples (2, 2): two samples of each distribution.
  struct C {
    const char *op;
    std::vector<double> x, a, b;
    double (*logpdf)(double x, double a, double b);
  };
  std::vector<C> cases = {
      {"_random_pdf_uniform", {0.5, -3, 1, 2}, {0, 0.5}, {2, 3}, [](double, double a, double b) {
         return -std::log(b - a);
       }},
      {"_random_pdf_normal", {0.5, -1, 1, 4}, {0.2, 1}, {1.5, 0.5}, [](double x, double a, double b) {
         return -0.5 * (x - a) * (x - a) / (b * b) - std::log(b) - 0.5 * std::log(2 * 3.14159265358979323846);
       }},
      {"_random_pdf_gamma", {0.5, 2, 1, 3}, {2.5, 0.5}, {2, 1.5}, [](double x, double a, double b) {
         return a * std::log(b) + (a - 1) * std::log(x) - b * x - std::lgamma(a);
       }},
      {"_random_pdf_exponential", {0.5, 2, 1, 3}, {2, 0.5}, {}, [](double x, double a, double) {
         return std::log(a) - a * x;
       }},
      {"_random_pdf_poisson", {0, 3, 5, 12}, {2, 9.5}, {}, [](double x, double a, double) {
         return x * std::log(a) - a - std::lgamma(x + 1);
       }},
      {"_random_pdf_negative_binomial", {0, 3, 5, 12}, {2, 4.5}, {0.4, 0.25}, [](double x, double a, double b) {
         return LogNegBin(x, a, b);
       }},
      {"_random_pdf_generalized_negative_binomial", {0, 3, 5, 12}, {2, 6}, {0.3, 1.2},
       [](double x, double a, double b) { return LogNegBin(x, 1 / b, 1 / (1 + a * b)); }},
  };
  for (auto &c : cases) {
    SCOPED_TRACE(c.op);
    std::vector<NDArray> in = {FromVec({2, 2}, c.x, mxc::kFloat64), FromVec({2}, c.a, mxc::kFloat64)};
    if (!c.b.empty()) in.push_back(FromVec({2}, c.b, mxc::kFloat64));
    std::vector<double> want;
    for (int i = 0; i < 4; ++i) want.push_back(c.logpdf(c.x[i], c.a[i / 2], c.b.empty() ? 0 : c.b[i / 2]));
    ExpectNear(ToVec(mxct::Run(c.op, in, {{"is_log", "true"}})[0]), want, 1e-11, 1e-12, "log density");
    for (auto &w : want) w = std::exp(w);
    ExpectNear(ToVec(mxct::Run(c.op, in, {})[0]), want, 1e-11, 1e-14, "density");
  }
  // Dirichlet: alpha (1, 3), samples (1, 2, 3).
  std::vector<double> alpha = {1.5, 2, 3}, x = {0.2, 0.3, 0.5, 0.6, 0.1, 0.3};
  auto d = mxct::Run("_random_pdf_dirichlet",
                     {FromVec({1, 2, 3}, x, mxc::kFloat64), FromVec({1, 3}, alpha, mxc::kFloat64)},
                     {{"is_log", "true"}})[0];
  EXPECT_EQ(d.shape(), TShape({1, 2}));
  std::vector<double> want;
  for (int j = 0; j < 2; ++j) {
    double l = std::lgamma(6.5) - std::lgamma(1.5) - std::lgamma(2) - std::lgamma(3);
    for (int c = 0; c < 3; ++c) l += (alpha[c] - 1) * std::log(x[j * 3 + c]);
    want.push_back(l);
  }
  ExpectNear(ToVec(d), want, 1e-11, 1e-12, "dirichlet");
}

TEST(RandomPdf, Gradients) {
  auto ints = [](std::vector<NDArray> &in) {  // integer samples for the discrete densities
    std::vector<double> v(in[0].Size());
    for (size_t i = 0; i < v.size(); ++i) v[i] = static_cast<double>(i % 5);
    in[0] = FromVec(in[0].shape(), v, mxc::kFloat64);
  };
  for (const char *lg : {"false", "true"}) {
    SCOPED_TRACE(lg);
    CheckGradient({"_random_pdf_normal", {{"is_log", lg}}, {{2, 3}, {2}, {2}}, 0.5, 1.5});
    CheckGradient({"_random_pdf_uniform", {{"is_log", lg}}, {{2, 3}, {2}, {2}}, 0.5, 1.5, {}, [](auto &in) {
                     in[2] = FromVec({2}, {2.5, 3}, mxc::kFloat64);
                   }});
    CheckGradient({"_random_pdf_gamma", {{"is_log", lg}}, {{2, 3}, {2}, {2}}, 0.5, 2});
    CheckGradient({"_random_pdf_exponential", {{"is_log", lg}}, {{2, 3}, {2}}, 0.5, 2});
    CheckGradient({"_random_pdf_poisson", {{"is_log", lg}}, {{2, 3}, {2}}, 0.5, 3, {0}, ints});
    CheckGradient({"_random_pdf_negative_binomial", {{"is_log", lg}}, {{2, 3}, {2}, {2}}, 0.2, 0.8, {0}, ints});
    CheckGradient({"_random_pdf_generalized_negative_binomial", {{"is_log", lg}}, {{2, 3}, {2}, {2}}, 0.2, 0.9,
                   {0}, ints});
    CheckGradient({"_random_pdf_dirichlet", {{"is_log", lg}}, {{2, 2, 3}, {2, 3}}, 0.3, 1.5});
  }
}

TEST(RandomMore, Errors) {
  ExpectError([] { mxct::Run("_random_exponential", {}, {{"lam", "-1"}}); }, ErrorKind::kValue,
              {"_random_exponential", "lam"});
  ExpectError([] { mxct::Run("_random_gamma", {}, {{"alpha", "0"}}); }, ErrorKind::kValue, {"_random_gamma", "alpha"});
  ExpectError([] { mxct::Run("_random_poisson", {}, {{"lam", "-0.5"}}); }, ErrorKind::kValue,
              {"_random_poisson", "lam"});
  ExpectError([] { mxct::Run("_random_negative_binomial", {}, {{"p", "1.5"}}); }, ErrorKind::kValue,
              {"_random_negative_binomial", "p"});
  ExpectError([] { mxct::Run("_random_generalized_negative_binomial", {}, {{"alpha", "-1"}}); }, ErrorKind::kValue,
              {"_random_generalized_negative_binomial", "alpha"});
  ExpectError([] { mxct::Run("_random_randint", {}, {{"low", "3"}, {"high", "3"}}); }, ErrorKind::kValue,
              {"_random_randint", "low", "high"});
  ExpectError([] { mxct::Run("_random_randint", {}, {{"low", "0"}, {"high", "3"}, {"dtype", "float32"}}); },
              ErrorKind::kType, {"_random_randint", "dtype"});
  ExpectError([] { mxct::Run("_sample_uniform", {Random({2}, 0, 1), Random({3}, 1, 2)}, {}); }, ErrorKind::kShape,
              {"_sample_uniform", "high"});
  ExpectError([] { mxct::Run("_sample_multinomial", {Random({2, 3}, 0, 1)}, {{"dtype", "int64"}}); }, ErrorKind::kType,
              {"_sample_multinomial", "dtype"});
  ExpectError([] { mxct::Run("_random_pdf_normal", {Random({3, 4}, 0, 1), Random({2}, 0, 1), Random({2}, 1, 2)}, {}); },
              ErrorKind::kShape, {"_random_pdf_normal", "sample", "(3,4)"});
  ExpectError([] { mxct::Run("_random_pdf_dirichlet", {Random({2, 3}, 0, 1), Random({2, 4}, 1, 2)}, {}); },
              ErrorKind::kShape, {"_random_pdf_dirichlet", "(2,3)", "(2,4)"});
  ExpectError([] { mxct::Run("_random_uniform_like", {FromVec({2}, {1, 2}, mxc::kInt32)}, {}); }, ErrorKind::kType,
              {"_random_uniform_like", "data"});
  // Per-element parameters are checked in the kernel: the error surfaces at the wait, naming the operator.
  ExpectError([] { ToVec(mxct::Run("_sample_gamma", {FromVec({2}, {1, -1}), FromVec({2}, {1, 1})}, {})[0]); },
              ErrorKind::kValue, {"_sample_gamma", "alpha"});
}

}  // namespace
