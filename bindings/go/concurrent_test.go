package mxc_test

import (
	"errors"
	"fmt"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"

	mxc "github.com/mxc/mxc-go"
	"github.com/mxc/mxc-go/nd"
)

// Each failing call carries its own message even when many goroutines fail at once on shared OS threads: the
// message is copied inside the same C call as the failure.
func TestConcurrentErrorsStayWithTheirCall(t *testing.T) {
	const workers, iters = 16, 200
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; i < iters; i++ {
				name := fmt.Sprintf("no_such_op_%d_%d", w, i)
				_, err := mxc.LookupOp(name)
				var e *mxc.Error
				if !errors.As(err, &e) || e.Kind != mxc.KindValue || !strings.Contains(e.Message, name) {
					errs <- fmt.Errorf("worker %d: error %v does not name %s", w, err, name)
					return
				}
				// Interleave successful calls and borrowed returns (names, shapes) on the same threads.
				if _, err := mxc.ListOps(); err != nil {
					errs <- err
					return
				}
				a, err := nd.Full(&nd.FullOpts{Shape: []int{w + 1}, Value: float64(w)})
				if err != nil {
					errs <- err
					return
				}
				if a.Size() != w+1 {
					errs <- fmt.Errorf("worker %d: shape %v", w, a.Shape())
				}
				_ = a.Close()
			}
		}(w)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func TestConcurrentArrays(t *testing.T) {
	shared := must(mxc.NewArray([]float32{1, 2, 3, 4}, 2, 2))
	defer shared.Close()
	dir := t.TempDir()
	const workers, iters = 8, 50
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			fail := func(err error) { errs <- fmt.Errorf("worker %d: %w", w, err) }
			for i := 0; i < iters; i++ {
				// Everyone reads the shared array.
				v, err := shared.Float32s()
				if err != nil || !reflect.DeepEqual(v, []float32{1, 2, 3, 4}) {
					fail(fmt.Errorf("shared read %v %v", v, err))
					return
				}
				// Private arrays through operators, views and save/load.
				a, err := nd.Full(&nd.FullOpts{Shape: []int{3, 2}, Value: float64(w*1000 + i)})
				if err != nil {
					fail(err)
					return
				}
				row, err := a.At(1)
				if err != nil {
					fail(err)
					return
				}
				rv, err := row.Float32s()
				if err != nil || !reflect.DeepEqual(rv, []float32{float32(w*1000 + i), float32(w*1000 + i)}) {
					fail(fmt.Errorf("row %v %v", rv, err))
					return
				}
				if i%10 == 0 {
					fname := filepath.Join(dir, fmt.Sprintf("w%d.params", w))
					if err := mxc.SaveMap(fname, map[string]*mxc.NDArray{"a": a}); err != nil {
						fail(err)
						return
					}
					m, err := mxc.LoadMap(fname)
					if err != nil || !reflect.DeepEqual(m["a"].Shape(), []int{3, 2}) {
						fail(fmt.Errorf("load %v %v", m, err))
						return
					}
					_ = m["a"].Close()
				}
				_ = row.Close()
				_ = a.Close()
			}
		}(w)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// Closing an array while other goroutines use it never frees it under them: each use either completes with the
// right values or reports ErrClosed.
func TestCloseWhileInUse(t *testing.T) {
	for round := 0; round < 20; round++ {
		a := must(mxc.NewArray([]float64{1, 2, 3}))
		var wg sync.WaitGroup
		errs := make(chan error, 8)
		for w := 0; w < 8; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := 0; i < 20; i++ {
					v, err := a.Float64s()
					if err != nil {
						if !errors.Is(err, mxc.ErrClosed) {
							errs <- err
						}
						return
					}
					if !reflect.DeepEqual(v, []float64{1, 2, 3}) {
						errs <- fmt.Errorf("values %v", v)
						return
					}
				}
			}()
		}
		noErr(t, a.Close())
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
	}
}
