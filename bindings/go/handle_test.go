package mxc

import (
	"errors"
	"sync"
	"testing"
	"unsafe"
)

// The handle is freed exactly once, and never while a call holds it.
func TestRefFreesOnceAfterLastUser(t *testing.T) {
	var x int
	frees := 0
	var mu sync.Mutex
	r := &ref{p: unsafe.Pointer(&x), what: "Thing", free: func(p unsafe.Pointer) error {
		mu.Lock()
		frees++
		mu.Unlock()
		return nil
	}}
	p1, err := r.acquire()
	if err != nil || p1 != unsafe.Pointer(&x) {
		t.Fatalf("acquire: %v %v", p1, err)
	}
	p2, _ := r.acquire() // the same handle twice (an array passed as two inputs)
	if err := r.close(); err != nil || frees != 0 {
		t.Fatalf("close while in use freed it: %d %v", frees, err)
	}
	if _, err := r.acquire(); !errors.Is(err, ErrClosed) {
		t.Fatalf("acquire after close: %v", err)
	}
	r.release()
	if frees != 0 {
		t.Fatal("freed while a user remains")
	}
	r.release()
	if frees != 1 {
		t.Fatalf("%d frees after the last release", frees)
	}
	_ = p2
	if err := r.close(); err != nil || frees != 1 {
		t.Fatalf("second close: %d %v", frees, err)
	}
	if !r.isClosed() {
		t.Fatal("not closed")
	}
}

func TestAcquireAllReleasesOnFailure(t *testing.T) {
	var x int
	free := func(unsafe.Pointer) error { return nil }
	a := &ref{p: unsafe.Pointer(&x), what: "A", free: free}
	b := &ref{p: unsafe.Pointer(&x), what: "B", free: free}
	_ = b.close()
	if _, _, err := acquireAll([]*ref{a, nil, b}); !errors.Is(err, ErrClosed) {
		t.Fatalf("acquireAll with a closed ref: %v", err)
	}
	if a.users != 0 {
		t.Fatalf("a still has %d users", a.users)
	}
	ps, rel, err := acquireAll([]*ref{a, nil, a})
	if err != nil || ps[1] != nil || ps[0] != ps[2] || a.users != 2 {
		t.Fatalf("acquireAll: %v %v %d", ps, err, a.users)
	}
	rel()
	if a.users != 0 {
		t.Fatalf("release left %d users", a.users)
	}
}

func TestParseError(t *testing.T) {
	for msg, want := range map[string]Error{
		"ShapeError: a: b":        {Kind: KindShape, Message: "a: b"},
		"DeviceError: no gpu":     {Kind: KindDevice, Message: "no gpu"},
		"FutureError: new kind":   {Kind: "FutureError", Message: "new kind"},
		"something odd: happened": {Kind: KindInternal, Message: "something odd: happened"},
		"":                        {Kind: KindInternal, Message: "the library reported a failure without a message"},
	} {
		got := parseError(msg)
		if got.Kind != want.Kind || got.Message != want.Message {
			t.Errorf("parseError(%q) = %+v, want %+v", msg, got, want)
		}
	}
	if s := parseError("ValueError: x").Error(); s != "ValueError: x" {
		t.Errorf("Error() = %q", s)
	}
}
