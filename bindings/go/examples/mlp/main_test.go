package main

import (
	"strings"
	"testing"

	mxc "github.com/mxc/mxc-go"
	"github.com/mxc/mxc-go/examples/internal/mnist"
)

// One epoch on part of the training set already separates the classes well above chance (10%).
func TestTrainOneEpoch(t *testing.T) {
	if v, err := mxc.Variable("probe"); err != nil && strings.Contains(err.Error(), "is not in this build") {
		t.Skipf("the linked libmxc has no symbol API yet: %v", err)
	} else if err == nil {
		_ = v.Close()
	}
	acc, err := train(config{epochs: 1, batchSize: 128, lr: 0.001, trainN: 20000, dir: mnist.Dir(), dev: mxc.CPU()})
	if err != nil {
		t.Fatal(err)
	}
	if acc < 0.65 {
		t.Fatalf("accuracy after one epoch on 20000 images: %.3f, want >= 0.65", acc)
	}
	t.Logf("accuracy after one epoch on 20000 images: %.3f", acc)
}
