package web

import (
	"net/http"

	"herald"
)

func (s *Server) getCompany(w http.ResponseWriter, r *http.Request) error {
	return getForAccount(w, r, s.store.Company)
}

func (s *Server) putCompany(w http.ResponseWriter, r *http.Request) error {
	id, doc, err := s.accountDoc(w, r)
	if err != nil {
		return err
	}
	c, err := herald.ParseCompany(doc)
	if err != nil {
		return err
	}
	if err := s.store.PutCompany(r.Context(), id, c); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, c)
	return nil
}
