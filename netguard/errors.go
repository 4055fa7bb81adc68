package netguard

import (
	"errors"
	"strings"
)

// ErrBlocked is wrapped by every refusal so callers can tell a policy refusal
// from a network failure with errors.Is.
var ErrBlocked = errors.New("netguard: target address is not allowed")

// blockedError carries a customer-facing message while still matching
// ErrBlocked; the sentinel's own text is kept out of the message.
type blockedError struct{ msg string }

func (e *blockedError) Error() string { return e.msg }
func (e *blockedError) Unwrap() error { return ErrBlocked }

func refuse(msg string) error { return &blockedError{msg: msg} }

// describe turns a reason into "a private address" / "an unspecified address".
func describe(reason string) string {
	article := "a"
	if strings.IndexByte("aeio", reason[0]) >= 0 ||
		(reason[0] == 'u' && !strings.HasPrefix(reason, "uni")) {
		article = "an"
	}
	return article + " " + reason + " address"
}
