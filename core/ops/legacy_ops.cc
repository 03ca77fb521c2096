// Legacy operators of MXNet 1.9.1 kept for saved graphs, run by the current operators' kernels:
// - Convolution_v1: Convolution over 2-D or 3-D data (MXNet rejects 1-D: "1D convolution not supported"), the same
//   parameters less the NCW layout;
// - Pooling_v1: Pooling over 4-D or 5-D data, pool_type max/avg/sum, conventions valid/full, the padding counted in
//   avg's divisor (as Pooling's default);
// - BatchNorm_v1: BatchNorm over axis 1 with eps a float, whose second and third outputs are the mean and the
//   variance (BatchNorm's are the mean and the inverse standard deviation).
// MXNet 1.9.1 gives the same values for the legacy and current operators (checked in the tests against its printed
// values).
#include "legacy_ops.h"

#include <cmath>
#include <cstdio>
#include <cstring>
#include <vector>

#include "nn_util.h"

namespace mxc {
namespace op {

namespace {

const char *TargetName(const std::string &legacy) {
  if (legacy == "Convolution_v1") return "Convolution";
  if (legacy == "Pooling_v1") return "Pooling";
  return "BatchNorm";
}

// Runs f; an error of the current operator is re-raised naming the legacy one.
template <typename F>
void AsLegacy(const OpParams &p, F f) {
  try {
    f();
  } catch (const Error &e) {
    Throw(e.kind(), "operator ", p.op()->name, " (run as ", TargetName(p.op()->name), "): ", e.what());
  }
}

void LegacyShape(const OpParams &p, std::vector<TShape> *in, std::vector<TShape> *out) {
  const std::string &name = p.op()->name;
  const TShape &d = (*in)[0];
  if (name == "Convolution_v1") {
    const auto &k = p.Tuple("kernel");
    if (k.size() != 2 && k.size() != 3)
      Throw(ErrorKind::kValue, "operator ", name, ": kernel ", ShapeStr(TShape(k)),
            ": only 2-D (h, w) and 3-D (d, h, w) kernels (1D convolution not supported)");
  } else if (name == "Pooling_v1" && !d.empty() && d.ndim() != 4 && d.ndim() != 5) {
    Throw(ErrorKind::kShape, "operator ", name, ": data shape ", ShapeStr(d),
          ": Input data should be 4D in (batch, channel, y, x) Or 5D in (batch, channel, d, y, x)");
  }
  const OpParams tp = LegacyTargetParams(p);
  AsLegacy(p, [&] { tp.op()->infer_shape(tp, in, out); });
}

void LegacyType(const OpParams &p, std::vector<int> *in, std::vector<int> *out) {
  const OpParams tp = LegacyTargetParams(p);
  AsLegacy(p, [&] { tp.op()->infer_type(tp, in, out); });
}

void LegacyForward(MXC_NN_FORWARD_ARGS) {
  const OpParams tp = LegacyTargetParams(p);
  tp.op()->compute.at(MXC_CPU)(ctx, tp, in, req, out);
}

void LegacyBackward(MXC_NN_BACKWARD_ARGS) {
  const OpParams tp = LegacyTargetParams(p);
  tp.op()->backward.at(MXC_CPU)(ctx, tp, out_grad, in_data, out_data, req, in_grad);
}

// ---- BatchNorm_v1: BatchNorm's kernels with the third output converted (legacy_ops.h)
void CheckBNTypes(const std::vector<TBlob> &b) {
  for (const TBlob &t : b)
    if (t.dptr && t.dtype != kFloat32 && t.dtype != kFloat64)
      Throw(ErrorKind::kType, "BatchNorm_v1: dtype ", DTypeName(t.dtype), " is not supported (float32 and float64)");
}

void BNv1Forward(MXC_NN_FORWARD_ARGS) {
  CheckBNTypes(in);
  CheckBNTypes(out);
  const OpParams tp = LegacyTargetParams(p);
  const bool direct = req[2] == kWriteTo || req[2] == kWriteInplace;
  std::vector<TBlob> o = out;
  std::vector<OpReq> r = req;
  std::vector<char> tmp;
  if (!direct) {
    tmp.resize(out[2].Size() * DTypeSize(out[2].dtype));
    o[2].dptr = tmp.data();
    r[2] = kWriteTo;
  }
  tp.op()->compute.at(MXC_CPU)(ctx, tp, in, r, o);
  if (req[2] == kNullOp) return;
  const double eps = LegacyBNEps(p);
  MXC_REAL_TYPE_SWITCH(out[2].dtype, T, {
    const T *s = o[2].ptr<T>();
    T *v = out[2].ptr<T>();
    for (int64_t i = 0; i < out[2].Size(); ++i) {
      const double si = static_cast<double>(s[i]);
      const T var = static_cast<T>(1.0 / (si * si) - eps);
      v[i] = req[2] == kAddTo ? v[i] + var : var;
    }
  });
}

void BNv1Backward(MXC_NN_BACKWARD_ARGS) {
  CheckBNTypes(out_data);
  const OpParams tp = LegacyTargetParams(p);
  std::vector<TBlob> od = out_data;
  std::vector<char> tmp(od[2].Size() * DTypeSize(od[2].dtype));
  od[2].dptr = tmp.data();
  const double eps = LegacyBNEps(p);
  MXC_REAL_TYPE_SWITCH(od[2].dtype, T, {
    const T *v = out_data[2].ptr<T>();
    T *s = od[2].ptr<T>();
    for (int64_t i = 0; i < od[2].Size(); ++i) s[i] = static_cast<T>(1.0 / std::sqrt(static_cast<double>(v[i]) + eps));
  });
  tp.op()->backward.at(MXC_CPU)(ctx, tp, out_grad, in_data, od, req, in_grad);
}

std::vector<std::string> ConvV1Inputs(const OpParams &p) {
  return p.Bool("no_bias") ? std::vector<std::string>{"data", "weight"}
                           : std::vector<std::string>{"data", "weight", "bias"};
}

[[maybe_unused]] const int registered = [] {
  OpRegistry::Get()
      ->Register("Convolution_v1")
      .describe("This operator is DEPRECATED. Apply convolution to input then add a bias (Convolution over 2-D or "
                "3-D data).")
      .set_inputs({"data", "weight", "bias"})
      .set_input_names(ConvV1Inputs)
      .add_required_param("kernel", ParamKind::kShape, "convolution kernel size: (h, w) or (d, h, w)")
      .add_param("stride", ParamKind::kShape, "()", "convolution stride: (h, w) or (d, h, w)")
      .add_param("dilate", ParamKind::kShape, "()", "convolution dilate: (h, w) or (d, h, w)")
      .add_param("pad", ParamKind::kShape, "()", "pad for convolution: (h, w) or (d, h, w)")
      .add_required_param("num_filter", ParamKind::kInt, "convolution filter(channel) number")
      .add_param("num_group", ParamKind::kInt, "1", "Number of group partitions.")
      .add_param("workspace", ParamKind::kInt, "1024", "Maximum temporary workspace allowed for convolution (MB).")
      .add_param("no_bias", ParamKind::kBool, "False", "Whether to disable bias parameter.")
      .add_param("cudnn_tune", ParamKind::kEnum, "None",
                 "Whether to pick convolution algo by running performance test.",
                 {"None", "fastest", "limited_workspace", "off"})
      .add_param("cudnn_off", ParamKind::kBool, "False", "Turn off cudnn for this layer.")
      .add_param("layout", ParamKind::kEnum, "None", "Set layout for input, output and weight (None: NCHW or NCDHW).",
                 {"None", "NCDHW", "NCHW", "NDHWC", "NHWC"})
      .set_infer_shape(LegacyShape)
      .set_infer_type(LegacyType)
      .set_compute(MXC_CPU, LegacyForward)
      .set_backward(MXC_CPU, LegacyBackward)
      .set_backward_uses(true, false);
  OpRegistry::Get()
      ->Register("Pooling_v1")
      .describe("This operator is DEPRECATED. Perform pooling on the input (4-D or 5-D data).")
      .set_inputs({"data"})
      .add_param("kernel", ParamKind::kShape, "()", "pooling kernel size: (y, x) or (d, y, x)")
      .add_param("pool_type", ParamKind::kEnum, "max", "Pooling type to be applied.", {"avg", "max", "sum"})
      .add_param("global_pool", ParamKind::kBool, "False",
                 "Ignore kernel size, do global pooling based on current input feature map.")
      .add_param("pooling_convention", ParamKind::kEnum, "valid", "Pooling convention to be applied.",
                 {"full", "valid"})
      .add_param("stride", ParamKind::kShape, "()", "stride: for pooling (y, x) or (d, y, x)")
      .add_param("pad", ParamKind::kShape, "()", "pad for pooling: (y, x) or (d, y, x)")
      .set_infer_shape(LegacyShape)
      .set_infer_type(LegacyType)
      .set_compute(MXC_CPU, LegacyForward)
      .set_backward(MXC_CPU, LegacyBackward)
      .set_backward_uses(true, false);
  OpRegistry::Get()
      ->Register("BatchNorm_v1")
      .describe("Batch normalization. This operator is DEPRECATED. Perform BatchNorm on the input (over axis 1); "
                "with output_mean_var, also the mean and the variance.")
      .set_inputs({"data", "gamma", "beta", "moving_mean", "moving_var"}, 2)
      .add_param("eps", ParamKind::kFloat, "0.00100000005", "Epsilon to prevent div 0")
      .add_param("momentum", ParamKind::kFloat, "0.899999976", "Momentum for moving average")
      .add_param("fix_gamma", ParamKind::kBool, "True", "Fix gamma while training")
      .add_param("use_global_stats", ParamKind::kBool, "False",
                 "Whether use global moving statistics instead of local batch-norm.")
      .add_param("output_mean_var", ParamKind::kBool, "False", "Output All,normal mean and var")
      .set_num_outputs(3)
      .set_num_visible_outputs([](const OpParams &p) { return p.Bool("output_mean_var") ? 3 : 1; })
      .set_output_names([](const OpParams &p) {
        return p.Bool("output_mean_var") ? std::vector<std::string>{"output", "mean", "var"}
                                         : std::vector<std::string>{"output"};
      })
      .set_mutate_inputs({3, 4})
      .set_infer_shape(LegacyShape)
      .set_infer_type(LegacyType)
      .set_compute(MXC_CPU, BNv1Forward)
      .set_backward(MXC_CPU, BNv1Backward)
      .set_backward_uses(true, true);
  return 0;
}();

}  // namespace

double LegacyBNEps(const OpParams &p) { return static_cast<double>(static_cast<float>(p.Float("eps"))); }

OpParams LegacyTargetParams(const OpParams &p) {
  const std::string &name = p.op()->name;
  const Op *target = OpRegistry::Get()->FindOrThrow(TargetName(name));
  std::vector<std::pair<std::string, std::string>> kv;
  const bool bn = name == "BatchNorm_v1";
  for (const auto &e : p.raw())
    if (!bn || (e.first != "eps" && e.first != "momentum")) kv.push_back(e);
  if (bn) {  // eps and momentum as BatchNorm_v1 has them (floats; also their defaults)
    char buf[40];
    std::snprintf(buf, sizeof(buf), "%.17g", LegacyBNEps(p));
    kv.emplace_back("eps", buf);
    std::snprintf(buf, sizeof(buf), "%.17g", static_cast<double>(static_cast<float>(p.Float("momentum"))));
    kv.emplace_back("momentum", buf);
    kv.emplace_back("axis", "1");
  }
  return OpParams(target, kv);
}

}  // namespace op
}  // namespace mxc
