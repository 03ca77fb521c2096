// The seed's symbolic example (02_symbolic.py and 04_bind_backward.py) in Go: build (A + B) / 10 + 1, list its
// arguments and outputs, infer shapes, bind with gradient arrays, run forward, then backward with a head gradient
// of ones: every gradient is 0.1.
//
//	go run ./examples/symbolic
package main

import (
	"fmt"
	"io"
	"log"
	"math"
	"math/rand"
	"os"

	mxc "github.com/mxc/mxc-go"
	"github.com/mxc/mxc-go/sym"
)

func main() {
	if err := run(os.Stdout); err != nil {
		log.Fatal(err)
	}
}

// run is the example, printing to w.
func run(w io.Writer) error {
	a, err := mxc.Variable("A") // a placeholder: an input, a weight, anything
	if err != nil {
		return err
	}
	b, err := mxc.Variable("B")
	if err != nil {
		return err
	}
	c, err := sym.ElemwiseAdd(a, b, nil)
	if err != nil {
		return err
	}
	c, err = sym.DivScalar(c, &sym.DivScalarOpts{Scalar: mxc.Ptr(10.0)})
	if err != nil {
		return err
	}
	d, err := sym.PlusScalar(c, &sym.PlusScalarOpts{Scalar: mxc.Ptr(1.0)})
	if err != nil {
		return err
	}
	defer d.Close()

	args, err := d.ListArguments()
	if err != nil {
		return err
	}
	outs, err := d.ListOutputs()
	if err != nil {
		return err
	}
	fmt.Fprintln(w, "arguments:", args)
	fmt.Fprintln(w, "outputs:", outs)

	argShapes, outShapes, auxShapes, err := d.InferShape(map[string][]int{"A": {10}, "B": {10}})
	if err != nil {
		return err
	}
	fmt.Fprintln(w, "shapes:", argShapes, outShapes, auxShapes)

	// Inputs and gradient buffers, bound with grad_req "write".
	inputs := map[string]*mxc.NDArray{}
	grads := map[string]*mxc.NDArray{}
	for _, name := range args {
		inputs[name] = ones(10)
		grads[name] = ones(10)
	}
	exe, err := d.Bind(mxc.CPU(), mxc.BindConfig{Args: inputs, Grads: grads, GradReq: mxc.GradWrite})
	if err != nil {
		return err
	}
	defer exe.Close()

	rng := rand.New(rand.NewSource(1))
	for _, name := range args {
		v := make([]float32, 10)
		for i := range v {
			v[i] = rng.Float32()
		}
		if err := exe.Arg(name).CopyFrom(v); err != nil {
			return err
		}
	}
	if err := exe.Forward(true); err != nil {
		return err
	}
	out, err := exe.Output(0)
	if err != nil {
		return err
	}
	res, err := out.Float32s()
	if err != nil {
		return err
	}
	fmt.Fprintln(w, "forward:", res)

	// The output is not a loss, so feed the gradient of "a future computation": ones.
	if err := exe.Backward(ones(10)); err != nil {
		return err
	}
	for _, name := range args {
		g, err := exe.Grad(name).Float32s()
		if err != nil {
			return err
		}
		fmt.Fprintf(w, "grad %s: %v\n", name, g)
		for _, x := range g {
			if math.Abs(float64(x)-0.1) > 1e-6 {
				return fmt.Errorf("gradient of %s is %v, want 0.1 everywhere", name, g)
			}
		}
	}
	// Written into the arrays handed over.
	g, err := grads["A"].Float32s()
	if err != nil {
		return err
	}
	fmt.Fprintln(w, "grads[A]:", g)
	return nil
}

func ones(n int) *mxc.NDArray {
	v := make([]float32, n)
	for i := range v {
		v[i] = 1
	}
	a, err := mxc.NewArray(v)
	check(err)
	return a
}

func check(err error) {
	if err != nil {
		log.Fatal(err)
	}
}
