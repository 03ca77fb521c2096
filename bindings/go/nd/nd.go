// Package nd holds one function per operator of libmxc, run imperatively on NDArrays (MXNet's mx.nd.*). The
// functions, their typed options and their docs are generated from the library's operator registry into
// ops_generated.go:
//
//	y, err := nd.FullyConnected(x, w, b, &nd.FullyConnectedOpts{NumHidden: 10})
//	_, err = nd.SgdUpdate(w, g, &nd.SgdUpdateOpts{Lr: 0.1, Out: w}) // in place
//
// Each function returns the operator's first output (a new array, or Out when set); the option AllOutputs
// receives every output of a multi-output operator:
//
//	var parts []*mxc.NDArray
//	_, err = nd.SliceChannel(x, &nd.SliceChannelOpts{NumOutputs: 3, AllOutputs: &parts})
//
// Operations are queued on the library's engine; reading a result waits for it, and errors while computing
// surface there.
package nd

//go:generate go run ../internal/cmd/mxc-opgen -pkg nd -o ops_generated.go

import (
	"fmt"
	"sync"

	mxc "github.com/mxc/mxc-go"
	"github.com/mxc/mxc-go/internal/opparam"
)

var ops sync.Map // name -> *mxc.Op

func lookup(name string) (*mxc.Op, error) {
	if o, ok := ops.Load(name); ok {
		return o.(*mxc.Op), nil
	}
	o, err := mxc.LookupOp(name)
	if err != nil {
		return nil, err
	}
	ops.Store(name, o)
	return o, nil
}

// invoke runs op on the inputs up to the last non-nil one (names are used in errors) and returns the first output;
// with all set, *all receives every output, else outputs after the first are released.
func invoke(op string, inputs []*mxc.NDArray, names []string, p opparam.List, out *mxc.NDArray,
	all *[]*mxc.NDArray) (*mxc.NDArray, error) {
	n := len(inputs)
	for n > 0 && inputs[n-1] == nil {
		n--
	}
	for i, a := range inputs[:n] {
		if a == nil {
			what := fmt.Sprint(i)
			if names != nil {
				what = "'" + names[i] + "'"
			}
			return nil, &mxc.Error{Kind: mxc.KindValue, Message: fmt.Sprintf("operator %s: input %s is nil", op, what)}
		}
	}
	o, err := lookup(op)
	if err != nil {
		return nil, err
	}
	var outs []*mxc.NDArray
	if out != nil {
		outs = []*mxc.NDArray{out}
	}
	res, err := o.Invoke(inputs[:n], outs, p...)
	if err != nil {
		return nil, err
	}
	if all != nil {
		*all = res
	} else if out == nil {
		for _, extra := range res[1:] {
			_ = extra.Close()
		}
	}
	return res[0], nil
}
