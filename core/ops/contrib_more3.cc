// Operators of MXNet 1.9.1 added on branch ops3 (besides Correlation, correlation.cc):
// - _contrib_count_sketch(data (N, d), h (k, d), s (k, d), out_dim): out[n, h[0, i]] += s[0, i] * data[n, i]
//   (MXNet reads the first row of the hash tables only; MXNet runs it on GPUs only, here it has a CPU kernel too).
//   h must hold integers in [0, out_dim) (else an IndexError). The gradient of data is og[n, h[i]] * s[i]; the hash
//   tables get none (zeros). Each output sums its inputs in increasing i, in double, as the GPU kernel does.
#include <cmath>
#include <vector>

#include "nn_util.h"

namespace mxc {
namespace op {
namespace {

// ---------------------------------------------------------------------------------------------------------------
// count_sketch
// ---------------------------------------------------------------------------------------------------------------
void CountSketchInferShape(const OpParams &p, std::vector<TShape> *in, std::vector<TShape> *out) {
  const Op *op = p.op();
  const TShape &d = (*in)[0], &h = (*in)[1], &s = (*in)[2];
  const int64_t out_dim = p.Int("out_dim");
  const std::string where = std::string("operator ") + op->name + ": data shape " + ShapeStr(d) + ", h shape " +
                            ShapeStr(h) + ", s shape " + ShapeStr(s) + ", out_dim " + std::to_string(out_dim) +
                            ": ";
  if (out_dim < 1) Throw(ErrorKind::kValue, where, "out_dim must be positive");
  if (p.Int("processing_batch_size") < 1) Throw(ErrorKind::kValue, where, "processing_batch_size must be positive");
  if (!d.empty() && d.ndim() != 2) Throw(ErrorKind::kShape, where, "data must be 2-D (N, d)");
  for (const TShape *t : {&h, &s})
    if (!t->empty() && (t->ndim() != 2 || (*t)[0] < 1 || (!d.empty() && (*t)[1] != d[1])))
      Throw(ErrorKind::kShape, where, "h and s must be 2-D with at least one row of d = data.shape[1] values");
  if (d.empty()) return;
  ShapeAssign(&(*out)[0], TShape{d[0], out_dim}, op, "output");
}

// The first row of h as bucket indices; IndexError naming the operator for a value that is not in [0, out_dim).
std::vector<int64_t> SketchBuckets(const OpParams &p, const TBlob &h, int64_t d) {
  const int64_t out_dim = p.Int("out_dim");
  std::vector<int64_t> b(static_cast<size_t>(d));
  MXC_REAL_TYPE_SWITCH(h.dtype, T, {
    const T *hp = h.ptr<T>();
    for (int64_t i = 0; i < d; ++i) {
      const double v = static_cast<double>(hp[i]);
      if (!(v >= 0 && v < static_cast<double>(out_dim)))
        Throw(ErrorKind::kIndex, "operator ", p.op()->name, ": h[0, ", i, "] = ", v,
              " is not a bucket index in [0, out_dim = ", out_dim, ")");
      b[i] = static_cast<int64_t>(v);
    }
  });
  return b;
}

void CountSketchForward(MXC_NN_FORWARD_ARGS) {
  if (req[0] == kNullOp) return;
  const int64_t N = in[0].shape[0], d = in[0].shape[1], K = p.Int("out_dim");
  const std::vector<int64_t> b = SketchBuckets(p, in[1], d);
  MXC_REAL_TYPE_SWITCH(out[0].dtype, T, {
    const T *x = in[0].ptr<T>(), *s = in[2].ptr<T>();
    T *y = out[0].ptr<T>();
    const bool add = req[0] == kAddTo;
    ParallelForWork(N, d + K, [&](int64_t n) {
      std::vector<double> acc(static_cast<size_t>(K), 0.0);
      for (int64_t i = 0; i < d; ++i) acc[b[i]] += static_cast<double>(s[i]) * static_cast<double>(x[n * d + i]);
      T *yr = y + n * K;
      for (int64_t k = 0; k < K; ++k) yr[k] = add ? static_cast<T>(yr[k] + static_cast<T>(acc[k])) : static_cast<T>(acc[k]);
    });
  });
}

void CountSketchBackward(MXC_NN_BACKWARD_ARGS) {
  ZeroGrad(in_grad[1], req[1]);
  ZeroGrad(in_grad[2], req[2]);
  if (req[0] == kNullOp) return;
  const int64_t N = in_data[0].shape[0], d = in_data[0].shape[1], K = p.Int("out_dim");
  const std::vector<int64_t> b = SketchBuckets(p, in_data[1], d);
  MXC_REAL_TYPE_SWITCH(in_grad[0].dtype, T, {
    const T *g = out_grad[0].ptr<T>(), *s = in_data[2].ptr<T>();
    MapReq(in_grad[0].ptr<T>(), req[0], N * d, [&](int64_t e) {
      const int64_t n = e / d, i = e % d;
      return static_cast<T>(static_cast<double>(g[n * K + b[i]]) * static_cast<double>(s[i]));
    });
  });
}

[[maybe_unused]] const int registered = [] {
  OpRegistry::Get()
      ->Register("_contrib_count_sketch")
      .describe("Apply CountSketch to input: map a d-dimension data to k-dimension data, "
                "out[n, h[i]] += data[n, i] * s[i] (h, s: the first row of the hash tables).")
      .set_inputs({"data", "h", "s"})
      .add_required_param("out_dim", ParamKind::kInt, "The output dimension.")
      .add_param("processing_batch_size", ParamKind::kInt, "32", "How many sketch vectors to process at one time.")
      .set_infer_shape(CountSketchInferShape)
      .set_infer_type(FloatOnlyTypeInfer)
      .set_compute(MXC_CPU, CountSketchForward)
      .set_backward(MXC_CPU, CountSketchBackward)
      .set_backward_uses(true, false);
  return 0;
}();

}  // namespace
}  // namespace op
}  // namespace mxc
