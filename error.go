package herald

import (
	"errors"
	"fmt"
	"maps"
	"slices"
)

// Code classifies an Error; the HTTP layer maps each to one status.
type Code string

// The codes Herald reports.
const (
	CodeInvalid      Code = "invalid_input"     // 422: a field is wrong
	CodeMalformed    Code = "malformed_request" // 400: not JSON, or trailing data
	CodeTooLarge     Code = "request_too_large" // 413
	CodeUnauthorized Code = "unauthorized"      // 401: missing or bad token
	CodeForbidden    Code = "forbidden"         // 403: valid token, wrong scope
	CodeNotFound     Code = "not_found"         // 404
	CodeConflict     Code = "conflict"          // 409
	CodeGone         Code = "gone"              // 410
	CodeInternal     Code = "internal"          // 500: logged, never shown
	CodeUnavailable  Code = "unavailable"       // 503: the database cannot be reached now; try again
)

// Error is an error safe to show to the caller: a code, a message, and for
// CodeInvalid the path of every bad field with its reason.
type Error struct {
	Code    Code
	Message string
	Fields  map[string]string
}

func (e *Error) Error() string {
	if len(e.Fields) == 0 {
		return fmt.Sprintf("%s: %s", e.Code, e.Message)
	}
	return fmt.Sprintf("%s: %s (%v)", e.Code, e.Message, e.Fields)
}

// Errorf returns an Error with a formatted message.
func Errorf(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// ErrNotFound is what stores return for a missing row.
var ErrNotFound = &Error{Code: CodeNotFound, Message: "not found"}

// ErrorCode returns the code of err, CodeInternal for errors that are not an
// *Error (those must not reach a caller verbatim).
func ErrorCode(err error) Code {
	if e, ok := errors.AsType[*Error](err); ok {
		return e.Code
	}
	return CodeInternal
}

// Fields collects invalid fields while validating; its zero value is ready.
type Fields map[string]string

// Add records path as invalid for reason; the first reason for a path wins,
// since it is usually the root cause.
func (f *Fields) Add(path, reason string) {
	if *f == nil {
		*f = make(Fields)
	}
	if _, ok := (*f)[path]; !ok {
		(*f)[path] = reason
	}
}

// Merge adds every field of g, each path prefixed by prefix.
func (f *Fields) Merge(prefix string, g Fields) {
	for _, k := range slices.Sorted(maps.Keys(g)) {
		f.Add(prefix+k, g[k])
	}
}

// Err returns nil when nothing was added, else an invalid-input Error whose
// message names the fields.
func (f Fields) Err() error {
	if len(f) == 0 {
		return nil
	}
	keys := slices.Sorted(maps.Keys(f))
	msg := "invalid " + keys[0]
	if len(keys) > 1 {
		msg = fmt.Sprintf("invalid %s and %d more field(s)", keys[0], len(keys)-1)
	}
	return &Error{Code: CodeInvalid, Message: msg, Fields: map[string]string(f)}
}
