package mxc_test

import (
	"reflect"
	"sync"
	"testing"

	mxc "github.com/mxc/mxc-go"
	"github.com/mxc/mxc-go/nd"
)

func TestAutogradProductRule(t *testing.T) {
	x := must(mxc.NewArray([]float32{1, 2, 3}))
	defer x.Close()
	noErr(t, x.AttachGrad(mxc.GradWrite))
	var y *mxc.NDArray
	noErr(t, mxc.Record(true, func() error {
		sq, err := nd.ElemwiseMul(x, x, nil)
		if err != nil {
			return err
		}
		y, err = nd.ElemwiseAdd(sq, x, nil) // x^2 + x
		return err
	}))
	noErr(t, y.Backward(nil))
	g := must(x.Grad())
	if got := must(g.Float32s()); !reflect.DeepEqual(got, []float32{3, 5, 7}) {
		t.Fatalf("gradient of x^2 + x: got %v, want [3 5 7]", got)
	}
	// The graph is freed: a second backward is an error naming the remedy.
	wantKind(t, y.Backward(nil), mxc.KindValue, "not in a computational graph", "retain_graph")
}

func TestAutogradGradientsAndHeadGradient(t *testing.T) {
	x := must(mxc.NewArray([]float32{1, 2}))
	noErr(t, x.AttachGrad(mxc.GradAdd))
	var y *mxc.NDArray
	noErr(t, mxc.Record(false, func() error {
		var err error
		y, err = nd.ElemwiseMul(x, x, nil)
		return err
	}))
	hg := must(mxc.NewArray([]float32{1, 10}))
	gs := must(mxc.Gradients([]*mxc.NDArray{y}, []*mxc.NDArray{hg}, []*mxc.NDArray{x}, true))
	if got := must(gs[0].Float32s()); !reflect.DeepEqual(got, []float32{2, 40}) {
		t.Fatalf("Gradients: got %v, want [2 40]", got)
	}
	noErr(t, mxc.Backward([]*mxc.NDArray{y}, []*mxc.NDArray{hg}, true))
	noErr(t, y.Backward(hg))
	if got := must(must(x.Grad()).Float32s()); !reflect.DeepEqual(got, []float32{4, 80}) {
		t.Fatalf("GradAdd after two backwards: got %v, want [4 80]", got)
	}
	// Detach: no gradient flows through.
	d := must(x.Detach())
	if g, err := d.Grad(); err != nil || g != nil {
		t.Fatalf("a detached array has no gradient: %v %v", g, err)
	}
}

func TestAutogradRecordsOnlyTheRecordingGoroutine(t *testing.T) {
	x := must(mxc.NewArray([]float32{1, 2}))
	noErr(t, x.AttachGrad(mxc.GradWrite))
	var other *mxc.NDArray
	var wg sync.WaitGroup
	noErr(t, mxc.Record(true, func() error {
		wg.Add(1)
		go func() {
			defer wg.Done()
			other = must(nd.ElemwiseMul(x, x, nil))
		}()
		wg.Wait()
		return nil
	}))
	wantKind(t, other.Backward(nil), mxc.KindValue, "not in a computational graph")
}
