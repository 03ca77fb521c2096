#include "graph.h"

#include <algorithm>
#include <cstdlib>
#include <map>
#include <sstream>
#include <unordered_set>

namespace mxc {

// ----------------------------------------------------------------------------------------------------------------
// IndexedGraph
// ----------------------------------------------------------------------------------------------------------------
IndexedGraph::IndexedGraph(const std::vector<NodeEntry> &heads) {
  DFSVisit(heads, [&](const NodePtr &n) {
    if (!n->is_variable() && !n->composed)
      Throw(ErrorKind::kValue, "operator ", n->op->name,
            ": the symbol is not composed yet (connect its inputs with Compose first)");
    nodes_.push_back(n);
  });
  ids_.reserve(nodes_.size());
  for (uint32_t i = 0; i < nodes_.size(); ++i) ids_.emplace_back(nodes_[i].get(), i);
  std::sort(ids_.begin(), ids_.end());
  row_ptr_.assign(1, 0);
  for (auto &n : nodes_) row_ptr_.push_back(row_ptr_.back() + n->num_outputs());
  entry_node_.resize(row_ptr_.back());
  for (uint32_t i = 0; i < nodes_.size(); ++i)
    for (uint32_t j = row_ptr_[i]; j < row_ptr_[i + 1]; ++j) entry_node_[j] = i;
  inputs_.resize(nodes_.size());
  std::unordered_set<uint32_t> aux_vars;
  for (uint32_t i = 0; i < nodes_.size(); ++i) {
    const Node &n = *nodes_[i];
    for (size_t k = 0; k < n.inputs.size(); ++k) {
      const auto &e = n.inputs[k];
      uint32_t src = node_id(e.node.get());
      MXC_CHECK(e.index < nodes_[src]->num_outputs(), ErrorKind::kValue, "node '", n.name, "': input ", k,
                " refers to output ", e.index, " of '", nodes_[src]->name, "', which has ",
                nodes_[src]->num_outputs(), " outputs");
      inputs_[i].push_back(entry_id(src, e.index));
      if (n.InputIsAux(k) && nodes_[src]->is_variable()) aux_vars.insert(src);
    }
  }
  for (uint32_t i = 0; i < nodes_.size(); ++i) {
    if (!nodes_[i]->is_variable()) continue;
    (aux_vars.count(i) ? aux_nodes_ : arg_nodes_).push_back(i);
  }
  for (auto &h : heads) outputs_.push_back(entry_id(h));
}

uint32_t IndexedGraph::node_id(const Node *n) const {
  auto it = std::lower_bound(ids_.begin(), ids_.end(), std::make_pair(n, 0u));
  if (it == ids_.end() || it->first != n) Throw(ErrorKind::kInternal, "node not in the graph");
  return it->second;
}

uint32_t IndexedGraph::entry_id(const NodeEntry &e) const { return entry_id(node_id(e.node.get()), e.index); }

std::string IndexedGraph::EntryName(uint32_t eid) const {
  return nodes_[entry_node(eid)]->OutputName(entry_index(eid));
}

// ----------------------------------------------------------------------------------------------------------------
// Inference
// ----------------------------------------------------------------------------------------------------------------
namespace {

// "(2, 3)", "[2,3]", "(2,)", "()"; returns false when it does not parse.
bool ParseShapeAttr(const std::string &s0, TShape *out) {
  std::string s;
  for (char c : s0)
    if (c != ' ') s.push_back(c);
  if (s.size() >= 2 && (s.front() == '(' || s.front() == '[')) s = s.substr(1, s.size() - 2);
  out->clear();
  std::stringstream ss(s);
  std::string item;
  while (std::getline(ss, item, ',')) {
    if (item.empty()) continue;
    if (item.size() > 1 && item.back() == 'L') item.pop_back();
    char *end = nullptr;
    long long v = std::strtoll(item.c_str(), &end, 10);
    if (*end != '\0' || v < 0) return false;
    out->push_back(v);
  }
  return true;
}

int ParseDTypeAttr(const std::string &s) {
  char *end = nullptr;
  long v = std::strtol(s.c_str(), &end, 10);
  if (!s.empty() && *end == '\0') {
    MXC_CHECK(DTypeValid(static_cast<int>(v)), ErrorKind::kType, "unknown dtype code ", v);
    return static_cast<int>(v);
  }
  return DTypeFromName(s);
}

// Merges src into *dst (unknown dims 0). Returns 1 if *dst changed, 0 if not, -1 on a conflict.
int MergeShape(TShape *dst, const TShape &src) {
  if (src.empty()) return 0;
  if (dst->empty()) {
    *dst = src;
    return 1;
  }
  if (dst->size() != src.size()) return -1;
  int changed = 0;
  for (size_t i = 0; i < src.size(); ++i) {
    if (src[i] == 0) continue;
    if ((*dst)[i] == 0) {
      (*dst)[i] = src[i];
      changed = 1;
    } else if ((*dst)[i] != src[i]) {
      return -1;
    }
  }
  return changed;
}

int MergeType(int *dst, int src) {
  if (src < 0) return 0;
  if (*dst < 0) {
    *dst = src;
    return 1;
  }
  return *dst == src ? 0 : -1;
}

std::string TypeStr(int t) { return t < 0 ? std::string("unknown") : std::string(DTypeName(t)); }

// Shared driver for shapes and types.
template <typename T, typename Known, typename Merge, typename Str, typename Call>
void InferPass(const IndexedGraph &g, std::vector<T> *vals, ErrorKind kind, const char *what, Known known,
               Merge merge, Str str, Call call) {
  const size_t nn = g.num_nodes();
  std::vector<char> done(nn, 0);
  auto describe_inputs = [&](uint32_t nid) {
    const Node &n = g.node(nid);
    auto names = n.op->InputNames(n.params);
    std::string s;
    const auto &ins = g.input_entries(nid);
    for (size_t i = 0; i < ins.size(); ++i) {
      s += (i ? ", " : "") + (i < names.size() ? names[i] : "input" + std::to_string(i)) + "=" +
           g.EntryName(ins[i]) + " " + str((*vals)[ins[i]]);
    }
    return s;
  };
  auto visit = [&](uint32_t nid) -> bool {
    const Node &n = g.node(nid);
    if (n.is_variable() || done[nid]) return false;
    const auto &ins = g.input_entries(nid);
    uint32_t nout = n.num_outputs();
    std::vector<T> in(ins.size()), out(nout);
    bool all_known = true;
    for (size_t i = 0; i < ins.size(); ++i) {
      in[i] = (*vals)[ins[i]];
      all_known = all_known && known(in[i]);
    }
    for (uint32_t j = 0; j < nout; ++j) {
      out[j] = (*vals)[g.entry_id(nid, j)];
      all_known = all_known && known(out[j]);
    }
    try {
      if (!call(n, &in, &out)) return false;
    } catch (const Error &e) {
      Throw(e.kind(), "in node '", n.name, "' (", n.op->name, "): ", e.what(), " [inputs: ", describe_inputs(nid),
            "]");
    }
    bool changed = false;
    auto names = n.op->InputNames(n.params);
    for (size_t i = 0; i < ins.size(); ++i) {
      T before = (*vals)[ins[i]];
      int r = merge(&(*vals)[ins[i]], in[i]);
      if (r < 0)
        Throw(kind, "in node '", n.name, "' (", n.op->name, "): ", what, " mismatch for input '",
              i < names.size() ? names[i] : "input" + std::to_string(i), "' (", g.EntryName(ins[i]),
              "): inferred ", str(in[i]), ", given ", str(before), " [inputs: ", describe_inputs(nid), "]");
      changed = changed || r > 0;
    }
    for (uint32_t j = 0; j < nout; ++j) {
      uint32_t eid = g.entry_id(nid, j);
      T before = (*vals)[eid];
      int r = merge(&(*vals)[eid], out[j]);
      if (r < 0)
        Throw(kind, "in node '", n.name, "' (", n.op->name, "): ", what, " mismatch for output ", j, " (",
              g.EntryName(eid), "): inferred ", str(out[j]), ", known ", str(before), " [inputs: ",
              describe_inputs(nid), "]");
      changed = changed || r > 0;
    }
    bool now_known = true;
    for (size_t i = 0; i < ins.size(); ++i) now_known = now_known && known((*vals)[ins[i]]);
    for (uint32_t j = 0; j < nout; ++j) now_known = now_known && known((*vals)[g.entry_id(nid, j)]);
    if (now_known) done[nid] = 1;
    (void)all_known;
    return changed;
  };
  bool changed = true;
  size_t iter = 0, limit = 2 * nn + 8;
  while (changed && iter < limit) {
    changed = false;
    if (iter % 2 == 0) {
      for (uint32_t nid = 0; nid < nn; ++nid) changed = visit(nid) || changed;
    } else {
      for (uint32_t nid = static_cast<uint32_t>(nn); nid-- > 0;) changed = visit(nid) || changed;
    }
    ++iter;
  }
}

}  // namespace

void InferShapes(const IndexedGraph &g, std::vector<TShape> *shapes) {
  MXC_CHECK(shapes->size() == g.num_entries(), ErrorKind::kInternal, "InferShapes: wrong size");
  for (uint32_t nid = 0; nid < g.num_nodes(); ++nid) {
    const Node &n = g.node(nid);
    if (!n.is_variable()) continue;
    auto it = n.attrs.find("__shape__");
    if (it == n.attrs.end()) continue;
    TShape s;
    MXC_CHECK(ParseShapeAttr(it->second, &s), ErrorKind::kValue, "variable '", n.name, "': bad __shape__ '",
              it->second, "'");
    uint32_t eid = g.entry_id(nid, 0);
    TShape before = (*shapes)[eid];
    MXC_CHECK(MergeShape(&(*shapes)[eid], s) >= 0, ErrorKind::kShape, "variable '", n.name, "': given shape ",
              ShapeStr(before), " conflicts with its __shape__ attribute ", ShapeStr(s));
  }
  InferPass<TShape>(
      g, shapes, ErrorKind::kShape, "shape", [](const TShape &s) { return ShapeKnown(s); }, MergeShape,
      [](const TShape &s) { return s.empty() ? std::string("()") : ShapeStr(s); },
      [](const Node &n, std::vector<TShape> *in, std::vector<TShape> *out) {
        if (!n.op->infer_shape) return false;
        n.op->infer_shape(n.params, in, out);
        return true;
      });
}

void InferTypes(const IndexedGraph &g, std::vector<int> *types) {
  MXC_CHECK(types->size() == g.num_entries(), ErrorKind::kInternal, "InferTypes: wrong size");
  for (uint32_t nid = 0; nid < g.num_nodes(); ++nid) {
    const Node &n = g.node(nid);
    if (!n.is_variable()) continue;
    auto it = n.attrs.find("__dtype__");
    if (it == n.attrs.end()) continue;
    int t;
    try {
      t = ParseDTypeAttr(it->second);
    } catch (const Error &e) {
      Throw(e.kind(), "variable '", n.name, "': bad __dtype__ '", it->second, "': ", e.what());
    }
    uint32_t eid = g.entry_id(nid, 0);
    int before = (*types)[eid];
    MXC_CHECK(MergeType(&(*types)[eid], t) >= 0, ErrorKind::kType, "variable '", n.name, "': given dtype ",
              TypeStr(before), " conflicts with its __dtype__ attribute ", TypeStr(t));
  }
  InferPass<int>(
      g, types, ErrorKind::kType, "dtype", [](int t) { return t >= 0; }, MergeType, TypeStr,
      [](const Node &n, std::vector<int> *in, std::vector<int> *out) {
        if (n.op->infer_type) n.op->infer_type(n.params, in, out);
        else SameTypeInfer(n.params, in, out);
        return true;
      });
}

// ----------------------------------------------------------------------------------------------------------------
// Memory planning
// ----------------------------------------------------------------------------------------------------------------
bool MemoryPlanningEnabled() {
  const char *e = std::getenv("MXC_MEMORY_PLAN");
  if (!e) return true;
  std::string s(e);
  return !(s == "0" || s == "false" || s == "False" || s == "off" || s == "OFF");
}

MemPlan PlanMemory(const std::vector<MemPlanValue> &values, const std::vector<MemPlanStep> &steps, bool enable) {
  const size_t nv = values.size();
  MemPlan plan;
  plan.storage.assign(nv, -1);
  plan.inplace_of.assign(nv, -1);
  std::vector<int> last_use(nv, -1);
  for (size_t s = 0; s < steps.size(); ++s) {
    for (int v : steps[s].reads) last_use[v] = static_cast<int>(s);
    for (int v : steps[s].writes) last_use[v] = static_cast<int>(s);
  }
  for (size_t v = 0; v < nv; ++v)
    if (values[v].internal && last_use[v] >= 0) plan.unplanned_bytes += values[v].bytes;

  auto new_storage = [&](size_t bytes) {
    plan.storage_bytes.push_back(bytes);
    return static_cast<int>(plan.storage_bytes.size() - 1);
  };
  if (!enable) {
    for (size_t v = 0; v < nv; ++v)
      if (values[v].internal && last_use[v] >= 0) plan.storage[v] = new_storage(values[v].bytes);
    for (auto b : plan.storage_bytes) plan.planned_bytes += b;
    return plan;
  }

  // Free storages by size. A value takes the smallest free storage that holds it unless that one is far larger
  // (then a large storage would be pinned by a small value); failing that, the largest smaller free storage grows.
  constexpr size_t kMatch = 16;
  std::multimap<size_t, int> free_list;
  std::vector<int> refs;
  auto alloc = [&](size_t bytes) {
    auto it = free_list.lower_bound(bytes);
    if (it != free_list.end() && it->second >= 0 && it->first <= std::max<size_t>(bytes, 1) * kMatch) {
      int st = it->second;
      free_list.erase(it);
      return st;
    }
    if (it != free_list.begin()) {
      auto jt = std::prev(it);
      if (jt->first * kMatch >= bytes) {
        int st = jt->second;
        free_list.erase(jt);
        plan.storage_bytes[st] = bytes;
        return st;
      }
    }
    int st = new_storage(bytes);
    refs.push_back(0);
    return st;
  };
  std::vector<char> released(nv, 0);
  for (size_t s = 0; s < steps.size(); ++s) {
    const MemPlanStep &st = steps[s];
    auto count_in = [](const std::vector<int> &v, int x) { return std::count(v.begin(), v.end(), x); };
    // Values appearing for the first time in this step's reads (not expected; planned as written here).
    for (const std::vector<int> *list : {&st.reads, &st.writes}) {
      for (int v : *list) {
        if (!values[v].internal || plan.storage[v] >= 0 || released[v]) continue;
        int chosen = -1;
        if (list == &st.writes) {
          for (auto &p : st.inplace) {
            int i = p.first;
            if (p.second != v || i < 0 || !values[i].internal || plan.storage[i] < 0 || released[i]) continue;
            if (last_use[i] != static_cast<int>(s)) continue;
            if (count_in(st.reads, i) != 1 || count_in(st.writes, i) != 0) continue;
            if (values[i].bytes != values[v].bytes || values[i].dtype != values[v].dtype) continue;
            if (refs[plan.storage[i]] != 1) continue;
            chosen = plan.storage[i];
            plan.inplace_of[v] = i;
            break;
          }
        }
        if (chosen < 0) chosen = alloc(values[v].bytes);
        plan.storage[v] = chosen;
        ++refs[chosen];
      }
    }
    // Release values whose last use is this step.
    for (const std::vector<int> *list : {&st.reads, &st.writes}) {
      for (int v : *list) {
        if (!values[v].internal || released[v] || last_use[v] != static_cast<int>(s) || plan.storage[v] < 0)
          continue;
        released[v] = 1;
        int sid = plan.storage[v];
        if (--refs[sid] == 0) free_list.emplace(plan.storage_bytes[sid], sid);
      }
    }
  }
  for (auto b : plan.storage_bytes) plan.planned_bytes += b;
  return plan;
}

}  // namespace mxc
