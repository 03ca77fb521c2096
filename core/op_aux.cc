#include "op_aux.h"

#include <mutex>
#include <unordered_map>
#include <utility>

namespace mxc {
namespace {

struct AuxTable {
  std::mutex mu;
  std::unordered_map<const Op *, std::vector<int>> map;
};

AuxTable &Table() {
  static AuxTable *t = new AuxTable();  // never destroyed: used by static registrations
  return *t;
}

}  // namespace

void SetAuxInputs(const Op *op, std::vector<int> idx) {
  AuxTable &t = Table();
  std::lock_guard<std::mutex> lk(t.mu);
  t.map[op] = std::move(idx);
}

const std::vector<int> *AuxInputsOf(const Op *op) {
  AuxTable &t = Table();
  std::lock_guard<std::mutex> lk(t.mu);
  auto it = t.map.find(op);
  return it == t.map.end() ? nullptr : &it->second;  // entries are never erased: the pointer stays valid
}

}  // namespace mxc
