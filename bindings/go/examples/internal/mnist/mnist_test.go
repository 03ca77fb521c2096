package mnist

import (
	"compress/gzip"
	"os"
	"path/filepath"
	"testing"
)

func idx(dims []uint32, data []byte) []byte {
	b := []byte{0, 0, 8, byte(len(dims))}
	for _, d := range dims {
		b = append(b, byte(d>>24), byte(d>>16), byte(d>>8), byte(d))
	}
	return append(b, data...)
}

func TestLoadPlainAndGzipped(t *testing.T) {
	dir := t.TempDir()
	images := make([]byte, 2*784)
	images[784+5] = 200
	write := func(name string, b []byte, gz bool) {
		f, err := os.Create(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		if gz {
			w := gzip.NewWriter(f)
			_, _ = w.Write(b)
			_ = w.Close()
		} else {
			_, _ = f.Write(b)
		}
	}
	write("t10k-images-idx3-ubyte.gz", idx([]uint32{2, 28, 28}, images), true)
	write("t10k-labels-idx1-ubyte", idx([]uint32{2}, []byte{7, 3}), false)
	s, err := Load(dir, "t10k")
	if err != nil {
		t.Fatal(err)
	}
	if s.N != 2 || s.Labels[1] != 3 || s.Image(1)[5] != 200 || s.Image(0)[5] != 0 {
		t.Fatalf("loaded %d images, labels %v", s.N, s.Labels)
	}
	if _, err := Load(dir, "train"); err == nil {
		t.Fatal("missing files accepted")
	}
	write("train-images-idx3-ubyte", idx([]uint32{3, 28, 28}, images), false) // truncated: 2 of 3 images
	write("train-labels-idx1-ubyte", idx([]uint32{3}, []byte{1, 2, 3}), false)
	if _, err := Load(dir, "train"); err == nil {
		t.Fatal("truncated file accepted")
	}
}
