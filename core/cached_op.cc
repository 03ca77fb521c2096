#include "cached_op.h"

#include <unordered_map>

#include "base.h"
#include "operator.h"

namespace mxc {

CachedOp::CachedOp(const Symbol &sym) {
  sym.CheckComposed();
  std::unordered_map<const Node *, uint32_t> first_slot;
  std::vector<NodePtr> ops;
  DFSVisit(sym.outputs, [&](const NodePtr &n) {
    if (n->is_variable()) {
      first_slot[n.get()] = static_cast<uint32_t>(input_names_.size());
      input_names_.push_back(n->name);
    } else {
      ops.push_back(n);
    }
  });
  num_slots_ = static_cast<uint32_t>(input_names_.size());
  for (auto &n : ops) {
    Step s;
    s.node = n;
    for (auto &e : n->inputs) s.in_slots.push_back(first_slot.at(e.node.get()) + e.index);
    s.first_out = num_slots_;
    first_slot[n.get()] = num_slots_;
    num_slots_ += n->num_visible_outputs();
    steps_.push_back(std::move(s));
  }
  for (auto &e : sym.outputs) out_slots_.push_back(first_slot.at(e.node.get()) + e.index);
}

namespace {
std::string ShapesOf(const std::vector<NDArray> &arrs) {
  std::string s = "[";
  for (size_t i = 0; i < arrs.size(); ++i) s += (i ? ", " : "") + ShapeStr(arrs[i].shape());
  return s + "]";
}
}  // namespace

void CachedOp::Forward(const std::vector<NDArray> &inputs, const std::vector<const autograd::Entry *> &in_entries,
                       std::vector<NDArray> *outputs, std::vector<autograd::Entry> *out_entries) const {
  if (inputs.size() != input_names_.size()) {
    std::string names;
    for (size_t i = 0; i < input_names_.size(); ++i) names += (i ? ", " : "") + input_names_[i];
    Throw(ErrorKind::kValue, "CachedOp: expected ", input_names_.size(), " inputs (", names, "), got ",
          inputs.size());
  }
  for (size_t i = 0; i < inputs.size(); ++i) {
    MXC_CHECK(!inputs[i].is_none(), ErrorKind::kValue, "CachedOp: input ", i, " ('", input_names_[i],
              "') is an empty array");
    MXC_CHECK(inputs[i].dev() == inputs[0].dev(), ErrorKind::kDevice, "CachedOp: input '", input_names_[i],
              "' is on ", DeviceStr(inputs[i].dev()), ", input '", input_names_[0], "' on ",
              DeviceStr(inputs[0].dev()));
  }
  const bool rec = autograd::IsRecording(), train = autograd::IsTraining();
  std::vector<NDArray> vals(num_slots_);
  std::vector<autograd::Entry> entries(rec ? num_slots_ : 0);
  for (size_t i = 0; i < inputs.size(); ++i) {
    vals[i] = inputs[i];
    if (rec && i < in_entries.size() && in_entries[i] != nullptr) entries[i] = *in_entries[i];
  }
  std::vector<NDArray> ins, outs, all;
  std::vector<const autograd::Entry *> ie;
  std::vector<autograd::Entry *> oe;
  for (const Step &s : steps_) {
    const Node &n = *s.node;
    ins.clear();
    outs.clear();
    all.clear();
    for (uint32_t k : s.in_slots) ins.push_back(vals[k]);
    try {
      Invoke(n.op, n.params, ins, &outs, train, rec ? &all : nullptr);
    } catch (const Error &e) {
      throw Error(e.kind(), "CachedOp: node '" + n.name + "' (" + n.op->name + ") on input shapes " +
                                ShapesOf(ins) + ": " + e.what());
    }
    const uint32_t nvis = n.num_visible_outputs();
    for (uint32_t j = 0; j < nvis; ++j) vals[s.first_out + j] = outs[j];
    if (rec) {
      ie.clear();
      oe.clear();
      for (uint32_t k : s.in_slots) ie.push_back(&entries[k]);
      for (uint32_t j = 0; j < nvis; ++j) oe.push_back(&entries[s.first_out + j]);
      autograd::Record(n.op, n.params, ie, ins, all, oe);
    }
  }
  outputs->clear();
  if (out_entries) out_entries->clear();
  for (uint32_t k : out_slots_) {
    outputs->push_back(vals[k]);
    if (out_entries) out_entries->push_back(rec ? entries[k] : autograd::Entry());
  }
}

}  // namespace mxc
