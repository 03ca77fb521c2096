package mxc

// #include "shim.h"
import "C"

import (
	"fmt"
	"unsafe"
)

// HeaderVersionMajor and HeaderVersionMinor are the version of the mxc.h this package was built against.
const (
	HeaderVersionMajor = C.MXC_VERSION_MAJOR
	HeaderVersionMinor = C.MXC_VERSION_MINOR
)

func init() {
	major, minor, err := Version()
	if err != nil || major != HeaderVersionMajor {
		// A library of another major version has another ABI: calling it could corrupt memory. This is a broken
		// installation, not a run-time condition a program could handle, hence the panic at load.
		panic(fmt.Sprintf("mxc: libmxc version %d.%d (err %v) does not match mxc.h version %d.%d this binding was "+
			"built with; rebuild the binding against the installed library", major, minor, err,
			HeaderVersionMajor, HeaderVersionMinor))
	}
}

// Version is the library's version.
func Version() (major, minor int, err error) {
	var ma, mi C.int
	var cerr *C.char
	if err := check(C.go_GetVersion(&ma, &mi, &cerr), cerr); err != nil {
		return 0, 0, err
	}
	return int(ma), int(mi), nil
}

// Features reports what the library was built with: "CUDA", "CUDNN", "BLAS_OPENBLAS", "OPENMP", ...
func Features() (map[string]bool, error) {
	var num C.int
	var names *C.char
	var length C.int64_t
	var enabled *C.int
	var cerr *C.char
	if err := check(C.go_Features(&num, &names, &length, &enabled, &cerr), cerr); err != nil {
		return nil, err
	}
	ns := unpack(names, num, length)
	en := unsafe.Slice(enabled, int(num))
	out := make(map[string]bool, len(ns))
	for i, n := range ns {
		out[n] = en[i] != 0
	}
	C.free(unsafe.Pointer(enabled))
	return out, nil
}

// NumDevices is the number of devices of a kind usable now: 1 for CPUDevice; for GPUDevice 0 in a build without
// CUDA or on a machine without a GPU.
func NumDevices(t DeviceType) (int, error) {
	var n C.int
	var cerr *C.char
	if err := check(C.go_GetDeviceCount(C.int(t), &n, &cerr), cerr); err != nil {
		return 0, err
	}
	return int(n), nil
}

// NumGPUs is NumDevices(GPUDevice), 0 on error.
func NumGPUs() int {
	n, err := NumDevices(GPUDevice)
	if err != nil {
		return 0
	}
	return n
}

// Seed seeds every random generator of the library.
func Seed(seed uint64) error {
	var cerr *C.char
	return check(C.go_RandomSeed(C.uint64_t(seed), &cerr), cerr)
}

// WaitAll waits for all pending work of the library and returns the first error of failed work not yet reported.
func WaitAll() error {
	var cerr *C.char
	return check(C.go_WaitAll(&cerr), cerr)
}

// SetEngine selects the engine: "NaiveEngine" (synchronous) or "ThreadedEngine" (asynchronous).
func SetEngine(name string) error {
	cs := C.CString(name)
	defer C.free(unsafe.Pointer(cs))
	var cerr *C.char
	return check(C.go_EngineSetType(cs, &cerr), cerr)
}

// Engine is the name of the engine in use.
func Engine() (string, error) {
	var name, cerr *C.char
	if err := check(C.go_EngineGetType(&name, &cerr), cerr); err != nil {
		return "", err
	}
	return goString(name), nil
}
