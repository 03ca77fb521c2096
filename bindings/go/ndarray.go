package mxc

// #include "shim.h"
import "C"

import (
	"fmt"
	"reflect"
	"runtime"
	"unsafe"
)

// NDArray is an n-dimensional array on a device: a handle to a view of reference-counted storage in the library.
// Operations on it are queued on the library's engine; reading its contents (CopyTo, Float32s, ...) waits for them.
//
// Shape, DType and Device never change for a handle and are kept on the Go side, so they work even after Close.
// Close releases the handle (the storage lives on while other handles or pending work use it); a finalizer does it
// for arrays never closed. Every other method of a closed array returns an error matching ErrClosed.
//
// An NDArray may be used from several goroutines at once; the library orders reads and writes of the same storage
// through its engine, so concurrent writes are applied in some order but never corrupt it.
type NDArray struct {
	r     ref
	shape []int
	dtype DType
	dev   Device
}

func freeNDArray(p unsafe.Pointer) error {
	var cerr *C.char
	return check(C.go_NDArrayFree(C.MXCNDArrayHandle(p), &cerr), cerr)
}

// wrapNDArray takes ownership of a new handle: reads its shape, dtype and device, and sets the finalizer. On
// failure the handle is freed.
func wrapNDArray(h C.MXCNDArrayHandle) (*NDArray, error) {
	var ndim, dtype, devType, devID C.int
	var shape [maxDim]C.int64_t
	var cerr *C.char
	if err := check(C.go_NDArrayInfo(h, &ndim, &shape[0], &dtype, &devType, &devID, &cerr), cerr); err != nil {
		_ = freeNDArray(unsafe.Pointer(h))
		return nil, err
	}
	a := &NDArray{dtype: DType(dtype), dev: Device{DeviceType(devType), int(devID)}}
	a.shape = make([]int, int(ndim))
	for i := range a.shape {
		a.shape[i] = int(shape[i])
	}
	a.r = ref{p: unsafe.Pointer(h), what: "NDArray", free: freeNDArray}
	runtime.SetFinalizer(a, func(a *NDArray) { _ = a.r.close() })
	return a, nil
}

// wrapNDArrays wraps handles; on failure every handle is freed.
func wrapNDArrays(hs []C.MXCNDArrayHandle) ([]*NDArray, error) {
	out := make([]*NDArray, len(hs))
	for i, h := range hs {
		a, err := wrapNDArray(h)
		if err != nil {
			for _, o := range out[:i] {
				_ = o.Close()
			}
			for _, h2 := range hs[i+1:] {
				_ = freeNDArray(unsafe.Pointer(h2))
			}
			return nil, err
		}
		out[i] = a
	}
	return out, nil
}

func (a *NDArray) acquire() (C.MXCNDArrayHandle, error) {
	if a == nil {
		return nil, newError(KindValue, "NDArray is nil")
	}
	p, err := a.r.acquire()
	return C.MXCNDArrayHandle(p), err
}

// arrayRefs returns the refs of arrays (nil stays nil).
func arrayRefs(arrays []*NDArray) []*ref {
	refs := make([]*ref, len(arrays))
	for i, a := range arrays {
		if a != nil {
			refs[i] = &a.r
		}
	}
	return refs
}

// acquireArrays takes every array (nil entries give NULL handles).
func acquireArrays(arrays []*NDArray) ([]C.MXCNDArrayHandle, func(), error) {
	ps, rel, err := acquireAll(arrayRefs(arrays))
	if err != nil {
		return nil, nil, err
	}
	hs := make([]C.MXCNDArrayHandle, len(ps))
	for i, p := range ps {
		hs[i] = C.MXCNDArrayHandle(p)
	}
	return hs, rel, nil
}

func toInt64s(shape []int) []C.int64_t {
	s := make([]C.int64_t, len(shape))
	for i, d := range shape {
		s[i] = C.int64_t(d)
	}
	return s
}

// Empty creates an array with uninitialised contents.
func Empty(shape []int, dtype DType, dev Device) (*NDArray, error) {
	s := toInt64s(shape)
	var h C.MXCNDArrayHandle
	var cerr *C.char
	rc := C.go_NDArrayCreate(first(s), C.int(len(s)), C.int(dtype), C.int(dev.Type), C.int(dev.ID), &h, &cerr)
	if err := check(rc, cerr); err != nil {
		return nil, err
	}
	return wrapNDArray(h)
}

// NewArray creates an array on the CPU holding a copy of data; its dtype is that of T. Without shape it is
// one-dimensional.
func NewArray[T Element](data []T, shape ...int) (*NDArray, error) {
	return NewArrayOn(CPU(), data, shape...)
}

// NewArrayOn is NewArray on device dev.
func NewArrayOn[T Element](dev Device, data []T, shape ...int) (*NDArray, error) {
	if len(shape) == 0 {
		shape = []int{len(data)}
	}
	a, err := Empty(shape, DTypeOf[T](), dev)
	if err != nil {
		return nil, err
	}
	if err := a.CopyFrom(data); err != nil {
		_ = a.Close()
		return nil, err
	}
	return a, nil
}

// Close releases the handle. Closing twice is allowed.
func (a *NDArray) Close() error {
	if a == nil {
		return nil
	}
	runtime.SetFinalizer(a, nil)
	return a.r.close()
}

// Closed reports whether Close was called.
func (a *NDArray) Closed() bool { return a.r.isClosed() }

// Shape is the array's shape (a copy).
func (a *NDArray) Shape() []int { return append([]int(nil), a.shape...) }

// NDim is the number of dimensions.
func (a *NDArray) NDim() int { return len(a.shape) }

// Size is the number of elements.
func (a *NDArray) Size() int {
	n := 1
	for _, d := range a.shape {
		n *= d
	}
	return n
}

// DType is the element type.
func (a *NDArray) DType() DType { return a.dtype }

// Device is where the array lives.
func (a *NDArray) Device() Device { return a.dev }

func (a *NDArray) String() string {
	closed := ""
	if a.Closed() {
		closed = ", closed"
	}
	return fmt.Sprintf("NDArray%v %v @%v%s", a.shape, a.dtype, a.dev, closed)
}

// slicePointer checks that data is a slice of the Go type matching the array's dtype with as many elements as the
// array, and returns its data pointer.
func (a *NDArray) slicePointer(data interface{}, op string) (unsafe.Pointer, error) {
	v := reflect.ValueOf(data)
	if v.Kind() != reflect.Slice {
		return nil, newError(KindType, fmt.Sprintf("%s: expected a slice, got %T", op, data))
	}
	if dt := dtypeOfKind(v.Type().Elem().Kind()); dt != a.dtype {
		return nil, newError(KindType, fmt.Sprintf("%s: a %v array needs a []%s, got %T", op, a.dtype,
			goElemName(a.dtype), data))
	}
	if v.Len() != a.Size() {
		return nil, newError(KindShape, fmt.Sprintf("%s: the array of shape %v has %d elements, the slice %d", op,
			a.shape, a.Size(), v.Len()))
	}
	if v.Len() == 0 {
		return nil, nil
	}
	return v.UnsafePointer(), nil
}

func goElemName(t DType) string {
	switch t {
	case Float32, Float64, Uint8, Int32, Int8, Int64, Bool:
		return t.String()
	}
	return "(no Go type for " + t.String() + ")"
}

// CopyFrom copies data, a slice of the Go type matching the array's dtype ([]float32 for Float32, ...) with as many
// elements as the array, into the array, after pending work on it has finished.
func (a *NDArray) CopyFrom(data interface{}) error {
	h, err := a.acquire()
	if err != nil {
		return err
	}
	defer a.r.release()
	p, err := a.slicePointer(data, "CopyFrom")
	if err != nil {
		return err
	}
	var cerr *C.char
	err = check(C.go_NDArrayCopyFrom(h, p, C.int64_t(a.Size()), &cerr), cerr)
	runtime.KeepAlive(data)
	return err
}

// CopyTo waits for pending writes to the array, then copies its contents into data, a slice of the matching Go type
// and size.
func (a *NDArray) CopyTo(data interface{}) error {
	h, err := a.acquire()
	if err != nil {
		return err
	}
	defer a.r.release()
	p, err := a.slicePointer(data, "CopyTo")
	if err != nil {
		return err
	}
	var cerr *C.char
	err = check(C.go_NDArrayCopyTo(h, p, C.int64_t(a.Size()), &cerr), cerr)
	runtime.KeepAlive(data)
	return err
}

// Values returns a copy of the contents of a as a []T; T must match the array's dtype.
func Values[T Element](a *NDArray) ([]T, error) {
	out := make([]T, a.Size())
	if err := a.CopyTo(out); err != nil {
		return nil, err
	}
	return out, nil
}

// Float32s returns the contents of a Float32 array.
func (a *NDArray) Float32s() ([]float32, error) { return Values[float32](a) }

// Float64s returns the contents of a Float64 array.
func (a *NDArray) Float64s() ([]float64, error) { return Values[float64](a) }

// Int32s returns the contents of an Int32 array.
func (a *NDArray) Int32s() ([]int32, error) { return Values[int32](a) }

// Int64s returns the contents of an Int64 array.
func (a *NDArray) Int64s() ([]int64, error) { return Values[int64](a) }

// Uint8s returns the contents of a Uint8 array.
func (a *NDArray) Uint8s() ([]uint8, error) { return Values[uint8](a) }

// view runs f on the handle and wraps the new handle it returns (nil, without an error, when f returns none).
func (a *NDArray) view(f func(h C.MXCNDArrayHandle, out *C.MXCNDArrayHandle, cerr **C.char) C.int) (*NDArray, error) {
	h, err := a.acquire()
	if err != nil {
		return nil, err
	}
	defer a.r.release()
	var out C.MXCNDArrayHandle
	var cerr *C.char
	if err := check(f(h, &out, &cerr), cerr); err != nil {
		return nil, err
	}
	if out == nil {
		return nil, nil
	}
	return wrapNDArray(out)
}

// Slice is a view of rows [begin, end) along the first axis, sharing storage.
func (a *NDArray) Slice(begin, end int) (*NDArray, error) {
	return a.view(func(h C.MXCNDArrayHandle, out *C.MXCNDArrayHandle, cerr **C.char) C.int {
		return C.go_NDArraySlice(h, C.int64_t(begin), C.int64_t(end), out, cerr)
	})
}

// At is a view of row i along the first axis (negative i counts from the end), sharing storage.
func (a *NDArray) At(i int) (*NDArray, error) {
	return a.view(func(h C.MXCNDArrayHandle, out *C.MXCNDArrayHandle, cerr **C.char) C.int {
		return C.go_NDArrayAt(h, C.int64_t(i), out, cerr)
	})
}

// Reshape is a view with another shape and the same number of elements, sharing storage. The shape may use MXNet's
// special codes (0 copies a dimension, -1 infers one, ...).
func (a *NDArray) Reshape(shape ...int) (*NDArray, error) {
	s := toInt64s(shape)
	return a.view(func(h C.MXCNDArrayHandle, out *C.MXCNDArrayHandle, cerr **C.char) C.int {
		return C.go_NDArrayReshape(h, C.int(len(s)), first(s), out, cerr)
	})
}

// SharesStorage reports whether a and b view the same storage.
func (a *NDArray) SharesStorage(b *NDArray) (bool, error) {
	hs, rel, err := acquireArrays([]*NDArray{a, b})
	if err != nil {
		return false, err
	}
	defer rel()
	if hs[0] == nil || hs[1] == nil {
		return false, newError(KindValue, "SharesStorage: NDArray is nil")
	}
	var out C.int
	var cerr *C.char
	if err := check(C.go_NDArraySharesStorage(hs[0], hs[1], &out, &cerr), cerr); err != nil {
		return false, err
	}
	return out != 0, nil
}

// WaitToRead waits until pending writes to the array have finished and returns the error of a failed one.
func (a *NDArray) WaitToRead() error {
	h, err := a.acquire()
	if err != nil {
		return err
	}
	defer a.r.release()
	var cerr *C.char
	return check(C.go_NDArrayWaitToRead(h, &cerr), cerr)
}

// WaitToWrite waits until pending reads and writes of the array have finished.
func (a *NDArray) WaitToWrite() error {
	h, err := a.acquire()
	if err != nil {
		return err
	}
	defer a.r.release()
	var cerr *C.char
	return check(C.go_NDArrayWaitToWrite(h, &cerr), cerr)
}
