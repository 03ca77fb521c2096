#include "symbol.h"

#include <algorithm>
#include <cctype>
#include <mutex>
#include <sstream>
#include <unordered_map>
#include <unordered_set>

#include "json.h"

namespace mxc {

// ----------------------------------------------------------------------------------------------------------------
// Nodes
// ----------------------------------------------------------------------------------------------------------------
uint32_t Node::num_outputs() const {
  if (is_variable()) return 1;
  return static_cast<uint32_t>(op->NumOutputs(params));
}

uint32_t Node::num_visible_outputs() const {
  if (is_variable()) return 1;
  return static_cast<uint32_t>(op->NumVisibleOutputs(params));
}

std::string Node::OutputName(uint32_t i) const {
  if (is_variable()) return name;
  auto names = op->OutputNames(params);
  if (i < names.size()) return name + "_" + names[i];
  return name + "_output" + std::to_string(i);
}

bool Node::InputIsAux(size_t i) const {
  if (is_variable()) return false;
  return op->InputIsAux(params, i, inputs.size());
}

void DFSVisit(const std::vector<NodeEntry> &heads, const std::function<void(const NodePtr &)> &fn) {
  std::unordered_set<const Node *> visited;
  std::vector<std::pair<NodePtr, size_t>> stack;
  for (const auto &h : heads) {
    if (!h.node || visited.count(h.node.get())) continue;
    visited.insert(h.node.get());
    stack.emplace_back(h.node, 0);
    while (!stack.empty()) {
      auto &top = stack.back();
      if (top.second < top.first->inputs.size()) {
        const NodePtr &child = top.first->inputs[top.second++].node;
        if (child && !visited.count(child.get())) {
          visited.insert(child.get());
          stack.emplace_back(child, 0);
        }
      } else {
        NodePtr n = top.first;
        stack.pop_back();
        fn(n);
      }
    }
  }
}

std::string AutoName(const std::string &hint) {
  static std::mutex mu;
  static auto *counters = new std::unordered_map<std::string, int64_t>();
  std::lock_guard<std::mutex> lk(mu);
  int64_t c = (*counters)[hint]++;
  return hint + std::to_string(c);
}

static std::string Lower(std::string s) {
  for (auto &c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::vector<std::pair<std::string, std::string>> NodeAttrList(const Node &n) {
  std::vector<std::pair<std::string, std::string>> r;
  if (!n.is_variable()) r = n.params.raw();
  for (auto &kv : n.attrs) {
    bool dup = false;
    for (auto &p : r)
      if (p.first == kv.first) dup = true;
    if (!dup) r.push_back(kv);
  }
  return r;
}

// ----------------------------------------------------------------------------------------------------------------
// Creation
// ----------------------------------------------------------------------------------------------------------------
Symbol Symbol::Variable(const std::string &name) {
  MXC_CHECK(!name.empty(), ErrorKind::kValue, "a variable needs a name");
  auto n = std::make_shared<Node>();
  n->name = name;
  Symbol s;
  s.outputs.push_back(NodeEntry{n, 0});
  return s;
}

Symbol Symbol::Atomic(const Op *op, const std::vector<std::pair<std::string, std::string>> &params,
                      const std::string &used_name) {
  auto n = std::make_shared<Node>();
  n->op = op;
  n->hint = Lower(used_name.empty() ? op->name : used_name);
  auto kv = params;
  if (!op->key_var_num_args.empty()) {
    bool given = false;
    for (auto &p : kv)
      if (p.first == op->key_var_num_args) given = true;
    const ParamSpec *spec = op->FindParam(op->key_var_num_args);
    if (!given && spec && spec->required) {
      // Parsed with a placeholder count for now; Compose sets the real one. (A count with a default, such as
      // multi_sgd_update's num_weights, is not the number of inputs: it keeps its default, as in MXNet.)
      kv.emplace_back(op->key_var_num_args, "1");
      n->auto_num_args = true;
    }
  }
  n->params = OpParams(op, kv);
  Symbol s;
  uint32_t nvis = n->num_visible_outputs();
  for (uint32_t i = 0; i < nvis; ++i) s.outputs.push_back(NodeEntry{n, i});
  if (op->NumInputs(n->params) == 0 && !n->auto_num_args) {
    // Nothing to connect; still composable (for the name).
  }
  return s;
}

Symbol Symbol::Group(const std::vector<Symbol> &syms) {
  Symbol s;
  for (auto &x : syms) s.outputs.insert(s.outputs.end(), x.outputs.begin(), x.outputs.end());
  return s;
}

static bool IsAtomic(const Symbol &s) {
  if (s.outputs.empty()) return false;
  const Node *n = s.outputs[0].node.get();
  if (n->is_variable() || n->composed) return false;
  for (auto &e : s.outputs)
    if (e.node.get() != n) return false;
  return true;
}

void Symbol::CheckComposed() const {
  DFSVisit(outputs, [](const NodePtr &n) {
    if (!n->is_variable() && !n->composed)
      Throw(ErrorKind::kValue, "operator ", n->op->name,
            ": the symbol is not composed yet (connect its inputs with Compose first)");
  });
}

// Copies the graph of heads; variables found in `replace` are substituted by the given entry.
static std::vector<NodeEntry> CopyGraph(const std::vector<NodeEntry> &heads,
                                        const std::unordered_map<const Node *, NodeEntry> &replace) {
  std::unordered_map<const Node *, NodePtr> copies;
  DFSVisit(heads, [&](const NodePtr &n) {
    if (replace.count(n.get())) return;
    auto c = std::make_shared<Node>(*n);
    for (auto &in : c->inputs) {
      auto r = replace.find(in.node.get());
      if (r != replace.end()) in = r->second;
      else in.node = copies.at(in.node.get());
    }
    copies[n.get()] = c;
  });
  std::vector<NodeEntry> out;
  for (auto &h : heads) {
    auto r = replace.find(h.node.get());
    if (r != replace.end()) out.push_back(r->second);
    else out.push_back(NodeEntry{copies.at(h.node.get()), h.index});
  }
  return out;
}

Symbol Symbol::Copy() const {
  Symbol s;
  s.outputs = CopyGraph(outputs, {});
  return s;
}

void Symbol::Compose(const std::vector<Symbol> &args, const std::vector<std::string> &keys,
                     const std::string &name) {
  MXC_CHECK(keys.empty() || keys.size() == args.size(), ErrorKind::kValue, "Compose: ", keys.size(), " keys for ",
            args.size(), " arguments");
  MXC_CHECK(!outputs.empty(), ErrorKind::kValue, "Compose: the symbol is empty");
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string what = keys.empty() ? "argument " + std::to_string(i) : "argument '" + keys[i] + "'";
    MXC_CHECK(args[i].outputs.size() == 1, ErrorKind::kValue, "Compose: ", what,
              " must be a symbol with one output, got ", args[i].outputs.size(), " outputs");
    // Nodes are checked when composed, so everything above a composed node is composed too.
    const Node &in = *args[i].outputs[0].node;
    MXC_CHECK(in.is_variable() || in.composed, ErrorKind::kValue, "Compose: ", what, " (operator ", in.op->name,
              ") is not composed yet");
  }

  if (!IsAtomic(*this)) {
    MXC_CHECK(!(outputs.size() == 1 && outputs[0].node->is_variable()), ErrorKind::kValue,
              "Compose: cannot compose the variable '", outputs[0].node->name, "'");
    CheckComposed();
    // Replace arguments of a composed graph.
    std::vector<NodePtr> arg_nodes, aux_nodes;
    InputNodes(&arg_nodes, &aux_nodes);
    std::unordered_map<const Node *, NodeEntry> replace;
    if (keys.empty()) {
      MXC_CHECK(args.size() <= arg_nodes.size(), ErrorKind::kValue, "Compose: ", args.size(),
                " arguments given, the symbol has ", arg_nodes.size());
      for (size_t i = 0; i < args.size(); ++i) replace[arg_nodes[i].get()] = args[i].outputs[0];
    } else {
      for (size_t i = 0; i < keys.size(); ++i) {
        bool found = false;
        for (auto &vec : {&arg_nodes, &aux_nodes})
          for (auto &n : *vec)
            if (n->name == keys[i]) {
              replace[n.get()] = args[i].outputs[0];
              found = true;
            }
        if (!found) {
          std::string known;
          for (auto &n : arg_nodes) known += (known.empty() ? "" : ", ") + n->name;
          Throw(ErrorKind::kValue, "Compose: the symbol has no argument '", keys[i], "' (arguments: ", known, ")");
        }
      }
    }
    outputs = CopyGraph(outputs, replace);
    return;
  }

  Node *n = outputs[0].node.get();
  const Op *op = n->op;
  std::string node_name = name.empty() ? AutoName(n->hint) : name;
  if (n->auto_num_args) {
    auto kv = n->params.raw();
    for (auto &p : kv)
      if (p.first == op->key_var_num_args) p.second = std::to_string(args.size());
    n->params = OpParams(op, kv);
    n->auto_num_args = false;
  }
  const int nin = op->NumInputs(n->params);
  const auto in_names = op->InputNames(n->params);
  auto list_names = [&]() {
    std::string s;
    for (auto &x : in_names) s += (s.empty() ? "" : ", ") + x;
    return s.empty() ? std::string("none") : s;
  };
  std::vector<NodeEntry> inputs(nin);
  std::vector<char> given(nin, 0);
  if (keys.empty()) {
    MXC_CHECK(static_cast<int>(args.size()) <= nin, ErrorKind::kValue, "operator ", op->name, " (node '",
              node_name, "'): takes ", nin, " input(s) (", list_names(), "), got ", args.size());
    for (size_t i = 0; i < args.size(); ++i) {
      inputs[i] = args[i].outputs[0];
      given[i] = 1;
    }
  } else {
    for (size_t i = 0; i < keys.size(); ++i) {
      int idx = -1;
      for (int j = 0; j < nin; ++j)
        if (in_names[j] == keys[i]) idx = j;
      MXC_CHECK(idx >= 0, ErrorKind::kValue, "operator ", op->name, " (node '", node_name, "'): unknown input '",
                keys[i], "' (inputs: ", list_names(), ")");
      MXC_CHECK(!given[idx], ErrorKind::kValue, "operator ", op->name, " (node '", node_name, "'): input '",
                keys[i], "' given twice");
      inputs[idx] = args[i].outputs[0];
      given[idx] = 1;
    }
  }
  for (int i = 0; i < nin; ++i) {
    if (given[i]) continue;
    MXC_CHECK(op->key_var_num_args.empty(), ErrorKind::kValue, "operator ", op->name, " (node '", node_name,
              "'): expects ", nin, " inputs (from ", op->key_var_num_args, ") but input ", i,
              " is not given");
    inputs[i] = Variable(node_name + "_" + in_names[i]).outputs[0];
  }
  n->name = node_name;
  n->inputs = std::move(inputs);
  n->composed = true;
}

// ----------------------------------------------------------------------------------------------------------------
// Queries
// ----------------------------------------------------------------------------------------------------------------
Symbol Symbol::GetOutput(size_t i) const {
  MXC_CHECK(i < outputs.size(), ErrorKind::kIndex, "output index ", i, " out of range (the symbol has ",
            outputs.size(), " outputs)");
  Symbol s;
  s.outputs.push_back(outputs[i]);
  return s;
}

Symbol Symbol::GetInternals() const {
  Symbol s;
  DFSVisit(outputs, [&](const NodePtr &n) {
    uint32_t nv = n->num_visible_outputs();
    for (uint32_t i = 0; i < nv; ++i) s.outputs.push_back(NodeEntry{n, i});
  });
  return s;
}

bool Symbol::GetChildren(Symbol *out) const {
  std::unordered_set<const Node *> seen;
  Symbol s;
  for (auto &e : outputs) {
    if (!seen.insert(e.node.get()).second) continue;
    s.outputs.insert(s.outputs.end(), e.node->inputs.begin(), e.node->inputs.end());
  }
  if (s.outputs.empty()) return false;
  *out = std::move(s);
  return true;
}

void Symbol::InputNodes(std::vector<NodePtr> *args, std::vector<NodePtr> *aux) const {
  std::vector<NodePtr> vars;
  std::unordered_set<const Node *> aux_set;
  DFSVisit(outputs, [&](const NodePtr &n) {
    if (n->is_variable()) {
      vars.push_back(n);
      return;
    }
    for (size_t i = 0; i < n->inputs.size(); ++i)
      if (n->InputIsAux(i) && n->inputs[i].node->is_variable()) aux_set.insert(n->inputs[i].node.get());
  });
  for (auto &v : vars) {
    if (aux_set.count(v.get())) {
      if (aux) aux->push_back(v);
    } else if (args) {
      args->push_back(v);
    }
  }
}

static std::vector<std::string> Names(const std::vector<NodePtr> &nodes) {
  std::vector<std::string> r;
  r.reserve(nodes.size());
  for (auto &n : nodes) r.push_back(n->name);
  return r;
}

std::vector<std::string> Symbol::ListArguments() const {
  std::vector<NodePtr> a;
  InputNodes(&a, nullptr);
  return Names(a);
}

std::vector<std::string> Symbol::ListAuxiliaryStates() const {
  std::vector<NodePtr> a;
  InputNodes(nullptr, &a);
  return Names(a);
}

std::vector<std::string> Symbol::ListInputs() const {
  std::vector<std::string> r;
  DFSVisit(outputs, [&](const NodePtr &n) {
    if (n->is_variable()) r.push_back(n->name);
  });
  return r;
}

std::vector<std::string> Symbol::ListOutputs() const {
  std::vector<std::string> r;
  for (auto &e : outputs) r.push_back(e.node->OutputName(e.index));
  return r;
}

bool Symbol::GetName(std::string *out) const {
  if (outputs.size() != 1) return false;
  *out = outputs[0].node->name;
  return true;
}

static Node *SingleNode(const Symbol &s) {
  if (s.outputs.empty()) return nullptr;
  Node *n = s.outputs[0].node.get();
  for (auto &e : s.outputs)
    if (e.node.get() != n) return nullptr;
  return n;
}

bool Symbol::GetAttr(const std::string &key, std::string *out) const {
  Node *n = SingleNode(*this);
  if (!n) return false;
  if (!n->is_variable()) {
    for (auto &p : n->params.raw())
      if (p.first == key) {
        *out = p.second;
        return true;
      }
  }
  auto it = n->attrs.find(key);
  if (it == n->attrs.end()) return false;
  *out = it->second;
  return true;
}

void Symbol::SetAttr(const std::string &key, const std::string &value) {
  Node *n = SingleNode(*this);
  MXC_CHECK(n != nullptr, ErrorKind::kValue, "SetAttr: only a symbol whose outputs come from one node has "
                                             "attributes (this is a group; set them on its members)");
  MXC_CHECK(!key.empty(), ErrorKind::kValue, "SetAttr: empty key");
  if (!n->is_variable() && n->op->FindParam(key)) {
    auto kv = n->params.raw();
    bool found = false;
    for (auto &p : kv)
      if (p.first == key) {
        p.second = value;
        found = true;
      }
    if (!found) kv.emplace_back(key, value);
    OpParams p(n->op, kv);
    MXC_CHECK(p.op()->NumOutputs(p) == n->op->NumOutputs(n->params) &&
                  (!n->composed || p.op()->NumInputs(p) == static_cast<int>(n->inputs.size())),
              ErrorKind::kValue, "SetAttr: parameter '", key, "' of operator ", n->op->name,
              " cannot change the number of inputs or outputs of a composed node");
    n->params = std::move(p);
    return;
  }
  n->attrs[key] = value;
}

std::vector<std::pair<std::string, std::string>> Symbol::ListAttr(bool recursive) const {
  if (!recursive) {
    Node *n = SingleNode(*this);
    if (!n) return {};
    return NodeAttrList(*n);
  }
  std::vector<std::pair<std::string, std::string>> r;
  DFSVisit(outputs, [&](const NodePtr &n) {
    for (auto &kv : NodeAttrList(*n)) r.emplace_back(n->name + "$" + kv.first, kv.second);
  });
  return r;
}

// ----------------------------------------------------------------------------------------------------------------
// JSON (MXNet 1.x layout)
// ----------------------------------------------------------------------------------------------------------------
namespace {
constexpr int kMXNetVersion = 10901;  // the MXNet format version we write (1.9.1)
constexpr int kMXCJsonVersion = MXC_VERSION_MAJOR * 10000 + MXC_VERSION_MINOR * 100;

json::Value Triple(int64_t a, int64_t b, int64_t c) {
  json::Value v = json::Value::Array();
  v.Push(json::Value::Number(static_cast<double>(a)));
  v.Push(json::Value::Number(static_cast<double>(b)));
  v.Push(json::Value::Number(static_cast<double>(c)));
  return v;
}
}  // namespace

// The JSON object of a graph: MXNet's layout; control-flow nodes carry their "subgraphs" (written the same way,
// without the version attributes).
static json::Value GraphToJSON(const std::vector<NodeEntry> &outputs, bool top) {
  std::vector<NodePtr> order;
  std::unordered_map<const Node *, int64_t> id;
  DFSVisit(outputs, [&](const NodePtr &n) {
    id[n.get()] = static_cast<int64_t>(order.size());
    order.push_back(n);
  });
  json::Value root = json::Value::Object();
  json::Value nodes = json::Value::Array();
  json::Value arg_nodes = json::Value::Array();
  json::Value row_ptr = json::Value::Array();
  int64_t rp = 0;
  row_ptr.Push(json::Value::Number(0));
  for (size_t i = 0; i < order.size(); ++i) {
    const Node &n = *order[i];
    json::Value jn = json::Value::Object();
    jn.Set("op", json::Value::String(n.is_variable() ? "null" : n.op->name));
    jn.Set("name", json::Value::String(n.name));
    auto attrs = NodeAttrList(n);
    if (!attrs.empty()) {
      json::Value ja = json::Value::Object();
      for (auto &kv : attrs) ja.Set(kv.first, json::Value::String(kv.second));
      jn.Set("attrs", std::move(ja));
    }
    json::Value ins = json::Value::Array();
    for (auto &e : n.inputs) ins.Push(Triple(id.at(e.node.get()), e.index, 0));
    jn.Set("inputs", std::move(ins));
    if (!n.subgraphs.empty()) {
      json::Value subs = json::Value::Array();
      for (auto &g : n.subgraphs) subs.Push(GraphToJSON(g->outputs, false));
      jn.Set("subgraphs", std::move(subs));
    }
    nodes.Push(std::move(jn));
    if (n.is_variable()) arg_nodes.Push(json::Value::Number(static_cast<double>(i)));
    rp += n.num_outputs();
    row_ptr.Push(json::Value::Number(static_cast<double>(rp)));
  }
  json::Value heads = json::Value::Array();
  for (auto &e : outputs) heads.Push(Triple(id.at(e.node.get()), e.index, 0));
  root.Set("nodes", std::move(nodes));
  root.Set("arg_nodes", std::move(arg_nodes));
  root.Set("node_row_ptr", std::move(row_ptr));
  root.Set("heads", std::move(heads));
  if (top) {
    json::Value attrs = json::Value::Object();
    json::Value mv = json::Value::Array();
    mv.Push(json::Value::String("int"));
    mv.Push(json::Value::Number(kMXNetVersion));
    attrs.Set("mxnet_version", std::move(mv));
    json::Value cv = json::Value::Array();
    cv.Push(json::Value::String("int"));
    cv.Push(json::Value::Number(kMXCJsonVersion));
    attrs.Set("mxc_version", std::move(cv));
    root.Set("attrs", std::move(attrs));
  }
  return root;
}

std::string Symbol::ToJSON() const {
  CheckComposed();
  return GraphToJSON(outputs, true).Dump(2);
}

static std::string AttrValueString(const json::Value &v, const std::string &what) {
  switch (v.type()) {
    case json::Value::kString: return v.AsString(what.c_str());
    case json::Value::kNumber: {
      std::ostringstream os;
      os << v.AsNumber(what.c_str());
      return os.str();
    }
    case json::Value::kBool: return v.AsBool(what.c_str()) ? "True" : "False";
    default: Throw(ErrorKind::kValue, "symbol JSON: ", what, " must be a string");
  }
}

static Symbol GraphFromJSON(const json::Value &root);

Symbol Symbol::FromJSON(const std::string &text) { return GraphFromJSON(json::Parse(text)); }

static Symbol GraphFromJSON(const json::Value &root) {
  MXC_CHECK(root.is_object(), ErrorKind::kValue, "symbol JSON: the document must be an object");
  const json::Value *jnodes = root.Find("nodes");
  MXC_CHECK(jnodes != nullptr, ErrorKind::kValue, "symbol JSON: no \"nodes\"");
  const auto &nodes = jnodes->AsArray("\"nodes\"");
  std::vector<NodePtr> built;
  built.reserve(nodes.size());
  for (size_t i = 0; i < nodes.size(); ++i) {
    const json::Value &jn = nodes[i];
    std::string where = "node " + std::to_string(i);
    MXC_CHECK(jn.is_object(), ErrorKind::kValue, "symbol JSON: ", where, " must be an object");
    const json::Value *jop = jn.Find("op");
    const json::Value *jname = jn.Find("name");
    MXC_CHECK(jop && jname, ErrorKind::kValue, "symbol JSON: ", where, " needs \"op\" and \"name\"");
    std::string opname = jop->AsString("\"op\"");
    auto n = std::make_shared<Node>();
    n->name = jname->AsString("\"name\"");
    where += " ('" + n->name + "')";
    // Attributes: "attrs" (MXNet >= 0.9), or "param" and "attr" (older files).
    std::vector<std::pair<std::string, std::string>> kv;
    for (const char *key : {"param", "attr", "attrs"}) {
      const json::Value *ja = jn.Find(key);
      if (!ja || ja->is_null()) continue;
      for (auto &p : ja->AsObject(key)) kv.emplace_back(p.first, AttrValueString(p.second, where + " attribute"));
    }
    std::vector<std::pair<std::string, std::string>> params;
    if (opname != "null") {
      n->op = OpRegistry::Get()->Find(opname);
      MXC_CHECK(n->op != nullptr, ErrorKind::kValue, "symbol JSON: ", where, ": unknown operator '", opname, "'");
      n->hint = Lower(opname);
      for (auto &p : kv) {
        if (n->op->FindParam(p.first)) params.push_back(p);
        else n->attrs[p.first] = p.second;
      }
      try {
        n->params = OpParams(n->op, params);
      } catch (const Error &e) {
        Throw(e.kind(), "symbol JSON: ", where, ": ", e.what());
      }
      n->composed = true;
    } else {
      for (auto &p : kv) n->attrs[p.first] = p.second;
    }
    const json::Value *jin = jn.Find("inputs");
    if (jin) {
      for (auto &e : jin->AsArray("\"inputs\"")) {
        const auto &t = e.AsArray("an input entry");
        MXC_CHECK(t.size() >= 2, ErrorKind::kValue, "symbol JSON: ", where, ": an input entry needs [node, index]");
        int64_t src = t[0].AsInt("an input node id"), idx = t[1].AsInt("an input index");
        MXC_CHECK(src >= 0 && src < static_cast<int64_t>(i), ErrorKind::kValue, "symbol JSON: ", where,
                  ": input node id ", src, " must refer to an earlier node");
        MXC_CHECK(idx >= 0 && idx < built[src]->num_outputs(), ErrorKind::kValue, "symbol JSON: ", where,
                  ": input refers to output ", idx, " of node '", built[src]->name, "', which has ",
                  built[src]->num_outputs());
        n->inputs.push_back(NodeEntry{built[src], static_cast<uint32_t>(idx)});
      }
    }
    const json::Value *jsubs = jn.Find("subgraphs");
    if (jsubs && !jsubs->is_null()) {
      for (auto &g : jsubs->AsArray("\"subgraphs\"")) {
        try {
          n->subgraphs.push_back(std::make_shared<const Symbol>(GraphFromJSON(g)));
        } catch (const Error &e) {
          Throw(e.kind(), "symbol JSON: ", where, ": a subgraph: ", e.what());
        }
      }
    }
    if (n->op) {
      int nin = n->op->NumInputs(n->params);
      MXC_CHECK(nin == static_cast<int>(n->inputs.size()), ErrorKind::kValue, "symbol JSON: ", where,
                ": operator ", n->op->name, " takes ", nin, " input(s), the file gives ", n->inputs.size());
    } else {
      MXC_CHECK(n->inputs.empty(), ErrorKind::kValue, "symbol JSON: ", where, ": a variable has no inputs");
    }
    built.push_back(n);
  }
  const json::Value *jheads = root.Find("heads");
  MXC_CHECK(jheads != nullptr, ErrorKind::kValue, "symbol JSON: no \"heads\"");
  Symbol s;
  for (auto &h : jheads->AsArray("\"heads\"")) {
    const auto &t = h.AsArray("a head entry");
    MXC_CHECK(t.size() >= 2, ErrorKind::kValue, "symbol JSON: a head entry needs [node, index]");
    int64_t src = t[0].AsInt("a head node id"), idx = t[1].AsInt("a head index");
    MXC_CHECK(src >= 0 && src < static_cast<int64_t>(built.size()), ErrorKind::kValue,
              "symbol JSON: head node id ", src, " out of range");
    MXC_CHECK(idx >= 0 && idx < built[src]->num_outputs(), ErrorKind::kValue, "symbol JSON: head refers to output ",
              idx, " of node '", built[src]->name, "', which has ", built[src]->num_outputs());
    s.outputs.push_back(NodeEntry{built[src], static_cast<uint32_t>(idx)});
  }
  return s;
}

// ----------------------------------------------------------------------------------------------------------------
// Printing
// ----------------------------------------------------------------------------------------------------------------
std::string Symbol::Print() const {
  std::ostringstream os;
  os << "Symbol Outputs:\n";
  for (size_t i = 0; i < outputs.size(); ++i)
    os << "\toutput[" << i << "]=" << outputs[i].node->name << '(' << outputs[i].index << ")\n";
  DFSVisit(outputs, [&](const NodePtr &n) {
    if (n->is_variable()) {
      os << "Variable:" << n->name << '\n';
      return;
    }
    os << "--------------------\n";
    os << "Op:" << n->op->name << ", Name=" << n->name << '\n';
    os << "Inputs:\n";
    for (size_t i = 0; i < n->inputs.size(); ++i)
      os << "\targ[" << i << "]=" << n->inputs[i].node->name << '(' << n->inputs[i].index << ")\n";
    auto attrs = NodeAttrList(*n);
    if (!attrs.empty()) {
      os << "Attrs:\n";
      for (auto &kv : attrs) os << '\t' << kv.first << '=' << kv.second << '\n';
    }
  });
  return os.str();
}

}  // namespace mxc
