// Sparse-aware kernels of mx.nd.sparse (bindings/python/mxc/ndarray/sparse.py). A CSR matrix (M, num_cols) is
// given to the operators as its three dense components: data (nnz,), indices (nnz,: the column of each entry) and
// indptr (M + 1,: row r holds the entries indptr[r] .. indptr[r + 1] - 1), in any dtype for indices/indptr (read as
// integers).
//
// _sparse_csr_dot(data, indices, indptr, rhs; num_cols, transpose_a): dot(A, rhs) (M, N) or, with transpose_a,
// dot(A^T, rhs) (num_cols, N), rhs dense 2-D. Sums run in double in increasing entry order (the GPU kernels of
// cuda/sparse.cu sum in the same order). Gradients: data (the products the entry took part in), rhs (the product
// with the other orientation of A); indices and indptr get none (zeros).
#include "nn_util.h"
#include "sparse.h"

namespace mxc {
namespace op {
namespace {

void CsrDotInferShape(const OpParams &p, std::vector<TShape> *in, std::vector<TShape> *out) {
  const Op *op = p.op();
  const int64_t K = p.Int("num_cols");
  const bool ta = p.Bool("transpose_a");
  MXC_CHECK(K >= 0, ErrorKind::kValue, "operator ", op->name, ": num_cols must be >= 0, got ", K);
  const TShape &d = (*in)[0], &ix = (*in)[1], &ip = (*in)[2], &r = (*in)[3];
  if (!d.empty() || !ix.empty()) {
    MXC_CHECK((d.empty() || d.size() == 1) && (ix.empty() || ix.size() == 1), ErrorKind::kShape, "operator ",
              op->name, ": data and indices must be 1-D, got ", ShapeStr(d), " and ", ShapeStr(ix));
    if (!d.empty() && !ix.empty())
      MXC_CHECK(d[0] == ix[0], ErrorKind::kShape, "operator ", op->name,
                ": data and indices must have the same length (nnz), got ", ShapeStr(d), " and ", ShapeStr(ix));
  }
  if (ip.empty() || r.empty()) return;
  MXC_CHECK(ip.size() == 1 && ip[0] >= 1, ErrorKind::kShape, "operator ", op->name,
            ": indptr must be 1-D with at least one element, got ", ShapeStr(ip));
  MXC_CHECK(r.size() == 2, ErrorKind::kShape, "operator ", op->name, ": rhs must be 2-D, got ", ShapeStr(r));
  const int64_t M = ip[0] - 1;
  const int64_t inner = ta ? M : K;
  MXC_CHECK(r[0] == inner, ErrorKind::kShape, "operator ", op->name, ": the csr matrix of shape (", M, ", ", K,
            ")", ta ? " transposed" : "", " cannot be multiplied with rhs of shape ", ShapeStr(r));
  ShapeAssign(&(*out)[0], TShape{ta ? K : M, r[1]}, op, "output");
}

void CsrDotInferType(const OpParams &p, std::vector<int> *in, std::vector<int> *out) {
  int t = (*in)[0] >= 0 ? (*in)[0] : (*in)[3] >= 0 ? (*in)[3] : (*out)[0];
  if (t < 0) return;
  TypeAssign(&(*in)[0], t, p.op(), "data");
  TypeAssign(&(*in)[3], t, p.op(), "rhs");
  TypeAssign(&(*out)[0], t, p.op(), "output");
  for (int i = 1; i <= 2; ++i)
    if ((*in)[i] < 0) (*in)[i] = kInt64;
}

// The indices and indptr as int64, checked: indptr starts at 0, never decreases and ends at nnz; every index is in
// [0, num_cols).
void ReadCsr(const Op *op, const TBlob &ix, const TBlob &ip, int64_t K, std::vector<int64_t> *col,
             std::vector<int64_t> *ptr) {
  const int64_t nnz = ix.Size(), np1 = ip.Size();
  col->resize(nnz);
  ptr->resize(np1);
  MXC_TYPE_SWITCH(ix.dtype, I, {
    const I *s = ix.ptr<I>();
    for (int64_t e = 0; e < nnz; ++e) (*col)[e] = static_cast<int64_t>(s[e]);
  });
  MXC_TYPE_SWITCH(ip.dtype, I, {
    const I *s = ip.ptr<I>();
    for (int64_t r = 0; r < np1; ++r) (*ptr)[r] = static_cast<int64_t>(s[r]);
  });
  CheckCsr(op, col->data(), nnz, ptr->data(), np1, K);
}

// y (rows x N, req) = A x (transposed = false: rows = M, x has K rows) or A^T x (rows = K, x has M rows).
template <typename T>
void CsrTimes(const std::vector<int64_t> &col, const std::vector<int64_t> &ptr, const T *a, const T *x, int64_t N,
              bool transposed, int64_t rows, T *y, OpReq req) {
  const int64_t M = static_cast<int64_t>(ptr.size()) - 1;
  std::vector<double> acc(static_cast<size_t>(rows * N), 0.0);
  if (!transposed) {
    ParallelForWork(M, N * (M ? (ptr[M] / M + 1) : 1), [&](int64_t r) {
      double *dst = acc.data() + r * N;
      for (int64_t e = ptr[r]; e < ptr[r + 1]; ++e) {
        const double v = static_cast<double>(a[e]);
        const T *src = x + col[e] * N;
        for (int64_t n = 0; n < N; ++n) dst[n] += v * static_cast<double>(src[n]);
      }
    });
  } else {
    for (int64_t r = 0; r < M; ++r)
      for (int64_t e = ptr[r]; e < ptr[r + 1]; ++e) {
        const double v = static_cast<double>(a[e]);
        const T *src = x + r * N;
        double *dst = acc.data() + col[e] * N;
        for (int64_t n = 0; n < N; ++n) dst[n] += v * static_cast<double>(src[n]);
      }
  }
  MapReq(y, req, rows * N, [&](int64_t i) { return static_cast<T>(acc[i]); });
}

void CsrDotForward(MXC_NN_FORWARD_ARGS) {
  if (req[0] == kNullOp) return;
  const int64_t K = p.Int("num_cols");
  const bool ta = p.Bool("transpose_a");
  std::vector<int64_t> col, ptr;
  ReadCsr(p.op(), in[1], in[2], K, &col, &ptr);
  const int64_t N = in[3].shape[1];
  MXC_REAL_TYPE_SWITCH(in[0].dtype, T, {
    CsrTimes<T>(col, ptr, in[0].ptr<T>(), in[3].ptr<T>(), N, ta, out[0].shape[0], out[0].ptr<T>(), req[0]);
  });
}

void CsrDotBackward(MXC_NN_BACKWARD_ARGS) {
  ZeroGrad(in_grad[1], req[1]);
  ZeroGrad(in_grad[2], req[2]);
  if (req[0] == kNullOp && req[3] == kNullOp) return;
  const int64_t K = p.Int("num_cols");
  const bool ta = p.Bool("transpose_a");
  std::vector<int64_t> col, ptr;
  ReadCsr(p.op(), in_data[1], in_data[2], K, &col, &ptr);
  const int64_t M = static_cast<int64_t>(ptr.size()) - 1, N = in_data[3].shape[1];
  MXC_REAL_TYPE_SWITCH(in_data[0].dtype, T, {
    const T *a = in_data[0].ptr<T>(), *x = in_data[3].ptr<T>(), *dy = out_grad[0].ptr<T>();
    if (req[0] != kNullOp) {
      // d data[e] = <dy[out row of e], x[in row of e]>
      std::vector<int64_t> row(col.size());
      for (int64_t r = 0; r < M; ++r)
        for (int64_t e = ptr[r]; e < ptr[r + 1]; ++e) row[e] = r;
      T *g = in_grad[0].ptr<T>();
      MapReq(g, req[0], static_cast<int64_t>(col.size()), [&](int64_t e) {
        const T *u = dy + (ta ? col[e] : row[e]) * N, *v = x + (ta ? row[e] : col[e]) * N;
        double s = 0;
        for (int64_t n = 0; n < N; ++n) s += static_cast<double>(u[n]) * static_cast<double>(v[n]);
        return static_cast<T>(s);
      });
    }
    // d rhs = A^T dy (or A dy with transpose_a)
    if (req[3] != kNullOp) CsrTimes<T>(col, ptr, a, dy, N, !ta, in_grad[3].shape[0], in_grad[3].ptr<T>(), req[3]);
  });
}

}  // namespace

MXC_REGISTER_OP(_sparse_csr_dot)
    .describe("dot(A, rhs) (or dot(A^T, rhs) with transpose_a) of a CSR matrix A given by its components data, "
              "indices and indptr, with num_cols columns, and a dense 2-D rhs; the output is dense. The kernel of "
              "mx.nd.sparse.dot with a csr lhs.")
    .set_inputs({"data", "indices", "indptr", "rhs"})
    .add_required_param("num_cols", ParamKind::kInt, "Number of columns of the CSR matrix.")
    .add_param("transpose_a", ParamKind::kBool, "False", "Multiply with the transposed CSR matrix.")
    .set_infer_shape(CsrDotInferShape)
    .set_infer_type(CsrDotInferType)
    .set_compute(MXC_CPU, CsrDotForward)
    .set_backward(MXC_CPU, CsrDotBackward)
    .set_backward_uses(true, false);

}  // namespace op
}  // namespace mxc
