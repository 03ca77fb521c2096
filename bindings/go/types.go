package mxc

// #include "mxc.h"
import "C"

import (
	"fmt"
	"reflect"
)

// DType is an element type; the values are mxc.h's MXCDType codes (MXNet's).
type DType int

// Element types. The values come from mxc.h itself, never copied by hand.
const (
	Float32 DType = C.MXC_FLOAT32
	Float64 DType = C.MXC_FLOAT64
	Float16 DType = C.MXC_FLOAT16
	Uint8   DType = C.MXC_UINT8
	Int32   DType = C.MXC_INT32
	Int8    DType = C.MXC_INT8
	Int64   DType = C.MXC_INT64
	Bool    DType = C.MXC_BOOL
)

var dtypeNames = map[DType]string{
	Float32: "float32", Float64: "float64", Float16: "float16", Uint8: "uint8",
	Int32: "int32", Int8: "int8", Int64: "int64", Bool: "bool",
}

var dtypeSizes = map[DType]int{
	Float32: 4, Float64: 8, Float16: 2, Uint8: 1, Int32: 4, Int8: 1, Int64: 8, Bool: 1,
}

// String is the dtype's name as the library and MXNet write it ("float32").
func (t DType) String() string {
	if n, ok := dtypeNames[t]; ok {
		return n
	}
	return fmt.Sprintf("dtype(%d)", int(t))
}

// Size is the size of one element in bytes (0 for an unknown code).
func (t DType) Size() int { return dtypeSizes[t] }

// ParseDType returns the dtype named name ("float32", ...).
func ParseDType(name string) (DType, error) {
	for t, n := range dtypeNames {
		if n == name {
			return t, nil
		}
	}
	return 0, newError(KindType, fmt.Sprintf("unknown dtype name %q", name))
}

// Element is the set of Go element types an NDArray can be copied from and to, each matching one dtype.
type Element interface {
	~float32 | ~float64 | ~uint8 | ~int32 | ~int8 | ~int64 | ~bool
}

// DTypeOf returns the dtype that holds elements of type T.
func DTypeOf[T Element]() DType {
	var z T
	return dtypeOfKind(reflect.TypeOf(z).Kind())
}

func dtypeOfKind(k reflect.Kind) DType {
	switch k {
	case reflect.Float32:
		return Float32
	case reflect.Float64:
		return Float64
	case reflect.Uint8:
		return Uint8
	case reflect.Int32:
		return Int32
	case reflect.Int8:
		return Int8
	case reflect.Int64:
		return Int64
	case reflect.Bool:
		return Bool
	}
	return -1
}

// DeviceType is a device kind; the values are mxc.h's MXCDeviceType codes.
type DeviceType int

// Device kinds.
const (
	CPUDevice DeviceType = C.MXC_CPU
	GPUDevice DeviceType = C.MXC_GPU
)

// Device is where an array lives and an executor runs (MXNet's Context).
type Device struct {
	Type DeviceType
	ID   int
}

// CPU is the host.
func CPU() Device { return Device{CPUDevice, 0} }

// GPU is the GPU of index id. Creating anything on it fails with a KindDevice error where the build or the machine
// has no such GPU.
func GPU(id int) Device { return Device{GPUDevice, id} }

func (d Device) String() string {
	switch d.Type {
	case CPUDevice:
		return fmt.Sprintf("cpu(%d)", d.ID)
	case GPUDevice:
		return fmt.Sprintf("gpu(%d)", d.ID)
	}
	return fmt.Sprintf("device(%d, %d)", int(d.Type), d.ID)
}

// GradReq says how an executor writes a gradient; the values are mxc.h's MXCGradReq codes.
type GradReq int

// Gradient requests.
const (
	GradNull    GradReq = C.MXC_GRAD_NULL
	GradWrite   GradReq = C.MXC_GRAD_WRITE
	GradInplace GradReq = C.MXC_GRAD_INPLACE
	GradAdd     GradReq = C.MXC_GRAD_ADD
)

func (r GradReq) String() string {
	switch r {
	case GradNull:
		return "null"
	case GradWrite:
		return "write"
	case GradInplace:
		return "inplace"
	case GradAdd:
		return "add"
	}
	return fmt.Sprintf("GradReq(%d)", int(r))
}

// Ptr returns a pointer to v, for the optional fields of operator options: &nd.FullyConnectedOpts{NoBias:
// mxc.Ptr(true)}.
func Ptr[T any](v T) *T { return &v }
