// Package mnist reads the MNIST-format data sets (idx-ubyte files, optionally gzipped) the examples train on: by
// default Fashion-MNIST from Debian's dataset-fashion-mnist (/usr/share/datasets/fashion-mnist), or the folder in
// $MXC_MNIST_DIR.
package mnist

import (
	"compress/gzip"
	"encoding/binary"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// DefaultDir is where Debian's dataset-fashion-mnist puts the files.
const DefaultDir = "/usr/share/datasets/fashion-mnist"

// Dir is $MXC_MNIST_DIR or DefaultDir.
func Dir() string {
	if d := os.Getenv("MXC_MNIST_DIR"); d != "" {
		return d
	}
	return DefaultDir
}

// Set is images (n x 784 pixels, 0..255, row-major) and their labels (0..9).
type Set struct {
	Images []uint8
	Labels []uint8
	N      int
}

// Image returns the pixels of image i.
func (s *Set) Image(i int) []uint8 { return s.Images[i*784 : (i+1)*784] }

func readIdx(path string) (dims []int, data []byte, err error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	var r io.Reader = f
	if filepath.Ext(path) == ".gz" {
		gz, err := gzip.NewReader(f)
		if err != nil {
			return nil, nil, fmt.Errorf("%s: %v", path, err)
		}
		defer gz.Close()
		r = gz
	}
	raw, err := io.ReadAll(r)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %v", path, err)
	}
	if len(raw) < 4 || raw[0] != 0 || raw[1] != 0 || raw[2] != 8 {
		return nil, nil, fmt.Errorf("%s: not an idx file of unsigned bytes", path)
	}
	ndim := int(raw[3])
	if len(raw) < 4+4*ndim {
		return nil, nil, fmt.Errorf("%s: truncated header", path)
	}
	n := 1
	for i := 0; i < ndim; i++ {
		d := int(binary.BigEndian.Uint32(raw[4+4*i:]))
		dims = append(dims, d)
		n *= d
	}
	data = raw[4+4*ndim:]
	if len(data) != n {
		return nil, nil, fmt.Errorf("%s: %d bytes of data for dimensions %v", path, len(data), dims)
	}
	return dims, data, nil
}

func find(dir, stem string) (string, error) {
	for _, name := range []string{stem, stem + ".gz"} {
		p := filepath.Join(dir, name)
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
	}
	return "", fmt.Errorf("%s(.gz) not found in %s; install Debian's dataset-fashion-mnist or set MXC_MNIST_DIR",
		stem, dir)
}

// Load reads the training ("train") or test ("t10k") set from dir.
func Load(dir, which string) (*Set, error) {
	ip, err := find(dir, which+"-images-idx3-ubyte")
	if err != nil {
		return nil, err
	}
	lp, err := find(dir, which+"-labels-idx1-ubyte")
	if err != nil {
		return nil, err
	}
	idims, images, err := readIdx(ip)
	if err != nil {
		return nil, err
	}
	ldims, labels, err := readIdx(lp)
	if err != nil {
		return nil, err
	}
	if len(idims) != 3 || idims[1]*idims[2] != 784 || len(ldims) != 1 || ldims[0] != idims[0] {
		return nil, fmt.Errorf("%s and %s: unexpected dimensions %v and %v", ip, lp, idims, ldims)
	}
	return &Set{Images: images, Labels: labels, N: idims[0]}, nil
}
