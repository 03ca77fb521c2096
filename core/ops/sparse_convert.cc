// Storage conversions and row bookkeeping of mx.nd.sparse (bindings/python/mxc/ndarray/sparse.py) as operators, so
// that a sparse array made from (or turned into) a dense one on a GPU never visits the host. The sizes of a sparse
// result depend on the values, so a conversion takes two steps: a "count" operator gives an exclusive prefix sum
// (int64, n + 1 entries: the position of each row's first stored element and, last, the total), the caller reads
// the total back (one small copy) and passes it to a "fill" operator that writes the components.
//
//   _sparse_csr_count(data)                      2-D data -> indptr (M + 1,): the nonzeros of each row, summed up
//   _sparse_csr_fill(data, indptr; nnz)          -> data (nnz,) and indices (nnz,, int64): the nonzeros row by row
//   _sparse_rsp_count(data)                      N-D data -> (M + 1,): prefix count of the rows holding a nonzero
//   _sparse_compact_rows(data, ptr; count)       -> rows (count, *data.shape[1:]) and positions (count,, int64):
//                                                   the rows i of data with ptr[i + 1] > ptr[i], in order
//   _sparse_rsp_retain(data, indices, keep)    -> (len(keep), *data.shape[1:]): the stored rows keep[i] (zeros
//                                                   where not stored): sparse.retain, whose indices are keep
//   _sparse_index_count(indices; num_rows)       -> (num_rows + 1,): prefix count of the rows named in indices
//                                                   (clipped to [0, num_rows), as Embedding takes its rows)
//   _sparse_csr_todense(data, indices, indptr; num_cols) -> (M, num_cols): repeated entries add up, in entry order
//
// Nonzero means != 0 (NaN counts as nonzero, as NumPy's nonzero). Index inputs may have any numeric dtype (read as
// int64, floats truncated). None of these operators has a gradient (they are index bookkeeping).
#include <algorithm>

#include "nn_util.h"
#include "sparse.h"
#include "tensor_util.h"

namespace mxc {
namespace op {
namespace {

std::vector<int64_t> ReadIndex(const TBlob &b) {
  std::vector<int64_t> v(static_cast<size_t>(b.Size()));
  MXC_TYPE_SWITCH(b.dtype, I, {
    const I *s = b.ptr<I>();
    for (size_t i = 0; i < v.size(); ++i) v[i] = static_cast<int64_t>(s[i]);
  });
  return v;
}

void StoreIndex(const TBlob &out, OpReq req, const std::vector<int64_t> &v) {
  if (req == kNullOp) return;
  int64_t *y = out.ptr<int64_t>();
  for (size_t i = 0; i < v.size(); ++i) Store(y + i, req, v[i]);
}

// rows of data: the size of axis 0 and the size of one row
void Rows(const TShape &s, int64_t *rows, int64_t *inner) {
  *rows = s.empty() ? 0 : s[0];
  *inner = 1;
  for (size_t d = 1; d < s.size(); ++d) *inner *= s[d];
}

void IndexOutType(const OpParams &p, std::vector<int> *out, size_t i) {
  TypeAssign(&(*out)[i], kInt64, p.op(), "output");
}

// The checks of a prefix array ptr (n + 1 entries): starts at 0, ends at total, steps in [0, max_step] (max_step < 0:
// any step >= 0).
void CheckPrefix(const Op *op, const char *name, const std::vector<int64_t> &ptr, int64_t total, int64_t max_step) {
  const int64_t n = static_cast<int64_t>(ptr.size()) - 1;
  MXC_CHECK(ptr[0] == 0 && ptr[n] == total, ErrorKind::kValue, "operator ", op->name, ": ", name,
            " must start at 0 and end at ", total, ", got ", ptr[0], " and ", ptr[n]);
  for (int64_t i = 0; i < n; ++i) {
    const int64_t d = ptr[i + 1] - ptr[i];
    MXC_CHECK(d >= 0 && (max_step < 0 || d <= max_step), ErrorKind::kValue, "operator ", op->name, ": ", name, "[",
              i + 1, "] - ", name, "[", i, "] = ", d, " must be in [0, ", max_step < 0 ? total : max_step, "]");
  }
}

// ---------------------------------------------------------------------------------------------------------------
// dense -> csr
// ---------------------------------------------------------------------------------------------------------------
void CsrCountShape(const OpParams &p, std::vector<TShape> *in, std::vector<TShape> *out) {
  const TShape &d = (*in)[0];
  if (d.empty()) return;
  MXC_CHECK(d.size() == 2, ErrorKind::kShape, "operator ", p.op()->name, ": data must be 2-D (csr storage), got ",
            ShapeStr(d));
  ShapeAssign(&(*out)[0], TShape{d[0] + 1}, p.op(), "output");
}

void RspCountShape(const OpParams &p, std::vector<TShape> *in, std::vector<TShape> *out) {
  const TShape &d = (*in)[0];
  if (d.empty()) return;
  MXC_CHECK(d.size() >= 1, ErrorKind::kShape, "operator ", p.op()->name,
            ": data must have at least one axis (row_sparse storage), got ", ShapeStr(d));
  ShapeAssign(&(*out)[0], TShape{d[0] + 1}, p.op(), "output");
}

void CountType(const OpParams &p, std::vector<int> *in, std::vector<int> *out) {
  (void)in;
  IndexOutType(p, out, 0);
}

template <bool kCsr>
void CountForward(MXC_NN_FORWARD_ARGS) {
  (void)ctx;
  (void)p;
  if (req[0] == kNullOp) return;
  int64_t M, inner;
  Rows(in[0].shape, &M, &inner);
  std::vector<int64_t> ptr(static_cast<size_t>(M + 1), 0);
  MXC_TYPE_SWITCH(in[0].dtype, T, {
    const T *x = in[0].ptr<T>();
    for (int64_t r = 0; r < M; ++r) {
      int64_t c = 0;
      for (int64_t j = 0; j < inner; ++j) c += x[r * inner + j] != T(0) ? 1 : 0;
      ptr[r + 1] = ptr[r] + (kCsr ? c : (c ? 1 : 0));
    }
  });
  StoreIndex(out[0], req[0], ptr);
}

void CsrFillShape(const OpParams &p, std::vector<TShape> *in, std::vector<TShape> *out) {
  const Op *op = p.op();
  const int64_t nnz = p.Int("nnz");
  MXC_CHECK(nnz >= 0, ErrorKind::kValue, "operator ", op->name, ": nnz must be >= 0, got ", nnz);
  const TShape &d = (*in)[0], &ip = (*in)[1];
  if (!d.empty()) {
    MXC_CHECK(d.size() == 2, ErrorKind::kShape, "operator ", op->name, ": data must be 2-D, got ", ShapeStr(d));
    if (!ip.empty())
      MXC_CHECK(ip.size() == 1 && ip[0] == d[0] + 1, ErrorKind::kShape, "operator ", op->name,
                ": indptr must have shape (", d[0] + 1, ",) for data of shape ", ShapeStr(d), ", got ",
                ShapeStr(ip));
  }
  ShapeAssign(&(*out)[0], TShape{nnz}, op, "data");
  ShapeAssign(&(*out)[1], TShape{nnz}, op, "indices");
}

void DataAndIndexType(const OpParams &p, std::vector<int> *in, std::vector<int> *out) {
  const int t = (*in)[0] >= 0 ? (*in)[0] : (*out)[0];
  if (t >= 0) {
    TypeAssign(&(*in)[0], t, p.op(), "data");
    TypeAssign(&(*out)[0], t, p.op(), "output");
  }
  if ((*in)[1] < 0) (*in)[1] = kInt64;
  IndexOutType(p, out, 1);
}

void CsrFillForward(MXC_NN_FORWARD_ARGS) {
  (void)ctx;
  const Op *op = p.op();
  const int64_t M = in[0].shape[0], K = in[0].shape[1], nnz = out[0].Size();
  const std::vector<int64_t> ptr = ReadIndex(in[1]);
  CheckPrefix(op, "indptr", ptr, nnz, K);
  std::vector<int64_t> col(static_cast<size_t>(nnz));
  MXC_TYPE_SWITCH(in[0].dtype, T, {
    const T *x = in[0].ptr<T>();
    std::vector<T> val(static_cast<size_t>(nnz));
    for (int64_t r = 0; r < M; ++r) {
      int64_t e = ptr[r];
      for (int64_t c = 0; c < K; ++c)
        if (x[r * K + c] != T(0)) {
          MXC_CHECK(e < ptr[r + 1], ErrorKind::kValue, "operator ", op->name, ": row ", r, " of data has more than ",
                    ptr[r + 1] - ptr[r], " nonzeros (indptr does not count them)");
          val[e] = x[r * K + c];
          col[e++] = c;
        }
      MXC_CHECK(e == ptr[r + 1], ErrorKind::kValue, "operator ", op->name, ": row ", r, " of data has ", e - ptr[r],
                " nonzeros, indptr says ", ptr[r + 1] - ptr[r]);
    }
    if (req[0] != kNullOp) {
      T *y = out[0].ptr<T>();
      for (int64_t e = 0; e < nnz; ++e) Store(y + e, req[0], static_cast<T>(val[e]));
    }
  });
  StoreIndex(out[1], req[1], col);
}

// ---------------------------------------------------------------------------------------------------------------
// rows: dense -> row_sparse, the rows of an Embedding gradient, retain
// ---------------------------------------------------------------------------------------------------------------
void CompactShape(const OpParams &p, std::vector<TShape> *in, std::vector<TShape> *out) {
  const Op *op = p.op();
  const int64_t count = p.Int("count");
  MXC_CHECK(count >= 0, ErrorKind::kValue, "operator ", op->name, ": count must be >= 0, got ", count);
  const TShape &d = (*in)[0], &ptr = (*in)[1];
  if (d.empty()) return;
  MXC_CHECK(d.size() >= 1, ErrorKind::kShape, "operator ", op->name, ": data must have at least one axis, got ",
            ShapeStr(d));
  if (!ptr.empty())
    MXC_CHECK(ptr.size() == 1 && ptr[0] == d[0] + 1, ErrorKind::kShape, "operator ", op->name,
              ": ptr must have shape (", d[0] + 1, ",) for data of shape ", ShapeStr(d), ", got ", ShapeStr(ptr));
  TShape o = d;
  o[0] = count;
  ShapeAssign(&(*out)[0], o, op, "data");
  ShapeAssign(&(*out)[1], TShape{count}, op, "positions");
}

void CompactForward(MXC_NN_FORWARD_ARGS) {
  (void)ctx;
  int64_t M, inner;
  Rows(in[0].shape, &M, &inner);
  const int64_t count = out[1].Size();
  const std::vector<int64_t> ptr = ReadIndex(in[1]);
  CheckPrefix(p.op(), "ptr", ptr, count, 1);
  std::vector<int64_t> pos(static_cast<size_t>(count));
  for (int64_t i = 0; i < M; ++i)
    if (ptr[i + 1] > ptr[i]) pos[ptr[i]] = i;
  if (req[0] != kNullOp) {
    MXC_TYPE_SWITCH(in[0].dtype, T, {
      const T *x = in[0].ptr<T>();
      T *y = out[0].ptr<T>();
      for (int64_t k = 0; k < count; ++k)
        for (int64_t j = 0; j < inner; ++j) Store(y + k * inner + j, req[0], x[pos[k] * inner + j]);
    });
  }
  StoreIndex(out[1], req[1], pos);
}

void RetainShape(const OpParams &p, std::vector<TShape> *in, std::vector<TShape> *out) {
  const Op *op = p.op();
  const TShape &d = (*in)[0], &ix = (*in)[1], &keep = (*in)[2];
  if (!ix.empty())
    MXC_CHECK(ix.size() == 1, ErrorKind::kShape, "operator ", op->name, ": indices must be 1-D, got ", ShapeStr(ix));
  if (d.empty() || keep.empty()) return;
  MXC_CHECK(d.size() >= 1, ErrorKind::kShape, "operator ", op->name, ": data must have at least one axis, got ",
            ShapeStr(d));
  if (!ix.empty())
    MXC_CHECK(ix[0] == d[0], ErrorKind::kShape, "operator ", op->name, ": data ", ShapeStr(d), " and indices ",
              ShapeStr(ix), " must have the same number of rows");
  TShape o = d;
  o[0] = ShapeSize(keep);
  ShapeAssign(&(*out)[0], o, op, "output");
}

void RetainType(const OpParams &p, std::vector<int> *in, std::vector<int> *out) {
  const int t = (*in)[0] >= 0 ? (*in)[0] : (*out)[0];
  if (t >= 0) {
    TypeAssign(&(*in)[0], t, p.op(), "data");
    TypeAssign(&(*out)[0], t, p.op(), "output");
  }
  for (int i = 1; i <= 2; ++i)
    if ((*in)[i] < 0) (*in)[i] = kInt64;
}

// out[i] = the row of data whose index (indices, increasing) is keep[i], or zeros.
void RetainForward(MXC_NN_FORWARD_ARGS) {
  (void)ctx;
  (void)p;
  if (req[0] == kNullOp) return;
  int64_t M, inner;
  Rows(in[0].shape, &M, &inner);
  const std::vector<int64_t> ix = ReadIndex(in[1]), keep = ReadIndex(in[2]);
  MXC_TYPE_SWITCH(in[0].dtype, T, {
    const T *x = in[0].ptr<T>();
    T *y = out[0].ptr<T>();
    for (size_t i = 0; i < keep.size(); ++i) {
      const auto it = std::lower_bound(ix.begin(), ix.end(), keep[i]);
      const int64_t r = (it != ix.end() && *it == keep[i]) ? static_cast<int64_t>(it - ix.begin()) : -1;
      for (int64_t j = 0; j < inner; ++j)
        Store(y + static_cast<int64_t>(i) * inner + j, req[0], r < 0 ? T(0) : x[r * inner + j]);
    }
  });
}

void IndexCountType(const OpParams &p, std::vector<int> *in, std::vector<int> *out) {
  for (int &t : *in)
    if (t < 0) t = kInt64;
  IndexOutType(p, out, 0);
}

void IndexCountShape(const OpParams &p, std::vector<TShape> *in, std::vector<TShape> *out) {
  (void)in;
  const int64_t R = p.Int("num_rows");
  MXC_CHECK(R >= 1, ErrorKind::kValue, "operator ", p.op()->name, ": num_rows must be >= 1, got ", R);
  ShapeAssign(&(*out)[0], TShape{R + 1}, p.op(), "output");
}

void IndexCountForward(MXC_NN_FORWARD_ARGS) {
  (void)ctx;
  if (req[0] == kNullOp) return;
  const int64_t R = p.Int("num_rows");
  std::vector<char> mark(static_cast<size_t>(R), 0);
  for (int64_t k : ReadIndex(in[0])) mark[std::min(R - 1, std::max<int64_t>(0, k))] = 1;
  std::vector<int64_t> ptr(static_cast<size_t>(R + 1), 0);
  for (int64_t r = 0; r < R; ++r) ptr[r + 1] = ptr[r] + mark[r];
  StoreIndex(out[0], req[0], ptr);
}

// ---------------------------------------------------------------------------------------------------------------
// csr -> dense
// ---------------------------------------------------------------------------------------------------------------
void CsrToDenseShape(const OpParams &p, std::vector<TShape> *in, std::vector<TShape> *out) {
  const Op *op = p.op();
  const int64_t K = p.Int("num_cols");
  MXC_CHECK(K >= 0, ErrorKind::kValue, "operator ", op->name, ": num_cols must be >= 0, got ", K);
  const TShape &d = (*in)[0], &ix = (*in)[1], &ip = (*in)[2];
  if (!d.empty() && !ix.empty())
    MXC_CHECK(d.size() == 1 && ix.size() == 1 && d[0] == ix[0], ErrorKind::kShape, "operator ", op->name,
              ": data and indices must be 1-D of one length (nnz), got ", ShapeStr(d), " and ", ShapeStr(ix));
  if (ip.empty()) return;
  MXC_CHECK(ip.size() == 1 && ip[0] >= 1, ErrorKind::kShape, "operator ", op->name,
            ": indptr must be 1-D with at least one element, got ", ShapeStr(ip));
  ShapeAssign(&(*out)[0], TShape{ip[0] - 1, K}, op, "output");
}

void CsrToDenseType(const OpParams &p, std::vector<int> *in, std::vector<int> *out) {
  const int t = (*in)[0] >= 0 ? (*in)[0] : (*out)[0];
  if (t >= 0) {
    TypeAssign(&(*in)[0], t, p.op(), "data");
    TypeAssign(&(*out)[0], t, p.op(), "output");
  }
  for (int i = 1; i <= 2; ++i)
    if ((*in)[i] < 0) (*in)[i] = kInt64;
}

void CsrToDenseForward(MXC_NN_FORWARD_ARGS) {
  (void)ctx;
  if (req[0] == kNullOp) return;
  const int64_t K = p.Int("num_cols");
  const std::vector<int64_t> col = ReadIndex(in[1]), ptr = ReadIndex(in[2]);
  const int64_t M = static_cast<int64_t>(ptr.size()) - 1, nnz = static_cast<int64_t>(col.size());
  CheckCsr(p.op(), col.data(), nnz, ptr.data(), M + 1, K);
  MXC_TYPE_SWITCH(in[0].dtype, T, {
    const T *a = in[0].ptr<T>();
    T *y = out[0].ptr<T>();
    std::vector<T> row(static_cast<size_t>(K));
    for (int64_t r = 0; r < M; ++r) {
      std::fill(row.begin(), row.end(), T(0));
      for (int64_t e = ptr[r]; e < ptr[r + 1]; ++e) row[col[e]] = static_cast<T>(row[col[e]] + a[e]);
      for (int64_t c = 0; c < K; ++c) Store(y + r * K + c, req[0], static_cast<T>(row[c]));
    }
  });
}

}  // namespace

MXC_REGISTER_OP(_sparse_csr_count)
    .describe("The indptr (M + 1,, int64) of the CSR form of a dense 2-D array: the number of nonzeros of each row, "
              "summed up (step 1 of dense -> csr).")
    .set_inputs({"data"})
    .set_infer_shape(CsrCountShape)
    .set_infer_type(CountType)
    .set_compute(MXC_CPU, CountForward<true>);

MXC_REGISTER_OP(_sparse_csr_fill)
    .describe("The data (nnz,) and column indices (nnz,, int64) of the CSR form of a dense 2-D array, given its "
              "indptr (from _sparse_csr_count) and nnz = indptr[-1] (step 2 of dense -> csr).")
    .set_inputs({"data", "indptr"})
    .add_required_param("nnz", ParamKind::kInt, "Number of nonzeros (indptr[-1]).")
    .set_num_outputs(2)
    .set_infer_shape(CsrFillShape)
    .set_infer_type(DataAndIndexType)
    .set_compute(MXC_CPU, CsrFillForward);

MXC_REGISTER_OP(_sparse_rsp_count)
    .describe("Exclusive prefix count (M + 1,, int64) of the rows (along axis 0) of data holding a nonzero (step 1 "
              "of dense -> row_sparse).")
    .set_inputs({"data"})
    .set_infer_shape(RspCountShape)
    .set_infer_type(CountType)
    .set_compute(MXC_CPU, CountForward<false>);

MXC_REGISTER_OP(_sparse_compact_rows)
    .describe("The rows i of data with ptr[i + 1] > ptr[i] (count of them, in order) and their positions i (int64): "
              "step 2 of dense -> row_sparse and of a row_sparse Embedding gradient.")
    .set_inputs({"data", "ptr"})
    .add_required_param("count", ParamKind::kInt, "Number of rows kept (ptr[-1]).")
    .set_num_outputs(2)
    .set_infer_shape(CompactShape)
    .set_infer_type(DataAndIndexType)
    .set_compute(MXC_CPU, CompactForward);

MXC_REGISTER_OP(_sparse_rsp_retain)
    .describe("The rows keep (any shape, flattened) of a row_sparse array given by data and its increasing row "
              "indices: out[i] = the stored row keep[i], zeros where it is not stored (sparse.retain as MXNet: the "
              "result's indices are keep).")
    .set_inputs({"data", "indices", "keep"})
    .set_infer_shape(RetainShape)
    .set_infer_type(RetainType)
    .set_compute(MXC_CPU, RetainForward);

MXC_REGISTER_OP(_sparse_index_count)
    .describe("Exclusive prefix count (num_rows + 1,, int64) of the rows named in indices (any shape, clipped to "
              "[0, num_rows) as Embedding does): the row set of a row_sparse Embedding gradient.")
    .set_inputs({"indices"})
    .add_required_param("num_rows", ParamKind::kInt, "Number of rows (input_dim of the Embedding).")
    .set_infer_shape(IndexCountShape)
    .set_infer_type(IndexCountType)
    .set_compute(MXC_CPU, IndexCountForward);

MXC_REGISTER_OP(_sparse_csr_todense)
    .describe("The dense (M, num_cols) array of a CSR matrix given by its components data, indices and indptr "
              "(repeated entries add up, in entry order).")
    .set_inputs({"data", "indices", "indptr"})
    .add_required_param("num_cols", ParamKind::kInt, "Number of columns of the CSR matrix.")
    .set_infer_shape(CsrToDenseShape)
    .set_infer_type(CsrToDenseType)
    .set_compute(MXC_CPU, CsrToDenseForward);

}  // namespace op
}  // namespace mxc
