// L2Normalization (MXNet 1.x): out = data / sqrt(sum(data^2) + eps) with the sum taken per sample over all its other
// axes (mode 'instance'), per sample and position over axis 1 ('channel'), or per sample and channel over the
// spatial axes 2.. ('spatial'). A hidden output `norm` (the divisors) feeds the backward:
// d data_k = (g_k - out_k * sum_j g_j out_j) / norm.
#include <cmath>
#include <vector>

#include "nn_util.h"

namespace mxc {
namespace op {
namespace {

// Data as (outer, n, inner): each (o, i) is one normalised group of n elements, `inner` apart.
struct L2Groups {
  int64_t outer, n, inner;
};

L2Groups GroupsOf(const OpParams &p, const TShape &d) {
  const std::string &m = p.Str("mode");
  auto prod = [&](int from) {
    int64_t s = 1;
    for (int a = from; a < d.ndim(); ++a) s *= d[a];
    return s;
  };
  if (m == "channel") return {d[0], d[1], prod(2)};
  if (m == "spatial") return {d[0] * d[1], prod(2), 1};
  return {d[0], prod(1), 1};
}

void L2InferShape(const OpParams &p, std::vector<TShape> *in, std::vector<TShape> *out) {
  const Op *op = p.op();
  const TShape &d = (*in)[0];
  if (d.empty()) return;
  const std::string &m = p.Str("mode");
  if (m != "instance" && d.ndim() < 3)
    Throw(ErrorKind::kShape, "operator ", op->name, ": data shape ", ShapeStr(d),
          ": at least 3 dimensions required in ", m, " mode");
  ShapeAssign(&(*out)[0], d, op, "output");
  TShape norm = d;  // channel: (N, spatial...)
  if (m == "channel") norm.erase(norm.begin() + 1);
  else norm = m == "instance" ? TShape{d[0]} : TShape{d[0], d[1]};
  ShapeAssign(&(*out)[1], norm, op, "norm");
}

void L2Forward(MXC_NN_FORWARD_ARGS) {
  const L2Groups g = GroupsOf(p, in[0].shape);
  const double eps = p.Float("eps");
  MXC_REAL_TYPE_SWITCH(in[0].dtype, T, {
    const T *x = in[0].ptr<T>();
    T *y = out[0].ptr<T>(), *nrm = out[1].ptr<T>();
    const bool add = req[0] == kAddTo;
    ParallelForWork(g.outer * g.inner, g.n, [&](int64_t r) {
      const int64_t o = r / g.inner, i = r % g.inner, base = o * g.n * g.inner + i;
      double ss = 0;
      for (int64_t k = 0; k < g.n; ++k) ss += double(x[base + k * g.inner]) * x[base + k * g.inner];
      const double norm = std::sqrt(ss + eps);
      nrm[r] = static_cast<T>(norm);
      if (req[0] == kNullOp) return;
      for (int64_t k = 0; k < g.n; ++k) {
        const T v = static_cast<T>(x[base + k * g.inner] / norm);
        T &dst = y[base + k * g.inner];
        dst = add ? dst + v : v;
      }
    });
  });
}

void L2Backward(MXC_NN_BACKWARD_ARGS) {
  if (req[0] == kNullOp) return;
  const L2Groups g = GroupsOf(p, in_grad[0].shape);
  MXC_REAL_TYPE_SWITCH(in_grad[0].dtype, T, {
    const T *dy = out_grad[0].ptr<T>(), *y = out_data[0].ptr<T>(), *nrm = out_data[1].ptr<T>();
    T *dx = in_grad[0].ptr<T>();
    const bool add = req[0] == kAddTo;
    ParallelForWork(g.outer * g.inner, g.n, [&](int64_t r) {
      const int64_t o = r / g.inner, i = r % g.inner, base = o * g.n * g.inner + i;
      double dot = 0;
      for (int64_t k = 0; k < g.n; ++k) dot += double(dy[base + k * g.inner]) * y[base + k * g.inner];
      const double inv = 1.0 / nrm[r];
      for (int64_t k = 0; k < g.n; ++k) {
        const int64_t j = base + k * g.inner;
        const T v = static_cast<T>((dy[j] - y[j] * dot) * inv);
        dx[j] = add ? dx[j] + v : v;
      }
    });
  });
}

}  // namespace

MXC_REGISTER_OP(L2Normalization)
    .describe("L2 normalisation: data / sqrt(sum(data^2) + eps), the sum per sample over all other axes (mode "
              "'instance'), over axis 1 ('channel') or over the spatial axes 2.. ('spatial').")
    .set_inputs({"data"})
    .add_param("eps", ParamKind::kFloat, "1e-10", "A small constant for numerical stability.")
    .add_param("mode", ParamKind::kEnum, "instance", "Specify the dimension along which to compute L2 norm.",
               {"channel", "instance", "spatial"})
    .set_num_outputs(2)
    .set_num_visible_outputs([](const OpParams &) { return 1; })
    .set_output_names([](const OpParams &) { return std::vector<std::string>{"output"}; })
    .set_infer_shape(L2InferShape)
    .set_infer_type(FloatOnlyTypeInfer)
    .set_compute(MXC_CPU, L2Forward)
    .set_backward(MXC_CPU, L2Backward)
    .set_backward_uses(false, true);

}  // namespace op
}  // namespace mxc
