package mxc_test

import (
	"errors"
	"fmt"
	"math"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"

	mxc "github.com/mxc/mxc-go"
)

func allClose(got []float32, want []float64, tol float64) bool {
	if len(got) != len(want) {
		return false
	}
	for i := range got {
		if math.Abs(float64(got[i])-want[i]) > tol*(1+math.Abs(want[i])) {
			return false
		}
	}
	return true
}

// node builds a node of op through the generic API (package sym's generated functions are tested there).
func node(op, name string, inputs map[string]*mxc.Symbol, params ...mxc.Param) (*mxc.Symbol, error) {
	s, err := mxc.NewAtomicSymbol(op, params...)
	if err != nil {
		return nil, err
	}
	return s, s.ComposeNamed(name, inputs)
}

// seedGraph is the seed's (A + B) / 10 + 1.
func seedGraph(t *testing.T) (*mxc.Symbol, *mxc.Symbol, *mxc.Symbol) {
	a := must(mxc.Variable("A"))
	b := must(mxc.Variable("B"))
	c := must(node("elemwise_add", "", map[string]*mxc.Symbol{"lhs": a, "rhs": b}))
	c = must(node("_div_scalar", "", map[string]*mxc.Symbol{"data": c}, mxc.Param{Key: "scalar", Value: "10"}))
	d := must(node("_plus_scalar", "", map[string]*mxc.Symbol{"data": c}, mxc.Param{Key: "scalar", Value: "1"}))
	return a, b, d
}

func TestSymbolSeed(t *testing.T) {
	_, _, d := seedGraph(t)
	defer d.Close()
	if args := must(d.ListArguments()); !reflect.DeepEqual(args, []string{"A", "B"}) {
		t.Fatalf("arguments %v", args)
	}
	outs := must(d.ListOutputs())
	if len(outs) != 1 || !strings.HasSuffix(outs[0], "_output") {
		t.Fatalf("outputs %v", outs)
	}
	args, out, aux, err := d.InferShape(map[string][]int{"A": {10}, "B": {10}})
	noErr(t, err)
	if !reflect.DeepEqual(args, [][]int{{10}, {10}}) || !reflect.DeepEqual(out, [][]int{{10}}) || len(aux) != 0 {
		t.Fatalf("infer shape %v %v %v", args, out, aux)
	}

	// Bind, forward, backward with a head gradient: d(out)/dA = d(out)/dB = head / 10.
	av := []float32{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}
	bv := []float32{0.5, 0, -1, 2, 3, 4, 5, 6, 7, 8}
	A := must(mxc.NewArray(av))
	B := must(mxc.NewArray(bv))
	gA := must(mxc.NewArray(make([]float32, 10)))
	gB := must(mxc.NewArray(make([]float32, 10)))
	exe := must(d.Bind(mxc.CPU(), mxc.BindConfig{
		Args:  map[string]*mxc.NDArray{"A": A, "B": B},
		Grads: map[string]*mxc.NDArray{"A": gA, "B": gB},
	}))
	defer exe.Close()
	noErr(t, exe.Forward(true))
	want := make([]float64, 10)
	for i := range want {
		want[i] = (float64(av[i])+float64(bv[i]))/10 + 1
	}
	if got := must(must(exe.Output(0)).Float32s()); !allClose(got, want, 1e-6) {
		t.Fatalf("forward %v want %v", got, want)
	}
	head := must(mxc.NewArray([]float32{1, 1, 1, 1, 1, 1, 1, 1, 1, 1}))
	noErr(t, exe.Backward(head))
	tenth := []float64{0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1}
	for _, g := range []*mxc.NDArray{gA, gB, exe.Grad("A"), exe.GradArrays()[1]} {
		if got := must(g.Float32s()); !allClose(got, tenth, 1e-6) {
			t.Fatalf("gradient %v", got)
		}
	}
	// New data in place, forward again: the outputs keep their storage.
	noErr(t, exe.Arg("A").CopyFrom(make([]float32, 10)))
	noErr(t, exe.Forward(false))
	got := must(must(exe.Output(0)).Float32s())
	for i := range got {
		if math.Abs(float64(got[i])-(float64(bv[i])/10+1)) > 1e-6 {
			t.Fatalf("second forward %v", got)
		}
	}
	// Executor errors: wrong number of head gradients; closed executor.
	noErr(t, exe.Forward(true))
	wantKind(t, exe.Backward(head, head), mxc.KindValue)
	noErr(t, exe.Close())
	if err := exe.Forward(false); !errors.Is(err, mxc.ErrClosed) {
		t.Fatalf("forward on closed executor: %v", err)
	}
}

func TestSymbolGradAdd(t *testing.T) {
	_, _, d := seedGraph(t)
	exe := must(d.SimpleBind(mxc.CPU(), map[string][]int{"A": {3}, "B": {3}}, mxc.GradAdd))
	defer exe.Close()
	for _, g := range exe.GradArrays() {
		noErr(t, g.CopyFrom([]float32{1, 1, 1}))
	}
	head := must(mxc.NewArray([]float32{2, 4, 6}))
	for i := 0; i < 2; i++ {
		noErr(t, exe.Forward(true))
		noErr(t, exe.Backward(head))
	}
	// 1 + 2 * head / 10
	if got := must(exe.Grad("B").Float32s()); !allClose(got, []float64{1.4, 1.8, 2.2}, 1e-6) {
		t.Fatalf("accumulated gradient %v", got)
	}
}

func TestSymbolStructure(t *testing.T) {
	a, b, d := seedGraph(t)
	g := must(mxc.Group(d, a))
	if n := must(g.NumOutputs()); n != 2 {
		t.Fatalf("group outputs %d", n)
	}
	if _, ok, err := g.Name(); err != nil || ok {
		t.Fatalf("a group has a name: %v %v", ok, err)
	}
	if n, ok, err := a.Name(); err != nil || !ok || n != "A" {
		t.Fatalf("variable name %q %v %v", n, ok, err)
	}
	first := must(g.Output(1))
	if args := must(first.ListArguments()); !reflect.DeepEqual(args, []string{"A"}) {
		t.Fatalf("output 1 arguments %v", args)
	}
	internals := must(d.Internals())
	if n := must(internals.NumOutputs()); n < 4 {
		t.Fatalf("internals has %d outputs", n)
	}
	if ch := must(a.Children()); ch != nil {
		t.Fatalf("a variable has children %v", ch)
	}
	children := must(d.Children())
	if n := must(children.NumOutputs()); n != 1 {
		t.Fatalf("children %d", n)
	}
	noErr(t, b.SetAttr("lr_mult", "0.5"))
	if v, ok, err := b.Attr("lr_mult"); err != nil || !ok || v != "0.5" {
		t.Fatalf("attr %q %v %v", v, ok, err)
	}
	if _, ok, _ := b.Attr("nope"); ok {
		t.Fatal("unset attr reported set")
	}
	if m := must(b.Attrs()); m["lr_mult"] != "0.5" {
		t.Fatalf("attrs %v", m)
	}
	if m := must(d.AttrsRecursive()); m["B$lr_mult"] != "0.5" {
		t.Fatalf("recursive attrs %v", m)
	}
	cp := must(d.Copy())
	if args := must(cp.ListInputs()); !reflect.DeepEqual(args, []string{"A", "B"}) {
		t.Fatalf("copy inputs %v", args)
	}
	if s := must(d.Print()); s == "" {
		t.Fatal("empty Print")
	}

	// JSON and file round trips keep the graph.
	js := must(d.JSON())
	back := must(mxc.SymbolFromJSON(js))
	if !reflect.DeepEqual(must(back.ListArguments()), []string{"A", "B"}) ||
		!reflect.DeepEqual(must(back.ListOutputs()), must(d.ListOutputs())) {
		t.Fatalf("JSON round trip: %v", js)
	}
	fname := filepath.Join(t.TempDir(), "g-symbol.json")
	noErr(t, d.Save(fname))
	loaded := must(mxc.LoadSymbol(fname))
	if must(loaded.JSON()) != js {
		t.Fatal("file round trip changed the JSON")
	}
	_, err := mxc.SymbolFromJSON("{not json")
	if err == nil {
		t.Fatal("bad JSON accepted")
	}
	_, err = mxc.LoadSymbol(filepath.Join(t.TempDir(), "missing.json"))
	wantKind(t, err, mxc.KindIO)

	// Closed symbols.
	noErr(t, a.Close())
	if _, err := a.ListArguments(); !errors.Is(err, mxc.ErrClosed) {
		t.Fatalf("closed symbol: %v", err)
	}
	if _, err := mxc.Group(a, b); !errors.Is(err, mxc.ErrClosed) {
		t.Fatalf("group of closed symbol: %v", err)
	}
	// The graph built from a survives closing a.
	if args := must(d.ListArguments()); len(args) != 2 {
		t.Fatalf("after closing a: %v", args)
	}
}

func TestInferShapeErrors(t *testing.T) {
	_, _, d := seedGraph(t)
	_, _, _, err := d.InferShape(map[string][]int{"A": {10}, "B": {5}})
	wantKind(t, err, mxc.KindShape, "10", "5")
	r := must(d.InferShapePartial(map[string][]int{}))
	if r.Complete || r.Args[0] != nil {
		t.Fatalf("partial inference of nothing: %+v", r)
	}
	_, _, _, err = d.InferShape(map[string][]int{})
	wantKind(t, err, mxc.KindShape)
	types := must(d.InferType(map[string]mxc.DType{"A": mxc.Float64}, false))
	if !reflect.DeepEqual(types.Args, []mxc.DType{mxc.Float64, mxc.Float64}) || types.Outputs[0] != mxc.Float64 ||
		!types.Complete {
		t.Fatalf("infer type %+v", types)
	}
	// Binding arrays of the wrong shape is a shape error from the library.
	A := must(mxc.NewArray(make([]float32, 4)))
	B := must(mxc.NewArray(make([]float32, 5)))
	_, err = d.Bind(mxc.CPU(), mxc.BindConfig{Args: map[string]*mxc.NDArray{"A": A, "B": B}})
	wantKind(t, err, mxc.KindShape)
	// Missing and unknown arguments are caught by the binding, naming them.
	_, err = d.Bind(mxc.CPU(), mxc.BindConfig{Args: map[string]*mxc.NDArray{"A": A}})
	wantKind(t, err, mxc.KindValue, "'B'")
	_, err = d.Bind(mxc.CPU(), mxc.BindConfig{Args: map[string]*mxc.NDArray{"A": A, "B": A, "C": A}})
	wantKind(t, err, mxc.KindValue, "'C'")
	// Unknown operator and bad parameter on symbols.
	_, err = mxc.NewAtomicSymbol("no_such_op")
	wantKind(t, err, mxc.KindValue, "no_such_op")
	_, err = mxc.NewAtomicSymbol("_plus_scalar", mxc.Param{Key: "scalar", Value: "x1"})
	wantKind(t, err, mxc.KindValue, "scalar", "x1")
}

func TestFullyConnectedExecutor(t *testing.T) {
	data := must(mxc.Variable("data"))
	fc := must(node("FullyConnected", "fc1", map[string]*mxc.Symbol{"data": data},
		mxc.Param{Key: "num_hidden", Value: "2"}))
	if args := must(fc.ListArguments()); !reflect.DeepEqual(args, []string{"data", "fc1_weight", "fc1_bias"}) {
		t.Fatalf("arguments %v", args)
	}
	exe := must(fc.SimpleBind(mxc.CPU(), map[string][]int{"data": {3, 4}}, mxc.GradWrite))
	defer exe.Close()
	if !reflect.DeepEqual(exe.Arg("fc1_weight").Shape(), []int{2, 4}) ||
		!reflect.DeepEqual(exe.Arg("fc1_bias").Shape(), []int{2}) {
		t.Fatalf("shapes %v %v", exe.Arg("fc1_weight"), exe.Arg("fc1_bias"))
	}
	x := []float32{1, 2, 3, 4, 0, 1, 0, -1, 2, 2, 2, 2}
	w := []float32{1, 0, 0, 0, 0.5, 0.5, -1, 1}
	b := []float32{10, -10}
	noErr(t, exe.Arg("data").CopyFrom(x))
	noErr(t, exe.Arg("fc1_weight").CopyFrom(w))
	noErr(t, exe.Arg("fc1_bias").CopyFrom(b))
	noErr(t, exe.Forward(true))
	// y = x w^T + b, by hand.
	want := []float64{1 + 10, 0.5 + 1 - 3 + 4 - 10, 0 + 10, 0.5 - 1 - 10, 2 + 10, 1 + 1 - 2 + 2 - 10}
	if got := must(must(exe.Output(0)).Float32s()); !allClose(got, want, 1e-6) {
		t.Fatalf("forward %v want %v", got, want)
	}
	// With a head gradient of ones: dW[j,k] = sum_i x[i,k], db[j] = 3.
	noErr(t, exe.Backward(must(mxc.NewArray([]float32{1, 1, 1, 1, 1, 1}, 3, 2))))
	if got := must(exe.Grad("fc1_weight").Float32s()); !allClose(got, []float64{3, 5, 5, 5, 3, 5, 5, 5}, 1e-6) {
		t.Fatalf("weight gradient %v", got)
	}
	if got := must(exe.Grad("fc1_bias").Float32s()); !allClose(got, []float64{3, 3}, 1e-6) {
		t.Fatalf("bias gradient %v", got)
	}
	if p, u, err := exe.MemoryStats(); err != nil || p < 0 || u < p {
		t.Fatalf("memory stats %d %d %v", p, u, err)
	}
	_, err := node("FullyConnected", "", map[string]*mxc.Symbol{"data": data}, mxc.Param{Key: "num_hidden", Value: "x"})
	wantKind(t, err, mxc.KindValue, "num_hidden")
}

// Distinct executors run concurrently.
func TestConcurrentExecutors(t *testing.T) {
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			_, _, d := seedGraph(t)
			exe, err := d.SimpleBind(mxc.CPU(), map[string][]int{"A": {4}, "B": {4}}, mxc.GradWrite)
			if err != nil {
				errs <- err
				return
			}
			defer exe.Close()
			v := float32(w)
			for i := 0; i < 20; i++ {
				_ = exe.Arg("A").CopyFrom([]float32{v, v, v, v})
				_ = exe.Arg("B").CopyFrom([]float32{10, 10, 10, 10})
				if err := exe.Forward(false); err != nil {
					errs <- err
					return
				}
				got, err := must(exe.Output(0)).Float32s()
				want := float64(v+10)/10 + 1
				if err != nil || !allClose(got, []float64{want, want, want, want}, 1e-6) {
					errs <- fmt.Errorf("worker %d: %v %v", w, got, err)
					return
				}
			}
		}(w)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}
