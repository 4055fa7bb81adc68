// Package web is Herald's HTTP interface: the JSON API of the contract
// (../shared/spec/api.md), health checks, and later the admin pages.
package web

import (
	"cmp"
	"crypto/subtle"
	"encoding/hex"
	"log/slog"
	"net/http"
	"strings"
	"sync/atomic"
	"time"

	"herald"
	"herald/catalog"
	"herald/dispatch"
	"herald/metrics"
	"herald/store"
)

// Config wires a Server. Store, Ingester and Builder are required.
type Config struct {
	Store    *store.Store
	Ingester *dispatch.Ingester
	Builder  *catalog.Builder
	// Guard checks webhook hosts when settings are saved; nil allows all.
	Guard herald.HostChecker
	// PlatformTokenHashes are the SHA-256 hashes (hex) of every token
	// that is a platform credential.
	PlatformTokenHashes []string
	// Tester performs test sends.
	Tester *dispatch.Tester
	// Signing changes accounts' signing keys; nil: one with the default
	// overlap.
	Signing *dispatch.Signing
	// Pages serves the admin pages under "/" (all but /api/ and the
	// health and metrics endpoints); nil serves none.
	Pages http.Handler
	// Metrics counts ingested events and serves GET /metrics; nil serves
	// no metrics.
	Metrics *metrics.Metrics
	Logger  *slog.Logger
	Now     func() time.Time

	// PublicURL is how browsers reach Herald (HERALD_PUBLIC_URL): the
	// base of portal links.
	PublicURL string
}

// Server serves Herald over HTTP.
type Server struct {
	store          *store.Store
	ingester       *dispatch.Ingester
	tester         *dispatch.Tester
	signing        *dispatch.Signing
	metrics        *metrics.Metrics
	pages          http.Handler
	builder        *catalog.Builder
	guard          herald.HostChecker
	publicURL      string // without a trailing slash
	platformHashes [][]byte
	logger         *slog.Logger
	now            func() time.Time
	eventTypes     []byte // the catalog's answer, fixed for the process
	// unavailableLogged is when (Unix ns) a database outage was last
	// logged with its cause.
	unavailableLogged atomic.Int64
	openAPI           []byte // the OpenAPI document, fixed for the process
	patterns          []string
	handler           http.Handler
}

// New returns a Server for cfg.
func New(cfg Config) *Server {
	s := &Server{
		store:    cfg.Store,
		ingester: cfg.Ingester,
		tester:   cfg.Tester,
		signing:  cfg.Signing,
		metrics:  cfg.Metrics,
		pages:    cfg.Pages,
		builder:  cfg.Builder,
		guard:    cfg.Guard,
		logger:   cmp.Or(cfg.Logger, slog.New(slog.DiscardHandler)),
		now:      cfg.Now,
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.signing == nil {
		s.signing = &dispatch.Signing{Store: s.store, Overlap: dispatch.DefaultSigningOverlap}
	}
	s.publicURL = strings.TrimRight(cfg.PublicURL, "/")
	for _, h := range cfg.PlatformTokenHashes {
		if b, err := hex.DecodeString(h); err == nil {
			s.platformHashes = append(s.platformHashes, b)
		}
	}
	s.eventTypes = eventTypesBody(s.builder)
	doc, err := OpenAPIDocument(s.builder)
	if err != nil {
		panic(err) // embedded files and the catalog: a test catches this
	}
	s.openAPI = doc
	s.handler = s.routes()
	return s
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.handler.ServeHTTP(w, r)
}

// isPlatform reports whether hash (raw SHA-256 of a presented token) is a
// platform credential, comparing in constant time.
func (s *Server) isPlatform(hash []byte) bool {
	found := 0
	for _, p := range s.platformHashes {
		found |= subtle.ConstantTimeCompare(p, hash)
	}
	return found == 1
}
