package mxc_test

import (
	"reflect"
	"sort"
	"testing"

	mxc "github.com/mxc/mxc-go"
	"github.com/mxc/mxc-go/nd"
)

func TestListOpsAndInfo(t *testing.T) {
	names := must(mxc.ListOps())
	if !sort.StringsAreSorted(names) {
		t.Fatal("ListOps is not sorted")
	}
	for _, want := range []string{"_zeros", "_ones", "_full"} {
		if i := sort.SearchStrings(names, want); i == len(names) || names[i] != want {
			t.Fatalf("ListOps lacks %s: %v", want, names)
		}
	}
	info := must(must(mxc.LookupOp("_full")).Info())
	if info.Name != "_full" || info.Description == "" || len(info.Inputs) != 0 || info.KeyVarNumArgs != "" {
		t.Fatalf("info %+v", info)
	}
	byName := map[string]mxc.OpParam{}
	for _, p := range info.Params {
		byName[p.Name] = p
	}
	if p := byName["value"]; !p.Required || p.Type != "float" || p.Doc == "" {
		t.Fatalf("value param %+v", p)
	}
	if p := byName["dtype"]; p.Required || p.Default != "float32" || p.Type != "dtype" {
		t.Fatalf("dtype param %+v", p)
	}
	if p := byName["shape"]; p.Type != "Shape(tuple)" {
		t.Fatalf("shape param %+v", p)
	}
}

func TestUnknownOperator(t *testing.T) {
	_, err := mxc.LookupOp("no_such_op")
	wantKind(t, err, mxc.KindValue, "no_such_op")
	_, err = mxc.Invoke("no_such_op", nil, nil)
	wantKind(t, err, mxc.KindValue, "no_such_op")
}

func TestInvokeGeneric(t *testing.T) {
	outs := must(mxc.Invoke("_full", nil, nil, mxc.Param{Key: "shape", Value: "(2,3)"},
		mxc.Param{Key: "value", Value: "2.5"}, mxc.Param{Key: "dtype", Value: "float64"}))
	if len(outs) != 1 {
		t.Fatalf("%d outputs", len(outs))
	}
	o := outs[0]
	defer o.Close()
	if !reflect.DeepEqual(o.Shape(), []int{2, 3}) || o.DType() != mxc.Float64 {
		t.Fatalf("output %v", o)
	}
	if v := must(o.Float64s()); !reflect.DeepEqual(v, []float64{2.5, 2.5, 2.5, 2.5, 2.5, 2.5}) {
		t.Fatalf("values %v", v)
	}
	// Writing into a given output returns it.
	dst := must(mxc.Empty([]int{2}, mxc.Int32, mxc.CPU()))
	defer dst.Close()
	res := must(mxc.Invoke("_full", nil, []*mxc.NDArray{dst}, mxc.Param{Key: "shape", Value: "(2,)"},
		mxc.Param{Key: "value", Value: "7"}, mxc.Param{Key: "dtype", Value: "int32"}))
	if res[0] != dst {
		t.Fatal("Invoke with out did not return it")
	}
	if v := must(dst.Int32s()); !reflect.DeepEqual(v, []int32{7, 7}) {
		t.Fatalf("values %v", v)
	}
}

func TestGeneratedOps(t *testing.T) {
	z := must(nd.Zeros(&nd.ZerosOpts{Shape: []int{3}, Dtype: mxc.Ptr(mxc.Int64)}))
	defer z.Close()
	if z.DType() != mxc.Int64 || !reflect.DeepEqual(must(z.Int64s()), []int64{0, 0, 0}) {
		t.Fatalf("zeros %v", z)
	}
	o := must(nd.Ones(&nd.OnesOpts{Shape: []int{2, 2}}))
	defer o.Close()
	if o.DType() != mxc.Float32 || !reflect.DeepEqual(must(o.Float32s()), []float32{1, 1, 1, 1}) {
		t.Fatalf("ones %v", o)
	}
	// A float that needs every digit survives the string round trip.
	f := must(nd.Full(&nd.FullOpts{Shape: []int{1}, Value: 0.1, Dtype: mxc.Ptr(mxc.Float64)}))
	defer f.Close()
	if v := must(f.Float64s()); v[0] != 0.1 {
		t.Fatalf("full %v", v)
	}
	// Out: written in place, returned.
	dst := must(mxc.NewArray([]float32{5, 5}))
	defer dst.Close()
	got := must(nd.Zeros(&nd.ZerosOpts{Shape: []int{2}, Out: dst}))
	if got != dst || !reflect.DeepEqual(must(dst.Float32s()), []float32{0, 0}) {
		t.Fatalf("zeros into out: %v", must(dst.Float32s()))
	}
}

func TestOperatorErrors(t *testing.T) {
	// Bad parameter value, unknown parameter, missing required parameter: ValueErrors naming op and parameter.
	_, err := mxc.Invoke("_full", nil, nil, mxc.Param{Key: "shape", Value: "(2,)"},
		mxc.Param{Key: "value", Value: "abc"})
	wantKind(t, err, mxc.KindValue, "_full", "value", "abc")
	_, err = mxc.Invoke("_zeros", nil, nil, mxc.Param{Key: "bogus", Value: "1"})
	wantKind(t, err, mxc.KindValue, "_zeros", "bogus")
	_, err = nd.Full(nil)
	wantKind(t, err, mxc.KindValue, "_full", "value", "missing")
	_, err = nd.Zeros(&nd.ZerosOpts{Shape: []int{-2}})
	wantKind(t, err, mxc.KindShape, "_zeros")
	// Shape mismatch between the inferred output and the given one.
	dst := must(mxc.Empty([]int{3, 2}, mxc.Float32, mxc.CPU()))
	defer dst.Close()
	_, err = nd.Zeros(&nd.ZerosOpts{Shape: []int{2, 3}, Out: dst})
	wantKind(t, err, mxc.KindShape, "_zeros", "(2,3)", "(3,2)")
	// nil inputs and outputs are refused before the library sees them.
	_, err = mxc.Invoke("_zeros", nil, []*mxc.NDArray{nil})
	wantKind(t, err, mxc.KindValue, "nil")
}
