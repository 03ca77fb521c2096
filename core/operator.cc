#include "operator.h"
#include "np_shape.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdlib>
#include <mutex>
#include <new>

#ifdef _OPENMP
#include <omp.h>
#include <stdexcept>
#endif

namespace mxc {

// ---------------------------------------------------------------------------------------------------------------
// Registry
// ---------------------------------------------------------------------------------------------------------------
OpRegistry *OpRegistry::Get() {
  static auto *r = new OpRegistry();
  return r;
}

Op &OpRegistry::Register(const std::string &name) {
  auto it = by_name_.find(name);
  if (it != by_name_.end()) return *it->second;
  owned_.emplace_back(new Op());
  Op *op = owned_.back().get();
  op->name = name;
  op->backward_name = "_backward_" + name;
  by_name_[name] = op;
  ordered_.push_back(op);
  return *op;
}

void OpRegistry::AddAlias(Op *op, const std::string &alias) { by_name_[alias] = op; }

const Op *OpRegistry::Find(const std::string &name) const {
  auto it = by_name_.find(name);
  return it == by_name_.end() ? nullptr : it->second;
}

const Op *OpRegistry::FindOrThrow(const std::string &name) const {
  const Op *op = Find(name);
  MXC_CHECK(op != nullptr, ErrorKind::kValue, "unknown operator '", name, "'");
  return op;
}

Op &Op::add_alias(const std::string &a) {
  aliases.push_back(a);
  OpRegistry::Get()->AddAlias(this, a);
  return *this;
}

Op &Op::set_variadic(const std::string &key, const std::string &input_name) {
  key_var_num_args = key;
  input_names = {input_name};
  return *this;
}

Op &Op::add_param(const std::string &pname, ParamKind kind, const std::string &def, const std::string &doc,
                  std::vector<std::string> options) {
  ParamSpec s;
  s.name = pname;
  s.kind = kind;
  s.default_value = def;
  s.doc = doc;
  s.options = std::move(options);
  params.push_back(std::move(s));
  return *this;
}

Op &Op::add_required_param(const std::string &pname, ParamKind kind, const std::string &doc,
                           std::vector<std::string> options) {
  add_param(pname, kind, "", doc, std::move(options));
  params.back().required = true;
  return *this;
}

const ParamSpec *Op::FindParam(const std::string &pname) const {
  for (auto &p : params)
    if (p.name == pname) return &p;
  return nullptr;
}

int Op::ParamIndex(const char *pname) const {
  for (size_t i = 0; i < params.size(); ++i)
    if (params[i].name == pname) return static_cast<int>(i);
  return -1;
}

namespace {
// Counts of inputs and outputs that parameters set (num_args, num_outputs, num_weights) stay below this: a count
// like 2^31 is a ValueError naming the operator, not a failed allocation or a negative int.
constexpr int64_t kMaxArity = int64_t(1) << 20;
int CheckedArity(const Op &op, int64_t n, const char *what) {
  MXC_CHECK(n >= 0 && n <= kMaxArity, ErrorKind::kValue, "operator ", op.name, ": its parameters ask for ", n, " ",
            what, " (at most ", kMaxArity, ")");
  return static_cast<int>(n);
}
}  // namespace

int Op::NumInputs(const OpParams &p) const {
  // A variadic operator with input_names_fn takes the inputs it lists (multi_sgd_update: num_weights groups).
  if (!key_var_num_args.empty()) CheckedArity(*this, p.Int(key_var_num_args.c_str()), "inputs");
  if (input_names_fn) {
    try {
      return CheckedArity(*this, static_cast<int64_t>(input_names_fn(p).size()), "inputs");
    } catch (const std::length_error &) {
      Throw(ErrorKind::kValue, "operator ", name, ": its parameters ask for too many inputs");
    } catch (const std::bad_alloc &) {
      Throw(ErrorKind::kValue, "operator ", name, ": its parameters ask for too many inputs");
    }
  }
  if (!key_var_num_args.empty()) return static_cast<int>(p.Int(key_var_num_args.c_str()));
  return static_cast<int>(input_names.size());
}

int Op::NumOutputs(const OpParams &p) const {
  return num_outputs_fn ? CheckedArity(*this, num_outputs_fn(p), "outputs") : num_outputs;
}

int Op::NumVisibleOutputs(const OpParams &p) const {
  return num_visible_outputs_fn ? num_visible_outputs_fn(p) : NumOutputs(p);
}

std::vector<std::string> Op::InputNames(const OpParams &p) const {
  if (input_names_fn) return input_names_fn(p);
  if (key_var_num_args.empty()) return input_names;
  std::vector<std::string> r;
  int n = NumInputs(p);
  for (int i = 0; i < n; ++i) r.push_back("arg" + std::to_string(i));
  return r;
}

std::vector<std::string> Op::OutputNames(const OpParams &p) const {
  if (output_names_fn) return output_names_fn(p);
  int n = NumVisibleOutputs(p);
  if (n == 1) return {"output"};
  std::vector<std::string> r;
  for (int i = 0; i < n; ++i) r.push_back("output" + std::to_string(i));
  return r;
}

std::string ParamSpec::TypeString() const {
  switch (kind) {
    case ParamKind::kInt: return "int";
    case ParamKind::kFloat: return "float";
    case ParamKind::kBool: return "boolean";
    case ParamKind::kString: return "string";
    case ParamKind::kShape: return "Shape(tuple)";
    case ParamKind::kOptInt: return "int or None";
    case ParamKind::kOptShape: return "Shape or None";
    case ParamKind::kOptTuple: return "tuple of <int or None>";
    case ParamKind::kDType: return "dtype";
    case ParamKind::kOptFloat: return "float or None";
    case ParamKind::kEnum: {
      std::string s = "{";
      for (size_t i = 0; i < options.size(); ++i) s += (i ? ", '" : "'") + options[i] + "'";
      return s + "}";
    }
  }
  return "string";
}

// ---------------------------------------------------------------------------------------------------------------
// Parameter parsing
// ---------------------------------------------------------------------------------------------------------------
namespace {

std::string Trim(const std::string &s) {
  size_t b = 0, e = s.size();
  while (b < e && std::isspace(static_cast<unsigned char>(s[b]))) ++b;
  while (e > b && std::isspace(static_cast<unsigned char>(s[e - 1]))) --e;
  return s.substr(b, e - b);
}

bool IsNoneStr(const std::string &s) { return s == "None" || s == "none" || s == "null"; }

bool ParseInt(const std::string &s0, int64_t *out) {
  std::string s = Trim(s0);
  if (s.size() >= 2 && s.back() == 'L') s.pop_back();
  if (s.empty()) return false;
  char *end = nullptr;
  long long v = std::strtoll(s.c_str(), &end, 10);
  if (*end != '\0') {
    // Accept integral floats such as "2.0".
    double d = std::strtod(s.c_str(), &end);
    if (*end != '\0' || d != std::floor(d)) return false;
    v = static_cast<long long>(d);
  }
  *out = v;
  return true;
}

bool ParseFloat(const std::string &s0, double *out) {
  std::string s = Trim(s0);
  if (s.empty()) return false;
  std::string l = s;
  for (auto &c : l) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (l == "inf" || l == "+inf") { *out = INFINITY; return true; }
  if (l == "-inf") { *out = -INFINITY; return true; }
  if (l == "nan") { *out = NAN; return true; }
  char *end = nullptr;
  double d = std::strtod(s.c_str(), &end);
  if (*end != '\0') return false;
  *out = d;
  return true;
}

bool ParseBool(const std::string &s0, int64_t *out) {
  std::string s = Trim(s0);
  if (s == "1" || s == "True" || s == "true") { *out = 1; return true; }
  if (s == "0" || s == "False" || s == "false") { *out = 0; return true; }
  return false;
}

// "(2, 3)", "[2,3]", "2", "()", "(1,None)". allow_none: None entries become kNoneInt.
bool ParseTuple(const std::string &s0, bool allow_none, std::vector<int64_t> *out) {
  std::string s = Trim(s0);
  out->clear();
  if (!s.empty() && (s.front() == '(' || s.front() == '[')) {
    char close = s.front() == '(' ? ')' : ']';
    if (s.back() != close) return false;
    s = s.substr(1, s.size() - 2);
  }
  s = Trim(s);
  if (s.empty()) return true;
  size_t start = 0;
  while (start <= s.size()) {
    size_t comma = s.find(',', start);
    std::string item = Trim(s.substr(start, comma == std::string::npos ? std::string::npos : comma - start));
    if (item.empty()) {
      if (comma == std::string::npos) break;  // trailing comma
      return false;
    }
    int64_t v;
    if (allow_none && IsNoneStr(item)) out->push_back(kNoneInt);
    else if (ParseInt(item, &v)) out->push_back(v);
    else return false;
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return true;
}

bool ParseValue(const ParamSpec &spec, const std::string &raw, ParamValue *v) {
  *v = ParamValue();
  switch (spec.kind) {
    case ParamKind::kInt: return ParseInt(raw, &v->i);
    case ParamKind::kFloat: return ParseFloat(raw, &v->f);
    case ParamKind::kBool: return ParseBool(raw, &v->i);
    case ParamKind::kString: v->s = raw; return true;
    case ParamKind::kShape: return ParseTuple(raw, false, &v->tuple);
    case ParamKind::kOptTuple:
      if (IsNoneStr(Trim(raw))) { v->none = true; return true; }
      return ParseTuple(raw, true, &v->tuple);
    case ParamKind::kOptInt:
      if (IsNoneStr(Trim(raw))) { v->none = true; return true; }
      return ParseInt(raw, &v->i);
    case ParamKind::kOptFloat:
      if (IsNoneStr(Trim(raw))) { v->none = true; return true; }
      return ParseFloat(raw, &v->f);
    case ParamKind::kOptShape:
      if (IsNoneStr(Trim(raw))) { v->none = true; return true; }
      return ParseTuple(raw, false, &v->tuple);
    case ParamKind::kDType: {
      std::string s = Trim(raw);
      if (IsNoneStr(s)) { v->none = true; return true; }
      for (int i = 0; i < 8; ++i)
        if (s == DTypeName(i)) { v->i = i; v->s = s; return true; }
      return false;
    }
    case ParamKind::kEnum: {
      std::string s = Trim(raw);
      if (s.size() >= 2 && (s.front() == '\'' || s.front() == '"') && s.back() == s.front())
        s = s.substr(1, s.size() - 2);
      for (size_t i = 0; i < spec.options.size(); ++i)
        if (s == spec.options[i]) { v->i = static_cast<int64_t>(i); v->s = s; return true; }
      return false;
    }
  }
  return false;
}

}  // namespace

OpParams::OpParams(const Op *op, const std::vector<std::pair<std::string, std::string>> &kv) : op_(op), raw_(kv) {
  values_.resize(op->params.size());
  std::vector<char> given(op->params.size(), 0);
  for (auto &p : kv) {
    int idx = op->ParamIndex(p.first.c_str());
    if (idx < 0 && op->any_params) continue;
    if (idx < 0) {
      std::string known;
      for (auto &s : op->params) known += (known.empty() ? "" : ", ") + s.name;
      Throw(ErrorKind::kValue, "operator ", op->name, ": unknown parameter '", p.first, "'",
            known.empty() ? std::string(" (it takes no parameters)") : " (known: " + known + ")");
    }
    const ParamSpec &spec = op->params[idx];
    if (!ParseValue(spec, p.second, &values_[idx]))
      Throw(ErrorKind::kValue, "operator ", op->name, ": parameter '", p.first, "' expects ", spec.TypeString(),
            ", got '", p.second, "'");
    given[idx] = 1;
  }
  for (size_t i = 0; i < op->params.size(); ++i) {
    if (given[i]) continue;
    const ParamSpec &spec = op->params[i];
    if (spec.required) Throw(ErrorKind::kValue, "operator ", op->name, ": required parameter '", spec.name,
                             "' (", spec.TypeString(), ") is missing");
    if (!ParseValue(spec, spec.default_value, &values_[i]))
      Throw(ErrorKind::kInternal, "operator ", op->name, ": bad default for '", spec.name, "'");
  }
}

const ParamValue &OpParams::Get(const char *name) const {
  int idx = op_ ? op_->ParamIndex(name) : -1;
  if (idx < 0) Throw(ErrorKind::kInternal, "operator ", op_ ? op_->name : "?", " has no parameter '", name, "'");
  return values_[idx];
}
int64_t OpParams::Int(const char *name) const { return Get(name).i; }
double OpParams::Float(const char *name) const { return Get(name).f; }
bool OpParams::Bool(const char *name) const { return Get(name).i != 0; }
const std::string &OpParams::Str(const char *name) const { return Get(name).s; }
int OpParams::Dtype(const char *name) const { return static_cast<int>(Get(name).i); }
const std::vector<int64_t> &OpParams::Tuple(const char *name) const { return Get(name).tuple; }
bool OpParams::IsNone(const char *name) const { return Get(name).none; }

std::string OpParams::RawString(const char *name) const {
  for (auto &p : raw_)
    if (p.first == name) return p.second;
  const ParamSpec *s = op_->FindParam(name);
  return s ? s->default_value : "";
}

// ---------------------------------------------------------------------------------------------------------------
// Inference helpers
// ---------------------------------------------------------------------------------------------------------------
namespace {
// Unifies *dst with src. The message names arg and what it should be: arg_is_src: arg has src and *dst gathers what
// earlier slots said; else arg is the slot *dst and src is what it should be.
void ShapeUnify(TShape *dst, const TShape &src, const Op *op, const std::string &arg, bool arg_is_src) {
  if (src.empty()) return;
  if (dst->empty()) {
    *dst = src;
    return;
  }
  bool ok = dst->size() == src.size();
  // In an imperative call a 0 of the arrays' shapes is an empty axis: it is not filled in from another shape.
  const bool concrete = ShapesAreConcrete();
  if (ok) {
    for (size_t i = 0; i < src.size(); ++i) {
      if ((*dst)[i] == 0 && !(concrete && src[i] != 0)) continue;
      if (src[i] != 0 && src[i] != (*dst)[i]) ok = false;
    }
  }
  if (!ok)
    Throw(ErrorKind::kShape, "operator ", op ? op->name : "?", ": shape mismatch for '", arg, "': expected ",
          ShapeStr(arg_is_src ? *dst : src), ", got ", ShapeStr(arg_is_src ? src : *dst));
  for (size_t i = 0; i < src.size(); ++i)
    if ((*dst)[i] == 0) (*dst)[i] = src[i];
}

void TypeUnify(int *dst, int src, const Op *op, const std::string &arg, bool arg_is_src) {
  if (src < 0) return;
  if (*dst < 0) {
    *dst = src;
    return;
  }
  if (*dst != src)
    Throw(ErrorKind::kType, "operator ", op ? op->name : "?", ": dtype mismatch for '", arg, "': expected ",
          DTypeName(arg_is_src ? *dst : src), ", got ", DTypeName(arg_is_src ? src : *dst));
}
}  // namespace

void ShapeAssign(TShape *dst, const TShape &src, const Op *op, const std::string &arg) {
  ShapeUnify(dst, src, op, arg, false);
}
void ShapeMerge(TShape *acc, const TShape &value, const Op *op, const std::string &arg) {
  ShapeUnify(acc, value, op, arg, true);
}
void TypeAssign(int *dst, int src, const Op *op, const std::string &arg) { TypeUnify(dst, src, op, arg, false); }
void TypeMerge(int *acc, int value, const Op *op, const std::string &arg) { TypeUnify(acc, value, op, arg, true); }

void SameShapeInfer(const OpParams &p, std::vector<TShape> *in, std::vector<TShape> *out) {
  TShape s;
  auto names = p.op()->InputNames(p);
  for (size_t i = 0; i < in->size(); ++i) ShapeMerge(&s, (*in)[i], p.op(), i < names.size() ? names[i] : "input");
  for (auto &o : *out) ShapeMerge(&s, o, p.op(), "output");
  for (size_t i = 0; i < in->size(); ++i) ShapeAssign(&(*in)[i], s, p.op(), i < names.size() ? names[i] : "input");
  for (auto &o : *out) ShapeAssign(&o, s, p.op(), "output");
}

void SameTypeInfer(const OpParams &p, std::vector<int> *in, std::vector<int> *out) {
  // Fast check first: the input names (strings) are only needed for an error message.
  int t = -1;
  bool ok = true;
  for (int x : *in)
    if (x >= 0) {
      if (t < 0) t = x;
      else if (x != t) ok = false;
    }
  for (int x : *out)
    if (x >= 0) {
      if (t < 0) t = x;
      else if (x != t) ok = false;
    }
  if (ok) {
    if (t >= 0) {
      for (auto &x : *in) x = t;
      for (auto &x : *out) x = t;
    }
    return;
  }
  t = -1;
  auto names = p.op()->InputNames(p);
  for (size_t i = 0; i < in->size(); ++i) TypeMerge(&t, (*in)[i], p.op(), i < names.size() ? names[i] : "input");
  for (auto &o : *out) TypeMerge(&t, o, p.op(), "output");
  for (size_t i = 0; i < in->size(); ++i) TypeAssign(&(*in)[i], t, p.op(), i < names.size() ? names[i] : "input");
  for (auto &o : *out) TypeAssign(&o, t, p.op(), "output");
}

// ---------------------------------------------------------------------------------------------------------------
// Random generators and threads
// ---------------------------------------------------------------------------------------------------------------
namespace {
std::mutex g_rng_mu;
std::map<std::pair<int, int>, std::unique_ptr<std::mt19937_64>> &Rngs() {
  static auto *m = new std::map<std::pair<int, int>, std::unique_ptr<std::mt19937_64>>();
  return *m;
}
uint64_t g_seed = 5489u;
}  // namespace

std::mt19937_64 *DeviceRNG(const Device &dev) {
  std::lock_guard<std::mutex> lk(g_rng_mu);
  auto &slot = Rngs()[{dev.type, dev.id}];
  if (!slot) slot.reset(new std::mt19937_64(g_seed + 1000003ull * dev.id + 7919ull * dev.type));
  return slot.get();
}

Var *DeviceRNGVar(const Device &dev) {
  static auto *vars = new std::map<std::pair<int, int>, std::unique_ptr<Var>>();
  std::lock_guard<std::mutex> lk(g_rng_mu);
  auto &slot = (*vars)[{dev.type, dev.id}];
  if (!slot) slot.reset(new Var());
  return slot.get();
}

void SeedAll(uint64_t seed) {
  std::lock_guard<std::mutex> lk(g_rng_mu);
  g_seed = seed;
  for (auto &kv : Rngs()) kv.second->seed(seed + 1000003ull * kv.first.second + 7919ull * kv.first.first);
}

int KernelThreads() {
#ifdef _OPENMP
  return omp_get_max_threads();
#else
  return 1;
#endif
}

// ---------------------------------------------------------------------------------------------------------------
// Imperative invoke
// ---------------------------------------------------------------------------------------------------------------
namespace {

// One imperative call on its way through the engine: the kernel's arguments and the scratch vectors of Invoke.
// Records are kept per thread for reuse (small work runs inline, so it is taken and given back on one thread), and
// their vectors keep their capacity: once warm, a call allocates nothing but its outputs.
class InvokeOpr final : public EngineOpr {
 public:
  static InvokeOpr *New();
  void Run(const RunContext &) override;
  void Release() override;

  const FCompute *fn = nullptr;
  OpParams params;
  std::vector<NDArray> ins, outs;
  bool is_train = false;
  Device dev;
  // Scratch of Invoke (before the push) and of Run.
  std::vector<TShape> in_shapes, out_shapes;
  std::vector<int> in_types, out_types;
  std::vector<Var *> reads, writes;
  std::vector<TBlob> ib, ob;
  std::vector<OpReq> req;
};

struct InvokeOprCache {
  static constexpr size_t kMax = 16;
  std::vector<InvokeOpr *> free;
  ~InvokeOprCache();
};
thread_local bool tls_concrete_shapes = false;
thread_local InvokeOprCache tls_invoke_cache;
thread_local bool tls_invoke_cache_gone = false;  // the thread is exiting: records are deleted, not kept

InvokeOprCache::~InvokeOprCache() {
  tls_invoke_cache_gone = true;
  for (InvokeOpr *r : free) delete r;
  free.clear();
}

// Records given back on another thread (work run by a worker) when that thread's cache is full.
std::mutex g_invoke_pool_mu;
std::vector<InvokeOpr *> &SharedInvokePool() {
  static auto *v = new std::vector<InvokeOpr *>();
  return *v;
}
constexpr size_t kSharedInvokePoolMax = 64;

InvokeOpr *InvokeOpr::New() {
  if (!tls_invoke_cache_gone) {
    auto &f = tls_invoke_cache.free;
    if (!f.empty()) {
      InvokeOpr *r = f.back();
      f.pop_back();
      return r;
    }
  }
  {
    std::lock_guard<std::mutex> lk(g_invoke_pool_mu);
    auto &g = SharedInvokePool();
    if (!g.empty()) {
      InvokeOpr *r = g.back();
      g.pop_back();
      return r;
    }
  }
  return new InvokeOpr();
}

void InvokeOpr::Release() {
  // Drop the arrays now: their storage may be freed (after their pending work) once nothing else holds them.
  ins.clear();
  outs.clear();
  try {
    if (!tls_invoke_cache_gone) {
      auto &f = tls_invoke_cache.free;
      if (f.size() < InvokeOprCache::kMax) {
        f.push_back(this);
        return;
      }
    }
    std::lock_guard<std::mutex> lk(g_invoke_pool_mu);
    auto &g = SharedInvokePool();
    if (g.size() < kSharedInvokePoolMax) {
      g.push_back(this);
      return;
    }
  } catch (...) {
  }
  delete this;
}

void InvokeOpr::Run(const RunContext &) {
  const size_t ni = ins.size(), no = outs.size();
  ib.resize(ni);
  ob.resize(no);
  for (size_t i = 0; i < ni; ++i) ib[i] = ins[i].blob();
  for (size_t i = 0; i < no; ++i) ob[i] = outs[i].blob();
  req.assign(no, kWriteTo);
  OpContext ctx;
  ctx.is_train = is_train;
  ctx.dev = dev;
  if (params.op()->is_random) ctx.rng = DeviceRNG(dev);
  (*fn)(ctx, params, ib, req, ob);
}

}  // namespace

bool ShapesAreConcrete() { return tls_concrete_shapes; }

void Invoke(const Op *op, const OpParams &params, const std::vector<NDArray> &inputs, std::vector<NDArray> *outputs,
            bool is_train, std::vector<NDArray> *all_outputs) {
  const int nin = op->NumInputs(params);
  const int nout = op->NumOutputs(params);
  const int nvis = op->NumVisibleOutputs(params);
  if (static_cast<int>(inputs.size()) != nin) {
    std::string names;
    for (auto &n : op->InputNames(params)) names += (names.empty() ? "" : ", ") + n;
    Throw(ErrorKind::kValue, "operator ", op->name, ": expects ", nin, " input(s) (", names, "), got ",
          inputs.size());
  }
  for (int i = 0; i < nin; ++i)
    MXC_CHECK(!inputs[i].is_none(), ErrorKind::kValue, "operator ", op->name, ": input ", i, " is empty");
  bool given = !outputs->empty();
  MXC_CHECK(!given || static_cast<int>(outputs->size()) == nvis || static_cast<int>(outputs->size()) == nout,
            ErrorKind::kValue, "operator ", op->name, ": expects ", nvis, " output array(s), got ",
            outputs->size());

  // Device: all inputs on one device.
  Device dev = nin > 0 ? inputs[0].dev() : (given ? (*outputs)[0].dev() : Device::CPU());
  for (int i = 1; i < nin; ++i)
    if (inputs[i].dev() != dev)
      Throw(ErrorKind::kDevice, "operator ", op->name, ": inputs are on different devices (", DeviceStr(dev),
            " and ", DeviceStr(inputs[i].dev()), ")");

  InvokeOpr *r = InvokeOpr::New();
  struct Guard {  // gives the record back when validation throws
    InvokeOpr *r;
    ~Guard() {
      if (r) r->Release();
    }
  } guard{r};

  // Shapes and types
  auto &in_shapes = r->in_shapes, &out_shapes = r->out_shapes;
  auto &in_types = r->in_types, &out_types = r->out_types;
  bool inferred = false;
  if (op->elementwise_types != 0 && !given && nin > 0) {
    // An elementwise operator on inputs of one known shape and an accepted dtype: what inference would give.
    const TShape &s0 = inputs[0].shape();
    const int t0 = inputs[0].dtype();
    bool same = t0 >= 0 && t0 < 32 && ((op->elementwise_types >> t0) & 1u) != 0 && ShapeKnown(s0);
    for (int i = 1; same && i < nin; ++i) same = inputs[i].dtype() == t0 && inputs[i].shape() == s0;
    if (same) {
      out_shapes.assign(nout, s0);
      out_types.assign(nout, t0);
      inferred = true;
    }
  }
  if (!inferred) {
    // 0-d arrays (np_shape.h): inference sees them as (1,); the outputs then get NumPy's shapes.
    NpCall np(op, params, inputs, given ? outputs : nullptr);
    in_shapes.clear();
    for (int i = 0; i < nin; ++i) in_shapes.push_back(NpCall::Lifted(inputs[i].shape()));
    out_shapes.assign(nout, TShape());
    if (given)
      for (size_t i = 0; i < outputs->size(); ++i) out_shapes[i] = NpCall::Lifted((*outputs)[i].shape());
    auto shape_err = [&](const std::string &why) {
      std::string s;
      auto names = op->InputNames(params);
      for (int i = 0; i < nin; ++i)
        s += (i ? ", " : "") + (i < static_cast<int>(names.size()) ? names[i] : "input") + "=" +
             ShapeStr(inputs[i].shape());
      Throw(ErrorKind::kShape, "operator ", op->name, ": ", why, " (inputs: ", s, ")");
    };
    if (op->infer_shape && !np.Preset(&out_shapes)) {
      struct Concrete {  // ShapesAreConcrete() during this call (restored if inference throws)
        bool was = tls_concrete_shapes;
        Concrete() { tls_concrete_shapes = true; }
        ~Concrete() { tls_concrete_shapes = was; }
      } concrete;
      op->infer_shape(params, &in_shapes, &out_shapes);
    }
    for (int i = 0; i < nin; ++i)
      if (in_shapes[i] != NpCall::Lifted(inputs[i].shape()))
        shape_err("input " + std::to_string(i) + " has shape " + ShapeStr(inputs[i].shape()) + ", expected " +
                  ShapeStr(in_shapes[i]));
    np.FixOutputs(&out_shapes);
    for (int i = 0; i < nout; ++i)
      if (!np.OutputIsZeroD(i) && !ShapeKnown(out_shapes[i]) &&
          !(out_shapes[i].size() > 0 && ShapeSize(out_shapes[i]) == 0 &&
            std::all_of(out_shapes[i].begin(), out_shapes[i].end(), [](int64_t d) { return d >= 0; })))
        shape_err("cannot infer the shape of output " + std::to_string(i));

    in_types.clear();
    for (int i = 0; i < nin; ++i) in_types.push_back(inputs[i].dtype());
    out_types.assign(nout, -1);
    if (given)
      for (size_t i = 0; i < outputs->size(); ++i) out_types[i] = (*outputs)[i].dtype();
    if (op->infer_type) op->infer_type(params, &in_types, &out_types);
    else SameTypeInfer(params, &in_types, &out_types);
    for (int i = 0; i < nin; ++i)
      MXC_CHECK(in_types[i] == inputs[i].dtype(), ErrorKind::kType, "operator ", op->name, ": input ", i,
                " has dtype ", DTypeName(inputs[i].dtype()), ", expected ", DTypeName(in_types[i]));
  }

  auto fit = op->compute.find(dev.type);
  MXC_CHECK(fit != op->compute.end(), ErrorKind::kDevice, "operator ", op->name, " has no kernel for ",
            DeviceStr(dev));

  // Outputs
  auto &outs = r->outs;
  outs.clear();
  for (int i = 0; i < nout; ++i) {
    if (given && i < static_cast<int>(outputs->size())) {
      outs.push_back((*outputs)[i]);
      MXC_CHECK(outs[i].dev() == dev, ErrorKind::kDevice, "operator ", op->name, ": output is on ",
                DeviceStr(outs[i].dev()), ", inputs on ", DeviceStr(dev));
    } else {
      int t = out_types[i] < 0 ? kFloat32 : out_types[i];
      outs.emplace_back(out_shapes[i], t, dev, true);
    }
  }

  auto &reads = r->reads, &writes = r->writes;
  reads.clear();
  writes.clear();
  for (auto &a : inputs) reads.push_back(a.var());
  for (int m : op->MutateInputs(params))
    if (m < nin) writes.push_back(inputs[m].var());
  for (auto &o : outs) {
    Var *v = o.var();
    if (std::find(writes.begin(), writes.end(), v) == writes.end()) writes.push_back(v);
  }
  if (op->is_random) writes.push_back(DeviceRNGVar(dev));  // draws in push order, one at a time
  // An array both read and written stays in both lists: the engine makes it one write that inherits an earlier
  // failure of the array (an in-place update of a failed array fails too).
  int64_t work = 0;  // elements touched: the engine may run small work at once on this thread
  for (auto &a : inputs) work += a.Size();
  for (auto &o : outs) work += o.Size();

  r->fn = &fit->second;
  r->params = params;
  r->ins.assign(inputs.begin(), inputs.end());
  r->is_train = is_train;
  r->dev = dev;
  // The caller's outputs are set before the push: the record may be run and given back inside it.
  if (!given) outputs->assign(outs.begin(), outs.begin() + nvis);
  if (all_outputs) all_outputs->assign(outs.begin(), outs.end());

  guard.r = nullptr;  // the engine releases it from here on
  Engine::Get()->PushOpr(r, dev, reads.data(), static_cast<int>(reads.size()), writes.data(),
                         static_cast<int>(writes.size()), op->name.c_str(), work);
}

}  // namespace mxc
