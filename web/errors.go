package web

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"time"

	"herald"
	"herald/store"
)

// handlerFunc is an HTTP handler that returns its error instead of writing
// it, so every failure is reported one way (adapt).
type handlerFunc func(w http.ResponseWriter, r *http.Request) error

var statuses = map[herald.Code]int{
	herald.CodeInvalid:      http.StatusUnprocessableEntity,
	herald.CodeMalformed:    http.StatusBadRequest,
	herald.CodeTooLarge:     http.StatusRequestEntityTooLarge,
	herald.CodeUnauthorized: http.StatusUnauthorized,
	herald.CodeForbidden:    http.StatusForbidden,
	herald.CodeNotFound:     http.StatusNotFound,
	herald.CodeConflict:     http.StatusConflict,
	herald.CodeGone:         http.StatusGone,
	herald.CodeInternal:     http.StatusInternalServerError,
	herald.CodeUnavailable:  http.StatusServiceUnavailable,
}

type errorBody struct {
	Error struct {
		Code    herald.Code       `json:"code"`
		Message string            `json:"message"`
		Fields  map[string]string `json:"fields,omitempty"`
	} `json:"error"`
}

// adapt turns a handlerFunc into an http.Handler: a returned *herald.Error
// becomes its status and body; an error that says the database cannot be
// reached is 503 unavailable with Retry-After (never a 500: the client
// should try again); anything else is logged and answered 500 without
// detail.
func (s *Server) adapt(h handlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		err := h(w, r)
		if err == nil {
			return
		}
		e, ok := errors.AsType[*herald.Error](err)
		if !ok && store.Unavailable(err) {
			// Once a second at most: in an outage every request fails
			// the same way, and the access log counts them.
			if now := time.Now().UnixNano(); now-s.unavailableLogged.Load() >= int64(time.Second) {
				s.unavailableLogged.Store(now)
				s.logger.WarnContext(r.Context(), "database unavailable; answering 503", "method", r.Method, "path", r.URL.Path, "err", err)
			}
			e, ok = store.ErrUnavailable, true
		}
		if !ok {
			if errors.Is(err, context.Canceled) && r.Context().Err() != nil {
				return // the client went away
			}
			s.logger.ErrorContext(r.Context(), "request failed", "method", r.Method, "path", r.URL.Path, "err", err)
			e = &herald.Error{Code: herald.CodeInternal, Message: "internal error; it has been logged"}
		}
		var body errorBody
		body.Error.Code, body.Error.Message, body.Error.Fields = e.Code, e.Message, e.Fields
		switch e.Code {
		case herald.CodeUnauthorized:
			w.Header().Set("WWW-Authenticate", `Bearer realm="herald"`)
		case herald.CodeUnavailable:
			w.Header().Set("Retry-After", strconv.Itoa(store.RetryAfterSeconds))
		}
		writeJSON(w, statuses[e.Code], body)
	})
}

func notFound(w http.ResponseWriter, r *http.Request) error {
	return herald.Errorf(herald.CodeNotFound, "no such endpoint: %s %s", r.Method, r.URL.Path)
}
