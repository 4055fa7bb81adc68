package webhook

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"herald/netguard"
)

// Every test talks to loopback only; the guard tests are the only ones that
// keep the private-network policy on.

const secretQuery = "?token=s3cret&b=%20x"

// newSender returns a Sender that may reach loopback test servers.
func newSender(t testing.TB, timeout time.Duration) *Sender {
	t.Helper()
	s := New(Options{Timeout: timeout, Guard: &netguard.Guard{AllowPrivate: true}, UserAgent: "Herald/test"})
	t.Cleanup(s.Close)
	return s
}

// newServer starts an httptest server whose own logging is discarded, since
// several tests provoke errors it would otherwise print.
func newServer(t testing.TB, h http.Handler) *httptest.Server {
	t.Helper()
	srv := httptest.NewUnstartedServer(h)
	srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	srv.Start()
	t.Cleanup(srv.Close)
	return srv
}

// newBlockingServer starts a server whose handler gets a channel that is
// closed when the test ends. It is closed before the server shuts down
// (cleanups run last in, first out), so handlers blocked on it let
// srv.Close finish.
func newBlockingServer(t *testing.T, handler func(done <-chan struct{}) http.HandlerFunc) *httptest.Server {
	t.Helper()
	done := make(chan struct{})
	srv := newServer(t, handler(done))
	t.Cleanup(func() { close(done) })
	return srv
}

// checkFailure asserts what every failed delivery must satisfy.
func checkFailure(t *testing.T, res Result) {
	t.Helper()
	t.Logf("Error: %s", res.Error)
	if res.Success {
		t.Errorf("Success = true, want false (result %+v)", res)
	}
	if res.Error == "" {
		t.Error("Error is empty on failure")
	}
	if strings.Contains(res.Error, "s3cret") || strings.Contains(res.Error, "hunter2") {
		t.Errorf("Error %q leaks a secret from the URL", res.Error)
	}
	if res.Latency <= 0 {
		t.Errorf("Latency = %v, want > 0", res.Latency)
	}
}

// within runs send and fails the test if it takes longer than limit.
func within(t *testing.T, limit time.Duration, send func() Result) Result {
	t.Helper()
	start := time.Now()
	res := send()
	if elapsed := time.Since(start); elapsed > limit {
		t.Errorf("Send took %v, want at most %v", elapsed, limit)
	}
	return res
}

type received struct {
	method     string
	requestURI string
	rawQuery   string
	header     http.Header
	body       []byte
}

func TestSendSuccess(t *testing.T) {
	t.Parallel()
	for _, status := range []int{200, 204, 299} {
		t.Run(strconv.Itoa(status), func(t *testing.T) {
			t.Parallel()
			got := make(chan received, 1)
			respBody := "ok"
			if status == http.StatusNoContent {
				respBody = ""
			}
			srv := newServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				b, _ := io.ReadAll(r.Body)
				got <- received{r.Method, r.RequestURI, r.URL.RawQuery, r.Header.Clone(), b}
				w.Header().Set("X-Reply", "yes")
				w.WriteHeader(status)
				io.WriteString(w, respBody)
			}))
			body := []byte(`{"event_type":"run_failed","note":"caf\u00e9 \"q\"","n":1}` + "\n")
			extras := http.Header{
				"X-Herald-Event":    {"run_failed"},
				"X-Herald-Delivery": {"42"},
				"Authorization":     {"Bearer nope"},
				"authorization":     {"Basic also-nope"}, // non-canonical key
				"Content-Type":      {"text/plain"},      // cannot override
			}
			hookURL := strings.Replace(srv.URL, "http://", "http://user:hunter2@", 1) + "/hook" + secretQuery

			res := newSender(t, 5*time.Second).Send(context.Background(), Request{URL: hookURL, Body: body, Header: extras})

			if !res.Success || res.Error != "" || res.StatusCode != status {
				t.Fatalf("result = success %v, status %d, error %q; want success with %d", res.Success, res.StatusCode, res.Error, status)
			}
			if string(res.ResponseBody) != respBody || res.BodyTruncated {
				t.Errorf("ResponseBody = %q (truncated %v), want %q", res.ResponseBody, res.BodyTruncated, respBody)
			}
			if res.ResponseHeader.Get("X-Reply") != "yes" {
				t.Errorf("ResponseHeader = %v, want X-Reply", res.ResponseHeader)
			}
			if res.Latency <= 0 {
				t.Errorf("Latency = %v, want > 0", res.Latency)
			}
			wantHeader := http.Header{
				"Content-Type":      {"application/json"},
				"User-Agent":        {"Herald/test"},
				"X-Herald-Event":    {"run_failed"},
				"X-Herald-Delivery": {"42"},
			}
			if !reflect.DeepEqual(res.RequestHeader, wantHeader) {
				t.Errorf("RequestHeader = %v, want %v", res.RequestHeader, wantHeader)
			}

			r := <-got
			if r.method != http.MethodPost {
				t.Errorf("method = %s, want POST", r.method)
			}
			if !bytes.Equal(r.body, body) {
				t.Errorf("body = %q, want %q", r.body, body)
			}
			if r.requestURI != "/hook"+secretQuery || r.rawQuery != secretQuery[1:] {
				t.Errorf("request URI = %q (query %q), want %q", r.requestURI, r.rawQuery, "/hook"+secretQuery)
			}
			for k, v := range wantHeader {
				if !reflect.DeepEqual(r.header[k], v) {
					t.Errorf("received %s = %q, want %q", k, r.header[k], v)
				}
			}
			if a, ok := r.header["Authorization"]; ok {
				t.Errorf("received Authorization %q, want none", a)
			}
			if ae := r.header.Get("Accept-Encoding"); ae != "" {
				t.Errorf("received Accept-Encoding %q, which RequestHeader does not show", ae)
			}
		})
	}
}

func TestSendDefaultUserAgent(t *testing.T) {
	t.Parallel()
	ua := make(chan string, 1)
	srv := newServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ua <- r.Header.Get("User-Agent")
	}))
	s := New(Options{Guard: &netguard.Guard{AllowPrivate: true}})
	defer s.Close()
	res := s.Send(context.Background(), Request{URL: srv.URL})
	if !res.Success {
		t.Fatalf("Send failed: %s", res.Error)
	}
	if got := <-ua; got != "Herald" {
		t.Errorf("User-Agent = %q, want Herald", got)
	}
}

func TestSendErrorStatus(t *testing.T) {
	t.Parallel()
	tests := []struct {
		status int
		body   string
	}{
		{500, "boom"},
		{404, "no such hook"},
		{400, ""},
	}
	for _, tt := range tests {
		t.Run(strconv.Itoa(tt.status), func(t *testing.T) {
			t.Parallel()
			srv := newServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(tt.status)
				io.WriteString(w, tt.body)
			}))
			res := newSender(t, 5*time.Second).Send(context.Background(), Request{URL: srv.URL + secretQuery, Body: []byte("{}")})
			checkFailure(t, res)
			if res.StatusCode != tt.status || string(res.ResponseBody) != tt.body || res.ResponseHeader == nil {
				t.Errorf("status %d, body %q, header %v; want %d, %q and a header", res.StatusCode, res.ResponseBody, res.ResponseHeader, tt.status, tt.body)
			}
			if want := "HTTP " + strconv.Itoa(tt.status); res.Error != want {
				t.Errorf("Error = %q, want %q", res.Error, want)
			}
		})
	}
}

func TestSendDoesNotFollowRedirects(t *testing.T) {
	t.Parallel()
	for _, status := range []int{301, 302, 307, 308} {
		t.Run(strconv.Itoa(status), func(t *testing.T) {
			t.Parallel()
			var targetHits atomic.Int32
			mux := http.NewServeMux()
			mux.HandleFunc("/target", func(w http.ResponseWriter, r *http.Request) { targetHits.Add(1) })
			srv := newServer(t, mux)
			location := srv.URL + "/target?token=s3cret&x=1"
			mux.HandleFunc("/hook", func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Location", location)
				w.WriteHeader(status)
			})

			res := newSender(t, 5*time.Second).Send(context.Background(), Request{URL: srv.URL + "/hook" + secretQuery, Body: []byte("{}")})

			checkFailure(t, res)
			if n := targetHits.Load(); n != 0 {
				t.Errorf("redirect target hit %d times, want 0", n)
			}
			if res.StatusCode != status {
				t.Errorf("StatusCode = %d, want %d", res.StatusCode, status)
			}
			if got := res.ResponseHeader.Get("Location"); got != location {
				t.Errorf("Location = %q, want %q", got, location)
			}
			want := "redirect (" + strconv.Itoa(status) + ") to " + srv.URL + "/target?token=***&x=***; redirects are not followed"
			if res.Error != want {
				t.Errorf("Error = %q, want %q", res.Error, want)
			}
		})
	}
}

func TestSendRedirectWithoutLocation(t *testing.T) {
	t.Parallel()
	srv := newServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusMultipleChoices)
	}))
	res := newSender(t, 5*time.Second).Send(context.Background(), Request{URL: srv.URL})
	checkFailure(t, res)
	if res.Error != "HTTP 300" {
		t.Errorf("Error = %q, want HTTP 300", res.Error)
	}
}

func TestSendTimeouts(t *testing.T) {
	t.Parallel()
	const timeout = 300 * time.Millisecond
	const slack = 700 * time.Millisecond
	tests := []struct {
		name       string
		handler    func(done <-chan struct{}) http.HandlerFunc
		wantStatus int
	}{
		{
			name: "headers never come",
			handler: func(done <-chan struct{}) http.HandlerFunc {
				return func(w http.ResponseWriter, r *http.Request) {
					select {
					case <-done:
					case <-r.Context().Done():
					}
				}
			},
		},
		{
			name: "body trickles forever",
			handler: func(done <-chan struct{}) http.HandlerFunc {
				return func(w http.ResponseWriter, r *http.Request) {
					w.WriteHeader(http.StatusOK)
					for {
						if _, err := w.Write([]byte("x")); err != nil {
							return
						}
						w.(http.Flusher).Flush()
						select {
						case <-done:
							return
						case <-r.Context().Done():
							return
						case <-time.After(20 * time.Millisecond):
						}
					}
				}
			},
			wantStatus: http.StatusOK,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := newBlockingServer(t, tt.handler)
			s := newSender(t, timeout)
			res := within(t, timeout+slack, func() Result {
				return s.Send(context.Background(), Request{URL: srv.URL + secretQuery, Body: []byte("{}")})
			})
			checkFailure(t, res)
			if !strings.HasPrefix(res.Error, "timeout after 300ms") {
				t.Errorf("Error = %q, want it to start with %q", res.Error, "timeout after 300ms")
			}
			if res.StatusCode != tt.wantStatus {
				t.Errorf("StatusCode = %d, want %d", res.StatusCode, tt.wantStatus)
			}
		})
	}
}

func TestSendCallerContext(t *testing.T) {
	t.Parallel()
	srv := newServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		<-r.Context().Done()
	}))
	s := newSender(t, 5*time.Second)

	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(50*time.Millisecond, cancel)
	res := within(t, time.Second, func() Result { return s.Send(ctx, Request{URL: srv.URL + secretQuery}) })
	checkFailure(t, res)
	if res.Error != "canceled" {
		t.Errorf("cancelled caller: Error = %q, want canceled", res.Error)
	}

	ctx, cancel = context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	res = within(t, time.Second, func() Result { return s.Send(ctx, Request{URL: srv.URL + secretQuery}) })
	checkFailure(t, res)
	if !strings.HasPrefix(res.Error, "timeout") {
		t.Errorf("caller deadline: Error = %q, want a timeout", res.Error)
	}
}

// rawServer accepts connections on 127.0.0.1 and hands each to serve.
func rawServer(t *testing.T, serve func(*net.TCPConn)) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go serve(c.(*net.TCPConn))
		}
	}()
	return "http://" + ln.Addr().String()
}

// readRequestStart waits for the request to begin arriving, so the client is
// waiting for a response when the connection goes away.
func readRequestStart(c *net.TCPConn) {
	c.SetReadDeadline(time.Now().Add(2 * time.Second))
	buf := make([]byte, 1)
	c.Read(buf)
}

func TestSendConnectionFailures(t *testing.T) {
	t.Parallel()
	refusedURL := func(t *testing.T) string {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := ln.Addr().String()
		ln.Close() // nothing listens there now
		return "http://" + addr
	}
	tests := []struct {
		name      string
		url       func(t *testing.T) string
		wantError string
	}{
		{
			name: "reset",
			url: func(t *testing.T) string {
				return rawServer(t, func(c *net.TCPConn) {
					readRequestStart(c)
					c.SetLinger(0) // close sends RST
					c.Close()
				})
			},
			wantError: "connection reset by peer",
		},
		{
			name: "closed without response",
			url: func(t *testing.T) string {
				return rawServer(t, func(c *net.TCPConn) {
					readRequestStart(c)
					c.CloseWrite()
					io.Copy(io.Discard, c)
					c.Close()
				})
			},
			wantError: "connection closed by the server before a complete response",
		},
		{
			name:      "refused",
			url:       refusedURL,
			wantError: "connection refused",
		},
		{
			name: "garbage response",
			url: func(t *testing.T) string {
				return rawServer(t, func(c *net.TCPConn) {
					readRequestStart(c)
					io.WriteString(c, "SMTP ready\r\n\r\n")
					c.Close()
				})
			},
			wantError: `malformed HTTP status code "ready"`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := newSender(t, 2*time.Second)
			res := within(t, 2*time.Second, func() Result {
				return s.Send(context.Background(), Request{URL: tt.url(t) + "/hook" + secretQuery, Body: []byte("{}")})
			})
			checkFailure(t, res)
			if !strings.Contains(res.Error, tt.wantError) {
				t.Errorf("Error = %q, want it to contain %q", res.Error, tt.wantError)
			}
			if res.StatusCode != 0 || res.ResponseHeader != nil {
				t.Errorf("StatusCode %d, ResponseHeader %v; want none", res.StatusCode, res.ResponseHeader)
			}
		})
	}
}

func TestSendHugeBody(t *testing.T) {
	t.Parallel()
	const size = 50 << 20
	type outcome struct {
		written int
		err     error
	}
	served := make(chan outcome, 1)
	srv := newServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusOK)
		chunk := bytes.Repeat([]byte("a"), 32<<10)
		var o outcome
		for o.written < size {
			n, err := w.Write(chunk)
			o.written += n
			if err != nil {
				o.err = err
				break
			}
		}
		served <- o
	}))

	s := newSender(t, 5*time.Second)
	res := within(t, 2*time.Second, func() Result {
		return s.Send(context.Background(), Request{URL: srv.URL + secretQuery, Body: []byte("{}")})
	})
	if !res.Success || res.Error != "" {
		t.Errorf("Success %v, Error %q; want a successful 200", res.Success, res.Error)
	}
	if len(res.ResponseBody) != MaxResponseBody || !res.BodyTruncated {
		t.Errorf("ResponseBody %d bytes, truncated %v; want %d, true", len(res.ResponseBody), res.BodyTruncated, MaxResponseBody)
	}
	select {
	case o := <-served:
		if o.err == nil || o.written >= size {
			t.Errorf("handler wrote %d bytes, error %v; want it cut off by the sender", o.written, o.err)
		}
	case <-time.After(time.Second):
		t.Error("handler still writing a second after Send returned; the connection was not closed")
	}
}

func TestSendResponseBodyLimit(t *testing.T) {
	t.Parallel()
	tests := []struct {
		size          int
		wantTruncated bool
	}{
		{0, false},
		{10, false},
		{MaxResponseBody, false},
		{MaxResponseBody + 1, true},
		{MaxResponseBody + maxDrain + 10, true}, // too long to drain
	}
	for _, tt := range tests {
		t.Run(strconv.Itoa(tt.size), func(t *testing.T) {
			t.Parallel()
			body := bytes.Repeat([]byte("0123456789"), tt.size/10+1)[:tt.size]
			srv := newServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(http.StatusInternalServerError)
				w.Write(body)
			}))
			res := newSender(t, 5*time.Second).Send(context.Background(), Request{URL: srv.URL})
			checkFailure(t, res)
			want := body[:min(tt.size, MaxResponseBody)]
			if !bytes.Equal(res.ResponseBody, want) || res.BodyTruncated != tt.wantTruncated {
				t.Errorf("ResponseBody %d bytes (truncated %v), want %d bytes (truncated %v)", len(res.ResponseBody), res.BodyTruncated, len(want), tt.wantTruncated)
			}
			if res.Error != "HTTP 500" {
				t.Errorf("Error = %q, want HTTP 500", res.Error)
			}
		})
	}
}

// A body slightly over the limit is drained, so the next send reuses the
// connection instead of opening another.
func TestSendReusesConnectionAfterTruncation(t *testing.T) {
	t.Parallel()
	var conns atomic.Int32
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write(bytes.Repeat([]byte("a"), 2*MaxResponseBody))
	}))
	srv.Config.ConnState = func(_ net.Conn, st http.ConnState) {
		if st == http.StateNew {
			conns.Add(1)
		}
	}
	srv.Start()
	t.Cleanup(srv.Close)

	s := newSender(t, 5*time.Second)
	for i := range 3 {
		res := s.Send(context.Background(), Request{URL: srv.URL})
		if !res.Success || !res.BodyTruncated {
			t.Fatalf("send %d: success %v, truncated %v, error %q", i, res.Success, res.BodyTruncated, res.Error)
		}
	}
	if n := conns.Load(); n != 1 {
		t.Errorf("%d connections for 3 sends, want 1", n)
	}
}

func TestSendGuardBlocksLoopback(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		guard *netguard.Guard
	}{
		{"nil guard", nil},
		{"zero guard", &netguard.Guard{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var hits atomic.Int32
			srv := newServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hits.Add(1) }))
			s := New(Options{Timeout: 2 * time.Second, Guard: tt.guard})
			defer s.Close()

			res := s.Send(context.Background(), Request{URL: srv.URL + secretQuery, Body: []byte("{}")})

			checkFailure(t, res)
			if want := "blocked: 127.0.0.1 is a loopback address"; res.Error != want {
				t.Errorf("Error = %q, want %q", res.Error, want)
			}
			if n := hits.Load(); n != 0 {
				t.Errorf("handler hit %d times, want 0", n)
			}
		})
	}
}

func TestSendTLSFailure(t *testing.T) {
	t.Parallel()
	var hits atomic.Int32
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hits.Add(1) }))
	srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	srv.StartTLS()
	t.Cleanup(srv.Close)

	res := newSender(t, 2*time.Second).Send(context.Background(), Request{URL: srv.URL + secretQuery})

	checkFailure(t, res)
	if !strings.HasPrefix(res.Error, "TLS handshake failed: ") {
		t.Errorf("Error = %q, want a TLS handshake failure", res.Error)
	}
	if n := hits.Load(); n != 0 {
		t.Errorf("handler hit %d times, want 0", n)
	}
}

func TestSendTLSSuccess(t *testing.T) {
	t.Parallel()
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, r.Proto)
	}))
	srv.EnableHTTP2 = true
	srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	srv.StartTLS()
	t.Cleanup(srv.Close)

	s := newSender(t, 2*time.Second)
	// White-box: trust the test server's certificate, which no real
	// configuration can do.
	s.transport.TLSClientConfig.RootCAs = srv.Client().Transport.(*http.Transport).TLSClientConfig.RootCAs
	res := s.Send(context.Background(), Request{URL: srv.URL + secretQuery})
	if !res.Success {
		t.Fatalf("Send over TLS failed: %s", res.Error)
	}
	if string(res.ResponseBody) != "HTTP/2.0" {
		t.Errorf("protocol = %q, want HTTP/2.0", res.ResponseBody)
	}
}

func TestSendInvalidURL(t *testing.T) {
	t.Parallel()
	tests := []struct {
		url       string
		wantError string
	}{
		{"", "invalid URL: empty"},
		{"ftp://127.0.0.1/x?token=s3cret", `invalid URL: unsupported scheme "ftp"; want http or https`},
		{"http://[::1/?token=s3cret", "invalid URL"},
		{"http://127.0.0.1:80x/?token=s3cret", "invalid URL"},
		{"http:///only/path?token=s3cret", "invalid URL: no host"},
		{"mailto:ops@example.com?token=s3cret", "invalid URL: unsupported scheme"},
	}
	for _, tt := range tests {
		t.Run(tt.url, func(t *testing.T) {
			t.Parallel()
			res := newSender(t, time.Second).Send(context.Background(), Request{URL: tt.url})
			checkFailure(t, res)
			if !strings.Contains(res.Error, tt.wantError) {
				t.Errorf("Error = %q, want it to contain %q", res.Error, tt.wantError)
			}
		})
	}
}

func TestNewDefaults(t *testing.T) {
	t.Parallel()
	s := New(Options{})
	defer s.Close()
	if s.timeout != 10*time.Second || s.userAgent != "Herald" || s.transport.MaxIdleConnsPerHost != 4 {
		t.Errorf("defaults: timeout %v, user agent %q, idle per host %d", s.timeout, s.userAgent, s.transport.MaxIdleConnsPerHost)
	}
	if s.transport.Proxy != nil {
		t.Error("Transport.Proxy is set; an environment proxy would bypass the guard")
	}
	if s.transport.TLSHandshakeTimeout > s.timeout {
		t.Errorf("TLSHandshakeTimeout %v exceeds Timeout %v", s.transport.TLSHandshakeTimeout, s.timeout)
	}
	if err := s.client.CheckRedirect(nil, nil); !errors.Is(err, http.ErrUseLastResponse) {
		t.Errorf("CheckRedirect = %v, want http.ErrUseLastResponse", err)
	}
}

func TestMaskURL(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{"https://h/p", "https://h/p"},
		{"https://h/p?token=s3cret", "https://h/p?token=***"},
		{"https://h/p?token=s3cret&b=%20x", "https://h/p?token=***&b=***"},
		{"https://h/p?s3cret", "https://h/p?***"},
		{"https://h/p?a=&&b=1", "https://h/p?a=***&&b=***"},
		{"https://h/p?", "https://h/p?"},
		{"https://user:hunter2@h:8443/p?x=1", "https://***@h:8443/p?x=***"},
		{"//user:hunter2@h/p", "//***@h/p"},
		{"/relative?token=s3cret", "/relative?token=***"},
		{"https://h/p@q?token=a@b", "https://h/p@q?token=***"},
	}
	for _, tt := range tests {
		if got := maskURL(tt.in); got != tt.want {
			t.Errorf("maskURL(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestScrub(t *testing.T) {
	t.Parallel()
	raw := "http://u:hunter2@h/p?token=s3cret"
	got := scrub(`Post "`+raw+`": token=s3cret hunter2`, raw)
	if strings.Contains(got, "s3cret") || strings.Contains(got, "hunter2") {
		t.Errorf("scrub left a secret: %q", got)
	}
}

type fixedSigner string

func (f fixedSigner) Sign(id string, ts int64, body []byte) string {
	return string(f) + "," + id + "." + strconv.FormatInt(ts, 10) + "." + string(body)
}

// With an ID, every request carries webhook-id and webhook-timestamp (the
// attempt's Unix seconds), and webhook-signature when a Signer is given:
// on the wire and in RequestHeader alike. Extras cannot forge them.
func TestSendStandardWebhooksHeaders(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		signer Signer
		sig    bool
	}{{"unsigned", nil, false}, {"signed", fixedSigner("v9"), true}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := make(chan http.Header, 1)
			srv := newServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { got <- r.Header.Clone() }))
			extras := http.Header{"webhook-id": {"forged"}, "Webhook-Timestamp": {"1"}, "Webhook-Signature": {"v1,forged"}}
			before := time.Now().Unix()
			res := newSender(t, 5*time.Second).Send(context.Background(), Request{URL: srv.URL, Body: []byte(`{}`), Header: extras, ID: "dlv_1", Signer: tt.signer})
			after := time.Now().Unix()
			if !res.Success {
				t.Fatalf("send failed: %s", res.Error)
			}
			wire := <-got
			for _, h := range []http.Header{res.RequestHeader, wire} {
				if v := h.Values("Webhook-Id"); len(v) != 1 || v[0] != "dlv_1" {
					t.Errorf("webhook-id = %q, want dlv_1", v)
				}
				v := h.Values("Webhook-Timestamp")
				ts, err := strconv.ParseInt(strings.Join(v, ""), 10, 64)
				if len(v) != 1 || err != nil || ts < before || ts > after {
					t.Errorf("webhook-timestamp = %q, want one value in [%d, %d]", v, before, after)
				}
				want := []string(nil)
				if tt.sig {
					want = []string{"v9,dlv_1." + v[0] + ".{}"}
				}
				if sig := h.Values("Webhook-Signature"); !reflect.DeepEqual(sig, want) {
					t.Errorf("webhook-signature = %q, want %q", sig, want)
				}
			}
		})
	}
}

// Without an ID (callers that are not deliveries) none is invented.
func TestSendWithoutIDHasNoWebhookHeaders(t *testing.T) {
	t.Parallel()
	srv := newServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	res := newSender(t, 5*time.Second).Send(context.Background(), Request{URL: srv.URL, Body: []byte(`{}`), Signer: fixedSigner("v9")})
	for _, k := range []string{"Webhook-Id", "Webhook-Timestamp", "Webhook-Signature"} {
		if _, ok := res.RequestHeader[k]; ok {
			t.Errorf("RequestHeader has %s without an ID: %v", k, res.RequestHeader)
		}
	}
}
