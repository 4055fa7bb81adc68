package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strconv"
	"strings"
	"testing"
	"time"

	"herald"
	"herald/catalog"
	"herald/dispatch"
	"herald/email"
	"herald/metrics"
	"herald/netguard"
	"herald/store"
	"herald/store/storetest"
	"herald/web"
	"herald/webhook"
)

const platformToken = "hp_test_platform_token_0123456789abcdef"

// fakeDNS answers for the hosts tests use, so no test depends on real DNS.
func fakeDNS(ctx context.Context, network, host string) ([]netip.Addr, error) {
	switch host {
	case "internal.acme.test":
		return []netip.Addr{netip.MustParseAddr("10.0.0.5")}, nil
	case "rebind.acme.test":
		return []netip.Addr{netip.MustParseAddr("203.0.113.10"), netip.MustParseAddr("127.0.0.1")}, nil
	}
	return []netip.Addr{netip.MustParseAddr("203.0.113.10")}, nil
}

// bundle is a running Herald API on one engine, with the platform token.
type bundle struct {
	t     testing.TB
	url   string
	store *store.Store
	api   *web.Server
}

// options vary setup: delivering runs a worker, and allows loopback
// webhook URLs (the receivers tests start).
type options struct {
	delivering bool
	// busyTimeout, when set, is the SQLite store's (see store.Options).
	busyTimeout time.Duration
}

func setup(t testing.TB, databaseURL string, opts ...options) *bundle {
	t.Helper()
	var o options
	for _, opt := range opts {
		o = opt
	}
	ctx := context.Background()
	st, err := store.Open(ctx, databaseURL, store.Options{BusyTimeout: o.busyTimeout, Secrets: storetest.Secrets(t, databaseURL)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if _, err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	b := catalog.NewBuilder("prod-acme", "", "")
	guard := &netguard.Guard{LookupNetIP: fakeDNS, AllowPrivate: o.delivering}
	sender := webhook.New(webhook.Options{Timeout: 2 * time.Second, Guard: guard})
	t.Cleanup(sender.Close)
	m := metrics.New(st, nil)
	api := web.New(web.Config{
		Store:               st,
		Ingester:            dispatch.NewIngester(st, b, nil),
		Builder:             b,
		Guard:               guard,
		PlatformTokenHashes: []string{herald.HashToken(platformToken)},
		Tester:              &dispatch.Tester{Store: st, Builder: b, Webhooks: sender, Lease: time.Minute},
		Metrics:             m,
		PublicURL:           "http://herald.test",
	})
	srv := httptest.NewServer(api)
	t.Cleanup(srv.Close)
	if o.delivering {
		renderer, err := email.NewRenderer("Herald <herald@herald.test>")
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() {
			defer close(done)
			dispatch.NewWorker(dispatch.WorkerConfig{Store: st, Webhooks: sender, Renderer: renderer, WebhookTimeout: 2 * time.Second, Poll: 50 * time.Millisecond, Observer: m}).Run(ctx)
		}()
		t.Cleanup(func() { cancel(); <-done })
	}
	return &bundle{t: t, url: srv.URL, store: st, api: api}
}

// each runs fn against a fresh Herald on every engine.
func each(t *testing.T, fn func(t *testing.T, b *bundle), opts ...options) {
	t.Helper()
	for _, e := range storetest.Engines() {
		t.Run(e.Name, func(t *testing.T) {
			t.Parallel()
			fn(t, setup(t, e.URL(t), opts...))
		})
	}
}

// response is an answer: status, raw body, and the body decoded.
type response struct {
	status int
	header http.Header
	raw    []byte
	body   map[string]any
}

// do sends body (a string of JSON, or "" for none) with token ("" for no
// Authorization header).
func (b *bundle) do(method, path, token, body string) response {
	b.t.Helper()
	req, err := http.NewRequest(method, b.url+path, strings.NewReader(body))
	if err != nil {
		b.t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		b.t.Fatal(err)
	}
	checkExchange(b.t, req, []byte(body), res, raw)
	r := response{status: res.StatusCode, header: res.Header, raw: raw}
	if len(bytes.TrimSpace(raw)) > 0 {
		d := json.NewDecoder(bytes.NewReader(raw))
		d.UseNumber()
		if err := d.Decode(&r.body); err != nil {
			b.t.Fatalf("%s %s: answer is not a JSON object: %v\n%s", method, path, err, raw)
		}
	}
	return r
}

// must is do that fails the test unless the status is want.
func (b *bundle) must(want int, method, path, token, body string) response {
	b.t.Helper()
	r := b.do(method, path, token, body)
	if r.status != want {
		b.t.Fatalf("%s %s: status %d, want %d\n%s", method, path, r.status, want, r.raw)
	}
	return r
}

// account creates an account with a primary contact.
func (b *bundle) account(id int, name string) {
	b.t.Helper()
	b.must(201, "PUT", "/api/v1/accounts/"+itoa(id), platformToken, `{"name": "`+name+`"}`)
	b.must(200, "PUT", "/api/v1/accounts/"+itoa(id)+"/company", platformToken,
		`{"primary_contact": {"name": "Ann Lee", "email": "ann@acme.test"}}`)
}

// apiKey creates an API key for the account and returns it.
func (b *bundle) apiKey(id int) string {
	b.t.Helper()
	r := b.must(201, "POST", "/api/v1/accounts/"+itoa(id)+"/api-keys", platformToken, `{"name": "ci"}`)
	return r.body["key"].(string)
}

func itoa(i int) string { return strconv.Itoa(i) }

// errorFields returns the answer's error.fields.
func (r response) errorFields() map[string]string {
	out := map[string]string{}
	e, _ := r.body["error"].(map[string]any)
	f, _ := e["fields"].(map[string]any)
	for k, v := range f {
		out[k], _ = v.(string)
	}
	return out
}

func (r response) errorCode() string {
	e, _ := r.body["error"].(map[string]any)
	c, _ := e["code"].(string)
	return c
}
