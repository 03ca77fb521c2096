// The operator registry. Each operator is registered once, with structured metadata (exposed through the C API so
// bindings generate their operator functions), shape/type inference, in-place options, kernels per device and a
// gradient (a backward kernel).
//
// Registering an operator (see ops/*.cc):
//
//   MXC_REGISTER_OP(elemwise_add)
//       .describe("Adds two arrays of the same shape.")
//       .add_alias("_plus").add_alias("_Plus")
//       .set_inputs({"lhs", "rhs"})
//       .set_infer_shape(SameShapeInfer)
//       .set_inplace({{0, 0}, {1, 0}})
//       .set_compute(MXC_CPU, AddForward)
//       .set_backward(MXC_CPU, AddBackward)
//       .set_backward_uses(false, false);
#pragma once

#include <algorithm>
#include <atomic>
#include <functional>
#include <map>
#include <random>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "base.h"
#include "ndarray.h"

namespace mxc {

// How a kernel writes an output (MXNet's OpReqType; same codes as MXCGradReq).
enum OpReq { kNullOp = 0, kWriteTo = 1, kWriteInplace = 2, kAddTo = 3 };

// Stores v into *dst according to req.
template <typename T>
inline void Assign(T *dst, OpReq req, T v) {
  if (req == kAddTo) *dst += v;
  else if (req != kNullOp) *dst = v;
}

// ----------------------------------------------------------------------------------------------------------------
// Parameters
// ----------------------------------------------------------------------------------------------------------------
enum class ParamKind {
  kInt,        // "int"
  kFloat,      // "float"
  kBool,       // "boolean": true/false/1/0/True/False
  kString,     // "string"
  kShape,      // "Shape(tuple)": "(2,3)", "[2,3]", "2", "()"
  kEnum,       // "{'relu', 'sigmoid'}": one of options
  kOptInt,     // "int or None"
  kOptShape,   // "Shape or None": a tuple, a single int, or None
  kOptTuple,   // "tuple of <int or None>": "(1,None,3)"
  kDType,      // "dtype": a dtype name ("float32", ...)
  kOptFloat,   // "float or None"
};

constexpr int64_t kNoneInt = INT64_MIN;  // None inside a kOptTuple

struct ParamSpec {
  std::string name;
  ParamKind kind = ParamKind::kString;
  std::string default_value;  // "" with required
  bool required = false;
  std::string doc;
  std::vector<std::string> options;  // kEnum
  std::string TypeString() const;
};

struct ParamValue {
  bool none = false;           // kOpt*: None
  int64_t i = 0;               // kInt, kOptInt, kBool, kDType (dtype code), kEnum (option index)
  double f = 0;                // kFloat
  std::string s;               // kString, kEnum (option)
  std::vector<int64_t> tuple;  // kShape, kOptShape, kOptTuple
};

struct Op;

// Parsed parameters of one operator call: every parameter of the op has a value (given or default).
class OpParams {
 public:
  OpParams() = default;
  // Parses key/value strings against op's specs: unknown keys, missing required ones and values that do not parse
  // are ValueErrors naming the operator and the parameter.
  OpParams(const Op *op, const std::vector<std::pair<std::string, std::string>> &kv);

  const Op *op() const { return op_; }
  int64_t Int(const char *name) const;
  double Float(const char *name) const;
  bool Bool(const char *name) const;
  const std::string &Str(const char *name) const;  // kString and kEnum
  int Dtype(const char *name) const;                // kDType
  const std::vector<int64_t> &Tuple(const char *name) const;
  bool IsNone(const char *name) const;
  const ParamValue &Get(const char *name) const;
  // The parameters as given (strings), for JSON and printing; defaults not included.
  const std::vector<std::pair<std::string, std::string>> &raw() const { return raw_; }
  // Raw string of a parameter (given or default).
  std::string RawString(const char *name) const;

 private:
  const Op *op_ = nullptr;
  std::vector<ParamValue> values_;  // index as op->params
  std::vector<std::pair<std::string, std::string>> raw_;
};

// ----------------------------------------------------------------------------------------------------------------
// Kernel signatures
// ----------------------------------------------------------------------------------------------------------------
struct OpContext {
  bool is_train = false;
  Device dev;
  std::mt19937_64 *rng = nullptr;  // the device's generator (seeded by MXCRandomSeed)
};

// Shape inference: fill unknown entries of *in and *out (ndim 0 = unknown) from the known ones; throw ShapeError on
// a conflict (use ShapeAssign to get a uniform message). Must not fail just because something is still unknown.
using FInferShape = std::function<void(const OpParams &, std::vector<TShape> *in, std::vector<TShape> *out)>;
// ShapesAreConcrete() (base.h): whether shapes are those of real arrays (an imperative call).
// Type inference: -1 = unknown. Default: every input and output has the type of the first known one.
using FInferType = std::function<void(const OpParams &, std::vector<int> *in, std::vector<int> *out)>;
using FCompute = std::function<void(const OpContext &, const OpParams &, const std::vector<TBlob> &in,
                                    const std::vector<OpReq> &req, const std::vector<TBlob> &out)>;
// Backward: given the gradients of the (visible and hidden) outputs, the forward inputs and outputs, write the
// gradient of every input into in_grad according to req (kNullOp: skip; aux inputs always get kNullOp).
// Inputs/outputs the op declared unused (set_backward_uses) may be passed as empty blobs.
using FBackward = std::function<void(const OpContext &, const OpParams &, const std::vector<TBlob> &out_grad,
                                     const std::vector<TBlob> &in_data, const std::vector<TBlob> &out_data,
                                     const std::vector<OpReq> &req, const std::vector<TBlob> &in_grad)>;

// float16 through float32 (float16.cc). Kernels and inference functions are written for the dtypes they take; the
// registry wraps each one so that float16 arrays work with every operator, as in MXNet, where CPU kernels compute
// float16 in float32:
// - inference: when the registered function rejects a call with float16 (a TypeError), it is run again with
//   float32 in place of float16; the float16 slots stay float16, and the unknown slots it sets to float32 become
//   float16 (unless a dtype parameter of the operator, `dtype` or `out_dtype`, is not None: its outputs are what it
//   says). A call that mixes float16 with float32 stands only where the operator takes mixed dtypes (the same call
//   with float64 in float16's place is taken); elsewhere it is a dtype mismatch, as in MXNet;
// - kernels: the float16 arrays are converted to float32 copies on the call's device, the kernel runs on them, and
//   the outputs (with their request: an add request adds in float32 and rounds once) and mutated inputs are
//   converted back. This happens when the registered inference does not take the call's dtypes, for add requests
//   onto float16 outputs, when the kernel itself rejects float16 with a TypeError (before writing anything), and
//   for every backward call with a float16 array (gradients accumulate even where the forward only moves data).
// Calls without float16 arrays go straight to the registered function.
FInferType Float16InferType(FInferType f);
FCompute Float16Compute(FCompute f);
FBackward Float16Backward(FBackward f);
// Number of kernel calls run through float32 copies (for tests).
int64_t Float16StagedCalls();

// ----------------------------------------------------------------------------------------------------------------
// The operator
// ----------------------------------------------------------------------------------------------------------------
struct Op {
  std::string name;
  std::string description;
  std::vector<std::string> aliases;
  std::vector<std::string> input_names;  // for variadic ops: one name used for each input ("args", "data")
  int num_aux = 0;                       // the last num_aux inputs are auxiliary states
  std::function<int(const OpParams &)> num_aux_fn;  // overrides num_aux (Custom: the registered property says)
  // When not empty: these inputs are the auxiliary states instead of the last num_aux (_contrib_quantized_batch_norm
  // lists moving_mean and moving_var before min_data and max_data, as MXNet 1.9.1 does).
  std::vector<int> aux_inputs;
  // Parameters beyond `params` are accepted and kept as strings in OpParams::raw() (Custom passes them to the
  // language binding that registered its op_type).
  bool any_params = false;
  std::string key_var_num_args;          // parameter holding the input count of a variadic op
  // Optional: the inputs of one call when they depend on the parameters (FullyConnected/Convolution without bias).
  // input_names then lists every possible input (for metadata); this gives the ones a call takes, in order.
  std::function<std::vector<std::string>(const OpParams &)> input_names_fn;
  std::vector<ParamSpec> params;
  int num_outputs = 1;
  std::function<int64_t(const OpParams &)> num_outputs_fn;      // overrides num_outputs (checked: at most 2^20)
  std::function<int(const OpParams &)> num_visible_outputs_fn;  // default: all outputs visible
  std::function<std::vector<std::string>(const OpParams &)> output_names_fn;  // default "output" / "output<i>"
  FInferShape infer_shape;
  // infer_type and the compute/backward maps hold the registered functions wrapped for float16 (float16.cc): a call
  // whose float16 arrays the registered function does not take runs it in float32 (inference on float32 in place of
  // float16, the kernel on float32 copies). infer_type_native is the function as registered.
  FInferType infer_type;
  FInferType infer_type_native;
  // float16.cc's memo of whether infer_type_native takes calls whose dtypes are all float16 (or unknown), for
  // operators without a dtype parameter: 0 not known yet, 1 takes them, 2 rejects them (run through float32).
  mutable std::atomic<int> float16_native{0};
  // Elementwise operators (set_elementwise): bit t set when inputs all of one known shape and of dtype t give every
  // output that shape and dtype; Invoke then skips calling infer_shape/infer_type (most of the library's cost of
  // a small `a + b`).
  unsigned elementwise_types = 0;
  std::map<int, FCompute> compute;    // by device type
  std::map<int, FBackward> backward;  // by device type
  std::map<int, FCompute> kernel;     // compute as registered (without the float16 wrapper)
  bool backward_uses_inputs = true;
  bool backward_uses_outputs = true;
  std::vector<std::pair<int, int>> inplace;  // {input, output} pairs that may share storage
  // {output-gradient index, input-gradient index} pairs the backward kernel allows to share storage (the input
  // gradient written over the output gradient, as MXNet's FInplaceOption on backward nodes).
  std::vector<std::pair<int, int>> backward_inplace;
  std::vector<int> mutate_inputs;            // inputs the forward writes (aux states, optimizer states)
  std::function<std::vector<int>(const OpParams &)> mutate_inputs_fn;  // overrides mutate_inputs
  bool is_loss = false;                      // backward ignores the head gradient
  std::function<bool(const OpParams &)> is_loss_fn;  // overrides is_loss (Custom: need_top_grad false)
  bool is_random = false;                    // uses ctx.rng
  bool hidden = false;                       // internal op, not listed by MXCListOps
  std::string backward_name;  // "_backward_" + name: the engine work of its gradient (profiler, errors)

  // Builder interface
  Op &describe(const std::string &d) { description = d; return *this; }
  Op &add_alias(const std::string &a);
  Op &set_inputs(std::vector<std::string> names, int aux = 0) {
    input_names = std::move(names);
    num_aux = aux;
    return *this;
  }
  Op &set_variadic(const std::string &key, const std::string &input_name);
  Op &set_input_names(std::function<std::vector<std::string>(const OpParams &)> f) {
    input_names_fn = std::move(f);
    return *this;
  }
  Op &add_param(const std::string &pname, ParamKind kind, const std::string &def, const std::string &doc,
                std::vector<std::string> options = {});
  Op &add_required_param(const std::string &pname, ParamKind kind, const std::string &doc,
                         std::vector<std::string> options = {});
  Op &set_num_outputs(int n) { num_outputs = n; return *this; }
  Op &set_num_outputs(std::function<int64_t(const OpParams &)> f) { num_outputs_fn = std::move(f); return *this; }
  Op &set_num_visible_outputs(std::function<int(const OpParams &)> f) {
    num_visible_outputs_fn = std::move(f);
    return *this;
  }
  Op &set_output_names(std::function<std::vector<std::string>(const OpParams &)> f) {
    output_names_fn = std::move(f);
    return *this;
  }
  // (Either one set afterwards ends the elementwise shortcut of set_elementwise.)
  Op &set_infer_shape(FInferShape f) {
    infer_shape = std::move(f);
    elementwise_types = 0;
    return *this;
  }
  Op &set_infer_type(FInferType f) {
    infer_type_native = f;
    infer_type = Float16InferType(std::move(f));
    elementwise_types = 0;
    return *this;
  }
  // Shape and type inference of an elementwise operator accepting the dtypes of type_mask (bit t: dtype t): the
  // given functions for the general case (partial shapes, messages), the shortcut above when inputs agree.
  Op &set_elementwise(FInferShape shape, FInferType type, unsigned type_mask) {
    infer_shape = std::move(shape);
    infer_type_native = type;
    infer_type = Float16InferType(std::move(type));
    // float16 inputs of one shape give float16 outputs of that shape (through float32 when not taken as they are).
    elementwise_types = type_mask | ((type_mask >> kFloat32) & 1u ? 1u << kFloat16 : 0u);
    return *this;
  }
  Op &set_compute(int dev_type, FCompute f) {
    kernel[dev_type] = f;
    compute[dev_type] = Float16Compute(std::move(f));
    return *this;
  }
  Op &set_backward(int dev_type, FBackward f) {
    backward[dev_type] = Float16Backward(std::move(f));
    return *this;
  }
  Op &set_backward_uses(bool inputs, bool outputs) {
    backward_uses_inputs = inputs;
    backward_uses_outputs = outputs;
    return *this;
  }
  Op &set_inplace(std::vector<std::pair<int, int>> p) { inplace = std::move(p); return *this; }
  Op &set_backward_inplace(std::vector<std::pair<int, int>> p) { backward_inplace = std::move(p); return *this; }
  Op &set_mutate_inputs(std::vector<int> m) { mutate_inputs = std::move(m); return *this; }
  Op &set_loss(bool v = true) { is_loss = v; return *this; }
  Op &set_loss_fn(std::function<bool(const OpParams &)> f) { is_loss_fn = std::move(f); return *this; }
  Op &set_random(bool v = true) { is_random = v; return *this; }
  Op &set_hidden(bool v = true) { hidden = v; return *this; }
  Op &set_num_aux(std::function<int(const OpParams &)> f) { num_aux_fn = std::move(f); return *this; }
  Op &set_aux_inputs(std::vector<int> idx) {
    num_aux = static_cast<int>(idx.size());
    aux_inputs = std::move(idx);
    return *this;
  }
  Op &set_mutate_inputs(std::function<std::vector<int>(const OpParams &)> f) {
    mutate_inputs_fn = std::move(f);
    return *this;
  }
  Op &set_any_params(bool v = true) { any_params = v; return *this; }

  // Queries
  int NumInputs(const OpParams &p) const;  // resolves variadic count
  int NumOutputs(const OpParams &p) const;
  int NumVisibleOutputs(const OpParams &p) const;
  int NumAux(const OpParams &p) const { return num_aux_fn ? num_aux_fn(p) : num_aux; }
  // Whether input i of a call with n inputs is an auxiliary state.
  bool InputIsAux(const OpParams &p, size_t i, size_t n) const {
    if (!aux_inputs.empty()) return std::find(aux_inputs.begin(), aux_inputs.end(), static_cast<int>(i)) != aux_inputs.end();
    const int na = NumAux(p);
    return na > 0 && i + static_cast<size_t>(na) >= n;
  }
  std::vector<int> MutateInputs(const OpParams &p) const {
    return mutate_inputs_fn ? mutate_inputs_fn(p) : mutate_inputs;
  }
  bool IsLoss(const OpParams &p) const { return is_loss_fn ? is_loss_fn(p) : is_loss; }
  std::vector<std::string> InputNames(const OpParams &p) const;   // variadic: "arg0", "arg1", ...
  std::vector<std::string> OutputNames(const OpParams &p) const;  // visible ones
  bool HasGradient() const { return !backward.empty(); }
  const ParamSpec *FindParam(const std::string &pname) const;
  int ParamIndex(const char *pname) const;  // -1 if absent
};

class OpRegistry {
 public:
  static OpRegistry *Get();
  Op &Register(const std::string &name);
  const Op *Find(const std::string &name) const;  // name or alias; nullptr if unknown
  const Op *FindOrThrow(const std::string &name) const;
  const std::vector<const Op *> &List() const { return ordered_; }
  void AddAlias(Op *op, const std::string &alias);

 private:
  std::unordered_map<std::string, Op *> by_name_;
  std::vector<const Op *> ordered_;
  std::vector<std::unique_ptr<Op>> owned_;
};

#define MXC_OP_CONCAT_(a, b) a##b
#define MXC_OP_CONCAT(a, b) MXC_OP_CONCAT_(a, b)
#define MXC_REGISTER_OP(name) \
  static ::mxc::Op &MXC_OP_CONCAT(mxc_op_reg_, __COUNTER__) = ::mxc::OpRegistry::Get()->Register(#name)

// ----------------------------------------------------------------------------------------------------------------
// Helpers for inference
// ----------------------------------------------------------------------------------------------------------------
// Unifies *dst with src (unknown dims are 0, an unknown shape has ndim 0). On conflict throws a ShapeError naming the
// operator, the argument and both shapes. Assign: `arg` is the slot *dst, src is what it should be. Merge: `acc`
// gathers what earlier slots said, `arg` is the slot that has `value`.
void ShapeAssign(TShape *dst, const TShape &src, const Op *op, const std::string &arg);
void ShapeMerge(TShape *acc, const TShape &value, const Op *op, const std::string &arg);
void TypeAssign(int *dst, int src, const Op *op, const std::string &arg);
void TypeMerge(int *acc, int value, const Op *op, const std::string &arg);
// Standard inference: all inputs and outputs share one shape / one dtype.
void SameShapeInfer(const OpParams &p, std::vector<TShape> *in, std::vector<TShape> *out);
void SameTypeInfer(const OpParams &p, std::vector<int> *in, std::vector<int> *out);

// ----------------------------------------------------------------------------------------------------------------
// Imperative execution (used by the C API and tests)
// ----------------------------------------------------------------------------------------------------------------
// Runs op on inputs. If outputs is empty, allocates them; otherwise writes into them (shapes and dtypes checked).
// Validation errors are thrown here; kernel errors surface at the next wait on an output. all_outputs (may be null)
// receives every output, hidden ones included (what autograd records).
void Invoke(const Op *op, const OpParams &params, const std::vector<NDArray> &inputs, std::vector<NDArray> *outputs,
            bool is_train = false, std::vector<NDArray> *all_outputs = nullptr);

// The generator of a device.
std::mt19937_64 *DeviceRNG(const Device &dev);
// Its engine variable: work that draws from DeviceRNG(dev) lists it in its writes, so that draws happen one at a time
// and in push order (the same numbers with either engine). Invoke does this for operators with is_random.
Var *DeviceRNGVar(const Device &dev);
void SeedAll(uint64_t seed);

// Number of worker threads kernels may use (OpenMP); parallel loops only above a size threshold.
int KernelThreads();

}  // namespace mxc
