// Symbolic control flow run by the core through mxc.h only (core/subgraph_unroll.cc), on graphs saved by Apache
// MXNet 1.9.1 (bindings/python/tests/test_symbol_control_flow.py's programs): a foreach inside a foreach
// (prog_nested_loop), a while_loop (prog_while, i = 3: four steps of six) and a cond (prog_cond, p = -1: the else
// branch). Each graph is loaded from its JSON, bound, run forward (and backward where MXNet printed gradients) and
// compared with what MXNet 1.9.1 printed (bindings/python/tests/data/symbol_control_flow_mxnet191.json). The inputs
// are NumPy's RandomState(seed).uniform(-1, 1) per argument (with the test's overrides), the head gradients
// RandomState(seed + 100), as that test makes them. MXNet leaves a while_loop's output rows past its last step
// undefined: only the steps it made are compared (mxc fills the other rows with zeros, checked here).
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

struct Case {
  const char *name;
  const char *json;
  std::vector<std::string> args;
  std::vector<std::vector<int64_t>> arg_shapes;
  std::vector<std::vector<float>> arg_values;
  std::vector<std::vector<float>> head_grads;
  std::vector<std::vector<int64_t>> out_shapes;
  std::vector<std::vector<float>> mxnet_out;   // printed by MXNet 1.9.1
  std::vector<std::vector<float>> mxnet_grad;  // printed by MXNet 1.9.1 (empty: MXNet could not bind gradients)
  int64_t valid_steps;                         // > 0: the first two outputs are step outputs with this many steps
};

const std::vector<Case> &Cases() {
  static const std::vector<Case> cases = {
    {"prog_nested_loop",
        R"MXJ({"nodes":[{"op":"null","name":"x","inputs":[]},{"op":"null","name":"s","inputs":[]},{"op":"_foreach")MXJ"
        R"MXJ(,"name":"_foreach1","attrs":{"in_data_locs":"[0]","in_state_locs":"[1]","num_args":"3","num_out_data)MXJ"
        R"MXJ(":"1","num_outputs":"2","remain_locs":"[]"},"inputs":[[0,0,0],[1,0,0]],"subgraphs":[{"nodes":[{"op":)MXJ"
        R"MXJ("null","name":"x-0","attrs":{"__subgraph_name__":"foreach5"},"inputs":[]},{"op":"null","name":"s-0",)MXJ"
        R"MXJ("attrs":{"__subgraph_name__":"foreach5"},"inputs":[]},{"op":"_foreach","name":"_foreach0","attrs":{")MXJ"
        R"MXJ(__subgraph_name__":"foreach5","in_data_locs":"[0]","in_state_locs":"[1]","num_args":"3","num_out_dat)MXJ"
        R"MXJ(a":"1","num_outputs":"2","remain_locs":"[]"},"inputs":[[0,0,0],[1,0,0]],"subgraphs":[{"nodes":[{"op")MXJ"
        R"MXJ(:"null","name":"x-0-0","attrs":{"__subgraph_name__":"foreach5$foreach0"},"inputs":[]},{"op":"null",")MXJ"
        R"MXJ(name":"s-0-0","attrs":{"__subgraph_name__":"foreach5$foreach0"},"inputs":[]},{"op":"elemwise_mul","n)MXJ"
        R"MXJ(ame":"_mul0","attrs":{"__subgraph_name__":"foreach5$foreach0"},"inputs":[[0,0,0],[1,0,0]]},{"op":"el)MXJ"
        R"MXJ(emwise_add","name":"_plus0","attrs":{"__subgraph_name__":"foreach5$foreach0"},"inputs":[[1,0,0],[0,0)MXJ"
        R"MXJ(,0]]}],"arg_nodes":[0,1],"node_row_ptr":[0,1,2,3,4],"heads":[[2,0,0],[3,0,0]]}]},{"op":"_mul_scalar")MXJ"
        R"MXJ(,"name":"_mulscalar0","attrs":{"__subgraph_name__":"foreach5","scalar":"0.5"},"inputs":[[2,1,0]]}],")MXJ"
        R"MXJ(arg_nodes":[0,1],"node_row_ptr":[0,1,2,4,5],"heads":[[2,0,0],[3,0,0]]}]}],"arg_nodes":[0,1],"node_ro)MXJ"
        R"MXJ(w_ptr":[0,1,2,4],"heads":[[2,0,0],[2,1,0]],"attrs":{"mxnet_version":["int",10901]}})MXJ",
     {"x", "s"},
     {{2, 3, 4}, {4}},
     {
      {
        -0.16595599055290222, 0.44064897298812866, -0.999771237373352, -0.3953348696231842,
        -0.7064881920814514, -0.8153228163719177, -0.6274795532226562, -0.3088785409927368,
        -0.20646505057811737, 0.07763347029685974, -0.16161097586154938, 0.37043899297714233,
        -0.591095507144928, 0.756234884262085, -0.9452248215675354, 0.34093502163887024,
        -0.16539040207862854, 0.11737965792417526, -0.7192261219024658, -0.6037970185279846,
        0.6014891266822815, 0.9365231394767761, -0.37315163016319275, 0.3846452236175537
      },
      {
        0.7527782917022705, 0.7892132997512817, -0.8299115896224976, -0.9218904376029968
      }},
     {
      {
        0.032797254621982574, 0.14133517444133759, -0.9430515766143799, -0.656956672668457,
        0.37055397033691406, 0.6677937507629395, -0.38606756925582886, 0.787226140499115,
        0.44308772683143616, -0.6201220750808716, 0.10845518112182617, -0.2957361042499542,
        -0.6362152099609375, 0.5712035298347473, 0.9309664368629456, -0.5352926850318909,
        -0.8328771591186523, 0.20709684491157532, 0.457985520362854, -0.4475223422050476,
        0.37061265110969543, 0.03573494777083397, -0.9030309319496155, -0.7242615222930908
      },
      {
        -0.6260651350021362, 0.988635778427124, 0.041330792009830475, 0.15757906436920166
      }},
     {{2, 3, 4}, {4}},
     {
      {
        -0.12492810189723969, 0.3477660119533539, 0.8297216892242432, 0.3644554018974304,
        -0.4145829975605011, -1.0027350187301636, 1.148089051246643, 0.4068625867366791,
        0.024706829339265823, 0.032182130962610245, 0.397104412317276, -0.6023722887039185,
        0.09638728201389313, 0.1860990971326828, 1.237665057182312, -0.21405009925365448,
        0.12473099678754807, 0.11765210330486298, 1.6215749979019165, 0.17322780191898346,
        -0.5531002283096313, 1.0486259460449219, 1.1096919775009155, -0.34260129928588867
      },
      {
        -0.15903109312057495, 1.0281120538711548, -1.6734950542449951, -0.2530246078968048
      }},
     {
      {
        -0.11673469841480255, 0.010962610132992268, 0.5815039873123169, 0.19689179956912994,
        0.3378174901008606, 1.2651809453964233, 0.2629862129688263, -1.2025469541549683,
        0.15882790088653564, 0.23496370017528534, -0.6923593878746033, 0.4248568117618561,
        0.15138159692287445, 0.6926589012145996, -1.1907570362091064, 0.4064925014972687,
        0.5380104184150696, 0.7353621125221252, -0.6749464869499207, -0.0714012086391449,
        -0.6538298726081848, 0.534330427646637, 2.7061328887939453, 0.723885178565979
      },
      {
        -0.14686669409275055, -0.03830178827047348, 0.7416903972625732, -0.14903239905834198
      }},
     0},
    {"while_3",
        R"MXJ({"nodes":[{"op":"null","name":"i","inputs":[]},{"op":"null","name":"u","inputs":[]},{"op":"null","na)MXJ"
        R"MXJ(me":"w","inputs":[]},{"op":"null","name":"s","inputs":[]},{"op":"_while_loop","name":"_while_loop0",)MXJ"
        R"MXJ("attrs":{"cond_input_locs":"[0, 1]","func_input_locs":"[0, 2, 3]","func_var_locs":"[0, 2]","max_iter)MXJ"
        R"MXJ(ations":"6","num_args":"6","num_out_data":"2","num_outputs":"4"},"inputs":[[0,0,0],[1,0,0],[2,0,0],[)MXJ"
        R"MXJ(3,0,0]],"subgraphs":[{"nodes":[{"op":"null","name":"i-0","attrs":{"__subgraph_name__":"while_loop_co)MXJ"
        R"MXJ(nd2"},"inputs":[]},{"op":"null","name":"u","inputs":[]},{"op":"elemwise_add","name":"_plus0","attrs")MXJ"
        R"MXJ(:{"__subgraph_name__":"while_loop_cond2"},"inputs":[[0,0,0],[1,0,0]]},{"op":"_lesser_scalar","name":)MXJ"
        R"MXJ("_lesser_scalar0","attrs":{"__subgraph_name__":"while_loop_cond2","scalar":"5.5"},"inputs":[[2,0,0]])MXJ"
        R"MXJ(}],"arg_nodes":[0,1],"node_row_ptr":[0,1,2,3,4],"heads":[[3,0,0]]},{"nodes":[{"op":"null","name":"i-)MXJ"
        R"MXJ(0","attrs":{"__subgraph_name__":"while_loop_func2"},"inputs":[]},{"op":"null","name":"w","inputs":[])MXJ"
        R"MXJ(},{"op":"broadcast_mul","name":"broadcast_mul0","attrs":{"__subgraph_name__":"while_loop_func2"},"in)MXJ"
        R"MXJ(puts":[[0,0,0],[1,0,0]]},{"op":"null","name":"s-0","attrs":{"__subgraph_name__":"while_loop_func2"},)MXJ"
        R"MXJ("inputs":[]},{"op":"broadcast_mul","name":"broadcast_mul1","attrs":{"__subgraph_name__":"while_loop_)MXJ"
        R"MXJ(func2"},"inputs":[[3,0,0],[0,0,0]]},{"op":"_plus_scalar","name":"_plusscalar0","attrs":{"__subgraph_)MXJ"
        R"MXJ(name__":"while_loop_func2","scalar":"1"},"inputs":[[0,0,0]]},{"op":"broadcast_mul","name":"broadcast)MXJ"
        R"MXJ(_mul2","attrs":{"__subgraph_name__":"while_loop_func2"},"inputs":[[0,0,0],[1,0,0]]},{"op":"sin","nam)MXJ"
        R"MXJ(e":"sin0","attrs":{"__subgraph_name__":"while_loop_func2"},"inputs":[[6,0,0]]},{"op":"elemwise_add",)MXJ"
        R"MXJ("name":"_plus1","attrs":{"__subgraph_name__":"while_loop_func2"},"inputs":[[3,0,0],[7,0,0]]}],"arg_n)MXJ"
        R"MXJ(odes":[0,1,3],"node_row_ptr":[0,1,2,3,4,5,6,7,8,9],"heads":[[2,0,0],[4,0,0],[5,0,0],[8,0,0]]}]}],"ar)MXJ"
        R"MXJ(g_nodes":[0,1,2,3],"node_row_ptr":[0,1,2,3,4,8],"heads":[[4,0,0],[4,1,0],[4,2,0],[4,3,0]],"attrs":{")MXJ"
        R"MXJ(mxnet_version":["int",10901]}})MXJ",
     {"i", "u", "w", "s"},
     {{1}, {1}, {2}, {2}},
     {
      {
        3.0
      },
      {
        -0.9481475353240967
      },
      {
        0.09932495653629303, -0.12935522198677063
      },
      {
        -0.15926440060138702, -0.3393303453922272
      }},
     {
      {
        0.19536316394805908, 0.3519738018512726, -0.4014365077018738, 0.4614805281162262,
        0.15747877955436707, 0.6180353164672852, -0.6655029654502869, -0.37571007013320923,
        -0.28413689136505127, -0.016505401581525803, -0.01960352063179016, 0.7888197898864746
      },
      {
        -0.6351789236068726, -0.2776758372783661, 0.621182918548584, -0.3331063389778137,
        0.03790099173784256, -0.47675955295562744, -0.738143801689148, -0.7551656365394592,
        0.10331469029188156, -0.9412325620651245, 0.20555023849010468, 0.5017646551132202
      },
      {
        -0.5018585920333862
      },
      {
        -0.6046445369720459, 0.14791211485862732
      }},
     {{6, 2}, {6, 2}, {1}, {2}},
     {
      {
        0.29797491431236267, -0.3880656957626343, 0.39729979634284973, -0.5174208879470825,
        0.49662479758262634, -0.6467760801315308, 0.5959498286247253, -0.776131272315979,
        -1.7970579549876795e+31, 3.0898631138362216e-41, 0.0, 0.0
      },
      {
        -0.4777931869029999, -1.0179909467697144, 0.5372822284698486, -2.8709158897399902,
        2.6062519550323486, -6.061845779418945, 5.98626708984375, -10.889920234680176,
        6.726232628759122e-44, 0.0, 8.96831017167883e-44, 0.0
      },
      {
        7.0
      },
      {
        1.5590059757232666, -2.515510082244873
      }},
     {
},
     4},
    {"cond_else",
        R"MXJ({"nodes":[{"op":"null","name":"p","inputs":[]},{"op":"_greater_scalar","name":"_greater_scalar0","at)MXJ"
        R"MXJ(trs":{"scalar":"0"},"inputs":[[0,0,0]]},{"op":"null","name":"a","inputs":[]},{"op":"null","name":"b")MXJ"
        R"MXJ(,"inputs":[]},{"op":"_cond","name":"_cond0","attrs":{"cond_input_locs":"[0]","else_input_locs":"[1, )MXJ"
        R"MXJ(2]","num_args":"6","num_outputs":"2","then_input_locs":"[1, 2]"},"inputs":[[1,0,0],[2,0,0],[3,0,0]],)MXJ"
        R"MXJ("subgraphs":[{"nodes":[{"op":"null","name":"_greater_scalar0_output","inputs":[]},{"op":"_copy","nam)MXJ"
        R"MXJ(e":"identity0","attrs":{"__subgraph_name__":"cond_pred3"},"inputs":[[0,0,0]]}],"arg_nodes":[0],"node)MXJ"
        R"MXJ(_row_ptr":[0,1,2],"heads":[[1,0,0]]},{"nodes":[{"op":"null","name":"a","inputs":[]},{"op":"_mul_scal)MXJ"
        R"MXJ(ar","name":"_mulscalar0","attrs":{"__subgraph_name__":"cond_then3","scalar":"2"},"inputs":[[0,0,0]]})MXJ"
        R"MXJ(,{"op":"null","name":"b","inputs":[]},{"op":"elemwise_add","name":"_plus0","attrs":{"__subgraph_name)MXJ"
        R"MXJ(__":"cond_then3"},"inputs":[[1,0,0],[2,0,0]]},{"op":"exp","name":"exp0","attrs":{"__subgraph_name__")MXJ"
        R"MXJ(:"cond_then3"},"inputs":[[0,0,0]]}],"arg_nodes":[0,2],"node_row_ptr":[0,1,2,3,4,5],"heads":[[3,0,0],)MXJ"
        R"MXJ([4,0,0]]},{"nodes":[{"op":"null","name":"a","inputs":[]},{"op":"null","name":"b","inputs":[]},{"op":)MXJ"
        R"MXJ("elemwise_sub","name":"_minus0","attrs":{"__subgraph_name__":"cond_else3"},"inputs":[[0,0,0],[1,0,0])MXJ"
        R"MXJ(]},{"op":"elemwise_mul","name":"_mul0","attrs":{"__subgraph_name__":"cond_else3"},"inputs":[[1,0,0],)MXJ"
        R"MXJ([1,0,0]]}],"arg_nodes":[0,1],"node_row_ptr":[0,1,2,3,4],"heads":[[2,0,0],[3,0,0]]}]}],"arg_nodes":[0)MXJ"
        R"MXJ(,2,3],"node_row_ptr":[0,1,2,3,4,6],"heads":[[4,0,0],[4,1,0]],"attrs":{"mxnet_version":["int",10901]})MXJ"
        R"MXJ(})MXJ",
     {"p", "a", "b"},
     {{1}, {2, 3}, {2, 3}},
     {
      {
        -1.0
      },
      {
        0.4162956476211548, -0.41819050908088684, 0.021655211225152016, 0.7858939170837402,
        0.7925862073898315, -0.7488293647766113
      },
      {
        -0.58551424741745, -0.8970655798912048, -0.11838031560182571, -0.9402475953102112,
        -0.08633355051279068, 0.29828810691833496
      }},
     {
      {
        -0.13577759265899658, -0.6515694856643677, -0.658112645149231, 0.6552644968032837,
        0.17434251308441162, -0.08129251003265381
      },
      {
        0.6453695297241211, 0.6430962085723877, -0.38575950264930725, -0.5982112288475037,
        -0.19353508949279785, 0.8957786560058594
      }},
     {{2, 3}, {2, 3}},
     {
      {
        1.0018099546432495, 0.4788751006126404, 0.1400354951620102, 1.7261409759521484,
        0.878919780254364, -1.047116994857788
      },
      {
        0.3428269028663635, 0.8047267198562622, 0.01401390042155981, 0.8840656280517578,
        0.007453482132405043, 0.08897578716278076
      }},
     {
      {
        0.0
      },
      {
        -0.13577759265899658, -0.6515694856643677, -0.6581125855445862, 0.6552644968032837,
        0.17434249818325043, -0.08129251003265381
      },
      {
        -0.6199684739112854, -0.5022295117378235, 0.7494453191757202, 0.4696688950061798,
        -0.14092540740966797, 0.615692675113678
      }},
     0}};
  return cases;
}

MXCNDArrayHandle Array(const std::vector<int64_t> &shape, const std::vector<float> &v) {
  MXCNDArrayHandle h = nullptr;
  EXPECT_EQ(MXCNDArrayCreate(shape.data(), static_cast<int>(shape.size()), MXC_FLOAT32, MXC_CPU, 0, 0, &h), 0)
      << Err();
  EXPECT_EQ(MXCNDArraySyncCopyFromCPU(h, v.data(), static_cast<int64_t>(v.size())), 0) << Err();
  return h;
}

void ExpectClose(const std::vector<float> &got, const std::vector<float> &want, const std::string &what) {
  ASSERT_EQ(got.size(), want.size()) << what;
  for (size_t i = 0; i < got.size(); ++i)
    EXPECT_NEAR(got[i], want[i], 1e-6 + 1e-5 * std::fabs(want[i])) << what << " element " << i;
}

class MXNetGraph : public ::testing::TestWithParam<size_t> {};

TEST_P(MXNetGraph, RunsAsMXNet) {
  const Case &c = Cases()[GetParam()];
  SCOPED_TRACE(c.name);
  MXCSymbolHandle s = nullptr;
  ASSERT_EQ(MXCSymbolCreateFromJSON(c.json, &s), 0) << Err();
  capi::Sym keep(s);
  int n = 0;
  const char **names = nullptr;
  ASSERT_EQ(MXCSymbolListArguments(s, &n, &names), 0) << Err();
  ASSERT_EQ(Strs(n, names), c.args);
  // output shapes inferred from the argument shapes (MXNet 1.9.1 itself gives none for _while_loop and _cond)
  std::vector<const char *> keys;
  std::vector<int> ndims;
  std::vector<int64_t> dims;
  for (size_t i = 0; i < c.args.size(); ++i) {
    keys.push_back(c.args[i].c_str());
    ndims.push_back(static_cast<int>(c.arg_shapes[i].size()));
    dims.insert(dims.end(), c.arg_shapes[i].begin(), c.arg_shapes[i].end());
  }
  int cnt[3], complete = 0;
  const int *nd[3];
  const int64_t *dv[3];
  ASSERT_EQ(MXCSymbolInferShape(s, static_cast<int>(keys.size()), keys.data(), ndims.data(), dims.data(), 0, &cnt[0],
                                &nd[0], &dv[0], &cnt[1], &nd[1], &dv[1], &cnt[2], &nd[2], &dv[2], &complete),
            0)
      << Err();
  EXPECT_EQ(complete, 1);
  std::vector<std::vector<int64_t>> out_shapes;
  for (int i = 0, off = 0; i < cnt[1]; off += nd[1][i], ++i)
    out_shapes.emplace_back(dv[1] + off, dv[1] + off + nd[1][i]);
  EXPECT_EQ(out_shapes, c.out_shapes);

  const bool grads = !c.mxnet_grad.empty();
  std::vector<MXCNDArrayHandle> args, gs;
  std::vector<int> reqs;
  for (size_t i = 0; i < c.args.size(); ++i) {
    args.push_back(Array(c.arg_shapes[i], c.arg_values[i]));
    gs.push_back(grads ? Array(c.arg_shapes[i], std::vector<float>(c.arg_values[i].size(), 0.f)) : nullptr);
    reqs.push_back(grads ? MXC_GRAD_WRITE : MXC_GRAD_NULL);
  }
  MXCExecutorHandle ex = nullptr;
  ASSERT_EQ(MXCExecutorBind(s, MXC_CPU, 0, static_cast<int>(args.size()), args.data(), gs.data(), reqs.data(), 0,
                            nullptr, nullptr, &ex),
            0)
      << Err();
  ASSERT_EQ(MXCExecutorForward(ex, 1), 0) << Err();
  MXCNDArrayHandle *outs = nullptr;
  int nout = 0;
  ASSERT_EQ(MXCExecutorOutputs(ex, &nout, &outs), 0) << Err();
  ASSERT_EQ(static_cast<size_t>(nout), c.mxnet_out.size());
  std::vector<MXCNDArrayHandle> out_handles(outs, outs + nout);
  for (int k = 0; k < nout; ++k) {
    std::vector<float> got = Read(out_handles[k]), want = c.mxnet_out[k];
    if (c.valid_steps > 0 && k < 2) {  // rows MXNet defines; the rows past the last step are zeros here
      size_t row = got.size() / static_cast<size_t>(c.out_shapes[k][0]);
      for (size_t i = c.valid_steps * row; i < got.size(); ++i) EXPECT_EQ(got[i], 0.f) << "output " << k << " " << i;
      got.resize(c.valid_steps * row);
      want.resize(c.valid_steps * row);
    }
    ExpectClose(got, want, "output " + std::to_string(k));
  }
  if (grads) {
    std::vector<MXCNDArrayHandle> heads;
    for (int k = 0; k < nout; ++k) heads.push_back(Array(c.out_shapes[k], c.head_grads[k]));
    ASSERT_EQ(MXCExecutorBackward(ex, nout, heads.data()), 0) << Err();
    for (size_t i = 0; i < c.args.size(); ++i) ExpectClose(Read(gs[i]), c.mxnet_grad[i], "gradient of " + c.args[i]);
    for (auto h : heads) MXCNDArrayFree(h);
  }
  for (auto h : out_handles) MXCNDArrayFree(h);
  MXCExecutorFree(ex);
  for (auto h : args) MXCNDArrayFree(h);
  for (auto h : gs) MXCNDArrayFree(h);
}

INSTANTIATE_TEST_SUITE_P(ControlFlow, MXNetGraph, ::testing::Values(0, 1, 2),
                         [](const ::testing::TestParamInfo<size_t> &i) { return std::string(Cases()[i.param].name); });

}  // namespace
