package web

import (
	"cmp"
	"log/slog"
	"net/http"
	"runtime/debug"
	"time"
)

// securityHeaders keeps browsers from sniffing or caching API answers,
// which carry settings and secrets.
func securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Cache-Control", "no-store")
		h.Set("Referrer-Policy", "no-referrer")
		next.ServeHTTP(w, r)
	})
}

// recoverPanics answers 500 for a panicking handler and logs the stack,
// instead of dropping the connection.
func (s *Server) recoverPanics(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if p := recover(); p != nil {
				if p == http.ErrAbortHandler {
					panic(p)
				}
				s.logger.ErrorContext(r.Context(), "handler panicked", "path", r.URL.Path, "panic", p, "stack", string(debug.Stack()))
				writeJSON(w, http.StatusInternalServerError, map[string]any{"error": map[string]string{"code": "internal", "message": "internal error; it has been logged"}})
			}
		}()
		next.ServeHTTP(w, r)
	})
}

// statusRecorder remembers the status a handler wrote, for the access log.
type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (r *statusRecorder) WriteHeader(status int) {
	if r.status == 0 {
		r.status = status
	}
	r.ResponseWriter.WriteHeader(status)
}

func (r *statusRecorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

// accessLog logs every request at debug level (HERALD_LOG_LEVEL=debug) and
// server errors at warn, so a busy ingest path costs nothing by default.
func (s *Server) accessLog(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &statusRecorder{ResponseWriter: w}
		next.ServeHTTP(rec, r)
		status := cmp.Or(rec.status, http.StatusOK)
		level := slog.LevelDebug
		if status >= 500 {
			level = slog.LevelWarn
		}
		if s.logger.Enabled(r.Context(), level) {
			s.logger.Log(r.Context(), level, "request", "method", r.Method, "path", r.URL.Path, "status", status,
				"duration_ms", float64(time.Since(start).Microseconds())/1000, "remote", r.RemoteAddr)
		}
	})
}
