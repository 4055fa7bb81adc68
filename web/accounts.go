package web

import (
	"errors"
	"net/http"
	"strings"
	"unicode/utf8"

	"herald"
)

func (s *Server) putAccount(w http.ResponseWriter, r *http.Request) error {
	id, idOK := pathAccountID(r)
	doc, err := decodeObject(w, r)
	if err != nil {
		return err
	}
	var bad herald.Fields
	if !idOK {
		bad.Add("account_id", "must be a positive integer (the id the platform gives the account)")
	}
	var name string
	for key, v := range doc {
		switch key {
		case "name":
			name = checkName(&bad, "name", v, true)
		default:
			bad.Add(key, "unknown field")
		}
	}
	if _, ok := doc["name"]; !ok {
		bad.Add("name", "is required")
	}
	if err := bad.Err(); err != nil {
		return err
	}
	a, created, err := s.store.PutAccount(r.Context(), id, name)
	if err != nil {
		return err
	}
	status := http.StatusOK
	if created {
		status = http.StatusCreated
	}
	writeJSON(w, status, a)
	return nil
}

func (s *Server) getAccount(w http.ResponseWriter, r *http.Request) error {
	id, _ := pathAccountID(r)
	a, err := s.store.Account(r.Context(), id)
	if errors.Is(err, herald.ErrNotFound) {
		return accountNotFound(r.PathValue("account_id"))
	}
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, a)
	return nil
}

// checkName validates a display name: a string, trimmed, at most
// MaxNameLength characters, and not empty when required.
func checkName(bad *herald.Fields, path string, v any, required bool) string {
	s, ok := v.(string)
	if !ok {
		bad.Add(path, "must be a string")
		return ""
	}
	s = strings.TrimSpace(s)
	switch {
	case s == "" && required:
		bad.Add(path, "must not be empty")
	case utf8.RuneCountInString(s) > herald.MaxNameLength:
		bad.Add(path, "must be at most 200 characters")
	case strings.ContainsFunc(s, func(r rune) bool { return r < 0x20 || r == 0x7f }):
		bad.Add(path, "must not contain control characters")
	}
	return s
}

// mustAccount returns 404 unless the path's account exists.
func (s *Server) mustAccount(r *http.Request) (int64, error) {
	id, _ := pathAccountID(r)
	if _, err := s.store.Account(r.Context(), id); errors.Is(err, herald.ErrNotFound) {
		return 0, accountNotFound(r.PathValue("account_id"))
	} else if err != nil {
		return 0, err
	}
	return id, nil
}
