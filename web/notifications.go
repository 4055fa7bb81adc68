package web

import (
	"net/http"

	"herald"
)

func (s *Server) getNotifications(w http.ResponseWriter, r *http.Request) error {
	return getForAccount(w, r, s.store.Settings)
}

// putNotifications replaces the settings document whole; an invalid one
// changes nothing.
func (s *Server) putNotifications(w http.ResponseWriter, r *http.Request) error {
	id, doc, err := s.accountDoc(w, r)
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
