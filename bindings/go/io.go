package mxc

// #include "shim.h"
import "C"

import (
	"fmt"
	"runtime"
	"sort"
	"unsafe"
)

// Save writes arrays to a file in the mxc array format (the format of the Python package's mx.nd.save). names is
// nil for unnamed arrays, else holds one name per array.
func Save(fname string, arrays []*NDArray, names []string) error {
	if names != nil && len(names) != len(arrays) {
		return newError(KindValue, fmt.Sprintf("Save: %d arrays but %d names", len(arrays), len(names)))
	}
	hs, rel, err := acquireArrays(arrays)
	if err != nil {
		return err
	}
	defer rel()
	if err := noNil(arrays, "Save"); err != nil {
		return err
	}
	keys, freeKeys := cstrings(names)
	defer freeKeys()
	cf := C.CString(fname)
	defer C.free(unsafe.Pointer(cf))
	var cerr *C.char
	return check(C.go_NDArraySave(cf, C.int(len(hs)), first(hs), first(keys), &cerr), cerr)
}

// SaveMap writes named arrays (in sorted name order) to a file.
func SaveMap(fname string, arrays map[string]*NDArray) error {
	a, n := sortedMap(arrays)
	return Save(fname, a, n)
}

func sortedMap(m map[string]*NDArray) ([]*NDArray, []string) {
	names := make([]string, 0, len(m))
	for k := range m {
		names = append(names, k)
	}
	sort.Strings(names)
	arrays := make([]*NDArray, len(names))
	for i, k := range names {
		arrays[i] = m[k]
	}
	return arrays, names
}

func noNil(arrays []*NDArray, op string) error {
	for i, a := range arrays {
		if a == nil {
			return newError(KindValue, fmt.Sprintf("%s: array %d is nil", op, i))
		}
	}
	return nil
}

// SaveToBytes is Save into a byte slice.
func SaveToBytes(arrays []*NDArray, names []string) ([]byte, error) {
	if names != nil && len(names) != len(arrays) {
		return nil, newError(KindValue, fmt.Sprintf("SaveToBytes: %d arrays but %d names", len(arrays), len(names)))
	}
	hs, rel, err := acquireArrays(arrays)
	if err != nil {
		return nil, err
	}
	defer rel()
	if err := noNil(arrays, "SaveToBytes"); err != nil {
		return nil, err
	}
	keys, freeKeys := cstrings(names)
	defer freeKeys()
	var buf unsafe.Pointer
	var size C.int64_t
	var cerr *C.char
	if err := check(C.go_NDArraySaveToBuffer(C.int(len(hs)), first(hs), first(keys), &buf, &size, &cerr), cerr); err != nil {
		return nil, err
	}
	b := C.GoBytes(buf, C.int(size))
	C.free(buf)
	return b, nil
}

func loaded(num C.int, hs *C.MXCNDArrayHandle, nkeys C.int, keybuf *C.char, keylen C.int64_t) ([]*NDArray, []string,
	error) {
	handles := append([]C.MXCNDArrayHandle(nil), unsafe.Slice(hs, int(num))...)
	C.free(unsafe.Pointer(hs))
	names := unpack(keybuf, nkeys, keylen)
	arrays, err := wrapNDArrays(handles)
	if err != nil {
		return nil, nil, err
	}
	if nkeys == 0 {
		names = nil
	}
	return arrays, names, nil
}

// Load reads arrays saved by Save (or the Python package's mx.nd.save); names is nil when they were saved without
// names. A corrupt or truncated file is a KindIO error.
func Load(fname string) (arrays []*NDArray, names []string, err error) {
	cf := C.CString(fname)
	defer C.free(unsafe.Pointer(cf))
	var num, nkeys C.int
	var hs *C.MXCNDArrayHandle
	var keybuf *C.char
	var keylen C.int64_t
	var cerr *C.char
	if err := check(C.go_NDArrayLoad(cf, &num, &hs, &nkeys, &keybuf, &keylen, &cerr), cerr); err != nil {
		return nil, nil, err
	}
	return loaded(num, hs, nkeys, keybuf, keylen)
}

// LoadMap reads named arrays; a file of unnamed arrays is a KindValue error.
func LoadMap(fname string) (map[string]*NDArray, error) {
	arrays, names, err := Load(fname)
	if err != nil {
		return nil, err
	}
	return toMap(arrays, names, fname)
}

func toMap(arrays []*NDArray, names []string, what string) (map[string]*NDArray, error) {
	if names == nil && len(arrays) > 0 {
		for _, a := range arrays {
			_ = a.Close()
		}
		return nil, newError(KindValue, fmt.Sprintf("%s holds unnamed arrays", what))
	}
	m := make(map[string]*NDArray, len(arrays))
	for i, a := range arrays {
		m[names[i]] = a
	}
	return m, nil
}

// LoadFromBytes is Load from a byte slice.
func LoadFromBytes(b []byte) (arrays []*NDArray, names []string, err error) {
	var num, nkeys C.int
	var hs *C.MXCNDArrayHandle
	var keybuf *C.char
	var keylen C.int64_t
	var cerr *C.char
	rc := C.go_NDArrayLoadFromBuffer(unsafe.Pointer(first(b)), C.int64_t(len(b)), &num, &hs, &nkeys, &keybuf, &keylen,
		&cerr)
	runtime.KeepAlive(b)
	if err := check(rc, cerr); err != nil {
		return nil, nil, err
	}
	return loaded(num, hs, nkeys, keybuf, keylen)
}
