package email

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/textproto"
	"net/url"
	"strconv"
	"time"
)

// commandTimeout bounds each exchange with the server (the greeting and
// handshake, a message's commands, its data) when the caller's context has
// no earlier deadline.
const commandTimeout = 30 * time.Second

// SMTP sends over SMTP. It keeps connections open between messages and
// sends many messages on each (see pool.go), as mail servers expect of a
// sender of many messages, pipelines each message's commands when the
// server offers it (see transaction.go), and messages that waited for a
// connection go together, in one write when the server offers PIPELINING
// and CHUNKING (see batch.go). It is safe for concurrent use.
type SMTP struct {
	host        string
	port        int
	implicitTLS bool
	user, pass  string
	auth        bool
	// tlsConfig verifies the server for STARTTLS and implicit TLS; tests
	// give it their own root CA.
	tlsConfig *tls.Config
	pool      pool
	// without lists extensions not to use though the server offers
	// them, so that the tests can take each path of transact with one
	// server.
	without []string
	// wrap, when set, wraps each new connection, so that the tests can
	// watch its writes.
	wrap func(net.Conn) net.Conn
}

// NewSMTP returns an SMTP sender for rawURL:
//
//   - smtp://[user:pass@]host[:port]: port 587 by default; STARTTLS when
//     the server offers it, else plaintext.
//   - smtps://[user:pass@]host[:port]: implicit TLS, port 465 by default.
//
// With a user, AUTH PLAIN is used. PLAIN credentials are sent only over
// TLS or to a loopback host (localhost, 127.0.0.1, ::1): to any other host
// without TLS, Send fails rather than leak the password.
func NewSMTP(rawURL string) (*SMTP, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, fmt.Errorf("email: smtp url: %w", err)
	}
	s := &SMTP{host: u.Hostname()}
	switch u.Scheme {
	case "smtp":
		s.port = 587
	case "smtps":
		s.port, s.implicitTLS = 465, true
	default:
		return nil, fmt.Errorf("email: smtp url: scheme must be smtp or smtps, not %q", u.Scheme)
	}
	if s.host == "" {
		return nil, errors.New("email: smtp url: no host")
	}
	if p := u.Port(); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 || n > 65535 {
			return nil, fmt.Errorf("email: smtp url: bad port %q", p)
		}
		s.port = n
	}
	if (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" {
		return nil, errors.New("email: smtp url: unexpected path or query")
	}
	if u.User != nil && u.User.Username() != "" {
		s.auth = true
		s.user = u.User.Username()
		s.pass, _ = u.User.Password()
	}
	s.tlsConfig = &tls.Config{ServerName: s.host, MinVersion: tls.VersionTLS12}
	s.pool.limit = maxConns
	return s, nil
}

// Permanent reports whether err is a permanent failure, not worth
// retrying: a 5xx SMTP reply (from any stage: greeting, AUTH, MAIL, RCPT,
// DATA), or an invalid Message. Transient ones are 4xx replies,
// connection failures, timeouts and cancellation.
func Permanent(err error) bool {
	if err == nil || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return false
	}
	if errors.Is(err, ErrInvalidMessage) {
		return true
	}
	var te *textproto.Error
	if errors.As(err, &te) {
		return te.Code >= 500 && te.Code <= 599
	}
	return false
}
