// Package ui serves Herald's admin pages: sign-in, the Company and
// Notifications & Webhooks tabs, the delivery log and the email outbox.
// Pages are rendered on the server with html/template and work without
// JavaScript; every asset is embedded in the binary.
package ui

import (
	"embed"
	"io/fs"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"herald"
	"herald/catalog"
	"herald/dispatch"
	"herald/email"
	"herald/store"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// Config is what the pages need.
type Config struct {
	Store  *store.Store
	Tester *dispatch.Tester
	// Signing changes signing keys; nil: one with the default overlap.
	Signing *dispatch.Signing
	Guard   herald.HostChecker
	// PublicURL is where Herald is reached; https makes cookies Secure and
	// prefixes portal links.
	PublicURL string
	// FrameAncestors is the CSP frame-ancestors value; "" means 'none'.
	FrameAncestors string
	// OutboxEnabled shows the email outbox (no SMTP server configured).
	OutboxEnabled bool
	// Renderer and Builder make the email previews the way the worker
	// makes the emails: the event's example payload for the account,
	// rendered by the same Renderer. Without them there is no preview.
	Renderer *email.Renderer
	Builder  *catalog.Builder
	Logger   *slog.Logger
	Now      func() time.Time
}

// Session and throttle defaults.
const (
	sessionLifetime = 12 * time.Hour
	defaultPageSize = 25
)

type server struct {
	cfg        Config
	store      *store.Store
	signing    *dispatch.Signing
	log        *slog.Logger
	now        func() time.Time
	secure     bool
	csp        string
	pages      *pages
	throttle   *throttle
	pageSize   int
	sessionTTL time.Duration
}

// New returns the pages' handler. It serves only page paths; the API,
// health and metrics paths are left to the handlers mounted beside it.
func New(cfg Config) http.Handler {
	return newServer(cfg).routes()
}

func newServer(cfg Config) *server {
	s := &server{
		cfg:        cfg,
		store:      cfg.Store,
		signing:    cfg.Signing,
		log:        cfg.Logger,
		now:        cfg.Now,
		secure:     strings.HasPrefix(strings.ToLower(cfg.PublicURL), "https://"),
		pages:      parsePages(),
		throttle:   newThrottle(5, 15*time.Minute),
		pageSize:   defaultPageSize,
		sessionTTL: sessionLifetime,
	}
	if s.log == nil {
		s.log = slog.Default()
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.signing == nil {
		s.signing = &dispatch.Signing{Store: cfg.Store, Overlap: dispatch.DefaultSigningOverlap}
	}
	fa := strings.TrimSpace(cfg.FrameAncestors)
	if fa == "" {
		fa = "'none'"
	}
	s.csp = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
		"form-action 'self'; base-uri 'none'; object-src 'none'; frame-ancestors " + fa
	return s
}

func (s *server) routes() http.Handler {
	mux := http.NewServeMux()
	static, _ := fs.Sub(staticFS, "static")
	mux.Handle("GET /static/", http.StripPrefix("/static/", cacheStatic(http.FileServerFS(static))))

	mux.HandleFunc("GET /{$}", s.home)
	mux.HandleFunc("GET /signin", s.signinPage)
	mux.HandleFunc("POST /signin", s.signin)
	mux.HandleFunc("POST /signout", s.signout)
	mux.HandleFunc("GET /portal/{token}", s.portal)
	mux.HandleFunc("GET /unsubscribe/{token}", s.unsubscribePage)
	mux.HandleFunc("POST /unsubscribe/{token}", s.unsubscribe)
	mux.HandleFunc("POST /switch", s.session(s.switchAccount))

	mux.HandleFunc("GET /accounts", s.session(s.accountsPage))
	mux.HandleFunc("GET /accounts/{id}", s.account(false, s.accountHome))
	mux.HandleFunc("GET /accounts/{id}/company", s.account(false, s.companyPage))
	mux.HandleFunc("POST /accounts/{id}/company", s.account(true, s.saveCompany))
	mux.HandleFunc("GET /accounts/{id}/notifications", s.account(false, s.notificationsPage))
	mux.HandleFunc("POST /accounts/{id}/notifications", s.account(true, s.saveNotifications))
	mux.HandleFunc("POST /accounts/{id}/notifications/test", s.account(true, s.sendTest))
	mux.HandleFunc("GET /accounts/{id}/notifications/preview/{event}", s.account(false, s.previewPage))
	mux.HandleFunc("GET /accounts/{id}/notifications/preview/{event}/{copy}", s.account(false, s.previewHTML))
	mux.HandleFunc("POST /accounts/{id}/signing", s.account(true, s.saveSigning))
	mux.HandleFunc("POST /accounts/{id}/signing/rotate", s.account(true, s.rotateSigning))
	mux.HandleFunc("POST /accounts/{id}/signing/secret", s.account(true, s.revealSecret))
	mux.HandleFunc("POST /accounts/{id}/notifications/enable", s.account(true, s.enableWebhook))
	mux.HandleFunc("POST /accounts/{id}/deliveries/replay", s.account(true, s.replay))
	mux.HandleFunc("GET /accounts/{id}/deliveries", s.account(false, s.deliveriesPage))
	mux.HandleFunc("GET /accounts/{id}/deliveries/{delivery_id}", s.account(false, s.deliveryPage))
	mux.HandleFunc("POST /accounts/{id}/deliveries/{delivery_id}/redeliver", s.account(true, s.redeliver))
	mux.HandleFunc("GET /accounts/{id}/outbox", s.account(false, s.outboxPage))
	mux.HandleFunc("GET /accounts/{id}/outbox/{message_id}", s.account(false, s.outboxMessagePage))
	return s.headers(mux)
}

// headers sets the security headers every answer carries.
func (s *server) headers(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", s.csp)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		if !strings.HasPrefix(r.URL.Path, "/static/") {
			h.Set("Cache-Control", "no-store")
		}
		next.ServeHTTP(w, r)
	})
}

func cacheStatic(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=3600")
		next.ServeHTTP(w, r)
	})
}
