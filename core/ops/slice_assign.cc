// Slice assignment (Python's x[begin:end:step] = value): _slice_assign (an array) and _slice_assign_scalar.
// The output is lhs with the region replaced; called with out=lhs it works in place. Indices follow Python slicing:
// negative values count from the end, None takes the default, out-of-range bounds are clamped, steps may be negative.
// The kernels move bytes, so every dtype (float16 and bool included) is supported.
#include "slice_assign.h"

namespace mxc {
namespace op {
namespace {

using namespace elem;


std::string TupleStr(const std::vector<int64_t> &t) {
  std::string s = "(";
  for (size_t i = 0; i < t.size(); ++i) {
    s += i ? "," : "";
    s += t[i] == kNoneInt ? "None" : std::to_string(t[i]);
  }
  return s + (t.size() == 1 ? ",)" : ")");
}

}  // namespace

Region MakeRegion(const OpParams &p, const TShape &shape) {
  const std::string &op = p.op()->name;
  const auto &begin = p.Tuple("begin");
  const auto &end = p.Tuple("end");
  const auto &step = p.Tuple("step");
  const size_t k = begin.size();
  MXC_CHECK(end.size() == k, ErrorKind::kValue, "operator ", op, ": begin ", TupleStr(begin), " and end ",
            TupleStr(end), " must have the same length");
  MXC_CHECK(step.empty() || step.size() == k, ErrorKind::kValue, "operator ", op, ": step ", TupleStr(step),
            " must be empty or as long as begin ", TupleStr(begin));
  MXC_CHECK(static_cast<int>(k) <= shape.ndim(), ErrorKind::kIndex, "operator ", op, ": ", k,
            " indices for an array of shape ", ShapeStr(shape));
  Region r;
  r.nd = shape.ndim();
  for (int d = 0; d < r.nd; ++d) {
    const int64_t n = shape[d];
    r.shape[d] = n;
    if (d >= static_cast<int>(k)) {
      r.start[d] = 0;
      r.step[d] = 1;
      r.len[d] = n;
      continue;
    }
    int64_t s = step.empty() || step[d] == kNoneInt ? 1 : step[d];
    MXC_CHECK(s != 0, ErrorKind::kValue, "operator ", op, ": step ", TupleStr(step), " has a zero in dimension ", d);
    int64_t b, e;
    if (s > 0) {
      b = begin[d] == kNoneInt ? 0 : (begin[d] < 0 ? begin[d] + n : begin[d]);
      e = end[d] == kNoneInt ? n : (end[d] < 0 ? end[d] + n : end[d]);
      b = std::min(std::max<int64_t>(b, 0), n);
      e = std::min(std::max<int64_t>(e, 0), n);
      r.len[d] = e > b ? (e - b + s - 1) / s : 0;
    } else {
      b = begin[d] == kNoneInt ? n - 1 : (begin[d] < 0 ? begin[d] + n : begin[d]);
      e = end[d] == kNoneInt ? -1 : (end[d] < 0 ? end[d] + n : end[d]);
      b = std::min(std::max<int64_t>(b, -1), n - 1);
      e = std::min(std::max<int64_t>(e, -1), n - 1);
      r.len[d] = b > e ? (b - e - s - 1) / (-s) : 0;
    }
    r.start[d] = b;
    r.step[d] = s;
  }
  r.size = 1;
  for (int d = 0; d < r.nd; ++d) r.size *= r.len[d];
  return r;
}

namespace {

// Merges trailing whole dimensions into the previous one when it has step 1 (x[1:3] on a matrix is one run).
Region Compress(Region r) {
  auto whole = [&](int d) { return r.start[d] == 0 && r.step[d] == 1 && r.len[d] == r.shape[d]; };
  while (r.nd >= 2 && whole(r.nd - 1) && r.step[r.nd - 2] == 1) {
    int a = r.nd - 2, b = r.nd - 1;
    r.start[a] *= r.shape[b];
    r.len[a] *= r.shape[b];
    r.shape[a] *= r.shape[b];
    --r.nd;
  }
  return r;
}

// Calls f(off, stride, len, pos) for every run along the last dimension of the region: off is the array offset of
// the run's first element, stride the element stride within the run, pos the run's index in region order.
template <typename F>
void ForRuns(const Region &r, F f) {
  if (r.size == 0) return;
  const int nd = r.nd;
  int64_t st[kMaxDim];
  st[nd - 1] = 1;
  for (int d = nd - 2; d >= 0; --d) st[d] = st[d + 1] * r.shape[d + 1];
  const int64_t run = r.len[nd - 1], runs = r.size / run, inner = r.step[nd - 1];
  auto one = [&](int64_t q) {
    int64_t off = r.start[nd - 1], rem = q;
    for (int d = nd - 2; d >= 0; --d) {
      off += (r.start[d] + (rem % r.len[d]) * r.step[d]) * st[d];
      rem /= r.len[d];
    }
    f(off, inner, run, q * run);
  };
#ifdef _OPENMP
  if (r.size >= kParallelGrain && runs > 1) {
#pragma omp parallel for schedule(static)
    for (int64_t q = 0; q < runs; ++q) one(q);
    return;
  }
#endif
  for (int64_t q = 0; q < runs; ++q) one(q);
}

// Element-size-generic moves: U is an unsigned integer type of the element's size.
template <typename U>
void ScatterT(const Region &r, void *dst, const void *src) {
  U *d = static_cast<U *>(dst);
  const U *s = static_cast<const U *>(src);
  ForRuns(r, [=](int64_t off, int64_t stride, int64_t len, int64_t pos) {
    if (stride == 1) std::memcpy(d + off, s + pos, len * sizeof(U));
    else
      for (int64_t i = 0; i < len; ++i) d[off + i * stride] = s[pos + i];
  });
}
template <typename U>
void GatherT(const Region &r, const void *src, void *dst) {
  const U *s = static_cast<const U *>(src);
  U *d = static_cast<U *>(dst);
  ForRuns(r, [=](int64_t off, int64_t stride, int64_t len, int64_t pos) {
    if (stride == 1) std::memcpy(d + pos, s + off, len * sizeof(U));
    else
      for (int64_t i = 0; i < len; ++i) d[pos + i] = s[off + i * stride];
  });
}
template <typename U>
void FillT(const Region &r, void *dst, const void *value) {
  U *d = static_cast<U *>(dst);
  U v;
  std::memcpy(&v, value, sizeof(U));
  ForRuns(r, [=](int64_t off, int64_t stride, int64_t len, int64_t) {
    for (int64_t i = 0; i < len; ++i) d[off + i * stride] = v;
  });
}

#define MXC_BYTES_SWITCH(es, U, ...)                        \
  switch (es) {                                              \
    case 1: { typedef uint8_t U; __VA_ARGS__; } break;       \
    case 2: { typedef uint16_t U; __VA_ARGS__; } break;      \
    case 4: { typedef uint32_t U; __VA_ARGS__; } break;      \
    default: { typedef uint64_t U; __VA_ARGS__; } break;     \
  }

// region of dst = src (contiguous, region order).
void Scatter(const Region &r, const TBlob &dst, const void *src) {
  MXC_BYTES_SWITCH(DTypeSize(dst.dtype), U, ScatterT<U>(r, dst.dptr, src));
}
// dst (contiguous, region order) = region of src.
void Gather(const Region &r, const TBlob &src, void *dst) {
  MXC_BYTES_SWITCH(DTypeSize(src.dtype), U, GatherT<U>(r, src.dptr, dst));
}
void Fill(const Region &r, const TBlob &dst, const void *value) {
  MXC_BYTES_SWITCH(DTypeSize(dst.dtype), U, FillT<U>(r, dst.dptr, value));
}

bool Overlaps(const TBlob &a, const TBlob &b) {
  const char *pa = static_cast<const char *>(a.dptr), *pb = static_cast<const char *>(b.dptr);
  size_t na = a.Size() * DTypeSize(a.dtype), nb = b.Size() * DTypeSize(b.dtype);
  return pa < pb + nb && pb < pa + na;
}

// out (=|+=) lhs with the region set by `set(tmp)` (which writes the region of a full-size array).
template <typename SetRegion>
void AssignForward(const TBlob &lhs, const TBlob &out, OpReq req, SetRegion set) {
  if (req == kNullOp) return;
  const size_t bytes = out.Size() * DTypeSize(out.dtype);
  if (req == kAddTo) {
    std::vector<char> tmp(bytes);
    std::memcpy(tmp.data(), lhs.dptr, bytes);
    TBlob t = out;
    t.dptr = tmp.data();
    set(t);
    MXC_NUMERIC_TYPE_SWITCH(out.dtype, T, {
      T *o = out.ptr<T>();
      const T *s = t.ptr<T>();
      ParallelFor(out.Size(), [=](int64_t i) { o[i] += s[i]; });
    });
    return;
  }
  if (out.dptr != lhs.dptr) std::memcpy(out.dptr, lhs.dptr, bytes);
  set(out);
}

void SliceAssignForward(const OpContext &, const OpParams &p, const std::vector<TBlob> &in,
                        const std::vector<OpReq> &req, const std::vector<TBlob> &out) {
  Region r = Compress(MakeRegion(p, out[0].shape));
  const TBlob &rhs = in[1];
  std::vector<char> copy;
  const void *src = rhs.dptr;
  if (Overlaps(rhs, out[0])) {  // rhs is a view of the output: read it before writing
    copy.assign(static_cast<const char *>(rhs.dptr),
                static_cast<const char *>(rhs.dptr) + rhs.Size() * DTypeSize(rhs.dtype));
    src = copy.data();
  }
  AssignForward(in[0], out[0], req[0], [&](const TBlob &t) { Scatter(r, t, src); });
}

void SliceAssignScalarForward(const OpContext &, const OpParams &p, const std::vector<TBlob> &in,
                              const std::vector<OpReq> &req, const std::vector<TBlob> &out) {
  Region r = Compress(MakeRegion(p, out[0].shape));
  char value[8] = {0};
  const double s = p.Float("scalar");
  MXC_ANY_TYPE_SWITCH(out[0].dtype, T, {
    T v = Convert<T>::From_(s);
    std::memcpy(value, &v, sizeof(T));
  });
  AssignForward(in[0], out[0], req[0], [&](const TBlob &t) { Fill(r, t, value); });
}

// d lhs = out_grad outside the region, 0 inside.
void MaskedGrad(const Region &r, const TBlob &og, const TBlob &g, OpReq req) {
  if (req == kNullOp) return;
  MXC_REAL_TYPE_SWITCH(g.dtype, T, {
    const T zero = 0;
    if (req == kAddTo) {
      // Keep the region's existing values, add everywhere, put them back.
      std::vector<T> keep(r.size);
      Gather(r, g, keep.data());
      T *gp = g.ptr<T>();
      const T *o = og.ptr<T>();
      ParallelFor(g.Size(), [=](int64_t i) { gp[i] += o[i]; });
      Scatter(r, g, keep.data());
    } else {
      if (g.dptr != og.dptr) std::memcpy(g.dptr, og.dptr, g.Size() * sizeof(T));
      Fill(r, g, &zero);
    }
  });
}

void SliceAssignBackward(const OpContext &, const OpParams &p, const std::vector<TBlob> &out_grad,
                         const std::vector<TBlob> &, const std::vector<TBlob> &, const std::vector<OpReq> &req,
                         const std::vector<TBlob> &in_grad) {
  const TBlob &og = out_grad[0];
  Region r = Compress(MakeRegion(p, og.shape));
  // d rhs first (in_grad[0] may share storage with out_grad).
  if (req.size() > 1 && req[1] != kNullOp) {
    MXC_REAL_TYPE_SWITCH(og.dtype, T, {
      if (req[1] == kAddTo) {
        std::vector<T> part(r.size);
        Gather(r, og, part.data());
        T *g = in_grad[1].ptr<T>();
        const T *s = part.data();
        ParallelFor(r.size, [=](int64_t i) { g[i] += s[i]; });
      } else {
        Gather(r, og, in_grad[1].dptr);
      }
    });
  }
  MaskedGrad(r, og, in_grad[0], req[0]);
}

// lhs and out share a shape; rhs must have the region's shape.
void SliceAssignShape(const OpParams &p, std::vector<TShape> *in, std::vector<TShape> *out) {
  TShape &lhs = (*in)[0];
  ShapeAssign(&lhs, (*out)[0], p.op(), "lhs");
  ShapeAssign(&(*out)[0], lhs, p.op(), "output");
  if (!ShapeKnown(lhs)) return;
  TShape region = MakeRegion(p, lhs).Shape();
  if (in->size() < 2) return;
  TShape &rhs = (*in)[1];
  if (rhs.empty()) {
    rhs = region;
    return;
  }
  bool ok = rhs.size() == region.size();
  for (size_t i = 0; ok && i < rhs.size(); ++i) ok = rhs[i] == 0 || rhs[i] == region[i];
  if (!ok)
    Throw(ErrorKind::kShape, "operator ", p.op()->name, ": rhs has shape ", ShapeStr(rhs), " but the region [",
          TupleStr(p.Tuple("begin")), ":", TupleStr(p.Tuple("end")), ":", TupleStr(p.Tuple("step")),
          "] of lhs ", ShapeStr(lhs), " has shape ", ShapeStr(region));
  rhs = region;
}

void SliceAssignScalarType(const OpParams &p, std::vector<int> *in, std::vector<int> *out) {
  SameTypeInfer(p, in, out);
}

Op &SliceParams(Op &op) {
  return op.add_required_param("begin", ParamKind::kOptTuple, "Starting indices of the region (None: default).")
      .add_required_param("end", ParamKind::kOptTuple, "Ending indices of the region, exclusive (None: default).")
      .add_param("step", ParamKind::kOptTuple, "()", "Step of the region per dimension (None or empty: 1).");
}

int Register() {
  SliceParams(OpRegistry::Get()
                  ->Register("_slice_assign")
                  .describe("Returns lhs with the region lhs[begin:end:step] replaced by rhs (Python slicing).")
                  .add_alias("_crop_assign")
                  .set_inputs({"lhs", "rhs"}))
      .set_infer_shape(SliceAssignShape)
      .set_infer_type(SameTypeInfer)
      .set_inplace({{0, 0}})
      .set_compute(MXC_CPU, SliceAssignForward)
      .set_backward(MXC_CPU, SliceAssignBackward)
      .set_backward_uses(false, false);
  SliceParams(OpRegistry::Get()
                  ->Register("_slice_assign_scalar")
                  .describe("Returns data with the region data[begin:end:step] set to `scalar` (Python slicing).")
                  .add_alias("_crop_assign_scalar")
                  .set_inputs({"data"})
                  .add_param("scalar", ParamKind::kFloat, "0", "The value to assign (converted to the dtype)."))
      .set_infer_shape(SliceAssignShape)
      .set_infer_type(SliceAssignScalarType)
      .set_inplace({{0, 0}})
      .set_compute(MXC_CPU, SliceAssignScalarForward)
      .set_backward(MXC_CPU, SliceAssignBackward)
      .set_backward_uses(false, false);
  return 0;
}

[[maybe_unused]] const int registered = Register();

}  // namespace
}  // namespace op
}  // namespace mxc
