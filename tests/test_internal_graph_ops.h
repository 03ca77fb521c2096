// Small operators registered only by the graph/executor white-box tests, with hand-written forward and backward
// kernels, so symbols, inference, gradients and the memory planner can be tested independently of the real
// operator library. Include from exactly one test file.
#pragma once

#include <cmath>
#include <vector>

#include "operator.h"

namespace gtops {

using namespace mxc;

template <typename F>
void Map(const TBlob &out, OpReq req, F f) {
  if (req == kNullOp) return;
  MXC_REAL_TYPE_SWITCH(out.dtype, DType, {
    DType *o = out.ptr<DType>();
    for (int64_t i = 0; i < out.Size(); ++i) Assign(o + i, req, static_cast<DType>(f(i)));
  });
}

template <typename T>
T At(const TBlob &b, int64_t i) {
  if (b.dtype == kFloat64) return static_cast<T>(b.ptr<double>()[i]);
  return static_cast<T>(b.ptr<float>()[i]);
}

inline double V(const TBlob &b, int64_t i) { return At<double>(b, i); }

inline void SetV(const TBlob &b, int64_t i, double v) {
  if (b.dtype == kFloat64) b.ptr<double>()[i] = v;
  else b.ptr<float>()[i] = static_cast<float>(v);
}

inline void FCInfer(const OpParams &p, std::vector<TShape> *in, std::vector<TShape> *out) {
  int64_t h = p.Int("num_hidden");
  const TShape &d = (*in)[0];
  if (d.ndim() == 2) {
    ShapeAssign(&(*in)[1], TShape{h, d[1]}, p.op(), "weight");
    ShapeAssign(&(*out)[0], TShape{d[0], h}, p.op(), "output");
  }
  ShapeAssign(&(*in)[2], TShape{h}, p.op(), "bias");
  if ((*out)[0].ndim() == 2 && (*in)[1].ndim() == 2)
    ShapeAssign(&(*in)[0], TShape{(*out)[0][0], (*in)[1][1]}, p.op(), "data");
}

inline void RegisterAll() {
  static bool done = false;
  if (done) return;
  done = true;
  auto &R = *OpRegistry::Get();

  R.Register("_test_add")
      .set_inputs({"lhs", "rhs"})
      .set_infer_shape(SameShapeInfer)
      .set_inplace({{0, 0}, {1, 0}})
      .set_backward_uses(false, false)
      .set_compute(MXC_CPU, [](const OpContext &, const OpParams &, const std::vector<TBlob> &in,
                               const std::vector<OpReq> &req, const std::vector<TBlob> &out) {
        Map(out[0], req[0], [&](int64_t i) { return V(in[0], i) + V(in[1], i); });
      })
      .set_backward(MXC_CPU, [](const OpContext &, const OpParams &, const std::vector<TBlob> &og,
                                const std::vector<TBlob> &, const std::vector<TBlob> &,
                                const std::vector<OpReq> &req, const std::vector<TBlob> &ig) {
        for (int k = 0; k < 2; ++k) Map(ig[k], req[k], [&](int64_t i) { return V(og[0], i); });
      });

  R.Register("_test_mul")
      .set_inputs({"lhs", "rhs"})
      .set_infer_shape(SameShapeInfer)
      .set_backward_uses(true, false)
      .set_compute(MXC_CPU, [](const OpContext &, const OpParams &, const std::vector<TBlob> &in,
                               const std::vector<OpReq> &req, const std::vector<TBlob> &out) {
        Map(out[0], req[0], [&](int64_t i) { return V(in[0], i) * V(in[1], i); });
      })
      .set_backward(MXC_CPU, [](const OpContext &, const OpParams &, const std::vector<TBlob> &og,
                                const std::vector<TBlob> &in, const std::vector<TBlob> &,
                                const std::vector<OpReq> &req, const std::vector<TBlob> &ig) {
        Map(ig[0], req[0], [&](int64_t i) { return V(og[0], i) * V(in[1], i); });
        Map(ig[1], req[1], [&](int64_t i) { return V(og[0], i) * V(in[0], i); });
      });

  R.Register("_test_scale")
      .set_inputs({"data"})
      .add_param("scalar", ParamKind::kFloat, "1", "factor")
      .set_infer_shape(SameShapeInfer)
      .set_inplace({{0, 0}})
      .set_backward_inplace({{0, 0}})
      .set_backward_uses(false, false)
      .set_compute(MXC_CPU, [](const OpContext &, const OpParams &p, const std::vector<TBlob> &in,
                               const std::vector<OpReq> &req, const std::vector<TBlob> &out) {
        double s = p.Float("scalar");
        Map(out[0], req[0], [&](int64_t i) { return V(in[0], i) * s; });
      })
      .set_backward(MXC_CPU, [](const OpContext &, const OpParams &p, const std::vector<TBlob> &og,
                                const std::vector<TBlob> &, const std::vector<TBlob> &,
                                const std::vector<OpReq> &req, const std::vector<TBlob> &ig) {
        double s = p.Float("scalar");
        Map(ig[0], req[0], [&](int64_t i) { return V(og[0], i) * s; });
      });

  R.Register("_test_relu")
      .set_inputs({"data"})
      .set_infer_shape(SameShapeInfer)
      .set_inplace({{0, 0}})
      .set_backward_inplace({{0, 0}})
      .set_backward_uses(false, true)
      .set_compute(MXC_CPU, [](const OpContext &, const OpParams &, const std::vector<TBlob> &in,
                               const std::vector<OpReq> &req, const std::vector<TBlob> &out) {
        Map(out[0], req[0], [&](int64_t i) { return std::max(V(in[0], i), 0.0); });
      })
      .set_backward(MXC_CPU, [](const OpContext &, const OpParams &, const std::vector<TBlob> &og,
                                const std::vector<TBlob> &in, const std::vector<TBlob> &out,
                                const std::vector<OpReq> &req, const std::vector<TBlob> &ig) {
        if (in[0].dptr != nullptr) throw Error(ErrorKind::kInternal, "_test_relu backward got its input");
        Map(ig[0], req[0], [&](int64_t i) { return V(out[0], i) > 0 ? V(og[0], i) : 0.0; });
      });

  R.Register("_test_fc")
      .set_inputs({"data", "weight", "bias"})
      .add_required_param("num_hidden", ParamKind::kInt, "outputs")
      .set_infer_shape(FCInfer)
      .set_backward_uses(true, false)
      .set_compute(MXC_CPU, [](const OpContext &, const OpParams &, const std::vector<TBlob> &in,
                               const std::vector<OpReq> &req, const std::vector<TBlob> &out) {
        int64_t n = in[0].shape[0], k = in[0].shape[1], h = in[1].shape[0];
        Map(out[0], req[0], [&](int64_t idx) {
          int64_t i = idx / h, j = idx % h;
          double s = V(in[2], j);
          for (int64_t t = 0; t < k; ++t) s += V(in[0], i * k + t) * V(in[1], j * k + t);
          return s;
        });
        (void)n;
      })
      .set_backward(MXC_CPU, [](const OpContext &, const OpParams &, const std::vector<TBlob> &og,
                                const std::vector<TBlob> &in, const std::vector<TBlob> &out,
                                const std::vector<OpReq> &req, const std::vector<TBlob> &ig) {
        if (out[0].dptr != nullptr) throw Error(ErrorKind::kInternal, "_test_fc backward got its output");
        int64_t n = in[0].shape[0], k = in[0].shape[1], h = in[1].shape[0];
        Map(ig[0], req[0], [&](int64_t idx) {
          int64_t i = idx / k, t = idx % k;
          double s = 0;
          for (int64_t j = 0; j < h; ++j) s += V(og[0], i * h + j) * V(in[1], j * k + t);
          return s;
        });
        Map(ig[1], req[1], [&](int64_t idx) {
          int64_t j = idx / k, t = idx % k;
          double s = 0;
          for (int64_t i = 0; i < n; ++i) s += V(og[0], i * h + j) * V(in[0], i * k + t);
          return s;
        });
        Map(ig[2], req[2], [&](int64_t j) {
          double s = 0;
          for (int64_t i = 0; i < n; ++i) s += V(og[0], i * h + j);
          return s;
        });
      });

  R.Register("_test_softmax_loss")
      .set_inputs({"data", "label"})
      .set_loss()
      .set_infer_shape([](const OpParams &p, std::vector<TShape> *in, std::vector<TShape> *out) {
        if ((*in)[0].ndim() == 2) ShapeAssign(&(*in)[1], TShape{(*in)[0][0]}, p.op(), "label");
        ShapeAssign(&(*out)[0], (*in)[0], p.op(), "output");
        ShapeAssign(&(*in)[0], (*out)[0], p.op(), "data");
      })
      .set_compute(MXC_CPU, [](const OpContext &, const OpParams &, const std::vector<TBlob> &in,
                               const std::vector<OpReq> &, const std::vector<TBlob> &out) {
        int64_t n = in[0].shape[0], c = in[0].shape[1];
        for (int64_t i = 0; i < n; ++i) {
          double m = -1e300, s = 0;
          for (int64_t j = 0; j < c; ++j) m = std::max(m, V(in[0], i * c + j));
          for (int64_t j = 0; j < c; ++j) s += std::exp(V(in[0], i * c + j) - m);
          for (int64_t j = 0; j < c; ++j) SetV(out[0], i * c + j, std::exp(V(in[0], i * c + j) - m) / s);
        }
      })
      .set_backward(MXC_CPU, [](const OpContext &, const OpParams &, const std::vector<TBlob> &,
                                const std::vector<TBlob> &in, const std::vector<TBlob> &out,
                                const std::vector<OpReq> &req, const std::vector<TBlob> &ig) {
        int64_t c = in[0].shape[1];
        Map(ig[0], req[0], [&](int64_t idx) {
          int64_t i = idx / c, j = idx % c;
          return V(out[0], idx) - (static_cast<int64_t>(V(in[1], i)) == j ? 1.0 : 0.0);
        });
        Map(ig[1], req[1], [&](int64_t) { return 0.0; });
      });

  // data - moving[0]; in training moving <- 0.9 moving + 0.1 mean(data).
  R.Register("_test_aux")
      .set_inputs({"data", "moving_mean"}, 1)
      .set_mutate_inputs({1})
      .set_backward_uses(false, false)
      .set_infer_shape([](const OpParams &p, std::vector<TShape> *in, std::vector<TShape> *out) {
        ShapeAssign(&(*in)[1], TShape{1}, p.op(), "moving_mean");
        ShapeAssign(&(*out)[0], (*in)[0], p.op(), "output");
        ShapeAssign(&(*in)[0], (*out)[0], p.op(), "data");
      })
      .set_compute(MXC_CPU, [](const OpContext &ctx, const OpParams &, const std::vector<TBlob> &in,
                               const std::vector<OpReq> &req, const std::vector<TBlob> &out) {
        double m = V(in[1], 0);
        Map(out[0], req[0], [&](int64_t i) { return V(in[0], i) - m; });
        if (ctx.is_train) {
          double s = 0;
          for (int64_t i = 0; i < in[0].Size(); ++i) s += V(in[0], i);
          SetV(in[1], 0, 0.9 * m + 0.1 * s / static_cast<double>(in[0].Size()));
        }
      })
      .set_backward(MXC_CPU, [](const OpContext &, const OpParams &, const std::vector<TBlob> &og,
                                const std::vector<TBlob> &, const std::vector<TBlob> &,
                                const std::vector<OpReq> &req, const std::vector<TBlob> &ig) {
        Map(ig[0], req[0], [&](int64_t i) { return V(og[0], i); });
        if (req[1] != kNullOp) throw Error(ErrorKind::kInternal, "_test_aux: gradient requested for an aux state");
      });

  R.Register("_test_split2")
      .set_inputs({"data"})
      .set_num_outputs(2)
      .set_backward_uses(false, false)
      .set_infer_shape(SameShapeInfer)
      .set_compute(MXC_CPU, [](const OpContext &, const OpParams &, const std::vector<TBlob> &in,
                               const std::vector<OpReq> &req, const std::vector<TBlob> &out) {
        Map(out[0], req[0], [&](int64_t i) { return 2 * V(in[0], i); });
        Map(out[1], req[1], [&](int64_t i) { return 3 * V(in[0], i); });
      })
      .set_backward(MXC_CPU, [](const OpContext &, const OpParams &, const std::vector<TBlob> &og,
                                const std::vector<TBlob> &, const std::vector<TBlob> &,
                                const std::vector<OpReq> &req, const std::vector<TBlob> &ig) {
        Map(ig[0], req[0], [&](int64_t i) { return 2 * V(og[0], i) + 3 * V(og[1], i); });
      });

  // out0 = data * mask, hidden out1 = mask = (data > 0).
  R.Register("_test_hidden")
      .set_inputs({"data"})
      .set_num_outputs(2)
      .set_num_visible_outputs([](const OpParams &) { return 1; })
      .set_backward_uses(false, true)
      .set_infer_shape(SameShapeInfer)
      .set_compute(MXC_CPU, [](const OpContext &, const OpParams &, const std::vector<TBlob> &in,
                               const std::vector<OpReq> &req, const std::vector<TBlob> &out) {
        Map(out[1], req[1], [&](int64_t i) { return V(in[0], i) > 0 ? 1.0 : 0.0; });
        Map(out[0], req[0], [&](int64_t i) { return V(in[0], i) * V(out[1], i); });
      })
      .set_backward(MXC_CPU, [](const OpContext &, const OpParams &, const std::vector<TBlob> &og,
                                const std::vector<TBlob> &, const std::vector<TBlob> &out,
                                const std::vector<OpReq> &req, const std::vector<TBlob> &ig) {
        Map(ig[0], req[0], [&](int64_t i) { return V(og[0], i) * V(out[1], i); });
      });

  R.Register("_test_nograd")
      .set_inputs({"data"})
      .set_infer_shape(SameShapeInfer)
      .set_compute(MXC_CPU, [](const OpContext &, const OpParams &, const std::vector<TBlob> &in,
                               const std::vector<OpReq> &req, const std::vector<TBlob> &out) {
        Map(out[0], req[0], [&](int64_t i) { return V(in[0], i) + 1; });
      });

  // Concatenation of 1-d arrays.
  R.Register("_test_concat")
      .set_variadic("num_args", "args")
      .add_required_param("num_args", ParamKind::kInt, "number of inputs")
      .set_backward_uses(true, false)
      .set_infer_shape([](const OpParams &p, std::vector<TShape> *in, std::vector<TShape> *out) {
        int64_t total = 0;
        for (auto &s : *in) {
          if (s.ndim() != 1) return;
          total += s[0];
        }
        ShapeAssign(&(*out)[0], TShape{total}, p.op(), "output");
      })
      .set_compute(MXC_CPU, [](const OpContext &, const OpParams &, const std::vector<TBlob> &in,
                               const std::vector<OpReq> &, const std::vector<TBlob> &out) {
        int64_t o = 0;
        for (auto &b : in)
          for (int64_t i = 0; i < b.Size(); ++i) SetV(out[0], o++, V(b, i));
      })
      .set_backward(MXC_CPU, [](const OpContext &, const OpParams &, const std::vector<TBlob> &og,
                                const std::vector<TBlob> &in, const std::vector<TBlob> &,
                                const std::vector<OpReq> &req, const std::vector<TBlob> &ig) {
        int64_t o = 0;
        for (size_t k = 0; k < in.size(); ++k) {
          int64_t base = o;
          Map(ig[k], req[k], [&](int64_t i) { return V(og[0], base + i); });
          o += in[k].Size();
        }
      });
}

}  // namespace gtops
