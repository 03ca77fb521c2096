// Dropout: when training (or with mode='always'), zero each element with probability p and scale the kept ones by
// 1/(1-p); the hidden second output keeps the mask (0 or 1/(1-p)) for the backward pass. `axes` shares one draw
// along the given axes (variational dropout). Otherwise the identity (mask of ones).
#include "nn_util.h"

namespace mxc {
namespace op {
namespace {

enum DropoutMode { kAlways = 0, kTraining };  // order of the enum options below

bool DropoutActive(const OpContext &ctx, const OpParams &p) {
  return (p.Get("mode").i == kAlways || ctx.is_train) && p.Float("p") > 0;
}

void DropoutInferShape(const OpParams &p, std::vector<TShape> *in, std::vector<TShape> *out) {
  const double prob = p.Float("p");
  MXC_CHECK(prob >= 0 && prob <= 1, ErrorKind::kValue, "operator ", p.op()->name, ": p must be in [0, 1], got ",
            prob);
  TShape &d = (*in)[0];
  ShapeAssign(&d, (*out)[0], p.op(), "data");
  if (d.empty()) return;
  for (auto a : p.Tuple("axes")) NormalizeAxis(a, d.ndim(), p.op(), "axes entry");
  ShapeAssign(&(*out)[0], d, p.op(), "output");
  ShapeAssign(&(*out)[1], d, p.op(), "mask");
}

// Fills mask (full shape) with draws over the shape reduced along `axes` (size 1 there), broadcast back.
template <typename T>
void DrawMask(const OpContext &ctx, const OpParams &p, const TShape &shape, T *mask) {
  MXC_CHECK(ctx.rng != nullptr, ErrorKind::kInternal, "operator ", p.op()->name, ": no random generator");
  const double prob = p.Float("p");
  const T keep_value = prob >= 1 ? T(0) : static_cast<T>(1.0 / (1.0 - prob));
  const uint64_t threshold = prob >= 1 ? 0 : static_cast<uint64_t>((1.0 - prob) * 9007199254740992.0);  // 2^53
  auto draw = [&]() { return ((*ctx.rng)() >> 11) < threshold ? keep_value : T(0); };
  const int nd = shape.ndim();
  std::vector<bool> shared(nd, false);
  for (auto a : p.Tuple("axes")) shared[NormalizeAxis(a, nd, p.op(), "axes entry")] = true;
  const int64_t n = ShapeSize(shape);
  bool any = false;
  for (bool s : shared) any = any || s;
  if (!any) {
    for (int64_t i = 0; i < n; ++i) mask[i] = draw();
    return;
  }
  // Reduced shape and, for each full index, the index into it.
  TShape rshape = shape;
  for (int i = 0; i < nd; ++i)
    if (shared[i]) rshape[i] = 1;
  std::vector<T> rmask(ShapeSize(rshape));
  for (auto &v : rmask) v = draw();
  std::vector<int64_t> rstride(nd, 0);
  int64_t st = 1;
  for (int i = nd - 1; i >= 0; --i) {
    rstride[i] = shared[i] ? 0 : st;
    st *= rshape[i];
  }
  std::vector<int64_t> idx(nd, 0);
  for (int64_t i = 0; i < n; ++i) {
    int64_t r = 0;
    for (int k = 0; k < nd; ++k) r += idx[k] * rstride[k];
    mask[i] = rmask[r];
    for (int k = nd - 1; k >= 0; --k) {
      if (++idx[k] < shape[k]) break;
      idx[k] = 0;
    }
  }
}

void DropoutForward(MXC_NN_FORWARD_ARGS) {
  MXC_REAL_TYPE_SWITCH(in[0].dtype, T, {
    const T *x = in[0].ptr<T>();
    T *mask = out[1].ptr<T>();
    const int64_t n = in[0].Size();
    if (DropoutActive(ctx, p)) {
      DrawMask<T>(ctx, p, in[0].shape, mask);
    } else {
      std::fill(mask, mask + n, T(1));
    }
    MapReq(out[0].ptr<T>(), req[0], n, [=](int64_t i) { return x[i] * mask[i]; });
  });
}

void DropoutBackward(MXC_NN_BACKWARD_ARGS) {
  if (req[0] == kNullOp) return;
  MXC_REAL_TYPE_SWITCH(out_data[1].dtype, T, {
    const T *dy = out_grad[0].ptr<T>();
    const T *mask = out_data[1].ptr<T>();
    MapReq(in_grad[0].ptr<T>(), req[0], in_grad[0].Size(), [=](int64_t i) { return dy[i] * mask[i]; });
  });
}

}  // namespace

MXC_REGISTER_OP(Dropout)
    .describe("Dropout: while training (or always with mode='always') each element is zeroed with probability p "
              "and the others are scaled by 1/(1-p); otherwise the identity. axes shares the mask along axes.")
    .set_inputs({"data"})
    .add_param("p", ParamKind::kFloat, "0.5", "Fraction of the input that gets dropped out during training.")
    .add_param("mode", ParamKind::kEnum, "training",
               "Whether to only turn on dropout during training or to also turn on for inference.",
               {"always", "training"})
    .add_param("axes", ParamKind::kShape, "()", "Axes along which one mask value is shared (variational dropout).")
    .add_param("cudnn_off", ParamKind::kBool, "False", "Whether to turn off cudnn (accepted, ignored).")
    .set_num_outputs(2)
    .set_num_visible_outputs([](const OpParams &) { return 1; })
    .set_infer_shape(DropoutInferShape)
    .set_infer_type(FloatOnlyTypeInfer)
    .set_inplace({{0, 0}})
    .set_random()
    .set_compute(MXC_CPU, DropoutForward)
    .set_backward(MXC_CPU, DropoutBackward)
    .set_backward_uses(false, true);

}  // namespace op
}  // namespace mxc
