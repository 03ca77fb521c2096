package predict_test

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	mxc "github.com/mxc/mxc-go"
	"github.com/mxc/mxc-go/predict"
	"github.com/mxc/mxc-go/sym"
)

func must[T any](v T, err error) T {
	if err != nil {
		panic(fmt.Sprintf("unexpected error: %v", err))
	}
	return v
}

// A one-layer softmax classifier with known weights, saved and loaded back: the probabilities are computed by
// hand.
func TestSaveLoadPredict(t *testing.T) {
	data := must(mxc.Variable("data"))
	fc := must(sym.FullyConnected(data, nil, nil, &sym.FullyConnectedOpts{NumHidden: 2, Name: "fc"}))
	net := must(sym.SoftmaxOutput(fc, nil, &sym.SoftmaxOutputOpts{Name: "softmax"}))
	w := must(mxc.NewArray([]float32{1, 0, 0, 1}, 2, 2))
	b := must(mxc.NewArray([]float32{0, float32(math.Log(3))}))
	prefix := filepath.Join(t.TempDir(), "model")
	if err := predict.Save(prefix, 7, net, map[string]*mxc.NDArray{"fc_weight": w, "fc_bias": b}, nil); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{prefix + "-symbol.json", prefix + "-0007.params"} {
		if _, err := os.Stat(f); err != nil {
			t.Fatal(err)
		}
	}
	p := must(predict.Load(prefix, 7, mxc.CPU(), map[string][]int{"data": {2, 2}}))
	defer p.Close()
	if in := p.Inputs(); len(in) != 1 || in[0] != "data" {
		t.Fatalf("inputs %v", in)
	}
	// Row 1: logits (0, ln 3) -> (1/4, 3/4). Row 2: logits (ln 3, ln 3) -> (1/2, 1/2).
	got := must(p.Predict([]float32{0, 0, float32(math.Log(3)), 0}))
	want := []float64{0.25, 0.75, 0.5, 0.5}
	for i := range want {
		if math.Abs(float64(got[i])-want[i]) > 1e-6 {
			t.Fatalf("probabilities %v, want %v", got, want)
		}
	}
	// Errors: unknown input, wrong size, missing parameter, missing file.
	if err := p.SetInput("nope", []float32{}); err == nil || !strings.Contains(err.Error(), "nope") {
		t.Fatalf("unknown input: %v", err)
	}
	if _, err := p.Predict([]float32{1}); err == nil {
		t.Fatal("wrong input size accepted")
	}
	if err := predict.Save(prefix, 8, net, map[string]*mxc.NDArray{"fc_weight": w}, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := predict.Load(prefix, 8, mxc.CPU(), map[string][]int{"data": {2, 2}}); err == nil ||
		!strings.Contains(err.Error(), "fc_bias") {
		t.Fatalf("missing parameter: %v", err)
	}
	if _, err := predict.Load(prefix, 9, mxc.CPU(), map[string][]int{"data": {2, 2}}); err == nil {
		t.Fatal("missing checkpoint accepted")
	}
	// A file whose keys are not arg:/aux: is not a parameter file.
	_, params := predict.Files(prefix, 10)
	if err := mxc.SaveMap(params, map[string]*mxc.NDArray{"weight": w}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := predict.LoadParams(params); err == nil || !strings.Contains(err.Error(), "arg:") {
		t.Fatalf("bad keys: %v", err)
	}
}
