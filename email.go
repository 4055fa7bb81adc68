package herald

import (
	"net/mail"
	"strings"
)

// MaxEmailLength is the longest address SMTP can carry (RFC 5321).
const MaxEmailLength = 254

// CheckEmail returns why s is not a plain email address ("" if it is). A
// display name ("Ann <ann@acme.test>") is refused: the field holds
// addresses, and what is stored is what is shown.
func CheckEmail(s string) string {
	switch {
	case s == "":
		return "must not be empty"
	case len(s) > MaxEmailLength:
		return "must be at most 254 characters"
	}
	addr, err := mail.ParseAddress(s)
	if err != nil || addr.Name != "" || addr.Address != s {
		return "must be an email address like name@example.com"
	}
	at := strings.LastIndexByte(s, '@')
	domain := s[at+1:]
	if !strings.Contains(domain, ".") || strings.HasPrefix(domain, ".") || strings.HasSuffix(domain, ".") || strings.Contains(domain, "..") {
		return "must be an email address with a full domain, like name@example.com"
	}
	return ""
}
