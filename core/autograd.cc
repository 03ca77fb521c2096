// Imperative automatic differentiation: the tape and its backward pass (see autograd.h).
#include "autograd.h"

#include <algorithm>
#include <unordered_map>

#include "engine.h"

namespace mxc {
namespace autograd {

struct Node {
  const Op *op = nullptr;  // null: a variable
  OpParams params;
  bool freed = false;  // walked by a backward that did not retain the graph
  Device dev;
  std::vector<Entry> inputs;
  // What the gradient kernel reads (none where the operator declared it unused), and the shapes and dtypes of the
  // inputs and outputs (for gradient arrays and zero output gradients).
  std::vector<NDArray> in_data, out_data;
  std::vector<TShape> in_shapes, out_shapes;
  std::vector<int> in_types, out_types;
  // A variable's gradient array and request.
  NDArray grad;
  OpReq req = kNullOp;
  bool fresh_grad = false;  // written by a backward since last cleared

  Node() = default;
  Node(const Node &) = delete;
  Node &operator=(const Node &) = delete;
  // Frees a chain of nodes iteratively: a tape of a million calls must not recurse a million deep.
  ~Node() {
    std::vector<std::shared_ptr<Node>> stack;
    for (auto &e : inputs)
      if (e.node) stack.push_back(std::move(e.node));
    while (!stack.empty()) {
      std::shared_ptr<Node> n = std::move(stack.back());
      stack.pop_back();
      if (n.use_count() == 1)
        for (auto &e : n->inputs)
          if (e.node) stack.push_back(std::move(e.node));
    }
  }
};

bool Entry::Live() const { return node != nullptr && (node->op == nullptr || !node->freed); }
bool Entry::IsVariable() const { return node != nullptr && node->op == nullptr; }

namespace {
thread_local bool tls_recording = false;
thread_local bool tls_training = false;

const char *const kNotInGraph =
    "is not in a computational graph: record the computation with autograd.record() (with an input marked by "
    "attach_grad or mark_variables) to differentiate it. To differentiate the same graph twice, pass "
    "retain_graph=True to the first backward";

const Op *OpNamed(const char *name) { return OpRegistry::Get()->FindOrThrow(name); }

// A new array filled by one of the init operators (_zeros, _ones) on the engine.
NDArray Filled(const char *op_name, const TShape &shape, int dtype, const Device &dev) {
  std::vector<NDArray> out{NDArray(shape, dtype, dev, true)};
  const Op *op = OpNamed(op_name);
  Invoke(op, OpParams(op, {{"shape", ShapeStr(shape)}, {"dtype", DTypeName(dtype)}}), {}, &out);
  return out[0];
}

const Op *AddOp() {
  static const Op *add = OpNamed("elemwise_add");
  return add;
}

NDArray Sum(const NDArray &a, const NDArray &b) {
  std::vector<NDArray> out;
  Invoke(AddOp(), OpParams(AddOp(), {}), {a, b}, &out);
  return out[0];
}

void Accumulate(NDArray *acc, const NDArray &g) { *acc = acc->is_none() ? g : Sum(*acc, g); }
}  // namespace

bool IsRecording() { return tls_recording; }
bool IsTraining() { return tls_training; }
bool SetRecording(bool on) { return std::exchange(tls_recording, on); }
bool SetTraining(bool on) { return std::exchange(tls_training, on); }

void MarkVariable(Entry *entry, const NDArray &var, const NDArray &grad, OpReq req) {
  MXC_CHECK(!var.is_none(), ErrorKind::kValue, "mark_variables: the variable is an empty array");
  MXC_CHECK(req == kNullOp || req == kWriteTo || req == kAddTo, ErrorKind::kValue,
            "mark_variables: grad_req must be null, write or add, got code ", static_cast<int>(req));
  if (req != kNullOp) {
    MXC_CHECK(!grad.is_none(), ErrorKind::kValue, "mark_variables: grad_req ",
              req == kWriteTo ? "'write'" : "'add'", " needs a gradient array");
    MXC_CHECK(grad.shape() == var.shape(), ErrorKind::kShape, "mark_variables: gradient shape ",
              ShapeStr(grad.shape()), " differs from the variable's shape ", ShapeStr(var.shape()));
    MXC_CHECK(grad.dtype() == var.dtype(), ErrorKind::kType, "mark_variables: gradient dtype ",
              DTypeName(grad.dtype()), " differs from the variable's dtype ", DTypeName(var.dtype()));
    MXC_CHECK(grad.dev() == var.dev(), ErrorKind::kDevice, "mark_variables: gradient on ", DeviceStr(grad.dev()),
              ", variable on ", DeviceStr(var.dev()));
  }
  auto n = std::make_shared<Node>();
  n->dev = var.dev();
  n->out_shapes = {var.shape()};
  n->out_types = {var.dtype()};
  n->grad = grad;
  n->req = req;
  entry->node = std::move(n);
  entry->index = 0;
}

NDArray GradOf(const Entry &entry) { return entry.IsVariable() ? entry.node->grad : NDArray(); }

bool FreshGrad(const Entry &entry) { return entry.IsVariable() && entry.node->fresh_grad; }

void SetFreshGrad(const Entry &entry, bool fresh) {
  MXC_CHECK(entry.IsVariable(), ErrorKind::kValue,
            "set_grad_state: the array is not an autograd variable (attach_grad or mark_variables)");
  entry.node->fresh_grad = fresh;
}

void CheckWritable(const Entry &out, const char *what) {
  MXC_CHECK(!out.Live(), ErrorKind::kValue, what,
            ": writing into an array that is already in a computational graph would make its gradient wrong. "
            "Call backward first (it frees the graph), or write outside autograd.record(); in-place operations "
            "(+=, *=, x[:] = ..., out=) cannot be recorded");
}

void Record(const Op *op, const OpParams &params, const std::vector<const Entry *> &in_entries,
            const std::vector<NDArray> &inputs, const std::vector<NDArray> &outputs,
            const std::vector<Entry *> &out_entries) {
  bool any = false;
  for (const Entry *e : in_entries) any = any || (e != nullptr && e->Live());
  // An operator without a gradient passes none on (as BlockGrad): its outputs are constants.
  if (!any || !op->HasGradient()) {
    for (Entry *e : out_entries) e->node.reset();
    return;
  }
  auto n = std::make_shared<Node>();
  n->op = op;
  n->params = params;
  n->dev = inputs.empty() ? outputs[0].dev() : inputs[0].dev();
  const size_t nin = inputs.size(), nout = outputs.size();
  n->inputs.resize(nin);
  for (size_t i = 0; i < nin; ++i)
    if (in_entries[i] != nullptr && in_entries[i]->Live()) n->inputs[i] = *in_entries[i];
  n->in_data.resize(nin);
  n->out_data.resize(nout);
  for (size_t i = 0; i < nin; ++i) {
    n->in_shapes.push_back(inputs[i].shape());
    n->in_types.push_back(inputs[i].dtype());
    if (op->backward_uses_inputs) n->in_data[i] = inputs[i];
  }
  for (size_t i = 0; i < nout; ++i) {
    n->out_shapes.push_back(outputs[i].shape());
    n->out_types.push_back(outputs[i].dtype());
    if (op->backward_uses_outputs) n->out_data[i] = outputs[i];
  }
  for (size_t i = 0; i < out_entries.size(); ++i) {
    out_entries[i]->node = n;
    out_entries[i]->index = static_cast<uint32_t>(i);
  }
}

namespace {
// The nodes reachable from the heads, inputs before their consumers.
std::vector<Node *> TopoOrder(const std::vector<Entry> &heads) {
  std::vector<Node *> order;
  std::unordered_map<Node *, int> state;  // 1: on the stack, 2: done
  std::vector<std::pair<Node *, size_t>> stack;
  for (auto &h : heads) {
    if (state.count(h.node.get())) continue;
    stack.emplace_back(h.node.get(), 0);
    state[h.node.get()] = 1;
    while (!stack.empty()) {
      Node *n = stack.back().first;
      size_t &k = stack.back().second;
      if (k < n->inputs.size()) {
        Node *in = n->inputs[k++].node.get();
        if (in == nullptr || state.count(in)) continue;
        MXC_CHECK(in->op == nullptr || !in->freed, ErrorKind::kValue, "backward: an input of operator ",
                  n->op->name, " comes from a part of the graph that an earlier backward freed; pass "
                  "retain_graph=True to that backward to differentiate through it again");
        state[in] = 1;
        stack.emplace_back(in, 0);
      } else {
        state[n] = 2;
        order.push_back(n);
        stack.pop_back();
      }
    }
  }
  return order;
}
}  // namespace

void Backward(const std::vector<Entry> &heads, const std::vector<NDArray> &head_arrays,
              const std::vector<NDArray> &head_grads, const std::vector<Entry> &variables, bool retain_graph,
              bool is_train, std::vector<NDArray> *grads) {
  const size_t nh = heads.size();
  MXC_CHECK(nh > 0, ErrorKind::kValue, "backward: no head array given");
  MXC_CHECK(head_arrays.size() == nh, ErrorKind::kInternal, "backward: heads and head arrays differ in number");
  MXC_CHECK(head_grads.empty() || head_grads.size() == nh, ErrorKind::kValue, "backward: ", head_grads.size(),
            " head gradients for ", nh, " heads");
  for (size_t i = 0; i < nh; ++i) {
    MXC_CHECK(heads[i].Live(), ErrorKind::kValue, "backward: head ", i, " (shape ", ShapeStr(head_arrays[i].shape()),
              ") ", kNotInGraph);
    if (head_grads.empty() || head_grads[i].is_none()) continue;
    const NDArray &g = head_grads[i], &h = head_arrays[i];
    MXC_CHECK(g.shape() == h.shape(), ErrorKind::kShape, "backward: head gradient ", i, " has shape ",
              ShapeStr(g.shape()), ", its head ", ShapeStr(h.shape()));
    MXC_CHECK(g.dtype() == h.dtype(), ErrorKind::kType, "backward: head gradient ", i, " has dtype ",
              DTypeName(g.dtype()), ", its head ", DTypeName(h.dtype()));
    MXC_CHECK(g.dev() == h.dev(), ErrorKind::kDevice, "backward: head gradient ", i, " is on ", DeviceStr(g.dev()),
              ", its head on ", DeviceStr(h.dev()));
  }
  const bool to_vars = !variables.empty();
  for (size_t i = 0; i < variables.size(); ++i)
    MXC_CHECK(variables[i].IsVariable(), ErrorKind::kValue, "grad: variable ", i,
              " does not require a gradient (mark it with attach_grad or mark_variables before recording)");

  std::vector<Node *> order = TopoOrder(heads);
  std::unordered_map<Node *, size_t> pos;
  for (size_t i = 0; i < order.size(); ++i) pos[order[i]] = i;
  std::vector<char> need(order.size(), 0);
  for (size_t i = 0; i < order.size(); ++i) {
    Node *n = order[i];
    if (n->op == nullptr) {
      if (to_vars) {
        for (auto &v : variables) need[i] = need[i] || v.node.get() == n;
      } else {
        need[i] = n->req != kNullOp;
      }
      continue;
    }
    for (auto &e : n->inputs)
      if (e.node) need[i] = need[i] || need[pos[e.node.get()]];
  }

  // Gradients of every node output, summed as contributions arrive.
  std::vector<std::vector<NDArray>> ograd(order.size());
  for (size_t i = 0; i < order.size(); ++i) ograd[i].resize(order[i]->out_shapes.size());
  for (size_t i = 0; i < nh; ++i) {
    const size_t p = pos[heads[i].node.get()];
    if (!need[p]) continue;
    const NDArray &h = head_arrays[i];
    NDArray g = !head_grads.empty() && !head_grads[i].is_none() ? head_grads[i]
                                                                 : Filled("_ones", h.shape(), h.dtype(), h.dev());
    Accumulate(&ograd[p][heads[i].index], g);
  }

  OpContext ctx;
  ctx.is_train = is_train;
  for (size_t i = order.size(); i-- > 0;) {
    Node *n = order[i];
    if (n->op == nullptr || !need[i]) continue;
    auto &og = ograd[i];
    if (std::all_of(og.begin(), og.end(), [](const NDArray &a) { return a.is_none(); })) continue;
    const Op *op = n->op;
    auto fit = op->backward.find(n->dev.type);
    MXC_CHECK(fit != op->backward.end(), ErrorKind::kDevice, "backward: operator ", op->name,
              " has no gradient kernel for ", DeviceStr(n->dev));
    for (size_t j = 0; j < og.size(); ++j)
      if (og[j].is_none()) og[j] = Filled("_zeros", n->out_shapes[j], n->out_types[j], n->dev);
    const size_t nin = n->inputs.size();
    std::vector<NDArray> igrad(nin);
    std::vector<OpReq> req(nin, kNullOp);
    for (size_t k = 0; k < nin; ++k) {
      const Entry &e = n->inputs[k];
      if (op->InputIsAux(n->params, k, nin) || !e.node || !need[pos[e.node.get()]]) continue;
      igrad[k] = NDArray(n->in_shapes[k], n->in_types[k], n->dev, true);
      req[k] = kWriteTo;
    }
    std::vector<Var *> reads, writes;
    int64_t work = 0;
    for (auto *v : {&og, &n->in_data, &n->out_data})
      for (auto &a : *v)
        if (!a.is_none()) {
          reads.push_back(a.var());
          work += a.Size();
        }
    for (auto &a : igrad)
      if (!a.is_none()) {
        writes.push_back(a.var());
        work += a.Size();
      }
    const FBackward *fb = &fit->second;
    ctx.dev = n->dev;
    Engine::Get()->Push(
        [fb, ctx, params = n->params, og, in_data = n->in_data, out_data = n->out_data, igrad,
         req](const RunContext &) {
          auto blobs = [](const std::vector<NDArray> &v) {
            std::vector<TBlob> b(v.size());
            for (size_t i = 0; i < v.size(); ++i)
              if (!v[i].is_none()) b[i] = v[i].blob();
            return b;
          };
          (*fb)(ctx, params, blobs(og), blobs(in_data), blobs(out_data), req, blobs(igrad));
        },
        n->dev, reads, writes, op->backward_name.c_str(), work);
    for (size_t k = 0; k < nin; ++k)
      if (!igrad[k].is_none()) {
        const Entry &e = n->inputs[k];
        Accumulate(&ograd[pos[e.node.get()]][e.index], igrad[k]);
      }
  }

  // The variables' gradients.
  if (to_vars) {
    grads->clear();
    for (auto &v : variables) {
      auto it = pos.find(v.node.get());
      const NDArray g = it == pos.end() ? NDArray() : ograd[it->second][0];
      grads->push_back(!g.is_none() ? g : Filled("_zeros", v.node->out_shapes[0], v.node->out_types[0], v.node->dev));
    }
  } else {
    static const Op *copy = OpNamed("_copyto");
    const Op *add = AddOp();
    for (size_t i = 0; i < order.size(); ++i) {
      Node *n = order[i];
      if (n->op != nullptr || !need[i] || ograd[i][0].is_none()) continue;
      n->fresh_grad = true;
      std::vector<NDArray> out{n->grad};
      if (n->req == kAddTo) Invoke(add, OpParams(add, {}), {n->grad, ograd[i][0]}, &out);
      else Invoke(copy, OpParams(copy, {}), {ograd[i][0]}, &out);
    }
  }

  if (!retain_graph)
    for (Node *n : order) {
      if (n->op == nullptr) continue;
      n->freed = true;
      n->in_data.clear();
      n->out_data.clear();
      n->inputs.clear();  // (destroys the nodes nothing else holds, iteratively)
    }
}

}  // namespace autograd
}  // namespace mxc
