// Executors through mxc.h with the library's operators: the seed's bind/forward/backward, gradients against finite
// differences, grad_req null/write/add, BlockGrad, loss heads, shared arrays, and the memory planner (on and off
// give identical results).
#include <cstdlib>

#include "test_capi_symbol_util.h"

namespace {

using namespace capi;

// The seed's perceptron with small sizes.
struct MLP {
  Sym data = Var("data"), label = Var("softmax_label"), w1 = Var("weight1"), b1 = Var("bias1");
  Sym l1, a1, l2, loss;
  explicit MLP(int hidden = 5, int classes = 3, const char *act = "relu") {
    l1 = Op("FullyConnected", {data, w1, b1}, "layer1", {{"num_hidden", std::to_string(hidden)}},
            {"data", "weight", "bias"});
    a1 = Op("Activation", {l1}, "act1", {{"act_type", act}});
    l2 = Op("FullyConnected", {a1}, "layer2", {{"num_hidden", std::to_string(classes)}});
    loss = Op("SoftmaxOutput", {l2, label}, "softmax");
  }
};

TEST(Executor, SeedBindForwardBackward) {
  MXCSymbolHandle h = nullptr;
  auto a = Var("A"), b = Var("B");
  auto c = Op("elemwise_add", {a, b}, "_plus0");
  auto d = Op("_div_scalar", {c}, "_divscalar0", {{"scalar", "10"}});
  auto e = Op("_plus_scalar", {d}, "_plusscalar0", {{"scalar", "1"}});
  (void)h;
  auto A = Rand(10, 1, 0, 1), B = Rand(10, 2, 0, 1);
  auto bound = BindAll(e, {{"A", {10}}}, {{"A", A}, {"B", B}}, MXC_GRAD_WRITE, nullptr, MXC_FLOAT32);
  ASSERT_NE(bound->ex, nullptr);
  ASSERT_EQ(MXCExecutorForward(bound->ex, 0), 0) << Err();
  Arr out = Output(bound->ex, 0);
  std::vector<double> expect(10);
  for (int i = 0; i < 10; ++i) expect[i] = (A[i] + B[i]) / 10 + 1;
  ExpectNear(Get(out), expect, 1e-6, "forward");
  Arr ones = MakeArr({10}, std::vector<double>(10, 1.0), MXC_FLOAT32);
  MXCNDArrayHandle hg[1] = {ones};
  ASSERT_EQ(MXCExecutorBackward(bound->ex, 1, hg), 0) << Err();
  ExpectNear(Get(bound->grad("A")), std::vector<double>(10, 0.1), 1e-6, "dA");
  ExpectNear(Get(bound->grad("B")), std::vector<double>(10, 0.1), 1e-6, "dB");
}

// -sum log softmax[label] and the executor's gradients against central differences (float64).
TEST(Executor, PerceptronGradientsByFiniteDifferences) {
  for (const char *act : {"relu", "tanh", "sigmoid"}) {
    SCOPED_TRACE(act);
    MLP m(5, 3, act);
    std::vector<double> label = {0, 2, 1, 2};
    std::map<std::string, std::vector<int64_t>> shapes = {{"data", {4, 6}}};
    auto train = BindAll(m.loss, shapes, {{"softmax_label", label}}, MXC_GRAD_WRITE);
    auto eval = BindAll(m.loss, shapes, {{"softmax_label", label}}, MXC_GRAD_NULL);
    ASSERT_EQ(MXCExecutorForward(train->ex, 1), 0) << Err();
    ASSERT_EQ(MXCExecutorBackward(train->ex, 0, nullptr), 0) << Err();
    auto loss = [&]() {
      EXPECT_EQ(MXCExecutorForward(eval->ex, 0), 0) << Err();
      Arr o = Output(eval->ex, 0);
      auto p = Get(o);
      double f = 0;
      for (size_t i = 0; i < label.size(); ++i) f -= std::log(p[i * 3 + static_cast<size_t>(label[i])]);
      return f;
    };
    for (const char *name : {"data", "weight1", "bias1", "layer2_weight", "layer2_bias"}) {
      auto x = Get(eval->arg(name));
      std::vector<double> numeric(x.size());
      for (size_t k = 0; k < x.size(); ++k) {
        double orig = x[k];
        x[k] = orig + 1e-6;
        Set(eval->arg(name), x);
        double fp = loss();
        x[k] = orig - 1e-6;
        Set(eval->arg(name), x);
        double fm = loss();
        x[k] = orig;
        Set(eval->arg(name), x);
        numeric[k] = (fp - fm) / 2e-6;
      }
      ExpectNear(Get(train->grad(name)), numeric, 1e-5, std::string("d loss / d ") + name);
    }
    ExpectNear(Get(train->grad("softmax_label")), std::vector<double>(4, 0.0), 0, "label gradient");
  }
}

TEST(Executor, GradReqNullWriteAdd) {
  auto x = Var("x"), y = Var("y");
  auto m = Op("elemwise_mul", {x, y}, "m");
  auto s = Op("elemwise_add", {m, x}, "s");  // x used twice: ds/dx = y + 1
  std::vector<double> X = {1, 2, 3}, Y = {4, 5, 6};
  auto b = BindAll(s, {{"x", {3}}}, {{"x", X}, {"y", Y}}, MXC_GRAD_ADD, nullptr, MXC_FLOAT64,
                   {{"y", MXC_GRAD_NULL}});
  Set(b->grad("x"), {100, 100, 100});
  Set(b->grad("y"), {7, 7, 7});
  Arr head = MakeArr({3}, {1, 2, 3});
  MXCNDArrayHandle hg[1] = {head};
  for (int rep = 0; rep < 2; ++rep) {
    ASSERT_EQ(MXCExecutorForward(b->ex, 1), 0);
    ASSERT_EQ(MXCExecutorBackward(b->ex, 1, hg), 0) << Err();
  }
  ExpectNear(Get(b->grad("x")), {100 + 2 * 5, 100 + 2 * 12, 100 + 2 * 21}, 1e-12, "add twice");
  ExpectNear(Get(b->grad("y")), {7, 7, 7}, 0, "null leaves the array alone");
  auto w = BindAll(s, {{"x", {3}}}, {{"x", X}, {"y", Y}}, MXC_GRAD_WRITE);
  Set(w->grad("x"), {100, 100, 100});
  ASSERT_EQ(MXCExecutorForward(w->ex, 1), 0);
  ASSERT_EQ(MXCExecutorBackward(w->ex, 1, hg), 0) << Err();
  ExpectNear(Get(w->grad("x")), {5, 12, 21}, 1e-12, "write");
  ExpectNear(Get(w->grad("y")), {1, 4, 9}, 1e-12, "write y");
}

TEST(Executor, BlockGradStopsGradients) {
  auto x = Var("x");
  auto two = Op("_mul_scalar", {x}, "two", {{"scalar", "2"}});
  auto three = Op("_mul_scalar", {x}, "three", {{"scalar", "3"}});
  auto blocked = Op("BlockGrad", {three}, "blocked");
  auto s = Op("elemwise_add", {two, blocked}, "s");
  auto b = BindAll(s, {{"x", {4}}}, {{"x", {1, 2, 3, 4}}}, MXC_GRAD_WRITE);
  Arr head = MakeArr({4}, {1, 1, 1, 1});
  MXCNDArrayHandle hg[1] = {head};
  ASSERT_EQ(MXCExecutorForward(b->ex, 1), 0);
  ASSERT_EQ(MXCExecutorBackward(b->ex, 1, hg), 0) << Err();
  Arr o = Output(b->ex, 0);
  ExpectNear(Get(o), {5, 10, 15, 20}, 1e-12, "forward");
  ExpectNear(Get(b->grad("x")), {2, 2, 2, 2}, 1e-12, "only the unblocked path");
}

TEST(Executor, LossHeadGradientIsOptional) {
  auto d = Var("data"), l = Var("label");
  auto plain = Op("SoftmaxOutput", {d, l}, "sm");
  auto scaled = Op("SoftmaxOutput", {d, l}, "sm2", {{"out_grad", "True"}});
  std::map<std::string, std::vector<double>> vals = {{"data", Rand(6, 3)}, {"label", {1, 0}}};
  auto b1 = BindAll(plain, {{"data", {2, 3}}}, vals, MXC_GRAD_WRITE);
  auto b2 = BindAll(scaled, {{"data", {2, 3}}}, vals, MXC_GRAD_WRITE);
  for (auto *b : {b1.get(), b2.get()}) {
    ASSERT_EQ(MXCExecutorForward(b->ex, 1), 0);
    ASSERT_EQ(MXCExecutorBackward(b->ex, 0, nullptr), 0) << Err();
  }
  // softmax - onehot; without a head gradient a loss output takes ones.
  Arr o = Output(b1->ex, 0);
  auto p = Get(o);
  p[1] -= 1;
  p[3] -= 1;
  ExpectNear(Get(b1->grad("data")), p, 1e-12, "plain");
  ExpectNear(Get(b2->grad("data")), p, 1e-12, "out_grad with the default head of ones");
  Arr twos = MakeArr({2, 3}, std::vector<double>(6, 2.0));
  MXCNDArrayHandle hg[1] = {twos};
  ASSERT_EQ(MXCExecutorBackward(b2->ex, 1, hg), 0) << Err();
  for (auto &v : p) v *= 2;
  ExpectNear(Get(b2->grad("data")), p, 1e-12, "out_grad with a head of twos");
}

TEST(Executor, TestExecutorSeesTrainingUpdates) {
  // The seed's pair: the test executor is bound with grad_req null on the training executor's arrays.
  MLP m(8, 4);
  auto train = BindAll(m.loss, {{"data", {6, 5}}}, {{"softmax_label", {0, 1, 2, 3, 0, 1}}}, MXC_GRAD_WRITE,
                       nullptr, MXC_FLOAT32);
  std::vector<MXCNDArrayHandle> args;
  for (auto &a : train->args) args.push_back(a);
  MXCExecutorHandle test = nullptr;
  ASSERT_EQ(MXCExecutorBind(m.loss, MXC_CPU, 0, static_cast<int>(args.size()), args.data(), nullptr, nullptr, 0,
                            nullptr, nullptr, &test),
            0)
      << Err();
  Arr test_out = Output(test, 0), train_out = Output(train->ex, 0);
  for (int step = 0; step < 3; ++step) {
    ASSERT_EQ(MXCExecutorForward(train->ex, 1), 0);
    ASSERT_EQ(MXCExecutorBackward(train->ex, 0, nullptr), 0) << Err();
    for (const char *n : {"weight1", "bias1", "layer2_weight", "layer2_bias"}) {
      auto w = Get(train->arg(n)), g = Get(train->grad(n));
      for (size_t i = 0; i < w.size(); ++i) w[i] -= 0.5 * g[i];
      Set(train->arg(n), w, MXC_FLOAT32);
    }
    ASSERT_EQ(MXCExecutorForward(test, 0), 0);
    ASSERT_EQ(MXCExecutorForward(train->ex, 0), 0);
    ExpectNear(Get(test_out), Get(train_out), 1e-6, "step " + std::to_string(step));
  }
  MXCExecutorFree(test);
}

std::vector<std::vector<double>> TrainSteps(bool plan, int64_t *planned, int64_t *unplanned) {
  if (plan) unsetenv("MXC_MEMORY_PLAN");
  else setenv("MXC_MEMORY_PLAN", "0", 1);
  MLP m(16, 4, "tanh");
  auto data = Rand(8 * 12, 11);
  auto b = BindAll(m.loss, {{"data", {8, 12}}}, {{"data", data}, {"softmax_label", {0, 1, 2, 3, 3, 2, 1, 0}}},
                   MXC_GRAD_WRITE, nullptr, MXC_FLOAT32);
  unsetenv("MXC_MEMORY_PLAN");
  MXCExecutorMemoryStats(b->ex, planned, unplanned);
  std::vector<std::vector<double>> r;
  for (int step = 0; step < 4; ++step) {
    EXPECT_EQ(MXCExecutorForward(b->ex, 1), 0);
    EXPECT_EQ(MXCExecutorBackward(b->ex, 0, nullptr), 0) << Err();
    for (const char *n : {"weight1", "bias1", "layer2_weight", "layer2_bias"}) {
      auto w = Get(b->arg(n)), g = Get(b->grad(n));
      for (size_t i = 0; i < w.size(); ++i) w[i] -= 0.1 * g[i];
      Set(b->arg(n), w, MXC_FLOAT32);
    }
  }
  Arr o = Output(b->ex, 0);
  r.push_back(Get(o));
  for (auto &g : b->grads) r.push_back(Get(g));
  for (auto &a : b->args) r.push_back(Get(a));
  return r;
}

TEST(Memory, PlanningOnAndOffAgreeExactly) {
  int64_t p_on, u_on, p_off, u_off;
  auto on = TrainSteps(true, &p_on, &u_on);
  auto off = TrainSteps(false, &p_off, &u_off);
  EXPECT_EQ(u_on, u_off);
  EXPECT_EQ(p_off, u_off);
  EXPECT_LT(p_on, u_on);
  ASSERT_EQ(on.size(), off.size());
  for (size_t i = 0; i < on.size(); ++i) EXPECT_EQ(on[i], off[i]) << "array " << i;
}

TEST(Memory, InferenceKeepsNothingForBackward) {
  // A deeper perceptron bound for inference: intermediate values share storage as soon as they are consumed.
  auto x = Var("data");
  std::vector<Sym> keep;
  MXCSymbolHandle cur = x;
  for (int i = 0; i < 4; ++i) {
    keep.push_back(Op("FullyConnected", {cur}, ("fc" + std::to_string(i)).c_str(), {{"num_hidden", "32"}}));
    keep.push_back(Op("Activation", {keep.back()}, ("act" + std::to_string(i)).c_str(), {{"act_type", "relu"}}));
    cur = keep.back();
  }
  auto out = Op("FullyConnected", {cur}, "out", {{"num_hidden", "2"}});
  auto infer = BindAll(out, {{"data", {16, 8}}}, {}, MXC_GRAD_NULL, nullptr, MXC_FLOAT32);
  int64_t planned, unplanned;
  ASSERT_EQ(MXCExecutorMemoryStats(infer->ex, &planned, &unplanned), 0);
  EXPECT_EQ(unplanned, 8 * 16 * 32 * 4);          // eight intermediate (16, 32) float32 values
  EXPECT_EQ(planned, 2 * 16 * 32 * 4);            // relu in place, two buffers alternate
  auto train = BindAll(out, {{"data", {16, 8}}}, {}, MXC_GRAD_WRITE, nullptr, MXC_FLOAT32);
  int64_t tp, tu;
  ASSERT_EQ(MXCExecutorMemoryStats(train->ex, &tp, &tu), 0);
  EXPECT_EQ(tu, 2 * unplanned);  // the values and their gradients
  EXPECT_LT(tp, tu);
  EXPECT_GT(tp, planned);  // training keeps what backward reads
  const char *text = nullptr;
  ASSERT_EQ(MXCExecutorPrint(infer->ex, &text), 0);
  std::string t = text;
  EXPECT_NE(t.find("Total "), std::string::npos);
  EXPECT_NE(t.find("MB allocated"), std::string::npos) << t;
  EXPECT_NE(t.find("act0_output (16,32) float32 [storage"), std::string::npos) << t;
}

}  // namespace
