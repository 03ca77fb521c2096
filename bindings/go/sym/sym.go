// Package sym holds one function per operator of libmxc that builds a symbol (MXNet's mx.sym.*). The functions,
// their typed options and their docs are generated from the library's operator registry into ops_generated.go:
//
//	data, _ := mxc.Variable("data")
//	fc, err := sym.FullyConnected(data, nil, nil, &sym.FullyConnectedOpts{NumHidden: 128, Name: "fc1"})
//
// A nil input becomes a variable named "<name>_<input>" (fc1_weight, fc1_bias), as in MXNet.
package sym

//go:generate go run ../internal/cmd/mxc-opgen -pkg sym -o ops_generated.go

import (
	mxc "github.com/mxc/mxc-go"
	"github.com/mxc/mxc-go/internal/opparam"
)

// compose creates a node of op and connects it: by input name (names != nil; nil inputs are left to the library)
// or positionally (variadic operators).
func compose(op, name string, attr map[string]string, p opparam.List, names []string, inputs []*mxc.Symbol) (
	*mxc.Symbol, error) {
	s, err := mxc.NewAtomicSymbol(op, p...)
	if err != nil {
		return nil, err
	}
	if names == nil {
		err = s.Compose(name, inputs...)
	} else {
		named := make(map[string]*mxc.Symbol, len(inputs))
		for i, in := range inputs {
			if in != nil {
				named[names[i]] = in
			}
		}
		err = s.ComposeNamed(name, named)
	}
	for k, v := range attr {
		if err == nil {
			err = s.SetAttr(k, v)
		}
	}
	if err != nil {
		_ = s.Close()
		return nil, err
	}
	return s, nil
}
