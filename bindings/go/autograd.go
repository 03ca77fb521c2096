package mxc

// #include "shim.h"
import "C"

import "runtime"

// Autograd: imperative differentiation, as MXNet's autograd. Arrays marked with AttachGrad are variables; the
// operator calls made inside Record with an input in the graph are recorded by the library, and Backward computes
// the gradients of the recorded results with respect to the variables:
//
//	noErr(x.AttachGrad(mxc.GradWrite))
//	var y *mxc.NDArray
//	err := mxc.Record(true, func() error {
//		var err error
//		y, err = nd.ElemwiseMul(x, x, nil)
//		return err
//	})
//	err = y.Backward(nil)
//	g, err := x.Grad() // 2x
//
// The library records per OS thread: Record locks the calling goroutine to its thread while f runs, so calls made
// by f itself are recorded and calls of other goroutines are not.

// Record runs f with recording on and operators in training mode when train is set (Dropout drops, BatchNorm uses
// batch statistics), then restores both flags. Views (Slice, At, Reshape) are not recorded; inside f, use the
// operators (nd.SliceAxis, nd.Reshape) on arrays that gradients must flow through. While recording, writing into an
// array of the graph (an Out option naming one) is an error.
func Record(train bool, f func() error) error {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	var prevRec, prevTrain C.int
	var cerr *C.char
	if err := check(C.go_AutogradSetIsRecording(1, &prevRec, &cerr), cerr); err != nil {
		return err
	}
	defer C.go_AutogradSetIsRecording(prevRec, &prevRec, &cerr)
	t := C.int(0)
	if train {
		t = 1
	}
	if err := check(C.go_AutogradSetIsTraining(t, &prevTrain, &cerr), cerr); err != nil {
		return err
	}
	defer C.go_AutogradSetIsTraining(prevTrain, &prevTrain, &cerr)
	return f()
}

// AttachGrad makes the array a variable: Backward writes (GradWrite) or adds (GradAdd) its gradient into a new
// array of zeros, returned by Grad. GradNull marks it without a gradient.
func (a *NDArray) AttachGrad(req GradReq) error {
	zs, err := Invoke("zeros_like", []*NDArray{a}, nil)
	if err != nil {
		return err
	}
	g := zs[0]
	defer g.Close()
	hs, rel, err := acquireArrays([]*NDArray{a, g})
	if err != nil {
		return err
	}
	defer rel()
	r := C.int(req)
	var cerr *C.char
	return check(C.go_AutogradMarkVariables(1, &hs[0], &r, &hs[1], &cerr), cerr)
}

// Grad returns the gradient array of a variable (a new handle on its storage; nil when the array is not a
// variable or has no gradient).
func (a *NDArray) Grad() (*NDArray, error) {
	return a.view(func(h C.MXCNDArrayHandle, out *C.MXCNDArrayHandle, cerr **C.char) C.int {
		return C.go_NDArrayGetGrad(h, out, cerr)
	})
}

// Detach returns the array outside the autograd graph (the same storage; no gradient flows through it).
func (a *NDArray) Detach() (*NDArray, error) {
	return a.view(func(h C.MXCNDArrayHandle, out *C.MXCNDArrayHandle, cerr **C.char) C.int {
		return C.go_NDArrayDetach(h, out, cerr)
	})
}

// Backward computes the gradient of this recorded array with respect to the variables and writes it into their
// gradient arrays; headGrad is its own gradient (nil: ones). The recorded graph is freed.
func (a *NDArray) Backward(headGrad *NDArray) error {
	return Backward([]*NDArray{a}, []*NDArray{headGrad}, false)
}

// Backward computes the gradients of heads (headGrads: nil, or one per head with nil meaning ones) with respect to
// the variables and writes them into their gradient arrays. retainGraph keeps the graph for another backward.
func Backward(heads, headGrads []*NDArray, retainGraph bool) error {
	_, err := backward(heads, headGrads, nil, retainGraph)
	return err
}

// Gradients returns the gradients of heads with respect to vars (variables) as new arrays, leaving the variables'
// gradient arrays alone (MXNet's autograd.grad).
func Gradients(heads, headGrads, vars []*NDArray, retainGraph bool) ([]*NDArray, error) {
	if len(vars) == 0 {
		return nil, newError(KindValue, "Gradients: no variables given")
	}
	return backward(heads, headGrads, vars, retainGraph)
}

func backward(heads, headGrads, vars []*NDArray, retain bool) ([]*NDArray, error) {
	if len(headGrads) != 0 && len(headGrads) != len(heads) {
		return nil, newError(KindValue, "backward: head gradients must be none or one per head")
	}
	hs, rel, err := acquireArrays(heads)
	if err != nil {
		return nil, err
	}
	defer rel()
	gs, relg, err := acquireArrays(headGrads)
	if err != nil {
		return nil, err
	}
	defer relg()
	vs, relv, err := acquireArrays(vars)
	if err != nil {
		return nil, err
	}
	defer relv()
	var hg *C.MXCNDArrayHandle
	if len(gs) > 0 {
		hg = &gs[0]
	}
	out := make([]C.MXCNDArrayHandle, len(vs))
	r := C.int(0)
	if retain {
		r = 1
	}
	var cerr *C.char
	if err := check(C.go_AutogradBackward(C.int(len(hs)), first(hs), hg, C.int(len(vs)), first(vs), r, 1,
		first(out), &cerr), cerr); err != nil {
		return nil, err
	}
	if len(vs) == 0 {
		return nil, nil
	}
	return wrapNDArrays(out)
}
