package mxc_test

// Symbolic control flow from Go: a foreach graph saved by Apache MXNet 1.9.1 (prog_rnn of
// bindings/python/tests/test_symbol_control_flow.py: h = tanh(FC(x_t) + FC(h)) over 3 steps) is loaded from its
// JSON, bound, run forward and backward by the core (which unrolls the loop), and compared with the outputs and
// gradients MXNet 1.9.1 printed (bindings/python/tests/data/symbol_control_flow_mxnet191.json). The inputs are
// NumPy's RandomState(1).uniform(-1, 1) per argument and the head gradients RandomState(101), as that test makes
// them.

import (
	"math"
	"reflect"
	"strings"
	"testing"

	mxc "github.com/mxc/mxc-go"
)

const foreachJSON = "" +
	`{"nodes":[{"op":"null","name":"data","inputs":[]},{"op":"null","name":"h0","inputs":[]},{"op":"null"` +
	`,"name":"fcx_weight","attrs":{"__subgraph_name__":"foreach4","num_hidden":"4"},"inputs":[]},{"op":"n` +
	`ull","name":"fcx_bias","attrs":{"__subgraph_name__":"foreach4","num_hidden":"4"},"inputs":[]},{"op":` +
	`"null","name":"fch_weight","attrs":{"__subgraph_name__":"foreach4","num_hidden":"4"},"inputs":[]},{"` +
	`op":"null","name":"fch_bias","attrs":{"__subgraph_name__":"foreach4","num_hidden":"4"},"inputs":[]},` +
	`{"op":"_foreach","name":"_foreach0","attrs":{"in_data_locs":"[0]","in_state_locs":"[3]","num_args":"` +
	`7","num_out_data":"1","num_outputs":"2","remain_locs":"[1, 2, 4, 5]"},"inputs":[[0,0,0],[1,0,0],[2,0` +
	`,0],[3,0,0],[4,0,0],[5,0,0]],"subgraphs":[{"nodes":[{"op":"null","name":"data-0","attrs":{"__subgrap` +
	`h_name__":"foreach4"},"inputs":[]},{"op":"null","name":"fcx_weight","attrs":{"__subgraph_name__":"fo` +
	`reach4","num_hidden":"4"},"inputs":[]},{"op":"null","name":"fcx_bias","attrs":{"__subgraph_name__":"` +
	`foreach4","num_hidden":"4"},"inputs":[]},{"op":"FullyConnected","name":"fcx","attrs":{"__subgraph_na` +
	`me__":"foreach4","num_hidden":"4"},"inputs":[[0,0,0],[1,0,0],[2,0,0]]},{"op":"null","name":"h0-0","a` +
	`ttrs":{"__subgraph_name__":"foreach4"},"inputs":[]},{"op":"null","name":"fch_weight","attrs":{"__sub` +
	`graph_name__":"foreach4","num_hidden":"4"},"inputs":[]},{"op":"null","name":"fch_bias","attrs":{"__s` +
	`ubgraph_name__":"foreach4","num_hidden":"4"},"inputs":[]},{"op":"FullyConnected","name":"fch","attrs` +
	`":{"__subgraph_name__":"foreach4","num_hidden":"4"},"inputs":[[4,0,0],[5,0,0],[6,0,0]]},{"op":"elemw` +
	`ise_add","name":"_plus0","attrs":{"__subgraph_name__":"foreach4"},"inputs":[[3,0,0],[7,0,0]]},{"op":` +
	`"tanh","name":"tanh0","attrs":{"__subgraph_name__":"foreach4"},"inputs":[[8,0,0]]},{"op":"_copy","na` +
	`me":"identity0","attrs":{"__subgraph_name__":"foreach4"},"inputs":[[9,0,0]]}],"arg_nodes":[0,1,2,4,5` +
	`,6],"node_row_ptr":[0,1,2,3,4,5,6,7,8,9,10,11],"heads":[[9,0,0],[10,0,0]]}]}],"arg_nodes":[0,1,2,3,4` +
	`,5],"node_row_ptr":[0,1,2,3,4,5,6,8],"heads":[[6,0,0],[6,1,0]],"attrs":{"mxnet_version":["int",10901` +
	`]}}`

var (
	cfArgs      = []string{"data", "h0", "fcx_weight", "fcx_bias", "fch_weight", "fch_bias"}
	cfArgShapes = [][]int{{3, 2, 5}, {2, 4}, {4, 5}, {4}, {4, 4}, {4}}
	cfOutShapes = [][]int{{3, 2, 4}, {2, 4}}
	cfArgValues = [][]float32{
		{
			-0.16595599055290222, 0.44064897298812866, -0.999771237373352, -0.3953348696231842, -0.7064881920814514,
			-0.8153228163719177, -0.6274795532226562, -0.3088785409927368, -0.20646505057811737, 0.07763347029685974,
			-0.16161097586154938, 0.37043899297714233, -0.591095507144928, 0.756234884262085, -0.9452248215675354,
			0.34093502163887024, -0.16539040207862854, 0.11737965792417526, -0.7192261219024658, -0.6037970185279846,
			0.6014891266822815, 0.9365231394767761, -0.37315163016319275, 0.3846452236175537, 0.7527782917022705,
			0.7892132997512817, -0.8299115896224976, -0.9218904376029968, -0.6603391766548157, 0.7562850117683411,
		},
		{
			-0.8033063411712646, -0.15778474509716034, 0.9157790541648865, 0.06633056700229645, 0.3837542235851288,
			-0.3689687252044678, 0.3730018436908722, 0.6692513227462769,
		},
		{
			-0.9634234309196472, 0.5002886056900024, 0.97772216796875, 0.4963313043117523, -0.43911200761795044,
			0.5785586833953857, -0.7935479879379272, -0.10421294718980789, 0.8171910047531128, -0.41277170181274414,
			-0.4244493246078491, -0.7399428486824036, -0.9612661004066467, 0.3576710522174835, -0.5767437815666199,
			-0.4689066708087921, -0.016853680834174156, -0.8932749032974243, 0.14823521673679352, -0.7065428495407104,
		},
		{
			0.17861106991767883, 0.3995167315006256, -0.7953311204910278, -0.17188802361488342,
		},
		{
			0.38880032300949097, -0.17164145410060883, -0.9000930786132812, 0.07179281115531921, 0.3275893032550812,
			0.029778223484754562, 0.8891895413398743, 0.17311008274555206, 0.806803822517395, -0.7250505685806274,
			-0.7214472889900208, 0.6147825717926025, -0.20464631915092468, -0.669291615486145, 0.8550171852111816,
			-0.3044682741165161,
		},
		{
			0.5016242265701294, 0.45199596881866455, 0.76661217212677, 0.24734441936016083,
		},
	}
	cfHeadGrads = [][]float32{
		{
			0.032797254621982574, 0.14133517444133759, -0.9430515766143799, -0.656956672668457, 0.37055397033691406,
			0.6677937507629395, -0.38606756925582886, 0.787226140499115, 0.44308772683143616, -0.6201220750808716,
			0.10845518112182617, -0.2957361042499542, -0.6362152099609375, 0.5712035298347473, 0.9309664368629456,
			-0.5352926850318909, -0.8328771591186523, 0.20709684491157532, 0.457985520362854, -0.4475223422050476,
			0.37061265110969543, 0.03573494777083397, -0.9030309319496155, -0.7242615222930908,
		},
		{
			-0.6260651350021362, 0.988635778427124, 0.041330792009830475, 0.15757906436920166, 0.4696381092071533,
			0.08392354100942612, 0.8263071179389954, 0.6158403158187866,
		},
	}
	// printed by MXNet 1.9.1
	cfMXNetOut = [][]float64{
		{
			-0.7200183272361755, 0.7765002846717834, -0.2077714055776596, 0.9869372248649597, 0.563603401184082,
			0.8541790246963501, 0.9327855706214905, 0.7363091111183167, 0.7925984859466553, 0.8635534048080444,
			0.6424539089202881, 0.5387917757034302, -0.3988352119922638, 0.9637591242790222, -0.42827609181404114,
			0.019846810027956963, -0.3048414885997772, 0.8954393267631531, -0.7754219770431519, -0.6161667704582214,
			-0.963319718837738, 0.6240628957748413, -0.23093169927597046, -0.7718942165374756,
		},
		{
			-0.3048414885997772, 0.8954393267631531, -0.7754219770431519, -0.6161667704582214, -0.963319718837738,
			0.6240628957748413, -0.23093169927597046, -0.7718942165374756,
		},
	}
	cfMXNetGrad = [][]float64{
		{
			0.33957868814468384, 1.4682790040969849, 1.8971749544143677, -0.5404996871948242, 0.8720148801803589,
			-0.7684345245361328, 0.26832911372184753, 0.13508039712905884, 0.48940980434417725, -0.7253987789154053,
			-0.37814030051231384, -0.4044038951396942, -0.4904164969921112, 0.18901370465755463, -0.31449970602989197,
			0.4698934853076935, -0.8736162185668945, -0.7896245718002319, -0.031047850847244263, 0.15453630685806274,
			1.411903977394104, -0.9944021105766296, -1.3492889404296875, -0.4186233878135681, 0.49554499983787537,
			0.03534708917140961, 0.026780899614095688, 0.16051289439201355, 0.057260580360889435, 0.016125120222568512,
		},
		{
			-1.2513329982757568, 1.1427819728851318, 0.8033897876739502, -1.0112370252609253, 0.06837469339370728,
			-0.44906920194625854, 0.20416609942913055, -0.19584189355373383,
		},
		{
			-1.5051629543304443, -1.4331680536270142, -0.16578179597854614, -0.35467541217803955, -0.862754225730896,
			0.1290093958377838, -0.03447502851486206, -0.01302994042634964, -0.05179717019200325, 0.4030025005340576,
			0.5819079875946045, -0.2718377113342285, 1.3469569683074951, 0.7770630121231079, 0.10545559972524643,
			-0.8335670232772827, -0.49216869473457336, -0.07809673249721527, 0.1315504014492035, 0.33241450786590576,
		},
		{
			-0.7942957282066345, 0.2810926139354706, -0.1446875035762787, -0.25775858759880066,
		},
		{
			-1.4322340488433838, -1.7634270191192627, -0.8817198872566223, -0.5924720764160156, 0.41663089394569397,
			0.19656400382518768, 0.12974689900875092, 0.15375719964504242, 1.3933659791946411, 1.6250590085983276,
			-0.8131781220436096, 1.1966899633407593, -0.09580031037330627, -0.998323380947113, -0.3486504852771759,
			-0.19328829646110535,
		},
		{
			-0.7942957282066345, 0.2810926139354706, -0.1446875035762787, -0.25775858759880066,
		},
	}
)

func TestForeachGraphSavedByMXNetRuns(t *testing.T) {
	s := must(mxc.SymbolFromJSON(foreachJSON))
	defer s.Close()
	before := must(s.JSON())
	if args := must(s.ListArguments()); !reflect.DeepEqual(args, cfArgs) {
		t.Fatalf("arguments %v", args)
	}
	argShapes, outShapes, _, err := s.InferShape(map[string][]int{"data": cfArgShapes[0], "h0": cfArgShapes[1]})
	noErr(t, err)
	if !reflect.DeepEqual(argShapes, cfArgShapes) || !reflect.DeepEqual(outShapes, cfOutShapes) {
		t.Fatalf("infer shape %v %v", argShapes, outShapes)
	}
	args := map[string]*mxc.NDArray{}
	grads := map[string]*mxc.NDArray{}
	for i, n := range cfArgs {
		args[n] = must(mxc.NewArray(cfArgValues[i], cfArgShapes[i]...))
		grads[n] = must(mxc.NewArray(make([]float32, len(cfArgValues[i])), cfArgShapes[i]...))
		defer args[n].Close()
		defer grads[n].Close()
	}
	exe := must(s.Bind(mxc.CPU(), mxc.BindConfig{Args: args, Grads: grads}))
	defer exe.Close()
	noErr(t, exe.Forward(true))
	var heads []*mxc.NDArray
	for k := range cfOutShapes {
		out := must(exe.Output(k))
		if !reflect.DeepEqual(out.Shape(), cfOutShapes[k]) {
			t.Fatalf("output %d has shape %v", k, out.Shape())
		}
		if got := must(out.Float32s()); !allClose(got, cfMXNetOut[k], 1e-5) {
			t.Fatalf("output %d: %v, MXNet printed %v", k, got, cfMXNetOut[k])
		}
		h := must(mxc.NewArray(cfHeadGrads[k], cfOutShapes[k]...))
		defer h.Close()
		heads = append(heads, h)
	}
	noErr(t, exe.Backward(heads...))
	for i, n := range cfArgs {
		if got := must(grads[n].Float32s()); !allClose(got, cfMXNetGrad[i], 1e-5) {
			t.Fatalf("gradient of %s: %v, MXNet printed %v", n, got, cfMXNetGrad[i])
		}
	}
	// The symbol keeps its _foreach node.
	if after := must(s.JSON()); after != before {
		t.Fatalf("the symbol changed when bound")
	}
	if outs := must(s.ListOutputs()); !reflect.DeepEqual(outs, []string{"_foreach0_output0", "_foreach0_output1"}) {
		t.Fatalf("outputs %v", outs)
	}
	// Without the loop's length, full inference is an error naming the loop.
	_, _, _, err = s.InferShape(map[string][]int{"h0": {2, 4}})
	if err == nil || !strings.Contains(err.Error(), "_foreach0") {
		t.Fatalf("infer shape without data: %v", err)
	}
}

// SimpleBind from the shapes of another length (5 steps): the core unrolls the loop for them; the values are checked
// against the loop written out here.
func TestForeachGraphSimpleBindAnotherLength(t *testing.T) {
	s := must(mxc.SymbolFromJSON(foreachJSON))
	defer s.Close()
	const steps, batch = 5, 3
	exe := must(s.SimpleBind(mxc.CPU(), map[string][]int{"data": {steps, batch, 5}, "h0": {batch, 4}}, mxc.GradNull))
	defer exe.Close()
	data := make([]float32, steps*batch*5)
	for i := range data {
		data[i] = float32(math.Sin(0.37 * float64(i)))
	}
	h := make([]float32, batch*4)
	for i := range h {
		h[i] = float32(0.5 * math.Cos(0.91*float64(i)))
	}
	noErr(t, exe.Arg("data").CopyFrom(data))
	noErr(t, exe.Arg("h0").CopyFrom(h))
	for i, n := range cfArgs[2:] {
		noErr(t, exe.Arg(n).CopyFrom(cfArgValues[i+2]))
	}
	noErr(t, exe.Forward(false))
	wx, bx, wh, bh := cfArgValues[2], cfArgValues[3], cfArgValues[4], cfArgValues[5]
	var want []float64
	for st := 0; st < steps; st++ {
		nh := make([]float32, batch*4)
		for b := 0; b < batch; b++ {
			for o := 0; o < 4; o++ {
				acc := float64(bx[o]) + float64(bh[o])
				for k := 0; k < 5; k++ {
					acc += float64(wx[o*5+k]) * float64(data[(st*batch+b)*5+k])
				}
				for k := 0; k < 4; k++ {
					acc += float64(wh[o*4+k]) * float64(h[b*4+k])
				}
				nh[b*4+o] = float32(math.Tanh(acc))
				want = append(want, math.Tanh(acc))
			}
		}
		h = nh
	}
	out := must(exe.Output(0))
	if !reflect.DeepEqual(out.Shape(), []int{steps, batch, 4}) {
		t.Fatalf("output shape %v", out.Shape())
	}
	if got := must(out.Float32s()); !allClose(got, want, 1e-5) {
		t.Fatalf("5 steps: %v want %v", got, want)
	}
}
