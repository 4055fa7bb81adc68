package web

import (
	"errors"
	"net/http"

	"herald"
)

func (s *Server) getNotifications(w http.ResponseWriter, r *http.Request) error {
	id, _ := pathAccountID(r)
	st, err := s.store.Settings(r.Context(), id)
	if errors.Is(err, herald.ErrNotFound) {
		return accountNotFound(r.PathValue("account_id"))
	}
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, st)
	return nil
}

// putNotifications replaces the settings document whole; an invalid one
// changes nothing.
func (s *Server) putNotifications(w http.ResponseWriter, r *http.Request) error {
	doc, err := decodeObject(w, r)
	if err != nil {
		return err
	}
	id, err := s.mustAccount(r)
	if err != nil {
		return err
	}
	st, err := herald.ParseSettings(r.Context(), doc, s.guard)
	if err != nil {
		return err
	}
	if err := s.store.PutSettings(r.Context(), id, st); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, st)
	return nil
}
