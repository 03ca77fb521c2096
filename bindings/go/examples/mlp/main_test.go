package main

import (
	"testing"

	mxc "github.com/mxc/mxc-go"
	"github.com/mxc/mxc-go/examples/internal/mnist"
)

// One epoch on part of the training set already separates the classes well above chance (10%).
func TestTrainOneEpoch(t *testing.T) {
	acc, err := train(config{epochs: 1, batchSize: 128, lr: 0.001, trainN: 10000, testN: 2000, dir: mnist.Dir(),
		dev: mxc.CPU()})
	if err != nil {
		t.Fatal(err)
	}
	if acc < 0.5 {
		t.Fatalf("accuracy after one epoch on 10000 images: %.3f, want >= 0.5", acc)
	}
	t.Logf("accuracy after one epoch on 10000 images: %.3f", acc)
}
