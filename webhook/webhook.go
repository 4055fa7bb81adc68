// Package webhook sends one webhook POST and records what happened for the
// delivery log.
//
// Customers choose the URLs, so the sender is deliberately unhelpful: it adds
// no credentials, uses no proxy, follows no redirects, dials only addresses
// the netguard policy allows (checked after DNS, at connect time), and bounds
// both the time and the memory a misbehaving endpoint can take.
package webhook

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/textproto"
	"strconv"
	"time"

	"herald/netguard"
)

// MaxResponseBody is how much of a response body is kept for the delivery
// log; more is of no use to anyone reading the log and would let an endpoint
// make Herald buffer arbitrary amounts.
const MaxResponseBody = 4096

const (
	defaultTimeout             = 10 * time.Second
	defaultUserAgent           = "Herald"
	defaultMaxIdleConnsPerHost = 4

	// maxDrain is how much of an over-long body is discarded so the
	// connection can be reused; beyond it closing is cheaper than reading.
	maxDrain = 64 << 10
	// drainWait bounds the draining in time: a slow sender is not worth
	// waiting for when the result is already known.
	drainWait = 50 * time.Millisecond
	// maxResponseHeaderBytes keeps a hostile endpoint from making Herald
	// buffer a megabyte of headers (net/http's default).
	maxResponseHeaderBytes = 64 << 10
)

// Options configure a Sender.
type Options struct {
	// Timeout bounds the whole request: connect, TLS, headers and body.
	// 0 means 10s, the spec's default.
	Timeout time.Duration
	// Guard is the connect-time private-network guard; nil means netguard's
	// zero value, which blocks private targets.
	Guard *netguard.Guard
	// UserAgent is sent on every request, e.g.
	// "Herald/dev (+https://github.com/herald)"; "" means "Herald".
	UserAgent string
	// MaxIdleConnsPerHost is how many idle connections are kept per host
	// for reuse; 0 means 4.
	MaxIdleConnsPerHost int
}

// Sender sends webhook requests. It is safe for concurrent use; create one
// and share it so connections are reused.
type Sender struct {
	client    *http.Client
	transport *http.Transport
	timeout   time.Duration
	userAgent string
}

// New returns a Sender configured by opts, with defaults for zero fields.
func New(opts Options) *Sender {
	if opts.Timeout <= 0 {
		opts.Timeout = defaultTimeout
	}
	if opts.Guard == nil {
		opts.Guard = &netguard.Guard{}
	}
	if opts.UserAgent == "" {
		opts.UserAgent = defaultUserAgent
	}
	if opts.MaxIdleConnsPerHost <= 0 {
		opts.MaxIdleConnsPerHost = defaultMaxIdleConnsPerHost
	}
	dialer := &net.Dialer{
		Timeout:   opts.Timeout,
		KeepAlive: 30 * time.Second,
		// Control sees every address actually dialled, after DNS, so a name
		// that resolved to a public address when the URL was saved cannot
		// later be rebound to a private one.
		Control: opts.Guard.Control,
	}
	transport := &http.Transport{
		// No proxy, ever: an environment proxy would make the guard check
		// the proxy's address instead of the customer's target.
		Proxy:                  nil,
		DialContext:            dialer.DialContext,
		ForceAttemptHTTP2:      true, // a custom dialer otherwise disables HTTP/2
		TLSClientConfig:        &tls.Config{MinVersion: tls.VersionTLS12},
		TLSHandshakeTimeout:    opts.Timeout,
		ResponseHeaderTimeout:  opts.Timeout,
		MaxIdleConnsPerHost:    opts.MaxIdleConnsPerHost,
		IdleConnTimeout:        90 * time.Second,
		MaxResponseHeaderBytes: maxResponseHeaderBytes,
		// Without this the transport silently adds Accept-Encoding: gzip,
		// so RequestHeader would not be what was sent, and the recorded
		// body would be a decompressed version of what the endpoint said.
		DisableCompression: true,
	}
	return &Sender{
		client: &http.Client{
			Transport: transport,
			// Redirects are never followed: a 3xx is a failed delivery and
			// its Location is recorded. Following one would also resend the
			// payload to a URL the customer never saved.
			CheckRedirect: func(*http.Request, []*http.Request) error {
				return http.ErrUseLastResponse
			},
		},
		transport: transport,
		timeout:   opts.Timeout,
		userAgent: opts.UserAgent,
	}
}

// Request is one webhook POST.
type Request struct {
	// URL is sent exactly as given, query string included (it is how
	// customers authenticate Herald). Userinfo is removed, never sent.
	URL string
	// Body is sent byte for byte as application/json.
	Body []byte
	// Header holds extra headers such as X-Herald-Event and
	// X-Herald-Delivery; may be nil. Authorization is never sent.
	Header http.Header
	// ID is the Standard Webhooks webhook-id: the delivery's id, the same
	// on every attempt. When set, Send adds webhook-id and
	// webhook-timestamp (the Unix seconds of this attempt), and, with
	// Signer, webhook-signature over exactly those values and Body.
	ID string
	// Signer signs the request; nil sends it unsigned.
	Signer Signer
}

// Signer makes the webhook-signature header's value for the signed content
// {id}.{timestamp}.{body}.
type Signer interface {
	Sign(id string, timestamp int64, body []byte) string
}

// Result is what happened, for the delivery log.
type Result struct {
	// Success is true for any 2xx whose response was read in time.
	Success bool
	// StatusCode is 0 when no response arrived.
	StatusCode int
	// RequestHeader is exactly the headers sent: Content-Type, User-Agent
	// and the extras that were allowed through.
	RequestHeader http.Header
	// ResponseHeader is nil when no response arrived; for a redirect it
	// includes Location.
	ResponseHeader http.Header
	// ResponseBody is at most MaxResponseBody bytes of the response body.
	ResponseBody []byte
	// BodyTruncated reports that the body was longer than ResponseBody.
	BodyTruncated bool
	// Error is "" on success, else a short human-readable reason such as
	// "timeout after 10s" or "HTTP 500". It never contains query-string
	// values, which are secrets.
	Error string
	// Latency runs from the start of the request to the end of reading
	// (what was read of) the response body.
	Latency time.Duration
}

// Send POSTs req and reports the outcome; it never returns an error because
// every failure is a delivery outcome to record. It returns within the
// Sender's Timeout however the endpoint behaves.
func (s *Sender) Send(ctx context.Context, req Request) Result {
	start := time.Now()
	var res Result
	res.RequestHeader = s.header(req.Header)
	if req.ID != "" {
		// Set directly under the canonical keys; the timestamp is the
		// attempt's own, so a retry or redelivery is signed afresh.
		ts := start.Unix()
		res.RequestHeader[headerID] = []string{req.ID}
		res.RequestHeader[headerTimestamp] = []string{strconv.FormatInt(ts, 10)}
		if req.Signer != nil {
			if sig := req.Signer.Sign(req.ID, ts, req.Body); sig != "" {
				res.RequestHeader[headerSignature] = []string{sig}
			}
		}
	}
	parent := ctx
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()

	httpReq, err := http.NewRequestWithContext(ctx, http.MethodPost, req.URL, bytes.NewReader(req.Body))
	switch {
	case err != nil:
	case req.URL == "":
		err = errors.New("empty")
	case httpReq.URL.Scheme != "http" && httpReq.URL.Scheme != "https":
		err = fmt.Errorf("unsupported scheme %q; want http or https", httpReq.URL.Scheme)
	case httpReq.URL.Host == "":
		err = errors.New("no host")
	}
	if err != nil {
		res.Error = invalidURLReason(err, req.URL)
		res.Latency = time.Since(start)
		return res
	}
	// The client turns userinfo into basic auth; no credentials are ever
	// sent, whatever the URL says.
	httpReq.URL.User = nil
	httpReq.Header = res.RequestHeader.Clone()

	resp, err := s.client.Do(httpReq)
	if err != nil {
		res.Error = s.reason(parent, err, req.URL)
		res.Latency = time.Since(start)
		return res
	}
	defer resp.Body.Close()
	res.StatusCode = resp.StatusCode
	res.ResponseHeader = resp.Header

	body, readErr := io.ReadAll(io.LimitReader(resp.Body, MaxResponseBody+1))
	if len(body) > MaxResponseBody {
		body, res.BodyTruncated = body[:MaxResponseBody], true
		readErr = nil // what followed the kept bytes does not matter
	}
	res.ResponseBody = body
	res.Latency = time.Since(start)

	switch {
	case readErr != nil:
		// The endpoint answered but did not finish within the timeout (or
		// broke the connection): the request did not complete, whatever
		// the status said.
		res.Error = s.reason(parent, readErr, req.URL) + " while reading the response body"
	case resp.StatusCode >= 200 && resp.StatusCode <= 299:
		res.Success = true
	default:
		res.Error = statusReason(resp)
	}

	if res.BodyTruncated {
		// Discard a little more so the connection can be reused; a body
		// longer than that, or slower than drainWait, is cut off by
		// cancelling the request, and Close then drops the connection.
		stop := time.AfterFunc(drainWait, cancel)
		_, _ = io.CopyN(io.Discard, resp.Body, maxDrain)
		stop.Stop()
	}
	return res
}

// Close releases idle connections. The Sender stays usable; later sends
// simply open new connections.
func (s *Sender) Close() {
	s.transport.CloseIdleConnections()
}

// header builds the request headers: the extras first, then Content-Type
// and User-Agent, which the extras cannot override. Keys are canonicalized
// so that a lower-case "authorization" cannot slip past the filter.
func (s *Sender) header(extra http.Header) http.Header {
	h := make(http.Header, len(extra)+2)
	for k, vs := range extra {
		ck := textproto.CanonicalMIMEHeaderKey(k)
		if droppedHeaders[ck] {
			continue
		}
		h[ck] = append(h[ck], vs...)
	}
	h.Set("Content-Type", "application/json")
	h.Set("User-Agent", s.userAgent)
	return h
}

// The Standard Webhooks headers, canonical forms of webhook-id,
// webhook-timestamp and webhook-signature.
const (
	headerID        = "Webhook-Id"
	headerTimestamp = "Webhook-Timestamp"
	headerSignature = "Webhook-Signature"
)

// droppedHeaders are extras never passed on: credentials (the spec promises
// no authentication headers), the headers Send sets itself, and those
// net/http writes on its own, which would make RequestHeader misreport what
// was sent.
var droppedHeaders = map[string]bool{
	headerID:              true,
	headerTimestamp:       true,
	headerSignature:       true,
	"Authorization":       true,
	"Proxy-Authorization": true,
	"Content-Type":        true,
	"User-Agent":          true,
	"Host":                true,
	"Content-Length":      true,
	"Transfer-Encoding":   true,
	"Trailer":             true,
}
