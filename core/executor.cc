#include "executor.h"

#include <algorithm>
#include <cstring>
#include <iomanip>
#include <mutex>
#include <sstream>
#include <unordered_map>

#include "device.h"
#include "engine.h"
#include "ops/elemwise_util.h"
#include "profiler.h"

namespace mxc {

// ----------------------------------------------------------------------------------------------------------------
// The bound graph
// ----------------------------------------------------------------------------------------------------------------
namespace {

// Where a value lives.
enum class VKind : uint8_t {
  kInternal,  // planned storage
  kArg,       // an argument array
  kAux,       // an auxiliary state array
  kOutput,    // an output array of the executor
  kGrad,      // a gradient array of an argument
  kHead,      // a head gradient handed to Backward
  kZeros,     // the read-only buffer of zeros (gradients nobody produces)
};

struct Value {
  VKind kind = VKind::kInternal;
  int ext = -1;  // index into args/aux/outputs/grads/heads
  TShape shape;
  int dtype = kFloat32;
  size_t bytes = 0;
  std::string name;  // for printing
};

struct Step {
  enum Kind { kForward, kBackward, kZero, kCopy, kAdd } kind = kForward;
  int nid = -1;
  const Node *node = nullptr;
  const FCompute *fcompute = nullptr;
  const FBackward *fbackward = nullptr;
  // Forward: a = inputs, b = outputs. Backward: a = output grads, b = input data, c = output data, d = input grads.
  // Copy/Add: a[0] source, b[0] destination. Zero: b[0]. Entries of -1 are passed as empty blobs.
  std::vector<int> a, b, c, d;
  std::vector<OpReq> req;
  // Blobs with shapes and dtypes set at bind; pointers refreshed at every run.
  std::vector<TBlob> ba, bb, bc, bd;
};

}  // namespace

struct MemoryPool {
  std::mutex mu;
  Device dev;
  std::vector<NDArray> blocks;  // uint8 arrays
};

struct ExecState {
  Device dev;
  std::vector<Value> values;
  std::vector<Step> steps;
  size_t num_forward_steps = 0;
  std::vector<NDArray> args, grads, aux, outputs, storages;
  std::vector<int> storage_of;  // per value (internal ones)
  NDArray zeros;                // read-only zeros, or none
  NDArray sync;                 // orders the executor's own work
  std::vector<NodePtr> hold;    // keeps the graph's nodes (parameters referenced by steps) alive
  std::vector<char> head_needed;  // per output: 0 no head gradient, 1 required, 2 optional (a loss: ones)
  std::vector<NDArray> ones;      // per loss output: the default head gradient
  std::vector<std::string> output_names;
  bool has_backward = false;
  bool last_is_train = false;
  std::vector<void *> ptr;  // per value, refreshed at each run
  std::vector<Var *> fwd_reads, fwd_writes, bwd_reads, bwd_writes;
  MemPlan plan;
  bool plan_enabled = true;
  size_t zeros_bytes = 0;

  void Run(size_t begin, size_t end, bool is_train, const std::vector<NDArray> &heads);
};

namespace {

void CopyKernel(const TBlob &src, const TBlob &dst) {
  if (src.dptr != dst.dptr)
    DeviceCopy(dst.dev, dst.dptr, src.dev, src.dptr, static_cast<size_t>(dst.Size()) * DTypeSize(dst.dtype));
}

void AddKernel(const TBlob &src, const TBlob &dst) {
  if (dst.dev.type != MXC_CPU || dst.dtype == kFloat16) {  // the device's elemwise_add kernel, in place
    static const Op *add = OpRegistry::Get()->FindOrThrow("elemwise_add");
    static const OpParams params(add, {});
    OpContext ctx;
    ctx.dev = dst.dev;
    add->compute.at(dst.dev.type)(ctx, params, {dst, src}, {kWriteInplace}, {dst});
    return;
  }
  MXC_TYPE_SWITCH(dst.dtype, DType, {
    const DType *s = src.ptr<DType>();
    DType *d = dst.ptr<DType>();
    const int64_t n = dst.Size();
    for (int64_t i = 0; i < n; ++i) d[i] = static_cast<DType>(d[i] + s[i]);
  });
}

void ZeroKernel(const TBlob &dst) {
  DeviceZero(dst.dev, dst.dptr, static_cast<size_t>(dst.Size()) * DTypeSize(dst.dtype));
}

}  // namespace

static const char *const kStepNames[] = {"forward", "backward", "_zeros", "_copy", "_grad_add"};  // by Step::Kind

void ExecState::Run(size_t begin, size_t end, bool is_train, const std::vector<NDArray> &heads) {
  for (size_t v = 0; v < values.size(); ++v) {
    const Value &val = values[v];
    void *p = nullptr;
    switch (val.kind) {
      case VKind::kInternal: p = storage_of[v] >= 0 ? storages[storage_of[v]].blob().dptr : nullptr; break;
      case VKind::kArg: p = args[val.ext].blob().dptr; break;
      case VKind::kAux: p = aux[val.ext].blob().dptr; break;
      case VKind::kOutput: p = outputs[val.ext].blob().dptr; break;
      case VKind::kGrad: p = grads[val.ext].blob().dptr; break;
      case VKind::kHead: p = val.ext < static_cast<int>(heads.size()) && !heads[val.ext].is_none()
                                 ? heads[val.ext].blob().dptr
                                 : nullptr;
        break;
      case VKind::kZeros: p = zeros.is_none() ? nullptr : zeros.blob().dptr; break;
    }
    ptr[v] = p;
  }
  auto refresh = [&](const std::vector<int> &ids, std::vector<TBlob> *blobs) {
    for (size_t i = 0; i < ids.size(); ++i)
      if (ids[i] >= 0) (*blobs)[i].dptr = ptr[ids[i]];
  };
  OpContext ctx;
  ctx.is_train = is_train;
  ctx.dev = dev;
  for (size_t s = begin; s < end; ++s) {
    Step &st = steps[s];
    refresh(st.a, &st.ba);
    refresh(st.b, &st.bb);
    refresh(st.c, &st.bc);
    refresh(st.d, &st.bd);
    try {
      // Timed by operator name; the node's name goes in the trace event's args.
      const char *name = !st.node ? kStepNames[st.kind]
                         : st.kind == Step::kForward ? st.node->op->name.c_str()
                         : st.kind == Step::kBackward ? st.node->op->backward_name.c_str() : kStepNames[st.kind];
      profiler::Scope timed(profiler::kSymbolic, name, dev, st.node ? st.node->name.c_str() : nullptr);
      switch (st.kind) {
        case Step::kForward:
          ctx.rng = st.node->op->is_random ? DeviceRNG(dev) : nullptr;
          (*st.fcompute)(ctx, st.node->params, st.ba, st.req, st.bb);
          break;
        case Step::kBackward:
          ctx.rng = st.node->op->is_random ? DeviceRNG(dev) : nullptr;
          (*st.fbackward)(ctx, st.node->params, st.ba, st.bb, st.bc, st.req, st.bd);
          break;
        case Step::kZero: ZeroKernel(st.bb[0]); break;
        case Step::kCopy: CopyKernel(st.ba[0], st.bb[0]); break;
        case Step::kAdd: AddKernel(st.ba[0], st.bb[0]); break;
      }
    } catch (const Error &e) {
      if (st.node)
        Throw(e.kind(), "node '", st.node->name, "' (", st.node->op->name, st.kind == Step::kBackward ? ", backward" : "",
              "): ", e.what());
      throw;
    }
  }
}

// ----------------------------------------------------------------------------------------------------------------
// Binding
// ----------------------------------------------------------------------------------------------------------------
namespace {

std::string ShapeTypeStr(const Value &v) { return ShapeStr(v.shape) + " " + DTypeName(v.dtype); }

void AddUnique(std::vector<Var *> *v, Var *x) {
  if (std::find(v->begin(), v->end(), x) == v->end()) v->push_back(x);
}

void RemoveWritten(std::vector<Var *> *reads, const std::vector<Var *> &writes) {
  reads->erase(std::remove_if(reads->begin(), reads->end(),
                              [&](Var *v) { return std::find(writes.begin(), writes.end(), v) != writes.end(); }),
               reads->end());
}

}  // namespace

std::shared_ptr<GraphExecutor> GraphExecutor::Bind(const Symbol &sym, const Device &dev,
                                                   const std::vector<NDArray> &args,
                                                   const std::vector<NDArray> &grads_in,
                                                   const std::vector<OpReq> &reqs_in,
                                                   const std::vector<NDArray> &aux, const GraphExecutor *shared) {
  CheckDevice(dev);
  IndexedGraph g(sym.outputs);
  const auto &arg_nodes = g.arg_nodes();
  const auto &aux_nodes = g.aux_nodes();
  auto list = [&](const std::vector<uint32_t> &nids) {
    std::string s;
    for (auto n : nids) s += (s.empty() ? "" : ", ") + g.node(n).name;
    return s;
  };
  MXC_CHECK(args.size() == arg_nodes.size(), ErrorKind::kValue, "bind: the symbol has ", arg_nodes.size(),
            " arguments (", list(arg_nodes), "), got ", args.size(), " arrays");
  MXC_CHECK(aux.size() == aux_nodes.size(), ErrorKind::kValue, "bind: the symbol has ", aux_nodes.size(),
            " auxiliary states (", list(aux_nodes), "), got ", aux.size(), " arrays");
  MXC_CHECK(grads_in.empty() || grads_in.size() == args.size(), ErrorKind::kValue, "bind: ", grads_in.size(),
            " gradient arrays for ", args.size(), " arguments");
  MXC_CHECK(reqs_in.empty() || reqs_in.size() == args.size(), ErrorKind::kValue, "bind: ", reqs_in.size(),
            " grad_req values for ", args.size(), " arguments");
  std::vector<NDArray> grads(args.size());
  std::vector<OpReq> reqs(args.size(), kNullOp);
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string &name = g.node(arg_nodes[i]).name;
    MXC_CHECK(!args[i].is_none(), ErrorKind::kValue, "bind: argument '", name, "' has no array");
    MXC_CHECK(args[i].dev() == dev, ErrorKind::kDevice, "bind: argument '", name, "' is on ",
              DeviceStr(args[i].dev()), ", the executor on ", DeviceStr(dev));
    OpReq r = reqs_in.empty() ? kWriteTo : reqs_in[i];
    MXC_CHECK(r >= kNullOp && r <= kAddTo, ErrorKind::kValue, "bind: bad grad_req code ", static_cast<int>(r),
              " for argument '", name, "'");
    if (r == kWriteInplace) r = kWriteTo;
    if (!grads_in.empty() && !grads_in[i].is_none() && r != kNullOp) {
      grads[i] = grads_in[i];
      reqs[i] = r;
      MXC_CHECK(grads[i].shape() == args[i].shape(), ErrorKind::kShape, "bind: gradient array of '", name,
                "' has shape ", ShapeStr(grads[i].shape()), ", the argument ", ShapeStr(args[i].shape()));
      MXC_CHECK(grads[i].dtype() == args[i].dtype(), ErrorKind::kType, "bind: gradient array of '", name,
                "' has dtype ", DTypeName(grads[i].dtype()), ", the argument ", DTypeName(args[i].dtype()));
      MXC_CHECK(grads[i].dev() == dev, ErrorKind::kDevice, "bind: gradient array of '", name, "' is on ",
                DeviceStr(grads[i].dev()), ", the executor on ", DeviceStr(dev));
    }
  }
  for (size_t i = 0; i < aux.size(); ++i) {
    const std::string &name = g.node(aux_nodes[i]).name;
    MXC_CHECK(!aux[i].is_none(), ErrorKind::kValue, "bind: auxiliary state '", name, "' has no array");
    MXC_CHECK(aux[i].dev() == dev, ErrorKind::kDevice, "bind: auxiliary state '", name, "' is on ",
              DeviceStr(aux[i].dev()), ", the executor on ", DeviceStr(dev));
  }

  // Shapes and types from the arrays.
  const size_t ne = g.num_entries();
  std::vector<TShape> shapes(ne);
  std::vector<int> types(ne, -1);
  for (size_t i = 0; i < args.size(); ++i) {
    shapes[g.entry_id(arg_nodes[i], 0)] = args[i].shape();
    types[g.entry_id(arg_nodes[i], 0)] = args[i].dtype();
  }
  for (size_t i = 0; i < aux.size(); ++i) {
    shapes[g.entry_id(aux_nodes[i], 0)] = aux[i].shape();
    types[g.entry_id(aux_nodes[i], 0)] = aux[i].dtype();
  }
  InferShapes(g, &shapes);
  InferTypes(g, &types);
  {
    std::string unknown;
    for (uint32_t e = 0; e < ne; ++e)
      if (!ShapeKnown(shapes[e]) && !(shapes[e].ndim() > 0 && ShapeSize(shapes[e]) == 0 &&
                                      std::all_of(shapes[e].begin(), shapes[e].end(), [](int64_t d) { return d >= 0; })))
        unknown += (unknown.empty() ? "" : ", ") + g.EntryName(e) + " " +
                   (shapes[e].empty() ? std::string("()") : ShapeStr(shapes[e]));
    MXC_CHECK(unknown.empty(), ErrorKind::kShape, "bind: cannot infer the shapes of ", unknown);
    std::string untyped;
    for (uint32_t e = 0; e < ne; ++e)
      if (types[e] < 0) untyped += (untyped.empty() ? "" : ", ") + g.EntryName(e);
    MXC_CHECK(untyped.empty(), ErrorKind::kType, "bind: cannot infer the dtypes of ", untyped);
  }

  auto st = std::make_shared<ExecState>();
  st->dev = dev;
  st->args = args;
  st->grads = grads;
  st->aux = aux;
  for (uint32_t nid = 0; nid < g.num_nodes(); ++nid) st->hold.push_back(g.node_ptr(nid));
  std::vector<int> arg_pos(g.num_nodes(), -1), aux_pos(g.num_nodes(), -1);
  for (size_t i = 0; i < arg_nodes.size(); ++i) arg_pos[arg_nodes[i]] = static_cast<int>(i);
  for (size_t i = 0; i < aux_nodes.size(); ++i) aux_pos[aux_nodes[i]] = static_cast<int>(i);

  auto &values = st->values;
  auto add_value = [&](VKind kind, int ext, const TShape &shape, int dtype, const std::string &name) {
    Value v;
    v.kind = kind;
    v.ext = ext;
    v.shape = shape;
    v.dtype = dtype;
    v.bytes = ShapeBytes(shape, dtype);
    v.name = name;
    values.push_back(v);
    return static_cast<int>(values.size() - 1);
  };

  // Forward values: value id == entry id.
  const auto &heads = g.outputs();
  std::vector<int> head_of_entry(ne, -1);
  for (size_t h = 0; h < heads.size(); ++h)
    if (head_of_entry[heads[h]] < 0) head_of_entry[heads[h]] = static_cast<int>(h);
  for (uint32_t e = 0; e < ne; ++e) {
    uint32_t nid = g.entry_node(e);
    VKind kind = VKind::kInternal;
    int ext = -1;
    if (arg_pos[nid] >= 0) {
      kind = VKind::kArg;
      ext = arg_pos[nid];
    } else if (aux_pos[nid] >= 0) {
      kind = VKind::kAux;
      ext = aux_pos[nid];
    } else if (head_of_entry[e] >= 0) {
      kind = VKind::kOutput;
      ext = head_of_entry[e];
    }
    add_value(kind, ext, shapes[e], types[e], g.EntryName(e));
  }
  // Output arrays.
  for (size_t h = 0; h < heads.size(); ++h) {
    st->outputs.emplace_back(shapes[heads[h]], types[heads[h]], dev, true);
    st->output_names.push_back(g.EntryName(heads[h]));
  }

  // Forward steps.
  auto &steps = st->steps;
  for (uint32_t nid = 0; nid < g.num_nodes(); ++nid) {
    const Node &n = g.node(nid);
    if (n.is_variable()) continue;
    auto it = n.op->compute.find(dev.type);
    MXC_CHECK(it != n.op->compute.end(), ErrorKind::kDevice, "bind: operator ", n.op->name, " (node '", n.name,
              "') has no kernel for ", DeviceStr(dev));
    Step s;
    s.kind = Step::kForward;
    s.nid = static_cast<int>(nid);
    s.node = &n;
    s.fcompute = &it->second;
    for (auto e : g.input_entries(nid)) s.a.push_back(static_cast<int>(e));
    for (uint32_t j = 0; j < n.num_outputs(); ++j) s.b.push_back(static_cast<int>(g.entry_id(nid, j)));
    s.req.assign(s.b.size(), kWriteTo);
    steps.push_back(std::move(s));
  }
  for (size_t h = 0; h < heads.size(); ++h) {
    const Value &v = values[heads[h]];
    if (v.kind == VKind::kOutput && v.ext == static_cast<int>(h)) continue;
    Step s;
    s.kind = Step::kCopy;
    s.a = {static_cast<int>(heads[h])};
    s.b = {add_value(VKind::kOutput, static_cast<int>(h), v.shape, v.dtype, st->output_names[h])};
    steps.push_back(std::move(s));
  }
  st->num_forward_steps = steps.size();

  // Backward.
  st->head_needed.assign(heads.size(), 0);
  bool any_grad = std::any_of(reqs.begin(), reqs.end(), [](OpReq r) { return r != kNullOp; });
  if (any_grad) {
    st->has_backward = true;
    const size_t nn = g.num_nodes();
    std::vector<char> dep(nn, 0), active(nn, 0);
    for (uint32_t nid = 0; nid < nn; ++nid) {
      const Node &n = g.node(nid);
      if (n.is_variable()) {
        dep[nid] = arg_pos[nid] >= 0 && reqs[arg_pos[nid]] != kNullOp;
        continue;
      }
      for (auto e : g.input_entries(nid)) dep[nid] = dep[nid] || dep[g.entry_node(e)];
      // An operator without a gradient passes none to its inputs (as BlockGrad does).
      active[nid] = dep[nid] && n.op->HasGradient();
      if (active[nid])
        MXC_CHECK(n.op->backward.count(dev.type), ErrorKind::kDevice, "bind: operator ", n.op->name, " (node '",
                  n.name, "') has no gradient kernel for ", DeviceStr(dev));
    }
    // Whether an entry receives a gradient.
    auto wants_grad = [&](uint32_t e) {
      uint32_t p = g.entry_node(e);
      return g.node(p).is_variable() ? dep[p] != 0 : active[p] != 0;
    };
    // Contributions to each entry's gradient, in execution order: heads first, then consumers in reverse order.
    struct Contrib {
      int head = -1;  // head index, or
      int nid = -1;   // consumer node and input slot
      int slot = -1;
    };
    std::vector<std::vector<Contrib>> contribs(ne);
    for (size_t h = 0; h < heads.size(); ++h) {
      uint32_t e = heads[h];
      if (!wants_grad(e)) continue;
      const Node &p = g.node(g.entry_node(e));
      // A loss output ignores its head gradient: optional (ones when not given).
      st->head_needed[h] = !p.is_variable() && p.op->IsLoss(p.params) ? 2 : 1;
      contribs[e].push_back(Contrib{static_cast<int>(h), -1, -1});
    }
    for (uint32_t nid = static_cast<uint32_t>(nn); nid-- > 0;) {
      if (!active[nid]) continue;
      const Node &n = g.node(nid);
      const auto &ins = g.input_entries(nid);
      for (size_t k = 0; k < ins.size(); ++k)
        if (!n.InputIsAux(k) && wants_grad(ins[k]))
          contribs[ins[k]].push_back(Contrib{-1, static_cast<int>(nid), static_cast<int>(k)});
    }
    // Gradient values.
    std::vector<int> gval(ne, -1);
    for (uint32_t e = 0; e < ne; ++e) {
      if (contribs[e].empty()) continue;
      uint32_t p = g.entry_node(e);
      const std::string gname = "grad(" + g.EntryName(e) + ")";
      if (arg_pos[p] >= 0) {
        gval[e] = add_value(VKind::kGrad, arg_pos[p], shapes[e], types[e], gname);
      } else if (contribs[e].size() == 1 && contribs[e][0].head >= 0) {
        gval[e] = add_value(VKind::kHead, contribs[e][0].head, shapes[e], types[e], gname);
      } else {
        gval[e] = add_value(VKind::kInternal, -1, shapes[e], types[e], gname);
      }
    }
    std::vector<int> done(ne, 0);  // contributions already placed
    auto first_req = [&](uint32_t e) {
      uint32_t p = g.entry_node(e);
      if (arg_pos[p] >= 0 && reqs[arg_pos[p]] == kAddTo) return kAddTo;
      return done[e] == 0 ? kWriteTo : kAddTo;
    };
    // Gradients of arguments nobody writes: zero for 'write'.
    for (size_t i = 0; i < arg_nodes.size(); ++i) {
      uint32_t e = g.entry_id(arg_nodes[i], 0);
      if (reqs[i] == kWriteTo && contribs[e].empty()) {
        Step s;
        s.kind = Step::kZero;
        s.b = {add_value(VKind::kGrad, static_cast<int>(i), shapes[e], types[e], "grad(" + g.EntryName(e) + ")")};
        steps.push_back(std::move(s));
      }
    }
    // Head gradients.
    for (size_t h = 0; h < heads.size(); ++h) {
      if (!st->head_needed[h]) continue;
      uint32_t e = heads[h];
      const Value &gv = values[gval[e]];
      if (gv.kind == VKind::kHead) {
        ++done[e];
        continue;
      }
      Step s;
      OpReq r = first_req(e);
      s.kind = r == kAddTo ? Step::kAdd : Step::kCopy;
      s.a = {add_value(VKind::kHead, static_cast<int>(h), shapes[e], types[e], "head_grad(" + g.EntryName(e) + ")")};
      s.b = {gval[e]};
      ++done[e];
      steps.push_back(std::move(s));
    }
    // Operator gradients, in reverse topological order.
    for (uint32_t nid = static_cast<uint32_t>(nn); nid-- > 0;) {
      if (!active[nid]) continue;
      const Node &n = g.node(nid);
      Step s;
      s.kind = Step::kBackward;
      s.nid = static_cast<int>(nid);
      s.node = &n;
      s.fbackward = &n.op->backward.at(dev.type);
      const uint32_t nout = n.num_outputs();
      for (uint32_t j = 0; j < nout; ++j) {
        uint32_t e = g.entry_id(nid, j);
        if (gval[e] >= 0) {
          s.a.push_back(gval[e]);
        } else {
          // Nobody uses this output's gradient: zeros (one shared read-only buffer).
          st->zeros_bytes = std::max(st->zeros_bytes, ShapeBytes(shapes[e], types[e]));
          // Each use has its own shape: a separate value pointing at the same buffer.
          s.a.push_back(add_value(VKind::kZeros, -1, shapes[e], types[e], "zeros"));
        }
      }
      const auto &ins = g.input_entries(nid);
      for (auto e : ins) s.b.push_back(n.op->backward_uses_inputs ? static_cast<int>(e) : -1);
      for (uint32_t j = 0; j < nout; ++j)
        s.c.push_back(n.op->backward_uses_outputs ? static_cast<int>(g.entry_id(nid, j)) : -1);
      std::vector<std::pair<int, int>> pending_adds;  // (temp value, target value)
      for (size_t k = 0; k < ins.size(); ++k) {
        uint32_t e = ins[k];
        bool contributes = !n.InputIsAux(k) && wants_grad(e);
        if (!contributes) {
          s.d.push_back(-1);
          s.req.push_back(kNullOp);
          continue;
        }
        bool dup = false;
        for (size_t k2 = 0; k2 < k; ++k2)
          if (ins[k2] == e && s.d[k2] >= 0) dup = true;
        if (!dup) {
          s.d.push_back(gval[e]);
          s.req.push_back(first_req(e));
          ++done[e];
        } else {
          // The same entry feeds two inputs of this node: write the second into a temporary, then add.
          int t = add_value(VKind::kInternal, -1, shapes[e], types[e], "grad_tmp(" + g.EntryName(e) + ")");
          s.d.push_back(t);
          s.req.push_back(kWriteTo);
          pending_adds.emplace_back(t, gval[e]);
          ++done[e];
        }
      }
      steps.push_back(std::move(s));
      for (auto &pa : pending_adds) {
        Step add;
        add.kind = Step::kAdd;
        add.a = {pa.first};
        add.b = {pa.second};
        steps.push_back(std::move(add));
      }
    }
  }

  // Blobs with shapes and dtypes.
  for (auto &s : steps) {
    auto mk = [&](const std::vector<int> &ids, std::vector<TBlob> *blobs) {
      blobs->assign(ids.size(), TBlob());
      for (size_t i = 0; i < ids.size(); ++i) {
        if (ids[i] < 0) continue;
        (*blobs)[i].shape = values[ids[i]].shape;
        (*blobs)[i].dtype = values[ids[i]].dtype;
        (*blobs)[i].dev = dev;
      }
    };
    mk(s.a, &s.ba);
    mk(s.b, &s.bb);
    mk(s.c, &s.bc);
    mk(s.d, &s.bd);
  }

  // Memory plan.
  std::vector<MemPlanValue> pv(values.size());
  for (size_t v = 0; v < values.size(); ++v) {
    pv[v].bytes = values[v].bytes;
    pv[v].dtype = values[v].dtype;
    pv[v].internal = values[v].kind == VKind::kInternal;
  }
  std::vector<MemPlanStep> ps(steps.size());
  for (size_t i = 0; i < steps.size(); ++i) {
    const Step &s = steps[i];
    MemPlanStep &p = ps[i];
    auto add_reads = [&](const std::vector<int> &ids) {
      for (int v : ids)
        if (v >= 0) p.reads.push_back(v);
    };
    switch (s.kind) {
      case Step::kForward: {
        add_reads(s.a);
        p.writes = s.b;
        for (int m : s.node->op->MutateInputs(s.node->params))
          if (m < static_cast<int>(s.a.size())) p.writes.push_back(s.a[m]);
        for (auto &io : s.node->op->inplace)
          if (io.first < static_cast<int>(s.a.size()) && io.second < static_cast<int>(s.b.size()))
            p.inplace.emplace_back(s.a[io.first], s.b[io.second]);
        break;
      }
      case Step::kBackward: {
        add_reads(s.a);
        add_reads(s.b);
        add_reads(s.c);
        for (size_t k = 0; k < s.d.size(); ++k) {
          if (s.d[k] < 0) continue;
          if (s.req[k] == kAddTo) p.reads.push_back(s.d[k]);
          p.writes.push_back(s.d[k]);
        }
        for (auto &io : s.node->op->backward_inplace)
          if (io.first < static_cast<int>(s.a.size()) && io.second < static_cast<int>(s.d.size()) &&
              s.d[io.second] >= 0 && s.req[io.second] == kWriteTo)
            p.inplace.emplace_back(s.a[io.first], s.d[io.second]);
        break;
      }
      case Step::kZero: p.writes = s.b; break;
      case Step::kCopy:
        add_reads(s.a);
        p.writes = s.b;
        break;
      case Step::kAdd:
        add_reads(s.a);
        add_reads(s.b);
        p.writes = s.b;
        break;
    }
  }
  st->plan_enabled = MemoryPlanningEnabled();
  st->plan = PlanMemory(pv, ps, st->plan_enabled);
  st->storage_of = st->plan.storage;

  // Storage from the pool (shared with shared_exec when given).
  auto ex = std::shared_ptr<GraphExecutor>(new GraphExecutor());
  if (shared) {
    MXC_CHECK(shared->st_->dev == dev, ErrorKind::kDevice, "bind: shared_exec runs on ",
              DeviceStr(shared->st_->dev), ", this executor on ", DeviceStr(dev));
    ex->pool_ = shared->pool_;
  } else {
    ex->pool_ = std::make_shared<MemoryPool>();
    ex->pool_->dev = dev;
  }
  {
    std::lock_guard<std::mutex> lk(ex->pool_->mu);
    auto &blocks = ex->pool_->blocks;
    const auto &sizes = st->plan.storage_bytes;
    std::vector<size_t> order(sizes.size());
    for (size_t i = 0; i < order.size(); ++i) order[i] = i;
    std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return sizes[a] > sizes[b]; });
    std::vector<char> used(blocks.size(), 0);
    st->storages.assign(sizes.size(), NDArray());
    for (size_t i : order) {
      int best = -1;
      for (size_t b = 0; b < blocks.size(); ++b) {
        if (used[b] || static_cast<size_t>(blocks[b].Size()) < sizes[i]) continue;
        if (best < 0 || blocks[b].Size() < blocks[best].Size()) best = static_cast<int>(b);
      }
      if (best < 0) {
        blocks.emplace_back(TShape{static_cast<int64_t>(std::max<size_t>(sizes[i], 1))}, kUint8, dev, true);
        used.push_back(0);
        best = static_cast<int>(blocks.size() - 1);
      }
      used[best] = 1;
      st->storages[i] = blocks[best];
    }
  }
  if (st->zeros_bytes > 0 || std::any_of(values.begin(), values.end(), [](const Value &v) {
        return v.kind == VKind::kZeros;
      })) {
    st->zeros = NDArray(TShape{static_cast<int64_t>(std::max<size_t>(st->zeros_bytes, 1))}, kUint8, dev, false);
    // A fresh array nobody else can see yet: fill it directly.
    TBlob zb = st->zeros.blob();
    if (dev.type == MXC_CPU) {
      std::memset(zb.dptr, 0, static_cast<size_t>(zb.Size()));
    } else {
      std::vector<uint8_t> host(static_cast<size_t>(zb.Size()), 0);
      st->zeros.SyncCopyFromCPU(host.data(), zb.Size());
    }
  }
  // Head gradients of loss outputs default to ones.
  st->ones.resize(heads.size());
  for (size_t h = 0; h < heads.size(); ++h) {
    if (st->head_needed[h] != 2) continue;
    const Value &v = values[heads[h]];
    NDArray a(v.shape, v.dtype, dev, false);
    std::vector<char> host(v.bytes);
    MXC_ANY_TYPE_SWITCH(v.dtype, DType, {
      DType *p = reinterpret_cast<DType *>(host.data());
      for (int64_t i = 0; i < ShapeSize(v.shape); ++i) p[i] = op::elem::Convert<DType>::From_(1);
    });
    if (dev.type == MXC_CPU) std::memcpy(a.blob().dptr, host.data(), v.bytes);  // fresh: nobody else sees it
    else a.SyncCopyFromCPU(host.data(), ShapeSize(v.shape));
    st->ones[h] = a;
  }
  st->sync = NDArray(TShape{1}, kUint8, dev, true);
  st->ptr.assign(values.size(), nullptr);

  // Engine dependencies.
  {
    std::vector<char> arg_written(args.size(), 0), aux_written(aux.size(), 0);
    for (size_t i = 0; i < st->num_forward_steps; ++i) {
      const Step &s = steps[i];
      if (s.kind != Step::kForward) continue;
      for (int m : s.node->op->MutateInputs(s.node->params)) {
        if (m >= static_cast<int>(s.a.size())) continue;
        const Value &v = values[s.a[m]];
        if (v.kind == VKind::kArg) arg_written[v.ext] = 1;
        if (v.kind == VKind::kAux) aux_written[v.ext] = 1;
      }
    }
    auto &fr = st->fwd_reads, &fw = st->fwd_writes, &br = st->bwd_reads, &bw = st->bwd_writes;
    for (auto &o : st->outputs) AddUnique(&fw, o.var());
    for (auto &s : st->storages) AddUnique(&fw, s.var());
    AddUnique(&fw, st->sync.var());
    // Random operators draw from the device's generator: order the draws with the other work using it.
    bool random = false;
    for (auto &s : st->steps) random = random || (s.node && s.node->op && s.node->op->is_random);
    if (random) AddUnique(&fw, DeviceRNGVar(st->dev));
    for (size_t i = 0; i < args.size(); ++i) AddUnique(arg_written[i] ? &fw : &fr, args[i].var());
    for (size_t i = 0; i < aux.size(); ++i) AddUnique(aux_written[i] ? &fw : &fr, aux[i].var());
    RemoveWritten(&fr, fw);
    if (st->has_backward) {
      for (size_t i = 0; i < grads.size(); ++i)
        if (reqs[i] != kNullOp) AddUnique(&bw, grads[i].var());
      for (auto &s : st->storages) AddUnique(&bw, s.var());
      AddUnique(&bw, st->sync.var());
      if (random) AddUnique(&bw, DeviceRNGVar(st->dev));
      for (auto &a : args) AddUnique(&br, a.var());
      for (auto &a : aux) AddUnique(&br, a.var());
      for (auto &o : st->outputs) AddUnique(&br, o.var());
      RemoveWritten(&br, bw);
    }
  }

  ex->st_ = st;
  ex->symbol_print_ = sym.Print();
  return ex;
}

GraphExecutor::~GraphExecutor() = default;

// ----------------------------------------------------------------------------------------------------------------
// Running
// ----------------------------------------------------------------------------------------------------------------
void GraphExecutor::Forward(bool is_train) {
  auto st = st_;
  st->last_is_train = is_train;
  Engine::Get()->Push(
      [st, is_train](const RunContext &) {
        static const std::vector<NDArray> kNoHeads;
        st->Run(0, st->num_forward_steps, is_train, kNoHeads);
      },
      st->dev, st->fwd_reads, st->fwd_writes, "Executor.forward");
  forwarded_ = true;
}

void GraphExecutor::Backward(const std::vector<NDArray> &head_grads) {
  auto st = st_;
  if (!st->has_backward) return;  // bound without gradients: nothing to compute
  MXC_CHECK(forwarded_, ErrorKind::kValue, "backward: call forward first");
  const size_t nh = st->outputs.size();
  MXC_CHECK(head_grads.empty() || head_grads.size() == nh, ErrorKind::kValue, "backward: ", head_grads.size(),
            " head gradients for ", nh, " outputs");
  std::vector<NDArray> heads(nh);
  std::vector<Var *> reads = st->bwd_reads;
  for (size_t h = 0; h < nh; ++h) {
    if (!st->head_needed[h]) continue;
    if (st->head_needed[h] == 2 && (h >= head_grads.size() || head_grads[h].is_none())) {
      heads[h] = st->ones[h];
      AddUnique(&reads, heads[h].var());
      continue;
    }
    MXC_CHECK(h < head_grads.size() && !head_grads[h].is_none(), ErrorKind::kValue,
              "backward: output '", st->output_names[h],
              "' is not a loss, so its head gradient is required (pass one gradient array per output)");
    const NDArray &hg = head_grads[h];
    MXC_CHECK(hg.shape() == st->outputs[h].shape(), ErrorKind::kShape, "backward: head gradient of '",
              st->output_names[h], "' has shape ", ShapeStr(hg.shape()), ", the output ",
              ShapeStr(st->outputs[h].shape()));
    MXC_CHECK(hg.dtype() == st->outputs[h].dtype(), ErrorKind::kType, "backward: head gradient of '",
              st->output_names[h], "' has dtype ", DTypeName(hg.dtype()), ", the output ",
              DTypeName(st->outputs[h].dtype()));
    MXC_CHECK(hg.dev() == st->dev, ErrorKind::kDevice, "backward: head gradient of '", st->output_names[h],
              "' is on ", DeviceStr(hg.dev()), ", the executor on ", DeviceStr(st->dev));
    heads[h] = hg;
    Var *v = hg.var();
    if (std::find(st->bwd_writes.begin(), st->bwd_writes.end(), v) == st->bwd_writes.end()) AddUnique(&reads, v);
  }
  bool is_train = st->last_is_train;
  Engine::Get()->Push(
      [st, heads, is_train](const RunContext &) { st->Run(st->num_forward_steps, st->steps.size(), is_train, heads); },
      st->dev, reads, st->bwd_writes, "Executor.backward");
}

const std::vector<NDArray> &GraphExecutor::outputs() const { return st_->outputs; }

void GraphExecutor::MemoryStats(int64_t *planned, int64_t *unplanned) const {
  *planned = static_cast<int64_t>(st_->plan.planned_bytes + st_->zeros_bytes);
  *unplanned = static_cast<int64_t>(st_->plan.unplanned_bytes + st_->zeros_bytes);
}

static std::string MB(size_t bytes) {
  std::ostringstream os;
  os << std::fixed << std::setprecision(bytes < 1024 * 1024 ? 4 : 2) << bytes / (1024.0 * 1024.0);
  return os.str();
}

std::string GraphExecutor::Print() const {
  const ExecState &st = *st_;
  std::ostringstream os;
  os << symbol_print_;
  os << "--------------------\n";
  os << "Execution plan (" << DeviceStr(st.dev) << "):\n";
  auto describe = [&](int v) {
    std::ostringstream d;
    const Value &val = st.values[v];
    d << val.name << ' ' << ShapeTypeStr(val);
    switch (val.kind) {
      case VKind::kInternal:
        if (st.storage_of[v] >= 0) d << " [storage " << st.storage_of[v];
        if (st.plan.inplace_of[v] >= 0) d << ", in place over " << st.values[st.plan.inplace_of[v]].name;
        if (st.storage_of[v] >= 0) d << ']';
        break;
      case VKind::kArg: d << " [argument]"; break;
      case VKind::kAux: d << " [auxiliary state]"; break;
      case VKind::kOutput: d << " [output " << val.ext << ']'; break;
      case VKind::kGrad: d << " [gradient array]"; break;
      case VKind::kHead: d << " [head gradient " << val.ext << ']'; break;
      case VKind::kZeros: d << " [zeros]"; break;
    }
    return d.str();
  };
  for (size_t i = 0; i < st.steps.size(); ++i) {
    const Step &s = st.steps[i];
    if (i == st.num_forward_steps) os << "Backward:\n";
    switch (s.kind) {
      case Step::kForward:
        os << "  " << s.node->op->name << " '" << s.node->name << "'\n";
        for (int v : s.b) os << "\t-> " << describe(v) << '\n';
        break;
      case Step::kBackward:
        os << "  backward of " << s.node->op->name << " '" << s.node->name << "'\n";
        for (size_t k = 0; k < s.d.size(); ++k)
          if (s.d[k] >= 0)
            os << "\t-> " << describe(s.d[k]) << (s.req[k] == kAddTo ? " (add)" : "") << '\n';
        break;
      case Step::kZero: os << "  zero " << describe(s.b[0]) << '\n'; break;
      case Step::kCopy: os << "  copy " << st.values[s.a[0]].name << " -> " << describe(s.b[0]) << '\n'; break;
      case Step::kAdd: os << "  add " << st.values[s.a[0]].name << " -> " << describe(s.b[0]) << '\n'; break;
    }
  }
  int64_t planned, unplanned;
  MemoryStats(&planned, &unplanned);
  os << "Total " << MB(static_cast<size_t>(planned)) << " MB allocated ("
     << st.plan.storage_bytes.size() << " storage blocks for internal values"
     << (st.plan_enabled ? "" : ", memory planning off") << ")\n";
  os << "Total " << MB(static_cast<size_t>(unplanned)) << " MB without memory planning\n";
  return os.str();
}

}  // namespace mxc
