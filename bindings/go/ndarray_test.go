package mxc_test

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	mxc "github.com/mxc/mxc-go"
)

// must returns v, and panics (failing the test with a stack trace) on err.
func must[T any](v T, err error) T {
	if err != nil {
		panic(fmt.Sprintf("unexpected error: %v", err))
	}
	return v
}

func noErr(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("unexpected error: %v", err)
	}
}

// wantKind checks that err is an *mxc.Error of kind k whose message contains every part.
func wantKind(t testing.TB, err error, k mxc.ErrorKind, parts ...string) *mxc.Error {
	t.Helper()
	var e *mxc.Error
	if !errors.As(err, &e) {
		t.Fatalf("want an *mxc.Error of kind %s, got %T %v", k, err, err)
	}
	if e.Kind != k {
		t.Fatalf("want kind %s, got %s (%v)", k, e.Kind, err)
	}
	for _, p := range parts {
		if !strings.Contains(err.Error(), p) {
			t.Fatalf("error %q does not mention %q", err, p)
		}
	}
	return e
}

func TestVersionAndFeatures(t *testing.T) {
	major, _ := must2(t)(mxc.Version())
	if major != mxc.HeaderVersionMajor {
		t.Fatalf("library major %d, header %d", major, mxc.HeaderVersionMajor)
	}
	f := must(mxc.Features())
	if _, ok := f["CUDA"]; !ok {
		t.Fatalf("features lack CUDA: %v", f)
	}
	if n := must(mxc.NumDevices(mxc.CPUDevice)); n != 1 {
		t.Fatalf("cpu count %d", n)
	}
	if !f["CUDA"] && mxc.NumGPUs() != 0 {
		t.Fatalf("a build without CUDA reports %d GPUs", mxc.NumGPUs())
	}
	_, err := mxc.NumDevices(mxc.DeviceType(9))
	wantKind(t, err, mxc.KindDevice, "9")
	name := must(mxc.Engine())
	if name != "NaiveEngine" && name != "ThreadedEngine" {
		t.Fatalf("engine %q", name)
	}
	wantKind(t, mxc.SetEngine("NoSuchEngine"), mxc.KindValue, "NoSuchEngine")
}

func must2(t testing.TB) func(a, b int, err error) (int, int) {
	return func(a, b int, err error) (int, int) {
		t.Helper()
		noErr(t, err)
		return a, b
	}
}

func TestCreateAndQuery(t *testing.T) {
	a := must(mxc.Empty([]int{2, 3, 4}, mxc.Float64, mxc.CPU()))
	defer a.Close()
	if !reflect.DeepEqual(a.Shape(), []int{2, 3, 4}) || a.NDim() != 3 || a.Size() != 24 {
		t.Fatalf("shape %v ndim %d size %d", a.Shape(), a.NDim(), a.Size())
	}
	if a.DType() != mxc.Float64 || a.Device() != mxc.CPU() {
		t.Fatalf("dtype %v device %v", a.DType(), a.Device())
	}
	if s := a.String(); s != "NDArray[2 3 4] float64 @cpu(0)" {
		t.Fatalf("String() = %q", s)
	}
	// The shape returned is a copy.
	a.Shape()[0] = 99
	if a.Shape()[0] != 2 {
		t.Fatal("Shape() exposes internal state")
	}
}

func roundTrip[T mxc.Element](t *testing.T, data []T, want mxc.DType) {
	t.Helper()
	a := must(mxc.NewArray(data, 2, len(data)/2))
	defer a.Close()
	if a.DType() != want {
		t.Fatalf("%T gave dtype %v, want %v", data, a.DType(), want)
	}
	got := must(mxc.Values[T](a))
	if !reflect.DeepEqual(got, data) {
		t.Fatalf("round trip of %T: got %v want %v", data, got, data)
	}
}

func TestRoundTripEveryDType(t *testing.T) {
	roundTrip(t, []float32{1.5, -2, 3.25, 1e-7}, mxc.Float32)
	roundTrip(t, []float64{1.5, -2, 3.25, 1e-300}, mxc.Float64)
	roundTrip(t, []int32{1, -2, 1 << 30, -(1 << 31)}, mxc.Int32)
	roundTrip(t, []int64{1, -2, 1 << 62, -(1 << 63)}, mxc.Int64)
	roundTrip(t, []uint8{0, 1, 200, 255}, mxc.Uint8)
	roundTrip(t, []int8{0, -1, 127, -128}, mxc.Int8)
	roundTrip(t, []bool{true, false, false, true}, mxc.Bool)

	a := must(mxc.NewArray([]float32{1, 2, 3}))
	defer a.Close()
	if !reflect.DeepEqual(a.Shape(), []int{3}) {
		t.Fatalf("default shape %v", a.Shape())
	}
	f := must(a.Float32s())
	if !reflect.DeepEqual(f, []float32{1, 2, 3}) {
		t.Fatalf("Float32s %v", f)
	}
	i32 := must(mxc.NewArray([]int32{7, 8}))
	defer i32.Close()
	if v := must(i32.Int32s()); !reflect.DeepEqual(v, []int32{7, 8}) {
		t.Fatalf("Int32s %v", v)
	}
	i64 := must(mxc.NewArray([]int64{-7}))
	defer i64.Close()
	if v := must(i64.Int64s()); !reflect.DeepEqual(v, []int64{-7}) {
		t.Fatalf("Int64s %v", v)
	}
	u8 := must(mxc.NewArray([]uint8{9}))
	defer u8.Close()
	if v := must(u8.Uint8s()); !reflect.DeepEqual(v, []uint8{9}) {
		t.Fatalf("Uint8s %v", v)
	}
	f64 := must(mxc.NewArray([]float64{0.1}))
	defer f64.Close()
	if v := must(f64.Float64s()); !reflect.DeepEqual(v, []float64{0.1}) {
		t.Fatalf("Float64s %v", v)
	}
}

func TestCopyErrors(t *testing.T) {
	a := must(mxc.NewArray([]float32{1, 2, 3, 4, 5, 6}, 2, 3))
	defer a.Close()
	// Wrong Go type for the dtype.
	wantKind(t, a.CopyFrom([]float64{1, 2, 3, 4, 5, 6}), mxc.KindType, "float32", "[]float64")
	_, err := a.Int32s()
	wantKind(t, err, mxc.KindType)
	wantKind(t, a.CopyFrom(42), mxc.KindType, "slice")
	// Wrong number of elements.
	wantKind(t, a.CopyFrom([]float32{1, 2}), mxc.KindShape, "[2 3]", "6", "2")
	wantKind(t, a.CopyTo(make([]float32, 7)), mxc.KindShape)
	// Shape and dtype that the library rejects.
	_, err = mxc.NewArray([]float32{1, 2, 3}, 2, 2)
	wantKind(t, err, mxc.KindShape)
	_, err = mxc.Empty([]int{2}, mxc.DType(42), mxc.CPU())
	wantKind(t, err, mxc.KindType, "42")
	_, err = mxc.Empty(nil, mxc.Float32, mxc.CPU())
	wantKind(t, err, mxc.KindShape, "ndim")
}

func TestGPUDevice(t *testing.T) {
	a, err := mxc.Empty([]int{2}, mxc.Float32, mxc.GPU(0))
	if mxc.NumGPUs() == 0 {
		wantKind(t, err, mxc.KindDevice, "gpu")
		return
	}
	noErr(t, err)
	defer a.Close()
	noErr(t, a.CopyFrom([]float32{1, 2}))
	if v := must(a.Float32s()); !reflect.DeepEqual(v, []float32{1, 2}) {
		t.Fatalf("gpu round trip %v", v)
	}
	if a.Device() != mxc.GPU(0) {
		t.Fatalf("device %v", a.Device())
	}
}

func TestViews(t *testing.T) {
	a := must(mxc.NewArray([]float32{0, 1, 2, 3, 4, 5, 6, 7}, 4, 2))
	defer a.Close()
	s := must(a.Slice(1, 3))
	defer s.Close()
	if !reflect.DeepEqual(s.Shape(), []int{2, 2}) {
		t.Fatalf("slice shape %v", s.Shape())
	}
	if v := must(s.Float32s()); !reflect.DeepEqual(v, []float32{2, 3, 4, 5}) {
		t.Fatalf("slice %v", v)
	}
	last := must(a.At(-1))
	defer last.Close()
	noErr(t, last.CopyFrom([]float32{100, 200}))
	if v := must(a.Float32s()); !reflect.DeepEqual(v, []float32{0, 1, 2, 3, 4, 5, 100, 200}) {
		t.Fatalf("write through At: %v", v)
	}
	r := must(a.Reshape(-1, 4))
	defer r.Close()
	if !reflect.DeepEqual(r.Shape(), []int{2, 4}) {
		t.Fatalf("reshape %v", r.Shape())
	}
	if !must(a.SharesStorage(r)) || !must(s.SharesStorage(last)) {
		t.Fatal("views do not share storage")
	}
	other := must(mxc.NewArray([]float32{1}))
	defer other.Close()
	if must(a.SharesStorage(other)) {
		t.Fatal("distinct arrays share storage")
	}
	_, err := a.Slice(3, 9)
	wantKind(t, err, mxc.KindIndex)
	_, err = a.Reshape(3, 3)
	wantKind(t, err, mxc.KindShape, "reshape")
	// A view stays valid after its base is closed (the storage is reference-counted).
	noErr(t, a.Close())
	if v := must(r.Float32s()); v[7] != 200 {
		t.Fatalf("view after closing base: %v", v)
	}
	noErr(t, r.WaitToRead())
	noErr(t, r.WaitToWrite())
	noErr(t, mxc.WaitAll())
}

func TestSaveLoad(t *testing.T) {
	dir := t.TempDir()
	a := must(mxc.NewArray([]float32{1, 2, 3, 4, 5, 6}, 2, 3))
	b := must(mxc.NewArray([]int64{-1, 7}))
	defer a.Close()
	defer b.Close()

	named := filepath.Join(dir, "named.params")
	noErr(t, mxc.SaveMap(named, map[string]*mxc.NDArray{"arg:w": a, "aux:m": b}))
	m := must(mxc.LoadMap(named))
	if len(m) != 2 {
		t.Fatalf("loaded %d arrays", len(m))
	}
	if !reflect.DeepEqual(m["arg:w"].Shape(), []int{2, 3}) || m["aux:m"].DType() != mxc.Int64 {
		t.Fatalf("loaded %v %v", m["arg:w"], m["aux:m"])
	}
	if v := must(m["arg:w"].Float32s()); !reflect.DeepEqual(v, []float32{1, 2, 3, 4, 5, 6}) {
		t.Fatalf("loaded values %v", v)
	}
	if v := must(m["aux:m"].Int64s()); !reflect.DeepEqual(v, []int64{-1, 7}) {
		t.Fatalf("loaded values %v", v)
	}

	unnamed := filepath.Join(dir, "list.nd")
	noErr(t, mxc.Save(unnamed, []*mxc.NDArray{b, a}, nil))
	arrays, names, err := mxc.Load(unnamed)
	noErr(t, err)
	if names != nil || len(arrays) != 2 || arrays[0].DType() != mxc.Int64 {
		t.Fatalf("unnamed load: %v %v", arrays, names)
	}
	_, err = mxc.LoadMap(unnamed)
	wantKind(t, err, mxc.KindValue, "unnamed")

	buf := must(mxc.SaveToBytes([]*mxc.NDArray{a}, []string{"x"}))
	fileBytes := must(os.ReadFile(named))
	if string(buf[:8]) != "MXCNDARR" || string(fileBytes[:8]) != "MXCNDARR" {
		t.Fatalf("magic %q %q", buf[:8], fileBytes[:8])
	}
	arrays, names, err = mxc.LoadFromBytes(buf)
	noErr(t, err)
	if !reflect.DeepEqual(names, []string{"x"}) || must(arrays[0].Float32s())[5] != 6 {
		t.Fatalf("bytes round trip %v %v", arrays, names)
	}

	// Corrupt and truncated data, missing files.
	_, _, err = mxc.LoadFromBytes(buf[:len(buf)-3])
	wantKind(t, err, mxc.KindIO)
	_, _, err = mxc.LoadFromBytes([]byte("not an array file"))
	wantKind(t, err, mxc.KindIO)
	_, _, err = mxc.Load(filepath.Join(dir, "missing.params"))
	wantKind(t, err, mxc.KindIO, "missing.params")
	wantKind(t, mxc.Save(filepath.Join(dir, "x"), []*mxc.NDArray{a}, []string{"a", "b"}), mxc.KindValue)
	wantKind(t, mxc.Save(filepath.Join(dir, "x"), []*mxc.NDArray{nil}, nil), mxc.KindValue, "nil")
	wantKind(t, mxc.Save(filepath.Join(dir, "no", "such", "dir"), []*mxc.NDArray{a}, nil), mxc.KindIO)
}

func TestClosedHandle(t *testing.T) {
	a := must(mxc.NewArray([]float32{1, 2}))
	noErr(t, a.Close())
	noErr(t, a.Close()) // twice is fine
	if !a.Closed() {
		t.Fatal("Closed() is false after Close")
	}
	check := func(err error) {
		t.Helper()
		if !errors.Is(err, mxc.ErrClosed) {
			t.Fatalf("want ErrClosed, got %v", err)
		}
		wantKind(t, err, mxc.KindValue, "NDArray is closed")
	}
	check(a.CopyFrom([]float32{1, 2}))
	_, err := a.Float32s()
	check(err)
	_, err = a.Slice(0, 1)
	check(err)
	check(a.WaitToRead())
	check(mxc.Save(filepath.Join(t.TempDir(), "x"), []*mxc.NDArray{a}, nil))
	_, err = mxc.Invoke("_zeros", nil, []*mxc.NDArray{a}, mxc.Param{Key: "shape", Value: "(2,)"})
	check(err)
	// Metadata stays readable.
	if !reflect.DeepEqual(a.Shape(), []int{2}) || !strings.Contains(a.String(), "closed") {
		t.Fatalf("metadata after close: %v", a)
	}
	var nilArray *mxc.NDArray
	wantKind(t, nilArray.CopyFrom([]float32{}), mxc.KindValue, "nil")
	noErr(t, nilArray.Close())
}
