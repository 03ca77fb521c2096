// Package opparam formats the typed options of the generated operator functions as the parameter strings the
// library parses. Only the generated code of packages nd and sym uses it.
package opparam

import (
	"strconv"
	"strings"

	mxc "github.com/mxc/mxc-go"
)

// List collects parameters in order.
type List []mxc.Param

func (l *List) add(k, v string) { *l = append(*l, mxc.Param{Key: k, Value: v}) }

// Int adds a required int.
func (l *List) Int(k string, v int) { l.add(k, strconv.Itoa(v)) }

// OptInt adds an int when set.
func (l *List) OptInt(k string, v *int) {
	if v != nil {
		l.Int(k, *v)
	}
}

// Float adds a required float.
func (l *List) Float(k string, v float64) { l.add(k, FormatFloat(v)) }

// OptFloat adds a float when set.
func (l *List) OptFloat(k string, v *float64) {
	if v != nil {
		l.Float(k, *v)
	}
}

// FormatFloat writes v so that it parses back exactly ("0.1", "1e-08", "inf").
func FormatFloat(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }

// Bool adds a required boolean ("True"/"False", as MXNet writes them).
func (l *List) Bool(k string, v bool) {
	if v {
		l.add(k, "True")
	} else {
		l.add(k, "False")
	}
}

// OptBool adds a boolean when set.
func (l *List) OptBool(k string, v *bool) {
	if v != nil {
		l.Bool(k, *v)
	}
}

// Str adds a required string.
func (l *List) Str(k, v string) { l.add(k, v) }

// OptStr adds a string when set.
func (l *List) OptStr(k string, v *string) {
	if v != nil {
		l.add(k, *v)
	}
}

// Enum adds one of an operator's options when not empty ("" keeps the default).
func (l *List) Enum(k, v string) {
	if v != "" {
		l.add(k, v)
	}
}

// Shape adds a required shape: "(2,3)", "(5,)", "()".
func (l *List) Shape(k string, v []int) { l.add(k, FormatShape(v)) }

// OptShape adds a shape when not nil.
func (l *List) OptShape(k string, v []int) {
	if v != nil {
		l.Shape(k, v)
	}
}

// FormatShape writes a tuple as MXNet does.
func FormatShape(v []int) string {
	parts := make([]string, len(v))
	for i, d := range v {
		parts[i] = strconv.Itoa(d)
	}
	return tuple(parts)
}

func tuple(parts []string) string {
	if len(parts) == 1 {
		return "(" + parts[0] + ",)"
	}
	return "(" + strings.Join(parts, ",") + ")"
}

// OptTuple adds a tuple of optional ints when not nil: nil entries are None.
func (l *List) OptTuple(k string, v []*int) {
	if v == nil {
		return
	}
	parts := make([]string, len(v))
	for i, d := range v {
		if d == nil {
			parts[i] = "None"
		} else {
			parts[i] = strconv.Itoa(*d)
		}
	}
	l.add(k, tuple(parts))
}

// DType adds a required dtype.
func (l *List) DType(k string, v mxc.DType) { l.add(k, v.String()) }

// OptDType adds a dtype when set.
func (l *List) OptDType(k string, v *mxc.DType) {
	if v != nil {
		l.DType(k, *v)
	}
}
