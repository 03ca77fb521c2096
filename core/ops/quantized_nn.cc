// Quantized layers (MXNet 1.x contrib names): _contrib_quantized_fully_connected, _contrib_quantized_flatten,
// _contrib_quantized_conv and _contrib_quantized_pooling.
// Forward only. int8 (or uint8) data and int8 weight multiply into int32 sums; the int8 bias is rescaled to the
// output's units (quant_impl.h: QuantBiasFactor, QuantBiasInt32); the outputs' range is that of the int32 product
// (QuantProductRange), as MXNet 1.9.1's pip build gives.
#include <vector>

#include "nn_util.h"
#include "quantization.h"

namespace mxc {
namespace op {
namespace {

float RangeOf(const TBlob &lo, const TBlob &hi) { return QuantMaxAbs(lo.ptr<float>()[0], hi.ptr<float>()[0]); }

void CheckDtype(const Op *op, const char *arg, int t, std::initializer_list<int> ok) {
  if (t < 0) return;
  std::string names;
  for (int o : ok) {
    if (o == t) return;
    names += std::string(names.empty() ? "" : ", ") + DTypeName(o);
  }
  Throw(ErrorKind::kType, "operator ", op->name, ": '", arg, "' has dtype ", DTypeName(t), ", which is not supported (",
        names, ")");
}

// ---------------------------------------------------------------------------------------------------------------
// quantized_fully_connected: inputs data, weight, [bias], min_data, max_data, min_weight, max_weight,
// [min_bias, max_bias]
// ---------------------------------------------------------------------------------------------------------------
std::vector<std::string> QFCInputs(const OpParams &p) {
  if (p.Bool("no_bias")) return {"data", "weight", "min_data", "max_data", "min_weight", "max_weight"};
  return {"data", "weight", "bias", "min_data", "max_data", "min_weight", "max_weight", "min_bias", "max_bias"};
}

void QFCInferShape(const OpParams &p, std::vector<TShape> *in, std::vector<TShape> *out) {
  const Op *op = p.op();
  const int64_t nh = p.Int("num_hidden");
  MXC_CHECK(nh > 0, ErrorKind::kValue, "operator ", op->name, ": num_hidden must be positive, got ", nh);
  const bool bias = !p.Bool("no_bias");
  const auto names = QFCInputs(p);
  for (size_t k = bias ? 3 : 2; k < in->size(); ++k) ShapeAssign(&(*in)[k], TShape{1}, op, names[k]);
  if (bias) ShapeAssign(&(*in)[2], TShape{nh}, op, "bias");
  ShapeAssign(&(*out)[1], TShape{1}, op, "min_output");
  ShapeAssign(&(*out)[2], TShape{1}, op, "max_output");
  const TShape &d = (*in)[0];
  if (d.empty()) {
    ShapeAssign(&(*in)[1], TShape{nh, 0}, op, "weight");
    return;
  }
  if (p.Bool("flatten")) {
    int64_t k = 1;
    for (int i = 1; i < d.ndim(); ++i) k *= d[i];
    ShapeAssign(&(*in)[1], TShape{nh, k}, op, "weight");
    ShapeAssign(&(*out)[0], TShape{d[0], nh}, op, "output");
  } else {
    ShapeAssign(&(*in)[1], TShape{nh, d.back()}, op, "weight");
    TShape o = d;
    o.back() = nh;
    ShapeAssign(&(*out)[0], o, op, "output");
  }
}

void QFCInferType(const OpParams &p, std::vector<int> *in, std::vector<int> *out) {
  const Op *op = p.op();
  const auto names = QFCInputs(p);
  CheckDtype(op, "data", (*in)[0], {kInt8, kUint8});
  TypeAssign(&(*in)[1], kInt8, op, "weight");
  const bool bias = !p.Bool("no_bias");
  if (bias) TypeAssign(&(*in)[2], kInt8, op, "bias");
  for (size_t k = bias ? 3 : 2; k < in->size(); ++k) TypeAssign(&(*in)[k], kFloat32, op, names[k]);
  TypeAssign(&(*out)[0], kInt32, op, "output");
  TypeAssign(&(*out)[1], kFloat32, op, "min_output");
  TypeAssign(&(*out)[2], kFloat32, op, "max_output");
}

template <typename D>
void QFCRun(const OpParams &p, const std::vector<TBlob> &in, const std::vector<OpReq> &req,
            const std::vector<TBlob> &out) {
  const bool bias = !p.Bool("no_bias");
  const int r0 = bias ? 3 : 2;  // first range input
  const int64_t nh = p.Int("num_hidden"), k = in[1].shape[1];
  const int64_t rows = k ? in[0].Size() / k : out[0].Size() / nh;
  const bool d8 = in[0].dtype == kInt8;
  const float md = RangeOf(in[r0], in[r0 + 1]), mw = RangeOf(in[r0 + 2], in[r0 + 3]);
  std::vector<int32_t> b(static_cast<size_t>(nh), 0);
  if (bias) {
    const float f = QuantBiasFactor(d8, md, mw, RangeOf(in[r0 + 4], in[r0 + 5]));
    for (int64_t h = 0; h < nh; ++h) b[h] = QuantBiasInt32(in[2].ptr<int8_t>()[h], f);
  }
  const D *x = in[0].ptr<D>();
  const int8_t *w = in[1].ptr<int8_t>();
  int32_t *y = out[0].ptr<int32_t>();
  if (req[0] != kNullOp)
    ParallelForWork(rows, nh * k, [&](int64_t r) {
      for (int64_t h = 0; h < nh; ++h) {
        int32_t acc = b[h];
        for (int64_t j = 0; j < k; ++j) acc += static_cast<int32_t>(x[r * k + j]) * static_cast<int32_t>(w[h * k + j]);
        Assign(y + r * nh + h, req[0], acc);
      }
    });
  const float m = QuantProductRange(d8, md, mw);
  Assign(out[1].ptr<float>(), req[1], -m);
  Assign(out[2].ptr<float>(), req[2], m);
}

void QFCForward(MXC_NN_FORWARD_ARGS) {
  if (in[0].dtype == kInt8) QFCRun<int8_t>(p, in, req, out);
  else QFCRun<uint8_t>(p, in, req, out);
}

// ---------------------------------------------------------------------------------------------------------------
// quantized_flatten: data (N, ...) -> (N, prod ...), the range passed through
// ---------------------------------------------------------------------------------------------------------------
void QFlattenInferShape(const OpParams &p, std::vector<TShape> *in, std::vector<TShape> *out) {
  const Op *op = p.op();
  ShapeAssign(&(*in)[1], TShape{1}, op, "min_data");
  ShapeAssign(&(*in)[2], TShape{1}, op, "max_data");
  ShapeAssign(&(*out)[1], TShape{1}, op, "min_output");
  ShapeAssign(&(*out)[2], TShape{1}, op, "max_output");
  const TShape &d = (*in)[0];
  if (d.empty()) return;
  if (d.ndim() < 1) Throw(ErrorKind::kShape, "operator ", op->name, ": data shape ", ShapeStr(d), " has no axis");
  int64_t k = 1;
  for (int i = 1; i < d.ndim(); ++i) k *= d[i];
  ShapeAssign(&(*out)[0], TShape{d[0], k}, op, "output");
}

void QFlattenInferType(const OpParams &p, std::vector<int> *in, std::vector<int> *out) {
  const Op *op = p.op();
  CheckDtype(op, "data", (*in)[0], {kInt8, kUint8, kInt32, kFloat32});
  if ((*in)[0] >= 0) TypeAssign(&(*out)[0], (*in)[0], op, "output");
  else if ((*out)[0] >= 0) TypeAssign(&(*in)[0], (*out)[0], op, "data");
  TypeAssign(&(*in)[1], kFloat32, op, "min_data");
  TypeAssign(&(*in)[2], kFloat32, op, "max_data");
  TypeAssign(&(*out)[1], kFloat32, op, "min_output");
  TypeAssign(&(*out)[2], kFloat32, op, "max_output");
}

void QFlattenForward(MXC_NN_FORWARD_ARGS) {
  MXC_TYPE_SWITCH(in[0].dtype, T, {
    const T *x = in[0].ptr<T>();
    T *y = out[0].ptr<T>();
    if (req[0] != kNullOp) ParallelFor(in[0].Size(), [&](int64_t i) { Assign(y + i, req[0], x[i]); });
  });
  Assign(out[1].ptr<float>(), req[1], in[1].ptr<float>()[0]);
  Assign(out[2].ptr<float>(), req[2], in[2].ptr<float>()[0]);
}

std::vector<std::string> RangeOutputNames(const OpParams &) { return {"output", "min_output", "max_output"}; }

// ---------------------------------------------------------------------------------------------------------------
// quantized_act: relu of int8 (or uint8) data, the range passed through
// ---------------------------------------------------------------------------------------------------------------
void QActInferShape(const OpParams &p, std::vector<TShape> *in, std::vector<TShape> *out) {
  const Op *op = p.op();
  if (p.Str("act_type") != "relu")
    Throw(ErrorKind::kValue, "operator ", op->name, ": act_type '", p.Str("act_type"),
          "' is not supported (relu only, as MXNet 1.9.1)");
  ShapeAssign(&(*in)[1], TShape{1}, op, "min_data");
  ShapeAssign(&(*in)[2], TShape{1}, op, "max_data");
  ShapeAssign(&(*out)[1], TShape{1}, op, "min_output");
  ShapeAssign(&(*out)[2], TShape{1}, op, "max_output");
  if (!(*in)[0].empty()) ShapeAssign(&(*out)[0], (*in)[0], op, "output");
  else if (!(*out)[0].empty()) ShapeAssign(&(*in)[0], (*out)[0], op, "data");
}

void QActForward(MXC_NN_FORWARD_ARGS) {
  if (req[0] != kNullOp) {
    if (in[0].dtype == kInt8) {
      const int8_t *x = in[0].ptr<int8_t>();
      int8_t *y = out[0].ptr<int8_t>();
      ParallelFor(in[0].Size(), [&](int64_t i) { Assign(y + i, req[0], x[i] > 0 ? x[i] : int8_t(0)); });
    } else {
      const uint8_t *x = in[0].ptr<uint8_t>();
      uint8_t *y = out[0].ptr<uint8_t>();
      ParallelFor(in[0].Size(), [&](int64_t i) { Assign(y + i, req[0], x[i]); });
    }
  }
  Assign(out[1].ptr<float>(), req[1], in[1].ptr<float>()[0]);
  Assign(out[2].ptr<float>(), req[2], in[2].ptr<float>()[0]);
}

// ---------------------------------------------------------------------------------------------------------------
// quantized_concat: num_args int8/uint8 arrays, then their ranges (min, max per array); the output is int8 when an
// input is, else uint8, with the smallest min and largest max as range, each input rescaled to it
// ---------------------------------------------------------------------------------------------------------------
std::vector<std::string> QConcatInputs(const OpParams &p) {
  const int64_t n = p.Int("num_args");
  MXC_CHECK(n >= 1 && n <= (1 << 20), ErrorKind::kValue, "operator ", p.op()->name,
            ": num_args must be in [1, 2^20], got ", n);
  std::vector<std::string> r;
  for (int64_t i = 0; i < n; ++i) r.push_back("arg" + std::to_string(i));
  for (int64_t i = 0; i < n; ++i) {
    r.push_back("arg" + std::to_string(i) + "_min");
    r.push_back("arg" + std::to_string(i) + "_max");
  }
  return r;
}

int QConcatAxis(const OpParams &p, const TShape &s) { return NormalizeAxis(p.Int("dim"), s.ndim(), p.op(), "dim"); }

void QConcatInferShape(const OpParams &p, std::vector<TShape> *in, std::vector<TShape> *out) {
  const Op *op = p.op();
  const int64_t n = p.Int("num_args");
  const auto names = QConcatInputs(p);
  for (int64_t k = n; k < 3 * n; ++k) ShapeAssign(&(*in)[k], TShape{1}, op, names[k]);
  ShapeAssign(&(*out)[1], TShape{1}, op, "min_output");
  ShapeAssign(&(*out)[2], TShape{1}, op, "max_output");
  for (int64_t i = 0; i < n; ++i)
    if ((*in)[i].empty()) return;
  const TShape &first = (*in)[0];
  const int ax = QConcatAxis(p, first);
  TShape o = first;
  o[ax] = 0;
  for (int64_t i = 0; i < n; ++i) {
    const TShape &s = (*in)[i];
    bool ok = s.ndim() == first.ndim();
    for (int d = 0; ok && d < s.ndim(); ++d) ok = d == ax || s[d] == first[d];
    if (!ok)
      Throw(ErrorKind::kShape, "operator ", op->name, ": input ", names[i], " of shape ", ShapeStr(s),
            " does not match ", names[0], " of shape ", ShapeStr(first), " outside dim ", ax);
    o[ax] += s[ax];
  }
  ShapeAssign(&(*out)[0], o, op, "output");
}

void QConcatInferType(const OpParams &p, std::vector<int> *in, std::vector<int> *out) {
  const Op *op = p.op();
  const int64_t n = p.Int("num_args");
  const auto names = QConcatInputs(p);
  bool known = true, any8 = false;
  for (int64_t i = 0; i < n; ++i) {
    CheckDtype(op, names[i].c_str(), (*in)[i], {kInt8, kUint8});
    known = known && (*in)[i] >= 0;
    any8 = any8 || (*in)[i] == kInt8;
  }
  for (int64_t k = n; k < 3 * n; ++k) TypeAssign(&(*in)[k], kFloat32, op, names[k]);
  if (known || any8) TypeAssign(&(*out)[0], any8 ? kInt8 : kUint8, op, "output");
  TypeAssign(&(*out)[1], kFloat32, op, "min_output");
  TypeAssign(&(*out)[2], kFloat32, op, "max_output");
}

template <typename S, typename D>
void QConcatCopy(const S *x, int64_t outer, int64_t inner, int64_t out_inner, int64_t off, float f, bool same,
                 int lo, int hi, D *y, OpReq req) {
  ParallelForWork(outer, inner, [&](int64_t o) {
    for (int64_t j = 0; j < inner; ++j) {
      const D v = same ? static_cast<D>(x[o * inner + j])
                       : static_cast<D>(QuantizeOne(static_cast<float>(x[o * inner + j]), f, lo, hi));
      Assign(y + o * out_inner + off + j, req, v);
    }
  });
}

void QConcatForward(MXC_NN_FORWARD_ARGS) {
  const int64_t n = p.Int("num_args");
  std::vector<float> r(static_cast<size_t>(2 * n));
  for (int64_t i = 0; i < 2 * n; ++i) r[i] = in[n + i].ptr<float>()[0];
  float lo, hi;
  QuantConcatRange(r.data(), n, &lo, &hi);
  const bool o8 = out[0].dtype == kInt8;
  const float mo = QuantMaxAbs(lo, hi), ro = o8 ? 127.5f : 255.5f;
  if (req[0] != kNullOp) {
    const TShape &os = out[0].shape;
    const int ax = QConcatAxis(p, os);
    const AxisSplit so = SplitAt(os, ax);
    int64_t off = 0;
    for (int64_t i = 0; i < n; ++i) {
      const bool i8 = in[i].dtype == kInt8;
      const float f = QuantConcatFactor(QuantMaxAbs(r[2 * i], r[2 * i + 1]), i8 ? 127.5f : 255.5f, mo, ro);
      const bool same = i8 == o8 && f == 1.0f;
      const int64_t inner = in[i].shape[ax] * so.inner;
      if (o8) {
        int8_t *y = out[0].ptr<int8_t>();
        if (i8) QConcatCopy(in[i].ptr<int8_t>(), so.outer, inner, so.n * so.inner, off, f, same, -128, 127, y, req[0]);
        else QConcatCopy(in[i].ptr<uint8_t>(), so.outer, inner, so.n * so.inner, off, f, false, -128, 127, y, req[0]);
      } else {
        QConcatCopy(in[i].ptr<uint8_t>(), so.outer, inner, so.n * so.inner, off, f, same, 0, 255,
                    out[0].ptr<uint8_t>(), req[0]);
      }
      off += inner;
    }
  }
  Assign(out[1].ptr<float>(), req[1], lo);
  Assign(out[2].ptr<float>(), req[2], hi);
}

// A 2-D spatial parameter: the given pair, or `def` twice when empty; ValueError naming op and parameter otherwise.
std::vector<int64_t> Pair(const OpParams &p, const char *name, int64_t def, int64_t min) {
  std::vector<int64_t> t = p.Tuple(name);
  if (t.empty()) t = {def, def};
  if (t.size() != 2)
    Throw(ErrorKind::kValue, "operator ", p.op()->name, ": parameter '", name, "' ", ShapeStr(TShape(t)),
          " must have 2 dimensions (only 2-D NCHW data is supported)");
  for (int64_t v : t)
    if (v < min)
      Throw(ErrorKind::kValue, "operator ", p.op()->name, ": parameter '", name, "' ", ShapeStr(TShape(t)),
            " must be at least ", min);
  return t;
}

void Check4D(const OpParams &p, const TShape &d) {
  const std::string &layout = p.Str("layout");
  if (layout != "None" && layout != "NCHW")
    Throw(ErrorKind::kValue, "operator ", p.op()->name, ": layout ", layout, " is not supported (NCHW)");
  if (d.ndim() != 4)
    Throw(ErrorKind::kShape, "operator ", p.op()->name, ": data shape ", ShapeStr(d),
          ": 4-D (batch, channel, height, width) data required");
}

// ---------------------------------------------------------------------------------------------------------------
// quantized_conv: inputs as quantized_fully_connected's
// ---------------------------------------------------------------------------------------------------------------
QConvGeom QConvGeometry(const OpParams &p, const TShape &d) {
  const Op *op = p.op();
  Check4D(p, d);
  QConvGeom g{};
  const auto k = Pair(p, "kernel", 0, 1), s = Pair(p, "stride", 1, 1), pad = Pair(p, "pad", 0, 0),
             dil = Pair(p, "dilate", 1, 1);
  g.N = d[0], g.C = d[1], g.H = d[2], g.W = d[3];
  g.F = p.Int("num_filter"), g.G = p.Int("num_group");
  MXC_CHECK(g.F > 0 && g.G > 0, ErrorKind::kValue, "operator ", op->name, ": num_filter ", g.F, " and num_group ",
            g.G, " must be positive");
  if (g.C % g.G || g.F % g.G)
    Throw(ErrorKind::kShape, "operator ", op->name, ": data shape ", ShapeStr(d), ", num_filter ", g.F,
          ": channels and filters must be divisible by num_group=", g.G);
  g.kh = k[0], g.kw = k[1], g.sh = s[0], g.sw = s[1], g.ph = pad[0], g.pw = pad[1], g.dh = dil[0], g.dw = dil[1];
  const int64_t eh = g.dh * (g.kh - 1) + 1, ew = g.dw * (g.kw - 1) + 1;
  if (g.H + 2 * g.ph < eh || g.W + 2 * g.pw < ew)
    Throw(ErrorKind::kShape, "operator ", op->name, ": kernel ", ShapeStr(TShape(k)), " (dilated) is larger than the "
          "padded data of shape ", ShapeStr(d));
  g.oh = (g.H + 2 * g.ph - eh) / g.sh + 1;
  g.ow = (g.W + 2 * g.pw - ew) / g.sw + 1;
  return g;
}

void QConvInferShape(const OpParams &p, std::vector<TShape> *in, std::vector<TShape> *out) {
  const Op *op = p.op();
  const bool bias = !p.Bool("no_bias");
  const auto names = QFCInputs(p);
  const int64_t F = p.Int("num_filter");
  for (size_t k = bias ? 3 : 2; k < in->size(); ++k) ShapeAssign(&(*in)[k], TShape{1}, op, names[k]);
  if (bias) ShapeAssign(&(*in)[2], TShape{F}, op, "bias");
  ShapeAssign(&(*out)[1], TShape{1}, op, "min_output");
  ShapeAssign(&(*out)[2], TShape{1}, op, "max_output");
  const TShape &d = (*in)[0];
  if (d.empty()) return;
  const QConvGeom g = QConvGeometry(p, d);
  ShapeAssign(&(*in)[1], TShape{g.F, g.C / g.G, g.kh, g.kw}, op, "weight");
  ShapeAssign(&(*out)[0], TShape{g.N, g.F, g.oh, g.ow}, op, "output");
}

template <typename D>
void QConvRun(const OpParams &p, const std::vector<TBlob> &in, const std::vector<OpReq> &req,
              const std::vector<TBlob> &out) {
  const bool bias = !p.Bool("no_bias");
  const int r0 = bias ? 3 : 2;
  const QConvGeom g = QConvGeometry(p, in[0].shape);
  const D *x = in[0].ptr<D>();
  const int8_t *w = in[1].ptr<int8_t>(), *b = bias ? in[2].ptr<int8_t>() : nullptr;
  int32_t *y = out[0].ptr<int32_t>();
  if (req[0] != kNullOp)
    ParallelForWork(g.N * g.F * g.oh, g.ow * g.C / g.G * g.kh * g.kw, [&](int64_t row) {
      for (int64_t e = row * g.ow; e < (row + 1) * g.ow; ++e) Assign(y + e, req[0], QConvOutput(g, x, w, b, e));
    });
  const float m = QuantProductRange(true, RangeOf(in[r0], in[r0 + 1]), RangeOf(in[r0 + 2], in[r0 + 3]));
  Assign(out[1].ptr<float>(), req[1], -m);
  Assign(out[2].ptr<float>(), req[2], m);
}

void QConvForward(MXC_NN_FORWARD_ARGS) {
  if (in[0].dtype == kInt8) QConvRun<int8_t>(p, in, req, out);
  else QConvRun<uint8_t>(p, in, req, out);
}

// ---------------------------------------------------------------------------------------------------------------
// quantized_pooling: data, min_data, max_data; max or avg, the range passed through
// ---------------------------------------------------------------------------------------------------------------
QPoolGeom QPoolGeometry(const OpParams &p, const TShape &d) {
  const Op *op = p.op();
  Check4D(p, d);
  const std::string &type = p.Str("pool_type");
  if (type != "max" && type != "avg")
    Throw(ErrorKind::kValue, "operator ", op->name, ": pool_type '", type, "' is not supported (max, avg)");
  if (p.Str("pooling_convention") == "same")
    Throw(ErrorKind::kValue, "operator ", op->name, ": pooling_convention 'same' is not supported (valid, full)");
  QPoolGeom g{};
  g.N = d[0], g.C = d[1], g.H = d[2], g.W = d[3];
  g.avg = type == "avg";
  g.count_include_pad = p.Bool("count_include_pad");
  if (p.Bool("global_pool")) {
    g.kh = g.H, g.kw = g.W, g.sh = g.sw = 1, g.oh = g.ow = 1;
    return g;
  }
  const auto k = Pair(p, "kernel", 0, 1), s = Pair(p, "stride", 1, 1), pad = Pair(p, "pad", 0, 0);
  g.kh = k[0], g.kw = k[1], g.sh = s[0], g.sw = s[1], g.ph = pad[0], g.pw = pad[1];
  if (g.H + 2 * g.ph < g.kh || g.W + 2 * g.pw < g.kw)
    Throw(ErrorKind::kShape, "operator ", op->name, ": kernel ", ShapeStr(TShape(k)),
          " is larger than the padded data of shape ", ShapeStr(d));
  const bool full = p.Str("pooling_convention") == "full";
  g.oh = full ? 1 + (g.H + 2 * g.ph - g.kh + g.sh - 1) / g.sh : 1 + (g.H + 2 * g.ph - g.kh) / g.sh;
  g.ow = full ? 1 + (g.W + 2 * g.pw - g.kw + g.sw - 1) / g.sw : 1 + (g.W + 2 * g.pw - g.kw) / g.sw;
  return g;
}

void QPoolInferShape(const OpParams &p, std::vector<TShape> *in, std::vector<TShape> *out) {
  const Op *op = p.op();
  ShapeAssign(&(*in)[1], TShape{1}, op, "min_data");
  ShapeAssign(&(*in)[2], TShape{1}, op, "max_data");
  ShapeAssign(&(*out)[1], TShape{1}, op, "min_output");
  ShapeAssign(&(*out)[2], TShape{1}, op, "max_output");
  const TShape &d = (*in)[0];
  if (d.empty()) return;
  const QPoolGeom g = QPoolGeometry(p, d);
  ShapeAssign(&(*out)[0], TShape{g.N, g.C, g.oh, g.ow}, op, "output");
}

void QPoolInferType(const OpParams &p, std::vector<int> *in, std::vector<int> *out) {
  const Op *op = p.op();
  CheckDtype(op, "data", (*in)[0], {kInt8, kUint8});
  if ((*in)[0] >= 0) TypeAssign(&(*out)[0], (*in)[0], op, "output");
  TypeAssign(&(*in)[1], kFloat32, op, "min_data");
  TypeAssign(&(*in)[2], kFloat32, op, "max_data");
  TypeAssign(&(*out)[1], kFloat32, op, "min_output");
  TypeAssign(&(*out)[2], kFloat32, op, "max_output");
}

template <typename D>
void QPoolRun(const QPoolGeom &g, const TBlob &x, OpReq req, const TBlob &y) {
  const D *xp = x.ptr<D>();
  D *yp = y.ptr<D>();
  ParallelForWork(g.N * g.C, g.oh * g.ow * g.kh * g.kw, [&](int64_t pl) {
    for (int64_t e = pl * g.oh * g.ow; e < (pl + 1) * g.oh * g.ow; ++e) Assign(yp + e, req, QPoolOutput(g, xp, e));
  });
}

void QPoolForward(MXC_NN_FORWARD_ARGS) {
  if (req[0] != kNullOp) {
    const QPoolGeom g = QPoolGeometry(p, in[0].shape);
    if (in[0].dtype == kInt8) QPoolRun<int8_t>(g, in[0], req[0], out[0]);
    else QPoolRun<uint8_t>(g, in[0], req[0], out[0]);
  }
  Assign(out[1].ptr<float>(), req[1], in[1].ptr<float>()[0]);
  Assign(out[2].ptr<float>(), req[2], in[2].ptr<float>()[0]);
}

[[maybe_unused]] const int registered = [] {
  OpRegistry::Get()
      ->Register("_contrib_quantized_fully_connected")
      .describe("FullyConnected on int8 (or uint8) data and int8 weight and bias, with their float32 ranges: int32 "
                "output = data * weight^T + the bias rescaled to the product's units, and the output's range "
                "+-(2^31 - 1) Md Mw / (127 * 127) (127 * 255 for uint8 data). Forward only.")
      .set_inputs({"data", "weight", "bias", "min_data", "max_data", "min_weight", "max_weight", "min_bias",
                   "max_bias"})
      .set_input_names(QFCInputs)
      .set_num_outputs(3)
      .set_output_names(RangeOutputNames)
      .add_required_param("num_hidden", ParamKind::kInt, "Number of hidden units of the output.")
      .add_param("no_bias", ParamKind::kBool, "False", "Whether to disable the bias (then there is no bias input).")
      .add_param("flatten", ParamKind::kBool, "True", "Whether to collapse all but the first axis of the input data.")
      .set_infer_shape(QFCInferShape)
      .set_infer_type(QFCInferType)
      .set_compute(MXC_CPU, QFCForward);
  OpRegistry::Get()
      ->Register("_contrib_quantized_flatten")
      .describe("Flatten of quantized data: (N, ...) to (N, prod(...)), the range min_data, max_data passed through.")
      .set_inputs({"data", "min_data", "max_data"})
      .set_num_outputs(3)
      .set_output_names(RangeOutputNames)
      .set_infer_shape(QFlattenInferShape)
      .set_infer_type(QFlattenInferType)
      .set_compute(MXC_CPU, QFlattenForward);
  OpRegistry::Get()
      ->Register("_contrib_quantized_conv")
      .describe("2-D Convolution (NCHW) on int8 or uint8 data and int8 weight, with their float32 ranges: int32 "
                "output = the convolution + the int8 bias as it is (as MXNet 1.9.1's pip build), and the output's "
                "range +-(2^31 - 1) Md Mw / (127 * 127). stride, pad, dilate and num_group as Convolution. Forward "
                "only.")
      .set_inputs({"data", "weight", "bias", "min_data", "max_data", "min_weight", "max_weight", "min_bias",
                   "max_bias"})
      .set_input_names(QFCInputs)
      .set_num_outputs(3)
      .set_output_names(RangeOutputNames)
      .add_required_param("kernel", ParamKind::kShape, "Convolution kernel size: (h, w).")
      .add_param("stride", ParamKind::kShape, "()", "Convolution stride: (h, w). Defaults to 1 per dimension.")
      .add_param("dilate", ParamKind::kShape, "()", "Convolution dilation: (h, w). Defaults to 1 per dimension.")
      .add_param("pad", ParamKind::kShape, "()", "Zero padding: (h, w). Defaults to 0 per dimension.")
      .add_required_param("num_filter", ParamKind::kInt, "Number of output channels.")
      .add_param("num_group", ParamKind::kInt, "1", "Number of groups the channels are split into.")
      .add_param("workspace", ParamKind::kInt, "1024", "Accepted for MXNet compatibility.")
      .add_param("no_bias", ParamKind::kBool, "False", "Whether to disable the bias (then there is no bias input).")
      .add_param("cudnn_tune", ParamKind::kEnum, "None", "Accepted for MXNet compatibility.",
                 {"None", "fastest", "limited_workspace", "off"})
      .add_param("cudnn_off", ParamKind::kBool, "False", "Accepted for MXNet compatibility.")
      .add_param("layout", ParamKind::kEnum, "None", "Data layout: NCHW only (None: default).",
                 {"None", "NCDHW", "NCHW", "NCW", "NDHWC", "NHWC"})
      .set_infer_shape(QConvInferShape)
      .set_infer_type(QFCInferType)
      .set_compute(MXC_CPU, QConvForward);
  OpRegistry::Get()
      ->Register("_contrib_quantized_pooling")
      .describe("2-D Pooling (NCHW, max or avg) of int8 or uint8 data with Pooling's windows; avg rounds half to "
                "even. The range min_data, max_data is passed through. Forward only.")
      .set_inputs({"data", "min_data", "max_data"})
      .set_num_outputs(3)
      .set_output_names(RangeOutputNames)
      .add_param("kernel", ParamKind::kShape, "()", "Pooling kernel size: (h, w). Ignored with global_pool.")
      .add_param("pool_type", ParamKind::kEnum, "max", "Pooling type: max or avg.", {"avg", "lp", "max", "sum"})
      .add_param("global_pool", ParamKind::kBool, "False", "Pool over the whole spatial extent.")
      .add_param("cudnn_off", ParamKind::kBool, "False", "Accepted for MXNet compatibility.")
      .add_param("pooling_convention", ParamKind::kEnum, "valid", "valid rounds the output size down, full up.",
                 {"full", "same", "valid"})
      .add_param("stride", ParamKind::kShape, "()", "Pooling stride: (h, w). Defaults to 1 per dimension.")
      .add_param("pad", ParamKind::kShape, "()", "Padding: (h, w). Defaults to 0 per dimension.")
      .add_param("p_value", ParamKind::kOptInt, "None", "Accepted for MXNet compatibility (lp is not supported).")
      .add_param("count_include_pad", ParamKind::kBool, "True",
                 "avg: divide by the window size including the padding (else the part inside the data).")
      .add_param("layout", ParamKind::kEnum, "None", "Data layout: NCHW only (None: default).",
                 {"None", "NCDHW", "NCHW", "NCW", "NDHWC", "NHWC", "NWC"})
      .set_infer_shape(QPoolInferShape)
      .set_infer_type(QPoolInferType)
      .set_compute(MXC_CPU, QPoolForward);
  OpRegistry::Get()
      ->Register("_contrib_quantized_act")
      .describe("Activation (relu only) of int8 or uint8 data: max(q, 0); the range min_data, max_data is passed "
                "through. Forward only.")
      .set_inputs({"data", "min_data", "max_data"})
      .set_num_outputs(3)
      .set_output_names(RangeOutputNames)
      .add_required_param("act_type", ParamKind::kEnum, "Activation function: relu only.",
                          {"relu", "sigmoid", "softrelu", "softsign", "tanh"})
      .set_infer_shape(QActInferShape)
      .set_infer_type(QPoolInferType)
      .set_compute(MXC_CPU, QActForward);
  OpRegistry::Get()
      ->Register("_contrib_quantized_concat")
      .describe("Concat of int8/uint8 arrays with their ranges: the output (int8 when an input is, else uint8) has "
                "the smallest min and largest max as range, and each input is rescaled to it. Forward only.")
      .set_variadic("num_args", "data")
      .set_input_names(QConcatInputs)
      .set_num_outputs(3)
      .set_output_names(RangeOutputNames)
      .add_required_param("num_args", ParamKind::kInt, "Number of inputs to be concatenated.")
      .add_param("dim", ParamKind::kInt, "1", "The dimension to be concatenated.")
      .set_infer_shape(QConcatInferShape)
      .set_infer_type(QConcatInferType)
      .set_compute(MXC_CPU, QConcatForward);
  return 0;
}();

}  // namespace

QConvGeom QuantConvGeometry(const OpParams &p, const TShape &data) { return QConvGeometry(p, data); }
QPoolGeom QuantPoolGeometry(const OpParams &p, const TShape &data) { return QPoolGeometry(p, data); }

}  // namespace op
}  // namespace mxc
