package ui

import (
	"errors"
	"io"
	"net/http"

	"herald"
	"herald/catalog"
	"herald/store"
)

// unsubscribeData is what the unsubscribe pages show.
type unsubscribeData struct {
	Token   string
	Email   string
	Event   string // the event's name
	Account string
	Done    bool // the POST ran
	Removed bool // and the address was still subscribed
}

// The unsubscribe links in subscribers' emails (List-Unsubscribe, RFC
// 8058). The token in the path is the credential: single-purpose (one
// address, one event, one account) and unguessable, so the POST needs no
// session and no CSRF token; a mail client's one-click POST carries
// neither. A GET only shows a button: mail scanners follow links, and
// must not unsubscribe anybody.
func (s *server) unsubscribePage(w http.ResponseWriter, r *http.Request) {
	u, err := s.store.Unsubscription(r.Context(), r.PathValue("token"))
	if err != nil {
		s.unsubscribeFailed(w, r, err)
		return
	}
	s.renderUnsubscribe(w, r, u, unsubscribeData{Token: r.PathValue("token")})
}

func (s *server) unsubscribe(w http.ResponseWriter, r *http.Request) {
	// The body ("List-Unsubscribe=One-Click", or the page's empty form)
	// says nothing the token does not.
	io.Copy(io.Discard, http.MaxBytesReader(w, r.Body, maxFormBytes))
	u, removed, err := s.store.Unsubscribe(r.Context(), r.PathValue("token"), s.now())
	if err != nil {
		s.unsubscribeFailed(w, r, err)
		return
	}
	s.log.InfoContext(r.Context(), "ui: unsubscribed", "account", u.AccountID, "event", u.EventKey, "removed", removed)
	s.renderUnsubscribe(w, r, u, unsubscribeData{Done: true, Removed: removed})
}

func (s *server) unsubscribeFailed(w http.ResponseWriter, r *http.Request, err error) {
	if errors.Is(err, herald.ErrNotFound) {
		s.refuse(w, r, nil, http.StatusNotFound, "This unsubscribe link is not valid. Use the link from a recent email, or ask an administrator of the account to remove your address.")
		return
	}
	s.fail(w, r, err)
}

func (s *server) renderUnsubscribe(w http.ResponseWriter, r *http.Request, u store.Unsubscription, d unsubscribeData) {
	a, err := s.store.Account(r.Context(), u.AccountID)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	d.Email, d.Account = u.Email, a.Name
	if ev := catalog.ByKey(u.EventKey); ev != nil {
		d.Event = ev.Name
	}
	title := "Unsubscribe"
	if d.Done {
		title = "Unsubscribed"
	}
	page := s.base(nil, "", title)
	page.Body = d
	w.Header().Set("X-Robots-Tag", "noindex")
	s.render(w, r, http.StatusOK, "unsubscribe.html", page)
}
