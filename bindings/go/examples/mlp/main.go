// The seed's two-layer perceptron (05_mlp_executor.py) in Go: a 784-128-10 MLP on MNIST-format data, bound to an
// executor, trained with forward/backward and the library's sgd_update, evaluated each epoch by a second executor
// that shares the weights.
//
//	go run ./examples/mlp -epochs 10
//
// The data is Fashion-MNIST from /usr/share/datasets/fashion-mnist unless $MXC_MNIST_DIR names another folder of
// MNIST idx files; $SEED_EPOCHS sets the default number of epochs.
package main

import (
	"flag"
	"fmt"
	"log"
	"math/rand"
	"os"
	"strconv"
	"time"

	mxc "github.com/mxc/mxc-go"
	"github.com/mxc/mxc-go/examples/internal/mnist"
	"github.com/mxc/mxc-go/nd"
	"github.com/mxc/mxc-go/sym"
)

// config of a training run.
type config struct {
	epochs    int
	batchSize int
	lr        float64
	trainN    int // use the first trainN training images (0: all)
	testN     int // evaluate on the first testN test images (0: all)
	dir       string
	dev       mxc.Device
	verbose   bool
}

func main() {
	epochs := 10
	if s := os.Getenv("SEED_EPOCHS"); s != "" {
		if n, err := strconv.Atoi(s); err == nil {
			epochs = n
		}
	}
	cfg := config{batchSize: 128, dev: mxc.CPU(), verbose: true}
	flag.IntVar(&cfg.epochs, "epochs", epochs, "number of epochs")
	flag.Float64Var(&cfg.lr, "lr", 0.001, "learning rate of sgd_update (the seed's W - G * .001)")
	flag.StringVar(&cfg.dir, "data", mnist.Dir(), "folder of the MNIST-format idx files")
	flag.Parse()
	if mxc.NumGPUs() > 0 {
		cfg.dev = mxc.GPU(0)
	}
	start := time.Now()
	acc, err := train(cfg)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("final accuracy", acc)
	fmt.Printf("wall time %.1f s\n", time.Since(start).Seconds())
}

// mlp is the seed's network: explicit variables for the first layer, automatic ones for the second.
func mlp() (*mxc.Symbol, error) {
	data, err := mxc.Variable("data")
	if err != nil {
		return nil, err
	}
	label, err := mxc.Variable("softmax_label")
	if err != nil {
		return nil, err
	}
	w1, err := mxc.Variable("weight1")
	if err != nil {
		return nil, err
	}
	b1, err := mxc.Variable("bias1")
	if err != nil {
		return nil, err
	}
	l1, err := sym.FullyConnected(data, w1, b1, &sym.FullyConnectedOpts{NumHidden: 128, Name: "layer1"})
	if err != nil {
		return nil, err
	}
	a1, err := sym.Activation(l1, &sym.ActivationOpts{ActType: "relu", Name: "act1"})
	if err != nil {
		return nil, err
	}
	l2, err := sym.FullyConnected(a1, nil, nil, &sym.FullyConnectedOpts{NumHidden: 10, Name: "layer2"})
	if err != nil {
		return nil, err
	}
	return sym.SoftmaxOutput(l2, label, nil)
}

func train(cfg config) (float64, error) {
	net, err := mlp()
	if err != nil {
		return 0, err
	}
	defer net.Close()
	args, err := net.ListArguments()
	if err != nil {
		return 0, err
	}
	if cfg.verbose {
		fmt.Println("arguments:", args)
	}
	bs := cfg.batchSize
	exe, err := net.SimpleBind(cfg.dev, map[string][]int{"data": {bs, 784}, "softmax_label": {bs}}, mxc.GradWrite)
	if err != nil {
		return 0, err
	}
	defer exe.Close()
	// The test executor shares every argument array (the weights) with the training one, without gradients.
	test, err := net.Bind(cfg.dev, mxc.BindConfig{Args: exe.ArgDict()})
	if err != nil {
		return 0, err
	}
	defer test.Close()

	// Initialise every argument with N(0, 0.02^2).
	rng := rand.New(rand.NewSource(0))
	for _, a := range exe.ArgArrays() {
		w := make([]float32, a.Size())
		for i := range w {
			w[i] = float32(rng.NormFloat64() * 0.02)
		}
		if err := a.CopyFrom(w); err != nil {
			return 0, err
		}
	}

	trainSet, err := mnist.Load(cfg.dir, "train")
	if err != nil {
		return 0, err
	}
	testSet, err := mnist.Load(cfg.dir, "t10k")
	if err != nil {
		return 0, err
	}
	n := trainSet.N
	if cfg.trainN > 0 && cfg.trainN < n {
		n = cfg.trainN
	}
	// Don't update the inputs: MXNet makes no distinction between weights and data.
	type param struct{ w, g *mxc.NDArray }
	var params []param
	for i, name := range args {
		if name != "data" && name != "softmax_label" {
			params = append(params, param{exe.ArgArrays()[i], exe.GradArrays()[i]})
		}
	}
	x := make([]float32, bs*784)
	y := make([]float32, bs)
	fill := func(set *mnist.Set, idx []int) {
		for b, i := range idx {
			for j, p := range set.Image(i) {
				x[b*784+j] = float32(p) / 255
			}
			y[b] = float32(set.Labels[i])
		}
	}
	data, label := exe.Arg("data"), exe.Arg("softmax_label")
	out, err := test.Output(0)
	if err != nil {
		return 0, err
	}
	probs := make([]float32, bs*10)
	accuracy := 0.0
	for epoch := 0; epoch < cfg.epochs; epoch++ {
		if cfg.verbose {
			fmt.Println("Starting epoch", epoch)
		}
		perm := rng.Perm(n)
		for start := 0; start+bs <= n; start += bs { // the executor is bound to batches of bs: drop the rest
			fill(trainSet, perm[start:start+bs])
			if err := data.CopyFrom(x); err != nil {
				return 0, err
			}
			if err := label.CopyFrom(y); err != nil {
				return 0, err
			}
			if err := exe.Forward(true); err != nil {
				return 0, err
			}
			if err := exe.Backward(); err != nil {
				return 0, err
			}
			// The weight update, imperatively: sgd_update writes into the weight.
			for _, p := range params {
				if _, err := nd.SgdUpdate(p.w, p.g, &nd.SgdUpdateOpts{Lr: cfg.lr, Out: p.w}); err != nil {
					return 0, err
				}
			}
		}

		correct, total := 0, 0
		idx := make([]int, bs)
		nTest := testSet.N
		if cfg.testN > 0 && cfg.testN < nTest {
			nTest = cfg.testN
		}
		for start := 0; start+bs <= nTest; start += bs {
			for i := range idx {
				idx[i] = start + i
			}
			fill(testSet, idx)
			if err := data.CopyFrom(x); err != nil {
				return 0, err
			}
			if err := test.Forward(false); err != nil {
				return 0, err
			}
			if err := out.CopyTo(probs); err != nil {
				return 0, err
			}
			for b := 0; b < bs; b++ {
				if argmax(probs[b*10:(b+1)*10]) == int(testSet.Labels[start+b]) {
					correct++
				}
				total++
			}
		}
		accuracy = float64(correct) / float64(total)
		if cfg.verbose {
			fmt.Println("Accuracy thus far", accuracy)
		}
	}
	return accuracy, nil
}

func argmax(v []float32) int {
	best := 0
	for i, x := range v {
		if x > v[best] {
			best = i
		}
	}
	return best
}
