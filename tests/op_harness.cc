#include "op_harness.h"

#include "ops/elemwise_util.h"

#include <cmath>
#include <random>
#include <sstream>

namespace mxct {

using namespace mxc;

NDArray FromVec(const TShape &shape, const std::vector<double> &values, int dtype) {
  NDArray a(shape, dtype, Device::CPU());
  EXPECT_EQ(static_cast<int64_t>(values.size()), a.Size()) << "FromVec: wrong number of values";
  TBlob b = a.blob();
  MXC_ANY_TYPE_SWITCH(dtype, DType, {
    DType *p = b.ptr<DType>();
    for (int64_t i = 0; i < a.Size(); ++i) p[i] = op::elem::Convert<DType>::From_(values[i]);
  });
  return a;
}

NDArray Random(const TShape &shape, double lo, double hi, int dtype, uint64_t seed) {
  std::mt19937_64 g(seed);
  std::uniform_real_distribution<double> u(lo, hi);
  std::vector<double> v(ShapeSize(shape));
  for (auto &x : v) x = u(g);
  return FromVec(shape, v, dtype);
}

std::vector<double> ToVec(const NDArray &a) {
  a.WaitToRead();
  std::vector<double> v(a.Size());
  TBlob b = a.blob();
  MXC_ANY_TYPE_SWITCH(a.dtype(), DType, {
    const DType *p = b.ptr<DType>();
    for (int64_t i = 0; i < a.Size(); ++i) v[i] = op::elem::Convert<double>::From_(p[i]);
  });
  return v;
}

std::vector<NDArray> Run(const std::string &op, const std::vector<NDArray> &inputs, const Params &params,
                         bool is_train) {
  const Op *o = OpRegistry::Get()->FindOrThrow(op);
  OpParams p(o, params);
  std::vector<NDArray> outs;
  Invoke(o, p, inputs, &outs, is_train);
  for (auto &x : outs) x.WaitToRead();
  return outs;
}

void ExpectNear(const std::vector<double> &actual, const std::vector<double> &expected, double rtol, double atol,
                const std::string &what) {
  ASSERT_EQ(actual.size(), expected.size()) << what << ": size differs";
  int bad = 0;
  for (size_t i = 0; i < actual.size(); ++i) {
    double a = actual[i], e = expected[i];
    bool ok = (std::isnan(a) && std::isnan(e)) || (std::isinf(e) && a == e) ||
              std::fabs(a - e) <= atol + rtol * std::fabs(e);
    if (!ok && bad++ < 5) ADD_FAILURE() << what << ": element " << i << " is " << a << ", expected " << e;
  }
}

namespace {

// Forward in float64 with all outputs (hidden ones too); returns outputs.
std::vector<NDArray> ForwardAll(const Op *op, const OpParams &p, const std::vector<NDArray> &ins, bool is_train) {
  int nout = op->NumOutputs(p);
  std::vector<TShape> in_shapes, out_shapes(nout);
  for (auto &a : ins) in_shapes.push_back(a.shape());
  op->infer_shape(p, &in_shapes, &out_shapes);
  std::vector<int> in_types, out_types(nout, -1);
  for (auto &a : ins) in_types.push_back(a.dtype());
  if (op->infer_type) op->infer_type(p, &in_types, &out_types);
  else SameTypeInfer(p, &in_types, &out_types);
  std::vector<NDArray> outs;
  for (int i = 0; i < nout; ++i) outs.emplace_back(out_shapes[i], out_types[i] < 0 ? kFloat64 : out_types[i],
                                                   Device::CPU());
  std::vector<TBlob> ib, ob;
  for (auto &a : ins) ib.push_back(a.blob());
  for (auto &a : outs) ob.push_back(a.blob());
  OpContext ctx;
  ctx.is_train = is_train;
  ctx.dev = Device::CPU();
  SeedAll(1234);  // random operators draw the same numbers on every call
  ctx.rng = DeviceRNG(ctx.dev);
  std::vector<OpReq> req(nout, kWriteTo);
  op->compute.at(MXC_CPU)(ctx, p, ib, req, ob);
  return outs;
}

double Objective(const std::vector<NDArray> &outs, const std::vector<std::vector<double>> &heads) {
  double s = 0;
  for (size_t j = 0; j < heads.size(); ++j) {
    auto v = ToVec(outs[j]);
    for (size_t k = 0; k < v.size(); ++k) s += v[k] * heads[j][k];
  }
  return s;
}

NDArray Copy(const NDArray &a) {
  NDArray b(a.shape(), a.dtype(), Device::CPU());
  std::memcpy(b.blob().dptr, a.blob().dptr, a.Size() * DTypeSize(a.dtype()));
  return b;
}

}  // namespace

void CheckGradient(const GradCase &c) {
  SCOPED_TRACE("gradient of " + c.op);
  const Op *op = OpRegistry::Get()->FindOrThrow(c.op);
  ASSERT_TRUE(op->HasGradient()) << c.op << " has no gradient";
  OpParams p(op, c.params);
  int nin = op->NumInputs(p);
  ASSERT_EQ(static_cast<int>(c.shapes.size()), nin);
  std::vector<NDArray> ins;
  for (int i = 0; i < nin; ++i) ins.push_back(Random(c.shapes[i], c.lo, c.hi, kFloat64, 1000 + i));
  if (c.fill) c.fill(ins);
  std::vector<bool> check(nin, true);
  for (int i : c.no_grad) check[i] = false;
  for (int i = nin - op->num_aux; i < nin; ++i) check[i] = false;

  auto base_ins = ins;
  std::vector<NDArray> work;
  for (auto &a : ins) work.push_back(Copy(a));
  auto outs = ForwardAll(op, p, work, c.is_train);
  int nvis = op->NumVisibleOutputs(p);
  std::vector<std::vector<double>> heads(nvis);
  std::mt19937_64 g(7);
  std::uniform_real_distribution<double> u(-1, 1);
  for (int j = 0; j < nvis; ++j) {
    heads[j].resize(outs[j].Size());
    for (auto &h : heads[j]) h = u(g);
  }
  // Analytic gradient (kWriteTo)
  std::vector<TBlob> og, id, od, ig;
  std::vector<NDArray> head_arrs;
  for (size_t j = 0; j < outs.size(); ++j) {
    std::vector<double> h = static_cast<int>(j) < nvis ? heads[j] : std::vector<double>(outs[j].Size(), 0.0);
    head_arrs.push_back(FromVec(outs[j].shape(), h, outs[j].dtype()));
    og.push_back(head_arrs.back().blob());
    od.push_back(outs[j].blob());
  }
  std::vector<NDArray> grads;
  std::vector<OpReq> req;
  for (int i = 0; i < nin; ++i) {
    id.push_back(work[i].blob());
    grads.push_back(FromVec(ins[i].shape(), std::vector<double>(ins[i].Size(), 0.0), ins[i].dtype()));
    ig.push_back(grads.back().blob());
    req.push_back(check[i] ? kWriteTo : kNullOp);
  }
  OpContext ctx;
  ctx.is_train = c.is_train;
  ctx.dev = Device::CPU();
  ctx.rng = DeviceRNG(ctx.dev);
  op->backward.at(MXC_CPU)(ctx, p, og, id, od, req, ig);

  // Numeric gradient
  for (int i = 0; i < nin; ++i) {
    if (!check[i]) continue;
    auto analytic = ToVec(grads[i]);
    std::vector<double> numeric(ins[i].Size());
    double *x = ins[i].blob().ptr<double>();
    for (int64_t k = 0; k < ins[i].Size(); ++k) {
      double orig = x[k];
      x[k] = orig + c.eps;
      std::vector<NDArray> w1;
      for (auto &a : ins) w1.push_back(Copy(a));
      double fp = Objective(ForwardAll(op, p, w1, c.is_train), heads);
      x[k] = orig - c.eps;
      std::vector<NDArray> w2;
      for (auto &a : ins) w2.push_back(Copy(a));
      double fm = Objective(ForwardAll(op, p, w2, c.is_train), heads);
      x[k] = orig;
      numeric[k] = (fp - fm) / (2 * c.eps);
    }
    ExpectNear(analytic, numeric, c.rtol, c.atol, c.op + " d/d input " + std::to_string(i));
  }

  // kAddTo adds onto existing values.
  std::vector<NDArray> grads2;
  std::vector<TBlob> ig2;
  std::vector<OpReq> req2;
  for (int i = 0; i < nin; ++i) {
    grads2.push_back(FromVec(ins[i].shape(), std::vector<double>(ins[i].Size(), 0.5), ins[i].dtype()));
    ig2.push_back(grads2.back().blob());
    req2.push_back(check[i] ? kAddTo : kNullOp);
  }
  std::vector<NDArray> work2;
  for (auto &a : base_ins) work2.push_back(Copy(a));
  auto outs2 = ForwardAll(op, p, work2, c.is_train);
  std::vector<TBlob> id2, od2;
  for (auto &a : work2) id2.push_back(a.blob());
  for (auto &a : outs2) od2.push_back(a.blob());
  op->backward.at(MXC_CPU)(ctx, p, og, id2, od2, req2, ig2);
  for (int i = 0; i < nin; ++i) {
    if (!check[i]) continue;
    auto a1 = ToVec(grads[i]);
    for (auto &v : a1) v += 0.5;
    ExpectNear(ToVec(grads2[i]), a1, 1e-9, 1e-9, c.op + " kAddTo input " + std::to_string(i));
  }
}

}  // namespace mxct
