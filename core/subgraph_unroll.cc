// The control-flow unroll pass (see subgraph_unroll.h).
#include "subgraph_unroll.h"

#include <cctype>
#include <set>
#include <unordered_map>

#include "base.h"
#include "graph.h"
#include "operator.h"

namespace mxc {

bool HasControlFlow(const std::vector<NodeEntry> &heads) {
  bool found = false;
  DFSVisit(heads, [&](const NodePtr &n) {
    if (!n->subgraphs.empty()) found = true;
  });
  return found;
}

namespace {

// Thrown when a loop's length is not known and the caller asked to be told instead of an error.
struct LengthUnknown {};

std::string LowerStr(const std::string &s) {
  std::string r = s;
  for (auto &c : r) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return r;
}

// "[0, 1]", "(0,1)", "0", "[]" -> integers.
std::vector<int64_t> ParseLocs(const Node &n, const char *key) {
  std::string text = n.params.Str(key);
  std::vector<int64_t> r;
  std::string cur;
  auto flush = [&]() {
    if (cur.empty()) return;
    char *end = nullptr;
    long long v = std::strtoll(cur.c_str(), &end, 10);
    MXC_CHECK(end && *end == '\0', ErrorKind::kValue, n.op->name, " node '", n.name, "': attribute ", key, "='",
              text, "' is not a list of integers");
    r.push_back(v);
    cur.clear();
  };
  for (char c : text) {
    if (c == '[' || c == ']' || c == '(' || c == ')' || c == ',' || std::isspace(static_cast<unsigned char>(c))) {
      flush();
    } else if (std::isdigit(static_cast<unsigned char>(c)) || c == '-' || c == 'L') {
      if (c != 'L') cur += c;
    } else {
      Throw(ErrorKind::kValue, n.op->name, " node '", n.name, "': attribute ", key, "='", text,
            "' is not a list of integers");
    }
  }
  flush();
  return r;
}

class Unroller {
 public:
  Unroller(const std::map<std::string, TShape> &known, int64_t unknown_length, bool tell_unknown)
      : known_(known), unknown_length_(unknown_length), tell_unknown_(tell_unknown) {}

  // Copies the graph of heads: Variables map through var_map (keep_vars: a Variable not in it stays itself),
  // operator nodes are copied with prefix on their names, control-flow nodes are unrolled. Returns the heads' values.
  std::vector<NodeEntry> Inline(const std::vector<NodeEntry> &heads,
                                const std::unordered_map<const Node *, NodeEntry> &var_map, const std::string &prefix,
                                bool keep_vars) {
    std::unordered_map<const Node *, std::vector<NodeEntry>> outs;
    DFSVisit(heads, [&](const NodePtr &n) {
      std::vector<NodeEntry> &o = outs[n.get()];
      if (n->is_variable()) {
        auto it = var_map.find(n.get());
        if (it != var_map.end()) {
          o.push_back(it->second);
        } else {
          MXC_CHECK(keep_vars, ErrorKind::kValue, "control flow: subgraph variable '", n->name,
                    "' is not bound to an input of its node");
          o.push_back(NodeEntry{n, 0});
        }
        return;
      }
      std::vector<NodeEntry> ins;
      ins.reserve(n->inputs.size());
      for (const NodeEntry &e : n->inputs) ins.push_back(Map(outs, e));
      if (!n->subgraphs.empty()) {
        o = Expand(*n, ins, prefix);
        return;
      }
      auto c = std::make_shared<Node>(*n);
      c->name = prefix + n->name;
      c->inputs = std::move(ins);
      uint32_t k = c->num_outputs();
      for (uint32_t i = 0; i < k; ++i) o.push_back(NodeEntry{c, i});
    });
    std::vector<NodeEntry> r;
    r.reserve(heads.size());
    for (const NodeEntry &h : heads) r.push_back(Map(outs, h));
    return r;
  }

 private:
  static NodeEntry Map(const std::unordered_map<const Node *, std::vector<NodeEntry>> &outs, const NodeEntry &e) {
    const std::vector<NodeEntry> &o = outs.at(e.node.get());
    if (e.node->is_variable()) return o[0];  // a Variable stands for an entry of the outer graph
    MXC_CHECK(e.index < o.size(), ErrorKind::kValue, "control flow: node '", e.node->name, "' has ", o.size(),
              " outputs, output ", e.index, " is used");
    return o[e.index];
  }

  NodeEntry Add(const char *op_name, const std::string &name, std::vector<NodeEntry> inputs,
                const std::vector<std::pair<std::string, std::string>> &params = {}) {
    const Op *op = OpRegistry::Get()->Find(op_name);
    MXC_CHECK(op != nullptr, ErrorKind::kInternal, "control flow: operator ", op_name, " is not registered");
    auto n = std::make_shared<Node>();
    n->op = op;
    n->name = name;
    n->hint = LowerStr(op_name);
    n->params = OpParams(op, params);
    n->inputs = std::move(inputs);
    n->composed = true;
    return NodeEntry{n, 0};
  }

  // where(mask, yes, no) with the one-element mask broadcast to yes's shape (in its own dtype): reshaped to as many
  // axes of size 1 as yes has (reshape_like a keepdims sum of yes), then broadcast_like yes.
  NodeEntry Select(const NodeEntry &mask, const NodeEntry &yes, const NodeEntry &no, const std::string &name) {
    NodeEntry ones = Add("sum", name + "ndim", {yes}, {{"keepdims", "True"}});
    NodeEntry shaped = Add("reshape_like", name + "mask_shaped", {mask, ones});
    NodeEntry full = Add("broadcast_like", name + "mask", {shaped, yes});
    return Add("where", name + "where", {full, yes, no});
  }

  // Shapes of entries of the graph built so far (partial inference from the known shapes).
  std::vector<TShape> EntryShapes(const std::vector<NodeEntry> &entries) {
    IndexedGraph g(entries);
    std::vector<TShape> shapes(g.num_entries());
    for (const auto *list : {&g.arg_nodes(), &g.aux_nodes()})
      for (uint32_t nid : *list) {
        auto it = known_.find(g.node(nid).name);
        if (it != known_.end()) shapes[g.entry_id(nid, 0)] = it->second;
      }
    InferShapes(g, &shapes);
    std::vector<TShape> r;
    for (uint32_t eid : g.outputs()) r.push_back(shapes[eid]);
    return r;
  }

  static std::unordered_map<const Node *, NodeEntry> BindVars(const Node &n, const Symbol &sub, const char *which,
                                                              const std::vector<NodeEntry> &values) {
    std::vector<const Node *> vars;
    DFSVisit(sub.outputs, [&](const NodePtr &v) {
      if (v->is_variable()) vars.push_back(v.get());
    });
    MXC_CHECK(vars.size() == values.size(), ErrorKind::kValue, n.op->name, " node '", n.name, "': its ", which,
              " subgraph has ", vars.size(), " inputs, the node's locs give it ", values.size());
    std::unordered_map<const Node *, NodeEntry> m;
    for (size_t i = 0; i < vars.size(); ++i) m[vars[i]] = values[i];
    return m;
  }

  std::vector<NodeEntry> Gather(const Node &n, const std::vector<NodeEntry> &ins, const std::vector<int64_t> &locs,
                                const char *key) {
    std::vector<NodeEntry> r;
    for (int64_t j : locs) {
      MXC_CHECK(j >= 0 && j < static_cast<int64_t>(ins.size()), ErrorKind::kValue, n.op->name, " node '", n.name,
                "': ", key, " names input ", j, ", the node has ", ins.size(), " inputs");
      r.push_back(ins[j]);
    }
    return r;
  }

  std::vector<NodeEntry> Expand(const Node &n, const std::vector<NodeEntry> &ins, const std::string &prefix) {
    const std::string &op = n.op->name;
    const std::string base = prefix + n.name;
    const int64_t num_outputs = n.params.Int("num_outputs");
    auto need_subs = [&](size_t k) {
      MXC_CHECK(n.subgraphs.size() == k, ErrorKind::kValue, op, " node '", base, "': expects ", k,
                " subgraph(s), has ", n.subgraphs.size());
    };
    std::vector<NodeEntry> result;
    if (op == "_foreach") {
      need_subs(1);
      const Symbol &body = *n.subgraphs[0];
      auto data_locs = ParseLocs(n, "in_data_locs"), state_locs = ParseLocs(n, "in_state_locs"),
           remain_locs = ParseLocs(n, "remain_locs");
      const int64_t num_out_data = n.params.Int("num_out_data");
      const size_t n_in = data_locs.size() + state_locs.size() + remain_locs.size();
      MXC_CHECK(n_in == ins.size(), ErrorKind::kValue, "_foreach node '", base, "': its locs name ", n_in,
                " inputs, it has ", ins.size());
      MXC_CHECK(!data_locs.empty(), ErrorKind::kValue, "_foreach node '", base, "': no data input (in_data_locs)");
      MXC_CHECK(static_cast<int64_t>(body.outputs.size()) == num_outputs, ErrorKind::kValue, "_foreach node '", base,
                "': its body gives ", body.outputs.size(), " outputs, the node has num_outputs=", num_outputs);
      MXC_CHECK(num_out_data >= 0 && num_outputs - num_out_data == static_cast<int64_t>(state_locs.size()),
                ErrorKind::kValue, "_foreach node '", base, "': num_outputs=", num_outputs, " less num_out_data=",
                num_out_data, " must be the number of states (", state_locs.size(), ")");
      for (auto *locs : {&data_locs, &state_locs, &remain_locs})
        for (int64_t l : *locs)
          MXC_CHECK(l >= 0 && l < static_cast<int64_t>(n_in), ErrorKind::kValue, "_foreach node '", base,
                    "': a loc (", l, ") is out of range for a body of ", n_in, " inputs");
      std::vector<NodeEntry> data_ins(ins.begin(), ins.begin() + data_locs.size());
      std::vector<TShape> shapes = EntryShapes(data_ins);
      std::set<int64_t> lengths;
      std::string shape_text;
      for (auto &s : shapes) {
        lengths.insert(s.ndim() ? s[0] : 0);
        shape_text += (shape_text.empty() ? "" : ", ") + (s.ndim() ? ShapeStr(s) : std::string("()"));
      }
      if (lengths.size() == 1 && *lengths.begin() == 0 && unknown_length_ > 0) lengths = {unknown_length_};
      if (lengths.count(0)) {
        if (tell_unknown_) throw LengthUnknown();
        Throw(ErrorKind::kShape, "foreach (node '", base, "'): the length of data along axis 0 is not known (data "
              "shapes [", shape_text, "]); give the shapes of the inputs");
      }
      MXC_CHECK(lengths.size() == 1, ErrorKind::kShape, "foreach (node '", base, "'): every array of data must have "
                "the same length along axis 0, but the shapes are [", shape_text, "]");
      const int64_t steps = *lengths.begin();
      std::vector<std::vector<NodeEntry>> slices;
      for (size_t k = 0; k < data_ins.size(); ++k) {
        NodeEntry sp = Add("split", base + "_data" + std::to_string(k) + "_split", {data_ins[k]},
                           {{"num_outputs", std::to_string(steps)}, {"axis", "0"}, {"squeeze_axis", "1"}});
        std::vector<NodeEntry> sl;
        for (int64_t t = 0; t < steps; ++t) sl.push_back(NodeEntry{sp.node, static_cast<uint32_t>(t)});
        slices.push_back(std::move(sl));
      }
      std::vector<NodeEntry> states(ins.begin() + data_locs.size(),
                                    ins.begin() + data_locs.size() + state_locs.size());
      std::vector<NodeEntry> remain(ins.begin() + data_locs.size() + state_locs.size(), ins.end());
      std::vector<std::vector<NodeEntry>> per_step;
      for (int64_t t = 0; t < steps; ++t) {
        std::vector<NodeEntry> sub_in(n_in);
        for (size_t k = 0; k < data_locs.size(); ++k) sub_in[data_locs[k]] = slices[k][t];
        for (size_t k = 0; k < state_locs.size(); ++k) sub_in[state_locs[k]] = states[k];
        for (size_t k = 0; k < remain_locs.size(); ++k) sub_in[remain_locs[k]] = remain[k];
        for (size_t k = 0; k < n_in; ++k)
          MXC_CHECK(sub_in[k].node != nullptr, ErrorKind::kValue, "_foreach node '", base, "': body input ", k,
                    " is named by no loc");
        auto heads = Inline(body.outputs, BindVars(n, body, "body", sub_in), base + "_t" + std::to_string(t) + "_",
                            false);
        per_step.emplace_back(heads.begin(), heads.begin() + num_out_data);
        states.assign(heads.begin() + num_out_data, heads.end());
      }
      for (int64_t k = 0; k < num_out_data; ++k) {
        std::vector<NodeEntry> parts;
        for (auto &s : per_step) parts.push_back(s[k]);
        result.push_back(Add("stack", base + "_output" + std::to_string(k) + "_stack", parts,
                             {{"axis", "0"}, {"num_args", std::to_string(steps)}}));
      }
      result.insert(result.end(), states.begin(), states.end());
    } else if (op == "_while_loop") {
      need_subs(2);
      const Symbol &cond = *n.subgraphs[0], &func = *n.subgraphs[1];
      auto cond_locs = ParseLocs(n, "cond_input_locs"), func_locs = ParseLocs(n, "func_input_locs"),
           var_locs = ParseLocs(n, "func_var_locs");
      const int64_t num_out_data = n.params.Int("num_out_data");
      const int64_t max_it = n.params.Int("max_iterations");
      MXC_CHECK(max_it >= 1, ErrorKind::kValue, "_while_loop node '", base, "': max_iterations must be at least 1, "
                "got ", max_it);
      MXC_CHECK(cond.outputs.size() == 1, ErrorKind::kValue, "_while_loop node '", base, "': its cond subgraph "
                "must give one output, gives ", cond.outputs.size());
      MXC_CHECK(num_out_data >= 0 && static_cast<int64_t>(func.outputs.size()) == num_out_data + static_cast<int64_t>(
                                                                                      var_locs.size()),
                ErrorKind::kValue, "_while_loop node '", base, "': its func subgraph gives ", func.outputs.size(),
                " outputs, num_out_data=", num_out_data, " plus ", var_locs.size(), " loop variables expected");
      MXC_CHECK(num_outputs == num_out_data + static_cast<int64_t>(var_locs.size()), ErrorKind::kValue,
                "_while_loop node '", base, "': num_outputs=", num_outputs, " must be num_out_data=", num_out_data,
                " plus the ", var_locs.size(), " loop variables");
      Gather(n, ins, cond_locs, "cond_input_locs");
      Gather(n, ins, func_locs, "func_input_locs");
      std::vector<size_t> lv_index;  // node inputs that are the loop variables
      for (int64_t v : var_locs) {
        MXC_CHECK(v >= 0 && v < static_cast<int64_t>(func_locs.size()), ErrorKind::kValue, "_while_loop node '",
                  base, "': func_var_locs names func input ", v, ", func has ", func_locs.size());
        lv_index.push_back(static_cast<size_t>(func_locs[v]));
      }
      std::vector<NodeEntry> cur = ins;
      NodeEntry active;
      std::vector<std::vector<NodeEntry>> per_step;
      for (int64_t t = 0; t < max_it; ++t) {
        const std::string pre = base + "_t" + std::to_string(t) + "_";
        NodeEntry c = Inline(cond.outputs, BindVars(n, cond, "cond", Gather(n, cur, cond_locs, "cond_input_locs")),
                             pre, false)[0];
        c = Add("_not_equal_scalar", pre + "pred", {c}, {{"scalar", "0"}});
        active = active.node ? Add("broadcast_mul", pre + "active", {active, c}) : c;
        auto heads = Inline(func.outputs, BindVars(n, func, "func", Gather(n, cur, func_locs, "func_input_locs")),
                            pre, false);
        std::vector<NodeEntry> step_outs(heads.begin(), heads.begin() + num_out_data);
        for (int64_t k = 0; k < num_out_data; ++k) {
          NodeEntry zeros = Add("zeros_like", pre + "pad" + std::to_string(k), {step_outs[k]});
          step_outs[k] = Select(active, step_outs[k], zeros, pre + "out" + std::to_string(k));
        }
        per_step.push_back(std::move(step_outs));
        for (size_t k = 0; k < lv_index.size(); ++k)
          cur[lv_index[k]] = Select(active, heads[num_out_data + k], cur[lv_index[k]], pre + "var" + std::to_string(k));
      }
      for (int64_t k = 0; k < num_out_data; ++k) {
        std::vector<NodeEntry> parts;
        for (auto &s : per_step) parts.push_back(s[k]);
        result.push_back(Add("stack", base + "_output" + std::to_string(k) + "_stack", parts,
                             {{"axis", "0"}, {"num_args", std::to_string(max_it)}}));
      }
      for (size_t i : lv_index) result.push_back(cur[i]);
    } else if (op == "_cond") {
      need_subs(3);
      const Symbol &pred = *n.subgraphs[0], &then_g = *n.subgraphs[1], &else_g = *n.subgraphs[2];
      MXC_CHECK(pred.outputs.size() == 1, ErrorKind::kValue, "_cond node '", base, "': its pred subgraph must give "
                "one output, gives ", pred.outputs.size());
      MXC_CHECK(static_cast<int64_t>(then_g.outputs.size()) == num_outputs &&
                    static_cast<int64_t>(else_g.outputs.size()) == num_outputs,
                ErrorKind::kValue, "_cond node '", base, "': then and else give ", then_g.outputs.size(), " and ",
                else_g.outputs.size(), " outputs, the node has ", num_outputs);
      auto branch = [&](const Symbol &g, const char *which, const char *key, const char *suffix) {
        return Inline(g.outputs, BindVars(n, g, which, Gather(n, ins, ParseLocs(n, key), key)), base + suffix, false);
      };
      NodeEntry p = branch(pred, "pred", "cond_input_locs", "_pred_")[0];
      p = Add("_not_equal_scalar", base + "_pred", {p}, {{"scalar", "0"}});
      auto then_heads = branch(then_g, "then", "then_input_locs", "_then_");
      auto else_heads = branch(else_g, "else", "else_input_locs", "_else_");
      for (int64_t k = 0; k < num_outputs; ++k)
        result.push_back(Select(p, then_heads[k], else_heads[k], base + "_output" + std::to_string(k) + "_"));
    } else {
      Throw(ErrorKind::kValue, "control flow: node '", base, "' of operator ", op, " has subgraphs; only _foreach, "
            "_while_loop and _cond can be unrolled");
    }
    MXC_CHECK(static_cast<int64_t>(result.size()) == num_outputs, ErrorKind::kValue, op, " node '", base, "': gives ",
              result.size(), " outputs, the node has num_outputs=", num_outputs);
    return result;
  }

  const std::map<std::string, TShape> &known_;
  int64_t unknown_length_;
  bool tell_unknown_;
};

}  // namespace

Symbol UnrollControlFlow(const Symbol &sym, const std::map<std::string, TShape> &known, int64_t unknown_length,
                         bool *length_unknown) {
  if (length_unknown) *length_unknown = false;
  sym.CheckComposed();
  Unroller u(known, unknown_length, length_unknown != nullptr);
  Symbol r;
  try {
    r.outputs = u.Inline(sym.outputs, {}, "", true);
  } catch (const LengthUnknown &) {
    *length_unknown = true;
    return Symbol();
  }
  return r;
}

Symbol UnrollForBind(const Symbol &sym, std::vector<NDArray> *args, std::vector<NDArray> *grads,
                     std::vector<OpReq> *reqs, std::vector<NDArray> *aux) {
  std::vector<NodePtr> arg_nodes, aux_nodes;
  sym.InputNodes(&arg_nodes, &aux_nodes);
  MXC_CHECK(args->size() == arg_nodes.size(), ErrorKind::kValue, "bind: ", args->size(),
            " argument arrays for the ", arg_nodes.size(), " arguments of the symbol");
  MXC_CHECK(aux->size() == aux_nodes.size(), ErrorKind::kValue, "bind: ", aux->size(),
            " auxiliary state arrays for the ", aux_nodes.size(), " auxiliary states of the symbol");
  std::map<std::string, TShape> known;
  std::unordered_map<const Node *, size_t> arg_pos, aux_pos;
  for (size_t i = 0; i < arg_nodes.size(); ++i) {
    arg_pos[arg_nodes[i].get()] = i;
    if (!(*args)[i].is_none()) known[arg_nodes[i]->name] = (*args)[i].shape();
  }
  for (size_t i = 0; i < aux_nodes.size(); ++i) {
    aux_pos[aux_nodes[i].get()] = i;
    if (!(*aux)[i].is_none()) known[aux_nodes[i]->name] = (*aux)[i].shape();
  }
  Symbol u = UnrollControlFlow(sym, known);
  std::vector<NodePtr> new_args, new_aux;
  u.InputNodes(&new_args, &new_aux);
  std::vector<NDArray> a, g, x;
  std::vector<OpReq> r;
  for (auto &v : new_args) {
    auto it = arg_pos.find(v.get());
    MXC_CHECK(it != arg_pos.end(), ErrorKind::kInternal, "bind: the unrolled graph has an argument '", v->name,
              "' the symbol does not have");
    a.push_back((*args)[it->second]);
    g.push_back(it->second < grads->size() ? (*grads)[it->second] : NDArray());
    r.push_back(it->second < reqs->size() ? (*reqs)[it->second] : OpReq::kNullOp);
  }
  for (auto &v : new_aux) {
    auto it = aux_pos.find(v.get());
    MXC_CHECK(it != aux_pos.end(), ErrorKind::kInternal, "bind: the unrolled graph has an auxiliary state '",
              v->name, "' the symbol does not have");
    x.push_back((*aux)[it->second]);
  }
  *args = std::move(a);
  *grads = std::move(g);
  *reqs = std::move(r);
  *aux = std::move(x);
  return u;
}

ControlFlowCachedOp::ControlFlowCachedOp(const Symbol &sym) : sym_(sym) {
  sym_.CheckComposed();
  DFSVisit(sym_.outputs, [&](const NodePtr &n) {
    if (n->is_variable()) input_nodes_.push_back(n);
  });
}

void ControlFlowCachedOp::Forward(const std::vector<NDArray> &inputs,
                                  const std::vector<const autograd::Entry *> &in_entries,
                                  std::vector<NDArray> *outputs, std::vector<autograd::Entry> *out_entries) const {
  if (inputs.size() != input_nodes_.size()) {
    std::string names;
    for (size_t i = 0; i < input_nodes_.size(); ++i) names += (i ? ", " : "") + input_nodes_[i]->name;
    Throw(ErrorKind::kValue, "CachedOp: expected ", input_nodes_.size(), " inputs (", names, "), got ",
          inputs.size());
  }
  std::string key;
  std::map<std::string, TShape> known;
  for (size_t i = 0; i < inputs.size(); ++i) {
    MXC_CHECK(!inputs[i].is_none(), ErrorKind::kValue, "CachedOp: input ", i, " ('", input_nodes_[i]->name,
              "') is an empty array");
    key += ShapeStr(inputs[i].shape()) + ";";
    known[input_nodes_[i]->name] = inputs[i].shape();
  }
  std::shared_ptr<Prepared> p;
  {
    std::lock_guard<std::mutex> lk(mu_);
    auto it = prepared_.find(key);
    if (it != prepared_.end()) p = it->second;
  }
  if (!p) {
    p = std::make_shared<Prepared>();
    Symbol u = UnrollControlFlow(sym_, known);
    std::unordered_map<const Node *, size_t> pos;
    for (size_t i = 0; i < input_nodes_.size(); ++i) pos[input_nodes_[i].get()] = i;
    DFSVisit(u.outputs, [&](const NodePtr &n) {
      if (n->is_variable()) p->order.push_back(pos.at(n.get()));
    });
    p->op.reset(new CachedOp(u));
    std::lock_guard<std::mutex> lk(mu_);
    prepared_.emplace(key, p);
  }
  std::vector<NDArray> ins;
  std::vector<const autograd::Entry *> ents;
  for (size_t i : p->order) {
    ins.push_back(inputs[i]);
    ents.push_back(i < in_entries.size() ? in_entries[i] : nullptr);
  }
  p->op->Forward(ins, ents, outputs, out_entries);
}

}  // namespace mxc

namespace mxc {
namespace {

// Runs infer on the unrolled graph u (values per entry id, known ones set by name) and reads the values of sym's
// variables (the same nodes) and outputs.
template <typename T, typename Infer>
void InferOnUnrolled(const Symbol &sym, const Symbol &u, const std::map<std::string, T> &known, const T &unknown,
                     Infer infer, std::vector<T> *arg, std::vector<T> *out, std::vector<T> *aux) {
  IndexedGraph g(u.outputs);
  std::vector<T> vals(g.num_entries(), unknown);
  std::unordered_map<const Node *, uint32_t> var_entry;
  for (const auto *list : {&g.arg_nodes(), &g.aux_nodes()})
    for (uint32_t nid : *list) {
      uint32_t eid = g.entry_id(nid, 0);
      var_entry[&g.node(nid)] = eid;
      auto it = known.find(g.node(nid).name);
      if (it != known.end()) vals[eid] = it->second;
    }
  infer(g, &vals);
  std::vector<NodePtr> arg_nodes, aux_nodes;
  sym.InputNodes(&arg_nodes, &aux_nodes);
  auto value_of = [&](const NodePtr &v) {
    auto it = var_entry.find(v.get());
    if (it != var_entry.end()) return vals[it->second];
    auto k = known.find(v->name);
    return k != known.end() ? k->second : unknown;
  };
  arg->clear();
  aux->clear();
  out->clear();
  for (auto &v : arg_nodes) arg->push_back(value_of(v));
  for (auto &v : aux_nodes) aux->push_back(value_of(v));
  for (uint32_t eid : g.outputs()) out->push_back(vals[eid]);
}

}  // namespace

void InferShapesUnrolled(const Symbol &sym, const std::map<std::string, TShape> &known, bool partial,
                         std::vector<TShape> *arg, std::vector<TShape> *out, std::vector<TShape> *aux) {
  bool length_unknown = false;
  Symbol u = UnrollControlFlow(sym, known, 0, partial ? &length_unknown : nullptr);
  if (length_unknown) {
    std::vector<NodePtr> arg_nodes, aux_nodes;
    sym.InputNodes(&arg_nodes, &aux_nodes);
    auto value_of = [&](const NodePtr &v) {
      auto k = known.find(v->name);
      return k != known.end() ? k->second : TShape();
    };
    arg->clear();
    aux->clear();
    for (auto &v : arg_nodes) arg->push_back(value_of(v));
    for (auto &v : aux_nodes) aux->push_back(value_of(v));
    out->assign(sym.outputs.size(), TShape());
    return;
  }
  InferOnUnrolled<TShape>(sym, u, known, TShape(), [](const IndexedGraph &g, std::vector<TShape> *v) {
    InferShapes(g, v);
  }, arg, out, aux);
}

void InferTypesUnrolled(const Symbol &sym, const std::map<std::string, int> &known, std::vector<int> *arg,
                        std::vector<int> *out, std::vector<int> *aux) {
  Symbol u = UnrollControlFlow(sym, {}, 1);
  InferOnUnrolled<int>(sym, u, known, -1, [](const IndexedGraph &g, std::vector<int> *v) { InferTypes(g, v); },
                       arg, out, aux);
}

}  // namespace mxc
