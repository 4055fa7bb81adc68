package ui

import (
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"herald"
	"herald/catalog"
	"herald/dispatch"
	"herald/email"
	"herald/netguard"
	"herald/password"
	"herald/store"
	"herald/store/storetest"
	"herald/web"
	"herald/webhook"
)

const (
	platformToken = "hp_ui_test_platform_token_0123456789abcdef"
	testPassword  = "correct horse battery staple"
)

// testHash is testPassword's hash, made once: argon2id is slow on purpose.
var testHash = sync.OnceValue(func() string {
	h, err := password.Hash(testPassword)
	if err != nil {
		panic(err)
	}
	return h
})

// clock is the real time plus an offset tests move forward, for
// sessions, links and the throttle.
type clock struct{ offset atomic.Int64 }

func (c *clock) now() time.Time          { return time.Now().Add(time.Duration(c.offset.Load())).UTC() }
func (c *clock) advance(d time.Duration) { c.offset.Add(int64(d)) }
func newClock() *clock                   { return &clock{} }

// env is Herald's API and pages on one engine, with two accounts, their
// users, and a webhook receiver answering 200.
type env struct {
	t     testing.TB
	st    *store.Store
	ui    *server
	url   string
	hook  string // the receiver's URL
	clock *clock
	hits  atomic.Int64
}

type envOptions struct {
	publicURL, frameAncestors string
	outbox                    bool
	busyTimeout               time.Duration // the SQLite store's, when set
}

func newEnv(t testing.TB, databaseURL string, opts ...envOptions) *env {
	t.Helper()
	var o envOptions
	for _, x := range opts {
		o = x
	}
	e := &env{t: t, st: storetest.OpenWith(t, databaseURL, store.Options{BusyTimeout: o.busyTimeout}), clock: newClock()}
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		e.hits.Add(1)
		io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"received": true}`)
	}))
	t.Cleanup(hook.Close)
	e.hook = hook.URL + "/hooks/herald?token=s3cret"

	b := catalog.NewBuilder("prod-acme", "", "")
	sender := webhook.New(webhook.Options{Timeout: 5 * time.Second, Guard: &netguard.Guard{AllowPrivate: true}})
	t.Cleanup(sender.Close)
	tester := &dispatch.Tester{Store: e.st, Builder: b, Webhooks: sender, Lease: time.Minute}
	api := web.New(web.Config{Store: e.st, Ingester: dispatch.NewIngester(e.st, b, nil), Builder: b,
		PlatformTokenHashes: []string{herald.HashToken(platformToken)}, Tester: tester, PublicURL: o.publicURL})
	renderer, err := email.NewRenderer("Herald <herald@localhost>")
	if err != nil {
		t.Fatal(err)
	}
	e.ui = newServer(Config{Store: e.st, Tester: tester, PublicURL: o.publicURL, FrameAncestors: o.frameAncestors,
		OutboxEnabled: o.outbox, Renderer: renderer, Builder: b, Now: e.clock.now})
	mux := http.NewServeMux()
	mux.Handle("/api/", api)
	mux.Handle("/", e.ui.routes())
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	e.url = srv.URL

	ctx := context.Background()
	for id, name := range map[int64]string{1: "Acme Corp", 2: "Globex"} {
		if _, _, err := e.st.PutAccount(ctx, id, name); err != nil {
			t.Fatal(err)
		}
		if err := e.st.PutCompany(ctx, id, herald.Company{PrimaryContact: &herald.Contact{Name: "Ann Lee", Email: "ann@acme.test"}}); err != nil {
			t.Fatal(err)
		}
	}
	e.user("admin@acme.test", 1, herald.RoleAdmin)
	e.user("viewer@acme.test", 1, herald.RoleViewer)
	e.user("admin@globex.test", 2, herald.RoleAdmin)
	e.user("ops@herald.test", 0, herald.RoleOperator)
	return e
}

func (e *env) user(email string, account int64, role herald.Role) {
	e.t.Helper()
	u := herald.User{ID: herald.NewID("usr_", time.Now()), Email: email, AccountID: account, Role: role}
	if err := e.st.CreateUser(context.Background(), u, testHash()); err != nil {
		e.t.Fatal(err)
	}
}

// portalLink stores a link and returns its path.
func (e *env) portalLink(account int64, role herald.Role, ttl time.Duration) string {
	e.t.Helper()
	tok := herald.NewToken("hpl_")
	now := e.clock.now()
	if err := e.st.CreatePortalLink(context.Background(), herald.HashToken(tok), account, role, now.Add(ttl), now); err != nil {
		e.t.Fatal(err)
	}
	return "/portal/" + tok
}

// each runs fn against a fresh env on every engine.
func each(t *testing.T, fn func(t *testing.T, e *env), opts ...envOptions) {
	t.Helper()
	for _, eng := range storetest.Engines() {
		t.Run(eng.Name, func(t *testing.T) {
			t.Parallel()
			fn(t, newEnv(t, eng.URL(t), opts...))
		})
	}
}

// browser is a cookie-keeping HTTP client that does not follow redirects.
type browser struct {
	e *env
	c *http.Client
}

func (e *env) browser() *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{e: e, c: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}}
}

type answer struct {
	status int
	header http.Header
	body   string
}

func (b *browser) do(method, path string, form url.Values, header ...string) answer {
	b.e.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, b.e.url+path, body)
	if err != nil {
		b.e.t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	res, err := b.c.Do(req)
	if err != nil {
		b.e.t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	return answer{status: res.StatusCode, header: res.Header, body: string(raw)}
}

func (b *browser) get(path string) answer { return b.do("GET", path, nil) }

func (b *browser) post(path string, form url.Values) answer { return b.do("POST", path, form) }

// must fails the test unless the answer has status want.
func (a answer) must(t testing.TB, want int) answer {
	t.Helper()
	if a.status != want {
		t.Fatalf("status %d, want %d\n%.2000s", a.status, want, a.body)
	}
	return a
}

var csrfRE = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// csrf returns the first form's CSRF token in a page.
func csrf(t testing.TB, page string) string {
	t.Helper()
	m := csrfRE.FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("no csrf field in page:\n%.2000s", page)
	}
	return m[1]
}

// signin posts the sign-in form and returns the answer.
func (b *browser) signin(email, pw string) answer {
	b.e.t.Helper()
	tok := csrf(b.e.t, b.get("/signin").must(b.e.t, 200).body)
	return b.post("/signin", url.Values{"csrf": {tok}, "email": {email}, "password": {pw}})
}

// signedIn signs in and returns the account's notifications page's CSRF token.
func (b *browser) signedIn(email string) string {
	b.e.t.Helper()
	b.signin(email, testPassword).must(b.e.t, http.StatusSeeOther)
	page := b.get("/").must(b.e.t, http.StatusSeeOther)
	loc := page.header.Get("Location")
	return csrf(b.e.t, b.get(loc).must(b.e.t, 200).body)
}

// settingsForm is a valid Notifications & Webhooks form.
func (e *env) settingsForm(tok string) url.Values {
	return url.Values{"csrf": {tok}, "webhook_url": {e.hook},
		"events.tenant_created.send_webhook":           {"true"},
		"events.tenant_created.email_subscribers":      {"ops@acme.test, dev@acme.test"},
		"events.integration_created.email_subscribers": {""},
	}
}

func (e *env) settings(account int64) herald.Settings {
	e.t.Helper()
	st, err := e.st.Settings(context.Background(), account)
	if err != nil {
		e.t.Fatal(err)
	}
	return st
}

func newRecorder() *httptest.ResponseRecorder { return httptest.NewRecorder() }

func mustRequest(t testing.TB, path string) *http.Request {
	t.Helper()
	return httptest.NewRequest("GET", path, nil)
}
