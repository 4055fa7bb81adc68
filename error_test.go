package herald_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"

	"herald"
)

func TestFieldsAddKeepsFirstReason(t *testing.T) {
	t.Parallel()
	var f herald.Fields // the zero value is ready
	f.Add("webhook_url", "first")
	f.Add("webhook_url", "second")
	f.Add("events.nope", "unknown event key")
	want := herald.Fields{"webhook_url": "first", "events.nope": "unknown event key"}
	if diff := cmp.Diff(want, f); diff != "" {
		t.Errorf("Fields mismatch (-want +got):\n%s", diff)
	}
}

func TestFieldsMergePrefixesPaths(t *testing.T) {
	t.Parallel()
	var f herald.Fields
	f.Add("events.run_failed.send_webhook", "already there")
	f.Merge("events.run_failed", herald.Fields{
		".send_webhook":         "must be true or false",
		".email_subscribers[1]": "bad address",
		"":                      "must be an object",
	})
	f.Merge("x.", nil)
	want := herald.Fields{
		"events.run_failed.send_webhook":         "already there",
		"events.run_failed.email_subscribers[1]": "bad address",
		"events.run_failed":                      "must be an object",
	}
	if diff := cmp.Diff(want, f); diff != "" {
		t.Errorf("Fields mismatch (-want +got):\n%s", diff)
	}
}

func TestFieldsErr(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		f       herald.Fields
		wantNil bool
		wantMsg string
	}{
		{name: "nil fields", f: nil, wantNil: true},
		{name: "empty fields", f: herald.Fields{}, wantNil: true},
		{name: "one field", f: herald.Fields{"webhook_url": "bad"}, wantMsg: "invalid webhook_url"},
		{
			name:    "several fields name the first in order",
			f:       herald.Fields{"extra": "unknown field", "events.nope": "unknown event key", "webhook_url": "bad"},
			wantMsg: "invalid events.nope and 2 more field(s)",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := tt.f.Err()
			if tt.wantNil {
				if err != nil {
					t.Fatalf("Err() = %v, want nil", err)
				}
				return
			}
			e, ok := errors.AsType[*herald.Error](err)
			if !ok {
				t.Fatalf("Err() = %v (%T), want a *herald.Error", err, err)
			}
			want := &herald.Error{Code: herald.CodeInvalid, Message: tt.wantMsg, Fields: map[string]string(tt.f)}
			if diff := cmp.Diff(want, e); diff != "" {
				t.Errorf("Err() mismatch (-want +got):\n%s", diff)
			}
			if herald.ErrorCode(err) != herald.CodeInvalid {
				t.Errorf("ErrorCode = %q, want %q", herald.ErrorCode(err), herald.CodeInvalid)
			}
		})
	}
}

func TestErrorCode(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		err  error
		want herald.Code
	}{
		{"plain *Error", herald.Errorf(herald.CodeConflict, "dup"), herald.CodeConflict},
		{"wrapped *Error", fmt.Errorf("store: %w", herald.ErrNotFound), herald.CodeNotFound},
		{"twice wrapped *Error", fmt.Errorf("a: %w", fmt.Errorf("b: %w", herald.Errorf(herald.CodeGone, "used"))), herald.CodeGone},
		{"joined with a plain error", errors.Join(errors.New("x"), herald.Errorf(herald.CodeForbidden, "no")), herald.CodeForbidden},
		{"plain error", errors.New("disk on fire"), herald.CodeInternal},
		{"wrapped plain error", fmt.Errorf("store: %w", errors.New("disk on fire")), herald.CodeInternal},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := herald.ErrorCode(tt.err); got != tt.want {
				t.Errorf("ErrorCode(%v) = %q, want %q", tt.err, got, tt.want)
			}
		})
	}
}

func TestErrorMessage(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		err  *herald.Error
		want string
	}{
		{"without fields", herald.Errorf(herald.CodeNotFound, "account %d not found", 100), "not_found: account 100 not found"},
		{"with fields", &herald.Error{Code: herald.CodeInvalid, Message: "invalid extra", Fields: map[string]string{"extra": "unknown field"}},
			"invalid_input: invalid extra (map[extra:unknown field])"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := tt.err.Error(); got != tt.want {
				t.Errorf("Error() = %q, want %q", got, tt.want)
			}
		})
	}
}
