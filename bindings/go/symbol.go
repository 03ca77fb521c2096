package mxc

// #include "shim.h"
import "C"

import (
	"fmt"
	"runtime"
	"sort"
	"unsafe"
)

// Symbol is a symbolic graph with one or more outputs: a handle owned by the Go value. Build one from Variables
// and the operator functions of package sym (or NewAtomicSymbol and Compose), infer shapes, and Bind it to arrays.
//
// Close releases the handle (a finalizer does it for symbols never closed); graphs built from a symbol keep their
// own references, so closing a symbol never breaks another. A Symbol may be read (listed, inferred, bound) from
// several goroutines at once; Compose and SetAttr change it and must not run concurrently with other uses of the
// same symbol.
type Symbol struct {
	r ref
}

func freeSymbol(p unsafe.Pointer) error {
	var cerr *C.char
	return check(C.go_SymbolFree(C.MXCSymbolHandle(p), &cerr), cerr)
}

func wrapSymbol(h C.MXCSymbolHandle) *Symbol {
	s := &Symbol{r: ref{p: unsafe.Pointer(h), what: "Symbol", free: freeSymbol}}
	runtime.SetFinalizer(s, func(s *Symbol) { _ = s.r.close() })
	return s
}

func (s *Symbol) acquire() (C.MXCSymbolHandle, error) {
	if s == nil {
		return nil, newError(KindValue, "Symbol is nil")
	}
	p, err := s.r.acquire()
	return C.MXCSymbolHandle(p), err
}

func acquireSymbols(syms []*Symbol) ([]C.MXCSymbolHandle, func(), error) {
	refs := make([]*ref, len(syms))
	for i, s := range syms {
		if s == nil {
			return nil, nil, newError(KindValue, fmt.Sprintf("symbol %d is nil", i))
		}
		refs[i] = &s.r
	}
	ps, rel, err := acquireAll(refs)
	if err != nil {
		return nil, nil, err
	}
	hs := make([]C.MXCSymbolHandle, len(ps))
	for i, p := range ps {
		hs[i] = C.MXCSymbolHandle(p)
	}
	return hs, rel, nil
}

// Close releases the handle. Closing twice is allowed.
func (s *Symbol) Close() error {
	if s == nil {
		return nil
	}
	runtime.SetFinalizer(s, nil)
	return s.r.close()
}

// symCall runs f on the handle.
func (s *Symbol) symCall(f func(h C.MXCSymbolHandle, cerr **C.char) C.int) error {
	h, err := s.acquire()
	if err != nil {
		return err
	}
	defer s.r.release()
	var cerr *C.char
	return check(f(h, &cerr), cerr)
}

// newSymbol runs f, which creates a symbol, and wraps the result.
func newSymbol(f func(out *C.MXCSymbolHandle, cerr **C.char) C.int) (*Symbol, error) {
	var h C.MXCSymbolHandle
	var cerr *C.char
	if err := check(f(&h, &cerr), cerr); err != nil {
		return nil, err
	}
	return wrapSymbol(h), nil
}

// derived runs f on s's handle to create another symbol.
func (s *Symbol) derived(f func(h C.MXCSymbolHandle, out *C.MXCSymbolHandle, cerr **C.char) C.int) (*Symbol, error) {
	h, err := s.acquire()
	if err != nil {
		return nil, err
	}
	defer s.r.release()
	return newSymbol(func(out *C.MXCSymbolHandle, cerr **C.char) C.int { return f(h, out, cerr) })
}

// Variable is a placeholder named name: an input, a weight, a label...
func Variable(name string) (*Symbol, error) {
	cn := C.CString(name)
	defer C.free(unsafe.Pointer(cn))
	return newSymbol(func(out *C.MXCSymbolHandle, cerr **C.char) C.int {
		return C.go_SymbolCreateVariable(cn, out, cerr)
	})
}

// NewAtomicSymbol is a node of operator op (a name or an alias) not yet connected to inputs; connect it with
// Compose or ComposeNamed. The functions of package sym do both in one call.
func NewAtomicSymbol(op string, params ...Param) (*Symbol, error) {
	co := C.CString(op)
	defer C.free(unsafe.Pointer(co))
	keys, vals := splitParams(params)
	ckeys, freeKeys := cstrings(keys)
	defer freeKeys()
	cvals, freeVals := cstrings(vals)
	defer freeVals()
	return newSymbol(func(out *C.MXCSymbolHandle, cerr **C.char) C.int {
		return C.go_SymbolCreateAtomic(co, C.int(len(params)), first(ckeys), first(cvals), out, cerr)
	})
}

func (s *Symbol) compose(name string, keys []string, args []*Symbol) error {
	hs, rel, err := acquireSymbols(args)
	if err != nil {
		return err
	}
	defer rel()
	var cn *C.char
	if name != "" {
		cn = C.CString(name)
		defer C.free(unsafe.Pointer(cn))
	}
	ckeys, freeKeys := cstrings(keys)
	defer freeKeys()
	return s.symCall(func(h C.MXCSymbolHandle, cerr **C.char) C.int {
		return C.go_SymbolCompose(h, cn, C.int(len(hs)), first(ckeys), first(hs), cerr)
	})
}

// Compose connects an atomic symbol to positional inputs, in place. An empty name lets the library name the node
// from its operator ("fullyconnected0"); inputs not given become variables named "<name>_<input>".
func (s *Symbol) Compose(name string, args ...*Symbol) error { return s.compose(name, nil, args) }

// ComposeNamed connects an atomic symbol to inputs by input name ("data", "weight", ...), in place.
func (s *Symbol) ComposeNamed(name string, args map[string]*Symbol) error {
	keys := make([]string, 0, len(args))
	for k := range args {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	syms := make([]*Symbol, len(keys))
	for i, k := range keys {
		syms[i] = args[k]
	}
	if len(keys) == 0 {
		return s.compose(name, nil, nil)
	}
	return s.compose(name, keys, syms)
}

// Group is a symbol whose outputs are the outputs of all syms, in order.
func Group(syms ...*Symbol) (*Symbol, error) {
	hs, rel, err := acquireSymbols(syms)
	if err != nil {
		return nil, err
	}
	defer rel()
	return newSymbol(func(out *C.MXCSymbolHandle, cerr **C.char) C.int {
		return C.go_SymbolCreateGroup(C.int(len(hs)), first(hs), out, cerr)
	})
}

// Copy is a new handle to the same graph.
func (s *Symbol) Copy() (*Symbol, error) {
	return s.derived(func(h C.MXCSymbolHandle, out *C.MXCSymbolHandle, cerr **C.char) C.int {
		return C.go_SymbolCopy(h, out, cerr)
	})
}

func (s *Symbol) list(which int) ([]string, error) {
	var num C.int
	var names *C.char
	var length C.int64_t
	err := s.symCall(func(h C.MXCSymbolHandle, cerr **C.char) C.int {
		return C.go_SymbolList(h, C.int(which), &num, &names, &length, cerr)
	})
	if err != nil {
		return nil, err
	}
	return unpack(names, num, length), nil
}

// ListArguments returns the argument names in depth-first order (the order Bind takes arrays in).
func (s *Symbol) ListArguments() ([]string, error) { return s.list(0) }

// ListOutputs returns the output names ("<node>_output").
func (s *Symbol) ListOutputs() ([]string, error) { return s.list(1) }

// ListAuxiliaryStates returns the auxiliary state names (BatchNorm's moving statistics, ...).
func (s *Symbol) ListAuxiliaryStates() ([]string, error) { return s.list(2) }

// ListInputs returns the arguments and auxiliary states in depth-first order.
func (s *Symbol) ListInputs() ([]string, error) { return s.list(3) }

func pairs(kv []string) map[string]string {
	m := make(map[string]string, len(kv)/2)
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return m
}

// Attrs returns the attributes of the symbol's node.
func (s *Symbol) Attrs() (map[string]string, error) {
	kv, err := s.list(5)
	if err != nil {
		return nil, err
	}
	return pairs(kv), nil
}

// AttrsRecursive returns the attributes of every node of the graph, keyed "<node>$<key>".
func (s *Symbol) AttrsRecursive() (map[string]string, error) {
	kv, err := s.list(4)
	if err != nil {
		return nil, err
	}
	return pairs(kv), nil
}

// Name is the name of a single-output symbol; ok is false for a group.
func (s *Symbol) Name() (name string, ok bool, err error) {
	var out *C.char
	var success C.int
	err = s.symCall(func(h C.MXCSymbolHandle, cerr **C.char) C.int {
		return C.go_SymbolGetName(h, &out, &success, cerr)
	})
	if err != nil {
		return "", false, err
	}
	return goString(out), success != 0, nil
}

// Attr returns an attribute of the symbol's node; ok is false when it is not set.
func (s *Symbol) Attr(key string) (value string, ok bool, err error) {
	ck := C.CString(key)
	defer C.free(unsafe.Pointer(ck))
	var out *C.char
	var success C.int
	err = s.symCall(func(h C.MXCSymbolHandle, cerr **C.char) C.int {
		return C.go_SymbolGetAttr(h, ck, &out, &success, cerr)
	})
	if err != nil {
		return "", false, err
	}
	return goString(out), success != 0, nil
}

// SetAttr sets an attribute on the symbol's node ("__shape__", "lr_mult", ...).
func (s *Symbol) SetAttr(key, value string) error {
	ck, cv := C.CString(key), C.CString(value)
	defer C.free(unsafe.Pointer(ck))
	defer C.free(unsafe.Pointer(cv))
	return s.symCall(func(h C.MXCSymbolHandle, cerr **C.char) C.int { return C.go_SymbolSetAttr(h, ck, cv, cerr) })
}

// NumOutputs is the number of outputs.
func (s *Symbol) NumOutputs() (int, error) {
	var n C.int
	err := s.symCall(func(h C.MXCSymbolHandle, cerr **C.char) C.int { return C.go_SymbolGetNumOutputs(h, &n, cerr) })
	return int(n), err
}

// Output is the i-th output as a symbol.
func (s *Symbol) Output(i int) (*Symbol, error) {
	return s.derived(func(h C.MXCSymbolHandle, out *C.MXCSymbolHandle, cerr **C.char) C.int {
		return C.go_SymbolGetOutput(h, C.int(i), out, cerr)
	})
}

// Internals is a group of every output of every node of the graph.
func (s *Symbol) Internals() (*Symbol, error) {
	return s.derived(func(h C.MXCSymbolHandle, out *C.MXCSymbolHandle, cerr **C.char) C.int {
		return C.go_SymbolGetInternals(h, out, cerr)
	})
}

// Children is a group of the inputs of the symbol's head node, or nil for a variable.
func (s *Symbol) Children() (*Symbol, error) {
	h, err := s.acquire()
	if err != nil {
		return nil, err
	}
	defer s.r.release()
	var out C.MXCSymbolHandle
	var cerr *C.char
	if err := check(C.go_SymbolGetChildren(h, &out, &cerr), cerr); err != nil {
		return nil, err
	}
	if out == nil {
		return nil, nil
	}
	return wrapSymbol(out), nil
}

func shapesOf(s *C.mxcgo_shapes) [][]int {
	out := make([][]int, int(s.count))
	if s.count > 0 {
		ndims := unsafe.Slice(s.ndims, int(s.count))
		total := 0
		for _, n := range ndims {
			if n > 0 {
				total += int(n)
			}
		}
		dims := unsafe.Slice(s.dims, total)
		off := 0
		for i, n := range ndims {
			if n <= 0 {
				continue // unknown: nil
			}
			out[i] = make([]int, int(n))
			for j := range out[i] {
				out[i][j] = int(dims[off+j])
			}
			off += int(n)
		}
	}
	C.free(unsafe.Pointer(s.ndims))
	C.free(unsafe.Pointer(s.dims))
	return out
}

// Shapes are the results of shape inference, each list in the order of ListArguments, ListOutputs and
// ListAuxiliaryStates. An unknown shape is nil; an unknown dimension 0.
type Shapes struct {
	Args, Outputs, Aux [][]int
	Complete           bool // every shape is known
}

func (s *Symbol) inferShape(known map[string][]int, partial bool) (*Shapes, error) {
	names := make([]string, 0, len(known))
	for k := range known {
		names = append(names, k)
	}
	sort.Strings(names)
	ndims := make([]C.int, len(names))
	var dims []C.int64_t
	for i, k := range names {
		ndims[i] = C.int(len(known[k]))
		for _, d := range known[k] {
			dims = append(dims, C.int64_t(d))
		}
	}
	ckeys, freeKeys := cstrings(names)
	defer freeKeys()
	cpartial := C.int(0)
	if partial {
		cpartial = 1
	}
	var args, outs, aux C.mxcgo_shapes
	var complete C.int
	err := s.symCall(func(h C.MXCSymbolHandle, cerr **C.char) C.int {
		return C.go_SymbolInferShape(h, C.int(len(names)), first(ckeys), first(ndims), first(dims), cpartial, &args,
			&outs, &aux, &complete, cerr)
	})
	if err != nil {
		return nil, err
	}
	return &Shapes{Args: shapesOf(&args), Outputs: shapesOf(&outs), Aux: shapesOf(&aux), Complete: complete != 0},
		nil
}

// InferShape infers every shape from the known shapes of some arguments. A shape left unknown, or a conflict, is a
// KindShape error naming the node, the argument and the shapes.
func (s *Symbol) InferShape(known map[string][]int) (args, outputs, aux [][]int, err error) {
	r, err := s.inferShape(known, false)
	if err != nil {
		return nil, nil, nil, err
	}
	return r.Args, r.Outputs, r.Aux, nil
}

// InferShapePartial is InferShape that leaves what it cannot infer unknown instead of failing.
func (s *Symbol) InferShapePartial(known map[string][]int) (*Shapes, error) {
	return s.inferShape(known, true)
}

// Types are the results of type inference, in the orders of Shapes; -1 marks an unknown type.
type Types struct {
	Args, Outputs, Aux []DType
	Complete           bool
}

// InferType infers the dtypes from the known dtypes of some arguments. With partial false an unknown one is an
// error.
func (s *Symbol) InferType(known map[string]DType, partial bool) (*Types, error) {
	names := make([]string, 0, len(known))
	for k := range known {
		names = append(names, k)
	}
	sort.Strings(names)
	types := make([]C.int, len(names))
	for i, k := range names {
		types[i] = C.int(known[k])
	}
	ckeys, freeKeys := cstrings(names)
	defer freeKeys()
	cpartial := C.int(0)
	if partial {
		cpartial = 1
	}
	var ac, oc, xc, complete C.int
	var all *C.int
	err := s.symCall(func(h C.MXCSymbolHandle, cerr **C.char) C.int {
		return C.go_SymbolInferType(h, C.int(len(names)), first(ckeys), first(types), cpartial, &ac, &oc, &xc, &all,
			&complete, cerr)
	})
	if err != nil {
		return nil, err
	}
	vals := unsafe.Slice(all, int(ac+oc+xc)+1)
	conv := func(v []C.int) []DType {
		out := make([]DType, len(v))
		for i, t := range v {
			out[i] = DType(t)
		}
		return out
	}
	r := &Types{Args: conv(vals[:ac]), Outputs: conv(vals[ac : ac+oc]), Aux: conv(vals[ac+oc : ac+oc+xc]),
		Complete: complete != 0}
	C.free(unsafe.Pointer(all))
	return r, nil
}

// JSON is the graph as JSON (readable by MXNet 1.x and by SymbolFromJSON).
func (s *Symbol) JSON() (string, error) {
	var out *C.char
	err := s.symCall(func(h C.MXCSymbolHandle, cerr **C.char) C.int { return C.go_SymbolSaveToJSON(h, &out, cerr) })
	if err != nil {
		return "", err
	}
	return goString(out), nil
}

// SymbolFromJSON reads a graph written by Symbol.JSON or by MXNet 1.x.
func SymbolFromJSON(json string) (*Symbol, error) {
	cj := C.CString(json)
	defer C.free(unsafe.Pointer(cj))
	return newSymbol(func(out *C.MXCSymbolHandle, cerr **C.char) C.int {
		return C.go_SymbolCreateFromJSON(cj, out, cerr)
	})
}

// Save writes the graph as JSON to a file (atomically).
func (s *Symbol) Save(fname string) error {
	cf := C.CString(fname)
	defer C.free(unsafe.Pointer(cf))
	return s.symCall(func(h C.MXCSymbolHandle, cerr **C.char) C.int { return C.go_SymbolSaveToFile(h, cf, cerr) })
}

// LoadSymbol reads a graph from a JSON file.
func LoadSymbol(fname string) (*Symbol, error) {
	cf := C.CString(fname)
	defer C.free(unsafe.Pointer(cf))
	return newSymbol(func(out *C.MXCSymbolHandle, cerr **C.char) C.int {
		return C.go_SymbolCreateFromFile(cf, out, cerr)
	})
}

// Print is a readable description of the graph.
func (s *Symbol) Print() (string, error) {
	var out *C.char
	err := s.symCall(func(h C.MXCSymbolHandle, cerr **C.char) C.int { return C.go_SymbolPrint(h, &out, cerr) })
	if err != nil {
		return "", err
	}
	return goString(out), nil
}

func (s *Symbol) String() string {
	if s.r.isClosed() {
		return "Symbol(closed)"
	}
	outs, err := s.ListOutputs()
	if err != nil {
		return "Symbol(" + err.Error() + ")"
	}
	return fmt.Sprintf("Symbol%v", outs)
}
