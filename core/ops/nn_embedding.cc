// Embedding: out[..., :] = weight[index, :] for every index in data (indices truncated to integers and clipped to
// [0, input_dim - 1], as MXNet). The weight gradient accumulates the output gradient rows of every occurrence of an
// index; the indices get no gradient.
#include "nn_util.h"

namespace mxc {
namespace op {
namespace {

void EmbeddingInferShape(const OpParams &p, std::vector<TShape> *in, std::vector<TShape> *out) {
  const Op *op = p.op();
  const int64_t input_dim = p.Int("input_dim"), output_dim = p.Int("output_dim");
  MXC_CHECK(input_dim > 0 && output_dim > 0, ErrorKind::kValue, "operator ", op->name,
            ": input_dim and output_dim must be positive, got ", input_dim, " and ", output_dim);
  ShapeAssign(&(*in)[1], TShape{input_dim, output_dim}, op, "weight");
  const TShape &d = (*in)[0];
  if (d.empty()) return;
  TShape o = d;
  o.push_back(output_dim);
  ShapeAssign(&(*out)[0], o, op, "output");
}

// weight and output: the dtype parameter; data (the indices): any dtype, float32 when unknown.
// The weight's dtype when known (as MXNet), else `dtype`.
void EmbeddingInferType(const OpParams &p, std::vector<int> *in, std::vector<int> *out) {
  const int t = (*in)[1] >= 0 ? (*in)[1] : (*out)[0] >= 0 ? (*out)[0] : p.Dtype("dtype");
  TypeAssign(&(*in)[1], t, p.op(), "weight");
  TypeAssign(&(*out)[0], t, p.op(), "output");
  if ((*in)[0] < 0) (*in)[0] = kFloat32;
}

template <typename I>
inline int64_t ClipIndex(I v, int64_t n) {
  const int64_t i = static_cast<int64_t>(v);
  return i < 0 ? 0 : (i >= n ? n - 1 : i);
}

void EmbeddingForward(MXC_NN_FORWARD_ARGS) {
  if (req[0] == kNullOp) return;
  const int64_t input_dim = in[1].shape[0], dim = in[1].shape[1];
  const int64_t n = in[0].Size();
  MXC_TYPE_SWITCH(in[0].dtype, I, {
    const I *idx = in[0].ptr<I>();
    MXC_TYPE_SWITCH(in[1].dtype, T, {
      const T *w = in[1].ptr<T>();
      T *y = out[0].ptr<T>();
      ParallelForWork(n, dim, [&](int64_t i) {
        const T *src = w + ClipIndex(idx[i], input_dim) * dim;
        T *dst = y + i * dim;
        if (req[0] == kAddTo) {
          for (int64_t j = 0; j < dim; ++j) dst[j] += src[j];
        } else {
          std::copy(src, src + dim, dst);
        }
      });
    });
  });
}

void EmbeddingBackward(MXC_NN_BACKWARD_ARGS) {
  ZeroGrad(in_grad[0], req[0]);  // no gradient for the indices
  if (req[1] == kNullOp) return;
  const int64_t input_dim = in_grad[1].shape[0], dim = in_grad[1].shape[1];
  const int64_t n = in_data[0].Size();
  MXC_TYPE_SWITCH(in_data[0].dtype, I, {
    const I *idx = in_data[0].ptr<I>();
    MXC_REAL_TYPE_SWITCH(in_grad[1].dtype, T, {
      T *dw = in_grad[1].ptr<T>();
      const T *dy = out_grad[0].ptr<T>();
      if (req[1] != kAddTo) std::fill(dw, dw + input_dim * dim, T(0));
      for (int64_t i = 0; i < n; ++i) {
        T *dst = dw + ClipIndex(idx[i], input_dim) * dim;
        const T *src = dy + i * dim;
        for (int64_t j = 0; j < dim; ++j) dst[j] += src[j];
      }
    });
  });
}

}  // namespace

MXC_REGISTER_OP(Embedding)
    .describe("Maps integer indices to vector representations: out[..., :] = weight[data[...], :], with weight of "
              "shape (input_dim, output_dim). Indices are clipped to [0, input_dim - 1].")
    .set_inputs({"data", "weight"})
    .add_required_param("input_dim", ParamKind::kInt, "Vocabulary size of the input indices.")
    .add_required_param("output_dim", ParamKind::kInt, "Dimension of the embedding vectors.")
    .add_param("dtype", ParamKind::kDType, "float32", "Data type of weight.")
    .add_param("sparse_grad", ParamKind::kBool, "False",
               "Compute row_sparse gradient in the backward calculation (accepted; gradients are dense).")
    .set_infer_shape(EmbeddingInferShape)
    .set_infer_type(EmbeddingInferType)
    .set_compute(MXC_CPU, EmbeddingForward)
    .set_backward(MXC_CPU, EmbeddingBackward)
    .set_backward_uses(true, false);

}  // namespace op
}  // namespace mxc
