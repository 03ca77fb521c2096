// Package predict runs a trained model: it loads a checkpoint written by the Python package's
// mx.model.save_checkpoint (or by Save here) and binds it for inference.
//
//	p, err := predict.Load("mlp", 10, mxc.CPU(), map[string][]int{"data": {1, 784}})
//	defer p.Close()
//	probs, err := p.Predict(pixels) // []float32 of the first output
//
// A checkpoint is prefix-symbol.json (the graph) and prefix-NNNN.params (NNNN the epoch, four digits), the
// parameters as named arrays with keys "arg:<argument>" and "aux:<auxiliary state>" in the mx.nd.save format.
package predict

import (
	"fmt"
	"sort"
	"strings"

	mxc "github.com/mxc/mxc-go"
	"github.com/mxc/mxc-go/nd"
)

// Predictor is a model bound for inference. Like an Executor it must be used by one goroutine at a time; create
// one Predictor per goroutine to predict concurrently.
type Predictor struct {
	sym    *mxc.Symbol
	exe    *mxc.Executor
	inputs []string       // names of the input arguments, sorted
	owned  []*mxc.NDArray // arrays this predictor allocated
}

// Files returns the names of a checkpoint's files.
func Files(prefix string, epoch int) (symbolFile, paramsFile string) {
	return prefix + "-symbol.json", fmt.Sprintf("%s-%04d.params", prefix, epoch)
}

// LoadParams reads a parameter file into argument and auxiliary state arrays.
func LoadParams(fname string) (args, aux map[string]*mxc.NDArray, err error) {
	m, err := mxc.LoadMap(fname)
	if err != nil {
		return nil, nil, err
	}
	args, aux = map[string]*mxc.NDArray{}, map[string]*mxc.NDArray{}
	for k, v := range m {
		switch {
		case strings.HasPrefix(k, "arg:"):
			args[k[4:]] = v
		case strings.HasPrefix(k, "aux:"):
			aux[k[4:]] = v
		default:
			for _, a := range m {
				_ = a.Close()
			}
			return nil, nil, &mxc.Error{Kind: mxc.KindValue, Message: fmt.Sprintf(
				"'%s' is not a parameter file: key '%s' should start with 'arg:' or 'aux:'", fname, k)}
		}
	}
	return args, aux, nil
}

// Save writes a checkpoint in the format Load (and the Python package's mx.model.load_checkpoint) reads.
func Save(prefix string, epoch int, s *mxc.Symbol, args, aux map[string]*mxc.NDArray) error {
	symFile, paramsFile := Files(prefix, epoch)
	if err := s.Save(symFile); err != nil {
		return err
	}
	all := map[string]*mxc.NDArray{}
	for k, v := range args {
		all["arg:"+k] = v
	}
	for k, v := range aux {
		all["aux:"+k] = v
	}
	return mxc.SaveMap(paramsFile, all)
}

// Load reads the checkpoint prefix at epoch and binds it on dev for inputs of the given shapes (by argument name,
// typically {"data": {batch, ...}}).
func Load(prefix string, epoch int, dev mxc.Device, inputShapes map[string][]int) (*Predictor, error) {
	symFile, paramsFile := Files(prefix, epoch)
	s, err := mxc.LoadSymbol(symFile)
	if err != nil {
		return nil, err
	}
	args, aux, err := LoadParams(paramsFile)
	if err != nil {
		_ = s.Close()
		return nil, err
	}
	p, err := New(s, args, aux, dev, inputShapes)
	if err != nil {
		_ = s.Close()
	}
	for _, m := range []map[string]*mxc.NDArray{args, aux} {
		for _, a := range m {
			_ = a.Close() // the executor keeps its own references (or its copies on dev)
		}
	}
	return p, err
}

// New binds symbol s on dev with the given parameters for inputs of the given shapes. Arguments that are neither
// inputs nor parameters (a loss's label) get zeros of their inferred shape; every auxiliary state must be given.
// The predictor takes s (Close closes it); the parameter arrays stay the caller's.
func New(s *mxc.Symbol, args, aux map[string]*mxc.NDArray, dev mxc.Device, inputShapes map[string][]int) (
	*Predictor, error) {
	p := &Predictor{sym: s}
	fail := func(err error) (*Predictor, error) {
		for _, a := range p.owned {
			_ = a.Close()
		}
		return nil, err
	}
	argNames, err := s.ListArguments()
	if err != nil {
		return fail(err)
	}
	auxNames, err := s.ListAuxiliaryStates()
	if err != nil {
		return fail(err)
	}
	known := map[string][]int{}
	for n, shape := range inputShapes {
		if _, ok := args[n]; ok {
			return fail(&mxc.Error{Kind: mxc.KindValue, Message: fmt.Sprintf("input '%s' is also a parameter", n)})
		}
		known[n] = shape
		p.inputs = append(p.inputs, n)
	}
	sort.Strings(p.inputs)
	for _, n := range argNames {
		if a, ok := args[n]; ok {
			known[n] = a.Shape()
		}
	}
	argShapes, _, _, err := s.InferShape(known)
	if err != nil {
		return fail(err)
	}
	onDev := func(a *mxc.NDArray) (*mxc.NDArray, error) {
		if a.Device() == dev {
			return a, nil
		}
		c, err := mxc.Empty(a.Shape(), a.DType(), dev)
		if err != nil {
			return nil, err
		}
		p.owned = append(p.owned, c)
		return nd.Copyto(a, &nd.CopytoOpts{Out: c})
	}
	cfg := mxc.BindConfig{Args: map[string]*mxc.NDArray{}, Aux: map[string]*mxc.NDArray{}}
	for i, n := range argNames {
		if a, ok := args[n]; ok {
			if cfg.Args[n], err = onDev(a); err != nil {
				return fail(err)
			}
			continue
		}
		if _, isInput := inputShapes[n]; !isInput && !strings.HasSuffix(n, "label") {
			return fail(&mxc.Error{Kind: mxc.KindValue, Message: fmt.Sprintf(
				"argument '%s' is neither an input nor in the parameters", n)})
		}
		z, err := nd.Zeros(&nd.ZerosOpts{Shape: argShapes[i]})
		if err != nil {
			return fail(err)
		}
		p.owned = append(p.owned, z)
		if cfg.Args[n], err = onDev(z); err != nil {
			return fail(err)
		}
	}
	for _, n := range auxNames {
		a, ok := aux[n]
		if !ok {
			return fail(&mxc.Error{Kind: mxc.KindValue, Message: fmt.Sprintf(
				"auxiliary state '%s' is not in the parameters", n)})
		}
		if cfg.Aux[n], err = onDev(a); err != nil {
			return fail(err)
		}
	}
	if p.exe, err = s.Bind(dev, cfg); err != nil {
		return fail(err)
	}
	return p, nil
}

// Inputs returns the names of the inputs, sorted.
func (p *Predictor) Inputs() []string { return append([]string(nil), p.inputs...) }

// SetInput copies data (a slice of the input's element type, []float32 for float32) into the input name.
func (p *Predictor) SetInput(name string, data interface{}) error {
	a := p.exe.Arg(name)
	if a == nil || !contains(p.inputs, name) {
		return &mxc.Error{Kind: mxc.KindValue, Message: fmt.Sprintf("'%s' is not an input (inputs: %v)", name,
			p.inputs)}
	}
	return a.CopyFrom(data)
}

func contains(l []string, s string) bool {
	for _, x := range l {
		if x == s {
			return true
		}
	}
	return false
}

// Forward runs the model on the inputs set.
func (p *Predictor) Forward() error { return p.exe.Forward(false) }

// Output is the i-th output array (valid until Close; overwritten by the next Forward).
func (p *Predictor) Output(i int) (*mxc.NDArray, error) { return p.exe.Output(i) }

// Predict sets the only input, runs forward and returns a copy of the first output as float32.
func (p *Predictor) Predict(data []float32) ([]float32, error) {
	if len(p.inputs) != 1 {
		return nil, &mxc.Error{Kind: mxc.KindValue, Message: fmt.Sprintf(
			"Predict needs a model with one input; this one has %v: use SetInput", p.inputs)}
	}
	if err := p.SetInput(p.inputs[0], data); err != nil {
		return nil, err
	}
	if err := p.Forward(); err != nil {
		return nil, err
	}
	out, err := p.Output(0)
	if err != nil {
		return nil, err
	}
	return out.Float32s()
}

// Close releases the executor, the symbol and the arrays the predictor allocated.
func (p *Predictor) Close() error {
	err := p.exe.Close()
	for _, a := range p.owned {
		_ = a.Close()
	}
	if e := p.sym.Close(); err == nil {
		err = e
	}
	return err
}
