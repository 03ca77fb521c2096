package mxc

// Every call into the library goes through a shim of shim.c that makes the call and, on failure, copies
// MXCGetLastError() in the same C call (see shim.h). This file holds the link flags and the Go helpers of that
// convention.

/*
#cgo CFLAGS: -I${SRCDIR}/../../include
#cgo LDFLAGS: -L${SRCDIR}/../../build -lmxc -Wl,-rpath,${SRCDIR}/../../build
#include "shim.h"
*/
import "C"

import (
	"bytes"
	"unsafe"
)

// maxDim is the capacity of the shape buffer go_NDArrayInfo fills.
const maxDim = C.MXCGO_MAXDIM

// check turns a shim's result into an error, freeing the copied message.
func check(rc C.int, cerr *C.char) error {
	if rc == 0 {
		return nil
	}
	msg := C.GoString(cerr)
	C.free(unsafe.Pointer(cerr))
	return parseError(msg)
}

// unpack splits a buffer made by mxcgo_pack into n strings and frees it.
func unpack(buf *C.char, n C.int, length C.int64_t) []string {
	out := make([]string, 0, int(n))
	if buf == nil {
		return out
	}
	b := C.GoBytes(unsafe.Pointer(buf), C.int(length))
	C.free(unsafe.Pointer(buf))
	for i := 0; i < int(n); i++ {
		j := bytes.IndexByte(b, 0)
		if j < 0 {
			break
		}
		out = append(out, string(b[:j]))
		b = b[j+1:]
	}
	return out
}

// goString copies a strdup'ed C string and frees it.
func goString(s *C.char) string {
	if s == nil {
		return ""
	}
	r := C.GoString(s)
	C.free(unsafe.Pointer(s))
	return r
}

// cstrings converts Go strings to C strings; call the returned function to free them. An empty list gives nil.
func cstrings(ss []string) ([]*C.char, func()) {
	if len(ss) == 0 {
		return nil, func() {}
	}
	cs := make([]*C.char, len(ss))
	for i, s := range ss {
		cs[i] = C.CString(s)
	}
	return cs, func() {
		for _, c := range cs {
			C.free(unsafe.Pointer(c))
		}
	}
}

// first returns a pointer to the first element of a slice, or nil for an empty one.
func first[T any](s []T) *T {
	if len(s) == 0 {
		return nil
	}
	return &s[0]
}
