package nd_test

import (
	"errors"
	"fmt"
	"math"
	"reflect"
	"strings"
	"testing"

	mxc "github.com/mxc/mxc-go"
	"github.com/mxc/mxc-go/nd"
)

func must[T any](v T, err error) T {
	if err != nil {
		panic(fmt.Sprintf("unexpected error: %v", err))
	}
	return v
}

func near(t *testing.T, what string, got []float32, want ...float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: got %v want %v", what, got, want)
	}
	for i := range got {
		if math.Abs(float64(got[i])-want[i]) > 1e-5*(1+math.Abs(want[i])) {
			t.Fatalf("%s: got %v want %v", what, got, want)
		}
	}
}

func wantKind(t *testing.T, err error, k mxc.ErrorKind, parts ...string) {
	t.Helper()
	var e *mxc.Error
	if !errors.As(err, &e) || e.Kind != k {
		t.Fatalf("want a %s, got %v", k, err)
	}
	for _, p := range parts {
		if !strings.Contains(e.Message, p) {
			t.Fatalf("error %q does not mention %q", e.Message, p)
		}
	}
}

// The imperative version of the seed: (a + b) / 10 + 1.
func TestElementwise(t *testing.T) {
	a := must(mxc.NewArray([]float32{1, 2, 3, 4}, 2, 2))
	b := must(mxc.NewArray([]float32{9, 8, 7, 6}, 2, 2))
	c := must(nd.ElemwiseAdd(a, b, nil))
	c = must(nd.DivScalar(c, &nd.DivScalarOpts{Scalar: mxc.Ptr(10.0)}))
	c = must(nd.PlusScalar(c, &nd.PlusScalarOpts{Scalar: mxc.Ptr(1.0)}))
	if !reflect.DeepEqual(c.Shape(), []int{2, 2}) {
		t.Fatalf("shape %v", c.Shape())
	}
	near(t, "(a+b)/10+1", must(c.Float32s()), 2, 2, 2, 2)
	near(t, "a*b", must(must(nd.ElemwiseMul(a, b, nil)).Float32s()), 9, 16, 21, 24)
	near(t, "sqrt", must(must(nd.Sqrt(a, nil)).Float32s()), 1, math.Sqrt2, math.Sqrt(3), 2)
	near(t, "clip", must(must(nd.Clip(a, &nd.ClipOpts{AMin: 1.5, AMax: 3.5})).Float32s()), 1.5, 2, 3, 3.5)
	near(t, "add_n", must(must(nd.AddN([]*mxc.NDArray{a, b, a}, nil)).Float32s()), 11, 12, 13, 14)
	// Cast: float to int truncates toward zero.
	x := must(mxc.NewArray([]float64{-1.5, 2.7}))
	i := must(nd.Cast(x, &nd.CastOpts{Dtype: mxc.Int32}))
	if i.DType() != mxc.Int32 || !reflect.DeepEqual(must(i.Int32s()), []int32{-1, 2}) {
		t.Fatalf("cast %v %v", i, must(i.Int32s()))
	}
}

func TestNeuralNetOps(t *testing.T) {
	// y = x w^T + b, by hand.
	x := must(mxc.NewArray([]float32{1, 2, 3, -1, 0, 2}, 2, 3))
	w := must(mxc.NewArray([]float32{1, 0, 1, 0, 1, -1}, 2, 3))
	b := must(mxc.NewArray([]float32{0.5, -0.5}))
	y := must(nd.FullyConnected(x, w, b, &nd.FullyConnectedOpts{NumHidden: 2}))
	near(t, "fc", must(y.Float32s()), 4.5, -1.5, 1.5, -2.5)
	// no_bias with the bias input left out (nil).
	y = must(nd.FullyConnected(x, w, nil, &nd.FullyConnectedOpts{NumHidden: 2, NoBias: mxc.Ptr(true)}))
	near(t, "fc no_bias", must(y.Float32s()), 4, -1, 1, -2)
	r := must(nd.Activation(y, &nd.ActivationOpts{ActType: "relu"}))
	near(t, "relu", must(r.Float32s()), 4, 0, 1, 0)
	// softmax of (0, ln 3) is (1/4, 3/4).
	s := must(nd.Softmax(must(mxc.NewArray([]float32{0, float32(math.Log(3))}, 1, 2)), nil, nil)) // no length input
	near(t, "softmax", must(s.Float32s()), 0.25, 0.75)
}

func TestSgdUpdateInPlace(t *testing.T) {
	w := must(mxc.NewArray([]float32{1, 2, 3}))
	g := must(mxc.NewArray([]float32{10, -10, 0}))
	got := must(nd.SgdUpdate(w, g, &nd.SgdUpdateOpts{Lr: 0.1, Wd: mxc.Ptr(0.5), Out: w}))
	if got != w {
		t.Fatal("Out was not returned")
	}
	// w - lr * (g + wd * w)
	near(t, "sgd", must(w.Float32s()), 1-0.1*(10+0.5), 2-0.1*(-10+1), 3-0.1*1.5)
}

func TestErrors(t *testing.T) {
	a := must(mxc.NewArray([]float32{1, 2, 3}))
	b := must(mxc.NewArray([]float32{1, 2}))
	_, err := nd.ElemwiseAdd(a, b, nil)
	wantKind(t, err, mxc.KindShape, "elemwise_add", "(3,)", "(2,)")
	_, err = nd.Activation(a, &nd.ActivationOpts{ActType: "nope"})
	wantKind(t, err, mxc.KindValue, "Activation", "act_type", "nope")
	_, err = nd.Activation(a, nil)
	wantKind(t, err, mxc.KindValue, "act_type")
	_, err = nd.FullyConnected(a, nil, b, &nd.FullyConnectedOpts{NumHidden: 2})
	wantKind(t, err, mxc.KindValue, "FullyConnected", "'weight'", "nil")
	_, err = nd.FullyConnected(a, nil, nil, &nd.FullyConnectedOpts{NumHidden: 2})
	if err == nil {
		t.Fatal("FullyConnected without weight accepted")
	}
	i := must(mxc.NewArray([]int32{1, 2, 3}))
	_, err = nd.ElemwiseAdd(a, i, nil)
	wantKind(t, err, mxc.KindType, "elemwise_add")
	noErr := a.Close()
	if noErr != nil {
		t.Fatal(noErr)
	}
	_, err = nd.Relu(a, nil)
	if !errors.Is(err, mxc.ErrClosed) {
		t.Fatalf("closed input: %v", err)
	}
}

func TestTensorOps(t *testing.T) {
	// x = [[0 1 2] [3 4 5]]
	x := must(mxc.NewArray([]float32{0, 1, 2, 3, 4, 5}, 2, 3))
	// Sum over axis 1 (a "Shape or None" parameter), keepdims.
	s := must(nd.Sum(x, &nd.SumOpts{Axis: []int{1}, Keepdims: mxc.Ptr(true)}))
	if !reflect.DeepEqual(s.Shape(), []int{2, 1}) {
		t.Fatalf("sum shape %v", s.Shape())
	}
	near(t, "sum", must(s.Float32s()), 3, 12)
	near(t, "sum all", must(must(nd.Sum(x, nil)).Float32s()), 15)
	// slice with a "tuple of <int or None>": rows all, columns 1: -> [[1 2] [4 5]].
	sl := must(nd.Slice(x, &nd.SliceOpts{Begin: []*int{nil, mxc.Ptr(1)}, End: []*int{nil, nil}}))
	if !reflect.DeepEqual(sl.Shape(), []int{2, 2}) {
		t.Fatalf("slice shape %v", sl.Shape())
	}
	near(t, "slice", must(sl.Float32s()), 1, 2, 4, 5)
	// x x^T = [[5 14] [14 50]].
	d := must(nd.Dot(x, x, &nd.DotOpts{TransposeB: mxc.Ptr(true)}))
	near(t, "dot", must(d.Float32s()), 5, 14, 14, 50)
	tr := must(nd.Transpose(x, nil))
	near(t, "transpose", must(tr.Float32s()), 0, 3, 1, 4, 2, 5)
	// Every output of a multi-output operator.
	var parts []*mxc.NDArray
	first := must(nd.SliceChannel(x, &nd.SliceChannelOpts{NumOutputs: 3, AllOutputs: &parts}))
	if len(parts) != 3 || parts[0] != first {
		t.Fatalf("%d parts", len(parts))
	}
	for i, p := range parts {
		near(t, "split", must(p.Float32s()), float64(i), float64(i+3))
	}
	c := must(nd.Concat([]*mxc.NDArray{parts[2], parts[0]}, &nd.ConcatOpts{Dim: mxc.Ptr(1)}))
	near(t, "concat", must(c.Float32s()), 2, 0, 5, 3)
}
