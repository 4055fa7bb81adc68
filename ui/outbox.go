package ui

import (
	"net/http"

	"herald"
	"herald/store"
)

type outboxData struct {
	Messages []store.OutboxMessage
	Next     string
	First    string
}

// outboxPage lists the emails kept when no SMTP server is configured.
func (s *server) outboxPage(w http.ResponseWriter, r *http.Request, v *view) {
	if !s.cfg.OutboxEnabled {
		s.refuse(w, r, v, http.StatusNotFound, "Emails are sent by SMTP on this server: there is no outbox.")
		return
	}
	after := r.URL.Query().Get("cursor")
	msgs, err := s.store.Outbox(r.Context(), v.account.ID, after, s.pageSize+1)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	base := accountPath(v.account.ID, "outbox")
	body := outboxData{Messages: msgs}
	if len(msgs) > s.pageSize {
		body.Messages = msgs[:s.pageSize]
		body.Next = base + "?cursor=" + urlQueryEscape(body.Messages[s.pageSize-1].ID)
	}
	if after != "" {
		body.First = base
	}
	d := s.base(v, "outbox", "Email outbox")
	d.Body = body
	s.render(w, r, http.StatusOK, "outbox.html", d)
}

func (s *server) outboxMessagePage(w http.ResponseWriter, r *http.Request, v *view) {
	if !s.cfg.OutboxEnabled {
		s.refuse(w, r, v, http.StatusNotFound, "Emails are sent by SMTP on this server: there is no outbox.")
		return
	}
	m, err := s.store.OutboxMessage(r.Context(), r.PathValue("message_id"))
	if herald.ErrorCode(err) == herald.CodeNotFound || (err == nil && m.AccountID != v.account.ID) {
		s.refuse(w, r, v, http.StatusNotFound, "There is no such message in this account's outbox.")
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	d := s.base(v, "outbox", "Email to "+m.Recipient)
	d.Body = m
	s.render(w, r, http.StatusOK, "outbox_message.html", d)
}
