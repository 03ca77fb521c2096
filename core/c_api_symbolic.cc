// C API: symbols and executors.
#include <cstdio>
#include <fstream>
#include <iterator>
#include <sstream>

#include "c_api_common.h"
#include "cached_op.h"
#include "executor.h"
#include "graph.h"
#include "mxc.h"
#include "subgraph_unroll.h"
#include "symbol.h"

struct MXCSymbol_ {
  mxc::Symbol sym;
  uint32_t magic = 0x53594d42;  // "SYMB"
};

struct MXCExecutor_ {
  std::shared_ptr<mxc::GraphExecutor> exec;
  uint32_t magic = 0x45584543;  // "EXEC"
};

struct MXCCachedOp_ {
  std::unique_ptr<mxc::CachedOp> op;
  std::unique_ptr<mxc::ControlFlowCachedOp> cf;  // instead of op for a graph with control flow
  uint32_t magic = 0x43414f50;  // "CAOP"
};

namespace mxc {
namespace {

Symbol &SymOf(MXCSymbolHandle h, const char *what = "symbol") {
  if (h == nullptr) Throw(ErrorKind::kValue, what, " handle is NULL");
  if (h->magic != 0x53594d42) Throw(ErrorKind::kValue, what, " handle is invalid (already freed?)");
  return h->sym;
}

GraphExecutor &ExecOf(MXCExecutorHandle h) {
  if (h == nullptr) Throw(ErrorKind::kValue, "executor handle is NULL");
  if (h->magic != 0x45584543) Throw(ErrorKind::kValue, "executor handle is invalid (already freed?)");
  return *h->exec;
}

MXCCachedOp_ &CachedOf(MXCCachedOpHandle h) {
  if (h == nullptr) Throw(ErrorKind::kValue, "cached operator handle is NULL");
  if (h->magic != 0x43414f50) Throw(ErrorKind::kValue, "cached operator handle is invalid (already freed?)");
  return *h;
}

MXCSymbolHandle NewSym(Symbol s) {
  auto *h = new MXCSymbol_();
  h->sym = std::move(s);
  return h;
}

void ReturnStrings(const std::vector<std::string> &v, int *num, const char ***out) {
  CheckPtr(num, "num");
  CheckPtr(out, "out");
  auto *r = Ret();
  r->SetStrings(v);
  *num = static_cast<int>(v.size());
  *out = r->cstrs.data();
}

std::vector<std::pair<std::string, std::string>> KeyVals(int num, const char **keys, const char **vals,
                                                         const char *who) {
  MXC_CHECK(num >= 0, ErrorKind::kValue, who, ": negative parameter count");
  if (num > 0) {
    CheckPtr(keys, "keys");
    CheckPtr(vals, "vals");
  }
  std::vector<std::pair<std::string, std::string>> kv;
  for (int i = 0; i < num; ++i) {
    MXC_CHECK(keys[i] && vals[i], ErrorKind::kValue, who, ": parameter ", i, " is NULL");
    kv.emplace_back(keys[i], vals[i]);
  }
  return kv;
}

// Known values by name (arguments and auxiliary states) written into per-entry vectors.
template <typename T, typename Get>
void ApplyKnown(const IndexedGraph &g, int num_known, const char **keys, std::vector<T> *vals, Get get) {
  MXC_CHECK(num_known >= 0, ErrorKind::kValue, "negative count of known values");
  if (num_known > 0) CheckPtr(keys, "keys");
  for (int i = 0; i < num_known; ++i) {
    MXC_CHECK(keys[i] != nullptr, ErrorKind::kValue, "keys[", i, "] is NULL");
    bool found = false;
    for (const auto *list : {&g.arg_nodes(), &g.aux_nodes()})
      for (uint32_t nid : *list)
        if (g.node(nid).name == keys[i]) {
          (*vals)[g.entry_id(nid, 0)] = get(i);
          found = true;
        }
    if (!found) {
      std::string known;
      for (uint32_t nid : g.arg_nodes()) known += (known.empty() ? "" : ", ") + g.node(nid).name;
      for (uint32_t nid : g.aux_nodes()) known += (known.empty() ? "" : ", ") + g.node(nid).name;
      Throw(ErrorKind::kValue, "'", keys[i], "' is not an input of the symbol (inputs: ", known, ")");
    }
  }
}

}  // namespace
}  // namespace mxc

using namespace mxc;

// ------------------------------------------------------------------------------------------------------------------
// Symbols
// ------------------------------------------------------------------------------------------------------------------
int MXCSymbolCreateVariable(const char *name, MXCSymbolHandle *out) {
  API_BEGIN();
  CheckPtr(name, "name");
  CheckPtr(out, "out");
  *out = NewSym(Symbol::Variable(name));
  API_END();
}

int MXCSymbolCreateAtomic(const char *op_name, int num_params, const char **keys, const char **vals,
                          MXCSymbolHandle *out) {
  API_BEGIN();
  CheckPtr(op_name, "op_name");
  CheckPtr(out, "out");
  const Op *op = OpRegistry::Get()->FindOrThrow(op_name);
  *out = NewSym(Symbol::Atomic(op, KeyVals(num_params, keys, vals, op->name.c_str()), op_name));
  API_END();
}

int MXCSymbolCompose(MXCSymbolHandle sym, const char *name, int num_args, const char **keys,
                     const MXCSymbolHandle *args) {
  API_BEGIN();
  Symbol &s = SymOf(sym);
  MXC_CHECK(num_args >= 0, ErrorKind::kValue, "Compose: negative argument count");
  if (num_args > 0) CheckPtr(args, "args");
  std::vector<Symbol> a;
  std::vector<std::string> k;
  for (int i = 0; i < num_args; ++i) {
    a.push_back(SymOf(args[i], "argument"));
    if (keys) {
      MXC_CHECK(keys[i] != nullptr, ErrorKind::kValue, "Compose: keys[", i, "] is NULL");
      k.emplace_back(keys[i]);
    }
  }
  s.Compose(a, k, name ? name : "");
  API_END();
}

int MXCSymbolCreateGroup(int num, const MXCSymbolHandle *syms, MXCSymbolHandle *out) {
  API_BEGIN();
  CheckPtr(out, "out");
  MXC_CHECK(num >= 0, ErrorKind::kValue, "CreateGroup: negative count");
  if (num > 0) CheckPtr(syms, "syms");
  std::vector<Symbol> v;
  for (int i = 0; i < num; ++i) v.push_back(SymOf(syms[i]));
  *out = NewSym(Symbol::Group(v));
  API_END();
}

int MXCSymbolCopy(MXCSymbolHandle sym, MXCSymbolHandle *out) {
  API_BEGIN();
  CheckPtr(out, "out");
  *out = NewSym(SymOf(sym).Copy());
  API_END();
}

int MXCSymbolFree(MXCSymbolHandle sym) {
  API_BEGIN();
  if (sym == nullptr) return 0;
  SymOf(sym);
  sym->magic = 0;
  delete sym;
  API_END();
}

int MXCSymbolListArguments(MXCSymbolHandle sym, int *num, const char ***out) {
  API_BEGIN();
  ReturnStrings(SymOf(sym).ListArguments(), num, out);
  API_END();
}

int MXCSymbolListOutputs(MXCSymbolHandle sym, int *num, const char ***out) {
  API_BEGIN();
  ReturnStrings(SymOf(sym).ListOutputs(), num, out);
  API_END();
}

int MXCSymbolListAuxiliaryStates(MXCSymbolHandle sym, int *num, const char ***out) {
  API_BEGIN();
  ReturnStrings(SymOf(sym).ListAuxiliaryStates(), num, out);
  API_END();
}

int MXCSymbolListInputs(MXCSymbolHandle sym, int *num, const char ***out) {
  API_BEGIN();
  ReturnStrings(SymOf(sym).ListInputs(), num, out);
  API_END();
}

int MXCSymbolGetName(MXCSymbolHandle sym, const char **out, int *success) {
  API_BEGIN();
  CheckPtr(out, "out");
  CheckPtr(success, "success");
  auto *r = Ret();
  r->str.clear();
  *success = SymOf(sym).GetName(&r->str) ? 1 : 0;
  *out = r->str.c_str();
  API_END();
}

int MXCSymbolGetAttr(MXCSymbolHandle sym, const char *key, const char **out, int *success) {
  API_BEGIN();
  CheckPtr(key, "key");
  CheckPtr(out, "out");
  CheckPtr(success, "success");
  auto *r = Ret();
  r->str.clear();
  *success = SymOf(sym).GetAttr(key, &r->str) ? 1 : 0;
  if (!*success) r->str.clear();
  *out = r->str.c_str();
  API_END();
}

int MXCSymbolSetAttr(MXCSymbolHandle sym, const char *key, const char *value) {
  API_BEGIN();
  CheckPtr(key, "key");
  CheckPtr(value, "value");
  SymOf(sym).SetAttr(key, value);
  API_END();
}

int MXCSymbolListAttr(MXCSymbolHandle sym, int recursive, int *num, const char ***out) {
  API_BEGIN();
  CheckPtr(num, "num");
  CheckPtr(out, "out");
  auto kv = SymOf(sym).ListAttr(recursive != 0);
  std::vector<std::string> flat;
  flat.reserve(kv.size() * 2);
  for (auto &p : kv) {
    flat.push_back(p.first);
    flat.push_back(p.second);
  }
  auto *r = Ret();
  r->SetStrings(flat);
  *num = static_cast<int>(kv.size());
  *out = r->cstrs.data();
  API_END();
}

int MXCSymbolGetNumOutputs(MXCSymbolHandle sym, int *num) {
  API_BEGIN();
  CheckPtr(num, "num");
  *num = static_cast<int>(SymOf(sym).outputs.size());
  API_END();
}

int MXCSymbolGetOutput(MXCSymbolHandle sym, int index, MXCSymbolHandle *out) {
  API_BEGIN();
  CheckPtr(out, "out");
  MXC_CHECK(index >= 0, ErrorKind::kIndex, "output index ", index, " is negative");
  *out = NewSym(SymOf(sym).GetOutput(static_cast<size_t>(index)));
  API_END();
}

int MXCSymbolGetInternals(MXCSymbolHandle sym, MXCSymbolHandle *out) {
  API_BEGIN();
  CheckPtr(out, "out");
  *out = NewSym(SymOf(sym).GetInternals());
  API_END();
}

int MXCSymbolGetChildren(MXCSymbolHandle sym, MXCSymbolHandle *out) {
  API_BEGIN();
  CheckPtr(out, "out");
  Symbol c;
  *out = SymOf(sym).GetChildren(&c) ? NewSym(std::move(c)) : nullptr;
  API_END();
}

namespace {
// The names of a symbol's arguments, outputs and auxiliary states, in the order the inference results list them.
void InputOutputNames(const mxc::Symbol &s, std::vector<std::string> names[3]) {
  std::vector<mxc::NodePtr> arg_nodes, aux_nodes;
  s.InputNodes(&arg_nodes, &aux_nodes);
  for (auto &v : arg_nodes) names[0].push_back(v->name);
  for (auto &e : s.outputs) names[1].push_back(e.node->OutputName(e.index));
  for (auto &v : aux_nodes) names[2].push_back(v->name);
}
}  // namespace

int MXCSymbolInferShape(MXCSymbolHandle sym, int num_known, const char **keys, const int *ndims, const int64_t *dims,
                        int partial, int *arg_count, const int **arg_ndims, const int64_t **arg_dims, int *out_count,
                        const int **out_ndims, const int64_t **out_dims, int *aux_count, const int **aux_ndims,
                        const int64_t **aux_dims, int *complete) {
  API_BEGIN();
  Symbol &s = SymOf(sym);
  for (const void *p : {static_cast<const void *>(arg_count), static_cast<const void *>(arg_ndims),
                        static_cast<const void *>(arg_dims), static_cast<const void *>(out_count),
                        static_cast<const void *>(out_ndims), static_cast<const void *>(out_dims),
                        static_cast<const void *>(aux_count), static_cast<const void *>(aux_ndims),
                        static_cast<const void *>(aux_dims), static_cast<const void *>(complete)})
    CheckPtr(p, "an output pointer");
  if (num_known > 0) {
    CheckPtr(ndims, "ndims");
    CheckPtr(dims, "dims");
  }
  IndexedGraph g(s.outputs);
  std::vector<TShape> shapes(g.num_entries());
  std::vector<TShape> given(num_known > 0 ? num_known : 0);
  {
    size_t off = 0;
    for (int i = 0; i < num_known; ++i) {
      MXC_CHECK(ndims[i] >= 0 && ndims[i] <= kMaxDim, ErrorKind::kShape, "infer_shape: '",
                keys && keys[i] ? keys[i] : "?", "' has ndim ", ndims[i], " (0 to ", kMaxDim, ")");
      for (int d = 0; d < ndims[i]; ++d) {
        MXC_CHECK(dims[off + d] >= 0, ErrorKind::kShape, "infer_shape: '", keys && keys[i] ? keys[i] : "?",
                  "' has a negative dimension");
        given[i].push_back(dims[off + d]);
      }
      off += ndims[i];
    }
  }
  ApplyKnown(g, num_known, keys, &shapes, [&](int i) { return given[i]; });
  // Per argument / output / auxiliary state: the shape and a name for messages.
  std::vector<TShape> vals[3];
  std::vector<std::string> names[3];
  if (HasControlFlow(s.outputs)) {  // inferred on the graph with its loops and conditions unrolled
    std::map<std::string, TShape> known;
    for (int i = 0; i < num_known; ++i) known[keys[i]] = given[i];
    InferShapesUnrolled(s, known, partial != 0, &vals[0], &vals[1], &vals[2]);
    InputOutputNames(s, names);
  } else {
    InferShapes(g, &shapes);
    for (uint32_t nid : g.arg_nodes()) {
      vals[0].push_back(shapes[g.entry_id(nid, 0)]);
      names[0].push_back(g.EntryName(g.entry_id(nid, 0)));
    }
    for (uint32_t eid : g.outputs()) {
      vals[1].push_back(shapes[eid]);
      names[1].push_back(g.EntryName(eid));
    }
    for (uint32_t nid : g.aux_nodes()) {
      vals[2].push_back(shapes[g.entry_id(nid, 0)]);
      names[2].push_back(g.EntryName(g.entry_id(nid, 0)));
    }
  }
  auto *r = Ret();
  // ints: arg ndims, ints2: out ndims, ints3: aux ndims; i64/i64b/i64c the dims.
  r->ints.clear();
  r->ints2.clear();
  r->ints3.clear();
  r->i64.clear();
  r->i64b.clear();
  r->i64c.clear();
  bool all = true;
  std::string unknown;
  std::vector<int> *nds[3] = {&r->ints, &r->ints2, &r->ints3};
  std::vector<int64_t> *dvs[3] = {&r->i64, &r->i64b, &r->i64c};
  for (int k = 0; k < 3; ++k)
    for (size_t i = 0; i < vals[k].size(); ++i) {
      const TShape &sh = vals[k][i];
      nds[k]->push_back(sh.ndim());
      for (auto d : sh) dvs[k]->push_back(d);
      if (!ShapeKnown(sh)) {
        all = false;
        unknown += (unknown.empty() ? "" : ", ") + names[k][i] + " " + (sh.empty() ? "()" : ShapeStr(sh));
      }
    }
  MXC_CHECK(all || partial, ErrorKind::kShape, "infer_shape: cannot infer the shapes of ", unknown,
            " (0 marks an unknown dimension; give more input shapes)");
  *arg_count = static_cast<int>(r->ints.size());
  *arg_ndims = r->ints.data();
  *arg_dims = r->i64.data();
  *out_count = static_cast<int>(r->ints2.size());
  *out_ndims = r->ints2.data();
  *out_dims = r->i64b.data();
  *aux_count = static_cast<int>(r->ints3.size());
  *aux_ndims = r->ints3.data();
  *aux_dims = r->i64c.data();
  *complete = all ? 1 : 0;
  API_END();
}

int MXCSymbolInferType(MXCSymbolHandle sym, int num_known, const char **keys, const int *dtypes, int partial,
                       int *arg_count, const int **arg_types, int *out_count, const int **out_types, int *aux_count,
                       const int **aux_types, int *complete) {
  API_BEGIN();
  Symbol &s = SymOf(sym);
  for (const void *p : {static_cast<const void *>(arg_count), static_cast<const void *>(arg_types),
                        static_cast<const void *>(out_count), static_cast<const void *>(out_types),
                        static_cast<const void *>(aux_count), static_cast<const void *>(aux_types),
                        static_cast<const void *>(complete)})
    CheckPtr(p, "an output pointer");
  if (num_known > 0) CheckPtr(dtypes, "dtypes");
  for (int i = 0; i < num_known; ++i)
    MXC_CHECK(dtypes[i] == -1 || DTypeValid(dtypes[i]), ErrorKind::kType, "infer_type: '",
              keys && keys[i] ? keys[i] : "?", "' has unknown dtype code ", dtypes[i]);
  IndexedGraph g(s.outputs);
  std::vector<int> types(g.num_entries(), -1);
  ApplyKnown(g, num_known, keys, &types, [&](int i) { return dtypes[i]; });
  std::vector<int> vals[3];
  std::vector<std::string> names[3];
  if (HasControlFlow(s.outputs)) {  // inferred on the graph with its loops and conditions unrolled
    std::map<std::string, int> known;
    for (int i = 0; i < num_known; ++i) known[keys[i]] = dtypes[i];
    InferTypesUnrolled(s, known, &vals[0], &vals[1], &vals[2]);
    InputOutputNames(s, names);
  } else {
    InferTypes(g, &types);
    for (uint32_t nid : g.arg_nodes()) {
      vals[0].push_back(types[g.entry_id(nid, 0)]);
      names[0].push_back(g.EntryName(g.entry_id(nid, 0)));
    }
    for (uint32_t eid : g.outputs()) {
      vals[1].push_back(types[eid]);
      names[1].push_back(g.EntryName(eid));
    }
    for (uint32_t nid : g.aux_nodes()) {
      vals[2].push_back(types[g.entry_id(nid, 0)]);
      names[2].push_back(g.EntryName(g.entry_id(nid, 0)));
    }
  }
  auto *r = Ret();
  r->ints.clear();
  r->ints2.clear();
  r->ints3.clear();
  bool all = true;
  std::string unknown;
  std::vector<int> *outs[3] = {&r->ints, &r->ints2, &r->ints3};
  for (int k = 0; k < 3; ++k)
    for (size_t i = 0; i < vals[k].size(); ++i) {
      outs[k]->push_back(vals[k][i]);
      if (vals[k][i] < 0) {
        all = false;
        unknown += (unknown.empty() ? "" : ", ") + names[k][i];
      }
    }
  MXC_CHECK(all || partial, ErrorKind::kType, "infer_type: cannot infer the dtypes of ", unknown,
            " (give more input dtypes)");
  *arg_count = static_cast<int>(r->ints.size());
  *arg_types = r->ints.data();
  *out_count = static_cast<int>(r->ints2.size());
  *out_types = r->ints2.data();
  *aux_count = static_cast<int>(r->ints3.size());
  *aux_types = r->ints3.data();
  *complete = all ? 1 : 0;
  API_END();
}

int MXCSymbolSaveToJSON(MXCSymbolHandle sym, const char **out) {
  API_BEGIN();
  CheckPtr(out, "out");
  auto *r = Ret();
  r->str = SymOf(sym).ToJSON();
  *out = r->str.c_str();
  API_END();
}

int MXCSymbolCreateFromJSON(const char *json, MXCSymbolHandle *out) {
  API_BEGIN();
  CheckPtr(json, "json");
  CheckPtr(out, "out");
  *out = NewSym(Symbol::FromJSON(json));
  API_END();
}

int MXCSymbolSaveToFile(MXCSymbolHandle sym, const char *fname) {
  API_BEGIN();
  CheckPtr(fname, "fname");
#ifdef MXC_NO_FILESYSTEM  // the WebAssembly build: no file system, the *Buffer functions instead
  Throw(ErrorKind::kIO, "cannot open '", fname, "': this build of mxc has no file system (WebAssembly); use the "
        "buffer functions");
#endif
  std::string text = SymOf(sym).ToJSON();
  std::string tmp = std::string(fname) + ".tmp";
  {
    std::ofstream f(tmp, std::ios::binary);
    MXC_CHECK(f.good(), ErrorKind::kIO, "cannot open '", fname, "' for writing");
    f.write(text.data(), static_cast<std::streamsize>(text.size()));
    f.flush();
    MXC_CHECK(f.good(), ErrorKind::kIO, "failed writing '", fname, "'");
  }
  if (std::rename(tmp.c_str(), fname) != 0) {
    std::remove(tmp.c_str());
    Throw(ErrorKind::kIO, "cannot move '", tmp, "' to '", fname, "'");
  }
  API_END();
}

int MXCSymbolCreateFromFile(const char *fname, MXCSymbolHandle *out) {
  API_BEGIN();
  CheckPtr(fname, "fname");
#ifdef MXC_NO_FILESYSTEM  // the WebAssembly build: no file system, the *Buffer functions instead
  Throw(ErrorKind::kIO, "cannot open '", fname, "': this build of mxc has no file system (WebAssembly); use the "
        "buffer functions");
#endif
  CheckPtr(out, "out");
  std::ifstream f(fname, std::ios::binary);
  MXC_CHECK(f.good(), ErrorKind::kIO, "cannot open '", fname, "' for reading");
  std::string text((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  try {
    *out = NewSym(Symbol::FromJSON(text));
  } catch (const Error &e) {
    Throw(e.kind(), "'", fname, "': ", e.what());
  }
  API_END();
}

int MXCSymbolPrint(MXCSymbolHandle sym, const char **out) {
  API_BEGIN();
  CheckPtr(out, "out");
  auto *r = Ret();
  r->str = SymOf(sym).Print();
  *out = r->str.c_str();
  API_END();
}

int MXCSymbolHasSubgraphs(MXCSymbolHandle sym, int *out) {
  API_BEGIN();
  CheckPtr(out, "out");
  int found = 0;
  DFSVisit(SymOf(sym).outputs, [&](const NodePtr &n) {
    if (!n->subgraphs.empty()) found = 1;
  });
  *out = found;
  API_END();
}

// ------------------------------------------------------------------------------------------------------------------
// Executors
// ------------------------------------------------------------------------------------------------------------------
int MXCExecutorBind(MXCSymbolHandle sym, int dev_type, int dev_id, int num_args, const MXCNDArrayHandle *args,
                    const MXCNDArrayHandle *arg_grads, const int *grad_reqs, int num_aux, const MXCNDArrayHandle *aux,
                    MXCExecutorHandle shared_exec, MXCExecutorHandle *out) {
  API_BEGIN();
  Symbol &s = SymOf(sym);
  CheckPtr(out, "out");
  MXC_CHECK(num_args >= 0 && num_aux >= 0, ErrorKind::kValue, "bind: negative array count");
  if (num_args > 0) CheckPtr(args, "args");
  if (num_aux > 0) CheckPtr(aux, "aux");
  std::vector<NDArray> a, gr, x;
  std::vector<OpReq> reqs;
  for (int i = 0; i < num_args; ++i) {
    a.push_back(ArrayOf(args[i], "argument"));
    gr.push_back(arg_grads && arg_grads[i] ? ArrayOf(arg_grads[i], "gradient") : NDArray());
    int r = grad_reqs ? grad_reqs[i] : (arg_grads && arg_grads[i] ? MXC_GRAD_WRITE : MXC_GRAD_NULL);
    MXC_CHECK(r >= MXC_GRAD_NULL && r <= MXC_GRAD_ADD, ErrorKind::kValue, "bind: bad grad_req code ", r,
              " for argument ", i, " (0 null, 1 write, 2 inplace, 3 add)");
    reqs.push_back(static_cast<OpReq>(r));
  }
  for (int i = 0; i < num_aux; ++i) x.push_back(ArrayOf(aux[i], "auxiliary state"));
  const GraphExecutor *shared = shared_exec ? &ExecOf(shared_exec) : nullptr;
  if (HasControlFlow(s.outputs)) {  // loops and conditions are bound unrolled for these arrays' shapes
    Symbol u = UnrollForBind(s, &a, &gr, &reqs, &x);
    auto ex = GraphExecutor::Bind(u, Device{dev_type, dev_id}, a, gr, reqs, x, shared);
    auto *h = new MXCExecutor_();
    h->exec = std::move(ex);
    *out = h;
    return 0;
  }
  auto ex = GraphExecutor::Bind(s, Device{dev_type, dev_id}, a, gr, reqs, x, shared);
  auto *h = new MXCExecutor_();
  h->exec = std::move(ex);
  *out = h;
  API_END();
}

int MXCExecutorForward(MXCExecutorHandle exec, int is_train) {
  API_BEGIN();
  ExecOf(exec).Forward(is_train != 0);
  API_END();
}

int MXCExecutorBackward(MXCExecutorHandle exec, int num, const MXCNDArrayHandle *head_grads) {
  API_BEGIN();
  GraphExecutor &e = ExecOf(exec);
  MXC_CHECK(num >= 0, ErrorKind::kValue, "backward: negative head gradient count");
  if (num > 0) CheckPtr(head_grads, "head_grads");
  std::vector<NDArray> h;
  for (int i = 0; i < num; ++i) h.push_back(head_grads[i] ? ArrayOf(head_grads[i], "head gradient") : NDArray());
  e.Backward(h);
  API_END();
}

int MXCExecutorOutputs(MXCExecutorHandle exec, int *num, MXCNDArrayHandle **out) {
  API_BEGIN();
  CheckPtr(num, "num");
  CheckPtr(out, "out");
  const auto &outs = ExecOf(exec).outputs();
  auto *r = Ret();
  r->handles.clear();
  for (auto &o : outs) r->handles.push_back(NewHandle(o));
  *num = static_cast<int>(outs.size());
  *out = r->handles.data();
  API_END();
}

int MXCExecutorMemoryStats(MXCExecutorHandle exec, int64_t *planned, int64_t *unplanned) {
  API_BEGIN();
  CheckPtr(planned, "planned");
  CheckPtr(unplanned, "unplanned");
  ExecOf(exec).MemoryStats(planned, unplanned);
  API_END();
}

int MXCExecutorPrint(MXCExecutorHandle exec, const char **out) {
  API_BEGIN();
  CheckPtr(out, "out");
  auto *r = Ret();
  r->str = ExecOf(exec).Print();
  *out = r->str.c_str();
  API_END();
}

int MXCExecutorFree(MXCExecutorHandle exec) {
  API_BEGIN();
  if (exec == nullptr) return 0;
  ExecOf(exec);
  exec->magic = 0;
  delete exec;
  API_END();
}

// ------------------------------------------------------------------------------------------------------------------
// Cached operators
// ------------------------------------------------------------------------------------------------------------------
int MXCCachedOpCreate(MXCSymbolHandle sym, int num_flags, const char **keys, const char **vals,
                      MXCCachedOpHandle *out) {
  API_BEGIN();
  Symbol &s = SymOf(sym);
  CheckPtr(out, "out");
  for (auto &kv : KeyVals(num_flags, keys, vals, "CachedOp")) {
    if (kv.first == "static_alloc" || kv.first == "static_shape") {
      static const char *const kBools[] = {"0", "1", "true", "false", "True", "False"};
      bool ok = false;
      for (const char *b : kBools) ok = ok || kv.second == b;
      MXC_CHECK(ok, ErrorKind::kValue, "CachedOp: flag ", kv.first, " must be a boolean, got '", kv.second, "'");
    } else {
      MXC_CHECK(kv.first == "data_indices" || kv.first == "param_indices", ErrorKind::kValue,
                "CachedOp: unknown flag '", kv.first,
                "' (known: static_alloc, static_shape, data_indices, param_indices)");
    }
  }
  auto *h = new MXCCachedOp_();
  try {
    if (HasControlFlow(s.outputs)) h->cf.reset(new ControlFlowCachedOp(s.Copy()));
    else h->op.reset(new CachedOp(s.Copy()));
  } catch (...) {
    delete h;
    throw;
  }
  *out = h;
  API_END();
}

int MXCCachedOpInvoke(MXCCachedOpHandle op, int num_inputs, const MXCNDArrayHandle *inputs, int *num_outputs,
                      MXCNDArrayHandle **outputs) {
  API_BEGIN();
  const MXCCachedOp_ &c = CachedOf(op);
  CheckPtr(num_outputs, "num_outputs");
  CheckPtr(outputs, "outputs");
  MXC_CHECK(num_inputs >= 0, ErrorKind::kValue, "CachedOp: negative input count");
  if (num_inputs > 0) CheckPtr(inputs, "inputs");
  InvokeArgs args;
  std::vector<const autograd::Entry *> entries;
  for (int i = 0; i < num_inputs; ++i) {
    args.ins().push_back(ArrayOf(inputs[i], "input"));
    entries.push_back(&inputs[i]->ag);
  }
  std::vector<autograd::Entry> out_entries;
  if (c.cf) c.cf->Forward(args.ins(), entries, &args.outs(), &out_entries);
  else c.op->Forward(args.ins(), entries, &args.outs(), &out_entries);
  auto *r = Ret();
  r->handles.clear();
  for (size_t i = 0; i < args.outs().size(); ++i) {
    r->handles.push_back(NewHandle(args.outs()[i]));
    r->handles.back()->ag = out_entries[i];
  }
  *num_outputs = static_cast<int>(r->handles.size());
  *outputs = r->handles.data();
  API_END();
}

int MXCCachedOpGetNumIO(MXCCachedOpHandle op, int *num_inputs, int *num_outputs) {
  API_BEGIN();
  const MXCCachedOp_ &c = CachedOf(op);
  if (num_inputs) *num_inputs = static_cast<int>(c.cf ? c.cf->num_inputs() : c.op->num_inputs());
  if (num_outputs) *num_outputs = static_cast<int>(c.cf ? c.cf->num_outputs() : c.op->num_outputs());
  API_END();
}

int MXCCachedOpFree(MXCCachedOpHandle op) {
  API_BEGIN();
  if (op == nullptr) return 0;
  CachedOf(op);
  op->magic = 0;
  delete op;
  API_END();
}
