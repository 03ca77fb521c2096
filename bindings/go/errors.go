package mxc

import (
	"errors"
	"strings"
)

// ErrorKind is the kind a library message starts with ("ShapeError", "TypeError", ...).
type ErrorKind string

// The error kinds of mxc.h. A message with an unknown prefix keeps it as its kind; one without a prefix is
// KindInternal.
const (
	KindShape    ErrorKind = "ShapeError"
	KindType     ErrorKind = "TypeError"
	KindValue    ErrorKind = "ValueError"
	KindIndex    ErrorKind = "IndexError"
	KindIO       ErrorKind = "IOError"
	KindDevice   ErrorKind = "DeviceError"
	KindInternal ErrorKind = "InternalError"
)

// ErrClosed is matched (errors.Is) by the error returned when a closed NDArray, Symbol or Executor is used.
var ErrClosed = errors.New("mxc: use of a closed handle")

// Error is the error of every failing call: Kind is the library's error kind and Message the text after it. Use
// errors.As to get at it:
//
//	var e *mxc.Error
//	if errors.As(err, &e) && e.Kind == mxc.KindShape { ... }
type Error struct {
	Kind    ErrorKind
	Message string
	wrapped error // ErrClosed for closed handles
}

func (e *Error) Error() string { return string(e.Kind) + ": " + e.Message }

// Unwrap returns ErrClosed for the error of a closed handle, else nil.
func (e *Error) Unwrap() error { return e.wrapped }

// parseError turns a library message "Kind: text" into an *Error.
func parseError(msg string) *Error {
	if i := strings.Index(msg, ": "); i > 0 {
		kind := msg[:i]
		if strings.HasSuffix(kind, "Error") && !strings.ContainsAny(kind, " \t\n") {
			return &Error{Kind: ErrorKind(kind), Message: msg[i+2:]}
		}
	}
	if msg == "" {
		msg = "the library reported a failure without a message"
	}
	return &Error{Kind: KindInternal, Message: msg}
}

// newError is an error found by the binding itself (before calling the library), in the library's terms.
func newError(kind ErrorKind, msg string) *Error { return &Error{Kind: kind, Message: msg} }

func closedError(what string) *Error {
	return &Error{Kind: KindValue, Message: what + " is closed", wrapped: ErrClosed}
}
