// Symbolic control flow run by the core through mxc.h only (core/subgraph_unroll.cc): a foreach graph saved by
// Apache MXNet 1.9.1 (an RNN-like loop: h = tanh(FC(x_t) + FC(h)) over 3 steps; prog_rnn of
// bindings/python/tests/test_symbol_control_flow.py) is loaded from its JSON, its shapes inferred, bound, run forward
// and backward, and compared with the outputs and gradients MXNet 1.9.1 printed for the same inputs
// (bindings/python/tests/data/symbol_control_flow_mxnet191.json; the inputs are NumPy's RandomState(1).uniform(-1, 1)
// per argument, the head gradients RandomState(101), as that test makes them). Also: the symbol is unchanged by the
// binding, a CachedOp runs it, another length runs (checked against a loop written here), and bad graphs give
// clear errors naming the node.
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "mxc.h"
#include "test_capi_symbol_util.h"

namespace {

using capi::Err;
using capi::Read;
using capi::Strs;

// prog_rnn's graph as MXNet 1.9.1 wrote it (sym.tojson(), whitespace removed).
const char *kForeachJSON =
    R"MXJ({"nodes":[{"op":"null","name":"data","inputs":[]},{"op":"null","name":"h0","inputs":[]},{"op":"null")MXJ"
    R"MXJ(,"name":"fcx_weight","attrs":{"__subgraph_name__":"foreach4","num_hidden":"4"},"inputs":[]},{"op":"n)MXJ"
    R"MXJ(ull","name":"fcx_bias","attrs":{"__subgraph_name__":"foreach4","num_hidden":"4"},"inputs":[]},{"op":)MXJ"
    R"MXJ("null","name":"fch_weight","attrs":{"__subgraph_name__":"foreach4","num_hidden":"4"},"inputs":[]},{")MXJ"
    R"MXJ(op":"null","name":"fch_bias","attrs":{"__subgraph_name__":"foreach4","num_hidden":"4"},"inputs":[]},)MXJ"
    R"MXJ({"op":"_foreach","name":"_foreach0","attrs":{"in_data_locs":"[0]","in_state_locs":"[3]","num_args":")MXJ"
    R"MXJ(7","num_out_data":"1","num_outputs":"2","remain_locs":"[1, 2, 4, 5]"},"inputs":[[0,0,0],[1,0,0],[2,0)MXJ"
    R"MXJ(,0],[3,0,0],[4,0,0],[5,0,0]],"subgraphs":[{"nodes":[{"op":"null","name":"data-0","attrs":{"__subgrap)MXJ"
    R"MXJ(h_name__":"foreach4"},"inputs":[]},{"op":"null","name":"fcx_weight","attrs":{"__subgraph_name__":"fo)MXJ"
    R"MXJ(reach4","num_hidden":"4"},"inputs":[]},{"op":"null","name":"fcx_bias","attrs":{"__subgraph_name__":")MXJ"
    R"MXJ(foreach4","num_hidden":"4"},"inputs":[]},{"op":"FullyConnected","name":"fcx","attrs":{"__subgraph_na)MXJ"
    R"MXJ(me__":"foreach4","num_hidden":"4"},"inputs":[[0,0,0],[1,0,0],[2,0,0]]},{"op":"null","name":"h0-0","a)MXJ"
    R"MXJ(ttrs":{"__subgraph_name__":"foreach4"},"inputs":[]},{"op":"null","name":"fch_weight","attrs":{"__sub)MXJ"
    R"MXJ(graph_name__":"foreach4","num_hidden":"4"},"inputs":[]},{"op":"null","name":"fch_bias","attrs":{"__s)MXJ"
    R"MXJ(ubgraph_name__":"foreach4","num_hidden":"4"},"inputs":[]},{"op":"FullyConnected","name":"fch","attrs)MXJ"
    R"MXJ(":{"__subgraph_name__":"foreach4","num_hidden":"4"},"inputs":[[4,0,0],[5,0,0],[6,0,0]]},{"op":"elemw)MXJ"
    R"MXJ(ise_add","name":"_plus0","attrs":{"__subgraph_name__":"foreach4"},"inputs":[[3,0,0],[7,0,0]]},{"op":)MXJ"
    R"MXJ("tanh","name":"tanh0","attrs":{"__subgraph_name__":"foreach4"},"inputs":[[8,0,0]]},{"op":"_copy","na)MXJ"
    R"MXJ(me":"identity0","attrs":{"__subgraph_name__":"foreach4"},"inputs":[[9,0,0]]}],"arg_nodes":[0,1,2,4,5)MXJ"
    R"MXJ(,6],"node_row_ptr":[0,1,2,3,4,5,6,7,8,9,10,11],"heads":[[9,0,0],[10,0,0]]}]}],"arg_nodes":[0,1,2,3,4)MXJ"
    R"MXJ(,5],"node_row_ptr":[0,1,2,3,4,5,6,8],"heads":[[6,0,0],[6,1,0]],"attrs":{"mxnet_version":["int",10901)MXJ"
    R"MXJ(]}})MXJ";

const std::vector<std::string> kArgs = {"data", "h0", "fcx_weight", "fcx_bias", "fch_weight", "fch_bias"};
const std::vector<std::vector<int64_t>> kArgShapes = {{3, 2, 5}, {2, 4}, {4, 5}, {4}, {4, 4}, {4}};
const std::vector<std::vector<int64_t>> kOutShapes = {{3, 2, 4}, {2, 4}};
// Inputs (per argument, in kArgs order) and head gradients (per output).
const std::vector<std::vector<float>> kArgValues = {
    {
      -0.16595599055290222, 0.44064897298812866, -0.999771237373352, -0.3953348696231842, -0.7064881920814514,
      -0.8153228163719177, -0.6274795532226562, -0.3088785409927368, -0.20646505057811737, 0.07763347029685974,
      -0.16161097586154938, 0.37043899297714233, -0.591095507144928, 0.756234884262085, -0.9452248215675354,
      0.34093502163887024, -0.16539040207862854, 0.11737965792417526, -0.7192261219024658, -0.6037970185279846,
      0.6014891266822815, 0.9365231394767761, -0.37315163016319275, 0.3846452236175537, 0.7527782917022705,
      0.7892132997512817, -0.8299115896224976, -0.9218904376029968, -0.6603391766548157, 0.7562850117683411
    },
    {
      -0.8033063411712646, -0.15778474509716034, 0.9157790541648865, 0.06633056700229645, 0.3837542235851288,
      -0.3689687252044678, 0.3730018436908722, 0.6692513227462769
    },
    {
      -0.9634234309196472, 0.5002886056900024, 0.97772216796875, 0.4963313043117523, -0.43911200761795044,
      0.5785586833953857, -0.7935479879379272, -0.10421294718980789, 0.8171910047531128, -0.41277170181274414,
      -0.4244493246078491, -0.7399428486824036, -0.9612661004066467, 0.3576710522174835, -0.5767437815666199,
      -0.4689066708087921, -0.016853680834174156, -0.8932749032974243, 0.14823521673679352, -0.7065428495407104
    },
    {
      0.17861106991767883, 0.3995167315006256, -0.7953311204910278, -0.17188802361488342
    },
    {
      0.38880032300949097, -0.17164145410060883, -0.9000930786132812, 0.07179281115531921, 0.3275893032550812,
      0.029778223484754562, 0.8891895413398743, 0.17311008274555206, 0.806803822517395, -0.7250505685806274,
      -0.7214472889900208, 0.6147825717926025, -0.20464631915092468, -0.669291615486145, 0.8550171852111816,
      -0.3044682741165161
    },
    {
      0.5016242265701294, 0.45199596881866455, 0.76661217212677, 0.24734441936016083
    }};
const std::vector<std::vector<float>> kHeadGrads = {
    {
      0.032797254621982574, 0.14133517444133759, -0.9430515766143799, -0.656956672668457, 0.37055397033691406,
      0.6677937507629395, -0.38606756925582886, 0.787226140499115, 0.44308772683143616, -0.6201220750808716,
      0.10845518112182617, -0.2957361042499542, -0.6362152099609375, 0.5712035298347473, 0.9309664368629456,
      -0.5352926850318909, -0.8328771591186523, 0.20709684491157532, 0.457985520362854, -0.4475223422050476,
      0.37061265110969543, 0.03573494777083397, -0.9030309319496155, -0.7242615222930908
    },
    {
      -0.6260651350021362, 0.988635778427124, 0.041330792009830475, 0.15757906436920166, 0.4696381092071533,
      0.08392354100942612, 0.8263071179389954, 0.6158403158187866
    }};
// Printed by MXNet 1.9.1: the outputs (stacked h_t, last h) and the gradients of the arguments (kArgs order).
const std::vector<std::vector<float>> kMXNetOut = {
    {
      -0.7200183272361755, 0.7765002846717834, -0.2077714055776596, 0.9869372248649597, 0.563603401184082,
      0.8541790246963501, 0.9327855706214905, 0.7363091111183167, 0.7925984859466553, 0.8635534048080444,
      0.6424539089202881, 0.5387917757034302, -0.3988352119922638, 0.9637591242790222, -0.42827609181404114,
      0.019846810027956963, -0.3048414885997772, 0.8954393267631531, -0.7754219770431519, -0.6161667704582214,
      -0.963319718837738, 0.6240628957748413, -0.23093169927597046, -0.7718942165374756
    },
    {
      -0.3048414885997772, 0.8954393267631531, -0.7754219770431519, -0.6161667704582214, -0.963319718837738,
      0.6240628957748413, -0.23093169927597046, -0.7718942165374756
    }};
const std::vector<std::vector<float>> kMXNetGrad = {
    {
      0.33957868814468384, 1.4682790040969849, 1.8971749544143677, -0.5404996871948242, 0.8720148801803589,
      -0.7684345245361328, 0.26832911372184753, 0.13508039712905884, 0.48940980434417725, -0.7253987789154053,
      -0.37814030051231384, -0.4044038951396942, -0.4904164969921112, 0.18901370465755463, -0.31449970602989197,
      0.4698934853076935, -0.8736162185668945, -0.7896245718002319, -0.031047850847244263, 0.15453630685806274,
      1.411903977394104, -0.9944021105766296, -1.3492889404296875, -0.4186233878135681, 0.49554499983787537,
      0.03534708917140961, 0.026780899614095688, 0.16051289439201355, 0.057260580360889435, 0.016125120222568512
    },
    {
      -1.2513329982757568, 1.1427819728851318, 0.8033897876739502, -1.0112370252609253, 0.06837469339370728,
      -0.44906920194625854, 0.20416609942913055, -0.19584189355373383
    },
    {
      -1.5051629543304443, -1.4331680536270142, -0.16578179597854614, -0.35467541217803955, -0.862754225730896,
      0.1290093958377838, -0.03447502851486206, -0.01302994042634964, -0.05179717019200325, 0.4030025005340576,
      0.5819079875946045, -0.2718377113342285, 1.3469569683074951, 0.7770630121231079, 0.10545559972524643,
      -0.8335670232772827, -0.49216869473457336, -0.07809673249721527, 0.1315504014492035, 0.33241450786590576
    },
    {
      -0.7942957282066345, 0.2810926139354706, -0.1446875035762787, -0.25775858759880066
    },
    {
      -1.4322340488433838, -1.7634270191192627, -0.8817198872566223, -0.5924720764160156, 0.41663089394569397,
      0.19656400382518768, 0.12974689900875092, 0.15375719964504242, 1.3933659791946411, 1.6250590085983276,
      -0.8131781220436096, 1.1966899633407593, -0.09580031037330627, -0.998323380947113, -0.3486504852771759,
      -0.19328829646110535
    },
    {
      -0.7942957282066345, 0.2810926139354706, -0.1446875035762787, -0.25775858759880066
    }};

MXCNDArrayHandle Array(const std::vector<int64_t> &shape, const std::vector<float> &v) {
  MXCNDArrayHandle h = nullptr;
  EXPECT_EQ(MXCNDArrayCreate(shape.data(), static_cast<int>(shape.size()), MXC_FLOAT32, MXC_CPU, 0, 0, &h), 0)
      << Err();
  if (!v.empty()) EXPECT_EQ(MXCNDArraySyncCopyFromCPU(h, v.data(), static_cast<int64_t>(v.size())), 0) << Err();
  return h;
}

std::vector<int64_t> ShapeOf(MXCNDArrayHandle h) {
  int ndim = 0;
  const int64_t *shape = nullptr;
  EXPECT_EQ(MXCNDArrayGetShape(h, &ndim, &shape), 0) << Err();
  return std::vector<int64_t>(shape, shape + ndim);
}

void ExpectClose(const std::vector<float> &got, const std::vector<float> &want, const std::string &what) {
  ASSERT_EQ(got.size(), want.size()) << what;
  for (size_t i = 0; i < got.size(); ++i)
    EXPECT_NEAR(got[i], want[i], 1e-6 + 1e-5 * std::fabs(want[i])) << what << " element " << i;
}

capi::Sym Load(const std::string &json) {
  MXCSymbolHandle h = nullptr;
  EXPECT_EQ(MXCSymbolCreateFromJSON(json.c_str(), &h), 0) << Err();
  return capi::Sym(h);
}

std::string ToJSON(MXCSymbolHandle s) {
  const char *out = nullptr;
  EXPECT_EQ(MXCSymbolSaveToJSON(s, &out), 0) << Err();
  return out ? out : "";
}

// infer_shape with the given shapes; returns the return code, fills arg/out shapes and complete.
int Infer(MXCSymbolHandle s, const std::vector<std::pair<const char *, std::vector<int64_t>>> &known, int partial,
          std::vector<std::vector<int64_t>> *args, std::vector<std::vector<int64_t>> *outs, int *complete) {
  std::vector<const char *> keys;
  std::vector<int> ndims;
  std::vector<int64_t> dims;
  for (auto &k : known) {
    keys.push_back(k.first);
    ndims.push_back(static_cast<int>(k.second.size()));
    dims.insert(dims.end(), k.second.begin(), k.second.end());
  }
  int c[3];
  const int *nd[3];
  const int64_t *dv[3];
  int rc = MXCSymbolInferShape(s, static_cast<int>(keys.size()), keys.data(), ndims.data(), dims.data(), partial,
                               &c[0], &nd[0], &dv[0], &c[1], &nd[1], &dv[1], &c[2], &nd[2], &dv[2], complete);
  if (rc != 0) return rc;
  for (int k = 0; k < 2; ++k) {
    auto *dst = k == 0 ? args : outs;
    dst->clear();
    size_t off = 0;
    for (int i = 0; i < c[k]; ++i) {
      dst->emplace_back(dv[k] + off, dv[k] + off + nd[k][i]);
      off += nd[k][i];
    }
  }
  return 0;
}

struct Bound {
  std::vector<MXCNDArrayHandle> args, grads;
  MXCExecutorHandle exec = nullptr;
  ~Bound() {
    MXCExecutorFree(exec);
    for (auto h : args) MXCNDArrayFree(h);
    for (auto h : grads) MXCNDArrayFree(h);
  }
};

TEST(ControlFlowCAPI, MXNetForeachGraphRunsAsMXNet) {
  capi::Sym s = Load(kForeachJSON);
  ASSERT_NE(s.h, nullptr);
  const std::string before = ToJSON(s);
  int n = 0;
  const char **names = nullptr;
  ASSERT_EQ(MXCSymbolListArguments(s, &n, &names), 0) << Err();
  ASSERT_EQ(Strs(n, names), kArgs);
  // shapes from data and h0 alone (the weights' from FullyConnected inside the body)
  std::vector<std::vector<int64_t>> arg_shapes, out_shapes;
  int complete = 0;
  ASSERT_EQ(Infer(s, {{"data", kArgShapes[0]}, {"h0", kArgShapes[1]}}, 0, &arg_shapes, &out_shapes, &complete), 0)
      << Err();
  EXPECT_EQ(complete, 1);
  EXPECT_EQ(arg_shapes, kArgShapes);
  EXPECT_EQ(out_shapes, kOutShapes);

  Bound b;
  std::vector<int> reqs;
  for (size_t i = 0; i < kArgs.size(); ++i) {
    b.args.push_back(Array(kArgShapes[i], kArgValues[i]));
    b.grads.push_back(Array(kArgShapes[i], std::vector<float>(kArgValues[i].size(), 0.f)));
    reqs.push_back(MXC_GRAD_WRITE);
  }
  ASSERT_EQ(MXCExecutorBind(s, MXC_CPU, 0, static_cast<int>(b.args.size()), b.args.data(), b.grads.data(),
                            reqs.data(), 0, nullptr, nullptr, &b.exec),
            0)
      << Err();
  ASSERT_EQ(MXCExecutorForward(b.exec, 1), 0) << Err();
  MXCNDArrayHandle *outs = nullptr;
  int nout = 0;
  ASSERT_EQ(MXCExecutorOutputs(b.exec, &nout, &outs), 0) << Err();
  ASSERT_EQ(nout, 2);
  std::vector<MXCNDArrayHandle> out_handles(outs, outs + nout);
  for (int k = 0; k < nout; ++k) {
    EXPECT_EQ(ShapeOf(out_handles[k]), kOutShapes[k]);
    ExpectClose(Read(out_handles[k]), kMXNetOut[k], "output " + std::to_string(k));
  }
  std::vector<MXCNDArrayHandle> heads;
  for (int k = 0; k < nout; ++k) heads.push_back(Array(kOutShapes[k], kHeadGrads[k]));
  ASSERT_EQ(MXCExecutorBackward(b.exec, nout, heads.data()), 0) << Err();
  for (size_t i = 0; i < kArgs.size(); ++i) ExpectClose(Read(b.grads[i]), kMXNetGrad[i], "gradient of " + kArgs[i]);
  for (auto h : heads) MXCNDArrayFree(h);
  for (auto h : out_handles) MXCNDArrayFree(h);
  // the user's symbol keeps its _foreach node
  EXPECT_EQ(ToJSON(s), before);
  ASSERT_EQ(MXCSymbolListOutputs(s, &n, &names), 0) << Err();
  EXPECT_EQ(Strs(n, names), (std::vector<std::string>{"_foreach0_output0", "_foreach0_output1"}));
}

TEST(ControlFlowCAPI, CachedOpRunsTheLoopForEachLength) {
  capi::Sym s = Load(kForeachJSON);
  MXCCachedOpHandle op = nullptr;
  ASSERT_EQ(MXCCachedOpCreate(s, 0, nullptr, nullptr, &op), 0) << Err();
  int nin = 0, nout = 0;
  ASSERT_EQ(MXCCachedOpGetNumIO(op, &nin, &nout), 0) << Err();
  EXPECT_EQ(nin, 6);
  EXPECT_EQ(nout, 2);
  int n = 0;
  const char **names = nullptr;
  ASSERT_EQ(MXCSymbolListInputs(s, &n, &names), 0) << Err();
  ASSERT_EQ(Strs(n, names), kArgs);  // no auxiliary states: the inputs are the arguments
  // MXNet's inputs: MXNet's outputs
  std::vector<MXCNDArrayHandle> ins;
  for (size_t i = 0; i < kArgs.size(); ++i) ins.push_back(Array(kArgShapes[i], kArgValues[i]));
  MXCNDArrayHandle *outs = nullptr;
  ASSERT_EQ(MXCCachedOpInvoke(op, nin, ins.data(), &nout, &outs), 0) << Err();
  ASSERT_EQ(nout, 2);
  std::vector<MXCNDArrayHandle> got(outs, outs + nout);
  for (int k = 0; k < nout; ++k) ExpectClose(Read(got[k]), kMXNetOut[k], "CachedOp output " + std::to_string(k));
  for (auto h : got) MXCNDArrayFree(h);
  // 5 steps of another batch size, against the loop written out here: h = tanh(Wx x_t + bx + Wh h + bh)
  const int64_t T = 5, B = 3;
  std::vector<float> data(T * B * 5), h0(B * 4);
  for (size_t i = 0; i < data.size(); ++i) data[i] = std::sin(0.37f * i);
  for (size_t i = 0; i < h0.size(); ++i) h0[i] = std::cos(0.91f * i) * 0.5f;
  MXCNDArrayHandle d2 = Array({T, B, 5}, data), h2 = Array({B, 4}, h0);
  std::vector<MXCNDArrayHandle> ins2 = {d2, h2, ins[2], ins[3], ins[4], ins[5]};
  ASSERT_EQ(MXCCachedOpInvoke(op, nin, ins2.data(), &nout, &outs), 0) << Err();
  ASSERT_EQ(nout, 2);
  got.assign(outs, outs + nout);
  EXPECT_EQ(ShapeOf(got[0]), (std::vector<int64_t>{T, B, 4}));
  const auto &wx = kArgValues[2], &bx = kArgValues[3], &wh = kArgValues[4], &bh = kArgValues[5];
  std::vector<float> h = h0, want;
  for (int64_t t = 0; t < T; ++t) {
    std::vector<float> nh(B * 4);
    for (int64_t bi = 0; bi < B; ++bi)
      for (int o = 0; o < 4; ++o) {
        double acc = bx[o] + bh[o];
        for (int k = 0; k < 5; ++k) acc += wx[o * 5 + k] * data[(t * B + bi) * 5 + k];
        for (int k = 0; k < 4; ++k) acc += wh[o * 4 + k] * h[bi * 4 + k];
        nh[bi * 4 + o] = static_cast<float>(std::tanh(acc));
      }
    h = nh;
    want.insert(want.end(), nh.begin(), nh.end());
  }
  ExpectClose(Read(got[0]), want, "5 steps: stacked outputs");
  ExpectClose(Read(got[1]), h, "5 steps: last state");
  for (auto x : got) MXCNDArrayFree(x);
  // the first length again (prepared once per input shapes)
  ASSERT_EQ(MXCCachedOpInvoke(op, nin, ins.data(), &nout, &outs), 0) << Err();
  got.assign(outs, outs + nout);
  ExpectClose(Read(got[1]), kMXNetOut[1], "CachedOp output 1 again");
  for (auto x : got) MXCNDArrayFree(x);
  for (auto x : ins) MXCNDArrayFree(x);
  MXCNDArrayFree(d2);
  MXCNDArrayFree(h2);
  MXCCachedOpFree(op);
}

TEST(ControlFlowCAPI, ErrorsNameTheNode) {
  capi::Sym s = Load(kForeachJSON);
  std::vector<std::vector<int64_t>> args, outs;
  int complete = 1;
  // the loop's length unknown: partial inference leaves the outputs unknown; full inference names the loop
  ASSERT_EQ(Infer(s, {{"h0", {2, 4}}}, 1, &args, &outs, &complete), 0) << Err();
  EXPECT_EQ(complete, 0);
  EXPECT_EQ(args[1], (std::vector<int64_t>{2, 4}));
  EXPECT_TRUE(args[0].empty());
  EXPECT_EQ(outs, (std::vector<std::vector<int64_t>>{{}, {}}));
  EXPECT_NE(Infer(s, {{"h0", {2, 4}}}, 0, &args, &outs, &complete), 0);
  std::string err = Err();
  EXPECT_NE(err.find("_foreach0"), std::string::npos) << err;
  EXPECT_NE(err.find("length of data along axis 0 is not known"), std::string::npos) << err;
  // a state whose shape conflicts with the body's: the operator inside the loop says so
  EXPECT_NE(Infer(s, {{"data", {3, 2, 5}}, {"h0", {2, 3}}, {"fch_weight", {4, 4}}}, 1, &args, &outs, &complete), 0);
  err = Err();
  EXPECT_NE(err.find("fch"), std::string::npos) << err;
  // a bad node: its locs name an input it does not have
  std::string bad = kForeachJSON;
  bad.replace(bad.find("\"in_data_locs\":\"[0]\""), 20, "\"in_data_locs\":\"[9]\"");
  capi::Sym sb = Load(bad);
  EXPECT_NE(Infer(sb, {{"data", {3, 2, 5}}, {"h0", {2, 4}}}, 1, &args, &outs, &complete), 0);
  err = Err();
  EXPECT_NE(err.find("_foreach0"), std::string::npos) << err;
  EXPECT_NE(err.find("out of range"), std::string::npos) << err;
  // binding the bad node is the same clear error
  Bound b;
  for (size_t i = 0; i < kArgs.size(); ++i) b.args.push_back(Array(kArgShapes[i], kArgValues[i]));
  EXPECT_NE(MXCExecutorBind(sb, MXC_CPU, 0, static_cast<int>(b.args.size()), b.args.data(), nullptr, nullptr, 0,
                            nullptr, nullptr, &b.exec),
            0);
  err = Err();
  EXPECT_NE(err.find("_foreach0"), std::string::npos) << err;
}

}  // namespace
