package sym_test

import (
	"fmt"
	"reflect"
	"strings"
	"testing"

	mxc "github.com/mxc/mxc-go"
	"github.com/mxc/mxc-go/sym"
)

func must[T any](v T, err error) T {
	if err != nil {
		panic(fmt.Sprintf("unexpected error: %v", err))
	}
	return v
}

// The seed's MLP (05_mlp_executor.py): explicit and automatic weight variables, names, argument order.
func TestMLPStructure(t *testing.T) {
	data := must(mxc.Variable("data"))
	label := must(mxc.Variable("softmax_label"))
	w1 := must(mxc.Variable("weight1"))
	b1 := must(mxc.Variable("bias1"))
	l1 := must(sym.FullyConnected(data, w1, b1, &sym.FullyConnectedOpts{NumHidden: 128, Name: "layer1"}))
	a1 := must(sym.Activation(l1, &sym.ActivationOpts{ActType: "relu", Name: "act1"}))
	l2 := must(sym.FullyConnected(a1, nil, nil, &sym.FullyConnectedOpts{NumHidden: 10, Name: "layer2",
		Attr: map[string]string{"lr_mult": "2"}}))
	out := must(sym.SoftmaxOutput(l2, label, nil))
	want := []string{"data", "weight1", "bias1", "layer2_weight", "layer2_bias", "softmax_label"}
	if args := must(out.ListArguments()); !reflect.DeepEqual(args, want) {
		t.Fatalf("arguments %v want %v", args, want)
	}
	if v, ok, err := l2.Attr("lr_mult"); err != nil || !ok || v != "2" {
		t.Fatalf("attr %q %v %v", v, ok, err)
	}
	if n, _, _ := l1.Name(); n != "layer1" {
		t.Fatalf("name %q", n)
	}
	args, outs, _, err := out.InferShape(map[string][]int{"data": {32, 784}})
	if err != nil {
		t.Fatal(err)
	}
	wantShapes := [][]int{{32, 784}, {128, 784}, {128}, {10, 128}, {10}, {32}}
	if !reflect.DeepEqual(args, wantShapes) || !reflect.DeepEqual(outs, [][]int{{32, 10}}) {
		t.Fatalf("shapes %v %v", args, outs)
	}
	// Variadic operators take a slice.
	s := must(sym.AddN([]*mxc.Symbol{data, data, w1}, nil))
	if args := must(s.ListArguments()); !reflect.DeepEqual(args, []string{"data", "weight1"}) {
		t.Fatalf("add_n arguments %v", args)
	}
	// Bad parameters are reported when the node is created.
	_, err = sym.Activation(data, &sym.ActivationOpts{ActType: "bogus"})
	if err == nil || !strings.Contains(err.Error(), "act_type") {
		t.Fatalf("bad act_type: %v", err)
	}
}
