package ui

import (
	"bytes"
	"encoding/json"
	"errors"
	"html/template"
	"io/fs"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"herald"
	"herald/store"
)

// pageData is what every page template gets; Body is the page's own data.
type pageData struct {
	Title         string
	Tab           string
	Session       *herald.Session
	CSRF          string
	Role          herald.Role
	Account       herald.Account
	CanEdit       bool
	Operator      bool
	OutboxEnabled bool
	Flash         string
	Error         string
	Body          any
}

// pages holds one template set per page file, each with the layout.
type pages struct {
	sets map[string]*template.Template
}

var funcs = template.FuncMap{
	"when": func(t time.Time) string {
		if t.IsZero() {
			return "—"
		}
		return t.UTC().Format("2006-01-02 15:04:05 UTC")
	},
	"iso":    func(t time.Time) string { return t.UTC().Format(time.RFC3339) },
	"ms":     func(d time.Duration) string { return strconv.FormatInt(d.Milliseconds(), 10) + " ms" },
	"pretty": prettyJSON,
	"headers": func(h map[string][]string) [][2]string {
		var out [][2]string
		for _, k := range slices.Sorted(maps.Keys(h)) {
			out = append(out, [2]string{k, strings.Join(h[k], ", ")})
		}
		return out
	},
}

func parsePages() *pages {
	p := &pages{sets: map[string]*template.Template{}}
	names, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil {
		panic(err)
	}
	for _, n := range names {
		name := strings.TrimPrefix(n, "templates/")
		if name == "layout.html" {
			continue
		}
		p.sets[name] = template.Must(template.New(name).Funcs(funcs).ParseFS(templateFS, "templates/layout.html", n))
	}
	return p
}

// base fills the common part of a page for v (nil before sign-in).
func (s *server) base(v *view, tab, title string) *pageData {
	d := &pageData{Title: title, Tab: tab, OutboxEnabled: s.cfg.OutboxEnabled}
	if v != nil {
		d.Session = &v.sess
		d.CSRF = v.sess.CSRF
		d.Role = v.sess.Role
		d.Account = v.account
		d.CanEdit = v.account.ID != 0 && v.canEdit()
		d.Operator = v.sess.Role == herald.RoleOperator
	}
	return d
}

// render writes page name with status; a template error is a 500.
func (s *server) render(w http.ResponseWriter, r *http.Request, status int, name string, d *pageData) {
	s.renderTemplate(w, r, status, name, "layout", d)
}

func (s *server) renderTemplate(w http.ResponseWriter, r *http.Request, status int, name, tmpl string, d any) {
	var b bytes.Buffer
	if err := s.pages.sets[name].ExecuteTemplate(&b, tmpl, d); err != nil {
		s.log.ErrorContext(r.Context(), "ui: render", "page", name, "err", err)
		http.Error(w, "Internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	w.Write(b.Bytes())
}

// refuse answers status with a short explanation page.
func (s *server) refuse(w http.ResponseWriter, r *http.Request, v *view, status int, msg string) {
	d := s.base(v, "", http.StatusText(status))
	d.Error = msg
	d.Body = status
	s.render(w, r, status, "error.html", d)
}

// fail logs an unexpected error and answers 500 without its details;
// while the database cannot be reached, a plain "try again" page (503 with
// Retry-After) instead.
func (s *server) fail(w http.ResponseWriter, r *http.Request, err error) {
	if store.Unavailable(err) {
		s.log.WarnContext(r.Context(), "ui: database unavailable", "method", r.Method, "path", r.URL.Path, "err", err)
		d := s.base(nil, "", "Try again in a moment")
		d.Error = "Herald cannot reach its database right now. Try again in a moment."
		d.Body = http.StatusServiceUnavailable
		w.Header().Set("Retry-After", strconv.Itoa(store.RetryAfterSeconds))
		s.render(w, r, http.StatusServiceUnavailable, "error.html", d)
		return
	}
	s.log.ErrorContext(r.Context(), "ui: request failed", "method", r.Method, "path", r.URL.Path, "err", err)
	d := s.base(nil, "", "Something went wrong")
	d.Error = "Something went wrong on our side. Try again in a moment."
	d.Body = http.StatusInternalServerError
	s.render(w, r, http.StatusInternalServerError, "error.html", d)
}

// prettyJSON indents JSON for reading; anything else is returned as is.
func prettyJSON(raw string) string {
	var b bytes.Buffer
	if err := json.Indent(&b, []byte(raw), "", "  "); err != nil {
		return raw
	}
	return b.String()
}

func urlQueryEscape(s string) string { return url.QueryEscape(s) }

// fieldErrors turns a validation error's fields into messages keyed by form
// field name: a subscriber's "[i]" joins its field's message.
func fieldErrors(err error) (map[string]string, bool) {
	e, ok := errors.AsType[*herald.Error](err)
	if !ok || e.Code != herald.CodeInvalid {
		return nil, false
	}
	out := map[string]string{}
	for _, k := range slices.Sorted(maps.Keys(e.Fields)) {
		name, _, _ := strings.Cut(k, "[")
		if out[name] != "" {
			out[name] += "; "
		}
		out[name] += e.Fields[k]
	}
	return out, true
}
