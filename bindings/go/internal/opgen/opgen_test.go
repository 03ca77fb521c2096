package opgen

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	mxc "github.com/mxc/mxc-go"
)

// The committed ops_generated.go files must be what the linked library generates now.
func TestCommittedFilesAreCurrent(t *testing.T) {
	infos, err := Collect()
	if err != nil {
		t.Fatal(err)
	}
	for _, pkg := range []string{ND, Sym} {
		want, err := Generate(pkg, infos)
		if err != nil {
			t.Fatal(err)
		}
		path := filepath.Join("..", "..", pkg, "ops_generated.go")
		got, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			gl, wl := strings.Split(string(got), "\n"), strings.Split(string(want), "\n")
			i := 0
			for i < len(gl) && i < len(wl) && gl[i] == wl[i] {
				i++
			}
			line := func(l []string) string {
				if i < len(l) {
					return l[i]
				}
				return "<end of file>"
			}
			t.Errorf("%s is stale (the library's operators changed): run `go generate ./...` in bindings/go and "+
				"commit the result.\nfirst difference at line %d:\n  committed: %s\n  generated: %s", path, i+1,
				line(gl), line(wl))
		}
	}
}

func TestNames(t *testing.T) {
	for in, want := range map[string]string{
		"elemwise_add": "ElemwiseAdd", "_plus_scalar": "PlusScalar", "FullyConnected": "FullyConnected",
		"sgd_update": "SgdUpdate", "_contrib_box_nms": "ContribBoxNms", "2d": "Op2d",
	} {
		if got := exportName(in); got != want {
			t.Errorf("exportName(%q) = %q, want %q", in, got, want)
		}
	}
	for in, want := range map[string]string{"data": "data", "moving_mean": "movingMean", "type": "typeArg",
		"out": "outArg", "len": "lenArg"} {
		if got := argName(in); got != want {
			t.Errorf("argName(%q) = %q, want %q", in, got, want)
		}
	}
	infos := []*mxc.OpInfo{{Name: "MakeLoss"}, {Name: "_copy"}, {Name: "copy"}, {Name: "make_loss"}, {Name: "relu"},
		{Name: "Copy"}, {Name: "_Copy"}}
	got := goNames(infos)
	want := []string{"MakeLoss", "InternalCopy", "Copy", "Make_loss", "Relu", "Copy2", "InternalCopy2"}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("goNames = %v, want %v", got, want)
		}
	}
}

func TestParamFields(t *testing.T) {
	cases := []struct {
		p              mxc.OpParam
		goType, setter string
	}{
		{mxc.OpParam{Name: "num_hidden", Type: "int", Required: true}, "int", "Int"},
		{mxc.OpParam{Name: "no_bias", Type: "boolean", Default: "False"}, "*bool", "OptBool"},
		{mxc.OpParam{Name: "scalar", Type: "float", Default: "1"}, "*float64", "OptFloat"},
		{mxc.OpParam{Name: "act_type", Type: "{'relu', 'sigmoid'}", Required: true}, "string", "Str"},
		{mxc.OpParam{Name: "layout", Type: "{'NCHW', 'NHWC'}", Default: "NCHW"}, "string", "Enum"},
		{mxc.OpParam{Name: "kernel", Type: "Shape(tuple)", Required: true}, "[]int", "Shape"},
		{mxc.OpParam{Name: "axis", Type: "int or None", Default: "None"}, "*int", "OptInt"},
		{mxc.OpParam{Name: "begin", Type: "tuple of <int or None>", Required: true}, "[]*int", "OptTuple"},
		{mxc.OpParam{Name: "dtype", Type: "dtype", Default: "float32"}, "*mxc.DType", "OptDType"},
		{mxc.OpParam{Name: "a_min", Type: "float or None", Default: "None"}, "*float64", "OptFloat"},
		{mxc.OpParam{Name: "what", Type: "something new", Default: "x"}, "*string", "OptStr"},
		{mxc.OpParam{Name: "name", Type: "string", Default: "x"}, "*string", "OptStr"},
	}
	for _, c := range cases {
		f := paramField(c.p)
		if f.goType != c.goType || f.setter != c.setter {
			t.Errorf("%+v: got %s/%s, want %s/%s", c.p, f.goType, f.setter, c.goType, c.setter)
		}
	}
	if f := paramField(mxc.OpParam{Name: "name", Type: "string"}); f.goName != "NameParam" {
		t.Errorf("param 'name' becomes %s", f.goName)
	}
}

// A variadic operator takes a slice and sets its count parameter itself.
func TestGenerateVariadic(t *testing.T) {
	info := &mxc.OpInfo{Name: "add_n", Description: "Adds all inputs.", Inputs: []mxc.OpInput{{Name: "args"}},
		KeyVarNumArgs: "num_args", Params: []mxc.OpParam{{Name: "num_args", Type: "int", Required: true}},
		HasGradient: true}
	for _, pkg := range []string{ND, Sym} {
		src, err := Generate(pkg, []*mxc.OpInfo{info})
		if err != nil {
			t.Fatal(err)
		}
		s := string(src)
		for _, want := range []string{"func AddN(args []*mxc.", `p.Int("num_args", len(args))`, "// Adds all inputs."} {
			if !strings.Contains(s, want) {
				t.Errorf("%s: generated code lacks %q:\n%s", pkg, want, s)
			}
		}
		if strings.Contains(s, "NumArgs") {
			t.Errorf("%s: num_args is an option field:\n%s", pkg, s)
		}
	}
}
