// More indexing operators of MXNet 1.x: contrib.index_copy, contrib.arange_like, ravel_multi_index,
// unravel_index, scatter_nd, batch_take.
//
// - index_copy(old_tensor, index_vector, new_tensor): a copy of old_tensor whose rows index_vector[i] are
//   new_tensor[i]. Gradients: old gets the head gradient off the copied rows, new the copied rows of it.
// - arange_like(data, start, step, repeat, axis): start + (i / repeat) * step shaped like data (or like its axis).
// - ravel_multi_index(data (M, ...), shape): flat indices sum_k data[k] * stride_k (no bounds check, as MXNet);
//   unravel_index(data, shape): the inverse, shape (M, data...) (the first coordinate not wrapped).
// - scatter_nd(data, indices (M, ...), shape): zeros of `shape` with data written at the M-d indices (the later
//   of repeated indices wins); the gradient of data gathers the head gradient there.
// - batch_take(a (..., K), indices): out[i] = a[i, indices[i]] over the flattened leading axes, indices clipped to
//   [0, K); not differentiable (as MXNet).
#include <vector>

#include "nn_util.h"
#include "tensor_util.h"

namespace mxc {
namespace op {
namespace {

// Reads element i of an index array of any arithmetic dtype as int64.
int64_t IndexAt(const TBlob &b, int64_t i) {
  int64_t v = 0;
  MXC_ARITH_TYPE_SWITCH(b.dtype, T, { v = static_cast<int64_t>(b.ptr<T>()[i]); });
  return v;
}

void AnyIndexTypeInfer(const OpParams &p, std::vector<int> *in, std::vector<int> *out, size_t index_input) {
  CheckDType(p, (*in)[index_input], InputName(p, index_input).c_str(), IsArith,
             "an arithmetic dtype (not bool or float16)");
  std::vector<int> data_in;
  for (size_t i = 0; i < in->size(); ++i)
    if (i != index_input) data_in.push_back((*in)[i]);
  SameTypeInfer(p, &data_in, out);
  for (size_t i = 0, j = 0; i < in->size(); ++i)
    if (i != index_input) (*in)[i] = data_in[j++];
}

// ---------------------------------------------------------------------------------------------------------------
// index_copy
// ---------------------------------------------------------------------------------------------------------------
void IndexCopyInferShape(const OpParams &p, std::vector<TShape> *in, std::vector<TShape> *out) {
  const Op *op = p.op();
  const TShape &old = (*in)[0], &idx = (*in)[1], &nw = (*in)[2];
  if (old.empty() || idx.empty() || nw.empty()) return;
  bool ok = idx.ndim() == 1 && nw.ndim() == old.ndim() && nw[0] == idx[0];
  for (int a = 1; ok && a < old.ndim(); ++a) ok = nw[a] == old[a];
  if (!ok)
    Throw(ErrorKind::kShape, "operator ", op->name, ": new_tensor shape ", ShapeStr(nw),
          " must be (len(index_vector), old_tensor's other axes) for old_tensor shape ", ShapeStr(old),
          " and index_vector shape ", ShapeStr(idx));
  ShapeAssign(&(*out)[0], old, op, "output");
}

void IndexCopyForward(MXC_FCOMPUTE_ARGS) {
  if (req[0] == kNullOp) return;
  const int64_t rows = in[0].shape[0], row = rows ? in[0].Size() / rows : 0, k = in[1].Size();
  std::vector<int64_t> idx(static_cast<size_t>(k));
  for (int64_t i = 0; i < k; ++i) {
    idx[i] = IndexAt(in[1], i);
    if (idx[i] < 0 || idx[i] >= rows)
      Throw(ErrorKind::kValue, "operator ", p.op()->name, ": index_vector[", i, "] = ", idx[i],
            " is out of range for old_tensor shape ", ShapeStr(in[0].shape));
  }
  MXC_ARITH_TYPE_SWITCH(in[0].dtype, T, {
    const T *old = in[0].ptr<T>(), *nw = in[2].ptr<T>();
    T *y = out[0].ptr<T>();
    std::vector<T> res(old, old + in[0].Size());
    for (int64_t i = 0; i < k; ++i) std::copy(nw + i * row, nw + (i + 1) * row, res.begin() + idx[i] * row);
    for (int64_t j = 0; j < in[0].Size(); ++j) Store(y + j, req[0], res[j]);
  });
}

void IndexCopyBackward(MXC_FBACKWARD_ARGS) {
  (void)out;
  const int64_t rows = in[0].shape[0], row = rows ? in[0].Size() / rows : 0, k = in[1].Size();
  std::vector<bool> copied(static_cast<size_t>(rows), false);
  std::vector<int64_t> idx(static_cast<size_t>(k));
  for (int64_t i = 0; i < k; ++i) {
    idx[i] = IndexAt(in[1], i);
    if (idx[i] < 0 || idx[i] >= rows) return;  // the forward reported it
    copied[idx[i]] = true;
  }
  ZeroIfWrite(ig[1], req[1]);
  MXC_ARITH_TYPE_SWITCH(og[0].dtype, T, {
    const T *g = og[0].ptr<T>();
    if (req[0] != kNullOp)
      for (int64_t j = 0; j < in[0].Size(); ++j) Store(ig[0].ptr<T>() + j, req[0], copied[j / row] ? T(0) : g[j]);
    if (req[2] != kNullOp)
      for (int64_t i = 0; i < k; ++i)
        for (int64_t j = 0; j < row; ++j) Store(ig[2].ptr<T>() + i * row + j, req[2], g[idx[i] * row + j]);
  });
}

// ---------------------------------------------------------------------------------------------------------------
// arange_like
// ---------------------------------------------------------------------------------------------------------------
void ArangeLikeInferShape(const OpParams &p, std::vector<TShape> *in, std::vector<TShape> *out) {
  MXC_CHECK(p.Int("repeat") >= 1, ErrorKind::kValue, "operator ", p.op()->name, ": repeat must be positive, got ",
            p.Int("repeat"));
  const TShape &d = (*in)[0];
  if (d.empty()) return;
  if (p.IsNone("axis")) {
    ShapeAssign(&(*out)[0], d, p.op(), "output");
    return;
  }
  const int a = NormalizeAxis(p, p.Int("axis"), d.ndim(), "axis", d);
  ShapeAssign(&(*out)[0], TShape{d[a]}, p.op(), "output");
}

void ArangeLikeForward(MXC_FCOMPUTE_ARGS) {
  (void)in;
  if (req[0] == kNullOp) return;
  const double start = p.Float("start"), step = p.Float("step");
  const int64_t rep = p.Int("repeat");
  MXC_ARITH_TYPE_SWITCH(out[0].dtype, T, {
    MapReq(out[0].ptr<T>(), req[0], out[0].Size(),
           [=](int64_t i) { return static_cast<T>(start + static_cast<double>(i / rep) * step); });
  });
}

void ZeroGrads(MXC_FBACKWARD_ARGS) {
  (void)p, (void)og, (void)in, (void)out;
  for (size_t i = 0; i < ig.size(); ++i) ZeroIfWrite(ig[i], req[i]);
}

// ---------------------------------------------------------------------------------------------------------------
// ravel_multi_index, unravel_index
// ---------------------------------------------------------------------------------------------------------------
std::vector<int64_t> RavelShape(const OpParams &p) {
  const auto &s = p.Tuple("shape");
  if (s.empty()) Throw(ErrorKind::kValue, "operator ", p.op()->name, ": parameter 'shape' must not be empty");
  for (int64_t d : s)
    if (d < 1)
      Throw(ErrorKind::kValue, "operator ", p.op()->name, ": shape ", TupleStr(s), " must have positive dimensions");
  return s;
}

void RavelInferShape(const OpParams &p, std::vector<TShape> *in, std::vector<TShape> *out) {
  const auto s = RavelShape(p);
  const TShape &d = (*in)[0];
  if (d.empty()) return;
  if (d[0] != static_cast<int64_t>(s.size()))
    Throw(ErrorKind::kShape, "operator ", p.op()->name, ": the first dimension of data shape ", ShapeStr(d),
          " must be the number of dimensions of shape ", TupleStr(s));
  TShape o(d.begin() + 1, d.end());
  if (o.empty()) o.push_back(1);
  ShapeAssign(&(*out)[0], o, p.op(), "output");
}

void UnravelInferShape(const OpParams &p, std::vector<TShape> *in, std::vector<TShape> *out) {
  const auto s = RavelShape(p);
  const TShape &d = (*in)[0];
  if (d.empty()) return;
  TShape o{static_cast<int64_t>(s.size())};
  for (int64_t v : d) o.push_back(v);
  ShapeAssign(&(*out)[0], o, p.op(), "output");
}

template <bool kRavel>
void RavelForward(MXC_FCOMPUTE_ARGS) {
  if (req[0] == kNullOp) return;
  const auto s = RavelShape(p);
  const int m = static_cast<int>(s.size());
  std::vector<int64_t> st(m, 1);
  for (int k = m - 2; k >= 0; --k) st[k] = st[k + 1] * s[k + 1];
  MXC_ARITH_TYPE_SWITCH(in[0].dtype, T, {
    const T *x = in[0].ptr<T>();
    T *y = out[0].ptr<T>();
    if (kRavel) {
      const int64_t n = out[0].Size();
      for (int64_t i = 0; i < n; ++i) {
        int64_t v = 0;
        for (int k = 0; k < m; ++k) v += static_cast<int64_t>(x[k * n + i]) * st[k];
        Store(y + i, req[0], static_cast<T>(v));
      }
    } else {
      const int64_t n = in[0].Size();
      for (int64_t i = 0; i < n; ++i) {
        const int64_t v = static_cast<int64_t>(x[i]);
        for (int k = 0; k < m; ++k) Store(y + k * n + i, req[0], static_cast<T>(k == 0 ? v / st[0] : v / st[k] % s[k]));
      }
    }
  });
}

// ---------------------------------------------------------------------------------------------------------------
// scatter_nd
// ---------------------------------------------------------------------------------------------------------------
void ScatterNdInferShape(const OpParams &p, std::vector<TShape> *in, std::vector<TShape> *out) {
  const Op *op = p.op();
  const auto &s = p.Tuple("shape");
  const TShape &d = (*in)[0], &idx = (*in)[1];
  TShape o(s.begin(), s.end());
  for (int64_t v : s)
    if (v < 0)
      Throw(ErrorKind::kValue, "operator ", op->name, ": shape ", TupleStr(s), " has a negative dimension");
  if (d.empty() || idx.empty()) return;
  bool ok = idx.ndim() >= 1 && idx[0] >= 1 && idx[0] <= static_cast<int64_t>(s.size()) &&
            d.ndim() == idx.ndim() - 1 + static_cast<int>(s.size()) - static_cast<int>(idx[0]);
  for (int a = 1; ok && a < idx.ndim(); ++a) ok = d[a - 1] == idx[a];
  for (int a = static_cast<int>(idx[0]); ok && a < static_cast<int>(s.size()); ++a)
    ok = d[idx.ndim() - 1 + a - idx[0]] == s[a];
  if (!ok)
    Throw(ErrorKind::kShape, "operator ", op->name, ": invalid combination of data shape ", ShapeStr(d),
          ", indices shape ", ShapeStr(idx), " and shape ", TupleStr(s),
          " (data must be indices.shape[1:] + shape[indices.shape[0]:])");
  ShapeAssign(&(*out)[0], o, op, "output");
}

// For each of the n index tuples, the offset of its block (of `block` elements) in the output; -1 out of range.
std::vector<int64_t> NdOffsets(const TBlob &idx, const std::vector<int64_t> &shape, int64_t *block) {
  const int m = static_cast<int>(idx.shape[0]);
  const int64_t n = idx.Size() / m;
  *block = 1;
  for (size_t a = m; a < shape.size(); ++a) *block *= shape[a];
  std::vector<int64_t> off(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) {
    int64_t o = 0;
    for (int k = 0; k < m; ++k) {
      const int64_t v = IndexAt(idx, k * n + i);
      if (v < 0 || v >= shape[k]) {
        o = -1;
        break;
      }
      o = o * shape[k] + v;
    }
    off[i] = o < 0 ? -1 : o * *block;
  }
  return off;
}

void ScatterNdForward(MXC_FCOMPUTE_ARGS) {
  if (req[0] == kNullOp) return;
  int64_t block;
  const std::vector<int64_t> off = NdOffsets(in[1], p.Tuple("shape"), &block);
  for (size_t i = 0; i < off.size(); ++i)
    if (off[i] < 0)
      Throw(ErrorKind::kValue, "operator ", p.op()->name, ": index ", i, " of indices is out of range for shape ",
            TupleStr(p.Tuple("shape")));
  MXC_ARITH_TYPE_SWITCH(in[0].dtype, T, {
    const T *x = in[0].ptr<T>();
    std::vector<T> res(static_cast<size_t>(out[0].Size()), T(0));
    for (size_t i = 0; i < off.size(); ++i) std::copy(x + i * block, x + (i + 1) * block, res.begin() + off[i]);
    T *y = out[0].ptr<T>();
    for (size_t j = 0; j < res.size(); ++j) Store(y + j, req[0], res[j]);
  });
}

void ScatterNdBackward(MXC_FBACKWARD_ARGS) {
  (void)out;
  ZeroIfWrite(ig[1], req[1]);
  if (req[0] == kNullOp) return;
  int64_t block;
  const std::vector<int64_t> off = NdOffsets(in[1], p.Tuple("shape"), &block);
  MXC_ARITH_TYPE_SWITCH(og[0].dtype, T, {
    const T *g = og[0].ptr<T>();
    T *dx = ig[0].ptr<T>();
    for (size_t i = 0; i < off.size(); ++i)
      for (int64_t j = 0; j < block; ++j) Store(dx + i * block + j, req[0], off[i] < 0 ? T(0) : g[off[i] + j]);
  });
}

// ---------------------------------------------------------------------------------------------------------------
// batch_take
// ---------------------------------------------------------------------------------------------------------------
void BatchTakeInferShape(const OpParams &p, std::vector<TShape> *in, std::vector<TShape> *out) {
  const TShape &a = (*in)[0], &idx = (*in)[1];
  if (a.empty() || idx.empty()) return;
  const int64_t k = a[a.ndim() - 1], rows = k ? ShapeSize(a) / k : 0;
  if (rows != ShapeSize(idx))
    Throw(ErrorKind::kShape, "operator ", p.op()->name, ": indices shape ", ShapeStr(idx), " must have ", rows,
          " elements, one per row of a shape ", ShapeStr(a), " (its size without the last axis)");
  ShapeAssign(&(*out)[0], idx, p.op(), "output");
}

void BatchTakeForward(MXC_FCOMPUTE_ARGS) {
  (void)p;
  if (req[0] == kNullOp) return;
  const int64_t k = in[0].shape[in[0].ndim() - 1], n = out[0].Size();
  MXC_ARITH_TYPE_SWITCH(in[0].dtype, T, {
    const T *a = in[0].ptr<T>();
    T *y = out[0].ptr<T>();
    for (int64_t i = 0; i < n; ++i) {
      const int64_t j = std::max<int64_t>(0, std::min<int64_t>(k - 1, IndexAt(in[1], i)));
      Store(y + i, req[0], a[i * k + j]);
    }
  });
}

}  // namespace

MXC_REGISTER_OP(_contrib_index_copy)
    .describe("A copy of old_tensor whose rows index_vector[i] are replaced by new_tensor[i].")
    .set_inputs({"old_tensor", "index_vector", "new_tensor"})
    .set_infer_shape(IndexCopyInferShape)
    .set_infer_type([](const OpParams &p, std::vector<int> *in, std::vector<int> *out) {
      AnyIndexTypeInfer(p, in, out, 1);
    })
    .set_compute(MXC_CPU, IndexCopyForward)
    .set_backward(MXC_CPU, IndexCopyBackward)
    .set_backward_uses(true, false);

MXC_REGISTER_OP(_contrib_arange_like)
    .describe("start + (i / repeat) * step shaped like data (or like the given axis of data).")
    .set_inputs({"data"})
    .add_param("start", ParamKind::kFloat, "0", "Start of interval.")
    .add_param("step", ParamKind::kFloat, "1", "Spacing between values.")
    .add_param("repeat", ParamKind::kInt, "1", "The repeating time of all elements.")
    .add_param("ctx", ParamKind::kString, "", "Context of the output (taken from the call).")
    .add_param("axis", ParamKind::kOptInt, "None",
               "Arange along the size of this axis of data; None: shaped like data.")
    .set_infer_shape(ArangeLikeInferShape)
    .set_compute(MXC_CPU, ArangeLikeForward)
    .set_backward(MXC_CPU, ZeroGrads)
    .set_backward_uses(false, false);

MXC_REGISTER_OP(ravel_multi_index)
    .describe("Flat indices of a batch of multi-indices (data of shape (len(shape), ...)) into an array of shape.")
    .add_alias("_ravel_multi_index")
    .set_inputs({"data"})
    .add_param("shape", ParamKind::kShape, "()", "Shape of the array into which the multi-indices apply.")
    .set_infer_shape(RavelInferShape)
    .set_infer_type([](const OpParams &p, std::vector<int> *in, std::vector<int> *out) {
      SameTypeInfer(p, in, out);
      CheckDType(p, (*in)[0], "data", IsArith, "an arithmetic dtype (not bool or float16)");
    })
    .set_compute(MXC_CPU, RavelForward<true>);

MXC_REGISTER_OP(unravel_index)
    .describe("Multi-indices (shape (len(shape), ...)) of flat indices into an array of shape.")
    .add_alias("_unravel_index")
    .set_inputs({"data"})
    .add_param("shape", ParamKind::kShape, "()", "Shape of the array into which the multi-indices apply.")
    .set_infer_shape(UnravelInferShape)
    .set_infer_type([](const OpParams &p, std::vector<int> *in, std::vector<int> *out) {
      SameTypeInfer(p, in, out);
      CheckDType(p, (*in)[0], "data", IsArith, "an arithmetic dtype (not bool or float16)");
    })
    .set_compute(MXC_CPU, RavelForward<false>);

MXC_REGISTER_OP(scatter_nd)
    .describe("Zeros of `shape` with data scattered at the multi-indices of indices (shape (M, ...)).")
    .set_inputs({"data", "indices"})
    .add_required_param("shape", ParamKind::kShape, "Shape of output.")
    .set_infer_shape(ScatterNdInferShape)
    .set_infer_type([](const OpParams &p, std::vector<int> *in, std::vector<int> *out) {
      AnyIndexTypeInfer(p, in, out, 1);
    })
    .set_compute(MXC_CPU, ScatterNdForward)
    .set_backward(MXC_CPU, ScatterNdBackward)
    .set_backward_uses(true, false);

MXC_REGISTER_OP(batch_take)
    .describe("out[i] = a[i, indices[i]] over the rows of a (all axes but the last), indices clipped to the row.")
    .set_inputs({"a", "indices"})
    .set_infer_shape(BatchTakeInferShape)
    .set_infer_type([](const OpParams &p, std::vector<int> *in, std::vector<int> *out) {
      AnyIndexTypeInfer(p, in, out, 1);
    })
    .set_compute(MXC_CPU, BatchTakeForward);

}  // namespace op
}  // namespace mxc
