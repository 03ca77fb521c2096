package mxc

// #include "shim.h"
import "C"

import (
	"fmt"
	"sort"
	"sync"
	"unsafe"
)

// Op is a registered operator. Ops live as long as the library and need no Close.
type Op struct {
	h    C.MXCOpHandle
	name string // the name it was looked up by
}

var opCache sync.Map // name -> *Op

// LookupOp returns the operator registered under name or alias; an unknown name is a KindValue error.
func LookupOp(name string) (*Op, error) {
	if o, ok := opCache.Load(name); ok {
		return o.(*Op), nil
	}
	cn := C.CString(name)
	defer C.free(unsafe.Pointer(cn))
	var h C.MXCOpHandle
	var cerr *C.char
	if err := check(C.go_OpGetHandle(cn, &h, &cerr), cerr); err != nil {
		return nil, err
	}
	o, _ := opCache.LoadOrStore(name, &Op{h: h, name: name})
	return o.(*Op), nil
}

// ListOps returns the canonical names of all registered operators, sorted.
func ListOps() ([]string, error) {
	var num C.int
	var names *C.char
	var length C.int64_t
	var cerr *C.char
	if err := check(C.go_ListOps(&num, &names, &length, &cerr), cerr); err != nil {
		return nil, err
	}
	out := unpack(names, num, length)
	sort.Strings(out)
	return out, nil
}

// OpInput is a named input of an operator.
type OpInput struct {
	Name  string
	IsAux bool // an auxiliary state (BatchNorm's moving_mean, ...)
}

// OpParam describes one parameter of an operator.
type OpParam struct {
	Name     string
	Type     string // "int", "float", "boolean", "string", "Shape(tuple)", "{'a', 'b'}", "int or None", ...
	Default  string // "" where Required
	Required bool
	Doc      string
}

// OpInfo is the metadata of an operator, as registered in the library.
type OpInfo struct {
	Name          string // canonical name
	Description   string
	Aliases       []string
	Inputs        []OpInput
	KeyVarNumArgs string // parameter holding the input count of a variadic operator, or ""
	Params        []OpParam
	HasGradient   bool
	IsLoss        bool // backward ignores the head gradient
}

// Name is the name the operator was looked up by.
func (o *Op) Name() string { return o.name }

// Info returns the operator's metadata.
func (o *Op) Info() (*OpInfo, error) {
	var ci C.MXCOpInfo
	var cerr *C.char
	if err := check(C.go_OpGetInfo(o.h, &ci, &cerr), cerr); err != nil {
		return nil, err
	}
	// Every pointer in ci is owned by the library for its lifetime: reading it after the call is safe.
	strs := func(n C.int, p **C.char) []string {
		out := make([]string, int(n))
		if n > 0 {
			for i, s := range unsafe.Slice(p, int(n)) {
				out[i] = C.GoString(s)
			}
		}
		return out
	}
	ints := func(n C.int, p *C.int) []bool {
		out := make([]bool, int(n))
		if n > 0 {
			for i, v := range unsafe.Slice(p, int(n)) {
				out[i] = v != 0
			}
		}
		return out
	}
	info := &OpInfo{
		Name:          C.GoString(ci.name),
		Description:   C.GoString(ci.description),
		Aliases:       strs(ci.num_aliases, ci.aliases),
		KeyVarNumArgs: C.GoString(ci.key_var_num_args),
		HasGradient:   ci.has_gradient != 0,
		IsLoss:        ci.is_loss != 0,
	}
	inNames := strs(ci.num_inputs, ci.input_names)
	isAux := ints(ci.num_inputs, ci.input_is_aux)
	for i, n := range inNames {
		info.Inputs = append(info.Inputs, OpInput{Name: n, IsAux: isAux[i]})
	}
	pNames := strs(ci.num_params, ci.param_names)
	pTypes := strs(ci.num_params, ci.param_types)
	pDefaults := strs(ci.num_params, ci.param_defaults)
	pRequired := ints(ci.num_params, ci.param_required)
	pDocs := strs(ci.num_params, ci.param_docs)
	for i, n := range pNames {
		info.Params = append(info.Params, OpParam{Name: n, Type: pTypes[i], Default: pDefaults[i],
			Required: pRequired[i], Doc: pDocs[i]})
	}
	return info, nil
}

// Param is one operator parameter, as the string the library parses ("128", "True", "(2,3)", "float32").
type Param struct {
	Key, Value string
}

func splitParams(params []Param) (keys, vals []string) {
	keys = make([]string, len(params))
	vals = make([]string, len(params))
	for i, p := range params {
		keys[i], vals[i] = p.Key, p.Value
	}
	return keys, vals
}

// Invoke runs the operator on inputs. With out empty the library allocates the outputs and Invoke returns them
// (owned by the caller); otherwise the results are written into out, which is returned. Errors in the arguments
// (unknown or missing parameter, bad value, shapes or dtypes that do not fit) are returned here; errors while
// computing surface at the next wait on an output (CopyTo, WaitToRead, ...).
func (o *Op) Invoke(inputs []*NDArray, out []*NDArray, params ...Param) ([]*NDArray, error) {
	for i, a := range inputs {
		if a == nil {
			return nil, newError(KindValue, fmt.Sprintf("operator %s: input %d is nil", o.name, i))
		}
	}
	for i, a := range out {
		if a == nil {
			return nil, newError(KindValue, fmt.Sprintf("operator %s: output %d is nil", o.name, i))
		}
	}
	all := append(append(make([]*NDArray, 0, len(inputs)+len(out)), inputs...), out...)
	hs, rel, err := acquireArrays(all)
	if err != nil {
		return nil, err
	}
	defer rel()
	ins, outs := hs[:len(inputs)], hs[len(inputs):]
	keys, vals := splitParams(params)
	ckeys, freeKeys := cstrings(keys)
	defer freeKeys()
	cvals, freeVals := cstrings(vals)
	defer freeVals()
	var nout C.int
	var alloc *C.MXCNDArrayHandle
	var cerr *C.char
	rc := C.go_OpInvoke(o.h, C.int(len(ins)), first(ins), C.int(len(outs)), first(outs), &nout, &alloc,
		C.int(len(params)), first(ckeys), first(cvals), &cerr)
	if err := check(rc, cerr); err != nil {
		return nil, err
	}
	if len(out) > 0 {
		return out, nil
	}
	handles := append([]C.MXCNDArrayHandle(nil), unsafe.Slice(alloc, int(nout))...)
	C.free(unsafe.Pointer(alloc))
	return wrapNDArrays(handles)
}

// Invoke looks up the operator op (a name or an alias) and runs it; see Op.Invoke.
func Invoke(op string, inputs []*NDArray, out []*NDArray, params ...Param) ([]*NDArray, error) {
	o, err := LookupOp(op)
	if err != nil {
		return nil, err
	}
	return o.Invoke(inputs, out, params...)
}
