package webhook

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"syscall"

	"herald"
	"herald/netguard"
)

// maxLocationInError keeps a hostile Location header from bloating the
// delivery log's error column; the full header is in ResponseHeader.
const maxLocationInError = 512

// minScrub is the shortest secret scrub searches an error message for.
const minScrub = 4

// reason turns a transport error into the short text of Result.Error. Errors
// from net/http quote the full URL, secrets included, so the *url.Error
// wrapper is dropped and what remains is scrubbed of the query anyway.
func (s *Sender) reason(parent context.Context, err error, rawURL string) string {
	return scrub(s.describe(parent, err), rawURL)
}

func (s *Sender) describe(parent context.Context, err error) string {
	var uerr *url.Error
	if errors.As(err, &uerr) {
		err = uerr.Err
	}
	var (
		dnsErr    *net.DNSError
		alert     tls.AlertError
		recordErr tls.RecordHeaderError
		verifyErr *tls.CertificateVerificationError
		unknownCA x509.UnknownAuthorityError
		hostErr   x509.HostnameError
		invalid   x509.CertificateInvalidError
		netErr    net.Error
	)
	switch {
	case errors.Is(err, netguard.ErrBlocked):
		return "blocked: " + blockedMessage(err)
	case errors.Is(parent.Err(), context.Canceled):
		return "canceled"
	case errors.Is(parent.Err(), context.DeadlineExceeded):
		return "timeout: the caller's deadline passed"
	case errors.Is(err, context.DeadlineExceeded),
		errors.As(err, &netErr) && netErr.Timeout():
		return "timeout after " + s.timeout.String()
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connection refused"
	case errors.Is(err, syscall.ECONNRESET):
		return "connection reset by peer"
	case errors.Is(err, syscall.EPIPE):
		return "connection closed by peer (broken pipe)"
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return "connection closed by the server before a complete response"
	case errors.As(err, &dnsErr):
		if dnsErr.IsNotFound {
			return "DNS lookup of " + dnsErr.Name + " failed: no such host"
		}
		return "DNS lookup of " + dnsErr.Name + " failed: " + dnsErr.Err
	case errors.As(err, &verifyErr):
		return tlsReason(verifyErr.Err)
	case errors.As(err, &unknownCA):
		return tlsReason(unknownCA)
	case errors.As(err, &hostErr):
		return tlsReason(hostErr)
	case errors.As(err, &invalid):
		return tlsReason(invalid)
	case errors.As(err, &alert):
		return tlsReason(alert)
	case errors.As(err, &recordErr):
		return tlsReason(recordErr)
	}
	// net/http's prefixes say where the error arose, which is noise in a
	// delivery log.
	msg := strings.TrimPrefix(err.Error(), "net/http: ")
	msg = strings.TrimPrefix(msg, "HTTP/1.x transport connection broken: ")
	if strings.Contains(msg, "tls: ") {
		// crypto/tls reports most handshake failures as plain errors.
		return tlsReason(err)
	}
	return msg
}

// tlsReason formats a TLS failure without the package prefixes that make
// the message harder to read in a log.
func tlsReason(err error) string {
	msg := err.Error()
	if i := strings.LastIndex(msg, "tls: "); i >= 0 {
		msg = msg[i+len("tls: "):]
	}
	return "TLS handshake failed: " + msg
}

// blockedMessage returns netguard's customer-facing refusal ("127.0.0.1 is
// a loopback address"): the error that wraps ErrBlocked directly, without
// the dial wrapping around it or the sentinel's own text.
func blockedMessage(err error) string {
	for e := err; e != nil; e = errors.Unwrap(e) {
		if errors.Unwrap(e) == netguard.ErrBlocked {
			return e.Error()
		}
	}
	return err.Error()
}

// invalidURLReason reports a URL net/http refused to build a request from.
// The *url.Error wrapper is dropped because its text quotes the URL.
func invalidURLReason(err error, rawURL string) string {
	var uerr *url.Error
	if errors.As(err, &uerr) {
		err = uerr.Err
	}
	return scrub("invalid URL: "+err.Error(), rawURL)
}

// statusReason explains a non-2xx response. A redirect names its target,
// masked, so the customer can fix the saved URL.
func statusReason(resp *http.Response) string {
	loc := resp.Header.Get("Location")
	if resp.StatusCode < 300 || resp.StatusCode > 399 || loc == "" {
		return fmt.Sprintf("HTTP %d", resp.StatusCode)
	}
	loc = maskURL(loc)
	if len(loc) > maxLocationInError {
		loc = loc[:maxLocationInError] + "..."
	}
	return fmt.Sprintf("redirect (%d) to %s; redirects are not followed", resp.StatusCode, loc)
}

// scrub is the last line of defence for Result.Error: whatever produced
// msg, the URL's query string and userinfo do not survive it.
func scrub(msg, rawURL string) string {
	if rawURL == "" {
		return msg
	}
	if strings.Contains(msg, rawURL) {
		msg = strings.ReplaceAll(msg, rawURL, maskURL(rawURL))
	}
	// Fragments shorter than minScrub are left alone: replacing them
	// would garble ordinary words and they hide nothing worth hiding.
	if q := strings.IndexByte(rawURL, '?'); q >= 0 && len(rawURL)-q-1 >= minScrub {
		query := rawURL[q+1:]
		msg = strings.ReplaceAll(msg, query, maskURL("?" + query)[1:])
	}
	if u, err := url.Parse(rawURL); err == nil && u.User != nil {
		if p, ok := u.User.Password(); ok && len(p) >= minScrub {
			msg = strings.ReplaceAll(msg, p, "***")
		}
	}
	return msg
}

// maskURL hides every query-string value (herald.MaskURL) and any
// userinfo, for quoting a URL or Location in an error:
// https://u:p@h/p?token=s3cret&x becomes https://***@h/p?token=***&***.
func maskURL(raw string) string {
	return herald.MaskURL(maskUserinfo(raw))
}

// maskUserinfo replaces the user:password part of an absolute or
// scheme-relative URL with ***.
func maskUserinfo(raw string) string {
	start := 0
	if i := strings.Index(raw, "://"); i >= 0 && !strings.ContainsAny(raw[:i], "/?#") {
		start = i + len("://")
	} else if strings.HasPrefix(raw, "//") {
		start = len("//")
	} else {
		return raw
	}
	end := len(raw)
	if i := strings.IndexAny(raw[start:], "/?#"); i >= 0 {
		end = start + i
	}
	at := strings.LastIndexByte(raw[start:end], '@')
	if at < 0 {
		return raw
	}
	return raw[:start] + "***" + raw[start+at:]
}
