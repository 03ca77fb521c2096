package mxc

// #include "shim.h"
import "C"

import (
	"fmt"
	"runtime"
	"unsafe"
)

// Executor is a symbol bound to arrays on a device: Forward computes the outputs, Backward the gradients.
//
// The executor keeps its own references to the arrays it was bound to: they are used in place (write new data into
// Arg("data") and call Forward again) and closing their Go values does not affect it. Close releases the executor
// and the arrays it allocated itself (SimpleBind's arguments and gradients, Outputs); arrays given to Bind stay the
// caller's. An Executor must not be used by several goroutines at once (Forward and Backward change its state);
// distinct executors may run concurrently.
type Executor struct {
	r                  ref
	sym                *Symbol
	argNames, auxNames []string
	args, grads, aux   []*NDArray
	reqs               []GradReq
	owned              []*NDArray // allocated by SimpleBind
	outputs            []*NDArray // fetched once: the outputs keep their storage across forwards
}

func freeExecutor(p unsafe.Pointer) error {
	var cerr *C.char
	return check(C.go_ExecutorFree(C.MXCExecutorHandle(p), &cerr), cerr)
}

// BindConfig says what to bind a symbol to. Arrays are looked up by argument and auxiliary state name.
type BindConfig struct {
	Args     map[string]*NDArray // one per argument (all required)
	Grads    map[string]*NDArray // gradient arrays; arguments without one get no gradient
	GradReq  GradReq             // for the arguments in Grads; 0 (GradNull) means GradWrite when Grads is set
	GradReqs map[string]GradReq  // per-argument override of GradReq
	Aux      map[string]*NDArray // one per auxiliary state
	Shared   *Executor           // lends its memory pool (may be nil)
}

// Bind binds the symbol to arrays on dev.
func (s *Symbol) Bind(dev Device, cfg BindConfig) (*Executor, error) {
	argNames, err := s.ListArguments()
	if err != nil {
		return nil, err
	}
	auxNames, err := s.ListAuxiliaryStates()
	if err != nil {
		return nil, err
	}
	e := &Executor{sym: s, argNames: argNames, auxNames: auxNames}
	e.args = make([]*NDArray, len(argNames))
	e.grads = make([]*NDArray, len(argNames))
	e.reqs = make([]GradReq, len(argNames))
	def := cfg.GradReq
	if def == GradNull && len(cfg.Grads) > 0 {
		def = GradWrite
	}
	for i, n := range argNames {
		a, ok := cfg.Args[n]
		if !ok || a == nil {
			return nil, newError(KindValue, fmt.Sprintf("Bind: no array for argument '%s' (arguments: %v)", n, argNames))
		}
		e.args[i] = a
		if g := cfg.Grads[n]; g != nil {
			e.grads[i] = g
			e.reqs[i] = def
		}
		if r, ok := cfg.GradReqs[n]; ok {
			e.reqs[i] = r
		}
		if e.reqs[i] != GradNull && e.grads[i] == nil {
			return nil, newError(KindValue, fmt.Sprintf("Bind: argument '%s' requests a gradient (%v) but has no "+
				"gradient array", n, e.reqs[i]))
		}
	}
	for n := range cfg.Args {
		if !contains(argNames, n) {
			return nil, newError(KindValue, fmt.Sprintf("Bind: '%s' is not an argument of the symbol (arguments: %v)",
				n, argNames))
		}
	}
	e.aux = make([]*NDArray, len(auxNames))
	for i, n := range auxNames {
		a, ok := cfg.Aux[n]
		if !ok || a == nil {
			return nil, newError(KindValue, fmt.Sprintf("Bind: no array for auxiliary state '%s'", n))
		}
		e.aux[i] = a
	}
	return e, e.bind(dev, cfg.Shared)
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func (e *Executor) bind(dev Device, shared *Executor) error {
	sh, err := e.sym.acquire()
	if err != nil {
		return err
	}
	defer e.sym.r.release()
	n := len(e.args)
	all := append(append(append([]*NDArray{}, e.args...), e.grads...), e.aux...)
	hs, rel, err := acquireArrays(all)
	if err != nil {
		return err
	}
	defer rel()
	var sharedH C.MXCExecutorHandle
	if shared != nil {
		p, err := shared.r.acquire()
		if err != nil {
			return err
		}
		defer shared.r.release()
		sharedH = C.MXCExecutorHandle(p)
	}
	reqs := make([]C.int, n)
	for i, r := range e.reqs {
		reqs[i] = C.int(r)
	}
	var out C.MXCExecutorHandle
	var cerr *C.char
	rc := C.go_ExecutorBind(sh, C.int(dev.Type), C.int(dev.ID), C.int(n), first(hs[:n]), first(hs[n:2*n]),
		first(reqs), C.int(len(e.aux)), first(hs[2*n:]), sharedH, &out, &cerr)
	if err := check(rc, cerr); err != nil {
		return err
	}
	e.r = ref{p: unsafe.Pointer(out), what: "Executor", free: freeExecutor}
	runtime.SetFinalizer(e, func(e *Executor) { _ = e.r.close() })
	return nil
}

// SimpleBind allocates every argument, gradient and auxiliary state from the shapes inferred from the given ones
// (float32, uninitialised) and binds them. Every argument gets a gradient array when req is not GradNull.
func (s *Symbol) SimpleBind(dev Device, shapes map[string][]int, req GradReq) (*Executor, error) {
	args, _, aux, err := s.InferShape(shapes)
	if err != nil {
		return nil, err
	}
	argNames, err := s.ListArguments()
	if err != nil {
		return nil, err
	}
	auxNames, err := s.ListAuxiliaryStates()
	if err != nil {
		return nil, err
	}
	var owned []*NDArray
	fail := func(err error) (*Executor, error) {
		for _, a := range owned {
			_ = a.Close()
		}
		return nil, err
	}
	alloc := func(shape []int) (*NDArray, error) {
		a, err := Empty(shape, Float32, dev)
		if err == nil {
			owned = append(owned, a)
		}
		return a, err
	}
	cfg := BindConfig{Args: map[string]*NDArray{}, Aux: map[string]*NDArray{}, GradReq: req}
	if req != GradNull {
		cfg.Grads = map[string]*NDArray{}
	}
	for i, n := range argNames {
		a, err := alloc(args[i])
		if err != nil {
			return fail(err)
		}
		cfg.Args[n] = a
		if req != GradNull {
			g, err := alloc(args[i])
			if err != nil {
				return fail(err)
			}
			cfg.Grads[n] = g
		}
	}
	for i, n := range auxNames {
		a, err := alloc(aux[i])
		if err != nil {
			return fail(err)
		}
		cfg.Aux[n] = a
	}
	e, err := s.Bind(dev, cfg)
	if err != nil {
		return fail(err)
	}
	e.owned = owned
	return e, nil
}

func (e *Executor) call(f func(h C.MXCExecutorHandle, cerr **C.char) C.int) error {
	if e == nil {
		return newError(KindValue, "Executor is nil")
	}
	p, err := e.r.acquire()
	if err != nil {
		return err
	}
	defer e.r.release()
	var cerr *C.char
	return check(f(C.MXCExecutorHandle(p), &cerr), cerr)
}

// Forward runs the graph. isTrain enables training behaviour (Dropout, BatchNorm batch statistics) and keeps what
// Backward needs.
func (e *Executor) Forward(isTrain bool) error {
	t := C.int(0)
	if isTrain {
		t = 1
	}
	return e.call(func(h C.MXCExecutorHandle, cerr **C.char) C.int { return C.go_ExecutorForward(h, t, cerr) })
}

// Backward computes the gradients after a training Forward, with one head gradient per output (none where every
// output is a loss such as SoftmaxOutput; a nil entry means ones for a loss output).
func (e *Executor) Backward(headGrads ...*NDArray) error {
	hs, rel, err := acquireArrays(headGrads)
	if err != nil {
		return err
	}
	defer rel()
	return e.call(func(h C.MXCExecutorHandle, cerr **C.char) C.int {
		return C.go_ExecutorBackward(h, C.int(len(hs)), first(hs), cerr)
	})
}

// Outputs returns the output arrays. They keep their storage across forwards, so the same arrays are returned on
// every call; they are closed with the executor.
func (e *Executor) Outputs() ([]*NDArray, error) {
	if e.outputs != nil {
		return e.outputs, nil
	}
	var n C.int
	var hs *C.MXCNDArrayHandle
	err := e.call(func(h C.MXCExecutorHandle, cerr **C.char) C.int { return C.go_ExecutorOutputs(h, &n, &hs, cerr) })
	if err != nil {
		return nil, err
	}
	handles := append([]C.MXCNDArrayHandle(nil), unsafe.Slice(hs, int(n))...)
	C.free(unsafe.Pointer(hs))
	outs, err := wrapNDArrays(handles)
	if err != nil {
		return nil, err
	}
	e.outputs = outs
	return outs, nil
}

// Output is the i-th output array.
func (e *Executor) Output(i int) (*NDArray, error) {
	outs, err := e.Outputs()
	if err != nil {
		return nil, err
	}
	if i < 0 || i >= len(outs) {
		return nil, newError(KindIndex, fmt.Sprintf("Output: index %d out of range for %d outputs", i, len(outs)))
	}
	return outs[i], nil
}

// ArgNames returns the argument names, in the order of ArgArrays and GradArrays.
func (e *Executor) ArgNames() []string { return append([]string(nil), e.argNames...) }

// ArgArrays returns the argument arrays in ListArguments order.
func (e *Executor) ArgArrays() []*NDArray { return append([]*NDArray(nil), e.args...) }

// GradArrays returns the gradient arrays in ListArguments order (nil where there is none).
func (e *Executor) GradArrays() []*NDArray { return append([]*NDArray(nil), e.grads...) }

// AuxArrays returns the auxiliary state arrays in ListAuxiliaryStates order.
func (e *Executor) AuxArrays() []*NDArray { return append([]*NDArray(nil), e.aux...) }

// Arg is the array bound to the argument name, or nil.
func (e *Executor) Arg(name string) *NDArray { return lookup(e.argNames, e.args, name) }

// Grad is the gradient array of the argument name, or nil.
func (e *Executor) Grad(name string) *NDArray { return lookup(e.argNames, e.grads, name) }

// Aux is the array of the auxiliary state name, or nil.
func (e *Executor) Aux(name string) *NDArray { return lookup(e.auxNames, e.aux, name) }

func lookup(names []string, arrays []*NDArray, name string) *NDArray {
	for i, n := range names {
		if n == name {
			return arrays[i]
		}
	}
	return nil
}

// ArgDict maps argument names to their arrays.
func (e *Executor) ArgDict() map[string]*NDArray { return dict(e.argNames, e.args) }

// GradDict maps argument names to their gradient arrays (arguments without one are left out).
func (e *Executor) GradDict() map[string]*NDArray { return dict(e.argNames, e.grads) }

// AuxDict maps auxiliary state names to their arrays.
func (e *Executor) AuxDict() map[string]*NDArray { return dict(e.auxNames, e.aux) }

func dict(names []string, arrays []*NDArray) map[string]*NDArray {
	m := make(map[string]*NDArray, len(names))
	for i, n := range names {
		if arrays[i] != nil {
			m[n] = arrays[i]
		}
	}
	return m
}

// MemoryStats returns the bytes of internal storage with the memory planner and without it.
func (e *Executor) MemoryStats() (planned, unplanned int64, err error) {
	var p, u C.int64_t
	err = e.call(func(h C.MXCExecutorHandle, cerr **C.char) C.int {
		return C.go_ExecutorMemoryStats(h, &p, &u, cerr)
	})
	return int64(p), int64(u), err
}

// Print is a readable description of the bound graph with shapes and the memory plan.
func (e *Executor) Print() (string, error) {
	var out *C.char
	err := e.call(func(h C.MXCExecutorHandle, cerr **C.char) C.int { return C.go_ExecutorPrint(h, &out, cerr) })
	if err != nil {
		return "", err
	}
	return goString(out), nil
}

// Close releases the executor, its outputs and the arrays SimpleBind allocated. Closing twice is allowed.
func (e *Executor) Close() error {
	if e == nil {
		return nil
	}
	runtime.SetFinalizer(e, nil)
	err := e.r.close()
	for _, a := range e.outputs {
		_ = a.Close()
	}
	for _, a := range e.owned {
		_ = a.Close()
	}
	return err
}
