// More of MXNet 1.9.1's INT8 quantization operators: _contrib_calibrate_entropy (the threshold of a histogram that
// minimises the KL divergence between it and its quantization, for quantize_model's calib_mode='entropy').
// Forward only, as in MXNet. The per-candidate arithmetic is in calib_entropy_impl.h (shared with the GPU kernel).
#include <cmath>
#include <vector>

#include "calib_entropy_impl.h"
#include "nn_util.h"

namespace mxc {
namespace op {
namespace {

void CheckCalibParams(const OpParams &p, int64_t n) {
  const int64_t nq = p.Int("num_quantized_bins");
  MXC_CHECK(nq >= 1, ErrorKind::kValue, "operator ", p.op()->name, ": num_quantized_bins must be positive, got ",
            nq);
  MXC_CHECK(nq / 2 <= CalibLastCandidate(n) && n >= 1, ErrorKind::kValue, "operator ", p.op()->name,
            ": num_quantized_bins (", nq, ") needs a histogram 'hist' of at least ", nq / 2 * 2 + 1,
            " bins, got ", n);
}

void CalibInferShape(const OpParams &p, std::vector<TShape> *in, std::vector<TShape> *out) {
  const Op *op = p.op();
  const TShape &h = (*in)[0];
  if (!h.empty()) {
    MXC_CHECK(h.ndim() == 1, ErrorKind::kShape, "operator ", op->name, ": 'hist' must be 1-D, got shape ",
              ShapeStr(h));
    if (h[0] > 0) CheckCalibParams(p, h[0]);
    ShapeAssign(&(*in)[1], TShape{h[0] + 1}, op, "hist_edges");
  }
  ShapeAssign(&(*out)[0], TShape{1}, op, "threshold");
  ShapeAssign(&(*out)[1], TShape{1}, op, "divergence");
}

void CalibInferType(const OpParams &p, std::vector<int> *in, std::vector<int> *out) {
  const Op *op = p.op();
  TypeAssign(&(*in)[0], kFloat32, op, "hist");
  TypeAssign(&(*in)[1], kFloat32, op, "hist_edges");
  TypeAssign(&(*out)[0], kFloat32, op, "threshold");
  TypeAssign(&(*out)[1], kFloat32, op, "divergence");
}

void CalibrateEntropyForward(MXC_NN_FORWARD_ARGS) {
  const int64_t n = in[0].Size();
  CheckCalibParams(p, n);
  const int nq = static_cast<int>(p.Int("num_quantized_bins"));
  const float *hist = in[0].ptr<float>(), *edges = in[1].ptr<float>();
  const int64_t first = nq / 2, last = CalibLastCandidate(n);
  std::vector<double> div(static_cast<size_t>(last - first + 1));
  ParallelFor(static_cast<int64_t>(div.size()),
              [&](int64_t c) { div[static_cast<size_t>(c)] = CalibDivergence(hist, n, nq, first + c); });
  size_t best = 0;
  for (size_t c = 1; c < div.size(); ++c)
    if (div[c] < div[best]) best = c;
  const int64_t i = first + static_cast<int64_t>(best);
  Assign(out[0].ptr<float>(), req[0], edges[n / 2 + i + 1]);
  Assign(out[1].ptr<float>(), req[1], static_cast<float>(div[best]));
}

[[maybe_unused]] const int registered = [] {
  OpRegistry::Get()
      ->Register("_contrib_calibrate_entropy")
      .describe("Provide calibrated min/max for input histogram: the threshold (an edge of hist_edges, right of the "
                "middle bin) whose symmetric window of the histogram hist has the least KL divergence from its "
                "quantization to num_quantized_bins bins, and that divergence. Forward only.")
      .set_inputs({"hist", "hist_edges"})
      .set_num_outputs(2)
      .add_param("num_quantized_bins", ParamKind::kInt, "255", "The number of quantized bins.")
      .set_infer_shape(CalibInferShape)
      .set_infer_type(CalibInferType)
      .set_compute(MXC_CPU, CalibrateEntropyForward);
  return 0;
}();

}  // namespace
}  // namespace op
}  // namespace mxc
