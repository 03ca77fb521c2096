package opparam

import (
	"reflect"
	"testing"

	mxc "github.com/mxc/mxc-go"
)

func TestFormatting(t *testing.T) {
	var l List
	l.Int("i", -3)
	l.OptInt("unset", nil)
	two := 2
	l.OptInt("oi", &two)
	l.Float("f", 0.1)
	l.Float("e", 1e-8)
	l.Bool("t", true)
	l.Bool("f2", false)
	l.Shape("s0", []int{})
	l.Shape("s1", []int{5})
	l.Shape("s2", []int{2, 3})
	l.OptShape("unset", nil)
	l.OptTuple("tu", []*int{&two, nil})
	l.DType("d", mxc.Int64)
	l.Enum("unset", "")
	l.Enum("en", "relu")
	want := List{{Key: "i", Value: "-3"}, {Key: "oi", Value: "2"}, {Key: "f", Value: "0.1"},
		{Key: "e", Value: "1e-08"}, {Key: "t", Value: "True"}, {Key: "f2", Value: "False"},
		{Key: "s0", Value: "()"}, {Key: "s1", Value: "(5,)"}, {Key: "s2", Value: "(2,3)"},
		{Key: "tu", Value: "(2,None)"}, {Key: "d", Value: "int64"}, {Key: "en", Value: "relu"}}
	if !reflect.DeepEqual(l, want) {
		t.Fatalf("got  %v\nwant %v", l, want)
	}
}
