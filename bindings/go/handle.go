package mxc

import (
	"sync"
	"unsafe"
)

// ref guards one library handle shared by goroutines. Each call takes it with acquire and gives it back with
// release; Close marks it closed, and the handle is freed when the last call using it has returned, so a Close
// racing with a call never frees a handle in use. After Close, acquire returns an error matching ErrClosed.
type ref struct {
	mu     sync.Mutex
	p      unsafe.Pointer
	users  int
	closed bool
	what   string                     // "NDArray", "Symbol", "Executor": for the closed error
	free   func(unsafe.Pointer) error // releases p
}

func (r *ref) acquire() (unsafe.Pointer, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return nil, closedError(r.what)
	}
	r.users++
	return r.p, nil
}

func (r *ref) release() {
	r.mu.Lock()
	r.users--
	var p unsafe.Pointer
	if r.closed && r.users == 0 && r.p != nil {
		p, r.p = r.p, nil
	}
	r.mu.Unlock()
	if p != nil {
		_ = r.free(p)
	}
}

// close marks the handle closed and frees it unless calls are using it (the last of them frees it). Closing twice
// is not an error.
func (r *ref) close() error {
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		return nil
	}
	r.closed = true
	var p unsafe.Pointer
	if r.users == 0 {
		p, r.p = r.p, nil
	}
	r.mu.Unlock()
	if p != nil {
		return r.free(p)
	}
	return nil
}

func (r *ref) isClosed() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.closed
}

// acquireAll takes every ref of a list (nil entries give nil pointers); on failure nothing stays taken. The returned
// function releases them.
func acquireAll(refs []*ref) ([]unsafe.Pointer, func(), error) {
	ps := make([]unsafe.Pointer, len(refs))
	n := 0
	rel := func() {
		for _, r := range refs[:n] {
			if r != nil {
				r.release()
			}
		}
	}
	for i, r := range refs {
		if r != nil {
			p, err := r.acquire()
			if err != nil {
				rel()
				return nil, nil, err
			}
			ps[i] = p
		}
		n = i + 1
	}
	return ps, rel, nil
}
