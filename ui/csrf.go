package ui

import (
	"crypto/subtle"
	"net/http"
)

// maxFormBytes bounds every posted form.
const maxFormBytes = 64 << 10

// signinCookie carries the sign-in form's CSRF token (double submit): there
// is no session yet to keep it in.
const signinCookie = "herald_signin"

// checkCSRF parses the form and reports whether it carries want, in the
// csrf field or the X-CSRF-Token header (fetch requests).
func (s *server) checkCSRF(w http.ResponseWriter, r *http.Request, want string) bool {
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	if err := r.ParseForm(); err != nil {
		return false
	}
	got := r.PostForm.Get("csrf")
	if got == "" {
		got = r.Header.Get("X-CSRF-Token")
	}
	return want != "" && got != "" && subtle.ConstantTimeCompare([]byte(got), []byte(want)) == 1
}
