// Package mxc is the Go binding of mxc, a deep-learning framework in the MXNet 1.x tradition. It calls the C API of
// include/mxc.h through cgo and nothing else of the library, exactly as the Python package does.
//
// The package holds NDArrays, Symbols, Executors and the generic operator interface (LookupOp, Invoke). One
// function per operator, generated from the library's registry, lives in package nd (imperative, on NDArrays) and
// package sym (symbolic); package predict loads a checkpoint and predicts.
//
//	a, _ := mxc.NewArray([]float32{1, 2, 3, 4}, 2, 2)
//	defer a.Close()
//	b, _ := nd.ElemwiseAdd(a, a, nil)
//	v, _ := b.Float32s() // waits for the result: [2 4 6 8]
//
// # Building
//
// Build the library first, from the repository root:
//
//	cmake -S . -B build && cmake --build build
//
// The cgo directives point at ../../include and ../../build relative to this directory, with an rpath, so that
// `go test ./...` and `go run ./examples/...` in bindings/go work with no environment. For a library elsewhere, set
// CGO_CFLAGS=-I<dir of mxc.h> and CGO_LDFLAGS="-L<dir of libmxc.so> -Wl,-rpath,<dir of libmxc.so>" (they are
// searched before the built-in paths).
//
// # Errors
//
// Every failing call returns an *Error carrying the library's kind (KindShape, KindValue, ...) and message; use
// errors.As. The message is fetched in the same C call as the failure (see shim.h), never by a second call that
// could run on another OS thread. Errors the binding finds itself (a []float64 for a float32 array, a closed
// handle) have the same type; a closed handle's error also matches ErrClosed with errors.Is.
//
// # Handles and goroutines
//
// NDArray, Symbol and Executor own a library handle, released by Close (and by a finalizer for values never
// closed). A Close racing with calls on the same value is safe: the handle is freed when the last call returns, and
// later calls fail with ErrClosed. The C API is thread-safe for distinct objects and for reading shared ones;
// results it lends ("valid until the next call on this thread") are copied inside the same C call, so goroutines
// may freely share the library. NDArrays may be used from several goroutines at once (the engine orders reads and
// writes of the same storage); a Symbol may be read concurrently but Compose and SetAttr change it; an Executor
// must be used by one goroutine at a time.
package mxc
