// Loads a checkpoint saved by the Python package (mx.model.save_checkpoint: prefix-symbol.json and
// prefix-NNNN.params) and prints its predictions for the first test images of an MNIST-format data set, in the
// format make_checkpoint.py prints them from Python.
//
//	python3 examples/predict/make_checkpoint.py /tmp/mlp 2 10   # train and save with Python
//	go run ./examples/predict -prefix /tmp/mlp -epoch 2 -n 10    # the same predictions from Go
package main

import (
	"flag"
	"fmt"
	"log"

	mxc "github.com/mxc/mxc-go"
	"github.com/mxc/mxc-go/examples/internal/mnist"
	"github.com/mxc/mxc-go/predict"
)

func main() {
	prefix := flag.String("prefix", "mlp", "checkpoint prefix")
	epoch := flag.Int("epoch", 1, "checkpoint epoch")
	n := flag.Int("n", 10, "number of test images to predict")
	dir := flag.String("data", mnist.Dir(), "folder of the MNIST-format idx files")
	flag.Parse()
	labels, probs, err := run(*prefix, *epoch, *n, *dir)
	if err != nil {
		log.Fatal(err)
	}
	for i, p := range probs {
		best := 0
		for j := range p {
			if p[j] > p[best] {
				best = j
			}
		}
		fmt.Printf("image %d: label %d, predicted %d (p=%.6f)\n", i, labels[i], best, p[best])
	}
}

// run predicts the first n test images in one batch and returns their labels and class probabilities.
func run(prefix string, epoch, n int, dir string) ([]int, [][]float32, error) {
	test, err := mnist.Load(dir, "t10k")
	if err != nil {
		return nil, nil, err
	}
	if n > test.N {
		n = test.N
	}
	p, err := predict.Load(prefix, epoch, mxc.CPU(), map[string][]int{"data": {n, 784}})
	if err != nil {
		return nil, nil, err
	}
	defer p.Close()
	x := make([]float32, n*784)
	labels := make([]int, n)
	for i := 0; i < n; i++ {
		for j, v := range test.Image(i) {
			x[i*784+j] = float32(v) / 255
		}
		labels[i] = int(test.Labels[i])
	}
	out, err := p.Predict(x)
	if err != nil {
		return nil, nil, err
	}
	probs := make([][]float32, n)
	for i := range probs {
		probs[i] = out[i*10 : (i+1)*10]
	}
	return labels, probs, nil
}
