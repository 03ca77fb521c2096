// contrib fft and ifft (MXNet 1.9.1 has them on the GPU only, through cuFFT; the semantics are those of its
// docstrings): a 1-D discrete Fourier transform along the last axis of a 2-D (N, d) or 4-D (N1, N2, N3, d) array.
//   fft:  real data (..., d) -> (..., 2 d), the d complex points interleaved as [re0, im0, re1, im1, ...].
//   ifft: interleaved complex data (..., 2 d) -> (..., d), the real part of the unnormalised inverse transform.
// Both are linear: fft's gradient is ifft of the output gradient, and ifft's is fft of it. compute_size bounds the
// rows transformed at once (the work buffer). Radix-2 for a power-of-two d, else a direct DFT (fft_impl.h, shared with
// the GPU kernels).
#include <algorithm>
#include <vector>

#include "fft_impl.h"
#include "nn_util.h"

namespace mxc {
namespace op {
namespace {

// in: (rows, n) real (complex_in false) or (rows, 2 n) interleaved; out: (rows, 2 n) interleaved (complex_out) or
// (rows, n) real parts; sign -1 forward, +1 inverse.
template <typename T>
void FftRows(const T *x, T *y, int64_t rows, int64_t n, bool complex_in, bool complex_out, int sign, OpReq req,
             int64_t chunk) {
  if (req == kNullOp || rows == 0 || n == 0) return;
  chunk = std::max<int64_t>(1, std::min(chunk, rows));
  const bool pow2 = FftIsPow2(n);
  std::vector<double> buf(static_cast<size_t>(chunk * n * 2)), buf2(pow2 ? 0 : buf.size());
  const int64_t in_row = complex_in ? 2 * n : n, out_row = complex_out ? 2 * n : n;
  for (int64_t r0 = 0; r0 < rows; r0 += chunk) {
    const int64_t m = std::min(chunk, rows - r0);
    const T *xs = x + r0 * in_row;
    T *ys = y + r0 * out_row;
    ParallelFor(m * n, [&](int64_t e) { FftLoad(xs, buf.data(), e, n, complex_in); });
    const double *res = buf.data();
    if (pow2) {
      for (int64_t half = 1; half < n; half *= 2)
        ParallelFor(m * n / 2, [&](int64_t b) { FftButterfly(buf.data(), b, n, half, sign); });
    } else {
      ParallelFor(m * n, [&](int64_t e) { FftDft(buf.data(), buf2.data(), e, n, sign); });
      res = buf2.data();
    }
    const bool add = req == kAddTo;
    ParallelFor(m * n, [&](int64_t e) {
      if (complex_out) {
        for (int c = 0; c < 2; ++c) {
          const T v = static_cast<T>(res[e * 2 + c]);
          ys[e * 2 + c] = add ? ys[e * 2 + c] + v : v;
        }
      } else {
        const T v = static_cast<T>(res[e * 2]);
        ys[e] = add ? ys[e] + v : v;
      }
    });
  }
}

int64_t ComputeSize(const OpParams &p) {
  const int64_t c = p.Int("compute_size");
  if (c < 1)
    Throw(ErrorKind::kValue, "operator ", p.op()->name, ": compute_size must be positive (got ", c, ")");
  return c;
}

// The forward of fft (inverse false) or ifft, also the backward of the other one.
void Transform(const OpParams &p, const TBlob &x, OpReq req, const TBlob &y, bool inverse) {
  const int64_t n = inverse ? y.shape[y.ndim() - 1] : x.shape[x.ndim() - 1];
  const int64_t rows = n ? y.Size() / (inverse ? n : 2 * n) : 0;
  MXC_REAL_TYPE_SWITCH(y.dtype, T, {
    FftRows(x.ptr<T>(), y.ptr<T>(), rows, n, inverse, !inverse, inverse ? 1 : -1, req, ComputeSize(p));
  });
}

void FftInferShape(const OpParams &p, std::vector<TShape> *in, std::vector<TShape> *out, bool inverse) {
  const TShape &d = (*in)[0];
  if (d.empty()) return;
  ComputeSize(p);
  const std::string where = std::string("operator ") + p.op()->name + ": data shape " + ShapeStr(d) + ": ";
  if (d.ndim() != 2 && d.ndim() != 4)
    Throw(ErrorKind::kShape, where, "data must be 2-D (N, d) or 4-D (N1, N2, N3, d)");
  TShape o = d;
  const int64_t last = d[d.ndim() - 1];
  if (inverse) {
    if (last % 2) Throw(ErrorKind::kShape, where, "the last dimension must be even (interleaved real, imaginary)");
    o[o.ndim() - 1] = last / 2;
  } else {
    o[o.ndim() - 1] = last * 2;
  }
  ShapeAssign(&(*out)[0], o, p.op(), "output");
}

void FftShape(const OpParams &p, std::vector<TShape> *in, std::vector<TShape> *out) {
  FftInferShape(p, in, out, false);
}
void IfftShape(const OpParams &p, std::vector<TShape> *in, std::vector<TShape> *out) {
  FftInferShape(p, in, out, true);
}

void FftForward(MXC_NN_FORWARD_ARGS) { Transform(p, in[0], req[0], out[0], false); }
void FftBackward(MXC_NN_BACKWARD_ARGS) { Transform(p, out_grad[0], req[0], in_grad[0], true); }
void IfftForward(MXC_NN_FORWARD_ARGS) { Transform(p, in[0], req[0], out[0], true); }
void IfftBackward(MXC_NN_BACKWARD_ARGS) { Transform(p, out_grad[0], req[0], in_grad[0], false); }

[[maybe_unused]] const int registered = [] {
  OpRegistry::Get()
      ->Register("_contrib_fft")
      .describe("Apply 1D FFT to input: real data (N, d) or (N1, N2, N3, d) to (..., 2 d) as [real0, imag0, real1, "
                "imag1, ...].")
      .set_inputs({"data"})
      .add_param("compute_size", ParamKind::kInt, "128", "Maximum size of sub-batch to be forwarded at one time")
      .set_infer_shape(FftShape)
      .set_infer_type(FloatOnlyTypeInfer)
      .set_compute(MXC_CPU, FftForward)
      .set_backward(MXC_CPU, FftBackward)
      .set_backward_uses(false, false);
  OpRegistry::Get()
      ->Register("_contrib_ifft")
      .describe("Apply 1D ifft to input: interleaved complex data (N, 2 d) or (N1, N2, N3, 2 d) to the real part "
                "(..., d) of the unnormalised inverse transform.")
      .set_inputs({"data"})
      .add_param("compute_size", ParamKind::kInt, "128", "Maximum size of sub-batch to be forwarded at one time")
      .set_infer_shape(IfftShape)
      .set_infer_type(FloatOnlyTypeInfer)
      .set_compute(MXC_CPU, IfftForward)
      .set_backward(MXC_CPU, IfftBackward)
      .set_backward_uses(false, false);
  return 0;
}();

}  // namespace
}  // namespace op
}  // namespace mxc
