// Package client is a Go client of Herald's HTTP API (GET /api/openapi.json
// describes it): typed methods for accounts, their company contact,
// notification settings, API keys, portal links, signing, the event
// catalog, ingest, events, the delivery log and the outbox.
//
// Idempotent calls (GET, PUT, DELETE) and Emit are retried on network
// errors, 429 and 503, with exponential backoff that honours Retry-After;
// other 4xx answers are never retried. A failed call returns an *Error
// with the status, code, message and fields of Herald's answer.
package client

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Client calls one Herald server with one bearer token: the platform
// token, or an account's API key. Its methods are safe for concurrent use.
type Client struct {
	base       string
	token      string
	http       *http.Client
	retries    int
	minBackoff time.Duration
	maxBackoff time.Duration
	userAgent  string
}

// Option configures a Client.
type Option func(*Client)

// WithHTTPClient sends requests with hc instead of a client with a 30 s
// timeout.
func WithHTTPClient(hc *http.Client) Option { return func(c *Client) { c.http = hc } }

// WithRetries sets how many times a retryable failure is tried again
// (default 3; 0 disables retries).
func WithRetries(n int) Option { return func(c *Client) { c.retries = max(n, 0) } }

// WithBackoff sets the first retry's delay and the longest computed delay
// (defaults 500 ms and 30 s); each retry doubles the delay, with jitter.
// A Retry-After answer header is waited out whatever its length, unless
// the context ends first.
func WithBackoff(first, longest time.Duration) Option {
	return func(c *Client) { c.minBackoff, c.maxBackoff = first, max(first, longest) }
}

// WithUserAgent sets the User-Agent header (default "herald-go-client").
func WithUserAgent(ua string) Option { return func(c *Client) { c.userAgent = ua } }

// New returns a Client of the Herald server at baseURL (e.g.
// "http://127.0.0.1:8080") that authenticates with token.
func New(baseURL, token string, opts ...Option) *Client {
	c := &Client{
		base:       strings.TrimRight(baseURL, "/"),
		token:      token,
		http:       &http.Client{Timeout: 30 * time.Second},
		retries:    3,
		minBackoff: 500 * time.Millisecond,
		maxBackoff: 30 * time.Second,
		userAgent:  "herald-go-client",
	}
	for _, o := range opts {
		o(c)
	}
	return c
}

// Error is a failed call: Herald's error answer, or for an answer that is
// not one, its status and the start of its body as Message.
type Error struct {
	StatusCode int
	Code       string            // e.g. "invalid_input", "not_found"
	Message    string            // for people
	Fields     map[string]string // invalid_input: each bad input's path and why
	// RetryAfter is the answer's Retry-After, when it had one.
	RetryAfter time.Duration
}

func (e *Error) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "herald: %d", e.StatusCode)
	if e.Code != "" {
		fmt.Fprintf(&b, " %s", e.Code)
	}
	if e.Message != "" {
		fmt.Fprintf(&b, ": %s", e.Message)
	}
	for _, k := range sortedKeys(e.Fields) {
		fmt.Fprintf(&b, "; %s: %s", k, e.Fields[k])
	}
	return b.String()
}

// IsNotFound reports whether err is Herald's 404.
func IsNotFound(err error) bool {
	e, ok := errors.AsType[*Error](err)
	return ok && e.StatusCode == http.StatusNotFound
}

// call is one API call: it sends body (nil for none) as JSON, retries
// when retry allows, and decodes a 2xx answer into out (nil to discard).
// It returns the answer's status.
func (c *Client) call(ctx context.Context, method, path string, query url.Values, body, out any, retry bool) (int, error) {
	var payload []byte
	if body != nil {
		var err error
		if payload, err = json.Marshal(body); err != nil {
			return 0, fmt.Errorf("herald: encoding the request: %w", err)
		}
	}
	u := c.base + path
	if len(query) > 0 {
		u += "?" + query.Encode()
	}
	for attempt := 0; ; attempt++ {
		status, raw, header, err := c.once(ctx, method, u, payload)
		if err == nil && status >= 200 && status < 300 {
			if out != nil && len(bytes.TrimSpace(raw)) > 0 {
				if err := json.Unmarshal(raw, out); err != nil {
					return status, fmt.Errorf("herald: decoding the answer to %s %s: %w", method, path, err)
				}
			}
			return status, nil
		}
		if err == nil {
			err = answerError(status, raw, header)
		}
		if !retry || attempt >= c.retries || !retryable(ctx, err) {
			return status, err
		}
		if werr := c.wait(ctx, attempt, err); werr != nil {
			return status, err // the context ended: the last failure says more
		}
	}
}

// once sends one request and reads the whole answer.
func (c *Client) once(ctx context.Context, method, u string, payload []byte) (int, []byte, http.Header, error) {
	var rd io.Reader
	if payload != nil {
		rd = bytes.NewReader(payload)
	}
	req, err := http.NewRequestWithContext(ctx, method, u, rd)
	if err != nil {
		return 0, nil, nil, err
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", c.userAgent)
	if payload != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := c.http.Do(req)
	if err != nil {
		return 0, nil, nil, err
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		return 0, nil, nil, err
	}
	return res.StatusCode, raw, res.Header, nil
}

func answerError(status int, raw []byte, header http.Header) *Error {
	e := &Error{StatusCode: status}
	var body struct {
		Error struct {
			Code    string            `json:"code"`
			Message string            `json:"message"`
			Fields  map[string]string `json:"fields"`
		} `json:"error"`
	}
	if json.Unmarshal(raw, &body) == nil && body.Error.Code != "" {
		e.Code, e.Message, e.Fields = body.Error.Code, body.Error.Message, body.Error.Fields
	} else {
		e.Message = strings.TrimSpace(string(raw[:min(len(raw), 200)]))
		if e.Message == "" {
			e.Message = http.StatusText(status)
		}
	}
	e.RetryAfter = retryAfter(header.Get("Retry-After"), time.Now())
	return e
}

// retryable: network errors (not the caller's own cancellation), 429 and
// 503. Any other answer, 4xx above all, would fail the same way again.
func retryable(ctx context.Context, err error) bool {
	if ctx.Err() != nil {
		return false
	}
	if e, ok := errors.AsType[*Error](err); ok {
		return e.StatusCode == http.StatusTooManyRequests || e.StatusCode == http.StatusServiceUnavailable
	}
	return true
}

// wait sleeps before retry number attempt+1: the answer's Retry-After when
// it gave one, else the backoff for attempt with jitter.
func (c *Client) wait(ctx context.Context, attempt int, err error) error {
	d := c.minBackoff << min(attempt, 30)
	if d <= 0 || d > c.maxBackoff {
		d = c.maxBackoff
	}
	d = d/2 + rand.N(d/2+1) // jitter, so many clients do not retry in step
	if e, ok := errors.AsType[*Error](err); ok && e.RetryAfter > 0 {
		d = e.RetryAfter
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// retryAfter parses a Retry-After value: seconds or an HTTP date.
func retryAfter(v string, now time.Time) time.Duration {
	if v == "" {
		return 0
	}
	if s, err := strconv.Atoi(strings.TrimSpace(v)); err == nil {
		return time.Duration(max(s, 0)) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(t.Sub(now), 0)
	}
	return 0
}
