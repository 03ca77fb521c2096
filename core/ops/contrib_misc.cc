// MXNet 1.9.1's small contrib operators: quadratic, gradientmultiplier, div_sqrt_dim, round_ste, sign_ste (straight-
// through estimators), allclose and index_array; and the transformer's interleaved attention products
// (interleaved_matmul_selfatt_qk/valatt, interleaved_matmul_encdec_qk/valatt) with their gradients.
#include <cmath>

#include "elemwise_util.h"
#include "gemm.h"
#include "interleaved_attention.h"

namespace mxc {
namespace op {
namespace {

using namespace elem;

using Blobs = std::vector<TBlob>;
using Reqs = std::vector<OpReq>;

// ---------------------------------------------------------------------------------------------------------------
// Elementwise: y = f(x) with dy/dx = g(x) (or a constant), float32/float64.
// ---------------------------------------------------------------------------------------------------------------
template <typename Fwd>
void MapReal(const TBlob &x, OpReq req, const TBlob &y, Fwd f) {
  MXC_REAL_TYPE_SWITCH(y.dtype, T, {
    const T *xp = x.ptr<T>();
    const Fwd g = f;
    MapOut(y.ptr<T>(), y.Size(), req, [=](int64_t i) { return static_cast<T>(g(static_cast<double>(xp[i]))); });
  });
}

// dx (req)= dy * d(x), d a function of x (for a constant, of nothing).
template <typename D>
void GradReal(const TBlob &dy, const TBlob &x, OpReq req, const TBlob &dx, D d) {
  MXC_REAL_TYPE_SWITCH(dx.dtype, T, {
    const T *g = dy.ptr<T>(), *xp = x.dptr ? x.ptr<T>() : nullptr;
    const D dd = d;
    MapOut(dx.ptr<T>(), dx.Size(), req,
           [=](int64_t i) { return static_cast<T>(g[i] * dd(xp ? static_cast<double>(xp[i]) : 0.0)); });
  });
}

Op &Elementwise(const char *name, const std::string &doc) {
  return OpRegistry::Get()
      ->Register(name)
      .describe(doc)
      .set_inputs({"data"})
      .set_elementwise(SameShapeInfer, SameTypeIn(kRealTypes), kRealTypes)
      .set_inplace({{0, 0}});
}

double RoundHalfAway(double v) { return std::round(v); }  // std::round rounds halves away from zero, as MXNet
double Sign(double v) { return v > 0 ? 1.0 : (v < 0 ? -1.0 : 0.0); }

// The last axis's size, for div_sqrt_dim (ShapeError for a scalar-like input).
double SqrtLastDim(const OpParams &p, const TShape &s) {
  MXC_CHECK(s.ndim() >= 1 && s[s.ndim() - 1] > 0, ErrorKind::kShape, "operator ", p.op()->name,
            ": data must have a non-empty last axis, got ", ShapeStr(s));
  return std::sqrt(static_cast<double>(s[s.ndim() - 1]));
}

// ---------------------------------------------------------------------------------------------------------------
// allclose and index_array
// ---------------------------------------------------------------------------------------------------------------
void AllCloseShape(const OpParams &p, std::vector<TShape> *in, std::vector<TShape> *out) {
  const TShape &a = (*in)[0], &b = (*in)[1];
  if (!a.empty() && !b.empty())
    MXC_CHECK(a == b, ErrorKind::kShape, "operator ", p.op()->name, ": a ", ShapeStr(a), " and b ", ShapeStr(b),
              " must have the same shape");
  ShapeAssign(&(*out)[0], TShape{1}, p.op(), "output");
}

void AllCloseType(const OpParams &p, std::vector<int> *in, std::vector<int> *out) {
  int t = -1;
  TypeMerge(&t, (*in)[0], p.op(), "a");
  TypeMerge(&t, (*in)[1], p.op(), "b");
  CheckTypeIn(t, kNumericTypes, p, "a");
  if (t >= 0) (*in)[0] = (*in)[1] = t;
  TypeAssign(&(*out)[0], kUint8, p.op(), "output");
}

// 1 when |a - b| <= atol + rtol * |b| everywhere (NaN equal to NaN when equal_nan), else 0.
void AllCloseForward(const OpContext &, const OpParams &p, const Blobs &in, const Reqs &req, const Blobs &out) {
  if (req[0] == kNullOp) return;
  const double rtol = p.Float("rtol"), atol = p.Float("atol");
  const bool equal_nan = p.Bool("equal_nan");
  bool close = true;
  MXC_NUMERIC_TYPE_SWITCH(in[0].dtype, T, {
    const T *a = in[0].ptr<T>(), *b = in[1].ptr<T>();
    for (int64_t i = 0, n = in[0].Size(); i < n && close; ++i) {
      const double x = static_cast<double>(a[i]), y = static_cast<double>(b[i]);
      if (std::isnan(x) || std::isnan(y)) {
        close = equal_nan && std::isnan(x) && std::isnan(y);
      } else {
        close = std::fabs(x - y) <= atol + rtol * std::fabs(y);
      }
    }
  });
  Assign(out[0].ptr<uint8_t>(), req[0], static_cast<uint8_t>(close ? 1 : 0));
}

// The axes index_array lists (all of them when `axes` is None), normalised; ValueError for one out of range.
std::vector<int> IndexAxes(const OpParams &p, int ndim) {
  std::vector<int> axes;
  if (p.IsNone("axes")) {
    for (int i = 0; i < ndim; ++i) axes.push_back(i);
    return axes;
  }
  for (int64_t a : p.Tuple("axes")) {
    MXC_CHECK(a >= -ndim && a < ndim, ErrorKind::kValue, "operator ", p.op()->name, ": axis ", a,
              " is out of range for data of ", ndim, " dimensions");
    axes.push_back(static_cast<int>(a < 0 ? a + ndim : a));
  }
  return axes;
}

void IndexArrayShape(const OpParams &p, std::vector<TShape> *in, std::vector<TShape> *out) {
  const TShape &d = (*in)[0];
  if (d.empty()) return;
  TShape o = d;
  o.push_back(static_cast<int64_t>(IndexAxes(p, d.ndim()).size()));
  ShapeAssign(&(*out)[0], o, p.op(), "output");
}

void IndexArrayType(const OpParams &p, std::vector<int> *, std::vector<int> *out) {
  TypeAssign(&(*out)[0], kInt64, p.op(), "output");
}

// out[i..., k] = the i's coordinate along axes[k].
void IndexArrayForward(const OpContext &, const OpParams &p, const Blobs &in, const Reqs &req, const Blobs &out) {
  if (req[0] == kNullOp) return;
  const TShape &s = in[0].shape;
  const std::vector<int> axes = IndexAxes(p, s.ndim());
  const int64_t K = static_cast<int64_t>(axes.size());
  std::vector<int64_t> stride(s.ndim(), 1);
  for (int i = s.ndim() - 2; i >= 0; --i) stride[i] = stride[i + 1] * s[i + 1];
  int64_t *o = out[0].ptr<int64_t>();
  MapOut(o, in[0].Size() * K, req[0], [&](int64_t t) {
    const int64_t i = t / K, ax = axes[t % K];
    return (i / stride[ax]) % s[ax];
  });
}

// The CPU backend of the attention kernels (interleaved_attention.h): op::Gemm, and gradients zeroed with fill.
struct CpuAttention {
  template <typename T>
  void operator()(bool ta, bool tb, int64_t M, int64_t N, int64_t K, T alpha, const T *A, int64_t lda, const T *B,
                  int64_t ldb, T beta, T *C, int64_t ldc) const {
    Gemm(ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
  }
  template <typename T>
  T *Accum(const TBlob &b, OpReq req) const {
    if (req == kNullOp) return nullptr;
    if (req != kAddTo) std::fill(b.ptr<T>(), b.ptr<T>() + b.Size(), T(0));
    return b.ptr<T>();
  }
};

void SelfQKShape(const OpParams &p, std::vector<TShape> *in, std::vector<TShape> *out) {
  const TShape &s = (*in)[0];
  if (s.empty()) return;
  const AttnGeom g = SelfGeom(p, s);
  ShapeAssign(&(*out)[0], TShape{g.B * g.H, g.Lq, g.Lk}, p.op(), "output");
}

void SelfValAttShape(const OpParams &p, std::vector<TShape> *in, std::vector<TShape> *out) {
  const TShape &s = (*in)[0];
  if (s.empty()) return;
  const AttnGeom g = SelfGeom(p, s);
  ShapeAssign(&(*in)[1], TShape{g.B * g.H, g.Lq, g.Lk}, p.op(), "attention");
  ShapeAssign(&(*out)[0], TShape{g.Lq, g.B, g.H * g.D}, p.op(), "output");
}

void EncDecQKShape(const OpParams &p, std::vector<TShape> *in, std::vector<TShape> *out) {
  const TShape &q = (*in)[0], &kv = (*in)[1];
  if (q.empty() || kv.empty()) return;
  const AttnGeom g = EncDecGeom(p, q, kv);
  ShapeAssign(&(*out)[0], TShape{g.B * g.H, g.Lq, g.Lk}, p.op(), "output");
}

void EncDecValAttShape(const OpParams &p, std::vector<TShape> *in, std::vector<TShape> *out) {
  const TShape &kv = (*in)[0], &att = (*in)[1];
  if (kv.empty()) return;
  AttnGeom g = EncDecGeom(p, TShape(), kv);
  if (att.empty()) return;
  MXC_CHECK(att.ndim() == 3 && att[0] == g.B * g.H && att[2] == g.Lk, ErrorKind::kShape, "operator ", p.op()->name,
            ": attention ", ShapeStr(att), " must be (batch_size * heads, query length, ", g.Lk,
            ") = (", g.B * g.H, ", Lq, ", g.Lk, ") for keys_values ", ShapeStr(kv));
  ShapeAssign(&(*out)[0], TShape{att[1], g.B, g.H * g.D}, p.op(), "output");
}

template <AttentionKind kKind>
void AttentionForward(const OpContext &, const OpParams &p, const Blobs &in, const Reqs &req, const Blobs &out) {
  AttentionForwardWith(kKind, CpuAttention(), p, in, req, out);
}

template <AttentionKind kKind>
void AttentionBackward(const OpContext &, const OpParams &p, const Blobs &og, const Blobs &id, const Blobs &,
                       const Reqs &req, const Blobs &ig) {
  AttentionBackwardWith(kKind, CpuAttention(), p, og, id, req, ig);
}

Op &Attention(const char *name, const std::string &doc, std::vector<std::string> inputs) {
  return OpRegistry::Get()
      ->Register(name)
      .describe(doc)
      .set_inputs(std::move(inputs))
      .add_required_param("heads", ParamKind::kInt, "Set number of heads")
      .set_infer_type(SameTypeIn(kRealTypes))
      .set_backward_uses(true, false);
}

int Register() {
  Elementwise("_contrib_quadratic", "Quadratic function, elementwise: a * x^2 + b * x + c.")
      .add_param("a", ParamKind::kFloat, "0", "Coefficient of the quadratic term in the quadratic function.")
      .add_param("b", ParamKind::kFloat, "0", "Coefficient of the linear term in the quadratic function.")
      .add_param("c", ParamKind::kFloat, "0", "Constant term in the quadratic function.")
      .set_compute(MXC_CPU,
                   [](const OpContext &, const OpParams &p, const Blobs &in, const Reqs &req, const Blobs &out) {
                     const double a = p.Float("a"), b = p.Float("b"), c = p.Float("c");
                     MapReal(in[0], req[0], out[0], [=](double x) { return (a * x + b) * x + c; });
                   })
      .set_backward(MXC_CPU,
                    [](const OpContext &, const OpParams &p, const Blobs &og, const Blobs &id, const Blobs &,
                       const Reqs &req, const Blobs &ig) {
                      const double a = p.Float("a"), b = p.Float("b");
                      GradReal(og[0], id[0], req[0], ig[0], [=](double x) { return 2 * a * x + b; });
                    })
      .set_backward_uses(true, false);

  Elementwise("_contrib_gradientmultiplier",
              "Identity in the forward pass; the backward pass multiplies the gradient by `scalar` (e.g. -1 for a "
              "gradient reversal layer).")
      .add_param("scalar", ParamKind::kFloat, "1", "Scalar input value")
      .add_param("is_int", ParamKind::kBool, "True", "Indicate whether scalar input is int type")
      .set_compute(MXC_CPU,
                   [](const OpContext &, const OpParams &, const Blobs &in, const Reqs &req, const Blobs &out) {
                     MapReal(in[0], req[0], out[0], [](double x) { return x; });
                   })
      .set_backward(MXC_CPU,
                    [](const OpContext &, const OpParams &p, const Blobs &og, const Blobs &, const Blobs &,
                       const Reqs &req, const Blobs &ig) {
                      const double s = p.Float("scalar");
                      GradReal(og[0], TBlob(), req[0], ig[0], [=](double) { return s; });
                    })
      .set_backward_uses(false, false)
      .set_backward_inplace({{0, 0}});

  Elementwise("_contrib_div_sqrt_dim", "Divides every element by the square root of the size of the last axis.")
      .set_compute(MXC_CPU,
                   [](const OpContext &, const OpParams &p, const Blobs &in, const Reqs &req, const Blobs &out) {
                     const double s = 1.0 / SqrtLastDim(p, in[0].shape);
                     MapReal(in[0], req[0], out[0], [=](double x) { return x * s; });
                   })
      .set_backward(MXC_CPU,
                    [](const OpContext &, const OpParams &p, const Blobs &og, const Blobs &, const Blobs &,
                       const Reqs &req, const Blobs &ig) {
                      const double s = 1.0 / SqrtLastDim(p, ig[0].shape);
                      GradReal(og[0], TBlob(), req[0], ig[0], [=](double) { return s; });
                    })
      .set_backward_uses(false, false)
      .set_backward_inplace({{0, 0}});

  // Straight-through estimators: the forward rounds (or takes the sign); the gradient passes unchanged.
  auto ste_backward = [](const OpContext &, const OpParams &, const Blobs &og, const Blobs &, const Blobs &,
                         const Reqs &req, const Blobs &ig) {
    GradReal(og[0], TBlob(), req[0], ig[0], [](double) { return 1.0; });
  };
  Elementwise("_contrib_round_ste",
              "Rounds to the nearest integer (halves away from zero); the gradient is the identity "
              "(straight-through estimator).")
      .set_compute(MXC_CPU,
                   [](const OpContext &, const OpParams &, const Blobs &in, const Reqs &req, const Blobs &out) {
                     MapReal(in[0], req[0], out[0], RoundHalfAway);
                   })
      .set_backward(MXC_CPU, ste_backward)
      .set_backward_uses(false, false)
      .set_backward_inplace({{0, 0}});
  Elementwise("_contrib_sign_ste",
              "Sign (-1, 0 or 1); the gradient is the identity (straight-through estimator).")
      .set_compute(MXC_CPU,
                   [](const OpContext &, const OpParams &, const Blobs &in, const Reqs &req, const Blobs &out) {
                     MapReal(in[0], req[0], out[0], Sign);
                   })
      .set_backward(MXC_CPU, ste_backward)
      .set_backward_uses(false, false)
      .set_backward_inplace({{0, 0}});

  OpRegistry::Get()
      ->Register("_contrib_allclose")
      .describe("1 (uint8) when |a - b| <= atol + rtol * |b| for every element of the same-shaped a and b, else 0. "
                "MXNet returns a 0-d array; mxc's arrays have at least one dimension, so the result is (1,).")
      .set_inputs({"a", "b"})
      .add_param("rtol", ParamKind::kFloat, "1e-05", "Relative tolerance.")
      .add_param("atol", ParamKind::kFloat, "1e-08", "Absolute tolerance.")
      .add_param("equal_nan", ParamKind::kBool, "True", "Whether to compare NaN's as equal.")
      .set_infer_shape(AllCloseShape)
      .set_infer_type(AllCloseType)
      .set_compute(MXC_CPU, AllCloseForward);

  OpRegistry::Get()
      ->Register("_contrib_index_array")
      .describe("For every element of data, its coordinates along `axes` (all axes when None): an int64 array of "
                "shape data.shape + (len(axes),).")
      .set_inputs({"data"})
      .add_param("axes", ParamKind::kOptShape, "None", "The axes to include in the index array. Supports negative "
                                                        "values.")
      .set_infer_shape(IndexArrayShape)
      .set_infer_type(IndexArrayType)
      .set_compute(MXC_CPU, IndexArrayForward);

  Attention("_contrib_interleaved_matmul_selfatt_qk",
            "Self-attention scores from interleaved projections (seq_length, batch_size, heads * 3 * head_dim): "
            "(batch_size * heads, seq_length, seq_length) = q k^T per head, q scaled by 1/sqrt(head_dim).",
            {"queries_keys_values"})
      .set_infer_shape(SelfQKShape)
      .set_compute(MXC_CPU, AttentionForward<kSelfQK>)
      .set_backward(MXC_CPU, AttentionBackward<kSelfQK>);
  Attention("_contrib_interleaved_matmul_selfatt_valatt",
            "Self-attention output: the attention maps (batch_size * heads, seq_length, seq_length) times each "
            "head's values from the interleaved projections; (seq_length, batch_size, heads * head_dim).",
            {"queries_keys_values", "attention"})
      .set_infer_shape(SelfValAttShape)
      .set_compute(MXC_CPU, AttentionForward<kSelfValAtt>)
      .set_backward(MXC_CPU, AttentionBackward<kSelfValAtt>);
  Attention("_contrib_interleaved_matmul_encdec_qk",
            "Encoder-decoder attention scores: queries (q_len, batch_size, heads * head_dim) and interleaved keys "
            "and values (kv_len, batch_size, heads * 2 * head_dim) give (batch_size * heads, q_len, kv_len), "
            "queries scaled by 1/sqrt(head_dim).",
            {"queries", "keys_values"})
      .set_infer_shape(EncDecQKShape)
      .set_compute(MXC_CPU, AttentionForward<kEncDecQK>)
      .set_backward(MXC_CPU, AttentionBackward<kEncDecQK>);
  Attention("_contrib_interleaved_matmul_encdec_valatt",
            "Encoder-decoder attention output: the attention maps (batch_size * heads, q_len, kv_len) times the "
            "values of the interleaved keys and values; (q_len, batch_size, heads * head_dim).",
            {"keys_values", "attention"})
      .set_infer_shape(EncDecValAttShape)
      .set_compute(MXC_CPU, AttentionForward<kEncDecValAtt>)
      .set_backward(MXC_CPU, AttentionBackward<kEncDecValAtt>);
  return 0;
}

[[maybe_unused]] const int registered = Register();

}  // namespace
}  // namespace op
}  // namespace mxc
