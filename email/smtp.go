package email

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net/textproto"
	"net/url"
	"strconv"
	"time"

	mail "github.com/wneessen/go-mail"
)

// commandTimeout bounds each SMTP command when the caller's context has
// no earlier deadline.
const commandTimeout = 30 * time.Second

// SMTP sends over SMTP. It keeps connections open between messages and
// sends many messages on each (see pool.go), as mail servers expect of a
// sender of many messages. It is safe for concurrent use.
type SMTP struct {
	host        string
	port        int
	implicitTLS bool
	user, pass  string
	auth        bool
	// tlsConfig verifies the server for STARTTLS and implicit TLS; tests
	// give it their own root CA.
	tlsConfig *tls.Config
	// client holds go-mail's settings; each connection is its own
	// smtp.Client, dialled through it.
	client *mail.Client
	pool   pool
}

// NewSMTP returns an SMTP sender for rawURL:
//
//   - smtp://[user:pass@]host[:port]: port 587 by default; STARTTLS when
//     the server offers it (go-mail's TLSOpportunistic), else plaintext.
//   - smtps://[user:pass@]host[:port]: implicit TLS, port 465 by default.
//
// With a user, AUTH PLAIN is used. go-mail sends PLAIN credentials only
// over TLS or to a loopback host (localhost, 127.0.0.1, ::1): to any other
// host without TLS, Send fails rather than leak the password.
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
	opts := []mail.Option{
		mail.WithPort(s.port),
		mail.WithTimeout(commandTimeout),
		mail.WithDialContextFunc(s.dialConn),
		mail.WithTLSConfig(s.tlsConfig),
		// A connection that went stale in the pool fails at MAIL and is
		// replaced (pool.go): no NOOP round trip before every message.
		mail.WithoutNoop(),
	}
	if s.implicitTLS {
		// TLS is done by dialConn; WithSSL keeps go-mail from trying STARTTLS.
		opts = append(opts, mail.WithSSL())
	} else {
		opts = append(opts, mail.WithTLSPolicy(mail.TLSOpportunistic))
	}
	if s.auth {
		opts = append(opts, mail.WithSMTPAuth(mail.SMTPAuthPlain), mail.WithUsername(s.user), mail.WithPassword(s.pass))
	}
	if s.client, err = mail.NewClient(s.host, opts...); err != nil {
		return nil, fmt.Errorf("email: smtp client: %w", err)
	}
	s.pool.init()
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
	var se *mail.SendError
	if errors.As(err, &se) {
		return se.ErrorCode() >= 500 && se.ErrorCode() <= 599
	}
	var te *textproto.Error
	if errors.As(err, &te) {
		return te.Code >= 500 && te.Code <= 599
	}
	return false
}
